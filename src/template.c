/*
 * template.c - injection markers in chat templates (see template.h).
 *
 * Markers follow the public SSTI literature and the scanners that check
 * Jinja in model files: dunder attribute names (__class__, __globals__,
 * ...), the |attr() filter that reaches attributes by string, escapes of
 * '_' (\x5f, \137, \u005f) that rebuild such names, and process or
 * evaluation entry points.  A bare '_' literal is not a marker: real
 * templates write replace('_', ' ').  The scan is one linear
 * pass with bounded look-ahead.
 */
#include <ctype.h>
#include <string.h>

#include "template.h"

static const char *const words[] = {
	"subprocess", "popen", "os.system", "eval(", "exec(", "__import__",
	"import_module", "builtins", NULL
};

static int
ident(unsigned char c)
{
	return isalnum(c) || c == '_';
}

/* A dunder name starting at s[i]: "__" letters "__", not inside a word. */
static int
dunder(const char *s, size_t n, size_t i)
{
	size_t j = i + 2;

	if (i > 0 && ident((unsigned char)s[i - 1]))
		return 0;
	if (n - i < 5 || s[i] != '_' || s[i + 1] != '_')
		return 0;
	while (j < n && isalnum((unsigned char)s[j]))
		j++;
	return j > i + 2 && n - j >= 2 && s[j] == '_' && s[j + 1] == '_';
}

/* "|attr(" with optional spaces around the bar and before "(". */
static int
attr_filter(const char *s, size_t n, size_t i)
{
	size_t j = i + 1;

	if (s[i] != '|')
		return 0;
	while (j < n && s[j] == ' ')
		j++;
	if (n - j < 4 || memcmp(s + j, "attr", 4) != 0)
		return 0;
	j += 4;
	while (j < n && s[j] == ' ')
		j++;
	return j < n && s[j] == '(';
}

int
mg_template_suspicious(const char *s, size_t n, const char **what,
    size_t *at)
{
	size_t i, k;

	*what = NULL;
	*at = 0;
	for (i = 0; i < n; i++) {
		if (dunder(s, n, i)) {
			*what = "a Python dunder attribute (__name__)";
			break;
		}
		if (attr_filter(s, n, i)) {
			*what = "the attr() filter";
			break;
		}
		if (s[i] == '\\' && ((n - i >= 4 && memcmp(s + i, "\\x5f", 4) ==
		    0) || (n - i >= 4 && memcmp(s + i, "\\137", 4) == 0) ||
		    (n - i >= 6 && memcmp(s + i, "\\u005f", 6) == 0))) {
			*what = "an escaped underscore";
			break;
		}
		for (k = 0; words[k] != NULL; k++) {
			size_t l = strlen(words[k]);

			if (n - i >= l && memcmp(s + i, words[k], l) == 0) {
				*what = words[k];
				break;
			}
		}
		if (*what != NULL)
			break;
	}
	if (*what == NULL)
		return 0;
	*at = i;
	return 1;
}
