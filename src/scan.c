/*
 * scan.c - one artifact, one pass: peek, detect, parse, drain, digest.
 *
 * The reader feeds the digest as it pulls bytes, so the parser's reads and
 * the hash share the same single read of the file; draining only pulls
 * what the parser did not need.  Fail closed: any read error, or a parser
 * stopping without saying why, leaves a finding and a->complete == 0 or a
 * high-severity finding, never a silent pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "artifact.h"
#include "confine.h"
#include "err.h"
#include "fmt.h"
#include "hash.h"
#include "hasher.h"
#include "limits.h"
#include "pickle.h"
#include "scan.h"
#include "sidecar.h"
#include "text.h"

int
mg_scan_ctx_init(struct mg_scan_ctx *c)
{
	int r;

	memset(c, 0, sizeof(*c));
	mg_sidecars_init(&c->side);
	if ((r = mg_rd_init(&c->rd, MG_RD_BUFSZ)) != MG_OK)
		return r;
	if ((c->hash = mg_hash_new()) == NULL) {
		mg_rd_free(&c->rd);
		return MG_ERR_NOMEM;
	}
	return MG_OK;
}

void
mg_scan_ctx_free(struct mg_scan_ctx *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nout; i++) {
		mg_artifact_free(c->out[i]);
		free(c->out[i]);
	}
	free(c->out);
	c->out = NULL;
	c->nout = c->outcap = 0;
	mg_archive_levels_free(c);
	mg_hasher_free(c->hasher);
	c->hasher = NULL;
	mg_rd_free(&c->rd);
	mg_hash_free(c->hash);
	c->hash = NULL;
	mg_sidecars_free(&c->side);
}

int
mg_scan_emit(struct mg_scan_ctx *c, struct mg_artifact *m)
{
	if (c->nout == c->outcap) {
		size_t ncap = c->outcap ? c->outcap * 2 : 16;
		struct mg_artifact **nv = realloc(c->out, ncap * sizeof(*nv));

		if (nv == NULL)
			return MG_ERR_NOMEM;
		c->out = nv;
		c->outcap = ncap;
	}
	c->out[c->nout++] = m;
	return MG_OK;
}

static void
read_failed(struct mg_artifact *a, const struct mg_rd *rd, const char *what)
{
	if (rd->sys_errno != 0 || rd->why[0] != '\0')
		mg_artifact_add(a, MG_R_IO_READ, mg_rd_tell(rd), NULL,
		    "%s: read failed at offset %llu: %s", what,
		    (unsigned long long)mg_rd_tell(rd), mg_rd_why(rd));
	else
		mg_artifact_add(a, MG_R_IO_READ, mg_rd_tell(rd), NULL,
		    "%s: the file is not %llu bytes long as it was when opened "
		    "(it changed while it was read)", what,
		    (unsigned long long)rd->size);
	a->complete = 0;
}

/* A loader of this format unpickles what it reads (torch.load, joblib). */
static int
unpickles(const struct mg_format *f)
{
	return f == &mg_fmt_pickle || f == &mg_fmt_pytorch ||
	    f == &mg_fmt_torch_legacy;
}

/*
 * Names pickles are saved under with pickle.dump, joblib.dump or
 * torch.save that say nothing else: none, .bin, and the extensions
 * tutorials and projects use (scikit-learn's .sav).
 */
static int
unpickled_name(const char *name)
{
	static const char *const exts[] = { "bin", "sav", "p", "pk", "pck",
	    "pcl", "dat", "data", "jbl", "mdl", "clf", "model", "weights",
	    "pth", "pt", "ckpt", NULL };
	const char *base = strrchr(name, '/'), *dot;
	size_t i;

	base = base != NULL ? base + 1 : name;
	if ((dot = strrchr(base, '.')) == NULL || dot == base)
		return 1;
	for (i = 0; exts[i] != NULL; i++)
		if (strcasecmp(dot + 1, exts[i]) == 0)
			return 1;
	return 0;
}

/* A tar named as a PyTorch checkpoint: x.pth.tar, x.pt.tar, x.ckpt.tar. */
static int
torch_tar_name(const char *name)
{
	static const char *const sfx[] = { ".pth.tar", ".pt.tar", ".ckpt.tar",
	    NULL };
	size_t i, n = strlen(name), k;

	for (i = 0; sfx[i] != NULL; i++)
		if (n > (k = strlen(sfx[i])) && strcasecmp(name + n - k,
		    sfx[i]) == 0)
			return 1;
	return 0;
}

/*
 * A pickle whose start hides its first import from the probe (a long
 * string, bytes or text line, or just many opcodes): the stream is
 * followed with pread, window by window and past such arguments, until
 * it ends a pickle (then so is the file), bytes that are no pickle show,
 * or the file ends (no import, nothing a loader would run).  Each step
 * moves forward, so the work is bounded by the file's size.  Without
 * random access (an archive member) it is followed as far as the
 * reader's window holds, and a start still valid there is taken for one,
 * unless it is text cut inside what would be a binary length.  A read
 * that fails takes it for one too: the pickle parser reads the file in
 * order and says what it finds, or that it could not.
 */
static int plain_text(const unsigned char *p, size_t n);

static int
hidden_pickle(struct mg_rd *rd, const struct mg_src *src,
    const unsigned char *head, size_t n)
{
	unsigned char win[4096];
	uint64_t size = src->size, at = 0, cont, from;
	const unsigned char *v = head, *nl, *big;
	size_t vn = n, bn;
	ssize_t got;
	int k, lines, continuing = 0;

	if (src->pread == NULL || size == MG_SIZE_UNKNOWN) {
		if (mg_rd_peek(rd, rd->cap, &big, &bn) != MG_OK)
			return 1;	/* the parser reports the read */
		k = mg_pickle_prefix(big, bn, rd->open_ended ? UINT64_MAX :
		    rd->size, 0, &cont, &lines);
		return k == MG_PK_PREFIX_PICKLE || (k != MG_PK_PREFIX_NO &&
		    !(k == MG_PK_PREFIX_SKIP && plain_text(big, bn)));
	}
	for (;;) {
		k = mg_pickle_prefix(v, vn, size - at, continuing, &cont,
		    &lines);
		if (k == MG_PK_PREFIX_PICKLE)
			return 1;
		if (k == MG_PK_PREFIX_NO || cont == 0)
			return 0;
		continuing = 1;
		at += cont;
		/* Past the rest of a text argument: its newline, or two. */
		for (from = at; k == MG_PK_PREFIX_LINE && lines > 0;
		    from += (uint64_t)got) {
			if (from >= size)
				return 0;	/* never ends: runs nothing */
			got = src->pread(src->ctx, win, sizeof(win), from);
			if (got <= 0)
				return 1;	/* the parser reads it and says */
			if ((nl = memchr(win, '\n', (size_t)got)) != NULL) {
				at = from + (uint64_t)(nl - win) + 1;
				got = (ssize_t)(nl - win) + 1;
				lines--;
			}
		}
		if (at >= size)
			return 0;
		got = src->pread(src->ctx, win, sizeof(win), at);
		if (got <= 0)
			return 1;
		v = win;
		vn = (size_t)got;
	}
}

/*
 * Whether the loader a name implies reads these bytes the way modelgate
 * checked them: the same format, or a pickle stream (checked opcode by
 * opcode) under a name whose loader unpickles.
 */
static int
same_reading(const struct mg_format *content, const struct mg_format *claim)
{
	if (mg_fmt_same_name(content, claim))
		return 1;
	return (content == &mg_fmt_pickle || content == &mg_fmt_torch_legacy) &&
	    unpickles(claim);
}

/*
 * Text: valid UTF-8 (a byte order mark included) without control bytes
 * other than line breaks and tabs; an empty file too.  The view may cut
 * a character short at its end.
 */
static int
plain_text(const unsigned char *p, size_t n)
{
	size_t i, m = n;

	for (i = 0; i < n; i++)
		if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\r' &&
		    p[i] != '\t') || p[i] == 0x7f)
			return 0;
	/* Drop a sequence the view cut short. */
	for (i = 0; i < 3 && m > 0 && (p[m - 1] & 0xc0) == 0x80; i++)
		m--;
	if (m > 0 && p[m - 1] >= 0xc0)
		m--;
	return mg_utf8_valid((const char *)p, m);
}

static int
has_ext(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL && dot != name && dot[1] != '\0';
}

/* A compressed stream that joblib.load decompresses and unpickles. */
static int
joblib_stream(const struct mg_format *fmt, const struct mg_format *claim)
{
	return (fmt->flags & MG_FMT_STREAM) != 0 && claim != NULL &&
	    (unpickles(claim) || claim == &mg_fmt_compressed);
}

static void
scan_src(struct mg_scan_ctx *c, const struct mg_scan_opts *o,
    struct mg_rd *rd, struct mg_hash *hash, const struct mg_src *src,
    struct mg_artifact *a, unsigned depth)
{
	const struct mg_format *fmt, *byext, *claim;
	const unsigned char *head;
	size_t n;
	size_t before;
	int r, hashing = o->hash, stopped = 0;

	a->complete = 0;
	a->sha256[0] = '\0';
	a->size = src->size != MG_SIZE_UNKNOWN ? src->size : 0;
	if (hashing && mg_hash_reset(hash) != MG_OK) {
		mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "sha256: digest initialisation failed");
		return;
	}
	mg_rd_reset(rd, src, hashing ? hash : NULL);
	/*
	 * A source of unknown size smaller than the window is known whole
	 * once the window is filled: its parser then sees its size.
	 */
	if (rd->open_ended) {
		if (mg_rd_peek(rd, rd->cap, &head, &n) != MG_OK) {
			read_failed(a, rd, "probe");
			return;
		}
		if (!rd->open_ended)
			a->size = rd->size;
	}
	if (mg_rd_peek(rd, MG_PROBE_BYTES, &head, &n) != MG_OK) {
		read_failed(a, rd, "probe");
		return;
	}
	fmt = mg_fmt_detect(head, n, src->size);
	byext = mg_fmt_by_ext(a->filename != NULL ? a->filename : "");
	claim = byext != NULL ? byext : mg_fmt_claim_by_name(a->filename !=
	    NULL ? a->filename : "", head, n);
	/* model.pth.tar: torch.load reads it (an old tar checkpoint, or any). */
	if (byext == &mg_fmt_tar && a->filename != NULL &&
	    torch_tar_name(a->filename))
		claim = &mg_fmt_pytorch;
	/*
	 * joblib.load decompresses a compressed pickle, whatever it is
	 * called: under a name whose loader unpickles, a compressed stream
	 * is that, not a broken pickle.
	 */
	if (fmt == NULL && claim != NULL && unpickles(claim) &&
	    mg_fmt_compressed_magic(head, n))
		claim = &mg_fmt_compressed;
	/* torch.load reads any zip as a checkpoint, .npz loaders any zip. */
	if (fmt == &mg_fmt_zip && claim != NULL &&
	    (claim->flags & (MG_FMT_CONTAINER | MG_FMT_ARCHIVE)) ==
	    MG_FMT_CONTAINER)
		fmt = claim;
	/*
	 * A pickle may open with a long string that hides its first import
	 * from the probe: under a name a loader unpickles, opcodes that are
	 * valid as far as they are seen make it one.
	 */
	if (fmt == NULL && a->filename != NULL && (claim == NULL ?
	    unpickled_name(a->filename) : unpickles(claim)) &&
	    hidden_pickle(rd, src, head, n))
		fmt = &mg_fmt_pickle;
	if (fmt == NULL && claim == NULL)
		return;		/* not a model file: a->format stays unknown */
	/*
	 * Only a name says it is a format modelgate cannot check, and the
	 * bytes are plain text (Python's site-packages .pth files): none of
	 * those formats is text (a text pickle is recognised by content).
	 */
	if (fmt == NULL && claim->parse == NULL && plain_text(head, n))
		return;
	/*
	 * Formats without extensions of their own (a Git LFS pointer) stand
	 * in for another file by design: their own finding says so.  A
	 * pickle under a name whose loader unpickles, or whose extension
	 * claims nothing (.bin), is where pickles live.
	 */
	if (fmt != NULL && fmt != byext && fmt->exts[0] != NULL &&
	    a->filename != NULL && has_ext(a->filename) &&
	    !(fmt->parse == NULL && byext != NULL && byext->parse == NULL) &&
	    !(claim != NULL && same_reading(fmt, claim)) &&
	    !joblib_stream(fmt, claim) &&
	    !(byext == NULL && (fmt == &mg_fmt_pickle ||
	    fmt == &mg_fmt_torch_legacy)))
		mg_artifact_add(a, MG_R_FMT_EXT, 0, NULL,
		    "content is %s but the extension says %s", fmt->name,
		    byext != NULL ? byext->name : "otherwise");
	if (fmt == NULL)
		fmt = claim;	/* let its parser say precisely what is wrong */
	a->format = fmt;
	/* Formats without extensions (a Git LFS pointer) stand in by design. */
	if (claim != NULL && fmt->exts[0] != NULL &&
	    !mg_fmt_same_name(claim, fmt))
		a->claimed_as = claim;

	before = a->nfindings;
	if (fmt->flags & MG_FMT_CONTAINER) {
		if (!(fmt->flags & MG_FMT_ARCHIVE) && fmt->check == NULL) {
			/* A model format on a zip: its members are checked. */
			a->unsupported = 1;
			a->unchecked_as = fmt;
			stopped = 1;
			mg_artifact_add(a, MG_R_FMT_UNSUPPORTED,
			    MG_FINDING_NO_OFFSET, NULL, "%s %s; modelgate checks "
			    "each of its members but not the format as a whole "
			    "yet", fmt->probe(head, n, src->size) > 0 ?
			    "the content is" : "the name says it is", fmt->name);
		} else if (claim != NULL && claim != fmt &&
		    claim->parse == NULL && !(claim->flags & MG_FMT_ARCHIVE) &&
		    !joblib_stream(fmt, claim)) {
			a->unsupported = 1;
			a->unchecked_as = claim;
			stopped = 1;
			mg_artifact_add(a, MG_R_FMT_UNSUPPORTED,
			    MG_FINDING_NO_OFFSET, NULL, "the content is %s, but "
			    "the name makes loaders read it as %s: its members "
			    "were checked, that reading of the file was not",
			    fmt->name, claim->name);
		} else if (claim != NULL && claim != fmt && unpickles(claim) &&
		    !joblib_stream(fmt, claim))
			/*
			 * pickle.load reads the bytes of a tar or a zip as
			 * opcodes (a tar's header has room for a whole
			 * pickle): a polyglot, whatever its members hold.
			 */
			mg_artifact_add(a, MG_R_FMT_POLYGLOT, 0, NULL, "the "
			    "content is %s, but the name makes loaders read it "
			    "as %s, which unpickles it", fmt->name, claim->name);
		/*
		 * The file's digest and its members' would take turns on one
		 * core: the file's runs on the worker's hasher (made once).
		 * A small archive is hashed here: handing it over would cost
		 * two thread wake-ups, more than its digest.  A 7z feeds its
		 * digest itself, out of the reader's sight.
		 */
		if (depth == 0 && hashing && fmt != &mg_fmt_7z &&
		    mg_rd_left(rd) >= MG_HASH_ASYNC_MIN) {
			if (c->hasher == NULL)
				c->hasher = mg_hasher_new();
			mg_rd_hash_async(rd, c->hasher);
		}
		r = mg_archive_scan(c, o, rd, fmt, a, depth);
	} else if (fmt->parse == NULL) {
		/*
		 * Recognised, not checkable yet: hashed below, reported, and
		 * never complete, so it cannot pass as checked.
		 */
		a->unsupported = 1;
		a->unchecked_as = fmt;
		stopped = 1;
		mg_artifact_add(a, MG_R_FMT_UNSUPPORTED, MG_FINDING_NO_OFFSET,
		    NULL, "%s %s; modelgate does not check this format yet, so "
		    "nothing in it was checked", fmt->probe(head, n, src->size) >
		    0 ? "the content is" : "the name says it is", fmt->name);
		r = MG_OK;
	} else if (claim != NULL && !same_reading(fmt, claim) &&
	    unpickles(claim) && fmt->exts[0] != NULL) {
		/*
		 * Checked as what it is, but its name makes a loader unpickle
		 * it: a polyglot is harmless to one reader and not the other.
		 * A violation, whatever the policy accepts unchecked.
		 */
		mg_artifact_add(a, MG_R_FMT_POLYGLOT, 0, NULL, "the content is "
		    "%s, but the name makes loaders read it as %s, which "
		    "unpickles it", fmt->name, claim->name);
		r = fmt->parse(rd, a);
	} else if (claim != NULL && !same_reading(fmt, claim) &&
	    claim->parse == NULL && fmt->exts[0] != NULL) {
		/*
		 * The content is a format modelgate checks, but the name makes
		 * loaders read it as another (torch.load on a .pt file falls
		 * back to unpickling it): a polyglot is safe for one reader
		 * and not the other.  That reading was not checked.
		 */
		a->unsupported = 1;
		a->unchecked_as = claim;
		stopped = 1;
		mg_artifact_add(a, MG_R_FMT_UNSUPPORTED, MG_FINDING_NO_OFFSET,
		    NULL, "the content is %s, but the name makes loaders read "
		    "it as %s: that reading of the file was not checked",
		    fmt->name, claim->name);
		r = fmt->parse(rd, a);
	} else
		r = fmt->parse(rd, a);
	switch (r) {
	case MG_OK:
		break;
	case MG_ERR_FORMAT:
	case MG_ERR_TRUNCATED:
	case MG_ERR_LIMIT:
	case MG_ERR_UNSUPPORTED:
		/*
		 * The parser stopped before the end of the structure: what
		 * follows was never checked.  That is a fact of the artifact
		 * (complete stays 0 below), whatever the severity of the
		 * finding that explains it and whatever a policy makes of it.
		 */
		stopped = 1;
		a->partial = 1;
		if (a->nfindings == before)
			mg_artifact_add(a, MG_R_FMT_UNKNOWN, mg_rd_tell(rd),
			    NULL, "%s: parsing stopped at offset %llu: %s",
			    fmt->name, (unsigned long long)mg_rd_tell(rd),
			    mg_strerror(r));
		break;
	case MG_ERR_IO:
		read_failed(a, rd, fmt->name);
		return;
	default:
		mg_artifact_add(a, MG_R_IO_READ, mg_rd_tell(rd), NULL,
		    "%s: could not be checked: %s", fmt->name, mg_strerror(r));
		return;
	}
	if (!hashing) {
		mg_artifact_add(a, MG_R_HASH_SKIPPED, MG_FINDING_NO_OFFSET, NULL,
		    "SHA256 computation skipped by request (--no-hash)");
		/* Never complete over a read error a parser did not pass on. */
		if (rd->err == MG_ERR_IO) {
			read_failed(a, rd, fmt->name);
			return;
		}
		a->complete = !stopped;
		return;
	}
	/* A parser that asked past the end consumed nothing: drain on. */
	if (rd->err == MG_ERR_TRUNCATED)
		rd->err = 0;
	if (mg_rd_drain(rd) != MG_OK) {
		read_failed(a, rd, "sha256");
		return;
	}
	a->size = rd->size;	/* known now, also for an open-ended source */
	if (rd->async != NULL) {
		struct mg_hasher *hs = rd->async;

		rd->async = NULL;
		if (mg_hasher_wait(hs) != MG_OK) {
			mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET,
			    NULL, "sha256: digest update failed");
			return;
		}
	}
	if (mg_hash_final_hex(hash, a->sha256) != MG_OK) {
		mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "sha256: digest finalisation failed");
		return;
	}
	a->complete = !stopped;
}

void
mg_scan_src(struct mg_scan_ctx *c, const struct mg_scan_opts *o,
    const struct mg_src *src, struct mg_artifact *a)
{
	scan_src(c, o, &c->rd, c->hash, src, a, 0);
	/* Every path out leaves the digest idle before it is reused. */
	if (c->rd.async != NULL) {
		(void)mg_hasher_wait(c->rd.async);
		c->rd.async = NULL;
	}
}

void
mg_scan_member(struct mg_scan_ctx *c, const struct mg_scan_opts *o,
    const struct mg_src *src, struct mg_artifact *a, unsigned depth)
{
	struct mg_arc_level *l = c->lv[depth];

	scan_src(c, o, &l->rd, l->hash, src, a, depth);
}

void
mg_scan_member_raw(struct mg_scan_ctx *c, const struct mg_scan_opts *o,
    const struct mg_src *src, struct mg_artifact *a, unsigned depth)
{
	struct mg_arc_level *l = c->lv[depth];

	a->complete = 0;
	a->sha256[0] = '\0';
	if (o->hash && mg_hash_reset(l->hash) != MG_OK)
		return;
	mg_rd_reset(&l->rd, src, o->hash ? l->hash : NULL);
	if (mg_rd_drain(&l->rd) != MG_OK)
		return;
	a->size = l->rd.size;
	if (o->hash && mg_hash_final_hex(l->hash, a->sha256) != MG_OK)
		a->sha256[0] = '\0';
}

/*
 * A regular file read through its descriptor.  Two system calls per file
 * are saved here, which on a tree of small files is a tenth of the work:
 * the last read asks for one byte more than the declared size, so a
 * short answer proves the end and the reader's end-of-file probe is
 * answered without another read (a longer one keeps the byte for that
 * probe, which then fails as it should); and every read is positioned
 * (pread), so a skip is only a new position: a header parser that skips
 * the tensor data to the end costs no lseek.  A file that refuses
 * positioned reads (a FUSE file opened as a stream) is read in order,
 * a skip then seeking as far as the next read.
 */
struct fd_ctx {
	int		fd;
	int		at_end;		/* the end was seen at size */
	int		has_extra;	/* the file had a byte past size */
	int		stream;		/* pread failed with ESPIPE */
	unsigned char	extra;
	uint64_t	size;		/* declared (fstat) size */
	uint64_t	pos;		/* offset of the next read */
	uint64_t	at;		/* the descriptor's offset, in stream */
};

/* n bytes at f->pos into iov (the extra byte's too when last), or -1. */
static ssize_t
fd_get(struct fd_ctx *f, struct iovec *iov, int cnt)
{
	ssize_t got;

	if (!f->stream) {
		if ((got = preadv(f->fd, iov, cnt, (off_t)f->pos)) >= 0 ||
		    errno != ESPIPE)
			return got;
		f->stream = 1;
	}
	if (f->at != f->pos) {
		if (lseek(f->fd, (off_t)(f->pos - f->at), SEEK_CUR) >= 0)
			f->at = f->pos;
		else if (errno != ESPIPE)
			return -1;
		/* A stream that cannot seek either: read past the skip. */
		while (f->at < f->pos) {
			unsigned char junk[16384];
			size_t want = f->pos - f->at < sizeof(junk) ?
			    (size_t)(f->pos - f->at) : sizeof(junk);

			if ((got = read(f->fd, junk, want)) < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			if (got == 0)
				return 0;	/* shorter than declared */
			f->at += (uint64_t)got;
		}
	}
	if ((got = readv(f->fd, iov, cnt)) > 0)
		f->at += (uint64_t)got;
	return got;
}

static ssize_t
fd_read(void *ctx, void *buf, size_t n)
{
	struct fd_ctx *f = ctx;
	struct iovec iov[2];
	ssize_t got;
	int cnt = 1;

	if (f->at_end) {
		if (!f->has_extra || n == 0)
			return 0;
		f->has_extra = 0;
		*(unsigned char *)buf = f->extra;
		return 1;
	}
	if (f->pos >= (uint64_t)INT64_MAX ||
	    n > (uint64_t)INT64_MAX - 1 - f->pos) {
		errno = EOVERFLOW;
		return -1;
	}
	iov[0].iov_base = buf;
	iov[0].iov_len = n;
	if (f->pos < f->size && n > 0 && n == f->size - f->pos) {
		iov[1].iov_base = &f->extra;
		iov[1].iov_len = 1;
		cnt = 2;
	}
	if ((got = fd_get(f, iov, cnt)) < 0)
		return -1;
	if (cnt == 2) {
		if ((size_t)got > n) {
			f->has_extra = 1;
			got = (ssize_t)n;
		}
		if ((size_t)got == n)
			f->at_end = 1;
	}
	f->pos += (uint64_t)got;
	return got;
}

static ssize_t
fd_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
	if (off > (uint64_t)INT64_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	return pread(((struct fd_ctx *)ctx)->fd, buf, n, (off_t)off);
}

static int
fd_skip(void *ctx, uint64_t n)
{
	struct fd_ctx *f = ctx;

	if (f->at_end || n > UINT64_MAX - f->pos) {
		errno = EOVERFLOW;
		return -1;
	}
	f->pos += n;
	return 0;
}

void
mg_scan_file(struct mg_scan_ctx *c, const struct mg_scan_opts *o,
    const char *fspath, int sidecars, const char *root_real, dev_t dev,
    ino_t ino, int fd, uint64_t size, struct mg_artifact *a)
{
	struct fd_ctx fc;
	struct mg_src src;
	struct stat st;
	int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

	memset(&fc, 0, sizeof(fc));
	if (fd >= 0) {
		/* The walker opened it and checked what it is. */
		fc.fd = fd;
		a->size = size;
		goto opened;
	}
	if (!o->follow_symlinks)
		flags |= O_NOFOLLOW;
	fc.fd = mg_confine_open(fspath, flags);
	if (fc.fd < 0) {
		mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "cannot open: %s", strerror(errno));
		a->format = mg_fmt_by_ext(a->filename) ?
		    mg_fmt_by_ext(a->filename) : &mg_fmt_unknown;
		return;
	}
	if (fstat(fc.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "not a regular file when opened");
		close(fc.fd);
		return;
	}
	if (st.st_dev != dev || st.st_ino != ino) {
		mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "the file was replaced between the walk and the scan");
		close(fc.fd);
		return;
	}
	a->size = (uint64_t)st.st_size;
opened:
	/* Regular files ignore O_NONBLOCK; it only guarded the open. */
	if (a->size > MG_RD_BUFSZ)
		(void)posix_fadvise(fc.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	src.read = fd_read;
	src.why = NULL;
	src.skip = fd_skip;
	src.pread = fd_pread;
	src.ctx = &fc;
	src.size = fc.size = a->size;
	mg_scan_src(c, o, &src, a);
	close(fc.fd);

	if (o->sidecars && sidecars != 0 && a->format != &mg_fmt_unknown) {
		/* Beside the path the walk found, not a link's target. */
		const char *where = a->path != NULL ? a->path : fspath;
		const char *slash = strrchr(where, '/');
		char dir[MG_MAX_PATH_BYTES];

		if (slash == NULL)
			strcpy(dir, ".");
		else if ((size_t)(slash - where) < sizeof(dir)) {
			memcpy(dir, where, (size_t)(slash - where));
			dir[slash - where] = '\0';
			if (dir[0] == '\0')
				strcpy(dir, "/");
		} else {
			mg_artifact_add(a, MG_R_SIDECAR_JSON,
			    MG_FINDING_NO_OFFSET, NULL, "sidecar: the directory "
			    "path is too long to look for sidecars");
			if (a->license == NULL)
				snprintf(a->lic_indeterminate,
				    sizeof(a->lic_indeterminate), "the sidecars "
				    "could not be looked for");
			return;
		}
		if (mg_sidecar_apply(&c->side, dir,
		    o->follow_symlinks ? root_real : NULL, a) != MG_OK) {
			mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET,
			    NULL, "sidecar: out of memory");
			if (a->license == NULL)
				snprintf(a->lic_indeterminate,
				    sizeof(a->lic_indeterminate), "the sidecars "
				    "could not be read (out of memory)");
		}
	}
}
