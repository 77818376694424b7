/*
 * policy_eval.c - what a loaded policy says about one path: whether the
 * scan wants it (include and exclude globs) and the effective settings
 * for it, the base scope with every matching override applied in file
 * order (a later override wins; "inherit" values, -1, leave the base).
 * The policy is read only, so workers may share it.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"
#include "path.h"
#include "policy.h"
#include "rules.h"

static int
any_match(const struct mg_strv *globs, const char *path)
{
	size_t i;

	for (i = 0; i < globs->n; i++)
		if (mg_glob_match(globs->v[i], path))
			return 1;
	return 0;
}

/*
 * Walk paths are on disk: a '!' in them is part of a name (see
 * mg_path_glob_key).  Out of memory, a file is wanted and not excluded.
 */
int
mg_policy_wants(const struct mg_policy *p, const char *path)
{
	char *k = mg_path_glob_key(path, strlen(path));
	int r;

	if (k == NULL)
		return 1;
	r = (p->include.n == 0 || any_match(&p->include, k)) &&
	    !any_match(&p->exclude, k);
	if (k != path)
		free(k);
	return r;
}

int
mg_policy_excludes(const struct mg_policy *p, const char *path)
{
	char *k = mg_path_glob_key(path, strlen(path));
	int r;

	if (k == NULL)
		return 0;
	r = any_match(&p->exclude, k);
	if (k != path)
		free(k);
	return r;
}

int
mg_policy_excludes_below(const struct mg_policy *p, const char *dir)
{
	const char *d = strcmp(dir, ".") == 0 ? "" : dir;
	char *k = mg_path_glob_key(d, strlen(d));
	size_t i;
	int r = 0;

	if (k == NULL)
		return 0;
	for (i = 0; i < p->exclude.n && !r; i++)
		r = mg_glob_covers(p->exclude.v[i], k);
	if (k != d)
		free(k);
	return r;
}

static void
merge_bound(struct mg_bound *to, const struct mg_bound *from)
{
	if (from->have_min) {
		to->have_min = 1;
		to->min = from->min;
	}
	if (from->have_max) {
		to->have_max = 1;
		to->max = from->max;
	}
}

void
mg_policy_effective(const struct mg_policy *p, const char *path,
    struct mg_scope *out)
{
	const struct mg_scope *o;
	size_t i, k;

	*out = p->base;
	out->paths.v = NULL;
	out->paths.n = 0;
	for (i = 0; i < p->noverrides; i++) {
		o = &p->overrides[i];
		if (!any_match(&o->paths, path))
			continue;
		for (k = 0; k < MG_R__COUNT; k++) {
			if (o->rules[k].enabled >= 0)
				out->rules[k].enabled = o->rules[k].enabled;
			if (o->rules[k].severity >= 0) {
				out->rules[k].severity = o->rules[k].severity;
				out->rules[k].named = o->rules[k].named;
			}
		}
		if (o->fail_on >= 0)
			out->fail_on = o->fail_on;
		if (o->have_formats_allow) {
			out->have_formats_allow = 1;
			out->formats_allow = o->formats_allow;
		}
		if (o->have_formats_deny) {
			out->have_formats_deny = 1;
			out->formats_deny = o->formats_deny;
		}
		if (o->have_formats_unchecked) {
			out->have_formats_unchecked = 1;
			out->formats_unchecked = o->formats_unchecked;
		}
		if (o->have_require) {
			out->have_require = 1;
			out->require = o->require;
			out->nrequire = o->nrequire;
		}
		if (o->have_arch) {
			out->have_arch = 1;
			out->allow_arch = o->allow_arch;
		}
		if (o->have_quant) {
			out->have_quant = 1;
			out->allow_quant = o->allow_quant;
		}
		if (o->have_dtype) {
			out->have_dtype = 1;
			out->allow_dtype = o->allow_dtype;
		}
		merge_bound(&out->file_size, &o->file_size);
		merge_bound(&out->parameter_count, &o->parameter_count);
		merge_bound(&out->context_length, &o->context_length);
		merge_bound(&out->tensor_count, &o->tensor_count);
		if (o->have_lic_allow) {
			out->have_lic_allow = 1;
			out->lic_allow = o->lic_allow;
			out->lic_allow_set = o->lic_allow_set;
		}
		if (o->have_lic_deny) {
			out->have_lic_deny = 1;
			out->lic_deny = o->lic_deny;
			out->lic_deny_set = o->lic_deny_set;
		}
		if (o->lic_required >= 0)
			out->lic_required = o->lic_required;
		if (o->have_tmpl_pins) {
			out->have_tmpl_pins = 1;
			out->tmpl_pins = o->tmpl_pins;
		}
		if (o->have_code_pins) {
			out->have_code_pins = 1;
			out->code_pins = o->code_pins;
		}
		if (o->pickle.have)
			out->pickle = o->pickle;
	}
}
