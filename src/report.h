/*
 * report.h - bill-of-materials writers.
 *
 * One writer per output format behind a small table; `modelgate bom
 * --format NAME` picks one.  Writers read the sorted artifacts and write
 * to a stream; they never change the artifacts.
 */
#ifndef MG_REPORT_H
#define MG_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

struct mg_artifact;

struct mg_bom_info {
	const char	*generated_at;	/* ISO-8601 UTC, "...+00:00" */
	const char	*tool_name;
	const char	*tool_version;
	int		 single;	/* one file argument: one document */
	int		 color;		/* ANSI colour allowed (a terminal) */
	/* --format hf-readme */
	const char	*hf_title;
	const char	*hf_sdk;
	const char	*hf_app_file;
	const char	*hf_short_description;
	long		 hf_app_port;	/* -1: absent */
};

struct mg_bom_writer {
	const char	*name;
	const char	*summary;
	int		(*write)(FILE *f, struct mg_artifact *const *arts,
			    size_t n, const struct mg_bom_info *info);
};

const struct mg_bom_writer *mg_bom_writer_find(const char *name);
size_t	mg_bom_writer_count(void);
const struct mg_bom_writer *mg_bom_writer_at(size_t i);

/*
 * Render the head of an artifact's JSON document (every member up to and
 * including metadata) into a->rendered and drop its metadata tree, which
 * the head now holds as text.  Workers call this in parallel; the tail
 * (warnings, findings, set, complete), which later checks may still add
 * to, is written by mg_report_json.
 */
int	mg_bom_json_prerender(struct mg_artifact *a,
	    const struct mg_bom_info *info);

/* The l-bom shaped JSON document of one artifact (for json writers). */
cJSON	*mg_bom_json_doc(const struct mg_artifact *a,
	    const struct mg_bom_info *info);

/*
 * The same document written into w, in w's layout (compact or not),
 * with no tree; the artifact's head must not have been prerendered.
 */
struct mg_jsonw;
void	mg_bom_json_write(struct mg_jsonw *w, const struct mg_artifact *a,
	    const struct mg_bom_info *info);

/* Writers, one per file (report_<name>.c). */
int	mg_report_json(FILE *, struct mg_artifact *const *, size_t,
	    const struct mg_bom_info *);
int	mg_report_spdx(FILE *, struct mg_artifact *const *, size_t,
	    const struct mg_bom_info *);
int	mg_report_spdx_json(FILE *, struct mg_artifact *const *, size_t,
	    const struct mg_bom_info *);
int	mg_report_table(FILE *, struct mg_artifact *const *, size_t,
	    const struct mg_bom_info *);
int	mg_report_hfreadme(FILE *, struct mg_artifact *const *, size_t,
	    const struct mg_bom_info *);
int	mg_report_cyclonedx(FILE *, struct mg_artifact *const *, size_t,
	    const struct mg_bom_info *);

#endif /* MG_REPORT_H */
