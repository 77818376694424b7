/*
 * sign.h - shard reports signed with a key the CI jobs share.
 *
 * A merge can recompute every verdict and count from the findings, but
 * not tell a finding deleted or marked suppressed consistently.  With a
 * secret key given to every `scan --shard` and to `merge`, each shard's
 * JSON report ends with an HMAC-SHA256 of its own bytes; a report edited
 * by someone without the key no longer verifies.
 *
 * The signature is the last member of the report, written as
 *	,\n\t"signature":\t"<64 lowercase hex>"\n}
 * and covers every byte of the document up to and including its closing
 * brace, with the 64 hex digits replaced by '0'.
 */
#ifndef MG_SIGN_H
#define MG_SIGN_H

#include <stddef.h>

#define MG_SIGN_KEY_MIN	16u	/* bytes of key at least */
#define MG_SIGN_KEY_MAX	4096u	/* bytes of key file at most */

/* The member name and the placeholder value writers put last. */
#define MG_SIGN_MEMBER	"signature"
#define MG_SIGN_ZEROS	\
	"0000000000000000000000000000000000000000000000000000000000000000"

struct mg_sign_key {
	unsigned char	*k;
	size_t		 len;
};

/*
 * Read a key file: its bytes, one trailing newline (LF or CRLF) dropped;
 * at least MG_SIGN_KEY_MIN of them.  MG_OK, or MG_ERR_USAGE with err set.
 */
int	mg_sign_key_load(struct mg_sign_key *key, const char *file, char *err,
	    size_t errlen);
void	mg_sign_key_free(struct mg_sign_key *key);	/* accepts NULL */

/*
 * doc[0..len) ends with the signature member holding MG_SIGN_ZEROS (and
 * optionally a newline after the brace): replace the zeros with the HMAC.
 * MG_OK, or MG_ERR_INTERNAL when the document does not end that way.
 */
int	mg_sign_doc(char *doc, size_t len, const struct mg_sign_key *key);

/* 1 when doc[0..len) ends with a signature member, valid or not. */
int	mg_sign_present(const char *doc, size_t len);

/*
 * 1 when doc[0..len) ends with a signature member whose HMAC under key
 * matches, 0 when it does not verify, -1 when it carries none.
 */
int	mg_sign_verify(const char *doc, size_t len,
	    const struct mg_sign_key *key);

#endif /* MG_SIGN_H */
