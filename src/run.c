/*
 * run.c - walk the roots, scan artifacts in parallel, sort the results.
 *
 * The walker runs in the calling thread and submits one job per regular
 * file to the pool; the job array is touched only by this thread until the
 * pool has finished, and each job's artifact only by the worker running
 * it, so nothing mutable is shared.  Sorting by path afterwards makes the
 * output identical for any number of workers.  mg_run_scan_with runs the
 * same walk without a pool, scanning each file as it is found with the
 * caller's context (a server's persistent worker).  A job may hold the
 * file the walker opened; how many do at once is capped well under the
 * descriptor limit, and past the cap the worker opens the path instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "arclib.h"
#include "err.h"
#include "fmt.h"
#include "limits.h"
#include "path.h"
#include "pool.h"
#include "repo.h"
#include "run.h"
#include "sort.h"
#include "walk.h"

struct job {
	struct mg_artifact	 a;		/* first: see run_walk */
	struct mg_artifact	**members;	/* what an archive yields */
	size_t			 nmembers;
	char			*fspath;
	int			 sidecars;	/* see mg_walk_ops.file: -1, 0, 1 */
	int			 facts;		/* repository checks read tensors */
	char			*root_real;	/* likewise; NULL or owned */
	dev_t			 dev;		/* identity the walker saw */
	ino_t			 ino;
	int			 fd;		/* the walker's, or -1 */
	uint64_t		 size;		/* with fd: its size */
	atomic_size_t		*open_fds;	/* jobs holding an fd */
};

struct collect {
	const struct mg_run_opts *o;
	struct mg_cwd		 wd;
	struct mg_run		*run;
	struct mg_pool		*pool;	/* NULL: scan in the walker's thread */
	struct mg_scan_ctx	*sc;	/* ... with this context */
	/*
	 * Roots of the walk.  With one, every directory the repository
	 * checks look at is inside it, and the walk has seen any shard
	 * index above a file before the file.
	 */
	size_t			 nroots;
	struct job		**jobs;
	size_t			 n, cap;
	int			 nomem;
	atomic_size_t		 open_fds;	/* jobs holding an fd */
	size_t			 max_fds;	/* ... at most */
	struct mg_dirlists	 lists;		/* for the repository checks */
};

/* A worker's scratch and the (read-only) options of the run. */
struct wctx {
	struct mg_scan_ctx	 sc;
	const struct mg_run_opts *o;
};

static void *
w_init(void *arg)
{
	struct wctx *w = malloc(sizeof(*w));

	if (w == NULL)
		return NULL;
	if (mg_scan_ctx_init(&w->sc) != MG_OK) {
		free(w);
		return NULL;
	}
	w->o = arg;
	return w;
}

static void
w_fini(void *wp)
{
	struct wctx *w = wp;

	mg_scan_ctx_free(&w->sc);
	free(w);
}

/* A model artifact, as opposed to another file of the tree. */
static int
is_artifact(const struct mg_artifact *a)
{
	/* The scan decided: a model extension alone is not enough (text). */
	return a->format != &mg_fmt_unknown;
}

static void
scan_job(struct mg_scan_ctx *sc, const struct mg_run_opts *o, struct job *j)
{
	size_t i;

	mg_scan_file(sc, &o->scan, j->fspath, j->sidecars, j->root_real,
	    j->dev, j->ino, j->fd, j->size, &j->a);
	if (j->fd >= 0)
		atomic_fetch_sub(j->open_fds, 1);
	j->fd = -1;		/* closed by the scan */
	/* The members an archive yielded are the job's now. */
	j->members = sc->out;
	j->nmembers = sc->nout;
	sc->out = NULL;
	sc->nout = sc->outcap = 0;
	/* Other files of the tree are not artifacts: nothing to add. */
	if (o->post != NULL && is_artifact(&j->a))
		o->post(o->post_arg, &j->a);
	if (o->post != NULL)
		for (i = 0; i < j->nmembers; i++)
			o->post(o->post_arg, j->members[i]);
	if (o->progress != NULL)
		o->progress(o->progress_arg, j->a.size);
}

/*
 * The first job of a pool of two or more: load the archive library on a
 * worker, beside the walk, before an archive needs it (arclib.h).
 */
static char load_arclib;

static void
w_work(void *wp, void *jp)
{
	struct wctx *w = wp;
	struct job *j = jp;

	if (jp == &load_arclib) {
		(void)mg_arclib_load(NULL, 0);
		return;
	}
	if (w == NULL) {
		mg_artifact_add(&j->a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "not scanned: worker out of memory");
		if (j->fd >= 0) {
			close(j->fd);
			atomic_fetch_sub(j->open_fds, 1);
			j->fd = -1;
		}
		return;
	}
	scan_job(&w->sc, w->o, j);
}

static int
on_file(void *arg, const char *fspath, const char *display, int sidecars,
    const char *root_real, const struct stat *st, int fd)
{
	struct collect *c = arg;
	struct job *j;
	const char *slash;
	char norm[MG_MAX_PATH_BYTES];

	/*
	 * One spelling per path, so that policy globs and pins match however
	 * the root was typed: "./models//a.gguf" is "models/a.gguf".
	 */
	display = mg_path_display(display, norm, sizeof(norm));
	if (c->o->want != NULL && !c->o->want(c->o->want_arg, display)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	/* Over the cap, the worker opens the path (and checks it). */
	if (fd >= 0 && atomic_load(&c->open_fds) >= c->max_fds) {
		close(fd);
		fd = -1;
	}
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		struct job **nj = realloc(c->jobs, ncap * sizeof(*nj));

		if (nj == NULL)
			goto nomem;
		c->jobs = nj;
		c->cap = ncap;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		goto nomem;
	mg_artifact_init(&j->a);
	j->fd = -1;
	j->open_fds = &c->open_fds;
	slash = strrchr(display, '/');
	j->fspath = strdup(fspath);
	j->sidecars = sidecars < 0 ? -1 : (sidecars & MG_WALK_SIDECARS) != 0;
	j->facts = sidecars < 0 || (sidecars & MG_WALK_FACTS) != 0 ||
	    c->nroots != 1;
	/*
	 * Tensor names are kept for the repository checks alone, and only a
	 * config.json beside the file or a shard index here or above (in a
	 * walk of one root) reads them: elsewhere the parsers do not keep
	 * them (a tree of safetensors files would hold tens of MB).
	 */
	j->a.skip_tensors = !j->facts;
	j->root_real = root_real != NULL ? strdup(root_real) : NULL;
	j->dev = st->st_dev;
	j->ino = st->st_ino;
	j->a.disk_dev = (uint64_t)st->st_dev;
	j->a.disk_ino = (uint64_t)st->st_ino;
	j->a.path = strdup(display);
	j->a.filename = strdup(slash != NULL ? slash + 1 : display);
	/* Without a working directory, the path as found is all we have. */
	if (!c->o->no_abspath)
		j->a.abspath = mg_path_abs_wd(&c->wd, display);
	if (j->fspath == NULL || j->a.path == NULL || j->a.filename == NULL ||
	    (!c->o->no_abspath && j->a.abspath == NULL) ||
	    (root_real != NULL && j->root_real == NULL)) {
		mg_artifact_free(&j->a);
		free(j->fspath);
		free(j->root_real);
		free(j);
		goto nomem;
	}
	c->jobs[c->n++] = j;
	if (fd >= 0) {
		j->fd = fd;
		j->size = (uint64_t)st->st_size;
		atomic_fetch_add(&c->open_fds, 1);
		fd = -1;
	}
	if (c->pool != NULL)
		mg_pool_submit_batched(c->pool, j);
	else
		scan_job(c->sc, c->o, j);
	return 0;
nomem:
	if (fd >= 0)
		close(fd);
	c->nomem = 1;
	return MG_ERR_NOMEM;
}

static void
on_idle(void *arg)
{
	struct collect *c = arg;

	if (c->pool != NULL)
		mg_pool_kick(c->pool);
}

/*
 * Keep a directory's listing for the repository checks, under the name
 * they give the directory: that of its files' paths as on_file spells
 * them ("./models//" lists "models").
 */
static void
on_listing(void *arg, const char *dir, size_t dirlen, char *const *names,
    size_t n)
{
	char raw[MG_MAX_PATH_BYTES], norm[MG_MAX_PATH_BYTES];
	const char *d, *slash;

	if (dirlen + 3 > sizeof(raw))
		return;
	memcpy(raw, dir, dirlen);
	memcpy(raw + dirlen, "/x", 3);
	d = mg_path_display(raw, norm, sizeof(norm));
	slash = strrchr(d, '/');
	/*
	 * Files right under "/" have the directory "" there, which the
	 * checks read as the working directory: no listing stands for it.
	 */
	if (slash == d)
		return;
	mg_dirlists_add(&((struct collect *)arg)->lists, d,
	    slash != NULL ? (size_t)(slash - d) : 0, names, n);
}

static int
add_err(struct mg_run *run, const char *path, const char *msg)
{
	if (run->nerrs == run->errs_cap) {
		size_t ncap = run->errs_cap ? run->errs_cap * 2 : 16;
		struct mg_walk_error *ne = realloc(run->errs,
		    ncap * sizeof(*ne));

		if (ne == NULL)
			return MG_ERR_NOMEM;
		run->errs = ne;
		run->errs_cap = ncap;
	}
	run->errs[run->nerrs].path = strdup(path);
	run->errs[run->nerrs].message = strdup(msg);
	if (run->errs[run->nerrs].path == NULL ||
	    run->errs[run->nerrs].message == NULL) {
		free(run->errs[run->nerrs].path);
		free(run->errs[run->nerrs].message);
		return MG_ERR_NOMEM;
	}
	run->nerrs++;
	return MG_OK;
}

static void
on_error(void *arg, const char *display, const char *msg, int leaf)
{
	struct collect *c = arg;
	char norm[MG_MAX_PATH_BYTES];

	/* Spelt as on_file spells the files, for the globs and the report. */
	display = mg_path_display(display, norm, sizeof(norm));
	if (display[0] == '\0')
		display = ".";
	/*
	 * A problem in a part of the tree the policy excludes is no concern;
	 * one that an include list merely fails to name is: what lies behind
	 * an unreadable directory or an unfollowed link is unknown.  So an
	 * exclude must cover all of that: the path itself for a link to a
	 * file or a pipe, else everything below it, at any depth ("*.md"
	 * does not exclude "evil.md/m.pkl").
	 */
	if (c->o->excluded != NULL &&
	    c->o->excluded(c->o->want_arg, display, !leaf))
		return;

	if (add_err(c->run, display, msg) != MG_OK)
		c->nomem = 1;
}

static int
cmp_art(const void *a, const void *b)
{
	const struct mg_artifact *x = *(struct mg_artifact *const *)a;
	const struct mg_artifact *y = *(struct mg_artifact *const *)b;
	int c = strcmp(x->path, y->path);

	/* Members of one name keep the order of their archive. */
	if (c == 0)
		c = x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
	return c;
}

/*
 * One artifact found twice by overlapping roots: the same file on disk
 * and the same place in it.  Two artifacts of one name (a file named
 * "x.zip!m.gguf" beside x.zip holding m.gguf) both stay.
 */
static int
same_art(const struct mg_artifact *x, const struct mg_artifact *y)
{
	return strcmp(x->path, y->path) == 0 && x->ordinal == y->ordinal &&
	    x->disk_dev == y->disk_dev && x->disk_ino == y->disk_ino;
}


/* A small file's text, cut at cap - 1 bytes; "" when it cannot be read. */
static void
slurp_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t k = fd >= 0 ? read(fd, buf, cap - 1) : -1;

	if (fd >= 0)
		close(fd);
	buf[k > 0 ? (size_t)k : 0] = '\0';
}

/* CPUs a CFS quota allows (quota / period, rounded up), or 0: none. */
static long
quota_cpus(int64_t quota, int64_t period)
{
	int64_t n;

	if (quota <= 0 || period <= 0 || quota > INT64_MAX - period)
		return 0;
	n = (quota + period - 1) / period;
	return n > 4096 ? 4096 : (long)n;
}

/*
 * The smallest quota on the way from cgroup rel up to the root of the
 * hierarchy mounted at dir: v2 reads cpu.max ("QUOTA PERIOD" or "max
 * PERIOD"), v1 cpu.cfs_quota_us and cpu.cfs_period_us.  0: none.
 */
static long
quota_up(const char *dir, char *rel, int v2)
{
	char path[1024], v[64], per[64];
	long best = 0, n;
	char *slash;

	for (;;) {
		const char *r = strcmp(rel, "/") == 0 ? "" : rel;
		long long q = 0, t = 0;

		if (v2) {
			snprintf(path, sizeof(path), "%s%s/cpu.max", dir, r);
			slurp_small(path, v, sizeof(v));
			if (sscanf(v, "%lld %lld", &q, &t) != 2)
				q = t = 0;
		} else {
			snprintf(path, sizeof(path), "%s%s/cpu.cfs_quota_us",
			    dir, r);
			slurp_small(path, v, sizeof(v));
			snprintf(path, sizeof(path), "%s%s/cpu.cfs_period_us",
			    dir, r);
			slurp_small(path, per, sizeof(per));
			q = strtoll(v, NULL, 10);
			t = strtoll(per, NULL, 10);
		}
		if ((n = quota_cpus(q, t)) > 0 && (best == 0 || n < best))
			best = n;
		if (strcmp(rel, "/") == 0 || (slash = strrchr(rel, '/')) ==
		    NULL)
			break;
		if (slash == rel)
			rel[1] = '\0';
		else
			*slash = '\0';
	}
	return best;
}

/*
 * The CPU quota of this process's cgroup and of every cgroup above it,
 * the smallest; 0 when none.  /proc/self/cgroup lists one line per
 * hierarchy, "ID:CONTROLLERS:/path": the v1 hierarchy whose controllers
 * include cpu (mounted at fs/cpu or fs/cpu,cpuacct), else the v2 one
 * ("0::/path", mounted at fs).  A container limited to two CPUs on a
 * 64-CPU node sees 64 online.
 */
long
mg_run_cgroup_cpus(const char *proc_cgroup, const char *fs)
{
	char list[4096], dir[640], *line, *save = NULL, *v2 = NULL;
	long n;

	slurp_small(proc_cgroup, list, sizeof(list));
	for (line = strtok_r(list, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *ctl = strchr(line, ':'), *rel, *c, *csave = NULL;

		if (ctl == NULL || (rel = strchr(++ctl, ':')) == NULL)
			continue;
		*rel++ = '\0';
		if (*rel != '/')
			continue;
		if (strcmp(line, "0:") == 0 && *ctl == '\0') {
			v2 = rel;
			continue;
		}
		for (c = strtok_r(ctl, ",", &csave); c != NULL;
		    c = strtok_r(NULL, ",", &csave))
			if (strcmp(c, "cpu") == 0) {
				char copy[2048];

				snprintf(copy, sizeof(copy), "%s", rel);
				snprintf(dir, sizeof(dir), "%s/cpu", fs);
				if ((n = quota_up(dir, copy, 0)) > 0)
					return n;
				snprintf(copy, sizeof(copy), "%s", rel);
				snprintf(dir, sizeof(dir), "%s/cpu,cpuacct", fs);
				return quota_up(dir, copy, 0);
			}
	}
	return v2 != NULL ? quota_up(fs, v2, 1) : 0;
}

unsigned
mg_run_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN), q;
	cpu_set_t set;

	/* CPUs this process may run on (taskset, a cpuset), and its quota. */
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0 &&
	    (n < 1 || CPU_COUNT(&set) < n))
		n = CPU_COUNT(&set);
	if ((q = mg_run_cgroup_cpus("/proc/self/cgroup",
	    "/sys/fs/cgroup")) > 0 && (n < 1 || q < n))
		n = q;
	return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

/*
 * Descriptors the walker may leave open in queued jobs: a quarter of the
 * headroom left once what is open now, the walk's directories (one per
 * level, counted as 64) and each worker's own (an archive, a sidecar, a
 * report: 8 each) are set aside.  0 under a tight limit: then every
 * worker opens its file itself, as it would without this.
 */
static size_t
fd_budget(unsigned jobs)
{
	struct pollfd pf[1024];
	struct rlimit rl;
	long used = 0, fd, top, probe;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 0;
	top = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536 ? 65536 :
	    (long)rl.rlim_cur;
	/* One poll answers for every low descriptor: POLLNVAL if closed. */
	probe = top < 1024 ? top : 1024;
	for (fd = 0; fd < probe; fd++) {
		pf[fd].fd = (int)fd;
		pf[fd].events = 0;
		pf[fd].revents = 0;
	}
	if (poll(pf, (nfds_t)probe, 0) < 0)
		return 0;
	for (fd = 0; fd < probe; fd++)
		if (!(pf[fd].revents & POLLNVAL))
			used++;
	top -= used + 64 + 8 * (long)jobs + 16;
	if (top <= 0)
		return 0;
	return top / 4 > 4096 ? 4096 : (size_t)(top / 4);
}

/*
 * Walk every root, scanning through the pool when there is one, else in
 * this thread with c->sc; then gather, sort and deduplicate.
 */
static int
run_walk(struct collect *c, char *const *roots, size_t nroots)
{
	struct mg_run *run = c->run;
	const struct mg_run_opts *o = c->o;
	struct mg_walk_ops wops;
	struct mg_walk_opts wo;
	struct timespec t0, t1;
	unsigned char *kinds;
	size_t i, k, u, total;
	int r = MG_OK;

	c->nroots = nroots;
	/* The walk opens files ahead only when asked (not in serve). */
	c->max_fds = o->open_ahead ? fd_budget(c->pool != NULL ? o->jobs : 1) :
	    0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	wops.file = on_file;
	wops.error = on_error;
	wops.idle = on_idle;
	wops.listing = on_listing;
	wops.arg = c;
	wo.follow_symlinks = o->scan.follow_symlinks;
	wo.open_files = o->open_ahead && c->max_fds > 0;
	/*
	 * A lone file root's directory is listed by the walk.  With many
	 * roots the checks list each directory once; the walk would list it
	 * for every file named in it.
	 */
	wo.list_parent = nroots == 1;
	/* What each root is, for the repository checks (no second stat). */
	if ((kinds = calloc(nroots ? nroots : 1, 1)) == NULL)
		c->nomem = 1;
	for (i = 0; i < nroots && !c->nomem; i++) {
		int kind;

		(void)mg_walk(roots[i], &wo, &wops, &kind);
		kinds[i] = (unsigned char)kind;
	}
	run->single_file = nroots == 1 && kinds != NULL &&
	    kinds[0] == MG_WALK_ROOT_FILE;
	if (c->pool != NULL)
		r = mg_pool_finish(c->pool);
	c->pool = NULL;
	if (r == MG_OK && c->nomem)
		r = MG_ERR_NOMEM;

	for (i = 0, total = 0; i < c->n; i++)
		total += 1 + c->jobs[i]->nmembers;
	if ((run->arts = calloc(total ? total : 1, sizeof(*run->arts))) == NULL)
		r = MG_ERR_NOMEM;
	for (i = 0, k = 0; i < c->n; i++) {
		struct job *j = c->jobs[i];
		size_t m;

		/*
		 * Members come in archive order: sorted here, each archive's
		 * lie in one run after it, and the whole list comes out as
		 * nearly sorted as the walk left it.
		 */
		if (j->nmembers > 1)
			qsort(j->members, j->nmembers, sizeof(*j->members),
			    cmp_art);
		for (m = 0; m < j->nmembers; m++) {
			if (run->arts != NULL)
				run->arts[k++] = j->members[m];	/* transferred */
			else {
				mg_artifact_free(j->members[m]);
				free(j->members[m]);
			}
		}
		free(j->members);

		if (!is_artifact(&j->a) && j->a.nfindings > 0 &&
		    add_err(run, j->a.path, j->a.findings[0].message) != MG_OK)
			r = MG_ERR_NOMEM;
		if (j->fd >= 0)		/* never scanned */
			close(j->fd);
		free(j->fspath);
		free(j->root_real);
		/*
		 * The artifact opens the job's allocation: the job becomes
		 * the artifact, freed as one (no copy of every artifact).
		 */
		if (run->arts != NULL && is_artifact(&j->a)) {
			run->arts[k++] = &j->a;		/* transferred */
			continue;
		}
		mg_artifact_free(&j->a);
		free(j);
	}
	free(c->jobs);
	mg_sort(run->arts, k, sizeof(*run->arts), cmp_art);
	/* Overlapping roots ("models models/a.gguf") report a file once. */
	for (i = 1, u = k > 0 ? 1 : 0; i < k; i++) {
		if (same_art(run->arts[i], run->arts[u - 1])) {
			mg_artifact_free(run->arts[i]);
			free(run->arts[i]);
			continue;
		}
		run->arts[u++] = run->arts[i];
	}
	run->n = u;
	run->cap = u;
	/* Checks across the files of each model directory (repo.h). */
	mg_dirlists_done(&c->lists);
	if (r == MG_OK && mg_repo_check(run, roots, kinds, nroots, o,
	    &c->lists) != MG_OK)
		r = MG_ERR_NOMEM;
	mg_dirlists_free(&c->lists);
	free(kinds);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	run->seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return r;
}

int
mg_run_scan(struct mg_run *run, char *const *roots, size_t nroots,
    const struct mg_run_opts *o)
{
	struct mg_pool_ops ops = { w_init, w_work, w_fini, NULL };
	struct collect c;
	int r;

	memset(run, 0, sizeof(*run));
	memset(&c, 0, sizeof(c));
	c.run = run;
	c.o = o;
	ops.arg = (void *)(uintptr_t)o;	/* workers only read it */
	if ((r = mg_pool_new(&c.pool, o->jobs, (size_t)o->jobs * 64, &ops)) !=
	    MG_OK)
		return r;
	/*
	 * The archive library loads on another core while the walk starts:
	 * on a worker when there are two or more, else on a thread of its
	 * own (the second core is free).  After the workers exist either
	 * way: pthread_create waits for the dynamic loader's lock, which
	 * dlopen holds.
	 */
	if (o->jobs >= 2)
		(void)mg_pool_submit(c.pool, &load_arclib);
	else
		mg_arclib_preload();
	return run_walk(&c, roots, nroots);
}

int
mg_run_scan_with(struct mg_run *run, char *const *roots, size_t nroots,
    const struct mg_run_opts *o, struct mg_scan_ctx *sc)
{
	struct collect c;

	memset(run, 0, sizeof(*run));
	memset(&c, 0, sizeof(c));
	c.run = run;
	c.o = o;
	c.sc = sc;
	/* Files may have changed since the context last read a directory. */
	mg_sidecars_free(&sc->side);
	return run_walk(&c, roots, nroots);
}

void
mg_run_free(struct mg_run *run)
{
	size_t i;

	if (run == NULL)
		return;
	for (i = 0; i < run->n; i++) {
		mg_artifact_free(run->arts[i]);
		free(run->arts[i]);
	}
	free(run->arts);
	for (i = 0; i < run->nerrs; i++) {
		free(run->errs[i].path);
		free(run->errs[i].message);
	}
	free(run->errs);
	memset(run, 0, sizeof(*run));
}
