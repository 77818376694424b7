/*
 * cmd_merge.c - `modelgate merge`: the shards of a scan as one report.
 *
 * Reads the --json reports of `modelgate scan --shard I/N`, refuses a set
 * that is not exactly shards 1..N of one tree, tool version and policy
 * (exit 2, with the reason), and writes every requested report from the
 * merged gate with the ordinary writers: one SARIF run, one JUnit
 * document with recounted totals, one JSON report shaped like an
 * unsharded scan's.  The exit status is the one an unsharded scan would
 * have had.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "gate.h"
#include "gate_report.h"
#include "merge.h"
#include "out.h"
#include "sign.h"
#include "version.h"

static const char merge_usage[] =
"usage: modelgate merge [options] REPORT.json...\n"
"\n"
"Merge the --json reports of `modelgate scan --shard I/N` (all N shards,\n"
"each once, from one tree, tool version and policy) into the reports an\n"
"unsharded scan would have written, and exit with its status.\n"
"\n"
"      --json FILE         the merged machine report\n"
"      --sarif FILE        one SARIF 2.1.0 run\n"
"      --junit FILE        JUnit XML with recounted totals\n"
"      --markdown FILE     short summary\n"
"      --codequality FILE  GitLab code quality JSON\n"
"      --github FILE       GitHub workflow-command annotations\n"
"      --github-max N      annotate at most N findings (default 10)\n"
"      --automation-id ID  SARIF automationDetails.id (default modelgate/scan/)\n"
"      --allow-empty       exit 0 instead of 4 when no shard found a model\n"
"      --shard-key FILE    every report must be signed with the key in FILE\n"
"                          (scan --shard-key): an edited one is refused\n"
"  -q, --quiet             no text report on standard output\n"
"  -h, --help              show this help\n"
"\n"
"Exit status: as `modelgate scan` (0 pass, 1 violations, 3 incomplete,\n"
"4 nothing to scan); 2 when a report is unreadable, malformed, edited\n"
"(a verdict or summary its findings do not give) or over 64 MiB, a shard\n"
"is missing or given twice, or the shards disagree on the tree, tool\n"
"version, policy, lock, manifest, baseline, shard mode or scan options.\n";

static const struct option merge_opts[] = {
	{ "json", required_argument, NULL, 'J' },
	{ "sarif", required_argument, NULL, 'S' },
	{ "junit", required_argument, NULL, 'U' },
	{ "markdown", required_argument, NULL, 'M' },
	{ "codequality", required_argument, NULL, 'C' },
	{ "github", required_argument, NULL, 'G' },
	{ "github-max", required_argument, NULL, 'N' },
	{ "automation-id", required_argument, NULL, 'A' },
	{ "allow-empty", no_argument, NULL, 'E' },
	{ "shard-key", required_argument, NULL, 'K' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int
cmd_merge(int argc, char **argv)
{
	struct cli_reports reqs;
	struct mg_gate_info info;
	struct mg_merge m;
	char stamp[64], err[1024];
	int c, r, quiet = 0, allow_empty = 0, code;
	const char *key_file = NULL;
	struct mg_sign_key key;

	memset(&info, 0, sizeof(info));
	memset(&reqs, 0, sizeof(reqs));
	memset(&key, 0, sizeof(key));
	info.automation_id = "modelgate/scan/";
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", merge_opts, NULL)) != -1) {
		const char *name = NULL;

		switch (c) {
		case 'J': name = "json"; break;
		case 'S': name = "sarif"; break;
		case 'U': name = "junit"; break;
		case 'M': name = "markdown"; break;
		case 'C': name = "codequality"; break;
		case 'G': name = "github"; break;
		case 'N': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    v < 1 || v > 1000) {
				cli_warn("merge: --github-max takes 1 to 1000");
				return MG_EXIT_USAGE;
			}
			info.annotations_max = (unsigned)v;
			continue;
		}
		case 'A':
			info.automation_id = optarg;
			continue;
		case 'E':
			allow_empty = 1;
			continue;
		case 'K':
			key_file = optarg;
			continue;
		case 'q':
			quiet = 1;
			continue;
		case 'h':
			fputs(merge_usage, stdout);
			return MG_EXIT_OK;
		default:
			fputs(merge_usage, stderr);
			return MG_EXIT_USAGE;
		}
		if (cli_report_add("merge", &reqs, name, optarg) != 0)
			return MG_EXIT_USAGE;
	}
	if (optind >= argc) {
		fputs(merge_usage, stderr);
		return cli_exit(MG_EXIT_USAGE, "usage error");
	}
	if (cli_timestamp(stamp, sizeof(stamp)) != 0) {
		cli_warn("merge: SOURCE_DATE_EPOCH must be a non-negative integer");
		return cli_exit(MG_EXIT_USAGE, "usage error");
	}
	if (key_file != NULL && mg_sign_key_load(&key, key_file, err,
	    sizeof(err)) != MG_OK) {
		cli_warn("merge: --shard-key %s", err);
		return cli_exit(MG_EXIT_USAGE, "usage error");
	}
	r = mg_merge_load(&m, argv + optind, (size_t)(argc - optind),
	    allow_empty, key_file != NULL ? &key : NULL, err, sizeof(err));
	mg_sign_key_free(&key);
	m.key = NULL;
	if (r == MG_OK && key_file == NULL && m.nsigned > 0)
		cli_warn("merge: %zu report%s signed, but no --shard-key was "
		    "given: the signatures were not checked", m.nsigned,
		    m.nsigned == 1 ? " is" : "s are");
	if (r != MG_OK) {
		cli_warn("merge: %s", err);
		mg_merge_free(&m);
		return cli_exit(r == MG_ERR_USAGE ? MG_EXIT_USAGE :
		    MG_EXIT_INCOMPLETE, "%s", r == MG_ERR_USAGE ?
		    "the reports cannot be merged" : "the merge could not finish");
	}
	info.tool_name = MG_NAME;
	info.tool_version = m.tool_version;
	info.tool_uri = MG_URL;
	info.generated_at = stamp;
	info.policy_source = m.policy;
	info.policy_sha256 = m.policy_sha256;
	info.fail_on = m.fail_on;
	reqs.quiet |= quiet;
	code = cli_reports_write("merge", &reqs, &m.g, &info, m.g.exit_code);
	if (code == MG_EXIT_USAGE)
		code = cli_exit(code, "a report could not be written");
	else if (code == MG_EXIT_FAIL)
		code = cli_exit(code, "violations at or above %s",
		    mg_sev_name((enum mg_sev)info.fail_on));
	else if (code == MG_EXIT_INCOMPLETE)
		code = cli_exit(code, "incomplete: %zu artifact%s could not be "
		    "read or fully checked", m.g.sum.error,
		    m.g.sum.error == 1 ? "" : "s");
	else if (code == MG_EXIT_EMPTY)
		code = cli_exit(code, "nothing to scan (--allow-empty makes "
		    "this 0)");
	else
		code = cli_exit(code, "pass (%u shards)", m.total);
	mg_merge_free(&m);
	return code;
}
