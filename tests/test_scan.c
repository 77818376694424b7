/*
 * test_scan.c - `modelgate scan` end to end: every exit code, every policy
 * field, suppressions (expired and unused), lock and manifest verification,
 * baselines, and golden JSON/SARIF/JUnit reports that must be identical for
 * --jobs 1 and --jobs 8.  UPDATE=1 rewrites the golden files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "buf.h"
#include "gate.h"
#include "gguf_build.h"
#include "suites.h"
#include "tutil.h"

/*
 * A scratch tree:
 *   models/llama-q8_0.gguf        valid GGUF (llama, Q8_0, apache-2.0)
 *   models/multi-pt.safetensors   valid safetensors
 *   models/legacy/overlap.gguf    hostile: overlapping tensors (high)
 */
static char *
make_tree(int with_hostile)
{
	char *d = tu_tmpdir();

	tu_sh("mkdir -p '%s/models/legacy'", d);
	tu_sh("cp '%s' '%s/models/'", tu_fix("gguf/valid/llama-q8_0.gguf"), d);
	tu_sh("cp '%s' '%s/models/'",
	    tu_fix("safetensors/valid/multi-pt.safetensors"), d);
	if (with_hostile)
		tu_sh("cp '%s' '%s/models/legacy/'",
		    tu_fix("gguf/hostile/overlap.gguf"), d);
	return d;
}

/* Parse dir/name as JSON; fails the test when it does not parse. */
static cJSON *
load_json(const char *dir, const char *name)
{
	char p[4096], *s;
	cJSON *j;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	s = tu_slurp(p, NULL);
	ck_assert_msg(s != NULL, "%s was not written", p);
	j = cJSON_Parse(s);
	ck_assert_msg(j != NULL, "%s is not JSON", p);
	free(s);
	return j;
}

/* The first finding of rule (on path, when given) in a --json report. */
static const cJSON *
find(const cJSON *rep, const char *rule, const char *path)
{
	const cJSON *a, *f;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(rep, "artifacts")) {
		if (path != NULL && strcmp(cJSON_GetObjectItem(a,
		    "path")->valuestring, path) != 0)
			continue;
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(a, "findings"))
			if (strcmp(cJSON_GetObjectItem(f, "rule")->valuestring,
			    rule) == 0)
				return f;
	}
	return NULL;
}

static const char *
last_line(const char *s)
{
	const char *p = s + strlen(s);

	while (p > s && p[-1] == '\n')
		p--;
	while (p > s && p[-1] != '\n')
		p--;
	return p;
}

/* scan in dir with a policy text (NULL: embedded) and extra args. */
static struct tres
scan(const char *dir, const char *policy, const char *const *extra)
{
	const char *args[40];
	int n = 0, i;

	args[n++] = "scan";
	args[n++] = "-q";
	args[n++] = "--json";
	args[n++] = "report.json";
	if (policy != NULL) {
		tu_write(dir, "policy.json", policy);
		args[n++] = "--policy";
		args[n++] = "policy.json";
	}
	for (i = 0; extra != NULL && extra[i] != NULL && n < 38; i++)
		args[n++] = extra[i];
	if (extra == NULL || extra[0] == NULL || strcmp(args[n - 1], "models") != 0)
		args[n++] = "models";
	args[n] = NULL;
	return tu_run(dir, args);
}

/* scan() that must exit 3 with an IO-READ finding on path. */
static void
scan_io_read(const char *dir, const char *policy, const char *const *extra,
    const char *path)
{
	struct tres r = scan(dir, policy, extra);
	cJSON *j;

	ck_assert_msg(r.status == 3, "%s: exit %d: %s", path, r.status,
	    r.err);
	j = load_json(dir, "report.json");
	ck_assert_msg(find(j, "IO-READ", path) != NULL, "no IO-READ on %s",
	    path);
	cJSON_Delete(j);
	tu_free(&r);
}

START_TEST(scan_exit0_benign)
{
	char *d = make_tree(0);
	struct tres r = scan(d, NULL, NULL);
	cJSON *j;

	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(last_line(r.err), "modelgate: exit 0: pass\n");
	j = load_json(d, "report.json");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "verdict")->valuestring, "pass");
	ck_assert_int_eq(cJSON_GetObjectItem(j, "exit_code")->valueint, 0);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j,
	    "artifacts")), 2);
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(
	    cJSON_GetObjectItem(j, "artifacts"), 0), "path")->valuestring,
	    "models/llama-q8_0.gguf");
	cJSON_Delete(j);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* The embedded policy: 0 for every benign fixture, 1 for the hostile. */
START_TEST(scan_embedded_policy_fixture_sets)
{
	const char *ok[] = { "scan", "-q", "gguf/valid", "safetensors/valid",
	    NULL };
	const char *bad[] = { "scan", "-q", "gguf/hostile", NULL };
	const char *bad2[] = { "scan", "-q", "safetensors/hostile", NULL };
	struct tres r;

	r = tu_run(tu_env("MG_FIXTURES"), ok);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	r = tu_run(tu_env("MG_FIXTURES"), bad);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_str_eq(last_line(r.err),
	    "modelgate: exit 1: violations at or above high\n");
	tu_free(&r);
	r = tu_run(tu_env("MG_FIXTURES"), bad2);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
}
END_TEST

START_TEST(scan_exit2_usage_and_policy)
{
	static const struct {
		const char	*policy;
		const char	*needle;	/* in stderr */
	} cases[] = {
		{ "{\"version\": 1,\n \"fail_on\": \"high\",\n \"bogus\": 1}\n",
		    "policy.json:3:" },
		{ "{\"version\": 1, \"rules\": {\"NOPE-1\": \"off\"}}", "NOPE-1" },
		{ "{\"version\": 1, \"fail_on\": 7}", "policy.json:1:" },
		{ "{\"version\": 1,", "policy.json:1:" },
		{ "[1,2,3]", "policy.json" },
		{ "{\"version\": 1, \"include\": [\"models/[ab\"]}", "policy.json:1:" },
		{ "{\"version\": 1, \"limits\": {\"file_size\": {\"max\": 1e400}}}",
		    "policy.json:1:" },
		{ "{\"version\": 1, \"suppressions\": [{\"rule\": \"GGUF-TRAIL\"}]}",
		    "reason" },
	};
	const char *badfail[] = { "--fail-on", "severe", NULL };
	char *d = make_tree(0), deep[6000];
	struct tres r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = scan(d, cases[i].policy, NULL);
		ck_assert_msg(r.status == 2, "case %zu: exit %d", i, r.status);
		ck_assert_msg(strstr(r.err, cases[i].needle) != NULL,
		    "case %zu: '%s' not in: %s", i, cases[i].needle, r.err);
		ck_assert_str_eq(last_line(r.err),
		    "modelgate: exit 2: policy error\n");
		tu_free(&r);
	}
	/* 2,000 levels of nesting: refused, not a stack overflow. */
	memset(deep, '[', 2000);
	strcpy(deep + 2000, "]");
	r = scan(d, deep, NULL);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	r = scan(d, NULL, badfail);
	ck_assert_int_eq(r.status, 2);
	tu_free(&r);
	{
		const char *missing[] = { "scan", "no/such/dir", NULL };

		r = tu_run(d, missing);
		ck_assert_int_eq(r.status, 2);
		ck_assert_str_eq(last_line(r.err),
		    "modelgate: exit 2: usage error\n");
		tu_free(&r);
	}
	tu_rmrf(d);
	free(d);
}
END_TEST

START_TEST(scan_exit3_incomplete)
{
	char *d = make_tree(0), pol[512], *out;
	const char *nohash[] = { "--no-hash", NULL };
	const char *follow[] = { "--follow-symlinks", NULL };
	struct tres r;
	cJSON *j;

	/* A pinned digest that --no-hash leaves unverified. */
	snprintf(pol, sizeof(pol), "{\"version\": 1, \"digests\": "
	    "{\"models/llama-q8_0.gguf\": \"%064d\"}}", 0);
	r = scan(d, pol, nohash);
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(last_line(r.err), "exit 3: incomplete"));
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "HASH-UNVERIFIED", NULL));
	ck_assert_str_eq(cJSON_GetObjectItem(j, "verdict")->valuestring,
	    "incomplete");
	cJSON_Delete(j);
	tu_free(&r);

	/* Pins that cannot be verified are never switched off or suppressed. */
	snprintf(pol, sizeof(pol), "{\"version\": 1, \"rules\": "
	    "{\"HASH-UNVERIFIED\": \"off\"}, \"suppressions\": [{\"rule\": "
	    "\"HASH-UNVERIFIED\", \"reason\": \"try to hide it\"}], "
	    "\"digests\": {\"models/llama-q8_0.gguf\": \"%064d\"}}", 0);
	r = scan(d, pol, nohash);
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	tu_free(&r);

	/* A symlink not followed is reported, not skipped in silence. */
	tu_sh("ln -s llama-q8_0.gguf '%s/models/alias.gguf'", d);
	scan_io_read(d, NULL, NULL, "models/alias.gguf");
	/* ... unless the policy excludes that part of the tree. */
	r = scan(d, "{\"version\": 1, \"exclude\": [\"**/alias.gguf\"]}",
	    NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	/* ... or it is followed. */
	r = scan(d, NULL, follow);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_sh("rm '%s/models/alias.gguf'", d);

	/* Followed or not, a link to a pipe is no file: reported. */
	tu_sh("mkfifo '%s/models/p.fifo' && ln -s p.fifo "
	    "'%s/models/pipe.gguf'", d, d);
	scan_io_read(d, NULL, follow, "models/pipe.gguf");
	tu_sh("rm '%s/models/p.fifo' '%s/models/pipe.gguf'", d, d);

	/* A symlink leaving the root cannot be followed: not checked. */
	out = tu_tmpdir();
	tu_write(out, "elsewhere.gguf", "GGUF");
	tu_sh("ln -s '%s/elsewhere.gguf' '%s/models/outside.gguf'", out, d);
	scan_io_read(d, NULL, follow, "models/outside.gguf");
	tu_rmrf(out);
	free(out);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * hole01: an include list names files; a directory the walk could not
 * enter or a link it did not follow never matches a file glob, and must
 * not vanish because of that.  Only an exclude may drop it.
 */
START_TEST(hole01_walk_errors_under_include)
{
	static const char inc[] = "{\"version\": 1, \"include\": "
	    "[\"**/*.gguf\"]}";
	static const char inc_ex[] = "{\"version\": 1, \"include\": "
	    "[\"**/*.gguf\"], \"exclude\": [\"models/locked/**\", "
	    "\"**/alias.gguf\"]}";
	char *d = make_tree(0);
	struct tres r;

	/* An unfollowed symlink to a model. */
	tu_sh("ln -s llama-q8_0.gguf '%s/models/alias.gguf'", d);
	scan_io_read(d, inc, NULL, "models/alias.gguf");

	/* A link to a directory that is not followed. */
	tu_sh("mkdir -p '%s/models/locked' && "
	    "ln -s ../legacy '%s/models/locked/up'", d, d);
	scan_io_read(d, inc, NULL, "models/locked/up");

	/* Excluded on purpose: no longer a concern. */
	r = scan(d, inc_ex, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * hole02: the safetensors loader accepts any whitespace before the header
 * object, so recognition must too, however long the padding: as a model
 * under another name, in bom, and as an unlisted file under --lock.
 */
static void
write_padded_st(const char *dir, const char *name, size_t pad)
{
	static const char js[] = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],"
	    "\"data_offsets\":[0,4]}}";
	unsigned char *b;
	size_t hl = pad + sizeof(js) - 1, n = 8 + hl + 4, k;

	b = calloc(1, n);
	ck_assert_ptr_nonnull(b);
	for (k = 0; k < 8; k++)
		b[k] = (unsigned char)(hl >> (8 * k));
	memset(b + 8, ' ', pad);
	memcpy(b + 8 + pad, js, sizeof(js) - 1);
	tu_write_bytes(dir, name, b, n);
	free(b);
}

START_TEST(hole02_padded_safetensors_recognised)
{
	const char *bom[] = { "bom", "models/weights.bin", NULL };
	const char *lockw[] = { "lock", "-o", "models.lock", "models", NULL };
	const char *locked[] = { "--lock", "models.lock", NULL };
	char *d = make_tree(0);
	struct tres r;
	const cJSON *f;
	cJSON *j;

	write_padded_st(d, "models/weights.bin", 200);
	r = tu_run(d, bom);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	j = cJSON_Parse(r.out);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "format")->valuestring,
	    "safetensors");
	cJSON_Delete(j);
	tu_free(&r);
	r = scan(d, NULL, NULL);
	j = load_json(d, "report.json");
	f = find(j, "FMT-EXT", "models/weights.bin");
	ck_assert_ptr_nonnull(f);
	cJSON_Delete(j);
	tu_free(&r);

	/* Pinned without it, then it appears: not in the lock. */
	tu_sh("mv '%s/models/weights.bin' '%s/weights.bin'", d, d);
	r = tu_run(d, lockw);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_sh("mv '%s/weights.bin' '%s/models/weights.bin'", d, d);
	r = scan(d, NULL, locked);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "HASH-EXTRA", "models/weights.bin"));
	cJSON_Delete(j);
	tu_free(&r);

	/* Whitespace past the declared header is not a header. */
	{
		unsigned char b[128];

		memset(b, ' ', sizeof(b));
		memcpy(b, "\x0a\0\0\0\0\0\0\0", 8);
		tu_write_bytes(d, "models/weights.bin", b, sizeof(b));
	}
	r = tu_run(d, bom);
	ck_assert_int_eq(r.status, 4);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * hole03: whether an artifact was parsed to its end is a fact of the
 * artifact.  A file that stops the parser (version 7, then noise) is not
 * fully checked whatever the policy makes of the rule that says why.
 */
START_TEST(hole03_stopped_parse_is_incomplete)
{
	static const char lowered[] = "{\"version\": 1, \"rules\": "
	    "{\"GGUF-VERSION\": \"low\", \"GGUF-TYPE\": \"off\"}}";
	const char *crit[] = { "--fail-on", "critical", NULL };
	unsigned char b[4096];
	char *d = make_tree(0);
	const cJSON *a;
	struct tres r;
	cJSON *j;
	size_t k;

	memcpy(b, "GGUF\x07\0\0\0", 8);
	for (k = 8; k < sizeof(b); k++)
		b[k] = (unsigned char)(k * 2654435761u >> 13);
	tu_write_bytes(d, "models/noise.gguf", b, sizeof(b));
	r = scan(d, lowered, NULL);
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	r = scan(d, NULL, crit);
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	j = load_json(d, "report.json");
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "artifacts"))
		if (strcmp(cJSON_GetObjectItem(a, "path")->valuestring,
		    "models/noise.gguf") == 0) {
			ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(a,
			    "complete")));
			ck_assert_str_eq(cJSON_GetObjectItem(a,
			    "verdict")->valuestring, "error");
		}
	cJSON_Delete(j);
	tu_free(&r);

	/* An unknown value type stops the parse too; lowering it is no pass. */
	memcpy(b, "GGUF\x03\0\0\0\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0"
	    "\x01\0\0\0\0\0\0\0k\x63\0\0\0", 37);
	tu_write_bytes(d, "models/noise.gguf", b, sizeof(b));
	r = scan(d, "{\"version\": 1, \"rules\": {\"GGUF-TYPE\": \"info\"}}",
	    NULL);
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * hole04: a pin in the policy's digests matches the file however the
 * scan root is spelled, as a lock file's does, and a pin list that
 * matched nothing is reported instead of passing.
 */
START_TEST(hole04_policy_pins_any_root_spelling)
{
	char *d = make_tree(0), pol[512], absroot[4200];
	const char *roots[][3] = {
		{ "models/../models", NULL, NULL },
		{ "./models//", NULL, NULL },
		{ absroot, NULL, NULL },
	};
	struct tres r;
	cJSON *j;
	size_t i;

	snprintf(absroot, sizeof(absroot), "%s/models", d);
	snprintf(pol, sizeof(pol), "{\"version\": 1, \"digests\": "
	    "{\"models/llama-q8_0.gguf\": \"%064d\"}}", 0);
	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		r = scan(d, pol, roots[i]);
		ck_assert_msg(r.status == 1, "%s: exit %d: %s", roots[i][0],
		    r.status, r.err);
		j = load_json(d, "report.json");
		ck_assert_msg(find(j, "HASH-MISMATCH", NULL) != NULL, "%s",
		    roots[i][0]);
		cJSON_Delete(j);
		tu_free(&r);
	}
	/* Pins that match no scanned file and lie under no root. */
	snprintf(pol, sizeof(pol), "{\"version\": 1, \"digests\": "
	    "{\"elsewhere/llama-q8_0.gguf\": \"%064d\"}}", 0);
	r = scan(d, pol, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "HASH-MANIFEST", NULL));
	cJSON_Delete(j);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * hole05: a baseline forgives the findings it recorded, on the content
 * it recorded: the same rule at the same path about other bytes counts.
 */
START_TEST(hole05_baseline_fingerprints_content)
{
	const char *base[] = { "--baseline", "base.json", NULL };
	const char *lockw[] = { "lock", "-o", "models.lock", "models", NULL };
	const char *locked[] = { "--lock", "models.lock", "--baseline",
	    "base.json", NULL };
	char *d = make_tree(0);
	struct tres r;

	/* Trailing bytes, baselined; then a bigger payload at the same spot. */
	tu_sh("printf 'PK\\003\\004trail' >> '%s/models/llama-q8_0.gguf'", d);
	r = scan(d, NULL, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_sh("cp '%s/report.json' '%s/base.json'", d, d);
	r = scan(d, NULL, base);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_sh("head -c 1048576 /dev/zero | tr '\\0' 'A' >> "
	    "'%s/models/llama-q8_0.gguf'", d);
	r = scan(d, NULL, base);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);

	/* A digest mismatch, baselined; then other content again. */
	tu_sh("rm -f '%s/models/llama-q8_0.gguf' && cp '%s' '%s/models/'", d,
	    tu_fix("gguf/valid/llama-q8_0.gguf"), d);
	r = tu_run(d, lockw);
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	tu_sh("printf 'x' | dd of='%s/models/multi-pt.safetensors' bs=1 "
	    "seek=200 conv=notrunc 2>/dev/null", d);
	tu_write(d, "base.json", "{\"artifacts\": []}");
	r = scan(d, NULL, locked);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_sh("cp '%s/report.json' '%s/base.json'", d, d);
	r = scan(d, NULL, locked);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_sh("printf 'y' | dd of='%s/models/multi-pt.safetensors' bs=1 "
	    "seek=200 conv=notrunc 2>/dev/null", d);
	r = scan(d, NULL, locked);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* A GGUF whose label says one type while its tensors are another. */
static void
write_labelled(const char *dir, const char *name, int64_t file_type,
    uint32_t stored)
{
	struct gguf_model m;
	struct fbuf b;

	memset(&m, 0, sizeof(m));
	m.file_type = file_type;
	m.n_tensors = 4;
	m.ttypes = &stored;
	m.n_ttypes = 1;
	m.ne0 = 256;
	m.ne1 = 4;
	m.license = "apache-2.0";
	fbuf_init(&b);
	gguf_build_model(&m, &b);
	tu_write_bytes(dir, name, b.p, b.len);
	fbuf_free(&b);
}

/*
 * hole06: allowlists check the tensors as stored, not the file's label:
 * Q2_K tensors labelled Q8_0, F32 tensors labelled F16.
 */
START_TEST(hole06_allowlists_check_stored_types)
{
	static const char q8[] = "{\"version\": 1, \"allow\": "
	    "{\"quantizations\": [\"Q8_0\"]}}";
	static const char f16[] = "{\"version\": 1, \"allow\": "
	    "{\"dtypes\": [\"F16\"]}}";
	static const char q4km[] = "{\"version\": 1, \"allow\": "
	    "{\"quantizations\": [\"Q4_K_M\"]}}";
	char *d = tu_tmpdir();
	struct tres r;
	cJSON *j;

	tu_sh("mkdir -p '%s/models'", d);
	write_labelled(d, "models/m.gguf", 7, 10);	/* "Q8_0", Q2_K */
	r = scan(d, q8, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "POLICY-VALUE", "models/m.gguf"));
	cJSON_Delete(j);
	tu_free(&r);
	/* Honestly labelled Q8_0: passes. */
	write_labelled(d, "models/m.gguf", 7, 8);
	r = scan(d, q8, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	/* Q4_K_M: the bulk Q4_K and the more precise Q6_K are its own. */
	write_labelled(d, "models/m.gguf", 15, 14);
	r = scan(d, q4km, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);

	write_labelled(d, "models/m.gguf", 1, 0);	/* "F16", F32 */
	r = scan(d, f16, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	write_labelled(d, "models/m.gguf", 1, 1);
	r = scan(d, f16, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* A one-member stored zip, as torch.save lays out its first record. */
static void
write_zip1(const char *dir, const char *name, const char *member,
    const void *data, size_t n)
{
	struct fbuf b;

	fbuf_init(&b);
	fbuf_zip1(&b, member, data, n);
	tu_write_bytes(dir, name, b.p, b.len);
	fbuf_free(&b);
}

/*
 * hole11: model files modelgate cannot check yet are reported as not
 * checked, with the format they look like, and the run is incomplete;
 * only the policy can accept them unchecked.
 */
START_TEST(hole11_unsupported_formats_never_vanish)
{
	static const unsigned char onnx[] = { 0x08, 0x07, 0x12, 0x07, 'p', 'y',
	    't', 'o', 'r', 'c', 'h', 0x3a, 0x02, 0x0a, 0x00 };
	static const char hdf5[] = "\x89HDF\r\n\x1a\n\0\0\0\0";
	static const char accept[] = "{\"version\": 1, \"formats\": "
	    "{\"unchecked\": [\"keras\", \"onnx\", \"hdf5\"]}}";
	const cJSON *a, *f;
	char *d = tu_tmpdir();
	struct tres r;
	cJSON *j;
	int seen = 0;

	tu_sh("mkdir -p '%s/models/onnx' && cp '%s' '%s/models/'", d,
	    tu_fix("safetensors/valid/multi-pt.safetensors"), d);
	write_zip1(d, "models/model.keras", "metadata.json", "{}", 2);
	tu_write_bytes(d, "models/onnx/model.onnx", onnx, sizeof(onnx));
	tu_write_bytes(d, "models/weights", hdf5, sizeof(hdf5) - 1);
	r = scan(d, NULL, NULL);
	ck_assert_msg(r.status == 3, "exit %d: %s", r.status, r.err);
	j = load_json(d, "report.json");
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "artifacts")) {
		const char *p = cJSON_GetObjectItem(a, "path")->valuestring;
		const char *fm = cJSON_GetObjectItem(a, "format")->valuestring;

		if (strcmp(p, "models/multi-pt.safetensors") == 0)
			continue;
		seen++;
		ck_assert_msg(strcmp(p, "models/model.keras") == 0 ?
		    strcmp(fm, "keras") == 0 : strcmp(p,
		    "models/onnx/model.onnx") == 0 ? strcmp(fm, "onnx") == 0 :
		    strcmp(fm, "hdf5") == 0, "%s is %s", p, fm);
		ck_assert_str_eq(cJSON_GetObjectItem(a, "verdict")->valuestring,
		    "error");
		ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(a, "complete")));
	}
	ck_assert_int_eq(seen, 3);
	ck_assert_ptr_nonnull(f = find(j, "FMT-UNSUPPORTED",
	    "models/model.keras"));
	cJSON_Delete(j);
	tu_free(&r);

	/* The policy may accept them unchecked ... */
	r = scan(d, accept, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	/* ... or turn the rule off for a path, or deny the format. */
	r = scan(d, "{\"version\": 1, \"formats\": {\"unchecked\": "
	    "[\"hdf5\"]}, \"overrides\": [{\"paths\": [\"models/**\"], "
	    "\"rules\": {\"FMT-UNSUPPORTED\": \"off\"}}]}", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	r = scan(d, "{\"version\": 1, \"formats\": {\"deny\": [\"hdf5\"], "
	    "\"unchecked\": [\"keras\", \"onnx\", \"hdf5\"]}}", NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* On its expiry day (UTC) a suppression no longer applies; the day before
 * it still does. */
START_TEST(suppression_expiry_boundary)
{
	ck_assert_int_eq(mg_gate_expired("2027-01-31", "2027-01-30"), 0);
	ck_assert_int_eq(mg_gate_expired("2027-01-31", "2027-01-31"), 1);
	ck_assert_int_eq(mg_gate_expired("2027-01-31", "2027-02-01"), 1);
	ck_assert_int_eq(mg_gate_expired("2026-12-31", "2027-01-01"), 1);
	ck_assert_int_eq(mg_gate_expired("", "2027-01-31"), 0);

	/* End to end, on the real clock: today expired, tomorrow live. */
	{
		char *d = make_tree(1), pol[512], day[16];
		time_t t = time(NULL);
		struct tm tm;
		struct tres r;
		int k;

		for (k = 0; k < 2; k++) {
			time_t u = t + k * 86400;

			gmtime_r(&u, &tm);
			strftime(day, sizeof(day), "%Y-%m-%d", &tm);
			snprintf(pol, sizeof(pol), "{\"version\": 1, "
			    "\"suppressions\": [{\"path\": \"models/legacy/**\","
			    " \"reason\": \"old\", \"expires\": \"%s\"}]}", day);
			r = scan(d, pol, NULL);
			ck_assert_msg(r.status == (k == 0 ? 1 : 0), "%s: exit %d: "
			    "%s", day, r.status, r.err);
			tu_free(&r);
		}
		tu_rmrf(d);
		free(d);
	}
}
END_TEST

/*
 * Without the digest (--no-hash) a fingerprint cannot tell other content
 * at the same place: a baseline then forgives nothing.
 */
START_TEST(hole05_no_hash_baseline_forgives_nothing)
{
	const char *nohash[] = { "--no-hash", NULL };
	const char *base[] = { "--no-hash", "--baseline", "base.json", NULL };
	char *d = make_tree(0);
	struct tres r;

	tu_sh("printf 'PK\\003\\004AAAA' >> '%s/models/llama-q8_0.gguf'", d);
	r = scan(d, NULL, nohash);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_sh("cp '%s/report.json' '%s/base.json'", d, d);
	/* Other bytes, same length, same place. */
	tu_sh("f='%s/models/llama-q8_0.gguf'; n=$(($(wc -c <\"$f\") - 4)); "
	    "printf 'BBBB' | dd of=\"$f\" bs=1 seek=$n conv=notrunc "
	    "2>/dev/null", d);
	r = scan(d, NULL, base);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* Files that are not models never carry policy findings. */
START_TEST(policy_checks_only_models)
{
	char *d = make_tree(0);
	struct tres r;

	tu_sh("rm '%s/models/multi-pt.safetensors'", d);
	tu_write(d, "models/README.md", "# a model\n");
	tu_write(d, "models/notes.txt", "notes\n");
	r = scan(d, "{\"version\": 1, \"formats\": {\"allow\": [\"gguf\"]}, "
	    "\"allow\": {\"architectures\": [\"llama\"]}, \"licenses\": "
	    "{\"required\": true, \"allow\": [\"apache-2.0\"]}}", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* Shard no of count written as gguf-split writes shards after the first. */
static void
write_split_shard(const char *dir, const char *name, unsigned no,
    unsigned count, const char *arch)
{
	static const uint64_t dims[2] = { 32, 2 };
	struct gguf_b g;
	struct fbuf b;

	gguf_b_init(&g, 3, 0);
	gguf_kv_begin(&g, "split.no", 8, GGUF_T_UINT16);
	gguf_w_u16(&g, &g.kv, (uint16_t)no);
	gguf_kv_begin(&g, "split.count", 11, GGUF_T_UINT16);
	gguf_w_u16(&g, &g.kv, (uint16_t)count);
	gguf_kv_i32(&g, "split.tensors.count", 3);
	if (arch != NULL)
		gguf_kv_str(&g, "general.architecture", arch);
	gguf_tensor(&g, "blk.1.w", 2, dims, GGML_T_F32, 1);
	fbuf_init(&b);
	gguf_b_out(&g, &b);
	tu_write_bytes(dir, name, b.p, b.len);
	fbuf_free(&b);
	gguf_b_free(&g);
}

/*
 * Shards after the first of a split GGUF carry tensors only: what they
 * lack is in the first shard, and is no finding; what they carry is
 * checked.
 */
START_TEST(split_shards_inherit_metadata)
{
	/* A lone shard: the set's completeness (REPO-SPLIT) is not the point. */
	static const char pol[] = "{\"version\": 1, \"allow\": "
	    "{\"architectures\": [\"llama\"]}, \"licenses\": {\"required\": "
	    "true}, \"require_keys\": {\"gguf\": [\"general.name\"]}, "
	    "\"rules\": {\"REPO-SPLIT\": \"off\"}}";
	char *d = make_tree(0);
	struct tres r;

	tu_sh("rm '%s/models/multi-pt.safetensors'", d);
	write_split_shard(d, "models/m-00002-of-00003.gguf", 1, 3, NULL);
	r = scan(d, pol, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	write_split_shard(d, "models/m-00002-of-00003.gguf", 1, 3, "evil");
	r = scan(d, pol, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	/* Not a later shard (no 0, or out of range): checked in full. */
	write_split_shard(d, "models/m-00002-of-00003.gguf", 3, 3, NULL);
	r = scan(d, pol, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * A report path committed as a symlink to another file is replaced, not
 * written through: a pull request cannot aim the report at a victim.
 */
START_TEST(report_symlink_is_replaced)
{
	const char *a[] = { "scan", "-q", "--sarif", "out.sarif", "models",
	    NULL };
	char *d = make_tree(0), p[4200], *v;
	struct tres r;
	struct stat st;

	tu_write(d, "victim.txt", "keep me\n");
	tu_sh("ln -s victim.txt '%s/out.sarif'", d);
	r = tu_run(d, a);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	snprintf(p, sizeof(p), "%s/victim.txt", d);
	v = tu_slurp(p, NULL);
	ck_assert_str_eq(v, "keep me\n");
	free(v);
	snprintf(p, sizeof(p), "%s/out.sarif", d);
	ck_assert_int_eq(lstat(p, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	tu_rmrf(d);
	free(d);
}
END_TEST

/* The format a scan gave path in report.json, or NULL. */
static const char *
format_of(const cJSON *j, const char *path)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "artifacts"))
		if (strcmp(cJSON_GetObjectItem(a, "path")->valuestring,
		    path) == 0)
			return cJSON_GetObjectItem(a, "format")->valuestring;
	return NULL;
}

/*
 * Files that loaders open by their name are judged by that reading too:
 * a safetensors file named .pt is unpickled by torch.load; protocol 0
 * pickles, zips and compressed streams under a name that says nothing
 * (.bin) are what torch.load and joblib.load take them for; a pickle
 * that spells TFL3 or a torch zip with a .npy member is no cover.
 */
START_TEST(hole11_names_and_polyglots)
{
	static const char p0[] = "cposix\nsystem\n(S'true'\ntR.";
	static const char p2tfl[] = "\x80\x02S'TFL3'\n0cposix\nsystem\n"
	    "(S'true'\ntR.";
	static const unsigned char z[] = { 0x78, 0x9c, 0x01, 0x02, 0x03 };
	const char *lockw[] = { "lock", "-o", "models.lock", "models", NULL };
	const char *locked[] = { "--lock", "models.lock", NULL };
	char *d = make_tree(0);
	struct tres r;
	cJSON *j;

	tu_sh("cp '%s/models/multi-pt.safetensors' '%s/models/model.pt' && "
	    "cp '%s/models/multi-pt.safetensors' '%s/models/pytorch_model.bin'",
	    d, d, d, d);
	r = scan(d, NULL, NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "FMT-POLYGLOT", "models/model.pt"));
	ck_assert_ptr_nonnull(find(j, "FMT-POLYGLOT",
	    "models/pytorch_model.bin"));
	cJSON_Delete(j);
	tu_free(&r);
	/* Accepting PyTorch files unchecked does not accept a polyglot. */
	r = scan(d, "{\"version\": 1, \"formats\": {\"unchecked\": "
	    "[\"pytorch\", \"pickle\"]}}", NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_sh("rm '%s/models/model.pt' '%s/models/pytorch_model.bin'", d, d);

	/* Locked, then pickles and streams appear under generic names. */
	r = tu_run(d, lockw);
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	tu_write(d, "models/weights.bin", p0);
	tu_write(d, "models/m2.bin", p2tfl);
	tu_write_bytes(d, "models/dump.bin", z, sizeof(z));
	write_zip1(d, "models/ts.bin", "ts/data/0", "abcd", 4);
	write_zip1(d, "models/np.bin", "archive/x.npy", "abcd", 4);
	tu_write_bytes(d, "models/m.pkl.gz", "\x1f\x8b\x08\0", 4);
	tu_write_bytes(d, "models/m.joblib", z, sizeof(z));
	tu_write_bytes(d, "models/docs.tar.gz", "\x1f\x8b\x08\0", 4);
	r = scan(d, NULL, locked);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	j = load_json(d, "report.json");
	ck_assert_str_eq(format_of(j, "models/weights.bin"), "pickle");
	ck_assert_str_eq(format_of(j, "models/m2.bin"), "pickle");
	ck_assert_str_eq(format_of(j, "models/dump.bin"), "compressed");
	ck_assert_str_eq(format_of(j, "models/ts.bin"), "pytorch");
	ck_assert_str_eq(format_of(j, "models/np.bin"), "pytorch");
	ck_assert_ptr_nonnull(find(j, "HASH-EXTRA", "models/weights.bin"));
	/* Compressed streams are containers, zlib's (read by zlib) too. */
	ck_assert_str_eq(format_of(j, "models/m.pkl.gz"), "gzip");
	ck_assert_ptr_nonnull(find(j, "ARC-CORRUPT", "models/m.pkl.gz"));
	ck_assert_str_eq(format_of(j, "models/m.joblib"), "compressed");
	ck_assert_ptr_nonnull(find(j, "ARC-CORRUPT", "models/m.joblib"));
	ck_assert_str_eq(format_of(j, "models/docs.tar.gz"), "gzip");
	cJSON_Delete(j);
	tu_free(&r);
	/* Accepting numpy and tflite unchecked is no cover for them. */
	r = scan(d, "{\"version\": 1, \"formats\": {\"unchecked\": "
	    "[\"numpy\", \"tflite\"]}}", NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "PICKLE-UNSAFE", "models/m2.bin"));
	/* A zip torch.load reads is checked as a checkpoint: not one. */
	ck_assert_ptr_nonnull(find(j, "TORCH-LAYOUT", "models/np.bin"));
	cJSON_Delete(j);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* A NUL inside a GGUF licence does not cut it short of a deny list. */
START_TEST(gguf_licence_with_nul_is_whole)
{
	static const uint64_t dims[2] = { 32, 2 };
	char *d = tu_tmpdir();
	struct gguf_b g;
	struct fbuf b;
	struct tres r;

	tu_sh("mkdir -p '%s/models'", d);
	gguf_b_init(&g, 3, 0);
	gguf_kv_str(&g, "general.architecture", "llama");
	gguf_kv_strn(&g, "general.license", "apache-2.0\0 AND gpl-3.0", 24);
	gguf_tensor(&g, "w", 2, dims, GGML_T_F32, 1);
	fbuf_init(&b);
	gguf_b_out(&g, &b);
	tu_write_bytes(d, "models/m.gguf", b.p, b.len);
	fbuf_free(&b);
	gguf_b_free(&g);
	r = scan(d, "{\"version\": 1, \"licenses\": {\"deny\": [\"gpl\"]}}",
	    NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* Formats not checked yet are still pinned by a lock: it pins bytes. */
START_TEST(lock_pins_unchecked_formats)
{
	const char *lockw[] = { "lock", "-o", "models.lock", "models", NULL };
	const char *locked[] = { "--lock", "models.lock", NULL };
	char *d = make_tree(0);
	struct tres r;

	write_zip1(d, "models/model.keras", "metadata.json", "{}", 2);
	r = tu_run(d, lockw);
	ck_assert_msg(r.status == 0, "lock exit %d: %s", r.status, r.err);
	tu_free(&r);
	r = scan(d, "{\"version\": 1, \"formats\": {\"unchecked\": "
	    "[\"keras\"]}}", locked);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * Names and content together: a policy's format lists apply to the
 * name's format too; a Git LFS pointer under a checkpoint name is a
 * pointer, not a polyglot; text is never a model by its name; a later
 * split shard inherits the licence even when a sidecar is broken; a
 * pickle under a checkpoint name is where pickles live.
 */
START_TEST(claims_text_and_pointers)
{
	static const char pk[] = "(dp0\nVa\np1\nI1\ns.";
	static const char lfs[] = "version https://git-lfs.github.com/spec/v1\n"
	    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca"
	    "24d17e2393\nsize 12345\n";
	const char *medium[] = { "--fail-on", "medium", NULL };
	char *d = tu_tmpdir();
	struct tres r;

	tu_sh("mkdir -p '%s/models'", d);
	tu_write(d, "models/model.pt", pk);
	r = scan(d, NULL, medium);
	ck_assert_msg(r.status == 0, "pickle .pt: exit %d: %s", r.status, r.err);
	tu_free(&r);
	r = scan(d, "{\"version\": 1, \"formats\": {\"deny\": [\"pytorch\"]}}",
	    NULL);
	ck_assert_msg(r.status == 1, "deny: exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_sh("rm '%s/models/model.pt'", d);

	tu_write(d, "models/pytorch_model.bin", lfs);
	r = scan(d, "{\"version\": 1, \"rules\": {\"HASH-LFS\": \"off\"}}", NULL);
	ck_assert_msg(r.status == 0, "lfs: exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_sh("rm '%s/models/pytorch_model.bin'", d);

	tu_write(d, "models/utf8.pth", "/home/jos\xc3\xa9/lib\n");
	tu_write(d, "models/bom.pth", "\xef\xbb\xbfimport foo\n");
	tu_write(d, "models/empty.pth", "");
	r = scan(d, NULL, NULL);
	ck_assert_msg(r.status == 4, "text: exit %d: %s", r.status, r.err);
	tu_free(&r);

	write_split_shard(d, "models/m-00002-of-00002.gguf", 1, 2, NULL);
	tu_write(d, "models/config.json", "{\"license\": NaN}");
	r = scan(d, "{\"version\": 1, \"licenses\": {\"required\": true}, "
	    "\"rules\": {\"REPO-SPLIT\": \"off\"}}", NULL);
	ck_assert_msg(r.status == 0, "split: exit %d: %s", r.status, r.err);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* A licence that is not SPDX cannot slip past a deny list. */
START_TEST(scan_license_not_spdx_vs_deny)
{
	char *d = make_tree(0);
	struct tres r;
	cJSON *j;

	tu_write(d, "models/config.json", "{\"license\": \"CC-BY-NC-4.0 OR\"}");
	r = scan(d, "{\"version\":1,\"licenses\":{\"deny\":[\"CC-BY-NC-4.0\"]}}",
	    NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "POLICY-LICENSE",
	    "models/multi-pt.safetensors"));
	cJSON_Delete(j);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* Reports reach devices and links; a file argument may be a symlink. */
START_TEST(scan_report_to_stdout_and_symlinked_root)
{
	char *d = make_tree(0);
	const char *a[] = { "scan", "--json", "/dev/stdout", "models/link.gguf",
	    NULL };
	struct tres r;
	cJSON *j;
	struct stat st;

	tu_sh("ln -s llama-q8_0.gguf '%s/models/link.gguf'", d);
	r = tu_run(d, a);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	j = cJSON_Parse(r.out);
	ck_assert_msg(j != NULL, "stdout is not the JSON report: %s", r.out);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "verdict")->valuestring, "pass");
	cJSON_Delete(j);
	ck_assert_int_eq(lstat("/dev/stdout", &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

START_TEST(scan_exit4_empty)
{
	char *d = tu_tmpdir();
	const char *allow[] = { "--allow-empty", NULL };
	struct tres r;

	tu_sh("mkdir '%s/models' && echo hi > '%s/models/readme.txt'", d, d);
	r = scan(d, NULL, NULL);
	ck_assert_int_eq(r.status, 4);
	ck_assert_ptr_nonnull(strstr(last_line(r.err), "exit 4"));
	tu_free(&r);
	r = scan(d, NULL, allow);
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* Every policy field: the rule it raises, or the exit it changes. */
START_TEST(scan_policy_fields)
{
	static const struct {
		const char	*policy;
		int		 exit;
		const char	*rule;		/* expected in the report, or NULL */
		const char	*path;
	} cases[] = {
		{ "{\"version\":1,\"formats\":{\"deny\":[\"safetensors\"]}}", 1,
		    "POLICY-FORMAT", "models/multi-pt.safetensors" },
		{ "{\"version\":1,\"formats\":{\"allow\":[\"gguf\"]}}", 1,
		    "POLICY-FORMAT", "models/multi-pt.safetensors" },
		{ "{\"version\":1,\"require_keys\":{\"gguf\":[\"general.name\","
		    "\"general.author\"]}}", 1, "POLICY-KEY",
		    "models/llama-q8_0.gguf" },
		{ "{\"version\":1,\"allow\":{\"architectures\":[\"qwen2\"]}}", 1,
		    "POLICY-VALUE", "models/llama-q8_0.gguf" },
		{ "{\"version\":1,\"allow\":{\"quantizations\":[\"Q4_K_M\"]}}", 1,
		    "POLICY-VALUE", "models/llama-q8_0.gguf" },
		{ "{\"version\":1,\"allow\":{\"dtypes\":[\"F32\"]}}", 1,
		    "POLICY-VALUE", NULL },
		{ "{\"version\":1,\"limits\":{\"file_size\":{\"max\":100}}}", 1,
		    "POLICY-LIMIT", NULL },
		{ "{\"version\":1,\"limits\":{\"parameter_count\":{\"min\":"
		    "1000000000}}}", 1, "POLICY-LIMIT", NULL },
		{ "{\"version\":1,\"limits\":{\"context_length\":{\"max\":16}}}", 1,
		    "POLICY-LIMIT", "models/llama-q8_0.gguf" },
		{ "{\"version\":1,\"limits\":{\"tensor_count\":{\"max\":1}}}", 1,
		    "POLICY-LIMIT", NULL },
		{ "{\"version\":1,\"licenses\":{\"deny\":[\"Apache-2.0\"]}}", 1,
		    "POLICY-LICENSE", "models/llama-q8_0.gguf" },
		{ "{\"version\":1,\"licenses\":{\"allow\":[\"MIT\"]}}", 1,
		    "POLICY-LICENSE", "models/llama-q8_0.gguf" },
		{ "{\"version\":1,\"licenses\":{\"required\":true}}", 1,
		    "POLICY-LICENSE", "models/multi-pt.safetensors" },
		/* Severity override below fail_on: reported, not failing. */
		{ "{\"version\":1,\"rules\":{\"POLICY-KEY\":\"low\"},"
		    "\"require_keys\":{\"gguf\":[\"general.author\"]}}", 0,
		    "POLICY-KEY", NULL },
		/* --fail-on equivalent in the policy. */
		{ "{\"version\":1,\"fail_on\":\"low\",\"rules\":{\"POLICY-KEY\":"
		    "\"low\"},\"require_keys\":{\"gguf\":[\"general.author\"]}}",
		    1, "POLICY-KEY", NULL },
		/* Rule switched off: no finding at all. */
		{ "{\"version\":1,\"rules\":{\"POLICY-FORMAT\":\"off\"},"
		    "\"formats\":{\"deny\":[\"gguf\"]}}", 0, NULL, NULL },
		/* Scoped by path: only the gguf directory is constrained. */
		{ "{\"version\":1,\"overrides\":[{\"paths\":[\"**/*.safetensors\"],"
		    "\"formats\":{\"deny\":[\"safetensors\"]},\"fail_on\":"
		    "\"critical\"}]}", 0, "POLICY-FORMAT", NULL },
		/* include/exclude: the excluded file is not scanned. */
		{ "{\"version\":1,\"exclude\":[\"**/*.gguf\"],\"formats\":"
		    "{\"deny\":[\"gguf\"]}}", 0, NULL, NULL },
		{ "{\"version\":1,\"include\":[\"models/*.gguf\"],\"formats\":"
		    "{\"deny\":[\"safetensors\"]}}", 0, NULL, NULL },
		/* A pinned digest that does not match. */
		{ "{\"version\":1,\"digests\":{\"models/llama-q8_0.gguf\":"
		    "\"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		    1, "HASH-MISMATCH", "models/llama-q8_0.gguf" },
		{ "{\"version\":1,\"digests\":{\"models/gone.gguf\":"
		    "\"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		    1, "HASH-MISSING", "models/gone.gguf" },
	};
	char *d = make_tree(0);
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tres r = scan(d, cases[i].policy, NULL);
		cJSON *j;

		ck_assert_msg(r.status == cases[i].exit, "case %zu: exit %d, "
		    "want %d: %s", i, r.status, cases[i].exit, r.err);
		j = load_json(d, "report.json");
		if (cases[i].rule != NULL)
			ck_assert_msg(find(j, cases[i].rule, cases[i].path) !=
			    NULL, "case %zu: no %s", i, cases[i].rule);
		else
			ck_assert_msg(find(j, "POLICY-FORMAT", NULL) == NULL,
			    "case %zu: unexpected POLICY-FORMAT", i);
		cJSON_Delete(j);
		tu_free(&r);
	}
	tu_rmrf(d);
	free(d);
}
END_TEST

START_TEST(scan_fail_on_flag_overrides)
{
	char *d = make_tree(0);
	const char *low[] = { "--fail-on", "low", NULL };
	const char *pol = "{\"version\":1,\"rules\":{\"POLICY-KEY\":\"low\"},"
	    "\"require_keys\":{\"gguf\":[\"general.author\"]}}";
	struct tres r;

	r = scan(d, pol, NULL);
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	r = scan(d, pol, low);
	ck_assert_int_eq(r.status, 1);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

START_TEST(scan_suppressions)
{
	char *d = make_tree(1);
	struct tres r;
	const cJSON *f;
	cJSON *j;

	/* Live: the hostile file's findings stop counting. */
	r = scan(d, "{\"version\":1,\"suppressions\":[{\"path\":"
	    "\"models/legacy/**\",\"reason\":\"vendor file, ticket 7\","
	    "\"expires\":\"2099-12-31\"}]}", NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	j = load_json(d, "report.json");
	f = find(j, "GGUF-OFFSET", "models/legacy/overlap.gguf");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(cJSON_GetObjectItem(f, "state")->valuestring,
	    "suppressed");
	ck_assert_str_eq(cJSON_GetObjectItem(f, "reason")->valuestring,
	    "vendor file, ticket 7");
	ck_assert_ptr_null(find(j, "POLICY-SUPPRESS-UNUSED", NULL));
	cJSON_Delete(j);
	tu_free(&r);

	/* Expired (SOURCE_DATE_EPOCH is 2023-11-14): applies no more. */
	r = scan(d, "{\"version\":1,\"suppressions\":[{\"path\":"
	    "\"models/legacy/**\",\"reason\":\"old\",\"expires\":"
	    "\"2023-01-31\"}]}", NULL);
	ck_assert_int_eq(r.status, 1);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "POLICY-SUPPRESS-EXPIRED", "policy.json"));
	ck_assert_str_eq(cJSON_GetObjectItem(find(j, "GGUF-OFFSET", NULL),
	    "state")->valuestring, "active");
	cJSON_Delete(j);
	tu_free(&r);

	/* Unused: reported at low severity, does not fail the gate. */
	r = scan(d, "{\"version\":1,\"suppressions\":[{\"rule\":\"GGUF-TRAIL\","
	    "\"path\":\"nowhere/**\",\"reason\":\"stale\"}]}", NULL);
	ck_assert_int_eq(r.status, 1);	/* the hostile file still fails */
	j = load_json(d, "report.json");
	f = find(j, "POLICY-SUPPRESS-UNUSED", "policy.json");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(cJSON_GetObjectItem(f, "severity")->valuestring, "low");
	cJSON_Delete(j);
	tu_free(&r);

	/* By fingerprint, taken from a previous report. */
	r = scan(d, NULL, NULL);
	j = load_json(d, "report.json");
	{
		char pol[512];
		const cJSON *ff = find(j, "GGUF-OFFSET", NULL);
		const cJSON *a;
		int n = 0;

		ck_assert_ptr_nonnull(ff);
		/* Only one GGUF-OFFSET finding is suppressed this way. */
		cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "artifacts")) {
			const cJSON *x;

			cJSON_ArrayForEach(x, cJSON_GetObjectItem(a, "findings"))
				n++;
		}
		snprintf(pol, sizeof(pol), "{\"version\":1,\"suppressions\":"
		    "[{\"fingerprint\":\"%s\",\"reason\":\"known\"}]}",
		    cJSON_GetObjectItem(ff, "fingerprint")->valuestring);
		tu_free(&r);
		cJSON_Delete(j);
		r = scan(d, pol, NULL);
		j = load_json(d, "report.json");
		ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j,
		    "summary"), "suppressed")->valueint, 1);
		ck_assert_int_gt(n, 0);
	}
	cJSON_Delete(j);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

START_TEST(scan_lock_verification)
{
	char *d = make_tree(0);
	const char *lock[] = { "lock", "-o", "modelgate.lock", "models", NULL };
	const char *withlock[] = { "--lock", "modelgate.lock", NULL };
	struct tres r;
	cJSON *j;

	r = tu_run(d, lock);
	ck_assert_msg(r.status == 0, "lock: exit %d: %s", r.status, r.err);
	tu_free(&r);
	r = scan(d, NULL, withlock);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);

	/* One modified byte. */
	tu_sh("printf 'X' | dd of='%s/models/multi-pt.safetensors' bs=1 "
	    "seek=200 conv=notrunc status=none", d);
	r = scan(d, NULL, withlock);
	ck_assert_int_eq(r.status, 1);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "HASH-MISMATCH",
	    "models/multi-pt.safetensors"));
	cJSON_Delete(j);
	tu_free(&r);

	/* A deleted file and an added one. */
	tu_sh("rm '%s/models/multi-pt.safetensors' && cp '%s' '%s/models/new.gguf'",
	    d, tu_fix("gguf/valid/llama-q4_k_m.gguf"), d);
	r = scan(d, NULL, withlock);
	ck_assert_int_eq(r.status, 1);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "HASH-MISSING",
	    "models/multi-pt.safetensors"));
	ck_assert_ptr_nonnull(find(j, "HASH-EXTRA", "models/new.gguf"));
	cJSON_Delete(j);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

START_TEST(scan_manifest_verification)
{
	char *d = make_tree(0);
	const char *man[] = { "--manifest", "SHA256SUMS", NULL };
	struct tres r;
	cJSON *j;

	/* Text mode and binary mode lines, as sha256sum writes them. */
	tu_sh("cd '%s' && echo '{}' > models/config.json && "
	    "sha256sum models/llama-q8_0.gguf models/config.json > SHA256SUMS && "
	    "sha256sum -b models/multi-pt.safetensors >> SHA256SUMS", d);
	r = scan(d, NULL, man);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	/* A listed file that is not a model is verified as well. */
	tu_sh("echo '{\"x\": 1}' > '%s/models/config.json'", d);
	r = scan(d, NULL, man);
	ck_assert_int_eq(r.status, 1);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "HASH-MISMATCH", "models/config.json"));
	cJSON_Delete(j);
	tu_free(&r);
	tu_sh("echo '{}' > '%s/models/config.json'", d);
	tu_sh("printf 'X' | dd of='%s/models/llama-q8_0.gguf' bs=1 seek=100 "
	    "conv=notrunc status=none", d);
	r = scan(d, NULL, man);
	ck_assert_int_eq(r.status, 1);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "HASH-MISMATCH", "models/llama-q8_0.gguf"));
	cJSON_Delete(j);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

START_TEST(scan_baseline)
{
	char *d = make_tree(1);
	const char *base[] = { "--baseline", "base.json", NULL };
	struct tres r;
	cJSON *j;

	r = scan(d, NULL, NULL);
	ck_assert_int_eq(r.status, 1);
	tu_free(&r);
	tu_sh("cp '%s/report.json' '%s/base.json'", d, d);
	r = scan(d, NULL, base);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	j = load_json(d, "report.json");
	ck_assert_int_gt(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "summary"),
	    "baselined")->valueint, 0);
	ck_assert_str_eq(cJSON_GetObjectItem(find(j, "GGUF-OFFSET", NULL),
	    "state")->valuestring, "baselined");
	cJSON_Delete(j);
	tu_free(&r);
	/* Anything but a report is a usage error, not an empty baseline. */
	tu_write(d, "bad.json", "[\"fingerprint\"]");
	{
		const char *bad[] = { "--baseline", "bad.json", NULL };

		r = scan(d, NULL, bad);
		ck_assert_int_eq(r.status, 2);
		tu_free(&r);
	}
	/* A new problem still counts. */
	tu_sh("cp '%s' '%s/models/legacy/'", tu_fix("gguf/hostile/dup-tensor-name.gguf"),
	    d);
	r = scan(d, NULL, base);
	ck_assert_int_eq(r.status, 1);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

START_TEST(scan_lfs_pointer_is_a_finding)
{
	char *d = make_tree(0);
	struct tres r;
	cJSON *j;

	tu_write(d, "models/big.gguf", "version https://git-lfs.github.com/spec/v1\n"
	    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
	    "size 12345\n");
	r = scan(d, NULL, NULL);
	ck_assert_int_eq(r.status, 1);
	j = load_json(d, "report.json");
	ck_assert_ptr_nonnull(find(j, "HASH-LFS", "models/big.gguf"));
	cJSON_Delete(j);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * Golden reports: the same tree gives byte-identical JSON, SARIF and
 * JUnit for --jobs 1 and --jobs 8, equal to tests/golden/scan/.
 */
START_TEST(scan_golden_reports_jobs_1_and_8)
{
	static const char *const names[] = { "report.json", "report.sarif",
	    "report.xml", "report.md" };
	const char *a1[] = { "scan", "-q", "--jobs", "1", "--json", "j1/report.json",
	    "--sarif", "j1/report.sarif", "--junit", "j1/report.xml",
	    "--markdown", "j1/report.md", "gguf/valid", "gguf/hostile",
	    "safetensors/valid", "safetensors/invalid", NULL };
	const char *a8[] = { "scan", "-q", "--jobs", "8", "--json", "j8/report.json",
	    "--sarif", "j8/report.sarif", "--junit", "j8/report.xml",
	    "--markdown", "j8/report.md", "gguf/valid", "gguf/hostile",
	    "safetensors/valid", "safetensors/invalid", NULL };
	const char *fx = tu_env("MG_FIXTURES"), *golden = tu_env("MG_GOLDEN");
	struct tres r1, r8;
	size_t i;

	tu_sh("rm -rf '%s/j1' '%s/j8' && mkdir '%s/j1' '%s/j8'", fx, fx, fx, fx);
	r1 = tu_run(fx, a1);
	r8 = tu_run(fx, a8);
	ck_assert_int_eq(r1.status, 1);
	ck_assert_int_eq(r8.status, 1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p1[4096], p8[4096], pg[4096], *b1, *b8, *bg;
		size_t l1, l8, lg;

		snprintf(p1, sizeof(p1), "%s/j1/%s", fx, names[i]);
		snprintf(p8, sizeof(p8), "%s/j8/%s", fx, names[i]);
		snprintf(pg, sizeof(pg), "%s/scan/%s", golden, names[i]);
		b1 = tu_slurp(p1, &l1);
		b8 = tu_slurp(p8, &l8);
		ck_assert_ptr_nonnull(b1);
		ck_assert_ptr_nonnull(b8);
		ck_assert_msg(l1 == l8 && memcmp(b1, b8, l1) == 0,
		    "%s differs between --jobs 1 and --jobs 8", names[i]);
		if (getenv("UPDATE") != NULL && strcmp(getenv("UPDATE"), "1") == 0)
			tu_sh("mkdir -p '%s/scan' && cp '%s' '%s'", golden, p1, pg);
		bg = tu_slurp(pg, &lg);
		ck_assert_msg(bg != NULL, "missing golden %s (make test UPDATE=1)",
		    pg);
		ck_assert_msg(lg == l1 && memcmp(bg, b1, l1) == 0,
		    "%s differs from the golden file %s (UPDATE=1 regenerates)",
		    p1, pg);
		free(b1);
		free(b8);
		free(bg);
	}
	/* The real consumers' formats: the SARIF schema and the JUnit XSD. */
	{
		char p[4096];

		snprintf(p, sizeof(p), "%s/j1/report.sarif", fx);
		tu_sarif_schema_ok(p);
		snprintf(p, sizeof(p), "%s/j1/report.xml", fx);
		tu_junit_xsd_ok(p);
	}
	tu_free(&r1);
	tu_free(&r8);
}
END_TEST

/*
 * '!' separates an archive from its members in paths and globs; a file on
 * disk with one in its name is not a member: an override for an
 * archive's members and an exclusion of a folder inside archives do not
 * reach it, while the real member still gets its override.
 */
/*
 * "ASAN_OPTIONS=..." for a child run with a library preloaded: a
 * sanitizer build refuses to start unless its runtime comes first, which
 * a preloaded library before libc's does not let it.
 */
static const char *
asan_preload_ok(char *buf, size_t len)
{
	const char *o = getenv("ASAN_OPTIONS");

	snprintf(buf, len, "ASAN_OPTIONS=%s%sverify_asan_link_order=0",
	    o != NULL ? o : "", o != NULL && *o != '\0' ? ":" : "");
	return buf;
}

/*
 * A file that refuses positioned reads (ESPIPE, as a FUSE file opened as
 * a stream does) is read in order instead: the same documents, findings
 * and exit as from a plain file.  A library loaded before libc's makes
 * preadv fail on the files below STREAM_DIR; with STREAM_FULL, pread and
 * lseek too, as a real stream does.  Two pickles need more than reading
 * in order: one hides behind a long text argument (followed with pread
 * to tell it is a pickle), one skips a large bytes argument.
 */
START_TEST(files_refusing_pread_are_read_in_order)
{
	static const char shim[] =
	    "#define _GNU_SOURCE\n#include <dlfcn.h>\n#include <errno.h>\n"
	    "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
	    "#include <sys/types.h>\n#include <sys/uio.h>\n"
	    "#include <unistd.h>\n"
	    "static int streamed(int fd, int full) {\n"
	    "  const char *d = getenv(\"STREAM_DIR\"); char l[64], p[4096];\n"
	    "  ssize_t n;\n"
	    "  if (d == NULL || (full && getenv(\"STREAM_FULL\") == NULL))\n"
	    "    return 0;\n"
	    "  snprintf(l, sizeof(l), \"/proc/self/fd/%d\", fd);\n"
	    "  if ((n = readlink(l, p, sizeof(p) - 1)) <= 0) return 0;\n"
	    "  p[n] = 0; return strncmp(p, d, strlen(d)) == 0; }\n"
	    "#define NEXT(t, f) ((t)dlsym(RTLD_NEXT, f))\n"
	    "typedef ssize_t (*pv_t)(int, const struct iovec *, int, off_t);\n"
	    "typedef ssize_t (*pr_t)(int, void *, size_t, off_t);\n"
	    "typedef off_t (*ls_t)(int, off_t, int);\n"
	    "ssize_t preadv64(int fd, const struct iovec *v, int n, off_t o) {\n"
	    "  if (streamed(fd, 0)) { errno = ESPIPE; return -1; }\n"
	    "  return NEXT(pv_t, \"preadv64\")(fd, v, n, o); }\n"
	    "ssize_t preadv(int fd, const struct iovec *v, int n, off_t o) {\n"
	    "  return preadv64(fd, v, n, o); }\n"
	    "ssize_t pread64(int fd, void *b, size_t n, off_t o) {\n"
	    "  if (streamed(fd, 1)) { errno = ESPIPE; return -1; }\n"
	    "  return NEXT(pr_t, \"pread64\")(fd, b, n, o); }\n"
	    "ssize_t pread(int fd, void *b, size_t n, off_t o) {\n"
	    "  return pread64(fd, b, n, o); }\n"
	    "off_t lseek64(int fd, off_t o, int w) {\n"
	    "  if (streamed(fd, 1)) { errno = ESPIPE; return -1; }\n"
	    "  return NEXT(ls_t, \"lseek64\")(fd, o, w); }\n"
	    "off_t lseek(int fd, off_t o, int w) { return lseek64(fd, o, w); }\n";
	static const char *const fix[] = { "gguf/valid/llama-q8_0.gguf",
	    "safetensors/valid/multi-pt.safetensors" };
	static const char payload[] = "\x80\x02" "cposix\nsystem\nX\x04\x00"
	    "\x00\x00" "true\x85R.";
	static const char npyhdr[] = "\x93NUMPY\x01\x00\x76\x00{'descr': "
	    "'<f4', 'fortran_order': False, 'shape': (2,), }";
	static const unsigned char two[] = { 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40 };
	const char *bom[] = { "bom", "--no-hash", "m", NULL };
	const char *gate[] = { "scan", "-q", "--no-hash", "m", NULL };
	const char *plain[] = { "SOURCE_DATE_EPOCH=1700000000", NULL };
	const char *envp[6];
	char npy[136], *d = tu_tmpdir(), pre[4200], dir[4200], asan[1024];
	struct tres a, b;
	size_t i;
	int full;

	tu_write(d, "shim.c", shim);
	tu_sh("cd '%s' && cc -shared -fPIC shim.c -o shim.so -ldl && mkdir m",
	    d);
	for (i = 0; i < sizeof(fix) / sizeof(fix[0]); i++)
		tu_sh("cp '%s' '%s/m/'", tu_fix(fix[i]), d);
	/* The pickle writers' fixtures are not written yet: these by hand. */
	tu_write_bytes(d, "m/evil.pkl", payload, sizeof(payload) - 1);
	tu_sh("cd '%s/m' && python3 -c \"import struct, sys\n"
	    "open('skip.pkl', 'wb').write(b'\\x80\\x04B' + "
	    "struct.pack('<I', 300000) + bytes(300000) + b'0cposix\\nsystem\\n"
	    "X\\x04\\x00\\x00\\x00true\\x85R.')\n"
	    "open('model.pt', 'wb').write(b\\\"S'\\\" + b'A' * 20000 + "
	    "b\\\"'\\np0\\n0cos\\nsystem\\n(S'echo pwned'\\ntR.\\\")\"", d);
	/* Header padded with spaces to 128 bytes, a newline, two floats. */
	memset(npy, ' ', 128);
	memcpy(npy, npyhdr, sizeof(npyhdr) - 1);
	npy[127] = '\n';
	memcpy(npy + 128, two, sizeof(two));
	tu_write_bytes(d, "m/f4.npy", npy, sizeof(npy));
	snprintf(pre, sizeof(pre), "LD_PRELOAD=%s/shim.so", d);
	snprintf(dir, sizeof(dir), "STREAM_DIR=%s/m/", d);
	for (full = 0; full <= 1; full++) {
		envp[0] = pre;
		envp[1] = dir;
		envp[2] = "SOURCE_DATE_EPOCH=1700000000";
		envp[3] = asan_preload_ok(asan, sizeof(asan));
		envp[4] = full ? "STREAM_FULL=1" : NULL;
		envp[5] = NULL;
		a = tu_run_env(d, bom, plain, NULL);
		b = tu_run_env(d, bom, envp, NULL);
		/* The payloads are high findings: bom says "malformed". */
		ck_assert_msg(a.status == 3, "exit %d: %s", a.status, a.err);
		ck_assert_ptr_nonnull(strstr(a.out, "model.pt"));
		ck_assert_msg(b.status == a.status, "full %d: exit %d, want "
		    "%d: %s", full, b.status, a.status, b.err);
		ck_assert_str_eq(b.out, a.out);
		tu_free(&a);
		tu_free(&b);
		a = tu_run_env(d, gate, plain, NULL);
		b = tu_run_env(d, gate, envp, NULL);
		ck_assert_msg(a.status == 1, "exit %d: %s", a.status, a.err);
		ck_assert_msg(b.status == a.status, "full %d: exit %d, want "
		    "%d: %s", full, b.status, a.status, b.err);
		ck_assert_str_eq(b.out, a.out);
		tu_free(&a);
		tu_free(&b);
	}
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * A directory whose listing fails part way (EIO from readdir, made so by
 * a library loaded before libc's): the repository checks of the file
 * named in it say they saw only part of it, and the scan is incomplete.
 */
START_TEST(directory_read_error_is_said)
{
	static const char shim[] =
	    "#define _GNU_SOURCE\n#include <dirent.h>\n#include <dlfcn.h>\n"
	    "#include <errno.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
	    "#include <string.h>\n#include <unistd.h>\n"
	    "static struct dirent64 *(*real)(DIR *);\n"
	    "struct dirent64 *readdir64(DIR *d) {\n"
	    "  char l[64], p[4096]; const char *f = getenv(\"FAIL_DIR\");\n"
	    "  ssize_t n; struct dirent64 *e;\n"
	    "  if (real == NULL) real = (struct dirent64 *(*)(DIR *))"
	    "dlsym(RTLD_NEXT, \"readdir64\");\n"
	    "  e = real(d);\n"
	    "  snprintf(l, sizeof(l), \"/proc/self/fd/%d\", dirfd(d));\n"
	    "  n = readlink(l, p, sizeof(p) - 1);\n"
	    "  if (n > 0) p[n] = 0;\n"
	    "  if (f != NULL && n > 0 && strcmp(p, f) == 0 && e != NULL &&\n"
	    "      strcmp(e->d_name, \".\") != 0 &&"
	    " strcmp(e->d_name, \"..\") != 0) {\n"
	    "    errno = EIO; return NULL; }\n"
	    "  return e; }\n"
	    "struct dirent *readdir(DIR *d) {"
	    " return (struct dirent *)readdir64(d); }\n"
	    "static int opens;\n"
	    "DIR *opendir(const char *p) {\n"
	    "  const char *f = getenv(\"FAIL_OPENDIR\");\n"
	    "  char r[4096];\n"
	    "  if (f != NULL && realpath(p, r) != NULL &&\n"
	    "      strcmp(r, getenv(\"FAIL_DIR\")) == 0 && ++opens >= atoi(f))"
	    " {\n    errno = EIO; return NULL; }\n"
	    "  return ((DIR *(*)(const char *))dlsym(RTLD_NEXT, "
	    "\"opendir\"))(p); }\n";
	const char *gate[] = { "scan", "--json", "-", "m/m.safetensors",
	    NULL };
	const char *envp[] = { NULL, NULL, NULL, NULL, NULL };
	char *d = tu_tmpdir(), pre[4200], fail[4200], asan[1024];
	struct tres r;

	tu_write(d, "shim.c", shim);
	tu_sh("cd '%s' && cc -shared -fPIC shim.c -o shim.so -ldl && "
	    "mkdir m && cp '%s' m/m.safetensors && touch m/extra.py", d,
	    tu_fix("safetensors/valid/multi-pt.safetensors"));
	r = tu_run(d, gate);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	snprintf(pre, sizeof(pre), "LD_PRELOAD=%s/shim.so", d);
	snprintf(fail, sizeof(fail), "FAIL_DIR=%s/m", d);
	envp[0] = pre;
	envp[1] = fail;
	envp[2] = asan_preload_ok(asan, sizeof(asan));
	r = tu_run_env(d, gate, envp, NULL);
	ck_assert_msg(r.status == 3, "exit %d, want 3: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "could not be read to its end"));
	tu_free(&r);
	/* The walk's listing fails, then the checks cannot open it again. */
	envp[3] = "FAIL_OPENDIR=2";
	r = tu_run_env(d, gate, envp, NULL);
	ck_assert_msg(r.status == 3, "exit %d, want 3: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "could not be listed"));
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

START_TEST(bang_in_a_disk_name_is_no_member)
{
	static const char payload[] = "\x80\x02" "cposix\nsystem\nX\x04\x00"
	    "\x00\x00" "true\x85R.";
	char *d = tu_tmpdir();
	struct tres r;
	cJSON *j;

	tu_sh("mkdir -p '%s/models/x.zip!docs'", d);
	tu_write_bytes(d, "models/vendor.zip!evil.pkl", payload,
	    sizeof(payload) - 1);
	tu_write_bytes(d, "models/x.zip!docs/evil.pkl", payload,
	    sizeof(payload) - 1);
	write_zip1(d, "models/vendor.zip", "evil.pkl", payload,
	    sizeof(payload) - 1);
	r = scan(d, "{\"version\": 1, \"exclude\": [\"**/*.zip!docs/**\"], "
	    "\"overrides\": [{\"paths\": [\"models/vendor.zip!**\"], "
	    "\"fail_on\": \"critical\", \"rules\": {\"PICKLE-UNSAFE\": "
	    "\"high\"}}]}", NULL);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	tu_free(&r);
	j = load_json(d, "report.json");
	{
		const cJSON *a;
		int seen = 0;

		cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "artifacts")) {
			const char *p = cJSON_GetObjectItem(a, "path")->valuestring;
			const char *v = cJSON_GetObjectItem(a,
			    "verdict")->valuestring;

			if (strcmp(p, "models/vendor.zip!evil.pkl") != 0 &&
			    strcmp(p, "models/x.zip!docs/evil.pkl") != 0)
				continue;
			seen++;
			/* The real member passes by its override. */
			if (cJSON_GetObjectItem(a, "file") != NULL)
				ck_assert_str_eq(v, "pass");
			else
				ck_assert_msg(strcmp(v, "fail") == 0, "%s: %s", p,
				    v);
		}
		ck_assert_int_eq(seen, 3);
	}
	cJSON_Delete(j);
	tu_rmrf(d);
	free(d);
}
END_TEST

Suite *
scan_suite(void)
{
	Suite *s = suite_create("scan");
	TCase *tc = tcase_create("scan");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, scan_exit0_benign);
	tcase_add_test(tc, scan_embedded_policy_fixture_sets);
	tcase_add_test(tc, scan_exit2_usage_and_policy);
	tcase_add_test(tc, scan_exit3_incomplete);
	tcase_add_test(tc, scan_exit4_empty);
	tcase_add_test(tc, scan_license_not_spdx_vs_deny);
	tcase_add_test(tc, scan_report_to_stdout_and_symlinked_root);
	tcase_add_test(tc, scan_policy_fields);
	tcase_add_test(tc, scan_fail_on_flag_overrides);
	tcase_add_test(tc, scan_suppressions);
	tcase_add_test(tc, scan_lock_verification);
	tcase_add_test(tc, scan_manifest_verification);
	tcase_add_test(tc, scan_baseline);
	tcase_add_test(tc, scan_lfs_pointer_is_a_finding);
	tcase_add_test(tc, scan_golden_reports_jobs_1_and_8);
	tcase_add_test(tc, hole01_walk_errors_under_include);
	tcase_add_test(tc, hole02_padded_safetensors_recognised);
	tcase_add_test(tc, hole03_stopped_parse_is_incomplete);
	tcase_add_test(tc, hole04_policy_pins_any_root_spelling);
	tcase_add_test(tc, hole05_baseline_fingerprints_content);
	tcase_add_test(tc, hole06_allowlists_check_stored_types);
	tcase_add_test(tc, hole11_unsupported_formats_never_vanish);
	tcase_add_test(tc, suppression_expiry_boundary);
	tcase_add_test(tc, hole05_no_hash_baseline_forgives_nothing);
	tcase_add_test(tc, policy_checks_only_models);
	tcase_add_test(tc, split_shards_inherit_metadata);
	tcase_add_test(tc, report_symlink_is_replaced);
	tcase_add_test(tc, hole11_names_and_polyglots);
	tcase_add_test(tc, gguf_licence_with_nul_is_whole);
	tcase_add_test(tc, lock_pins_unchecked_formats);
	tcase_add_test(tc, claims_text_and_pointers);
	tcase_add_test(tc, bang_in_a_disk_name_is_no_member);
	tcase_add_test(tc, files_refusing_pread_are_read_in_order);
	tcase_add_test(tc, directory_read_error_is_said);
	suite_add_tcase(s, tc);
	return s;
}
