/*
 * report_gate_text.c - the readable report `modelgate scan` prints.
 *
 * One line per artifact that did not pass cleanly (and a count of those
 * that did), its active findings indented beneath, then a summary line.
 * Every string from an artifact is made printable first: model metadata
 * can carry terminal escapes or forged CI workflow commands.
 */
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "gate.h"
#include "gate_report.h"
#include "text.h"

#define RED	"\033[31m"
#define YEL	"\033[33m"
#define GRN	"\033[32m"
#define DIM	"\033[2m"
#define BLD	"\033[1m"
#define RST	"\033[0m"

static const char *
col(const struct mg_gate_info *info, const char *c)
{
	return info->color ? c : "";
}

static const char *
sev_col(const struct mg_gate_info *info, enum mg_sev s)
{
	return s >= MG_SEV_HIGH ? col(info, RED) : s == MG_SEV_MED ?
	    col(info, YEL) : col(info, DIM);
}

int
mg_report_gate_text(FILE *f, const struct mg_gate *g,
    const struct mg_gate_info *info)
{
	size_t i, k, clean = 0;
	char *path;
	int sev;

	for (i = 0; i < g->n; i++) {
		const struct mg_gate_artifact *ga = &g->arts[i];
		size_t shown = 0;
		const char *tag, *c;

		for (k = 0; k < ga->nfindings; k++)
			if (ga->findings[k].state == MG_FS_ACTIVE &&
			    ga->findings[k].f->rule != MG_R_HASH_SKIPPED)
				shown++;
		if (ga->verdict == MG_V_PASS && shown == 0) {
			clean++;
			continue;
		}
		if ((path = mg_text_printable(ga->a->path)) == NULL)
			return MG_ERR_NOMEM;
		tag = ga->verdict == MG_V_FAIL ? "FAIL " :
		    ga->verdict == MG_V_ERROR ? "ERROR" : "PASS ";
		c = ga->verdict == MG_V_FAIL ? col(info, RED) :
		    ga->verdict == MG_V_ERROR ? col(info, YEL) : col(info, GRN);
		fprintf(f, "%s%s%s%s %s (%s)\n", c, col(info, BLD), tag,
		    col(info, RST), path, ga->a->format->name);
		free(path);
		for (k = 0; k < ga->nfindings; k++) {
			const struct mg_gate_finding *gf = &ga->findings[k];
			char *msg;

			if (gf->state != MG_FS_ACTIVE ||
			    gf->f->rule == MG_R_HASH_SKIPPED)
				continue;
			if ((msg = mg_text_printable(gf->f->message)) == NULL)
				return MG_ERR_NOMEM;
			fprintf(f, "      %s%-8s%s %-22s %s\n",
			    sev_col(info, gf->severity),
			    mg_sev_name(gf->severity), col(info, RST),
			    mg_rule_get(gf->f->rule)->id, msg);
			free(msg);
		}
	}
	fprintf(f, "%s%zu artifact%s: %zu pass, %zu fail, %zu error",
	    g->n > 0 ? "\n" : "", g->sum.artifacts,
	    g->sum.artifacts == 1 ? "" : "s", g->sum.pass, g->sum.fail,
	    g->sum.error);
	if (clean > 0)
		fprintf(f, " (%zu clean not listed)", clean);
	fputs("; findings:", f);
	for (sev = MG_SEV_CRIT; sev >= MG_SEV_INFO; sev--)
		fprintf(f, " %zu %s%s", g->sum.by_sev[sev],
		    mg_sev_name((enum mg_sev)sev), sev > MG_SEV_INFO ? "," : "");
	fprintf(f, "; %zu suppressed, %zu baselined\n", g->sum.suppressed,
	    g->sum.baselined);
	if ((path = mg_text_printable(info->policy_source)) == NULL)
		return MG_ERR_NOMEM;
	fprintf(f, "verdict: %s (fail on %s and above; policy %s)\n",
	    mg_run_verdict_name(g->verdict),
	    mg_sev_name((enum mg_sev)info->fail_on), path);
	free(path);
	return ferror(f) ? MG_ERR_IO : MG_OK;
}
