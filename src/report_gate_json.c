/*
 * report_gate_json.c - the complete machine report of `modelgate scan`.
 *
 * Shape (documented in the README): tool, verdict, exit_code, policy,
 * fail_on, generated_at, summary, artifacts[] sorted by path, each with its
 * findings (rule, severity, message, fingerprint, state, counts, key,
 * offset, reason).  Integers are exact.  Paths and keys are exact
 * (mg_json_bytes: bytes that are not UTF-8 as \udcNN escapes), other
 * strings sanitised UTF-8.  With
 * SOURCE_DATE_EPOCH set the duration is written as 0 so that the report is
 * reproducible byte for byte.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "gate.h"
#include "gate_report.h"
#include "hash.h"
#include "sign.h"
#include "text.h"

static int
put(cJSON *o, const char *k, cJSON *v)
{
	if (v == NULL)
		return MG_ERR_NOMEM;
	cJSON_AddItemToObject(o, k, v);
	return MG_OK;
}

static cJSON *
finding_json(const struct mg_gate_finding *gf, int waived)
{
	const struct mg_finding *f = gf->f;
	cJSON *o = cJSON_CreateObject();
	int r = MG_OK;

	if (o == NULL)
		return NULL;
	r |= put(o, "rule", cJSON_CreateString(mg_rule_get(f->rule)->id));
	r |= put(o, "severity", cJSON_CreateString(mg_sev_name(gf->severity)));
	r |= put(o, "message", mg_json_strz(f->message));
	r |= put(o, "fingerprint", cJSON_CreateString(gf->fingerprint));
	r |= put(o, "state", cJSON_CreateString(mg_fstate_name(gf->state)));
	r |= put(o, "counts", cJSON_CreateBool(gf->counts));
	if (f->key != NULL)
		r |= put(o, "key", mg_json_bytesz(f->key));
	if (f->offset != MG_FINDING_NO_OFFSET)
		r |= put(o, "offset", mg_json_u64(f->offset));
	if (gf->reason != NULL)
		r |= put(o, "reason", mg_json_strz(gf->reason));
	if (waived)
		r |= put(o, "waived", cJSON_CreateBool(1));
	if (r != MG_OK) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
artifact_json(const struct mg_gate_artifact *ga)
{
	const struct mg_artifact *a = ga->a;
	cJSON *o = cJSON_CreateObject(), *fs;
	size_t i;
	int r = MG_OK;

	if (o == NULL)
		return NULL;
	r |= put(o, "path", mg_json_bytesz(a->path));
	/* A member: the file on disk it was read from, and its place. */
	if (a->disk_len > 0) {
		r |= put(o, "file", mg_json_bytes(a->path, a->disk_len));
		r |= put(o, "ordinal", mg_json_u64(a->ordinal));
	}
	r |= put(o, "format", cJSON_CreateString(a->format->name));
	r |= put(o, "size", mg_json_u64(a->size));
	r |= put(o, "sha256", cJSON_CreateString(a->sha256));
	r |= put(o, "complete", cJSON_CreateBool(a->complete));
	/* Only what an accepted unchecked format may leave incomplete. */
	if (a->unsupported && !a->partial)
		r |= put(o, "unsupported", cJSON_CreateBool(1));
	r |= put(o, "verdict", cJSON_CreateString(mg_verdict_name(ga->verdict)));
	r |= put(o, "fail_on", cJSON_CreateString(mg_sev_name(
	    (enum mg_sev)ga->fail_on)));
	r |= put(o, "findings", fs = cJSON_CreateArray());
	for (i = 0; r == MG_OK && i < ga->nfindings; i++) {
		const struct mg_gate_finding *gf = &ga->findings[i];
		/*
		 * An unchecked format the policy accepts: what lets a merge
		 * tell this pass from an edited "error".
		 */
		cJSON *f = finding_json(gf,
		    gf->f->rule == MG_R_FMT_UNSUPPORTED &&
		    gf->state != MG_FS_SUPPRESSED && ga->verdict == MG_V_PASS);

		if (f == NULL)
			r = MG_ERR_NOMEM;
		else
			cJSON_AddItemToArray(fs, f);
	}
	if (r == MG_OK && a->dropped > 0)
		r |= put(o, "findings_omitted", mg_json_u64(a->dropped));
	if (r != MG_OK) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
summary_json(const struct mg_gate *g, const struct mg_gate_info *info)
{
	const struct mg_gate_summary *s = &g->sum;
	cJSON *o = cJSON_CreateObject(), *v, *f;
	int r = MG_OK, sev;
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	(void)info;
	if (o == NULL)
		return NULL;
	r |= put(o, "artifacts", mg_json_u64(s->artifacts));
	r |= put(o, "verdicts", v = cJSON_CreateObject());
	if (v != NULL) {
		r |= put(v, "pass", mg_json_u64(s->pass));
		r |= put(v, "fail", mg_json_u64(s->fail));
		r |= put(v, "error", mg_json_u64(s->error));
	}
	r |= put(o, "findings", f = cJSON_CreateObject());
	for (sev = MG_SEV_CRIT; f != NULL && sev >= MG_SEV_INFO; sev--)
		r |= put(f, mg_sev_name((enum mg_sev)sev),
		    mg_json_u64(s->by_sev[sev]));
	r |= put(o, "suppressed", mg_json_u64(s->suppressed));
	r |= put(o, "baselined", mg_json_u64(s->baselined));
	r |= put(o, "bytes", mg_json_u64(s->bytes));
	r |= put(o, "duration_seconds", sde != NULL && *sde != '\0' ?
	    cJSON_CreateRaw("0.0") : mg_json_double(
	    (double)(long long)(s->seconds * 1000) / 1000.0));
	if (r != MG_OK) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
mg_report_gate_arts_sha256(const struct mg_gate *g, char out[65])
{
	struct mg_hash *h = mg_hash_new();
	size_t i;
	int r = MG_ERR_NOMEM;

	if (h == NULL || mg_hash_reset(h) != MG_OK)
		goto out;
	for (i = 0; i < g->n; i++) {
		const struct mg_artifact *a = g->arts[i].a;

		if (a->format == &mg_fmt_policy)
			continue;
		if (mg_hash_update(h, a->path, strlen(a->path) + 1) != MG_OK ||
		    mg_hash_update(h, a->format->name,
		    strlen(a->format->name) + 1) != MG_OK)
			goto out;
	}
	if (mg_hash_final_hex(h, out) == MG_OK)
		r = MG_OK;
out:
	mg_hash_free(h);
	return r;
}

static cJSON *
str_or_empty(const char *s)
{
	return cJSON_CreateString(s != NULL ? s : "");
}

int
mg_report_gate_json(FILE *out, const struct mg_gate *g,
    const struct mg_gate_info *info)
{
	cJSON *root = cJSON_CreateObject(), *t, *arts;
	char *s = NULL, dig[65];
	size_t i;
	int r = MG_OK;

	if (root == NULL)
		return MG_ERR_NOMEM;
	r |= put(root, "tool", t = cJSON_CreateObject());
	if (t != NULL) {
		r |= put(t, "name", cJSON_CreateString(info->tool_name));
		r |= put(t, "version", cJSON_CreateString(info->tool_version));
	}
	r |= put(root, "verdict",
	    cJSON_CreateString(mg_run_verdict_name(g->verdict)));
	r |= put(root, "exit_code", mg_json_i64(g->exit_code));
	r |= put(root, "policy", mg_json_strz(info->policy_source));
	r |= put(root, "fail_on",
	    cJSON_CreateString(mg_sev_name((enum mg_sev)info->fail_on)));
	r |= put(root, "generated_at", cJSON_CreateString(info->generated_at));
	if (info->policy_sha256 != NULL)
		r |= put(root, "policy_sha256",
		    cJSON_CreateString(info->policy_sha256));
	if (info->shard_total > 0 && info->list_sha256 != NULL) {
		cJSON *sh;

		r |= put(root, "shard", sh = cJSON_CreateObject());
		if (sh != NULL) {
			r |= put(sh, "index", mg_json_u64(info->shard_index));
			r |= put(sh, "total", mg_json_u64(info->shard_total));
			r |= put(sh, "mode", cJSON_CreateString(
			    info->shard_mode != NULL ? info->shard_mode :
			    "hash"));
			r |= put(sh, "selected",
			    mg_json_u64(info->shard_selected));
			r |= put(sh, "assigned",
			    mg_json_u64(info->shard_assigned));
			if (r == MG_OK && mg_report_gate_arts_sha256(g, dig) ==
			    MG_OK)
				r |= put(sh, "artifacts_sha256",
				    cJSON_CreateString(dig));
			else
				r = MG_ERR_NOMEM;
			r |= put(sh, "lock_sha256",
			    str_or_empty(info->lock_sha256));
			r |= put(sh, "manifest_sha256",
			    str_or_empty(info->manifest_sha256));
			r |= put(sh, "baseline_sha256",
			    str_or_empty(info->baseline_sha256));
			r |= put(sh, "options", str_or_empty(info->options));
		}
		r |= put(root, "artifact_list_sha256",
		    cJSON_CreateString(info->list_sha256));
	}
	r |= put(root, "summary", summary_json(g, info));
	r |= put(root, "artifacts", arts = cJSON_CreateArray());
	for (i = 0; r == MG_OK && i < g->n; i++) {
		cJSON *a = artifact_json(&g->arts[i]);

		if (a == NULL)
			r = MG_ERR_NOMEM;
		else
			cJSON_AddItemToArray(arts, a);
	}
	/* Last, so that it closes the document (sign.h). */
	if (info->sign_key != NULL && info->shard_total > 0)
		r |= put(root, MG_SIGN_MEMBER, cJSON_CreateString(
		    MG_SIGN_ZEROS));
	if (r == MG_OK && (s = mg_json_defuse(cJSON_Print(root))) == NULL)
		r = MG_ERR_NOMEM;
	if (r == MG_OK && info->sign_key != NULL && info->shard_total > 0 &&
	    mg_sign_doc(s, strlen(s), info->sign_key) != MG_OK)
		r = MG_ERR_INTERNAL;
	if (r == MG_OK && (fputs(s, out) < 0 || fputc('\n', out) == EOF))
		r = MG_ERR_IO;
	free(s);
	cJSON_Delete(root);
	return r == MG_OK ? MG_OK : r < 0 ? r : MG_ERR_NOMEM;
}
