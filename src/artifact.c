/*
 * artifact.c - the per-artifact result and its findings.
 *
 * Both finding caps live here, so that no parser keeps its own: the
 * per-rule one (MG_MAX_SAME_FINDINGS listed, then one summary finding of
 * the rule whose count follows the findings it stands for) and the
 * per-artifact one (MG_MAX_FINDINGS, then LIMIT-FINDINGS).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "limits.h"
#include "strset.h"

struct mg_rule_tally {
	uint64_t	 offered;	/* findings of the rule offered */
	size_t		 summary;	/* 1 + index of its summary, or 0 */
	char		*text;		/* its message (SUMMARY_BYTES) */
};

/*
 * The tallies of an artifact: one per rule that offered a finding, found
 * through a byte per rule.  Most artifacts see one or two rules, so this
 * is a few hundred bytes where a slot for every rule was kilobytes.
 */
struct mg_tallies {
	unsigned char	 slot[MG_R__COUNT];	/* 1 + index into v, or 0 */
	unsigned	 n, cap;
	struct mg_rule_tally v[];
};

_Static_assert(MG_R__COUNT < 256, "a tally slot is one byte");

/* The rule's tally, or NULL when it has none (and make is 0). */
static struct mg_rule_tally *
tally_of(struct mg_artifact *a, enum mg_rule_id rule, int make)
{
	struct mg_tallies *t = a->tally, *nt;
	unsigned cap;

	if (t != NULL && t->slot[rule] != 0)
		return &t->v[t->slot[rule] - 1];
	if (!make)
		return NULL;
	if (t == NULL || t->n == t->cap) {
		cap = t == NULL ? 2 : t->cap * 2;
		if (cap > MG_R__COUNT)
			cap = MG_R__COUNT;
		nt = realloc(t, sizeof(*nt) + cap * sizeof(nt->v[0]));
		if (nt == NULL)
			return NULL;
		if (t == NULL) {
			memset(nt->slot, 0, sizeof(nt->slot));
			nt->n = 0;
		}
		nt->cap = cap;
		a->tally = t = nt;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	t->slot[rule] = (unsigned char)(++t->n);
	return &t->v[t->n - 1];
}

/* Room for the summary's message, rewritten in place as the count grows. */
#define SUMMARY_BYTES	96u

void
mg_artifact_init(struct mg_artifact *a)
{
	memset(a, 0, sizeof(*a));
	a->format = &mg_fmt_unknown;
	a->ttype_major = -1;
}

void
mg_artifact_free(struct mg_artifact *a)
{
	size_t i;

	if (a == NULL)
		return;
	free(a->path);
	free(a->abspath);
	free(a->filename);
	free(a->architecture);
	free(a->quantization);
	free(a->dtype);
	free(a->license);
	free(a->base_model);
	free(a->training_framework);
	free(a->sidecar_license);
	free(a->rendered);
	cJSON_Delete(a->metadata);
	mg_strset_free(a->meta_keys);
	free(a->tally);
	for (i = 0; i < a->nfindings; i++) {
		free(a->findings[i].message);
		free(a->findings[i].key);
		free(a->findings[i].evidence);
		free(a->findings[i].bind);
	}
	free(a->findings);
	for (i = 0; i < a->nimports; i++) {
		free(a->imports[i].module);
		free(a->imports[i].name);
		free(a->imports[i].written);
	}
	free(a->imports);
	free(a->storages);
	free(a->ttypes);
	mg_strmap_free(a->ttype_ix);
	free(a->tokenizer_model);
	for (i = 0; i < a->ntensors; i++)
		free(a->tensors[i].name);
	free(a->tensors);
	for (i = 0; i < a->ntemplates; i++)
		free(a->templates[i].name);
	free(a->templates);
	for (i = 0; i < a->ncoderefs; i++)
		free(a->coderefs[i].name);
	free(a->coderefs);
	mg_set_free(a->set);
	mg_artifact_init(a);
}

void
mg_set_free(struct mg_set *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->kind);
	for (i = 0; i < s->nshards; i++)
		free(s->shards[i]);
	free(s->shards);
	free(s);
}

int
mg_artifact_add_tensor(struct mg_artifact *a, const char *name, size_t n,
    uint64_t nbytes, uint64_t dim0, unsigned ndim, const char *dtype,
    size_t dtypen)
{
	struct mg_tfact *t;

	if (a->skip_tensors)
		return MG_OK;
	if (a->ntensors == a->tensors_cap) {
		size_t ncap = a->tensors_cap ? a->tensors_cap * 2 : 16;

		if (ncap > SIZE_MAX / sizeof(*t))
			return MG_ERR_NOMEM;
		if ((t = realloc(a->tensors, ncap * sizeof(*t))) == NULL)
			return MG_ERR_NOMEM;
		a->tensors = t;
		a->tensors_cap = ncap;
	}
	t = &a->tensors[a->ntensors];
	memset(t, 0, sizeof(*t));
	if ((t->name = malloc(n + 1)) == NULL)
		return MG_ERR_NOMEM;
	memcpy(t->name, name, n);
	t->name[n] = '\0';
	t->nbytes = nbytes;
	t->dim0 = dim0;
	t->ndim = ndim;
	if (dtype != NULL && dtypen < sizeof(t->dtype)) {
		memcpy(t->dtype, dtype, dtypen);
		t->dtype[dtypen] = '\0';
	}
	a->ntensors++;
	return MG_OK;
}

int
mg_artifact_add_digest(struct mg_digest **v, size_t *n, const char *name,
    const char *hex)
{
	struct mg_digest *nv;

	if (*n >= 4096)		/* a handful per file in practice */
		return MG_OK;
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return MG_ERR_NOMEM;
	*v = nv;
	if ((nv[*n].name = strdup(name)) == NULL)
		return MG_ERR_NOMEM;
	snprintf(nv[*n].sha256, sizeof(nv[*n].sha256), "%s", hex);
	(*n)++;
	return MG_OK;
}

static void
summary_text(char *buf, size_t len, uint64_t more)
{
	snprintf(buf, len, "%llu more finding%s of this rule %s not listed",
	    (unsigned long long)more, more == 1 ? "" : "s",
	    more == 1 ? "was" : "were");
}

int
mg_artifact_bind(struct mg_artifact *a, size_t from, const char *digest,
    int (*about)(enum mg_rule_id))
{
	size_t i;

	for (i = from; i < a->nfindings; i++)
		if (a->findings[i].bind == NULL && about(a->findings[i].rule) &&
		    (a->findings[i].bind = strdup(digest)) == NULL)
			return MG_ERR_NOMEM;
	return MG_OK;
}

int
mg_artifact_count_more(struct mg_artifact *a, enum mg_rule_id rule,
    uint64_t n)
{
	struct mg_rule_tally *t;

	if ((a->uncapped && !a->repo_pass) || mg_rule_get(rule) == NULL ||
	    (t = tally_of(a, rule, 0)) == NULL)
		return 0;
	if (t->offered <= MG_MAX_SAME_FINDINGS + 1)
		return 0;
	t->offered = n > UINT64_MAX - t->offered ? UINT64_MAX :
	    t->offered + n;
	if (t->summary > 0 && t->summary <= a->nfindings &&
	    a->findings[t->summary - 1].message == t->text)
		summary_text(t->text, SUMMARY_BYTES,
		    t->offered - MG_MAX_SAME_FINDINGS);
	return 1;
}

static int
vadd(struct mg_artifact *a, enum mg_rule_id rule, uint64_t offset,
    uint64_t length, const char *key, const char *evidence, const char *fmt,
    va_list ap)
{
	const struct mg_rule *ru = mg_rule_get(rule);
	struct mg_rule_tally *t = NULL;
	struct mg_finding *f;
	char msg[1024];

	if (ru == NULL)
		return MG_ERR_INTERNAL;
	if (!a->uncapped || a->repo_pass) {
		if ((t = tally_of(a, rule, 1)) == NULL)
			return MG_ERR_NOMEM;
		if (t->offered < UINT64_MAX)
			t->offered++;
		if (t->offered > MG_MAX_SAME_FINDINGS + 1) {
			/*
			 * Counted by the rule's summary, when it was listed
			 * and is still where it was put.
			 */
			if (t->summary > 0 && t->summary <= a->nfindings &&
			    a->findings[t->summary - 1].message == t->text)
				summary_text(t->text, SUMMARY_BYTES,
				    t->offered - MG_MAX_SAME_FINDINGS);
			return MG_OK;
		}
		if (t->offered == MG_MAX_SAME_FINDINGS + 1) {
			/* This one becomes the summary. */
			offset = MG_FINDING_NO_OFFSET;
			length = 0;
			key = NULL;
			evidence = NULL;
		} else
			t = NULL;
	}
	/* Once the gate adds (uncapped), findings decide verdicts: keep all. */
	if (!a->uncapped && !a->repo_pass && a->nfindings >= MG_MAX_FINDINGS) {
		a->dropped++;
		return MG_OK;
	} else if (!a->uncapped && !a->repo_pass &&
	    a->nfindings == MG_MAX_FINDINGS - 1) {
		/* The last slot says that the cap was reached. */
		a->dropped++;
		t = NULL;
		rule = MG_R_LIMIT_FINDINGS;
		ru = mg_rule_get(rule);
		offset = MG_FINDING_NO_OFFSET;
		length = 0;
		key = NULL;
		evidence = NULL;
	}
	if (a->nfindings == a->findings_cap) {
		size_t ncap = a->findings_cap ? a->findings_cap * 2 : 8;
		struct mg_finding *nf;

		if (ncap > SIZE_MAX / sizeof(*nf))
			return MG_ERR_NOMEM;
		nf = realloc(a->findings, ncap * sizeof(*nf));
		if (nf == NULL)
			return MG_ERR_NOMEM;
		a->findings = nf;
		a->findings_cap = ncap;
	}
	if (rule == MG_R_LIMIT_FINDINGS && a->dropped == 1)
		snprintf(msg, sizeof(msg), "more than %u findings; the rest "
		    "are omitted", MG_MAX_FINDINGS - 1);
	else if (t != NULL)
		summary_text(msg, sizeof(msg), 1);
	else
		vsnprintf(msg, sizeof(msg), fmt, ap);
	f = &a->findings[a->nfindings];
	f->rule = rule;
	f->severity = ru->severity;
	f->offset = offset;
	f->length = length;
	f->bind = NULL;
	if (t != NULL) {
		if ((f->message = malloc(SUMMARY_BYTES)) != NULL)
			memcpy(f->message, msg, strlen(msg) + 1);
	} else
		f->message = strdup(msg);
	f->key = key != NULL ? strndup(key, 256) : NULL;
	f->evidence = evidence != NULL ? strndup(evidence, 256) : NULL;
	if (f->message == NULL || (key != NULL && f->key == NULL) ||
	    (evidence != NULL && f->evidence == NULL)) {
		free(f->message);
		free(f->key);
		free(f->evidence);
		return MG_ERR_NOMEM;
	}
	if (t != NULL) {
		t->summary = a->nfindings + 1;
		t->text = f->message;
	}
	a->nfindings++;
	return MG_OK;
}

int
mg_artifact_add(struct mg_artifact *a, enum mg_rule_id rule, uint64_t offset,
    const char *key, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vadd(a, rule, offset, 0, key, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int
mg_artifact_addx(struct mg_artifact *a, enum mg_rule_id rule,
    uint64_t offset, uint64_t length, const char *key, const char *evidence,
    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vadd(a, rule, offset, length, key, evidence, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * Types looked up by a scan of the array; past that many an index maps
 * each stored name to its first entry (a file has a handful of types,
 * a crafted one may have a million).
 */
#define TTYPE_SCAN	8u

/*
 * The entry a name counts under: the first whose stored name equals it.
 * Stored names are truncated to fit, so a longer name matches none (and
 * starts an entry of its own, truncated in turn).
 */
static int
ttype_find(const struct mg_artifact *a, const char *name, size_t *at)
{
	size_t n = strlen(name), i;

	if (n >= sizeof(a->ttypes->name))
		return 0;
	if (a->ttype_ix != NULL)
		return mg_strmap_get(a->ttype_ix, name, n, at);
	for (i = 0; i < a->nttypes; i++)
		if (strcmp(a->ttypes[i].name, name) == 0) {
			*at = i;
			return 1;
		}
	return 0;
}

/* Index entry i under its stored name unless an earlier entry has it. */
static int
ttype_index(struct mg_artifact *a, size_t i)
{
	size_t v = i;

	return mg_strmap_put(a->ttype_ix, a->ttypes[i].name,
	    strlen(a->ttypes[i].name), &v) < 0 ? MG_ERR_NOMEM : MG_OK;
}

int
mg_artifact_add_ttype(struct mg_artifact *a, const char *name, uint64_t n,
    uint64_t params, unsigned bpw_milli, int quantized)
{
	struct mg_ttype *t;
	size_t i;

	if (!ttype_find(a, name, &i)) {
		if (a->nttypes == a->ttypes_cap) {
			size_t ncap = a->ttypes_cap ? a->ttypes_cap * 2 : 1;
			struct mg_ttype *nt;

			if (ncap > SIZE_MAX / sizeof(*nt))
				return MG_ERR_NOMEM;
			if ((nt = realloc(a->ttypes, ncap * sizeof(*nt))) ==
			    NULL)
				return MG_ERR_NOMEM;
			a->ttypes = nt;
			a->ttypes_cap = ncap;
		}
		i = a->nttypes;
		t = &a->ttypes[i];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", name);
		t->bpw_milli = bpw_milli;
		t->quantized = quantized;
		/* Indexed before it counts: on failure nothing changed. */
		if (a->ttype_ix == NULL && i + 1 >= TTYPE_SCAN) {
			size_t k;

			if ((a->ttype_ix = mg_strmap_new()) == NULL)
				return MG_ERR_NOMEM;
			for (k = 0; k < i; k++)
				if (ttype_index(a, k) != MG_OK) {
					mg_strmap_free(a->ttype_ix);
					a->ttype_ix = NULL;
					return MG_ERR_NOMEM;
				}
		}
		if (a->ttype_ix != NULL && ttype_index(a, i) != MG_OK)
			return MG_ERR_NOMEM;
		a->nttypes++;
	}
	t = &a->ttypes[i];
	t->count = t->count + n < t->count ? UINT64_MAX : t->count + n;
	t->params = t->params + params < t->params ? UINT64_MAX :
	    t->params + params;
	if (a->ttype_major < 0 ||
	    t->params > a->ttypes[a->ttype_major].params)
		a->ttype_major = (int)i;
	return MG_OK;
}

int
mg_artifact_set(char **field, const char *s, size_t n)
{
	char *c = malloc(n + 1);

	if (c == NULL)
		return MG_ERR_NOMEM;
	memcpy(c, s, n);
	c[n] = '\0';
	free(*field);
	*field = c;
	return MG_OK;
}

int
mg_artifact_setz(char **field, const char *s)
{
	return mg_artifact_set(field, s, strlen(s));
}

int
mg_artifact_max_sev(const struct mg_artifact *a)
{
	int m = -1;
	size_t i;

	for (i = 0; i < a->nfindings; i++)
		if ((int)a->findings[i].severity > m)
			m = (int)a->findings[i].severity;
	return m;
}
