/*
 * report.c - the table of bill-of-materials writers.
 *
 * Adding a writer: write report_<name>.c, declare it in report.h and add
 * one line here.
 */
#include <string.h>

#include "report.h"

static const struct mg_bom_writer writers[] = {
	{ "json", "l-bom compatible JSON (object for one file, else array)",
	    mg_report_json },
	{ "spdx", "SPDX 2.3 tag-value, one document per model",
	    mg_report_spdx },
	{ "spdx-json", "SPDX 2.3 JSON, one document per model",
	    mg_report_spdx_json },
	{ "table", "aligned text columns (colour only on a terminal)",
	    mg_report_table },
	{ "hf-readme", "Hugging Face model card (front matter and body)",
	    mg_report_hfreadme },
	{ "cyclonedx", "CycloneDX 1.6 JSON ML-BOM, one document",
	    mg_report_cyclonedx },
};

#define NWRITERS (sizeof(writers) / sizeof(writers[0]))

const struct mg_bom_writer *
mg_bom_writer_find(const char *name)
{
	size_t i;

	for (i = 0; i < NWRITERS; i++)
		if (strcmp(writers[i].name, name) == 0)
			return &writers[i];
	return NULL;
}

size_t
mg_bom_writer_count(void)
{
	return NWRITERS;
}

const struct mg_bom_writer *
mg_bom_writer_at(size_t i)
{
	return i < NWRITERS ? &writers[i] : NULL;
}
