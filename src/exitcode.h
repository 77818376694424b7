/*
 * exitcode.h - the exit statuses of modelgate: the documented contract
 * (README, --help, modelgate.1).  Every command and the gate's summary use
 * these and no other numbers.
 */
#ifndef MG_EXITCODE_H
#define MG_EXITCODE_H

enum mg_exit {
	MG_EXIT_OK = 0,		/* every artifact read, parsed, and passed */
	MG_EXIT_FAIL = 1,	/* findings at or above the failing level */
	MG_EXIT_USAGE = 2,	/* bad command line or policy file */
	MG_EXIT_INCOMPLETE = 3,	/* an artifact unreadable or malformed */
	MG_EXIT_EMPTY = 4	/* nothing to scan */
};

#endif /* MG_EXITCODE_H */
