/*
 * walk.c - sorted, symlink-safe recursive walk.
 *
 * Each directory is read whole, its names sorted with strcmp, then visited;
 * subdirectories are opened with openat(O_NOFOLLOW) relative to their
 * parent's descriptor so a rename race cannot redirect the walk through a
 * symlink.  With follow_symlinks, a link is resolved with realpath and used
 * only when the target lies inside the root's real path; directories on the
 * current branch are remembered by (dev, inode) so loops end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confine.h"
#include "err.h"
#include "limits.h"
#include "walk.h"

struct ancestor {
	dev_t	dev;
	ino_t	ino;
};

struct walker {
	const struct mg_walk_opts *o;
	const struct mg_walk_ops *ops;
	char		*root_real;	/* with follow_symlinks */
	struct ancestor	 anc[MG_MAX_WALK_DEPTH + 1];
	unsigned	 depth;
	unsigned	 indexed;	/* directories above with a shard index */
};

/*
 * Names are kept with the type readdir gave them in the byte before the
 * name (name_type), so the sort and the lookups see plain strings.
 */
static unsigned char
name_type(const char *name)
{
	return (unsigned char)name[-1];
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "what: strerror(e)" to the error callback. */
static void
report(struct walker *w, const char *disp, const char *what, int e)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s: %s", what, strerror(e));
	w->ops->error(w->ops->arg, disp, msg, 0);
}

static int
join(char *out, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	int slash = la > 0 && a[la - 1] != '/';

	if (la + (size_t)slash + lb + 1 > MG_MAX_PATH_BYTES)
		return -1;
	memcpy(out, a, la);
	if (slash)
		out[la++] = '/';
	memcpy(out + la, b, lb + 1);
	return 0;
}

static int	walk_dir(struct walker *w, int dfd, const char *fs,
		    const char *disp);

int
mg_walk_inside(const char *root_real, const char *real)
{
	size_t n;

	if (root_real == NULL)
		return 0;
	if (strcmp(root_real, "/") == 0)
		return 1;
	n = strlen(root_real);
	return strncmp(real, root_real, n) == 0 &&
	    (real[n] == '\0' || real[n] == '/');
}

static int
on_branch(const struct walker *w, const struct stat *st)
{
	unsigned i;

	for (i = 0; i < w->depth; i++)
		if (w->anc[i].dev == st->st_dev && w->anc[i].ino == st->st_ino)
			return 1;
	return 0;
}

static int
enter(struct walker *w, int fd, const char *fs, const char *disp)
{
	struct stat st;
	int r;

	if (fstat(fd, &st) != 0) {
		report(w, disp, "cannot stat directory", errno);
		close(fd);
		return 0;
	}
	if (w->depth >= MG_MAX_WALK_DEPTH) {
		w->ops->error(w->ops->arg, disp,
		    "directory nesting exceeds the walk depth cap", 0);
		close(fd);
		return 0;
	}
	if (on_branch(w, &st)) {
		w->ops->error(w->ops->arg, disp,
		    "symlink loop: directory already on this branch", 0);
		close(fd);
		return 0;
	}
	w->anc[w->depth].dev = st.st_dev;
	w->anc[w->depth].ino = st.st_ino;
	w->depth++;
	r = walk_dir(w, fd, fs, disp);
	w->depth--;
	return r;
}

static int
visit_link(struct walker *w, const char *fs, const char *disp, int sidecars)
{
	char *real;
	struct stat st;
	int r = 0, fd;

	if (!w->o->follow_symlinks) {
		/*
		 * Skipping a link silently would let a linked model pass
		 * unchecked: say what was not scanned.  A link that leads
		 * nowhere yet (its target may appear by deploy time) or to a
		 * device is no more checked than one to a file.
		 */
		if (mg_confine_on())
			/* Served: say nothing of where it leads. */
			w->ops->error(w->ops->arg, disp, "symlink not followed",
			    0);
		else if (stat(fs, &st) != 0)
			report(w, disp, "symlink not followed, its target "
			    "cannot be reached", errno);
		else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
			w->ops->error(w->ops->arg, disp, "symlink not followed "
			    "(--follow-symlinks follows links inside the scan "
			    "root)", !S_ISDIR(st.st_mode));
		else
			w->ops->error(w->ops->arg, disp, "symlink to a pipe, "
			    "socket or device; not followed", 1);
		return 0;
	}
	if ((real = realpath(fs, NULL)) == NULL) {
		report(w, disp, "cannot resolve symlink", errno);
		return 0;
	}
	if (!mg_walk_inside(w->root_real, real)) {
		w->ops->error(w->ops->arg, disp,
		    "symlink target is outside the scan root; not followed",
		    stat(real, &st) == 0 && !S_ISDIR(st.st_mode));
		goto out;
	}
	if (stat(real, &st) != 0) {
		report(w, disp, "cannot stat symlink target", errno);
		goto out;
	}
	if (S_ISREG(st.st_mode))
		r = w->ops->file(w->ops->arg, real, disp, sidecars,
		    w->root_real, &st, -1);
	else if (S_ISDIR(st.st_mode)) {
		fd = mg_confine_open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd < 0)
			report(w, disp, "cannot open directory", errno);
		else
			r = enter(w, fd, real, disp);
	} else
		w->ops->error(w->ops->arg, disp, "symlink to a pipe, socket "
		    "or device; not followed", 1);
out:
	free(real);
	return r;
}


/*
 * What a directory's names tell, in one pass.  FACTS_SIDECAR: the scanner
 * should look for sidecars beside its files, a name being config.json or
 * tokenizer_config.json.  What the repository checks may read of its
 * files' tensor names: FACTS_INDEX when it holds a shard index (whose
 * shards may also lie in subdirectories), FACTS_HERE when it holds a
 * config.json (vocabulary and position rows).  Names are matched without
 * regard to ASCII case, as a case-insensitive file system would find them
 * (it opens "config.json" as "Config.json"); a name outside ASCII, whose
 * folding is not known here, counts as all three.  Where neither HERE nor
 * INDEX holds, here or in a directory above, the scanner may drop the
 * tensor names once a file is checked.
 */
#define FACTS_HERE	1
#define FACTS_INDEX	2
#define FACTS_SIDECAR	4
#define FACTS_ALL	(FACTS_HERE | FACTS_INDEX | FACTS_SIDECAR)

static int
name_facts(char **names, size_t n)
{
	static const char idx1[] = ".safetensors.index.json",
	    idx2[] = ".bin.index.json";
	size_t i, k;
	int f = 0;

	for (i = 0; i < n; i++) {
		const char *s = names[i];

		k = strlen(s);
		if (strcasecmp(s, "config.json") == 0)
			f |= FACTS_HERE | FACTS_SIDECAR;
		if (strcasecmp(s, "tokenizer_config.json") == 0)
			f |= FACTS_SIDECAR;
		if ((k >= sizeof(idx1) - 1 &&
		    strcasecmp(s + k - (sizeof(idx1) - 1), idx1) == 0) ||
		    (k >= sizeof(idx2) - 1 &&
		    strcasecmp(s + k - (sizeof(idx2) - 1), idx2) == 0))
			f |= FACTS_INDEX;
		for (; *s != '\0'; s++)
			if ((unsigned char)*s >= 0x80)
				return FACTS_ALL;
	}
	return f;
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i] - 1);
	free(names);
}

/*
 * The length of the directory part of disp joined with a name (see join):
 * disp itself, less one trailing slash.
 */
static size_t
dir_part(const char *disp)
{
	size_t n = strlen(disp);

	return n > 0 && disp[n - 1] == '/' ? n - 1 : n;
}

/*
 * Read d's names ("." and ".." left out), at most max of them, sorted,
 * into *names (*n of them; free_names).  1 when the listing was cut short
 * (no memory, over max, or a read error, reported as disp's unless disp
 * is NULL), else 0.
 */
static int
list_names(struct walker *w, DIR *d, const char *disp, size_t max,
    char ***names, size_t *n)
{
	struct dirent *de;
	size_t cap = 0;
	int partial = 0;

	*names = NULL;
	*n = 0;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (*n == max) {
			partial = 1;
			break;
		}
		if (*n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nn = realloc(*names, ncap * sizeof(*nn));

			if (nn == NULL) {
				partial = 1;
				break;
			}
			*names = nn;
			cap = ncap;
		}
		size_t len = strlen(de->d_name);
		char *p = malloc(len + 2);

		if (p == NULL) {
			partial = 1;
			break;
		}
		p[0] = (char)de->d_type;
		memcpy(p + 1, de->d_name, len + 1);
		(*names)[(*n)++] = p + 1;
		errno = 0;
	}
	if (errno != 0) {
		if (disp != NULL)
			report(w, disp, "error while reading directory", errno);
		partial = 1;
	}
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return partial;
}

/* Takes ownership of dfd. */
static int
walk_dir(struct walker *w, int dfd, const char *fs, const char *disp)
{
	char **names, fs2[MG_MAX_PATH_BYTES], disp2[MG_MAX_PATH_BYTES];
	size_t n, i;
	DIR *d;
	int r = 0, sidecars, facts, partial, files = 0;

	if (w->ops->idle != NULL)
		w->ops->idle(w->ops->arg);
	if ((d = fdopendir(dfd)) == NULL) {
		report(w, disp, "cannot read directory", errno);
		close(dfd);
		return 0;
	}
	partial = list_names(w, d, disp, SIZE_MAX, &names, &n);
	/*
	 * Tell the scanner whether to look for sidecars (no probe per file)
	 * and whether to keep tensor names.  A listing cut short may have
	 * missed a sidecar or an index: assume both.
	 */
	facts = partial ? FACTS_ALL : name_facts(names, n);
	sidecars = facts & FACTS_SIDECAR ? MG_WALK_SIDECARS : 0;
	if ((facts & (FACTS_HERE | FACTS_INDEX)) != 0 || w->indexed > 0)
		sidecars |= MG_WALK_FACTS;
	if (facts & FACTS_INDEX)
		w->indexed++;

	for (i = 0; i < n && r == 0; i++) {
		struct stat st;
		int fd;

		/* Work held back for a batch goes out while a long listing runs. */
		if ((i & 63) == 63 && w->ops->idle != NULL)
			w->ops->idle(w->ops->arg);
		if (strcmp(names[i], ".git") == 0)
			continue;
		if (join(fs2, fs, names[i]) != 0 ||
		    join(disp2, disp, names[i]) != 0) {
			w->ops->error(w->ops->arg, disp,
			    "an entry's path exceeds the path length cap", 0);
			continue;
		}
		/*
		 * A file readdir calls regular is opened here, relative to
		 * the directory's descriptor and without following a link,
		 * and handed over open: one short lookup, and the scanner
		 * reads the very file the walk saw.  Whatever it turned out
		 * to be meanwhile takes the long way below.
		 */
		if (w->o->open_files && name_type(names[i]) == DT_REG) {
			fd = openat(dirfd(d), names[i], O_RDONLY | O_NOFOLLOW |
			    O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
			if (fd >= 0 && fstat(fd, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				files++;
				r = w->ops->file(w->ops->arg, fs2, disp2,
				    sidecars, w->root_real, &st, fd);
				continue;
			}
			if (fd >= 0)
				close(fd);
		}
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			report(w, disp2, "cannot stat", errno);
			continue;
		}
		if (S_ISLNK(st.st_mode))
			r = visit_link(w, fs2, disp2, sidecars);
		else if (S_ISDIR(st.st_mode)) {
			fd = openat(dirfd(d), names[i], O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				report(w, disp2, "cannot open directory",
				    errno);
			else
				r = enter(w, fd, fs2, disp2);
		} else if (S_ISREG(st.st_mode)) {
			files++;
			r = w->ops->file(w->ops->arg, fs2, disp2, sidecars,
			    w->root_real, &st, -1);
		} else
			w->ops->error(w->ops->arg, disp2, "not a regular file "
			    "(a pipe, socket or device); not scanned", 1);
	}
	if (facts & FACTS_INDEX)
		w->indexed--;
	if (r == 0 && !partial && files > 0 && w->ops->listing != NULL)
		w->ops->listing(w->ops->arg, disp, dir_part(disp), names, n);
	free_names(names, n);
	closedir(d);
	return r;
}

/*
 * A lone file root: its directory is listed here, once, for the scanner
 * (whether to look for sidecars) and for the repository checks (the
 * listing), instead of a probe per sidecar and a second listing.  Where
 * the directory cannot be listed whole, the file goes as any file root
 * does, with sidecars unknown.
 */
static int
file_root(struct walker *w, const char *root, const struct stat *st)
{
	const char *slash = strrchr(root, '/');
	char dir[MG_MAX_PATH_BYTES], **names = NULL;
	size_t n = 0;
	DIR *d = NULL;
	int r, sidecars = -1;

	dir[0] = '\0';
	/* Files right under "/" have no listing (see mg_walk_ops.listing). */
	if (w->o->list_parent && slash != root) {
		if (slash == NULL)
			memcpy(dir, ".", 2);
		else {
			memcpy(dir, root, (size_t)(slash - root));
			dir[slash - root] = '\0';
		}
		d = mg_confine_opendir(dir);
		/*
		 * Quietly: a listing that fails here is the repository
		 * checks' to read again and report.
		 */
		if (d != NULL && list_names(w, d, NULL, MG_MAX_REPO_ENTRIES,
		    &names, &n) == 0)
			sidecars = MG_WALK_FACTS |
			    (name_facts(names, n) & FACTS_SIDECAR ?
			    MG_WALK_SIDECARS : 0);
	}
	r = w->ops->file(w->ops->arg, root, root, sidecars, NULL, st, -1);
	if (r == 0 && sidecars >= 0 && w->ops->listing != NULL)
		w->ops->listing(w->ops->arg, dir, strlen(dir), names, n);
	free_names(names, n);
	if (d != NULL)
		closedir(d);
	return r;
}

int
mg_walk(const char *root, const struct mg_walk_opts *o,
    const struct mg_walk_ops *ops, int *kind)
{
	struct walker w;
	struct stat st, lst;
	int r = MG_ERR_IO, fd, dummy;

	memset(&w, 0, sizeof(w));
	w.o = o;
	w.ops = ops;
	if (kind == NULL)
		kind = &dummy;
	*kind = MG_WALK_ROOT_NONE;
	if (strlen(root) >= MG_MAX_PATH_BYTES) {
		ops->error(ops->arg, root, "path exceeds the path length cap", 0);
		return MG_ERR_IO;
	}
	/*
	 * A root named on the command line is followed, as find -H does.
	 * lstat first: only a link takes a second look.
	 */
	if (lstat(root, &lst) != 0 ||
	    (S_ISLNK(lst.st_mode) && stat(root, &st) != 0)) {
		report(&w, root, "cannot stat", errno);
		return MG_ERR_IO;
	}
	if (!S_ISLNK(lst.st_mode))
		st = lst;
	if (S_ISREG(st.st_mode)) {
		char *real;

		*kind = MG_WALK_ROOT_FILE;
		/* A file named on the command line is used through a link. */
		if (S_ISLNK(lst.st_mode)) {
			if ((real = realpath(root, NULL)) == NULL) {
				report(&w, root, "cannot resolve", errno);
				return MG_ERR_IO;
			}
			r = ops->file(ops->arg, real, root, -1, NULL, &st, -1);
			free(real);
			return r;
		}
		return file_root(&w, root, &st);
	}
	if (!S_ISDIR(st.st_mode)) {
		ops->error(ops->arg, root, "not a regular file or directory", 1);
		return MG_ERR_IO;
	}
	*kind = MG_WALK_ROOT_DIR;
	if (o->follow_symlinks) {
		if ((w.root_real = realpath(root, NULL)) == NULL) {
			report(&w, root, "cannot resolve", errno);
			return MG_ERR_IO;
		}
	}
	fd = mg_confine_open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		report(&w, root, "cannot open directory", errno);
		goto out;
	}
	r = enter(&w, fd, root, root);
out:
	free(w.root_real);
	return r;
}
