/*
 * err.c - strings for enum mg_err.
 */
#include "err.h"

const char *
mg_strerror(int err)
{
	switch (err) {
	case MG_OK:			return "success";
	case MG_ERR_NOMEM:		return "out of memory";
	case MG_ERR_IO:			return "input/output error";
	case MG_ERR_TRUNCATED:		return "truncated input";
	case MG_ERR_FORMAT:		return "malformed input";
	case MG_ERR_LIMIT:		return "limit exceeded";
	case MG_ERR_UNSUPPORTED:	return "unsupported variant";
	case MG_ERR_POLICY:		return "policy error";
	case MG_ERR_INTERNAL:		return "internal error";
	case MG_ERR_USAGE:		return "usage error";
	}
	return "unknown error";
}
