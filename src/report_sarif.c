/*
 * report_sarif.c - the gate as SARIF 2.1.0 for GitHub code scanning.
 *
 * Spec: OASIS SARIF 2.1.0 (errata 01) plus the subset and limits GitHub
 * ingests.  One run; tool.driver.rules[] holds exactly the rules that the
 * written results use, sorted by id, and every result's ruleIndex points
 * into it.  Every finding of the gate becomes a result: suppressed ones
 * carry suppressions[], and when the gate matched a baseline every result
 * carries baselineState (the spec wants it on all results or none).
 *
 * Locations: the artifact's display path made relative to the repository
 * root (the current directory), POSIX, percent-encoded outside RFC 3986's
 * unreserved set and "/", under uriBaseId %SRCROOT%; a path that leaves the
 * root is written with "../" segments (GitHub refuses a whole upload over
 * one file:// URI).  Model files are binary, so the region is
 * line 1.  Percent-encoding covers '%' itself, so distinct paths give
 * distinct URIs.  Message texts are sanitised and may be lossy;
 * properties.key is exact, in the escaped form of mg_text_escape().
 * partialFingerprints carries the gate's own fingerprint, never anything
 * derived from messages or offsets.
 *
 * Limits: at most MG_SARIF_MAX_RESULTS results and MG_SARIF_MAX_BYTES
 * bytes.  When a run would exceed them the most severe results are kept
 * (severity desc, path, rule) and the run says how many were dropped, in
 * run.properties and in a tool execution notification.  The document is
 * printed formatted; when that is too large it is printed compact before
 * any result is dropped.  Output depends only on the gate and the info
 * (no clock, no host names), so it is byte-identical across --jobs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "gate.h"
#include "gate_report.h"
#include "path.h"
#include "rules.h"
#include "text.h"

#define MG_SARIF_MAX_RESULTS	25000		/* GitHub: results per run */
#define MG_SARIF_MAX_BYTES	(10u * 1000 * 1000) /* GitHub: 10 MB gzipped */
#define MG_SARIF_MAX_NOTES	1000		/* notifications for errors */
#define MG_SARIF_MAX_TEXT	4096		/* bytes of one message */
#define MG_SARIF_SCHEMA \
	"https://json.schemastore.org/sarif-2.1.0.json"

struct ref {
	size_t	 art, fi;		/* gate->arts[art].findings[fi] */
};

struct ctx {
	const struct mg_gate *g;
	const struct mg_gate_info *info;
	char	*cwd;			/* NULL when unknown */
	int	 baseline;		/* a baseline matched: baselineState */
	struct ref *refs;		/* every finding, severity order */
	size_t	 nrefs;
	unsigned char *keep;		/* per (art, fi) in natural order */
	size_t	*first;			/* index of arts[i]'s first finding */
};

static const struct mg_gate_finding *
ref_finding(const struct ctx *c, const struct ref *r)
{
	return &c->g->arts[r->art].findings[r->fi];
}

static const char *
rule_id(const struct mg_gate_finding *gf)
{
	const struct mg_rule *ru = mg_rule_get(gf->f->rule);

	return ru != NULL ? ru->id : "UNKNOWN";
}

static const char *
sev_level(int sev)
{
	if (sev >= MG_SEV_HIGH)
		return "error";
	if (sev == MG_SEV_MED)
		return "warning";
	return "note";
}

/* GitHub's bands: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, else low. */
static const char *
sev_score(int sev)
{
	switch (sev) {
	case MG_SEV_CRIT:
		return "9.5";
	case MG_SEV_HIGH:
		return "8.0";
	case MG_SEV_MED:
		return "5.5";
	case MG_SEV_LOW:
		return "3.0";
	default:
		return "1.0";
	}
}

static int
cmp_sev(const void *pa, const void *pb, void *arg)
{
	const struct ctx *sort_ctx = arg;
	const struct ref *a = pa, *b = pb;
	const struct mg_gate_finding *fa = ref_finding(sort_ctx, a);
	const struct mg_gate_finding *fb = ref_finding(sort_ctx, b);
	int d;

	if (fa->severity != fb->severity)
		return fa->severity > fb->severity ? -1 : 1;
	d = strcmp(sort_ctx->g->arts[a->art].a->path,
	    sort_ctx->g->arts[b->art].a->path);
	if (d != 0)
		return d;
	if ((d = strcmp(rule_id(fa), rule_id(fb))) != 0)
		return d;
	if (a->art != b->art)
		return a->art < b->art ? -1 : 1;
	if (a->fi != b->fi)
		return a->fi < b->fi ? -1 : 1;
	return 0;
}

/* Sanitised plain text (see mg_text_clean) as a cJSON string, or NULL. */
static cJSON *
text_json(const char *s, size_t cap)
{
	char *t = mg_text_clean(s, cap);
	cJSON *j;

	if (t == NULL)
		return NULL;
	j = cJSON_CreateString(t);
	free(t);
	return j;
}

/*
 * A name (a key) exactly, in the injective escaped form of mg_text_escape():
 * a plain string that every JSON parser takes, unlike a lone surrogate.
 */
static cJSON *
exact_json(const char *s)
{
	char *t = mg_text_printable(s);
	cJSON *j;

	if (t == NULL)
		return NULL;
	j = cJSON_CreateString(t);
	free(t);
	return j;
}

/* A URI path: RFC 3986 unreserved characters and '/' kept. */
static char *
pct_encode(const char *prefix, const char *s)
{
	return mg_pct_encode(prefix, s, "/");
}

/*
 * A reference from directory `from` to the absolute path `to`, both
 * normalised: "../" once per component of `from` below their common
 * prefix, then the rest of `to`, percent-encoded.  GitHub accepts only
 * references relative to the repository, so a path outside it is written
 * this way rather than as a file:// URI that would reject the upload.
 */
static char *
climb(const char *from, const char *to)
{
	const char *f = from, *t = to, *rest;
	size_t ups = 0, k;
	char *rel, *uri;

	/* Skip whole components the two share. */
	for (;;) {
		const char *fe, *te;

		while (*f == '/')
			f++;
		while (*t == '/')
			t++;
		for (fe = f; *fe != '\0' && *fe != '/'; fe++)
			;
		for (te = t; *te != '\0' && *te != '/'; te++)
			;
		if (fe == f || fe - f != te - t || memcmp(f, t,
		    (size_t)(fe - f)) != 0)
			break;
		f = fe;
		t = te;
	}
	rest = t;
	/* One "../" per component of `from` left over. */
	while (*f != '\0') {
		while (*f == '/')
			f++;
		if (*f == '\0')
			break;
		ups++;
		while (*f != '\0' && *f != '/')
			f++;
	}
	if (ups > (SIZE_MAX - strlen(rest) - 1) / 3)
		return NULL;
	rel = malloc(ups * 3 + strlen(rest) + 1);
	if (rel == NULL)
		return NULL;
	for (k = 0; k < ups; k++)
		memcpy(rel + 3 * k, "../", 3);
	strcpy(rel + 3 * ups, rest);
	uri = pct_encode("", rel);
	free(rel);
	return uri;
}

/*
 * The URI of a display path.  *relative is set to 1 for a repository
 * relative reference (used with %SRCROOT%), 0 for a file:// URI.
 */
static char *
path_uri(const char *cwd, const char *path, int *relative)
{
	char *norm = NULL, *uri = NULL;
	size_t cl;

	*relative = 1;
	if (path[0] != '/') {
		if ((norm = mg_path_abs(NULL, path)) == NULL)
			return NULL;
		if (!mg_path_climbs(norm)) {
			uri = pct_encode("", norm);
			goto out;
		}
		free(norm);
		norm = NULL;
		if (cwd == NULL) {
			/* No cwd to resolve against: keep the relative form. */
			uri = pct_encode("", path);
			goto out;
		}
	}
	/* Absolute, or a relative path that climbs out: against cwd. */
	if ((norm = mg_path_abs(cwd, path)) == NULL)
		goto out;
	if (cwd != NULL) {
		cl = strlen(cwd);
		if (cl == 1 && norm[1] != '\0') {	/* cwd is "/" */
			uri = pct_encode("", norm + 1);
			goto out;
		}
		if (strncmp(norm, cwd, cl) == 0 && norm[cl] == '/' &&
		    norm[cl + 1] != '\0') {
			uri = pct_encode("", norm + cl + 1);
			goto out;
		}
	}
	if (cwd != NULL && cwd[0] == '/') {
		uri = climb(cwd, norm);
		goto out;
	}
	*relative = 0;
	uri = pct_encode("file://", norm);
out:
	free(norm);
	return uri;
}

static int
add(cJSON *o, const char *k, cJSON *v)
{
	if (v == NULL)
		return MG_ERR_NOMEM;
	cJSON_AddItemToObject(o, k, v);
	return MG_OK;
}

static int
push(cJSON *arr, cJSON *v)
{
	if (v == NULL)
		return MG_ERR_NOMEM;
	cJSON_AddItemToArray(arr, v);
	return MG_OK;
}

/* {"text": s} with s sanitised. */
static cJSON *
message(const char *s)
{
	cJSON *m = cJSON_CreateObject();

	if (m != NULL && add(m, "text", text_json(s, MG_SARIF_MAX_TEXT)) !=
	    MG_OK) {
		cJSON_Delete(m);
		m = NULL;
	}
	return m;
}

/*
 * Where an artifact is for code scanning: the file in the repository.  An
 * archive member points at its archive; the member is in the message and
 * in properties.member.
 */
static cJSON *
location(const struct ctx *c, const struct mg_artifact *a)
{
	cJSON *loc = cJSON_CreateObject(), *pl = NULL, *al = NULL, *rg = NULL;
	char *uri, *file = NULL;
	int rel, r = MG_OK;

	if (loc == NULL)
		return NULL;
	if (a->disk_len > 0 && (file = strndup(a->path, a->disk_len)) == NULL) {
		cJSON_Delete(loc);
		return NULL;
	}
	uri = path_uri(c->cwd, file != NULL ? file : a->path != NULL ?
	    a->path : "", &rel);
	free(file);
	r |= add(loc, "physicalLocation", pl = cJSON_CreateObject());
	if (r == MG_OK)
		r |= add(pl, "artifactLocation", al = cJSON_CreateObject());
	if (r == MG_OK && uri != NULL) {
		r |= add(al, "uri", cJSON_CreateString(uri));
		if (rel)
			r |= add(al, "uriBaseId", cJSON_CreateString(
			    "%SRCROOT%"));
		r |= add(pl, "region", rg = cJSON_CreateObject());
		if (rg != NULL)
			r |= add(rg, "startLine", cJSON_CreateNumber(1));
	} else
		r = MG_ERR_NOMEM;
	free(uri);
	if (r != MG_OK) {
		cJSON_Delete(loc);
		return NULL;
	}
	return loc;
}

/* "GGUF-COUNT" -> "GgufCount". */
static cJSON *
camel(const char *id)
{
	char b[128];
	size_t k = 0;
	int up = 1;

	for (; *id != '\0' && k < sizeof(b) - 1; id++) {
		char ch = *id;

		if (ch == '-' || ch == '_' || ch == '.') {
			up = 1;
			continue;
		}
		if (ch >= 'A' && ch <= 'Z' && !up)
			ch = (char)(ch - 'A' + 'a');
		else if (ch >= 'a' && ch <= 'z' && up)
			ch = (char)(ch - 'a' + 'A');
		b[k++] = ch;
		up = 0;
	}
	b[k] = '\0';
	return cJSON_CreateString(b);
}

/* The area tag: the id's prefix, lower-cased, with two friendlier names. */
static cJSON *
area_tag(const char *id)
{
	char b[32];
	size_t k = 0;

	if (strncmp(id, "ST-", 3) == 0)
		return cJSON_CreateString("safetensors");
	if (strncmp(id, "HASH-", 5) == 0)
		return cJSON_CreateString("integrity");
	for (; id[k] != '\0' && id[k] != '-' && k < sizeof(b) - 1; k++)
		b[k] = (char)(id[k] >= 'A' && id[k] <= 'Z' ?
		    id[k] - 'A' + 'a' : id[k]);
	b[k] = '\0';
	return cJSON_CreateString(k > 0 ? b : "modelgate");
}

static cJSON *
rule_desc(const struct mg_rule *ru)
{
	cJSON *d = cJSON_CreateObject(), *o, *p = NULL, *tags = NULL;
	char *md = NULL;
	size_t n;
	int r = MG_OK;

	if (d == NULL)
		return NULL;
	r |= add(d, "id", cJSON_CreateString(ru->id));
	r |= add(d, "name", camel(ru->id));
	r |= add(d, "shortDescription", o = cJSON_CreateObject());
	if (o != NULL)
		r |= add(o, "text", text_json(ru->summary, 1000));
	r |= add(d, "fullDescription", o = cJSON_CreateObject());
	if (o != NULL)
		r |= add(o, "text", text_json(ru->help, 1000));
	n = strlen(ru->summary) + strlen(ru->help) + strlen(ru->id) + 96;
	if ((md = malloc(n)) == NULL)
		r = MG_ERR_NOMEM;
	else
		snprintf(md, n, "**%s**\n\n%s\n\nRule `%s`, default severity "
		    "%s.", ru->summary, ru->help, ru->id,
		    mg_sev_name(ru->severity));
	r |= add(d, "help", o = cJSON_CreateObject());
	if (o != NULL && md != NULL) {
		r |= add(o, "text", text_json(ru->help, 4000));
		r |= add(o, "markdown", cJSON_CreateString(md));
	}
	r |= add(d, "defaultConfiguration", o = cJSON_CreateObject());
	if (o != NULL)
		r |= add(o, "level", cJSON_CreateString(sev_level(
		    (int)ru->severity)));
	r |= add(d, "properties", p = cJSON_CreateObject());
	if (p != NULL) {
		r |= add(p, "tags", tags = cJSON_CreateArray());
		if (tags != NULL) {
			r |= push(tags, cJSON_CreateString("security"));
			r |= push(tags, area_tag(ru->id));
			r |= push(tags, cJSON_CreateString(
			    mg_sev_name(ru->severity)));
		}
		r |= add(p, "precision", cJSON_CreateString("very-high"));
		r |= add(p, "security-severity", cJSON_CreateString(
		    sev_score((int)ru->severity)));
	}
	free(md);
	if (r != MG_OK) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

static cJSON *
result(const struct ctx *c, const struct mg_gate_artifact *ga,
    const struct mg_gate_finding *gf, int rule_index)
{
	cJSON *res = cJSON_CreateObject(), *arr = NULL, *o = NULL, *s;
	int r = MG_OK;

	if (res == NULL)
		return NULL;
	r |= add(res, "ruleId", cJSON_CreateString(rule_id(gf)));
	r |= add(res, "ruleIndex", cJSON_CreateNumber(rule_index));
	r |= add(res, "level", cJSON_CreateString(sev_level(
	    (int)gf->severity)));
	if (ga->a->disk_len > 0) {
		/* The member first: the location names only its archive. */
		const char *mp = ga->a->path + ga->a->disk_len + 1;
		size_t ml = strlen(mp), fl = strlen(gf->f->message);
		char *t = malloc(ml + fl + 16);

		if (t != NULL) {
			snprintf(t, ml + fl + 16, "member %s: %s", mp,
			    gf->f->message);
			r |= add(res, "message", message(t));
			free(t);
		} else
			r = MG_ERR_NOMEM;
	} else
		r |= add(res, "message", message(gf->f->message));
	r |= add(res, "locations", arr = cJSON_CreateArray());
	if (arr != NULL)
		r |= push(arr, location(c, ga->a));
	if (gf->fingerprint[0] != '\0') {
		r |= add(res, "partialFingerprints", o = cJSON_CreateObject());
		if (o != NULL)
			r |= add(o, "modelgate/v1", mg_json_str(
			    gf->fingerprint, strnlen(gf->fingerprint, 64)));
	}
	if (gf->state == MG_FS_SUPPRESSED) {
		r |= add(res, "suppressions", arr = cJSON_CreateArray());
		if (arr != NULL && (s = cJSON_CreateObject()) != NULL) {
			cJSON_AddItemToArray(arr, s);
			r |= add(s, "kind", cJSON_CreateString("external"));
			r |= add(s, "status", cJSON_CreateString("accepted"));
			if (gf->reason != NULL && gf->reason[0] != '\0')
				r |= add(s, "justification", text_json(
				    gf->reason, MG_SARIF_MAX_TEXT));
		} else
			r = MG_ERR_NOMEM;
	}
	if (c->baseline)
		r |= add(res, "baselineState", cJSON_CreateString(
		    gf->state == MG_FS_BASELINED ? "unchanged" : "new"));
	r |= add(res, "properties", o = cJSON_CreateObject());
	if (o != NULL) {
		r |= add(o, "severity", cJSON_CreateString(
		    mg_sev_name(gf->severity)));
		r |= add(o, "state", cJSON_CreateString(mg_fstate_name(
		    gf->state)));
		r |= add(o, "counts", cJSON_CreateBool(gf->counts));
		if (ga->a->disk_len > 0)
			r |= add(o, "member", exact_json(ga->a->path +
			    ga->a->disk_len + 1));
		if (gf->f->key != NULL)
			r |= add(o, "key", exact_json(gf->f->key));
		if (gf->f->offset != MG_FINDING_NO_OFFSET)
			r |= add(o, "offset", mg_json_u64(gf->f->offset));
	}
	if (r != MG_OK) {
		cJSON_Delete(res);
		return NULL;
	}
	return res;
}

/* A notification for an artifact that could not be checked. */
static cJSON *
error_note(const struct ctx *c, const struct mg_gate_artifact *ga)
{
	cJSON *n = cJSON_CreateObject(), *arr = NULL;
	const char *why = "the artifact could not be read or fully checked";
	char *txt = NULL;
	size_t i, len;
	int r = MG_OK;

	if (n == NULL)
		return NULL;
	/* The most severe finding usually says why (IO-READ, FMT-...). */
	for (i = 0; i < ga->nfindings; i++)
		if (ga->findings[i].f->rule == MG_R_IO_READ) {
			why = ga->findings[i].f->message;
			break;
		}
	len = strlen(why) + strlen(ga->a->path) + 80;
	if ((txt = malloc(len)) != NULL && ga->a->disk_len > 0)
		snprintf(txt, len, "Not checked (verdict error): member %s: %s",
		    ga->a->path + ga->a->disk_len + 1, why);
	else if (txt != NULL)
		snprintf(txt, len, "Not checked (verdict error): %s", why);
	r |= add(n, "level", cJSON_CreateString("error"));
	r |= add(n, "message", txt != NULL ? message(txt) : NULL);
	r |= add(n, "locations", arr = cJSON_CreateArray());
	if (arr != NULL)
		r |= push(arr, location(c, ga->a));
	free(txt);
	if (r != MG_OK) {
		cJSON_Delete(n);
		return NULL;
	}
	return n;
}

static cJSON *
text_note(const char *level, const char *txt)
{
	cJSON *n = cJSON_CreateObject();

	if (n == NULL)
		return NULL;
	if (add(n, "level", cJSON_CreateString(level)) != MG_OK ||
	    add(n, "message", message(txt)) != MG_OK) {
		cJSON_Delete(n);
		return NULL;
	}
	return n;
}

/* Keep the `limit` most severe results; returns how many were dropped. */
static size_t
select_results(struct ctx *c, size_t limit)
{
	size_t i, k;

	memset(c->keep, 0, c->nrefs);
	for (i = 0; i < c->nrefs && i < limit; i++) {
		const struct ref *rf = &c->refs[i];

		k = c->first[rf->art] + rf->fi;
		c->keep[k] = 1;
	}
	return c->nrefs > limit ? c->nrefs - limit : 0;
}

static cJSON *
build(struct ctx *c, size_t dropped)
{
	const struct mg_gate *g = c->g;
	const struct mg_gate_info *info = c->info;
	cJSON *root = cJSON_CreateObject(), *runs = NULL, *run = NULL;
	cJSON *tool = NULL, *drv = NULL, *rules = NULL, *results = NULL;
	cJSON *inv = NULL, *invs = NULL, *notes = NULL, *o = NULL;
	int idx[MG_R__COUNT];
	size_t i, j, k, nerr = 0, nrules = 0;
	int r = MG_OK;
	char buf[256];

	if (root == NULL)
		return NULL;
	r |= add(root, "$schema", cJSON_CreateString(MG_SARIF_SCHEMA));
	r |= add(root, "version", cJSON_CreateString("2.1.0"));
	r |= add(root, "runs", runs = cJSON_CreateArray());
	if (r != MG_OK || push(runs, run = cJSON_CreateObject()) != MG_OK)
		goto fail;

	/* rules[]: the used ones, sorted by id (rules.def order is not). */
	for (i = 0; i < MG_R__COUNT; i++)
		idx[i] = -1;
	for (i = 0, k = 0; i < g->n; i++)
		for (j = 0; j < g->arts[i].nfindings; j++, k++)
			if (c->keep[k] && (unsigned)g->arts[i].findings[j].f->rule
			    < MG_R__COUNT)
				idx[g->arts[i].findings[j].f->rule] = 0;
	for (i = 0; i < MG_R__COUNT; i++) {
		const struct mg_rule *ri = mg_rule_get((enum mg_rule_id)i);
		int pos = 0;

		if (idx[i] < 0)
			continue;
		for (j = 0; j < MG_R__COUNT; j++)
			if (idx[j] >= 0 && strcmp(mg_rule_get(
			    (enum mg_rule_id)j)->id, ri->id) < 0)
				pos++;
		idx[i] = pos;
		nrules++;
	}

	r |= add(run, "tool", tool = cJSON_CreateObject());
	if (r != MG_OK || add(tool, "driver", drv = cJSON_CreateObject()) !=
	    MG_OK)
		goto fail;
	r |= add(drv, "name", cJSON_CreateString(info->tool_name != NULL ?
	    info->tool_name : "modelgate"));
	if (info->tool_version != NULL && info->tool_version[0] != '\0') {
		r |= add(drv, "semanticVersion", cJSON_CreateString(
		    info->tool_version));
		r |= add(drv, "version", cJSON_CreateString(
		    info->tool_version));
	}
	if (info->tool_uri != NULL && info->tool_uri[0] != '\0')
		r |= add(drv, "informationUri", cJSON_CreateString(
		    info->tool_uri));
	r |= add(drv, "rules", rules = cJSON_CreateArray());
	for (k = 0; r == MG_OK && k < nrules; k++)
		for (i = 0; i < MG_R__COUNT; i++)
			if (idx[i] == (int)k)
				r |= push(rules, rule_desc(mg_rule_get(
				    (enum mg_rule_id)i)));

	if (info->automation_id != NULL && info->automation_id[0] != '\0') {
		r |= add(run, "automationDetails", o = cJSON_CreateObject());
		if (o != NULL)
			r |= add(o, "id", text_json(info->automation_id, 256));
	}

	r |= add(run, "invocations", invs = cJSON_CreateArray());
	if (r != MG_OK || push(invs, inv = cJSON_CreateObject()) != MG_OK)
		goto fail;
	r |= add(inv, "executionSuccessful", cJSON_CreateBool(!g->incomplete));
	r |= add(inv, "exitCode", cJSON_CreateNumber(g->exit_code));
	if (info->generated_at != NULL && info->generated_at[0] != '\0')
		r |= add(inv, "endTimeUtc", cJSON_CreateString(
		    info->generated_at));
	notes = cJSON_CreateArray();
	for (i = 0; notes != NULL && r == MG_OK && i < g->n; i++) {
		if (g->arts[i].verdict != MG_V_ERROR)
			continue;
		if (++nerr <= MG_SARIF_MAX_NOTES)
			r |= push(notes, error_note(c, &g->arts[i]));
	}
	if (nerr > MG_SARIF_MAX_NOTES) {
		snprintf(buf, sizeof(buf), "%zu more artifacts could not be "
		    "checked; see the JSON report.", nerr - MG_SARIF_MAX_NOTES);
		r |= push(notes, text_note("error", buf));
	}
	if (dropped > 0) {
		snprintf(buf, sizeof(buf), "%zu of %zu results were dropped "
		    "to stay within GitHub's limits (%u results, %u bytes); "
		    "the most severe were kept. See the JSON report for all.",
		    dropped, c->nrefs, (unsigned)MG_SARIF_MAX_RESULTS,
		    (unsigned)MG_SARIF_MAX_BYTES);
		r |= push(notes, text_note("warning", buf));
	}
	if (notes == NULL)
		r = MG_ERR_NOMEM;
	else if (cJSON_GetArraySize(notes) > 0)
		r |= add(inv, "toolExecutionNotifications", notes);
	else
		cJSON_Delete(notes);
	notes = NULL;

	r |= add(run, "results", results = cJSON_CreateArray());
	for (i = 0, k = 0; r == MG_OK && i < g->n; i++)
		for (j = 0; r == MG_OK && j < g->arts[i].nfindings; j++, k++) {
			const struct mg_gate_finding *gf =
			    &g->arts[i].findings[j];

			if (!c->keep[k])
				continue;
			r |= push(results, result(c, &g->arts[i], gf,
			    (unsigned)gf->f->rule < MG_R__COUNT ?
			    idx[gf->f->rule] : 0));
		}

	r |= add(run, "properties", o = cJSON_CreateObject());
	if (o != NULL) {
		r |= add(o, "verdict", cJSON_CreateString(
		    mg_run_verdict_name(g->verdict)));
		r |= add(o, "exitCode", cJSON_CreateNumber(g->exit_code));
		r |= add(o, "failOn", cJSON_CreateString(mg_sev_name(
		    (enum mg_sev)info->fail_on)));
		if (info->policy_source != NULL)
			r |= add(o, "policy", text_json(info->policy_source,
			    MG_SARIF_MAX_TEXT));
		r |= add(o, "artifacts", mg_json_u64(g->sum.artifacts));
		r |= add(o, "suppressed", mg_json_u64(g->sum.suppressed));
		r |= add(o, "baselined", mg_json_u64(g->sum.baselined));
		if (dropped > 0) {
			r |= add(o, "droppedResults", mg_json_u64(dropped));
			r |= add(o, "totalResults", mg_json_u64(c->nrefs));
		}
	}
	if (r != MG_OK)
		goto fail;
	return root;
fail:
	cJSON_Delete(notes);
	cJSON_Delete(root);
	return NULL;
}

int
mg_report_sarif(FILE *f, const struct mg_gate *g,
    const struct mg_gate_info *info)
{
	struct ctx c;
	cJSON *doc = NULL;
	char *s = NULL;
	size_t i, j, k, limit, dropped, len;
	int r = MG_ERR_NOMEM, compact = 0;

	memset(&c, 0, sizeof(c));
	c.g = g;
	c.info = info;
	c.cwd = getcwd(NULL, 0);
	for (i = 0; i < g->n; i++) {
		if (g->arts[i].nfindings > SIZE_MAX - c.nrefs)
			goto out;
		c.nrefs += g->arts[i].nfindings;
		for (j = 0; j < g->arts[i].nfindings; j++)
			if (g->arts[i].findings[j].state == MG_FS_BASELINED)
				c.baseline = 1;
	}
	if ((c.refs = calloc(c.nrefs + 1, sizeof(*c.refs))) == NULL ||
	    (c.keep = calloc(c.nrefs + 1, 1)) == NULL ||
	    (c.first = calloc(g->n + 1, sizeof(*c.first))) == NULL)
		goto out;
	for (i = 0, k = 0; i < g->n; i++) {
		c.first[i] = k;
		for (j = 0; j < g->arts[i].nfindings; j++, k++) {
			c.refs[k].art = i;
			c.refs[k].fi = j;
		}
	}
	qsort_r(c.refs, c.nrefs, sizeof(*c.refs), cmp_sev, &c);

	limit = c.nrefs < MG_SARIF_MAX_RESULTS ? c.nrefs : MG_SARIF_MAX_RESULTS;
	for (;;) {
		dropped = select_results(&c, limit);
		cJSON_Delete(doc);
		free(s);
		s = NULL;
		if ((doc = build(&c, dropped)) == NULL)
			goto out;
		if (!compact) {
			if ((s = mg_json_defuse(cJSON_Print(doc))) == NULL)
				goto out;
			if ((len = strlen(s)) < MG_SARIF_MAX_BYTES)
				break;
			free(s);
			/* Fewer results only ever shrink it: stay compact. */
			compact = 1;
		}
		if ((s = mg_json_defuse(cJSON_PrintUnformatted(doc))) ==
		    NULL)
			goto out;
		if ((len = strlen(s)) < MG_SARIF_MAX_BYTES)
			break;
		if (limit == 0) {
			/* Rules and notes alone are too big: cannot happen. */
			r = MG_ERR_LIMIT;
			goto out;
		}
		/* Shrink in proportion, with room for the notes. */
		limit = (size_t)((double)limit * 0.95 *
		    ((double)MG_SARIF_MAX_BYTES / (double)len));
	}
	if (fwrite(s, 1, len, f) != len || fputc('\n', f) == EOF) {
		r = MG_ERR_IO;
		goto out;
	}
	r = MG_OK;
out:
	cJSON_Delete(doc);
	free(s);
	free(c.refs);
	free(c.keep);
	free(c.first);
	free(c.cwd);
	return r;
}
