/*
 * merge.h - shards of a scan back into one gate.
 *
 * `modelgate scan --shard I/N --json F` writes one JSON report per shard;
 * mg_merge_load reads N of them back into one struct mg_gate made of
 * synthetic artifacts and findings, so the ordinary writers (SARIF,
 * JUnit, JSON, Markdown, code quality, annotations) produce what one
 * unsharded scan would have produced, and the exit code is recomputed.
 *
 * The reports are our own but may have been tampered with on the way
 * (CI artifacts): each is capped at MG_MERGE_MAX_BYTES, every member is
 * type-checked, and anything unexpected is a usage error naming the file.
 */
#ifndef MG_MERGE_H
#define MG_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "gate.h"
#include "shard.h"

/*
 * Caps on what a merge reads: one report, and all of them together.  A
 * report costs about 25 times its size while parsed, and only one is
 * parsed at a time.
 */
#define MG_MERGE_MAX_BYTES	(64ull * 1024 * 1024)
#define MG_MERGE_MAX_TOTAL	(512ull * 1024 * 1024)

struct mg_sign_key;

struct mg_merge {
	struct mg_gate	 g;		/* every artifact synthetic (owned) */
	char		 tool_version[64];
	char		*policy;	/* policy source of the shards */
	char		 policy_sha256[65];
	int		 fail_on;	/* enum mg_sev */
	unsigned	 total;		/* shards */
	char		 list_sha256[65];
	char		 mode[8];	/* "hash" or "size" */
	char		 lock_sha256[65], manifest_sha256[65];
	char		 baseline_sha256[65];
	char		 options[160];
	uint64_t	 selected;	/* listed files the selection keeps */
	uint64_t	 bytes;		/* read so far */
	const struct mg_sign_key *key;	/* every report verified; or NULL */
	size_t		 nsigned;	/* reports carrying a signature */
	char		**strs;		/* strings the gate borrows */
	size_t		 nstrs, strs_cap;
};

/*
 * Read n shard reports, check that they are shards 1..N of one scan (same
 * tree digest, total, mode, tool version, policy, fail_on, lock, manifest,
 * baseline, scan options and selection; none missing or repeated) and
 * build the merged gate.  Nothing recorded is believed that can be
 * recomputed: each artifact's verdict from its findings, each report's
 * summary and exit code, the artifacts each shard owns, the listed files
 * the shards were assigned (they add up to the listing) and, when every
 * listed file is a reported artifact, the listing's digest; a
 * disagreement is refused as tampering.  allow_empty (or the shards' own
 * --allow-empty): exit 0 instead of 4 when no shard found an artifact.
 * MG_ERR_USAGE with the reason in err ("shard 2/3 missing", ...), or
 * MG_ERR_NOMEM.
 */
int	mg_merge_load(struct mg_merge *m, char *const *files, size_t n,
	    int allow_empty, const struct mg_sign_key *key, char *err,
	    size_t errlen);
void	mg_merge_free(struct mg_merge *m);	/* accepts NULL */

/*
 * In a shard: drop the synthetic artifacts (a missing pinned file, a
 * walk error, a malformed lock or manifest) that another shard owns, so
 * that each is reported once across shards.  The policy file's own
 * findings stay in every shard; merging reconciles them.  Placeholders
 * (mg_run_add_placeholders) go too.  Then retally, with empty_exit as the
 * exit code when no scanned artifact is left.
 */
void	mg_gate_shard_filter(struct mg_gate *g, const struct mg_shard *s,
	    const struct mg_listing *l, int empty_exit);

/*
 * Placeholders for the files a shard or a file selection leaves out:
 * every listed path for which scanned(arg, path) is 0 and that one of the
 * pin lists names is added to the run as an artifact of format
 * mg_fmt_unscanned carrying its pinned digest, so that verifying the
 * pins neither re-reads those files nor reports them missing.
 * mg_gate_shard_filter removes them again.  Pin lists may be NULL.
 * Returns MG_OK or MG_ERR_NOMEM.
 */
struct mg_lock;
int	mg_run_add_placeholders(struct mg_run *run, const struct mg_listing *l,
	    int (*scanned)(void *arg, const char *path), void *arg,
	    const struct mg_lock *const *pins, size_t npins);

#endif /* MG_MERGE_H */
