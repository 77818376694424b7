/*
 * test_core.c - the reader, text helpers, string set, pool and walker.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "hash.h"
#include "jsonlex.h"
#include "limits.h"
#include "path.h"
#include "pool.h"
#include "rd.h"
#include "run.h"
#include "sort.h"
#include "strset.h"
#include "suites.h"
#include "template.h"
#include "text.h"
#include "tutil.h"
#include "walk.h"

START_TEST(rd_getters_bounds)
{
	static const unsigned char b[] = { 1, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 4 };
	struct mg_memsrc m;
	struct mg_src src;
	struct mg_rd rd;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	ck_assert_int_eq(mg_rd_init(&rd, 4096), MG_OK);
	mg_src_mem(&src, &m, b, sizeof(b));
	mg_rd_reset(&rd, &src, NULL);
	ck_assert_int_eq(mg_rd_u8(&rd, &u8), MG_OK);
	ck_assert_uint_eq(u8, 1);
	ck_assert_int_eq(mg_rd_u32(&rd, 0, &u32), MG_OK);
	ck_assert_uint_eq(u32, 2);
	ck_assert_int_eq(mg_rd_u32(&rd, 1, &u32), MG_OK);
	ck_assert_uint_eq(u32, 0x03000000u);
	ck_assert_int_eq(mg_rd_u64(&rd, 0, &u64), MG_OK);
	ck_assert(u64 == 0x0400000000000000ull);
	ck_assert_uint_eq(mg_rd_left(&rd), 0);
	ck_assert_int_eq(mg_rd_u16(&rd, 0, &u16), MG_ERR_TRUNCATED);
	/* sticky */
	ck_assert_int_eq(mg_rd_skip(&rd, 0), MG_ERR_TRUNCATED);
	mg_rd_free(&rd);
}
END_TEST

/* Hashing through the reader equals the one-shot digest, with any mix
 * of parser reads before the drain, across window boundaries. */
START_TEST(rd_hash_one_pass)
{
	size_t n = 3 * 4096 + 17, i;
	unsigned char *b = malloc(n);
	char want[65], got[65];
	struct mg_hash *h = mg_hash_new();
	struct mg_memsrc m;
	struct mg_src src;
	struct mg_rd rd;
	unsigned char tmp[5000];
	uint64_t v;

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 131 + 7);
	ck_assert_int_eq(mg_sha256_hex(b, n, want), MG_OK);
	ck_assert_int_eq(mg_rd_init(&rd, 4096), MG_OK);
	mg_src_mem(&src, &m, b, n);
	mg_rd_reset(&rd, &src, h);
	ck_assert_int_eq(mg_rd_u64(&rd, 0, &v), MG_OK);
	ck_assert_int_eq(mg_rd_bytes(&rd, tmp, sizeof(tmp)), MG_OK);
	ck_assert_int_eq(memcmp(tmp, b + 8, sizeof(tmp)), 0);
	ck_assert_int_eq(mg_rd_skip(&rd, 4000), MG_OK);
	ck_assert_int_eq(mg_rd_drain(&rd), MG_OK);
	ck_assert_int_eq(mg_hash_final_hex(h, got), MG_OK);
	ck_assert_str_eq(got, want);
	mg_rd_free(&rd);
	mg_hash_free(h);
	free(b);
}
END_TEST

/* A source that ends before its declared size is an I/O error. */
START_TEST(rd_source_shrank)
{
	static const unsigned char b[16];
	struct mg_memsrc m;
	struct mg_src src;
	struct mg_rd rd;

	ck_assert_int_eq(mg_rd_init(&rd, 4096), MG_OK);
	mg_src_mem(&src, &m, b, sizeof(b));
	src.size = 32;		/* claims more than it has */
	mg_rd_reset(&rd, &src, NULL);
	ck_assert_int_eq(mg_rd_drain(&rd), MG_ERR_IO);
	mg_rd_free(&rd);
}
END_TEST

/*
 * A source that goes on past its declared size is an I/O error: the
 * reader reads once more at the end to see it.  Each byte count up to
 * past the window is tried, with and without a digest.
 */
START_TEST(rd_source_grew)
{
	static unsigned char b[8192];
	struct mg_hash *h = mg_hash_new();
	struct mg_memsrc m;
	struct mg_src src;
	struct mg_rd rd;
	size_t n;
	int hashed;

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(mg_rd_init(&rd, 4096), MG_OK);
	for (n = 0; n <= 4100; n += n < 40 ? 1 : 509)
		for (hashed = 0; hashed < 2; hashed++) {
			mg_src_mem(&src, &m, b, n + 1);
			src.size = n;	/* claims one byte less */
			ck_assert_int_eq(mg_hash_reset(h), MG_OK);
			mg_rd_reset(&rd, &src, hashed ? h : NULL);
			ck_assert_msg(mg_rd_drain(&rd) == MG_ERR_IO,
			    "%zu bytes declared, %zu there, %s", n, n + 1,
			    hashed ? "hashed" : "not hashed");
			/* Exactly as declared: fine. */
			mg_src_mem(&src, &m, b, n);
			ck_assert_int_eq(mg_hash_reset(h), MG_OK);
			mg_rd_reset(&rd, &src, hashed ? h : NULL);
			ck_assert_int_eq(mg_rd_drain(&rd), MG_OK);
		}
	mg_rd_free(&rd);
	mg_hash_free(h);
}
END_TEST

/* A memory source that records the largest read asked of it. */
struct countsrc {
	const unsigned char *p;
	size_t n, at, reads, biggest, last;
};

static ssize_t
count_read(void *ctx, void *buf, size_t n)
{
	struct countsrc *c = ctx;

	c->reads++;
	c->last = n;
	if (n > c->biggest)
		c->biggest = n;
	if (n > c->n - c->at)
		n = c->n - c->at;
	memcpy(buf, c->p + c->at, n);
	c->at += n;
	return (ssize_t)n;
}

/*
 * An expected length sizes the next read without a digest (a header of
 * known length costs no read-ahead past it), and reads past it still
 * return the right bytes; with a digest, reads stay whole windows.
 */
START_TEST(rd_expect_sizes_reads)
{
	static unsigned char b[65536];
	struct mg_hash *h = mg_hash_new();
	struct countsrc c;
	struct mg_src src;
	struct mg_rd rd;
	unsigned char out[9000];
	size_t i;
	uint64_t v;

	ck_assert_ptr_nonnull(h);
	for (i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)(i * 7 + (i >> 8));
	ck_assert_int_eq(mg_rd_init(&rd, 32768), MG_OK);
	memset(&src, 0, sizeof(src));
	src.read = count_read;
	src.ctx = &c;
	src.size = sizeof(b);
	memset(&c, 0, sizeof(c));
	c.p = b;
	c.n = sizeof(b);
	mg_rd_reset(&rd, &src, NULL);
	ck_assert_int_eq(mg_rd_u64(&rd, 0, &v), MG_OK);	/* the probe */
	ck_assert_uint_eq(c.biggest, MG_PROBE_READ);
	mg_rd_expect(&rd, 5000);
	ck_assert_int_eq(mg_rd_bytes(&rd, out, 5000), MG_OK);
	ck_assert_mem_eq(out, b + 8, 5000);
	ck_assert_uint_eq(c.last, 5008 - MG_PROBE_READ);
	/* Past the expected end: still exact. */
	ck_assert_int_eq(mg_rd_bytes(&rd, out, 9000), MG_OK);
	ck_assert_mem_eq(out, b + 5008, 9000);
	ck_assert_int_eq(mg_rd_u64(&rd, 0, &v), MG_OK);
	/* An expectation already buffered changes nothing. */
	i = c.reads;
	mg_rd_expect(&rd, 1);
	ck_assert_int_eq(mg_rd_bytes(&rd, out, 1), MG_OK);
	ck_assert_uint_eq(out[0], b[14016]);
	ck_assert_int_eq(mg_rd_drain(&rd), MG_OK);
	ck_assert_uint_gt(c.reads, i);

	/* Hashed: whole reads, the same digest as without the hint. */
	memset(&c, 0, sizeof(c));
	c.p = b;
	c.n = sizeof(b);
	ck_assert_int_eq(mg_hash_reset(h), MG_OK);
	mg_rd_reset(&rd, &src, h);
	ck_assert_int_eq(mg_rd_u64(&rd, 0, &v), MG_OK);
	mg_rd_expect(&rd, 9000);
	ck_assert_int_eq(mg_rd_bytes(&rd, out, 9000), MG_OK);
	ck_assert_mem_eq(out, b + 8, 9000);
	ck_assert_uint_gt(c.last, 9000);
	ck_assert_int_eq(mg_rd_drain(&rd), MG_OK);
	mg_rd_free(&rd);
	mg_hash_free(h);
}
END_TEST

struct sortel {
	int	key, idx;
};

static int
cmp_sortkey(const void *a, const void *b)
{
	const struct sortel *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static int
cmp_sortstable(const void *a, const void *b)
{
	const struct sortel *x = a, *y = b;
	int c = cmp_sortkey(a, b);

	return c != 0 ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * mg_sort equals a stable sort on every shape: sorted, a few breaks
 * (the runs it merges), many breaks (where it hands over), reversed,
 * random, with and without equal keys.
 */
START_TEST(sort_is_stable_and_exact)
{
	struct sortel v[700], want[700];
	unsigned seed = 12345;
	size_t n, i, shape, breaks;

	for (n = 0; n <= 700; n += n < 80 ? 1 : 37)
		for (shape = 0; shape < 6; shape++) {
			for (i = 0; i < n; i++) {
				seed = seed * 1103515245u + 12345u;
				switch (shape) {
				case 0:	v[i].key = (int)i; break;
				case 1:	v[i].key = (int)(i / 3); break;
				case 2:	v[i].key = (int)(n - i); break;
				case 3:	v[i].key = (int)(seed >> 16) % 7; break;
				default: v[i].key = (int)(seed >> 16); break;
				}
				v[i].idx = (int)i;
			}
			/* A few or many out-of-place elements. */
			breaks = shape == 4 ? 3 : shape == 5 ? n / 2 : 0;
			for (i = 0; i < breaks && n > 0; i++) {
				seed = seed * 1103515245u + 12345u;
				v[(seed >> 16) % n].key = (int)(seed >> 8) % 50;
			}
			if (shape >= 4)
				for (i = 0; i < n; i++)
					v[i].key = shape == 4 ? (v[i].key %
					    1000) + (int)i * 3 : v[i].key;
			memcpy(want, v, n * sizeof(*v));
			qsort(want, n, sizeof(*want), cmp_sortstable);
			mg_sort(v, n, sizeof(*v), cmp_sortkey);
			for (i = 0; i < n; i++)
				ck_assert_msg(v[i].key == want[i].key &&
				    v[i].idx == want[i].idx, "n %zu shape %zu: "
				    "element %zu is (%d, %d), want (%d, %d)", n,
				    shape, i, v[i].key, v[i].idx, want[i].key,
				    want[i].idx);
		}
}
END_TEST

START_TEST(utf8_sanitise)
{
	char *s;

	ck_assert(mg_utf8_valid("caf\xc3\xa9", 5));
	ck_assert(!mg_utf8_valid("\xc0\xaf", 2));		/* overlong */
	ck_assert(!mg_utf8_valid("\xed\xa0\x80", 3));		/* surrogate */
	ck_assert(!mg_utf8_valid("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	s = mg_utf8_dup("a\xff" "b\0c", 5);
	ck_assert_str_eq(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c");
	free(s);
}
END_TEST

/*
 * The word-at-a-time validator against a byte-at-a-time reference, on
 * strings built from the pieces that matter (ASCII, 2-, 3- and 4-byte
 * sequences, stray continuations, overlongs, surrogates, cut sequences)
 * at every length and alignment, with and without bytes read past the end.
 */
static int
utf8_ref(const unsigned char *p, size_t n)
{
	size_t i = 0, len, k;
	uint32_t cp;

	while (i < n) {
		unsigned c = p[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return 0;
		if (len > n - i)
			return 0;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/*
 * mg_fmt_double() against the plain search it shortcuts (the shortest
 * "%.*e" that strtod reads back, in Python repr's layout), on integers,
 * decimals, float32 values widened to double, and random bit patterns.
 */
static void
fmt_double_ref(double v, char *buf, size_t len)
{
	char e[40], digits[24], *p, *x;
	size_t nd = 0, o = 0;
	int prec, exp10, neg, i;

	for (prec = 0; prec <= 16; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, v);
		if (strtod(e, NULL) == v)
			break;
	}
	neg = e[0] == '-';
	for (p = e + neg; *p != '\0' && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	x = strchr(e, 'e');
	exp10 = x != NULL ? atoi(x + 1) : 0;
	if (neg)
		buf[o++] = '-';
	if (exp10 >= -4 && exp10 < 16) {
		if (exp10 < 0) {
			buf[o++] = '0';
			buf[o++] = '.';
			for (i = -1; i > exp10; i--)
				buf[o++] = '0';
			memcpy(buf + o, digits, nd);
			o += nd;
		} else {
			for (i = 0; i <= exp10; i++)
				buf[o++] = (size_t)i < nd ? digits[i] : '0';
			buf[o++] = '.';
			if ((size_t)exp10 + 1 < nd) {
				memcpy(buf + o, digits + exp10 + 1,
				    nd - (size_t)exp10 - 1);
				o += nd - (size_t)exp10 - 1;
			} else
				buf[o++] = '0';
		}
		buf[o] = '\0';
	} else {
		buf[o++] = digits[0];
		if (nd > 1) {
			buf[o++] = '.';
			memcpy(buf + o, digits + 1, nd - 1);
			o += nd - 1;
		}
		snprintf(buf + o, len - o, "e%c%02d", exp10 < 0 ? '-' : '+',
		    exp10 < 0 ? -exp10 : exp10);
	}
}

START_TEST(fmt_double_matches_search)
{
	uint64_t x = 0x666d74646f75626cull;
	char a[48], b[48];
	unsigned t;

	for (t = 0; t < 30000; t++) {
		double v;
		float f;
		uint64_t bits;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		switch (t % 5) {
		case 0:	/* decimals with few digits */
			v = (double)(int64_t)((x >> 20) % 2000001 - 1000000) /
			    (double)(1ull << 0) / (t % 3 ? 100.0 : 8.0);
			v /= (double)((x >> 50) % 7 == 0 ? 1000000 : 1);
			break;
		case 1:	/* integers, some near 2^53 */
			v = (double)(x >> (11 + (x & 7) * 5));
			break;
		case 2:	/* float32 values as GGUF stores them */
			bits = x >> 32;
			memcpy(&f, &bits, 4);
			v = f;
			break;
		case 3:	/* any double */
			memcpy(&v, &x, 8);
			break;
		default:	/* decimal literals */
			snprintf(a, sizeof(a), "%llu.%llue%d",
			    (unsigned long long)(x >> 40) % 1000,
			    (unsigned long long)(x >> 20) % 1000,
			    (int)((x >> 10) % 40) - 20);
			v = strtod(a, NULL);
			break;
		}
		if (!isfinite(v))
			continue;
		mg_fmt_double(v, a, sizeof(a));
		fmt_double_ref(v, b, sizeof(b));
		ck_assert_msg(strcmp(a, b) == 0, "%.17g: %s, search %s", v, a,
		    b);
		/* Again, from the memo of recent values. */
		mg_fmt_double(v, a, sizeof(a));
		ck_assert_msg(strcmp(a, b) == 0, "%.17g again: %s, search %s",
		    v, a, b);
	}
	/* Awkward values repeating in a cycle longer than the memo. */
	for (t = 0; t < 12 * 5; t++) {
		double v = (1.0 + (double)(t % 12)) / 3.0e5;

		mg_fmt_double(v, a, sizeof(a));
		fmt_double_ref(v, b, sizeof(b));
		ck_assert_msg(strcmp(a, b) == 0, "%.17g cycled: %s, search %s",
		    v, a, b);
		mg_fmt_double(-v, a, sizeof(a));
		fmt_double_ref(-v, b, sizeof(b));
		ck_assert_str_eq(a, b);
	}
	/*
	 * Powers of two, where the values that read back lie unevenly around
	 * v, and their neighbours, over every exponent.
	 */
	for (t = 0; t < 2098; t++) {
		double p2 = ldexp(1.0, (int)t - 1074), v[3];
		int k;

		v[0] = p2;
		v[1] = nextafter(p2, 0);
		v[2] = nextafter(p2, INFINITY);
		for (k = 0; k < 3; k++) {
			if (!isfinite(v[k]) || v[k] == 0)
				continue;
			mg_fmt_double(v[k], a, sizeof(a));
			fmt_double_ref(v[k], b, sizeof(b));
			ck_assert_msg(strcmp(a, b) == 0, "%.17g: %s, search %s",
			    v[k], a, b);
		}
	}
}
END_TEST

START_TEST(utf8_fast_paths_match_reference)
{
	static const char *const piece[] = {
		"a", "abcdefg", "\xc4\xa0", "\xc3\xa9", "\xe2\x96\x81",
		"\xef\xbf\xbf", "\xe0\xa4\x85", "\xed\x9f\xbf",
		"\xf0\x9f\x98\x80", "\x80", "\xc4", "\xe2\x96", "\xc0\xaf",
		"\xed\xa0\x80", "\xe0\x80\x80", "\xf4\x90\x80\x80",
		"\xdf\xbf", "\xc2\x80", "\xe1\x80", "\xff", "\xf8", " ", "\0"
	};
	unsigned char buf[176];
	uint64_t x = 0x757466387465737aull;
	unsigned t;

	for (t = 0; t < 50000; t++) {
		size_t n = 0, off;
		int ref, clean;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		off = (size_t)(x >> 60) % 8;
		clean = (x >> 40) % 2;	/* half the texts well-formed */
		memset(buf, 0xa0, sizeof(buf));	/* junk past the end */
		while (n < 160) {
			const char *pc;
			size_t l;

			x = x * 6364136223846793005ull + 1442695040888963407ull;
			/* Mostly well-formed text, now and then a bad piece. */
			pc = piece[clean || (x >> 59) % 16 != 0 ? (x >> 33) % 9 :
			    (x >> 33) % (sizeof(piece) / sizeof(piece[0]))];
			l = pc[0] == '\0' ? 1 : strlen(pc);
			if (n + l > 160 || (x >> 20) % 61 == 0)
				break;
			memcpy(buf + off + n, pc, l);
			n += l;
		}
		ref = utf8_ref(buf + off, n);
		ck_assert_int_eq(mg_utf8_valid((char *)buf + off, n), ref);
		ck_assert_int_eq(mg_utf8_valid_padded((char *)buf + off, n),
		    ref);
	}
}
END_TEST

START_TEST(rd_fast_getters)
{
	/* u32 7, u64 2^40 + 1, a string "ab" with a u64 length, a u32 cut. */
	static const unsigned char b[] = {
		7, 0, 0, 0,  1, 0, 0, 0, 1, 0, 0, 0,
		2, 0, 0, 0, 0, 0, 0, 0, 'a', 'b',  9, 9
	};
	const unsigned char *p;
	struct mg_memsrc m;
	struct mg_src src;
	struct mg_rd rd;
	uint32_t v32;
	uint64_t v64;
	size_t n;

	ck_assert_int_eq(mg_rd_init(&rd, 4096), MG_OK);
	mg_src_mem(&src, &m, b, sizeof(b));
	mg_rd_reset(&rd, &src, NULL);
	/* Nothing buffered yet: the string getter declines, consuming nothing. */
	ck_assert_int_eq(mg_rd_lstr64f(&rd, 16, &p, &n), 0);
	ck_assert_int_eq(mg_rd_u32f(&rd, 0, &v32), MG_OK);
	ck_assert_uint_eq(v32, 7);
	ck_assert_int_eq(mg_rd_u64f(&rd, 0, &v64), MG_OK);
	ck_assert_uint_eq(v64, (1ull << 32) + 1);
	ck_assert_int_eq(mg_rd_lstr64f(&rd, 1, &p, &n), 0);	/* over max */
	ck_assert_int_eq(mg_rd_lstr64f(&rd, 16, &p, &n), 1);
	ck_assert_uint_eq(n, 2);
	ck_assert(memcmp(p, "ab", 2) == 0);
	ck_assert_uint_eq(mg_rd_tell(&rd), 22);
	ck_assert_int_eq(mg_rd_take(&rd, 2, &p), MG_OK);
	ck_assert_uint_eq(p[0], 9);
	/* Past the end: fails, and stays failed for the fast paths too. */
	ck_assert_int_eq(mg_rd_u32f(&rd, 0, &v32), MG_ERR_TRUNCATED);
	ck_assert_int_eq(mg_rd_takef(&rd, 0, &p), MG_ERR_TRUNCATED);
	ck_assert_int_eq(mg_rd_lstr64f(&rd, 16, &p, &n), 0);
	mg_rd_free(&rd);
}
END_TEST

/*
 * Parity with l-bom (Python's decoder): one U+FFFD per maximal subpart,
 * so a truncated sequence is one replacement, not one per byte.
 */
START_TEST(utf8_maximal_subparts)
{
	static const struct {
		const char	*in;
		size_t		 n;
		const char	*out;
	} v[] = {
		{ "a\xe4\xb8" "b", 4, "a\xef\xbf\xbd" "b" },
		{ "\xf0\x9f\xa6", 3, "\xef\xbf\xbd" },
		{ "\xf0\x9f\xa6\xf0\x9f\xa6\x99", 7,
		    "\xef\xbf\xbd\xf0\x9f\xa6\x99" },
		/* No valid continuation: every byte is its own subpart. */
		{ "\xed\xa0\x80" "z", 4,
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" "z" },
		{ "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xe0\x80\x80", 3,
		    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xf4\x8f\xbf", 3, "\xef\xbf\xbd" },
		{ "\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "\xe1\x80\0x", 4, "\xef\xbf\xbd\xef\xbf\xbd" "x" },
		{ "\xc3", 1, "\xef\xbf\xbd" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s = mg_utf8_dup(v[i].in, v[i].n);
		ck_assert_ptr_nonnull(s);
		ck_assert_msg(strcmp(s, v[i].out) == 0, "case %zu", i);
		free(s);
	}
}
END_TEST

/* Terminal and CI-log safety of untrusted text. */
START_TEST(printable_defuses_controls_and_workflow_commands)
{
	char *s;

	s = mg_text_printable("::error::pwned\n\033[2J\xe2\x80\xae" "x\xff");
	ck_assert_str_eq(s, ":\\x3aerror:\\x3apwned\\x0a\\x1b[2J\\u{202e}x\\xff");
	free(s);
	s = mg_text_printable("caf\xc3\xa9 ok");
	ck_assert_str_eq(s, "caf\xc3\xa9 ok");
	free(s);
}
END_TEST

/* The per-artifact findings cap: the last slot says so, the gate is exempt. */
START_TEST(findings_cap_and_limit_rule)
{
	struct mg_artifact a;
	unsigned i;

	mg_artifact_init(&a);
	/* Many rules, each under its own cap. */
	for (i = 0; i < MG_MAX_FINDINGS + 500; i++)
		ck_assert_int_eq(mg_artifact_add(&a,
		    (enum mg_rule_id)(i % MG_R__COUNT), i, "k", "finding %u",
		    i), MG_OK);
	ck_assert_uint_eq(a.nfindings, MG_MAX_FINDINGS);
	ck_assert_int_eq(a.findings[MG_MAX_FINDINGS - 1].rule,
	    MG_R_LIMIT_FINDINGS);
	ck_assert_uint_eq(a.dropped, 501);
	ck_assert_ptr_nonnull(strstr(a.findings[MG_MAX_FINDINGS - 1].message,
	    "rest are omitted"));
	a.uncapped = 1;
	ck_assert_int_eq(mg_artifact_add(&a, MG_R_HASH_MISMATCH,
	    MG_FINDING_NO_OFFSET, NULL, "gate"), MG_OK);
	ck_assert_uint_eq(a.nfindings, MG_MAX_FINDINGS + 1);
	ck_assert_int_eq(a.findings[MG_MAX_FINDINGS].rule, MG_R_HASH_MISMATCH);
	mg_artifact_free(&a);
}
END_TEST

/*
 * The per-rule cap: MG_MAX_SAME_FINDINGS listed, then one finding of the
 * rule whose count follows the rest; other rules are untouched, and the
 * gate (uncapped) is exempt.
 */
START_TEST(findings_capped_per_rule)
{
	struct mg_artifact a;
	const struct mg_finding *f;
	unsigned i;

	mg_artifact_init(&a);
	for (i = 0; i < MG_MAX_SAME_FINDINGS + 1 + 135; i++)
		ck_assert_int_eq(mg_artifact_add(&a, MG_R_GGUF_KEY, i, "k",
		    "finding %u", i), MG_OK);
	ck_assert_int_eq(mg_artifact_add(&a, MG_R_GGUF_TYPE, 1, NULL, "other"),
	    MG_OK);
	ck_assert_uint_eq(a.nfindings, MG_MAX_SAME_FINDINGS + 2);
	ck_assert_uint_eq(a.dropped, 0);
	f = &a.findings[MG_MAX_SAME_FINDINGS];
	ck_assert_int_eq(f->rule, MG_R_GGUF_KEY);
	ck_assert_uint_eq(f->offset, MG_FINDING_NO_OFFSET);
	ck_assert_ptr_null(f->key);
	ck_assert_str_eq(f->message,
	    "136 more findings of this rule were not listed");
	ck_assert_int_eq(a.findings[MG_MAX_SAME_FINDINGS + 1].rule,
	    MG_R_GGUF_TYPE);
	a.uncapped = 1;
	ck_assert_int_eq(mg_artifact_add(&a, MG_R_GGUF_KEY, 7, NULL, "gate"),
	    MG_OK);
	ck_assert_uint_eq(a.nfindings, MG_MAX_SAME_FINDINGS + 3);
	mg_artifact_free(&a);

	mg_artifact_init(&a);
	for (i = 0; i < MG_MAX_SAME_FINDINGS + 1; i++)
		ck_assert_int_eq(mg_artifact_add(&a, MG_R_ST_META, i, NULL,
		    "finding %u", i), MG_OK);
	ck_assert_str_eq(a.findings[MG_MAX_SAME_FINDINGS].message,
	    "1 more finding of this rule was not listed");
	mg_artifact_free(&a);
}
END_TEST

/*
 * Rules offered in turns keep their own counts and summaries, however
 * many rules an artifact sees (the tallies grow as rules appear).
 */
START_TEST(findings_capped_per_rule_interleaved)
{
	static const enum mg_rule_id rules[] = { MG_R_GGUF_KEY,
	    MG_R_GGUF_TYPE, MG_R_ST_META, MG_R_ST_LEN, MG_R_ST_UTF8,
	    MG_R_IO_READ, MG_R_ARC_LIMIT, MG_R_CONFIG_MISMATCH,
	    MG_R_REPO_SPLIT, MG_R_REMOTE_CODE, MG_R_NPY_OBJ, MG_R_TEMPLATE_INJECT };
	const size_t nr = sizeof(rules) / sizeof(rules[0]);
	size_t listed[sizeof(rules) / sizeof(rules[0])] = { 0 };
	struct mg_artifact a;
	unsigned i;
	size_t k, j;

	mg_artifact_init(&a);
	for (i = 0; i < MG_MAX_SAME_FINDINGS + 3; i++)
		for (k = 0; k < nr; k++)
			ck_assert_int_eq(mg_artifact_add(&a, rules[k],
			    i, NULL, "finding %u", i), MG_OK);
	ck_assert_uint_eq(a.nfindings, nr * (MG_MAX_SAME_FINDINGS + 1));
	for (j = 0; j < a.nfindings; j++)
		for (k = 0; k < nr; k++)
			if (a.findings[j].rule == rules[k] &&
			    ++listed[k] == MG_MAX_SAME_FINDINGS + 1)
				ck_assert_str_eq(a.findings[j].message,
				    "3 more findings of this rule were not "
				    "listed");
	for (k = 0; k < nr; k++)
		ck_assert_uint_eq(listed[k], MG_MAX_SAME_FINDINGS + 1);
	/* Counted in one step, the summary follows. */
	ck_assert_int_eq(mg_artifact_count_more(&a, MG_R_NPY_OBJ, 10), 1);
	ck_assert_int_eq(mg_artifact_count_more(&a, MG_R_PICKLE_UNSAFE, 10), 0);
	for (j = 0; j < a.nfindings; j++)
		if (a.findings[j].rule == MG_R_NPY_OBJ &&
		    a.findings[j].offset == MG_FINDING_NO_OFFSET)
			ck_assert_str_eq(a.findings[j].message,
			    "13 more findings of this rule were not listed");
	mg_artifact_free(&a);
}
END_TEST

/*
 * The caps live in mg_artifact_add alone: code that adds findings keeps no
 * per-rule counters (arrays of MG_R__COUNT) and no cap of its own.
 */
START_TEST(no_parser_keeps_its_own_cap)
{
	static const char *const banned[] = { "MG_R__COUNT", "SAME_FINDINGS",
	    "_REPEAT", "PICKLE_SAME", "nsame", NULL };
	char dir[4096], path[4400];
	struct dirent *de;
	size_t nfiles = 0, k;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/src", tu_env("MG_SRCDIR"));
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char *text;

		if (n < 3 || strcmp(de->d_name + n - 2, ".c") != 0 ||
		    strcmp(de->d_name, "artifact.c") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_ptr_nonnull(text = tu_slurp(path, NULL));
		if (strstr(text, "mg_artifact_add") != NULL) {
			nfiles++;
			for (k = 0; banned[k] != NULL; k++)
				ck_assert_msg(strstr(text, banned[k]) == NULL,
				    "src/%s mentions %s: findings are capped "
				    "by mg_artifact_add only", de->d_name,
				    banned[k]);
		}
		free(text);
	}
	closedir(d);
	ck_assert_uint_ge(nfiles, 5);
}
END_TEST

/*
 * Formats are table entries: no source compares an artifact's format, a
 * claim or an unchecked reading by its name, and two entries share a name
 * only where mg_fmt_same_name says they are one reported format.
 */
START_TEST(formats_compared_by_entry)
{
	static const char *const banned[] = { "format->name, \"",
	    "format->name) == 0", "strcmp(a->format", "strcmp(fmt->name",
	    "claimed_as->name)", "unchecked_as->name)", NULL };
	char dir[4096], path[4400];
	struct dirent *de;
	size_t i, j, k;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/src", tu_env("MG_SRCDIR"));
	ck_assert_ptr_nonnull(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char *text;

		if (n < 3 || strcmp(de->d_name + n - 2, ".c") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ck_assert_ptr_nonnull(text = tu_slurp(path, NULL));
		for (k = 0; banned[k] != NULL; k++)
			ck_assert_msg(strstr(text, banned[k]) == NULL,
			    "src/%s compares a format by name (%s)", de->d_name,
			    banned[k]);
		free(text);
	}
	closedir(d);
	for (i = 0; i < mg_fmt_count(); i++)
		for (j = i + 1; j < mg_fmt_count(); j++)
			if (strcmp(mg_fmt_at(i)->name, mg_fmt_at(j)->name) == 0)
				ck_assert_msg(mg_fmt_same_name(mg_fmt_at(i),
				    mg_fmt_at(j)), "two entries named %s",
				    mg_fmt_at(i)->name);
}
END_TEST

/* Chat templates: real ones pass, injection markers do not. */
START_TEST(template_markers)
{
	static const char *const clean[] = {
		"{% set loop_messages = messages %}{% for message in "
		"loop_messages %}{% set content = '<|start_header_id|>' + "
		"message['role'] + '<|end_header_id|>\\n\\n' + "
		"message['content'] | trim + '<|eot_id|>' %}{{ content }}"
		"{% endfor %}",
		"{%- set ns = namespace(found=false) -%}{%- if "
		"message['tool_calls'] -%}{{ raise_exception('x') }}{%- endif "
		"-%}{{ strftime_now('%Y') }}{{ name | replace('_', ' ') }}",
	};
	static const struct {
		const char	*t;
		const char	*what;
	} bad[] = {
		{ "{{ ''.__class__.__mro__[1].__subclasses__() }}", "dunder" },
		{ "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
		    "dunder" },
		{ "{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}", "attr" },
		{ "{{ x | attr ('a') }}", "attr" },
		{ "{{ lipsum['\\137\\137globals\\137\\137'] }}", "escaped" },
		{ "{{ request.application.subprocess }}", "subprocess" },
	};
	const char *what;
	size_t i, at;

	for (i = 0; i < sizeof(clean) / sizeof(clean[0]); i++)
		ck_assert_msg(!mg_template_suspicious(clean[i], strlen(clean[i]),
		    &what, &at), "clean template %zu flagged: %s", i, what);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(mg_template_suspicious(bad[i].t, strlen(bad[i].t),
		    &what, &at), "attack %zu not flagged", i);
		ck_assert_msg(strstr(what, bad[i].what) != NULL,
		    "attack %zu: %s", i, what);
	}
}
END_TEST

START_TEST(json_numbers_exact)
{
	cJSON *j;
	char *s;

	j = mg_json_u64(UINT64_MAX);
	s = cJSON_PrintUnformatted(j);
	ck_assert_str_eq(s, "18446744073709551615");
	free(s);
	cJSON_Delete(j);
	j = mg_json_i64(INT64_MIN);
	s = cJSON_PrintUnformatted(j);
	ck_assert_str_eq(s, "-9223372036854775808");
	free(s);
	cJSON_Delete(j);
	j = mg_json_double((double)1e-5f);
	s = cJSON_PrintUnformatted(j);
	ck_assert_double_eq(strtod(s, NULL), (double)1e-5f);
	ck_assert_uint_le(strlen(s), 24);
	free(s);
	cJSON_Delete(j);
	j = mg_json_double(10000.0);
	s = cJSON_PrintUnformatted(j);
	ck_assert_str_eq(s, "10000.0");
	free(s);
	cJSON_Delete(j);
}
END_TEST

START_TEST(strset_dups)
{
	/* Default, sized for fewer and for more than it gets, empty hints. */
	static const size_t hint[][2] = {
		{ 0, 0 }, { 10, 16 }, { 100, 1000 }, { 20000, 200000 }, { 0, 1 }
	};
	char k[32];
	size_t h;
	int i;

	for (h = 0; h < sizeof(hint) / sizeof(hint[0]); h++) {
		struct mg_strset *s = h == 0 ? mg_strset_new() :
		    mg_strset_new_sized(hint[h][0], hint[h][1]);

		ck_assert_ptr_nonnull(s);
		for (i = 0; i < 5000; i++) {
			snprintf(k, sizeof(k), "key.%d", i);
			ck_assert_int_eq(mg_strset_add(s, k, strlen(k)), 1);
		}
		ck_assert_int_eq(mg_strset_add(s, "key.42", 6), 0);
		ck_assert(mg_strset_has(s, "key.4999", 8));
		ck_assert(!mg_strset_has(s, "key.5000", 8));
		ck_assert(!mg_strset_has(s, "key.499", 8));
		ck_assert_int_eq(mg_strset_add(s, "", 0), 1);
		ck_assert_int_eq(mg_strset_add(s, "", 0), 0);
		/* Words and tails: strings that differ only past 8 bytes. */
		ck_assert_int_eq(mg_strset_add(s, "abcdefgh\0", 9), 1);
		ck_assert_int_eq(mg_strset_add(s, "abcdefgh", 8), 1);
		ck_assert_int_eq(mg_strset_add(s, "abcdefgh\0\0", 10), 1);
		ck_assert_int_eq(mg_strset_add(s, "abcdefgh\0", 9), 0);
		ck_assert_uint_eq(mg_strset_count(s), 5004);
		mg_strset_free(s);
	}
}
END_TEST

struct pool_arg {
	int	dummy;
};

static void *
p_init(void *arg)
{
	return arg;
}

static void
p_work(void *wctx, void *job)
{
	(void)wctx;
	*(int *)job *= 2;
}

static void
p_fini(void *wctx)
{
	(void)wctx;
}

/* p_work for a job the test reads while the pool runs. */
static void
p_work_atomic(void *wctx, void *job)
{
	(void)wctx;
	__atomic_store_n((int *)job, __atomic_load_n((int *)job,
	    __ATOMIC_SEQ_CST) * 2, __ATOMIC_SEQ_CST);
}

/* n jobs through a pool of nthreads and qcap: each is done, once. */
static void
pool_doubles(const struct mg_pool_ops *ops, unsigned nthreads, size_t qcap,
    int n, int (*submit)(struct mg_pool *, void *))
{
	struct mg_pool *p;
	int jobs[1000], i;

	ck_assert_int_le(n, 1000);
	ck_assert_int_eq(mg_pool_new(&p, nthreads, qcap, ops), MG_OK);
	for (i = 0; i < n; i++) {
		jobs[i] = i;
		ck_assert_int_eq(submit(p, &jobs[i]), MG_OK);
	}
	ck_assert_int_eq(mg_pool_finish(p), MG_OK);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(jobs[i], 2 * i);
}

START_TEST(pool_runs_every_job)
{
	struct pool_arg pa;
	struct mg_pool_ops ops = { p_init, p_work, p_fini, &pa };

	pool_doubles(&ops, 3, 2, 1000, mg_pool_submit);
}
END_TEST

/*
 * Batched submission: fewer jobs than a batch run once kicked, without
 * waiting for the end; a small queue still fills and drains; finishing
 * runs whatever is left.
 */
START_TEST(pool_batched_submission)
{
	struct pool_arg pa;
	struct mg_pool_ops ops = { p_init, p_work_atomic, p_fini, &pa };
	struct mg_pool *p;
	int jobs[3], i, k;

	ck_assert_int_eq(mg_pool_new(&p, 2, 64, &ops), MG_OK);
	for (i = 0; i < 3; i++) {
		jobs[i] = i + 1;
		ck_assert_int_eq(mg_pool_submit_batched(p, &jobs[i]), MG_OK);
	}
	mg_pool_kick(p);
	for (k = 0; k < 5000; k++) {
		if (__atomic_load_n(&jobs[0], __ATOMIC_SEQ_CST) == 2 &&
		    __atomic_load_n(&jobs[1], __ATOMIC_SEQ_CST) == 4 &&
		    __atomic_load_n(&jobs[2], __ATOMIC_SEQ_CST) == 6)
			break;
		usleep(1000);
	}
	ck_assert_msg(k < 5000, "kicked jobs did not run");
	ck_assert_int_eq(mg_pool_finish(p), MG_OK);
	/* A queue smaller than a batch: it wakes a worker when full. */
	pool_doubles(&ops, 1, 2, 300, mg_pool_submit_batched);
}
END_TEST

struct seen {
	char	list[8192];
	char	listings[8192];	/* "dir: name|name|...\n" per listing */
	int	errors;
	int	leaves;		/* of them, with nothing below */
	int	open_fds;	/* files handed over open */
};

static int
w_file(void *arg, const char *fspath, const char *display, int sidecars,
    const char *root_real, const struct stat *st, int fd)
{
	struct seen *s = arg;

	(void)fspath;
	(void)sidecars;
	(void)root_real;
	if (fd >= 0) {
		struct stat fst;

		/* Handed over open: the very file st describes. */
		ck_assert_int_eq(fstat(fd, &fst), 0);
		ck_assert(fst.st_dev == st->st_dev && fst.st_ino == st->st_ino);
		ck_assert(S_ISREG(fst.st_mode));
		s->open_fds++;
		close(fd);
	}
	strncat(s->list, display, sizeof(s->list) - strlen(s->list) - 2);
	strcat(s->list, "\n");
	return 0;
}

static void
w_err(void *arg, const char *display, const char *msg, int leaf)
{
	struct seen *s = arg;

	(void)display;
	(void)msg;
	s->errors++;
	s->leaves += leaf != 0;
}

static void
w_listing(void *arg, const char *dir, size_t dirlen, char *const *names,
    size_t n)
{
	struct seen *s = arg;
	size_t i, at = strlen(s->listings);

	at += (size_t)snprintf(s->listings + at, sizeof(s->listings) - at,
	    "%.*s:", (int)dirlen, dir);
	for (i = 0; i < n && at < sizeof(s->listings); i++)
		at += (size_t)snprintf(s->listings + at,
		    sizeof(s->listings) - at, " %s", names[i]);
	if (at < sizeof(s->listings))
		snprintf(s->listings + at, sizeof(s->listings) - at, "\n");
}

static void
touch(const char *p)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	close(fd);
}

/*
 * Default worker threads: a CPU affinity narrows them (taskset), and so
 * does a cgroup quota, v2 (cpu.max along the cgroup's path, the smallest)
 * or v1 (cfs_quota_us / cfs_period_us, rounded up).
 */
START_TEST(default_jobs_follow_limits)
{
	char *t = tu_tmpdir(), p[512];
	cpu_set_t one, all;

	/* v2: the parent's 1.5 CPUs under the leaf's 4 count, as 2. */
	tu_write(t, "cg2", "0::/kubepods/pod1/c1\n");
	snprintf(p, sizeof(p), "mkdir -p '%s/fs/kubepods/pod1/c1'", t);
	tu_sh("%s", p);
	snprintf(p, sizeof(p), "%s/fs/kubepods/pod1/c1", t);
	tu_write(p, "cpu.max", "400000 100000\n");
	snprintf(p, sizeof(p), "%s/fs/kubepods/pod1", t);
	tu_write(p, "cpu.max", "150000 100000\n");
	snprintf(p, sizeof(p), "%s/fs/kubepods", t);
	tu_write(p, "cpu.max", "max 100000\n");
	snprintf(p, sizeof(p), "%s/fs", t);
	{
		char cg[512];

		snprintf(cg, sizeof(cg), "%s/cg2", t);
		ck_assert_int_eq(mg_run_cgroup_cpus(cg, p), 2);
		/* No quota anywhere: none. */
		tu_write(t, "cg2", "0::/\n");
		ck_assert_int_eq(mg_run_cgroup_cpus(cg, p), 0);
		/* v1, a hybrid listing: quota 3.2 CPUs is 4. */
		tu_write(t, "cg2", "12:cpu,cpuacct:/x\n0::/\n");
		snprintf(p, sizeof(p), "mkdir -p '%s/fs/cpu'", t);
		tu_sh("%s", p);
		snprintf(p, sizeof(p), "%s/fs/cpu", t);
		tu_write(p, "cpu.cfs_quota_us", "320000\n");
		tu_write(p, "cpu.cfs_period_us", "100000\n");
		snprintf(p, sizeof(p), "%s/fs", t);
		ck_assert_int_eq(mg_run_cgroup_cpus(cg, p), 4);
		/* v1: the process's own cgroup below the mount counts. */
		tu_write(t, "cg2", "1:cpu:/x\n");
		snprintf(p, sizeof(p), "mkdir -p '%s/fs/cpu/x'", t);
		tu_sh("%s", p);
		snprintf(p, sizeof(p), "%s/fs/cpu/x", t);
		tu_write(p, "cpu.cfs_quota_us", "100000\n");
		tu_write(p, "cpu.cfs_period_us", "100000\n");
		snprintf(p, sizeof(p), "%s/fs", t);
		ck_assert_int_eq(mg_run_cgroup_cpus(cg, p), 1);
		/* A named v1 hierarchy first, the CPU controller on v2. */
		tu_write(t, "cg2", "1:name=systemd:/user.slice\n"
		    "0::/kubepods/pod1/c1\n");
		ck_assert_int_eq(mg_run_cgroup_cpus(cg, p), 2);
		tu_write(t, "cg2", "12:cpu,cpuacct:/x\n0::/\n");
		snprintf(p, sizeof(p), "rm -r '%s/fs/cpu/x'", t);
		tu_sh("%s", p);
		snprintf(p, sizeof(p), "%s/fs", t);
		/* Unlimited (-1), garbage and missing files: none. */
		snprintf(p, sizeof(p), "%s/fs/cpu", t);
		tu_write(p, "cpu.cfs_quota_us", "-1\n");
		snprintf(p, sizeof(p), "%s/fs", t);
		ck_assert_int_eq(mg_run_cgroup_cpus(cg, p), 0);
		ck_assert_int_eq(mg_run_cgroup_cpus("/nonexistent", p), 0);
	}
	/* One CPU allowed: one worker (Check runs each test in a child). */
	ck_assert_int_eq(sched_getaffinity(0, sizeof(all), &all), 0);
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
	if (sched_setaffinity(0, sizeof(one), &one) == 0) {
		ck_assert_uint_eq(mg_run_default_jobs(), 1);
		(void)sched_setaffinity(0, sizeof(all), &all);
	}
	ck_assert_uint_ge(mg_run_default_jobs(), 1);
	tu_rmrf(t);
	free(t);
}
END_TEST

START_TEST(walk_sorted_no_symlinks)
{
	char root[] = "/tmp/mgwalkXXXXXX", p[512];
	struct mg_walk_ops ops;
	struct mg_walk_opts wo = { 0 };
	struct seen s;

	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/b", root); mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/.git", root); mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/.git/x", root); touch(p);
	snprintf(p, sizeof(p), "%s/b/z", root); touch(p);
	snprintf(p, sizeof(p), "%s/a", root); touch(p);
	snprintf(p, sizeof(p), "%s/new\nline", root); touch(p);
	snprintf(p, sizeof(p), "%s/bad\xff", root); touch(p);
	snprintf(p, sizeof(p), "%s/link", root); ck_assert_int_eq(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/self", root); ck_assert_int_eq(symlink(".", p), 0);
	/* Dangling (its target may exist by deploy time) and a device. */
	snprintf(p, sizeof(p), "%s/later.bin", root);
	ck_assert_int_eq(symlink("/nonexistent/mg/evil.pkl", p), 0);
	snprintf(p, sizeof(p), "%s/zero.safetensors", root);
	ck_assert_int_eq(symlink("/dev/zero", p), 0);

	memset(&s, 0, sizeof(s));
	ops.file = w_file;
	ops.error = w_err;
	ops.idle = NULL;
	ops.listing = w_listing;
	ops.arg = &s;
	wo.open_files = 1;
	ck_assert_int_eq(mg_walk(root, &wo, &ops, NULL), MG_OK);
	{
		char want[1024];

		snprintf(want, sizeof(want), "%s/a\n%s/b/z\n%s/bad\xff\n%s/new\nline\n",
		    root, root, root, root);
		ck_assert_str_eq(s.list, want);
		/*
		 * Each directory that gave files lists every entry, sorted,
		 * keyed as its files' display paths are (.git gave none):
		 * after the subdirectory's, as the walk leaves each.
		 */
		snprintf(want, sizeof(want), "%s/b: z\n%s: .git a b bad\xff "
		    "later.bin link new\nline self zero.safetensors\n", root,
		    root);
		ck_assert_str_eq(s.listings, want);
	}
	/*
	 * Links not followed are reported, never skipped in silence; only
	 * the one to a device has nothing below it.
	 */
	ck_assert_int_eq(s.errors, 4);
	ck_assert_int_eq(s.leaves, 1);
	/*
	 * Files readdir calls regular come open; where the file system
	 * names no types, none do, and the walk stats them instead.
	 */
	{
		DIR *d = opendir(root);
		struct dirent *de;
		int typed = 0;

		ck_assert_ptr_nonnull(d);
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, "a") == 0)
				typed = de->d_type == DT_REG;
		closedir(d);
		ck_assert_int_eq(s.open_fds, typed ? 4 : 0);
	}

	/* A root written with a trailing slash keys its files' directory. */
	{
		char slashed[600], want[1024];

		snprintf(slashed, sizeof(slashed), "%s/b/", root);
		memset(&s, 0, sizeof(s));
		ck_assert_int_eq(mg_walk(slashed, &wo, &ops, NULL), MG_OK);
		snprintf(want, sizeof(want), "%s/b/z\n", root);
		ck_assert_str_eq(s.list, want);
		snprintf(want, sizeof(want), "%s/b: z\n", root);
		ck_assert_str_eq(s.listings, want);
	}
	/* Following: /etc is outside the root, "." loops. */
	memset(&s, 0, sizeof(s));
	wo.follow_symlinks = 1;
	ck_assert_int_eq(mg_walk(root, &wo, &ops, NULL), MG_OK);
	ck_assert_int_eq(s.errors, 4);
	ck_assert_ptr_null(strstr(s.list, "passwd"));
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		ck_assert_int_eq(system(cmd), 0);
	}
}
END_TEST

/* One key per path, whatever the spelling; purely lexical. */
START_TEST(path_keys)
{
	static const struct {
		const char *cwd, *in, *abs, *key;
	} t[] = {
		{ "/w", "models", "/w/models", "models" },
		{ "/w", "./models//a.gguf", "/w/models/a.gguf", "models/a.gguf" },
		{ "/w", "models/../models/a", "/w/models/a", "models/a" },
		{ "/w", "/w/models/a", "/w/models/a", "models/a" },
		{ "/w", ".", "/w", "." },
		{ "/w", "/w", "/w", "." },
		{ "/w", "../x/a", "/x/a", "/x/a" },
		{ "/w", "/wx/a", "/wx/a", "/wx/a" },
		{ "/", "a/b", "/a/b", "a/b" },
		{ "/w", "/../../a", "/a", "/a" },
		{ "/w/sub", "a/./b/", "/w/sub/a/b", "a/b" },
		{ NULL, "./a//b/../c", "a/c", "a/c" },
		{ NULL, "../a", "../a", "../a" },
		{ NULL, "a/../../b", "../b", "../b" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char *a = mg_path_abs(t[i].cwd, t[i].in);
		char *k = mg_path_key(t[i].cwd, t[i].in);

		ck_assert_msg(a != NULL && strcmp(a, t[i].abs) == 0,
		    "abs(%s, %s) = %s", t[i].cwd, t[i].in, a);
		ck_assert_msg(k != NULL && strcmp(k, t[i].key) == 0,
		    "key(%s, %s) = %s", t[i].cwd, t[i].in, k);
		free(a);
		free(k);
	}
	ck_assert(mg_path_key_covers(".", "models/a"));
	ck_assert(!mg_path_key_covers(".", "/abs/a"));
	ck_assert(!mg_path_key_covers(".", "../a"));
	ck_assert(mg_path_key_covers("models", "models"));
	ck_assert(mg_path_key_covers("models", "models/a"));
	ck_assert(!mg_path_key_covers("models", "models2/a"));
	ck_assert(mg_path_key_covers("/", "/x"));
}
END_TEST

START_TEST(path_display)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "models/a.gguf", "models/a.gguf" },
		{ "./models//a.gguf", "models/a.gguf" },
		{ "././/a", "a" },
		{ "a/./b//c", "a/b/c" },
		{ "../a//b", "../a/b" },
		{ "a/../b", "a/../b" },
		{ "/abs//x", "/abs/x" },
	};
	char buf[64], small[4];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *d = mg_path_display(t[i].in, buf, sizeof(buf));

		ck_assert_msg(strcmp(d, t[i].out) == 0, "display(%s) = %s",
		    t[i].in, d);
	}
	ck_assert_str_eq(mg_path_display("a//bcdef", small, sizeof(small)),
	    "a/b");
	ck_assert_str_eq(mg_path_skip_dot("./"), "");
	ck_assert(mg_path_climbs(".."));
	ck_assert(mg_path_climbs("../a"));
	ck_assert(!mg_path_climbs("..a"));
	ck_assert(!mg_path_climbs("a/.."));
}
END_TEST

static void
note_line(void *arg, size_t off, size_t line)
{
	size_t *n = arg;

	(void)off;
	n[n[0] + 1] = line;
	n[0]++;
}

START_TEST(jsonlex_modes)
{
	static const char doc[] = "{\"a\": [1],\n\"artifacts\": [\n{},\n"
	    "{\"x\": [2, 3]}]}";
	struct mg_jsonlex lx;
	size_t lines[8] = { 0 };

	/* Loose: separators counted, elements of one member noted. */
	memset(&lx, 0, sizeof(lx));
	lx.array = "artifacts";
	lx.element = note_line;
	lx.arg = lines;
	ck_assert_int_eq(mg_jsonlex(&lx, doc, strlen(doc), 0), MG_OK);
	ck_assert_uint_eq(lx.values, 10);
	ck_assert_uint_eq(lines[0], 2);
	ck_assert_uint_eq(lines[1], 3);
	ck_assert_uint_eq(lines[2], 4);
	lx.flags = MG_JSONLEX_COLONS;
	ck_assert_int_eq(mg_jsonlex(&lx, doc, strlen(doc), 0), MG_OK);
	ck_assert_uint_eq(lx.values, 13);
	lx.max_depth = 2;
	ck_assert_int_eq(mg_jsonlex(&lx, doc, strlen(doc), 0), MG_ERR_LIMIT);
	ck_assert_str_eq(lx.msg, "nested deeper than 2 levels");
	memset(&lx, 0, sizeof(lx));
	lx.flags = MG_JSONLEX_NO_NUL;
	ck_assert_int_eq(mg_jsonlex(&lx, "[\"\\u0000\"]", 10, 0),
	    MG_ERR_LIMIT);

	/* Strict: a value table in cJSON's pre-order, and the grammar. */
	memset(&lx, 0, sizeof(lx));
	lx.flags = MG_JSONLEX_STRICT;
	lx.max_depth = 8;
	ck_assert_int_eq(mg_jsonlex(&lx, doc, strlen(doc), 0), MG_OK);
	ck_assert_uint_eq(lx.nv, 9);
	ck_assert_uint_eq(lx.v[0].desc, 8);
	ck_assert_uint_eq(lx.v[0].key, MG_JSONLEX_NOKEY);
	ck_assert_uint_eq(lx.v[1].key, 1);
	ck_assert_uint_eq(lx.v[2].len, 1);
	ck_assert_int_eq(mg_jsonlex(&lx, "[01]", 4, 0), MG_ERR_FORMAT);
	ck_assert_str_eq(lx.msg, "invalid number (leading zero)");
	ck_assert_uint_eq(lx.err_off, 1);
	mg_jsonlex_free(&lx);
}
END_TEST

Suite *
core_suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, rd_getters_bounds);
	tcase_add_test(tc, path_display);
	tcase_add_test(tc, jsonlex_modes);
	tcase_add_test(tc, rd_hash_one_pass);
	tcase_add_test(tc, rd_source_shrank);
	tcase_add_test(tc, rd_source_grew);
	tcase_add_test(tc, rd_expect_sizes_reads);
	tcase_add_test(tc, sort_is_stable_and_exact);
	tcase_add_test(tc, utf8_sanitise);
	tcase_add_test(tc, utf8_maximal_subparts);
	tcase_add_test(tc, utf8_fast_paths_match_reference);
	tcase_add_test(tc, rd_fast_getters);
	tcase_add_test(tc, fmt_double_matches_search);
	tcase_add_test(tc, json_numbers_exact);
	tcase_add_test(tc, default_jobs_follow_limits);
	tcase_add_test(tc, pool_batched_submission);
	tcase_add_test(tc, template_markers);
	tcase_add_test(tc, findings_cap_and_limit_rule);
	tcase_add_test(tc, findings_capped_per_rule);
	tcase_add_test(tc, findings_capped_per_rule_interleaved);
	tcase_add_test(tc, no_parser_keeps_its_own_cap);
	tcase_add_test(tc, formats_compared_by_entry);
	tcase_add_test(tc, printable_defuses_controls_and_workflow_commands);
	tcase_add_test(tc, strset_dups);
	tcase_add_test(tc, path_keys);
	tcase_add_test(tc, pool_runs_every_job);
	tcase_add_test(tc, walk_sorted_no_symlinks);
	suite_add_tcase(s, tc);
	return s;
}
