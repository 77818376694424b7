/*
 * test_sidecar.c - config.json / tokenizer_config.json beside a model, end
 * to end through the binary, against a licence deny list: a sidecar that
 * JSON readers disagree on, that cannot be parsed, that is over a cap or
 * that is a symlink never lets a denied licence pass; sidecars are read
 * beside the model's display path (the Hugging Face cache layout).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "suites.h"
#include "tutil.h"

#define DENY_GPL "{\"version\":1,\"licenses\":{\"deny\":[\"gpl\",\"agpl\"]}}"
#define MODEL	"models/model.safetensors"

/* d/models/model.safetensors (declares no licence) and, if given, cfg. */
static char *
make_dir(const char *cfg)
{
	char *d = tu_tmpdir();

	tu_sh("mkdir -p '%s/models' && cp '%s' '%s/" MODEL "'", d,
	    tu_fix("safetensors/valid/multi-pt.safetensors"), d);
	if (cfg != NULL) {
		tu_sh("mkdir -p '%s/models'", d);
		tu_write(d, "models/config.json", cfg);
	}
	return d;
}

/* scan -q --json report.json --policy policy.json [flag] models */
static struct tres
scan(const char *dir, const char *policy, const char *flag)
{
	const char *args[10];
	int n = 0;

	tu_write(dir, "policy.json", policy);
	args[n++] = "scan";
	args[n++] = "-q";
	args[n++] = "--json";
	args[n++] = "report.json";
	args[n++] = "--policy";
	args[n++] = "policy.json";
	if (flag != NULL)
		args[n++] = flag;
	args[n++] = "models";
	args[n] = NULL;
	return tu_run(dir, args);
}

static cJSON *
report(const char *dir)
{
	char p[4096], *s;
	cJSON *j;

	snprintf(p, sizeof(p), "%s/report.json", dir);
	s = tu_slurp(p, NULL);
	ck_assert_msg(s != NULL, "%s was not written", p);
	j = cJSON_Parse(s);
	ck_assert_msg(j != NULL, "%s is not JSON", p);
	free(s);
	return j;
}

/*
 * The first finding of rule on path whose message holds `has` (NULL: any),
 * or NULL.
 */
static const cJSON *
finding(const cJSON *rep, const char *path, const char *rule, const char *has)
{
	const cJSON *a, *f;

	cJSON_ArrayForEach(a, cJSON_GetObjectItem(rep, "artifacts")) {
		if (strcmp(cJSON_GetObjectItem(a, "path")->valuestring,
		    path) != 0)
			continue;
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(a, "findings"))
			if (strcmp(cJSON_GetObjectItem(f, "rule")->valuestring,
			    rule) == 0 && (has == NULL || strstr(
			    cJSON_GetObjectItem(f, "message")->valuestring,
			    has) != NULL))
				return f;
	}
	return NULL;
}

/* Exit 1 with a high POLICY-LICENSE on path whose message holds has. */
static void
denied(const char *d, struct tres *r, const char *path, const char *has)
{
	cJSON *j;
	const cJSON *f;

	ck_assert_msg(r->status == 1, "exit %d (want 1): %s", r->status,
	    r->err);
	j = report(d);
	f = finding(j, path, "POLICY-LICENSE", has);
	ck_assert_msg(f != NULL, "no POLICY-LICENSE '%s' on %s", has, path);
	ck_assert_str_eq(cJSON_GetObjectItem(f, "severity")->valuestring,
	    "high");
	cJSON_Delete(j);
}

static void
done(char *d, struct tres *r)
{
	tu_free(r);
	tu_rmrf(d);
	free(d);
}

/* The plain case the others must match. */
START_TEST(sidecar_license_denied)
{
	char *d = make_dir("{\"license\":\"gpl-3.0\"}");
	struct tres r = scan(d, DENY_GPL, NULL);

	denied(d, &r, MODEL, "denied");
	done(d, &r);
}
END_TEST

/*
 * A model named alone: its directory is listed by the walk, which then
 * tells the scanner whether sidecars lie beside it.  However the file is
 * spelt, and beside a second file root (each directory listed by the
 * checks instead), the licence in config.json is found.
 */
START_TEST(sidecar_beside_a_file_root)
{
	static const char *const spell[][3] = {
		{ ".", MODEL, NULL },
		{ ".", "./" MODEL, NULL },
		{ ".", "models//model.safetensors", NULL },
		{ "models", "model.safetensors", NULL },
		{ "models", "./model.safetensors", NULL },
		{ ".", MODEL, "models/config.json" },
	};
	size_t i;

	for (i = 0; i < sizeof(spell) / sizeof(spell[0]); i++) {
		char *d = make_dir("{\"license\":\"gpl-3.0\"}"), cwd[4096];
		const char *args[10];
		struct tres r;
		cJSON *j;
		int n = 0;

		tu_write(d, "policy.json", DENY_GPL);
		snprintf(cwd, sizeof(cwd), "%s/%s", d, spell[i][0]);
		args[n++] = "scan";
		args[n++] = "-q";
		args[n++] = "--json";
		args[n++] = "report.json";
		args[n++] = "--policy";
		args[n++] = strcmp(spell[i][0], ".") == 0 ? "policy.json" :
		    "../policy.json";
		args[n++] = spell[i][1];
		if (spell[i][2] != NULL)
			args[n++] = spell[i][2];
		args[n] = NULL;
		r = tu_run(cwd, args);
		ck_assert_msg(r.status == 1, "%s: exit %d (want 1): %s",
		    spell[i][1], r.status, r.err);
		j = report(cwd);
		ck_assert_msg(finding(j, strchr(spell[i][1], '/') != NULL &&
		    strcmp(spell[i][0], ".") == 0 ? MODEL : "model.safetensors",
		    "POLICY-LICENSE", "denied") != NULL,
		    "%s: the licence beside it was not found", spell[i][1]);
		cJSON_Delete(j);
		done(d, &r);
	}
}
END_TEST

/*
 * A directory that can be entered but not listed: the file named in it
 * is still read, and its sidecars are looked for by name.
 */
START_TEST(sidecar_beside_a_file_root_unlisted)
{
	const char *args[] = { "scan", "-q", "--json", "report.json",
	    "--policy", "policy.json", MODEL, NULL };
	char *d = make_dir("{\"license\":\"gpl-3.0\"}");
	struct tres r;
	cJSON *j;

	tu_write(d, "policy.json", DENY_GPL);
	tu_sh("chmod -R a+rwX '%s' && chmod 711 '%s/models'", d, d);
	r = tu_run_unprivileged(d, args);
	ck_assert_msg(r.status == 1, "exit %d (want 1): %s", r.status, r.err);
	j = report(d);
	ck_assert_msg(finding(j, MODEL, "POLICY-LICENSE", "denied") != NULL,
	    "the licence beside an unlisted file root was not found");
	cJSON_Delete(j);
	tu_sh("chmod -R u+rwX '%s'", d);
	done(d, &r);
}
END_TEST

/*
 * cJSON keeps the first of two equal keys, Python's json (transformers)
 * the last: a licence check must not pick one of them.
 */
START_TEST(sidecar_duplicate_license_key)
{
	static const char *const cfg[] = {
		"{\"license\":\"apache-2.0\",\"license\":\"gpl-3.0\"}",
		"{\"license\":\"gpl-3.0\",\"license\":\"apache-2.0\"}",
		"{\"license\":\"apache-2.0\",\"lic\\u0065nse\":\"gpl-3.0\"}",
		"{\"license\":\"apache-2.0\",\"x\":1,\"license\":\"gpl-3.0\"}",
		/* cJSON's lookups stop at the NUL; Python's keys do not. */
		"{\"license\\u0000x\":\"apache-2.0\",\"license\":\"gpl-3.0\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		char *d = make_dir(cfg[i]);
		struct tres r = scan(d, DENY_GPL, NULL);
		cJSON *j;

		denied(d, &r, MODEL, NULL);
		j = report(d);
		ck_assert_msg(finding(j, MODEL, "SIDECAR-JSON", "license") !=
		    NULL, "%s: the duplicate key is not reported", cfg[i]);
		cJSON_Delete(j);
		done(d, &r);
	}
}
END_TEST

/* tokenizer_config.json supplies the licence when config.json has none. */
START_TEST(sidecar_duplicate_license_key_tokenizer)
{
	char *d = make_dir("{\"model_type\":\"llama\"}");
	struct tres r;

	tu_write(d, "models/tokenizer_config.json",
	    "{\"license\":\"mit\",\"license\":\"agpl-3.0\"}");
	r = scan(d, DENY_GPL, NULL);
	denied(d, &r, MODEL, "could not be determined");
	done(d, &r);
}
END_TEST

/* The same value twice is a finding, but the licence is known. */
START_TEST(sidecar_duplicate_key_same_value)
{
	char *d = make_dir("{\"license\":\"mit\",\"license\":\"mit\"}");
	struct tres r = scan(d, DENY_GPL, NULL);
	cJSON *j;

	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	j = report(d);
	ck_assert(finding(j, MODEL, "SIDECAR-JSON", "license") != NULL);
	ck_assert(finding(j, MODEL, "POLICY-LICENSE", NULL) == NULL);
	cJSON_Delete(j);
	done(d, &r);
}
END_TEST

/*
 * Repeated keys whose values are large objects are compared in linear
 * time: looking each member up by name would take minutes here (just
 * under the value cap).
 */
START_TEST(sidecar_duplicate_key_large_values)
{
	const size_t keys = 240000;
	time_t t0;
	size_t cap = keys * 24 * 2 + 64, n = 0, i, rep;
	char *buf = malloc(cap), *d;
	struct tres r;
	cJSON *j;

	ck_assert(buf != NULL);
	n += (size_t)snprintf(buf + n, cap - n, "{\"license\":\"mit\"");
	for (rep = 0; rep < 2; rep++) {
		n += (size_t)snprintf(buf + n, cap - n, ",\"x\":{");
		for (i = 0; i < keys; i++)
			n += (size_t)snprintf(buf + n, cap - n, "%s\"k%zu\":0",
			    i > 0 ? "," : "", i);
		n += (size_t)snprintf(buf + n, cap - n, "}");
	}
	n += (size_t)snprintf(buf + n, cap - n, "}");
	ck_assert(n < cap);
	d = make_dir(NULL);
	tu_write_bytes(d, "models/config.json", buf, n);
	free(buf);
	t0 = time(NULL);
	r = scan(d, DENY_GPL, NULL);
	ck_assert_msg(time(NULL) - t0 < 60, "took %lld s",
	    (long long)(time(NULL) - t0));
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	j = report(d);
	ck_assert(finding(j, MODEL, "SIDECAR-JSON", "\"x\" appears 2 times;")
	    != NULL);
	cJSON_Delete(j);
	done(d, &r);
}
END_TEST

/* Python reads NaN, Infinity and trailing data cJSON refuses. */
START_TEST(sidecar_unparsable_makes_license_indeterminate)
{
	static const char *const cfg[] = {
		"{\"license\":\"gpl-3.0\",\"torch_dtype\":NaN}",
		"{\"license\":\"gpl-3.0\",\"max\":Infinity}",
		"{\"license\":\"gpl-3.0\"",
		"[\"gpl-3.0\"]",
	};
	size_t i;

	for (i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
		char *d = make_dir(cfg[i]);
		struct tres r = scan(d, DENY_GPL, NULL);
		cJSON *j;

		denied(d, &r, MODEL, "could not be determined");
		j = report(d);
		ck_assert_msg(finding(j, MODEL, "SIDECAR-JSON", NULL) != NULL,
		    "%s: no SIDECAR-JSON", cfg[i]);
		cJSON_Delete(j);
		done(d, &r);
	}
}
END_TEST

/* Without licence rules an unparsable sidecar stays a low finding. */
START_TEST(sidecar_unparsable_no_license_rules)
{
	char *d = make_dir("{\"license\":\"gpl-3.0\",\"torch_dtype\":NaN}");
	struct tres r = scan(d, "{\"version\":1}", NULL);
	cJSON *j;

	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	j = report(d);
	ck_assert(finding(j, MODEL, "SIDECAR-JSON", NULL) != NULL);
	ck_assert(finding(j, MODEL, "POLICY-LICENSE", NULL) == NULL);
	cJSON_Delete(j);
	done(d, &r);
}
END_TEST

/* Over the byte cap (16 MiB) and over the value cap (1M values). */
START_TEST(sidecar_over_caps_makes_license_indeterminate)
{
	static const char lic[] = "{\"license\":\"gpl-3.0\",\"pad\":[";
	size_t big = (16u << 20) + 64, i, n;
	char *d, *buf;
	struct tres r;

	/* Whitespace is valid JSON: only the size is wrong. */
	buf = malloc(big);
	ck_assert(buf != NULL);
	memset(buf, ' ', big);
	memcpy(buf, "{\"license\":\"gpl-3.0\"}", 21);
	d = make_dir(NULL);
	tu_write_bytes(d, "models/config.json", buf, big);
	r = scan(d, DENY_GPL, NULL);
	denied(d, &r, MODEL, "could not be determined");
	done(d, &r);

	n = strlen(lic);
	memcpy(buf, lic, n);
	for (i = 0; i < 1000001; i++) {
		buf[n++] = '0';
		buf[n++] = ',';
	}
	memcpy(buf + n, "0]}", 3);
	n += 3;
	d = make_dir(NULL);
	tu_write_bytes(d, "models/config.json", buf, n);
	r = scan(d, DENY_GPL, NULL);
	denied(d, &r, MODEL, "could not be determined");
	done(d, &r);
	free(buf);
}
END_TEST

/*
 * The Hugging Face cache: snapshots/<rev>/config.json is a link into
 * blobs/.  With --follow-symlinks a link inside the scan root is read.
 */
START_TEST(sidecar_symlink_followed_inside_root)
{
	char *d = make_dir(NULL);
	struct tres r;

	tu_sh("cd '%s/models' && mkdir -p blobs snapshots/rev && "
	    "mv model.safetensors snapshots/rev/ && "
	    "printf '{\"license\":\"gpl-3.0\"}' > blobs/c0ffee && "
	    "ln -s ../../blobs/c0ffee snapshots/rev/config.json", d);
	r = scan(d, DENY_GPL, "--follow-symlinks");
	denied(d, &r, "models/snapshots/rev/model.safetensors", "denied");
	done(d, &r);
}
END_TEST

/*
 * A sidecar link that is not followed (no --follow-symlinks, a target
 * outside the scan root, a dangling link) leaves the licence unknown.
 */
START_TEST(sidecar_symlink_not_followed_indeterminate)
{
	static const char *const how[] = {
		NULL, "--follow-symlinks", "--follow-symlinks"
	};
	size_t i;

	for (i = 0; i < 3; i++) {
		char *d = make_dir(NULL);
		struct tres r;

		tu_write(d, "outside.json", "{\"license\":\"mit\"}");
		tu_write(d, "models/inside.json", "{\"license\":\"mit\"}");
		if (i == 0)
			tu_sh("ln -s inside.json '%s/models/config.json'", d);
		else if (i == 1)
			tu_sh("ln -s ../outside.json '%s/models/config.json'",
			    d);
		else
			tu_sh("ln -s nowhere.json '%s/models/config.json'", d);
		r = scan(d, DENY_GPL, how[i]);
		denied(d, &r, MODEL, "could not be determined");
		done(d, &r);
	}
}
END_TEST

/*
 * A linked model reads the sidecars beside the link (where the walk found
 * it), not beside its target in blobs/.
 */
START_TEST(sidecar_beside_linked_model)
{
	char *d = make_dir(NULL);
	struct tres r;

	tu_sh("cd '%s/models' && mkdir -p blobs snapshots/rev && "
	    "mv model.safetensors blobs/beef && "
	    "ln -s ../../blobs/beef snapshots/rev/model.safetensors && "
	    "printf '{\"license\":\"gpl-3.0\"}' > snapshots/rev/config.json",
	    d);
	r = scan(d, DENY_GPL, "--follow-symlinks");
	denied(d, &r, "models/snapshots/rev/model.safetensors", "denied");
	done(d, &r);
}
END_TEST

/* A benign cache passes an allowlist through its links. */
START_TEST(sidecar_hf_cache_allowlist_passes)
{
	static const char pol[] = "{\"version\":1,\"exclude\":[\"**/blobs/**\"],"
	    "\"licenses\":{\"allow\":[\"apache-2.0\"]}}";
	const char *bom[] = { "bom", "--follow-symlinks", "models", NULL };
	char *d = make_dir(NULL);
	struct tres r, b;
	cJSON *j, *a;

	tu_sh("cd '%s/models' && mkdir -p blobs snapshots/rev refs && "
	    "mv model.safetensors blobs/beef && "
	    "printf '{\"license\":\"apache-2.0\",\"model_type\":\"llama\"}' "
	    "> blobs/c0ffee && echo rev > refs/main && "
	    "ln -s ../../blobs/beef snapshots/rev/model.safetensors && "
	    "ln -s ../../blobs/c0ffee snapshots/rev/config.json", d);
	r = scan(d, pol, "--follow-symlinks");
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	j = report(d);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j,
	    "artifacts")), 1);
	ck_assert(finding(j, "models/snapshots/rev/model.safetensors",
	    "SIDECAR-JSON", NULL) == NULL);
	cJSON_Delete(j);

	b = tu_run(d, bom);
	ck_assert_msg(b.status == 0, "bom exit %d: %s", b.status, b.err);
	j = cJSON_Parse(b.out);
	ck_assert(j != NULL);
	a = NULL;
	cJSON_ArrayForEach(a, j)
		if (strstr(cJSON_GetObjectItem(a, "model_path")->valuestring,
		    "snapshots/rev/model.safetensors") != NULL)
			break;
	ck_assert(a != NULL);
	ck_assert_str_eq(cJSON_GetObjectItem(a, "license")->valuestring,
	    "apache-2.0");
	ck_assert_str_eq(cJSON_GetObjectItem(a, "architecture")->valuestring,
	    "llama");
	cJSON_Delete(j);
	tu_free(&b);
	done(d, &r);
}
END_TEST

/* A licence the model declares itself is not overridden or doubted. */
START_TEST(sidecar_model_license_wins)
{
	char *d = tu_tmpdir();
	struct tres r;
	cJSON *j;

	tu_sh("mkdir -p '%s/models' && cp '%s' '%s/models/'", d,
	    tu_fix("gguf/valid/llama-q8_0.gguf"), d);
	tu_write(d, "models/config.json", "{\"license\":\"gpl-3.0\",\"x\":NaN}");
	r = scan(d, DENY_GPL, NULL);
	ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
	j = report(d);
	ck_assert(finding(j, "models/llama-q8_0.gguf", "POLICY-LICENSE",
	    NULL) == NULL);
	cJSON_Delete(j);
	done(d, &r);
}
END_TEST

/* A sidecar of bytes bytes that names model_type mt and licence mit. */
static char *
big_config(const char *mt, size_t bytes, size_t *n)
{
	char *buf = malloc(bytes + 128);
	size_t k;

	ck_assert(buf != NULL);
	k = (size_t)snprintf(buf, 128, "{\"model_type\":\"%s\",\"license\":"
	    "\"mit\",\"pad\":\"", mt);
	memset(buf + k, 'a', bytes);
	k += bytes;
	k += (size_t)snprintf(buf + k, 8, "\"}");
	*n = k;
	return buf;
}

/* bom entries whose model_path holds has and whose field is want. */
static size_t
bom_count(const cJSON *doc, const char *field, const char *want,
    const char *has)
{
	const cJSON *e, *v;
	size_t n = 0;

	cJSON_ArrayForEach(e, doc) {
		if (strstr(cJSON_GetObjectItem(e, "model_path")->valuestring,
		    has) == NULL)
			continue;
		v = cJSON_GetObjectItem(e, field);
		if (cJSON_IsString(v) && strcmp(v->valuestring, want) == 0)
			n++;
	}
	return n;
}

#define BIG_SIDE	(256u << 10)
#define BIG_MODELS	40

/*
 * The walk meets a directory again after each subdirectory: a big
 * config.json beside many models, each with a subdirectory of its own
 * after it, still gives each model the parent's facts, and each model
 * in a subdirectory its own.
 */
START_TEST(sidecar_parent_across_subdirectories)
{
	const char *bom[] = { "bom", "-j", "1", "models", NULL };
	char *d = tu_tmpdir(), *buf, name[64], path[4096];
	size_t n, i;
	struct tres r;
	cJSON *j;

	tu_sh("mkdir -p '%s/models'", d);
	buf = big_config("parent", BIG_SIDE, &n);
	tu_write_bytes(d, "models/config.json", buf, n);
	free(buf);
	for (i = 0; i < BIG_MODELS; i++) {
		snprintf(name, sizeof(name), "models/a%04zu.pkl", i);
		tu_write_bytes(d, name, "\x80\x02K\x01.", 5);
		snprintf(path, sizeof(path), "%s/models/a%04zux", d, i);
		ck_assert_int_eq(mkdir(path, 0700), 0);
		snprintf(name, sizeof(name), "models/a%04zux/config.json", i);
		tu_write(d, name, "{\"model_type\":\"child\"}");
		snprintf(name, sizeof(name), "models/a%04zux/m.pkl", i);
		tu_write_bytes(d, name, "\x80\x02K\x01.", 5);
	}
	r = tu_run(d, bom);
	ck_assert_msg(r.status == 0, "bom exit %d: %s", r.status, r.err);
	j = cJSON_Parse(r.out);
	ck_assert(cJSON_IsArray(j));
	ck_assert_int_eq(cJSON_GetArraySize(j), 2 * BIG_MODELS);
	ck_assert_uint_eq(bom_count(j, "architecture", "parent", ".pkl"),
	    BIG_MODELS);
	ck_assert_uint_eq(bom_count(j, "license", "mit", ".pkl"), BIG_MODELS);
	ck_assert_uint_eq(bom_count(j, "architecture", "child", "x/m.pkl"),
	    BIG_MODELS);
	cJSON_Delete(j);
	done(d, &r);
}
END_TEST

#define ARC_DIRS	400

/* Append a ustar member name holding p[0..n) to f. */
static void
tar_add(FILE *f, const char *name, const void *p, size_t n)
{
	static const char zero[512];
	unsigned char h[512];
	unsigned sum = 0;
	size_t i;

	memset(h, 0, sizeof(h));
	ck_assert(strlen(name) < 100);
	memcpy(h, name, strlen(name));
	memcpy(h + 100, "0000644", 7);
	memcpy(h + 108, "0000000", 7);
	memcpy(h + 116, "0000000", 7);
	snprintf((char *)h + 124, 12, "%011zo", n);
	memcpy(h + 136, "00000000000", 11);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < sizeof(h); i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	ck_assert_uint_eq(fwrite(h, 1, sizeof(h), f), sizeof(h));
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	if (n % 512 != 0)
		ck_assert_uint_eq(fwrite(zero, 1, 512 - n % 512, f),
		    512 - n % 512);
}

/*
 * Archive members: a big config.json beside many models is parsed once
 * for all of them, and many directories each with their own sidecars are
 * matched by directory: each model gets its own directory's facts.  A
 * repeated sidecar still makes its directory's unusable.
 */
START_TEST(sidecar_archive_members_by_directory)
{
	static const char zero[1024];
	const char *bom[] = { "bom", "-j", "1", "m.tar", NULL };
	char *d = tu_tmpdir(), *buf, name[64], text[64], path[4096];
	size_t n, i;
	struct tres r;
	cJSON *j, *e;
	FILE *f;

	snprintf(path, sizeof(path), "%s/m.tar", d);
	ck_assert((f = fopen(path, "wb")) != NULL);
	buf = big_config("parent", BIG_SIDE, &n);
	tar_add(f, "big/config.json", buf, n);
	free(buf);
	for (i = 0; i < BIG_MODELS; i++) {
		snprintf(name, sizeof(name), "big/m%04zu.pkl", i);
		tar_add(f, name, "\x80\x02K\x01.", 5);
	}
	for (i = 0; i < ARC_DIRS; i++) {
		snprintf(name, sizeof(name), "e%05zu/config.json", i);
		snprintf(text, sizeof(text), "{\"model_type\":\"e%05zu\"}", i);
		tar_add(f, name, text, strlen(text));
		snprintf(name, sizeof(name), "e%05zu/m.pkl", i);
		tar_add(f, name, "\x80\x02K\x01.", 5);
	}
	/* The second dup/config.json comes after the model. */
	tar_add(f, "dup/config.json", "{\"model_type\":\"one\"}", 20);
	tar_add(f, "dup/m.pkl", "\x80\x02K\x01.", 5);
	tar_add(f, "dup/config.json", "{\"model_type\":\"two\"}", 20);
	ck_assert_uint_eq(fwrite(zero, 1, sizeof(zero), f), sizeof(zero));
	ck_assert_int_eq(fclose(f), 0);
	r = tu_run(d, bom);
	/* 3: the archive repeats a member name. */
	ck_assert_msg(r.status == 3 && strstr(r.err, " 1 of ") != NULL,
	    "bom exit %d: %s", r.status, r.err);
	j = cJSON_Parse(r.out);
	ck_assert(cJSON_IsArray(j));
	/* The models and the archive itself. */
	ck_assert_int_eq(cJSON_GetArraySize(j), BIG_MODELS + ARC_DIRS + 2);
	ck_assert_uint_eq(bom_count(j, "architecture", "parent", "!big/"),
	    BIG_MODELS);
	ck_assert_uint_eq(bom_count(j, "license", "mit", "!big/"),
	    BIG_MODELS);
	n = 0;
	cJSON_ArrayForEach(e, j) {
		const char *p = cJSON_GetObjectItem(e, "model_path")->
		    valuestring, *at = strstr(p, "!e");
		const cJSON *a = cJSON_GetObjectItem(e, "architecture");

		if (strstr(p, "!dup/") != NULL) {
			char *txt = cJSON_PrintUnformatted(e);

			ck_assert_msg(cJSON_IsNull(a), "dup/m.pkl got a sidecar");
			ck_assert_msg(strstr(txt, "config.json: appears more "
			    "than once in the archive") != NULL,
			    "dup/m.pkl lacks the repeat finding: %s", txt);
			free(txt);
			continue;
		}
		if (at == NULL)
			continue;
		ck_assert(cJSON_IsString(a));
		ck_assert_msg(strncmp(a->valuestring, at + 1, 6) == 0,
		    "%s: architecture %s", p, a->valuestring);
		n++;
	}
	ck_assert_uint_eq(n, ARC_DIRS);
	cJSON_Delete(j);
	done(d, &r);
}
END_TEST

Suite *
sidecar_suite(void)
{
	Suite *s = suite_create("sidecar");
	TCase *tc = tcase_create("sidecar");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, sidecar_license_denied);
	tcase_add_test(tc, sidecar_beside_a_file_root);
	tcase_add_test(tc, sidecar_beside_a_file_root_unlisted);
	tcase_add_test(tc, sidecar_duplicate_license_key);
	tcase_add_test(tc, sidecar_duplicate_license_key_tokenizer);
	tcase_add_test(tc, sidecar_duplicate_key_same_value);
	tcase_add_test(tc, sidecar_duplicate_key_large_values);
	tcase_add_test(tc, sidecar_unparsable_makes_license_indeterminate);
	tcase_add_test(tc, sidecar_unparsable_no_license_rules);
	tcase_add_test(tc, sidecar_over_caps_makes_license_indeterminate);
	tcase_add_test(tc, sidecar_symlink_followed_inside_root);
	tcase_add_test(tc, sidecar_symlink_not_followed_indeterminate);
	tcase_add_test(tc, sidecar_beside_linked_model);
	tcase_add_test(tc, sidecar_hf_cache_allowlist_passes);
	tcase_add_test(tc, sidecar_model_license_wins);
	tcase_add_test(tc, sidecar_parent_across_subdirectories);
	tcase_add_test(tc, sidecar_archive_members_by_directory);
	suite_add_tcase(s, tc);
	return s;
}
