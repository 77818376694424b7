/*
 * license.h - licences as the gate compares them: SPDX ids by licence and
 * version, bare family names, Hugging Face licence ids, and the rest.
 *
 * A declared licence is parsed once per artifact into terms (one per id in
 * the expression, with its WITH exception); a policy's allow and deny lists
 * are parsed once at load into sets.  Comparing a term with a set only
 * compares strings already in canonical form: nothing is allocated.
 *
 * What a term is:
 *   MG_LIC_SPDX     an id on the SPDX License List; key is the licence and
 *                   version without "-only", "-or-later" or "+" (and for
 *                   the GFDL without "-invariants"/"-no-invariants"), so
 *                   GPL-3.0, GPL-3.0-only, GPL-3.0-or-later and gpl-3.0+
 *                   all have the key "GPL-3.0".  Hugging Face spellings
 *                   (odbl, c-uda, lgpl-lr...) map to their SPDX ids.
 *   MG_LIC_FAMILY   a bare family name (gpl, lgpl, agpl, gfdl, bsd, cc,
 *                   openrail): it stands for every member of the family.
 *   MG_LIC_NAMED    a Hugging Face licence id with no SPDX id (llama3,
 *                   gemma, creativeml-openrail-m...); also accepted in the
 *                   "LicenseRef-<id>" spelling.
 *   MG_LIC_UNKNOWN  anything else that is well formed: "my-license",
 *                   "cc-by-nc-4.0.0", "LicenseRef-acme", and the words
 *                   that name no licence (other, unknown) inside an
 *                   expression.  Kept as written.
 */
#ifndef MG_LICENSE_H
#define MG_LICENSE_H

#include <stddef.h>

#define MG_LIC_MAX_IN		1024	/* bytes of licence text considered */
#define MG_LIC_MAX_ID		80	/* bytes of one id, with its NUL */
#define MG_LIC_MAX_TERMS	16	/* licences in one expression */
#define MG_LIC_MAX_DEPTH	8	/* parentheses */

enum mg_lic_kind {
	MG_LIC_SPDX,
	MG_LIC_FAMILY,
	MG_LIC_NAMED,
	MG_LIC_UNKNOWN
};

/* What a whole licence string says. */
enum mg_lic_state {
	MG_LIC_DECLARED,	/* an expression: terms hold its licences */
	MG_LIC_VOID,		/* absent, empty, blank, NONE or NOASSERTION */
	MG_LIC_INVALID,		/* not an expression, a word that names no
				   licence (other, unknown...), or over a cap */
	MG_LIC_TOOLONG		/* longer than MG_LIC_MAX_IN bytes */
};

struct mg_lic_term {
	char		 key[MG_LIC_MAX_ID];	/* comparison key */
	char		 name[MG_LIC_MAX_ID];	/* canonical spelling, to show */
	char		 exc[MG_LIC_MAX_ID];	/* WITH exception, or "" */
	unsigned char	 kind;			/* enum mg_lic_kind */
	unsigned char	 fam;			/* family (internal), 0: none */
};

struct mg_lic_expr {
	struct mg_lic_term t[MG_LIC_MAX_TERMS];
	size_t		 n;
};

/* A compiled allow or deny list; immutable once made. */
struct mg_license_set;

/*
 * Parse a declared licence (in may be NULL: MG_LIC_VOID).  Reads at most
 * MG_LIC_MAX_IN + 1 bytes of in.  Returns an enum mg_lic_state; e->n is 0
 * unless the state is MG_LIC_DECLARED.
 */
int	mg_license_parse(struct mg_lic_expr *e, const char *in);

/*
 * The canonical text of a licence expression for a policy list: every id
 * in its canonical spelling (families and Hugging Face ids as their
 * Hugging Face id), operators in upper case.  Returns 1 when in is a
 * declared expression and the text fits in out, else 0 (out is then "").
 */
int	mg_license_normalize(const char *in, char *out, size_t outlen);

/*
 * Compile n policy entries (each accepted by mg_license_normalize) into a
 * set; an entry that is an expression contributes each of its licences.
 * MG_OK, MG_ERR_NOMEM, or MG_ERR_POLICY (an entry does not parse).
 * mg_license_set_free accepts NULL.
 */
int	mg_license_set_new(struct mg_license_set **out, char *const *v,
	    size_t n);
void	mg_license_set_free(struct mg_license_set *set);

/*
 * 1 when the set (may be NULL: empty) denies the term: a set entry is the
 * same licence (any exception, unless the entry names one), or the term's
 * family, or the term is a family with a member in the set.
 */
int	mg_license_denied(const struct mg_license_set *set,
	    const struct mg_lic_term *t);

/*
 * 1 when the set allows the term: an entry is the same licence (with the
 * same exception, or none), or the term's family; a family term is allowed
 * only when the set names the family or allows every one of its members.
 */
int	mg_license_allowed(const struct mg_license_set *set,
	    const struct mg_lic_term *t);

/* 1 when the set names the term itself (same kind and key). */
int	mg_license_listed(const struct mg_license_set *set,
	    const struct mg_lic_term *t);

/* The SPDX tables, for tests: id i (NULL past the end), exception i. */
const char *mg_license_spdx_id(size_t i);
const char *mg_license_spdx_exc(size_t i);

#endif /* MG_LICENSE_H */
