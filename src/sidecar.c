/*
 * sidecar.c - merge config.json / tokenizer_config.json into a result.
 *
 * Precedence follows l-bom so reports agree: the model's own architecture
 * and dtype win over the sidecar; the sidecar's training framework wins
 * ("transformers <version>" whenever a sidecar exists).  Licence and base
 * model come from the model first (GGUF general.license), then the sidecar.
 * Files are opened O_NOFOLLOW, must be regular and are capped at
 * MG_MAX_SIDECAR_BYTES; cJSON parses only that bounded buffer.  Each
 * directory's sidecars are read once per worker, not once per model.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "limits.h"
#include "sidecar.h"
#include "text.h"

/*
 * An upper bound on the values (so cJSON nodes) in a JSON text: one plus
 * the separators and openers outside strings.  cJSON allocates a node per
 * value, so a 16 MiB "[0,0,0,..." would otherwise cost gigabytes.
 */
static size_t
json_values(const char *p, size_t n)
{
	size_t i, count = 1;
	int in_str = 0;

	for (i = 0; i < n; i++) {
		if (in_str) {
			if (p[i] == '\\')
				i++;
			else if (p[i] == '"')
				in_str = 0;
		} else if (p[i] == '"')
			in_str = 1;
		else if (p[i] == ',' || p[i] == '[' || p[i] == '{' ||
		    p[i] == ':')
			count++;
	}
	return count;
}

/* Returns a parsed object, or NULL (absent, or a finding was added). */
static cJSON *
load(const char *dir, const char *name, struct mg_artifact *a)
{
	char path[MG_MAX_PATH_BYTES];
	struct stat st;
	cJSON *j = NULL;
	char *buf = NULL;
	size_t got = 0;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: the directory path is too long to look for it",
		    name);
		return NULL;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno != ENOENT && errno != ENOTDIR)
			mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET,
			    name, "sidecar %s: cannot open: %s", name,
			    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	if ((uint64_t)st.st_size > MG_MAX_SIDECAR_BYTES) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: %lld bytes exceeds the %u-byte cap", name,
		    (long long)st.st_size, MG_MAX_SIDECAR_BYTES);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: out of memory reading %lld bytes", name,
		    (long long)st.st_size);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	if (got != (size_t)st.st_size) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: short read (%zu of %lld bytes)", name, got,
		    (long long)st.st_size);
		goto out;
	}
	if (json_values(buf, got) > MG_MAX_SIDECAR_VALUES) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: more than %u JSON values; not parsed", name,
		    MG_MAX_SIDECAR_VALUES);
		goto out;
	}
	j = cJSON_ParseWithLength(buf, got);
	if (j == NULL) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: invalid JSON", name);
	} else if (!cJSON_IsObject(j)) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: not a JSON object", name);
		cJSON_Delete(j);
		j = NULL;
	}
out:
	free(buf);
	close(fd);
	return j;
}

/* A stripped, non-empty string value, or NULL; *n receives its length. */
static const char *
as_str(const cJSON *v, size_t *n)
{
	const char *s, *e;

	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return NULL;
	s = v->valuestring;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' ||
	    *s == '\f' || *s == '\v')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r' || e[-1] == '\f' || e[-1] == '\v'))
		e--;
	if (e == s)
		return NULL;
	*n = (size_t)(e - s);
	return s;
}

static const cJSON *
get(const cJSON *o, const char *k)
{
	return o != NULL ? cJSON_GetObjectItemCaseSensitive(o, k) : NULL;
}

/* First non-empty string, searching lists and objects depth-first. */
static const char *
first_str(const cJSON *v, size_t *n, int depth)
{
	const cJSON *c;
	const char *s;

	if (v == NULL || depth > 8)
		return NULL;
	if ((s = as_str(v, n)) != NULL)
		return s;
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		for (c = v->child; c != NULL; c = c->next)
			if ((s = first_str(c, n, depth + 1)) != NULL)
				return s;
	return NULL;
}

/* config.json's value, else tokenizer_config.json's (Python `or`). */
static const char *
either(const cJSON *cfg, const cJSON *tok, const char *k, size_t *n)
{
	const char *s = as_str(get(cfg, k), n);

	return s != NULL ? s : as_str(get(tok, k), n);
}

static int
set_if_unset(char **field, const char *s, size_t n)
{
	if (*field != NULL || s == NULL)
		return MG_OK;
	return mg_artifact_set(field, s, n);
}

static int
add_str(cJSON *o, const char *k, const char *s, size_t n)
{
	cJSON *v = mg_json_str(s, n);

	if (v == NULL)
		return MG_ERR_NOMEM;
	cJSON_AddItemToObject(o, k, v);
	return MG_OK;
}

void
mg_sidecars_init(struct mg_sidecars *c)
{
	memset(c, 0, sizeof(*c));
	mg_artifact_init(&c->probs);
}

void
mg_sidecars_free(struct mg_sidecars *c)
{
	if (c == NULL)
		return;
	free(c->dir);
	cJSON_Delete(c->cfg);
	cJSON_Delete(c->tok);
	mg_artifact_free(&c->probs);
	mg_sidecars_init(c);
}

/* Make c hold dir's sidecars. */
static int
cache_load(struct mg_sidecars *c, const char *dir)
{
	if (c->dir != NULL && strcmp(c->dir, dir) == 0)
		return MG_OK;
	mg_sidecars_free(c);
	if ((c->dir = strdup(dir)) == NULL)
		return MG_ERR_NOMEM;
	c->cfg = load(dir, "config.json", &c->probs);
	c->tok = load(dir, "tokenizer_config.json", &c->probs);
	return MG_OK;
}

int
mg_sidecar_apply(struct mg_sidecars *c, const char *dir,
    struct mg_artifact *a)
{
	static const char *const base_keys[] = {
		"base_model", "base_model_name_or_path", "base_model_name",
		"base_model_repo_id", "_name_or_path", "source_model", NULL
	};
	const cJSON *cfg, *tok;
	cJSON *meta = NULL, *archs = NULL;
	const char *s, *arch0 = NULL, *mtype;
	size_t n = 0, arch0n = 0, mtypen = 0, i;
	int r = MG_ERR_NOMEM;
	char tf[256];

	if (cache_load(c, dir) != MG_OK)
		return MG_ERR_NOMEM;
	for (i = 0; i < c->probs.nfindings; i++) {
		const struct mg_finding *f = &c->probs.findings[i];

		if (mg_artifact_add(a, f->rule, f->offset, f->key, "%s",
		    f->message) != MG_OK)
			return MG_ERR_NOMEM;
	}
	cfg = c->cfg;
	tok = c->tok;
	if (cfg == NULL && tok == NULL)
		return MG_OK;
	if ((meta = cJSON_CreateObject()) == NULL)
		goto out;

	mtype = as_str(get(cfg, "model_type"), &mtypen);
	{
		const cJSON *av = get(cfg, "architectures"), *e;

		if ((archs = cJSON_CreateArray()) == NULL)
			goto out;
		if (cJSON_IsString(av) && av->valuestring[0] != '\0') {
			arch0 = av->valuestring;
			arch0n = strlen(arch0);
			cJSON_AddItemToArray(archs, mg_json_strz(arch0));
		} else if (cJSON_IsArray(av)) {
			for (e = av->child; e != NULL; e = e->next) {
				if ((s = as_str(e, &n)) == NULL)
					continue;
				if (arch0 == NULL) {
					arch0 = s;
					arch0n = n;
				}
				cJSON_AddItemToArray(archs, mg_json_str(s, n));
			}
		}
	}
	if (mtype != NULL && (r = add_str(meta, "model_type", mtype, mtypen)))
		goto out;
	if (cJSON_GetArraySize(archs) > 0) {
		cJSON_AddItemToObject(meta, "architectures", archs);
		archs = NULL;
	}
	if ((r = set_if_unset(&a->architecture, mtype ? mtype : arch0,
	    mtype ? mtypen : arch0n)) != MG_OK)
		goto out;

	if ((s = either(cfg, tok, "torch_dtype", &n)) != NULL) {
		if ((r = add_str(meta, "torch_dtype", s, n)) != MG_OK ||
		    (r = set_if_unset(&a->dtype, s, n)) != MG_OK)
			goto out;
	}
	if ((s = either(cfg, tok, "license", &n)) != NULL &&
	    (r = set_if_unset(&a->license, s, n)) != MG_OK)
		goto out;
	for (i = 0; a->base_model == NULL && base_keys[i] != NULL; i++) {
		if ((s = first_str(get(cfg, base_keys[i]), &n, 0)) != NULL ||
		    (s = first_str(get(tok, base_keys[i]), &n, 0)) != NULL)
			if ((r = mg_artifact_set(&a->base_model, s, n)) != MG_OK)
				goto out;
	}
	if ((s = either(cfg, tok, "transformers_version", &n)) != NULL) {
		if ((r = add_str(meta, "transformers_version", s, n)) != MG_OK)
			goto out;
		snprintf(tf, sizeof(tf), "transformers %.*s",
		    (int)(n < 200 ? n : 200), s);
	} else
		snprintf(tf, sizeof(tf), "transformers");
	if ((r = mg_artifact_setz(&a->training_framework, tf)) != MG_OK)
		goto out;
	if ((s = as_str(get(tok, "tokenizer_class"), &n)) != NULL &&
	    (r = add_str(meta, "tokenizer_class", s, n)) != MG_OK)
		goto out;

	if (cJSON_GetArraySize(meta) > 0) {
		if (a->metadata == NULL &&
		    (a->metadata = cJSON_CreateObject()) == NULL) {
			r = MG_ERR_NOMEM;
			goto out;
		}
		cJSON_AddItemToObject(a->metadata, "sidecar_config", meta);
		meta = NULL;	/* transferred */
	}
	r = MG_OK;
out:
	cJSON_Delete(archs);
	cJSON_Delete(meta);
	return r;
}
