/*
 * merge.c - read shard reports back into one gate; recount a gate.
 *
 * Every artifact of the merged gate is synthetic and owned by it; the
 * strings the gate only borrows (suppression reasons) are kept in
 * m->strs, and a format is the table entry of its name (a name modelgate
 * does not know makes the entry malformed).  Findings are taken as the shards judged them (severity
 * after overrides, state, counts, fingerprint): a merge never re-reads a
 * model, it only proves that the shards cover one tree exactly once and
 * recounts.  The one cross-shard judgement is the policy file's
 * POLICY-SUPPRESS-UNUSED: a suppression is unused only when every shard
 * says so.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "hash.h"
#include "lockfile.h"
#include "limits.h"
#include "merge.h"
#include "sign.h"
#include "slurp.h"
#include "strset.h"
#include "text.h"
#include "rules.h"

static int
cmp_art(const void *a, const void *b)
{
	return strcmp((*(struct mg_artifact *const *)a)->path,
	    (*(struct mg_artifact *const *)b)->path);
}

int
mg_run_add_placeholders(struct mg_run *run, const struct mg_listing *l,
    int (*scanned)(void *arg, const char *path), void *arg,
    const struct mg_lock *const *pins, size_t npins)
{
	size_t i, k;

	for (i = 0; i < l->n; i++) {
		const struct mg_lock_entry *e = NULL;
		struct mg_artifact *a;
		const char *slash;

		if (scanned(arg, l->paths[i]))
			continue;
		for (k = 0; k < npins && e == NULL; k++)
			if (pins[k] != NULL)
				e = mg_lock_find(pins[k], l->paths[i]);
		if (e == NULL)
			continue;
		if (run->n == run->cap) {
			size_t ncap = run->cap ? run->cap * 2 : 64;
			struct mg_artifact **na = realloc(run->arts,
			    ncap * sizeof(*na));

			if (na == NULL)
				return MG_ERR_NOMEM;
			run->arts = na;
			run->cap = ncap;
		}
		if ((a = malloc(sizeof(*a))) == NULL)
			return MG_ERR_NOMEM;
		mg_artifact_init(a);
		run->arts[run->n++] = a;
		a->format = &mg_fmt_unscanned;
		a->complete = 1;
		a->policy_checked = 1;	/* nothing to judge: never read */
		a->size = e->have_size ? e->size : l->sizes[i];
		memcpy(a->sha256, e->sha256, sizeof(a->sha256));
		slash = strrchr(l->paths[i], '/');
		a->path = strdup(l->paths[i]);
		a->abspath = strdup(l->paths[i]);
		a->filename = strdup(slash != NULL ? slash + 1 : l->paths[i]);
		if (a->path == NULL || a->abspath == NULL || a->filename == NULL)
			return MG_ERR_NOMEM;
	}
	if (run->n > 1)
		qsort(run->arts, run->n, sizeof(*run->arts), cmp_art);
	return MG_OK;
}

void
mg_gate_shard_filter(struct mg_gate *g, const struct mg_shard *s,
    const struct mg_listing *l, int empty_exit)
{
	size_t i, k = 0, nreal = 0;

	for (i = 0; i < g->n; i++) {
		struct mg_gate_artifact *ga = &g->arts[i];
		int drop;

		if (ga->a->format == &mg_fmt_unscanned) {
			free(ga->findings);	/* the run owns the artifact */
			continue;
		}
		drop = ga->synthetic && ga->a->format != &mg_fmt_policy &&
		    !mg_shard_owns(s, l, ga->a->path);

		if (drop) {
			free(ga->findings);
			mg_artifact_free(ga->a);
			free(ga->a);
			continue;
		}
		if (!mg_gate_is_synthetic_format(ga->a->format))
			nreal++;
		g->arts[k++] = *ga;
	}
	g->n = k;
	mg_gate_retally(g, nreal, empty_exit);
}

/* ---- reading one report ------------------------------------------------- */

struct shard_doc {
	const char	*file;
	cJSON		*root;
	unsigned	 index, total;
	uint64_t	 assigned;
	const char	*arts_sha256;
	const cJSON	*arts;
};

static char *
keep(struct mg_merge *m, const char *s)
{
	char *c;

	if (m->nstrs == m->strs_cap) {
		size_t ncap = m->strs_cap ? m->strs_cap * 2 : 64;
		char **n = realloc(m->strs, ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		m->strs = n;
		m->strs_cap = ncap;
	}
	if ((c = strdup(s)) == NULL)
		return NULL;
	m->strs[m->nstrs++] = c;
	return c;
}

static const char *
str_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring :
	    NULL;
}

/* A non-negative integer exactly representable in a double. */
static int
u64_of(const cJSON *o, const char *k, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!(d >= 0) || d > 9007199254740992.0 || floor(d) != d)
		return -1;
	*out = (uint64_t)d;
	return 0;
}

static int
is_hex64(const char *s)
{
	return s != NULL && strlen(s) == 64 &&
	    strspn(s, "0123456789abcdef") == 64;
}

static int
read_file(const char *file, char **out, size_t *len, uint64_t *total,
    char *err, size_t errlen)
{
	struct mg_slurp s;
	int r;

	*out = NULL;
	r = mg_slurp(&s, file, -1, MG_MERGE_MAX_BYTES, MG_SLURP_REGULAR);
	if (r == MG_ERR_NOMEM)
		return r;
	if (r != MG_OK) {
		if (s.why == MG_SLURP_OPEN)
			snprintf(err, errlen, "%s: cannot open: %s", file,
			    strerror(s.errnum));
		else if (s.why == MG_SLURP_READ)
			snprintf(err, errlen, "%s: read error", file);
		else
			snprintf(err, errlen, "%s: not a regular file or "
			    "larger than %llu bytes (the cap on one report)",
			    file, (unsigned long long)MG_MERGE_MAX_BYTES);
		return MG_ERR_USAGE;
	}
	if ((unsigned long long)s.len > MG_MERGE_MAX_TOTAL - *total) {
		free(s.buf);
		snprintf(err, errlen, "%s: the reports together are larger "
		    "than %llu bytes (the cap on a merge)", file,
		    (unsigned long long)MG_MERGE_MAX_TOTAL);
		return MG_ERR_USAGE;
	}
	*total += (uint64_t)s.len;
	*out = s.buf;	/* transferred */
	*len = s.len;
	return MG_OK;
}

#define BAD(...) do { \
	snprintf(err, errlen, __VA_ARGS__); \
	r = MG_ERR_USAGE; \
	goto out; \
} while (0)

static int
load_doc(struct mg_merge *m, struct shard_doc *d, int first, char *err,
    size_t errlen)
{
	const cJSON *t, *sh, *sum;
	const char *s, *name, *ver, *pol, *psha, *fo, *list;
	char *buf = NULL;
	size_t len;
	uint64_t ix, tot, sel;
	enum mg_sev sev;
	int r;

	if ((r = read_file(d->file, &buf, &len, &m->bytes, err, errlen)) !=
	    MG_OK)
		return r;
	if (memchr(buf, '\0', len) != NULL)
		BAD("%s: not a modelgate --json report (NUL byte)", d->file);
	/* The bytes as the shard wrote them, before anything is believed. */
	if (m->key != NULL) {
		r = mg_sign_verify(buf, len, m->key);
		if (r < 0)
			BAD("%s: not signed (scan each shard with --shard-key)",
			    d->file);
		if (r == 0)
			BAD("%s: the signature does not verify: the report was "
			    "edited or signed with another key", d->file);
		m->nsigned++;
	} else if (mg_sign_present(buf, len))
		m->nsigned++;
	/* Names that are not UTF-8 come as \udcNN: back to their bytes. */
	mg_json_unescape_bytes(buf, &len);
	d->root = cJSON_ParseWithOpts(buf, NULL, 1);
	if (!cJSON_IsObject(d->root))
		BAD("%s: not a JSON object", d->file);
	t = cJSON_GetObjectItemCaseSensitive(d->root, "tool");
	name = str_of(t, "name");
	ver = str_of(t, "version");
	if (name == NULL || strcmp(name, "modelgate") != 0 || ver == NULL ||
	    strlen(ver) >= sizeof(m->tool_version))
		BAD("%s: not a modelgate --json report", d->file);
	sh = cJSON_GetObjectItemCaseSensitive(d->root, "shard");
	if (!cJSON_IsObject(sh))
		BAD("%s: not a shard report (scan with --shard I/N)", d->file);
	if (u64_of(sh, "index", &ix) != 0 || u64_of(sh, "total", &tot) != 0 ||
	    tot < 1 || tot > MG_SHARD_MAX || ix < 1 || ix > tot ||
	    (s = str_of(sh, "mode")) == NULL ||
	    (strcmp(s, "hash") != 0 && strcmp(s, "size") != 0))
		BAD("%s: malformed \"shard\" member", d->file);
	d->index = (unsigned)ix;
	d->total = (unsigned)tot;
	list = str_of(d->root, "artifact_list_sha256");
	pol = str_of(d->root, "policy");
	psha = str_of(d->root, "policy_sha256");
	fo = str_of(d->root, "fail_on");
	if (!is_hex64(list) || pol == NULL || !is_hex64(psha) || fo == NULL ||
	    mg_sev_parse(fo, &sev) != MG_OK)
		BAD("%s: malformed report (artifact_list_sha256, policy, "
		    "policy_sha256 or fail_on)", d->file);
	d->arts = cJSON_GetObjectItemCaseSensitive(d->root, "artifacts");
	sum = cJSON_GetObjectItemCaseSensitive(d->root, "summary");
	if (!cJSON_IsArray(d->arts) || !cJSON_IsObject(sum))
		BAD("%s: malformed report (artifacts, summary)", d->file);
	t = cJSON_GetObjectItemCaseSensitive(sum, "duration_seconds");
	if (cJSON_IsNumber(t) && t->valuedouble > m->g.sum.seconds &&
	    t->valuedouble < 1e9)
		m->g.sum.seconds = t->valuedouble;
	if (first) {
		snprintf(m->tool_version, sizeof(m->tool_version), "%s", ver);
		if ((m->policy = strdup(pol)) == NULL) {
			r = MG_ERR_NOMEM;
			goto out;
		}
		memcpy(m->policy_sha256, psha, 65);
		memcpy(m->list_sha256, list, 65);
		m->fail_on = (int)sev;
		m->total = d->total;
	} else {
		if (strcmp(s, m->mode) != 0)
			BAD("report %s was made with --shard-mode %s, the "
			    "others with %s", d->file, s, m->mode);
		if (strcmp(ver, m->tool_version) != 0)
			BAD("report %s was made by modelgate %s, the others by "
			    "%s", d->file, ver, m->tool_version);
		if (strcmp(list, m->list_sha256) != 0)
			BAD("report %s was made from another tree "
			    "(artifact_list_sha256 differs)", d->file);
		if (strcmp(psha, m->policy_sha256) != 0 ||
		    strcmp(pol, m->policy) != 0 || (int)sev != m->fail_on)
			BAD("report %s was made with another policy or "
			    "fail_on", d->file);
		if (d->total != m->total)
			BAD("report %s is shard %u/%u, the others are of %u",
			    d->file, d->index, d->total, m->total);
	}
	{
		const char *lk = str_of(sh, "lock_sha256"),
		    *mf = str_of(sh, "manifest_sha256"),
		    *bl = str_of(sh, "baseline_sha256"),
		    *op = str_of(sh, "options");

		d->arts_sha256 = str_of(sh, "artifacts_sha256");
		if (u64_of(sh, "selected", &sel) != 0 ||
		    u64_of(sh, "assigned", &d->assigned) != 0 ||
		    d->assigned > sel || !is_hex64(d->arts_sha256) ||
		    lk == NULL || strlen(lk) > 64 || mf == NULL ||
		    strlen(mf) > 64 || bl == NULL || strlen(bl) > 64 ||
		    op == NULL || strlen(op) >= sizeof(m->options))
			BAD("%s: malformed \"shard\" member (made by an older "
			    "modelgate?)", d->file);
		if (first) {
			snprintf(m->mode, sizeof(m->mode), "%s", s);
			memcpy(m->lock_sha256, lk, strlen(lk) + 1);
			memcpy(m->manifest_sha256, mf, strlen(mf) + 1);
			memcpy(m->baseline_sha256, bl, strlen(bl) + 1);
			memcpy(m->options, op, strlen(op) + 1);
			m->selected = sel;
		} else {
			if (strcmp(lk, m->lock_sha256) != 0)
				BAD("report %s was made with another lock "
				    "file (or none)", d->file);
			if (strcmp(mf, m->manifest_sha256) != 0)
				BAD("report %s was made with another "
				    "--manifest (or none)", d->file);
			if (strcmp(bl, m->baseline_sha256) != 0)
				BAD("report %s was made with another "
				    "--baseline (or none)", d->file);
			if (strcmp(op, m->options) != 0)
				BAD("report %s was made with other scan "
				    "options or another file selection (%s; the "
				    "others: %s)", d->file, op, m->options);
			if (sel != m->selected)
				BAD("report %s selected %llu files, the others "
				    "%llu", d->file, (unsigned long long)sel,
				    (unsigned long long)m->selected);
		}
	}
	r = MG_OK;
out:
	free(buf);
	return r;
}

/* ---- one artifact ------------------------------------------------------- */

static int
state_parse(const char *s, enum mg_fstate *st)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "active") == 0)
		*st = MG_FS_ACTIVE;
	else if (strcmp(s, "suppressed") == 0)
		*st = MG_FS_SUPPRESSED;
	else if (strcmp(s, "baselined") == 0)
		*st = MG_FS_BASELINED;
	else
		return -1;
	return 0;
}

static int
verdict_parse(const char *s, enum mg_verdict *v)
{
	if (s == NULL)
		return -1;
	if (strcmp(s, "pass") == 0)
		*v = MG_V_PASS;
	else if (strcmp(s, "fail") == 0)
		*v = MG_V_FAIL;
	else if (strcmp(s, "error") == 0)
		*v = MG_V_ERROR;
	else
		return -1;
	return 0;
}

/* Work not done: never a violation, always fails closed. */
static int
is_incomplete_rule(enum mg_rule_id r)
{
	return r == MG_R_IO_READ || r == MG_R_HASH_UNVERIFIED;
}

static int
add_artifact(struct mg_merge *m, const char *file, const cJSON *jo,
    struct mg_gate_artifact *ga, char *err, size_t errlen)
{
	const cJSON *fs, *jf, *c;
	struct mg_artifact *a = NULL;
	const char *path, *fmt, *sha, *s;
	enum mg_sev sev;
	uint64_t size, u;
	size_t n, i;
	int r = MG_ERR_NOMEM, failed = 0, errored = 0;
	enum mg_verdict v;

	memset(ga, 0, sizeof(*ga));
	path = str_of(jo, "path");
	fmt = str_of(jo, "format");
	sha = str_of(jo, "sha256");
	c = cJSON_GetObjectItemCaseSensitive(jo, "complete");
	fs = cJSON_GetObjectItemCaseSensitive(jo, "findings");
	if (path == NULL || *path == '\0' || mg_fmt_by_name(fmt) == NULL ||
	    sha == NULL || (*sha != '\0' && !is_hex64(sha)) ||
	    u64_of(jo, "size", &size) != 0 || !cJSON_IsBool(c) ||
	    !cJSON_IsArray(fs) ||
	    verdict_parse(str_of(jo, "verdict"), &ga->verdict) != 0 ||
	    (s = str_of(jo, "fail_on")) == NULL || mg_sev_parse(s, &sev) !=
	    MG_OK)
		BAD("%s: malformed artifact entry", file);
	ga->fail_on = (int)sev;
	if ((a = malloc(sizeof(*a))) == NULL)
		goto out;
	mg_artifact_init(a);
	ga->a = a;
	ga->synthetic = 1;
	a->format = mg_fmt_by_name(fmt);
	s = strrchr(path, '/');
	a->path = strdup(path);
	a->abspath = strdup(path);
	a->filename = strdup(s != NULL ? s + 1 : path);
	if (a->path == NULL || a->abspath == NULL || a->filename == NULL)
		goto out;
	a->size = size;
	memcpy(a->sha256, sha, strlen(sha) + 1);
	a->complete = cJSON_IsTrue(c);
	a->unsupported = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(jo,
	    "unsupported"));
	a->uncapped = 1;
	a->policy_checked = 1;
	/* A member names the file on disk it came from: a prefix of path. */
	if ((s = str_of(jo, "file")) != NULL) {
		size_t fl = strlen(s);

		if (fl == 0 || strncmp(path, s, fl) != 0 || path[fl] != '!' ||
		    u64_of(jo, "ordinal", &u) != 0 || u == 0)
			BAD("%s: %s: malformed member location", file, path);
		a->disk_len = fl;
		a->ordinal = (size_t)u;
	}
	if (u64_of(jo, "findings_omitted", &u) == 0)
		a->dropped = (size_t)u;
	n = (size_t)cJSON_GetArraySize(fs);
	if (n > 0) {
		a->findings = calloc(n, sizeof(*a->findings));
		ga->findings = calloc(n, sizeof(*ga->findings));
		if (a->findings == NULL || ga->findings == NULL)
			goto out;
		a->findings_cap = n;
	}
	i = 0;
	cJSON_ArrayForEach(jf, fs) {
		struct mg_finding *f = &a->findings[i];
		struct mg_gate_finding *gf = &ga->findings[i];
		const struct mg_rule *ru;
		const char *msg, *key, *fp, *reason;
		const cJSON *cnt = cJSON_GetObjectItemCaseSensitive(jf,
		    "counts");

		if (!cJSON_IsObject(jf) ||
		    (s = str_of(jf, "rule")) == NULL ||
		    (ru = mg_rule_find(s)) == NULL ||
		    (s = str_of(jf, "severity")) == NULL ||
		    mg_sev_parse(s, &sev) != MG_OK ||
		    (msg = str_of(jf, "message")) == NULL ||
		    !is_hex64(fp = str_of(jf, "fingerprint")) ||
		    state_parse(str_of(jf, "state"), &gf->state) != 0 ||
		    !cJSON_IsBool(cnt))
			BAD("%s: malformed finding of %s", file, path);
		key = str_of(jf, "key");
		reason = str_of(jf, "reason");
		f->rule = (enum mg_rule_id)(ru - mg_rule_get(0));
		f->severity = sev;
		f->offset = MG_FINDING_NO_OFFSET;
		if (cJSON_GetObjectItemCaseSensitive(jf, "offset") != NULL &&
		    u64_of(jf, "offset", &f->offset) != 0)
			BAD("%s: malformed finding offset of %s", file, path);
		if ((f->message = strdup(msg)) == NULL ||
		    (key != NULL && (f->key = strdup(key)) == NULL))
			goto out;
		a->nfindings = ++i;
		gf->f = f;
		gf->severity = sev;
		gf->counts = cJSON_IsTrue(cnt);
		/* What the gate decides, from what the finding says. */
		if (gf->counts != (gf->state == MG_FS_ACTIVE &&
		    !is_incomplete_rule(f->rule) &&
		    f->rule != MG_R_FMT_UNSUPPORTED &&
		    (int)sev >= ga->fail_on))
			BAD("%s: finding %s of %s says counts %s, its state "
			    "and severity say otherwise: the report was "
			    "edited", file, mg_rule_get(f->rule)->id, path,
			    gf->counts ? "true" : "false");
		if (gf->counts)
			failed = 1;
		if (is_incomplete_rule(f->rule) ||
		    (f->rule == MG_R_FMT_UNSUPPORTED &&
		    gf->state != MG_FS_SUPPRESSED && !cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(jf, "waived"))))
			errored = 1;
		memcpy(gf->fingerprint, fp, 65);
		if (reason != NULL && (gf->reason = keep(m, reason)) == NULL)
			goto out;
	}
	ga->nfindings = i;
	if (!a->complete && !a->unsupported)
		errored = 1;
	v = failed ? MG_V_FAIL : errored ? MG_V_ERROR : MG_V_PASS;
	if (v != ga->verdict)
		BAD("%s: %s says verdict %s, its findings give %s: the report "
		    "was edited", file, path, mg_verdict_name(ga->verdict),
		    mg_verdict_name(v));
	r = MG_OK;
out:
	return r;
}

static void
free_ga(struct mg_gate_artifact *ga)
{
	free(ga->findings);
	if (ga->a != NULL) {
		mg_artifact_free(ga->a);
		free(ga->a);
	}
	memset(ga, 0, sizeof(*ga));
}

/* The hash shard of an artifact: a member's is its file's. */
static unsigned
shard_of(const struct mg_artifact *a, unsigned total)
{
	char file[MG_MAX_PATH_BYTES];

	if (a->disk_len == 0 || a->disk_len >= sizeof(file))
		return mg_shard_of_path(a->path, total);
	memcpy(file, a->path, a->disk_len);
	file[a->disk_len] = '\0';
	return mg_shard_of_path(file, total);
}

static int
cmp_ga(const void *x, const void *y)
{
	const struct mg_gate_artifact *a = x, *b = y;
	int c = strcmp(a->a->path, b->a->path);

	if (c == 0)
		c = strcmp(a->a->format->name, b->a->format->name);
	/* Members of one name in one archive are told apart by place. */
	return c != 0 ? c : a->a->ordinal < b->a->ordinal ? -1 :
	    a->a->ordinal > b->a->ordinal;
}

static int
cmp_ga_ptr(const void *x, const void *y)
{
	return cmp_ga(*(const struct mg_gate_artifact *const *)x,
	    *(const struct mg_gate_artifact *const *)y);
}

/*
 * Two of the n artifacts the same under cmp_ga(): sorted (pointers into
 * scratch, the artifacts keep their order), a duplicate is a neighbour.
 */
static int
has_duplicate(const struct mg_gate_artifact *a, size_t n,
    const struct mg_gate_artifact **scratch)
{
	size_t i;

	for (i = 0; i < n; i++)
		scratch[i] = &a[i];
	qsort(scratch, n, sizeof(*scratch), cmp_ga_ptr);
	for (i = 1; i < n; i++)
		if (cmp_ga(scratch[i - 1], scratch[i]) == 0)
			return 1;
	return 0;
}

static int
all_policy(const struct mg_gate_artifact *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].a->format != &mg_fmt_policy)
			return 0;
	return 1;
}

/* By path; equal paths keep the order the reports gave them. */
static const struct mg_gate_artifact *sort_a;

static int
cmp_seq(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	int c = strcmp(sort_a[i].a->path, sort_a[j].a->path);

	return c != 0 ? c : i < j ? -1 : i > j;
}

static int
sort_stable(struct mg_gate_artifact *arts, size_t n)
{
	size_t *ix = malloc(n * sizeof(*ix)), i;
	struct mg_gate_artifact *tmp = malloc(n * sizeof(*tmp));

	if (ix == NULL || tmp == NULL) {
		free(ix);
		free(tmp);
		return MG_ERR_NOMEM;
	}
	for (i = 0; i < n; i++)
		ix[i] = i;
	sort_a = arts;	/* single-threaded: the CLI's main thread */
	qsort(ix, n, sizeof(*ix), cmp_seq);
	for (i = 0; i < n; i++)
		tmp[i] = arts[ix[i]];
	memcpy(arts, tmp, n * sizeof(*tmp));
	free(ix);
	free(tmp);
	return MG_OK;
}

/*
 * The policy file's findings from every shard: an expired suppression is
 * said by all alike (keep one); an unused one is unused only if every
 * shard says so.  dst holds the first shard's entry; others are folded in
 * and freed.  seen[k] counts the shards that reported finding k of dst.
 */
static int
fold_policy(struct mg_gate_artifact *dst, struct mg_gate_artifact *more,
    size_t nmore, unsigned total)
{
	size_t i, k, j, n = 0;
	unsigned *seen = NULL;
	int failed = 0;

	if (dst->nfindings > 0 &&
	    (seen = calloc(dst->nfindings, sizeof(*seen))) == NULL)
		return MG_ERR_NOMEM;
	for (k = 0; k < dst->nfindings; k++)
		seen[k] = 1;
	/* One set of fingerprints per other shard: O(F), not O(F^2). */
	for (i = 0; i < nmore && dst->nfindings > 0; i++) {
		struct mg_strset *fps = mg_strset_new_sized(
		    more[i].nfindings, more[i].nfindings * 64);

		if (fps == NULL) {
			free(seen);
			return MG_ERR_NOMEM;
		}
		for (j = 0; j < more[i].nfindings; j++)
			if (mg_strset_add(fps, more[i].findings[j].fingerprint,
			    strlen(more[i].findings[j].fingerprint)) < 0) {
				mg_strset_free(fps);
				free(seen);
				return MG_ERR_NOMEM;
			}
		for (k = 0; k < dst->nfindings; k++)
			if (mg_strset_has(fps, dst->findings[k].fingerprint,
			    strlen(dst->findings[k].fingerprint)))
				seen[k]++;
		mg_strset_free(fps);
	}
	/*
	 * Findings present only in other shards' entries are expired
	 * suppressions the first shard also reports (same policy, same
	 * day) or unused ones it does not: neither needs adding.
	 */
	for (k = 0; k < dst->nfindings; k++) {
		if (dst->findings[k].f->rule == MG_R_POLICY_SUPPRESS_UNUSED &&
		    seen[k] < total)
			continue;
		dst->findings[n++] = dst->findings[k];
		if (dst->findings[n - 1].counts)
			failed = 1;
	}
	dst->nfindings = n;
	dst->verdict = failed ? MG_V_FAIL : MG_V_PASS;
	free(seen);
	return MG_OK;
}

/* The summary, verdict and exit code a report records, against a recount. */
static int
check_summary(const struct shard_doc *d, struct mg_gate_artifact *arts,
    size_t n, char *err, size_t errlen)
{
	struct mg_gate g;
	const cJSON *sum = cJSON_GetObjectItemCaseSensitive(d->root, "summary");
	const cJSON *vs = cJSON_GetObjectItemCaseSensitive(sum, "verdicts");
	const cJSON *fs = cJSON_GetObjectItemCaseSensitive(sum, "findings");
	const char *rv = str_of(d->root, "verdict");
	uint64_t u[6], ex;
	size_t i, nreal = 0;
	int sev, r = MG_OK;

	memset(&g, 0, sizeof(g));
	g.arts = arts;
	g.n = n;
	for (i = 0; i < n; i++)
		if (!mg_gate_is_synthetic_format(arts[i].a->format))
			nreal++;
	mg_gate_retally(&g, nreal, MG_EXIT_OK);
	if (u64_of(sum, "artifacts", &u[0]) != 0 ||
	    u64_of(vs, "pass", &u[1]) != 0 || u64_of(vs, "fail", &u[2]) != 0 ||
	    u64_of(vs, "error", &u[3]) != 0 ||
	    u64_of(sum, "suppressed", &u[4]) != 0 ||
	    u64_of(sum, "baselined", &u[5]) != 0 ||
	    u64_of(d->root, "exit_code", &ex) != 0 || rv == NULL)
		BAD("%s: malformed report (summary, verdict or exit_code)",
		    d->file);
	if (u[0] != g.sum.artifacts || u[1] != g.sum.pass ||
	    u[2] != g.sum.fail || u[3] != g.sum.error ||
	    u[4] != g.sum.suppressed || u[5] != g.sum.baselined)
		BAD("%s: the summary does not match the artifacts: the report "
		    "was edited", d->file);
	for (sev = MG_SEV_INFO; sev <= MG_SEV_CRIT; sev++)
		if (u64_of(fs, mg_sev_name((enum mg_sev)sev), &u[0]) != 0 ||
		    u[0] != g.sum.by_sev[sev])
			BAD("%s: the summary's findings do not match the "
			    "artifacts: the report was edited", d->file);
	/* A shard with no model passes, or is empty without a listing. */
	if (strcmp(rv, mg_run_verdict_name(g.verdict)) != 0 ||
	    (ex != (uint64_t)g.exit_code && !(g.verdict == MG_RV_EMPTY &&
	    ex == MG_EXIT_EMPTY)))
		BAD("%s: says %s (exit %llu), its artifacts give %s (exit %d): "
		    "the report was edited", d->file, rv,
		    (unsigned long long)ex, mg_run_verdict_name(g.verdict),
		    g.exit_code);
out:
	return r;
}

static int
grow(struct mg_gate_artifact **arts, unsigned **owner, size_t *cap,
    size_t need)
{
	struct mg_gate_artifact *na;
	unsigned *no;
	size_t ncap = *cap;

	if (need <= *cap)
		return MG_OK;
	while (ncap < need)
		ncap = ncap ? ncap * 2 : 64;
	if ((na = realloc(*arts, ncap * sizeof(*na))) == NULL)
		return MG_ERR_NOMEM;
	*arts = na;
	if ((no = realloc(*owner, ncap * sizeof(*no))) == NULL)
		return MG_ERR_NOMEM;
	*owner = no;
	memset(*arts + *cap, 0, (ncap - *cap) * sizeof(**arts));
	*cap = ncap;
	return MG_OK;
}

/*
 * When the shards report every listed file (no selection, nothing
 * unreadable), the listing is rebuilt from their artifacts: its digest
 * must be the one they carry, and in size mode each file must be
 * reported by the shard the bin packing gives it.
 */
static int
check_listing(struct mg_merge *m, const struct mg_gate_artifact *arts,
    const unsigned *owner, size_t na, size_t nlisted, char *err,
    size_t errlen)
{
	struct mg_listing l;
	struct mg_shard sh;
	size_t i;
	long k;
	int r = MG_ERR_NOMEM;

	mg_listing_init(&l);
	if (nlisted != m->selected ||
	    strcmp(m->options + strlen(m->options) - 4, "=all") != 0)
		return MG_OK;
	memset(&sh, 0, sizeof(sh));
	sh.index = 1;
	sh.total = m->total;
	(void)mg_shard_mode_parse(m->mode, &sh.mode);
	for (i = 0; i < na; i++)
		if (!mg_gate_is_synthetic_format(arts[i].a->format) &&
		    arts[i].a->disk_len == 0 && mg_listing_add(&l, arts[i].a->path, arts[i].a->size) !=
		    MG_OK)
			goto out;
	if (mg_listing_finish(&l, &sh) != MG_OK)
		goto out;
	r = MG_ERR_USAGE;
	if (strcmp(l.sha256, m->list_sha256) != 0) {
		snprintf(err, errlen, "the shards' artifacts are not the "
		    "listing they name (artifact_list_sha256): a file was "
		    "taken out, or the tree changed between the jobs");
		goto out;
	}
	for (i = 0; sh.mode == MG_SHARD_SIZE && i < na; i++) {
		if (mg_gate_is_synthetic_format(arts[i].a->format) ||
		    arts[i].a->disk_len > 0)
			continue;
		if ((k = mg_listing_find(&l, arts[i].a->path)) < 0 ||
		    l.owner[k] != owner[i]) {
			snprintf(err, errlen, "%s is reported by shard %u, "
			    "the size packing gives it to shard %u",
			    arts[i].a->path, owner[i], k >= 0 ? l.owner[k] : 0);
			goto out;
		}
	}
	r = MG_OK;
out:
	mg_listing_free(&l);
	return r;
}

#undef BAD

int
mg_merge_load(struct mg_merge *m, char *const *files, size_t n,
    int allow_empty, const struct mg_sign_key *key, char *err,
    size_t errlen)
{
	struct shard_doc d;
	const char **by_index = NULL;
	struct mg_gate_artifact *arts = NULL;
	const struct mg_gate_artifact **scratch = NULL;
	unsigned *owner = NULL;
	size_t i, k, na = 0, cap = 0, nreal = 0, u, nlisted = 0;
	uint64_t assigned = 0;
	unsigned s;
	int r = MG_ERR_NOMEM;

	memset(m, 0, sizeof(*m));
	memset(&d, 0, sizeof(d));
	m->key = key;
	err[0] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "no reports to merge");
		return MG_ERR_USAGE;
	}
	/* One report parsed at a time: its tree goes before the next. */
	for (i = 0; i < n; i++) {
		const cJSON *jo;
		struct mg_hash *h;
		char dig[65];
		size_t base = na;

		memset(&d, 0, sizeof(d));
		d.file = files[i];
		if ((r = load_doc(m, &d, i == 0, err, errlen)) != MG_OK)
			goto out;
		if (by_index == NULL && (by_index = calloc(m->total + 1,
		    sizeof(*by_index))) == NULL) {
			r = MG_ERR_NOMEM;
			goto out;
		}
		if (by_index[d.index] != NULL) {
			snprintf(err, errlen, "shard %u/%u given twice (%s and "
			    "%s)", d.index, m->total, by_index[d.index],
			    d.file);
			r = MG_ERR_USAGE;
			goto out;
		}
		by_index[d.index] = d.file;
		r = MG_ERR_NOMEM;
		if ((h = mg_hash_new()) == NULL || mg_hash_reset(h) != MG_OK) {
			mg_hash_free(h);
			goto out;
		}
		r = MG_OK;
		cJSON_ArrayForEach(jo, d.arts) {
			struct mg_artifact *a;

			if ((r = grow(&arts, &owner, &cap, na + 1)) != MG_OK)
				break;
			if (!cJSON_IsObject(jo)) {
				snprintf(err, errlen, "%s: malformed artifact "
				    "entry", d.file);
				r = MG_ERR_USAGE;
				break;
			}
			r = add_artifact(m, d.file, jo, &arts[na], err,
			    errlen);
			owner[na] = d.index;
			if (arts[na].a != NULL || arts[na].findings != NULL)
				na++;
			if (r != MG_OK)
				break;
			a = arts[na - 1].a;
			if (a->format == &mg_fmt_policy)
				continue;
			if (mg_hash_update(h, a->path, strlen(a->path) + 1) !=
			    MG_OK || mg_hash_update(h, a->format->name,
			    strlen(a->format->name) + 1) != MG_OK) {
				r = MG_ERR_NOMEM;
				break;
			}
			/* Members come with their file: they are not listed. */
			if (!mg_gate_is_synthetic_format(a->format) &&
			    a->disk_len == 0)
				nlisted++;
			/*
			 * A listed file belongs to its hash shard in hash
			 * mode; a made-up artifact (a missing pin) always.
			 */
			if ((strcmp(m->mode, "hash") == 0 ||
			    (mg_gate_is_synthetic_format(a->format) &&
			    a->format != &mg_fmt_unreadable)) &&
			    shard_of(a, m->total) != d.index) {
				snprintf(err, errlen, "%s: %s belongs to shard "
				    "%u, not %u: the report was edited, or the "
				    "reports come from different scans", d.file,
				    a->path, shard_of(a,
				    m->total), d.index);
				r = MG_ERR_USAGE;
				break;
			}
		}
		if (r == MG_OK && mg_hash_final_hex(h, dig) != MG_OK)
			r = MG_ERR_NOMEM;
		mg_hash_free(h);
		if (r != MG_OK)
			goto out;
		if (strcmp(dig, d.arts_sha256) != 0) {
			snprintf(err, errlen, "%s: the artifacts of shard %u/%u "
			    "do not match its artifacts_sha256: the report was "
			    "edited", d.file, d.index, m->total);
			r = MG_ERR_USAGE;
			goto out;
		}
		if ((r = check_summary(&d, arts + base, na - base, err,
		    errlen)) != MG_OK)
			goto out;
		assigned += d.assigned;
		cJSON_Delete(d.root);
		d.root = NULL;
	}
	for (s = 1; s <= m->total; s++)
		if (by_index[s] == NULL) {
			snprintf(err, errlen, "shard %u/%u missing", s,
			    m->total);
			r = MG_ERR_USAGE;
			goto out;
		}
	if (assigned != m->selected) {
		snprintf(err, errlen, "the shards were assigned %llu files in "
		    "all, the listing holds %llu: a report was edited",
		    (unsigned long long)assigned,
		    (unsigned long long)m->selected);
		r = MG_ERR_USAGE;
		goto out;
	}
	if ((r = check_listing(m, arts, owner, na, nlisted, err, errlen)) !=
	    MG_OK)
		goto out;
	r = MG_ERR_NOMEM;
	if (grow(&arts, &owner, &cap, na + 1) != MG_OK)
		goto out;
	if (na > 1 && (r = sort_stable(arts, na)) != MG_OK)
		goto out;
	r = MG_ERR_NOMEM;
	if ((scratch = malloc((na + 1) * sizeof(*scratch))) == NULL)
		goto out;
	/*
	 * The same (path, format) twice: the policy file folds, anything
	 * else lies.  One path under two formats (a pinned file replaced by
	 * a FIFO: missing, and unreadable) is what one scan reports too, in
	 * the order it reports them.
	 */
	for (i = 0, u = 0; i < na; i = k) {
		for (k = i + 1; k < na && strcmp(arts[k].a->path,
		    arts[i].a->path) == 0; k++)
			;
		if (k - i > 1 && !all_policy(&arts[i], k - i)) {
			size_t x, pol = 0;

			/*
			 * Refused: the same (path, format, ordinal) twice, or
			 * the policy file before the group's last entry.
			 */
			for (x = i; x + 1 < k; x++)
				if (arts[x].a->format == &mg_fmt_policy)
					pol = 1;
			if (pol || has_duplicate(&arts[i], k - i, scratch)) {
				snprintf(err, errlen, "%s is reported by more "
				    "than one shard: the reports do not come "
				    "from one sharded scan", arts[i].a->path);
				r = MG_ERR_USAGE;
				goto out;
			}
			for (x = i; x < k; x++) {
				if (!mg_gate_is_synthetic_format(
				    arts[x].a->format))
					nreal++;
				arts[u++] = arts[x];
				if (u - 1 != x)
					memset(&arts[x], 0, sizeof(arts[x]));
			}
			continue;
		} else if (k - i > 1) {
			if (arts[i].a->format != &mg_fmt_policy) {
				snprintf(err, errlen, "%s is reported by more "
				    "than one shard: the reports do not come "
				    "from one sharded scan", arts[i].a->path);
				r = MG_ERR_USAGE;
				goto out;
			}
			if ((r = fold_policy(&arts[i], &arts[i + 1], k - i - 1,
			    m->total)) != MG_OK)
				goto out;
			while (k - 1 > i)
				free_ga(&arts[--k]);
			for (k = i + 1; k < na && arts[k].a == NULL; k++)
				;
		} else if (arts[i].a->format == &mg_fmt_policy) {
			/* Only one shard reports the policy file. */
			if ((r = fold_policy(&arts[i], NULL, 0, m->total == 1 ?
			    1 : m->total)) != MG_OK)
				goto out;
		}
		if (arts[i].a->format == &mg_fmt_policy &&
		    arts[i].nfindings == 0) {
			free_ga(&arts[i]);
			continue;
		}
		if (!mg_gate_is_synthetic_format(arts[i].a->format))
			nreal++;
		arts[u++] = arts[i];
		if (u - 1 != i)
			memset(&arts[i], 0, sizeof(arts[i]));
	}
	na = u;
	m->g.arts = arts;
	m->g.n = na;
	arts = NULL;	/* transferred */
	/*
	 * The shards' --allow-empty holds for the merge too, and so does
	 * what a scan of a file selection does when it selects no model
	 * (a pull request that touches none passes).
	 */
	mg_gate_retally(&m->g, nreal, allow_empty ||
	    strstr(m->options, " allow-empty=1 ") != NULL ||
	    strstr(m->options, " selection=all") == NULL ? MG_EXIT_OK :
	    MG_EXIT_EMPTY);
	r = MG_OK;
out:
	if (arts != NULL) {
		for (i = 0; i < na; i++)
			free_ga(&arts[i]);
		free(arts);
	}
	free(owner);
	free(scratch);
	cJSON_Delete(d.root);
	free(by_index);
	if (r != MG_OK && err[0] == '\0')
		snprintf(err, errlen, "%s", mg_strerror(r));
	return r;
}

void
mg_merge_free(struct mg_merge *m)
{
	size_t i;

	if (m == NULL)
		return;
	mg_gate_free(&m->g);
	for (i = 0; i < m->nstrs; i++)
		free(m->strs[i]);
	free(m->strs);
	free(m->policy);
	memset(m, 0, sizeof(*m));
}
