/*
 * fuzz_pickle.c - libFuzzer target for the pickle analyser and the
 * formats built on it: each input is scanned through mg_scan_src() as an
 * in-memory file whose name the first byte picks (model.pkl, model.pt,
 * model.joblib, model.npy), so inputs reach the raw-pickle, legacy torch,
 * joblib and NumPy paths whatever their magic.  Hashing alternates with
 * the input length.  A crash, sanitizer report, leak or timeout is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "rd.h"
#include "scan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "model.pkl", "model.pt",
		"model.joblib", "model.npy" };
	static struct mg_scan_ctx sc;
	static int inited;
	struct mg_scan_opts opts;
	struct mg_artifact art;
	struct mg_memsrc mem;
	struct mg_src src;
	const char *name = names[size > 0 ? data[size - 1] % 4 : 0];

	if (!inited) {
		if (mg_scan_ctx_init(&sc) != MG_OK)
			return 0;
		inited = 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.hash = (size & 1) == 0;
	mg_artifact_init(&art);
	art.size = size;
	if (mg_artifact_setz(&art.path, name) == MG_OK &&
	    mg_artifact_setz(&art.filename, name) == MG_OK) {
		mg_src_mem(&src, &mem, data, size);
		mg_scan_src(&sc, &opts, &src, &art);
	}
	mg_artifact_free(&art);
	return 0;
}
