/*
 * strset.c - open-addressing hash set of byte strings.
 *
 * Invariants: the table size is a power of two and at most 3/4 full; keys
 * are owned copies, back to back in one arena per set.  The hash is mixed
 * with a per-set random seed.
 *
 * mg_keyset keeps no strings, only SipHash-2-4 digests (128-bit output)
 * under a 128-bit key per set, derived from one random process key.
 * SipHash is a PRF: without the key, no input can be crafted to collide,
 * so for n distinct strings a false "already present" has probability at
 * most n^2 / 2^129, about 2^-89 for the 2^20 keys a GGUF file may hold.
 * A table at most half full (open addressing, linear probing) costs 32
 * bytes per expected key.
 *
 * mg_strmap is an mg_strset whose strings each carry a value: the arena
 * holds the value's bytes right before each string.  mg_strhash_pair is
 * SipHash-2-4 (64-bit output) under the same random process key.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "err.h"
#include "strset.h"

/* off: 1 + the string's offset in the arena; 0 marks an empty slot. */
struct slot {
	size_t		 off;
	size_t		 n;
	uint64_t	 h;
};

#define INLINE_SLOTS	16u	/* most sets hold a few dozen names at most */

struct mg_strset {
	struct slot	*t;
	size_t		 cap, count;
	uint64_t	 seed;
	unsigned char	*arena;		/* the strings, back to back */
	size_t		 alen, acap;
	struct slot	 inl[INLINE_SLOTS];	/* t until the set grows */
};

/*
 * FNV-1a's structure over 8-byte words (the tail zero-padded, the length
 * mixed in first so padding cannot alias), then a murmur finaliser.
 */
static uint64_t
hash_bytes(uint64_t seed, const unsigned char *p, size_t n)
{
	uint64_t h = (0xcbf29ce484222325ull ^ seed) + n, w;
	size_t i = 0;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	if (i < n) {
		w = 0;
		memcpy(&w, p + i, n - i);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
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

/*
 * One allocation for a new set: the table starts inline (a few hundred
 * bytes, which malloc serves from its small bins) and the strings share
 * one arena, so a set costs no allocation per string.
 */
static void
set_init(struct mg_strset *s)
{
	s->cap = INLINE_SLOTS;
	s->t = s->inl;
	pthread_once(&seed_once, seed_init);
	s->seed = process_seed ^ ((uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15ull);
}

struct mg_strset *
mg_strset_new(void)
{
	struct mg_strset *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	set_init(s);
	return s;
}

struct mg_strset *
mg_strset_new_sized(size_t expect, size_t bytes)
{
	struct mg_strset *s = mg_strset_new();
	size_t cap = INLINE_SLOTS;

	if (s == NULL)
		return NULL;
	while (cap / 4 * 3 < expect && cap < SIZE_MAX / 4 / sizeof(struct slot))
		cap *= 2;
	if (cap > INLINE_SLOTS) {
		if ((s->t = calloc(cap, sizeof(*s->t))) == NULL)
			goto fail;
		s->cap = cap;
	}
	if (bytes > 0) {
		if ((s->arena = malloc(bytes)) == NULL)
			goto fail;
		s->acap = bytes;
	}
	return s;
fail:
	mg_strset_free(s);
	return NULL;
}

static void
set_fini(struct mg_strset *s)
{
	if (s->t != s->inl)
		free(s->t);
	free(s->arena);
}

void
mg_strset_free(struct mg_strset *s)
{
	if (s == NULL)
		return;
	set_fini(s);
	free(s);
}

static struct slot *
find(const struct mg_strset *s, const unsigned char *p, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (s->cap - 1);

	for (;;) {
		struct slot *sl = &s->t[i];

		if (sl->off == 0)
			return sl;
		if (sl->h == h && sl->n == n &&
		    memcmp(s->arena + sl->off - 1, p, n) == 0)
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
	/* Rehash by the stored hashes: strings are distinct, no compare. */
	for (i = 0; i < oldcap; i++)
		if (old[i].off != 0) {
			size_t j = (size_t)old[i].h & (s->cap - 1);

			while (nt[j].off != 0)
				j = (j + 1) & (s->cap - 1);
			nt[j] = old[i];
		}
	if (old != s->inl)
		free(old);
	return MG_OK;
}

/* Room for n more arena bytes. */
static int
arena_room(struct mg_strset *s, size_t n)
{
	size_t ncap;
	unsigned char *na;

	if (n <= s->acap - s->alen)
		return MG_OK;
	if (n > SIZE_MAX / 2 - s->alen)
		return MG_ERR_NOMEM;
	ncap = s->acap ? s->acap : 1000;	/* a small-bin request */
	while (ncap - s->alen < n)
		ncap *= 2;
	if ((na = realloc(s->arena, ncap)) == NULL)
		return MG_ERR_NOMEM;
	s->arena = na;
	s->acap = ncap;
	return MG_OK;
}

/*
 * Add p[0..n) with pre bytes of room before it in the arena (a map's
 * value).  1: added, 0: present (*out is its slot either way), NOMEM.
 */
static int
set_put(struct mg_strset *s, const void *p, size_t n, size_t pre,
    struct slot **out)
{
	uint64_t h = hash_bytes(s->seed, p, n);
	struct slot *sl;

	if (s->count + 1 > s->cap / 4 * 3 && grow(s) != MG_OK)
		return MG_ERR_NOMEM;
	sl = find(s, p, n, h);
	*out = sl;
	if (sl->off != 0)
		return 0;
	if (n > SIZE_MAX - pre || arena_room(s, n + pre) != MG_OK)
		return MG_ERR_NOMEM;
	if (n)
		memcpy(s->arena + s->alen + pre, p, n);
	sl->off = s->alen + pre + 1;
	s->alen += pre + n;
	sl->n = n;
	sl->h = h;
	s->count++;
	return 1;
}

int
mg_strset_add(struct mg_strset *s, const void *p, size_t n)
{
	struct slot *sl;

	return set_put(s, p, n, 0, &sl);
}

int
mg_strset_has(const struct mg_strset *s, const void *p, size_t n)
{
	uint64_t h = hash_bytes(s->seed, p, n);

	return find(s, p, n, h)->off != 0;
}

size_t
mg_strset_count(const struct mg_strset *s)
{
	return s->count;
}

/* A map: the value (a size_t, unaligned) right before each string. */
struct mg_strmap {
	struct mg_strset set;
};

#define VAL_BYTES	sizeof(size_t)

static size_t
slot_val(const struct mg_strset *s, const struct slot *sl)
{
	size_t v;

	memcpy(&v, s->arena + sl->off - 1 - VAL_BYTES, VAL_BYTES);
	return v;
}

struct mg_strmap *
mg_strmap_new(void)
{
	struct mg_strmap *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	set_init(&m->set);
	return m;
}

void
mg_strmap_free(struct mg_strmap *m)
{
	if (m == NULL)
		return;
	set_fini(&m->set);
	free(m);
}

int
mg_strmap_put(struct mg_strmap *m, const void *p, size_t n, size_t *val)
{
	struct slot *sl;
	int r = set_put(&m->set, p, n, VAL_BYTES, &sl);

	if (r == 1)
		memcpy(m->set.arena + sl->off - 1 - VAL_BYTES, val, VAL_BYTES);
	else if (r == 0)
		*val = slot_val(&m->set, sl);
	return r;
}

int
mg_strmap_get(const struct mg_strmap *m, const void *p, size_t n,
    size_t *val)
{
	const struct slot *sl = find(&m->set, p, n,
	    hash_bytes(m->set.seed, p, n));

	if (sl->off == 0)
		return 0;
	*val = slot_val(&m->set, sl);
	return 1;
}

size_t
mg_strmap_count(const struct mg_strmap *m)
{
	return m->set.count;
}

/* SipHash-2-4 with a 128-bit output (Aumasson and Bernstein). */
#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void
siphash128(const uint64_t key[2], const unsigned char *p, size_t n,
    uint64_t out[2])
{
	uint64_t v0 = 0x736f6d6570736575ull ^ key[0];
	uint64_t v1 = 0x646f72616e646f6dull ^ key[1] ^ 0xee;
	uint64_t v2 = 0x6c7967656e657261ull ^ key[0];
	uint64_t v3 = 0x7465646279746573ull ^ key[1];
	uint64_t m, b = (uint64_t)n << 56;
	size_t i, left = n & 7;

	for (i = 0; i + 8 <= n; i += 8) {
		m = le64(p + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	while (left > 0) {
		left--;
		b |= (uint64_t)p[i + left] << (8 * left);
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xee;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	out[0] = v0 ^ v1 ^ v2 ^ v3;
	v1 ^= 0xdd;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	out[1] = v0 ^ v1 ^ v2 ^ v3;
}

struct mg_keyset {
	uint64_t	(*t)[2];	/* {0, 0}: empty */
	size_t		 cap, count;
	uint64_t	 key[2];
};

static size_t
keyset_cap(size_t expect)
{
	size_t cap = 16;

	while (cap / 2 < expect && cap <= SIZE_MAX / 4 / sizeof(uint64_t[2]))
		cap *= 2;
	return cap;
}

/*
 * One random 128-bit key per process, read once; each set's key is the
 * SipHash of its address under it.  Without the process key a set's key
 * is as unpredictable as a fresh random one, and a set costs no
 * getrandom() call (a file may make several sets).
 */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static uint64_t process_key[2];

static void
key_init(void)
{
	if (getrandom(process_key, sizeof(process_key), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(process_key)) {
		/* No entropy yet: the process seed and an address. */
		pthread_once(&seed_once, seed_init);
		process_key[0] = process_seed;
		process_key[1] = (uint64_t)(uintptr_t)&process_key *
		    0x9e3779b97f4a7c15ull;
	}
}

struct mg_keyset *
mg_keyset_new(size_t expect)
{
	struct mg_keyset *k = calloc(1, sizeof(*k));
	uint64_t addr;

	if (k == NULL)
		return NULL;
	k->cap = keyset_cap(expect);
	if ((k->t = calloc(k->cap, sizeof(*k->t))) == NULL) {
		free(k);
		return NULL;
	}
	pthread_once(&key_once, key_init);
	addr = (uint64_t)(uintptr_t)k;
	siphash128(process_key, (const unsigned char *)&addr, sizeof(addr),
	    k->key);
	return k;
}

void
mg_keyset_free(struct mg_keyset *k)
{
	if (k == NULL)
		return;
	free(k->t);
	free(k);
}

static void
digest(const struct mg_keyset *k, const void *p, size_t n, uint64_t d[2])
{
	siphash128(k->key, p, n, d);
	if (d[0] == 0 && d[1] == 0)
		d[0] = 1;	/* {0, 0} marks an empty slot */
}

static uint64_t *
kfind(const struct mg_keyset *k, const uint64_t d[2])
{
	size_t i = (size_t)d[0] & (k->cap - 1);

	for (;;) {
		uint64_t *sl = k->t[i];

		if ((sl[0] == 0 && sl[1] == 0) ||
		    (sl[0] == d[0] && sl[1] == d[1]))
			return sl;
		i = (i + 1) & (k->cap - 1);
	}
}

size_t
mg_keyset_bytes(const struct mg_keyset *k)
{
	return k->cap * sizeof(*k->t);
}

size_t
mg_keyset_bytes_next(const struct mg_keyset *k)
{
	if (k->count + 1 > k->cap / 2)
		return 2 * k->cap * sizeof(*k->t);
	return k->cap * sizeof(*k->t);
}

int
mg_keyset_add(struct mg_keyset *k, const void *p, size_t n)
{
	uint64_t d[2], *sl;
	size_t i;

	if (k->count + 1 > k->cap / 2) {
		uint64_t (*old)[2] = k->t;
		size_t oldcap = k->cap;

		if (k->cap > SIZE_MAX / 2 / sizeof(*k->t))
			return MG_ERR_NOMEM;
		if ((k->t = calloc(k->cap * 2, sizeof(*k->t))) == NULL) {
			k->t = old;
			return MG_ERR_NOMEM;
		}
		k->cap *= 2;
		for (i = 0; i < oldcap; i++)
			if (old[i][0] != 0 || old[i][1] != 0) {
				sl = kfind(k, old[i]);
				sl[0] = old[i][0];
				sl[1] = old[i][1];
			}
		free(old);
	}
	digest(k, p, n, d);
	sl = kfind(k, d);
	if (sl[0] != 0 || sl[1] != 0)
		return 0;
	sl[0] = d[0];
	sl[1] = d[1];
	k->count++;
	return 1;
}

int
mg_keyset_has(const struct mg_keyset *k, const void *p, size_t n)
{
	uint64_t d[2], *sl;

	if (k->count == 0)	/* most sets of sanitised keys stay empty */
		return 0;
	digest(k, p, n, d);
	sl = kfind(k, d);
	return sl[0] != 0 || sl[1] != 0;
}

/* The first n < 8 bytes at p as a little-endian word. */
static uint64_t
le_part(const unsigned char *p, size_t n)
{
	uint64_t v = 0;

	while (n > 0) {
		n--;
		v = v << 8 | p[n];
	}
	return v;
}

/*
 * SipHash-2-4 with its 64-bit output over the message: a's length as
 * 8 little-endian bytes, a, b.  The pieces are read in place, carrying
 * a partial word from a into b, so no copy of the pair is made.
 */
uint64_t
mg_strhash_pair(const void *a, size_t an, const void *b, size_t bn)
{
	const unsigned char *pieces[2] = { a, b }, *p;
	size_t lens[2] = { an, bn }, fill = 0, i, n;
	uint64_t v0, v1, v2, v3, m, carry = 0;
	int k;

	pthread_once(&key_once, key_init);
	v0 = 0x736f6d6570736575ull ^ process_key[0];
	v1 = 0x646f72616e646f6dull ^ process_key[1];
	v2 = 0x6c7967656e657261ull ^ process_key[0];
	v3 = 0x7465646279746573ull ^ process_key[1];
#define SIPBLOCK(w) do {						\
	m = (w);							\
	v3 ^= m;							\
	SIPROUND;							\
	SIPROUND;							\
	v0 ^= m;							\
} while (0)
	/* a's length first: the pair is one message, whatever the bytes. */
	SIPBLOCK((uint64_t)an);
	for (k = 0; k < 2; k++) {
		p = pieces[k];
		n = lens[k];
		i = 0;
		if (fill > 0) {
			i = 8 - fill < n ? 8 - fill : n;
			carry |= le_part(p, i) << (8 * fill);
			fill += i;
			if (fill < 8)
				continue;
			SIPBLOCK(carry);
			fill = 0;
		}
		for (; n - i >= 8; i += 8)
			SIPBLOCK(le64(p + i));
		carry = le_part(p + i, n - i);
		fill = n - i;
	}
	SIPBLOCK(carry | (uint64_t)(8 + an + bn) << 56);
#undef SIPBLOCK
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
