/*
 * shard.c - listings, their digest, and which shard owns a path.
 *
 * Invariant: the owner of a path depends only on the listing (hash mode:
 * only on the path), never on walk order, thread count or the machine, so
 * N jobs started on the same tree agree on a partition without talking to
 * each other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "shard.h"

static int
parse_uint(const char *s, unsigned long *out)
{
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *out > 1000000ul)
		return -1;
	return 0;
}

static int
check(unsigned long i, unsigned long n, struct mg_shard *out, char *err,
    size_t errlen, const char *what)
{
	if (n < 1 || n > MG_SHARD_MAX || i < 1 || i > n) {
		snprintf(err, errlen, "shard %lu/%lu from %s: need 1 <= index "
		    "<= total <= %u", i, n, what, MG_SHARD_MAX);
		return MG_ERR_USAGE;
	}
	out->index = (unsigned)i;
	out->total = (unsigned)n;
	return MG_OK;
}

int
mg_shard_parse(const char *spec, unsigned total_opt, struct mg_shard *out,
    char *err, size_t errlen)
{
	unsigned long i, n;
	const char *e, *slash;
	char num[32];

	out->index = out->total = 0;
	err[0] = '\0';
	if (strcmp(spec, "auto") == 0) {
		e = getenv("CI_NODE_INDEX");
		if (e != NULL && *e != '\0') {
			if (parse_uint(e, &i) != 0 ||
			    parse_uint(getenv("CI_NODE_TOTAL"), &n) != 0) {
				snprintf(err, errlen, "--shard auto: CI_NODE_INDEX "
				    "and CI_NODE_TOTAL must be integers");
				return MG_ERR_USAGE;
			}
			return check(i, n, out, err, errlen,
			    "CI_NODE_INDEX/CI_NODE_TOTAL");
		}
		e = getenv("JOB_COMPLETION_INDEX");
		if (e != NULL && *e != '\0') {
			if (parse_uint(e, &i) != 0) {
				snprintf(err, errlen, "--shard auto: "
				    "JOB_COMPLETION_INDEX must be an integer");
				return MG_ERR_USAGE;
			}
			if (total_opt > 0)
				n = total_opt;
			else if (parse_uint(getenv("MODELGATE_SHARD_TOTAL"),
			    &n) != 0) {
				snprintf(err, errlen, "--shard auto: "
				    "JOB_COMPLETION_INDEX is set; give the total "
				    "with --shard-total N or MODELGATE_SHARD_TOTAL");
				return MG_ERR_USAGE;
			}
			/* Kubernetes counts from 0. */
			return check(i + 1, n, out, err, errlen,
			    "JOB_COMPLETION_INDEX");
		}
		snprintf(err, errlen, "--shard auto: neither CI_NODE_INDEX "
		    "(GitLab parallel) nor JOB_COMPLETION_INDEX (Kubernetes "
		    "Indexed Job) is set");
		return MG_ERR_USAGE;
	}
	slash = strchr(spec, '/');
	if (slash == NULL || (size_t)(slash - spec) >= sizeof(num)) {
		snprintf(err, errlen, "--shard takes I/N (1-based) or auto");
		return MG_ERR_USAGE;
	}
	memcpy(num, spec, (size_t)(slash - spec));
	num[slash - spec] = '\0';
	if (parse_uint(num, &i) != 0 || parse_uint(slash + 1, &n) != 0) {
		snprintf(err, errlen, "--shard takes I/N (1-based) or auto");
		return MG_ERR_USAGE;
	}
	return check(i, n, out, err, errlen, "--shard");
}

int
mg_shard_mode_parse(const char *s, enum mg_shard_mode *mode)
{
	if (strcmp(s, "hash") == 0)
		*mode = MG_SHARD_HASH;
	else if (strcmp(s, "size") == 0)
		*mode = MG_SHARD_SIZE;
	else
		return MG_ERR_USAGE;
	return MG_OK;
}

const char *
mg_shard_mode_name(enum mg_shard_mode m)
{
	return m == MG_SHARD_SIZE ? "size" : "hash";
}

unsigned
mg_shard_of_path(const char *path, unsigned total)
{
	char hex[65];
	uint64_t v = 0;
	int i;

	if (total <= 1 || mg_sha256_hex(path, strlen(path), hex) != MG_OK)
		return 1;
	for (i = 0; i < 16; i++) {
		char c = hex[i];

		v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return (unsigned)(v % total) + 1;
}

void
mg_listing_init(struct mg_listing *l)
{
	memset(l, 0, sizeof(*l));
}

void
mg_listing_free(struct mg_listing *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	free(l->sizes);
	free(l->owner);
	memset(l, 0, sizeof(*l));
}

int
mg_listing_add(struct mg_listing *l, const char *path, uint64_t size)
{
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 256;
		char **np = realloc(l->paths, ncap * sizeof(*np));
		uint64_t *ns;

		if (np == NULL)
			return MG_ERR_NOMEM;
		l->paths = np;
		if ((ns = realloc(l->sizes, ncap * sizeof(*ns))) == NULL)
			return MG_ERR_NOMEM;
		l->sizes = ns;
		l->cap = ncap;
	}
	if ((l->paths[l->n] = strdup(path)) == NULL)
		return MG_ERR_NOMEM;
	l->sizes[l->n++] = size;
	return MG_OK;
}

/* Sort paths and sizes together: an index permutation. */
static const struct mg_listing *sort_l;

static int
cmp_ix(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return strcmp(sort_l->paths[x], sort_l->paths[y]);
}

/* Size mode order: larger first, then by path (index order). */
static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (sort_l->sizes[x] != sort_l->sizes[y])
		return sort_l->sizes[x] > sort_l->sizes[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

int
mg_listing_finish(struct mg_listing *l, const struct mg_shard *s)
{
	struct mg_hash *h = NULL;
	size_t *ix = NULL, i, u;
	char **np = NULL;
	uint64_t *ns = NULL, *load = NULL;
	int r = MG_ERR_NOMEM;

	if (l->n > 0) {
		ix = malloc(l->n * sizeof(*ix));
		np = malloc(l->n * sizeof(*np));
		ns = malloc(l->n * sizeof(*ns));
		if (ix == NULL || np == NULL || ns == NULL)
			goto out;
		for (i = 0; i < l->n; i++)
			ix[i] = i;
		sort_l = l;	/* single-threaded: the CLI's main thread */
		qsort(ix, l->n, sizeof(*ix), cmp_ix);
		for (i = 0, u = 0; i < l->n; i++) {
			if (u > 0 && strcmp(np[u - 1], l->paths[ix[i]]) == 0) {
				free(l->paths[ix[i]]);
				continue;
			}
			np[u] = l->paths[ix[i]];
			ns[u++] = l->sizes[ix[i]];
		}
		free(l->paths);
		free(l->sizes);
		l->paths = np;
		l->sizes = ns;
		l->n = l->cap = u;
		np = NULL;	/* transferred */
		ns = NULL;
	}
	if ((h = mg_hash_new()) == NULL || mg_hash_reset(h) != MG_OK)
		goto out;
	for (i = 0; i < l->n; i++) {
		char num[32];

		if (mg_hash_update(h, l->paths[i], strlen(l->paths[i]) + 1) !=
		    MG_OK)
			goto out;
		/* Size mode assigns by size: jobs must agree on sizes too. */
		if (s != NULL && s->total > 0 && s->mode == MG_SHARD_SIZE) {
			snprintf(num, sizeof(num), "%llu",
			    (unsigned long long)l->sizes[i]);
			if (mg_hash_update(h, num, strlen(num) + 1) != MG_OK)
				goto out;
		}
	}
	if (mg_hash_final_hex(h, l->sha256) != MG_OK)
		goto out;
	if (s != NULL && s->total > 0 && l->n > 0) {
		if ((l->owner = calloc(l->n, sizeof(*l->owner))) == NULL)
			goto out;
		if (s->mode == MG_SHARD_HASH) {
			for (i = 0; i < l->n; i++)
				l->owner[i] = mg_shard_of_path(l->paths[i],
				    s->total);
		} else {
			if ((load = calloc(s->total, sizeof(*load))) == NULL)
				goto out;
			for (i = 0; i < l->n; i++)
				ix[i] = i;
			sort_l = l;
			qsort(ix, l->n, sizeof(*ix), cmp_size);
			for (i = 0; i < l->n; i++) {
				unsigned k, best = 0;

				for (k = 1; k < s->total; k++)
					if (load[k] < load[best])
						best = k;
				/* An empty file still costs an open. */
				load[best] += l->sizes[ix[i]] + 4096;
				l->owner[ix[i]] = best + 1;
			}
		}
	}
	r = MG_OK;
out:
	mg_hash_free(h);
	free(ix);
	free(np);
	free(ns);
	free(load);
	return r;
}

long
mg_listing_find(const struct mg_listing *l, const char *path)
{
	size_t lo = 0, hi = l->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, l->paths[mid]);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

int
mg_shard_owns(const struct mg_shard *s, const struct mg_listing *l,
    const char *path)
{
	long i;

	if (s == NULL || s->total == 0)
		return 1;
	if (l != NULL && l->owner != NULL && (i = mg_listing_find(l, path)) >=
	    0)
		return l->owner[i] == s->index;
	return mg_shard_of_path(path, s->total) == s->index;
}
