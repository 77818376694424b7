/*
 * err.h - the one error enum of modelgate.
 *
 * Fallible functions return MG_OK (0) or a negative MG_ERR_* code.  The
 * human detail (numbers, offsets, names) goes into a finding or a
 * diagnostic buffer; the code only says which class of failure it was.
 */
#ifndef MG_ERR_H
#define MG_ERR_H

enum mg_err {
	MG_OK = 0,
	MG_ERR_NOMEM = -1,	/* an allocation failed */
	MG_ERR_IO = -2,		/* a read, open, stat or write failed */
	MG_ERR_TRUNCATED = -3,	/* fewer bytes than a structure declares */
	MG_ERR_FORMAT = -4,	/* bytes that break the format's rules */
	MG_ERR_LIMIT = -5,	/* a named cap from limits.h was hit */
	MG_ERR_UNSUPPORTED = -6,/* valid, but a variant we do not check */
	MG_ERR_POLICY = -7,	/* a policy file is wrong */
	MG_ERR_INTERNAL = -8,	/* a programmer error */
	MG_ERR_USAGE = -9	/* a command line is wrong */
};

/* A static string for every code; never NULL. */
const char *mg_strerror(int err);

#endif /* MG_ERR_H */
