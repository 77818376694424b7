/*
 * test_pickle.c - the pickle analyser, legacy PyTorch, joblib and NumPy
 * parsers, end to end through mg_scan_src() over memory sources.
 *
 * Fixtures are written at test time by fixtures/writers/pickle_fixtures.py
 * with Debian's python3 and the real writers (pickle, numpy.save and
 * savez, joblib.dump plain and compressed, torch.save in both formats,
 * torch.jit.save); hostile ones are hand-made byte strings or real
 * containers with a member swapped.  Containers are judged with the
 * members they yield.  Its
 * expect.tsv says what each must give: benign files are clean below
 * medium and complete, hostile files give a critical finding naming the
 * import, invalid files their named rule.  Every prefix of every fixture
 * gives an incomplete artifact or a high finding, and bit flips never
 * crash.  Nothing here ever unpickles anything.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>
#include <zlib.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "limits.h"
#include "pickle.h"
#include "policy.h"
#include "rd.h"
#include "rules.h"
#include "scan.h"
#include "strset.h"
#include "suites.h"
#include "tscode.h"
#include "text.h"
#include "tutil.h"

static struct mg_scan_ctx ctx;
static char fixdir[4096];

/* Write the fixtures once (the generator is deterministic). */
static void
make_fixtures(void)
{
	const char *golden = getenv("MG_GOLDEN"), *fix = getenv("MG_FIXTURES");
	char cmd[9000], exp[4200];
	struct stat st;

	if (golden == NULL || fix == NULL)
		return;
	snprintf(fixdir, sizeof(fixdir), "%s/pickle", fix);
	snprintf(exp, sizeof(exp), "%s/expect.tsv", fixdir);
	if (stat(exp, &st) == 0)
		return;
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s/../../fixtures/"
	    "writers/pickle_fixtures.py' '%s' >/dev/null", golden, fixdir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_pickle: the fixture writer failed\n");
}

static void
setup(void)
{
	ck_assert_int_eq(mg_scan_ctx_init(&ctx), MG_OK);
}

static void
teardown(void)
{
	mg_scan_ctx_free(&ctx);
}

/* Drop the members a container scan left in the context. */
static void
drop_members(void)
{
	size_t i;

	for (i = 0; i < ctx.nout; i++) {
		mg_artifact_free(ctx.out[i]);
		free(ctx.out[i]);
	}
	ctx.nout = 0;
}

static void
scan_mem(const char *name, const void *p, size_t n, struct mg_artifact *a)
{
	struct mg_scan_opts o;
	struct mg_memsrc m;
	struct mg_src src;
	const char *base = strrchr(name, '/');

	memset(&o, 0, sizeof(o));
	o.hash = (n & 1) == 0;
	mg_artifact_init(a);
	ck_assert_int_eq(mg_artifact_setz(&a->path, name), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a->filename,
	    base != NULL ? base + 1 : name), MG_OK);
	a->size = n;
	mg_src_mem(&src, &m, p, n);
	drop_members();
	mg_scan_src(&ctx, &o, &src, a);
}

/* The artifact and the members it yielded: highest severity, all complete. */
static int
max_sev_all(const struct mg_artifact *a)
{
	int m = mg_artifact_max_sev(a), k;
	size_t i;

	for (i = 0; i < ctx.nout; i++)
		if ((k = mg_artifact_max_sev(ctx.out[i])) > m)
			m = k;
	return m;
}

static int
complete_all(const struct mg_artifact *a)
{
	size_t i;

	for (i = 0; i < ctx.nout; i++)
		if (!ctx.out[i]->complete)
			return 0;
	return a->complete;
}

struct fx {
	char	rel[256];
	char	expect[16];
	char	what[256];
};

/* expect.tsv, or fail the test. */
static struct fx *
load_expect(size_t *n)
{
	char path[4200], line[1024];
	struct fx *v = NULL;
	size_t cap = 0;
	FILE *f;

	*n = 0;
	ck_assert_msg(fixdir[0] != '\0', "MG_FIXTURES is not set");
	snprintf(path, sizeof(path), "%s/expect.tsv", fixdir);
	ck_assert_msg((f = fopen(path, "r")) != NULL, "no %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *t1 = strchr(line, '\t'), *t2, *nl;

		if (t1 == NULL || (t2 = strchr(t1 + 1, '\t')) == NULL)
			continue;
		*t1 = *t2 = '\0';
		if ((nl = strchr(t2 + 1, '\n')) != NULL)
			*nl = '\0';
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			ck_assert_ptr_nonnull(v = realloc(v, cap * sizeof(*v)));
		}
		snprintf(v[*n].rel, sizeof(v[*n].rel), "%.255s", line);
		snprintf(v[*n].expect, sizeof(v[*n].expect), "%.15s", t1 + 1);
		snprintf(v[*n].what, sizeof(v[*n].what), "%.255s", t2 + 1);
		(*n)++;
	}
	fclose(f);
	ck_assert_msg(*n >= 60, "only %zu fixtures were written", *n);
	return v;
}

static unsigned char *
slurp(const char *rel, size_t *n)
{
	char path[4500];
	unsigned char *p;

	snprintf(path, sizeof(path), "%s/%s", fixdir, rel);
	p = (unsigned char *)tu_slurp(path, n);
	ck_assert_msg(p != NULL, "cannot read %s", path);
	return p;
}

static void
dump(const struct mg_artifact *a, char *buf, size_t len)
{
	size_t i, k, o = 0;

	buf[0] = '\0';
	for (k = 0; k <= ctx.nout && o < len; k++) {
		const struct mg_artifact *e = k == 0 ? a : ctx.out[k - 1];

		for (i = 0; i < e->nfindings && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, "[%s %s: %s] ",
			    mg_rule_get(e->findings[i].rule)->id,
			    mg_sev_name(e->findings[i].severity),
			    e->findings[i].message);
	}
}

/* A finding of the rule (or keyed by what) in a or its members. */
static const struct mg_finding *
find_any(const struct mg_artifact *a, const char *what, enum mg_sev min)
{
	size_t i, k;

	for (k = 0; k <= ctx.nout; k++) {
		const struct mg_artifact *e = k == 0 ? a : ctx.out[k - 1];

		for (i = 0; i < e->nfindings; i++) {
			const struct mg_finding *f = &e->findings[i];

			if (f->severity >= min && ((f->key != NULL &&
			    strcmp(f->key, what) == 0) ||
			    strcmp(mg_rule_get(f->rule)->id, what) == 0))
				return f;
		}
	}
	return NULL;
}

/* Every fixture gives what expect.tsv says. */
START_TEST(pickle_fixtures_meet_expectations)
{
	size_t n, i, len;
	struct fx *v = load_expect(&n);
	unsigned nbenign = 0, ncrit = 0, nhigh = 0;
	char msg[4096];

	for (i = 0; i < n; i++) {
		unsigned char *p = slurp(v[i].rel, &len);
		struct mg_artifact a;

		scan_mem(v[i].rel, p, len, &a);
		dump(&a, msg, sizeof(msg));
		ck_assert_msg(strcmp(a.format->name, "unknown") != 0,
		    "%s: not recognised", v[i].rel);
		if (strcmp(v[i].expect, "benign") == 0) {
			nbenign++;
			ck_assert_msg(max_sev_all(&a) < MG_SEV_MED,
			    "%s: %s", v[i].rel, msg);
			ck_assert_msg(complete_all(&a) == 1, "%s incomplete: %s",
			    v[i].rel, msg);
			ck_assert_msg(a.unsupported == 0, "%s unsupported",
			    v[i].rel);
		} else if (strcmp(v[i].expect, "critical") == 0) {
			ncrit++;
			ck_assert_msg(find_any(&a, v[i].what, MG_SEV_CRIT) !=
			    NULL, "%s: no critical finding for %s: %s",
			    v[i].rel, v[i].what, msg);
		} else if (strcmp(v[i].expect, "high") == 0) {
			nhigh++;
			ck_assert_msg(find_any(&a, v[i].what, MG_SEV_HIGH) !=
			    NULL, "%s: no %s: %s", v[i].rel, v[i].what, msg);
		} else {
			ck_assert_msg(find_any(&a, v[i].what, MG_SEV_INFO) !=
			    NULL && max_sev_all(&a) < MG_SEV_CRIT, "%s: %s",
			    v[i].rel, msg);
		}
		mg_artifact_free(&a);
		free(p);
	}
	ck_assert_uint_ge(nbenign, 8);
	ck_assert_uint_ge(ncrit, 30);
	ck_assert_uint_ge(nhigh, 12);
	free(v);
}
END_TEST

/*
 * A prefix that is itself a whole, clean file: only the fixtures that
 * stack pickles have one (at a STOP), and the .npy with 4 extra bytes
 * (without them).
 */
static int
clean_prefix_ok(const char *rel, const unsigned char *p, size_t len,
    size_t full)
{
	if (strstr(rel, "npy-long") != NULL)
		return len == full - 4;
	return len > 0 && p[len - 1] == '.' &&
	    (strstr(rel, "trailing-pickle") != NULL ||
	    strstr(rel, "trailing-junk") != NULL ||
	    strstr(rel, "magic-by-reduce") != NULL);
}

/* Every truncation of every fixture is incomplete or a high finding. */
START_TEST(pickle_truncation_never_passes)
{
	size_t n, i, len, cut, step;
	struct fx *v = load_expect(&n);

	for (i = 0; i < n; i++) {
		unsigned char *p = slurp(v[i].rel, &len);

		step = len > 32768 ? len / 4096 : 1;
		for (cut = 0; cut < len; cut += step) {
			struct mg_artifact a;

			scan_mem(v[i].rel, p, cut, &a);
			if (strcmp(a.format->name, "unknown") != 0)
				ck_assert_msg(complete_all(&a) == 0 ||
				    max_sev_all(&a) >= MG_SEV_HIGH ||
				    clean_prefix_ok(v[i].rel, p, cut, len),
				    "%s cut at %zu passes", v[i].rel, cut);
			mg_artifact_free(&a);
		}
		free(p);
	}
	free(v);
}
END_TEST

/* Flipping bits anywhere never crashes or leaks (run under ASan). */
START_TEST(pickle_bit_flips_never_crash)
{
	size_t n, i, len, off, step;
	struct fx *v = load_expect(&n);

	for (i = 0; i < n; i++) {
		unsigned char *p = slurp(v[i].rel, &len);

		step = len > 32768 ? len / 2048 : 1;
		for (off = 0; off < len; off += step) {
			struct mg_artifact a;
			unsigned char bit = (unsigned char)(1u << (off % 8));

			p[off] ^= bit;
			scan_mem(v[i].rel, p, len, &a);
			mg_artifact_free(&a);
			p[off] ^= bit;
		}
		free(p);
	}
	free(v);
}
END_TEST

START_TEST(pickle_classify_defaults)
{
	static const struct {
		const char *m, *n;
		enum mg_pk_class c;
	} t[] = {
		{ "collections", "OrderedDict", MG_PK_SAFE },
		{ "torch._utils", "_rebuild_tensor_v2", MG_PK_SAFE },
		{ "torch", "FloatStorage", MG_PK_SAFE },
		{ "torch", "bfloat16", MG_PK_SAFE },
		{ "numpy.core.multiarray", "_reconstruct", MG_PK_SAFE },
		{ "numpy", "dtype", MG_PK_SAFE },
		{ "joblib.numpy_pickle", "NumpyArrayWrapper", MG_PK_SAFE },
		{ "sklearn.linear_model._logistic", "LogisticRegression",
		    MG_PK_SAFE },
		{ "__builtin__", "set", MG_PK_SAFE },
		{ "torch.nn.modules.linear", "Linear", MG_PK_SAFE },
		{ "os", "system", MG_PK_UNSAFE },
		{ "posix", "system", MG_PK_UNSAFE },
		{ "nt", "system", MG_PK_UNSAFE },
		{ "os.path", "join", MG_PK_UNSAFE },
		{ "subprocess", "Popen", MG_PK_UNSAFE },
		{ "builtins", "eval", MG_PK_UNSAFE },
		{ "__builtin__", "getattr", MG_PK_UNSAFE },
		{ "builtins", "__import__", MG_PK_UNSAFE },
		{ "asyncio.unix_events", "_UnixSubprocessTransport",
		    MG_PK_UNSAFE },
		{ "torch", "serialization.os.system", MG_PK_UNSAFE },
		{ "json", "decoder.sys.modules", MG_PK_UNSAFE },
		{ "collections", "OrderedDict.__init__.__globals__",
		    MG_PK_UNSAFE },
		{ "operator", "attrgetter", MG_PK_UNSAFE },
		{ "numpy.core", "_ufunc_reconstruct", MG_PK_UNSAFE },
		{ "pickle", "loads", MG_PK_UNSAFE },
		{ "cPickle", "loads", MG_PK_UNSAFE },
		{ "torch", "load", MG_PK_UNSAFE },
		{ "sklearn.datasets", "fetch_openml", MG_PK_UNSAFE },
		/* Code from strings, remote loaders, file writers. */
		{ "typing", "_eval_type", MG_PK_UNSAFE },
		{ "dataclasses", "_create_fn", MG_PK_UNSAFE },
		{ "_xxsubinterpreters", "run_string", MG_PK_UNSAFE },
		{ "torch.utils.model_zoo", "load_url", MG_PK_UNSAFE },
		{ "torch.hub", "load_state_dict_from_url", MG_PK_UNSAFE },
		{ "numpy", "save", MG_PK_UNSAFE },
		{ "numpy.core.memmap", "memmap", MG_PK_UNSAFE },
		{ "joblib", "dump", MG_PK_UNSAFE },
		{ "logging", "basicConfig", MG_PK_UNSAFE },
		{ "zipfile", "ZipFile", MG_PK_UNSAFE },
		/* Re-exports a safe pattern would otherwise cover. */
		{ "sklearn.datasets._covtype", "GzipFile", MG_PK_UNSAFE },
		{ "sklearn.datasets._lfw", "Memory", MG_PK_UNSAFE },
		{ "sklearn.utils._joblib", "Parallel", MG_PK_UNSAFE },
		{ "torch.nn.modules.activation", "F", MG_PK_UNSAFE },
		/* Ordinary values of the standard library and NumPy. */
		{ "datetime", "datetime", MG_PK_SAFE },
		{ "decimal", "Decimal", MG_PK_SAFE },
		{ "numpy.ma.core", "MaskedArray", MG_PK_SAFE },
		/* An attribute chain is unsafe unless listed exactly. */
		{ "sklearn.pipeline", "Pipeline.fit", MG_PK_UNSAFE },
		/* Dangerous names re-exported by harmless modules. */
		{ "random", "_os.system", MG_PK_UNSAFE },
		{ "argparse", "_os.system", MG_PK_UNSAFE },
		{ "enum", "bltns.exec", MG_PK_UNSAFE },
		{ "sklearn.utils._available_if", "MethodType", MG_PK_UNSAFE },
		{ "bz2", "_builtin_open", MG_PK_UNSAFE },
		{ "tarfile", "bltn_open", MG_PK_UNSAFE },
		{ "io", "open_code", MG_PK_UNSAFE },
		{ "pathlib", "Path.write_text", MG_PK_UNSAFE },
		{ "_frozen_importlib_external", "SourceFileLoader",
		    MG_PK_UNSAFE },
		{ "numpy.ctypeslib", "load_library", MG_PK_UNSAFE },
		{ "operator", "call", MG_PK_UNSAFE },
		{ "site", "addpackage", MG_PK_UNSAFE },
		{ "sqlite3", "connect", MG_PK_UNSAFE },
		{ "yaml", "load", MG_PK_UNSAFE },
		/* sklearn's Cython unpickle helpers and private classes. */
		{ "sklearn.neighbors._kd_tree", "newObj", MG_PK_SAFE },
		{ "sklearn._loss._loss", "__pyx_unpickle_CyHalfBinomialLoss",
		    MG_PK_SAFE },
		{ "sklearn.ensemble._hist_gradient_boosting.binning",
		    "_BinMapper", MG_PK_SAFE },
		{ "pathlib", "PosixPath", MG_PK_UNKNOWN },
		{ "__main__", "Net", MG_PK_UNKNOWN },
		{ "builtins", "print", MG_PK_UNKNOWN },
		{ "osx", "thing", MG_PK_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(mg_pickle_classify(NULL, t[i].m, t[i].n) ==
		    t[i].c, "%s.%s", t[i].m, t[i].n);
}
END_TEST

static struct mg_policy *
policy(const char *json)
{
	char *d = tu_tmpdir(), path[4200], err[512];
	struct mg_policy *p = NULL;
	int r;

	tu_write(d, "p.json", json);
	snprintf(path, sizeof(path), "%s/p.json", d);
	r = mg_policy_load(&p, path, err, sizeof(err));
	tu_rmrf(d);
	free(d);
	ck_assert_msg(r == MG_OK, "%s", err);
	return p;
}

static int
count_rule(const struct mg_artifact *a, enum mg_rule_id r, const char *key)
{
	size_t i;
	int n = 0;

	for (i = 0; i < a->nfindings; i++)
		if (a->findings[i].rule == r && (key == NULL ||
		    (a->findings[i].key != NULL &&
		    strcmp(a->findings[i].key, key) == 0)))
			n++;
	return n;
}

/* pickle.allow, pickle.deny and pickle.unknown re-judge the imports. */
START_TEST(pickle_policy_section)
{
	static const char prt[] = "cfunctools\npartial\n(cbuiltins\nprint\n"
	    "S'x'\ntR(cmypkg.models\nNet\n)R.";
	struct mg_policy *p;
	struct mg_scope s;
	struct mg_artifact a;
	char err[256];

	scan_mem("x.pkl", prt, sizeof(prt) - 1, &a);
	ck_assert_int_eq(count_rule(&a, MG_R_PICKLE_UNSAFE,
	    "functools.partial"), 1);
	ck_assert_int_eq(count_rule(&a, MG_R_PICKLE_UNKNOWN, NULL), 2);

	p = policy("{\"version\": 1, \"pickle\": {\"allow\": "
	    "[\"builtins.print\", \"mypkg.*\"], \"deny\": "
	    "[\"collections.OrderedDict\"]}}");
	mg_policy_effective(p, "x.pkl", &s);
	ck_assert_int_eq(mg_pickle_policy_apply(&s.pickle, &a), MG_OK);
	ck_assert_int_eq(count_rule(&a, MG_R_PICKLE_UNKNOWN, NULL), 0);
	/* A policy allow never overrides the built-in unsafe list. */
	ck_assert_int_eq(count_rule(&a, MG_R_PICKLE_UNSAFE,
	    "functools.partial"), 1);
	ck_assert(mg_pickle_classify(&s.pickle, "collections",
	    "OrderedDict") == MG_PK_UNSAFE);
	mg_policy_free(p);

	/* Allowlist-only: every unlisted import is unsafe. */
	p = policy("{\"version\": 1, \"pickle\": {\"unknown\": \"deny\"}, "
	    "\"overrides\": [{\"paths\": [\"ok/**\"], \"pickle\": "
	    "{\"unknown\": \"allow\"}}]}");
	mg_policy_effective(p, "x.pkl", &s);
	ck_assert_int_eq(mg_pickle_policy_apply(&s.pickle, &a), MG_OK);
	ck_assert_int_eq(count_rule(&a, MG_R_PICKLE_UNSAFE, NULL), 3);
	ck_assert_int_eq(count_rule(&a, MG_R_PICKLE_UNSAFE, "mypkg.models.Net"),
	    1);
	mg_policy_effective(p, "ok/x.pkl", &s);
	ck_assert_int_eq(mg_pickle_policy_apply(&s.pickle, &a), MG_OK);
	ck_assert_int_eq(count_rule(&a, MG_R_PICKLE_UNSAFE, NULL), 1);
	ck_assert_int_eq(count_rule(&a, MG_R_PICKLE_UNKNOWN, NULL), 0);
	mg_policy_free(p);
	mg_artifact_free(&a);

	/* A bad value is a policy error. */
	{
		char *d = tu_tmpdir(), path[4200];

		tu_write(d, "p.json", "{\"version\": 1, \"pickle\": "
		    "{\"unknown\": \"maybe\"}}");
		snprintf(path, sizeof(path), "%s/p.json", d);
		p = NULL;
		ck_assert_int_eq(mg_policy_load(&p, path, err, sizeof(err)),
		    MG_ERR_POLICY);
		ck_assert_ptr_nonnull(strstr(err, "maybe"));
		tu_rmrf(d);
		free(d);
	}
}
END_TEST

/*
 * An import whose module is not UTF-8 is listed in the BOM with its bytes
 * escaped: the document stays valid UTF-8 JSON.
 */
START_TEST(pickle_import_bytes_in_bom)
{
	static const unsigned char pk[] = "\x80\x02" "cos\xd4" "x\nsystem\n)R.";
	struct mg_artifact a;
	const cJSON *imps;
	char *txt;

	scan_mem("p1.pkl", (unsigned char *)pk, sizeof(pk) - 1, &a);
	imps = cJSON_GetObjectItem(a.metadata, "pickle_imports");
	ck_assert_int_eq(cJSON_GetArraySize(imps), 1);
	txt = cJSON_PrintUnformatted(imps);
	ck_assert_ptr_nonnull(txt);
	ck_assert_msg(mg_utf8_valid(txt, strlen(txt)), "%s", txt);
	ck_assert_str_eq(txt, "[\"os\\udcd4x.system\"]");
	cJSON_free(txt);
	mg_artifact_free(&a);
}
END_TEST

/* What the BOM learns from a legacy torch file. */
START_TEST(pickle_torch_legacy_bom)
{
	struct mg_artifact a;
	const cJSON *imps;
	unsigned char *p;
	size_t len;

	if (access(tu_fix("pickle/valid/pytorch_model.bin"), R_OK) != 0) {
		fprintf(stderr, "test_pickle: torch is missing; skipped\n");
		return;
	}
	p = slurp("valid/pytorch_model.bin", &len);
	scan_mem("pytorch_model.bin", p, len, &a);
	ck_assert_str_eq(a.format->name, "pytorch");
	ck_assert_int_eq(a.complete, 1);
	ck_assert_uint_eq(a.tensor_count, 3);
	ck_assert_uint_eq(a.parameter_count, 4 + 5 + 3);
	ck_assert_str_eq(a.dtype, "mixed");
	ck_assert_str_eq(a.training_framework, "pytorch");
	imps = cJSON_GetObjectItem(a.metadata, "pickle_imports");
	ck_assert_int_ge(cJSON_GetArraySize(imps), 3);
	ck_assert_int_eq(cJSON_GetObjectItem(a.metadata,
	    "torch_storages")->valueint, 3);
	mg_artifact_free(&a);
	free(p);
}
END_TEST

/* What the BOM learns from zip checkpoints, TorchScript and .npz. */
START_TEST(pickle_containers_bom)
{
	struct mg_artifact a;
	const cJSON *o;
	unsigned char *p;
	size_t len;

	if (access(tu_fix("pickle/valid/zip-pytorch_model.bin"), R_OK) != 0) {
		fprintf(stderr, "test_pickle: torch is missing; skipped\n");
		return;
	}
	p = slurp("valid/zip-pytorch_model.bin", &len);
	scan_mem("pytorch_model.bin", p, len, &a);
	ck_assert_str_eq(a.format->name, "pytorch");
	ck_assert_int_eq(a.complete, 1);
	ck_assert_int_eq(a.unsupported, 0);
	ck_assert_uint_eq(a.tensor_count, 5);
	ck_assert_uint_eq(a.parameter_count, 4 + 5 + 3 + 3 + 4);
	ck_assert_str_eq(a.dtype, "mixed");
	ck_assert_str_eq(a.training_framework, "pytorch");
	o = cJSON_GetObjectItem(a.metadata, "pytorch");
	ck_assert_int_eq(cJSON_GetObjectItem(o, "storages")->valueint, 5);
	/* data.pkl is the only member reported: storages are raw bytes. */
	ck_assert_uint_eq(ctx.nout, 1);
	ck_assert_ptr_nonnull(strstr(ctx.out[0]->path, "/data.pkl"));
	mg_artifact_free(&a);
	free(p);

	p = slurp("valid/torchscript-const.pt", &len);
	scan_mem("m.pt", p, len, &a);
	ck_assert_str_eq(a.format->name, "torchscript");
	ck_assert_int_eq(a.complete, 1);
	o = cJSON_GetObjectItem(a.metadata, "torchscript");
	ck_assert_int_ge(cJSON_GetArraySize(cJSON_GetObjectItem(o,
	    "code_files")), 2);
	ck_assert_int_eq(cJSON_GetObjectItem(o, "storages")->valueint, 3);
	mg_artifact_free(&a);
	free(p);

	p = slurp("valid/arrays.npz", &len);
	scan_mem("a.npz", p, len, &a);
	ck_assert_str_eq(a.format->name, "numpy");
	ck_assert_int_eq(a.complete, 1);
	ck_assert_uint_eq(a.tensor_count, 2);
	ck_assert_uint_eq(a.parameter_count, 16);
	mg_artifact_free(&a);
	free(p);

	p = slurp("valid/compressed-true.joblib", &len);
	scan_mem("m.joblib", p, len, &a);
	ck_assert_str_eq(a.format->name, "compressed");
	ck_assert_int_eq(a.complete, 1);
	ck_assert_uint_eq(ctx.nout, 1);
	ck_assert_str_eq(ctx.out[0]->format->name, "pickle");
	ck_assert_int_eq(ctx.out[0]->complete, 1);
	mg_artifact_free(&a);
	free(p);
	drop_members();
}
END_TEST

/* The TorchScript code scan: unsafe names, never the code's own. */
START_TEST(pickle_tscode_names)
{
	static const struct {
		const char *src;
		unsigned hits;
		const char *key;
	} t[] = {
		{ "def forward(self, x):\n  _0 = getattr(self, \"0\")\n"
		  "  return torch.linear(x, self.weight, self.bias)\n", 0,
		  NULL },
		/* Attributes named like modules are the code's own values. */
		{ "  a = self.code.system(x)\n  b = (_0).eval(x)\n"
		  "  c = x.sys\n", 0, NULL },
		/* Strings and comments are not code. */
		{ "  # os.system('x')\n  s = \"os.system\"\n"
		  "  t = r'''eval(1)\n'''\n", 0, NULL },
		{ "  _0 = os.system(\"true\")\n", 1, "os.system" },
		{ "  _0 = os . popen ( 'x' )\n", 1, "os.popen" },
		{ "import subprocess\n", 1, "subprocess" },
		{ "from builtins import eval as e\n", 1, "builtins.eval" },
		{ "  f = eval(\"1\")\n", 1, "eval" },
		{ "  f = __import__(\"os\")\n", 1, "__import__" },
		{ "  t = torch.from_file(\"/etc/passwd\", False, 4)\n", 1,
		  "torch.from_file" },
		{ "  t = ops.aten.from_file(p)\n", 1, "ops.aten.from_file" },
		{ "  t = builtins.exec(c)\n", 1, "builtins.exec" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mg_artifact a;
		unsigned hits = 0;

		mg_artifact_init(&a);
		ck_assert_int_eq(mg_tscode_scan((const unsigned char *)t[i].src,
		    strlen(t[i].src), "code/x.py", &a, &hits), MG_OK);
		ck_assert_msg(hits == t[i].hits, "case %zu: %u hits", i, hits);
		if (t[i].key != NULL)
			ck_assert_str_eq(a.findings[0].key, t[i].key);
		mg_artifact_free(&a);
	}
}
END_TEST

/* Hand-made streams: every protocol 0 text form and memo trick. */
START_TEST(pickle_forms_resolve)
{
	static const struct {
		const char *b;
		size_t n;
		const char *key;
	} t[] = {
#define T(s, k) { s, sizeof(s) - 1, k }
		/* GET of a memoised name, protocol 0 text PUT/GET. */
		T("S'os'\np0\n0S'system'\np1\n0g0\ng1\n\x93(S'x'\ntR.",
		    "os.system"),
		/* LONG_BINPUT/LONG_BINGET with large indexes. */
		T("\x80\x02X\x02\x00\x00\x00osr\x10\x27\x00\x00" "0"
		  "X\x03\x00\x00\x00popr\x11\x27\x00\x00" "0"
		  "j\x10\x27\x00\x00j\x11\x27\x00\x00\x93.", "os.pop"),
		/* DUP then POP_MARK keep the stack consistent. */
		T("(N2\x31" "cos\nsystem\n.", "os.system"),
		/* FRAME around a STACK_GLOBAL. */
		T("\x80\x04\x95\x0f\x00\x00\x00\x00\x00\x00\x00"
		  "\x8c\x02os\x8c\x06system\x93\x94.", "os.system"),
		/* BUILD through __setstate__ on an unsafe class. */
		T("csubprocess\nPopen\n)\x81}b.", "subprocess.Popen"),
		/* NEWOBJ_EX. */
		T("\x80\x04\x8c\x02os\x8c\x07" "environ\x93)}\x92.",
		    "os.environ"),
#undef T
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mg_artifact a;
		char msg[2048];

		scan_mem("f.pkl", t[i].b, t[i].n, &a);
		dump(&a, msg, sizeof(msg));
		ck_assert_msg(count_rule(&a, MG_R_PICKLE_UNSAFE, t[i].key) == 1,
		    "case %zu: %s", i, msg);
		mg_artifact_free(&a);
	}
}
END_TEST

struct prsrc {
	const unsigned char	*p;
	size_t			 n, off;
};

static ssize_t
pr_read(void *arg, void *buf, size_t n)
{
	struct prsrc *m = arg;

	if (n > m->n - m->off)
		n = m->n - m->off;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static ssize_t
pr_pread(void *arg, void *buf, size_t n, uint64_t off)
{
	struct prsrc *m = arg;

	if (off >= m->n)
		return 0;
	if (n > m->n - off)
		n = (size_t)(m->n - off);
	memcpy(buf, m->p + off, n);
	return (ssize_t)n;
}

/*
 * Raw binary data under a name pickles are saved with is not taken for
 * a pickle because its first bytes read as a long string: the stream is
 * followed past it (pread) and random bytes after it are no pickle.
 * The same start followed by a pickle is one.
 */
START_TEST(pickle_hidden_start_needs_a_pickle_after_it)
{
	static unsigned char buf[20000];
	static const unsigned char ops[] = { 'B', 'T', 'X', 0x8e };
	struct mg_scan_opts o;
	struct mg_artifact a;
	struct prsrc m;
	struct mg_src src;
	uint32_t x = 12345;
	size_t i, k, w, len, claimed = 0;

	memset(&o, 0, sizeof(o));
	for (k = 0; k < 400; k++) {
		for (i = 0; i < sizeof(buf); i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (unsigned char)(x >> 16);
		}
		buf[0] = ops[k % 4];
		w = buf[0] == 0x8e ? 8 : 4;
		len = 600 + (k * 37) % 9000;
		memset(buf + 1, 0, w);
		for (i = 0; i < 4; i++)
			buf[1 + i] = (unsigned char)(len >> (8 * i));
		if (buf[0] == 'X')
			memset(buf + 1 + w, 'a', len);
		if (k % 2 == 1)	/* a pickle right after the string */
			memcpy(buf + 1 + w + len, "0cos\nsystem\n(S'true'\ntR.",
			    sizeof("0cos\nsystem\n(S'true'\ntR.") - 1);
		m.p = buf;
		m.n = 1 + w + len + (k % 2 == 1 ? 28 : 4000);
		m.off = 0;
		memset(&src, 0, sizeof(src));
		src.read = pr_read;
		src.pread = pr_pread;
		src.ctx = &m;
		src.size = m.n;
		mg_artifact_init(&a);
		ck_assert_int_eq(mg_artifact_setz(&a.path, "weights.bin"), MG_OK);
		ck_assert_int_eq(mg_artifact_setz(&a.filename, "weights.bin"),
		    MG_OK);
		drop_members();
		mg_scan_src(&ctx, &o, &src, &a);
		if (k % 2 == 0)
			ck_assert_msg(strcmp(a.format->name, "unknown") == 0,
			    "case %zu taken for %s", k, a.format->name);
		else {
			ck_assert_msg(strcmp(a.format->name, "pickle") == 0,
			    "case %zu: %s", k, a.format->name);
			claimed++;
		}
		mg_artifact_free(&a);
	}
	ck_assert_uint_eq(claimed, 200);
}
END_TEST

/* Text and small binary files are not taken for header-less pickles. */
START_TEST(pickle_probe_leaves_text_alone)
{
	static const struct {
		const char *b;
		size_t n;
	} t[] = {
#define T(s) { s, sizeof(s) - 1 }
		T("0.5,1.2\n3.4,5.6\n"),
		T("(1, 2)\n(3, 4)\n"),
		T("N0.\n"),
		T("S'abc'\n."),
		T("I12x\nccollections\nOrderedDict\n)R."),
		T("\x8c\x03" "abc\x93."),	/* STACK_GLOBAL after one string */
		T("\x95\xff\xff\xff\xff\xff\xff\xff\x7f\x8c\x02os"),
		T("Lorem ipsum dolor sit amet.\n"),
		T("L010\nccollections\nOrderedDict\n)R."),	/* int() refuses */
		T("I 1 2\nccollections\nOrderedDict\n)R."),
#undef T
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct mg_artifact a;

		/* By content alone (a name that says text). */
		scan_mem("data.txt", t[i].b, t[i].n, &a);
		ck_assert_msg(strcmp(a.format->name, "unknown") == 0, "case %zu: %s",
		    i, a.format->name);
		mg_artifact_free(&a);
		/*
		 * Under a name pickles are saved with, followed further with
		 * any line the loaders read: a whole stream with a bad INT or
		 * LONG (cases 4, 8, 9) or that only underflows (case 5) is
		 * analysed as a pickle there; text stays text.
		 */
		scan_mem("data", t[i].b, t[i].n, &a);
		if (strcmp(a.format->name, "pickle") == 0)
			ck_assert_msg(i == 4 || i == 5 || i == 8 || i == 9,
			    "case %zu taken for a pickle", i);
		else
			ck_assert_msg(strcmp(a.format->name, "unknown") == 0,
			    "case %zu: %s", i, a.format->name);
		mg_artifact_free(&a);
	}
}
END_TEST

/* The CLI: scan fails on a payload, passes benign pickles, bom lists. */
START_TEST(pickle_cli_scan_and_bom)
{
	const char *scan_bad[] = { "scan", "--no-hash", "m", NULL };
	const char *bom[] = { "bom", "--no-hash", "m/evil.pkl", NULL };
	const char *fmts[] = { "formats", NULL };
	char *d = tu_tmpdir();
	struct tres r;

	tu_sh("mkdir -p '%s/m' && cp '%s' '%s/m/a.pkl' && cp '%s' "
	    "'%s/m/b.npy'", d, tu_fix("pickle/valid/proto4.pkl"), d,
	    tu_fix("pickle/valid/f4.npy"), d);
	r = tu_run(d, scan_bad);
	ck_assert_msg(r.status == 0, "exit %d: %s%s", r.status, r.out, r.err);
	tu_free(&r);
	tu_sh("cp '%s' '%s/m/evil.pkl'", tu_fix("pickle/hostile/memo-names.pkl"),
	    d);
	r = tu_run(d, scan_bad);
	ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "PICKLE-UNSAFE"));
	tu_free(&r);
	r = tu_run(d, bom);
	ck_assert_ptr_nonnull(strstr(r.out, "\"pickle_imports\""));
	ck_assert_ptr_nonnull(strstr(r.out, "os.system"));
	tu_free(&r);
	/* A dimension past 2^53 is reported as written, not rounded. */
	{
		static const char hdr[] = "{'descr': '<u1', 'fortran_order': "
		    "False, 'shape': (9007199254740993, 0), }";
		const char *big[] = { "bom", "--no-hash", "m/big.npy", NULL };
		char path[4200];
		unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
		    118, 0 };
		FILE *f;
		size_t k;

		snprintf(path, sizeof(path), "%s/m/big.npy", d);
		ck_assert_ptr_nonnull(f = fopen(path, "wb"));
		fwrite(pre, 1, sizeof(pre), f);
		fputs(hdr, f);
		for (k = sizeof(hdr) - 1; k < 117; k++)
			fputc(' ', f);
		fputc('\n', f);
		ck_assert_int_eq(fclose(f), 0);
		r = tu_run(d, big);
		ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.err);
		ck_assert_ptr_nonnull(strstr(r.out, "[9007199254740993, 0]"));
		tu_free(&r);
	}
	r = tu_run(NULL, fmts);
	ck_assert_ptr_nonnull(strstr(r.out, "pickle        checked   .pkl"));
	ck_assert_ptr_nonnull(strstr(r.out, "numpy         checked   .npy"));
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* ---- tables over many names: same answers as a scan of every entry ---- */

struct buf {
	unsigned char	*p;
	size_t		 n, cap;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		ck_assert_ptr_nonnull(b->p = realloc(b->p, b->cap));
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* A string literal's bytes, NULs included. */
#define put_lit(b, lit)	put((b), (lit), sizeof(lit) - 1)

static void
put_le(struct buf *b, uint64_t v, size_t n)
{
	unsigned char x[8];
	size_t i;

	for (i = 0; i < n; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	put(b, x, n);
}

/* BINUNICODE of n bytes. */
static void
put_str(struct buf *b, const char *s, size_t n)
{
	put(b, "X", 1);
	put_le(b, n, 4);
	put(b, s, n);
}

/* BINPERSID ('storage', <memo 0>, key, 'cpu', numel); POP. */
static void
put_persid(struct buf *b, const char *key, size_t kn, unsigned numel)
{
	put(b, "(", 1);
	put_str(b, "storage", 7);
	put(b, "h\0", 2);
	put_str(b, key, kn);
	put_str(b, "cpu", 3);
	put(b, "J", 1);
	put_le(b, numel, 4);
	put(b, "tQ0", 3);
}

/*
 * Storages by persistent id: the first storage of each key counts, a key
 * that holds a NUL is stored up to it (and never found), a key of 64
 * bytes or more is not stored; every distinct one is kept in order.
 */
START_TEST(pickle_many_storages_first_seen)
{
	static const char long_key[] = "0123456789012345678901234567890123456789"
	    "012345678901234567890123";	/* 64 bytes */
	struct buf b = { 0 };
	struct mg_artifact a;
	char key[32];
	unsigned i, n = 3000;

	put_lit(&b, "\x80\x02" "ctorch\nFloatStorage\nq\x00" "0");
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		put_persid(&b, key, strlen(key), i + 1);
	}
	put_persid(&b, "k7", 2, 99999);		/* found: k7's first */
	put_persid(&b, "a\0b", 3, 11);		/* stored as "a" */
	put_persid(&b, "a", 1, 22);		/* found: the one above */
	put_persid(&b, "a\0c", 3, 33);		/* a NUL: stored again */
	put_persid(&b, long_key, 64, 44);	/* too long: not stored */
	put_persid(&b, "", 0, 55);
	put_persid(&b, "", 0, 66);		/* found */
	put(&b, "N.", 2);
	scan_mem("storages.pkl", b.p, b.n, &a);
	ck_assert_uint_eq(a.nstorages, n + 3);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		ck_assert_str_eq(a.storages[i].key, key);
		ck_assert_uint_eq(a.storages[i].numel, i + 1);
	}
	ck_assert_str_eq(a.storages[n].key, "a");
	ck_assert_uint_eq(a.storages[n].numel, 11);
	ck_assert_str_eq(a.storages[n + 1].key, "a");
	ck_assert_uint_eq(a.storages[n + 1].numel, 33);
	ck_assert_str_eq(a.storages[n + 2].key, "");
	ck_assert_uint_eq(a.storages[n + 2].numel, 55);
	mg_artifact_free(&a);
	free(b.p);
}
END_TEST

/*
 * Every distinct import up to MG_MAX_PICKLE_IMPORTS is its own entry, in
 * first-seen order, and every repeat counts on it; the next distinct
 * one is the limit.
 */
START_TEST(pickle_many_imports_counted)
{
	struct buf b = { 0 };
	struct mg_artifact a;
	char line[64];
	unsigned i, n = 4096;
	size_t k;
	int limit = 0;

	put(&b, "\x80\x02", 2);
	for (i = 0; i < 2 * n; i++) {
		unsigned j = i < n ? i : 2 * n - 1 - i;

		snprintf(line, sizeof(line), "cm%u\nf%u\n0", j % 97, j);
		put(&b, line, strlen(line));
	}
	put(&b, "cz\nz\n0N.", 8);
	scan_mem("imports.pkl", b.p, b.n, &a);
	ck_assert_uint_eq(a.nimports, n);
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "m%u", i % 97);
		ck_assert_str_eq(a.imports[i].module, line);
		snprintf(line, sizeof(line), "f%u", i);
		ck_assert_str_eq(a.imports[i].name, line);
		ck_assert_uint_eq(a.imports[i].count, 2);
	}
	for (k = 0; k < a.nfindings; k++)
		limit |= a.findings[k].rule == MG_R_PICKLE_LIMIT;
	ck_assert_int_eq(limit, 1);
	mg_artifact_free(&a);
	free(b.p);
}
END_TEST

/*
 * The cap on values kept holds when blocks of their own have left the
 * count off a chunk boundary: a kept string of 40,000 bytes, then empty
 * dicts (a new value each, 2 bytes of input) until the cap is reached.
 */
START_TEST(pickle_memory_cap_holds)
{
	struct buf b = { 0 };
	struct mg_artifact a;
	unsigned char big[5] = { 'B', 0x40, 0x9c, 0, 0 };	/* 40,000 */
	unsigned char *pad = calloc(1, 40000);
	size_t k, pairs = (size_t)MG_MAX_PICKLE_MEM / 32;
	int limit = 0;

	ck_assert_ptr_nonnull(pad);
	put(&b, "\x80\x04", 2);
	put(&b, big, sizeof(big));
	put(&b, pad, 40000);
	put(&b, "0", 1);
	for (k = 0; k < pairs; k++)
		put(&b, "}0", 2);
	put(&b, "N.", 2);
	scan_mem("cap.pkl", b.p, b.n, &a);
	for (k = 0; k < a.nfindings; k++)
		if (a.findings[k].rule == MG_R_PICKLE_LIMIT &&
		    strstr(a.findings[k].message, "MG_MAX_PICKLE_MEM") != NULL)
			limit = 1;
	ck_assert_msg(limit, "no PICKLE-LIMIT for the kept values");
	ck_assert_int_eq(a.complete, 0);
	mg_artifact_free(&a);
	free(pad);
	free(b.p);
}
END_TEST

/* The stored tensor types as a scan of every entry finds them. */
struct ref_ttype {
	char		 name[16];
	uint64_t	 count, params;
};

START_TEST(ttypes_match_a_linear_scan)
{
	static const char *const names[] = {
		"F32", "F16", "BF16", "Q8_0", "UNKNOWN_1000000",
		"UNKNOWN_100000000", "UNKNOWN_100000001", "ABCDEFGHIJKLMNO",
		"ABCDEFGHIJKLMNOP", "", "I8", "Q4_K",
	};
	struct ref_ttype *ref = NULL;
	struct mg_artifact a;
	size_t nref = 0, i, k, round;
	int major = -1;
	uint32_t x = 12345;

	ck_assert_ptr_nonnull(ref = calloc(20000, sizeof(*ref)));
	for (round = 0; round < 4; round++) {
		size_t adds = round == 0 ? 6 : round == 1 ? 40 : 20000;

		mg_artifact_init(&a);
		nref = 0;
		major = -1;
		for (i = 0; i < adds; i++) {
			char name[40];
			uint64_t params;

			x = x * 1103515245u + 12345u;
			if (round == 3 || (x >> 16) % 3 == 0)
				snprintf(name, sizeof(name), "%s",
				    names[(x >> 8) % 12]);
			else
				snprintf(name, sizeof(name), "T%u",
				    (x >> 4) % (round == 2 ? 30000 : 25));
			params = (x >> 12) % 5;
			ck_assert_int_eq(mg_artifact_add_ttype(&a, name, 1,
			    params, 8000, 0), MG_OK);
			/* The reference: the original scan of every entry. */
			for (k = 0; k < nref; k++)
				if (strcmp(ref[k].name, name) == 0)
					break;
			if (k == nref) {
				snprintf(ref[k].name, sizeof(ref[k].name),
				    "%.15s", name);
				nref++;
			}
			ref[k].count++;
			ref[k].params += params;
			if (major < 0 || ref[k].params > ref[major].params)
				major = (int)k;
		}
		ck_assert_uint_eq(a.nttypes, nref);
		for (k = 0; k < nref; k++) {
			ck_assert_str_eq(a.ttypes[k].name, ref[k].name);
			ck_assert_uint_eq(a.ttypes[k].count, ref[k].count);
			ck_assert_uint_eq(a.ttypes[k].params, ref[k].params);
		}
		ck_assert_int_eq(a.ttype_major, major);
		mg_artifact_free(&a);
		memset(ref, 0, 20000 * sizeof(*ref));
	}
	free(ref);
}
END_TEST

START_TEST(strmap_first_put_wins)
{
	struct mg_strmap *m = mg_strmap_new();
	char k[32];
	size_t v, i;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(mg_strmap_get(m, "", 0, &v), 0);
	for (i = 0; i < 50000; i++) {
		snprintf(k, sizeof(k), "key%zu", i);
		v = i;
		ck_assert_int_eq(mg_strmap_put(m, k, strlen(k), &v), 1);
	}
	for (i = 0; i < 50000; i++) {
		snprintf(k, sizeof(k), "key%zu", i);
		v = 7;
		ck_assert_int_eq(mg_strmap_put(m, k, strlen(k), &v), 0);
		ck_assert_uint_eq(v, i);
		ck_assert_int_eq(mg_strmap_get(m, k, strlen(k), &v), 1);
		ck_assert_uint_eq(v, i);
	}
	v = 3;
	ck_assert_int_eq(mg_strmap_put(m, "a\0b", 3, &v), 1);
	ck_assert_int_eq(mg_strmap_get(m, "a", 1, &v), 0);
	ck_assert_int_eq(mg_strmap_get(m, "a\0b", 3, &v), 1);
	ck_assert_uint_eq(v, 3);
	ck_assert_uint_eq(mg_strmap_count(m), 50001);
	mg_strmap_free(m);
	/* The pair hash: a's length is part of the message. */
	ck_assert(mg_strhash_pair("ab", 2, "c", 1) !=
	    mg_strhash_pair("a", 1, "bc", 2));
	ck_assert(mg_strhash_pair("ab", 2, "c", 1) ==
	    mg_strhash_pair("ab", 2, "c", 1));
}
END_TEST

/*
 * A stored zip of the members (name, bytes) in order.  Streamed, as
 * torch.save writes them: the local headers say nothing of the sizes
 * (flag bit 3) and a data descriptor follows each member's bytes.
 */
static void
zip_stored_as(struct buf *z, const char *const *names,
    const struct buf *data, size_t n, int streamed)
{
	struct buf cd = { 0 };
	size_t i;
	uint64_t off;
	unsigned flags = streamed ? 0x0008 : 0;

	for (i = 0; i < n; i++) {
		size_t nl = strlen(names[i]);
		uint32_t crc = (uint32_t)crc32(0, data[i].p, (uInt)data[i].n);

		off = z->n;
		put(z, "PK\x03\x04\x0a\x00", 6);
		put_le(z, flags, 2);
		put(z, "\x00\x00\x00\x00\x00\x00", 6);
		put_le(z, streamed ? 0 : crc, 4);
		put_le(z, streamed ? 0 : data[i].n, 4);
		put_le(z, streamed ? 0 : data[i].n, 4);
		put_le(z, nl, 2);
		put_le(z, 0, 2);
		put(z, names[i], nl);
		if (data[i].n)
			put(z, data[i].p, data[i].n);
		if (streamed) {
			put(z, "PK\x07\x08", 4);
			put_le(z, crc, 4);
			put_le(z, data[i].n, 4);
			put_le(z, data[i].n, 4);
		}
		put(&cd, "PK\x01\x02\x14\x00\x0a\x00", 8);
		put_le(&cd, flags, 2);
		put(&cd, "\x00\x00\x00\x00\x00\x00", 6);
		put_le(&cd, crc, 4);
		put_le(&cd, data[i].n, 4);
		put_le(&cd, data[i].n, 4);
		put_le(&cd, nl, 2);
		/* Extra and comment lengths, disk, attributes. */
		put(&cd, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
		put_le(&cd, off, 4);
		put(&cd, names[i], nl);
	}
	off = z->n;
	put(z, cd.p, cd.n);
	put(z, "PK\x05\x06\x00\x00\x00\x00", 8);
	put_le(z, n, 2);
	put_le(z, n, 2);
	put_le(z, cd.n, 4);
	put_le(z, off, 4);
	put_le(z, 0, 2);
	free(cd.p);
}

static void
zip_stored(struct buf *z, const char *const *names,
    const struct buf *data, size_t n)
{
	zip_stored_as(z, names, data, n, 0);
}

/*
 * A zip checkpoint with thousands of storages: each is found as its
 * member (the first of a repeated name), one that is missing and one
 * member no storage names are reported.
 */
START_TEST(torch_zip_many_storages)
{
	enum { NST = 3000 };
	const size_t nm = NST + 4;
	const char **names = calloc(nm, sizeof(*names));
	struct buf *data = calloc(nm, sizeof(*data)), pk = { 0 }, z = { 0 };
	struct mg_artifact a;
	const cJSON *o;
	char key[32];
	size_t i, k = 0, missing = 0, unused = 0, bad_size = 0;

	ck_assert_ptr_nonnull(names);
	ck_assert_ptr_nonnull(data);
	put_lit(&pk, "\x80\x02" "ctorch\nFloatStorage\nq\x00" "0]");
	for (i = 0; i < NST; i++) {
		snprintf(key, sizeof(key), "%zu", i);
		put(&pk, "(", 1);
		put_str(&pk, "storage", 7);
		put(&pk, "h\0", 2);
		put_str(&pk, key, strlen(key));
		put_str(&pk, "cpu", 3);
		put(&pk, "K\x01tQa", 5);
	}
	put(&pk, ".", 1);
	names[k] = "archive/data.pkl";
	data[k++] = pk;
	names[k] = "archive/byteorder";
	put(&data[k++], "little", 6);
	/* Storage 5 twice, the first of the right size; 17 is missing. */
	for (i = 0; i < NST; i++) {
		char *nm_i;

		if (i == 17)
			continue;
		ck_assert_int_ge(asprintf(&nm_i, "archive/data/%zu", i), 0);
		names[k] = nm_i;
		put(&data[k++], "\0\0\0\0", 4);
		if (i == 5) {
			ck_assert_int_ge(asprintf(&nm_i, "archive/data/%zu",
			    i), 0);
			names[k] = nm_i;
			put(&data[k++], "\0\0\0\0\0\0\0\0", 8);
		}
	}
	names[k] = "archive/data/extra";
	put(&data[k++], "\0\0\0\0", 4);
	names[k] = "archive/version";
	put(&data[k++], "3\n", 2);
	ck_assert_uint_eq(k, nm);
	zip_stored(&z, names, data, nm);
	scan_mem("model.pt", z.p, z.n, &a);
	ck_assert_str_eq(a.format->name, "pytorch");
	o = cJSON_GetObjectItem(a.metadata, "pytorch");
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(cJSON_GetObjectItem(o, "storages")->valueint, NST);
	/* 4 bytes for each storage found, the first data/5 among them. */
	ck_assert_int_eq(cJSON_GetObjectItem(o, "storage_bytes")->valueint,
	    4 * (NST - 1));
	for (i = 0; i < a.nfindings; i++) {
		const struct mg_finding *f = &a.findings[i];

		if (f->rule == MG_R_TORCH_STORAGE && strstr(f->message,
		    "has no member archive/data/17") != NULL)
			missing++;
		else if (f->rule == MG_R_TORCH_STORAGE)
			bad_size++;
		if (f->rule == MG_R_TORCH_LAYOUT && strstr(f->message,
		    "is not a storage any pickle") != NULL)
			unused++;
	}
	ck_assert_uint_eq(missing, 1);
	ck_assert_uint_eq(bad_size, 0);
	/* data/extra and the second data/5. */
	ck_assert_uint_eq(unused, 2);
	mg_artifact_free(&a);
	drop_members();
	for (i = 0; i < nm; i++) {
		if (i >= 2 && i + 2 < nm)	/* the storages' names */
			free((char *)names[i]);
		free(data[i].p);
	}
	free(names);
	free(data);
	free(z.p);
}
END_TEST

/*
 * A member whose size the zip's local header does not give ends where
 * its bytes end: a pickle longer than the reader's window, read to its
 * STOP, is whole (it was once taken as a second, truncated pickle), and
 * bytes after its STOP are still reported.  Case 0: clean; case 1: junk
 * after the STOP.
 */
START_TEST(streamed_member_ends_where_it_ends)
{
	const char *scan[] = { "scan", "--no-hash", "--json", "-", "m.zip",
	    NULL };
	const char *names[] = { "x.pkl" };
	struct buf pk = { 0 }, z = { 0 };
	char *d = tu_tmpdir();
	struct tres r;
	size_t i;

	/* A list of 200,000 small ints, each APPENDed: 600 KB of opcodes. */
	put_lit(&pk, "\x80\x02]q\x00");
	for (i = 0; i < 200000; i++) {
		unsigned char k[3] = { 'K', (unsigned char)(i & 0x7f), 'a' };

		put(&pk, k, 3);
	}
	put_lit(&pk, ".");
	ck_assert_uint_gt(pk.n, MG_RD_BUFSZ);
	if (_i == 1)
		put_lit(&pk, "junk");
	zip_stored_as(&z, names, &pk, 1, 1);
	tu_write_bytes(d, "m.zip", z.p, z.n);
	r = tu_run(d, scan);
	if (_i == 0) {
		ck_assert_msg(r.status == 0, "exit %d: %s", r.status, r.out);
		ck_assert_ptr_null(strstr(r.out, "PICKLE-TRUNC"));
		ck_assert_ptr_null(strstr(r.out, "PICKLE-TRAIL"));
	} else {
		ck_assert_msg(r.status == 1, "exit %d: %s", r.status, r.out);
		ck_assert_ptr_nonnull(strstr(r.out, "PICKLE-TRAIL"));
		ck_assert_ptr_nonnull(strstr(r.out, "more bytes follow the "
		    "pickle that ends at offset"));
	}
	tu_free(&r);
	free(pk.p);
	free(z.p);
	tu_rmrf(d);
	free(d);
}
END_TEST

Suite *
pickle_suite(void)
{
	Suite *s = suite_create("pickle");
	TCase *tc = tcase_create("pickle");

	tcase_add_unchecked_fixture(tc, make_fixtures, NULL);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, pickle_fixtures_meet_expectations);
	tcase_add_test(tc, pickle_classify_defaults);
	tcase_add_test(tc, pickle_hidden_start_needs_a_pickle_after_it);
	tcase_add_test(tc, pickle_policy_section);
	tcase_add_test(tc, pickle_torch_legacy_bom);
	tcase_add_test(tc, pickle_import_bytes_in_bom);
	tcase_add_test(tc, pickle_containers_bom);
	tcase_add_test(tc, pickle_tscode_names);
	tcase_add_test(tc, pickle_forms_resolve);
	tcase_add_test(tc, pickle_probe_leaves_text_alone);
	tcase_add_test(tc, pickle_cli_scan_and_bom);
	tcase_add_test(tc, pickle_many_storages_first_seen);
	tcase_add_test(tc, pickle_many_imports_counted);
	tcase_add_test(tc, pickle_memory_cap_holds);
	tcase_add_test(tc, ttypes_match_a_linear_scan);
	tcase_add_test(tc, strmap_first_put_wins);
	tcase_add_test(tc, torch_zip_many_storages);
	tcase_add_loop_test(tc, streamed_member_ends_where_it_ends, 0, 2);
	tcase_add_test(tc, pickle_truncation_never_passes);
	tcase_add_test(tc, pickle_bit_flips_never_crash);
	suite_add_tcase(s, tc);
	return s;
}
