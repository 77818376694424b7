/*
 * gate_writers.c - the table of the gate's report formats.
 *
 * Adding a report: write report_<name>.c, declare it in gate_report.h and
 * add one line here; `scan` and `merge` take it as --<name> FILE.
 */
#include <stddef.h>

#include "gate_report.h"

const struct mg_gate_writer mg_gate_writers[] = {
	{ "json", mg_report_gate_json },
	{ "sarif", mg_report_sarif },
	{ "junit", mg_report_junit },
	{ "markdown", mg_report_markdown },
	{ "codequality", mg_report_codequality },
	{ "github", mg_report_github },
	{ NULL, NULL }
};
