/*
 * slurp.c - the one bounded whole-file reader.
 *
 * A regular file is read into a buffer of its size plus a probe byte and
 * the NUL, so the read that sees end of file needs no growth; a stream
 * (pipe, FIFO, terminal, standard input) starts at 64 KiB and doubles.
 * The cap is enforced on what is read, not on what fstat says, so a file
 * that grows while it is read is still bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine.h"
#include "err.h"
#include "slurp.h"

#define SLURP_FIRST	(64u * 1024)	/* first buffer for a stream */

static int
fail(struct mg_slurp *s, enum mg_slurp_why why, int errnum)
{
	s->why = why;
	s->errnum = errnum;
	free(s->buf);
	s->buf = NULL;
	switch (why) {
	case MG_SLURP_NOMEM:
		return MG_ERR_NOMEM;
	case MG_SLURP_SIZE:
	case MG_SLURP_LONG:
		return MG_ERR_LIMIT;
	default:
		return MG_ERR_IO;
	}
}

static int
read_fd(struct mg_slurp *s, int fd, size_t max, unsigned flags)
{
	struct stat st;
	size_t cap, lim;	/* buffer bytes; bytes worth reading */
	char *nb;
	ssize_t k;

	if (fstat(fd, &st) != 0)
		return fail(s, MG_SLURP_STAT, errno);
	if (S_ISDIR(st.st_mode))
		return fail(s, MG_SLURP_DIR, EISDIR);
	s->regular = S_ISREG(st.st_mode) != 0;
	if (!s->regular && (flags & MG_SLURP_REGULAR))
		return fail(s, MG_SLURP_NOTREG, 0);
	if (s->regular) {
		s->size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
		if (s->size > max)
			return fail(s, MG_SLURP_SIZE, 0);
	}
	/* max + 1 bytes tell "exactly max" from "more than max". */
	lim = max < SIZE_MAX - 2 ? max + 1 : SIZE_MAX - 2;
	cap = s->regular ? (size_t)s->size + 1 : SLURP_FIRST;
	if (cap > lim)
		cap = lim;
	if ((s->buf = malloc(cap + 1)) == NULL)
		return fail(s, MG_SLURP_NOMEM, 0);
	for (;;) {
		if (s->len == cap) {
			size_t ncap = cap > lim / 2 ? lim : cap * 2;

			if ((nb = realloc(s->buf, ncap + 1)) == NULL)
				return fail(s, MG_SLURP_NOMEM, 0);
			s->buf = nb;
			cap = ncap;
		}
		k = read(fd, s->buf + s->len, cap - s->len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return fail(s, MG_SLURP_READ, errno);
		if (k == 0)
			break;
		s->len += (size_t)k;
		if (s->len > max)
			return fail(s, MG_SLURP_LONG, 0);
	}
	s->buf[s->len] = '\0';
	return MG_OK;
}

int
mg_slurp(struct mg_slurp *s, const char *path, int fd, size_t max,
    unsigned flags)
{
	int own = 0, r;

	memset(s, 0, sizeof(*s));
	if (fd < 0 && (flags & MG_SLURP_STDIN) && strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	if (fd < 0) {
		if ((fd = mg_confine_open(path,
		    O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
			return fail(s, MG_SLURP_OPEN, errno);
		own = 1;
	}
	r = read_fd(s, fd, max, flags);
	if (own)
		close(fd);
	return r;
}

void
mg_slurp_msg(const struct mg_slurp *s, const char *name, size_t max,
    char *err, size_t errlen)
{
	if (errlen == 0)
		return;
	switch (s->why) {
	case MG_SLURP_OK:
		err[0] = '\0';
		break;
	case MG_SLURP_OPEN:
		snprintf(err, errlen, "%s: cannot open: %s", name,
		    strerror(s->errnum));
		break;
	case MG_SLURP_STAT:
		snprintf(err, errlen, "%s: %s", name, strerror(s->errnum));
		break;
	case MG_SLURP_DIR:
		snprintf(err, errlen, "%s: is a directory", name);
		break;
	case MG_SLURP_NOTREG:
		snprintf(err, errlen, "%s: not a regular file", name);
		break;
	case MG_SLURP_SIZE:
		snprintf(err, errlen, "%s: %llu bytes is over the limit of %zu",
		    name, (unsigned long long)s->size, max);
		break;
	case MG_SLURP_LONG:
		snprintf(err, errlen, "%s: more than %zu bytes", name, max);
		break;
	case MG_SLURP_READ:
		snprintf(err, errlen, "%s: read failed: %s", name,
		    strerror(s->errnum));
		break;
	case MG_SLURP_NOMEM:
		snprintf(err, errlen, "%s: out of memory", name);
		break;
	}
}
