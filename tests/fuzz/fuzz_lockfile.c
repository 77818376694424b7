/*
 * fuzz_lockfile.c - libFuzzer target for pinned digests: modelgate lock
 * files and sha256sum manifests.  Both readers take a path, so the input
 * after its first byte is written to one temporary file per process
 * (/tmp/mg_fuzz_lockfile.<pid>, unlinked as soon as it has been read).
 *
 * The first byte steers the run:
 *   bit 0  1: mg_lock_read, 0: mg_manifest_read
 *   bit 1  all_listed for mg_lock_verify
 *   bit 2  the artifact was not hashed (HASH-UNVERIFIED path)
 *   bit 3  the artifact is an LFS pointer whose oid is the first pin
 *   bit 4  the artifact's size equals the first pin's size
 *   bit 5  the scan root is "models" instead of "."
 *   bit 6  the artifact's path gets a leading "./"
 * A pin list that loads is verified against one synthetic artifact named
 * after its first entry; every missing artifact is then freed.
 * mg_lock_verify() lstat()s pinned relative paths that the scan did not
 * report: harmless, but run the fuzzer from an empty directory to keep
 * the results independent of the files around it.
 * A crash, sanitizer report, leak or timeout is a bug.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "lockfile.h"
#include "fuzz_file.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEL_LOCK	0x01u
#define SEL_ALL_LISTED	0x02u
#define SEL_UNHASHED	0x04u
#define SEL_LFS		0x08u
#define SEL_SAME_SIZE	0x10u
#define SEL_ROOT_MODELS	0x20u
#define SEL_DOT_SLASH	0x40u

static const char fake_sha[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* Fill a the way a scan would have, steered by sel; MG_OK or an error. */
static int
make_artifact(struct mg_artifact *a, const struct mg_lock *l, unsigned sel)
{
	const struct mg_lock_entry *e = l->n > 0 ? &l->e[0] : NULL;
	const char *base = e != NULL ? e->path : "models/x.gguf";
	char *path = NULL;
	cJSON *oid;
	size_t n = strlen(base);
	int r = MG_ERR_NOMEM;

	if ((path = malloc(n + 3)) == NULL)
		goto out;
	snprintf(path, n + 3, "%s%s", (sel & SEL_DOT_SLASH) ? "./" : "",
	    base);
	if ((r = mg_artifact_setz(&a->path, path)) != MG_OK ||
	    (r = mg_artifact_setz(&a->filename, "x.gguf")) != MG_OK)
		goto out;
	a->format = "gguf";
	if (!(sel & SEL_UNHASHED))
		memcpy(a->sha256, fake_sha, sizeof(a->sha256));
	if ((sel & SEL_SAME_SIZE) && e != NULL)
		a->size = e->size;
	if ((sel & SEL_LFS) && e != NULL) {
		r = MG_ERR_NOMEM;
		a->format = "lfs-pointer";
		if ((a->metadata = cJSON_CreateObject()) == NULL ||
		    (oid = cJSON_CreateString(e->sha256)) == NULL)
			goto out;
		cJSON_AddItemToObject(a->metadata, "lfs_oid", oid);
	}
	r = MG_OK;
out:
	free(path);
	return r;
}

static void
free_missing(struct mg_artifact **miss, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		mg_artifact_free(miss[i]);
		free(miss[i]);
	}
	free(miss);
}

static void
verify(const struct mg_lock *l, unsigned sel)
{
	struct mg_artifact art, *arts[1];
	struct mg_artifact **miss = NULL;
	char root_dot[] = ".", root_models[] = "models";
	char *roots[1];
	size_t nmiss = 0;

	roots[0] = (sel & SEL_ROOT_MODELS) ? root_models : root_dot;
	mg_artifact_init(&art);
	arts[0] = &art;
	if (make_artifact(&art, l, sel) == MG_OK &&
	    mg_lock_verify(l, arts, 1, (sel & SEL_ALL_LISTED) != 0, roots, 1,
	    &miss, &nmiss) == MG_OK)
		free_missing(miss, nmiss);
	if (art.path != NULL)
		(void)mg_lock_find(l, art.path);
	mg_artifact_free(&art);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mg_lock l;
	const char *path = fuzz_tmp_path("lockfile");
	char err[512];
	unsigned sel;
	int r;

	if (size < 1)
		return 0;
	sel = data[0];
	if (fuzz_write_file(path, data + 1, size - 1) != 0) {
		unlink(path);
		return 0;
	}
	if (sel & SEL_LOCK)
		r = mg_lock_read(&l, path, err, sizeof(err));
	else
		r = mg_manifest_read(&l, path, err, sizeof(err));
	unlink(path);
	if (r != MG_OK)
		return 0;	/* the reader has freed l */
	verify(&l, sel);
	mg_lock_free(&l);
	return 0;
}
