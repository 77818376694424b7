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

struct res {
	int	 status;
	char	*out;
	size_t	 len;
	char	*err;
};

static const char *
env(const char *k)
{
	const char *v = getenv(k);

	ck_assert_msg(v != NULL, "%s is not set (run through make test)", k);
	return v;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b = NULL;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return b;
}

/* Run MG_BIN with args (NULL-terminated); capture stdout and stderr. */
static struct res
run(const char *const *args)
{
	char outp[] = "/tmp/mgoutXXXXXX", errp[] = "/tmp/mgerrXXXXXX";
	const char *argv[64];
	struct res r;
	int fo = mkstemp(outp), fe = mkstemp(errp), st, i;
	pid_t pid;

	ck_assert(fo >= 0 && fe >= 0);
	argv[0] = env("MG_BIN");
	for (i = 0; args[i] != NULL && i < 62; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	close(fo);
	close(fe);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = slurp(outp, &r.len);
	r.err = slurp(errp, NULL);
	unlink(outp);
	unlink(errp);
	return r;
}

static void
res_free(struct res *r)
{
	free(r->out);
	free(r->err);
}

static char *
fix(const char *rel)
{
	static char p[4096];

	snprintf(p, sizeof(p), "%s/%s", env("MG_FIXTURES"), rel);
	return p;
}

START_TEST(cli_valid_tree_exit0_and_sorted)
{
	const char *b[] = { "bom", "--jobs", "2", NULL, NULL, NULL };
	struct res r;
	cJSON *j, *e;
	const char *prev = "";
	int n = 0;

	b[3] = strdup(fix("gguf/valid"));
	b[4] = strdup(fix("safetensors/valid"));
	r = run(b);
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
	res_free(&r);
}
END_TEST

START_TEST(cli_jobs_deterministic)
{
	const char *a1[] = { "bom", "--jobs", "1", NULL, NULL };
	const char *a8[] = { "bom", "--jobs", "8", NULL, NULL };
	struct res r1, r8;

	a1[3] = a8[3] = env("MG_FIXTURES");
	r1 = run(a1);
	r8 = run(a8);
	ck_assert_int_eq(r1.status, r8.status);
	ck_assert_uint_eq(r1.len, r8.len);
	ck_assert_int_eq(memcmp(r1.out, r8.out, r1.len), 0);
	res_free(&r1);
	res_free(&r8);
}
END_TEST

START_TEST(cli_hostile_exit3)
{
	const char *a[] = { "bom", NULL, NULL };
	struct res r;

	a[1] = fix("gguf/hostile");
	r = run(a);
	ck_assert_msg(r.status == 3, "exit %d", r.status);
	ck_assert_ptr_nonnull(strstr(r.err, "modelgate: exit 3"));
	res_free(&r);
	a[1] = fix("safetensors/hostile");
	r = run(a);
	ck_assert_msg(r.status == 3, "exit %d", r.status);
	res_free(&r);
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
	struct res r;

	r = run(missing);
	ck_assert_int_eq(r.status, 2);
	res_free(&r);
	r = run(badopt);
	ck_assert_int_eq(r.status, 2);
	res_free(&r);
	r = run(badjobs);
	ck_assert_int_eq(r.status, 2);
	res_free(&r);
	r = run(noarg);
	ck_assert_int_eq(r.status, 2);
	res_free(&r);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	empty[1] = dir;
	r = run(empty);
	ck_assert_int_eq(r.status, 4);
	ck_assert_ptr_nonnull(strstr(r.err, "exit 4"));
	res_free(&r);
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
	struct res r;
	cJSON *j;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/bom.json", dir);
	a[2] = out;
	a[3] = strdup(fix("safetensors/valid/one-tensor.safetensors"));
	r = run(a);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_uint_eq(r.len, 0);
	body = slurp(out, NULL);
	ck_assert_ptr_nonnull(body);
	j = cJSON_Parse(body);
	ck_assert(cJSON_IsObject(j));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "format")->valuestring,
	    "safetensors");
	cJSON_Delete(j);
	free(body);
	res_free(&r);
	nodir[3] = a[3];
	r = run(nodir);
	ck_assert_int_eq(r.status, 2);
	res_free(&r);
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
	struct res r;
	cJSON *j, *w;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s/weights.bin'",
	    fix("safetensors/valid/one-tensor.safetensors"), dir);
	ck_assert_int_eq(system(cmd), 0);
	a[1] = dir;
	r = run(a);
	j = cJSON_Parse(r.out);
	ck_assert(cJSON_IsArray(j));
	ck_assert_int_eq(cJSON_GetArraySize(j), 1);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0),
	    "format")->valuestring, "safetensors");
	w = cJSON_GetObjectItem(cJSON_GetArrayItem(j, 0), "findings");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(w, 0),
	    "rule")->valuestring, "FMT-EXT");
	cJSON_Delete(j);
	res_free(&r);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
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
	suite_add_tcase(s, tc);
	return s;
}
