/*
 * test_gguf.c - the GGUF parser, end to end through mg_scan_src() over
 * memory sources.
 *
 * Fixtures come from the generator's own table (gguf_build.h), so what is
 * on disk is what is tested: every valid file is clean below medium with
 * exact derived fields, every invalid/hostile file raises its named rule,
 * no prefix of a valid file is complete and clean, and every flipped bit
 * of every valid file's header either leaves its structure intact or makes
 * the scan fail closed (see flip_check).  Files written by gguf-py and
 * @huggingface/gguf are scanned too.
 */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <unistd.h>

#include <check.h>

#include "artifact.h"
#include "buf.h"
#include "err.h"
#include "fmt.h"
#include "gguf_build.h"
#include "hash.h"
#include "jsonw.h"
#include "limits.h"
#include "rd.h"
#include "rules.h"
#include "scan.h"
#include "st_build.h"
#include "suites.h"
#include "text.h"
#include "tutil.h"

static struct mg_scan_ctx ctx;

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

static void
scan_mem(const void *p, size_t n, struct mg_artifact *a)
{
	struct mg_scan_opts o;
	struct mg_memsrc m;
	struct mg_src src;

	memset(&o, 0, sizeof(o));
	o.hash = 1;
	mg_artifact_init(a);
	ck_assert_int_eq(mg_artifact_setz(&a->path, "t.gguf"), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a->filename, "t.gguf"), MG_OK);
	a->size = n;
	mg_src_mem(&src, &m, p, n);
	mg_scan_src(&ctx, &o, &src, a);
}

static size_t
count_rule(const struct mg_artifact *a, const char *id)
{
	size_t k, c = 0;

	for (k = 0; k < a->nfindings; k++)
		if (strcmp(mg_rule_get(a->findings[k].rule)->id, id) == 0)
			c++;
	return c;
}

static void
dump(const struct mg_artifact *a)
{
	size_t k;

	for (k = 0; k < a->nfindings; k++)
		fprintf(stderr, "  %s: %s\n",
		    mg_rule_get(a->findings[k].rule)->id,
		    a->findings[k].message);
}

/* The highest severity, ignoring the named (documented) rule. */
static int
max_sev_but(const struct mg_artifact *a, const char *except)
{
	int m = -1;
	size_t k;

	for (k = 0; k < a->nfindings; k++) {
		if (except != NULL &&
		    strcmp(mg_rule_get(a->findings[k].rule)->id, except) == 0)
			continue;
		if ((int)a->findings[k].severity > m)
			m = (int)a->findings[k].severity;
	}
	return m;
}

static const struct gguf_fixture *
fixture(const char *name)
{
	size_t i;

	for (i = 0; i < gguf_nfixtures; i++)
		if (strcmp(gguf_fixtures[i].name, name) == 0)
			return &gguf_fixtures[i];
	ck_abort_msg("no fixture %s", name);
	return NULL;
}

static void
build(const char *name, struct fbuf *b)
{
	fbuf_init(b);
	fixture(name)->build(b);
}

static const cJSON *
meta(const struct mg_artifact *a, const char *key)
{
	ck_assert_ptr_nonnull(a->metadata);
	return cJSON_GetObjectItemCaseSensitive(a->metadata, key);
}

/* Integers and doubles are raw JSON text. */
static void
ck_raw(const cJSON *j, const char *text)
{
	ck_assert_ptr_nonnull(j);
	ck_assert_msg(cJSON_IsRaw(j), "not a raw number");
	ck_assert_str_eq(j->valuestring, text);
}

/* Floats: the exact double, whatever text form the writer chose. */
static void
ck_num(const cJSON *j, double v)
{
	ck_assert_ptr_nonnull(j);
	ck_assert_msg(cJSON_IsRaw(j), "not a raw number");
	ck_assert_msg(strtod(j->valuestring, NULL) == v, "%s != %.17g",
	    j->valuestring, v);
}

static void
ck_field(const char *got, const char *want)
{
	if (want == NULL)
		ck_assert_ptr_null(got);
	else {
		ck_assert_ptr_nonnull(got);
		ck_assert_str_eq(got, want);
	}
}

START_TEST(valid_clean)
{
	size_t i;

	for (i = 0; i < gguf_nfixtures; i++) {
		const struct gguf_fixture *f = &gguf_fixtures[i];
		struct mg_artifact a;
		struct fbuf b;

		if (strcmp(f->dir, "valid") != 0)
			continue;
		fbuf_init(&b);
		f->build(&b);
		scan_mem(b.p, b.len, &a);
		if (max_sev_but(&a, f->rule) >= MG_SEV_MED)
			dump(&a);
		ck_assert_msg(max_sev_but(&a, f->rule) < MG_SEV_MED,
		    "%s has a finding at or above medium", f->name);
		ck_assert_str_eq(a.format->name, "gguf");
		ck_assert_int_eq(a.complete, 1);
		if (f->rule != NULL)
			ck_assert_uint_ge(count_rule(&a, f->rule), 1);
		mg_artifact_free(&a);
		fbuf_free(&b);
	}
}
END_TEST

struct expect {
	const char	*name;
	const char	*arch, *quant, *dtype, *license;
	uint64_t	 params, ctx, vocab;
	unsigned	 ntensors;
	const char	*version, *endian;
};

static const struct expect expects[] = {
	{ "llama-q8_0.gguf", "llama", "Q8_0", NULL, "apache-2.0",
	  4 * 64 * 4, 4096, 300, 4, "3", "little" },
	{ "llama-q8_0-be.gguf", "llama", "Q8_0", NULL, "apache-2.0",
	  4 * 64 * 4, 4096, 300, 4, "3", "big" },
	{ "llama-q4_k_m.gguf", "llama", "Q4_K_M", NULL, "mit",
	  3 * 256 * 2, 2048, 20, 3, "3", "little" },
	{ "llama-v2-f16.gguf", "llama", "F16", "F16", NULL,
	  2 * 32 * 3, 512, 17, 2, "2", "little" },
	{ "no-file-type.gguf", "qwen2", "Q8_0", NULL, NULL,
	  3 * 32 * 2, 32768, 8, 3, "3", "little" },
	{ "empty-v3.gguf", NULL, NULL, NULL, NULL, 0, 0, 0, 0, "3",
	  "little" },
};

START_TEST(valid_derived)
{
	const struct expect *e = &expects[_i];
	struct mg_artifact a;
	struct fbuf b;
	char buf[32];

	build(e->name, &b);
	scan_mem(b.p, b.len, &a);
	ck_field(a.architecture, e->arch);
	ck_field(a.quantization, e->quant);
	ck_field(a.dtype, e->dtype);
	ck_field(a.license, e->license);
	ck_assert_ptr_null(a.training_framework);
	if (e->params) {
		ck_assert(a.have & MG_HAVE_PARAMS);
		ck_assert_uint_eq(a.parameter_count, e->params);
	} else
		ck_assert(!(a.have & MG_HAVE_PARAMS));
	if (e->ctx) {
		ck_assert(a.have & MG_HAVE_CTX);
		ck_assert_uint_eq(a.context_length, e->ctx);
	} else
		ck_assert(!(a.have & MG_HAVE_CTX));
	if (e->vocab) {
		ck_assert(a.have & MG_HAVE_VOCAB);
		ck_assert_uint_eq(a.vocab_size, e->vocab);
	} else
		ck_assert(!(a.have & MG_HAVE_VOCAB));
	ck_raw(meta(&a, "gguf_version"), e->version);
	ck_assert_str_eq(cJSON_GetStringValue(meta(&a, "endianness")),
	    e->endian);
	snprintf(buf, sizeof(buf), "%u", e->ntensors);
	ck_raw(meta(&a, "tensor_count"), buf);
	ck_raw(meta(&a, "alignment"), "32");
	ck_assert_ptr_nonnull(meta(&a, "data_offset"));
	cJSON_Delete(tu_raw_list(a.metadata, "metadata_keys"));
	ck_assert(cJSON_IsObject(meta(&a, "tensor_type_counts")));
	ck_assert(cJSON_IsObject(meta(&a, "tensor_type_parameter_counts")));
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

/*
 * A long array's preview is written as text while it is read; a short
 * array is kept as a list.  Both must print alike: every element type,
 * with NaN, infinities, -0.0, a boolean byte of 2, extreme integers and
 * strings that need escapes or sanitising.
 */
START_TEST(preview_text_matches_list)
{
	static const uint32_t types[] = {
		GGUF_T_UINT8, GGUF_T_INT8, GGUF_T_UINT16, GGUF_T_INT16,
		GGUF_T_UINT32, GGUF_T_INT32, GGUF_T_FLOAT32, GGUF_T_BOOL,
		GGUF_T_STRING, GGUF_T_UINT64, GGUF_T_INT64, GGUF_T_FLOAT64
	};
	static const size_t width[] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 8, 8, 8 };
	static const char *const strs[] = {
		"a", "q\"uote", "back\\slash", "tab\there", "\x01ctl",
		"caf\xc3\xa9", "\xff\xfe bad", "\xe2\x96", "##[x]", "",
		"\xf0\x9f\x98\x80", "nul", "x", "y", "z", "w"
	};
	static const double dv[] = {
		0.0, -0.0, 1.5, 0.1, 1e-7, 1e22, 3.4e38, -2.5e-300
	};
	struct mg_artifact a;
	struct gguf_b g;
	struct fbuf b;
	char key[32];
	size_t t, k, c;
	uint64_t x = 0x7072657669657721ull;

	gguf_b_init(&g, 3, 0);
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++)
		for (c = 16; c <= 20; c += 4) {
			x = 0x7072657669657721ull;	/* the same 16 first */
			snprintf(key, sizeof(key), "a%zu.%zu", c, t);
			gguf_kv_arr(&g, key, types[t], c);
			for (k = 0; k < c; k++) {
				unsigned char e[8];
				float f;
				double d;

				x = x * 6364136223846793005ull +
				    1442695040888963407ull;
				memcpy(e, &x, sizeof(e));
				if (types[t] == GGUF_T_STRING) {
					if (k == 11)	/* a NUL inside */
						gguf_w_str(&g, &g.kv, "n\0l", 3);
					else
						gguf_w_str(&g, &g.kv, strs[k % 16],
						    strlen(strs[k % 16]));
					continue;
				}
				if (types[t] == GGUF_T_BOOL)
					e[0] = (unsigned char)(k % 3);
				if (types[t] == GGUF_T_FLOAT32 && k < 11) {
					f = k == 8 ? (float)NAN : k == 9 ?
					    (float)INFINITY : k == 10 ?
					    -(float)INFINITY : (float)dv[k];
					memcpy(e, &f, 4);
				}
				if (types[t] == GGUF_T_FLOAT64 && k < 11) {
					d = k == 8 ? NAN : k == 9 ? INFINITY :
					    k == 10 ? -INFINITY : dv[k];
					memcpy(e, &d, 8);
				}
				if (types[t] != GGUF_T_FLOAT32 &&
				    types[t] != GGUF_T_FLOAT64 && k < 2)
					memset(e, k == 0 ? 0x00 : 0xff, 8);
				fbuf_put(&g.kv, e, width[t]);
			}
		}
	fbuf_init(&b);
	gguf_b_out(&g, &b);
	scan_mem(b.p, b.len, &a);
	/* One per array: the short one and the long one. */
	ck_assert_uint_eq(count_rule(&a, "GGUF-BOOL"), 2);
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		const cJSON *list, *wrap, *pv;
		struct mg_jsonw w;
		char *want;
		int err;

		snprintf(key, sizeof(key), "a16.%zu", t);
		list = meta(&a, key);
		snprintf(key, sizeof(key), "a20.%zu", t);
		wrap = meta(&a, key);
		ck_assert(cJSON_IsArray(list));
		pv = cJSON_GetObjectItemCaseSensitive(wrap, "preview");
		ck_assert(cJSON_IsRaw(pv));
		mg_jsonw_init(&w, NULL, 0, 1u << 20);
		mg_jsonw_cjson(&w, list);
		want = mg_jsonw_take(&w, &err);
		mg_jsonw_free(&w);
		ck_assert_ptr_nonnull(want);
		ck_assert_msg(strcmp(pv->valuestring, want) == 0,
		    "type %zu: %s against %s", t, pv->valuestring, want);
		free(want);
	}
	mg_artifact_free(&a);
	fbuf_free(&b);
	gguf_b_free(&g);
}
END_TEST

/*
 * Keys are checked a word at a time when they are printable ASCII: a
 * control byte, DEL or a byte that breaks UTF-8 at any place of a key of
 * any length must still be reported, and a clean key must not be.
 */
START_TEST(key_bytes_everywhere)
{
	static const unsigned char odd[] = {
		0x00, 0x01, 0x1f, 0x20, 0x41, 0x7e, 0x7f, 0x80, 0xc3, 0xff
	};
	char key[24];
	size_t n, at, k;

	for (n = 1; n <= 19; n++)
		for (at = 0; at < n; at++)
			for (k = 0; k < sizeof(odd); k++) {
				struct mg_artifact a;
				struct gguf_b g;
				struct fbuf b;
				unsigned c = odd[k];
				int ctl = c < 0x20 || c == 0x7f;
				int bad = c >= 0x80;	/* alone: never UTF-8 */

				memset(key, 'k', n);
				key[at] = (char)c;
				gguf_b_init(&g, 3, 0);
				gguf_kv_begin(&g, key, n, GGUF_T_UINT32);
				gguf_w_u32(&g, &g.kv, 7);
				fbuf_init(&b);
				gguf_b_out(&g, &b);
				scan_mem(b.p, b.len, &a);
				ck_assert_msg(count_rule(&a, "GGUF-KEY") ==
				    (size_t)ctl, "n %zu at %zu byte %02x: "
				    "GGUF-KEY %zu", n, at, c,
				    count_rule(&a, "GGUF-KEY"));
				ck_assert_msg(count_rule(&a, "GGUF-UTF8") ==
				    (size_t)bad, "n %zu at %zu byte %02x: "
				    "GGUF-UTF8 %zu", n, at, c,
				    count_rule(&a, "GGUF-UTF8"));
				mg_artifact_free(&a);
				fbuf_free(&b);
				gguf_b_free(&g);
			}
}
END_TEST

START_TEST(q8_metadata_shape)
{
	const cJSON *j, *first;
	cJSON *kl, *pv;
	struct mg_artifact a;
	struct fbuf b;
	char hex[65];

	build("llama-q8_0.gguf", &b);
	scan_mem(b.p, b.len, &a);

	/* Raw KVs first, in file order, then the summary. */
	first = a.metadata->child;
	ck_assert_str_eq(first->string, "general.architecture");
	ck_assert_str_eq(cJSON_GetStringValue(meta(&a, "general.name")),
	    "tiny-llama");
	ck_raw(meta(&a, "general.file_type"), "7");
	ck_num(meta(&a, "llama.rope.freq_base"), 10000.0);
	ck_num(meta(&a, "llama.attention.layer_norm_rms_epsilon"),
	    (double)1e-5f);
	ck_assert(cJSON_IsTrue(meta(&a, "tokenizer.ggml.add_bos_token")));

	j = meta(&a, "tokenizer.ggml.tokens");
	ck_assert(cJSON_IsObject(j));
	ck_assert_str_eq(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(j, "type")), "array");
	ck_assert_str_eq(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(j, "element_type")), "STRING");
	ck_raw(cJSON_GetObjectItemCaseSensitive(j, "count"), "300");
	pv = tu_raw_list(j, "preview");
	ck_assert_int_eq(cJSON_GetArraySize(pv), MG_ARRAY_PREVIEW);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(pv, 1)),
	    "<s>");
	cJSON_Delete(pv);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j,
	    "truncated")));
	j = meta(&a, "tokenizer.ggml.scores");
	ck_assert_str_eq(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(j, "element_type")), "FLOAT32");
	pv = tu_raw_list(j, "preview");
	ck_assert(cJSON_GetArrayItem(pv, 2)->valuedouble == -2.0);
	cJSON_Delete(pv);
	ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItemCaseSensitive(j,
	    "preview")->valuestring, ", -2.0, "));
	j = meta(&a, "tokenizer.ggml.token_type");
	ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j,
	    "preview")->valuestring, "[3, 3, 3, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, "
	    "6, 6, 6]");

	kl = tu_raw_list(a.metadata, "metadata_keys");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(kl, 0)),
	    "general.architecture");
	cJSON_Delete(kl);
	j = meta(&a, "tensor_type_counts");
	ck_assert_str_eq(j->child->string, "Q8_0");
	ck_raw(cJSON_GetObjectItemCaseSensitive(j, "Q8_0"), "2");
	ck_raw(cJSON_GetObjectItemCaseSensitive(j, "F32"), "2");
	j = meta(&a, "tensor_type_parameter_counts");
	ck_raw(cJSON_GetObjectItemCaseSensitive(j, "Q8_0"), "512");

	ck_assert_int_eq(mg_sha256_hex(gguf_llama_template,
	    strlen(gguf_llama_template), hex), MG_OK);
	j = meta(&a, "chat_template_sha256");
	ck_assert_str_eq(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(j, "tokenizer.chat_template")),
	    hex);
	/* The data section starts at the first aligned offset. */
	j = meta(&a, "data_offset");
	ck_assert_uint_eq(strtoull(j->valuestring, NULL, 10) % 32, 0);
	ck_assert_uint_eq(b.len - strtoull(j->valuestring, NULL, 10),
	    2 * 288 + 2 * 1024);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

/* Big-endian and v1 twins report the same derived fields. */
START_TEST(twins_agree)
{
	struct gguf_model m = {
		.vocab = 40, .chat_template = "{{ x }}", .file_type = 15,
		.n_tensors = 2, .ne0 = 256, .ne1 = 2, .context_length = 8192,
		.license = " apache-2.0 ",
	};
	static const uint32_t types[] = { 12, 14 };
	struct mg_artifact a[3];
	struct fbuf b[3];
	int i;

	m.ttypes = types;
	m.n_ttypes = 2;
	for (i = 0; i < 3; i++) {
		fbuf_init(&b[i]);
		m.big_endian = i == 1;
		m.version = i == 2 ? 1 : 3;
		gguf_build_model(&m, &b[i]);
		scan_mem(b[i].p, b[i].len, &a[i]);
	}
	ck_assert_uint_eq(count_rule(&a[1], "GGUF-ENDIAN"), 1);
	ck_assert_uint_eq(count_rule(&a[2], "GGUF-VERSION"), 1);
	ck_assert_str_eq(cJSON_GetStringValue(meta(&a[1], "endianness")),
	    "big");
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(a[i].license, "apache-2.0");
		ck_assert_str_eq(a[i].quantization, "Q4_K_M");
		ck_assert_uint_eq(a[i].parameter_count, 1024);
		ck_assert_uint_eq(a[i].context_length, 8192);
		ck_assert_uint_eq(a[i].vocab_size, 40);
		ck_assert_str_eq(a[i].architecture, "llama");
		ck_assert_int_le(max_sev_but(&a[i], "GGUF-VERSION"),
		    MG_SEV_LOW);
		ck_assert_str_eq(cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(meta(&a[i],
		    "chat_template_sha256"), "tokenizer.chat_template")),
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		    meta(&a[0], "chat_template_sha256"),
		    "tokenizer.chat_template")));
	}
	for (i = 0; i < 3; i++) {
		mg_artifact_free(&a[i]);
		fbuf_free(&b[i]);
	}
}
END_TEST

START_TEST(vectors)
{
	size_t i;

	for (i = 0; i < gguf_nfixtures; i++) {
		const struct gguf_fixture *f = &gguf_fixtures[i];
		struct mg_artifact a;
		struct fbuf b;

		if (strcmp(f->dir, "valid") == 0)
			continue;
		fbuf_init(&b);
		f->build(&b);
		scan_mem(b.p, b.len, &a);
		if (f->rule != NULL) {
			if (count_rule(&a, f->rule) == 0)
				dump(&a);
			ck_assert_msg(count_rule(&a, f->rule) > 0,
			    "%s/%s: no %s finding", f->dir, f->name, f->rule);
		} else {
			if (max_sev_but(&a, NULL) >= MG_SEV_MED)
				dump(&a);
			ck_assert_msg(max_sev_but(&a, NULL) < MG_SEV_MED,
			    "%s/%s has an unexpected finding", f->dir, f->name);
		}
		mg_artifact_free(&a);
		fbuf_free(&b);
	}
}
END_TEST

START_TEST(vector_details)
{
	struct mg_artifact a;
	struct fbuf b;
	const cJSON *j;
	cJSON *kl;

	/* A duplicate key keeps the first value. */
	build("dup-key.gguf", &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_str_eq(cJSON_GetStringValue(meta(&a, "general.name")),
	    "first");
	kl = tu_raw_list(a.metadata, "metadata_keys");
	ck_assert_int_eq(cJSON_GetArraySize(kl), 1);
	cJSON_Delete(kl);
	mg_artifact_free(&a);
	fbuf_free(&b);

	/* Nested arrays keep the list representation. */
	build("nested-array.gguf", &b);
	scan_mem(b.p, b.len, &a);
	j = meta(&a, "general.nested");
	ck_assert(cJSON_IsArray(j));
	ck_assert(cJSON_IsArray(cJSON_GetArrayItem(j, 0)));
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetArrayItem(j, 0)), 0);
	mg_artifact_free(&a);
	fbuf_free(&b);

	/* Both templates are hashed; the named one under its own key. */
	build("named-template.gguf", &b);
	scan_mem(b.p, b.len, &a);
	j = meta(&a, "chat_template_sha256");
	ck_assert_int_eq(cJSON_GetArraySize(j), 2);
	ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(j,
	    "tokenizer.chat_template.tool_use"));
	mg_artifact_free(&a);
	fbuf_free(&b);

	/* Invalid UTF-8 is replaced in the report. */
	build("bad-utf8.gguf", &b);
	scan_mem(b.p, b.len, &a);
	ck_assert(mg_utf8_valid(cJSON_GetStringValue(meta(&a,
	    "general.name")), strlen(cJSON_GetStringValue(meta(&a,
	    "general.name")))));
	mg_artifact_free(&a);
	fbuf_free(&b);

	/* Zero alignment falls back to 32 without dividing by zero. */
	build("align-zero.gguf", &b);
	scan_mem(b.p, b.len, &a);
	ck_raw(meta(&a, "alignment"), "32");
	mg_artifact_free(&a);
	fbuf_free(&b);

	/* Empty tensors are info only. */
	build("zero-dim.gguf", &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_int_lt(max_sev_but(&a, NULL), MG_SEV_LOW);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

/* Many overlapping tensors: findings are capped per rule, then counted. */
START_TEST(findings_capped)
{
	static const uint64_t d8[1] = { 8 };
	struct mg_artifact a;
	struct gguf_b g;
	struct fbuf b;
	char name[32];
	size_t k;
	int i;

	gguf_b_init(&g, 3, 0);
	for (i = 0; i < 500; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		gguf_tensor_at(&g, name, 1, d8, 0, 0);
	}
	fbuf_zeros(&g.data, 32);
	fbuf_init(&b);
	gguf_b_out(&g, &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(count_rule(&a, "GGUF-OFFSET"),
	    MG_MAX_SAME_FINDINGS + 1);
	for (k = a.nfindings; k > 0; k--)
		if (a.findings[k - 1].rule == MG_R_GGUF_OFFSET)
			break;
	ck_assert_ptr_nonnull(strstr(a.findings[k - 1].message,
	    " more findings of this rule were not listed"));
	mg_artifact_free(&a);
	fbuf_free(&b);
	gguf_b_free(&g);
}
END_TEST

START_TEST(truncation_loop)
{
	size_t i, n;

	for (i = 0; i < gguf_nfixtures; i++) {
		const struct gguf_fixture *f = &gguf_fixtures[i];
		struct fbuf b;

		if (strcmp(f->dir, "valid") != 0)
			continue;
		fbuf_init(&b);
		f->build(&b);
		for (n = 0; n <= b.len; n++) {
			struct mg_artifact a;
			int clean;

			scan_mem(b.p, n, &a);
			/*
			 * Only the whole file is complete and clean; a cut in
			 * the padding after the last tensor is refused by
			 * ggml's reader and reported too.
			 */
			clean = a.complete &&
			    max_sev_but(&a, "GGUF-ENDIAN") < MG_SEV_MED;
			if (clean != (n == b.len))
				dump(&a);
			ck_assert_msg(clean == (n == b.len),
			    "%s cut at %zu of %zu: complete %d, %s", f->name, n,
			    b.len, a.complete, clean ? "clean" : "not clean");
			mg_artifact_free(&a);
		}
		fbuf_free(&b);
	}
}
END_TEST

/*
 * An independent walk of a GGUF file for the bit-flip loop: which bytes
 * are structural (magic, version, counts, key and string lengths, value
 * and element types, array counts, tensor name lengths, n_dims, dims,
 * tensor types, offsets) and what the tensor table says.  It trusts
 * nothing and gives up (ok = 0) where the bytes stop making sense.
 */
enum { B_CONTENT = 0, B_STRUCT, B_TWIN };	/* B_TWIN: see flip_check */

struct wt {
	uint64_t	 namelen, ndims, dims[4], off;
	uint32_t	 type;
};

struct walk {
	const unsigned char *p;
	size_t		 n, o;
	int		 be, v1, ok;
	unsigned char	*kind;		/* per byte, NULL: not recorded */
	uint64_t	 nt, nkv;
	struct wt	 t[64];
	uint64_t	 info_end;
};

static uint64_t
w_num(struct walk *w, unsigned width, int k)
{
	uint64_t v = 0;
	unsigned i;

	if (!w->ok || width > w->n - w->o) {
		w->ok = 0;
		return 0;
	}
	for (i = 0; i < width; i++)
		v |= (uint64_t)w->p[w->o + (w->be ? width - 1 - i : i)] <<
		    (8 * i);
	if (w->kind != NULL)
		memset(w->kind + w->o, k, width);
	w->o += width;
	return v;
}

static void
w_skip(struct walk *w, uint64_t n)
{
	if (!w->ok || n > w->n - w->o)
		w->ok = 0;
	else
		w->o += (size_t)n;
}

static void
w_value(struct walk *w, uint32_t t, unsigned depth)
{
	static const unsigned sz[13] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };
	uint64_t c, k;
	uint32_t et;

	if (t == 8)
		w_skip(w, w_num(w, w->v1 ? 4 : 8, B_STRUCT));
	else if (t == 9 && depth < 8) {
		et = (uint32_t)w_num(w, 4, B_STRUCT);
		c = w_num(w, w->v1 ? 4 : 8, B_STRUCT);
		if (et > 12 || c > w->n)
			w->ok = 0;
		else if (et != 8 && et != 9)
			w_skip(w, c * sz[et]);
		else
			for (k = 0; k < c && w->ok; k++)
				w_value(w, et, depth + 1);
	} else if (t < 13 && sz[t] > 0)
		w_skip(w, sz[t]);
	else
		w->ok = 0;
}

static void
walk_gguf(struct walk *w, const unsigned char *p, size_t n,
    unsigned char *kind)
{
	uint64_t i, j, v;
	uint32_t t;
	size_t at;

	memset(w, 0, sizeof(*w));
	w->p = p;
	w->n = n;
	w->ok = 1;
	w->kind = kind;
	if (kind != NULL)
		memset(kind, B_CONTENT, n);
	w_num(w, 4, B_STRUCT);			/* magic */
	if (!w->ok || memcmp(p, "GGUF", 4) != 0) {
		w->ok = 0;
		return;
	}
	w->be = n >= 8 && p[4] == 0 && p[5] == 0;
	v = w_num(w, 4, B_STRUCT);
	w->v1 = v == 1;
	w->nt = w_num(w, w->v1 ? 4 : 8, B_STRUCT);
	w->nkv = w_num(w, w->v1 ? 4 : 8, B_STRUCT);
	if (w->nt > 64 || w->nkv > n)
		w->ok = 0;
	for (i = 0; i < w->nkv && w->ok; i++) {
		w_skip(w, w_num(w, w->v1 ? 4 : 8, B_STRUCT));	/* key */
		at = w->o;
		t = (uint32_t)w_num(w, 4, B_STRUCT);
		/*
		 * A scalar integer type: another integer type may read the
		 * same number (its signed twin; a narrower type when the
		 * bytes it leaves are zeros that become padding).
		 */
		if (w->ok && kind != NULL && (t <= 5 || t == 10 || t == 11))
			kind[at + (w->be ? 3 : 0)] = B_TWIN;
		w_value(w, t, 0);
	}
	for (i = 0; i < w->nt && w->ok; i++) {
		struct wt *x = &w->t[i];

		x->namelen = w_num(w, w->v1 ? 4 : 8, B_STRUCT);
		w_skip(w, x->namelen);
		x->ndims = w_num(w, 4, B_STRUCT);
		if (x->ndims > 4) {
			w->ok = 0;
			break;
		}
		for (j = 0; j < x->ndims; j++)
			x->dims[j] = w_num(w, w->v1 ? 4 : 8, B_STRUCT);
		x->type = (uint32_t)w_num(w, 4, B_STRUCT);
		x->off = w_num(w, 8, B_STRUCT);
	}
	w->info_end = w->o;
}

static int
same_tensors(const struct walk *a, const struct walk *b)
{
	uint64_t i, j;

	/* Without tensors, where the header ends locates nothing. */
	if (!a->ok || !b->ok || a->nt != b->nt ||
	    (a->nt > 0 && a->info_end != b->info_end))
		return 0;
	for (i = 0; i < a->nt; i++) {
		const struct wt *x = &a->t[i], *y = &b->t[i];

		if (x->namelen != y->namelen || x->ndims != y->ndims ||
		    x->type != y->type || x->off != y->off)
			return 0;
		for (j = 0; j < x->ndims; j++)
			if (x->dims[j] != y->dims[j])
				return 0;
	}
	return 1;
}

/* The parser's own view of the structure, from its summary. */
static int
same_summary(const struct mg_artifact *a, const struct mg_artifact *b)
{
	static const char *const keys[] = { "tensor_count",
	    "tensor_type_counts", "tensor_type_parameter_counts",
	    "data_offset", "alignment" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if ((i != 3 || a->nttypes > 0) && !cJSON_Compare(cJSON_GetObjectItemCaseSensitive(a->metadata,
		    keys[i]), cJSON_GetObjectItemCaseSensitive(b->metadata,
		    keys[i]), 1))
			return 0;
	return 1;
}

static int
same_findings(const struct mg_artifact *a, const struct mg_artifact *b)
{
	size_t k;

	if (a->nfindings != b->nfindings)
		return 0;
	for (k = 0; k < a->nfindings; k++)
		if (a->findings[k].rule != b->findings[k].rule)
			return 0;
	return 1;
}

/*
 * One flipped file against the original:
 * - it is complete with the same tensor table (count, name lengths, dims,
 *   types, offsets, by the independent walk and by the parser's summary),
 *   or it fails closed: incomplete, or a finding of high severity or
 *   above.  A flipped byte inside a tensor name is a different valid name
 *   that no checker can tell from the original; names are compared by
 *   length.
 * - a flip in a structural field is never silent: the scan is incomplete,
 *   or its findings or its metadata differ from the original's.  The one
 *   exception is a scalar integer type turned into another integer type
 *   that reads the same number (kind B_TWIN): its signed twin, or a
 *   narrower type in the last record before the header padding.
 */
static void
flip_check(const char *name, size_t i, const struct fbuf *b,
    const struct walk *w0, const struct mg_artifact *a0, int kind)
{
	struct mg_artifact a;
	struct walk w;
	int same, closed, silent;

	scan_mem(b->p, b->len, &a);
	walk_gguf(&w, b->p, b->len, NULL);
	same = same_tensors(w0, &w) && same_summary(a0, &a);
	closed = !a.complete || mg_artifact_max_sev(&a) >= MG_SEV_HIGH;
	if (!((a.complete && same) || closed))
		dump(&a);
	ck_assert_msg((a.complete && same) || closed,
	    "%s: flip at %zu (0x%02x) changes the tensor table but the scan is "
	    "complete without a high finding", name, i, b->p[i]);
	silent = a.complete && same_findings(a0, &a) &&
	    cJSON_Compare(a0->metadata, a.metadata, 1);
	ck_assert_msg(kind != B_STRUCT || !silent,
	    "%s: flip at %zu (0x%02x) of a structural byte is silent",
	    name, i, b->p[i]);
	mg_artifact_free(&a);
}

static int
int_type(unsigned char t)
{
	return t <= 5 || t == 10 || t == 11;
}

static void
flip_loop(const char *name, struct fbuf *bp)
{
	struct mg_artifact a0;
	struct walk w0;
	unsigned char *kind;
	struct fbuf b = *bp;
	size_t i, nstruct = 0, end;
	int bit;

	ck_assert_ptr_nonnull(kind = malloc(b.len ? b.len : 1));
	walk_gguf(&w0, b.p, b.len, kind);
	ck_assert_msg(w0.ok, "%s: the test's walk failed", name);
	scan_mem(b.p, b.len, &a0);
	ck_assert_int_eq(a0.complete, 1);
	/* The header, its padding, and the padding after the data. */
	end = (size_t)strtoull(meta(&a0, "data_offset")->valuestring, NULL,
	    10);
	end = end > b.len ? b.len : end;
	for (i = 0; i < b.len; i++) {
		unsigned char orig = b.p[i];

		if (i >= end && i + 32 < b.len)
			continue;	/* tensor data: never read */
		nstruct += kind[i] == B_STRUCT;
		for (bit = 0; bit < 8; bit++) {
			b.p[i] = (unsigned char)(orig ^ (1u << bit));
			flip_check(name, i, &b, &w0, &a0, kind[i] ==
			    B_TWIN && !int_type(b.p[i]) ? B_STRUCT : kind[i]);
		}
		if (orig != 0xff) {
			b.p[i] = 0xff;
			flip_check(name, i, &b, &w0, &a0,
			    kind[i] == B_TWIN ? B_STRUCT : kind[i]);
		}
		b.p[i] = orig;
	}
	ck_assert_uint_ge(nstruct, 24);
	mg_artifact_free(&a0);
	free(kind);
}

START_TEST(bitflip_fails_closed)
{
	const struct gguf_fixture *f = &gguf_fixtures[_i];
	struct fbuf b;

	if (strcmp(f->dir, "valid") != 0)
		return;
	fbuf_init(&b);
	f->build(&b);
	flip_loop(f->name, &b);
	fbuf_free(&b);
}
END_TEST

/* The same for files written by gguf-py. */
START_TEST(bitflip_fails_closed_gguf_py)
{
	static const char *const files[] = {
		"vocab-only.gguf", "tiny-llama-f16.gguf" };
	struct fbuf b;
	char path[4096];
	size_t i, n;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/fixtures/writers/gguf-py/%s",
		    tu_env("MG_SRCDIR"), files[i]);
		fbuf_init(&b);
		ck_assert_ptr_nonnull(b.p = (unsigned char *)tu_slurp(path, &n));
		b.len = b.cap = n;
		flip_loop(files[i], &b);
		fbuf_free(&b);
	}
}
END_TEST

/* A 150k-token vocabulary header (its speed is measured by make bench). */
START_TEST(big_vocab_header)
{
	struct gguf_model m = {
		.vocab = 150000, .file_type = 7, .n_tensors = 300,
		.ne0 = 4096, .ne1 = 4096, .context_length = 32768,
		.chat_template = "{{ x }}", .no_data = 1,
	};
	static const uint32_t types[] = { 8 };
	struct mg_artifact a;
	struct fbuf b;

	m.ttypes = types;
	m.n_ttypes = 1;
	fbuf_init(&b);
	gguf_build_model(&m, &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(a.vocab_size, 150000);
	ck_assert_uint_eq(a.parameter_count, 300ull * 4096 * 4096);
	/* Header only: the tensors lie past the end of this buffer. */
	ck_assert_uint_ge(count_rule(&a, "GGUF-OFFSET"), 1);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

/*
 * A raw key named like a summary member (Python dict semantics, as in
 * l-bom): the summary value replaces it where it stands; other summary
 * members are appended.
 */
START_TEST(raw_key_named_like_summary)
{
	struct mg_artifact a;
	struct gguf_b g;
	struct fbuf b;
	const cJSON *c;

	gguf_b_init(&g, 3, 0);
	gguf_kv_str(&g, "tensor_count", "raw");
	gguf_kv_str(&g, "general.architecture", "llama");
	gguf_kv_u32(&g, "alignment", 64);
	fbuf_init(&b);
	gguf_b_out(&g, &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_ptr_nonnull(a.metadata);
	c = a.metadata->child;
	ck_assert_str_eq(c->string, "tensor_count");
	ck_assert(cJSON_IsRaw(c));
	ck_assert_str_eq(c->valuestring, "0");
	ck_assert_str_eq(c->next->string, "general.architecture");
	ck_assert_str_eq(c->next->next->string, "alignment");
	ck_assert_int_eq(cJSON_GetArraySize(a.metadata), 3 + 6);
	ck_assert_str_eq(cJSON_GetStringValue(meta(&a, "endianness")),
	    "little");
	mg_artifact_free(&a);
	gguf_b_free(&g);
	fbuf_free(&b);
}
END_TEST

/*
 * Parity with l-bom: a FLOAT64 count past 2^63 is still an integer
 * (Python's int(1e19)), so it becomes context_length.
 */
START_TEST(float_count_past_2p63)
{
	struct mg_artifact a;
	struct gguf_b g;
	struct fbuf b;

	gguf_b_init(&g, 3, 0);
	gguf_kv_str(&g, "general.architecture", "llama");
	gguf_kv_f64(&g, "general.context_length", 1e19);
	fbuf_init(&b);
	gguf_b_out(&g, &b);
	scan_mem(b.p, b.len, &a);
	ck_assert(a.have & MG_HAVE_CTX);
	ck_assert_uint_eq(a.context_length, 10000000000000000000ull);
	mg_artifact_free(&a);
	b.len = 0;
	gguf_b_free(&g);
	/* 2^64 and beyond do not fit: no context length, no crash. */
	gguf_b_init(&g, 3, 0);
	gguf_kv_f64(&g, "general.context_length", 18446744073709551616.0);
	gguf_b_out(&g, &b);
	scan_mem(b.p, b.len, &a);
	ck_assert(!(a.have & MG_HAVE_CTX));
	mg_artifact_free(&a);
	gguf_b_free(&g);
	fbuf_free(&b);
}
END_TEST

/*
 * ggml's contiguity rule: offsets follow declaration order, each tensor
 * padded to the alignment.  A gap (bytes no tensor owns) and a reordered
 * table are both refused by ggml and reported.
 */
START_TEST(tensors_must_be_contiguous_in_order)
{
	static const uint64_t dims[1] = { 8 };	/* F32 [8]: 32 bytes */
	static const struct {
		uint64_t	off_a, off_b, data;
		const char	*why;
	} cases[] = {
		{ 0, 32, 64, NULL },		/* contiguous: clean */
		{ 0, 64, 96, "offset 64 but ggml requires 32 (a gap" },
		{ 32, 0, 64, "offset 32 but ggml requires 0" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gguf_b g;
		struct fbuf b;
		struct mg_artifact a;
		size_t k, hits = 0;

		gguf_b_init(&g, 3, 0);
		gguf_kv_str(&g, "general.architecture", "llama");
		gguf_tensor_at(&g, "a", 1, dims, GGML_T_F32, cases[i].off_a);
		gguf_tensor_at(&g, "b", 1, dims, GGML_T_F32, cases[i].off_b);
		fbuf_zeros(&g.data, (size_t)cases[i].data);
		fbuf_init(&b);
		gguf_b_out(&g, &b);
		scan_mem(b.p, b.len, &a);
		for (k = 0; k < a.nfindings; k++) {
			if (a.findings[k].rule == MG_R_GGUF_OFFSET &&
			    cases[i].why != NULL && strstr(a.findings[k].message,
			    cases[i].why) != NULL)
				hits++;
			/* Listed out of order, the ranges still do not meet. */
			ck_assert_msg(strstr(a.findings[k].message, "overlaps") ==
			    NULL, "case %zu: %s", i, a.findings[k].message);
		}
		if (cases[i].why == NULL)
			ck_assert_msg(count_rule(&a, "GGUF-OFFSET") == 0,
			    "case %zu: unexpected GGUF-OFFSET", i);
		else
			ck_assert_msg(hits == 1, "case %zu: no '%s' finding", i,
			    cases[i].why);
		mg_artifact_free(&a);
		fbuf_free(&b);
		gguf_b_free(&g);
	}
}
END_TEST

/* Padding before the data section must be zeros: nothing may hide there. */
START_TEST(padding_before_data_is_zero)
{
	struct mg_artifact a;
	struct fbuf b;
	uint64_t data_off;

	build("llama-q8_0.gguf", &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(count_rule(&a, "GGUF-TRAIL"), 0);
	data_off = (uint64_t)strtoull(meta(&a, "data_offset")->valuestring,
	    NULL, 10);
	mg_artifact_free(&a);
	ck_assert_uint_gt(data_off, 0);
	ck_assert_uint_eq(b.p[data_off - 1], 0);	/* a padding byte */
	b.p[data_off - 1] = 0x5a;
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(count_rule(&a, "GGUF-TRAIL"), 1);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

static const struct mg_finding *
first_rule(const struct mg_artifact *a, const char *id)
{
	size_t k;

	for (k = 0; k < a->nfindings; k++)
		if (strcmp(mg_rule_get(a->findings[k].rule)->id, id) == 0)
			return &a->findings[k];
	return NULL;
}

/*
 * llama.cpp indexes tokenizer.ggml.scores (float32) and token_type (int32)
 * by token id, trusting count and element type: a wrong type with the
 * right count, or a short array, is a high finding.
 */
START_TEST(hole09_vocab_array_types)
{
	static const char *const toks[4] = { "<s>", "a", "b", "c" };
	static const float sc[4] = { 0, -1, -2, -3 };
	static const int32_t tt[4] = { 3, 1, 1, 1 };
	static const struct {
		int		 tokens_i32, scores_i8, scores_short;
		int		 ttype_u8, ttype_i32_short, bos_out;
		const char	*key;		/* NULL: clean */
	} cases[] = {
		{ 0, 0, 0, 0, 0, 0, NULL },
		{ 0, 1, 0, 0, 0, 0, "tokenizer.ggml.scores" },
		{ 0, 0, 1, 0, 0, 0, "tokenizer.ggml.scores" },
		{ 0, 0, 0, 1, 0, 0, "tokenizer.ggml.token_type" },
		{ 0, 0, 0, 0, 1, 0, "tokenizer.ggml.token_type" },
		{ 1, 0, 0, 0, 0, 0, "tokenizer.ggml.tokens" },
		{ 0, 0, 0, 0, 0, 1, "tokenizer.ggml.bos_token_id" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct mg_finding *f;
		struct mg_artifact a;
		struct gguf_b g;
		struct fbuf b;

		gguf_b_init(&g, 3, 0);
		gguf_kv_str(&g, "general.architecture", "llama");
		if (cases[i].tokens_i32)
			gguf_kv_arr_i32(&g, "tokenizer.ggml.tokens", tt, 4);
		else
			gguf_kv_arr_str(&g, "tokenizer.ggml.tokens", toks, 4);
		if (cases[i].scores_i8) {
			gguf_kv_arr(&g, "tokenizer.ggml.scores", GGUF_T_INT8, 4);
			fbuf_zeros(&g.kv, 4);
		} else
			gguf_kv_arr_f32(&g, "tokenizer.ggml.scores", sc,
			    cases[i].scores_short ? 3 : 4);
		if (cases[i].ttype_u8) {
			gguf_kv_arr(&g, "tokenizer.ggml.token_type",
			    GGUF_T_UINT8, 4);
			fbuf_zeros(&g.kv, 4);
		} else
			gguf_kv_arr_i32(&g, "tokenizer.ggml.token_type", tt,
			    cases[i].ttype_i32_short ? 2 : 4);
		gguf_kv_u32(&g, "tokenizer.ggml.bos_token_id",
		    cases[i].bos_out ? 4 : 0);
		fbuf_init(&b);
		gguf_b_out(&g, &b);
		fbuf_pad(&b, 32);
		scan_mem(b.p, b.len, &a);
		ck_assert_int_eq(a.complete, 1);
		f = first_rule(&a, "GGUF-VOCAB");
		if (cases[i].key == NULL)
			ck_assert_msg(f == NULL, "case %zu: %s", i, f->message);
		else {
			ck_assert_msg(f != NULL, "case %zu: no GGUF-VOCAB", i);
			ck_assert_str_eq(f->key, cases[i].key);
			ck_assert_int_eq(f->severity, MG_SEV_HIGH);
			ck_assert_uint_eq(count_rule(&a, "GGUF-VOCAB"), 1);
		}
		mg_artifact_free(&a);
		fbuf_free(&b);
		gguf_b_free(&g);
	}
}
END_TEST

/*
 * gguf-py, ggml and @huggingface/gguf pad the header to the alignment
 * even without tensors: zeros up to the boundary are padding.  Anything
 * else is GGUF-TRAIL with the extent of the bytes, so that a different
 * payload never shares a fingerprint.
 */
START_TEST(hole12_zero_tensor_padding)
{
	static const uint64_t d4[1] = { 4 };
	const struct mg_finding *f;
	struct mg_artifact a;
	struct gguf_b g;
	struct fbuf b;
	size_t hdr, pad;
	uint64_t len5;

	gguf_b_init(&g, 3, 0);
	gguf_kv_str(&g, "general.architecture", "llama");
	gguf_kv_str(&g, "general.name", "x");
	fbuf_init(&b);
	gguf_b_out(&g, &b);
	hdr = b.len;
	fbuf_pad(&b, 32);
	pad = b.len - hdr;
	ck_assert_uint_gt(pad, 0);

	/* Zero padding to the boundary: clean. */
	scan_mem(b.p, b.len, &a);
	ck_assert_int_eq(a.complete, 1);
	ck_assert_uint_eq(count_rule(&a, "GGUF-TRAIL"), 0);
	ck_assert_int_lt(max_sev_but(&a, NULL), MG_SEV_MED);
	mg_artifact_free(&a);

	/* A non-zero padding byte. */
	b.p[hdr + 1] = 0x50;
	scan_mem(b.p, b.len, &a);
	ck_assert_ptr_nonnull(f = first_rule(&a, "GGUF-TRAIL"));
	ck_assert_uint_eq(f->offset, hdr + 1);
	ck_assert_uint_eq(f->length, pad - 1);
	ck_assert_ptr_nonnull(f->evidence);
	mg_artifact_free(&a);
	b.p[hdr + 1] = 0;

	/* Bytes past the boundary: offset and length of the region. */
	fbuf_put(&b, "PK\x05\x06\x00", 5);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(count_rule(&a, "GGUF-TRAIL"), 1);
	f = first_rule(&a, "GGUF-TRAIL");
	ck_assert_uint_eq(f->offset, hdr + pad);
	ck_assert_uint_eq(f->length, 5);
	len5 = f->length;
	mg_artifact_free(&a);
	fbuf_put(&b, "more!", 5);
	scan_mem(b.p, b.len, &a);
	f = first_rule(&a, "GGUF-TRAIL");
	ck_assert_uint_eq(f->offset, hdr + pad);
	ck_assert_uint_ne(f->length, len5);
	mg_artifact_free(&a);
	fbuf_free(&b);
	gguf_b_free(&g);

	/* With tensors: after the padded last tensor, and in its padding. */
	gguf_b_init(&g, 3, 0);
	gguf_kv_str(&g, "general.architecture", "llama");
	gguf_tensor(&g, "w", 1, d4, GGML_T_F32, 1);	/* 16 + 16 padding */
	fbuf_init(&b);
	gguf_b_out(&g, &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_int_eq(a.complete, 1);
	ck_assert_uint_eq(count_rule(&a, "GGUF-TRAIL"), 0);
	mg_artifact_free(&a);
	b.p[b.len - 1] = 1;
	scan_mem(b.p, b.len, &a);
	ck_assert_ptr_nonnull(f = first_rule(&a, "GGUF-TRAIL"));
	ck_assert_uint_eq(f->offset, b.len - 1);
	ck_assert_uint_eq(f->length, 1);
	mg_artifact_free(&a);
	b.p[b.len - 1] = 0;
	fbuf_put(&b, "tail", 4);
	scan_mem(b.p, b.len, &a);
	ck_assert_ptr_nonnull(f = first_rule(&a, "GGUF-TRAIL"));
	ck_assert_uint_eq(f->offset, b.len - 4);
	ck_assert_uint_eq(f->length, 4);
	mg_artifact_free(&a);
	fbuf_free(&b);
	gguf_b_free(&g);
}
END_TEST

/* Any u32 power of two is a valid alignment: 2 MiB, even 2^31. */
START_TEST(hole13_large_alignment)
{
	static const uint64_t d8[1] = { 8 };
	static const uint32_t aligns[] = { 1u << 21, 1u << 31 };
	struct mg_artifact a;
	struct gguf_b g;
	struct fbuf b;
	char want[16];
	size_t i;

	for (i = 0; i < 2; i++) {
		gguf_b_init(&g, 3, 0);
		g.align = aligns[i];
		gguf_kv_str(&g, "general.architecture", "llama");
		gguf_kv_u32(&g, "general.alignment", aligns[i]);
		gguf_tensor(&g, "w", 1, d8, GGML_T_F32, i == 0);
		fbuf_init(&b);
		gguf_b_out(&g, &b);
		if (i == 0)
			fbuf_pad(&b, aligns[i]);
		scan_mem(b.p, b.len, &a);
		ck_assert_uint_eq(count_rule(&a, "GGUF-ALIGN"), 0);
		snprintf(want, sizeof(want), "%u", aligns[i]);
		ck_raw(meta(&a, "alignment"), want);
		if (i == 0) {
			/* The whole file: clean, no cascade of offsets. */
			if (max_sev_but(&a, NULL) >= MG_SEV_MED)
				dump(&a);
			ck_assert_int_eq(a.complete, 1);
			ck_assert_int_lt(max_sev_but(&a, NULL), MG_SEV_MED);
			ck_raw(meta(&a, "data_offset"), "2097152");
		} else	/* header only: the data would start at 2 GiB */
			ck_assert_uint_ge(count_rule(&a, "GGUF-OFFSET"), 1);
		mg_artifact_free(&a);
		fbuf_free(&b);
		gguf_b_free(&g);
	}
	/* Not a power of two: still refused. */
	gguf_b_init(&g, 3, 0);
	gguf_kv_u32(&g, "general.alignment", 3u << 20);
	fbuf_init(&b);
	gguf_b_out(&g, &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(count_rule(&a, "GGUF-ALIGN"), 1);
	mg_artifact_free(&a);
	fbuf_free(&b);
	gguf_b_free(&g);
}
END_TEST

/* Heap bytes in use (0 where an allocator of its own answers). */
static size_t
heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/*
 * One million tiny key/values: the metadata kept stays within
 * MG_MAX_META_BYTES counted on real memory, values past it are elided with
 * one LIMIT-META, the artifact is still fully checked, and a duplicate of
 * an early key at the very end is still found.
 */
START_TEST(hole14_memory_budget)
{
	struct mg_artifact a;
	struct gguf_b g;
	struct fbuf b;
	char key[32];
	size_t before, after, i;
	const struct mg_finding *f;

	gguf_b_init(&g, 3, 0);
	for (i = 0; i < MG_MAX_GGUF_KV - 1; i++) {
		snprintf(key, sizeof(key), "k.%07zu", i);
		gguf_kv_u8(&g, key, (uint8_t)i);
	}
	gguf_kv_u8(&g, "k.0000003", 1);
	fbuf_init(&b);
	gguf_b_out(&g, &b);
	gguf_b_free(&g);
	fbuf_pad(&b, 32);

	malloc_trim(0);
	before = heap_used();
	scan_mem(b.p, b.len, &a);
	after = heap_used();
	ck_assert_int_eq(a.complete, 1);
	ck_assert_uint_le(a.meta_bytes, MG_MAX_META_BYTES);
	ck_assert_uint_eq(count_rule(&a, "LIMIT-META"), 1);
	ck_assert_uint_eq(count_rule(&a, "GGUF-KEY"), 1);
	ck_assert_ptr_nonnull(f = first_rule(&a, "GGUF-KEY"));
	ck_assert_str_eq(f->key, "k.0000003");
	/* What the artifact keeps is real memory within the cap. */
	if (before != 0 || after != 0)
		ck_assert_msg(after < before ||
		    after - before <= MG_MAX_META_BYTES,
		    "the artifact holds %zu bytes after the parse",
		    after - before);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

/*
 * A file read through the descriptor the walk opened, with the size the
 * walk saw: with a digest, which reads to the end, a file longer than
 * that (it grew after the walk) or shorter is an I/O error; the same
 * bytes at the right size are clean.
 */
START_TEST(fd_source_size)
{
	struct gguf_model m = { .vocab = 8, .n_tensors = 3, .ne0 = 256,
	    .ne1 = 2 };
	static const int64_t delta[] = { 0, -1, 1 };
	struct mg_scan_opts o;
	struct mg_artifact a;
	struct fbuf b;
	char *dir = tu_tmpdir(), path[512];
	size_t d;
	int hash, fd;

	fbuf_init(&b);
	gguf_build_model(&m, &b);
	tu_write_bytes(dir, "t.gguf", b.p, b.len);
	snprintf(path, sizeof(path), "%s/t.gguf", dir);
	for (hash = 0; hash < 2; hash++)
		for (d = 0; d < sizeof(delta) / sizeof(delta[0]); d++) {
			memset(&o, 0, sizeof(o));
			o.hash = hash;
			mg_artifact_init(&a);
			ck_assert_int_eq(mg_artifact_setz(&a.path, path), MG_OK);
			ck_assert_int_eq(mg_artifact_setz(&a.filename,
			    "t.gguf"), MG_OK);
			fd = open(path, O_RDONLY);
			ck_assert_int_ge(fd, 0);
			mg_scan_file(&ctx, &o, path, 0, NULL, 0, 0, fd,
			    (uint64_t)((int64_t)b.len + delta[d]), &a);
			if (delta[d] == 0) {
				ck_assert_uint_eq(count_rule(&a, "IO-READ"), 0);
				if (hash)
					ck_assert_uint_eq(strlen(a.sha256), 64);
			} else if (!hash) {
				/*
				 * The header parser skips the tensor data
				 * unread: a grown file is not seen, a short one
				 * is a tensor that ends past the declared end.
				 */
				ck_assert_uint_eq(count_rule(&a, "IO-READ"), 0);
				if (delta[d] > 0)
					ck_assert_uint_eq(count_rule(&a,
					    "GGUF-TRAIL"), 1);
			}
			else {
				if (count_rule(&a, "IO-READ") != 1)
					dump(&a);
				ck_assert_msg(count_rule(&a, "IO-READ") == 1,
				    "size %+lld, digest %d", (long long)delta[d],
				    hash);
			}
			mg_artifact_free(&a);
		}
	tu_rmrf(dir);
	free(dir);
	fbuf_free(&b);
}
END_TEST

/* Stored tensor types, and a file-type label that claims more. */
START_TEST(hole06_stored_types)
{
	static const uint32_t q4km[] = { 12, 14, GGML_T_F32 };
	static const uint32_t iq1s[] = { 19, GGML_T_F32 };	/* IQ1_S */
	struct gguf_model m = {
		.vocab = 8, .n_tensors = 3, .ne0 = 256, .ne1 = 2,
	};
	const struct mg_finding *f;
	struct mg_artifact a;
	struct fbuf b;
	size_t k;
	uint64_t n = 0;

	/* Q4_K_M with Q6_K and F32 tensors: normal, types listed. */
	m.file_type = 15;
	m.ttypes = q4km;
	m.n_ttypes = 3;
	fbuf_init(&b);
	gguf_build_model(&m, &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(count_rule(&a, "GGUF-FTYPE"), 0);
	ck_assert_uint_eq(a.nttypes, 3);
	ck_assert_str_eq(a.ttypes[0].name, "Q4_K");
	ck_assert_uint_eq(a.ttypes[0].bpw_milli, 4500);
	ck_assert_int_eq(a.ttypes[0].quantized, 1);
	ck_assert_str_eq(a.ttypes[1].name, "Q6_K");
	ck_assert_str_eq(a.ttypes[2].name, "F32");
	ck_assert_int_eq(a.ttypes[2].quantized, 0);
	ck_assert_uint_eq(a.ttypes[2].bpw_milli, 32000);
	for (k = 0; k < a.nttypes; k++) {
		n += a.ttypes[k].count;
		ck_assert_uint_eq(a.ttypes[k].params, 512);
	}
	ck_assert_uint_eq(n, 3);
	mg_artifact_free(&a);
	fbuf_free(&b);

	/* Labelled Q8_0, stored IQ1_S: GGUF-FTYPE names both. */
	m.file_type = 7;
	m.ttypes = iq1s;
	m.n_ttypes = 2;
	m.n_tensors = 4;
	fbuf_init(&b);
	gguf_build_model(&m, &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(count_rule(&a, "GGUF-FTYPE"), 1);
	ck_assert_ptr_nonnull(f = first_rule(&a, "GGUF-FTYPE"));
	ck_assert_int_eq(f->severity, MG_SEV_MED);
	ck_assert_str_eq(f->key, "general.file_type");
	ck_assert_str_eq(f->evidence, "IQ1_S");
	ck_assert_ptr_nonnull(strstr(f->message, "Q8_0"));
	ck_assert_ptr_nonnull(strstr(f->message, "2 tensors (1024 parameters)"));
	ck_assert_str_eq(a.ttypes[a.ttype_major].name, "IQ1_S");
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

/* safetensors: dtypes with tensor and element counts. */
START_TEST(hole06_stored_types_safetensors)
{
	static const struct st_tensor t[3] = {
		{ "a", "F16", 2, { 4, 8 } },
		{ "b", "F32", 1, { 8 } },
		{ "c", "F16", 1, { 16 } },
	};
	struct mg_scan_opts o;
	struct mg_memsrc m;
	struct mg_src src;
	struct mg_artifact a;
	struct fbuf b;

	fbuf_init(&b);
	st_build_file(&b, NULL, t, 3);
	memset(&o, 0, sizeof(o));
	o.hash = 1;
	mg_artifact_init(&a);
	ck_assert_int_eq(mg_artifact_setz(&a.path, "t.safetensors"), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a.filename, "t.safetensors"),
	    MG_OK);
	a.size = b.len;
	mg_src_mem(&src, &m, b.p, b.len);
	mg_scan_src(&ctx, &o, &src, &a);
	ck_assert_str_eq(a.format->name, "safetensors");
	ck_assert_uint_eq(a.nttypes, 2);
	ck_assert_str_eq(a.ttypes[0].name, "F16");
	ck_assert_uint_eq(a.ttypes[0].count, 2);
	ck_assert_uint_eq(a.ttypes[0].params, 48);
	ck_assert_uint_eq(a.ttypes[0].bpw_milli, 16000);
	ck_assert_int_eq(a.ttypes[0].quantized, 0);
	ck_assert_str_eq(a.ttypes[1].name, "F32");
	ck_assert_uint_eq(a.ttypes[1].count, 1);
	ck_assert_uint_eq(a.ttypes[1].params, 8);
	ck_assert_uint_eq(a.ttypes[1].bpw_milli, 32000);
	ck_assert_int_eq(a.ttype_major, 0);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

/* Scan one file from disk the way the CLI does (whole file, hashed). */
static void
scan_file(const char *path, struct mg_artifact *a)
{
	size_t n;
	char *p = tu_slurp(path, &n);

	ck_assert_msg(p != NULL, "cannot read %s", path);
	scan_mem(p, n, a);
	free(p);
}

static void
writer_file_clean(const char *path, const char *allowed)
{
	struct mg_artifact a;

	scan_file(path, &a);
	if (!a.complete || max_sev_but(&a, allowed) >= MG_SEV_LOW ||
	    count_rule(&a, "GGUF-TRAIL") > 0)
		dump(&a);
	ck_assert_msg(a.complete, "%s: not complete", path);
	ck_assert_msg(count_rule(&a, "GGUF-TRAIL") == 0, "%s: GGUF-TRAIL",
	    path);
	ck_assert_msg(max_sev_but(&a, allowed) < MG_SEV_LOW,
	    "%s: unexpected finding", path);
	if (allowed != NULL)
		ck_assert_uint_ge(count_rule(&a, allowed), 1);
	mg_artifact_free(&a);
}

/* Files written by llama.cpp's gguf-py (committed with their script). */
START_TEST(writer_gguf_py)
{
	static const struct {
		const char	*name, *allowed;
	} files[] = {
		{ "vocab-only.gguf", NULL },
		{ "nested-array.gguf", "GGUF-TYPE" },
		{ "align-2m.gguf", NULL },
		{ "tiny-llama-f16.gguf", NULL },
	};
	char path[4096];
	struct mg_artifact a;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/fixtures/writers/gguf-py/%s",
		    tu_env("MG_SRCDIR"), files[i].name);
		writer_file_clean(path, files[i].allowed);
	}
	snprintf(path, sizeof(path),
	    "%s/fixtures/writers/gguf-py/tiny-llama-f16.gguf",
	    tu_env("MG_SRCDIR"));
	scan_file(path, &a);
	ck_assert_str_eq(a.quantization, "F16");
	ck_assert_uint_eq(a.vocab_size, 8);
	ck_assert_uint_eq(a.nttypes, 2);
	mg_artifact_free(&a);
}
END_TEST

/*
 * Files written at test time by @huggingface/gguf's serializeGgufMetadata
 * (make npm-fixtures).  Skipped, saying why, only when node or npm is not
 * installed.
 */
START_TEST(writer_hf_gguf_js)
{
	static const char *const files[] = {
		"vocab-only.gguf", "metadata-align64.gguf" };
	const char *dir = tu_env("MG_NPM_FIXTURES");
	char path[4096], *why;
	struct mg_artifact a;
	size_t i;

	snprintf(path, sizeof(path), "%s/SKIPPED", dir);
	if ((why = tu_slurp(path, NULL)) != NULL) {
		fprintf(stderr, "writer_hf_gguf_js: skipped: %s", why);
		free(why);
		return;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		writer_file_clean(path, NULL);
	}
	snprintf(path, sizeof(path), "%s/metadata-align64.gguf", dir);
	scan_file(path, &a);
	ck_raw(meta(&a, "alignment"), "64");
	ck_assert_uint_eq(a.size % 64, 0);
	mg_artifact_free(&a);
}
END_TEST

Suite *
gguf_suite(void)
{
	Suite *s = suite_create("gguf");
	TCase *tc = tcase_create("gguf");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, valid_clean);
	tcase_add_loop_test(tc, valid_derived, 0,
	    (int)(sizeof(expects) / sizeof(expects[0])));
	tcase_add_test(tc, q8_metadata_shape);
	tcase_add_test(tc, key_bytes_everywhere);
	tcase_add_test(tc, preview_text_matches_list);
	tcase_add_test(tc, twins_agree);
	tcase_add_test(tc, vectors);
	tcase_add_test(tc, vector_details);
	tcase_add_test(tc, findings_capped);
	tcase_add_test(tc, truncation_loop);
	tcase_add_loop_test(tc, bitflip_fails_closed, 0, (int)gguf_nfixtures);
	tcase_add_test(tc, bitflip_fails_closed_gguf_py);
	tcase_add_test(tc, big_vocab_header);
	tcase_add_test(tc, float_count_past_2p63);
	tcase_add_test(tc, raw_key_named_like_summary);
	tcase_add_test(tc, tensors_must_be_contiguous_in_order);
	tcase_add_test(tc, padding_before_data_is_zero);
	tcase_add_test(tc, hole09_vocab_array_types);
	tcase_add_test(tc, hole12_zero_tensor_padding);
	tcase_add_test(tc, hole13_large_alignment);
	tcase_add_test(tc, hole14_memory_budget);
	tcase_add_test(tc, hole06_stored_types);
	tcase_add_test(tc, hole06_stored_types_safetensors);
	tcase_add_test(tc, fd_source_size);
	tcase_add_test(tc, writer_gguf_py);
	tcase_add_test(tc, writer_hf_gguf_js);
	suite_add_tcase(s, tc);
	return s;
}
