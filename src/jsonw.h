/*
 * jsonw.h - a streaming JSON writer with cJSON_Print's layout.
 *
 * Reports that used to build a cJSON tree only to print it (one
 * allocation per node, a second pass to print, a third to free) write
 * their text here instead, byte for byte what cJSON_Print gives for the
 * same tree: objects open with "{\n", each member on its own line indented
 * by one tab per level as "\"key\":\tvalue", members separated by ",\n";
 * arrays on one line as "[a, b]"; strings escaped as cJSON escapes them
 * (\" \\ \b \f \n \r \t, other bytes below 0x20 as \u00xx, everything else
 * verbatim).  A cJSON subtree (metadata) is printed in place by
 * mg_jsonw_cjson() with the same rules, so a document may mix both.
 *
 * A compact writer (mg_jsonw_compact) writes what cJSON_PrintUnformatted
 * gives instead: no newline, tab or space between tokens.
 *
 * The text goes into one growable buffer, which may start as a caller's
 * (stack) buffer and moves to the heap when it outgrows it.  Errors are
 * sticky: after the first failure every call is a no-op and
 * mg_jsonw_finish() reports it.  The buffer grows at most to max bytes
 * (MG_ERR_LIMIT past it).
 */
#ifndef MG_JSONW_H
#define MG_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

/* mg_jsonw_take hands over a heap buffer holding this much text or more. */
#define MG_JSONW_HANDOVER	65536u

/* Containers opened through the writer's own calls (not mg_jsonw_cjson). */
#define MG_JSONW_DEPTH	32u

struct mg_jsonw {
	char		*p;		/* the text so far, not NUL-terminated */
	size_t		 len, cap, max;
	int		 heap;		/* p is ours (else the caller's) */
	int		 err;		/* MG_OK, or the first failure */
	int		 compact;	/* cJSON_PrintUnformatted's layout */
	unsigned	 depth;		/* open containers */
	unsigned char	 more[MG_JSONW_DEPTH];	/* a member written at level */
	size_t		 done_len;	/* strlen of what finish returned */
};

/*
 * Start a writer on buf[0..cap) (buf may be NULL, cap 0), growing on the
 * heap up to max bytes.  The caller's buffer is borrowed, never freed.
 */
void	mg_jsonw_init(struct mg_jsonw *w, char *buf, size_t cap, size_t max);
/* Write cJSON_PrintUnformatted's layout from now on (one line). */
void	mg_jsonw_compact(struct mg_jsonw *w);
/* Release the heap buffer, if any; w may be initialised again. */
void	mg_jsonw_free(struct mg_jsonw *w);

/*
 * Carry on a text written before, up to a member, by another writer: the
 * first depth containers are open and each already holds a member, so
 * the next key or element starts with its separator.
 */
void	mg_jsonw_resume(struct mg_jsonw *w, unsigned depth);

/* Text as it is, with no escaping. */
void	mg_jsonw_raw(struct mg_jsonw *w, const char *s, size_t n);

/* Containers.  A member of an object starts with mg_jsonw_key(), an
 * element of an array with mg_jsonw_elem(). */
void	mg_jsonw_obj_begin(struct mg_jsonw *w);
void	mg_jsonw_obj_end(struct mg_jsonw *w);
void	mg_jsonw_arr_begin(struct mg_jsonw *w);
void	mg_jsonw_arr_end(struct mg_jsonw *w);
void	mg_jsonw_keyn(struct mg_jsonw *w, const char *key, size_t n);
/* Inline: a literal key's length is known where it is written. */
static inline void
mg_jsonw_key(struct mg_jsonw *w, const char *key)
{
	mg_jsonw_keyn(w, key, strlen(key));
}
void	mg_jsonw_elem(struct mg_jsonw *w);

/* Values. */
void	mg_jsonw_null(struct mg_jsonw *w);
void	mg_jsonw_bool(struct mg_jsonw *w, int v);
void	mg_jsonw_u64(struct mg_jsonw *w, uint64_t v);
void	mg_jsonw_i64(struct mg_jsonw *w, int64_t v);
/* As mg_json_double() prints it: Python's repr, null when not finite. */
void	mg_jsonw_double(struct mg_jsonw *w, double v);
/* s written as cJSON writes a string it holds (bytes >= 0x20 verbatim). */
void	mg_jsonw_strn(struct mg_jsonw *w, const char *s, size_t n);
static inline void
mg_jsonw_str(struct mg_jsonw *w, const char *s)
{
	if (s == NULL)
		mg_jsonw_raw(w, "\"\"", 2);
	else
		mg_jsonw_strn(w, s, strlen(s));
}
/* s sanitised first, as mg_json_strz() does (invalid UTF-8 to U+FFFD). */
void	mg_jsonw_text(struct mg_jsonw *w, const char *s);
/* s[0..n) as the string mg_json_str(s, n) holds (a NUL to U+FFFD too). */
void	mg_jsonw_textn(struct mg_jsonw *w, const char *s, size_t n);
/* s as mg_json_bytesz() writes it (exact, \udcNN for stray bytes). */
void	mg_jsonw_bytes(struct mg_jsonw *w, const char *s);
/*
 * A cJSON value as cJSON_Print would print it at the current depth
 * (item->string is not written: that is mg_jsonw_key's job).
 */
void	mg_jsonw_cjson(struct mg_jsonw *w, const cJSON *item);
/* An object whose members are child and its siblings (a reference). */
void	mg_jsonw_cjson_members(struct mg_jsonw *w, const cJSON *child);

/*
 * The text as a NUL-terminated heap string with every "##[" written
 * "#\u0023[" (mg_json_defuse()); the writer is left empty.  NULL with
 * *err set on failure.
 */
char	*mg_jsonw_finish(struct mg_jsonw *w, int *err);
/*
 * The text as it is, for a piece of a larger document (a raw node): the
 * writer of the whole document defuses it with the rest.  Otherwise as
 * mg_jsonw_finish().
 */
char	*mg_jsonw_take(struct mg_jsonw *w, int *err);

#endif /* MG_JSONW_H */
