/*
 * cmd_rules.c - `modelgate rules` and `modelgate formats`: the tables a
 * policy names, printed for people and machines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "fmt.h"
#include "rules.h"

int
cmd_rules(int argc, char **argv)
{
	const char *fmt = "text";
	size_t i;

	if (argc == 3 && strcmp(argv[1], "--format") == 0)
		fmt = argv[2];
	else if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		puts("usage: modelgate rules [--format text|json|markdown]");
		return MG_EXIT_OK;
	} else if (argc != 1) {
		cli_warn("usage: modelgate rules [--format text|json|markdown]");
		return MG_EXIT_USAGE;
	}
	if (strcmp(fmt, "json") == 0) {
		cJSON *a = cJSON_CreateArray();
		char *s;

		for (i = 0; a != NULL && i < mg_rule_count(); i++) {
			const struct mg_rule *r = mg_rule_get((enum mg_rule_id)i);
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "id", r->id);
			cJSON_AddStringToObject(o, "severity",
			    mg_sev_name(r->severity));
			cJSON_AddStringToObject(o, "summary", r->summary);
			cJSON_AddStringToObject(o, "help", r->help);
			cJSON_AddItemToArray(a, o);
		}
		if (a == NULL || (s = cJSON_Print(a)) == NULL) {
			cJSON_Delete(a);
			return MG_EXIT_INCOMPLETE;
		}
		puts(s);
		free(s);
		cJSON_Delete(a);
	} else if (strcmp(fmt, "markdown") == 0) {
		puts("| Rule | Severity | Summary |");
		puts("| --- | --- | --- |");
		for (i = 0; i < mg_rule_count(); i++) {
			const struct mg_rule *r = mg_rule_get((enum mg_rule_id)i);

			printf("| `%s` | %s | %s. %s |\n", r->id,
			    mg_sev_name(r->severity), r->summary, r->help);
		}
	} else if (strcmp(fmt, "text") == 0) {
		for (i = 0; i < mg_rule_count(); i++) {
			const struct mg_rule *r = mg_rule_get((enum mg_rule_id)i);

			printf("%-14s %-8s %s\n", r->id,
			    mg_sev_name(r->severity), r->summary);
		}
	} else {
		cli_warn("rules: unknown format '%s'", fmt);
		return MG_EXIT_USAGE;
	}
	return MG_EXIT_OK;
}

/* `modelgate formats`: the format table, as policies name the formats. */
int
cmd_formats(int argc, char **argv)
{
	size_t i, k;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		puts("usage: modelgate formats\n"
		    "List the formats modelgate recognises by content, whether "
		    "it checks them\nyet, and the extensions that claim them.\n"
		    "checked: parsed and checked; archive: every member is "
		    "scanned as an artifact;\nmembers: a model format on a zip "
		    "whose members are scanned, the format\nas a whole not yet; "
		    "unchecked: recognised, not checked.");
		return MG_EXIT_OK;
	}
	if (argc != 1) {
		cli_warn("usage: modelgate formats");
		return MG_EXIT_USAGE;
	}
	for (i = 0; i < mg_fmt_count(); i++) {
		const struct mg_format *f = mg_fmt_at(i);

		/*
		 * An archive's members are checked; a model format on a zip
		 * has its members checked, not the format as a whole.
		 */
		printf("%-13s %-9s ", f->name, f->parse != NULL ? "checked" :
		    (f->flags & MG_FMT_ARCHIVE) ? "archive" :
		    (f->flags & MG_FMT_CONTAINER) ?
		    "members" : "unchecked");
		for (k = 0; f->exts[k] != NULL; k++)
			printf("%s.%s", k > 0 ? " " : "", f->exts[k]);
		if (k == 0)
			fputs("(recognised by content only)", stdout);
		putchar('\n');
	}
	return MG_EXIT_OK;
}
