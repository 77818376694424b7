/*
 * license.c - licence comparison for the gate (see license.h for the kinds
 * of term and how they compare).
 *
 * Expressions follow SPDX 2.3 annex D (ids, AND, OR, WITH, parentheses, a
 * trailing "+"), read with the same tolerance as spdx.c: operators in any
 * case, ids matched without regard to case.  The text is a model's own
 * metadata, so it is anything: at most MG_LIC_MAX_IN bytes are looked at,
 * ids are bounded, the parser is iterative and never allocates.
 *
 * Tables: the SPDX License List (license_ids.def, generated), the Hugging
 * Face licence ids (its documented list for the model card "license:"
 * field), and the SPDX ids that were deprecated in favour of an id with an
 * exception.  A family is decided by the id's prefix, so a family stays
 * closed over ids this list does not know yet.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "license.h"

static const char *const spdx_ids[] = {
#define MG_SPDX_ID(s) s,
#include "license_ids.def"
#undef MG_SPDX_ID
};

static const char *const spdx_excs[] = {
#define MG_SPDX_EXC(s) s,
#include "license_ids.def"
#undef MG_SPDX_EXC
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

enum fam {
	FAM_NONE = 0,
	FAM_GPL,
	FAM_LGPL,
	FAM_AGPL,
	FAM_GFDL,
	FAM_BSD,
	FAM_CC,
	FAM_OPENRAIL
};

/* Hugging Face family names; "LicenseRef-OpenRAIL" is spdx.c's spelling. */
static const struct {
	const char	*name;
	const char	*alias;
	enum fam	 fam;
} hf_families[] = {
	{ "gpl", NULL, FAM_GPL },
	{ "lgpl", NULL, FAM_LGPL },
	{ "agpl", NULL, FAM_AGPL },
	{ "gfdl", NULL, FAM_GFDL },
	{ "bsd", NULL, FAM_BSD },
	{ "cc", NULL, FAM_CC },
	{ "openrail", "LicenseRef-OpenRAIL", FAM_OPENRAIL },
};

/* Hugging Face ids that are SPDX ids under another spelling. */
static const struct {
	const char	*hf;
	const char	*spdx;
} hf_aliases[] = {
	{ "c-uda", "C-UDA-1.0" },
	{ "lgpl-lr", "LGPLLR" },
	{ "odbl", "ODbL-1.0" },
	{ "odc-by", "ODC-By-1.0" },
	{ "pddl", "PDDL-1.0" },
};

/*
 * Hugging Face ids with no SPDX id.  alias: the LicenseRef spelling
 * spdx.c writes into SPDX documents (LicenseRef-<id> is accepted for all).
 */
static const struct {
	const char	*hf;
	const char	*alias;
	enum fam	 fam;
} hf_named[] = {
	{ "apple-amlr", NULL, FAM_NONE },
	{ "apple-ascl", NULL, FAM_NONE },
	{ "bigcode-openrail-m", NULL, FAM_OPENRAIL },
	{ "bigscience-bloom-rail-1.0", "LicenseRef-BigScience-BLOOM-RAIL-1.0",
	    FAM_OPENRAIL },
	{ "bigscience-openrail-m", "LicenseRef-BigScience-OpenRAIL-M",
	    FAM_OPENRAIL },
	{ "creativeml-openrail-m", "LicenseRef-CreativeML-OpenRAIL-M",
	    FAM_OPENRAIL },
	{ "deepfloyd-if-license", NULL, FAM_NONE },
	{ "fair-noncommercial-research-license", NULL, FAM_NONE },
	{ "gemma", "LicenseRef-Gemma", FAM_NONE },
	{ "grok2-community", NULL, FAM_NONE },
	{ "h-research", NULL, FAM_NONE },
	{ "intel-research", NULL, FAM_NONE },
	{ "llama2", "LicenseRef-Llama-2", FAM_NONE },
	{ "llama3", "LicenseRef-Llama-3", FAM_NONE },
	{ "llama3.1", "LicenseRef-Llama-3.1", FAM_NONE },
	{ "llama3.2", "LicenseRef-Llama-3.2", FAM_NONE },
	{ "llama3.3", "LicenseRef-Llama-3.3", FAM_NONE },
	{ "llama4", "LicenseRef-Llama-4", FAM_NONE },
	{ "openmdw-1.1", NULL, FAM_NONE },
	{ "openrail++", NULL, FAM_OPENRAIL },
};

/* Deprecated SPDX ids that are another licence with an exception. */
static const struct {
	const char	*id;
	const char	*key;
	const char	*exc;
} spdx_with[] = {
	{ "BSD-2-Clause-FreeBSD", "BSD-2-Clause", "" },
	{ "BSD-2-Clause-NetBSD", "BSD-2-Clause", "" },
	{ "bzip2-1.0.5", "bzip2-1.0.6", "" },
	{ "eCos-2.0", "GPL-2.0", "eCos-exception-2.0" },
	{ "GPL-2.0-with-autoconf-exception", "GPL-2.0", "Autoconf-exception-2.0" },
	{ "GPL-2.0-with-bison-exception", "GPL-2.0", "Bison-exception-2.2" },
	{ "GPL-2.0-with-classpath-exception", "GPL-2.0",
	    "Classpath-exception-2.0" },
	{ "GPL-2.0-with-font-exception", "GPL-2.0", "Font-exception-2.0" },
	{ "GPL-2.0-with-GCC-exception", "GPL-2.0", "GCC-exception-2.0" },
	{ "GPL-3.0-with-autoconf-exception", "GPL-3.0", "Autoconf-exception-3.0" },
	{ "GPL-3.0-with-GCC-exception", "GPL-3.0", "GCC-exception-3.1" },
	{ "StandardML-NJ", "SMLNJ", "" },
	{ "wxWindows", "LGPL-2.0", "WxWindows-exception-3.1" },
};

/* Words that name no licence. */
static const char *const void_words[] = {
	"other", "unknown", "undefined", "null", "custom-license", "n-a",
};

struct mg_license_set {
	size_t			 n;
	struct mg_lic_term	 t[];
};

static int
is_alpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
is_alnum(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Index of w in a table sorted by lowercase spelling, or -1. */
static long
find_ci(const char *const *tab, size_t n, const char *w)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcasecmp(w, tab[mid]);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static int
has_suffix_ci(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n > m && strcasecmp(s + n - m, suf) == 0;
}

static int
has_prefix_ci(const char *s, const char *pre)
{
	return strncasecmp(s, pre, strlen(pre)) == 0;
}

/* The family of an SPDX id (or its key), by prefix. */
static enum fam
spdx_fam(const char *id)
{
	if (has_prefix_ci(id, "GPL-"))
		return FAM_GPL;
	if (has_prefix_ci(id, "LGPL-"))
		return FAM_LGPL;
	if (has_prefix_ci(id, "AGPL-"))
		return FAM_AGPL;
	if (has_prefix_ci(id, "GFDL-"))
		return FAM_GFDL;
	if (has_prefix_ci(id, "BSD-") || strcasecmp(id, "0BSD") == 0)
		return FAM_BSD;
	if (has_prefix_ci(id, "CC-") || has_prefix_ci(id, "CC0-"))
		return FAM_CC;
	return FAM_NONE;
}

static int
is_gnu(enum fam f)
{
	return f == FAM_GPL || f == FAM_LGPL || f == FAM_AGPL || f == FAM_GFDL;
}

static void
cut_suffix(char *s, const char *suf)
{
	if (has_suffix_ci(s, suf))
		s[strlen(s) - strlen(suf)] = '\0';
}

static void
copy(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n >= MG_LIC_MAX_ID)
		n = MG_LIC_MAX_ID - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* A term for SPDX list id i, written with plus ("+") or not. */
static void
term_spdx(struct mg_lic_term *t, const char *id, int plus)
{
	size_t i, n;

	memset(t, 0, sizeof(*t));
	t->kind = MG_LIC_SPDX;
	copy(t->key, id);
	for (i = 0; i < NELEM(spdx_with); i++)
		if (strcmp(spdx_with[i].id, id) == 0) {
			copy(t->key, spdx_with[i].key);
			copy(t->exc, spdx_with[i].exc);
			break;
		}
	cut_suffix(t->key, "-only");
	cut_suffix(t->key, "-or-later");
	t->fam = (unsigned char)spdx_fam(t->key);
	if (t->fam == FAM_GFDL && has_suffix_ci(t->key, "-invariants")) {
		cut_suffix(t->key, "-invariants");
		cut_suffix(t->key, "-no");
	}
	/* Shown: deprecated bare GNU ids say "-only", "+" says "-or-later". */
	copy(t->name, id);
	n = strlen(t->name);
	if (is_gnu(t->fam) && i == NELEM(spdx_with) &&
	    !has_suffix_ci(id, "-only") && !has_suffix_ci(id, "-or-later") &&
	    n + 10 < MG_LIC_MAX_ID)
		memcpy(t->name + n, plus ? "-or-later" : "-only",
		    plus ? 10 : 6);
	else if (plus && has_suffix_ci(id, "-only"))
		snprintf(t->name + n - 5, sizeof(t->name) - (n - 5),
		    "-or-later"); else if (plus && !has_suffix_ci(id, "-or-later") &&
	    n + 1 < MG_LIC_MAX_ID) {
		t->name[n] = '+';
		t->name[n + 1] = '\0';
	}
}

/*
 * The term for one word of an expression (pluses: the '+' characters that
 * followed it).  -1 when the word cannot be an operand.
 */
static int
term_make(struct mg_lic_term *t, const char *w, int pluses)
{
	char full[MG_LIC_MAX_ID];
	const char *rest;
	size_t i, n = strlen(w);
	long k;

	memset(t, 0, sizeof(*t));
	if (n + (size_t)pluses + 1 > sizeof(full))
		return -1;
	memcpy(full, w, n);
	memset(full + n, '+', (size_t)pluses);
	full[n + (size_t)pluses] = '\0';
	rest = has_prefix_ci(full, "LicenseRef-") ? full + 11 : NULL;
	for (i = 0; i < NELEM(hf_named); i++)
		if (strcasecmp(full, hf_named[i].hf) == 0 ||
		    (rest != NULL && strcasecmp(rest, hf_named[i].hf) == 0) ||
		    (hf_named[i].alias != NULL &&
		    strcasecmp(full, hf_named[i].alias) == 0)) {
			t->kind = MG_LIC_NAMED;
			t->fam = (unsigned char)hf_named[i].fam;
			copy(t->key, hf_named[i].hf);
			copy(t->name, hf_named[i].hf);
			return 0;
		}
	if (pluses > 1)
		return -1;
	if (strcasecmp(w, "NONE") == 0 || strcasecmp(w, "NOASSERTION") == 0 ||
	    strcasecmp(w, "AND") == 0 || strcasecmp(w, "OR") == 0 ||
	    strcasecmp(w, "WITH") == 0)
		return -1;
	for (i = 0; i < NELEM(hf_families); i++)
		if (strcasecmp(w, hf_families[i].name) == 0 ||
		    (rest != NULL && strcasecmp(rest, hf_families[i].name) ==
		    0) || (hf_families[i].alias != NULL &&
		    strcasecmp(w, hf_families[i].alias) == 0)) {
			if (pluses)
				return -1;
			t->kind = MG_LIC_FAMILY;
			t->fam = (unsigned char)hf_families[i].fam;
			copy(t->key, hf_families[i].name);
			copy(t->name, hf_families[i].name);
			return 0;
		}
	for (i = 0; i < NELEM(hf_aliases); i++)
		if (strcasecmp(w, hf_aliases[i].hf) == 0) {
			w = hf_aliases[i].spdx;
			break;
		}
	if ((k = find_ci(spdx_ids, NELEM(spdx_ids), w)) >= 0) {
		term_spdx(t, spdx_ids[k], pluses);
		return 0;
	}
	/* Not a licence we know: kept as written, if it is a word at all. */
	t->kind = MG_LIC_UNKNOWN;
	if (pluses)
		return -1;	/* "+" follows list ids only */
	if (rest != NULL) {
		if (*rest == '\0')
			return -1;
		snprintf(t->name, sizeof(t->name), "LicenseRef-%.*s",
		    (int)(sizeof(t->name) - 12), rest);
	} else {
		for (i = 0; i < n && !is_alpha((unsigned char)w[i]); i++)
			;
		if (i == n || !is_alnum((unsigned char)w[0]))
			return -1;
		copy(t->name, w);
	}
	copy(t->key, t->name);
	return 0;
}

struct parse {
	struct mg_lic_expr *e;
	char		*out;		/* canonical text, or NULL */
	size_t		 outlen, o;
	int		 full;		/* out overflowed */
};

static void
emit(struct parse *p, const char *s)
{
	size_t n = strlen(s);

	if (p->out == NULL || p->full)
		return;
	if (n >= p->outlen - p->o) {
		p->full = 1;
		return;
	}
	memcpy(p->out + p->o, s, n + 1);
	p->o += n;
}

/* One word at s[*i]: [A-Za-z0-9.-]+ then any '+'.  -1 when there is none. */
static int
word(const char *s, size_t *i, char *w, size_t wlen, int *pluses)
{
	size_t o = 0;

	while (is_alnum((unsigned char)s[*i]) || s[*i] == '.' || s[*i] == '-') {
		if (o + 1 >= wlen)
			return -1;
		w[o++] = s[(*i)++];
	}
	w[o] = '\0';
	*pluses = 0;
	while (s[*i] == '+') {
		if (*pluses == 2)
			return -1;
		(*pluses)++;
		(*i)++;
	}
	return o > 0 ? 0 : -1;
}

static int
parse_expr(struct parse *p, const char *s)
{
	char w[MG_LIC_MAX_ID - 16];
	struct mg_lic_expr *e = p->e;
	size_t i = 0;
	long k;
	int depth = 0, want_operand = 1, with_ok = 0, pluses;

	for (;;) {
		while (is_space((unsigned char)s[i]))
			i++;
		if (s[i] == '\0')
			break;
		if (s[i] == '(') {
			if (!want_operand || depth == MG_LIC_MAX_DEPTH)
				return -1;
			emit(p, "(");
			depth++;
			i++;
			continue;
		}
		if (s[i] == ')') {
			if (want_operand || depth == 0)
				return -1;
			emit(p, ")");
			depth--;
			with_ok = 0;
			i++;
			continue;
		}
		if (word(s, &i, w, sizeof(w), &pluses) != 0)
			return -1;
		if (want_operand) {
			if (e->n == MG_LIC_MAX_TERMS ||
			    term_make(&e->t[e->n], w, pluses) != 0)
				return -1;
			emit(p, e->t[e->n].name);
			e->n++;
			want_operand = 0;
			with_ok = 1;
			continue;
		}
		if (pluses)
			return -1;
		if (strcasecmp(w, "AND") == 0 || strcasecmp(w, "OR") == 0) {
			emit(p, w[0] == 'a' || w[0] == 'A' ? " AND " : " OR ");
			want_operand = 1;
			continue;
		}
		/* WITH binds one exception to the licence just read. */
		if (!with_ok || strcasecmp(w, "WITH") != 0 ||
		    e->t[e->n - 1].exc[0] != '\0')
			return -1;
		with_ok = 0;
		while (is_space((unsigned char)s[i]))
			i++;
		if (word(s, &i, w, sizeof(w), &pluses) != 0 || pluses ||
		    (k = find_ci(spdx_excs, NELEM(spdx_excs), w)) < 0)
			return -1;
		copy(e->t[e->n - 1].exc, spdx_excs[k]);
		emit(p, " WITH ");
		emit(p, spdx_excs[k]);
	}
	return want_operand || depth != 0 ? -1 : 0;
}

static int
parse(struct parse *p, const char *in)
{
	char buf[MG_LIC_MAX_IN + 1];
	size_t i, n;

	memset(p->e, 0, sizeof(*p->e));
	if (in == NULL)
		return MG_LIC_VOID;
	n = strnlen(in, MG_LIC_MAX_IN + 1);
	if (n > MG_LIC_MAX_IN)
		return MG_LIC_TOOLONG;
	while (n > 0 && is_space((unsigned char)*in)) {
		in++;
		n--;
	}
	while (n > 0 && is_space((unsigned char)in[n - 1]))
		n--;
	memcpy(buf, in, n);
	buf[n] = '\0';
	if (n == 0 || strcasecmp(buf, "NONE") == 0 ||
	    strcasecmp(buf, "NOASSERTION") == 0)
		return MG_LIC_VOID;
	for (i = 0; i < NELEM(void_words); i++)
		if (strcasecmp(buf, void_words[i]) == 0)
			return MG_LIC_INVALID;
	if (parse_expr(p, buf) != 0) {
		memset(p->e, 0, sizeof(*p->e));
		return MG_LIC_INVALID;
	}
	return MG_LIC_DECLARED;
}

int
mg_license_parse(struct mg_lic_expr *e, const char *in)
{
	struct parse p = { NULL, NULL, 0, 0, 0 };

	p.e = e;	/* filled by parse(), never read before */
	return parse(&p, in);
}

int
mg_license_normalize(const char *in, char *out, size_t outlen)
{
	struct mg_lic_expr e;
	struct parse p = { &e, out, outlen, 0, 0 };

	if (outlen == 0)
		return 0;
	out[0] = '\0';
	if (parse(&p, in) != MG_LIC_DECLARED || p.full) {
		out[0] = '\0';
		return 0;
	}
	return 1;
}

int
mg_license_set_new(struct mg_license_set **out, char *const *v, size_t n)
{
	struct mg_license_set *set;
	struct mg_lic_expr e;
	size_t i, total = 0;

	*out = NULL;
	for (i = 0; i < n; i++) {
		if (mg_license_parse(&e, v[i]) != MG_LIC_DECLARED)
			return MG_ERR_POLICY;
		total += e.n;
	}
	set = malloc(sizeof(*set) + total * sizeof(set->t[0]));
	if (set == NULL)
		return MG_ERR_NOMEM;
	set->n = 0;
	for (i = 0; i < n; i++) {
		(void)mg_license_parse(&e, v[i]);
		memcpy(&set->t[set->n], e.t, e.n * sizeof(e.t[0]));
		set->n += e.n;
	}
	*out = set;
	return MG_OK;
}

void
mg_license_set_free(struct mg_license_set *set)
{
	free(set);
}

/* Entry p (a policy term) covers licence t. */
static int
covers(const struct mg_lic_term *p, const struct mg_lic_term *t)
{
	if (p->kind == MG_LIC_FAMILY)
		return t->fam == p->fam;
	if (p->kind != t->kind || strcasecmp(p->key, t->key) != 0)
		return 0;
	return p->exc[0] == '\0' || strcasecmp(p->exc, t->exc) == 0;
}

static int
covered(const struct mg_license_set *set, const struct mg_lic_term *t)
{
	size_t i;

	for (i = 0; set != NULL && i < set->n; i++)
		if (covers(&set->t[i], t))
			return 1;
	return 0;
}

int
mg_license_denied(const struct mg_license_set *set,
    const struct mg_lic_term *t)
{
	size_t i;

	if (covered(set, t))
		return 1;
	if (t->kind != MG_LIC_FAMILY)
		return 0;
	for (i = 0; set != NULL && i < set->n; i++)
		if (set->t[i].fam == t->fam)
			return 1;	/* a member is denied */
	return 0;
}

int
mg_license_allowed(const struct mg_license_set *set,
    const struct mg_lic_term *t)
{
	struct mg_lic_term m;
	size_t i, members = 0;

	if (covered(set, t))
		return 1;
	if (t->kind != MG_LIC_FAMILY || set == NULL)
		return 0;
	/* Every member of the family, as the tables know them. */
	for (i = 0; i < NELEM(spdx_ids); i++) {
		if (spdx_fam(spdx_ids[i]) != (enum fam)t->fam)
			continue;
		term_spdx(&m, spdx_ids[i], 0);
		if (m.fam != t->fam)
			continue;
		if (!covered(set, &m))
			return 0;
		members++;
	}
	for (i = 0; i < NELEM(hf_named); i++) {
		if (hf_named[i].fam != (enum fam)t->fam)
			continue;
		if (term_make(&m, hf_named[i].hf, 0) != 0 || !covered(set, &m))
			return 0;
		members++;
	}
	return members > 0;
}

int
mg_license_listed(const struct mg_license_set *set,
    const struct mg_lic_term *t)
{
	size_t i;

	for (i = 0; set != NULL && i < set->n; i++)
		if (set->t[i].kind == t->kind &&
		    strcasecmp(set->t[i].key, t->key) == 0)
			return 1;
	return 0;
}

const char *
mg_license_spdx_id(size_t i)
{
	return i < NELEM(spdx_ids) ? spdx_ids[i] : NULL;
}

const char *
mg_license_spdx_exc(size_t i)
{
	return i < NELEM(spdx_excs) ? spdx_excs[i] : NULL;
}
