/*
 * rd.c - the bounded, forward-only byte reader.
 *
 * Invariants: buf[lo..hi) holds the next unread bytes of the source; off is
 * the source offset of buf[lo]; pulled == off + (hi - lo).  Every byte is
 * pulled from the source exactly once and, when a digest is attached, fed
 * to it at that moment, so the digest always covers [0, pulled).  Reads are
 * bounded by the declared size: a source that yields more or fewer bytes
 * than it declared is an I/O error (the artifact changed under us).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "hasher.h"
#include "limits.h"
#include "rd.h"

int
mg_rd_init(struct mg_rd *rd, size_t cap)
{
	memset(rd, 0, sizeof(*rd));
	if (cap < MG_PROBE_MIN_WINDOW)
		cap = MG_PROBE_MIN_WINDOW;
	/*
	 * Page-aligned: the kernel copies into an aligned destination
	 * several times faster, and the window is where every byte lands.
	 */
	cap = (cap + 4095) & ~(size_t)4095;
	rd->buf = aligned_alloc(4096, cap);
	if (rd->buf == NULL)
		return MG_ERR_NOMEM;
	rd->cap = cap;
	return MG_OK;
}

void
mg_rd_free(struct mg_rd *rd)
{
	if (rd == NULL)
		return;
	free(rd->buf);
	rd->buf = NULL;
	rd->cap = 0;
}

void
mg_rd_reset(struct mg_rd *rd, const struct mg_src *src, struct mg_hash *hash)
{
	rd->src = src;
	rd->hash = hash;
	rd->async = NULL;
	rd->lo = rd->hi = 0;
	rd->off = 0;
	rd->size = src->size;
	rd->pulled = 0;
	rd->err = 0;
	rd->sys_errno = 0;
	rd->open_ended = src->size == MG_SIZE_UNKNOWN;
	rd->ra = MG_RD_READAHEAD;
	rd->why[0] = '\0';
}

static int
fail(struct mg_rd *rd, int err)
{
	if (rd->err == 0)
		rd->err = err;
	return rd->err;
}

/*
 * Pull more bytes from the source into the window so that at least `want`
 * unread bytes are buffered (want <= cap), or until the declared size is
 * reached.  Compacts the window first.
 */
static int
fill(struct mg_rd *rd, size_t want)
{
	if (rd->lo > 0 && rd->cap - rd->hi < want) {
		memmove(rd->buf, rd->buf + rd->lo, rd->hi - rd->lo);
		rd->hi -= rd->lo;
		rd->lo = 0;
	}
	while (rd->hi - rd->lo < want && rd->pulled < rd->size) {
		uint64_t rest = rd->size - rd->pulled;
		size_t room = rd->cap - rd->hi;
		ssize_t got;

		if (room > rest)
			room = (size_t)rest;
		/*
		 * The first read only has to answer the format probe: most files
		 * in a tree are not models, and a large one should cost one
		 * small read, not a whole window.
		 */
		if (rd->pulled == 0 && room > MG_PROBE_READ && want <= MG_PROBE_READ)
			room = MG_PROBE_READ;
		/*
		 * Without a digest nothing needs the bytes past what the
		 * parser asks for: a header parser on a large file should not
		 * copy a whole window of tensor data it will skip.  Reads
		 * start small and double while the parser keeps asking.
		 */
		else if (rd->hash == NULL) {
			size_t short_of = want - (rd->hi - rd->lo);
			size_t ra = rd->ra > short_of ? rd->ra : short_of;

			if (room > ra)
				room = ra;
			if (rd->ra < rd->cap / 2)
				rd->ra *= 2;
		}
		got = rd->src->read(rd->src->ctx, rd->buf + rd->hi, room);
		if (got < 0) {
			const char *why;

			if (errno == EINTR)
				continue;
			rd->sys_errno = errno;
			if (rd->src->why != NULL &&
			    (why = rd->src->why(rd->src->ctx)) != NULL)
				snprintf(rd->why, sizeof(rd->why), "%s", why);
			return fail(rd, MG_ERR_IO);
		}
		if (got == 0 && rd->open_ended) {
			/* The end of a source of unknown size: now known. */
			rd->size = rd->pulled;
			rd->open_ended = 0;
			break;
		}
		if (got == 0)	/* shorter than declared: it shrank */
			return fail(rd, MG_ERR_IO);
		if (rd->async != NULL) {
			if (mg_hasher_feed(rd->async, rd->buf + rd->hi,
			    (size_t)got) != MG_OK)
				return fail(rd, MG_ERR_INTERNAL);
		} else if (rd->hash != NULL &&
		    mg_hash_update(rd->hash, rd->buf + rd->hi, (size_t)got) != MG_OK)
			return fail(rd, MG_ERR_INTERNAL);
		rd->hi += (size_t)got;
		rd->pulled += (uint64_t)got;
	}
	return MG_OK;
}

void
mg_rd_expect(struct mg_rd *rd, uint64_t n)
{
	uint64_t buffered = rd->hi - rd->lo;

	if (n > buffered && n - buffered < rd->ra)
		rd->ra = (size_t)(n - buffered);
}

/* Ensure n (<= cap) contiguous unread bytes, or fail. */
static int
need(struct mg_rd *rd, size_t n)
{
	int r;

	if (rd->err)
		return rd->err;
	if (n > mg_rd_left(rd))
		return fail(rd, MG_ERR_TRUNCATED);
	if (rd->hi - rd->lo >= n)
		return MG_OK;
	if ((r = fill(rd, n)) != MG_OK)
		return r;
	if (rd->hi - rd->lo < n)	/* an open-ended source ended */
		return fail(rd, MG_ERR_TRUNCATED);
	return MG_OK;
}

int
mg_rd_u8(struct mg_rd *rd, uint8_t *v)
{
	int r;

	*v = 0;
	if ((r = need(rd, 1)) != MG_OK)
		return r;
	*v = rd->buf[rd->lo++];
	rd->off++;
	return MG_OK;
}

static uint64_t
take(struct mg_rd *rd, unsigned n, int be)
{
	const unsigned char *p = rd->buf + rd->lo;
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * (be ? n - 1 - i : i));
	rd->lo += n;
	rd->off += n;
	return v;
}

int
mg_rd_u16(struct mg_rd *rd, int big_endian, uint16_t *v)
{
	int r;

	*v = 0;
	if ((r = need(rd, 2)) != MG_OK)
		return r;
	*v = (uint16_t)take(rd, 2, big_endian);
	return MG_OK;
}

int
mg_rd_u32(struct mg_rd *rd, int big_endian, uint32_t *v)
{
	int r;

	*v = 0;
	if ((r = need(rd, 4)) != MG_OK)
		return r;
	*v = (uint32_t)take(rd, 4, big_endian);
	return MG_OK;
}

int
mg_rd_u64(struct mg_rd *rd, int big_endian, uint64_t *v)
{
	int r;

	*v = 0;
	if ((r = need(rd, 8)) != MG_OK)
		return r;
	*v = take(rd, 8, big_endian);
	return MG_OK;
}

int
mg_rd_take(struct mg_rd *rd, size_t n, const unsigned char **p)
{
	int r;

	*p = NULL;
	if (rd->err == 0 && n <= mg_rd_left(rd) && n > rd->cap)
		return fail(rd, MG_ERR_INTERNAL);	/* a caller's bug */
	if ((r = need(rd, n)) != MG_OK)
		return r;
	*p = rd->buf + rd->lo;
	rd->lo += n;
	rd->off += n;
	return MG_OK;
}

int
mg_rd_bytes(struct mg_rd *rd, void *dst, size_t n)
{
	unsigned char *d = dst;
	int r;

	if (rd->err)
		return rd->err;
	if (n > mg_rd_left(rd))
		return fail(rd, MG_ERR_TRUNCATED);
	while (n > 0) {
		size_t k;

		if (rd->hi == rd->lo && (r = fill(rd, 1)) != MG_OK)
			return r;
		if ((k = rd->hi - rd->lo) == 0)
			return fail(rd, MG_ERR_TRUNCATED);
		if (k > n)
			k = n;
		memcpy(d, rd->buf + rd->lo, k);
		d += k;
		n -= k;
		rd->lo += k;
		rd->off += k;
	}
	return MG_OK;
}

int
mg_rd_skip(struct mg_rd *rd, uint64_t n)
{
	uint64_t buffered;
	int r;

	if (rd->err)
		return rd->err;
	if (n > mg_rd_left(rd))
		return fail(rd, MG_ERR_TRUNCATED);
	buffered = rd->hi - rd->lo;
	if (n <= buffered) {
		rd->lo += (size_t)n;
		rd->off += n;
		return MG_OK;
	}
	n -= buffered;
	rd->off += buffered;
	rd->lo = rd->hi = 0;
	if (rd->hash == NULL && rd->src->skip != NULL && !rd->open_ended) {
		if (rd->src->skip(rd->src->ctx, n) != 0) {
			rd->sys_errno = errno;
			return fail(rd, MG_ERR_IO);
		}
		rd->pulled += n;
		rd->off += n;
		return MG_OK;
	}
	while (n > 0) {
		size_t k;

		if ((r = fill(rd, 1)) != MG_OK)
			return r;
		if ((k = rd->hi - rd->lo) == 0)	/* an open-ended source ended */
			return fail(rd, MG_ERR_TRUNCATED);
		if (k > n)
			k = (size_t)n;
		rd->lo += k;
		rd->off += k;
		n -= k;
		if (rd->lo == rd->hi)
			rd->lo = rd->hi = 0;
	}
	return MG_OK;
}

int
mg_rd_peek(struct mg_rd *rd, size_t n, const unsigned char **p, size_t *got)
{
	uint64_t left = mg_rd_left(rd);
	int r;

	*p = NULL;
	*got = 0;
	if (rd->err)
		return rd->err;
	if (n > rd->cap)
		n = rd->cap;
	if (n > left)
		n = (size_t)left;
	if ((r = fill(rd, n)) != MG_OK)
		return r;
	*p = rd->buf + rd->lo;
	*got = rd->hi - rd->lo < n ? rd->hi - rd->lo : n;
	return MG_OK;
}

int
mg_rd_drain(struct mg_rd *rd)
{
	unsigned char probe;
	ssize_t extra;
	int r;

	if (rd->err)
		return rd->err;
	/* A source of unknown size ends where it ends. */
	while (rd->open_ended) {
		rd->off += rd->hi - rd->lo;
		rd->lo = rd->hi = 0;
		if ((r = fill(rd, 1)) != MG_OK)
			return r;
	}
	if ((r = mg_rd_skip(rd, mg_rd_left(rd))) != MG_OK)
		return r;
	/* The source must end where it said it would. */
	do {
		extra = rd->src->read(rd->src->ctx, &probe, 1);
	} while (extra < 0 && errno == EINTR);
	if (extra != 0) {
		const char *why;

		if (extra < 0) {
			rd->sys_errno = errno;
			if (rd->src->why != NULL &&
			    (why = rd->src->why(rd->src->ctx)) != NULL)
				snprintf(rd->why, sizeof(rd->why), "%s", why);
		}
		return fail(rd, MG_ERR_IO);
	}
	return MG_OK;
}

int
mg_rd_chunk(struct mg_rd *rd, const unsigned char **p, size_t *n)
{
	int r;

	*p = NULL;
	*n = 0;
	if (rd->err)
		return rd->err;
	if (rd->hi == rd->lo) {
		rd->lo = rd->hi = 0;
		if (mg_rd_left(rd) == 0)
			return MG_OK;
		if ((r = fill(rd, rd->cap)) != MG_OK)
			return r;
	}
	*p = rd->buf + rd->lo;
	*n = rd->hi - rd->lo;
	rd->off += *n;
	rd->lo = rd->hi;
	return MG_OK;
}

void
mg_rd_hash_async(struct mg_rd *rd, struct mg_hasher *hs)
{
	if (rd->hash == NULL || hs == NULL)
		return;
	mg_hasher_begin(hs, rd->hash);
	rd->async = hs;
}

int
mg_rd_settle(struct mg_rd *rd)
{
	int r;

	if (rd->err)
		return rd->err;
	while (rd->open_ended) {
		rd->off += rd->hi - rd->lo;
		rd->lo = rd->hi = 0;
		if ((r = fill(rd, 1)) != MG_OK)
			return r;
	}
	/* Everything is consumed: the reader now stands at the end. */
	rd->off += rd->hi - rd->lo;
	rd->lo = rd->hi = 0;
	return MG_OK;
}

const char *
mg_rd_why(const struct mg_rd *rd)
{
	if (rd->why[0] != '\0')
		return rd->why;
	return rd->sys_errno != 0 ? strerror(rd->sys_errno) : "unknown error";
}

static ssize_t
mem_read(void *ctx, void *buf, size_t n)
{
	struct mg_memsrc *m = ctx;
	size_t k = m->n - m->off;

	if (k > n)
		k = n;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static int
mem_skip(void *ctx, uint64_t n)
{
	struct mg_memsrc *m = ctx;

	if (n > m->n - m->off) {
		errno = EINVAL;
		return -1;
	}
	m->off += (size_t)n;
	return 0;
}

void
mg_src_mem(struct mg_src *src, struct mg_memsrc *m, const void *p, size_t n)
{
	m->p = p;
	m->n = n;
	m->off = 0;
	src->read = mem_read;
	src->skip = mem_skip;
	src->why = NULL;
	src->pread = NULL;
	src->ctx = m;
	src->size = n;
}
