/*
 * lockfile_verify.c - look pins up and verify scanned artifacts against
 * them: a digest that differs, a pinned file missing under a scanned root,
 * a model nobody pinned, and pinned plain files (hashed here, read once)
 * each become a finding on an artifact, synthesised when there is no file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifact.h"
#include "confine.h"
#include "err.h"
#include "fmt.h"
#include "hash.h"
#include "limits.h"
#include "lockfile.h"
#include "path.h"
#include "rules.h"


static const char *
basename_of(const char *p)
{
	const char *s = strrchr(p, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : p;
}

/* ---- lookup ------------------------------------------------------------ */

/* The entry for a path as the scan spelled it; *nomem on failure. */
static const struct mg_lock_entry *
find_idx(const struct mg_lock *l, const char *path, size_t *idx, int *nomem)
{
	const struct mg_lock_entry *e = NULL;
	size_t lo = 0, hi = l->n;
	char *key = mg_path_key(l->cwd, path);

	if (key == NULL) {
		if (nomem != NULL)
			*nomem = 1;
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(key, l->e[mid].path);

		if (c == 0) {
			if (idx != NULL)
				*idx = mid;
			e = &l->e[mid];
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	free(key);
	return e;
}

const struct mg_lock_entry *
mg_lock_find(const struct mg_lock *l, const char *path)
{
	return find_idx(l, path, NULL, NULL);
}

/* ---- verification -------------------------------------------------------- */

/* Does the root (a scan argument) cover this pinned path?  -1: NOMEM. */
static int
covers(const struct mg_lock *l, const char *root, const char *path)
{
	char *key = mg_path_key(l->cwd, root);
	int r;

	if (key == NULL)
		return -1;
	r = mg_path_key_covers(key, path);
	free(key);
	return r;
}

static struct mg_artifact *
synth(const char *path, const struct mg_format *format)
{
	struct mg_artifact *a = malloc(sizeof(*a));

	if (a == NULL)
		return NULL;
	mg_artifact_init(a);
	a->format = format;
	a->complete = 1;	/* fully checked: the verdict is the finding */
	a->uncapped = 1;	/* verification's findings, not a parser's */
	if ((a->path = strdup(path)) == NULL ||
	    (a->abspath = strdup(path)) == NULL ||
	    (a->filename = strdup(basename_of(path))) == NULL) {
		mg_artifact_free(a);
		free(a);
		return NULL;
	}
	return a;
}

static int
push(struct mg_artifact ***v, size_t *n, struct mg_artifact *a)
{
	struct mg_artifact **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return MG_ERR_NOMEM;
	*v = nv;
	nv[(*n)++] = a;
	return MG_OK;
}

/* What the pins are called in messages (a lock built by hand: none). */
static const char *
src_name(const struct mg_lock *l)
{
	return l->source != NULL ? l->source : "the policy's digests";
}

/* "FILE line N" or "FILE" for messages. */
static void
where(char *buf, size_t len, const struct mg_lock *l, size_t line)
{
	if (line > 0)
		snprintf(buf, len, "%s line %zu", src_name(l), line);
	else
		snprintf(buf, len, "%s", src_name(l));
}

static int
check_one(const struct mg_lock *l, struct mg_artifact *a,
    const struct mg_lock_entry *e)
{
	char w[512], extra[160] = "";
	const char *oid;

	where(w, sizeof(w), l, e->line);
	if (a->sha256[0] == '\0')
		return mg_artifact_add(a, MG_R_HASH_UNVERIFIED,
		    MG_FINDING_NO_OFFSET, NULL, "pinned in %s (sha256 %s) but "
		    "its SHA-256 was not computed, so the pin was not checked",
		    w, e->sha256);
	if (strcmp(a->sha256, e->sha256) == 0)
		return MG_OK;
	if (e->have_size && e->size != a->size)
		snprintf(extra, sizeof(extra), "; size %llu bytes, pinned %llu",
		    (unsigned long long)a->size, (unsigned long long)e->size);
	else if (strcmp((oid = a->lfs_oid), e->sha256) == 0)
		snprintf(extra, sizeof(extra), "; the file is a Git LFS "
		    "pointer to the pinned content, which was not fetched");
	return mg_artifact_add(a, MG_R_HASH_MISMATCH, MG_FINDING_NO_OFFSET,
	    NULL, "SHA-256 %.12s... differs from the pin %.12s... in %s "
	    "(expected %s, found %s%s)", a->sha256, e->sha256, w, e->sha256,
	    a->sha256, extra);
}

/* Why a pinned path the scan did not report is missing, or NULL. */
static const char *
absent(const char *path, char *buf, size_t len)
{
	struct stat st;

	/*
	 * Served, the name is looked at only through its directory, found
	 * inside a root: what lies outside is not found, present or not.
	 */
	if (mg_confine_lstat(path, &st) != 0) {
		if (mg_confine_on())
			return "not found inside the served roots";
		snprintf(buf, len, "%s", strerror(errno));
		return buf;
	}
	if (!S_ISREG(st.st_mode))
		return S_ISLNK(st.st_mode) ? "it is a symbolic link (not "
		    "followed)" : "it is not a regular file";
	return NULL;	/* a regular file that is not a model artifact */
}

/*
 * A pinned regular file that the scan did not take for a model (a README,
 * a tokenizer, a config) is still verified: hash it here, once, and report
 * it as an artifact of format "file".  Returns NULL on allocation failure.
 */
static struct mg_artifact *
check_plain(const struct mg_lock *l, const struct mg_lock_entry *e)
{
	struct mg_artifact *a;
	struct mg_hash *h = NULL;
	unsigned char *buf = NULL;
	struct stat st;
	uint64_t got = 0;
	int fd = -1, ok = 0;
	ssize_t k;

	if ((a = synth(e->path, &mg_fmt_file)) == NULL)
		return NULL;
	a->complete = 0;
	fd = mg_confine_open(e->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "pinned file cannot be read: %s", fd < 0 ? strerror(errno) :
		    "not a regular file");
		goto out;
	}
	a->size = (uint64_t)st.st_size;
	if ((h = mg_hash_new()) == NULL || (buf = malloc(1u << 16)) == NULL)
		goto nomem;
	while ((k = read(fd, buf, 1u << 16)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 || mg_hash_update(h, buf, (size_t)k) != MG_OK) {
			mg_artifact_add(a, MG_R_IO_READ, got, NULL,
			    "pinned file: read failed at offset %llu",
			    (unsigned long long)got);
			goto out;
		}
		got += (uint64_t)k;
	}
	if (got != a->size || mg_hash_final_hex(h, a->sha256) != MG_OK) {
		a->sha256[0] = '\0';
		mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "pinned file changed while it was read");
		goto out;
	}
	a->complete = 1;
	if (check_one(l, a, e) != MG_OK)
		goto nomem;
out:
	ok = 1;
nomem:
	if (fd >= 0)
		close(fd);
	free(buf);
	mg_hash_free(h);
	if (!ok) {
		mg_artifact_free(a);
		free(a);
		return NULL;
	}
	return a;
}

static int
cmp_art(const void *x, const void *y)
{
	const struct mg_artifact *a = *(struct mg_artifact *const *)x;
	const struct mg_artifact *b = *(struct mg_artifact *const *)y;

	return strcmp(a->path, b->path);
}

int
mg_lock_verify(const struct mg_lock *l, struct mg_artifact *const *arts,
    size_t n, int all_listed, char *const *roots, size_t nroots,
    struct mg_artifact ***missing, size_t *nmissing)
{
	struct mg_artifact **out = NULL, *a = NULL;
	unsigned char *seen = NULL;
	size_t i, j, nout = 0, ncovered = 0;
	int nothing, nomem = 0;
	char w[512], why[256];
	int r = MG_ERR_NOMEM;

	*missing = NULL;
	*nmissing = 0;
	if ((seen = calloc(l->n ? l->n : 1, 1)) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		const struct mg_lock_entry *e;
		size_t k;

		/* Artifacts made by an earlier verification are not files. */
		if (arts[i]->format == &mg_fmt_missing ||
		    arts[i]->format == &mg_fmt_manifest)
			continue;
		if ((e = find_idx(l, arts[i]->path, &k, &nomem)) != NULL) {
			seen[k] = 1;
			if ((r = check_one(l, arts[i], e)) != MG_OK)
				goto out;
		} else if (nomem) {
			r = MG_ERR_NOMEM;
			goto out;
		} else if (all_listed) {
			if ((r = mg_artifact_add(arts[i], MG_R_HASH_EXTRA,
			    MG_FINDING_NO_OFFSET, NULL, "not listed in %s",
			    src_name(l))) != MG_OK)
				goto out;
		}
	}
	r = MG_ERR_NOMEM;
	for (i = 0; i < l->n; i++) {
		const struct mg_lock_entry *e = &l->e[i];
		const char *reason;

		if (seen[i]) {
			ncovered++;
			continue;
		}
		for (j = 0; j < nroots; j++) {
			int c = covers(l, roots[j], e->path);

			if (c < 0)
				goto out;
			if (c > 0)
				break;
		}
		if (j == nroots)
			continue;
		ncovered++;
		if ((reason = absent(e->path, why, sizeof(why))) == NULL) {
			if ((a = check_plain(l, e)) == NULL ||
			    push(&out, &nout, a) != MG_OK)
				goto out;
			a = NULL;	/* transferred */
			continue;
		}
		where(w, sizeof(w), l, e->line);
		if ((a = synth(e->path, &mg_fmt_missing)) == NULL ||
		    mg_artifact_add(a, MG_R_HASH_MISSING, MG_FINDING_NO_OFFSET,
		    NULL, "pinned in %s (sha256 %s) but not found: %s", w,
		    e->sha256, reason) != MG_OK ||
		    push(&out, &nout, a) != MG_OK)
			goto out;
		a = NULL;	/* transferred */
	}
	nothing = l->expect_match && l->n > 0 && ncovered == 0;
	if (l->nbad > 0 || nothing) {
		if ((a = synth(src_name(l), &mg_fmt_manifest)) == NULL)
			goto out;
		if (nothing && mg_artifact_add(a, MG_R_HASH_MANIFEST,
		    MG_FINDING_NO_OFFSET, NULL, "none of the %zu pinned paths "
		    "is a scanned artifact or lies under a scanned path, so "
		    "nothing was verified (paths are compared as written on "
		    "the command line: scan from the directory the pins are "
		    "relative to)", l->n) != MG_OK)
			goto out;
		for (i = 0; i < l->nbad; i++) {
			int rr;

			if (l->bad[i].line > 0)
				rr = mg_artifact_add(a, MG_R_HASH_MANIFEST,
				    MG_FINDING_NO_OFFSET, NULL, "line %zu: %s",
				    l->bad[i].line, l->bad[i].message);
			else
				rr = mg_artifact_add(a, MG_R_HASH_MANIFEST,
				    MG_FINDING_NO_OFFSET, NULL, "%s",
				    l->bad[i].message);
			if (rr != MG_OK)
				goto out;
		}
		if (push(&out, &nout, a) != MG_OK)
			goto out;
		a = NULL;	/* transferred */
	}
	if (nout > 1)
		qsort(out, nout, sizeof(*out), cmp_art);
	*missing = out;		/* transferred */
	*nmissing = nout;
	out = NULL;
	nout = 0;
	r = MG_OK;
out:
	if (a != NULL) {
		mg_artifact_free(a);
		free(a);
	}
	for (i = 0; out != NULL && i < nout; i++) {
		mg_artifact_free(out[i]);
		free(out[i]);
	}
	free(out);
	free(seen);
	return r;
}
