/*
 * pool.c - bounded job queue and worker threads (pthreads).
 *
 * Invariants: the ring q[head .. head+count) holds queued jobs; `closing`
 * is set once, by mg_pool_finish, after the last submit.  Workers exit when
 * the queue is empty and closing is set.
 */
#include <pthread.h>
#include <stdlib.h>

#include "err.h"
#include "pool.h"

struct mg_pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 not_empty, not_full;
	void		**q;
	size_t		 qcap, head, count;
	int		 closing;
	unsigned	 idle;		/* workers waiting for a job */
	int		 submitter_waiting;
	pthread_t	*threads;
	unsigned	 nthreads;
	const struct mg_pool_ops *ops;
	int		 init_failed;
};

static void *
worker(void *arg)
{
	struct mg_pool *p = arg;
	void *wctx = p->ops->init(p->ops->arg);

	if (wctx == NULL) {
		pthread_mutex_lock(&p->mu);
		p->init_failed = 1;
		pthread_mutex_unlock(&p->mu);
	}
	for (;;) {
		void *job;

		pthread_mutex_lock(&p->mu);
		while (p->count == 0 && !p->closing) {
			p->idle++;
			pthread_cond_wait(&p->not_empty, &p->mu);
			p->idle--;
		}
		if (p->count == 0) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		job = p->q[p->head];
		p->head = (p->head + 1) % p->qcap;
		p->count--;
		/* Wake the walker only once there is room for a batch. */
		if (p->submitter_waiting && p->count <= p->qcap / 2)
			pthread_cond_signal(&p->not_full);
		pthread_mutex_unlock(&p->mu);
		/* A worker without scratch still drains: work() sees NULL. */
		p->ops->work(wctx, job);
	}
	if (wctx != NULL)
		p->ops->fini(wctx);
	return NULL;
}

int
mg_pool_new(struct mg_pool **out, unsigned nthreads, size_t qcap,
    const struct mg_pool_ops *ops)
{
	struct mg_pool *p;
	unsigned i;

	*out = NULL;
	if (nthreads < 1 || qcap < 1)
		return MG_ERR_INTERNAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return MG_ERR_NOMEM;
	p->q = calloc(qcap, sizeof(*p->q));
	p->threads = calloc(nthreads, sizeof(*p->threads));
	if (p->q == NULL || p->threads == NULL) {
		free(p->q);
		free(p->threads);
		free(p);
		return MG_ERR_NOMEM;
	}
	p->qcap = qcap;
	p->ops = ops;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->not_empty, NULL);
	pthread_cond_init(&p->not_full, NULL);
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
			break;
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		mg_pool_finish(p);
		return MG_ERR_NOMEM;
	}
	*out = p;
	return MG_OK;
}

static void
put(struct mg_pool *p, void *job, size_t wake_at)
{
	pthread_mutex_lock(&p->mu);
	while (p->count == p->qcap) {
		p->submitter_waiting = 1;
		pthread_cond_wait(&p->not_full, &p->mu);
		p->submitter_waiting = 0;
	}
	p->q[(p->head + p->count) % p->qcap] = job;
	p->count++;
	if (p->idle > 0 && (p->count >= wake_at || p->count == p->qcap))
		pthread_cond_signal(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
}

int
mg_pool_submit(struct mg_pool *p, void *job)
{
	put(p, job, 1);
	return MG_OK;
}

/*
 * A worker that ran dry sleeps; waking it costs two system calls and two
 * context switches, more than a small file's whole scan.  So a waiting
 * worker is woken for a batch, not for each job, and by mg_pool_kick when
 * the submitter is about to wait on something else.
 */
#define WAKE_BATCH	16

int
mg_pool_submit_batched(struct mg_pool *p, void *job)
{
	put(p, job, WAKE_BATCH);
	return MG_OK;
}

void
mg_pool_kick(struct mg_pool *p)
{
	pthread_mutex_lock(&p->mu);
	if (p->idle > 0 && p->count > 0)
		pthread_cond_broadcast(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
}

int
mg_pool_finish(struct mg_pool *p)
{
	unsigned i;
	int r;

	if (p == NULL)
		return MG_OK;
	pthread_mutex_lock(&p->mu);
	p->closing = 1;
	pthread_cond_broadcast(&p->not_empty);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	r = p->init_failed ? MG_ERR_NOMEM : MG_OK;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->not_empty);
	pthread_cond_destroy(&p->not_full);
	free(p->q);
	free(p->threads);
	free(p);
	return r;
}
