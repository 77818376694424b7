/*
 * test_gguf.c - the GGUF parser, end to end through mg_scan_src() over
 * memory sources.
 *
 * Fixtures come from the generator's own table (gguf_build.h), so what is
 * on disk is what is tested: every valid file is clean below medium with
 * exact derived fields, every invalid/hostile file raises its named rule,
 * every prefix of every valid file yields a finding, and every bit of the
 * header of two valid files can be flipped without a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>

#include "artifact.h"
#include "buf.h"
#include "err.h"
#include "gguf_build.h"
#include "hash.h"
#include "limits.h"
#include "rd.h"
#include "rules.h"
#include "scan.h"
#include "suites.h"
#include "text.h"

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
		ck_assert_str_eq(a.format, "gguf");
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
	ck_assert(cJSON_IsArray(meta(&a, "metadata_keys")));
	ck_assert(cJSON_IsObject(meta(&a, "tensor_type_counts")));
	ck_assert(cJSON_IsObject(meta(&a, "tensor_type_parameter_counts")));
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

START_TEST(q8_metadata_shape)
{
	const cJSON *j, *p, *first;
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
	p = cJSON_GetObjectItemCaseSensitive(j, "preview");
	ck_assert_int_eq(cJSON_GetArraySize(p), MG_ARRAY_PREVIEW);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(p, 1)), "<s>");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j,
	    "truncated")));
	j = meta(&a, "tokenizer.ggml.scores");
	ck_assert_str_eq(cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(j, "element_type")), "FLOAT32");
	ck_num(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j,
	    "preview"), 2), -2.0);
	j = meta(&a, "tokenizer.ggml.token_type");
	ck_raw(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j,
	    "preview"), 0), "3");

	j = meta(&a, "metadata_keys");
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetArrayItem(j, 0)),
	    "general.architecture");
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

	/* A duplicate key keeps the first value. */
	build("dup-key.gguf", &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_str_eq(cJSON_GetStringValue(meta(&a, "general.name")),
	    "first");
	ck_assert_int_eq(cJSON_GetArraySize(meta(&a, "metadata_keys")), 1);
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
	    MG_MAX_GGUF_SAME_FINDINGS + 1);
	mg_artifact_free(&a);
	fbuf_free(&b);
	gguf_b_free(&g);
}
END_TEST

static int
zeros(const unsigned char *p, size_t n)
{
	while (n > 0)
		if (p[--n] != 0)
			return 0;
	return 1;
}

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
		for (n = 0; n < b.len; n++) {
			struct mg_artifact a;

			scan_mem(b.p, n, &a);
			/*
			 * Cutting the zero padding after the last tensor
			 * leaves a valid file: the only clean prefixes.
			 */
			if (max_sev_but(&a, "GGUF-ENDIAN") < MG_SEV_MED)
				ck_assert_msg(b.len - n < 32 &&
				    zeros(b.p + n, b.len - n),
				    "%s cut at %zu: no finding", f->name, n);
			mg_artifact_free(&a);
		}
		fbuf_free(&b);
	}
}
END_TEST

static void
flip_loop(const char *name)
{
	struct mg_artifact a;
	struct fbuf b;
	size_t hdr, i;
	int bit;

	build(name, &b);
	scan_mem(b.p, b.len, &a);
	hdr = (size_t)strtoull(meta(&a, "data_offset")->valuestring, NULL, 10);
	mg_artifact_free(&a);
	for (i = 0; i < hdr; i++) {
		unsigned char orig = b.p[i];

		for (bit = 0; bit < 8; bit++) {
			b.p[i] = (unsigned char)(orig ^ (1u << bit));
			scan_mem(b.p, b.len, &a);
			mg_artifact_free(&a);
		}
		b.p[i] = 0xff;
		scan_mem(b.p, b.len, &a);
		mg_artifact_free(&a);
		b.p[i] = orig;
	}
	fbuf_free(&b);
}

START_TEST(bitflip_q4km)
{
	flip_loop("llama-q4_k_m.gguf");
}
END_TEST

START_TEST(bitflip_v2)
{
	flip_loop("llama-v2-f16.gguf");
}
END_TEST

/* A 150k-token vocabulary header must parse quickly. */
START_TEST(big_vocab_fast)
{
	struct gguf_model m = {
		.vocab = 150000, .file_type = 7, .n_tensors = 300,
		.ne0 = 4096, .ne1 = 4096, .context_length = 32768,
		.chat_template = "{{ x }}", .no_data = 1,
	};
	static const uint32_t types[] = { 8 };
	struct mg_artifact a;
	struct timespec t0, t1;
	struct fbuf b;
	double ms;

	m.ttypes = types;
	m.n_ttypes = 1;
	fbuf_init(&b);
	gguf_build_model(&m, &b);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	scan_mem(b.p, b.len, &a);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	ck_assert_uint_eq(a.vocab_size, 150000);
	ck_assert_uint_eq(a.parameter_count, 300ull * 4096 * 4096);
	/* Header only: the tensors lie past the end of this buffer. */
	ck_assert_uint_ge(count_rule(&a, "GGUF-OFFSET"), 1);
	ck_assert_msg(ms < 2000.0, "150k vocab header took %.1f ms", ms);
	mg_artifact_free(&a);
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
		for (k = 0; k < a.nfindings; k++)
			if (a.findings[k].rule == MG_R_GGUF_OFFSET &&
			    cases[i].why != NULL && strstr(a.findings[k].message,
			    cases[i].why) != NULL)
				hits++;
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
	tcase_add_test(tc, twins_agree);
	tcase_add_test(tc, vectors);
	tcase_add_test(tc, vector_details);
	tcase_add_test(tc, findings_capped);
	tcase_add_test(tc, truncation_loop);
	tcase_add_test(tc, bitflip_q4km);
	tcase_add_test(tc, bitflip_v2);
	tcase_add_test(tc, big_vocab_fast);
	tcase_add_test(tc, float_count_past_2p63);
	tcase_add_test(tc, tensors_must_be_contiguous_in_order);
	tcase_add_test(tc, padding_before_data_is_zero);
	suite_add_tcase(s, tc);
	return s;
}
