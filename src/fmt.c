/*
 * fmt.c - the format table and content sniffing.
 *
 * Adding a format: write fmt_<name>.c defining `const struct mg_format
 * mg_fmt_<name>`, declare it in fmt.h and add one line to `formats` below.
 * Ties between probes go to the earlier line.
 */
#include <string.h>
#include <strings.h>

#include "fmt.h"

static const struct mg_format *const formats[] = {
	&mg_fmt_gguf,
	&mg_fmt_safetensors,
	&mg_fmt_lfs,
	&mg_fmt_torch_legacy,
	&mg_fmt_pytorch,
	&mg_fmt_torchscript,
	&mg_fmt_pickle,
	&mg_fmt_numpy,
	&mg_fmt_npz,
	&mg_fmt_keras,
	&mg_fmt_hdf5,
	&mg_fmt_tflite,
	&mg_fmt_onnx,
	&mg_fmt_coreml,
	&mg_fmt_compressed,
	&mg_fmt_zip,
	&mg_fmt_tar,
	&mg_fmt_7z,
	&mg_fmt_gzip,
	&mg_fmt_bzip2,
	&mg_fmt_xz,
	&mg_fmt_lzma,
	&mg_fmt_zstd,
	&mg_fmt_lz4,
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

static const char *const no_exts[] = { NULL };

const struct mg_format mg_fmt_unknown = { .name = "unknown", .exts = no_exts };
const struct mg_format mg_fmt_file = { .name = "file", .exts = no_exts };
const struct mg_format mg_fmt_unscanned = {
	.name = "unscanned",
	.exts = no_exts,
};
const struct mg_format mg_fmt_missing = {
	.name = "missing",
	.exts = no_exts,
	.flags = MG_FMT_SYNTHETIC,
};
const struct mg_format mg_fmt_manifest = {
	.name = "manifest",
	.exts = no_exts,
	.flags = MG_FMT_SYNTHETIC,
};
const struct mg_format mg_fmt_policy = {
	.name = "policy",
	.exts = no_exts,
	.flags = MG_FMT_SYNTHETIC,
};
const struct mg_format mg_fmt_unreadable = {
	.name = "unreadable",
	.exts = no_exts,
	.flags = MG_FMT_SYNTHETIC,
};
const struct mg_format mg_fmt_weight_index = {
	.name = "weight-index",
	.exts = no_exts,
	.flags = MG_FMT_REPO,
};
const struct mg_format mg_fmt_chat_template = {
	.name = "chat-template",
	.exts = no_exts,
	.flags = MG_FMT_REPO,
};
const struct mg_format mg_fmt_hf_config = {
	.name = "hf-config",
	.exts = no_exts,
	.flags = MG_FMT_REPO,
};
const struct mg_format mg_fmt_python = {
	.name = "python",
	.exts = no_exts,
	.flags = MG_FMT_REPO,
};

/* Never probed: mg_fmt_detect and mg_fmt_by_ext see the table only. */
static const struct mg_format *const others[] = {
	&mg_fmt_unknown,
	&mg_fmt_file,
	&mg_fmt_unscanned,
	&mg_fmt_missing,
	&mg_fmt_manifest,
	&mg_fmt_policy,
	&mg_fmt_unreadable,
	&mg_fmt_weight_index,
	&mg_fmt_chat_template,
	&mg_fmt_hf_config,
	&mg_fmt_python,
};

#define NOTHERS (sizeof(others) / sizeof(others[0]))

const struct mg_format *
mg_fmt_detect(const unsigned char *head, size_t n, uint64_t size)
{
	const struct mg_format *best = NULL;
	int best_score = 0;
	size_t i;

	for (i = 0; i < NFORMATS; i++) {
		int s = formats[i]->probe(head, n, size);

		if (s > best_score) {
			best_score = s;
			best = formats[i];
			if (s >= 100)	/* certain: no later bid can win */
				break;
		}
	}
	return best;
}

const struct mg_format *
mg_fmt_by_ext(const char *filename)
{
	const char *dot = strrchr(filename, '.');
	size_t i, j;

	if (dot == NULL || dot == filename || dot[1] == '\0')
		return NULL;
	for (i = 0; i < NFORMATS; i++)
		for (j = 0; formats[i]->exts[j] != NULL; j++)
			if (strcasecmp(dot + 1, formats[i]->exts[j]) == 0)
				return formats[i];
	return NULL;
}

const struct mg_format *
mg_fmt_by_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < NFORMATS; i++)
		if (strcmp(formats[i]->name, name) == 0)
			return formats[i];
	for (i = 0; i < NOTHERS; i++)
		if (strcmp(others[i]->name, name) == 0)
			return others[i];
	return NULL;
}

int
mg_fmt_same_name(const struct mg_format *a, const struct mg_format *b)
{
	/* Two entries report one name: the reading differs, the format not. */
	static const struct mg_format *const pairs[][2] = {
		{ &mg_fmt_torch_legacy, &mg_fmt_pytorch },
		{ &mg_fmt_numpy, &mg_fmt_npz },
	};
	size_t i;

	if (a == b)
		return 1;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if ((a == pairs[i][0] && b == pairs[i][1]) ||
		    (a == pairs[i][1] && b == pairs[i][0]))
			return 1;
	return 0;
}

size_t
mg_fmt_count(void)
{
	return NFORMATS;
}

const struct mg_format *
mg_fmt_at(size_t i)
{
	return i < NFORMATS ? formats[i] : NULL;
}
