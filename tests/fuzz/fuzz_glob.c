/*
 * fuzz_glob.c - libFuzzer target for policy path globs.  The input is
 * split at its first NUL into a pattern and a path (no NUL: the whole
 * input is the pattern, matched against a fixed path).  A pattern that
 * mg_glob_check() accepts is matched against the path and, to reach the
 * long-path heap row, against the path repeated past the stack row size.
 * The matcher promises O(pattern x path) work, so libFuzzer's -timeout
 * is the check on that promise: a timeout is a bug like a crash or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "glob.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes of the repeated path: past glob.c's 1024-byte stack rows. */
#define LONG_PATH_BYTES	1500u

/* A NUL-terminated copy of n bytes, or NULL. */
static char *
dup_bytes(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* path repeated (joined by '/') to at least LONG_PATH_BYTES, or NULL. */
static char *
long_path(const char *path)
{
	size_t n = strlen(path), off = 0;
	char *s;

	if (n == 0)
		return NULL;
	if ((s = malloc(LONG_PATH_BYTES + n + 2)) == NULL)
		return NULL;
	while (off < LONG_PATH_BYTES) {
		memcpy(s + off, path, n);
		off += n;
		s[off++] = '/';
	}
	s[off - 1] = '\0';
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	char *pat = NULL, *path = NULL, *lp = NULL, err[256];
	size_t plen = nul != NULL ? (size_t)(nul - data) : size;

	if ((pat = dup_bytes(data, plen)) == NULL)
		goto out;
	if (nul != NULL)
		path = dup_bytes(nul + 1, size - plen - 1);
	else
		path = dup_bytes((const uint8_t *)"models/a/b.gguf", 15);
	if (path == NULL)
		goto out;
	if (mg_glob_check(pat, err, sizeof(err)) != MG_OK)
		goto out;
	(void)mg_glob_match(pat, path);
	if ((lp = long_path(path)) != NULL)
		(void)mg_glob_match(pat, lp);
out:
	free(lp);
	free(path);
	free(pat);
	return 0;
}
