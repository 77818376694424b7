/*
 * serve_tools.c - the tools of `modelgate serve`: scan, bom and verify.
 *
 * Each tool runs in one persistent worker with that worker's scan context
 * (mg_run_scan_with), so a request creates no thread or process.  Every
 * path argument is resolved with realpath() and must lie inside a served
 * root before anything is opened; what the walk then finds below it is
 * never followed out through a symlink (the walker does not follow them).
 * Results are the CLI's own: the gate's verdict and exit code for scan,
 * the `bom --format json` document for bom, the lock verification of
 * `scan --lock` for verify.  Strings that came from files are escaped as
 * the reports escape them (mg_json_bytes for names, mg_json_str for text).
 * Lists are capped at SERVE_MAX_LISTED entries, with "truncated" set.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "artifact.h"
#include "cli.h"
#include "confine.h"
#include "err.h"
#include "fmt.h"
#include "gate.h"
#include "jsonw.h"
#include "path.h"
#include "policy.h"
#include "report.h"
#include "run.h"
#include "serve.h"
#include "strset.h"
#include "text.h"
#include "version.h"

/* ---- the policy in force --------------------------------------------- */

static void
pol_free(struct serve_pol *p)
{
	if (p == NULL)
		return;
	if (p->have_lock)
		mg_lock_free(&p->lock);
	mg_policy_free(p->p);
	free(p);
}

int
serve_pol_load(const struct serve *s, struct serve_pol **out, char *err,
    size_t errlen)
{
	struct serve_pol *p = calloc(1, sizeof(*p));
	int r;

	*out = NULL;
	if (p == NULL) {
		snprintf(err, errlen, "%s", mg_strerror(MG_ERR_NOMEM));
		return MG_ERR_NOMEM;
	}
	if ((r = mg_policy_load(&p->p, s->policy_file, err, errlen)) != MG_OK)
		goto fail;
	/* --lock replaces the policy's lock, as for `modelgate scan`. */
	if (!s->have_lock && p->p->lock != NULL) {
		if ((r = mg_lock_read(&p->lock, p->p->lock, err, errlen)) !=
		    MG_OK)
			goto fail;
		p->have_lock = 1;
	}
	p->refs = 1;
	*out = p;
	return MG_OK;
fail:
	pol_free(p);
	return r;
}

struct serve_pol *
serve_pol_get(struct serve *s)
{
	struct serve_pol *p;

	pthread_mutex_lock(&s->pol_mu);
	p = s->pol;
	p->refs++;
	pthread_mutex_unlock(&s->pol_mu);
	return p;
}

void
serve_pol_put(struct serve *s, struct serve_pol *p)
{
	unsigned left;

	if (p == NULL)
		return;
	pthread_mutex_lock(&s->pol_mu);
	left = --p->refs;
	pthread_mutex_unlock(&s->pol_mu);
	if (left == 0)
		pol_free(p);
}

void
serve_pol_swap(struct serve *s, struct serve_pol *p)
{
	struct serve_pol *old;

	pthread_mutex_lock(&s->pol_mu);
	old = s->pol;
	s->pol = p;
	pthread_mutex_unlock(&s->pol_mu);
	serve_pol_put(s, old);
}

/* ---- schemas ----------------------------------------------------------- */

static const char *const sev_names[] = {
	"critical", "high", "medium", "low", "info", NULL
};

static const struct serve_param scan_params[] = {
	{ "paths", SP_PATHS, 1, "Files or directories to scan, inside a "
	    "served root (relative paths are taken from the first root)" },
	{ "fail_on", SP_SEV, 0, "Fail on findings at or above this severity "
	    "(default: the policy's)" },
	{ NULL, SP_BOOL, 0, NULL }
};

static const struct serve_param bom_params[] = {
	{ "path", SP_PATH, 1, "A file or directory inside a served root" },
	{ "hash", SP_BOOL, 0, "Compute SHA-256 (default true; false reads "
	    "only the headers)" },
	{ NULL, SP_BOOL, 0, NULL }
};

static const struct serve_param verify_params[] = {
	{ "paths", SP_PATHS, 1, "Files or directories whose model artifacts "
	    "are checked against the pins" },
	{ "manifest", SP_PATH, 0, "A sha256sum manifest inside a served root "
	    "(default: the server's lock file)" },
	{ NULL, SP_BOOL, 0, NULL }
};

#define SEV_ENUM "[\"critical\",\"high\",\"medium\",\"low\",\"info\"]"
#define NAT "{\"type\":\"integer\",\"minimum\":0}"

static const char scan_output[] =
"{\"type\":\"object\",\"properties\":{"
"\"verdict\":{\"type\":\"string\",\"enum\":[\"pass\",\"fail\",\"incomplete\","
"\"empty\"]},"
"\"exit_code\":{\"type\":\"integer\",\"enum\":[0,1,3,4]},"
"\"fail_on\":{\"type\":\"string\",\"enum\":" SEV_ENUM "},"
"\"policy\":{\"type\":\"string\"},"
"\"summary\":{\"type\":\"object\",\"properties\":{"
"\"artifacts\":" NAT ",\"pass\":" NAT ",\"fail\":" NAT ",\"error\":" NAT ","
"\"suppressed\":" NAT ",\"baselined\":" NAT ","
"\"counting\":{\"type\":\"object\",\"properties\":{\"critical\":" NAT ","
"\"high\":" NAT ",\"medium\":" NAT ",\"low\":" NAT ",\"info\":" NAT "},"
"\"required\":[\"critical\",\"high\",\"medium\",\"low\",\"info\"],"
"\"additionalProperties\":false}},"
"\"required\":[\"artifacts\",\"pass\",\"fail\",\"error\",\"suppressed\","
"\"baselined\",\"counting\"],\"additionalProperties\":false},"
"\"artifacts\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
"\"properties\":{\"path\":{\"type\":\"string\"},\"format\":{\"type\":\"string\"},"
"\"verdict\":{\"type\":\"string\",\"enum\":[\"pass\",\"fail\",\"error\"]},"
"\"sha256\":{\"type\":\"string\"},\"findings\":" NAT "},"
"\"required\":[\"path\",\"format\",\"verdict\",\"sha256\",\"findings\"],"
"\"additionalProperties\":false}},"
"\"findings\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
"\"properties\":{\"path\":{\"type\":\"string\"},\"rule\":{\"type\":\"string\"},"
"\"severity\":{\"type\":\"string\",\"enum\":" SEV_ENUM "},"
"\"state\":{\"type\":\"string\",\"enum\":[\"active\",\"suppressed\","
"\"baselined\"]},\"counts\":{\"type\":\"boolean\"},"
"\"message\":{\"type\":\"string\"},\"key\":{\"type\":\"string\"},"
"\"offset\":" NAT "},"
"\"required\":[\"path\",\"rule\",\"severity\",\"state\",\"counts\","
"\"message\"],\"additionalProperties\":false}},"
"\"truncated\":{\"type\":\"boolean\"}},"
"\"required\":[\"verdict\",\"exit_code\",\"fail_on\",\"policy\",\"summary\","
"\"artifacts\",\"findings\",\"truncated\"],\"additionalProperties\":false}";

static const char bom_output[] =
"{\"type\":\"object\",\"properties\":{"
"\"documents\":{\"type\":\"array\",\"items\":{\"type\":\"object\","
"\"properties\":{\"sbom_version\":{\"type\":\"string\"},"
"\"model_path\":{\"type\":\"string\"},\"model_filename\":{\"type\":\"string\"},"
"\"file_size_bytes\":" NAT ",\"sha256\":{\"type\":\"string\"},"
"\"format\":{\"type\":\"string\"},\"metadata\":{\"type\":\"object\"},"
"\"warnings\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
"\"findings\":{\"type\":\"array\"},\"complete\":{\"type\":\"boolean\"}},"
"\"required\":[\"sbom_version\",\"model_path\",\"model_filename\","
"\"file_size_bytes\",\"sha256\",\"format\",\"metadata\",\"warnings\","
"\"findings\",\"complete\"]}},"
"\"exit_code\":{\"type\":\"integer\",\"enum\":[0,3,4]},"
"\"truncated\":{\"type\":\"boolean\"}},"
"\"required\":[\"documents\",\"exit_code\",\"truncated\"],"
"\"additionalProperties\":false}";

static const char verify_output[] =
"{\"type\":\"object\",\"properties\":{"
"\"verified\":{\"type\":\"boolean\"},"
"\"exit_code\":{\"type\":\"integer\",\"enum\":[0,1,3,4]},"
"\"pins\":{\"type\":\"string\"},"
"\"files\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
"\"path\":{\"type\":\"string\"},\"status\":{\"type\":\"string\",\"enum\":"
"[\"ok\",\"changed\",\"missing\",\"unlisted\",\"unverified\",\"unreadable\"]},"
"\"sha256\":{\"type\":\"string\"},\"message\":{\"type\":\"string\"}},"
"\"required\":[\"path\",\"status\",\"sha256\"],\"additionalProperties\":false}},"
"\"problems\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
"\"truncated\":{\"type\":\"boolean\"}},"
"\"required\":[\"verified\",\"exit_code\",\"pins\",\"files\",\"problems\","
"\"truncated\"],\"additionalProperties\":false}";

static char *tool_scan(struct serve *, struct mg_scan_ctx *, const cJSON *,
    const atomic_int *);
static char *tool_bom(struct serve *, struct mg_scan_ctx *, const cJSON *,
    const atomic_int *);
static char *tool_verify(struct serve *, struct mg_scan_ctx *, const cJSON *,
    const atomic_int *);

const struct serve_tool serve_tools[] = {
	{ "scan", "Scan model artifacts against the policy",
	  "Scan model files (GGUF, safetensors, pickles, archives, ...) "
	  "against the server's policy, as `modelgate scan` does: the verdict, "
	  "the exit code the CLI would have had, and the findings.",
	  scan_params, scan_output, tool_scan },
	{ "bom", "Bill of materials of a model",
	  "Inventory one file or directory: the l-bom compatible document "
	  "that `modelgate bom --format json` writes (format, architecture, "
	  "parameters, quantization, licence, SHA-256, metadata).",
	  bom_params, bom_output, tool_bom },
	{ "verify", "Verify model digests against the lock",
	  "Hash model files and compare them with the server's lock file "
	  "(or a sha256sum manifest): changed, missing and unlisted files.",
	  verify_params, verify_output, tool_verify },
	{ NULL, NULL, NULL, NULL, NULL, NULL }
};

const struct serve_tool *
serve_tool_find(const char *name)
{
	const struct serve_tool *t;

	for (t = serve_tools; t->name != NULL; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

static cJSON *
param_schema(const struct serve_param *p)
{
	cJSON *o = cJSON_CreateObject(), *it;
	size_t i;

	if (o == NULL)
		return NULL;
	switch (p->type) {
	case SP_PATHS:
		cJSON_AddStringToObject(o, "type", "array");
		it = cJSON_AddObjectToObject(o, "items");
		if (it != NULL) {
			cJSON_AddStringToObject(it, "type", "string");
			cJSON_AddNumberToObject(it, "minLength", 1);
		}
		cJSON_AddNumberToObject(o, "minItems", 1);
		cJSON_AddNumberToObject(o, "maxItems", SERVE_MAX_PATHS);
		break;
	case SP_PATH:
		cJSON_AddStringToObject(o, "type", "string");
		cJSON_AddNumberToObject(o, "minLength", 1);
		break;
	case SP_SEV:
		cJSON_AddStringToObject(o, "type", "string");
		it = cJSON_AddArrayToObject(o, "enum");
		for (i = 0; it != NULL && sev_names[i] != NULL; i++)
			cJSON_AddItemToArray(it, cJSON_CreateString(sev_names[i]));
		break;
	case SP_BOOL:
		cJSON_AddStringToObject(o, "type", "boolean");
		break;
	}
	cJSON_AddStringToObject(o, "description", p->description);
	return o;
}

char *
serve_tools_list(void)
{
	cJSON *root = cJSON_CreateObject(), *arr, *t, *in, *props, *req, *ann;
	const struct serve_tool *st;
	const struct serve_param *p;
	char *s = NULL;

	if (root == NULL || (arr = cJSON_AddArrayToObject(root, "tools")) ==
	    NULL)
		goto out;
	for (st = serve_tools; st->name != NULL; st++) {
		cJSON *os = cJSON_Parse(st->output_schema);

		if (os == NULL || (t = cJSON_CreateObject()) == NULL) {
			cJSON_Delete(os);
			goto out;
		}
		cJSON_AddItemToArray(arr, t);
		cJSON_AddStringToObject(t, "name", st->name);
		cJSON_AddStringToObject(t, "title", st->title);
		cJSON_AddStringToObject(t, "description", st->description);
		in = cJSON_AddObjectToObject(t, "inputSchema");
		cJSON_AddItemToObject(t, "outputSchema", os);
		ann = cJSON_AddObjectToObject(t, "annotations");
		if (in == NULL || ann == NULL)
			goto out;
		cJSON_AddStringToObject(in, "type", "object");
		props = cJSON_AddObjectToObject(in, "properties");
		req = cJSON_AddArrayToObject(in, "required");
		if (props == NULL || req == NULL)
			goto out;
		for (p = st->params; p->name != NULL; p++) {
			cJSON_AddItemToObject(props, p->name, param_schema(p));
			if (p->required)
				cJSON_AddItemToArray(req,
				    cJSON_CreateString(p->name));
		}
		cJSON_AddFalseToObject(in, "additionalProperties");
		cJSON_AddStringToObject(ann, "title", st->title);
		cJSON_AddTrueToObject(ann, "readOnlyHint");
		cJSON_AddTrueToObject(ann, "idempotentHint");
		cJSON_AddFalseToObject(ann, "openWorldHint");
	}
	s = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return s;
}

int
serve_args_check(const struct serve_tool *t, const cJSON *args, char *err,
    size_t errlen)
{
	const struct serve_param *p;
	const cJSON *a, *e;
	size_t n;

	if (args != NULL && !cJSON_IsObject(args)) {
		snprintf(err, errlen, "arguments must be an object");
		return -1;
	}
	/* Names are printed only once known to be the tool's own. */
	cJSON_ArrayForEach(a, args) {
		for (p = t->params; p->name != NULL; p++)
			if (a->string != NULL && strcmp(a->string, p->name) == 0)
				break;
		if (p->name == NULL) {
			snprintf(err, errlen, "%s: unknown argument (the tool "
			    "takes %s%s%s%s%s)", t->name, t->params[0].name,
			    t->params[1].name ? ", " : "",
			    t->params[1].name ? t->params[1].name : "",
			    t->params[1].name && t->params[2].name ? ", " : "",
			    t->params[1].name && t->params[2].name ?
			    t->params[2].name : "");
			return -1;
		}
	}
	for (p = t->params; p->name != NULL; p++) {
		a = args != NULL ? cJSON_GetObjectItemCaseSensitive(args,
		    p->name) : NULL;
		if (a == NULL) {
			if (p->required) {
				snprintf(err, errlen, "%s: missing required "
				    "argument %s", t->name, p->name);
				return -1;
			}
			continue;
		}
		switch (p->type) {
		case SP_PATHS:
			n = 0;
			if (!cJSON_IsArray(a))
				goto bad;
			cJSON_ArrayForEach(e, a) {
				if (!cJSON_IsString(e) || e->valuestring[0] ==
				    '\0')
					goto bad;
				n++;
			}
			if (n < 1 || n > SERVE_MAX_PATHS)
				goto bad;
			break;
		case SP_PATH:
			if (!cJSON_IsString(a) || a->valuestring[0] == '\0')
				goto bad;
			break;
		case SP_SEV: {
			enum mg_sev sev;

			if (!cJSON_IsString(a) ||
			    mg_sev_parse(a->valuestring, &sev) != MG_OK)
				goto bad;
			break;
		}
		case SP_BOOL:
			if (!cJSON_IsBool(a))
				goto bad;
			break;
		}
	}
	return 0;
bad:
	snprintf(err, errlen, "%s: argument %s must be %s", t->name, p->name,
	    p->type == SP_PATHS ? "an array of 1 to 256 non-empty strings" :
	    p->type == SP_PATH ? "a non-empty string" :
	    p->type == SP_SEV ? "one of critical, high, medium, low, info" :
	    "true or false");
	return -1;
}

/* ---- results ------------------------------------------------------------ */

/*
 * Open a result object, compact, with its one text block written: the
 * caller adds structuredContent or isError, then result_end().  The
 * writer stops soon after the reply cap (a string's room is reserved for
 * its worst case, so the exact cap is checked on the whole reply).
 */
static void
result_begin(struct mg_jsonw *w, const char *text)
{
	mg_jsonw_init(w, NULL, 0, 2 * (size_t)SERVE_MAX_REPLY);
	mg_jsonw_compact(w);
	mg_jsonw_obj_begin(w);
	mg_jsonw_key(w, "content");
	mg_jsonw_arr_begin(w);
	mg_jsonw_elem(w);
	mg_jsonw_obj_begin(w);
	mg_jsonw_key(w, "type");
	mg_jsonw_str(w, "text");
	mg_jsonw_key(w, "text");
	mg_jsonw_text(w, text);
	mg_jsonw_obj_end(w);
	mg_jsonw_arr_end(w);
}

/* Close the result: its text, or the over-cap error of tool. */
static char *
result_end(struct mg_jsonw *w, const char *tool)
{
	char *s;
	int r;

	mg_jsonw_obj_end(w);
	s = mg_jsonw_take(w, &r);
	mg_jsonw_free(w);
	if (s == NULL && r == MG_ERR_LIMIT && tool != NULL)
		s = serve_tool_over_cap(tool);
	return s;
}

/*
 * A result object with one text block; takes structured.  Over the
 * reply cap, tool's error that says so (NULL tool: none).
 */
static char *
result_text(cJSON *structured, const char *text, int is_error,
    const char *tool)
{
	struct mg_jsonw w;

	result_begin(&w, text);
	if (structured != NULL) {
		mg_jsonw_key(&w, "structuredContent");
		mg_jsonw_cjson(&w, structured);
		cJSON_Delete(structured);
	}
	if (is_error) {
		mg_jsonw_key(&w, "isError");
		mg_jsonw_bool(&w, 1);
	}
	return result_end(&w, tool);
}

char *
serve_tool_error(const char *fmt, ...)
{
	char msg[1536];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return result_text(NULL, msg, 1, NULL);
}

char *
serve_tool_over_cap(const char *tool)
{
	return serve_tool_error("%s: the result is over the %u-byte cap of "
	    "one answer; run `modelgate %s` on fewer files", tool,
	    SERVE_MAX_REPLY, tool);
}

/* ---- paths ---------------------------------------------------------------- */

/* A short, printable form of an untrusted path for messages (caller frees). */
static char *
shown(const char *p)
{
	size_t n = strlen(p);

	return mg_text_escape(p, n > 300 ? 300 : n);
}

static int inside_roots(const struct serve *s, const char *real);

/*
 * A path that does not resolve: 1 unless it is missing plainly inside a
 * root (every component up to the missing one a directory, none a
 * symlink, the last existing one inside a root), so that nothing tells
 * an absent file outside the roots, or behind a link, from a present one.
 */
static int
missing_outside(const struct serve *s, const char *path)
{
	char *p = strdup(path), *q, save;
	struct stat st;
	int r = 1;

	if (p == NULL || p[0] != '/')
		goto out;
	for (q = p + 1;; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		save = *q;
		*q = '\0';
		if (lstat(p, &st) != 0) {
			if (errno == ENOENT) {
				/* The parent existed: is it inside? */
				char *slash = strrchr(p, '/');

				*slash = '\0';
				r = !inside_roots(s, p[0] != '\0' ? p : "/");
			}
			goto out;
		}
		if (S_ISLNK(st.st_mode) || (save != '\0' && !S_ISDIR(st.st_mode)))
			goto out;
		if (save == '\0')
			goto out;
		*q = save;
	}
out:
	free(p);
	return r;
}

static int
inside_roots(const struct serve *s, const char *real)
{
	size_t i, n;

	for (i = 0; i < s->nroots; i++) {
		n = strlen(s->roots[i]);
		if (strncmp(real, s->roots[i], n) == 0 && (real[n] == '\0' ||
		    real[n] == '/' || (n == 1 && s->roots[i][0] == '/')))
			return 1;
	}
	return 0;
}

/*
 * The real path of a request's path, when it lies inside a served root;
 * NULL with the tool's error result in *why (NULL too: out of memory).
 */
static char *
resolve(const struct serve *s, const char *arg, char **why)
{
	char *joined = NULL, *real = NULL, *sh;
	int e;

	*why = NULL;
	/*
	 * ".." is taken lexically, so that resolving never walks through
	 * what lies outside the roots ("r/../outside/x/../../r/y" is r/y).
	 */
	if ((joined = mg_path_abs(s->roots[0], arg)) == NULL)
		return NULL;
	real = mg_confine_realpath(joined);
	e = errno;
	if (real == NULL && missing_outside(s, joined))
		e = -1;
	free(joined);
	if ((sh = shown(arg)) == NULL) {
		free(real);
		return NULL;
	}
	if (real == NULL && e != -1) {
		*why = serve_tool_error("%s: %s", sh, strerror(e));
		free(sh);
		return NULL;
	}
	if (real != NULL && inside_roots(s, real)) {
		free(sh);
		return real;
	}
	*why = serve_tool_error("%s: refused: the path is outside the roots "
	    "this server may read", sh);
	free(sh);
	free(real);
	return NULL;
}

struct paths {
	char	*v[SERVE_MAX_PATHS];
	size_t	 n;
};

static void
paths_free(struct paths *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		free(ps->v[i]);
	ps->n = 0;
}

/* Resolve every path of an array argument; on failure the error result. */
static int
paths_resolve(const struct serve *s, const cJSON *arr, struct paths *ps,
    char **why)
{
	const cJSON *e;

	ps->n = 0;
	*why = NULL;
	cJSON_ArrayForEach(e, arr) {
		if (ps->n == SERVE_MAX_PATHS)
			break;
		if ((ps->v[ps->n] = resolve(s, e->valuestring, why)) == NULL) {
			paths_free(ps);
			return -1;
		}
		ps->n++;
	}
	return 0;
}

/* ---- scan ----------------------------------------------------------------- */

struct walkctx {
	const struct mg_policy	*pol;	/* NULL: every file */
	const atomic_int	*cancel;
};

static int
want(void *arg, const char *display)
{
	struct walkctx *w = arg;

	if (atomic_load(w->cancel))
		return 0;
	return w->pol == NULL || mg_policy_wants(w->pol, display);
}

static int
excluded(void *arg, const char *display, int below)
{
	struct walkctx *w = arg;

	if (w->pol == NULL)
		return 0;
	return below ? mg_policy_excludes_below(w->pol, display) :
	    mg_policy_excludes(w->pol, display);
}

/* The policy checks in the worker, then the metadata goes (cmd_scan.c). */
static void
check_artifact(void *arg, struct mg_artifact *a)
{
	mg_gate_check_artifact(arg, a);
	cJSON_Delete(a->metadata);
	a->metadata = NULL;
	mg_strset_free(a->meta_keys);
	a->meta_keys = NULL;
}

static int
put(cJSON *o, const char *k, cJSON *v)
{
	if (v == NULL)
		return -1;
	cJSON_AddItemToObject(o, k, v);
	return 0;
}

static cJSON *
scan_structured(const struct mg_gate *g, const struct mg_policy *pol,
    int fail_on, int *truncated)
{
	cJSON *o = cJSON_CreateObject(), *sum, *cnt, *arts, *fs, *x;
	size_t i, k, listed = 0;
	int sev, bad = 0;

	*truncated = 0;
	if (o == NULL)
		return NULL;
	bad |= put(o, "verdict", cJSON_CreateString(
	    mg_run_verdict_name(g->verdict)));
	bad |= put(o, "exit_code", cJSON_CreateNumber(g->exit_code));
	bad |= put(o, "fail_on", cJSON_CreateString(mg_sev_name(
	    (enum mg_sev)fail_on)));
	bad |= put(o, "policy", mg_json_bytesz(pol->source));
	bad |= put(o, "summary", sum = cJSON_CreateObject());
	if (bad)
		goto fail;
	bad |= put(sum, "artifacts", mg_json_u64(g->sum.artifacts));
	bad |= put(sum, "pass", mg_json_u64(g->sum.pass));
	bad |= put(sum, "fail", mg_json_u64(g->sum.fail));
	bad |= put(sum, "error", mg_json_u64(g->sum.error));
	bad |= put(sum, "suppressed", mg_json_u64(g->sum.suppressed));
	bad |= put(sum, "baselined", mg_json_u64(g->sum.baselined));
	bad |= put(sum, "counting", cnt = cJSON_CreateObject());
	for (sev = MG_SEV_CRIT; !bad && sev >= MG_SEV_INFO; sev--)
		bad |= put(cnt, mg_sev_name((enum mg_sev)sev),
		    mg_json_u64(g->sum.by_sev[sev]));
	bad |= put(o, "artifacts", arts = cJSON_CreateArray());
	bad |= put(o, "findings", fs = cJSON_CreateArray());
	for (i = 0; !bad && i < g->n; i++) {
		const struct mg_gate_artifact *ga = &g->arts[i];
		const struct mg_artifact *a = ga->a;

		if (i >= SERVE_MAX_LISTED) {
			*truncated = 1;
			break;
		}
		if ((x = cJSON_CreateObject()) == NULL)
			goto fail;
		cJSON_AddItemToArray(arts, x);
		bad |= put(x, "path", mg_json_bytesz(a->path));
		bad |= put(x, "format", cJSON_CreateString(a->format->name));
		bad |= put(x, "verdict", cJSON_CreateString(
		    mg_verdict_name(ga->verdict)));
		bad |= put(x, "sha256", cJSON_CreateString(a->sha256));
		bad |= put(x, "findings", mg_json_u64(ga->nfindings));
		for (k = 0; !bad && k < ga->nfindings; k++) {
			const struct mg_gate_finding *gf = &ga->findings[k];
			cJSON *f;

			if (listed++ >= SERVE_MAX_LISTED) {
				*truncated = 1;
				break;
			}
			if ((f = cJSON_CreateObject()) == NULL)
				goto fail;
			cJSON_AddItemToArray(fs, f);
			bad |= put(f, "path", mg_json_bytesz(a->path));
			bad |= put(f, "rule", cJSON_CreateString(
			    mg_rule_get(gf->f->rule)->id));
			bad |= put(f, "severity", cJSON_CreateString(
			    mg_sev_name(gf->severity)));
			bad |= put(f, "state", cJSON_CreateString(
			    mg_fstate_name(gf->state)));
			bad |= put(f, "counts", cJSON_CreateBool(gf->counts));
			bad |= put(f, "message", mg_json_strz(gf->f->message));
			if (gf->f->key != NULL)
				bad |= put(f, "key", mg_json_bytesz(gf->f->key));
			if (gf->f->offset != MG_FINDING_NO_OFFSET)
				bad |= put(f, "offset",
				    mg_json_u64(gf->f->offset));
		}
	}
	if (bad)
		goto fail;
	if (put(o, "truncated", cJSON_CreateBool(*truncated)) != 0)
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static char *
tool_scan(struct serve *s, struct mg_scan_ctx *sc, const cJSON *args,
    const atomic_int *cancel)
{
	const cJSON *fo = cJSON_GetObjectItemCaseSensitive(args, "fail_on");
	struct serve_pol *pol = serve_pol_get(s);
	struct walkctx wc;
	struct mg_run_opts ro;
	struct mg_gate_opts go;
	struct mg_run run;
	struct mg_gate g;
	struct paths ps;
	char day[11], err[1024], text[512], *why = NULL, *out = NULL;
	cJSON *st;
	enum mg_sev sev;
	int fail_on = -1, truncated, r;

	memset(&g, 0, sizeof(g));
	memset(&run, 0, sizeof(run));
	if (paths_resolve(s, cJSON_GetObjectItemCaseSensitive(args, "paths"),
	    &ps, &why) != 0) {
		serve_pol_put(s, pol);
		return why;
	}
	if (fo != NULL && mg_sev_parse(fo->valuestring, &sev) == MG_OK)
		fail_on = (int)sev;
	memset(&ro, 0, sizeof(ro));
	ro.scan.hash = 1;
	ro.scan.sidecars = 1;
	ro.scan.arc = pol->p->arc;
	ro.jobs = 1;
	wc.pol = pol->p;
	wc.cancel = cancel;
	ro.want = want;
	ro.excluded = excluded;
	ro.want_arg = &wc;
	ro.post = check_artifact;
	ro.post_arg = pol->p;
	if ((r = mg_run_scan_with(&run, ps.v, ps.n, &ro, sc)) != MG_OK) {
		out = serve_tool_error("scan: %s", mg_strerror(r));
		goto done;
	}
	if (atomic_load(cancel))
		goto done;
	memset(&go, 0, sizeof(go));
	go.fail_on = fail_on;
	if (cli_today(day) != 0) {
		out = serve_tool_error("scan: no clock");
		goto done;
	}
	go.today = day;
	go.roots = ps.v;
	go.nroots = ps.n;
	go.lock_pins = s->have_lock ? &s->lock : pol->have_lock ?
	    &pol->lock : NULL;
	if ((r = mg_gate_eval(&g, &run, pol->p, &go, err, sizeof(err))) !=
	    MG_OK) {
		out = serve_tool_error("scan: %s", err);
		goto done;
	}
	if (fail_on < 0)
		fail_on = pol->p->fail_on;
	if ((st = scan_structured(&g, pol->p, fail_on, &truncated)) == NULL)
		goto done;
	snprintf(text, sizeof(text), "modelgate scan: %s (exit %d): %zu "
	    "artifact%s, %zu passed, %zu failed, %zu errors; counting "
	    "findings: %zu critical, %zu high, %zu medium, %zu low%s",
	    mg_run_verdict_name(g.verdict), g.exit_code, g.sum.artifacts,
	    g.sum.artifacts == 1 ? "" : "s", g.sum.pass, g.sum.fail,
	    g.sum.error, g.sum.by_sev[MG_SEV_CRIT], g.sum.by_sev[MG_SEV_HIGH],
	    g.sum.by_sev[MG_SEV_MED], g.sum.by_sev[MG_SEV_LOW],
	    truncated ? " (lists truncated)" : "");
	out = result_text(st, text, 0, "scan");
done:
	mg_gate_free(&g);
	mg_run_free(&run);
	paths_free(&ps);
	serve_pol_put(s, pol);
	return out;
}

/* ---- bom ------------------------------------------------------------------ */

static int
is_bad(const struct mg_artifact *a)
{
	return !a->complete || mg_artifact_max_sev(a) >= MG_SEV_HIGH;
}

/* What `modelgate bom --format json` would print (malloc'd), or NULL. */
static char *
bom_text(struct mg_run *run, const struct mg_bom_info *info)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (f == NULL)
		return NULL;
	r = mg_report_json(f, run->arts, run->n, info);
	if (fclose(f) != 0 || r != MG_OK) {
		free(buf);
		return NULL;
	}
	return buf;
}

static char *
tool_bom(struct serve *s, struct mg_scan_ctx *sc, const cJSON *args,
    const atomic_int *cancel)
{
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(args, "hash");
	struct walkctx wc = { NULL, cancel };
	struct mg_bom_info info;
	struct mg_run_opts ro;
	struct mg_run run;
	char stamp[64], *real, *why = NULL, *out = NULL, *text = NULL;
	struct mg_jsonw w;
	size_t i, bad = 0;
	int r, code, truncated;

	memset(&run, 0, sizeof(run));
	real = resolve(s, cJSON_GetObjectItemCaseSensitive(args,
	    "path")->valuestring, &why);
	if (real == NULL)
		return why;
	memset(&ro, 0, sizeof(ro));
	ro.scan.hash = !cJSON_IsFalse(h);
	ro.scan.sidecars = 1;
	ro.jobs = 1;
	ro.want = want;
	ro.want_arg = &wc;
	memset(&info, 0, sizeof(info));
	info.hf_app_port = -1;
	if (cli_timestamp(stamp, sizeof(stamp)) != 0) {
		out = serve_tool_error("bom: SOURCE_DATE_EPOCH must be a "
		    "non-negative integer");
		goto done;
	}
	info.generated_at = stamp;
	info.tool_name = MG_NAME;
	info.tool_version = MG_VERSION;
	if ((r = mg_run_scan_with(&run, &real, 1, &ro, sc)) != MG_OK) {
		out = serve_tool_error("bom: %s", mg_strerror(r));
		goto done;
	}
	info.single = run.single_file;
	if (atomic_load(cancel))
		goto done;
	for (i = 0; i < run.n; i++)
		if (is_bad(run.arts[i]))
			bad++;
	code = bad > 0 || run.nerrs > 0 ? MG_EXIT_INCOMPLETE : run.n == 0 ?
	    MG_EXIT_EMPTY : MG_EXIT_OK;
	truncated = run.n > SERVE_MAX_LISTED;
	/* The text block is the CLI's document, byte for byte. */
	if (!truncated)
		text = bom_text(&run, &info);
	else {
		text = malloc(128);
		if (text != NULL)
			snprintf(text, 128, "modelgate bom: %zu artifacts; the "
			    "first %u are listed", run.n, SERVE_MAX_LISTED);
	}
	if (text == NULL)
		goto done;
	/* Its text alone is over the cap: write nothing more. */
	if (strlen(text) > SERVE_MAX_REPLY) {
		out = serve_tool_over_cap("bom");
		goto done;
	}
	/*
	 * Written as it goes, as cJSON_PrintUnformatted would print the
	 * result's tree: no node per member, no second pass.
	 */
	result_begin(&w, text);
	mg_jsonw_key(&w, "structuredContent");
	mg_jsonw_obj_begin(&w);
	mg_jsonw_key(&w, "documents");
	mg_jsonw_arr_begin(&w);
	for (i = 0; i < run.n && i < SERVE_MAX_LISTED; i++) {
		mg_jsonw_elem(&w);
		mg_bom_json_write(&w, run.arts[i], &info);
	}
	mg_jsonw_arr_end(&w);
	mg_jsonw_key(&w, "exit_code");
	mg_jsonw_i64(&w, code);
	mg_jsonw_key(&w, "truncated");
	mg_jsonw_bool(&w, truncated);
	mg_jsonw_obj_end(&w);
	out = result_end(&w, "bom");
done:
	free(text);
	mg_run_free(&run);
	free(real);
	return out;
}

/* ---- verify --------------------------------------------------------------- */

static int
has_rule(const struct mg_artifact *a, enum mg_rule_id rule,
    const char **msg)
{
	size_t i;

	for (i = 0; i < a->nfindings; i++)
		if (a->findings[i].rule == rule) {
			*msg = a->findings[i].message;
			return 1;
		}
	return 0;
}

/* The status of one artifact after mg_lock_verify, and why. */
static const char *
pin_status(const struct mg_artifact *a, const char **msg)
{
	*msg = NULL;
	if (a->format == &mg_fmt_missing)
		return has_rule(a, MG_R_HASH_MISSING, msg), "missing";
	if (has_rule(a, MG_R_HASH_MISMATCH, msg))
		return "changed";
	if (has_rule(a, MG_R_HASH_EXTRA, msg))
		return "unlisted";
	if (has_rule(a, MG_R_IO_READ, msg) || a->sha256[0] == '\0')
		return "unreadable";
	if (has_rule(a, MG_R_HASH_UNVERIFIED, msg))
		return "unverified";
	return "ok";
}

static int
put_item(cJSON *arr, const char *msg)
{
	cJSON *m = mg_json_strz(msg);

	if (m == NULL)
		return -1;
	cJSON_AddItemToArray(arr, m);
	return 0;
}

static int
add_file(cJSON *files, const char *path, const char *status,
    const char *sha, const char *msg)
{
	cJSON *x = cJSON_CreateObject();
	int bad = 0;

	if (x == NULL)
		return -1;
	cJSON_AddItemToArray(files, x);
	bad |= put(x, "path", mg_json_bytesz(path));
	bad |= put(x, "status", cJSON_CreateString(status));
	bad |= put(x, "sha256", cJSON_CreateString(sha));
	if (msg != NULL)
		bad |= put(x, "message", mg_json_strz(msg));
	return bad;
}

static char *
tool_verify(struct serve *s, struct mg_scan_ctx *sc, const cJSON *args,
    const atomic_int *cancel)
{
	const cJSON *man = cJSON_GetObjectItemCaseSensitive(args, "manifest");
	struct serve_pol *pol = serve_pol_get(s);
	struct walkctx wc = { NULL, cancel };
	struct mg_artifact **missing = NULL;
	struct mg_lock mlock;
	const struct mg_lock *pins;
	struct mg_run_opts ro;
	struct mg_run run;
	struct paths ps;
	char err[1024], text[512], *why = NULL, *out = NULL, *mreal = NULL;
	cJSON *o = NULL, *files, *probs;
	size_t i, k, nmissing = 0, listed = 0, nok = 0, nbad = 0, nunread = 0;
	int r, bad = 0, truncated = 0, have_mlock = 0, code;

	memset(&run, 0, sizeof(run));
	ps.n = 0;
	if (man != NULL) {
		if ((mreal = resolve(s, man->valuestring, &why)) == NULL)
			goto done;
		if (mg_manifest_read(&mlock, mreal, err, sizeof(err)) != MG_OK) {
			why = serve_tool_error("verify: %s", err);
			goto done;
		}
		have_mlock = 1;
		mlock.expect_match = 1;
		pins = &mlock;
	} else if (s->have_lock)
		pins = &s->lock;
	else if (pol->have_lock)
		pins = &pol->lock;
	else {
		why = serve_tool_error("verify: no pins: start the server with "
		    "--lock FILE (or a policy naming a lock), or pass manifest");
		goto done;
	}
	if (paths_resolve(s, cJSON_GetObjectItemCaseSensitive(args, "paths"),
	    &ps, &why) != 0)
		goto done;
	memset(&ro, 0, sizeof(ro));
	ro.scan.hash = 1;
	ro.jobs = 1;
	ro.want = want;
	ro.want_arg = &wc;
	if ((r = mg_run_scan_with(&run, ps.v, ps.n, &ro, sc)) != MG_OK) {
		why = serve_tool_error("verify: %s", mg_strerror(r));
		goto done;
	}
	if (atomic_load(cancel))
		goto done;
	if (mg_lock_verify(pins, run.arts, run.n, man == NULL, ps.v, ps.n,
	    &missing, &nmissing) != MG_OK)
		goto done;
	if ((o = cJSON_CreateObject()) == NULL)
		goto done;
	files = cJSON_CreateArray();
	probs = cJSON_CreateArray();
	if (files == NULL || probs == NULL) {
		cJSON_Delete(files);
		cJSON_Delete(probs);
		goto done;
	}
	/* Artifacts and missing pins, each list sorted by path. */
	for (k = 0; k < 2 && !bad; k++) {
		struct mg_artifact *const *v = k == 0 ? run.arts : missing;
		size_t n = k == 0 ? run.n : nmissing;

		for (i = 0; i < n && !bad; i++) {
			const char *msg, *stt;

			if (v[i]->format == &mg_fmt_manifest) {
				size_t f;

				for (f = 0; f < v[i]->nfindings && !bad; f++)
					bad |= put_item(probs,
					    v[i]->findings[f].message);
				nbad++;
				continue;
			}
			stt = pin_status(v[i], &msg);
			if (strcmp(stt, "ok") == 0)
				nok++;
			else if (strcmp(stt, "unreadable") == 0)
				nunread++;
			else
				nbad++;
			if (listed++ >= SERVE_MAX_LISTED) {
				truncated = 1;
				continue;
			}
			bad |= add_file(files, v[i]->path, stt, v[i]->sha256,
			    msg);
		}
	}
	for (i = 0; i < run.nerrs && !bad; i++) {
		nunread++;
		if (listed++ >= SERVE_MAX_LISTED) {
			truncated = 1;
			continue;
		}
		bad |= add_file(files, run.errs[i].path, "unreadable", "",
		    run.errs[i].message);
	}
	code = nbad > 0 ? MG_EXIT_FAIL : nunread > 0 ? MG_EXIT_INCOMPLETE :
	    nok == 0 ? MG_EXIT_EMPTY : MG_EXIT_OK;
	bad |= put(o, "verified", cJSON_CreateBool(code == MG_EXIT_OK));
	bad |= put(o, "exit_code", cJSON_CreateNumber(code));
	bad |= put(o, "pins", mg_json_bytesz(pins->source != NULL ?
	    pins->source : ""));
	cJSON_AddItemToObject(o, "files", files);
	cJSON_AddItemToObject(o, "problems", probs);
	bad |= put(o, "truncated", cJSON_CreateBool(truncated));
	if (bad)
		goto done;
	snprintf(text, sizeof(text), "modelgate verify: %s (exit %d): %zu "
	    "verified, %zu changed, missing, unlisted or unverified, %zu "
	    "unreadable%s", code == MG_EXIT_OK ? "verified" : "not verified",
	    code, nok, nbad, nunread, truncated ? " (list truncated)" : "");
	out = result_text(o, text, 0, "verify");
	o = NULL;
done:
	cJSON_Delete(o);
	for (i = 0; i < nmissing; i++) {
		mg_artifact_free(missing[i]);
		free(missing[i]);
	}
	free(missing);
	mg_run_free(&run);
	paths_free(&ps);
	if (have_mlock)
		mg_lock_free(&mlock);
	free(mreal);
	serve_pol_put(s, pol);
	return why != NULL ? why : out;
}
