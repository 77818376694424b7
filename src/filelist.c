/*
 * filelist.c - read a list of files, or ask git which files changed.
 *
 * git runs through fork/exec with a fixed argument vector (no shell), its
 * output is bounded by MG_FILELIST_MAX_BYTES, and a revision that looks
 * like an option is refused, so neither a crafted revision nor a crafted
 * file name can run anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "filelist.h"
#include "path.h"
#include "slurp.h"
#include "strset.h"

/*
 * The key of p with the symlinks of its directories resolved (the file
 * itself too when it is a directory), or NULL when nothing resolves or
 * there is no memory.  cwd is physical (getcwd).
 */
/* "dir/base", allocated. */
static char *
joined(const char *dir, const char *base)
{
	size_t n = strlen(dir) + strlen(base) + 2;
	char *s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%s/%s", dir, base);
	return s;
}

static char *
resolved_key(const char *cwd, const char *p)
{
	char *dir = NULL, *real = NULL, *full = NULL, *key = NULL;
	const char *slash = strrchr(p, '/');

	if (cwd == NULL)
		return NULL;
	if ((real = realpath(p, NULL)) != NULL) {
		key = mg_path_key(cwd, real);
		free(real);
		return key;
	}
	if (slash == NULL)
		return NULL;
	if ((dir = strndup(p, slash == p ? 1 : (size_t)(slash - p))) == NULL ||
	    (real = realpath(dir, NULL)) == NULL)
		goto out;
	if ((full = joined(real, slash + 1)) == NULL)
		goto out;
	key = mg_path_key(cwd, full);
out:
	free(dir);
	free(real);
	free(full);
	return key;
}

/*
 * The last directory resolved_key_fast() resolved: realpath() reads the
 * link of every component of its path, so a file at depth d costs O(d)
 * lookups of O(d) each; the files of one directory come together (a
 * walk, a sorted listing), and they share this one.  dev and ino are the
 * directory's as stat() sees it through dir: a directory replaced since
 * is resolved again.
 */
static struct {
	pthread_mutex_t	 lock;
	char		*cwd, *dir, *real;
	dev_t		 dev;
	ino_t		 ino;
} last_dir = { PTHREAD_MUTEX_INITIALIZER, NULL, NULL, NULL, 0, 0 };

/* realpath(dir), from last_dir when it still holds dir; NULL: not resolved. */
static char *
dir_real(const char *cwd, const char *dir)
{
	struct stat st;
	char *real = NULL;

	if (stat(dir, &st) != 0)
		return NULL;	/* realpath(dir) fails too: the slow path */
	pthread_mutex_lock(&last_dir.lock);
	if (last_dir.dir != NULL && strcmp(last_dir.cwd, cwd) == 0 &&
	    strcmp(last_dir.dir, dir) == 0 && last_dir.dev == st.st_dev &&
	    last_dir.ino == st.st_ino) {
		real = strdup(last_dir.real);
		pthread_mutex_unlock(&last_dir.lock);
		return real;
	}
	pthread_mutex_unlock(&last_dir.lock);
	if ((real = realpath(dir, NULL)) == NULL)
		return NULL;
	pthread_mutex_lock(&last_dir.lock);
	free(last_dir.cwd);
	free(last_dir.dir);
	free(last_dir.real);
	last_dir.cwd = strdup(cwd);
	last_dir.dir = strdup(dir);
	last_dir.real = strdup(real);
	if (last_dir.cwd == NULL || last_dir.dir == NULL ||
	    last_dir.real == NULL) {
		free(last_dir.cwd);
		free(last_dir.dir);
		free(last_dir.real);
		last_dir.cwd = last_dir.dir = last_dir.real = NULL;
	}
	last_dir.dev = st.st_dev;
	last_dir.ino = st.st_ino;
	pthread_mutex_unlock(&last_dir.lock);
	return real;
}

/*
 * resolved_key(), the same key, with the directory of p resolved once
 * for all its files.  realpath(p) is realpath(dir) then the last
 * component: that component appended when it is not a symlink (when it
 * does not exist or cannot be read, realpath(p) fails and resolved_key()
 * appends it to realpath(dir) all the same).  A last component that is a
 * symlink, ".", ".." or empty, no directory part, or a directory that
 * does not resolve: resolved_key() itself.
 */
static char *
resolved_key_fast(const char *cwd, const char *p)
{
	const char *slash = strrchr(p, '/'), *base;
	char *dir = NULL, *real = NULL, *full = NULL, *key = NULL;
	struct stat st;

	if (cwd == NULL)
		return NULL;
	if (slash == NULL)
		return resolved_key(cwd, p);
	base = slash + 1;
	if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return resolved_key(cwd, p);
	if ((dir = strndup(p, slash == p ? 1 : (size_t)(slash - p))) == NULL)
		return NULL;
	if ((real = dir_real(cwd, dir)) == NULL) {
		free(dir);
		return resolved_key(cwd, p);
	}
	if ((full = joined(real, base)) == NULL)
		goto out;
	/* As realpath() looks at it: the resolved directory, then the name. */
	if (lstat(full, &st) == 0 && S_ISLNK(st.st_mode))
		key = resolved_key(cwd, p);
	else
		key = mg_path_key(cwd, full);
out:
	free(dir);
	free(real);
	free(full);
	return key;
}

/* key, or a directory above it, is in set ("." selects everything). */
static int
has_or_above(const struct mg_strset *set, char *key)
{
	char *slash;

	for (;;) {
		if (mg_strset_has(set, key, strlen(key)))
			return 1;
		if ((slash = strrchr(key, '/')) == NULL)
			return strcmp(key, ".") != 0 &&
			    mg_strset_has(set, ".", 1);
		if (slash == key)
			return key[1] != '\0' && mg_strset_has(set, "/", 1);
		*slash = '\0';
	}
}

static int
add_key(struct mg_strset *set, const char *cwd, const char *prefix,
    const char *p, size_t n)
{
	char *rel = NULL, *key = NULL;
	size_t pl = prefix != NULL ? strlen(prefix) : 0;
	int r = MG_ERR_NOMEM;

	if (pl > 0) {
		if (n < pl || memcmp(p, prefix, pl) != 0)
			return MG_OK;	/* outside the working directory */
		p += pl;
		n -= pl;
	}
	if (n == 0)
		return MG_OK;
	if ((rel = strndup(p, n)) == NULL)
		goto out;
	if (strlen(rel) != n) {		/* a NUL inside a line */
		r = MG_OK;
		goto out;
	}
	if ((key = mg_path_key(cwd, rel)) == NULL)
		goto out;
	if (mg_strset_add(set, key, strlen(key)) < 0)
		goto out;
	free(key);
	/* The same file named through a symlinked directory. */
	if ((key = resolved_key(cwd, rel)) != NULL &&
	    mg_strset_add(set, key, strlen(key)) < 0)
		goto out;
	r = MG_OK;
out:
	free(rel);
	free(key);
	return r;
}

/*
 * A selection naming a .gitattributes file carries this key as well: the
 * attributes (eol, ident, filters, working-tree-encoding) change the bytes
 * git checks out, not the content git diff compares.  No path is empty.
 */
static const char ATTRS_KEY[] = "\0.gitattributes";

static int
attributes_file(const char *p, size_t n)
{
	static const char name[] = ".gitattributes";
	size_t k = sizeof(name) - 1;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '/'))
		n--;
	return n >= k && memcmp(p + n - k, name, k) == 0 &&
	    (n == k || p[n - k - 1] == '/');
}

int
mg_filelist_attributes(const struct mg_strset *set)
{
	return mg_strset_has(set, ATTRS_KEY, sizeof(ATTRS_KEY) - 1);
}

static int
split(struct mg_strset *set, const char *prefix, const char *buf, size_t len,
    int nul)
{
	char *cwd = getcwd(NULL, 0);
	size_t i = 0, j;
	int r = MG_OK;

	while (i < len && r == MG_OK) {
		for (j = i; j < len && buf[j] != (nul ? '\0' : '\n'); j++)
			;
		if (attributes_file(buf + i, j - i) && mg_strset_add(set,
		    ATTRS_KEY, sizeof(ATTRS_KEY) - 1) < 0) {
			r = MG_ERR_NOMEM;
			break;
		}
		if (!nul && j > i && buf[j - 1] == '\r')
			r = add_key(set, cwd, prefix, buf + i, j - 1 - i);
		else
			r = add_key(set, cwd, prefix, buf + i, j - i);
		i = j + 1;
	}
	free(cwd);
	return r;
}

/* Everything fd gives, at most MG_FILELIST_MAX_BYTES, NUL-terminated. */
static int
slurp_fd(int fd, char **out, size_t *len)
{
	struct mg_slurp s;
	int r;

	*out = NULL;
	if ((r = mg_slurp(&s, NULL, fd, MG_FILELIST_MAX_BYTES, 0)) != MG_OK)
		return r;
	*out = s.buf;	/* transferred */
	*len = s.len;
	return MG_OK;
}

int
mg_filelist_read(struct mg_strset *set, const char *file, int nul, char *err,
    size_t errlen)
{
	struct mg_slurp s;
	int r;

	r = mg_slurp(&s, file, -1, MG_FILELIST_MAX_BYTES, MG_SLURP_STDIN);
	if (r != MG_OK) {
		if (s.why == MG_SLURP_OPEN)
			snprintf(err, errlen, "%s: cannot open: %s", file,
			    strerror(s.errnum));
		else
			snprintf(err, errlen, "%s: %s", file,
			    r == MG_ERR_LIMIT ? "list too large" :
			    mg_strerror(r));
		return r == MG_ERR_NOMEM ? r : MG_ERR_USAGE;
	}
	r = split(set, NULL, s.buf, s.len, nul);
	free(s.buf);
	return r;
}

/*
 * Run git with argv; its standard output into *out, the start of its
 * standard error into gerr (for the caller to print escaped: it may
 * echo a revision or a file name).
 */
static int
run_git(char *const argv[], char **out, size_t *len, int *status,
    char *gerr, size_t gerrlen)
{
	FILE *ef = tmpfile();
	int p[2], r;
	pid_t pid;
	size_t k;

	gerr[0] = '\0';
	if (ef == NULL)
		return MG_ERR_IO;
	if (pipe(p) != 0) {
		fclose(ef);
		return MG_ERR_IO;
	}
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		fclose(ef);
		return MG_ERR_IO;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(p[1], STDOUT_FILENO);
		dup2(fileno(ef), STDERR_FILENO);
		close(p[0]);
		close(p[1]);
		execvp("git", argv);
		_exit(127);
	}
	close(p[1]);
	r = slurp_fd(p[0], out, len);
	close(p[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	rewind(ef);
	k = fread(gerr, 1, gerrlen - 1, ef);
	gerr[k] = '\0';
	while (k > 0 && (gerr[k - 1] == '\n' || gerr[k - 1] == '\r'))
		gerr[--k] = '\0';
	fclose(ef);
	return r;
}

int
mg_filelist_git_changed(struct mg_strset *set, const char *rev, char *err,
    size_t errlen)
{
	char *prefix_argv[] = { "git", "rev-parse", "--show-prefix", NULL };
	/*
	 * Submodules count whatever .gitmodules or the configuration says
	 * (ignore = all would hide a bump to a commit with a new model).
	 */
	char *diff_argv[] = { "git", "-c", "core.quotepath=off", "diff",
	    "--name-only", "-z", "--ignore-submodules=none", NULL, "--", NULL };
	char *others_argv[] = { "git", "-c", "core.quotepath=off", "ls-files",
	    "--others", "--exclude-standard", "--full-name", "-z", NULL };
	char *prefix = NULL, *buf = NULL, gerr[512];
	size_t len = 0, plen = 0;
	int status = 0, r;

	if (rev[0] == '-' || rev[0] == '\0') {
		snprintf(err, errlen, "--changed-since: '%s' is not a revision",
		    rev);
		return MG_ERR_USAGE;
	}
	r = run_git(prefix_argv, &prefix, &plen, &status, gerr, sizeof(gerr));
	if (r != MG_OK || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "--changed-since: not in a git work tree "
		    "(git rev-parse failed%s%s)", gerr[0] ? ": " : "", gerr);
		r = r == MG_ERR_NOMEM ? r : MG_ERR_USAGE;
		goto out;
	}
	while (plen > 0 && (prefix[plen - 1] == '\n' || prefix[plen - 1] ==
	    '\r'))
		prefix[--plen] = '\0';
	diff_argv[7] = (char *)(uintptr_t)rev;
	r = run_git(diff_argv, &buf, &len, &status, gerr, sizeof(gerr));
	if (r != MG_OK || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "--changed-since %s: git diff failed "
		    "(is the revision fetched? shallow clones need "
		    "fetch-depth: 0)%s%s", rev, gerr[0] ? ": " : "", gerr);
		r = r == MG_ERR_NOMEM ? r : MG_ERR_USAGE;
		goto out;
	}
	if ((r = split(set, prefix, buf, len, 1)) != MG_OK)
		goto out;
	free(buf);
	buf = NULL;
	/* Files git does not track yet (not the ignored ones) changed too. */
	r = run_git(others_argv, &buf, &len, &status, gerr, sizeof(gerr));
	if (r != MG_OK || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "--changed-since: git ls-files failed%s%s",
		    gerr[0] ? ": " : "", gerr);
		r = r == MG_ERR_NOMEM ? r : MG_ERR_USAGE;
		goto out;
	}
	r = split(set, prefix, buf, len, 1);
out:
	free(prefix);
	free(buf);
	return r;
}

int
mg_filelist_has(const struct mg_strset *set, const char *path)
{
	char *cwd = getcwd(NULL, 0), *key = mg_path_key(cwd, path), *rk;
	size_t len = key != NULL ? strlen(key) : 0, i;
	int r = key != NULL && has_or_above(set, key);

	/* A scan root given through a symlink: the path git knows. */
	if (!r && (rk = resolved_key_fast(cwd, path)) != NULL) {
		/* has_or_above() cut key at its slashes: put them back. */
		for (i = 0; i < len; i++)
			if (key[i] == '\0')
				key[i] = '/';
		/* No symlink on the way: the same key, the same answer. */
		if (key == NULL || strcmp(rk, key) != 0)
			r = has_or_above(set, rk);
		free(rk);
	}
	free(cwd);
	free(key);
	return r;
}
