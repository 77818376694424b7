/*
 * sign.c - HMAC-SHA256 of shard reports: see sign.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "err.h"
#include "sign.h"
#include "slurp.h"

/* The bytes before the 64 hex digits, and after them up to the brace. */
static const char head[] = ",\n\t\"" MG_SIGN_MEMBER "\":\t\"";
static const char tail[] = "\"\n}";

int
mg_sign_key_load(struct mg_sign_key *key, const char *file, char *err,
    size_t errlen)
{
	struct mg_slurp s;
	size_t n;

	memset(key, 0, sizeof(*key));
	if (mg_slurp(&s, file, -1, MG_SIGN_KEY_MAX, MG_SLURP_REGULAR) !=
	    MG_OK) {
		mg_slurp_msg(&s, file, MG_SIGN_KEY_MAX, err, errlen);
		free(s.buf);
		return MG_ERR_USAGE;
	}
	n = s.len;
	if (n > 0 && s.buf[n - 1] == '\n')
		n--;
	if (n > 0 && s.buf[n - 1] == '\r')
		n--;
	if (n < MG_SIGN_KEY_MIN) {
		snprintf(err, errlen, "%s: a key of at least %u bytes is needed "
		    "(e.g. openssl rand -hex 32)", file, MG_SIGN_KEY_MIN);
		OPENSSL_cleanse(s.buf, s.len);
		free(s.buf);
		return MG_ERR_USAGE;
	}
	key->k = (unsigned char *)s.buf;
	key->len = n;
	return MG_OK;
}

void
mg_sign_key_free(struct mg_sign_key *key)
{
	if (key == NULL || key->k == NULL)
		return;
	OPENSSL_cleanse(key->k, key->len);
	free(key->k);
	key->k = NULL;
	key->len = 0;
}

/*
 * Where the 64 hex digits start, and the length of the signed part (up to
 * the closing brace); 0 when the document does not end with the member.
 */
static size_t
locate(const char *doc, size_t len, size_t *signed_len)
{
	size_t h = sizeof(head) - 1, t = sizeof(tail) - 1, at;

	if (len > 0 && doc[len - 1] == '\n')
		len--;
	if (len < h + 64 + t || memcmp(doc + len - t, tail, t) != 0)
		return 0;
	at = len - t - 64;
	if (memcmp(doc + at - h, head, h) != 0 ||
	    strspn(doc + at, "0123456789abcdef") < 64)
		return 0;
	*signed_len = len;
	return at;
}

/* HMAC-SHA256 of doc[0..len) with the digits at `at` read as zeros. */
static int
mac(const char *doc, size_t len, size_t at, const struct mg_sign_key *key,
    unsigned char out[32])
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m != NULL ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM p[2];
	size_t outl = 0;
	int ok;

	p[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	p[1] = OSSL_PARAM_construct_end();
	ok = c != NULL && EVP_MAC_init(c, key->k, key->len, p) == 1 &&
	    EVP_MAC_update(c, (const unsigned char *)doc, at) == 1 &&
	    EVP_MAC_update(c, (const unsigned char *)MG_SIGN_ZEROS, 64) == 1 &&
	    EVP_MAC_update(c, (const unsigned char *)doc + at + 64,
	    len - at - 64) == 1 && EVP_MAC_final(c, out, &outl, 32) == 1 &&
	    outl == 32;
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
	return ok ? MG_OK : MG_ERR_INTERNAL;
}

int
mg_sign_doc(char *doc, size_t len, const struct mg_sign_key *key)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[32];
	size_t at, n, i;

	if ((at = locate(doc, len, &n)) == 0 ||
	    memcmp(doc + at, MG_SIGN_ZEROS, 64) != 0 ||
	    mac(doc, n, at, key, d) != MG_OK)
		return MG_ERR_INTERNAL;
	for (i = 0; i < 32; i++) {
		doc[at + 2 * i] = hex[d[i] >> 4];
		doc[at + 2 * i + 1] = hex[d[i] & 15];
	}
	return MG_OK;
}

int
mg_sign_present(const char *doc, size_t len)
{
	size_t n;

	return locate(doc, len, &n) != 0;
}

int
mg_sign_verify(const char *doc, size_t len, const struct mg_sign_key *key)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[32];
	char want[64];
	size_t at, n, i;

	if ((at = locate(doc, len, &n)) == 0)
		return -1;
	if (mac(doc, n, at, key, d) != MG_OK)
		return 0;
	for (i = 0; i < 32; i++) {
		want[2 * i] = hex[d[i] >> 4];
		want[2 * i + 1] = hex[d[i] & 15];
	}
	return CRYPTO_memcmp(want, doc + at, 64) == 0;
}
