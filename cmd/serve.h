/*
 * serve.h - the tools of `modelgate serve` (MCP over stdio) and the state
 * they share.
 *
 * The transport (cmd_serve.c) reads requests, checks the envelope and the
 * arguments, and hands each tools/call to a persistent worker, which runs
 * the tool here with its own long-lived scan context.  Tools only read the
 * shared state: the served roots, the lock read at start and the policy
 * in force, taken by reference so that a reload (SIGHUP) never pulls it
 * from under a running request.
 */
#ifndef MG_SERVE_H
#define MG_SERVE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "lockfile.h"
#include "scan.h"

#define SERVE_MAX_LINE		(1u << 20)	/* one request line, bytes */
#define SERVE_MAX_REPLY		(8u << 20)	/* one response line, bytes */
#define SERVE_MAX_PATHS		256u		/* paths in one call */
#define SERVE_MAX_LISTED	1000u		/* artifacts, findings or files
						   listed in one result */

/* A loaded policy with the lock file it names, shared by reference. */
struct serve_pol {
	struct mg_policy *p;
	struct mg_lock	 lock;		/* the policy's "lock", when have_lock */
	int		 have_lock;
	unsigned	 refs;		/* guarded by serve.pol_mu */
};

struct serve {
	char		**roots;	/* real paths of --root; owned */
	size_t		 nroots;
	const char	*policy_file;	/* NULL: the embedded default */
	struct mg_lock	 lock;		/* --lock, read once */
	int		 have_lock;
	pthread_mutex_t	 pol_mu;
	struct serve_pol *pol;		/* in force; holds one reference */
};

/* Load the policy file (and its lock) afresh; err says why not. */
int	serve_pol_load(const struct serve *s, struct serve_pol **out,
	    char *err, size_t errlen);
/* Take and drop a reference to the policy in force. */
struct serve_pol *serve_pol_get(struct serve *s);
void	serve_pol_put(struct serve *s, struct serve_pol *p);
/* Put a new policy in force; the old one goes with its last reference. */
void	serve_pol_swap(struct serve *s, struct serve_pol *p);

/* Argument kinds of the input schemas. */
enum serve_ptype {
	SP_PATHS,	/* array of 1..SERVE_MAX_PATHS non-empty strings */
	SP_PATH,	/* one non-empty string */
	SP_SEV,		/* "critical", "high", "medium", "low" or "info" */
	SP_BOOL
};

struct serve_param {
	const char	*name;
	enum serve_ptype type;
	int		 required;
	const char	*description;
};

struct serve_tool {
	const char	*name;
	const char	*title;
	const char	*description;
	const struct serve_param *params;	/* ends with a NULL name */
	const char	*output_schema;		/* JSON text */
	/*
	 * Run the tool on checked arguments; returns the CallToolResult as
	 * JSON text (malloc'd), or NULL when out of memory.  cancel, when it
	 * becomes non-zero, stops the walk early (the result is then
	 * dropped by the caller).
	 */
	char		*(*run)(struct serve *s, struct mg_scan_ctx *sc,
			    const cJSON *args, const atomic_int *cancel);
};

extern const struct serve_tool serve_tools[];	/* ends with a NULL name */

const struct serve_tool *serve_tool_find(const char *name);

/*
 * Check arguments (an object, or NULL for none) against the tool's input
 * schema: no unknown member, every required one, each of its type.
 * Returns 0, or -1 with the reason in err.
 */
int	serve_args_check(const struct serve_tool *t, const cJSON *args,
	    char *err, size_t errlen);

/*
 * The tools/list result, {"tools":[...]}, with input schemas made from
 * the parameter tables: JSON text (malloc'd), or NULL.
 */
char	*serve_tools_list(void);

/* A CallToolResult with isError and one text block (malloc'd), or NULL. */
char	*serve_tool_error(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/* The tool error result for a result over SERVE_MAX_REPLY bytes. */
char	*serve_tool_over_cap(const char *tool);

#endif /* MG_SERVE_H */
