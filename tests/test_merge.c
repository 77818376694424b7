/*
 * test_merge.c - sharded scans and `modelgate merge`.
 *
 * The tree is the demo's failing sample (fixtures/demo.c, bad/): passing,
 * failing, hostile and not-yet-checked artifacts, a lock file with a
 * changed digest and a pin for a file that is gone, a suppression that
 * applies and one that matches nothing.  Scanned in N shards and merged,
 * it must give the reports one unsharded scan gives, byte for byte
 * (SOURCE_DATE_EPOCH fixes the time), and the same exit code; a missing,
 * repeated, foreign or tampered shard is exit 2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "demo.h"
#include "err.h"
#include "shard.h"
#include "strset.h"
#include "suites.h"
#include "tutil.h"

static char *
bad_tree(void)
{
	char *d = tu_tmpdir();

	mg_gen_demo_bad(d);
	return d;
}

/* Run scan in dir/bad with the sample's policy and lock, plus args. */
static struct tres
scan_bad(const char *d, const char *const *extra)
{
	const char *args[40] = { "scan", "-q", "--policy", "policy.json",
	    "--lock", "modelgate.lock" };
	char cwd[4096];
	int n = 6, i;

	for (i = 0; extra[i] != NULL && n < 38; i++)
		args[n++] = extra[i];
	args[n++] = "models";
	args[n] = NULL;
	snprintf(cwd, sizeof(cwd), "%s/bad", d);
	return tu_run(cwd, args);
}

static struct tres
merge(const char *d, const char *const *extra)
{
	const char *args[40] = { "merge", "-q" };
	char cwd[4096];
	int n = 2, i;

	for (i = 0; extra[i] != NULL && n < 39; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	snprintf(cwd, sizeof(cwd), "%s/bad", d);
	return tu_run(cwd, args);
}

static char *
slurp_in(const char *d, const char *name)
{
	char p[4200];
	char *s;

	snprintf(p, sizeof(p), "%s/bad/%s", d, name);
	s = tu_slurp(p, NULL);
	ck_assert_msg(s != NULL, "%s missing", p);
	return s;
}

static void
same_file(const char *d, const char *a, const char *b)
{
	char *x = slurp_in(d, a), *y = slurp_in(d, b);

	ck_assert_msg(strcmp(x, y) == 0, "%s and %s differ", a, b);
	free(x);
	free(y);
}

/* Occurrences of a rule in a JSON report. */
static int
count_rule(const char *d, const char *report, const char *rule)
{
	char *s = slurp_in(d, report), *p = s, pat[128];
	int n = 0;

	snprintf(pat, sizeof(pat), "\"rule\":\t\"%s\"", rule);
	while ((p = strstr(p, pat)) != NULL) {
		n++;
		p++;
	}
	free(s);
	return n;
}

static void
sharded_equals_unsharded(const char *mode)
{
	char *d = bad_tree();
	char json[3][32], spec[3][16];
	struct tres r;
	int i, u, missing = 0;

	/* A name that is not UTF-8 survives the round trip through JSON. */
	tu_sh("cp '%s' \"%s/bad/models/odd-$(printf '\\377')::x.gguf\"",
	    tu_fix("gguf/valid/llama-q8_0.gguf"), d);

	r = scan_bad(d, (const char *const[]){ "--json", "u.json", "--sarif",
	    "u.sarif", "--junit", "u.xml", "--markdown", "u.md",
	    "--codequality", "u.cq.json", NULL });
	u = r.status;
	ck_assert_msg(u == 1, "unsharded exit %d: %s", u, r.err);
	tu_free(&r);
	{
		char *uj = slurp_in(d, "u.json");

		ck_assert_ptr_nonnull(strstr(uj, "odd-\\udcff:"));
		free(uj);
	}
	for (i = 0; i < 3; i++) {
		snprintf(json[i], sizeof(json[i]), "s%d.json", i + 1);
		snprintf(spec[i], sizeof(spec[i]), "%d/3", i + 1);
		r = scan_bad(d, (const char *const[]){ "--shard", spec[i],
		    "--shard-mode", mode, "--json", json[i], NULL });
		ck_assert_msg(r.status <= 1, "shard %s exit %d: %s", spec[i],
		    r.status, r.err);
		tu_free(&r);
		missing += count_rule(d, json[i], "HASH-MISSING");
	}
	/* The pin of the file that is gone is reported by one shard only. */
	ck_assert_int_eq(missing, 1);
	/* Given in any order. */
	r = merge(d, (const char *const[]){ "--json", "m.json", "--sarif",
	    "m.sarif", "--junit", "m.xml", "--markdown", "m.md",
	    "--codequality", "m.cq.json", json[2], json[0], json[1], NULL });
	ck_assert_msg(r.status == u, "merge exit %d, unsharded %d: %s",
	    r.status, u, r.err);
	tu_free(&r);
	same_file(d, "u.json", "m.json");
	same_file(d, "u.sarif", "m.sarif");
	same_file(d, "u.xml", "m.xml");
	same_file(d, "u.md", "m.md");
	same_file(d, "u.cq.json", "m.cq.json");
	{
		char p[4200];

		snprintf(p, sizeof(p), "%s/bad/m.sarif", d);
		tu_sarif_schema_ok(p);
		snprintf(p, sizeof(p), "%s/bad/m.xml", d);
		tu_junit_xsd_ok(p);
	}
	tu_rmrf(d);
	free(d);
}

START_TEST(merge_hash_shards_equal_unsharded_scan)
{
	sharded_equals_unsharded("hash");
}
END_TEST

START_TEST(merge_size_shards_equal_unsharded_scan)
{
	sharded_equals_unsharded("size");
}
END_TEST

START_TEST(merge_refuses_missing_repeated_foreign_tampered)
{
	char *d = bad_tree();
	struct tres r;
	char *s, p[4200];
	FILE *f;

	r = scan_bad(d, (const char *const[]){ "--shard", "1/3", "--json",
	    "s1.json", NULL });
	tu_free(&r);
	r = scan_bad(d, (const char *const[]){ "--shard", "2/3", "--json",
	    "s2.json", NULL });
	tu_free(&r);
	r = scan_bad(d, (const char *const[]){ "--shard", "3/3", "--json",
	    "s3.json", NULL });
	tu_free(&r);
	r = scan_bad(d, (const char *const[]){ "--json", "u.json", NULL });
	tu_free(&r);

	r = merge(d, (const char *const[]){ "s1.json", "s3.json", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "shard 2/3 missing"));
	tu_free(&r);
	r = merge(d, (const char *const[]){ "s1.json", "s2.json", "s1.json",
	    "s3.json", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "shard 1/3 given twice"));
	tu_free(&r);
	r = merge(d, (const char *const[]){ "s1.json", "s2.json", "u.json",
	    NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "not a shard report"));
	tu_free(&r);

	/* Another tree: one more file changes the listing digest. */
	snprintf(p, sizeof(p), "%s/bad/models/new.gguf", d);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	r = scan_bad(d, (const char *const[]){ "--shard", "2/3", "--json",
	    "f2.json", NULL });
	tu_free(&r);
	r = merge(d, (const char *const[]){ "s1.json", "f2.json", "s3.json",
	    NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "f2.json was made from another "
	    "tree"));
	tu_free(&r);

	/* Tampered: a type changed, an unknown rule, not JSON at all. */
	s = slurp_in(d, "s2.json");
	{
		char *q = strstr(s, "\"counts\":\t");

		if (q != NULL) {
			q += 10;
			if (strncmp(q, "true", 4) == 0)
				memcpy(q, "1   ", 4);
			else
				memcpy(q, "0    ", 5);
		}
		snprintf(p, sizeof(p), "%s/bad", d);
		tu_write(p, "t2.json", s);
		r = merge(d, (const char *const[]){ "s1.json", "t2.json",
		    "s3.json", NULL });
		ck_assert_int_eq(r.status, q != NULL ? 2 : 0);
		tu_free(&r);
	}
	free(s);
	snprintf(p, sizeof(p), "%s/bad", d);
	tu_write(p, "t3.json", "{\"tool\": {\"name\": \"modelgate\"");
	r = merge(d, (const char *const[]){ "s1.json", "s2.json", "t3.json",
	    NULL });
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* Rewrite report in (dir/bad) with edit, into out. */
static void
edit_report(const char *d, const char *in, const char *out,
    void (*edit)(cJSON *))
{
	char *s = slurp_in(d, in), *t, p[4200];
	cJSON *j = cJSON_Parse(s);

	ck_assert_ptr_nonnull(j);
	edit(j);
	t = cJSON_Print(j);
	snprintf(p, sizeof(p), "%s/bad", d);
	tu_write(p, out, t);
	free(t);
	free(s);
	cJSON_Delete(j);
}

static cJSON *
art_with(cJSON *j, const char *key, const char *val)
{
	cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "artifacts")) {
		const char *v = cJSON_GetStringValue(cJSON_GetObjectItem(a, key));

		if (v != NULL && strcmp(v, val) == 0)
			return a;
	}
	return NULL;
}

static void
set_str(cJSON *o, const char *k, const char *v)
{
	ck_assert_ptr_nonnull(o);
	cJSON_ReplaceItemInObject(o, k, cJSON_CreateString(v));
}

/* Every verdict "fail" said "pass", the report's own included. */
static void
fail_to_pass(cJSON *j)
{
	cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "artifacts"))
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(a,
		    "verdict")), "fail") == 0)
			set_str(a, "verdict", "pass");
}

/* The failing artifacts taken out, the summary left alone. */
static void
drop_failing(cJSON *j)
{
	cJSON *arts = cJSON_GetObjectItem(j, "artifacts");
	int i;

	for (i = cJSON_GetArraySize(arts) - 1; i >= 0; i--)
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(
		    cJSON_GetArrayItem(arts, i), "verdict")), "fail") == 0)
			cJSON_DeleteItemFromArray(arts, i);
}

/* ... and the summary and verdict made to agree. */
static void
drop_failing_fix_summary(cJSON *j)
{
	cJSON *arts = cJSON_GetObjectItem(j, "artifacts"), *a, *sum, *v, *f;
	int n = 0, pass = 0, err = 0, sev[5] = { 0 }, k;
	static const char *const names[5] = { "info", "low", "medium", "high",
	    "critical" };

	drop_failing(j);
	cJSON_ArrayForEach(a, arts) {
		cJSON *fi;

		n++;
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(a,
		    "verdict")), "pass") == 0)
			pass++;
		else
			err++;
		cJSON_ArrayForEach(fi, cJSON_GetObjectItem(a, "findings"))
			for (k = 0; k < 5; k++)
				if (strcmp(cJSON_GetStringValue(
				    cJSON_GetObjectItem(fi, "severity")),
				    names[k]) == 0 && strcmp(cJSON_GetStringValue(
				    cJSON_GetObjectItem(fi, "state")),
				    "active") == 0)
					sev[k]++;
	}
	sum = cJSON_GetObjectItem(j, "summary");
	v = cJSON_GetObjectItem(sum, "verdicts");
	f = cJSON_GetObjectItem(sum, "findings");
	cJSON_ReplaceItemInObject(sum, "artifacts", cJSON_CreateNumber(n));
	cJSON_ReplaceItemInObject(v, "pass", cJSON_CreateNumber(pass));
	cJSON_ReplaceItemInObject(v, "fail", cJSON_CreateNumber(0));
	cJSON_ReplaceItemInObject(v, "error", cJSON_CreateNumber(err));
	for (k = 0; k < 5; k++)
		cJSON_ReplaceItemInObject(f, names[k],
		    cJSON_CreateNumber(sev[k]));
	set_str(j, "verdict", err > 0 ? "incomplete" : "pass");
	cJSON_ReplaceItemInObject(j, "exit_code",
	    cJSON_CreateNumber(err > 0 ? 3 : 0));
}

static void
unsupported_to_pass(cJSON *j)
{
	set_str(art_with(j, "path", "models/legacy.pt"), "verdict", "pass");
}

/*
 * A verdict is what the findings give: an edited verdict, a failing
 * artifact taken out, an unchecked format said to pass are refused.
 */
START_TEST(merge_recomputes_verdicts_from_findings)
{
	char *d = bad_tree();
	struct tres r;
	static void (*const edits[])(cJSON *) = { fail_to_pass, drop_failing,
	    drop_failing_fix_summary, unsupported_to_pass };
	char name[32];
	size_t i;

	r = scan_bad(d, (const char *const[]){ "--shard", "1/1", "--json",
	    "s.json", NULL });
	ck_assert_int_eq(r.status, 1);
	tu_free(&r);
	r = merge(d, (const char *const[]){ "s.json", NULL });
	ck_assert_int_eq(r.status, 1);
	tu_free(&r);
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		snprintf(name, sizeof(name), "t%zu.json", i);
		edit_report(d, "s.json", name, edits[i]);
		r = merge(d, (const char *const[]){ name, NULL });
		ck_assert_msg(r.status == 2, "edit %zu: exit %d", i, r.status);
		ck_assert_msg(strstr(r.err, "edited") != NULL, "edit %zu: %s",
		    i, r.err);
		tu_free(&r);
	}
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * An unchecked format the policy accepts passes, also when its finding is
 * baselined: the merge recomputes the same pass.
 */
START_TEST(merge_accepts_a_waived_unchecked_format)
{
	char *d = bad_tree(), cwd[4200];
	struct tres r;

	snprintf(cwd, sizeof(cwd), "%s/bad", d);
	tu_write(cwd, "waive.json", "{\"version\": 1, \"fail_on\": \"high\", "
	    "\"formats\": {\"unchecked\": [\"pytorch\"]}}\n");
	r = tu_run(cwd, (const char *const[]){ "scan", "-q", "-p",
	    "waive.json", "--json", "b.json", "models/legacy.pt", NULL });
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	r = tu_run(cwd, (const char *const[]){ "scan", "-q", "-p",
	    "waive.json", "--baseline", "b.json", "--json", "u.json",
	    "models/legacy.pt", NULL });
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	r = tu_run(cwd, (const char *const[]){ "scan", "-q", "-p",
	    "waive.json", "--baseline", "b.json", "--shard", "1/1", "--json",
	    "s.json", "models/legacy.pt", NULL });
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	ck_assert_int_eq(count_rule(d, "u.json", "FMT-UNSUPPORTED"), 1);
	r = merge(d, (const char *const[]){ "--json", "m.json", "s.json",
	    NULL });
	ck_assert_msg(r.status == 0, "merge exit %d: %s", r.status, r.err);
	tu_free(&r);
	same_file(d, "u.json", "m.json");
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * Signed shard reports: an honest set merges; one report edited
 * consistently (a finding marked suppressed, its verdict and counts
 * made to agree) merges without a key but not with one; an unsigned
 * report, a report signed with another key and a short key are refused.
 */
START_TEST(merge_verifies_signed_shards)
{
	char *d = bad_tree(), cwd[4200];
	struct tres r;

	snprintf(cwd, sizeof(cwd), "%s/bad", d);
	tu_write(cwd, "k", "0123456789abcdef0123456789abcdef\n");
	tu_write(cwd, "k2", "fedcba9876543210fedcba9876543210\n");
	tu_write(cwd, "short", "0123456789\n");
	r = scan_bad(d, (const char *const[]){ "--shard", "1/2", "--shard-key",
	    "k", "--json", "s1.json", NULL });
	tu_free(&r);
	r = scan_bad(d, (const char *const[]){ "--shard", "2/2", "--shard-key",
	    "k", "--json", "s2.json", NULL });
	tu_free(&r);
	r = scan_bad(d, (const char *const[]){ "--shard", "2/2", "--shard-key",
	    "k2", "--json", "o2.json", NULL });
	tu_free(&r);
	r = scan_bad(d, (const char *const[]){ "--shard", "2/2", "--json",
	    "u2.json", NULL });
	tu_free(&r);
	r = merge(d, (const char *const[]){ "--shard-key", "k", "s1.json",
	    "s2.json", NULL });
	ck_assert_msg(r.status == 1, "merge exit %d: %s", r.status, r.err);
	tu_free(&r);
	/* Every active finding of shard 1 turned suppressed, consistently. */
	tu_sh("cd '%s' && sed -e 's/\"state\":\t\"active\"/\"state\":\t"
	    "\"suppressed\"/' s1.json > e1.json", cwd);
	r = merge(d, (const char *const[]){ "--shard-key", "k", "e1.json",
	    "s2.json", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "does not verify"));
	tu_free(&r);
	r = merge(d, (const char *const[]){ "--shard-key", "k", "s1.json",
	    "o2.json", NULL });
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	r = merge(d, (const char *const[]){ "--shard-key", "k", "s1.json",
	    "u2.json", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "not signed"));
	tu_free(&r);
	r = merge(d, (const char *const[]){ "--shard-key", "short", "s1.json",
	    "s2.json", NULL });
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	/* Without a key the merge says that it checked nothing. */
	r = merge(d, (const char *const[]){ "s1.json", "s2.json", NULL });
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "signatures were not checked"));
	tu_free(&r);
	/* A key without a shard report to sign is a usage error. */
	r = scan_bad(d, (const char *const[]){ "--shard-key", "k", "--json",
	    "x.json", NULL });
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * Accepting a format unchecked does not accept a file that was cut short
 * on top of it: a truncated tar named .pt stays an error, with its
 * corruption rule off, in a scan, a shard and their merge.
 */
START_TEST(merge_waived_format_cut_short_is_an_error)
{
	char *d = bad_tree(), cwd[4200];
	struct tres r;

	snprintf(cwd, sizeof(cwd), "%s/bad", d);
	tu_write(cwd, "waive.json", "{\"version\": 1, \"formats\": "
	    "{\"unchecked\": [\"pytorch\"]}, \"rules\": "
	    "{\"ARC-CORRUPT\": \"off\"}}\n");
	/* Cut inside the second member's header: the first is whole. */
	tu_sh("cd '%s' && mkdir -p t && cp models/good-q8_0.gguf t/a.gguf && "
	    "cp models/good-q8_0.gguf t/b.gguf && "
	    "tar cf whole.tar -C t a.gguf b.gguf && "
	    "n=$(( ($(wc -c < t/a.gguf) + 511) / 512 * 512 + 512 + 100 )) && "
	    "head -c $n whole.tar > cut.pt && cp whole.tar whole.pt", cwd);
	r = tu_run(cwd, (const char *const[]){ "scan", "-q", "-p",
	    "waive.json", "whole.pt", NULL });
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	r = tu_run(cwd, (const char *const[]){ "scan", "-q", "-p",
	    "waive.json", "--json", "c.json", "cut.pt", NULL });
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	r = tu_run(cwd, (const char *const[]){ "scan", "-q", "-p",
	    "waive.json", "--shard", "1/1", "--json", "s.json", "cut.pt",
	    NULL });
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	r = merge(d, (const char *const[]){ "--json", "m.json", "s.json",
	    NULL });
	ck_assert_msg(r.status == 3, "merge exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * Honest shards that do not make one scan: another --shard-mode, a lock
 * given to one shard only, sizes that differ between jobs in size mode.
 */
START_TEST(merge_refuses_mismatched_shards)
{
	char *d = bad_tree();
	struct tres r;
	char cwd[4200];

	snprintf(cwd, sizeof(cwd), "%s/bad", d);
	r = scan_bad(d, (const char *const[]){ "--shard", "1/2", "--json",
	    "h1.json", NULL });
	tu_free(&r);
	r = scan_bad(d, (const char *const[]){ "--shard", "2/2", "--json",
	    "h2.json", NULL });
	tu_free(&r);
	r = scan_bad(d, (const char *const[]){ "--shard", "2/2",
	    "--shard-mode", "size", "--json", "z2.json", NULL });
	tu_free(&r);
	r = merge(d, (const char *const[]){ "h1.json", "z2.json", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "--shard-mode"));
	tu_free(&r);

	/* No lock for shard 2. */
	r = tu_run(cwd, (const char *const[]){ "scan", "-q", "--policy",
	    "policy.json", "--shard", "2/2", "--json", "n2.json", "models",
	    NULL });
	tu_free(&r);
	r = merge(d, (const char *const[]){ "h1.json", "n2.json", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "lock"));
	tu_free(&r);
	/* --no-hash for shard 2. */
	r = scan_bad(d, (const char *const[]){ "--shard", "2/2", "--no-hash",
	    "--json", "o2.json", NULL });
	tu_free(&r);
	r = merge(d, (const char *const[]){ "h1.json", "o2.json", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "options"));
	tu_free(&r);

	/* Size mode: a file grows between the jobs. */
	r = scan_bad(d, (const char *const[]){ "--shard", "1/2",
	    "--shard-mode", "size", "--json", "z1.json", NULL });
	tu_free(&r);
	tu_sh("cd '%s' && printf 'xxxxxxxx' >>models/partial.gguf", cwd);
	r = scan_bad(d, (const char *const[]){ "--shard", "2/2",
	    "--shard-mode", "size", "--json", "z2b.json", NULL });
	tu_free(&r);
	r = merge(d, (const char *const[]){ "z1.json", "z2b.json", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "another tree"));
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * A pinned file replaced by a FIFO is reported twice by one scan (the
 * pin missing, the path unreadable): one shard's report merges to it.
 */
START_TEST(merge_single_report_with_a_fifo_pin)
{
	char *d = bad_tree();
	struct tres r;
	int u;

	tu_sh("cd '%s/bad' && rm models/good-q8_0.gguf && "
	    "mkfifo models/good-q8_0.gguf", d);
	r = scan_bad(d, (const char *const[]){ "--json", "u.json", NULL });
	u = r.status;
	tu_free(&r);
	r = scan_bad(d, (const char *const[]){ "--shard", "1/1", "--json",
	    "s.json", NULL });
	tu_free(&r);
	r = merge(d, (const char *const[]){ "--json", "m.json", "s.json",
	    NULL });
	ck_assert_msg(r.status == u, "merge exit %d, scan %d: %s", r.status,
	    u, r.err);
	tu_free(&r);
	same_file(d, "u.json", "m.json");
	tu_rmrf(d);
	free(d);
}
END_TEST

/* A report over the cap is refused before it is read. */
START_TEST(merge_caps_report_size)
{
	char *d = bad_tree();
	struct tres r;

	tu_sh("truncate -s 65M '%s/bad/big.json'", d);
	r = merge(d, (const char *const[]){ "big.json", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "cap on one report"));
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* Adding a path never moves another in hash mode. */
START_TEST(shard_hash_assignment_is_stable)
{
	struct mg_shard s = { 2, 5, MG_SHARD_HASH };
	struct mg_listing a, b;
	char path[64];
	size_t i, per[5] = { 0 };

	mg_listing_init(&a);
	mg_listing_init(&b);
	for (i = 0; i < 500; i++) {
		snprintf(path, sizeof(path), "models/m%03zu.gguf", i);
		ck_assert_int_eq(mg_listing_add(&a, path, i), MG_OK);
		ck_assert_int_eq(mg_listing_add(&b, path, i), MG_OK);
	}
	ck_assert_int_eq(mg_listing_add(&b, "models/zz-new.gguf", 1), MG_OK);
	ck_assert_int_eq(mg_listing_finish(&a, &s), MG_OK);
	ck_assert_int_eq(mg_listing_finish(&b, &s), MG_OK);
	ck_assert_str_ne(a.sha256, b.sha256);
	for (i = 0; i < a.n; i++) {
		long k = mg_listing_find(&b, a.paths[i]);

		ck_assert_int_ge(k, 0);
		ck_assert_uint_eq(a.owner[i], b.owner[k]);
		ck_assert_uint_ge(a.owner[i], 1);
		ck_assert_uint_le(a.owner[i], 5);
		per[a.owner[i] - 1]++;
	}
	for (i = 0; i < 5; i++)		/* roughly even */
		ck_assert_uint_gt(per[i], 50);
	mg_listing_free(&a);
	mg_listing_free(&b);
}
END_TEST

/* Size mode: a few huge files land on different shards. */
START_TEST(shard_size_mode_balances_bytes)
{
	struct mg_shard s = { 1, 3, MG_SHARD_SIZE };
	struct mg_listing l;
	uint64_t load[3] = { 0 };
	size_t i;

	mg_listing_init(&l);
	ck_assert_int_eq(mg_listing_add(&l, "a.gguf", 9000000000ull), MG_OK);
	ck_assert_int_eq(mg_listing_add(&l, "b.gguf", 8000000000ull), MG_OK);
	ck_assert_int_eq(mg_listing_add(&l, "c.gguf", 7000000000ull), MG_OK);
	for (i = 0; i < 30; i++) {
		char p[32];

		snprintf(p, sizeof(p), "small%02zu.gguf", i);
		ck_assert_int_eq(mg_listing_add(&l, p, 1000), MG_OK);
	}
	ck_assert_int_eq(mg_listing_finish(&l, &s), MG_OK);
	for (i = 0; i < l.n; i++)
		load[l.owner[i] - 1] += l.sizes[i];
	ck_assert_uint_ne(l.owner[mg_listing_find(&l, "a.gguf")],
	    l.owner[mg_listing_find(&l, "b.gguf")]);
	ck_assert_uint_ne(l.owner[mg_listing_find(&l, "b.gguf")],
	    l.owner[mg_listing_find(&l, "c.gguf")]);
	for (i = 0; i < 3; i++)
		ck_assert_uint_lt(load[i], 9100000000ull);
	mg_listing_free(&l);
}
END_TEST

START_TEST(shard_auto_reads_gitlab_and_kubernetes)
{
	struct mg_shard s;
	char err[256];

	unsetenv("CI_NODE_INDEX");
	unsetenv("CI_NODE_TOTAL");
	unsetenv("JOB_COMPLETION_INDEX");
	unsetenv("MODELGATE_SHARD_TOTAL");
	ck_assert_int_eq(mg_shard_parse("auto", 0, &s, err, sizeof(err)),
	    MG_ERR_USAGE);
	ck_assert_int_eq(mg_shard_parse("2/4", 0, &s, err, sizeof(err)), MG_OK);
	ck_assert_uint_eq(s.index, 2);
	ck_assert_uint_eq(s.total, 4);
	ck_assert_int_eq(mg_shard_parse("0/4", 0, &s, err, sizeof(err)),
	    MG_ERR_USAGE);
	ck_assert_int_eq(mg_shard_parse("5/4", 0, &s, err, sizeof(err)),
	    MG_ERR_USAGE);
	ck_assert_int_eq(mg_shard_parse("1/x", 0, &s, err, sizeof(err)),
	    MG_ERR_USAGE);
	ck_assert_int_eq(mg_shard_parse("-1/4", 0, &s, err, sizeof(err)),
	    MG_ERR_USAGE);
	/* GitLab: 1-based. */
	setenv("CI_NODE_INDEX", "3", 1);
	setenv("CI_NODE_TOTAL", "3", 1);
	ck_assert_int_eq(mg_shard_parse("auto", 0, &s, err, sizeof(err)), MG_OK);
	ck_assert_uint_eq(s.index, 3);
	ck_assert_uint_eq(s.total, 3);
	unsetenv("CI_NODE_INDEX");
	unsetenv("CI_NODE_TOTAL");
	/* Kubernetes: 0-based, total given separately. */
	setenv("JOB_COMPLETION_INDEX", "0", 1);
	ck_assert_int_eq(mg_shard_parse("auto", 0, &s, err, sizeof(err)),
	    MG_ERR_USAGE);
	ck_assert_int_eq(mg_shard_parse("auto", 4, &s, err, sizeof(err)), MG_OK);
	ck_assert_uint_eq(s.index, 1);
	ck_assert_uint_eq(s.total, 4);
	setenv("MODELGATE_SHARD_TOTAL", "2", 1);
	setenv("JOB_COMPLETION_INDEX", "1", 1);
	ck_assert_int_eq(mg_shard_parse("auto", 0, &s, err, sizeof(err)), MG_OK);
	ck_assert_uint_eq(s.index, 2);
	ck_assert_uint_eq(s.total, 2);
	setenv("JOB_COMPLETION_INDEX", "2", 1);
	ck_assert_int_eq(mg_shard_parse("auto", 0, &s, err, sizeof(err)),
	    MG_ERR_USAGE);
	unsetenv("JOB_COMPLETION_INDEX");
	unsetenv("MODELGATE_SHARD_TOTAL");
}
END_TEST

START_TEST(scan_shard_auto_unset_is_usage_error)
{
	char *d = bad_tree();
	struct tres r;

	unsetenv("CI_NODE_INDEX");
	unsetenv("JOB_COMPLETION_INDEX");
	r = scan_bad(d, (const char *const[]){ "--shard", "auto", NULL });
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	r = scan_bad(d, (const char *const[]){ "--shard", "4/3", NULL });
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * --files-from: only the listed files and the files the lock does not
 * list are scanned, the lock is still verified in full (the pin of the
 * file that is gone is reported), and the other pinned files are neither
 * reported missing nor read.
 */
START_TEST(scan_files_from_keeps_lock_verification)
{
	char *d = bad_tree();
	char p[4200];
	struct tres r;
	cJSON *j, *arts, *a;
	int seen_good = 0, seen_gone = 0, n = 0;
	char *s;

	snprintf(p, sizeof(p), "%s/bad", d);
	tu_write(p, "changed.txt", "./models/good-q8_0.gguf\n");
	r = scan_bad(d, (const char *const[]){ "--files-from", "changed.txt",
	    "--json", "pr.json", NULL });
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	s = slurp_in(d, "pr.json");
	j = cJSON_Parse(s);
	free(s);
	ck_assert_ptr_nonnull(j);
	arts = cJSON_GetObjectItem(j, "artifacts");
	cJSON_ArrayForEach(a, arts) {
		const char *path = cJSON_GetObjectItem(a, "path")->valuestring;

		n++;
		seen_good += strcmp(path, "models/good-q8_0.gguf") == 0;
		seen_gone += strcmp(path, "models/gone.gguf") == 0;
	}
	ck_assert_int_eq(seen_good, 1);
	ck_assert_int_eq(seen_gone, 1);
	/*
	 * good, gone, the two files the lock does not list (scanned
	 * whatever the selection) and the policy file's unused suppressions.
	 */
	ck_assert_int_le(n, 5);
	ck_assert_int_eq(count_rule(d, "pr.json", "HASH-EXTRA"), 2);
	cJSON_Delete(j);
	ck_assert_int_eq(count_rule(d, "pr.json", "HASH-MISMATCH"), 0);

	/* NUL-separated. */
	tu_write_bytes(p, "nul.txt", "models/legacy.pt\0models/x::error "
	    "title=pwn::ok.gguf\0", 52);
	r = scan_bad(d, (const char *const[]){ "-0", "--files-from",
	    "nul.txt", "--json", "nul.json", NULL });
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	ck_assert_int_eq(count_rule(d, "nul.json", "FMT-UNSUPPORTED"), 1);
	ck_assert_int_eq(count_rule(d, "nul.json", "GGUF-TEMPLATE"), 1);
	ck_assert_int_eq(count_rule(d, "nul.json", "HASH-MISMATCH"), 0);
	tu_rmrf(d);
	free(d);
}
END_TEST

START_TEST(scan_changed_since_uses_git_diff)
{
	char *d = bad_tree();
	struct tres r;
	int n;

	tu_sh("cd '%s/bad' && git init -q . && git -c user.email=t@t "
	    "-c user.name=t add -A && git -c user.email=t@t -c user.name=t "
	    "commit -qm base && printf x >> models/good-q8_0.gguf", d);
	r = scan_bad(d, (const char *const[]){ "--changed-since", "HEAD",
	    "--json", "pr.json", NULL });
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	/*
	 * The changed file is checked against its pin; no other pinned
	 * file is (the lock's wrong pin of tinyllama goes unseen); the
	 * files the lock does not list are scanned.
	 */
	ck_assert_int_eq(count_rule(d, "pr.json", "HASH-MISMATCH"), 1);
	ck_assert_int_eq(count_rule(d, "pr.json", "HASH-EXTRA"), 2);
	n = count_rule(d, "pr.json", "HASH-MISSING");
	ck_assert_int_eq(n, 1);
	r = scan_bad(d, (const char *const[]){ "--changed-since",
	    "--output=x", NULL });
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* A commit of the demo tree in d/bad: the base a pull request starts at. */
static void
git_base(const char *d)
{
	tu_sh("cd '%s/bad' && git init -q . && git -c user.email=t@t "
	    "-c user.name=t add -A && git -c user.email=t@t -c user.name=t "
	    "commit -qm base", d);
}

/*
 * A pull request that only repins the lock, or changes nothing, is
 * scanned in full: the wrong pin of tinyllama is found as by a full scan.
 */
START_TEST(scan_changed_since_lock_edit_scans_everything)
{
	char *d = bad_tree();
	struct tres r;

	git_base(d);
	tu_sh("cd '%s/bad' && echo >>modelgate.lock", d);
	/* Reports outside the work tree: they would be untracked files. */
	r = scan_bad(d, (const char *const[]){ "--changed-since", "HEAD",
	    "--json", "../lock.json", NULL });
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "every file is scanned"));
	tu_free(&r);
	ck_assert_int_eq(count_rule(d, "../lock.json", "HASH-MISMATCH"), 1);
	tu_sh("cd '%s/bad' && git checkout -q modelgate.lock", d);
	r = scan_bad(d, (const char *const[]){ "--changed-since", "HEAD",
	    "--json", "../none.json", NULL });
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	ck_assert_int_eq(count_rule(d, "../none.json", "HASH-MISMATCH"), 1);
	/*
	 * New attributes change the bytes git checks out (eol, filters)
	 * of files git diff does not name: no selection holds.
	 */
	tu_sh("cd '%s/bad' && printf '*.gguf -text\\n' > models/.gitattributes",
	    d);
	r = scan_bad(d, (const char *const[]){ "--changed-since", "HEAD",
	    "--json", "../attrs.json", NULL });
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, ".gitattributes"));
	tu_free(&r);
	ck_assert_int_eq(count_rule(d, "../attrs.json", "HASH-MISMATCH"), 1);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * A submodule bump is a change whatever .gitmodules says: ignore = all
 * does not hide a new commit that brings a model.
 */
START_TEST(scan_changed_since_sees_ignored_submodules)
{
	char *d = tu_tmpdir();
	struct tres r;

	tu_sh("cd '%s' && G='git -c user.email=t@t -c user.name=t "
	    "-c protocol.file.allow=always' && mkdir B A && "
	    "(cd B && git init -q . && echo a > a.txt && $G add -A && "
	    "$G commit -qm b1) && "
	    "(cd A && git init -q . && $G submodule -q add ../B sub && "
	    "git config -f .gitmodules submodule.sub.ignore all && "
	    "$G add -A && $G commit -qm base && git tag base) && "
	    "(cd B && printf 'cos\\nsystem\\n(S\\047true\\047\\ntR.' > "
	    "model.pkl && $G add -A && $G commit -qm evil) && "
	    "(cd A/sub && $G pull -q origin HEAD) && "
	    "(cd A && $G add sub && $G commit -qm bump && echo n > NOTES.md && "
	    "$G add -A && $G commit -qm notes)", d);
	{
		char a[4200];
		const char *const args[] = { "scan", "-q", "--changed-since",
		    "base", ".", NULL };

		snprintf(a, sizeof(a), "%s/A", d);
		r = tu_run(a, args);
		ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
		tu_free(&r);
	}
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * What a selection names is what a full scan would see: a directory
 * (a submodule bump) selects everything below it, a scan root given
 * through a symlink matches git's names, untracked files count as
 * changed.
 */
START_TEST(scan_selection_covers_dirs_links_untracked)
{
	char *d = bad_tree(), cwd[4200];
	struct tres r;

	snprintf(cwd, sizeof(cwd), "%s/bad", d);
	tu_write(cwd, "dir.txt", "models\n");
	r = scan_bad(d, (const char *const[]){ "--files-from", "dir.txt",
	    "--json", "dir.json", NULL });
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	ck_assert_int_eq(count_rule(d, "dir.json", "HASH-MISMATCH"), 1);

	git_base(d);
	tu_sh("cd '%s' && ln -s models mlink && "
	    "echo mlink >>.git/info/exclude && "
	    "cp 'models/x::error title=pwn::ok.gguf' models/new.gguf && "
	    "cp 'models/x::error title=pwn::ok.gguf' models/partial.gguf", cwd);
	/* Untracked, through the link; changed, through the link. */
	r = tu_run(cwd, (const char *const[]){ "scan", "-q",
	    "--changed-since", "HEAD", "--json", "link.json", "mlink", NULL });
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	/* Each of the two files has the template finding. */
	ck_assert_int_ge(count_rule(d, "link.json", "GGUF-TEMPLATE"), 2);
	{
		char *j = slurp_in(d, "link.json");

		ck_assert_ptr_nonnull(strstr(j, "\"mlink/new.gguf\""));
		ck_assert_ptr_nonnull(strstr(j, "\"mlink/partial.gguf\""));
		ck_assert_ptr_null(strstr(j, "\"mlink/good-q8_0.gguf\""));
		free(j);
	}
	tu_rmrf(d);
	free(d);
}
END_TEST

/* git's own message goes through the escaper like every other line. */
START_TEST(scan_changed_since_escapes_git_stderr)
{
	char *d = bad_tree();
	struct tres r;
	const char *p;

	git_base(d);
	r = scan_bad(d, (const char *const[]){ "--changed-since",
	    "HEAD\n::error::Y", NULL });
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "bad revision"));
	for (p = r.err; p != NULL; p = strchr(p, '\n')) {
		p += *p == '\n';
		ck_assert_msg(strncmp(p, "::", 2) != 0,
		    "a bare workflow command: %s", r.err);
	}
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* Shards of a selection that names no model merge as the scan exits: 0. */
START_TEST(merge_of_an_empty_selection_passes)
{
	char *d = tu_tmpdir();
	const char *s1[] = { "scan", "-q", "--files-from", "list", "--shard",
	    "1/2", "--json", "s1.json", "models", NULL };
	const char *s2[] = { "scan", "-q", "--files-from", "list", "--shard",
	    "2/2", "--json", "s2.json", "models", NULL };
	const char *one[] = { "scan", "-q", "--files-from", "list", "models",
	    NULL };
	const char *mg[] = { "merge", "-q", "s1.json", "s2.json", NULL };
	struct tres r;

	tu_sh("mkdir -p '%s/models' && cp '%s' '%s/models/'", d,
	    tu_fix("safetensors/valid/multi-pt.safetensors"), d);
	tu_write(d, "models/README.md", "docs\n");
	tu_write(d, "list", "models/README.md\n");
	r = tu_run(d, one);
	ck_assert_msg(r.status == 0, "scan exit %d: %s", r.status, r.err);
	tu_free(&r);
	r = tu_run(d, s1);
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	r = tu_run(d, s2);
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	r = tu_run(d, mg);
	ck_assert_msg(r.status == 0, "merge exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* ---- many of one name: the same results, in linear time ----------------- */

/* d/z.zip: the members names gives, each a harmless pickle. */
static void
zip_of(const char *d, const char *names)
{
	char py[2048];

	snprintf(py, sizeof(py), "import zipfile, warnings\n"
	    "warnings.simplefilter('ignore')\n"
	    "with zipfile.ZipFile('z.zip', 'w') as z:\n"
	    "    for n in %s:\n"
	    "        z.writestr(n, b'\\x80\\x02K\\x01.')\n", names);
	tu_write(d, "mkzip.py", py);
	tu_sh("cd '%s' && python3 mkzip.py", d);
}

static char *
slurp_at(const char *d, const char *name)
{
	char p[4200];
	char *s;

	snprintf(p, sizeof(p), "%s/%s", d, name);
	s = tu_slurp(p, NULL);
	ck_assert_msg(s != NULL, "%s missing", p);
	return s;
}

/*
 * JUnit classnames of members of one name: " (2)", " (3)", ... in path
 * order, and a generated name that a real member already has is passed
 * over ("m.pkl (2)" twice, then "m.pkl (2) (2)" and its own clash).
 */
START_TEST(junit_names_of_repeated_members)
{
	static const char *const want[] = { "z.zip!a.pkl", "z.zip!m.pkl",
	    "z.zip!m.pkl (2)", "z.zip!m.pkl (3)", "z.zip!m.pkl (4)",
	    "z.zip!m.pkl (2) (2)", "z.zip!m.pkl (2) (3)",
	    "z.zip!m.pkl (2) (4)", "z.zip!m.pkl (2) (2) (2)",
	    "z.zip!m.pkl (3) (2)", "z.zip!r.pkl", "z.zip!r.pkl (2)" };
	char *d = tu_tmpdir(), *x, *p, pat[4200];
	struct tres r;
	size_t i, n = 0;

	zip_of(d, "['m.pkl', 'm.pkl (2)', 'm.pkl', 'm.pkl', 'm.pkl (3)', "
	    "'m.pkl (2)', 'm.pkl (2) (2)', 'm.pkl (2)', 'm.pkl', 'a.pkl'] + "
	    "['r.pkl'] * 3000");
	r = tu_run(d, (const char *const[]){ "scan", "-q", "--junit", "z.xml",
	    "z.zip", NULL });
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	x = slurp_at(d, "z.xml");
	snprintf(pat, sizeof(pat), "%s/z.xml", d);
	tu_junit_xsd_ok(pat);
	/* The pickle suite's scan testcases, in order. */
	for (p = x, i = 0; (p = strstr(p, "<testcase classname=\"z.zip!")) !=
	    NULL; p++) {
		const char *q = p + strlen("<testcase classname=\"");
		size_t len = strcspn(q, "\"");

		if (strncmp(q + len, "\" name=\"scan\"", 13) != 0)
			continue;
		if (i < sizeof(want) / sizeof(want[0])) {
			ck_assert_msg(len == strlen(want[i]) &&
			    strncmp(q, want[i], len) == 0, "testcase %zu: %.*s, "
			    "not %s", i, (int)len, q, want[i]);
			i++;
		}
		n++;
	}
	ck_assert_uint_eq(n, 3010);
	ck_assert_ptr_nonnull(strstr(x, "\"z.zip!r.pkl (3000)\""));
	ck_assert_ptr_null(strstr(x, "\"z.zip!r.pkl (3001)\""));
	free(x);
	tu_rmrf(d);
	free(d);
}
END_TEST

static void
write_json(const char *d, const char *name, cJSON *j)
{
	char *s = cJSON_Print(j);

	ck_assert_ptr_nonnull(s);
	tu_write(d, name, s);
	free(s);
}

static void
merge_refused(const char *d, const char *report)
{
	struct tres r = tu_run(d, (const char *const[]){ "merge", "-q",
	    report, NULL });

	ck_assert_msg(r.status == 2, "merge %s: exit %d", report, r.status);
	ck_assert_ptr_nonnull(strstr(r.err, "reported by more than one "
	    "shard"));
	tu_free(&r);
}

/*
 * Many members of one name in one report merge to the unsharded scan;
 * two of them at one place, or the policy file listed before a member of
 * its path, are refused.
 */
START_TEST(merge_members_of_one_name)
{
	char *d = tu_tmpdir(), *s;
	struct tres r;
	cJSON *j, *arts;

	zip_of(d, "['m.pkl'] * 2000 + ['a.pkl']");
	tu_write(d, "z.zip!m.pkl", "{\"version\": 1, \"suppressions\": "
	    "[{\"rule\": \"GGUF-TRAIL\", \"path\": \"none/**\", "
	    "\"reason\": \"r\"}]}");
	r = tu_run(d, (const char *const[]){ "scan", "-q", "--policy",
	    "z.zip!m.pkl", "--json", "u.json", "z.zip", NULL });
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	r = tu_run(d, (const char *const[]){ "scan", "-q", "--policy",
	    "z.zip!m.pkl", "--shard", "1/1", "--json", "s.json", "z.zip",
	    NULL });
	tu_free(&r);
	r = tu_run(d, (const char *const[]){ "merge", "-q", "--json", "m.json",
	    "s.json", NULL });
	ck_assert_msg(r.status == 1, "merge exit %d: %s", r.status, r.err);
	tu_free(&r);
	{
		char *u = slurp_at(d, "u.json"), *mm = slurp_at(d, "m.json");

		ck_assert_msg(strcmp(u, mm) == 0, "merge differs from scan");
		free(u);
		free(mm);
	}

	/* Members 1 and 1000 at one place. */
	s = slurp_at(d, "s.json");
	j = cJSON_Parse(s);
	free(s);
	ck_assert_ptr_nonnull(j);
	{
		cJSON *a, *first = NULL, *late = NULL;
		size_t k = 0;

		cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "artifacts"))
			if (strcmp(cJSON_GetObjectItem(a, "path")->valuestring,
			    "z.zip!m.pkl") == 0 && cJSON_GetObjectItem(a,
			    "ordinal") != NULL) {
				if (k == 0)
					first = a;
				if (k == 999)
					late = a;
				k++;
			}
		ck_assert_ptr_nonnull(late);
		cJSON_ReplaceItemInObject(late, "ordinal", cJSON_CreateNumber(
		    cJSON_GetObjectItem(first, "ordinal")->valuedouble));
	}
	write_json(d, "dup.json", j);
	cJSON_Delete(j);
	merge_refused(d, "dup.json");

	/* The policy file first (the hash covers the models only). */
	s = slurp_at(d, "s.json");
	j = cJSON_Parse(s);
	free(s);
	arts = cJSON_GetObjectItem(j, "artifacts");
	{
		cJSON *a, *p = NULL;
		int i = 0, at = -1;

		cJSON_ArrayForEach(a, arts) {
			if (strcmp(cJSON_GetObjectItem(a, "format")->valuestring,
			    "policy") == 0) {
				p = a;
				at = i;
			}
			i++;
		}
		ck_assert_ptr_nonnull(p);
		cJSON_InsertItemInArray(arts, 0, cJSON_DetachItemFromArray(arts,
		    at));
	}
	write_json(d, "polfirst.json", j);
	cJSON_Delete(j);
	merge_refused(d, "polfirst.json");
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * Three shards of a policy with many unused suppressions of one reason
 * (findings alike but for their occurrence number) and one that applies
 * in one shard only: the merge is the unsharded scan, and the alike
 * findings keep distinct fingerprints.
 */
START_TEST(merge_folds_many_alike_suppressions)
{
	char *d = tu_tmpdir(), *u, *mm, pol[40000];
	size_t n = 0, i;
	struct tres r;
	cJSON *j, *a, *f;
	int k;

	tu_sh("mkdir -p '%s/models' && cd '%s/models' && for i in 0 1 2 3 4 5 "
	    "6 7; do printf '\\200\\002K\\001.' >m$i.pkl; done && "
	    "printf '\\200\\002cos\\nsystem\\nX\\002\\000\\000\\000lsq\\000"
	    "\\205q\\001Rq\\002.' >evil.pkl", d, d);
	n = (size_t)snprintf(pol, sizeof(pol), "{\"version\": 1, "
	    "\"suppressions\": [{\"rule\": \"PICKLE-UNSAFE\", \"path\": "
	    "\"models/evil.pkl\", \"reason\": \"known\"}");
	for (i = 0; i < 300; i++)
		n += (size_t)snprintf(pol + n, sizeof(pol) - n, ", {\"rule\": "
		    "\"GGUF-TRAIL\", \"path\": \"gone%zu/**\", \"reason\": "
		    "\"stale\"}", i);
	snprintf(pol + n, sizeof(pol) - n, "]}\n");
	tu_write(d, "policy.json", pol);
	r = tu_run(d, (const char *const[]){ "scan", "-q", "--policy",
	    "policy.json", "--json", "u.json", "models", NULL });
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	for (k = 1; k <= 3; k++) {
		char spec[8], out[16];

		snprintf(spec, sizeof(spec), "%d/3", k);
		snprintf(out, sizeof(out), "s%d.json", k);
		r = tu_run(d, (const char *const[]){ "scan", "-q", "--policy",
		    "policy.json", "--shard", spec, "--json", out, "models",
		    NULL });
		ck_assert_msg(r.status == 0, "shard %s exit %d: %s", spec,
		    r.status, r.err);
		tu_free(&r);
	}
	r = tu_run(d, (const char *const[]){ "merge", "-q", "--json", "m.json",
	    "s2.json", "s3.json", "s1.json", NULL });
	ck_assert_msg(r.status == 0, "merge exit %d: %s", r.status, r.err);
	tu_free(&r);
	u = slurp_at(d, "u.json");
	mm = slurp_at(d, "m.json");
	ck_assert_msg(strcmp(u, mm) == 0, "merge differs from scan");
	free(mm);

	/* 300 unused, each its own fingerprint; the used one not listed. */
	j = cJSON_Parse(u);
	free(u);
	ck_assert_ptr_nonnull(j);
	{
		struct mg_strset *fps = mg_strset_new();

		ck_assert_ptr_nonnull(fps);
		n = 0;
		cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "artifacts"))
			cJSON_ArrayForEach(f, cJSON_GetObjectItem(a,
			    "findings")) {
				const char *fp = cJSON_GetObjectItem(f,
				    "fingerprint")->valuestring;

				if (strcmp(cJSON_GetObjectItem(f, "rule")->
				    valuestring, "POLICY-SUPPRESS-UNUSED") != 0)
					continue;
				n++;
				ck_assert_int_eq(mg_strset_add(fps, fp,
				    strlen(fp)), 1);
			}
		ck_assert_uint_eq(n, 300);
		mg_strset_free(fps);
	}
	cJSON_Delete(j);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * A scan root through a symlinked directory, many files in one
 * directory: the listed file is selected by its resolved name, so is a
 * file that is a link to a listed file, and no other file is (the
 * directory is resolved once for all, its files' own links still each).
 */
START_TEST(selection_resolves_each_file_of_a_linked_directory)
{
	char *d = tu_tmpdir(), *x;
	struct tres r;
	int fl;

	tu_sh("cd '%s' && mkdir -p real/a/b other && for i in 0 1 2 3 4 5 6 7 "
	    "8 9; do printf '\\200\\002K\\001.' >real/a/b/f$i.pkl; done && "
	    "printf '\\200\\002K\\001.' >other/t.pkl && "
	    "ln -s ../../../other/t.pkl real/a/b/ln.pkl && "
	    "ln -s f5.pkl real/a/b/ln5.pkl && ln -s real link && "
	    "printf 'other/t.pkl\\nreal/a/b/f3.pkl\\n' >list.txt", d);
	for (fl = 0; fl < 2; fl++) {
		const char *args[] = { "scan", "-q", "--files-from",
		    "list.txt", "--json", "sel.json", "link", NULL, NULL };

		if (fl) {
			args[6] = "--follow-symlinks";
			args[7] = "link";
		}
		r = tu_run(d, args);
		/* ln.pkl is not followed, or points out of the root. */
		ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
		tu_free(&r);
		x = slurp_at(d, "sel.json");
		ck_assert_ptr_nonnull(strstr(x, "\"link/a/b/f3.pkl\""));
		ck_assert_ptr_nonnull(strstr(x, "\"link/a/b/ln.pkl\""));
		ck_assert_ptr_null(strstr(x, "\"link/a/b/f5.pkl\""));
		/* Without --follow-symlinks a link is an error of the walk. */
		if (fl)
			ck_assert_ptr_null(strstr(x, "\"link/a/b/ln5.pkl\""));
		ck_assert_ptr_null(strstr(x, "\"link/a/b/f0.pkl\""));
		ck_assert_ptr_null(strstr(x, "\"link/a/b/f9.pkl\""));
		free(x);
	}
	tu_rmrf(d);
	free(d);
}
END_TEST

Suite *
merge_suite(void)
{
	Suite *s = suite_create("merge");
	TCase *tc = tcase_create("merge");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, merge_hash_shards_equal_unsharded_scan);
	tcase_add_test(tc, merge_size_shards_equal_unsharded_scan);
	tcase_add_test(tc, merge_refuses_missing_repeated_foreign_tampered);
	tcase_add_test(tc, merge_recomputes_verdicts_from_findings);
	tcase_add_test(tc, merge_accepts_a_waived_unchecked_format);
	tcase_add_test(tc, merge_waived_format_cut_short_is_an_error);
	tcase_add_test(tc, merge_verifies_signed_shards);
	tcase_add_test(tc, merge_refuses_mismatched_shards);
	tcase_add_test(tc, merge_single_report_with_a_fifo_pin);
	tcase_add_test(tc, merge_caps_report_size);
	tcase_add_test(tc, shard_hash_assignment_is_stable);
	tcase_add_test(tc, shard_size_mode_balances_bytes);
	tcase_add_test(tc, shard_auto_reads_gitlab_and_kubernetes);
	tcase_add_test(tc, scan_shard_auto_unset_is_usage_error);
	tcase_add_test(tc, scan_files_from_keeps_lock_verification);
	tcase_add_test(tc, scan_changed_since_uses_git_diff);
	tcase_add_test(tc, scan_changed_since_lock_edit_scans_everything);
	tcase_add_test(tc, scan_changed_since_sees_ignored_submodules);
	tcase_add_test(tc, scan_selection_covers_dirs_links_untracked);
	tcase_add_test(tc, scan_changed_since_escapes_git_stderr);
	tcase_add_test(tc, merge_of_an_empty_selection_passes);
	tcase_add_test(tc, junit_names_of_repeated_members);
	tcase_add_test(tc, merge_members_of_one_name);
	tcase_add_test(tc, merge_folds_many_alike_suppressions);
	tcase_add_test(tc, selection_resolves_each_file_of_a_linked_directory);
	suite_add_tcase(s, tc);
	return s;
}
