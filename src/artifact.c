/*
 * artifact.c - the per-artifact result and its findings.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifact.h"
#include "err.h"
#include "limits.h"

void
mg_artifact_init(struct mg_artifact *a)
{
	memset(a, 0, sizeof(*a));
	a->format = "unknown";
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
	for (i = 0; i < a->nfindings; i++) {
		free(a->findings[i].message);
		free(a->findings[i].key);
		free(a->findings[i].evidence);
	}
	free(a->findings);
	for (i = 0; i < a->nimports; i++) {
		free(a->imports[i].module);
		free(a->imports[i].name);
	}
	free(a->imports);
	free(a->ttypes);
	mg_artifact_init(a);
}

static int
vadd(struct mg_artifact *a, enum mg_rule_id rule, uint64_t offset,
    uint64_t length, const char *key, const char *evidence, const char *fmt,
    va_list ap)
{
	const struct mg_rule *ru = mg_rule_get(rule);
	struct mg_finding *f;
	char msg[1024];

	if (ru == NULL)
		return MG_ERR_INTERNAL;
	/* Once the gate adds (uncapped), findings decide verdicts: keep all. */
	if (!a->uncapped && a->nfindings >= MG_MAX_FINDINGS) {
		a->dropped++;
		return MG_OK;
	} else if (!a->uncapped && a->nfindings == MG_MAX_FINDINGS - 1) {
		/* The last slot says that the cap was reached. */
		a->dropped++;
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
	else
		vsnprintf(msg, sizeof(msg), fmt, ap);
	f = &a->findings[a->nfindings];
	f->rule = rule;
	f->severity = ru->severity;
	f->offset = offset;
	f->length = length;
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

int
mg_artifact_add_ttype(struct mg_artifact *a, const char *name, uint64_t n,
    uint64_t params, unsigned bpw_milli, int quantized)
{
	struct mg_ttype *t = NULL;
	size_t i;

	for (i = 0; i < a->nttypes; i++)
		if (strcmp(a->ttypes[i].name, name) == 0) {
			t = &a->ttypes[i];
			break;
		}
	if (t == NULL) {
		struct mg_ttype *nt;

		if (a->nttypes >= SIZE_MAX / sizeof(*nt) - 1)
			return MG_ERR_NOMEM;
		nt = realloc(a->ttypes, (a->nttypes + 1) * sizeof(*nt));
		if (nt == NULL)
			return MG_ERR_NOMEM;
		a->ttypes = nt;
		t = &nt[a->nttypes++];
		memset(t, 0, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", name);
		t->bpw_milli = bpw_milli;
		t->quantized = quantized;
	}
	t->count = t->count + n < t->count ? UINT64_MAX : t->count + n;
	t->params = t->params + params < t->params ? UINT64_MAX :
	    t->params + params;
	if (a->ttype_major < 0 ||
	    t->params > a->ttypes[a->ttype_major].params)
		a->ttype_major = (int)(t - a->ttypes);
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
