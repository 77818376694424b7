/*
 * test_license.c - licence comparison: parsing declared licences into
 * terms, policy lists, and the gate's verdicts for families, Hugging Face
 * ids, unknown licences and licences that declare nothing.
 *
 * The hole07_* tests are the bypasses of string comparison: each passed
 * the gate before licences were compared as licences.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "gate.h"
#include "license.h"
#include "policy.h"
#include "rules.h"
#include "run.h"
#include "suites.h"
#include "tutil.h"

/* ---- the gate on one artifact -------------------------------------------- */

struct outcome {
	enum mg_verdict	 verdict;
	size_t		 npolicy;	/* POLICY-LICENSE findings */
	size_t		 nunknown;	/* LICENSE-UNKNOWN findings */
	int		 unknown_sev;	/* gate severity of the last, or -1 */
	char		 msg[512];	/* the first licence finding's message */
};

static struct mg_policy *
policy(const char *json)
{
	struct mg_policy *p = NULL;
	char *d = tu_tmpdir(), path[4096], err[512];
	int r;

	tu_write(d, "policy.json", json);
	snprintf(path, sizeof(path), "%s/policy.json", d);
	r = mg_policy_load(&p, path, err, sizeof(err));
	ck_assert_msg(r == MG_OK, "policy %s: %s", json, err);
	tu_rmrf(d);
	free(d);
	return p;
}

/* Run the gate over one artifact at path that declares lic (may be NULL). */
static struct outcome
gate_at(const char *json, const char *path, const char *lic)
{
	struct mg_policy *p = policy(json);
	struct mg_artifact *a = calloc(1, sizeof(*a));
	struct mg_artifact *arts[1];
	struct mg_gate_opts o;
	struct mg_run run;
	struct mg_gate g;
	struct outcome out;
	char err[512];
	size_t i;

	memset(&out, 0, sizeof(out));
	out.unknown_sev = -1;
	ck_assert_ptr_nonnull(a);
	mg_artifact_init(a);
	a->format = &mg_fmt_gguf;
	a->complete = 1;
	a->path = strdup(path);
	a->abspath = strdup(path);
	a->filename = strdup(path);
	if (lic != NULL)
		a->license = strdup(lic);
	arts[0] = a;
	memset(&run, 0, sizeof(run));
	run.arts = arts;
	run.n = 1;
	memset(&o, 0, sizeof(o));
	o.fail_on = -1;
	o.today = "2026-01-01";
	ck_assert_int_eq(mg_gate_eval(&g, &run, p, &o, err, sizeof(err)),
	    MG_OK);
	ck_assert_uint_eq(g.n, 1);
	out.verdict = g.arts[0].verdict;
	for (i = 0; i < g.arts[0].nfindings; i++) {
		const struct mg_gate_finding *gf = &g.arts[0].findings[i];
		const char *id = mg_rule_get(gf->f->rule)->id;

		if (strcmp(id, "POLICY-LICENSE") == 0)
			out.npolicy++;
		else if (strcmp(id, "LICENSE-UNKNOWN") == 0) {
			out.nunknown++;
			out.unknown_sev = (int)gf->severity;
		} else
			continue;
		if (out.msg[0] == '\0')
			snprintf(out.msg, sizeof(out.msg), "%s",
			    gf->f->message);
	}
	mg_gate_free(&g);
	mg_artifact_free(a);
	free(a);
	mg_policy_free(p);
	return out;
}

static struct outcome
gate1(const char *json, const char *lic)
{
	return gate_at(json, "models/m.gguf", lic);
}

#define DENY(x)		"{\"version\": 1, \"licenses\": {\"deny\": [" x "]}}"
#define ALLOW(x)	"{\"version\": 1, \"licenses\": {\"allow\": [" x "]}}"
#define REQUIRED	"{\"version\": 1, \"licenses\": {\"required\": true}}"
#define NOLISTS		"{\"version\": 1}"

/* ---- hole07: licence lists walked around by spelling ------------------- */

START_TEST(hole07_gpl_spellings_vs_gpl3_deny)
{
	static const char *const lic[] = {
		"GPL-3.0-or-later", "gpl-3.0+", "gpl", "GPL-3.0-only",
		"MIT OR GPL-3.0-or-later",
	};
	struct outcome o = gate1(DENY("\"GPL-3.0\""), lic[_i]);

	ck_assert_msg(o.verdict == MG_V_FAIL && o.npolicy == 1,
	    "%s passed a GPL-3.0 deny (%zu findings)", lic[_i], o.npolicy);
}
END_TEST

START_TEST(hole07_agpl_plus_vs_agpl_deny)
{
	struct outcome o = gate1(DENY("\"AGPL-3.0\""), "agpl-3.0+");

	ck_assert_int_eq(o.verdict, MG_V_FAIL);
	ck_assert_uint_eq(o.npolicy, 1);
}
END_TEST

START_TEST(hole07_cc_typo_vs_cc_deny)
{
	struct outcome o = gate1(DENY("\"CC-BY-NC-4.0\""), "cc-by-nc-4.0.0");

	ck_assert_int_eq(o.verdict, MG_V_FAIL);
	ck_assert_uint_eq(o.nunknown, 1);
	ck_assert_int_eq(o.unknown_sev, MG_SEV_HIGH);
}
END_TEST

START_TEST(hole07_none_vs_required)
{
	static const char *const lic[] = {
		"NONE", "none", "NOASSERTION", "", "   ", " \t NONE ",
	};
	struct outcome o = gate1(REQUIRED, lic[_i]);

	ck_assert_msg(o.verdict == MG_V_FAIL && o.npolicy == 1,
	    "'%s' satisfied licenses.required", lic[_i]);
}
END_TEST

/* End to end: the same bypasses through the binary and its JSON report. */
START_TEST(hole07_cli)
{
	static const struct {
		const char	*lic;
		const char	*rule;
		const char	*sev;
	} c[] = {
		{ "gpl-3.0+", "POLICY-LICENSE", "high" },
		{ "gpl", "POLICY-LICENSE", "high" },
		{ "cc-by-nc-4.0.0", "LICENSE-UNKNOWN", "high" },
	};
	const char *args[] = { "scan", "-q", "--json", "report.json",
	    "--policy", "policy.json", "models", NULL };
	char *d = tu_tmpdir(), cfg[256], path[4096], *s;
	const cJSON *a, *f, *hit = NULL;
	struct tres r;
	cJSON *j;

	tu_sh("mkdir -p '%s/models'", d);
	tu_sh("cp '%s' '%s/models/'",
	    tu_fix("safetensors/valid/multi-pt.safetensors"), d);
	snprintf(cfg, sizeof(cfg), "{\"license\": \"%s\"}", c[_i].lic);
	tu_write(d, "models/config.json", cfg);
	tu_write(d, "policy.json", "{\"version\": 1, \"licenses\": {\"deny\": "
	    "[\"GPL-3.0\", \"CC-BY-NC-4.0\"]}}");
	r = tu_run(d, args);
	ck_assert_msg(r.status == 1, "%s: exit %d: %s", c[_i].lic, r.status,
	    r.err);
	snprintf(path, sizeof(path), "%s/report.json", d);
	s = tu_slurp(path, NULL);
	ck_assert_ptr_nonnull(s);
	j = cJSON_Parse(s);
	ck_assert_ptr_nonnull(j);
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(j, "artifacts"))
		cJSON_ArrayForEach(f, cJSON_GetObjectItem(a, "findings"))
			if (strcmp(cJSON_GetObjectItem(f, "rule")->valuestring,
			    c[_i].rule) == 0)
				hit = f;
	ck_assert_msg(hit != NULL, "%s: no %s", c[_i].lic, c[_i].rule);
	ck_assert_str_eq(cJSON_GetObjectItem(hit, "severity")->valuestring,
	    c[_i].sev);
	cJSON_Delete(j);
	free(s);
	tu_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* ---- the SPDX tables -------------------------------------------------------- */

START_TEST(spdx_tables_sorted)
{
	size_t i;

	ck_assert_ptr_nonnull(mg_license_spdx_id(700));
	for (i = 1; mg_license_spdx_id(i) != NULL; i++)
		ck_assert_msg(strcasecmp(mg_license_spdx_id(i - 1),
		    mg_license_spdx_id(i)) < 0, "%s before %s",
		    mg_license_spdx_id(i - 1), mg_license_spdx_id(i));
	ck_assert_ptr_nonnull(mg_license_spdx_exc(60));
	for (i = 1; mg_license_spdx_exc(i) != NULL; i++)
		ck_assert(strcasecmp(mg_license_spdx_exc(i - 1),
		    mg_license_spdx_exc(i)) < 0);
}
END_TEST

/* ---- parsing --------------------------------------------------------------- */

static const struct {
	const char	*in;
	int		 state;
	size_t		 n;
	int		 kind;		/* of the last term */
	const char	*key, *name, *exc;
} parse_cases[] = {
	{ "GPL-3.0", MG_LIC_DECLARED, 1, MG_LIC_SPDX, "GPL-3.0", "GPL-3.0-only",
	    "" },
	{ "gpl-3.0+", MG_LIC_DECLARED, 1, MG_LIC_SPDX, "GPL-3.0",
	    "GPL-3.0-or-later", "" },
	{ "GPL-3.0-or-later", MG_LIC_DECLARED, 1, MG_LIC_SPDX, "GPL-3.0",
	    "GPL-3.0-or-later", "" },
	{ "gpl-3.0-only+", MG_LIC_DECLARED, 1, MG_LIC_SPDX, "GPL-3.0",
	    "GPL-3.0-or-later", "" },
	{ "GPL-2.0+", MG_LIC_DECLARED, 1, MG_LIC_SPDX, "GPL-2.0",
	    "GPL-2.0-or-later", "" },
	{ "lgpl-2.1", MG_LIC_DECLARED, 1, MG_LIC_SPDX, "LGPL-2.1",
	    "LGPL-2.1-only", "" },
	{ "agpl-3.0+", MG_LIC_DECLARED, 1, MG_LIC_SPDX, "AGPL-3.0",
	    "AGPL-3.0-or-later", "" },
	{ "apache-2.0+", MG_LIC_DECLARED, 1, MG_LIC_SPDX, "Apache-2.0",
	    "Apache-2.0+", "" },
	{ "GFDL-1.3-no-invariants-or-later", MG_LIC_DECLARED, 1, MG_LIC_SPDX,
	    "GFDL-1.3", "GFDL-1.3-no-invariants-or-later", "" },
	{ "GPL-2.0-with-classpath-exception", MG_LIC_DECLARED, 1, MG_LIC_SPDX,
	    "GPL-2.0", "GPL-2.0-with-classpath-exception",
	    "Classpath-exception-2.0" },
	{ "gpl-2.0-only with classpath-exception-2.0", MG_LIC_DECLARED, 1,
	    MG_LIC_SPDX, "GPL-2.0", "GPL-2.0-only", "Classpath-exception-2.0" },
	{ "c-uda", MG_LIC_DECLARED, 1, MG_LIC_SPDX, "C-UDA-1.0", "C-UDA-1.0",
	    "" },
	{ "odbl", MG_LIC_DECLARED, 1, MG_LIC_SPDX, "ODbL-1.0", "ODbL-1.0", "" },
	{ "lgpl-lr", MG_LIC_DECLARED, 1, MG_LIC_SPDX, "LGPLLR", "LGPLLR", "" },
	{ "gpl", MG_LIC_DECLARED, 1, MG_LIC_FAMILY, "gpl", "gpl", "" },
	{ "BSD", MG_LIC_DECLARED, 1, MG_LIC_FAMILY, "bsd", "bsd", "" },
	{ "cc", MG_LIC_DECLARED, 1, MG_LIC_FAMILY, "cc", "cc", "" },
	{ "LicenseRef-OpenRAIL", MG_LIC_DECLARED, 1, MG_LIC_FAMILY, "openrail",
	    "openrail", "" },
	{ "openrail++", MG_LIC_DECLARED, 1, MG_LIC_NAMED, "openrail++",
	    "openrail++", "" },
	{ "LicenseRef-Llama-3.1", MG_LIC_DECLARED, 1, MG_LIC_NAMED, "llama3.1",
	    "llama3.1", "" },
	{ "licenseref-gemma", MG_LIC_DECLARED, 1, MG_LIC_NAMED, "gemma",
	    "gemma", "" },
	{ "cc-by-nc-4.0.0", MG_LIC_DECLARED, 1, MG_LIC_UNKNOWN,
	    "cc-by-nc-4.0.0", "cc-by-nc-4.0.0", "" },
	{ "licenseref-acme", MG_LIC_DECLARED, 1, MG_LIC_UNKNOWN,
	    "LicenseRef-acme", "LicenseRef-acme", "" },
	{ "MIT OR other", MG_LIC_DECLARED, 2, MG_LIC_UNKNOWN, "other", "other",
	    "" },
	{ "(mit AND (apache-2.0 OR gpl))", MG_LIC_DECLARED, 3, MG_LIC_FAMILY,
	    "gpl", "gpl", "" },
	{ NULL, MG_LIC_VOID, 0, 0, NULL, NULL, NULL },
	{ "", MG_LIC_VOID, 0, 0, NULL, NULL, NULL },
	{ " \t\r\n", MG_LIC_VOID, 0, 0, NULL, NULL, NULL },
	{ "NONE", MG_LIC_VOID, 0, 0, NULL, NULL, NULL },
	{ "noassertion", MG_LIC_VOID, 0, 0, NULL, NULL, NULL },
	{ "other", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "unknown", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "Apache 2.0", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "MIT OR", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "(MIT", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "MIT)", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "MIT AND NONE", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "MIT WITH Foo-exception", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "GPL-2.0-with-classpath-exception WITH LLVM-exception",
	    MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "openrail+++", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "llama2+", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "gpl+", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "LicenseRef-", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "12345", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "https://example.com/license", MG_LIC_INVALID, 0, 0, NULL, NULL,
	    NULL },
	{ "AND", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
	{ "((((((((( MIT )))))))))", MG_LIC_INVALID, 0, 0, NULL, NULL, NULL },
};

START_TEST(parse_table)
{
	struct mg_lic_expr e;
	int st = mg_license_parse(&e, parse_cases[_i].in);
	const struct mg_lic_term *t;

	ck_assert_msg(st == parse_cases[_i].state, "'%s': state %d",
	    parse_cases[_i].in, st);
	ck_assert_uint_eq(e.n, parse_cases[_i].n);
	if (e.n == 0)
		return;
	t = &e.t[e.n - 1];
	ck_assert_int_eq(t->kind, parse_cases[_i].kind);
	ck_assert_str_eq(t->key, parse_cases[_i].key);
	ck_assert_str_eq(t->name, parse_cases[_i].name);
	ck_assert_str_eq(t->exc, parse_cases[_i].exc);
}
END_TEST

/* Over the caps: unknown, never a pass; megabytes are not scanned. */
START_TEST(parse_caps)
{
	struct mg_lic_expr e;
	char *big = malloc(4 << 20), terms[512];
	size_t i;

	memset(big, 'a', 4 << 20);
	big[(4 << 20) - 1] = '\0';
	ck_assert_int_eq(mg_license_parse(&e, big), MG_LIC_TOOLONG);
	memset(big, ' ', MG_LIC_MAX_IN);
	memcpy(big + MG_LIC_MAX_IN, "MIT", 4);
	ck_assert_int_eq(mg_license_parse(&e, big), MG_LIC_TOOLONG);
	memcpy(big, "MIT", 4);
	ck_assert_int_eq(mg_license_parse(&e, big), MG_LIC_DECLARED);
	memset(big, 'a', 100);
	big[100] = '\0';
	ck_assert_int_eq(mg_license_parse(&e, big), MG_LIC_INVALID);
	free(big);
	terms[0] = '\0';
	for (i = 0; i < MG_LIC_MAX_TERMS; i++)
		strcat(terms, i == 0 ? "MIT" : " OR MIT");
	ck_assert_int_eq(mg_license_parse(&e, terms), MG_LIC_DECLARED);
	ck_assert_uint_eq(e.n, MG_LIC_MAX_TERMS);
	strcat(terms, " OR MIT");
	ck_assert_int_eq(mg_license_parse(&e, terms), MG_LIC_INVALID);
	ck_assert_uint_eq(e.n, 0);
}
END_TEST

/*
 * Every prefix and every single-bit flip of some expressions: a state, no
 * crash, and a declared one that normalises reads back as itself.
 */
START_TEST(parse_truncate_and_flip)
{
	static const char *const seeds[] = {
		"(GPL-2.0-or-later WITH Classpath-exception-2.0 OR mit) AND "
		    "LicenseRef-Llama-3.1",
		"openrail++ OR (cc-by-nc-4.0 AND bsd) OR apache-2.0+",
	};
	struct mg_lic_expr e;
	char buf[256], out[512], again[512];
	size_t k, i, n;
	int bit, st;

	for (k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		n = strlen(seeds[k]);
		for (i = 0; i <= n; i++) {
			memcpy(buf, seeds[k], i);
			buf[i] = '\0';
			st = mg_license_parse(&e, buf);
			ck_assert(st >= MG_LIC_DECLARED && st <= MG_LIC_TOOLONG);
		}
		for (i = 0; i < n; i++)
			for (bit = 0; bit < 8; bit++) {
				memcpy(buf, seeds[k], n + 1);
				buf[i] ^= (char)(1 << bit);
				st = mg_license_parse(&e, buf);
				ck_assert(st >= MG_LIC_DECLARED &&
				    st <= MG_LIC_TOOLONG);
				ck_assert_uint_le(e.n, MG_LIC_MAX_TERMS);
				if (!mg_license_normalize(buf, out, sizeof(out)))
					continue;
				ck_assert_int_eq(mg_license_normalize(out, again,
				    sizeof(again)), 1);
				ck_assert_str_eq(again, out);
			}
	}
}
END_TEST

/* Hugging Face's documented model card licence ids. */
static const char *const hf_ids[] = {
	"apache-2.0", "mit", "openrail", "openrail++",
	"bigscience-openrail-m", "creativeml-openrail-m",
	"bigscience-bloom-rail-1.0", "bigcode-openrail-m", "afl-3.0",
	"artistic-2.0", "bsl-1.0", "bsd", "bsd-2-clause", "bsd-3-clause",
	"bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0", "cc-by-2.0",
	"cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0",
	"cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0",
	"cc-by-nc-nd-3.0", "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0",
	"cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cdla-sharing-1.0",
	"cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0",
	"epl-1.0", "epl-2.0", "etalab-2.0", "eupl-1.1", "eupl-1.2",
	"agpl-3.0", "gfdl", "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1",
	"lgpl-3.0", "isc", "h-research", "intel-research", "lppl-1.3c",
	"ms-pl", "apple-ascl", "apple-amlr", "mpl-2.0", "odc-by", "odbl",
	"openmdw-1.0", "openmdw-1.1", "osl-3.0", "postgresql", "ofl-1.1",
	"ncsa", "unlicense", "zlib", "pddl", "lgpl-lr", "deepfloyd-if-license",
	"fair-noncommercial-research-license", "llama2", "llama3", "llama3.1",
	"llama3.2", "llama3.3", "llama4", "grok2-community", "gemma",
};

START_TEST(hf_ids_known)
{
	struct mg_lic_expr e;

	ck_assert_int_eq(mg_license_parse(&e, hf_ids[_i]), MG_LIC_DECLARED);
	ck_assert_uint_eq(e.n, 1);
	ck_assert_msg(e.t[0].kind != MG_LIC_UNKNOWN, "%s is unknown",
	    hf_ids[_i]);
}
END_TEST

/* No Hugging Face id draws LICENSE-UNKNOWN, whatever the policy lists. */
START_TEST(hf_ids_gate)
{
	struct outcome o = gate1(DENY("\"GPL-3.0\""), hf_ids[_i]);

	ck_assert_uint_eq(o.nunknown, 0);
}
END_TEST

/* ---- canonical text -------------------------------------------------------- */

static const struct {
	const char	*in;
	const char	*want;
} norm_cases[] = {
	{ "gpl-3.0+", "GPL-3.0-or-later" },
	{ "mit or (bsd-3-clause and apache-2.0)",
	    "MIT OR (BSD-3-Clause AND Apache-2.0)" },
	{ "GPL-2.0 with classpath-exception-2.0",
	    "GPL-2.0-only WITH Classpath-exception-2.0" },
	{ "Acme-1.0", "Acme-1.0" },
	{ "LicenseRef-Llama-2 OR BSD", "llama2 OR bsd" },
	{ "openrail++", "openrail++" },
	{ "  mit\n", "MIT" },
};

START_TEST(normalize_table)
{
	char out[256], again[256];

	ck_assert_int_eq(mg_license_normalize(norm_cases[_i].in, out,
	    sizeof(out)), 1);
	ck_assert_str_eq(out, norm_cases[_i].want);
	/* The canonical text reads back as itself (policies rely on it). */
	ck_assert_int_eq(mg_license_normalize(out, again, sizeof(again)), 1);
	ck_assert_str_eq(again, out);
}
END_TEST

START_TEST(normalize_rejects)
{
	char out[8];

	ck_assert_int_eq(mg_license_normalize("NONE", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(mg_license_normalize("other", out, sizeof(out)), 0);
	ck_assert_int_eq(mg_license_normalize("MIT OR Apache-2.0", out,
	    sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(mg_license_normalize("MIT", out, 0), 0);
	ck_assert_int_eq(mg_license_normalize("MIT", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "MIT");
}
END_TEST

/* ---- policies -------------------------------------------------------------- */

START_TEST(policy_lists_canonical)
{
	struct mg_policy *p = policy("{\"version\": 1, \"licenses\": {"
	    "\"allow\": [\"openrail++\", \"GPL\", \"LicenseRef-Llama-3\"], "
	    "\"deny\": [\"gpl-2.0+ OR cc-by-nc-4.0\"]}}");

	ck_assert_uint_eq(p->base.lic_allow.n, 3);
	ck_assert_str_eq(p->base.lic_allow.v[0], "openrail++");
	ck_assert_str_eq(p->base.lic_allow.v[1], "gpl");
	ck_assert_str_eq(p->base.lic_allow.v[2], "llama3");
	ck_assert_str_eq(p->base.lic_deny.v[0],
	    "GPL-2.0-or-later OR CC-BY-NC-4.0");
	ck_assert_ptr_nonnull(p->base.lic_allow_set);
	ck_assert_ptr_nonnull(p->base.lic_deny_set);
	mg_policy_free(p);
	p = policy("{\"version\": 1, \"licenses\": {\"allow\": []}}");
	ck_assert_ptr_null(p->base.lic_allow_set);
	mg_policy_free(p);
}
END_TEST

START_TEST(policy_list_errors)
{
	static const char *const bad[] = {
		DENY("\"NONE\""), DENY("\"other\""), ALLOW("\"Apache 2.0\""),
		ALLOW("\"NOASSERTION\""), DENY("\"MIT WITH Foo-exception\""),
	};
	struct mg_policy *p = NULL;
	char *d = tu_tmpdir(), path[4096], err[512];

	tu_write(d, "policy.json", bad[_i]);
	snprintf(path, sizeof(path), "%s/policy.json", d);
	ck_assert_int_eq(mg_policy_load(&p, path, err, sizeof(err)),
	    MG_ERR_POLICY);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err, "not a valid SPDX license expression") !=
	    NULL, "%s", err);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* ---- the gate: families, ids, unknowns, required --------------------------- */

static const struct {
	const char	*policy;
	const char	*lic;
	int		 fail;		/* verdict is fail */
	size_t		 npolicy;	/* POLICY-LICENSE findings */
	int		 unknown_sev;	/* LICENSE-UNKNOWN severity, or -1 */
} gate_cases[] = {
	/* A version covers its -only, -or-later and + forms, nothing else. */
	{ DENY("\"GPL-3.0\""), "GPL-3.0-only", 1, 1, -1 },
	{ DENY("\"GPL-3.0\""), "GPL-3.0 WITH GCC-exception-3.1", 1, 1, -1 },
	{ DENY("\"GPL-3.0\""), "GPL-3.0-with-GCC-exception", 1, 1, -1 },
	{ DENY("\"GPL-3.0\""), "GPL-2.0-only", 0, 0, -1 },
	{ DENY("\"GPL-3.0\""), "LGPL-3.0-or-later", 0, 0, -1 },
	{ DENY("\"GPL-3.0\""), "lgpl", 0, 0, -1 },
	{ DENY("\"GPL-3.0\""), "agpl", 0, 0, -1 },
	{ DENY("\"GPL-3.0-or-later\""), "gpl-3.0", 1, 1, -1 },
	{ DENY("\"GPL-2.0+\""), "GPL-2.0-only", 1, 1, -1 },
	{ DENY("\"LGPL-2.1\""), "lgpl-2.1+", 1, 1, -1 },
	{ DENY("\"LGPL-2.1\""), "lgpl", 1, 1, -1 },
	{ DENY("\"AGPL-3.0\""), "agpl", 1, 1, -1 },
	{ DENY("\"AGPL-3.0\""), "gpl", 0, 0, -1 },
	{ DENY("\"MPL-2.0\""), "mpl-2.0+", 1, 1, -1 },
	/* A family denies every member. */
	{ DENY("\"gpl\""), "GPL-2.0-or-later", 1, 1, -1 },
	{ DENY("\"gpl\""), "GPL-2.0-with-classpath-exception", 1, 1, -1 },
	{ DENY("\"gpl\""), "eCos-2.0", 1, 1, -1 },
	{ DENY("\"gpl\""), "lgpl-2.1", 0, 0, -1 },
	{ DENY("\"gpl\""), "lgpl-lr", 0, 0, -1 },
	{ DENY("\"lgpl\""), "wxWindows", 1, 1, -1 },
	{ DENY("\"gfdl\""), "GFDL-1.3-invariants-only", 1, 1, -1 },
	{ DENY("\"GFDL-1.3\""), "GFDL-1.3-no-invariants-or-later", 1, 1, -1 },
	{ DENY("\"bsd\""), "BSD-4-Clause", 1, 1, -1 },
	{ DENY("\"bsd\""), "0BSD", 1, 1, -1 },
	{ DENY("\"bsd\""), "MIT", 0, 0, -1 },
	{ DENY("\"BSD-4-Clause\""), "bsd", 1, 1, -1 },
	{ DENY("\"CC-BY-NC-4.0\""), "cc-by-nc-4.0", 1, 1, -1 },
	{ DENY("\"CC-BY-NC-4.0\""), "cc", 1, 1, -1 },
	{ DENY("\"CC-BY-NC-4.0\""), "CC-BY-4.0", 0, 0, -1 },
	{ DENY("\"cc\""), "cc0-1.0", 1, 1, -1 },
	{ DENY("\"openrail\""), "creativeml-openrail-m", 1, 1, -1 },
	{ DENY("\"openrail\""), "openrail++", 1, 1, -1 },
	{ DENY("\"openrail\""), "llama2", 0, 0, -1 },
	{ DENY("\"creativeml-openrail-m\""), "openrail", 1, 1, -1 },
	{ DENY("\"llama2\""), "LicenseRef-Llama-2", 1, 1, -1 },
	{ DENY("\"llama2\""), "llama3", 0, 0, -1 },
	/* An exception in the policy names that combination only. */
	{ DENY("\"GPL-2.0 WITH Classpath-exception-2.0\""),
	    "GPL-2.0-with-classpath-exception", 1, 1, -1 },
	{ DENY("\"GPL-2.0 WITH Classpath-exception-2.0\""), "GPL-2.0", 0, 0,
	    -1 },
	{ ALLOW("\"GPL-2.0\""), "GPL-2.0 WITH Classpath-exception-2.0", 0, 0,
	    -1 },
	{ ALLOW("\"GPL-2.0 WITH Classpath-exception-2.0\""), "GPL-2.0", 1, 1,
	    -1 },
	{ ALLOW("\"GPL-2.0 WITH Classpath-exception-2.0\""),
	    "GPL-2.0-with-classpath-exception", 0, 0, -1 },
	/* Allowlists: a family is allowed only if every member is. */
	{ ALLOW("\"GPL-3.0\""), "gpl-3.0+", 0, 0, -1 },
	{ ALLOW("\"GPL-3.0\""), "gpl", 1, 1, -1 },
	{ ALLOW("\"GPL-3.0\""), "GPL-2.0", 1, 1, -1 },
	{ ALLOW("\"GPL-1.0+\", \"GPL-2.0\", \"GPL-3.0-only\""), "gpl", 0, 0,
	    -1 },
	{ ALLOW("\"gpl\""), "gpl", 0, 0, -1 },
	{ ALLOW("\"gpl\""), "GPL-2.0+", 0, 0, -1 },
	{ ALLOW("\"gpl\""), "LGPL-2.1", 1, 1, -1 },
	{ ALLOW("\"bsd-3-clause\", \"bsd-2-clause\""), "bsd", 1, 1, -1 },
	{ ALLOW("\"Apache-2.0\", \"MIT\""), "apache-2.0", 0, 0, -1 },
	{ ALLOW("\"Apache-2.0\", \"MIT\""), "MIT AND GPL-3.0", 1, 1, -1 },
	{ ALLOW("\"Apache-2.0\", \"MIT\""), "MIT OR cc", 1, 1, -1 },
	{ ALLOW("\"MIT OR Apache-2.0\""), "apache-2.0", 0, 0, -1 },
	{ ALLOW("\"llama3\""), "LicenseRef-Llama-3", 0, 0, -1 },
	{ ALLOW("\"llama3\""), "llama3.1", 1, 1, -1 },
	{ ALLOW("\"odc-by\""), "ODC-By-1.0", 0, 0, -1 },
	/* Unknown licences: high with a list, low without, unless named. */
	{ ALLOW("\"Acme-1.0\""), "acme-1.0", 0, 0, -1 },
	{ DENY("\"Acme-1.0\""), "Acme-1.0", 1, 1, -1 },
	{ ALLOW("\"Acme-1.0\""), "Other-1.0", 1, 1, MG_SEV_HIGH },
	{ DENY("\"GPL-3.0\""), "my-license", 1, 0, MG_SEV_HIGH },
	{ DENY("\"GPL-3.0\""), "LicenseRef-GPL-3.0", 1, 0, MG_SEV_HIGH },
	{ DENY("\"GPL-3.0\""), "MIT OR other", 1, 0, MG_SEV_HIGH },
	{ DENY("\"GPL-3.0\""), "other", 1, 1, MG_SEV_HIGH },
	{ DENY("\"GPL-3.0\""), "Apache 2.0", 1, 1, MG_SEV_HIGH },
	{ NOLISTS, "my-license", 0, 0, MG_SEV_LOW },
	{ NOLISTS, "Apache 2.0", 0, 0, MG_SEV_LOW },
	{ NOLISTS, "MIT", 0, 0, -1 },
	{ REQUIRED, "my-license", 0, 0, MG_SEV_LOW },
	{ REQUIRED, "other", 1, 1, MG_SEV_LOW },
	/* A policy-named severity replaces both defaults. */
	{ "{\"version\": 1, \"rules\": {\"LICENSE-UNKNOWN\": \"low\"}, "
	    "\"licenses\": {\"deny\": [\"GPL-3.0\"]}}", "my-license", 0, 0,
	    MG_SEV_LOW },
	{ "{\"version\": 1, \"rules\": {\"LICENSE-UNKNOWN\": \"medium\"}, "
	    "\"licenses\": {\"deny\": [\"GPL-3.0\"]}}", "my-license", 0, 0,
	    MG_SEV_MED },
	{ "{\"version\": 1, \"rules\": {\"LICENSE-UNKNOWN\": {\"severity\": "
	    "\"critical\"}}}", "my-license", 1, 0, MG_SEV_CRIT },
	{ "{\"version\": 1, \"rules\": {\"LICENSE-UNKNOWN\": \"off\"}, "
	    "\"licenses\": {\"deny\": [\"GPL-3.0\"]}}", "my-license", 0, 0, -1 },
	/* Declaring nothing: only required and allowlists ask for more. */
	{ REQUIRED, NULL, 1, 1, -1 },
	{ REQUIRED, "MIT", 0, 0, -1 },
	{ ALLOW("\"MIT\""), "NONE", 1, 1, -1 },
	{ ALLOW("\"MIT\""), " ", 1, 1, -1 },
	{ DENY("\"MIT\""), "NONE", 0, 0, -1 },
	{ DENY("\"MIT\""), NULL, 0, 0, -1 },
	{ NOLISTS, "NOASSERTION", 0, 0, -1 },
};

START_TEST(gate_table)
{
	struct outcome o = gate1(gate_cases[_i].policy, gate_cases[_i].lic);

	ck_assert_msg(o.verdict == (gate_cases[_i].fail ? MG_V_FAIL :
	    MG_V_PASS), "'%s' under %s: verdict %d (%s)", gate_cases[_i].lic,
	    gate_cases[_i].policy, o.verdict, o.msg);
	ck_assert_msg(o.npolicy == gate_cases[_i].npolicy,
	    "'%s' under %s: %zu POLICY-LICENSE (%s)", gate_cases[_i].lic,
	    gate_cases[_i].policy, o.npolicy, o.msg);
	ck_assert_msg(o.unknown_sev == gate_cases[_i].unknown_sev,
	    "'%s' under %s: LICENSE-UNKNOWN severity %d", gate_cases[_i].lic,
	    gate_cases[_i].policy, o.unknown_sev);
	ck_assert_uint_le(o.nunknown, 1);
}
END_TEST

/* Over-long licence text is unknown and fails a listed policy. */
START_TEST(gate_toolong)
{
	char *big = malloc(1 << 20);
	struct outcome o;

	memset(big, 'x', 1 << 20);
	big[(1 << 20) - 1] = '\0';
	o = gate1(DENY("\"GPL-3.0\""), big);
	ck_assert_int_eq(o.verdict, MG_V_FAIL);
	ck_assert_int_eq(o.unknown_sev, MG_SEV_HIGH);
	ck_assert(strlen(o.msg) < 400);
	free(big);
}
END_TEST

/* Overrides replace the compiled lists along with the text. */
START_TEST(gate_override_lists)
{
	const char *pol = "{\"version\": 1, \"licenses\": {\"deny\": "
	    "[\"MIT\"]}, \"overrides\": [{\"paths\": [\"vendor/**\"], "
	    "\"licenses\": {\"deny\": [\"gpl\"]}}]}";

	ck_assert_int_eq(gate_at(pol, "vendor/m.gguf", "gpl-3.0+").verdict,
	    MG_V_FAIL);
	ck_assert_int_eq(gate_at(pol, "vendor/m.gguf", "MIT").verdict,
	    MG_V_PASS);
	ck_assert_int_eq(gate_at(pol, "models/m.gguf", "MIT").verdict,
	    MG_V_FAIL);
	ck_assert_int_eq(gate_at(pol, "models/m.gguf", "gpl").verdict,
	    MG_V_PASS);
}
END_TEST

/* Messages name the licence in canonical form, with its exception. */
START_TEST(gate_messages)
{
	struct outcome o = gate1(DENY("\"gpl\""),
	    "gpl-2.0+ WITH classpath-exception-2.0");

	ck_assert_str_eq(o.msg, "licence GPL-2.0-or-later WITH "
	    "Classpath-exception-2.0 is denied by the policy");
	o = gate1(NOLISTS, "cc-by-nc-4.0.0");
	ck_assert_str_eq(o.msg, "licence 'cc-by-nc-4.0.0' is neither an SPDX "
	    "id nor a known Hugging Face licence");
	o = gate1(REQUIRED, "NONE");
	ck_assert_str_eq(o.msg, "licence 'NONE' declares no licence; the "
	    "policy requires one");
}
END_TEST

Suite *
license_suite(void)
{
	Suite *s = suite_create("license");
	TCase *tc = tcase_create("hole07");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, hole07_gpl_spellings_vs_gpl3_deny, 0, 5);
	tcase_add_test(tc, hole07_agpl_plus_vs_agpl_deny);
	tcase_add_test(tc, hole07_cc_typo_vs_cc_deny);
	tcase_add_loop_test(tc, hole07_none_vs_required, 0, 6);
	tcase_add_loop_test(tc, hole07_cli, 0, 3);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, spdx_tables_sorted);
	tcase_add_loop_test(tc, parse_table, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, parse_caps);
	tcase_add_test(tc, parse_truncate_and_flip);
	tcase_add_loop_test(tc, hf_ids_known, 0,
	    (int)(sizeof(hf_ids) / sizeof(hf_ids[0])));
	tcase_add_loop_test(tc, normalize_table, 0,
	    (int)(sizeof(norm_cases) / sizeof(norm_cases[0])));
	tcase_add_test(tc, normalize_rejects);
	suite_add_tcase(s, tc);

	tc = tcase_create("gate");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, policy_lists_canonical);
	tcase_add_loop_test(tc, policy_list_errors, 0, 5);
	tcase_add_loop_test(tc, hf_ids_gate, 0,
	    (int)(sizeof(hf_ids) / sizeof(hf_ids[0])));
	tcase_add_loop_test(tc, gate_table, 0,
	    (int)(sizeof(gate_cases) / sizeof(gate_cases[0])));
	tcase_add_test(tc, gate_toolong);
	tcase_add_test(tc, gate_override_lists);
	tcase_add_test(tc, gate_messages);
	suite_add_tcase(s, tc);
	return s;
}
