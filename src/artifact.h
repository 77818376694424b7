/*
 * artifact.h - what a scan learns about one artifact.
 *
 * A worker fills one struct mg_artifact per artifact; after the pool has
 * drained, the results are sorted by path and handed to the reports.  The
 * path may name a member inside an archive ("bundle.tar!/dir/model.gguf").
 *
 * Ownership: every pointer in the struct is owned by it and released by
 * mg_artifact_free().  Parsers fill the derived fields through the setters
 * below, which copy their arguments.
 */
#ifndef MG_ARTIFACT_H
#define MG_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "rules.h"

struct mg_format;
struct mg_strset;

#define MG_FINDING_NO_OFFSET UINT64_MAX

struct mg_finding {
	enum mg_rule_id	 rule;
	enum mg_sev	 severity;	/* the rule's default unless policy says */
	char		*message;	/* owned; valid UTF-8 not guaranteed */
	char		*key;		/* owned; metadata key or tensor, or NULL */
	uint64_t	 offset;	/* byte offset, or MG_FINDING_NO_OFFSET */
	uint64_t	 length;	/* bytes the finding is about, or 0 */
	char		*evidence;	/* owned; the offending value, or NULL */
	/*
	 * Owned, or NULL: what else the finding is about, for its
	 * fingerprint.  The whole-repository checks set it to a digest of
	 * every file of the directory they read and of its listing, so a
	 * finding about the other files is never forgiven for other content.
	 */
	char		*bind;
};

/*
 * One stored tensor type of an artifact (GGUF ggml type, safetensors
 * dtype): what the tensors really are, whatever the labels say.
 */
struct mg_ttype {
	char		 name[16];	/* "Q8_0", "F16", "BF16", ... */
	uint64_t	 count;		/* tensors of this type */
	uint64_t	 params;	/* their elements */
	unsigned	 bpw_milli;	/* bits per weight x 1000; 0: unknown */
	int		 quantized;	/* 1: a block-quantized ggml type */
};

/*
 * One import a pickle makes (module and attribute name as the stream
 * spells them), with where it first appears and how it was used.
 */
struct mg_import {
	char		*module;	/* owned */
	char		*name;		/* owned; may hold dots (protocol 4) */
	uint64_t	 offset;	/* first opcode naming it */
	uint32_t	 count;		/* times imported */
	uint32_t	 calls;		/* times called (REDUCE, NEWOBJ, ...) */
	unsigned	 nested;	/* 1: first seen in an embedded pickle,
					   2: in data a plain load would read
					   as opcodes */
	unsigned char	 role;		/* pickle.c's note of what calling it
					   does; 0 until first asked */
	/*
	 * Owned, or NULL: "module.name" as the stream spells it, when the
	 * unpickler's Python 2 mapping imports module.name instead.
	 */
	char		*written;
};

/*
 * A storage a PyTorch pickle declares by persistent id ('storage',
 * torch.XStorage, key, location, numel): the zip checker finds its bytes
 * in the member <root>/data/<key> (container.c, fmt_torch.c).
 */
struct mg_storage {
	char		 key[64];
	uint64_t	 numel;		/* elements */
	unsigned	 elsize;	/* bytes per element */
	const char	*dtype;		/* static: "F32", "BF16", ... */
};

/*
 * One tensor a parser listed (safetensors): what a repository's index
 * is checked against.  name is the key as stored (NUL-terminated copy).
 */
struct mg_tfact {
	char		*name;		/* owned */
	uint64_t	 nbytes;	/* data_offsets span */
	uint64_t	 dim0;		/* first dimension; 0 when none */
	unsigned	 ndim;
	char		 dtype[16];	/* "BF16", ... or "" */
};

/*
 * A named digest: a chat template (GGUF key or sidecar name, SHA-256 of
 * the template's bytes) or a code file a config names (sha256 "" when
 * the file is absent or elsewhere).
 */
struct mg_digest {
	char		*name;		/* owned */
	char		 sha256[65];
};

/*
 * A set of shards reported as one unit (repo.h): on its anchor, the
 * index file or the first shard.
 */
struct mg_set {
	char		*kind;		/* "safetensors", "gguf-split", ... */
	char		**shards;	/* display paths; owned */
	size_t		 nshards;
	uint64_t	 parameter_count;
	uint64_t	 total_bytes;	/* tensor bytes of the shards */
	int		 have_params;
};

/* Flags for the optional numeric fields. */
#define MG_HAVE_PARAMS	0x1u
#define MG_HAVE_CTX	0x2u
#define MG_HAVE_VOCAB	0x4u
#define MG_HAVE_TENSORS	0x8u
#define MG_HAVE_SPLIT	0x10u	/* split_no and split_count are set */
#define MG_HAVE_SPLIT_TENSORS 0x20u	/* split_tensors is set */

struct mg_artifact {
	/*
	 * Display path: scan argument + below; for an archive member, the
	 * file on disk, then "!" and the member's name at each depth
	 * ("bundle.tar.gz!dir/model.gguf", "a.zip!b.tar!c/model.pt").
	 */
	char		*path;
	char		*abspath;	/* absolute path (l-bom's model_path) */
	char		*filename;	/* last component */
	/* Static: a table entry, or mg_fmt_unknown and the like (fmt.h). */
	const struct mg_format *format;
	/*
	 * Where the artifact lives: path[0..disk_len) names the file on disk
	 * (disk_len 0: the whole path does, it is no member), depth is its
	 * archive nesting (0 on disk) and ordinal its place among the
	 * members its file on disk yields (0 for the file itself), which
	 * orders members of equal names.
	 */
	size_t		 disk_len;
	unsigned	 depth;
	size_t		 ordinal;
	uint64_t	 disk_dev, disk_ino;	/* the file on disk, 0: none */
	uint64_t	 size;
	char		 sha256[65];	/* lowercase hex; "" when not hashed */

	/* Derived fields (NULL / flag clear when unknown). */
	char		*architecture;
	char		*quantization;
	char		*dtype;
	char		*license;
	char		*base_model;
	char		*training_framework;
	uint64_t	 parameter_count;
	uint64_t	 context_length;
	uint64_t	 vocab_size;
	uint64_t	 tensor_count;	/* tensors the parser listed */
	/*
	 * A shard of a split set (GGUF split.no, 0-based, of split.count):
	 * a shard after the first carries tensors, not the model's metadata.
	 */
	uint64_t	 split_no, split_count;
	uint64_t	 split_tensors;	/* split.tensors.count */
	unsigned	 have;		/* MG_HAVE_* */
	char		*tokenizer_model;	/* tokenizer.ggml.model, or NULL */
	char		 lfs_oid[65];	/* a Git LFS pointer's oid, or "" */

	/*
	 * Format-specific report data, in l-bom's "metadata" shape: raw
	 * key/values, then the parser's summaries.  Owned; may be NULL.
	 */
	cJSON		*metadata;
	/*
	 * The names of the metadata keys the file declares and the parser
	 * kept in metadata (GGUF keys, safetensors __metadata__ keys, the
	 * npy header's keys), sanitised as metadata spells them.  Owned;
	 * NULL when the parser kept none.  Policies test these, never the
	 * report document.
	 */
	struct mg_strset *meta_keys;

	/*
	 * Stored tensor types in first-seen order (filled by the parser),
	 * and the index of the one holding the most elements (ties: first
	 * seen), or -1 when there are none.
	 */
	struct mg_ttype	*ttypes;
	size_t		 nttypes;
	int		 ttype_major;
	/*
	 * Room in ttypes, and the types by name once there are a few
	 * (artifact.c); both are mg_artifact_add_ttype's alone.
	 */
	size_t		 ttypes_cap;
	struct mg_strmap *ttype_ix;

	/* Parser facts that sidecars may fill when the model lacks them. */
	char		*sidecar_license;	/* owned */
	/*
	 * Why the licence could not be determined, or "": the model declares
	 * none and a sidecar that could supply it exists but could not be
	 * read, or names its licence twice with different values.  With any
	 * licence rule in the policy this is a POLICY-LICENSE finding.
	 */
	char		 lic_indeterminate[160];

	struct mg_finding *findings;
	size_t		 nfindings, findings_cap;

	/*
	 * Typed facts the repository checks use (repo.h): the tensors a
	 * safetensors header lists, in header order; the chat templates
	 * (GGUF keys, sidecar templates) with their digests; the code
	 * modules a config's auto_map names; the set anchored here.  All
	 * owned; NULL / 0 when none.
	 */
	struct mg_tfact	*tensors;
	size_t		 ntensors, tensors_cap;
	int		 skip_tensors;	/* 1: no check reads them; not kept */
	struct mg_digest *templates;
	size_t		 ntemplates;
	struct mg_digest *coderefs;
	size_t		 ncoderefs;
	int		 coderefs_dropped; /* 1: more than the cap named */
	int		 remote_code;	/* 1: loading it runs repository code */
	struct mg_set	*set;

	/* Imports of the pickles in the artifact, first-seen order. */
	struct mg_import *imports;
	size_t		 nimports;
	/*
	 * 1: the pickles are read by TorchScript's unpickler (torch.jit.load),
	 * which resolves __torch__ classes from the archive's own code and
	 * torch.jit._pickle list builders instead of importing: the zip
	 * checker sets it, and every judgement of the imports follows it.
	 */
	int		 torchscript;
	/* Storages the pickles declare (a PyTorch zip's data.pkl). */
	struct mg_storage *storages;
	size_t		 nstorages;

	/*
	 * 1: every byte was read (only the header with --no-hash) and the
	 * parser reached the end of the structure.  0: the artifact was not
	 * fully checked (an I/O error, out of memory, or a parser that had
	 * to stop early; a finding says why).  Never depends on severities.
	 */
	int		 complete;
	int		 unsupported;	/* 1: recognised, no parser yet
					   (FMT-UNSUPPORTED); complete is 0 */
	/*
	 * 1: a parser or an archive reader also stopped early, for a reason
	 * of its own.  An unchecked format a policy accepts never hides
	 * that: such an artifact stays incomplete.
	 */
	int		 partial;
	/*
	 * The format that was not checked (static): the artifact's own when
	 * unsupported, or the one its name makes loaders read it as (a .pt
	 * file holding safetensors is opened by torch.load).  NULL: none.
	 */
	const struct mg_format *unchecked_as;
	/*
	 * The format the name claims when it differs from the content's
	 * (static; NULL: none): policies allow or deny both.
	 */
	const struct mg_format *claimed_as;
	size_t		 dropped;	/* findings past MG_MAX_FINDINGS */
	/*
	 * Findings offered per rule and where each capped rule's summary
	 * sits (see mg_artifact_add).  Owned; NULL until the first finding.
	 * Findings are removed only once uncapped is set (the gate), when
	 * the summaries no longer change.
	 */
	struct mg_tallies *tally;	/* artifact.c */
	int		 uncapped;	/* 1: the gate adds; the caps are off */
	/*
	 * 1 while the whole-repository checks add (repo.h): each rule
	 * lists its first findings and counts the rest, as for a parser,
	 * even once uncapped is set (a directory of n shards has n^2
	 * pairs), and the per-artifact cap drops none of them: with one
	 * summary per rule they are bounded by the rule table.
	 */
	int		 repo_pass;
	int		 policy_checked; /* mg_gate_check_artifact ran */
	char		*rendered;	/* a report entry made by a worker */
	size_t		 rendered_len;	/* its strlen */
	uint64_t	 meta_bytes;	/* bytes copied into metadata so far */
};

void	mg_artifact_init(struct mg_artifact *a);
void	mg_artifact_free(struct mg_artifact *a);	/* accepts NULL */

/*
 * Add a finding with the rule's default severity.  key may be NULL; offset
 * may be MG_FINDING_NO_OFFSET.  Returns MG_OK or MG_ERR_NOMEM.
 *
 * The caps live here, for every parser alike: MG_MAX_SAME_FINDINGS
 * findings of one rule are listed, then one more of that rule says how
 * many were not (its count kept current as they come), so a header with a
 * million bad entries cannot produce a million findings; past
 * MG_MAX_FINDINGS in all the rest are counted in dropped.  With uncapped
 * set (the gate judging) every finding is kept.
 */
int	mg_artifact_add(struct mg_artifact *a, enum mg_rule_id rule,
	    uint64_t offset, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));

/*
 * n more findings of rule when the rule's listed ones are all taken: the
 * same as n calls of mg_artifact_add, which would only count them, in
 * one step.  Returns 1 when it counted them, 0 when the rule still lists
 * findings (then nothing is done and the caller adds them one by one).
 */
int	mg_artifact_count_more(struct mg_artifact *a, enum mg_rule_id rule,
	    uint64_t n);

/*
 * Bind the findings from index `from` on that have no binding yet, and
 * whose rule `about` accepts, to digest (copied).  MG_OK or NOMEM.
 */
int	mg_artifact_bind(struct mg_artifact *a, size_t from, const char *digest,
	    int (*about)(enum mg_rule_id));

/*
 * mg_artifact_add with the extent of the bytes the finding is about
 * (length, 0 when none) and the offending value (evidence, may be NULL,
 * copied up to 256 bytes).  Both feed the finding's fingerprint, so a
 * baseline never forgives different content at the same place.
 */
int	mg_artifact_addx(struct mg_artifact *a, enum mg_rule_id rule,
	    uint64_t offset, uint64_t length, const char *key,
	    const char *evidence, const char *fmt, ...)
	    __attribute__((format(printf, 7, 8)));

/*
 * Count n tensors of params elements under a stored type name (adds the
 * type on first use and keeps ttype_major current).  MG_OK or NOMEM.
 */
int	mg_artifact_add_ttype(struct mg_artifact *a, const char *name,
	    uint64_t n, uint64_t params, unsigned bpw_milli, int quantized);

/* Replace a string field with a copy of s (n bytes; s may hold any bytes). */
int	mg_artifact_set(char **field, const char *s, size_t n);
int	mg_artifact_setz(char **field, const char *s);

/*
 * Append a tensor fact (name n bytes, copied) or a named digest (name
 * copied, hex may be "").  MG_OK or MG_ERR_NOMEM.
 */
int	mg_artifact_add_tensor(struct mg_artifact *a, const char *name,
	    size_t n, uint64_t nbytes, uint64_t dim0, unsigned ndim,
	    const char *dtype, size_t dtypen);
int	mg_artifact_add_digest(struct mg_digest **v, size_t *n,
	    const char *name, const char *hex);

/* Release a set (accepts NULL). */
void	mg_set_free(struct mg_set *s);

/* Highest severity among the findings, or -1 when there are none. */
int	mg_artifact_max_sev(const struct mg_artifact *a);

#endif /* MG_ARTIFACT_H */
