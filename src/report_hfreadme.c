/*
 * report_hfreadme.c - a Hugging Face README (model card) for one artifact.
 *
 * YAML front matter (title, short_description, the Space settings given
 * on the command line, models: the base model, tags) and a Markdown body
 * with two tables, artifact details and model metadata, then the
 * warnings.  Which fields appear, how the title and the short description
 * are derived and how numbers are shown follow l-bom's hf-readme export.
 *
 * Everything from the artifact is hostile text, and each sink has its own
 * escaping, done while writing, never by building strings:
 * - YAML: every string is a double-quoted scalar; '"', '\', controls,
 *   C1, NEL/LS/PS (YAML line breaks), bidi overrides and non-characters
 *   are escapes, so no value can end the scalar, start a key or a comment.
 * - Markdown text: single-line, ASCII punctuation with inline meaning is
 *   backslash-escaped, and a leading block marker ('#', '-', '1.', ...)
 *   is neutralised, so a name cannot open a heading, list, HTML or link.
 * - Table cells: code spans fenced by more backticks than the value holds,
 *   with '|' escaped (GFM cuts cells before it parses code spans).
 * - In every sink, as in mg_text_escape(): a ':' right after a ':' and a
 *   '#' between a '#' and a '[' are escaped (YAML and code spans "\x3a",
 *   "\x23"; Markdown text "\:", "\#", which render as the character), so
 *   the card, printed to a CI log, never holds "::" or "##[" from data: no
 *   GitHub workflow command.
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

#define MAX_LIST	64	/* tags, languages or models kept */

struct view {
	const char	*s;
	size_t		 n;
};

struct list {
	struct view	 v[MAX_LIST];
	char		*own[MAX_LIST];	/* normalised copies, or NULL */
	size_t		 n;
};

/* ---- reading ------------------------------------------------------------ */

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

static struct view
strip(const char *s, size_t n)
{
	struct view v;

	while (n > 0 && is_space((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	v.s = s;
	v.n = n;
	return v;
}

static struct view
viewz(const char *s)
{
	struct view v;

	v.s = s;
	v.n = s != NULL ? strlen(s) : 0;
	return v;
}

/* A metadata string, stripped; n == 0 when absent, not a string or blank. */
static struct view
md_str(const struct mg_artifact *a, const char *key)
{
	const cJSON *j = a->metadata != NULL ?
	    cJSON_GetObjectItemCaseSensitive(a->metadata, key) : NULL;

	if (!cJSON_IsString(j) || j->valuestring == NULL)
		return viewz(NULL);
	return strip(j->valuestring, strlen(j->valuestring));
}

static int
looks_like_hash(struct view v)
{
	size_t i;

	if (v.n < 16)
		return 0;
	for (i = 0; i < v.n; i++) {
		char c = v.s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

static void
list_free(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->own[i]);
	memset(l, 0, sizeof(*l));
}

static int
list_has(const struct list *l, struct view v)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].n == v.n && memcmp(l->v[i].s, v.s, v.n) == 0)
			return 1;
	return 0;
}

/* Add v unless blank, present or the list is full; own: a copy to free. */
static void
list_add(struct list *l, struct view v, char *own)
{
	if (v.n == 0 || l->n == MAX_LIST || list_has(l, v)) {
		free(own);
		return;
	}
	l->v[l->n] = v;
	l->own[l->n] = own;
	l->n++;
}

/* l-bom's tag form: stripped, lowercased (ASCII), spaces -> '-'. */
static int
tag_add(struct list *l, const char *s)
{
	struct view v;
	char *t;
	size_t i;

	if (s == NULL)
		return MG_OK;
	v = strip(s, strlen(s));
	if (v.n == 0)
		return MG_OK;
	if ((t = strndup(v.s, v.n)) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < v.n; i++) {
		if (t[i] >= 'A' && t[i] <= 'Z')
			t[i] = (char)(t[i] - 'A' + 'a');
		else if (t[i] == ' ')
			t[i] = '-';
	}
	v.s = t;
	list_add(l, v, t);
	return MG_OK;
}

static int
tags_of(const struct mg_artifact *a, struct list *l)
{
	const cJSON *t = a->metadata != NULL ?
	    cJSON_GetObjectItemCaseSensitive(a->metadata, "general.tags") :
	    NULL, *e;
	int r = MG_OK;

	if (cJSON_IsArray(t))
		cJSON_ArrayForEach(e, t)
			if (r == MG_OK && cJSON_IsString(e))
				r = tag_add(l, e->valuestring);
	if (r == MG_OK)
		r = tag_add(l, a->format->name);
	if (r == MG_OK)
		r = tag_add(l, a->architecture);
	if (r == MG_OK)
		r = tag_add(l, a->quantization);
	return r;
}

static void
languages_of(const struct mg_artifact *a, struct list *l)
{
	const cJSON *t = a->metadata != NULL ?
	    cJSON_GetObjectItemCaseSensitive(a->metadata, "general.languages") :
	    NULL, *e;

	if (!cJSON_IsArray(t))
		return;
	cJSON_ArrayForEach(e, t)
		if (cJSON_IsString(e))
			list_add(l, strip(e->valuestring,
			    strlen(e->valuestring)), NULL);
}

/* Base model candidates that look like a repository id ("org/name"). */
static void
models_of(const struct mg_artifact *a, struct list *l)
{
	struct view c[4];
	size_t i;

	c[0] = a->base_model != NULL ? viewz(a->base_model) : viewz(NULL);
	c[1] = md_str(a, "base_model");
	c[2] = md_str(a, "base_model_repo_id");
	c[3] = md_str(a, "source_model");
	for (i = 0; i < 4; i++)
		if (c[i].n > 0 && memchr(c[i].s, '/', c[i].n) != NULL)
			list_add(l, c[i], NULL);
}

/* ---- numbers ------------------------------------------------------------ */

static void
fmt_grouped(uint64_t v, char *buf, size_t len)
{
	char d[24];
	size_t n, i, o = 0;

	n = (size_t)snprintf(d, sizeof(d), "%" PRIu64, v);
	for (i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = d[i];
	}
	buf[o] = '\0';
}

static void
fmt_compact(uint64_t v, char *buf, size_t len)
{
	if (v >= 1000000000u)
		snprintf(buf, len, "%.2fB", (double)v / 1e9);
	else if (v >= 1000000u)
		snprintf(buf, len, "%.2fM", (double)v / 1e6);
	else if (v >= 1000u)
		snprintf(buf, len, "%.2fK", (double)v / 1e3);
	else
		snprintf(buf, len, "%" PRIu64, v);
}

/* ---- escaping sinks ---------------------------------------------------- */

/*
 * Walk the UTF-8 of v (made valid first) and hand each code point to
 * emit(f, cp, its bytes, their count, its index, defuse).  defuse is set
 * for a ':' after a ':' and a '#' between a '#' and a '[': the sink must
 * write it escaped.  Returns MG_OK or MG_ERR_NOMEM.
 */
typedef void (*emit_fn)(FILE *, unsigned, const char *, size_t, size_t,
    int);

static int
each_cp(FILE *f, struct view v, emit_fn emit)
{
	char *u;
	const unsigned char *p;
	size_t i = 0, k, len, idx = 0;
	unsigned prev = 0;
	int defuse;

	if ((u = mg_utf8_dup(v.s, v.n)) == NULL)
		return MG_ERR_NOMEM;
	p = (const unsigned char *)u;
	len = strlen(u);
	while (i < len) {
		unsigned cp = p[i];

		k = cp < 0x80 ? 1 : cp < 0xe0 ? 2 : cp < 0xf0 ? 3 : 4;
		if (k == 2)
			cp = ((cp & 0x1fu) << 6) | (p[i + 1] & 0x3fu);
		else if (k == 3)
			cp = ((cp & 0x0fu) << 12) | ((p[i + 1] & 0x3fu) << 6) |
			    (p[i + 2] & 0x3fu);
		else if (k == 4)
			cp = ((cp & 0x07u) << 18) | ((p[i + 1] & 0x3fu) << 12) |
			    ((p[i + 2] & 0x3fu) << 6) | (p[i + 3] & 0x3fu);
		defuse = (cp == ':' && prev == ':') || (cp == '#' &&
		    prev == '#' && i + 1 < len && p[i + 1] == '[');
		emit(f, cp, u + i, k, idx++, defuse);
		prev = cp;
		i += k;
	}
	free(u);
	return MG_OK;
}

/* Code points no sink may carry raw. */
static int
is_unsafe(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0xfeff || cp == 0xfffe || cp == 0xffff;
}

static void
emit_yaml(FILE *f, unsigned cp, const char *b, size_t k, size_t idx,
    int defuse)
{
	(void)idx;
	if (defuse)
		fprintf(f, "\\x%02x", cp);
	else if (cp == '"' || cp == '\\')
		fprintf(f, "\\%c", (int)cp);
	else if (cp == '\n')
		fputs("\\n", f);
	else if (cp == '\t')
		fputs("\\t", f);
	else if (is_unsafe(cp))
		fprintf(f, cp < 0x100 ? "\\x%02x" : "\\u%04x", cp);
	else
		fwrite(b, 1, k, f);
}

static int
yaml_str(FILE *f, struct view v)
{
	int r;

	fputc('"', f);
	r = each_cp(f, v, emit_yaml);
	fputc('"', f);
	return r;
}

static void
emit_md(FILE *f, unsigned cp, const char *b, size_t k, size_t idx,
    int defuse)
{
	if (defuse)
		fprintf(f, "\\%c", (int)cp);
	else if (is_unsafe(cp))
		fprintf(f, cp < 0x100 ? "\\x%02x" : "\\u%04x", cp);
	else if ((cp < 0x80 && strchr("\\`*_[]<>|~&!", (int)cp) != NULL) ||
	    (idx == 0 && strchr("#+-=>", (int)cp) != NULL && cp != 0))
		fprintf(f, "\\%c", (int)cp);
	else
		fwrite(b, 1, k, f);
}

/* Single-line Markdown text, stripped of surrounding blanks. */
static int
md_text(FILE *f, struct view v)
{
	size_t d = 0;

	v = strip(v.s, v.n);
	/* "1. x" or "1) x" would open an ordered list. */
	while (d < v.n && d < 9 && v.s[d] >= '0' && v.s[d] <= '9')
		d++;
	if (d > 0 && d < v.n && (v.s[d] == '.' || v.s[d] == ')')) {
		struct view rest = { v.s + d + 1, v.n - d - 1 };

		fwrite(v.s, 1, d, f);
		fprintf(f, "\\%c", v.s[d]);
		return each_cp(f, rest, emit_md) == MG_OK ? MG_OK : MG_ERR_NOMEM;
	}
	return each_cp(f, v, emit_md);
}

static void
emit_code(FILE *f, unsigned cp, const char *b, size_t k, size_t idx,
    int defuse)
{
	(void)idx;
	if (defuse)
		fprintf(f, "\\x%02x", cp);
	else if (is_unsafe(cp))
		fprintf(f, cp < 0x100 ? "\\x%02x" : "\\u%04x", cp);
	else if (cp == '|')
		fputs("\\|", f);
	else
		fwrite(b, 1, k, f);
}

/* A code span for a table cell. */
static int
md_code(FILE *f, struct view v)
{
	size_t i, run = 0, longest = 0;
	int padded;

	for (i = 0; i < v.n; i++) {
		run = v.s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	padded = v.n > 0 && (v.s[0] == '`' || v.s[v.n - 1] == '`' ||
	    (v.s[0] == ' ' && v.s[v.n - 1] == ' '));
	for (i = 0; i <= longest; i++)
		fputc('`', f);
	if (padded)
		fputc(' ', f);
	if (each_cp(f, v, emit_code) != MG_OK)
		return MG_ERR_NOMEM;
	if (padded)
		fputc(' ', f);
	for (i = 0; i <= longest; i++)
		fputc('`', f);
	return MG_OK;
}

/* ---- the document ------------------------------------------------------- */

struct card {
	struct view	 title;
	char		*desc;		/* owned when derived */
	struct view	 short_desc;
	struct list	 models, tags, langs;
};

static struct view
title_of(const struct mg_artifact *a, const struct mg_bom_info *info)
{
	struct view v;
	const char *fn = a->filename != NULL ? a->filename : "", *dot;

	if (info->hf_title != NULL)
		return viewz(info->hf_title);
	v = md_str(a, "general.name");
	if (v.n > 0 && !looks_like_hash(v))
		return v;
	/* The stem, as Python's Path.stem. */
	dot = strrchr(fn, '.');
	v = viewz(fn);
	if (dot != NULL && dot != fn && dot[1] != '\0')
		v.n = (size_t)(dot - fn);
	return v;
}

/* "<FORMAT> model artifact for <title>[ with <details>]". */
static int
derive_desc(const struct mg_artifact *a, struct view title, char **out)
{
	struct view sl = md_str(a, "general.size_label");
	const char *fmt = a->format != NULL ? a->format->name : "unknown",
	    *sep;
	char num[32];
	size_t len = 0, i;
	FILE *m;

	*out = NULL;
	if ((m = open_memstream(out, &len)) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; fmt[i] != '\0'; i++)
		fputc(fmt[i] >= 'a' && fmt[i] <= 'z' ? fmt[i] - 'a' + 'A' :
		    fmt[i], m);
	fputs(" model artifact for ", m);
	fwrite(title.s, 1, title.n, m);
	sep = " with ";
	if (a->have & MG_HAVE_PARAMS) {
		fmt_compact(a->parameter_count, num, sizeof(num));
		fprintf(m, "%s%s parameters", sep, num);
		sep = ", ";
	}
	if (sl.n > 0) {
		fputs(sep, m);
		fwrite(sl.s, 1, sl.n, m);
		sep = ", ";
	}
	if (a->quantization != NULL && *a->quantization != '\0') {
		fprintf(m, "%s%s", sep, a->quantization);
		sep = ", ";
	}
	if (a->have & MG_HAVE_CTX) {
		fmt_compact(a->context_length, num, sizeof(num));
		fprintf(m, "%s%s context", sep, num);
	}
	if (fclose(m) != 0 || *out == NULL) {
		free(*out);
		*out = NULL;
		return MG_ERR_NOMEM;
	}
	return MG_OK;
}

static int
front_list(FILE *f, const char *key, const struct list *l)
{
	size_t i;
	int r = MG_OK;

	if (l->n == 0)
		return MG_OK;
	fprintf(f, "%s:\n", key);
	for (i = 0; r == MG_OK && i < l->n; i++) {
		fputs("  - ", f);
		r = yaml_str(f, l->v[i]);
		fputc('\n', f);
	}
	return r;
}

static int
front_matter(FILE *f, const struct card *c, const struct mg_bom_info *info)
{
	int r = MG_OK;

	fputs("---\ntitle: ", f);
	r |= yaml_str(f, c->title);
	fputs("\nshort_description: ", f);
	r |= yaml_str(f, c->short_desc);
	fputc('\n', f);
	if (info->hf_sdk != NULL) {
		fputs("sdk: ", f);
		r |= yaml_str(f, viewz(info->hf_sdk));
		fputc('\n', f);
	}
	if (info->hf_app_file != NULL) {
		fputs("app_file: ", f);
		r |= yaml_str(f, viewz(info->hf_app_file));
		fputc('\n', f);
	}
	if (info->hf_app_port >= 0)
		fprintf(f, "app_port: %ld\n", info->hf_app_port);
	r |= front_list(f, "models", &c->models);
	r |= front_list(f, "tags", &c->tags);
	fputs("---\n", f);
	return r != MG_OK ? MG_ERR_NOMEM : MG_OK;
}

/* One "| label | `value` |" row; nothing when the value is empty. */
static int
row_code(FILE *f, const char *label, struct view v)
{
	int r;

	if (v.s == NULL || v.n == 0)
		return MG_OK;
	fprintf(f, "| %s | ", label);
	r = md_code(f, v);
	fputs(" |\n", f);
	return r;
}

static int
row_count(FILE *f, const char *label, int have, uint64_t v, int compact)
{
	char g[40], c[32];

	if (!have)
		return MG_OK;
	fmt_grouped(v, g, sizeof(g));
	fprintf(f, "| %s | `%s`", label, g);
	if (compact) {
		fmt_compact(v, c, sizeof(c));
		fprintf(f, " (%s)", c);
	}
	fputs(" |\n", f);
	return MG_OK;
}

static void
row_size(FILE *f, uint64_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	char g[40];
	double v = (double)size;
	size_t i;

	if (size < 1024) {
		fprintf(f, "| File size | `%" PRIu64 " B` |\n", size);
		return;
	}
	fmt_grouped(size, g, sizeof(g));
	v /= 1024;
	for (i = 0; i < 3 && v >= 1024; i++)
		v /= 1024;
	fprintf(f, "| File size | `%.2f %s` (%s bytes) |\n", v, units[i], g);
}

static int
row_list(FILE *f, const char *label, const struct list *l)
{
	size_t i;
	int r = MG_OK;

	if (l->n == 0)
		return MG_OK;
	fprintf(f, "| %s | ", label);
	for (i = 0; r == MG_OK && i < l->n; i++) {
		if (i > 0)
			fputs(", ", f);
		r = md_code(f, l->v[i]);
	}
	fputs(" |\n", f);
	return r;
}

static int
body(FILE *f, const struct mg_artifact *a, const struct card *c)
{
	struct view lic = viewz(a->license), link, sl;
	size_t i;
	int r = MG_OK;

	fputs("# ", f);
	r |= md_text(f, c->title);
	fputs("\n\n", f);
	r |= md_text(f, c->short_desc);
	fputs("\n\nThis README content was generated by `modelgate` from a "
	    "local model artifact.\n\n## Artifact details\n\n"
	    "| Field | Value |\n| --- | --- |\n", f);
	r |= row_code(f, "Filename", viewz(a->filename));
	r |= row_code(f, "Path", viewz(a->abspath != NULL ? a->abspath :
	    a->path));
	r |= row_code(f, "Format", viewz(a->format->name));
	row_size(f, a->size);
	r |= row_code(f, "SHA256", viewz(a->sha256));
	r |= row_code(f, "Architecture", viewz(a->architecture));
	r |= row_count(f, "Parameters", a->have & MG_HAVE_PARAMS,
	    a->parameter_count, 1);
	sl = md_str(a, "general.size_label");
	r |= row_code(f, "Size label", sl);
	r |= row_code(f, "Quantization", viewz(a->quantization));
	r |= row_code(f, "Dtype", viewz(a->dtype));
	r |= row_count(f, "Context length", a->have & MG_HAVE_CTX,
	    a->context_length, 0);
	r |= row_count(f, "Vocabulary size", a->have & MG_HAVE_VOCAB,
	    a->vocab_size, 0);

	if (lic.n == 0)
		lic = md_str(a, "general.license.name");
	if (lic.n == 0)
		lic = md_str(a, "general.license");
	link = md_str(a, "general.license.link");
	if (lic.n > 0 || link.n > 0 || (a->base_model != NULL &&
	    *a->base_model != '\0') || (a->training_framework != NULL &&
	    *a->training_framework != '\0') || c->langs.n > 0 ||
	    c->tags.n > 0) {
		fputs("\n## Model metadata\n\n| Field | Value |\n"
		    "| --- | --- |\n", f);
		r |= row_code(f, "License", lic);
		r |= row_code(f, "License reference", link);
		r |= row_code(f, "Base model", viewz(a->base_model));
		r |= row_code(f, "Training framework",
		    viewz(a->training_framework));
		r |= row_list(f, "Languages", &c->langs);
		r |= row_list(f, "Tags", &c->tags);
	}
	if (a->nfindings > 0)
		fputs("\n## Warnings\n\n", f);
	for (i = 0; i < a->nfindings; i++) {
		fputs("- ", f);
		r |= md_text(f, viewz(a->findings[i].message != NULL ?
		    a->findings[i].message : ""));
		fputc('\n', f);
	}
	return r != MG_OK ? MG_ERR_NOMEM : MG_OK;
}

int
mg_report_hfreadme(FILE *f, struct mg_artifact *const *arts, size_t n,
    const struct mg_bom_info *info)
{
	const struct mg_artifact *a;
	struct card c;
	int r;

	if (n != 1)
		return MG_ERR_USAGE;
	a = arts[0];
	memset(&c, 0, sizeof(c));
	c.title = title_of(a, info);
	if (info->hf_short_description != NULL)
		c.short_desc = viewz(info->hf_short_description);
	else {
		if ((r = derive_desc(a, c.title, &c.desc)) != MG_OK)
			goto out;
		c.short_desc = viewz(c.desc);
	}
	models_of(a, &c.models);
	languages_of(a, &c.langs);
	if ((r = tags_of(a, &c.tags)) != MG_OK)
		goto out;
	if ((r = front_matter(f, &c, info)) != MG_OK)
		goto out;
	fputc('\n', f);
	if ((r = body(f, a, &c)) != MG_OK)
		goto out;
	r = ferror(f) ? MG_ERR_IO : MG_OK;
out:
	free(c.desc);
	list_free(&c.models);
	list_free(&c.tags);
	list_free(&c.langs);
	return r;
}
