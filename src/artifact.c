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
	}
	free(a->findings);
	mg_artifact_init(a);
}

int
mg_artifact_add(struct mg_artifact *a, enum mg_rule_id rule, uint64_t offset,
    const char *key, const char *fmt, ...)
{
	const struct mg_rule *ru = mg_rule_get(rule);
	struct mg_finding *f;
	va_list ap;
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
		key = NULL;
		fmt = "more than %u findings; the rest are omitted";
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
	else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	f = &a->findings[a->nfindings];
	f->rule = rule;
	f->severity = ru->severity;
	f->offset = offset;
	f->message = strdup(msg);
	f->key = key != NULL ? strndup(key, 256) : NULL;
	if (f->message == NULL || (key != NULL && f->key == NULL)) {
		free(f->message);
		free(f->key);
		return MG_ERR_NOMEM;
	}
	a->nfindings++;
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
