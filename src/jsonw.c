/*
 * jsonw.c - streaming JSON text in cJSON_Print's layout.
 *
 * The layout rules are cJSON 1.7's print_object, print_array, print_value
 * and print_string_ptr in formatted mode; tests/test_report.c compares
 * this writer's documents with cJSON_Print of the same trees.  Numbers of
 * type cJSON_Number (rare in reports: modelgate writes integers and
 * floats as raw text) are printed by cJSON itself, so its rounding rules
 * need no copy here.
 *
 * Invariants: len <= cap <= max; after an error nothing more is written.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jsonw.h"
#include "text.h"

void
mg_jsonw_init(struct mg_jsonw *w, char *buf, size_t cap, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->p = buf;
	w->cap = buf != NULL ? cap : 0;
	w->max = max;
}

void
mg_jsonw_compact(struct mg_jsonw *w)
{
	w->compact = 1;
}

void
mg_jsonw_free(struct mg_jsonw *w)
{
	if (w->heap)
		free(w->p);
	memset(w, 0, sizeof(*w));
}

/* The buffer grown for n more bytes (room() found too few). */
static int
grow(struct mg_jsonw *w, size_t n)
{
	size_t ncap;
	char *np;

	if (w->err != MG_OK)
		return 0;
	if (n > w->max - w->len) {
		w->err = MG_ERR_LIMIT;
		return 0;
	}
	ncap = w->cap < 4096 ? 4096 : w->cap;
	while (ncap - w->len < n)
		ncap = ncap > w->max / 2 ? w->max : ncap * 2;
	if (w->heap)
		np = realloc(w->p, ncap);
	else if ((np = malloc(ncap)) != NULL && w->len > 0)
		memcpy(np, w->p, w->len);
	if (np == NULL) {
		w->err = MG_ERR_NOMEM;
		return 0;
	}
	w->p = np;
	w->cap = ncap;
	w->heap = 1;
	return 1;
}

/* Room for n more bytes; 0 (and the error set) when there is none. */
static inline int
room(struct mg_jsonw *w, size_t n)
{
	if (__builtin_expect(n <= w->cap - w->len && w->err == MG_OK, 1))
		return 1;
	return grow(w, n);
}

void
mg_jsonw_resume(struct mg_jsonw *w, unsigned depth)
{
	if (depth > MG_JSONW_DEPTH) {
		if (w->err == MG_OK)
			w->err = MG_ERR_INTERNAL;
		return;
	}
	memset(w->more, 1, depth);
	w->depth = depth;
}

/* Inline here: most pieces are a few bytes of known length. */
static inline void
raw(struct mg_jsonw *w, const char *s, size_t n)
{
	if (!room(w, n))
		return;
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

void
mg_jsonw_raw(struct mg_jsonw *w, const char *s, size_t n)
{
	raw(w, s, n);
}

static inline void
put_c(struct mg_jsonw *w, char c)
{
	if (!room(w, 1))
		return;
	w->p[w->len++] = c;
}

static inline void
put_tabs(struct mg_jsonw *w, unsigned n)
{
	if (w->compact || !room(w, n))
		return;
	memset(w->p + w->len, '\t', n);
	w->len += n;
}


static inline uint32_t
word4(const unsigned char *p)
{
	uint32_t x;

	memcpy(&x, p, sizeof(x));
	return x;
}

/* mg_json_special8() on 4 bytes. */
static inline uint32_t
special4(uint32_t x)
{
	uint32_t q = x ^ (0x01010101u * '"'), b = x ^ (0x01010101u * '\\');

	return ((x - 0x01010101u * 0x20) | (q - 0x01010101u) |
	    (b - 0x01010101u)) & ~x & 0x80808080u;
}

/*
 * Whether any of s[0..n) needs an escape, in words only: the last word
 * overlaps the one before rather than stepping past the end.
 */
static inline int
needs_escape(const unsigned char *s, size_t n)
{
	size_t i;

	if (n >= 8) {
		for (i = 0; n - i > 8; i += 8)
			if (mg_json_special8(mg_word8(s + i)) != 0)
				return 1;
		return mg_json_special8(mg_word8(s + n - 8)) != 0;
	}
	if (n >= 4)
		return (special4(word4(s)) | special4(word4(s + n - 4))) != 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
			return 1;
	return 0;
}

/*
 * cJSON's print_string_ptr: '"', '\\' and \b \f \n \r \t escaped by name,
 * other bytes below 0x20 as \u00xx (lowercase), the rest verbatim.
 */
static void
put_escaped(struct mg_jsonw *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	/* Most strings need no escape: quoted and copied in one step. */
	if (!needs_escape(s, n)) {
		if (n > SIZE_MAX - 2 || !room(w, n + 2))
			return;
		w->p[w->len] = '"';
		memcpy(w->p + w->len + 1, str, n);
		w->p[w->len + 1 + n] = '"';
		w->len += n + 2;
		return;
	}
	put_c(w, '"');
	while (i < n) {
		unsigned c;

		if (n - i >= 8 && mg_json_special8(mg_word8(s + i)) == 0) {
			i += 8;
			continue;
		}
		c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		raw(w, str + run, i - run);
		if (!room(w, 6))
			return;
		w->p[w->len++] = '\\';
		switch (c) {
		case '"':
		case '\\':
			w->p[w->len++] = (char)c;
			break;
		case '\b':
			w->p[w->len++] = 'b';
			break;
		case '\f':
			w->p[w->len++] = 'f';
			break;
		case '\n':
			w->p[w->len++] = 'n';
			break;
		case '\r':
			w->p[w->len++] = 'r';
			break;
		case '\t':
			w->p[w->len++] = 't';
			break;
		default:
			memcpy(w->p + w->len, "u00", 3);
			w->len += 3;
			w->p[w->len++] = hex[c >> 4];
			w->p[w->len++] = hex[c & 15];
			break;
		}
		run = ++i;
	}
	raw(w, str + run, n - run);
	put_c(w, '"');
}

/* A member or element written at the innermost writer-level container. */
static void
sep(struct mg_jsonw *w, const char *after, size_t n)
{
	if (w->depth == 0 || w->depth > MG_JSONW_DEPTH)
		return;
	if (w->more[w->depth - 1])
		raw(w, after, n);
	w->more[w->depth - 1] = 1;
}

static void
open_level(struct mg_jsonw *w)
{
	if (w->depth >= MG_JSONW_DEPTH) {
		if (w->err == MG_OK)
			w->err = MG_ERR_INTERNAL;
		return;
	}
	w->more[w->depth++] = 0;
}

void
mg_jsonw_obj_begin(struct mg_jsonw *w)
{
	raw(w, "{\n", w->compact ? 1 : 2);
	open_level(w);
}

void
mg_jsonw_obj_end(struct mg_jsonw *w)
{
	if (w->depth == 0)
		return;
	if (w->more[w->depth - 1] && !w->compact)
		put_c(w, '\n');
	w->depth--;
	put_tabs(w, w->depth);
	put_c(w, '}');
}

void
mg_jsonw_arr_begin(struct mg_jsonw *w)
{
	put_c(w, '[');
	open_level(w);
}

void
mg_jsonw_arr_end(struct mg_jsonw *w)
{
	if (w->depth == 0)
		return;
	w->depth--;
	put_c(w, ']');
}

void
mg_jsonw_keyn(struct mg_jsonw *w, const char *key, size_t n)
{
	sep(w, ",\n", w->compact ? 1 : 2);
	put_tabs(w, w->depth);
	put_escaped(w, key, n);
	raw(w, ":\t", w->compact ? 1 : 2);
}

void
mg_jsonw_elem(struct mg_jsonw *w)
{
	sep(w, ", ", w->compact ? 1 : 2);
}

void
mg_jsonw_null(struct mg_jsonw *w)
{
	raw(w, "null", 4);
}

void
mg_jsonw_bool(struct mg_jsonw *w, int v)
{
	if (v)
		raw(w, "true", 4);
	else
		raw(w, "false", 5);
}

void
mg_jsonw_u64(struct mg_jsonw *w, uint64_t v)
{
	char b[24];
	size_t i = sizeof(b);

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	raw(w, b + i, sizeof(b) - i);
}

void
mg_jsonw_i64(struct mg_jsonw *w, int64_t v)
{
	if (v < 0) {
		raw(w, "-", 1);
		/* The magnitude in unsigned arithmetic: INT64_MIN too. */
		mg_jsonw_u64(w, 0 - (uint64_t)v);
	} else
		mg_jsonw_u64(w, (uint64_t)v);
}

void
mg_jsonw_double(struct mg_jsonw *w, double v)
{
	char b[40];

	if (!isfinite(v)) {
		raw(w, "null", 4);
		return;
	}
	mg_fmt_double(v, b, sizeof(b));
	raw(w, b, strlen(b));
}

void
mg_jsonw_strn(struct mg_jsonw *w, const char *s, size_t n)
{
	put_escaped(w, s, n);
}

void
mg_jsonw_text(struct mg_jsonw *w, const char *s)
{
	mg_jsonw_textn(w, s, strlen(s));
}

void
mg_jsonw_textn(struct mg_jsonw *w, const char *s, size_t n)
{
	char *t;

	if (memchr(s, '\0', n) == NULL && mg_utf8_valid(s, n)) {
		put_escaped(w, s, n);
		return;
	}
	/* Worst case: every byte becomes the 3-byte U+FFFD. */
	if (n > (SIZE_MAX - 1) / 3 || (t = malloc(n * 3 + 1)) == NULL) {
		if (w->err == MG_OK)
			w->err = MG_ERR_NOMEM;
		return;
	}
	put_escaped(w, t, mg_utf8_clean_into(t, s, n));
	free(t);
}

void
mg_jsonw_bytes(struct mg_jsonw *w, const char *s)
{
	size_t n = strlen(s);

	if (mg_utf8_valid(s, n)) {
		put_escaped(w, s, n);
		return;
	}
	/* At most 6 bytes per input byte ("\udcNN", "\u00NN"), 2 quotes. */
	if (n > (SIZE_MAX - 3) / 6 || !room(w, n * 6 + 3))
		return;
	w->len += mg_json_bytes_text(w->p + w->len, s, n);
}

/* print_value at depth (the containers cJSON would have open). */
static void put_value(struct mg_jsonw *w, const cJSON *item, unsigned depth);

static void
put_members(struct mg_jsonw *w, const cJSON *c, unsigned depth)
{
	size_t nl = w->compact ? 1 : 2;

	raw(w, "{\n", nl);
	depth++;
	for (; c != NULL && w->err == MG_OK; c = c->next) {
		put_tabs(w, depth);
		mg_jsonw_str(w, c->string);
		raw(w, ":\t", nl);
		put_value(w, c, depth);
		if (c->next != NULL)
			raw(w, ",\n", nl);
		else if (!w->compact)
			put_c(w, '\n');
	}
	put_tabs(w, depth - 1);
	put_c(w, '}');
}

static void
put_value(struct mg_jsonw *w, const cJSON *item, unsigned depth)
{
	const cJSON *c;
	char *t;

	switch (item->type & 0xff) {
	case cJSON_NULL:
		mg_jsonw_null(w);
		break;
	case cJSON_False:
		mg_jsonw_bool(w, 0);
		break;
	case cJSON_True:
		mg_jsonw_bool(w, 1);
		break;
	case cJSON_Raw:
		if (item->valuestring == NULL) {
			if (w->err == MG_OK)
				w->err = MG_ERR_INTERNAL;
			break;
		}
		raw(w, item->valuestring, strlen(item->valuestring));
		break;
	case cJSON_String:
		mg_jsonw_str(w, item->valuestring);
		break;
	case cJSON_Number:
		/* cJSON's own rounding rules, whatever the version. */
		if ((t = cJSON_PrintUnformatted(item)) == NULL) {
			if (w->err == MG_OK)
				w->err = MG_ERR_NOMEM;
			break;
		}
		raw(w, t, strlen(t));
		cJSON_free(t);
		break;
	case cJSON_Array:
		put_c(w, '[');
		for (c = item->child; c != NULL && w->err == MG_OK;
		    c = c->next) {
			put_value(w, c, depth + 1);
			if (c->next != NULL)
				raw(w, ", ", w->compact ? 1 : 2);
		}
		put_c(w, ']');
		break;
	case cJSON_Object:
		put_members(w, item->child, depth);
		break;
	default:
		if (w->err == MG_OK)
			w->err = MG_ERR_INTERNAL;
		break;
	}
}

void
mg_jsonw_cjson(struct mg_jsonw *w, const cJSON *item)
{
	put_value(w, item, w->depth);
}

void
mg_jsonw_cjson_members(struct mg_jsonw *w, const cJSON *child)
{
	put_members(w, child, w->depth);
}

char *
mg_jsonw_take(struct mg_jsonw *w, int *err)
{
	char *t = NULL;

	*err = w->err;
	/*
	 * A large text on the heap is handed over, shrunk to its size: no
	 * second copy of it at the peak.  The writer starts afresh.
	 */
	if (w->err == MG_OK && w->heap && w->len >= MG_JSONW_HANDOVER &&
	    room(w, 1)) {
		w->p[w->len] = '\0';
		if ((t = realloc(w->p, w->len + 1)) == NULL)
			t = w->p;
		w->done_len = w->len;
		w->p = NULL;
		w->cap = 0;
		w->heap = 0;
		w->len = 0;
		w->depth = 0;
		return t;
	}
	if (w->err == MG_OK) {
		if (w->len > SIZE_MAX - 1 || (t = malloc(w->len + 1)) == NULL)
			*err = MG_ERR_NOMEM;
		else {
			memcpy(t, w->p, w->len);
			t[w->len] = '\0';
			w->done_len = w->len;
		}
	}
	w->len = 0;
	w->depth = 0;
	return t;
}

char *
mg_jsonw_finish(struct mg_jsonw *w, int *err)
{
	const char *p, *end;
	size_t k = 0, o = 0, i, n = w->len;
	char *t = NULL;

	*err = w->err;
	if (w->err != MG_OK)
		goto out;
	/*
	 * '#' only occurs inside strings: "##[" is never split by syntax.
	 * '#' is rare, so look for it alone first.
	 */
	end = w->p + n;
	for (p = w->p; p < end && (p = memchr(p, '#', (size_t)(end - p))) !=
	    NULL; p++)
		if (end - p >= 3 && p[1] == '#' && p[2] == '[') {
			k++;
			p++;
		}
	if (n > SIZE_MAX - 1 - k * 5 || (t = malloc(n + k * 5 + 1)) == NULL) {
		*err = MG_ERR_NOMEM;
		goto out;
	}
	if (k == 0) {
		memcpy(t, w->p, n);
		o = n;
	} else
		for (i = 0; i < n; i++) {
			if (w->p[i] == '#' && i > 0 && w->p[i - 1] == '#' &&
			    i + 1 < n && w->p[i + 1] == '[') {
				memcpy(t + o, "\\u0023", 6);
				o += 6;
			} else
				t[o++] = w->p[i];
		}
	t[o] = '\0';
	w->done_len = o;
out:
	w->len = 0;
	w->depth = 0;
	return t;
}
