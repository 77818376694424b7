/*
 * lockfile.h - pinned digests: modelgate's JSON lock file and sha256sum
 * manifests (GNU text and binary mode lines, BSD tag lines).
 *
 * Paths are compared by their key (path.h): pinned paths are relative to
 * the working directory, and an artifact matches whatever spelling of
 * its root the scan was given ("models", "./models", "models/../models"
 * or the absolute path).  Entries are kept sorted by key for lookup.
 */
#ifndef MG_LOCKFILE_H
#define MG_LOCKFILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct mg_artifact;

#define MG_LOCK_VERSION	1	/* the lock document's "version" */

struct mg_lock_entry {
	char		*path;
	char		 sha256[65];	/* lowercase hex */
	uint64_t	 size;
	int		 have_size;
	size_t		 line;		/* source line (manifests), or 0 */
};

struct mg_lock_problem {
	size_t		 line;
	char		*message;	/* becomes a HASH-MANIFEST finding */
};

struct mg_lock {
	char		*source;	/* file it came from */
	char		*cwd;		/* pins are relative to it (path.h) */
	struct mg_lock_entry *e;	/* sorted by path, unique */
	size_t		 n;
	struct mg_lock_problem *bad;	/* unsafe or malformed entries */
	size_t		 nbad;
	int		 expect_match;	/* 1 for --lock / --manifest files:
					   verifying nothing is a problem */
};

/*
 * Read a lock file written by `modelgate lock`, or a sha256sum manifest.
 * A file that cannot be read or does not parse at all is MG_ERR_USAGE
 * with "FILE:LINE: reason" in err; individual bad entries go to ->bad.
 */
int	mg_lock_read(struct mg_lock *out, const char *file, char *err,
	    size_t errlen);
int	mg_manifest_read(struct mg_lock *out, const char *file, char *err,
	    size_t errlen);
void	mg_lock_free(struct mg_lock *l);	/* accepts NULL */
/* The entry for a display path (a leading "./" is ignored), or NULL. */
const struct mg_lock_entry *mg_lock_find(const struct mg_lock *l,
	    const char *path);

/*
 * Build pins in code (the policy's digests map): n paths with their hex
 * digests and optional source lines (lines may be NULL).  Paths are
 * normalised like a lock file's; a bad digest, an empty path or a
 * conflicting duplicate goes to ->bad.  source names the pins in messages
 * (the policy file).  Returns MG_OK or MG_ERR_NOMEM.
 */
int	mg_lock_from_pins(struct mg_lock *out, const char *source,
	    const char *const *paths, const char *const *hexes,
	    const size_t *lines, size_t n);

/*
 * Write the lock document for these hashed artifacts, sorted by path
 * (leading "./" removed; a path named twice is written once).  Returns
 * MG_ERR_FORMAT, writing nothing, when an artifact has no digest or a
 * path that is not valid UTF-8 (JSON could not carry it exactly);
 * MG_ERR_IO when the stream fails.
 */
int	mg_lock_write(FILE *f, struct mg_artifact *const *arts, size_t n,
	    const char *generated_at);

/*
 * Verify artifacts against pins.  Adds HASH-MISMATCH / HASH-UNVERIFIED to
 * pinned artifacts, HASH-EXTRA to unlisted ones when all_listed is set,
 * and returns in *missing newly allocated artifacts (format "missing",
 * one HASH-MISSING finding each) for pinned paths at or below one of the
 * roots that the scan did not find.  Returns MG_OK or MG_ERR_NOMEM.
 *
 * Details: a root "." covers every relative path, "models" covers
 * "models" and "models/...".  A pinned path that the scan did not report
 * but that exists as a regular file is not missing: it is simply not a
 * model artifact (a sha256sum manifest usually lists README.md and
 * config.json too); anything else (absent, a symlink, a directory) is.
 * When l->bad is not empty, *missing also holds one artifact named after
 * l->source (format "manifest") with a HASH-MANIFEST finding per problem.
 * With l->expect_match (set by mg_lock_read and mg_manifest_read), a pin
 * list of which no entry matched a scanned artifact or lies under a root
 * is one more HASH-MANIFEST problem there: the paths were most likely
 * written relative to another directory, and nothing was verified.
 * *missing is sorted by path; each artifact and the array are the
 * caller's (mg_artifact_free + free).  Artifacts whose format is
 * "missing" or "manifest" (from an earlier call) are skipped.
 */
int	mg_lock_verify(const struct mg_lock *l, struct mg_artifact *const *arts,
	    size_t n, int all_listed, char *const *roots, size_t nroots,
	    struct mg_artifact ***missing, size_t *nmissing);

#endif /* MG_LOCKFILE_H */
