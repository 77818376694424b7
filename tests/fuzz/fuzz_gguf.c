/*
 * fuzz_gguf.c - libFuzzer target for the GGUF parser: each input is scanned
 * through mg_scan_src() as an in-memory file named model.gguf, so inputs
 * whose magic is wrong still reach the GGUF parser.  Hashing alternates
 * with the input length to exercise both the skip and the digest paths of
 * the reader.  A crash, sanitizer report, leak or timeout is a bug, and
 * so is metadata kept past its memory budget.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "limits.h"
#include "rd.h"
#include "scan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mg_scan_ctx sc;
	static int inited;
	struct mg_scan_opts opts;
	struct mg_artifact art;
	struct mg_memsrc mem;
	struct mg_src src;

	if (!inited) {
		if (mg_scan_ctx_init(&sc) != MG_OK)
			return 0;
		inited = 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.hash = (size & 1) == 0;
	mg_artifact_init(&art);
	art.size = size;
	if (mg_artifact_setz(&art.path, "model.gguf") == MG_OK &&
	    mg_artifact_setz(&art.filename, "model.gguf") == MG_OK) {
		mg_src_mem(&src, &mem, data, size);
		mg_scan_src(&sc, &opts, &src, &art);
		if (art.meta_bytes > MG_MAX_META_BYTES)
			__builtin_trap();
	}
	mg_artifact_free(&art);
	return 0;
}
