/*
 * hasher.c - a digest fed on another core (see hasher.h).
 *
 * One producer (the worker) and one consumer (the hasher thread) share a
 * ring of NSLOT buffers under one mutex.  The consumer digests a slot with
 * the mutex released; the producer copies into a free slot likewise.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "hasher.h"

#define NSLOT	8
#define SLOTSZ	(256u * 1024u)

struct mg_hasher {
	pthread_t	 t;
	pthread_mutex_t	 mu;
	pthread_cond_t	 more;		/* a slot was filled, or quit */
	pthread_cond_t	 room;		/* a slot was freed */
	unsigned char	*buf;		/* NSLOT x SLOTSZ */
	size_t		 len[NSLOT];
	size_t		 head, count;	/* next slot to digest; slots full */
	int		 digesting;	/* the consumer holds slot head */
	struct mg_hash	*h;
	int		 err;
	int		 quit;
};

static void *
run(void *arg)
{
	struct mg_hasher *hs = arg;

	pthread_mutex_lock(&hs->mu);
	for (;;) {
		size_t slot;

		while (hs->count == 0 && !hs->quit)
			pthread_cond_wait(&hs->more, &hs->mu);
		if (hs->count == 0 && hs->quit)
			break;
		slot = hs->head;
		hs->digesting = 1;
		pthread_mutex_unlock(&hs->mu);
		if (hs->err == MG_OK && mg_hash_update(hs->h,
		    hs->buf + slot * SLOTSZ, hs->len[slot]) != MG_OK)
			hs->err = MG_ERR_INTERNAL;
		pthread_mutex_lock(&hs->mu);
		hs->digesting = 0;
		hs->head = (hs->head + 1) % NSLOT;
		hs->count--;
		pthread_cond_signal(&hs->room);
	}
	pthread_mutex_unlock(&hs->mu);
	return NULL;
}

struct mg_hasher *
mg_hasher_new(void)
{
	struct mg_hasher *hs = calloc(1, sizeof(*hs));

	if (hs == NULL)
		return NULL;
	if ((hs->buf = malloc((size_t)NSLOT * SLOTSZ)) == NULL) {
		free(hs);
		return NULL;
	}
	pthread_mutex_init(&hs->mu, NULL);
	pthread_cond_init(&hs->more, NULL);
	pthread_cond_init(&hs->room, NULL);
	if (pthread_create(&hs->t, NULL, run, hs) != 0) {
		pthread_cond_destroy(&hs->room);
		pthread_cond_destroy(&hs->more);
		pthread_mutex_destroy(&hs->mu);
		free(hs->buf);
		free(hs);
		return NULL;
	}
	return hs;
}

void
mg_hasher_free(struct mg_hasher *hs)
{
	if (hs == NULL)
		return;
	pthread_mutex_lock(&hs->mu);
	hs->quit = 1;
	pthread_cond_signal(&hs->more);
	pthread_mutex_unlock(&hs->mu);
	pthread_join(hs->t, NULL);
	pthread_cond_destroy(&hs->room);
	pthread_cond_destroy(&hs->more);
	pthread_mutex_destroy(&hs->mu);
	free(hs->buf);
	free(hs);
}

void
mg_hasher_begin(struct mg_hasher *hs, struct mg_hash *h)
{
	pthread_mutex_lock(&hs->mu);
	hs->h = h;
	hs->err = MG_OK;
	pthread_mutex_unlock(&hs->mu);
}

int
mg_hasher_feed(struct mg_hasher *hs, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n > 0) {
		size_t k = n < SLOTSZ ? n : SLOTSZ, slot;

		pthread_mutex_lock(&hs->mu);
		while (hs->count == NSLOT)
			pthread_cond_wait(&hs->room, &hs->mu);
		slot = (hs->head + hs->count) % NSLOT;
		pthread_mutex_unlock(&hs->mu);
		/* The slot is free: only the producer writes it until queued. */
		memcpy(hs->buf + slot * SLOTSZ, s, k);
		hs->len[slot] = k;
		pthread_mutex_lock(&hs->mu);
		hs->count++;
		pthread_cond_signal(&hs->more);
		pthread_mutex_unlock(&hs->mu);
		s += k;
		n -= k;
	}
	return MG_OK;
}

int
mg_hasher_wait(struct mg_hasher *hs)
{
	int err;

	pthread_mutex_lock(&hs->mu);
	while (hs->count > 0)
		pthread_cond_wait(&hs->room, &hs->mu);
	err = hs->err;
	hs->h = NULL;
	pthread_mutex_unlock(&hs->mu);
	return err;
}
