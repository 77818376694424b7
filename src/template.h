/*
 * template.h - lexical checks of chat templates (Jinja source).
 *
 * Templates are never rendered.  A template can only be examined for the
 * markers of server-side template injection: Python dunder attributes,
 * the attr filter, escaped underscores that rebuild dunder names, and the
 * names of process and evaluation functions.  Legitimate chat templates
 * (loops, filters, raise_exception, strftime_now) contain none of them.
 * A backdoored template that uses none of them can only be caught by
 * pinning its digest.
 */
#ifndef MG_TEMPLATE_H
#define MG_TEMPLATE_H

#include <stddef.h>

/*
 * 1 when s[0..n) holds an injection marker; *what then names it (static
 * text) and *at gives its byte offset in s.  0 otherwise.
 */
int	mg_template_suspicious(const char *s, size_t n, const char **what,
	    size_t *at);

#endif /* MG_TEMPLATE_H */
