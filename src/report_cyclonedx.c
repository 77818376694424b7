/*
 * report_cyclonedx.c - CycloneDX 1.6 JSON ML-BOM (`bom --format cyclonedx`).
 *
 * One document for all models: a `machine-learning-model` component per
 * artifact with its SHA-256, its licence (an SPDX id, an SPDX expression,
 * or the declared text as a name), and a modelCard holding what the scan
 * knows (architecture family; parameter count, quantization, dtype,
 * context length and vocabulary size as modelCard properties).
 *
 * Reproducible: the timestamp is the run's (SOURCE_DATE_EPOCH), and the
 * serialNumber is a name-based UUID (version 5 layout) derived from
 * SHA-256 over the tool version and every component's path, size and
 * digest, so the same models give the same document.  bom-refs are
 * "model:" and the path, unique because paths are.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "hash.h"
#include "report.h"
#include "spdx.h"
#include "text.h"

static int
prop(cJSON *arr, const char *name, const char *value)
{
	cJSON *o = cJSON_CreateObject(), *v;

	if (o == NULL)
		return MG_ERR_NOMEM;
	cJSON_AddItemToArray(arr, o);
	if (cJSON_AddStringToObject(o, "name", name) == NULL ||
	    (v = mg_json_strz(value)) == NULL)
		return MG_ERR_NOMEM;
	cJSON_AddItemToObject(o, "value", v);
	return MG_OK;
}

static int
prop_u64(cJSON *arr, const char *name, uint64_t v)
{
	char b[32];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	return prop(arr, name, b);
}

static cJSON *
licenses(const char *declared)
{
	struct mg_spdx_expr e;
	cJSON *arr = cJSON_CreateArray(), *o, *lic, *v;
	int valid;

	if (arr == NULL)
		return NULL;
	memset(&e, 0, sizeof(e));
	valid = mg_spdx_parse(&e, declared);
	if ((o = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(arr);
		return NULL;
	}
	cJSON_AddItemToArray(arr, o);
	if (valid && e.nrefs == 0 && strchr(e.expr, ' ') != NULL) {
		if (cJSON_AddStringToObject(o, "expression", e.expr) == NULL)
			goto fail;
		return arr;
	}
	if ((lic = cJSON_AddObjectToObject(o, "license")) == NULL)
		goto fail;
	if (valid && e.nrefs == 0 && strcmp(e.expr, "NONE") != 0 &&
	    strcmp(e.expr, "NOASSERTION") != 0) {
		if (cJSON_AddStringToObject(lic, "id", e.expr) == NULL)
			goto fail;
		return arr;
	}
	if ((v = mg_json_strz(declared)) == NULL)
		goto fail;
	cJSON_AddItemToObject(lic, "name", v);
	return arr;
fail:
	cJSON_Delete(arr);
	return NULL;
}

static cJSON *
component(const struct mg_artifact *a)
{
	cJSON *c = cJSON_CreateObject(), *v, *arr, *mc, *mp, *props;
	size_t n = strlen(a->path) + 7;
	char *ref = malloc(n);
	int r = MG_OK;

	if (c == NULL || ref == NULL)
		goto fail;
	snprintf(ref, n, "model:%s", a->path);
	if (cJSON_AddStringToObject(c, "type", "machine-learning-model") ==
	    NULL || (v = mg_json_strz(ref)) == NULL)
		goto fail;
	cJSON_AddItemToObject(c, "bom-ref", v);
	if ((v = mg_json_strz(a->filename)) == NULL)
		goto fail;
	cJSON_AddItemToObject(c, "name", v);
	if (a->sha256[0] != '\0') {
		cJSON *h;

		if ((arr = cJSON_AddArrayToObject(c, "hashes")) == NULL ||
		    (h = cJSON_CreateObject()) == NULL)
			goto fail;
		cJSON_AddItemToArray(arr, h);
		if (cJSON_AddStringToObject(h, "alg", "SHA-256") == NULL ||
		    cJSON_AddStringToObject(h, "content", a->sha256) == NULL)
			goto fail;
	}
	if (a->license != NULL) {
		if ((arr = licenses(a->license)) == NULL)
			goto fail;
		cJSON_AddItemToObject(c, "licenses", arr);
	}
	if ((mc = cJSON_AddObjectToObject(c, "modelCard")) == NULL)
		goto fail;
	if (a->architecture != NULL) {
		if ((mp = cJSON_AddObjectToObject(mc, "modelParameters")) ==
		    NULL || (v = mg_json_strz(a->architecture)) == NULL)
			goto fail;
		cJSON_AddItemToObject(mp, "architectureFamily", v);
	}
	if ((props = cJSON_AddArrayToObject(mc, "properties")) == NULL)
		goto fail;
	if (a->have & MG_HAVE_PARAMS)
		r |= prop_u64(props, "modelgate:parameter_count",
		    a->parameter_count);
	if (a->quantization != NULL)
		r |= prop(props, "modelgate:quantization", a->quantization);
	if (a->dtype != NULL)
		r |= prop(props, "modelgate:dtype", a->dtype);
	if (a->have & MG_HAVE_CTX)
		r |= prop_u64(props, "modelgate:context_length",
		    a->context_length);
	if (a->have & MG_HAVE_VOCAB)
		r |= prop_u64(props, "modelgate:vocab_size", a->vocab_size);
	if (a->base_model != NULL)
		r |= prop(props, "modelgate:base_model", a->base_model);
	if (cJSON_GetArraySize(props) == 0)
		cJSON_DeleteItemFromObject(mc, "properties");
	if ((props = cJSON_AddArrayToObject(c, "properties")) == NULL)
		goto fail;
	r |= prop(props, "modelgate:path", a->path);
	r |= prop(props, "modelgate:format", a->format->name);
	r |= prop_u64(props, "modelgate:size", a->size);
	if (a->training_framework != NULL)
		r |= prop(props, "modelgate:training_framework",
		    a->training_framework);
	if (r != MG_OK)
		goto fail;
	free(ref);
	return c;
fail:
	free(ref);
	cJSON_Delete(c);
	return NULL;
}

/* A name-based UUID (version 5 layout) from SHA-256 of the content. */
static int
serial(struct mg_artifact *const *arts, size_t n,
    const struct mg_bom_info *info, char out[46])
{
	struct mg_hash *h = mg_hash_new();
	unsigned char b[16];
	char hex[65], num[32];
	size_t i;
	int r = MG_ERR_NOMEM;

	if (h == NULL || mg_hash_reset(h) != MG_OK)
		goto out;
	r = MG_ERR_INTERNAL;
	if (mg_hash_update(h, info->tool_version,
	    strlen(info->tool_version) + 1) != MG_OK)
		goto out;
	for (i = 0; i < n; i++) {
		snprintf(num, sizeof(num), "%" PRIu64, arts[i]->size);
		if (mg_hash_update(h, arts[i]->path,
		    strlen(arts[i]->path) + 1) != MG_OK ||
		    mg_hash_update(h, num, strlen(num) + 1) != MG_OK ||
		    mg_hash_update(h, arts[i]->sha256,
		    strlen(arts[i]->sha256) + 1) != MG_OK)
			goto out;
	}
	if (mg_hash_final_hex(h, hex) != MG_OK)
		goto out;
	for (i = 0; i < 16; i++) {
		unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' :
		    hex[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(hex[2 * i + 1] <= '9' ?
		    hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);

		b[i] = (unsigned char)(hi << 4 | lo);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x50);	/* version 5 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	snprintf(out, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-"
	    "%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
	    b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
	r = MG_OK;
out:
	mg_hash_free(h);
	return r;
}

int
mg_report_cyclonedx(FILE *f, struct mg_artifact *const *arts, size_t n,
    const struct mg_bom_info *info)
{
	cJSON *root = cJSON_CreateObject(), *md, *tools, *tc, *t, *comps;
	char sn[46], *s = NULL;
	size_t i;
	int r = MG_ERR_NOMEM;

	if (root == NULL)
		return MG_ERR_NOMEM;
	if ((r = serial(arts, n, info, sn)) != MG_OK)
		goto out;
	r = MG_ERR_NOMEM;
	if (cJSON_AddStringToObject(root, "$schema",
	    "http://cyclonedx.org/schema/bom-1.6.schema.json") == NULL ||
	    cJSON_AddStringToObject(root, "bomFormat", "CycloneDX") == NULL ||
	    cJSON_AddStringToObject(root, "specVersion", "1.6") == NULL ||
	    cJSON_AddStringToObject(root, "serialNumber", sn) == NULL ||
	    cJSON_AddNumberToObject(root, "version", 1) == NULL ||
	    (md = cJSON_AddObjectToObject(root, "metadata")) == NULL ||
	    cJSON_AddStringToObject(md, "timestamp", info->generated_at) ==
	    NULL || (tools = cJSON_AddObjectToObject(md, "tools")) == NULL ||
	    (tc = cJSON_AddArrayToObject(tools, "components")) == NULL ||
	    (t = cJSON_CreateObject()) == NULL)
		goto out;
	cJSON_AddItemToArray(tc, t);
	if (cJSON_AddStringToObject(t, "type", "application") == NULL ||
	    cJSON_AddStringToObject(t, "name", info->tool_name) == NULL ||
	    cJSON_AddStringToObject(t, "version", info->tool_version) == NULL ||
	    (comps = cJSON_AddArrayToObject(root, "components")) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		cJSON *c = component(arts[i]);

		if (c == NULL)
			goto out;
		cJSON_AddItemToArray(comps, c);
	}
	/* Names and metadata may hold "##[": no workflow command in a log. */
	if ((s = mg_json_defuse(cJSON_Print(root))) == NULL)
		goto out;
	r = fputs(s, f) < 0 || fputc('\n', f) == EOF ? MG_ERR_IO : MG_OK;
out:
	free(s);
	cJSON_Delete(root);
	return r;
}
