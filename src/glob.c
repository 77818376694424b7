/*
 * glob.c - path globs for policies.
 *
 * Syntax (glob.h): `*` any run of bytes but '/' and '!', `?` one
 * character but those, `[...]` one character from a class (`!` or `^` negates, `a-z`
 * ranges by code point, a `]` right after the opening bracket or its
 * negation is literal, `\` escapes), `\x` the literal x.  `**` spans
 * components: as a whole component followed by '/' (at the start of the
 * pattern or after a '/') it matches zero or more whole components, so
 * "**" "/x" (written without the space) matches "x" and "a/b/x"; anywhere
 * else it matches any run of bytes, '/' included.
 * `?` and classes consume one UTF-8 character (an invalid byte counts as
 * one character); no class ever matches '/'.  '!' separates an archive
 * from its members ("a.zip!m.gguf") as '/' separates directories: only
 * `**` crosses it, and a `**` component may end at it.  Matching is
 * case-sensitive and has no special rule for dot files.
 *
 * Invariant: matching never backtracks.  The pattern is read once, token
 * by token, while a row of flags says which path prefixes the tokens so
 * far can match (a Thompson-style simulation).  Work is O(pattern bytes
 * x path bytes) whatever the pattern, so "*a*a*a*b" or a chain of "**"
 * components against a long path costs the same as any pattern of that
 * length.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "glob.h"
#include "limits.h"

/* Path rows of up to this many bytes live on the stack. */
#define ROW_STACK	1024u

/* What `*`, `?` and classes never match, and `**` components end at. */
#define SEP(c)	((c) == '/' || (c) == '!')

/*
 * Length of the UTF-8 character at s (n > 0 bytes left) and its code
 * point.  An invalid byte is a character of its own whose code point lies
 * above U+10FFFF, so it never equals a class member.
 */
static size_t
u8char(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		goto bad;
	if (len > n)
		goto bad;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*cp = c;
	return len;
bad:
	*cp = 0x110000u + s[0];
	return 1;
}

/*
 * Scan the class whose '[' is at p[-1].  Sets *end just past its ']' and
 * *hit to whether code point cp is a member (cp may be ~0u: no test).
 * Returns 0, or -1 with a reason when the class is malformed.
 */
static int
class_scan(const char *p, const char **end, uint32_t cp, int *hit,
    const char **why)
{
	const unsigned char *s = (const unsigned char *)p;
	uint32_t lo, hi;
	int neg = 0, in = 0, first = 1;
	size_t k;

	if (*s == '!' || *s == '^') {
		neg = 1;
		s++;
	}
	for (;;) {
		if (*s == '\0') {
			*why = "unclosed '['";
			return -1;
		}
		if (*s == ']' && !first)
			break;
		first = 0;
		if (*s == '\\') {
			if (*++s == '\0') {
				*why = "trailing '\\' in a class";
				return -1;
			}
		}
		k = u8char(s, 4, &lo);	/* the NUL stops a sequence */
		if (lo > 0x10ffff) {
			*why = "invalid UTF-8";
			return -1;
		}
		s += k;
		hi = lo;
		if (s[0] == '-' && s[1] != ']' && s[1] != '\0') {
			s++;
			if (*s == '\\' && *++s == '\0') {
				*why = "trailing '\\' in a class";
				return -1;
			}
			k = u8char(s, 4, &hi);
			if (hi > 0x10ffff) {
				*why = "invalid UTF-8";
				return -1;
			}
			s += k;
			if (hi < lo) {
				*why = "reversed range in a class";
				return -1;
			}
		}
		if (cp >= lo && cp <= hi)
			in = 1;
	}
	*end = (const char *)s + 1;
	*hit = !SEP(cp) && (in != neg);
	return 0;
}

int
mg_glob_check(const char *pat, char *err, size_t errlen)
{
	const char *p = pat, *end, *why = NULL;
	size_t n = strlen(pat);
	uint32_t cp;
	int hit;

	if (n == 0)
		why = "empty pattern";
	else if (n > MG_MAX_GLOB_BYTES) {
		if (errlen > 0)
			snprintf(err, errlen, "invalid glob: longer than %u "
			    "bytes", (unsigned)MG_MAX_GLOB_BYTES);
		return MG_ERR_POLICY;
	}
	while (why == NULL && *p != '\0') {
		if (*p == '[') {
			if (class_scan(p + 1, &end, ~0u, &hit, &why) == 0)
				p = end;
			continue;
		}
		if (*p == '\\' && *++p == '\0') {
			why = "trailing '\\'";
			break;
		}
		p += u8char((const unsigned char *)p, 4, &cp);
		if (cp > 0x10ffff)
			why = "invalid UTF-8";
	}
	if (why == NULL)
		return MG_OK;
	if (errlen > 0)
		snprintf(err, errlen, "invalid glob: %s", why);
	return MG_ERR_POLICY;
}

int
mg_glob_match(const char *pat, const char *path)
{
	unsigned char srow[2][ROW_STACK + 1], *cur, *nxt, *heap = NULL, *t;
	const unsigned char *s = (const unsigned char *)path;
	const char *p = pat, *q, *end, *why;
	size_t n = strlen(path), j, k;
	int sep = 1, alive, seen, hit, r = 0;
	uint32_t cp;

	if (n <= ROW_STACK) {
		cur = srow[0];
		nxt = srow[1];
	} else {
		if (n > SIZE_MAX / 2 - 1 ||
		    (heap = malloc(2 * (n + 1))) == NULL)
			return 0;	/* no memory: no match, never a guess */
		cur = heap;
		nxt = heap + n + 1;
	}
	memset(cur, 0, n + 1);
	cur[0] = 1;
	while (*p != '\0') {
		memset(nxt, 0, n + 1);
		if (p[0] == '*' && p[1] == '*') {
			for (q = p + 2; *q == '*'; q++)
				;
			if (sep && *q == '/') {
				/* zero or more whole components */
				seen = 0;
				for (j = 0; j <= n; j++) {
					if (j > 0 && SEP(s[j - 1]) && seen)
						nxt[j] = 1;
					nxt[j] |= cur[j];
					seen |= cur[j];
				}
				p = q + 1;
				sep = 1;
			} else {
				for (j = 0; j <= n; j++)
					nxt[j] = cur[j] || (j > 0 && nxt[j - 1]);
				p = q;
				sep = 0;
			}
		} else if (*p == '*') {
			for (j = 0; j <= n; j++)
				nxt[j] = cur[j] || (j > 0 && nxt[j - 1] &&
				    !SEP(s[j - 1]));
			p++;
			sep = 0;
		} else if (*p == '?' || *p == '[') {
			end = p + 1;
			for (j = 0; j < n; j += k) {
				k = u8char(s + j, n - j, &cp);
				if (!cur[j] || SEP(s[j]))
					continue;
				hit = 1;
				if (*p == '[' && class_scan(p + 1, &end, cp, &hit,
				    &why) != 0)
					goto out;	/* unchecked pattern */
				if (hit)
					nxt[j + k] = 1;
			}
			if (*p == '[' && class_scan(p + 1, &end, ~0u, &hit,
			    &why) != 0)
				goto out;
			p = end;
			sep = 0;
		} else {
			if (*p == '\\' && *++p == '\0')
				goto out;
			for (j = 0; j < n; j++)
				if (cur[j] && s[j] == (unsigned char)*p)
					nxt[j + 1] = 1;
			sep = SEP(*p);
			p++;
		}
		t = cur;
		cur = nxt;
		nxt = t;
		alive = 0;
		for (j = 0; j <= n && !alive; j++)
			alive = cur[j];
		if (!alive)
			goto out;
	}
	r = cur[n];
out:
	free(heap);
	return r;
}

int
mg_glob_covers(const char *pat, const char *dir)
{
	size_t n = strlen(pat), d = strlen(dir), k;
	char *x, *probe;
	int r;

	/*
	 * A final `**` after a '/' (so neither star is escaped) or alone:
	 * what precedes it ends a component, "dir/", or is nothing.
	 */
	if (n < 2 || pat[n - 1] != '*' || pat[n - 2] != '*')
		return 0;
	if (n > 2 && pat[n - 3] != '/')
		return 0;
	if (n == 2)
		return 1;
	if (d == 0)
		return 0;
	if ((x = malloc(n - 1)) == NULL || (probe = malloc(d + 2)) == NULL) {
		free(x);
		return 0;
	}
	memcpy(x, pat, n - 2);
	x[n - 2] = '\0';
	memcpy(probe, dir, d);
	probe[d] = '/';
	probe[d + 1] = '\0';
	/* The part may name dir or any directory above it: "a/", "a/b/". */
	for (r = 0, k = 0; k <= d && !r; k++)
		if (probe[k] == '/') {
			char keep = probe[k + 1];

			probe[k + 1] = '\0';
			r = mg_glob_match(x, probe);
			probe[k + 1] = keep;
		}
	free(x);
	free(probe);
	return r;
}

