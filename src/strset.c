/*
 * strset.c - open-addressing hash set of byte strings.
 *
 * Invariants: the table size is a power of two and at most 3/4 full; keys
 * are owned copies.  The FNV-1a hash is mixed with a per-set random seed.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "err.h"
#include "strset.h"

struct slot {
	unsigned char	*p;	/* NULL: empty */
	size_t		 n;
	uint64_t	 h;
};

struct mg_strset {
	struct slot	*t;
	size_t		 cap, count;
	uint64_t	 seed;
};

static uint64_t
hash_bytes(uint64_t seed, const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

/*
 * One random seed per process, set once before any set exists and only
 * read afterwards; each set mixes in its own address.
 */
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;
static uint64_t process_seed;

static void
seed_init(void)
{
	if (getrandom(&process_seed, sizeof(process_seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(process_seed))
		process_seed = (uint64_t)(uintptr_t)&process_seed ^ 0x5bd1e995ull;
}

struct mg_strset *
mg_strset_new(void)
{
	struct mg_strset *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cap = 64;
	s->t = calloc(s->cap, sizeof(*s->t));
	if (s->t == NULL) {
		free(s);
		return NULL;
	}
	pthread_once(&seed_once, seed_init);
	s->seed = process_seed ^ ((uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15ull);
	return s;
}

void
mg_strset_free(struct mg_strset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->cap; i++)
		free(s->t[i].p);
	free(s->t);
	free(s);
}

static struct slot *
find(const struct mg_strset *s, const unsigned char *p, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (s->cap - 1);

	for (;;) {
		struct slot *sl = &s->t[i];

		if (sl->p == NULL)
			return sl;
		if (sl->h == h && sl->n == n && memcmp(sl->p, p, n) == 0)
			return sl;
		i = (i + 1) & (s->cap - 1);
	}
}

static int
grow(struct mg_strset *s)
{
	struct slot *old = s->t, *nt;
	size_t oldcap = s->cap, i;

	if (s->cap > SIZE_MAX / 2 / sizeof(*nt))
		return MG_ERR_NOMEM;
	nt = calloc(s->cap * 2, sizeof(*nt));
	if (nt == NULL)
		return MG_ERR_NOMEM;
	s->t = nt;
	s->cap *= 2;
	for (i = 0; i < oldcap; i++)
		if (old[i].p != NULL)
			*find(s, old[i].p, old[i].n, old[i].h) = old[i];
	free(old);
	return MG_OK;
}

int
mg_strset_add(struct mg_strset *s, const void *p, size_t n)
{
	uint64_t h = hash_bytes(s->seed, p, n);
	struct slot *sl;

	if (s->count + 1 > s->cap / 4 * 3 && grow(s) != MG_OK)
		return MG_ERR_NOMEM;
	sl = find(s, p, n, h);
	if (sl->p != NULL)
		return 0;
	sl->p = malloc(n ? n : 1);
	if (sl->p == NULL)
		return MG_ERR_NOMEM;
	if (n)
		memcpy(sl->p, p, n);
	sl->n = n;
	sl->h = h;
	s->count++;
	return 1;
}

int
mg_strset_has(const struct mg_strset *s, const void *p, size_t n)
{
	uint64_t h = hash_bytes(s->seed, p, n);

	return find(s, p, n, h)->p != NULL;
}

size_t
mg_strset_count(const struct mg_strset *s)
{
	return s->count;
}
