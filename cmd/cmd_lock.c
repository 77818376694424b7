/*
 * cmd_lock.c - `modelgate lock`: pin the SHA-256 of every model artifact
 * under the given paths in a JSON lock file for `modelgate scan --lock`.
 *
 * Fail closed: a lock that silently left out a file it could not read
 * would later let that file through unpinned, so if any artifact could
 * not be read and hashed, or the walk hit an error, nothing is written
 * and the exit status is 3.  The lock is written atomically.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "artifact.h"
#include "cli.h"
#include "err.h"
#include "fmt.h"
#include "lockfile.h"
#include "out.h"
#include "run.h"
#include "text.h"

#define LOCK_DEFAULT_OUTPUT	"modelgate.lock"

static const char lock_usage[] =
"usage: modelgate lock [options] PATH...\n"
"\n"
"Scan every model artifact under PATH (files or directories, walked\n"
"recursively), hash it, and write a lock file pinning its path, size,\n"
"SHA-256, format and key metadata.  `modelgate scan --lock FILE PATH...`\n"
"then reports changed digests (HASH-MISMATCH), missing files\n"
"(HASH-MISSING) and new unlisted files (HASH-EXTRA).  Paths are recorded\n"
"as written on the command line joined with the path below, so run the\n"
"scan from the same directory with the same PATH arguments.\n"
"\n"
"Options:\n"
"  -o, --output FILE       lock file to write (default: " LOCK_DEFAULT_OUTPUT ");\n"
"                          written atomically; '-' for standard output\n"
"  -j, --jobs N            worker threads (default: the CPUs it may use)\n"
"      --follow-symlinks   follow symlinks that stay inside the scan root\n"
"      --no-sidecars       do not merge config.json / tokenizer_config.json\n"
"                          fields (repository checks still read them)\n"
"  -h, --help              show this help\n"
"\n"
"SOURCE_DATE_EPOCH, when set, fixes generated_at for reproducible locks.\n"
"\n"
"Exit status: 0 lock written; 2 usage error or unwritable output; 3 an\n"
"artifact could not be read or hashed (nothing is written); 4 no model\n"
"artifact found (nothing is written).\n";

static const struct option lock_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	CLI_RUN_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Why this artifact cannot be pinned, or NULL. */
static const char *
unpinnable(const struct mg_artifact *a)
{
	size_t i;

	/*
	 * A lock pins bytes: a file read whole has its digest, whether or
	 * not its format is checked or its structure parsed (scan says
	 * what is wrong with it).  Only a file not read whole is refused.
	 */
	for (i = 0; i < a->nfindings; i++)
		if (a->findings[i].rule == MG_R_IO_READ)
			return a->findings[i].message;
	if (a->sha256[0] == '\0')
		return "it could not be read completely";
	if (!mg_utf8_valid(a->path, strlen(a->path)))
		return "its path is not valid UTF-8, which a JSON lock cannot "
		    "record exactly";
	return NULL;
}

int
cmd_lock(int argc, char **argv)
{
	struct mg_run_opts ro;
	struct mg_run run;
	struct mg_out out;
	const char *output = LOCK_DEFAULT_OUTPUT, *why;
	char stamp[64];
	size_t i, bad = 0;
	int c, r;

	memset(&run, 0, sizeof(run));
	cli_run_defaults(&ro);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:j:h", lock_opts, NULL)) != -1) {
		/* A lock always hashes: --no-hash is not among its options. */
		if ((r = cli_run_option("lock", c, optarg, &ro)) != 0) {
			if (r < 0)
				return MG_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case 'o':
			if (*optarg == '\0') {
				cli_warn("lock: --output takes a file name");
				return MG_EXIT_USAGE;
			}
			output = optarg;
			break;
		case 'h':
			fputs(lock_usage, stdout);
			return MG_EXIT_OK;
		default:
			fputs(lock_usage, stderr);
			return MG_EXIT_USAGE;
		}
	}
	if (cli_check_paths("lock", argc, argv, optind, lock_usage) != 0)
		return MG_EXIT_USAGE;
	if (cli_timestamp(stamp, sizeof(stamp)) != 0) {
		cli_warn("lock: SOURCE_DATE_EPOCH must be a non-negative integer");
		return MG_EXIT_USAGE;
	}

	r = mg_run_scan(&run, argv + optind, (size_t)(argc - optind), &ro);
	if (r != MG_OK) {
		mg_run_free(&run);
		cli_warn("lock: %s", mg_strerror(r));
		return cli_exit(MG_EXIT_INCOMPLETE, "the scan could not finish; "
		    "no lock written");
	}
	for (i = 0; i < run.nerrs; i++)
		cli_warn("%s: %s", run.errs[i].path,
		    run.errs[i].message);
	for (i = 0; i < run.n; i++) {
		const struct mg_artifact *a = run.arts[i];

		if ((why = unpinnable(a)) != NULL) {
			cli_warn("lock: %s: cannot pin: %s", a->path, why);
			bad++;
		} else if (a->format == &mg_fmt_lfs) {
			cli_warn("lock: %s: is a Git LFS pointer, not model "
			    "content; its pin is the pointer's digest (run "
			    "`git lfs pull` first)", a->path);
		}
	}
	if (bad > 0 || run.nerrs > 0) {
		r = cli_exit(MG_EXIT_INCOMPLETE, "%zu of %zu artifacts could not "
		    "be pinned, %zu walk errors; no lock written", bad, run.n,
		    run.nerrs);
		goto done;
	}
	if (run.n == 0) {
		r = cli_exit(MG_EXIT_EMPTY, "no model artifact found; no lock "
		    "written");
		goto done;
	}
	if (mg_out_open(&out, output) != MG_OK) {
		cli_warn("lock: cannot write %s", output);
		r = MG_EXIT_USAGE;
		goto done;
	}
	if ((r = mg_lock_write(out.f, run.arts, run.n, stamp)) != MG_OK ||
	    (r = mg_out_commit(&out)) != MG_OK) {
		mg_out_abort(&out);
		cli_warn("lock: writing %s failed: %s", output, mg_strerror(r));
		r = MG_EXIT_USAGE;
		goto done;
	}
	cli_warn("locked %zu artifacts to %s", run.n,
	    strcmp(output, "-") == 0 ? "standard output" :
	    output);
	r = MG_EXIT_OK;
done:
	mg_run_free(&run);
	return r;
}
