/*
 * cli.h - shared pieces of the command-line front end.
 *
 * The front end uses only the library's public headers.  Exit statuses are
 * the documented contract (README, --help, modelgate.1).
 */
#ifndef MG_CLI_H
#define MG_CLI_H

#include "exitcode.h"

struct mg_run;
struct mg_run_opts;

/* Long options every scanning command shares (getopt codes >= 1000). */
enum {
	CLI_OPT_NO_HASH = 1000,
	CLI_OPT_FOLLOW,
	CLI_OPT_NO_SIDECARS
};
#define CLI_RUN_LONGOPTS \
	{ "jobs", required_argument, NULL, 'j' }, \
	{ "follow-symlinks", no_argument, NULL, CLI_OPT_FOLLOW }, \
	{ "no-sidecars", no_argument, NULL, CLI_OPT_NO_SIDECARS }

/* Defaults: hashing, sidecars, one worker per online CPU. */
void	cli_run_defaults(struct mg_run_opts *ro);
/* Tune the allocator for this many worker threads (before they start). */
void	cli_threads(unsigned jobs);
/*
 * A run's results just before the command returns from main: the
 * kernel takes the memory back at once, so they are only freed where a
 * leak check must see every allocation go (sanitizer builds).
 */
void	cli_run_done(struct mg_run *run);
/*
 * Apply a shared option (-j, --no-hash, --follow-symlinks,
 * --no-sidecars).  Returns 1 when handled, 0 when c is not one of them,
 * -1 after printing why the value is wrong.
 */
int	cli_run_option(const char *cmd, int c, const char *arg,
	    struct mg_run_opts *ro);
/*
 * Check that PATH arguments argv[first..argc) exist (at least one).
 * Returns 0, or -1 after printing the problem and the usage text.
 */
int	cli_check_paths(const char *cmd, int argc, char **argv, int first,
	    const char *usage);

/*
 * The gate's report files a command was asked for (--json FILE, ...):
 * each writer once, never two to one file.  A report on standard output
 * ("-", /dev/stdout) replaces the text report.
 */
struct mg_gate;
struct mg_gate_info;
struct mg_gate_writer;
struct cli_reports {
	struct {
		const char			*path;
		const struct mg_gate_writer	*w;
	}		 r[8];
	size_t		 n;
	int		 quiet;		/* no text report on standard output */
};
/* Add a request; -1 after printing why it is refused. */
int	cli_report_add(const char *cmd, struct cli_reports *rs,
	    const char *writer, const char *path);
/*
 * Write every requested report, then the text report unless quiet.
 * Returns code, or MG_EXIT_USAGE when a report could not be written.
 */
int	cli_reports_write(const char *cmd, struct cli_reports *rs,
	    const struct mg_gate *g, struct mg_gate_info *info, int code);

int	cmd_scan(int argc, char **argv);
int	cmd_bom(int argc, char **argv);
int	cmd_policy(int argc, char **argv);
int	cmd_rules(int argc, char **argv);
int	cmd_formats(int argc, char **argv);
int	cmd_lock(int argc, char **argv);
int	cmd_merge(int argc, char **argv);
int	cmd_serve(int argc, char **argv);

/* Print "modelgate: <msg>" to stderr, control characters escaped. */
void	cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the closing "modelgate: exit N: reason" line and return N. */
int	cli_exit(int code, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Parse --jobs; returns 0 on error. */
unsigned cli_jobs(const char *s);
/*
 * Today's date (UTC, YYYY-MM-DD) for suppression expiry.  The real clock,
 * never SOURCE_DATE_EPOCH: a reproducible build must not revive an
 * expired suppression.
 */
int	cli_today(char out[11]);

/* ISO-8601 UTC generation time, honouring SOURCE_DATE_EPOCH; -1 on error. */
int	cli_timestamp(char *buf, unsigned long len);

#endif
