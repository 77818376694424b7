/*
 * text.h - turning untrusted bytes into report-safe text and JSON values.
 */
#ifndef MG_TEXT_H
#define MG_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

/* 1 when s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int	mg_utf8_valid(const char *s, size_t n);

/*
 * mg_utf8_valid() for a string followed by at least 8 more readable bytes
 * (a string inside a larger buffer): those are read but never judged.
 */
int	mg_utf8_valid_padded(const char *s, size_t n);

/*
 * A NUL-terminated copy of s[0..n) with every invalid UTF-8 sequence
 * replaced by U+FFFD and embedded NULs kept out (also U+FFFD).  Returns
 * NULL on allocation failure.
 */
char	*mg_utf8_dup(const char *s, size_t n);

/*
 * mg_utf8_dup() into a caller's buffer of at least 3 * n + 1 bytes (n + 1
 * when s[0..n) is valid UTF-8 without NUL).  Returns the length written,
 * not counting the terminating NUL.
 */
size_t	mg_utf8_clean_into(char *out, const char *s, size_t n);

/*
 * JSON values for reports.  Strings are sanitised with mg_utf8_dup().
 * Integers are written exactly (64-bit, no double rounding); doubles with
 * the shortest text that reads back to the same value, null when not
 * finite.  Each returns NULL on allocation failure.
 */
cJSON	*mg_json_str(const char *s, size_t n);
cJSON	*mg_json_strz(const char *s);
cJSON	*mg_json_u64(uint64_t v);
/* A raw node holding s, JSON text from malloc(); s is the node's now. */
cJSON	*mg_json_raw_own(char *s);
cJSON	*mg_json_i64(int64_t v);
cJSON	*mg_json_double(double v);

/*
 * An exact JSON string for s[0..n), for names that identify things (paths,
 * keys): distinct byte strings give distinct JSON strings.  Valid UTF-8 is
 * written as mg_json_str() writes it; each byte that is not part of a
 * valid UTF-8 sequence is written as the escape of a lone low surrogate,
 * \udc80 to \udcff (the byte plus 0xdc00, Python's "surrogateescape"
 * convention), and NUL as \u0000.  A lone surrogate escape is legal JSON
 * text (RFC 8259, 8.2) and is never produced by valid input, so the form
 * is injective: in Python os.fsencode(json.loads(text)) gives the bytes
 * back.  Such a string is a cJSON_Raw node; only printing reads it.
 * Returns NULL on allocation failure.
 */
cJSON	*mg_json_bytes(const char *s, size_t n);
cJSON	*mg_json_bytesz(const char *s);

/*
 * The JSON text mg_json_bytes() gives for s[0..n) when it is not valid
 * UTF-8 (the quotes included), into t of at least 6 * n + 3 bytes; for
 * valid UTF-8 without NUL it is also what cJSON prints for the string.
 * Returns the length written, not counting the terminating NUL.
 */
size_t	mg_json_bytes_text(char *t, const char *s, size_t n);

/*
 * The one text escape for terminals, CI logs and documents that cannot
 * carry arbitrary bytes (text and table reports, stderr, Markdown, JUnit
 * names).  A NUL-terminated copy of s[0..n) in which:
 *
 *   \                   is written "\\";
 *   a byte of C0 (0x00-0x1f) or DEL, or a byte that is not part of a valid
 *                       UTF-8 sequence, is written "\xNN" (two lowercase
 *                       hex digits), so no newline or CR from data can
 *                       start a new line;
 *   C1 controls U+0080-U+009F, U+061C, U+200E, U+200F, U+2028, U+2029,
 *   U+202A-U+202E and U+2066-U+2069 (line separators and bidirectional
 *                       controls) are written "\u{NNNN}" (four lowercase
 *                       hex digits);
 *   a ':' right after a literal ':' is written "\x3a", so the result never
 *                       holds "::" (a GitHub workflow command, which the
 *                       runner honours after leading whitespace);
 *   a '#' between a '#' and a '[' is written "\x23", so the result never
 *                       holds "##[" (the legacy form, honoured anywhere in
 *                       a line);
 *
 * and everything else, valid UTF-8, is kept as it is.  Because '\' itself
 * is escaped the mapping is injective: reading "\\", "\xNN" and "\u{N}"
 * back gives the original bytes, so distinct inputs never print alike.
 * Returns NULL on allocation failure.
 */
char	*mg_text_escape(const char *s, size_t n);

/*
 * JSON text (from cJSON_Print) with every "##[" written "#\u0023[".  '#'
 * occurs only inside strings in JSON, so the document reads back the same,
 * but a CI log that shows it (bom --format json on standard output) no
 * longer holds the runner's legacy "##[command]" form.  A "::" inside a
 * JSON string never starts a line.  Takes s and returns the text to use:
 * s itself, or a new copy and s freed; NULL on allocation failure (s
 * freed too).
 */
char	*mg_json_defuse(char *s);

/*
 * The inverse of mg_json_bytes for a JSON parser that refuses lone
 * surrogates (cJSON): every "\udcNN" escape (NN 80 to ff) inside a string
 * of the JSON text buf[0..*len) becomes the raw byte NN, in place, and
 * *len shrinks.  Parsed strings then hold a name's exact bytes again.
 * Other escapes and text outside strings are left alone.
 */
void	mg_json_unescape_bytes(char *buf, size_t *len);

/* The value of a hex digit (either case), or -1. */
int	mg_hexval(int c);

/* mg_text_escape(s, strlen(s)). */
char	*mg_text_printable(const char *s);

/*
 * A copy of s for documents that must stay plain text (XML 1.0, SARIF
 * messages): valid UTF-8, every control other than tab and newline, DEL,
 * C1, U+FFFE and U+FFFF replaced by U+FFFD; at most cap bytes, cut on a
 * character boundary and ended with an ellipsis.  NULL on failure.
 */
char	*mg_text_clean(const char *s, size_t cap);

/*
 * prefix + s with every byte but RFC 3986's unreserved characters
 * (ALPHA / DIGIT / "-._~") and those in keep percent-encoded.
 */
char	*mg_pct_encode(const char *prefix, const char *s, const char *keep);

/* Shortest round-trip text of a finite double into buf (>= 32 bytes). */
void	mg_fmt_double(double v, char *buf, size_t len);

/* 8 bytes as a word, whatever the alignment. */
static inline uint64_t
mg_word8(const void *p)
{
	uint64_t x;

	memcpy(&x, p, sizeof(x));
	return x;
}

/*
 * Nonzero when a byte of x is below 0x20, '"' or '\\': the bytes a JSON
 * string cannot hold as they are.  Exact for zero, and on a little-endian
 * host the lowest set bit marks the first such byte.
 */
static inline uint64_t
mg_json_special8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return ((x - ones * 0x20) | (q - ones) | (b - ones)) & ~x &
	    0x8080808080808080ull;
}

#endif /* MG_TEXT_H */
