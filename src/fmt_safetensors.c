/*
 * fmt_safetensors.c - the safetensors header parser.
 *
 * Layout (safetensors README): u64 LE header length N, N bytes of UTF-8
 * JSON object, then the byte buffer.  Every check of the reference crate
 * (research notes 2.2) is applied and each failure is a finding: ST-LEN,
 * ST-UTF8, ST-JSON, ST-WS, ST-DUPKEY, ST-NUL, ST-META, ST-TINFO, ST-DTYPE,
 * ST-INT, ST-SIZE, ST-COVER.
 *
 * Why a hand-written JSON reader and not cJSON: the header grammar is tiny
 * (an object of objects of strings and integer arrays) and every property
 * cJSON loses is one this parser must check: duplicate members (cJSON keeps
 * both), U+0000 (cJSON truncates), exact integers (cJSON holds doubles, so
 * 4.0, 1e3 and 2^53+1 are invisible), nesting depth (cJSON recurses to
 * 1000 levels) and memory (cJSON allocates a node per value, so a 100 MB
 * header of "0," costs gigabytes).  Here the header is read once, left to
 * right, without recursion: the known structure (top object, tensor
 * entries, __metadata__, shape and offset arrays) is walked by dedicated
 * code and any other value is skipped by an iterative skipper with a fixed
 * stack of MG_MAX_ST_DEPTH levels.  Memory is the header buffer plus one
 * small record per tensor; nothing is allocated per array element.
 *
 * Invariants: p[0..n) is the header; s->i <= n always and every byte read
 * is behind a bounds check against n; a syntax error is fatal (finding,
 * then MG_ERR_FORMAT), a semantic one is reported and parsing goes on so
 * one pass shows every problem.  mg_artifact_add caps the findings per
 * rule and counts the rest.
 * The data section is never read: the caller drains it for the digest.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "jsonw.h"
#include "limits.h"
#include "rd.h"
#include "strset.h"
#include "text.h"

#define ST_INT_MAX	(1ull << 53)	/* exact in a double: serde agrees */
#define ST_DISP_MAX	200u		/* name bytes shown in a message */
#define ST_META_KEY	"__metadata__"
/* Sizing the names set: bytes per tensor entry, header bytes counted. */
#define ST_ENTRY_MIN	64u
#define ST_HINT_BYTES	(256u << 10)

/*
 * The crate's dtype set at 24b0b285 with bit sizes (research notes 2.2),
 * the dtypes of most checkpoints first: lookups scan in this order.
 */
#define DT(name, bits)	{ name, sizeof(name) - 1, bits }
static const struct {
	const char	*name;
	size_t		 len;
	unsigned	 bits;
} st_dtypes[] = {
	DT("BF16", 16), DT("F16", 16), DT("F32", 32),
	DT("BOOL", 8), DT("U8", 8), DT("I8", 8), DT("F8_E5M2", 8),
	DT("F8_E4M3", 8), DT("F8_E8M0", 8), DT("F8_E4M3FNUZ", 8),
	DT("F8_E5M2FNUZ", 8), DT("F4", 4), DT("F6_E2M3", 6), DT("F6_E3M2", 6),
	DT("I16", 16), DT("U16", 16), DT("I32", 32), DT("U32", 32),
	DT("C64", 64), DT("F64", 64), DT("I64", 64), DT("U64", 64),
};
#undef DT

struct st_rec {
	uint64_t	 begin, end;
	uint64_t	 hoff;		/* file offset of data_offsets */
	size_t		 order;		/* header order, breaks sort ties */
	const char	*name;		/* the decoded name, in the header */
	size_t		 namen;
};

struct st {
	unsigned char	*p;		/* strings are decoded in place */
	size_t		 n, i;
	struct mg_artifact *a;

	struct mg_strset *names;	/* top-level member names */
	const char	*dtype_raw;	/* the first dtype string, in the header */
	size_t		 dtype_rawn;
	int		 dtype_mixed;	/* another dtype string was seen */
	size_t		 dtype_last;	/* st_dtypes index last matched */
	char		*dtype1;	/* the first dtype string seen */
	int		 meta_seen;	/* a first __metadata__ was read */
	int		 meta_full;	/* LIMIT-META already reported */
	cJSON		*meta;		/* __metadata__ entries, then ours */
	/*
	 * layer_names is written as JSON text while the header is read (a
	 * list of strings prints the same at any depth): no node per name.
	 */
	struct mg_jsonw	 lnames;
	size_t		 nlnames;
	cJSON		*tdtypes;
	/*
	 * Keys already in meta and tdtypes: cJSON lookups are linear.
	 * tdtype_keys is made only when a tensor name holds a NUL (see
	 * tdtype_keys_need()); until then it stays NULL.
	 */
	struct mg_strset *meta_keys, *tdtype_keys;
	const char	*format;	/* __metadata__["format"], or NULL */
	size_t		 formatn;

	struct st_rec	*t;		/* t_small until it outgrows it */
	size_t		 nt, tcap;
	struct st_rec	*t_small;
	uint64_t	 ntensors;	/* object entries with a first name */
	uint64_t	 params;
	int		 params_ovf;
	int		 cover_partial;	/* a tensor's range is unknown */

	/* Per known dtype: tensors, elements, first-seen order. */
	uint64_t	 dt_n[sizeof(st_dtypes) / sizeof(st_dtypes[0])];
	uint64_t	 dt_params[sizeof(st_dtypes) / sizeof(st_dtypes[0])];
	unsigned char	 dt_order[sizeof(st_dtypes) / sizeof(st_dtypes[0])];
	size_t		 ndt;
};

/* The kind of the JSON value starting with byte c, for messages. */
static const char *
kind_name(int c)
{
	switch (c) {
	case '{':
		return "an object";
	case '[':
		return "an array";
	case '"':
		return "a string";
	case 't':
	case 'f':
		return "a boolean";
	case 'n':
		return "null";
	default:
		return (c == '-' || (c >= '0' && c <= '9')) ? "a number" :
		    "not a JSON value";
	}
}

static uint64_t
hoff(size_t pos)
{
	return 8u + (uint64_t)pos;
}

/*
 * Add a finding.  mg_artifact_add caps the findings per rule, so a header
 * with a million bad tensors cannot produce a million findings.
 */
static int st_find(struct st *s, enum mg_rule_id rule, uint64_t off,
	    const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

static int
st_find(struct st *s, enum mg_rule_id rule, uint64_t off, const char *key,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mg_artifact_add(s->a, rule, off, key, "safetensors: %s", msg);
}

/* A short, valid UTF-8, NUL-free copy of a name for messages and keys. */
static char *
disp_dup(const char *p, size_t n)
{
	return mg_utf8_dup(p, n > ST_DISP_MAX ? ST_DISP_MAX : n);
}

/*
 * disp_dup() of a decoded header string, without the copy when it is the
 * string itself (short and NUL-free; decoded strings are valid UTF-8 and
 * NUL-terminated).  *own is what the caller frees; NULL on failure.
 */
static const char *
disp_get(const char *p, size_t n, char **own)
{
	*own = NULL;
	if (n <= ST_DISP_MAX && memchr(p, '\0', n) == NULL)
		return p;
	return *own = disp_dup(p, n);
}

static inline int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline void
skip_ws(struct st *s)
{
	while (s->i < s->n && is_ws(s->p[s->i]))
		s->i++;
}

/* The next byte, or -1 at the end of the header. */
static inline int
peek(const struct st *s)
{
	return s->i < s->n ? s->p[s->i] : -1;
}

static int
syntax(struct st *s, const char *what)
{
	int c = peek(s);
	int r;

	if (c < 0)
		r = st_find(s, MG_R_ST_JSON, hoff(s->i), NULL,
		    "header ends at offset %llu while expecting %s",
		    (unsigned long long)hoff(s->i), what);
	else
		r = st_find(s, MG_R_ST_JSON, hoff(s->i), NULL,
		    "unexpected byte 0x%02x at offset %llu, expected %s", c,
		    (unsigned long long)hoff(s->i), what);
	return r != MG_OK ? r : MG_ERR_FORMAT;
}

/* Consume ws, then byte c, then ws. */
static int
expect(struct st *s, int c, const char *what)
{
	skip_ws(s);
	if (peek(s) != c)
		return syntax(s, what);
	s->i++;
	skip_ws(s);
	return MG_OK;
}

/* Offset of the first invalid UTF-8 byte, or n. */
static size_t
utf8_bad(const unsigned char *p, size_t n)
{
	size_t i = 0, len, k;
	uint32_t cp;

	while (i < n) {
		unsigned c = p[i];

		if (c < 0x80) {
			i++;
			continue;
		}
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
			return i;
		if (len > n - i)
			return i;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += len;
	}
	return n;
}

static int
hex4(const unsigned char *p, uint32_t *v)
{
	uint32_t x = 0;
	int k, c;

	for (k = 0; k < 4; k++) {
		c = p[k];
		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (uint32_t)(c - 'A' + 10);
		else
			return 0;
	}
	*v = x;
	return 1;
}

static size_t
put_utf8(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Decode the string at p[i] == '"' in place: *out points into the header,
 * at *outn decoded bytes (which may hold NULs: *nul is set then) followed
 * by a NUL.  The decoded form is never longer than the raw one and each
 * byte is written at or before the one being read, so decoding overwrites
 * only the string's own bytes and its closing quote, which nothing reads
 * again.  The header is already known to be valid UTF-8, and so is the
 * decoded string (escapes of lone surrogates are refused).  Nothing is
 * allocated: the string lives as long as the header.
 */
static int
get_string(struct st *s, char **out, size_t *outn, int *nul)
{
	unsigned char *p = s->p;
	size_t start = s->i + 1, j, e, o = 0;
	unsigned char *buf;
	uint32_t cp, lo;
	int r = MG_ERR_INTERNAL;

	*out = NULL;
	*outn = 0;
	*nul = 0;
	if (peek(s) != '"')
		return syntax(s, "a string");
	/*
	 * Most strings hold no escape and no control byte: one pass, a
	 * word at a time to the first byte that ends or escapes.
	 */
	e = start;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; s->n - e >= 8; e += 8) {
		uint64_t m = mg_json_special8(mg_word8(p + e));

		if (m != 0) {
			e += (size_t)__builtin_ctzll(m) >> 3;
			break;
		}
	}
#endif
	for (; e < s->n && p[e] != '"' && p[e] != '\\' && p[e] >= 0x20; e++)
		;
	if (e < s->n && p[e] == '"') {
		p[e] = '\0';
		s->i = e + 1;
		*out = (char *)p + start;
		*outn = e - start;
		return MG_OK;
	}
	/* Find the closing quote first to size the buffer. */
	for (e = start; e < s->n && p[e] != '"'; e++)
		if (p[e] == '\\' && e + 1 < s->n)
			e++;
	if (e >= s->n) {
		r = st_find(s, MG_R_ST_JSON, hoff(s->i), NULL,
		    "string at offset %llu is not terminated",
		    (unsigned long long)hoff(s->i));
		if (r == MG_OK)
			r = MG_ERR_FORMAT;
		goto out;
	}
	buf = p + start;
	for (j = start; j < e; j++) {
		if (p[j] < 0x20) {
			s->i = j;
			r = syntax(s, "no control byte inside a string");
			goto out;
		}
		if (p[j] != '\\') {
			buf[o++] = p[j];
			continue;
		}
		j++;
		switch (p[j]) {
		case '"':
		case '\\':
		case '/':
			buf[o++] = p[j];
			break;
		case 'b':
			buf[o++] = '\b';
			break;
		case 'f':
			buf[o++] = '\f';
			break;
		case 'n':
			buf[o++] = '\n';
			break;
		case 'r':
			buf[o++] = '\r';
			break;
		case 't':
			buf[o++] = '\t';
			break;
		case 'u':
			if (e - j < 5 || !hex4(p + j + 1, &cp))
				goto bad_escape;
			j += 4;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				goto bad_escape;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (e - j < 7 || p[j + 1] != '\\' ||
				    p[j + 2] != 'u' || !hex4(p + j + 3, &lo) ||
				    lo < 0xdc00 || lo > 0xdfff)
					goto bad_escape;
				j += 6;
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
			}
			if (cp == 0)
				*nul = 1;
			o += put_utf8(buf + o, cp);
			break;
		default:
			goto bad_escape;
		}
	}
	buf[o] = '\0';
	s->i = e + 1;
	*out = (char *)buf;
	*outn = o;
	r = MG_OK;
	goto out;
bad_escape:
	r = st_find(s, MG_R_ST_JSON, hoff(j - 1), NULL,
	    "invalid escape or lone surrogate at offset %llu",
	    (unsigned long long)hoff(j - 1));
	if (r == MG_OK)
		r = MG_ERR_FORMAT;
out:
	return r;
}

/*
 * Read a number.  Syntax follows RFC 8259 except that leading zeros are
 * tolerated here and reported by the caller through *exact == 0, which
 * also covers signs, fractions, exponents and values above 2^53.
 */
static int
get_number(struct st *s, uint64_t *v, int *exact)
{
	const unsigned char *p = s->p;
	size_t i = s->i, n = s->n, d0;
	uint64_t x = 0;
	int ok = 1;

	*v = 0;
	*exact = 0;
	if (i < n && p[i] == '-') {
		ok = 0;
		i++;
	}
	d0 = i;
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		if (x > ST_INT_MAX)
			ok = 0;
		else
			x = x * 10 + (uint64_t)(p[i] - '0');
		i++;
	}
	if (i == d0)
		goto bad;
	if (i - d0 > 1 && p[d0] == '0')
		ok = 0;
	if (i < n && p[i] == '.') {
		ok = 0;
		d0 = ++i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == d0)
			goto bad;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		ok = 0;
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		d0 = i;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
		if (i == d0)
			goto bad;
	}
	if (x > ST_INT_MAX)
		ok = 0;
	s->i = i;
	*v = x;
	*exact = ok;
	return MG_OK;
bad:
	s->i = i;
	return syntax(s, "a digit");
}

static int
get_literal(struct st *s)
{
	static const char *const lits[] = { "true", "false", "null" };
	size_t k, len;

	for (k = 0; k < 3; k++) {
		len = strlen(lits[k]);
		if (s->n - s->i >= len && memcmp(s->p + s->i, lits[k], len) == 0) {
			s->i += len;
			return MG_OK;
		}
	}
	return syntax(s, "a JSON value");
}

/* A member name: string, ':', and ws around; reports ST-NUL. */
static int
get_key(struct st *s, char **key, size_t *keyn, const char *where)
{
	size_t pos = s->i;
	int nul, r;

	if ((r = get_string(s, key, keyn, &nul)) != MG_OK)
		return r;
	if (nul) {
		char *d = disp_dup(*key, *keyn);

		r = st_find(s, MG_R_ST_NUL, hoff(pos), d,
		    "member name '%s' %s at offset %llu contains U+0000",
		    d != NULL ? d : "?", where, (unsigned long long)hoff(pos));
		free(d);
		if (r != MG_OK)
			return r;
	}
	return expect(s, ':', "':' after a member name");
}

static int
dupkey(struct st *s, size_t pos, const char *key, size_t keyn,
    const char *where)
{
	char *d = disp_dup(key, keyn);
	int r;

	r = st_find(s, MG_R_ST_DUPKEY, hoff(pos), d,
	    "member name '%s' %s at offset %llu repeats an earlier one",
	    d != NULL ? d : "?", where, (unsigned long long)hoff(pos));
	free(d);
	return r;
}

/*
 * Skip one value of any type whose containers would sit at depth+1 and
 * below, validating its syntax, NULs and duplicate names.  Iterative: the
 * stack is MG_MAX_ST_DEPTH entries whatever the input.
 */
static int
skip_value(struct st *s, unsigned depth)
{
	char kind[MG_MAX_ST_DEPTH + 1];
	struct mg_strset *set[MG_MAX_ST_DEPTH + 1];
	unsigned sp = 0, k;
	char *key, *str;	/* borrowed from the header */
	size_t keyn, strn, pos;
	uint64_t v;
	int c, nul, ex, r = MG_ERR_INTERNAL;

	for (;;) {
		/* A value starts here. */
		skip_ws(s);
		c = peek(s);
		if (c == '{' || c == '[') {
			if (depth + sp + 1 > MG_MAX_ST_DEPTH) {
				r = st_find(s, MG_R_ST_JSON, hoff(s->i), NULL,
				    "nesting deeper than %u levels at offset "
				    "%llu", MG_MAX_ST_DEPTH,
				    (unsigned long long)hoff(s->i));
				if (r == MG_OK)
					r = MG_ERR_FORMAT;
				goto out;
			}
			kind[sp] = (char)c;
			set[sp] = NULL;
			if (c == '{' && (set[sp] = mg_strset_new()) == NULL) {
				r = MG_ERR_NOMEM;
				goto out;
			}
			sp++;
			s->i++;
			skip_ws(s);
			if (peek(s) == (c == '{' ? '}' : ']')) {
				s->i++;
				sp--;
				mg_strset_free(set[sp]);
				goto after;
			}
			if (c == '{')
				goto member;
			continue;
		} else if (c == '"') {
			pos = s->i;
			if ((r = get_string(s, &str, &strn, &nul)) != MG_OK)
				goto out;
			if (nul && (r = st_find(s, MG_R_ST_NUL, hoff(pos), NULL,
			    "string at offset %llu contains U+0000",
			    (unsigned long long)hoff(pos))) != MG_OK)
				goto out;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			if ((r = get_number(s, &v, &ex)) != MG_OK)
				goto out;
		} else if ((r = get_literal(s)) != MG_OK)
			goto out;
after:
		/* A value ended: close containers or move to the next. */
		for (;;) {
			if (sp == 0) {
				r = MG_OK;
				goto out;
			}
			skip_ws(s);
			c = peek(s);
			if (c == ',') {
				s->i++;
				skip_ws(s);
				break;
			}
			if (c != (kind[sp - 1] == '{' ? '}' : ']')) {
				r = syntax(s, kind[sp - 1] == '{' ?
				    "',' or '}'" : "',' or ']'");
				goto out;
			}
			s->i++;
			sp--;
			mg_strset_free(set[sp]);
		}
		if (kind[sp - 1] == '[')
			continue;
member:
		pos = s->i;
		if ((r = get_key(s, &key, &keyn, "in a nested object")) !=
		    MG_OK)
			goto out;
		if ((r = mg_strset_add(set[sp - 1], key, keyn)) < 0)
			goto out;
		if (r == 0 && (r = dupkey(s, pos, key, keyn,
		    "in a nested object")) != MG_OK)
			goto out;
	}
out:
	for (k = 0; k < sp; k++)
		mg_strset_free(set[k]);
	return r;
}

/* Charge n bytes against MG_MAX_META_BYTES; 0 when over (reported once). */
static int
meta_charge(struct st *s, size_t n, int *r)
{
	*r = MG_OK;
	if (n > MG_MAX_META_BYTES - s->a->meta_bytes ||
	    s->a->meta_bytes > MG_MAX_META_BYTES) {
		if (!s->meta_full) {
			s->meta_full = 1;
			*r = mg_artifact_add(s->a, MG_R_LIMIT_META,
			    MG_FINDING_NO_OFFSET, NULL,
			    "safetensors: metadata for reports reached %llu "
			    "bytes; later names and values are left out",
			    (unsigned long long)MG_MAX_META_BYTES);
		}
		return 0;
	}
	s->a->meta_bytes += n;
	return 1;
}

/* Add or replace obj[key] = item (item consumed even on failure). */
static int
obj_put(cJSON *obj, const char *key, cJSON *item)
{
	if (item == NULL)
		return MG_ERR_NOMEM;
	if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
			cJSON_Delete(item);
			return MG_ERR_NOMEM;
		}
		return MG_OK;
	}
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return MG_ERR_NOMEM;
	}
	return MG_OK;
}

/*
 * Add obj[sanitised key] = sanitised value, keeping the first of a name.
 * k[0..kn) and v[0..vn) are decoded header strings: valid UTF-8, NUL-
 * terminated, and used as they are unless they hold a NUL (which
 * sanitising replaces).  sv: a static string equal to v (a known dtype
 * name), referenced by the node instead of copied.  keys NULL: the caller
 * knows k is not in obj yet.
 */
static int
obj_put_str(struct st *s, cJSON *obj, struct mg_strset *keys, const char *k,
    size_t kn, const char *v, size_t vn, const char *sv)
{
	int added;
	char *own = NULL;
	const char *key = k;
	cJSON *item = NULL;
	int r = MG_ERR_NOMEM;

	if (!meta_charge(s, kn + vn, &r))
		return r;
	if (memchr(k, '\0', kn) != NULL) {
		if ((own = mg_utf8_dup(k, kn)) == NULL)
			goto out;
		key = own;
		kn = strlen(own);
	}
	if ((added = keys != NULL ? mg_strset_add(keys, key, kn) : 1) < 0)
		goto out;
	if (added == 0) {
		r = MG_OK;	/* sanitising merged two names: keep first */
		goto out;
	}
	item = sv != NULL ? cJSON_CreateStringReference(sv) : mg_json_str(v, vn);
	if (item == NULL)
		goto out;
	if (!cJSON_AddItemToObject(obj, key, item))
		goto out;
	item = NULL;		/* transferred */
	r = MG_OK;
out:
	cJSON_Delete(item);
	free(own);
	return r;
}

/* The value of __metadata__: null or an object of strings. */
static int
parse_meta(struct st *s, int first)
{
	struct mg_strset *set = NULL;
	char *key, *val;	/* borrowed from the header */
	size_t keyn, valn, pos;
	int c, nul, r = MG_ERR_INTERNAL;

	c = peek(s);
	if (c == 'n') {
		r = get_literal(s);
		goto out;
	}
	if (c != '{') {
		if ((r = st_find(s, MG_R_ST_META, hoff(s->i), ST_META_KEY,
		    "__metadata__ at offset %llu is %s, not an object of "
		    "strings", (unsigned long long)hoff(s->i),
		    kind_name(c))) != MG_OK)
			goto out;
		r = skip_value(s, 1);
		goto out;
	}
	if ((set = mg_strset_new()) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	s->i++;
	skip_ws(s);
	if (peek(s) == '}') {
		s->i++;
		r = MG_OK;
		goto out;
	}
	for (;;) {
		int added;

		pos = s->i;
		if ((r = get_key(s, &key, &keyn, "in __metadata__")) != MG_OK)
			goto out;
		if ((added = mg_strset_add(set, key, keyn)) < 0) {
			r = added;
			goto out;
		}
		if (!added && (r = dupkey(s, pos, key, keyn,
		    "in __metadata__")) != MG_OK)
			goto out;
		c = peek(s);
		pos = s->i;
		if (c == '"') {
			if ((r = get_string(s, &val, &valn, &nul)) != MG_OK)
				goto out;
			if (nul && (r = st_find(s, MG_R_ST_NUL, hoff(pos),
			    ST_META_KEY, "__metadata__ value at offset %llu "
			    "contains U+0000", (unsigned long long)hoff(pos))) !=
			    MG_OK)
				goto out;
			if (first && added) {
				if ((r = obj_put_str(s, s->meta, s->meta_keys,
				    key, keyn, val, valn, NULL)) != MG_OK)
					goto out;
				if (keyn == 6 && memcmp(key, "format", 6) == 0) {
					s->format = val;
					s->formatn = valn;
				}
			}
		} else {
			char *d = disp_dup(key, keyn);

			r = st_find(s, MG_R_ST_META, hoff(pos), ST_META_KEY,
			    "__metadata__ value for '%s' at offset %llu is "
			    "%s, not a string", d != NULL ? d : "?",
			    (unsigned long long)hoff(pos), kind_name(c));
			free(d);
			if (r != MG_OK || (r = skip_value(s, 2)) != MG_OK)
				goto out;
		}
		skip_ws(s);
		c = peek(s);
		if (c == '}') {
			s->i++;
			break;
		}
		if (c != ',') {
			r = syntax(s, "',' or '}' in __metadata__");
			goto out;
		}
		s->i++;
		skip_ws(s);
	}
	r = MG_OK;
out:
	mg_strset_free(set);
	return r;
}

/* What one tensor entry declares. */
struct st_ent {
	const char	*disp;
	int		 have_dtype, have_shape, have_off;
	char		*dtype;		/* the string (in the header), or NULL */
	size_t		 dtypen;
	int		 dtype_idx;	/* index in st_dtypes, or -1 */
	int		 shape_ok;	/* every element an exact integer */
	uint64_t	 nelem;
	uint64_t	 dim0;		/* first shape element */
	size_t		 ndim;
	int		 nelem_ovf;
	int		 off_ok;
	uint64_t	 off[2];
	uint64_t	 off_hoff;
};

/*
 * An array of integers: shape (want 0: any length up to MG_MAX_ST_DIMS)
 * or data_offsets (want 2: exactly two).
 */
static int
parse_ints(struct st *s, struct st_ent *e, int want)
{
	const char *what = want ? "data_offsets" : "shape";
	uint64_t v;
	size_t count = 0, pos;
	int c, ex, ok = 1, r = MG_ERR_INTERNAL;

	pos = s->i;
	s->i++;		/* '[' */
	skip_ws(s);
	if (peek(s) == ']') {
		s->i++;
		goto done;
	}
	for (;;) {
		skip_ws(s);
		pos = s->i;
		c = peek(s);
		if (c == '-' || (c >= '0' && c <= '9')) {
			if ((r = get_number(s, &v, &ex)) != MG_OK)
				goto out;
			if (!ex) {
				ok = 0;
				r = st_find(s, MG_R_ST_INT, hoff(pos), e->disp,
				    "tensor '%s' %s[%zu] '%.*s' at offset %llu "
				    "is not an exact integer in [0, 2^53]",
				    e->disp, what, count,
				    (int)(s->i - pos > 40 ? 40 : s->i - pos),
				    (const char *)s->p + pos,
				    (unsigned long long)hoff(pos));
				if (r != MG_OK)
					goto out;
			}
		} else {
			ok = 0;
			v = 0;
			r = st_find(s, MG_R_ST_TINFO, hoff(pos), e->disp,
			    "tensor '%s' %s[%zu] at offset %llu is %s, not "
			    "an integer", e->disp, what, count,
			    (unsigned long long)hoff(pos), kind_name(c));
			if (r != MG_OK || (r = skip_value(s, 3)) != MG_OK)
				goto out;
		}
		if (want) {
			if (count < 2)
				e->off[count] = v;
		} else {
			if (count == 0)
				e->dim0 = v;
			if (ok && !e->nelem_ovf &&
			    __builtin_mul_overflow(e->nelem, v, &e->nelem))
				e->nelem_ovf = 1;
		}
		count++;
		skip_ws(s);
		c = peek(s);
		if (c == ']') {
			s->i++;
			break;
		}
		if (c != ',') {
			r = syntax(s, "',' or ']'");
			goto out;
		}
		s->i++;
	}
done:
	if (want && count != 2) {
		ok = 0;
		if ((r = st_find(s, MG_R_ST_TINFO, e->off_hoff, e->disp,
		    "tensor '%s' data_offsets at offset %llu has %zu elements, "
		    "not 2", e->disp, (unsigned long long)e->off_hoff,
		    count)) != MG_OK)
			goto out;
	}
	if (!want && count > MG_MAX_ST_DIMS) {
		if ((r = st_find(s, MG_R_ST_TINFO, hoff(pos), e->disp,
		    "tensor '%s' shape has %zu dimensions, more than %u",
		    e->disp, count, MG_MAX_ST_DIMS)) != MG_OK)
			goto out;
	}
	if (want)
		e->off_ok = ok;
	else {
		e->shape_ok = ok;
		e->ndim = count;
	}
	r = MG_OK;
out:
	return r;
}

static int
tinfo_type(struct st *s, struct st_ent *e, const char *member, int c)
{
	int r;

	r = st_find(s, MG_R_ST_TINFO, hoff(s->i), e->disp,
	    "tensor '%s' %s at offset %llu is %s, not %s", e->disp, member,
	    (unsigned long long)hoff(s->i), kind_name(c),
	    strcmp(member, "dtype") == 0 ? "a string" : "an array");
	if (r == MG_OK)
		r = skip_value(s, 2);
	return r;
}

/* One member of a tensor entry. */
static int
tensor_member(struct st *s, struct st_ent *e, struct mg_strset **unknown,
    const char *key, size_t keyn, size_t kpos)
{
	int c = peek(s), nul, r = MG_ERR_INTERNAL, *have = NULL;
	char *d = NULL;
	size_t pos = s->i, k;

	if (keyn == 5 && memcmp(key, "dtype", 5) == 0)
		have = &e->have_dtype;
	else if (keyn == 5 && memcmp(key, "shape", 5) == 0)
		have = &e->have_shape;
	else if (keyn == 12 && memcmp(key, "data_offsets", 12) == 0)
		have = &e->have_off;
	if (have == NULL) {
		if (*unknown == NULL && (*unknown = mg_strset_new()) == NULL)
			return MG_ERR_NOMEM;
		if ((r = mg_strset_add(*unknown, key, keyn)) < 0)
			return r;
		if (r == 0)
			r = dupkey(s, kpos, key, keyn, "in a tensor entry");
		else {
			d = disp_dup(key, keyn);
			r = st_find(s, MG_R_ST_TINFO, hoff(kpos), e->disp,
			    "tensor '%s' has an unknown member '%s' at offset "
			    "%llu", e->disp, d != NULL ? d : "?",
			    (unsigned long long)hoff(kpos));
			free(d);
		}
		return r != MG_OK ? r : skip_value(s, 2);
	}
	if (*have) {
		/* The first one counts, as with cJSON; serde refuses. */
		if ((r = dupkey(s, kpos, key, keyn, "in a tensor entry")) !=
		    MG_OK)
			return r;
		return skip_value(s, 2);
	}
	*have = 1;
	if (have == &e->have_dtype) {
		if (c != '"')
			return tinfo_type(s, e, "dtype", c);
		if ((r = get_string(s, &e->dtype, &e->dtypen, &nul)) != MG_OK)
			return r;
		/* Tensors of a file share a few dtypes: the last one first. */
		k = s->dtype_last;
		if (st_dtypes[k].len != e->dtypen ||
		    memcmp(st_dtypes[k].name, e->dtype, e->dtypen) != 0)
			for (k = 0; k < sizeof(st_dtypes) / sizeof(st_dtypes[0]);
			    k++)
				if (st_dtypes[k].len == e->dtypen &&
				    memcmp(st_dtypes[k].name, e->dtype,
				    e->dtypen) == 0)
					break;
		if (k < sizeof(st_dtypes) / sizeof(st_dtypes[0])) {
			e->dtype_idx = (int)k;
			s->dtype_last = k;
		}
		if (e->dtype_idx < 0) {
			d = disp_dup(e->dtype, e->dtypen);
			r = st_find(s, MG_R_ST_DTYPE, hoff(pos), e->disp,
			    "tensor '%s' dtype '%s' at offset %llu is not a "
			    "safetensors dtype", e->disp, d != NULL ? d : "?",
			    (unsigned long long)hoff(pos));
			free(d);
		}
		return r;
	}
	if (c != '[')
		return tinfo_type(s, e, have == &e->have_shape ? "shape" :
		    "data_offsets", c);
	if (have == &e->have_shape)
		return parse_ints(s, e, 0);
	e->off_hoff = hoff(pos);
	return parse_ints(s, e, 2);
}

/* Sizes: nbits = nelem * bits, whole bytes, equal to end - begin. */
static int
check_size(struct st *s, const struct st_ent *e)
{
	uint64_t bits, nbits;
	unsigned b;

	if (e->dtype_idx < 0 || !e->shape_ok || !e->off_ok)
		return MG_OK;
	b = st_dtypes[e->dtype_idx].bits;
	if (e->nelem_ovf)
		return st_find(s, MG_R_ST_SIZE, e->off_hoff, e->disp,
		    "tensor '%s' element count overflows 64 bits", e->disp);
	bits = b;
	if (__builtin_mul_overflow(e->nelem, bits, &nbits))
		return st_find(s, MG_R_ST_SIZE, e->off_hoff, e->disp,
		    "tensor '%s' of %llu %s elements overflows 64 bits of "
		    "size", e->disp, (unsigned long long)e->nelem,
		    st_dtypes[e->dtype_idx].name);
	if (nbits % 8 != 0)
		return st_find(s, MG_R_ST_SIZE, e->off_hoff, e->disp,
		    "tensor '%s' of %llu %s elements is %llu bits, not a whole "
		    "number of bytes", e->disp, (unsigned long long)e->nelem,
		    st_dtypes[e->dtype_idx].name, (unsigned long long)nbits);
	if (e->off[1] >= e->off[0] && e->off[1] - e->off[0] != nbits / 8)
		return st_find(s, MG_R_ST_SIZE, e->off_hoff, e->disp,
		    "tensor '%s' data_offsets [%llu, %llu] span %llu bytes but "
		    "%llu %s elements need %llu", e->disp,
		    (unsigned long long)e->off[0], (unsigned long long)e->off[1],
		    (unsigned long long)(e->off[1] - e->off[0]),
		    (unsigned long long)e->nelem, st_dtypes[e->dtype_idx].name,
		    (unsigned long long)(nbits / 8));
	return MG_OK;
}

/*
 * tensor_dtypes is keyed by sanitised names.  The names recorded are each
 * the first of its name, so while none holds a NUL (which sanitising
 * replaces) they are distinct as keys too and need no set.  The first
 * name with a NUL brings the set, filled with the keys so far.
 */
static int
tdtype_keys_need(struct st *s, const char *name, size_t namen)
{
	const cJSON *c;

	if (s->tdtype_keys != NULL || memchr(name, '\0', namen) == NULL)
		return MG_OK;
	if ((s->tdtype_keys = mg_strset_new()) == NULL)
		return MG_ERR_NOMEM;
	for (c = s->tdtypes->child; c != NULL; c = c->next)
		if (mg_strset_add(s->tdtype_keys, c->string,
		    strlen(c->string)) < 0)
			return MG_ERR_NOMEM;
	return MG_OK;
}

/* Record a first-named object entry for the reports and ST-COVER. */
static int
tensor_record(struct st *s, struct st_ent *e, const char *name, size_t namen)
{
	int r = MG_OK;

	s->ntensors++;
	if (meta_charge(s, namen, &r)) {
		if (s->nlnames++ > 0)
			mg_jsonw_raw(&s->lnames, ", ", 2);
		mg_jsonw_textn(&s->lnames, name, namen);
		if (s->lnames.err != MG_OK)
			return s->lnames.err;
	} else if (r != MG_OK)
		return r;
	if (e->dtype != NULL) {
		if ((r = tdtype_keys_need(s, name, namen)) != MG_OK)
			return r;
		if ((r = obj_put_str(s, s->tdtypes, s->tdtype_keys, name, namen,
		    e->dtype, e->dtypen, e->dtype_idx >= 0 ?
		    st_dtypes[e->dtype_idx].name : NULL)) != MG_OK)
			return r;
		/* One dtype string or several: all the report says. */
		if (s->dtype_raw == NULL) {
			s->dtype_raw = e->dtype;
			s->dtype_rawn = e->dtypen;
			if ((s->dtype1 = mg_utf8_dup(e->dtype, e->dtypen)) ==
			    NULL)
				return MG_ERR_NOMEM;
		} else if (e->dtypen != s->dtype_rawn ||
		    memcmp(e->dtype, s->dtype_raw, e->dtypen) != 0)
			s->dtype_mixed = 1;
	}
	if (e->have_shape && e->shape_ok) {
		if (e->nelem_ovf ||
		    __builtin_add_overflow(s->params, e->nelem, &s->params))
			s->params_ovf = 1;
	}
	if (e->dtype_idx >= 0) {
		size_t d = (size_t)e->dtype_idx;

		if (s->dt_n[d]++ == 0)
			s->dt_order[s->ndt++] = (unsigned char)d;
		if (e->have_shape && e->shape_ok && !e->nelem_ovf &&
		    __builtin_add_overflow(s->dt_params[d], e->nelem,
		    &s->dt_params[d]))
			s->dt_params[d] = UINT64_MAX;
	}
	if (e->off_ok) {
		struct st_rec *t;

		if (s->nt == s->tcap) {
			size_t ncap = s->tcap * 2;

			if (ncap > SIZE_MAX / sizeof(*t))
				return MG_ERR_NOMEM;
			if (s->t == s->t_small) {
				if ((t = malloc(ncap * sizeof(*t))) == NULL)
					return MG_ERR_NOMEM;
				memcpy(t, s->t, s->nt * sizeof(*t));
			} else if ((t = realloc(s->t, ncap * sizeof(*t))) ==
			    NULL)
				return MG_ERR_NOMEM;
			s->t = t;
			s->tcap = ncap;
		}
		t = &s->t[s->nt];
		t->begin = e->off[0];
		t->end = e->off[1];
		t->hoff = e->off_hoff;
		t->order = s->nt;
		t->name = name;
		t->namen = namen;
		s->nt++;
		/* The typed fact a repository's index is checked against. */
		if (e->off[1] >= e->off[0] && (r = mg_artifact_add_tensor(s->a,
		    name, namen, e->off[1] - e->off[0], e->shape_ok &&
		    e->ndim > 0 ? e->dim0 : 0, e->shape_ok ? (unsigned)e->ndim :
		    0, e->dtype, e->dtype != NULL ? e->dtypen : 0)) != MG_OK)
			return r;
	}
	return MG_OK;
}

/* The value of a tensor member named name (dup: the name repeats). */
static int
parse_tensor(struct st *s, const char *name, size_t namen, int dup)
{
	struct st_ent e;
	struct mg_strset *unknown = NULL;
	char *key, *own = NULL;		/* key: borrowed from the header */
	const char *disp;
	size_t keyn, kpos;
	int c = peek(s), r = MG_ERR_INTERNAL;

	memset(&e, 0, sizeof(e));
	e.dtype_idx = -1;
	e.nelem = 1;
	if ((disp = disp_get(name, namen, &own)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	e.disp = disp;
	if (c != '{') {
		if (!dup)
			s->cover_partial = 1;
		if ((r = st_find(s, MG_R_ST_TINFO, hoff(s->i), disp,
		    "tensor '%s' at offset %llu is %s, not an object", disp,
		    (unsigned long long)hoff(s->i), kind_name(c))) != MG_OK)
			goto out;
		r = skip_value(s, 1);
		goto out;
	}
	s->i++;
	skip_ws(s);
	if (peek(s) == '}')
		s->i++;
	else
		for (;;) {
			kpos = s->i;
			if ((r = get_key(s, &key, &keyn, "in a tensor entry")) !=
			    MG_OK)
				goto out;
			if ((r = tensor_member(s, &e, &unknown, key, keyn,
			    kpos)) != MG_OK)
				goto out;
			skip_ws(s);
			c = peek(s);
			if (c == '}') {
				s->i++;
				break;
			}
			if (c != ',') {
				r = syntax(s, "',' or '}' in a tensor entry");
				goto out;
			}
			s->i++;
			skip_ws(s);
		}
	if (!e.have_dtype || !e.have_shape || !e.have_off) {
		if ((r = st_find(s, MG_R_ST_TINFO, hoff(s->i), disp,
		    "tensor '%s' lacks %s", disp, !e.have_dtype ? "dtype" :
		    !e.have_shape ? "shape" : "data_offsets")) != MG_OK)
			goto out;
	}
	if ((r = check_size(s, &e)) != MG_OK)
		goto out;
	if (!dup && !e.off_ok)
		s->cover_partial = 1;
	if (!dup && (r = tensor_record(s, &e, name, namen)) != MG_OK)
		goto out;
	r = MG_OK;
out:
	mg_strset_free(unknown);
	free(own);
	return r;
}

/* The header object: members are __metadata__ or tensors. */
static int
parse_top(struct st *s)
{
	char *key;		/* borrowed from the header */
	size_t keyn, kpos;
	int c, added, r = MG_ERR_INTERNAL;

	skip_ws(s);
	if (s->i > 0 && s->i < s->n && (r = st_find(s, MG_R_ST_WS, hoff(0),
	    NULL, "header starts with %zu whitespace bytes before '{' (the "
	    "specification says '{' comes first)", s->i)) != MG_OK)
		goto out;
	c = peek(s);
	if (c != '{') {
		if (c < 0)
			r = st_find(s, MG_R_ST_JSON, hoff(0), NULL,
			    "header of %zu bytes holds no JSON value", s->n);
		else
			r = st_find(s, MG_R_ST_JSON, hoff(s->i), NULL,
			    "header is %s, not an object",
			    kind_name(c));
		if (r == MG_OK)
			r = MG_ERR_FORMAT;
		goto out;
	}
	s->i++;
	skip_ws(s);
	if (peek(s) == '}')
		s->i++;
	else
		for (;;) {
			kpos = s->i;
			if ((r = get_key(s, &key, &keyn, "in the header")) !=
			    MG_OK)
				goto out;
			if ((added = mg_strset_add(s->names, key, keyn)) < 0) {
				r = added;
				goto out;
			}
			if (!added && (r = dupkey(s, kpos, key, keyn,
			    "in the header")) != MG_OK)
				goto out;
			if (keyn == sizeof(ST_META_KEY) - 1 &&
			    memcmp(key, ST_META_KEY, keyn) == 0) {
				r = parse_meta(s, !s->meta_seen);
				s->meta_seen = 1;
			} else {
				if (mg_strset_count(s->names) >
				    MG_MAX_ST_TENSORS + 1) {
					r = st_find(s, MG_R_ST_JSON, hoff(kpos),
					    NULL, "more than %llu tensor "
					    "entries (MG_MAX_ST_TENSORS)",
					    (unsigned long long)
					    MG_MAX_ST_TENSORS);
					if (r == MG_OK)
						r = MG_ERR_LIMIT;
					goto out;
				}
				r = parse_tensor(s, key, keyn, !added);
			}
			if (r != MG_OK)
				goto out;
			skip_ws(s);
			c = peek(s);
			if (c == '}') {
				s->i++;
				break;
			}
			if (c != ',') {
				r = syntax(s, "',' or '}' in the header");
				goto out;
			}
			s->i++;
			skip_ws(s);
		}
	skip_ws(s);
	if (s->i < s->n) {
		r = st_find(s, MG_R_ST_JSON, hoff(s->i), NULL,
		    "%zu bytes other than whitespace follow the header object "
		    "at offset %llu", s->n - s->i,
		    (unsigned long long)hoff(s->i));
		if (r == MG_OK)
			r = MG_ERR_FORMAT;
		goto out;
	}
	r = MG_OK;
out:
	return r;
}

static int
rec_cmp(const void *x, const void *y)
{
	const struct st_rec *a = x, *b = y;

	if (a->begin != b->begin)
		return a->begin < b->begin ? -1 : 1;
	if (a->end != b->end)
		return a->end < b->end ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

enum cover { COVER_OK, COVER_REVERSED, COVER_GAP, COVER_OVERLAP };

/* The finding for tensor t; its display name is made only now. */
static int
cover_find(struct st *s, const struct st_rec *t, enum cover kind,
    uint64_t start)
{
	char *own;
	const char *disp = disp_get(t->name, t->namen, &own);
	int r = MG_OK;

	if (disp == NULL)
		return MG_ERR_NOMEM;
	switch (kind) {
	case COVER_REVERSED:
		r = st_find(s, MG_R_ST_COVER, t->hoff, disp,
		    "tensor '%s' data_offsets [%llu, %llu] are reversed",
		    disp, (unsigned long long)t->begin,
		    (unsigned long long)t->end);
		break;
	case COVER_GAP:
		r = st_find(s, MG_R_ST_COVER, t->hoff, disp,
		    "tensor '%s' data_offsets [%llu, %llu] leave a gap "
		    "of %llu bytes after offset %llu", disp,
		    (unsigned long long)t->begin, (unsigned long long)t->end,
		    (unsigned long long)(t->begin - start),
		    (unsigned long long)start);
		break;
	case COVER_OVERLAP:
		r = st_find(s, MG_R_ST_COVER, t->hoff, disp,
		    "tensor '%s' data_offsets [%llu, %llu] overlap the "
		    "previous tensor ending at %llu", disp,
		    (unsigned long long)t->begin, (unsigned long long)t->end,
		    (unsigned long long)start);
		break;
	case COVER_OK:
		break;
	}
	free(own);
	return r;
}

/*
 * Sorted by (begin, end), tensors must tile [0, dsize) exactly.  When some
 * tensor's range is unknown (reported already), holes may be its bytes:
 * only overlaps and ranges past the end are reported then.
 */
static int
check_cover(struct st *s, uint64_t dsize, uint64_t dbase)
{
	uint64_t start = 0;
	size_t k;
	int r, partial = s->cover_partial;

	/* Writers lay tensors out in header order: sorted, most often. */
	for (k = 1; k < s->nt && rec_cmp(&s->t[k - 1], &s->t[k]) < 0; k++)
		;
	if (k < s->nt)
		qsort(s->t, s->nt, sizeof(*s->t), rec_cmp);
	for (k = 0; k < s->nt; k++) {
		const struct st_rec *t = &s->t[k];
		enum cover kind = COVER_OK;

		if (t->end < t->begin) {
			partial = 1;
			kind = COVER_REVERSED;
		} else if (t->begin > start && !partial)
			kind = COVER_GAP;
		else if (t->begin < start)
			kind = COVER_OVERLAP;
		if (kind != COVER_OK && (r = cover_find(s, t, kind, start)) !=
		    MG_OK)
			return r;
		if (t->end > start)
			start = t->end;
	}
	if (start < dsize && !partial)
		return st_find(s, MG_R_ST_COVER, dbase + start, NULL,
		    "%llu bytes of the %llu-byte data section after offset "
		    "%llu belong to no tensor",
		    (unsigned long long)(dsize - start),
		    (unsigned long long)dsize, (unsigned long long)start);
	if (start > dsize)
		return st_find(s, MG_R_ST_COVER, dbase + dsize, NULL,
		    "tensor data ends at %llu, past the %llu-byte data section",
		    (unsigned long long)start, (unsigned long long)dsize);
	return MG_OK;
}

/* l-bom's training_framework from __metadata__["format"]. */
static int
set_framework(struct st *s)
{
	static const struct {
		const char *in, *out;
	} map[] = {
		{ "pt", "pytorch" }, { "torch", "pytorch" },
		{ "pytorch", "pytorch" }, { "tf", "tensorflow" },
		{ "tensorflow", "tensorflow" }, { "flax", "flax" },
	};
	const char *p = s->format;
	size_t n = s->formatn, k;
	char *low;
	int r;

	if (p == NULL)
		return MG_OK;
	while (n > 0 && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	if (n == 0)
		return MG_OK;
	if ((low = mg_utf8_dup(p, n)) == NULL)
		return MG_ERR_NOMEM;
	for (k = 0; low[k] != '\0'; k++)
		low[k] = (char)tolower((unsigned char)low[k]);
	for (k = 0; k < sizeof(map) / sizeof(map[0]); k++)
		if (strcmp(low, map[k].in) == 0)
			break;
	r = mg_artifact_setz(&s->a->training_framework,
	    k < sizeof(map) / sizeof(map[0]) ? map[k].out : low);
	free(low);
	return r;
}

/* Derived fields and the report's metadata object, in l-bom's shape. */
static int
finish(struct st *s, uint64_t hlen, int whole)
{
	cJSON *m = s->meta;
	size_t k;
	int r;

	if (!whole) {
		/* Like l-bom: nothing from a header that did not parse. */
		while (m->child != NULL)
			cJSON_Delete(cJSON_DetachItemViaPointer(m, m->child));
	} else {
		char *ln;

		mg_jsonw_raw(&s->lnames, "]", 1);
		ln = mg_jsonw_take(&s->lnames, &r);
		if (ln == NULL)
			return r != MG_OK ? r : MG_ERR_NOMEM;
		if ((r = obj_put(m, "layer_names", mg_json_raw_own(ln))) !=
		    MG_OK)
			return r;
		if ((r = obj_put(m, "tensor_dtypes", s->tdtypes)) != MG_OK) {
			s->tdtypes = NULL;
			return r;
		}
		s->tdtypes = NULL;	/* transferred */
	}
	if ((r = obj_put(m, "header_length", mg_json_u64(hlen))) != MG_OK)
		return r;
	if (whole && (r = obj_put(m, "tensor_count",
	    mg_json_u64(s->ntensors))) != MG_OK)
		return r;
	if (!whole)
		return MG_OK;
	s->a->tensor_count = s->ntensors;
	s->a->have |= MG_HAVE_TENSORS;
	for (k = 0; k < s->ndt; k++) {
		size_t d = s->dt_order[k];

		if ((r = mg_artifact_add_ttype(s->a, st_dtypes[d].name,
		    s->dt_n[d], s->dt_params[d], st_dtypes[d].bits * 1000u,
		    0)) != MG_OK)
			return r;
	}
	if (!s->params_ovf && s->params > 0) {
		s->a->parameter_count = s->params;
		s->a->have |= MG_HAVE_PARAMS;
	}
	if (s->dtype_raw != NULL)
		r = mg_artifact_setz(&s->a->dtype, s->dtype_mixed ? "mixed" :
		    s->dtype1);
	if (r != MG_OK)
		return r;
	return set_framework(s);
}

static int
st_parse(struct mg_rd *rd, struct mg_artifact *a)
{
	struct st s;
	unsigned char small[8192];	/* most headers: no allocation */
	struct st_rec small_t[128];	/* nor their tensor records */
	unsigned char *hdr = NULL;
	uint64_t size = mg_rd_left(rd), hlen, dsize;
	size_t bad, hint;
	int r = MG_ERR_INTERNAL, r2, open = rd->open_ended;

	memset(&s, 0, sizeof(s));
	/* Bounded by the metadata charge of each name (meta_charge()). */
	mg_jsonw_init(&s.lnames, NULL, 0, SIZE_MAX / 2);
	mg_jsonw_raw(&s.lnames, "[", 1);
	s.a = a;
	s.t = s.t_small = small_t;
	s.tcap = sizeof(small_t) / sizeof(small_t[0]);
	if (!open && size < 8) {
		r = mg_artifact_add(a, MG_R_ST_LEN, 0, NULL,
		    "safetensors: file of %llu bytes is shorter than the "
		    "8-byte header length", (unsigned long long)size);
		if (r == MG_OK)
			r = MG_ERR_TRUNCATED;
		goto out;
	}
	if ((r = mg_rd_u64(rd, 0, &hlen)) != MG_OK)
		goto out;
	if (hlen > MG_MAX_ST_HEADER) {
		r = mg_artifact_add(a, MG_R_ST_LEN, 0, NULL,
		    "safetensors: header length %llu exceeds the %llu-byte "
		    "limit", (unsigned long long)hlen,
		    (unsigned long long)MG_MAX_ST_HEADER);
		if (r == MG_OK)
			r = MG_ERR_FORMAT;
		goto out;
	}
	if (!open && hlen > size - 8) {
		r = mg_artifact_add(a, MG_R_ST_LEN, 0, NULL,
		    "safetensors: header length %llu exceeds the %llu bytes "
		    "after the length field", (unsigned long long)hlen,
		    (unsigned long long)(size - 8));
		if (r == MG_OK)
			r = MG_ERR_TRUNCATED;
		goto out;
	}
	dsize = size - 8 - hlen;
	if (hlen <= sizeof(small))
		hdr = small;
	else if ((hdr = malloc((size_t)hlen)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	/*
	 * The names set sized once from the header length (a hint, capped:
	 * realistic entries take about 100 bytes, half of it the name), so
	 * it seldom grows.
	 */
	hint = hlen < ST_HINT_BYTES ? (size_t)hlen : ST_HINT_BYTES;
	if ((s.meta = cJSON_CreateObject()) == NULL ||
	    (s.tdtypes = cJSON_CreateObject()) == NULL ||
	    (s.names = mg_strset_new_sized(hint / ST_ENTRY_MIN,
	    hint / 2)) == NULL ||
	    (s.meta_keys = mg_strset_new()) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	mg_rd_expect(rd, hlen);
	if ((r = mg_rd_bytes(rd, hdr, (size_t)hlen)) != MG_OK)
		goto out;
	s.p = hdr;
	s.n = (size_t)hlen;
	/* The vector check first; the byte walk only says where. */
	if (!mg_utf8_valid((const char *)hdr, s.n) &&
	    (bad = utf8_bad(hdr, s.n)) < s.n) {
		r = st_find(&s, MG_R_ST_UTF8, hoff(bad), NULL,
		    "header byte 0x%02x at offset %llu is not valid UTF-8",
		    hdr[bad], (unsigned long long)hoff(bad));
		if (r == MG_OK)
			r = MG_ERR_FORMAT;
	} else
		r = parse_top(&s);
	/* A member of unknown size: its size is known once it is read. */
	if (r == MG_OK && open && (r = mg_rd_settle(rd)) == MG_OK)
		dsize = rd->size - 8 - hlen;
	if (r == MG_OK)
		r = check_cover(&s, dsize, 8 + hlen);
	/* Report what is known even when parsing stopped early. */
	r2 = finish(&s, hlen, r == MG_OK);
	if (r == MG_OK || r2 == MG_ERR_NOMEM)
		r = r2;
out:
	if (a->metadata == NULL && s.meta != NULL) {
		a->metadata = s.meta;
		s.meta = NULL;		/* transferred */
		/* The __metadata__ keys stored in it. */
		mg_strset_free(a->meta_keys);
		a->meta_keys = s.meta_keys;
		s.meta_keys = NULL;	/* transferred */
	}
	cJSON_Delete(s.meta);
	mg_jsonw_free(&s.lnames);
	cJSON_Delete(s.tdtypes);
	mg_strset_free(s.names);
	mg_strset_free(s.meta_keys);
	mg_strset_free(s.tdtype_keys);
	if (s.t != s.t_small)
		free(s.t);
	free(s.dtype1);
	if (hdr != small)
		free(hdr);
	return r;
}

/*
 * A plausible header: N > 0 and '{' at offset 8 after optional JSON
 * whitespace, with N within the loader's limit and the file (about one
 * binary file in 256 has a '{' at offset 8).  A short file routed here
 * by its extension still gets ST-LEN from parse().
 *
 * The reference loader accepts any amount of leading whitespace inside
 * the header, so a header whose first bytes are all whitespace is still
 * a bid when N is within the loader's limit and the file holds it (the
 * probe sees only the first bytes; the parser says what follows).  A
 * lower score than a seen '{' lets a format that is certain win.
 */
static int
st_probe(const unsigned char *head, size_t n, uint64_t size)
{
	uint64_t hlen = 0;
	size_t k;

	if (n < 9)
		return 0;
	for (k = 0; k < 8; k++)
		hlen |= (uint64_t)head[k] << (8 * k);
	if (hlen == 0 || hlen > MG_MAX_ST_HEADER || size < 8 ||
	    hlen > size - 8)
		return 0;
	for (k = 8; k < n && is_ws(head[k]); k++)
		;
	if (k < n)
		return head[k] == '{' ? 90 : 0;
	/* Only whitespace so far: it must all lie inside the header. */
	if (hlen < n - 8)
		return 0;
	return 60;
}

static const char *const st_exts[] = { "safetensors", NULL };

const struct mg_format mg_fmt_safetensors = {
	.name = "safetensors",
	.exts = st_exts,
	.probe = st_probe,
	.parse = st_parse,
};
