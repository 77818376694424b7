/*
 * report_table.c - the bill of materials as aligned text for a terminal.
 *
 * One titled two-column table (Field, Value) per artifact: l-bom's scalar
 * fields in l-bom's order, skipping the unknown ones, then the warnings
 * one per line and the size of the metadata (never its content, which can
 * be megabytes of vocabulary).
 *
 * Invariant: nothing from the artifact reaches the terminal raw.  Every
 * value passes through term_safe(): invalid UTF-8 becomes U+FFFD, C0
 * controls and DEL become \xNN, C1 controls, line/paragraph separators
 * and bidi overrides become \uNNNN, so an artifact cannot move the
 * cursor, clear the screen, rewrite a line or reorder what is shown.
 * Columns are aligned by display width, counted in code points of the
 * sanitised text.  ANSI colour is written only when info->color is set.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "report.h"
#include "text.h"

#define RULE_MAX	80	/* the rule under the header stops here */

#define C_TITLE		"\033[1m"
#define C_HEAD		"\033[1;36m"
#define C_FIELD		"\033[1m"
#define C_WARN		"\033[33m"
#define C_OFF		"\033[0m"

struct row {
	const char	*field;		/* static; "" for a continuation */
	char		*value;		/* term_safe */
	int		 warn;
};

struct rows {
	struct row	*v;
	size_t		 n, cap;
};

/*
 * A copy of s[0..n) that is safe to print on a terminal or CI log, exact
 * for names (mg_text_escape: controls and invalid bytes escaped, workflow
 * commands defused).  NULL on allocation failure.
 */
static char *
term_safe(const char *s, size_t n)
{
	return mg_text_escape(s, n);
}

/* Display width: code points of a valid UTF-8 string. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void
pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

static void
rows_free(struct rows *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		free(rs->v[i].value);
	free(rs->v);
	memset(rs, 0, sizeof(*rs));
}

/* Take ownership of value (freed on failure too). */
static int
rows_add(struct rows *rs, const char *field, char *value, int warn)
{
	struct row *nv;
	size_t ncap;

	if (value == NULL)
		return MG_ERR_NOMEM;
	if (rs->n == rs->cap) {
		ncap = rs->cap == 0 ? 32 : rs->cap;
		if (__builtin_mul_overflow(ncap, 2, &ncap) ||
		    ncap > SIZE_MAX / sizeof(*nv) ||
		    (nv = realloc(rs->v, ncap * sizeof(*nv))) == NULL) {
			free(value);
			return MG_ERR_NOMEM;
		}
		rs->v = nv;
		rs->cap = ncap;
	}
	rs->v[rs->n].field = field;
	rs->v[rs->n].value = value;
	rs->v[rs->n].warn = warn;
	rs->n++;
	return MG_OK;
}

static int
add_str(struct rows *rs, const char *field, const char *s)
{
	if (s == NULL)
		return MG_OK;
	return rows_add(rs, field, term_safe(s, strlen(s)), 0);
}

static int
add_u64(struct rows *rs, const char *field, int have, uint64_t v)
{
	char b[24];

	if (!have)
		return MG_OK;
	snprintf(b, sizeof(b), "%" PRIu64, v);
	return rows_add(rs, field, strdup(b), 0);
}

static int
build(struct rows *rs, const struct mg_artifact *a)
{
	char b[64];
	size_t i;
	int r = MG_OK, nkeys;

	r |= add_str(rs, "model_path", a->abspath != NULL ? a->abspath :
	    a->path);
	r |= add_str(rs, "model_filename", a->filename);
	r |= add_u64(rs, "file_size_bytes", 1, a->size);
	/* Empty when not hashed (--no-hash): nothing to show. */
	r |= add_str(rs, "sha256", a->sha256[0] != '\0' ? a->sha256 : NULL);
	r |= add_str(rs, "format", a->format->name);
	r |= add_str(rs, "architecture", a->architecture);
	r |= add_u64(rs, "parameter_count", a->have & MG_HAVE_PARAMS,
	    a->parameter_count);
	r |= add_str(rs, "quantization", a->quantization);
	r |= add_str(rs, "dtype", a->dtype);
	r |= add_u64(rs, "context_length", a->have & MG_HAVE_CTX,
	    a->context_length);
	r |= add_u64(rs, "vocab_size", a->have & MG_HAVE_VOCAB, a->vocab_size);
	r |= add_str(rs, "license", a->license);
	r |= add_str(rs, "base_model", a->base_model);
	r |= add_str(rs, "training_framework", a->training_framework);
	for (i = 0; r == MG_OK && i < a->nfindings; i++) {
		const struct mg_finding *fd = &a->findings[i];
		const char *m = fd->message != NULL ? fd->message : "";
		char *safe = term_safe(m, strlen(m)), *line = NULL;
		size_t len;

		if (safe != NULL) {
			len = strlen(safe) + 64;
			if ((line = malloc(len)) != NULL)
				snprintf(line, len, "%s (%s): %s",
				    mg_rule_get(fd->rule)->id,
				    mg_sev_name(fd->severity), safe);
			free(safe);
		}
		r = rows_add(rs, i == 0 ? "warnings" : "", line, 1);
	}
	nkeys = a->metadata != NULL ? cJSON_GetArraySize(a->metadata) : 0;
	snprintf(b, sizeof(b), "%d %s", nkeys, nkeys == 1 ? "key" : "keys");
	if (r == MG_OK)
		r = rows_add(rs, "metadata", strdup(b), 0);
	return r != MG_OK ? MG_ERR_NOMEM : MG_OK;
}

static void
print_table(FILE *f, const char *title, const struct rows *rs, int color)
{
	size_t fw = width("Field"), vw = width("Value"), i, w;

	for (i = 0; i < rs->n; i++) {
		if ((w = width(rs->v[i].field)) > fw)
			fw = w;
		if ((w = width(rs->v[i].value)) > vw)
			vw = w;
	}
	if (vw > RULE_MAX)
		vw = RULE_MAX;
	fprintf(f, "%s%s%s\n", color ? C_TITLE : "", title, color ? C_OFF : "");
	fprintf(f, "%sField", color ? C_HEAD : "");
	pad(f, fw - width("Field") + 2);
	fprintf(f, "Value%s\n", color ? C_OFF : "");
	for (i = 0; i < fw; i++)
		fputc('-', f);
	fputs("  ", f);
	for (i = 0; i < vw; i++)
		fputc('-', f);
	fputc('\n', f);
	for (i = 0; i < rs->n; i++) {
		const struct row *rw = &rs->v[i];

		fprintf(f, "%s%s%s", color ? C_FIELD : "", rw->field,
		    color ? C_OFF : "");
		pad(f, fw - width(rw->field) + 2);
		if (rw->warn && color)
			fprintf(f, "%s%s%s\n", C_WARN, rw->value, C_OFF);
		else
			fprintf(f, "%s\n", rw->value);
	}
}

int
mg_report_table(FILE *f, struct mg_artifact *const *arts, size_t n,
    const struct mg_bom_info *info)
{
	struct rows rs;
	char *title = NULL;
	const char *fn;
	size_t i;
	int r = MG_OK;

	memset(&rs, 0, sizeof(rs));
	if (n == 0) {
		fputs("No model files found.\n", f);
		goto out;
	}
	for (i = 0; i < n; i++) {
		fn = arts[i]->filename != NULL ? arts[i]->filename : "";
		r = MG_ERR_NOMEM;
		if ((title = term_safe(fn, strlen(fn))) == NULL)
			goto out;
		if ((r = build(&rs, arts[i])) != MG_OK)
			goto out;
		if (i > 0)
			fputc('\n', f);
		print_table(f, title, &rs, info->color);
		rows_free(&rs);
		free(title);
		title = NULL;
	}
	r = MG_OK;
out:
	rows_free(&rs);
	free(title);
	if (r == MG_OK && ferror(f))
		r = MG_ERR_IO;
	return r;
}
