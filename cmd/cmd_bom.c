/*
 * cmd_bom.c - `modelgate bom`: the l-bom compatible bill of materials.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artifact.h"
#include "cli.h"
#include "err.h"
#include "fmt.h"
#include "out.h"
#include "repo.h"
#include "report.h"
#include "run.h"
#include "version.h"

static const char bom_usage[] =
"usage: modelgate bom [options] PATH...\n"
"\n"
"Inventory every model under PATH (files or directories, walked\n"
"recursively) and print a bill of materials (`modelgate formats` lists\n"
"the formats and which are checked).\n"
"Formats are recognised by content, not by extension.  A sharded or split\n"
"set is one entry too: its index (or first shard) carries a \"set\" with\n"
"its shards and total parameters.\n"
"\n"
"Options:\n"
"  -f, --format FMT        json (default), spdx, spdx-json, table, hf-readme,\n"
"                          cyclonedx (CycloneDX 1.6 ML-BOM)\n"
"  -o, --output FILE       write to FILE atomically instead of standard output\n"
"      --no-hash           skip SHA-256 and read only the headers\n"
"  -j, --jobs N            worker threads (default: the CPUs it may use)\n"
"      --follow-symlinks   follow symlinks that stay inside the scan root\n"
"      --no-sidecars       do not merge config.json / tokenizer_config.json\n"
"                          fields (repository checks still read them)\n"
"      --hf-title TEXT     hf-readme: title (default: general.name or file stem)\n"
"      --hf-short-description TEXT\n"
"                          hf-readme: short_description\n"
"      --hf-sdk SDK        hf-readme: gradio, docker or static\n"
"      --hf-app-file FILE  hf-readme: app_file\n"
"      --hf-app-port N     hf-readme: app_port (with --hf-sdk docker)\n"
"  -h, --help              show this help\n"
"\n"
"Exit status: 0 all artifacts read and parsed; 2 usage error; 3 an artifact\n"
"was unreadable or malformed (see its warnings); 4 no model found.\n";

enum {
	OPT_HF_TITLE = 256, OPT_HF_DESC, OPT_HF_SDK, OPT_HF_APP_FILE,
	OPT_HF_APP_PORT
};

static const struct option bom_opts[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "no-hash", no_argument, NULL, CLI_OPT_NO_HASH },
	CLI_RUN_LONGOPTS,
	{ "hf-title", required_argument, NULL, OPT_HF_TITLE },
	{ "hf-short-description", required_argument, NULL, OPT_HF_DESC },
	{ "hf-sdk", required_argument, NULL, OPT_HF_SDK },
	{ "hf-app-file", required_argument, NULL, OPT_HF_APP_FILE },
	{ "hf-app-port", required_argument, NULL, OPT_HF_APP_PORT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* An artifact that was not fully read, or whose structure is broken. */
static int
is_bad(const struct mg_artifact *a)
{
	return !a->complete || mg_artifact_max_sev(a) >= MG_SEV_HIGH;
}

/*
 * Workers write the head of their JSON documents (the repository checks
 * only add findings, which go in the tail); a failure leaves it to the
 * writer.
 */
static void
prerender(void *arg, struct mg_artifact *a)
{
	(void)mg_bom_json_prerender(a, arg);
}

int
cmd_bom(int argc, char **argv)
{
	const struct mg_bom_writer *w = mg_bom_writer_find("json");
	struct mg_bom_info info;
	struct mg_run_opts ro;
	struct mg_run run;
	struct mg_out out;
	const char *output = NULL;
	char stamp[64];
	size_t i, bad = 0;
	int c, r;

	memset(&info, 0, sizeof(info));
	info.hf_app_port = -1;
	cli_run_defaults(&ro);
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:j:h", bom_opts, NULL)) != -1) {
		if ((r = cli_run_option("bom", c, optarg, &ro)) != 0) {
			if (r < 0)
				return MG_EXIT_USAGE;
			continue;
		}
		switch (c) {
		case 'f':
			if ((w = mg_bom_writer_find(optarg)) == NULL) {
				cli_warn("bom: unknown format '%s' (json, spdx, "
				    "spdx-json, table, hf-readme, cyclonedx)", optarg);
				return MG_EXIT_USAGE;
			}
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_HF_TITLE:
			info.hf_title = optarg;
			break;
		case OPT_HF_DESC:
			info.hf_short_description = optarg;
			break;
		case OPT_HF_SDK:
			if (strcmp(optarg, "gradio") != 0 &&
			    strcmp(optarg, "docker") != 0 &&
			    strcmp(optarg, "static") != 0) {
				cli_warn("bom: --hf-sdk takes gradio, docker or static");
				return MG_EXIT_USAGE;
			}
			info.hf_sdk = optarg;
			break;
		case OPT_HF_APP_FILE:
			info.hf_app_file = optarg;
			break;
		case OPT_HF_APP_PORT: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*optarg == '\0' || *end != '\0' || v < 1 || v > 65535) {
				cli_warn("bom: --hf-app-port takes a port number");
				return MG_EXIT_USAGE;
			}
			info.hf_app_port = v;
			break;
		}
		case 'h':
			fputs(bom_usage, stdout);
			return MG_EXIT_OK;
		default:
			fputs(bom_usage, stderr);
			return MG_EXIT_USAGE;
		}
	}
	if (cli_check_paths("bom", argc, argv, optind, bom_usage) != 0)
		return MG_EXIT_USAGE;
	if (info.hf_app_port != -1 && (info.hf_sdk == NULL ||
	    strcmp(info.hf_sdk, "docker") != 0)) {
		cli_warn("bom: --hf-app-port can only be used with --hf-sdk docker");
		return MG_EXIT_USAGE;
	}
	if (cli_timestamp(stamp, sizeof(stamp)) != 0) {
		cli_warn("bom: SOURCE_DATE_EPOCH must be a non-negative integer");
		return MG_EXIT_USAGE;
	}
	info.generated_at = stamp;
	info.tool_name = MG_NAME;
	info.tool_version = MG_VERSION;
	info.color = output == NULL && isatty(STDOUT_FILENO) &&
	    getenv("NO_COLOR") == NULL;

	if (strcmp(w->name, "json") == 0) {
		ro.post = prerender;
		ro.post_arg = &info;
	}
	r = mg_run_scan(&run, argv + optind, (size_t)(argc - optind), &ro);
	if (r != MG_OK) {
		mg_run_free(&run);
		cli_warn("bom: %s", mg_strerror(r));
		return cli_exit(MG_EXIT_INCOMPLETE, "the scan could not finish");
	}
	/* One file named: its document alone, not an array of one. */
	info.single = run.single_file;
	/* A model card describes the model, not the files beside it. */
	if (strcmp(w->name, "hf-readme") == 0) {
		size_t k = 0;

		for (i = 0; i < run.n; i++) {
			if (run.arts[i]->format->flags & MG_FMT_REPO) {
				mg_artifact_free(run.arts[i]);
				free(run.arts[i]);
				continue;
			}
			run.arts[k++] = run.arts[i];
		}
		run.n = k;
	}
	if (strcmp(w->name, "hf-readme") == 0 && run.n != 1) {
		cli_warn("bom: hf-readme describes exactly one model; %zu found",
		    run.n);
		mg_run_free(&run);
		return MG_EXIT_USAGE;
	}
	if (mg_out_open(&out, output) != MG_OK) {
		cli_warn("bom: cannot write %s", output);
		mg_run_free(&run);
		return MG_EXIT_USAGE;
	}
	if ((r = w->write(out.f, run.arts, run.n, &info)) != MG_OK ||
	    (r = mg_out_commit(&out)) != MG_OK) {
		mg_out_abort(&out);
		cli_warn("bom: writing the report failed: %s", mg_strerror(r));
		mg_run_free(&run);
		return MG_EXIT_USAGE;
	}
	for (i = 0; i < run.nerrs; i++)
		cli_warn("%s: %s", run.errs[i].path,
		    run.errs[i].message);
	for (i = 0; i < run.n; i++)
		if (is_bad(run.arts[i]))
			bad++;
	if (bad > 0 || run.nerrs > 0)
		r = cli_exit(MG_EXIT_INCOMPLETE, "%zu of %zu artifacts unreadable "
		    "or malformed, %zu walk errors", bad, run.n, run.nerrs);
	else if (run.n == 0)
		r = cli_exit(MG_EXIT_EMPTY, "no model artifact found");
	else
		r = MG_EXIT_OK;
	cli_run_done(&run);
	return r;
}
