/*
 * gate.c - verdicts from scanned artifacts and a policy.
 *
 * Invariants: the gate never touches artifact bytes; it only reads the
 * results the workers produced (after the pool has finished), the policy
 * (immutable) and the lock, manifest and baseline files named in the
 * options.  Everything it adds (policy findings, synthetic artifacts for
 * missing files, the policy file's own findings) is added in sorted order,
 * so reports are identical for any number of workers.
 *
 * Fail closed: an artifact that was not read completely, or whose pinned
 * digest could not be checked, is an error whatever the policy says about
 * rule severities; only a violation outranks it in the exit code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "fmt.h"
#include "gate.h"
#include "glob.h"
#include "gguf_types.h"
#include "hash.h"
#include "license.h"
#include "limits.h"
#include "lockfile.h"
#include "path.h"
#include "pickle.h"
#include "policy.h"
#include "slurp.h"
#include "sort.h"
#include "strset.h"

/* Per-suppression bookkeeping; the policy itself stays immutable. */
struct supp_use {
	size_t	matched;
	int	expired;
};

struct ctx {
	struct mg_gate		*g;
	const struct mg_policy	*pol;
	const struct mg_gate_opts *o;
	struct mg_artifact	**extra;	/* synthetic artifacts, owned */
	size_t			 nextra, extra_cap;
	struct supp_use		*use;
	struct mg_strset	*baseline;
	char			*cwd;		/* for path keys; may be NULL */
	struct mg_hash		*fp;		/* fingerprint digests, reused */
	char			*err;
	size_t			 errlen;
};

const char *
mg_verdict_name(enum mg_verdict v)
{
	switch (v) {
	case MG_V_PASS:		return "pass";
	case MG_V_FAIL:		return "fail";
	case MG_V_ERROR:	return "error";
	}
	return "error";
}

const char *
mg_run_verdict_name(enum mg_run_verdict v)
{
	switch (v) {
	case MG_RV_PASS:	return "pass";
	case MG_RV_EMPTY:	return "empty";
	case MG_RV_INCOMPLETE:	return "incomplete";
	case MG_RV_FAIL:	return "fail";
	}
	return "incomplete";
}

const char *
mg_fstate_name(enum mg_fstate s)
{
	switch (s) {
	case MG_FS_ACTIVE:	return "active";
	case MG_FS_SUPPRESSED:	return "suppressed";
	case MG_FS_BASELINED:	return "baselined";
	}
	return "active";
}

static int
add_extra(struct ctx *c, struct mg_artifact *a)
{
	if (c->nextra == c->extra_cap) {
		size_t ncap = c->extra_cap ? c->extra_cap * 2 : 8;
		struct mg_artifact **n = realloc(c->extra, ncap * sizeof(*n));

		if (n == NULL)
			return MG_ERR_NOMEM;
		c->extra = n;
		c->extra_cap = ncap;
	}
	c->extra[c->nextra++] = a;
	return MG_OK;
}

/*
 * A synthetic artifact for a path that is not a scanned file.  Its findings
 * are the gate's own: no parser cap applies.
 */
static struct mg_artifact *
synth(struct ctx *c, const char *path, const struct mg_format *format)
{
	struct mg_artifact *a = malloc(sizeof(*a));
	const char *slash = strrchr(path, '/');

	if (a == NULL)
		return NULL;
	mg_artifact_init(a);
	a->format = format;
	a->complete = 1;
	a->uncapped = 1;
	a->path = strdup(path);
	a->abspath = strdup(path);
	a->filename = strdup(slash != NULL ? slash + 1 : path);
	if (a->path == NULL || a->abspath == NULL || a->filename == NULL ||
	    add_extra(c, a) != MG_OK) {
		mg_artifact_free(a);
		free(a);
		return NULL;
	}
	return a;
}

/* ---- digest pins --------------------------------------------------------- */

static int
verify(struct ctx *c, struct mg_run *run, const struct mg_lock *l,
    int all_listed)
{
	struct mg_artifact **missing = NULL;
	size_t nmissing = 0, i;
	int r;

	r = mg_lock_verify(l, run->arts, run->n, all_listed, c->o->roots,
	    c->o->nroots, &missing, &nmissing);
	for (i = 0; i < nmissing; i++) {
		if (r == MG_OK && add_extra(c, missing[i]) == MG_OK)
			continue;
		mg_artifact_free(missing[i]);
		free(missing[i]);
		r = MG_ERR_NOMEM;
	}
	free(missing);
	return r;
}

static int
check_pins(struct ctx *c, struct mg_run *run)
{
	const struct mg_policy *p = c->pol;
	struct mg_lock l;
	const char *lockfile;
	size_t i;
	int r = MG_OK;

	if (p->npins > 0) {
		const char **paths = calloc(p->npins, sizeof(*paths));
		const char **hexes = calloc(p->npins, sizeof(*hexes));

		r = MG_ERR_NOMEM;
		if (paths != NULL && hexes != NULL) {
			for (i = 0; i < p->npins; i++) {
				paths[i] = p->pins[i].path;
				hexes[i] = p->pins[i].sha256;
			}
			r = mg_lock_from_pins(&l, p->source, paths, hexes, NULL,
			    p->npins);
		}
		free(paths);
		free(hexes);
		if (r != MG_OK)
			return r;
		/* Pins from any source are held to the same account. */
		l.expect_match = 1;
		r = verify(c, run, &l, 0);
		mg_lock_free(&l);
		if (r != MG_OK)
			return r;
	}
	lockfile = c->o->lock != NULL ? c->o->lock : p->lock;
	if (c->o->lock_pins != NULL) {
		/* Read once by the caller (a server): the file is not reread. */
		if ((r = verify(c, run, c->o->lock_pins, 1)) != MG_OK)
			return r;
	} else if (lockfile != NULL) {
		if ((r = mg_lock_read(&l, lockfile, c->err, c->errlen)) != MG_OK)
			return r;
		r = verify(c, run, &l, 1);
		mg_lock_free(&l);
		if (r != MG_OK)
			return r;
	}
	if (c->o->manifest != NULL) {
		if ((r = mg_manifest_read(&l, c->o->manifest, c->err,
		    c->errlen)) != MG_OK)
			return r;
		r = verify(c, run, &l, 0);
		mg_lock_free(&l);
	}
	return r;
}

/* ---- policy checks ------------------------------------------------------- */

static int
in_list(const struct mg_strv *v, const char *s)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i], s) == 0)
			return 1;
	return 0;
}

/*
 * A shard after the first of a split GGUF (llama.cpp's gguf-split) holds
 * tensors only; the model's metadata lives in the first shard, which is
 * checked.  What such a shard lacks is not unknown; what it carries is
 * still checked.
 */
static int
continuation_shard(const struct mg_artifact *a)
{
	return (a->have & MG_HAVE_SPLIT) != 0 && a->split_no > 0 &&
	    a->split_count > a->split_no;
}

static void
check_value(struct mg_artifact *a, int have, const struct mg_strv *allow,
    const char *what, const char *v)
{
	if (!have || allow->n == 0)	/* an empty allowlist restricts nothing */
		return;
	if (v == NULL && continuation_shard(a))
		return;
	if (v == NULL)
		mg_artifact_add(a, MG_R_POLICY_VALUE, MG_FINDING_NO_OFFSET, what,
		    "%s is unknown; the policy allows only listed values", what);
	else if (!in_list(allow, v))
		mg_artifact_addx(a, MG_R_POLICY_VALUE, MG_FINDING_NO_OFFSET, 0,
		    what, v, "%s '%.200s' is not in the policy's allowlist",
		    what, v);
}

/*
 * allow.dtypes: a label is the file's own claim, so the type that really
 * holds most of the parameters is checked as well (a GGUF labelled F16
 * whose tensors are F32).  A derived "mixed" is no claim.
 */
static void
check_dtype(struct mg_artifact *a, const struct mg_scope *s)
{
	const struct mg_ttype *m;

	if (!s->have_dtype || s->allow_dtype.n == 0)
		return;
	if (a->ttype_major < 0 || (a->dtype != NULL &&
	    strcmp(a->dtype, "mixed") != 0))
		check_value(a, 1, &s->allow_dtype, "dtype", a->dtype);
	if (a->ttype_major < 0)
		return;
	m = &a->ttypes[a->ttype_major];
	if (!in_list(&s->allow_dtype, m->name))
		mg_artifact_addx(a, MG_R_POLICY_VALUE, MG_FINDING_NO_OFFSET, 0,
		    "dtype", m->name, "most parameters (%llu in %llu tensors) "
		    "are stored as %s, which is not in the policy's dtype "
		    "allowlist%s%s%s", (unsigned long long)m->params,
		    (unsigned long long)m->count, m->name,
		    a->dtype != NULL ? " (the file says " : "",
		    a->dtype != NULL ? a->dtype : "",
		    a->dtype != NULL ? ")" : "");
}

/* Bits per weight of the bulk type of an allowed quantization name. */
static unsigned
quant_floor(const char *name)
{
	int t = mg_gguf_label_base(name);

	if (t < 0)
		t = mg_gguf_ttype_by_name(name);
	return t < 0 ? 0 : mg_gguf_ttype_bpw_milli((uint32_t)t, NULL);
}

/*
 * allow.quantizations: the label (general.file_type) must be allowed,
 * and every block-quantized type really stored must be one an allowed
 * quantization could have produced: named in the list, or at least as
 * precise as the bulk type of an allowed label (llama.cpp's quantizers
 * only ever store sensitive tensors more precisely).  A file labelled
 * Q8_0 whose tensors are IQ1_S fails whatever its label says.
 */
static void
check_quant(struct mg_artifact *a, const struct mg_scope *s)
{
	unsigned floor_bpw = 0, f;
	size_t i;

	if (!s->have_quant || s->allow_quant.n == 0)
		return;
	if (a->quantization != NULL || a->nttypes == 0)
		check_value(a, 1, &s->allow_quant, "quantization",
		    a->quantization);
	for (i = 0; i < s->allow_quant.n; i++)
		if ((f = quant_floor(s->allow_quant.v[i])) > 0 &&
		    (floor_bpw == 0 || f < floor_bpw))
			floor_bpw = f;
	for (i = 0; i < a->nttypes; i++) {
		const struct mg_ttype *t = &a->ttypes[i];

		if (!t->quantized || in_list(&s->allow_quant, t->name))
			continue;
		if (floor_bpw > 0 && t->bpw_milli >= floor_bpw)
			continue;
		mg_artifact_addx(a, MG_R_POLICY_VALUE, MG_FINDING_NO_OFFSET, 0,
		    "quantization", t->name, "%llu tensors (%llu parameters) "
		    "are stored as %s (%u.%03u bits per weight), which no "
		    "quantization in the policy's allowlist produces%s%s",
		    (unsigned long long)t->count,
		    (unsigned long long)t->params, t->name, t->bpw_milli / 1000,
		    t->bpw_milli % 1000, a->quantization != NULL ?
		    "; the file says " : "", a->quantization != NULL ?
		    a->quantization : "");
	}
}

/*
 * A bound: an unknown value fails a minimum (the policy asks for at least
 * something it cannot see) but not a maximum.
 */
static void
check_bound(struct mg_artifact *a, const struct mg_bound *b, const char *what,
    int have, uint64_t v)
{
	if (b->have_min && !have)
		mg_artifact_add(a, MG_R_POLICY_LIMIT, MG_FINDING_NO_OFFSET, what,
		    "%s is unknown; the policy requires at least %llu", what,
		    (unsigned long long)b->min);
	if (!have)
		return;
	if (b->have_min && v < b->min)
		mg_artifact_add(a, MG_R_POLICY_LIMIT, MG_FINDING_NO_OFFSET, what,
		    "%s %llu is below the policy minimum %llu", what,
		    (unsigned long long)v, (unsigned long long)b->min);
	if (b->have_max && v > b->max)
		mg_artifact_add(a, MG_R_POLICY_LIMIT, MG_FINDING_NO_OFFSET, what,
		    "%s %llu exceeds the policy maximum %llu", what,
		    (unsigned long long)v, (unsigned long long)b->max);
}

/* LICENSE-UNKNOWN: high when the policy lists licences, else low. */
static void
license_unknown(struct mg_artifact *a, int listed, const char *evidence,
    const char *msg)
{
	if (mg_artifact_addx(a, MG_R_LICENSE_UNKNOWN, MG_FINDING_NO_OFFSET, 0,
	    "license", evidence, "%s", msg) == MG_OK && listed &&
	    a->nfindings > 0 &&
	    a->findings[a->nfindings - 1].rule == MG_R_LICENSE_UNKNOWN)
		a->findings[a->nfindings - 1].severity = MG_SEV_HIGH;
}

/*
 * Licences compare as licences, not strings (license.h): every licence in
 * the expression must be allowed (when an allowlist exists) and none may
 * be denied, whatever the AND/OR structure.  A licence nobody can identify
 * is LICENSE-UNKNOWN unless the policy names it.
 */
static void
check_license(struct mg_artifact *a, const struct mg_scope *s)
{
	const struct mg_license_set *allow = NULL, *deny = NULL;
	struct mg_lic_expr e;
	char msg[512];
	size_t i;
	int state, listed, unknown;

	if (s->have_lic_allow && s->lic_allow.n > 0)
		allow = s->lic_allow_set;
	if (s->have_lic_deny && s->lic_deny.n > 0)
		deny = s->lic_deny_set;
	listed = allow != NULL || deny != NULL;
	/*
	 * Fail closed: a sidecar that may hold the licence the model lacks
	 * but could not be read (or says two things) is no absent licence.
	 */
	if (a->license == NULL && continuation_shard(a))
		return;		/* the first shard declares it */
	unknown = a->lic_indeterminate[0] != '\0' &&
	    (s->lic_required == 1 || listed);
	if (unknown)
		mg_artifact_addx(a, MG_R_POLICY_LICENSE, MG_FINDING_NO_OFFSET, 0,
		    "license", a->lic_indeterminate, "the licence could not be "
		    "determined because %s, so the policy's licence rules "
		    "cannot be checked", a->lic_indeterminate);
	state = mg_license_parse(&e, a->license);
	if (state == MG_LIC_VOID) {
		if (!unknown && (s->lic_required == 1 || allow != NULL)) {
			if (a->license == NULL)
				mg_artifact_add(a, MG_R_POLICY_LICENSE,
				    MG_FINDING_NO_OFFSET, "license",
				    "no licence declared; the policy requires "
				    "one");
			else
				mg_artifact_add(a, MG_R_POLICY_LICENSE,
				    MG_FINDING_NO_OFFSET, "license",
				    "licence '%.200s' declares no licence; the "
				    "policy requires one", a->license);
		}
		return;
	}
	if (state != MG_LIC_DECLARED) {
		/* Unreadable licence text cannot be shown to pass any list. */
		if (s->lic_required == 1 || listed)
			mg_artifact_add(a, MG_R_POLICY_LICENSE,
			    MG_FINDING_NO_OFFSET, "license",
			    "licence '%.200s' is not a valid SPDX expression, so "
			    "the policy's licence rules cannot be checked",
			    a->license);
		if (state == MG_LIC_TOOLONG)
			snprintf(msg, sizeof(msg), "licence text is longer than "
			    "%u bytes", (unsigned)MG_LIC_MAX_IN);
		else
			snprintf(msg, sizeof(msg), "licence '%.200s' is not an "
			    "SPDX expression or a known licence", a->license);
		license_unknown(a, listed, a->license, msg);
		return;
	}
	for (i = 0; i < e.n; i++) {
		const struct mg_lic_term *t = &e.t[i];

		if (mg_license_denied(deny, t))
			mg_artifact_add(a, MG_R_POLICY_LICENSE,
			    MG_FINDING_NO_OFFSET, "license",
			    "licence %s%s%s is denied by the policy", t->name,
			    t->exc[0] != '\0' ? " WITH " : "", t->exc);
		else if (allow != NULL && !mg_license_allowed(allow, t))
			mg_artifact_add(a, MG_R_POLICY_LICENSE,
			    MG_FINDING_NO_OFFSET, "license",
			    "licence %s%s%s is not in the policy's allowlist",
			    t->name, t->exc[0] != '\0' ? " WITH " : "", t->exc);
		if (t->kind == MG_LIC_UNKNOWN && !mg_license_listed(allow, t) &&
		    !mg_license_listed(deny, t)) {
			snprintf(msg, sizeof(msg), "licence '%s' is neither an "
			    "SPDX id nor a known Hugging Face licence", t->name);
			license_unknown(a, listed, t->name, msg);
		}
	}
}

/*
 * Policies name formats as `modelgate formats` lists them: the one place
 * where an artifact's format meets a name.
 */
static int
fmt_named(const char *name, const struct mg_format *f)
{
	return strcmp(name, f->name) == 0;
}

static int
fmt_in_list(const struct mg_strv *v, const struct mg_format *f)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (fmt_named(v->v[i], f))
			return 1;
	return 0;
}

/* 1 when a format list names an archive format. */
static int
lists_archive(const struct mg_strv *l)
{
	size_t i;

	for (i = 0; i < mg_fmt_count(); i++)
		if ((mg_fmt_at(i)->flags & MG_FMT_ARCHIVE) &&
		    fmt_in_list(l, mg_fmt_at(i)))
			return 1;
	return 0;
}

static void
check_format(struct mg_artifact *a, const struct mg_scope *s,
    const struct mg_format *f)
{
	/*
	 * formats.allow lists the model formats that may ship; an archive
	 * carries them, and its members are held to the list one by one.
	 * An allow list naming an archive format holds archives to it too.
	 */
	/* Repository files are no model format: no list holds them. */
	if (f->flags & MG_FMT_REPO)
		return;
	if (s->have_formats_allow && s->formats_allow.n > 0 &&
	    !fmt_in_list(&s->formats_allow, f) &&
	    (!(f->flags & MG_FMT_ARCHIVE) || lists_archive(&s->formats_allow)))
		mg_artifact_addx(a, MG_R_POLICY_FORMAT, MG_FINDING_NO_OFFSET, 0,
		    NULL, f->name, "format %s is not in the policy's "
		    "formats.allow", f->name);
	if (s->have_formats_deny && fmt_in_list(&s->formats_deny, f))
		mg_artifact_addx(a, MG_R_POLICY_FORMAT, MG_FINDING_NO_OFFSET, 0,
		    NULL, f->name, "format %s is denied by the policy", f->name);
}

/* Chat templates held to templates.sha256 when the policy pins any. */
static void
check_templates(struct mg_artifact *a, const struct mg_scope *s)
{
	size_t i;

	if (!s->have_tmpl_pins)
		return;
	for (i = 0; i < a->ntemplates; i++)
		if (!in_list(&s->tmpl_pins, a->templates[i].sha256))
			mg_artifact_addx(a, MG_R_TEMPLATE_PIN,
			    MG_FINDING_NO_OFFSET, 0, a->templates[i].name,
			    a->templates[i].sha256, "chat template %.200s "
			    "(sha256 %s) is not pinned in templates.sha256",
			    a->templates[i].name, a->templates[i].sha256);
}

static int
any_rule(enum mg_rule_id r)
{
	(void)r;
	return 1;
}

/*
 * What a REMOTE-CODE finding of an artifact that names modules is about:
 * the modules and their digests (the artifact's own digest covers the
 * names only), so a baseline never forgives other code.  Written into
 * ev; the names on failure.
 */
static const char *
code_evidence(const struct mg_artifact *a, const char *names, char ev[80])
{
	struct mg_hash *h = mg_hash_new();
	char hex[65];
	size_t i;
	int ok = h != NULL;

	for (i = 0; ok && i < a->ncoderefs; i++) {
		const struct mg_digest *d = &a->coderefs[i];

		ok = mg_hash_update(h, d->name, strlen(d->name) + 1) ==
		    MG_OK && mg_hash_update(h, d->sha256,
		    strlen(d->sha256) + 1) == MG_OK;
	}
	ok = ok && mg_hash_final_hex(h, hex) == MG_OK;
	mg_hash_free(h);
	if (!ok)
		return names;
	snprintf(ev, 80, "code %s", hex);
	return ev;
}

/*
 * Remote code passes when its digest is pinned: a code file by its own,
 * an auto_map when every module it names is a local file whose digest is.
 */
static void
check_remote_code(struct mg_artifact *a, const struct mg_scope *s)
{
	char names[512], ev[80];
	size_t i, used = 0, from;
	int pinned, unread = 0;

	if (!a->remote_code)
		return;
	if (a->format == &mg_fmt_python) {
		if (!in_list(&s->code_pins, a->sha256))
			mg_artifact_addx(a, MG_R_REMOTE_CODE,
			    MG_FINDING_NO_OFFSET, 0, NULL, a->sha256, "%s is "
			    "Python beside the weights (sha256 %s): loading "
			    "with trust_remote_code runs it; it is not pinned "
			    "in remote_code.sha256", a->filename, a->sha256);
		return;
	}
	names[0] = '\0';
	pinned = a->ncoderefs > 0;
	for (i = 0; i < a->ncoderefs; i++) {
		const struct mg_digest *d = &a->coderefs[i];
		int ok = d->sha256[0] != '\0' && in_list(&s->code_pins,
		    d->sha256);
		int n;

		if (ok)
			continue;
		pinned = 0;
		n = snprintf(names + used, sizeof(names) - used, "%s%s%s",
		    used > 0 ? ", " : "", d->name, d->sha256[0] == '\0' ?
		    strstr(d->name, "--") != NULL ? " (another repository)" :
		    " (absent)" : " (not pinned)");
		if (n > 0 && (size_t)n < sizeof(names) - used)
			used += (size_t)n;
	}
	if (pinned)
		return;
	from = a->nfindings;
	mg_artifact_addx(a, MG_R_REMOTE_CODE, MG_FINDING_NO_OFFSET, 0,
	    "auto_map", code_evidence(a, names, ev), "%s: auto_map makes "
	    "transformers run the repository's code with trust_remote_code: "
	    "%s", a->filename, names[0] != '\0' ? names : "no module named");
	/*
	 * Code that was not read (absent, a link, too large, in another
	 * repository) or not listed (past the cap): no digest covers it,
	 * so no fingerprint may forgive it.
	 */
	for (i = 0; i < a->ncoderefs && !unread; i++)
		unread = a->coderefs[i].sha256[0] == '\0';
	if ((unread || a->coderefs_dropped) &&
	    mg_artifact_bind(a, from, "-", any_rule) != MG_OK)
		a->complete = 0;
}

static void
check_policy(struct mg_artifact *a, const struct mg_scope *s)
{
	size_t i, k;

	check_format(a, s, a->format);
	/* The format its name makes loaders read it as counts too. */
	if (a->claimed_as != NULL && !mg_fmt_same_name(a->claimed_as,
	    a->format))
		check_format(a, s, a->claimed_as);
	for (i = 0; i < s->nrequire; i++) {
		const struct mg_require *rq = &s->require[i];

		if (!fmt_named(rq->format, a->format))
			continue;
		for (k = 0; k < rq->keys.n && !continuation_shard(a); k++)
			if (a->meta_keys == NULL ||
			    !mg_strset_has(a->meta_keys, rq->keys.v[k],
			    strlen(rq->keys.v[k])))
				mg_artifact_add(a, MG_R_POLICY_KEY,
				    MG_FINDING_NO_OFFSET, rq->keys.v[k],
				    "required metadata key '%.200s' is missing",
				    rq->keys.v[k]);
	}
	check_value(a, s->have_arch, &s->allow_arch, "architecture",
	    a->architecture);
	check_quant(a, s);
	check_dtype(a, s);
	check_bound(a, &s->file_size, "file_size", 1, a->size);
	check_bound(a, &s->parameter_count, "parameter_count",
	    (a->have & MG_HAVE_PARAMS) != 0, a->parameter_count);
	check_bound(a, &s->context_length, "context_length",
	    (a->have & MG_HAVE_CTX) != 0, a->context_length);
	check_bound(a, &s->tensor_count, "tensor_count",
	    (a->have & MG_HAVE_TENSORS) != 0, a->tensor_count);
	check_license(a, s);
	/* The policy's pickle section: its own allow and deny lists. */
	(void)mg_pickle_policy_apply(&s->pickle, a);
	check_templates(a, s);
	check_remote_code(a, s);
}

void
mg_gate_check_artifact(const struct mg_policy *pol, struct mg_artifact *a)
{
	struct mg_scope s;
	char *gk;

	if (a->policy_checked)
		return;
	a->policy_checked = 1;
	a->uncapped = 1;	/* policy findings decide verdicts */
	gk = mg_path_glob_key(a->path, a->disk_len > 0 ? a->disk_len :
	    strlen(a->path));
	mg_policy_effective(pol, gk != NULL ? gk : a->path, &s);
	if (gk != a->path)
		free(gk);
	check_policy(a, &s);
}

/* ---- findings: settings, fingerprints, suppressions, baseline ------------ */

/*
 * A finding's fingerprint: SHA-256 over the rule, the artifact's path key
 * (path.h: the same for any spelling of the scan root), the metadata key,
 * the byte extent and the evidence the finding is about, the artifact's
 * own digest, and the occurrence number among findings that agree on all
 * of these.  Different content never shares a fingerprint with the
 * findings a baseline or suppression recorded, whatever the message says.
 */
static void
fingerprint(struct mg_hash *h, const char *rule, const char *pathkey,
    const struct mg_finding *f, const char *digest, unsigned occurrence,
    char out[65])
{
	char num[64];

	out[0] = '\0';
	if (h == NULL || mg_hash_reset(h) != MG_OK)
		return;
#define PART(s) do { \
	const char *p_ = (s); \
	if (mg_hash_update(h, p_, strlen(p_) + 1) != MG_OK) \
		goto out; \
} while (0)
	PART(rule);
	PART(pathkey);
	PART(f->key != NULL ? f->key : "");
	if (f->offset != MG_FINDING_NO_OFFSET)
		snprintf(num, sizeof(num), "%llu+%llu",
		    (unsigned long long)f->offset,
		    (unsigned long long)f->length);
	else
		snprintf(num, sizeof(num), "-+%llu",
		    (unsigned long long)f->length);
	PART(num);
	PART(f->evidence != NULL ? f->evidence : "");
	PART(digest);
	snprintf(num, sizeof(num), "%u", occurrence);
	PART(num);
	/* Only bound findings have this part: no other fingerprint moves. */
	if (f->bind != NULL)
		PART(f->bind);
#undef PART
	if (mg_hash_final_hex(h, out) != MG_OK)
		out[0] = '\0';
	return;
out:
	out[0] = '\0';
}

/*
 * An expiry date is the first day (UTC) on which the suppression no
 * longer applies, the usual reading of "expires on".
 */
int
mg_gate_expired(const char *expires, const char *today)
{
	return expires[0] != '\0' && today != NULL &&
	    strcmp(expires, today) <= 0;
}

/*
 * fp is NULL when the fingerprint cannot tell this content from other
 * content (no digest): a suppression by fingerprint then matches nothing.
 */
static const struct mg_suppression *
suppressed_by(struct ctx *c, const char *rule, const char *path,
    const char *fp)
{
	size_t i;

	for (i = 0; i < c->pol->nsupps; i++) {
		const struct mg_suppression *s = &c->pol->supps[i];

		if (s->rule != NULL && strcmp(s->rule, rule) != 0)
			continue;
		if (s->path != NULL && !mg_glob_match(s->path, path))
			continue;
		if (s->fingerprint != NULL && (fp == NULL ||
		    strcmp(s->fingerprint, fp) != 0))
			continue;
		if (c->use[i].expired)
			continue;
		c->use[i].matched++;
		return s;
	}
	return NULL;
}

/* Order within an artifact: severity first, then rule, then position. */
static int
cmp_gf(const void *x, const void *y)
{
	const struct mg_gate_finding *a = x, *b = y;
	int r;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	r = strcmp(mg_rule_get(a->f->rule)->id, mg_rule_get(b->f->rule)->id);
	if (r != 0)
		return r;
	return a->f < b->f ? -1 : a->f > b->f;
}

static int
is_incomplete_rule(enum mg_rule_id r)
{
	return r == MG_R_IO_READ || r == MG_R_HASH_UNVERIFIED;
}

/* A finding's evidence as its occurrence is counted, and its index. */
struct occ {
	char	*key;
	size_t	 i;
};

static int
cmp_occ(const void *x, const void *y)
{
	const struct occ *a = x, *b = y;
	int r = strcmp(a->key, b->key);

	if (r != 0)
		return r;
	return a->i < b->i ? -1 : a->i > b->i;
}

/*
 * The occurrence number of each finding of a that judge() keeps (rule on,
 * or work not done): how many findings before it agree on the rule, the
 * key and the extent and evidence (the first 300 bytes of key and
 * evidence).  One sort, not a probe of 0, 1, 2, ... per finding: m equal
 * findings cost O(m log m), not O(m^2).  k[i] of a finding not kept is 0.
 */
static int
occurrences(const struct mg_artifact *a, const struct mg_scope *s,
    unsigned *k)
{
	struct occ *o = calloc(a->nfindings + 1, sizeof(*o));
	size_t i, j, n = 0;
	int r = MG_ERR_NOMEM;

	if (o == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < a->nfindings; i++) {
		const struct mg_finding *f = &a->findings[i];
		char buf[1024];

		k[i] = 0;
		if (s->rules[f->rule].enabled == 0 &&
		    !is_incomplete_rule(f->rule))
			continue;
		snprintf(buf, sizeof(buf), "%s\n%.300s\n%llu+%llu\n%.300s",
		    mg_rule_get(f->rule)->id, f->key != NULL ? f->key : "",
		    (unsigned long long)f->offset,
		    (unsigned long long)f->length,
		    f->evidence != NULL ? f->evidence : "");
		if ((o[n].key = strdup(buf)) == NULL)
			goto out;
		o[n++].i = i;
	}
	if (n > 1)
		qsort(o, n, sizeof(*o), cmp_occ);
	for (i = 0; i < n; i = j)
		for (j = i; j < n && strcmp(o[j].key, o[i].key) == 0; j++)
			k[o[j].i] = (unsigned)(j - i);
	r = MG_OK;
out:
	for (i = 0; i < n; i++)
		free(o[i].key);
	free(o);
	return r;
}

static int
judge(struct ctx *c, struct mg_gate_artifact *ga)
{
	struct mg_artifact *a = ga->a;
	struct mg_scope s;
	unsigned *occ = NULL;
	char *pathkey = NULL;
	size_t i, n = 0;
	/*
	 * An unsupported format is decided by its finding, below; one that
	 * was also cut short (a truncated tar named .pt) is not.
	 */
	int fail_on, errored = !a->complete && (!a->unsupported ||
	    a->partial), failed = 0;
	/*
	 * Without the artifact's digest (--no-hash) a fingerprint cannot
	 * tell changed content from the content a baseline or suppression
	 * recorded: neither forgives anything then.  The gate's own
	 * artifacts (a missing pin, a walk error) have no content.
	 */
	int content_known = a->sha256[0] != '\0' ||
	    mg_gate_is_synthetic_format(a->format);
	int r = MG_ERR_NOMEM, waived, known;
	/* A '!' in a name on disk is no archive separator to a glob. */
	char *gk = mg_path_glob_key(a->path, a->disk_len > 0 ? a->disk_len :
	    strlen(a->path));

	if (gk == NULL)
		return MG_ERR_NOMEM;
	mg_policy_effective(c->pol, gk, &s);
	fail_on = c->o->fail_on >= 0 ? c->o->fail_on :
	    s.fail_on >= 0 ? s.fail_on : c->pol->fail_on;
	ga->fail_on = fail_on;
	if (a->nfindings > 0) {
		/* The fingerprints' path: only findings need it. */
		if ((pathkey = mg_path_key(c->cwd, a->path)) == NULL)
			goto out;
		ga->findings = calloc(a->nfindings, sizeof(*ga->findings));
		if (ga->findings == NULL || (occ = calloc(a->nfindings,
		    sizeof(*occ))) == NULL || occurrences(a, &s, occ) != MG_OK)
			goto out;
	}
	for (i = 0; i < a->nfindings; i++) {
		const struct mg_finding *f = &a->findings[i];
		const struct mg_rule_cfg *rc = &s.rules[f->rule];
		struct mg_gate_finding *gf = &ga->findings[n];
		const char *rid = mg_rule_get(f->rule)->id;
		const struct mg_suppression *sp;

		/*
		 * Work not done is never switched off, suppressed away or
		 * baselined into a pass: fail closed.
		 */
		if (rc->enabled == 0 && !is_incomplete_rule(f->rule))
			continue;
		gf->f = f;
		/*
		 * A severity the policy names wins; otherwise a finding
		 * raised above or below its rule's default by its context
		 * (LICENSE-UNKNOWN) keeps its own.
		 */
		gf->severity = rc->severity >= 0 && (rc->named ||
		    f->severity == mg_rule_get(f->rule)->severity) ?
		    (enum mg_sev)rc->severity : f->severity;
		/* Occurrence number among findings with the same evidence. */
		fingerprint(c->fp, rid, pathkey, f, a->sha256, occ[i],
		    gf->fingerprint);
		gf->state = MG_FS_ACTIVE;
		/* A finding about files of unknown content ("-"): likewise. */
		known = content_known && (f->bind == NULL ||
		    strcmp(f->bind, "-") != 0);
		if (f->rule != MG_R_POLICY_SUPPRESS_EXPIRED &&
		    f->rule != MG_R_POLICY_SUPPRESS_UNUSED &&
		    (sp = suppressed_by(c, rid, gk, known ?
		    gf->fingerprint : NULL)) != NULL) {
			gf->state = MG_FS_SUPPRESSED;
			gf->reason = sp->reason;
		} else if (c->baseline != NULL && known &&
		    mg_strset_has(c->baseline, gf->fingerprint, 64))
			gf->state = MG_FS_BASELINED;
		if (is_incomplete_rule(f->rule))
			errored = 1;
		/*
		 * A format that is not checked yet fails closed unless the
		 * policy accepts it unchecked for this path (the rule off, a
		 * suppression with its reason, or the format in
		 * formats.unchecked); a baseline does not.  It is never a
		 * violation.
		 */
		waived = f->rule == MG_R_FMT_UNSUPPORTED &&
		    s.have_formats_unchecked && fmt_in_list(&s.formats_unchecked,
		    a->unchecked_as != NULL ? a->unchecked_as : a->format);
		if (f->rule == MG_R_FMT_UNSUPPORTED && !waived &&
		    gf->state != MG_FS_SUPPRESSED)
			errored = 1;
		gf->counts = gf->state == MG_FS_ACTIVE &&
		    !is_incomplete_rule(f->rule) &&
		    f->rule != MG_R_FMT_UNSUPPORTED &&
		    (int)gf->severity >= fail_on;
		if (gf->counts)
			failed = 1;
		n++;
	}
	ga->nfindings = n;
	if (n > 1)
		qsort(ga->findings, n, sizeof(*ga->findings), cmp_gf);
	ga->verdict = failed ? MG_V_FAIL : errored ? MG_V_ERROR : MG_V_PASS;
	r = MG_OK;
out:
	free(occ);
	free(pathkey);
	if (gk != a->path)
		free(gk);
	return r;
}

/* ---- baseline ------------------------------------------------------------ */

/*
 * The fingerprints of a previous --json report.  The report may come from
 * a branch an attacker controls, so it is not handed to a tree parser
 * (one allocation per JSON value): its "fingerprint" members are picked
 * out in one bounded pass.  A quote inside a JSON string is always
 * escaped, so the key cannot be forged from message text.
 */
static int
load_baseline(struct ctx *c)
{
	static const char key[] = "\"fingerprint\"";
	struct mg_slurp s;
	char *buf = NULL, *p, *end;
	size_t n;
	int r = MG_ERR_USAGE;

	switch (mg_slurp(&s, c->o->baseline, -1, MG_MAX_BASELINE_BYTES,
	    MG_SLURP_REGULAR)) {
	case MG_OK:
		break;
	case MG_ERR_NOMEM:
		return MG_ERR_NOMEM;
	default:
		if (s.why == MG_SLURP_OPEN)
			snprintf(c->err, c->errlen, "%s: cannot open baseline",
			    c->o->baseline);
		else if (s.why == MG_SLURP_READ)
			snprintf(c->err, c->errlen, "%s: read error",
			    c->o->baseline);
		else
			snprintf(c->err, c->errlen, "%s: unreadable or larger "
			    "than %llu bytes", c->o->baseline,
			    (unsigned long long)MG_MAX_BASELINE_BYTES);
		return MG_ERR_USAGE;
	}
	buf = s.buf;
	n = s.len;
	p = buf + strspn(buf, " \t\r\n");
	if (*p != '{' || strstr(p, "\"artifacts\"") == NULL ||
	    memchr(buf, '\0', (size_t)n) != NULL) {
		snprintf(c->err, c->errlen, "%s: not a modelgate --json report "
		    "(no \"artifacts\")", c->o->baseline);
		goto out;
	}
	if ((c->baseline = mg_strset_new()) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	end = buf + n;
	while ((p = strstr(p, key)) != NULL) {
		p += sizeof(key) - 1;
		p += strspn(p, " \t\r\n");
		if (*p != ':')
			continue;
		p++;
		p += strspn(p, " \t\r\n");
		if (*p != '"' || end - p < 66 || strspn(p + 1,
		    "0123456789abcdef") != 64 || p[65] != '"')
			continue;
		if (mg_strset_add(c->baseline, p + 1, 64) < 0) {
			r = MG_ERR_NOMEM;
			goto out;
		}
		p += 66;
	}
	r = MG_OK;
out:
	free(buf);
	return r;
}

/* ---- the whole evaluation ------------------------------------------------ */

static int
cmp_ga(const void *x, const void *y)
{
	return strcmp(((const struct mg_gate_artifact *)x)->a->path,
	    ((const struct mg_gate_artifact *)y)->a->path);
}

static int
policy_findings(struct ctx *c)
{
	struct mg_artifact *pa = NULL;
	size_t i;

	for (i = 0; i < c->pol->nsupps; i++) {
		const struct mg_suppression *s = &c->pol->supps[i];
		int ex = c->use[i].expired, unused = !ex &&
		    c->use[i].matched == 0;

		if (!ex && !unused)
			continue;
		if (pa == NULL && (pa = synth(c, c->pol->source, &mg_fmt_policy)) ==
		    NULL)
			return MG_ERR_NOMEM;
		if (ex)
			mg_artifact_add(pa, MG_R_POLICY_SUPPRESS_EXPIRED,
			    MG_FINDING_NO_OFFSET, s->reason,
			    "suppression at line %zu (rule %s, path %s) expired "
			    "on %s and no longer applies", s->line,
			    s->rule ? s->rule : "any", s->path ? s->path : "any",
			    s->expires);
		else
			mg_artifact_add(pa, MG_R_POLICY_SUPPRESS_UNUSED,
			    MG_FINDING_NO_OFFSET, s->reason,
			    "suppression at line %zu (rule %s, path %s) matched "
			    "no finding", s->line, s->rule ? s->rule : "any",
			    s->path ? s->path : "any");
	}
	return MG_OK;
}

int
mg_gate_eval(struct mg_gate *g, struct mg_run *run,
    const struct mg_policy *pol, const struct mg_gate_opts *o, char *err,
    size_t errlen)
{
	struct ctx c;
	size_t i, k, nreal;
	int r;

	memset(g, 0, sizeof(*g));
	memset(&c, 0, sizeof(c));
	c.g = g;
	c.pol = pol;
	c.o = o;
	c.err = err;
	c.errlen = errlen;
	c.cwd = getcwd(NULL, 0);
	if ((c.fp = mg_hash_new()) == NULL) {
		free(c.cwd);
		return MG_ERR_NOMEM;
	}
	err[0] = '\0';
	if (pol->nsupps > 0 &&
	    (c.use = calloc(pol->nsupps, sizeof(*c.use))) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < pol->nsupps; i++)
		c.use[i].expired = mg_gate_expired(pol->supps[i].expires,
		    o->today);
	if (o->baseline != NULL && (r = load_baseline(&c)) != MG_OK)
		goto fail;

	/* Walk problems are artifacts that could not be checked. */
	for (i = 0; i < run->nerrs; i++) {
		struct mg_artifact *a = synth(&c, run->errs[i].path,
		    &mg_fmt_unreadable);

		if (a == NULL) {
			r = MG_ERR_NOMEM;
			goto fail;
		}
		a->complete = 0;
		mg_artifact_add(a, MG_R_IO_READ, MG_FINDING_NO_OFFSET, NULL,
		    "%s", run->errs[i].message);
	}
	/* The per-artifact cap bounds parsers, never the gate's verdicts. */
	for (i = 0; i < run->n; i++)
		run->arts[i]->uncapped = 1;
	if ((r = check_pins(&c, run)) != MG_OK)
		goto fail;
	for (i = 0; i < run->n; i++)
		mg_gate_check_artifact(pol, run->arts[i]);

	nreal = run->n;
	g->arts = calloc(nreal + c.nextra + 1, sizeof(*g->arts));
	if (g->arts == NULL) {
		r = MG_ERR_NOMEM;
		goto fail;
	}
	g->n = nreal + c.nextra;
	for (i = 0; i < nreal; i++)
		g->arts[i].a = run->arts[i];
	for (k = 0; k < c.nextra; k++) {
		g->arts[nreal + k].a = c.extra[k];
		g->arts[nreal + k].synthetic = 1;
	}
	c.nextra = 0;	/* transferred to the gate */
	for (i = 0; i < g->n; i++)
		if ((r = judge(&c, &g->arts[i])) != MG_OK)
			goto fail;
	/* Suppression bookkeeping is complete only now. */
	{
		size_t before = c.nextra;

		if ((r = policy_findings(&c)) != MG_OK)
			goto fail;
		if (c.nextra > before) {
			struct mg_gate_artifact *na = realloc(g->arts,
			    (g->n + 1) * sizeof(*na));

			if (na == NULL) {
				r = MG_ERR_NOMEM;
				goto fail;
			}
			g->arts = na;
			memset(&g->arts[g->n], 0, sizeof(*na));
			g->arts[g->n].a = c.extra[before];
			g->arts[g->n].synthetic = 1;
			c.nextra = before;
			g->n++;
			if ((r = judge(&c, &g->arts[g->n - 1])) != MG_OK)
				goto fail;
		}
	}
	if (g->n > 1)
		mg_sort(g->arts, g->n, sizeof(*g->arts), cmp_ga);

	g->sum.seconds = run->seconds;
	mg_gate_retally(g, run->n, o->allow_empty ? MG_EXIT_OK :
	    MG_EXIT_EMPTY);
	r = MG_OK;
fail:
	for (i = 0; i < c.nextra; i++) {
		mg_artifact_free(c.extra[i]);
		free(c.extra[i]);
	}
	free(c.extra);
	free(c.use);
	free(c.cwd);
	mg_hash_free(c.fp);
	mg_strset_free(c.baseline);
	if (r != MG_OK && err[0] == '\0')
		snprintf(err, errlen, "%s", mg_strerror(r));
	return r;
}

int
mg_gate_is_synthetic_format(const struct mg_format *f)
{
	return (f->flags & MG_FMT_SYNTHETIC) != 0;
}

void
mg_gate_retally(struct mg_gate *g, size_t nreal, int empty_exit)
{
	double seconds = g->sum.seconds;
	size_t i, k;

	memset(&g->sum, 0, sizeof(g->sum));
	g->sum.seconds = seconds;
	for (i = 0; i < g->n; i++) {
		const struct mg_gate_artifact *ga = &g->arts[i];

		if (!mg_gate_is_synthetic_format(ga->a->format))
			g->sum.bytes += ga->a->size;
		g->sum.artifacts++;
		if (ga->verdict == MG_V_PASS)
			g->sum.pass++;
		else if (ga->verdict == MG_V_FAIL)
			g->sum.fail++;
		else
			g->sum.error++;
		for (k = 0; k < ga->nfindings; k++) {
			const struct mg_gate_finding *gf = &ga->findings[k];

			if (gf->state == MG_FS_SUPPRESSED)
				g->sum.suppressed++;
			else if (gf->state == MG_FS_BASELINED)
				g->sum.baselined++;
			else
				g->sum.by_sev[gf->severity]++;
		}
	}
	g->incomplete = g->sum.error > 0;
	if (g->sum.fail > 0) {
		g->verdict = MG_RV_FAIL;
		g->exit_code = MG_EXIT_FAIL;
	} else if (g->sum.error > 0) {
		g->verdict = MG_RV_INCOMPLETE;
		g->exit_code = MG_EXIT_INCOMPLETE;
	} else if (nreal == 0) {
		g->verdict = MG_RV_EMPTY;
		g->exit_code = empty_exit;
	} else {
		g->verdict = MG_RV_PASS;
		g->exit_code = MG_EXIT_OK;
	}
}

void
mg_gate_free(struct mg_gate *g)
{
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->n; i++) {
		free(g->arts[i].findings);
		if (g->arts[i].synthetic) {
			mg_artifact_free(g->arts[i].a);
			free(g->arts[i].a);
		}
	}
	free(g->arts);
	memset(g, 0, sizeof(*g));
}
