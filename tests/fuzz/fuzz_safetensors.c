/*
 * fuzz_safetensors.c - libFuzzer target: the whole per-artifact pipeline
 * (probe, safetensors parse, drain, digest) over the input as a memory
 * source named *.safetensors, so inputs that fail the probe still reach
 * the parser.  Any crash, leak, sanitizer report or hang is a bug.
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
	static struct mg_scan_ctx ctx;
	static int ready;
	struct mg_scan_opts o;
	struct mg_artifact a;
	struct mg_memsrc m;
	struct mg_src src;

	if (!ready) {
		if (mg_scan_ctx_init(&ctx) != MG_OK)
			return 0;
		ready = 1;
	}
	memset(&o, 0, sizeof(o));
	o.hash = 1;
	mg_src_mem(&src, &m, data, size);
	mg_artifact_init(&a);
	if (mg_artifact_setz(&a.path, "fuzz.safetensors") == MG_OK &&
	    mg_artifact_setz(&a.filename, "fuzz.safetensors") == MG_OK)
		mg_scan_src(&ctx, &o, &src, &a);
	mg_artifact_free(&a);
	return 0;
}
