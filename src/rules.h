/*
 * rules.h - the rule table (generated from rules.def) and severities.
 */
#ifndef MG_RULES_H
#define MG_RULES_H

#include <stddef.h>

enum mg_sev {
	MG_SEV_INFO = 0,
	MG_SEV_LOW,
	MG_SEV_MED,
	MG_SEV_HIGH,
	MG_SEV_CRIT
};

enum mg_rule_id {
#define MG_RULE(e, id, sev, sum, help) MG_R_##e,
#include "rules.def"
#undef MG_RULE
	MG_R__COUNT
};

struct mg_rule {
	const char	*id;		/* stable, e.g. "GGUF-COUNT" */
	enum mg_sev	 severity;	/* default severity */
	const char	*summary;
	const char	*help;
};

const struct mg_rule *mg_rule_get(enum mg_rule_id r);	/* never NULL for valid r */
const struct mg_rule *mg_rule_find(const char *id);	/* NULL if unknown */
size_t		 mg_rule_count(void);
const char	*mg_sev_name(enum mg_sev s);		/* "critical" .. "info" */
int		 mg_sev_parse(const char *s, enum mg_sev *out);	/* MG_OK or MG_ERR_USAGE */

#endif /* MG_RULES_H */
