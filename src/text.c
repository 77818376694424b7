/*
 * text.c - UTF-8 validation and sanitising, exact JSON numbers.
 *
 * Reports must be valid UTF-8 JSON whatever bytes an artifact holds, and
 * integers must survive exactly (cJSON stores numbers as doubles, which
 * loses precision past 2^53), so integers are emitted as raw JSON text.
 *
 * Invalid UTF-8 becomes one U+FFFD per maximal subpart (The Unicode
 * Standard, 3.9, "U+FFFD Substitution of Maximal Subparts"; WHATWG
 * Encoding does the same): a truncated sequence such as E4 B8 is one
 * replacement, not two.  Python's decoder, and so l-bom, does the same, so
 * the two tools print the same string for the same bytes.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MG_UTF8_AVX2	1	/* 32-byte steps where the CPU has AVX2 */
#endif

#include "text.h"

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when invalid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* 8 bytes as a word, whatever the alignment. */

static inline uint32_t
word4(const unsigned char *p)
{
	uint32_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

#define HIGH_BITS	0x8080808080808080ull

#ifdef __SSE2__
/*
 * Whole sequences from p[i], 16 bytes a step, while they are ASCII,
 * 2-byte sequences (C2-DF then 80-BF) or 3-byte ones led by E1-EC or
 * EE-EF (then any two of 80-BF): the forms vocabularies and templates are
 * made of.  Each byte is classed at once and every continuation must sit
 * exactly where a lead asks for one; a lead near the end of a step carries
 * its demand into the next.  E0 and ED (whose second byte has a narrower
 * range), 4-byte sequences and anything invalid stop the step.  Returns
 * where the scalar loop takes over: the start of the sequence that
 * stopped it, or of one that the end cut.
 */
static size_t
utf8_span16(const unsigned char *p, size_t i, size_t n)
{
	const __m128i c0 = _mm_set1_epi8((char)0xc0);
	const __m128i c1 = _mm_set1_epi8((char)0xc1);
	const __m128i df = _mm_set1_epi8((char)0xdf);
	const __m128i e0 = _mm_set1_epi8((char)0xe0);
	const __m128i ed = _mm_set1_epi8((char)0xed);
	const __m128i f0 = _mm_set1_epi8((char)0xf0);
	unsigned carry = 0, back = 0;

	while (n - i >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + i));
		unsigned hi = (unsigned)_mm_movemask_epi8(x);
		unsigned cont, l2, l3, odd, want;

		if (hi == 0) {
			if (carry != 0)
				break;
			i += 16;
			continue;
		}
		/* Signed compares: 80-BF < C0 <= C2-DF < E0 <= E1-EF < F0. */
		cont = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(x, c0));
		l2 = (unsigned)_mm_movemask_epi8(_mm_and_si128(
		    _mm_cmpgt_epi8(x, c1), _mm_cmplt_epi8(x, e0)));
		l3 = (unsigned)_mm_movemask_epi8(_mm_and_si128(
		    _mm_cmpgt_epi8(x, df), _mm_cmplt_epi8(x, f0)));
		odd = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_cmpeq_epi8(x, e0), _mm_cmpeq_epi8(x, ed)));
		want = (l2 << 1) | (l3 << 1) | (l3 << 2) | carry;
		if (hi != (cont | l2 | l3) || odd != 0 ||
		    (want & 0xffffu) != cont)
			break;
		carry = want >> 16;
		back = (l3 & 0x4000u) != 0 ? 2 : carry != 0;
		i += 16;
	}
	return carry != 0 ? i - back : i;
}
#endif

#ifdef MG_UTF8_AVX2
/* utf8_span16() 32 bytes a step, for CPUs with AVX2 (see utf8_avx2()). */
__attribute__((target("avx2"))) static size_t
utf8_span32(const unsigned char *p, size_t i, size_t n)
{
	const __m256i c0 = _mm256_set1_epi8((char)0xc0);
	const __m256i c1 = _mm256_set1_epi8((char)0xc1);
	const __m256i df = _mm256_set1_epi8((char)0xdf);
	const __m256i e0 = _mm256_set1_epi8((char)0xe0);
	const __m256i ed = _mm256_set1_epi8((char)0xed);
	const __m256i f0 = _mm256_set1_epi8((char)0xf0);
	uint64_t carry = 0, back = 0;

	while (n - i >= 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(p + i));
		uint64_t hi = (uint32_t)_mm256_movemask_epi8(x);
		uint64_t cont, l2, l3, odd, want;

		if (hi == 0) {
			if (carry != 0)
				break;
			i += 32;
			continue;
		}
		/* Signed compares: 80-BF < C0 <= C2-DF < E0 <= E1-EF < F0. */
		cont = (uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(c0, x));
		l2 = (uint32_t)_mm256_movemask_epi8(_mm256_and_si256(
		    _mm256_cmpgt_epi8(x, c1), _mm256_cmpgt_epi8(e0, x)));
		l3 = (uint32_t)_mm256_movemask_epi8(_mm256_and_si256(
		    _mm256_cmpgt_epi8(x, df), _mm256_cmpgt_epi8(f0, x)));
		odd = (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(
		    _mm256_cmpeq_epi8(x, e0), _mm256_cmpeq_epi8(x, ed)));
		want = (l2 << 1) | (l3 << 1) | (l3 << 2) | carry;
		if (hi != (cont | l2 | l3) || odd != 0 ||
		    (want & 0xffffffffu) != cont)
			break;
		carry = want >> 32;
		back = (l3 & 0x40000000u) != 0 ? 2 : carry != 0;
		i += 32;
	}
	return carry != 0 ? i - back : i;
}

/* Whether this CPU runs utf8_span32() (the compiler's CPU probe). */
static int
utf8_avx2(void)
{
	return __builtin_cpu_supports("avx2");
}
#endif

/*
 * The validator's core.  Long text goes to the 16-byte steps above; the
 * rest, and whatever stops them, is checked 8 bytes at a time: the first
 * byte with its high bit set is found from the word (on little-endian
 * hosts), decoded there (2-byte sequences inline), and the word loop
 * resumes after it.  A step that made no progress is not retried for 16
 * bytes, so text full of what it leaves aside costs little more.
 * padded: s[n..n+8) may be read too (the bytes are masked off, never
 * judged), so short strings need no byte loop either.
 */
static inline int
utf8_valid_core(const unsigned char *p, size_t n, int padded)
{
	size_t i = 0, k;
#ifdef __SSE2__
	size_t wide = 0;	/* where 16-byte steps may be tried again */
#endif

	while (i < n) {
		size_t rem = n - i;
		uint64_t m;
		unsigned c;

#ifdef __SSE2__
		if (rem >= 32 && i >= wide) {
			size_t j = i;

#ifdef MG_UTF8_AVX2
			if (rem >= 64 && utf8_avx2())
				j = utf8_span32(p, i, n);
#endif
			j = utf8_span16(p, j, n);

			if (j == i)
				wide = i + 16;
			i = j;
			if ((rem = n - i) == 0)
				break;
		}
#endif
		if (rem >= 8 || padded) {
			uint64_t w = mg_word8(p + i);
			size_t span = rem < 8 ? rem : 8;

			if (rem < 8)
				w &= (1ull << (8 * rem)) - 1;
			if ((m = w & HIGH_BITS) == 0) {
				i += span;
				continue;
			}
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			{
				/*
				 * ASCII and whole 2-byte sequences only, in one
				 * test: every lead C2-DF is followed by a
				 * continuation 80-BF and every continuation
				 * follows such a lead.  A lead in the last byte
				 * is left for the next word.
				 */
				uint64_t cont = w & ~(w << 1) & HIGH_BITS;
				uint64_t lead = w & (w << 1) & ~(w << 2) &
				    ((w << 3) | (w << 4) | (w << 5) | (w << 6)) &
				    HIGH_BITS;
				uint64_t last = 0x80ull << (8 * (span - 1));

				if (m == (lead | cont) && ((lead & ~last) << 8) ==
				    cont && span - ((lead & last) != 0) > 0) {
					i += span - ((lead & last) != 0);
					continue;
				}
			}
			i += (size_t)__builtin_ctzll(m) >> 3;
#else
			while (p[i] < 0x80)
				i++;
#endif
		} else if (p[i] < 0x80) {
			i++;
			continue;
		}
		c = p[i];
		if (c >= 0xc2 && c <= 0xdf) {
			if (n - i < 2 || (p[i + 1] & 0xc0) != 0x80)
				return 0;
			i += 2;
			continue;
		}
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

int
mg_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;

	/* Short ASCII strings (most tokens): two overlapping loads. */
	if (n <= 16) {
		uint64_t w;

		if (n >= 8)
			w = mg_word8(p) | mg_word8(p + n - 8);
		else if (n >= 4)
			w = word4(p) | word4(p + n - 4);
		else
			w = n == 0 ? 0 : (uint64_t)(p[0] | p[n / 2] | p[n - 1]);
		if ((w & HIGH_BITS) == 0)
			return 1;
	}
	return utf8_valid_core(p, n, 0);
}

int
mg_utf8_valid_padded(const char *s, size_t n)
{
	return utf8_valid_core((const unsigned char *)s, n, 1);
}

/*
 * Length of the maximal subpart at s[0..n), where no valid sequence
 * starts: the lead byte plus the continuation bytes that could still have
 * completed it.  At least 1.
 */
static size_t
utf8_subpart(const unsigned char *s, size_t n)
{
	unsigned c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, k;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* else overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* else a surrogate */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;	/* else overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* else past U+10FFFF */
	} else
		return 1;
	for (k = 1; k < len && k < n; k++) {
		if (s[k] < lo || s[k] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	return k;
}

size_t
mg_utf8_clean_into(char *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, k;

	/* The common case, clean text: one exact copy. */
	if (memchr(s, '\0', n) == NULL && mg_utf8_valid(s, n)) {
		memcpy(out, s, n);
		out[n] = '\0';
		return n;
	}
	while (i < n) {
		if (p[i] != 0 && (k = utf8_seq(p + i, n - i)) != 0) {
			memcpy(out + o, p + i, k);
			o += k;
			i += k;
		} else {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += p[i] != 0 ? utf8_subpart(p + i, n - i) : 1;
		}
	}
	out[o] = '\0';
	return o;
}

char *
mg_utf8_dup(const char *s, size_t n)
{
	char *out;

	if (memchr(s, '\0', n) == NULL && mg_utf8_valid(s, n)) {
		if ((out = malloc(n + 1)) == NULL)
			return NULL;
		memcpy(out, s, n);
		out[n] = '\0';
		return out;
	}
	/* Worst case: every byte becomes the 3-byte U+FFFD. */
	if (n > (SIZE_MAX - 1) / 3 || (out = malloc(n * 3 + 1)) == NULL)
		return NULL;
	mg_utf8_clean_into(out, s, n);
	return out;
}

cJSON *
mg_json_str(const char *s, size_t n)
{
	char *t = mg_utf8_dup(s, n);
	cJSON *j;

	if (t == NULL)
		return NULL;
	/*
	 * Hand the sanitised copy to the node instead of copying it again:
	 * cJSON allocates with malloc() unless hooks are installed, and this
	 * program installs none.  The node starts as a null (no string of
	 * its own to allocate and free) and becomes a string holding t, the
	 * state cJSON_CreateString() leaves it in.
	 */
	if ((j = cJSON_CreateNull()) == NULL) {
		free(t);
		return NULL;
	}
	j->type = cJSON_String;
	j->valuestring = t;
	return j;
}

cJSON *
mg_json_raw_own(char *s)
{
	cJSON *j;

	if (s == NULL)
		return NULL;
	if ((j = cJSON_CreateNull()) == NULL) {
		free(s);
		return NULL;
	}
	j->type = cJSON_Raw;	/* as mg_json_str() does for a string */
	j->valuestring = s;
	return j;
}

cJSON *
mg_json_strz(const char *s)
{
	return mg_json_str(s, strlen(s));
}

/*
 * The common case, valid UTF-8 without NUL, is an ordinary cJSON string,
 * printed exactly as before.  Otherwise the JSON text is written here with
 * cJSON's escapes for the valid parts, so both print the same bytes for
 * the same valid input.
 */
size_t
mg_json_bytes_text(char *t, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, k;

	t[o++] = '"';
	while (i < n) {
		unsigned c = p[i];
		const char *e = NULL;

		k = c < 0x80 ? 1 : utf8_seq(p + i, n - i);
		switch (c) {
		case '"':  e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		}
		if (e != NULL) {
			memcpy(t + o, e, 2);
			o += 2;
		} else if (c < 0x20 || k == 0) {
			/* A control as cJSON writes it; a lone byte escaped. */
			memcpy(t + o, c < 0x20 ? "\\u00" : "\\udc", 4);
			o += 4;
			t[o++] = hex[c >> 4];
			t[o++] = hex[c & 15];
			k = 1;
		} else {
			memcpy(t + o, p + i, k);
			o += k;
		}
		i += k;
	}
	t[o++] = '"';
	t[o] = '\0';
	return o;
}

cJSON *
mg_json_bytes(const char *s, size_t n)
{
	cJSON *j;
	char *t;

	if (memchr(s, '\0', n) == NULL && mg_utf8_valid(s, n))
		return mg_json_str(s, n);
	/* At most 6 bytes per input byte ("\udcNN", "\u00NN"), 2 quotes. */
	if (n > (SIZE_MAX - 3) / 6 || (t = malloc(n * 6 + 3)) == NULL)
		return NULL;
	mg_json_bytes_text(t, s, n);
	j = cJSON_CreateRaw(t);
	free(t);
	return j;
}

cJSON *
mg_json_bytesz(const char *s)
{
	return mg_json_bytes(s, strlen(s));
}

/* Decimal text of v, with a '-' when neg, ending at end; the start. */
static char *
dec_text(uint64_t v, int neg, char *end)
{
	char *p = end;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	if (neg)
		*--p = '-';
	return p;
}

cJSON *
mg_json_u64(uint64_t v)
{
	char b[24];

	return cJSON_CreateRaw(dec_text(v, 0, b + sizeof(b) - 1));
}

cJSON *
mg_json_i64(int64_t v)
{
	char b[24];

	/* The magnitude in unsigned arithmetic: INT64_MIN has no negation. */
	return cJSON_CreateRaw(dec_text(v < 0 ? 0 - (uint64_t)v :
	    (uint64_t)v, v < 0, b + sizeof(b) - 1));
}

/*
 * Python's repr() of a float: the shortest digits that read back to the
 * same double, in fixed notation when the decimal exponent is in [-4, 16),
 * else scientific with a sign and at least two exponent digits ("1e-05").
 * Matching it keeps reports comparable with the Python tools they replace.
 */
/* Decimal digits of m into out, trailing zeros dropped; the count. */
static size_t
u64_digits(uint64_t m, char *out, int *ndig)
{
	char t[24];
	size_t n = 0, k;

	do {
		t[n++] = (char)('0' + m % 10);
		m /= 10;
	} while (m > 0);
	*ndig = (int)n;
	k = 0;
	while (k < n - 1 && t[k] == '0')
		k++;
	for (size_t i = 0; i < n - k; i++)
		out[i] = t[n - 1 - i];
	return n - k;
}

/*
 * The shortest digits of |v| without printing and reading back, for the
 * values reports mostly hold: integers below 2^53 and values m / 10^k
 * with m below 2^50.  For those, m / 10^k (exact operands, one correctly
 * rounded division) equals v exactly when strtod("m e-k") does, and the
 * smallest such k gives the digits the search in mg_fmt_double() finds:
 * v * 10^k is within 1/8 of m, so m is also v correctly rounded to that
 * many digits, and a shorter rendering would have matched a smaller k.
 * Returns 0 when v is not of that form.
 */
static int
fast_digits(double a, char *digits, size_t *nd, int *exp10)
{
	static const double p10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17
	};
	int n, k;

	if (!isfinite(a))
		return 0;
	if (a == 0) {
		digits[0] = '0';
		*nd = 1;
		*exp10 = 0;
		return 1;
	}
	if (a < 9007199254740992.0 && a == (double)(uint64_t)a) {
		*nd = u64_digits((uint64_t)a, digits, &n);
		*exp10 = n - 1;
		return 1;
	}
	for (k = 1; k < (int)(sizeof(p10) / sizeof(p10[0])); k++) {
		double t = a * p10[k];
		uint64_t m;

		if (t >= 1125899906842624.0)	/* 2^50 */
			return 0;
		m = (uint64_t)(t + 0.5);
		if (m != 0 && (double)m / p10[k] == a) {
			*nd = u64_digits(m, digits, &n);
			*exp10 = n - 1 - k;
			return 1;
		}
	}
	return 0;
}

/* 1 when "%.*e" of v with prec reads back as v; the text in e. */
static int
round_trips(double v, int prec, char *e, size_t elen)
{
	snprintf(e, elen, "%.*e", prec, v);
	return strtod(e, NULL) == v;
}

/*
 * The smallest precision (0 to 16; 16, that is 17 digits, always reads
 * back) whose "%.*e" text reads back as v, that text left in e.  Reading
 * back is monotone in the precision: the nearest decimal of p + 2 digits
 * is at least as close to v as that of p + 1 digits, and the values that
 * read back as v form an interval around it, symmetric unless v is a
 * power of two (the spacing halves below it).  So a binary search finds
 * what a linear one would, in five conversions rather than up to
 * seventeen; powers of two take the linear search.  The values that get
 * here (fast_digits() takes the short ones) mostly need 16 or 17
 * digits, so those two are looked at first.
 */
static int
shortest_prec(double v, char *e, size_t elen)
{
	int lo = 0, hi = 14, mid, x;

	if (isfinite(v) && v != 0 && fabs(frexp(v, &x)) == 0.5) {
		for (lo = 0; lo < 16; lo++)
			if (round_trips(v, lo, e, elen))
				return lo;
		snprintf(e, elen, "%.*e", 16, v);
		return 16;
	}
	if (!round_trips(v, 15, e, elen)) {
		snprintf(e, elen, "%.*e", 16, v);
		return 16;
	}
	if (!round_trips(v, 14, e, elen)) {
		snprintf(e, elen, "%.*e", 15, v);
		return 15;
	}
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (round_trips(v, mid, e, elen))
			hi = mid;
		else
			lo = mid + 1;
	}
	snprintf(e, elen, "%.*e", lo, v);
	return lo;
}

/*
 * shortest_prec() through a small per-thread memo keyed by the value's
 * bits: a tree of models repeats the same few awkward values (a norm
 * epsilon stored as float32, a rope scale) in every file, and each search
 * costs several print and read-back round trips.
 */
static void
slow_digits(double v, char *e, size_t elen)
{
	static _Thread_local struct {
		uint64_t	bits;
		char		text[40];
	} memo[8];
	static _Thread_local unsigned next, used;
	uint64_t bits;
	unsigned i;

	memcpy(&bits, &v, sizeof(bits));
	for (i = 0; i < used; i++)
		if (memo[i].bits == bits && strlen(memo[i].text) < elen) {
			memcpy(e, memo[i].text, strlen(memo[i].text) + 1);
			return;
		}
	(void)shortest_prec(v, e, elen);
	i = next % 8;
	if (strlen(e) < sizeof(memo[i].text)) {
		memo[i].bits = bits;
		memcpy(memo[i].text, e, strlen(e) + 1);
		next++;
		if (used <= i)
			used = i + 1;
	}
}

void
mg_fmt_double(double v, char *buf, size_t len)
{
	char e[40], digits[24], *p, *x;
	size_t nd = 0, o = 0;
	int exp10, neg;

	if (len < 32) {
		snprintf(buf, len, "%.17g", v);
		return;
	}
	neg = signbit(v) != 0;
	if (!fast_digits(neg ? -v : v, digits, &nd, &exp10)) {
		slow_digits(v, e, sizeof(e));
		neg = e[0] == '-';
		nd = 0;
		for (p = e + neg; *p != '\0' && *p != 'e'; p++)
			if (*p >= '0' && *p <= '9' && nd < sizeof(digits) - 1)
				digits[nd++] = *p;
		while (nd > 1 && digits[nd - 1] == '0')
			nd--;
		x = strchr(e, 'e');
		exp10 = x != NULL ? atoi(x + 1) : 0;
	}
	digits[nd] = '\0';
	if (neg)
		buf[o++] = '-';
	if (exp10 >= -4 && exp10 < 16) {
		int i;

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

cJSON *
mg_json_double(double v)
{
	char b[40];

	if (!isfinite(v))
		return cJSON_CreateNull();
	mg_fmt_double(v, b, sizeof(b));
	return cJSON_CreateRaw(b);
}

/* Decode one code point of valid UTF-8 at s; returns its length. */
static size_t
utf8_cp(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xe0) {
		*cp = ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
		return 2;
	}
	if (s[0] < 0xf0) {
		*cp = ((uint32_t)(s[0] & 0x0f) << 12) |
		    ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
		return 3;
	}
	*cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3f) << 12) |
	    ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
	return 4;
}

/* Code points shown as \u{NNNN}: C1 controls, line separators, bidi controls. */
static int
invisible(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c ||
	    cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * One pass.  At most 4 output bytes per input byte: "\xNN" for one byte,
 * "\u{NNNN}" (8 bytes) for a code point of 2 or 3 bytes, "\\" for one.
 */
char *
mg_text_escape(const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, o = 0, k;
	int colon = 0;		/* the last byte written is a literal ':' */
	uint32_t cp;
	char *out;

	if (n > (SIZE_MAX - 1) / 4 || (out = malloc(n * 4 + 1)) == NULL)
		return NULL;
	while (i < n) {
		unsigned c = p[i];

		k = c < 0x80 ? 1 : utf8_seq(p + i, n - i);
		if (c == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (k == 0 || c < 0x20 || c == 0x7f ||
		    (c == ':' && colon) || (c == '#' && i > 0 &&
		    p[i - 1] == '#' && n - i > 1 && p[i + 1] == '[')) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else if (k > 1 && utf8_cp(p + i, &cp) && invisible(cp)) {
			o += (size_t)sprintf(out + o, "\\u{%04x}", (unsigned)cp);
		} else {
			memcpy(out + o, p + i, k);
			o += k;
		}
		colon = k == 1 && c == ':' && out[o - 1] == ':';
		i += k != 0 ? k : 1;
	}
	out[o] = '\0';
	return out;
}

char *
mg_json_defuse(char *s)
{
	size_t n, k = 0, o = 0, i;
	const char *p;
	char *t;

	if (s == NULL)
		return NULL;
	for (p = s; (p = strstr(p, "##[")) != NULL; p += 2)
		k++;
	if (k == 0)
		return s;
	n = strlen(s);
	if ((t = malloc(n + k * 5 + 1)) == NULL) {
		free(s);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '#' && i > 0 && s[i - 1] == '#' && s[i + 1] == '[') {
			memcpy(t + o, "\\u0023", 6);
			o += 6;
		} else
			t[o++] = s[i];
	}
	t[o] = '\0';
	free(s);
	return t;
}

char *
mg_text_printable(const char *s)
{
	return mg_text_escape(s, strlen(s));
}

/* XML 1.0 forbids or discourages what this replaces; SARIF viewers too. */
char *
mg_text_clean(const char *s, size_t cap)
{
	char *t, *o;
	const unsigned char *p;
	size_t used = 0, k, n;
	uint32_t cp;

	if (s == NULL)
		s = "";
	if ((t = mg_utf8_dup(s, strlen(s))) == NULL)
		return NULL;
	n = strlen(t);
	/* Each output character is at most 3 bytes per input byte. */
	if (n > (SIZE_MAX - 4) / 3 || (o = malloc(n * 3 + 4)) == NULL) {
		free(t);
		return NULL;
	}
	for (p = (const unsigned char *)t; *p != '\0'; p += k) {
		k = utf8_cp(p, &cp);
		if (k > cap - used) {
			memcpy(o + used, "\xe2\x80\xa6", 3);
			used += 3;
			break;
		}
		if ((cp < 0x20 && cp != '\t' && cp != '\n') ||
		    (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff) {
			memcpy(o + used, "\xef\xbf\xbd", 3);
			used += 3;
		} else {
			memcpy(o + used, p, k);
			used += k;
		}
	}
	o[used] = '\0';
	free(t);
	return o;
}

char *
mg_pct_encode(const char *prefix, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t pl = strlen(prefix), n = strlen(s), k;
	char *o;

	if (n > (SIZE_MAX - pl - 1) / 3 || (o = malloc(pl + n * 3 + 1)) == NULL)
		return NULL;
	memcpy(o, prefix, pl);
	k = pl;
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~' || (ch != 0 && strchr(keep, ch) != NULL))
			o[k++] = (char)ch;
		else {
			o[k++] = '%';
			o[k++] = hex[ch >> 4];
			o[k++] = hex[ch & 15];
		}
	}
	o[k] = '\0';
	return o;
}

int
mg_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
mg_json_unescape_bytes(char *buf, size_t *len)
{
	size_t i = 0, o = 0, n = *len;
	int in_str = 0, h, l;

	while (i < n) {
		char c = buf[i];

		if (!in_str) {
			in_str = c == '"';
			buf[o++] = buf[i++];
			continue;
		}
		if (c == '"') {
			in_str = 0;
			buf[o++] = buf[i++];
			continue;
		}
		if (c != '\\' || n - i < 2) {
			buf[o++] = buf[i++];
			continue;
		}
		if (buf[i + 1] == 'u' && n - i >= 6 &&
		    (buf[i + 2] == 'd' || buf[i + 2] == 'D') &&
		    (buf[i + 3] == 'c' || buf[i + 3] == 'C') &&
		    (h = mg_hexval((unsigned char)buf[i + 4])) >= 8 &&
		    (l = mg_hexval((unsigned char)buf[i + 5])) >= 0) {
			buf[o++] = (char)(h << 4 | l);
			i += 6;
			continue;
		}
		/* Any other escape: copy the backslash and what it escapes. */
		buf[o++] = buf[i++];
		buf[o++] = buf[i++];
	}
	*len = o;
	if (o < n)
		buf[o] = '\0';
}
