/*
 * tscode.c - a lexical scan of TorchScript source (see tscode.h).
 *
 * The scan tokenises just enough Python: comments, string literals (any
 * prefix, single or triple quoted, with escapes), identifiers joined by
 * dots into names, and the import statements.  A name is judged from its
 * first component, as the code would resolve it: os.system and
 * subprocess.Popen are names of modules the pickle unsafe list covers,
 * while self.code or x.system are attributes of the code's own values and
 * say nothing.  Names under torch are judged by their own list: generated
 * code calls torch operators all the time, and only those that read or
 * write files or load libraries are reported.  A bare name is reported
 * when it is called and builtins.<name> is on the unsafe list (eval,
 * exec, __import__, open, ...), except getattr, which generated code uses
 * with literal names to reach submodules.
 */
#include <stdio.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "pickle.h"
#include "tscode.h"

/* Operators TorchScript code can reach that touch files or load code. */
static const char *const ts_unsafe[] = {
	"torch.from_file", "torch.ops.aten.from_file", "ops.aten.from_file",
	"torch.load", "torch.save", "torch.ops.load_library",
	"torch.classes.load_library", "torch.hub", "torch.serialization",
	"torch.utils.cpp_extension", "torch.jit.load", "torch.jit.save",
	"torch._C", "torch.package", "torch.distributed", NULL
};

/* Builtins generated code calls with literal arguments. */
static const char *const ts_builtin_ok[] = { "getattr", "hasattr", NULL };

#define NAME_MAX_BYTES	512u

/* q is p or a name under p. */
static int
prefixed(const char *q, const char *p)
{
	while (*p != '\0' && *q == *p) {
		p++;
		q++;
	}
	return *p == '\0' && (*q == '\0' || *q == '.');
}

int
mg_tscode_unsafe(const char *q, int called)
{
	char b[NAME_MAX_BYTES + 16];
	size_t i;

	if (prefixed(q, "torch") || prefixed(q, "ops")) {
		for (i = 0; ts_unsafe[i] != NULL; i++)
			if (prefixed(q, ts_unsafe[i]))
				return 1;
		return 0;
	}
	if (strchr(q, '.') != NULL)
		return mg_pickle_listed_unsafe(q) ||
		    (prefixed(q, "__builtin__") &&
		    mg_tscode_unsafe(q + 12, 1));
	if (!called)
		return 0;
	for (i = 0; ts_builtin_ok[i] != NULL; i++)
		if (strcmp(q, ts_builtin_ok[i]) == 0)
			return 0;
	if (strcmp(q, "__import__") == 0)
		return 1;
	snprintf(b, sizeof(b), "builtins.%s", q);
	return mg_pickle_listed_unsafe(b);
}

/* An imported module or module.name: the module alone counts too. */
static int
imported_unsafe(const char *q)
{
	return mg_tscode_unsafe(q, 0) || (!prefixed(q, "torch") &&
	    !prefixed(q, "ops") && mg_pickle_listed_unsafe(q));
}

static int
id_start(unsigned char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    c >= 0x80;
}

static int
id_char(unsigned char c)
{
	return id_start(c) || (c >= '0' && c <= '9');
}

/* Past a string literal opening at p[i] (a quote); counts newlines. */
static size_t
skip_string(const unsigned char *p, size_t n, size_t i, unsigned *line)
{
	unsigned char q = p[i];
	int triple = n - i >= 3 && p[i + 1] == q && p[i + 2] == q;

	i += triple ? 3 : 1;
	while (i < n) {
		if (p[i] == '\\' && i + 1 < n) {
			if (p[i + 1] == '\n')
				(*line)++;
			i += 2;
			continue;
		}
		if (p[i] == '\n') {
			(*line)++;
			if (!triple)
				return i + 1;	/* unterminated: the line ends it */
		}
		if (p[i] == q && (!triple || (n - i >= 3 && p[i + 1] == q &&
		    p[i + 2] == q)))
			return i + (triple ? 3 : 1);
		i++;
	}
	return n;
}

/*
 * Blanks and line continuations; inside brackets (depth > 0) also line
 * breaks and comments, which Python joins away there: "(torch\n
 * .from_file)" is torch.from_file.
 */
static size_t
skip_blanks(const unsigned char *p, size_t n, size_t i, unsigned depth,
    unsigned *line)
{
	while (i < n) {
		if (p[i] == ' ' || p[i] == '\t' || p[i] == '\f')
			i++;
		else if (p[i] == '\\' && i + 1 < n && p[i + 1] == '\n') {
			i += 2;
			(*line)++;
		} else if (depth > 0 && (p[i] == '\n' || p[i] == '\r')) {
			if (p[i] == '\n')
				(*line)++;
			i++;
		} else if (depth > 0 && p[i] == '#') {
			while (i < n && p[i] != '\n')
				i++;
		} else
			break;
	}
	return i;
}

/*
 * A dotted name at p[i] (an identifier start) into buf; returns the
 * offset after it.  *cut is set when it did not fit.
 */
static size_t
read_name(const unsigned char *p, size_t n, size_t i, char *buf,
    size_t *len, int *cut, unsigned depth, unsigned *line)
{
	unsigned at = *line, l2;
	size_t j;

	*len = 0;
	*cut = 0;
	for (;;) {
		for (j = i; j < n && id_char(p[j]); j++)
			;
		if (*len + (j - i) + 1 < NAME_MAX_BYTES) {
			memcpy(buf + *len, p + i, j - i);
			*len += j - i;
		} else
			*cut = 1;
		/* Lines count only once a dot joins them to the name. */
		l2 = at;
		i = skip_blanks(p, n, j, depth, &l2);
		if (i >= n || p[i] != '.') {
			i = j;
			break;
		}
		j = skip_blanks(p, n, i + 1, depth, &l2);
		if (j >= n || !id_start(p[j]))
			break;		/* the dot is the caller's */
		if (*len + 1 < NAME_MAX_BYTES)
			buf[(*len)++] = '.';
		i = j;
		at = l2;
	}
	buf[*len] = '\0';
	*line = at;
	return i;
}

static int
report(struct mg_artifact *a, const char *file, unsigned line,
    const char *name, const char *how, unsigned *hits)
{
	(*hits)++;
	return mg_artifact_addx(a, MG_R_TORCHSCRIPT_CODE, MG_FINDING_NO_OFFSET,
	    0, name, name, "TorchScript code %.300s line %u %s %s, which the "
	    "unsafe list names: torch.jit.load compiles and runs this code",
	    file, line, how, name);
}

int
mg_tscode_scan(const unsigned char *p, size_t n, const char *file,
    struct mg_artifact *a, unsigned *hits)
{
	char name[NAME_MAX_BYTES + 16], mod[NAME_MAX_BYTES + 16];
	char alias[NAME_MAX_BYTES + 16];
	size_t i = 0, len, alen;
	unsigned line = 1, depth = 0;
	int after_dot = 0, cut, r, mode = 0;	/* 1 import, 2 from */

	while (i < n) {
		unsigned char c = p[i];

		if (c == '#') {
			while (i < n && p[i] != '\n')
				i++;
			continue;
		}
		if (c == '\n') {
			/* Inside brackets the statement goes on. */
			line++;
			if (depth == 0) {
				mode = 0;
				after_dot = 0;
			}
			i++;
			continue;
		}
		if (c == '\'' || c == '"') {
			i = skip_string(p, n, i, &line);
			after_dot = 0;
			continue;
		}
		if (!id_start(c)) {
			if (c == '(' || c == '[' || c == '{')
				depth += depth < 1000000u;
			else if ((c == ')' || c == ']' || c == '}') && depth > 0)
				depth--;
			/* Blanks keep a dot pending: "x .\n from_file". */
			if (c != ' ' && c != '\t' && c != '\f' && c != '\r')
				after_dot = c == '.';
			if (c == ';')
				mode = 0;
			i++;
			continue;
		}
		/* A string prefix (r, b, f, u and pairs) glued to its quote. */
		if (n - i >= 2 && (p[i + 1] == '\'' || p[i + 1] == '"') &&
		    strchr("rRbBfFuU", c) != NULL) {
			i = skip_string(p, n, i + 1, &line);
			continue;
		}
		if (n - i >= 3 && (p[i + 2] == '\'' || p[i + 2] == '"') &&
		    strchr("rRbBfF", c) != NULL && strchr("rRbBfF", p[i + 1]) !=
		    NULL) {
			i = skip_string(p, n, i + 2, &line);
			continue;
		}
		i = read_name(p, n, i, name, &len, &cut, depth, &line);
		if (after_dot) {	/* an attribute of something else */
			after_dot = 0;
			continue;
		}
		if (strcmp(name, "import") == 0) {
			mode = mode == 2 ? 3 : 1;
			continue;
		}
		if (strcmp(name, "from") == 0 && mode == 0) {
			mode = 2;
			mod[0] = '\0';
			continue;
		}
		if (strcmp(name, "as") == 0 && mode != 0) {
			/* The alias that follows binds nothing unsafe. */
			i = skip_blanks(p, n, i, depth, &line);
			if (i < n && id_start(p[i]))
				i = read_name(p, n, i, alias, &alen, &cut,
				    depth, &line);
			continue;
		}
		if (mode == 2) {		/* from <module> */
			snprintf(mod, sizeof(mod), "%s", name);
			continue;
		}
		if (mode == 1 || mode == 3) {
			char q[2 * NAME_MAX_BYTES + 32];

			if (mode == 3)
				snprintf(q, sizeof(q), "%s.%s", mod, name);
			else
				snprintf(q, sizeof(q), "%s", name);
			if (imported_unsafe(q) || (mode == 3 &&
			    imported_unsafe(mod)) || cut) {
				if ((r = report(a, file, line, q, "imports",
				    hits)) != MG_OK)
					return r;
			}
			continue;
		}
		{
			unsigned l2 = line;
			size_t k = skip_blanks(p, n, i, depth, &l2);
			int called = k < n && p[k] == '(';

			if (cut || mg_tscode_unsafe(name, called))
				if ((r = report(a, file, line, name, called ?
				    "calls" : "names", hits)) != MG_OK)
					return r;
		}
	}
	return MG_OK;
}
