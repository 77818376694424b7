/*
 * jsonlex.c - the measuring pass over JSON text (see jsonlex.h).
 *
 * Strict mode follows RFC 8259: a scanner with an explicit stack (depth
 * is capped, nothing recurses) that records, for every value in document
 * order, where its key and value start, a number's raw text and how many
 * values lie beneath it.  Loose mode follows only string state, depth and
 * separators: it bounds what cJSON will allocate and leaves syntax to it.
 * Its value count is an upper bound: one plus every ',' and every
 * opener (and every ':' with MG_JSONLEX_COLONS), which never undercounts
 * the nodes cJSON makes.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jsonlex.h"
#include "text.h"

struct level {
	char	 close;
	size_t	 idx;
};

struct jl {
	struct mg_jsonlex	*lx;
	const char		*text;
	size_t			 len;
	struct level		*st;	/* strict: max_depth levels */
};

static int fail_at(struct jl *, int, size_t, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail_at(struct jl *L, int code, size_t off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(L->lx->msg, sizeof(L->lx->msg), fmt, ap);
	va_end(ap);
	L->lx->err_off = off;
	return code;
}

/* A grammar error of strict mode. */
#define fail(L, off, ...)	fail_at((L), MG_ERR_FORMAT, (off), __VA_ARGS__)

/* ---- strict mode -------------------------------------------------------- */

static size_t
ws(const struct jl *L, size_t pos)
{
	while (pos < L->len && (L->text[pos] == ' ' || L->text[pos] == '\t' ||
	    L->text[pos] == '\n' || L->text[pos] == '\r'))
		pos++;
	return pos;
}

static int
hex4(const char *s, size_t left, uint32_t *v)
{
	size_t i;

	if (left < 4)
		return -1;
	*v = 0;
	for (i = 0; i < 4; i++) {
		char c = s[i];

		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

/* A string at *pos ('"'); leaves *pos past the closing quote. */
static int
lex_string(struct jl *L, size_t *pos)
{
	const unsigned char *t = (const unsigned char *)L->text;
	size_t p = *pos + 1, dec = 0, k;
	uint32_t u, lo;

	for (;;) {
		if (p == L->len)
			return fail(L, *pos, "unterminated string");
		if (t[p] == '"')
			break;
		if (t[p] < 0x20)
			return fail(L, p, "control character in a string "
			    "(escape it)");
		if (t[p] == '\\') {
			if (L->len - p < 2)
				return fail(L, *pos, "unterminated string");
			if (t[p + 1] != '\0' &&
			    strchr("\"\\/bfnrt", t[p + 1]) != NULL) {
				p += 2;
				dec++;
			} else if (t[p + 1] == 'u') {
				if (hex4(L->text + p + 2, L->len - p - 2, &u) != 0)
					return fail(L, p, "invalid \\u escape");
				if (u == 0)
					return fail(L, p, "\\u0000 (NUL) in a "
					    "string");
				if (u >= 0xdc00 && u <= 0xdfff)
					return fail(L, p, "lone low surrogate "
					    "in a string");
				if (u >= 0xd800 && u <= 0xdbff) {
					if (L->len - p < 12 || t[p + 6] != '\\' ||
					    t[p + 7] != 'u' ||
					    hex4(L->text + p + 8, L->len - p - 8,
					    &lo) != 0 || lo < 0xdc00 ||
					    lo > 0xdfff)
						return fail(L, p, "lone high "
						    "surrogate in a string");
					p += 12;
					dec += 4;
				} else {
					p += 6;
					dec += u < 0x80 ? 1 : u < 0x800 ? 2 : 3;
				}
			} else
				return fail(L, p, "invalid escape in a string");
		} else if (t[p] < 0x80) {
			p++;
			dec++;
		} else {
			k = t[p] < 0xc2 ? 0 : t[p] < 0xe0 ? 2 : t[p] < 0xf0 ?
			    3 : t[p] < 0xf5 ? 4 : 0;
			if (k == 0 || k > L->len - p ||
			    !mg_utf8_valid(L->text + p, k))
				return fail(L, p, "invalid UTF-8 in a string");
			p += k;
			dec += k;
		}
		if (L->lx->max_string > 0 && dec > L->lx->max_string)
			return fail(L, *pos, "string longer than %u bytes",
			    (unsigned)L->lx->max_string);
	}
	*pos = p + 1;
	return MG_OK;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A number at *pos, by the JSON grammar (RFC 8259 section 6). */
static int
lex_number(struct jl *L, size_t *pos)
{
	const char *t = L->text;
	size_t p = *pos, n = L->len;

	if (p < n && t[p] == '-')
		p++;
	if (p == n || !is_digit(t[p]))
		return fail(L, *pos, "invalid number");
	if (t[p] == '0') {
		p++;
		if (p < n && is_digit(t[p]))
			return fail(L, *pos, "invalid number (leading zero)");
	} else
		while (p < n && is_digit(t[p]))
			p++;
	if (p < n && t[p] == '.') {
		p++;
		if (p == n || !is_digit(t[p]))
			return fail(L, *pos, "invalid number");
		while (p < n && is_digit(t[p]))
			p++;
	}
	if (p < n && (t[p] == 'e' || t[p] == 'E')) {
		p++;
		if (p < n && (t[p] == '+' || t[p] == '-'))
			p++;
		if (p == n || !is_digit(t[p]))
			return fail(L, *pos, "invalid number");
		while (p < n && is_digit(t[p]))
			p++;
	}
	*pos = p;
	return MG_OK;
}

static int
node_add(struct jl *L, size_t key, size_t val)
{
	struct mg_jsonlex *lx = L->lx;
	struct mg_jsonlex_value *nn;
	size_t cap, max = lx->max_values > 0 ? lx->max_values : SIZE_MAX /
	    sizeof(*nn);

	if (lx->nv == lx->cap) {
		if (lx->cap >= max)
			return fail_at(L, MG_ERR_LIMIT, val, "more than %u "
			    "JSON values", (unsigned)lx->max_values);
		cap = lx->cap == 0 ? 256 : lx->cap * 2;
		if (cap > max)
			cap = max;
		if ((nn = realloc(lx->v, cap * sizeof(*nn))) == NULL)
			return MG_ERR_NOMEM;
		lx->v = nn;
		lx->cap = cap;
	}
	nn = &lx->v[lx->nv++];
	nn->key = key == SIZE_MAX ? MG_JSONLEX_NOKEY : (uint32_t)key;
	nn->val = (uint32_t)val;
	nn->len = 0;
	nn->desc = 0;
	return MG_OK;
}

enum { LX_VALUE, LX_AFTER, LX_KEY };

static int
strict(struct jl *L, size_t start)
{
	struct mg_jsonlex *lx = L->lx;
	struct level *st = L->st;
	size_t pos = ws(L, start), key = SIZE_MAX, depth = 0, b;
	int state = LX_VALUE, r;
	char c;

	for (;;) {
		switch (state) {
		case LX_VALUE:
			if (pos == L->len)
				return fail(L, pos, "unexpected end of file, "
				    "expected a value");
			if ((r = node_add(L, key, pos)) != MG_OK)
				return r;
			key = SIZE_MAX;
			c = L->text[pos];
			state = LX_AFTER;
			if (c == '{' || c == '[') {
				if (depth == lx->max_depth)
					return fail_at(L, MG_ERR_LIMIT, pos,
					    "JSON nested deeper than %u levels",
					    (unsigned)lx->max_depth);
				st[depth].close = c == '{' ? '}' : ']';
				st[depth].idx = lx->nv - 1;
				depth++;
				pos = ws(L, pos + 1);
				if (pos < L->len &&
				    L->text[pos] == st[depth - 1].close) {
					depth--;
					pos++;
				} else
					state = c == '{' ? LX_KEY : LX_VALUE;
			} else if (c == '"') {
				if ((r = lex_string(L, &pos)) != MG_OK)
					return r;
			} else if (c == '-' || is_digit(c)) {
				b = pos;
				if ((r = lex_number(L, &pos)) != MG_OK)
					return r;
				if (pos - b > UINT32_MAX)
					return fail(L, b, "number too long");
				lx->v[lx->nv - 1].len = (uint32_t)(pos - b);
			} else if (L->len - pos >= 4 &&
			    memcmp(L->text + pos, "true", 4) == 0)
				pos += 4;
			else if (L->len - pos >= 5 &&
			    memcmp(L->text + pos, "false", 5) == 0)
				pos += 5;
			else if (L->len - pos >= 4 &&
			    memcmp(L->text + pos, "null", 4) == 0)
				pos += 4;
			else if ((unsigned char)c >= 0x7f || c <= 0x20)
				return fail(L, pos, "unexpected byte 0x%02x",
				    (unsigned char)c);
			else
				return fail(L, pos, "unexpected '%c'", c);
			break;
		case LX_AFTER:
			pos = ws(L, pos);
			if (depth == 0) {
				if (pos != L->len)
					return fail(L, pos, "data after the "
					    "JSON value");
				return MG_OK;
			}
			if (pos == L->len)
				return fail(L, pos, "unexpected end of file, "
				    "expected ',' or '%c'", st[depth - 1].close);
			c = L->text[pos];
			if (c == ',') {
				pos = ws(L, pos + 1);
				state = st[depth - 1].close == '}' ? LX_KEY :
				    LX_VALUE;
			} else if (c == st[depth - 1].close) {
				b = st[depth - 1].idx;
				lx->v[b].desc = (uint32_t)(lx->nv - b - 1);
				depth--;
				pos++;
			} else
				return fail(L, pos, "expected ',' or '%c'",
				    st[depth - 1].close);
			break;
		case LX_KEY:
			if (pos == L->len)
				return fail(L, pos, "unexpected end of file, "
				    "expected a key");
			if (L->text[pos] != '"')
				return fail(L, pos, "expected a string key");
			key = pos;
			if ((r = lex_string(L, &pos)) != MG_OK)
				return r;
			pos = ws(L, pos);
			if (pos == L->len || L->text[pos] != ':')
				return fail(L, pos, "expected ':' after a key");
			pos = ws(L, pos + 1);
			state = LX_VALUE;
			break;
		}
	}
}

/* ---- loose mode --------------------------------------------------------- */

static int
loose(struct jl *L, size_t start)
{
	struct mg_jsonlex *lx = L->lx;
	const char *buf = L->text;
	size_t i, depth = 0, line = 1, values = 1, max = lx->max_values;
	size_t key_off = 0, key_len = 0, alen = lx->array ? strlen(lx->array) :
	    0;
	int in_str = 0, esc = 0, want_elem = 0, arr = 0, arr_done = 0;
	int key_next = 0;	/* the next string at depth 1 is a key */

	for (i = start; i < L->len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n')
			line++;
		if (in_str) {
			if (esc) {
				esc = 0;
				if ((lx->flags & MG_JSONLEX_NO_NUL) &&
				    c == 'u' && L->len - i > 4 &&
				    memcmp(buf + i + 1, "0000", 4) == 0)
					return fail_at(L, MG_ERR_LIMIT, i,
					    "a string contains \\u0000");
			} else if (c == '\\')
				esc = 1;
			else if (c < 0x20) {
				/* JSON forbids them; cJSON would keep a NUL. */
				if (lx->flags & MG_JSONLEX_NO_CTRL)
					return fail_at(L, MG_ERR_LIMIT, i,
					    "a control character inside a "
					    "string");
			} else if (c == '"') {
				in_str = 0;
				if (key_next && depth == 1) {
					key_len = i - key_off;
					key_next = 0;
				}
			}
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (arr && want_elem && depth == 2 && c != ']') {
			lx->element(lx->arg, i, line);
			want_elem = 0;
		}
		switch (c) {
		case '"':
			in_str = 1;
			if (key_next && depth == 1)
				key_off = i + 1;
			break;
		case '{':
		case '[':
			if (++depth > lx->max_depth && lx->max_depth > 0)
				return fail_at(L, MG_ERR_LIMIT, i, "nested "
				    "deeper than %u levels",
				    (unsigned)lx->max_depth);
			if (depth == 1 && c == '{')
				key_next = 1;
			if (depth == 2 && c == '[' && !arr_done &&
			    lx->element != NULL && alen > 0 &&
			    key_len == alen &&
			    memcmp(buf + key_off, lx->array, alen) == 0) {
				arr = 1;
				want_elem = 1;
			}
			values++;
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			if (arr && depth == 1) {
				arr = 0;
				arr_done = 1;
			}
			break;
		case ',':
			values++;
			if (depth == 1) {
				key_next = 1;
				key_len = 0;
			}
			if (arr && depth == 2)
				want_elem = 1;
			break;
		case ':':
			if (lx->flags & MG_JSONLEX_COLONS)
				values++;
			break;
		default:
			break;
		}
		if (max > 0 && values > max) {
			lx->values = values;	/* the caller may ask why */
			return fail_at(L, MG_ERR_LIMIT, i, "more than %u JSON "
			    "values", (unsigned)max);
		}
	}
	lx->values = values;
	return MG_OK;
}

/* ---- entry points ------------------------------------------------------- */

int
mg_jsonlex(struct mg_jsonlex *lx, const char *text, size_t len, size_t start)
{
	struct jl L;
	int r;

	lx->nv = 0;
	lx->values = 0;
	lx->err_off = 0;
	lx->msg[0] = '\0';
	L.lx = lx;
	L.text = text;
	L.len = len;
	L.st = NULL;
	if (!(lx->flags & MG_JSONLEX_STRICT))
		return loose(&L, start);
	/* Offsets are kept in 32 bits; a depth cap bounds the stack. */
	if (len >= UINT32_MAX || lx->max_depth == 0)
		return fail_at(&L, MG_ERR_LIMIT, 0, "JSON text too large to "
		    "measure");
	if ((L.st = calloc(lx->max_depth, sizeof(*L.st))) == NULL)
		return MG_ERR_NOMEM;
	r = strict(&L, start);
	free(L.st);
	return r;
}

void
mg_jsonlex_free(struct mg_jsonlex *lx)
{
	free(lx->v);
	lx->v = NULL;
	lx->nv = lx->cap = 0;
}

size_t
mg_jsonlex_line(const char *text, size_t off)
{
	size_t i, line = 1;

	for (i = 0; i < off; i++)
		line += text[i] == '\n';
	return line;
}
