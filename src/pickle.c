/*
 * pickle.c - the static pickle analyser (see pickle.h).
 *
 * Spec: CPython's Lib/pickle.py and Lib/pickletools.py (protocols 0 to 5),
 * torch/serialization.py (_legacy_load), joblib/numpy_pickle.py
 * (NumpyArrayWrapper.read_array); research notes section 3.
 *
 * The walker is a symbolic pickle machine: it keeps the stack, the marks
 * and the memo as values (strings, ints, imports, containers, objects)
 * without ever creating a Python object.  Invariants:
 *   - every byte is read through mg_rd; lengths are checked against the
 *     bytes left and against their cap before anything is read or kept;
 *   - memory is bounded: containers keep MG_MAX_PICKLE_ITEMS items (the
 *     rest are counted), strings keep MG_MAX_PICKLE_KEEP bytes, and all
 *     values live in one arena of at most MG_MAX_PICKLE_MEM bytes, freed
 *     when the artifact is done (the memo can make cycles: no refcounts);
 *   - a stream that breaks (unknown opcode, bad argument) is reported and
 *     the walker resynchronises at the next plausible pickle opener, so
 *     a payload hidden behind garbage is still found; the result is then
 *     never MG_OK;
 *   - import classification happens once at the end, over the imports
 *     the artifact records, so the gate can re-judge them under a policy.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "glob.h"
#include "limits.h"
#include "pickle.h"
#include "pickle_compat.h"
#include "text.h"
#include "policy.h"
#include "rd.h"
#include "strset.h"

#define NOIMP	UINT32_MAX

enum pv_kind {
	PV_OPAQUE = 0, PV_NONE, PV_BOOL, PV_INT, PV_FLOAT, PV_STR, PV_BYTES,
	PV_GLOBAL, PV_CONT
};

/* An int's magnitude class: fits int64, too big, or torch's magic. */
#define BIG_NO		0
#define BIG_YES		1
#define BIG_TORCH	2

struct blob {
	uint64_t	 len;		/* full length in the stream */
	size_t		 kept;		/* bytes in b[] (<= len) */
	unsigned char	 b[];
};

struct pv {
	unsigned char	 kind;
	unsigned char	 big;
	uint32_t	 imp;		/* PV_GLOBAL: import index or NOIMP */
	int64_t		 i;		/* PV_INT, PV_BOOL */
	void		*p;		/* struct blob (may be NULL), cont */
};

enum cont_kind { C_TUPLE, C_LIST, C_DICT, C_SET, C_OBJ, C_STORAGE };

struct cont {
	unsigned char	 kind;
	unsigned char	 built;
	unsigned char	 init;		/* C_OBJ: __init__ ran with arguments */
	uint32_t	 imp;		/* C_OBJ: the class, NOIMP: unknown */
	uint32_t	 n, cap;
	uint64_t	 total;		/* items ever added */
	struct pv	*items;
	struct pv	 args, state;	/* C_OBJ */
	int64_t		 numel;		/* C_STORAGE */
	unsigned	 elsize;
	const char	*dtype;
};

/* One pickle stream's machine state. */
struct strm {
	struct pv	*stack;
	size_t		 sn, scap;
	size_t		*marks;
	size_t		 mn, mcap;
	struct pv	*memo;		/* by key; memo_set[key] says set */
	unsigned char	*memo_set;
	size_t		 memo_cap, memo_n;
	int		 proto;
	uint64_t	 frame_end;	/* 0: no frame open */
	int		 bad;		/* a recoverable error was seen */
	struct pv	 result;	/* the value STOP returned */
};

struct storage {
	char		 key[64];
	int64_t		 numel;
	unsigned	 elsize;
	const char	*dtype;
};

struct pk {
	struct mg_artifact *a;
	struct mg_rd	*rd;
	unsigned	 depth;		/* 0: the file's own streams */
	uint64_t	 outer_off;	/* nested: the outer opcode's offset */
	void		**arena;
	size_t		 narena, arena_cap;
	uint64_t	 mem;
	unsigned char	*chunk_at;	/* free space in the current chunk */
	size_t		 chunk_left;
	int		 mem_full;
	uint64_t	 ops;
	unsigned	 streams;
	int		 maxproto;
	int		 quiet;		/* after a resync: count, do not report */
	unsigned	 quiet_errors;
	int		 keep_all;	/* keep every container item */
	int		 torch;		/* a legacy torch file */
	int		 plain;		/* a plain pickle.load: no joblib reads */
	int		 shadow;	/* reading data as opcodes: no findings */
	unsigned char	 op;		/* the opcode being read */
	uint64_t	 shadow_room;	/* shadow: file bytes from the block on */
	int		 rc;		/* worst result so far */
	int		 trailed;	/* a PICKLE-TRAIL finding was made */
	uint32_t	*imp_hash;	/* index + 1, 0: empty */
	size_t		 imp_hcap;
	struct storage	*st;
	size_t		 nst, stcap;
	struct mg_strmap *st_ix;	/* key -> index of its first storage */
	uint64_t	 tensors, params;
	unsigned	 joblib_arrays;
	int		 sklearn;
};

/* ---- findings ------------------------------------------------------------ */

static void pk_note(struct pk *, enum mg_rule_id, uint64_t, const char *,
    const char *, ...) __attribute__((format(printf, 5, 6)));

static void
pk_note(struct pk *pk, enum mg_rule_id rule, uint64_t off, const char *key,
    const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	if (pk->shadow)
		return;
	if (pk->quiet && (rule == MG_R_PICKLE_OPCODE ||
	    rule == MG_R_PICKLE_TRUNC)) {
		pk->quiet_errors++;
		return;
	}
	if (rule == MG_R_PICKLE_TRAIL)
		pk->trailed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pk->depth > 0)
		off = pk->outer_off;
	if (mg_artifact_add(pk->a, rule, off, key, "%s%s",
	    pk->depth > 0 ? "nested pickle: " : "", msg) != MG_OK)
		pk->rc = MG_ERR_NOMEM;
}

static void
worse(struct pk *pk, int r)
{
	/* NOMEM and IO beat LIMIT, which beats FORMAT and TRUNCATED. */
	if (r == MG_OK || pk->rc == MG_ERR_NOMEM || pk->rc == MG_ERR_IO)
		return;
	if (pk->rc == MG_OK || r == MG_ERR_NOMEM || r == MG_ERR_IO ||
	    r == MG_ERR_LIMIT)
		pk->rc = r;
}

/* ---- arena --------------------------------------------------------------- */

#define CHUNK	(64u * 1024u)

/*
 * Bump allocation from 64 KiB chunks (larger requests get a block of
 * their own); everything is freed at once when the artifact is done.
 * The slow path: a new chunk or block, or the limit.
 */
static void *
arena_alloc_slow(struct pk *pk, size_t n)
{
	size_t charge;
	void *p;

	n = (n + 15) & ~(size_t)15;
	/* A new chunk counts whole: pk->mem never passes the limit. */
	charge = n <= CHUNK / 4 ? CHUNK : n;
	if (pk->mem_full || charge > MG_MAX_PICKLE_MEM - pk->mem) {
		if (!pk->mem_full)
			pk_note(pk, MG_R_PICKLE_LIMIT, mg_rd_tell(pk->rd), NULL,
			    "values kept by the analysis reached %u bytes "
			    "(MG_MAX_PICKLE_MEM); later values are opaque",
			    (unsigned)MG_MAX_PICKLE_MEM);
		pk->mem_full = 1;
		worse(pk, MG_ERR_LIMIT);
		return NULL;
	}
	if (pk->narena == pk->arena_cap) {
		size_t nc = pk->arena_cap ? pk->arena_cap * 2 : 64;
		void **na = realloc(pk->arena, nc * sizeof(*na));

		if (na == NULL) {
			pk->rc = MG_ERR_NOMEM;
			return NULL;
		}
		pk->arena = na;
		pk->arena_cap = nc;
	}
	if ((p = malloc(n > CHUNK / 4 ? n : CHUNK)) == NULL) {
		pk->rc = MG_ERR_NOMEM;
		return NULL;
	}
	pk->arena[pk->narena++] = p;
	if (n <= CHUNK / 4) {
		pk->chunk_at = (unsigned char *)p + n;
		pk->chunk_left = CHUNK - n;
		pk->mem += CHUNK - n;	/* the chunk counts whole */
	}
	pk->mem += n;
	memset(p, 0, n);
	return p;
}

/*
 * n zeroed bytes that live as long as the analysis: from the current
 * chunk in the common case, inline; arena_alloc_slow otherwise.
 */
static inline void *
arena_alloc(struct pk *pk, size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (__builtin_expect(!pk->mem_full && n <= CHUNK / 4 &&
	    n <= pk->chunk_left, 1)) {
		p = pk->chunk_at;
		pk->chunk_at += n;
		pk->chunk_left -= n;
		memset(p, 0, n);
		return p;
	}
	return arena_alloc_slow(pk, n);
}

static void
arena_free(struct pk *pk)
{
	size_t i;

	for (i = 0; i < pk->narena; i++)
		free(pk->arena[i]);
	free(pk->arena);
	pk->arena = NULL;
	pk->narena = pk->arena_cap = 0;
}

static struct cont *
cont_new(struct pk *pk, int kind)
{
	struct cont *c = arena_alloc(pk, sizeof(*c));

	if (c != NULL) {
		c->kind = (unsigned char)kind;
		c->imp = NOIMP;
	}
	return c;
}

static struct pv
pv_cont(struct cont *c)
{
	struct pv v;

	memset(&v, 0, sizeof(v));
	if (c != NULL) {
		v.kind = PV_CONT;
		v.p = c;
	}
	return v;
}

/* Room for one more item in a full container: 0, or -1 to drop it. */
static int
cont_grow(struct pk *pk, struct cont *c)
{
	uint32_t nc = c->cap ? c->cap * 2 : 4;
	struct pv *ni;

	if (nc > (1u << 24))
		return -1;
	/* Item arrays come from the arena too; the old one stays. */
	if ((ni = arena_alloc(pk, nc * sizeof(*ni))) == NULL)
		return -1;
	if (c->n > 0)
		memcpy(ni, c->items, c->n * sizeof(*ni));
	c->items = ni;
	c->cap = nc;
	return 0;
}

static inline void
cont_add(struct pk *pk, struct cont *c, struct pv v)
{
	c->total++;
	if (c->n >= MG_MAX_PICKLE_ITEMS && !pk->keep_all)
		return;
	if (c->n == c->cap && cont_grow(pk, c) != 0)
		return;
	c->items[c->n++] = v;
}

static struct pv
pv_scalar(int kind, int64_t i)
{
	struct pv v;

	memset(&v, 0, sizeof(v));
	v.kind = (unsigned char)kind;
	v.i = i;
	return v;
}

/* ---- reading ------------------------------------------------------------- */

/* A string argument of n bytes: keep up to MG_MAX_PICKLE_KEEP. */
static int
read_blob(struct pk *pk, uint64_t off, uint64_t n, int kind, struct pv *out)
{
	struct blob *b = NULL;
	size_t keep;
	int r;

	*out = pv_scalar(kind, 0);
	if (pk->shadow && n > mg_rd_left(pk->rd) &&
	    n > pk->shadow_room - mg_rd_tell(pk->rd))
		return MG_ERR_FORMAT;	/* pickle.load fails: end of file */
	if (n > MG_MAX_PICKLE_STRING) {
		pk_note(pk, MG_R_PICKLE_LIMIT, off, NULL, "string of %llu bytes "
		    "at offset %llu exceeds MG_MAX_PICKLE_STRING",
		    (unsigned long long)n, (unsigned long long)off);
		return MG_ERR_LIMIT;
	}
	if (n > mg_rd_left(pk->rd)) {
		pk_note(pk, MG_R_PICKLE_TRUNC, off, NULL, "string of %llu bytes "
		    "at offset %llu runs past the end of the file (%llu bytes "
		    "left)", (unsigned long long)n, (unsigned long long)off,
		    (unsigned long long)mg_rd_left(pk->rd));
		return MG_ERR_TRUNCATED;
	}
	keep = n > MG_MAX_PICKLE_KEEP ? 0 : (size_t)n;
	if (keep > 0 || n == 0)
		b = arena_alloc(pk, sizeof(*b) + keep + 1);
	if (b != NULL) {
		b->len = n;
		b->kept = keep;
		if ((r = mg_rd_bytes(pk->rd, b->b, keep)) != MG_OK)
			return r;
		if ((r = mg_rd_skip(pk->rd, n - keep)) != MG_OK)
			return r;
	} else if ((r = mg_rd_skip(pk->rd, n)) != MG_OK)
		return r;
	out->p = b;
	out->i = (int64_t)(n > INT64_MAX ? INT64_MAX : n);
	return MG_OK;
}

/*
 * Data read as opcodes whose text argument runs past the array block: does
 * what is already read make pickle.load fail whatever follows (an INT that
 * is no number, a module name that is no name, PERSID without a
 * persistent_load)?  Then the walk ends there.
 */
static int
line_dead(unsigned char op, const char *t, size_t n)
{
	const char *ok;
	size_t i;

	switch (op) {
	case 'I': case 'L': case 'g': case 'p':
		ok = "0123456789+-_ \tL";
		break;
	case 'F':
		ok = "0123456789+-_. \teEinfatyINFATY";
		break;
	case 'c': case 'i':
		ok = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789_.";
		break;
	case 'S':
		return n > 0 && t[0] != '\'' && t[0] != '"';
	case 'P':
		return 1;
	default:
		return 0;
	}
	for (i = 0; i < n; i++)
		if (t[i] == '\0' || strchr(ok, t[i]) == NULL)
			return 1;
	return 0;
}

/*
 * A protocol 0 text argument up to '\n'.  Up to cap bytes are copied to
 * buf (NUL-terminated); *len gets the full length.  MG_ERR_TRUNCATED when
 * the file ends first, MG_ERR_LIMIT past MG_MAX_PICKLE_LINE.
 */
static int
read_line(struct pk *pk, uint64_t off, char *buf, size_t cap, size_t *len)
{
	const unsigned char *p, *nl;
	size_t got, take, total = 0, copied = 0;
	int r;

	for (;;) {
		if ((r = mg_rd_peek(pk->rd, 4096, &p, &got)) != MG_OK)
			return r;
		if (got == 0) {
			pk_note(pk, MG_R_PICKLE_TRUNC, off, NULL, "text argument "
			    "at offset %llu has no end of line before the end "
			    "of the file", (unsigned long long)off);
			if (pk->shadow && line_dead(pk->op, buf,
			    copied < cap ? copied : cap))
				return MG_ERR_FORMAT;
			return MG_ERR_TRUNCATED;
		}
		nl = memchr(p, '\n', got);
		take = nl != NULL ? (size_t)(nl - p) : got;
		if (copied < cap) {
			size_t c = take < cap - copied ? take : cap - copied;

			memcpy(buf + copied, p, c);
			copied += c;
		}
		total += take;
		if (total > MG_MAX_PICKLE_LINE) {
			pk_note(pk, MG_R_PICKLE_LIMIT, off, NULL, "text argument "
			    "at offset %llu is longer than MG_MAX_PICKLE_LINE",
			    (unsigned long long)off);
			return MG_ERR_LIMIT;
		}
		if ((r = mg_rd_skip(pk->rd, take + (nl != NULL))) != MG_OK)
			return r;
		if (nl != NULL)
			break;
	}
	buf[copied < cap ? copied : cap] = '\0';
	*len = total;
	return MG_OK;
}

/* ---- imports ------------------------------------------------------------- */

static int ident(unsigned char c);

static uint64_t
fnv(const char *s, uint64_t h)
{
	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/*
 * Keyed (SipHash under a random process key): the names come from the
 * file, and an unkeyed hash let crafted ones share a slot, which made
 * every GLOBAL a walk over thousands of imports.
 */
static uint64_t
imp_hash(const char *m, size_t ml, const char *n, size_t nl)
{
	return mg_strhash_pair(m, ml, n, nl);
}

static char *
clean_copy(const unsigned char *s, size_t n)
{
	char *d = malloc(n + 1);
	size_t i;

	if (d == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		d[i] = s[i] == '\0' ? '?' : (char)s[i];
	d[n] = '\0';
	return d;
}

/* The import's index in a->imports (added on first use), or NOIMP. */
static uint32_t
add_import(struct pk *pk, const unsigned char *mod, size_t ml,
    const unsigned char *name, size_t nl, uint64_t off)
{
	struct mg_artifact *a = pk->a;
	char *m = NULL, *n = NULL;
	uint64_t h;
	size_t i, slot;

	if (pk->shadow) {
		/* Data read as opcodes: only names that could be imports. */
		for (i = 0; i < ml; i++)
			if (!ident(mod[i]))
				return NOIMP;
		for (i = 0; i < nl; i++)
			if (!ident(name[i]))
				return NOIMP;
	}
	if ((m = clean_copy(mod, ml)) == NULL ||
	    (n = clean_copy(name, nl)) == NULL)
		goto nomem;
	/* Keep the table at most half full: grow and rehash. */
	if (2 * (a->nimports + 1) > pk->imp_hcap) {
		size_t nc = pk->imp_hcap ? pk->imp_hcap * 2 : 64, k;
		uint32_t *nh = calloc(nc, sizeof(*nh));

		if (nh == NULL)
			goto nomem;
		for (k = 0; k < a->nimports; k++) {
			slot = imp_hash(a->imports[k].module,
			    strlen(a->imports[k].module), a->imports[k].name,
			    strlen(a->imports[k].name)) % nc;
			while (nh[slot] != 0)
				slot = (slot + 1) % nc;
			nh[slot] = (uint32_t)k + 1;
		}
		free(pk->imp_hash);
		pk->imp_hash = nh;
		pk->imp_hcap = nc;
	}
	h = imp_hash(m, ml, n, nl);
	for (slot = h % pk->imp_hcap;; slot = (slot + 1) % pk->imp_hcap) {
		uint32_t e = pk->imp_hash[slot];

		if (e == 0)
			break;
		i = e - 1;
		if (strcmp(a->imports[i].module, m) == 0 &&
		    strcmp(a->imports[i].name, n) == 0) {
			free(m);
			free(n);
			if (a->imports[i].count < UINT32_MAX)
				a->imports[i].count++;
			return (uint32_t)i;
		}
	}
	if (a->nimports >= MG_MAX_PICKLE_IMPORTS) {
		pk_note(pk, MG_R_PICKLE_LIMIT, off, NULL, "more than %u distinct "
		    "imports (MG_MAX_PICKLE_IMPORTS); import %s.%s at offset "
		    "%llu and later ones are not classified",
		    (unsigned)MG_MAX_PICKLE_IMPORTS, m, n,
		    (unsigned long long)off);
		worse(pk, MG_ERR_LIMIT);
		free(m);
		free(n);
		return NOIMP;
	}
	if ((a->nimports & (a->nimports - 1)) == 0 || a->nimports == 0) {
		size_t nc = a->nimports ? a->nimports * 2 : 8;
		struct mg_import *ni = realloc(a->imports, nc * sizeof(*ni));

		if (ni == NULL)
			goto nomem;
		a->imports = ni;
	}
	i = a->nimports++;
	memset(&a->imports[i], 0, sizeof(a->imports[i]));
	a->imports[i].module = m;
	a->imports[i].name = n;
	a->imports[i].offset = pk->depth > 0 ? pk->outer_off : off;
	a->imports[i].count = 1;
	a->imports[i].nested = pk->shadow ? 2 : pk->depth > 0;
	pk->imp_hash[slot] = (uint32_t)i + 1;
	if (strncmp(m, "sklearn", 7) == 0 && (m[7] == '.' || m[7] == '\0'))
		pk->sklearn = 1;
	return (uint32_t)i;
nomem:
	free(m);
	free(n);
	pk->rc = MG_ERR_NOMEM;
	return NOIMP;
}

static int
imp_is(const struct pk *pk, uint32_t imp, const char *mod, const char *name)
{
	return imp != NOIMP && strcmp(pk->a->imports[imp].module, mod) == 0 &&
	    strcmp(pk->a->imports[imp].name, name) == 0;
}

/* ---- stack ---------------------------------------------------------------- */

/* Room for one more value on a full stack. */
static int
stack_grow(struct pk *pk, struct strm *s)
{
	size_t nc = s->scap ? s->scap * 2 : 64;
	struct pv *ns;

	if (s->scap >= MG_MAX_PICKLE_STACK) {
		pk_note(pk, MG_R_PICKLE_LIMIT, mg_rd_tell(pk->rd), NULL,
		    "stack deeper than %u items (MG_MAX_PICKLE_STACK) at "
		    "offset %llu", (unsigned)MG_MAX_PICKLE_STACK,
		    (unsigned long long)mg_rd_tell(pk->rd));
		return MG_ERR_LIMIT;
	}
	if (nc > MG_MAX_PICKLE_STACK)
		nc = MG_MAX_PICKLE_STACK;
	if ((ns = realloc(s->stack, nc * sizeof(*ns))) == NULL)
		return MG_ERR_NOMEM;
	s->stack = ns;
	s->scap = nc;
	return MG_OK;
}

static inline int
push(struct pk *pk, struct strm *s, struct pv v)
{
	int r;

	if (__builtin_expect(s->sn == s->scap, 0) &&
	    (r = stack_grow(pk, s)) != MG_OK)
		return r;
	s->stack[s->sn++] = v;
	return MG_OK;
}

static size_t
floor_of(const struct strm *s)
{
	return s->mn > 0 ? s->marks[s->mn - 1] : 0;
}

/* Pop one value; underflow is recoverable (an opaque value, s->bad). */
static struct pv	pop_empty(struct pk *, struct strm *, uint64_t,
		    const char *);

static inline struct pv
pop(struct pk *pk, struct strm *s, uint64_t off, const char *op)
{
	if (__builtin_expect(s->sn > floor_of(s), 1))
		return s->stack[--s->sn];
	return pop_empty(pk, s, off, op);
}

/* Underflow: noted once per stream, an opaque value. */
static struct pv
pop_empty(struct pk *pk, struct strm *s, uint64_t off, const char *op)
{
	if (!s->bad)
		pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL, "%s at offset %llu "
		    "pops an empty stack", op, (unsigned long long)off);
	s->bad = 1;
	return pv_scalar(PV_OPAQUE, 0);
}

static struct pv	*top_empty(struct pk *, struct strm *, uint64_t,
		    const char *);

static inline struct pv *
top(struct pk *pk, struct strm *s, uint64_t off, const char *op)
{
	if (__builtin_expect(s->sn > floor_of(s), 1))
		return &s->stack[s->sn - 1];
	return top_empty(pk, s, off, op);
}

static struct pv *
top_empty(struct pk *pk, struct strm *s, uint64_t off, const char *op)
{
	if (!s->bad)
		pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL, "%s at offset %llu "
		    "needs a value on an empty stack", op,
		    (unsigned long long)off);
	s->bad = 1;
	return NULL;
}

/* Pop back to the last MARK: the items are s->stack[*from .. s->sn). */
static int
pop_mark(struct pk *pk, struct strm *s, uint64_t off, const char *op,
    size_t *from)
{
	if (s->mn == 0) {
		if (!s->bad)
			pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL, "%s at offset "
			    "%llu has no MARK to pop to", op,
			    (unsigned long long)off);
		s->bad = 1;
		*from = s->sn;
		return 0;
	}
	*from = s->marks[--s->mn];
	if (*from > s->sn)
		*from = s->sn;
	return 1;
}

static struct pv
collect(struct pk *pk, struct strm *s, size_t from, int kind)
{
	struct cont *c = cont_new(pk, kind);
	size_t i;

	if (c != NULL)
		for (i = from; i < s->sn; i++)
			cont_add(pk, c, s->stack[i]);
	s->sn = from;
	return pv_cont(c);
}

static struct cont *
as_cont(const struct pv *v, int kind)
{
	if (v == NULL || v->kind != PV_CONT || v->p == NULL)
		return NULL;
	if (kind >= 0 && ((struct cont *)v->p)->kind != kind)
		return NULL;
	return v->p;
}

/* A kept string's bytes, or NULL when the value is not one. */
static const struct blob *
as_blob(const struct pv *v)
{
	if (v == NULL || (v->kind != PV_STR && v->kind != PV_BYTES) ||
	    v->p == NULL)
		return NULL;
	return v->p;
}

static int
str_eq(const struct pv *v, const char *s)
{
	const struct blob *b = as_blob(v);

	return b != NULL && b->kept == b->len && b->len == strlen(s) &&
	    memcmp(b->b, s, b->len) == 0;
}

/* The value of dict key k (C_DICT keeps keys and values alternately). */
static const struct pv *
dict_get(const struct cont *d, const char *k)
{
	uint32_t i;

	const struct pv *v = NULL;

	if (d == NULL || d->kind != C_DICT)
		return NULL;
	/* The last one wins, as in a Python dict. */
	for (i = 0; i + 1 < d->n; i += 2)
		if (str_eq(&d->items[i], k))
			v = &d->items[i + 1];
	return v;
}

/* ---- memo ----------------------------------------------------------------- */

/*
 * The memo is an array indexed by key (writers number entries from 0, so
 * it is dense), bounded by MG_MAX_PICKLE_MEMO.
 */
static int
memo_put(struct pk *pk, struct strm *s, uint64_t key, uint64_t off)
{
	struct pv *t = top(pk, s, off, "PUT");

	if (t == NULL)
		return MG_OK;
	/*
	 * Writers number entries 0, 1, 2, ...: an index far beyond the
	 * entries so far only serves to make the memo (and CPython's) huge.
	 */
	if (key >= MG_MAX_PICKLE_MEMO || key > s->memo_n +
	    MG_MAX_PICKLE_MEMO_GAP) {
		pk_note(pk, MG_R_PICKLE_LIMIT, off, NULL, "memo index %llu at "
		    "offset %llu exceeds MG_MAX_PICKLE_MEMO (%u) or lies more "
		    "than %u past the %zu entries so far",
		    (unsigned long long)key, (unsigned long long)off,
		    (unsigned)MG_MAX_PICKLE_MEMO,
		    (unsigned)MG_MAX_PICKLE_MEMO_GAP, s->memo_n);
		return MG_ERR_LIMIT;
	}
	if (key >= s->memo_cap) {
		size_t nc = s->memo_cap ? s->memo_cap : 256;
		struct pv *nm;
		unsigned char *ns;

		while (nc <= key)
			nc *= 2;
		if (nc > MG_MAX_PICKLE_MEMO)
			nc = MG_MAX_PICKLE_MEMO;
		if ((nm = realloc(s->memo, nc * sizeof(*nm))) == NULL)
			return MG_ERR_NOMEM;
		s->memo = nm;
		if ((ns = realloc(s->memo_set, nc)) == NULL)
			return MG_ERR_NOMEM;
		memset(ns + s->memo_cap, 0, nc - s->memo_cap);
		s->memo_set = ns;
		s->memo_cap = nc;
	}
	if (!s->memo_set[key])
		s->memo_n++;
	s->memo_set[key] = 1;
	s->memo[key] = *t;
	return MG_OK;
}

static int
memo_get(struct pk *pk, struct strm *s, uint64_t key, uint64_t off)
{
	if (key >= s->memo_cap || !s->memo_set[key]) {
		pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL, "GET of memo key %llu "
		    "at offset %llu, which was never PUT",
		    (unsigned long long)key, (unsigned long long)off);
		s->bad = 1;
		return push(pk, s, pv_scalar(PV_OPAQUE, 0));
	}
	return push(pk, s, s->memo[key]);
}

/* ---- decoding literals ---------------------------------------------------- */

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

enum { DEC_B64, DEC_HEX, DEC_LATIN1 };

/* Decode a kept literal into a new kept bytes value (opaque on failure). */
static struct pv
decode(struct pk *pk, const struct blob *in, int how)
{
	struct pv v = pv_scalar(PV_OPAQUE, 0);
	struct blob *b;
	uint32_t acc = 0;
	size_t i, n = 0;
	int bits = 0, hi = -1;

	if (in == NULL || in->kept != in->len)
		return v;
	if ((b = arena_alloc(pk, sizeof(*b) + in->kept + 1)) == NULL)
		return v;
	for (i = 0; i < in->kept; i++) {
		unsigned char c = in->b[i];
		int d;

		switch (how) {
		case DEC_B64:
			if (c == '=' || c == '\n' || c == '\r' || c == ' ')
				continue;
			if ((d = b64val(c)) < 0)
				return v;
			acc = acc << 6 | (uint32_t)d;
			if ((bits += 6) >= 8) {
				bits -= 8;
				b->b[n++] = (unsigned char)(acc >> bits);
			}
			break;
		case DEC_HEX:
			if (c == ' ' || c == '\n')
				continue;
			if ((d = mg_hexval(c)) < 0)
				return v;
			if (hi < 0)
				hi = d;
			else {
				b->b[n++] = (unsigned char)(hi << 4 | d);
				hi = -1;
			}
			break;
		default:	/* UTF-8 text to latin-1 bytes */
			if (c < 0x80)
				b->b[n++] = c;
			else if ((c & 0xe0) == 0xc0 && i + 1 < in->kept &&
			    c <= 0xc3) {
				b->b[n++] = (unsigned char)((c & 3) << 6 |
				    (in->b[i + 1] & 0x3f));
				i++;
			} else
				return v;
			break;
		}
	}
	b->len = b->kept = n;
	v.kind = PV_BYTES;
	v.p = b;
	v.i = (int64_t)n;
	return v;
}

/* ---- torch, numpy and joblib knowledge ------------------------------------- */

static const struct {
	const char	*cls;
	unsigned	 elsize;
	const char	*dtype;
} storages[] = {
	{ "FloatStorage", 4, "F32" }, { "DoubleStorage", 8, "F64" },
	{ "HalfStorage", 2, "F16" }, { "BFloat16Storage", 2, "BF16" },
	{ "LongStorage", 8, "I64" }, { "IntStorage", 4, "I32" },
	{ "ShortStorage", 2, "I16" }, { "CharStorage", 1, "I8" },
	{ "ByteStorage", 1, "U8" }, { "BoolStorage", 1, "BOOL" },
	{ "ComplexFloatStorage", 8, "C64" },
	{ "ComplexDoubleStorage", 16, "C128" },
	{ "QInt8Storage", 1, "QINT8" }, { "QUInt8Storage", 1, "QUINT8" },
	{ "QInt32Storage", 4, "QINT32" }, { "QUInt4x2Storage", 1, "QUINT4X2" },
	{ "QUInt2x4Storage", 1, "QUINT2X4" }, { "UntypedStorage", 1, "U8" },
};

static int
storage_class(const struct pk *pk, uint32_t imp, unsigned *elsize,
    const char **dtype)
{
	const struct mg_import *im;
	size_t i;

	if (imp == NOIMP)
		return 0;
	im = &pk->a->imports[imp];
	if (strcmp(im->module, "torch") != 0 &&
	    strcmp(im->module, "torch.cuda") != 0)
		return 0;
	for (i = 0; i < sizeof(storages) / sizeof(storages[0]); i++)
		if (strcmp(im->name, storages[i].cls) == 0) {
			*elsize = storages[i].elsize;
			*dtype = storages[i].dtype;
			return 1;
		}
	return 0;
}

/*
 * The first storage whose key (as a C string: a key that held a NUL
 * stops there) is k's bytes, or NULL.  st_ix maps each such key to its
 * first storage.
 */
static struct storage *
storage_find(struct pk *pk, const struct blob *k)
{
	size_t i;

	if (k == NULL || k->kept != k->len || k->len >= sizeof(pk->st->key) ||
	    pk->st_ix == NULL || memchr(k->b, '\0', k->len) != NULL)
		return NULL;
	return mg_strmap_get(pk->st_ix, k->b, k->len, &i) ? &pk->st[i] : NULL;
}

/*
 * BINPERSID with a legacy torch storage id: ('storage', torch.XStorage,
 * key, location, numel[, view_metadata]).  Returns 1 when understood.
 */
static int
persid_storage(struct pk *pk, const struct pv *pid, struct pv *out)
{
	const struct cont *t = as_cont(pid, C_TUPLE);
	const struct blob *key;
	struct storage *st;
	struct cont *c;
	unsigned elsize;
	const char *dtype;

	if (t == NULL || t->n < 5 || !str_eq(&t->items[0], "storage") ||
	    t->items[1].kind != PV_GLOBAL ||
	    !storage_class(pk, t->items[1].imp, &elsize, &dtype) ||
	    (key = as_blob(&t->items[2])) == NULL ||
	    t->items[4].kind != PV_INT || t->items[4].big != BIG_NO ||
	    t->items[4].i < 0)
		return 0;
	if ((st = storage_find(pk, key)) == NULL && key->kept == key->len &&
	    key->len < sizeof(st->key)) {
		if (pk->nst >= MG_MAX_PICKLE_STORAGES) {
			pk_note(pk, MG_R_PICKLE_LIMIT, mg_rd_tell(pk->rd), NULL,
			    "more than %u storages (MG_MAX_PICKLE_STORAGES)",
			    (unsigned)MG_MAX_PICKLE_STORAGES);
			worse(pk, MG_ERR_LIMIT);
			return 0;
		}
		if (pk->nst == pk->stcap) {
			size_t nc = pk->stcap ? pk->stcap * 2 : 16;
			struct storage *ns = realloc(pk->st, nc * sizeof(*ns));

			if (ns == NULL) {
				pk->rc = MG_ERR_NOMEM;
				return 0;
			}
			pk->st = ns;
			pk->stcap = nc;
		}
		st = &pk->st[pk->nst];
		memcpy(st->key, key->b, key->len);
		st->key[key->len] = '\0';
		/* Indexed before it counts: on failure it is not added. */
		{
			size_t at = pk->nst;

			if ((pk->st_ix == NULL &&
			    (pk->st_ix = mg_strmap_new()) == NULL) ||
			    mg_strmap_put(pk->st_ix, st->key, strlen(st->key),
			    &at) < 0) {
				pk->rc = MG_ERR_NOMEM;
				return 0;
			}
		}
		pk->nst++;
		st->numel = t->items[4].i;
		st->elsize = elsize;
		st->dtype = dtype;
	}
	if ((c = cont_new(pk, C_STORAGE)) != NULL) {
		c->numel = t->items[4].i;
		c->elsize = elsize;
		c->dtype = dtype;
	}
	*out = pv_cont(c);
	return 1;
}

/*
 * torch._utils._rebuild_tensor*(storage, offset, size, stride, ...):
 * count the tensor, and check that the view stays inside its storage,
 * offset + sum((size_i - 1) * stride_i) < numel, as a loader that trusts
 * the pickle would index it.
 */
static void
count_tensor(struct pk *pk, const struct cont *args, uint64_t off)
{
	const struct cont *st, *size, *stride;
	uint64_t numel = 1, last;
	uint32_t i;
	int ok;

	if (args == NULL || args->n < 3 ||
	    (st = as_cont(&args->items[0], C_STORAGE)) == NULL ||
	    (size = as_cont(&args->items[2], C_TUPLE)) == NULL ||
	    size->n != size->total)
		return;
	for (i = 0; i < size->n; i++) {
		const struct pv *d = &size->items[i];

		if (d->kind != PV_INT || d->big != BIG_NO || d->i < 0 ||
		    (d->i > 0 && numel > UINT64_MAX / (uint64_t)d->i))
			return;
		numel *= (uint64_t)d->i;
	}
	pk->tensors++;
	pk->params += numel;
	if (mg_artifact_add_ttype(pk->a, st->dtype, 1, numel, st->elsize * 8000,
	    0) != MG_OK)
		pk->rc = MG_ERR_NOMEM;
	if (numel == 0 || args->n < 4 || args->items[1].kind != PV_INT ||
	    (stride = as_cont(&args->items[3], C_TUPLE)) == NULL)
		return;
	ok = stride->n == size->n && stride->n == stride->total &&
	    args->items[1].big == BIG_NO && args->items[1].i >= 0;
	last = ok ? (uint64_t)args->items[1].i : 0;
	for (i = 0; ok && i < size->n; i++) {
		const struct pv *d = &stride->items[i];
		uint64_t span = (uint64_t)size->items[i].i - 1;

		if (d->kind != PV_INT || d->big != BIG_NO || d->i < 0 ||
		    (d->i > 0 && span > (UINT64_MAX - last) / (uint64_t)d->i))
			ok = 0;
		else
			last += span * (uint64_t)d->i;
	}
	if (!ok || last >= (uint64_t)st->numel)
		pk_note(pk, MG_R_TORCH_STORAGE, off, NULL, "tensor %llu at "
		    "offset %llu views %s of a storage of %lld elements",
		    (unsigned long long)pk->tensors, (unsigned long long)off,
		    ok ? "past the end" : "with a negative or overflowing "
		    "offset or stride", (long long)st->numel);
}

/* A NumPy type string ("<f8", "i4", "|b1") as a tensor type ("F64"). */
static void
np_tname(const char *d, char *out, size_t cap)
{
	const char *p = d + (*d == '<' || *d == '>' || *d == '|' || *d == '='),
	    *kinds = "fFiIuUcCbB";
	const char *k = *p != '\0' ? strchr(kinds, *p) : NULL;
	unsigned long bits = strtoul(p + (*p != '\0'), NULL, 10) * 8;

	if (k == NULL || ((k - kinds) & 1) != 0 || bits == 0 || bits > 256)
		snprintf(out, cap, "%.15s", p);
	else if (*p == 'b')
		snprintf(out, cap, "BOOL");
	else
		snprintf(out, cap, "%c%lu", k[1], bits);
}

/*
 * A NumPy dtype object from its pickle: REDUCE numpy.dtype ('f8', False,
 * True), BUILD (3, '<', subarray, names, fields, elsize, alignment,
 * flags) or the same with metadata (version 4).  numpy's __setstate__
 * takes the flags as given (hasobject is flag bit 0) but the elsize only
 * for flexible types (S, U, V): the item size of 'u1' is 1 whatever the
 * state says.  Returns 1 with the item size (0 for objects) and whether
 * the dtype holds Python objects, as numpy decides them; 0 when either
 * cannot be known for sure or the state contradicts the type code.
 */
static int
dtype_size(const struct pk *pk, const struct pv *v, uint64_t *size,
    int *hasobj, char *name, size_t namecap)
{
	const struct cont *o = as_cont(v, C_OBJ), *args, *state;
	const struct blob *d;
	uint64_t n = 0;
	size_t i;
	int flexible, objcode;
	unsigned char code;

	*size = 0;
	*hasobj = 0;
	if (o == NULL || (!imp_is(pk, o->imp, "numpy", "dtype") &&
	    !imp_is(pk, o->imp, "numpy.core.multiarray", "dtype") &&
	    !imp_is(pk, o->imp, "numpy._core.multiarray", "dtype")) ||
	    (args = as_cont(&o->args, C_TUPLE)) == NULL || args->n < 1 ||
	    args->n != args->total ||
	    (d = as_blob(&args->items[0])) == NULL || d->kept != d->len ||
	    d->len == 0 || d->len > 32)
		return 0;
	snprintf(name, namecap, "%.*s", (int)d->len, (const char *)d->b);
	code = d->b[0];
	for (i = 1; i < d->len && d->b[i] >= '0' && d->b[i] <= '9'; i++) {
		n = n * 10 + (uint64_t)(d->b[i] - '0');
		if (n > (1u << 30))
			return 0;
	}
	/* Only a datetime unit may follow the digits. */
	if (i < d->len && !((code == 'M' || code == 'm') && d->b[i] == '[' &&
	    d->b[d->len - 1] == ']'))
		return 0;
	flexible = code == 'S' || code == 'U' || code == 'V' || code == 'a';
	objcode = code == 'O';
	if (objcode)
		*size = n == 0 || n == 8 ? 8 : 0;
	else if (code == '?' && d->len == 1)
		*size = 1;
	else if (code == 'U')
		*size = n * 4;
	else if (strchr("biufcMmSVa", code) != NULL)
		*size = n;
	else
		return 0;
	*hasobj = objcode;
	state = NULL;
	if (o->built) {
		const struct pv *it;

		if ((state = as_cont(&o->state, C_TUPLE)) == NULL ||
		    state->n != state->total || (state->n != 8 &&
		    state->n != 9))
			return 0;
		it = state->items;
		if (it[0].kind != PV_INT || it[0].i != (int64_t)state->n - 5 ||
		    it[5].kind != PV_INT || it[7].kind != PV_INT ||
		    it[7].big != BIG_NO || it[5].big != BIG_NO)
			return 0;
		/* Subarrays and fields only on void types, as numpy writes. */
		if (code != 'V' && (it[2].kind != PV_NONE ||
		    it[3].kind != PV_NONE || it[4].kind != PV_NONE))
			return 0;
		*hasobj = (it[7].i & 1) != 0;
		if (objcode != *hasobj && !(code == 'V' && *hasobj))
			return 0;	/* flags contradict the type code */
		if (flexible) {
			if (it[5].i < 0 || it[5].i > (1 << 30))
				return 0;
			*size = (uint64_t)it[5].i;
		}
	}
	if (*hasobj)
		return 1;
	return *size > 0;	/* joblib divides by it */
}

static int stream(struct pk *pk, struct strm *s);
static void strm_free(struct strm *s);
static const char *canon_module(const char *m);

/*
 * Is the object a BUILD completed a joblib NumpyArrayWrapper, as joblib's
 * unpickler decides it (isinstance of the class the name resolves to)?
 * 1 yes, 0 no, -1 cannot be known: the class was reached by another name
 * or made by a call whose result is not known.
 */
static int
is_wrapper(const struct pk *pk, const struct cont *o)
{
	static const char wrapper[] = "joblib.numpy_pickle.NumpyArrayWrapper";
	const struct mg_import *im;
	const char *m, *last;
	size_t ml;

	if (o == NULL || o->kind != C_OBJ)
		return 0;
	if (o->imp == NOIMP)
		return -1;
	im = &pk->a->imports[o->imp];
	m = canon_module(im->module);
	/* module.name, however the dot falls between them. */
	ml = strlen(m);
	if (strncmp(wrapper, m, ml) == 0 && wrapper[ml] == '.' &&
	    strcmp(wrapper + ml + 1, im->name) == 0)
		return 1;
	/* NDArrayWrapper (joblib 0.9) reads a file of its own, not the stream. */
	last = strrchr(im->name, '.');
	last = last != NULL ? last + 1 : im->name;
	return strcmp(last, "NumpyArrayWrapper") == 0 ? -1 : 0;
}

/* The array block, read through the file's reader, for the shadow walk. */
struct blocksrc {
	struct mg_rd	*rd;
	uint64_t	 left;
};

static ssize_t
block_read(void *ctx, void *buf, size_t n)
{
	struct blocksrc *b = ctx;

	if (n > b->left)
		n = (size_t)b->left;
	if (n == 0)
		return 0;
	if (mg_rd_bytes(b->rd, buf, n) != MG_OK) {
		errno = EIO;
		return -1;
	}
	b->left -= n;
	return (ssize_t)n;
}

/*
 * joblib 1.1 and older write an array's bytes right after the BUILD, with
 * no padding: a plain pickle.load of the file reads them as opcodes.  The
 * whole block is walked that way, streaming, without findings, and stops
 * where pickle.load would (STOP, an unknown opcode, a stack or memo error,
 * a length past the end of the file); imports it would make are recorded
 * (and judged) with a PICKLE-ARRAY finding.  When the walk needs bytes
 * past the block, what pickle.load does next cannot be followed: that is
 * a PICKLE-ARRAY finding and the array is not complete.  The reader is
 * left at the end of the block.
 */
static int
shadow_read(struct pk *pk, uint64_t off, uint64_t size)
{
	struct mg_rd *saved_rd = pk->rd, sub;
	struct blocksrc bs;
	struct mg_src src;
	struct strm s;
	size_t before = pk->a->nimports;
	int r, sq = pk->quiet, sp = pk->plain, past;
	uint64_t so = pk->outer_off, start = mg_rd_tell(saved_rd);

	if (size == 0 || pk->depth > 0)
		return mg_rd_skip(pk->rd, size);
	if ((r = mg_rd_init(&sub, MG_PROBE_MIN_WINDOW)) != MG_OK)
		return r;
	bs.rd = saved_rd;
	bs.left = size;
	memset(&src, 0, sizeof(src));
	src.read = block_read;
	src.why = NULL;
	src.pread = NULL;
	src.ctx = &bs;
	src.size = size;
	mg_rd_reset(&sub, &src, NULL);
	memset(&s, 0, sizeof(s));
	pk->rd = &sub;
	pk->shadow = pk->quiet = pk->plain = 1;
	pk->shadow_room = mg_rd_left(saved_rd);
	pk->depth++;
	pk->outer_off = start;
	r = stream(pk, &s);
	pk->depth--;
	pk->shadow = 0;
	pk->quiet = sq;
	pk->plain = sp;
	pk->outer_off = so;
	pk->rd = saved_rd;
	/* An argument or the stream ran on past the block's last byte. */
	past = r == MG_ERR_TRUNCATED || r == MG_ERR_LIMIT;
	strm_free(&s);
	mg_rd_free(&sub);
	if (pk->rc == MG_ERR_NOMEM)
		return MG_ERR_NOMEM;
	if (saved_rd->err != 0)
		return saved_rd->err;
	if (pk->a->nimports > before)
		pk_note(pk, MG_R_PICKLE_ARRAY, off, NULL, "joblib array at "
		    "offset %llu has no alignment padding, and its bytes read "
		    "as pickle opcodes import %s.%s: a plain pickle.load of "
		    "this file would run them", (unsigned long long)off,
		    pk->a->imports[before].module, pk->a->imports[before].name);
	if (past) {
		pk_note(pk, MG_R_PICKLE_ARRAY, off, NULL, "joblib array at "
		    "offset %llu has no alignment padding, and its %llu bytes "
		    "read as pickle opcodes run on past the block: what a plain "
		    "pickle.load of this file would do next cannot be followed",
		    (unsigned long long)off, (unsigned long long)size);
		/* joblib's reading is known: go on to what it runs next. */
		worse(pk, MG_ERR_FORMAT);
	}
	return mg_rd_skip(pk->rd, size - (mg_rd_tell(pk->rd) - start));
}

/*
 * joblib reads the array right after the wrapper's BUILD: an object
 * array is a plain pickle.load of the same file; any other array is an
 * optional padding-length byte and padding, then shape x itemsize bytes.
 */
static int
joblib_array(struct pk *pk, struct strm *s, const struct cont *o,
    uint64_t off)
{
	const struct cont *st = as_cont(&o->state, C_DICT), *shape;
	const struct pv *pad;
	uint64_t count = 1, size = 0, itemsize = 0;
	char dname[40] = "";
	uint8_t padlen;
	uint32_t i;
	int hasobj = 0, r;
	const char *why = NULL;

	/*
	 * joblib reads the wrapper's attributes: every one must come from
	 * this one state dict, complete, or the byte count is a guess.
	 */
	shape = st != NULL ? as_cont(dict_get(st, "shape"), C_TUPLE) : NULL;
	if (o->init)
		why = "attributes set by calling the class with arguments";
	else if (st == NULL || st->n != st->total)
		why = "state that is not one dict of known items";
	else if (shape == NULL || shape->n != shape->total)
		why = "shape";
	else if (!dtype_size(pk, dict_get(st, "dtype"), &itemsize, &hasobj,
	    dname, sizeof(dname)))
		why = "dtype (or dtype state that contradicts its type code)";
	if (why != NULL) {
		pk_note(pk, MG_R_PICKLE_ARRAY, off, NULL, "joblib array at "
		    "offset %llu: its %s cannot be read from the pickle with "
		    "certainty, so the number of array bytes joblib reads next "
		    "is unknown", (unsigned long long)off, why);
		return MG_ERR_FORMAT;
	}
	if (s->frame_end > mg_rd_tell(pk->rd)) {
		pk_note(pk, MG_R_PICKLE_ARRAY, off, NULL, "joblib array at "
		    "offset %llu starts inside a pickle frame that ends at %llu",
		    (unsigned long long)off, (unsigned long long)s->frame_end);
		return MG_ERR_FORMAT;
	}
	s->frame_end = 0;	/* the frame ended at the BUILD */
	for (i = 0; i < shape->n; i++) {
		const struct pv *d = &shape->items[i];

		if (d->kind != PV_INT || d->big != BIG_NO || d->i < 0 ||
		    (d->i > 0 && count > UINT64_MAX / (uint64_t)d->i)) {
			pk_note(pk, MG_R_PICKLE_ARRAY, off, NULL, "joblib array "
			    "at offset %llu has a shape that is not a tuple of "
			    "small non-negative ints", (unsigned long long)off);
			return MG_ERR_FORMAT;
		}
		count *= (uint64_t)d->i;
	}
	pk->joblib_arrays++;
	if (hasobj) {
		struct strm sub;

		/*
		 * A nested, unrestricted pickle.load of the same stream, by
		 * the standard unpickler: no joblib reads inside it.
		 */
		memset(&sub, 0, sizeof(sub));
		pk->plain = 1;
		r = stream(pk, &sub);
		pk->plain = 0;
		if (sub.bad && r == MG_OK)
			r = MG_ERR_FORMAT;
		strm_free(&sub);
		return r;
	}
	if (count > UINT64_MAX / itemsize) {
		pk_note(pk, MG_R_PICKLE_ARRAY, off, NULL, "joblib array at "
		    "offset %llu: %llu elements of %llu bytes overflow",
		    (unsigned long long)off, (unsigned long long)count,
		    (unsigned long long)itemsize);
		return MG_ERR_FORMAT;
	}
	size = count * itemsize;
	pad = dict_get(st, "numpy_array_alignment_bytes");
	if (pad != NULL) {
		const unsigned char *pb;
		size_t got, k;

		/*
		 * joblib writes 1 to alignment bytes of 0xff.  Anything else
		 * is room that joblib skips and a plain pickle.load would run
		 * as opcodes (the length byte itself is one).
		 */
		if ((r = mg_rd_u8(pk->rd, &padlen)) != MG_OK)
			goto trunc;
		if (pad->kind != PV_INT || pad->i < 1 || pad->i > 255 ||
		    padlen < 1 || padlen > pad->i) {
			pk_note(pk, MG_R_PICKLE_ARRAY, off, NULL, "joblib array "
			    "at offset %llu: padding of %u bytes does not fit "
			    "an alignment of %lld", (unsigned long long)off,
			    padlen, (long long)pad->i);
			return MG_ERR_FORMAT;
		}
		if ((r = mg_rd_peek(pk->rd, padlen, &pb, &got)) != MG_OK)
			return r;
		if (got < padlen) {
			r = MG_ERR_TRUNCATED;
			goto trunc;
		}
		for (k = 0; k < padlen; k++)
			if (pb[k] != 0xff) {
				pk_note(pk, MG_R_PICKLE_ARRAY, off, NULL, "joblib "
				    "array at offset %llu: padding holds bytes "
				    "other than 0xff", (unsigned long long)off);
				return MG_ERR_FORMAT;
			}
		if ((r = mg_rd_skip(pk->rd, padlen)) != MG_OK)
			goto trunc;
	}
	if (size > mg_rd_left(pk->rd)) {
		r = MG_ERR_TRUNCATED;
		goto trunc;
	}
	if (pad == NULL)
		r = shadow_read(pk, off, size);
	else
		r = mg_rd_skip(pk->rd, size);
	if (r != MG_OK)
		return r;
	pk->tensors++;
	pk->params += count;
	{
		char t[16];

		np_tname(dname, t, sizeof(t));
		if (mg_artifact_add_ttype(pk->a, t, 1, count,
		    (unsigned)(itemsize * 8000), 0) != MG_OK)
			return MG_ERR_NOMEM;
	}
	return MG_OK;
trunc:
	if (r != MG_ERR_TRUNCATED)
		return r;
	pk_note(pk, MG_R_PICKLE_TRUNC, off, NULL, "joblib array after offset "
	    "%llu needs %llu bytes; %llu are left", (unsigned long long)off,
	    (unsigned long long)size, (unsigned long long)mg_rd_left(pk->rd));
	return MG_ERR_TRUNCATED;
}

/* ---- nested pickles ------------------------------------------------------- */

static int
is_loader(const struct mg_import *im)
{
	static const char *const mods[] = { "pickle", "_pickle", "cPickle",
		"dill", "dill._dill", "cloudpickle", "cloudpickle.cloudpickle",
		"numpy", "numpy.core.numeric", "joblib", NULL };
	size_t i;

	if (strcmp(im->name, "loads") != 0 && strcmp(im->name, "_loads") != 0)
		return 0;
	for (i = 0; mods[i] != NULL; i++)
		if (strcmp(im->module, mods[i]) == 0)
			return 1;
	return 0;
}

static int
decoder(const struct mg_import *im)
{
	static const struct {
		const char *m, *n;
		int how;
	} d[] = {
		{ "base64", "b64decode", DEC_B64 },
		{ "base64", "standard_b64decode", DEC_B64 },
		{ "base64", "urlsafe_b64decode", DEC_B64 },
		{ "base64", "decodebytes", DEC_B64 },
		{ "base64", "decodestring", DEC_B64 },
		{ "binascii", "a2b_base64", DEC_B64 },
		{ "binascii", "unhexlify", DEC_HEX },
		{ "binascii", "a2b_hex", DEC_HEX },
		{ "builtins", "bytes.fromhex", DEC_HEX },
		{ "__builtin__", "bytes.fromhex", DEC_HEX },
		{ "builtins", "bytearray.fromhex", DEC_HEX },
		{ "_codecs", "encode", DEC_LATIN1 },
		{ "codecs", "encode", DEC_LATIN1 },
	};
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		if (strcmp(im->module, d[i].m) == 0 &&
		    strcmp(im->name, d[i].n) == 0)
			return d[i].how;
	return -1;
}

static int
nested(struct pk *pk, const struct pv *arg, uint64_t off)
{
	const struct blob *b = as_blob(arg);
	struct mg_rd sub;
	struct mg_memsrc m;
	struct mg_src src;
	struct mg_rd *saved_rd = pk->rd;
	uint64_t saved_off = pk->outer_off;
	struct strm s;
	int r, saved_quiet = pk->quiet, saved_plain;

	if (b == NULL || b->kept != b->len) {
		pk_note(pk, MG_R_PICKLE_NESTED, off, NULL, "a pickle loader is "
		    "called at offset %llu on %s: the nested pickle cannot be "
		    "analysed", (unsigned long long)off, b == NULL ?
		    "a value that is not a literal" : "a literal longer than "
		    "MG_MAX_PICKLE_KEEP");
		return MG_OK;
	}
	if (pk->depth + 1 > MG_MAX_PICKLE_NEST) {
		pk_note(pk, MG_R_PICKLE_LIMIT, off, NULL, "pickles nested deeper "
		    "than %u levels (MG_MAX_PICKLE_NEST) at offset %llu",
		    (unsigned)MG_MAX_PICKLE_NEST, (unsigned long long)off);
		worse(pk, MG_ERR_LIMIT);
		return MG_OK;
	}
	pk_note(pk, MG_R_PICKLE_NESTED, off, NULL, "a pickle loader is called "
	    "at offset %llu on a %llu-byte literal; it is analysed as a "
	    "pickle of its own", (unsigned long long)off,
	    (unsigned long long)b->len);
	if ((r = mg_rd_init(&sub, MG_PROBE_MIN_WINDOW)) != MG_OK)
		return r;
	mg_src_mem(&src, &m, b->b, b->kept);
	mg_rd_reset(&sub, &src, NULL);
	memset(&s, 0, sizeof(s));
	if (pk->depth == 0)
		pk->outer_off = off;
	pk->depth++;
	pk->rd = &sub;
	pk->quiet = 0;
	saved_plain = pk->plain;
	pk->plain = 1;
	r = stream(pk, &s);
	pk->plain = saved_plain;
	if (r == MG_OK && mg_rd_left(&sub) > 0)
		pk_note(pk, MG_R_PICKLE_TRAIL, off, NULL, "%llu bytes follow "
		    "the nested pickle's STOP",
		    (unsigned long long)mg_rd_left(&sub));
	/* The outer stream is intact whatever the nested one held. */
	if (r == MG_ERR_FORMAT || r == MG_ERR_TRUNCATED)
		r = MG_OK;
	strm_free(&s);
	pk->depth--;
	pk->rd = saved_rd;
	pk->outer_off = saved_off;
	pk->quiet = saved_quiet;
	mg_rd_free(&sub);
	return r == MG_ERR_LIMIT ? MG_OK : r;
}

/* ---- calls ---------------------------------------------------------------- */

static void
called(struct pk *pk, const struct pv *callable)
{
	if (callable->kind == PV_GLOBAL && callable->imp != NOIMP &&
	    pk->a->imports[callable->imp].calls < UINT32_MAX)
		pk->a->imports[callable->imp].calls++;
}

/*
 * What a call of an import does to the analysis, worked out at its first
 * call and kept in mg_import.role: ROLE_DEC + how for a decoder.
 */
enum {
	ROLE_UNKNOWN, ROLE_PLAIN, ROLE_LOADER, ROLE_REBUILD, ROLE_RECON,
	ROLE_NEWOBJ, ROLE_DEC
};

static unsigned char
role_of(struct mg_import *im)
{
	int how;

	if (im->role != ROLE_UNKNOWN)
		return im->role;
	if (is_loader(im))
		im->role = ROLE_LOADER;
	else if ((how = decoder(im)) >= 0)
		im->role = (unsigned char)(ROLE_DEC + how);
	else if (strcmp(im->module, "torch._utils") == 0 &&
	    strncmp(im->name, "_rebuild_tensor", 15) == 0)
		im->role = ROLE_REBUILD;
	else if (strcmp(canon_module(im->module), "copyreg") == 0 &&
	    strcmp(im->name, "_reconstructor") == 0)
		im->role = ROLE_RECON;
	else if (strcmp(canon_module(im->module), "copyreg") == 0 &&
	    (strcmp(im->name, "__newobj__") == 0 ||
	    strcmp(im->name, "__newobj_ex__") == 0))
		im->role = ROLE_NEWOBJ;
	else
		im->role = ROLE_PLAIN;
	return im->role;
}

/* REDUCE, NEWOBJ, OBJ, INST: a new object made by callable(args). */
enum { CALL_NEW, CALL_REDUCE, CALL_INST };

static int
call(struct pk *pk, struct strm *s, struct pv callable, struct pv args,
    uint64_t off, int how_made)
{
	int is_reduce = how_made == CALL_REDUCE;
	struct cont *c, *ac = as_cont(&args, C_TUPLE);
	unsigned char role = ROLE_UNKNOWN;
	int how;

	called(pk, &callable);
	if (callable.kind == PV_GLOBAL && callable.imp != NOIMP)
		role = role_of(&pk->a->imports[callable.imp]);
	if (role != ROLE_UNKNOWN && is_reduce && ac != NULL && ac->n >= 1) {
		if (role == ROLE_LOADER) {
			int r = nested(pk, &ac->items[0], off);

			if (r != MG_OK)
				return r;
		} else if (role >= ROLE_DEC) {
			how = role - ROLE_DEC;
			/* codecs.encode(s, 'latin1') only; others stay opaque. */
			if (how != DEC_LATIN1 || (ac->n >= 2 &&
			    (str_eq(&ac->items[1], "latin1") ||
			    str_eq(&ac->items[1], "latin-1"))))
				return push(pk, s, decode(pk,
				    as_blob(&ac->items[0]), how));
		} else if (role == ROLE_REBUILD)
			count_tensor(pk, ac, off);
	}
	if ((c = cont_new(pk, C_OBJ)) != NULL) {
		c->imp = callable.kind == PV_GLOBAL ? callable.imp : NOIMP;
		c->args = args;
		if (role == ROLE_RECON || role == ROLE_NEWOBJ) {
			/*
			 * _reconstructor(cls, base, state), __newobj__(cls,
			 * *args) and __newobj_ex__(cls, args, kwargs) make a
			 * cls; only _reconstructor with a state runs an
			 * __init__.
			 */
			c->imp = ac != NULL && ac->n >= 1 &&
			    ac->items[0].kind == PV_GLOBAL ? ac->items[0].imp :
			    NOIMP;
			c->init = ac == NULL || (role == ROLE_RECON &&
			    ac->n >= 3 && ac->items[2].kind != PV_NONE);
		} else if (how_made != CALL_NEW)
			/* cls(*args): __init__ sets what it likes. */
			c->init = ac == NULL || ac->total > 0;
	}
	return push(pk, s, pv_cont(c));
}

/* ---- the machine ---------------------------------------------------------- */

static void
strm_free(struct strm *s)
{
	free(s->stack);
	free(s->marks);
	free(s->memo);
	free(s->memo_set);
	memset(s, 0, sizeof(*s));
}

/* A malformed opcode: fmt takes the opcode's name and the offset. */
static int
bad(struct pk *pk, uint64_t off, const char *fmt, const char *what)
{
	char msg[256];

	/* fmt is always a literal of this file with "%s ... %llu". */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(msg, sizeof(msg), fmt, what, (unsigned long long)off);
#pragma GCC diagnostic pop
	pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL, "%s", msg);
	return MG_ERR_FORMAT;
}

static int
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* A decimal integer argument (INT, LONG, GET, PUT): t holds all len bytes. */
static int
parse_dec(const char *t, size_t len, int64_t *v, int *big, int allow_l)
{
	size_t i = 0;
	int neg = 0;
	uint64_t acc = 0;

	unsigned base = 10, d, digits = 0;

	*big = BIG_NO;
	if (allow_l && len > 0 && t[len - 1] == 'L')
		len--;
	/* As int() reads it: blanks around, a sign, 0x/0o/0b, underscores. */
	while (len > 0 && blank(t[len - 1]))
		len--;
	while (i < len && blank(t[i]))
		i++;
	if (i < len && (t[i] == '-' || t[i] == '+'))
		neg = t[i++] == '-';
	if (len - i > 2 && t[i] == '0' && t[i + 1] != '\0' &&
	    strchr("xXoObB", t[i + 1]) != NULL) {
		base = t[i + 1] == 'x' || t[i + 1] == 'X' ? 16 :
		    t[i + 1] == 'o' || t[i + 1] == 'O' ? 8 : 2;
		i += 2;
	}
	if (i == len)
		return 0;
	for (; i < len; i++) {
		if (t[i] == '_' && digits > 0 && i + 1 < len && t[i + 1] != '_')
			continue;
		d = t[i] >= '0' && t[i] <= '9' ? (unsigned)(t[i] - '0') :
		    t[i] >= 'a' && t[i] <= 'f' ? (unsigned)(t[i] - 'a' + 10) :
		    t[i] >= 'A' && t[i] <= 'F' ? (unsigned)(t[i] - 'A' + 10) :
		    99;
		if (d >= base)
			return 0;
		digits++;
		if (acc > (UINT64_MAX - d) / base)
			*big = BIG_YES;
		else
			acc = acc * base + d;
	}
	if (acc > (uint64_t)INT64_MAX)
		*big = BIG_YES;
	*v = *big ? 0 : neg ? -(int64_t)acc : (int64_t)acc;
	return 1;
}

static const unsigned char torch_magic_le[10] = {
	0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19
};

static const char torch_magic_dec[] = "119547037146038801333356";

/* Length-aware order of the old spellings in pickle_compat.h. */
static int
cmp_counted(const unsigned char *a, size_t an, const char *b)
{
	size_t bn = strlen(b);
	int c = memcmp(a, b, an < bn ? an : bn);

	return c != 0 ? c : an < bn ? -1 : an > bn;
}

/*
 * Protocols 0 to 2: the unpickler imports a Python 2 name under its
 * Python 3 spelling (fix_imports): the (module, name) pair if it is
 * mapped, else the module.  cStringIO.FileIO is io.FileIO.
 */
/* A name to look up in pickle_compat.h's tables. */
struct compat_key {
	const unsigned char	*mod, *name;
	size_t			 ml, nl;
};

static int
cmp_name_map(const void *k, const void *e)
{
	const struct compat_key *q = k;
	const struct pk_namemap *m = e;
	int c = cmp_counted(q->mod, q->ml, m->module);

	return c != 0 ? c : cmp_counted(q->name, q->nl, m->name);
}

static int
cmp_import_map(const void *k, const void *e)
{
	const struct compat_key *q = k;

	return cmp_counted(q->mod, q->ml, ((const struct pk_modmap *)e)->from);
}

static int
compat_map(int proto, const unsigned char **mod, size_t *ml,
    const unsigned char **name, size_t *nl)
{
	struct compat_key q = { *mod, *name, *ml, *nl };
	const struct pk_namemap *nm;
	const struct pk_modmap *mm;

	if (proto >= 3)
		return 0;
	if ((nm = bsearch(&q, pk_name_map, sizeof(pk_name_map) /
	    sizeof(pk_name_map[0]), sizeof(pk_name_map[0]),
	    cmp_name_map)) != NULL) {
		*mod = (const unsigned char *)nm->to_module;
		*ml = strlen(nm->to_module);
		*name = (const unsigned char *)nm->to_name;
		*nl = strlen(nm->to_name);
		return 1;
	}
	if ((mm = bsearch(&q, pk_import_map, sizeof(pk_import_map) /
	    sizeof(pk_import_map[0]), sizeof(pk_import_map[0]),
	    cmp_import_map)) != NULL) {
		*mod = (const unsigned char *)mm->to;
		*ml = strlen(mm->to);
		return 1;
	}
	return 0;
}

/* An import under its Python 3 name; the stream's spelling is kept. */
static uint32_t
add_import_fixed(struct pk *pk, int proto, const unsigned char *mod,
    size_t ml, const unsigned char *name, size_t nl, uint64_t off)
{
	const unsigned char *mp = mod, *np = name;
	size_t mpl = ml, npl = nl;
	uint32_t imp;
	int mapped = compat_map(proto, &mp, &mpl, &np, &npl);
	struct mg_import *im;

	imp = add_import(pk, mp, mpl, np, npl, off);
	if (!mapped || imp == NOIMP)
		return imp;
	im = &pk->a->imports[imp];
	if (im->written == NULL) {
		char *w = clean_copy(mod, ml), *n = clean_copy(name, nl);

		if (w != NULL && n != NULL && (im->written = malloc(ml + nl +
		    2)) != NULL)
			snprintf(im->written, ml + nl + 2, "%s.%s", w, n);
		free(w);
		free(n);
		if (im->written == NULL)
			pk->rc = MG_ERR_NOMEM;
	}
	return imp;
}

/* GLOBAL and INST: "module\nname\n". */
static int
text_global(struct pk *pk, struct strm *s, uint64_t off, uint32_t *imp)
{
	char m[512], n[512];
	size_t ml, nl;
	int r;

	if ((r = read_line(pk, off, m, sizeof(m) - 1, &ml)) != MG_OK ||
	    (r = read_line(pk, off, n, sizeof(n) - 1, &nl)) != MG_OK)
		return r;
	if (ml == 0 || nl == 0)
		return bad(pk, off, "%s at offset %llu has an empty module or "
		    "name", "GLOBAL");
	if (ml >= sizeof(m) - 1 || nl >= sizeof(n) - 1) {
		pk_note(pk, MG_R_PICKLE_LIMIT, off, NULL, "import at offset %llu "
		    "names a module or attribute longer than %zu bytes",
		    (unsigned long long)off, sizeof(m) - 2);
		return MG_ERR_LIMIT;
	}
	*imp = add_import_fixed(pk, s->proto, (const unsigned char *)m, ml,
	    (const unsigned char *)n, nl, off);
	return pk->rc == MG_ERR_NOMEM ? MG_ERR_NOMEM : MG_OK;
}

static int
stack_global(struct pk *pk, struct strm *s, uint64_t off)
{
	struct pv name = pop(pk, s, off, "STACK_GLOBAL");
	struct pv mod = pop(pk, s, off, "STACK_GLOBAL");
	const struct blob *bm = as_blob(&mod), *bn = as_blob(&name);
	struct pv g = pv_scalar(PV_GLOBAL, 0);

	g.imp = NOIMP;
	if (bm == NULL || bn == NULL || bm->kept != bm->len ||
	    bn->kept != bn->len || bm->len == 0 || bn->len == 0 ||
	    bm->len > 510 || bn->len > 510) {
		pk_note(pk, MG_R_PICKLE_DYN, off, NULL, "STACK_GLOBAL at offset "
		    "%llu takes its %s from a value that is not a string "
		    "literal: the import cannot be resolved",
		    (unsigned long long)off, bm == NULL || bm->kept != bm->len ||
		    bm->len == 0 ? "module" : "name");
		return push(pk, s, g);
	}
	g.imp = add_import_fixed(pk, s->proto, bm->b, bm->len, bn->b, bn->len,
	    off);
	if (pk->rc == MG_ERR_NOMEM)
		return MG_ERR_NOMEM;
	return push(pk, s, g);
}

/*
 * Run one stream from the reader's offset to its STOP.  MG_OK at STOP
 * (s->bad says whether a recoverable error was seen), else the error
 * after its finding.
 */
static int
stream(struct pk *pk, struct strm *s)
{
	struct mg_rd *rd = pk->rd;
	char line[4400];
	size_t from, len;
	uint64_t off, u64;
	uint32_t u32, imp;
	uint16_t u16;
	uint8_t op, u8;
	struct pv v, w, x;
	struct cont *c;
	int r = MG_OK, big;
	int64_t iv;

	s->proto = 0;
	for (;;) {
		off = mg_rd_tell(rd);
		if (pk->rc == MG_ERR_NOMEM)
			return MG_ERR_NOMEM;
		if (s->frame_end != 0 && off > s->frame_end) {
			pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL, "an opcode "
			    "crosses the end of the frame at offset %llu",
			    (unsigned long long)s->frame_end);
			return MG_ERR_FORMAT;
		}
		if (s->frame_end != 0 && off == s->frame_end)
			s->frame_end = 0;
		/* Data read as opcodes: pickle.load stops at its first error. */
		if (pk->shadow && s->bad)
			return MG_ERR_FORMAT;
		if (++pk->ops > MG_MAX_PICKLE_OPS) {
			pk_note(pk, MG_R_PICKLE_LIMIT, off, NULL, "more than "
			    "%llu opcodes (MG_MAX_PICKLE_OPS)",
			    (unsigned long long)MG_MAX_PICKLE_OPS);
			return MG_ERR_LIMIT;
		}
		if ((r = mg_rd_u8f(rd, &op)) != MG_OK) {
			if (r == MG_ERR_TRUNCATED)
				pk_note(pk, MG_R_PICKLE_TRUNC, off, NULL, "the "
				    "pickle ends at offset %llu without a STOP "
				    "opcode", (unsigned long long)off);
			return r;
		}
		pk->op = op;
		switch (op) {
		case '.':		/* STOP */
			if (s->sn == 0) {
				pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL, "STOP "
				    "at offset %llu with an empty stack",
				    (unsigned long long)off);
				s->bad = 1;
				s->result = pv_scalar(PV_OPAQUE, 0);
			} else
				s->result = s->stack[s->sn - 1];
			if (s->mn > 0 && !s->bad) {
				pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL, "STOP "
				    "at offset %llu with %zu MARKs still open",
				    (unsigned long long)off, s->mn);
				s->bad = 1;
			}
			if (s->frame_end != 0 && s->frame_end != off + 1 &&
			    !s->bad) {
				pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL, "STOP "
				    "at offset %llu inside a frame that ends at "
				    "%llu", (unsigned long long)off,
				    (unsigned long long)s->frame_end);
				s->bad = 1;
			}
			return MG_OK;
		case 0x80:		/* PROTO */
			if ((r = mg_rd_u8f(rd, &u8)) != MG_OK)
				goto arg;
			if (u8 > 5)
				return bad(pk, off, "%s at offset %llu names a "
				    "protocol above 5", "PROTO");
			s->proto = u8;
			if (u8 > pk->maxproto)
				pk->maxproto = u8;
			break;
		case 0x95:		/* FRAME */
			if ((r = mg_rd_u64f(rd, 0, &u64)) != MG_OK)
				goto arg;
			if (pk->shadow && u64 > mg_rd_left(rd) &&
			    u64 > pk->shadow_room - mg_rd_tell(rd))
				return MG_ERR_FORMAT;
			if (u64 > mg_rd_left(rd)) {
				pk_note(pk, MG_R_PICKLE_TRUNC, off, NULL, "FRAME "
				    "at offset %llu declares %llu bytes; %llu are "
				    "left", (unsigned long long)off,
				    (unsigned long long)u64,
				    (unsigned long long)mg_rd_left(rd));
				return MG_ERR_TRUNCATED;
			}
			if (s->frame_end != 0)
				return bad(pk, off, "%s at offset %llu begins "
				    "before the current frame ends", "FRAME");
			s->frame_end = u64 > 0 ? mg_rd_tell(rd) + u64 : 0;
			break;
		case '(':		/* MARK */
			if (s->mn >= MG_MAX_PICKLE_MARKS) {
				pk_note(pk, MG_R_PICKLE_LIMIT, off, NULL, "more "
				    "than %u open MARKs (MG_MAX_PICKLE_MARKS) at "
				    "offset %llu", (unsigned)MG_MAX_PICKLE_MARKS,
				    (unsigned long long)off);
				return MG_ERR_LIMIT;
			}
			if (s->mn == s->mcap) {
				size_t nc = s->mcap ? s->mcap * 2 : 32;
				size_t *nm = realloc(s->marks, nc *
				    sizeof(*nm));

				if (nm == NULL)
					return MG_ERR_NOMEM;
				s->marks = nm;
				s->mcap = nc;
			}
			s->marks[s->mn++] = s->sn;
			break;
		case '0':		/* POP */
			if (s->sn > floor_of(s))
				s->sn--;
			else if (s->mn > 0)
				s->mn--;	/* CPython pops a mark */
			else
				(void)pop(pk, s, off, "POP");
			break;
		case '1':		/* POP_MARK */
			(void)pop_mark(pk, s, off, "POP_MARK", &from);
			s->sn = from;
			break;
		case '2':		/* DUP */
			if (top(pk, s, off, "DUP") != NULL)
				r = push(pk, s, s->stack[s->sn - 1]);
			break;
		case 'N':
			r = push(pk, s, pv_scalar(PV_NONE, 0));
			break;
		case 0x88:		/* NEWTRUE */
		case 0x89:		/* NEWFALSE */
			r = push(pk, s, pv_scalar(PV_BOOL, op == 0x88));
			break;
		case 'K':		/* BININT1 */
			if ((r = mg_rd_u8f(rd, &u8)) != MG_OK)
				goto arg;
			r = push(pk, s, pv_scalar(PV_INT, u8));
			break;
		case 'M':		/* BININT2 */
			if ((r = mg_rd_u16f(rd, 0, &u16)) != MG_OK)
				goto arg;
			r = push(pk, s, pv_scalar(PV_INT, u16));
			break;
		case 'J':		/* BININT */
			if ((r = mg_rd_u32f(rd, 0, &u32)) != MG_OK)
				goto arg;
			r = push(pk, s, pv_scalar(PV_INT, (int32_t)u32));
			break;
		case 'G':		/* BINFLOAT */
			if ((r = mg_rd_skip(rd, 8)) != MG_OK)
				goto arg;
			r = push(pk, s, pv_scalar(PV_FLOAT, 0));
			break;
		case 0x8a:		/* LONG1 */
		case 0x8b:		/* LONG4 */
			if (op == 0x8a) {
				if ((r = mg_rd_u8f(rd, &u8)) != MG_OK)
					goto arg;
				u32 = u8;
			} else {
				if ((r = mg_rd_u32f(rd, 0, &u32)) != MG_OK)
					goto arg;
				if ((int32_t)u32 < 0)
					return bad(pk, off, "%s at offset %llu "
					    "has a negative length", "LONG4");
			}
			if (pk->shadow && u32 > mg_rd_left(rd) &&
			    u32 > pk->shadow_room - mg_rd_tell(rd))
				return MG_ERR_FORMAT;
			if (u32 > MG_MAX_PICKLE_LONG) {
				pk_note(pk, MG_R_PICKLE_LIMIT, off, NULL, "LONG of "
				    "%u bytes at offset %llu exceeds "
				    "MG_MAX_PICKLE_LONG", u32,
				    (unsigned long long)off);
				return MG_ERR_LIMIT;
			}
			{
				unsigned char b[MG_MAX_PICKLE_LONG];
				uint64_t acc = 0;
				uint32_t k;

				if ((r = mg_rd_bytes(rd, b, u32)) != MG_OK)
					goto arg;
				v = pv_scalar(PV_INT, 0);
				if (u32 == 10 && memcmp(b, torch_magic_le,
				    10) == 0)
					v.big = BIG_TORCH;
				else if (u32 > 8)
					v.big = BIG_YES;
				else if (u32 > 0) {
					for (k = u32; k-- > 0;)
						acc = acc << 8 | b[k];
					if (u32 < 8 && (b[u32 - 1] & 0x80))
						acc |= UINT64_MAX << (8 * u32);
					v.i = (int64_t)acc;
				}
				r = push(pk, s, v);
			}
			break;
		case 'I':		/* INT */
		case 'L':		/* LONG */
			if ((r = read_line(pk, off, line, sizeof(line) - 1,
			    &len)) != MG_OK)
				goto arg;
			if (len > MG_MAX_PICKLE_DIGITS) {
				pk_note(pk, MG_R_PICKLE_LIMIT, off, NULL, "decimal "
				    "integer of %zu digits at offset %llu exceeds "
				    "MG_MAX_PICKLE_DIGITS", len,
				    (unsigned long long)off);
				return MG_ERR_LIMIT;
			}
			if (op == 'I' && len == 2 && line[0] == '0' &&
			    (line[1] == '0' || line[1] == '1')) {
				r = push(pk, s, pv_scalar(PV_BOOL, line[1] == '1'));
				break;
			}
			if (!parse_dec(line, len, &iv, &big, op == 'L'))
				return bad(pk, off, "%s at offset %llu is not a "
				    "decimal integer", op == 'I' ? "INT" : "LONG");
			v = pv_scalar(PV_INT, iv);
			v.big = (unsigned char)big;
			/* Legacy torch's magic number at protocol 0 or 1. */
			if (len >= 24 && strncmp(line, torch_magic_dec, 24) ==
			    0 && (len == 24 || (len == 25 && line[24] == 'L')))
				v.big = BIG_TORCH;
			r = push(pk, s, v);
			break;
		case 'F':		/* FLOAT */
			if ((r = read_line(pk, off, line, sizeof(line) - 1,
			    &len)) != MG_OK)
				goto arg;
			r = push(pk, s, pv_scalar(PV_FLOAT, 0));
			break;
		case 'S':		/* STRING: a quoted repr */
		case 'V':		/* UNICODE: raw-unicode-escape */
		case 'P': {		/* PERSID */
			struct blob *b;

			if ((r = read_line(pk, off, line, sizeof(line) - 1,
			    &len)) != MG_OK)
				goto arg;
			if (op == 'P') {
				pk_note(pk, MG_R_PICKLE_PERSID, off, NULL, "PERSID "
				    "at offset %llu asks the loader's "
				    "persistent_load for an object",
				    (unsigned long long)off);
				r = push(pk, s, pv_scalar(PV_OPAQUE, 0));
				break;
			}
			if (op == 'S' && (len < 2 || (line[0] != '\'' &&
			    line[0] != '"') || (len < sizeof(line) - 1 &&
			    line[len - 1] != line[0])))
				return bad(pk, off, "%s at offset %llu is not a "
				    "quoted string", "STRING");
			v = pv_scalar(PV_STR, (int64_t)len);
			if (len < sizeof(line) - 1 &&
			    (b = arena_alloc(pk, sizeof(*b) + len + 1)) != NULL) {
				/* Kept as written, quotes stripped; escapes stay
				 * (module and attribute names have none). */
				size_t st = op == 'S' ? 1 : 0;
				size_t n = op == 'S' ? len - 2 : len;

				memcpy(b->b, line + st, n);
				b->len = b->kept = n;
				v.p = b;
				v.i = (int64_t)n;
				if (n > 0 && memchr(b->b, '\\', n) != NULL)
					b->kept = 0;	/* not literal text */
			}
			r = push(pk, s, v);
			break;
		}
		case 'T':		/* BINSTRING */
		case 'X':		/* BINUNICODE */
		case 'B':		/* BINBYTES */
			if ((r = mg_rd_u32f(rd, 0, &u32)) != MG_OK)
				goto arg;
			if (op == 'T' && (int32_t)u32 < 0)
				return bad(pk, off, "%s at offset %llu has a "
				    "negative length", "BINSTRING");
			if ((r = read_blob(pk, off, u32, op == 'B' ? PV_BYTES :
			    PV_STR, &v)) != MG_OK)
				goto arg;
			r = push(pk, s, v);
			break;
		case 'U':		/* SHORT_BINSTRING */
		case 'C':		/* SHORT_BINBYTES */
		case 0x8c:		/* SHORT_BINUNICODE */
			if ((r = mg_rd_u8f(rd, &u8)) != MG_OK)
				goto arg;
			if ((r = read_blob(pk, off, u8, op == 'C' ? PV_BYTES :
			    PV_STR, &v)) != MG_OK)
				goto arg;
			r = push(pk, s, v);
			break;
		case 0x8d:		/* BINUNICODE8 */
		case 0x8e:		/* BINBYTES8 */
		case 0x96:		/* BYTEARRAY8 */
			if ((r = mg_rd_u64f(rd, 0, &u64)) != MG_OK)
				goto arg;
			if ((r = read_blob(pk, off, u64, op == 0x8d ? PV_STR :
			    PV_BYTES, &v)) != MG_OK)
				goto arg;
			r = push(pk, s, v);
			break;
		case 0x97:		/* NEXT_BUFFER: out-of-band data */
			r = push(pk, s, pv_scalar(PV_OPAQUE, 0));
			break;
		case 0x98:		/* READONLY_BUFFER */
			(void)top(pk, s, off, "READONLY_BUFFER");
			break;
		case ')':		/* EMPTY_TUPLE */
			r = push(pk, s, pv_cont(cont_new(pk, C_TUPLE)));
			break;
		case ']':		/* EMPTY_LIST */
			r = push(pk, s, pv_cont(cont_new(pk, C_LIST)));
			break;
		case '}':		/* EMPTY_DICT */
			r = push(pk, s, pv_cont(cont_new(pk, C_DICT)));
			break;
		case 0x8f:		/* EMPTY_SET */
			r = push(pk, s, pv_cont(cont_new(pk, C_SET)));
			break;
		case 't':		/* TUPLE */
		case 'l':		/* LIST */
		case 'd':		/* DICT */
		case 0x91:		/* FROZENSET */
			(void)pop_mark(pk, s, off, "TUPLE", &from);
			r = push(pk, s, collect(pk, s, from, op == 't' ? C_TUPLE :
			    op == 'l' ? C_LIST : op == 'd' ? C_DICT : C_SET));
			break;
		case 0x85:		/* TUPLE1 */
		case 0x86:		/* TUPLE2 */
		case 0x87: {		/* TUPLE3 */
			struct pv it[3];
			int k, n = op - 0x84;

			for (k = n; k-- > 0;)
				it[k] = pop(pk, s, off, "TUPLEn");
			c = cont_new(pk, C_TUPLE);
			for (k = 0; c != NULL && k < n; k++)
				cont_add(pk, c, it[k]);
			r = push(pk, s, pv_cont(c));
			break;
		}
		case 'a':		/* APPEND */
			v = pop(pk, s, off, "APPEND");
			if (top(pk, s, off, "APPEND") != NULL &&
			    (c = as_cont(&s->stack[s->sn - 1], -1)) != NULL)
				cont_add(pk, c, v);
			break;
		case 's':		/* SETITEM */
			w = pop(pk, s, off, "SETITEM");
			v = pop(pk, s, off, "SETITEM");
			if (top(pk, s, off, "SETITEM") != NULL &&
			    (c = as_cont(&s->stack[s->sn - 1], -1)) != NULL) {
				cont_add(pk, c, v);
				cont_add(pk, c, w);
			}
			break;
		case 'e':		/* APPENDS */
		case 'u':		/* SETITEMS */
		case 0x90: {		/* ADDITEMS */
			size_t k;

			(void)pop_mark(pk, s, off, "APPENDS", &from);
			if (from == 0 || from <= floor_of(s)) {
				if (!s->bad)
					pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL,
					    "APPENDS/SETITEMS at offset %llu has "
					    "no target below its MARK",
					    (unsigned long long)off);
				s->bad = 1;
				s->sn = from;
				break;
			}
			if ((c = as_cont(&s->stack[from - 1], -1)) != NULL)
				for (k = from; k < s->sn; k++)
					cont_add(pk, c, s->stack[k]);
			s->sn = from;
			break;
		}
		case 'g':		/* GET */
		case 'p':		/* PUT */
			if ((r = read_line(pk, off, line, sizeof(line) - 1,
			    &len)) != MG_OK)
				goto arg;
			/* Longer than the copy: no index anyway. */
			if (len >= sizeof(line) - 1 ||
			    !parse_dec(line, len, &iv, &big, 0) || iv < 0)
				return bad(pk, off, "%s at offset %llu has no "
				    "decimal index", op == 'g' ? "GET" : "PUT");
			if (big)
				iv = INT64_MAX;
			r = op == 'g' ? memo_get(pk, s, (uint64_t)iv, off) :
			    memo_put(pk, s, (uint64_t)iv, off);
			break;
		case 'h':		/* BINGET */
		case 'q':		/* BINPUT */
			if ((r = mg_rd_u8f(rd, &u8)) != MG_OK)
				goto arg;
			r = op == 'h' ? memo_get(pk, s, u8, off) :
			    memo_put(pk, s, u8, off);
			break;
		case 'j':		/* LONG_BINGET */
		case 'r':		/* LONG_BINPUT */
			if ((r = mg_rd_u32f(rd, 0, &u32)) != MG_OK)
				goto arg;
			r = op == 'j' ? memo_get(pk, s, u32, off) :
			    memo_put(pk, s, u32, off);
			break;
		case 0x94:		/* MEMOIZE */
			r = memo_put(pk, s, s->memo_n, off);
			break;
		case 'c':		/* GLOBAL */
			if ((r = text_global(pk, s, off, &imp)) != MG_OK)
				goto arg;
			v = pv_scalar(PV_GLOBAL, 0);
			v.imp = imp;
			r = push(pk, s, v);
			break;
		case 0x93:		/* STACK_GLOBAL */
			r = stack_global(pk, s, off);
			break;
		case 'i':		/* INST: class from the text, args to MARK */
			if ((r = text_global(pk, s, off, &imp)) != MG_OK)
				goto arg;
			(void)pop_mark(pk, s, off, "INST", &from);
			w = collect(pk, s, from, C_TUPLE);
			v = pv_scalar(PV_GLOBAL, 0);
			v.imp = imp;
			r = call(pk, s, v, w, off, CALL_INST);
			break;
		case 'o':		/* OBJ: class and args above MARK */
			(void)pop_mark(pk, s, off, "OBJ", &from);
			if (from >= s->sn) {
				if (!s->bad)
					pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL,
					    "OBJ at offset %llu has no class",
					    (unsigned long long)off);
				s->bad = 1;
				r = push(pk, s, pv_scalar(PV_OPAQUE, 0));
				break;
			}
			v = s->stack[from];
			w = collect(pk, s, from + 1, C_TUPLE);
			s->sn = from;
			r = call(pk, s, v, w, off, CALL_INST);
			break;
		case 'R':		/* REDUCE */
			w = pop(pk, s, off, "REDUCE");
			v = pop(pk, s, off, "REDUCE");
			r = call(pk, s, v, w, off, CALL_REDUCE);
			break;
		case 0x81:		/* NEWOBJ */
			w = pop(pk, s, off, "NEWOBJ");
			v = pop(pk, s, off, "NEWOBJ");
			r = call(pk, s, v, w, off, CALL_NEW);
			break;
		case 0x92:		/* NEWOBJ_EX */
			x = pop(pk, s, off, "NEWOBJ_EX");
			w = pop(pk, s, off, "NEWOBJ_EX");
			v = pop(pk, s, off, "NEWOBJ_EX");
			(void)x;
			r = call(pk, s, v, w, off, CALL_NEW);
			break;
		case 'b': {		/* BUILD: __setstate__ or __dict__ */
			struct pv *t;

			w = pop(pk, s, off, "BUILD");
			if ((t = top(pk, s, off, "BUILD")) == NULL)
				break;
			if ((c = as_cont(t, C_OBJ)) != NULL) {
				int wr = pk->plain ? 0 : is_wrapper(pk, c);

				if (wr != 0 && (wr < 0 || c->built)) {
					pk_note(pk, MG_R_PICKLE_ARRAY, off, NULL,
					    "BUILD at offset %llu completes %s: "
					    "whether joblib reads array bytes next, "
					    "and how many, cannot be known",
					    (unsigned long long)off, wr < 0 ?
					    "an object whose class is not known "
					    "for sure" : "a joblib array wrapper "
					    "a second time");
					return MG_ERR_FORMAT;
				}
				c->state = w;
				c->built = 1;
				if (c->imp != NOIMP &&
				    pk->a->imports[c->imp].calls < UINT32_MAX)
					pk->a->imports[c->imp].calls++;
				if (wr > 0) {
					r = joblib_array(pk, s, c, off);
					if (r != MG_OK)
						return r;
					*t = pv_scalar(PV_OPAQUE, 0);
				}
			} else if (t->kind == PV_GLOBAL)
				called(pk, t);
			break;
		}
		case 'Q':		/* BINPERSID */
			v = pop(pk, s, off, "BINPERSID");
			if (pk->torch && (c = as_cont(&v, C_TUPLE)) != NULL &&
			    c->n >= 2 && str_eq(&c->items[0], "module") &&
			    c->items[1].kind == PV_GLOBAL) {
				/*
				 * Legacy torch's ('module', class, file,
				 * source): torch compares the source and
				 * returns the class, an import of its own.
				 */
				r = push(pk, s, c->items[1]);
				break;
			}
			if (!persid_storage(pk, &v, &w)) {
				pk_note(pk, MG_R_PICKLE_PERSID, off, NULL,
				    "BINPERSID at offset %llu asks the loader's "
				    "persistent_load for an object that is not a "
				    "torch storage", (unsigned long long)off);
				w = pv_scalar(PV_OPAQUE, 0);
			}
			r = push(pk, s, w);
			break;
		case 0x82:		/* EXT1 */
		case 0x83:		/* EXT2 */
		case 0x84:		/* EXT4 */
			if ((r = mg_rd_skip(rd, op == 0x82 ? 1 : op == 0x83 ?
			    2 : 4)) != MG_OK)
				goto arg;
			pk_note(pk, MG_R_PICKLE_EXT, off, NULL, "EXT%d at offset "
			    "%llu imports through the copyreg extension "
			    "registry: the import cannot be known",
			    op == 0x82 ? 1 : op == 0x83 ? 2 : 4,
			    (unsigned long long)off);
			v = pv_scalar(PV_GLOBAL, 0);
			v.imp = NOIMP;
			r = push(pk, s, v);
			break;
		default:
			pk_note(pk, MG_R_PICKLE_OPCODE, off, NULL, "unknown "
			    "opcode 0x%02x at offset %llu", op,
			    (unsigned long long)off);
			return MG_ERR_FORMAT;
		}
		if (r != MG_OK)
			return r;
	}
arg:
	if (r == MG_ERR_TRUNCATED && pk->rd->err == MG_ERR_TRUNCATED)
		pk_note(pk, MG_R_PICKLE_TRUNC, off, NULL, "the argument of "
		    "opcode 0x%02x at offset %llu runs past the end of the "
		    "file", op, (unsigned long long)off);
	return r;
}

/* ---- resynchronisation ---------------------------------------------------- */

static int
ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.';
}

/* "module\nname\n" starts at p[0] (within n bytes). */
static int
text_import_at(const unsigned char *p, size_t n)
{
	size_t i = 0, lines = 0, run = 0;

	while (i < n && lines < 2) {
		if (p[i] == '\n') {
			if (run == 0)
				return 0;
			lines++;
			run = 0;
		} else if (ident(p[i]))
			run++;
		else
			return 0;
		i++;
	}
	return lines == 2;
}

/*
 * After a broken stream, find the next offset where a pickle plausibly
 * starts again: PROTO 0-5 or a text GLOBAL/INST.  The reader is left
 * there.  0 when none within MG_MAX_PICKLE_RESYNC bytes.
 */
static int
resync(struct pk *pk)
{
	const unsigned char *p;
	uint64_t scanned = 0;
	size_t got, i;

	while (scanned < MG_MAX_PICKLE_RESYNC) {
		if (mg_rd_peek(pk->rd, 4096, &p, &got) != MG_OK || got < 2)
			return 0;
		for (i = 0; i + 1 < got; i++) {
			if ((p[i] == 0x80 && p[i + 1] <= 5) ||
			    ((p[i] == 'c' || p[i] == 'i') &&
			    text_import_at(p + i + 1, got - i - 1))) {
				if (mg_rd_skip(pk->rd, i) != MG_OK)
					return 0;
				return 1;
			}
			/* Keep what may straddle the window for next time. */
			if (got == 4096 && i + 1024 >= got)
				break;
		}
		if (i == 0)
			i = 1;
		if (mg_rd_skip(pk->rd, i) != MG_OK)
			return 0;
		scanned += i;
	}
	return 0;
}

/* ---- classification -------------------------------------------------------- */

/*
 * Built-in safe list: what ordinary PyTorch, NumPy, scikit-learn and
 * joblib files import, and nothing that runs code by being called.
 * Patterns use the policy glob syntax over "module.name"; a pattern only
 * matches a name without dots (exact entries match any name).
 */
const char *const mg_pickle_safe_default[] = {
	/* Containers; defaultdict's factory is an import of its own. */
	"collections.OrderedDict", "collections.Counter",
	"collections.defaultdict", "collections.deque",
	/* Pure constructors (torch's weights_only set and fickling's). */
	"builtins.set", "builtins.frozenset", "builtins.slice",
	"builtins.complex", "builtins.bytearray", "builtins.bytes",
	"builtins.range", "builtins.int", "builtins.float", "builtins.str",
	"builtins.bool", "builtins.dict", "builtins.list", "builtins.tuple",
	"builtins.object",
	/* Object creation used by protocol 0-2: the class is an import of
	 * its own and judged as such. */
	"copyreg._reconstructor", "copyreg.__newobj__", "copyreg.__newobj_ex__",
	/* bytes under protocol 2 (torch's allowlist). */
	"_codecs.encode",
	/* Values of the standard library that pickle as a constructor. */
	"datetime.datetime", "datetime.date", "datetime.time",
	"datetime.timedelta", "datetime.timezone", "decimal.Decimal",
	"fractions.Fraction",
	/* torch.load(weights_only=True)'s default allowlist. */
	"torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v2",
	"torch._utils._rebuild_tensor_v3", "torch._utils._rebuild_parameter",
	"torch._utils._rebuild_parameter_with_state",
	"torch._utils._rebuild_qtensor", "torch._utils._rebuild_sparse_tensor",
	"torch._utils._rebuild_meta_tensor_no_storage",
	"torch._utils._rebuild_wrapper_subclass",
	"torch._utils._rebuild_device_tensor_from_numpy",
	"torch._utils._rebuild_device_tensor_from_cpu_tensor",
	"torch._tensor._rebuild_from_type_v2",
	"torch.nn.parameter.Parameter", "torch.serialization._get_layout",
	"torch.Size", "torch.Tensor", "torch.device",
	"torch.[A-Z]*Storage", "torch.cuda.[A-Z]*Storage",
	"torch.storage.TypedStorage", "torch.storage.UntypedStorage",
	"torch.[A-Z]*Tensor", "torch.cuda.[A-Z]*Tensor",
	"torch.float*", "torch.bfloat16", "torch.half", "torch.double",
	"torch.complex*", "torch.cfloat", "torch.cdouble", "torch.uint*",
	"torch.int*", "torch.long", "torch.short", "torch.bool",
	"torch.qint8", "torch.quint8", "torch.qint32", "torch.quint4x2",
	"torch.quint2x4",
	"torch.per_tensor_affine", "torch.per_tensor_symmetric",
	"torch.per_channel_affine", "torch.per_channel_symmetric",
	"torch.per_channel_affine_float_qparams",
	"torch.strided", "torch.sparse_coo", "torch.sparse_csr",
	"torch.contiguous_format", "torch.channels_last",
	"torch.preserve_format",
	/* Standard layers of a whole-module save: classes whose instances
	 * are restored by __setstate__, which only sets attributes. */
	"torch.nn.modules.*.[A-Z]*",
	/* NumPy arrays, dtypes and scalars as NumPy pickles them. */
	"numpy.core.multiarray._reconstruct",
	"numpy._core.multiarray._reconstruct",
	"numpy.core.multiarray.scalar", "numpy._core.multiarray.scalar",
	"numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer",
	"numpy.ndarray", "numpy.dtype", "numpy.ma.core._mareconstruct",
	"numpy.ma.core.MaskedArray", "numpy.ma.core.mvoid",
	"numpy.ma.core._mvoid_reconstruct",
	"numpy.dtypes.[A-Z]*DType",
	"numpy.random._pickle.__randomstate_ctor",
	"numpy.random._pickle.__bit_generator_ctor",
	"numpy.random._pickle.__generator_ctor",
	"numpy.random.mtrand.RandomState",
	"numpy.random._mt19937.MT19937", "numpy.random._pcg64.PCG64",
	"numpy.bool_", "numpy.float16", "numpy.float32", "numpy.float64",
	"numpy.int8", "numpy.int16", "numpy.int32", "numpy.int64",
	"numpy.uint8", "numpy.uint16", "numpy.uint32", "numpy.uint64",
	"numpy.complex64", "numpy.complex128", "numpy.object_", "numpy.str_",
	"numpy.bytes_",
	/* joblib's array placeholder: modelgate skips its bytes exactly. */
	"joblib.numpy_pickle.NumpyArrayWrapper",
	/* scikit-learn classes (capitalised names, private ones too):
	 * estimators are rebuilt by __setstate__, which sets attributes;
	 * sklearn functions (which include network fetchers) are not on
	 * this list. */
	"sklearn.*.[A-Z]*", "sklearn.*._[A-Z]*",
	/* The Cython helpers sklearn's extension types pickle through:
	 * newObj(cls) is cls.__new__(cls), and Cython's generated
	 * __pyx_unpickle_<Class>(cls, checksum, state) checks the layout
	 * checksum, makes cls.__new__(cls) and sets the C fields from state.
	 * The class they receive is an import of its own, judged as such. */
	"sklearn.*.newObj", "sklearn.*.__pyx_unpickle_*",
	"scipy.sparse.*.csr_matrix", "scipy.sparse.*.csc_matrix",
	"scipy.sparse.*.coo_matrix",
	NULL
};

/*
 * Built-in unsafe list: everything that runs commands or code, loads
 * code or other pickles, touches files or the network, or turns a
 * reference into a call (the union of picklescan, ModelScan, fickling
 * and modelaudit denylists and every published bypass, research notes
 * 3.5).  `m.*` also covers the module m itself and every submodule.
 */
const char *const mg_pickle_unsafe_default[] = {
	"os.*", "posix.*", "nt.*", "subprocess.*", "sys.*", "pty.*",
	"runpy.*", "importlib.*", "imp.*", "zipimport.*", "pkgutil.*",
	"marshal.*", "code.*", "codeop.*",
	"builtins.eval", "builtins.exec", "builtins.compile",
	"builtins.getattr", "builtins.setattr", "builtins.delattr",
	"builtins.__import__", "builtins.open", "builtins.apply",
	"builtins.breakpoint", "builtins.input", "builtins.globals",
	"builtins.locals", "builtins.vars", "builtins.execfile",
	"builtins.file", "builtins.reload", "builtins.exit", "builtins.quit",
	"builtins.help", "builtins.map", "builtins.filter",
	"builtins.__build_class__", "builtins.memoryview",
	"types.CodeType", "types.FunctionType", "types.LambdaType",
	"types.MethodType",
	"operator.attrgetter", "operator.itemgetter", "operator.methodcaller",
	"_operator.attrgetter", "_operator.itemgetter",
	"_operator.methodcaller",
	"functools.partial", "functools.partialmethod", "functools.reduce",
	"_functools.*",
	"pickle.*", "_pickle.*", "cPickle.*", "dill.*", "cloudpickle.*",
	"shelve.*", "joblib.load", "joblib.numpy_pickle.load",
	"joblib.numpy_pickle.NDArrayWrapper", "joblib.numpy_pickle_compat.*",
	"copyreg.add_extension",
	"ctypes.*", "_ctypes.*", "cffi.*",
	"socket.*", "_socket.*", "ssl.*", "http.*", "httplib.*", "urllib.*",
	"urllib2.*", "urllib3.*", "requests.*", "aiohttp.*", "ftplib.*",
	"smtplib.*", "imaplib.*", "poplib.*", "nntplib.*", "telnetlib.*",
	"xmlrpc.*", "socketserver.*", "webbrowser.*",
	"asyncio.*", "multiprocessing.*", "concurrent.*", "threading.*",
	"_thread.*", "signal.*", "_posixsubprocess.*",
	"shutil.*", "tempfile.*", "io.open", "io.FileIO", "_io.*",
	"codecs.open", "fileinput.*", "logging.FileHandler",
	"logging.config.*", "logging.handlers.*",
	"pdb.*", "bdb.*", "timeit.*", "cProfile.*", "profile.*", "trace.*",
	"doctest.*", "pydoc.*", "idlelib.*", "lib2to3.*", "ensurepip.*",
	"venv.*", "pip.*", "distutils.*", "setuptools.*", "uuid.*",
	"platform.*", "_osx_support.*", "_aix_support.*", "_pyrepl.*",
	"test.*", "ctypes.*",
	"numpy.testing.*", "numpy.f2py.*", "numpy.distutils.*",
	"numpy.core._ufunc_reconstruct", "numpy._core._ufunc_reconstruct",
	"numpy.load", "numpy.lib.npyio.*", "numpy.lib._npyio_impl.*",
	"numpy.fromfile", "numpy.memmap", "numpy.loadtxt", "numpy.genfromtxt",
	"torch.load", "torch.serialization.load", "torch.serialization._load",
	"torch.storage._load_from_bytes", "torch.hub.*", "torch.jit.*",
	"torch._dynamo.*", "torch._inductor.*", "torch.fx.*",
	"torch.distributed.*", "torch.package.*", "torch.multiprocessing.*",
	"torch.testing.*", "torch._jit_internal.*",
	"torch.utils.collect_env.*", "torch.utils.bottleneck.*",
	"torch.utils._config_module.*", "torch.utils.data.datapipes.*",
	"torch.utils.cpp_extension.*", "torch._C._jit*",
	"fickling.*", "picklescan.*", "modelscan.*", "modelaudit.*",
	/* Loaders, files and databases the standard library reaches. */
	"_frozen_importlib.*", "_frozen_importlib_external.*",
	"numpy.ctypeslib.*", "site.*", "sqlite3.*", "_sqlite3.*", "dbm.*",
	"operator.call", "_operator.call", "pathlib.Path.write_*",
	"pathlib.Path.open", "pathlib.PosixPath.write_*",
	"pathlib.PosixPath.open",
	/* Code from strings: annotations evaluated, functions generated,
	 * subinterpreters. */
	"typing._eval_type", "typing.get_type_hints", "typing.ForwardRef",
	"typing._type_check", "dataclasses._create_fn", "dataclasses._exec*",
	"_xxsubinterpreters.*", "_interpreters.*", "_xxinterpchannels.*",
	"interpreters.*",
	/* Loaders of remote or local checkpoints and datasets. */
	"torch.utils.model_zoo.*", "torch.from_file",
	"sklearn.datasets.fetch_*", "sklearn.datasets._openml.*",
	"sklearn.datasets._base.*", "sklearn.utils._joblib.*",
	"sklearn.externals.*", "scipy.io.*", "pandas.read_*",
	/* Writers of files: a load that overwrites the filesystem. */
	"torch.save", "torch.serialization.save", "torch.serialization._save",
	"numpy.save", "numpy.savez*", "numpy.savetxt", "numpy.tofile",
	"numpy.lib.format.open_memmap", "numpy.lib.format.write_*",
	"numpy.lib.format.read_*", "numpy.lib._format_impl.*",
	"numpy.core.memmap.*", "numpy._core.memmap.*",
	"numpy.lib.format._*",
	"joblib.dump", "joblib.numpy_pickle.dump", "joblib.Memory",
	"joblib.memory.*", "joblib.Parallel", "joblib.parallel.*",
	"joblib.externals.*", "joblib._store_backends.*",
	"logging.basicConfig", "logging.FileHandler", "logging.*Handler",
	"zipfile.*", "gzip.*", "bz2.*", "lzma.*", "tarfile.*", "glob.*",
	"mmap.*", "fcntl.*", "resource.*", "gc.*", "inspect.*",
	"pandas.io.pickle.*",
	NULL
};

#define NSAFE	(sizeof(mg_pickle_safe_default) / sizeof(char *) - 1)
#define NUNSAFE	(sizeof(mg_pickle_unsafe_default) / sizeof(char *) - 1)

/*
 * Names that run code, load code or pickles, spawn processes or touch
 * files whatever module re-exports them (random._os.system,
 * enum.bltns.exec, sklearn.utils._available_if.MethodType): the final
 * attribute of an import matching one is unsafe unless the exact
 * module.name is on a safe list.  Drawn from the unsafe list's names.
 */
static const char *const danger_names[] = {
	"system", "popen*", "*_popen", "Popen", "call", "check_call",
	"check_output", "getoutput", "getstatusoutput", "run", "spawn*",
	"exec", "exec[lv]*", "execfile", "fork*", "kill*", "eval",
	"compile", "getattr", "setattr", "delattr", "__import__",
	"import_module", "reload", "__build_class__", "breakpoint", "input",
	"globals", "locals", "vars", "apply",
	"MethodType", "FunctionType", "LambdaType", "CodeType",
	"attrgetter", "itemgetter", "methodcaller", "partial",
	"partialmethod", "load", "loads", "_load", "_loads", "load_library",
	"LoadLibrary", "CDLL", "PyDLL", "dlopen",
	"open", "*_open", "open_code", "urlopen", "write_text", "write_bytes",
	"unlink", "rmtree", "rmdir", "extractall", "SourceFileLoader",
	"SourcelessFileLoader", "ExtensionFileLoader", "addpackage",
	"addsitedir", "connect", "create_connection", "timeit",
	/* Loaders and fetchers under any name (load_url, load_state_dict_*,
	 * urlretrieve, fetch_openml). */
	"load_*", "*_load", "*_loads", "fetch_*", "urlretrieve", "download*",
	"from_file", "fromfile", "_eval_type", "get_type_hints",
	"_create_fn", "run_string", "run_path", "run_module", "exec_module",
	/* File writers and file objects re-exported by libraries (sklearn
	 * modules import GzipFile, joblib's Memory and Parallel). */
	"save", "savez*", "savetxt", "tofile", "dump", "_save",
	"memmap", "open_memmap", "write_array*", "basicConfig",
	"GzipFile", "BZ2File", "LZMAFile", "ZipFile", "PyZipFile",
	"TarFile", "FileIO", "TextIOWrapper", "Buffered*", "FileHandler",
	"*FileHandler", "NamedTemporaryFile", "TemporaryFile",
	"SpooledTemporaryFile", "TemporaryDirectory", "mkstemp", "mkdtemp",
	"Memory", "Parallel", "Thread", "Process", "Timer", "Pool",
	"ThreadPool*", "ProcessPool*",
	/* torch.nn.functional as the modules' name for it: a module, whose
	 * attributes a BUILD could replace. */
	"F",
	NULL
};

/* Whether a final name matches one of danger_names. */
static int
danger_name(const char *last)
{
	size_t i;

	for (i = 0; danger_names[i] != NULL; i++) {
		char c = danger_names[i][0];

		/* A literal first byte that differs rules the pattern out. */
		if (c != last[0] && c != '*' && c != '?' && c != '[' &&
		    c != '\\')
			continue;
		if (mg_glob_match(danger_names[i], last))
			return 1;
	}
	return 0;
}

/* Python 2 spellings the unpickler maps (fix_imports). */
static const char *
canon_module(const char *m)
{
	/* Each spelling below starts with '_', 'e' or 'c'. */
	if (m[0] != '_' && m[0] != 'e' && m[0] != 'c')
		return m;
	if (strcmp(m, "__builtin__") == 0 || strcmp(m, "exceptions") == 0 ||
	    strcmp(m, "__builtins__") == 0)
		return "builtins";
	if (strcmp(m, "copy_reg") == 0)
		return "copyreg";
	if (strcmp(m, "commands") == 0)
		return "subprocess";
	if (strcmp(m, "cPickle") == 0)
		return "pickle";
	return m;
}

/* "m.*" matches m itself as well as everything under it. */
static int
pat_match(const char *pat, const char *q)
{
	size_t n = strlen(pat);

	if (n > 2 && strcmp(pat + n - 2, ".*") == 0 &&
	    strncmp(pat, q, n - 2) == 0 && (q[n - 2] == '\0' ||
	    q[n - 2] == '.'))
		return 1;
	return mg_glob_match(pat, q);
}

static int
has_glob(const char *p)
{
	return strpbrk(p, "*?[") != NULL;
}

static int
any_match(const char *const *pats, size_t n, const char *q, int wild_ok)
{
	size_t i, lit;

	for (i = 0; i < n && pats[i] != NULL; i++) {
		/* Most patterns differ in the first byte: skip them fast. */
		if (pats[i][0] != q[0] && pats[i][0] != '*' &&
		    pats[i][0] != '?' && pats[i][0] != '[' && pats[i][0] != '\\')
			continue;
		if (!has_glob(pats[i])) {
			if (strcmp(pats[i], q) == 0)
				return 1;
			continue;
		}
		/* The literal text before the first wildcard must agree. */
		lit = strcspn(pats[i], "*?[\\");
		if (wild_ok && strncmp(pats[i], q, lit) == 0 &&
		    pat_match(pats[i], q))
			return 1;
	}
	return 0;
}

/* The deny check on q and on every attribute suffix from component k. */
static int
denied(const char *const *pats, size_t n, const char *q, size_t mlen)
{
	const char *p;

	if (any_match(pats, n, q, 1) || any_match(pats, n, q + mlen + 1, 1))
		return 1;
	for (p = q + mlen + 1; (p = strchr(p, '.')) != NULL; p++)
		if (any_match(pats, n, p + 1, 1))
			return 1;
	return 0;
}

/*
 * What TorchScript's unpickler (torch/csrc/jit/serialization/unpickler.cpp)
 * resolves without importing anything: the list builders of
 * torch.jit._pickle, and classes of the archive's own compiled code under
 * __torch__ (the code itself is checked by tscode.c).
 */
static const char *const ts_builders[] = {
	"build_intlist", "build_tensorlist", "build_doublelist",
	"build_boollist", "build_tensor_from_id", "restore_type_tag", NULL
};

static int
ts_resolved(const char *m, const char *name)
{
	size_t i;

	if (strcmp(m, "torch.jit._pickle") == 0)
		for (i = 0; ts_builders[i] != NULL; i++)
			if (strcmp(name, ts_builders[i]) == 0)
				return 1;
	return 0;
}

static int
ts_class(const char *m, const char *name)
{
	return (strcmp(m, "__torch__") == 0 ||
	    strncmp(m, "__torch__.", 10) == 0) && strchr(name, '.') == NULL &&
	    name[0] != '\0' && !(name[0] == '_' && name[1] == '_');
}

static enum mg_pk_class
classify(const struct mg_pickle_pol *pol, int ts, const char *module,
    const char *name);

enum mg_pk_class
mg_pickle_classify(const struct mg_pickle_pol *pol, const char *module,
    const char *name)
{
	return classify(pol, 0, module, name);
}

enum mg_pk_class
mg_pickle_classify_ts(const struct mg_pickle_pol *pol, const char *module,
    const char *name)
{
	return classify(pol, 1, module, name);
}

/*
 * What the built-in lists say of one import, whatever the policy: denied
 * by the unsafe list, listed exactly as safe, a dangerous final name,
 * matched by a safe pattern.  Imports repeat across files (every
 * checkpoint names torch._utils._rebuild_tensor_v2), so each thread keeps
 * the last answers in a small table: a pure function of module and name.
 */
struct builtin_facts {
	unsigned char	 denied, exact, danger, safe;
};

#define FACTS_SLOTS	256
#define FACTS_KEY	96

struct facts_slot {
	unsigned char	 klen;		/* 0: empty */
	unsigned char	 mlen;
	struct builtin_facts f;
	char		 key[FACTS_KEY];
};

static _Thread_local struct facts_slot facts_cache[FACTS_SLOTS];

static void
builtin_facts(const char *q, size_t ml, int dotted, const char *last,
    struct builtin_facts *f)
{
	size_t ql = strlen(q);
	uint64_t h = fnv(q, 14695981039346656037ull) ^ ml;
	struct facts_slot *sl = &facts_cache[h % FACTS_SLOTS];

	if (ql < FACTS_KEY && sl->klen == ql && sl->mlen == ml &&
	    memcmp(sl->key, q, ql) == 0) {
		*f = sl->f;
		return;
	}
	f->denied = (unsigned char)denied(mg_pickle_unsafe_default,
	    NUNSAFE, q, ml);
	f->exact = (unsigned char)any_match(mg_pickle_safe_default,
	    NSAFE, q, 0);
	f->danger = (unsigned char)danger_name(last);
	f->safe = (unsigned char)any_match(mg_pickle_safe_default,
	    NSAFE, q, !dotted);
	if (ql > 0 && ql < FACTS_KEY && ml < 256) {
		sl->klen = (unsigned char)ql;
		sl->mlen = (unsigned char)ml;
		sl->f = *f;
		memcpy(sl->key, q, ql);
	}
}

static enum mg_pk_class
classify(const struct mg_pickle_pol *pol, int ts, const char *module,
    const char *name)
{
	const char *m = canon_module(module);
	size_t ml = strlen(m), nl = strlen(name), i;
	int dotted = strchr(name, '.') != NULL, exact;
	const char *last;
	struct builtin_facts bf;
	char q[1100];

	if (ml + nl + 2 > sizeof(q))
		return MG_PK_UNSAFE;
	memcpy(q, m, ml);
	q[ml] = '.';
	memcpy(q + ml + 1, name, nl + 1);
	if (pol != NULL && pol->have && denied((const char *const *)
	    pol->deny.v, pol->deny.n, q, ml))
		return MG_PK_UNSAFE;
	if (ts && ts_resolved(m, name))
		return MG_PK_SAFE;
	last = strrchr(name, '.');
	last = last != NULL ? last + 1 : name;
	builtin_facts(q, ml, dotted, last, &bf);
	if (bf.denied)
		return MG_PK_UNSAFE;
	/*
	 * Exactly listed as safe (a pattern does not count): the built-in
	 * list or the policy's allow list.  Only this exempts a dangerous
	 * final name or an attribute chain.
	 */
	exact = bf.exact || (pol != NULL && pol->have &&
	    any_match((const char *const *)pol->allow.v, pol->allow.n, q, 0));
	if (!exact && bf.danger)
		return MG_PK_UNSAFE;
	/* An attribute chain reaches whatever a module holds. */
	if (dotted && !exact)
		return MG_PK_UNSAFE;
	if (ts && ts_class(m, name))
		return MG_PK_SAFE;
	/* A dunder reached through a dotted path walks into internals. */
	if (dotted) {
		const char *p = name;

		for (;;) {
			const char *e = strchr(p, '.');
			size_t l = e != NULL ? (size_t)(e - p) : strlen(p);

			if (l >= 4 && p[0] == '_' && p[1] == '_' &&
			    p[l - 1] == '_' && p[l - 2] == '_')
				return MG_PK_UNSAFE;
			if (e == NULL)
				break;
			p = e + 1;
		}
	}
	for (i = 0; i < ml; i++)
		if (!ident((unsigned char)m[i]))
			return MG_PK_UNKNOWN;
	if (pol != NULL && pol->have && any_match((const char *const *)
	    pol->allow.v, pol->allow.n, q, !dotted))
		return MG_PK_SAFE;
	if (bf.safe)
		return MG_PK_SAFE;
	if (pol != NULL && pol->have && pol->unknown == MG_PK_UNKNOWN_DENY)
		return MG_PK_UNSAFE;
	return MG_PK_UNKNOWN;
}

static int
listed_unsafe(const char *dotted, size_t k)
{
	size_t i, n;

	if (any_match(mg_pickle_unsafe_default,
	    NUNSAFE, dotted, 1))
		return 1;
	/* "m.*" covers the module m itself (any_match wants more). */
	for (i = 0; i < NUNSAFE; i++) {
		if (mg_pickle_unsafe_default[i][0] != dotted[0])
			continue;
		n = strlen(mg_pickle_unsafe_default[i]);
		if (n == k + 2 && strncmp(mg_pickle_unsafe_default[i], dotted,
		    k) == 0 && strcmp(mg_pickle_unsafe_default[i] + k, ".*") == 0)
			return 1;
	}
	return 0;
}

/*
 * The built-in unsafe list's answer for a dotted name, through a small
 * per-thread table as builtin_facts() keeps: TorchScript code names the
 * same few dozen functions in every archive.
 */
struct listed_slot {
	unsigned char	 klen;		/* 0: empty */
	unsigned char	 unsafe;
	char		 key[FACTS_KEY];
};

static _Thread_local struct listed_slot listed_cache[FACTS_SLOTS];

int
mg_pickle_listed_unsafe(const char *dotted)
{
	size_t k = strlen(dotted);
	struct listed_slot *sl;
	int r;

	if (k == 0)
		return 0;
	sl = &listed_cache[fnv(dotted, 14695981039346656037ull) % FACTS_SLOTS];
	if (k < FACTS_KEY && sl->klen == k && memcmp(sl->key, dotted, k) == 0)
		return sl->unsafe;
	r = listed_unsafe(dotted, k);
	if (k < FACTS_KEY) {
		sl->klen = (unsigned char)k;
		sl->unsafe = (unsigned char)r;
		memcpy(sl->key, dotted, k);
	}
	return r;
}

/* Why the built-in rules alone make an import unsafe, when not a list. */
static const char *
builtin_why(int ts, const char *module, const char *name)
{
	const char *last = strrchr(name, '.');

	if (classify(NULL, ts, module, name) != MG_PK_UNSAFE)
		return NULL;
	{
		const char *m = canon_module(module);
		char q[1100];

		snprintf(q, sizeof(q), "%s.%s", m, name);
		if (denied(mg_pickle_unsafe_default,
		    NUNSAFE, q, strlen(m)))
			return NULL;
	}
	last = last != NULL ? last + 1 : name;
	if (danger_name(last))
		return "a name that runs code, loads code or touches "
		    "files, whatever module it is reached through";
	if (strchr(name, '.') != NULL)
		return "an attribute chain, which reaches whatever a module "
		    "holds, not listed exactly as safe";
	return NULL;
}

static void
judge(const struct mg_pickle_pol *pol, struct mg_artifact *a)
{
	struct mg_pickle_pol warn;
	size_t i;

	if (pol != NULL) {
		warn = *pol;
		warn.unknown = MG_PK_UNKNOWN_WARN;
	}
	for (i = 0; i < a->nimports; i++) {
		const struct mg_import *im = &a->imports[i];
		enum mg_pk_class cl = classify(pol, a->torchscript,
		    im->module, im->name);
		const char *why;
		char q[1100];

		if (cl == MG_PK_SAFE)
			continue;
		if (cl == MG_PK_UNKNOWN && pol != NULL && pol->have &&
		    pol->unknown == MG_PK_UNKNOWN_ALLOW)
			continue;
		if (cl == MG_PK_UNKNOWN)
			why = "neither on the safe list nor on the unsafe list";
		else if (pol != NULL && classify(&warn, a->torchscript,
		    im->module, im->name) == MG_PK_UNKNOWN)
			why = "not on the allowlist (pickle.unknown is deny)";
		else if ((why = builtin_why(a->torchscript, im->module,
		    im->name)) != NULL)
			;
		else if (pol == NULL || !pol->have)
			why = "on the unsafe list";
		else
			why = "on the unsafe list or denied by the policy";
		snprintf(q, sizeof(q), "%s.%s", im->module, im->name);
		(void)mg_artifact_addx(a, cl == MG_PK_UNSAFE ?
		    MG_R_PICKLE_UNSAFE : MG_R_PICKLE_UNKNOWN, im->offset, 0, q,
		    q, "%simports %s%s%.300s%s%s: %s; first at offset %llu%s",
		    im->nested == 2 ? "array bytes read as a pickle " :
		    im->nested ? "a nested pickle " : "", q,
		    im->written != NULL ? " (written " : "",
		    im->written != NULL ? im->written : "",
		    im->written != NULL ? ", its Python 2 name)" : "",
		    im->calls > 0 ? " and calls it" : "", why,
		    (unsigned long long)im->offset,
		    im->count > 1 ? ", imported more than once" : "");
	}
}

int
mg_pickle_policy_apply(const struct mg_pickle_pol *pol, struct mg_artifact *a)
{
	if (pol == NULL || !pol->have || a->nimports == 0)
		return MG_OK;
	return mg_pickle_rejudge(pol, a);
}

int
mg_pickle_rejudge(const struct mg_pickle_pol *pol, struct mg_artifact *a)
{
	size_t i, j;

	if (a->nimports == 0)
		return MG_OK;
	for (i = j = 0; i < a->nfindings; i++) {
		struct mg_finding *f = &a->findings[i];

		if (f->rule == MG_R_PICKLE_UNSAFE ||
		    f->rule == MG_R_PICKLE_UNKNOWN) {
			free(f->message);
			free(f->key);
			free(f->evidence);
			free(f->bind);
			continue;
		}
		a->findings[j++] = *f;
	}
	a->nfindings = j;
	judge(pol, a);
	return MG_OK;
}

/* ---- the file ----------------------------------------------------------- */

static int
meta(struct pk *pk, enum mg_pk_layout layout)
{
	struct mg_artifact *a = pk->a;
	cJSON *m = a->metadata, *imps, *s;
	size_t i;

	if (m == NULL && (m = a->metadata = cJSON_CreateObject()) == NULL)
		return MG_ERR_NOMEM;
	if (cJSON_AddNumberToObject(m, "pickle_streams", pk->streams) == NULL ||
	    cJSON_AddNumberToObject(m, "pickle_protocol", pk->maxproto) ==
	    NULL || cJSON_AddNumberToObject(m, "pickle_opcodes",
	    (double)pk->ops) == NULL ||
	    (imps = cJSON_AddArrayToObject(m, "pickle_imports")) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < a->nimports; i++) {
		const char *mo = a->imports[i].module, *na = a->imports[i].name;
		size_t ml = strlen(mo), nl = strlen(na);
		char q[1100];

		/* As "%s.%s" into q would: cut at the buffer's end. */
		if (ml > sizeof(q) - 1)
			ml = sizeof(q) - 1;
		memcpy(q, mo, ml);
		if (ml < sizeof(q) - 1)
			q[ml++] = '.';
		if (nl > sizeof(q) - 1 - ml)
			nl = sizeof(q) - 1 - ml;
		memcpy(q + ml, na, nl);
		q[ml + nl] = '\0';
		/* The bytes as they are: a stray byte as \udcNN, not raw. */
		if ((s = mg_json_bytesz(q)) == NULL)
			return MG_ERR_NOMEM;
		cJSON_AddItemToArray(imps, s);
	}
	if (layout == MG_PK_TORCH_LEGACY && cJSON_AddNumberToObject(m,
	    "torch_storages", (double)pk->nst) == NULL)
		return MG_ERR_NOMEM;
	if (pk->joblib_arrays > 0 && cJSON_AddNumberToObject(m,
	    "joblib_arrays", pk->joblib_arrays) == NULL)
		return MG_ERR_NOMEM;
	if (a->nttypes > 0) {
		cJSON *tc = cJSON_AddObjectToObject(m, "tensor_type_counts");

		if (tc == NULL)
			return MG_ERR_NOMEM;
		for (i = 0; i < a->nttypes; i++)
			if (cJSON_AddNumberToObject(tc, a->ttypes[i].name,
			    (double)a->ttypes[i].count) == NULL)
				return MG_ERR_NOMEM;
	}
	if (pk->tensors > 0) {
		a->tensor_count = pk->tensors;
		a->parameter_count = pk->params;
		a->have |= MG_HAVE_TENSORS | MG_HAVE_PARAMS;
		if (a->nttypes == 1 && mg_artifact_setz(&a->dtype,
		    a->ttypes[0].name) != MG_OK)
			return MG_ERR_NOMEM;
		if (a->nttypes > 1 && mg_artifact_setz(&a->dtype, "mixed") !=
		    MG_OK)
			return MG_ERR_NOMEM;
	}
	if (a->training_framework == NULL) {
		const char *fw = layout == MG_PK_TORCH_LEGACY ? "pytorch" :
		    pk->sklearn ? "scikit-learn" : pk->joblib_arrays > 0 ?
		    "joblib" : NULL;

		if (fw != NULL && mg_artifact_setz(&a->training_framework,
		    fw) != MG_OK)
			return MG_ERR_NOMEM;
	}
	return MG_OK;
}

/* Legacy torch: after the keys pickle, one record per key. */
static int
torch_storages(struct pk *pk, const struct pv *keys)
{
	const struct cont *l = as_cont(keys, C_LIST);
	uint64_t off, count, nbytes;
	struct storage *st;
	uint32_t i;
	int r;

	if (l == NULL || l->n != l->total) {
		pk_note(pk, MG_R_TORCH_STORAGE, mg_rd_tell(pk->rd), NULL,
		    "the fifth pickle is not a list of storage keys");
		return MG_ERR_FORMAT;
	}
	for (i = 0; i < l->n; i++) {
		off = mg_rd_tell(pk->rd);
		if ((st = storage_find(pk, as_blob(&l->items[i]))) == NULL) {
			pk_note(pk, MG_R_TORCH_STORAGE, off, NULL, "storage key "
			    "%u of %u was not declared by a persistent id in the "
			    "main pickle", i + 1, l->n);
			return MG_ERR_FORMAT;
		}
		if ((r = mg_rd_u64(pk->rd, 0, &count)) != MG_OK)
			goto trunc;
		if ((int64_t)count != st->numel) {
			pk_note(pk, MG_R_TORCH_STORAGE, off, st->key, "storage "
			    "'%s' at offset %llu holds %llu elements; the pickle "
			    "declares %lld", st->key, (unsigned long long)off,
			    (unsigned long long)count, (long long)st->numel);
			return MG_ERR_FORMAT;
		}
		if (count > UINT64_MAX / st->elsize ||
		    (nbytes = count * st->elsize) > mg_rd_left(pk->rd)) {
			r = MG_ERR_TRUNCATED;
			goto trunc;
		}
		if ((r = mg_rd_skip(pk->rd, nbytes)) != MG_OK)
			return r;
	}
	return MG_OK;
trunc:
	if (r == MG_ERR_TRUNCATED)
		pk_note(pk, MG_R_PICKLE_TRUNC, off, NULL, "storage record %u at "
		    "offset %llu runs past the end of the file", i + 1,
		    (unsigned long long)off);
	return r;
}

/*
 * Whether bytes follow the current offset.  A source of unknown size (a
 * zip member written without its sizes, as torch.save writes them) is
 * asked by reading: at its end, its size becomes known.
 */
static int
pk_more(struct mg_rd *rd)
{
	const unsigned char *p;
	size_t n;

	if (rd->open_ended && mg_rd_peek(rd, 1, &p, &n) != MG_OK)
		return 1;	/* the next read reports the failure */
	return mg_rd_left(rd) > 0;
}

/* "N bytes", or "more bytes" while the source's size is unknown. */
static const char *
pk_left_words(const struct mg_rd *rd, char *buf, size_t len)
{
	if (rd->open_ended)
		return "more bytes";
	snprintf(buf, len, "%llu bytes", (unsigned long long)mg_rd_left(rd));
	return buf;
}

int
mg_pickle_scan(struct mg_rd *rd, struct mg_artifact *a,
    enum mg_pk_layout layout)
{
	char lw[32];
	struct pk pk;
	struct strm s;
	int r = MG_OK, torch = layout == MG_PK_TORCH_LEGACY, broken = 0;
	uint64_t end = 0;

	memset(&pk, 0, sizeof(pk));
	memset(&s, 0, sizeof(s));
	pk.a = a;
	pk.rd = rd;
	pk.torch = torch;
	/* np.load unpickles an object array with pickle.load: no joblib. */
	pk.plain = layout == MG_PK_EMBEDDED;
	while (pk.streams == 0 || pk_more(rd)) {
		uint64_t start = mg_rd_tell(rd);

		if (pk.streams >= MG_MAX_PICKLE_STREAMS) {
			pk_note(&pk, MG_R_PICKLE_LIMIT, start, NULL, "more than "
			    "%u pickles in one file (MG_MAX_PICKLE_STREAMS)",
			    (unsigned)MG_MAX_PICKLE_STREAMS);
			worse(&pk, MG_ERR_LIMIT);
			break;
		}
		/* After the main object, keep every storage key. */
		pk.keep_all = torch && pk.streams == 4;
		if (pk.streams > 0 && !broken && !(torch && pk.streams < 5) &&
		    !pk.trailed)
			pk_note(&pk, MG_R_PICKLE_TRAIL, start, NULL, "%s "
			    "follow the pickle that ends at offset %llu; they are "
			    "analysed as further pickles",
			    pk_left_words(rd, lw, sizeof(lw)),
			    (unsigned long long)end);
		pk.streams++;
		r = stream(&pk, &s);
		if (r == MG_OK && s.bad)
			worse(&pk, MG_ERR_FORMAT);
		if (r == MG_OK) {
			end = mg_rd_tell(rd);
			if (torch && pk.streams == 1 && (s.result.kind !=
			    PV_INT || s.result.big != BIG_TORCH))
				torch = pk.torch = 0;	/* not the magic */
			if (torch && pk.streams == 2 && (s.result.kind !=
			    PV_INT || s.result.i != 1001))
				pk_note(&pk, MG_R_TORCH_STORAGE, end, NULL,
				    "legacy torch protocol version is not 1001");
			if (torch && pk.streams == 5) {
				r = torch_storages(&pk, &s.result);
				strm_free(&s);
				if (r != MG_OK) {
					worse(&pk, r);
					if (r == MG_ERR_IO || r == MG_ERR_NOMEM)
						break;
					broken = 1;
					torch = 0;
					if (!resync(&pk))
						break;
					pk.quiet = 1;
					continue;
				}
				if (pk_more(rd)) {
					pk_note(&pk, MG_R_PICKLE_TRAIL,
					    mg_rd_tell(rd), NULL, "%s "
					    "follow the last storage record",
					    pk_left_words(rd, lw, sizeof(lw)));
					torch = 0;
				}
				continue;
			}
			strm_free(&s);
			continue;
		}
		strm_free(&s);
		worse(&pk, r);
		if (r == MG_ERR_IO || r == MG_ERR_NOMEM || r == MG_ERR_LIMIT ||
		    r == MG_ERR_TRUNCATED)
			break;
		/*
		 * Broken: look for more imports after the break.  What
		 * follows is no longer a legacy torch file's structure.
		 */
		broken = 1;
		torch = 0;
		pk.quiet = 1;
		if (!resync(&pk))
			break;
	}
	strm_free(&s);
	if (torch && pk.streams < 5 && pk.rc == MG_OK) {
		pk_note(&pk, MG_R_PICKLE_TRUNC, mg_rd_tell(rd), NULL, "a legacy "
		    "torch file holds %u of its 5 pickles", pk.streams);
		worse(&pk, MG_ERR_TRUNCATED);
	}
	if (pk.quiet_errors > 0)
		(void)mg_artifact_add(a, MG_R_PICKLE_OPCODE, MG_FINDING_NO_OFFSET,
		    NULL, "%u further breaks after resynchronising were not "
		    "listed", pk.quiet_errors);
	if (pk.rc != MG_ERR_NOMEM)
		judge(NULL, a);
	/* A zip checkpoint's data.pkl: its storages, for the zip checker. */
	if (pk.nst > 0 && !torch && layout == MG_PK_RAW && pk.rc !=
	    MG_ERR_NOMEM && a->storages == NULL) {
		size_t i;

		if ((a->storages = calloc(pk.nst, sizeof(*a->storages))) ==
		    NULL)
			pk.rc = MG_ERR_NOMEM;
		else {
			for (i = 0; i < pk.nst; i++) {
				memcpy(a->storages[i].key, pk.st[i].key,
				    sizeof(a->storages[i].key));
				a->storages[i].numel = (uint64_t)pk.st[i].numel;
				a->storages[i].elsize = pk.st[i].elsize;
				a->storages[i].dtype = pk.st[i].dtype;
			}
			a->nstorages = pk.nst;
		}
	}
	r = pk.rc;
	if (r != MG_ERR_NOMEM && meta(&pk, torch ? MG_PK_TORCH_LEGACY :
	    layout == MG_PK_TORCH_LEGACY ? MG_PK_RAW : layout) != MG_OK)
		r = MG_ERR_NOMEM;
	arena_free(&pk);
	free(pk.imp_hash);
	free(pk.st);
	mg_strmap_free(pk.st_ix);
	return r;
}
