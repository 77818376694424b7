/*
 * slurp.h - read a whole file or stream into memory, bounded.
 *
 * Every reader of a lock file, manifest, policy, baseline, merge input,
 * sidecar or file list goes through mg_slurp(): one place that caps the
 * bytes, retries EINTR, reads pipes as well as regular files, and
 * NUL-terminates the buffer for text callers.  Callers keep their own
 * wording: struct mg_slurp says what failed, mg_slurp_msg() gives the
 * default message.
 */
#ifndef MG_SLURP_H
#define MG_SLURP_H

#include <stddef.h>
#include <stdint.h>

/* Flags for mg_slurp(). */
#define MG_SLURP_STDIN		0x1u	/* path "-" is standard input */
#define MG_SLURP_REGULAR	0x2u	/* refuse anything but a regular file */

/* What failed when mg_slurp() returned an error. */
enum mg_slurp_why {
	MG_SLURP_OK = 0,
	MG_SLURP_OPEN,		/* open(2) failed: errnum */
	MG_SLURP_STAT,		/* fstat(2) failed: errnum */
	MG_SLURP_DIR,		/* a directory (errnum EISDIR) */
	MG_SLURP_NOTREG,	/* MG_SLURP_REGULAR and not a regular file */
	MG_SLURP_SIZE,		/* a regular file of size bytes, over max */
	MG_SLURP_LONG,		/* more than max bytes were read */
	MG_SLURP_READ,		/* read(2) failed: errnum */
	MG_SLURP_NOMEM		/* no memory for the buffer */
};

struct mg_slurp {
	char		*buf;	/* the caller frees it; NUL at buf[len] */
	size_t		 len;	/* bytes read (also when reading failed) */
	uint64_t	 size;	/* st_size of a regular file, else 0 */
	int		 regular;	/* 1 for a regular file */
	enum mg_slurp_why why;
	int		 errnum;	/* errno for OPEN, STAT, DIR and READ */
};

/*
 * Read everything from fd (when fd >= 0; it is neither closed nor
 * seeked) or from path, opened O_RDONLY | O_CLOEXEC | O_NOCTTY (with
 * MG_SLURP_STDIN, "-" is standard input).  At most max bytes: a regular
 * file whose size says more fails before reading (MG_SLURP_SIZE), any
 * source that gives more fails once it has (MG_SLURP_LONG).  A directory
 * fails with MG_SLURP_DIR.  *s is cleared first.  Returns MG_OK with
 * s->buf set, or MG_ERR_IO, MG_ERR_LIMIT or MG_ERR_NOMEM with s->why set
 * and s->buf NULL.
 */
int	mg_slurp(struct mg_slurp *s, const char *path, int fd, size_t max,
	    unsigned flags);

/*
 * The default message for a failed mg_slurp() of name with cap max:
 * "NAME: cannot open: ERRNO", "NAME: N bytes is over the limit of MAX",
 * "NAME: more than MAX bytes", "NAME: read failed: ERRNO", ...
 */
void	mg_slurp_msg(const struct mg_slurp *s, const char *name, size_t max,
	    char *err, size_t errlen);

#endif /* MG_SLURP_H */
