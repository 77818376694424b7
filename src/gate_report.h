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

struct mg_gate_info {
	const char	*tool_name;	/* "modelgate" */
	const char	*tool_version;	/* "0.1.0" */
	const char	*tool_uri;	/* informationUri */
	const char	*generated_at;	/* ISO-8601 UTC, SOURCE_DATE_EPOCH */
	const char	*policy_source;	/* policy file or "(embedded default)" */
	const char	*automation_id;	/* SARIF automationDetails.id */
	int		 fail_on;	/* enum mg_sev, the run's default */
	int		 color;		/* text: ANSI colour allowed */
};

typedef int (*mg_gate_writer_fn)(FILE *f, const struct mg_gate *g,
    const struct mg_gate_info *info);

int	mg_report_gate_json(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);
int	mg_report_gate_text(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);
int	mg_report_sarif(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);
int	mg_report_junit(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);
int	mg_report_markdown(FILE *, const struct mg_gate *,
	    const struct mg_gate_info *);

#endif /* MG_GATE_REPORT_H */
