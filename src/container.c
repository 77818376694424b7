/*
 * container.c - archives and compressed streams through libarchive.
 *
 * One pass: libarchive pulls the container's bytes through the reader that
 * hashes it (rd_chunk), and each regular member is pulled through the next
 * depth's reader, which hashes the member and feeds its parser, exactly as
 * a file on disk.  Members are never buffered whole and nothing touches
 * the disk.  Only libraries are registered as filters: a filter that would
 * run an external program is a configuration error, never a fallback.
 *
 * Zip: libarchive streams the local headers; the central directory at the
 * end is what torch.load and Python read.  The last MG_ARC_ZIP_TAIL bytes
 * of the stream are kept as they pass, and once the stream has ended the
 * directory is checked against the local headers that were read (ARC-ZIPDIR)
 * and against the end of the file (ARC-EXTRA).
 *
 * Limits are counted on bytes actually decompressed (ARC-LIMIT): reading
 * stops as soon as one is passed, so a bomb costs at most the limit.
 *
 * A raw zlib stream (joblib's default compression) has no libarchive
 * reader: zlib inflates it in chunks in place of the libarchive filter,
 * and everything downstream (the tar check, the one member, the limits)
 * is the same.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <zlib.h>
#include <archive_entry.h>
#include <unicase.h>
#include <uninorm.h>

#include "arclib.h"
#include "container.h"
#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "hash.h"
#include "limits.h"
#include "pickle.h"
#include "rd.h"
#include "scan.h"
#include "sidecar.h"
#include "strset.h"
#include "text.h"

/* A local header libarchive read from a zip stream. */
struct zent {
	uint64_t	 pos;		/* offset of the local header */
	uint64_t	 size;		/* bytes read, when read whole */
	char		*name;
	size_t		 nlen;
	unsigned	 enc : 1, read : 1, listed : 1;
};

/*
 * A sidecar member (config.json, tokenizer_config.json) and its bytes, or
 * a later member of the same name in the same directory (again: it only
 * marks the first, once they are sorted).
 */
struct side {
	char		*dir;		/* its directory in the archive */
	int		 which;		/* 0 config.json, 1 tokenizer_config */
	int		 again;		/* a repeat: no bytes, marks the first */
	size_t		 seq;		/* order met */
	char		*buf;
	size_t		 n;
	int		 state;		/* MG_SIDEBUF_* */
	const char	*why;		/* static */
};

/* A model member this archive yielded, and its directory. */
struct emitted {
	size_t		 idx;		/* in the scan context's output */
	char		*dir;
};

/*
 * A gzip or raw zlib stream, inflated with zlib rather than libarchive:
 * libarchive's gzip reader does not check a member's CRC-32 and length (a
 * stream whose check fails must not pass), and it has no raw zlib reader
 * (joblib's default compression).  gzip members follow each other;
 * anything else after the stream is left for the trailing-bytes check.
 */
struct gz {
	z_stream	 z;
	int		 live;		/* inflateInit2 done */
	int		 between;	/* a member ended; another may start */
	int		 end;		/* no more expanded bytes */
	uint64_t	 used;		/* raw bytes inflate consumed */
	unsigned char	*out;
	const char	*name;		/* "gzip" or "zlib" (static) */
	int		 single;	/* zlib: one stream, no members */
	char		 why[128];
};

struct arc {
	struct mg_scan_ctx *c;
	const struct mg_scan_opts *o;
	struct mg_arc_limits lim;
	struct mg_rd	*in;		/* the container's bytes */
	struct mg_artifact *a;		/* the container */
	struct archive	*ar;
	unsigned	 depth;
	int		 zip;		/* keep the tail, check the directory */
	int		 sevenz;	/* needs random access (see sz_read) */

	/*
	 * A compressed stream: ao decompresses it (raw format) and either a
	 * tar reader (ar) takes the expanded bytes through st_read, or they
	 * are one member read through m_read.  peek holds the first expanded
	 * bytes, handed out again before the rest.
	 */
	struct archive	*ao;
	struct gz	*gz;		/* instead of ao for gzip */
	int		 instream;	/* expanded bytes count at stream level */
	int		 rawsrc;	/* the member is the whole stream */
	unsigned char	 peek[512];
	size_t		 npeek, opeek;
	const unsigned char *bp;	/* the rest of the current block */
	size_t		 bn;
	unsigned char	*sbuf;		/* st_read's window */
	/* The last input handed to libarchive, to see what it left unread. */
	const unsigned char *lastp;
	size_t		 lastn;
	uint64_t	 delivered;
	uint64_t	 pos;		/* 7z: where libarchive reads next */
	uint64_t	 hashed;	/* 7z: bytes [0, hashed) are in the digest */
	unsigned char	*zbuf;		/* 7z: the read window */
	int		 stop;		/* a limit passed: read nothing more */
	int		 incomplete;	/* something was not checked */
	int		 data_err;	/* libarchive failed inside a member */
	char		 why[256];	/* libarchive's or the limit's words */

	/* The tail ring of a zip: the last tail_n bytes end at tail_end. */
	struct mg_arc_level *lv;
	size_t		 tail_w;	/* next write position */
	size_t		 tail_n;	/* bytes held */
	uint64_t	 seen;		/* container bytes passed so far */
	uint64_t	 prefix;	/* bytes before a zip's first header */
	uint64_t	 skip;		/* of them, still to hold back */

	struct zent	*z;
	size_t		 nz, zcap;
	struct mg_keyset *names, *folded;
	uint64_t	 entries;
	cJSON		*desc;		/* the report's "archive" object */

	/* Sidecars are kept while read and applied once the archive ends. */
	struct side	*sides;
	size_t		 nsides, sidescap;
	struct mg_strset *sidekeys[2];	/* directories with each sidecar */
	struct emitted	*em;
	size_t		 nem, emcap;
	char		*capbuf;	/* the sidecar member being read */
	size_t		 capn, capcap;
	int		 capturing, capover;
	size_t		 sidekept;	/* sidecar bytes kept, all directories */

	/* The members a format's check judges (fmt->check set). */
	const struct mg_format *fmt;
	struct mg_member *mem;
	size_t		 nmem, memcap;
	unsigned char	*kbuf;		/* MG_MEMBER_KEEP: the member's bytes */
	size_t		 kn, kcap;
	int		 keeping, kover;
	uint64_t	 kept_total;
	uint64_t	 mgot;		/* bytes of the current member */
	uint64_t	 expanded;	/* bytes of this archive's members */
};


struct mg_arc_limits
mg_arc_limits_eff(const struct mg_arc_limits *l)
{
	struct mg_arc_limits e;

	e.depth = l != NULL && l->depth ? l->depth : MG_ARC_DEPTH;
	e.members = l != NULL && l->members ? l->members : MG_ARC_MEMBERS;
	e.total = l != NULL && l->total ? l->total : MG_ARC_TOTAL;
	e.member = l != NULL && l->member ? l->member : MG_ARC_MEMBER;
	e.ratio = l != NULL && l->ratio ? l->ratio : MG_ARC_RATIO;
	if (e.depth > MG_ARC_DEPTH_MAX)
		e.depth = MG_ARC_DEPTH_MAX;
	return e;
}

void
mg_archive_levels_free(struct mg_scan_ctx *c)
{
	size_t i;

	for (i = 0; i <= MG_ARC_DEPTH_MAX; i++) {
		if (c->lv[i] == NULL)
			continue;
		mg_rd_free(&c->lv[i]->rd);
		mg_hash_free(c->lv[i]->hash);
		free(c->lv[i]->tail);
		free(c->lv[i]);
		c->lv[i] = NULL;
	}
}

static struct mg_arc_level *
level(struct mg_scan_ctx *c, unsigned d)
{
	struct mg_arc_level *l;

	if (d > MG_ARC_DEPTH_MAX)
		return NULL;
	if (c->lv[d] != NULL)
		return c->lv[d];
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if (mg_rd_init(&l->rd, MG_RD_BUFSZ) != MG_OK) {
		free(l);
		return NULL;
	}
	if ((l->hash = mg_hash_new()) == NULL) {
		mg_rd_free(&l->rd);
		free(l);
		return NULL;
	}
	c->lv[d] = l;
	return l;
}

/* ---- the container's bytes ------------------------------------------ */

/*
 * Make the level's tail ring hold at least need bytes, up to
 * MG_ARC_ZIP_TAIL: sized by the stream before it is read (the reader
 * hands over no more than the stream's declared size), so a small zip
 * never has the whole ring mapped.
 */
static int
tail_grow(struct arc *s, uint64_t need)
{
	struct mg_arc_level *l = s->lv;
	size_t cap = l->tail_cap != 0 ? l->tail_cap : MG_ARC_ZIP_TAIL_MIN;
	unsigned char *t;

	if (need > MG_ARC_ZIP_TAIL)
		need = MG_ARC_ZIP_TAIL;
	if (need <= l->tail_cap && l->tail != NULL)
		return MG_OK;
	while (cap < need)
		cap *= 2;
	if (cap > MG_ARC_ZIP_TAIL)
		cap = MG_ARC_ZIP_TAIL;
	if ((t = realloc(l->tail, cap)) == NULL)
		return MG_ERR_NOMEM;
	l->tail = t;
	l->tail_cap = cap;
	return MG_OK;
}

/* Keep the last bytes of a zip stream as they pass. */
static void
tap(struct arc *s, const unsigned char *p, size_t n)
{
	struct mg_arc_level *l = s->lv;
	uint64_t size = s->in->open_ended ? MG_SIZE_UNKNOWN : s->in->size;

	s->seen += n;
	if (!s->zip || l->tail == NULL)
		return;
	/* A stream of known size: only its last tail_cap bytes matter. */
	if (size != MG_SIZE_UNKNOWN && size > l->tail_cap &&
	    s->seen <= size - l->tail_cap)
		return;
	if (n > l->tail_cap) {
		p += n - l->tail_cap;
		n = l->tail_cap;
	}
	while (n > 0) {
		size_t k = l->tail_cap - s->tail_w;

		if (k > n)
			k = n;
		memcpy(l->tail + s->tail_w, p, k);
		s->tail_w = (s->tail_w + k) % l->tail_cap;
		s->tail_n = s->tail_n + k > l->tail_cap ? l->tail_cap :
		    s->tail_n + k;
		p += k;
		n -= k;
	}
}

static la_ssize_t
in_read(struct archive *ar, void *ud, const void **buf)
{
	struct arc *s = ud;
	const unsigned char *p;
	size_t n;

	if (mg_rd_chunk(s->in, &p, &n) != MG_OK) {
		archive_set_error(ar, EIO, "%s", mg_rd_why(s->in));
		return ARCHIVE_FATAL;
	}
	tap(s, p, n);
	/* Bytes before a zip's first header are hashed, not handed on. */
	while (s->skip > 0) {
		size_t d = s->skip < n ? (size_t)s->skip : n;

		p += d;
		n -= d;
		s->skip -= d;
		if (n > 0)
			break;
		if (mg_rd_chunk(s->in, &p, &n) != MG_OK) {
			archive_set_error(ar, EIO, "%s", mg_rd_why(s->in));
			return ARCHIVE_FATAL;
		}
		if (n == 0)
			break;
		tap(s, p, n);
	}
	/* A stream's input is compressed: st_read tracks what the tar took. */
	if (s->ao == NULL) {
		s->lastp = p;
		s->lastn = n;
		s->delivered += n;
	}
	*buf = p;
	return (la_ssize_t)n;
}

/*
 * A 7z keeps its directory at its end: libarchive reads the start, the
 * end, then the packed streams from the start.  A file on disk allows
 * that.  The digest still takes every byte once and in order: bytes are
 * fed as the reads pass the digested prefix, and what no read passed is
 * read at the end.  Only a 7z is read this way; its directory (usually a
 * small part of the file) is read twice.
 */
static la_ssize_t
sz_read(struct archive *ar, void *ud, const void **buf)
{
	struct arc *s = ud;
	const struct mg_src *src = s->in->src;
	uint64_t size = s->in->size;
	size_t want = s->in->cap;
	ssize_t k;

	if (s->pos >= size) {
		*buf = s->zbuf;
		return 0;
	}
	if (want > size - s->pos)
		want = (size_t)(size - s->pos);
	do {
		k = src->pread(src->ctx, s->zbuf, want, s->pos);
	} while (k < 0 && errno == EINTR);
	if (k <= 0) {
		archive_set_error(ar, EIO, "%s", k < 0 ? strerror(errno) :
		    "the file is shorter than when it was opened");
		return ARCHIVE_FATAL;
	}
	if (s->in->hash != NULL && s->pos <= s->hashed &&
	    s->pos + (uint64_t)k > s->hashed) {
		size_t from = (size_t)(s->hashed - s->pos);

		if (mg_hash_update(s->in->hash, s->zbuf + from, (size_t)k -
		    from) != MG_OK) {
			archive_set_error(ar, ENOMEM, "digest update failed");
			return ARCHIVE_FATAL;
		}
		s->hashed = s->pos + (uint64_t)k;
	}
	s->pos += (uint64_t)k;
	s->c->arc_read += (uint64_t)k;
	*buf = s->zbuf;
	return (la_ssize_t)k;
}

static la_int64_t
sz_seek(struct archive *ar, void *ud, la_int64_t off, int whence)
{
	struct arc *s = ud;
	int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ?
	    (int64_t)s->pos : (int64_t)s->in->size;

	(void)ar;
	if (off > INT64_MAX - base || base + off < 0)
		return ARCHIVE_FATAL;
	s->pos = (uint64_t)(base + off);
	return (la_int64_t)s->pos;
}

static la_int64_t
sz_skip(struct archive *ar, void *ud, la_int64_t n)
{
	struct arc *s = ud;

	(void)ar;
	if (n < 0 || (uint64_t)n > s->in->size - s->pos)
		return 0;
	s->pos += (uint64_t)n;
	return n;
}

/*
 * Finish a 7z read: digest what no read passed, then leave the reader at
 * the end of the file as if it had pulled every byte.
 */
static int
sz_finish(struct arc *s)
{
	struct mg_rd *rd = s->in;
	const struct mg_src *src = rd->src;
	ssize_t k;

	while (rd->hash != NULL && s->hashed < rd->size) {
		size_t want = rd->cap;

		if (want > rd->size - s->hashed)
			want = (size_t)(rd->size - s->hashed);
		do {
			k = src->pread(src->ctx, s->zbuf, want, s->hashed);
		} while (k < 0 && errno == EINTR);
		if (k <= 0) {
			rd->sys_errno = k < 0 ? errno : 0;
			rd->err = MG_ERR_IO;
			return MG_ERR_IO;
		}
		if (mg_hash_update(rd->hash, s->zbuf, (size_t)k) != MG_OK)
			return MG_ERR_INTERNAL;
		s->hashed += (uint64_t)k;
		s->c->arc_read += (uint64_t)k;
	}
	/* The stream position follows: the reader pulled up to rd->pulled. */
	if (rd->size > rd->pulled) {
		if (src->skip == NULL || src->skip(src->ctx, rd->size -
		    rd->pulled) != 0) {
			rd->sys_errno = errno;
			rd->err = MG_ERR_IO;
			return MG_ERR_IO;
		}
		rd->pulled = rd->size;
	}
	rd->off = rd->size;
	rd->lo = rd->hi = 0;
	return MG_OK;
}

/* ---- members ---------------------------------------------------------- */

static void
stop_limit(struct arc *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
stop_limit(struct arc *s, const char *fmt, ...)
{
	va_list ap;

	if (s->stop)
		return;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	s->stop = 1;
	s->incomplete = 1;
	mg_artifact_add(s->a, MG_R_ARC_LIMIT, MG_FINDING_NO_OFFSET, NULL,
	    "%s; reading stopped there, so the rest was not checked", s->why);
}

/*
 * Count n expanded bytes against the limits: stream is 1 for the bytes of
 * a compressed stream (all of them, tar headers and padding included), 0
 * for a member's (counted at the stream level already when the archive is
 * inside a stream).  Stops the archive when a limit is passed.
 */
static void
count(struct arc *s, size_t n, int stream)
{
	struct mg_scan_ctx *c = s->c;
	uint64_t disk;

	if (!stream)
		s->mgot += n;
	if (stream || !s->instream) {
		s->expanded += n;
		c->arc_expanded += n;
	}
	disk = (c->arc_top != NULL ? c->arc_top->pulled : 0) + c->arc_read;
	if (!stream && s->mgot > s->lim.member)
		stop_limit(s, "a member expands past %llu bytes (the per-member "
		    "limit)", (unsigned long long)s->lim.member);
	else if (c->arc_expanded > s->lim.total)
		stop_limit(s, "the archive expands past %llu bytes (the total "
		    "limit)", (unsigned long long)s->lim.total);
	else if (c->arc_expanded > MG_ARC_RATIO_FREE &&
	    c->arc_expanded / s->lim.ratio > disk)
		stop_limit(s, "%llu bytes expanded from %llu read: past the "
		    "expansion ratio limit of %llu:1",
		    (unsigned long long)c->arc_expanded,
		    (unsigned long long)disk, (unsigned long long)s->lim.ratio);
}

static void tap(struct arc *s, const unsigned char *p, size_t n);

/* The next expanded block of a gzip stream; 0 at its end, -1 on error. */
static int
gz_block(struct arc *s, const void **b, size_t *n)
{
	struct gz *g = s->gz;
	const unsigned char *c;
	size_t cn, before;
	int r;

	*n = 0;
	while (!g->end) {
		if (g->z.avail_in == 0) {
			if (mg_rd_chunk(s->in, &c, &cn) != MG_OK) {
				snprintf(g->why, sizeof(g->why), "%s",
				    mg_rd_why(s->in));
				return -1;
			}
			tap(s, c, cn);
			if (cn == 0) {
				if (g->between) {
					g->end = 1;
					return 0;
				}
				snprintf(g->why, sizeof(g->why), "truncated "
				    "%s input after %llu bytes", g->name,
				    (unsigned long long)g->used);
				return -1;
			}
			g->z.next_in = (unsigned char *)(uintptr_t)c;
			g->z.avail_in = (uInt)cn;
		}
		if (g->between) {
			/* Another member, or bytes that follow the stream. */
			if (g->z.next_in[0] != 0x1f) {
				g->end = 1;
				return 0;
			}
			g->between = 0;
		}
		g->z.next_out = g->out;
		g->z.avail_out = MG_RD_BUFSZ;
		before = g->z.avail_in;
		r = inflate(&g->z, Z_NO_FLUSH);
		g->used += before - g->z.avail_in;
		if (r == Z_STREAM_END && g->single)
			g->end = 1;
		else if (r == Z_STREAM_END) {
			g->between = 1;
			if (inflateReset(&g->z) != Z_OK) {
				snprintf(g->why, sizeof(g->why), "zlib reset "
				    "failed");
				return -1;
			}
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			snprintf(g->why, sizeof(g->why), "%s: %s after %llu "
			    "bytes", g->name, g->z.msg != NULL ? g->z.msg :
			    "damaged data", (unsigned long long)g->used);
			return -1;
		}
		if (MG_RD_BUFSZ - g->z.avail_out > 0) {
			*b = g->out;
			*n = MG_RD_BUFSZ - g->z.avail_out;
			return 1;
		}
	}
	return 0;
}

/* Why a stream's reader failed. */
static const char *
stream_why(const struct arc *s)
{
	const char *e;

	if (s->gz != NULL)
		return s->gz->why[0] != '\0' ? s->gz->why : "damaged data";
	e = archive_error_string(s->ao);
	return e != NULL ? e : "decompression failed";
}

/*
 * Up to max expanded bytes of a stream at *p, without a copy: the peeked
 * ones first, then the rest of the block they came from, then the next
 * block.  Blocks, not archive_read_data(): a copying read that meets an
 * error drops the bytes it had, and those of a truncated stream must be
 * checked.  0 at the end, -1 on an error.
 */
static la_ssize_t
stream_take(struct arc *s, const unsigned char **p, size_t max)
{
	const void *b;
	la_int64_t off;
	size_t n;
	int r;

	if (s->opeek < s->npeek) {
		n = s->npeek - s->opeek < max ? s->npeek - s->opeek : max;
		*p = s->peek + s->opeek;
		s->opeek += n;
		return (la_ssize_t)n;
	}
	if (s->bn == 0) {
		if (s->gz != NULL) {
			if ((r = gz_block(s, &b, &n)) <= 0)
				return r;
		} else {
			r = archive_read_data_block(s->ao, &b, &n, &off);
			if (r == ARCHIVE_EOF)
				return 0;
			if (r < ARCHIVE_WARN)
				return -1;
		}
		s->bp = b;
		s->bn = n;
	}
	n = s->bn < max ? s->bn : max;
	*p = s->bp;
	s->bp += n;
	s->bn -= n;
	return (la_ssize_t)n;
}

/* Copy up to n expanded bytes of a stream into buf. */
static la_ssize_t
stream_data(struct arc *s, void *buf, size_t n)
{
	const unsigned char *p;
	la_ssize_t k = stream_take(s, &p, n);

	if (k > 0)
		memcpy(buf, p, (size_t)k);
	return k;
}

static void
keep_capture(struct arc *s, const void *buf, size_t k)
{
	if (s->capn + k > MG_MAX_SIDECAR_BYTES) {
		s->capover = 1;
		return;
	}
	if (s->capn + k > s->capcap) {
		size_t ncap = s->capcap ? s->capcap : 4096;
		char *nb;

		while (ncap < s->capn + k)
			ncap *= 2;
		if ((nb = realloc(s->capbuf, ncap)) == NULL) {
			s->capover = 1;
			return;
		}
		s->capbuf = nb;
		s->capcap = ncap;
	}
	memcpy(s->capbuf + s->capn, buf, k);
	s->capn += k;
}

/* A member a format's check reads (MG_MEMBER_KEEP), within the caps. */
static void
keep_member(struct arc *s, const void *buf, size_t k)
{
	if (k > MG_ARC_KEEP - s->kn ||
	    k > MG_ARC_KEEP_TOTAL - s->kept_total) {
		s->kover = 1;
		return;
	}
	if (s->kn + k > s->kcap) {
		size_t ncap = s->kcap ? s->kcap : 4096;
		unsigned char *nb;

		while (ncap < s->kn + k)
			ncap *= 2;
		if ((nb = realloc(s->kbuf, ncap)) == NULL) {
			s->kover = 1;
			return;
		}
		s->kbuf = nb;
		s->kcap = ncap;
	}
	memcpy(s->kbuf + s->kn, buf, k);
	s->kn += k;
	s->kept_total += k;
}

static ssize_t
m_read(void *ctx, void *buf, size_t n)
{
	struct arc *s = ctx;
	la_ssize_t k;

	if (s->stop) {
		errno = EFBIG;
		return -1;
	}
	k = s->rawsrc ? stream_data(s, buf, n) : archive_read_data(s->ar, buf,
	    n);
	if (k < 0) {
		const char *e = s->rawsrc ? stream_why(s) :
		    archive_error_string(s->ar);

		snprintf(s->why, sizeof(s->why), "%s", e != NULL ? e :
		    "the archive library failed");
		s->data_err = 1;
		errno = EIO;
		return -1;
	}
	if (s->capturing && k > 0 && !s->capover)
		keep_capture(s, buf, (size_t)k);
	if (s->keeping && k > 0 && !s->kover)
		keep_member(s, buf, (size_t)k);
	count(s, (size_t)k, 0);
	if (s->stop) {
		errno = EFBIG;
		return -1;
	}
	return (ssize_t)k;
}

/* The input of a tar inside a compressed stream: the expanded bytes. */
static la_ssize_t
st_read(struct archive *ar, void *ud, const void **buf)
{
	struct arc *s = ud;
	const unsigned char *p;
	la_ssize_t k;

	if (s->stop) {
		archive_set_error(ar, EFBIG, "%s", s->why);
		return ARCHIVE_FATAL;
	}
	k = stream_take(s, &p, SIZE_MAX);
	if (k < 0) {
		archive_set_error(ar, EIO, "%s", stream_why(s));
		return ARCHIVE_FATAL;
	}
	count(s, (size_t)k, 1);
	if (s->stop) {
		archive_set_error(ar, EFBIG, "%s", s->why);
		return ARCHIVE_FATAL;
	}
	s->lastp = p;
	s->lastn = (size_t)k;
	s->delivered += (uint64_t)k;
	*buf = p;
	return k;
}

static const char *
m_why(void *ctx)
{
	struct arc *s = ctx;

	return s->why[0] != '\0' ? s->why : NULL;
}

/* What a raw compressed stream holds is named after the file. */
static void
raw_name(const struct mg_artifact *a, char *out, size_t cap)
{
	static const char *const sfx[][2] = {
		{ ".tgz", ".tar" }, { ".taz", ".tar" }, { ".tbz2", ".tar" },
		{ ".tbz", ".tar" }, { ".txz", ".tar" }, { ".tzst", ".tar" },
		{ ".tlz", ".tar" }, { ".gz", "" }, { ".gzip", "" }, { ".z", "" },
		{ ".bz2", "" }, { ".bzip2", "" }, { ".xz", "" }, { ".lzma", "" },
		{ ".zst", "" }, { ".zstd", "" }, { ".lz4", "" },
	};
	const char *f = a->filename != NULL && a->filename[0] != '\0' ?
	    a->filename : "data";
	size_t n = strlen(f), i, k;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		k = strlen(sfx[i][0]);
		if (n > k && strncasecmp(f + n - k, sfx[i][0], k) == 0) {
			snprintf(out, cap, "%.*s%s", (int)(n - k), f, sfx[i][1]);
			return;
		}
	}
	snprintf(out, cap, "%s", f);
}

static char *
join(const char *a, const char *b, size_t blen)
{
	size_t an = strlen(a);
	char *p;

	if (an > SIZE_MAX - blen - 2 || (p = malloc(an + blen + 2)) == NULL)
		return NULL;
	memcpy(p, a, an);
	p[an] = '!';
	memcpy(p + an + 1, b, blen);
	p[an + 1 + blen] = '\0';
	return p;
}

/* Keep a sidecar member's bytes for the models beside it. */
static int
keep_side(struct arc *s, const char *name, size_t dlen, int which, int bad)
{
	struct side *d;
	int fresh;

	if (s->sidekeys[which] == NULL &&
	    (s->sidekeys[which] = mg_strset_new()) == NULL)
		return MG_ERR_NOMEM;
	if ((fresh = mg_strset_add(s->sidekeys[which], name, dlen)) < 0)
		return fresh;
	if (s->nsides == s->sidescap) {
		size_t ncap = s->sidescap ? s->sidescap * 2 : 4;
		struct side *ns = realloc(s->sides, ncap * sizeof(*ns));

		if (ns == NULL)
			return MG_ERR_NOMEM;
		s->sides = ns;
		s->sidescap = ncap;
	}
	d = &s->sides[s->nsides];
	memset(d, 0, sizeof(*d));
	d->which = which;
	d->seq = s->nsides;
	if ((d->dir = strndup(name, dlen)) == NULL)
		return MG_ERR_NOMEM;
	s->nsides++;
	if (!fresh) {
		/*
		 * Twice in one directory: which one counts is moot.  Marks
		 * the first once apply_sides has them sorted.
		 */
		d->again = 1;
		return MG_OK;
	}
	/* One cap for all the sidecars an archive holds, not one each. */
	if (!bad && !s->capover && s->capn > MG_MAX_SIDECAR_BYTES - s->sidekept) {
		d->state = MG_SIDEBUF_UNREAD;
		d->why = "over the size cap for the sidecars of one archive";
		return MG_OK;
	}
	if (bad || s->capover) {
		d->state = MG_SIDEBUF_UNREAD;
		d->why = s->capover ? "over the size cap" :
		    "could not be read to its end";
		return MG_OK;
	}
	s->sidekept += s->capn;
	if ((d->buf = malloc(s->capn ? s->capn : 1)) == NULL)
		return MG_ERR_NOMEM;
	memcpy(d->buf, s->capbuf, s->capn);
	d->n = s->capn;
	d->state = MG_SIDEBUF_READ;
	return MG_OK;
}

static int
cmp_side(const void *x, const void *y)
{
	const struct side *a = x, *b = y;
	int c = strcmp(a->dir, b->dir);

	if (c != 0)
		return c;
	if (a->which != b->which)
		return a->which - b->which;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
cmp_emitted(const void *x, const void *y)
{
	const struct emitted *a = x, *b = y;
	int c = strcmp(a->dir, b->dir);

	if (c != 0)
		return c;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/*
 * Give each model member the sidecars of its directory in the archive.
 * Sides and models are sorted by directory and met in step; each
 * directory's sidecars are parsed once for all its models.
 */
static int
apply_sides(struct arc *s)
{
	struct mg_sidebuf sb[2];
	struct mg_sidedigest *dg;
	size_t i = 0, k = 0, j, e;
	int r;

	qsort(s->sides, s->nsides, sizeof(*s->sides), cmp_side);
	qsort(s->em, s->nem, sizeof(*s->em), cmp_emitted);
	while (i < s->nem && k < s->nsides) {
		const char *dir = s->sides[k].dir;
		int c = strcmp(s->em[i].dir, dir);

		if (c < 0) {
			i++;
			continue;
		}
		memset(sb, 0, sizeof(sb));
		for (j = k; j < s->nsides && strcmp(s->sides[j].dir, dir) == 0;
		    j++) {
			const struct side *d = &s->sides[j];

			if (d->again) {
				/* The first of its name is just before. */
				sb[d->which].state = MG_SIDEBUF_UNREAD;
				sb[d->which].why =
				    "appears more than once in the archive";
				continue;
			}
			sb[d->which].p = d->buf;
			sb[d->which].n = d->n;
			sb[d->which].state = d->state;
			sb[d->which].why = d->why;
		}
		k = j;
		if (c > 0)
			continue;
		for (e = i; e < s->nem && strcmp(s->em[e].dir, dir) == 0; e++)
			;
		if ((r = mg_sidedigest_mem(sb, &dg)) != MG_OK)
			return r;
		for (; i < e; i++)
			if ((r = mg_sidedigest_apply(dg, s->c->out[s->em[i].idx]))
			    != MG_OK)
				break;
		mg_sidedigest_free(dg);
		if (r != MG_OK)
			return r;
	}
	return MG_OK;
}

/* Record a member for the format's check (its artifact, if kept, later). */
static int
note_member(struct arc *s, const struct mg_artifact *m, const char *name,
    size_t nlen, unsigned role, int ok)
{
	struct mg_member *v;

	if (s->nmem == s->memcap) {
		size_t ncap = s->memcap ? s->memcap * 2 : 16;
		struct mg_member *nv = realloc(s->mem, ncap * sizeof(*nv));

		if (nv == NULL)
			return MG_ERR_NOMEM;
		s->mem = nv;
		s->memcap = ncap;
	}
	v = &s->mem[s->nmem];
	memset(v, 0, sizeof(*v));
	if ((v->name = strndup(name, nlen)) == NULL)
		return MG_ERR_NOMEM;
	s->nmem++;
	v->nlen = nlen;
	v->size = s->mgot;
	v->read = ok;
	v->role = role;
	v->format = m->format;
	memcpy(v->sha256, m->sha256, sizeof(v->sha256));
	if (role & MG_MEMBER_KEEP) {
		v->kept_whole = ok && !s->kover;
		if (s->kn > 0 && (v->kept = malloc(s->kn)) == NULL)
			return MG_ERR_NOMEM;
		if (s->kn > 0)
			memcpy(v->kept, s->kbuf, s->kn);
		v->nkept = s->kn;
	}
	return MG_OK;
}

/*
 * Scan one regular member into its own artifact, then read whatever of it
 * the scan left (limits count every byte).  The artifact goes to the
 * output when it is a model; its bytes count either way.
 */
static int
member(struct arc *s, struct archive_entry *e, const char *name, size_t nlen)
{
	struct mg_scan_ctx *c = s->c;
	struct mg_artifact *m;
	struct mg_src src;
	struct mg_arc_level *ml;
	const char *base;
	int64_t sz;
	size_t i, shown;
	int which, r;
	unsigned role = 0;

	if ((ml = level(c, s->depth + 1)) == NULL)
		return MG_ERR_NOMEM;
	if (s->fmt->check != NULL && s->fmt->role != NULL)
		role = s->fmt->role(s->nmem > 0 ? s->mem[0].name : name,
		    s->nmem > 0 ? s->mem[0].nlen : nlen, name, nlen);
	if ((m = malloc(sizeof(*m))) == NULL)
		return MG_ERR_NOMEM;
	mg_artifact_init(m);
	/*
	 * A name past MG_ARC_NAME bytes (ARC-PATH says so) is written cut
	 * there: a member's path costs at most that much, however many
	 * such members an archive holds.
	 */
	shown = nlen > MG_ARC_NAME ? MG_ARC_NAME : nlen;
	for (base = name, i = 0; i < shown; i++)
		if (name[i] == '/' && i + 1 < shown)
			base = name + i + 1;
	m->path = join(s->a->path, name, shown);
	/* Only a container with an absolute path (see no_abspath) gives one. */
	if (s->a->abspath != NULL)
		m->abspath = join(s->a->abspath, name, shown);
	m->filename = strndup(base, shown - (size_t)(base - name));
	if (m->path == NULL || (s->a->abspath != NULL && m->abspath == NULL) ||
	    m->filename == NULL) {
		mg_artifact_free(m);
		free(m);
		return MG_ERR_NOMEM;
	}
	m->disk_len = s->a->disk_len != 0 ? s->a->disk_len : strlen(s->a->path);
	m->depth = s->depth + 1;
	m->ordinal = (size_t)c->arc_members;
	m->disk_dev = s->a->disk_dev;
	m->disk_ino = s->a->disk_ino;
	sz = e != NULL && archive_entry_size_is_set(e) ?
	    archive_entry_size(e) : -1;
	src.read = m_read;
	src.skip = NULL;
	src.why = m_why;
	src.pread = NULL;
	src.ctx = s;
	src.size = sz >= 0 ? (uint64_t)sz : MG_SIZE_UNKNOWN;
	s->mgot = 0;
	s->data_err = 0;
	s->why[0] = '\0';
	which = !s->o->sidecars ? -1 : strcmp(m->filename, "config.json") == 0 ?
	    0 : strcmp(m->filename, "tokenizer_config.json") == 0 ? 1 : -1;
	s->capturing = which >= 0;
	s->capn = 0;
	s->capover = 0;
	s->keeping = (role & MG_MEMBER_KEEP) != 0;
	s->kn = 0;
	s->kover = 0;
	if (role & MG_MEMBER_RAW)
		mg_scan_member_raw(c, s->o, &src, m, s->depth + 1);
	else
		mg_scan_member(c, s->o, &src, m, s->depth + 1);
	/* Read the rest: every byte counts against the limits. */
	if (ml->rd.err == 0 && mg_rd_drain(&ml->rd) == MG_OK)
		m->size = ml->rd.pulled;
	if (s->data_err && s->sevenz == 1) {
		s->incomplete = 1;
		mg_artifact_addx(s->a, MG_R_ARC_CORRUPT, MG_FINDING_NO_OFFSET, 0,
		    name, NULL, "member %.*s was not checked: a 7z archive "
		    "keeps its directory at its end and needs random access, "
		    "which a member of another archive does not give (%s)",
		    (int)(nlen < 512 ? nlen : 512), name, s->why);
	} else if (s->data_err) {
		s->incomplete = 1;
		mg_artifact_addx(s->a, MG_R_ARC_CORRUPT, MG_FINDING_NO_OFFSET, 0,
		    name, NULL, "member %.*s could not be read to its end: %s",
		    (int)(nlen < 512 ? nlen : 512), name, s->why);
	}
	if (s->nz > 0 && ml->rd.err == 0 && !s->data_err && !s->stop) {
		s->z[s->nz - 1].size = s->mgot;
		s->z[s->nz - 1].read = 1;
	}
	s->capturing = 0;
	s->keeping = 0;
	if (s->fmt->check != NULL && (r = note_member(s, m, name, nlen, role,
	    ml->rd.err == 0 && !s->data_err && !s->stop)) != MG_OK) {
		mg_artifact_free(m);
		free(m);
		return r;
	}
	if (which >= 0 && keep_side(s, name, (size_t)(base - name), which,
	    ml->rd.err != 0 || s->data_err || s->stop) != MG_OK) {
		mg_artifact_free(m);
		free(m);
		return MG_ERR_NOMEM;
	}
	if (m->format == &mg_fmt_unknown) {
		mg_artifact_free(m);
		free(m);
		return MG_OK;
	}
	if (mg_scan_emit(c, m) != MG_OK) {
		mg_artifact_free(m);
		free(m);
		return MG_ERR_NOMEM;
	}
	if (s->fmt->check != NULL)
		s->mem[s->nmem - 1].art = m;
	if (s->o->sidecars) {
		if (s->nem == s->emcap) {
			size_t ncap = s->emcap ? s->emcap * 2 : 16;
			struct emitted *ne = realloc(s->em, ncap * sizeof(*ne));

			if (ne == NULL)
				return MG_ERR_NOMEM;
			s->em = ne;
			s->emcap = ncap;
		}
		if ((s->em[s->nem].dir = strndup(name, (size_t)(base - name))) ==
		    NULL)
			return MG_ERR_NOMEM;
		s->em[s->nem++].idx = c->nout - 1;
	}
	return MG_OK;
}

/* ---- entry names ------------------------------------------------------ */

/* ARC-PATH: what makes a member name unsafe, or NULL. */
static const char *
bad_name(const char *p, size_t n)
{
	size_t i, start = 0;

	if (n == 0)
		return "is empty";
	if (n > MG_ARC_NAME)
		return "is longer than 4096 bytes";
	if (p[0] == '/' || p[0] == '\\')
		return "is absolute";
	if (n >= 2 && p[1] == ':' && ((p[0] >= 'A' && p[0] <= 'Z') ||
	    (p[0] >= 'a' && p[0] <= 'z')))
		return "starts with a drive letter";
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch == '\\')
			return "holds a backslash (a separator on Windows)";
		if (ch < 0x20 || ch == 0x7f)
			return "holds a control byte";
		if (ch == '!')
			return "holds '!', which modelgate writes between an "
			    "archive and its members: its path can name "
			    "another artifact";
	}
	if (!mg_utf8_valid(p, n))
		return "is not valid UTF-8";
	for (i = 0; i <= n; i++) {
		size_t len;

		if (i < n && p[i] != '/')
			continue;
		len = i - start;
		if (len == 2 && p[start] == '.' && p[start + 1] == '.')
			return "has a '..' component";
		if (len > MG_ARC_COMPONENT)
			return "has a component longer than 255 bytes";
		/* A directory's trailing slash leaves one empty component. */
		if ((len == 0 && i < n) || (len == 1 && p[start] == '.'))
			return "has an empty or '.' component";
		start = i + 1;
	}
	return NULL;
}

/* ARC-DUP: the name as seen before, byte for byte or folded. */
static int
dup_name(struct arc *s, const char *p, size_t n)
{
	char low[256];
	uint8_t *f;
	size_t fl = 0;
	int r;

	while (n > 1 && p[n - 1] == '/')	/* "d/" is the directory d */
		n--;
	if (s->names == NULL && (s->names = mg_keyset_new(64)) == NULL)
		return MG_ERR_NOMEM;
	if (s->folded == NULL && (s->folded = mg_keyset_new(64)) == NULL)
		return MG_ERR_NOMEM;
	if ((r = mg_keyset_add(s->names, p, n)) < 0)
		return r;
	if (r == 0)
		return 1;
	/* ASCII folds to its lower case: NFC leaves it as it is. */
	for (fl = 0; fl < n && fl < sizeof(low) && (unsigned char)p[fl] < 0x80;
	    fl++)
		low[fl] = p[fl] >= 'A' && p[fl] <= 'Z' ? (char)(p[fl] + 32) :
		    p[fl];
	if (fl == n)
		r = mg_keyset_add(s->folded, low, n);
	else {
		if (!mg_utf8_valid(p, n))
			return 0;
		f = u8_casefold((const uint8_t *)p, n, NULL, UNINORM_NFC,
		    NULL, &fl);
		if (f == NULL)
			return errno == ENOMEM ? MG_ERR_NOMEM : 0;
		r = mg_keyset_add(s->folded, f, fl);
		free(f);
	}
	if (r < 0)
		return r;
	return r == 0 ? 2 : 0;
}

static int
note_zip(struct arc *s, struct archive *ar, struct archive_entry *e,
    const char *name, size_t nlen)
{
	struct zent *z;

	if (s->nz == s->zcap) {
		size_t ncap = s->zcap ? s->zcap * 2 : 16;
		struct zent *nz = realloc(s->z, ncap * sizeof(*nz));

		if (nz == NULL)
			return MG_ERR_NOMEM;
		s->z = nz;
		s->zcap = ncap;
	}
	z = &s->z[s->nz];
	memset(z, 0, sizeof(*z));
	z->pos = (uint64_t)archive_read_header_position(ar) + s->prefix;
	z->enc = archive_entry_is_encrypted(e) != 0;
	if ((z->name = malloc(nlen + 1)) == NULL)
		return MG_ERR_NOMEM;
	memcpy(z->name, name, nlen);
	z->name[nlen] = '\0';
	z->nlen = nlen;
	s->nz++;
	return MG_OK;
}

/* Print at most 300 bytes of a name. */
#define NAMEW(n)	(int)((n) < 300 ? (n) : 300)

static int
entry(struct arc *s, struct archive_entry *e, int raw)
{
	char rname[MG_MAX_PATH_BYTES];
	const char *name, *why, *target;
	size_t nlen;
	int r, type;

	if (raw) {
		raw_name(s->a, rname, sizeof(rname));
		name = rname;
	} else if ((name = archive_entry_pathname_utf8(e)) == NULL &&
	    (name = archive_entry_pathname(e)) == NULL) {
		mg_artifact_add(s->a, MG_R_ARC_PATH, MG_FINDING_NO_OFFSET, NULL,
		    "entry %llu: its name cannot be read",
		    (unsigned long long)s->entries);
		name = "";
	}
	nlen = strlen(name);
	if (!raw && (why = bad_name(name, nlen)) != NULL)
		mg_artifact_addx(s->a, MG_R_ARC_PATH, MG_FINDING_NO_OFFSET, 0,
		    name, NULL, "member %.*s %s", NAMEW(nlen), name, why);
	if (!raw && (r = dup_name(s, name, nlen)) != 0) {
		if (r < 0)
			return r;
		mg_artifact_addx(s->a, MG_R_ARC_DUP, MG_FINDING_NO_OFFSET, 0,
		    name, NULL, "member %.*s %s", NAMEW(nlen), name, r == 1 ?
		    "appears more than once" : "equals an earlier member's "
		    "name after case-folding and Unicode normalisation");
	}
	if (s->zip && (r = note_zip(s, s->ar, e, name, nlen)) != MG_OK)
		return r;

	type = (int)archive_entry_filetype(e);
	if ((target = archive_entry_hardlink(e)) != NULL) {
		mg_artifact_addx(s->a, MG_R_ARC_LINK, MG_FINDING_NO_OFFSET, 0,
		    name, target, "member %.*s is a hard link to %.300s",
		    NAMEW(nlen), name, target);
		return MG_OK;
	}
	switch (type) {
	case AE_IFREG:
		break;
	case AE_IFDIR:
		/*
		 * A zip entry named "x/" that carries bytes: extractors make
		 * a folder, a zip reader hands the bytes out.  Never read.
		 */
		if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0)
			mg_artifact_addx(s->a, MG_R_ARC_SPECIAL,
			    MG_FINDING_NO_OFFSET, 0, name, NULL, "member %.*s "
			    "is a directory entry that carries %lld bytes: "
			    "extracting makes a folder, a zip reader hands the "
			    "bytes out, and they were not checked", NAMEW(nlen),
			    name, (long long)archive_entry_size(e));
		return MG_OK;
	case AE_IFLNK:
		target = archive_entry_symlink(e);
		mg_artifact_addx(s->a, MG_R_ARC_LINK, MG_FINDING_NO_OFFSET, 0,
		    name, target, "member %.*s is a symbolic link to %.300s",
		    NAMEW(nlen), name, target != NULL ? target : "(unknown)");
		return MG_OK;
	default:
		mg_artifact_addx(s->a, MG_R_ARC_SPECIAL, MG_FINDING_NO_OFFSET, 0,
		    name, NULL, "member %.*s is a %s", NAMEW(nlen), name,
		    type == AE_IFIFO ? "FIFO" : type == AE_IFCHR ?
		    "character device" : type == AE_IFBLK ? "block device" :
		    type == AE_IFSOCK ? "socket" : "special entry of unknown "
		    "type");
		return MG_OK;
	}
	if (archive_entry_is_encrypted(e)) {
		s->incomplete = 1;
		mg_artifact_addx(s->a, MG_R_ARC_ENCRYPTED, MG_FINDING_NO_OFFSET,
		    0, name, NULL, "member %.*s is encrypted: nothing in it was "
		    "checked", NAMEW(nlen), name);
		return MG_OK;
	}
	return member(s, e, name, nlen);
}

/* ---- the zip directory ------------------------------------------------ */

static uint16_t
le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int
cmp_zpos(const void *x, const void *y)
{
	const struct zent *a = x, *b = y;

	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static struct zent *
find_local(struct arc *s, uint64_t pos)
{
	size_t lo = 0, hi = s->nz;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->z[mid].pos == pos)
			return &s->z[mid];
		if (s->z[mid].pos < pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void
zipdir(struct arc *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
zipdir(struct arc *s, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mg_artifact_add(s->a, MG_R_ARC_ZIPDIR, MG_FINDING_NO_OFFSET, NULL,
	    "%s", msg);
}

/*
 * Check the central directory in the kept tail against the local headers
 * libarchive read, and the end of the archive against the end of the
 * stream.  t: the tail made contiguous, holding stream bytes
 * [len - tn, len).
 */
static void
check_zip(struct arc *s, const unsigned char *t, size_t tn, uint64_t len)
{
	uint64_t base = len - tn, eocd = 0, cd_off, cd_size, count, end;
	uint64_t prefix = 0, i, walked = 0, cd_at;
	size_t k, scan_from, p;
	int found = 0, zip64 = 0;

	if (tn < 22) {
		zipdir(s, "the archive is too short to hold a central directory");
		s->incomplete = 1;
		return;
	}
	/*
	 * The end record loaders take: the last signature with a record's
	 * worth of bytes after it, within a comment's reach of the end
	 * (Python's zipfile and miniz search backwards the same way).
	 */
	scan_from = tn - 22;
	for (k = 0; k <= scan_from && k <= 65535 + 22; k++) {
		p = scan_from - k;
		if (memcmp(t + p, "PK\5\6", 4) == 0) {
			eocd = base + p;
			found = 1;
			break;
		}
	}
	if (!found) {
		zipdir(s, "no end of central directory record in the last "
		    "64 KiB: the directory that loaders read was not found");
		s->incomplete = 1;
		return;
	}
	p = (size_t)(eocd - base);
	end = eocd + 22 + le16(t + p + 20);
	if (end > len) {
		zipdir(s, "the end of central directory record's comment runs "
		    "%llu bytes past the end of the file: a record planted in "
		    "a comment, or a damaged end", (unsigned long long)(end -
		    len));
		s->incomplete = 1;
	} else if (end < len) {
		mg_artifact_addx(s->a, MG_R_ARC_EXTRA, end, len - end, NULL, NULL,
		    "%llu bytes follow the end of the zip archive",
		    (unsigned long long)(len - end));
		s->incomplete = 1;
	}
	count = le16(t + p + 10);
	cd_size = le32(t + p + 12);
	cd_off = le32(t + p + 16);
	cd_at = eocd - (cd_size <= eocd ? cd_size : eocd);
	/*
	 * Zip64: a locator just before the end record points at the Zip64
	 * end record, which then holds the real values.  A writer may add
	 * them when nothing overflows (zip reading a pipe does).
	 */
	if (p >= 20 && memcmp(t + p - 20, "PK\6\7", 4) == 0) {
		uint64_t rec = le64(t + p - 20 + 8);

		if (rec < base || rec > eocd - 20 || eocd - 20 - rec < 56 ||
		    memcmp(t + (size_t)(rec - base), "PK\6\6", 4) != 0) {
			zipdir(s, "the Zip64 end record is not where its locator "
			    "says");
			s->incomplete = 1;
			return;
		}
		count = le64(t + (size_t)(rec - base) + 32);
		cd_size = le64(t + (size_t)(rec - base) + 40);
		cd_off = le64(t + (size_t)(rec - base) + 48);
		cd_at = rec - (cd_size <= rec ? cd_size : rec);
		zip64 = 1;
	} else if (count == 0xffff || cd_size == 0xffffffffu ||
	    cd_off == 0xffffffffu) {
		zipdir(s, "the end record asks for Zip64 but no Zip64 locator "
		    "precedes it");
		s->incomplete = 1;
		return;
	}
	if (cd_size > (zip64 ? eocd - 76 : eocd) || cd_at > eocd) {
		zipdir(s, "the central directory claims %llu bytes, more than "
		    "precede its end record", (unsigned long long)cd_size);
		s->incomplete = 1;
		return;
	}
	if (cd_at > cd_off) {
		prefix = cd_at - cd_off;
		mg_artifact_addx(s->a, MG_R_ARC_EXTRA, 0, prefix, NULL, NULL,
		    "%llu bytes precede the zip archive proper (a "
		    "self-extracting stub or a polyglot)",
		    (unsigned long long)prefix);
		s->incomplete = 1;
	} else if (cd_at < cd_off) {
		zipdir(s, "the central directory is said to start at %llu, "
		    "past where it ends", (unsigned long long)cd_off);
		s->incomplete = 1;
		return;
	}
	if (cd_at < base) {
		zipdir(s, "the central directory (%llu bytes) is larger than "
		    "the %u bytes kept to check it: not verified",
		    (unsigned long long)cd_size, MG_ARC_ZIP_TAIL);
		s->incomplete = 1;
		return;
	}
	/*
	 * Another end record between the directory and the one taken:
	 * readers that search differently (forwards, or for a comment that
	 * fits) read another directory.  One inside member data (a stored
	 * zip as the last member) is that member's business.
	 */
	for (k = cd_at >= base ? (size_t)(cd_at - base) : 0; k + 4 <= p; k++)
		if (memcmp(t + k, "PK\5\6", 4) == 0) {
			zipdir(s, "two end of central directory signatures, at "
			    "offsets %llu and %llu: readers may take either "
			    "directory", (unsigned long long)(base + k),
			    (unsigned long long)eocd);
			s->incomplete = 1;
			break;
		}
	if (count > s->lim.members) {
		stop_limit(s, "the central directory lists %llu members",
		    (unsigned long long)count);
		return;
	}
	if (s->nz > 1)
		qsort(s->z, s->nz, sizeof(*s->z), cmp_zpos);
	p = (size_t)(cd_at - base);
	for (i = 0; p + 46 <= (size_t)(cd_at - base + cd_size); i++) {
		const unsigned char *r = t + p;
		uint64_t usize, lpos;
		size_t nl, el, cl, x;
		struct zent *z;
		uint16_t flags, method;

		if (memcmp(r, "PK\1\2", 4) != 0) {
			zipdir(s, "central directory record %llu has no "
			    "signature", (unsigned long long)i);
			s->incomplete = 1;
			return;
		}
		flags = le16(r + 8);
		method = le16(r + 10);
		usize = le32(r + 24);
		nl = le16(r + 28);
		el = le16(r + 30);
		cl = le16(r + 32);
		lpos = le32(r + 42);
		if (p + 46 + nl + el + cl > (size_t)(cd_at - base + cd_size)) {
			zipdir(s, "central directory record %llu runs past the "
			    "directory", (unsigned long long)i);
			s->incomplete = 1;
			return;
		}
		/*
		 * Only the directory says what a member is (the local header
		 * has no mode): a Unix symlink or special file read as data
		 * by a streaming reader is one to an extracting tool.
		 */
		if ((le16(r + 4) >> 8) == 3) {
			uint32_t mode = le32(r + 38) >> 16;
			char nm[320];

			snprintf(nm, sizeof(nm), "%.*s", NAMEW(nl),
			    (const char *)r + 46);
			if ((mode & 0170000) == 0120000)
				mg_artifact_addx(s->a, MG_R_ARC_LINK,
				    MG_FINDING_NO_OFFSET, 0, nm, NULL, "member "
				    "%s is a symbolic link (its target is its "
				    "content)", nm);
			/*
			 * Info-ZIP stores a FIFO's mode for data read from a
			 * pipe ("zip x.zip -"): extractors write a file.
			 */
			else if ((mode & 0170000) != 0 &&
			    (mode & 0170000) != 0100000 &&
			    (mode & 0170000) != 0040000 &&
			    (mode & 0170000) != 0010000)
				mg_artifact_addx(s->a, MG_R_ARC_SPECIAL,
				    MG_FINDING_NO_OFFSET, 0, nm, NULL, "member "
				    "%s is a device, FIFO or socket (mode %06o)",
				    nm, (unsigned)mode);
		}
		/* Zip64 extra field: the fields that overflowed, in order. */
		for (x = 0; x + 4 <= el; ) {
			const unsigned char *xf = r + 46 + nl + x;
			size_t xl = le16(xf + 2), q = 4;

			if (x + 4 + xl > el)
				break;
			if (le16(xf) == 1) {
				if (le32(r + 24) == 0xffffffffu && q + 8 <= xl + 4) {
					usize = le64(xf + q);
					q += 8;
				}
				if (le32(r + 20) == 0xffffffffu && q + 8 <= xl + 4)
					q += 8;
				if (le32(r + 42) == 0xffffffffu && q + 8 <= xl + 4)
					lpos = le64(xf + q);
			}
			x += 4 + xl;
		}
		walked++;
		z = find_local(s, lpos + prefix);
		if (z == NULL)
			zipdir(s, "the central directory lists %.*s at offset "
			    "%llu, where no local header was read", NAMEW(nl),
			    (const char *)r + 46, (unsigned long long)lpos);
		else if (z->listed)
			zipdir(s, "two central directory entries share the local "
			    "header at offset %llu (%.*s)",
			    (unsigned long long)lpos, NAMEW(nl),
			    (const char *)r + 46);
		else {
			z->listed = 1;
			if (z->nlen != nl || memcmp(z->name, r + 46, nl) != 0)
				zipdir(s, "the central directory names %.*s "
				    "what the local header at offset %llu names "
				    "%.*s", NAMEW(nl), (const char *)r + 46,
				    (unsigned long long)lpos, NAMEW(z->nlen),
				    z->name);
			if (((flags & 1) != 0 || method == 99) != z->enc)
				zipdir(s, "member %.*s is encrypted in one "
				    "header and not in the other", NAMEW(nl),
				    (const char *)r + 46);
			if (z->read && z->size != usize)
				zipdir(s, "the central directory gives %.*s "
				    "%llu bytes; %llu were read",
				    NAMEW(nl), (const char *)r + 46,
				    (unsigned long long)usize,
				    (unsigned long long)z->size);
		}
		p += 46 + nl + el + cl;
	}
	if (walked != count)
		zipdir(s, "the end record counts %llu members, the central "
		    "directory holds %llu", (unsigned long long)count,
		    (unsigned long long)walked);
	for (k = 0; k < s->nz; k++)
		if (!s->z[k].listed)
			zipdir(s, "the local header at offset %llu (%.*s) is not "
			    "in the central directory: loaders that read the "
			    "directory never see it",
			    (unsigned long long)s->z[k].pos, NAMEW(s->z[k].nlen),
			    s->z[k].name);
}

/* ---- the archive ------------------------------------------------------ */

static int
is_compressed(const struct mg_format *f)
{
	return (f->flags & MG_FMT_STREAM) != 0;
}

/*
 * Register what a container of this format may hold.  A filter libarchive
 * would run as an external program (it was built without the library)
 * says so with ARCHIVE_WARN: refused.  A compressed stream is decompressed
 * by one reader (raw format) and, when it holds a tar, read by a second
 * that takes the expanded bytes (see scan_stream).
 */
static int
setup(struct archive *ar, const struct mg_format *fmt)
{
	int (*const filters[])(struct archive *) = {
		archive_read_support_filter_gzip,
		archive_read_support_filter_bzip2,
		archive_read_support_filter_xz,
		archive_read_support_filter_lzma,
		archive_read_support_filter_zstd,
		archive_read_support_filter_lz4,
	};
	size_t i;

	if (is_compressed(fmt)) {
		for (i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
			if (filters[i](ar) != ARCHIVE_OK)
				return -1;
		/* A stream of nothing is a valid stream: "empty" takes it. */
		return archive_read_support_format_raw(ar) == ARCHIVE_OK &&
		    archive_read_support_format_empty(ar) == ARCHIVE_OK ? 0 : -1;
	}
	if (fmt == &mg_fmt_tar)
		return archive_read_support_format_tar(ar) == ARCHIVE_OK ?
		    0 : -1;
	if (fmt == &mg_fmt_7z)
		return archive_read_support_format_7zip(ar) == ARCHIVE_OK ?
		    0 : -1;	/* see the random-access note in mg_archive_scan */
	/* Zip and the formats built on it (PyTorch, NumPy .npz, Keras). */
	if (archive_read_support_format_zip_streamable(ar) != ARCHIVE_OK)
		return -1;
	(void)archive_read_set_format_option(ar, "zip", "mac-ext", NULL);
	return 0;
}

/* The report's "archive" object: the filters now, the format once known. */
static void
describe(struct arc *s, struct archive *filtered)
{
	cJSON *o, *f;
	int i, n;

	if (s->a->metadata == NULL &&
	    (s->a->metadata = cJSON_CreateObject()) == NULL)
		return;
	if ((o = cJSON_CreateObject()) == NULL)
		return;
	n = archive_filter_count(filtered);
	if (n > 1 && (f = cJSON_AddArrayToObject(o, "filters")) != NULL)
		for (i = 0; i < n - 1; i++)
			cJSON_AddItemToArray(f, cJSON_CreateString(
			    archive_filter_name(filtered, i)));
	cJSON_AddItemToObject(s->a->metadata, "archive", o);
	s->desc = o;
}

static void
finish_describe(struct arc *s)
{
	cJSON *o = s->desc;

	if (o == NULL)
		return;
	cJSON_AddNumberToObject(o, "entries", (double)s->entries);
	cJSON_AddNumberToObject(o, "expanded_bytes", (double)s->expanded);
}

/*
 * Read the entries of s->ar to the end of the archive, a limit or an
 * error.  *tar: the archive turned out to be a tar.
 */
static int
read_entries(struct arc *s, int *tar)
{
	struct archive_entry *e;
	int r, first = 1, ret = MG_OK;

	for (;;) {
		if (s->stop)
			break;
		r = archive_read_next_header(s->ar, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			const char *why = archive_error_string(s->ar);

			if (s->in->err == MG_ERR_IO)
				return MG_ERR_IO;
			if (s->stop)
				break;	/* a limit stopped the input */
			s->incomplete = 1;
			if (archive_read_has_encrypted_entries(s->ar) > 0)
				mg_artifact_add(s->a, MG_R_ARC_ENCRYPTED,
				    MG_FINDING_NO_OFFSET, NULL, "the archive is "
				    "encrypted (%s): nothing in it was checked",
				    why != NULL ? why : "no detail");
			else if (!s->data_err)
				mg_artifact_add(s->a, MG_R_ARC_CORRUPT,
				    MG_FINDING_NO_OFFSET, NULL, "%s after %llu "
				    "entries: %s", first && s->entries == 0 ?
				    "unreadable" : "reading stopped",
				    (unsigned long long)s->entries,
				    why != NULL ? why : "unknown error");
			break;
		}
		if (first) {
			*tar = (archive_format(s->ar) & ARCHIVE_FORMAT_BASE_MASK)
			    == ARCHIVE_FORMAT_TAR;
			if (s->desc != NULL && archive_format_name(s->ar) != NULL)
				cJSON_AddStringToObject(s->desc, "format",
				    archive_format_name(s->ar));
			first = 0;
		}
		if (r == ARCHIVE_WARN) {
			const char *why = archive_error_string(s->ar);

			mg_artifact_add(s->a, MG_R_ARC_CORRUPT,
			    MG_FINDING_NO_OFFSET, NULL, "entry %llu: %s",
			    (unsigned long long)s->entries,
			    why != NULL ? why : "a warning without detail");
		}
		s->entries++;
		if (++s->c->arc_members > s->lim.members) {
			stop_limit(s, "more than %llu entries",
			    (unsigned long long)s->lim.members);
			break;
		}
		if ((ret = entry(s, e, 0)) != MG_OK)
			break;
	}
	return ret;
}

/*
 * A tar's first header block is also read by pickle.load and joblib.load
 * (a .tar.gz is a compressed file to joblib): its name field has room for
 * a whole pickle after a NUL, one that tar tools never show.  A header
 * that is a pickle importing anything is a polyglot.
 */
static void
tar_pickle(struct arc *s, const unsigned char *h, size_t n)
{
	struct mg_artifact t;
	struct mg_memsrc m;
	struct mg_src src;
	struct mg_rd rd;

	if (n < 2 || mg_rd_init(&rd, 4096) != MG_OK)
		return;
	mg_artifact_init(&t);
	mg_src_mem(&src, &m, h, n);
	mg_rd_reset(&rd, &src, NULL);
	(void)mg_pickle_scan(&rd, &t, MG_PK_RAW);
	if (t.nimports > 0)
		mg_artifact_addx(s->a, MG_R_FMT_POLYGLOT, 0, n, NULL,
		    t.imports[0].module, "the tar's first header block is also "
		    "a pickle that imports %.100s.%.100s: joblib.load and "
		    "pickle.load of the file run it", t.imports[0].module,
		    t.imports[0].name);
	mg_artifact_free(&t);
	mg_rd_free(&rd);
}

/*
 * The tar reader stops at the end-of-archive blocks and leaves the rest of
 * the input it was handed unread: zeros (padding) or data no member holds.
 * Returns 1 when data was found (ARC-EXTRA added).
 */
static int
tar_leftover(struct arc *s, const char *where)
{
	uint64_t used = (uint64_t)archive_filter_bytes(s->ar, -1), left;
	size_t i;

	if (used > s->delivered)
		return 0;
	left = s->delivered - used;
	if (left > s->lastn) {
		mg_artifact_add(s->a, MG_R_ARC_EXTRA, MG_FINDING_NO_OFFSET, NULL,
		    "%llu bytes after the end of the tar archive%s were not "
		    "read as members", (unsigned long long)left, where);
		s->incomplete = 1;
		return 1;
	}
	for (i = s->lastn - (size_t)left; i < s->lastn; i++)
		if (s->lastp[i] != 0) {
			mg_artifact_add(s->a, MG_R_ARC_EXTRA,
			    MG_FINDING_NO_OFFSET, NULL, "data follows the end "
			    "of the tar archive at offset %llu%s: readers that "
			    "go on past it (tar -i) see what this scan did not "
			    "check as members", (unsigned long long)(used +
			    (i - (s->lastn - (size_t)left))), where);
			s->incomplete = 1;
			return 1;
		}
	return 0;
}

/*
 * What follows a tar's end inside a compressed stream: zeros pad it;
 * anything else is data no member holds (ARC-EXTRA), every byte counted
 * against the limits.
 */
static void
stream_tail(struct arc *s)
{
	uint64_t at = s->expanded;
	la_ssize_t k;
	size_t i;
	int noted = 0;

	while (!s->stop) {
		if ((k = stream_data(s, s->sbuf, MG_RD_BUFSZ)) == 0)
			break;
		if (k < 0) {
			s->incomplete = 1;
			mg_artifact_add(s->a, MG_R_ARC_CORRUPT,
			    MG_FINDING_NO_OFFSET, NULL, "the compressed stream "
			    "is damaged after the tar archive: %s",
			    stream_why(s));
			return;
		}
		for (i = 0; !noted && i < (size_t)k && s->sbuf[i] == 0; i++)
			;
		if (!noted && i < (size_t)k) {
			mg_artifact_add(s->a, MG_R_ARC_EXTRA,
			    MG_FINDING_NO_OFFSET, NULL, "data follows the end of "
			    "the tar archive at offset %llu of the expanded "
			    "stream: readers that go on past it (tar -i) see "
			    "what this scan did not check as members",
			    (unsigned long long)(at + i));
			s->incomplete = 1;
			noted = 1;
		}
		at += (uint64_t)k;
		count(s, (size_t)k, 1);
	}
}

/*
 * A raw zlib stream (RFC 1950: CM 8, a window of at most 32 KiB, no
 * preset dictionary, a header check that divides by 31), joblib's default
 * compression, which libarchive does not read.
 */
static int
is_zlib(struct arc *s)
{
	const unsigned char *h;
	size_t n;

	if (mg_rd_peek(s->in, 2, &h, &n) != MG_OK || n < 2)
		return 0;
	return (h[0] & 0x0f) == 8 && (h[0] >> 4) <= 7 && (h[1] & 0x20) == 0 &&
	    ((unsigned)h[0] << 8 | h[1]) % 31 == 0;
}

/* Inflate a gzip (members one after another) or zlib stream with zlib. */
static int
inflater_open(struct arc *s, int zlib)
{
	const char *name = zlib ? "zlib" : "gzip";

	if ((s->gz = calloc(1, sizeof(*s->gz))) == NULL ||
	    (s->gz->out = malloc(MG_RD_BUFSZ)) == NULL)
		return MG_ERR_NOMEM;
	s->gz->name = name;
	s->gz->single = zlib;
	/* 16 + MAX_WBITS: gzip framing, checked CRC-32 and length. */
	if (inflateInit2(&s->gz->z, zlib ? MAX_WBITS : 16 + MAX_WBITS) != Z_OK)
		return MG_ERR_NOMEM;
	s->gz->live = 1;
	if (s->a->metadata == NULL &&
	    (s->a->metadata = cJSON_CreateObject()) == NULL)
		return MG_ERR_NOMEM;
	if ((s->desc = cJSON_CreateObject()) == NULL)
		return MG_ERR_NOMEM;
	cJSON_AddItemToObject(s->a->metadata, "archive", s->desc);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(s->desc, "filters"),
	    cJSON_CreateString(name));
	return MG_OK;
}

/*
 * A compressed stream.  It holds a tar when its expanded bytes start like
 * one and its name says so (bundle.tar.gz, .tgz): the tar's members are
 * then the stream's, written bundle.tar.gz!dir/model.gguf.  Otherwise the
 * stream is one member named after the file (model.gguf.zst!model.gguf),
 * which may be anything, an archive included.
 */
static int
scan_stream(struct arc *s, const struct mg_format *fmt, int *tar)
{
	struct archive_entry *e;
	char rname[MG_MAX_PATH_BYTES];
	const char *why;
	la_ssize_t k;
	size_t nl;
	int r, zlib;

	e = NULL;
	/* joblib's old zfile: its header, then zlib. */
	if (fmt == &mg_fmt_compressed) {
		const unsigned char *h;
		size_t hn;

		if (mg_rd_peek(s->in, MG_ZFILE_HEADER, &h, &hn) == MG_OK &&
		    mg_fmt_zfile_header(h, hn) > 0 &&
		    mg_rd_skip(s->in, MG_ZFILE_HEADER) != MG_OK)
			return MG_ERR_IO;
	}
	zlib = fmt != &mg_fmt_gzip && is_zlib(s);
	if (fmt == &mg_fmt_gzip || zlib) {
		if ((r = inflater_open(s, zlib)) != MG_OK)
			return r;
		goto peek;
	}
	if ((s->ao = archive_read_new()) == NULL)
		return MG_ERR_NOMEM;
	if (setup(s->ao, fmt) != 0) {
		mg_artifact_add(s->a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "%s: the archive library cannot read this format without "
		    "running an external program; it was not read", fmt->name);
		return MG_ERR_UNSUPPORTED;
	}
	r = archive_read_open(s->ao, s, NULL, in_read, NULL);
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(s->ao, &e);
	if (r == ARCHIVE_EOF && archive_filter_count(s->ao) >= 2) {
		describe(s, s->ao);	/* it expands to nothing: no member */
		return MG_OK;
	}
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
		if (s->in->err == MG_ERR_IO)
			return MG_ERR_IO;
		why = archive_error_string(s->ao);
		s->incomplete = 1;
		mg_artifact_add(s->a, MG_R_ARC_CORRUPT, 0, NULL, "not a "
		    "readable %s stream: %s", fmt->name, why != NULL ? why :
		    "unknown error");
		return MG_OK;
	}
	if (archive_filter_count(s->ao) < 2) {
		/* No filter took it: the stream is not what it looked. */
		s->incomplete = 1;
		mg_artifact_add(s->a, MG_R_ARC_CORRUPT, 0, NULL, "not a readable "
		    "%s stream: its header is incomplete or damaged", fmt->name);
		return MG_OK;
	}
	describe(s, s->ao);
peek:
	/* The first expanded bytes, to see what the stream holds. */
	while (s->npeek < sizeof(s->peek)) {
		const unsigned char *p;

		s->opeek = s->npeek;	/* nothing to hand out yet */
		k = stream_take(s, &p, sizeof(s->peek) - s->npeek);
		if (k < 0) {
			if (s->in->err == MG_ERR_IO)
				return MG_ERR_IO;
			s->incomplete = 1;
			mg_artifact_add(s->a, MG_R_ARC_CORRUPT, 0, NULL, "the %s "
			    "stream is damaged: %s", fmt->name, stream_why(s));
			return MG_OK;
		}
		if (k == 0)
			break;
		memmove(s->peek + s->npeek, p, (size_t)k);
		s->npeek += (size_t)k;
	}
	s->opeek = 0;
	raw_name(s->a, rname, sizeof(rname));
	nl = strlen(rname);
	if ((s->sbuf = malloc(MG_RD_BUFSZ)) == NULL)
		return MG_ERR_NOMEM;
	if (s->npeek == sizeof(s->peek) &&
	    mg_fmt_tar.probe(s->peek, s->npeek, MG_SIZE_UNKNOWN) > 0 &&
	    nl > 4 && strcasecmp(rname + nl - 4, ".tar") == 0) {
		*tar = 1;
		s->instream = 1;
		tar_pickle(s, s->peek, s->npeek);
		if ((s->ar = archive_read_new()) == NULL)
			return MG_ERR_NOMEM;
		if (archive_read_support_format_tar(s->ar) != ARCHIVE_OK ||
		    archive_read_open(s->ar, s, NULL, st_read, NULL) !=
		    ARCHIVE_OK) {
			why = archive_error_string(s->ar);
			s->incomplete = 1;
			mg_artifact_add(s->a, MG_R_ARC_CORRUPT, 0, NULL, "not a "
			    "readable tar: %s", why != NULL ? why :
			    "unknown error");
			return MG_OK;
		}
		if ((r = read_entries(s, tar)) != MG_OK)
			return r;
		if (!s->stop && !s->incomplete && !s->data_err &&
		    !tar_leftover(s, " in the expanded stream"))
			stream_tail(s);
		return MG_OK;
	}
	s->rawsrc = 1;
	s->entries = 1;
	if (++s->c->arc_members > s->lim.members) {
		stop_limit(s, "more than %llu entries",
		    (unsigned long long)s->lim.members);
		return MG_OK;
	}
	return member(s, e, rname, nl);
}

int
mg_archive_scan(struct mg_scan_ctx *c, const struct mg_scan_opts *o,
    struct mg_rd *rd, const struct mg_format *fmt, struct mg_artifact *a,
    unsigned depth)
{
	struct arc s;
	const unsigned char *p;
	uint64_t used = 0;
	size_t n, i;
	int r, ret = MG_OK, tar = 0, stream = is_compressed(fmt);

	memset(&s, 0, sizeof(s));
	s.c = c;
	s.o = o;
	s.lim = mg_arc_limits_eff(&o->arc);
	s.in = rd;
	s.a = a;
	s.fmt = fmt;
	s.depth = depth;
	if (depth == 0) {
		c->arc_members = 0;
		c->arc_expanded = 0;
		c->arc_read = 0;
		c->arc_top = rd;
	}
	if (depth >= s.lim.depth) {
		mg_artifact_add(a, MG_R_ARC_LIMIT, MG_FINDING_NO_OFFSET, NULL,
		    "an archive nested %u deep: the depth limit is %llu, so it "
		    "was not opened and nothing in it was checked", depth + 1,
		    (unsigned long long)s.lim.depth);
		return MG_ERR_LIMIT;
	}
	if (mg_arclib_load(s.why, sizeof(s.why)) != MG_OK) {
		mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "%s: %s; it was not read", fmt->name, s.why);
		return MG_ERR_UNSUPPORTED;
	}
	if ((s.lv = level(c, depth)) == NULL)
		return MG_ERR_NOMEM;
	s.zip = !stream && fmt != &mg_fmt_tar && fmt != &mg_fmt_7z;
	s.sevenz = fmt == &mg_fmt_7z;
	/* The ring holds the whole stream, or its last MG_ARC_ZIP_TAIL. */
	if (s.zip && tail_grow(&s, rd->open_ended ? MG_ARC_ZIP_TAIL :
	    rd->size) != MG_OK)
		return MG_ERR_NOMEM;
	/*
	 * A zip with bytes before its first header (a self-extracting stub):
	 * found within the first window, they are skipped and reported.
	 */
	if (s.zip) {
		const unsigned char *h;
		size_t hn, k;

		if (mg_rd_peek(rd, rd->cap, &h, &hn) != MG_OK)
			return MG_ERR_IO;
		if (hn >= 4 && memcmp(h, "PK\3\4", 4) != 0 &&
		    memcmp(h, "PK\5\6", 4) != 0)
			for (k = 1; k + 4 <= hn; k++)
				if (memcmp(h + k, "PK\3\4", 4) == 0) {
					s.prefix = s.skip = k;
					break;
				}
	}
	if (fmt == &mg_fmt_tar) {
		const unsigned char *h;
		size_t hn;

		if (mg_rd_peek(rd, 512, &h, &hn) != MG_OK)
			return MG_ERR_IO;
		tar_pickle(&s, h, hn);
	}
	if (stream) {
		ret = scan_stream(&s, fmt, &tar);
		/* Raw bytes the decompressor did not take follow the stream. */
		if (ret == MG_OK && !s.stop && !s.incomplete && !s.data_err)
			used = s.gz != NULL ? s.gz->used + s.prefix :
			    (uint64_t)archive_filter_bytes(s.ao, -1);
	} else if ((s.ar = archive_read_new()) == NULL)
		ret = MG_ERR_NOMEM;
	else if (setup(s.ar, fmt) != 0) {
		mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "%s: the archive library cannot read this format without "
		    "running an external program; it was not read", fmt->name);
		ret = MG_ERR_UNSUPPORTED;
	} else {
		/*
		 * A 7z needs random access, which only a file on disk gives;
		 * nested in another archive it is not read (fail closed).
		 */
		if (s.sevenz && depth == 0 && rd->src->pread != NULL &&
		    !rd->open_ended && rd->pulled <= rd->size) {
			if ((s.zbuf = malloc(rd->cap)) == NULL)
				ret = MG_ERR_NOMEM;
			s.hashed = rd->pulled;	/* digested with the window */
			(void)archive_read_set_seek_callback(s.ar, sz_seek);
			r = archive_read_open2(s.ar, &s, NULL, sz_read, sz_skip,
			    NULL);
			s.sevenz = 2;
		} else
			r = archive_read_open(s.ar, &s, NULL, in_read, NULL);
		if (ret != MG_OK)
			;
		else if (r != ARCHIVE_OK) {
			const char *why = archive_error_string(s.ar);

			if (rd->err == MG_ERR_IO)
				ret = MG_ERR_IO;
			else {
				s.incomplete = 1;
				mg_artifact_add(a, MG_R_ARC_CORRUPT, 0, NULL,
				    "not a readable %s: %s", fmt->name,
				    why != NULL ? why : "unknown error");
			}
		} else {
			describe(&s, s.ar);
			ret = read_entries(&s, &tar);
			if (fmt == &mg_fmt_tar)
				tar = 1;	/* also when it has no entry */
			if (ret == MG_OK && tar && !s.stop && !s.incomplete &&
			    !s.data_err && tar_leftover(&s, ""))
				tar = 0;	/* noted once */
		}
	}
	finish_describe(&s);
	/* A tar inside a filter is a tar with a filter. */
	if (tar && fmt != &mg_fmt_tar)
		a->format = &mg_fmt_tar;
	if (s.ar != NULL)
		archive_read_free(s.ar);
	if (s.ao != NULL)
		archive_read_free(s.ao);
	s.ar = s.ao = NULL;

	/* Read the container to its end: it is hashed, and a zip checked. */
	if (ret == MG_OK && s.sevenz == 2)
		ret = sz_finish(&s);
	while (ret == MG_OK && s.sevenz != 2) {
		if (mg_rd_chunk(rd, &p, &n) != MG_OK) {
			ret = MG_ERR_IO;
			break;
		}
		if (n == 0)
			break;
		if (tar && fmt == &mg_fmt_tar && !s.stop) {
			for (i = 0; i < n && p[i] == 0; i++)
				;
			if (i < n && !s.incomplete) {
				mg_artifact_addx(a, MG_R_ARC_EXTRA, s.seen + i,
				    0, NULL, NULL, "data follows the end of the "
				    "tar archive at offset %llu",
				    (unsigned long long)(s.seen + i));
				s.incomplete = 1;
				tar = 0;	/* once */
			}
		}
		tap(&s, p, n);
	}
	if (ret == MG_OK && used > 0 && s.seen > used) {
		mg_artifact_addx(a, MG_R_ARC_EXTRA, used, s.seen - used, NULL,
		    NULL, "%llu bytes follow the end of the %s stream (a "
		    "second stream or other data): they were not checked",
		    (unsigned long long)(s.seen - used), fmt->name);
		s.incomplete = 1;
	}
	if (ret == MG_OK && s.zip && !s.stop) {
		size_t tn = s.tail_n, w = s.tail_w;
		unsigned char *t = s.lv->tail;

		/* Make the ring contiguous: rotate it in place. */
		if (tn == s.lv->tail_cap && w != 0) {
			unsigned char *tmp = malloc(w);

			if (tmp == NULL)
				ret = MG_ERR_NOMEM;
			else {
				memcpy(tmp, t, w);
				memmove(t, t + w, tn - w);
				memcpy(t + tn - w, tmp, w);
				free(tmp);
			}
		}
		if (ret == MG_OK)
			check_zip(&s, t, tn, s.seen);
	}
	if (ret == MG_OK && s.nsides > 0)
		ret = apply_sides(&s);
	/* A model format on the container: judged once every member is in. */
	if (ret == MG_OK && !s.stop && fmt->check != NULL) {
		struct mg_members ms;

		ms.v = s.mem;
		ms.n = s.nmem;
		r = fmt->check(&ms, a);
		if (r == MG_ERR_NOMEM)
			ret = r;
		else if (r != MG_OK)
			s.incomplete = 1;
	}
	for (i = 0; i < s.nmem; i++) {
		free(s.mem[i].name);
		free(s.mem[i].kept);
	}
	free(s.mem);
	free(s.kbuf);
	for (i = 0; i < s.nsides; i++) {
		free(s.sides[i].dir);
		free(s.sides[i].buf);
	}
	free(s.sides);
	mg_strset_free(s.sidekeys[0]);
	mg_strset_free(s.sidekeys[1]);
	for (i = 0; i < s.nem; i++)
		free(s.em[i].dir);
	free(s.em);
	free(s.capbuf);
	free(s.zbuf);
	free(s.sbuf);
	if (s.gz != NULL) {
		if (s.gz->live)
			inflateEnd(&s.gz->z);
		free(s.gz->out);
		free(s.gz);
	}
	for (i = 0; i < s.nz; i++)
		free(s.z[i].name);
	free(s.z);
	mg_keyset_free(s.names);
	mg_keyset_free(s.folded);
	if (ret != MG_OK)
		return ret;
	if (s.stop)
		return MG_ERR_LIMIT;
	return s.incomplete ? MG_ERR_FORMAT : MG_OK;
}
