/*
 * fuzz_lfs.c - libFuzzer target for Git LFS pointer detection.  Each input
 * goes through the whole pipeline, mg_scan_src(), as an in-memory file
 * named model.gguf: inputs that start with a pointer's version line (and
 * are at most 1024 bytes) reach the LFS parser by their magic, the rest
 * fall back to the GGUF parser by their extension, so the probe order
 * and the hand-over between the two are both fuzzed.  Hashing alternates
 * with the input length to cover the skip and the digest paths.  A crash,
 * sanitizer report, leak or timeout is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "rd.h"
#include "scan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One scan context for the whole process, as a worker keeps one. */
static struct mg_scan_ctx *
scan_ctx(void)
{
	static struct mg_scan_ctx ctx;
	static int ready;

	if (!ready) {
		if (mg_scan_ctx_init(&ctx) != MG_OK)
			return NULL;
		ready = 1;
	}
	return &ctx;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_scan_ctx *ctx = scan_ctx();
	struct mg_scan_opts opts;
	struct mg_artifact art;
	struct mg_memsrc mem;
	struct mg_src src;

	if (ctx == NULL)
		return 0;
	memset(&opts, 0, sizeof(opts));
	opts.hash = (size & 1) == 0;
	mg_artifact_init(&art);
	art.size = size;
	if (mg_artifact_setz(&art.path, "model.gguf") == MG_OK &&
	    mg_artifact_setz(&art.filename, "model.gguf") == MG_OK) {
		mg_src_mem(&src, &mem, data, size);
		mg_scan_src(ctx, &opts, &src, &art);
	}
	mg_artifact_free(&art);
	return 0;
}
