/*
 * test_policy.c - the policy loader, path globs and SPDX normalisation.
 *
 * Policies come from fixtures/policies/ (found beside MG_GOLDEN, else from
 * the working directory) or are written to a temporary file by the test,
 * so that error messages carry a real "FILE:LINE:" prefix.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "err.h"
#include "glob.h"
#include "hash.h"
#include "limits.h"
#include "policy.h"
#include "rules.h"
#include "spdx.h"

Suite	*policy_suite(void);

/* ---- helpers ------------------------------------------------------------- */

static char tmpdir[256];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/mg_policy_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/p.json", tmpdir);
	unlink(p);
	rmdir(tmpdir);
}

/* Write n bytes to <tmpdir>/p.json and return its path (static). */
static const char *
write_policy(const char *text, size_t n)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/p.json", tmpdir);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* Load text; returns the code and leaves the message in err. */
static int
load_text(const char *text, size_t n, struct mg_policy **p, char *err,
    size_t errlen, const char **path)
{
	const char *fp = write_policy(text, n);

	if (path != NULL)
		*path = fp;
	return mg_policy_load(p, fp, err, errlen);
}

/* Expect a policy error whose message is "FILE:line: ..." containing sub. */
static void
expect_error(const char *text, size_t n, size_t line, const char *sub)
{
	struct mg_policy *p = (struct mg_policy *)1;
	char err[512], want[600];
	const char *path;
	int r;

	r = load_text(text, n, &p, err, sizeof(err), &path);
	ck_assert_msg(r == MG_ERR_POLICY, "want MG_ERR_POLICY, got %d (%s) "
	    "for: %.200s", r, err, text);
	ck_assert_ptr_null(p);
	snprintf(want, sizeof(want), "%s:%zu: ", path, line);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
	    "message '%s' does not start with '%s' (policy: %.200s)", err, want,
	    text);
	ck_assert_msg(sub == NULL || strstr(err, sub) != NULL,
	    "message '%s' lacks '%s'", err, sub);
	ck_assert_msg(strchr(err, '\n') == NULL, "multi-line message '%s'",
	    err);
}

static void
expect_errorz(const char *text, size_t line, const char *sub)
{
	expect_error(text, strlen(text), line, sub);
}

static struct mg_policy *
load_ok(const char *text)
{
	struct mg_policy *p = NULL;
	char err[512];
	int r;

	r = load_text(text, strlen(text), &p, err, sizeof(err), NULL);
	ck_assert_msg(r == MG_OK, "load failed (%d): %s", r, err);
	ck_assert_ptr_nonnull(p);
	return p;
}

static const char *
fixture_root(void)
{
	static char root[1024];
	const char *g = getenv("MG_GOLDEN");

	if (g != NULL)
		snprintf(root, sizeof(root), "%s/../../fixtures/policies", g);
	else
		snprintf(root, sizeof(root), "fixtures/policies");
	return root;
}

static size_t
rule_ix(const char *id)
{
	const struct mg_rule *r = mg_rule_find(id);

	ck_assert_ptr_nonnull(r);
	return (size_t)(r - mg_rule_get((enum mg_rule_id)0));
}

static int
strv_eq(const struct mg_strv *sv, const char *const *want, size_t n)
{
	size_t i;

	if (sv->n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(sv->v[i], want[i]) != 0)
			return 0;
	return 1;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- globs ---------------------------------------------------------------- */

static const struct {
	const char	*pat;
	const char	*path;
	int		 want;
} glob_cases[] = {
	/* '!' separates an archive from its members: only ** crosses it. */
	{ "models/*.pkl", "models/new.zip!evil.pkl", 0 },
	{ "models/*", "models/x.zip!a.zip!evil.pkl", 0 },
	{ "models/*.zip", "models/b.zip!inner.zip", 0 },
	{ "models/?.zip", "models/b.zip!c", 0 },
	{ "models/*.zip!*.pkl", "models/new.zip!evil.pkl", 1 },
	{ "models/*.zip!**.gguf", "models/a.zip!d/m.gguf", 1 },
	{ "models/*.zip!**/*.gguf", "models/a.zip!m.gguf", 1 },
	{ "models/**", "models/x.zip!a.zip!evil.pkl", 1 },
	{ "**/*.pkl", "models/a.tar!d/evil.pkl", 1 },
	{ "models/[!x].zip", "models/!.zip", 0 },
	{ "**/x", "x", 1 },
	{ "**/x", "a/b/x", 1 },
	{ "**/x", "a/bx", 0 },
	{ "**/x", "x/a", 0 },
	{ "models/**", "models/a.gguf", 1 },
	{ "models/**", "models/a/b/c.gguf", 1 },
	{ "models/**", "models", 0 },
	{ "models/**", "other/models/a", 0 },
	{ "*.gguf", "a.gguf", 1 },
	{ "*.gguf", "a/b.gguf", 0 },
	{ "*.gguf", ".gguf", 1 },
	{ "*", "abc", 1 },
	{ "*", "a/b", 0 },
	{ "**", "a/b/c", 1 },
	{ "**", "", 1 },
	{ "a/**/b", "a/b", 1 },
	{ "a/**/b", "a/x/y/b", 1 },
	{ "a/**/b", "a/xb", 0 },
	{ "a/**/b", "ab", 0 },
	{ "**/tests/**", "models/tests/a.gguf", 1 },
	{ "**/tests/**", "tests/a.gguf", 1 },
	{ "**/tests/**", "models/latests/a.gguf", 0 },
	{ "a**b", "a/x/b", 1 },		/* not a whole component: any bytes */
	{ "a**b", "ab", 1 },
	{ "?.gguf", "a.gguf", 1 },
	{ "?.gguf", "ab.gguf", 0 },
	{ "?", "/", 0 },
	{ "?", "\xc3\xa9", 1 },		/* one UTF-8 character */
	{ "??", "\xc3\xa9", 0 },
	{ "[ab].gguf", "a.gguf", 1 },
	{ "[ab].gguf", "c.gguf", 0 },
	{ "[!ab].gguf", "c.gguf", 1 },
	{ "[^ab].gguf", "a.gguf", 0 },
	{ "[a-c]", "b", 1 },
	{ "[a-c]", "d", 0 },
	{ "[]]", "]", 1 },
	{ "[!]]", "a", 1 },
	{ "[a-]", "-", 1 },
	{ "[!a]", "/", 0 },		/* classes never match '/' */
	{ "[\\]]", "]", 1 },
	{ "[\xc3\xa0-\xc3\xbf]", "\xc3\xa9", 1 },
	{ "\\*", "*", 1 },
	{ "\\*", "a", 0 },
	{ "a\\?", "a?", 1 },
	{ "A.gguf", "a.gguf", 0 },	/* case-sensitive */
	{ "models/*/x.gguf", "models/a/x.gguf", 1 },
	{ "models/*/x.gguf", "models/a/b/x.gguf", 0 },
	{ "*a*b", "xaxxb", 1 },
	{ "*a*b", "xaxxbc", 0 },
	{ "**/*.safetensors", "a/b/c.safetensors", 1 },
	{ "**/*.safetensors", "c.safetensors", 1 },
	{ "x/**/**/y", "x/y", 1 },
	{ "x/**/**/y", "x/a/b/y", 1 },
	{ "***", "a/b", 1 },
};

START_TEST(glob_match_table)
{
	int got = mg_glob_match(glob_cases[_i].pat, glob_cases[_i].path);

	ck_assert_int_eq(mg_glob_check(glob_cases[_i].pat, NULL, 0), MG_OK);
	ck_assert_msg(got == glob_cases[_i].want, "glob '%s' vs '%s': got %d",
	    glob_cases[_i].pat, glob_cases[_i].path, got);
}
END_TEST

/* Whether one glob covers everything below a directory, at any depth. */
static const struct {
	const char *pat, *dir;
	int want;
} cover_cases[] = {
	{ "**", "a/b", 1 },
	{ "**", "", 1 },
	{ "a/**", "a", 1 },
	{ "a/**", "a/b/c", 1 },
	{ "a/**", "ab", 0 },
	{ "a/**", "", 0 },
	{ "*/**", "a/b", 1 },
	{ "**/secret/**", "x/secret", 1 },
	{ "**/secret/**", "x/secret/y", 1 },
	{ "**/secret/**", "x/secrets", 0 },
	{ "a/*", "a", 0 },
	{ "a/*/*", "a/b", 0 },
	{ "*.md", "evil.md", 0 },
	{ "a**", "a", 0 },
	{ "a/\\**", "a", 0 },
	{ "a/b/**", "a", 0 },
	{ "a/[bc]/**", "a/c/d", 1 },
	{ "a/?/**", "a/bb", 0 },
};

START_TEST(glob_covers_table)
{
	int got = mg_glob_covers(cover_cases[_i].pat, cover_cases[_i].dir);

	ck_assert_int_eq(mg_glob_check(cover_cases[_i].pat, NULL, 0), MG_OK);
	ck_assert_msg(got == cover_cases[_i].want, "glob '%s' below '%s': "
	    "got %d", cover_cases[_i].pat, cover_cases[_i].dir, got);
}
END_TEST

static const char *const bad_globs[] = {
	"", "models/[abc", "[", "[!", "[]", "a\\", "[a\\", "[z-a]",
	"\xff", "a/\xc3", "[\xff]",
};

START_TEST(glob_check_invalid)
{
	char err[128] = "";

	ck_assert_int_eq(mg_glob_check(bad_globs[_i], err, sizeof(err)),
	    MG_ERR_POLICY);
	ck_assert_msg(strncmp(err, "invalid glob: ", 14) == 0, "%s", err);
	/* An unchecked pattern still never matches, never crashes. */
	(void)mg_glob_match(bad_globs[_i], "models/abc");
}
END_TEST

START_TEST(glob_check_length)
{
	char *pat = malloc(MG_MAX_GLOB_BYTES + 2), err[128];

	ck_assert_ptr_nonnull(pat);
	memset(pat, 'a', MG_MAX_GLOB_BYTES);
	pat[MG_MAX_GLOB_BYTES] = '\0';
	ck_assert_int_eq(mg_glob_check(pat, err, sizeof(err)), MG_OK);
	pat[MG_MAX_GLOB_BYTES] = 'a';
	pat[MG_MAX_GLOB_BYTES + 1] = '\0';
	ck_assert_int_eq(mg_glob_check(pat, err, sizeof(err)), MG_ERR_POLICY);
	ck_assert(strstr(err, "longer than") != NULL);
	free(pat);
}
END_TEST

/* Crafted patterns cost O(pattern x path), never exponential time. */
START_TEST(glob_pathological_timing)
{
	static const char *const pats[] = {
		"*a*a*a*a*a*a*a*b",
		"**/**/**/**/x",
		"**a**a**a**a**a**a**a**b",
		"*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?*?b",
	};
	char *path = malloc(5001), *big = malloc(MG_MAX_GLOB_BYTES + 1);
	double t0, ms;
	size_t i;

	ck_assert_ptr_nonnull(path);
	ck_assert_ptr_nonnull(big);
	memset(path, 'a', 5000);
	path[5000] = '\0';
	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		t0 = now_ms();
		ck_assert_int_eq(mg_glob_match(pats[i], path), 0);
		ms = now_ms() - t0;
		ck_assert_msg(ms < 50.0, "'%s' took %.1f ms", pats[i], ms);
	}
	/* slashes everywhere: "a/a/a/.../a" against the chain of "**" */
	for (i = 1; i < 5000; i += 2)
		path[i] = '/';
	path[4999] = '\0';	/* ends in "a" */
	t0 = now_ms();
	ck_assert_int_eq(mg_glob_match(pats[1], path), 0);
	ck_assert_int_eq(mg_glob_match("**/**/**/**/a", path), 1);
	ms = now_ms() - t0;
	ck_assert_msg(ms < 50.0, "component chain took %.1f ms", ms);
	/* The largest pattern the loader accepts against a long path. */
	for (i = 0; i < MG_MAX_GLOB_BYTES; i += 2) {
		big[i] = '*';
		big[i + 1] = 'a';
	}
	big[MG_MAX_GLOB_BYTES - 1] = 'b';
	big[MG_MAX_GLOB_BYTES] = '\0';
	memset(path, 'a', 5000);
	t0 = now_ms();
	ck_assert_int_eq(mg_glob_match(big, path), 0);
	ms = now_ms() - t0;
	ck_assert_msg(ms < 2000.0, "4 KiB pattern took %.1f ms", ms);
	free(path);
	free(big);
}
END_TEST

/* ---- SPDX ------------------------------------------------------------------ */

static const struct {
	const char	*in;
	const char	*want;
	int		 ok;
} spdx_cases[] = {
	{ "apache-2.0", "Apache-2.0", 1 },
	{ "mit OR Apache-2.0", "MIT OR Apache-2.0", 1 },
	{ "gpl-2.0+", "GPL-2.0-or-later", 1 },
	{ "Acme-Model-1.0", "Acme-Model-1.0", 1 },	/* kept as written */
	{ "licenseref-acme", "LicenseRef-acme", 1 },
	{ "llama2", "LicenseRef-Llama-2", 1 },
	{ "NONE", "NONE", 1 },
	{ "NOASSERTION", "NOASSERTION", 0 },
	{ "Apache 2.0", "NOASSERTION", 0 },
	{ "12345", "NOASSERTION", 0 },
	{ "MIT OR", "NOASSERTION", 0 },
	{ "", "NOASSERTION", 0 },
};

START_TEST(spdx_normalize_table)
{
	char out[MG_SPDX_MAX_EXPR];
	int ok = mg_spdx_normalize(spdx_cases[_i].in, out, sizeof(out));

	ck_assert_int_eq(ok, spdx_cases[_i].ok);
	ck_assert_str_eq(out, spdx_cases[_i].want);
}
END_TEST

START_TEST(spdx_normalize_small_buffer)
{
	char out[4];

	ck_assert_int_eq(mg_spdx_normalize("Apache-2.0", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(mg_spdx_normalize("MIT", out, 0), 0);
}
END_TEST

START_TEST(spdx_parse_refs)
{
	struct mg_spdx_expr e;

	ck_assert_int_eq(mg_spdx_parse(&e, "custom OR (custom AND mit)"), 1);
	ck_assert_str_eq(e.expr,
	    "LicenseRef-custom OR (LicenseRef-custom AND MIT)");
	ck_assert_uint_eq(e.nrefs, 1);
	ck_assert_int_eq(mg_spdx_parse(&e, NULL), 0);
	ck_assert_str_eq(e.expr, "NOASSERTION");
}
END_TEST

/* ---- loading: every field -------------------------------------------------- */

static struct mg_policy *
load_fixture(const char *name)
{
	struct mg_policy *p = NULL;
	char path[1200], err[512];
	int r;

	snprintf(path, sizeof(path), "%s/%s", fixture_root(), name);
	r = mg_policy_load(&p, path, err, sizeof(err));
	ck_assert_msg(r == MG_OK, "%s: %d %s", path, r, err);
	return p;
}

START_TEST(full_policy_fields)
{
	static const char *const incl[] = { "models/**", "*.gguf" };
	static const char *const excl[] = { "**/tests/**" };
	static const char *const fa[] = { "gguf", "safetensors" };
	static const char *const gk[] = { "general.license", "general.name" };
	static const char *const sk[] = { "format" };
	static const char *const arch[] = { "llama" };
	static const char *const quant[] = { "Q8_0", "Q4_K_M" };
	static const char *const dt[] = { "F16", "BF16" };
	static const char *const la[] = { "Apache-2.0", "MIT",
	    "Acme-Model-1.0" };
	static const char *const ld[] = { "CC-BY-NC-4.0" };
	static const char *const o1q[] = { "Q2_K" };
	static const char *const o2p[] = { "models/experimental/big/**",
	    "**/*.big.gguf" };
	static const char *const o2d[] = { "GPL-3.0-only" };
	struct mg_policy *p = load_fixture("full.json");
	const struct mg_scope *b = &p->base, *o;
	size_t i;

	ck_assert_str_eq(p->source + strlen(p->source) - 9, "full.json");
	ck_assert_int_eq(p->fail_on, MG_SEV_MED);
	ck_assert_int_eq(b->fail_on, MG_SEV_MED);
	ck_assert(strv_eq(&p->include, incl, 2));
	ck_assert(strv_eq(&p->exclude, excl, 1));
	/* rules: named ones set, every other resolved to its default */
	ck_assert_int_eq(b->rules[rule_ix("GGUF-TRAIL")].enabled, 0);
	ck_assert_int_eq(b->rules[rule_ix("FMT-EXT")].enabled, 1);
	ck_assert_int_eq(b->rules[rule_ix("FMT-EXT")].severity, MG_SEV_LOW);
	ck_assert_int_eq(b->rules[rule_ix("GGUF-KEY")].enabled, 1);
	ck_assert_int_eq(b->rules[rule_ix("GGUF-KEY")].severity, MG_SEV_CRIT);
	ck_assert_int_eq(b->rules[rule_ix("GGUF-BOOL")].enabled, 1);
	ck_assert_int_eq(b->rules[rule_ix("GGUF-BOOL")].severity,
	    (int)mg_rule_find("GGUF-BOOL")->severity);
	for (i = 0; i < MG_R__COUNT; i++) {
		ck_assert_int_ge(b->rules[i].enabled, 0);
		ck_assert_int_ge(b->rules[i].severity, 0);
	}
	ck_assert(b->have_formats_allow && b->have_formats_deny);
	ck_assert(strv_eq(&b->formats_allow, fa, 2));
	ck_assert_uint_eq(b->formats_deny.n, 0);
	ck_assert(b->have_require);
	ck_assert_uint_eq(b->nrequire, 2);
	ck_assert_str_eq(b->require[0].format, "gguf");
	ck_assert(strv_eq(&b->require[0].keys, gk, 2));
	ck_assert_str_eq(b->require[1].format, "safetensors");
	ck_assert(strv_eq(&b->require[1].keys, sk, 1));
	ck_assert(b->have_arch && b->have_quant && b->have_dtype);
	ck_assert(strv_eq(&b->allow_arch, arch, 1));
	ck_assert(strv_eq(&b->allow_quant, quant, 2));
	ck_assert(strv_eq(&b->allow_dtype, dt, 2));
	ck_assert(!b->file_size.have_min && b->file_size.have_max);
	ck_assert_uint_eq(b->file_size.max, 10000000000ull);
	ck_assert(b->parameter_count.have_min && b->parameter_count.have_max);
	ck_assert_uint_eq(b->parameter_count.min, 1);
	ck_assert_uint_eq(b->parameter_count.max, 100000000000ull);
	ck_assert_uint_eq(b->context_length.max, 131072);
	ck_assert_uint_eq(b->tensor_count.max, 10000);
	ck_assert(b->have_lic_allow && b->have_lic_deny);
	ck_assert(strv_eq(&b->lic_allow, la, 3));
	ck_assert(strv_eq(&b->lic_deny, ld, 1));
	ck_assert_int_eq(b->lic_required, 1);
	ck_assert_uint_eq(p->npins, 1);
	ck_assert_str_eq(p->pins[0].path, "models/a.gguf");
	ck_assert_str_eq(p->pins[0].sha256, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	ck_assert_str_eq(p->lock, "modelgate.lock");
	ck_assert_uint_eq(p->nsupps, 2);
	ck_assert_str_eq(p->supps[0].rule, "GGUF-TRAIL");
	ck_assert_str_eq(p->supps[0].path, "models/legacy/**");
	ck_assert_ptr_null(p->supps[0].fingerprint);
	ck_assert_str_eq(p->supps[0].reason, "vendor file, ticket 123");
	ck_assert_str_eq(p->supps[0].expires, "2028-02-29");
	ck_assert_uint_eq(p->supps[0].line, 38);
	ck_assert_ptr_null(p->supps[1].rule);
	ck_assert_ptr_null(p->supps[1].path);
	ck_assert_str_eq(p->supps[1].fingerprint, "0123456789abcdef0123456789"
	    "abcdef0123456789abcdef0123456789abcdef");
	ck_assert_str_eq(p->supps[1].expires, "");
	ck_assert_uint_eq(p->supps[1].line, 44);
	ck_assert_uint_eq(p->noverrides, 2);
	o = &p->overrides[0];
	ck_assert_uint_eq(o->paths.n, 1);
	ck_assert_int_eq(o->fail_on, MG_SEV_CRIT);
	ck_assert_int_eq(o->rules[rule_ix("GGUF-TRAIL")].enabled, 1);
	ck_assert_int_eq(o->rules[rule_ix("GGUF-TRAIL")].severity, -1);
	ck_assert_int_eq(o->rules[rule_ix("FMT-EXT")].enabled, -1);
	ck_assert_int_eq(o->rules[rule_ix("FMT-EXT")].severity, MG_SEV_INFO);
	ck_assert_int_eq(o->rules[rule_ix("GGUF-KEY")].enabled, -1);
	ck_assert(o->have_formats_allow && !o->have_formats_deny);
	ck_assert_uint_eq(o->formats_allow.n, 0);
	ck_assert(o->have_quant && !o->have_arch && !o->have_dtype);
	ck_assert(strv_eq(&o->allow_quant, o1q, 1));
	ck_assert(o->file_size.have_max && !o->file_size.have_min);
	ck_assert_uint_eq(o->file_size.max, 20000000000ull);
	ck_assert_int_eq(o->lic_required, 0);
	ck_assert(!o->have_lic_allow && !o->have_require);
	o = &p->overrides[1];
	ck_assert(strv_eq(&o->paths, o2p, 2));
	ck_assert_int_eq(o->fail_on, -1);
	ck_assert_int_eq(o->lic_required, -1);
	ck_assert(o->file_size.have_min && !o->file_size.have_max);
	ck_assert(o->have_require && o->nrequire == 1);
	ck_assert(strv_eq(&o->lic_deny, o2d, 1));
	mg_policy_free(p);
}
END_TEST

START_TEST(effective_merges_overrides)
{
	struct mg_policy *p = load_fixture("full.json");
	struct mg_scope s;
	size_t trail = rule_ix("GGUF-TRAIL"), ext = rule_ix("FMT-EXT");

	/* no override matches: the base */
	mg_policy_effective(p, "models/a.gguf", &s);
	ck_assert_int_eq(s.fail_on, MG_SEV_MED);
	ck_assert_int_eq(s.rules[trail].enabled, 0);
	ck_assert_int_eq(s.rules[ext].severity, MG_SEV_LOW);
	ck_assert_uint_eq(s.formats_allow.n, 2);
	ck_assert_uint_eq(s.file_size.max, 10000000000ull);
	ck_assert_uint_eq(s.paths.n, 0);
	/* the first override */
	mg_policy_effective(p, "models/experimental/x.gguf", &s);
	ck_assert_int_eq(s.fail_on, MG_SEV_CRIT);
	ck_assert_int_eq(s.rules[trail].enabled, 1);
	ck_assert_int_eq(s.rules[trail].severity,
	    (int)mg_rule_find("GGUF-TRAIL")->severity);
	ck_assert_int_eq(s.rules[ext].enabled, 1);
	ck_assert_int_eq(s.rules[ext].severity, MG_SEV_INFO);
	ck_assert_int_eq(s.rules[rule_ix("GGUF-KEY")].severity, MG_SEV_CRIT);
	ck_assert(s.have_formats_allow);
	ck_assert_uint_eq(s.formats_allow.n, 0);	/* replaced */
	ck_assert_uint_eq(s.allow_quant.n, 1);
	ck_assert_uint_eq(s.allow_arch.n, 1);		/* inherited */
	ck_assert_uint_eq(s.file_size.max, 20000000000ull);
	ck_assert(!s.file_size.have_min);
	ck_assert_int_eq(s.lic_required, 0);
	ck_assert_uint_eq(s.lic_allow.n, 3);
	ck_assert_uint_eq(s.nrequire, 2);
	ck_assert_uint_eq(s.paths.n, 0);
	/* both overrides, in file order */
	mg_policy_effective(p, "models/experimental/big/y.gguf", &s);
	ck_assert_int_eq(s.fail_on, MG_SEV_CRIT);
	ck_assert(s.file_size.have_min && s.file_size.have_max);
	ck_assert_uint_eq(s.file_size.min, 5);
	ck_assert_uint_eq(s.file_size.max, 20000000000ull);
	ck_assert_uint_eq(s.nrequire, 1);
	ck_assert_str_eq(s.require[0].format, "gguf");
	ck_assert_str_eq(s.lic_deny.v[0], "GPL-3.0-only");
	ck_assert_int_eq(s.lic_required, 0);
	/* only the second */
	mg_policy_effective(p, "z/w.big.gguf", &s);
	ck_assert_int_eq(s.fail_on, MG_SEV_MED);
	ck_assert_int_eq(s.lic_required, 1);
	ck_assert_uint_eq(s.file_size.min, 5);
	ck_assert_uint_eq(s.file_size.max, 10000000000ull);
	mg_policy_free(p);
}
END_TEST

START_TEST(wants_include_exclude)
{
	struct mg_policy *p = load_fixture("full.json"), *d = NULL;
	char err[256];

	ck_assert_int_eq(mg_policy_wants(p, "models/a.gguf"), 1);
	ck_assert_int_eq(mg_policy_wants(p, "top.gguf"), 1);
	ck_assert_int_eq(mg_policy_wants(p, "sub/top.gguf"), 0);
	ck_assert_int_eq(mg_policy_wants(p, "models/tests/a.gguf"), 0);
	ck_assert_int_eq(mg_policy_wants(p, "other/a.safetensors"), 0);
	ck_assert_int_eq(mg_policy_load(&d, NULL, err, sizeof(err)), MG_OK);
	ck_assert_int_eq(mg_policy_wants(d, "anything/at/all.bin"), 1);
	mg_policy_free(d);
	mg_policy_free(p);
	p = load_ok("{\"version\": 1, \"exclude\": [\"**/*.tmp\"]}");
	ck_assert_int_eq(mg_policy_wants(p, "a/b.gguf"), 1);
	ck_assert_int_eq(mg_policy_wants(p, "a/b.tmp"), 0);
	mg_policy_free(p);
}
END_TEST

START_TEST(default_policy_loads)
{
	struct mg_policy *p = NULL;
	struct mg_scope s;
	char err[256];
	size_t i;
	const char *t = mg_policy_default_text();

	ck_assert_int_eq(mg_policy_load(&p, NULL, err, sizeof(err)), MG_OK);
	ck_assert_str_eq(p->source, "(embedded default)");
	ck_assert_int_eq(p->fail_on, MG_SEV_HIGH);
	ck_assert_uint_eq(p->include.n + p->exclude.n + p->noverrides +
	    p->nsupps + p->npins, 0);
	ck_assert_ptr_null(p->lock);
	mg_policy_effective(p, "models/x.gguf", &s);
	for (i = 0; i < MG_R__COUNT; i++) {
		ck_assert_int_eq(s.rules[i].enabled, 1);
		ck_assert_int_eq(s.rules[i].severity,
		    (int)mg_rule_get((enum mg_rule_id)i)->severity);
	}
	ck_assert_int_eq(s.fail_on, MG_SEV_HIGH);
	ck_assert_int_eq(s.lic_required, 0);
	ck_assert_uint_eq(s.formats_allow.n + s.lic_allow.n + s.lic_deny.n +
	    s.allow_arch.n + s.nrequire, 0);
	mg_policy_free(p);
	/* The printed text, saved to a file, loads the same way. */
	p = load_ok(t);
	ck_assert_int_eq(p->fail_on, MG_SEV_HIGH);
	mg_policy_free(p);
	/* NULL err buffer is allowed */
	ck_assert_int_eq(mg_policy_load(&p, NULL, NULL, 0), MG_OK);
	mg_policy_free(p);
	mg_policy_free(NULL);
}
END_TEST

/* The digest is of the very bytes parsed, the embedded text's likewise. */
START_TEST(digest_of_parsed_bytes)
{
	static const char text[] = "{\r\n  \"version\": 1, "
	    "\"fail_on\": \"medium\" ,\t\r\n"
	    "  \"exclude\": [\"caf\xc3\xa9/**\"]\n}\n\n  ";
	struct mg_policy *p = NULL;
	char err[256], got[65], want[65];
	const char *t = mg_policy_default_text();

	ck_assert_int_eq(load_text(text, sizeof(text) - 1, &p, err,
	    sizeof(err), NULL), MG_OK);
	ck_assert_int_eq(mg_policy_digest(p, got), MG_OK);
	ck_assert_int_eq(mg_sha256_hex(text, sizeof(text) - 1, want), MG_OK);
	ck_assert_str_eq(got, want);
	/* The file changed after the load: still the bytes parsed. */
	write_policy("{}", 2);
	ck_assert_int_eq(mg_policy_digest(p, got), MG_OK);
	ck_assert_str_eq(got, want);
	mg_policy_free(p);
	ck_assert_int_eq(mg_policy_load(&p, NULL, err, sizeof(err)), MG_OK);
	ck_assert_int_eq(mg_policy_digest(p, got), MG_OK);
	ck_assert_int_eq(mg_sha256_hex(t, strlen(t), want), MG_OK);
	ck_assert_str_eq(got, want);
	mg_policy_free(p);
}
END_TEST

START_TEST(numbers_exact)
{
	static const struct {
		const char	*num;
		uint64_t	 want;
	} ok[] = {
		{ "0", 0 }, { "1", 1 }, { "10.0", 10 }, { "1e9", 1000000000 },
		{ "1.5e1", 15 }, { "9007199254740992", 9007199254740992ull },
		{ "90071992547409.92e2", 9007199254740992ull }, { "0e999999", 0 },
		{ "0.000", 0 }, { "120e-1", 12 }, { "1E+3", 1000 },
	};
	static const char *const bad[] = {
		"1.5", "-1", "1e300", "1e400", "9007199254740993",
		"18446744073709551616", "-0", "1e-1", "0.5",
		"123456789012345678901234567890123456789012345678901234567890",
	};
	char text[256];
	struct mg_policy *p;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "{\"version\": 1, \"limits\": "
		    "{\"tensor_count\": {\"max\": %s}}}", ok[i].num);
		p = load_ok(text);
		ck_assert_msg(p->base.tensor_count.max == ok[i].want,
		    "%s -> %llu", ok[i].num,
		    (unsigned long long)p->base.tensor_count.max);
		mg_policy_free(p);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"version\": 1,\n\"limits\": "
		    "{\"tensor_count\":\n{\"max\": %s}}}", bad[i]);
		expect_errorz(text, 3, "limits.tensor_count.max");
	}
}
END_TEST

START_TEST(suppression_dates)
{
	static const char *const good[] = { "2028-02-29", "2000-02-29",
	    "2027-12-31", "0001-01-01" };
	static const char *const bad[] = { "2027-02-29", "1900-02-29",
	    "2027-13-01", "2027-00-10", "2027-04-31", "2027-1-01",
	    "27-01-01", "2027/01/01", "2027-01-01T00:00", "0000-01-01", "" };
	char text[256];
	struct mg_policy *p;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "{\"version\": 1, \"suppressions\":"
		    " [{\"rule\": \"GGUF-TRAIL\", \"reason\": \"r\", "
		    "\"expires\": \"%s\"}]}", good[i]);
		p = load_ok(text);
		ck_assert_str_eq(p->supps[0].expires, good[i]);
		mg_policy_free(p);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"version\": 1, \"suppressions\":"
		    " [{\"rule\": \"GGUF-TRAIL\", \"reason\": \"r\",\n"
		    "\"expires\": \"%s\"}]}", bad[i]);
		expect_errorz(text, 2, "expires");
	}
}
END_TEST

/* ---- errors with their lines ------------------------------------------------ */

static const struct {
	const char	*text;
	size_t		 line;
	const char	*sub;
} err_cases[] = {
	/* syntax */
	{ "", 1, "empty policy file" },
	{ "  \n\n", 3, "empty policy file" },
	{ "{\n\"version\": 1,\n}", 3, "expected a string key" },
	{ "{\n\"version\": 1\n\"x\": 2}", 3, "expected ','" },
	{ "{\"version\": 1}\n{}", 2, "data after the JSON value" },
	{ "{\"version\":\n 01}", 2, "leading zero" },
	{ "{\"version\": 1,\n \"lock\": 'x'}", 2, "unexpected" },
	{ "{\"version\": 1,\n \"lock\": \"a\nb\"}", 2, "control character" },
	{ "{\"version\": 1,\n \"lock\": \"a\\qb\"}", 2, "invalid escape" },
	{ "{\"version\": 1,\n \"lock\": \"\\ud800x\"}", 2, "surrogate" },
	{ "{\"version\": 1,\n \"lock\": \"\\udc00\"}", 2, "surrogate" },
	{ "{\"version\": 1,\n \"lock\": \"\\u0000\"}", 2, "NUL" },
	{ "{\"version\": 1,\n \"lock\": \"abc", 2, "unterminated string" },
	{ "{\"version\": 1,\n \"lock\" \"x\"}", 2, "expected ':'" },
	{ "{\"version\": 1,\n \"rules\": {", 2, "unexpected end of file" },
	{ "{\"version\": tru}", 1, "unexpected" },
	{ "\n[]", 2, "must be a JSON object" },
	{ "\"policy\"", 1, "must be a JSON object" },
	/* version */
	{ "{\n\"fail_on\": \"high\"\n}", 1, "missing \"version\"" },
	{ "{\n\"version\": 2}", 2, "unsupported policy version" },
	{ "{\n\"version\": \"1\"}", 2, "unsupported policy version" },
	{ "{\n\"version\": 1.5}", 2, "unsupported policy version" },
	/* unknown keys at every level */
	{ "{\"version\": 1,\n\n\n\n\n\n\"colour\": 1}", 7,
	    "unknown top-level key \"colour\"" },
	{ "{\"version\": 1,\n\"formats\": {\"allow\": [],\n\"permit\": []}}", 3,
	    "unknown key \"permit\" in formats" },
	{ "{\"version\": 1,\n\"allow\": {\n\"arch\": []}}", 3,
	    "unknown key \"arch\" in allow" },
	{ "{\"version\": 1,\n\"limits\": {\n\"size\": {}}}", 3,
	    "unknown key \"size\" in limits" },
	{ "{\"version\": 1,\n\"limits\": {\"file_size\": {\n\"maximum\": 1}}}", 3,
	    "unknown key \"maximum\" in limits.file_size" },
	{ "{\"version\": 1,\n\"licenses\": {\n\"requires\": true}}", 3,
	    "unknown key \"requires\" in licenses" },
	{ "{\"version\": 1,\n\"rules\": {\"GGUF-TRAIL\": {\n\"on\": true}}}", 3,
	    "unknown key \"on\" in rules.GGUF-TRAIL" },
	{ "{\"version\": 1,\n\"suppressions\": [{\"rule\": \"GGUF-TRAIL\", "
	    "\"reason\": \"r\",\n\"note\": \"x\"}]}", 3,
	    "unknown key \"note\" in suppressions[0]" },
	{ "{\"version\": 1,\n\"overrides\": [{\"paths\": [\"a\"],\n\"lock\": "
	    "\"x\"}]}", 3, "not allowed in an override" },
	{ "{\"version\": 1,\n\"overrides\": [{\"paths\": [\"a\"],\n\"colour\": "
	    "1}]}", 3, "unknown key \"colour\" in overrides[0]" },
	{ "{\"version\": 1,\n\"overrides\": [{\"paths\": [\"a\"]},\n{\"paths\":"
	    " [\"b\"], \"limits\": {\"x\": {}}}]}", 3,
	    "unknown key \"x\" in overrides[1].limits" },
	/* unknown names */
	{ "{\"version\": 1,\n\"rules\": {\n\"NO-SUCH-RULE\": \"off\"}}", 3,
	    "unknown rule \"NO-SUCH-RULE\"" },
	{ "{\"version\": 1,\n\"formats\": {\"deny\": [\n\"pickel\"]}}", 3,
	    "unknown format \"pickel\"" },
	{ "{\"version\": 1,\n\"require_keys\": {\n\"onnyx\": []}}", 3,
	    "unknown format \"onnyx\"" },
	{ "{\"version\": 1,\n\"suppressions\": [{\"rule\":\n\"NOPE\", "
	    "\"reason\": \"r\"}]}", 3, "unknown rule \"NOPE\"" },
	{ "{\"version\": 1,\n\"fail_on\": \"severe\"}", 2,
	    "unknown severity \"severe\"" },
	{ "{\"version\": 1,\n\"rules\": {\"GGUF-TRAIL\": \"disabled\"}}", 2,
	    "unknown severity" },
	/* duplicate keys */
	{ "{\"version\": 1,\n\"fail_on\": \"low\",\n\"fail_on\": \"high\"}", 3,
	    "duplicate key \"fail_on\" (first on line 2)" },
	{ "{\"version\": 1, \"rules\": {\"GGUF-TRAIL\": \"off\",\n"
	    "\"GGUF-TRAIL\": \"on\"}}", 2, "duplicate key \"GGUF-TRAIL\"" },
	{ "{\"version\": 1,\n\"version\": 1}", 2, "duplicate key \"version\"" },
	/* values */
	{ "{\"version\": 1,\n\"include\": [\"models/[abc\"]}", 2,
	    "unclosed '['" },
	{ "{\"version\": 1,\n\"exclude\": [\"a\\\\\"]}", 2, "trailing '\\'" },
	{ "{\"version\": 1,\n\"include\": [\"\"]}", 2, "must not be empty" },
	{ "{\"version\": 1,\n\"overrides\": [{\"paths\": []}]}", 2,
	    "at least one glob" },
	{ "{\"version\": 1,\n\"overrides\": [{\"fail_on\": \"low\"}]}", 2,
	    "missing \"paths\"" },
	{ "{\"version\": 1,\n\"limits\": {\"file_size\": {\"min\": 5, "
	    "\"max\": 4}}}", 2, "min is greater than max" },
	{ "{\"version\": 1,\n\"licenses\": {\"allow\": [\"Apache 2.0\"]}}", 2,
	    "not a valid SPDX license expression" },
	{ "{\"version\": 1,\n\"digests\": {\"/abs/a.gguf\": \"HEX\"}}", 2,
	    "relative path" },
	{ "{\"version\": 1,\n\"digests\": {\"a/../b\": \"HEX\"}}", 2,
	    "relative path" },
	{ "{\"version\": 1,\n\"digests\": {\"a.gguf\": \"abc\"}}", 2,
	    "64 hex digits" },
	{ "{\"version\": 1,\n\"digests\": {\"a.gguf\": \"HEXg\"}}", 2,
	    "64 hex digits" },
	{ "{\"version\": 1,\n\"suppressions\": [{\"rule\": \"GGUF-TRAIL\"}]}", 2,
	    "missing \"reason\"" },
	{ "{\"version\": 1,\n\"suppressions\": [{\"rule\": \"GGUF-TRAIL\", "
	    "\"reason\": \"  \"}]}", 2, "must not be blank" },
	{ "{\"version\": 1,\n\"suppressions\": [{\"reason\": \"r\"}]}", 2,
	    "needs \"rule\", \"path\" or \"fingerprint\"" },
	{ "{\"version\": 1,\n\"suppressions\": [{\"reason\": \"r\", "
	    "\"fingerprint\": \"ABCDEF\"}]}", 2, "lowercase hex" },
	{ "{\"version\": 1,\n\"suppressions\": [{\"reason\": \"r\", "
	    "\"path\": \"[x\"}]}", 2, "unclosed '['" },
	{ "{\"version\": 1,\n\"lock\": \"\"}", 2, "must not be empty" },
};

START_TEST(error_lines)
{
	static const char hex[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b9"
	    "34ca495991b7852b855";
	const char *in = err_cases[_i].text, *h = strstr(in, "HEX");
	char text[1024];

	/* "HEX" in a case stands for a valid digest */
	if (h != NULL)
		snprintf(text, sizeof(text), "%.*s%s%s", (int)(h - in), in, hex,
		    h + 3);
	else
		snprintf(text, sizeof(text), "%s", in);
	expect_errorz(text, err_cases[_i].line, err_cases[_i].sub);
}
END_TEST

/*
 * Every field with a value of every wrong type: always a policy error
 * naming the field, on the value's line.
 */
static const struct {
	const char	*prefix;	/* text before the value */
	const char	*suffix;	/* text after it */
	const char	*field;		/* expected in the message */
	const char	*right;		/* the type that is accepted */
} fields[] = {
	{ "{\"version\": 1, \"fail_on\":", "}", "fail_on", "s" },
	{ "{\"version\": 1, \"include\":", "}", "include", "a" },
	{ "{\"version\": 1, \"include\": [", "]}", "include", "s" },
	{ "{\"version\": 1, \"exclude\":", "}", "exclude", "a" },
	{ "{\"version\": 1, \"rules\":", "}", "rules", "o" },
	{ "{\"version\": 1, \"rules\": {\"GGUF-TRAIL\":", "}}", "GGUF-TRAIL",
	    "so" },
	{ "{\"version\": 1, \"rules\": {\"GGUF-TRAIL\": {\"enabled\":", "}}}",
	    "enabled", "b" },
	{ "{\"version\": 1, \"rules\": {\"GGUF-TRAIL\": {\"severity\":", "}}}",
	    "severity", "s" },
	{ "{\"version\": 1, \"formats\":", "}", "formats", "o" },
	{ "{\"version\": 1, \"formats\": {\"allow\":", "}}", "formats.allow",
	    "a" },
	{ "{\"version\": 1, \"formats\": {\"deny\": [", "]}}", "formats.deny",
	    "s" },
	{ "{\"version\": 1, \"require_keys\":", "}", "require_keys", "o" },
	{ "{\"version\": 1, \"require_keys\": {\"gguf\":", "}}",
	    "require_keys.gguf", "a" },
	{ "{\"version\": 1, \"require_keys\": {\"gguf\": [", "]}}",
	    "require_keys.gguf", "s" },
	{ "{\"version\": 1, \"allow\":", "}", "allow", "o" },
	{ "{\"version\": 1, \"allow\": {\"architectures\":", "}}",
	    "allow.architectures", "a" },
	{ "{\"version\": 1, \"allow\": {\"quantizations\": [", "]}}",
	    "allow.quantizations", "s" },
	{ "{\"version\": 1, \"allow\": {\"dtypes\":", "}}", "allow.dtypes",
	    "a" },
	{ "{\"version\": 1, \"limits\":", "}", "limits", "o" },
	{ "{\"version\": 1, \"limits\": {\"file_size\":", "}}",
	    "limits.file_size", "o" },
	{ "{\"version\": 1, \"limits\": {\"parameter_count\": {\"min\":", "}}}",
	    "limits.parameter_count.min", "n" },
	{ "{\"version\": 1, \"limits\": {\"context_length\": {\"max\":", "}}}",
	    "limits.context_length.max", "n" },
	{ "{\"version\": 1, \"licenses\":", "}", "licenses", "o" },
	{ "{\"version\": 1, \"licenses\": {\"allow\":", "}}", "licenses.allow",
	    "a" },
	{ "{\"version\": 1, \"licenses\": {\"deny\": [", "]}}", "licenses.deny",
	    "s" },
	{ "{\"version\": 1, \"licenses\": {\"required\":", "}}",
	    "licenses.required", "b" },
	{ "{\"version\": 1, \"digests\":", "}", "digests", "o" },
	{ "{\"version\": 1, \"digests\": {\"a.gguf\":", "}}", "digests.a.gguf",
	    "s" },
	{ "{\"version\": 1, \"lock\":", "}", "lock", "s" },
	{ "{\"version\": 1, \"suppressions\":", "}", "suppressions", "a" },
	{ "{\"version\": 1, \"suppressions\": [", "]}", "suppressions[0]", "o" },
	{ "{\"version\": 1, \"suppressions\": [{\"reason\":", "}]}",
	    "suppressions[0].reason", "s" },
	{ "{\"version\": 1, \"suppressions\": [{\"reason\": \"r\", \"rule\":",
	    "}]}", "suppressions[0].rule", "s" },
	{ "{\"version\": 1, \"suppressions\": [{\"reason\": \"r\", \"path\":",
	    "}]}", "suppressions[0].path", "s" },
	{ "{\"version\": 1, \"suppressions\": [{\"reason\": \"r\", "
	    "\"fingerprint\":", "}]}", "suppressions[0].fingerprint", "s" },
	{ "{\"version\": 1, \"suppressions\": [{\"reason\": \"r\", \"rule\": "
	    "\"GGUF-TRAIL\", \"expires\":", "}]}", "suppressions[0].expires",
	    "s" },
	{ "{\"version\": 1, \"overrides\":", "}", "overrides", "a" },
	{ "{\"version\": 1, \"overrides\": [", "]}", "overrides[0]", "o" },
	{ "{\"version\": 1, \"overrides\": [{\"paths\":", "}]}",
	    "overrides[0].paths", "a" },
	{ "{\"version\": 1, \"overrides\": [{\"paths\": [\"a\"], \"fail_on\":",
	    "}]}", "overrides[0].fail_on", "s" },
	{ "{\"version\": 1, \"overrides\": [{\"paths\": [\"a\"], \"limits\": "
	    "{\"tensor_count\": {\"max\":", "}}}]}",
	    "overrides[0].limits.tensor_count.max", "n" },
	{ "{\"version\": 1, \"overrides\": [{\"paths\": [\"a\"], \"licenses\": "
	    "{\"required\":", "}}]}", "overrides[0].licenses.required", "b" },
};

static const struct {
	char		 type;
	const char	*text;
} wrong_values[] = {
	{ 'o', "{}" }, { 'a', "[]" }, { 's', "\"\"" }, { 'n', "7" },
	{ 'b', "true" }, { 'z', "null" }, { 'n', "-3.5" },
};

START_TEST(wrong_types_everywhere)
{
	char text[1024];
	size_t i;
	struct mg_policy *p = NULL;
	char err[512];
	const char *path;
	int r;

	for (i = 0; i < sizeof(wrong_values) / sizeof(wrong_values[0]); i++) {
		if (strchr(fields[_i].right, wrong_values[i].type) != NULL)
			continue;
		snprintf(text, sizeof(text), "%s\n%s%s", fields[_i].prefix,
		    wrong_values[i].text, fields[_i].suffix);
		r = load_text(text, strlen(text), &p, err, sizeof(err), &path);
		ck_assert_msg(r == MG_ERR_POLICY, "accepted: %s", text);
		ck_assert_msg(strstr(err, fields[_i].field) != NULL &&
		    strstr(err, ":2: ") != NULL, "'%s' for %s", err, text);
	}
}
END_TEST

/* ---- hostile policies ------------------------------------------------------- */

static const struct {
	const char	*file;
	size_t		 line;
	const char	*sub;
} hostile[] = {
	{ "array_root.json", 1, "must be a JSON object" },
	{ "bad_date.json", 3, "not a date" },
	{ "deep_nesting.json", 1, "nested deeper than 32" },
	{ "digest_dotdot.json", 3, "relative path" },
	{ "duplicate_key.json", 1, "duplicate key" },
	{ "huge_number.json", 3, "larger than 2^53" },
	{ "invalid_utf8.json", 3, "invalid UTF-8" },
	{ "negative.json", 1, "must not be negative" },
	{ "nul_escape.json", 3, "NUL" },
	{ "suppression_no_reason.json", 3, "missing \"reason\"" },
	{ "trailing_backslash.json", 3, "trailing '\\'" },
	{ "trailing_comma.json", 3, "expected a string key" },
	{ "unclosed_class.json", 3, "unclosed '['" },
	{ "unknown_nested_key.json", 4, "unknown key \"maximum\"" },
	{ "version2.json", 2, "unsupported policy version" },
	{ "wrong_type.json", 4, "must be true or false" },
};

START_TEST(hostile_fixtures)
{
	struct mg_policy *p = NULL;
	char path[1200], err[512], want[1300];
	int r;

	snprintf(path, sizeof(path), "%s/hostile/%s", fixture_root(),
	    hostile[_i].file);
	r = mg_policy_load(&p, path, err, sizeof(err));
	ck_assert_msg(r == MG_ERR_POLICY, "%s: %d %s", path, r, err);
	ck_assert_ptr_null(p);
	snprintf(want, sizeof(want), "%s:%zu: ", path, hostile[_i].line);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0 &&
	    strstr(err, hostile[_i].sub) != NULL, "%s: got '%s'", path, err);
}
END_TEST

START_TEST(hostile_deep_nesting)
{
	size_t depth = 10000, i, n = 0;
	char *t = malloc(2 * depth + 64);
	double t0 = now_ms();

	ck_assert_ptr_nonnull(t);
	n += (size_t)sprintf(t, "{\"version\": 1, \"x\": ");
	for (i = 0; i < depth; i++)
		t[n++] = '[';
	for (i = 0; i < depth; i++)
		t[n++] = ']';
	t[n++] = '}';
	expect_error(t, n, 1, "nested deeper than 32 levels");
	/* objects, too, and exactly at the limit */
	n = (size_t)sprintf(t, "{\"version\": 1, \"x\":");
	for (i = 0; i < 31; i++)
		n += (size_t)sprintf(t + n, "{\"a\":");
	n += (size_t)sprintf(t + n, "1");
	for (i = 0; i < 32; i++)
		t[n++] = '}';
	/* 32 levels nest fine; "x" is then an unknown key */
	expect_error(t, n, 1, "unknown top-level key \"x\"");
	n = (size_t)sprintf(t, "{\"version\": 1, \"x\":");
	for (i = 0; i < 32; i++)
		n += (size_t)sprintf(t + n, "{\"a\":");
	n += (size_t)sprintf(t + n, "1");
	for (i = 0; i < 33; i++)
		t[n++] = '}';
	expect_error(t, n, 1, "nested deeper");
	free(t);
	ck_assert(now_ms() - t0 < 5000.0);
}
END_TEST

START_TEST(hostile_too_big)
{
	size_t n = MG_MAX_POLICY_BYTES + 1;
	char *t = malloc(n), err[512];
	struct mg_policy *p = NULL;
	const char *path;

	ck_assert_ptr_nonnull(t);
	memset(t, ' ', n);
	memcpy(t, "{\"version\": 1}", 14);
	ck_assert_int_eq(load_text(t, n, &p, err, sizeof(err), &path),
	    MG_ERR_POLICY);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err, "larger than 4194304 bytes") != NULL, "%s",
	    err);
	/* exactly at the cap still loads */
	ck_assert_int_eq(load_text(t, n - 1, &p, err, sizeof(err), &path),
	    MG_OK);
	mg_policy_free(p);
	free(t);
}
END_TEST

START_TEST(hostile_too_many_entries)
{
	size_t cnt = MG_MAX_POLICY_LIST + 1, i, n = 0;
	char *t = malloc(cnt * 6 + 64);

	ck_assert_ptr_nonnull(t);
	n += (size_t)sprintf(t, "{\"version\": 1,\n\"include\": [");
	for (i = 0; i < cnt; i++)
		n += (size_t)sprintf(t + n, "%s\"a\"", i > 0 ? "," : "");
	n += (size_t)sprintf(t + n, "]}");
	expect_error(t, n, 2, "more than 100000 entries");
	free(t);
}
END_TEST

/* A big valid policy loads in time linear in its size. */
START_TEST(many_suppressions)
{
	size_t cnt = 30000, i, n = 0;
	char *t = malloc(cnt * 80 + 64);
	struct mg_policy *p;
	double t0;

	ck_assert_ptr_nonnull(t);
	n += (size_t)sprintf(t, "{\"version\": 1,\n\"suppressions\": [\n");
	for (i = 0; i < cnt; i++)
		n += (size_t)sprintf(t + n, "%s{\"rule\": \"GGUF-TRAIL\", "
		    "\"path\": \"m/%zu/**\", \"reason\": \"r\"}\n",
		    i > 0 ? "," : "", i);
	n += (size_t)sprintf(t + n, "]}");
	t0 = now_ms();
	p = load_ok(t);
	ck_assert_msg(now_ms() - t0 < 3000.0, "took %.0f ms", now_ms() - t0);
	ck_assert_uint_eq(p->nsupps, cnt);
	ck_assert_uint_eq(p->supps[0].line, 3);
	ck_assert_uint_eq(p->supps[cnt - 1].line, cnt + 2);
	mg_policy_free(p);
	free(t);
}
END_TEST

START_TEST(hostile_long_strings)
{
	size_t n = MG_MAX_POLICY_STRING + 1, i, o = 0;
	char *t = malloc(n * 6 + 64);

	ck_assert_ptr_nonnull(t);
	o += (size_t)sprintf(t, "{\"version\": 1,\n\"lock\": \"");
	for (i = 0; i < n; i++)
		t[o++] = 'x';
	o += (size_t)sprintf(t + o, "\"}");
	expect_error(t, o, 2, "string longer than 4096 bytes");
	/* escapes count as what they decode to: 4096 x "\u00e9" is 8 KiB */
	o = (size_t)sprintf(t, "{\"version\": 1,\n\"lock\": \"");
	for (i = 0; i < 2049; i++)
		o += (size_t)sprintf(t + o, "\\u00e9");
	o += (size_t)sprintf(t + o, "\"}");
	expect_error(t, o, 2, "string longer than");
	/* keys too */
	o = (size_t)sprintf(t, "{\"version\": 1,\n\"");
	for (i = 0; i < n; i++)
		t[o++] = 'k';
	o += (size_t)sprintf(t + o, "\": 1}");
	expect_error(t, o, 2, "string longer than");
	free(t);
}
END_TEST

START_TEST(hostile_bytes)
{
	/* a NUL byte in the file, raw or in a key */
	static const char nul[] = "{\"version\": 1,\n\"lock\": \"a\0b\"}";
	static const char bom[] = "\xef\xbb\xbf{\"version\": 1,\n\"x\": 1}";
	static const char ctl[] = "{\"version\": 1,\n\"\\u0007\\u001b[31m\": 1}";
	struct mg_policy *p = NULL;
	char err[512];
	const char *path;

	expect_error(nul, sizeof(nul) - 1, 2, "control character");
	expect_errorz("{\"version\": 1,\n\xc3\xa9: 1}", 2,
	    "expected a string key");
	expect_errorz("{\"version\": 1,\n\"lock\": \xc3\xa9}", 2,
	    "unexpected byte 0xc3");
	expect_errorz("{\"version\": 1,\n\"\xed\xa0\x80\": 1}", 2,
	    "invalid UTF-8");
	expect_errorz("{\"version\": 1,\n\"\xc0\xaf\": 1}", 2,
	    "invalid UTF-8");
	/* a byte order mark is tolerated; lines still count */
	expect_error(bom, sizeof(bom) - 1, 2, "unknown top-level key \"x\"");
	/* control characters in a key never reach the message */
	ck_assert_int_eq(load_text(ctl, sizeof(ctl) - 1, &p, err, sizeof(err),
	    &path), MG_ERR_POLICY);
	ck_assert(strchr(err, '\x1b') == NULL && strchr(err, '\x07') == NULL);
	/* an absurdly long unknown key is cut in the message */
	{
		char t[3000], *k = t;

		k += sprintf(t, "{\"version\": 1, \"");
		memset(k, 'K', 2000);
		k += 2000;
		k += sprintf(k, "\": 1}");
		ck_assert_int_eq(load_text(t, (size_t)(k - t), &p, err,
		    sizeof(err), &path), MG_ERR_POLICY);
		ck_assert(strstr(err, "KKK...\"") != NULL);
		ck_assert_uint_lt(strlen(err), 400);
	}
}
END_TEST

START_TEST(missing_file)
{
	struct mg_policy *p = NULL;
	char err[512];

	ck_assert_int_eq(mg_policy_load(&p, "/nonexistent/policy.json", err,
	    sizeof(err)), MG_ERR_IO);
	ck_assert_ptr_null(p);
	ck_assert(strncmp(err, "/nonexistent/policy.json: ", 26) == 0);
	ck_assert_int_eq(mg_policy_load(&p, "/", err, sizeof(err)), MG_ERR_IO);
	ck_assert_ptr_null(p);
}
END_TEST

START_TEST(license_normalised_in_policy)
{
	struct mg_policy *p = load_ok("{\"version\": 1, \"licenses\": "
	    "{\"allow\": [\"apache-2.0\", \"mit OR bsd-3-clause\", "
	    "\"Acme-1.0\", \"licenseref-x\"], \"deny\": [\"gpl-3.0+\"]}}");

	ck_assert_str_eq(p->base.lic_allow.v[0], "Apache-2.0");
	ck_assert_str_eq(p->base.lic_allow.v[1], "MIT OR BSD-3-Clause");
	ck_assert_str_eq(p->base.lic_allow.v[2], "Acme-1.0");
	ck_assert_str_eq(p->base.lic_allow.v[3], "LicenseRef-x");
	ck_assert_str_eq(p->base.lic_deny.v[0], "GPL-3.0-or-later");
	mg_policy_free(p);
}
END_TEST

START_TEST(rule_values)
{
	struct mg_policy *p = load_ok("{\"version\": 1, \"rules\": {"
	    "\"GGUF-TRAIL\": \"critical\", \"FMT-EXT\": {\"enabled\": false}, "
	    "\"GGUF-KEY\": {}, \"GGUF-BOOL\": \"info\"},"
	    "\"overrides\": [{\"paths\": [\"**\"], \"rules\": {\"FMT-EXT\": "
	    "{\"enabled\": true}, \"GGUF-TRAIL\": \"off\"}}]}");
	struct mg_scope s;
	size_t t = rule_ix("GGUF-TRAIL"), e = rule_ix("FMT-EXT");

	ck_assert_int_eq(p->base.rules[t].enabled, 1);
	ck_assert_int_eq(p->base.rules[t].severity, MG_SEV_CRIT);
	ck_assert_int_eq(p->base.rules[e].enabled, 0);
	ck_assert_int_eq(p->base.rules[rule_ix("GGUF-BOOL")].severity,
	    MG_SEV_INFO);
	mg_policy_effective(p, "x", &s);
	ck_assert_int_eq(s.rules[t].enabled, 0);
	ck_assert_int_eq(s.rules[t].severity, MG_SEV_CRIT);
	ck_assert_int_eq(s.rules[e].enabled, 1);
	mg_policy_free(p);
}
END_TEST

Suite *
policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("glob");
	tcase_add_loop_test(tc, glob_match_table, 0,
	    (int)(sizeof(glob_cases) / sizeof(glob_cases[0])));
	tcase_add_loop_test(tc, glob_covers_table, 0,
	    (int)(sizeof(cover_cases) / sizeof(cover_cases[0])));
	tcase_add_loop_test(tc, glob_check_invalid, 0,
	    (int)(sizeof(bad_globs) / sizeof(bad_globs[0])));
	tcase_add_test(tc, glob_check_length);
	tcase_add_test(tc, glob_pathological_timing);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);

	tc = tcase_create("spdx");
	tcase_add_loop_test(tc, spdx_normalize_table, 0,
	    (int)(sizeof(spdx_cases) / sizeof(spdx_cases[0])));
	tcase_add_test(tc, spdx_normalize_small_buffer);
	tcase_add_test(tc, spdx_parse_refs);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, full_policy_fields);
	tcase_add_test(tc, effective_merges_overrides);
	tcase_add_test(tc, wants_include_exclude);
	tcase_add_test(tc, default_policy_loads);
	tcase_add_test(tc, digest_of_parsed_bytes);
	tcase_add_test(tc, numbers_exact);
	tcase_add_test(tc, suppression_dates);
	tcase_add_test(tc, license_normalised_in_policy);
	tcase_add_test(tc, rule_values);
	tcase_add_test(tc, missing_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, error_lines, 0,
	    (int)(sizeof(err_cases) / sizeof(err_cases[0])));
	tcase_add_loop_test(tc, wrong_types_everywhere, 0,
	    (int)(sizeof(fields) / sizeof(fields[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, hostile_fixtures, 0,
	    (int)(sizeof(hostile) / sizeof(hostile[0])));
	tcase_add_test(tc, hostile_deep_nesting);
	tcase_add_test(tc, hostile_too_big);
	tcase_add_test(tc, hostile_too_many_entries);
	tcase_add_test(tc, hostile_long_strings);
	tcase_add_test(tc, many_suppressions);
	tcase_add_test(tc, hostile_bytes);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
