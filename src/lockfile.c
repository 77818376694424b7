/*
 * lockfile.c - read pinned digests: the JSON lock file `modelgate lock`
 * writes, sha256sum manifests, and pins built in code.  Writing the lock
 * is lockfile_write.c; lookup and verification are lockfile_verify.c.
 *
 * Formats followed: the lock document is modelgate's own (version
 * MG_LOCK_VERSION, see the README); manifests are GNU coreutils sha256sum
 * output in text ("<hex>  path") and binary ("<hex> *path") mode, with
 * coreutils' escaped lines ('\' prefix; "\\", "\n" and "\r" in the
 * name), and BSD tag lines ("SHA256 (path) = <hex>") as written by
 * `sha256sum --tag` and `shasum -a 256 --tag` (research notes 6.2).
 *
 * Invariants:
 * - files are read whole but bounded (LOCK_MAX_BYTES); manifests line by
 *   line with a cap on line length and count;
 * - before cJSON sees a lock document a pre-scan (jsonlex.h, loose mode)
 *   bounds its nesting depth and its number of values (cJSON recurses and
 *   allocates one node per value), rejects U+0000 and raw control bytes
 *   in strings (cJSON would truncate at a NUL) and notes the line of each
 *   "artifacts" element;
 * - entries are normalised (leading "./" removed, hex lower-cased), sorted
 *   by path and unique; a duplicate with the same digest is merged, one
 *   with a different digest is a problem and the first entry is kept;
 * - problems are capped at LOCK_MAX_PROBLEMS, the last saying how many
 *   more there were.
 *
 * Choice: manifest paths must be relative without ".." (they are written
 * relative to a model directory), but lock paths are the scan arguments
 * as the user wrote them and may legitimately be absolute or start with
 * "..": the lock only compares them with scanned paths and never opens
 * them, so there is nothing for a hostile path to escape to.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "jsonlex.h"
#include "lockfile.h"
#include "path.h"
#include "slurp.h"
#include "text.h"

#define LOCK_MAX_BYTES		(64u << 20)	/* lock file or manifest */
#define LOCK_MAX_DEPTH		8u		/* JSON nesting of a lock */
#define LOCK_MAX_VALUES		4000000u	/* JSON values in a lock */
#define LOCK_MAX_ENTRIES	1000000u	/* pinned paths */
#define LOCK_MAX_LINE		8192u		/* manifest line, bytes */
#define LOCK_MAX_LINES		2000000u	/* manifest lines */
#define LOCK_MAX_PROBLEMS	256u		/* listed, then counted */
#define LOCK_SHOW		200u		/* path bytes quoted in a message */
#define LOCK_INT_LIMIT		9007199254740992.0	/* 2^53 */



/* An entry under construction with its source order for stable sorting. */
struct pend {
	struct mg_lock_entry	 e;
	size_t			 ord;
};

struct build {
	struct mg_lock		*l;
	struct pend		*p;
	size_t			 n, cap;
	size_t			 dropped;	/* problems past the cap */
};

static int
is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static size_t
hex_run(const char *s)
{
	size_t i = 0;

	while (is_hex((unsigned char)s[i]))
		i++;
	return i;
}

/* Copy 64 hex digits lower-cased into out[65]. */
static void
hex_lower(char out[65], const char *s)
{
	size_t i;

	for (i = 0; i < 64; i++)
		out[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') :
		    s[i];
	out[64] = '\0';
}

static int
add_problem(struct build *b, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
add_problem(struct build *b, size_t line, const char *fmt, ...)
{
	struct mg_lock *l = b->l;
	struct mg_lock_problem *np;
	char msg[1024];
	va_list ap;

	if (l->nbad >= LOCK_MAX_PROBLEMS) {
		b->dropped++;
		return MG_OK;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	np = realloc(l->bad, (l->nbad + 1) * sizeof(*np));
	if (np == NULL)
		return MG_ERR_NOMEM;
	l->bad = np;
	if ((np[l->nbad].message = strdup(msg)) == NULL)
		return MG_ERR_NOMEM;
	np[l->nbad].line = line;
	l->nbad++;
	return MG_OK;
}

/* Record the count of problems that did not fit. */
static int
close_problems(struct build *b)
{
	struct mg_lock *l = b->l;
	struct mg_lock_problem *np;
	char msg[128];

	if (b->dropped == 0)
		return MG_OK;
	snprintf(msg, sizeof(msg), "%zu more problems not listed",
	    b->dropped);
	np = realloc(l->bad, (l->nbad + 1) * sizeof(*np));
	if (np == NULL)
		return MG_ERR_NOMEM;
	l->bad = np;
	if ((np[l->nbad].message = strdup(msg)) == NULL)
		return MG_ERR_NOMEM;
	np[l->nbad].line = 0;
	l->nbad++;
	return MG_OK;
}

/* Take ownership of path (n bytes, no NUL inside) as a pending entry. */
static int
add_entry(struct build *b, const char *path, size_t n, const char *hex,
    int have_size, uint64_t size, size_t line)
{
	struct pend *pe;
	char *raw;

	if (b->n >= LOCK_MAX_ENTRIES)
		return add_problem(b, line, "more than %u entries; the rest "
		    "are ignored", LOCK_MAX_ENTRIES);
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		struct pend *np;

		if (ncap > SIZE_MAX / sizeof(*np))
			return MG_ERR_NOMEM;
		if ((np = realloc(b->p, ncap * sizeof(*np))) == NULL)
			return MG_ERR_NOMEM;
		b->p = np;
		b->cap = ncap;
	}
	pe = &b->p[b->n];
	memset(pe, 0, sizeof(*pe));
	if ((raw = malloc(n + 1)) == NULL)
		return MG_ERR_NOMEM;
	memcpy(raw, path, n);
	raw[n] = '\0';
	pe->e.path = mg_path_key(b->l->cwd, raw);
	free(raw);
	if (pe->e.path == NULL)
		return MG_ERR_NOMEM;
	hex_lower(pe->e.sha256, hex);
	pe->e.have_size = have_size;
	pe->e.size = size;
	pe->e.line = line;
	pe->ord = b->n;
	b->n++;
	return MG_OK;
}

static int
cmp_pend(const void *x, const void *y)
{
	const struct pend *a = x, *b = y;
	int c = strcmp(a->e.path, b->e.path);

	if (c != 0)
		return c;
	return a->ord < b->ord ? -1 : a->ord > b->ord;
}

/* A short printable quote of a path for messages. */
static void
quote(char *out, size_t len, const char *p)
{
	size_t n = strlen(p);

	if (n > LOCK_SHOW)
		snprintf(out, len, "%.*s...", (int)LOCK_SHOW, p);
	else
		snprintf(out, len, "%s", p);
}

/* Sort, merge duplicates and move the entries into the lock. */
static int
finish(struct build *b)
{
	struct mg_lock *l = b->l;
	size_t i, k = 0;
	char q[LOCK_SHOW + 8];
	int r = MG_OK;

	if (b->n > 1)
		qsort(b->p, b->n, sizeof(*b->p), cmp_pend);
	if ((l->e = calloc(b->n ? b->n : 1, sizeof(*l->e))) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < b->n; i++) {
		struct mg_lock_entry *e = &b->p[i].e;

		if (k > 0 && strcmp(l->e[k - 1].path, e->path) == 0) {
			if (r == MG_OK &&
			    strcmp(l->e[k - 1].sha256, e->sha256) != 0) {
				quote(q, sizeof(q), e->path);
				r = add_problem(b, e->line, "'%s' is pinned "
				    "again with a different digest (first at "
				    "line %zu); the first pin is kept", q,
				    l->e[k - 1].line);
			}
			free(e->path);
			continue;
		}
		l->e[k++] = *e;		/* transferred */
	}
	b->n = 0;
	l->n = k;
	if (r == MG_OK)
		r = close_problems(b);
	return r;
}

static void
build_free(struct build *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->p[i].e.path);
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

/*
 * Read a whole file, at most LOCK_MAX_BYTES, NUL-terminated at buf[len].
 * Works for pipes too (--manifest <(...)); the cap is enforced on what is
 * read, not on what fstat says.
 */
static int
read_all(const char *file, char **out, size_t *outlen, char *err,
    size_t errlen)
{
	struct mg_slurp s;
	int r;

	*out = NULL;
	*outlen = 0;
	if ((r = mg_slurp(&s, file, -1, LOCK_MAX_BYTES, 0)) != MG_OK) {
		mg_slurp_msg(&s, file, LOCK_MAX_BYTES, err, errlen);
		return r == MG_ERR_NOMEM ? r : MG_ERR_USAGE;
	}
	*out = s.buf;		/* transferred */
	*outlen = s.len;
	return MG_OK;
}

static int
lock_init(struct mg_lock *out, const char *file)
{
	memset(out, 0, sizeof(*out));
	if ((out->source = strdup(file)) == NULL)
		return MG_ERR_NOMEM;
	/* Without a working directory, paths match as written. */
	out->cwd = getcwd(NULL, 0);
	return MG_OK;
}

/* ---- lock file ---------------------------------------------------------- */

/* The line of each "artifacts" element, noted by the pre-scan. */
struct prescan {
	size_t	*lines;
	size_t	 nlines, cap;
	int	 nomem;
};

static void
ps_note(void *arg, size_t off, size_t line)
{
	struct prescan *ps = arg;

	(void)off;
	if (ps->nomem || ps->nlines >= LOCK_MAX_ENTRIES)
		return;
	if (ps->nlines == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 64;
		size_t *nl = realloc(ps->lines, ncap * sizeof(*nl));

		if (nl == NULL) {
			ps->nomem = 1;
			return;
		}
		ps->lines = nl;
		ps->cap = ncap;
	}
	ps->lines[ps->nlines++] = line;
}

/*
 * A JSON number that is a non-negative integer: 1 with *out set when it is
 * below 2^53, 0 when larger (cJSON holds numbers as doubles, so the value
 * may not be what the file says: the caller treats it as unknown), -1 when
 * it is not a non-negative integer at all.
 */
static int
json_uint(const cJSON *v, uint64_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= 0 && d <= 1.8e19))
		return -1;
	if (d >= LOCK_INT_LIMIT)
		return 0;
	if (d != (double)(uint64_t)d)
		return -1;
	*out = (uint64_t)d;
	return 1;
}

/* One element of "artifacts": an entry, or a problem. */
static int
lock_entry(struct build *b, const cJSON *o, size_t idx, size_t line)
{
	static const char *const strkeys[] = { "format", "architecture",
	    "quantization", "dtype", "license", NULL };
	const cJSON *m, *path = NULL, *sha = NULL, *size = NULL;
	const char *p;
	uint64_t sz = 0;
	size_t k;
	char q[LOCK_SHOW + 8];
	int have;

	if (!cJSON_IsObject(o))
		return add_problem(b, line, "artifacts[%zu] is not an object",
		    idx);
	for (m = o->child; m != NULL; m = m->next) {
		const cJSON **slot = NULL;

		if (strcmp(m->string, "path") == 0)
			slot = &path;
		else if (strcmp(m->string, "sha256") == 0)
			slot = &sha;
		else if (strcmp(m->string, "size") == 0)
			slot = &size;
		if (slot != NULL) {
			if (*slot != NULL)
				return add_problem(b, line, "artifacts[%zu] "
				    "repeats \"%s\"", idx, m->string);
			*slot = m;
			continue;
		}
		for (k = 0; strkeys[k] != NULL; k++)
			if (strcmp(m->string, strkeys[k]) == 0 &&
			    !cJSON_IsString(m))
				return add_problem(b, line, "artifacts[%zu]: "
				    "\"%s\" is not a string", idx, m->string);
		if (strcmp(m->string, "parameter_count") == 0 &&
		    json_uint(m, &sz) < 0)
			return add_problem(b, line, "artifacts[%zu]: "
			    "\"parameter_count\" is not a non-negative integer",
			    idx);
		/* Other members are ignored: later writers may add some. */
	}
	if (path == NULL || !cJSON_IsString(path))
		return add_problem(b, line, "artifacts[%zu] has no \"path\" "
		    "string", idx);
	p = mg_path_skip_dot(path->valuestring);
	if (*p == '\0')
		return add_problem(b, line, "artifacts[%zu] has an empty path",
		    idx);
	quote(q, sizeof(q), p);
	if (sha == NULL || !cJSON_IsString(sha))
		return add_problem(b, line, "'%s' has no \"sha256\" string", q);
	if (strlen(sha->valuestring) != 64 ||
	    hex_run(sha->valuestring) != 64)
		return add_problem(b, line, "'%s': \"sha256\" is not 64 hex "
		    "digits", q);
	sz = 0;
	have = size != NULL ? json_uint(size, &sz) : 0;
	if (have < 0)
		return add_problem(b, line, "'%s': \"size\" is not a "
		    "non-negative integer", q);
	return add_entry(b, p, strlen(p), sha->valuestring, have, sz, line);
}

int
mg_lock_read(struct mg_lock *out, const char *file, char *err, size_t errlen)
{
	struct mg_jsonlex lx;
	struct prescan ps;
	struct build b;
	cJSON *doc = NULL;
	const cJSON *m, *version = NULL, *arts = NULL, *tool = NULL,
	    *gen = NULL, *el;
	const char *end = NULL;
	char *buf = NULL;
	size_t len, idx;
	int r;

	memset(&lx, 0, sizeof(lx));
	memset(&ps, 0, sizeof(ps));
	memset(&b, 0, sizeof(b));
	if (errlen > 0)
		err[0] = '\0';
	if ((r = lock_init(out, file)) != MG_OK)
		return r;
	b.l = out;
	if ((r = read_all(file, &buf, &len, err, errlen)) != MG_OK)
		goto out;
	lx.flags = MG_JSONLEX_NO_NUL | MG_JSONLEX_NO_CTRL;
	lx.max_depth = LOCK_MAX_DEPTH;
	lx.max_values = LOCK_MAX_VALUES;
	lx.array = "artifacts";
	lx.element = ps_note;
	lx.arg = &ps;
	if ((r = mg_jsonlex(&lx, buf, len, 0)) != MG_OK) {
		snprintf(err, errlen, "%s:%zu: %s", file,
		    mg_jsonlex_line(buf, lx.err_off), lx.msg);
		r = r == MG_ERR_NOMEM ? r : MG_ERR_USAGE;
		goto out;
	}
	r = MG_ERR_USAGE;
	if (ps.nomem) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	doc = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	if (doc == NULL) {
		size_t off = end != NULL && end >= buf && end <= buf + len ?
		    (size_t)(end - buf) : 0;

		snprintf(err, errlen, "%s:%zu: not valid JSON", file,
		    mg_jsonlex_line(buf, off));
		goto out;
	}
	if (end != NULL) {
		size_t off = (size_t)(end - buf);

		while (off < len && (buf[off] == ' ' || buf[off] == '\t' ||
		    buf[off] == '\r' || buf[off] == '\n'))
			off++;
		if (off < len) {
			snprintf(err, errlen, "%s:%zu: text after the JSON "
			    "document", file, mg_jsonlex_line(buf, off));
			goto out;
		}
	}
	if (!cJSON_IsObject(doc)) {
		snprintf(err, errlen, "%s:1: not a modelgate lock file (the "
		    "document is not a JSON object)", file);
		goto out;
	}
	for (m = doc->child; m != NULL; m = m->next) {
		const cJSON **slot = NULL;

		if (strcmp(m->string, "version") == 0)
			slot = &version;
		else if (strcmp(m->string, "artifacts") == 0)
			slot = &arts;
		else if (strcmp(m->string, "tool") == 0)
			slot = &tool;
		else if (strcmp(m->string, "generated_at") == 0)
			slot = &gen;
		if (slot == NULL)
			continue;
		if (*slot != NULL) {
			snprintf(err, errlen, "%s:1: \"%s\" appears twice",
			    file, m->string);
			goto out;
		}
		*slot = m;
	}
	if (version == NULL || !cJSON_IsNumber(version)) {
		snprintf(err, errlen, "%s:1: not a modelgate lock file (no "
		    "numeric \"version\")", file);
		goto out;
	}
	if (version->valuedouble != MG_LOCK_VERSION) {
		snprintf(err, errlen, "%s:1: lock file version %g is not "
		    "supported (expected %d)", file, version->valuedouble,
		    MG_LOCK_VERSION);
		goto out;
	}
	if (tool != NULL && !cJSON_IsObject(tool)) {
		snprintf(err, errlen, "%s:1: \"tool\" is not an object", file);
		goto out;
	}
	if (gen != NULL && !cJSON_IsString(gen)) {
		snprintf(err, errlen, "%s:1: \"generated_at\" is not a string",
		    file);
		goto out;
	}
	if (arts == NULL || !cJSON_IsArray(arts)) {
		snprintf(err, errlen, "%s:1: \"artifacts\" is missing or not "
		    "an array", file);
		goto out;
	}
	/* Element lines are only trusted when the pre-scan saw them all. */
	if ((size_t)cJSON_GetArraySize(arts) != ps.nlines)
		ps.nlines = 0;
	idx = 0;
	for (el = arts->child; el != NULL; el = el->next, idx++) {
		size_t line = idx < ps.nlines ? ps.lines[idx] : 0;

		if ((r = lock_entry(&b, el, idx, line)) != MG_OK)
			goto out;
	}
	if ((r = finish(&b)) != MG_OK)
		goto out;
	out->expect_match = 1;
	r = MG_OK;
out:
	if (r == MG_ERR_NOMEM)
		snprintf(err, errlen, "%s: out of memory", file);
	build_free(&b);
	cJSON_Delete(doc);
	free(ps.lines);
	free(buf);
	if (r != MG_OK)
		mg_lock_free(out);
	return r;
}

/* ---- sha256sum manifests ------------------------------------------------ */

/* Why a manifest path is unsafe, or NULL. */
static const char *
unsafe_path(const char *p)
{
	const char *s;

	if (*p == '\0')
		return "empty path";
	if (*p == '/')
		return "absolute path";
	if (((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) &&
	    p[1] == ':')
		return "drive-letter path";
	for (s = p; *s != '\0';) {
		size_t n = strcspn(s, "/");

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return "path with a '..' component";
		s += n;
		if (*s == '/')
			s++;
	}
	return NULL;
}

/*
 * Undo coreutils' name escaping in place: "\\" -> '\', "\n" -> LF,
 * "\r" -> CR.  Returns NULL or what is wrong.
 */
static const char *
unescape(char *s, size_t *len)
{
	size_t i, o = 0, n = *len;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			s[o++] = s[i];
			continue;
		}
		if (n - i < 2)
			return "a lone backslash ends the name";
		switch (s[++i]) {
		case '\\':
			s[o++] = '\\';
			break;
		case 'n':
			s[o++] = '\n';
			break;
		case 'r':
			s[o++] = '\r';
			break;
		default:
			return "unknown escape in the name (only \\\\, \\n and "
			    "\\r are defined)";
		}
	}
	*len = o;
	s[o] = '\0';
	return NULL;
}

/* Common tail of both line styles: unescape, check, add. */
static int
manifest_add(struct build *b, size_t line, char *path, size_t plen,
    const char *hex, int escaped)
{
	const char *why, *p;
	char q[LOCK_SHOW + 8];

	if (escaped && (why = unescape(path, &plen)) != NULL)
		return add_problem(b, line, "%s", why);
	path[plen] = '\0';
	p = mg_path_skip_dot(path);
	if ((why = unsafe_path(p)) != NULL) {
		quote(q, sizeof(q), p);
		return add_problem(b, line, "%s '%s' is not allowed (paths "
		    "must be relative, without '..')", why, q);
	}
	return add_entry(b, p, strlen(p), hex, 0, 0, line);
}

/* Digest lengths of common algorithms, for a clearer message. */
static const char *
algo_of(size_t hexlen)
{
	switch (hexlen) {
	case 32:
		return "MD5";
	case 40:
		return "SHA-1";
	case 56:
		return "SHA-224";
	case 96:
		return "SHA-384";
	case 128:
		return "SHA-512 or BLAKE2b";
	default:
		return NULL;
	}
}

/* "ALGO (path) = hex".  s is after the optional '\'; tok is ALGO's end. */
static int
manifest_bsd(struct build *b, size_t line, char *s, size_t toklen,
    size_t len, int escaped)
{
	char *close = NULL, *q;
	size_t hl, plen;

	/* The digest follows the last ") = ": names may contain the text. */
	for (q = s + toklen + 2; (size_t)(q - s) + 4 <= len; q++)
		if (memcmp(q, ") = ", 4) == 0)
			close = q;
	if (close == NULL)
		return add_problem(b, line, "malformed BSD-style line (expected "
		    "\"SHA256 (path) = digest\")");
	hl = len - (size_t)(close + 4 - s);
	if (!((toklen == 6 && strncasecmp(s, "SHA256", 6) == 0) ||
	    (toklen == 8 && strncasecmp(s, "SHA2-256", 8) == 0)))
		return add_problem(b, line, "%.*s digest: only SHA-256 "
		    "digests are accepted", (int)(toklen > 16 ? 16 : toklen), s);
	if (hl != 64 || hex_run(close + 4) != 64)
		return add_problem(b, line, "the digest is not 64 hex digits");
	plen = (size_t)(close - (s + toklen + 2));
	return manifest_add(b, line, s + toklen + 2, plen, close + 4, escaped);
}

/* One manifest line, NUL-terminated at len, without its line end. */
static int
manifest_line(struct build *b, size_t line, char *s, size_t len)
{
	size_t tok, hl;
	int escaped = 0;
	const char *algo;

	if (memchr(s, '\0', len) != NULL)
		return add_problem(b, line, "the line contains a NUL byte");
	if (s[0] == '\\') {
		escaped = 1;
		s++;
		len--;
	}
	/* BSD tag style: a token of letters, digits and '-' then " (". */
	tok = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_");
	if (tok > 0 && tok <= 32 && s[tok] == ' ' && s[tok + 1] == '(')
		return manifest_bsd(b, line, s, tok, len, escaped);

	hl = hex_run(s);
	if (hl != 64) {
		if (hl > 0 && (s[hl] == ' ' || s[hl] == '\0') &&
		    (algo = algo_of(hl)) != NULL)
			return add_problem(b, line, "a %zu-digit digest (%s?) is "
			    "not SHA-256; only SHA-256 digests are accepted",
			    hl, algo);
		return add_problem(b, line, "not a sha256sum line (expected "
		    "64 hex digits, two spaces or ' *', and a path)");
	}
	if (s[64] == '\0')
		return add_problem(b, line, "a digest without a path");
	if (s[64] != ' ' || (s[65] != ' ' && s[65] != '*'))
		return add_problem(b, line, "expected two spaces (text mode) or "
		    "' *' (binary mode) between the digest and the path");
	return manifest_add(b, line, s + 66, len - 66, s, escaped);
}

int
mg_manifest_read(struct mg_lock *out, const char *file, char *err,
    size_t errlen)
{
	struct build b;
	char *buf = NULL, *s;
	size_t len, off, line = 0;
	int r;

	memset(&b, 0, sizeof(b));
	if (errlen > 0)
		err[0] = '\0';
	if ((r = lock_init(out, file)) != MG_OK)
		return r;
	b.l = out;
	if ((r = read_all(file, &buf, &len, err, errlen)) != MG_OK)
		goto out;
	off = 0;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		off = 3;	/* a UTF-8 byte order mark from an editor */
	while (off < len) {
		char *nl = memchr(buf + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (buf + off)) : len - off;

		s = buf + off;
		off += n + (nl != NULL);
		if (++line > LOCK_MAX_LINES) {
			snprintf(err, errlen, "%s:%zu: more than %u lines", file,
			    line, LOCK_MAX_LINES);
			r = MG_ERR_USAGE;
			goto out;
		}
		if (n > 0 && s[n - 1] == '\r')
			n--;
		s[n] = '\0';	/* overwrites the '\n' or the CR */
		if (n > LOCK_MAX_LINE) {
			if ((r = add_problem(&b, line, "line longer than %u "
			    "bytes", LOCK_MAX_LINE)) != MG_OK)
				goto out;
			continue;
		}
		if (strspn(s, " \t") == n || s[0] == '#')
			continue;
		if ((r = manifest_line(&b, line, s, n)) != MG_OK)
			goto out;
	}
	if (b.n == 0) {
		if (out->nbad > 0)
			snprintf(err, errlen, "%s:%zu: no usable SHA-256 line; "
			    "first problem: %s", file, out->bad[0].line,
			    out->bad[0].message);
		else
			snprintf(err, errlen, "%s: no SHA-256 lines (expected "
			    "sha256sum output)", file);
		r = MG_ERR_USAGE;
		goto out;
	}
	if ((r = finish(&b)) != MG_OK)
		goto out;
	out->expect_match = 1;
	r = MG_OK;
out:
	if (r == MG_ERR_NOMEM)
		snprintf(err, errlen, "%s: out of memory", file);
	build_free(&b);
	free(buf);
	if (r != MG_OK)
		mg_lock_free(out);
	return r;
}

/* ---- building pins in code, freeing ---------------------------------- */

int
mg_lock_from_pins(struct mg_lock *out, const char *source,
    const char *const *paths, const char *const *hexes, const size_t *lines,
    size_t n)
{
	struct build b;
	char q[LOCK_SHOW + 8];
	size_t i;
	int r;

	memset(&b, 0, sizeof(b));
	if ((r = lock_init(out, source)) != MG_OK)
		return r;
	b.l = out;
	for (i = 0; i < n; i++) {
		const char *p = mg_path_skip_dot(paths[i]);
		size_t line = lines != NULL ? lines[i] : 0;

		quote(q, sizeof(q), p);
		if (*p == '\0')
			r = add_problem(&b, line, "an empty path is pinned");
		else if (strlen(hexes[i]) != 64 || hex_run(hexes[i]) != 64)
			r = add_problem(&b, line, "'%s': the digest is not 64 "
			    "hex digits", q);
		else
			r = add_entry(&b, p, strlen(p), hexes[i], 0, 0, line);
		if (r != MG_OK)
			goto out;
	}
	r = finish(&b);
out:
	build_free(&b);
	if (r != MG_OK)
		mg_lock_free(out);
	return r;
}

void
mg_lock_free(struct mg_lock *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->e[i].path);
	free(l->e);
	for (i = 0; i < l->nbad; i++)
		free(l->bad[i].message);
	free(l->bad);
	free(l->source);
	free(l->cwd);
	memset(l, 0, sizeof(*l));
}
