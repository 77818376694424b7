/*
 * test_gate_report.c - the SARIF, JUnit and Markdown writers of the gate.
 *
 * Gates are built by hand (no scan, no policy) so that every state can be
 * reached directly: all severities, suppressed and baselined findings,
 * artifacts that could not be checked, empty and incomplete runs, hostile
 * paths and messages, and more results than GitHub accepts.
 *
 * External validators, installed by ci/install-deps.sh (their absence is a
 * failure, not a skip):
 *  - SARIF: the OASIS SARIF 2.1.0 JSON schema vendored in tests/schema/,
 *    checked with Python's jsonschema (Debian python3-jsonschema);
 *  - JUnit: the Jenkins xUnit junit-10.xsd vendored in tests/schema/,
 *    checked with xmllint --schema (Debian libxml2-utils).
 * On top, structural checks in C: ruleIndex/ruleId agreement, sorted and
 * used rules, levels, URIs, fingerprints, suppressions, limits; JUnit
 * counts that match the testcases and unique (classname, name) pairs.
 *
 * MG_REPORT_SAMPLES=DIR makes the tests leave their documents in DIR for
 * checking by hand with other tools.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "gate.h"
#include "gate_report.h"
#include "rules.h"
#include "strset.h"
#include "suites.h"
#include "tutil.h"


/* ---- building gates by hand ------------------------------------------- */

struct tg {
	struct mg_gate	 g;
	size_t		 cap;
	size_t		*fcap;		/* findings capacity per artifact */
	unsigned	 serial;	/* for fingerprints */
};

static void
tg_init(struct tg *t, size_t cap)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->g.arts = calloc(cap + 1, sizeof(*t->g.arts));
	t->fcap = calloc(cap + 1, sizeof(*t->fcap));
	ck_assert_ptr_nonnull(t->g.arts);
	ck_assert_ptr_nonnull(t->fcap);
}

/* A format name no scan makes, for the writers' escaping. */
static const char *const no_exts[] = { NULL };
static const struct mg_format hostile_fmt = { .name = "weird<fmt>&",
	.exts = no_exts };

/* An artifact with a path of n arbitrary bytes. */
static struct mg_gate_artifact *
tg_artn(struct tg *t, const char *path, size_t n, const char *format,
    enum mg_verdict v)
{
	struct mg_gate_artifact *ga;
	struct mg_artifact *a;

	ck_assert_uint_lt(t->g.n, t->cap);
	ga = &t->g.arts[t->g.n++];
	a = calloc(1, sizeof(*a));
	ck_assert_ptr_nonnull(a);
	mg_artifact_init(a);
	ck_assert_int_eq(mg_artifact_set(&a->path, path, n), MG_OK);
	a->format = strcmp(format, hostile_fmt.name) == 0 ? &hostile_fmt :
	    mg_fmt_by_name(format);
	ck_assert_ptr_nonnull(a->format);
	a->uncapped = 1;	/* judged: the gate keeps every finding */
	a->size = 1234;
	memset(a->sha256, 'a', 64);
	a->sha256[64] = '\0';
	a->complete = v != MG_V_ERROR;
	ga->a = a;
	ga->verdict = v;
	ga->fail_on = MG_SEV_HIGH;
	return ga;
}

static struct mg_gate_artifact *
tg_art(struct tg *t, const char *path, const char *format, enum mg_verdict v)
{
	return tg_artn(t, path, strlen(path), format, v);
}

/*
 * A finding on the last artifact.  The gate finding's f pointer is set in
 * tg_done(), after the artifact's findings array stops moving.
 */
static void
tg_find(struct tg *t, enum mg_rule_id rule, enum mg_sev sev,
    enum mg_fstate st, const char *msg, const char *key, uint64_t off,
    const char *reason)
{
	struct mg_gate_artifact *ga = &t->g.arts[t->g.n - 1];
	size_t i = ga - t->g.arts;
	struct mg_gate_finding *gf;

	ck_assert_int_eq(mg_artifact_add(ga->a, rule, off, key, "%s", msg),
	    MG_OK);
	if (ga->nfindings == t->fcap[i]) {
		t->fcap[i] = t->fcap[i] ? t->fcap[i] * 2 : 8;
		ga->findings = realloc(ga->findings, t->fcap[i] *
		    sizeof(*ga->findings));
		ck_assert_ptr_nonnull(ga->findings);
	}
	gf = &ga->findings[ga->nfindings++];
	memset(gf, 0, sizeof(*gf));
	gf->severity = sev;
	gf->state = st;
	gf->counts = st == MG_FS_ACTIVE && (int)sev >= ga->fail_on;
	gf->reason = reason;
	t->serial++;
	snprintf(gf->fingerprint, sizeof(gf->fingerprint),
	    "%016x%016x%016x%016x", t->serial, t->serial * 7u,
	    t->serial * 13u, t->serial * 31u);
}

/* Fix the f pointers, fill the summary, set the run verdict. */
static void
tg_done(struct tg *t, enum mg_run_verdict rv, int exit_code)
{
	struct mg_gate_summary *s = &t->g.sum;
	size_t i, j;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < t->g.n; i++) {
		struct mg_gate_artifact *ga = &t->g.arts[i];

		for (j = 0; j < ga->nfindings; j++) {
			ga->findings[j].f = &ga->a->findings[j];
			if (ga->findings[j].counts)
				s->by_sev[ga->findings[j].severity]++;
			if (ga->findings[j].state == MG_FS_SUPPRESSED)
				s->suppressed++;
			if (ga->findings[j].state == MG_FS_BASELINED)
				s->baselined++;
		}
		s->artifacts++;
		s->bytes += ga->a->size;
		if (ga->verdict == MG_V_PASS)
			s->pass++;
		else if (ga->verdict == MG_V_FAIL)
			s->fail++;
		else {
			s->error++;
			t->g.incomplete = 1;
		}
	}
	s->seconds = 1.25;
	t->g.verdict = rv;
	t->g.exit_code = exit_code;
}

static void
tg_free(struct tg *t)
{
	size_t i;

	for (i = 0; i < t->g.n; i++) {
		mg_artifact_free(t->g.arts[i].a);
		free(t->g.arts[i].a);
		free(t->g.arts[i].findings);
	}
	free(t->g.arts);
	free(t->fcap);
}

static void
info_init(struct mg_gate_info *info)
{
	memset(info, 0, sizeof(*info));
	info->tool_name = "modelgate";
	info->tool_version = "0.1.0";
	info->tool_uri = "https://github.com/modelgate/modelgate";
	info->generated_at = "2024-01-02T03:04:05Z";
	info->policy_source = "(embedded default)";
	info->automation_id = "modelgate/scan/";
	info->fail_on = MG_SEV_HIGH;
}

/* A gate with every state: the workhorse of the tests below. */
static void
tg_mixed(struct tg *t)
{
	tg_init(t, 8);
	tg_art(t, "./models/a.gguf", "gguf", MG_V_FAIL);
	tg_find(t, MG_R_HASH_MISMATCH, MG_SEV_CRIT, MG_FS_ACTIVE,
	    "sha256 differs from the lock file", NULL, MG_FINDING_NO_OFFSET,
	    NULL);
	tg_find(t, MG_R_GGUF_COUNT, MG_SEV_HIGH, MG_FS_ACTIVE,
	    "tensor_count 4294967296 exceeds 1200 bytes left", "tensor_count",
	    24, NULL);
	tg_find(t, MG_R_GGUF_COUNT, MG_SEV_HIGH, MG_FS_ACTIVE,
	    "kv_count 99 exceeds 10 bytes left", "kv_count", 32, NULL);
	tg_find(t, MG_R_GGUF_TRAIL, MG_SEV_MED, MG_FS_ACTIVE,
	    "12 bytes follow the last tensor", NULL, 4096, NULL);
	tg_find(t, MG_R_GGUF_UTF8, MG_SEV_LOW, MG_FS_ACTIVE,
	    "string is not UTF-8", "general.name", 100, NULL);
	tg_find(t, MG_R_GGUF_EMPTY, MG_SEV_INFO, MG_FS_ACTIVE,
	    "tensor blk.0 has no elements", "blk.0", 200, NULL);
	tg_art(t, "models/b.safetensors", "safetensors", MG_V_PASS);
	tg_find(t, MG_R_ST_DUPKEY, MG_SEV_HIGH, MG_FS_SUPPRESSED,
	    "member \"w\" repeats", "w", 8, "known upstream bug, ticket 42");
	tg_find(t, MG_R_POLICY_LICENSE, MG_SEV_HIGH, MG_FS_BASELINED,
	    "licence is missing", NULL, MG_FINDING_NO_OFFSET, NULL);
	tg_art(t, "models/c.gguf", "gguf", MG_V_ERROR);
	tg_find(t, MG_R_IO_READ, MG_SEV_HIGH, MG_FS_ACTIVE,
	    "read failed at offset 65536: Input/output error", NULL, 65536,
	    NULL);
	tg_art(t, "models/d.gguf", "gguf", MG_V_PASS);
	tg_done(t, MG_RV_FAIL, MG_EXIT_FAIL);
}

/* ---- running writers ---------------------------------------------------- */

static char *
render(mg_gate_writer_fn fn, const struct mg_gate *g,
    const struct mg_gate_info *info, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(fn(m, g, info), MG_OK);
	ck_assert_int_eq(fclose(m), 0);
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

static char tmpdir[64];

static void
tmp_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mg-gate-report-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
tmp_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
}

/* Write doc to tmpdir/name (and to $MG_REPORT_SAMPLES/name); its path. */
static char *
save(const char *name, const char *doc, size_t len)
{
	static char path[4096];
	const char *dirs[2] = { tmpdir, getenv("MG_REPORT_SAMPLES") };
	char p[4096];
	FILE *f;
	int i;

	for (i = 1; i >= 0; i--) {
		if (dirs[i] == NULL || dirs[i][0] == '\0')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dirs[i], name);
		f = fopen(p, "wb");
		ck_assert_msg(f != NULL, "cannot write %s", p);
		ck_assert_uint_eq(fwrite(doc, 1, len, f), len);
		ck_assert_int_eq(fclose(f), 0);
	}
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* ---- SARIF checks ------------------------------------------------------- */

static const cJSON *
get(const cJSON *o, const char *path)
{
	char key[128];
	const char *p = path, *e;

	while (o != NULL && *p != '\0') {
		size_t n;

		e = strchr(p, '.');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		ck_assert_uint_lt(n, sizeof(key));
		memcpy(key, p, n);
		key[n] = '\0';
		if (cJSON_IsArray(o))
			o = cJSON_GetArrayItem(o, atoi(key));
		else
			o = cJSON_GetObjectItemCaseSensitive(o, key);
		p = e != NULL ? e + 1 : p + n;
	}
	return o;
}

static const char *
gets_(const cJSON *o, const char *path)
{
	const cJSON *v = get(o, path);

	ck_assert_msg(cJSON_IsString(v), "%s is not a string", path);
	return v->valuestring;
}

static const char *
level_of(enum mg_sev s)
{
	return s >= MG_SEV_HIGH ? "error" : s == MG_SEV_MED ? "warning" :
	    "note";
}

/*
 * Checks the schema cannot express, from GitHub's ingestion rules and our
 * own contract.  Returns the parsed document.
 */
static cJSON *
sarif_check(const char *doc, const struct mg_gate *g)
{
	cJSON *d = cJSON_Parse(doc);
	const cJSON *run, *rules, *results, *r, *x;
	int nrules, i, k, baseline = -1;
	const char *prev = "";

	ck_assert_msg(d != NULL, "SARIF is not JSON");
	ck_assert_str_eq(gets_(d, "version"), "2.1.0");
	ck_assert_int_eq(cJSON_GetArraySize(get(d, "runs")), 1);
	run = get(d, "runs.0");
	ck_assert_str_eq(gets_(run, "tool.driver.name"), "modelgate");
	ck_assert_str_eq(gets_(run, "tool.driver.semanticVersion"), "0.1.0");
	ck_assert_str_eq(gets_(run, "automationDetails.id"), "modelgate/scan/");
	x = get(run, "invocations.0.executionSuccessful");
	ck_assert(cJSON_IsBool(x));
	ck_assert_int_eq(cJSON_IsTrue(x), !g->incomplete);
	ck_assert_int_eq(get(run, "invocations.0.exitCode")->valueint,
	    g->exit_code);
	rules = get(run, "tool.driver.rules");
	results = get(run, "results");
	ck_assert(cJSON_IsArray(rules));
	ck_assert(cJSON_IsArray(results));
	ck_assert_int_le(cJSON_GetArraySize(results), 25000);
	nrules = cJSON_GetArraySize(rules);
	for (i = 0; i < nrules; i++) {
		const cJSON *ru = cJSON_GetArrayItem(rules, i);
		const struct mg_rule *def = mg_rule_find(gets_(ru, "id"));
		const char *ss;
		double sv;
		int used = 0;

		ck_assert_ptr_nonnull(def);
		ck_assert_msg(strcmp(prev, def->id) < 0, "rules not sorted");
		prev = def->id;
		ck_assert_str_eq(gets_(ru, "shortDescription.text"),
		    def->summary);
		ck_assert_str_eq(gets_(ru, "fullDescription.text"), def->help);
		ck_assert_uint_le(strlen(def->help), 1024);
		ck_assert_uint_gt(strlen(gets_(ru, "help.text")), 0);
		ck_assert_uint_gt(strlen(gets_(ru, "help.markdown")), 0);
		ck_assert_uint_gt(strlen(gets_(ru, "name")), 0);
		ck_assert_str_eq(gets_(ru, "defaultConfiguration.level"),
		    level_of(def->severity));
		ss = gets_(ru, "properties.security-severity");
		sv = strtod(ss, NULL);
		ck_assert(sv > 0 && sv <= 10);
		if (def->severity == MG_SEV_CRIT)
			ck_assert(sv >= 9.0);
		else if (def->severity == MG_SEV_HIGH)
			ck_assert(sv >= 7.0 && sv < 9.0);
		else if (def->severity == MG_SEV_MED)
			ck_assert(sv >= 4.0 && sv < 7.0);
		else
			ck_assert(sv < 4.0);
		ck_assert_str_eq(gets_(ru, "properties.tags.0"), "security");
		ck_assert_int_le(cJSON_GetArraySize(get(ru, "properties.tags")),
		    10);
		cJSON_ArrayForEach(r, results)
			if (strcmp(gets_(r, "ruleId"), def->id) == 0)
				used = 1;
		ck_assert_msg(used, "rule %s listed but unused", def->id);
	}
	k = 0;
	cJSON_ArrayForEach(r, results) {
		const cJSON *idx = get(r, "ruleIndex"), *loc, *uri;
		const char *lvl = gets_(r, "level");

		ck_assert(cJSON_IsNumber(idx));
		ck_assert_int_lt(idx->valueint, nrules);
		ck_assert_str_eq(gets_(cJSON_GetArrayItem(rules,
		    idx->valueint), "id"), gets_(r, "ruleId"));
		ck_assert_msg(strcmp(lvl, "error") == 0 ||
		    strcmp(lvl, "warning") == 0 || strcmp(lvl, "note") == 0,
		    "level %s", lvl);
		ck_assert_uint_gt(strlen(gets_(r, "message.text")), 0);
		ck_assert_int_eq(cJSON_GetArraySize(get(r, "locations")), 1);
		loc = get(r, "locations.0.physicalLocation");
		uri = get(loc, "artifactLocation.uri");
		ck_assert(cJSON_IsString(uri));
		ck_assert_msg(strpbrk(uri->valuestring, " #\t\"<>\\") == NULL,
		    "uri not percent-encoded: %s", uri->valuestring);
		ck_assert_int_eq(get(loc, "region.startLine")->valueint, 1);
		ck_assert_uint_eq(strlen(gets_(r,
		    "partialFingerprints.modelgate/v1")), 64);
		/* baselineState on all results or none (SARIF 3.27.24). */
		x = get(r, "baselineState");
		if (baseline < 0)
			baseline = x != NULL;
		ck_assert_int_eq(baseline, x != NULL);
		k++;
	}
	return d;
}

/* Result i of the document's run. */
static const cJSON *
result_at(const cJSON *d, int i)
{
	return cJSON_GetArrayItem(get(d, "runs.0.results"), i);
}

START_TEST(sarif_mixed)
{
	struct tg t;
	struct mg_gate_info info;
	char *doc, *again;
	size_t len, len2;
	cJSON *d;
	const cJSON *r, *n;
	int i, found_sup = 0, found_base = 0;

	tmp_setup();
	tg_mixed(&t);
	info_init(&info);
	doc = render(mg_report_sarif, &t.g, &info, &len);
	tu_sarif_schema_ok(save("mixed.sarif", doc, len));
	d = sarif_check(doc, &t.g);

	/* Every finding is a result, in the gate's order. */
	ck_assert_int_eq(cJSON_GetArraySize(get(d, "runs.0.results")), 9);
	r = result_at(d, 0);
	ck_assert_str_eq(gets_(r, "ruleId"), "HASH-MISMATCH");
	ck_assert_str_eq(gets_(r, "level"), "error");
	ck_assert_str_eq(gets_(r,
	    "locations.0.physicalLocation.artifactLocation.uri"),
	    "models/a.gguf");
	ck_assert_str_eq(gets_(r,
	    "locations.0.physicalLocation.artifactLocation.uriBaseId"),
	    "%SRCROOT%");
	ck_assert_str_eq(gets_(r, "partialFingerprints.modelgate/v1"),
	    t.g.arts[0].findings[0].fingerprint);
	ck_assert_str_eq(gets_(result_at(d, 3), "level"), "warning");
	ck_assert_str_eq(gets_(result_at(d, 4), "level"), "note");
	ck_assert_str_eq(gets_(result_at(d, 5), "level"), "note");
	r = result_at(d, 1);
	ck_assert_str_eq(gets_(r, "properties.key"), "tensor_count");
	ck_assert_int_eq(get(r, "properties.offset")->valueint, 24);
	ck_assert_ptr_null(get(result_at(d, 0), "properties.offset"));
	/* Rule list: used rules only, sorted, indices agree (checked). */
	ck_assert_int_eq(cJSON_GetArraySize(get(d, "runs.0.tool.driver.rules")),
	    8);
	ck_assert_str_eq(gets_(d, "runs.0.tool.driver.rules.0.id"),
	    "GGUF-COUNT");
	ck_assert_str_eq(gets_(d, "runs.0.tool.driver.rules.0.name"),
	    "GgufCount");
	ck_assert_str_eq(gets_(d,
	    "runs.0.tool.driver.rules.0.properties.tags.1"), "gguf");

	cJSON_ArrayForEach(r, get(d, "runs.0.results")) {
		const char *st = gets_(r, "properties.state");

		if (strcmp(st, "suppressed") == 0) {
			found_sup = 1;
			ck_assert_str_eq(gets_(r, "suppressions.0.kind"),
			    "external");
			ck_assert_str_eq(gets_(r, "suppressions.0.status"),
			    "accepted");
			ck_assert_str_eq(gets_(r,
			    "suppressions.0.justification"),
			    "known upstream bug, ticket 42");
			ck_assert_str_eq(gets_(r, "baselineState"), "new");
		} else if (strcmp(st, "baselined") == 0) {
			found_base = 1;
			ck_assert_str_eq(gets_(r, "baselineState"),
			    "unchanged");
			ck_assert_ptr_null(get(r, "suppressions"));
		} else {
			ck_assert_str_eq(gets_(r, "baselineState"), "new");
			ck_assert_ptr_null(get(r, "suppressions"));
		}
	}
	ck_assert(found_sup && found_base);

	/* The unreadable artifact: a failed invocation and a notification. */
	ck_assert(cJSON_IsFalse(get(d,
	    "runs.0.invocations.0.executionSuccessful")));
	n = get(d, "runs.0.invocations.0.toolExecutionNotifications");
	ck_assert_int_eq(cJSON_GetArraySize(n), 1);
	ck_assert_str_eq(gets_(n, "0.level"), "error");
	ck_assert_str_eq(gets_(n,
	    "0.locations.0.physicalLocation.artifactLocation.uri"),
	    "models/c.gguf");
	ck_assert_ptr_nonnull(strstr(gets_(n, "0.message.text"),
	    "Input/output error"));
	ck_assert_str_eq(gets_(d, "runs.0.properties.verdict"), "fail");
	ck_assert_str_eq(gets_(d, "runs.0.invocations.0.endTimeUtc"),
	    info.generated_at);
	ck_assert_ptr_null(get(d, "runs.0.properties.droppedResults"));

	/* Deterministic bytes. */
	again = render(mg_report_sarif, &t.g, &info, &len2);
	ck_assert_uint_eq(len, len2);
	ck_assert_mem_eq(doc, again, len);
	for (i = 0; doc[i] != '\0'; i++)
		ck_assert_msg((unsigned char)doc[i] >= 0x20 || doc[i] == '\n' ||
		    doc[i] == '\t', "raw control byte in SARIF");
	free(again);
	cJSON_Delete(d);
	free(doc);
	tg_free(&t);
	tmp_teardown();
}
END_TEST

START_TEST(sarif_pass_and_empty)
{
	struct tg t;
	struct mg_gate_info info;
	char *doc;
	size_t len;
	cJSON *d;

	tmp_setup();
	info_init(&info);
	/* A clean run: no results, no rules, successful, no notifications. */
	tg_init(&t, 2);
	tg_art(&t, "m/x.gguf", "gguf", MG_V_PASS);
	tg_done(&t, MG_RV_PASS, MG_EXIT_OK);
	doc = render(mg_report_sarif, &t.g, &info, &len);
	tu_sarif_schema_ok(save("pass.sarif", doc, len));
	d = sarif_check(doc, &t.g);
	ck_assert_int_eq(cJSON_GetArraySize(get(d, "runs.0.results")), 0);
	ck_assert_int_eq(cJSON_GetArraySize(get(d,
	    "runs.0.tool.driver.rules")), 0);
	ck_assert(cJSON_IsTrue(get(d,
	    "runs.0.invocations.0.executionSuccessful")));
	ck_assert_ptr_null(get(d,
	    "runs.0.invocations.0.toolExecutionNotifications"));
	ck_assert_ptr_null(get(d, "runs.0.results.0.baselineState"));
	cJSON_Delete(d);
	free(doc);
	tg_free(&t);

	/* Nothing scanned: exit 4, still a valid log. */
	tg_init(&t, 1);
	tg_done(&t, MG_RV_EMPTY, MG_EXIT_EMPTY);
	info.generated_at = NULL;
	info.automation_id = "modelgate/scan/";
	doc = render(mg_report_sarif, &t.g, &info, &len);
	tu_sarif_schema_ok(save("empty.sarif", doc, len));
	d = sarif_check(doc, &t.g);
	ck_assert_str_eq(gets_(d, "runs.0.properties.verdict"), "empty");
	ck_assert_int_eq(get(d, "runs.0.invocations.0.exitCode")->valueint, 4);
	ck_assert_ptr_null(get(d, "runs.0.invocations.0.endTimeUtc"));
	cJSON_Delete(d);
	free(doc);
	tg_free(&t);
	tmp_teardown();
}
END_TEST

static const char *
uri_of(const cJSON *d, int i)
{
	return gets_(result_at(d, i),
	    "locations.0.physicalLocation.artifactLocation.uri");
}

START_TEST(sarif_hostile)
{
	static const char ugly[] = "./models/a b#%\xff\xfe<&]]>|`.gguf";
	struct tg t;
	struct mg_gate_info info;
	char *doc, *cwd, abs_in[4096], want[4096];
	size_t len;
	cJSON *d;
	const cJSON *r;

	tmp_setup();
	info_init(&info);
	cwd = getcwd(NULL, 0);
	ck_assert_ptr_nonnull(cwd);
	ck_assert_uint_lt(strlen(cwd), 2000);
	tg_init(&t, 8);
	tg_artn(&t, ugly, sizeof(ugly) - 1, "gguf", MG_V_FAIL);
	tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_ACTIVE,
	    "key \x1b[31mred\x1b[0m \xc3\x28 <b>&amp; ]]> | `x`\x7f",
	    "k\x01\xff", 9, NULL);
	tg_art(&t, "models/./sub/../c.gguf", "gguf", MG_V_FAIL);
	tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_ACTIVE, "m", NULL, 1,
	    NULL);
	snprintf(abs_in, sizeof(abs_in), "%s/deep/x y.gguf", cwd);
	tg_art(&t, abs_in, "gguf", MG_V_FAIL);
	tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_ACTIVE, "m", NULL, 1,
	    NULL);
	tg_done(&t, MG_RV_FAIL, MG_EXIT_FAIL);
	doc = render(mg_report_sarif, &t.g, &info, &len);
	tu_sarif_schema_ok(save("hostile.sarif", doc, len));
	d = sarif_check(doc, &t.g);

	ck_assert_str_eq(uri_of(d, 0),
	    "models/a%20b%23%25%FF%FE%3C%26%5D%5D%3E%7C%60.gguf");
	ck_assert_str_eq(uri_of(d, 1), "models/c.gguf");
	ck_assert_str_eq(uri_of(d, 2), "deep/x%20y.gguf");
	r = result_at(d, 0);
	/* Controls shown as U+FFFD, invalid bytes as U+FFFD, rest verbatim. */
	ck_assert_str_eq(gets_(r, "message.text"),
	    "key \xef\xbf\xbd[31mred\xef\xbf\xbd[0m \xef\xbf\xbd( <b>&amp; "
	    "]]> | `x`\xef\xbf\xbd");
	/* The key exactly, in the escaped text form. */
	ck_assert_str_eq(gets_(r, "properties.key"), "k\\x01\\xff");
	cJSON_Delete(d);
	free(doc);
	tg_free(&t);

	/*
	 * Paths outside the repository root (the current directory) are
	 * written relative with "../": GitHub refuses a whole upload that
	 * holds one absolute file:// URI.
	 */
	tg_init(&t, 2);
	tg_art(&t, "../outside.gguf", "gguf", MG_V_FAIL);
	tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_ACTIVE, "m", NULL, 1,
	    NULL);
	tg_art(&t, "/nonexistent-mg-root/m\xc3\xa9.gguf", "gguf", MG_V_FAIL);
	tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_ACTIVE, "m", NULL, 1,
	    NULL);
	tg_done(&t, MG_RV_FAIL, MG_EXIT_FAIL);
	doc = render(mg_report_sarif, &t.g, &info, &len);
	tu_sarif_schema_ok(save("outside-root.sarif", doc, len));
	d = cJSON_Parse(doc);
	ck_assert_ptr_nonnull(d);
	/* Outside the root: "../" per directory of cwd, never file://. */
	{
		size_t ups = 0, k;
		const char *c;

		for (c = cwd; *c != '\0'; c++)
			if (*c == '/' && c[1] != '\0')
				ups++;
		want[0] = '\0';
		for (k = 0; k < ups && strlen(want) + 4 < sizeof(want); k++)
			strcat(want, "../");
		strncat(want, "nonexistent-mg-root/m%C3%A9.gguf",
		    sizeof(want) - strlen(want) - 1);
		ck_assert_str_eq(uri_of(d, 1), want);
	}
	ck_assert_str_eq(uri_of(d, 0), "../outside.gguf");
	ck_assert_ptr_nonnull(get(result_at(d, 1),
	    "locations.0.physicalLocation.artifactLocation.uriBaseId"));
	cJSON_Delete(d);
	free(doc);
	tg_free(&t);
	free(cwd);
	tmp_teardown();
}
END_TEST

/*
 * More results than GitHub takes: the most severe survive, the run says
 * how many were dropped, the file stays under 10 MB.
 */
START_TEST(sarif_truncated)
{
	enum { NART = 310, PER = 100 };
	struct tg t;
	struct mg_gate_info info;
	char *doc, path[64], msg[160];
	size_t len, i, j, total = 0;
	cJSON *d;
	const cJSON *r, *n;
	size_t per_sev[5] = { 0, 0, 0, 0, 0 }, kept_sev[5] = { 0, 0, 0, 0, 0 };
	int kept, saw_note = 0, sv;

	tmp_setup();
	info_init(&info);
	tg_init(&t, NART);
	for (i = 0; i < NART; i++) {
		snprintf(path, sizeof(path), "models/m%04zu.gguf", i);
		tg_art(&t, path, "gguf", MG_V_FAIL);
		for (j = 0; j < PER; j++) {
			/* Severity by position, so that dropping is visible. */
			enum mg_sev s = (enum mg_sev)((i * PER + j) % 5);

			snprintf(msg, sizeof(msg), "tensor %zu of artifact %zu "
			    "overlaps another tensor's data region", j, i);
			tg_find(&t, MG_R_GGUF_OFFSET, s, MG_FS_ACTIVE, msg,
			    "blk.0.attn_q.weight", j * 64, NULL);
			per_sev[s]++;
			total++;
		}
		/* Findings must be sorted severity desc within an artifact. */
		{
			struct mg_gate_artifact *ga = &t.g.arts[i];
			size_t a, b;

			for (a = 0; a < ga->nfindings; a++)
				for (b = a + 1; b < ga->nfindings; b++)
					if (ga->findings[b].severity >
					    ga->findings[a].severity) {
						struct mg_gate_finding tmp =
						    ga->findings[a];
						struct mg_finding tf =
						    ga->a->findings[a];

						ga->findings[a] =
						    ga->findings[b];
						ga->findings[b] = tmp;
						ga->a->findings[a] =
						    ga->a->findings[b];
						ga->a->findings[b] = tf;
					}
		}
	}
	tg_done(&t, MG_RV_FAIL, MG_EXIT_FAIL);
	doc = render(mg_report_sarif, &t.g, &info, &len);
	ck_assert_uint_lt(len, 10u * 1000 * 1000);
	d = sarif_check(doc, &t.g);
	kept = cJSON_GetArraySize(get(d, "runs.0.results"));
	ck_assert_int_le(kept, 25000);
	ck_assert_int_gt(kept, 15000);
	cJSON_ArrayForEach(r, get(d, "runs.0.results")) {
		enum mg_sev s;

		ck_assert_int_eq(mg_sev_parse(gets_(r, "properties.severity"),
		    &s), MG_OK);
		kept_sev[s]++;
	}
	/*
	 * Most severe first: once a severity lost results, every lower one
	 * lost all of them.  Critical always survives here.
	 */
	ck_assert_uint_eq(kept_sev[MG_SEV_CRIT], per_sev[MG_SEV_CRIT]);
	for (sv = MG_SEV_CRIT; sv > MG_SEV_INFO; sv--)
		if (kept_sev[sv] < per_sev[sv])
			ck_assert_uint_eq(kept_sev[sv - 1], 0);
	ck_assert_int_eq((int)get(d,
	    "runs.0.properties.droppedResults")->valuedouble,
	    (int)(total - (size_t)kept));
	cJSON_ArrayForEach(n, get(d,
	    "runs.0.invocations.0.toolExecutionNotifications"))
		if (strstr(gets_(n, "message.text"), "were dropped") != NULL)
			saw_note = 1;
	ck_assert(saw_note);
	/*
	 * The schema check of 20,000 identical-shaped results takes seconds;
	 * check the run-level parts (notes, properties) on a trimmed copy.
	 * MG_REPORT_SAMPLES still gets the whole document.
	 */
	if (getenv("MG_REPORT_SAMPLES") != NULL)
		save("truncated.sarif", doc, len);
	{
		cJSON *res = (cJSON *)get(d, "runs.0.results");
		char *small;
		int nres;

		for (nres = cJSON_GetArraySize(res); nres > 100; nres--)
			cJSON_DeleteItemFromArray(res, 100);
		small = cJSON_Print(d);
		ck_assert_ptr_nonnull(small);
		tu_sarif_schema_ok(save("truncated-trimmed.sarif", small,
		    strlen(small)));
		free(small);
	}
	cJSON_Delete(d);
	free(doc);
	tg_free(&t);
	tmp_teardown();
}
END_TEST

/* ---- JUnit checks ------------------------------------------------------- */

/* The value of attribute name in the tag starting at p (escaped text). */
static char *
attr(const char *p, const char *name)
{
	const char *end = strchr(p, '>'), *a, *e;
	char pat[64];
	char *v;

	snprintf(pat, sizeof(pat), " %s=\"", name);
	a = strstr(p, pat);
	if (a == NULL || (end != NULL && a > end))
		return NULL;
	a += strlen(pat);
	e = strchr(a, '"');
	ck_assert_ptr_nonnull(e);
	v = strndup(a, (size_t)(e - a));
	ck_assert_ptr_nonnull(v);
	return v;
}

static size_t
count_in(const char *from, const char *to, const char *needle)
{
	size_t n = 0;
	const char *p = from;

	while ((p = strstr(p, needle)) != NULL && (to == NULL || p < to)) {
		n++;
		p++;
	}
	return n;
}

static size_t
num_attr(const char *p, const char *name)
{
	char *v = attr(p, name);
	size_t n;

	ck_assert_msg(v != NULL, "no %s attribute", name);
	n = (size_t)strtoul(v, NULL, 10);
	free(v);
	return n;
}

/*
 * Counts on every suite and on the root match the testcases; (classname,
 * name) pairs are unique; every testcase has a time; the bytes hold no
 * character XML 1.0 refuses.  Returns the number of testcases.
 */
static size_t
junit_check(const char *doc)
{
	const char *s, *next, *c;
	struct mg_strset *seen = mg_strset_new();
	size_t tot[4] = { 0, 0, 0, 0 }, i;
	const char *root = strstr(doc, "<testsuites ");

	ck_assert_ptr_nonnull(seen);
	ck_assert_ptr_nonnull(root);
	for (i = 0; doc[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)doc[i];

		ck_assert_msg(ch >= 0x20 || ch == '\n' || ch == '\t',
		    "control byte 0x%02x at %zu", ch, i);
	}
	ck_assert_ptr_null(strstr(doc, "&#1;"));
	ck_assert_ptr_null(strstr(doc, "<![CDATA["));
	for (s = strstr(doc, "<testsuite "); s != NULL; s = next) {
		size_t tests, fails, errs, skips;
		char *tm;

		next = strstr(s + 1, "<testsuite ");
		tests = count_in(s, next, "<testcase ");
		fails = count_in(s, next, "<failure ");
		errs = count_in(s, next, "<error ");
		skips = count_in(s, next, "<skipped ");
		ck_assert_uint_eq(num_attr(s, "tests"), tests);
		ck_assert_uint_eq(num_attr(s, "failures"), fails);
		ck_assert_uint_eq(num_attr(s, "errors"), errs);
		ck_assert_uint_eq(num_attr(s, "skipped"), skips);
		tm = attr(s, "time");
		ck_assert_ptr_nonnull(tm);
		free(tm);
		tot[0] += tests;
		tot[1] += fails;
		tot[2] += errs;
		tot[3] += skips;
	}
	ck_assert_uint_eq(num_attr(root, "tests"), tot[0]);
	ck_assert_uint_eq(num_attr(root, "failures"), tot[1]);
	ck_assert_uint_eq(num_attr(root, "errors"), tot[2]);
	for (c = strstr(doc, "<testcase "); c != NULL;
	    c = strstr(c + 1, "<testcase ")) {
		char *cn = attr(c, "classname"), *nm = attr(c, "name");
		char *tm = attr(c, "time"), *key;
		size_t kl;
		const char *end = strstr(c + 1, "<testcase ");

		ck_assert_ptr_nonnull(cn);
		ck_assert_ptr_nonnull(nm);
		ck_assert_ptr_nonnull(tm);
		ck_assert_uint_gt(strlen(nm), 0);
		kl = strlen(cn) + strlen(nm) + 2;
		key = malloc(kl);
		ck_assert_ptr_nonnull(key);
		snprintf(key, kl, "%s%c%s", cn, 1, nm);
		ck_assert_msg(mg_strset_add(seen, key, strlen(key)) == 1,
		    "duplicate testcase (%s, %s)", cn, nm);
		/* At most one result element per testcase. */
		ck_assert_uint_le(count_in(c, end, "<failure ") +
		    count_in(c, end, "<error ") + count_in(c, end, "<skipped "),
		    1);
		free(key);
		free(cn);
		free(nm);
		free(tm);
	}
	mg_strset_free(seen);
	return tot[0];
}

/* The testcase element for (classname, name), as text up to its end. */
static char *
testcase(const char *doc, const char *cls, const char *name)
{
	const char *c;

	for (c = strstr(doc, "<testcase "); c != NULL;
	    c = strstr(c + 1, "<testcase ")) {
		char *cn = attr(c, "classname"), *nm = attr(c, "name");
		int hit = strcmp(cn, cls) == 0 && strcmp(nm, name) == 0;
		const char *e;

		free(cn);
		free(nm);
		if (!hit)
			continue;
		e = strstr(c + 1, "<testcase ");
		if (e == NULL)
			e = c + strlen(c);
		return strndup(c, (size_t)(e - c));
	}
	return NULL;
}

START_TEST(junit_mixed)
{
	struct tg t;
	struct mg_gate_info info;
	char *doc, *tc;
	size_t len;

	tmp_setup();
	tg_mixed(&t);
	info_init(&info);
	doc = render(mg_report_junit, &t.g, &info, &len);
	tu_junit_xsd_ok(save("mixed.junit.xml", doc, len));
	/* scan x4, a: HASH-MISMATCH GGUF-COUNT GGUF-TRAIL GGUF-UTF8
	 * GGUF-EMPTY, b: ST-DUPKEY POLICY-LICENSE, c: IO-READ. */
	ck_assert_uint_eq(junit_check(doc), 12);
	ck_assert_ptr_nonnull(strstr(doc, "<testsuite name=\"modelgate.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc,
	    "<testsuite name=\"modelgate.safetensors\""));
	ck_assert_ptr_nonnull(strstr(doc, "timestamp=\"2024-01-02T03:04:05Z\""));

	tc = testcase(doc, "./models/a.gguf", "GGUF-COUNT");
	ck_assert_ptr_nonnull(tc);
	ck_assert_ptr_nonnull(strstr(tc, "<failure message=\"2 findings; "
	    "first: tensor_count 4294967296"));
	ck_assert_ptr_nonnull(strstr(tc, "type=\"GGUF-COUNT\""));
	ck_assert_ptr_nonnull(strstr(tc, "kv_count 99"));
	free(tc);
	tc = testcase(doc, "./models/a.gguf", "GGUF-TRAIL");
	ck_assert_ptr_nonnull(tc);
	ck_assert_ptr_null(strstr(tc, "<failure"));
	ck_assert_ptr_nonnull(strstr(tc, "<system-out>[medium] 12 bytes"));
	free(tc);
	tc = testcase(doc, "./models/a.gguf", "scan");
	ck_assert_ptr_nonnull(tc);
	ck_assert_ptr_nonnull(strstr(tc, "/>"));
	ck_assert_ptr_null(strstr(tc, "<error"));
	free(tc);
	tc = testcase(doc, "models/b.safetensors", "ST-DUPKEY");
	ck_assert_ptr_nonnull(tc);
	ck_assert_ptr_nonnull(strstr(tc, "<skipped message=\"suppressed: "
	    "known upstream bug, ticket 42\""));
	free(tc);
	tc = testcase(doc, "models/b.safetensors", "POLICY-LICENSE");
	ck_assert_ptr_nonnull(tc);
	ck_assert_ptr_nonnull(strstr(tc, "<skipped message=\"baselined"));
	free(tc);
	tc = testcase(doc, "models/c.gguf", "scan");
	ck_assert_ptr_nonnull(tc);
	ck_assert_ptr_nonnull(strstr(tc, "<error message="));
	ck_assert_ptr_nonnull(strstr(tc, "Input/output error"));
	free(tc);
	tc = testcase(doc, "models/d.gguf", "scan");
	ck_assert_ptr_nonnull(tc);
	free(tc);
	free(doc);
	tg_free(&t);
	tmp_teardown();
}
END_TEST

START_TEST(junit_hostile)
{
	struct tg t;
	struct mg_gate_info info;
	char *doc;
	size_t len;

	tmp_setup();
	info_init(&info);
	tg_init(&t, 6);
	/* Paths that differ only in invalid bytes keep distinct names. */
	tg_artn(&t, "m/a\xff.gguf", 9, "gguf", MG_V_FAIL);
	tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_ACTIVE,
	    "key \x1b[31m \"q\" 'a' <x> & ]]> \xef\xbf\xbe \xc2\x85 \r\x01 "
	    "tab\there\nline2", "k\x02", 3, NULL);
	tg_artn(&t, "m/a\xfe.gguf", 9, "gguf", MG_V_FAIL);
	tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_SUPPRESSED, "x", NULL,
	    MG_FINDING_NO_OFFSET, "reason with ]]> & <tags> \x1b and \xff");
	tg_art(&t, "m/a\xef\xbf\xbd.gguf", "gguf", MG_V_PASS);
	tg_art(&t, "m/<&>\"'.gguf", "weird<fmt>&", MG_V_ERROR);
	tg_done(&t, MG_RV_INCOMPLETE, MG_EXIT_INCOMPLETE);
	doc = render(mg_report_junit, &t.g, &info, &len);
	tu_junit_xsd_ok(save("hostile.junit.xml", doc, len));
	ck_assert_uint_eq(junit_check(doc), 6);
	ck_assert_ptr_nonnull(strstr(doc, "classname=\"m/a\\xff.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc, "classname=\"m/a\\xfe.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc, "classname=\"m/a\xef\xbf\xbd.gguf\""));
	ck_assert_ptr_null(strstr(doc, ".gguf (2)"));
	ck_assert_ptr_nonnull(strstr(doc,
	    "classname=\"m/&lt;&amp;&gt;&quot;&apos;.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc,
	    "name=\"modelgate.weird&lt;fmt&gt;&amp;\""));
	ck_assert_ptr_null(strstr(doc, "]]>"));
	ck_assert_ptr_null(strstr(doc, "\xef\xbf\xbe"));
	ck_assert_ptr_null(strstr(doc, "\xc2\x85"));
	ck_assert_ptr_null(strstr(doc, "\r"));
	/* Tabs and newlines from data are escaped like every control. */
	ck_assert_ptr_nonnull(strstr(doc, "tab\\x09here\\x0aline2"));
	ck_assert_ptr_null(strstr(doc, "tab\there"));
	free(doc);
	tg_free(&t);
	tmp_teardown();
}
END_TEST

START_TEST(junit_empty_and_pass)
{
	struct tg t;
	struct mg_gate_info info;
	char *doc;
	size_t len;

	tmp_setup();
	info_init(&info);
	tg_init(&t, 1);
	tg_done(&t, MG_RV_EMPTY, MG_EXIT_EMPTY);
	doc = render(mg_report_junit, &t.g, &info, &len);
	tu_junit_xsd_ok(save("empty.junit.xml", doc, len));
	ck_assert_uint_eq(junit_check(doc), 1);
	ck_assert_ptr_nonnull(strstr(doc, "<error message=\"Nothing to scan"));
	free(doc);
	/* --allow-empty: exit 0, a skipped testcase. */
	t.g.exit_code = MG_EXIT_OK;
	doc = render(mg_report_junit, &t.g, &info, &len);
	tu_junit_xsd_ok(save("empty-allowed.junit.xml", doc, len));
	ck_assert_uint_eq(junit_check(doc), 1);
	ck_assert_ptr_nonnull(strstr(doc, "<skipped message=\"Nothing"));
	free(doc);
	tg_free(&t);

	tg_init(&t, 2);
	tg_art(&t, "a.safetensors", "safetensors", MG_V_PASS);
	tg_find(&t, MG_R_ST_WS, MG_SEV_LOW, MG_FS_ACTIVE, "leading space",
	    NULL, 8, NULL);
	tg_art(&t, "b.gguf", "gguf", MG_V_PASS);
	tg_done(&t, MG_RV_PASS, MG_EXIT_OK);
	doc = render(mg_report_junit, &t.g, &info, &len);
	tu_junit_xsd_ok(save("pass.junit.xml", doc, len));
	ck_assert_uint_eq(junit_check(doc), 3);
	ck_assert_ptr_null(strstr(doc, "<failure"));
	ck_assert_ptr_null(strstr(doc, "<error"));
	ck_assert_ptr_nonnull(strstr(doc, "failures=\"0\" errors=\"0\""));
	free(doc);
	tg_free(&t);
	tmp_teardown();
}
END_TEST

/* Many findings on one rule: the body is capped. */
START_TEST(junit_big_body)
{
	struct tg t;
	struct mg_gate_info info;
	char *doc, msg[600];
	size_t len, i;

	tmp_setup();
	info_init(&info);
	tg_init(&t, 1);
	tg_art(&t, "big.gguf", "gguf", MG_V_FAIL);
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	for (i = 0; i < 900; i++)
		tg_find(&t, MG_R_GGUF_TNAME, MG_SEV_HIGH, MG_FS_ACTIVE, msg,
		    NULL, i, NULL);
	tg_done(&t, MG_RV_FAIL, MG_EXIT_FAIL);
	doc = render(mg_report_junit, &t.g, &info, &len);
	tu_junit_xsd_ok(save("big.junit.xml", doc, len));
	ck_assert_uint_eq(junit_check(doc), 2);
	ck_assert_uint_lt(len, 80u * 1024);
	ck_assert_ptr_nonnull(strstr(doc, "more findings"));
	free(doc);
	tg_free(&t);
	tmp_teardown();
}
END_TEST

/* ---- Markdown ----------------------------------------------------------- */

static size_t
lines_starting(const char *doc, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);
	const char *p = doc;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, pl) == 0)
			n++;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return n;
}

START_TEST(markdown_mixed)
{
	struct tg t;
	struct mg_gate_info info;
	char *doc;
	size_t len;

	tmp_setup();
	tg_mixed(&t);
	info_init(&info);
	doc = render(mg_report_markdown, &t.g, &info, &len);
	save("mixed.md", doc, len);
	ck_assert_msg(strncmp(doc, "### modelgate: fail (exit 1)\n", 29) == 0,
	    "headline: %.60s", doc);
	ck_assert_ptr_nonnull(strstr(doc, "| 4 | 2 | 1 | 1 |"));
	/* critical 1, high 3 counting (IO-READ too); suppressed, baselined */
	ck_assert_ptr_nonnull(strstr(doc, "| 1 | 3 | 0 | 0 | 0 | 1 | 1 |"));
	/* Counting rows: HASH-MISMATCH, 2x GGUF-COUNT, IO-READ. */
	ck_assert_uint_eq(lines_starting(doc, "| critical |"), 1);
	ck_assert_uint_eq(lines_starting(doc, "| high |"), 3);
	ck_assert_ptr_nonnull(strstr(doc, "| critical | HASH-MISMATCH | "
	    "./models/a.gguf | sha256 differs from the lock file |\n"));
	ck_assert_ptr_nonnull(strstr(doc, "#### Could not be checked\n\n- "
	    "models/c.gguf\n"));
	ck_assert_ptr_null(strstr(doc, "more; see"));
	ck_assert_ptr_nonnull(strstr(doc, "**The scan is incomplete:**"));
	free(doc);
	tg_free(&t);

	/* Empty and clean runs. */
	tg_init(&t, 1);
	tg_done(&t, MG_RV_EMPTY, MG_EXIT_EMPTY);
	doc = render(mg_report_markdown, &t.g, &info, &len);
	ck_assert(strncmp(doc, "### modelgate: empty (exit 4)\n", 30) == 0);
	ck_assert_ptr_nonnull(strstr(doc, "Nothing was scanned"));
	ck_assert_ptr_null(strstr(doc, "#### Findings"));
	free(doc);
	tg_free(&t);
	tmp_teardown();
}
END_TEST

START_TEST(markdown_hostile_and_capped)
{
	struct tg t;
	struct mg_gate_info info;
	char *doc, msg[1000], path[600];
	size_t len, i, j;
	const char *p;

	tmp_setup();
	info_init(&info);
	tg_init(&t, 180);
	for (i = 0; i < 120; i++) {
		/* Long hostile paths and messages that escape to 2-5x. */
		snprintf(path, sizeof(path), "m/%03zu|`<&>@team|[x](y)", i);
		for (j = strlen(path); j < sizeof(path) - 1; j++)
			path[j] = "|<&"[j % 3];
		path[sizeof(path) - 1] = '\0';
		tg_art(&t, path, "gguf", MG_V_FAIL);
		snprintf(msg, sizeof(msg), "bad | `code` <script>alert(1)"
		    "</script>\nnew line\r\x1b[2J *em* _u_ [l](http://e) @all "
		    "\xff");
		for (j = strlen(msg); j < sizeof(msg) - 1; j++)
			msg[j] = '&';
		msg[sizeof(msg) - 1] = '\0';
		tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_ACTIVE, msg,
		    NULL, 1, NULL);
		tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_ACTIVE, msg,
		    NULL, 2, NULL);
	}
	for (i = 0; i < 60; i++) {
		snprintf(path, sizeof(path), "err/%02zu.gguf", i);
		tg_art(&t, path, "gguf", MG_V_ERROR);
	}
	tg_done(&t, MG_RV_FAIL, MG_EXIT_FAIL);
	doc = render(mg_report_markdown, &t.g, &info, &len);
	save("hostile.md", doc, len);
	ck_assert_uint_lt(len, 64u * 1024);
	ck_assert_uint_eq(lines_starting(doc, "| high |"), 50);
	ck_assert_ptr_nonnull(strstr(doc, "\xe2\x80\xa6 and 190 more"));
	ck_assert_ptr_null(strstr(doc, "<script"));
	ck_assert_ptr_null(strstr(doc, "\x1b"));
	ck_assert_ptr_null(strstr(doc, "\r"));
	ck_assert_ptr_null(strstr(doc, "\xff"));
	ck_assert_ptr_null(strstr(doc, " @all"));
	ck_assert_ptr_nonnull(strstr(doc, "\\[l\\](http"));	/* no link */
	/* Every table row has exactly the cell separators of its header. */
	for (p = doc; p != NULL && *p != '\0'; p = strchr(p, '\n'),
	    p = p != NULL ? p + 1 : NULL) {
		const char *e = strchr(p, '\n');
		size_t bars = 0;
		const char *q;

		if (strncmp(p, "| high |", 8) != 0)
			continue;
		for (q = p; q < e; q++) {
			if (*q == '|' && q[-1] != '\\')
				bars++;
			/* Backticks and brackets only ever escaped. */
			if (*q == '`' || *q == '[' || *q == '<')
				ck_assert_int_eq(q[-1], '\\');
		}
		ck_assert_uint_eq(bars, 5);
	}
	ck_assert_ptr_nonnull(strstr(doc, "- err/49.gguf\n- \xe2\x80\xa6 and 10 "
	    "more\n"));
	ck_assert_ptr_null(strstr(doc, "- err/50.gguf"));
	ck_assert_uint_eq(lines_starting(doc, "- err/"), 50);
	free(doc);
	tg_free(&t);
	tmp_teardown();
}
END_TEST

/* 1 when some line of s, after leading blanks, is a workflow command. */
static int
workflow_command(const char *s)
{
	const char *p = s;

	if (strstr(s, "##[") != NULL)
		return 1;
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (p[0] == ':' && p[1] == ':')
			return 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}

/*
 * Names and messages that forge GitHub workflow commands: the runner
 * trims leading whitespace before "::" and honours "##[" anywhere.
 */
START_TEST(hole10_reports_defuse_workflow_commands)
{
	static const mg_gate_writer_fn logs[] = {
		mg_report_gate_text, mg_report_markdown, mg_report_gate_json,
		mg_report_sarif, mg_report_codequality, mg_report_junit
	};
	/* Markdown escapes the backslash of the text escape once more. */
	static const char *const shown[] = {
		"title=x:\\x3aAll models", "title=x:\\\\x3aAll models",
		"\"m/#\\u0023[error]x.gguf\"", "m/%23%23%5Berror%5Dx.gguf",
		"\"m/#\\u0023[error]x.gguf\"", "m/#\\x23[error]x.gguf"
	};
	struct tg t;
	struct mg_gate_info info;
	char *doc;
	size_t len, i;

	tmp_setup();
	info_init(&info);
	info.policy_source = "::error::policy ##[warning]p";
	tg_init(&t, 4);
	tg_art(&t, "::error title=x::All models verified.gguf", "gguf",
	    MG_V_FAIL);
	tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_ACTIVE,
	    "key\n::warning::forged\r\n  ::notice::x ##[error]y",
	    "k##[group]", 3, NULL);
	tg_art(&t, "m/##[error]x.gguf", "gguf", MG_V_ERROR);
	tg_find(&t, MG_R_IO_READ, MG_SEV_HIGH, MG_FS_ACTIVE,
	    " ::add-mask::secret", NULL, MG_FINDING_NO_OFFSET, NULL);
	tg_done(&t, MG_RV_FAIL, MG_EXIT_FAIL);
	for (i = 0; i < sizeof(logs) / sizeof(logs[0]); i++) {
		doc = render(logs[i], &t.g, &info, &len);
		ck_assert_msg(!workflow_command(doc), "writer %zu:\n%s", i, doc);
		ck_assert_ptr_null(strchr(doc, '\r'));
		ck_assert_ptr_nonnull(strstr(doc, shown[i]));
		free(doc);
	}
	tg_free(&t);
	tmp_teardown();
}
END_TEST

/*
 * Two files whose names differ only in bytes that are not UTF-8 stay
 * two distinct names in every report.
 */
START_TEST(hole15_reports_keep_distinct_paths)
{
	struct tg t;
	struct mg_gate_info info;
	char *doc;
	size_t len;

	tmp_setup();
	info_init(&info);
	tg_init(&t, 4);
	tg_artn(&t, "m/a\xff.gguf", 9, "gguf", MG_V_FAIL);
	tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_ACTIVE, "m", "k\xff", 1,
	    NULL);
	tg_artn(&t, "m/a\xfe.gguf", 9, "gguf", MG_V_FAIL);
	tg_find(&t, MG_R_GGUF_KEY, MG_SEV_HIGH, MG_FS_ACTIVE, "m", "k\xfe", 1,
	    NULL);
	tg_art(&t, "m/a\xef\xbf\xbd.gguf", "gguf", MG_V_PASS);
	tg_find(&t, MG_R_GGUF_KEY, MG_SEV_LOW, MG_FS_ACTIVE, "m", NULL, 1,
	    NULL);
	tg_done(&t, MG_RV_FAIL, MG_EXIT_FAIL);

	doc = render(mg_report_gate_json, &t.g, &info, &len);
	save("distinct.json", doc, len);
	ck_assert_ptr_nonnull(strstr(doc, "\"m/a\\udcff.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"m/a\\udcfe.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"m/a\xef\xbf\xbd.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"k\\udcff\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"k\\udcfe\""));
	free(doc);

	doc = render(mg_report_sarif, &t.g, &info, &len);
	tu_sarif_schema_ok(save("distinct.sarif", doc, len));
	ck_assert_ptr_nonnull(strstr(doc, "\"m/a%FF.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"m/a%FE.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"m/a%EF%BF%BD.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"k\\\\xff\""));
	ck_assert_ptr_nonnull(strstr(doc, "\"k\\\\xfe\""));
	free(doc);

	doc = render(mg_report_junit, &t.g, &info, &len);
	tu_junit_xsd_ok(save("distinct.junit.xml", doc, len));
	ck_assert_ptr_nonnull(strstr(doc, "classname=\"m/a\\xff.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc, "classname=\"m/a\\xfe.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc,
	    "classname=\"m/a\xef\xbf\xbd.gguf\""));
	ck_assert_ptr_null(strstr(doc, "(2)"));
	free(doc);

	/* Markdown shows the escaped text; '\' itself is escaped for it. */
	doc = render(mg_report_markdown, &t.g, &info, &len);
	ck_assert_ptr_nonnull(strstr(doc, "m/a\\\\xff.gguf"));
	ck_assert_ptr_nonnull(strstr(doc, "m/a\\\\xfe.gguf"));
	free(doc);

	doc = render(mg_report_gate_text, &t.g, &info, &len);
	ck_assert_ptr_nonnull(strstr(doc, " m/a\\xff.gguf (gguf)\n"));
	ck_assert_ptr_nonnull(strstr(doc, " m/a\\xfe.gguf (gguf)\n"));
	ck_assert_ptr_nonnull(strstr(doc, " m/a\xef\xbf\xbd.gguf (gguf)\n"));
	free(doc);
	tg_free(&t);
	tmp_teardown();
}
END_TEST

Suite *
gate_report_suite(void)
{
	Suite *s = suite_create("gate_report");
	TCase *tc = tcase_create("sarif");

	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, sarif_mixed);
	tcase_add_test(tc, sarif_pass_and_empty);
	tcase_add_test(tc, sarif_hostile);
	tcase_add_test(tc, sarif_truncated);
	suite_add_tcase(s, tc);
	tc = tcase_create("junit");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, junit_mixed);
	tcase_add_test(tc, junit_hostile);
	tcase_add_test(tc, junit_empty_and_pass);
	tcase_add_test(tc, junit_big_body);
	suite_add_tcase(s, tc);
	tc = tcase_create("markdown");
	tcase_add_test(tc, markdown_mixed);
	tcase_add_test(tc, markdown_hostile_and_capped);
	tcase_add_test(tc, hole10_reports_defuse_workflow_commands);
	tcase_add_test(tc, hole15_reports_keep_distinct_paths);
	suite_add_tcase(s, tc);
	return s;
}
