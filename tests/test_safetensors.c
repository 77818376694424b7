/*
 * test_safetensors.c - the safetensors parser, end to end through
 * mg_scan_src() over memory sources.
 *
 * Fixtures come from the same table the generator writes (st_build.h), so
 * what is on disk is what is tested.  Besides the table: derived fields and
 * metadata shapes of the valid files, a table of small inline headers for
 * the finer rules, a truncation loop over every prefix, a bit-flip loop
 * over every header byte, and two resource tests (deep nesting, a huge
 * array).
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
#include "fmt.h"
#include "limits.h"
#include "rd.h"
#include "rules.h"
#include "scan.h"
#include "st_build.h"
#include "suites.h"
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
scan_src(const struct mg_src *src, int hash, struct mg_artifact *a)
{
	struct mg_scan_opts o;

	memset(&o, 0, sizeof(o));
	o.hash = hash;
	mg_artifact_init(a);
	ck_assert_int_eq(mg_artifact_setz(&a->path, "t.safetensors"), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a->filename, "t.safetensors"),
	    MG_OK);
	mg_scan_src(&ctx, &o, src, a);
}

static void
scan_mem(const void *p, size_t n, struct mg_artifact *a)
{
	struct mg_memsrc m;
	struct mg_src src;

	mg_src_mem(&src, &m, p, n);
	scan_src(&src, 1, a);
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

static void
build_named(const char *name, struct fbuf *b)
{
	size_t k;

	for (k = 0; k < st_nfixtures; k++)
		if (strcmp(st_fixtures[k].name, name) == 0) {
			fbuf_init(b);
			st_fixtures[k].build(b);
			return;
		}
	ck_abort_msg("no fixture %s", name);
}

/* The integer in a raw (mg_json_u64) or number node. */
static uint64_t
json_u64(const cJSON *j)
{
	ck_assert_ptr_nonnull(j);
	if (cJSON_IsRaw(j))
		return strtoull(j->valuestring, NULL, 10);
	ck_assert(cJSON_IsNumber(j));
	return (uint64_t)j->valuedouble;
}

static const char *
json_s(const cJSON *obj, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);

	ck_assert_msg(cJSON_IsString(j), "%s is not a string", key);
	return j->valuestring;
}

/* Valid fixtures: clean, complete, hashed. */
START_TEST(valid_fixtures_clean)
{
	size_t k;

	for (k = 0; k < st_nfixtures; k++) {
		struct mg_artifact a;
		struct fbuf b;

		if (st_fixtures[k].rule != NULL)
			continue;
		fbuf_init(&b);
		st_fixtures[k].build(&b);
		scan_mem(b.p, b.len, &a);
		if (mg_artifact_max_sev(&a) >= MG_SEV_MED)
			dump(&a);
		ck_assert_msg(mg_artifact_max_sev(&a) < MG_SEV_MED, "%s",
		    st_fixtures[k].name);
		ck_assert_str_eq(a.format->name, "safetensors");
		ck_assert_int_eq(a.complete, 1);
		ck_assert_uint_eq(strlen(a.sha256), 64);
		ck_assert_ptr_nonnull(a.metadata);
		ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(
		    a.metadata, "layer_names"));
		ck_assert(mg_fmt_safetensors.probe(b.p, b.len < MG_PROBE_BYTES ?
		    b.len : MG_PROBE_BYTES, b.len) == 90);
		mg_artifact_free(&a);
		fbuf_free(&b);
	}
}
END_TEST

START_TEST(valid_s1_empty)
{
	struct mg_artifact a;
	struct fbuf b;
	cJSON *m, *ln;

	build_named("empty.safetensors", &b);
	ck_assert_uint_eq(b.len, 10);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(a.nfindings, 0);
	ck_assert_uint_eq(a.have & MG_HAVE_PARAMS, 0);
	ck_assert_ptr_null(a.dtype);
	ck_assert_ptr_null(a.training_framework);
	m = a.metadata;
	ln = tu_raw_list(m, "layer_names");
	ck_assert_int_eq(cJSON_GetArraySize(ln), 0);
	cJSON_Delete(ln);
	ck_assert(cJSON_IsObject(cJSON_GetObjectItem(m, "tensor_dtypes")));
	ck_assert_uint_eq(json_u64(cJSON_GetObjectItem(m, "header_length")),
	    2);
	ck_assert_uint_eq(json_u64(cJSON_GetObjectItem(m, "tensor_count")),
	    0);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

START_TEST(valid_s2_one_tensor)
{
	struct mg_artifact a;
	struct fbuf b;
	cJSON *m, *ln;

	build_named("one-tensor.safetensors", &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(a.nfindings, 0);
	ck_assert(a.have & MG_HAVE_PARAMS);
	ck_assert_uint_eq(a.parameter_count, 2);
	ck_assert_str_eq(a.dtype, "F32");
	ck_assert_ptr_null(a.training_framework);
	ck_assert_ptr_null(a.architecture);
	ck_assert_ptr_null(a.quantization);
	m = a.metadata;
	ln = tu_raw_list(m, "layer_names");
	ck_assert_int_eq(cJSON_GetArraySize(ln), 1);
	ck_assert_str_eq(cJSON_GetArrayItem(ln, 0)->valuestring, "a");
	cJSON_Delete(ln);
	ck_assert_str_eq(json_s(cJSON_GetObjectItem(m, "tensor_dtypes"), "a"),
	    "F32");
	/* Order: layer_names, tensor_dtypes, header_length, tensor_count. */
	ck_assert_str_eq(m->child->string, "layer_names");
	ck_assert_str_eq(m->child->next->string, "tensor_dtypes");
	ck_assert_str_eq(m->child->next->next->string, "header_length");
	ck_assert_uint_eq(json_u64(cJSON_GetObjectItem(m, "header_length")) %
	    8, 0);
	ck_assert_uint_eq(json_u64(cJSON_GetObjectItem(m, "tensor_count")),
	    1);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

START_TEST(valid_multi_pt)
{
	struct mg_artifact a;
	struct fbuf b;
	cJSON *m, *ln, *td;

	build_named("multi-pt.safetensors", &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(a.nfindings, 0);
	ck_assert_uint_eq(a.parameter_count, 32 + 4 + 32);
	ck_assert_str_eq(a.dtype, "mixed");
	ck_assert_str_eq(a.training_framework, "pytorch");
	m = a.metadata;
	/* __metadata__ entries come first. */
	ck_assert_str_eq(m->child->string, "format");
	ck_assert_str_eq(m->child->valuestring, "pt");
	ck_assert_str_eq(m->child->next->string, "layer_names");
	ln = tu_raw_list(m, "layer_names");
	ck_assert_int_eq(cJSON_GetArraySize(ln), 3);
	ck_assert_str_eq(cJSON_GetArrayItem(ln, 0)->valuestring,
	    "model.embed_tokens.weight");
	ck_assert_str_eq(cJSON_GetArrayItem(ln, 2)->valuestring,
	    "lm_head.weight");
	cJSON_Delete(ln);
	td = cJSON_GetObjectItem(m, "tensor_dtypes");
	ck_assert_int_eq(cJSON_GetArraySize(td), 3);
	ck_assert_str_eq(json_s(td, "model.norm.weight"), "BF16");
	ck_assert_str_eq(td->child->string, "model.embed_tokens.weight");
	ck_assert_uint_eq(json_u64(cJSON_GetObjectItem(m, "tensor_count")),
	    3);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

START_TEST(valid_mixed)
{
	struct mg_artifact a;
	struct fbuf b;

	build_named("mixed-dtype.safetensors", &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(a.nfindings, 0);
	ck_assert_uint_eq(a.parameter_count, 15 + 3 + 7 + 2);
	ck_assert_str_eq(a.dtype, "mixed");
	ck_assert_str_eq(a.training_framework, "tensorflow");
	ck_assert_str_eq(json_s(a.metadata, "format"), " TensorFlow ");
	ck_assert_str_eq(json_s(a.metadata, "note"), "caf\xc3\xa9");
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

START_TEST(valid_small_kinds)
{
	struct mg_artifact a;
	struct fbuf b;

	build_named("f8-f4.safetensors", &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(a.nfindings, 0);
	ck_assert_uint_eq(a.parameter_count, 6 + 4);
	ck_assert_str_eq(a.dtype, "mixed");
	ck_assert_str_eq(json_s(cJSON_GetObjectItem(a.metadata,
	    "tensor_dtypes"), "w4"), "F4");
	mg_artifact_free(&a);
	fbuf_free(&b);

	build_named("scalar.safetensors", &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(a.nfindings, 0);
	ck_assert(a.have & MG_HAVE_PARAMS);
	ck_assert_uint_eq(a.parameter_count, 1);
	ck_assert_str_eq(a.dtype, "F32");
	mg_artifact_free(&a);
	fbuf_free(&b);

	build_named("zero-element.safetensors", &b);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(a.nfindings, 0);
	ck_assert_uint_eq(a.have & MG_HAVE_PARAMS, 0);
	ck_assert_str_eq(a.dtype, "F16");
	ck_assert_uint_eq(json_u64(cJSON_GetObjectItem(a.metadata,
	    "tensor_count")), 1);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

/* Every invalid and hostile fixture reports its rule. */
START_TEST(bad_fixtures_table)
{
	size_t k;

	for (k = 0; k < st_nfixtures; k++) {
		struct mg_artifact a;
		struct fbuf b;

		if (st_fixtures[k].rule == NULL)
			continue;
		fbuf_init(&b);
		st_fixtures[k].build(&b);
		scan_mem(b.p, b.len, &a);
		if (count_rule(&a, st_fixtures[k].rule) == 0)
			dump(&a);
		ck_assert_msg(count_rule(&a, st_fixtures[k].rule) > 0,
		    "%s: no %s", st_fixtures[k].name, st_fixtures[k].rule);
		ck_assert_str_eq(a.format->name, "safetensors");
		if (strcmp(st_fixtures[k].rule, "ST-WS") == 0)
			ck_assert_int_lt(mg_artifact_max_sev(&a), MG_SEV_MED);
		else
			ck_assert_int_ge(mg_artifact_max_sev(&a), MG_SEV_HIGH);
		mg_artifact_free(&a);
		fbuf_free(&b);
	}
}
END_TEST

/* A source of a declared size: the prefix, then zero bytes. */
struct zsrc {
	const unsigned char *p;
	size_t		 n;
	uint64_t	 off, size;
};

static ssize_t
zsrc_read(void *zp, void *buf, size_t n)
{
	struct zsrc *z = zp;
	size_t k;

	if (n > z->size - z->off)
		n = (size_t)(z->size - z->off);
	for (k = 0; k < n; k++, z->off++)
		((unsigned char *)buf)[k] = z->off < z->n ? z->p[z->off] : 0;
	return (ssize_t)n;
}

/* S4 as specified: N = 100,000,001 in a file large enough to hold it. */
START_TEST(s4_real_size)
{
	struct mg_artifact a;
	struct fbuf b;
	struct zsrc z;
	struct mg_src src;

	build_named("n-too-big.safetensors", &b);
	z.p = b.p;
	z.n = b.len;
	z.off = 0;
	z.size = 8 + 100000001ull + 16;
	src.read = zsrc_read;
	src.why = NULL;
	src.pread = NULL;
	src.skip = NULL;
	src.ctx = &z;
	src.size = z.size;
	scan_src(&src, 0, &a);
	ck_assert_uint_eq(count_rule(&a, "ST-LEN"), 1);
	/* Nothing but the length field was read. */
	ck_assert_uint_le(z.off, MG_RD_BUFSZ);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

/* Small inline headers for the finer points of each rule. */
static const struct {
	const char	*hdr;
	uint64_t	 ndata;
	const char	*rule;		/* NULL: no finding at all */
} inline_cases[] = {
	{ "{\"__metadata__\":null}", 0, NULL },
	/* Listed out of offset order, the ranges still tile the data. */
	{ "{\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[1,3]},"
	    "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
	    3, NULL },
	{ "{\"__metadata__\":{}}   \t\r\n", 0, NULL },
	{ "{\"__metadata__\":{\"a\":\"\\u00e9\\ud83d\\ude00\"}}", 0, NULL },
	{ "{\"\\u0061\":{\"dtype\":\"U8\",\"shape\":[1],"
	    "\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[0],"
	    "\"data_offsets\":[1,1]}}", 1, "ST-DUPKEY" },
	{ "{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", 0, "ST-DUPKEY" },
	{ "{\"__metadata__\":{},\"__metadata__\":null}", 0, "ST-DUPKEY" },
	{ "{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],"
	    "\"data_offsets\":[0,1]}}", 1, "ST-DUPKEY" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],"
	    "\"x\":{\"k\":1,\"k\":2}}}", 1, "ST-DUPKEY" },
	{ "{\"__metadata__\":{\"k\":\"a\\u0000\"}}", 0, "ST-NUL" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],"
	    "\"x\":[\"\\u0000\"]}}", 1, "ST-NUL" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],"
	    "\"x\":\"\\U0000\"}}", 1, "ST-JSON" },
	{ "{\"__metadata__\":\"pt\"}", 0, "ST-META" },
	{ "{\"__metadata__\":{\"k\":[\"v\"]}}", 0, "ST-META" },
	{ "{\"__metadata__\":{\"k\":null}}", 0, "ST-META" },
	{ "{\"a\":[]}", 0, "ST-TINFO" },
	{ "{\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "ST-TINFO" },
	{ "{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,1]}}", 1, "ST-TINFO" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1, "ST-TINFO" },
	{ "{\"a\":{\"dtype\":8,\"shape\":[1],\"data_offsets\":[0,1]}}", 1,
	    "ST-TINFO" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":1,\"data_offsets\":[0,1]}}", 1,
	    "ST-TINFO" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,1]}}",
	    1, "ST-TINFO" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0]}}", 1,
	    "ST-TINFO" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[\"1\"],\"data_offsets\":[0,1]}}",
	    1, "ST-TINFO" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],"
	    "\"extra\":true}}", 1, "ST-TINFO" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
	    "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
	    "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1,
	    "ST-TINFO" },
	{ "{\"a\":{\"dtype\":\"BF8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
	    1, "ST-DTYPE" },
	{ "{\"a\":{\"dtype\":\"F32 \",\"shape\":[1],\"data_offsets\":[0,4]}}",
	    4, "ST-DTYPE" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[01],\"data_offsets\":[0,1]}}",
	    1, "ST-INT" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1e0],\"data_offsets\":[0,1]}}",
	    1, "ST-INT" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,1]}}",
	    1, "ST-INT" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1.0]}}",
	    1, "ST-INT" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,"
	    "99999999999999999999999]}}", 1, "ST-INT" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[9007199254740992],"
	    "\"data_offsets\":[0,1]}}", 1, "ST-SIZE" },
	{ "{\"a\":{\"dtype\":\"F6_E2M3\",\"shape\":[3],\"data_offsets\":[0,3]}}",
	    3, "ST-SIZE" },
	{ "{\"a\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[0,3]}}",
	    3, NULL },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2,
	    "ST-COVER" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 0,
	    "ST-COVER" },
	{ "{}", 1, "ST-COVER" },
	{ "", 0, "ST-JSON" },
	{ "   ", 0, "ST-JSON" },
	{ "{} x", 0, "ST-JSON" },
	{ "{,}", 0, "ST-JSON" },
	{ "{\"a\":{},}", 0, "ST-JSON" },
	{ "{\"a\"}", 0, "ST-JSON" },
	{ "{\"a", 0, "ST-JSON" },
	{ "{\"a\\x\":1}", 0, "ST-JSON" },
	{ "{\"\\ud800\":1}", 0, "ST-JSON" },
	{ "{\"\\udc00\":1}", 0, "ST-JSON" },
	{ "{\"a\tb\":1}", 0, "ST-JSON" },
	{ "{\"a\":{\"dtype\":\"U8\",\"shape\":[1-],\"data_offsets\":[0,1]}}",
	    1, "ST-JSON" },
	{ "{\"a\":{\"x\":[[tru]]}}", 0, "ST-JSON" },
	{ "{\"a\":{\"x\":[[[1]]]}}", 0, "ST-JSON" },
	{ "\xef\xbb\xbf{}", 0, "ST-JSON" },
	{ "{\"\xc0\xaf\":1}", 0, "ST-UTF8" },
	{ "{\"\xed\xa0\x80\":1}", 0, "ST-UTF8" },
	{ "\r {}", 0, "ST-WS" },
};

START_TEST(inline_headers)
{
	size_t k;

	for (k = 0; k < sizeof(inline_cases) / sizeof(inline_cases[0]); k++) {
		struct mg_artifact a;
		struct fbuf b;
		size_t len = strlen(inline_cases[k].hdr);

		fbuf_init(&b);
		st_build_raw(&b, inline_cases[k].hdr, len,
		    inline_cases[k].ndata);
		scan_mem(b.p, b.len, &a);
		if (inline_cases[k].rule == NULL) {
			if (a.nfindings != 0)
				dump(&a);
			ck_assert_msg(a.nfindings == 0, "case %zu: %s", k,
			    inline_cases[k].hdr);
		} else {
			if (count_rule(&a, inline_cases[k].rule) == 0)
				dump(&a);
			ck_assert_msg(count_rule(&a, inline_cases[k].rule) > 0,
			    "case %zu: %s: no %s", k, inline_cases[k].hdr,
			    inline_cases[k].rule);
		}
		mg_artifact_free(&a);
		fbuf_free(&b);
	}
	/* A NUL after the object is not whitespace padding. */
	{
		struct mg_artifact a;
		struct fbuf b;

		fbuf_init(&b);
		st_build_raw(&b, "{}\0", 3, 0);
		scan_mem(b.p, b.len, &a);
		ck_assert_uint_eq(count_rule(&a, "ST-JSON"), 1);
		mg_artifact_free(&a);
		fbuf_free(&b);
	}
}
END_TEST

/*
 * The string reader looks for the end of a plain string a word at a
 * time: an escape, a raw control byte or the closing quote at every place
 * of strings up to 24 bytes must be found where it is.
 */
START_TEST(string_ends_everywhere)
{
	char hdr[128], want[32];
	size_t n, at, k;

	for (n = 0; n <= 24; n++)
		for (at = 0; at <= n; at++)
			for (k = 0; k < 3; k++) {
				struct mg_artifact a;
				struct fbuf b;
				const cJSON *v;
				char val[40];

				memset(val, 'v', n);
				memset(want, 'v', n);
				val[n] = want[n] = '\0';
				if (at < n && k == 0) {		/* an escape */
					memmove(val + at + 2, val + at + 1,
					    n - at);
					memcpy(val + at, "\\n", 2);
					want[at] = '\n';
				} else if (at < n && k == 1)	/* a raw tab */
					val[at] = '\t';
				else if (at < n)		/* a quote */
					val[at] = '"';
				snprintf(hdr, sizeof(hdr),
				    "{\"__metadata__\":{\"k\":\"%s\"}}", val);
				fbuf_init(&b);
				st_build_raw(&b, hdr, strlen(hdr), 0);
				scan_mem(b.p, b.len, &a);
				if (at == n || k == 0) {
					ck_assert_msg(a.nfindings == 0,
					    "%s: findings", hdr);
					v = cJSON_GetObjectItem(a.metadata, "k");
					ck_assert_ptr_nonnull(v);
					ck_assert_str_eq(v->valuestring, want);
				} else
					ck_assert_msg(count_rule(&a, "ST-JSON") +
					    count_rule(&a, "ST-META") > 0,
					    "%s: accepted", hdr);
				mg_artifact_free(&a);
				fbuf_free(&b);
			}
}
END_TEST

/*
 * tensor_dtypes is keyed by sanitised names: a name with a NUL becomes
 * the same key as one spelt with U+FFFD, and the first keeps the key,
 * whether the NUL name comes first or later.  Escaped names and values
 * (decoded in place in the header) come out as their decoded text.
 */
START_TEST(tdtypes_sanitised_names)
{
	static const char *const hdr[] = {
		"{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
		"\"a\\u0000\":{\"dtype\":\"I8\",\"shape\":[1],"
		"\"data_offsets\":[1,2]},\"a\\ufffd\":{\"dtype\":\"BOOL\","
		"\"shape\":[1],\"data_offsets\":[2,3]}}",
		"{\"x\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
		"\"a\\ufffd\":{\"dtype\":\"BOOL\",\"shape\":[1],"
		"\"data_offsets\":[1,2]},\"a\\u0000\":{\"dtype\":\"I8\","
		"\"shape\":[1],\"data_offsets\":[2,3]}}",
	};
	static const char *const first[] = { "I8", "BOOL" };
	size_t k;

	for (k = 0; k < 2; k++) {
		struct mg_artifact a;
		struct fbuf b;
		const cJSON *td;
		cJSON *ln;

		fbuf_init(&b);
		st_build_raw(&b, hdr[k], strlen(hdr[k]), 3);
		scan_mem(b.p, b.len, &a);
		ck_assert_ptr_nonnull(a.metadata);
		td = cJSON_GetObjectItemCaseSensitive(a.metadata,
		    "tensor_dtypes");
		ln = tu_raw_list(a.metadata, "layer_names");
		ck_assert_int_eq(cJSON_GetArraySize(td), 2);
		ck_assert_int_eq(cJSON_GetArraySize(ln), 3);
		/* The NUL name is spelt with U+FFFD, as in tensor_dtypes. */
		ck_assert_str_eq(cJSON_GetArrayItem(ln, 1)->valuestring,
		    "a\xef\xbf\xbd");
		cJSON_Delete(ln);
		ck_assert_str_eq(json_s(td, "x"), "U8");
		ck_assert_str_eq(json_s(td, "a\xef\xbf\xbd"), first[k]);
		ck_assert_uint_eq(count_rule(&a, "ST-NUL"), 1);
		mg_artifact_free(&a);
		fbuf_free(&b);
	}
	/* Escapes in names, metadata keys and values. */
	{
		static const char h[] =
		    "{\"__metadata__\":{\"f\\u006frmat\":\" P\\u0054\\n\","
		    "\"k\\\"\\\\\":\"\\ud83d\\ude00\\/\"},"
		    "\"w\\u00e9\\t\":{\"dtype\":\"F\\u00316\",\"shape\":[2],"
		    "\"data_offsets\":[0,4]}}";
		struct mg_artifact a;
		struct fbuf b;
		const cJSON *td;
		cJSON *ln;

		fbuf_init(&b);
		st_build_raw(&b, h, strlen(h), 4);
		scan_mem(b.p, b.len, &a);
		if (a.nfindings != 0)
			dump(&a);
		ck_assert_uint_eq(a.nfindings, 0);
		ck_assert_str_eq(json_s(a.metadata, "format"), " PT\n");
		ck_assert_str_eq(json_s(a.metadata, "k\"\\"),
		    "\xf0\x9f\x98\x80/");
		td = cJSON_GetObjectItemCaseSensitive(a.metadata,
		    "tensor_dtypes");
		ck_assert_str_eq(json_s(td, "w\xc3\xa9\t"), "F16");
		ln = tu_raw_list(a.metadata, "layer_names");
		ck_assert_int_eq(cJSON_GetArraySize(ln), 1);
		ck_assert_str_eq(cJSON_GetArrayItem(ln, 0)->valuestring,
		    "w\xc3\xa9\t");
		cJSON_Delete(ln);
		ck_assert_str_eq(a.training_framework, "pytorch");
		ck_assert_str_eq(a.dtype, "F16");
		mg_artifact_free(&a);
		fbuf_free(&b);
	}
}
END_TEST

/* The finding message carries the numbers and the tensor name. */
START_TEST(overlap_message)
{
	struct mg_artifact a;
	struct fbuf b;
	size_t k;
	int seen = 0;

	build_named("overlap.safetensors", &b);
	scan_mem(b.p, b.len, &a);
	for (k = 0; k < a.nfindings; k++) {
		if (a.findings[k].rule != MG_R_ST_COVER)
			continue;
		ck_assert_str_eq(a.findings[k].message, "safetensors: tensor "
		    "'b' data_offsets [4, 12] overlap the previous tensor "
		    "ending at 8");
		ck_assert_str_eq(a.findings[k].key, "b");
		seen = 1;
	}
	ck_assert(seen);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

/*
 * A thousand bad tensors give MG_MAX_SAME_FINDINGS findings and one more
 * that counts the rest.
 */
START_TEST(finding_cap)
{
	struct mg_artifact a;
	struct fbuf h, b;
	char ent[96];
	size_t k;

	fbuf_init(&h);
	fbuf_init(&b);
	fbuf_u8(&h, '{');
	for (k = 0; k < 1000; k++) {
		snprintf(ent, sizeof(ent), "%s\"t%zu\":{\"dtype\":\"X\","
		    "\"shape\":[],\"data_offsets\":[%zu,%zu]}", k ? "," : "",
		    k, k, k + 1);
		fbuf_str(&h, ent);
	}
	fbuf_u8(&h, '}');
	st_build_raw(&b, h.p, h.len, 1000);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(count_rule(&a, "ST-DTYPE"), MG_MAX_SAME_FINDINGS + 1);
	for (k = a.nfindings; k > 0; k--)
		if (a.findings[k - 1].rule == MG_R_ST_DTYPE)
			break;
	ck_assert_str_eq(a.findings[k - 1].message,
	    "936 more findings of this rule were not listed");
	ck_assert_uint_eq(json_u64(cJSON_GetObjectItem(a.metadata,
	    "tensor_count")), 1000);
	ck_assert_str_eq(a.dtype, "X");
	mg_artifact_free(&a);
	fbuf_free(&h);
	fbuf_free(&b);
}
END_TEST

/* Metadata copying stops at MG_MAX_META_BYTES with one LIMIT-META. */
START_TEST(meta_cap)
{
	struct mg_artifact a;
	struct mg_memsrc m;
	struct mg_src src;
	struct mg_scan_opts o;
	struct fbuf b;

	build_named("multi-pt.safetensors", &b);
	memset(&o, 0, sizeof(o));
	o.hash = 1;
	mg_src_mem(&src, &m, b.p, b.len);
	mg_artifact_init(&a);
	ck_assert_int_eq(mg_artifact_setz(&a.path, "t.safetensors"), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a.filename, "t.safetensors"),
	    MG_OK);
	a.meta_bytes = MG_MAX_META_BYTES - 20;
	mg_scan_src(&ctx, &o, &src, &a);
	ck_assert_uint_eq(count_rule(&a, "LIMIT-META"), 1);
	ck_assert_uint_le(a.meta_bytes, MG_MAX_META_BYTES);
	ck_assert_int_eq(a.complete, 1);
	ck_assert_uint_eq(a.parameter_count, 68);
	ck_assert_uint_eq(json_u64(cJSON_GetObjectItem(a.metadata,
	    "tensor_count")), 3);
	mg_artifact_free(&a);
	fbuf_free(&b);
}
END_TEST

START_TEST(probe_scores)
{
	static const unsigned char ok1[] = "\x02\0\0\0\0\0\0\0{}";
	static const unsigned char ok2[] = "\xff\xff\0\0\0\0\0\0 \n\t{";
	static const unsigned char no1[] = "\0\0\0\0\0\0\0\0{}";
	static const unsigned char no2[] = "\x02\0\0\0\0\0\0\0[]";
	static const unsigned char no3[] = "\x02\0\0\0\0\0\0\0";
	static const unsigned char no4[] = "GGUF\x03\0\0\0\x01\0\0\0\0\0\0\0";
	const struct mg_format *f = &mg_fmt_safetensors;

	ck_assert_int_eq(f->probe(ok1, sizeof(ok1) - 1, 10), 90);
	ck_assert_int_eq(f->probe(ok2, sizeof(ok2) - 1, 0xffff + 8), 90);
	/*
	 * By content alone a header must fit the file: about one binary
	 * file in 256 has a '{' at offset 8.  (By name it is parsed and
	 * the short header reported.)
	 */
	ck_assert_int_eq(f->probe(ok2, sizeof(ok2) - 1, 12), 0);
	ck_assert_int_eq(f->probe(no1, sizeof(no1) - 1, 10), 0);
	ck_assert_int_eq(f->probe(no2, sizeof(no2) - 1, 10), 0);
	ck_assert_int_eq(f->probe(no3, sizeof(no3) - 1, 8), 0);
	ck_assert_int_eq(f->probe(no4, sizeof(no4) - 1, 9), 0);
	ck_assert_str_eq(f->name, "safetensors");
	ck_assert_str_eq(f->exts[0], "safetensors");
	ck_assert_ptr_null(f->exts[1]);
}
END_TEST

/* Every strict prefix of a valid file is reported, never crashes. */
START_TEST(truncation_loop)
{
	size_t k, len;

	for (k = 0; k < st_nfixtures; k++) {
		struct fbuf b;

		if (st_fixtures[k].rule != NULL)
			continue;
		fbuf_init(&b);
		st_fixtures[k].build(&b);
		for (len = 0; len < b.len; len++) {
			struct mg_artifact a;

			scan_mem(b.p, len, &a);
			if (mg_artifact_max_sev(&a) < MG_SEV_HIGH)
				dump(&a);
			ck_assert_msg(mg_artifact_max_sev(&a) >= MG_SEV_HIGH,
			    "%s cut at %zu", st_fixtures[k].name, len);
			mg_artifact_free(&a);
		}
		fbuf_free(&b);
	}
}
END_TEST

/* Each header bit flipped, each header byte set to a JSON-significant one. */
START_TEST(bitflip_loop)
{
	static const unsigned char subst[] = { '{', '[', '"', '\\', 0xff };
	size_t k, i, v, hend;

	for (k = 0; k < st_nfixtures; k++) {
		struct fbuf b;
		unsigned char *copy;

		if (st_fixtures[k].rule != NULL)
			continue;
		fbuf_init(&b);
		st_fixtures[k].build(&b);
		hend = 8 + (size_t)b.p[0] + ((size_t)b.p[1] << 8);
		ck_assert_uint_le(hend, b.len);
		copy = malloc(b.len);
		ck_assert_ptr_nonnull(copy);
		for (i = 0; i < hend; i++)
			for (v = 0; v < 8 + sizeof(subst); v++) {
				struct mg_artifact a;

				memcpy(copy, b.p, b.len);
				if (v < 8)
					copy[i] ^= (unsigned char)(1u << v);
				else
					copy[i] = subst[v - 8];
				scan_mem(copy, b.len, &a);
				ck_assert_str_eq(a.format->name, "safetensors");
				mg_artifact_free(&a);
			}
		free(copy);
		fbuf_free(&b);
	}
}
END_TEST

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 5000 levels of nesting: one ST-JSON, no deep stack, quickly. */
START_TEST(deep_nesting)
{
	struct mg_artifact a;
	struct fbuf h, b;
	double t0;
	size_t k;

	fbuf_init(&h);
	fbuf_init(&b);
	fbuf_str(&h, "{\"a\":{\"dtype\":\"F32\",\"shape\":");
	for (k = 0; k < 5000; k++)
		fbuf_u8(&h, '[');
	for (k = 0; k < 5000; k++)
		fbuf_u8(&h, ']');
	fbuf_str(&h, ",\"data_offsets\":[0,0]}}");
	st_build_raw(&b, h.p, h.len, 0);
	t0 = now();
	scan_mem(b.p, b.len, &a);
	ck_assert_double_lt(now() - t0, 2.0);
	ck_assert_uint_eq(count_rule(&a, "ST-JSON"), 1);
	mg_artifact_free(&a);
	fbuf_free(&b);

	/* Objects too, at the top level's first member. */
	fbuf_init(&b);
	h.len = 0;
	fbuf_str(&h, "{\"a\":");
	for (k = 0; k < 5000; k++)
		fbuf_str(&h, "{\"a\":");
	st_build_raw(&b, h.p, h.len, 0);
	scan_mem(b.p, b.len, &a);
	ck_assert_uint_eq(count_rule(&a, "ST-JSON"), 1);
	mg_artifact_free(&a);
	fbuf_free(&b);
	fbuf_free(&h);
}
END_TEST

/*
 * 2,000,000 array elements, as a tensor value and as a shape: rejected
 * with a finding, in linear time, with nothing allocated per element (the
 * parser keeps no tree).
 */
START_TEST(huge_array)
{
	static const char *const pre[] = {
		"{\"a\":[",
		"{\"a\":{\"dtype\":\"U8\",\"data_offsets\":[0,0],\"shape\":[",
	};
	static const char *const post[] = { "]}", "]}}" };
	static const char *const rule[] = { "ST-TINFO", "ST-TINFO" };
	size_t v, k;

	for (v = 0; v < 2; v++) {
		struct mg_artifact a;
		struct fbuf h, b;
		double t0;

		fbuf_init(&h);
		fbuf_init(&b);
		fbuf_str(&h, pre[v]);
		for (k = 0; k < 2000000; k++)
			fbuf_str(&h, k ? ",0" : "0");
		fbuf_str(&h, post[v]);
		st_build_raw(&b, h.p, h.len, 0);
		fbuf_free(&h);
		t0 = now();
		scan_mem(b.p, b.len, &a);
		ck_assert_double_lt(now() - t0, 5.0);
		ck_assert_uint_ge(count_rule(&a, rule[v]), 1);
		ck_assert_int_ge(mg_artifact_max_sev(&a), MG_SEV_HIGH);
		mg_artifact_free(&a);
		fbuf_free(&b);
	}
}
END_TEST

Suite *
safetensors_suite(void)
{
	Suite *s = suite_create("safetensors");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, valid_fixtures_clean);
	tcase_add_test(tc, valid_s1_empty);
	tcase_add_test(tc, valid_s2_one_tensor);
	tcase_add_test(tc, valid_multi_pt);
	tcase_add_test(tc, valid_mixed);
	tcase_add_test(tc, valid_small_kinds);
	tcase_add_test(tc, bad_fixtures_table);
	tcase_add_test(tc, s4_real_size);
	tcase_add_test(tc, inline_headers);
	tcase_add_test(tc, string_ends_everywhere);
	tcase_add_test(tc, overlap_message);
	tcase_add_test(tc, tdtypes_sanitised_names);
	tcase_add_test(tc, finding_cap);
	tcase_add_test(tc, meta_cap);
	tcase_add_test(tc, probe_scores);
	tcase_add_test(tc, truncation_loop);
	tcase_add_test(tc, bitflip_loop);
	tcase_add_test(tc, deep_nesting);
	tcase_add_test(tc, huge_array);
	suite_add_tcase(s, tc);
	return s;
}
