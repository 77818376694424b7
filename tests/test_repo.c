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

#include "buf.h"
#include "gguf_build.h"
#include "hash.h"
#include "st_build.h"
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

/*
 * However the root is spelt, the files and the directory listings the
 * checks use are named alike: the same report.
 */
START_TEST(repo_root_spellings_agree)
{
	static const char *const roots[] = { ".", "./", ".//./", NULL };
	char path[4300], *first = NULL, *s;
	size_t i;

	for (i = 0; roots[i] != NULL; i++) {
		const char *a[] = { "scan", "--jobs", "2", roots[i], "--json",
		    "sp.json", NULL };
		struct tres r = tu_run(fixdir, a);

		ck_assert_int_eq(r.status, 1);
		snprintf(path, sizeof(path), "%s/sp.json", fixdir);
		ck_assert_ptr_nonnull(s = tu_slurp(path, NULL));
		ck_assert_ptr_nonnull(strstr(s, "\"artifacts\":\t["));
		if (first == NULL)
			first = s;
		else {
			ck_assert_str_eq(strstr(first, "\"artifacts\":\t["),
			    strstr(s, "\"artifacts\":\t["));
			free(s);
		}
		tu_free(&r);
	}
	free(first);
	remove(path);
}
END_TEST

/*
 * A walk problem (an unfollowed link) in a part of the tree the policy
 * excludes is dropped however the root is spelt: "." walks "./x".
 */
START_TEST(repo_excluded_walk_errors_dropped)
{
	static const char *const roots[] = { ".", "./", ".//./", NULL };
	char pol[4300], out[4300], *s;
	FILE *f;
	size_t i;

	snprintf(pol, sizeof(pol), "%s/excl.json", fixdir);
	snprintf(out, sizeof(out), "%s/excl-out.json", fixdir);
	ck_assert_ptr_nonnull(f = fopen(pol, "w"));
	fputs("{\"version\": 1, \"exclude\": [\"tmpl_symlink/**\"]}\n", f);
	ck_assert_int_eq(fclose(f), 0);
	for (i = 0; roots[i] != NULL; i++) {
		const char *a[] = { "scan", "--policy", "excl.json", roots[i],
		    "--json", "excl-out.json", NULL };
		struct tres r = tu_run(fixdir, a);

		ck_assert_ptr_nonnull(s = tu_slurp(out, NULL));
		ck_assert_msg(strstr(s, "tmpl_symlink") == NULL,
		    "root %s: the excluded link is reported", roots[i]);
		ck_assert_ptr_nonnull(strstr(s, "index_symlink_shard"));
		free(s);
		tu_free(&r);
	}
	remove(pol);
	remove(out);
}
END_TEST

/*
 * An exclude drops a walk problem only when one glob covers whatever
 * could lie behind it, at any depth.  "*.md" names an unreadable
 * directory and a link to a directory, not what is inside them: both
 * stay.  Two globs of one and two stars below "one" name two depths
 * below "one/deep", not all: it stays.  A link to a file and a pipe that
 * a glob names have nothing inside: gone.  A directory under "skip/"
 * followed by a double star: gone.  Run as nobody, so that the
 * directories are unreadable to root's tests too.
 */
START_TEST(repo_excludes_cover_what_lies_behind)
{
	const char *a[] = { "scan", "--policy", "p.json", "--json", "-", ".",
	    NULL };
	const char *dot[] = { "scan", "--json", "-", "./", NULL };
	char *d, sub[4200];
	struct tres r;

	d = tu_tmpdir();
	tu_sh("cd '%s' && mkdir evil.md skip skip/deep one one/deep ok "
	    "outside locked && printf '\\200\\004N.' > ok/m.pkl && "
	    "printf '\\200\\004N.' > evil.md/m.pkl && "
	    "ln -s outside link.md && ln -s ok/m.pkl file.md && "
	    "mkfifo p.fifo && printf '{\"version\": 1, \"exclude\": "
	    "[\"*.md\", \"*.fifo\", \"skip/**\", \"one/*\", \"one/*/*\", "
	    "\"p.json\"]}' > p.json && chmod -R a+rwX . && "
	    "chmod 0 evil.md skip/deep one/deep && chmod 711 locked && "
	    "chmod 755 .", d);
	r = tu_run_unprivileged(d, a);
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "\"evil.md\""));
	ck_assert_ptr_nonnull(strstr(r.out, "\"link.md\""));
	ck_assert_ptr_nonnull(strstr(r.out, "\"one/deep\""));
	ck_assert_ptr_null(strstr(r.out, "file.md"));
	ck_assert_ptr_null(strstr(r.out, "p.fifo"));
	ck_assert_ptr_null(strstr(r.out, "skip/deep"));
	tu_free(&r);
	/* A root spelt "./" that cannot be listed is reported as ".". */
	snprintf(sub, sizeof(sub), "%s/locked", d);
	r = tu_run_unprivileged(sub, dot);
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "\"path\":\t\".\""));
	tu_free(&r);
	tu_sh("chmod -R u+rwX '%s'", d);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* ---- layouts written here: sets named many ways ---------------------- */

/* A GGUF of architecture arch, a split.no when no >= 0, templates. */
static void
put_gguf_as(const char *dir, const char *name, int no, unsigned count,
    const char *arch, const char *const *tmpl)
{
	struct gguf_b g;
	struct fbuf out;

	gguf_b_init(&g, 3, 0);
	gguf_kv_str(&g, "general.architecture", arch);
	if (no >= 0) {
		gguf_kv_u32(&g, "split.no", (uint32_t)no);
		gguf_kv_u32(&g, "split.count", count);
	}
	for (; tmpl != NULL && tmpl[0] != NULL; tmpl += 2)
		gguf_kv_str(&g, tmpl[0], tmpl[1]);
	fbuf_init(&out);
	gguf_b_out(&g, &out);
	fbuf_write(&out, dir, name);
	fbuf_free(&out);
	gguf_b_free(&g);
}

static void
put_gguf(const char *dir, const char *name, int no, unsigned count,
    const char *const *tmpl)
{
	put_gguf_as(dir, name, no, count, "llama", tmpl);
}

/* A safetensors file of F32 [1] tensors with these names. */
static void
put_st(const char *dir, const char *name, const char *const *names,
    size_t n)
{
	struct st_tensor t[4];
	struct fbuf out;
	size_t i;

	memset(t, 0, sizeof(t));
	for (i = 0; i < n; i++) {
		t[i].name = names[i];
		t[i].dtype = "F32";
		t[i].rank = 1;
		t[i].shape[0] = 1;
	}
	fbuf_init(&out);
	st_build_file(&out, NULL, t, n);
	fbuf_write(&out, dir, name);
	fbuf_free(&out);
}

/* scan --json of dir/sub (run in dir), parsed. */
static cJSON *
scan_json(const char *dir, const char *sub, const char *policy)
{
	const char *a[8];
	struct tres r;
	char path[4300], *s;
	cJSON *d;
	int k = 0;

	a[k++] = "scan";
	if (policy != NULL) {
		a[k++] = "--policy";
		a[k++] = policy;
	}
	a[k++] = sub;
	a[k++] = "--json";
	a[k++] = "out.json";
	a[k] = NULL;
	r = tu_run(dir, a);
	snprintf(path, sizeof(path), "%s/out.json", dir);
	s = tu_slurp(path, NULL);
	ck_assert_msg(s != NULL, "no report: %s", r.err);
	d = cJSON_Parse(s);
	ck_assert_ptr_nonnull(d);
	free(s);
	tu_free(&r);
	return d;
}

static const cJSON *
art_named(const cJSON *d, const char *path)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(d, "artifacts"))
		if (strcmp(cJSON_GetObjectItem(a, "path")->valuestring, path) ==
		    0)
			return a;
	return NULL;
}

/* How many findings of an artifact have a message containing s. */
static int
nmsg(const cJSON *a, const char *s)
{
	const cJSON *f;
	int n = 0;

	ck_assert_ptr_nonnull(a);
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(a, "findings")) {
		const cJSON *m = cJSON_GetObjectItem(f, "message");

		n += strstr(m->valuestring, s) != NULL;
	}
	return n;
}

/* The shards of the set a bom entry carries, "," separated. */
static void
set_shards(const char *dir, const char *sub, const char *file, char *out,
    size_t len)
{
	const char *a[] = { "bom", sub, NULL };
	struct tres r = tu_run(dir, a);
	const cJSON *e, *x;
	cJSON *d = cJSON_Parse(r.out);
	size_t o = 0;

	ck_assert_ptr_nonnull(d);
	out[0] = '\0';
	cJSON_ArrayForEach(e, d) {
		const cJSON *fn = cJSON_GetObjectItem(e, "model_filename");

		if (!cJSON_IsString(fn) || strcmp(fn->valuestring, file) != 0)
			continue;
		cJSON_ArrayForEach(x, cJSON_GetObjectItem(cJSON_GetObjectItem(e,
		    "set"), "shards"))
			o += (size_t)snprintf(out + o, len - o, "%s,",
			    x->valuestring);
	}
	cJSON_Delete(d);
	tu_free(&r);
}

/* Exit status of `scan s --baseline b.json` in d. */
static int
scan_against(const char *d)
{
	const char *again[] = { "scan", "s", "--baseline", "b.json", "-q",
	    NULL };
	struct tres r = tu_run(d, again);
	int st = r.status;

	tu_free(&r);
	return st;
}

/*
 * A repository finding is about other files than the one that carries
 * it: its fingerprint covers every file of the directory the checks read,
 * so a baseline forgives it for that directory as it was, never for a
 * shard that turned bad afterwards (a listed finding or the count of the
 * unlisted ones).
 */
START_TEST(repo_findings_bound_to_the_directory)
{
	const char *base[] = { "scan", "s", "--json", "b.json", "-q", NULL };
	char *d = tu_tmpdir(), sub[4200], name[64];
	struct tres r;
	int i;

	/* Three shards, the second of another architecture. */
	snprintf(sub, sizeof(sub), "%s/s", d);
	put_gguf(sub, "m-00001-of-00003.gguf", 0, 3, NULL);
	put_gguf_as(sub, "m-00002-of-00003.gguf", 1, 3, "qwen", NULL);
	put_gguf(sub, "m-00003-of-00003.gguf", 2, 3, NULL);
	r = tu_run(d, base);
	ck_assert_int_eq(r.status, 1);
	tu_free(&r);
	ck_assert_int_eq(scan_against(d), 0);
	/* The second is fixed, the third turns: the same message shape. */
	put_gguf(sub, "m-00002-of-00003.gguf", 1, 3, NULL);
	put_gguf_as(sub, "m-00003-of-00003.gguf", 2, 3, "evilarch", NULL);
	ck_assert_msg(scan_against(d) == 1, "a new architecture was forgiven");
	tu_rmrf(d);
	free(d);

	/* 70 shards of split.no 0: 64 listed, the rest counted. */
	d = tu_tmpdir();
	snprintf(sub, sizeof(sub), "%s/s", d);
	for (i = 1; i <= 70; i++) {
		snprintf(name, sizeof(name), "m-%05d-of-00070.gguf", i);
		put_gguf(sub, name, 0, 70, NULL);
	}
	r = tu_run(d, base);
	ck_assert_int_eq(r.status, 1);
	tu_free(&r);
	ck_assert_int_eq(scan_against(d), 0);
	put_gguf_as(sub, "m-00070-of-00070.gguf", 0, 70, "evil", NULL);
	ck_assert_msg(scan_against(d) == 1, "a new finding hid in the count");
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * The module auto_map names is what trust_remote_code runs: a baseline
 * of the REMOTE-CODE finding forgives that code, not other code put in
 * its place later.
 */
START_TEST(remote_code_bound_to_the_module)
{
	const char *base[] = { "scan", "s", "--json", "b.json", "-q", NULL };
	const char *w[] = { "w" };
	char *d = tu_tmpdir(), sub[4200], pkg[4300];
	struct tres r;

	snprintf(sub, sizeof(sub), "%s/s", d);
	snprintf(pkg, sizeof(pkg), "%s/s/pkg", d);
	put_st(sub, "model.safetensors", w, 1);
	tu_write(sub, "config.json",
	    "{\"auto_map\": {\"AutoModel\": \"pkg.mod.M\"}}");
	tu_sh("mkdir -p '%s'", pkg);
	tu_write(pkg, "mod.py", "x = 1\n");
	r = tu_run(d, base);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	ck_assert_int_eq(scan_against(d), 0);
	tu_write(pkg, "mod.py", "import os\nos.system('true')\n");
	ck_assert_msg(scan_against(d) == 1, "other module code was forgiven");
	/* A module that was not read: nothing covers it, nothing forgives. */
	tu_sh("rm -f '%s/mod.py'", pkg);
	r = tu_run(d, base);
	ck_assert_int_eq(r.status, 1);
	tu_free(&r);
	ck_assert_msg(scan_against(d) == 1, "an unread module was forgiven");
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * n shards that all hold split.no 0 make n^2/2 pairs: the anchor lists
 * the rule's first findings and counts the rest in one more, as a parser
 * does, while `scan` has already set its findings uncapped for the gate.
 */
START_TEST(repo_split_repeats_are_counted)
{
	char *d = tu_tmpdir(), sub[4200], name[64];
	const cJSON *a, *f;
	cJSON *j;
	int i, rows = 0, summary = 0;

	snprintf(sub, sizeof(sub), "%s/s", d);
	for (i = 1; i <= 120; i++) {
		snprintf(name, sizeof(name), "m-%05d-of-00120.gguf", i);
		put_gguf(sub, name, 0, 120, NULL);
	}
	j = scan_json(d, "s", NULL);
	a = art_named(j, "s/m-00001-of-00120.gguf");
	ck_assert_ptr_nonnull(a);
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(a, "findings")) {
		const char *m = cJSON_GetObjectItem(f, "message")->valuestring;

		ck_assert_str_eq(cJSON_GetObjectItem(f, "rule")->valuestring,
		    "REPO-SPLIT");
		rows++;
		/* 119 misplaced shards and 7,140 pairs, 64 of them listed. */
		summary += strcmp(m, "7195 more findings of this rule were "
		    "not listed") == 0;
	}
	ck_assert_int_eq(rows, 65);
	ck_assert_int_eq(summary, 1);
	cJSON_Delete(j);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * Split sets are told apart by prefix and count however their names
 * interleave; a claimed count of 99999 lists the first 16 missing
 * shards and one summary, a shard on disk outside the run is present,
 * and a repeated split.no is reported once per earlier holder.
 */
START_TEST(repo_split_sets_by_name)
{
	char *d = tu_tmpdir(), sub[4200], shards[2048], path[4300];
	const cJSON *a;
	cJSON *j;
	int i;

	snprintf(sub, sizeof(sub), "%s/s", d);
	put_gguf(sub, "m-00001-of-99999.gguf", 0, 99999, NULL);
	put_gguf(sub, "m-00002-of-99999.gguf", 1, 99999, NULL);
	put_gguf(sub, "m-00004-of-99999.gguf", 1, 99999, NULL);
	put_gguf(sub, "m-00001-of-00002.gguf", -1, 0, NULL);
	put_gguf(sub, "m-00002-of-00002.gguf", -1, 0, NULL);
	put_gguf(sub, "n-00001-of-00001.gguf", 0, 1, NULL);
	snprintf(path, sizeof(path), "%s/m-00005-of-99999.gguf", sub);
	tu_sh("mkdir '%s'", path);
	j = scan_json(d, "s", NULL);
	a = art_named(j, "s/m-00001-of-99999.gguf");
	ck_assert_int_eq(nmsg(a, "split set of 99999: shard 3 ("), 1);
	for (i = 6; i <= 20; i++) {
		snprintf(path, sizeof(path), "split set of 99999: shard %d (",
		    i);
		ck_assert_msg(nmsg(a, path) == 1, "no shard %d", i);
	}
	ck_assert_int_eq(nmsg(a, "split set of 99999: shard 5 ("), 0);
	ck_assert_int_eq(nmsg(a, "split set of 99999: shard 21 ("), 0);
	ck_assert_int_eq(nmsg(a, "is missing"), 16);
	ck_assert_int_eq(nmsg(a, "more shards are missing than are listed"),
	    1);
	ck_assert_int_eq(nmsg(a, "both hold split.no 1"), 1);
	ck_assert_int_eq(nmsg(a, "shards m-00002-of-99999.gguf and "
	    "m-00004-of-99999.gguf"), 1);
	ck_assert_int_eq(nmsg(a, "carries no split.no"), 0);
	a = art_named(j, "s/m-00001-of-00002.gguf");
	ck_assert_int_eq(nmsg(a, "carries no split.no"), 2);
	ck_assert_int_eq(nmsg(a, "is missing"), 0);
	ck_assert_int_eq(nmsg(art_named(j, "s/n-00001-of-00001.gguf"),
	    "split"), 0);
	cJSON_Delete(j);
	set_shards(d, "s", "m-00001-of-99999.gguf", shards, sizeof(shards));
	ck_assert_str_eq(shards, "s/m-00001-of-99999.gguf,"
	    "s/m-00002-of-99999.gguf,s/m-00004-of-99999.gguf,");
	set_shards(d, "s", "m-00001-of-00002.gguf", shards, sizeof(shards));
	ck_assert_str_eq(shards, "s/m-00001-of-00002.gguf,"
	    "s/m-00002-of-00002.gguf,");
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * An index's shards are its set in the order the weight_map first names
 * them, and a misplaced tensor is reported with the first shard that
 * holds it.
 */
START_TEST(repo_index_shards_in_order)
{
	static const char *const b[] = { "x", "y", "v" };
	static const char *const a2[] = { "z", "w", "v" };
	static const char *const d2[] = { "s" };
	char *d = tu_tmpdir(), sub[4200], shards[2048];
	const cJSON *a;
	cJSON *j;

	snprintf(sub, sizeof(sub), "%s/i", d);
	put_st(sub, "b.safetensors", b, 3);
	put_st(sub, "a.safetensors", a2, 3);
	put_st(sub, "d.safetensors", d2, 1);
	tu_write(sub, "model.safetensors.index.json", "{\"weight_map\": {"
	    "\"x\": \"b.safetensors\", \"z\": \"a.safetensors\", "
	    "\"y\": \"a.safetensors\", \"w\": \"a.safetensors\", "
	    "\"q\": \"b.safetensors\", \"v\": \"d.safetensors\", "
	    "\"r\": \"c.safetensors\", \"x\": \"a.safetensors\", "
	    "\"u\": 3}}");
	j = scan_json(d, "i", NULL);
	a = art_named(j, "i/model.safetensors.index.json");
	ck_assert_int_eq(nmsg(a, "tensor 'y' is indexed in 'a.safetensors' "
	    "but stored in 'b.safetensors'"), 1);
	/* In two shards: the first the index names is the one given. */
	ck_assert_int_eq(nmsg(a, "tensor 'v' is indexed in 'd.safetensors' "
	    "but stored in 'b.safetensors'"), 1);
	ck_assert_int_eq(nmsg(a, "tensor 'q' is indexed in 'b.safetensors' "
	    "but no shard holds it"), 1);
	ck_assert_int_eq(nmsg(a, "names shard 'c.safetensors', which does "
	    "not exist"), 1);
	ck_assert_int_eq(nmsg(a, "tensor 'x' is indexed twice"), 1);
	ck_assert_int_eq(nmsg(a, "entry 'u' is not a file name"), 1);
	ck_assert_int_eq(nmsg(a, "tensor 's' of shard 'd.safetensors' is in "
	    "no index"), 1);
	ck_assert_int_eq(nmsg(a, "is in no index"), 1);
	cJSON_Delete(j);
	set_shards(d, "i", "model.safetensors.index.json", shards,
	    sizeof(shards));
	ck_assert_str_eq(shards, "i/b.safetensors,i/a.safetensors,"
	    "i/d.safetensors,i/c.safetensors,");
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * Tensor names outlive a file's scan only where the repository checks
 * read them: a shard index above the file (its shard in a subdirectory)
 * and a config.json beside it still see every tensor.
 */
START_TEST(repo_tensor_facts_where_read)
{
	static const char *const a1[] = { "a" };
	static const char *const e1[] = { "model.embed_tokens.weight" };
	static const char *const p1[] = { "w" };
	char *d = tu_tmpdir(), dir[4200];
	const cJSON *a;
	cJSON *j;

	tu_sh("mkdir -p '%s/t/sub' '%s/t/cfg' '%s/t/plain'", d, d, d);
	snprintf(dir, sizeof(dir), "%s/t", d);
	tu_write(dir, "model.safetensors.index.json", "{\"weight_map\": {"
	    "\"a\": \"sub/a.safetensors\", \"b\": \"sub/a.safetensors\"}}");
	/* A model beside the index, so that its directory is checked. */
	put_st(dir, "extra.safetensors", p1, 1);
	snprintf(dir, sizeof(dir), "%s/t/sub", d);
	put_st(dir, "a.safetensors", a1, 1);
	snprintf(dir, sizeof(dir), "%s/t/cfg", d);
	tu_write(dir, "config.json", "{\"vocab_size\": 5}");
	put_st(dir, "e.safetensors", e1, 1);
	snprintf(dir, sizeof(dir), "%s/t/plain", d);
	put_st(dir, "p.safetensors", p1, 1);
	j = scan_json(d, "t", NULL);
	a = art_named(j, "t/model.safetensors.index.json");
	ck_assert_int_eq(nmsg(a, "tensor 'b' is indexed in "
	    "'sub/a.safetensors' but no shard holds it"), 1);
	a = art_named(j, "t/cfg/config.json");
	ck_assert_int_eq(nmsg(a, "vocab_size is 5 but tensor "
	    "'model.embed_tokens.weight'"), 1);
	cJSON_Delete(j);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * Every auto_map reference gets its module's digest, however often the
 * module is named: 5000 references to one pinned module are pinned.
 */
START_TEST(repo_auto_map_every_reference)
{
	static const char code[] = "class C:\n    pass\n";
	static const char *const t[] = { "w" };
	char *d = tu_tmpdir(), sub[4200], hex[65], pol[200];
	size_t cap = 5000 * 16 + 64, o = 0;
	char *cfg = malloc(cap);
	const cJSON *a;
	cJSON *j;
	int i;

	ck_assert_ptr_nonnull(cfg);
	snprintf(sub, sizeof(sub), "%s/r", d);
	put_st(sub, "model.safetensors", t, 1);
	tu_write(sub, "m.py", code);
	ck_assert_int_eq(mg_sha256_hex(code, strlen(code), hex), 0);
	snprintf(pol, sizeof(pol), "{\"version\": 1, \"remote_code\": "
	    "{\"sha256\": [\"%s\"]}}", hex);
	tu_write(d, "pin.json", pol);
	o += (size_t)snprintf(cfg + o, cap - o, "{\"auto_map\": {");
	for (i = 0; i < 5000; i++)
		o += (size_t)snprintf(cfg + o, cap - o, "%s\"k%d\": \"m.C\"",
		    i > 0 ? ", " : "", i);
	snprintf(cfg + o, cap - o, "}}");
	tu_write(sub, "config.json", cfg);
	tu_write(sub, "tokenizer_config.json", "{\"auto_map\": {\"a\": "
	    "[\"m.C\", \"x--m.C\"], \"b\": \"m.D\"}}");
	j = scan_json(d, "r", "pin.json");
	ck_assert_int_eq(nmsg(art_named(j, "r/m.py"), "trust_remote_code"),
	    0);
	a = art_named(j, "r/config.json");
	ck_assert(a == NULL || nmsg(a, "auto_map makes transformers") == 0);
	a = art_named(j, "r/tokenizer_config.json");
	ck_assert_int_eq(nmsg(a, "auto_map makes transformers run the "
	    "repository's code with trust_remote_code: x--m.C (another "
	    "repository)"), 1);
	ck_assert_int_eq(nmsg(a, "m.py ("), 0);
	cJSON_Delete(j);
	free(cfg);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* A named template differing from the reference's is reported once. */
START_TEST(repo_named_templates_across_variants)
{
	static const char *const v0[] = { "tokenizer.chat_template", "hi",
	    "tokenizer.chat_template.tool_use", "p",
	    "tokenizer.chat_template.rag", "q", NULL };
	static const char *const v1[] = { "tokenizer.chat_template", "hi",
	    "tokenizer.chat_template.x", "z",
	    "tokenizer.chat_template.tool_use", "p2",
	    "tokenizer.chat_template.rag", "q", NULL };
	static const char *const v2[] = { "tokenizer.chat_template", "hi",
	    "tokenizer.chat_template.tool_use", "p", NULL };
	char *d = tu_tmpdir(), sub[4200];
	cJSON *j;

	snprintf(sub, sizeof(sub), "%s/v", d);
	put_gguf(sub, "v0.gguf", -1, 0, v0);
	put_gguf(sub, "v1.gguf", -1, 0, v1);
	put_gguf(sub, "v2.gguf", -1, 0, v2);
	j = scan_json(d, "v", NULL);
	ck_assert_int_eq(nmsg(art_named(j, "v/v0.gguf"), "under that name"),
	    0);
	ck_assert_int_eq(nmsg(art_named(j, "v/v1.gguf"), "the template "
	    "tokenizer.chat_template.tool_use"), 1);
	ck_assert_int_eq(nmsg(art_named(j, "v/v1.gguf"), "under that name"),
	    1);
	ck_assert_int_eq(nmsg(art_named(j, "v/v2.gguf"), "under that name"),
	    0);
	cJSON_Delete(j);
	tu_rmrf(d);
	free(d);
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
	tcase_add_test(tc, repo_root_spellings_agree);
	tcase_add_test(tc, repo_excluded_walk_errors_dropped);
	tcase_add_test(tc, repo_excludes_cover_what_lies_behind);
	tcase_add_test(tc, repo_split_sets_by_name);
	tcase_add_test(tc, repo_split_repeats_are_counted);
	tcase_add_test(tc, repo_findings_bound_to_the_directory);
	tcase_add_test(tc, remote_code_bound_to_the_module);
	tcase_add_test(tc, repo_index_shards_in_order);
	tcase_add_test(tc, repo_tensor_facts_where_read);
	tcase_add_test(tc, repo_auto_map_every_reference);
	tcase_add_test(tc, repo_named_templates_across_variants);
	suite_add_tcase(s, tc);
	return s;
}
