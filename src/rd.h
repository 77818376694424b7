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
struct mg_hasher;

/*
 * A forward-only byte source of a known size.  read() returns the number of
 * bytes stored (0 at end of input) or -1 with errno set.  skip() may be NULL;
 * when present it advances without reading (used only when no digest is
 * attached).
 */
struct mg_src {
	ssize_t		(*read)(void *ctx, void *buf, size_t n);
	int		(*skip)(void *ctx, uint64_t n);
	/*
	 * Why the last read failed when the cause is not an errno (an
	 * archive library's message), or NULL: then strerror(errno) says.
	 */
	const char	*(*why)(void *ctx);
	/*
	 * Random access, or NULL: read n bytes at offset off without moving
	 * the stream (a file on disk has it; archive members do not).  Only a
	 * format whose layout needs it (7z) uses it.
	 */
	ssize_t		(*pread)(void *ctx, void *buf, size_t n, uint64_t off);
	void		*ctx;
	uint64_t	 size;		/* declared size, or MG_SIZE_UNKNOWN */
};

/*
 * The size of a source known only at its end (a zip member written with a
 * data descriptor, a compressed stream): the reader takes the end of input
 * as the end, and the size is known from then on.
 */
#define MG_SIZE_UNKNOWN	UINT64_MAX

struct mg_rd {
	const struct mg_src *src;
	struct mg_hash	*hash;		/* borrowed; NULL: no digest */
	struct mg_hasher *async;	/* borrowed; feeds hash on its thread */
	unsigned char	*buf;		/* owned window, MG_RD_BUFSZ bytes */
	size_t		 cap;
	size_t		 lo, hi;	/* unread bytes are buf[lo..hi) */
	uint64_t	 off;		/* offset of buf[lo] in the source */
	uint64_t	 size;		/* declared size of the source */
	uint64_t	 pulled;	/* bytes taken from the source so far */
	int		 err;		/* sticky MG_ERR_*, 0 while healthy */
	int		 sys_errno;	/* errno of a failed source read */
	int		 open_ended;	/* size unknown until the source ends */
	size_t		 ra;		/* next read size without a digest */
	char		 why[160];	/* the source's own reason, or "" */
};

/* Allocate the window once per worker; reuse it across artifacts. */
int	mg_rd_init(struct mg_rd *rd, size_t cap);
void	mg_rd_free(struct mg_rd *rd);

/* Bind the reader to a source (and optional digest) for one artifact. */
void	mg_rd_reset(struct mg_rd *rd, const struct mg_src *src,
	    struct mg_hash *hash);

/*
 * Bytes the source declares beyond the current offset (while the size is
 * unknown, everything up to MG_SIZE_UNKNOWN).
 */
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
 * Consume n bytes (n <= the window size) and point *p at them inside the
 * window, without copying: valid until the next call on the reader.
 * Fails like the getters above (*p is then NULL).
 */
int	mg_rd_take(struct mg_rd *rd, size_t n, const unsigned char **p);

/*
 * Inline fast paths of the getters above for values that are already
 * buffered: one bounds check per value (a healthy reader with n unread
 * bytes in the window; those are within the declared size by
 * construction), the out-of-line getter otherwise.  Same contract.
 */
static inline int
mg_rd_has_(const struct mg_rd *rd, size_t n)
{
	return __builtin_expect(rd->err == 0 && rd->hi - rd->lo >= n, 1);
}

static inline int
mg_rd_u8f(struct mg_rd *rd, uint8_t *v)
{
	if (mg_rd_has_(rd, 1)) {
		*v = rd->buf[rd->lo++];
		rd->off++;
		return 0;
	}
	return mg_rd_u8(rd, v);
}

static inline int
mg_rd_u16f(struct mg_rd *rd, int big_endian, uint16_t *v)
{
	if (!big_endian && mg_rd_has_(rd, 2)) {
		*v = (uint16_t)(rd->buf[rd->lo] | rd->buf[rd->lo + 1] << 8);
		rd->lo += 2;
		rd->off += 2;
		return 0;
	}
	return mg_rd_u16(rd, big_endian, v);
}

static inline uint32_t
mg_rd_le32_(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline int
mg_rd_u32f(struct mg_rd *rd, int big_endian, uint32_t *v)
{
	if (!big_endian && mg_rd_has_(rd, 4)) {
		*v = mg_rd_le32_(rd->buf + rd->lo);
		rd->lo += 4;
		rd->off += 4;
		return 0;
	}
	return mg_rd_u32(rd, big_endian, v);
}

static inline int
mg_rd_u64f(struct mg_rd *rd, int big_endian, uint64_t *v)
{
	if (!big_endian && mg_rd_has_(rd, 8)) {
		const unsigned char *p = rd->buf + rd->lo;

		*v = (uint64_t)mg_rd_le32_(p) | (uint64_t)mg_rd_le32_(p + 4) << 32;
		rd->lo += 8;
		rd->off += 8;
		return 0;
	}
	return mg_rd_u64(rd, big_endian, v);
}

/*
 * A string with a little-endian u64 length prefix, when the prefix and
 * all len <= max bytes are already buffered: consume both, point *p at
 * the bytes in the window (valid until the next call on the reader) and
 * return 1.  Otherwise consume nothing and return 0: the caller reads it
 * with the getters, which report what is wrong.
 */
static inline int
mg_rd_lstr64f(struct mg_rd *rd, uint64_t max, const unsigned char **p,
    size_t *n)
{
	size_t have = rd->hi - rd->lo;
	const unsigned char *q = rd->buf + rd->lo;
	uint64_t len;

	if (rd->err != 0 || have < 8)
		return 0;
	len = (uint64_t)mg_rd_le32_(q) | (uint64_t)mg_rd_le32_(q + 4) << 32;
	if (len > have - 8 || len > max)
		return 0;
	*p = q + 8;
	*n = (size_t)len;
	rd->lo += 8 + (size_t)len;
	rd->off += 8 + len;
	return 1;
}

/*
 * Bytes of the window's allocation from q (a pointer into the window)
 * to its end: for a consumer that reads a few bytes past a value it was
 * handed, and ignores them (a word-at-a-time check).
 */
static inline size_t
mg_rd_room_after(const struct mg_rd *rd, const unsigned char *q)
{
	return rd->cap - (size_t)(q - rd->buf);
}

static inline int
mg_rd_takef(struct mg_rd *rd, size_t n, const unsigned char **p)
{
	if (mg_rd_has_(rd, n)) {
		*p = rd->buf + rd->lo;
		rd->lo += n;
		rd->off += n;
		return 0;
	}
	return mg_rd_take(rd, n, p);
}

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
 * Consume whatever is buffered, or pull the next window from the source
 * when nothing is (feeding the digest): *p and *n receive the bytes, valid
 * until the next call on the reader; *n == 0 at the end of the source.
 * For a consumer that takes raw bytes in blocks (an archive library).
 */
int	mg_rd_chunk(struct mg_rd *rd, const unsigned char **p, size_t *n);

/*
 * From now on, feed the digest through hs (another thread) instead of in
 * line.  mg_hasher_wait(hs) before the digest is read or reset.
 */
void	mg_rd_hash_async(struct mg_rd *rd, struct mg_hasher *hs);

/*
 * Learn the size of an open-ended source by reading (and hashing) what is
 * left of it: for a check that needs the total size once the parser has
 * read everything else it wants.  A no-op when the size is known.
 */
int	mg_rd_settle(struct mg_rd *rd);

/*
 * The parser will take n more bytes and, without a digest, nothing after
 * them: the next read asks for what is missing of them rather than a
 * whole read-ahead.  Only a size hint; every read stays checked.
 */
void	mg_rd_expect(struct mg_rd *rd, uint64_t n);

/* The reason of a failed source read, for messages: never NULL. */
const char *mg_rd_why(const struct mg_rd *rd);

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
