/*
 * template.h - lexical checks of chat templates (Jinja source).
 *
 * Templates are never rendered.  Unsandboxed Jinja2 reaches the os module
 * only through attributes whose names start with '_' (__init__,
 * __globals__, _TemplateReference__context, ...), so the check makes
 * every such name visible or flags the template: literal markers anywhere
 * (dunder names, the attr filter, escapes that spell name characters,
 * process and evaluation names), and inside expressions the ways a name
 * can be built or reached at render time: '_' attributes and keys,
 * subscripts with computed keys (including macro parameters that some
 * call passes a built value), the Jinja globals that lead to Python
 * internals used as objects, underscore strings joined into names, %c
 * formats, characters
 * cut from an object's text, computed attribute= names.  The rules are
 * listed in the GGUF-TEMPLATE help (rules.def).  Legitimate chat templates
 * (loops, filters, namespace(), literal and counter subscripts,
 * raise_exception, strftime_now) contain none of them.  A backdoored
 * template that uses none of them can only be caught by pinning its
 * digest.  Linear passes (a few while macro parameters are followed),
 * bounded nesting and tables, no allocation beyond a fixed-size state.
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
