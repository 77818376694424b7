/*
 * spdx.c - SPDX licence expressions (SPDX 2.3 annex D: ids, AND/OR/WITH,
 * parentheses, a trailing "+").
 *
 * The licence string comes from a model's own metadata, so it is anything.
 * It is accepted only when it parses as an expression whose operands are
 * well formed: an id on the table below is case-normalised, an id not on
 * it starts with a letter or digit and holds at least one letter; an
 * exception after WITH must be on the exceptions list.  Everything else
 * (free text, URLs, bare numbers, "other") is not an expression.
 *
 * Two output forms share one parser: the document form (unknown ids become
 * LicenseRef-<id>, each listed once, at most MG_SPDX_MAX_REFS) for SPDX
 * reports, and the comparison form (unknown ids kept as written) for
 * policies.  Every bound is in spdx.h; the parser is iterative and reads
 * at most MG_SPDX_MAX_IN bytes.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "spdx.h"

/*
 * Ids on the SPDX License List (checked against list 3.27 via the
 * spdx-license-ids package) that model cards use, and a few spellings of
 * them.  An entry whose id starts with "LicenseRef-" is a common model
 * licence that is not on the list; its name feeds LicenseName.
 */
struct lic_known {
	const char	*key;	/* matched without regard to case */
	const char	*id;
	const char	*name;	/* LicenseRefs only */
};

static const struct lic_known lic_table[] = {
	{ "Apache-2.0", "Apache-2.0", NULL },
	{ "Apache-1.1", "Apache-1.1", NULL },
	{ "MIT", "MIT", NULL },
	{ "MIT-0", "MIT-0", NULL },
	{ "BSD-2-Clause", "BSD-2-Clause", NULL },
	{ "BSD-3-Clause", "BSD-3-Clause", NULL },
	{ "BSD-3-Clause-Clear", "BSD-3-Clause-Clear", NULL },
	{ "ISC", "ISC", NULL },
	{ "0BSD", "0BSD", NULL },
	{ "Unlicense", "Unlicense", NULL },
	{ "Zlib", "Zlib", NULL },
	{ "BSL-1.0", "BSL-1.0", NULL },
	{ "WTFPL", "WTFPL", NULL },
	{ "CC0-1.0", "CC0-1.0", NULL },
	{ "CC-BY-3.0", "CC-BY-3.0", NULL },
	{ "CC-BY-4.0", "CC-BY-4.0", NULL },
	{ "CC-BY-SA-3.0", "CC-BY-SA-3.0", NULL },
	{ "CC-BY-SA-4.0", "CC-BY-SA-4.0", NULL },
	{ "CC-BY-NC-2.0", "CC-BY-NC-2.0", NULL },
	{ "CC-BY-NC-3.0", "CC-BY-NC-3.0", NULL },
	{ "CC-BY-NC-4.0", "CC-BY-NC-4.0", NULL },
	{ "CC-BY-ND-4.0", "CC-BY-ND-4.0", NULL },
	{ "CC-BY-NC-ND-3.0", "CC-BY-NC-ND-3.0", NULL },
	{ "CC-BY-NC-ND-4.0", "CC-BY-NC-ND-4.0", NULL },
	{ "CC-BY-NC-SA-2.0", "CC-BY-NC-SA-2.0", NULL },
	{ "CC-BY-NC-SA-3.0", "CC-BY-NC-SA-3.0", NULL },
	{ "CC-BY-NC-SA-4.0", "CC-BY-NC-SA-4.0", NULL },
	{ "GPL-2.0-only", "GPL-2.0-only", NULL },
	{ "GPL-2.0-or-later", "GPL-2.0-or-later", NULL },
	{ "GPL-3.0-only", "GPL-3.0-only", NULL },
	{ "GPL-3.0-or-later", "GPL-3.0-or-later", NULL },
	{ "LGPL-2.1-only", "LGPL-2.1-only", NULL },
	{ "LGPL-2.1-or-later", "LGPL-2.1-or-later", NULL },
	{ "LGPL-3.0-only", "LGPL-3.0-only", NULL },
	{ "LGPL-3.0-or-later", "LGPL-3.0-or-later", NULL },
	{ "AGPL-3.0-only", "AGPL-3.0-only", NULL },
	{ "AGPL-3.0-or-later", "AGPL-3.0-or-later", NULL },
	{ "MPL-2.0", "MPL-2.0", NULL },
	{ "EPL-1.0", "EPL-1.0", NULL },
	{ "EPL-2.0", "EPL-2.0", NULL },
	{ "AFL-3.0", "AFL-3.0", NULL },
	{ "ECL-2.0", "ECL-2.0", NULL },
	{ "OSL-3.0", "OSL-3.0", NULL },
	{ "Artistic-2.0", "Artistic-2.0", NULL },
	{ "UPL-1.0", "UPL-1.0", NULL },
	{ "Unicode-3.0", "Unicode-3.0", NULL },
	{ "PDDL-1.0", "PDDL-1.0", NULL },
	{ "ODC-By-1.0", "ODC-By-1.0", NULL },
	{ "ODbL-1.0", "ODbL-1.0", NULL },
	{ "CDLA-Permissive-1.0", "CDLA-Permissive-1.0", NULL },
	{ "CDLA-Permissive-2.0", "CDLA-Permissive-2.0", NULL },
	{ "CDLA-Sharing-1.0", "CDLA-Sharing-1.0", NULL },
	/* Deprecated GNU ids and Hugging Face spellings: the "only" meaning. */
	{ "GPL-2.0", "GPL-2.0-only", NULL },
	{ "GPL-3.0", "GPL-3.0-only", NULL },
	{ "LGPL-2.1", "LGPL-2.1-only", NULL },
	{ "LGPL-3.0", "LGPL-3.0-only", NULL },
	{ "AGPL-3.0", "AGPL-3.0-only", NULL },
	{ "bsd", "BSD-3-Clause", NULL },
	{ "odc-by", "ODC-By-1.0", NULL },
	{ "odbl", "ODbL-1.0", NULL },
	{ "pddl", "PDDL-1.0", NULL },
	/* Model licences that are not on the SPDX list. */
	{ "openrail", "LicenseRef-OpenRAIL", "Open RAIL License" },
	{ "creativeml-openrail-m", "LicenseRef-CreativeML-OpenRAIL-M",
	    "CreativeML Open RAIL-M License" },
	{ "bigscience-openrail-m", "LicenseRef-BigScience-OpenRAIL-M",
	    "BigScience Open RAIL-M License" },
	{ "bigscience-bloom-rail-1.0", "LicenseRef-BigScience-BLOOM-RAIL-1.0",
	    "BigScience BLOOM RAIL License v1.0" },
	{ "llama2", "LicenseRef-Llama-2", "Llama 2 Community License Agreement" },
	{ "llama3", "LicenseRef-Llama-3", "Meta Llama 3 Community License" },
	{ "llama3.1", "LicenseRef-Llama-3.1", "Llama 3.1 Community License" },
	{ "llama3.2", "LicenseRef-Llama-3.2", "Llama 3.2 Community License" },
	{ "llama3.3", "LicenseRef-Llama-3.3", "Llama 3.3 Community License" },
	{ "llama4", "LicenseRef-Llama-4", "Llama 4 Community License" },
	{ "gemma", "LicenseRef-Gemma", "Gemma Terms of Use" },
};

/* Exceptions allowed after WITH (SPDX exceptions list). */
static const char *const lic_exceptions[] = {
	"LLVM-exception", "Classpath-exception-2.0", "GCC-exception-3.1",
	"Autoconf-exception-3.0", "Bison-exception-2.2", "Font-exception-2.0",
	"OpenJDK-assembly-exception-1.0", "Qt-LGPL-exception-1.1",
};

/* Words that say nothing about the licence. */
static const char *const lic_void[] = {
	"other", "unknown", "undefined", "null", "custom-license", "n-a",
};


struct lic {
	struct mg_spdx_expr *e;
	size_t		 o;	/* bytes used in e->expr */
	int		 keep;	/* comparison form: unknown ids as written */
};

static int
is_alnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static int
lic_append(struct lic *l, const char *s)
{
	size_t n = strlen(s);

	if (n >= sizeof(l->e->expr) - l->o)
		return -1;
	memcpy(l->e->expr + l->o, s, n + 1);
	l->o += n;
	return 0;
}

static int
lic_add_ref(struct lic *l, const char *id, const char *decl, const char *name)
{
	struct mg_spdx_expr *e = l->e;
	size_t i;

	if (l->keep)
		return 0;
	for (i = 0; i < e->nrefs; i++)
		if (strcmp(e->refs[i].id, id) == 0)
			return 0;
	if (e->nrefs == MG_SPDX_MAX_REFS)
		return -1;
	snprintf(e->refs[i].id, sizeof(e->refs[i].id), "%s", id);
	snprintf(e->refs[i].decl, sizeof(e->refs[i].decl), "%s", decl);
	e->refs[i].name = name;
	e->nrefs++;
	return 0;
}

/* One operand; plus: the word ended in '+'. */
static int
lic_operand(struct lic *l, const char *w, int plus)
{
	char id[16 + MG_SPDX_MAX_WORD + 16];
	size_t i, n = strlen(w);
	int letters = 0;

	for (i = 0; i < sizeof(lic_table) / sizeof(lic_table[0]); i++) {
		const struct lic_known *k = &lic_table[i];

		if (strcasecmp(w, k->key) != 0)
			continue;
		if (k->name != NULL) {
			if (plus)
				return -1;	/* "+" only follows list ids */
			if (lic_add_ref(l, k->id, w, k->name) != 0)
				return -1;
			return lic_append(l, k->id);
		}
		snprintf(id, sizeof(id), "%s", k->id);
		if (plus) {
			size_t m = strlen(id);

			/* Annex D: "+" means "or later"; say it with the id. */
			if (m > 5 && strcmp(id + m - 5, "-only") == 0)
				snprintf(id + m - 5, sizeof(id) - (m - 5),
				    "-or-later");
			else if (m <= 9 || strcmp(id + m - 9, "-or-later") != 0)
				snprintf(id + m, sizeof(id) - m, "+");
		}
		return lic_append(l, id);
	}
	if (plus)
		return -1;
	if (strncasecmp(w, "LicenseRef-", 11) == 0) {
		if (w[11] == '\0')
			return -1;
		snprintf(id, sizeof(id), "LicenseRef-%s", w + 11);
	} else {
		for (i = 0; i < n; i++)
			letters |= (w[i] >= 'A' && w[i] <= 'Z') ||
			    (w[i] >= 'a' && w[i] <= 'z');
		/* Known-looking: starts alphanumeric, has a letter. */
		if (!letters || !is_alnum((unsigned char)w[0]))
			return -1;
		if (l->keep)
			return lic_append(l, w);
		snprintf(id, sizeof(id), "LicenseRef-%s", w);
	}
	if (lic_add_ref(l, id, w, NULL) != 0)
		return -1;
	return lic_append(l, id);
}

static int
lic_exception(struct lic *l, const char *w)
{
	size_t i;

	for (i = 0; i < sizeof(lic_exceptions) / sizeof(lic_exceptions[0]); i++)
		if (strcasecmp(w, lic_exceptions[i]) == 0)
			return lic_append(l, lic_exceptions[i]);
	return -1;
}

/* Read one word at s[*i]: [A-Za-z0-9.-]+ and an optional final '+'. */
static int
lic_word(const char *s, size_t *i, char *w, size_t wlen, int *plus)
{
	size_t o = 0;

	while (is_alnum((unsigned char)s[*i]) || s[*i] == '.' || s[*i] == '-') {
		if (o + 1 >= wlen)
			return -1;
		w[o++] = s[(*i)++];
	}
	w[o] = '\0';
	*plus = 0;
	if (s[*i] == '+') {
		*plus = 1;
		(*i)++;
	}
	return o > 0 ? 0 : -1;
}

/* Parse the expression; -1 when it is not one we can vouch for. */
static int
lic_parse(struct lic *l, const char *s)
{
	char w[MG_SPDX_MAX_WORD + 1];
	size_t i = 0;
	int depth = 0, want_operand = 1, with_ok = 0, plus;

	for (;;) {
		while (s[i] == ' ' || s[i] == '\t')
			i++;
		if (s[i] == '\0')
			break;
		if (s[i] == '(') {
			if (!want_operand || depth == MG_SPDX_MAX_DEPTH ||
			    lic_append(l, "(") != 0)
				return -1;
			depth++;
			i++;
			continue;
		}
		if (s[i] == ')') {
			if (want_operand || depth == 0 || lic_append(l, ")") != 0)
				return -1;
			depth--;
			with_ok = 0;
			i++;
			continue;
		}
		if (lic_word(s, &i, w, sizeof(w), &plus) != 0)
			return -1;
		if (want_operand) {
			if (lic_operand(l, w, plus) != 0)
				return -1;
			want_operand = 0;
			with_ok = 1;
			continue;
		}
		if (plus)
			return -1;
		if (strcasecmp(w, "AND") == 0 || strcasecmp(w, "OR") == 0) {
			if (lic_append(l, w[0] == 'a' || w[0] == 'A' ?
			    " AND " : " OR ") != 0)
				return -1;
			want_operand = 1;
			continue;
		}
		/* WITH binds one exception to the id just read. */
		if (!with_ok || strcasecmp(w, "WITH") != 0 ||
		    lic_append(l, " WITH ") != 0)
			return -1;
		with_ok = 0;
		while (s[i] == ' ' || s[i] == '\t')
			i++;
		if (lic_word(s, &i, w, sizeof(w), &plus) != 0 || plus ||
		    lic_exception(l, w) != 0)
			return -1;
	}
	return want_operand || depth != 0 ? -1 : 0;
}

/* 1 and the normalised expression, or 0 and NOASSERTION. */
static int
lic_normalise(struct mg_spdx_expr *e, const char *in, int keep)
{
	char buf[MG_SPDX_MAX_IN + 1];
	struct lic l = { e, 0, keep };
	size_t i, n;

	memset(e, 0, sizeof(*e));
	if (in == NULL)
		goto noassert;
	while (*in == ' ' || *in == '\t')
		in++;
	n = strlen(in);
	while (n > 0 && (in[n - 1] == ' ' || in[n - 1] == '\t'))
		n--;
	if (n == 0 || n > MG_SPDX_MAX_IN)
		goto noassert;
	memcpy(buf, in, n);
	buf[n] = '\0';
	if (strcasecmp(buf, "NOASSERTION") == 0)
		goto noassert;
	if (strcasecmp(buf, "NONE") == 0) {
		snprintf(e->expr, sizeof(e->expr), "NONE");
		return 1;
	}
	for (i = 0; i < sizeof(lic_void) / sizeof(lic_void[0]); i++)
		if (strcasecmp(buf, lic_void[i]) == 0)
			goto noassert;
	if (lic_parse(&l, buf) == 0)
		return 1;
noassert:
	memset(e, 0, sizeof(*e));
	snprintf(e->expr, sizeof(e->expr), "NOASSERTION");
	return 0;
}

int
mg_spdx_parse(struct mg_spdx_expr *e, const char *in)
{
	return lic_normalise(e, in, 0);
}

int
mg_spdx_normalize(const char *in, char *out, size_t outlen)
{
	struct mg_spdx_expr e;
	int ok;

	memset(&e, 0, sizeof(e));
	ok = lic_normalise(&e, in, 1);
	if (strlen(e.expr) >= outlen) {
		if (outlen > 0)
			snprintf(out, outlen, "%s", outlen > 11 ?
			    "NOASSERTION" : "");
		return 0;
	}
	memcpy(out, e.expr, strlen(e.expr) + 1);
	return ok;
}
