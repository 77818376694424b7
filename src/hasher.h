/*
 * hasher.h - a digest fed on another core.
 *
 * Reading an archive costs two digests of about the same bytes: the file's
 * own (the archive as stored) and each member's (the bytes expanded).  A
 * worker hands the file's bytes to its hasher, a thread made once with the
 * worker and kept, so that the two digests run side by side.  The bytes are
 * copied into a small ring, so the reader may reuse its window at once;
 * they are digested in the order given.
 */
#ifndef MG_HASHER_H
#define MG_HASHER_H

#include <stddef.h>

struct mg_hash;
struct mg_hasher;

/* NULL when the thread or the ring cannot be made. */
struct mg_hasher *mg_hasher_new(void);
void	mg_hasher_free(struct mg_hasher *hs);	/* accepts NULL */

/* Digest the bytes fed from now on into h (until mg_hasher_wait). */
void	mg_hasher_begin(struct mg_hasher *hs, struct mg_hash *h);

/* Queue n bytes; blocks while the ring is full.  MG_OK or an error. */
int	mg_hasher_feed(struct mg_hasher *hs, const void *p, size_t n);

/*
 * Wait until every byte fed is digested and detach the digest.  Returns
 * MG_OK, or the first error of the digest.
 */
int	mg_hasher_wait(struct mg_hasher *hs);

#endif /* MG_HASHER_H */
