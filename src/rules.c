/*
 * rules.c - the rule table, built from rules.def so that `modelgate rules`,
 * reports and documentation share one source.
 */
#include <string.h>

#include "err.h"
#include "rules.h"

#define CRIT MG_SEV_CRIT
#define HIGH MG_SEV_HIGH
#define MED  MG_SEV_MED
#define LOW  MG_SEV_LOW
#define INFO MG_SEV_INFO

static const struct mg_rule rules[MG_R__COUNT] = {
#define MG_RULE(e, id, sev, sum, help) [MG_R_##e] = { id, sev, sum, help },
#include "rules.def"
#undef MG_RULE
};

const struct mg_rule *
mg_rule_get(enum mg_rule_id r)
{
	if ((unsigned)r >= MG_R__COUNT)
		return NULL;
	return &rules[r];
}

const struct mg_rule *
mg_rule_find(const char *id)
{
	size_t i;

	for (i = 0; i < MG_R__COUNT; i++)
		if (strcmp(rules[i].id, id) == 0)
			return &rules[i];
	return NULL;
}

size_t
mg_rule_count(void)
{
	return MG_R__COUNT;
}

static const char *const sev_names[] = {
	[MG_SEV_INFO] = "info",
	[MG_SEV_LOW] = "low",
	[MG_SEV_MED] = "medium",
	[MG_SEV_HIGH] = "high",
	[MG_SEV_CRIT] = "critical",
};

const char *
mg_sev_name(enum mg_sev s)
{
	if ((unsigned)s > MG_SEV_CRIT)
		return "unknown";
	return sev_names[s];
}

int
mg_sev_parse(const char *s, enum mg_sev *out)
{
	unsigned i;

	for (i = 0; i <= MG_SEV_CRIT; i++) {
		if (strcmp(s, sev_names[i]) == 0) {
			*out = (enum mg_sev)i;
			return MG_OK;
		}
	}
	return MG_ERR_USAGE;
}
