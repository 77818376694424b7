/*
 * report_github.c - GitHub Actions workflow-command annotations.
 *
 * GitHub shows at most 10 error and 10 warning annotations per step, so
 * only the annotations_max (default 10) most severe active findings are
 * written (ordered by severity, counting first, then path and rule), as
 * ::error when the finding counts toward the verdict and ::warning
 * otherwise, followed by one ::notice line with the verdict and how many
 * findings were left out.
 *
 * Injection: paths and messages come from the artifacts.  Every value is
 * first made valid UTF-8 without control characters other than tab and
 * newline, then escaped as the runner unescapes it: in the message '%',
 * CR and LF become %25, %0D, %0A; in properties (file, title) ':' and ','
 * also become %3A and %2C.  A value can therefore neither end the line
 * nor start a command of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "gate.h"
#include "gate_report.h"
#include "limits.h"
#include "text.h"

#define GH_MAX_TEXT	4096	/* bytes of one value before escaping */

struct ref {
	size_t art, fi;
};

static const struct mg_gate *sort_g;

static int
cmp_ref(const void *x, const void *y)
{
	const struct ref *a = x, *b = y;
	const struct mg_gate_finding *fa = &sort_g->arts[a->art].findings[a->fi];
	const struct mg_gate_finding *fb = &sort_g->arts[b->art].findings[b->fi];

	if (fa->severity != fb->severity)
		return fa->severity > fb->severity ? -1 : 1;
	if (fa->counts != fb->counts)
		return fa->counts ? -1 : 1;
	if (a->art != b->art)		/* artifacts are sorted by path */
		return a->art < b->art ? -1 : 1;
	return a->fi < b->fi ? -1 : a->fi > b->fi;
}

/* Write s escaped; prop: property value rules. */
static int
put_escaped(FILE *f, const char *s, int prop)
{
	char *c = mg_text_clean(s != NULL ? s : "", GH_MAX_TEXT);
	const char *p;
	int r = MG_OK;

	if (c == NULL)
		return MG_ERR_NOMEM;
	for (p = c; *p != '\0' && r == MG_OK; p++) {
		const char *e = NULL;

		switch (*p) {
		case '%':	e = "%25"; break;
		case '\r':	e = "%0D"; break;
		case '\n':	e = "%0A"; break;
		case '\t':	e = "%09"; break;
		case ':':	e = prop ? "%3A" : NULL; break;
		case ',':	e = prop ? "%2C" : NULL; break;
		}
		if ((e != NULL ? fputs(e, f) : fputc(*p, f)) == EOF)
			r = MG_ERR_IO;
	}
	free(c);
	return r;
}

int
mg_report_github(FILE *out, const struct mg_gate *g,
    const struct mg_gate_info *info)
{
	struct ref *refs = NULL;
	size_t n = 0, i, k, max, shown;
	int r = MG_OK;

	max = info->annotations_max > 0 ? info->annotations_max : 10;
	for (i = 0; i < g->n; i++)
		for (k = 0; k < g->arts[i].nfindings; k++)
			n += g->arts[i].findings[k].state == MG_FS_ACTIVE;
	if (n > 0 && (refs = calloc(n, sizeof(*refs))) == NULL)
		return MG_ERR_NOMEM;
	n = 0;
	for (i = 0; i < g->n; i++)
		for (k = 0; k < g->arts[i].nfindings; k++)
			if (g->arts[i].findings[k].state == MG_FS_ACTIVE) {
				refs[n].art = i;
				refs[n++].fi = k;
			}
	sort_g = g;	/* writers run on one thread */
	if (n > 1)
		qsort(refs, n, sizeof(*refs), cmp_ref);
	shown = n < max ? n : max;
	for (i = 0; i < shown && r == MG_OK; i++) {
		const struct mg_gate_artifact *ga = &g->arts[refs[i].art];
		const struct mg_gate_finding *gf = &ga->findings[refs[i].fi];

		if (fprintf(out, "::%s file=", gf->counts ? "error" :
		    "warning") < 0)
			r = MG_ERR_IO;
		if (r == MG_OK)
			r = put_escaped(out, ga->a->path, 1);
		if (r == MG_OK && fputs(",line=1,title=", out) == EOF)
			r = MG_ERR_IO;
		if (r == MG_OK)
			r = put_escaped(out, mg_rule_get(gf->f->rule)->id, 1);
		if (r == MG_OK && fprintf(out, "::%s: ",
		    mg_sev_name(gf->severity)) < 0)
			r = MG_ERR_IO;
		if (r == MG_OK)
			r = put_escaped(out, gf->f->message, 0);
		if (r == MG_OK && fputc('\n', out) == EOF)
			r = MG_ERR_IO;
	}
	if (r == MG_OK && fprintf(out, "::notice title=modelgate::verdict %s "
	    "(exit %d): %zu active finding%s, %zu annotated, %zu more in the "
	    "job summary and the SARIF report\n",
	    mg_run_verdict_name(g->verdict), g->exit_code, n, n == 1 ? "" : "s",
	    shown, n - shown) < 0)
		r = MG_ERR_IO;
	free(refs);
	return r;
}
