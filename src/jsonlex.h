/*
 * jsonlex.h - one measuring pass over JSON text before cJSON sees it.
 *
 * cJSON recurses once per nesting level and allocates a node per value,
 * and it accepts text that JSON forbids.  Every reader of untrusted JSON
 * (policy files, lock files, sidecars) first runs mg_jsonlex(), which is
 * linear, iterative and bounded, and which
 *  - caps nesting depth and the number of values,
 *  - in loose mode tracks only strings, depth and separators, leaving
 *    syntax to cJSON, optionally rejecting "\u0000" and raw control bytes
 *    in strings and reporting where the elements of one top-level array
 *    member start;
 *  - in strict mode (MG_JSONLEX_STRICT) checks the whole RFC 8259 grammar
 *    (UTF-8, escapes, surrogates, numbers without leading zeros, nothing
 *    after the value) and records a table of every value in document
 *    order, the same pre-order as cJSON's tree.
 */
#ifndef MG_JSONLEX_H
#define MG_JSONLEX_H

#include <stddef.h>
#include <stdint.h>

/* Flags (struct mg_jsonlex.flags). */
#define MG_JSONLEX_STRICT	0x1u	/* grammar, UTF-8 and a value table */
#define MG_JSONLEX_NO_NUL	0x2u	/* loose: refuse "\u0000" in a string */
#define MG_JSONLEX_NO_CTRL	0x4u	/* loose: refuse raw bytes < 0x20 */
#define MG_JSONLEX_COLONS	0x8u	/* loose: count ':' as a value too */

#define MG_JSONLEX_NOKEY	UINT32_MAX

/* One value of a strict pass, in document order. */
struct mg_jsonlex_value {
	uint32_t	key;	/* its key's '"' offset, or MG_JSONLEX_NOKEY */
	uint32_t	val;	/* offset of its first byte */
	uint32_t	len;	/* bytes of a number token, else 0 */
	uint32_t	desc;	/* values nested beneath it */
};

struct mg_jsonlex {
	/* Settings, filled by the caller (zero: no cap, no callback). */
	unsigned	 flags;
	size_t		 max_depth;	/* strict mode needs one */
	size_t		 max_values;
	size_t		 max_string;	/* strict: decoded bytes of a string */
	/*
	 * Loose mode: called with the offset and 1-based line where each
	 * element of the first top-level member named `array` starts (when
	 * that member is an array).
	 */
	const char	*array;
	void		(*element)(void *arg, size_t off, size_t line);
	void		*arg;

	/* Results. */
	struct mg_jsonlex_value *v;	/* strict: owned, mg_jsonlex_free() */
	size_t		 nv, cap;
	size_t		 values;	/* loose: the bound counted */
	size_t		 err_off;	/* where the error is */
	char		 msg[128];	/* what it is */
};

/*
 * Measure text[start..len).  Returns MG_OK, MG_ERR_FORMAT (strict
 * grammar), MG_ERR_LIMIT (a cap, "\u0000", a control byte) with err_off
 * and msg set, or MG_ERR_NOMEM.
 */
int	mg_jsonlex(struct mg_jsonlex *lx, const char *text, size_t len,
	    size_t start);

/* Free the value table; lx may be reused after mg_jsonlex() again. */
void	mg_jsonlex_free(struct mg_jsonlex *lx);

/* 1 + the newlines before off. */
size_t	mg_jsonlex_line(const char *text, size_t off);

#endif /* MG_JSONLEX_H */
