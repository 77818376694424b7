/*
 * path.h - one spelling per path.
 *
 * A path reaches modelgate as a scan argument joined with names below it,
 * as a pin in a policy, a lock file or a manifest, or as a report entry.
 * Pins and artifacts are matched through one key, so that "models",
 * "./models", "models/../models" and the absolute path of the same
 * directory name the same files.
 */
#ifndef MG_PATH_H
#define MG_PATH_H

#include <stddef.h>

/*
 * The lexically absolute form of p against cwd: "." and ".." segments and
 * repeated slashes removed ("/" at least).  With cwd NULL or empty and p
 * relative, p is only cleaned.  Returns a new string or NULL (no memory).
 */
char	*mg_path_abs(const char *cwd, const char *p);

/*
 * The working directory, read (getcwd) the first time a relative path
 * needs it: a run of absolute paths, as a server's requests are, never
 * asks.  Zero it to start.
 */
struct mg_cwd {
	char	buf[4096];	/* MG_MAX_PATH_BYTES */
	int	state;		/* 0: not read yet, 1: read, -1: unreadable */
};

/*
 * mg_path_abs() against the working directory held in wd; a relative p
 * as it is (a copy) when the working directory cannot be read.
 */
char	*mg_path_abs_wd(struct mg_cwd *wd, const char *p);

/*
 * The matching key of p: its lexically absolute form, made relative to
 * cwd when it lies below cwd ("." for cwd itself).  Returns a new string
 * or NULL.
 */
char	*mg_path_key(const char *cwd, const char *p);

/* 1 when the key `path` is at or below the key `root`. */
int	mg_path_key_covers(const char *root, const char *path);

/*
 * p past every leading "./" and the slashes after each ("./a" and ".//a"
 * are "a", "./" is "").  Returns a pointer into p.
 */
const char *mg_path_skip_dot(const char *p);

/*
 * The display spelling of a path as typed and walked: leading "./"
 * removed (mg_path_skip_dot), repeated slashes and "/./" collapsed, so
 * "./models//a.gguf" is "models/a.gguf".  ".." is kept: nothing is
 * resolved.  Returns a pointer into p when only its "./" went, else buf,
 * holding at most len - 1 bytes of the result.
 */
const char *mg_path_display(const char *p, char *buf, size_t len);

/*
 * 1 when a path cleaned by mg_path_abs() without a cwd climbs above its
 * base: it is ".." or starts with "../".
 */
int	mg_path_climbs(const char *clean);

/*
 * The path as policy globs match it.  '!' separates an archive from its
 * members, but a file on disk may have one in its name: in the first
 * disk bytes (the part of the path on disk) each '!' becomes 0x7f, which
 * globs' '*' and '?' match like any name byte and which never separates,
 * so "models/vendor.zip!**" does not reach a file on disk called
 * "vendor.zip!evil.pkl".  Returns path itself when it has no '!' there,
 * else a copy the caller frees, or NULL when out of memory.
 */
char	*mg_path_glob_key(const char *path, size_t disk);

#endif /* MG_PATH_H */
