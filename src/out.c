/*
 * out.c - atomic report files.
 *
 * A reader of the destination sees either the previous file or the
 * complete new one, never a partial report.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "out.h"

int
mg_out_open(struct mg_out *o, const char *path)
{
	struct stat st;
	int fd;

	memset(o, 0, sizeof(*o));
	if (path == NULL || strcmp(path, "-") == 0) {
		o->f = stdout;
		return MG_OK;
	}
	/*
	 * A stream destination (a terminal, a pipe, /dev/stdout, /dev/fd/N,
	 * directly or through a symlink) is written in place: renaming over
	 * it would replace the node instead of writing to what it names.
	 * A symlink to a regular file, or to nothing, is replaced like a
	 * file, never written through: a report path in a repository may be
	 * a link planted to overwrite another file.  Anything else (a
	 * directory, a block device) is refused.
	 */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		struct stat so, sp;

		if (stat(path, &sp) != 0) {
			if (!S_ISLNK(st.st_mode))
				return MG_ERR_IO;
			/* A dangling link: replaced below. */
		} else if (fstat(STDOUT_FILENO, &so) == 0 &&
		    so.st_dev == sp.st_dev && so.st_ino == sp.st_ino) {
			/* Our own standard output by another name. */
			o->f = stdout;
			return MG_OK;
		} else if (S_ISCHR(sp.st_mode) || S_ISFIFO(sp.st_mode) ||
		    S_ISSOCK(sp.st_mode) || strncmp(path, "/dev/", 5) == 0 ||
		    strncmp(path, "/proc/", 6) == 0) {
			/* A stream, or a descriptor of ours (/dev/fd/N). */
			if (S_ISDIR(sp.st_mode) || S_ISBLK(sp.st_mode) ||
			    (o->f = fopen(path, "w")) == NULL)
				return MG_ERR_IO;
			o->direct = 1;
			return MG_OK;
		} else if (!S_ISREG(sp.st_mode) || !S_ISLNK(st.st_mode))
			return MG_ERR_IO;
	}
	o->path = strdup(path);
	o->tmp = malloc(strlen(path) + 16);
	if (o->path == NULL || o->tmp == NULL)
		goto fail;
	strcpy(o->tmp, path);
	strcat(o->tmp, ".tmp.XXXXXX");
	if ((fd = mkstemp(o->tmp)) < 0)
		goto fail;
	(void)fchmod(fd, 0644);
	if ((o->f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(o->tmp);
		goto fail;
	}
	return MG_OK;
fail:
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
	return MG_ERR_IO;
}

int
mg_out_commit(struct mg_out *o)
{
	int r = MG_OK;

	if (o->f == NULL)
		return MG_ERR_IO;
	if (o->path == NULL) {
		if (fflush(o->f) != 0 || ferror(o->f))
			r = MG_ERR_IO;
		if (o->direct && fclose(o->f) != 0)
			r = MG_ERR_IO;
		o->f = NULL;
		o->direct = 0;
		return r;
	}
	if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0)
		r = MG_ERR_IO;
	if (fclose(o->f) != 0)
		r = MG_ERR_IO;
	o->f = NULL;
	if (r == MG_OK && rename(o->tmp, o->path) != 0)
		r = MG_ERR_IO;
	if (r != MG_OK)
		unlink(o->tmp);
	free(o->path);
	free(o->tmp);
	o->path = o->tmp = NULL;
	return r;
}

void
mg_out_abort(struct mg_out *o)
{
	if (o->f != NULL && o->path != NULL) {
		fclose(o->f);
		unlink(o->tmp);
	} else if (o->f != NULL && o->direct)
		fclose(o->f);
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
}
