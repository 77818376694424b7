/*
 * confine.c - reads checked on the descriptor: see confine.h.
 *
 * The kernel names an open descriptor in /proc/self/fd: the path of the
 * object it refers to, symlinks resolved, as of now.  A descriptor whose
 * path is not below a root (or cannot be read) is refused.  The roots are
 * written once, before any worker starts, and only read afterwards.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine.h"
#include "walk.h"

/* The kernel names paths of up to PATH_MAX (4096) bytes. */
#define MG_PATH_BUF	8192

static char	**roots;
static size_t	  nroots;
static int	  active;
static _Thread_local int trusted;

int
mg_confine_on(void)
{
	return active;
}

void
mg_confine_trust(int on)
{
	trusted = on;
}

/* The kernel's path of fd into buf; 0, or -1. */
static int
fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n <= 0 || (size_t)n >= len - 1 || buf[0] != '/')
		return -1;
	buf[n] = '\0';
	return 0;
}

char *
mg_confine_realpath(const char *path)
{
	char buf[MG_PATH_BUF];
	size_t n;
	int fd, r;

	if ((fd = open(path, O_PATH | O_CLOEXEC)) >= 0) {
		r = fd_path(fd, buf, sizeof(buf));
		(void)close(fd);
		/* " (deleted)": gone meanwhile, or a name that ends so. */
		if (r == 0 && ((n = strlen(buf)) < 10 ||
		    strcmp(buf + n - 10, " (deleted)") != 0))
			return strdup(buf);
	}
	return realpath(path, NULL);
}

int
mg_confine_set(char *const *r, size_t n)
{
	char probe[MG_PATH_BUF];
	size_t i;
	int fd, ok;

	/* Refuse to run unchecked where the kernel cannot name a descriptor. */
	if ((fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	ok = fd_path(fd, probe, sizeof(probe)) == 0 &&
	    strcmp(probe, "/") == 0;
	close(fd);
	if (!ok) {
		errno = ENOSYS;
		return -1;
	}
	if (n == 0 || (roots = calloc(n, sizeof(*roots))) == NULL) {
		errno = n == 0 ? EINVAL : ENOMEM;
		return -1;
	}
	for (i = 0; i < n; i++)
		if ((roots[i] = strdup(r[i])) == NULL) {
			errno = ENOMEM;
			return -1;
		}
	nroots = n;
	active = 1;
	return 0;
}

int
mg_confine_fd(int fd)
{
	char path[MG_PATH_BUF];
	size_t i;

	if (!active || trusted)
		return 0;
	if (fd_path(fd, path, sizeof(path)) == 0)
		for (i = 0; i < nroots; i++)
			if (mg_walk_inside(roots[i], path))
				return 0;
	errno = EACCES;
	return -1;
}

int
mg_confine_lstat(const char *path, struct stat *st)
{
	const char *slash;
	char *dir;
	int pfd, r, e;

	if (!active || trusted)
		return lstat(path, st);
	slash = strrchr(path, '/');
	if (slash == NULL)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return -1;
	pfd = mg_confine_open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (pfd < 0) {
		errno = ENOENT;
		return -1;
	}
	r = fstatat(pfd, slash != NULL ? slash + 1 : path, st,
	    AT_SYMLINK_NOFOLLOW);
	e = errno;
	close(pfd);
	errno = e;
	return r;
}

DIR *
mg_confine_opendir(const char *path)
{
	DIR *d = opendir(path);
	int e;

	if (d != NULL && mg_confine_fd(dirfd(d)) != 0) {
		e = errno;
		closedir(d);
		errno = e;
		return NULL;
	}
	return d;
}

int
mg_confine_open(const char *path, int flags)
{
	int fd = open(path, flags), e;

	if (fd >= 0 && mg_confine_fd(fd) != 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}
