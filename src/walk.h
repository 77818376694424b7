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

struct mg_walk_ops {
	/*
	 * A regular file.  fspath opens it; display is the root as the user
	 * wrote it joined with the path below it; sidecars is 1 when its
	 * directory holds config.json or tokenizer_config.json, 0 when it
	 * does not, -1 when unknown (a file named on the command line);
	 * st is what the walker saw (the scanner checks that the file it
	 * opens is the same one).  Nonzero return stops.
	 */
	int	(*file)(void *arg, const char *fspath, const char *display,
		    int sidecars, const struct stat *st);
	void	(*error)(void *arg, const char *display, const char *msg);
	void	*arg;
};

struct mg_walk_opts {
	int	follow_symlinks;
};

/*
 * Walk one root (a file or a directory).  Returns MG_OK, MG_ERR_IO when
 * the root itself cannot be used (after calling error()), or the nonzero
 * value a file() callback returned.
 */
int	mg_walk(const char *root, const struct mg_walk_opts *o,
	    const struct mg_walk_ops *ops);

#endif /* MG_WALK_H */
