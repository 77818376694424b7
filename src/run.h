/*
 * run.h - one scan over several roots: walk, fan out to the pool, collect
 * and sort.  The CLI and every later front end drive scans through this.
 */
#ifndef MG_RUN_H
#define MG_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "artifact.h"
#include "scan.h"

struct mg_run_opts {
	struct mg_scan_opts scan;
	unsigned	 jobs;		/* worker threads, >= 1 */
	/* Optional: 0 skips a file (policy include/exclude).  Walker thread. */
	int		(*want)(void *arg, const char *display);
	/*
	 * Optional: 1 when a path the walk could not enter, follow or read
	 * is excluded on purpose (policy exclude): the path itself, or with
	 * below set (a directory, a link to one or to nowhere yet), all
	 * that may lie below it.  Anything else the walk could not see
	 * stays a walk error: an include list never hides it, since a
	 * directory or link never matches a file glob.
	 */
	int		(*excluded)(void *arg, const char *display, int below);
	void		*want_arg;
	/*
	 * 1: the walker may open regular files for the workers (one short
	 * lookup); 0 for a run whose want skips most files (a shard, a file
	 * selection), which would open what it then skips.
	 */
	int		 open_ahead;
	/*
	 * 1: artifacts get no absolute path (mg_artifact.abspath), which
	 * only the inventory reports print: one less string per file.
	 */
	int		 no_abspath;
	/*
	 * Optional: called by the worker right after it scanned a model
	 * artifact (never for the other files of the tree), e.g. to render
	 * its report entry in parallel; must be thread-safe and touch only
	 * that artifact.
	 */
	void		(*post)(void *arg, struct mg_artifact *a);
	void		*post_arg;
	/* Optional: called by a worker after each file; must be thread-safe. */
	void		(*progress)(void *arg, uint64_t bytes);
	void		*progress_arg;
};

struct mg_walk_error {
	char	*path;
	char	*message;
};

struct mg_run {
	struct mg_artifact **arts;	/* sorted by path; owned */
	size_t		 n, cap;
	struct mg_walk_error *errs;	/* walk problems, in walk order */
	size_t		 nerrs, errs_cap;
	double		 seconds;	/* wall time of the scan */
	int		 single_file;	/* one root, a regular file when walked
					   (a link to one included) */
};

/*
 * Scan every root.  Every regular file below the roots is scanned; results
 * whose format is unknown and whose name claims no model format are
 * dropped (they are not model artifacts).  Returns MG_OK, or MG_ERR_NOMEM
 * when the run could not be carried out at all.
 */
int	mg_run_scan(struct mg_run *run, char *const *roots, size_t nroots,
	    const struct mg_run_opts *o);

/*
 * The same scan without a pool: walk and scan in the calling thread with
 * the caller's long-lived context (o->jobs is not used), for a server
 * whose own persistent workers each serve one request at a time.  The
 * context keeps its reader window and digest between calls; its cached
 * sidecars are dropped first, since files may have changed since.
 */
int	mg_run_scan_with(struct mg_run *run, char *const *roots, size_t nroots,
	    const struct mg_run_opts *o, struct mg_scan_ctx *sc);
void	mg_run_free(struct mg_run *run);

/*
 * Worker threads by default: the online CPUs, narrowed by the CPU
 * affinity and the cgroup CPU quota (1 to 256).
 */
unsigned mg_run_default_jobs(void);
/*
 * The CPUs the cgroup quotas allow (the smallest along the path in
 * proc_cgroup, a /proc/self/cgroup, under the cgroup file system fs), or 0
 * when there is none.
 */
long	mg_run_cgroup_cpus(const char *proc_cgroup, const char *fs);

#endif /* MG_RUN_H */
