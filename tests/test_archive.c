/*
 * test_archive.c - archives and compressed streams end to end through
 * MG_BIN: every member is an artifact named ARCHIVE!MEMBER (nested:
 * a.tar.gz!b.zip!c/model.gguf; a raw stream m.gguf.zst!m.gguf) beside the
 * archive's own artifact; benign archives of every format pass and list
 * every member in scan, bom and lock; each hazard gives its ARC-* rule on
 * the right artifact and fails; a malicious member gives the findings it
 * gives on disk; a lock pins member digests; bombs stop at their limits
 * in bounded memory and write nothing.
 *
 * Fixtures are written once per run by fixtures/writers/archive_fixtures.sh
 * (MG_ARCHIVE_WRITER, else MG_SRCDIR/fixtures/writers/) into a temporary
 * directory, from the generated GGUF and safetensors fixtures (MG_FIXTURES)
 * and, when test_pickle has written it, a hostile pickle.  A fixture whose
 * tool is missing is skipped by the writer ("skip: FILE: TOOL missing")
 * and its test passes with a note; a fixture missing for any other reason
 * fails.
 *
 * Where a finding lands is given as alternatives separated by '|'; an
 * alternative ending in "!*" is the archive itself or anything inside it.
 * Only where the specification leaves the choice open (a limit, a damaged
 * stream, an encrypted 7z, a zip whose two directories disagree) is more
 * than one artifact allowed.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include <archive.h>
#include <archive_entry.h>
#define MG_ARCLIB_IMPL	/* the table's names, not calls through it */
#include "arclib.h"
#include "hash.h"
#include "suites.h"
#include "tutil.h"

/* The policy's archive section: its name and keys, in this one place. */
#define POL_SECTION	"archive"
#define POL_DEPTH	"max_depth"
#define POL_MEMBERS	"max_members"
#define POL_TOTAL	"max_total_bytes"
#define POL_MEMBER	"max_member_bytes"
#define POL_RATIO	"max_ratio"

/* What a bomb scan may take: peak RSS of the child (KiB) and wall time. */
#define BOMB_RSS_KIB	(100L * 1024L)
#define BOMB_SECONDS	60.0

/* Path buffers (<limits.h> is shadowed by src/limits.h). */
#define TPATH		4096

/* The exit status of a gate that found a violation. */
#define EXIT_VIOLATION	1

/* Inputs, below MG_FIXTURES (make fixtures) and test_pickle's tree. */
#define IN_GGUF		"gguf/valid/llama-q4_k_m.gguf"
#define IN_ST		"safetensors/valid/one-tensor.safetensors"
#define IN_BAD_GGUF	"gguf/hostile/tensor-count-huge.gguf"
#define IN_PICKLE	"pickle/hostile/memo-names.pkl"

static char fixdir[TPATH];	/* the writer's OUTDIR, real path */
static int gen_status = -1;	/* the writer's exit status */

/* ---- fixtures ---------------------------------------------------------- */

static void
make_fixtures(void)
{
	const char *fx = getenv("MG_FIXTURES"), *src = getenv("MG_SRCDIR");
	const char *writer = getenv("MG_ARCHIVE_WRITER");
	char t[] = "/tmp/mgarcXXXXXX", w[TPATH], pkl[TPATH];
	char cmd[4 * TPATH + 512];

	if (fx == NULL || mkdtemp(t) == NULL || realpath(t, fixdir) == NULL)
		return;
	if (writer == NULL && src != NULL) {
		snprintf(w, sizeof(w), "%s/fixtures/writers/%s", src,
		    "archive_fixtures.sh");
		writer = w;
	}
	if (writer == NULL)
		return;
	snprintf(pkl, sizeof(pkl), "%s/" IN_PICKLE, fx);
	if (access(pkl, R_OK) != 0)
		pkl[0] = '\0';	/* the writer makes its own */
	snprintf(cmd, sizeof(cmd), "sh '%s' --gguf '%s/" IN_GGUF "' "
	    "--safetensors '%s/" IN_ST "' --bad-gguf '%s/" IN_BAD_GGUF "' "
	    "%s%s%s '%s' >'%s/generator.log' 2>&1", writer, fx, fx, fx,
	    pkl[0] ? "--pickle '" : "", pkl, pkl[0] ? "'" : "", fixdir, fixdir);
	gen_status = system(cmd);
}

static void
remove_fixtures(void)
{
	char cmd[TPATH + 32];

	if (strncmp(fixdir, "/tmp/", 5) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fixdir);
	if (system(cmd) != 0)
		fprintf(stderr, "test_archive: cannot remove %s\n", fixdir);
}

/* fixdir/rel in a static buffer (one of four, rotating). */
static const char *
fp(const char *rel)
{
	static char b[4][TPATH + 256];
	static int k;

	k = (k + 1) % 4;
	snprintf(b[k], sizeof(b[k]), "%s/%s", fixdir, rel);
	return b[k];
}

/*
 * 1 when fixture file was written; 0 (the test then passes) when the
 * writer skipped it for a missing tool; a failure otherwise.
 */
static int
have(const char *file)
{
	char key[512], *log, *hit, *nl;

	ck_assert_msg(fixdir[0] != '\0', "MG_FIXTURES or MG_SRCDIR is not "
	    "set (run through make test)");
	log = tu_slurp(fp("generator.log"), NULL);
	ck_assert_msg(gen_status == 0, "archive_fixtures.sh failed (status "
	    "%d):\n%s", gen_status, log != NULL ? log : "(no log)");
	if (access(fp(file), F_OK) == 0) {
		free(log);
		return 1;
	}
	snprintf(key, sizeof(key), "skip: %s: ", file);
	hit = log != NULL ? strstr(log, key) : NULL;
	ck_assert_msg(hit != NULL, "%s was neither written nor skipped", file);
	if ((nl = strchr(hit, '\n')) != NULL)
		*nl = '\0';
	fprintf(stderr, "test_archive: %s\n", hit);
	free(log);
	return 0;
}

static void
sha256_file(const char *path, char out[65])
{
	size_t n;
	char *p = tu_slurp(path, &n);

	ck_assert_msg(p != NULL, "cannot read %s", path);
	ck_assert_int_eq(mg_sha256_hex(p, n, out), 0);
	free(p);
}

/* ---- JSON -------------------------------------------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The reports write a byte that is not UTF-8 as a lone surrogate \udcNN
 * (Python's surrogateescape), which cJSON refuses.  Put the byte itself
 * back: cJSON keeps raw bytes in strings as they are, so a name compares
 * equal to its bytes.  A \udcNN after a high surrogate is half of a pair
 * and stays.
 */
static char *
unescape_bytes(const char *s)
{
	size_t i = 0, o = 0, n = strlen(s);
	char *d = malloc(n + 1);
	int high = 0;

	ck_assert_ptr_nonnull(d);
	while (i < n) {
		if (s[i] != '\\' || i + 1 >= n) {
			high = 0;
			d[o++] = s[i++];
			continue;
		}
		if (s[i + 1] == 'u' && i + 5 < n) {
			int a = hexval((unsigned char)s[i + 2]);
			int b = hexval((unsigned char)s[i + 3]);
			int c = hexval((unsigned char)s[i + 4]);
			int e = hexval((unsigned char)s[i + 5]);
			int u = (a | b | c | e) < 0 ? -1 :
			    a << 12 | b << 8 | c << 4 | e;

			if (u >= 0xdc80 && u <= 0xdcff && !high) {
				d[o++] = (char)(u & 0xff);
				i += 6;
				continue;
			}
			high = u >= 0xd800 && u <= 0xdbff;
			memcpy(d + o, s + i, 6);
			o += 6;
			i += 6;
			continue;
		}
		high = 0;
		d[o++] = s[i++];
		d[o++] = s[i++];
	}
	d[o] = '\0';
	return d;
}

struct run {
	struct tres	 t;
	cJSON		*doc;
};

static cJSON *
parse(const struct tres *t, const char *what)
{
	char *s;
	cJSON *j;

	ck_assert_msg(t->out != NULL && t->out[0] != '\0', "%s: no output "
	    "(exit %d): %s", what, t->status, t->err);
	s = unescape_bytes(t->out);
	j = cJSON_Parse(s);
	free(s);
	ck_assert_msg(j != NULL, "%s: output is not JSON (exit %d): %.2000s "
	    "%s", what, t->status, t->out, t->err);
	return j;
}

/* `modelgate scan --json - [--policy P] FILE` in fixdir. */
static struct run
scan(const char *file, const char *policy)
{
	const char *a[] = { "scan", "--json", "-", file, NULL, NULL, NULL };
	struct run r;

	if (policy != NULL) {
		a[3] = "--policy";
		a[4] = policy;
		a[5] = file;
	}
	r.t = tu_run(fixdir, a);
	r.doc = parse(&r.t, file);
	return r;
}

static void
run_free(struct run *r)
{
	cJSON_Delete(r->doc);
	tu_free(&r->t);
}

static const char *
str_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* path matches one of where's '|'-separated alternatives (see the top). */
static int
path_matches(const char *path, const char *where)
{
	const char *p = where;

	while (*p != '\0') {
		const char *bar = strchr(p, '|');
		size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p);

		if (n >= 2 && p[n - 2] == '!' && p[n - 1] == '*') {
			if (strncmp(path, p, n - 2) == 0 &&
			    (path[n - 2] == '\0' || path[n - 2] == '!'))
				return 1;
		} else if (strlen(path) == n && strncmp(path, p, n) == 0)
			return 1;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return 0;
}

static const cJSON *
artifacts(const struct run *r)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->doc, "artifacts");

	ck_assert_msg(cJSON_IsArray(v), "no artifacts[] in the report");
	return v;
}

/* The first artifact whose path is exactly path, or NULL. */
static const cJSON *
art_at(const struct run *r, const char *path)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, artifacts(r))
		if (strcmp(str_of(a, "path"), path) == 0)
			return a;
	return NULL;
}

static size_t
count_at(const struct run *r, const char *path)
{
	const cJSON *a;
	size_t n = 0;

	cJSON_ArrayForEach(a, artifacts(r))
		n += strcmp(str_of(a, "path"), path) == 0;
	return n;
}

/* Artifacts whose path starts with prefix (prefix "x.zip!": its members). */
static size_t
count_under(const struct run *r, const char *prefix)
{
	const cJSON *a;
	size_t n = 0;

	cJSON_ArrayForEach(a, artifacts(r))
		n += strncmp(str_of(a, "path"), prefix, strlen(prefix)) == 0;
	return n;
}

/* An active finding of rule on artifact a. */
static int
has_rule(const cJSON *a, const char *rule)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(a, "findings"))
		if (strcmp(str_of(f, "rule"), rule) == 0 &&
		    (cJSON_GetObjectItemCaseSensitive(f, "state") == NULL ||
		    strcmp(str_of(f, "state"), "active") == 0))
			return 1;
	return 0;
}

/* "path [format verdict] RULE RULE; ..." for failure messages. */
static const char *
dump(const struct run *r)
{
	static char b[16384];
	const cJSON *a, *f;
	size_t o = 0;

	b[0] = '\0';
	cJSON_ArrayForEach(a, artifacts(r)) {
		if (o >= sizeof(b) - 1)
			break;
		o += (size_t)snprintf(b + o, sizeof(b) - o, "\n  %s [%s %s]",
		    str_of(a, "path"), str_of(a, "format"),
		    str_of(a, "verdict"));
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(a,
		    "findings")) {
			if (o >= sizeof(b) - 1)
				break;
			o += (size_t)snprintf(b + o, sizeof(b) - o, " %s",
			    str_of(f, "rule"));
		}
	}
	return b;
}

/*
 * An archive's finding about one of its entries sits on the archive, keyed
 * by the entry's name: "F!m" matches archive F with a finding keyed m.
 */
static int
keyed_on_container(const cJSON *a, const char *rule, const char *where)
{
	const char *path = str_of(a, "path"), *p = where;
	const cJSON *f;

	while (*p != '\0') {
		const char *bar = strchr(p, '|');
		size_t n = bar != NULL ? (size_t)(bar - p) : strlen(p), pl;

		pl = strlen(path);
		if (n > pl + 1 && strncmp(p, path, pl) == 0 && p[pl] == '!' &&
		    memchr(p + pl + 1, '!', n - pl - 1) == NULL)
			cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(a,
			    "findings")) {
				const char *k = str_of(f, "key");

				if (strcmp(str_of(f, "rule"), rule) == 0 &&
				    k != NULL && strlen(k) == n - pl - 1 &&
				    strncmp(k, p + pl + 1, n - pl - 1) == 0)
					return 1;
			}
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return 0;
}

/* Some artifact matching where carries an active finding of rule. */
static void
expect_rule(const struct run *r, const char *rule, const char *where)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, artifacts(r))
		if ((path_matches(str_of(a, "path"), where) &&
		    has_rule(a, rule)) || keyed_on_container(a, rule, where))
			return;
	ck_abort_msg("no %s on %s; artifacts:%s", rule, where, dump(r));
}

/* No artifact matching where carries rule. */
static void
expect_no_rule(const struct run *r, const char *rule, const char *where)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, artifacts(r))
		ck_assert_msg(!(path_matches(str_of(a, "path"), where) &&
		    has_rule(a, rule)), "unexpected %s on %s; artifacts:%s",
		    rule, str_of(a, "path"), dump(r));
}

/* Artifact path is listed, in format fmt (NULL: any), read to its end. */
static const cJSON *
expect_listed(const struct run *r, const char *path, const char *fmt)
{
	const cJSON *a = art_at(r, path);

	ck_assert_msg(a != NULL, "%s is not listed; artifacts:%s", path,
	    dump(r));
	if (fmt != NULL)
		ck_assert_msg(strcmp(str_of(a, "format"), fmt) == 0,
		    "%s: format %s, not %s", path, str_of(a, "format"), fmt);
	ck_assert_msg(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a,
	    "complete")), "%s is not complete; artifacts:%s", path, dump(r));
	return a;
}

/* A policy file holding one archive limit; the path, static. */
static const char *
limit_policy(const char *dir, const char *key, unsigned long long v)
{
	static char path[TPATH];
	char text[512];

	snprintf(text, sizeof(text), "{\"version\": 1, \"" POL_SECTION "\": "
	    "{\"%s\": %llu}}\n", key, v);
	tu_write(dir, "policy.json", text);
	snprintf(path, sizeof(path), "%s/policy.json", dir);
	return path;
}

/* ---- benign archives --------------------------------------------------- */

struct member {
	const char	*name;		/* below the archive, after '!' */
	const char	*format;
	const char	*input;		/* fixdir/in/ file it holds; NULL: an
					   archive inside the archive */
};

static const struct member two[] = {
	{ "model.gguf", "gguf", "in/model.gguf" },
	{ "weights/model.safetensors", "safetensors", "in/model.safetensors" },
	{ NULL, NULL, NULL }
};

static const struct member one[] = {
	{ "model.gguf", "gguf", "in/model.gguf" },
	{ NULL, NULL, NULL }
};

static const struct member nested[] = {
	{ "inner.tar", "tar", NULL },
	{ "inner.tar!m.zip", "zip", NULL },
	{ "inner.tar!m.zip!model/model.gguf", "gguf", "in/model.gguf" },
	{ NULL, NULL, NULL }
};

static const struct benign {
	const char		*file;
	const char		*format;	/* the archive's; NULL: open */
	const struct member	*m;
	int			 exact;		/* nothing else is listed */
} benign[] = {
	{ "ok.zip", "zip", two, 1 },
	{ "ok-dd.zip", "zip", two, 1 },
	{ "ok-ustar.tar", "tar", two, 1 },
	{ "ok-pax.tar", "tar", two, 1 },
	{ "ok-gnu.tar", "tar", two, 1 },
	{ "ok.tar.gz", NULL, two, 1 },
	{ "ok.tar.bz2", NULL, two, 1 },
	{ "ok.tar.xz", NULL, two, 1 },
	{ "ok.tar.lzma", NULL, two, 1 },
	{ "ok.tar.zst", NULL, two, 1 },
	{ "ok.tar.lz4", NULL, two, 1 },
	{ "ok.7z", "7z", two, 1 },
	{ "model.gguf.gz", NULL, one, 1 },
	{ "model.gguf.xz", NULL, one, 1 },
	{ "model.gguf.zst", NULL, one, 1 },
	{ "model.gguf.bz2", NULL, one, 1 },
	{ "ok-nested.tar.gz", NULL, nested, 0 },
};
#define NBENIGN ((int)(sizeof(benign) / sizeof(benign[0])))

static const char *
member_path(const char *file, const char *name)
{
	static char b[2][TPATH];
	static int k;

	k ^= 1;
	snprintf(b[k], sizeof(b[k]), "%s!%s", file, name);
	return b[k];
}

/* scan: exit 0, the archive and every member listed and passing. */
/*
 * A 7z keeps its directory at its end: reading it needs random access,
 * which a file on disk gives and a member of another archive does not.
 * Nested, its members are not checked, and it never passes.
 */
START_TEST(sevenzip_nested_fails_closed)
{
	const cJSON *a;
	struct run r;

	if (!have("ok.7z"))
		return;
	tu_sh("cd '%s' && tar cf nested-7z.tar ok.7z", fixdir);
	r = scan("nested-7z.tar", NULL);
	ck_assert_msg(r.t.status != 0, "exit 0:%s", dump(&r));
	a = art_at(&r, "nested-7z.tar!ok.7z");
	ck_assert_msg(a != NULL, "the nested 7z is not listed:%s", dump(&r));
	ck_assert_msg(strcmp(str_of(a, "verdict"), "pass") != 0,
	    "the nested 7z passes:%s", dump(&r));
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a,
	    "complete")));
	ck_assert_ptr_null(art_at(&r, "nested-7z.tar!ok.7z!model.gguf"));
	run_free(&r);
	tu_sh("rm -f '%s/nested-7z.tar'", fixdir);
}
END_TEST

/*
 * Code scanning shows files of the repository: a member's result points
 * at its archive and names the member in its message and properties.
 */
START_TEST(sarif_points_at_the_archive)
{
	const char *a[] = { "scan", "-q", "--sarif", "-", "haz-pickle.zip",
	    NULL };
	const cJSON *res, *loc, *props;
	struct tres t;
	cJSON *doc;
	int seen = 0;

	if (!have("haz-pickle.zip"))
		return;
	t = tu_run(fixdir, a);
	doc = parse(&t, "haz-pickle.zip (sarif)");
	cJSON_ArrayForEach(res, cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "runs"),
	    0), "results")) {
		const char *msg = str_of(cJSON_GetObjectItemCaseSensitive(res,
		    "message"), "text");

		loc = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(res,
		    "locations"), 0);
		loc = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(loc, "physicalLocation"),
		    "artifactLocation");
		ck_assert_str_eq(str_of(loc, "uri"), "haz-pickle.zip");
		props = cJSON_GetObjectItemCaseSensitive(res, "properties");
		if (strcmp(str_of(props, "member"), "evil.pkl") == 0) {
			ck_assert_msg(strncmp(msg, "member evil.pkl: ", 17) == 0,
			    "message: %s", msg);
			seen++;
		}
	}
	ck_assert_msg(seen > 0, "no result names the member evil.pkl: %s",
	    t.out);
	cJSON_Delete(doc);
	tu_free(&t);
}
END_TEST

/*
 * Streams and zips that real writers make pass: a gzip of two members
 * (its expanded bytes are the model), an empty gzip, and a zip whose last
 * member is a stored zip, whose end record is member data.
 */
START_TEST(odd_but_benign)
{
	static const char *const files[] = { "ok-multi.gguf.gz", "ok-empty.gz",
	    "ok-stored-inner.zip" };
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct run r;

		if (!have(files[i]))
			continue;
		r = scan(files[i], NULL);
		ck_assert_msg(r.t.status == 0, "%s: exit %d:%s", files[i],
		    r.t.status, dump(&r));
		run_free(&r);
	}
	{
		struct run r;
		const cJSON *a;
		char want[65];

		if (!have("ok-multi.gguf.gz"))
			return;
		r = scan("ok-multi.gguf.gz", NULL);
		a = expect_listed(&r, "ok-multi.gguf.gz!ok-multi.gguf", "gguf");
		sha256_file(fp("in/model.gguf"), want);
		ck_assert_str_eq(str_of(a, "sha256"), want);
		run_free(&r);
	}
}
END_TEST

START_TEST(benign_scan)
{
	const struct benign *b = &benign[_i];
	const struct member *m;
	const cJSON *a;
	struct run r;
	char want[65], prefix[TPATH];
	size_t n = 0;

	if (!have(b->file))
		return;
	r = scan(b->file, NULL);
	ck_assert_msg(r.t.status == 0, "%s: exit %d: %s; artifacts:%s",
	    b->file, r.t.status, r.t.err, dump(&r));
	ck_assert_str_eq(str_of(r.doc, "verdict"), "pass");
	a = expect_listed(&r, b->file, b->format);
	ck_assert_msg(strcmp(str_of(a, "format"), "unknown") != 0,
	    "%s: the archive's format is unknown", b->file);
	ck_assert_str_eq(str_of(a, "verdict"), "pass");
	for (m = b->m; m->name != NULL; m++, n++) {
		a = expect_listed(&r, member_path(b->file, m->name), m->format);
		ck_assert_str_eq(str_of(a, "verdict"), "pass");
		if (m->input == NULL)
			continue;
		sha256_file(fp(m->input), want);
		ck_assert_msg(strcmp(str_of(a, "sha256"), want) == 0,
		    "%s!%s: sha256 %s is not the member's %s", b->file,
		    m->name, str_of(a, "sha256"), want);
	}
	snprintf(prefix, sizeof(prefix), "%s!", b->file);
	if (b->exact)
		ck_assert_msg(count_under(&r, prefix) == n, "%s: %zu members "
		    "listed, not %zu:%s", b->file, count_under(&r, prefix), n,
		    dump(&r));
	run_free(&r);
}
END_TEST

static int
bom_has(const cJSON *o, const char *path, const char *sha)
{
	return strcmp(str_of(o, "model_path"), path) == 0 &&
	    strcmp(str_of(o, "sha256"), sha) == 0;
}

/* bom --format json: every model member, by absolute path and digest. */
START_TEST(benign_bom)
{
	const struct benign *b = &benign[_i];
	const char *args[] = { "bom", "--format", "json", b->file, NULL };
	const struct member *m;
	struct tres t;
	cJSON *doc, *one_doc, *e;
	char want[65], path[2 * TPATH];

	if (!have(b->file))
		return;
	t = tu_run(fixdir, args);
	ck_assert_msg(t.status == 0, "%s: bom exit %d: %s", b->file,
	    t.status, t.err);
	doc = parse(&t, b->file);
	/* One object when one model is found, else an array. */
	one_doc = cJSON_IsArray(doc) ? NULL : doc;
	for (m = b->m; m->name != NULL; m++) {
		int seen = 0;

		if (m->input == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/%s!%s", fixdir, b->file,
		    m->name);
		sha256_file(fp(m->input), want);
		if (one_doc != NULL)
			seen = bom_has(one_doc, path, want);
		else
			cJSON_ArrayForEach(e, doc)
				seen |= bom_has(e, path, want);
		ck_assert_msg(seen, "bom lacks %s (sha256 %s): %.3000s", path,
		    want, t.out);
	}
	cJSON_Delete(doc);
	tu_free(&t);
}
END_TEST

/*
 * A config.json member beside a model member counts as a sidecar does on
 * disk; --no-sidecars turns it off.
 */
START_TEST(sidecar_member_beside_model)
{
	const char *on[] = { "bom", "--format", "json", "ok-nested.tar.gz",
	    NULL };
	const char *off[] = { "bom", "--no-sidecars", "--format", "json",
	    "ok-nested.tar.gz", NULL };
	const char *const *args[2] = { on, off };
	char path[2 * TPATH];
	int k;

	if (!have("ok-nested.tar.gz"))
		return;
	snprintf(path, sizeof(path), "%s/ok-nested.tar.gz!inner.tar!m.zip!"
	    "model/model.gguf", fixdir);
	for (k = 0; k < 2; k++) {
		struct tres t = tu_run(fixdir, args[k]);
		cJSON *doc = parse(&t, "ok-nested.tar.gz (bom)");
		const cJSON *e, *hit = NULL, *sc;

		ck_assert_msg(t.status == 0, "bom exit %d: %s", t.status, t.err);
		if (cJSON_IsArray(doc)) {
			cJSON_ArrayForEach(e, doc)
				if (strcmp(str_of(e, "model_path"), path) == 0)
					hit = e;
		} else if (strcmp(str_of(doc, "model_path"), path) == 0)
			hit = doc;
		ck_assert_msg(hit != NULL, "bom lacks %s: %s", path, t.out);
		sc = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(hit, "metadata"),
		    "sidecar_config");
		if (k == 0)
			ck_assert_msg(strcmp(str_of(sc, "model_type"), "llama") ==
			    0, "no sidecar_config.model_type: %s", t.out);
		else
			ck_assert_msg(sc == NULL, "sidecar read with "
			    "--no-sidecars: %s", t.out);
		cJSON_Delete(doc);
		tu_free(&t);
	}
}
END_TEST

/* lock -o -: every member pinned with its own digest. */
START_TEST(benign_lock)
{
	const struct benign *b = &benign[_i];
	const char *args[] = { "lock", "-o", "-", b->file, NULL };
	const struct member *m;
	const cJSON *e, *arts;
	struct tres t;
	cJSON *doc;
	char want[65];

	if (!have(b->file))
		return;
	t = tu_run(fixdir, args);
	ck_assert_msg(t.status == 0, "%s: lock exit %d: %s", b->file,
	    t.status, t.err);
	doc = parse(&t, b->file);
	arts = cJSON_GetObjectItemCaseSensitive(doc, "artifacts");
	ck_assert(cJSON_IsArray(arts));
	for (m = b->m; m->name != NULL; m++) {
		const char *p = member_path(b->file, m->name);
		int seen = 0;

		if (m->input == NULL)
			continue;
		sha256_file(fp(m->input), want);
		cJSON_ArrayForEach(e, arts)
			seen |= strcmp(str_of(e, "path"), p) == 0 &&
			    strcmp(str_of(e, "sha256"), want) == 0;
		ck_assert_msg(seen, "the lock lacks %s (sha256 %s): %.3000s", p,
		    want, t.out);
	}
	cJSON_Delete(doc);
	tu_free(&t);
}
END_TEST

/*
 * lock, verify, then the same archive written again with one byte of one
 * member changed: that member, and only among the members that one, is a
 * HASH-MISMATCH.
 */
START_TEST(lock_pins_member_digests)
{
	const char *lock[] = { "lock", "-o", "modelgate.lock", "models", NULL };
	const char *verify[] = { "scan", "--lock", "modelgate.lock", "--json",
	    "-", "models", NULL };
	char *d;
	struct run r;

	if (!have("ok.zip") || !have("ok-flip.zip"))
		return;
	d = tu_tmpdir();
	tu_sh("mkdir '%s/models' && cp '%s' '%s/models/bundle.zip'", d,
	    fp("ok.zip"), d);
	r.t = tu_run(d, lock);
	ck_assert_msg(r.t.status == 0, "lock exit %d: %s", r.t.status,
	    r.t.err);
	tu_free(&r.t);
	r.t = tu_run(d, verify);
	r.doc = parse(&r.t, "scan --lock");
	ck_assert_msg(r.t.status == 0, "verify exit %d: %s;%s", r.t.status,
	    r.t.err, dump(&r));
	expect_listed(&r, "models/bundle.zip!model.gguf", "gguf");
	expect_listed(&r, "models/bundle.zip!weights/model.safetensors",
	    "safetensors");
	expect_no_rule(&r, "HASH-MISMATCH", "models/bundle.zip!*");
	run_free(&r);

	tu_sh("cp '%s' '%s/models/bundle.zip'", fp("ok-flip.zip"), d);
	r.t = tu_run(d, verify);
	r.doc = parse(&r.t, "scan --lock after the change");
	ck_assert_msg(r.t.status == EXIT_VIOLATION, "verify exit %d: %s;%s",
	    r.t.status, r.t.err, dump(&r));
	expect_rule(&r, "HASH-MISMATCH", "models/bundle.zip!model.gguf");
	expect_no_rule(&r, "HASH-MISMATCH",
	    "models/bundle.zip!weights/model.safetensors");
	run_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * Member names that differ only in case or in Unicode normal form collide
 * on a case-insensitive extraction: a plain ASCII name and a name that
 * folds to it (the Kelvin sign folds to k; e + a combining acute is é)
 * are both duplicates, whichever came first; distinct names are not.
 */
START_TEST(dup_names_fold_across_scripts)
{
	const char *scan[] = { "scan", "--json", "-", "n.zip", NULL };
	const cJSON *a, *f;
	char *d;
	struct run r;
	int dups = 0;

	d = tu_tmpdir();
	tu_sh("cd '%s' && python3 -c \"import zipfile\n"
	    "z = zipfile.ZipFile('n.zip', 'w')\n"
	    "for n in ('key.txt', '\\u212aey.txt', 'caf\\u00e9.txt', "
	    "'cafe\\u0301.txt', 'Plain.txt', 'other.txt', '\\u00c9t\\u00e9.txt',"
	    " '\\u00e9T\\u00c9.txt'):\n"
	    "    z.writestr(n, 'x')\n"
	    "z.close()\"", d);
	r.t = tu_run(d, scan);
	r.doc = parse(&r.t, "scan of folded names");
	expect_rule(&r, "ARC-DUP", "n.zip!\xe2\x84\xaa" "ey.txt");
	/* The archive library hands the decomposed name over composed. */
	expect_rule(&r, "ARC-DUP", "n.zip!caf\xc3\xa9.txt");
	expect_rule(&r, "ARC-DUP", "n.zip!\xc3\xa9T\xc3\x89.txt");
	cJSON_ArrayForEach(a, artifacts(&r))
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(a,
		    "findings"))
			if (strcmp(str_of(f, "rule"), "ARC-DUP") == 0)
				dups++;
	ck_assert_msg(dups == 3, "%d ARC-DUP findings, want 3:%s", dups,
	    dump(&r));
	run_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* ---- hazards ----------------------------------------------------------- */

static const struct hazard {
	const char	*file;
	const char	*rule;		/* NULL: the rules `disk` gives */
	const char	*where;		/* see the top of this file */
	const char	*disk;		/* fixdir file scanned for comparison */
	int		 copies;	/* artifacts at `where`, at least */
	const char	*listed[2];	/* still listed, checked, in GGUF */
} hazard[] = {
	{ "haz-traversal.tar", "ARC-PATH", "haz-traversal.tar!../evil.gguf",
	    NULL, 1, { "haz-traversal.tar!../evil.gguf", NULL } },
	{ "haz-traversal.zip", "ARC-PATH", "haz-traversal.zip!../evil.gguf",
	    NULL, 1, { "haz-traversal.zip!../evil.gguf", NULL } },
	{ "haz-absolute.tar", "ARC-PATH", "haz-absolute.tar!/tmp/x.gguf",
	    NULL, 1, { "haz-absolute.tar!/tmp/x.gguf", NULL } },
	{ "haz-drive.zip", "ARC-PATH", "haz-drive.zip!C:x.gguf",
	    NULL, 1, { "haz-drive.zip!C:x.gguf", NULL } },
	{ "haz-backslash.tar", "ARC-PATH", "haz-backslash.tar!dir\\x.gguf",
	    NULL, 1, { "haz-backslash.tar!dir\\x.gguf", NULL } },
	{ "haz-nonutf8.tar", "ARC-PATH", "haz-nonutf8.tar!caf\xe9.gguf",
	    NULL, 1, { "haz-nonutf8.tar!caf\xe9.gguf", NULL } },
	{ "haz-symlink.tar", "ARC-LINK", "haz-symlink.tar!link.gguf",
	    NULL, 1, { "haz-symlink.tar!model.gguf", NULL } },
	{ "haz-symlink.zip", "ARC-LINK", "haz-symlink.zip!link.gguf",
	    NULL, 1, { "haz-symlink.zip!model.gguf", NULL } },
	{ "haz-hardlink.tar", "ARC-LINK", "haz-hardlink.tar!copy.gguf",
	    NULL, 1, { "haz-hardlink.tar!model.gguf", NULL } },
	{ "haz-fifo.tar", "ARC-SPECIAL", "haz-fifo.tar!pipe",
	    NULL, 1, { "haz-fifo.tar!model.gguf", NULL } },
	{ "haz-device.tar", "ARC-SPECIAL", "haz-device.tar!dev/null",
	    NULL, 1, { "haz-device.tar!model.gguf", NULL } },
	{ "haz-zipcrypto.zip", "ARC-ENCRYPTED", "haz-zipcrypto.zip!model.gguf",
	    NULL, 1, { NULL, NULL } },
	{ "haz-aes.zip", "ARC-ENCRYPTED", "haz-aes.zip!model.gguf",
	    NULL, 1, { NULL, NULL } },
	/* Names readable, data encrypted: the member or the archive. */
	{ "haz-enc.7z", "ARC-ENCRYPTED", "haz-enc.7z!model.gguf|haz-enc.7z",
	    NULL, 1, { NULL, NULL } },
	/* Names encrypted too: nothing but the archive is known. */
	{ "haz-enc-hdr.7z", "ARC-ENCRYPTED", "haz-enc-hdr.7z",
	    NULL, 1, { NULL, NULL } },
	{ "haz-trunc.tar.gz", "ARC-CORRUPT",
	    "haz-trunc.tar.gz|haz-trunc.tar.gz!filler.txt",
	    NULL, 1, { "haz-trunc.tar.gz!model.gguf", NULL } },
	{ "haz-trunc.zip", "ARC-CORRUPT",
	    "haz-trunc.zip|haz-trunc.zip!filler.bin",
	    NULL, 1, { "haz-trunc.zip!model.gguf", NULL } },
	/* Central directory: model.gguf; local header: evilx.gguf. */
	{ "haz-zipdir.zip", "ARC-ZIPDIR", "haz-zipdir.zip|"
	    "haz-zipdir.zip!model.gguf|haz-zipdir.zip!evilx.gguf",
	    NULL, 1, { NULL, NULL } },
	{ "haz-prepend.zip", "ARC-EXTRA", "haz-prepend.zip",
	    NULL, 1, { "haz-prepend.zip!model.gguf", NULL } },
	{ "haz-append.zip", "ARC-EXTRA", "haz-append.zip",
	    NULL, 1, { "haz-append.zip!model.gguf", NULL } },
	{ "haz-dup.zip", "ARC-DUP", "haz-dup.zip!model.gguf",
	    NULL, 2, { "haz-dup.zip!model.gguf", NULL } },
	{ "haz-dup.tar", "ARC-DUP", "haz-dup.tar!model.gguf",
	    NULL, 2, { "haz-dup.tar!model.gguf", NULL } },
	{ "haz-casedup.zip", "ARC-DUP",
	    "haz-casedup.zip!Model.gguf|haz-casedup.zip!model.gguf",
	    NULL, 1, { "haz-casedup.zip!Model.gguf",
	    "haz-casedup.zip!model.gguf" } },
	{ "haz-pickle.zip", NULL, "haz-pickle.zip!evil.pkl",
	    "in/evil.pkl", 1, { "haz-pickle.zip!model.gguf", NULL } },
	{ "haz-nested-pickle.tar.gz", NULL,
	    "haz-nested-pickle.tar.gz!inner.zip!evil.pkl",
	    "in/evil.pkl", 1, { NULL, NULL } },
	/* Reader differentials: each hides in/evil.pkl from some reader. */
	{ "haz-poly.pkl", "FMT-POLYGLOT", "haz-poly.pkl", NULL, 1,
	    { NULL, NULL } },
	{ "haz-poly.pkl.gz", "FMT-POLYGLOT", "haz-poly.pkl.gz!haz-poly.pkl",
	    NULL, 1, { NULL, NULL } },
	{ "haz-zeroblock.tar.gz", "ARC-EXTRA",
	    "haz-zeroblock.tar.gz!haz-zeroblock.tar", NULL, 1, { NULL, NULL } },
	{ "haz-second.tar.gz", "ARC-EXTRA", "haz-second.tar.gz", NULL, 1,
	    { "haz-second.tar.gz!m/model.gguf", NULL } },
	{ "haz-concat.pkl.lzma", "ARC-EXTRA", "haz-concat.pkl.lzma", NULL, 1,
	    { NULL, NULL } },
	{ "haz-trail.pkl.gz", "ARC-EXTRA", "haz-trail.pkl.gz", NULL, 1,
	    { NULL, NULL } },
	{ "haz-eocd.zip", "ARC-ZIPDIR", "haz-eocd.zip", NULL, 1,
	    { NULL, NULL } },
	{ "haz-crc.gguf.gz", "ARC-CORRUPT", "haz-crc.gguf.gz", NULL, 1,
	    { NULL, NULL } },
	{ "haz-tarpoly.tar.gz", "FMT-POLYGLOT", "haz-tarpoly.tar.gz", NULL, 1,
	    { NULL, NULL } },
	{ "haz-bang.zip", "ARC-PATH", "haz-bang.zip", NULL, 1,
	    { "haz-bang.zip!a!model.gguf", NULL } },
	{ "haz-badgguf.tar", NULL, "haz-badgguf.tar!model.gguf",
	    "in/bad.gguf", 1, { NULL, NULL } },
};
#define NHAZARD ((int)(sizeof(hazard) / sizeof(hazard[0])))

/*
 * The rule appears where it should, the scan fails with a violation, the
 * archive's own artifact does not pass, and what could be read is listed.
 */
START_TEST(hazard_found)
{
	const struct hazard *h = &hazard[_i];
	const cJSON *a, *f;
	struct run r, disk;
	size_t k;

	if (!have(h->file))
		return;
	r = scan(h->file, NULL);
	ck_assert_msg(r.t.status == EXIT_VIOLATION, "%s: exit %d, not %d: "
	    "%s;%s", h->file, r.t.status, EXIT_VIOLATION, r.t.err, dump(&r));
	ck_assert_str_eq(str_of(r.doc, "verdict"), "fail");
	if (h->rule != NULL)
		expect_rule(&r, h->rule, h->where);
	a = art_at(&r, h->file);
	ck_assert_msg(a != NULL, "%s itself is not listed:%s", h->file,
	    dump(&r));
	/* A hazard of the archive fails it; a bad member fails itself. */
	if (h->rule != NULL && has_rule(a, h->rule))
		ck_assert_msg(strcmp(str_of(a, "verdict"), "pass") != 0,
		    "%s passes:%s", h->file, dump(&r));
	for (k = 0; k < 2 && h->listed[k] != NULL; k++)
		expect_listed(&r, h->listed[k], "gguf");
	if (h->copies > 1)
		ck_assert_msg(count_at(&r, h->where) >= (size_t)h->copies,
		    "%s: %zu artifacts at %s, not %d:%s", h->file,
		    count_at(&r, h->where), h->where, h->copies, dump(&r));
	if (h->disk != NULL) {
		/* The same format and every rule the file gives on disk. */
		disk = scan(h->disk, NULL);
		a = art_at(&disk, h->disk);
		ck_assert_msg(a != NULL, "%s not scanned", h->disk);
		ck_assert_msg(disk.t.status == EXIT_VIOLATION, "%s on disk: "
		    "exit %d", h->disk, disk.t.status);
		{
			const cJSON *m = art_at(&r, h->where);

			ck_assert_msg(m != NULL, "%s is not listed:%s", h->where,
			    dump(&r));
			ck_assert_str_eq(str_of(m, "format"), str_of(a, "format"));
			/* Read as far as on disk: complete exactly when it is. */
			ck_assert_int_eq(cJSON_IsTrue(
			    cJSON_GetObjectItemCaseSensitive(m, "complete")),
			    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a,
			    "complete")));
		}
		cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(a,
		    "findings"))
			expect_rule(&r, str_of(f, "rule"), h->where);
		run_free(&disk);
	}
	run_free(&r);
}
END_TEST

/* ---- bombs ------------------------------------------------------------- */

static char listing[65536];
static size_t listing_len;
static size_t listing_root;

static int
list_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if (listing_len < sizeof(listing))
		listing_len += (size_t)snprintf(listing + listing_len,
		    sizeof(listing) - listing_len, "%s %d %lld\n",
		    p + listing_root, flag, flag == FTW_F ?
		    (long long)st->st_size : 0LL);
	return 0;
}

/* Every entry below dir with its type and size, malloc'd. */
static char *
list_tree(const char *dir)
{
	char *s;

	listing_len = 0;
	listing[0] = '\0';
	listing_root = strlen(dir);
	ck_assert_int_eq(nftw(dir, list_one, 16, FTW_PHYS), 0);
	ck_assert_msg(listing_len < sizeof(listing), "%s: listing too long",
	    dir);
	s = strdup(listing);
	ck_assert_ptr_nonnull(s);
	return s;
}

static const char *const bombs[] = {
	"bomb-ratio.tar.xz",	/* 200 MiB of zeros in about 30 KiB */
	"bomb-ratio.tar.zst",	/* the same in about 7 KiB */
	"bomb-depth.tar.gz",	/* five archives deep */
};
#define NBOMB ((int)(sizeof(bombs) / sizeof(bombs[0])))

/*
 * ARC-LIMIT under the default limits, a violation, within BOMB_RSS_KIB
 * and BOMB_SECONDS, run from an empty directory with TMPDIR in it: that
 * directory and the fixtures are the same afterwards.
 */
START_TEST(bomb_stops_at_limit)
{
	const char *file = bombs[_i];
	char *d, *before_d, *before_f, *after_d, *after_f, tmpenv[TPATH];
	char abs[TPATH + 256], where[TPATH + 512];
	const char *env[] = { tmpenv, NULL };
	const char *args[] = { "scan", "--json", "-", abs, NULL };
	struct timespec t0, t1;
	struct rusage ru;
	struct run r;
	double secs;

	if (!have(file))
		return;
	d = tu_tmpdir();
	tu_sh("mkdir '%s/tmp'", d);
	snprintf(tmpenv, sizeof(tmpenv), "TMPDIR=%s/tmp", d);
	snprintf(abs, sizeof(abs), "%s", fp(file));
	snprintf(where, sizeof(where), "%s!*", abs);
	before_d = list_tree(d);
	before_f = list_tree(fixdir);
	memset(&ru, 0, sizeof(ru));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r.t = tu_run_env(d, args, env, &ru);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	r.doc = parse(&r.t, file);
	ck_assert_msg(r.t.status == EXIT_VIOLATION, "%s: exit %d: %s;%s",
	    file, r.t.status, r.t.err, dump(&r));
	expect_rule(&r, "ARC-LIMIT", where);
	/*
	 * A sanitizer build keeps freed memory in quarantine and maps shadow
	 * pages: its figure says nothing of the tool's.  The bound is for
	 * the real build (make test).
	 */
	if (strstr(tu_env("MG_BIN"), "/asan/") == NULL &&
	    strstr(tu_env("MG_BIN"), "/tsan/") == NULL)
		ck_assert_msg(ru.ru_maxrss < BOMB_RSS_KIB, "%s: peak RSS %ld "
		    "KiB", file, ru.ru_maxrss);
	ck_assert_msg(secs < BOMB_SECONDS, "%s: %.1f s", file, secs);
	after_d = list_tree(d);
	after_f = list_tree(fixdir);
	ck_assert_msg(strcmp(before_d, after_d) == 0, "%s: the scan wrote "
	    "in its directory:\n%s\nbecame\n%s", file, before_d, after_d);
	ck_assert_msg(strcmp(before_f, after_f) == 0, "%s: the scan wrote "
	    "beside the fixture", file);
	free(before_d);
	free(before_f);
	free(after_d);
	free(after_f);
	run_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* ---- the policy's archive section -------------------------------------- */

static const struct limit {
	const char		*file;
	const char		*key;
	unsigned long long	 value;
	const char		*deep;	/* NULL: ARC-LIMIT, exit 1; else a
					   member listed and a pass */
} limits[] = {
	{ "ok.zip", POL_MEMBERS, 1, NULL },
	{ "ok.zip", POL_MEMBERS, 2, "ok.zip!weights/model.safetensors" },
	{ "ok.zip", POL_MEMBER, 1000, NULL },
	{ "ok.zip", POL_TOTAL, 2000, NULL },
	{ "ok-nested.tar.gz", POL_DEPTH, 1, NULL },
	{ "bomb-depth.tar.gz", POL_DEPTH, 8,
	    "bomb-depth.tar.gz!d4.zip!d3.tar!d2.zip!d1.tar!model.gguf" },
	{ "bomb-ratio.tar.zst", POL_RATIO, 1000000, "bomb-ratio.tar.zst" },
};
#define NLIMIT ((int)(sizeof(limits) / sizeof(limits[0])))

START_TEST(policy_limit)
{
	const struct limit *l = &limits[_i];
	char where[TPATH], *d;
	const char *pol;
	struct run r;

	if (!have(l->file))
		return;
	d = tu_tmpdir();
	pol = limit_policy(d, l->key, l->value);
	r = scan(l->file, pol);
	snprintf(where, sizeof(where), "%s!*", l->file);
	if (l->deep == NULL) {
		ck_assert_msg(r.t.status == EXIT_VIOLATION, "%s with %s %llu: "
		    "exit %d: %s;%s", l->file, l->key, l->value, r.t.status,
		    r.t.err, dump(&r));
		expect_rule(&r, "ARC-LIMIT", where);
	} else {
		ck_assert_msg(r.t.status == 0, "%s with %s %llu: exit %d: "
		    "%s;%s", l->file, l->key, l->value, r.t.status, r.t.err,
		    dump(&r));
		expect_no_rule(&r, "ARC-LIMIT", where);
		expect_listed(&r, l->deep, NULL);
	}
	run_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/* The path matcher itself: exact, alternatives, and "!*". */
START_TEST(where_matcher)
{
	ck_assert(path_matches("a.zip", "a.zip"));
	ck_assert(!path_matches("a.zip!m", "a.zip"));
	ck_assert(path_matches("a.zip!m", "x|a.zip!m"));
	ck_assert(path_matches("a.zip", "a.zip!*"));
	ck_assert(path_matches("a.zip!b.tar!c", "a.zip!*"));
	ck_assert(!path_matches("a.zipx", "a.zip!*"));
	ck_assert(!path_matches("b.zip", "a.zip!*|a.zip"));
	ck_assert(!path_matches("", "a"));
}
END_TEST

/*
 * Without a usable archive library every archive fails closed, and a
 * plain model beside it is still checked: a stand-in found first on
 * LD_LIBRARY_PATH has none of the library's functions.
 */
#define ARC_NAME(f)	#f,
static const char *const arc_names[] = { MG_ARCLIB_FUNCS(ARC_NAME) };
#undef ARC_NAME

START_TEST(library_unusable_fails_closed)
{
	const char *scan[] = { "scan", "--json", "-", ".", NULL };
	const char *env[2] = { NULL, NULL };
	char ld[512], path[4200];
	const cJSON *a, *f;
	struct run r;
	char *d;
	int said = 0;
	size_t i;
	FILE *fp;

	d = tu_tmpdir();
	/*
	 * Two stand-ins: one without the library's functions, and one with
	 * all of them, each calling a function no library defines (versions
	 * of libarchive and its dependencies out of step).
	 */
	snprintf(path, sizeof(path), "%s/stub.c", d);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	if (_i == 0)
		fputs("int mg_stand_in;\n", fp);
	else {
		fputs("void mg_nowhere(void);\n", fp);
		for (i = 0; i < sizeof(arc_names) / sizeof(arc_names[0]); i++)
			fprintf(fp, "void %s(void) { mg_nowhere(); }\n",
			    arc_names[i]);
	}
	ck_assert_int_eq(fclose(fp), 0);
	tu_sh("cd '%s' && mkdir lib && cc -shared -fPIC stub.c -o 'lib/%s' && "
	    "rm stub.c && python3 -c \"import "
	    "zipfile\nz = zipfile.ZipFile('m.zip', 'w')\n"
	    "z.writestr('a.txt', 'x')\nz.close()\" && "
	    "printf '\\200\\004N.' > m.pkl && cp m.zip m.npz",
	    d, MG_ARCHIVE_SONAME);
	snprintf(ld, sizeof(ld), "LD_LIBRARY_PATH=%s/lib", d);
	env[0] = ld;
	/* The build that opens the library at run time (ARCHIVE_STATIC=0). */
	r.t = tu_run_bin(tu_env("MG_BIN_DL"), d, scan, env);
	r.doc = parse(&r.t, "scan without the archive library");
	ck_assert_msg(r.t.status == 3, "exit %d, want 3:%s", r.t.status,
	    dump(&r));
	expect_rule(&r, "IO-READ", "m.zip");
	expect_rule(&r, "IO-READ", "m.npz");
	ck_assert_uint_eq(count_under(&r, "m.zip!"), 0);
	a = art_at(&r, "m.zip");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_ne(str_of(a, "verdict"), "pass");
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(a, "findings"))
		if (strstr(str_of(f, "message"), MG_ARCHIVE_SONAME) != NULL)
			said = 1;
	ck_assert_msg(said, "no finding names the library:%s", dump(&r));
	a = art_at(&r, "m.pkl");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(str_of(a, "verdict"), "pass");
	run_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * A member name spelt in CESU-8 (a surrogate pair as two 3-byte
 * sequences) is read as the character it encodes, as the archive
 * library's UTF-8 conversion gives it: the same path, lock pin and
 * fingerprint whichever way the name was written.
 */
START_TEST(cesu8_member_names_decoded)
{
	const char *scan[] = { "scan", "--json", "-", "c.tar", NULL };
	struct run r;
	char *d;

	d = tu_tmpdir();
	tu_sh("cd '%s' && python3 -c \"import tarfile, io, pickle\n"
	    "d = pickle.dumps({'a': 1}, 2)\n"
	    "t = tarfile.open('c.tar', 'w', format=tarfile.USTAR_FORMAT, "
	    "encoding='utf-8', errors='surrogateescape')\n"
	    "i = tarfile.TarInfo(b'\\xed\\xa0\\xbd\\xed\\xb8\\x80.pkl'"
	    ".decode('utf-8', 'surrogateescape'))\n"
	    "i.size = len(d)\n"
	    "t.addfile(i, io.BytesIO(d))\n"
	    "t.close()\"", d);
	r.t = tu_run(d, scan);
	r.doc = parse(&r.t, "scan of a CESU-8 member name");
	ck_assert_msg(r.t.status == 0, "exit %d:%s", r.t.status, dump(&r));
	expect_listed(&r, "c.tar!\xf0\x9f\x98\x80.pkl", NULL);
	expect_no_rule(&r, "ARC-PATH", "c.tar");
	run_free(&r);
	tu_rmrf(d);
	free(d);
}
END_TEST

START_TEST(surrogates_become_bytes)
{
	char *s = unescape_bytes("{\"p\": \"caf\\udce9\\\\udce9 \\ud83d\\udc00"
	    " \\u0041\"}");
	cJSON *j = cJSON_Parse(s);

	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(str_of(j, "p"),
	    "caf\xe9\\udce9 \xf0\x9f\x90\x80 A");
	cJSON_Delete(j);
	free(s);
}
END_TEST

Suite *
archive_suite(void)
{
	Suite *s = suite_create("archive");
	TCase *tc = tcase_create("archive");

	tcase_add_unchecked_fixture(tc, make_fixtures, remove_fixtures);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, where_matcher);
	tcase_add_test(tc, surrogates_become_bytes);
	tcase_add_loop_test(tc, library_unusable_fails_closed, 0, 2);
	tcase_add_test(tc, cesu8_member_names_decoded);
	tcase_add_test(tc, sevenzip_nested_fails_closed);
	tcase_add_test(tc, odd_but_benign);
	tcase_add_test(tc, sarif_points_at_the_archive);
	tcase_add_test(tc, sidecar_member_beside_model);
	tcase_add_loop_test(tc, benign_scan, 0, NBENIGN);
	tcase_add_loop_test(tc, benign_bom, 0, NBENIGN);
	tcase_add_loop_test(tc, benign_lock, 0, NBENIGN);
	tcase_add_test(tc, lock_pins_member_digests);
	tcase_add_test(tc, dup_names_fold_across_scripts);
	tcase_add_loop_test(tc, hazard_found, 0, NHAZARD);
	tcase_add_loop_test(tc, bomb_stops_at_limit, 0, NBOMB);
	tcase_add_loop_test(tc, policy_limit, 0, NLIMIT);
	suite_add_tcase(s, tc);
	return s;
}
