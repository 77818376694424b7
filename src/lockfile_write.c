/*
 * lockfile_write.c - write the lock document `modelgate lock` emits
 * (version MG_LOCK_VERSION, see the README): one entry per artifact read
 * whole, keyed and sorted by path so the output is the same for any
 * --jobs, pretty-printed by cJSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "lockfile.h"
#include "path.h"
#include "text.h"
#include "version.h"

struct keyed {
	char			*key;
	const struct mg_artifact *a;
};

static int
cmp_keyed(const void *x, const void *y)
{
	return strcmp(((const struct keyed *)x)->key,
	    ((const struct keyed *)y)->key);
}

/* Add a string member when the value is known; 0 or -1 (no memory). */
static int
put_str(cJSON *o, const char *k, const char *v)
{
	cJSON *j;

	if (v == NULL)
		return 0;
	if ((j = mg_json_strz(v)) == NULL)
		return -1;
	cJSON_AddItemToObject(o, k, j);
	return 0;
}

static int
put_u64(cJSON *o, const char *k, uint64_t v)
{
	cJSON *j;

	if ((j = mg_json_u64(v)) == NULL)
		return -1;
	cJSON_AddItemToObject(o, k, j);
	return 0;
}

int
mg_lock_write(FILE *f, struct mg_artifact *const *arts, size_t n,
    const char *generated_at)
{
	struct keyed *v = NULL;
	cJSON *doc = NULL, *tool, *list;
	char *text = NULL, *cwd = getcwd(NULL, 0);
	size_t i, nv = 0;
	int r = MG_ERR_NOMEM, bad = 0;

	/* Pins are written by key: relative to the working directory. */
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		goto out;
	for (nv = 0; nv < n; nv++) {
		const char *p;

		if ((v[nv].key = mg_path_key(cwd, arts[nv]->path)) == NULL)
			goto out;
		v[nv].a = arts[nv];
		p = v[nv].key;
		if (strcmp(p, ".") == 0 || !mg_utf8_valid(p, strlen(p)) ||
		    strlen(arts[nv]->sha256) != 64) {
			nv++;
			r = MG_ERR_FORMAT;
			goto out;
		}
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_keyed);

	if ((doc = cJSON_CreateObject()) == NULL)
		goto out;
	bad |= put_u64(doc, "version", MG_LOCK_VERSION);
	if ((tool = cJSON_AddObjectToObject(doc, "tool")) == NULL)
		goto out;
	bad |= put_str(tool, "name", MG_NAME);
	bad |= put_str(tool, "version", MG_VERSION);
	bad |= put_str(doc, "generated_at", generated_at);
	if ((list = cJSON_AddArrayToObject(doc, "artifacts")) == NULL)
		goto out;
	for (i = 0; i < n && !bad; i++) {
		const struct mg_artifact *a = v[i].a;
		const char *p = v[i].key;
		cJSON *e;

		/* The same file named twice (two overlapping roots). */
		if (i > 0 && strcmp(p, v[i - 1].key) == 0)
			continue;
		if ((e = cJSON_CreateObject()) == NULL)
			goto out;
		cJSON_AddItemToArray(list, e);
		bad |= put_str(e, "path", p);
		bad |= put_u64(e, "size", a->size);
		bad |= put_str(e, "sha256", a->sha256);
		bad |= put_str(e, "format", a->format->name);
		bad |= put_str(e, "architecture", a->architecture);
		bad |= put_str(e, "quantization", a->quantization);
		bad |= put_str(e, "dtype", a->dtype);
		if (a->have & MG_HAVE_PARAMS)
			bad |= put_u64(e, "parameter_count", a->parameter_count);
		bad |= put_str(e, "license", a->license);
	}
	if (bad || (text = mg_json_defuse(cJSON_Print(doc))) == NULL)
		goto out;
	r = MG_ERR_IO;
	if (fputs(text, f) == EOF || fputc('\n', f) == EOF || ferror(f))
		goto out;
	r = MG_OK;
out:
	free(text);
	cJSON_Delete(doc);
	for (i = 0; i < nv; i++)
		free(v[i].key);
	free(v);
	free(cwd);
	return r;
}
