/*
 * template.c - injection markers in chat templates (see template.h).
 *
 * Markers follow the public SSTI literature and the scanners that check
 * Jinja in model files: dunder attribute names (__class__, __globals__,
 * ...), the |attr() filter that reaches attributes by string, string
 * escapes that spell name characters (\x5F, \137, \U0000005f,
 * \N{LOW LINE}: Jinja decodes literals with Python's unicode-escape
 * codec) and so rebuild such names, and process or evaluation entry
 * points.  A bare '_' literal is not a marker: real
 * templates write replace('_', ' ').  The scan is one linear
 * pass with bounded look-ahead.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
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

static int
hexdig(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * The escape at s[i] ('\\'), decoded as Python's unicode-escape codec
 * decodes Jinja string literals (\\xNN, \\uNNNN, \\UNNNNNNNN, octal of one
 * to three digits, \\N{name}; hex digits and the letter in any case): a
 * marker when it spells a name character (letter, digit, '_' or '.'),
 * which no honest template needs to escape, or is a named escape.
 */
static const char *
escape_marker(const char *s, size_t n, size_t i)
{
	unsigned long v = 0;
	size_t k, len;
	int d;

	if (n - i < 2)
		return NULL;
	switch (s[i + 1]) {
	case 'N':
		return n - i >= 3 && s[i + 2] == '{' ?
		    "a named character escape (\\N{...})" : NULL;
	case 'x': case 'X':
		len = 2;
		break;
	case 'u':
		len = 4;
		break;
	case 'U':
		len = 8;
		break;
	default:
		for (k = i + 1; k < n && k < i + 4 && s[k] >= '0' &&
		    s[k] <= '7'; k++)
			v = v * 8 + (unsigned long)(s[k] - '0');
		if (k == i + 1)
			return NULL;
		len = 0;
		break;
	}
	if (len > 0) {
		if (n - i - 2 < len)
			return NULL;
		for (k = 0; k < len; k++) {
			if ((d = hexdig((unsigned char)s[i + 2 + k])) < 0)
				return NULL;
			v = v * 16 + (unsigned long)d;
		}
	}
	if (v == '_')
		return "an escaped underscore";
	if (v < 0x80 && (isalnum((int)v) || v == '.'))
		return "an escaped name character (letter, digit or '.')";
	return NULL;
}

/*
 * The bytes a marker can start with: '_' (a dunder), '|' (attr), '\\'
 * (an escape) and the first letters of words[]: keep it in step with them.
 */
static const unsigned char marker_start[256] = {
	['_'] = 1, ['|'] = 1, ['\\'] = 1, ['s'] = 1, ['p'] = 1, ['o'] = 1,
	['e'] = 1, ['i'] = 1, ['b'] = 1,
};

/* The literal markers, anywhere in the source. */
static int
markers(const char *s, size_t n, const char **what, size_t *at)
{
	size_t i, k;

	*what = NULL;
	*at = 0;
	for (i = 0; i < n; i++) {
		/* Most bytes can start no marker: one table look-up each. */
		if (!marker_start[(unsigned char)s[i]])
			continue;
		if (dunder(s, n, i)) {
			*what = "a Python dunder attribute (__name__)";
			break;
		}
		if (attr_filter(s, n, i)) {
			*what = "the attr() filter";
			break;
		}
		if (s[i] == '\\' && (*what = escape_marker(s, n, i)) != NULL)
			break;
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '\\') {
			i++;	/* an escaped backslash ends there */
			continue;
		}
		for (k = 0; words[k] != NULL; k++) {
			size_t l;

			/* The letters that start words also start most text. */
			if (words[k][0] != s[i])
				continue;
			l = strlen(words[k]);
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

/* ---- names reached at render time --------------------------------------- */

#define TPL_MAX_DEPTH	32	/* open brackets in one expression */
#define TPL_MAX_NAMES	128	/* variables assigned in one template */
#define TPL_MAX_MACROS	64	/* macro and call block definitions */
#define TPL_MAX_PARAMS	16	/* parameters of one macro */
#define TPL_MAX_SCOPE	16	/* macro and call bodies open at once */
#define TPL_MAX_ROUNDS	8	/* collecting passes before giving up */

#define P_VARARGS	(1u << TPL_MAX_PARAMS)		/* extra positionals */
#define P_KWARGS	(1u << (TPL_MAX_PARAMS + 1))	/* extra keywords */
#define P_ALL		((1u << (TPL_MAX_PARAMS + 2)) - 1)

enum tok { T_EOF, T_START, T_END, T_IDENT, T_NUM, T_STR, T_OP };

struct tk {
	enum tok	 t;
	size_t		 at, len;	/* a string: its text without quotes */
	char		 op[3];
};

struct lx {
	const char	*s;
	size_t		 n, i;
	int		 in;		/* '}' or '%' inside a block, else 0 */
	size_t		 brace;		/* '{' open inside the block */
};

enum kind { K_TOP, K_SUB, K_LIST, K_CALL, K_GROUP, K_DICT };

#define F_STR		0x001	/* a string literal */
#define F_NUM		0x002	/* a number, true/false/none, loop.index... */
#define F_JOIN		0x004	/* ~ * % ** */
#define F_ARITH		0x008	/* binary - / // */
#define F_NUMFILT	0x010	/* |length |count |int |abs |round */
#define F_FILT		0x020	/* any other filter */
#define F_CALL		0x040	/* a call */
#define F_OTHER		0x080	/* comparison, logic, conditional, literal */
#define F_SLICE		0x100	/* ':' at the top of a subscript */
#define F_TUPLE		0x200	/* ',' */
#define F_STRINGY	0x400	/* |string, |pprint or ~: an object's text */
#define F_BADROOT	0x800	/* a variable the template itself assigns */
#define F_PLUS		0x1000	/* + : numbers, or strings joined */
#define F_BUILD		0x2000	/* a filter or call that makes new values */
#define F_USTR		0x4000	/* a string literal starting with '_' */
#define F_BUILTROOT	0x8000	/* a variable that may hold a built value */

struct frame {
	enum kind	 kind;
	size_t		 at;		/* the opening bracket */
	unsigned	 fl;
	size_t		 ntok, nstr, nroot;
	int		 attrarg;	/* a call whose first argument is a name */
	int		 stringy;	/* the chain so far is an object's text */
	int		 reshape;	/* a method that only reshapes (items) */
	/*
	 * A call's arguments, one at a time: fl, ntok, nstr and nroot above
	 * describe the current one, the s* fields those before it.
	 */
	int		 def;		/* the parameter list of macro def - 1 */
	size_t		 callee_at, callee_len;	/* a macro or caller call */
	int		 caller;	/* the callee is caller() */
	size_t		 narg;		/* positional arguments (parameters) */
	int		 kwset;		/* the current argument is by keyword */
	size_t		 kw_at, kw_len;
	int		 spread;	/* the current argument is *x or **x */
	unsigned	 sfl;
	size_t		 sntok, snstr, snroot;
};

/*
 * A macro, or a call block's parameters (callable as caller()).  bad has
 * a bit for each parameter some call passes a value built at render time
 * (a string joined, filtered or formatted, a call's result, a variable the
 * template assigns): inside the body that parameter is no longer data.
 */
struct macro {
	size_t		 at, len;	/* the name; len 0 for caller */
	size_t		 nparam;
	size_t		 pat[TPL_MAX_PARAMS], plen[TPL_MAX_PARAMS];
	unsigned	 bad;		/* parameter bits, P_VARARGS, P_KWARGS */
};

struct names {
	size_t		 n;
	int		 full;
	size_t		 at[TPL_MAX_NAMES], len[TPL_MAX_NAMES];
};

struct an {
	const char	*s;
	int		 collect;	/* first pass: only collect names */
	struct names	 assigned;	/* set / with, for over built values */
	struct names	 built;		/* of those, the ones given built values */
	struct frame	 st[TPL_MAX_DEPTH];
	int		 d;		/* index of the innermost frame */
	/* the statement: 0, or 'f' for, 's' set, 'w' with, 'm' macro */
	int		 stmt;
	int		 part;		/* for: 1 targets, 2 iterable, 3 rest */
	int		 iterbad, seen_eq;
	size_t		 tgt_at[8], tgt_len[8], ntgt;
	int		 grp_stringy;	/* the ')' just read closed such a group */
	const char	*what;
	size_t		 where;
	struct macro	 mac[TPL_MAX_MACROS];
	size_t		 nmac;		/* known from earlier passes */
	size_t		 nmac_seen;	/* definitions read in this pass */
	int		 pending;	/* the definition being read: index + 1 */
	int		 scope[TPL_MAX_SCOPE];	/* bodies open: index or -1 */
	int		 nscope;
};

static int
is_ident0(unsigned char c)
{
	return isalpha(c) || c == '_';
}

static void
lex_skip_raw(struct lx *l)
{
	const char *e = memmem(l->s + l->i, l->n - l->i, "endraw", 6), *c;

	if (e == NULL) {
		l->i = l->n;
		return;
	}
	c = memmem(e, (size_t)(l->s + l->n - e), "}", 1);
	l->i = c != NULL ? (size_t)(c - l->s) + 1 : l->n;
	l->in = 0;
}

static void
lex(struct lx *l, struct tk *t)
{
	const char *s = l->s, *p;
	size_t n = l->n, i = l->i, j;
	unsigned char c;

	memset(t, 0, sizeof(*t));
	while (!l->in) {
		if (i >= n || (p = memchr(s + i, '{', n - i)) == NULL) {
			l->i = n;
			t->t = T_EOF;
			t->at = n;
			return;
		}
		i = (size_t)(p - s);
		if (n - i >= 2 && s[i + 1] == '#') {
			p = n - i > 2 ? memmem(s + i + 2, n - i - 2, "#}", 2) :
			    NULL;
			i = p != NULL ? (size_t)(p - s) + 2 : n;
			continue;
		}
		if (n - i < 2 || (s[i + 1] != '{' && s[i + 1] != '%')) {
			i++;
			continue;
		}
		t->t = T_START;
		t->at = i;
		t->op[0] = s[i + 1];
		l->in = s[i + 1] == '{' ? '}' : '%';
		l->brace = 0;
		i += 2;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		for (j = i; j < n && isspace((unsigned char)s[j]); j++)
			;
		l->i = i;
		if (l->in == '%' && n - j >= 3 && memcmp(s + j, "raw", 3) == 0 &&
		    (n - j == 3 || !isalnum((unsigned char)s[j + 3])))
			lex_skip_raw(l);
		return;
	}
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	t->at = i;
	if (i >= n) {
		l->i = n;
		t->t = T_EOF;
		return;
	}
	c = (unsigned char)s[i];
	if (l->brace == 0 && n - i >= 2 && c == l->in && s[i + 1] == '}') {
		l->in = 0;
		l->i = i + 2;
		t->t = T_END;
		return;
	}
	if (is_ident0(c)) {
		for (j = i; j < n && ident((unsigned char)s[j]); j++)
			;
		t->t = T_IDENT;
		t->len = j - i;
	} else if (isdigit(c)) {
		for (j = i; j < n && (ident((unsigned char)s[j]) ||
		    (s[j] == '.' && j + 1 < n && isdigit((unsigned char)
		    s[j + 1]))); j++)
			;
		t->t = T_NUM;
		t->len = j - i;
	} else if (c == '\'' || c == '"') {
		for (j = i + 1; j < n && s[j] != (char)c; j++)
			if (s[j] == '\\' && j + 1 < n)
				j++;
		t->t = T_STR;
		t->at = i + 1;
		t->len = (j < n ? j : n) - (i + 1);
		j = j < n ? j + 1 : n;
	} else {
		t->t = T_OP;
		t->op[0] = (char)c;
		j = i + 1;
		if (j < n && ((strchr("=!<>", c) != NULL && s[j] == '=') ||
		    (c == '/' && s[j] == '/') || (c == '*' && s[j] == '*'))) {
			t->op[1] = s[j];
			j++;
		}
		if (c == '{')
			l->brace++;
		else if (c == '}' && l->brace > 0)
			l->brace--;
		t->len = j - i;
	}
	l->i = j;
}

static int
tk_is(const struct an *a, const struct tk *t, const char *w)
{
	size_t l = strlen(w);

	if (t->t == T_OP)
		return strcmp(t->op, w) == 0;
	return t->t == T_IDENT && t->len == l && memcmp(a->s + t->at, w, l) ==
	    0;
}

static int
tk_in(const struct an *a, const struct tk *t, const char *const *set)
{
	for (; *set != NULL; set++)
		if (tk_is(a, t, *set))
			return 1;
	return 0;
}

static const char *const keywords[] = {
	"in", "and", "or", "not", "if", "else", "elif", "is", "for", "set",
	"with", "as", "import", "from", "print", "do", "recursive", "macro",
	"call", "filter", "include", "extends", "block", "endfor", "endif",
	"endmacro", "endset", "endwith", "endcall", "endfilter", "endblock",
	NULL
};

/*
 * Jinja2's default globals that are Python functions or classes
 * (cycler, joiner, lipsum, namespace: their __init__ / __globals__ reach
 * the os module), the template reference self, and Flask's request and
 * config.  range and dict are builtins whose attributes lead nowhere
 * without a dunder name, which is a marker of its own.
 */
static const char *const gadgets[] = {
	"cycler", "joiner", "lipsum", "namespace", "self", NULL
};
static const char *const flask[] = { "request", "config", NULL };

static const char *const numfilt[] = {
	"length", "count", "int", "abs", "round", NULL
};
/* Filters and methods that only reshape what a for statement walks. */
static const char *const iterfilt[] = {
	"items", "list", "dictsort", "sort", "reverse", "unique", "reject",
	"select", "rejectattr", "selectattr", "batch", "slice", "keys",
	"values", "groupby", NULL
};
static const char *const extract[] = {
	"list", "first", "last", "batch", "slice", "random", "reverse", "map",
	"join", "unique", "sort", NULL
};
static const char *const loopnum[] = {
	"index", "index0", "revindex", "revindex0", "length", "depth",
	"depth0", NULL
};
static const char *const literals[] = {
	"true", "false", "none", "True", "False", "None", NULL
};

static int
names_has(const struct an *a, const struct names *ns, size_t at, size_t len)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		if (ns->len[i] == len && memcmp(a->s + ns->at[i], a->s + at,
		    len) == 0)
			return 1;
	return 0;
}

static void
names_add(struct an *a, struct names *ns, size_t at, size_t len)
{
	if (names_has(a, ns, at, len))
		return;
	if (ns->n == TPL_MAX_NAMES) {
		ns->full = 1;
		return;
	}
	ns->at[ns->n] = at;
	ns->len[ns->n] = len;
	ns->n++;
}

static void
flag(struct an *a, const char *what, size_t at)
{
	if (a->what == NULL && !a->collect) {
		a->what = what;
		a->where = at;
	}
}

static int
name_is(const struct an *a, size_t at, size_t len, const char *w)
{
	return len == strlen(w) && memcmp(a->s + at, w, len) == 0;
}

static int
same_name(const struct an *a, size_t at1, size_t len1, size_t at2,
    size_t len2)
{
	return len1 == len2 && memcmp(a->s + at1, a->s + at2, len1) == 0;
}

/* 1 when the macro m is what a call of name[0..len) reaches. */
static int
macro_is(const struct an *a, const struct macro *m, size_t at, size_t len,
    int caller)
{
	if (caller)
		return m->len == 0;
	return m->len > 0 && same_name(a, m->at, m->len, at, len);
}

static int
macro_known(const struct an *a, size_t at, size_t len, int caller)
{
	size_t i;

	for (i = 0; i < a->nmac; i++)
		if (macro_is(a, &a->mac[i], at, len, caller))
			return 1;
	return 0;
}

/*
 * A name that does not hold caller data: one in ns (the variables the
 * template assigns, or those it assigns built values), or a parameter of
 * an enclosing macro (or call block) that some call passes a built value.
 */
static int
bad_name(const struct an *a, const struct names *ns, size_t at, size_t len)
{
	const struct macro *m;
	size_t p;
	int i;

	if (ns->full || names_has(a, ns, at, len))
		return 1;
	for (i = 0; i < a->nscope; i++) {
		if (a->scope[i] < 0)
			continue;
		m = &a->mac[a->scope[i]];
		for (p = 0; p < m->nparam; p++)
			if ((m->bad & (1u << p)) != 0 && same_name(a, m->pat[p],
			    m->plen[p], at, len))
				return 1;
		if (((m->bad & P_VARARGS) != 0 && name_is(a, at, len,
		    "varargs")) || ((m->bad & P_KWARGS) != 0 && name_is(a, at,
		    len, "kwargs")))
			return 1;
	}
	return 0;
}

/* Mark parameters of every macro a call of name[0..len) reaches. */
static void
taint(struct an *a, size_t at, size_t len, int caller, unsigned bits)
{
	size_t i;

	for (i = 0; i < a->nmac; i++)
		if (macro_is(a, &a->mac[i], at, len, caller))
			a->mac[i].bad |= bits;
}

/* The parameter bit a keyword argument sets: its parameter or kwargs. */
static unsigned
kw_bit(const struct an *a, const struct macro *m, size_t at, size_t len)
{
	size_t p;

	for (p = 0; p < m->nparam; p++)
		if (same_name(a, m->pat[p], m->plen[p], at, len))
			return 1u << p;
	return P_KWARGS;
}

/*
 * A value built at render time rather than passed through: joined,
 * formatted, filtered or computed by a call, an object's text, an
 * underscore string, or a name that is not caller data.
 */
static int
built(const struct frame *f)
{
	return f->ntok > 0 && (f->fl & (F_JOIN | F_PLUS | F_BUILD | F_USTR |
	    F_STRINGY | F_BUILTROOT)) != 0;
}

/*
 * The end of one argument of a call (or one parameter of a definition):
 * taint the parameter it binds when it is built, then start the next.
 */
static void
arg_end(struct an *a, struct frame *f)
{
	const struct macro *m;
	unsigned bit;
	size_t i;

	if (a->collect && built(f)) {
		if (f->def > 0) {
			if (f->kwset && f->narg < TPL_MAX_PARAMS)
				a->mac[f->def - 1].bad |= 1u << f->narg;
		} else if (f->callee_len > 0 || f->caller) {
			for (i = 0; i < a->nmac; i++) {
				m = &a->mac[i];
				if (!macro_is(a, m, f->callee_at, f->callee_len,
				    f->caller))
					continue;
				if (f->spread)
					bit = P_ALL;
				else if (f->kwset)
					bit = kw_bit(a, m, f->kw_at, f->kw_len);
				else if (f->narg < m->nparam)
					bit = 1u << f->narg;
				else
					bit = P_VARARGS;
				a->mac[i].bad |= bit;
			}
		}
	}
	if (f->def > 0 || !f->kwset)
		f->narg++;
	f->sfl |= f->fl;
	f->sntok += f->ntok;
	f->snstr += f->nstr;
	f->snroot += f->nroot;
	f->fl = 0;
	f->ntok = f->nstr = f->nroot = 0;
	f->kwset = f->spread = 0;
}

/* A macro statement's name (len 0: a call block's parameters). */
static int
macro_def(struct an *a, size_t at, size_t len)
{
	size_t k = a->nmac_seen++;

	if (k >= TPL_MAX_MACROS) {
		flag(a, "too many macros to check", at);
		return 0;
	}
	if (k >= a->nmac) {
		memset(&a->mac[k], 0, sizeof(a->mac[k]));
		a->mac[k].at = at;
		a->mac[k].len = len;
		a->nmac = k + 1;
	}
	a->pending = (int)k + 1;
	return (int)k + 1;
}

/* 1 when a string literal holds "__" or starts or ends with '_'. */
static int
underscored(const char *s, size_t n)
{
	return n > 0 && (s[0] == '_' || s[n - 1] == '_' ||
	    memmem(s, n, "__", 2) != NULL);
}

/* A printf %c or a str.format {:c} / {!c} conversion in a literal. */
static int
char_code(const char *s, size_t n)
{
	size_t i, j;

	for (i = 0; i + 1 < n; i++) {
		if (s[i] == '%') {
			for (j = i + 1; j < n && strchr("-+ #0123456789.*",
			    s[j]) != NULL; j++)
				;
			if (j < n && s[j] == 'c')
				return 1;
		}
		if (s[i] == ':' && s[i + 1] == 'c' && i + 2 < n && s[i + 2] == '}')
			return 1;
	}
	return 0;
}

/* 1 when the innermost frames include a call's argument list. */
static int
in_call(const struct an *a)
{
	int i;

	for (i = a->d; i > 0; i--)
		if (a->st[i].kind == K_CALL)
			return 1;
	return 0;
}

static int
postfix(const struct an *a, const struct tk *prev)
{
	return (prev->t == T_IDENT && !tk_in(a, prev, keywords)) ||
	    prev->t == T_STR || tk_is(a, prev, ")") || tk_is(a, prev, "]") ||
	    tk_is(a, prev, "}");
}

static void
push(struct an *a, enum kind k, size_t at)
{
	if (a->d + 1 >= TPL_MAX_DEPTH) {
		flag(a, "brackets nested too deeply to check", at);
		return;
	}
	a->d++;
	memset(&a->st[a->d], 0, sizeof(a->st[a->d]));
	a->st[a->d].kind = k;
	a->st[a->d].at = at;
}

/* The key of a subscript just closed: is it a name built at render time? */
static void
key_check(struct an *a, const struct frame *f)
{
	unsigned fl = f->fl;

	if (f->ntok == 0 || (fl & (F_SLICE | F_TUPLE)) != 0)
		return;		/* a slice or a tuple never names an attribute */
	if (f->nroot == 0 && (fl & (F_JOIN | F_PLUS | F_FILT | F_NUMFILT |
	    F_CALL | F_OTHER | F_STRINGY)) == 0 && (f->nstr == 0 ||
	    f->ntok == 1))
		return;		/* one literal, checked where it was read */
	if (f->nstr == 0 && (fl & (F_JOIN | F_FILT | F_CALL | F_OTHER |
	    F_STRINGY)) == 0 && (fl & (F_NUM | F_ARITH | F_NUMFILT)) != 0)
		return;		/* arithmetic: a number */
	if (f->nroot == 1 && f->nstr == 0 && (fl & ~(unsigned)F_NUM) == 0)
		return;		/* data: a variable the template never sets */
	flag(a, "a subscript whose key is computed at render time", f->at);
}

static void
pop(struct an *a)
{
	struct frame *f, *up;
	unsigned keep;

	if (a->d == 0)
		return;
	f = &a->st[a->d];
	up = &a->st[a->d - 1];
	a->d--;
	if (f->kind == K_SUB)
		key_check(a, f);
	if (f->kind == K_CALL) {
		arg_end(a, f);
		f->fl = f->sfl;
		f->ntok = f->sntok;
		f->nstr = f->snstr;
		f->nroot = f->snroot;
	}
	/* What the bracket contained shows in its parent's expression. */
	keep = f->fl & (F_STR | F_JOIN | F_PLUS | F_FILT | F_CALL | F_OTHER |
	    F_STRINGY | F_BADROOT | F_BUILD | F_USTR | F_BUILTROOT);
	if (f->kind == K_SUB)
		keep &= ~(unsigned)(F_STR | F_OTHER);
	up->fl |= keep;
	up->nstr += f->kind == K_SUB ? 0 : f->nstr;
	up->nroot += f->kind == K_SUB ? 0 : f->nroot;
	if (f->kind == K_CALL) {
		up->fl |= F_CALL;
		if (!f->reshape && f->def == 0)
			up->fl |= F_BUILD;
	}
	else if (f->kind != K_GROUP)
		up->fl |= F_OTHER;	/* a literal, or an item of something */
	up->ntok++;
	a->grp_stringy = f->kind == K_GROUP && (f->fl & (F_STRINGY |
	    F_JOIN)) != 0;
}

static void
stmt_end(struct an *a)
{
	size_t i;

	if (a->stmt == 'f' && a->iterbad)
		for (i = 0; i < a->ntgt; i++)
			names_add(a, &a->assigned, a->tgt_at[i], a->tgt_len[i]);
	/*
	 * Names given values built at render time (a block set captures
	 * rendered text); those given data, like {% set tool = tool.function
	 * %}, are still data when passed to a macro.
	 */
	if (a->collect && (a->stmt == 'f' || a->stmt == 's' || a->stmt ==
	    'w') && (built(&a->st[0]) || (a->stmt == 's' && !a->seen_eq)))
		for (i = 0; i < a->ntgt; i++)
			names_add(a, &a->built, a->tgt_at[i], a->tgt_len[i]);
	/* A macro's or call block's body starts: its parameters are seen. */
	if (a->stmt == 'm' || a->stmt == 'c') {
		if (a->nscope == TPL_MAX_SCOPE)
			flag(a, "macros nested too deeply to check", 0);
		else
			a->scope[a->nscope++] = a->pending - 1;
	}
	a->pending = 0;
	a->stmt = 0;
	a->part = 0;
	a->ntgt = 0;
	a->iterbad = 0;
	a->seen_eq = 0;
	a->d = 0;
	memset(&a->st[0], 0, sizeof(a->st[0]));
}

static void
on_ident(struct an *a, const struct tk *p2, const struct tk *prev,
    const struct tk *cur, const struct tk *nxt, int first)
{
	struct frame *f = &a->st[a->d];
	const char *w = a->s + cur->at;

	if (tk_is(a, prev, ".")) {
		/* An attribute name. */
		if (w[0] == '_')
			flag(a, "a private attribute name (._name)", cur->at);
		if (p2->t == T_IDENT && tk_is(a, p2, "loop") &&
		    tk_in(a, cur, loopnum))
			f->fl |= F_NUM;
		if (a->part == 2 && tk_is(a, nxt, "(") && !tk_in(a, cur,
		    iterfilt))
			a->iterbad = 1;
		f->ntok++;
		return;
	}
	if (tk_is(a, prev, "|")) {
		/* A filter name. */
		if (tk_in(a, cur, numfilt))
			f->fl |= F_NUMFILT;
		else
			f->fl |= F_FILT;
		if (!tk_in(a, cur, numfilt) && !tk_in(a, cur, iterfilt))
			f->fl |= F_BUILD;
		if (tk_is(a, cur, "string") || tk_is(a, cur, "pprint")) {
			f->fl |= F_STRINGY;
			f->stringy = 1;
		} else if (tk_in(a, cur, extract) && (f->stringy ||
		    (tk_is(a, p2, ")") && a->grp_stringy)))
			flag(a, "characters taken from an object's text", cur->at);
		if (a->part == 2 && !tk_in(a, cur, iterfilt))
			a->iterbad = 1;
		f->ntok++;
		return;
	}
	if (tk_is(a, prev, "is")) {
		f->ntok++;
		return;		/* a test name */
	}
	if (first) {
		a->stmt = tk_is(a, cur, "for") ? 'f' : tk_is(a, cur, "set") ?
		    's' : tk_is(a, cur, "with") ? 'w' : tk_is(a, cur, "macro") ?
		    'm' : tk_is(a, cur, "call") ? 'c' : 0;
		a->part = a->stmt == 'f' ? 1 : 0;
		if ((tk_is(a, cur, "endmacro") || tk_is(a, cur, "endcall")) &&
		    a->nscope > 0)
			a->nscope--;
		return;
	}
	/* A parameter of a macro or call block. */
	if (f->def > 0 && f->kind == K_CALL && (tk_is(a, prev, "(") ||
	    tk_is(a, prev, ","))) {
		struct macro *m = &a->mac[f->def - 1];

		if (f->narg >= TPL_MAX_PARAMS)
			flag(a, "a macro with too many parameters to check",
			    cur->at);
		else if (f->narg >= m->nparam) {
			m->pat[f->narg] = cur->at;
			m->plen[f->narg] = cur->len;
			m->nparam = f->narg + 1;
		}
		f->kwset = tk_is(a, nxt, "=");
		return;
	}
	if (tk_in(a, cur, keywords)) {
		if (a->stmt == 'f' && a->part == 1 && tk_is(a, cur, "in")) {
			a->part = 2;
			return;
		}
		if (a->stmt == 'f' && a->part == 2 && a->d == 0 &&
		    (tk_is(a, cur, "if") || tk_is(a, cur, "recursive")))
			a->part = 3;
		f->fl |= F_OTHER;
		f->ntok++;
		return;
	}
	if (tk_in(a, cur, literals)) {
		f->fl |= F_NUM;
		f->ntok++;
		return;
	}
	/* A keyword argument's name: dict(_x=1)|first is the text "_x". */
	if (tk_is(a, nxt, "=") && f->kind == K_CALL) {
		if (w[0] == '_' || memmem(w, cur->len, "__", 2) != NULL)
			flag(a, "an underscore name turned into a string",
			    cur->at);
		if (tk_is(a, cur, "attribute"))
			f->attrarg = 2;
		f->kwset = 1;
		f->kw_at = cur->at;
		f->kw_len = cur->len;
		return;
	}
	/* Names the template binds. */
	if (a->stmt == 'f' && a->part == 1) {
		if (a->ntgt < 8) {
			a->tgt_at[a->ntgt] = cur->at;
			a->tgt_len[a->ntgt++] = cur->len;
		} else
			a->iterbad = 1;
		return;
	}
	if ((a->stmt == 's' && !a->seen_eq && a->d == 0) ||
	    (a->stmt == 'w' && a->d == 0 && tk_is(a, nxt, "="))) {
		if (a->collect)
			names_add(a, &a->assigned, cur->at, cur->len);
		if (a->ntgt < 8) {
			a->tgt_at[a->ntgt] = cur->at;
			a->tgt_len[a->ntgt++] = cur->len;
		} else if (a->collect)
			names_add(a, &a->built, cur->at, cur->len);
		return;
	}
	if (a->stmt == 'm' && a->d == 0) {
		if (a->pending == 0)
			macro_def(a, cur->at, cur->len);
		return;		/* the macro's name */
	}
	/* A variable. */
	if (tk_in(a, cur, gadgets) && !tk_is(a, nxt, "("))
		flag(a, "a Jinja global that reaches Python internals used as "
		    "an object (cycler, joiner, lipsum, namespace, self)",
		    cur->at);
	if (tk_in(a, cur, flask) && (tk_is(a, nxt, ".") || tk_is(a, nxt,
	    "[") || tk_is(a, nxt, "|")))
		flag(a, "a Flask global used as an object (request, config)",
		    cur->at);
	/* A macro passed around or aliased: its parameters take anything. */
	if (a->collect && !tk_is(a, nxt, "(") && (macro_known(a, cur->at,
	    cur->len, 0) || tk_is(a, cur, "caller")))
		taint(a, cur->at, cur->len, tk_is(a, cur, "caller"), P_ALL);
	if (bad_name(a, &a->assigned, cur->at, cur->len)) {
		f->fl |= F_BADROOT;
		if (a->part == 2)
			a->iterbad = 1;
	}
	if (bad_name(a, &a->built, cur->at, cur->len))
		f->fl |= F_BUILTROOT;
	f->nroot++;
	f->ntok++;
}

static void
on_str(struct an *a, const struct tk *prev, const struct tk *cur,
    const struct tk *nxt, int first)
{
	struct frame *f = &a->st[a->d];
	const char *w = a->s + cur->at;
	int key = tk_is(a, prev, "[") && tk_is(a, nxt, "]");
	int arg = f->kind == K_CALL && (tk_is(a, prev, "(") || tk_is(a, prev,
	    ",") || tk_is(a, prev, "=")) && (tk_is(a, nxt, ")") ||
	    tk_is(a, nxt, ","));

	(void)first;
	f->fl |= F_STR;
	if (cur->len > 0 && w[0] == '_')
		f->fl |= F_USTR;
	f->nstr++;
	f->ntok++;
	if (key && f->kind == K_SUB) {
		if (cur->len > 0 && w[0] == '_')
			flag(a, "a subscript with a private or dunder name "
			    "(['_name'])", cur->at);
	} else if (underscored(w, cur->len) && !(prev->t == T_START &&
	    nxt->t == T_END) && !(arg && memmem(w, cur->len, "__", 2) ==
	    NULL))
		flag(a, "an underscore string joined into a name at render "
		    "time", cur->at);
	if (f->kind == K_CALL && f->attrarg != 0 && ((f->attrarg == 2 &&
	    tk_is(a, prev, "=")) || (f->attrarg == 1 && tk_is(a, prev, "(")))) {
		if (cur->len > 0 && w[0] == '_')
			flag(a, "a private attribute name (attribute='_name')",
			    cur->at);
		f->attrarg = 0;
	}
	if (cur->len == 4 && memcmp(w, "attr", 4) == 0 && f->kind == K_CALL)
		flag(a, "the attr filter by name", cur->at);
	if (char_code(w, cur->len) && (tk_is(a, nxt, "%") || tk_is(a, nxt,
	    "|") || tk_is(a, nxt, ".")))
		flag(a, "a character code formatted into a string (%c)",
		    cur->at);
	if (a->part == 2 && !in_call(a) && !(key && f->kind == K_SUB))
		a->iterbad = 1;
}

static void
on_op(struct an *a, const struct tk *p2, const struct tk *prev,
    const struct tk *cur, const struct tk *nxt)
{
	struct frame *f = &a->st[a->d];
	char c = cur->op[0];
	int was_stringy = a->grp_stringy;

	if (c != '|') {
		a->grp_stringy = 0;
		f->stringy = 0;
	}
	/* attribute= with a name that is not one literal. */
	if (f->kind == K_CALL && f->attrarg == 2 && tk_is(a, cur, "=") &&
	    nxt->t != T_STR)
		flag(a, "an attribute name computed at render time "
		    "(attribute=)", cur->at);
	if (f->kind == K_CALL && c == '=' && cur->op[1] == '\0')
		return;		/* a keyword argument's value follows */
	if (f->kind == K_CALL && (c == '*') && (tk_is(a, prev, "(") ||
	    tk_is(a, prev, ",")))
		f->spread = 1;
	switch (c) {
	case '[':
		if (postfix(a, prev)) {
			if (was_stringy && tk_is(a, prev, ")"))
				flag(a, "characters taken from an object's text",
				    cur->at);
			push(a, K_SUB, cur->at);
		} else {
			if (a->part == 2 && !in_call(a))
				a->iterbad = 1;
			push(a, K_LIST, cur->at);
		}
		return;
	case '(':
		if (a->stmt == 'c' && a->d == 0 && tk_is(a, prev, "call") &&
		    a->pending == 0) {
			/* {% call(params) m() %}: caller()'s parameters. */
			int k = macro_def(a, cur->at, 0);

			push(a, K_CALL, cur->at);
			if (k > 0 && a->d > 0)
				a->st[a->d].def = k;
			return;
		}
		if (postfix(a, prev)) {
			int ga = prev->t == T_IDENT && (tk_is(a, prev,
			    "groupby") || tk_is(a, prev, "selectattr") ||
			    tk_is(a, prev, "rejectattr"));
			int method = tk_is(a, p2, ".") || tk_is(a, p2, "|");
			int def = a->stmt == 'm' && a->d == 0 ? a->pending : 0;

			push(a, K_CALL, cur->at);
			if (a->d > 0 && a->st[a->d].kind == K_CALL &&
			    a->st[a->d].at == cur->at) {
				struct frame *g = &a->st[a->d];

				g->def = def;
				g->reshape = method && tk_in(a, prev, iterfilt);
				if (def == 0 && !method && prev->t == T_IDENT &&
				    (tk_is(a, prev, "caller") || macro_known(a,
				    prev->at, prev->len, 0))) {
					g->caller = tk_is(a, prev, "caller");
					g->callee_at = prev->at;
					g->callee_len = prev->len;
				}
			}
			if (ga && a->d > 0 && a->st[a->d].kind == K_CALL) {
				a->st[a->d].attrarg = 1;
				if (nxt->t != T_STR && !tk_is(a, nxt, ")"))
					flag(a, "an attribute name computed at "
					    "render time (attribute=)", cur->at);
			}
		} else
			push(a, K_GROUP, cur->at);
		return;
	case '{':
		if (a->part == 2)
			a->iterbad = 1;
		push(a, K_DICT, cur->at);
		return;
	case ']':
	case ')':
	case '}':
		pop(a);
		return;
	}
	f->ntok++;
	if (c == '~' || c == '+' || c == '%' || c == '*') {
		f->fl |= c == '+' ? F_PLUS : F_JOIN;
		if (c == '~')
			f->fl |= F_STRINGY;
		if (a->part == 2)
			a->iterbad = 1;
	} else if (c == '-' || c == '/') {
		if (postfix(a, prev) || prev->t == T_NUM)
			f->fl |= F_ARITH;
	} else if (c == ':') {
		if (f->kind == K_SUB)
			f->fl |= F_SLICE;
	} else if (c == ',' && f->kind == K_CALL) {
		arg_end(a, f);
		f->fl |= F_TUPLE;
	} else if (c == ',') {
		f->fl |= F_TUPLE;
		if (a->part == 2 && f->kind == K_GROUP)
			a->iterbad = 1;
	} else if (c == '=' && cur->op[1] == '\0') {
		if (a->stmt == 's' && a->d == 0)
			a->seen_eq = 1;
	} else if (c != '.' && c != '|')
		f->fl |= F_OTHER;
}

static void
analyse(struct an *a, const char *s, size_t n)
{
	struct lx l;
	struct tk p2, prev, cur, nxt;
	int first = 0;

	memset(&l, 0, sizeof(l));
	l.s = s;
	l.n = n;
	a->s = s;
	a->d = 0;
	a->nmac_seen = 0;
	a->nscope = 0;
	a->pending = 0;
	memset(&a->st[0], 0, sizeof(a->st[0]));
	memset(&p2, 0, sizeof(p2));
	memset(&prev, 0, sizeof(prev));
	lex(&l, &cur);
	lex(&l, &nxt);
	while (cur.t != T_EOF && a->what == NULL) {
		switch (cur.t) {
		case T_START:
			stmt_end(a);
			first = cur.op[0] == '%';
			break;
		case T_END:
			stmt_end(a);
			break;
		case T_IDENT:
			on_ident(a, &p2, &prev, &cur, &nxt, first);
			first = 0;
			break;
		case T_STR:
			on_str(a, &prev, &cur, &nxt, first);
			first = 0;
			break;
		case T_NUM:
			a->st[a->d].fl |= F_NUM;
			a->st[a->d].ntok++;
			first = 0;
			break;
		case T_OP:
			if (!(first && (tk_is(a, &cur, "-") || tk_is(a, &cur,
			    "+"))))
				on_op(a, &p2, &prev, &cur, &nxt);
			first = 0;
			break;
		default:
			break;
		}
		/* A closed group's text is seen by the next '[' or filter. */
		if (cur.t != T_OP || (cur.op[0] != ')' && cur.op[0] != '|'))
			a->grp_stringy = 0;
		p2 = prev;
		prev = cur;
		cur = nxt;
		lex(&l, &nxt);
	}
	stmt_end(a);
}

/*
 * What the collecting passes have learnt, as a number that only grows:
 * assigned names, parameters that take built values, macros.
 */
static size_t
progress(const struct an *a)
{
	size_t i, p, t = a->assigned.n + (size_t)a->assigned.full +
	    a->built.n + (size_t)a->built.full + a->nmac;

	for (i = 0; i < a->nmac; i++)
		for (p = 0; p < TPL_MAX_PARAMS + 2; p++)
			t += (a->mac[i].bad >> p) & 1u;
	return t;
}

/*
 * Zero the state but not the tables (about 28 KiB, mostly macros and
 * frames): each entry is written before it is read (frames on push,
 * macros on definition, names below their count), and zeroing them per
 * template cost more than the checks of a short one.
 */
static void
an_clear(struct an *a)
{
	memset(a, 0, offsetof(struct an, assigned.at));
	a->built.n = 0;
	a->built.full = 0;
	memset(&a->d, 0, offsetof(struct an, mac) - offsetof(struct an, d));
	memset(&a->nmac, 0, sizeof(*a) - offsetof(struct an, nmac));
}

/*
 * The last template each thread found clean, byte for byte: the files of
 * one model (its quantisations, its shards) carry the same template, and
 * comparing the bytes costs far less than the passes.  Only a template
 * equal in every byte is taken as seen, so no crafted one can pass for it.
 */
#define TPL_SEEN_MAX	(32u * 1024u)

static _Thread_local size_t tpl_seen_n;
static _Thread_local char tpl_seen[TPL_SEEN_MAX];

static int
analyse_all(const char *s, size_t n, const char **what, size_t *at);

int
mg_template_suspicious(const char *s, size_t n, const char **what,
    size_t *at)
{
	int r;

	if (n > 0 && n == tpl_seen_n && memcmp(s, tpl_seen, n) == 0) {
		*what = NULL;
		*at = 0;
		return 0;
	}
	r = analyse_all(s, n, what, at);
	if (r == 0 && n > 0 && n <= TPL_SEEN_MAX) {
		memcpy(tpl_seen, s, n);
		tpl_seen_n = n;
	}
	return r;
}

static int
analyse_all(const char *s, size_t n, const char **what, size_t *at)
{
	/*
	 * On the stack (about 28 KiB; workers have the default thread
	 * stack): a heap block this size cost a trip through malloc's large
	 * bins for every template.
	 */
	struct an an, *a = &an;
	int round;

	*what = NULL;
	*at = 0;
	if (markers(s, n, what, at))
		return 1;
	/*
	 * Passes over the expressions: the first ones learn which names the
	 * template assigns and which macro parameters take built values
	 * (repeated while that grows: a macro passes its parameters on to
	 * others), the last judges every name access.
	 */
	an_clear(a);
	a->collect = 1;
	for (round = 0; round < TPL_MAX_ROUNDS; round++) {
		size_t before = progress(a);

		analyse(a, s, n);
		if (a->nmac == 0 || (round > 0 && progress(a) == before))
			break;
	}
	a->collect = 0;
	if (round == TPL_MAX_ROUNDS) {
		a->what = "macro arguments passed on through too many macros "
		    "to check";
		a->where = 0;
	} else
		analyse(a, s, n);
	*what = a->what;
	*at = a->where;
	return *what != NULL;
}
