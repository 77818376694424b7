/*
 * text.h - turning untrusted bytes into report-safe text and JSON values.
 */
#ifndef MG_TEXT_H
#define MG_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* 1 when s[0..n) is valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int	mg_utf8_valid(const char *s, size_t n);

/*
 * A NUL-terminated copy of s[0..n) with every invalid UTF-8 sequence
 * replaced by U+FFFD and embedded NULs kept out (also U+FFFD).  Returns
 * NULL on allocation failure.
 */
char	*mg_utf8_dup(const char *s, size_t n);

/*
 * JSON values for reports.  Strings are sanitised with mg_utf8_dup().
 * Integers are written exactly (64-bit, no double rounding); doubles with
 * the shortest text that reads back to the same value, null when not
 * finite.  Each returns NULL on allocation failure.
 */
cJSON	*mg_json_str(const char *s, size_t n);
cJSON	*mg_json_strz(const char *s);
cJSON	*mg_json_u64(uint64_t v);
cJSON	*mg_json_i64(int64_t v);
cJSON	*mg_json_double(double v);

/*
 * A copy safe to print on a terminal or in a CI log: valid UTF-8 kept,
 * control characters (C0, DEL, C1), invalid bytes and bidirectional
 * overrides written as \xNN / \u{NNNN}, and a leading "::" (a GitHub
 * workflow command) defused.  NULL on allocation failure.
 */
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

#endif /* MG_TEXT_H */
