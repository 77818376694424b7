/*
 * hash.c - SHA-256 through OpenSSL's EVP interface.
 *
 * The digest is fetched once per process: naming EVP_sha256() on every
 * initialisation would look the implementation up again each time.
 * Contexts are reused across artifacts by each worker, so no allocation
 * happens per file.
 */
#include <pthread.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "err.h"
#include "hash.h"

struct mg_hash {
	EVP_MD_CTX	*ctx;
};

static pthread_once_t	 sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD		*sha256_fetched;

static void
sha256_fetch(void)
{
	/*
	 * Only digests are used: the tables that map every cipher and
	 * digest name for lookups by name are not needed, and building
	 * them costs more than the rest of the start-up of a small scan.
	 * Nor is the system's openssl.cnf (parsing it takes longer than
	 * the rest of the start-up): no setting in it changes a SHA-256.
	 */
	(void)OPENSSL_init_crypto(OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
	    OPENSSL_INIT_NO_ADD_ALL_DIGESTS | OPENSSL_INIT_NO_LOAD_CONFIG,
	    NULL);
	sha256_fetched = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static const EVP_MD *
sha256(void)
{
	(void)pthread_once(&sha256_once, sha256_fetch);
	return sha256_fetched != NULL ? sha256_fetched : EVP_sha256();
}

struct mg_hash *
mg_hash_new(void)
{
	struct mg_hash *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL || mg_hash_reset(h) != MG_OK) {
		mg_hash_free(h);
		return NULL;
	}
	return h;
}

void
mg_hash_free(struct mg_hash *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

int
mg_hash_reset(struct mg_hash *h)
{
	return EVP_DigestInit_ex(h->ctx, sha256(), NULL) == 1 ?
	    MG_OK : MG_ERR_INTERNAL;
}

int
mg_hash_update(struct mg_hash *h, const void *p, size_t n)
{
	return EVP_DigestUpdate(h->ctx, p, n) == 1 ? MG_OK : MG_ERR_INTERNAL;
}

static void
to_hex(const unsigned char *md, unsigned n, char out[65])
{
	static const char hx[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < n && i < 32; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[2 * i] = '\0';
}

int
mg_hash_final_hex(struct mg_hash *h, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	out[0] = '\0';
	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
		return MG_ERR_INTERNAL;
	to_hex(md, n, out);
	return MG_OK;
}

int
mg_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	out[0] = '\0';
	if (EVP_Digest(p, n, md, &len, sha256(), NULL) != 1 || len != 32)
		return MG_ERR_INTERNAL;
	to_hex(md, len, out);
	return MG_OK;
}
