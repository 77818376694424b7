/*
 * report_markdown.c - a short GitHub-flavoured Markdown summary of the gate
 * for $GITHUB_STEP_SUMMARY and merge-request comments.
 *
 * Layout: a headline with the run verdict and exit code, a counts table
 * (artifacts per verdict, counting findings per severity, suppressed and
 * baselined), a table of at most MG_MD_MAX_ROWS counting findings (most
 * severe first, then path and rule) with "... and N more" when cut, and a
 * list of the artifacts that could not be checked (also capped).
 *
 * Untrusted text (paths, messages) goes only into table cells and list
 * items, escaped so that it cannot end a cell, open code or emphasis, form
 * a link, mention a user or team, inject HTML or forge a workflow command
 * in a log that echoes the file.  Two layers: first mg_text_escape()
 * (controls, newlines and invalid bytes as \xNN, a backslash as \\,
 * "::" and "##[" broken up), which is injective, so distinct paths stay
 * distinct; then '|' and the punctuation that opens code, emphasis,
 * links, mentions, math or strike (` * _ [ ] ~ @ # ! $ \) get a
 * backslash escape and '<' '>' '&' entities, so the rendered cell shows
 * exactly the first layer.  Each cell is capped (a longer text is cut and
 * ends with an ellipsis: the JSON and SARIF reports carry the full path),
 * so the document stays far below MG_MD_MAX_BYTES (GitHub comments take
 * 65,536 characters); a final check cuts it at a line boundary if it ever
 * does not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "gate.h"
#include "gate_report.h"
#include "rules.h"
#include "text.h"

#define MG_MD_MAX_ROWS		50		/* findings in the table */
#define MG_MD_MAX_ERRORS	50		/* artifacts in the error list */
#define MG_MD_MAX_CELL		240		/* bytes of one cell's text */
#define MG_MD_MAX_BYTES		(64u * 1024 - 1024)

struct row {
	size_t	 art, fi;
};

/* The escaped form of one ASCII byte, or NULL when it stands for itself. */
static const char *
md_escape(unsigned char ch, char tmp[3])
{
	switch (ch) {
	case '\n':
	case '\r':
	case '\t':
		return " ";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '&':
		return "&amp;";
	case '\\': case '`': case '*': case '_': case '[': case ']':
	case '|': case '~': case '@': case '#': case '!': case '$':
		tmp[0] = '\\';
		tmp[1] = (char)ch;
		tmp[2] = '\0';
		return tmp;
	}
	if (ch < 0x20 || ch == 0x7f)
		return "\xef\xbf\xbd";
	return NULL;
}

/* Escaped cell text, at most cap bytes of output (then an ellipsis). */
static void
md_put(FILE *f, const char *s, size_t cap)
{
	char *t, tmp[3];
	const unsigned char *p;
	const char *e;
	size_t used = 0, k, w;

	if (s == NULL)
		s = "";
	if ((t = mg_text_printable(s)) == NULL) {
		fputs("\xef\xbf\xbd", f);
		return;
	}
	for (p = (const unsigned char *)t; *p != '\0'; p += k) {
		e = NULL;
		k = 1;
		if (*p >= 0xf0)
			k = 4;
		else if (*p >= 0xe0)
			k = 3;
		else if (*p >= 0xc0)
			k = 2;
		if (k == 1)
			e = md_escape(*p, tmp);
		else if (p[0] == 0xc2 && p[1] <= 0x9f)
			e = "\xef\xbf\xbd";	/* C1 control */
		w = e != NULL ? strlen(e) : k;
		if (w > cap - used) {
			fputs("\xe2\x80\xa6", f);
			break;
		}
		used += w;
		if (e != NULL)
			fputs(e, f);
		else
			fwrite(p, 1, k, f);
	}
	free(t);
}

static const char *
rule_id(const struct mg_gate_finding *gf)
{
	const struct mg_rule *ru = mg_rule_get(gf->f->rule);

	return ru != NULL ? ru->id : "UNKNOWN";
}

static int
cmp_row(const void *pa, const void *pb, void *arg)
{
	const struct mg_gate *g = arg;
	const struct row *a = pa, *b = pb;
	const struct mg_gate_finding *fa = &g->arts[a->art].findings[a->fi];
	const struct mg_gate_finding *fb = &g->arts[b->art].findings[b->fi];
	int d;

	if (fa->severity != fb->severity)
		return fa->severity > fb->severity ? -1 : 1;
	if (a->art != b->art)		/* arts are sorted by path */
		return a->art < b->art ? -1 : 1;
	if ((d = strcmp(rule_id(fa), rule_id(fb))) != 0)
		return d;
	return a->fi < b->fi ? -1 : a->fi > b->fi;
}

static void
write_doc(FILE *f, const struct mg_gate *g, const struct mg_gate_info *info,
    const struct row *rows, size_t nrows)
{
	const struct mg_gate_summary *s = &g->sum;
	size_t i, shown;

	fprintf(f, "### %s: %s (exit %d)\n\n",
	    info->tool_name != NULL ? info->tool_name : "modelgate",
	    mg_run_verdict_name(g->verdict), g->exit_code);
	fprintf(f, "Policy: ");
	md_put(f, info->policy_source != NULL ? info->policy_source :
	    "(embedded default)", MG_MD_MAX_CELL);
	fprintf(f, "; failing at %s and above.", mg_sev_name(
	    (enum mg_sev)info->fail_on));
	if (g->incomplete)
		fprintf(f, " **The scan is incomplete:** some artifacts could "
		    "not be checked.");
	fprintf(f, "\n\n");

	fprintf(f, "| Artifacts | Pass | Fail | Error |\n"
	    "| ---: | ---: | ---: | ---: |\n"
	    "| %zu | %zu | %zu | %zu |\n\n",
	    s->artifacts, s->pass, s->fail, s->error);
	fprintf(f, "| Critical | High | Medium | Low | Info | Suppressed | "
	    "Baselined |\n"
	    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n"
	    "| %zu | %zu | %zu | %zu | %zu | %zu | %zu |\n\n",
	    s->by_sev[MG_SEV_CRIT], s->by_sev[MG_SEV_HIGH],
	    s->by_sev[MG_SEV_MED], s->by_sev[MG_SEV_LOW],
	    s->by_sev[MG_SEV_INFO], s->suppressed, s->baselined);

	if (nrows > 0) {
		fprintf(f, "#### Findings that fail the gate\n\n"
		    "| Severity | Rule | Path | Message |\n"
		    "| --- | --- | --- | --- |\n");
		shown = nrows < MG_MD_MAX_ROWS ? nrows : MG_MD_MAX_ROWS;
		for (i = 0; i < shown; i++) {
			const struct mg_gate_artifact *ga = &g->arts[rows[i].art];
			const struct mg_gate_finding *gf =
			    &ga->findings[rows[i].fi];

			fprintf(f, "| %s | ", mg_sev_name(gf->severity));
			md_put(f, rule_id(gf), MG_MD_MAX_CELL);
			fputs(" | ", f);
			md_put(f, ga->a->path, MG_MD_MAX_CELL);
			fputs(" | ", f);
			md_put(f, gf->f->message, MG_MD_MAX_CELL);
			fputs(" |\n", f);
		}
		if (nrows > shown)
			fprintf(f, "\n\xe2\x80\xa6 and %zu more; see the JSON or "
			    "SARIF report.\n", nrows - shown);
		fputs("\n", f);
	}

	if (s->error > 0 || g->incomplete) {
		fprintf(f, "#### Could not be checked\n\n");
		for (i = 0, shown = 0; i < g->n; i++) {
			if (g->arts[i].verdict != MG_V_ERROR)
				continue;
			if (++shown > MG_MD_MAX_ERRORS)
				continue;	/* counted, not listed */
			fputs("- ", f);
			md_put(f, g->arts[i].a->path, MG_MD_MAX_CELL);
			fputs("\n", f);
		}
		if (shown > MG_MD_MAX_ERRORS)
			fprintf(f, "- \xe2\x80\xa6 and %zu more\n",
			    shown - MG_MD_MAX_ERRORS);
		fputs("\n", f);
	}
	if (g->verdict == MG_RV_EMPTY)
		fputs("Nothing was scanned: no artifact matched the "
		    "arguments.\n\n", f);
}

int
mg_report_markdown(FILE *f, const struct mg_gate *g,
    const struct mg_gate_info *info)
{
	struct row *rows = NULL;
	size_t nrows = 0, i, j, len = 0;
	char *buf = NULL;
	FILE *m = NULL;
	int r = MG_ERR_NOMEM;

	for (i = 0; i < g->n; i++)
		for (j = 0; j < g->arts[i].nfindings; j++)
			if (g->arts[i].findings[j].counts)
				nrows++;
	if ((rows = calloc(nrows + 1, sizeof(*rows))) == NULL)
		goto out;
	for (i = 0, nrows = 0; i < g->n; i++)
		for (j = 0; j < g->arts[i].nfindings; j++)
			if (g->arts[i].findings[j].counts) {
				rows[nrows].art = i;
				rows[nrows++].fi = j;
			}
	qsort_r(rows, nrows, sizeof(*rows), cmp_row, (void *)g);

	if ((m = open_memstream(&buf, &len)) == NULL)
		goto out;
	write_doc(m, g, info, rows, nrows);
	if (ferror(m))
		goto out;
	if (fclose(m) != 0) {
		m = NULL;
		goto out;
	}
	m = NULL;
	if (len > MG_MD_MAX_BYTES) {
		/* Not reachable with the caps above; kept as the last guard. */
		len = MG_MD_MAX_BYTES;
		while (len > 0 && buf[len - 1] != '\n')
			len--;
	}
	if (fwrite(buf, 1, len, f) != len) {
		r = MG_ERR_IO;
		goto out;
	}
	r = MG_OK;
out:
	if (m != NULL)
		fclose(m);
	free(buf);
	free(rows);
	return r;
}
