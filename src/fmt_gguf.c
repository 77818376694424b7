/*
 * fmt_gguf.c - the GGUF header parser and validator.
 *
 * Spec followed: ggml docs/gguf.md (v1-v3) with the loader rules of ggml's
 * gguf.cpp and llama.cpp's model loader on top (see
 * shared/research/formats-and-attacks.md, sections 1 and 8.1).
 *
 * One forward pass over the header: magic, version, counts, the metadata
 * key/values, the tensor infos.  Tensor data is never read; the caller
 * drains it for the digest.  After the pass, the tensor byte ranges are
 * checked against the file size, each other and the alignment, and the
 * l-bom compatible summary and derived fields are built.
 *
 * Invariants:
 * - every count is checked against its cap and against the bytes left
 *   divided by the smallest encoding of one element before it drives a
 *   loop or an allocation;
 * - only the first MG_ARRAY_PREVIEW elements of an array become JSON; the
 *   rest are validated as they are skipped, without allocating;
 * - JSON copied into a->metadata is charged to a->meta_bytes at the memory
 *   it takes (see charge()), together with the duplicate-key table, and
 *   replaced by a placeholder past MG_MAX_META_BYTES;
 * - every key is checked for duplicates through a table of keyed digests
 *   sized once from the checked key count, past the budget too;
 * - findings go through mg_artifact_add, which caps them per rule and
 *   counts the rest;
 * - per tensor only what the range checks need is kept (offset, size,
 *   type, parameter count, a short sanitised name).
 *
 * Padding: writers pad the header to the alignment whether or not there
 * are tensors, and pad the last tensor too.  Zeros there are padding;
 * anything else, and anything past it, is GGUF-TRAIL with its extent.
 *
 * Choices: a tensor with n_dims > 4 stops the parse (MG_ERR_FORMAT).  The
 * record is outside every loader's grammar, and a garbage n_dims (the usual
 * cause) would make every later record misparse into a cascade of
 * meaningless findings.  A value type >= 13 stops it too: its size is
 * unknown, so nothing after it can be located.
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
#include "gguf_types.h"
#include "hash.h"
#include "jsonw.h"
#include "limits.h"
#include "rd.h"
#include "strset.h"
#include "template.h"
#include "text.h"

#define GGUF_DEFAULT_ALIGN	32u
#define NAME_READ_MAX		1024u	/* longer tensor names: skipped */
#define CHUNK			(64u * 1024u)	/* peek size when skimming */
#define FACT_STR_MAX		(64u * 1024u)	/* derived-field strings */
#define GGML_Q8_1		9u	/* activation-only ggml types */
#define GGML_Q8_K		15u

struct num {
	int		 has_int;	/* coercible to an integer */
	int		 neg;		/* the integer is negative */
	uint64_t	 u;		/* its magnitude when !neg, else bits */
};

/* What the derived fields need from one top-level value. */
struct kvfacts {
	uint32_t	 type;
	uint32_t	 etype;		/* arrays: the element type */
	struct num	 n;		/* scalars */
	char		*s;		/* owned raw bytes of a kept string */
	size_t		 slen;
	int		 is_arr;
	uint64_t	 count;		/* arrays */
	int		 want_str;	/* keep string bytes (<= FACT_STR_MAX) */
	int		 want_hash;	/* chat template: digest the bytes */
	char		 hex[65];	/* its digest, "" when none */
};

struct tinfo {
	uint64_t	 off;		/* relative to the data section */
	uint64_t	 nbytes;
	uint64_t	 params;
	uint32_t	 type;
	uint32_t	 name;		/* offset into the name pool */
	unsigned	 sized : 1;	/* nbytes known (shape and type valid) */
	unsigned	 counted : 1;	/* params valid */
};

struct special {
	const char	*key;
	int		 have;
	struct num	 n;
};

struct gg {
	struct mg_rd	*rd;
	struct mg_artifact *a;
	int		 be, v1;
	uint32_t	 version;
	uint64_t	 nkv, nt;
	int		 nomem;
	int		 trunc_noted;
	int		 meta_limited;
	/*
	 * What is being read, for messages: "the file header", "metadata
	 * entry 3 (general.name)", "tensor info 7 (output.weight)".  Kept as
	 * parts and formatted only when a message needs it (where()).
	 */
	enum { W_FILE, W_KV, W_TENSOR } where_kind;
	uint64_t	 where_idx;
	char		 where_name[49];	/* its first 48 bytes, or "" */
	int		 where_named;	/* the key or name is known */
	char		 where_buf[96];

	cJSON		*meta;		/* raw KVs, then the summary */
	/*
	 * metadata_keys as JSON text, written as keys are stored (a list of
	 * strings prints the same at any depth): no node per key.
	 */
	struct mg_jsonw	 keylist;
	size_t		 nkeylist;
	struct mg_strset *mkeys;	/* the raw keys stored in meta */
	cJSON		*tmpl;		/* chat_template_sha256, or NULL */
	struct mg_keyset *keyset;	/* digests of every raw key */
	struct mg_keyset *dirty;	/* sanitised forms of stored keys
					   that sanitising changed */

	/* current key, for findings */
	const char	*key;
	char		*kbuf, *jkbuf;	/* raw and sanitised key, reused */
	size_t		 kcap, jkcap;
	int		 kv_utf8, kv_bool, kv_nest;

	/* facts for the derived fields (first occurrence of each key) */
	uint32_t	 align;
	int		 have_ftype, have_ctx, have_ctx_sfx;
	int		 have_nvocab, have_gvocab, have_vocab_sfx;
	int		 have_tokens, have_scores, have_ttypes;
	struct num	 ftype, ctx, ctx_sfx, nvocab, gvocab, vocab_sfx;
	uint64_t	 ntokens, nscores, nttypes;
	uint32_t	 tokens_et, scores_et, ttypes_et;
	uint64_t	 tokens_off, scores_off, ttypes_off, ftype_off;
	char		*arch, *license, *bm_url, *bm_name;
	/* their lengths: a string may hold NUL bytes, which must show */
	size_t		 arch_len, license_len, bm_url_len, bm_name_len;
	struct special	 spec[5];

	/* tensors */
	struct tinfo	*t;
	uint64_t	 tparsed;
	char		*pool;
	size_t		 pool_len, pool_cap;
	struct mg_keyset *tnames;
	uint64_t	 info_end, data_off;
	int		 tensors_done;
};

static const char *const special_keys[5] = {
	"tokenizer.ggml.bos_token_id",
	"tokenizer.ggml.eos_token_id",
	"tokenizer.ggml.unknown_token_id",
	"tokenizer.ggml.separator_token_id",
	"tokenizer.ggml.padding_token_id",
};

/*
 * Findings.  mg_artifact_add has no va_list form, so the message is
 * formatted here first.
 */
static void
note(struct gg *g, enum mg_rule_id rule, uint64_t off, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
note(struct gg *g, enum mg_rule_id rule, uint64_t off, const char *key,
    const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (mg_artifact_add(g->a, rule, off, key, "%s", msg) != MG_OK)
		g->nomem = 1;
}

/* note() with the extent of the bytes and the offending value. */
static void
notex(struct gg *g, enum mg_rule_id rule, uint64_t off, uint64_t len,
    const char *key, const char *evidence, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void
notex(struct gg *g, enum mg_rule_id rule, uint64_t off, uint64_t len,
    const char *key, const char *evidence, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (mg_artifact_addx(g->a, rule, off, len, key, evidence, "%s",
	    msg) != MG_OK)
		g->nomem = 1;
}

static unsigned long long
ull(uint64_t v)
{
	return (unsigned long long)v;
}

static void
set_where(struct gg *g, int kind, uint64_t idx, const char *name)
{
	size_t n = name != NULL ? strnlen(name, sizeof(g->where_name) - 1) : 0;

	g->where_kind = kind;
	g->where_idx = idx;
	memcpy(g->where_name, name != NULL ? name : "", n);
	g->where_name[n] = '\0';
	g->where_named = name != NULL;
}

/* The place being read, as text (valid until the next call). */
static const char *
where(struct gg *g)
{
	const char *what = g->where_kind == W_KV ? "metadata entry" :
	    "tensor info";

	if (g->where_kind == W_FILE)
		return "the file header";
	if (g->where_named)
		snprintf(g->where_buf, sizeof(g->where_buf), "%s %llu (%.48s)",
		    what, ull(g->where_idx), g->where_name);
	else
		snprintf(g->where_buf, sizeof(g->where_buf), "%s %llu", what,
		    ull(g->where_idx));
	return g->where_buf;
}

static int
rd_fail(struct gg *g, int r, uint64_t off, const char *what)
{
	if (r == MG_ERR_TRUNCATED && !g->trunc_noted) {
		g->trunc_noted = 1;
		note(g, MG_R_GGUF_TRUNC, off, g->key,
		    "gguf: the file (%llu bytes) ends inside %s: %s at offset "
		    "%llu needs more than the %llu bytes left",
		    ull(g->rd->size), where(g), what, ull(off),
		    ull(g->rd->size > off ? g->rd->size - off : 0));
	}
	return r;
}

static int
get_u8(struct gg *g, uint8_t *v, const char *what)
{
	uint64_t off = mg_rd_tell(g->rd);
	int r = mg_rd_u8(g->rd, v);

	return r == MG_OK ? r : rd_fail(g, r, off, what);
}

static int
get_u16(struct gg *g, uint16_t *v, const char *what)
{
	uint64_t off = mg_rd_tell(g->rd);
	int r = mg_rd_u16(g->rd, g->be, v);

	return r == MG_OK ? r : rd_fail(g, r, off, what);
}

static int
get_u32(struct gg *g, uint32_t *v, const char *what)
{
	uint64_t off = mg_rd_tell(g->rd);
	int r = mg_rd_u32f(g->rd, g->be, v);

	return r == MG_OK ? r : rd_fail(g, r, off, what);
}

static int
get_u64(struct gg *g, uint64_t *v, const char *what)
{
	uint64_t off = mg_rd_tell(g->rd);
	int r = mg_rd_u64f(g->rd, g->be, v);

	return r == MG_OK ? r : rd_fail(g, r, off, what);
}

/* Counts, string lengths and dimensions: u32 in v1, u64 since v2. */
static int
get_size(struct gg *g, uint64_t *v, const char *what)
{
	uint32_t v32;
	int r;

	if (!g->v1)
		return get_u64(g, v, what);
	r = get_u32(g, &v32, what);
	*v = v32;
	return r;
}

static unsigned
size_width(const struct gg *g)
{
	return g->v1 ? 4u : 8u;
}

static int
get_bytes(struct gg *g, void *p, size_t n, const char *what)
{
	uint64_t off = mg_rd_tell(g->rd);
	int r = mg_rd_bytes(g->rd, p, n);

	return r == MG_OK ? r : rd_fail(g, r, off, what);
}

static int
skip(struct gg *g, uint64_t n, const char *what)
{
	uint64_t off = mg_rd_tell(g->rd);
	int r = mg_rd_skip(g->rd, n);

	return r == MG_OK ? r : rd_fail(g, r, off, what);
}

/*
 * The metadata budget counts real memory: what malloc hands out for each
 * JSON node and string (glibc: the request plus an 8-byte header, rounded
 * up to 16, 32 at least), and the duplicate-key table.
 *
 * Every value that gets a place in the report (a stored key, an element of
 * a kept array preview) is charged SLOT_COST when its place is made: a node
 * and a short text, enough for any number and for the placeholder that
 * replaces the value when its own cost does not fit.  Strings and array
 * previews charge what they need beyond that.  So whatever the file holds,
 * the JSON built from it stays within MG_MAX_META_BYTES plus the few fixed
 * summary nodes added by finish().
 */
static uint64_t
mchunk(uint64_t n)
{
	if (n > UINT64_MAX - 64)
		return UINT64_MAX / 2;
	n = (n + 8 + 15) & ~(uint64_t)15;
	return n < 32 ? 32 : n;
}

#define NODE_COST	mchunk(sizeof(cJSON))
#define SLOT_COST	(NODE_COST + mchunk(48))
/* The {type, element_type, count, preview, truncated} object of a long array. */
#define WRAP_COST	(6 * NODE_COST + 8 * mchunk(24))

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * Charge cost bytes to the metadata budget.  Returns 1 when the value may
 * be copied, 0 when a placeholder must be used.
 */
static int
charge(struct gg *g, uint64_t cost)
{
	uint64_t used = g->a->meta_bytes;

	if (used > MG_MAX_META_BYTES || cost > MG_MAX_META_BYTES - used) {
		if (!g->meta_limited) {
			g->meta_limited = 1;
			note(g, MG_R_LIMIT_META, mg_rd_tell(g->rd), g->key,
			    "gguf: metadata kept for reports reached %llu bytes; "
			    "later values are elided", ull(MG_MAX_META_BYTES));
		}
		return 0;
	}
	g->a->meta_bytes = used + cost;
	return 1;
}

static const char *
placeholder_text(uint64_t n, char *b, size_t len)
{
	snprintf(b, len, "<elided: %llu bytes>", ull(n));
	return b;
}

static cJSON *
placeholder(uint64_t n)
{
	char b[64];

	return cJSON_CreateString(placeholder_text(n, b, sizeof(b)));
}

/* Attach item to a list (or drop it when list is NULL); NULL item: NOMEM. */
static int
add_item(struct gg *g, cJSON *list, cJSON *item)
{
	if (item == NULL) {
		g->nomem = 1;
		return MG_ERR_NOMEM;
	}
	if (list == NULL || !cJSON_AddItemToArray(list, item)) {
		cJSON_Delete(item);
		if (list != NULL) {
			g->nomem = 1;
			return MG_ERR_NOMEM;
		}
	}
	return MG_OK;
}

/*
 * A string's length prefix, checked against the bytes left and a cap.
 * rule: the rule for a bad length (GGUF-STR).
 */
static int
str_len(struct gg *g, uint64_t cap, const char *what, uint64_t *len)
{
	uint64_t off = mg_rd_tell(g->rd);
	int r;

	if ((r = get_size(g, len, what)) != MG_OK)
		return r;
	if (*len > mg_rd_left(g->rd)) {
		note(g, MG_R_GGUF_STR, off, g->key,
		    "gguf: %s in %s declares %llu bytes but %llu are left at "
		    "offset %llu", what, where(g), ull(*len),
		    ull(mg_rd_left(g->rd)), ull(off));
		return MG_ERR_TRUNCATED;
	}
	if (*len > cap) {
		note(g, MG_R_GGUF_STR, off, g->key,
		    "gguf: %s in %s is %llu bytes, over the cap of %llu",
		    what, where(g), ull(*len), ull(cap));
		return MG_ERR_LIMIT;
	}
	return MG_OK;
}

static void
bad_utf8(struct gg *g, uint64_t off)
{
	if (g->kv_utf8)
		return;
	g->kv_utf8 = 1;
	note(g, MG_R_GGUF_UTF8, off, g->key,
	    "gguf: a string in %s is not valid UTF-8 (offset %llu)",
	    where(g), ull(off));
}

/*
 * Read len string bytes (already checked against the bytes left) into a
 * new NUL-terminated buffer.
 */
static int
str_read(struct gg *g, uint64_t len, char **out)
{
	char *b;
	int r;

	*out = NULL;
	if (len > SIZE_MAX - 1 || (b = malloc((size_t)len + 1)) == NULL) {
		g->nomem = 1;
		return MG_ERR_NOMEM;
	}
	if ((r = get_bytes(g, b, (size_t)len, "string bytes")) != MG_OK) {
		free(b);
		return r;
	}
	b[len] = '\0';
	*out = b;
	return MG_OK;
}

/*
 * Pass over len string bytes without keeping them: validate UTF-8 when
 * the string fits one peek, feed the digest when one is given.
 */
static int
str_skim(struct gg *g, uint64_t len, struct mg_hash *h)
{
	uint64_t off = mg_rd_tell(g->rd);
	const unsigned char *p;
	size_t got;
	int r;

	if (len <= CHUNK && len <= g->rd->cap && !g->kv_utf8) {
		/* Checked in the window, one bounds check for the string. */
		if ((r = mg_rd_takef(g->rd, (size_t)len, &p)) != MG_OK)
			return rd_fail(g, r, off, "string bytes");
		if (!mg_utf8_valid((const char *)p, (size_t)len))
			bad_utf8(g, off);
		if (h != NULL && mg_hash_update(h, p, (size_t)len) != MG_OK)
			return MG_ERR_INTERNAL;
		return MG_OK;
	}
	while (len > 0) {
		size_t want = len > CHUNK ? CHUNK : (size_t)len;

		if (h != NULL) {
			if ((r = mg_rd_peek(g->rd, want, &p, &got)) != MG_OK)
				return rd_fail(g, r, mg_rd_tell(g->rd),
				    "string bytes");
			if (got == 0)
				return rd_fail(g, MG_ERR_TRUNCATED,
				    mg_rd_tell(g->rd), "string bytes");
			if (mg_hash_update(h, p, got) != MG_OK)
				return MG_ERR_INTERNAL;
			want = got;
		}
		if ((r = skip(g, want, "string bytes")) != MG_OK)
			return r;
		len -= want;
	}
	return MG_OK;
}

/* Lexical injection check of a chat template (never rendered). */
static void
template_check(struct gg *g, const char *s, size_t n, uint64_t off)
{
	const char *what;
	size_t at;

	if (mg_template_suspicious(s, n, &what, &at))
		note(g, MG_R_GGUF_TEMPLATE, off + at, g->key,
		    "gguf: %s contains %s at byte %zu of the template, a "
		    "marker of template injection", where(g), what, at);
}

/* One scalar of type t: JSON into *out when out != NULL, number into n. */
static int
scalar(struct gg *g, uint32_t t, cJSON **out, struct mg_jsonw *tw,
    struct num *n)
{
	uint8_t u8 = 0;
	uint16_t u16 = 0;
	uint32_t u32 = 0;
	uint64_t u64 = 0;
	int64_t i = 0;
	uint64_t off = mg_rd_tell(g->rd);
	cJSON *j = NULL;
	double d;
	float f;
	int r = MG_OK, is_signed = 0, is_float = 0;

	memset(n, 0, sizeof(*n));
	switch (t) {
	case MG_GGUF_UINT8:
	case MG_GGUF_INT8:
	case MG_GGUF_BOOL:
		r = get_u8(g, &u8, "a 1-byte value");
		u64 = u8;
		i = (int8_t)u8;
		is_signed = t == MG_GGUF_INT8;
		break;
	case MG_GGUF_UINT16:
	case MG_GGUF_INT16:
		r = get_u16(g, &u16, "a 2-byte value");
		u64 = u16;
		i = (int16_t)u16;
		is_signed = t == MG_GGUF_INT16;
		break;
	case MG_GGUF_UINT32:
	case MG_GGUF_INT32:
	case MG_GGUF_FLOAT32:
		r = get_u32(g, &u32, "a 4-byte value");
		u64 = u32;
		i = (int32_t)u32;
		is_signed = t == MG_GGUF_INT32;
		is_float = t == MG_GGUF_FLOAT32;
		break;
	default:	/* UINT64, INT64, FLOAT64 */
		r = get_u64(g, &u64, "an 8-byte value");
		i = (int64_t)u64;
		is_signed = t == MG_GGUF_INT64;
		is_float = t == MG_GGUF_FLOAT64;
		break;
	}
	if (r != MG_OK)
		return r;

	if (t == MG_GGUF_BOOL) {
		if (u8 > 1 && !g->kv_bool) {
			g->kv_bool = 1;
			note(g, MG_R_GGUF_BOOL, off, g->key,
			    "gguf: a boolean in %s holds 0x%02x at offset %llu "
			    "(only 0 and 1 are allowed)", where(g), u8, ull(off));
		}
		n->has_int = 1;
		n->u = u8 != 0;
		if (out != NULL)
			j = cJSON_CreateBool(u8 != 0);
		if (tw != NULL)
			mg_jsonw_bool(tw, u8 != 0);
	} else if (is_float) {
		if (t == MG_GGUF_FLOAT32) {
			memcpy(&f, &u32, sizeof(f));
			d = f;
		} else
			memcpy(&d, &u64, sizeof(d));
		/*
		 * Python's float.is_integer() then int(): integral doubles,
		 * as far as 64 bits hold them (up to 2^64 for positives).
		 */
		if (d == d && d >= -9223372036854775808.0 &&
		    d < 9223372036854775808.0 && d == (double)(int64_t)d) {
			int64_t v = (int64_t)d;

			n->has_int = 1;
			n->neg = v < 0;
			n->u = (uint64_t)v;
		} else if (d >= 9223372036854775808.0 &&
		    d < 18446744073709551616.0) {
			/* Every double this large is an integer. */
			n->has_int = 1;
			n->u = (uint64_t)d;
		}
		if (out != NULL)
			j = mg_json_double(d);
		if (tw != NULL)
			mg_jsonw_double(tw, d);
	} else if (is_signed) {
		n->has_int = 1;
		n->neg = i < 0;
		n->u = (uint64_t)i;
		if (out != NULL)
			j = mg_json_i64(i);
		if (tw != NULL)
			mg_jsonw_i64(tw, i);
	} else {
		n->has_int = 1;
		n->u = u64;
		if (out != NULL)
			j = mg_json_u64(u64);
		if (tw != NULL)
			mg_jsonw_u64(tw, u64);
	}
	if (out != NULL) {
		if (j == NULL) {
			g->nomem = 1;
			return MG_ERR_NOMEM;
		}
		*out = j;
	}
	return MG_OK;
}

static int value(struct gg *, uint32_t, unsigned, cJSON **, struct mg_jsonw *,
    struct kvfacts *);

/* obj[name] = item, name a literal (not copied); 0 when item is NULL. */
static int
wrap_add(cJSON *obj, const char *name, cJSON *item)
{
	if (item == NULL)
		return 0;
	if (!cJSON_AddItemToObjectCS(obj, name, item)) {
		cJSON_Delete(item);
		return 0;
	}
	return 1;
}

/* Validate (and discard) count bool bytes. */
static int
skim_bools(struct gg *g, uint64_t count)
{
	const unsigned char *p;
	size_t got, k;
	int r;

	while (count > 0) {
		uint64_t off = mg_rd_tell(g->rd);
		size_t want = count > CHUNK ? CHUNK : (size_t)count;

		if ((r = mg_rd_peek(g->rd, want, &p, &got)) != MG_OK)
			return rd_fail(g, r, off, "array elements");
		if (got < want)
			return rd_fail(g, MG_ERR_TRUNCATED, off + got,
			    "array elements");
		for (k = 0; k < got && !g->kv_bool; k++)
			if (p[k] > 1) {
				g->kv_bool = 1;
				note(g, MG_R_GGUF_BOOL, off + k, g->key,
				    "gguf: a boolean in %s holds 0x%02x at offset "
				    "%llu (only 0 and 1 are allowed)", where(g),
				    p[k], ull(off + k));
			}
		if ((r = skip(g, got, "array elements")) != MG_OK)
			return r;
		count -= got;
	}
	return MG_OK;
}

/*
 * A run of short strings lying back to back in the reader's window, each
 * after its 8-byte length prefix: [s1][len2][s2]...[sn].  A length under
 * 128 is eight ASCII bytes, and no UTF-8 sequence spans an ASCII byte, so
 * the run is valid UTF-8 exactly when every string in it is: it is
 * checked in one pass, at the speed of long text.  Only when it fails are
 * its strings checked one by one, to report the first bad one.
 */
struct strrun {
	const unsigned char *p, *end;	/* p == NULL: no run */
	uint64_t	 off;		/* file offset of p */
	size_t		 n1;		/* length of the first string */
};

#define RUN_MAX_LEN	128u		/* lengths whose prefix is ASCII */

static void
run_check(struct gg *g, struct strrun *run)
{
	const unsigned char *start = run->p, *q = start;
	size_t n = run->n1;

	if (q == NULL)
		return;
	run->p = NULL;
	if (g->kv_utf8 || mg_utf8_valid((const char *)q,
	    (size_t)(run->end - q)))
		return;
	for (;;) {
		if (!mg_utf8_valid((const char *)q, n)) {
			bad_utf8(g, run->off + (uint64_t)(q - start));
			return;
		}
		q += n;
		if (q >= run->end)
			return;
		n = q[0];	/* < RUN_MAX_LEN: the other 7 bytes are 0 */
		q += 8;
	}
}

/*
 * count strings not kept (what value() does for each with neither JSON
 * nor facts wanted), without its per-value set-up: vocabularies and
 * merges hold hundreds of thousands.
 */
static int
skim_strings(struct gg *g, uint64_t count)
{
	struct strrun run = { NULL, NULL, 0, 0 };
	const unsigned char *p;
	uint64_t k, len;
	size_t n;
	int r;

	for (k = 0; k < count; k++) {
		/*
		 * Buffered whole (so within the file and under every cap):
		 * checked where it lies, in runs.  Anything else takes the
		 * long way, which reports what is wrong.
		 */
		if (!g->be && !g->v1 &&
		    mg_rd_lstr64f(g->rd, CHUNK, &p, &n)) {
			if (n < RUN_MAX_LEN && run.p != NULL) {
				run.end = p + n;
				continue;
			}
			run_check(g, &run);
			if (n < RUN_MAX_LEN) {
				run.p = p;
				run.end = p + n;
				run.n1 = n;
				run.off = mg_rd_tell(g->rd) - n;
				continue;
			}
			if (!g->kv_utf8 && !mg_utf8_valid((const char *)p, n))
				bad_utf8(g, mg_rd_tell(g->rd) - n);
			continue;
		}
		run_check(g, &run);
		if ((r = str_len(g, MG_MAX_GGUF_STRING, "a string length",
		    &len)) != MG_OK)
			return r;
		if ((r = str_skim(g, len, NULL)) != MG_OK)
			return r;
	}
	run_check(g, &run);
	return MG_OK;
}

/*
 * An ARRAY value: element type, count, elements.  depth counts the arrays
 * enclosing this one.
 */
static int
array(struct gg *g, unsigned depth, cJSON **out, struct kvfacts *f)
{
	uint64_t off = mg_rd_tell(g->rd), count, minsz, npre, k, need;
	cJSON *list = NULL, *obj = NULL, *item;
	struct mg_jsonw pw;
	char pbuf[1024];
	uint32_t et;
	unsigned esz;
	int r, text = 0;

	if ((r = get_u32(g, &et, "an array element type")) != MG_OK)
		return r;
	if ((r = get_size(g, &count, "an array count")) != MG_OK)
		return r;
	if (et >= MG_GGUF_NVTYPES) {
		note(g, MG_R_GGUF_TYPE, off, g->key,
		    "gguf: the array in %s has element type %u (types 0-12 are "
		    "defined); the rest of the header cannot be located",
		    where(g), et);
		return MG_ERR_FORMAT;
	}
	if (et == MG_GGUF_ARRAY) {
		if (!g->kv_nest) {
			g->kv_nest = 1;
			note(g, MG_R_GGUF_TYPE, off, g->key,
			    "gguf: %s holds an array of arrays, which the spec "
			    "allows but ggml rejects (not loadable by ggml)",
			    where(g));
		}
		if (depth + 1 >= MG_MAX_GGUF_NEST) {
			note(g, MG_R_GGUF_TYPE, off, g->key,
			    "gguf: arrays in %s nest deeper than %u",
			    where(g), MG_MAX_GGUF_NEST);
			return MG_ERR_LIMIT;
		}
	}
	esz = mg_gguf_vtype_size(et);
	if (et == MG_GGUF_STRING)
		minsz = size_width(g);
	else if (et == MG_GGUF_ARRAY)
		minsz = 4 + size_width(g);
	else
		minsz = esz;
	if (count > MG_MAX_GGUF_ARRAY) {
		note(g, MG_R_GGUF_COUNT, off, g->key,
		    "gguf: the array in %s declares %llu elements, over the cap "
		    "of %llu", where(g), ull(count), ull(MG_MAX_GGUF_ARRAY));
		return MG_ERR_LIMIT;
	}
	if (count > mg_rd_left(g->rd) / minsz) {
		if (__builtin_mul_overflow(count, minsz, &need))
			need = UINT64_MAX;
		note(g, MG_R_GGUF_COUNT, off, g->key,
		    "gguf: the array in %s declares %llu %s elements needing "
		    "at least %llu bytes but %llu are left at offset %llu",
		    where(g), ull(count), mg_gguf_vtype_name(et), ull(need),
		    ull(mg_rd_left(g->rd)), ull(mg_rd_tell(g->rd)));
		return MG_ERR_TRUNCATED;
	}
	if (f != NULL) {
		f->is_arr = 1;
		f->count = count;
		f->etype = et;
	}

	npre = count < MG_ARRAY_PREVIEW ? count : MG_ARRAY_PREVIEW;
	mg_jsonw_init(&pw, pbuf, sizeof(pbuf), SIZE_MAX / 2);
	if (out != NULL) {
		/* The list itself takes this value's slot. */
		if (!charge(g, npre * SLOT_COST +
		    (count > MG_ARRAY_PREVIEW ? WRAP_COST : 0)))
			*out = NULL;	/* elided below */
		else if (count > MG_ARRAY_PREVIEW && et != MG_GGUF_ARRAY) {
			/*
			 * A preview of scalars or strings is written as JSON
			 * text as it is read (a list prints the same at any
			 * depth), not kept as a node per element.
			 */
			text = 1;
			mg_jsonw_raw(&pw, "[", 1);
		} else if ((list = cJSON_CreateArray()) == NULL) {
			g->nomem = 1;
			return MG_ERR_NOMEM;
		}
	}
	for (k = 0; k < npre; k++) {
		item = NULL;
		if (text && k > 0)
			mg_jsonw_raw(&pw, ", ", 2);
		if ((r = value(g, et, depth + 1, list ? &item : NULL,
		    text ? &pw : NULL, NULL)) != MG_OK)
			goto out;
		if (list != NULL && (r = add_item(g, list, item)) != MG_OK)
			goto out;
	}
	count -= npre;
	if (count > 0) {
		if (et == MG_GGUF_BOOL)
			r = skim_bools(g, count);
		else if (esz > 0)	/* checked: count * esz <= left */
			r = skip(g, count * esz, "array elements");
		else if (et == MG_GGUF_STRING)
			r = skim_strings(g, count);
		else {
			for (k = 0; k < count; k++)
				if ((r = value(g, et, depth + 1, NULL, NULL,
				    NULL)) !=
				    MG_OK)
					break;
		}
		if (r != MG_OK)
			goto out;
	}
	count += npre;

	if (out != NULL) {
		if (list == NULL && !text) {
			*out = placeholder(count);
			if (*out == NULL)
				r = MG_ERR_NOMEM;
		} else if (count <= MG_ARRAY_PREVIEW) {
			*out = list;	/* transferred */
			list = NULL;
		} else {
			if (text) {
				mg_jsonw_raw(&pw, "]", 1);
				list = mg_json_raw_own(mg_jsonw_take(&pw,
				    &r));
			}
			/* Names and the type's name are static: not copied. */
			if (list == NULL ||
			    (obj = cJSON_CreateObject()) == NULL ||
			    !wrap_add(obj, "type",
			    cJSON_CreateStringReference("array")) ||
			    !wrap_add(obj, "element_type",
			    cJSON_CreateStringReference(
			    mg_gguf_vtype_name(et))) ||
			    !wrap_add(obj, "count", mg_json_u64(count))) {
				r = MG_ERR_NOMEM;
				goto out;
			}
			(void)wrap_add(obj, "preview", list);
			list = NULL;	/* transferred */
			if (!wrap_add(obj, "truncated", cJSON_CreateTrue())) {
				r = MG_ERR_NOMEM;
				goto out;
			}
			*out = obj;
			obj = NULL;
		}
	}
	r = MG_OK;
out:
	if (r == MG_ERR_NOMEM)
		g->nomem = 1;
	mg_jsonw_free(&pw);
	cJSON_Delete(list);
	cJSON_Delete(obj);
	return r;
}

/*
 * One value of type t (already known to be 0..12).  out: JSON when not
 * NULL (placeholder past the metadata cap).  f: facts, top level only.
 */
static int
value(struct gg *g, uint32_t t, unsigned depth, cJSON **out,
    struct mg_jsonw *tw, struct kvfacts *f)
{
	struct mg_hash *h = NULL;
	struct num n;
	uint64_t len, off;
	char *s = NULL;
	int r, keep;

	if (out != NULL)
		*out = NULL;
	if (t == MG_GGUF_ARRAY)
		return array(g, depth, out, f);
	if (t != MG_GGUF_STRING) {
		/* A number or a boolean fits the slot its parent charged. */
		if ((r = scalar(g, t, out, tw, &n)) != MG_OK)
			return r;
		if (f != NULL)
			f->n = n;
		return MG_OK;
	}

	if ((r = str_len(g, MG_MAX_GGUF_STRING, "a string length", &len)) !=
	    MG_OK)
		return r;
	off = mg_rd_tell(g->rd);
	if (out != NULL || tw != NULL) {
		/* A node and a copy that sanitising may triple. */
		uint64_t cost = NODE_COST + mchunk(len > UINT64_MAX / 4 ?
		    UINT64_MAX / 4 : 3 * len + 1);

		keep = charge(g, cost > SLOT_COST ? cost - SLOT_COST : 0);
	} else
		keep = 0;
	if (keep || (f != NULL && f->want_str && len <= FACT_STR_MAX) ||
	    (f != NULL && f->want_hash && len <= MG_MAX_TEMPLATE)) {
		if ((r = str_read(g, len, &s)) != MG_OK)
			return r;
		if (!mg_utf8_valid(s, (size_t)len))
			bad_utf8(g, off);
		if (f != NULL && f->want_hash &&
		    mg_sha256_hex(s, (size_t)len, f->hex) != MG_OK) {
			r = MG_ERR_INTERNAL;
			goto out;
		}
		if (f != NULL && f->want_hash)
			template_check(g, s, (size_t)len, off);
	} else {
		if (f != NULL && f->want_hash)
			note(g, MG_R_GGUF_TEMPLATE, off, g->key,
			    "gguf: %s is a %llu-byte template, over the %u-byte "
			    "cap for checking templates; it was not checked",
			    where(g), ull(len), MG_MAX_TEMPLATE);
		if (f != NULL && f->want_hash) {
			if ((h = mg_hash_new()) == NULL) {
				r = MG_ERR_NOMEM;
				goto out;
			}
			if (mg_hash_reset(h) != MG_OK) {
				r = MG_ERR_INTERNAL;
				goto out;
			}
		}
		if ((r = str_skim(g, len, h)) != MG_OK)
			goto out;
		if (h != NULL && mg_hash_final_hex(h, f->hex) != MG_OK) {
			r = MG_ERR_INTERNAL;
			goto out;
		}
	}
	if (out != NULL) {
		*out = keep ? mg_json_str(s, (size_t)len) : placeholder(len);
		if (*out == NULL) {
			r = MG_ERR_NOMEM;
			goto out;
		}
	}
	if (tw != NULL) {
		if (keep)
			mg_jsonw_textn(tw, s, (size_t)len);
		else {
			char b[64];

			mg_jsonw_str(tw, placeholder_text(len, b, sizeof(b)));
		}
		if (tw->err != MG_OK) {
			r = tw->err;
			goto out;
		}
	}
	if (f != NULL && s != NULL) {
		f->s = s;	/* transferred */
		f->slen = (size_t)len;
		s = NULL;
	}
	r = MG_OK;
out:
	if (r == MG_ERR_NOMEM)
		g->nomem = 1;
	mg_hash_free(h);
	free(s);
	return r;
}

/* Whether p[0..n) holds bytes 0x20-0x7e only, a word at a time. */
static int
printable_ascii(const char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ull, high = ones << 7;
	uint64_t x;
	size_t i = 0;

	for (; n - i >= 8; i += 8) {
		memcpy(&x, p + i, 8);
		/* A high bit, a 0x7f (+1 reaches 0x80), a byte below 0x20. */
		if (((x | (x + ones) | (x - ones * 0x20)) & high) != 0)
			return 0;
	}
	for (; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return 0;
	return 1;
}

/* k[0..n) is the literal lit, whose length the compiler knows. */
#define KEY_IS(k, n, lit) \
	((n) == sizeof(lit) - 1 && memcmp((k), (lit), sizeof(lit) - 1) == 0)

static inline int
key_is(const char *k, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(k, lit, n) == 0;
}

static int
key_ends(const char *k, size_t n, const char *sfx)
{
	size_t m = strlen(sfx);

	return n >= m && memcmp(k + n - m, sfx, m) == 0;
}

/* "  x " -> "x"; NULL or empty after stripping: unset. */
static int
set_stripped(struct gg *g, char **field, const char *s, size_t n)
{
	char *t;
	size_t a = 0, b;

	if (s == NULL)
		return MG_OK;
	if ((t = mg_utf8_dup(s, n)) == NULL) {
		g->nomem = 1;
		return MG_ERR_NOMEM;
	}
	b = strlen(t);
	while (a < b && strchr(" \t\n\r\v\f", t[a]) != NULL)
		a++;
	while (b > a && strchr(" \t\n\r\v\f", t[b - 1]) != NULL)
		b--;
	if (b > a && mg_artifact_set(field, t + a, b - a) != MG_OK)
		g->nomem = 1;
	free(t);
	return g->nomem ? MG_ERR_NOMEM : MG_OK;
}

static char *
take_str(struct kvfacts *f)
{
	char *s = f->s;

	f->s = NULL;
	return s;
}

/* Record what the derived fields need from the first value of a key. */
static void
collect(struct gg *g, const char *k, size_t kn, struct kvfacts *f,
    uint64_t off)
{
	int str = f->type == MG_GGUF_STRING && f->s != NULL;
	size_t i;

	if (KEY_IS(k, kn, "general.alignment")) {
		if (f->type != MG_GGUF_UINT32)
			note(g, MG_R_GGUF_ALIGN, off, g->key,
			    "gguf: general.alignment has type %s; ggml requires "
			    "UINT32 (using %u)", mg_gguf_vtype_name(f->type),
			    GGUF_DEFAULT_ALIGN);
		else if (f->n.u == 0 || (f->n.u & (f->n.u - 1)) != 0)
			note(g, MG_R_GGUF_ALIGN, off, g->key,
			    "gguf: general.alignment is %llu; it must be a "
			    "non-zero power of two (using %u)",
			    ull(f->n.u), GGUF_DEFAULT_ALIGN);
		else
			g->align = (uint32_t)f->n.u;
	} else if (KEY_IS(k, kn, "general.architecture") && str) {
		g->arch_len = f->slen;
		g->arch = take_str(f);
	} else if (KEY_IS(k, kn, "general.license") && str) {
		g->license_len = f->slen;
		g->license = take_str(f);
	} else if (KEY_IS(k, kn, "general.base_model.0.repo_url") && str) {
		g->bm_url_len = f->slen;
		g->bm_url = take_str(f);
	} else if (KEY_IS(k, kn, "general.base_model.0.name") && str) {
		g->bm_name_len = f->slen;
		g->bm_name = take_str(f);
	} else if (KEY_IS(k, kn, "general.file_type")) {
		g->have_ftype = f->n.has_int;
		g->ftype = f->n;
		g->ftype_off = off;
	} else if (KEY_IS(k, kn, "split.no") && f->n.has_int && !f->n.neg) {
		/* gguf-split: shards after the first carry only tensors. */
		g->a->split_no = f->n.u;
		g->a->have |= MG_HAVE_SPLIT;
	} else if (KEY_IS(k, kn, "split.count") && f->n.has_int &&
	    !f->n.neg) {
		g->a->split_count = f->n.u;
	} else if (KEY_IS(k, kn, "split.tensors.count") && f->n.has_int &&
	    !f->n.neg) {
		g->a->split_tensors = f->n.u;
		g->a->have |= MG_HAVE_SPLIT_TENSORS;
	} else if (KEY_IS(k, kn, "tokenizer.ggml.model") && str) {
		/* One tokenizer across a split set (repo.c). */
		free(g->a->tokenizer_model);
		g->a->tokenizer_model = take_str(f);
	} else if (KEY_IS(k, kn, "tokenizer.ggml.tokens")) {
		g->have_tokens = f->is_arr;
		g->ntokens = f->is_arr ? f->count : 0;
		g->tokens_et = f->is_arr ? f->etype : MG_GGUF_NVTYPES;
		g->tokens_off = off;
	} else if (KEY_IS(k, kn, "tokenizer.ggml.scores")) {
		g->have_scores = f->is_arr;
		g->nscores = f->is_arr ? f->count : 0;
		g->scores_et = f->is_arr ? f->etype : MG_GGUF_NVTYPES;
		g->scores_off = off;
	} else if (KEY_IS(k, kn, "tokenizer.ggml.token_type")) {
		g->have_ttypes = f->is_arr;
		g->nttypes = f->is_arr ? f->count : 0;
		g->ttypes_et = f->is_arr ? f->etype : MG_GGUF_NVTYPES;
		g->ttypes_off = off;
	} else if (KEY_IS(k, kn, "tokenizer.ggml.n_vocab")) {
		g->have_nvocab = f->n.has_int;
		g->nvocab = f->n;
	} else if (KEY_IS(k, kn, "general.vocab_size")) {
		g->have_gvocab = f->n.has_int;
		g->gvocab = f->n;
	}
	if (KEY_IS(k, kn, "general.context_length")) {
		g->have_ctx = f->n.has_int;
		g->ctx = f->n;
	}
	if (!g->have_ctx_sfx && f->n.has_int && !f->n.neg &&
	    key_ends(k, kn, ".context_length")) {
		g->have_ctx_sfx = 1;
		g->ctx_sfx = f->n;
	}
	if (!g->have_vocab_sfx && f->n.has_int && !f->n.neg &&
	    key_ends(k, kn, ".vocab_size")) {
		g->have_vocab_sfx = 1;
		g->vocab_sfx = f->n;
	}
	for (i = 0; i < 5; i++)
		if (key_is(k, kn, special_keys[i]) && f->n.has_int) {
			g->spec[i].have = 1;
			g->spec[i].n = f->n;
		}
	if (f->hex[0] != '\0' && mg_artifact_add_digest(&g->a->templates,
	    &g->a->ntemplates, g->key, f->hex) != MG_OK)
		g->nomem = 1;
	if (f->hex[0] != '\0' && g->tmpl != NULL &&
	    charge(g, NODE_COST + mchunk(65) + mchunk(strlen(g->key) + 1))) {
		cJSON *h = cJSON_CreateString(f->hex);

		if (h == NULL)
			g->nomem = 1;
		else
			cJSON_AddItemToObject(g->tmpl, g->key, h);
	}
}

/*
 * Whether a first-seen key gets a place in the report.  Report keys are
 * sanitised copies, and two raw keys may sanitise alike; only the first
 * is stored.  Two clean keys (unchanged by sanitising) are alike only
 * when equal, which the raw-key set has already caught, so only the
 * sanitised forms of changed keys need keeping, and a changed key is
 * compared with every raw key seen.
 */
static int
store_key(struct gg *g, const char *k, size_t kn, const char *jk,
    int *store)
{
	size_t jn = strlen(jk);
	uint64_t cost, grow = 0;
	int clean = kn == jn && memcmp(k, jk, kn) == 0, r;

	*store = 0;
	if (mg_keyset_has(g->dirty, jk, jn) ||
	    (!clean && mg_keyset_has(g->keyset, jk, jn)))
		return MG_OK;
	/* Its object name, its metadata_keys entry, its value's slot. */
	cost = mchunk(jn + 1) + NODE_COST + mchunk(jn + 1) + SLOT_COST;
	if (!clean)
		grow = mg_keyset_bytes_next(g->dirty) -
		    mg_keyset_bytes(g->dirty);
	if (!charge(g, cost + grow))
		return MG_OK;
	if (!clean && (r = mg_keyset_add(g->dirty, jk, jn)) < 0)
		return r;
	*store = 1;
	return MG_OK;
}

/* Room for a key of n bytes and its sanitised form (3 n + 1). */
static int
key_bufs(struct gg *g, size_t n)
{
	char *p;

	if (n + 1 > g->kcap) {
		if ((p = realloc(g->kbuf, n + 1)) == NULL)
			return MG_ERR_NOMEM;
		g->kbuf = p;
		g->kcap = n + 1;
	}
	if (3 * n + 1 > g->jkcap) {
		if ((p = realloc(g->jkbuf, 3 * n + 1)) == NULL)
			return MG_ERR_NOMEM;
		g->jkbuf = p;
		g->jkcap = 3 * n + 1;
	}
	return MG_OK;
}

/* One key/value record. */
static int
kv(struct gg *g, uint64_t idx)
{
	struct kvfacts f;
	uint64_t off = mg_rd_tell(g->rd), klen;
	cJSON *val = NULL;
	char *k = NULL, *jk = NULL;
	size_t i;
	int r, dup = 0, ctl = 0, bad = 0, store;

	memset(&f, 0, sizeof(f));
	g->key = NULL;
	g->kv_utf8 = g->kv_bool = g->kv_nest = 0;
	set_where(g, W_KV, idx, NULL);

	if ((r = str_len(g, MG_MAX_GGUF_KEY, "the key length", &klen)) !=
	    MG_OK)
		goto out;
	/*
	 * Into buffers kept across keys (klen <= MG_MAX_GGUF_KEY): no
	 * allocation per key once they have grown.
	 */
	if ((r = key_bufs(g, (size_t)klen)) != MG_OK)
		goto out;
	k = g->kbuf;
	jk = g->jkbuf;
	if ((r = get_bytes(g, k, (size_t)klen, "string bytes")) != MG_OK)
		goto out;
	k[klen] = '\0';
	/* Keys are printable ASCII as a rule: then all is said in one pass. */
	if (printable_ascii(k, (size_t)klen))
		memcpy(jk, k, (size_t)klen + 1);
	else {
		mg_utf8_clean_into(jk, k, (size_t)klen);
		for (i = 0; i < klen; i++)
			if ((unsigned char)k[i] < 0x20 || k[i] == 0x7f)
				ctl = 1;
		bad = !mg_utf8_valid(k, (size_t)klen);
	}
	g->key = jk;
	set_where(g, W_KV, idx, jk);
	if (klen == 0)
		note(g, MG_R_GGUF_KEY, off, NULL,
		    "gguf: metadata entry %llu has an empty key (offset %llu)",
		    ull(idx), ull(off));
	if (ctl)
		note(g, MG_R_GGUF_KEY, off, jk,
		    "gguf: the key of %s contains control bytes", where(g));
	if (bad)
		bad_utf8(g, off);
	if ((r = mg_keyset_add(g->keyset, k, (size_t)klen)) < 0)
		goto out;
	if (r == 0) {
		dup = 1;
		note(g, MG_R_GGUF_KEY, off, jk,
		    "gguf: key '%.200s' repeats an earlier key at offset %llu "
		    "(the first value is kept)", jk, ull(off));
	}

	if ((r = get_u32(g, &f.type, "the value type")) != MG_OK)
		goto out;
	if (f.type >= MG_GGUF_NVTYPES) {
		note(g, MG_R_GGUF_TYPE, mg_rd_tell(g->rd) - 4, jk,
		    "gguf: %s has value type %u (types 0-12 are defined); the "
		    "rest of the header cannot be located", where(g), f.type);
		r = MG_ERR_FORMAT;
		goto out;
	}

	/*
	 * A key whose sanitised form is already present (a duplicate, or two
	 * raw keys that sanitise alike) is validated but not stored again.
	 */
	store = !dup;
	if (store && (r = store_key(g, k, (size_t)klen, jk, &store)) !=
	    MG_OK)
		goto out;
	if (!dup) {
		f.want_str = KEY_IS(k, klen, "general.architecture") ||
		    KEY_IS(k, klen, "general.license") ||
		    KEY_IS(k, klen, "general.base_model.0.repo_url") ||
		    KEY_IS(k, klen, "general.base_model.0.name") ||
		    KEY_IS(k, klen, "tokenizer.ggml.model");
		f.want_hash = f.type == MG_GGUF_STRING &&
		    (KEY_IS(k, klen, "tokenizer.chat_template") ||
		    (klen > 24 && memcmp(k, "tokenizer.chat_template.", 24) ==
		    0));
		if (f.want_hash && g->tmpl == NULL &&
		    (g->tmpl = cJSON_CreateObject()) == NULL) {
			r = MG_ERR_NOMEM;
			goto out;
		}
	}
	if ((r = value(g, f.type, 0, store ? &val : NULL, NULL,
	    dup ? NULL : &f)) !=
	    MG_OK)
		goto out;
	if (store) {
		if (g->nkeylist++ > 0)
			mg_jsonw_raw(&g->keylist, ", ", 2);
		mg_jsonw_str(&g->keylist, jk);	/* sanitised already */
		if (g->keylist.err != MG_OK) {
			r = g->keylist.err;
			goto out;
		}
		if (mg_strset_add(g->mkeys, jk, strlen(jk)) < 0) {
			r = MG_ERR_NOMEM;
			goto out;
		}
		cJSON_AddItemToObject(g->meta, jk, val);
		val = NULL;	/* transferred */
	}
	if (!dup)
		collect(g, k, (size_t)klen, &f, off);
	r = MG_OK;
out:
	if (r == MG_ERR_NOMEM)
		g->nomem = 1;
	g->key = NULL;
	cJSON_Delete(val);
	free(f.s);
	return r;
}

/* Keep a short sanitised copy of a tensor name for later findings. */
static int
pool_add(struct gg *g, const char *s, size_t n, uint32_t *at)
{
	char *np;
	size_t m;

	if (n > MG_MAX_GGUF_TNAME + 1)
		n = MG_MAX_GGUF_TNAME + 1;
	m = 3 * n + 1;		/* room for the sanitised copy */
	if (g->pool_len > UINT32_MAX - m)	/* cannot happen: 1M * 193 */
		return MG_ERR_LIMIT;
	if (m > g->pool_cap - g->pool_len) {
		size_t nc = g->pool_cap ? g->pool_cap * 2 : 4096;

		while (nc - g->pool_len < m)
			nc *= 2;
		if ((np = realloc(g->pool, nc)) == NULL)
			return MG_ERR_NOMEM;
		g->pool = np;
		g->pool_cap = nc;
	}
	/* Sanitised in place, straight into the pool. */
	m = mg_utf8_clean_into(g->pool + g->pool_len, s, n) + 1;
	*at = (uint32_t)g->pool_len;
	g->pool_len += m;
	return MG_OK;
}

static const char *
tname(const struct gg *g, const struct tinfo *t)
{
	return g->pool + t->name;
}

/* One tensor info record. */
static int
tensor(struct gg *g, uint64_t idx)
{
	struct tinfo *t = &g->t[idx];
	const struct mg_gguf_ttype *tt;
	uint64_t off = mg_rd_tell(g->rd), nlen, dim, ne[MG_MAX_GGUF_DIMS];
	uint64_t nelem = 1, blocks;
	char nb[NAME_READ_MAX + 1];
	size_t have;
	const char *nm;
	uint32_t ndims, j;
	int r, shape_ok = 1, type_ok = 1;

	memset(t, 0, sizeof(*t));
	g->key = NULL;
	set_where(g, W_TENSOR, idx, NULL);
	if ((r = str_len(g, MG_MAX_GGUF_STRING, "the tensor name length",
	    &nlen)) != MG_OK)
		return r;
	if (nlen <= NAME_READ_MAX) {
		if ((r = get_bytes(g, nb, (size_t)nlen, "the tensor name")) !=
		    MG_OK)
			return r;
		have = (size_t)nlen;
	} else {
		const unsigned char *p;

		/* Keep the start for messages; skip the rest. */
		if ((r = mg_rd_peek(g->rd, NAME_READ_MAX, &p, &have)) != MG_OK)
			return rd_fail(g, r, off, "the tensor name");
		memcpy(nb, p, have);
		if ((r = skip(g, nlen, "the tensor name")) != MG_OK)
			return r;
	}
	if ((r = pool_add(g, nb, have, &t->name)) != MG_OK)
		return r;
	nm = tname(g, t);
	g->key = nm;
	set_where(g, W_TENSOR, idx, nm);
	if (nlen == 0)
		note(g, MG_R_GGUF_TNAME, off, NULL,
		    "gguf: tensor info %llu has an empty name (offset %llu)",
		    ull(idx), ull(off));
	else if (nlen > MG_MAX_GGUF_TNAME)
		note(g, MG_R_GGUF_TNAME, off, nm,
		    "gguf: tensor name '%.64s...' is %llu bytes; ggml allows "
		    "at most %u", nm, ull(nlen), MG_MAX_GGUF_TNAME);
	if (nlen <= NAME_READ_MAX) {
		if (memchr(nb, '\0', (size_t)nlen) != NULL)
			note(g, MG_R_GGUF_TNAME, off, nm,
			    "gguf: tensor name '%s' contains a NUL byte", nm);
		if ((r = mg_keyset_add(g->tnames, nb, (size_t)nlen)) < 0)
			return r;
		if (r == 0)
			note(g, MG_R_GGUF_TNAME, off, nm,
			    "gguf: tensor name '%s' repeats an earlier tensor "
			    "(offset %llu)", nm, ull(off));
	}

	off = mg_rd_tell(g->rd);
	if ((r = get_u32(g, &ndims, "n_dims")) != MG_OK)
		return r;
	if (ndims > MG_MAX_GGUF_DIMS) {
		note(g, MG_R_GGUF_SHAPE, off, nm,
		    "gguf: tensor '%s' has n_dims %u; ggml allows at most %u",
		    nm, ndims, MG_MAX_GGUF_DIMS);
		return MG_ERR_FORMAT;
	}
	for (j = 0; j < MG_MAX_GGUF_DIMS; j++)
		ne[j] = 1;
	for (j = 0; j < ndims; j++) {
		off = mg_rd_tell(g->rd);
		if ((r = get_size(g, &dim, "a tensor dimension")) != MG_OK)
			return r;
		ne[j] = dim;
		if (dim > (uint64_t)INT64_MAX) {
			shape_ok = 0;
			note(g, MG_R_GGUF_SHAPE, off, nm,
			    "gguf: tensor '%s' dimension %u is %llu (negative "
			    "as int64)", nm, j, ull(dim));
		}
	}
	if (shape_ok) {
		for (j = 0; j < MG_MAX_GGUF_DIMS; j++)
			if (__builtin_mul_overflow(nelem, ne[j], &nelem) ||
			    nelem > (uint64_t)INT64_MAX) {
				shape_ok = 0;
				note(g, MG_R_GGUF_SHAPE, off, nm,
				    "gguf: tensor '%s' element count [%llu, %llu, "
				    "%llu, %llu] overflows int64", nm, ull(ne[0]),
				    ull(ne[1]), ull(ne[2]), ull(ne[3]));
				break;
			}
	}
	if (shape_ok) {
		t->params = nelem;
		t->counted = 1;
		if (nelem == 0)
			note(g, MG_R_GGUF_EMPTY, off, nm,
			    "gguf: tensor '%s' has no elements", nm);
	}

	off = mg_rd_tell(g->rd);
	if ((r = get_u32(g, &t->type, "the tensor type")) != MG_OK)
		return r;
	tt = mg_gguf_ttype(t->type);
	if (tt == NULL || tt->blck == 0) {
		type_ok = 0;
		note(g, MG_R_GGUF_TTYPE, off, nm,
		    "gguf: tensor '%s' has %s type %u%s%s", nm,
		    tt == NULL ? "unknown" : "removed", t->type,
		    tt == NULL ? "" : " ", tt == NULL ? "" : tt->name);
	} else if (ne[0] % tt->blck != 0) {
		type_ok = 0;
		note(g, MG_R_GGUF_TTYPE, off, nm,
		    "gguf: tensor '%s' has ne0 %llu, not a multiple of the %s "
		    "block size %u", nm, ull(ne[0]), tt->name, tt->blck);
	} else if (t->type == GGML_Q8_1 || t->type == GGML_Q8_K)
		/* The size is known: the ranges are still checked. */
		note(g, MG_R_GGUF_TTYPE, off, nm,
		    "gguf: tensor '%s' is stored as %s, a format ggml uses only "
		    "for activations: it has no conversion back to floats and "
		    "no quantizer writes weights in it", nm, tt->name);
	if (shape_ok && type_ok) {
		blocks = nelem / tt->blck;	/* exact: ne0 % blck == 0 */
		if (__builtin_mul_overflow(blocks, (uint64_t)tt->size,
		    &t->nbytes))
			note(g, MG_R_GGUF_SHAPE, off, nm,
			    "gguf: tensor '%s' byte size (%llu blocks of %u) "
			    "overflows", nm, ull(blocks), tt->size);
		else
			t->sized = 1;
	}

	off = mg_rd_tell(g->rd);
	if ((r = get_u64(g, &t->off, "the tensor offset")) != MG_OK)
		return r;
	if (t->off % g->align != 0)
		note(g, MG_R_GGUF_OFFSET, off, nm,
		    "gguf: tensor '%s' offset %llu is not a multiple of the "
		    "alignment %u", nm, ull(t->off), g->align);
	g->key = NULL;
	return MG_OK;
}

static int
cmp_off(const void *x, const void *y)
{
	const struct tinfo *a = *(const struct tinfo *const *)x;
	const struct tinfo *b = *(const struct tinfo *const *)y;

	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return a < b ? -1 : a > b;
}

/* Hex of up to 16 bytes, for a finding's evidence. */
static void
hexdump(const unsigned char *p, size_t n, char *out, size_t outlen)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && i < 16 && o + 3 <= outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%02x", p[i]);
}

/*
 * The padding up to end (the data section, or the alignment boundary
 * after a header without tensors) is read by no loader: it must be zeros,
 * or it is a place to hide bytes.  The bytes are in the stream anyway (the
 * digest needs them), so they are looked at, not skipped.  Padding is at
 * most one alignment and never more than the file holds.
 */
static void
pad_check(struct gg *g, uint64_t end)
{
	uint64_t start = mg_rd_tell(g->rd), off = start, left;
	const unsigned char *p;
	size_t got, i;
	char ev[40];

	if (end == UINT64_MAX || end <= start)
		return;
	if (end > g->rd->size)
		end = g->rd->size;	/* ranges() reports what is missing */
	if (end <= start)
		return;
	left = end - start;
	while (left > 0) {
		size_t want = left > CHUNK ? CHUNK : (size_t)left;

		if (mg_rd_peek(g->rd, want, &p, &got) != MG_OK || got == 0)
			return;
		for (i = 0; i < got; i++)
			if (p[i] != 0) {
				hexdump(p + i, got - i, ev, sizeof(ev));
				notex(g, MG_R_GGUF_TRAIL, off + i,
				    end - (off + i), NULL, ev,
				    "gguf: the %llu bytes of padding at offset "
				    "%llu hold non-zero bytes from offset %llu "
				    "(%llu bytes to the end of the padding)",
				    ull(end - start), ull(start), ull(off + i),
				    ull(end - (off + i)));
				return;
			}
		if (skip(g, got, "padding") != MG_OK)
			return;
		off += got;
		left -= got;
	}
}

/* v rounded up to the alignment, or UINT64_MAX when it overflows. */
static uint64_t
align_up(const struct gg *g, uint64_t v)
{
	uint64_t rem = v % g->align;

	if (rem == 0)
		return v;
	return g->align - rem > UINT64_MAX - v ? UINT64_MAX :
	    v + (g->align - rem);
}

/*
 * ggml loads tensors only when each offset equals the running total of
 * the previous tensors' sizes, each padded to the alignment, in
 * declaration order.  A file that breaks it is refused by the reference
 * loader; a gap can also hold bytes no loader reads.  Report the first
 * break only: every later offset would differ too.
 */
static void
contiguity(struct gg *g)
{
	uint64_t expect = 0, padded, rem, i;

	for (i = 0; i < g->tparsed; i++) {
		const struct tinfo *t = &g->t[i];

		if (!t->sized)
			return;		/* unknown size: nothing to compare */
		if (t->off != expect) {
			note(g, MG_R_GGUF_OFFSET, MG_FINDING_NO_OFFSET,
			    tname(g, t),
			    "gguf: tensor '%s' starts at data offset %llu but "
			    "ggml requires %llu (%s): tensors must follow each "
			    "other in declaration order, each padded to %u "
			    "bytes", tname(g, t), ull(t->off), ull(expect),
			    t->off > expect ? "a gap holds bytes no earlier "
			    "tensor owns" : "out of order or overlapping",
			    (unsigned)g->align);
			return;
		}
		padded = t->nbytes;
		rem = padded % g->align;
		if (rem != 0 && __builtin_add_overflow(padded,
		    g->align - rem, &padded))
			return;
		if (__builtin_add_overflow(expect, padded, &expect))
			return;
	}
}

static int
ranges(struct gg *g)
{
	struct tinfo **v = NULL;
	uint64_t size = g->rd->size, i, n = 0, end, maxend = 0, last = 0;
	uint64_t padded;
	const struct tinfo *holder = NULL;
	int r = MG_ERR_NOMEM, have_last = 0;

	if (g->tparsed > 0 &&
	    (v = malloc((size_t)g->tparsed * sizeof(*v))) == NULL)
		goto out;
	for (i = 0; i < g->tparsed; i++) {
		struct tinfo *t = &g->t[i];

		if (!t->sized)
			continue;
		if (__builtin_add_overflow(g->data_off, t->off, &end) ||
		    __builtin_add_overflow(end, t->nbytes, &end) || end > size) {
			note(g, MG_R_GGUF_OFFSET, MG_FINDING_NO_OFFSET,
			    tname(g, t),
			    "gguf: tensor '%s' data (offset %llu + %llu bytes "
			    "after the data section at %llu) lies past the end "
			    "of the file (%llu bytes)", tname(g, t), ull(t->off),
			    ull(t->nbytes), ull(g->data_off), ull(size));
			continue;
		}
		if (!have_last || end > last)
			last = end;
		have_last = 1;
		if (t->nbytes > 0)
			v[n++] = t;
	}
	contiguity(g);
	/* Writers lay tensors out in the order they list them, most often. */
	for (i = 1; i < n && cmp_off(&v[i - 1], &v[i]) < 0; i++)
		;
	if (i < n)
		qsort(v, (size_t)n, sizeof(*v), cmp_off);
	for (i = 0; i < n; i++) {
		if (holder != NULL && v[i]->off < maxend)
			note(g, MG_R_GGUF_OFFSET, MG_FINDING_NO_OFFSET,
			    tname(g, v[i]),
			    "gguf: tensor '%s' data [%llu, %llu) overlaps tensor "
			    "'%s' [%llu, %llu)", tname(g, v[i]), ull(v[i]->off),
			    ull(v[i]->off + v[i]->nbytes), tname(g, holder),
			    ull(holder->off), ull(holder->off + holder->nbytes));
		if (v[i]->off + v[i]->nbytes > maxend) {
			maxend = v[i]->off + v[i]->nbytes;
			holder = v[i];
		}
	}

	/*
	 * Trailing bytes: past the padded end of the last tensor, or past
	 * the padded header when there are no tensors (gguf-py, ggml's
	 * gguf_write_to_buf and @huggingface/gguf pad the header to the
	 * alignment whatever the tensor count; pad_check() has looked at
	 * that padding).  When no tensor has a known size inside the file
	 * there is no end to measure from.
	 */
	if (g->tparsed == 0) {
		padded = align_up(g, g->info_end);
		have_last = 1;
	} else
		padded = align_up(g, last);
	if (g->tparsed > 0 && have_last) {
		/*
		 * Writers pad the last tensor too (gguf-py, ggml), and ggml's
		 * reader reads the padded data section whole: a file that
		 * ends inside that padding is refused by it.
		 */
		if (size < padded)
			notex(g, MG_R_GGUF_TRUNC, size, padded - size, NULL,
			    NULL, "gguf: the file (%llu bytes) ends %llu bytes "
			    "into the padding after the last tensor, %llu bytes "
			    "before the end of the data section at %llu; ggml "
			    "reads the padded data section and refuses it",
			    ull(size), ull(size - last), ull(padded - size),
			    ull(padded));
		/* The padding after the last tensor must be zeros too. */
		if (last >= mg_rd_tell(g->rd) &&
		    skip(g, last - mg_rd_tell(g->rd), "tensor data") == MG_OK)
			pad_check(g, padded);
	}
	if (have_last && size > padded)
		notex(g, MG_R_GGUF_TRAIL, padded, size - padded, NULL, NULL,
		    "gguf: %llu bytes follow the %s at offset %llu",
		    ull(size - padded), g->tparsed ? "last tensor" :
		    "padded header", ull(padded));
	r = MG_OK;
out:
	free(v);
	return r;
}

/*
 * llama.cpp's vocabulary loader takes the token count from
 * tokenizer.ggml.tokens (read as strings) and then indexes
 * tokenizer.ggml.scores as float32 and tokenizer.ggml.token_type as int32
 * by token id through gguf_get_arr_data(), which checks neither the
 * element type nor the count.  A shorter array, or one of narrower
 * elements with the right count, makes it read past the array.
 */
struct vocab_arr {
	const char	*key;
	uint32_t	 want;		/* element type */
	const char	*as;
};

static void
vocab_arr_check(struct gg *g, const struct vocab_arr *v, int seen,
    uint64_t off, uint32_t et, uint64_t n)
{
	char ev[64];
	const char *tn;

	if (!seen)
		return;
	tn = et < MG_GGUF_NVTYPES ? mg_gguf_vtype_name(et) : NULL;
	if (tn == NULL)
		snprintf(ev, sizeof(ev), "not an array");
	else
		snprintf(ev, sizeof(ev), "%s[%llu]", tn, ull(n));
	if (et != v->want)
		notex(g, MG_R_GGUF_VOCAB, off, 0, v->key, ev,
		    "gguf: %s is %s%s; llama.cpp reads it as an array of %s "
		    "indexed by token id", v->key, tn ? "an array of " : "",
		    tn ? tn : "not an array", v->as);
	else if (g->have_tokens && n != g->ntokens)
		notex(g, MG_R_GGUF_VOCAB, off, 0, v->key, ev,
		    "gguf: %s has %llu entries but tokenizer.ggml.tokens has "
		    "%llu; a loader indexing it by token id reads past its end",
		    v->key, ull(n), ull(g->ntokens));
}

static int
vocab_checks(struct gg *g)
{
	static const struct vocab_arr tokens = {
		"tokenizer.ggml.tokens", MG_GGUF_STRING, "strings" };
	static const struct vocab_arr scores = {
		"tokenizer.ggml.scores", MG_GGUF_FLOAT32, "FLOAT32" };
	static const struct vocab_arr ttypes = {
		"tokenizer.ggml.token_type", MG_GGUF_INT32, "INT32" };
	size_t i;

	vocab_arr_check(g, &tokens, g->tokens_off != 0, g->tokens_off,
	    g->tokens_et, g->ntokens);
	if (!g->have_tokens)
		return MG_OK;
	vocab_arr_check(g, &scores, g->scores_off != 0, g->scores_off,
	    g->scores_et, g->nscores);
	vocab_arr_check(g, &ttypes, g->ttypes_off != 0, g->ttypes_off,
	    g->ttypes_et, g->nttypes);
	for (i = 0; i < 5; i++)
		if (g->spec[i].have && !g->spec[i].n.neg &&
		    g->spec[i].n.u >= g->ntokens)
			note(g, MG_R_GGUF_VOCAB, MG_FINDING_NO_OFFSET,
			    special_keys[i],
			    "gguf: %s is %llu but the vocabulary has %llu "
			    "tokens", special_keys[i], ull(g->spec[i].n.u),
			    ull(g->ntokens));
	return MG_OK;
}

/* Python-dict semantics for the summary: replace a raw KV of that name. */
static int
put(struct gg *g, const char *name, cJSON *v)
{
	if (v == NULL) {
		g->nomem = 1;
		return MG_ERR_NOMEM;
	}
	/*
	 * Only a raw key can hold the name already (each summary name is put
	 * once), and mkeys has every raw key stored: a lookup in meta, which
	 * is linear, is needed only when mkeys has the name.
	 */
	if ((g->mkeys == NULL || mg_strset_has(g->mkeys, name,
	    strlen(name))) &&
	    cJSON_GetObjectItemCaseSensitive(g->meta, name) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(g->meta, name, v);
	else
		cJSON_AddItemToObject(g->meta, name, v);
	return MG_OK;
}

struct tgroup {
	uint32_t	 type;
	uint64_t	 first;		/* index of the first tensor */
	uint64_t	 count, params;
};

static int
cmp_type(const void *x, const void *y)
{
	const struct tinfo *a = *(const struct tinfo *const *)x;
	const struct tinfo *b = *(const struct tinfo *const *)y;

	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int
cmp_first(const void *x, const void *y)
{
	const struct tgroup *a = x, *b = y;

	return a->first < b->first ? -1 : a->first > b->first;
}

static void
type_label(uint32_t type, char *buf, size_t n)
{
	const struct mg_gguf_ttype *tt = mg_gguf_ttype(type);

	if (tt != NULL && tt->name != NULL)
		snprintf(buf, n, "%s", tt->name);
	else
		snprintf(buf, n, "UNKNOWN_%u", type);
}

/*
 * tensor_type_counts / tensor_type_parameter_counts in first-seen order,
 * the total parameter count and the majority type (ties: first seen).
 */
static int
type_summary(struct gg *g, cJSON *counts, cJSON *params, uint64_t *total,
    char *major, size_t majorlen)
{
	struct tinfo **v = NULL;
	struct tgroup *gr = NULL;
	uint64_t i, ng = 0, best = 0;
	int r = MG_ERR_NOMEM, have_best = 0, sum_ovf = 0;
	char label[32];

	*total = 0;
	major[0] = '\0';
	if (g->tparsed == 0)
		return MG_OK;
	if ((v = malloc((size_t)g->tparsed * sizeof(*v))) == NULL ||
	    (gr = malloc((size_t)g->tparsed * sizeof(*gr))) == NULL)
		goto out;
	for (i = 0; i < g->tparsed; i++)
		v[i] = &g->t[i];
	qsort(v, (size_t)g->tparsed, sizeof(*v), cmp_type);
	for (i = 0; i < g->tparsed; i++) {
		uint64_t p = v[i]->counted ? v[i]->params : 0;

		if (ng == 0 || gr[ng - 1].type != v[i]->type) {
			gr[ng].type = v[i]->type;
			gr[ng].first = (uint64_t)(v[i] - g->t);
			gr[ng].count = gr[ng].params = 0;
			ng++;
		}
		gr[ng - 1].count++;
		if (__builtin_add_overflow(gr[ng - 1].params, p,
		    &gr[ng - 1].params)) {
			gr[ng - 1].params = UINT64_MAX;
			sum_ovf = 1;
		}
		if (__builtin_add_overflow(*total, p, total)) {
			*total = UINT64_MAX;
			sum_ovf = 1;
		}
	}
	qsort(gr, (size_t)ng, sizeof(*gr), cmp_first);
	for (i = 0; i < ng; i++) {
		unsigned bpw;
		int q;

		type_label(gr[i].type, label, sizeof(label));
		bpw = mg_gguf_ttype_bpw_milli(gr[i].type, &q);
		if (mg_artifact_add_ttype(g->a, label, gr[i].count,
		    gr[i].params, bpw, q) != MG_OK)
			goto out;
	}
	for (i = 0; i < ng; i++) {
		cJSON *c, *p;

		type_label(gr[i].type, label, sizeof(label));
		if (!charge(g, 2 * (NODE_COST + mchunk(24) +
		    mchunk(sizeof(label)))))
			break;
		if ((c = mg_json_u64(gr[i].count)) == NULL)
			goto out;
		cJSON_AddItemToObject(counts, label, c);
		if ((p = mg_json_u64(gr[i].params)) == NULL)
			goto out;
		cJSON_AddItemToObject(params, label, p);
	}
	for (i = 0; i < ng; i++)
		if (!have_best || gr[i].params > best) {
			have_best = 1;
			best = gr[i].params;
			type_label(gr[i].type, major, majorlen);
		}
	if (sum_ovf)
		note(g, MG_R_GGUF_SHAPE, MG_FINDING_NO_OFFSET, NULL,
		    "gguf: the total parameter count overflows 64 bits");
	r = MG_OK;
out:
	free(v);
	free(gr);
	return r;
}

/*
 * general.file_type is the file's own claim about its precision.  A
 * block-quantized tensor stored with fewer bits per weight than the
 * claimed type's base type contradicts it (labelled Q8_0, stored IQ1_S).
 * More precise tensors are normal: quantizers keep norms in F32 and some
 * layers in wider types.
 */
static void
ftype_check(struct gg *g)
{
	const struct mg_artifact *a = g->a;
	const char *label;
	unsigned base_bpw;
	int base;
	size_t i;

	if (!g->have_ftype || g->ftype.neg ||
	    (label = mg_gguf_ftype_label(g->ftype.u)) == NULL ||
	    (base = mg_gguf_ftype_base(g->ftype.u)) < 0 ||
	    (base_bpw = mg_gguf_ttype_bpw_milli((uint32_t)base, NULL)) == 0)
		return;
	for (i = 0; i < a->nttypes; i++) {
		const struct mg_ttype *t = &a->ttypes[i];

		if (!t->quantized || t->bpw_milli == 0 ||
		    t->bpw_milli >= base_bpw)
			continue;
		notex(g, MG_R_GGUF_FTYPE, g->ftype_off, 0,
		    "general.file_type", t->name,
		    "gguf: general.file_type %llu says %s (%s, %u.%03u bits "
		    "per weight) but %llu tensors (%llu parameters) are stored "
		    "as %s (%u.%03u bits per weight)", ull(g->ftype.u), label,
		    mg_gguf_ttype(base)->name, base_bpw / 1000,
		    base_bpw % 1000, ull(t->count), ull(t->params), t->name,
		    t->bpw_milli / 1000, t->bpw_milli % 1000);
	}
}

/* Summary fields and derived fields; runs after any stop. */
static int
finish(struct gg *g)
{
	struct mg_artifact *a = g->a;
	cJSON *counts = NULL, *params = NULL;
	const char *q = NULL;
	uint64_t total = 0;
	char major[32], *kl;
	int r;

	if ((counts = cJSON_CreateObject()) == NULL ||
	    (params = cJSON_CreateObject()) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	if ((r = type_summary(g, counts, params, &total, major,
	    sizeof(major))) != MG_OK)
		goto out;
	ftype_check(g);
	put(g, "gguf_version", mg_json_u64(g->version));
	put(g, "endianness", cJSON_CreateString(g->be ? "big" : "little"));
	mg_jsonw_raw(&g->keylist, "]", 1);
	if ((kl = mg_jsonw_take(&g->keylist, &r)) == NULL) {
		if (r == MG_OK)
			r = MG_ERR_NOMEM;
		goto out;
	}
	put(g, "metadata_keys", mg_json_raw_own(kl));
	put(g, "tensor_count", mg_json_u64(g->tparsed));
	a->tensor_count = g->tparsed;
	a->have |= MG_HAVE_TENSORS;
	put(g, "tensor_type_counts", counts);
	put(g, "tensor_type_parameter_counts", params);
	counts = params = NULL;	/* transferred */
	put(g, "alignment", mg_json_u64(g->align));
	if (g->tensors_done)
		put(g, "data_offset", mg_json_u64(g->data_off));
	if (g->tmpl != NULL && cJSON_GetArraySize(g->tmpl) > 0) {
		put(g, "chat_template_sha256", g->tmpl);
		g->tmpl = NULL;	/* transferred */
	}

	set_stripped(g, &a->architecture, g->arch, g->arch_len);
	set_stripped(g, &a->license, g->license, g->license_len);
	if (g->bm_url != NULL)
		set_stripped(g, &a->base_model, g->bm_url, g->bm_url_len);
	else
		set_stripped(g, &a->base_model, g->bm_name, g->bm_name_len);

	if (total > 0) {
		a->parameter_count = total;
		a->have |= MG_HAVE_PARAMS;
	}
	if (g->have_ftype && !g->ftype.neg)
		q = mg_gguf_ftype_label(g->ftype.u);
	if (q == NULL && major[0] != '\0')
		q = major;
	if (q != NULL) {
		if (mg_artifact_setz(&a->quantization, q) != MG_OK)
			g->nomem = 1;
		if ((!strcmp(q, "F16") || !strcmp(q, "F32") ||
		    !strcmp(q, "F64") || !strcmp(q, "BF16")) &&
		    mg_artifact_setz(&a->dtype, q) != MG_OK)
			g->nomem = 1;
	}
	if (g->have_ctx && !g->ctx.neg) {
		a->context_length = g->ctx.u;
		a->have |= MG_HAVE_CTX;
	} else if (g->have_ctx_sfx) {
		a->context_length = g->ctx_sfx.u;
		a->have |= MG_HAVE_CTX;
	}
	if (g->have_tokens) {
		a->vocab_size = g->ntokens;
		a->have |= MG_HAVE_VOCAB;
	} else if (g->have_nvocab && !g->nvocab.neg) {
		a->vocab_size = g->nvocab.u;
		a->have |= MG_HAVE_VOCAB;
	} else if (g->have_gvocab && !g->gvocab.neg) {
		a->vocab_size = g->gvocab.u;
		a->have |= MG_HAVE_VOCAB;
	} else if (g->have_vocab_sfx) {
		a->vocab_size = g->vocab_sfx.u;
		a->have |= MG_HAVE_VOCAB;
	}
	r = g->nomem ? MG_ERR_NOMEM : MG_OK;
out:
	cJSON_Delete(counts);
	cJSON_Delete(params);
	return r;
}

/* Counts: caps first, then bytes left at their smallest encodings. */
static int
counts_ok(struct gg *g, uint64_t off)
{
	uint64_t left = mg_rd_left(g->rd), w = size_width(g);
	uint64_t kvmin = w + 4 + 1;		/* empty key, u32 type, u8 */
	uint64_t tmin = w + 4 + 4 + 8;		/* empty name, 0 dims */
	uint64_t need_kv, need_t, need;

	if (g->nt > MG_MAX_GGUF_TENSORS) {
		note(g, MG_R_GGUF_COUNT, off, NULL,
		    "gguf: tensor_count %llu exceeds the cap of %llu",
		    ull(g->nt), ull(MG_MAX_GGUF_TENSORS));
		return MG_ERR_LIMIT;
	}
	if (g->nkv > MG_MAX_GGUF_KV) {
		note(g, MG_R_GGUF_COUNT, off, NULL,
		    "gguf: metadata_kv_count %llu exceeds the cap of %llu",
		    ull(g->nkv), ull(MG_MAX_GGUF_KV));
		return MG_ERR_LIMIT;
	}
	/* Both below 2^20 here: the products cannot overflow. */
	need_kv = g->nkv * kvmin;
	need_t = g->nt * tmin;
	need = need_kv + need_t;
	if (need > left) {
		note(g, MG_R_GGUF_COUNT, off, NULL,
		    "gguf: tensor_count %llu and metadata_kv_count %llu need at "
		    "least %llu bytes but %llu are left at offset %llu",
		    ull(g->nt), ull(g->nkv), ull(need), ull(left),
		    ull(mg_rd_tell(g->rd)));
		return MG_ERR_TRUNCATED;
	}
	return MG_OK;
}

static int
gguf_probe(const unsigned char *head, size_t n, uint64_t size)
{
	(void)size;
	return n >= 4 && memcmp(head, "GGUF", 4) == 0 ? 100 : 0;
}

static int
gguf_parse(struct mg_rd *rd, struct mg_artifact *a)
{
	struct gg *g;
	unsigned char magic[4];
	uint32_t v;
	uint64_t i, off;
	int r = MG_ERR_INTERNAL, r2;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return MG_ERR_NOMEM;
	g->rd = rd;
	g->a = a;
	g->align = GGUF_DEFAULT_ALIGN;
	/* Bounded by the metadata charge of each key (store_key()). */
	mg_jsonw_init(&g->keylist, NULL, 0, SIZE_MAX / 2);
	mg_jsonw_raw(&g->keylist, "[", 1);
	set_where(g, W_FILE, 0, NULL);
	for (i = 0; i < 5; i++)
		g->spec[i].key = special_keys[i];

	if (mg_rd_left(rd) < 4) {
		note(g, MG_R_GGUF_MAGIC, 0, NULL,
		    "gguf: the file is %llu bytes, too short for the magic",
		    ull(mg_rd_left(rd)));
		r = MG_ERR_FORMAT;
		goto out;
	}
	if ((r = get_bytes(g, magic, 4, "the magic")) != MG_OK)
		goto out;
	if (memcmp(magic, "GGUF", 4) != 0) {
		note(g, MG_R_GGUF_MAGIC, 0, NULL,
		    "gguf: the file starts with %02x %02x %02x %02x, not 'GGUF'",
		    magic[0], magic[1], magic[2], magic[3]);
		r = MG_ERR_FORMAT;
		goto out;
	}
	if ((r = get_u32(g, &v, "the version")) != MG_OK)
		goto out;
	if (v != 0 && (v & 0xffffu) == 0) {
		g->be = 1;
		v = __builtin_bswap32(v);
		note(g, MG_R_GGUF_ENDIAN, 4, NULL,
		    "gguf: the version reads 0x%08x little-endian: a "
		    "big-endian file (version %u); ggml refuses it on "
		    "little-endian hosts", __builtin_bswap32(v), v);
	}
	g->version = v;
	if ((g->meta = cJSON_CreateObject()) == NULL ||
	    (g->mkeys = mg_strset_new()) == NULL ||
	    (g->dirty = mg_keyset_new(0)) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	a->meta_bytes = add_sat(a->meta_bytes, mg_keyset_bytes(g->dirty));
	if (v == 0 || v > 3) {
		note(g, MG_R_GGUF_VERSION, 4, NULL,
		    "gguf: version %u is not a GGUF version (1-3)", v);
		r = MG_ERR_FORMAT;
		goto done;
	}
	if (v == 1) {
		g->v1 = 1;
		note(g, MG_R_GGUF_VERSION, 4, NULL,
		    "gguf: legacy version 1 (32-bit counts); current ggml "
		    "refuses it");
	}

	off = mg_rd_tell(rd);
	if ((r = get_size(g, &g->nt, "tensor_count")) != MG_OK ||
	    (r = get_size(g, &g->nkv, "metadata_kv_count")) != MG_OK)
		goto done;
	if ((r = counts_ok(g, off)) != MG_OK)
		goto done;
	/*
	 * Sized once from the checked count: every key is looked up, past
	 * the budget too.  Charged first, so the JSON gets what is left.
	 */
	if ((g->keyset = mg_keyset_new((size_t)g->nkv)) == NULL) {
		r = MG_ERR_NOMEM;
		goto done;
	}
	a->meta_bytes = add_sat(a->meta_bytes, mg_keyset_bytes(g->keyset));
	for (i = 0; i < g->nkv; i++)
		if ((r = kv(g, i)) != MG_OK)
			goto done;

	/*
	 * The metadata has been read since counts_ok(): check the tensor
	 * count against what is left now, before allocating from it.
	 */
	if (g->nt > 0 && g->nt > mg_rd_left(rd) / (size_width(g) + 16)) {
		note(g, MG_R_GGUF_COUNT, mg_rd_tell(rd), NULL,
		    "gguf: tensor_count %llu needs at least %llu bytes of tensor "
		    "infos but %llu are left at offset %llu", ull(g->nt),
		    ull(g->nt * (size_width(g) + 16)), ull(mg_rd_left(rd)),
		    ull(mg_rd_tell(rd)));
		r = MG_ERR_TRUNCATED;
		goto done;
	}
	if (g->nt > 0 &&
	    ((g->t = malloc((size_t)g->nt * sizeof(*g->t))) == NULL ||
	    (g->tnames = mg_keyset_new((size_t)g->nt)) == NULL)) {
		r = MG_ERR_NOMEM;
		goto done;
	}
	for (i = 0; i < g->nt; i++) {
		if ((r = tensor(g, i)) != MG_OK)
			goto done;
		g->tparsed++;
	}
	g->key = NULL;
	g->info_end = mg_rd_tell(rd);
	/* ggml seeks to the data section only when there are tensors. */
	g->data_off = g->nt > 0 ? align_up(g, g->info_end) : g->info_end;
	g->tensors_done = 1;
	pad_check(g, align_up(g, g->info_end));
	/* A member of unknown size: its size is known once it is read. */
	if (rd->open_ended && (r = mg_rd_settle(rd)) != MG_OK)
		goto done;
	if ((r = ranges(g)) != MG_OK)
		goto done;
	vocab_checks(g);
	r = MG_OK;
done:
	if (r == MG_ERR_NOMEM)
		g->nomem = 1;
	r2 = finish(g);
	if (r == MG_OK || r2 == MG_ERR_NOMEM)
		r = r2;
	cJSON_Delete(a->metadata);
	a->metadata = g->meta;
	g->meta = NULL;	/* transferred */
	mg_strset_free(a->meta_keys);
	a->meta_keys = g->mkeys;
	g->mkeys = NULL;	/* transferred */
out:
	if (g->nomem)
		r = MG_ERR_NOMEM;
	cJSON_Delete(g->meta);
	mg_jsonw_free(&g->keylist);
	mg_strset_free(g->mkeys);
	cJSON_Delete(g->tmpl);
	mg_keyset_free(g->keyset);
	mg_keyset_free(g->dirty);
	mg_keyset_free(g->tnames);
	free(g->arch);
	free(g->license);
	free(g->bm_url);
	free(g->bm_name);
	free(g->t);
	free(g->pool);
	free(g->kbuf);
	free(g->jkbuf);
	free(g);
	return r;
}

static const char *const gguf_exts[] = { "gguf", NULL };

const struct mg_format mg_fmt_gguf = {
	.name = "gguf",
	.exts = gguf_exts,
	.probe = gguf_probe,
	.parse = gguf_parse,
};
