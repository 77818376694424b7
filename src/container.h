/*
 * container.h - archives and compressed streams: one job, many artifacts.
 *
 * An archive (zip, tar, 7z) or a compressed stream (gzip, bzip2, xz,
 * lzma, zstd, lz4) is read by libarchive in one streaming pass over the
 * reader that also hashes it.  Each regular member goes through the same
 * pipeline as a file on disk (detection, parser, digest) and becomes an
 * artifact of its own, written "bundle.tar.gz!dir/model.gguf"; members
 * that are archives are read in turn, up to a depth limit.  Nothing is
 * written to disk and no external program is ever run.
 */
#ifndef MG_CONTAINER_H
#define MG_CONTAINER_H

#include <stddef.h>
#include <stdint.h>

#include "rd.h"

struct mg_artifact;
struct mg_rd;
struct mg_scan_ctx;
struct mg_scan_opts;
struct mg_format;

/* What the container reader does with a member (struct mg_format role). */
#define MG_MEMBER_RAW	0x1u	/* raw bytes: hashed and counted, never
				   detected as a format (tensor storages) */
#define MG_MEMBER_KEEP	0x2u	/* keep its bytes for the check (up to
				   MG_ARC_KEEP, MG_ARC_KEEP_TOTAL in all) */

/* One regular member of a container, as a format's check sees it. */
struct mg_member {
	char		*name;		/* NUL-terminated */
	size_t		 nlen;
	uint64_t	 size;		/* expanded bytes read */
	int		 read;		/* read to its end without an error */
	unsigned	 role;		/* MG_MEMBER_* */
	/* Static: &mg_fmt_unknown when no format claimed it or it is raw. */
	const struct mg_format *format;
	char		 sha256[65];	/* "" when not hashed */
	/* Its artifact in the scan output, or NULL (not a model: dropped). */
	struct mg_artifact *art;
	unsigned char	*kept;		/* MG_MEMBER_KEEP: its bytes */
	size_t		 nkept;
	int		 kept_whole;	/* 1: kept holds every byte */
};

/* The regular members of one container, in the order read (borrowed). */
struct mg_members {
	const struct mg_member *v;
	size_t		 n;
};

/* Hard ceiling on nesting, whatever a policy asks (readers per worker). */
#define MG_ARC_DEPTH_MAX	16u

/*
 * Limits on one archive file on disk, counted on bytes actually
 * decompressed at every depth.  A zero field means the default
 * (MG_ARC_* in limits.h).
 */
struct mg_arc_limits {
	uint64_t	 depth;		/* archives inside archives */
	uint64_t	 members;	/* entries, all depths together */
	uint64_t	 total;		/* expanded bytes, all depths */
	uint64_t	 member;	/* expanded bytes of one member */
	uint64_t	 ratio;		/* expanded : bytes read from disk */
};

/* The limits with every zero field replaced by its default. */
struct mg_arc_limits mg_arc_limits_eff(const struct mg_arc_limits *l);

/*
 * Read the archive or compressed stream on rd (positioned at its first
 * byte, the container artifact a already detected as fmt) at nesting
 * depth (0: a file on disk): check every entry, scan every regular member
 * into a new artifact handed to the scan context's output, and read the
 * container to its end through rd.  Returns MG_OK when every entry was
 * read to the end of the archive, MG_ERR_FORMAT or MG_ERR_LIMIT after the
 * finding that says why reading stopped, or MG_ERR_IO / MG_ERR_NOMEM.
 */
int	mg_archive_scan(struct mg_scan_ctx *c, const struct mg_scan_opts *o,
	    struct mg_rd *rd, const struct mg_format *fmt,
	    struct mg_artifact *a, unsigned depth);

/*
 * Per-depth scratch of a worker, allocated on first use: the reader and
 * digest of the members of an archive one level up, and the tail kept of
 * a zip at this level.
 */
struct mg_arc_level {
	struct mg_rd	 rd;
	struct mg_hash	*hash;
	unsigned char	*tail;
	size_t		 tail_cap;
};


void	mg_archive_levels_free(struct mg_scan_ctx *c);

#endif /* MG_CONTAINER_H */
