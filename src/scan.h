/*
 * scan.h - the per-artifact pipeline: sniff, parse and hash in one pass.
 */
#ifndef MG_SCAN_H
#define MG_SCAN_H

#include <stdint.h>
#include <sys/types.h>

#include "container.h"
#include "rd.h"
#include "sidecar.h"

struct mg_artifact;
struct mg_hash;

struct mg_scan_opts {
	int		 hash;		/* compute SHA-256 (reads whole file) */
	int		 sidecars;	/* read config.json etc. beside models */
	int		 follow_symlinks; /* open through a final symlink */
	struct mg_arc_limits arc;	/* archive limits; zeros: defaults */
};

struct mg_arc_level;

/*
 * Per-worker scratch: one reader window and one digest, reused; one more
 * of each per archive nesting depth, made on first use.
 */
struct mg_scan_ctx {
	struct mg_rd	 rd;
	struct mg_hash	*hash;
	struct mg_sidecars side;	/* the last directory's sidecars */
	struct mg_arc_level *lv[MG_ARC_DEPTH_MAX + 1];
	struct mg_hasher *hasher;	/* an archive file's own digest */

	/*
	 * The members one job yields, in the order read (the job's own
	 * artifact is not among them).  The caller takes them after each
	 * mg_scan_file and resets nout.
	 */
	struct mg_artifact **out;
	size_t		 nout, outcap;

	/* What the current file on disk has expanded to so far. */
	uint64_t	 arc_members;
	uint64_t	 arc_expanded;
	uint64_t	 arc_read;	/* read from disk outside arc_top (7z) */
	const struct mg_rd *arc_top;	/* the file's own reader */
};

/* Hand a member artifact to the context's output (taken on success). */
int	mg_scan_emit(struct mg_scan_ctx *c, struct mg_artifact *m);

/*
 * Scan one member of an archive at nesting depth (>= 1) from a source:
 * as mg_scan_src, with the depth's own reader and digest.
 */
void	mg_scan_member(struct mg_scan_ctx *c, const struct mg_scan_opts *o,
	    const struct mg_src *src, struct mg_artifact *a, unsigned depth);

/*
 * A member that is raw bytes by its container's layout (a PyTorch
 * storage): hashed and read to its end, never detected as a format, so
 * a->format stays unknown.
 */
void	mg_scan_member_raw(struct mg_scan_ctx *c, const struct mg_scan_opts *o,
	    const struct mg_src *src, struct mg_artifact *a, unsigned depth);

int	mg_scan_ctx_init(struct mg_scan_ctx *c);
void	mg_scan_ctx_free(struct mg_scan_ctx *c);

/*
 * Scan one artifact from a source: peek, detect, parse, drain (when
 * hashing) and finish the digest.  a->path, a->filename and a->size must be
 * set by the caller; the format, fields, findings and completeness are
 * filled here.  Never fails: problems become findings and a->complete.
 */
void	mg_scan_src(struct mg_scan_ctx *c, const struct mg_scan_opts *o,
	    const struct mg_src *src, struct mg_artifact *a);

/*
 * Scan a regular file by path (opened O_NOFOLLOW unless follow is set),
 * then read the sidecars in the directory of its display path a->path
 * (where a link lives, not its target's directory) when the options ask.
 * sidecars: 1 the directory has some, 0 it has none (skip looking), -1
 * unknown.  root_real: the scan root's real path, inside which a sidecar
 * that is a symlink may be followed, or NULL (none is).  dev and ino are
 * the file the walker saw: a different file at that path when it is
 * opened (swapped in a race) is not scanned.  fd: the file already open
 * (the walker's, then closed here) and size its size, or -1 to open
 * fspath.  Never fails.
 */
void	mg_scan_file(struct mg_scan_ctx *c, const struct mg_scan_opts *o,
	    const char *fspath, int sidecars, const char *root_real, dev_t dev,
	    ino_t ino, int fd, uint64_t size, struct mg_artifact *a);

#endif /* MG_SCAN_H */
