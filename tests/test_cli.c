/*
 * test_cli.c - the modelgate binary end to end: exit statuses, output
 * shapes, determinism across --jobs, atomic --output, and agreement with
 * l-bom on the fields both compute (golden files captured from l-bom).
 *
 * MG_BIN, MG_FIXTURES and MG_GOLDEN come from the Makefile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "suites.h"
#include "tutil.h"

START_TEST(cli_valid_tree_exit0_and_sorted)
{
	const char *b[] = { "bom", "--jobs", "2", NULL, NULL, NULL };
	struct tres r;
	cJSON *j, *e;
	const char *prev = "";
	int n = 0;

	b[3] = strdup(tu_fix("gguf/valid"));
	b[4] = strdup(tu_fix("safetensors/valid"));
	r = tu_run(NULL, b);
	free((char *)b[3]);
	free((char *)b[4]);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	j = cJSON_Parse(r.out);
	ck_assert_ptr_nonnull(j);
	ck_assert(cJSON_IsArray(j));
	cJSON_ArrayForEach(e, j) {
		const cJSON *p = cJSON_GetObjectItem(e, "model_path");
		const cJSON *h = cJSON_GetObjectItem(e, "sha256");

		ck_assert(cJSON_IsString(p));
		ck_assert_int_lt(strcmp(prev, p->valuestring), 0);
		prev = p->valuestring;
		ck_assert_uint_eq(strlen(h->valuestring), 64);
		n++;
	}
	ck_assert_int_gt(n, 4);
	cJSON_Delete(j);
	tu_free(&r);
}
END_TEST

START_TEST(cli_jobs_deterministic)
{
	const char *a1[] = { "bom", "--jobs", "1", NULL, NULL };
	const char *a8[] = { "bom", "--jobs", "8", NULL, NULL };
	struct tres r1, r8;

	a1[3] = a8[3] = tu_env("MG_FIXTURES");
	r1 = tu_run(NULL, a1);
	r8 = tu_run(NULL, a8);
	ck_assert_int_eq(r1.status, r8.status);
	ck_assert_uint_eq(r1.len, r8.len);
	ck_assert_int_eq(memcmp(r1.out, r8.out, r1.len), 0);
	tu_free(&r1);
	tu_free(&r8);
}
END_TEST

START_TEST(cli_hostile_exit3)
{
	const char *a[] = { "bom", NULL, NULL };
	struct tres r;

	a[1] = tu_fix("gguf/hostile");
	r = tu_run(NULL, a);
	ck_assert_msg(r.status == 3, "exit %d", r.status);
	ck_assert_ptr_nonnull(strstr(r.err, "modelgate: exit 3"));
	tu_free(&r);
	a[1] = tu_fix("safetensors/hostile");
	r = tu_run(NULL, a);
	ck_assert_msg(r.status == 3, "exit %d", r.status);
	tu_free(&r);
}
END_TEST

START_TEST(cli_usage_and_empty)
{
	const char *missing[] = { "bom", "/nonexistent/modelgate", NULL };
	const char *badopt[] = { "bom", "--format", "xml", "/tmp", NULL };
	const char *badjobs[] = { "bom", "--jobs", "0", "/tmp", NULL };
	const char *noarg[] = { "bom", NULL };
	const char *empty[] = { "bom", NULL, NULL };
	char dir[] = "/tmp/mgemptyXXXXXX";
	struct tres r;

	r = tu_run(NULL, missing);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	r = tu_run(NULL, badopt);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	r = tu_run(NULL, badjobs);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	r = tu_run(NULL, noarg);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	empty[1] = dir;
	r = tu_run(NULL, empty);
	ck_assert_int_eq(r.status, 4);
	ck_assert_ptr_nonnull(strstr(r.err, "exit 4"));
	tu_free(&r);
	rmdir(dir);
}
END_TEST

/* One file argument gives one object; --output replaces atomically. */
START_TEST(cli_single_object_and_output)
{
	char dir[] = "/tmp/mgoutdirXXXXXX", out[4200], *body;
	const char *a[] = { "bom", "--output", NULL, NULL, NULL };
	const char *nodir[] = { "bom", "--output", "/nonexistent/dir/x.json",
	    NULL, NULL };
	struct tres r;
	cJSON *j;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/bom.json", dir);
	a[2] = out;
	a[3] = strdup(tu_fix("safetensors/valid/one-tensor.safetensors"));
	r = tu_run(NULL, a);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(r.len, 0);
	body = tu_slurp(out, NULL);
	ck_assert_ptr_nonnull(body);
	j = cJSON_Parse(body);
	ck_assert(cJSON_IsObject(j));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "format")->valuestring,
	    "safetensors");
	cJSON_Delete(j);
	free(body);
	tu_free(&r);
	nodir[3] = a[3];
	r = tu_run(NULL, nodir);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	free((char *)a[3]);
	unlink(out);
	rmdir(dir);
}
END_TEST

/* A model hidden behind another extension is found and reported. */
START_TEST(cli_content_not_extension)
{
	char dir[] = "/tmp/mgextXXXXXX", cmd[8400];
	const char *a[] = { "bom", NULL, NULL };
	struct tres r;
	cJSON *j, *w;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/weights.bin'",
	    tu_fix("safetensors/valid/one-tensor.safetensors"), dir);
	ck_assert_int_eq(system(cmd), 0);
	a[1] = dir;
	r = tu_run(NULL, a);
	j = cJSON_Parse(r.out);
	ck_assert(cJSON_IsArray(j));
	ck_assert_int_eq(cJSON_GetArraySize(j), 1);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0),
	    "format")->valuestring, "safetensors");
	w = cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "findings");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(w, 0),
	    "rule")->valuestring, "FMT-EXT");
	cJSON_Delete(j);
	tu_free(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/*
 * Sidecars are read once per directory and reused: every model of a
 * directory gets that directory's values and findings, never another's.
 */
START_TEST(cli_sidecars_per_directory)
{
	char *d = tu_tmpdir();
	const char *a[] = { "bom", "--jobs", "1", NULL, NULL };
	struct tres r;
	cJSON *j, *e;
	int n = 0;

	tu_sh("cd '%s' && mkdir a b && for x in a b; do cp '%s' $x/m1.safetensors"
	    " && cp $x/m1.safetensors $x/m2.safetensors; done", d,
	    tu_fix("safetensors/valid/multi-pt.safetensors"));
	tu_sh("echo '{\"model_type\": \"alpha\"}' > '%s/a/config.json' && "
	    "echo '{\"model_type\":' > '%s/b/config.json'", d, d);
	/* A value bomb is refused before cJSON builds a node per value. */
	tu_sh("printf '{\"x\": [' > '%s/b/tokenizer_config.json' && "
	    "head -c 1100000 /dev/zero | tr '\\0' '0' | sed 's/0/0,/g' "
	    ">> '%s/b/tokenizer_config.json' && printf '0]}' >> "
	    "'%s/b/tokenizer_config.json'", d, d, d);
	a[3] = d;
	r = tu_run(NULL, a);
	j = cJSON_Parse(r.out);
	ck_assert(cJSON_IsArray(j));
	cJSON_ArrayForEach(e, j) {
		const cJSON *arch = cJSON_GetObjectItem(e, "architecture");
		const cJSON *fs = cJSON_GetObjectItem(e, "findings");
		const cJSON *mp = cJSON_GetObjectItem(e, "model_path");

		/* The value bomb itself is listed too: it was not checked. */
		if (cJSON_IsString(mp) && strstr(mp->valuestring,
		    "tokenizer_config.json") != NULL)
			continue;
		if (n < 2) {	/* a/: the good sidecar */
			ck_assert_str_eq(arch->valuestring, "alpha");
			ck_assert_int_eq(cJSON_GetArraySize(fs), 0);
		} else {	/* b/: the broken one, on both models */
			ck_assert(cJSON_IsNull(arch));
			ck_assert_int_eq(cJSON_GetArraySize(fs), 2);
			ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(
			    fs, 0), "rule")->valuestring, "SIDECAR-JSON");
			ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(
			    cJSON_GetArrayItem(fs, 1), "message")->valuestring,
			    "JSON values"));
		}
		n++;
	}
	ck_assert_int_eq(n, 4);
	cJSON_Delete(j);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* The format table, as policies name the formats. */
START_TEST(cli_formats_lists_the_table)
{
	const char *a[] = { "formats", NULL };
	const char *bad[] = { "formats", "extra", NULL };
	struct tres r = tu_run(NULL, a);

	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "gguf          checked   .gguf\n"));
	ck_assert_ptr_nonnull(strstr(r.out,
	    "safetensors   checked   .safetensors\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "lfs-pointer"));
	ck_assert_ptr_nonnull(strstr(r.out,
	    "pytorch       members   .pt .pth .ckpt\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "onnx          unchecked .onnx\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "zip           archive   .zip\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "zstd          archive   .zst"));
	ck_assert_ptr_nonnull(strstr(r.out, "7z            archive   .7z\n"));
	tu_free(&r);
	r = tu_run(NULL, bad);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
}
END_TEST

/* --no-hash and a broken sidecar: reported, neither fails the BOM. */
START_TEST(cli_no_hash_and_bad_sidecar)
{
	char *d = tu_tmpdir();
	const char *a[] = { "bom", "--no-hash", NULL, NULL };
	struct tres r;
	const cJSON *f;
	cJSON *j, *doc;
	int hs = 0, sc = 0;

	tu_sh("cp '%s' '%s/'", tu_fix("gguf/valid/llama-q8_0.gguf"), d);
	tu_write(d, "config.json", "{\"model_type\": ");
	a[2] = d;
	r = tu_run(NULL, a);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	j = cJSON_Parse(r.out);
	ck_assert(cJSON_IsArray(j));
	doc = cJSON_GetArrayItem(j, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(doc, "sha256")->valuestring, "");
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(doc, "findings")) {
		const char *rule = cJSON_GetObjectItem(f, "rule")->valuestring;

		hs += strcmp(rule, "HASH-SKIPPED") == 0;
		sc += strcmp(rule, "SIDECAR-JSON") == 0;
	}
	ck_assert_int_eq(hs, 1);
	ck_assert_int_eq(sc, 1);
	cJSON_Delete(j);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* The README's rule table is `modelgate rules --format markdown`. */
START_TEST(cli_readme_rule_table_current)
{
	const char *a[] = { "rules", "--format", "markdown", NULL };
	struct tres r = tu_run(NULL, a);
	char *readme = tu_slurp(tu_env("MG_README"), NULL), *b, *e;

	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(readme);
	b = strstr(readme, "<!-- rules:begin -->\n");
	e = strstr(readme, "<!-- rules:end -->");
	ck_assert(b != NULL && e != NULL && e > b);
	b += strlen("<!-- rules:begin -->\n");
	ck_assert_msg((size_t)(e - b) == r.len && memcmp(b, r.out, r.len) == 0,
	    "README rule table is stale: run make docs");
	free(readme);
	tu_free(&r);
}
END_TEST

Suite *
cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cli_valid_tree_exit0_and_sorted);
	tcase_add_test(tc, cli_jobs_deterministic);
	tcase_add_test(tc, cli_hostile_exit3);
	tcase_add_test(tc, cli_usage_and_empty);
	tcase_add_test(tc, cli_single_object_and_output);
	tcase_add_test(tc, cli_content_not_extension);
	tcase_add_test(tc, cli_readme_rule_table_current);
	tcase_add_test(tc, cli_no_hash_and_bad_sidecar);
	tcase_add_test(tc, cli_formats_lists_the_table);
	tcase_add_test(tc, cli_sidecars_per_directory);
	suite_add_tcase(s, tc);
	return s;
}
