/*
 * cmd_scan.c - `modelgate scan`: the gate.
 *
 * Scan, evaluate the policy, write every requested report atomically, and
 * exit with the documented status.  Reports are written even when the
 * verdict is a failure; a report that cannot be written is a usage error
 * (exit 2), since a CI job must not pass on a report it never produced.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "cli.h"
#include "err.h"
#include "gate.h"
#include "gate_report.h"
#include "out.h"
#include "policy.h"
#include "run.h"
#include "version.h"

static const char scan_usage[] =
"usage: modelgate scan [options] PATH...\n"
"\n"
"Scan every model under PATH, check it against the policy, write the\n"
"requested reports and exit with the gate's verdict.\n"
"\n"
"Policy:\n"
"  -p, --policy FILE       policy JSON (default: the embedded policy,\n"
"                          printed by `modelgate policy`)\n"
"      --fail-on SEV       fail on findings at or above SEV: critical, high,\n"
"                          medium, low, info (overrides the policy)\n"
"      --lock FILE         verify digests against a `modelgate lock` file:\n"
"                          changed, missing and new files are findings\n"
"      --manifest FILE     verify digests against a sha256sum manifest\n"
"      --baseline FILE     a previous --json report: only new findings count\n"
"      --allow-empty       exit 0 instead of 4 when nothing was found\n"
"Reports (each written atomically; several may be given):\n"
"      --json FILE         complete machine report\n"
"      --sarif FILE        SARIF 2.1.0 for code scanning\n"
"      --junit FILE        JUnit XML for CI test reports\n"
"      --markdown FILE     short summary (e.g. $GITHUB_STEP_SUMMARY)\n"
"      --automation-id ID  SARIF automationDetails.id (default modelgate/scan/)\n"
"  -q, --quiet             no text report on standard output\n"
"Scanning:\n"
"      --no-hash           skip SHA-256 (pinned digests then cannot be verified)\n"
"  -j, --jobs N            worker threads (default: online CPUs)\n"
"      --follow-symlinks   follow symlinks that stay inside the scan root\n"
"      --no-sidecars       ignore config.json / tokenizer_config.json\n"
"  -h, --help              show this help\n"
"\n"
"Exit status: 0 pass; 1 violations at or above fail_on; 2 usage or policy\n"
"error; 3 incomplete (an artifact could not be read or fully checked, and\n"
"no violation outranks it); 4 nothing to scan (0 with --allow-empty).\n";

enum {
	OPT_FAIL_ON = 256, OPT_LOCK, OPT_MANIFEST, OPT_BASELINE,
	OPT_ALLOW_EMPTY, OPT_JSON, OPT_SARIF, OPT_JUNIT, OPT_MARKDOWN,
	OPT_AUTOMATION
};

static const struct option scan_opts[] = {
	{ "policy", required_argument, NULL, 'p' },
	{ "fail-on", required_argument, NULL, OPT_FAIL_ON },
	{ "lock", required_argument, NULL, OPT_LOCK },
	{ "manifest", required_argument, NULL, OPT_MANIFEST },
	{ "baseline", required_argument, NULL, OPT_BASELINE },
	{ "allow-empty", no_argument, NULL, OPT_ALLOW_EMPTY },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "sarif", required_argument, NULL, OPT_SARIF },
	{ "junit", required_argument, NULL, OPT_JUNIT },
	{ "markdown", required_argument, NULL, OPT_MARKDOWN },
	{ "automation-id", required_argument, NULL, OPT_AUTOMATION },
	{ "quiet", no_argument, NULL, 'q' },
	{ "no-hash", no_argument, NULL, CLI_OPT_NO_HASH },
	CLI_RUN_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Progress on a terminal: counters bumped by workers, shown by a thread. */
struct progress {
	atomic_ulong	 files;
	atomic_ullong	 bytes;
	atomic_int	 stop;
	pthread_t	 th;
	int		 shown;
};

static void
progress_tick(void *arg, uint64_t bytes)
{
	struct progress *p = arg;

	atomic_fetch_add(&p->files, 1);
	atomic_fetch_add(&p->bytes, bytes);
}

static void *
progress_main(void *arg)
{
	struct progress *p = arg;
	struct timespec tick = { 0, 200 * 1000 * 1000 };
	unsigned waited = 0;

	while (!atomic_load(&p->stop)) {
		nanosleep(&tick, NULL);
		/* Only a long scan earns a progress line. */
		if (++waited < 5 || atomic_load(&p->stop))
			continue;
		fprintf(stderr, "\rmodelgate: scanned %lu files, %llu MB   ",
		    atomic_load(&p->files),
		    atomic_load(&p->bytes) / 1000000ull);
		p->shown = 1;
	}
	if (p->shown)
		fputs("\r\033[K", stderr);
	return NULL;
}

/*
 * Today's date (UTC) for suppression expiry.  The real clock, never
 * SOURCE_DATE_EPOCH: a reproducible build must not revive an expired
 * suppression.
 */
static int
today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	strftime(out, 11, "%Y-%m-%d", &tm);
	return 0;
}

static int
want(void *arg, const char *display)
{
	return mg_policy_wants(arg, display);
}

static int
excluded(void *arg, const char *display)
{
	return mg_policy_excludes(arg, display);
}

/*
 * In the worker, right after the scan: the policy checks that need the
 * metadata, then the metadata goes.  What the reports need stays; memory
 * no longer grows with every artifact's metadata until the run ends.
 */
static void
check_in_worker(void *arg, struct mg_artifact *a)
{
	mg_gate_check_artifact(arg, a);
	cJSON_Delete(a->metadata);
	a->metadata = NULL;
}

struct report_req {
	const char		*path;
	mg_gate_writer_fn	 fn;
	const char		*what;
};

int
cmd_scan(int argc, char **argv)
{
	struct report_req reqs[4];
	struct mg_gate_opts go;
	struct mg_gate_info info;
	struct mg_run_opts ro;
	struct mg_policy *pol = NULL;
	struct mg_run run;
	struct mg_gate g;
	struct progress prog;
	const char *policy_file = NULL;
	char stamp[64], day[11], err[1024];
	size_t nreq = 0, i;
	int c, r, quiet = 0, fail_on = -1, code, progress_on = 0;
	enum mg_sev sev;

	memset(&go, 0, sizeof(go));
	memset(&info, 0, sizeof(info));
	memset(&g, 0, sizeof(g));
	cli_run_defaults(&ro);
	info.automation_id = "modelgate/scan/";
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:qj:h", scan_opts, NULL)) != -1) {
		if ((r = cli_run_option("scan", c, optarg, &ro)) != 0) {
			if (r < 0)
				return cli_exit(MG_EXIT_USAGE, "usage error");
			continue;
		}
		switch (c) {
		case 'p':
			policy_file = optarg;
			break;
		case OPT_FAIL_ON:
			if (mg_sev_parse(optarg, &sev) != MG_OK) {
				cli_warn("scan: --fail-on takes critical, high, "
				    "medium, low or info");
				return MG_EXIT_USAGE;
			}
			fail_on = (int)sev;
			break;
		case OPT_LOCK:
			go.lock = optarg;
			break;
		case OPT_MANIFEST:
			go.manifest = optarg;
			break;
		case OPT_BASELINE:
			go.baseline = optarg;
			break;
		case OPT_ALLOW_EMPTY:
			go.allow_empty = 1;
			break;
		case OPT_JSON:
		case OPT_SARIF:
		case OPT_JUNIT:
		case OPT_MARKDOWN:
			for (i = 0; i < nreq; i++)
				if (strcmp(reqs[i].path, optarg) == 0) {
					cli_warn("scan: two reports to one file: %s",
					    optarg);
					return MG_EXIT_USAGE;
				}
			if (nreq == 4) {
				cli_warn("scan: each report may be given once");
				return MG_EXIT_USAGE;
			}
			/* A report on standard output replaces the text one. */
			if (strcmp(optarg, "-") == 0)
				quiet = 1;
			reqs[nreq].path = optarg;
			reqs[nreq].fn = c == OPT_JSON ? mg_report_gate_json :
			    c == OPT_SARIF ? mg_report_sarif :
			    c == OPT_JUNIT ? mg_report_junit : mg_report_markdown;
			reqs[nreq].what = c == OPT_JSON ? "json" :
			    c == OPT_SARIF ? "sarif" : c == OPT_JUNIT ? "junit" :
			    "markdown";
			nreq++;
			break;
		case OPT_AUTOMATION:
			info.automation_id = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			fputs(scan_usage, stdout);
			return MG_EXIT_OK;
		default:
			fputs(scan_usage, stderr);
			return MG_EXIT_USAGE;
		}
	}
	if (cli_check_paths("scan", argc, argv, optind, scan_usage) != 0)
		return cli_exit(MG_EXIT_USAGE, "usage error");
	if (cli_timestamp(stamp, sizeof(stamp)) != 0 || today(day) != 0) {
		cli_warn("scan: SOURCE_DATE_EPOCH must be a non-negative integer");
		return cli_exit(MG_EXIT_USAGE, "usage error");
	}
	if (mg_policy_load(&pol, policy_file, err, sizeof(err)) != MG_OK) {
		cli_warn("%s", err);
		return cli_exit(MG_EXIT_USAGE, "policy error");
	}

	ro.want = want;
	ro.excluded = excluded;
	ro.want_arg = pol;
	ro.post = check_in_worker;
	ro.post_arg = pol;
	memset(&prog, 0, sizeof(prog));
	if (isatty(STDERR_FILENO)) {
		ro.progress = progress_tick;
		ro.progress_arg = &prog;
		progress_on = pthread_create(&prog.th, NULL, progress_main,
		    &prog) == 0;
	}
	r = mg_run_scan(&run, argv + optind, (size_t)(argc - optind), &ro);
	if (progress_on) {
		atomic_store(&prog.stop, 1);
		pthread_join(prog.th, NULL);
	}
	if (r != MG_OK) {
		cli_warn("scan: %s", mg_strerror(r));
		code = cli_exit(MG_EXIT_INCOMPLETE, "the scan could not finish");
		goto out_run;
	}

	go.fail_on = fail_on;
	go.today = day;
	go.roots = argv + optind;
	go.nroots = (size_t)(argc - optind);
	if ((r = mg_gate_eval(&g, &run, pol, &go, err, sizeof(err))) != MG_OK) {
		cli_warn("scan: %s", err);
		code = cli_exit(r == MG_ERR_USAGE || r == MG_ERR_POLICY ?
		    MG_EXIT_USAGE : MG_EXIT_INCOMPLETE, "%s", r == MG_ERR_USAGE ||
		    r == MG_ERR_POLICY ? "usage error" : "the gate could not finish");
		goto out_gate;
	}

	info.tool_name = MG_NAME;
	info.tool_version = MG_VERSION;
	info.tool_uri = MG_URL;
	info.generated_at = stamp;
	info.policy_source = pol->source;
	info.fail_on = fail_on >= 0 ? fail_on : pol->fail_on;
	code = g.exit_code;
	for (i = 0; i < nreq; i++) {
		struct mg_out o;

		if (mg_out_open(&o, reqs[i].path) != MG_OK) {
			cli_warn("scan: cannot write %s report to %s", reqs[i].what,
			    reqs[i].path);
			code = MG_EXIT_USAGE;
			continue;
		}
		if (o.f == stdout)
			quiet = 1;	/* the report is the standard output */
		if ((r = reqs[i].fn(o.f, &g, &info)) != MG_OK ||
		    (r = mg_out_commit(&o)) != MG_OK) {
			mg_out_abort(&o);
			cli_warn("scan: writing the %s report to %s failed: %s",
			    reqs[i].what, reqs[i].path, mg_strerror(r));
			code = MG_EXIT_USAGE;
		}
	}
	if (!quiet) {
		info.color = isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
		if (mg_report_gate_text(stdout, &g, &info) != MG_OK ||
		    fflush(stdout) != 0 || ferror(stdout)) {
			cli_warn("scan: writing the text report to standard "
			    "output failed");
			code = MG_EXIT_USAGE;
		}
	}
	if (code == MG_EXIT_USAGE)
		code = cli_exit(code, "a report could not be written");
	else if (code == MG_EXIT_FAIL)
		code = cli_exit(code, "violations at or above %s",
		    mg_sev_name((enum mg_sev)info.fail_on));
	else if (code == MG_EXIT_INCOMPLETE)
		code = cli_exit(code, "incomplete: %zu artifact%s could not be "
		    "read or fully checked", g.sum.error,
		    g.sum.error == 1 ? "" : "s");
	else if (code == MG_EXIT_EMPTY)
		code = cli_exit(code, "nothing to scan (--allow-empty makes "
		    "this 0)");
	else
		code = cli_exit(code, "%s", g.verdict == MG_RV_EMPTY ?
		    "nothing to scan, allowed by --allow-empty" : "pass");
out_gate:
	mg_gate_free(&g);
out_run:
	mg_run_free(&run);
	mg_policy_free(pol);
	return code;
}

int
cmd_policy(int argc, char **argv)
{
	struct mg_policy *pol = NULL;
	char err[1024];

	if (argc == 1) {
		fputs(mg_policy_default_text(), stdout);
		return MG_EXIT_OK;
	}
	if (argc == 3 && strcmp(argv[1], "--check") == 0) {
		if (mg_policy_load(&pol, argv[2], err, sizeof(err)) != MG_OK) {
			cli_warn("%s", err);
			return cli_exit(MG_EXIT_USAGE, "policy error");
		}
		mg_policy_free(pol);
		cli_warn("%s: policy is valid", argv[2]);
		return MG_EXIT_OK;
	}
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		puts("usage: modelgate policy [--check FILE]\n"
		    "Print the embedded default policy, or validate a policy file.");
		return MG_EXIT_OK;
	}
	cli_warn("usage: modelgate policy [--check FILE]");
	return MG_EXIT_USAGE;
}
