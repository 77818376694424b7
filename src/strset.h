/*
 * strset.h - a set of byte strings for duplicate detection (metadata keys,
 * tensor names, JSON members).  Lookups are O(1) on average; the hash is
 * seeded per set so crafted collisions cannot be precomputed.
 */
#ifndef MG_STRSET_H
#define MG_STRSET_H

#include <stddef.h>
#include <stdint.h>

struct mg_strset;

struct mg_strset *mg_strset_new(void);		/* NULL on failure */
/*
 * A set with room for expect strings of bytes bytes in all before it
 * grows (a hint: more still fit).  NULL on failure.
 */
struct mg_strset *mg_strset_new_sized(size_t expect, size_t bytes);
void	mg_strset_free(struct mg_strset *s);	/* accepts NULL */

/*
 * Add s[0..n) (copied).  Returns 1 when added, 0 when already present,
 * MG_ERR_NOMEM on failure.
 */
int	mg_strset_add(struct mg_strset *s, const void *p, size_t n);
int	mg_strset_has(const struct mg_strset *s, const void *p, size_t n);
size_t	mg_strset_count(const struct mg_strset *s);

/*
 * A map of byte strings to size_t values (an index into the caller's
 * array, say), with the set's seeded hash: O(1) lookups on average.
 */
struct mg_strmap;

struct mg_strmap *mg_strmap_new(void);		/* NULL on failure */
void	mg_strmap_free(struct mg_strmap *m);	/* accepts NULL */

/*
 * Map p[0..n) (copied) to *val unless it is mapped already.  Returns 1
 * when added, 0 when present (then *val is set to the value it has, the
 * first one put), MG_ERR_NOMEM on failure (the map is unchanged).
 */
int	mg_strmap_put(struct mg_strmap *m, const void *p, size_t n,
	    size_t *val);
/* 1 and *val set when p[0..n) is mapped, 0 when not. */
int	mg_strmap_get(const struct mg_strmap *m, const void *p, size_t n,
	    size_t *val);
size_t	mg_strmap_count(const struct mg_strmap *m);

/*
 * A set of keyed 128-bit digests of byte strings: duplicate detection over
 * up to millions of keys in one table of plain integers (16 bytes a slot,
 * no copy of the strings, no allocation per entry).  Two distinct strings
 * collide with probability about 2^-128 per pair under a random key, so
 * the set answers like an exact one (see strset.c).
 */
struct mg_keyset;

/* A set sized for expect entries without growing; NULL on failure. */
struct mg_keyset *mg_keyset_new(size_t expect);
void	mg_keyset_free(struct mg_keyset *k);		/* accepts NULL */

/* 1: added, 0: already present, MG_ERR_NOMEM. */
int	mg_keyset_add(struct mg_keyset *k, const void *p, size_t n);
int	mg_keyset_has(const struct mg_keyset *k, const void *p, size_t n);

/* Bytes held now; bytes the table would hold after the next add. */
size_t	mg_keyset_bytes(const struct mg_keyset *k);
size_t	mg_keyset_bytes_next(const struct mg_keyset *k);

/*
 * A 64-bit hash of the pair of byte strings (a, b) under one random key
 * per process (SipHash-2-4 of a's length, a and b): for hash tables of
 * names from the input, whose slots no input can be crafted to share.
 */
uint64_t mg_strhash_pair(const void *a, size_t an, const void *b, size_t bn);

#endif /* MG_STRSET_H */
