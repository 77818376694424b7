/*
 * policy.c - load a policy file (docs/policy.md) into plain structs.
 * What a loaded policy says about a path is policy_eval.c.
 *
 * Three passes over the text, each bounded:
 *  1. lex(): mg_jsonlex() in strict mode, an iterative JSON scanner.  It
 *     rejects what cJSON would accept or choke on (nesting past
 *     MG_MAX_POLICY_DEPTH - cJSON recurses -, control bytes, invalid
 *     UTF-8, "\u0000", lone surrogates, leading zeros, trailing data)
 *     and records, for every value in document order, where its key and
 *     value start, a number's raw text and how many values lie beneath
 *     it.
 *  2. cJSON parses the same text.  Its tree has the same values in the
 *     same pre-order, so a node's index in the table is its parent's plus
 *     one, or its previous sibling's plus one plus that sibling's
 *     descendants (struct jv walks both in step).  check_tree() confirms
 *     the counts agree and rejects duplicate keys and oversized lists.
 *  3. The interpreter reads the tree against the schema; every error
 *     names "FILE:LINE:" from the table (the key's line for a bad or
 *     unknown key, the value's line for a bad value).
 * Numbers in limits are read from their raw text, exactly: no double
 * rounding decides whether 9007199254740993 fits.
 *
 * Invariant: the cJSON tree never leaves this file; the policy returned
 * is immutable.  In the base scope every rule setting, fail_on and
 * lic_required are resolved (never -1); overrides keep -1 for "inherit".
 */
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "fmt.h"
#include "glob.h"
#include "jsonlex.h"
#include "limits.h"
#include "hash.h"
#include "policy.h"
#include "rules.h"
#include "slurp.h"
#include "spdx.h"
#include "text.h"

#define NOKEY	MG_JSONLEX_NOKEY

static const char default_text[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"fail_on\": \"high\",\n"
	"  \"include\": [],\n"
	"  \"exclude\": [],\n"
	"  \"rules\": {},\n"
	"  \"formats\": { \"allow\": [], \"deny\": [], \"unchecked\": [] },\n"
	"  \"require_keys\": {},\n"
	"  \"allow\": { \"architectures\": [], \"quantizations\": [], "
	"\"dtypes\": [] },\n"
	"  \"limits\": {},\n"
	"  \"licenses\": { \"allow\": [], \"deny\": [], \"required\": false },\n"
	"  \"digests\": {},\n"
	"  \"suppressions\": [],\n"
	"  \"overrides\": []\n"
	"}\n";

#define DEFAULT_NAME	"(embedded default)"

struct ld {
	const char	*name;		/* file name for messages */
	const char	*text;
	size_t		 len;
	struct mg_jsonlex lx;		/* the value table of pass 1 */
	const struct mg_jsonlex_value *nodes;	/* lx.v */
	size_t		 nn;		/* lx.nv */
	char		*err;
	size_t		 errlen;
	size_t		 lc_off, lc_line;	/* line_of() cursor */
};

/* A cJSON node and its index in ld.nodes. */
struct jv {
	const cJSON	*j;
	size_t		 i;
};

/* ---- messages ----------------------------------------------------------- */

/*
 * The 1-based line of offset off.  Suppressions ask in file order, so a
 * cursor makes their lines cost one pass over the text, not one each.
 */
static size_t
line_of(struct ld *L, size_t off)
{
	size_t i = 0, line = 1;

	if (off > L->len)
		off = L->len;
	if (off >= L->lc_off) {
		i = L->lc_off;
		line = L->lc_line;
	}
	for (; i < off; i++)
		line += L->text[i] == '\n';
	L->lc_off = off;
	L->lc_line = line;
	return line;
}

static int
failv(struct ld *L, int code, size_t off, const char *fmt, va_list ap)
{
	size_t n;

	if (L->errlen == 0)
		return code;
	snprintf(L->err, L->errlen, "%s:%zu: ", L->name, line_of(L, off));
	n = strlen(L->err);
	vsnprintf(L->err + n, L->errlen - n, fmt, ap);
	return code;
}

static int fail(struct ld *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(struct ld *L, size_t off, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = failv(L, MG_ERR_POLICY, off, fmt, ap);
	va_end(ap);
	return r;
}

static int
nomem(struct ld *L)
{
	if (L->errlen > 0)
		snprintf(L->err, L->errlen, "%s: out of memory", L->name);
	return MG_ERR_NOMEM;
}

/*
 * A user string made safe for a one-line message: control bytes become
 * '?', and it is cut at a character boundary after 64 bytes.
 */
static const char *
q(const char *s, char *buf, size_t len)
{
	size_t i, o = 0, max = len > 68 ? 64 : len - 4;

	for (i = 0; s[i] != '\0' && o < max; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (s[i] != '\0') {
		while (o > 0 && ((unsigned char)s[o] & 0xc0) == 0x80)
			o--;
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

#define QBUF	80

static size_t
koff(const struct ld *L, struct jv v)
{
	uint32_t k = L->nodes[v.i].key;

	return k != NOKEY ? k : L->nodes[v.i].val;
}

static size_t
voff(const struct ld *L, struct jv v)
{
	return L->nodes[v.i].val;
}

/* ---- pass 1: the lexer is jsonlex.c ------------------------------------- */

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* ---- pass 2: the tree ------------------------------------------------------ */

static struct jv
jv_child(struct jv v)
{
	struct jv c = { v.j->child, v.i + 1 };

	return c;
}

static struct jv
jv_next(const struct ld *L, struct jv v)
{
	struct jv c = { v.j->next, v.i + 1 + L->nodes[v.i].desc };

	return c;
}

struct keyref {
	const char	*k;
	size_t		 i;
};

static int
keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int
dup_key(struct ld *L, struct jv obj, size_t n)
{
	struct keyref *kr = NULL;
	struct jv c;
	size_t i = 0, later = SIZE_MAX, first = 0;
	char qb[QBUF];
	int r = MG_OK;

	if ((kr = calloc(n, sizeof(*kr))) == NULL)
		return nomem(L);
	for (c = jv_child(obj); c.j != NULL && i < n; c = jv_next(L, c)) {
		kr[i].k = c.j->string;
		kr[i++].i = c.i;
	}
	qsort(kr, i, sizeof(*kr), keyref_cmp);
	for (n = 1; n < i; n++) {
		if (strcmp(kr[n - 1].k, kr[n].k) == 0 && kr[n].i < later) {
			later = kr[n].i;
			first = kr[n - 1].i;
		}
	}
	if (later != SIZE_MAX) {
		/* report the first duplicate in the file */
		for (n = 0; n < i; n++)
			if (kr[n].i == later)
				break;
		r = fail(L, L->nodes[later].key, "duplicate key \"%s\" (first "
		    "on line %zu)", q(kr[n].k, qb, sizeof(qb)),
		    line_of(L, L->nodes[first].key));
	}
	free(kr);
	return r;
}

/* Values in v's subtree, checking shape as it goes; depth is bounded. */
static int
check_tree(struct ld *L, struct jv v, size_t *count)
{
	struct jv c;
	size_t n = 0, sub = 0;
	int r;

	if (v.i >= L->nn)
		goto desync;
	if (cJSON_IsObject(v.j) || cJSON_IsArray(v.j)) {
		for (c = jv_child(v); c.j != NULL; c = jv_next(L, c)) {
			if (cJSON_IsObject(v.j) && c.j->string == NULL)
				goto desync;
			if ((r = check_tree(L, c, &sub)) != MG_OK)
				return r;
			n++;
		}
		if (n > MG_MAX_POLICY_LIST)
			return fail(L, voff(L, v), "more than %u entries",
			    (unsigned)MG_MAX_POLICY_LIST);
		if (cJSON_IsObject(v.j) && n > 1 &&
		    (r = dup_key(L, v, n)) != MG_OK)
			return r;
	}
	if (sub != L->nodes[v.i].desc)
		goto desync;
	*count += 1 + sub;
	return MG_OK;
desync:
	if (L->errlen > 0)
		snprintf(L->err, L->errlen, "%s: internal error: JSON position "
		    "table out of step", L->name);
	return MG_ERR_INTERNAL;
}

/* ---- pass 3: typed readers ---------------------------------------------- */

static const char *
jtype(const cJSON *j)
{
	if (cJSON_IsObject(j))
		return "an object";
	if (cJSON_IsArray(j))
		return "an array";
	if (cJSON_IsString(j))
		return "a string";
	if (cJSON_IsNumber(j))
		return "a number";
	if (cJSON_IsBool(j))
		return "a boolean";
	return "null";
}

static int
want(struct ld *L, struct jv v, int ok, const char *where, const char *what)
{
	if (ok)
		return MG_OK;
	return fail(L, voff(L, v), "%s must be %s, not %s", where, what,
	    jtype(v.j));
}

/*
 * A number's raw text as an exact non-negative integer <= 2^53.  Any
 * JSON spelling of an integer is accepted (1e9, 10.0).  Returns MG_OK
 * or a message via fail().
 */
static int
get_uint(struct ld *L, struct jv v, const char *where, uint64_t *out)
{
	const char *s;
	char sig[40], tok[48];
	size_t n, i = 0, nsig = 0, tz = 0, kept, k;
	long long e = 0, fr = 0;
	int eneg = 0;
	uint64_t m = 0;
	int r;

	if ((r = want(L, v, cJSON_IsNumber(v.j), where, "a number")) != MG_OK)
		return r;
	s = L->text + L->nodes[v.i].val;
	n = L->nodes[v.i].len;
	snprintf(tok, sizeof(tok), "%.*s%s", (int)(n > 32 ? 32 : n), s,
	    n > 32 ? "..." : "");
	if (n > 0 && s[0] == '-')
		return fail(L, voff(L, v), "%s must not be negative (%s)",
		    where, tok);
	for (; i < n && (is_digit(s[i]) || s[i] == '.'); i++) {
		if (s[i] == '.') {
			fr = -1;	/* counting fraction digits from now */
			continue;
		}
		if (fr < 0)
			fr--;
		if (nsig == 0 && s[i] == '0')
			continue;
		if (nsig < sizeof(sig))
			sig[nsig] = s[i];
		nsig++;
		tz = s[i] == '0' ? tz + 1 : 0;
	}
	if (fr < 0)
		fr = -fr - 1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		for (; i < n; i++)
			if (e < 100000)
				e = e * 10 + (s[i] - '0');
		if (eneg)
			e = -e;
	}
	if (nsig == 0) {
		*out = 0;
		return MG_OK;
	}
	/* value = sig[0..nsig-tz) * 10^(e - fr + tz) */
	kept = nsig - tz;
	e = e - fr + (long long)tz;
	if (e < 0)
		return fail(L, voff(L, v), "%s must be an integer (%s)", where,
		    tok);
	if (kept + (size_t)(e > 20 ? 20 : e) > 16)
		goto big;
	for (k = 0; k < kept; k++)
		m = m * 10 + (uint64_t)(sig[k] - '0');
	for (; e > 0; e--)
		m *= 10;
	if (m > MG_MAX_POLICY_NUMBER)
		goto big;
	*out = m;
	return MG_OK;
big:
	return fail(L, voff(L, v), "%s is larger than 2^53 (%s)", where, tok);
}

/* A non-empty string. */
static int
get_str(struct ld *L, struct jv v, const char *where, const char **out)
{
	int r;

	if ((r = want(L, v, cJSON_IsString(v.j), where, "a string")) != MG_OK)
		return r;
	if (v.j->valuestring[0] == '\0')
		return fail(L, voff(L, v), "%s must not be empty", where);
	*out = v.j->valuestring;
	return MG_OK;
}

static int
get_bool(struct ld *L, struct jv v, const char *where, int *out)
{
	int r;

	if ((r = want(L, v, cJSON_IsBool(v.j), where, "true or false")) != MG_OK)
		return r;
	*out = cJSON_IsTrue(v.j) ? 1 : 0;
	return MG_OK;
}

static int
get_sev(struct ld *L, struct jv v, const char *where, int *out)
{
	enum mg_sev sev;
	const char *s;
	char qb[QBUF];
	int r;

	if ((r = get_str(L, v, where, &s)) != MG_OK)
		return r;
	if (mg_sev_parse(s, &sev) != MG_OK)
		return fail(L, voff(L, v), "%s: unknown severity \"%s\" (use "
		    "critical, high, medium, low or info)", where,
		    q(s, qb, sizeof(qb)));
	*out = (int)sev;
	return MG_OK;
}

static int
is_format(const char *s)
{
	size_t i;

	for (i = 0; i < mg_fmt_count(); i++)
		if (strcmp(mg_fmt_at(i)->name, s) == 0)
			return 1;
	return 0;
}

enum strkind { SK_ANY, SK_GLOB, SK_FORMAT, SK_LICENSE, SK_SHA256 };

static int is_hex(const char *s, size_t n, int lower_only);

/* Check (and for licences normalise) one list entry; *dup the copy. */
static int
entry(struct ld *L, struct jv v, const char *where, enum strkind kind,
    char **dup)
{
	char buf[MG_SPDX_MAX_EXPR], msg[128], qb[QBUF];
	const char *s;
	int r;

	if ((r = get_str(L, v, where, &s)) != MG_OK)
		return r;
	switch (kind) {
	case SK_ANY:
		break;
	case SK_GLOB:
		if (mg_glob_check(s, msg, sizeof(msg)) != MG_OK)
			return fail(L, voff(L, v), "%s: %s: \"%s\"", where, msg,
			    q(s, qb, sizeof(qb)));
		break;
	case SK_FORMAT:
		if (!is_format(s))
			return fail(L, voff(L, v), "%s: unknown format \"%s\" "
			    "(see `modelgate formats`)", where,
			    q(s, qb, sizeof(qb)));
		break;
	case SK_LICENSE:
		if (!mg_license_normalize(s, buf, sizeof(buf)))
			return fail(L, voff(L, v), "%s: \"%s\" is not a valid "
			    "SPDX license expression", where,
			    q(s, qb, sizeof(qb)));
		s = buf;
		break;
	case SK_SHA256:
		if (!is_hex(s, 64, 1))
			return fail(L, voff(L, v), "%s: \"%s\" is not a SHA-256 "
			    "digest (64 lowercase hex digits)", where,
			    q(s, qb, sizeof(qb)));
		break;
	}
	if ((*dup = strdup(s)) == NULL)
		return nomem(L);
	return MG_OK;
}

static void
strv_free(struct mg_strv *sv)
{
	size_t i;

	for (i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static int
get_strv(struct ld *L, struct jv v, const char *where, enum strkind kind,
    struct mg_strv *out)
{
	struct jv c;
	size_t n;
	int r;

	if ((r = want(L, v, cJSON_IsArray(v.j), where, "an array of strings"))
	    != MG_OK)
		return r;
	strv_free(out);		/* never set twice: keys are unique */
	n = (size_t)cJSON_GetArraySize(v.j);
	if (n > 0 && (out->v = calloc(n, sizeof(*out->v))) == NULL)
		return nomem(L);
	for (c = jv_child(v); c.j != NULL; c = jv_next(L, c)) {
		if ((r = entry(L, c, where, kind, &out->v[out->n])) != MG_OK)
			return r;
		out->n++;
	}
	return MG_OK;
}

static int
unknown(struct ld *L, struct jv c, const char *where)
{
	char qb[QBUF];

	return fail(L, koff(L, c), "unknown key \"%s\" in %s",
	    q(c.j->string, qb, sizeof(qb)), where);
}

static void
path2(char *buf, size_t len, const char *where, const char *key)
{
	char qb[QBUF];

	int n;

	/* Nesting is at most 32 deep and keys are cut, so this fits. */
	n = snprintf(buf, len, "%s%s%s", where, *where != '\0' ? "." : "",
	    q(key, qb, sizeof(qb)));
	if (n < 0 || (size_t)n >= len)
		buf[len - 1] = '\0';
}

/* ---- scope sections ------------------------------------------------------ */

static int
rule_value(struct ld *L, struct jv v, const char *where, struct mg_rule_cfg *rc)
{
	char w[256];
	struct jv c;
	int r, sev, en;

	if (cJSON_IsString(v.j)) {
		if (strcmp(v.j->valuestring, "off") == 0) {
			rc->enabled = 0;
			return MG_OK;
		}
		rc->enabled = 1;
		if (strcmp(v.j->valuestring, "on") == 0)
			return MG_OK;
		if ((r = get_sev(L, v, where, &sev)) != MG_OK)
			return r;
		rc->severity = (signed char)sev;
		rc->named = 1;
		return MG_OK;
	}
	if ((r = want(L, v, cJSON_IsObject(v.j), where, "\"off\", \"on\", a "
	    "severity or an object")) != MG_OK)
		return r;
	for (c = jv_child(v); c.j != NULL; c = jv_next(L, c)) {
		path2(w, sizeof(w), where, c.j->string);
		if (strcmp(c.j->string, "enabled") == 0) {
			if ((r = get_bool(L, c, w, &en)) != MG_OK)
				return r;
			rc->enabled = (signed char)en;
		} else if (strcmp(c.j->string, "severity") == 0) {
			if ((r = get_sev(L, c, w, &sev)) != MG_OK)
				return r;
			rc->severity = (signed char)sev;
			rc->named = 1;
		} else
			return unknown(L, c, where);
	}
	return MG_OK;
}

static int
sec_rules(struct ld *L, struct jv v, const char *where, struct mg_scope *sc)
{
	const struct mg_rule *rule;
	char w[256], qb[QBUF];
	struct jv c;
	int r;

	if ((r = want(L, v, cJSON_IsObject(v.j), where, "an object")) != MG_OK)
		return r;
	for (c = jv_child(v); c.j != NULL; c = jv_next(L, c)) {
		if ((rule = mg_rule_find(c.j->string)) == NULL)
			return fail(L, koff(L, c), "%s: unknown rule \"%s\" "
			    "(see `modelgate rules`)", where,
			    q(c.j->string, qb, sizeof(qb)));
		path2(w, sizeof(w), where, c.j->string);
		if ((r = rule_value(L, c, w,
		    &sc->rules[rule - mg_rule_get(0)])) != MG_OK)
			return r;
	}
	return MG_OK;
}

/*
 * Sections made of named string lists and flags (formats, allow,
 * licenses) are read from tables: a list sets its "have" flag so that an
 * override can replace the inherited list; a flag is a boolean.
 */
enum field_kind { FK_LIST, FK_BOOL };

struct field {
	const char	*key;
	enum field_kind	 kind;
	enum strkind	 strs;		/* FK_LIST: what the strings are */
	size_t		 off;		/* mg_strv or int in struct mg_scope */
	size_t		 have_off;	/* FK_LIST: its int "have" flag */
};

#define LIST(k, sk, f, h) \
	{ k, FK_LIST, sk, offsetof(struct mg_scope, f), \
	    offsetof(struct mg_scope, h) }
#define FLAG(k, f) { k, FK_BOOL, SK_ANY, offsetof(struct mg_scope, f), 0 }

static const struct field formats_fields[] = {
	LIST("allow", SK_FORMAT, formats_allow, have_formats_allow),
	LIST("deny", SK_FORMAT, formats_deny, have_formats_deny),
	LIST("unchecked", SK_FORMAT, formats_unchecked,
	    have_formats_unchecked),
	{ NULL, FK_BOOL, SK_ANY, 0, 0 }
};

static const struct field allow_fields[] = {
	LIST("architectures", SK_ANY, allow_arch, have_arch),
	LIST("quantizations", SK_ANY, allow_quant, have_quant),
	LIST("dtypes", SK_ANY, allow_dtype, have_dtype),
	{ NULL, FK_BOOL, SK_ANY, 0, 0 }
};

static const struct field licenses_fields[] = {
	LIST("allow", SK_LICENSE, lic_allow, have_lic_allow),
	LIST("deny", SK_LICENSE, lic_deny, have_lic_deny),
	FLAG("required", lic_required),
	{ NULL, FK_BOOL, SK_ANY, 0, 0 }
};

/* Compile the licence lists once, for the gate's comparisons. */
static int
lic_compile(struct ld *L, struct mg_scope *sc)
{
	int r = MG_OK;

	if (sc->lic_allow.n > 0 && sc->lic_allow_set == NULL)
		r = mg_license_set_new(&sc->lic_allow_set, sc->lic_allow.v,
		    sc->lic_allow.n);
	if (r == MG_OK && sc->lic_deny.n > 0 && sc->lic_deny_set == NULL)
		r = mg_license_set_new(&sc->lic_deny_set, sc->lic_deny.v,
		    sc->lic_deny.n);
	return r == MG_ERR_NOMEM ? nomem(L) : r;
}

static int
sec_fields(struct ld *L, struct jv v, const char *where, struct mg_scope *sc,
    const struct field *fields)
{
	const struct field *f;
	char w[256];
	struct jv c;
	int r, b;

	if ((r = want(L, v, cJSON_IsObject(v.j), where, "an object")) != MG_OK)
		return r;
	for (c = jv_child(v); c.j != NULL; c = jv_next(L, c)) {
		for (f = fields; f->key != NULL; f++)
			if (strcmp(c.j->string, f->key) == 0)
				break;
		if (f->key == NULL)
			return unknown(L, c, where);
		path2(w, sizeof(w), where, c.j->string);
		if (f->kind == FK_LIST) {
			r = get_strv(L, c, w, f->strs, (struct mg_strv *)
			    (void *)((char *)sc + f->off));
			*(int *)(void *)((char *)sc + f->have_off) = 1;
		} else if ((r = get_bool(L, c, w, &b)) == MG_OK)
			*(int *)(void *)((char *)sc + f->off) = b;
		if (r != MG_OK)
			return r;
	}
	return MG_OK;
}

/* "templates": {"sha256": [...]}: the chat templates that may ship. */
static const struct field templates_fields[] = {
	LIST("sha256", SK_SHA256, tmpl_pins, have_tmpl_pins),
	{ NULL, FK_BOOL, SK_ANY, 0, 0 }
};

/* "remote_code": {"sha256": [...]}: the code files known to be good. */
static const struct field remote_code_fields[] = {
	LIST("sha256", SK_SHA256, code_pins, have_code_pins),
	{ NULL, FK_BOOL, SK_ANY, 0, 0 }
};

/*
 * "pickle": {"allow": [...], "deny": [...], "unknown": "warn"}: imports
 * as "module.name", exact or as policy globs ("mypkg.*").
 */
static int
sec_pickle(struct ld *L, struct jv v, const char *where, struct mg_scope *sc)
{
	struct mg_pickle_pol *pp = &sc->pickle;
	char w[256], qb[QBUF];
	const char *u;
	struct jv c;
	int r;

	if ((r = want(L, v, cJSON_IsObject(v.j), where, "an object")) != MG_OK)
		return r;
	pp->have = 1;
	for (c = jv_child(v); c.j != NULL; c = jv_next(L, c)) {
		path2(w, sizeof(w), where, c.j->string);
		if (strcmp(c.j->string, "allow") == 0)
			r = get_strv(L, c, w, SK_GLOB, &pp->allow);
		else if (strcmp(c.j->string, "deny") == 0)
			r = get_strv(L, c, w, SK_GLOB, &pp->deny);
		else if (strcmp(c.j->string, "unknown") == 0) {
			if ((r = get_str(L, c, w, &u)) != MG_OK)
				return r;
			if (strcmp(u, "warn") == 0)
				pp->unknown = MG_PK_UNKNOWN_WARN;
			else if (strcmp(u, "deny") == 0)
				pp->unknown = MG_PK_UNKNOWN_DENY;
			else if (strcmp(u, "allow") == 0)
				pp->unknown = MG_PK_UNKNOWN_ALLOW;
			else
				return fail(L, voff(L, c), "%s: \"%s\" is not "
				    "warn, deny or allow", w, q(u, qb,
				    sizeof(qb)));
		} else
			return unknown(L, c, where);
		if (r != MG_OK)
			return r;
	}
	return MG_OK;
}

static int
sec_require(struct ld *L, struct jv v, const char *where, struct mg_scope *sc)
{
	char w[256], qb[QBUF];
	struct jv c;
	size_t n;
	int r;

	if ((r = want(L, v, cJSON_IsObject(v.j), where, "an object")) != MG_OK)
		return r;
	sc->have_require = 1;
	n = (size_t)cJSON_GetArraySize(v.j);
	if (n > 0 && (sc->require = calloc(n, sizeof(*sc->require))) == NULL)
		return nomem(L);
	for (c = jv_child(v); c.j != NULL; c = jv_next(L, c)) {
		struct mg_require *rq = &sc->require[sc->nrequire];

		if (!is_format(c.j->string))
			return fail(L, koff(L, c), "%s: unknown format \"%s\" "
			    "(see `modelgate formats`)", where,
			    q(c.j->string, qb, sizeof(qb)));
		if ((rq->format = strdup(c.j->string)) == NULL)
			return nomem(L);
		sc->nrequire++;
		path2(w, sizeof(w), where, c.j->string);
		if ((r = get_strv(L, c, w, SK_ANY, &rq->keys)) != MG_OK)
			return r;
	}
	return MG_OK;
}

static int
bound(struct ld *L, struct jv v, const char *where, struct mg_bound *b)
{
	char w[256];
	struct jv c;
	int r;

	if ((r = want(L, v, cJSON_IsObject(v.j), where, "an object like "
	    "{\"min\": 1, \"max\": 2}")) != MG_OK)
		return r;
	for (c = jv_child(v); c.j != NULL; c = jv_next(L, c)) {
		path2(w, sizeof(w), where, c.j->string);
		if (strcmp(c.j->string, "min") == 0) {
			r = get_uint(L, c, w, &b->min);
			b->have_min = 1;
		} else if (strcmp(c.j->string, "max") == 0) {
			r = get_uint(L, c, w, &b->max);
			b->have_max = 1;
		} else
			r = unknown(L, c, where);
		if (r != MG_OK)
			return r;
	}
	if (b->have_min && b->have_max && b->min > b->max)
		return fail(L, voff(L, v), "%s: min is greater than max", where);
	return MG_OK;
}

static int
sec_limits(struct ld *L, struct jv v, const char *where, struct mg_scope *sc)
{
	char w[256];
	struct mg_bound *b;
	struct jv c;
	int r;

	if ((r = want(L, v, cJSON_IsObject(v.j), where, "an object")) != MG_OK)
		return r;
	for (c = jv_child(v); c.j != NULL; c = jv_next(L, c)) {
		const char *k = c.j->string;

		if (strcmp(k, "file_size") == 0)
			b = &sc->file_size;
		else if (strcmp(k, "parameter_count") == 0)
			b = &sc->parameter_count;
		else if (strcmp(k, "context_length") == 0)
			b = &sc->context_length;
		else if (strcmp(k, "tensor_count") == 0)
			b = &sc->tensor_count;
		else
			return unknown(L, c, where);
		path2(w, sizeof(w), where, k);
		if ((r = bound(L, c, w, b)) != MG_OK)
			return r;
	}
	return MG_OK;
}

/*
 * "archive": {"max_depth": 3, "max_members": N, "max_total_bytes": N,
 * "max_member_bytes": N, "max_ratio": N}: limits on each archive file,
 * counted on the bytes actually decompressed.
 */
static int
sec_archive(struct ld *L, struct jv v, struct mg_policy *p)
{
	char w[256];
	struct jv c;
	uint64_t *dst, val;
	int r;

	if ((r = want(L, v, cJSON_IsObject(v.j), "archive", "an object")) !=
	    MG_OK)
		return r;
	for (c = jv_child(v); c.j != NULL; c = jv_next(L, c)) {
		const char *k = c.j->string;

		if (strcmp(k, "max_depth") == 0)
			dst = &p->arc.depth;
		else if (strcmp(k, "max_members") == 0)
			dst = &p->arc.members;
		else if (strcmp(k, "max_total_bytes") == 0)
			dst = &p->arc.total;
		else if (strcmp(k, "max_member_bytes") == 0)
			dst = &p->arc.member;
		else if (strcmp(k, "max_ratio") == 0)
			dst = &p->arc.ratio;
		else
			return unknown(L, c, "archive");
		path2(w, sizeof(w), "archive", k);
		if ((r = get_uint(L, c, w, &val)) != MG_OK)
			return r;
		if (val == 0)
			return fail(L, voff(L, c), "%s must be at least 1", w);
		if (dst == &p->arc.depth && val > MG_ARC_DEPTH_MAX)
			return fail(L, voff(L, c), "%s must be at most %u", w,
			    MG_ARC_DEPTH_MAX);
		*dst = val;
	}
	return MG_OK;
}

/*
 * A key that may appear at the top level and in an override.  Returns
 * 1 (via *done) when key was one of them.
 */
static int
scope_key(struct ld *L, struct jv c, const char *where, struct mg_scope *sc,
    int *done)
{
	const char *k = c.j->string;
	char w[256];
	int sev, r;

	*done = 1;
	path2(w, sizeof(w), where, k);
	if (strcmp(k, "fail_on") == 0) {
		if ((r = get_sev(L, c, w, &sev)) == MG_OK)
			sc->fail_on = sev;
		return r;
	}
	if (strcmp(k, "rules") == 0)
		return sec_rules(L, c, w, sc);
	if (strcmp(k, "formats") == 0)
		return sec_fields(L, c, w, sc, formats_fields);
	if (strcmp(k, "require_keys") == 0)
		return sec_require(L, c, w, sc);
	if (strcmp(k, "allow") == 0)
		return sec_fields(L, c, w, sc, allow_fields);
	if (strcmp(k, "limits") == 0)
		return sec_limits(L, c, w, sc);
	if (strcmp(k, "licenses") == 0) {
		if ((r = sec_fields(L, c, w, sc, licenses_fields)) != MG_OK)
			return r;
		return lic_compile(L, sc);
	}
	if (strcmp(k, "pickle") == 0)
		return sec_pickle(L, c, w, sc);
	if (strcmp(k, "templates") == 0)
		return sec_fields(L, c, w, sc, templates_fields);
	if (strcmp(k, "remote_code") == 0)
		return sec_fields(L, c, w, sc, remote_code_fields);
	*done = 0;
	return MG_OK;
}

static void
scope_init(struct mg_scope *sc)
{
	size_t i;

	memset(sc, 0, sizeof(*sc));
	for (i = 0; i < MG_R__COUNT; i++) {
		sc->rules[i].enabled = -1;
		sc->rules[i].severity = -1;
	}
	sc->fail_on = -1;
	sc->lic_required = -1;
}

static void
scope_free(struct mg_scope *sc)
{
	size_t i;

	strv_free(&sc->paths);
	strv_free(&sc->formats_allow);
	strv_free(&sc->formats_deny);
	strv_free(&sc->formats_unchecked);
	for (i = 0; i < sc->nrequire; i++) {
		free(sc->require[i].format);
		strv_free(&sc->require[i].keys);
	}
	free(sc->require);
	strv_free(&sc->allow_arch);
	strv_free(&sc->allow_quant);
	strv_free(&sc->allow_dtype);
	strv_free(&sc->lic_allow);
	strv_free(&sc->lic_deny);
	mg_license_set_free(sc->lic_allow_set);
	mg_license_set_free(sc->lic_deny_set);
	strv_free(&sc->pickle.allow);
	strv_free(&sc->pickle.deny);
	strv_free(&sc->tmpl_pins);
	strv_free(&sc->code_pins);
}

/* ---- top-level sections ------------------------------------------------ */

static const char *const top_only[] = {
	"version", "include", "exclude", "digests", "lock", "suppressions",
	"overrides",
};

static int
sec_overrides(struct ld *L, struct jv v, struct mg_policy *p)
{
	char where[64], w[256];
	struct jv o, c;
	size_t n, i, k;
	int r, done, have_paths;

	if ((r = want(L, v, cJSON_IsArray(v.j), "overrides", "an array"))
	    != MG_OK)
		return r;
	n = (size_t)cJSON_GetArraySize(v.j);
	if (n > 0 && (p->overrides = calloc(n, sizeof(*p->overrides))) == NULL)
		return nomem(L);
	for (o = jv_child(v), i = 0; o.j != NULL; o = jv_next(L, o), i++) {
		struct mg_scope *sc = &p->overrides[i];

		scope_init(sc);
		p->noverrides++;
		snprintf(where, sizeof(where), "overrides[%zu]", i);
		if ((r = want(L, o, cJSON_IsObject(o.j), where, "an object"))
		    != MG_OK)
			return r;
		have_paths = 0;
		for (c = jv_child(o); c.j != NULL; c = jv_next(L, c)) {
			if (strcmp(c.j->string, "paths") == 0) {
				path2(w, sizeof(w), where, "paths");
				if ((r = get_strv(L, c, w, SK_GLOB,
				    &sc->paths)) != MG_OK)
					return r;
				if (sc->paths.n == 0)
					return fail(L, voff(L, c), "%s must "
					    "list at least one glob", w);
				have_paths = 1;
				continue;
			}
			if ((r = scope_key(L, c, where, sc, &done)) != MG_OK)
				return r;
			if (done)
				continue;
			for (k = 0; k < sizeof(top_only) / sizeof(*top_only); k++)
				if (strcmp(c.j->string, top_only[k]) == 0)
					return fail(L, koff(L, c), "\"%s\" is "
					    "not allowed in an override (%s)",
					    top_only[k], where);
			return unknown(L, c, where);
		}
		if (!have_paths)
			return fail(L, voff(L, o), "%s: missing \"paths\"",
			    where);
	}
	return MG_OK;
}

static int
is_hex(const char *s, size_t n, int lower_only)
{
	size_t i;

	if (strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!is_digit(c) && !(c >= 'a' && c <= 'f') &&
		    (lower_only || !(c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* A relative display path without ".." components. */
static int
pin_path_ok(const char *s)
{
	const char *c = s;

	if (*s == '\0' || *s == '/')
		return 0;
	for (;;) {
		size_t n = strcspn(c, "/");

		if (n == 2 && c[0] == '.' && c[1] == '.')
			return 0;
		if (c[n] == '\0')
			return 1;
		c += n + 1;
	}
}

static int
sec_digests(struct ld *L, struct jv v, struct mg_policy *p)
{
	char w[256], qb[QBUF];
	struct jv c;
	size_t n, i;
	int r;

	if ((r = want(L, v, cJSON_IsObject(v.j), "digests", "an object"))
	    != MG_OK)
		return r;
	n = (size_t)cJSON_GetArraySize(v.j);
	if (n > 0 && (p->pins = calloc(n, sizeof(*p->pins))) == NULL)
		return nomem(L);
	for (c = jv_child(v); c.j != NULL; c = jv_next(L, c)) {
		struct mg_pin *pin = &p->pins[p->npins];
		const char *hex;

		if (!pin_path_ok(c.j->string))
			return fail(L, koff(L, c), "digests: \"%s\" must be a "
			    "relative path without \"..\"",
			    q(c.j->string, qb, sizeof(qb)));
		path2(w, sizeof(w), "digests", c.j->string);
		if ((r = get_str(L, c, w, &hex)) != MG_OK)
			return r;
		if (!is_hex(hex, 64, 0))
			return fail(L, voff(L, c), "%s must be a SHA-256 "
			    "digest (64 hex digits)", w);
		if ((pin->path = strdup(c.j->string)) == NULL)
			return nomem(L);
		for (i = 0; i < 64; i++)
			pin->sha256[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ?
			    hex[i] - 'A' + 'a' : hex[i]);
		pin->sha256[64] = '\0';
		p->npins++;
	}
	return MG_OK;
}

/* "YYYY-MM-DD", a real calendar date. */
static int
date_ok(const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, m, d, i, leap, dim;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !is_digit(s[i]))
			return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	dim = mdays[m - 1] + (m == 2 && leap);
	return d <= dim;
}

static int
supp_one(struct ld *L, struct jv o, const char *where, struct mg_suppression *s)
{
	char w[256], msg[128], qb[QBUF];
	const char *v;
	struct jv c;
	int r;

	if ((r = want(L, o, cJSON_IsObject(o.j), where, "an object")) != MG_OK)
		return r;
	s->line = line_of(L, voff(L, o));
	for (c = jv_child(o); c.j != NULL; c = jv_next(L, c)) {
		const char *k = c.j->string;

		path2(w, sizeof(w), where, k);
		if (strcmp(k, "rule") != 0 && strcmp(k, "path") != 0 &&
		    strcmp(k, "fingerprint") != 0 && strcmp(k, "reason") != 0 &&
		    strcmp(k, "expires") != 0)
			return unknown(L, c, where);
		if ((r = get_str(L, c, w, &v)) != MG_OK)
			return r;
		if (strcmp(k, "rule") == 0) {
			if (mg_rule_find(v) == NULL)
				return fail(L, voff(L, c), "%s: unknown rule "
				    "\"%s\" (see `modelgate rules`)", w,
				    q(v, qb, sizeof(qb)));
			if ((s->rule = strdup(v)) == NULL)
				return nomem(L);
		} else if (strcmp(k, "path") == 0) {
			if (mg_glob_check(v, msg, sizeof(msg)) != MG_OK)
				return fail(L, voff(L, c), "%s: %s: \"%s\"", w,
				    msg, q(v, qb, sizeof(qb)));
			if ((s->path = strdup(v)) == NULL)
				return nomem(L);
		} else if (strcmp(k, "fingerprint") == 0) {
			if (!is_hex(v, 64, 1))
				return fail(L, voff(L, c), "%s must be 64 "
				    "lowercase hex digits", w);
			if ((s->fingerprint = strdup(v)) == NULL)
				return nomem(L);
		} else if (strcmp(k, "reason") == 0) {
			if (v[strspn(v, " \t\r\n")] == '\0')
				return fail(L, voff(L, c), "%s must not be "
				    "blank", w);
			if ((s->reason = strdup(v)) == NULL)
				return nomem(L);
		} else {
			if (!date_ok(v))
				return fail(L, voff(L, c), "%s: \"%s\" is not a "
				    "date (YYYY-MM-DD)", w, q(v, qb, sizeof(qb)));
			memcpy(s->expires, v, 11);
		}
	}
	if (s->reason == NULL)
		return fail(L, voff(L, o), "%s: missing \"reason\" (every "
		    "suppression needs one)", where);
	if (s->rule == NULL && s->path == NULL && s->fingerprint == NULL)
		return fail(L, voff(L, o), "%s needs \"rule\", \"path\" or "
		    "\"fingerprint\"", where);
	return MG_OK;
}

static int
sec_suppressions(struct ld *L, struct jv v, struct mg_policy *p)
{
	char where[64];
	struct jv o;
	size_t n;
	int r;

	if ((r = want(L, v, cJSON_IsArray(v.j), "suppressions", "an array"))
	    != MG_OK)
		return r;
	n = (size_t)cJSON_GetArraySize(v.j);
	if (n > 0 && (p->supps = calloc(n, sizeof(*p->supps))) == NULL)
		return nomem(L);
	for (o = jv_child(v); o.j != NULL; o = jv_next(L, o)) {
		snprintf(where, sizeof(where), "suppressions[%zu]", p->nsupps);
		r = supp_one(L, o, where, &p->supps[p->nsupps]);
		p->nsupps++;	/* owned now, even when half filled */
		if (r != MG_OK)
			return r;
	}
	return MG_OK;
}

static int
interpret(struct ld *L, struct jv root, struct mg_policy *p)
{
	struct jv c;
	uint64_t ver;
	int r, done, seen = 0, sev;
	size_t i;
	const char *s;

	if (!cJSON_IsObject(root.j))
		return fail(L, voff(L, root), "the policy must be a JSON "
		    "object, not %s", jtype(root.j));
	/* version first: a newer file gets "unsupported", not "unknown key" */
	for (c = jv_child(root); c.j != NULL; c = jv_next(L, c)) {
		if (strcmp(c.j->string, "version") != 0)
			continue;
		if (!cJSON_IsNumber(c.j) || get_uint(L, c, "version", &ver) !=
		    MG_OK || ver != 1)
			return fail(L, voff(L, c), "unsupported policy version "
			    "(this modelgate reads \"version\": 1)");
		seen = 1;
	}
	if (!seen)
		return fail(L, voff(L, root), "missing \"version\": 1");
	for (c = jv_child(root); c.j != NULL; c = jv_next(L, c)) {
		const char *k = c.j->string;

		if (strcmp(k, "version") == 0)
			continue;
		if (strcmp(k, "include") == 0)
			r = get_strv(L, c, k, SK_GLOB, &p->include);
		else if (strcmp(k, "exclude") == 0)
			r = get_strv(L, c, k, SK_GLOB, &p->exclude);
		else if (strcmp(k, "digests") == 0)
			r = sec_digests(L, c, p);
		else if (strcmp(k, "lock") == 0) {
			if ((r = get_str(L, c, k, &s)) == MG_OK &&
			    (p->lock = strdup(s)) == NULL)
				r = nomem(L);
		} else if (strcmp(k, "suppressions") == 0)
			r = sec_suppressions(L, c, p);
		else if (strcmp(k, "overrides") == 0)
			r = sec_overrides(L, c, p);
		else if (strcmp(k, "archive") == 0)
			r = sec_archive(L, c, p);
		else if ((r = scope_key(L, c, "", &p->base, &done)) == MG_OK &&
		    !done) {
			char qb[QBUF];

			r = fail(L, koff(L, c), "unknown top-level key \"%s\"",
			    q(k, qb, sizeof(qb)));
		}
		if (r != MG_OK)
			return r;
	}
	/* Resolve the base so that effective() always yields values. */
	if (p->base.fail_on < 0)
		p->base.fail_on = MG_SEV_HIGH;
	p->fail_on = p->base.fail_on;
	if (p->base.lic_required < 0)
		p->base.lic_required = 0;
	for (i = 0; i < MG_R__COUNT; i++) {
		struct mg_rule_cfg *rc = &p->base.rules[i];

		if (rc->enabled < 0)
			rc->enabled = 1;
		if (rc->severity < 0) {
			sev = (int)mg_rule_get((enum mg_rule_id)i)->severity;
			rc->severity = (signed char)sev;
		}
	}
	return MG_OK;
}

/* ---- loading ----------------------------------------------------------- */

/* Pass 1: the strict measuring lexer, its messages as policy errors. */
static int
lex(struct ld *L, size_t start)
{
	size_t pos = start;
	int r;

	while (pos < L->len && (L->text[pos] == ' ' || L->text[pos] == '\t' ||
	    L->text[pos] == '\n' || L->text[pos] == '\r'))
		pos++;
	if (pos == L->len)
		return fail(L, pos, "empty policy file (expected a JSON "
		    "object)");
	L->lx.flags = MG_JSONLEX_STRICT;
	L->lx.max_depth = MG_MAX_POLICY_DEPTH;
	L->lx.max_values = MG_MAX_POLICY_NODES;
	L->lx.max_string = MG_MAX_POLICY_STRING;
	r = mg_jsonlex(&L->lx, L->text, L->len, start);
	L->nodes = L->lx.v;
	L->nn = L->lx.nv;
	if (r == MG_ERR_NOMEM)
		return nomem(L);
	if (r != MG_OK)
		return fail(L, L->lx.err_off, "%s", L->lx.msg);
	return MG_OK;
}

static int
parse_text(struct ld *L, struct mg_policy *p)
{
	const char *end = NULL;
	size_t start = 0, count = 0;
	cJSON *root = NULL;
	struct jv rv;
	int r;

	if (L->len >= 3 && memcmp(L->text, "\xef\xbb\xbf", 3) == 0)
		start = 3;	/* a UTF-8 byte order mark */
	if ((r = lex(L, start)) != MG_OK)
		goto out;
	root = cJSON_ParseWithLengthOpts(L->text + start, L->len - start, &end,
	    0);
	if (root == NULL) {
		size_t off = end != NULL && end >= L->text + start ?
		    (size_t)(end - L->text) : start;

		/* lex() accepted it: most likely cJSON ran out of memory */
		r = fail(L, off, "JSON parse error");
		goto out;
	}
	rv.j = root;
	rv.i = 0;
	if ((r = check_tree(L, rv, &count)) != MG_OK)
		goto out;
	if (count != L->nn) {
		r = MG_ERR_INTERNAL;
		if (L->errlen > 0)
			snprintf(L->err, L->errlen, "%s: internal error: JSON "
			    "position table out of step", L->name);
		goto out;
	}
	r = interpret(L, rv, p);
out:
	cJSON_Delete(root);
	return r;
}

/* The whole file, at most MG_MAX_POLICY_BYTES. */
static int
slurp(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	struct mg_slurp s;
	int r;

	*out = NULL;
	switch ((r = mg_slurp(&s, path, -1, MG_MAX_POLICY_BYTES, 0))) {
	case MG_OK:
		*out = s.buf;	/* transferred */
		*outlen = s.len;
		return MG_OK;
	case MG_ERR_NOMEM:
		snprintf(err, errlen, "%s: out of memory", path);
		return r;
	case MG_ERR_LIMIT:
		snprintf(err, errlen, "%s: policy file larger than %u bytes",
		    path, (unsigned)MG_MAX_POLICY_BYTES);
		return MG_ERR_POLICY;
	default:
		snprintf(err, errlen, "%s: %s", path, strerror(s.errnum));
		return MG_ERR_IO;
	}
}

int
mg_policy_load(struct mg_policy **out, const char *path, char *err,
    size_t errlen)
{
	struct mg_policy *p = NULL;
	struct ld L;
	char *text = NULL, dummy[1];
	size_t len = 0;
	int r = MG_ERR_NOMEM;

	*out = NULL;
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	memset(&L, 0, sizeof(L));
	L.lc_line = 1;
	if (path != NULL &&
	    (r = slurp(path, &text, &len, err, errlen)) != MG_OK)
		goto out;
	r = MG_ERR_NOMEM;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->source = strdup(path != NULL ? path : DEFAULT_NAME)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	scope_init(&p->base);
	p->fail_on = MG_SEV_HIGH;
	L.name = p->source;
	L.text = text != NULL ? text : default_text;
	L.len = text != NULL ? len : sizeof(default_text) - 1;
	L.err = err;
	L.errlen = errlen;
	if ((r = parse_text(&L, p)) != MG_OK)
		goto out;
	p->text = text;
	p->textlen = text != NULL ? len : 0;
	text = NULL;	/* kept for the digest */
	*out = p;
	p = NULL;	/* transferred */
	r = MG_OK;
out:
	mg_jsonlex_free(&L.lx);
	free(text);
	mg_policy_free(p);
	return r;
}

int
mg_policy_digest(const struct mg_policy *p, char out[65])
{
	if (p->text == NULL)
		return mg_sha256_hex(default_text, sizeof(default_text) - 1,
		    out);
	return mg_sha256_hex(p->text, p->textlen, out);
}

void
mg_policy_free(struct mg_policy *p)
{
	size_t i;

	if (p == NULL)
		return;
	free(p->source);
	free(p->text);
	strv_free(&p->include);
	strv_free(&p->exclude);
	scope_free(&p->base);
	for (i = 0; i < p->noverrides; i++)
		scope_free(&p->overrides[i]);
	free(p->overrides);
	for (i = 0; i < p->npins; i++)
		free(p->pins[i].path);
	free(p->pins);
	free(p->lock);
	for (i = 0; i < p->nsupps; i++) {
		free(p->supps[i].rule);
		free(p->supps[i].path);
		free(p->supps[i].fingerprint);
		free(p->supps[i].reason);
	}
	free(p->supps);
	free(p);
}

const char *
mg_policy_default_text(void)
{
	return default_text;
}
