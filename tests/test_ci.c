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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

Suite *
ci_suite(void)
{
	Suite *s = suite_create("ci");
	TCase *tc = tcase_create("ci");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, codequality_fields_and_selection);
	tcase_add_test(tc, github_annotations_escape_and_cap);
	suite_add_tcase(s, tc);
	return s;
}
