/*
 * fuzz_policy.c - libFuzzer target for the policy loader.  mg_policy_load()
 * reads a path, so each input is written to one temporary file per
 * process (/tmp/mg_fuzz_policy.<pid>, rewritten every run and unlinked as
 * soon as it has been read, so a finished or killed run leaves nothing
 * behind).  A policy that loads is then queried: mg_policy_wants() and
 * mg_policy_effective() on a few fixed display paths, which run every
 * include, exclude and override glob the input managed to get accepted.
 * A crash, sanitizer report, leak or timeout is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "policy.h"
#include "fuzz_file.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Display paths that the globs in the seeds and the docs talk about. */
static const char *const probe_paths[] = {
	"model.gguf",
	"models/llama/model-Q8_0.gguf",
	"models/tests/tiny.safetensors",
	"a/b/c/d/e/f/g/h/weights.bin",
	"./x/\xc3\xa9t\xc3\xa9.gguf",
	"",
};

/* Query a loaded policy the way the gate does for each artifact. */
static void
exercise(const struct mg_policy *p)
{
	struct mg_scope eff;
	size_t i;

	for (i = 0; i < sizeof(probe_paths) / sizeof(probe_paths[0]); i++) {
		(void)mg_policy_wants(p, probe_paths[i]);
		mg_policy_effective(p, probe_paths[i], &eff);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_policy *p = NULL;
	const char *path = fuzz_tmp_path("policy");
	char err[512];
	int r;

	if (fuzz_write_file(path, data, size) != 0) {
		unlink(path);
		return 0;
	}
	r = mg_policy_load(&p, path, err, sizeof(err));
	unlink(path);
	if (r == MG_OK && p != NULL)
		exercise(p);
	mg_policy_free(p);
	return 0;
}
