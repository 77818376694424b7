/*
 * confine.h - keep every read of a process inside a set of directories.
 *
 * `modelgate serve` answers requests that name paths, and a path checked
 * by name can be swapped for a symlink before it is opened.  Once roots
 * are set, each file or directory the library opens on a request's
 * behalf is checked after the open, on the descriptor itself (its path
 * as the kernel knows it): whatever a name resolved to at open time, a
 * descriptor outside the roots is closed unread.
 */
#ifndef MG_CONFINE_H
#define MG_CONFINE_H

#include <stddef.h>

/*
 * Confine this process to the given real paths (copied).  Call before
 * any thread reads; never undone.  0, or -1 with errno set (ENOSYS: the
 * kernel does not name descriptors, so nothing could be checked).
 */
int	mg_confine_set(char *const *roots, size_t n);

/* 1 once mg_confine_set() succeeded. */
int	mg_confine_on(void);

/*
 * 0 when fd may be read: no confinement, the calling thread is trusted,
 * or fd lies inside a root.  Otherwise -1 with errno EACCES (outside, or
 * its path cannot be told); the caller closes fd and reads nothing.
 */
int	mg_confine_fd(int fd);

/*
 * Open path like open(2) and check the descriptor: -1 with errno EACCES,
 * and nothing left open, when it lies outside the roots.
 */
int	mg_confine_open(const char *path, int flags);

/*
 * opendir(3), its descriptor checked as mg_confine_open() checks one:
 * NULL with errno EACCES, and nothing left open, outside the roots.
 */
#include <dirent.h>
DIR	*mg_confine_opendir(const char *path);

/*
 * lstat(2), but when confined the name is looked up through its
 * directory, opened and checked: a directory outside the roots gives
 * ENOENT, whether the name exists there or not.
 */
struct stat;
int	mg_confine_lstat(const char *path, struct stat *st);

/*
 * realpath(3) through the kernel: the path is opened (O_PATH) and named
 * by its descriptor, in three system calls whatever its depth.  Where
 * that fails, realpath(3) itself, which also sets errno for a path that
 * cannot be resolved.  A name, not a confinement check.
 */
char	*mg_confine_realpath(const char *path);

/*
 * Trust the calling thread's opens (1) or not (0): for files the server's
 * operator named (the policy and its lock, reloaded on SIGHUP), not a
 * request.
 */
void	mg_confine_trust(int on);

#endif /* MG_CONFINE_H */
