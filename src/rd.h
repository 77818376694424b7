/*
 * rd.h - the bounded byte reader: the only code that touches untrusted
 * bytes.
 *
 * A reader pulls from a byte source (a file descriptor today, an archive
 * member later) through a fixed window.  Sources are forward-only: no
 * parser may assume mmap or seek.  Every byte pulled from the source is
 * fed once, in order, to the digest when one is attached, so parsing and
 * hashing share one read of the artifact.
 *
 * Getters either consume exactly what they ask for or fail; failures are
 * sticky (every later getter fails with the same code).  The declared size
 * of the source bounds every read: check counts against mg_rd_left() before
 * allocating from them.
 */
#ifndef MG_RD_H
#define MG_RD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mg_hash;

/*
 * A forward-only byte source of a known size.  read() returns the number of
 * bytes stored (0 at end of input) or -1 with errno set.  skip() may be NULL;
 * when present it advances without reading (used only when no digest is
 * attached).
 */
struct mg_src {
	ssize_t		(*read)(void *ctx, void *buf, size_t n);
	int		(*skip)(void *ctx, uint64_t n);
	void		*ctx;
	uint64_t	 size;		/* declared total size in bytes */
};

struct mg_rd {
	const struct mg_src *src;
	struct mg_hash	*hash;		/* borrowed; NULL: no digest */
	unsigned char	*buf;		/* owned window, MG_RD_BUFSZ bytes */
	size_t		 cap;
	size_t		 lo, hi;	/* unread bytes are buf[lo..hi) */
	uint64_t	 off;		/* offset of buf[lo] in the source */
	uint64_t	 size;		/* declared size of the source */
	uint64_t	 pulled;	/* bytes taken from the source so far */
	int		 err;		/* sticky MG_ERR_*, 0 while healthy */
	int		 sys_errno;	/* errno of a failed source read */
};

/* Allocate the window once per worker; reuse it across artifacts. */
int	mg_rd_init(struct mg_rd *rd, size_t cap);
void	mg_rd_free(struct mg_rd *rd);

/* Bind the reader to a source (and optional digest) for one artifact. */
void	mg_rd_reset(struct mg_rd *rd, const struct mg_src *src,
	    struct mg_hash *hash);

/* Bytes the source declares beyond the current offset. */
static inline uint64_t
mg_rd_left(const struct mg_rd *rd)
{
	return rd->off <= rd->size ? rd->size - rd->off : 0;
}
static inline uint64_t
mg_rd_tell(const struct mg_rd *rd)
{
	return rd->off;
}

/*
 * Getters.  Each returns MG_OK or a negative MG_ERR_*:
 * MG_ERR_TRUNCATED when the declared size has fewer bytes left than asked,
 * MG_ERR_IO when the source failed or ended before its declared size.
 */
int	mg_rd_u8(struct mg_rd *rd, uint8_t *v);
int	mg_rd_u16(struct mg_rd *rd, int big_endian, uint16_t *v);
int	mg_rd_u32(struct mg_rd *rd, int big_endian, uint32_t *v);
int	mg_rd_u64(struct mg_rd *rd, int big_endian, uint64_t *v);
int	mg_rd_bytes(struct mg_rd *rd, void *dst, size_t n);
int	mg_rd_skip(struct mg_rd *rd, uint64_t n);

/*
 * Make up to n bytes (n <= window size) visible at *p without consuming
 * them.  *got receives how many are visible: fewer than n only at the end
 * of the declared size.
 */
int	mg_rd_peek(struct mg_rd *rd, size_t n, const unsigned char **p,
	    size_t *got);

/*
 * Read everything left in the source, feeding the digest, and confirm the
 * source ends exactly at its declared size.  Returns MG_ERR_IO when the
 * source is shorter or longer (the file changed while it was read).
 */
int	mg_rd_drain(struct mg_rd *rd);

/*
 * A source over a caller-owned memory buffer (tests, small members).
 * m must outlive the source.
 */
struct mg_memsrc {
	const unsigned char *p;
	size_t		 n, off;
};
void	mg_src_mem(struct mg_src *src, struct mg_memsrc *m, const void *p,
	    size_t n);

#endif /* MG_RD_H */
