/*
 * test_lock.c - pinned digests: the lock file (write, read, hostile
 * documents), sha256sum manifests (a table of line forms), verification
 * (a modified byte, a deleted file, an added file, an unverified pin, root
 * coverage), Git LFS pointers (probe, parse, truncation and bit flips) and
 * `modelgate lock` end to end through MG_BIN.
 *
 * Files are generated into a fresh temporary directory per test with the
 * fixture generators, so nothing depends on the build's fixture tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "gen.h"
#include "lockfile.h"
#include "rd.h"
#include "rules.h"
#include "run.h"
#include "scan.h"
#include "suites.h"
#include "tutil.h"

#define H1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H1U "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define H2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define H40 "0123456789abcdef0123456789abcdef01234567"
#define H32 "0123456789abcdef0123456789abcdef"

/* ---- helpers ------------------------------------------------------------ */

static char tmpdir[256];

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	chmod(p, 0700);
	return remove(p);
}

static void
mk_tmp(void)
{
	strcpy(tmpdir, "/tmp/mglockXXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
rm_tmp(void)
{
	if (tmpdir[0] != '\0')
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tmpdir[0] = '\0';
}

/* tmpdir/rel in a static buffer (one of four, rotating). */
static const char *
tp(const char *rel)
{
	static char b[4][1024];
	static int k;

	k = (k + 1) % 4;
	snprintf(b[k], sizeof(b[k]), "%s/%s", tmpdir, rel);
	return b[k];
}

static void
put_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

static void
put_text(const char *path, const char *s)
{
	put_file(path, s, strlen(s));
}

static size_t
count_rule(const struct mg_artifact *a, enum mg_rule_id r)
{
	size_t k, c = 0;

	for (k = 0; k < a->nfindings; k++)
		if (a->findings[k].rule == r)
			c++;
	return c;
}

static const char *
msg_of(const struct mg_artifact *a, enum mg_rule_id r)
{
	size_t k;

	for (k = 0; k < a->nfindings; k++)
		if (a->findings[k].rule == r)
			return a->findings[k].message;
	return "";
}

static struct mg_artifact *
fake(const char *path, const char *sha)
{
	struct mg_artifact *a = malloc(sizeof(*a));
	const char *s = strrchr(path, '/');

	ck_assert_ptr_nonnull(a);
	mg_artifact_init(a);
	ck_assert_int_eq(mg_artifact_setz(&a->path, path), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a->abspath, path), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a->filename, s ? s + 1 : path),
	    MG_OK);
	a->format = &mg_fmt_gguf;
	a->complete = 1;
	snprintf(a->sha256, sizeof(a->sha256), "%s", sha);
	return a;
}

static void
fake_free(struct mg_artifact **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		mg_artifact_free(v[i]);
		free(v[i]);
	}
	free(v);
}

static void
scan_tree(struct mg_run *run, const char *root)
{
	struct mg_run_opts ro;
	char *roots[1];

	memset(&ro, 0, sizeof(ro));
	ro.scan.hash = 1;
	ro.jobs = 2;
	roots[0] = (char *)root;
	ck_assert_int_eq(mg_run_scan(run, roots, 1, &ro), MG_OK);
}

static void
write_lock(const char *file, struct mg_artifact *const *v, size_t n)
{
	FILE *f = fopen(file, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(mg_lock_write(f, v, n, "2023-11-14T22:13:20+00:00"),
	    MG_OK);
	ck_assert_int_eq(fclose(f), 0);
}

/* ---- the lock file ----------------------------------------------------- */

START_TEST(lock_roundtrip)
{
	struct mg_artifact *v[3];
	struct mg_lock l;
	char err[512];
	cJSON *doc, *arts, *e;
	char *text;

	mk_tmp();
	v[0] = fake("./models/b.gguf", H2);
	v[0]->size = 42;
	v[1] = fake("models/a.safetensors", H1);
	v[1]->format = &mg_fmt_safetensors;
	v[1]->size = 9007199254740993ull;	/* 2^53 + 1: exact in JSON */
	mg_artifact_setz(&v[1]->architecture, "llama");
	mg_artifact_setz(&v[1]->quantization, "Q8_0");
	mg_artifact_setz(&v[1]->license, "apache-2.0");
	v[1]->parameter_count = 123;
	v[1]->have |= MG_HAVE_PARAMS;
	v[2] = fake("models/b.gguf", H2);	/* same file via two roots */
	write_lock(tp("x.lock"), v, 3);

	text = tu_slurp(tp("x.lock"), NULL);
	ck_assert_ptr_nonnull(strstr(text, "9007199254740993"));
	doc = cJSON_Parse(text);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(cJSON_GetObjectItem(doc, "version")->valueint, 1);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "tool"),
	    "name")->valuestring, "modelgate");
	ck_assert_str_eq(cJSON_GetObjectItem(doc, "generated_at")->valuestring,
	    "2023-11-14T22:13:20+00:00");
	arts = cJSON_GetObjectItem(doc, "artifacts");
	ck_assert_int_eq(cJSON_GetArraySize(arts), 2);
	e = cJSON_GetArrayItem(arts, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(e, "path")->valuestring,
	    "models/a.safetensors");
	ck_assert_str_eq(cJSON_GetObjectItem(e, "architecture")->valuestring,
	    "llama");
	ck_assert_str_eq(cJSON_GetObjectItem(e, "quantization")->valuestring,
	    "Q8_0");
	ck_assert_str_eq(cJSON_GetObjectItem(e, "license")->valuestring,
	    "apache-2.0");
	ck_assert_int_eq(cJSON_GetObjectItem(e, "parameter_count")->valueint,
	    123);
	e = cJSON_GetArrayItem(arts, 1);
	ck_assert_str_eq(cJSON_GetObjectItem(e, "path")->valuestring,
	    "models/b.gguf");
	ck_assert_ptr_null(cJSON_GetObjectItem(e, "architecture"));
	ck_assert_ptr_null(cJSON_GetObjectItem(e, "parameter_count"));
	ck_assert_ptr_null(cJSON_GetObjectItem(e, "license"));
	cJSON_Delete(doc);
	free(text);

	ck_assert_int_eq(mg_lock_read(&l, tp("x.lock"), err, sizeof(err)),
	    MG_OK);
	ck_assert_uint_eq(l.n, 2);
	ck_assert_uint_eq(l.nbad, 0);
	ck_assert_str_eq(l.e[0].path, "models/a.safetensors");
	ck_assert_str_eq(l.e[0].sha256, H1);
	ck_assert_int_eq(l.e[0].have_size, 0);	/* past 2^53: not exact */
	ck_assert_str_eq(l.e[1].path, "models/b.gguf");
	ck_assert_int_eq(l.e[1].have_size, 1);
	ck_assert_uint_eq(l.e[1].size, 42);
	ck_assert_uint_gt(l.e[1].line, l.e[0].line);
	ck_assert_ptr_nonnull(mg_lock_find(&l, "./models/b.gguf"));
	ck_assert_ptr_nonnull(mg_lock_find(&l, "models/a.safetensors"));
	ck_assert_ptr_null(mg_lock_find(&l, "models/c.gguf"));
	mg_lock_free(&l);
	mg_lock_free(&l);	/* idempotent */

	/* Nothing is written for an unhashed artifact or a non-UTF-8 path. */
	v[2]->sha256[0] = '\0';
	ck_assert_int_eq(mg_lock_write(stdout, v, 3, "t"), MG_ERR_FORMAT);
	snprintf(v[2]->sha256, sizeof(v[2]->sha256), "%s", H1);
	mg_artifact_setz(&v[2]->path, "models/\xff.gguf");
	ck_assert_int_eq(mg_lock_write(stdout, v, 3, "t"), MG_ERR_FORMAT);
	mg_artifact_free(v[0]);
	mg_artifact_free(v[1]);
	mg_artifact_free(v[2]);
	free(v[0]);
	free(v[1]);
	free(v[2]);
	rm_tmp();
}
END_TEST

struct doc_case {
	const char	*text;
	const char	*err;	/* substring of the usage error, or NULL */
};

static const struct doc_case bad_docs[] = {
	{ "not json", ":1: not valid JSON" },
	{ "{\n\"version\": 1,\n\"artifacts\": [\n}", ":4: not valid JSON" },
	{ "[]", "not a JSON object" },
	{ "{\"artifacts\": []}", "no numeric \"version\"" },
	{ "{\"version\": \"1\", \"artifacts\": []}", "no numeric" },
	{ "{\"version\": 2, \"artifacts\": []}", "version 2 is not supported" },
	{ "{\"version\": 1}", "\"artifacts\" is missing" },
	{ "{\"version\": 1, \"artifacts\": {}}", "\"artifacts\" is missing" },
	{ "{\"version\": 1, \"version\": 1, \"artifacts\": []}",
	    "\"version\" appears twice" },
	{ "{\"version\": 1, \"artifacts\": []} {}", "text after" },
	{ "{\"version\": 1, \"tool\": 3, \"artifacts\": []}",
	    "\"tool\" is not an object" },
	{ "{\"version\": 1, \"generated_at\": 3, \"artifacts\": []}",
	    "\"generated_at\" is not a string" },
	{ "{\"version\": 1, \"artifacts\": [[[[[[[[[]]]]]]]]]}",
	    "nested deeper than 8" },
	{ "{\"version\": 1,\n \"artifacts\": [{\"path\": \"a\\u0000b\", "
	    "\"sha256\": \"" H1 "\"}]}", ":2: a string contains \\u0000" },
	{ "{\"version\": 1, \"artifacts\": [{\"path\": \"a\nb\"}]}",
	    ":1: a control character" },
	{ "", "not valid JSON" },
};

START_TEST(lock_bad_documents)
{
	struct mg_lock l;
	char err[512];
	size_t i;

	mk_tmp();
	for (i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		put_text(tp("bad.lock"), bad_docs[i].text);
		ck_assert_msg(mg_lock_read(&l, tp("bad.lock"), err,
		    sizeof(err)) == MG_ERR_USAGE, "case %zu accepted", i);
		ck_assert_msg(strstr(err, bad_docs[i].err) != NULL,
		    "case %zu: '%s' lacks '%s'", i, err, bad_docs[i].err);
		ck_assert_ptr_null(l.e);
		ck_assert_ptr_null(l.source);
	}
	ck_assert_int_eq(mg_lock_read(&l, tp("nonexistent"), err, sizeof(err)),
	    MG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "cannot open"));
	ck_assert_int_eq(mg_lock_read(&l, tmpdir, err, sizeof(err)),
	    MG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "is a directory"));
	rm_tmp();
}
END_TEST

START_TEST(lock_bad_entries)
{
	static const char doc[] =
	    "{\"version\": 1, \"extra\": [1, 2], \"artifacts\": [\n"	/* 1 */
	    "  1,\n"							/* 2 */
	    "  {\"path\": \"a\", \"sha256\": \"xyz\"},\n"		/* 3 */
	    "  {\"sha256\": \"" H1 "\"},\n"				/* 4 */
	    "  {\"path\": \"b\", \"sha256\": \"" H1 "\", \"size\": -1},\n"
	    "  {\"path\": \"c\", \"sha256\": \"" H1 "\", \"format\": 3},\n"
	    "  {\"path\": \"d\", \"sha256\": \"" H1U "\"},\n"		/* 7 */
	    "  {\"path\": \"d\", \"sha256\": \"" H2 "\"},\n"		/* 8 */
	    "  {\"path\": \"./e\", \"sha256\": \"" H1 "\", \"size\": 7},\n"
	    "  {\"path\": \"e\", \"sha256\": \"" H1 "\", \"new\": {}},\n"
	    "  {\"path\": \"f\", \"path\": \"g\", \"sha256\": \"" H1 "\"},\n"
	    "  {\"path\": \"/abs/h\", \"sha256\": \"" H1 "\"},\n"	/* 12 */
	    "  {\"path\": \"./\", \"sha256\": \"" H1 "\"}\n"		/* 13 */
	    "]}\n";
	struct mg_lock l;
	char err[512];
	size_t i;

	mk_tmp();
	put_text(tp("e.lock"), doc);
	ck_assert_int_eq(mg_lock_read(&l, tp("e.lock"), err, sizeof(err)),
	    MG_OK);
	ck_assert_uint_eq(l.n, 3);
	ck_assert_str_eq(l.e[0].path, "/abs/h");
	ck_assert_str_eq(l.e[1].path, "d");
	ck_assert_str_eq(l.e[1].sha256, H1);	/* lower-cased, first kept */
	ck_assert_uint_eq(l.e[1].line, 7);
	ck_assert_str_eq(l.e[2].path, "e");
	ck_assert_uint_eq(l.nbad, 8);
	{
		static const size_t lines[] = { 2, 3, 4, 5, 6, 11, 13 };

		for (i = 0; i < 7; i++)
			ck_assert_msg(l.bad[i].line == lines[i],
			    "problem %zu at line %zu: %s", i, l.bad[i].line,
			    l.bad[i].message);
	}
	/* The conflicting duplicate is reported last (found when sorting). */
	ck_assert_uint_eq(l.bad[7].line, 8);
	ck_assert_ptr_nonnull(strstr(l.bad[7].message, "different digest"));
	mg_lock_free(&l);
	rm_tmp();
}
END_TEST

START_TEST(lock_limits)
{
	struct mg_lock l;
	char err[512];
	FILE *f;
	size_t i;
	int fd;

	mk_tmp();
	/* More values than the cap: refused before cJSON allocates them. */
	f = fopen(tp("many.lock"), "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"version\": 1, \"artifacts\": [", f);
	for (i = 0; i < 4000001; i++)
		fputs("0,", f);
	fputs("0]}", f);
	fclose(f);
	ck_assert_int_eq(mg_lock_read(&l, tp("many.lock"), err, sizeof(err)),
	    MG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "JSON values"));

	/* A file over the byte cap is refused from its size (sparse). */
	fd = open(tp("big.lock"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, (off_t)65 << 20), 0);
	close(fd);
	ck_assert_int_eq(mg_lock_read(&l, tp("big.lock"), err, sizeof(err)),
	    MG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "over the limit"));
	ck_assert_int_eq(mg_manifest_read(&l, tp("big.lock"), err,
	    sizeof(err)), MG_ERR_USAGE);
	rm_tmp();
}
END_TEST

START_TEST(lock_from_pins)
{
	const char *paths[] = { "./m/a.gguf", "m/b.gguf", "", "m/a.gguf",
	    "m/c.gguf" };
	const char *hexes[] = { H1U, H2, H1, H2, "beef" };
	const size_t lines[] = { 3, 4, 5, 6, 7 };
	struct mg_lock l;

	ck_assert_int_eq(mg_lock_from_pins(&l, "policy.json", paths, hexes,
	    lines, 5), MG_OK);
	ck_assert_str_eq(l.source, "policy.json");
	ck_assert_uint_eq(l.n, 2);
	ck_assert_str_eq(l.e[0].path, "m/a.gguf");
	ck_assert_str_eq(l.e[0].sha256, H1);
	ck_assert_uint_eq(l.nbad, 3);
	mg_lock_free(&l);
}
END_TEST

/* ---- sha256sum manifests ------------------------------------------------ */

struct man_case {
	const char	*name;
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	int		 usage;		/* expect MG_ERR_USAGE */
	size_t		 n, nbad;
	const char	*path0, *hex0;	/* the first entry, when n > 0 */
	const char	*bad0;		/* substring of the first problem */
};

static const struct man_case man_cases[] = {
	{ "text mode", H1 "  a.gguf\n", 0, 0, 1, 0, "a.gguf", H1, NULL },
	{ "binary mode", H1 " *b.bin\n", 0, 0, 1, 0, "b.bin", H1, NULL },
	{ "no final newline", H1 "  a", 0, 0, 1, 0, "a", H1, NULL },
	{ "spaces in name", H1 "   two  spaces \n", 0, 0, 1, 0,
	    " two  spaces ", H1, NULL },
	{ "escaped newline and backslash", "\\" H1 "  d/new\\nline\\\\x\n",
	    0, 0, 1, 0, "d/new\nline\\x", H1, NULL },
	{ "escaped CR", "\\" H1 " *a\\rb\n", 0, 0, 1, 0, "a\rb", H1, NULL },
	{ "literal backslash unescaped", H1 "  a\\nb\n", 0, 0, 1, 0, "a\\nb",
	    H1, NULL },
	{ "BSD tag", "SHA256 (c d.gguf) = " H1 "\n", 0, 0, 1, 0, "c d.gguf",
	    H1, NULL },
	{ "BSD tag, ') = ' in name", "SHA256 (x) = y) = " H1U "\n", 0, 0, 1,
	    0, "x) = y", H1, NULL },
	{ "BSD tag escaped", "\\SHA256 (a\\\\b) = " H1 "\n", 0, 0, 1, 0,
	    "a\\b", H1, NULL },
	{ "CRLF and upper case", H1U "  a.gguf\r\n" H2 "  b.gguf\r\n", 0, 0,
	    2, 0, "a.gguf", H1, NULL },
	{ "comments and blanks", "# made by hand\n\n   \n" H1 "  a\n", 0, 0,
	    1, 0, "a", H1, NULL },
	{ "dot slash", H1 "  ./x/y\n" H1 "  .//z\n", 0, 0, 2, 0, "x/y", H1,
	    NULL },
	{ "byte order mark", "\xef\xbb\xbf" H1 "  a\n", 0, 0, 1, 0, "a", H1,
	    NULL },
	{ "sorted", H2 "  z\n" H1 "  a\n", 0, 0, 2, 0, "a", H1, NULL },
	{ "same digest twice", H1 "  a\n" H1U " *./a\n", 0, 0, 1, 0, "a", H1,
	    NULL },
	{ "different digests", H1 "  a\n" H2 "  a\n", 0, 0, 1, 1, "a", H1,
	    "different digest" },
	{ "MD5 tag", "MD5 (a) = " H32 "\n" H1 "  b\n", 0, 0, 1, 1, "b", H1,
	    "only SHA-256" },
	{ "SHA-1 line", H40 "  a\n" H1 "  b\n", 0, 0, 1, 1, "b", H1,
	    "SHA-1" },
	{ "MD5 line", H32 "  a\n" H1 "  b\n", 0, 0, 1, 1, "b", H1, "MD5" },
	{ "single space", H1 " a\n" H1 "  b\n", 0, 0, 1, 1, "b", H1,
	    "two spaces" },
	{ "digest only", H1 "\n" H1 "  b\n", 0, 0, 1, 1, "b", H1,
	    "without a path" },
	{ "garbage", "hello world\n" H1 "  b\n", 0, 0, 1, 1, "b", H1,
	    "not a sha256sum line" },
	{ "65 digits", H1 "0  a\n" H1 "  b\n", 0, 0, 1, 1, "b", H1,
	    "not a sha256sum line" },
	{ "bad escape", "\\" H1 "  a\\tb\n" H1 "  b\n", 0, 0, 1, 1, "b", H1,
	    "unknown escape" },
	{ "lone backslash", "\\" H1 "  a\\\n" H1 "  b\n", 0, 0, 1, 1, "b",
	    H1, "lone backslash" },
	{ "traversal", H1 "  ../../etc/passwd\n" H1 "  b\n", 0, 0, 1, 1,
	    "b", H1, "'..'" },
	{ "inner traversal", H1 "  a/../../b\n" H1 "  b\n", 0, 0, 1, 1, "b",
	    H1, "'..'" },
	{ "absolute", H1 "  /etc/passwd\n" H1 "  b\n", 0, 0, 1, 1, "b", H1,
	    "absolute" },
	{ "drive letter", H1 "  C:/x\n" H1 "  b\n", 0, 0, 1, 1, "b", H1,
	    "drive-letter" },
	{ "empty after ./", H1 "  ./\n" H1 "  b\n", 0, 0, 1, 1, "b", H1,
	    "empty path" },
	{ "BSD traversal", "SHA256 (../x) = " H1 "\n" H1 "  b\n", 0, 0, 1, 1,
	    "b", H1, "'..'" },
	{ "BSD bad digest", "SHA256 (x) = abc\n" H1 "  b\n", 0, 0, 1, 1, "b",
	    H1, "64 hex" },
	{ "NUL byte", H1 "  a\0b\n" H1 "  b\n", 66 + 4 + 66 + 2, 0, 1, 1, "b",
	    H1, "NUL" },
	{ "dots are names", H1 "  ...\n" H1 "  a/..b\n", 0, 0, 2, 0, "...",
	    H1, NULL },
	{ "empty file", "", 0, 1, 0, 0, NULL, NULL, NULL },
	{ "comments only", "# nothing\n\n", 0, 1, 0, 0, NULL, NULL, NULL },
	{ "only bad lines", "MD5 (a) = " H32 "\n", 0, 1, 0, 0, NULL, NULL,
	    NULL },
	{ "only unsafe lines", H1 "  /etc/shadow\n", 0, 1, 0, 0, NULL, NULL,
	    NULL },
};

START_TEST(manifest_table)
{
	const struct man_case *c = &man_cases[_i];
	struct mg_lock l;
	char err[512];
	int r;

	mk_tmp();
	put_file(tp("SHA256SUMS"), c->text, c->len ? c->len : strlen(c->text));
	r = mg_manifest_read(&l, tp("SHA256SUMS"), err, sizeof(err));
	if (c->usage) {
		ck_assert_msg(r == MG_ERR_USAGE, "%s: accepted", c->name);
		ck_assert_msg(strstr(err, "SHA256SUMS") != NULL, "%s: %s",
		    c->name, err);
		rm_tmp();
		return;
	}
	ck_assert_msg(r == MG_OK, "%s: %s", c->name, err);
	ck_assert_msg(l.n == c->n, "%s: %zu entries", c->name, l.n);
	ck_assert_msg(l.nbad == c->nbad, "%s: %zu problems (%s)", c->name,
	    l.nbad, l.nbad ? l.bad[0].message : "");
	if (c->n > 0) {
		ck_assert_msg(strcmp(l.e[0].path, c->path0) == 0, "%s: path "
		    "'%s'", c->name, l.e[0].path);
		ck_assert_str_eq(l.e[0].sha256, c->hex0);
		ck_assert_int_eq(l.e[0].have_size, 0);
		ck_assert_uint_gt(l.e[0].line, 0);
	}
	if (c->bad0 != NULL)
		ck_assert_msg(strstr(l.bad[0].message, c->bad0) != NULL,
		    "%s: problem '%s'", c->name, l.bad[0].message);
	mg_lock_free(&l);
	rm_tmp();
}
END_TEST

START_TEST(manifest_lines_and_caps)
{
	struct mg_lock l;
	char err[512], *big;
	size_t n = 9000;

	mk_tmp();
	/* A line past the length cap is a problem; the rest is read. */
	big = malloc(n + 200);
	ck_assert_ptr_nonnull(big);
	memcpy(big, H1 "  ", 66);
	memset(big + 66, 'x', n - 66);
	memcpy(big + n, "\n" H1 "  ok\n", 70);
	put_file(tp("M"), big, n + 70);
	ck_assert_int_eq(mg_manifest_read(&l, tp("M"), err, sizeof(err)),
	    MG_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_str_eq(l.e[0].path, "ok");
	ck_assert_uint_eq(l.e[0].line, 2);
	ck_assert_uint_eq(l.nbad, 1);
	ck_assert_uint_eq(l.bad[0].line, 1);
	ck_assert_ptr_nonnull(strstr(l.bad[0].message, "longer than"));
	mg_lock_free(&l);
	free(big);

	/* The usage error names the first problem and its line. */
	put_text(tp("M"), "# x\n" H40 "  a\n");
	ck_assert_int_eq(mg_manifest_read(&l, tp("M"), err, sizeof(err)),
	    MG_ERR_USAGE);
	ck_assert_ptr_nonnull(strstr(err, "M:2:"));
	ck_assert_ptr_nonnull(strstr(err, "SHA-1"));
	ck_assert_int_eq(mg_manifest_read(&l, tp("none"), err, sizeof(err)),
	    MG_ERR_USAGE);

	/* More problems than the cap: listed, then counted. */
	{
		FILE *f = fopen(tp("M"), "w");
		int i;

		for (i = 0; i < 300; i++)
			fprintf(f, "%s  /abs/%d\n", H1, i);
		fprintf(f, "%s  fine\n", H1);
		fclose(f);
	}
	ck_assert_int_eq(mg_manifest_read(&l, tp("M"), err, sizeof(err)),
	    MG_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.nbad, 257);
	ck_assert_ptr_nonnull(strstr(l.bad[256].message, "44 more"));
	mg_lock_free(&l);
	rm_tmp();
}
END_TEST

/* ---- verification ----------------------------------------------------- */

/* The artifact whose path ends with name, or NULL. */
static struct mg_artifact *
art_named(struct mg_run *run, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < run->n; i++) {
		size_t m = strlen(run->arts[i]->path);

		if (m >= n && strcmp(run->arts[i]->path + m - n, name) == 0)
			return run->arts[i];
	}
	return NULL;
}

static size_t
total(struct mg_run *run, enum mg_rule_id r)
{
	size_t i, c = 0;

	for (i = 0; i < run->n; i++)
		c += count_rule(run->arts[i], r);
	return c;
}

START_TEST(verify_tree)
{
	struct mg_run run;
	struct mg_lock l;
	struct mg_artifact **miss, *a;
	size_t nmiss, nbefore;
	char err[512], *root, *roots[1], *buf;
	size_t len;

	mk_tmp();
	mg_gen_safetensors(tmpdir);
	root = strdup(tp("safetensors/valid"));
	roots[0] = root;

	scan_tree(&run, root);
	nbefore = run.n;
	ck_assert_uint_ge(nbefore, 3);
	write_lock(tp("models.lock"), run.arts, run.n);
	mg_run_free(&run);
	ck_assert_int_eq(mg_lock_read(&l, tp("models.lock"), err, sizeof(err)),
	    MG_OK);
	ck_assert_uint_eq(l.n, nbefore);

	/* Unchanged: nothing to report. */
	scan_tree(&run, root);
	ck_assert_int_eq(mg_lock_verify(&l, run.arts, run.n, 1, roots, 1,
	    &miss, &nmiss), MG_OK);
	ck_assert_uint_eq(nmiss, 0);
	ck_assert_ptr_null(miss);
	ck_assert_uint_eq(total(&run, MG_R_HASH_MISMATCH) +
	    total(&run, MG_R_HASH_EXTRA) + total(&run, MG_R_HASH_UNVERIFIED), 0);
	mg_run_free(&run);

	/* One modified byte, one deleted file, one added file. */
	buf = tu_slurp(tp("safetensors/valid/one-tensor.safetensors"), &len);
	ck_assert_ptr_nonnull(buf);
	buf[len - 1] ^= 0x01;
	put_file(tp("safetensors/valid/one-tensor.safetensors"), buf, len);
	put_file(tp("safetensors/valid/added.safetensors"), buf, len);
	free(buf);
	ck_assert_int_eq(unlink(tp("safetensors/valid/scalar.safetensors")), 0);
	scan_tree(&run, root);
	ck_assert_int_eq(mg_lock_verify(&l, run.arts, run.n, 1, roots, 1,
	    &miss, &nmiss), MG_OK);

	a = art_named(&run, "/one-tensor.safetensors");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(count_rule(a, MG_R_HASH_MISMATCH), 1);
	ck_assert_ptr_nonnull(strstr(msg_of(a, MG_R_HASH_MISMATCH), a->sha256));
	ck_assert_ptr_nonnull(strstr(msg_of(a, MG_R_HASH_MISMATCH),
	    mg_lock_find(&l, a->path)->sha256));
	ck_assert_ptr_nonnull(strstr(msg_of(a, MG_R_HASH_MISMATCH),
	    "models.lock line"));
	ck_assert_ptr_null(a->findings[a->nfindings - 1].key);

	a = art_named(&run, "/added.safetensors");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(count_rule(a, MG_R_HASH_EXTRA), 1);
	ck_assert_uint_eq(total(&run, MG_R_HASH_EXTRA), 1);
	ck_assert_uint_eq(total(&run, MG_R_HASH_MISMATCH), 1);

	ck_assert_uint_eq(nmiss, 1);
	ck_assert_str_eq(miss[0]->format->name, "missing");
	ck_assert_str_eq(miss[0]->path, tp("safetensors/valid/scalar.safetensors"));
	ck_assert_str_eq(miss[0]->filename, "scalar.safetensors");
	ck_assert_str_eq(miss[0]->abspath, miss[0]->path);
	ck_assert_int_eq(miss[0]->complete, 1);
	ck_assert_uint_eq(miss[0]->nfindings, 1);
	ck_assert_int_eq(miss[0]->findings[0].rule, MG_R_HASH_MISSING);

	/* Verifying again skips the synthetic artifacts of the first call. */
	{
		struct mg_artifact **all = calloc(run.n + 1, sizeof(*all));
		struct mg_artifact **miss2;
		size_t nmiss2;

		memcpy(all, run.arts, run.n * sizeof(*all));
		all[run.n] = miss[0];
		ck_assert_int_eq(mg_lock_verify(&l, all, run.n + 1, 1, roots, 1,
		    &miss2, &nmiss2), MG_OK);
		ck_assert_uint_eq(count_rule(miss[0], MG_R_HASH_EXTRA), 0);
		ck_assert_uint_eq(nmiss2, 1);
		fake_free(miss2, nmiss2);
		free(all);
	}
	fake_free(miss, nmiss);

	/* Without all_listed an added file is fine. */
	mg_run_free(&run);
	scan_tree(&run, root);
	ck_assert_int_eq(mg_lock_verify(&l, run.arts, run.n, 0, roots, 1,
	    &miss, &nmiss), MG_OK);
	ck_assert_uint_eq(total(&run, MG_R_HASH_EXTRA), 0);
	fake_free(miss, nmiss);

	/*
	 * Roots that do not cover the deleted file: it is not missing, but
	 * a lock of which nothing was checked says so.
	 */
	{
		char *other[1] = { (char *)tp("safetensors/invalid") };

		ck_assert_int_eq(mg_lock_verify(&l, NULL, 0, 0, other, 1,
		    &miss, &nmiss), MG_OK);
		ck_assert_uint_eq(nmiss, 1);
		ck_assert_str_eq(miss[0]->format->name, "manifest");
		ck_assert_uint_eq(count_rule(miss[0], MG_R_HASH_MISSING), 0);
		ck_assert_ptr_nonnull(strstr(msg_of(miss[0],
		    MG_R_HASH_MANIFEST), "nothing was verified"));
		fake_free(miss, nmiss);
	}
	mg_run_free(&run);
	mg_lock_free(&l);

	/*
	 * A pinned regular file that is not a model is not "missing": it is
	 * hashed and verified as an artifact of format "file".
	 */
	{
		const char *pp[1], *ph[1] = { H1 };

		pp[0] = tp("safetensors/valid/README.md");
		put_text(pp[0], "# model card\n");
		ck_assert_int_eq(mg_lock_from_pins(&l, "p", pp, ph, NULL, 1),
		    MG_OK);
		ck_assert_int_eq(mg_lock_verify(&l, NULL, 0, 0, roots, 1,
		    &miss, &nmiss), MG_OK);
		ck_assert_uint_eq(nmiss, 1);
		ck_assert_str_eq(miss[0]->format->name, "file");
		ck_assert_uint_eq(count_rule(miss[0], MG_R_HASH_MISSING), 0);
		ck_assert_uint_eq(count_rule(miss[0], MG_R_HASH_MISMATCH), 1);
		fake_free(miss, nmiss);
		ck_assert_int_eq(unlink(pp[0]), 0);
		ck_assert_int_eq(mkdir(pp[0], 0700), 0);	/* not a file */
		ck_assert_int_eq(mg_lock_verify(&l, NULL, 0, 0, roots, 1,
		    &miss, &nmiss), MG_OK);
		ck_assert_uint_eq(nmiss, 1);
		ck_assert_ptr_nonnull(strstr(miss[0]->findings[0].message,
		    "not a regular file"));
		fake_free(miss, nmiss);
		mg_lock_free(&l);
	}
	free(root);
	rm_tmp();
}
END_TEST

START_TEST(verify_unverified_and_roots)
{
	const char *paths[] = { "nx-dir/a.gguf", "nx-dir/b.gguf",
	    "nx-dir/sub/c.gguf", "nx-other/d.gguf", "/nx-abs/e.gguf",
	    "nx-dirx/f.gguf" };
	const char *hexes[] = { H1, H1, H1, H1, H1, H1 };
	struct mg_artifact *v[2], **miss;
	struct mg_lock l;
	size_t nmiss;
	struct {
		const char	*root;
		size_t		 nmiss;
	} cases[] = {
		{ ".", 3 },		/* relative c, d, f (a, b were seen) */
		{ "./", 3 },
		{ "nx-dir", 1 },	/* sub/c */
		{ "./nx-dir/", 1 },
		{ "nx-dir/sub/c.gguf", 1 },	/* a file root: itself */
		{ "nx-dir/sub/c", 0 },	/* a prefix is not a component */
		{ "nx-dir/a.gguf", 0 },
		{ "/", 1 },		/* the absolute pin */
		{ "/nx-abs", 1 },
		{ "elsewhere", 0 },
	};
	size_t i;

	ck_assert_int_eq(mg_lock_from_pins(&l, "policy", paths, hexes, NULL,
	    6), MG_OK);
	v[0] = fake("nx-dir/a.gguf", "");		/* --no-hash */
	v[1] = fake("./nx-dir/b.gguf", H1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *roots[1];

		roots[0] = (char *)cases[i].root;
		ck_assert_int_eq(mg_lock_verify(&l, v, 2, 0, roots, 1, &miss,
		    &nmiss), MG_OK);
		ck_assert_msg(nmiss == cases[i].nmiss, "root '%s': %zu missing",
		    cases[i].root, nmiss);
		fake_free(miss, nmiss);
	}
	ck_assert_uint_eq(count_rule(v[0], MG_R_HASH_UNVERIFIED),
	    sizeof(cases) / sizeof(cases[0]));
	ck_assert_uint_eq(count_rule(v[0], MG_R_HASH_MISMATCH), 0);
	ck_assert_uint_eq(v[1]->nfindings, 0);

	/* A lock built by hand (no source, no problems) works too. */
	{
		struct mg_lock h;
		struct mg_lock_entry e;
		char *roots[1] = { (char *)"nx-elsewhere" };

		memset(&h, 0, sizeof(h));
		memset(&e, 0, sizeof(e));
		e.path = (char *)"nx-dir/b.gguf";
		memcpy(e.sha256, H2, 65);
		h.e = &e;
		h.n = 1;
		ck_assert_int_eq(mg_lock_verify(&h, v, 2, 1, roots, 1, &miss,
		    &nmiss), MG_OK);
		ck_assert_uint_eq(nmiss, 0);
		ck_assert_ptr_nonnull(strstr(msg_of(v[1], MG_R_HASH_MISMATCH),
		    "the policy's digests"));
		ck_assert_ptr_nonnull(strstr(msg_of(v[0], MG_R_HASH_EXTRA),
		    "the policy's digests"));
	}
	mg_artifact_free(v[0]);
	mg_artifact_free(v[1]);
	free(v[0]);
	free(v[1]);
	mg_lock_free(&l);
}
END_TEST

START_TEST(verify_manifest_problems)
{
	struct mg_artifact **miss, *v[1];
	struct mg_lock l;
	size_t nmiss;
	char err[512], *roots[1] = { (char *)"." };

	mk_tmp();
	put_text(tp("SUMS"), H1 "  ../evil\n" H2 "  nx-m/a.gguf\n"
	    "MD5 (b) = " H32 "\n");
	ck_assert_int_eq(mg_manifest_read(&l, tp("SUMS"), err, sizeof(err)),
	    MG_OK);
	v[0] = fake("nx-m/a.gguf", H1);
	ck_assert_int_eq(mg_lock_verify(&l, v, 1, 0, roots, 1, &miss, &nmiss),
	    MG_OK);
	ck_assert_uint_eq(count_rule(v[0], MG_R_HASH_MISMATCH), 1);
	ck_assert_ptr_nonnull(strstr(msg_of(v[0], MG_R_HASH_MISMATCH),
	    "SUMS line 2"));
	ck_assert_uint_eq(nmiss, 1);
	ck_assert_str_eq(miss[0]->format->name, "manifest");
	ck_assert_str_eq(miss[0]->path, tp("SUMS"));
	ck_assert_uint_eq(count_rule(miss[0], MG_R_HASH_MANIFEST), 2);
	ck_assert_ptr_nonnull(strstr(miss[0]->findings[0].message, "line 1:"));
	ck_assert_ptr_nonnull(strstr(miss[0]->findings[1].message, "line 3:"));
	fake_free(miss, nmiss);
	mg_artifact_free(v[0]);
	free(v[0]);
	mg_lock_free(&l);

	/* Pins relative to another directory: nothing verified is a problem. */
	put_text(tp("SUMS"), H1 "  a.gguf\n");
	ck_assert_int_eq(mg_manifest_read(&l, tp("SUMS"), err, sizeof(err)),
	    MG_OK);
	ck_assert_int_eq(l.expect_match, 1);
	v[0] = fake("/nx-abs/models/a.gguf", H1);
	roots[0] = (char *)"/nx-abs/models";
	ck_assert_int_eq(mg_lock_verify(&l, v, 1, 0, roots, 1, &miss, &nmiss),
	    MG_OK);
	ck_assert_uint_eq(nmiss, 1);
	ck_assert_str_eq(miss[0]->format->name, "manifest");
	ck_assert_ptr_nonnull(strstr(miss[0]->findings[0].message,
	    "nothing was verified"));
	fake_free(miss, nmiss);
	mg_lock_free(&l);
	/* Policy pins for other trees are not a problem. */
	{
		const char *pp[1] = { "a.gguf" }, *ph[1] = { H1 };

		ck_assert_int_eq(mg_lock_from_pins(&l, "p", pp, ph, NULL, 1),
		    MG_OK);
		ck_assert_int_eq(mg_lock_verify(&l, v, 1, 0, roots, 1, &miss,
		    &nmiss), MG_OK);
		ck_assert_uint_eq(nmiss, 0);
		mg_lock_free(&l);
	}
	mg_artifact_free(v[0]);
	free(v[0]);
	rm_tmp();
}
END_TEST

/* ---- Git LFS pointers --------------------------------------------------- */

#define LFS_OK "version https://git-lfs.github.com/spec/v1\n" \
	"oid sha256:" H1 "\n" "size 1234567\n"

static struct mg_scan_ctx sctx;

static void
lfs_setup(void)
{
	ck_assert_int_eq(mg_scan_ctx_init(&sctx), MG_OK);
}

static void
lfs_teardown(void)
{
	mg_scan_ctx_free(&sctx);
}

static void
scan_mem(const char *name, const void *p, size_t n, struct mg_artifact *a)
{
	struct mg_scan_opts o;
	struct mg_memsrc m;
	struct mg_src src;

	memset(&o, 0, sizeof(o));
	o.hash = 1;
	mg_artifact_init(a);
	ck_assert_int_eq(mg_artifact_setz(&a->path, name), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a->filename, name), MG_OK);
	a->size = n;
	mg_src_mem(&src, &m, p, n);
	mg_scan_src(&sctx, &o, &src, a);
}

START_TEST(lfs_valid)
{
	static const char hawser[] =
	    "version https://hawser.github.com/spec/v1\n"
	    "oid sha256:" H1 "\nsize 0\n";
	static const char ext[] =
	    "version https://git-lfs.github.com/spec/v1\n"
	    "ext-0-foo sha256:" H2 "\noid sha256:" H1 "\nsize 5\n";
	struct mg_artifact a;
	const cJSON *o;

	scan_mem("model.safetensors", LFS_OK, strlen(LFS_OK), &a);
	ck_assert_str_eq(a.format->name, "lfs-pointer");
	ck_assert_int_eq(a.complete, 1);
	ck_assert_uint_eq(strlen(a.sha256), 64);
	ck_assert_uint_eq(count_rule(&a, MG_R_HASH_LFS), 1);
	/* HASH-LFS says it all: scan.c adds no FMT-EXT for a pointer. */
	ck_assert_uint_eq(count_rule(&a, MG_R_FMT_EXT), 0);
	ck_assert_uint_eq(count_rule(&a, MG_R_FMT_UNKNOWN), 0);
	ck_assert_ptr_nonnull(strstr(msg_of(&a, MG_R_HASH_LFS),
	    "content not fetched (oid sha256:" H1 ", 1234567 bytes)"));
	o = cJSON_GetObjectItem(a.metadata, "lfs_oid");
	ck_assert_str_eq(o->valuestring, H1);
	o = cJSON_GetObjectItem(a.metadata, "lfs_size");
	ck_assert(cJSON_IsRaw(o));	/* exact 64-bit integer text */
	ck_assert_str_eq(o->valuestring, "1234567");
	mg_artifact_free(&a);

	/* The legacy version URL. */
	scan_mem("pointer", hawser, strlen(hawser), &a);
	ck_assert_str_eq(a.format->name, "lfs-pointer");
	ck_assert_uint_eq(count_rule(&a, MG_R_HASH_LFS), 1);
	ck_assert_uint_eq(count_rule(&a, MG_R_FMT_EXT), 0);
	ck_assert_ptr_null(strstr(msg_of(&a, MG_R_HASH_LFS), "malformed"));
	mg_artifact_free(&a);

	/* Extension keys in order are fine. */
	scan_mem("p", ext, strlen(ext), &a);
	ck_assert_ptr_null(strstr(msg_of(&a, MG_R_HASH_LFS), "malformed"));
	mg_artifact_free(&a);
}
END_TEST

static const struct {
	const char	*text;
	const char	*why;
} lfs_bad[] = {
	{ "version https://git-lfs.github.com/spec/v1\noid sha256:abc\n"
	    "size 3\n", "oid is not" },
	{ "version https://git-lfs.github.com/spec/v1\noid sha256:" H1U "\n"
	    "size 3\n", "lowercase" },
	{ "version https://git-lfs.github.com/spec/v1\noid md5:" H32 "\n"
	    "size 3\n", "oid is not" },
	{ "version https://git-lfs.github.com/spec/v1\noid sha256:" H1 "\n",
	    "no valid \"size\"" },
	{ "version https://git-lfs.github.com/spec/v1\nsize 3\n",
	    "no valid \"oid\"" },
	{ "version https://git-lfs.github.com/spec/v1\nsize 3\noid sha256:"
	    H1 "\n", "out of order" },
	{ "version https://git-lfs.github.com/spec/v1\noid sha256:" H1 "\n"
	    "size -3\n", "not a decimal" },
	{ "version https://git-lfs.github.com/spec/v1\noid sha256:" H1 "\n"
	    "size 99999999999999999999\n", "64 bits" },
	{ "version https://git-lfs.github.com/spec/v1\r\noid sha256:" H1
	    "\r\nsize 3\r\n", "CR LF" },
	{ "version https://git-lfs.github.com/spec/v1\noid sha256:" H1 "\n"
	    "size 3", "no newline" },
	{ "version https://git-lfs.github.com/spec/v1\noid sha256:" H1 "\n"
	    "size 3\n\n", "empty line" },
	{ "version https://git-lfs.github.com/spec/v1\noid sha256:" H1 "\n"
	    "Size 3\nsize 3\n", "outside [a-z0-9.-]" },
	{ "version https://git-lfs.github.com/spec/v1\noid sha256:" H1 "\n"
	    "size 3\nversion x\n", "appears again" },
	{ "version https://git-lfs.github.com/spec/v1\noid sha256:" H1 "\n"
	    "size 3\nsize 4\n", "repeated" },
	{ "version https://git-lfs.github.com/spec/v1\noidsha256\nsize 3\n",
	    "without a space" },
};

START_TEST(lfs_malformed)
{
	struct mg_artifact a;

	scan_mem("m.gguf", lfs_bad[_i].text, strlen(lfs_bad[_i].text), &a);
	ck_assert_str_eq(a.format->name, "lfs-pointer");
	ck_assert_int_eq(a.complete, 1);
	ck_assert_uint_eq(count_rule(&a, MG_R_HASH_LFS), 1);
	ck_assert_uint_eq(count_rule(&a, MG_R_FMT_UNKNOWN), 0);
	ck_assert_msg(strstr(msg_of(&a, MG_R_HASH_LFS), "malformed") != NULL &&
	    strstr(msg_of(&a, MG_R_HASH_LFS), lfs_bad[_i].why) != NULL,
	    "case %d: %s", _i, msg_of(&a, MG_R_HASH_LFS));
	mg_artifact_free(&a);
}
END_TEST

START_TEST(lfs_probe_bounds)
{
	char big[1100];
	struct mg_artifact a;
	size_t n = strlen(LFS_OK);

	ck_assert_int_eq(mg_fmt_lfs.probe((const unsigned char *)LFS_OK, n,
	    n), 100);
	ck_assert_int_eq(mg_fmt_lfs.probe((const unsigned char *)LFS_OK, n,
	    1024), 100);
	ck_assert_int_eq(mg_fmt_lfs.probe((const unsigned char *)LFS_OK, n,
	    1025), 0);
	/* The version line needs its newline within the bytes seen. */
	ck_assert_int_eq(mg_fmt_lfs.probe((const unsigned char *)LFS_OK, 42,
	    42), 0);
	ck_assert_int_eq(mg_fmt_lfs.probe((const unsigned char *)
	    "version https://git-lfs.github.com/spec/v2\n", 43, 43), 0);
	ck_assert_ptr_null(mg_fmt_lfs.exts[0]);
	ck_assert_ptr_eq(mg_fmt_detect((const unsigned char *)LFS_OK, n, n),
	    &mg_fmt_lfs);

	/* Oversize: not a pointer, so not an artifact unless named one. */
	memset(big, 'x', sizeof(big));
	memcpy(big, LFS_OK, n);
	scan_mem("big.bin", big, sizeof(big), &a);
	ck_assert_str_eq(a.format->name, "unknown");
	mg_artifact_free(&a);
	scan_mem("big.gguf", big, sizeof(big), &a);
	ck_assert_str_eq(a.format->name, "gguf");
	ck_assert_uint_eq(count_rule(&a, MG_R_HASH_LFS), 0);
	mg_artifact_free(&a);

	/* Trailing bytes within 1024: parsed, reported as malformed. */
	scan_mem("trail", big, 1024, &a);
	ck_assert_str_eq(a.format->name, "lfs-pointer");
	ck_assert_ptr_nonnull(strstr(msg_of(&a, MG_R_HASH_LFS), "malformed"));
	mg_artifact_free(&a);
}
END_TEST

START_TEST(lfs_truncate_and_flip)
{
	struct mg_artifact a;
	char b[256];
	size_t n = strlen(LFS_OK), i;
	int bit;

	for (i = 0; i <= n; i++) {
		scan_mem("t", LFS_OK, i, &a);
		if (i >= 43) {
			ck_assert_str_eq(a.format->name, "lfs-pointer");
			ck_assert_int_eq(a.complete, 1);
			ck_assert_uint_eq(count_rule(&a, MG_R_HASH_LFS), 1);
			ck_assert_int_eq(strstr(msg_of(&a, MG_R_HASH_LFS),
			    "malformed") == NULL, i == n);
		} else
			ck_assert_str_eq(a.format->name, "unknown");
		mg_artifact_free(&a);
	}
	for (i = 0; i < n; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(b, LFS_OK, n);
			b[i] ^= (char)(1 << bit);
			scan_mem("t.gguf", b, n, &a);
			/* Still a pointer: checked whole.  Otherwise the
			 * GGUF parser stops at the magic: not complete. */
			if (strcmp(a.format->name, "lfs-pointer") == 0) {
				ck_assert_int_eq(a.complete, 1);
				ck_assert_uint_eq(count_rule(&a, MG_R_HASH_LFS),
				    1);
			} else
				ck_assert_int_eq(a.complete, 0);
			mg_artifact_free(&a);
		}
}
END_TEST

/* ---- modelgate lock, end to end ---------------------------------------- */

START_TEST(cli_lock_writes_readable_lock)
{
	const char *a1[] = { "lock", "gguf/valid", NULL };
	const char *a2[] = { "lock", "-j", "1", "-o", "one.lock", "./gguf/valid",
	    NULL };
	const char *a3[] = { "lock", "--jobs", "8", "--output", "eight.lock",
	    "gguf/valid/", NULL };
	struct tres r;
	struct mg_lock l;
	char err[512], *x, *y, *z;
	size_t i;

	mk_tmp();
	mg_gen_gguf(tmpdir);
	r = tu_run(tmpdir, a1);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.err, "modelgate: locked "));
	ck_assert_ptr_nonnull(strstr(r.err, " artifacts to modelgate.lock"));
	tu_free(&r);
	ck_assert_int_eq(mg_lock_read(&l, tp("modelgate.lock"), err,
	    sizeof(err)), MG_OK);
	ck_assert_uint_ge(l.n, 3);
	ck_assert_uint_eq(l.nbad, 0);
	for (i = 0; i < l.n; i++) {
		ck_assert_msg(strncmp(l.e[i].path, "gguf/valid/", 11) == 0,
		    "%s", l.e[i].path);
		ck_assert_int_eq(l.e[i].have_size, 1);
	}
	mg_lock_free(&l);

	/* Same bytes for any --jobs and spelling of the root. */
	r = tu_run(tmpdir, a2);
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	r = tu_run(tmpdir, a3);
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	x = tu_slurp(tp("modelgate.lock"), NULL);
	y = tu_slurp(tp("one.lock"), NULL);
	z = tu_slurp(tp("eight.lock"), NULL);
	ck_assert_str_eq(x, y);
	ck_assert_str_eq(x, z);
	ck_assert_ptr_nonnull(strstr(x, "\"generated_at\":\t\"2023-11-14T22:13:20+00:00\""));
	free(x);
	free(y);
	free(z);
	rm_tmp();
}
END_TEST

START_TEST(cli_lock_exit_codes)
{
	const char *empty[] = { "lock", "-o", "e.lock", "emptydir", NULL };
	const char *noargs[] = { "lock", NULL };
	const char *badopt[] = { "lock", "--bogus", "x", NULL };
	const char *nopath[] = { "lock", "does-not-exist", NULL };
	const char *jobs0[] = { "lock", "-j", "0", ".", NULL };
	const char *help[] = { "lock", "--help", NULL };
	const char *unread[] = { "lock", "-o", "u.lock", "gguf/valid", NULL };
	struct tres r;

	mk_tmp();
	ck_assert_int_eq(mkdir(tp("emptydir"), 0700), 0);
	put_text(tp("emptydir/readme.txt"), "not a model\n");
	r = tu_run(tmpdir, empty);
	ck_assert_int_eq(r.status, 4);
	ck_assert_int_ne(access(tp("e.lock"), F_OK), 0);
	ck_assert_ptr_nonnull(strstr(r.err, "exit 4"));
	tu_free(&r);

	r = tu_run(tmpdir, noargs);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	r = tu_run(tmpdir, badopt);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	r = tu_run(tmpdir, nopath);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	r = tu_run(tmpdir, jobs0);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	r = tu_run(tmpdir, help);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "usage: modelgate lock"));
	tu_free(&r);

	/*
	 * An unreadable model: fail closed, write nothing.  Run without
	 * privileges so that it holds as root too; the tree is open to all
	 * but the one model.
	 */
	mg_gen_gguf(tmpdir);
	tu_sh("chmod -R a+rwX '%s'", tmpdir);
	ck_assert_int_eq(chmod(tp("gguf/valid/llama-q8_0.gguf"), 0), 0);
	r = tu_run_unprivileged(tmpdir, unread);
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	ck_assert_int_ne(access(tp("u.lock"), F_OK), 0);
	ck_assert_ptr_nonnull(strstr(r.err, "cannot pin"));
	ck_assert_ptr_nonnull(strstr(r.err, "no lock written"));
	tu_free(&r);
	rm_tmp();
}
END_TEST

Suite *
lock_suite(void)
{
	Suite *s = suite_create("lock");
	TCase *tc = tcase_create("lockfile");
	TCase *tm = tcase_create("manifest");
	TCase *tv = tcase_create("verify");
	TCase *tl = tcase_create("lfs");
	TCase *tcli = tcase_create("lock-cli");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lock_roundtrip);
	tcase_add_test(tc, lock_bad_documents);
	tcase_add_test(tc, lock_bad_entries);
	tcase_add_test(tc, lock_limits);
	tcase_add_test(tc, lock_from_pins);
	suite_add_tcase(s, tc);

	tcase_add_loop_test(tm, manifest_table, 0,
	    (int)(sizeof(man_cases) / sizeof(man_cases[0])));
	tcase_add_test(tm, manifest_lines_and_caps);
	suite_add_tcase(s, tm);

	tcase_set_timeout(tv, 60);
	tcase_add_test(tv, verify_tree);
	tcase_add_test(tv, verify_unverified_and_roots);
	tcase_add_test(tv, verify_manifest_problems);
	suite_add_tcase(s, tv);

	tcase_add_checked_fixture(tl, lfs_setup, lfs_teardown);
	tcase_add_test(tl, lfs_valid);
	tcase_add_loop_test(tl, lfs_malformed, 0,
	    (int)(sizeof(lfs_bad) / sizeof(lfs_bad[0])));
	tcase_add_test(tl, lfs_probe_bounds);
	tcase_add_test(tl, lfs_truncate_and_flip);
	suite_add_tcase(s, tl);

	tcase_set_timeout(tcli, 120);
	tcase_add_test(tcli, cli_lock_writes_readable_lock);
	tcase_add_test(tcli, cli_lock_exit_codes);
	suite_add_tcase(s, tcli);
	return s;
}
