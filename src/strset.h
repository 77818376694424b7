/*
 * strset.h - a set of byte strings for duplicate detection (metadata keys,
 * tensor names, JSON members).  Lookups are O(1) on average; the hash is
 * seeded per set so crafted collisions cannot be precomputed.
 */
#ifndef MG_STRSET_H
#define MG_STRSET_H

#include <stddef.h>

struct mg_strset;

struct mg_strset *mg_strset_new(void);		/* NULL on failure */
void	mg_strset_free(struct mg_strset *s);	/* accepts NULL */

/*
 * Add s[0..n) (copied).  Returns 1 when added, 0 when already present,
 * MG_ERR_NOMEM on failure.
 */
int	mg_strset_add(struct mg_strset *s, const void *p, size_t n);
int	mg_strset_has(const struct mg_strset *s, const void *p, size_t n);
size_t	mg_strset_count(const struct mg_strset *s);

#endif /* MG_STRSET_H */
