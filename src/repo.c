/*
 * repo.c - checks across the files of a model repository (see repo.h).
 *
 * Directories are visited in sorted order and their entries read sorted,
 * so the artifacts and findings this pass adds are the same for any walk
 * order or --jobs.  Every file is read with mg_slurp (bounded) and JSON
 * with cJSON over the slurped bytes; nothing is ever imported, rendered or
 * executed.  A shard that exists on disk but is not in this run (another
 * CI shard scanned it) counts as present; the tensor-level checks need its
 * facts and are skipped for it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "confine.h"
#include "err.h"
#include "fmt.h"
#include "hash.h"
#include "jsonlex.h"
#include "limits.h"
#include "path.h"
#include "repo.h"
#include "slurp.h"
#include "sort.h"
#include "strset.h"
#include "template.h"
#include "walk.h"


struct rctx {
	struct mg_run	*run;
	char		**droots;	/* directory roots, display form */
	size_t		 ndroots;
	int		(*want)(void *, const char *);
	void		*want_arg;
	struct mg_cwd	 wd;
	struct mg_artifact **add;	/* new artifacts */
	size_t		 nadd, addcap;
	/*
	 * Repository files read for their checks but not this run's to
	 * report (beside a file root, or not wanted): never kept.
	 */
	struct mg_strset *hidden;
	int		 follow;	/* --follow-symlinks */
	char		**realroots;	/* real paths of the directory roots */
	size_t		 nrealroots;
	const struct mg_dirlists *lists;	/* the walk's, or NULL */
	int		 nomem;
};

/* A Python file an auto_map names, and its digest ("" when not read). */
struct pyref {
	char		*file;		/* relative to the directory */
	char		 hex[65];
};

/* One directory being checked. */
struct rdir {
	const char	*dir;		/* display directory, "" for none */
	struct mg_artifact **arts;	/* the run's artifacts in it */
	size_t		 narts;
	char		**names;	/* sorted entries (regular or not) */
	size_t		 nnames;
	int		 borrowed;	/* names are the walk's listing's */
	struct mg_strset *indexed;	/* shard paths an index names */
	int		 truncated;	/* more than MG_MAX_REPO_ENTRIES, or
					   read_err */
	int		 read_err;	/* errno of a listing that failed (to
					   open, when not listed) */
	int		 listed;	/* the directory could be read */
	int		 nonascii;	/* a name has a byte above 0x7f */
	cJSON		*cfg, *tok;	/* config.json, tokenizer_config.json */
	struct mg_artifact *cfg_a, *tok_a;
	struct pyref	*py;		/* .py files auto_map named, by file */
	size_t		 npy, pycap;
	/*
	 * Every file the checks looked for, kept as text and digested only
	 * when a finding is bound to it (bind_dir): most directories get
	 * none.  Past SEEN_MAX bytes the text goes into the digest as it
	 * comes, so a huge directory holds no more than that.
	 */
	unsigned char	*seenbuf;
	size_t		 seenlen, seencap;
	struct mg_hash	*seen;		/* created at the first flush */
	int		 seenbad;	/* memory or the digest failed */
	int		 unknown;	/* ... one of them without a digest */
};

static int
ends_with(const char *s, const char *sfx)
{
	size_t n = strlen(s), m = strlen(sfx);

	return n >= m && strcmp(s + n - m, sfx) == 0;
}

static char *
join(const char *dir, const char *name)
{
	size_t a = strlen(dir), b = strlen(name);
	char *p = malloc(a + b + 2);

	if (p == NULL)
		return NULL;
	if (a > 0) {
		memcpy(p, dir, a);
		p[a++] = '/';
	}
	memcpy(p + a, name, b + 1);
	return p;
}

#define CMP_NUM(x, y)	((x) < (y) ? -1 : (x) > (y))

static int
cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int
cmp_art_key(const void *key, const void *elem)
{
	const struct mg_artifact *a = *(struct mg_artifact *const *)elem;

	return strcmp(key, a->path);
}

/* The run's artifact at this display path (the file itself), or NULL. */
static struct mg_artifact *
find_art(struct rctx *c, const char *path)
{
	struct mg_artifact **p = bsearch(path, c->run->arts, c->run->n,
	    sizeof(*c->run->arts), cmp_art_key);

	return p != NULL && (*p)->disk_len == 0 ? *p : NULL;
}

/*
 * "name-00002-of-00005.ext": the prefix length, the number and the count
 * (each 1-6 digits; llama.cpp and transformers write five).  0 if not.
 */
static int
shard_name(const char *name, const char *ext, size_t *plen, unsigned *no,
    unsigned *count, int *canonical)
{
	size_t n = strlen(name), e = strlen(ext), i, j, k;

	if (n <= e || strcmp(name + n - e, ext) != 0)
		return 0;
	n -= e;
	/* ...-DDDDD-of-DDDDD */
	for (i = n; i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9'; i--)
		;
	if (i == n || n - i > 6 || i < 4 || memcmp(name + i - 4, "-of-", 4))
		return 0;
	k = i - 4;
	for (j = k; j > 0 && name[j - 1] >= '0' && name[j - 1] <= '9'; j--)
		;
	if (j == k || k - j > 6 || j < 2 || name[j - 1] != '-')
		return 0;
	*plen = j - 1;
	*no = (unsigned)strtoul(name + j, NULL, 10);
	*count = (unsigned)strtoul(name + i, NULL, 10);
	*canonical = k - j == 5 && n - i == 5;
	return 1;
}

static int
push_add(struct rctx *c, struct mg_artifact *a)
{
	if (c->nadd == c->addcap) {
		size_t ncap = c->addcap ? c->addcap * 2 : 16;
		struct mg_artifact **n = realloc(c->add, ncap * sizeof(*n));

		if (n == NULL)
			return MG_ERR_NOMEM;
		c->add = n;
		c->addcap = ncap;
	}
	c->add[c->nadd++] = a;
	a->repo_pass = 1;	/* until the checks end */
	return MG_OK;
}

/*
 * 1 when the walk offered this path: it lies below a directory root.  A
 * file named on the command line stands alone: the files beside it are
 * read for their checks, never reported as artifacts of their own.
 */
static int
walked(const struct rctx *c, const char *path)
{
	size_t i, n;

	for (i = 0; i < c->ndroots; i++) {
		n = strlen(c->droots[i]);
		if (n == 0 || strcmp(c->droots[i], ".") == 0)
			return path[0] != '/';
		if (strncmp(path, c->droots[i], n) == 0 && (path[n] == '/' ||
		    (n > 0 && c->droots[i][n - 1] == '/')))
			return 1;
	}
	return 0;
}

static void keep_or_drop(struct rctx *c, struct mg_artifact *a, int always);
static int read_names(struct rdir *d, int dots);

/*
 * Why a path that lstat saw cannot be read as a repository file, or NULL:
 * a symlink is followed only with --follow-symlinks and only to a regular
 * file inside a scan root's real path.
 */
static const char *
unusable(const struct rctx *c, const char *path, struct stat *st)
{
	char *real;
	size_t i, n;
	int inside = 0;

	if (S_ISLNK(st->st_mode)) {
		if (!c->follow)
			return "a symbolic link (not followed without "
			    "--follow-symlinks)";
		if ((real = realpath(path, NULL)) == NULL ||
		    stat(real, st) != 0) {
			free(real);
			return "a symbolic link that leads nowhere";
		}
		for (i = 0; i < c->nrealroots && !inside; i++) {
			n = strlen(c->realroots[i]);
			inside = strncmp(real, c->realroots[i], n) == 0 &&
			    (real[n] == '/' || (n > 0 &&
			    c->realroots[i][n - 1] == '/'));
		}
		free(real);
		if (!inside)
			return "a symbolic link that leaves the scan root";
	}
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	return NULL;
}

/*
 * A repository file as an artifact: read whole (regular files only, not
 * through a symlink), hashed.  *buf gets the bytes (NUL-terminated; the
 * caller frees).  Returns NULL when the file cannot be used (nothing
 * added) or when memory ran out (c->nomem).
 */
/*
 * What the checks found of a file of the directory: its digest, or why
 * there is none.  Fed in the order the checks look (the same for the
 * same directory), it becomes part of the directory's digest (bind_dir).
 */
/* Bytes for the directory's digest (bind_dir), in order. */
#define SEEN_MAX	((size_t)1 << 20)

/* Into the digest, made on first use. */
static void
seen_digest(struct rdir *d, const void *p, size_t n)
{
	if (d->seenbad || n == 0)
		return;
	if ((d->seen == NULL && ((d->seen = mg_hash_new()) == NULL ||
	    mg_hash_reset(d->seen) != MG_OK)) ||
	    mg_hash_update(d->seen, p, n) != MG_OK)
		d->seenbad = 1;
}

static void
seen_put(struct rdir *d, const void *p, size_t n)
{
	unsigned char *nb;
	size_t cap;

	if (d->seenbad)
		return;
	if (n <= d->seencap - d->seenlen)
		goto copy;
	if (d->seenlen + n > SEEN_MAX) {
		/* Past the cap: what is held goes to the digest first. */
		seen_digest(d, d->seenbuf, d->seenlen);
		d->seenlen = 0;
		if (n > SEEN_MAX) {
			seen_digest(d, p, n);
			return;
		}
		if (n <= d->seencap)
			goto copy;
	}
	for (cap = d->seencap ? d->seencap : 4096; cap - d->seenlen < n; )
		cap *= 2;
	if ((nb = realloc(d->seenbuf, cap)) == NULL) {
		d->seenbad = 1;
		return;
	}
	d->seenbuf = nb;
	d->seencap = cap;
copy:
	memcpy(d->seenbuf + d->seenlen, p, n);
	d->seenlen += n;
}

static void
saw(struct rdir *d, const char *name, const char *what)
{
	seen_put(d, name, strlen(name) + 1);
	seen_put(d, what, strlen(what) + 1);
}

/*
 * Whether the directory may hold name: no, when its whole listing was
 * read, is ASCII and has no entry spelt like name in any case; else (a
 * name in a subdirectory too) the file system has to be asked.  A case-insensitive file system opens
 * "Config.json" as "config.json", and one that folds other scripts may
 * map names this comparison cannot see.  Saves the probes for sidecars
 * that most model directories do not have.
 */
static int
may_hold(const struct rdir *d, const char *name)
{
	size_t i;

	int c0;

	if (!d->listed || d->truncated || d->nonascii ||
	    strchr(name, '/') != NULL)
		return 1;
	c0 = tolower((unsigned char)name[0]);
	for (i = 0; i < d->nnames; i++)
		if (tolower((unsigned char)d->names[i][0]) == c0 &&
		    strcasecmp(d->names[i], name) == 0)
			return 1;
	return 0;
}

static struct mg_artifact *
file_art(struct rctx *c, struct rdir *d, const char *name,
    const struct mg_format *f, char **buf, size_t *len)
{
	struct mg_artifact *a = NULL;
	struct mg_slurp s;
	struct stat st;
	const char *why;
	char *path, msg[256];
	int is_link;

	*buf = NULL;
	*len = 0;
	if ((path = join(d->dir, name)) == NULL)
		goto nomem;
	if ((!walked(c, path) ||
	    (c->want != NULL && !c->want(c->want_arg, path))) &&
	    mg_strset_add(c->hidden, path, strlen(path)) < 0) {
		free(path);
		goto nomem;
	}
	if (!may_hold(d, name) || mg_confine_lstat(path, &st) != 0) {
		free(path);
		saw(d, name, "absent");
		return NULL;	/* absent: nothing to check */
	}
	memset(&s, 0, sizeof(s));
	is_link = S_ISLNK(st.st_mode);
	if ((why = unusable(c, path, &st)) == NULL &&
	    mg_slurp(&s, path, -1, MG_MAX_SIDECAR_BYTES, MG_SLURP_REGULAR) !=
	    MG_OK) {
		if (s.why == MG_SLURP_NOMEM) {
			free(path);
			goto nomem;
		}
		mg_slurp_msg(&s, name, MG_MAX_SIDECAR_BYTES, msg, sizeof(msg));
		why = msg;
	}
	if (why != NULL && why != msg && is_link) {
		/* The walk reports a link it did not follow (IO-READ). */
		free(path);
		saw(d, name, "link");
		return NULL;
	}
	if ((a = malloc(sizeof(*a))) == NULL) {
		free(s.buf);
		free(path);
		goto nomem;
	}
	if (why != NULL) {
		/* There, not read: reported and never clean. */
		mg_artifact_init(a);
		a->path = path;		/* transferred */
		a->format = f;
		a->remote_code = f == &mg_fmt_python;
		if ((a->filename = strdup(name)) == NULL ||
		    (a->abspath = mg_path_abs_wd(&c->wd, path)) == NULL) {
			mg_artifact_free(a);
			free(a);
			goto nomem;
		}
		mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "%s is %s: the repository checks did not read it", name,
		    why);
		saw(d, name, "unread");
		keep_or_drop(c, a, 1);
		return NULL;
	}
	mg_artifact_init(a);
	a->path = path;		/* transferred */
	a->format = f;
	a->size = s.len;
	a->complete = 1;
	a->filename = strdup(name);
	a->abspath = mg_path_abs_wd(&c->wd, path);
	if (a->filename == NULL || a->abspath == NULL ||
	    mg_sha256_hex(s.buf, s.len, a->sha256) != MG_OK) {
		free(s.buf);
		mg_artifact_free(a);
		free(a);
		goto nomem;
	}
	*buf = s.buf;
	*len = s.len;
	saw(d, name, a->sha256);
	return a;
nomem:
	c->nomem = 1;
	return NULL;
}

/* Keep a repository artifact when it has something to say. */
static void
keep_or_drop(struct rctx *c, struct mg_artifact *a, int always)
{
	if (a == NULL)
		return;
	if (!mg_strset_has(c->hidden, a->path, strlen(a->path)) &&
	    (always || a->nfindings > 0 || a->ntemplates > 0 ||
	    a->remote_code || a->set != NULL)) {
		if (push_add(c, a) == MG_OK)
			return;
		c->nomem = 1;
	}
	mg_artifact_free(a);
	free(a);
}

/*
 * A JSON object, or NULL.  The values are counted first (as for sidecars):
 * cJSON allocates a node per value, so a 16 MiB "[0,0,..." is refused
 * before it costs gigabytes.
 */
static cJSON *
parse_json(const char *buf, size_t len, int *capped)
{
	struct mg_jsonlex lx;
	const char *end = NULL;
	cJSON *j;

	memset(&lx, 0, sizeof(lx));
	lx.flags = MG_JSONLEX_COLONS;
	lx.max_values = MG_MAX_SIDECAR_VALUES;
	if (capped != NULL)
		*capped = 0;
	if (mg_jsonlex(&lx, buf, len, 0) != MG_OK) {
		/*
		 * Over the value cap, the file may well be JSON a loader
		 * reads; a syntax error stops the loader as it stops us.
		 */
		if (capped != NULL)
			*capped = lx.values > lx.max_values;
		mg_jsonlex_free(&lx);
		return NULL;
	}
	mg_jsonlex_free(&lx);
	j = cJSON_ParseWithLengthOpts(buf, len, &end, 0);

	if (j != NULL && !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

/*
 * A repository file the checks need but could not parse: what loaders
 * read in it (a template, an auto_map) was not checked.
 */
static void
unparsed(struct mg_artifact *a, int capped)
{
	if (!capped)
		return;
	mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL, "%s "
	    "holds more than %u JSON values: the templates and code "
	    "references loaders find in it were not checked", a->filename,
	    MG_MAX_SIDECAR_VALUES);
	a->complete = 0;
}

/* ---- shard indexes ------------------------------------------------------ */

/* A weight_map target that stays inside the directory of the index. */
static const char *
target_bad(const char *t)
{
	const char *p = t;

	if (*t == '\0')
		return "is empty";
	if (*t == '/' || (t[0] != '\0' && t[1] == ':'))
		return "is an absolute path";
	if (strchr(t, '\\') != NULL)
		return "holds a backslash";
	for (;;) {
		size_t n = strcspn(p, "/");

		if (n == 0)
			return "has an empty component";
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "climbs out of the repository with '..'";
		if (n == 1 && p[0] == '.')
			return "has a '.' component";
		if (p[n] == '\0')
			return NULL;
		p += n + 1;
	}
}

struct tshard {
	const char	*target;	/* borrowed from the index JSON */
	char		*path;		/* display path */
	struct mg_artifact *a;		/* in the run, or NULL */
	struct mg_strset *names;	/* its tensors, when a has facts */
	int		 usable;	/* present and regular */
};

struct tent {
	const char	*name;
	size_t		 shard;		/* index into the shards */
};

static int
cmp_tent(const void *x, const void *y)
{
	return strcmp(((const struct tent *)x)->name,
	    ((const struct tent *)y)->name);
}

/* By name, then shard: the first of a name is its lowest shard. */
static int
cmp_tent_shard(const void *x, const void *y)
{
	const struct tent *p = x, *q = y;
	int r = strcmp(p->name, q->name);

	return r != 0 ? r : CMP_NUM(p->shard, q->shard);
}

/* The first of v[0..n), sorted by cmp_tent_shard, named name, or NULL. */
static const struct tent *
first_tent(const struct tent *v, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(v[lo].name, name) == 0 ? &v[lo] : NULL;
}

/* A weight_map entry that names a shard, and its place in the map. */
struct tref {
	const char	*target;
	size_t		 at;
};

/* By target, then place: the first of a target is where it is first named. */
static int
cmp_tref(const void *x, const void *y)
{
	const struct tref *p = x, *q = y;
	int r = strcmp(p->target, q->target);

	return r != 0 ? r : CMP_NUM(p->at, q->at);
}

static const struct tent *
find_tent(const struct tent *v, size_t n, const char *name)
{
	struct tent k = { name, 0 };

	return bsearch(&k, v, n, sizeof(*v), cmp_tent);
}

static int
has_facts(const struct mg_artifact *a)
{
	return a != NULL && a->format == &mg_fmt_safetensors &&
	    (a->have & MG_HAVE_TENSORS) && a->ntensors == a->tensor_count;
}

static void
check_index(struct rctx *c, struct rdir *d, const char *name)
{
	struct mg_artifact *a;
	struct tshard *sh = NULL;
	struct tent *te = NULL, *held = NULL;
	struct tref *tr = NULL;
	struct mg_strset *seen = NULL;
	cJSON *j = NULL, *wm, *e, *md, *ts;
	size_t len, nsh = 0, nte = 0, ntr = 0, nheld = 0, i, k, n, at;
	size_t *first = NULL, *shard_of = NULL;
	unsigned char *kind = NULL;
	int held_built = 0, r;
	uint64_t sum = 0, params = 0;
	int all_facts = 1, have_params = 1;
	char *buf;

	if ((a = file_art(c, d, name, &mg_fmt_weight_index, &buf, &len)) ==
	    NULL)
		return;
	if ((j = parse_json(buf, len, NULL)) == NULL) {
		mg_artifact_add(a, MG_R_REPO_INDEX, MG_FINDING_NO_OFFSET, NULL,
		    "%s is not a JSON object of at most %u values: no shard "
		    "can be matched to it", name, MG_MAX_SIDECAR_VALUES);
		goto out;
	}
	wm = cJSON_GetObjectItemCaseSensitive(j, "weight_map");
	{
		const cJSON *kv;
		int nwm = 0;

		cJSON_ArrayForEach(kv, j)
			nwm += kv->string != NULL &&
			    strcmp(kv->string, "weight_map") == 0;
		if (nwm > 1)
			/* cJSON reads the first, Python's json the last. */
			mg_artifact_add(a, MG_R_REPO_INDEX, MG_FINDING_NO_OFFSET,
			    "weight_map", "%s gives weight_map %d times: "
			    "loaders disagree on which one counts", name, nwm);
	}
	if (!cJSON_IsObject(wm)) {
		mg_artifact_add(a, MG_R_REPO_INDEX, MG_FINDING_NO_OFFSET,
		    "weight_map", "%s has no weight_map object", name);
		goto out;
	}
	n = (size_t)cJSON_GetArraySize(wm);
	if ((seen = mg_strset_new()) == NULL ||
	    (n > 0 && ((te = calloc(n, sizeof(*te))) == NULL ||
	    (sh = calloc(n, sizeof(*sh))) == NULL ||
	    (tr = calloc(n, sizeof(*tr))) == NULL ||
	    (first = calloc(n, sizeof(*first))) == NULL ||
	    (shard_of = calloc(n, sizeof(*shard_of))) == NULL ||
	    (kind = calloc(n, 1)) == NULL)))
		goto nomem;
	/*
	 * Which entries name a shard (a string, the tensor's first entry),
	 * and for each the entry that first names its shard: one sort, not
	 * a comparison with every shard seen so far.
	 */
	at = 0;
	cJSON_ArrayForEach(e, wm) {
		if (at == n)
			break;
		if (!cJSON_IsString(e) || e->valuestring == NULL)
			kind[at] = 0;		/* not a file name */
		else if ((r = mg_strset_add(seen, e->string,
		    strlen(e->string))) == 0)
			kind[at] = 1;		/* indexed twice */
		else if (r < 0)
			goto nomem;
		else {
			kind[at] = 2;
			tr[ntr].target = e->valuestring;
			tr[ntr++].at = at;
		}
		at++;
	}
	if (ntr > 1)
		qsort(tr, ntr, sizeof(*tr), cmp_tref);
	for (i = 0; i < ntr; i = k) {
		for (k = i; k < ntr && strcmp(tr[k].target, tr[i].target) == 0;
		    k++)
			first[tr[k].at] = tr[i].at;
	}
	at = 0;
	cJSON_ArrayForEach(e, wm) {
		const char *why;

		if (at == n)
			break;
		if (kind[at] == 0) {
			at++;
			mg_artifact_add(a, MG_R_REPO_INDEX, MG_FINDING_NO_OFFSET,
			    e->string, "weight_map entry '%.200s' is not a file "
			    "name", e->string);
			continue;
		}
		if (kind[at] == 1) {
			at++;
			mg_artifact_addx(a, MG_R_REPO_INDEX_TENSOR,
			    MG_FINDING_NO_OFFSET, 0, e->string, e->valuestring,
			    "tensor '%.200s' is indexed twice: JSON readers "
			    "disagree on which entry counts", e->string);
			continue;
		}
		if (first[at] != at) {
			k = shard_of[first[at]];
			at++;
		} else {
			struct stat st;

			k = nsh;
			shard_of[at++] = k;
			sh[k].target = e->valuestring;
			nsh++;
			if ((why = target_bad(e->valuestring)) != NULL) {
				mg_artifact_addx(a, MG_R_REPO_INDEX_PATH,
				    MG_FINDING_NO_OFFSET, 0, e->string,
				    e->valuestring, "weight_map names shard "
				    "'%.200s', which %s", e->valuestring, why);
				continue;
			}
			if ((sh[k].path = join(d->dir, e->valuestring)) == NULL)
				goto nomem;
			if (mg_strset_add(d->indexed, sh[k].path,
			    strlen(sh[k].path)) < 0)
				goto nomem;
			if (mg_confine_lstat(sh[k].path, &st) != 0) {
				saw(d, e->valuestring, "absent");
				mg_artifact_addx(a, MG_R_REPO_INDEX,
				    MG_FINDING_NO_OFFSET, 0, e->string,
				    e->valuestring, "weight_map names shard "
				    "'%.200s', which does not exist",
				    e->valuestring);
			} else if ((why = unusable(c, sh[k].path, &st)) !=
			    NULL) {
				saw(d, e->valuestring, why);
				mg_artifact_addx(a, MG_R_REPO_INDEX_PATH,
				    MG_FINDING_NO_OFFSET, 0, e->string,
				    e->valuestring, "weight_map names shard "
				    "'%.200s', which is %s", e->valuestring,
				    why);
			} else {
				sh[k].usable = 1;
				sh[k].a = find_art(c, sh[k].path);
				/* A shard in a subdirectory is judged here. */
				saw(d, e->valuestring, sh[k].a != NULL ?
				    sh[k].a->sha256 : "unread");
				if (sh[k].a != NULL &&
				    sh[k].a->sha256[0] == '\0')
					d->unknown = 1;
			}
		}
		te[nte].name = e->string;
		te[nte++].shard = k;
	}
	if (nte > 1)
		qsort(te, nte, sizeof(*te), cmp_tent);
	/* Each shard's tensors, when the run read them. */
	for (k = 0; k < nsh; k++) {
		if (!sh[k].usable || !has_facts(sh[k].a)) {
			all_facts = 0;
			continue;
		}
		if ((sh[k].names = mg_strset_new()) == NULL)
			goto nomem;
		for (i = 0; i < sh[k].a->ntensors; i++) {
			const struct mg_tfact *t = &sh[k].a->tensors[i];

			if (mg_strset_add(sh[k].names, t->name,
			    strlen(t->name)) < 0)
				goto nomem;
			sum += t->nbytes;
		}
		if (sh[k].a->have & MG_HAVE_PARAMS)
			params += sh[k].a->parameter_count;
		else
			have_params = 0;
	}
	/* Each indexed tensor is in the shard named for it. */
	for (i = 0; i < nte; i++) {
		const struct tshard *s = &sh[te[i].shard];
		const char *holder = NULL;

		if (s->names == NULL || mg_strset_has(s->names, te[i].name,
		    strlen(te[i].name)))
			continue;
		if (!held_built) {
			/* Every read shard's tensors, for the holder of any. */
			size_t cap = 0, h;

			held_built = 1;
			for (k = 0; k < nsh; k++)
				if (sh[k].names != NULL)
					cap += sh[k].a->ntensors;
			if (cap > 0 && (held = calloc(cap, sizeof(*held))) ==
			    NULL)
				goto nomem;
			for (k = 0; k < nsh; k++)
				for (h = 0; sh[k].names != NULL &&
				    h < sh[k].a->ntensors; h++) {
					held[nheld].name =
					    sh[k].a->tensors[h].name;
					held[nheld++].shard = k;
				}
			if (nheld > 1)
				qsort(held, nheld, sizeof(*held),
				    cmp_tent_shard);
		}
		{
			const struct tent *h = first_tent(held, nheld,
			    te[i].name);

			if (h != NULL)
				holder = sh[h->shard].target;
		}
		if (holder != NULL)
			mg_artifact_addx(a, MG_R_REPO_INDEX_TENSOR,
			    MG_FINDING_NO_OFFSET, 0, te[i].name, s->target,
			    "tensor '%.200s' is indexed in '%.200s' but stored "
			    "in '%.200s'", te[i].name, s->target, holder);
		else
			mg_artifact_addx(a, MG_R_REPO_INDEX_TENSOR,
			    MG_FINDING_NO_OFFSET, 0, te[i].name, s->target,
			    "tensor '%.200s' is indexed in '%.200s' but no "
			    "shard holds it", te[i].name, s->target);
	}
	/* Every tensor of every indexed shard is in the index. */
	for (k = 0; k < nsh; k++) {
		if (sh[k].names == NULL)
			continue;
		for (i = 0; i < sh[k].a->ntensors; i++) {
			const char *tn = sh[k].a->tensors[i].name;

			if (find_tent(te, nte, tn) == NULL)
				mg_artifact_addx(a, MG_R_REPO_INDEX_TENSOR,
				    MG_FINDING_NO_OFFSET, 0, tn, sh[k].target,
				    "tensor '%.200s' of shard '%.200s' is in no "
				    "index: loaders that follow the index never "
				    "load it", tn, sh[k].target);
		}
	}
	md = cJSON_GetObjectItemCaseSensitive(j, "metadata");
	ts = cJSON_IsObject(md) ? cJSON_GetObjectItemCaseSensitive(md,
	    "total_size") : NULL;
	if (ts != NULL && all_facts && nsh > 0) {
		if (!cJSON_IsNumber(ts) || ts->valuedouble < 0 ||
		    ts->valuedouble != (double)sum)
			mg_artifact_add(a, MG_R_REPO_INDEX_SIZE,
			    MG_FINDING_NO_OFFSET, "metadata.total_size",
			    "metadata.total_size is %.0f but the shards' "
			    "tensors hold %llu bytes", cJSON_IsNumber(ts) ?
			    ts->valuedouble : -1.0, (unsigned long long)sum);
	}
	/* The set, reported as one unit on its index. */
	if ((a->set = calloc(1, sizeof(*a->set))) == NULL ||
	    (a->set->kind = strdup(ends_with(name, ".safetensors.index.json") ?
	    "safetensors" : "pytorch")) == NULL ||
	    (nsh > 0 && (a->set->shards = calloc(nsh, sizeof(char *))) ==
	    NULL))
		goto nomem;
	for (k = 0; k < nsh; k++)
		if (sh[k].path != NULL) {
			a->set->shards[a->set->nshards++] = sh[k].path;
			sh[k].path = NULL;	/* transferred */
		}
	a->set->total_bytes = sum;
	if (all_facts && have_params && nsh > 0) {
		a->set->parameter_count = params;
		a->set->have_params = 1;
		a->parameter_count = params;
		a->have |= MG_HAVE_PARAMS;
	}
	a->tensor_count = nte;
	a->have |= MG_HAVE_TENSORS;
	goto out;
nomem:
	c->nomem = 1;
out:
	for (k = 0; k < nsh; k++) {
		free(sh[k].path);
		mg_strset_free(sh[k].names);
	}
	free(sh);
	free(te);
	free(held);
	free(tr);
	free(first);
	free(shard_of);
	free(kind);
	mg_strset_free(seen);
	cJSON_Delete(j);
	free(buf);
	keep_or_drop(c, a, 1);
}

/* Shards named like one that no index of the directory names. */
static void
check_unindexed(struct rdir *d)
{
	size_t i, plen;
	unsigned no, count;
	int canon;

	for (i = 0; i < d->narts; i++) {
		struct mg_artifact *a = d->arts[i];

		if (a->format != &mg_fmt_safetensors || !shard_name(a->filename,
		    ".safetensors", &plen, &no, &count, &canon))
			continue;
		if (!mg_strset_has(d->indexed, a->path, strlen(a->path)))
			mg_artifact_add(a, MG_R_REPO_UNINDEXED,
			    MG_FINDING_NO_OFFSET, NULL, "shard %u of %u is named "
			    "by no index in its directory", no, count);
	}
}

/* ---- GGUF split sets ----------------------------------------------------- */

static int
same_str(const char *x, const char *y)
{
	return x == NULL || y == NULL || strcmp(x, y) == 0;
}

/* A GGUF named as a shard, its name read once. */
struct smem {
	struct mg_artifact *a;
	size_t		 i;		/* position in the directory */
	size_t		 plen;
	unsigned	 no, count;
	int		 canon;
};

/* By prefix, then count (one split set), then position. */
static int
cmp_smem(const void *x, const void *y)
{
	const struct smem *p = x, *q = y;
	int r;

	if (p->plen != q->plen)
		return CMP_NUM(p->plen, q->plen);
	if ((r = memcmp(p->a->filename, q->a->filename, p->plen)) != 0)
		return r;
	if (p->count != q->count)
		return CMP_NUM(p->count, q->count);
	return CMP_NUM(p->i, q->i);
}

static int
cmp_unsigned(const void *x, const void *y)
{
	unsigned p = *(const unsigned *)x, q = *(const unsigned *)y;

	return CMP_NUM(p, q);
}

/* A member's split.no and its place among the members. */
struct sno {
	uint64_t	 no;
	size_t		 i;
};

static int
cmp_sno(const void *x, const void *y)
{
	const struct sno *p = x, *q = y;

	if (p->no != q->no)
		return CMP_NUM(p->no, q->no);
	return CMP_NUM(p->i, q->i);
}

/*
 * One split set: the members m[0..nm), in directory order, share the
 * prefix and the count.  Each name is read once; the numbers present and
 * the split.no values repeated come from sorts, not from a pass over the
 * members for every number or every member.
 */
static void
check_split_group(struct rctx *c, struct rdir *d, const struct smem *m,
    size_t nm, size_t plen, unsigned count)
{
	struct mg_artifact *anchor = NULL, *first = NULL;
	struct mg_set *set = NULL;
	char name[MG_MAX_PATH_BYTES];
	uint64_t tensors = 0, params = 0;
	unsigned *nos = NULL, want, lim, nmissing = 0;
	struct sno *sn = NULL;
	size_t *dfrom = NULL, *dat = NULL;
	size_t i, k, p, nsn = 0;
	int all = 1, have_params = 1;

	if ((nos = calloc(nm, sizeof(*nos))) == NULL ||
	    (sn = calloc(nm, sizeof(*sn))) == NULL ||
	    (dfrom = calloc(nm, sizeof(*dfrom))) == NULL ||
	    (dat = calloc(nm, sizeof(*dat))) == NULL)
		goto nomem;
	for (i = 0; i < nm; i++) {
		if (m[i].no == 1 && first == NULL)
			first = m[i].a;
		nos[i] = m[i].no;
	}
	anchor = first != NULL ? first : m[0].a;
	if (nm > 1)
		qsort(nos, nm, sizeof(*nos), cmp_unsigned);
	/*
	 * Every shard present once: the members' numbers, sorted, are
	 * walked beside the count.  After the 17th missing shard nothing
	 * more is reported (the summary gives no count) and the set is
	 * already incomplete, so the pass ends there: 1000 shards claiming
	 * a count of 99999 are not 99999 lookups.
	 */
	lim = count < 99999 ? count : 99999;
	for (want = 1, p = 0; want <= lim && nmissing <= 16; want++) {
		char *fp;
		struct stat st;

		while (p < nm && nos[p] < want)
			p++;
		if (p < nm && nos[p] == want)
			continue;
		snprintf(name, sizeof(name), "%s%.*s-%05u-of-%05u.gguf",
		    d->dir[0] != '\0' ? "/" : "", (int)plen, anchor->filename,
		    want, count);
		if ((fp = join(d->dir, name + (d->dir[0] != '\0'))) == NULL) {
			c->nomem = 1;
			goto out;
		}
		/* A claimed count of 65535 is one finding, not 65535. */
		if (mg_confine_lstat(fp, &st) == 0)
			;
		else if (++nmissing <= 16)
			mg_artifact_addx(anchor, MG_R_REPO_SPLIT,
			    MG_FINDING_NO_OFFSET, 0, NULL, fp,
			    "split set of %u: shard %u (%s) is missing",
			    count, want, fp);
		else if (nmissing == 17)
			mg_artifact_add(anchor, MG_R_REPO_SPLIT,
			    MG_FINDING_NO_OFFSET, NULL, "split set of "
			    "%u: more shards are missing than are listed",
			    count);
		all = 0;
		free(fp);
	}
	/* The members that hold a split.no, by it: repeats lie together. */
	for (i = 0; i < nm; i++)
		if (m[i].a->have & MG_HAVE_SPLIT) {
			sn[nsn].no = m[i].a->split_no;
			sn[nsn++].i = i;
		}
	if (nsn > 1)
		qsort(sn, nsn, sizeof(*sn), cmp_sno);
	for (k = 0; k < nsn; k++) {
		dat[sn[k].i] = k;
		dfrom[sn[k].i] = k > 0 && sn[k - 1].no == sn[k].no ?
		    dfrom[sn[k - 1].i] : k;
	}
	for (i = 0; i < nm; i++) {
		struct mg_artifact *a = m[i].a;
		unsigned no = m[i].no;

		if (!m[i].canon)
			mg_artifact_add(anchor, MG_R_REPO_SPLIT,
			    MG_FINDING_NO_OFFSET, NULL, "shard %s does not "
			    "follow the -NNNNN-of-NNNNN.gguf pattern",
			    a->filename);
		if (!(a->have & MG_HAVE_SPLIT)) {
			if (count > 1)
				mg_artifact_add(anchor, MG_R_REPO_SPLIT,
				    MG_FINDING_NO_OFFSET, NULL, "shard %s is "
				    "named as shard %u of %u but carries no "
				    "split.no / split.count", a->filename, no,
				    count);
			continue;
		}
		if (a->split_count != count)
			mg_artifact_add(anchor, MG_R_REPO_SPLIT,
			    MG_FINDING_NO_OFFSET, "split.count", "shard %s says "
			    "split.count %llu, its name says %u", a->filename,
			    (unsigned long long)a->split_count, count);
		if (a->split_no + 1 != no)
			mg_artifact_add(anchor, MG_R_REPO_SPLIT,
			    MG_FINDING_NO_OFFSET, "split.no", "shard %s holds "
			    "split.no %llu (shard %llu), its name says shard "
			    "%u", a->filename, (unsigned long long)a->split_no,
			    (unsigned long long)a->split_no + 1, no);
		/*
		 * Each earlier member with this split.no, in order; once the
		 * rule's listed findings are taken, the rest are counted in
		 * one step (a set of n repeats has n^2/2 pairs).
		 */
		for (k = dfrom[i]; k < dat[i]; k++) {
			if (mg_artifact_count_more(anchor, MG_R_REPO_SPLIT,
			    dat[i] - k))
				break;
			mg_artifact_add(anchor, MG_R_REPO_SPLIT,
			    MG_FINDING_NO_OFFSET, "split.no", "shards "
			    "%s and %s both hold split.no %llu: one "
			    "shard is repeated", m[sn[k].i].a->filename,
			    a->filename, (unsigned long long)a->split_no);
		}
		if (!same_str(a->architecture, anchor->architecture))
			mg_artifact_add(anchor, MG_R_REPO_SPLIT,
			    MG_FINDING_NO_OFFSET, "general.architecture",
			    "shard %s declares architecture '%.100s', %s "
			    "declares '%.100s'", a->filename, a->architecture,
			    anchor->filename, anchor->architecture);
		if (!same_str(a->tokenizer_model, anchor->tokenizer_model) ||
		    ((a->have & anchor->have & MG_HAVE_VOCAB) &&
		    a->vocab_size != anchor->vocab_size))
			mg_artifact_add(anchor, MG_R_REPO_SPLIT,
			    MG_FINDING_NO_OFFSET, "tokenizer.ggml.model",
			    "shard %s declares another tokenizer than %s",
			    a->filename, anchor->filename);
		tensors += a->tensor_count;
		if (a->have & MG_HAVE_PARAMS)
			params += a->parameter_count;
		else
			have_params = 0;
	}
	if (all && first != NULL && (first->have & MG_HAVE_SPLIT_TENSORS) &&
	    first->split_tensors != tensors)
		mg_artifact_add(anchor, MG_R_REPO_SPLIT, MG_FINDING_NO_OFFSET,
		    "split.tensors.count", "split.tensors.count says %llu "
		    "tensors, the %zu shards hold %llu",
		    (unsigned long long)first->split_tensors, nm,
		    (unsigned long long)tensors);
	if ((set = calloc(1, sizeof(*set))) == NULL ||
	    (set->kind = strdup("gguf-split")) == NULL ||
	    (set->shards = calloc(nm, sizeof(char *))) == NULL)
		goto nomem;
	for (i = 0; i < nm; i++) {
		if ((set->shards[i] = strdup(m[i].a->path)) == NULL)
			goto nomem;
		set->nshards++;
	}
	set->parameter_count = params;
	set->have_params = have_params && all;
	mg_set_free(anchor->set);
	anchor->set = set;
	goto out;
nomem:
	mg_set_free(set);
	c->nomem = 1;
out:
	free(nos);
	free(sn);
	free(dfrom);
	free(dat);
}

/* A split set: m[at..at+n) of the sorted members. */
struct sgroup {
	size_t		 first;		/* its first member's position */
	size_t		 at, n;
};

static int
cmp_sgroup(const void *x, const void *y)
{
	const struct sgroup *p = x, *q = y;

	return CMP_NUM(p->first, q->first);
}

/*
 * The GGUF split sets of a directory: the GGUFs named as shards, grouped
 * by prefix and count with one sort, each set checked once, in the order
 * of its first member.
 */
static void
check_splits(struct rctx *c, struct rdir *d)
{
	struct smem *m;
	struct sgroup *g = NULL;
	size_t i, k, nm = 0, ng = 0;

	if (d->narts == 0)
		return;
	if ((m = calloc(d->narts, sizeof(*m))) == NULL) {
		c->nomem = 1;
		return;
	}
	for (i = 0; i < d->narts; i++) {
		struct mg_artifact *a = d->arts[i];

		if (a->format != &mg_fmt_gguf)
			continue;
		if (!shard_name(a->filename, ".gguf", &m[nm].plen, &m[nm].no,
		    &m[nm].count, &m[nm].canon)) {
			if ((a->have & MG_HAVE_SPLIT) && a->split_count > 1)
				mg_artifact_add(a, MG_R_REPO_SPLIT,
				    MG_FINDING_NO_OFFSET, "split.no", "shard "
				    "%llu of %llu of a split set is not named "
				    "-NNNNN-of-NNNNN.gguf: its siblings cannot "
				    "be found", (unsigned long long)a->split_no
				    + 1, (unsigned long long)a->split_count);
			continue;
		}
		m[nm].a = a;
		m[nm++].i = i;
	}
	if (nm > 1)
		qsort(m, nm, sizeof(*m), cmp_smem);
	if (nm > 0 && (g = calloc(nm, sizeof(*g))) == NULL) {
		c->nomem = 1;
		goto out;
	}
	for (i = 0; i < nm; i = k) {
		for (k = i + 1; k < nm && m[k].plen == m[i].plen &&
		    m[k].count == m[i].count && memcmp(m[k].a->filename,
		    m[i].a->filename, m[i].plen) == 0; k++)
			;
		g[ng].first = m[i].i;	/* the least: position breaks ties */
		g[ng].at = i;
		g[ng++].n = k - i;
	}
	if (ng > 1)
		qsort(g, ng, sizeof(*g), cmp_sgroup);
	for (i = 0; i < ng; i++)
		check_split_group(c, d, m + g[i].at, g[i].n, m[g[i].at].plen,
		    m[g[i].at].count);
out:
	free(m);
	free(g);
}

/* ---- chat templates ---------------------------------------------------- */

static void
one_template(struct rctx *c, struct mg_artifact *a, const char *key,
    const char *s, size_t n, uint64_t base)
{
	const char *what;
	char hex[65];
	size_t at;

	if (n > MG_MAX_TEMPLATE) {
		mg_artifact_add(a, MG_R_TEMPLATE_INJECT, MG_FINDING_NO_OFFSET,
		    key, "%s: %s is a %zu-byte template, over the %u-byte cap "
		    "for checking templates; it was not checked", a->filename,
		    key, n, MG_MAX_TEMPLATE);
	} else if (mg_template_suspicious(s, n, &what, &at)) {
		mg_artifact_addx(a, MG_R_TEMPLATE_INJECT, base ==
		    MG_FINDING_NO_OFFSET ? base : base + at, 0, key, what,
		    "%s: %s contains %s at byte %zu of the template, a marker "
		    "of template injection", a->filename, key, what, at);
	}
	if (mg_sha256_hex(s, n, hex) != MG_OK ||
	    mg_artifact_add_digest(&a->templates, &a->ntemplates, key, hex) !=
	    MG_OK)
		c->nomem = 1;
}

static void template_metadata(struct rctx *c, struct mg_artifact *a);
static void auto_map(struct rctx *c, struct rdir *d, struct mg_artifact *a,
    const cJSON *j);

/* One chat_template value: a string, a list of {"name", "template"} or
 * an object of name: template ("default" is the default). */
static void
json_template(struct rctx *c, struct mg_artifact *a, const cJSON *t)
{
	const cJSON *e;
	char key[160];

	if (cJSON_IsString(t) && t->valuestring != NULL) {
		one_template(c, a, "chat_template", t->valuestring,
		    strlen(t->valuestring), MG_FINDING_NO_OFFSET);
		return;
	}
	if (cJSON_IsObject(t)) {
		cJSON_ArrayForEach(e, t) {
			if (!cJSON_IsString(e) || e->valuestring == NULL)
				continue;
			if (strcmp(e->string, "default") != 0)
				snprintf(key, sizeof(key), "chat_template.%.120s",
				    e->string);
			else
				snprintf(key, sizeof(key), "chat_template");
			one_template(c, a, key, e->valuestring,
			    strlen(e->valuestring), MG_FINDING_NO_OFFSET);
		}
		return;
	}
	if (!cJSON_IsArray(t))
		return;
	cJSON_ArrayForEach(e, t) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(e, "name");
		const cJSON *tx = cJSON_GetObjectItemCaseSensitive(e,
		    "template");

		if (!cJSON_IsString(tx) || tx->valuestring == NULL)
			continue;
		if (cJSON_IsString(nm) && nm->valuestring != NULL &&
		    strcmp(nm->valuestring, "default") != 0)
			snprintf(key, sizeof(key), "chat_template.%.120s",
			    nm->valuestring);
		else
			snprintf(key, sizeof(key), "chat_template");
		one_template(c, a, key, tx->valuestring, strlen(tx->valuestring),
		    MG_FINDING_NO_OFFSET);
	}
}

/*
 * Every chat_template of a JSON file: a key given twice is checked in
 * each copy (cJSON keeps the first, Python's json the last).
 */
static void
json_templates(struct rctx *c, struct mg_artifact *a, const cJSON *j)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, j)
		if (e->string != NULL && strcmp(e->string, "chat_template") == 0)
			json_template(c, a, e);
}

/* Templates in additional_chat_templates/, which loaders name by file. */
static void
extra_templates(struct rctx *c, struct rdir *d)
{
	char *sub = join(d->dir, "additional_chat_templates"), *rel;
	struct mg_artifact *a;
	struct rdir t;
	char key[200];
	size_t len, i, n;
	char *buf;

	if (sub == NULL) {
		c->nomem = 1;
		return;
	}
	/* By name, as the listing: what is read, and in which order. */
	memset(&t, 0, sizeof(t));
	t.dir = sub;
	if (may_hold(d, "additional_chat_templates") &&
	    read_names(&t, 1) != MG_OK)
		c->nomem = 1;
	if (t.read_err != 0 && d->narts > 0)
		mg_artifact_add(d->arts[0], MG_R_IO_READ, MG_FINDING_NO_OFFSET,
		    NULL, "additional_chat_templates could not be %s (%s): its "
		    "templates were not all checked", t.listed ?
		    "read to its end" : "listed", strerror(t.read_err));
	else if (t.truncated && d->narts > 0)
		mg_artifact_add(d->arts[0], MG_R_IO_READ, MG_FINDING_NO_OFFSET,
		    NULL, "additional_chat_templates holds more than %u "
		    "entries: the repository checks looked at the first %u "
		    "only", MG_MAX_REPO_ENTRIES, MG_MAX_REPO_ENTRIES);
	for (i = 0; i < t.nnames && !c->nomem; i++) {
		if (!ends_with(t.names[i], ".jinja"))
			continue;
		if ((rel = join("additional_chat_templates", t.names[i])) ==
		    NULL) {
			c->nomem = 1;
			break;
		}
		if ((a = file_art(c, d, rel, &mg_fmt_chat_template, &buf,
		    &len)) != NULL) {
			n = strlen(t.names[i]) - 6;
			snprintf(key, sizeof(key), "chat_template.%.*s",
			    (int)(n < 120 ? n : 120), t.names[i]);
			one_template(c, a, key, buf, len, 0);
			template_metadata(c, a);
			free(buf);
			keep_or_drop(c, a, 1);
		}
		free(rel);
	}
	for (i = 0; i < t.nnames; i++)
		free(t.names[i]);
	free(t.names);
	free(sub);
}

static const char *const tmpl_json[] = {
	"chat_template.json", "processor_config.json",
	"preprocessor_config.json", "generation_config.json",
};

/* Chat-template metadata for the reports of a repository file. */
static void
template_metadata(struct rctx *c, struct mg_artifact *a)
{
	cJSON *m, *t;
	size_t i;

	if (a->ntemplates == 0)
		return;
	if ((m = cJSON_CreateObject()) == NULL ||
	    (t = cJSON_AddObjectToObject(m, "chat_template_sha256")) == NULL) {
		cJSON_Delete(m);
		c->nomem = 1;
		return;
	}
	for (i = 0; i < a->ntemplates; i++)
		if (cJSON_AddStringToObject(t, a->templates[i].name,
		    a->templates[i].sha256) == NULL)
			c->nomem = 1;
	cJSON_Delete(a->metadata);
	a->metadata = m;
}

static void
sidecar_templates(struct rctx *c, struct rdir *d)
{
	struct mg_artifact *a;
	cJSON *j;
	size_t i, len;
	char *buf;
	int capped;

	if (d->tok_a != NULL && d->tok != NULL) {
		json_templates(c, d->tok_a, d->tok);
		template_metadata(c, d->tok_a);
	}
	if ((a = file_art(c, d, "chat_template.jinja", &mg_fmt_chat_template,
	    &buf, &len)) != NULL) {
		one_template(c, a, "chat_template", buf, len, 0);
		template_metadata(c, a);
		free(buf);
		keep_or_drop(c, a, 1);
	}
	extra_templates(c, d);
	for (i = 0; i < sizeof(tmpl_json) / sizeof(*tmpl_json); i++) {
		if ((a = file_art(c, d, tmpl_json[i], &mg_fmt_chat_template,
		    &buf, &len)) == NULL)
			continue;
		if ((j = parse_json(buf, len, &capped)) != NULL) {
			json_templates(c, a, j);
			/* AutoProcessor and AutoImageProcessor read these. */
			if (i == 1 || i == 2)
				auto_map(c, d, a, j);
		} else
			unparsed(a, capped);
		template_metadata(c, a);
		cJSON_Delete(j);
		free(buf);
		keep_or_drop(c, a, 0);
	}
}

static const char *
default_template(const struct mg_artifact *a)
{
	size_t i;

	for (i = 0; i < a->ntemplates; i++)
		if (strcmp(a->templates[i].name, "tokenizer.chat_template") ==
		    0 || strcmp(a->templates[i].name, "chat_template") == 0)
			return a->templates[i].sha256;
	return NULL;
}

/*
 * A carrier and its place in the directory's order; sorted copies of
 * these let groups and counts come from one sort instead of comparing
 * every pair (a directory may hold a hundred thousand GGUFs).
 */
struct carrier {
	struct mg_artifact	*a;
	const char		*tmpl;	/* default_template(a) */
	size_t			 i;	/* position in the caller's order */
};

static int
cmp_opt_str(const char *x, const char *y)
{
	if (x == NULL || y == NULL)
		return (x != NULL) - (y != NULL);	/* NULL first */
	return strcmp(x, y);
}

/* By template, then position. */
static int
cmp_carrier_tmpl(const void *p, const void *q)
{
	const struct carrier *x = p, *y = q;
	int r = strcmp(x->tmpl, y->tmpl);

	return r != 0 ? r : CMP_NUM(x->i, y->i);
}

static int
cmp_carrier_pos(const void *p, const void *q)
{
	const struct carrier *x = p, *y = q;

	return CMP_NUM(x->i, y->i);
}

/* The facts two quantisations of one model share, but the architecture. */
static int
cmp_model_shape(const struct mg_artifact *a, const struct mg_artifact *b)
{
	if (a->tensor_count != b->tensor_count)
		return CMP_NUM(a->tensor_count, b->tensor_count);
	if (a->parameter_count != b->parameter_count)
		return CMP_NUM(a->parameter_count, b->parameter_count);
	if ((a->have & MG_HAVE_VOCAB) != (b->have & MG_HAVE_VOCAB))
		return CMP_NUM(a->have & MG_HAVE_VOCAB, b->have & MG_HAVE_VOCAB);
	return CMP_NUM(a->vocab_size, b->vocab_size);
}

/* By shape, then architecture (none first), then position. */
static int
cmp_carrier_model(const void *p, const void *q)
{
	const struct carrier *x = p, *y = q;
	int r = cmp_model_shape(x->a, y->a);

	if (r == 0)
		r = cmp_opt_str(x->a->architecture, y->a->architecture);
	return r != 0 ? r : CMP_NUM(x->i, y->i);
}

static int
is_default_name(const char *name)
{
	return strcmp(name, "tokenizer.chat_template") == 0 ||
	    strcmp(name, "chat_template") == 0;
}

/* By name, then digest: a name's entries of one digest lie together. */
static int
cmp_digest_name_sha(const void *x, const void *y)
{
	const struct mg_digest *a = *(const struct mg_digest *const *)x;
	const struct mg_digest *b = *(const struct mg_digest *const *)y;
	int r = strcmp(a->name, b->name);

	return r != 0 ? r : strcmp(a->sha256, b->sha256);
}

/*
 * The first of v[0..n), sorted by name and digest, not before (name,
 * sha256), or with upper set the first after it (n if none).
 */
static size_t
digest_bound(const struct mg_digest *const *v, size_t n, const char *name,
    const char *sha256, int upper)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(v[mid]->name, name);

		if (r == 0 && sha256 != NULL)
			r = strcmp(v[mid]->sha256, sha256);
		if (r < 0 || (upper && r == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The carriers v[0..nv) should agree; the odd ones out are reported.  The
 * reference is the template most of them carry; among those, the first
 * sidecar that carries it, else the first carrier.
 */
static int
compare_carriers(struct mg_artifact **v, size_t nv)
{
	struct carrier *s;
	const struct mg_digest **named = NULL;
	size_t *cnt, i, k, best = 0, bestn = 0, nt, nnamed = 0;
	const char *bt;

	if (nv < 2)
		return 0;
	s = calloc(nv, sizeof(*s));
	cnt = calloc(nv, sizeof(*cnt));
	if (s == NULL || cnt == NULL) {
		free(s);
		free(cnt);
		return -1;
	}
	for (i = 0; i < nv; i++) {
		s[i].a = v[i];
		s[i].tmpl = default_template(v[i]);
		s[i].i = i;
	}
	qsort(s, nv, sizeof(*s), cmp_carrier_tmpl);
	for (i = 0; i < nv; i = k) {
		for (k = i + 1; k < nv && strcmp(s[k].tmpl, s[i].tmpl) == 0; k++)
			;
		for (size_t j = i; j < k; j++)
			cnt[s[j].i] = k - i;
		if (k - i > bestn)
			bestn = k - i;
	}
	for (i = 0, k = nv; i < nv; i++)
		if (cnt[i] == bestn) {
			if (k == nv)
				k = i;
			if (v[i]->format->flags & MG_FMT_REPO) {
				k = i;
				break;
			}
		}
	best = k;
	bt = default_template(v[best]);
	for (i = 0; i < nv; i++) {
		const char *t = default_template(v[i]);

		if (strcmp(t, bt) != 0)
			mg_artifact_addx(v[i], MG_R_TEMPLATE_VARIANT,
			    MG_FINDING_NO_OFFSET, 0, "chat_template", t,
			    "the default chat template (sha256 %.12s...) differs "
			    "from the one %s carries (sha256 %.12s...), shared "
			    "by %zu of %zu variants", t, v[best]->filename, bt,
			    bestn, nv);
	}
	free(s);
	free(cnt);
	/*
	 * Named templates (tool_use, rag) that both carry must agree too:
	 * the reference's, sorted by name once, are looked up by each.
	 */
	if ((nt = v[best]->ntemplates) > 0 &&
	    (named = calloc(nt, sizeof(*named))) == NULL)
		return -1;
	for (k = 0, nnamed = 0; k < nt; k++)
		if (!is_default_name(v[best]->templates[k].name))
			named[nnamed++] = &v[best]->templates[k];
	if (nnamed > 1)
		qsort(named, nnamed, sizeof(*named), cmp_digest_name_sha);
	for (i = 0; i < nv && nnamed > 0; i++) {
		size_t t, u, differ;

		if (i == best)
			continue;
		for (t = 0; t < v[i]->ntemplates; t++) {
			const struct mg_digest *dt = &v[i]->templates[t];

			if (is_default_name(dt->name))
				continue;
			/*
			 * One finding for each of the reference's templates
			 * of this name with another digest: all alike, so
			 * they are counted, not compared one by one (a
			 * crafted file repeats a name thousands of times).
			 */
			differ = digest_bound(named, nnamed, dt->name, NULL,
			    1) - digest_bound(named, nnamed, dt->name, NULL,
			    0) - (digest_bound(named, nnamed, dt->name,
			    dt->sha256, 1) - digest_bound(named, nnamed,
			    dt->name, dt->sha256, 0));
			for (u = 0; u < differ; u++) {
				if (mg_artifact_count_more(v[i],
				    MG_R_TEMPLATE_VARIANT, differ - u))
					break;
				mg_artifact_addx(v[i], MG_R_TEMPLATE_VARIANT,
				    MG_FINDING_NO_OFFSET, 0, dt->name,
				    dt->sha256, "the template %s (sha256 "
				    "%.12s...) differs from the one %s "
				    "carries under that name", dt->name,
				    dt->sha256, v[best]->filename);
			}
		}
	}
	free(named);
	return 0;
}

static int
has_pos(const struct carrier *m, size_t n, size_t pos)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (m[i].i == pos)
			return 1;
	return 0;
}

/*
 * One group of quantisations, in directory order, after the sidecar
 * carriers when it is the first (the sidecars are compared once).
 */
static int
compare_group(struct mg_artifact **g, struct mg_artifact **side,
    size_t nside, struct carrier *m, size_t nm)
{
	size_t i;

	qsort(m, nm, sizeof(*m), cmp_carrier_pos);
	memcpy(g, side, nside * sizeof(*g));
	for (i = 0; i < nm; i++)
		g[nside + i] = m[i].a;
	return compare_carriers(g, nside + nm);
}

/*
 * Variants of one model in a directory, and the sidecar templates beside
 * them, that carry another default template.
 *
 * Quantisations of one model have one architecture, the same tensors and
 * elements and the same vocabulary (a split set's first shard stands for
 * it: the others carry no template).  A file that names no architecture
 * goes with any.  Groups form in directory order: the first GGUF not yet
 * grouped takes every later one of its shape and architecture, and every
 * one of its shape that names none (all of them when it names none).
 * The first group also holds the sidecar carriers.
 */
static void
check_variants(struct rctx *c, struct rdir *d, size_t side0)
{
	struct mg_artifact **v = NULL, **g = NULL;
	struct carrier *m = NULL, *t = NULL;
	size_t nv = 0, nm = 0, i, j, k, e, first;

	v = calloc(c->nadd - side0 + 1, sizeof(*v));
	g = calloc(d->narts + c->nadd - side0 + 1, sizeof(*g));
	m = calloc(d->narts + 1, sizeof(*m));
	t = calloc(d->narts + 1, sizeof(*t));
	if (v == NULL || g == NULL || m == NULL || t == NULL) {
		c->nomem = 1;
		goto out;
	}
	/* This directory's sidecar carriers were added from side0 on. */
	for (i = side0; i < c->nadd; i++)
		if (default_template(c->add[i]) != NULL)
			v[nv++] = c->add[i];
	for (i = 0; i < d->narts; i++) {
		struct mg_artifact *a = d->arts[i];

		if (a->format != &mg_fmt_gguf || default_template(a) == NULL)
			continue;
		m[nm].a = a;
		m[nm].i = i;
		nm++;
	}
	if (nm == 0) {
		if (compare_carriers(v, nv) != 0)
			c->nomem = 1;
		goto out;
	}
	first = m[0].i;		/* its group holds the sidecars */
	qsort(m, nm, sizeof(*m), cmp_carrier_model);
	for (i = 0; i < nm; i = k) {
		size_t nnull = 0, anchor = i, n;
		const char *arch;

		/* One shape, those that name no architecture first. */
		for (k = i + 1; k < nm && cmp_model_shape(m[k].a, m[i].a) == 0;
		    k++)
			;
		while (i + nnull < k && m[i + nnull].a->architecture == NULL)
			nnull++;
		for (j = i; j < k; j++)
			if (m[j].i < m[anchor].i)
				anchor = j;
		arch = m[anchor].a->architecture;
		for (j = arch == NULL ? i : i + nnull; j < k; j = e) {
			/* A run of one architecture (or the whole shape). */
			e = arch == NULL ? k : j + 1;
			while (e < k && arch != NULL &&
			    strcmp(m[e].a->architecture, m[j].a->architecture) ==
			    0)
				e++;
			n = 0;
			if (arch != NULL && strcmp(m[j].a->architecture, arch) ==
			    0) {
				memcpy(t, m + i, nnull * sizeof(*t));
				n = nnull;
			}
			memcpy(t + n, m + j, (e - j) * sizeof(*t));
			n += e - j;
			if (compare_group(g, v, has_pos(t, n, first) ? nv : 0, t,
			    n) != 0)
				c->nomem = 1;
		}
	}
out:
	free(v);
	free(g);
	free(m);
	free(t);
}

/* ---- remote code ------------------------------------------------------- */

/*
 * The entries mg_artifact_add_digest keeps in one list: past them a
 * reference is dropped, so it is not resolved (nor its file read).
 */
#define CODEREF_CAP	4096u

/*
 * The Python file of an auto_map reference ("pkg.mod.Class" is
 * pkg/mod.py), or 0 when the reference names none ("repo--mod.Class"
 * points at another repository).
 */
static int
ref_file(const char *ref, char *file, size_t size)
{
	const char *dot;
	size_t i, n;

	if (strstr(ref, "--") != NULL || (dot = strrchr(ref, '.')) == NULL ||
	    (size_t)(dot - ref) + 4 > size)
		return 0;
	n = (size_t)(dot - ref);
	for (i = 0; i < n; i++)
		file[i] = ref[i] == '.' ? '/' : ref[i];
	memcpy(file + n, ".py", 4);
	return 1;
}

/* The SHA-256 of a Python file of the directory, "" when not read. */
static void
py_digest(struct rdir *d, const char *file, char *hex)
{
	struct mg_slurp s;
	struct stat st;
	char *p;

	hex[0] = '\0';
	if (target_bad(file) != NULL || (p = join(d->dir, file)) == NULL)
		return;
	if (mg_confine_lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
	    mg_slurp(&s, p, -1, MG_MAX_SIDECAR_BYTES, MG_SLURP_REGULAR) ==
	    MG_OK) {
		if (mg_sha256_hex(s.buf, s.len, hex) != MG_OK)
			hex[0] = '\0';
		free(s.buf);
	}
	free(p);
}

static int
cmp_pyref(const void *x, const void *y)
{
	return strcmp(((const struct pyref *)x)->file,
	    ((const struct pyref *)y)->file);
}

/* One auto_map reference of an artifact, resolved. */
struct amref {
	const char	*ref;		/* borrowed from the JSON */
	char		*file;		/* its .py, or NULL: the ref stands */
	char		 hex[65];
};

static int
cmp_amref_file(const void *x, const void *y)
{
	return strcmp((*(struct amref *const *)x)->file,
	    (*(struct amref *const *)y)->file);
}

/*
 * Resolve the references v[0..n) of one artifact and list them in order.
 * Each distinct file is read and hashed once for the directory (a config
 * may name one 16 MiB module a thousand times, and config.json and
 * tokenizer_config.json name the same ones).
 */
static void
auto_map_refs(struct rctx *c, struct rdir *d, struct mg_artifact *a,
    struct amref *v, size_t n)
{
	struct amref **g = NULL;
	struct pyref *np;
	char file[512];
	size_t i, k, ng = 0, nold = d->npy;

	if (n == 0)
		return;
	if ((g = calloc(n, sizeof(*g))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if (!ref_file(v[i].ref, file, sizeof(file)))
			continue;
		if ((v[i].file = strdup(file)) == NULL)
			goto nomem;
		g[ng++] = &v[i];
	}
	if (ng > 1)
		qsort(g, ng, sizeof(*g), cmp_amref_file);
	for (i = 0; i < ng; i = k) {
		struct pyref key, *hit;

		key.file = g[i]->file;
		hit = nold > 0 ? bsearch(&key, d->py, nold, sizeof(*d->py),
		    cmp_pyref) : NULL;
		if (hit == NULL) {
			if (d->npy == d->pycap) {
				size_t ncap = d->pycap ? d->pycap * 2 : 8;

				if ((np = realloc(d->py, ncap * sizeof(*np))) ==
				    NULL)
					goto nomem;
				d->py = np;
				d->pycap = ncap;
			}
			hit = &d->py[d->npy];
			if ((hit->file = strdup(g[i]->file)) == NULL)
				goto nomem;
			py_digest(d, hit->file, hit->hex);
			d->npy++;
		}
		for (k = i; k < ng && strcmp(g[k]->file, g[i]->file) == 0; k++)
			memcpy(g[k]->hex, hit->hex, sizeof(hit->hex));
	}
	for (i = 0; i < n; i++)
		if (mg_artifact_add_digest(&a->coderefs, &a->ncoderefs,
		    v[i].file != NULL ? v[i].file : v[i].ref, v[i].file !=
		    NULL ? v[i].hex : "") != MG_OK)
			c->nomem = 1;
	goto out;
nomem:
	c->nomem = 1;
out:
	/* The files read for this artifact join the directory's, sorted. */
	if (d->npy > nold && d->npy > 1)
		qsort(d->py, d->npy, sizeof(*d->py), cmp_pyref);
	free(g);
}

/* Keep a reference for auto_map_refs while the list has room for it. */
static int
add_ref(struct amref **v, size_t *n, size_t *cap, size_t room,
    const char *ref)
{
	if (*n >= room)
		return MG_OK;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct amref *nv;

		if (ncap > room)
			ncap = room;
		if ((nv = realloc(*v, ncap * sizeof(*nv))) == NULL)
			return MG_ERR_NOMEM;
		*v = nv;
		*cap = ncap;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[(*n)++].ref = ref;
	return MG_OK;
}

static void
auto_map(struct rctx *c, struct rdir *d, struct mg_artifact *a,
    const cJSON *j)
{
	const cJSON *am, *e, *x;
	struct amref *v = NULL;
	size_t n = 0, cap = 0, i, room;
	int r = MG_OK;

	if (a == NULL || j == NULL)
		return;
	room = a->ncoderefs < CODEREF_CAP ? CODEREF_CAP - a->ncoderefs : 0;
	/* Every auto_map key: one given twice is read in each copy. */
	cJSON_ArrayForEach(am, j) {
		if (am->string == NULL || strcmp(am->string, "auto_map") != 0 ||
		    !cJSON_IsObject(am))
			continue;
		a->remote_code = 1;
		cJSON_ArrayForEach(e, am) {
			if (r != MG_OK)
				break;
			if (n >= room) {
				a->coderefs_dropped = 1;
				break;
			}
			if (cJSON_IsString(e) && e->valuestring != NULL)
				r = add_ref(&v, &n, &cap, room, e->valuestring);
			else if (cJSON_IsArray(e))
				cJSON_ArrayForEach(x, e) {
					if (r != MG_OK || !cJSON_IsString(x) ||
					    x->valuestring == NULL)
						continue;
					if (n >= room)
						a->coderefs_dropped = 1;
					r = add_ref(&v, &n, &cap, room,
					    x->valuestring);
				}
		}
	}
	if (r != MG_OK)
		c->nomem = 1;
	else
		auto_map_refs(c, d, a, v, n);
	for (i = 0; i < n; i++)
		free(v[i].file);
	free(v);
}

static void
python_files(struct rctx *c, struct rdir *d)
{
	struct mg_artifact *a;
	size_t i, len;
	char *buf;

	for (i = 0; i < d->nnames; i++) {
		if (!ends_with(d->names[i], ".py"))
			continue;
		if ((a = file_art(c, d, d->names[i], &mg_fmt_python, &buf,
		    &len)) == NULL)
			continue;
		free(buf);
		a->remote_code = 1;
		keep_or_drop(c, a, 1);
	}
}

/* ---- config.json against the weights ---------------------------------- */

static int
num_u64(const cJSON *j, const char *k, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, k);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble > 9007199254740992.0 ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return 0;
	*out = (uint64_t)v->valuedouble;
	return 1;
}

static int
tname_is(const char *n, const char *base)
{
	size_t a = strlen(n), b = strlen(base);

	return strcmp(n, base) == 0 || (a > b && n[a - b - 1] == '.' &&
	    strcmp(n + a - b, base) == 0);
}

static const char *
st_dtype_of(const char *torch)
{
	static const char *const map[][2] = {
		{ "float32", "F32" }, { "float", "F32" },
		{ "float16", "F16" }, { "half", "F16" },
		{ "bfloat16", "BF16" }, { "float64", "F64" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(*map); i++)
		if (strcmp(torch, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

static void
check_config(struct rctx *c, struct rdir *d)
{
	static const char *const emb[] = {
		"embed_tokens.weight", "wte.weight", "word_embeddings.weight",
		"tok_embeddings.weight", "lm_head.weight", "embed_in.weight",
		"embed_out.weight",
	};
	static const char *const pos[] = {
		"wpe.weight", "embed_positions.weight",
		"position_embeddings.weight",
	};
	const cJSON *cfg = d->cfg, *tc, *dt, *atd, *e;
	struct mg_artifact *ca = d->cfg_a;
	uint64_t vocab = 0, maxpos = 0;
	int have_vocab, have_pos;
	size_t i, k, t;

	if (cfg == NULL || ca == NULL)
		return;
	(void)c;
	tc = cJSON_GetObjectItemCaseSensitive(cfg, "text_config");
	have_vocab = num_u64(cfg, "vocab_size", &vocab) ||
	    (cJSON_IsObject(tc) && num_u64(tc, "vocab_size", &vocab));
	have_pos = num_u64(cfg, "max_position_embeddings", &maxpos) ||
	    (cJSON_IsObject(tc) && num_u64(tc, "max_position_embeddings",
	    &maxpos));
	dt = cJSON_GetObjectItemCaseSensitive(cfg, "torch_dtype");
	if (!cJSON_IsString(dt))
		dt = cJSON_GetObjectItemCaseSensitive(cfg, "dtype");
	for (i = 0; i < d->narts; i++) {
		const struct mg_artifact *a = d->arts[i];

		if (a->format == &mg_fmt_gguf && have_vocab &&
		    (a->have & MG_HAVE_VOCAB) && a->vocab_size != vocab &&
		    !(a->have & MG_HAVE_SPLIT && a->split_no > 0))
			mg_artifact_add(ca, MG_R_CONFIG_MISMATCH,
			    MG_FINDING_NO_OFFSET, "vocab_size", "vocab_size is "
			    "%llu but %s has %llu tokens",
			    (unsigned long long)vocab, a->filename,
			    (unsigned long long)a->vocab_size);
		if (a->format != &mg_fmt_safetensors)
			continue;
		for (t = 0; t < a->ntensors; t++) {
			const struct mg_tfact *f = &a->tensors[t];

			for (k = 0; have_vocab && k < sizeof(emb) /
			    sizeof(*emb); k++)
				if (tname_is(f->name, emb[k]) && f->ndim > 0 &&
				    f->dim0 != vocab)
					mg_artifact_addx(ca,
					    MG_R_CONFIG_MISMATCH,
					    MG_FINDING_NO_OFFSET, 0,
					    "vocab_size", f->name,
					    "vocab_size is %llu but tensor "
					    "'%.200s' in %s has %llu rows",
					    (unsigned long long)vocab, f->name,
					    a->filename,
					    (unsigned long long)f->dim0);
			for (k = 0; have_pos && k < sizeof(pos) / sizeof(*pos);
			    k++)
				if (tname_is(f->name, pos[k]) && f->ndim > 0 &&
				    f->dim0 < maxpos)
					mg_artifact_addx(ca,
					    MG_R_CONFIG_MISMATCH,
					    MG_FINDING_NO_OFFSET, 0,
					    "max_position_embeddings", f->name,
					    "max_position_embeddings is %llu "
					    "but tensor '%.200s' in %s has "
					    "%llu positions",
					    (unsigned long long)maxpos, f->name,
					    a->filename,
					    (unsigned long long)f->dim0);
		}
		if (cJSON_IsString(dt) && dt->valuestring != NULL &&
		    st_dtype_of(dt->valuestring) != NULL &&
		    cJSON_GetObjectItemCaseSensitive(cfg,
		    "quantization_config") == NULL && a->ttype_major >= 0 &&
		    strcmp(a->ttypes[a->ttype_major].name,
		    st_dtype_of(dt->valuestring)) != 0)
			mg_artifact_addx(ca, MG_R_CONFIG_DTYPE,
			    MG_FINDING_NO_OFFSET, 0, "torch_dtype",
			    a->filename, "torch_dtype is %.40s but %s stores "
			    "%s", dt->valuestring, a->filename,
			    a->ttypes[a->ttype_major].name);
	}
	/* Added tokens must index the vocabulary. */
	atd = d->tok != NULL ? cJSON_GetObjectItemCaseSensitive(d->tok,
	    "added_tokens_decoder") : NULL;
	if (have_vocab && cJSON_IsObject(atd)) {
		uint64_t top = 0;
		int any = 0;

		cJSON_ArrayForEach(e, atd) {
			char *end;
			unsigned long long id = strtoull(e->string, &end, 10);

			if (*e->string != '\0' && *end == '\0' && (!any ||
			    id > top)) {
				top = id;
				any = 1;
			}
		}
		if (any && top >= vocab)
			mg_artifact_add(ca, MG_R_CONFIG_MISMATCH,
			    MG_FINDING_NO_OFFSET, "vocab_size", "vocab_size is "
			    "%llu but tokenizer_config.json adds token id %llu",
			    (unsigned long long)vocab,
			    (unsigned long long)top);
	}
}

/* ---- one directory ---------------------------------------------------- */

/* ---- the walk's listings -------------------------------------------- */

void
mg_dirlists_add(struct mg_dirlists *l, const char *dir, size_t dirlen,
    char *const *names, size_t n)
{
	size_t i, bytes = dirlen + 1, len;
	struct mg_dirlist *e;
	char **v, *p;

	for (i = 0; i < n; i++) {
		len = strlen(names[i]) + 1;
		if (len > MG_MAX_DIRLIST_BYTES - bytes)
			return;
		bytes += len;
	}
	if (n > (MG_MAX_DIRLIST_BYTES - bytes) / sizeof(*v))
		return;
	bytes += n * sizeof(*v);
	if (bytes > MG_MAX_DIRLIST_BYTES - l->bytes)
		return;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;

		if ((e = realloc(l->v, nc * sizeof(*e))) == NULL)
			return;
		l->v = e;
		l->cap = nc;
	}
	/* One block: the pointers, then the names, then the directory. */
	if ((v = malloc(bytes)) == NULL)
		return;
	p = (char *)(v + n);
	for (i = 0; i < n; i++) {
		len = strlen(names[i]) + 1;
		memcpy(p, names[i], len);
		v[i] = p;
		p += len;
	}
	memcpy(p, dir, dirlen);
	p[dirlen] = '\0';
	e = &l->v[l->n++];
	e->dir = p;
	e->names = v;
	e->n = n;
	l->bytes += bytes;
}

static int
cmp_dirlist(const void *x, const void *y)
{
	return strcmp(((const struct mg_dirlist *)x)->dir,
	    ((const struct mg_dirlist *)y)->dir);
}

void
mg_dirlists_done(struct mg_dirlists *l)
{
	size_t i, j, k;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_dirlist);
	/* A directory listed twice (overlapping roots) is read again. */
	for (i = 0, k = 0; i < l->n; i = j) {
		for (j = i + 1; j < l->n && strcmp(l->v[j].dir,
		    l->v[i].dir) == 0; j++)
			;
		if (j - i == 1) {
			l->v[k++] = l->v[i];
			continue;
		}
		while (i < j)
			free(l->v[i++].names);
	}
	l->n = k;
}

void
mg_dirlists_free(struct mg_dirlists *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].names);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * The walk's listing of d->dir, without its dot names, when it has one
 * within MG_MAX_REPO_ENTRIES: 1 (d->names borrowed, d->listed set), else
 * 0 and the directory is read.
 */
static int
walked_names(const struct rctx *c, struct rdir *d)
{
	const struct mg_dirlist *e;
	struct mg_dirlist key;
	const unsigned char *q;
	size_t i, n = 0;

	if (c->lists == NULL || c->lists->n == 0)
		return 0;
	key.dir = (char *)d->dir;
	if ((e = bsearch(&key, c->lists->v, c->lists->n, sizeof(key),
	    cmp_dirlist)) == NULL)
		return 0;
	for (i = 0; i < e->n; i++)
		n += e->names[i][0] != '.';
	if (n > MG_MAX_REPO_ENTRIES ||
	    (n > 0 && (d->names = malloc(n * sizeof(*d->names))) == NULL))
		return 0;
	for (i = 0; i < e->n; i++) {
		if (e->names[i][0] == '.')
			continue;
		for (q = (const unsigned char *)e->names[i]; *q != '\0'; q++)
			if (*q >= 0x80)
				d->nonascii = 1;
		d->names[d->nnames++] = e->names[i];
	}
	d->borrowed = 1;
	d->listed = 1;
	return 1;
}

static int
read_names(struct rdir *d, int dots)
{
	DIR *dh = mg_confine_opendir(d->dir[0] != '\0' ? d->dir : ".");
	struct dirent *de;
	size_t cap = 0;

	/*
	 * A directory that is not there, or that may be entered but not
	 * listed, is looked into by name (may_hold); one that fails to open
	 * otherwise (EIO, out of descriptors) is said.
	 */
	if (dh == NULL) {
		if (errno != ENOENT && errno != ENOTDIR && errno != EACCES &&
		    errno != EPERM)
			d->read_err = errno;
		return MG_OK;
	}
	d->listed = 1;
	errno = 0;
	while ((de = readdir(dh)) != NULL) {
		const unsigned char *q;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    (!dots && de->d_name[0] == '.'))
			continue;
		for (q = (const unsigned char *)de->d_name; *q != '\0'; q++)
			if (*q >= 0x80)
				d->nonascii = 1;
		if (d->nnames == MG_MAX_REPO_ENTRIES) {
			d->truncated = 1;
			break;
		}
		if (d->nnames == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **n = realloc(d->names, ncap * sizeof(*n));

			if (n == NULL)
				goto nomem;
			d->names = n;
			cap = ncap;
		}
		if ((d->names[d->nnames] = strdup(de->d_name)) == NULL)
			goto nomem;
		d->nnames++;
		errno = 0;
	}
	/* Read only in part: what the checks did not see is said. */
	if (de == NULL && errno != 0) {
		d->truncated = 1;
		d->read_err = errno;
	}
	closedir(dh);
	if (d->nnames > 1)
		qsort(d->names, d->nnames, sizeof(*d->names), cmp_str);
	return MG_OK;
nomem:
	closedir(dh);
	return MG_ERR_NOMEM;
}

static struct mg_artifact *
json_sidecar(struct rctx *c, struct rdir *d, const char *name, cJSON **out)
{
	struct mg_artifact *a;
	size_t len;
	char *buf;
	int capped;

	*out = NULL;
	if ((a = file_art(c, d, name, name[0] == 'c' ? &mg_fmt_hf_config :
	    &mg_fmt_chat_template, &buf, &len)) == NULL)
		return NULL;
	if ((*out = parse_json(buf, len, &capped)) == NULL)
		unparsed(a, capped);
	free(buf);
	return a;
}

static void
check_dir(struct rctx *c, struct rdir *d)
{
	size_t i, side0;

	if ((d->indexed = mg_strset_new()) == NULL ||
	    (!walked_names(c, d) && read_names(d, 0) != MG_OK)) {
		c->nomem = 1;
		return;
	}
	if (d->read_err != 0 && d->narts > 0)
		mg_artifact_add(d->arts[0], MG_R_IO_READ, MG_FINDING_NO_OFFSET,
		    NULL, "its directory could not be %s (%s): the repository "
		    "checks looked at %s", d->listed ? "read to its end" :
		    "listed", strerror(d->read_err), d->listed ? "part of it" :
		    "the files they name only");
	else if (d->truncated && d->narts > 0)
		mg_artifact_add(d->arts[0], MG_R_IO_READ, MG_FINDING_NO_OFFSET,
		    NULL, "its directory holds more than %u entries: the "
		    "repository checks looked at the first %u only",
		    MG_MAX_REPO_ENTRIES, MG_MAX_REPO_ENTRIES);
	for (i = 0; i < d->nnames && !c->nomem; i++)
		if (ends_with(d->names[i], ".safetensors.index.json") ||
		    ends_with(d->names[i], ".bin.index.json"))
			check_index(c, d, d->names[i]);
	check_unindexed(d);
	check_splits(c, d);
	d->cfg_a = json_sidecar(c, d, "config.json", &d->cfg);
	d->tok_a = json_sidecar(c, d, "tokenizer_config.json", &d->tok);
	auto_map(c, d, d->cfg_a, d->cfg);
	auto_map(c, d, d->tok_a, d->tok);
	check_config(c, d);
	side0 = c->nadd;
	sidecar_templates(c, d);
	keep_or_drop(c, d->tok_a, 0);
	keep_or_drop(c, d->cfg_a, 0);
	d->cfg_a = d->tok_a = NULL;
	check_variants(c, d, side0);
	python_files(c, d);
}

static int
cmp_art(const void *x, const void *y)
{
	const struct mg_artifact *a = *(struct mg_artifact *const *)x;
	const struct mg_artifact *b = *(struct mg_artifact *const *)y;
	int r = strcmp(a->path, b->path);

	if (r == 0)
		r = a->ordinal < b->ordinal ? -1 : a->ordinal > b->ordinal;
	return r;
}

static char *
dir_of(const char *path)
{
	const char *s = strrchr(path, '/');
	size_t n = s != NULL ? (size_t)(s - path) : 0;
	char *d = malloc(n + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, path, n);
	d[n] = '\0';
	return d;
}

/* An on-disk model artifact and the directory it lies in. */
struct placed {
	char		*dir;		/* owned */
	struct mg_artifact *a;
};

static int
cmp_placed(const void *x, const void *y)
{
	const struct placed *p = x, *q = y;
	int r = strcmp(p->dir, q->dir);

	return r != 0 ? r : strcmp(p->a->path, q->a->path);
}

/*
 * The on-disk model artifacts by directory, then path: each directory's
 * artifacts lie together, so one pass visits every directory once.
 */
static int
place(struct mg_run *run, struct placed **out, size_t *nout)
{
	struct placed *v;
	size_t n = 0, i;

	*out = NULL;
	*nout = 0;
	if ((v = calloc(run->n, sizeof(*v))) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < run->n; i++) {
		struct mg_artifact *a = run->arts[i];

		if (a->disk_len != 0 || a->depth != 0 ||
		    (a->format->flags & (MG_FMT_SYNTHETIC | MG_FMT_REPO)))
			continue;
		if ((v[n].dir = dir_of(a->path)) == NULL) {
			while (n > 0)
				free(v[--n].dir);
			free(v);
			return MG_ERR_NOMEM;
		}
		v[n++].a = a;
	}
	mg_sort(v, n, sizeof(*v), cmp_placed);
	*out = v;
	*nout = n;
	return MG_OK;
}

/*
 * Whether a rule the checks report is about other files than the one
 * that carries it: all but a template's own content and a read failure
 * (never forgiven anyway).
 */
static int
about_others(enum mg_rule_id r)
{
	return r != MG_R_TEMPLATE_INJECT && r != MG_R_IO_READ;
}

/*
 * Bind what the checks of one directory added (see mg_finding.bind): to
 * a digest of what they looked at, the directory's artifacts and their
 * digests, each file they looked for, and the listing.  "-" when an
 * artifact has no digest (--no-hash): then no fingerprint forgives them.
 */
/* Whether a finding of a, from index `from` on, waits for a digest. */
static int
wants_bind(const struct mg_artifact *a, size_t from)
{
	size_t i;

	for (i = from; i < a->nfindings; i++)
		if (a->findings[i].bind == NULL &&
		    about_others(a->findings[i].rule))
			return 1;
	return 0;
}

static void
bind_dir(struct rctx *c, struct rdir *d, const size_t *from, size_t add0)
{
	char hex[65];
	const char *digest = hex;
	size_t i;
	int known = !d->unknown, wanted = 0;

	/* Most directories get no finding: then no digest is taken. */
	for (i = 0; i < d->narts && !wanted; i++)
		wanted = wants_bind(d->arts[i], from[i]);
	for (i = add0; i < c->nadd && !wanted; i++)
		wanted = wants_bind(c->add[i], 0);
	if (!wanted)
		return;
	for (i = 0; i < d->narts; i++)
		if (d->arts[i]->sha256[0] == '\0')
			known = 0;
	if (known) {
		seen_put(d, "\n", 2);
		for (i = 0; i < d->narts; i++)
			saw(d, d->arts[i]->filename, d->arts[i]->sha256);
		seen_put(d, "\n", 2);
		for (i = 0; i < d->nnames; i++)
			saw(d, d->names[i], "");
		seen_digest(d, d->seenbuf, d->seenlen);
		d->seenlen = 0;
		if (d->seenbad || mg_hash_final_hex(d->seen, hex) != MG_OK)
			known = 0;
	}
	if (!known)
		digest = "-";
	for (i = 0; i < d->narts; i++)
		if (mg_artifact_bind(d->arts[i], from[i], digest,
		    about_others) != MG_OK)
			c->nomem = 1;
	for (i = add0; i < c->nadd; i++)
		if (mg_artifact_bind(c->add[i], 0, digest, about_others) !=
		    MG_OK)
			c->nomem = 1;
}

int
mg_repo_check(struct mg_run *run, char *const *roots,
    const unsigned char *kinds, size_t nroots,
    const struct mg_run_opts *o, const struct mg_dirlists *lists)
{
	struct rctx c;
	struct placed *pl = NULL;
	char norm[MG_MAX_PATH_BYTES];
	size_t npl = 0, i, j, k;
	struct mg_artifact **na;
	struct stat st;
	int r = MG_OK;

	memset(&c, 0, sizeof(c));
	if (run->n == 0)
		return MG_OK;
	if ((c.hidden = mg_strset_new()) == NULL ||
	    (nroots > 0 && ((c.droots = calloc(nroots, sizeof(char *))) ==
	    NULL || (c.realroots = calloc(nroots, sizeof(char *))) == NULL))) {
		mg_strset_free(c.hidden);
		free(c.droots);
		return MG_ERR_NOMEM;
	}
	for (i = 0; i < nroots; i++) {
		if (kinds != NULL ? kinds[i] != MG_WALK_ROOT_DIR :
		    stat(roots[i], &st) != 0 || !S_ISDIR(st.st_mode))
			continue;
		if ((c.droots[c.ndroots] = strdup(mg_path_display(roots[i],
		    norm, sizeof(norm)))) != NULL)
			c.ndroots++;
		if ((c.realroots[c.nrealroots] = realpath(roots[i], NULL)) !=
		    NULL)
			c.nrealroots++;
	}
	c.run = run;
	c.lists = lists;
	c.want = o->want;
	c.want_arg = o->want_arg;
	c.follow = o->scan.follow_symlinks;
	if (place(run, &pl, &npl) != MG_OK)
		c.nomem = 1;
	for (i = 0; i < npl && !c.nomem; i = k) {
		struct rdir d;
		size_t *from, add0 = c.nadd;

		memset(&d, 0, sizeof(d));
		d.dir = pl[i].dir;
		for (k = i; k < npl && strcmp(pl[k].dir, d.dir) == 0; k++)
			;
		d.arts = calloc(k - i, sizeof(*d.arts));
		from = calloc(k - i, sizeof(*from));
		if (d.arts == NULL || from == NULL) {
			free(d.arts);
			free(from);
			c.nomem = 1;
			break;
		}
		for (j = i; j < k; j++) {
			from[d.narts] = pl[j].a->nfindings;
			d.arts[d.narts++] = pl[j].a;
			pl[j].a->repo_pass = 1;
		}
		check_dir(&c, &d);
		bind_dir(&c, &d, from, add0);
		free(from);
		mg_hash_free(d.seen);
		free(d.seenbuf);
		for (j = i; j < k; j++)
			pl[j].a->repo_pass = 0;
		for (j = 0; j < d.nnames && !d.borrowed; j++)
			free(d.names[j]);
		free(d.names);
		free(d.arts);
		mg_strset_free(d.indexed);
		for (j = 0; j < d.npy; j++)
			free(d.py[j].file);
		free(d.py);
		cJSON_Delete(d.cfg);
		cJSON_Delete(d.tok);
	}
	for (i = 0; i < npl; i++)
		free(pl[i].dir);
	free(pl);
	for (i = 0; i < c.nadd; i++)
		c.add[i]->repo_pass = 0;
	if (c.nadd > 0) {
		na = realloc(run->arts, (run->n + c.nadd) * sizeof(*na));
		if (na == NULL) {
			c.nomem = 1;
		} else {
			run->arts = na;
			for (i = 0; i < c.nadd; i++)
				run->arts[run->n++] = c.add[i];	/* transferred */
			c.nadd = 0;
			run->cap = run->n;
			mg_sort(run->arts, run->n, sizeof(*run->arts), cmp_art);
		}
	}
	for (i = 0; i < c.nadd; i++) {
		mg_artifact_free(c.add[i]);
		free(c.add[i]);
	}
	free(c.add);
	for (i = 0; i < c.ndroots; i++)
		free(c.droots[i]);
	free(c.droots);
	for (i = 0; i < c.nrealroots; i++)
		free(c.realroots[i]);
	free(c.realroots);
	mg_strset_free(c.hidden);
	if (c.nomem)
		r = MG_ERR_NOMEM;
	return r;
}
