/*
 * shard.h - a deterministic share of a scan for one of N CI jobs.
 *
 * The listing is every file the walk offers (after the policy's include
 * and exclude), sorted bytewise by reported path, before any sharding;
 * its digest (SHA-256 over each path and a NUL; in size mode each path's
 * size in decimal and a NUL follow it) lets `modelgate merge` prove that
 * every shard saw the same tree.
 *
 * Modes:
 *  - hash: a path belongs to shard 1 + (first 64 bits of SHA-256(path),
 *    big-endian) mod N, so adding or removing a file never moves another;
 *  - size: greedy bin packing over the whole listing (largest first, ties
 *    by path; each file to the lightest shard, lowest index on ties), for
 *    a few huge files.  Adding a file may move others.
 * A path that is not in the listing (a pinned file that is absent, a
 * directory the walk could not enter) always belongs to its hash shard,
 * so each such finding is reported by exactly one shard.
 */
#ifndef MG_SHARD_H
#define MG_SHARD_H

#include <stddef.h>
#include <stdint.h>

enum mg_shard_mode {
	MG_SHARD_HASH = 0,
	MG_SHARD_SIZE
};

struct mg_shard {
	unsigned	 index;		/* 1-based; 0: not sharded */
	unsigned	 total;
	enum mg_shard_mode mode;
};

#define MG_SHARD_MAX	1000u	/* shards per scan */

struct mg_listing {
	char		**paths;	/* sorted, unique; owned */
	uint64_t	*sizes;
	unsigned	*owner;		/* 1-based shard of each path */
	size_t		 n, cap;
	char		 sha256[65];	/* digest of the sorted list */
};

/*
 * Parse "I/N" (1 <= I <= N <= MG_SHARD_MAX).  "auto" reads the
 * environment: GitLab's CI_NODE_INDEX / CI_NODE_TOTAL (1-based), else a
 * Kubernetes Indexed Job's JOB_COMPLETION_INDEX (0-based) with the total
 * from total_opt (> 0) or MODELGATE_SHARD_TOTAL.  Returns MG_OK or
 * MG_ERR_USAGE with the reason in err.
 */
int	mg_shard_parse(const char *spec, unsigned total_opt,
	    struct mg_shard *out, char *err, size_t errlen);
/* "hash" or "size" into *mode; MG_OK or MG_ERR_USAGE. */
int	mg_shard_mode_parse(const char *s, enum mg_shard_mode *mode);
const char *mg_shard_mode_name(enum mg_shard_mode m);

/* The hash shard (1-based) of a path. */
unsigned mg_shard_of_path(const char *path, unsigned total);

void	mg_listing_init(struct mg_listing *l);
void	mg_listing_free(struct mg_listing *l);	/* accepts NULL */
/* Add a path (copied) and its size; order does not matter. */
int	mg_listing_add(struct mg_listing *l, const char *path, uint64_t size);
/*
 * Sort, drop repeats, compute the digest and, when s is sharded, the
 * owner of every path.  MG_OK or MG_ERR_NOMEM.
 */
int	mg_listing_finish(struct mg_listing *l, const struct mg_shard *s);
/* Index of path in the finished listing, or -1. */
long	mg_listing_find(const struct mg_listing *l, const char *path);
/*
 * 1 when path belongs to shard s: the listing's owner when it is listed,
 * else its hash shard.  Always 1 when s is not sharded.
 */
int	mg_shard_owns(const struct mg_shard *s, const struct mg_listing *l,
	    const char *path);

#endif /* MG_SHARD_H */
