/*
 * test_repo.c - repository checks end to end: sharded sets and their
 * indexes, GGUF split sets, chat templates in every sidecar location,
 * template variants, remote code and config.json against the weights.
 *
 * The layouts are written at test time by fixtures/writers/repo_fixtures.py
 * (Debian's python3-jinja2 proves each hostile template reaches os when
 * rendered without a sandbox and each benign one renders its
 * conversation); expect.tsv there says, per layout, the exit status, the
 * rules the scan must report and the policy to scan it with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "suites.h"
#include "tutil.h"

static char fixdir[4096];

static void
make_fixtures(void)
{
	const char *src = getenv("MG_SRCDIR"), *fix = getenv("MG_FIXTURES");
	char cmd[9000], exp[4200];
	struct stat st;

	if (src == NULL || fix == NULL)
		return;
	snprintf(fixdir, sizeof(fixdir), "%s/repo", fix);
	snprintf(exp, sizeof(exp), "%s/expect.tsv", fixdir);
	if (stat(exp, &st) == 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && /usr/bin/python3 "
	    "'%s/fixtures/writers/repo_fixtures.py' '%s' >/dev/null", fixdir,
	    src, fixdir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_repo: the fixture writer failed\n");
}

/* Rule ids of the active findings of a gate JSON report, "," separated. */
static void
rules_of(const char *json, char *out, size_t len)
{
	cJSON *d = cJSON_Parse(json), *a, *f;
	size_t o = 0;

	out[0] = '\0';
	ck_assert_msg(d != NULL, "report is not JSON");
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(d, "artifacts"))
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(a, "findings")) {
			const cJSON *r = cJSON_GetObjectItem(f, "rule");

			if (cJSON_IsString(r) && o + strlen(r->valuestring) + 3 <
			    len)
				o += (size_t)snprintf(out + o, len - o, ",%s,",
				    r->valuestring);
		}
	cJSON_Delete(d);
}

static struct tres
scan_layout(const char *layout, const char *policy, const char *json)
{
	const char *a[8];
	int k = 0;

	a[k++] = "scan";
	if (strcmp(policy, "-") != 0) {
		a[k++] = "--policy";
		a[k++] = policy;
	}
	a[k++] = layout;
	a[k++] = "--json";
	a[k++] = json;
	a[k] = NULL;
	return tu_run(fixdir, a);
}

/* Each hostile layout fails with its named finding; each benign passes. */
START_TEST(repo_fixtures_meet_expectations)
{
	char path[4300], line[1024], rules[8192], out[4400];
	unsigned nfail = 0, npass = 0;
	FILE *fp;

	ck_assert_msg(fixdir[0] != '\0', "MG_FIXTURES is not set");
	snprintf(path, sizeof(path), "%s/expect.tsv", fixdir);
	ck_assert_msg((fp = fopen(path, "r")) != NULL, "no %s", path);
	snprintf(out, sizeof(out), "%s/report.json", fixdir);
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *f[4], *p = line, *want, *tok, *save = NULL, needle[96];
		struct tres r;
		char *json;
		int i, status;

		line[strcspn(line, "\n")] = '\0';
		for (i = 0; i < 4; i++) {
			f[i] = p;
			p = strchr(p, '\t');
			if (i < 3) {
				ck_assert_msg(p != NULL, "bad line: %s", line);
				*p++ = '\0';
			}
		}
		status = atoi(f[1]);
		r = scan_layout(f[0], f[3], "report.json");
		json = tu_slurp(out, NULL);
		ck_assert_msg(json != NULL, "%s: no report (%s)", f[0], r.err);
		rules_of(json, rules, sizeof(rules));
		ck_assert_msg(r.status == status, "%s: exit %d, want %d: %s",
		    f[0], r.status, status, rules);
		if (strcmp(f[2], "-") == 0) {
			ck_assert_msg(rules[0] == '\0', "%s: findings %s", f[0],
			    rules);
			npass++;
		} else {
			want = f[2];
			for (tok = strtok_r(want, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save)) {
				snprintf(needle, sizeof(needle), ",%s,", tok);
				ck_assert_msg(strstr(rules, needle) != NULL,
				    "%s: no %s in %s", f[0], tok, rules);
			}
			nfail++;
		}
		free(json);
		tu_free(&r);
	}
	fclose(fp);
	ck_assert_msg(nfail >= 20 && npass >= 6, "%u hostile, %u benign",
	    nfail, npass);
}
END_TEST

static cJSON *
bom(const char *target)
{
	const char *a[] = { "bom", target, NULL };
	struct tres r = tu_run(fixdir, a);
	cJSON *d;

	ck_assert_msg(r.status == 0, "bom %s: exit %d: %s", target, r.status,
	    r.err);
	d = cJSON_Parse(r.out);
	tu_free(&r);
	ck_assert_ptr_nonnull(d);
	return d;
}

static const cJSON *
entry_with_set(const cJSON *d)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, d)
		if (cJSON_GetObjectItem(e, "set") != NULL)
			return e;
	return NULL;
}

/* bom reports a set as one entry: its index, its shards, its parameters. */
START_TEST(repo_bom_shows_sets)
{
	cJSON *d = bom("sharded_ok");
	const cJSON *e = entry_with_set(d), *s;

	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(cJSON_GetObjectItem(e, "format")->valuestring,
	    "weight-index");
	ck_assert_str_eq(cJSON_GetObjectItem(e, "model_filename")->valuestring,
	    "model.safetensors.index.json");
	s = cJSON_GetObjectItem(e, "set");
	ck_assert_str_eq(cJSON_GetObjectItem(s, "kind")->valuestring,
	    "safetensors");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s, "shards")),
	    2);
	/* 8x4 + 4x4 in one shard, 4x4 + 8x4 in the other. */
	ck_assert_int_eq((int)cJSON_GetObjectItem(s,
	    "parameter_count")->valuedouble, 96);
	ck_assert_int_eq((int)cJSON_GetObjectItem(e,
	    "parameter_count")->valuedouble, 96);
	cJSON_Delete(d);

	d = bom("split_ok");
	e = entry_with_set(d);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(cJSON_GetObjectItem(e, "model_filename")->valuestring,
	    "llama-7b-Q4_K_M-00001-of-00003.gguf");
	s = cJSON_GetObjectItem(e, "set");
	ck_assert_str_eq(cJSON_GetObjectItem(s, "kind")->valuestring,
	    "gguf-split");
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(s, "shards")),
	    3);
	ck_assert_int_eq((int)cJSON_GetObjectItem(s,
	    "parameter_count")->valuedouble, 48);
	cJSON_Delete(d);
}
END_TEST

/* chat_template_sha256 reaches the BOM for sidecar and GGUF templates. */
START_TEST(repo_bom_template_digests)
{
	const char *a[] = { "bom", "benign_llama3", NULL };
	struct tres r = tu_run(fixdir, a);
	char pol[4300], *p, *hex;

	ck_assert_int_eq(r.status, 0);
	snprintf(pol, sizeof(pol), "%s/pin_llama3.json", fixdir);
	p = tu_slurp(pol, NULL);
	ck_assert_ptr_nonnull(p);
	/* The one digest the policy pins. */
	ck_assert_ptr_nonnull(hex = strstr(p, "\"sha256\""));
	hex = strchr(hex + 8, '"');
	ck_assert_ptr_nonnull(hex);
	hex++;
	ck_assert_int_ge(strlen(hex), 64);
	hex[64] = '\0';
	/* tokenizer_config.json, chat_template.jinja and the GGUF. */
	ck_assert_msg(strstr(r.out, hex) != NULL, "no %s", hex);
	ck_assert_ptr_nonnull(strstr(r.out, "\"chat-template\""));
	ck_assert_ptr_nonnull(strstr(strstr(r.out, hex) + 1, hex));
	free(p);
	tu_free(&r);
}
END_TEST

/* A file named on the command line stands alone in the bom. */
START_TEST(repo_file_root_stands_alone)
{
	cJSON *d = bom("sharded_ok/model-00001-of-00002.safetensors");

	ck_assert(cJSON_IsObject(d));
	cJSON_Delete(d);
}
END_TEST

/* A set-level SARIF result points at the index. */
START_TEST(repo_sarif_points_at_index)
{
	const char *a[] = { "scan", "index_missing_shard", "--sarif",
	    "out.sarif", NULL };
	struct tres r = tu_run(fixdir, a);
	char path[4300], *s;

	ck_assert_int_eq(r.status, 1);
	snprintf(path, sizeof(path), "%s/out.sarif", fixdir);
	ck_assert_ptr_nonnull(s = tu_slurp(path, NULL));
	ck_assert_ptr_nonnull(strstr(s, "\"REPO-INDEX\""));
	ck_assert_ptr_nonnull(strstr(s,
	    "index_missing_shard/model.safetensors.index.json"));
	free(s);
	tu_free(&r);
}
END_TEST

/* templates and remote_code take digests and nothing else. */
START_TEST(repo_policy_keys_are_strict)
{
	static const char *const bad[] = {
		"{\"version\": 1, \"templates\": {\"sha256\": [\"abc\"]}}",
		"{\"version\": 1, \"templates\": {\"pins\": []}}",
		"{\"version\": 1, \"remote_code\": {\"sha256\": \"x\"}}",
		"{\"version\": 1, \"remote_code\": {\"allow\": []}}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *a[] = { "scan", "--policy", "bad.json", "sharded_ok",
		    NULL };
		struct tres r;

		tu_write(fixdir, "bad.json", bad[i]);
		r = tu_run(fixdir, a);
		ck_assert_msg(r.status == 2, "%s: exit %d", bad[i], r.status);
		tu_free(&r);
	}
}
END_TEST

/* The same tree gives the same findings for any --jobs. */
START_TEST(repo_jobs_do_not_change_findings)
{
	const char *a1[] = { "scan", "--jobs", "1", ".", "--json", "j1.json",
	    NULL };
	const char *a8[] = { "scan", "--jobs", "8", ".", "--json", "j8.json",
	    NULL };
	struct tres r1 = tu_run(fixdir, a1), r8 = tu_run(fixdir, a8);
	char p1[4300], p8[4300], *s1, *s8, *t;

	ck_assert_int_eq(r1.status, 1);
	ck_assert_int_eq(r8.status, 1);
	snprintf(p1, sizeof(p1), "%s/j1.json", fixdir);
	snprintf(p8, sizeof(p8), "%s/j8.json", fixdir);
	s1 = tu_slurp(p1, NULL);
	s8 = tu_slurp(p8, NULL);
	ck_assert_ptr_nonnull(s1);
	ck_assert_ptr_nonnull(s8);
	/* The timings differ; everything from the artifacts on must not. */
	t = strstr(s1, "\"artifacts\":\t[");
	ck_assert_ptr_nonnull(t);
	ck_assert_ptr_nonnull(strstr(s8, "\"artifacts\":\t["));
	ck_assert_str_eq(t, strstr(s8, "\"artifacts\":\t["));
	free(s1);
	free(s8);
	tu_free(&r1);
	tu_free(&r8);
}
END_TEST

Suite *
repo_suite(void)
{
	Suite *s = suite_create("repo");
	TCase *tc = tcase_create("repo");

	make_fixtures();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, repo_fixtures_meet_expectations);
	tcase_add_test(tc, repo_bom_shows_sets);
	tcase_add_test(tc, repo_bom_template_digests);
	tcase_add_test(tc, repo_file_root_stands_alone);
	tcase_add_test(tc, repo_sarif_points_at_index);
	tcase_add_test(tc, repo_policy_keys_are_strict);
	tcase_add_test(tc, repo_jobs_do_not_change_findings);
	suite_add_tcase(s, tc);
	return s;
}
