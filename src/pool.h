/*
 * pool.h - a fixed set of worker threads fed through a bounded queue.
 *
 * Submitting blocks while the queue is full, so the walker never runs far
 * ahead of the workers and memory stays bounded.  Each worker owns a
 * context made once by init(); work() runs a job with it and cannot fail
 * (its outcome goes into the job).  No thread is created per job.
 */
#ifndef MG_POOL_H
#define MG_POOL_H

#include <stddef.h>

struct mg_pool;

struct mg_pool_ops {
	void	*(*init)(void *arg);		/* per worker; NULL = failure */
	void	 (*work)(void *wctx, void *job);
	void	 (*fini)(void *wctx);
	void	*arg;
};

/* Start nthreads workers (>= 1) with a queue of qcap jobs (>= 1). */
int	mg_pool_new(struct mg_pool **out, unsigned nthreads, size_t qcap,
	    const struct mg_pool_ops *ops);

/* Queue a job (borrowed until mg_pool_finish returns); blocks when full. */
int	mg_pool_submit(struct mg_pool *p, void *job);

/*
 * Queue a job, waking a waiting worker only once a batch is queued (or the
 * queue is full): for a producer of many quick jobs, which calls
 * mg_pool_kick before anything that may block it and finishes with
 * mg_pool_finish.
 */
int	mg_pool_submit_batched(struct mg_pool *p, void *job);
/* Wake the waiting workers for whatever is queued. */
void	mg_pool_kick(struct mg_pool *p);

/* Wait for every submitted job, stop the workers and free the pool. */
int	mg_pool_finish(struct mg_pool *p);

#endif /* MG_POOL_H */
