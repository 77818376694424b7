/*
 * fuzz_archive.c - libFuzzer target for the archive layer: each input is
 * scanned through mg_scan_src() as an in-memory file whose name claims an
 * archive (the first byte picks zip, tar.gz or a bare name, so inputs
 * reach the zip directory check, the libarchive readers and detection by
 * content), with small limits so bombs stop at once.  Every member the
 * scan yields is freed; a crash, sanitizer report, leak or timeout is a
 * bug, and so is a member deeper than the depth limit allows.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "rd.h"
#include "scan.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "f.zip", "f.tar.gz", "f" };
	static struct mg_scan_ctx sc;
	static int inited;
	struct mg_scan_opts opts;
	struct mg_artifact art;
	struct mg_memsrc mem;
	struct mg_src src;
	const char *name = names[size > 0 ? data[0] % 3 : 0];
	size_t i;

	if (!inited) {
		if (mg_scan_ctx_init(&sc) != MG_OK)
			return 0;
		inited = 1;
	}
	memset(&opts, 0, sizeof(opts));
	opts.hash = (size & 1) == 0;
	opts.arc.depth = 3;
	opts.arc.members = 64;
	opts.arc.total = 8u << 20;
	opts.arc.member = 4u << 20;
	opts.arc.ratio = 200;
	mg_artifact_init(&art);
	art.size = size;
	if (mg_artifact_setz(&art.path, name) == MG_OK &&
	    mg_artifact_setz(&art.abspath, name) == MG_OK &&
	    mg_artifact_setz(&art.filename, name) == MG_OK) {
		mg_src_mem(&src, &mem, data, size);
		mg_scan_src(&sc, &opts, &src, &art);
	}
	for (i = 0; i < sc.nout; i++) {
		if (sc.out[i]->depth > 3)
			__builtin_trap();
		mg_artifact_free(sc.out[i]);
		free(sc.out[i]);
	}
	sc.nout = 0;
	mg_artifact_free(&art);
	return 0;
}
