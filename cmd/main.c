/*
 * main.c - the modelgate command table and shared front-end helpers.
 */
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#ifdef MG_MIMALLOC
#include <mimalloc.h>
#endif
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "err.h"
#include "gate_report.h"
#include "out.h"
#include "run.h"
#include "text.h"
#include "version.h"

struct command {
	const char	*name;
	int		(*run)(int argc, char **argv);
	const char	*summary;
};

static const struct command commands[] = {
	{ "scan", cmd_scan, "check models against a policy; SARIF, JUnit, JSON reports" },
	{ "bom", cmd_bom, "inventory model files (l-bom compatible)" },
	{ "merge", cmd_merge, "merge the JSON reports of a sharded scan into one gate" },
	{ "lock", cmd_lock, "pin the SHA-256 of every model in a lock file" },
	{ "serve", cmd_serve, "serve scan, bom and verify to agents over MCP (stdio)" },
	{ "rules", cmd_rules, "list every rule with its id, severity and help" },
	{ "policy", cmd_policy, "print the embedded default policy, or --check FILE" },
	{ "formats", cmd_formats, "list the formats recognised by content" },
};

static const char usage_text[] =
"usage: modelgate <command> [options] [PATH...]\n"
"\n"
"Commands:\n"
"%s"
"  version    print the version\n"
"  help       show this help (modelgate <command> --help for a command)\n"
"\n"
"Exit status:\n"
"  0  pass (scan); every artifact read and parsed (bom, lock)\n"
"  1  violations at or above the failing severity (scan)\n"
"  2  usage or policy error: bad option, missing path, a policy, lock,\n"
"     manifest or baseline that does not parse, an unwritable report\n"
"  3  incomplete: an artifact could not be read or fully checked and no\n"
"     violation outranks it (scan); unreadable or malformed (bom, lock)\n"
"  4  nothing to scan (scan --allow-empty makes it 0)\n";

static void
usage(FILE *f)
{
	char list[1024] = "";
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char line[160];

		snprintf(line, sizeof(line), "  %-10s %s\n", commands[i].name,
		    commands[i].summary);
		strncat(list, line, sizeof(list) - strlen(list) - 1);
	}
	fprintf(f, usage_text, list);
}

/*
 * Messages quote paths, policy keys and manifest lines: any of them may
 * carry terminal escapes or a forged CI workflow command, so every line
 * goes out through mg_text_printable().
 */
static void
vsay(const char *prefix, const char *fmt, va_list ap)
{
	char msg[4096], *safe;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	safe = mg_text_printable(msg);
	fprintf(stderr, "modelgate: %s%s\n", prefix, safe != NULL ? safe :
	    "(out of memory)");
	free(safe);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

int
cli_exit(int code, const char *fmt, ...)
{
	char prefix[32];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "exit %d: ", code);
	va_start(ap, fmt);
	vsay(prefix, fmt, ap);
	va_end(ap);
	return code;
}

unsigned
cli_jobs(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > 256 ||
	    s[0] == '-')
		return 0;
	return (unsigned)v;
}

int
cli_timestamp(char *buf, unsigned long len)
{
	const char *e = getenv("SOURCE_DATE_EPOCH");
	time_t t;
	struct tm tm;

	if (e != NULL && *e != '\0') {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(e, &end, 10);
		if (errno != 0 || *end != '\0' || v < 0 || !isdigit((unsigned char)*e))
			return -1;
		t = (time_t)v;
	} else
		t = time(NULL);
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S+00:00", &tm);
	return 0;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CLI_FREE_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CLI_FREE_AT_EXIT 1
#endif
#endif

#ifndef CLI_FREE_AT_EXIT
/* What a run left, still reachable, so leak checkers see no leak. */
static void *volatile cli_kept[2];
#endif

void
cli_run_done(struct mg_run *run)
{
#ifdef CLI_FREE_AT_EXIT
	mg_run_free(run);
#else
	cli_kept[0] = run->arts;
	cli_kept[1] = run->errs;
#endif
}

void
cli_threads(unsigned jobs)
{
#ifdef MG_MIMALLOC
	/*
	 * With one or two workers, commit each thread's first heap segment
	 * whole, so that it too can be huge pages: by default it is committed
	 * a page at a time, and a tree of small models then faults thousands
	 * of times for the results it keeps.  Each thread then holds a few MiB
	 * from the start, which many workers would multiply.
	 */
	if (getenv("MIMALLOC_EAGER_COMMIT_DELAY") == NULL)
		mi_option_set(mi_option_eager_commit_delay, jobs <= 2 ? 0 : 1);
#else
	(void)jobs;
#endif
}

void
cli_run_defaults(struct mg_run_opts *ro)
{
	memset(ro, 0, sizeof(*ro));
	ro->scan.hash = 1;
	ro->scan.sidecars = 1;
	ro->jobs = mg_run_default_jobs();
	ro->open_ahead = 1;
	cli_threads(ro->jobs);
}

int
cli_run_option(const char *cmd, int c, const char *arg,
    struct mg_run_opts *ro)
{
	switch (c) {
	case 'j':
		if ((ro->jobs = cli_jobs(arg)) == 0) {
			cli_warn("%s: --jobs takes a number from 1 to 256", cmd);
			return -1;
		}
		cli_threads(ro->jobs);
		return 1;
	case CLI_OPT_NO_HASH:
		ro->scan.hash = 0;
		return 1;
	case CLI_OPT_FOLLOW:
		ro->scan.follow_symlinks = 1;
		return 1;
	case CLI_OPT_NO_SIDECARS:
		ro->scan.sidecars = 0;
		return 1;
	}
	return 0;
}

int
cli_check_paths(const char *cmd, int argc, char **argv, int first,
    const char *usage)
{
	int i;

	if (first >= argc) {
		cli_warn("%s: no PATH given", cmd);
		fputs(usage, stderr);
		return -1;
	}
	for (i = first; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0) {
			cli_warn("%s: %s: %s", cmd, argv[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static char outbuf[256 << 10];

int
main(int argc, char **argv)
{
	size_t i;

	/*
	 * With the C library's malloc (a build without mimalloc): results
	 * stay in memory until the reports are written; let the
	 * worker heaps grow in large steps instead of page by page, keep
	 * what they freed for the next file instead of returning it, and
	 * serve the archive library's per-archive buffers (hundreds of KiB)
	 * from the heap rather than a fresh mapping each time.  Setting
	 * any of these turns off glibc's own adjustment, so all three.
	 */
	mallopt(M_TOP_PAD, 16 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
#ifdef MG_MIMALLOC
	/*
	 * With mimalloc: heap memory in 2 MiB pages where the kernel offers
	 * them (transparent huge pages), so the results of a large tree cost
	 * one fault per 2 MiB instead of one per 4 KiB.  MIMALLOC_LARGE_OS_PAGES
	 * in the environment still decides.
	 */
	if (getenv("MIMALLOC_LARGE_OS_PAGES") == NULL)
		mi_option_set(mi_option_large_os_pages, 1);
#endif
	/*
	 * Archive member names are UTF-8 in modern archives: the archive
	 * library converts names through the character type locale, and the
	 * C locale cannot hold them.  Nothing else depends on the locale.
	 */
	if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
		(void)setlocale(LC_CTYPE, "C.utf8");
	/*
	 * The archive library converts entry times with the time zone.  With
	 * TZ unset, glibc re-reads the zone on every such call; naming the
	 * default zone lets each call see that nothing changed.  Read it once
	 * here, before any worker.
	 */
	if (getenv("TZ") == NULL)
		(void)setenv("TZ", ":/etc/localtime", 0);
	tzset();
	/*
	 * A report on standard output goes out in large writes: a bom of
	 * thousands of files is tens of MB, and stdio's default for a pipe
	 * or a file is one system call per 4 KiB.  A terminal keeps line
	 * buffering; serve writes its answers with write(2).
	 */
	if (!isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if (argc < 2) {
		usage(stderr);
		return MG_EXIT_USAGE;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return MG_EXIT_OK;
	}
	if (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", MG_NAME, MG_VERSION);
		return MG_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	cli_warn("unknown command '%s' (see modelgate --help)", argv[1]);
	return MG_EXIT_USAGE;
}

int
cli_report_add(const char *cmd, struct cli_reports *rs, const char *writer,
    const char *path)
{
	const struct mg_gate_writer *w = mg_gate_writer_find(writer);
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->r[i].path, path) == 0) {
			cli_warn("%s: two reports to one file: %s", cmd, path);
			return -1;
		}
	if (w == NULL || rs->n == sizeof(rs->r) / sizeof(rs->r[0])) {
		cli_warn("%s: each report may be given once", cmd);
		return -1;
	}
	if (strcmp(path, "-") == 0)
		rs->quiet = 1;
	rs->r[rs->n].path = path;
	rs->r[rs->n].w = w;
	rs->n++;
	return 0;
}

int
cli_reports_write(const char *cmd, struct cli_reports *rs,
    const struct mg_gate *g, struct mg_gate_info *info, int code)
{
	size_t i;
	int r;

	for (i = 0; i < rs->n; i++) {
		struct mg_out o;

		if (mg_out_open(&o, rs->r[i].path) != MG_OK) {
			cli_warn("%s: cannot write %s report to %s", cmd,
			    rs->r[i].w->name, rs->r[i].path);
			code = MG_EXIT_USAGE;
			continue;
		}
		if (o.f == stdout)
			rs->quiet = 1;	/* the report is the standard output */
		if ((r = rs->r[i].w->fn(o.f, g, info)) != MG_OK ||
		    (r = mg_out_commit(&o)) != MG_OK) {
			mg_out_abort(&o);
			cli_warn("%s: writing the %s report to %s failed: %s",
			    cmd, rs->r[i].w->name, rs->r[i].path,
			    mg_strerror(r));
			code = MG_EXIT_USAGE;
		}
	}
	if (!rs->quiet) {
		info->color = isatty(STDOUT_FILENO) &&
		    getenv("NO_COLOR") == NULL;
		if (mg_report_gate_text(stdout, g, info) != MG_OK ||
		    fflush(stdout) != 0 || ferror(stdout)) {
			cli_warn("%s: writing the text report to standard "
			    "output failed", cmd);
			code = MG_EXIT_USAGE;
		}
	}
	return code;
}

int
cli_today(char out[11])
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	strftime(out, 11, "%Y-%m-%d", &tm);
	return 0;
}
