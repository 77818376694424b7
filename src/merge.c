/*
 * merge.c - read shard reports back into one gate; recount a gate.
 *
 * Every artifact of the merged gate is synthetic and owned by it; the
 * strings the gate only borrows (formats, suppression reasons) are kept
 * in m->strs.  Findings are taken as the shards judged them (severity
 * after overrides, state, counts, fingerprint): a merge never re-reads a
 * model, it only proves that the shards cover one tree exactly once and
 * recounts.  The one cross-shard judgement is the policy file's
 * POLICY-SUPPRESS-UNUSED: a suppression is unused only when every shard
 * says so.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "lockfile.h"
#include "merge.h"
#include "text.h"
#include "rules.h"

const char mg_unscanned_format[] = "unscanned";

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
		a->format = mg_unscanned_format;
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

		if (ga->a->format == mg_unscanned_format) {
			free(ga->findings);	/* the run owns the artifact */
			continue;
		}
		drop = ga->synthetic &&
		    strcmp(ga->a->format, "policy") != 0 &&
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
read_file(const char *file, char **out, size_t *len, char *err,
    size_t errlen)
{
	FILE *f = fopen(file, "rb");
	char *buf = NULL;
	long n;

	*out = NULL;
	if (f == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", file,
		    strerror(errno));
		return MG_ERR_USAGE;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    (unsigned long long)n > MG_MERGE_MAX_BYTES ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		snprintf(err, errlen, "%s: not a regular file or larger than "
		    "%llu bytes", file, (unsigned long long)MG_MERGE_MAX_BYTES);
		return MG_ERR_USAGE;
	}
	if ((buf = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return MG_ERR_NOMEM;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		snprintf(err, errlen, "%s: read error", file);
		return MG_ERR_USAGE;
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = (size_t)n;
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
	uint64_t ix, tot;
	enum mg_sev sev;
	int r;

	if ((r = read_file(d->file, &buf, &len, err, errlen)) != MG_OK)
		return r;
	if (memchr(buf, '\0', len) != NULL)
		BAD("%s: not a modelgate --json report (NUL byte)", d->file);
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
	r = MG_OK;
out:
	free(buf);
	return r;
}

/* ---- one artifact ------------------------------------------------------- */

static int
sane_format(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n > 0 && n <= 32 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

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
	int r = MG_ERR_NOMEM;

	memset(ga, 0, sizeof(*ga));
	path = str_of(jo, "path");
	fmt = str_of(jo, "format");
	sha = str_of(jo, "sha256");
	c = cJSON_GetObjectItemCaseSensitive(jo, "complete");
	fs = cJSON_GetObjectItemCaseSensitive(jo, "findings");
	if (path == NULL || *path == '\0' || !sane_format(fmt) ||
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
	if ((a->format = keep(m, fmt)) == NULL)
		goto out;
	s = strrchr(path, '/');
	a->path = strdup(path);
	a->abspath = strdup(path);
	a->filename = strdup(s != NULL ? s + 1 : path);
	if (a->path == NULL || a->abspath == NULL || a->filename == NULL)
		goto out;
	a->size = size;
	memcpy(a->sha256, sha, strlen(sha) + 1);
	a->complete = cJSON_IsTrue(c);
	a->uncapped = 1;
	a->policy_checked = 1;
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
		memcpy(gf->fingerprint, fp, 65);
		if (reason != NULL && (gf->reason = keep(m, reason)) == NULL)
			goto out;
	}
	ga->nfindings = i;
	r = MG_OK;
out:
	return r;
}

#undef BAD

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

static int
cmp_ga(const void *x, const void *y)
{
	const struct mg_gate_artifact *a = x, *b = y;
	int c = strcmp(a->a->path, b->a->path);

	return c != 0 ? c : strcmp(a->a->format, b->a->format);
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
	for (i = 0; i < nmore; i++)
		for (k = 0; k < dst->nfindings; k++)
			for (j = 0; j < more[i].nfindings; j++)
				if (strcmp(dst->findings[k].fingerprint,
				    more[i].findings[j].fingerprint) == 0) {
					seen[k]++;
					break;
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

int
mg_merge_load(struct mg_merge *m, char *const *files, size_t n,
    int allow_empty, char *err, size_t errlen)
{
	struct shard_doc *d = NULL;
	const char **by_index = NULL;
	struct mg_gate_artifact *arts = NULL;
	size_t i, k, na = 0, cap = 0, nreal = 0, u;
	unsigned s;
	int r = MG_ERR_NOMEM;

	memset(m, 0, sizeof(*m));
	err[0] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "no reports to merge");
		return MG_ERR_USAGE;
	}
	if ((d = calloc(n, sizeof(*d))) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		d[i].file = files[i];
		if ((r = load_doc(m, &d[i], i == 0, err, errlen)) != MG_OK)
			goto out;
		cap += (size_t)cJSON_GetArraySize(d[i].arts);
	}
	if ((by_index = calloc(m->total + 1, sizeof(*by_index))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (by_index[d[i].index] != NULL) {
			snprintf(err, errlen, "shard %u/%u given twice (%s and "
			    "%s)", d[i].index, m->total, by_index[d[i].index],
			    d[i].file);
			r = MG_ERR_USAGE;
			goto out;
		}
		by_index[d[i].index] = d[i].file;
	}
	for (s = 1; s <= m->total; s++)
		if (by_index[s] == NULL) {
			snprintf(err, errlen, "shard %u/%u missing", s, m->total);
			r = MG_ERR_USAGE;
			goto out;
		}
	r = MG_ERR_NOMEM;
	if ((arts = calloc(cap + 1, sizeof(*arts))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const cJSON *jo;

		cJSON_ArrayForEach(jo, d[i].arts) {
			if (!cJSON_IsObject(jo)) {
				snprintf(err, errlen, "%s: malformed artifact "
				    "entry", d[i].file);
				r = MG_ERR_USAGE;
				goto out;
			}
			r = add_artifact(m, d[i].file, jo, &arts[na], err,
			    errlen);
			if (arts[na].a != NULL || arts[na].findings != NULL)
				na++;
			if (r != MG_OK)
				goto out;
		}
		cJSON_Delete(d[i].root);
		d[i].root = NULL;
	}
	if (na > 1)
		qsort(arts, na, sizeof(*arts), cmp_ga);
	/* The same path twice: the policy file folds, anything else lies. */
	for (i = 0, u = 0; i < na; i = k) {
		for (k = i + 1; k < na && strcmp(arts[k].a->path,
		    arts[i].a->path) == 0; k++)
			;
		if (k - i > 1) {
			if (strcmp(arts[i].a->format, "policy") != 0 ||
			    strcmp(arts[k - 1].a->format, "policy") != 0) {
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
		} else if (strcmp(arts[i].a->format, "policy") == 0) {
			/* Only one shard reports the policy file. */
			if ((r = fold_policy(&arts[i], NULL, 0, m->total == 1 ?
			    1 : m->total)) != MG_OK)
				goto out;
		}
		if (strcmp(arts[i].a->format, "policy") == 0 &&
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
	mg_gate_retally(&m->g, nreal, allow_empty ? MG_EXIT_PASS :
	    MG_EXIT_EMPTY);
	r = MG_OK;
out:
	if (arts != NULL) {
		for (i = 0; i < na; i++)
			free_ga(&arts[i]);
		free(arts);
	}
	for (i = 0; i < n; i++)
		cJSON_Delete(d[i].root);
	free(d);
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
