/*
 * cli.h - shared pieces of the command-line front end.
 *
 * The front end uses only the library's public headers.  Exit statuses are
 * the documented contract (README, --help, modelgate.1).
 */
#ifndef MG_CLI_H
#define MG_CLI_H

enum mg_exit {
	MG_EXIT_OK = 0,		/* every artifact read, parsed, and passed */
	MG_EXIT_VIOLATION = 1,	/* findings at or above the failing level */
	MG_EXIT_USAGE = 2,	/* bad command line or policy file */
	MG_EXIT_INCOMPLETE = 3,	/* an artifact unreadable or malformed */
	MG_EXIT_EMPTY = 4	/* nothing to scan */
};

int	cmd_scan(int argc, char **argv);
int	cmd_bom(int argc, char **argv);
int	cmd_policy(int argc, char **argv);
int	cmd_rules(int argc, char **argv);
int	cmd_lock(int argc, char **argv);

/* Print "modelgate: <msg>" to stderr. */
void	cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the closing "modelgate: exit N: reason" line and return N. */
int	cli_exit(int code, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Parse --jobs; returns 0 on error. */
unsigned cli_jobs(const char *s);
/* ISO-8601 UTC generation time, honouring SOURCE_DATE_EPOCH; -1 on error. */
int	cli_timestamp(char *buf, unsigned long len);
/* Printable form of a path for terminal messages (escapes controls). */
const char *cli_safe(const char *s, char *buf, unsigned long len);

#endif
