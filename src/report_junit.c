/*
 * report_junit.c - the gate as JUnit XML for GitLab, Jenkins and the
 * GitHub test reporters.
 *
 * Shape: <testsuites> holding one <testsuite> per artifact format
 * ("modelgate.gguf", ...; sorted by format), each holding, per artifact in
 * path order, a "scan" testcase (passes, or <error> when the artifact could
 * not be checked) and one testcase per rule with findings on it, named by
 * the rule id: <failure> when any of its findings counts, <skipped> when
 * all are suppressed or baselined, otherwise a pass whose <system-out>
 * lists the findings below fail_on.  classname is the artifact's path.
 * A run with nothing to scan gets one testcase that says so.
 *
 * Invariants: (classname, name) pairs are unique (paths that sanitise to
 * the same text get a " (2)" suffix); every count attribute equals the
 * testcases it counts; each testcase holds at most one result element.
 * The output validates against the Jenkins xUnit junit-10.xsd, so the root
 * carries no `skipped` attribute (that schema refuses it; per-suite counts
 * have it) and testcases no `file`.
 *
 * Times are "0": the gate records no per-artifact durations, and the run's
 * wall time would make reports differ from run to run (golden files and
 * --jobs 1 vs 8 must be byte-identical).  The suite timestamp is
 * info->generated_at, which SOURCE_DATE_EPOCH pins.
 *
 * Text: every string from data (paths, messages, keys, reasons) is
 * written in the injective form of mg_text_escape(): no newline, control,
 * invalid byte, "::" or "##[" from data reaches the document, so a CI step
 * that prints the XML cannot be made to emit a workflow command.  The
 * noncharacters U+FFFE and U+FFFF, which XML 1.0 refuses and the text
 * escape keeps, are written "\u{fffe}" and "\u{ffff}" (the escape's own
 * form, still injective).  Then the five specials are escaped; no CDATA
 * is used.  Newlines in bodies only separate findings.  Bodies stop at
 * MG_JUNIT_MAX_BODY bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "fmt.h"
#include "gate.h"
#include "gate_report.h"
#include "rules.h"
#include "strset.h"
#include "text.h"

#define MG_JUNIT_MAX_TEXT	1024		/* one message or reason */
#define MG_JUNIT_MAX_ATTR	512		/* a message attribute */
#define MG_JUNIT_MAX_BODY	(64u * 1024)	/* a testcase body */

struct counts {
	size_t	 tests, failures, errors, skipped;
};

struct suite {
	const char *format;
	char	*buf;
	size_t	 len;
	struct counts c;
};

/*
 * Untrusted text as the report writes it: mg_text_escape(s), U+FFFE and
 * U+FFFF as "\u{fffe}" and "\u{ffff}", at most cap bytes (cut on a
 * character boundary, ended with an ellipsis).  NULL when out of memory.
 */
static char *
junit_text(const char *s, size_t cap)
{
	char *e = mg_text_escape(s, strlen(s)), *o = NULL, *t = NULL;
	size_t i, j = 0, n;

	if (e == NULL)
		return NULL;
	n = strlen(e);
	if ((o = malloc(n / 3 * 8 + n % 3 + 1)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (n - i >= 3 && (unsigned char)e[i] == 0xef &&
		    (unsigned char)e[i + 1] == 0xbf &&
		    ((unsigned char)e[i + 2] == 0xbe ||
		    (unsigned char)e[i + 2] == 0xbf)) {
			memcpy(o + j, (unsigned char)e[i + 2] == 0xbe ?
			    "\\u{fffe}" : "\\u{ffff}", 8);
			j += 8;
			i += 2;
		} else
			o[j++] = e[i];
	}
	o[j] = '\0';
	/* Valid UTF-8 with no control left: this only applies the cap. */
	t = mg_text_clean(o, cap);
out:
	free(o);
	free(e);
	return t;
}

/*
 * Write t (report text already) escaped for XML; attr selects attribute
 * form (tab and newline as character references, which attribute
 * normalisation would eat).
 */
static void
xml_write(FILE *f, const char *t, int attr)
{
	const char *p;

	for (p = t; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&apos;", f);
			break;
		case '\t':
			fputs(attr ? "&#9;" : "\t", f);
			break;
		case '\n':
			fputs(attr ? "&#10;" : "\n", f);
			break;
		default:
			fputc(*p, f);
		}
	}
}

/* Untrusted s, as junit_text() gives it, escaped for XML. */
static void
xml_put(FILE *f, const char *s, int attr, size_t cap)
{
	char *t = junit_text(s, cap);

	/* Out of memory: the caller's ferror() check cannot see it. */
	xml_write(f, t != NULL ? t : "\xef\xbf\xbd", attr);
	free(t);
}

/* Names (keys) written exactly, never cut. */
static void
xml_put_exact(FILE *f, const char *s, int attr)
{
	xml_put(f, s, attr, SIZE_MAX);
}

static const char *
rule_id(const struct mg_gate_finding *gf)
{
	const struct mg_rule *ru = mg_rule_get(gf->f->rule);

	return ru != NULL ? ru->id : "UNKNOWN";
}

/*
 * One body line per finding, until the body cap: "[high] message (key k)
 * (offset 12) (suppressed: reason)".
 */
static void
body_lines(FILE *f, const struct mg_gate_artifact *ga, const size_t *ix,
    size_t n)
{
	long start = ftell(f);
	size_t i;

	for (i = 0; i < n; i++) {
		const struct mg_gate_finding *gf = &ga->findings[ix[i]];

		if (start >= 0 && ftell(f) - start > (long)MG_JUNIT_MAX_BODY) {
			fprintf(f, "\xe2\x80\xa6 and %zu more findings\n",
			    n - i);
			break;
		}
		fprintf(f, "[%s] ", mg_sev_name(gf->severity));
		xml_put(f, gf->f->message, 0, MG_JUNIT_MAX_TEXT);
		if (gf->f->key != NULL) {
			fputs(" (key ", f);
			xml_put_exact(f, gf->f->key, 0);
			fputs(")", f);
		}
		if (gf->f->offset != MG_FINDING_NO_OFFSET)
			fprintf(f, " (offset %llu)",
			    (unsigned long long)gf->f->offset);
		if (gf->state != MG_FS_ACTIVE) {
			fprintf(f, " (%s", mg_fstate_name(gf->state));
			if (gf->state == MG_FS_SUPPRESSED &&
			    gf->reason != NULL) {
				fputs(": ", f);
				xml_put(f, gf->reason, 0, MG_JUNIT_MAX_TEXT);
			}
			fputs(")", f);
		}
		fputs("\n", f);
	}
}

/* classname: report text already (unique_name()). */
static void
case_open(FILE *f, const char *classname, const char *name)
{
	fputs("\t\t<testcase classname=\"", f);
	xml_write(f, classname, 1);
	fputs("\" name=\"", f);
	xml_put(f, name, 1, SIZE_MAX);
	fputs("\" time=\"0\"", f);
}

/* Findings grouped by rule id; ties keep the gate's order. */
static int
cmp_rule(const void *pa, const void *pb, void *arg)
{
	const struct mg_gate_artifact *ga = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int d = strcmp(rule_id(&ga->findings[a]), rule_id(&ga->findings[b]));

	if (d != 0)
		return d;
	return a < b ? -1 : a > b;
}

/* The testcases of one artifact. */
static int
artifact_cases(FILE *f, const struct mg_gate_artifact *ga,
    const char *classname, struct counts *c)
{
	size_t *ix = NULL, i, j, n = ga->nfindings;

	if ((ix = calloc(n + 1, sizeof(*ix))) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < n; i++)
		ix[i] = i;
	qsort_r(ix, n, sizeof(*ix), cmp_rule, (void *)ga);

	c->tests++;
	case_open(f, classname, "scan");
	if (ga->verdict == MG_V_ERROR) {
		c->errors++;
		fputs(">\n\t\t\t<error message=\"The artifact could not be read "
		    "or fully checked\" type=\"incomplete\">", f);
		body_lines(f, ga, ix, n);
		fputs("</error>\n\t\t</testcase>\n", f);
	} else
		fputs("/>\n", f);

	for (i = 0; i < n; i = j) {
		const char *id = rule_id(&ga->findings[ix[i]]);
		const struct mg_gate_finding *first = NULL;
		const char *reason = NULL;
		size_t counting = 0, active = 0, sup = 0, base = 0, reasons = 0;

		for (j = i; j < n && strcmp(rule_id(&ga->findings[ix[j]]),
		    id) == 0; j++) {
			const struct mg_gate_finding *gf = &ga->findings[ix[j]];

			if (gf->counts && counting++ == 0)
				first = gf;
			if (gf->state == MG_FS_ACTIVE)
				active++;
			else if (gf->state == MG_FS_BASELINED)
				base++;
			else {
				sup++;
				if (gf->reason != NULL && (reason == NULL ||
				    strcmp(reason, gf->reason) != 0)) {
					if (reason == NULL)
						reason = gf->reason;
					reasons++;
				}
			}
		}
		c->tests++;
		case_open(f, classname, id);
		if (counting > 0) {
			c->failures++;
			fputs(">\n\t\t\t<failure message=\"", f);
			if (counting > 1)
				fprintf(f, "%zu findings; first: ", counting);
			xml_put(f, first->f->message, 1, MG_JUNIT_MAX_ATTR);
			fputs("\" type=\"", f);
			xml_put(f, id, 1, SIZE_MAX);
			fputs("\">", f);
			body_lines(f, ga, ix + i, j - i);
			fputs("</failure>\n\t\t</testcase>\n", f);
		} else if (active == 0) {
			c->skipped++;
			fputs(">\n\t\t\t<skipped message=\"", f);
			if (sup > 0) {
				fputs("suppressed: ", f);
				xml_put(f, reason != NULL ? reason :
				    "(no reason)", 1, MG_JUNIT_MAX_ATTR);
				if (reasons > 1)
					fputs(" (and other reasons)", f);
			}
			if (sup > 0 && base > 0)
				fputs("; ", f);
			if (base > 0)
				fputs("baselined: present in the baseline", f);
			fputs("\">", f);
			body_lines(f, ga, ix + i, j - i);
			fputs("</skipped>\n\t\t</testcase>\n", f);
		} else {
			fputs(">\n\t\t\t<system-out>", f);
			body_lines(f, ga, ix + i, j - i);
			fputs("</system-out>\n\t\t</testcase>\n", f);
		}
	}
	free(ix);
	return MG_OK;
}

/*
 * A classname not used before: the path in the escaped form of
 * junit_text(), which is injective, so distinct paths give distinct
 * names; " (2)", " (3)", ... only guard against a path that already ends
 * like that.  base is that form; *next is the first suffix number not yet
 * tried for it (1: the base itself).  Names only ever enter seen, so every
 * number below *next is still taken and the search resumes there: the
 * names are those of trying 1, 2, 3, ... each time, and m artifacts with
 * one path cost O(m), not O(m^2).
 */
static char *
unique_name(struct mg_strset *seen, const char *base, size_t *next)
{
	char *name = NULL;
	size_t n, len = strlen(base) + 32;
	int r;

	for (n = *next; ; n++) {
		free(name);
		if ((name = malloc(len)) == NULL)
			break;
		if (n == 1)
			snprintf(name, len, "%s", base);
		else
			snprintf(name, len, "%s (%zu)", base, n);
		if ((r = mg_strset_add(seen, name, strlen(name))) == 1) {
			*next = n + 1;
			break;
		}
		if (r < 0) {
			free(name);
			name = NULL;
			break;
		}
	}
	return name;
}

/* Artifacts by escaped path, ties by index. */
static int
cmp_base(const void *pa, const void *pb, void *arg)
{
	char *const *bases = arg;
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int d = strcmp(bases[a], bases[b]);

	if (d != 0)
		return d;
	return a < b ? -1 : a > b;
}

/*
 * bases[i]: artifact i's path as junit_text() writes it; grp[i]: one
 * number per distinct base (an index into a counter array of n).
 */
static int
name_groups(const struct mg_gate *g, char **bases, size_t *grp)
{
	size_t *ix = NULL, i, k = 0;

	for (i = 0; i < g->n; i++)
		if ((bases[i] = junit_text(g->arts[i].a->path != NULL ?
		    g->arts[i].a->path : "", SIZE_MAX)) == NULL)
			return MG_ERR_NOMEM;
	if ((ix = calloc(g->n + 1, sizeof(*ix))) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < g->n; i++)
		ix[i] = i;
	qsort_r(ix, g->n, sizeof(*ix), cmp_base, bases);
	for (i = 0; i < g->n; i++) {
		if (i > 0 && strcmp(bases[ix[i - 1]], bases[ix[i]]) != 0)
			k++;
		grp[ix[i]] = k;
	}
	free(ix);
	return MG_OK;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
suite_props(FILE *f, const struct mg_gate *g, const struct mg_gate_info *info)
{
	fputs("\t\t<properties>\n", f);
	fputs("\t\t\t<property name=\"tool\" value=\"", f);
	xml_put(f, info->tool_name != NULL ? info->tool_name : "modelgate", 1,
	    MG_JUNIT_MAX_ATTR);
	fputs(" ", f);
	xml_put(f, info->tool_version != NULL ? info->tool_version : "", 1,
	    MG_JUNIT_MAX_ATTR);
	fputs("\"/>\n\t\t\t<property name=\"policy\" value=\"", f);
	xml_put(f, info->policy_source != NULL ? info->policy_source : "", 1,
	    MG_JUNIT_MAX_ATTR);
	fprintf(f, "\"/>\n\t\t\t<property name=\"fail_on\" value=\"%s\"/>\n",
	    mg_sev_name((enum mg_sev)info->fail_on));
	fprintf(f, "\t\t\t<property name=\"verdict\" value=\"%s\"/>\n",
	    mg_run_verdict_name(g->verdict));
	fprintf(f, "\t\t\t<property name=\"exit_code\" value=\"%d\"/>\n",
	    g->exit_code);
	fputs("\t\t</properties>\n", f);
}

static void
suite_head(FILE *f, const char *name, const struct counts *c,
    const struct mg_gate_info *info)
{
	fputs("\t<testsuite name=\"", f);
	xml_put(f, name, 1, MG_JUNIT_MAX_ATTR);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
	    "skipped=\"%zu\" time=\"0\"", c->tests, c->failures, c->errors,
	    c->skipped);
	if (info->generated_at != NULL && info->generated_at[0] != '\0') {
		fputs(" timestamp=\"", f);
		xml_put(f, info->generated_at, 1, 64);
		fputs("\"", f);
	}
	fputs(">\n", f);
}

int
mg_report_junit(FILE *f, const struct mg_gate *g,
    const struct mg_gate_info *info)
{
	const char **fmts = NULL;
	struct suite *su = NULL;
	struct mg_strset *seen = NULL;
	char **bases = NULL;
	size_t *grp = NULL, *next = NULL;
	struct counts tot;
	size_t nf = 0, i, s;
	FILE *m = NULL;
	char *cls = NULL, sname[96];
	int r = MG_ERR_NOMEM;

	memset(&tot, 0, sizeof(tot));
	if ((fmts = calloc(g->n + 1, sizeof(*fmts))) == NULL ||
	    (su = calloc(g->n + 1, sizeof(*su))) == NULL ||
	    (seen = mg_strset_new()) == NULL ||
	    (bases = calloc(g->n + 1, sizeof(*bases))) == NULL ||
	    (grp = calloc(g->n + 1, sizeof(*grp))) == NULL ||
	    (next = calloc(g->n + 1, sizeof(*next))) == NULL ||
	    name_groups(g, bases, grp) != MG_OK)
		goto out;
	for (i = 0; i < g->n; i++)
		next[i] = 1;
	for (i = 0; i < g->n; i++)
		fmts[i] = g->arts[i].a->format != NULL ?
		    g->arts[i].a->format->name : "unknown";
	qsort(fmts, g->n, sizeof(*fmts), cmp_str);
	for (i = 0; i < g->n; i++)
		if (nf == 0 || strcmp(fmts[nf - 1], fmts[i]) != 0)
			fmts[nf++] = fmts[i];

	for (s = 0; s < nf; s++) {
		su[s].format = fmts[s];
		if ((m = open_memstream(&su[s].buf, &su[s].len)) == NULL)
			goto out;
		for (i = 0; i < g->n; i++) {
			const struct mg_gate_artifact *ga = &g->arts[i];
			const char *fmt = ga->a->format != NULL ?
			    ga->a->format->name : "unknown";

			if (strcmp(fmt, fmts[s]) != 0)
				continue;
			if ((cls = unique_name(seen, bases[i],
			    &next[grp[i]])) == NULL)
				goto out;
			if ((r = artifact_cases(m, ga, cls, &su[s].c)) != MG_OK)
				goto out;
			r = MG_ERR_NOMEM;
			free(cls);
			cls = NULL;
		}
		if (ferror(m))
			goto out;
		fclose(m);
		m = NULL;
		tot.tests += su[s].c.tests;
		tot.failures += su[s].c.failures;
		tot.errors += su[s].c.errors;
		tot.skipped += su[s].c.skipped;
	}
	if (nf == 0) {
		/* Nothing scanned: say so instead of an empty green report. */
		tot.tests = 1;
		if (g->exit_code != MG_EXIT_OK)
			tot.errors = 1;
		else
			tot.skipped = 1;
	}

	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
	fputs("<testsuites name=\"", f);
	xml_put(f, info->tool_name != NULL ? info->tool_name : "modelgate", 1,
	    MG_JUNIT_MAX_ATTR);
	fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
	    "time=\"0\">\n", tot.tests, tot.failures, tot.errors);
	for (s = 0; s < nf; s++) {
		snprintf(sname, sizeof(sname), "modelgate.%.64s", su[s].format);
		suite_head(f, sname, &su[s].c, info);
		suite_props(f, g, info);
		if (su[s].len > 0 && fwrite(su[s].buf, 1, su[s].len, f) !=
		    su[s].len)
			break;
		fputs("\t</testsuite>\n", f);
	}
	if (nf == 0) {
		suite_head(f, "modelgate", &tot, info);
		suite_props(f, g, info);
		case_open(f, "modelgate", "inputs");
		if (tot.errors > 0)
			fputs(">\n\t\t\t<error message=\"Nothing to scan: no "
			    "artifact matched the arguments\" type=\"empty\"/>",
			    f);
		else
			fputs(">\n\t\t\t<skipped message=\"Nothing to scan "
			    "(allowed by --allow-empty)\"/>", f);
		fputs("\n\t\t</testcase>\n\t</testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
	r = ferror(f) ? MG_ERR_IO : MG_OK;
out:
	if (m != NULL)
		fclose(m);
	for (s = 0; su != NULL && s < g->n + 1; s++)
		free(su[s].buf);
	free(cls);
	for (i = 0; bases != NULL && i < g->n; i++)
		free(bases[i]);
	free(bases);
	free(grp);
	free(next);
	free(su);
	free(fmts);
	mg_strset_free(seen);
	return r;
}
