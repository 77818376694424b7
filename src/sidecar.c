/*
 * sidecar.c - merge config.json / tokenizer_config.json into a result.
 *
 * Precedence follows l-bom so reports agree: the model's own architecture
 * and dtype win over the sidecar; the sidecar's training framework wins
 * ("transformers <version>" whenever a sidecar exists).  Licence and base
 * model come from the model first (GGUF general.license), then the sidecar.
 *
 * Sidecars are looked for in the directory where the walk found the model
 * (a link's directory, not its target's: the Hugging Face cache links
 * snapshots/<rev>/ files into blobs/).  They are opened O_NOFOLLOW; a sidecar
 * that is a symlink is followed only to a target inside the scan root's
 * real path, the walker's rule.  Files must be regular and are capped at
 * MG_MAX_SIDECAR_BYTES and MG_MAX_SIDECAR_VALUES; cJSON parses only that
 * bounded buffer, and nothing may follow the JSON value.
 *
 * Fail closed: transformers reads these files with Python's json, which
 * accepts NaN and Infinity and keeps the last of two equal keys where
 * cJSON keeps the first.  So a sidecar that exists but cannot be used (any
 * of the above), or that repeats "license" with different values, makes a
 * licence the model does not declare itself indeterminate
 * (a->lic_indeterminate) instead of absent; other keys repeated with
 * different values are not used.  Each directory's sidecars are read once
 * per worker while the walk is inside it (an archive's, once per archive),
 * not once per model: what they give a model is worked out once (struct
 * mg_sidedigest) and applied to each.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "confine.h"
#include "err.h"
#include "jsonlex.h"
#include "limits.h"
#include "sidecar.h"
#include "slurp.h"
#include "text.h"
#include "walk.h"

/*
 * An upper bound on the values (so cJSON nodes) in a JSON text: one plus
 * the separators and openers outside strings.  cJSON allocates a node per
 * value, so a 16 MiB "[0,0,0,..." would otherwise cost gigabytes.
 */
static int
too_many_values(const char *p, size_t n)
{
	struct mg_jsonlex lx;

	memset(&lx, 0, sizeof(lx));
	lx.flags = MG_JSONLEX_COLONS;
	lx.max_values = MG_MAX_SIDECAR_VALUES;
	return mg_jsonlex(&lx, p, n, 0) != MG_OK;
}

/*
 * Open dir/name for reading.  A symlink is followed only to a target
 * inside root (mg_walk_inside, the walker's rule); without a root none is.
 * Returns the descriptor, -1 when the file does not exist, or -2 after a
 * finding (it exists but cannot be opened).
 */
static int
open_sidecar(const char *dir, const char *name, const char *root,
    struct mg_artifact *a)
{
	const int flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	char path[MG_MAX_PATH_BYTES], *real = NULL;
	int fd, e;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: the directory path is too long to look for it",
		    name);
		return -2;
	}
	if ((fd = mg_confine_open(path, flags)) >= 0)
		return fd;
	if ((e = errno) == ENOENT || e == ENOTDIR)
		return -1;
	if (e != ELOOP && e != EMLINK) {	/* EMLINK: the BSDs' O_NOFOLLOW */
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: cannot open: %s", name, strerror(e));
		return -2;
	}
	/* O_NOFOLLOW met a symlink. */
	if (root == NULL) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s is a symlink; not followed (--follow-symlinks "
		    "follows links inside a scanned directory)", name);
		return -2;
	}
	if ((real = realpath(path, NULL)) == NULL) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: cannot resolve symlink: %s", name,
		    strerror(errno));
		return -2;
	}
	if (!mg_walk_inside(root, real)) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: symlink target is outside the scan root; not "
		    "followed", name);
		fd = -2;
	} else if ((fd = mg_confine_open(real, flags)) < 0) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: cannot open its symlink target: %s", name,
		    strerror(errno));
		fd = -2;
	}
	free(real);
	return fd;
}

/*
 * 1 when two values are the same, members compared in order.  Linear in
 * their size, unlike cJSON_Compare, which looks every member of an object
 * up by name in the other (quadratic on a hostile file).  Objects holding
 * the same members in another order count as different: a repeated key
 * whose values differ only so is not used, which fails closed.
 */
static int
same_value(const cJSON *x, const cJSON *y)
{
	if ((x->type & 0xff) != (y->type & 0xff))
		return 0;
	if (cJSON_IsString(x))
		return x->valuestring != NULL && y->valuestring != NULL &&
		    strcmp(x->valuestring, y->valuestring) == 0;
	if (cJSON_IsNumber(x))
		return x->valuedouble == y->valuedouble;
	if (cJSON_IsArray(x) || cJSON_IsObject(x)) {
		for (x = x->child, y = y->child; x != NULL && y != NULL;
		    x = x->next, y = y->next)
			if ((x->string == NULL) != (y->string == NULL) ||
			    (x->string != NULL && strcmp(x->string,
			    y->string) != 0) || !same_value(x, y))
				return 0;
		return x == NULL && y == NULL;
	}
	return 1;	/* null, true, false */
}

static int
cmp_names(const void *x, const void *y)
{
	return strcmp(((const cJSON *const *)x)[0]->string,
	    ((const cJSON *const *)y)[0]->string);
}

/*
 * Duplicate names in every object of the tree, compared as C strings as
 * cJSON's lookups do (so "a\u0000b" counts as "a").  JSON readers disagree
 * on which of two equal keys counts (cJSON the first, Python the last), so
 * each is a finding; for the top level, one per name.  Returns MG_OK or
 * MG_ERR_NOMEM.
 */
static int
dup_keys(const cJSON *o, const char *name, int top, size_t *nested,
    struct mg_artifact *a)
{
	const cJSON **v = NULL, *c;
	size_t n = 0, i, k, shown = 0;
	int r = MG_OK;

	for (c = o->child; c != NULL; c = c->next) {
		n++;
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) &&
		    (r = dup_keys(c, name, 0, nested, a)) != MG_OK)
			return r;
	}
	if (!cJSON_IsObject(o) || n < 2)
		return MG_OK;
	if ((v = malloc(n * sizeof(*v))) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0, c = o->child; c != NULL; c = c->next)
		if (c->string != NULL)
			v[i++] = c;
	n = i;
	qsort(v, n, sizeof(*v), cmp_names);
	for (i = 0; i + 1 < n; i = k) {
		int differ = 0;

		for (k = i + 1; k < n && strcmp(v[i]->string,
		    v[k]->string) == 0; k++)
			differ |= !same_value(v[i], v[k]);
		if (k == i + 1)
			continue;
		if (!top)
			(*nested)++;
		else if (shown++ < 8)
			mg_artifact_addx(a, MG_R_SIDECAR_JSON,
			    MG_FINDING_NO_OFFSET, 0, name, v[i]->string,
			    "sidecar %s: key \"%.80s\" appears %zu times%s; "
			    "JSON readers disagree on which one counts", name,
			    v[i]->string, k - i,
			    differ ? " with different values" : "");
	}
	if (top && shown > 8)
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: %zu more duplicated keys", name, shown - 8);
	free(v);
	return MG_OK;
}

/*
 * Read and parse dir/name.  *out receives the object, or NULL.  Returns 1
 * when the sidecar exists but could not be used (a finding says why), 0
 * when it was parsed or does not exist, MG_ERR_NOMEM when out of memory.
 */
/*
 * Parse a sidecar's bytes: 0 with *out set, 1 when it could not be used
 * (a SIDECAR-JSON finding on a says why), or MG_ERR_NOMEM.
 */
static int
parse_json(const char *buf, size_t got, const char *name,
    struct mg_artifact *a, cJSON **out)
{
	cJSON *j = NULL;
	const char *end = NULL;
	size_t nested = 0;
	int r = 1;

	*out = NULL;
	if (too_many_values(buf, got)) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: more than %u JSON values; not parsed", name,
		    MG_MAX_SIDECAR_VALUES);
		goto out;
	}
	j = cJSON_ParseWithLengthOpts(buf, got, &end, 0);
	if (j != NULL) {
		/* Python's json refuses trailing data; so do we. */
		while (end < buf + got && (*end == ' ' || *end == '\t' ||
		    *end == '\n' || *end == '\r'))
			end++;
		if (end < buf + got) {
			cJSON_Delete(j);
			j = NULL;
		}
	}
	if (j == NULL) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: invalid JSON at byte %zu (NaN, Infinity, "
		    "comments and trailing data are not JSON)", name,
		    end != NULL && end >= buf ? (size_t)(end - buf) : (size_t)0);
		goto out;
	}
	if (!cJSON_IsObject(j)) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: not a JSON object", name);
		goto out;
	}
	if (dup_keys(j, name, 1, &nested, a) != MG_OK) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	if (nested > 0)
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: a key repeats in nested objects (%zu of them)",
		    name, nested);
	*out = j;
	j = NULL;	/* transferred */
	r = 0;
out:
	cJSON_Delete(j);
	return r;
}

static int
load(const char *dir, const char *name, const char *root,
    struct mg_artifact *a, cJSON **out)
{
	struct mg_slurp s;
	char *buf = NULL;
	size_t got = 0;
	int fd, r = 1;

	*out = NULL;
	if ((fd = open_sidecar(dir, name, root, a)) < 0)
		return fd == -1 ? 0 : 1;
	(void)mg_slurp(&s, NULL, fd, MG_MAX_SIDECAR_BYTES, MG_SLURP_REGULAR);
	buf = s.buf;
	got = s.len;
	switch (s.why) {
	case MG_SLURP_OK:
		break;
	case MG_SLURP_STAT:
	case MG_SLURP_DIR:
	case MG_SLURP_NOTREG:
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: not a regular file", name);
		goto out;
	case MG_SLURP_SIZE:
	case MG_SLURP_LONG:
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: %lld bytes exceeds the %u-byte cap", name,
		    (long long)(s.why == MG_SLURP_SIZE ? s.size : s.len),
		    MG_MAX_SIDECAR_BYTES);
		goto out;
	case MG_SLURP_NOMEM:
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: out of memory reading %lld bytes", name,
		    (long long)s.size);
		goto out;
	case MG_SLURP_OPEN:
	case MG_SLURP_READ:
		break;
	}
	if (s.why != MG_SLURP_OK || got < s.size) {
		mg_artifact_add(a, MG_R_SIDECAR_JSON, MG_FINDING_NO_OFFSET, name,
		    "sidecar %s: short read (%zu of %lld bytes)", name, got,
		    (long long)s.size);
		goto out;
	}
	r = parse_json(buf, got, name, a, out);
out:
	free(buf);
	close(fd);
	return r;
}

/*
 * 1 when object o holds key k more than once with values that differ:
 * which one counts depends on the JSON reader, so none is used.
 */
static int
ambiguous(const cJSON *o, const char *k)
{
	const cJSON *c, *first = NULL;

	if (o == NULL)
		return 0;
	for (c = o->child; c != NULL; c = c->next) {
		if (c->string == NULL || strcmp(c->string, k) != 0)
			continue;
		if (first == NULL)
			first = c;
		else if (!same_value(first, c))
			return 1;
	}
	return 0;
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

/*
 * What one directory's sidecars give a model, worked out once: the
 * findings, why the licence is indeterminate, and each value with the
 * model's own precedence left to apply time (a model that declares a
 * field keeps it).  Far smaller than the parsed JSON it comes from.
 */
struct mg_sidedigest {
	struct mg_artifact probs;	/* SIDECAR-JSON findings */
	/* Why a licence the model lacks is indeterminate, or "". */
	char		 lic_why[sizeof(((struct mg_artifact *)0)->
			     lic_indeterminate)];
	int		 any;		/* a sidecar was parsed: all below */
	char		*arch, *dtype, *license, *base;	/* or NULL */
	size_t		 archn, dtypen, licn, basen;
	char		 tf[256];	/* the training framework */
	cJSON		*meta;		/* "sidecar_config", or NULL: empty */
	size_t		 bytes;		/* about what it holds */
};

void
mg_sidedigest_free(struct mg_sidedigest *d)
{
	if (d == NULL)
		return;
	mg_artifact_free(&d->probs);
	free(d->arch);
	free(d->dtype);
	free(d->license);
	free(d->base);
	cJSON_Delete(d->meta);
	free(d);
}

static struct mg_sidedigest *
digest_new(void)
{
	struct mg_sidedigest *d = calloc(1, sizeof(*d));

	if (d != NULL)
		mg_artifact_init(&d->probs);
	return d;
}

/* The base model keys l-bom reads, in its order. */
static const char *const base_keys[] = {
	"base_model", "base_model_name_or_path", "base_model_name",
	"base_model_repo_id", "_name_or_path", "source_model", NULL
};

static int
keep(char **field, size_t *fn, const char *s, size_t n, size_t *bytes)
{
	*fn = n;
	*bytes += n + 1;
	return mg_artifact_set(field, s, n);
}

static int
add_str(cJSON *o, const char *k, const char *s, size_t n, size_t *bytes)
{
	cJSON *v = mg_json_str(s, n);

	if (v == NULL)
		return MG_ERR_NOMEM;
	*bytes += n + 64;
	cJSON_AddItemToObject(o, k, v);
	return MG_OK;
}

/*
 * Fill d (its findings already in d->probs) from the parsed sidecars;
 * unread names those that exist but could not be used.
 */
static int
digest_build(const cJSON *cfg, const cJSON *tok, const char *unread,
    struct mg_sidedigest *d)
{
	cJSON *meta = NULL, *archs = NULL;
	const char *s, *arch0 = NULL, *mtype = NULL;
	size_t n = 0, arch0n = 0, mtypen = 0, i;
	int r = MG_ERR_NOMEM, lic_amb, amb;

	d->bytes = sizeof(*d);
	for (i = 0; i < d->probs.nfindings; i++) {
		const struct mg_finding *f = &d->probs.findings[i];

		d->bytes += sizeof(*f) + 3 + strlen(f->message) +
		    (f->key != NULL ? strlen(f->key) : 0) +
		    (f->evidence != NULL ? strlen(f->evidence) : 0);
	}
	/*
	 * Fail closed: a sidecar that exists but could not be read, or that
	 * names its licence twice, may hold the licence the model lacks.
	 */
	lic_amb = ambiguous(cfg, "license") || ambiguous(tok, "license");
	if (unread[0] != '\0')
		snprintf(d->lic_why, sizeof(d->lic_why), "%s could not be read",
		    unread);
	else if (lic_amb)
		snprintf(d->lic_why, sizeof(d->lic_why),
		    "%s gives \"license\" more than once with different values",
		    ambiguous(cfg, "license") ? "config.json" :
		    "tokenizer_config.json");
	if (cfg == NULL && tok == NULL)
		return MG_OK;
	d->any = 1;
	if ((meta = cJSON_CreateObject()) == NULL)
		goto out;

	/* An ambiguous key is not used: each reader would see another value. */
	if (!ambiguous(cfg, "model_type") && !ambiguous(cfg, "architectures")) {
		const cJSON *av = get(cfg, "architectures"), *e;

		mtype = as_str(get(cfg, "model_type"), &mtypen);
		if ((archs = cJSON_CreateArray()) == NULL)
			goto out;
		if (cJSON_IsString(av) && av->valuestring[0] != '\0') {
			arch0 = av->valuestring;
			arch0n = strlen(arch0);
			cJSON_AddItemToArray(archs, mg_json_strz(arch0));
			d->bytes += arch0n + 64;
		} else if (cJSON_IsArray(av)) {
			for (e = av->child; e != NULL; e = e->next) {
				if ((s = as_str(e, &n)) == NULL)
					continue;
				if (arch0 == NULL) {
					arch0 = s;
					arch0n = n;
				}
				cJSON_AddItemToArray(archs, mg_json_str(s, n));
				d->bytes += n + 64;
			}
		}
	}
	if (mtype != NULL && (r = add_str(meta, "model_type", mtype, mtypen,
	    &d->bytes)))
		goto out;
	if (archs != NULL && cJSON_GetArraySize(archs) > 0) {
		cJSON_AddItemToObject(meta, "architectures", archs);
		archs = NULL;
	}
	if ((mtype != NULL || arch0 != NULL) && (r = keep(&d->arch, &d->archn,
	    mtype ? mtype : arch0, mtype ? mtypen : arch0n, &d->bytes)) !=
	    MG_OK)
		goto out;

	if (!ambiguous(cfg, "torch_dtype") && !ambiguous(tok, "torch_dtype") &&
	    (s = either(cfg, tok, "torch_dtype", &n)) != NULL) {
		if ((r = add_str(meta, "torch_dtype", s, n, &d->bytes)) !=
		    MG_OK || (r = keep(&d->dtype, &d->dtypen, s, n,
		    &d->bytes)) != MG_OK)
			goto out;
	}
	if (!lic_amb && (s = either(cfg, tok, "license", &n)) != NULL &&
	    (r = keep(&d->license, &d->licn, s, n, &d->bytes)) != MG_OK)
		goto out;
	for (i = 0, amb = 0; base_keys[i] != NULL; i++)
		amb |= ambiguous(cfg, base_keys[i]) || ambiguous(tok, base_keys[i]);
	for (i = 0; !amb && d->base == NULL && base_keys[i] != NULL; i++)
		if ((s = first_str(get(cfg, base_keys[i]), &n, 0)) != NULL ||
		    (s = first_str(get(tok, base_keys[i]), &n, 0)) != NULL)
			if ((r = keep(&d->base, &d->basen, s, n, &d->bytes)) !=
			    MG_OK)
				goto out;
	if (!ambiguous(cfg, "transformers_version") &&
	    !ambiguous(tok, "transformers_version") &&
	    (s = either(cfg, tok, "transformers_version", &n)) != NULL) {
		if ((r = add_str(meta, "transformers_version", s, n,
		    &d->bytes)) != MG_OK)
			goto out;
		snprintf(d->tf, sizeof(d->tf), "transformers %.*s",
		    (int)(n < 200 ? n : 200), s);
	} else
		snprintf(d->tf, sizeof(d->tf), "transformers");
	if (!ambiguous(tok, "tokenizer_class") &&
	    (s = as_str(get(tok, "tokenizer_class"), &n)) != NULL &&
	    (r = add_str(meta, "tokenizer_class", s, n, &d->bytes)) != MG_OK)
		goto out;

	if (cJSON_GetArraySize(meta) > 0) {
		d->meta = meta;
		meta = NULL;	/* transferred */
	}
	r = MG_OK;
out:
	cJSON_Delete(archs);
	cJSON_Delete(meta);
	return r;
}

int
mg_sidedigest_apply(const struct mg_sidedigest *d, struct mg_artifact *a)
{
	cJSON *meta;
	size_t i;
	int r;

	for (i = 0; i < d->probs.nfindings; i++) {
		const struct mg_finding *f = &d->probs.findings[i];

		if (mg_artifact_addx(a, f->rule, f->offset, f->length, f->key,
		    f->evidence, "%s", f->message) != MG_OK)
			return MG_ERR_NOMEM;
	}
	if (a->license == NULL && d->lic_why[0] != '\0')
		snprintf(a->lic_indeterminate, sizeof(a->lic_indeterminate),
		    "%s", d->lic_why);
	if (!d->any)
		return MG_OK;
	if ((r = set_if_unset(&a->architecture, d->arch, d->archn)) !=
	    MG_OK ||
	    (r = set_if_unset(&a->dtype, d->dtype, d->dtypen)) != MG_OK ||
	    (r = set_if_unset(&a->license, d->license, d->licn)) != MG_OK ||
	    (r = set_if_unset(&a->base_model, d->base, d->basen)) != MG_OK ||
	    (r = mg_artifact_setz(&a->training_framework, d->tf)) != MG_OK)
		return r;
	if (d->meta == NULL)
		return MG_OK;
	if ((meta = cJSON_Duplicate(d->meta, 1)) == NULL)
		return MG_ERR_NOMEM;
	if (a->metadata == NULL &&
	    (a->metadata = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(meta);
		return MG_ERR_NOMEM;
	}
	cJSON_AddItemToObject(a->metadata, "sidecar_config", meta);
	return MG_OK;
}

static const char *const side_names[2] = {
	"config.json", "tokenizer_config.json"
};

/* Add name to the list of sidecars that exist but could not be used. */
static void
note_unread(char *unread, size_t cap, const char *name)
{
	size_t k = strlen(unread);

	snprintf(unread + k, cap - k, "%s%s", k > 0 ? " and " : "", name);
}

/* The digest of directory dir's sidecars (as seen under root). */
/* Both loaders end here: the digest from the parsed files, which go. */
static int
digest_finish(int r, cJSON *j[2], const char *unread,
    struct mg_sidedigest *d, struct mg_sidedigest **out)
{
	if (r == MG_OK)
		r = digest_build(j[0], j[1], unread, d);
	cJSON_Delete(j[0]);
	cJSON_Delete(j[1]);
	if (r != MG_OK) {
		mg_sidedigest_free(d);
		return r;
	}
	*out = d;
	return MG_OK;
}

static int
digest_dir(const char *dir, const char *root, struct mg_sidedigest **out)
{
	struct mg_sidedigest *d;
	cJSON *j[2] = { NULL, NULL };
	char unread[64] = "";
	size_t i;
	int r = MG_OK;

	*out = NULL;
	if ((d = digest_new()) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < 2 && r == MG_OK; i++) {
		int got = load(dir, side_names[i], root, &d->probs, &j[i]);

		if (got < 0)
			r = got;
		else if (got == 1)
			note_unread(unread, sizeof(unread), side_names[i]);
	}
	return digest_finish(r, j, unread, d, out);
}

int
mg_sidedigest_mem(const struct mg_sidebuf sb[2], struct mg_sidedigest **out)
{
	struct mg_sidedigest *d;
	cJSON *j[2] = { NULL, NULL };
	char unread[64] = "";
	size_t i;
	int r = MG_OK;

	*out = NULL;
	if ((d = digest_new()) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < 2 && r == MG_OK; i++) {
		int got = 0;

		if (sb[i].state == MG_SIDEBUF_ABSENT)
			continue;
		if (sb[i].state == MG_SIDEBUF_UNREAD)
			mg_artifact_add(&d->probs, MG_R_SIDECAR_JSON,
			    MG_FINDING_NO_OFFSET, side_names[i],
			    "sidecar %s: %s", side_names[i], sb[i].why != NULL ?
			    sb[i].why : "could not be read");
		else if ((got = parse_json(sb[i].p, sb[i].n, side_names[i],
		    &d->probs, &j[i])) < 0)
			r = got;
		if (r == MG_OK && (sb[i].state == MG_SIDEBUF_UNREAD || got == 1))
			note_unread(unread, sizeof(unread), side_names[i]);
	}
	return digest_finish(r, j, unread, d, out);
}

int
mg_sidecar_apply_mem(const struct mg_sidebuf sb[2], struct mg_artifact *a)
{
	struct mg_sidedigest *d;
	int r;

	if ((r = mg_sidedigest_mem(sb, &d)) != MG_OK)
		return r;
	r = mg_sidedigest_apply(d, a);
	mg_sidedigest_free(d);
	return r;
}

/* ---- the per-worker cache of directories ------------------------------ */

/*
 * The walk hands a directory's files over in sorted order with its
 * subdirectories' files in between, so a directory is met again after
 * each subdirectory.  The cache therefore holds the chain of directories
 * the walk is inside, innermost on top: a directory is dropped once the
 * walk reaches one outside it, and never for a visit below it.  Bounded
 * all the same: past MG_SIDECAR_DIRS directories or MG_SIDECAR_KEPT bytes
 * of digests, the outermost go first.
 */
#define MG_SIDECAR_DIRS		32u
#define MG_SIDECAR_KEPT		(64u << 20)

struct mg_sidedir {
	struct mg_sidedir	*up;	/* the next one out, or NULL */
	char			*dir;
	char			*root;	/* or NULL */
	struct mg_sidedigest	*d;
	size_t			 bytes;
};

void
mg_sidecars_init(struct mg_sidecars *c)
{
	memset(c, 0, sizeof(*c));
}

static void
sidedir_free(struct mg_sidedir *e)
{
	free(e->dir);
	free(e->root);
	mg_sidedigest_free(e->d);
	free(e);
}

static void
pop(struct mg_sidecars *c)
{
	struct mg_sidedir *e = c->top;

	c->top = e->up;
	c->n--;
	c->bytes -= e->bytes;
	sidedir_free(e);
}

void
mg_sidecars_free(struct mg_sidecars *c)
{
	if (c == NULL)
		return;
	while (c->top != NULL)
		pop(c);
	mg_sidecars_init(c);
}

static int
same(const char *x, const char *y)
{
	return x == NULL ? y == NULL : y != NULL && strcmp(x, y) == 0;
}

/* 1 when dir is e's directory or one below it (under the same root). */
static int
within(const struct mg_sidedir *e, const char *dir, const char *root)
{
	size_t n = strlen(e->dir);

	return same(e->root, root) && strncmp(e->dir, dir, n) == 0 &&
	    (dir[n] == '\0' || dir[n] == '/' || (n > 0 && e->dir[n - 1] == '/'));
}

/* Make dir's sidecars (as seen under root) the top of c. */
static int
cache_load(struct mg_sidecars *c, const char *dir, const char *root)
{
	struct mg_sidedir *e, **pp;
	int r;

	/* Leave the directories the walk has left. */
	while (c->top != NULL && !within(c->top, dir, root))
		pop(c);
	if (c->top != NULL && strcmp(c->top->dir, dir) == 0)
		return MG_OK;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return MG_ERR_NOMEM;
	if ((e->dir = strdup(dir)) == NULL ||
	    (root != NULL && (e->root = strdup(root)) == NULL)) {
		sidedir_free(e);
		return MG_ERR_NOMEM;
	}
	if ((r = digest_dir(dir, root, &e->d)) != MG_OK) {
		sidedir_free(e);
		return r;
	}
	e->bytes = sizeof(*e) + e->d->bytes + strlen(dir) +
	    (root != NULL ? strlen(root) : 0);
	e->up = c->top;
	c->top = e;
	c->n++;
	c->bytes += e->bytes;
	/* Over a bound: drop the outermost, never the one just read. */
	while (c->n > 1 &&
	    (c->n > MG_SIDECAR_DIRS || c->bytes > MG_SIDECAR_KEPT)) {
		for (pp = &c->top; (*pp)->up != NULL; pp = &(*pp)->up)
			;
		e = *pp;
		*pp = NULL;
		c->n--;
		c->bytes -= e->bytes;
		sidedir_free(e);
	}
	return MG_OK;
}

int
mg_sidecar_apply(struct mg_sidecars *c, const char *dir, const char *root,
    struct mg_artifact *a)
{
	int r;

	if ((r = cache_load(c, dir, root)) != MG_OK)
		return r;
	return mg_sidedigest_apply(c->top->d, a);
}
