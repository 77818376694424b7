/*
 * pickle.h - the static pickle analyser.
 *
 * Walks pickle streams opcode by opcode over an mg_rd with a bounded
 * symbolic stack and memo, resolves every import (GLOBAL, STACK_GLOBAL,
 * INST, OBJ and the dotted names protocol 4 resolves attribute by
 * attribute), attributes calls to them, and classifies each import as
 * safe, unknown or unsafe.  Nothing is ever unpickled, imported or run.
 *
 * The same walker serves raw pickles, joblib files (raw array bytes
 * between opcodes), legacy PyTorch files (five stacked pickles, then the
 * storages) and NumPy object arrays (a pickle after the .npy header).
 */
#ifndef MG_PICKLE_H
#define MG_PICKLE_H

#include <stddef.h>
#include <stdint.h>

struct mg_rd;
struct mg_artifact;
struct mg_pickle_pol;

enum mg_pk_class {
	MG_PK_SAFE = 0,
	MG_PK_UNKNOWN = 1,
	MG_PK_UNSAFE = 2
};

/* How the file around the pickles is laid out. */
enum mg_pk_layout {
	MG_PK_RAW,		/* one pickle (joblib included), maybe more */
	MG_PK_TORCH_LEGACY,	/* magic, protocol, sys_info, object, keys,
				   then storage records */
	MG_PK_EMBEDDED		/* one pickle after another format's header */
};

/*
 * Analyse the pickles from the reader's offset to the end of the file:
 * fills a->metadata (imports, streams, protocol, tensors for legacy
 * torch), the derived fields and the findings.  Returns MG_OK when every
 * stream was read to its STOP and every byte is accounted for, else
 * MG_ERR_FORMAT, MG_ERR_TRUNCATED or MG_ERR_LIMIT after the finding that
 * says why (imports found before and after the problem are still
 * reported), or MG_ERR_IO / MG_ERR_NOMEM.
 */
/*
 * What head[0..n), the start of size bytes, says of a pickle: the probe
 * claims one (MG_PK_PREFIX_PICKLE); or every opcode seen is valid and the
 * view ends inside a string or bytes argument that ends within the size
 * (MG_PK_PREFIX_SKIP: the stream goes on at *cont) or inside a text line
 * (MG_PK_PREFIX_LINE: it goes on after *lines newlines at or beyond
 * *cont) or with every opcode valid and no import yet (MG_PK_PREFIX_MORE:
 * it goes on at *cont); or not (MG_PK_PREFIX_NO).  continuing: head lies
 * inside a stream already followed from its start, so a STOP there ends
 * a pickle.  The two middle answers alone are too
 * weak to claim a file: scan.c follows the stream past them.
 */
enum {
	MG_PK_PREFIX_NO, MG_PK_PREFIX_PICKLE, MG_PK_PREFIX_SKIP,
	MG_PK_PREFIX_LINE, MG_PK_PREFIX_MORE
};
int	mg_pickle_prefix(const unsigned char *head, size_t n, uint64_t size,
	    int continuing, uint64_t *cont, int *lines);

int	mg_pickle_scan(struct mg_rd *rd, struct mg_artifact *a,
	    enum mg_pk_layout layout);

/*
 * Classify one import.  pol may be NULL (the built-in lists only).
 * Order: the policy's deny list, the built-in unsafe list (checked on the
 * full dotted path and on every attribute suffix of it); then, unless the
 * exact name is an entry of a safe list (built-in or the policy's allow),
 * a dangerous final name (system, exec, load, ...) or a name with dots is
 * unsafe; then the policy's allow list, the built-in safe list (a name
 * with dots is never matched by a wildcard), else unknown.
 */
enum mg_pk_class mg_pickle_classify(const struct mg_pickle_pol *pol,
	    const char *module, const char *name);

/*
 * mg_pickle_classify for a pickle TorchScript's unpickler reads
 * (torch.jit.load): its torch.jit._pickle list builders and the archive's
 * own __torch__ classes resolve without an import and are safe.
 */
enum mg_pk_class mg_pickle_classify_ts(const struct mg_pickle_pol *pol,
	    const char *module, const char *name);

/*
 * Re-judge an artifact's imports (a->imports) under a policy's pickle
 * section: the classification findings (PICKLE-UNSAFE, PICKLE-UNKNOWN)
 * the parser added with the built-in lists are replaced.  Nothing happens
 * when the section is absent.  MG_OK or MG_ERR_NOMEM.
 */
int	mg_pickle_policy_apply(const struct mg_pickle_pol *pol,
	    struct mg_artifact *a);

/*
 * The same whatever the policy (pol may be NULL: the built-in lists),
 * under the artifact's own dialect (a->torchscript): for a checker that
 * learns how the pickles are read after they were analysed.
 */
int	mg_pickle_rejudge(const struct mg_pickle_pol *pol,
	    struct mg_artifact *a);

/*
 * 1 when "module.name" (dotted, as written) is matched from its start by
 * the built-in unsafe list (no attribute suffix is tried): for scans of
 * source text, where a trailing name alone says nothing.
 */
int	mg_pickle_listed_unsafe(const char *dotted);

/* The built-in lists, NULL-terminated, for docs and tests. */
extern const char *const mg_pickle_safe_default[];
extern const char *const mg_pickle_unsafe_default[];

#endif /* MG_PICKLE_H */
