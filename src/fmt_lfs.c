/*
 * fmt_lfs.c - Git LFS pointer files standing where a model should be.
 *
 * Spec followed: git-lfs docs/spec.md (pointer format v1).  A pointer is
 * a small UTF-8 text file of "key value\n" lines: "version" first (the
 * spec URL, or the pre-release "hawser" URL), then the other keys in
 * byte order, each once; "oid sha256:<64 lowercase hex>" and
 * "size <decimal>" are required.  git-lfs only treats blobs under 1024
 * bytes as pointers, so the probe bids only on files that small.
 *
 * What we do with one: it is never content, so every pointer gets a
 * HASH-LFS finding (the repository was cloned without `git lfs pull`).
 * The oid and size go into the metadata so that a lock or report can say
 * which content was expected.  A malformed pointer is still a pointer by
 * its first line: it gets the same finding, saying what is wrong.
 *
 * Invariants: at most LFS_MAX_BYTES are read, into a stack buffer; the
 * parser never looks past the bytes it read.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "rd.h"
#include "text.h"

#define LFS_MAX_BYTES	1024u	/* git-lfs's pointer size cutoff */
#define LFS_KEY_MAX	64u	/* key bytes shown in a message */

static const char lfs_v1[] = "version https://git-lfs.github.com/spec/v1";
static const char lfs_hawser[] = "version https://hawser.github.com/spec/v1";

/* Length of the version line's text (without its end) or 0. */
static size_t
version_line(const unsigned char *p, size_t n)
{
	const char *const vs[] = { lfs_v1, lfs_hawser };
	size_t i;

	for (i = 0; i < 2; i++) {
		size_t l = strlen(vs[i]);

		if (n > l && memcmp(p, vs[i], l) == 0 &&
		    (p[l] == '\n' || (p[l] == '\r' && n - l > 1 &&
		    p[l + 1] == '\n')))
			return l;
	}
	return 0;
}

static int
lfs_probe(const unsigned char *head, size_t n, uint64_t size)
{
	if (size > LFS_MAX_BYTES || version_line(head, n) == 0)
		return 0;
	return 100;
}

struct lfs {
	char		 oid[65];
	uint64_t	 size;
	int		 have_oid, have_size;
	char		 why[160];	/* the first problem, or "" */
};

static void
problem(struct lfs *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Keep the first problem: later ones are usually its consequences. */
static void
problem(struct lfs *s, const char *fmt, ...)
{
	va_list ap;

	if (s->why[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

/* A key as shown in messages: printable ASCII only, shortened. */
static void
show(char *out, size_t len, const unsigned char *k, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n && i < LFS_KEY_MAX && o + 1 < len; i++)
		out[o++] = (k[i] >= 0x20 && k[i] < 0x7f) ? (char)k[i] : '?';
	out[o] = '\0';
}

static void
parse_oid(struct lfs *s, const unsigned char *v, size_t n)
{
	size_t i;

	if (n != 71 || memcmp(v, "sha256:", 7) != 0) {
		problem(s, "%s", "oid is not \"sha256:\" and 64 hex digits");
		return;
	}
	for (i = 7; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') ||
		    (v[i] >= 'a' && v[i] <= 'f'))) {
			problem(s, "%s", "oid is not 64 lowercase hex digits");
			return;
		}
	memcpy(s->oid, v + 7, 64);
	s->oid[64] = '\0';
	s->have_oid = 1;
}

static void
parse_size(struct lfs *s, const unsigned char *v, size_t n)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0) {
		problem(s, "%s", "size is empty");
		return;
	}
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9') {
			problem(s, "%s", "size is not a decimal number");
			return;
		}
		if (__builtin_mul_overflow(x, 10, &x) ||
		    __builtin_add_overflow(x, (uint64_t)(v[i] - '0'), &x)) {
			problem(s, "%s", "size does not fit 64 bits");
			return;
		}
	}
	s->size = x;
	s->have_size = 1;
}

/* Walk the "key value\n" lines after the version line. */
static void
parse_lines(struct lfs *s, const unsigned char *p, size_t n, size_t off)
{
	unsigned char prev[LFS_KEY_MAX + 1] = "";
	size_t prevlen = 0;
	char k[LFS_KEY_MAX + 1];

	while (off < n) {
		const unsigned char *line = p + off, *nl, *sp;
		size_t len, klen, i;

		nl = memchr(line, '\n', n - off);
		if (nl == NULL) {
			problem(s, "%s", "the last line has no newline");
			len = n - off;
		} else
			len = (size_t)(nl - line);
		off += len + (nl != NULL);
		if (len > 0 && line[len - 1] == '\r') {
			problem(s, "%s", "lines end in CR LF");
			len--;
		}
		if (len == 0) {
			problem(s, "%s", "an empty line");
			continue;
		}
		sp = memchr(line, ' ', len);
		if (sp == NULL) {
			problem(s, "%s", "a line without a space between key "
			    "and value");
			continue;
		}
		klen = (size_t)(sp - line);
		show(k, sizeof(k), line, klen);
		for (i = 0; i < klen; i++)
			if (!((line[i] >= 'a' && line[i] <= 'z') ||
			    (line[i] >= '0' && line[i] <= '9') ||
			    line[i] == '.' || line[i] == '-'))
				break;
		if (klen == 0 || i < klen) {
			problem(s, "key \"%s\" has characters outside "
			    "[a-z0-9.-]", k);
			continue;
		}
		if (klen == 7 && memcmp(line, "version", 7) == 0) {
			problem(s, "%s", "\"version\" appears again");
			continue;
		}
		/* Keys are sorted and unique: compare with the previous one. */
		if (prevlen > 0) {
			size_t m = klen < prevlen ? klen : prevlen;
			int c = memcmp(line, prev, m);

			if (c < 0 || (c == 0 && klen <= prevlen))
				problem(s, "key \"%s\" is out of order or "
				    "repeated", k);
		}
		if (klen <= LFS_KEY_MAX) {
			memcpy(prev, line, klen);
			prevlen = klen;
		}
		if (klen == 3 && memcmp(line, "oid", 3) == 0 && !s->have_oid)
			parse_oid(s, sp + 1, len - klen - 1);
		else if (klen == 4 && memcmp(line, "size", 4) == 0 &&
		    !s->have_size)
			parse_size(s, sp + 1, len - klen - 1);
	}
	if (!s->have_oid)
		problem(s, "%s", "no valid \"oid\" line");
	if (!s->have_size)
		problem(s, "%s", "no valid \"size\" line");
}

static int
lfs_parse(struct mg_rd *rd, struct mg_artifact *a)
{
	unsigned char buf[LFS_MAX_BYTES];
	struct lfs s;
	uint64_t left = mg_rd_left(rd);
	size_t n, vl;
	cJSON *md = NULL, *j;
	int r, whole = left <= LFS_MAX_BYTES;

	memset(&s, 0, sizeof(s));
	if (left > LFS_MAX_BYTES) {
		problem(&s, "%s", "larger than a pointer can be (1024 bytes)");
		left = LFS_MAX_BYTES;
	}
	n = (size_t)left;
	if ((r = mg_rd_bytes(rd, buf, n)) != MG_OK)
		return r;
	if ((vl = version_line(buf, n)) == 0) {
		problem(&s, "%s", "the first line is not a known version line");
		vl = n;
	} else if (buf[vl] == '\r') {
		problem(&s, "%s", "lines end in CR LF");
		vl += 2;
	} else
		vl++;
	if (memchr(buf, '\0', n) != NULL)
		problem(&s, "%s", "it contains a NUL byte");
	parse_lines(&s, buf, n, vl);

	if ((md = cJSON_CreateObject()) == NULL)
		return MG_ERR_NOMEM;
	if (s.have_oid) {
		if ((j = mg_json_strz(s.oid)) == NULL)
			goto nomem;
		cJSON_AddItemToObject(md, "lfs_oid", j);
		snprintf(a->lfs_oid, sizeof(a->lfs_oid), "%s", s.oid);
	}
	if (s.have_size) {
		if ((j = mg_json_u64(s.size)) == NULL)
			goto nomem;
		cJSON_AddItemToObject(md, "lfs_size", j);
	}
	cJSON_Delete(a->metadata);
	a->metadata = md;	/* transferred */
	md = NULL;

	if (s.why[0] == '\0') {
		r = mg_artifact_add(a, MG_R_HASH_LFS, 0, NULL, "Git LFS pointer: "
		    "content not fetched (oid sha256:%s, %llu bytes)", s.oid,
		    (unsigned long long)s.size);
		return r != MG_OK ? r : MG_OK;
	}
	r = mg_artifact_add(a, MG_R_HASH_LFS, 0, NULL, "Git LFS pointer "
	    "(malformed: %s): content not fetched", s.why);
	/* A malformed pointer read whole was checked whole; a longer file
	 * was not. */
	return r != MG_OK ? r : whole ? MG_OK : MG_ERR_FORMAT;
nomem:
	cJSON_Delete(md);
	return MG_ERR_NOMEM;
}

static const char *const lfs_exts[] = { NULL };

const struct mg_format mg_fmt_lfs = {
	.name = "lfs-pointer",
	.exts = lfs_exts,
	.probe = lfs_probe,
	.parse = lfs_parse,
};
