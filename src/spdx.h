/*
 * spdx.h - SPDX licence expressions: parse, validate and normalise the
 * licence text a model declares about itself (SPDX 2.3 annex D).
 *
 * Well-known ids are case-normalised from a small table (with the common
 * Hugging Face spellings), deprecated GNU ids become their "-only" form,
 * "id+" becomes "-or-later" where the list has one.  Past any bound below
 * an expression is not one we can vouch for.
 */
#ifndef MG_SPDX_H
#define MG_SPDX_H

#include <stddef.h>

#define MG_SPDX_MAX_IN		256	/* bytes of licence text considered */
#define MG_SPDX_MAX_EXPR	1024	/* bytes of the normalised expression */
#define MG_SPDX_MAX_REFS	8	/* distinct LicenseRefs in one expression */
#define MG_SPDX_MAX_WORD	64	/* bytes of one id */
#define MG_SPDX_MAX_DEPTH	8	/* parentheses */

/* A licence that is not on the SPDX list, as a document must declare it. */
struct mg_spdx_ref {
	char		 id[16 + MG_SPDX_MAX_WORD];	/* LicenseRef-... */
	char		 decl[MG_SPDX_MAX_WORD + 1];	/* the word as declared */
	const char	*name;		/* static long name, or NULL: use decl */
};

struct mg_spdx_expr {
	char		 expr[MG_SPDX_MAX_EXPR];
	struct mg_spdx_ref refs[MG_SPDX_MAX_REFS];
	size_t		 nrefs;
};

/*
 * The SPDX document form of a declared licence (in may be NULL): ids not
 * on the list become LicenseRef-<id> and are listed in refs.  Returns 1
 * when in is a valid expression (or "NONE"); otherwise 0 and the
 * expression is "NOASSERTION" with no refs.
 */
int	mg_spdx_parse(struct mg_spdx_expr *e, const char *in);

/*
 * The comparison form, for policies and the gate: like mg_spdx_parse but
 * an id that is well formed and not in the table is kept as written
 * ("Acme-1.0" stays "Acme-1.0"; a "LicenseRef-" prefix is spelt in its
 * canonical case).  Writes the expression, or "NOASSERTION", into out and
 * returns 1 when in is a valid expression, else 0 (also when out is too
 * small).  Compare results with strcasecmp: SPDX ids are case-insensitive.
 */
int	mg_spdx_normalize(const char *in, char *out, size_t outlen);

#endif /* MG_SPDX_H */
