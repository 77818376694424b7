/*
 * test_report.c - the spdx, spdx-json, table and hf-readme writers.
 *
 * Artifacts are built in memory and rendered into a memory stream.  The
 * SPDX tag-value output is checked by a structural checker (every line a
 * tag, required tags per document, relationships and LicenseRefs that
 * resolve); the SPDX JSON output is validated against the official SPDX
 * 2.3 JSON Schema vendored in tests/schema/ by a validator for the subset
 * of JSON Schema that file uses (it refuses any other keyword).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "jsonw.h"
#include "report.h"
#include "run.h"
#include "text.h"
#include "tutil.h"

Suite	*report_suite(void);

typedef int (*writer_fn)(FILE *, struct mg_artifact *const *, size_t,
    const struct mg_bom_info *);

static const char DIGEST[] =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

static void
info_init(struct mg_bom_info *info)
{
	memset(info, 0, sizeof(*info));
	info->generated_at = "2024-01-02T03:04:05+00:00";
	info->tool_name = "modelgate";
	info->tool_version = "0.1.0";
	info->hf_app_port = -1;
}

/* A GGUF-like artifact; license may be NULL. */
static void
art_init(struct mg_artifact *a, const char *filename, const char *license)
{
	char path[512];
	cJSON *tags;

	mg_artifact_init(a);
	snprintf(path, sizeof(path), "/models/%s", filename);
	ck_assert_int_eq(mg_artifact_setz(&a->path, path), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a->abspath, path), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a->filename, filename), MG_OK);
	a->format = &mg_fmt_gguf;
	a->size = 1536;
	memcpy(a->sha256, DIGEST, sizeof(DIGEST));
	ck_assert_int_eq(mg_artifact_setz(&a->architecture, "llama"), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a->quantization, "Q8_0"), MG_OK);
	if (license != NULL)
		ck_assert_int_eq(mg_artifact_setz(&a->license, license), MG_OK);
	a->parameter_count = 1100048384;
	a->context_length = 2048;
	a->vocab_size = 32000;
	a->have = MG_HAVE_PARAMS | MG_HAVE_CTX | MG_HAVE_VOCAB;
	a->complete = 1;
	a->metadata = cJSON_CreateObject();
	ck_assert_ptr_nonnull(a->metadata);
	cJSON_AddStringToObject(a->metadata, "general.name", "TinyLlama Chat");
	cJSON_AddStringToObject(a->metadata, "general.architecture", "llama");
	tags = cJSON_AddArrayToObject(a->metadata, "general.tags");
	cJSON_AddItemToArray(tags, cJSON_CreateString("Text Generation"));
	cJSON_AddItemToArray(tags, cJSON_CreateNumber(5));
	cJSON_AddItemToArray(tags, cJSON_CreateString("GGUF"));
}

/* Render into a NUL-terminated heap string; asserts the writer's result. */
static char *
render(writer_fn w, struct mg_artifact *const *arts, size_t n,
    const struct mg_bom_info *info)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(w(f, arts, n, info), MG_OK);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(strlen(buf), len);
	return buf;
}

static char *
render1(writer_fn w, struct mg_artifact *a, const struct mg_bom_info *info)
{
	struct mg_artifact *arts[1] = { a };

	return render(w, arts, 1, info);
}

/* The value of the first line "tag: value" at or after s, copied. */
static char *
tag_value(const char *s, const char *tag)
{
	size_t tl = strlen(tag);
	const char *p = s, *e;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, tag, tl) == 0 && p[tl] == ':' && p[tl + 1] == ' ') {
			e = strchr(p, '\n');
			return strndup(p + tl + 2, e != NULL ?
			    (size_t)(e - p - tl - 2) : strlen(p + tl + 2));
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return NULL;
}

static size_t
count_str(const char *s, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += nl;
	}
	return n;
}

/* ---- SPDX tag-value structure ------------------------------------------ */

static int
is_idstring(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-')
			return 0;
	return 1;
}

/* LicenseRef-... ids in an expression must each have a LicenseID block. */
static void
tv_check_refs(const char *doc, const char *expr)
{
	const char *p = expr;
	char id[128], want[200];
	size_t n;

	while ((p = strstr(p, "LicenseRef-")) != NULL) {
		n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789.-");
		ck_assert_uint_lt(n, sizeof(id));
		memcpy(id, p, n);
		id[n] = '\0';
		snprintf(want, sizeof(want), "\nLicenseID: %s\nExtractedText: "
		    "<text>", id);
		ck_assert_msg(strstr(doc, want) != NULL, "no block for %s", id);
		p += n;
	}
}

/*
 * One tag-value document: each line "Tag: value", <text> closed on its
 * line, the mandatory tags of SPDX 2.3 clauses 6 and 7 present once, the
 * DESCRIBES relationship pointing at the package.
 */
static void
tv_check_doc(const char *doc)
{
	static const char *const once[] = {
		"SPDXVersion", "DataLicense", "DocumentName",
		"DocumentNamespace", "Created", "PackageName",
		"PackageDownloadLocation", "FilesAnalyzed",
		"PackageLicenseConcluded", "PackageLicenseDeclared",
	};
	const char *line = doc, *nl;
	char *v, *pkg, *rel, *created, *lic;
	char want[64];
	size_t i;

	while (*line != '\0') {
		size_t len, t = 0;

		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);	/* every line ends */
		len = (size_t)(nl - line);
		ck_assert_msg(len > 0, "blank line inside a document");
		while (t < len && isalpha((unsigned char)line[t]))
			t++;
		ck_assert_msg(t > 0 && t + 2 < len && line[t] == ':' &&
		    line[t + 1] == ' ', "not a tag line: %.*s", (int)len, line);
		for (i = 0; i < len; i++)
			ck_assert_msg((unsigned char)line[i] >= 0x20 &&
			    line[i] != 0x7f, "control byte in %.*s", (int)len,
			    line);
		if (strncmp(line + t + 2, "<text>", 6) == 0)
			ck_assert_msg(len >= 7 && strncmp(nl - 7, "</text>",
			    7) == 0, "open <text>");
		line = nl + 1;
	}
	ck_assert(strncmp(doc, "SPDXVersion: SPDX-2.3\n", 22) == 0);
	for (i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		snprintf(want, sizeof(want), "\n%s: ", once[i]);
		ck_assert_msg(count_str(doc, want) + (i == 0) == 1,
		    "%s not exactly once", once[i]);
	}
	ck_assert_uint_eq(count_str(doc, "\nSPDXID: "), 2);
	ck_assert_uint_ge(count_str(doc, "\nCreator: "), 1);
	v = tag_value(doc, "DataLicense");
	ck_assert_str_eq(v, "CC0-1.0");
	free(v);
	v = tag_value(doc, "SPDXID");
	ck_assert_str_eq(v, "SPDXRef-DOCUMENT");
	free(v);
	pkg = tag_value(strstr(doc, "\nPackageName: ") + 1, "SPDXID");
	ck_assert_ptr_nonnull(pkg);
	ck_assert(strncmp(pkg, "SPDXRef-", 8) == 0 && is_idstring(pkg + 8));
	rel = tag_value(doc, "Relationship");
	snprintf(want, sizeof(want), "SPDXRef-DOCUMENT DESCRIBES ");
	ck_assert(strncmp(rel, want, strlen(want)) == 0);
	ck_assert_str_eq(rel + strlen(want), pkg);
	created = tag_value(doc, "Created");
	ck_assert_uint_eq(strlen(created), 20);
	for (i = 0; i < 20; i++)
		ck_assert(strchr("0123456789", created[i]) != NULL ||
		    created[i] == "0000-00-00T00:00:00Z"[i]);
	v = tag_value(doc, "DocumentNamespace");
	ck_assert(strncmp(v, "https://", 8) == 0 && strchr(v, ' ') == NULL &&
	    strchr(v, '#') == NULL);
	free(v);
	lic = tag_value(doc, "PackageLicenseDeclared");
	tv_check_refs(doc, lic);
	free(lic);
	lic = tag_value(doc, "PackageLicenseConcluded");
	tv_check_refs(doc, lic);
	free(lic);
	free(pkg);
	free(rel);
	free(created);
}

/* The output splits at blank lines into exactly n valid documents. */
static void
tv_check(const char *out, size_t n)
{
	char *copy = strdup(out), *p = copy, *sep;
	size_t docs = 0;

	ck_assert_ptr_nonnull(copy);
	for (;;) {
		sep = strstr(p, "\n\n");
		if (sep != NULL)
			sep[1] = '\0';
		tv_check_doc(p);
		docs++;
		if (sep == NULL)
			break;
		p = sep + 2;
	}
	ck_assert_uint_eq(docs, n);
	free(copy);
}

/* The whole license line of the one document for licence text lic. */
static char *
declared_for(const char *lic, char **out)
{
	struct mg_bom_info info;
	struct mg_artifact a;
	char *s;

	info_init(&info);
	art_init(&a, "m.gguf", lic);
	s = render1(mg_report_spdx, &a, &info);
	tv_check(s, 1);
	mg_artifact_free(&a);
	*out = s;
	return tag_value(s, "PackageLicenseDeclared");
}

START_TEST(spdx_required_tags)
{
	struct mg_bom_info info;
	struct mg_artifact a, b;
	struct mg_artifact *arts[2] = { &a, &b };
	char *s, *v;

	info_init(&info);
	art_init(&a, "tinyllama-1.1b-chat-v1.0.Q8_0.gguf", "apache-2.0");
	art_init(&b, "other.gguf", "llama3");
	b.sha256[0] = '\0';
	free(b.quantization);
	b.quantization = NULL;
	s = render(mg_report_spdx, arts, 2, &info);
	tv_check(s, 2);
	ck_assert_uint_eq(count_str(s, "SPDXVersion: SPDX-2.3\n"), 2);
	ck_assert_uint_eq(count_str(s, "PackageChecksum: SHA256: "), 1);
	ck_assert(strstr(s, "\nCreator: Tool: modelgate-0.1.0\n") != NULL);
	ck_assert(strstr(s, "\nCreated: 2024-01-02T03:04:05Z\n") != NULL);
	ck_assert(strstr(s, "\nDocumentName: modelgate-tinyllama-1.1b-chat-"
	    "v1.0.Q8_0.gguf\n") != NULL);
	ck_assert(strstr(s, "\nPackageName: tinyllama-1.1b-chat-v1.0.Q8_0\n") !=
	    NULL);
	/* l-bom's version rule: first dotted run after a separator. */
	v = tag_value(s, "PackageVersion");
	ck_assert_str_eq(v, "1.1b-chat-v1");
	free(v);
	ck_assert(strstr(s, "\nSPDXID: SPDXRef-Package-tinyllama-1.1b-chat-"
	    "v1.0.Q8-0.gguf\n") != NULL);
	ck_assert(strstr(s, "\nExternalRef: PACKAGE-MANAGER purl "
	    "pkg:generic/llm-architecture@llama\n") != NULL);
	ck_assert(strstr(s, "\nExternalRef: PACKAGE-MANAGER purl "
	    "pkg:generic/llm-quantization@Q8_0\n") != NULL);
	ck_assert_uint_eq(count_str(s, "llm-quantization"), 1);
	ck_assert(strstr(s, "\nPackageLicenseDeclared: Apache-2.0\n") != NULL);
	ck_assert(strstr(s, "\nPackageLicenseDeclared: LicenseRef-Llama-3\n") !=
	    NULL);
	ck_assert(strstr(s, "\nLicenseName: Meta Llama 3 Community License\n") !=
	    NULL);
	ck_assert_uint_eq(s[strlen(s) - 1], '\n');
	free(s);
	mg_artifact_free(&a);
	mg_artifact_free(&b);
}
END_TEST

static const struct {
	const char	*in;
	const char	*want;
} lic_cases[] = {
	{ "apache-2.0", "Apache-2.0" },
	{ "Apache-2.0", "Apache-2.0" },
	{ "mit", "MIT" },
	{ "  MIT  ", "MIT" },
	{ "cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0" },
	{ "gpl-3.0", "GPL-3.0-only" },
	{ "gpl-2.0+", "GPL-2.0-or-later" },
	{ "mit or apache-2.0", "MIT OR Apache-2.0" },
	{ "(MIT AND bsd-3-clause) OR cc0-1.0",
	    "(MIT AND BSD-3-Clause) OR CC0-1.0" },
	{ "apache-2.0 with llvm-exception", "Apache-2.0 WITH LLVM-exception" },
	{ "openrail", "LicenseRef-OpenRAIL" },
	{ "LicenseRef-Acme-1", "LicenseRef-Acme-1" },
	{ "NONE", "NONE" },
	{ NULL, "NOASSERTION" },
	{ "", "NOASSERTION" },
	{ "other", "NOASSERTION" },
	{ "see LICENSE file", "NOASSERTION" },
	{ "Apache 2.0", "NOASSERTION" },
	{ "MIT OR", "NOASSERTION" },
	{ "((MIT)", "NOASSERTION" },
	{ "MIT)", "NOASSERTION" },
	{ "MIT WITH nonsense", "NOASSERTION" },
	{ "MIT WITH LLVM-exception WITH LLVM-exception", "NOASSERTION" },
	{ "MIT\nPackageName: injected", "NOASSERTION" },
	{ "<script>alert(1)</script>", "NOASSERTION" },
	{ "https://example.com/license", "NOASSERTION" },
	{ "12345", "NOASSERTION" },
	{ "custom+", "NOASSERTION" },
	{ "DocumentRef-x:LicenseRef-y", "NOASSERTION" },
};

START_TEST(spdx_license_normalise)
{
	char *v, *s;

	v = declared_for(lic_cases[_i].in, &s);
	ck_assert_msg(v != NULL && strcmp(v, lic_cases[_i].want) == 0,
	    "licence '%s': got '%s', want '%s'", lic_cases[_i].in ?
	    lic_cases[_i].in : "(null)", v ? v : "(none)", lic_cases[_i].want);
	free(v);
	v = tag_value(s, "PackageLicenseConcluded");
	ck_assert_str_eq(v, lic_cases[_i].want);
	free(v);
	ck_assert_uint_eq(count_str(s, "\nLicenseID: "),
	    count_str(lic_cases[_i].want, "LicenseRef-"));
	free(s);
}
END_TEST

START_TEST(spdx_license_custom_block)
{
	char *v, *s;

	v = declared_for("my-custom-licence", &s);
	ck_assert_str_eq(v, "LicenseRef-my-custom-licence");
	ck_assert(strstr(s, "\nLicenseID: LicenseRef-my-custom-licence\n"
	    "ExtractedText: <text>my-custom-licence</text>\n"
	    "LicenseName: my-custom-licence\n") != NULL);
	free(v);
	free(s);
	/* The same ref twice gets one block. */
	v = declared_for("custom OR (custom AND mit)", &s);
	ck_assert_str_eq(v, "LicenseRef-custom OR (LicenseRef-custom AND MIT)");
	ck_assert_uint_eq(count_str(s, "\nLicenseID: LicenseRef-custom\n"), 1);
	free(v);
	free(s);
}
END_TEST

START_TEST(spdx_deterministic_namespace)
{
	struct mg_bom_info info;
	struct mg_artifact a;
	char *s1, *s2, *s3, *ns, *u;
	size_t i;

	info_init(&info);
	art_init(&a, "model.gguf", "mit");
	s1 = render1(mg_report_spdx, &a, &info);
	s2 = render1(mg_report_spdx, &a, &info);
	ck_assert_str_eq(s1, s2);
	ns = tag_value(s1, "DocumentNamespace");
	ck_assert(strncmp(ns, "https://spdx.org/spdxdocs/modelgate-model.gguf-",
	    47) == 0);
	/* A UUID shape: 8-4-4-4-12 lowercase hex, version 5, RFC variant. */
	u = ns + 47;
	ck_assert_uint_eq(strlen(u), 36);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			ck_assert_int_eq(u[i], '-');
		else
			ck_assert(strchr("0123456789abcdef", u[i]) != NULL);
	}
	ck_assert_int_eq(u[14], '5');
	ck_assert(strchr("89ab", u[19]) != NULL);
	/* Any input change moves it. */
	info.generated_at = "2024-01-02T03:04:06+00:00";
	s3 = render1(mg_report_spdx, &a, &info);
	ck_assert(strstr(s3, ns) == NULL);
	free(s3);
	info.generated_at = "2024-01-02T03:04:05+00:00";
	a.sha256[0] = '0';
	s3 = render1(mg_report_spdx, &a, &info);
	ck_assert(strstr(s3, ns) == NULL);
	free(s3);
	/* And the JSON encoding names the same namespace. */
	memcpy(a.sha256, DIGEST, sizeof(DIGEST));
	s3 = render1(mg_report_spdx_json, &a, &info);
	ck_assert(strstr(s3, ns) != NULL);
	free(s3);
	free(ns);
	free(s1);
	free(s2);
	mg_artifact_free(&a);
}
END_TEST

START_TEST(spdx_hostile_values)
{
	struct mg_bom_info info;
	struct mg_artifact a;
	char *s, *v;

	info_init(&info);
	art_init(&a, "evil\nPackageName: pwned\r\x1b[2J</text>\xc2\x85"
	    "\xe2\x80\xae.gguf", "mit");
	ck_assert_int_eq(mg_artifact_setz(&a.architecture, "llama 2/x?y"),
	    MG_OK);
	s = render1(mg_report_spdx, &a, &info);
	tv_check(s, 1);
	ck_assert(strstr(s, "\nPackageName: pwned") == NULL);
	ck_assert(strchr(s, '\x1b') == NULL && strchr(s, '\r') == NULL);
	ck_assert(strstr(s, "</text>\\") == NULL);
	v = tag_value(s, "PackageFileName");
	ck_assert_str_eq(v, "evil\\x0aPackageName: pwned\\x0d\\x1b[2J\\x3c/text>"
	    "\\u{0085}\\u{202e}.gguf");
	free(v);
	ck_assert(strstr(s, "pkg:generic/llm-architecture@llama%202%2Fx%3Fy\n")
	    != NULL);
	free(s);
	mg_artifact_free(&a);
}
END_TEST

START_TEST(spdx_no_artifacts)
{
	struct mg_bom_info info;
	char *s;

	info_init(&info);
	s = render(mg_report_spdx, NULL, 0, &info);
	ck_assert_str_eq(s, "");
	free(s);
	s = render(mg_report_spdx_json, NULL, 0, &info);
	ck_assert_str_eq(s, "[]\n");
	free(s);
}
END_TEST

/* ---- SPDX JSON against the official schema ----------------------------- */

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    len > 4 * 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0 ||
	    (buf = malloc((size_t)len + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* tests/schema/spdx-schema-2.3.json, found beside MG_GOLDEN or from cwd. */
static cJSON *
load_schema(void)
{
	const char *g = getenv("MG_GOLDEN");
	char path[4096], *text = NULL, *slash;
	cJSON *j;

	if (g != NULL && strlen(g) < sizeof(path) - 64) {
		snprintf(path, sizeof(path), "%s", g);
		if ((slash = strrchr(path, '/')) != NULL) {
			snprintf(slash, sizeof(path) - (size_t)(slash - path),
			    "/schema/spdx-schema-2.3.json");
			text = slurp(path);
		}
	}
	if (text == NULL)
		text = slurp("tests/schema/spdx-schema-2.3.json");
	ck_assert_msg(text != NULL, "tests/schema/spdx-schema-2.3.json missing");
	j = cJSON_Parse(text);
	free(text);
	ck_assert_ptr_nonnull(j);
	return j;
}

static int
type_ok(const char *t, const cJSON *v)
{
	if (strcmp(t, "object") == 0)
		return cJSON_IsObject(v);
	if (strcmp(t, "array") == 0)
		return cJSON_IsArray(v);
	if (strcmp(t, "string") == 0)
		return cJSON_IsString(v);
	if (strcmp(t, "boolean") == 0)
		return cJSON_IsBool(v);
	if (strcmp(t, "number") == 0)
		return cJSON_IsNumber(v);
	if (strcmp(t, "integer") == 0)
		return cJSON_IsNumber(v) && floor(v->valuedouble) ==
		    v->valuedouble;
	if (strcmp(t, "null") == 0)
		return cJSON_IsNull(v);
	return 0;
}

/*
 * Validate v against schema s (draft-07 subset).  Returns 0, or -1 with
 * the first error in err.
 */
static int
validate(const cJSON *s, const cJSON *v, const char *where, char *err,
    size_t errlen)
{
	const cJSON *k, *p, *e;
	char sub[512];

	cJSON_ArrayForEach(k, s) {
		const char *kw = k->string;

		if (strcmp(kw, "$schema") == 0 || strcmp(kw, "$id") == 0 ||
		    strcmp(kw, "title") == 0 || strcmp(kw, "description") == 0 ||
		    strcmp(kw, "$comment") == 0 || strcmp(kw, "properties") == 0 ||
		    strcmp(kw, "additionalProperties") == 0)
			continue;
		if (strcmp(kw, "type") == 0) {
			if (!cJSON_IsString(k) || !type_ok(k->valuestring, v)) {
				snprintf(err, errlen, "%s: not of type %s", where,
				    cJSON_IsString(k) ? k->valuestring : "?");
				return -1;
			}
		} else if (strcmp(kw, "required") == 0) {
			cJSON_ArrayForEach(e, k)
				if (cJSON_IsObject(v) &&
				    !cJSON_HasObjectItem(v, e->valuestring)) {
					snprintf(err, errlen, "%s: missing %s",
					    where, e->valuestring);
					return -1;
				}
		} else if (strcmp(kw, "enum") == 0) {
			int found = 0;

			cJSON_ArrayForEach(e, k)
				found |= cJSON_Compare(e, v, 1);
			if (!found) {
				snprintf(err, errlen, "%s: not in enum", where);
				return -1;
			}
		} else if (strcmp(kw, "minItems") == 0) {
			if (cJSON_IsArray(v) &&
			    cJSON_GetArraySize(v) < k->valueint) {
				snprintf(err, errlen, "%s: too few items", where);
				return -1;
			}
		} else if (strcmp(kw, "items") == 0) {
			int i = 0;

			if (!cJSON_IsObject(k)) {
				snprintf(err, errlen, "%s: tuple items", where);
				return -1;
			}
			if (cJSON_IsArray(v))
				cJSON_ArrayForEach(e, v) {
					snprintf(sub, sizeof(sub), "%s[%d]", where,
					    i++);
					if (validate(k, e, sub, err, errlen) != 0)
						return -1;
				}
		} else {
			snprintf(err, errlen, "%s: unsupported keyword %s", where,
			    kw);
			return -1;
		}
	}
	if (!cJSON_IsObject(v))
		return 0;
	p = cJSON_GetObjectItemCaseSensitive(s, "properties");
	k = cJSON_GetObjectItemCaseSensitive(s, "additionalProperties");
	cJSON_ArrayForEach(e, v) {
		const cJSON *ps = p != NULL ?
		    cJSON_GetObjectItemCaseSensitive(p, e->string) : NULL;

		snprintf(sub, sizeof(sub), "%s.%s", where, e->string);
		if (ps == NULL && cJSON_IsFalse(k)) {
			snprintf(err, errlen, "%s: not allowed", sub);
			return -1;
		}
		if (ps == NULL && cJSON_IsObject(k))
			ps = k;
		if (ps != NULL && validate(ps, e, sub, err, errlen) != 0)
			return -1;
	}
	return 0;
}

static void
schema_ok(const cJSON *schema, const cJSON *doc)
{
	char err[600] = "";

	ck_assert_msg(validate(schema, doc, "$", err, sizeof(err)) == 0,
	    "schema: %s", err);
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	ck_assert_msg(cJSON_IsString(v), "%s not a string", k);
	return v->valuestring;
}

START_TEST(spdx_json_schema)
{
	struct mg_bom_info info;
	struct mg_artifact a, b;
	struct mg_artifact *arts[2] = { &a, &b };
	cJSON *schema = load_schema(), *doc, *pkg, *x, *arr;
	char *s, *t, err[600];

	info_init(&info);
	art_init(&a, "tiny\n\"q\".gguf", "apache-2.0 OR llama3");
	art_init(&b, "b.safetensors", "garbage licence!");
	b.format = &mg_fmt_safetensors;
	b.sha256[0] = '\0';
	free(b.architecture);
	free(b.quantization);
	b.architecture = b.quantization = NULL;

	/* One model: one document object. */
	s = render1(mg_report_spdx_json, &a, &info);
	doc = cJSON_Parse(s);
	ck_assert_ptr_nonnull(doc);
	ck_assert(cJSON_IsObject(doc));
	schema_ok(schema, doc);
	ck_assert_str_eq(jstr(doc, "spdxVersion"), "SPDX-2.3");
	ck_assert_str_eq(jstr(doc, "dataLicense"), "CC0-1.0");
	ck_assert_str_eq(jstr(doc, "SPDXID"), "SPDXRef-DOCUMENT");
	ck_assert_str_eq(jstr(doc, "name"), "modelgate-tiny\\x0a\"q\".gguf");
	ck_assert(strncmp(jstr(doc, "documentNamespace"), "https://", 8) == 0);
	x = cJSON_GetObjectItemCaseSensitive(doc, "creationInfo");
	ck_assert_str_eq(jstr(x, "created"), "2024-01-02T03:04:05Z");
	ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(x,
	    "creators"), 0)->valuestring, "Tool: modelgate-0.1.0");
	pkg = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc,
	    "packages"), 0);
	ck_assert_ptr_nonnull(pkg);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(pkg,
	    "filesAnalyzed")));
	ck_assert_str_eq(jstr(pkg, "downloadLocation"), "NOASSERTION");
	ck_assert_str_eq(jstr(pkg, "licenseDeclared"),
	    "Apache-2.0 OR LicenseRef-Llama-3");
	ck_assert_str_eq(jstr(pkg, "licenseConcluded"),
	    "Apache-2.0 OR LicenseRef-Llama-3");
	x = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(pkg,
	    "checksums"), 0);
	ck_assert_str_eq(jstr(x, "algorithm"), "SHA256");
	ck_assert_str_eq(jstr(x, "checksumValue"), DIGEST);
	arr = cJSON_GetObjectItemCaseSensitive(pkg, "externalRefs");
	ck_assert_int_eq(cJSON_GetArraySize(arr), 2);
	x = cJSON_GetArrayItem(arr, 0);
	ck_assert_str_eq(jstr(x, "referenceCategory"), "PACKAGE-MANAGER");
	ck_assert_str_eq(jstr(x, "referenceType"), "purl");
	ck_assert_str_eq(jstr(x, "referenceLocator"),
	    "pkg:generic/llm-architecture@llama");
	x = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc,
	    "relationships"), 0);
	ck_assert_str_eq(jstr(x, "spdxElementId"), "SPDXRef-DOCUMENT");
	ck_assert_str_eq(jstr(x, "relationshipType"), "DESCRIBES");
	ck_assert_str_eq(jstr(x, "relatedSpdxElement"), jstr(pkg, "SPDXID"));
	x = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc,
	    "hasExtractedLicensingInfos"), 0);
	ck_assert_str_eq(jstr(x, "licenseId"), "LicenseRef-Llama-3");
	ck_assert_str_eq(jstr(x, "extractedText"), "llama3");

	/* The validator is not a rubber stamp. */
	cJSON_AddStringToObject(pkg, "modelgateExtra", "x");
	ck_assert_int_eq(validate(schema, doc, "$", err, sizeof(err)), -1);
	cJSON_DeleteItemFromObject(pkg, "modelgateExtra");
	schema_ok(schema, doc);
	cJSON_DeleteItemFromObject(doc, "SPDXID");
	ck_assert_int_eq(validate(schema, doc, "$", err, sizeof(err)), -1);
	cJSON_Delete(doc);

	/* Several models: an array of documents, each valid on its own. */
	t = render(mg_report_spdx_json, arts, 2, &info);
	doc = cJSON_Parse(t);
	ck_assert(cJSON_IsArray(doc));
	ck_assert_int_eq(cJSON_GetArraySize(doc), 2);
	cJSON_ArrayForEach(x, doc)
		schema_ok(schema, x);
	x = cJSON_GetArrayItem(doc, 1);
	pkg = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(x,
	    "packages"), 0);
	ck_assert_str_eq(jstr(pkg, "licenseDeclared"), "NOASSERTION");
	ck_assert(!cJSON_HasObjectItem(pkg, "checksums"));
	ck_assert(!cJSON_HasObjectItem(pkg, "externalRefs"));
	ck_assert(!cJSON_HasObjectItem(x, "hasExtractedLicensingInfos"));
	ck_assert_str_ne(jstr(x, "documentNamespace"), jstr(cJSON_GetArrayItem(
	    doc, 0), "documentNamespace"));
	cJSON_Delete(doc);
	free(t);
	free(s);
	cJSON_Delete(schema);
	mg_artifact_free(&a);
	mg_artifact_free(&b);
}
END_TEST

/* ---- table --------------------------------------------------------------- */

/* Every ESC must start one of the writer's own SGR sequences. */
static void
only_sgr(const char *s)
{
	static const char *const sgr[] = { "\033[1m", "\033[1;36m", "\033[33m",
	    "\033[0m" };
	size_t i;
	int ok;

	for (; (s = strchr(s, '\033')) != NULL; s++) {
		ok = 0;
		for (i = 0; i < sizeof(sgr) / sizeof(sgr[0]); i++)
			ok |= strncmp(s, sgr[i], strlen(sgr[i])) == 0;
		ck_assert_msg(ok, "foreign escape: %.8s", s);
	}
}

START_TEST(table_escapes_and_aligns)
{
	struct mg_bom_info info;
	struct mg_artifact a;
	char *s, *line;
	size_t i;

	info_init(&info);
	art_init(&a, "evil\033]0;pwned\007\033[2J\r\b.gguf", "mit");
	ck_assert_int_eq(mg_artifact_setz(&a.dtype, "f\xc3\xa4\xc2\x9b"), MG_OK);
	ck_assert_int_eq(mg_artifact_add(&a, MG_R_IO_READ, MG_FINDING_NO_OFFSET,
	    NULL, "read failed \033[31mred"), MG_OK);
	s = render1(mg_report_table, &a, &info);
	for (i = 0; s[i] != '\0'; i++)
		ck_assert_msg((unsigned char)s[i] >= 0x20 || s[i] == '\n',
		    "raw control 0x%02x at %zu", (unsigned char)s[i], i);
	ck_assert(strstr(s, "evil\\x1b]0;pwned\\x07\\x1b[2J\\x0d\\x08.gguf") !=
	    NULL);
	ck_assert(strstr(s, "\\u{009b}") != NULL);
	/* The widest field set here is file_size_bytes (15 columns). */
	ck_assert(strstr(s, "\nformat           gguf\n") != NULL);
	ck_assert(strstr(s, "\nmodel_filename   evil") != NULL);
	ck_assert(strstr(s, "\ndtype            f\xc3\xa4\\u{009b}\n") != NULL);
	ck_assert(strstr(s, "\nwarnings         IO-READ (high): read failed "
	    "\\x1b[31mred\n") != NULL);
	ck_assert(strstr(s, "\nmetadata         3 keys\n") != NULL);
	ck_assert(strstr(s, "\nsha256           " "9f86d0") != NULL);
	/* l-bom's order. */
	ck_assert(strstr(s, "model_path") < strstr(s, "model_filename"));
	ck_assert(strstr(s, "quantization") < strstr(s, "dtype"));
	ck_assert(strstr(s, "vocab_size") < strstr(s, "license"));
	ck_assert(strstr(s, "license") < strstr(s, "warnings"));
	ck_assert(strstr(s, "base_model") == NULL);
	line = strstr(s, "\nField");
	ck_assert(line != NULL && strncmp(line, "\nField            Value\n",
	    23) == 0);
	free(s);

	info.color = 1;
	s = render1(mg_report_table, &a, &info);
	only_sgr(s);
	ck_assert(strstr(s, "\033[1;36mField") != NULL);
	ck_assert(strstr(s, "\033[33mIO-READ (high)") != NULL);
	free(s);
	mg_artifact_free(&a);
}
END_TEST

/* The table is printed to terminals and CI logs: no forged commands. */
START_TEST(hole10_table_defuses_workflow_commands)
{
	struct mg_bom_info info;
	struct mg_artifact a;
	const char *p;
	char *s;

	info_init(&info);
	art_init(&a, "::error title=x::All models verified.gguf", "mit");
	ck_assert_int_eq(mg_artifact_setz(&a.architecture, "##[error]x"),
	    MG_OK);
	ck_assert_int_eq(mg_artifact_add(&a, MG_R_GGUF_KEY, 1, NULL,
	    "key\n  ::warning::forged"), MG_OK);
	s = render1(mg_report_table, &a, &info);
	ck_assert_ptr_null(strstr(s, "##["));
	for (p = s; p != NULL; p = strchr(p, '\n')) {
		while (*p == '\n' || *p == ' ')
			p++;
		ck_assert_msg(strncmp(p, "::", 2) != 0, "%s", s);
	}
	ck_assert_ptr_nonnull(strstr(s, ":\\x3aerror title=x:\\x3aAll models"));
	ck_assert_ptr_nonnull(strstr(s, "#\\x23[error]x"));
	free(s);
	mg_artifact_free(&a);
}
END_TEST

/*
 * The JSON bill of materials: names that are not UTF-8 keep their bytes
 * (\udcNN), valid names print as before.
 */
START_TEST(hole15_bom_json_exact_names)
{
	struct mg_bom_info info;
	struct mg_artifact a, b;
	struct mg_artifact *arts[2] = { &a, &b };
	char *s;

	info_init(&info);
	art_init(&a, "a\xff.gguf", "mit");
	art_init(&b, "a\xfe.gguf", "mit");
	ck_assert_int_eq(mg_artifact_add(&a, MG_R_GGUF_KEY, 1, "k\xff", "m"),
	    MG_OK);
	s = render(mg_report_json, arts, 2, &info);
	ck_assert_ptr_nonnull(strstr(s, "\"/models/a\\udcff.gguf\""));
	ck_assert_ptr_nonnull(strstr(s, "\"/models/a\\udcfe.gguf\""));
	ck_assert_ptr_nonnull(strstr(s, "\"a\\udcff.gguf\""));
	ck_assert_ptr_nonnull(strstr(s, "\"a\\udcfe.gguf\""));
	ck_assert_ptr_nonnull(strstr(s, "\"k\\udcff\""));
	ck_assert_ptr_null(strstr(s, "\xef\xbf\xbd.gguf"));
	free(s);
	mg_artifact_free(&a);
	mg_artifact_free(&b);
}
END_TEST

/* ---- the streamed JSON document against cJSON_Print of its tree -------- */

/* What the bom command printed before streaming: cJSON_Print of the tree. */
static char *
tree_text(const struct mg_artifact *a, const struct mg_bom_info *info)
{
	cJSON *d = mg_bom_json_doc(a, info);
	char *s;

	ck_assert_ptr_nonnull(d);
	s = mg_json_defuse(cJSON_Print(d));
	cJSON_Delete(d);
	ck_assert_ptr_nonnull(s);
	return s;
}

/*
 * Stream a's document as the bom command does (the head by
 * mg_bom_json_prerender, then the report with its tail) and compare.
 */
static void
stream_matches_tree(struct mg_artifact *a, const struct mg_bom_info *info)
{
	struct mg_bom_info one = *info;
	char *want = tree_text(a, info), *got = NULL;
	size_t n = 0;
	struct mg_jsonw w;
	cJSON *d;
	FILE *f;
	int err;

	/* Compact, as the server writes it: cJSON_PrintUnformatted's text. */
	ck_assert_ptr_nonnull(d = mg_bom_json_doc(a, info));
	ck_assert_ptr_nonnull(got = cJSON_PrintUnformatted(d));
	cJSON_Delete(d);
	mg_jsonw_init(&w, NULL, 0, 1u << 24);
	mg_jsonw_compact(&w);
	mg_bom_json_write(&w, a, info);
	{
		char *c = mg_jsonw_take(&w, &err);

		ck_assert_int_eq(err, MG_OK);
		ck_assert_msg(strcmp(c, got) == 0, "%s: compact document "
		    "differs:\n%s\n--- tree ---\n%s", a->path, c, got);
		free(c);
	}
	mg_jsonw_free(&w);
	cJSON_free(got);
	got = NULL;

	one.single = 1;
	ck_assert_int_eq(mg_bom_json_prerender(a, info), MG_OK);
	ck_assert_ptr_nonnull(a->rendered);
	ck_assert_ptr_null(a->metadata);
	ck_assert_ptr_nonnull(f = open_memstream(&got, &n));
	ck_assert_int_eq(mg_report_json(f, &a, 1, &one), MG_OK);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_msg(n > 0 && got[n - 1] == '\n', "%s: no final newline",
	    a->path);
	got[n - 1] = '\0';
	ck_assert_msg(strcmp(got, want) == 0,
	    "%s: streamed document differs:\n%s\n--- tree ---\n%s", a->path,
	    got, want);
	free(got);
	free(want);
}

/*
 * Every shape cJSON_Print has a rule for: nested and empty objects and
 * arrays, objects inside arrays, escapes, controls, DEL and bytes above
 * 0x7f, "##[", numbers of type cJSON_Number, raw text, names that are not
 * UTF-8, findings with and without key and offset.
 */
START_TEST(bom_json_stream_matches_tree)
{
	struct mg_bom_info info;
	struct mg_artifact a, b;
	cJSON *m, *o, *arr;

	info_init(&info);
	art_init(&a, "a\xff\x01\"b.gguf", "mit \xe4\xb8 ##[x");
	m = a.metadata;
	cJSON_AddStringToObject(m, "k\"\\\b\f\n\r\t\x01\x1f\x7f\xc3\xa9",
	    "v\"\\\b\f\n\r\t\x02\x7f ##[ ###[ #[ ##");
	cJSON_AddItemToObject(m, "empty_obj", cJSON_CreateObject());
	cJSON_AddItemToObject(m, "empty_arr", cJSON_CreateArray());
	o = cJSON_AddObjectToObject(m, "nested");
	cJSON_AddNullToObject(o, "n");
	cJSON_AddTrueToObject(o, "t");
	cJSON_AddFalseToObject(o, "f");
	cJSON_AddNumberToObject(o, "int", 42);
	cJSON_AddNumberToObject(o, "neg", -7);
	cJSON_AddNumberToObject(o, "frac", 0.1);
	cJSON_AddNumberToObject(o, "big", 1e300);
	cJSON_AddNumberToObject(o, "huge", 12345678901234567890.0);
	cJSON_AddRawToObject(o, "raw", "9007199254740993");
	arr = cJSON_AddArrayToObject(o, "objs");
	cJSON_AddItemToArray(arr, cJSON_CreateObject());
	cJSON_AddItemToArray(arr, o = cJSON_CreateObject());
	cJSON_AddItemToObject(o, "inner", cJSON_CreateArray());
	cJSON_AddItemToArray(cJSON_GetObjectItem(o, "inner"),
	    cJSON_CreateString("x"));
	cJSON_AddItemToArray(cJSON_GetObjectItem(o, "inner"),
	    cJSON_CreateArray());
	cJSON_AddStringToObject(o, "deep", "##[y]");
	ck_assert_int_eq(mg_artifact_add(&a, MG_R_GGUF_KEY, 7, "k\xff##[",
	    "bad \xff key \x01 ##[z"), MG_OK);
	ck_assert_int_eq(mg_artifact_add(&a, MG_R_HASH_SKIPPED,
	    MG_FINDING_NO_OFFSET, NULL, "skipped"), MG_OK);
	stream_matches_tree(&a, &info);
	ck_assert_ptr_null(a.metadata);

	/* No metadata, no findings, nothing optional. */
	mg_artifact_init(&b);
	ck_assert_int_eq(mg_artifact_setz(&b.path, "rel/b.bin"), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&b.filename, "b.bin"), MG_OK);
	b.format = &mg_fmt_gguf;
	stream_matches_tree(&b, &info);
	mg_artifact_free(&a);
	mg_artifact_free(&b);
}
END_TEST

/*
 * Strings of every length up to 40 with a byte that needs an escape (or
 * none) at every place: the word-at-a-time test of the writer must agree
 * with cJSON's byte loop, the short lengths and the last word included.
 */
START_TEST(jsonw_str_matches_cjson)
{
	static const unsigned char odd[] = {
		'"', '\\', '\n', '\t', 0x01, 0x1f, 0x20, 0x7f, 0x80, 0xff, 'a'
	};
	char s[48], buf[256], *got, *want;
	struct mg_jsonw w;
	size_t n, at, k;
	cJSON *item;
	int err;

	for (n = 0; n <= 40; n++)
		for (at = 0; at <= n; at++)
			for (k = 0; k < sizeof(odd); k++) {
				memset(s, 'x', n);
				if (at < n)
					s[at] = (char)odd[k];
				s[n] = '\0';
				mg_jsonw_init(&w, buf, sizeof(buf), 1u << 20);
				mg_jsonw_str(&w, s);
				got = mg_jsonw_finish(&w, &err);
				mg_jsonw_free(&w);
				ck_assert_ptr_nonnull(got);
				item = cJSON_CreateString(s);
				want = cJSON_PrintUnformatted(item);
				ck_assert_msg(strcmp(got, want) == 0,
				    "n %zu at %zu byte %02x: %s against %s", n,
				    at, odd[k], got, want);
				cJSON_free(want);
				cJSON_Delete(item);
				free(got);
			}
}
END_TEST

/*
 * A finding added after the worker wrote the head (the repository checks
 * run after every file is read) is in the report: the tail is written
 * with the report.
 */
START_TEST(bom_json_tail_after_head)
{
	struct mg_bom_info info;
	struct mg_artifact x, y, *px = &x;
	char *want, *got = NULL;
	size_t n = 0;
	FILE *f;

	info_init(&info);
	info.single = 1;
	art_init(&x, "m/model.gguf", "mit");
	art_init(&y, "m/model.gguf", "mit");
	cJSON_AddStringToObject(x.metadata, "general.name", "##[n");
	cJSON_AddStringToObject(y.metadata, "general.name", "##[n");
	ck_assert_int_eq(mg_artifact_add(&y, MG_R_TEMPLATE_VARIANT,
	    MG_FINDING_NO_OFFSET, "tokenizer.chat_template", "late ##[t"),
	    MG_OK);
	want = tree_text(&y, &info);
	ck_assert_int_eq(mg_bom_json_prerender(&x, &info), MG_OK);
	ck_assert_int_eq(mg_artifact_add(&x, MG_R_TEMPLATE_VARIANT,
	    MG_FINDING_NO_OFFSET, "tokenizer.chat_template", "late ##[t"),
	    MG_OK);
	ck_assert_ptr_nonnull(f = open_memstream(&got, &n));
	ck_assert_int_eq(mg_report_json(f, &px, 1, &info), MG_OK);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_uint_gt(n, 0);
	got[n - 1] = '\0';
	ck_assert_str_eq(got, want);
	ck_assert_ptr_null(strstr(got, "##["));
	free(got);
	free(want);
	mg_artifact_free(&x);
	mg_artifact_free(&y);
}
END_TEST

/* Every fixture the suite ships, scanned, streamed and printed as a tree. */
START_TEST(bom_json_stream_matches_tree_fixtures)
{
	struct mg_bom_info info;
	struct mg_run_opts ro;
	struct mg_run run;
	char *roots[1];
	size_t i;

	info_init(&info);
	memset(&ro, 0, sizeof(ro));
	ro.jobs = 2;
	roots[0] = (char *)tu_env("MG_FIXTURES");
	ck_assert_int_eq(mg_run_scan(&run, roots, 1, &ro), MG_OK);
	ck_assert_uint_gt(run.n, 50);
	for (i = 0; i < run.n; i++)
		stream_matches_tree(run.arts[i], &info);
	mg_run_free(&run);
}
END_TEST

START_TEST(table_empty_and_many)
{
	struct mg_bom_info info;
	struct mg_artifact a, b;
	struct mg_artifact *arts[2] = { &a, &b };
	char *s;

	info_init(&info);
	s = render(mg_report_table, NULL, 0, &info);
	ck_assert_str_eq(s, "No model files found.\n");
	free(s);
	art_init(&a, "a.gguf", NULL);
	art_init(&b, "b.gguf", NULL);
	ck_assert_int_eq(mg_artifact_setz(&b.training_framework, "pytorch"),
	    MG_OK);
	s = render(mg_report_table, arts, 2, &info);
	ck_assert(strncmp(s, "a.gguf\n", 7) == 0);
	ck_assert(strstr(s, "\n\nb.gguf\n") != NULL);
	/* The second table is wider: training_framework is 18 columns. */
	ck_assert(strstr(s, "\nformat              gguf\n") != NULL);
	ck_assert(strstr(s, "\nformat           gguf\n") != NULL);
	ck_assert(strchr(s, '\033') == NULL);
	free(s);
	mg_artifact_free(&a);
	mg_artifact_free(&b);
}
END_TEST

/* ---- hf-readme ---------------------------------------------------------- */

/* The front matter: from the first "---" line to the next. */
static char *
front(const char *s)
{
	const char *e;

	ck_assert(strncmp(s, "---\n", 4) == 0);
	e = strstr(s + 4, "\n---\n");
	ck_assert_ptr_nonnull(e);
	return strndup(s + 4, (size_t)(e - s - 3));
}

/* Each front-matter line is "key: <scalar>", "key:" or "  - <scalar>"
 * where a string scalar is double-quoted with only escaped quotes inside. */
static void
yaml_lines_ok(const char *fm)
{
	const char *line = fm, *nl, *v;

	for (; *line != '\0'; line = nl + 1) {
		size_t len, i;

		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		len = (size_t)(nl - line);
		if (strncmp(line, "  - ", 4) == 0)
			v = line + 4;
		else {
			for (i = 0; i < len && (islower((unsigned char)line[i]) ||
			    line[i] == '_'); i++)
				;
			ck_assert_msg(i > 0 && i < len && line[i] == ':',
			    "bad key line %.*s", (int)len, line);
			if (i + 1 == len)
				continue;
			ck_assert(line[i + 1] == ' ');
			v = line + i + 2;
		}
		if (*v != '"') {
			for (; v < nl; v++)
				ck_assert(isdigit((unsigned char)*v));
			continue;
		}
		ck_assert(nl[-1] == '"' && nl - 1 > v);
		for (v++; v < nl - 1; v++) {
			ck_assert((unsigned char)*v >= 0x20);
			if (*v == '\\')
				v++;
			else
				ck_assert_msg(*v != '"', "raw quote: %.*s",
				    (int)len, line);
		}
		ck_assert(v == nl - 1);
	}
}

START_TEST(hfreadme_hostile_title)
{
	struct mg_bom_info info;
	struct mg_artifact a;
	struct mg_artifact *arts[1] = { &a };
	char *s, *fm;

	info_init(&info);
	art_init(&a, "tiny.Q8_0.gguf", "apache-2.0");
	cJSON_ReplaceItemInObjectCaseSensitive(a.metadata, "general.name",
	    cJSON_CreateString("- x: y # z\n---\n\"q\" \\ \033[2J"));
	ck_assert_int_eq(mg_artifact_setz(&a.base_model, "org/base|x`y"),
	    MG_OK);
	s = render1(mg_report_hfreadme, &a, &info);
	fm = front(s);
	yaml_lines_ok(fm);
	ck_assert(strstr(fm, "title: \"- x: y # z\\n---\\n\\\"q\\\" \\\\ "
	    "\\x1b[2J\"\n") != NULL);
	ck_assert(strstr(fm, "models:\n  - \"org/base|x`y\"\n") != NULL);
	ck_assert(strstr(fm, "tags:\n  - \"text-generation\"\n  - \"gguf\"\n"
	    "  - \"llama\"\n  - \"q8_0\"\n") != NULL);
	ck_assert(strstr(fm, "short_description: \"GGUF model artifact for - x: "
	    "y # z\\n---\\n\\\"q\\\" \\\\ \\x1b[2J with 1.10B parameters, Q8_0, "
	    "2.05K context\"\n") != NULL);
	ck_assert(strstr(fm, "sdk:") == NULL && strstr(fm, "app_port") == NULL);
	/* Exactly two "---" lines: the title cannot end the front matter. */
	ck_assert_uint_eq(count_str(s, "\n---\n") + (strncmp(s, "---\n", 4) ==
	    0), 2);
	ck_assert(strchr(s, '\033') == NULL);
	/* Markdown: one heading line, escaped; the cell keeps its pipe. */
	ck_assert(strstr(s, "\n\n# \\- x: y # z\\x0a---\\x0a\"q\" \\\\ "
	    "\\x1b\\[2J\n\n") != NULL);
	ck_assert(strstr(s, "| Base model | ``org/base\\|x`y`` |\n") != NULL);
	ck_assert(strstr(s, "| Filename | `tiny.Q8_0.gguf` |\n") != NULL);
	ck_assert(strstr(s, "| File size | `1.50 KiB` (1,536 bytes) |\n") !=
	    NULL);
	ck_assert(strstr(s, "| Parameters | `1,100,048,384` (1.10B) |\n") !=
	    NULL);
	ck_assert(strstr(s, "| License | `apache-2.0` |\n") != NULL);
	ck_assert(strstr(s, "| Tags | `text-generation`, `gguf`, `llama`, "
	    "`q8_0` |\n") != NULL);
	ck_assert(strstr(s, "## Warnings") == NULL);
	free(fm);
	free(s);
	/* Exactly one artifact. */
	{
		FILE *f = fopen("/dev/null", "w");

		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(mg_report_hfreadme(f, arts, 0, &info),
		    MG_ERR_USAGE);
		fclose(f);
	}
	mg_artifact_free(&a);
}
END_TEST

START_TEST(hfreadme_options_and_hash_title)
{
	struct mg_bom_info info;
	struct mg_artifact a;
	char *s, *fm;

	info_init(&info);
	info.hf_sdk = "docker";
	info.hf_app_file = "app.py";
	info.hf_app_port = 7860;
	info.hf_short_description = "Short: \"x\"";
	art_init(&a, "0123456789abcdef0123.gguf", NULL);
	cJSON_ReplaceItemInObjectCaseSensitive(a.metadata, "general.name",
	    cJSON_CreateString("0123456789ABCDEF0123"));
	ck_assert_int_eq(mg_artifact_add(&a, MG_R_IO_READ, MG_FINDING_NO_OFFSET,
	    NULL, "1. <b>bad</b> | read"), MG_OK);
	s = render1(mg_report_hfreadme, &a, &info);
	fm = front(s);
	yaml_lines_ok(fm);
	/* A hash-like general.name falls back to the file stem. */
	ck_assert(strstr(fm, "title: \"0123456789abcdef0123\"\n"
	    "short_description: \"Short: \\\"x\\\"\"\nsdk: \"docker\"\n"
	    "app_file: \"app.py\"\napp_port: 7860\n") != NULL);
	ck_assert(strstr(fm, "models:") == NULL);
	ck_assert(strstr(s, "\n## Warnings\n\n- 1\\. \\<b\\>bad\\</b\\> \\| "
	    "read\n") != NULL);
	ck_assert(strstr(s, "## Model metadata") != NULL);	/* tags */
	ck_assert(strstr(s, "| License |") == NULL);
	ck_assert_uint_eq(s[strlen(s) - 1], '\n');
	free(fm);
	free(s);
	mg_artifact_free(&a);
}
END_TEST

Suite *
report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");

	tcase_add_test(tc, spdx_required_tags);
	tcase_add_loop_test(tc, spdx_license_normalise, 0,
	    (int)(sizeof(lic_cases) / sizeof(lic_cases[0])));
	tcase_add_test(tc, spdx_license_custom_block);
	tcase_add_test(tc, spdx_deterministic_namespace);
	tcase_add_test(tc, spdx_hostile_values);
	tcase_add_test(tc, spdx_no_artifacts);
	tcase_add_test(tc, spdx_json_schema);
	tcase_add_test(tc, table_escapes_and_aligns);
	tcase_add_test(tc, table_empty_and_many);
	tcase_add_test(tc, hole10_table_defuses_workflow_commands);
	tcase_add_test(tc, hole15_bom_json_exact_names);
	tcase_add_test(tc, bom_json_stream_matches_tree);
	tcase_add_test(tc, jsonw_str_matches_cjson);
	tcase_add_test(tc, bom_json_tail_after_head);
	tcase_add_test(tc, bom_json_stream_matches_tree_fixtures);
	tcase_add_test(tc, hfreadme_hostile_title);
	tcase_add_test(tc, hfreadme_options_and_hash_title);
	suite_add_tcase(s, tc);
	return s;
}
