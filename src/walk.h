/*
 * walk.h - the directory walker.
 *
 * Walks each root recursively with openat/fstatat (never chdir), visits
 * entries in byte order, skips `.git`, does not follow symlinks unless
 * asked and then never outside the root's real path, and keeps going past
 * unreadable entries and odd names, reporting each through error().
 */
#ifndef MG_WALK_H
#define MG_WALK_H

#include <sys/stat.h>

#define MG_WALK_SIDECARS	1
#define MG_WALK_FACTS		2

struct mg_walk_ops {
	/*
	 * A regular file.  fspath opens it (a followed link's resolved
	 * target); display is the root as the user wrote it joined with the
	 * path below it, so its directory is where the file was found;
	 * sidecars is -1 when unknown (a file named on the command line whose
	 * directory was not listed: see list_parent),
	 * else MG_WALK_SIDECARS set when that directory holds config.json or
	 * tokenizer_config.json and MG_WALK_FACTS when the repository checks
	 * may read its files' tensor names (see walk.c); root_real is the scan root's real path
	 * with follow_symlinks (a directory root), else NULL, valid during
	 * the call only (see mg_walk_inside); st is what the walker saw (the
	 * scanner checks that the file it opens is the same one).  fd is the
	 * file opened read-only relative to its directory's descriptor, st
	 * its fstat, and the callee's to close; or -1, and the callee opens
	 * fspath.  Nonzero return stops.
	 */
	int	(*file)(void *arg, const char *fspath, const char *display,
		    int sidecars, const char *root_real, const struct stat *st,
		    int fd);
	/*
	 * A path the walk could not enter, follow or read; leaf is 1 when
	 * nothing can lie below it (a file, pipe, socket or device, or a
	 * link to one), 0 for a directory, a link to one or anything
	 * unknown (a link that leads nowhere yet).
	 */
	void	(*error)(void *arg, const char *display, const char *msg,
		    int leaf);
	/*
	 * Optional (NULL): the walk is about to list a directory, or has gone
	 * through another 64 entries of one, which may take a while; a
	 * consumer holding work back for a batch lets it go.
	 */
	void	(*idle)(void *arg);
	/*
	 * Optional (NULL): the whole listing of a directory, sorted with
	 * strcmp ("." and ".." left out), once its entries were visited and
	 * only when file() got at least one of its files; dir (dirlen bytes,
	 * not NUL-terminated) is the directory part of those files' display
	 * paths.  Valid during the call only.  Not called for a listing cut
	 * short.
	 */
	void	(*listing)(void *arg, const char *dir, size_t dirlen,
		    char *const *names, size_t n);
	void	*arg;
};

struct mg_walk_opts {
	int	follow_symlinks;
	int	open_files;	/* hand regular files over open (see file) */
	/*
	 * A root that is a regular file (not a link): list its directory
	 * for sidecars and listing(), as a directory's files have them.
	 */
	int	list_parent;
};

/* What a root turned out to be (links followed). */
#define MG_WALK_ROOT_NONE	0	/* missing, unusable, or neither */
#define MG_WALK_ROOT_FILE	1
#define MG_WALK_ROOT_DIR	2

/*
 * Walk one root (a file or a directory).  Returns MG_OK, MG_ERR_IO when
 * the root itself cannot be used (after calling error()), or the nonzero
 * value a file() callback returned.  *kind (when kind is not NULL) is set
 * to MG_WALK_ROOT_*.
 */
int	mg_walk(const char *root, const struct mg_walk_opts *o,
	    const struct mg_walk_ops *ops, int *kind);

/*
 * The rule for following a link: 1 when real (a path from realpath) is
 * root_real or lies below it, 0 otherwise or when root_real is NULL.
 */
int	mg_walk_inside(const char *root_real, const char *real);

#endif /* MG_WALK_H */
