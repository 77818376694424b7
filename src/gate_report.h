/*
 * gate_report.h - writers for the gate's reports (`modelgate scan`).
 *
 * Each writer reads a finished struct mg_gate (sorted, deterministic) and
 * writes one document to a stream.  They never change the gate.  Every
 * string that came from an artifact (paths, metadata, messages) may hold
 * any bytes and must be sanitised for the target format.
 */
#ifndef MG_GATE_REPORT_H
#define MG_GATE_REPORT_H

#include <stdio.h>

struct mg_gate;

struct mg_sign_key;

struct mg_gate_info {
	const char	*tool_name;	/* "modelgate" */
	const char	*tool_version;	/* "0.1.0" */
	const char	*tool_uri;	/* informationUri */
	const char	*generated_at;	/* ISO-8601 UTC, SOURCE_DATE_EPOCH */
	const char	*policy_source;	/* policy file or "(embedded default)" */
	const char	*automation_id;	/* SARIF automationDetails.id */
	int		 fail_on;	/* enum mg_sev, the run's default */
	int		 color;		/* text: ANSI colour allowed */
	/* Optional (zero: absent). */
	const char	*policy_sha256;	/* digest of the policy text */
	unsigned	 shard_index;	/* 1-based; 0: not a shard */
	unsigned	 shard_total;
	const char	*shard_mode;	/* "hash" or "size" */
	const char	*list_sha256;	/* the listing before sharding */
	size_t		 shard_selected; /* listed files the selection keeps */
	size_t		 shard_assigned; /* of those, this shard's */
	/* Digests of what changes results: "" when not given. */
	const char	*lock_sha256;
	const char	*manifest_sha256;
	const char	*baseline_sha256;
	const char	*options;	/* scan options, selection digest */
	unsigned	 annotations_max; /* --github: at most this many */
	/* A shard's JSON report is signed with it (sign.h); NULL: not. */
	const struct mg_sign_key *sign_key;
};

typedef int (*mg_gate_writer_fn)(FILE *f, const struct mg_gate *g,
    const struct mg_gate_info *info);

int	mg_report_gate_json(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);
/*
 * SHA-256 over the (path, format) of a gate's artifacts but the policy
 * file's, in order: a shard report records it so that a merge notices an
 * artifact taken out.  MG_OK or MG_ERR_NOMEM.
 */
int	mg_report_gate_arts_sha256(const struct mg_gate *g, char out[65]);
int	mg_report_gate_text(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);
int	mg_report_sarif(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);
int	mg_report_junit(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);
int	mg_report_markdown(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);
/* GitLab code quality JSON: one issue per active finding. */
int	mg_report_codequality(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);
/*
 * GitHub workflow-command annotations: the annotations_max most severe
 * active findings (::error when they count, ::warning otherwise) and one
 * ::notice with the number left out.
 */
int	mg_report_github(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);

/* The gate's report formats by option name ("json", "sarif", ...). */
struct mg_gate_writer {
	const char		*name;
	mg_gate_writer_fn	 fn;
};
extern const struct mg_gate_writer mg_gate_writers[];	/* NULL-terminated */
/* The writer of that name, or NULL. */
const struct mg_gate_writer *mg_gate_writer_find(const char *name);

#endif /* MG_GATE_REPORT_H */
