/*
 * filelist.h - the files a pull-request scan is limited to.
 *
 * Entries are held by their path key (path.h), and by the key of their
 * resolved path when a directory on the way is a symlink, so
 * "models/a.gguf", "./models/a.gguf", the absolute path and a path
 * through a symlinked directory select the same artifact whatever
 * spelling the scan roots use.
 */
#ifndef MG_FILELIST_H
#define MG_FILELIST_H

#include <stddef.h>

struct mg_strset;

#define MG_FILELIST_MAX_BYTES	(64u * 1024 * 1024)

/*
 * Add the paths of file ("-": standard input), one per line (CR LF
 * accepted, empty lines ignored) or NUL-separated (nul set), to set.
 * Paths are relative to the working directory.  MG_OK, MG_ERR_NOMEM, or
 * MG_ERR_USAGE with the reason in err.
 */
int	mg_filelist_read(struct mg_strset *set, const char *file, int nul,
	    char *err, size_t errlen);
/*
 * Add the files `git diff --name-only -z REV --` names and the untracked
 * files `git ls-files --others --exclude-standard` names (run with
 * fork/exec, no shell; REV may not start with '-'), mapped from the
 * repository root to the working directory.  Files outside the working
 * directory are skipped; ignored files are not named (a scan that must
 * see them scans everything).  MG_OK, MG_ERR_NOMEM or MG_ERR_USAGE with
 * the reason in err, git's own message included (unescaped).
 */
int	mg_filelist_git_changed(struct mg_strset *set, const char *rev,
	    char *err, size_t errlen);
/*
 * 1 when the display path of an artifact, or a directory above it, is in
 * set (a directory selects everything below it: a submodule git names as
 * one path), spelled as given or with the symlinks of its directories
 * resolved (a scan root given through a symlink).
 */
int	mg_filelist_has(const struct mg_strset *set, const char *path);

/*
 * 1 when the selection names a .gitattributes file: the bytes git checks
 * out may then differ from those of the last scan for files git diff does
 * not name (a new eol or filter attribute), so no selection holds.
 */
int	mg_filelist_attributes(const struct mg_strset *set);

#endif /* MG_FILELIST_H */
