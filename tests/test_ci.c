/*
 * test_ci.c - what CI systems read: GitLab code quality, GitHub
 * annotations, the composite action (action.yml + ci/action-run.sh) run
 * the way a runner runs it, and the GitLab template.
 *
 * The action and template checks need python3 with PyYAML (Debian
 * python3-yaml, installed by ci/install-deps.sh); its absence fails the
 * test.  The sample is the demo's failing tree, whose hostile model has a
 * file name and metadata that try to forge workflow commands.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "demo.h"
#include "suites.h"
#include "tutil.h"

static struct tres
scan_in(const char *dir, const char *const *extra)
{
	const char *args[40] = { "scan", "-q" };
	int n = 2, i;

	for (i = 0; extra[i] != NULL && n < 39; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	return tu_run(dir, args);
}

static char *
in(const char *d, const char *name)
{
	char p[4200];
	char *s;

	snprintf(p, sizeof(p), "%s/%s", d, name);
	s = tu_slurp(p, NULL);
	ck_assert_msg(s != NULL, "%s missing", p);
	return s;
}

/* Every documented field of every issue, and which findings are issues. */
START_TEST(codequality_fields_and_selection)
{
	char *root = tu_tmpdir(), d[4200], *s;
	cJSON *cq, *rep, *it, *a, *f;
	struct tres r;
	int active = 0, issues = 0, trail = 0;

	mg_gen_demo_bad(root);
	snprintf(d, sizeof(d), "%s/bad", root);
	r = scan_in(d, (const char *const[]){ "--policy", "policy.json",
	    "--lock", "modelgate.lock", "--json", "r.json", "--codequality",
	    "cq.json", "models", NULL });
	ck_assert_int_eq(r.status, 1);
	tu_free(&r);
	s = in(d, "cq.json");
	ck_assert_msg((unsigned char)s[0] != 0xef, "byte order mark");
	cq = cJSON_Parse(s);
	free(s);
	ck_assert(cJSON_IsArray(cq));
	cJSON_ArrayForEach(it, cq) {
		const cJSON *loc = cJSON_GetObjectItem(it, "location");
		const cJSON *lines = cJSON_GetObjectItem(loc, "lines");
		const char *sev = cJSON_GetStringValue(
		    cJSON_GetObjectItem(it, "severity"));
		const char *fp = cJSON_GetStringValue(
		    cJSON_GetObjectItem(it, "fingerprint"));
		const char *check = cJSON_GetStringValue(
		    cJSON_GetObjectItem(it, "check_name"));

		issues++;
		ck_assert(cJSON_IsString(cJSON_GetObjectItem(it, "description")));
		ck_assert_ptr_nonnull(check);
		ck_assert_ptr_nonnull(fp);
		ck_assert_uint_eq(strlen(fp), 64);
		ck_assert_ptr_nonnull(sev);
		ck_assert(strcmp(sev, "info") == 0 || strcmp(sev, "minor") == 0 ||
		    strcmp(sev, "major") == 0 || strcmp(sev, "critical") == 0 ||
		    strcmp(sev, "blocker") == 0);
		ck_assert(cJSON_IsString(cJSON_GetObjectItem(loc, "path")));
		ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(lines, "begin")));
		ck_assert_int_eq(cJSON_GetObjectItem(lines, "begin")->valueint, 1);
		if (strcmp(check, "HASH-MISMATCH") == 0)
			ck_assert_str_eq(sev, "blocker");
		if (strcmp(check, "POLICY-SUPPRESS-UNUSED") == 0)
			ck_assert_str_eq(sev, "minor");
		trail += strcmp(check, "GGUF-TRAIL") == 0;
	}
	/* The suppressed GGUF-TRAIL is not an issue; every active one is. */
	ck_assert_int_eq(trail, 0);
	s = in(d, "r.json");
	rep = cJSON_Parse(s);
	free(s);
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(rep, "artifacts"))
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(a, "findings"))
			active += strcmp(cJSON_GetStringValue(
			    cJSON_GetObjectItem(f, "state")), "active") == 0;
	ck_assert_int_eq(issues, active);
	ck_assert_int_gt(issues, 5);
	cJSON_Delete(cq);
	cJSON_Delete(rep);
	tu_rmrf(root);
	free(root);
}
END_TEST

/*
 * Every line of an annotations file is one intended command: the file
 * name "x::error title=pwn::ok.gguf" and an architecture holding
 * newlines, "::error" and "##[error]" cannot start a line of their own.
 */
static void
annotations_ok(const char *text, size_t max)
{
	const char *p = text;
	size_t lines = 0, errors = 0;

	while (*p != '\0') {
		const char *nl = strchr(p, '\n');

		ck_assert_ptr_nonnull(nl);
		ck_assert_msg(strncmp(p, "::error file=", 13) == 0 ||
		    strncmp(p, "::warning file=", 15) == 0 ||
		    strncmp(p, "::notice title=modelgate::", 26) == 0,
		    "unexpected line: %.*s", (int)(nl - p), p);
		ck_assert(memchr(p, '\r', (size_t)(nl - p)) == NULL);
		errors += strncmp(p, "::error", 7) == 0;
		lines++;
		p = nl + 1;
	}
	ck_assert_uint_le(lines, max + 1);
	ck_assert_uint_ge(errors, 1);
	ck_assert_ptr_null(strstr(text, "\n##["));
}

START_TEST(github_annotations_escape_and_cap)
{
	char *root = tu_tmpdir(), d[4200], *s, *q;
	struct tres r;

	mg_gen_demo_bad(root);
	snprintf(d, sizeof(d), "%s/bad", root);
	r = scan_in(d, (const char *const[]){ "--policy", "policy.json",
	    "--github", "gh.txt", "--github-max", "50", "models", NULL });
	ck_assert_int_eq(r.status, 1);
	tu_free(&r);
	s = in(d, "gh.txt");
	annotations_ok(s, 50);
	/* Properties: ':' and ',' escaped; data: newlines escaped. */
	ck_assert_ptr_nonnull(strstr(s, "file=models/x%3A%3Aerror "
	    "title=pwn%3A%3Aok.gguf,line=1,title=POLICY-VALUE::"));
	q = strstr(s, "title=POLICY-VALUE::");
	ck_assert_ptr_nonnull(q);
	ck_assert_ptr_nonnull(strstr(q, "llama%0A::error title=pwn::forged"));
	ck_assert_ptr_nonnull(strstr(q, "%0A##[error]forged too"));
	free(s);

	/* The cap: 3 annotations and the notice that counts the rest. */
	r = scan_in(d, (const char *const[]){ "--policy", "policy.json",
	    "--lock", "modelgate.lock", "--github", "gh3.txt",
	    "--github-max", "3", "models", NULL });
	tu_free(&r);
	s = in(d, "gh3.txt");
	annotations_ok(s, 3);
	ck_assert_ptr_nonnull(strstr(s, ", 3 annotated, "));
	/* The most severe first. */
	ck_assert_msg(strncmp(s, "::error file=models/tinyllama-q8_0.gguf,"
	    "line=1,title=HASH-MISMATCH::critical: ", 75) == 0, "%s", s);
	free(s);
	r = scan_in(d, (const char *const[]){ "--github-max", "0", "models",
	    NULL });
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	tu_rmrf(root);
	free(root);
}
END_TEST

/* ---- the action, the GitLab template, the pre-deploy script ---------- */

/* The repository root (MG_README is its README.md). */
static const char *
repo(void)
{
	static char root[4096];
	char *slash;

	snprintf(root, sizeof(root), "%s", tu_env("MG_README"));
	if ((slash = strrchr(root, '/')) != NULL)
		*slash = '\0';
	return root;
}

/* A python3 with PyYAML: Debian's first, then the PATH's. */
static const char *
python_yaml(void)
{
	if (system("/usr/bin/python3 -c 'import yaml' >/dev/null 2>&1") == 0)
		return "/usr/bin/python3";
	ck_assert_msg(system("python3 -c 'import yaml' >/dev/null 2>&1") == 0,
	    "no python3 with PyYAML: run ci/install-deps.sh (python3-yaml)");
	return "python3";
}

static int sh_rc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh_rc(const char *fmt, ...)
{
	char cmd[16384];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

START_TEST(action_and_templates_are_well_formed)
{
	char cmd[8192];

	snprintf(cmd, sizeof(cmd), "cd '%s' && %s tests/action_harness.py lint "
	    "action.yml ci/gitlab/modelgate.gitlab-ci.yml", repo(),
	    python_yaml());
	ck_assert_msg(system(cmd) == 0, "action.yml or the GitLab template "
	    "fails the lint");
	snprintf(cmd, sizeof(cmd), "cd '%s' && %s -c 'import sys, yaml\n"
	    "for f in sys.argv[1:]:\n"
	    "    d = yaml.safe_load(open(f))\n"
	    "    assert isinstance(d, dict) and \"on\" in d or True in d or "
	    "d.get(\"kind\") == \"Job\", f\n' .github/workflows/ci.yml "
	    "ci/k8s/modelgate-scan-job.yaml ci/k8s/modelgate-merge-job.yaml",
	    repo(), python_yaml());
	ck_assert_msg(system(cmd) == 0, "a workflow or Kubernetes file is not "
	    "well-formed YAML");
}
END_TEST

static void
action_run(const char *dir, const char *inputs)
{
	char cmd[16384];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s/out' && mkdir -p '%s/out' && "
	    "cd '%s' && %s tests/action_harness.py run action.yml \"$PWD\" "
	    "'%s' '%s/out' '%s' %s", dir, dir, repo(), python_yaml(), dir, dir,
	    tu_env("MG_BIN"), inputs);
	ck_assert_msg(system(cmd) == 0, "the harness failed: %s", cmd);
}

/*
 * The commands a runner obeys in the step's output: only the stop and
 * resume around modelgate's own output and the annotations; nothing in
 * legacy "##[" form, whatever the model's name and metadata say.
 */
static int
commands_ok(const char *dir, size_t *nerrors)
{
	char *s = in(dir, "out/commands.json");
	cJSON *j = cJSON_Parse(s), *c;
	int stops = 0;

	free(s);
	ck_assert(cJSON_IsArray(j));
	*nerrors = 0;
	cJSON_ArrayForEach(c, j) {
		const char *cmd = cJSON_GetStringValue(cJSON_GetObjectItem(c,
		    "cmd"));
		const cJSON *props = cJSON_GetObjectItem(c, "props");

		ck_assert_ptr_null(cJSON_GetObjectItem(c, "legacy"));
		ck_assert_ptr_nonnull(cmd);
		if (strcmp(cmd, "stop-commands") == 0 ||
		    strcmp(cmd, "resume-commands") == 0) {
			stops++;
			continue;
		}
		ck_assert_msg(strcmp(cmd, "error") == 0 ||
		    strcmp(cmd, "warning") == 0 || strcmp(cmd, "notice") == 0,
		    "unexpected workflow command %s", cmd);
		if (strcmp(cmd, "notice") != 0) {
			const char *file = cJSON_GetStringValue(
			    cJSON_GetObjectItem(props, "file"));

			ck_assert_ptr_nonnull(file);
			ck_assert_ptr_nonnull(strstr(file, "models/"));
			ck_assert_ptr_null(strchr(file, ':'));
			ck_assert_ptr_null(strchr(file, ','));
		}
		*nerrors += strcmp(cmd, "error") == 0;
	}
	cJSON_Delete(j);
	return stops;
}

/* Every stdout line that starts with "::" is an intended command. */
static void
stdout_lines_ok(const char *dir)
{
	char *s = in(dir, "out/stdout"), *p = s;

	while (p != NULL && *p != '\0') {
		char *nl = strchr(p, '\n');
		const char *t = p;

		while (*t == ' ' || *t == '\t')
			t++;
		if (strncmp(t, "::", 2) == 0)
			ck_assert_msg(t == p && (strncmp(p, "::error file=", 13) == 0 ||
			    strncmp(p, "::warning file=", 15) == 0 ||
			    strncmp(p, "::notice title=modelgate::", 26) == 0 ||
			    strncmp(p, "::stop-commands::mg", 19) == 0 ||
			    strncmp(p, "::mg", 4) == 0),
			    "stray command line: %.*s", nl ? (int)(nl - p) : 80, p);
		p = nl != NULL ? nl + 1 : NULL;
	}
	free(s);
}

START_TEST(action_scan_step_runs_like_a_runner)
{
	char *root = tu_tmpdir(), bad[4200], good[4200], p[4300], *s;
	size_t nerr;

	mg_gen_demo(root);	/* root/models passes; root/bad does not */
	snprintf(bad, sizeof(bad), "%s/bad", root);
	snprintf(good, sizeof(good), "%s", root);

	action_run(bad, "paths=models policy=policy.json lock=modelgate.lock "
	    "'annotations=5'");
	s = in(bad, "out/rc");
	ck_assert_str_eq(s, "1\n");
	free(s);
	s = in(bad, "out/github_output");
	ck_assert_ptr_nonnull(strstr(s, "exit-code=1\n"));
	ck_assert_ptr_nonnull(strstr(s, "verdict=fail\n"));
	ck_assert_ptr_nonnull(strstr(s, "critical=1\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nmodelgate.sarif\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nmodelgate.junit.xml\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nmodelgate.json\n"));
	free(s);
	s = in(bad, "out/step_summary.md");
	ck_assert_ptr_nonnull(strstr(s, "fail"));
	ck_assert_ptr_nonnull(strstr(s, "HASH-MISMATCH"));
	free(s);
	ck_assert_int_eq(commands_ok(bad, &nerr), 2);
	ck_assert_uint_ge(nerr, 1);
	ck_assert_uint_le(nerr, 5);
	stdout_lines_ok(bad);
	snprintf(p, sizeof(p), "%s/modelgate.sarif", bad);
	tu_sarif_schema_ok(p);

	/* Multi-line paths input and a tree that passes. */
	action_run(good, "'paths=models\\nmodels/bert-mini' upload-sarif=false");
	s = in(good, "out/rc");
	ck_assert_str_eq(s, "0\n");
	free(s);
	s = in(good, "out/github_output");
	ck_assert_ptr_nonnull(strstr(s, "exit-code=0\n"));
	ck_assert_ptr_nonnull(strstr(s, "verdict=pass\n"));
	ck_assert_ptr_nonnull(strstr(s, "high=0\n"));
	free(s);
	s = in(good, "out/step_summary.md");
	ck_assert_ptr_nonnull(strstr(s, "pass"));
	free(s);
	ck_assert_int_eq(commands_ok(good, &nerr), 2);
	ck_assert_uint_eq(nerr, 0);
	stdout_lines_ok(good);

	/* A signed shard: the key is the secret and the run id. */
	action_run(good, "paths=models shard=1/1 shard-key=0123456789abcdef "
	    "json-file=s.json upload-sarif=false");
	s = in(good, "s.json");
	ck_assert_ptr_nonnull(strstr(s, "\"signature\":"));
	free(s);
	tu_write(good, "k", "0123456789abcdef4242");
	{
		struct tres r = tu_run(good, (const char *const[]){ "merge",
		    "-q", "--shard-key", "k", "s.json", NULL });

		ck_assert_msg(r.status == 0, "merge exit %d: %s", r.status,
		    r.err);
		tu_free(&r);
	}
	tu_rmrf(root);
	free(root);
}
END_TEST

/*
 * Reports a pull request committed at the report paths are never read,
 * published or uploaded: a scan that stops before writing its reports
 * (exit 2) leaves no report, and the outputs say "error".
 */
START_TEST(action_stale_reports_are_not_believed)
{
	char *root = tu_tmpdir(), bad[4200], p[4300], *s;

	mg_gen_demo(root);
	snprintf(bad, sizeof(bad), "%s/bad", root);
	tu_sh("cd '%s' && printf '{\\n  \"verdict\": \"pass\",\\n  "
	    "\"critical\": 7,\\n}\\n' >modelgate.json && "
	    "echo stale >modelgate.sarif && echo stale >modelgate.junit.xml && "
	    "echo '{' >broken-policy.json", bad);
	action_run(bad, "paths=models policy=broken-policy.json "
	    "lock=modelgate.lock");
	s = in(bad, "out/rc");
	ck_assert_str_eq(s, "2\n");
	free(s);
	s = in(bad, "out/github_output");
	ck_assert_ptr_nonnull(strstr(s, "exit-code=2\n"));
	ck_assert_ptr_nonnull(strstr(s, "verdict=error\n"));
	ck_assert_ptr_nonnull(strstr(s, "critical=0\n"));
	ck_assert_ptr_null(strstr(s, "modelgate.sarif"));
	ck_assert_ptr_null(strstr(s, "modelgate.json"));
	free(s);
	snprintf(p, sizeof(p), "%s/modelgate.sarif", bad);
	ck_assert_int_ne(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "%s/modelgate.json", bad);
	ck_assert_int_ne(access(p, F_OK), 0);
	tu_rmrf(root);
	free(root);
}
END_TEST

/* The cache key is a digest of the sources; a hit builds nothing. */
START_TEST(action_build_reuses_a_cached_binary)
{
	char *t = tu_tmpdir(), *s, *s2;

	ck_assert_int_eq(sh_rc("cd '%s' && GITHUB_OUTPUT='%s/o1' RUNNER_TEMP='%s' "
	    "MG_ACTION_PATH=\"$PWD\" bash ci/action-build.sh key", repo(), t, t),
	    0);
	ck_assert_int_eq(sh_rc("cd '%s' && GITHUB_OUTPUT='%s/o2' RUNNER_TEMP='%s' "
	    "MG_ACTION_PATH=\"$PWD\" bash ci/action-build.sh key", repo(), t, t),
	    0);
	s = in(t, "o1");
	s2 = in(t, "o2");
	ck_assert_str_eq(s, s2);
	ck_assert_ptr_nonnull(strstr(s, "key=modelgate-"));
	ck_assert_ptr_nonnull(strstr(s, "bin-dir="));
	free(s);
	free(s2);
	tu_sh("mkdir -p '%s/bin' && cp '%s' '%s/bin/modelgate'", t,
	    tu_env("MG_BIN"), t);
	ck_assert_int_eq(sh_rc("cd '%s' && RUNNER_TEMP='%s' MG_ACTION_PATH=\"$PWD\" "
	    "MG_BIN_DIR='%s/bin' MG_CACHE_HIT=true bash ci/action-build.sh build "
	    ">'%s/log' 2>&1", repo(), t, t, t), 0);
	s = in(t, "log");
	ck_assert_ptr_nonnull(strstr(s, "cached build"));
	free(s);
	ck_assert_int_ne(access("modelgate-build", F_OK), 0);
	{
		char p[4200];

		snprintf(p, sizeof(p), "%s/modelgate-build", t);
		ck_assert_int_ne(access(p, F_OK), 0);
	}
	tu_rmrf(t);
	free(t);
}
END_TEST

static int
gitlab_job(const char *dir, const char *job, const char *vars)
{
	char cmd[16384];
	int rc;

	snprintf(cmd, sizeof(cmd), "cd '%s' && %s tests/action_harness.py "
	    "gitlab ci/gitlab/modelgate.gitlab-ci.yml '%s' \"$PWD\" '%s' "
	    "MODELGATE_BIN='%s' %s >/dev/null 2>&1", repo(), python_yaml(),
	    job, dir, tu_env("MG_BIN"), vars);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

START_TEST(gitlab_scan_job_succeeds_and_gate_fails)
{
	char *root = tu_tmpdir(), d[4200], *s;
	static const char vars[] = "MODELGATE_PATHS=models "
	    "MODELGATE_POLICY=policy.json MODELGATE_LOCK=modelgate.lock";
	char v[512];

	mg_gen_demo_bad(root);
	snprintf(d, sizeof(d), "%s/bad", root);
	ck_assert_int_eq(gitlab_job(d, "modelgate-scan", vars), 0);
	s = in(d, "modelgate-reports/exit-code");
	ck_assert_str_eq(s, "1\n");
	free(s);
	free(in(d, "modelgate-reports/modelgate.junit.xml"));
	free(in(d, "modelgate-reports/modelgate.codequality.json"));
	ck_assert_int_eq(gitlab_job(d, "modelgate-gate", ""), 1);

	/* parallel: 3 shards, the merge, the gate. */
	tu_sh("rm -rf '%s/modelgate-reports'", d);
	for (int i = 1; i <= 3; i++) {
		snprintf(v, sizeof(v), "%s CI_NODE_INDEX=%d CI_NODE_TOTAL=3",
		    vars, i);
		ck_assert_int_eq(gitlab_job(d, ".modelgate-scan-shard", v), 0);
	}
	ck_assert_int_eq(gitlab_job(d, ".modelgate-merge", ""), 0);
	s = in(d, "modelgate-reports/exit-code");
	ck_assert_str_eq(s, "1\n");
	free(s);
	free(in(d, "modelgate-reports/modelgate.junit.xml"));
	ck_assert_int_eq(gitlab_job(d, "modelgate-gate", ""), 1);
	/*
	 * Signed shards: the merge of the same pipeline verifies them; the
	 * key of another pipeline (a replayed report) is refused (exit 2).
	 */
	tu_sh("rm -rf '%s/modelgate-reports'", d);
	for (int i = 1; i <= 3; i++) {
		snprintf(v, sizeof(v), "%s CI_NODE_INDEX=%d CI_NODE_TOTAL=3 "
		    "MODELGATE_SHARD_KEY=0123456789abcdef CI_PIPELINE_ID=42",
		    vars, i);
		ck_assert_int_eq(gitlab_job(d, ".modelgate-scan-shard", v), 0);
	}
	s = in(d, "modelgate-reports/shard-1/modelgate.json");
	ck_assert_ptr_nonnull(strstr(s, "\"signature\":"));
	free(s);
	ck_assert_int_eq(gitlab_job(d, ".modelgate-merge",
	    "MODELGATE_SHARD_KEY=0123456789abcdef CI_PIPELINE_ID=42"), 0);
	s = in(d, "modelgate-reports/exit-code");
	ck_assert_str_eq(s, "1\n");
	free(s);
	ck_assert_int_eq(gitlab_job(d, ".modelgate-merge",
	    "MODELGATE_SHARD_KEY=0123456789abcdef CI_PIPELINE_ID=43"), 0);
	s = in(d, "modelgate-reports/exit-code");
	ck_assert_str_eq(s, "2\n");
	free(s);
	/* No recorded code: the gate does not pass. */
	tu_sh("rm -rf '%s/modelgate-reports'", d);
	ck_assert_int_eq(gitlab_job(d, "modelgate-gate", ""), 3);
	tu_rmrf(root);
	free(root);
}
END_TEST

/*
 * MODELGATE_ARGS reach the merge: --allow-empty on a tree with no model
 * gives the sharded pipeline the unsharded exit code, 0.
 */
START_TEST(gitlab_merge_gets_the_scan_args)
{
	char *d = tu_tmpdir(), *s;
	static const char vars[] = "MODELGATE_PATHS=models "
	    "'MODELGATE_ARGS=--allow-empty --no-sidecars'";
	char v[512];

	tu_sh("mkdir -p '%s/models' && echo hello >'%s/models/README.txt'", d,
	    d);
	ck_assert_int_eq(gitlab_job(d, "modelgate-scan", vars), 0);
	s = in(d, "modelgate-reports/exit-code");
	ck_assert_str_eq(s, "0\n");
	free(s);
	tu_sh("rm -rf '%s/modelgate-reports'", d);
	for (int i = 1; i <= 2; i++) {
		snprintf(v, sizeof(v), "%s CI_NODE_INDEX=%d CI_NODE_TOTAL=2",
		    vars, i);
		ck_assert_int_eq(gitlab_job(d, ".modelgate-scan-shard", v), 0);
	}
	ck_assert_int_eq(gitlab_job(d, ".modelgate-merge", vars), 0);
	s = in(d, "modelgate-reports/exit-code");
	ck_assert_str_eq(s, "0\n");
	free(s);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * GitLab: MODELGATE_TRUSTED_REF takes the policy and lock from the target
 * branch, not from the change; a shard that exited 2 is not merged.
 */
START_TEST(gitlab_trusted_ref_and_failed_shard)
{
	char *root = tu_tmpdir(), d[4200], *s;
	static const char vars[] = "MODELGATE_PATHS=models "
	    "MODELGATE_POLICY=policy.json MODELGATE_LOCK=modelgate.lock";
	char v[512];

	mg_gen_demo_bad(root);
	snprintf(d, sizeof(d), "%s/bad", root);
	tu_sh("cd '%s' && git init -q . && git -c user.email=t@t "
	    "-c user.name=t add -A && git -c user.email=t@t -c user.name=t "
	    "commit -qm base && echo '{' >modelgate.lock && "
	    "echo modelgate-reports >.git/info/exclude", d);
	ck_assert_int_eq(gitlab_job(d, "modelgate-scan", vars), 0);
	s = in(d, "modelgate-reports/exit-code");
	ck_assert_str_eq(s, "2\n");
	free(s);
	snprintf(v, sizeof(v), "%s MODELGATE_TRUSTED_REF=HEAD", vars);
	ck_assert_int_eq(gitlab_job(d, "modelgate-scan", v), 0);
	s = in(d, "modelgate-reports/exit-code");
	ck_assert_str_eq(s, "1\n");
	free(s);

	/* Shard 2 fails with exit 2: the merge records 2, merges nothing. */
	tu_sh("rm -rf '%s/modelgate-reports'", d);
	for (int i = 1; i <= 2; i++) {
		snprintf(v, sizeof(v), "%s CI_NODE_INDEX=%d CI_NODE_TOTAL=2",
		    vars, i);
		ck_assert_int_eq(gitlab_job(d, ".modelgate-scan-shard", v), 1);
	}
	ck_assert_int_eq(gitlab_job(d, ".modelgate-merge", ""), 0);
	s = in(d, "modelgate-reports/exit-code");
	ck_assert_str_eq(s, "2\n");
	free(s);
	ck_assert_int_eq(gitlab_job(d, "modelgate-gate", ""), 2);
	tu_rmrf(root);
	free(root);
}
END_TEST

/*
 * Kubernetes: a pod that finished its scan succeeds whatever the verdict
 * and records the exit code; only a usage error fails it; the merge job
 * refuses to merge while a shard has no recorded code.
 */
static int
k8s_pod(const char *job, const char *reports, int code, int index)
{
	return sh_rc("cd '%s' && %s tests/action_harness.py k8s-pod '%s' '%s' "
	    "%d %d >/dev/null 2>&1", repo(), python_yaml(), job, reports, code,
	    index);
}

START_TEST(k8s_finished_shards_complete_and_merge_decides)
{
	char *t = tu_tmpdir(), *s;
	static const char scan[] = "ci/k8s/modelgate-scan-job.yaml";
	static const char mrg[] = "ci/k8s/modelgate-merge-job.yaml";
	int i;

	for (i = 0; i < 4; i++) {
		int code = i == 2 ? 1 : i == 3 ? 3 : i;

		ck_assert_int_eq(k8s_pod(scan, t, code, i), 0);
	}
	s = in(t, "shard-2.exit-code");
	ck_assert_str_eq(s, "1\n");
	free(s);
	/* The merge job merges (here: a modelgate that exits 1). */
	ck_assert_int_eq(k8s_pod(mrg, t, 1, 0), 1);
	/* A usage error fails the pod and records nothing. */
	ck_assert_int_eq(k8s_pod(scan, t, 2, 3), 2);
	{
		char p[4200];

		snprintf(p, sizeof(p), "%s/shard-3.exit-code", t);
		ck_assert_int_ne(access(p, F_OK), 0);
	}
	ck_assert_int_eq(k8s_pod(mrg, t, 0, 0), 2);
	tu_rmrf(t);
	free(t);
}
END_TEST

START_TEST(pre_deploy_prints_one_verdict)
{
	char *root = tu_tmpdir(), d[4200], *s;
	char cmd[16384];
	int rc;

	mg_gen_demo(root);
	snprintf(d, sizeof(d), "%s/bad", root);
	snprintf(cmd, sizeof(cmd), "cd '%s' && MODELGATE_BIN='%s' sh '%s/ci/"
	    "pre-deploy.sh' -p policy.json -r reports models >out.txt 2>&1",
	    d, tu_env("MG_BIN"), repo());
	rc = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(rc), 1);
	s = in(d, "out.txt");
	ck_assert_msg(strncmp(s, "pre-deploy: FAIL (exit 1): ", 27) == 0 &&
	    strchr(s, '\n') == s + strlen(s) - 1, "%s", s);
	free(s);
	free(in(d, "reports/modelgate.sarif"));
	/* The passing tree, locked. */
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' lock -o m.lock models "
	    "2>/dev/null && MODELGATE_BIN='%s' sh '%s/ci/pre-deploy.sh' -l m.lock "
	    "models >out.txt 2>&1", root, tu_env("MG_BIN"), tu_env("MG_BIN"),
	    repo());
	rc = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(rc), 0);
	s = in(root, "out.txt");
	ck_assert_msg(strncmp(s, "pre-deploy: PASS (exit 0): ", 27) == 0, "%s", s);
	free(s);
	/* No lock: refused. */
	snprintf(cmd, sizeof(cmd), "cd '%s' && MODELGATE_BIN='%s' sh '%s/ci/"
	    "pre-deploy.sh' -l none.lock models >/dev/null 2>&1", root,
	    tu_env("MG_BIN"), repo());
	rc = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(rc), 2);
	/* A broken policy: the reports of the earlier run are gone. */
	snprintf(cmd, sizeof(cmd), "cd '%s' && echo '{' >broken.json && "
	    "MODELGATE_BIN='%s' sh '%s/ci/pre-deploy.sh' -p broken.json "
	    "-r reports models >out.txt 2>&1", d, tu_env("MG_BIN"), repo());
	rc = system(cmd);
	ck_assert_int_eq(WEXITSTATUS(rc), 2);
	{
		char p[4300];

		snprintf(p, sizeof(p), "%s/reports/modelgate.sarif", d);
		ck_assert_int_ne(access(p, F_OK), 0);
	}
	tu_rmrf(root);
	free(root);
}
END_TEST

/* ---- CycloneDX ------------------------------------------------------- */

static void
cyclonedx_schema_ok(const char *file)
{
	char cmd[16384], dir[4096], *slash;
	const char *py = system("/usr/bin/python3 -c 'import jsonschema' "
	    ">/dev/null 2>&1") == 0 ? "/usr/bin/python3" : "python3";

	snprintf(dir, sizeof(dir), "%s", tu_env("MG_GOLDEN"));
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	snprintf(cmd, sizeof(cmd), "%s '%s/schema/cyclonedx_validate.py' "
	    "'%s/schema' '%s'", py, dir, dir, file);
	ck_assert_msg(system(cmd) == 0, "%s does not validate against the "
	    "CycloneDX 1.6 schema", file);
}

static void
gguf_with_license(const char *dir, const char *name, const char *lic)
{
	/* The demo's models carry apache-2.0 and mit; a copy with another
	 * licence is made by rewriting the string in place (same length). */
	char src[4300], dst[4300];
	size_t n;
	char *b;

	snprintf(src, sizeof(src), "%s/models/tinyllama-q8_0.gguf", dir);
	snprintf(dst, sizeof(dst), "%s/models/%s", dir, name);
	b = tu_slurp(src, &n);
	ck_assert_ptr_nonnull(b);
	{
		char *p = memmem(b, n, "apache-2.0", 10);

		ck_assert_ptr_nonnull(p);
		memcpy(p, lic, 10);
	}
	{
		FILE *f = fopen(dst, "wb");

		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(fwrite(b, 1, n, f), n);
		fclose(f);
	}
	free(b);
}

START_TEST(cyclonedx_bom_validates_and_is_reproducible)
{
	char *root = tu_tmpdir(), *s, *s2, p[4300];
	struct tres r;
	cJSON *j, *c;
	int models = 0, ids = 0, exprs = 0, names = 0, cards = 0;
	const char *const args[] = { "bom", "--format", "cyclonedx", "-o",
	    "bom.cdx.json", "models", NULL };
	const char *const args2[] = { "bom", "--format", "cyclonedx", "-o",
	    "bom2.cdx.json", "models", NULL };

	mg_gen_demo(root);
	gguf_with_license(root, "dual.gguf", "MIT OR ISC");
	gguf_with_license(root, "odd.gguf", "Acme 1.0!!");
	r = tu_run(root, args);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	snprintf(p, sizeof(p), "%s/bom.cdx.json", root);
	cyclonedx_schema_ok(p);
	r = tu_run(root, args2);
	tu_free(&r);
	s = in(root, "bom.cdx.json");
	s2 = in(root, "bom2.cdx.json");
	ck_assert_str_eq(s, s2);	/* serialNumber and timestamp too */
	free(s2);
	j = cJSON_Parse(s);
	free(s);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j,
	    "specVersion")), "1.6");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(
	    cJSON_GetObjectItem(j, "metadata"), "timestamp")),
	    "2023-11-14T22:13:20+00:00");
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(j, "components")) {
		const cJSON *h = cJSON_GetArrayItem(cJSON_GetObjectItem(c,
		    "hashes"), 0);
		const cJSON *lic = cJSON_GetArrayItem(cJSON_GetObjectItem(c,
		    "licenses"), 0);
		const cJSON *mc = cJSON_GetObjectItem(c, "modelCard");

		ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(c,
		    "type")), "machine-learning-model");
		ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(h,
		    "alg")), "SHA-256");
		ck_assert_uint_eq(strlen(cJSON_GetStringValue(
		    cJSON_GetObjectItem(h, "content"))), 64);
		models++;
		if (cJSON_GetObjectItem(lic, "expression") != NULL)
			exprs++;
		else if (cJSON_GetObjectItem(cJSON_GetObjectItem(lic,
		    "license"), "id") != NULL)
			ids++;
		else if (cJSON_GetObjectItem(cJSON_GetObjectItem(lic,
		    "license"), "name") != NULL)
			names++;
		if (cJSON_GetObjectItem(cJSON_GetObjectItem(mc,
		    "modelParameters"), "architectureFamily") != NULL &&
		    cJSON_GetArraySize(cJSON_GetObjectItem(mc, "properties")) >= 2)
			cards++;
	}
	ck_assert_int_eq(models, 5);
	ck_assert_int_eq(exprs, 1);	/* MIT OR ISC */
	ck_assert_int_ge(ids, 3);	/* Apache-2.0, MIT */
	ck_assert_int_eq(names, 1);	/* not an SPDX expression */
	ck_assert_int_ge(cards, 4);
	cJSON_Delete(j);

	/* Another model, another serial number. */
	tu_sh("printf x >> '%s/models/odd.gguf'", root);
	r = tu_run(root, args2);
	tu_free(&r);
	s = in(root, "bom.cdx.json");
	s2 = in(root, "bom2.cdx.json");
	ck_assert_ptr_nonnull(strstr(s, "urn:uuid:"));
	ck_assert_int_ne(strncmp(strstr(s, "urn:uuid:"), strstr(s2,
	    "urn:uuid:"), 45), 0);
	free(s);
	free(s2);
	tu_rmrf(root);
	free(root);
}
END_TEST

/* ---- documentation ------------------------------------------------- */

/*
 * Every long option of scan, merge, bom and serve --help is in the README
 * and the man page.
 */
START_TEST(help_readme_and_man_page_agree)
{
	static const char *const cmds[] = { "scan", "merge", "bom", "serve" };
	char *readme = tu_slurp(tu_env("MG_README"), NULL), man[4200], *page;
	size_t i;

	snprintf(man, sizeof(man), "%s/cmd/modelgate.1", repo());
	page = tu_slurp(man, NULL);
	ck_assert_ptr_nonnull(readme);
	ck_assert_ptr_nonnull(page);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		const char *const args[] = { cmds[i], "--help", NULL };
		struct tres r = tu_run(NULL, args);
		const char *p = r.out;

		ck_assert_int_eq(r.status, 0);
		while ((p = strstr(p, "--")) != NULL) {
			char opt[64], esc[160];
			size_t n = 2, k, e = 0;

			while (p[n] != '\0' && (p[n] == '-' || (p[n] >= 'a' &&
			    p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9')) &&
			    n < sizeof(opt) - 1)
				n++;
			memcpy(opt, p, n);
			opt[n] = '\0';
			p += n;
			if (n <= 2 || strcmp(opt, "--help") == 0)
				continue;
			ck_assert_msg(strstr(readme, opt) != NULL,
			    "%s %s is not in the README", cmds[i], opt);
			for (k = 0; k < n; k++) {
				if (opt[k] == '-')
					esc[e++] = '\\';
				esc[e++] = opt[k];
			}
			esc[e] = '\0';
			ck_assert_msg(strstr(page, esc) != NULL,
			    "%s %s is not in modelgate.1", cmds[i], opt);
		}
		tu_free(&r);
	}
	free(readme);
	free(page);
}
END_TEST

Suite *
ci_suite(void)
{
	Suite *s = suite_create("ci");
	TCase *tc = tcase_create("ci");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, codequality_fields_and_selection);
	tcase_add_test(tc, github_annotations_escape_and_cap);
	tcase_add_test(tc, action_and_templates_are_well_formed);
	tcase_add_test(tc, action_scan_step_runs_like_a_runner);
	tcase_add_test(tc, action_stale_reports_are_not_believed);
	tcase_add_test(tc, action_build_reuses_a_cached_binary);
	tcase_add_test(tc, gitlab_scan_job_succeeds_and_gate_fails);
	tcase_add_test(tc, gitlab_merge_gets_the_scan_args);
	tcase_add_test(tc, gitlab_trusted_ref_and_failed_shard);
	tcase_add_test(tc, k8s_finished_shards_complete_and_merge_decides);
	tcase_add_test(tc, pre_deploy_prints_one_verdict);
	tcase_add_test(tc, cyclonedx_bom_validates_and_is_reproducible);
	tcase_add_test(tc, help_readme_and_man_page_agree);
	suite_add_tcase(s, tc);
	return s;
}
