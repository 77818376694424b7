/*
 * policy.h - the gate's policy: which rules apply, how severe they are,
 * what metadata, formats, licences and digests are allowed, and which
 * findings are suppressed.
 *
 * A policy is parsed once from JSON (a file, or the embedded default) into
 * these plain structs; the cJSON tree never leaves policy.c.  After
 * mg_policy_load() returns, the policy is immutable and shared read-only.
 *
 * Path globs match the artifact's display path ("models/a/b.gguf"):
 * `*` and `?` stay within one path component, `**` spans components,
 * `[...]` is a character class.  An invalid glob is a policy error.
 */
#ifndef MG_POLICY_H
#define MG_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "container.h"
#include "license.h"
#include "rules.h"

struct mg_strv {
	char	**v;
	size_t	  n;
};

/*
 * The pickle section: exact names or module.* patterns (policy globs over
 * "module.name") allowed or denied, and what an unlisted import is.
 */
enum mg_pk_unknown {
	MG_PK_UNKNOWN_WARN = 0,		/* PICKLE-UNKNOWN (default) */
	MG_PK_UNKNOWN_DENY,		/* PICKLE-UNSAFE: allowlist only */
	MG_PK_UNKNOWN_ALLOW		/* no finding */
};

struct mg_pickle_pol {
	int		 have;		/* the section is present */
	struct mg_strv	 allow, deny;
	int		 unknown;	/* enum mg_pk_unknown */
};

/* -1 in any field means "not set here: inherit". */
struct mg_rule_cfg {
	signed char	enabled;	/* -1, 0, 1 */
	signed char	severity;	/* -1 or enum mg_sev */
	signed char	named;		/* 1: the policy sets severity (not
					   the rule's default) */
};

struct mg_bound {
	int		have_min, have_max;
	uint64_t	min, max;
};

struct mg_require {
	char		*format;	/* "gguf", "safetensors", ... */
	struct mg_strv	 keys;		/* metadata keys that must exist */
};

/*
 * Settings that may be scoped to paths.  In an override, a list that is
 * present (have_* set) replaces the inherited one.  In p->base (and so in
 * every mg_policy_effective() result) each rules[] entry, fail_on and
 * lic_required are resolved: never -1 (unnamed rules are enabled at their
 * default severity).  An allow list that is empty means "no restriction".
 */
struct mg_scope {
	struct mg_strv	 paths;		/* globs (overrides only) */
	struct mg_rule_cfg rules[MG_R__COUNT];
	int		 fail_on;	/* -1 or enum mg_sev */
	int		 have_formats_allow, have_formats_deny;
	struct mg_strv	 formats_allow, formats_deny;
	int		 have_formats_unchecked;
	struct mg_strv	 formats_unchecked;	/* may pass unchecked */
	struct mg_require *require;
	size_t		 nrequire;
	int		 have_require;
	int		 have_arch, have_quant, have_dtype;
	struct mg_strv	 allow_arch, allow_quant, allow_dtype;
	struct mg_bound	 file_size, parameter_count, context_length,
			 tensor_count;
	int		 have_lic_allow, have_lic_deny;
	struct mg_strv	 lic_allow, lic_deny;	/* licence expressions in
						   mg_license_normalize()
						   form */
	struct mg_license_set *lic_allow_set, *lic_deny_set;	/* the same,
						   compiled; NULL when the
						   list is empty */
	int		 lic_required;	/* -1, 0, 1 */
	struct mg_pickle_pol pickle;	/* replaces the inherited one when
					   pickle.have */
	/*
	 * templates.sha256 and remote_code.sha256: digests (lowercase hex)
	 * of the chat templates and code files that may ship.  With
	 * have_tmpl_pins, a template whose digest is not listed is a
	 * TEMPLATE-PIN finding; a listed code file passes REMOTE-CODE.
	 */
	int		 have_tmpl_pins, have_code_pins;
	struct mg_strv	 tmpl_pins, code_pins;
};

struct mg_pin {
	char		*path;		/* display path, as reports show it */
	char		 sha256[65];	/* lowercase hex */
};

struct mg_suppression {
	char		*rule;		/* rule id, or NULL: any rule */
	char		*path;		/* glob, or NULL: any path */
	char		*fingerprint;	/* or NULL */
	char		*reason;	/* mandatory */
	char		 expires[11];	/* "YYYY-MM-DD" or "" */
	size_t		 line;		/* line in the policy file */
};

struct mg_policy {
	char		*source;	/* file path, or "(embedded default)" */
	char		*text;		/* the bytes parsed; NULL: embedded */
	size_t		 textlen;
	int		 fail_on;	/* enum mg_sev; default MG_SEV_HIGH;
					   equals base.fail_on */
	struct mg_strv	 include, exclude;	/* globs */
	struct mg_scope	 base;
	struct mg_scope	*overrides;	/* in file order; later wins */
	size_t		 noverrides;
	struct mg_pin	*pins;		/* "digests": path -> sha256 */
	size_t		 npins;
	char		*lock;		/* lock file path (relative to cwd) */
	struct mg_suppression *supps;
	size_t		 nsupps;
	struct mg_arc_limits arc;	/* "archive": zeros are the defaults */
};

/*
 * Load a policy from a file (path) or, when path is NULL, the embedded
 * default.  On error returns MG_ERR_POLICY (or MG_ERR_NOMEM / MG_ERR_IO)
 * and writes "FILE:LINE: reason" into err.
 */
int	mg_policy_load(struct mg_policy **out, const char *path, char *err,
	    size_t errlen);
void	mg_policy_free(struct mg_policy *p);	/* accepts NULL */

/*
 * SHA-256 of the text the policy was parsed from (the same bytes, not a
 * second read of its file), so that a merge can tell policies apart.
 */
int	mg_policy_digest(const struct mg_policy *p, char out[65]);

/* The embedded default policy's JSON text (for `modelgate policy`). */
const char *mg_policy_default_text(void);

/* 1 when the display path is to be scanned (include/exclude). */
int	mg_policy_wants(const struct mg_policy *p, const char *path);
/* 1 when an exclude glob names the display path. */
int	mg_policy_excludes(const struct mg_policy *p, const char *path);
/*
 * 1 when one exclude glob covers everything below the directory at the
 * display path ("." the root), at any depth (mg_glob_covers).
 */
int	mg_policy_excludes_below(const struct mg_policy *p, const char *dir);

/*
 * The settings in force for one path: base, then every override whose
 * globs match, in order.  Lists are borrowed from the policy.
 */
void	mg_policy_effective(const struct mg_policy *p, const char *path,
	    struct mg_scope *out);

#endif /* MG_POLICY_H */
