/*
 * gate.h - the gate: turn scanned artifacts plus a policy into verdicts.
 *
 * Evaluation runs once, single-threaded, over the sorted results of a
 * scan (no I/O except reading the lock, manifest and baseline files given
 * in the options), so its output is deterministic for any --jobs.
 *
 * Order: digest pins (policy digests, --lock, --manifest) add findings and
 * synthesise artifacts for missing files; policy checks add POLICY-*
 * findings; then per finding the effective rule settings apply (disabled
 * rules are dropped, severities overridden), fingerprints are computed,
 * suppressions and the baseline mark findings that no longer count; last,
 * each artifact gets a verdict and the run a summary and exit code.
 */
#ifndef MG_GATE_H
#define MG_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "artifact.h"
#include "exitcode.h"
#include "run.h"

struct mg_format;
struct mg_lock;
struct mg_policy;

enum mg_verdict {
	MG_V_PASS = 0,	/* no counting finding at or above fail_on */
	MG_V_FAIL,	/* a counting finding at or above fail_on */
	MG_V_ERROR	/* could not be read or fully checked: fail closed */
};

/* Run-level verdicts, in the order they outrank each other (low first). */
enum mg_run_verdict {
	MG_RV_PASS = 0,
	MG_RV_EMPTY,		/* nothing to scan */
	MG_RV_INCOMPLETE,	/* an artifact errored, no violation outranks */
	MG_RV_FAIL		/* violations */
};


/* Per-finding state after the gate (struct mg_gate_finding.state). */
enum mg_fstate {
	MG_FS_ACTIVE = 0,	/* counts toward the verdict if >= fail_on */
	MG_FS_SUPPRESSED,	/* matched a live suppression */
	MG_FS_BASELINED		/* fingerprint present in the baseline */
};

struct mg_gate_finding {
	const struct mg_finding *f;	/* borrowed from the artifact */
	enum mg_sev	 severity;	/* after policy overrides */
	enum mg_fstate	 state;
	int		 counts;	/* active and >= the artifact's fail_on */
	char		 fingerprint[65]; /* sha256 hex of rule|path|evidence */
	const char	*reason;	/* suppression reason (borrowed) */
};

struct mg_gate_artifact {
	struct mg_artifact *a;		/* borrowed (or owned synthetic) */
	enum mg_verdict	 verdict;
	int		 fail_on;	/* enum mg_sev in force for it */
	struct mg_gate_finding *findings;	/* sorted: severity desc, rule, offset */
	size_t		 nfindings;
	int		 synthetic;	/* 1: made by the gate (missing file,
					   policy file); a is owned */
};

struct mg_gate_summary {
	size_t		 artifacts;
	size_t		 pass, fail, error;
	size_t		 by_sev[MG_SEV_CRIT + 1];	/* counting findings */
	size_t		 suppressed, baselined;
	uint64_t	 bytes;
	double		 seconds;
};

struct mg_gate_opts {
	const char	*lock;		/* --lock FILE, or NULL */
	/*
	 * Or the lock already read (borrowed, read-only; shared by threads):
	 * used instead of lock and the policy's lock file.
	 */
	const struct mg_lock *lock_pins;
	const char	*manifest;	/* --manifest FILE (sha256sum), or NULL */
	const char	*baseline;	/* --baseline OLD.json, or NULL */
	int		 fail_on;	/* --fail-on, or -1: the policy's */
	int		 allow_empty;	/* --allow-empty */
	const char	*today;		/* "YYYY-MM-DD" for suppression expiry */
	char *const	*roots;		/* scan arguments (for lock coverage) */
	size_t		 nroots;
};

struct mg_gate {
	struct mg_gate_artifact *arts;	/* sorted by path */
	size_t		 n;
	struct mg_gate_summary sum;
	enum mg_run_verdict verdict;
	int		 exit_code;
	int		 incomplete;	/* any artifact errored */
};

/*
 * Evaluate.  On a usage problem (unreadable lock, manifest or baseline)
 * returns MG_ERR_USAGE with a message in err.  The gate borrows the run's
 * artifacts: free the gate before the run.
 */
int	mg_gate_eval(struct mg_gate *g, struct mg_run *run,
	    const struct mg_policy *pol, const struct mg_gate_opts *o,
	    char *err, size_t errlen);
void	mg_gate_free(struct mg_gate *g);

/*
 * The policy checks of one artifact (formats, required keys, allowlists,
 * bounds, licences), adding POLICY-* findings.  Touches only that
 * artifact and reads the immutable policy, so workers call it right after
 * the scan; the artifact's metadata tree may then be dropped, since
 * nothing after it reads metadata.  mg_gate_eval runs it for artifacts
 * that have not had it.
 */
void	mg_gate_check_artifact(const struct mg_policy *pol,
	    struct mg_artifact *a);

/*
 * 1 when a suppression with this expiry ("YYYY-MM-DD", "" for none) no
 * longer applies on today ("YYYY-MM-DD", UTC): from its expiry day on.
 */
int	mg_gate_expired(const char *expires, const char *today);

/*
 * Recount a gate's summary, run verdict and exit code from its
 * artifacts' verdicts and findings.  nreal is the number of scanned (not
 * synthetic) artifacts; empty_exit the exit code when it is 0 and nothing
 * failed or errored.  sum.seconds is kept.
 */
void	mg_gate_retally(struct mg_gate *g, size_t nreal, int empty_exit);

/* 1 for artifacts the gate made up ("missing", "policy", ...). */
int	mg_gate_is_synthetic_format(const struct mg_format *f);

const char *mg_verdict_name(enum mg_verdict v);		/* "pass" ... */
const char *mg_run_verdict_name(enum mg_run_verdict v);	/* "pass", "fail", "incomplete", "empty" */
const char *mg_fstate_name(enum mg_fstate s);	/* "active", "suppressed", "baselined" */

#endif /* MG_GATE_H */
