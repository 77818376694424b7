/*
 * gate_writers.c - the table of the gate's report formats.
 *
 * Adding a report: write report_<name>.c, declare it in gate_report.h and
 * add one line here; `scan` and `merge` take it as --<name> FILE.
 */
#include <stddef.h>

#include <string.h>

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

const struct mg_gate_writer *
mg_gate_writer_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && mg_gate_writers[i].name != NULL; i++)
		if (strcmp(mg_gate_writers[i].name, name) == 0)
			return &mg_gate_writers[i];
	return NULL;
}
