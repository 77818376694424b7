/*
 * out.h - report files written atomically: a temporary file in the same
 * directory, renamed over the destination only once it is complete.
 */
#ifndef MG_OUT_H
#define MG_OUT_H

#include <stdio.h>

struct mg_out {
	FILE	*f;
	char	*path;		/* destination; NULL for standard output */
	char	*tmp;		/* temporary file beside it */
	int	 direct;	/* 1: a device or pipe, written in place */
};

/*
 * Open path for writing, or standard output when path is NULL or "-".  A
 * stream (a pipe, a terminal, /dev/stdout, /dev/fd/N, directly or through
 * a symlink) is written in place, since renaming over it would replace
 * it.  A symlink to a regular file (or to nothing) is replaced like a
 * file, never written through; a directory or block device is refused.
 */
int	mg_out_open(struct mg_out *o, const char *path);
/* Flush, sync and rename into place.  Returns MG_OK or MG_ERR_IO. */
int	mg_out_commit(struct mg_out *o);
/* Discard the temporary file. */
void	mg_out_abort(struct mg_out *o);

#endif /* MG_OUT_H */
