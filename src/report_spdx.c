/*
 * report_spdx.c - SPDX 2.3 documents, tag-value and JSON.
 *
 * One SPDX document per artifact, describing the model file as a single
 * package, with the fields l-bom writes (SPDX 2.3 clauses 6 and 7: document
 * creation and package information) plus what l-bom gets wrong:
 *
 * - Licences.  The licence string comes from the model's own metadata, so
 *   it is anything.  It is written only when it parses as an SPDX license
 *   expression (spdx.c; SPDX 2.3 annex D: ids, AND/OR/WITH, parentheses, "+"),
 *   with well-known ids case-normalised from a small table; an id that is
 *   not on the SPDX list becomes LicenseRef-<id> with the extracted-text
 *   block clause 10 asks for; everything else is NOASSERTION.  The same
 *   expression is written as declared and concluded: the concluded licence
 *   is what the model says about itself, nothing more.
 * - Determinism.  The namespace URI ends in a UUID-shaped string cut from
 *   SHA-256(path NUL digest NUL generated_at), so identical input gives
 *   byte-identical output (with SOURCE_DATE_EPOCH for the timestamp).
 * - Single-line values.  Every value taken from the artifact passes
 *   through oneline(): invalid UTF-8 becomes U+FFFD, control, C1, line-
 *   and paragraph-separator and bidi-override characters become visible
 *   \xNN / \uNNNN escapes, and "<text>" / "</text>" cannot appear, so a
 *   file name cannot add a tag or end a <text> block.
 *
 * Both writers read one struct spdx_doc built by doc_build(), so the two
 * encodings always carry the same facts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "artifact.h"
#include "err.h"
#include "hash.h"
#include "report.h"
#include "spdx.h"
#include "text.h"

struct spdx_doc {
	char		*filename;	/* oneline */
	char		*doc_name;	/* "modelgate-<filename>" */
	char		*pkg_name;
	char		*pkg_version;
	char		*pkg_ref;	/* SPDXRef-Package-... */
	char		*ns;		/* DocumentNamespace */
	char		*creator;	/* "Tool: modelgate-0.1.0" */
	char		*arch_purl;	/* NULL when unknown */
	char		*quant_purl;
	char		 created[64];
	const char	*sha256;	/* borrowed; NULL when not hashed */
	struct mg_spdx_expr lic;
};

/* ---- text helpers ------------------------------------------------------ */

static int
is_alnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/*
 * A single-line, valid UTF-8 copy of s[0..n) (mg_text_printable: controls,
 * C1 and bidi overrides escaped), in which "<text>" and "</text>" cannot
 * close an SPDX text block.  NULL on allocation failure.
 */
static char *
oneline(const char *s, size_t n)
{
	char *u, *p, *out, *q;
	size_t extra = 0;

	if ((u = mg_utf8_dup(s, n)) == NULL)
		return NULL;
	p = mg_text_printable(u);
	free(u);
	if (p == NULL)
		return NULL;
	for (q = p; (q = strchr(q, '<')) != NULL; q++)
		extra += 3;
	if ((out = malloc(strlen(p) + extra + 1)) == NULL) {
		free(p);
		return NULL;
	}
	for (q = p, n = 0; *q != '\0'; q++) {
		if (*q == '<' && (strncasecmp(q + 1, "text>", 5) == 0 ||
		    strncasecmp(q + 1, "/text>", 6) == 0)) {
			memcpy(out + n, "\\x3c", 4);
			n += 4;
		} else
			out[n++] = *q;
	}
	out[n] = '\0';
	free(p);
	return out;
}

static char *
onelinez(const char *s)
{
	return oneline(s, strlen(s));
}

/* Letters, digits, '.' and '-' (an SPDX idstring); runs of others -> '-'. */
static char *
spdx_idstring(const char *s)
{
	size_t n = strlen(s), i, o = 0;
	char *out;

	if (n > SIZE_MAX - 9 || (out = malloc(n + 9)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_alnum(c) || c == '.' || c == '-')
			out[o++] = (char)c;
		else if (o > 0 && out[o - 1] != '-')
			out[o++] = '-';
	}
	while (o > 0 && out[o - 1] == '-')
		o--;
	i = 0;
	while (i < o && out[i] == '-')
		i++;
	if (i == o) {
		strcpy(out, "artifact");
		return out;
	}
	memmove(out, out + i, o - i);
	out[o - i] = '\0';
	return out;
}

static char *
purl(const char *kind, const char *value)
{
	char *enc, *out = NULL;
	size_t len;

	if (value == NULL || *value == '\0')
		return NULL;
	if ((enc = mg_pct_encode("", value, "")) == NULL)
		return NULL;
	len = strlen(kind) + strlen(enc) + 32;
	if ((out = malloc(len)) != NULL)
		snprintf(out, len, "pkg:generic/llm-%s@%s", kind, enc);
	free(enc);
	return out;
}

/* ---- package identity (l-bom's rules) ---------------------------------- */

/* The file name without its last suffix, as Python's Path.stem. */
static char *
stem_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t n = strlen(name);

	if (dot != NULL && dot != name && dot[1] != '\0')
		n = (size_t)(dot - name);
	return strndup(name, n);
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * The first version-looking run in the stem: at the start or after '-' or
 * '_', an optional 'v', digits, one or more ".digits", then an optional
 * tail of letters, digits, '-' and '_'.  Length 0 when there is none.
 */
static size_t
version_at(const char *s, size_t *len)
{
	size_t n = strlen(s), g, i, dots;

	for (g = 0; g < n; g++) {
		if (g > 0 && s[g - 1] != '-' && s[g - 1] != '_')
			continue;
		i = g;
		if (s[i] == 'v' && is_digit(s[i + 1]))
			i++;
		if (!is_digit(s[i]))
			continue;
		while (is_digit(s[i]))
			i++;
		dots = 0;
		while (s[i] == '.' && is_digit(s[i + 1])) {
			i++;
			while (is_digit(s[i]))
				i++;
			dots++;
		}
		if (dots == 0)
			continue;
		while (is_alnum(s[i]) || s[i] == '-' || s[i] == '_')
			i++;
		*len = i - g;
		return g;
	}
	*len = 0;
	return 0;
}

/* ---- the document ------------------------------------------------------- */

static void
doc_free(struct spdx_doc *d)
{
	free(d->filename);
	free(d->doc_name);
	free(d->pkg_name);
	free(d->pkg_version);
	free(d->pkg_ref);
	free(d->ns);
	free(d->creator);
	free(d->arch_purl);
	free(d->quant_purl);
	memset(d, 0, sizeof(*d));
}

/* Namespace URI: .../<doc name as idstring>-<UUID shape from a digest>. */
static int
doc_namespace(struct spdx_doc *d, const struct mg_artifact *a,
    const struct mg_bom_info *info)
{
	const char *path = a->abspath != NULL ? a->abspath : a->path;
	size_t pl = strlen(path), sl = strlen(a->sha256);
	size_t gl = strlen(info->generated_at), len;
	char *seed = NULL, *idn = NULL, hex[65];
	int r = MG_ERR_NOMEM, v;

	if (pl > SIZE_MAX - sl - gl - 3)
		goto out;
	len = pl + sl + gl + 2;
	if ((seed = malloc(len + 1)) == NULL)
		goto out;
	memcpy(seed, path, pl);
	seed[pl] = '\0';
	memcpy(seed + pl + 1, a->sha256, sl);
	seed[pl + 1 + sl] = '\0';
	memcpy(seed + pl + sl + 2, info->generated_at, gl);
	if ((r = mg_sha256_hex(seed, len, hex)) != MG_OK)
		goto out;
	r = MG_ERR_NOMEM;
	if ((idn = spdx_idstring(d->doc_name)) == NULL)
		goto out;
	len = strlen(idn) + 80;
	if ((d->ns = malloc(len)) == NULL)
		goto out;
	/* Version 5 and RFC 4122 variant bits: a name-based UUID. */
	v = hex[16] <= '9' ? hex[16] - '0' : hex[16] - 'a' + 10;
	snprintf(d->ns, len, "https://spdx.org/spdxdocs/%s-%.8s-%.4s-5%.3s-"
	    "%c%.3s-%.12s", idn, hex, hex + 8, hex + 13, "89ab"[v & 3],
	    hex + 17, hex + 20);
	r = MG_OK;
out:
	free(seed);
	free(idn);
	return r;
}

static int
doc_build(struct spdx_doc *d, const struct mg_artifact *a,
    const struct mg_bom_info *info)
{
	const char *ga = info->generated_at;
	char *stem = NULL, *idn = NULL;
	size_t len, vo, vl, gl;
	int r = MG_ERR_NOMEM;

	memset(d, 0, sizeof(*d));
	if ((d->filename = onelinez(a->filename != NULL ? a->filename :
	    "")) == NULL)
		goto out;
	len = strlen(info->tool_name) + strlen(d->filename) + 2;
	if ((d->doc_name = malloc(len)) == NULL)
		goto out;
	snprintf(d->doc_name, len, "%s-%s", info->tool_name, d->filename);
	if ((stem = stem_of(d->filename)) == NULL)
		goto out;
	if ((d->pkg_name = strdup(*stem != '\0' ? stem : d->filename)) == NULL)
		goto out;
	vo = version_at(stem, &vl);
	d->pkg_version = vl > 0 ? strndup(stem + vo, vl) : strdup(d->pkg_name);
	if (d->pkg_version == NULL)
		goto out;
	if ((idn = spdx_idstring(d->filename)) == NULL)
		goto out;
	len = strlen(idn) + 24;
	if ((d->pkg_ref = malloc(len)) == NULL)
		goto out;
	snprintf(d->pkg_ref, len, "SPDXRef-Package-%s", idn);
	len = strlen(info->tool_name) + strlen(info->tool_version) + 16;
	if ((d->creator = malloc(len)) == NULL)
		goto out;
	snprintf(d->creator, len, "Tool: %s-%s", info->tool_name,
	    info->tool_version);
	gl = strlen(ga);
	if (gl > 6 && strcmp(ga + gl - 6, "+00:00") == 0)
		snprintf(d->created, sizeof(d->created), "%.*sZ",
		    (int)(gl - 6 < 48 ? gl - 6 : 48), ga);
	else
		snprintf(d->created, sizeof(d->created), "%.48s", ga);
	if ((r = doc_namespace(d, a, info)) != MG_OK)
		goto out;
	r = MG_ERR_NOMEM;
	if (a->architecture != NULL && *a->architecture != '\0' &&
	    (d->arch_purl = purl("architecture", a->architecture)) == NULL)
		goto out;
	if (a->quantization != NULL && *a->quantization != '\0' &&
	    (d->quant_purl = purl("quantization", a->quantization)) == NULL)
		goto out;
	d->sha256 = a->sha256[0] != '\0' ? a->sha256 : NULL;
	(void)mg_spdx_parse(&d->lic, a->license);
	r = MG_OK;
out:
	free(stem);
	free(idn);
	if (r != MG_OK)
		doc_free(d);
	return r;
}

/* ---- tag-value ---------------------------------------------------------- */

static void
tv_ref(FILE *f, const struct mg_spdx_ref *ref)
{
	fprintf(f, "LicenseID: %s\n", ref->id);
	fprintf(f, "ExtractedText: <text>%s</text>\n", ref->decl);
	fprintf(f, "LicenseName: %s\n", ref->name != NULL ? ref->name :
	    ref->decl);
	fprintf(f, "LicenseComment: <text>The model names this licence as "
	    "\"%s\"; modelgate has no copy of its text.</text>\n", ref->decl);
}

static void
tv_doc(FILE *f, const struct spdx_doc *d)
{
	size_t i;

	fprintf(f, "SPDXVersion: SPDX-2.3\n");
	fprintf(f, "DataLicense: CC0-1.0\n");
	fprintf(f, "SPDXID: SPDXRef-DOCUMENT\n");
	fprintf(f, "DocumentName: %s\n", d->doc_name);
	fprintf(f, "DocumentNamespace: %s\n", d->ns);
	fprintf(f, "Creator: %s\n", d->creator);
	fprintf(f, "Created: %s\n", d->created);
	fprintf(f, "Relationship: SPDXRef-DOCUMENT DESCRIBES %s\n", d->pkg_ref);
	fprintf(f, "PackageName: %s\n", d->pkg_name);
	fprintf(f, "SPDXID: %s\n", d->pkg_ref);
	fprintf(f, "PackageVersion: %s\n", d->pkg_version);
	fprintf(f, "PackageFileName: %s\n", d->filename);
	fprintf(f, "PackageDownloadLocation: NOASSERTION\n");
	fprintf(f, "FilesAnalyzed: false\n");
	if (d->sha256 != NULL)
		fprintf(f, "PackageChecksum: SHA256: %s\n", d->sha256);
	fprintf(f, "PackageLicenseConcluded: %s\n", d->lic.expr);
	fprintf(f, "PackageLicenseDeclared: %s\n", d->lic.expr);
	fprintf(f, "PackageCopyrightText: NOASSERTION\n");
	if (d->arch_purl != NULL)
		fprintf(f, "ExternalRef: PACKAGE-MANAGER purl %s\n", d->arch_purl);
	if (d->quant_purl != NULL)
		fprintf(f, "ExternalRef: PACKAGE-MANAGER purl %s\n",
		    d->quant_purl);
	for (i = 0; i < d->lic.nrefs; i++)
		tv_ref(f, &d->lic.refs[i]);
}

int
mg_report_spdx(FILE *f, struct mg_artifact *const *arts, size_t n,
    const struct mg_bom_info *info)
{
	struct spdx_doc d;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		if ((r = doc_build(&d, arts[i], info)) != MG_OK)
			return r;
		if (i > 0)
			fputc('\n', f);
		tv_doc(f, &d);
		doc_free(&d);
	}
	return ferror(f) ? MG_ERR_IO : MG_OK;
}

/* ---- JSON ---------------------------------------------------------------- */

static int
jadd(cJSON *o, const char *k, cJSON *v)
{
	if (v == NULL)
		return MG_ERR_NOMEM;
	cJSON_AddItemToObject(o, k, v);
	return MG_OK;
}

static int
jpush(cJSON *arr, cJSON *v)
{
	if (v == NULL)
		return MG_ERR_NOMEM;
	cJSON_AddItemToArray(arr, v);
	return MG_OK;
}

static cJSON *
json_extref(const char *locator)
{
	cJSON *o = cJSON_CreateObject();
	int r = MG_OK;

	if (o == NULL)
		return NULL;
	r |= jadd(o, "referenceCategory", cJSON_CreateString("PACKAGE-MANAGER"));
	r |= jadd(o, "referenceType", cJSON_CreateString("purl"));
	r |= jadd(o, "referenceLocator", mg_json_strz(locator));
	if (r != MG_OK) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
json_package(const struct spdx_doc *d)
{
	cJSON *p = cJSON_CreateObject(), *arr, *o;
	int r = MG_OK;

	if (p == NULL)
		return NULL;
	r |= jadd(p, "name", mg_json_strz(d->pkg_name));
	r |= jadd(p, "SPDXID", mg_json_strz(d->pkg_ref));
	r |= jadd(p, "versionInfo", mg_json_strz(d->pkg_version));
	r |= jadd(p, "packageFileName", mg_json_strz(d->filename));
	r |= jadd(p, "downloadLocation", cJSON_CreateString("NOASSERTION"));
	r |= jadd(p, "filesAnalyzed", cJSON_CreateFalse());
	r |= jadd(p, "licenseConcluded", cJSON_CreateString(d->lic.expr));
	r |= jadd(p, "licenseDeclared", cJSON_CreateString(d->lic.expr));
	r |= jadd(p, "copyrightText", cJSON_CreateString("NOASSERTION"));
	if (r == MG_OK && d->sha256 != NULL) {
		r |= jadd(p, "checksums", arr = cJSON_CreateArray());
		if (r == MG_OK) {
			r |= jpush(arr, o = cJSON_CreateObject());
			if (r == MG_OK) {
				r |= jadd(o, "algorithm",
				    cJSON_CreateString("SHA256"));
				r |= jadd(o, "checksumValue",
				    cJSON_CreateString(d->sha256));
			}
		}
	}
	if (r == MG_OK && (d->arch_purl != NULL || d->quant_purl != NULL)) {
		r |= jadd(p, "externalRefs", arr = cJSON_CreateArray());
		if (r == MG_OK && d->arch_purl != NULL)
			r |= jpush(arr, json_extref(d->arch_purl));
		if (r == MG_OK && d->quant_purl != NULL)
			r |= jpush(arr, json_extref(d->quant_purl));
	}
	if (r != MG_OK) {
		cJSON_Delete(p);
		return NULL;
	}
	return p;
}

static cJSON *
json_licref(const struct mg_spdx_ref *ref)
{
	cJSON *o = cJSON_CreateObject();
	char comment[160];
	int r = MG_OK;

	if (o == NULL)
		return NULL;
	snprintf(comment, sizeof(comment), "The model names this licence as "
	    "\"%s\"; modelgate has no copy of its text.", ref->decl);
	r |= jadd(o, "licenseId", cJSON_CreateString(ref->id));
	r |= jadd(o, "extractedText", cJSON_CreateString(ref->decl));
	r |= jadd(o, "name", cJSON_CreateString(ref->name != NULL ?
	    ref->name : ref->decl));
	r |= jadd(o, "comment", cJSON_CreateString(comment));
	if (r != MG_OK) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *
json_doc(const struct spdx_doc *d)
{
	cJSON *o = cJSON_CreateObject(), *ci = NULL, *arr = NULL, *rel;
	size_t i;
	int r = MG_OK;

	if (o == NULL)
		return NULL;
	r |= jadd(o, "spdxVersion", cJSON_CreateString("SPDX-2.3"));
	r |= jadd(o, "dataLicense", cJSON_CreateString("CC0-1.0"));
	r |= jadd(o, "SPDXID", cJSON_CreateString("SPDXRef-DOCUMENT"));
	r |= jadd(o, "name", mg_json_strz(d->doc_name));
	r |= jadd(o, "documentNamespace", mg_json_strz(d->ns));
	r |= jadd(o, "creationInfo", ci = cJSON_CreateObject());
	if (r == MG_OK) {
		r |= jadd(ci, "created", mg_json_strz(d->created));
		r |= jadd(ci, "creators", arr = cJSON_CreateArray());
		if (r == MG_OK)
			r |= jpush(arr, mg_json_strz(d->creator));
	}
	r |= jadd(o, "packages", arr = cJSON_CreateArray());
	if (r == MG_OK)
		r |= jpush(arr, json_package(d));
	r |= jadd(o, "relationships", arr = cJSON_CreateArray());
	if (r == MG_OK) {
		r |= jpush(arr, rel = cJSON_CreateObject());
		if (r == MG_OK) {
			r |= jadd(rel, "spdxElementId",
			    cJSON_CreateString("SPDXRef-DOCUMENT"));
			r |= jadd(rel, "relationshipType",
			    cJSON_CreateString("DESCRIBES"));
			r |= jadd(rel, "relatedSpdxElement",
			    mg_json_strz(d->pkg_ref));
		}
	}
	if (r == MG_OK && d->lic.nrefs > 0) {
		r |= jadd(o, "hasExtractedLicensingInfos",
		    arr = cJSON_CreateArray());
		for (i = 0; r == MG_OK && i < d->lic.nrefs; i++)
			r |= jpush(arr, json_licref(&d->lic.refs[i]));
	}
	if (r != MG_OK) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int
mg_report_spdx_json(FILE *f, struct mg_artifact *const *arts, size_t n,
    const struct mg_bom_info *info)
{
	struct spdx_doc d;
	cJSON *root = NULL, *doc;
	char *s = NULL;
	size_t i;
	int r;

	if (n != 1 && (root = cJSON_CreateArray()) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if ((r = doc_build(&d, arts[i], info)) != MG_OK)
			goto out;
		doc = json_doc(&d);
		doc_free(&d);
		r = MG_ERR_NOMEM;
		if (doc == NULL)
			goto out;
		if (n == 1)
			root = doc;
		else
			cJSON_AddItemToArray(root, doc);
	}
	r = MG_ERR_NOMEM;
	if ((s = mg_json_defuse(cJSON_Print(root))) == NULL)
		goto out;
	r = fputs(s, f) >= 0 && fputc('\n', f) != EOF ? MG_OK : MG_ERR_IO;
out:
	free(s);
	cJSON_Delete(root);
	return r;
}
