/*
 * test_parity.c - `modelgate bom` agrees with l-bom, the tool it replaces.
 *
 * tests/golden/lbom/MANIFEST names fixtures and the golden files that hold
 * l-bom's JSON for them (captured by ci/lbom-golden.sh, without the fields
 * that change per run: generated_at, tool_name, tool_version, model_path).
 * For each, the binary scans the same fixture and must match l-bom on the
 * fields both compute and on every metadata key l-bom has: strings byte
 * for byte, numbers as doubles, and integers of 16 or more digits exactly
 * as written.  modelgate may add metadata keys of its own at the top level.
 *
 * Where l-bom is wrong, the test holds modelgate to the right value
 * instead (exceptions[] below): l-bom's general.file_type labels are
 * shifted from 6 on (llama.cpp's enum llama_ftype says 7 is Q8_0 and 15
 * Q4_K_M), it has no name for newer ggml tensor types, and it reads the
 * licence and base model only from sidecars, never from the GGUF itself.
 *
 * Fixtures: MG_FIXTURES; the parity/ tree is generated into a temporary
 * directory by mg_gen_parity() when MG_FIXTURES lacks it.  The generators
 * are deterministic, so sizes and digests match the goldens.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "gen_parity.h"
#include "suites.h"

/* A field where modelgate is right and l-bom is not. */
struct exception {
	const char	*golden;
	const char	*field;
	const char	*want;		/* modelgate's value; NULL: null */
};

static const struct exception exceptions[] = {
	{ "gguf-llama-q8_0", "quantization", "Q8_0" },
	{ "gguf-llama-q8_0", "license", "apache-2.0" },
	{ "gguf-llama-q8_0-be", "quantization", "Q8_0" },
	{ "gguf-llama-q8_0-be", "license", "apache-2.0" },
	{ "gguf-llama-q4_k_m", "quantization", "Q4_K_M" },
	{ "gguf-llama-q4_k_m", "license", "mit" },
	/* 6 was removed from llama_ftype: the dominant tensor type. */
	{ "gguf-parity-ftype-6", "quantization", "Q4_K" },
	{ "gguf-parity-ftype-7", "quantization", "Q8_0" },
	{ "gguf-parity-ftype-8", "quantization", "Q5_0" },
	{ "gguf-parity-ftype-9", "quantization", "Q5_1" },
	{ "gguf-parity-ftype-10", "quantization", "Q2_K" },
	{ "gguf-parity-ftype-12", "quantization", "Q3_K_M" },
	{ "gguf-parity-ftype-15", "quantization", "Q4_K_M" },
	{ "gguf-parity-ftype-17", "quantization", "Q5_K_M" },
	{ "gguf-parity-ftype-18", "quantization", "Q6_K" },
	{ "gguf-parity-ftype-21", "quantization", "Q2_K_S" },
	/* l-bom calls 30 "F64" and so reports a dtype. */
	{ "gguf-parity-ftype-30", "quantization", "IQ4_XS" },
	{ "gguf-parity-ftype-30", "dtype", NULL },
	{ "gguf-parity-mxfp4", "quantization", "MXFP4" },
	{ "gguf-parity-licensed-model-q8_0", "quantization", "Q8_0" },
	{ "gguf-parity-licensed-model-q8_0", "license", "llama3.1" },
	{ "gguf-parity-licensed-model-q8_0", "base_model",
	    "https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct" },
};

/* l-bom's names for ggml tensor types it does not know, and ggml's. */
static const struct {
	const char	*lbom, *ggml;
} renames[] = {
	{ "UNKNOWN_39", "MXFP4" },
};

static const char *const fields[] = {
	"sbom_version", "model_filename", "file_size_bytes", "sha256",
	"format", "architecture", "parameter_count", "quantization", "dtype",
	"context_length", "vocab_size", "license", "base_model",
	"training_framework",
};

static char parity_root[4096];
static char tmp_root[64];

static const char *
env(const char *k)
{
	const char *v = getenv(k);

	ck_assert_msg(v != NULL, "%s is not set (run through make test)", k);
	return v;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (f == NULL)
		return NULL;
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(fseek(f, 0, SEEK_SET), 0);
	b = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	return b;
}

/* `modelgate bom --format json path`; its stdout, or NULL. */
static char *
run_bom(const char *path, int *status)
{
	char outp[] = "/tmp/mgparityXXXXXX";
	int fo = mkstemp(outp), st;
	char *out;
	pid_t pid;

	ck_assert_int_ge(fo, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int dn = open("/dev/null", O_WRONLY);

		dup2(fo, 1);
		if (dn >= 0)
			dup2(dn, 2);
		execl(env("MG_BIN"), env("MG_BIN"), "bom", "--format", "json",
		    path, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	close(fo);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	out = slurp(outp);
	unlink(outp);
	return out;
}

static void
setup(void)
{
	struct stat st;

	snprintf(parity_root, sizeof(parity_root), "%s", env("MG_FIXTURES"));
	{
		char p[4200];

		snprintf(p, sizeof(p), "%s/parity", parity_root);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			return;
	}
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/mgparityfxXXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp_root));
	mg_gen_parity(tmp_root);
	snprintf(parity_root, sizeof(parity_root), "%s", tmp_root);
}

static void
teardown(void)
{
	char cmd[128];

	if (tmp_root[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp_root);
		if (system(cmd) != 0)
			fprintf(stderr, "test_parity: cannot remove %s\n",
			    tmp_root);
		tmp_root[0] = '\0';
	}
}

static const struct exception *
exception_for(const char *golden, const char *field)
{
	size_t i;

	for (i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]); i++)
		if (strcmp(exceptions[i].golden, golden) == 0 &&
		    strcmp(exceptions[i].field, field) == 0)
			return &exceptions[i];
	return NULL;
}

static const char *
rename_key(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof(renames) / sizeof(renames[0]); i++)
		if (strcmp(renames[i].lbom, k) == 0)
			return renames[i].ggml;
	return k;
}

/*
 * 1 when m (modelgate) equals l (l-bom); *why says where it differs.
 * Objects below the top level must have the same keys in the same order.
 */
static int
same(const cJSON *l, const cJSON *m, int top, char *why, size_t wn,
    const char *path)
{
	const cJSON *c, *d;
	char sub[512];

	if (m == NULL) {
		snprintf(why, wn, "%s: missing", path);
		return 0;
	}
	if ((l->type & 0xff) != (m->type & 0xff)) {
		snprintf(why, wn, "%s: type %d vs %d", path, l->type & 0xff,
		    m->type & 0xff);
		return 0;
	}
	if (cJSON_IsString(l)) {
		if (strcmp(l->valuestring, m->valuestring) == 0)
			return 1;
		snprintf(why, wn, "%s: \"%.80s\" vs \"%.80s\"", path,
		    l->valuestring, m->valuestring);
		return 0;
	}
	if (cJSON_IsNumber(l)) {
		if (l->valuedouble == m->valuedouble)
			return 1;
		snprintf(why, wn, "%s: %.17g vs %.17g", path, l->valuedouble,
		    m->valuedouble);
		return 0;
	}
	if (cJSON_IsArray(l)) {
		int i, n = cJSON_GetArraySize(l);

		if (n != cJSON_GetArraySize(m)) {
			snprintf(why, wn, "%s: %d vs %d elements", path, n,
			    cJSON_GetArraySize(m));
			return 0;
		}
		for (i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%.400s[%d]", path, i);
			if (!same(cJSON_GetArrayItem(l, i),
			    cJSON_GetArrayItem(m, i), 0, why, wn, sub))
				return 0;
		}
		return 1;
	}
	if (cJSON_IsObject(l)) {
		d = m->child;
		for (c = l->child; c != NULL; c = c->next) {
			const char *k = rename_key(c->string);

			snprintf(sub, sizeof(sub), "%.400s.%.100s", path, k);
			if (top)
				d = cJSON_GetObjectItemCaseSensitive(m, k);
			else if (d == NULL || strcmp(d->string, k) != 0) {
				snprintf(why, wn, "%s: not the next key", sub);
				return 0;
			}
			if (!same(c, d, 0, why, wn, sub))
				return 0;
			if (!top)
				d = d->next;
		}
		if (!top && d != NULL) {
			snprintf(why, wn, "%s: extra key %.100s", path,
			    d->string);
			return 0;
		}
		return 1;
	}
	return 1;	/* null, true, false: the type said it all */
}

/*
 * The next integer of 16 or more digits outside strings in *pp, copied
 * to tok; 0 at the end of the text.
 */
static int
next_big_int(const char **pp, char *tok, size_t tn)
{
	const char *p = *pp;
	size_t n;

	while (*p != '\0') {
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '"')
				p++;
			continue;
		}
		if (*p != '-' && (*p < '0' || *p > '9')) {
			p++;
			continue;
		}
		n = 0;
		while (*p == '-' || *p == '.' || *p == 'e' || *p == 'E' ||
		    *p == '+' || (*p >= '0' && *p <= '9')) {
			if (n < tn - 1)
				tok[n++] = *p;
			p++;
		}
		tok[n] = '\0';
		if (n >= 16 && strpbrk(tok, ".eE") == NULL) {
			*pp = p;
			return 1;
		}
	}
	*pp = p;
	return 0;
}

/*
 * Doubles cannot hold integers past 2^53, so those are compared as text:
 * the integers of 16 or more digits must come in the same order with the
 * same digits in both documents.
 */
static void
big_ints_exact(const char *golden, const char *out, const char *name)
{
	const char *g = golden, *o = out;
	char tg[64], to[64];
	int more;

	while ((more = next_big_int(&g, tg, sizeof(tg))) != 0) {
		ck_assert_msg(next_big_int(&o, to, sizeof(to)),
		    "%s: integer %s missing", name, tg);
		ck_assert_msg(strcmp(tg, to) == 0, "%s: integer %s vs %s",
		    name, tg, to);
	}
	ck_assert_msg(!next_big_int(&o, to, sizeof(to)),
	    "%s: extra integer %s", name, to);
}

static void
check_one(const char *name, const char *rel)
{
	char gpath[4200], fpath[4900], why[600];
	const cJSON *lm, *mm;
	char *gtext, *out;
	cJSON *l, *m;
	size_t i;
	int status;

	snprintf(gpath, sizeof(gpath), "%s/lbom/%s.json", env("MG_GOLDEN"),
	    name);
	snprintf(fpath, sizeof(fpath), "%s/%s",
	    strncmp(rel, "parity/", 7) == 0 ? parity_root :
	    env("MG_FIXTURES"), rel);
	gtext = slurp(gpath);
	ck_assert_msg(gtext != NULL, "%s: no golden file", gpath);
	out = run_bom(fpath, &status);
	ck_assert_msg(out != NULL && status != 127, "%s: cannot run", name);
	l = cJSON_Parse(gtext);
	m = cJSON_Parse(out);
	ck_assert_msg(cJSON_IsObject(l), "%s: golden is not an object", name);
	ck_assert_msg(cJSON_IsObject(m), "%s: output is not an object (exit "
	    "%d)", name, status);

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct exception *e = exception_for(name, fields[i]);
		const cJSON *lv = cJSON_GetObjectItemCaseSensitive(l, fields[i]);
		const cJSON *mv = cJSON_GetObjectItemCaseSensitive(m, fields[i]);

		ck_assert_msg(mv != NULL, "%s: no %s", name, fields[i]);
		if (e == NULL) {
			ck_assert_msg(lv != NULL, "%s: golden lacks %s", name,
			    fields[i]);
			ck_assert_msg(same(lv, mv, 0, why, sizeof(why),
			    fields[i]), "%s: %s", name, why);
		} else if (e->want == NULL)
			ck_assert_msg(cJSON_IsNull(mv), "%s: %s is not null",
			    name, fields[i]);
		else
			ck_assert_msg(cJSON_IsString(mv) &&
			    strcmp(mv->valuestring, e->want) == 0,
			    "%s: %s is not %s", name, fields[i], e->want);
	}
	lm = cJSON_GetObjectItemCaseSensitive(l, "metadata");
	mm = cJSON_GetObjectItemCaseSensitive(m, "metadata");
	ck_assert_msg(cJSON_IsObject(lm) && cJSON_IsObject(mm),
	    "%s: metadata", name);
	ck_assert_msg(same(lm, mm, 1, why, sizeof(why), "metadata"),
	    "%s: %s", name, why);
	big_ints_exact(gtext, out, name);

	cJSON_Delete(l);
	cJSON_Delete(m);
	free(gtext);
	free(out);
}

START_TEST(parity_goldens)
{
	char mpath[4200], line[1024], name[256], rel[768];
	FILE *f;
	int n = 0;

	snprintf(mpath, sizeof(mpath), "%s/lbom/MANIFEST", env("MG_GOLDEN"));
	f = fopen(mpath, "r");
	ck_assert_msg(f != NULL, "%s: cannot open", mpath);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' ||
		    sscanf(line, "%255s %767s", name, rel) != 2)
			continue;
		check_one(name, rel);
		n++;
	}
	fclose(f);
	ck_assert_int_ge(n, 40);
}
END_TEST

/* Every exception names a golden that exists: no stale entries. */
START_TEST(parity_exceptions_listed)
{
	char p[4200];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]); i++) {
		snprintf(p, sizeof(p), "%s/lbom/%s.json", env("MG_GOLDEN"),
		    exceptions[i].golden);
		ck_assert_msg(stat(p, &st) == 0, "%s: no golden file", p);
	}
}
END_TEST

Suite *
parity_suite(void)
{
	Suite *s = suite_create("parity");
	TCase *tc = tcase_create("parity");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, parity_goldens);
	tcase_add_test(tc, parity_exceptions_listed);
	suite_add_tcase(s, tc);
	return s;
}
