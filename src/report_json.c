/*
 * report_json.c - the l-bom compatible JSON bill of materials.
 *
 * Field names, order and shapes follow l-bom's SBOMDocument so that a
 * consumer can switch tools without changes: one object for a single file
 * argument, an array otherwise.  modelgate adds `findings` (rule ids and
 * severities behind each warning) and `complete` after l-bom's fields.
 * Paths and finding keys are exact (mg_json_bytes): a file name that is not
 * UTF-8 carries its bytes as \udcNN escapes, as Python's json module
 * writes a surrogate-escaped os.fsdecode() name.
 *
 * The bom command streams each document (doc_head, doc_tail) instead of building
 * its tree: same bytes, no node per member.  mg_bom_json_doc() remains
 * for callers that need the tree (the serve tools' structured results);
 * tests/test_report.c checks that the two agree.
 */
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "jsonw.h"
#include "report.h"
#include "strset.h"
#include "text.h"

static int
add(cJSON *o, const char *k, cJSON *v)
{
	if (v == NULL)
		return MG_ERR_NOMEM;
	cJSON_AddItemToObject(o, k, v);
	return MG_OK;
}

static cJSON *
opt_str(const char *s)
{
	return s != NULL ? mg_json_strz(s) : cJSON_CreateNull();
}

static cJSON *
opt_u64(int have, uint64_t v)
{
	return have ? mg_json_u64(v) : cJSON_CreateNull();
}

static void
opt_text(struct mg_jsonw *w, const char *s)
{
	if (s != NULL)
		mg_jsonw_text(w, s);
	else
		mg_jsonw_null(w);
}

static void
opt_num(struct mg_jsonw *w, int have, uint64_t v)
{
	if (have)
		mg_jsonw_u64(w, v);
	else
		mg_jsonw_null(w);
}

cJSON *
mg_bom_json_doc(const struct mg_artifact *a, const struct mg_bom_info *info)
{
	cJSON *d = cJSON_CreateObject(), *w = NULL, *fs = NULL, *md;
	size_t i;
	int r = MG_OK;

	if (d == NULL)
		return NULL;
	r |= add(d, "sbom_version", cJSON_CreateString("1.0"));
	r |= add(d, "generated_at", cJSON_CreateString(info->generated_at));
	r |= add(d, "tool_name", cJSON_CreateString(info->tool_name));
	r |= add(d, "tool_version", cJSON_CreateString(info->tool_version));
	r |= add(d, "model_path", mg_json_bytesz(a->abspath ? a->abspath :
	    a->path));
	r |= add(d, "model_filename", mg_json_bytesz(a->filename));
	r |= add(d, "file_size_bytes", mg_json_u64(a->size));
	r |= add(d, "sha256", cJSON_CreateString(a->sha256));
	r |= add(d, "format", cJSON_CreateString(a->format->name));
	r |= add(d, "architecture", opt_str(a->architecture));
	r |= add(d, "parameter_count", opt_u64(a->have & MG_HAVE_PARAMS,
	    a->parameter_count));
	r |= add(d, "quantization", opt_str(a->quantization));
	r |= add(d, "dtype", opt_str(a->dtype));
	r |= add(d, "context_length", opt_u64(a->have & MG_HAVE_CTX,
	    a->context_length));
	r |= add(d, "vocab_size", opt_u64(a->have & MG_HAVE_VOCAB,
	    a->vocab_size));
	r |= add(d, "license", opt_str(a->license));
	r |= add(d, "base_model", opt_str(a->base_model));
	r |= add(d, "training_framework", opt_str(a->training_framework));
	/* Borrowed, not copied: the document never outlives the artifact. */
	if (a->metadata != NULL) {
		md = cJSON_CreateObjectReference(a->metadata->child);
		r |= add(d, "metadata", md);
	} else
		r |= add(d, "metadata", cJSON_CreateObject());
	r |= add(d, "warnings", w = cJSON_CreateArray());
	r |= add(d, "findings", fs = cJSON_CreateArray());
	for (i = 0; r == MG_OK && i < a->nfindings; i++) {
		const struct mg_finding *f = &a->findings[i];
		cJSON *fo = cJSON_CreateObject();
		cJSON *m = mg_json_strz(f->message);

		if (fo == NULL || m == NULL) {
			cJSON_Delete(fo);
			cJSON_Delete(m);
			r = MG_ERR_NOMEM;
			break;
		}
		cJSON_AddItemToArray(w, m);
		cJSON_AddItemToArray(fs, fo);
		r |= add(fo, "rule", cJSON_CreateString(mg_rule_get(f->rule)->id));
		r |= add(fo, "severity",
		    cJSON_CreateString(mg_sev_name(f->severity)));
		r |= add(fo, "message", mg_json_strz(f->message));
		if (f->key != NULL)
			r |= add(fo, "key", mg_json_bytesz(f->key));
		if (f->offset != MG_FINDING_NO_OFFSET)
			r |= add(fo, "offset", mg_json_u64(f->offset));
	}
	if (a->set != NULL && r == MG_OK) {
		/* A set reported as one unit: on its index or first shard. */
		cJSON *so = cJSON_CreateObject(), *sh = NULL;

		r |= add(d, "set", so);
		if (so != NULL) {
			r |= add(so, "kind", cJSON_CreateString(a->set->kind));
			r |= add(so, "parameter_count", opt_u64(
			    a->set->have_params, a->set->parameter_count));
			r |= add(so, "shards", sh = cJSON_CreateArray());
		}
		for (i = 0; r == MG_OK && i < a->set->nshards; i++) {
			cJSON *p = mg_json_bytesz(a->set->shards[i]);

			if (p == NULL || !cJSON_AddItemToArray(sh, p)) {
				cJSON_Delete(p);
				r = MG_ERR_NOMEM;
			}
		}
	}
	r |= add(d, "complete", cJSON_CreateBool(a->complete));
	if (r != MG_OK) {
		cJSON_Delete(d);
		return NULL;
	}
	return d;
}

/*
 * The document mg_bom_json_doc() builds, streamed in two parts: the same
 * members in the same order, printed as cJSON_Print prints that tree,
 * with no node per member.  The metadata tree is printed where it stands.
 *
 * The head: every member up to and including metadata.  Only the
 * parser's facts go in it, never findings, so a worker can write it as
 * soon as the file is read and release the metadata tree.
 */
static void
doc_head(struct mg_jsonw *w, const struct mg_artifact *a,
    const struct mg_bom_info *info)
{
	mg_jsonw_obj_begin(w);
	mg_jsonw_key(w, "sbom_version");
	mg_jsonw_str(w, "1.0");
	mg_jsonw_key(w, "generated_at");
	mg_jsonw_str(w, info->generated_at);
	mg_jsonw_key(w, "tool_name");
	mg_jsonw_str(w, info->tool_name);
	mg_jsonw_key(w, "tool_version");
	mg_jsonw_str(w, info->tool_version);
	mg_jsonw_key(w, "model_path");
	mg_jsonw_bytes(w, a->abspath ? a->abspath : a->path);
	mg_jsonw_key(w, "model_filename");
	mg_jsonw_bytes(w, a->filename);
	mg_jsonw_key(w, "file_size_bytes");
	mg_jsonw_u64(w, a->size);
	mg_jsonw_key(w, "sha256");
	mg_jsonw_str(w, a->sha256);
	mg_jsonw_key(w, "format");
	mg_jsonw_str(w, a->format->name);
	mg_jsonw_key(w, "architecture");
	opt_text(w, a->architecture);
	mg_jsonw_key(w, "parameter_count");
	opt_num(w, a->have & MG_HAVE_PARAMS, a->parameter_count);
	mg_jsonw_key(w, "quantization");
	opt_text(w, a->quantization);
	mg_jsonw_key(w, "dtype");
	opt_text(w, a->dtype);
	mg_jsonw_key(w, "context_length");
	opt_num(w, a->have & MG_HAVE_CTX, a->context_length);
	mg_jsonw_key(w, "vocab_size");
	opt_num(w, a->have & MG_HAVE_VOCAB, a->vocab_size);
	mg_jsonw_key(w, "license");
	opt_text(w, a->license);
	mg_jsonw_key(w, "base_model");
	opt_text(w, a->base_model);
	mg_jsonw_key(w, "training_framework");
	opt_text(w, a->training_framework);
	mg_jsonw_key(w, "metadata");
	if (a->metadata != NULL)
		mg_jsonw_cjson_members(w, a->metadata->child);
	else {
		mg_jsonw_obj_begin(w);
		mg_jsonw_obj_end(w);
	}
}

/*
 * The tail: findings (the repository checks may add some after the head
 * was written), the set and completeness, then the closing brace.
 */
static void
doc_tail(struct mg_jsonw *w, const struct mg_artifact *a)
{
	size_t i;

	mg_jsonw_key(w, "warnings");
	mg_jsonw_arr_begin(w);
	for (i = 0; i < a->nfindings; i++) {
		mg_jsonw_elem(w);
		mg_jsonw_text(w, a->findings[i].message);
	}
	mg_jsonw_arr_end(w);
	mg_jsonw_key(w, "findings");
	mg_jsonw_arr_begin(w);
	for (i = 0; i < a->nfindings; i++) {
		const struct mg_finding *f = &a->findings[i];

		mg_jsonw_elem(w);
		mg_jsonw_obj_begin(w);
		mg_jsonw_key(w, "rule");
		mg_jsonw_str(w, mg_rule_get(f->rule)->id);
		mg_jsonw_key(w, "severity");
		mg_jsonw_str(w, mg_sev_name(f->severity));
		mg_jsonw_key(w, "message");
		mg_jsonw_text(w, f->message);
		if (f->key != NULL) {
			mg_jsonw_key(w, "key");
			mg_jsonw_bytes(w, f->key);
		}
		if (f->offset != MG_FINDING_NO_OFFSET) {
			mg_jsonw_key(w, "offset");
			mg_jsonw_u64(w, f->offset);
		}
		mg_jsonw_obj_end(w);
	}
	mg_jsonw_arr_end(w);
	if (a->set != NULL) {
		/* A set reported as one unit: on its index or first shard. */
		mg_jsonw_key(w, "set");
		mg_jsonw_obj_begin(w);
		mg_jsonw_key(w, "kind");
		mg_jsonw_str(w, a->set->kind);
		mg_jsonw_key(w, "parameter_count");
		opt_num(w, a->set->have_params, a->set->parameter_count);
		mg_jsonw_key(w, "shards");
		mg_jsonw_arr_begin(w);
		for (i = 0; i < a->set->nshards; i++) {
			mg_jsonw_elem(w);
			mg_jsonw_bytes(w, a->set->shards[i]);
		}
		mg_jsonw_arr_end(w);
		mg_jsonw_obj_end(w);
	}
	mg_jsonw_key(w, "complete");
	mg_jsonw_bool(w, a->complete);
	mg_jsonw_obj_end(w);
}

void
mg_bom_json_write(struct mg_jsonw *w, const struct mg_artifact *a,
    const struct mg_bom_info *info)
{
	if (a->rendered != NULL) {
		/* Its metadata went with the prerendered head. */
		if (w->err == MG_OK)
			w->err = MG_ERR_INTERNAL;
		return;
	}
	doc_head(w, a, info);
	doc_tail(w, a);
}

/*
 * A document, its head or its tail as a NUL-terminated heap string.  It
 * is written into a stack buffer that holds a typical document whole,
 * then copied once at its exact size: no growth, and nothing on the heap
 * but the result.
 */
enum part { WHOLE, HEAD, TAIL };

static char *
doc_render(const struct mg_artifact *a, const struct mg_bom_info *info,
    enum part part, int *err, size_t *len)
{
	char buf[16384];
	struct mg_jsonw w;
	char *s;

	/* Bounded by MG_MAX_META_BYTES escaped and the findings cap. */
	mg_jsonw_init(&w, buf, sizeof(buf), SIZE_MAX / 2);
	if (part == TAIL)
		mg_jsonw_resume(&w, 1);
	else
		doc_head(&w, a, info);
	if (part != HEAD)
		doc_tail(&w, a);
	s = mg_jsonw_finish(&w, err);
	*len = s != NULL ? w.done_len : 0;
	mg_jsonw_free(&w);
	return s;
}

/*
 * The worker writes the head and drops the metadata tree and the key
 * names (only a policy asks for those, and bom has none); the tail is
 * written with the report, after the repository checks.
 */
int
mg_bom_json_prerender(struct mg_artifact *a, const struct mg_bom_info *info)
{
	size_t len;
	int r;
	char *s = doc_render(a, info, HEAD, &r, &len);

	if (s == NULL)
		return r;
	free(a->rendered);
	a->rendered = s;
	a->rendered_len = len;
	cJSON_Delete(a->metadata);
	a->metadata = NULL;
	mg_strset_free(a->meta_keys);
	a->meta_keys = NULL;
	return MG_OK;
}

/*
 * Documents are written one at a time (rendered by the workers when they
 * were asked to), so memory and time stay proportional to one artifact.
 */
int
mg_report_json(FILE *f, struct mg_artifact *const *arts, size_t n,
    const struct mg_bom_info *info)
{
	int array = !(info->single && n == 1);
	size_t i;
	int r;

	if (array && fputs(n > 0 ? "[\n" : "[", f) < 0)
		return MG_ERR_IO;
	for (i = 0; i < n; i++) {
		const char *head = arts[i]->rendered;
		size_t hn = arts[i]->rendered_len, sn;
		char *s;
		int ok;

		if ((s = doc_render(arts[i], info, head != NULL ? TAIL : WHOLE,
		    &r, &sn)) == NULL)
			return r;
		ok = (head == NULL || fwrite(head, 1, hn, f) == hn) &&
		    fwrite(s, 1, sn, f) == sn &&
		    fputs(array && i + 1 < n ? ",\n" : "\n", f) >= 0;
		free(s);
		if (!ok)
			return MG_ERR_IO;
	}
	if (array && fputs("]\n", f) < 0)
		return MG_ERR_IO;
	return MG_OK;
}
