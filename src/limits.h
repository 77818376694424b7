/*
 * limits.h - every cap modelgate applies to untrusted input.
 *
 * Hitting a cap is a finding (the rule named beside it), never a silent
 * skip.  Counts are also checked against the bytes left in the artifact
 * before anything is allocated from them.
 */
#ifndef MG_LIMITS_H
#define MG_LIMITS_H

/* I/O */
#define MG_RD_BUFSZ		(256u * 1024u)	/* reader window per worker */
#define MG_PROBE_MIN_WINDOW	4096u		/* smallest reader window */
#define MG_PROBE_READ		4096u		/* first read of a file */
#define MG_RD_READAHEAD		(28u * 1024u)	/* next read without a digest */
#define MG_HASH_ASYNC_MIN	(1024u * 1024u)	/* archive bytes worth a hasher */
#define MG_MAX_PATH_BYTES	4096u		/* one path, bytes */
#define MG_MAX_WALK_DEPTH	256u		/* directory nesting */

/* GGUF (GGUF-COUNT, GGUF-STR, GGUF-TYPE) */
#define MG_MAX_GGUF_TENSORS	1000000ull	/* tensor_count */
#define MG_MAX_GGUF_KV		1000000ull	/* metadata_kv_count */
#define MG_MAX_GGUF_KEY		65535ull	/* key bytes (spec) */
#define MG_MAX_GGUF_STRING	(256ull << 20)	/* one string value, bytes */
#define MG_MAX_GGUF_ARRAY	(1ull << 30)	/* elements in one array */
#define MG_MAX_GGUF_NEST	8u		/* array-in-array depth */
#define MG_MAX_GGUF_TNAME	63u		/* tensor name bytes (ggml) */
#define MG_MAX_GGUF_DIMS	4u		/* GGML_MAX_DIMS */
#define MG_MAX_GGUF_ALIGN	(1u << 31)	/* every u32 power of two (ggml) */
#define MG_MAX_TEMPLATE		(1u << 20)	/* chat template checked (GGUF-TEMPLATE) */

/*
 * Findings listed per rule per artifact, then one of the rule counting the
 * rest; and per artifact, then LIMIT-FINDINGS counting the rest.  Both are
 * applied by mg_artifact_add, for every parser alike.
 */
#define MG_MAX_SAME_FINDINGS	64u
#define MG_MAX_FINDINGS		1000u

/*
 * Metadata kept per artifact for reports, counted as the memory it takes
 * (JSON nodes, string copies, the duplicate-key table); beyond it values
 * are elided.  Two parses of a 1M-key GGUF stay well under 256 MiB.
 */
#define MG_MAX_META_BYTES	(64ull << 20)
#define MG_ARRAY_PREVIEW	16u		/* l-bom's preview length */

/* safetensors (ST-LEN, ST-JSON) */
#define MG_MAX_ST_HEADER	100000000ull	/* the crate's MAX_HEADER_SIZE */
#define MG_MAX_ST_DEPTH		4u		/* JSON nesting in a header */
#define MG_MAX_ST_TENSORS	1000000ull	/* tensor entries */
#define MG_MAX_ST_DIMS		64u		/* shape rank */

/* Sidecar JSON (config.json, tokenizer_config.json) */
#define MG_MAX_SIDECAR_BYTES	(16u << 20)
#define MG_MAX_SIDECAR_VALUES	1000000u	/* JSON values (cJSON nodes) */
#define MG_MAX_REPO_ENTRIES	100000u	/* directory entries the repository
						   checks look at (repo.c) */
#define MG_MAX_DIRLIST_BYTES	(8u << 20)	/* the walk's listings kept
						   for those checks */

/* Baseline reports read by --baseline */
#define MG_MAX_BASELINE_BYTES	(256ull << 20)

/* Policy files (a hostile policy is a usage error, MG_ERR_POLICY) */
#define MG_MAX_POLICY_BYTES	(4u << 20)	/* policy file size */
#define MG_MAX_POLICY_DEPTH	32u		/* JSON nesting */
#define MG_MAX_POLICY_NODES	1000000u	/* JSON values in one file */
#define MG_MAX_POLICY_LIST	100000u		/* entries in one list or map */
#define MG_MAX_POLICY_STRING	4096u		/* one string value or key */
#define MG_MAX_GLOB_BYTES	4096u		/* one path glob */
#define MG_MAX_POLICY_NUMBER	(1ull << 53)	/* largest number in limits */

/* Pickle (PICKLE-LIMIT, PICKLE-NESTED) */
#define MG_MAX_PICKLE_OPS	100000000ull	/* opcodes per artifact */
#define MG_MAX_PICKLE_STACK	100000u		/* stack items */
#define MG_MAX_PICKLE_MARKS	100000u		/* open MARKs */
#define MG_MAX_PICKLE_MEMO	(1u << 24)	/* memo entries and index */
#define MG_MAX_PICKLE_MEMO_GAP	65536u		/* index beyond the entries so far */
#define MG_MAX_PICKLE_STRING	(4ull << 30)	/* one string or bytes */
#define MG_MAX_PICKLE_LINE	(64u << 20)	/* one protocol 0 text line */
#define MG_MAX_PICKLE_DIGITS	4300u		/* decimal INT/LONG (CPython) */
#define MG_MAX_PICKLE_LONG	1024u		/* LONG1/LONG4 bytes */
#define MG_MAX_PICKLE_KEEP	(64u << 10)	/* bytes kept of one string */
#define MG_MAX_PICKLE_MEM	(256u << 20)	/* symbolic values kept */
#define MG_MAX_PICKLE_ITEMS	16u		/* items kept per container */
#define MG_MAX_PICKLE_IMPORTS	4096u		/* distinct imports */
#define MG_MAX_PICKLE_STREAMS	1024u		/* pickles in one file */
#define MG_MAX_PICKLE_NEST	4u		/* pickles inside pickles */
#define MG_MAX_PICKLE_RESYNC	(1u << 20)	/* bytes searched after a break */
#define MG_MAX_PICKLE_STORAGES	(1u << 20)	/* legacy torch storages */

/* NumPy .npy (NPY-HDR) */
#define MG_MAX_NPY_HEADER	10000u		/* numpy's max_header_size */
#define MG_MAX_NPY_HEADER_HARD	(1u << 20)	/* parsed at all */
#define MG_MAX_NPY_DIMS		64u		/* shape rank (NPY_MAXDIMS) */
#define MG_MAX_NPY_FIELDS	4096u		/* structured dtype fields */

/*
 * Archives (ARC-LIMIT): defaults, each changed by the policy's "archive"
 * section.  Counted on bytes actually decompressed.
 */
#define MG_ARC_DEPTH		3u		/* archives inside archives */
#define MG_ARC_MEMBERS		100000ull	/* entries per archive, all depths */
#define MG_ARC_TOTAL		(64ull << 30)	/* expanded bytes per archive file */
#define MG_ARC_MEMBER		(32ull << 30)	/* expanded bytes per member */
#define MG_ARC_RATIO		1000ull		/* expanded : compressed */
#define MG_ARC_RATIO_FREE	(1ull << 20)	/* expanded bytes before the ratio applies */
#define MG_ARC_NAME		4096u		/* member name bytes */
#define MG_ARC_COMPONENT	255u		/* one name component */
#define MG_ARC_KEEP		(1u << 20)	/* member bytes kept for a format check */
#define MG_ARC_KEEP_TOTAL	(32u << 20)	/* all kept members of one container */
#define MG_ARC_ZIP_TAIL		(8u << 20)	/* zip directory bytes kept to verify */
#define MG_ARC_ZIP_TAIL_MIN	(64u << 10)	/* the ring's first size */

#endif /* MG_LIMITS_H */
