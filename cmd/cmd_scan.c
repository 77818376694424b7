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
#include "filelist.h"
#include "hash.h"
#include "lockfile.h"
#include "merge.h"
#include "run.h"
#include "shard.h"
#include "sign.h"
#include "strset.h"
#include "version.h"

static const char scan_usage[] =
"usage: modelgate scan [options] PATH...\n"
"\n"
"Scan every model under PATH, check it against the policy, write the\n"
"requested reports and exit with the gate's verdict.  The files beside\n"
"models (shard indexes, GGUF split sets, chat templates, config.json,\n"
"*.py) are checked with them; a file PATH stands alone.\n"
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
"      --codequality FILE  GitLab code quality JSON (active findings)\n"
"      --github FILE       GitHub workflow-command annotations\n"
"      --github-max N      annotate at most N findings (default 10)\n"
"      --automation-id ID  SARIF automationDetails.id (default modelgate/scan/)\n"
"  -q, --quiet             no text report on standard output\n"
"Sharding and pull requests:\n"
"      --shard I/N         scan shard I of N (1-based); `auto` reads\n"
"                          CI_NODE_INDEX/CI_NODE_TOTAL (GitLab, 1-based) or\n"
"                          JOB_COMPLETION_INDEX (Kubernetes, 0-based)\n"
"      --shard-total N     the total for JOB_COMPLETION_INDEX (else\n"
"                          MODELGATE_SHARD_TOTAL)\n"
"      --shard-mode MODE   hash (default: stable per path) or size\n"
"                          (balanced by bytes over the whole listing)\n"
"      --shard-key FILE    sign the shard's --json report with the key in\n"
"                          FILE, for `merge --shard-key FILE` to verify\n"
"      --files-from FILE   scan only the files listed (one per line; '-'\n"
"                          reads standard input)\n"
"  -0, --null              --files-from entries are NUL-separated\n"
"      --changed-since REV scan only files `git diff REV` names and\n"
"                          untracked files (a changed lock or policy, or\n"
"                          no file, scans everything)\n"
"Scanning:\n"
"      --no-hash           skip SHA-256 (pinned digests then cannot be verified)\n"
"  -j, --jobs N            worker threads (default: the CPUs it may use)\n"
"      --follow-symlinks   follow symlinks that stay inside the scan root\n"
"      --no-sidecars       do not merge config.json / tokenizer_config.json\n"
"                          fields (repository checks still read them)\n"
"  -h, --help              show this help\n"
"\n"
"Exit status: 0 pass; 1 violations at or above fail_on; 2 usage or policy\n"
"error; 3 incomplete (an artifact could not be read or fully checked, and\n"
"no violation outranks it); 4 nothing to scan (0 with --allow-empty).\n";

enum {
	OPT_FAIL_ON = 256, OPT_LOCK, OPT_MANIFEST, OPT_BASELINE,
	OPT_ALLOW_EMPTY, OPT_JSON, OPT_SARIF, OPT_JUNIT, OPT_MARKDOWN,
	OPT_AUTOMATION, OPT_CODEQUALITY, OPT_GITHUB, OPT_GITHUB_MAX,
	OPT_SHARD, OPT_SHARD_TOTAL, OPT_SHARD_MODE, OPT_FILES_FROM,
	OPT_CHANGED_SINCE, OPT_SHARD_KEY
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
	{ "codequality", required_argument, NULL, OPT_CODEQUALITY },
	{ "github", required_argument, NULL, OPT_GITHUB },
	{ "github-max", required_argument, NULL, OPT_GITHUB_MAX },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "shard-total", required_argument, NULL, OPT_SHARD_TOTAL },
	{ "shard-mode", required_argument, NULL, OPT_SHARD_MODE },
	{ "shard-key", required_argument, NULL, OPT_SHARD_KEY },
	{ "files-from", required_argument, NULL, OPT_FILES_FROM },
	{ "null", no_argument, NULL, '0' },
	{ "changed-since", required_argument, NULL, OPT_CHANGED_SINCE },
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
 * What the walk offers, narrowed to this shard and to the selected files.
 * The listing pass records every file the policy wants (with its size)
 * and scans none of them.
 */
struct narrow {
	const struct mg_policy	*pol;
	const struct mg_shard	*shard;
	struct mg_listing	*listing;
	const struct mg_strset	*only;	/* --files-from / --changed-since */
	const struct mg_lock	*lock;	/* --lock or the policy's, or NULL */
	int			 listing_pass;
	int			 nomem;
};

/*
 * 1 when this run scans the listed path (its shard, its selection).  With
 * a lock, a file the lock does not list is scanned whatever the
 * selection: not being in the lock is a fact of the listing, and a full
 * scan would report it (HASH-EXTRA) with whatever else it holds.
 */
static int
scanned(void *arg, const char *path)
{
	struct narrow *n = arg;

	if (n->only != NULL && !mg_filelist_has(n->only, path) &&
	    (n->lock == NULL || mg_lock_find(n->lock, path) != NULL))
		return 0;
	return mg_shard_owns(n->shard, n->listing, path);
}

/*
 * A selection that names the policy, a pin list or the baseline (a pull
 * request that repins the lock changes the verdict of files it does not
 * touch), or that names nothing, is no selection: everything is scanned.
 */
static const char *
selection_void(const struct mg_strset *only, const struct mg_policy *pol,
    const char *policy_file, const struct mg_gate_opts *go)
{
	const char *files[5];
	size_t i;

	if (mg_strset_count(only) == 0)
		return "names no file";
	if (mg_filelist_attributes(only))
		return "a .gitattributes file (attributes change the bytes "
		    "checked out of files it does not name)";
	files[0] = policy_file;
	files[1] = go->lock;
	files[2] = pol->lock;
	files[3] = go->manifest;
	files[4] = go->baseline;
	for (i = 0; i < 5; i++)
		if (files[i] != NULL && mg_filelist_has(only, files[i]))
			return files[i];
	return NULL;
}

static int
want(void *arg, const char *display)
{
	struct narrow *n = arg;
	struct stat st;

	if (!mg_policy_wants(n->pol, display))
		return 0;
	if (n->listing_pass) {
		if (mg_listing_add(n->listing, display, stat(display, &st) == 0 ?
		    (uint64_t)st.st_size : 0) != MG_OK)
			n->nomem = 1;
		return 0;
	}
	return scanned(n, display);
}

static int
excluded(void *arg, const char *display, int below)
{
	const struct mg_policy *pol = ((struct narrow *)arg)->pol;

	return below ? mg_policy_excludes_below(pol, display) :
	    mg_policy_excludes(pol, display);
}

/*
 * Placeholders for the pinned files this run leaves out.  The pin lists
 * are read here only to find digests; the gate reads them again and
 * reports their problems.
 */
static int
placeholders(struct mg_run *run, struct narrow *nw, const struct mg_policy *pol,
    const struct mg_gate_opts *go)
{
	struct mg_lock l[3];
	const struct mg_lock *pins[3] = { NULL, NULL, NULL };
	const char *lockfile = go->lock != NULL ? go->lock : pol->lock;
	char err[256];
	size_t i;
	int r;

	memset(l, 0, sizeof(l));
	if (lockfile != NULL && mg_lock_read(&l[0], lockfile, err,
	    sizeof(err)) == MG_OK)
		pins[0] = &l[0];
	if (go->manifest != NULL && mg_manifest_read(&l[1], go->manifest, err,
	    sizeof(err)) == MG_OK)
		pins[1] = &l[1];
	if (pol->npins > 0) {
		const char **paths = calloc(pol->npins, sizeof(*paths));
		const char **hexes = calloc(pol->npins, sizeof(*hexes));

		if (paths != NULL && hexes != NULL) {
			for (i = 0; i < pol->npins; i++) {
				paths[i] = pol->pins[i].path;
				hexes[i] = pol->pins[i].sha256;
			}
			if (mg_lock_from_pins(&l[2], pol->source, paths, hexes,
			    NULL, pol->npins) == MG_OK)
				pins[2] = &l[2];
		}
		free(paths);
		free(hexes);
	}
	r = mg_run_add_placeholders(run, nw->listing, scanned, nw, pins, 3);
	for (i = 0; i < 3; i++)
		if (pins[i] != NULL)
			mg_lock_free(&l[i]);
	return r;
}

static int
digest_file(const char *file, char out[65]);

/*
 * What a merge compares across shards besides the policy: the digests of
 * the pin and baseline files ("" none, "unreadable"), the scan options
 * that change results, and the selection as applied to the listing.
 */
struct shard_inputs {
	char	lock[65], manifest[65], baseline[65];
	char	options[160];
	size_t	selected, assigned;
};

static void
file_digest(const char *file, char out[65])
{
	if (file == NULL)
		out[0] = '\0';
	else if (digest_file(file, out) != 0)
		snprintf(out, 65, "unreadable");
}

static int
shard_inputs(struct shard_inputs *si, struct narrow *nw,
    const struct mg_policy *pol, const struct mg_gate_opts *go,
    const struct mg_run_opts *ro)
{
	struct mg_hash *h = NULL;
	char sel[65];
	size_t i;
	int r = MG_ERR_NOMEM;

	memset(si, 0, sizeof(*si));
	file_digest(go->lock != NULL ? go->lock : pol->lock, si->lock);
	file_digest(go->manifest, si->manifest);
	file_digest(go->baseline, si->baseline);
	if ((h = mg_hash_new()) == NULL || mg_hash_reset(h) != MG_OK)
		goto out;
	for (i = 0; i < nw->listing->n; i++) {
		const char *p = nw->listing->paths[i];

		if (nw->only != NULL && !mg_filelist_has(nw->only, p))
			continue;
		si->selected++;
		if (mg_shard_owns(nw->shard, nw->listing, p))
			si->assigned++;
		if (mg_hash_update(h, p, strlen(p) + 1) != MG_OK)
			goto out;
	}
	if (mg_hash_final_hex(h, sel) != MG_OK)
		goto out;
	snprintf(si->options, sizeof(si->options), "hash=%d follow-symlinks=%d "
	    "sidecars=%d allow-empty=%d selection=%s", ro->scan.hash != 0,
	    ro->scan.follow_symlinks != 0, ro->scan.sidecars != 0,
	    go->allow_empty != 0, nw->only != NULL ? sel : "all");
	r = MG_OK;
out:
	mg_hash_free(h);
	return r;
}

/* SHA-256 of a pin, manifest or baseline file. */
static int
digest_file(const char *file, char out[65])
{
	struct mg_hash *h = NULL;
	char buf[65536];
	size_t k;
	FILE *f = NULL;
	int r = -1;

	if ((f = fopen(file, "rb")) == NULL || (h = mg_hash_new()) == NULL ||
	    mg_hash_reset(h) != MG_OK)
		goto out;
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
		if (mg_hash_update(h, buf, k) != MG_OK)
			goto out;
	if (!ferror(f) && mg_hash_final_hex(h, out) == MG_OK)
		r = 0;
out:
	if (f != NULL)
		fclose(f);
	mg_hash_free(h);
	return r;
}

/* The report options: --json, --sarif, ... name a writer of the table. */
static const char *
writer_for(int c)
{
	return c == OPT_JSON ? "json" : c == OPT_SARIF ? "sarif" :
	    c == OPT_JUNIT ? "junit" : c == OPT_MARKDOWN ? "markdown" :
	    c == OPT_CODEQUALITY ? "codequality" : c == OPT_GITHUB ? "github" :
	    NULL;
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
	mg_strset_free(a->meta_keys);
	a->meta_keys = NULL;
}

int
cmd_scan(int argc, char **argv)
{
	struct cli_reports reqs;
	struct narrow nw;
	struct mg_shard shard;
	struct mg_listing listing;
	struct mg_strset *only = NULL;
	struct mg_lock sel_lock;
	const char *shard_spec = NULL, *files_from = NULL, *changed = NULL;
	const char *key_file = NULL;
	struct mg_sign_key skey;
	unsigned shard_total = 0;
	enum mg_shard_mode shard_mode = MG_SHARD_HASH;
	int nul = 0;
	char psha[65];
	struct mg_gate_opts go;
	struct shard_inputs si;
	struct mg_gate_info info;
	struct mg_run_opts ro;
	struct mg_policy *pol = NULL;
	struct mg_run run;
	struct mg_gate g;
	struct progress prog;
	const char *policy_file = NULL;
	char stamp[64], day[11], err[1024];
	int c, r, quiet = 0, fail_on = -1, code, progress_on = 0;
	enum mg_sev sev;

	memset(&go, 0, sizeof(go));
	memset(&reqs, 0, sizeof(reqs));
	memset(&info, 0, sizeof(info));
	memset(&g, 0, sizeof(g));
	memset(&nw, 0, sizeof(nw));
	memset(&sel_lock, 0, sizeof(sel_lock));
	memset(&shard, 0, sizeof(shard));
	memset(&skey, 0, sizeof(skey));
	mg_listing_init(&listing);
	cli_run_defaults(&ro);
	info.automation_id = "modelgate/scan/";
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:qj:h0", scan_opts, NULL)) != -1) {
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
		case OPT_CODEQUALITY:
		case OPT_GITHUB:
			if (cli_report_add("scan", &reqs, writer_for(c),
			    optarg) != 0)
				return MG_EXIT_USAGE;
			break;
		case OPT_GITHUB_MAX: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    v < 1 || v > 1000) {
				cli_warn("scan: --github-max takes 1 to 1000");
				return MG_EXIT_USAGE;
			}
			info.annotations_max = (unsigned)v;
			break;
		}
		case OPT_SHARD:
			shard_spec = optarg;
			break;
		case OPT_SHARD_TOTAL: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*optarg < '0' || *optarg > '9' || *end != '\0' ||
			    v < 1 || v > MG_SHARD_MAX) {
				cli_warn("scan: --shard-total takes 1 to %u",
				    MG_SHARD_MAX);
				return MG_EXIT_USAGE;
			}
			shard_total = (unsigned)v;
			break;
		}
		case OPT_SHARD_MODE:
			if (mg_shard_mode_parse(optarg, &shard_mode) != MG_OK) {
				cli_warn("scan: --shard-mode takes hash or size");
				return MG_EXIT_USAGE;
			}
			break;
		case OPT_FILES_FROM:
			files_from = optarg;
			break;
		case OPT_SHARD_KEY:
			key_file = optarg;
			break;
		case '0':
			nul = 1;
			break;
		case OPT_CHANGED_SINCE:
			changed = optarg;
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
	if (cli_timestamp(stamp, sizeof(stamp)) != 0 || cli_today(day) != 0) {
		cli_warn("scan: SOURCE_DATE_EPOCH must be a non-negative integer");
		return cli_exit(MG_EXIT_USAGE, "usage error");
	}
	if (shard_spec != NULL && mg_shard_parse(shard_spec, shard_total,
	    &shard, err, sizeof(err)) != MG_OK) {
		cli_warn("scan: %s", err);
		return cli_exit(MG_EXIT_USAGE, "usage error");
	}
	shard.mode = shard_mode;
	if (key_file != NULL) {
		size_t k;
		int json = 0;

		for (k = 0; k < reqs.n; k++)
			json |= strcmp(reqs.r[k].w->name, "json") == 0;
		if (shard.total == 0 || !json) {
			cli_warn("scan: --shard-key signs a shard's --json report: "
			    "give --shard and --json");
			return cli_exit(MG_EXIT_USAGE, "usage error");
		}
		/* Checked now, read again for the report. */
		if (mg_sign_key_load(&skey, key_file, err, sizeof(err)) !=
		    MG_OK) {
			cli_warn("scan: --shard-key %s", err);
			return cli_exit(MG_EXIT_USAGE, "usage error");
		}
		mg_sign_key_free(&skey);
	}
	if (files_from != NULL || changed != NULL) {
		if ((only = mg_strset_new()) == NULL)
			return cli_exit(MG_EXIT_INCOMPLETE, "out of memory");
		r = MG_OK;
		if (files_from != NULL)
			r = mg_filelist_read(only, files_from, nul, err,
			    sizeof(err));
		if (r == MG_OK && changed != NULL)
			r = mg_filelist_git_changed(only, changed, err,
			    sizeof(err));
		if (r != MG_OK) {
			cli_warn("scan: %s", err);
			mg_strset_free(only);
			return cli_exit(MG_EXIT_USAGE, "usage error");
		}
	}
	if (mg_policy_load(&pol, policy_file, err, sizeof(err)) != MG_OK) {
		cli_warn("%s", err);
		mg_strset_free(only);
		return cli_exit(MG_EXIT_USAGE, "policy error");
	}
	ro.scan.arc = pol->arc;

	if (only != NULL) {
		const char *why = selection_void(only, pol, policy_file, &go);
		const char *lockfile = go.lock != NULL ? go.lock : pol->lock;

		if (why != NULL) {
			cli_warn("scan: the file selection %s%s: every file is "
			    "scanned", strcmp(why, "names no file") == 0 ? "" :
			    "names ", why);
			mg_strset_free(only);
			only = NULL;
		} else if (lockfile != NULL && mg_lock_read(&sel_lock, lockfile,
		    err, sizeof(err)) == MG_OK) {
			nw.lock = &sel_lock;
		}
	}
	nw.pol = pol;
	nw.shard = &shard;
	nw.listing = &listing;
	nw.only = only;
	ro.want = want;
	ro.excluded = excluded;
	ro.want_arg = &nw;
	/*
	 * A shard or a file selection first lists the whole tree (a walk, no
	 * reads): the listing digest, the bin packing of size mode, and the
	 * files whose pins are taken as they are.
	 */
	if (shard.total > 0 || only != NULL) {
		struct mg_run lr;

		/* Both passes skip most files: nothing is opened ahead. */
		ro.open_ahead = 0;
		nw.listing_pass = 1;
		r = mg_run_scan(&lr, argv + optind, (size_t)(argc - optind),
		    &ro);
		mg_run_free(&lr);
		nw.listing_pass = 0;
		if (r != MG_OK || nw.nomem ||
		    mg_listing_finish(&listing, &shard) != MG_OK) {
			cli_warn("scan: %s", mg_strerror(MG_ERR_NOMEM));
			mg_strset_free(only);
			mg_listing_free(&listing);
			mg_policy_free(pol);
			if (nw.lock != NULL)
				mg_lock_free(&sel_lock);
			return cli_exit(MG_EXIT_INCOMPLETE,
			    "the scan could not finish");
		}
	}
	ro.post = check_in_worker;
	ro.post_arg = pol;
	ro.no_abspath = 1;	/* the gate's reports name files by path */
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

	if ((shard.total > 0 || only != NULL) &&
	    placeholders(&run, &nw, pol, &go) != MG_OK) {
		cli_warn("scan: %s", mg_strerror(MG_ERR_NOMEM));
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
	/*
	 * A shard reports what only it owns; a shard that got nothing of a
	 * non-empty tree passes (the merge decides).  A pull-request scan
	 * with no changed model passes too.
	 */
	if (shard.total > 0 || only != NULL)
		mg_gate_shard_filter(&g, &shard, &listing,
		    (shard.total > 0 && listing.n > 0) || only != NULL ||
		    go.allow_empty ? MG_EXIT_OK : MG_EXIT_EMPTY);

	info.tool_name = MG_NAME;
	/* Here, not before the scan: the digest library starts up meanwhile. */
	if (mg_policy_digest(pol, psha) != MG_OK) {
		cli_warn("scan: %s", mg_strerror(MG_ERR_NOMEM));
		code = cli_exit(MG_EXIT_INCOMPLETE,
		    "the scan could not finish");
		goto out_gate;
	}
	info.policy_sha256 = psha;
	if (shard.total > 0) {
		info.shard_index = shard.index;
		info.shard_total = shard.total;
		info.shard_mode = mg_shard_mode_name(shard.mode);
		info.list_sha256 = listing.sha256;
		if (shard_inputs(&si, &nw, pol, &go, &ro) != MG_OK) {
			cli_warn("scan: %s", mg_strerror(MG_ERR_NOMEM));
			code = cli_exit(MG_EXIT_INCOMPLETE, "the scan could "
			    "not finish");
			goto out_gate;
		}
		info.shard_selected = si.selected;
		info.shard_assigned = si.assigned;
		info.lock_sha256 = si.lock;
		info.manifest_sha256 = si.manifest;
		info.baseline_sha256 = si.baseline;
		info.options = si.options;
	}
	if (key_file != NULL) {
		if (mg_sign_key_load(&skey, key_file, err, sizeof(err)) !=
		    MG_OK) {
			cli_warn("scan: --shard-key %s", err);
			code = cli_exit(MG_EXIT_USAGE, "usage error");
			goto out_gate;
		}
		info.sign_key = &skey;
	}
	info.tool_version = MG_VERSION;
	info.tool_uri = MG_URL;
	info.generated_at = stamp;
	info.policy_source = pol->source;
	info.fail_on = fail_on >= 0 ? fail_on : pol->fail_on;
	reqs.quiet |= quiet;
	code = cli_reports_write("scan", &reqs, &g, &info, g.exit_code);
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
		code = cli_exit(code, "%s", g.verdict != MG_RV_EMPTY ? "pass" :
		    shard.total > 0 && listing.n > 0 ? "no model in this shard" :
		    only != NULL ? "no selected model to scan" :
		    "nothing to scan, allowed by --allow-empty");
out_gate:
	mg_gate_free(&g);
out_run:
	cli_run_done(&run);
	mg_sign_key_free(&skey);
	mg_policy_free(pol);
	mg_listing_free(&listing);
	mg_strset_free(only);
	if (nw.lock != NULL)
		mg_lock_free(&sel_lock);
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
