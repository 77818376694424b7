/*
 * report_codequality.c - GitLab code quality (Code Climate subset) JSON.
 *
 * One array; one issue per active finding, counting or not: a finding
 * below fail_on still shows in the merge request widget, while suppressed
 * and baselined ones are left out (they were accepted on purpose).  Every
 * issue has description, check_name (the rule id), fingerprint (the
 * gate's, stable across runs), severity (critical -> blocker, high ->
 * critical, medium -> major, low -> minor, info -> info) and location
 * {path, lines {begin: 1}} (models have no lines).  Strings are
 * sanitised UTF-8 without a byte order mark.
 */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "gate.h"
#include "gate_report.h"
#include "text.h"

static const char *
cq_severity(enum mg_sev s)
{
	switch (s) {
	case MG_SEV_CRIT:	return "blocker";
	case MG_SEV_HIGH:	return "critical";
	case MG_SEV_MED:	return "major";
	case MG_SEV_LOW:	return "minor";
	case MG_SEV_INFO:	return "info";
	}
	return "info";
}

static cJSON *
issue(const struct mg_gate_artifact *ga, const struct mg_gate_finding *gf)
{
	cJSON *o = cJSON_CreateObject(), *loc, *lines, *v;
	int ok = o != NULL;

#define ADD(obj, k, val) do { \
	if (ok && (obj) != NULL && ((v = (val)) != NULL)) \
		cJSON_AddItemToObject((obj), (k), v); \
	else \
		ok = 0; \
} while (0)
	ADD(o, "description", mg_json_strz(gf->f->message));
	ADD(o, "check_name", cJSON_CreateString(mg_rule_get(gf->f->rule)->id));
	ADD(o, "fingerprint", cJSON_CreateString(gf->fingerprint));
	ADD(o, "severity", cJSON_CreateString(cq_severity(gf->severity)));
	loc = cJSON_CreateObject();
	ADD(o, "location", loc);
	ADD(loc, "path", mg_json_strz(ga->a->path));
	lines = cJSON_CreateObject();
	ADD(loc, "lines", lines);
	ADD(lines, "begin", cJSON_CreateNumber(1));
#undef ADD
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
mg_report_codequality(FILE *out, const struct mg_gate *g,
    const struct mg_gate_info *info)
{
	cJSON *root = cJSON_CreateArray();
	char *s = NULL;
	size_t i, k;
	int r = MG_OK;

	(void)info;
	if (root == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; r == MG_OK && i < g->n; i++) {
		const struct mg_gate_artifact *ga = &g->arts[i];

		for (k = 0; r == MG_OK && k < ga->nfindings; k++) {
			cJSON *o;

			if (ga->findings[k].state != MG_FS_ACTIVE)
				continue;
			if ((o = issue(ga, &ga->findings[k])) == NULL)
				r = MG_ERR_NOMEM;
			else
				cJSON_AddItemToArray(root, o);
		}
	}
	/* Paths and messages may hold "##[": no workflow command in a log. */
	if (r == MG_OK && (s = mg_json_defuse(cJSON_Print(root))) == NULL)
		r = MG_ERR_NOMEM;
	if (r == MG_OK && (fputs(s, out) < 0 || fputc('\n', out) == EOF))
		r = MG_ERR_IO;
	free(s);
	cJSON_Delete(root);
	return r;
}
