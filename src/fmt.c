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
