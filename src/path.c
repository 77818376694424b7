/*
 * path.c - lexical path normalisation and the matching key (see path.h).
 *
 * Purely lexical: nothing is resolved on disk, so a key is stable whether
 * or not the file exists (a missing pin still gets one).  ".." above the
 * root stays at the root, as the kernel does.  The display spelling
 * (mg_path_display) only tidies what was typed and keeps "..": it is what
 * reports show and what policy globs match.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "limits.h"
#include "path.h"

_Static_assert(sizeof(((struct mg_cwd *)0)->buf) >= MG_MAX_PATH_BYTES,
    "a working directory holds a path of the path cap");

char *
mg_path_abs(const char *cwd, const char *p)
{
	const char *base = p[0] == '/' || cwd == NULL ? "" : cwd;
	size_t lb = strlen(base), lp = strlen(p), i, o = 0, seg;
	int absolute = p[0] == '/' || base[0] == '/';
	char *in, *out;

	if (lb > (size_t)-1 / 2 - lp - 4 || (in = malloc(lb + lp + 2)) == NULL)
		return NULL;
	if ((out = malloc(lb + lp + 3)) == NULL) {
		free(in);
		return NULL;
	}
	memcpy(in, base, lb);
	in[lb] = '/';
	memcpy(in + lb + 1, p, lp + 1);
	for (i = 0; in[i] != '\0'; i += seg) {
		while (in[i] == '/')
			i++;
		for (seg = 0; in[i + seg] != '\0' && in[i + seg] != '/'; seg++)
			;
		if (seg == 0 || (seg == 1 && in[i] == '.'))
			continue;
		if (seg == 2 && in[i] == '.' && in[i + 1] == '.') {
			/* Relative and nothing to pop: keep the "..". */
			if (!absolute && (o == 0 || (o >= 2 &&
			    memcmp(out + o - 2, "..", 2) == 0 &&
			    (o == 2 || out[o - 3] == '/')))) {
				if (o > 0)
					out[o++] = '/';
				memcpy(out + o, "..", 2);
				o += 2;
				continue;
			}
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		if (o > 0 || absolute)
			out[o++] = '/';
		memcpy(out + o, in + i, seg);
		o += seg;
	}
	if (o == 0)
		out[o++] = absolute ? '/' : '.';
	out[o] = '\0';
	free(in);
	return out;
}

char *
mg_path_abs_wd(struct mg_cwd *wd, const char *p)
{
	if (p[0] == '/')
		return mg_path_abs(NULL, p);
	if (wd->state == 0)
		wd->state = getcwd(wd->buf, sizeof(wd->buf)) != NULL ? 1 : -1;
	return wd->state > 0 ? mg_path_abs(wd->buf, p) : strdup(p);
}

char *
mg_path_key(const char *cwd, const char *p)
{
	char *a = mg_path_abs(cwd, p), *c = NULL, *r;
	size_t n;

	if (a == NULL || cwd == NULL || cwd[0] != '/')
		return a;
	if ((c = mg_path_abs(NULL, cwd)) == NULL) {
		free(a);
		return NULL;
	}
	n = strlen(c);
	if (strcmp(a, c) == 0)
		r = strdup(".");
	else if (n == 1)	/* cwd is "/" */
		r = strdup(a + 1);
	else if (strncmp(a, c, n) == 0 && a[n] == '/')
		r = strdup(a + n + 1);
	else
		r = strdup(a);
	free(a);
	free(c);
	return r;
}

int
mg_path_key_covers(const char *root, const char *path)
{
	size_t n = strlen(root);

	if (strcmp(root, ".") == 0)
		return path[0] != '/' && !(path[0] == '.' && path[1] == '.' &&
		    (path[2] == '/' || path[2] == '\0'));
	if (strcmp(root, "/") == 0)
		return path[0] == '/';
	return strncmp(root, path, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/');
}

const char *
mg_path_skip_dot(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		for (p += 2; *p == '/'; p++)
			;
	return p;
}

const char *
mg_path_display(const char *p, char *buf, size_t len)
{
	size_t i, o = 0;

	p = mg_path_skip_dot(p);
	if (len == 0 || (strstr(p, "//") == NULL && strstr(p, "/./") == NULL))
		return p;
	for (i = 0; p[i] != '\0' && o + 1 < len; i++) {
		if (p[i] == '/' && o > 0 && buf[o - 1] == '/')
			continue;
		if (p[i] == '.' && p[i + 1] == '/' && o > 0 &&
		    buf[o - 1] == '/') {
			i++;
			continue;
		}
		buf[o++] = p[i];
	}
	buf[o] = '\0';
	return buf;
}

int
mg_path_climbs(const char *clean)
{
	return clean[0] == '.' && clean[1] == '.' &&
	    (clean[2] == '/' || clean[2] == '\0');
}

char *
mg_path_glob_key(const char *path, size_t disk)
{
	size_t i;
	char *k;

	if (memchr(path, '!', disk) == NULL)
		return (char *)(uintptr_t)path;
	if ((k = strdup(path)) == NULL)
		return NULL;
	for (i = 0; i < disk; i++)
		if (k[i] == '!')
			k[i] = 0x7f;
	return k;
}
