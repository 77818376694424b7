/*
 * hash.h - streaming SHA-256 through OpenSSL EVP.
 */
#ifndef MG_HASH_H
#define MG_HASH_H

#include <stddef.h>

struct mg_hash;

struct mg_hash *mg_hash_new(void);		/* NULL on failure */
void	mg_hash_free(struct mg_hash *h);	/* accepts NULL */
int	mg_hash_reset(struct mg_hash *h);
int	mg_hash_update(struct mg_hash *h, const void *p, size_t n);
/* Lowercase hex into out[65]; the context must be reset before reuse. */
int	mg_hash_final_hex(struct mg_hash *h, char out[65]);

/* One-shot SHA-256 of a buffer as lowercase hex. */
int	mg_sha256_hex(const void *p, size_t n, char out[65]);

#endif /* MG_HASH_H */
