/*
 * fmt.h - the format table.
 *
 * Each supported format is one `const struct mg_format` in its own file
 * (fmt_gguf.c, fmt_safetensors.c, ...) and one line in the table in fmt.c.
 * The scanner peeks at the first bytes, asks every format's probe for a
 * score and hands the reader to the highest bidder's parser.
 */
#ifndef MG_FMT_H
#define MG_FMT_H

#include <stddef.h>
#include <stdint.h>

struct mg_rd;
struct mg_artifact;
struct mg_members;

#define MG_PROBE_BYTES	512u	/* bytes a probe may look at */

struct mg_format {
	const char	*name;		/* "gguf": the report's format field */
	const char *const *exts;	/* lowercase, no dot, NULL-terminated */

	/*
	 * Score 0 (not this format) to 100 (certain) from the first bytes
	 * (n <= MG_PROBE_BYTES; fewer only for short files) and the
	 * declared size.  Must not read past head[n - 1].
	 */
	int		(*probe)(const unsigned char *head, size_t n,
			    uint64_t size);

	/*
	 * Parse from offset 0.  Fills a->metadata and the derived fields and
	 * adds findings.  Returns MG_OK when the structure was read to its
	 * end (findings may still have been added), MG_ERR_FORMAT,
	 * MG_ERR_TRUNCATED or MG_ERR_LIMIT after adding the finding that
	 * explains why parsing stopped, or MG_ERR_IO / MG_ERR_NOMEM when
	 * the reader or an allocation failed.  Reads only what the header
	 * needs: the caller drains the rest when a digest is wanted.
	 * NULL: the format is recognised but not checked yet; its files are
	 * hashed and reported FMT-UNSUPPORTED, never as checked.
	 */
	int		(*parse)(struct mg_rd *rd, struct mg_artifact *a);

	unsigned	 flags;		/* MG_FMT_* */

	/*
	 * A model format on a container (MG_FMT_CONTAINER without
	 * MG_FMT_ARCHIVE) checked as a whole: role says what the container
	 * reader does with a member before reading it (MG_MEMBER_* in
	 * container.h; first is the name of the first member, which holds
	 * a PyTorch archive's root folder), and check judges the members
	 * once the container has been read.  check returns MG_OK when the
	 * format is complete, MG_ERR_FORMAT after the finding that says why
	 * not, or MG_ERR_NOMEM.  NULL: the format as a whole is not checked
	 * (FMT-UNSUPPORTED; its members still are).
	 */
	unsigned	(*role)(const char *first, size_t flen,
			    const char *name, size_t nlen);
	int		(*check)(const struct mg_members *m,
			    struct mg_artifact *a);
};

/*
 * The entry stands for no file content: an artifact the gate makes for a
 * missing pin, the lock or policy file, or a path the walk could not read.
 * Such artifacts have no bytes to count and no listing entry.
 */
#define MG_FMT_SYNTHETIC	0x1u

/*
 * A container: its members are read through libarchive (container.c) and
 * scanned as artifacts of their own.  An archive only carries files (zip,
 * tar, a compressed stream); the other containers are model formats built
 * on zip (PyTorch, .npz, Keras).
 */
#define MG_FMT_CONTAINER	0x2u
#define MG_FMT_ARCHIVE		0x4u
#define MG_FMT_STREAM		0x8u	/* a compressed stream (one member) */
/*
 * A file of a model repository that is no model but tells a loader what
 * to load or run (a shard index, a chat template, a config, a Python
 * module): made by the repository checks (repo.h), hashed, never held to
 * formats.allow.
 */
#define MG_FMT_REPO		0x10u

extern const struct mg_format mg_fmt_gguf;
extern const struct mg_format mg_fmt_safetensors;
extern const struct mg_format mg_fmt_lfs;
extern const struct mg_format mg_fmt_pickle;		/* fmt_pickle.c */
extern const struct mg_format mg_fmt_torch_legacy;	/* fmt_pickle.c */
extern const struct mg_format mg_fmt_numpy;		/* fmt_numpy.c */
extern const struct mg_format mg_fmt_npz;		/* fmt_numpy.c */
extern const struct mg_format mg_fmt_pytorch;		/* fmt_torch.c */
extern const struct mg_format mg_fmt_torchscript;	/* fmt_torch.c */
/* Recognised, not checked yet (fmt_sniff.c). */
extern const struct mg_format mg_fmt_keras;
extern const struct mg_format mg_fmt_hdf5;
extern const struct mg_format mg_fmt_tflite;
extern const struct mg_format mg_fmt_onnx;
extern const struct mg_format mg_fmt_coreml;
extern const struct mg_format mg_fmt_compressed;
/* Archives and compressed streams (fmt_archive.c). */
extern const struct mg_format mg_fmt_zip;
extern const struct mg_format mg_fmt_tar;
extern const struct mg_format mg_fmt_7z;
extern const struct mg_format mg_fmt_gzip;
extern const struct mg_format mg_fmt_bzip2;
extern const struct mg_format mg_fmt_xz;
extern const struct mg_format mg_fmt_lzma;
extern const struct mg_format mg_fmt_zstd;
extern const struct mg_format mg_fmt_lz4;

/*
 * Entries outside the detection table (probe and parse NULL, never bid):
 * what an artifact is when no format claimed it, and the artifacts that
 * verification, the gate and a merge make up.
 */
extern const struct mg_format mg_fmt_unknown;	/* no format claimed it */
extern const struct mg_format mg_fmt_file;	/* a pinned file, no model */
extern const struct mg_format mg_fmt_unscanned;	/* pinned, not read (shard) */
extern const struct mg_format mg_fmt_missing;	/* MG_FMT_SYNTHETIC ... */
extern const struct mg_format mg_fmt_manifest;
extern const struct mg_format mg_fmt_policy;
extern const struct mg_format mg_fmt_unreadable;
/* Repository files (MG_FMT_REPO, repo.c). */
extern const struct mg_format mg_fmt_weight_index;
extern const struct mg_format mg_fmt_chat_template;
extern const struct mg_format mg_fmt_hf_config;
extern const struct mg_format mg_fmt_python;

/* The highest bidder for these first bytes, or NULL. */
const struct mg_format *mg_fmt_detect(const unsigned char *head, size_t n,
	    uint64_t size);

/* The format a file name's extension claims, or NULL (case-insensitive). */
const struct mg_format *mg_fmt_by_ext(const char *filename);

/*
 * The format that loaders going by the name read a file as, when the
 * extension does not say: well-known names (pytorch_model*.bin and the
 * other files transformers opens with torch.load), and, for a name that
 * says nothing (no extension, .bin), a zip or an old tar (torch.load) or a
 * compressed stream (joblib.load).  NULL when the name claims nothing.
 */
const struct mg_format *mg_fmt_claim_by_name(const char *filename,
	    const unsigned char *head, size_t n);

/*
 * The entry a report names (detection table first, then the entries
 * above), for names read back from outside; NULL when none has it.  Two
 * table entries may share a name ("pytorch": the legacy checkpoint modelgate
 * checks and the zip it does not): the first wins.
 */
const struct mg_format *mg_fmt_by_name(const char *name);

/*
 * 1 when a and b are reported as the same format: the same entry, or two
 * entries that share a name.
 */
int	mg_fmt_same_name(const struct mg_format *a, const struct mg_format *b);

/*
 * The first zip entry's name when its local header is in view: 1 with
 * *name pointing into head, else 0.
 */
int	mg_fmt_zip_first(const unsigned char *head, size_t n,
	    const unsigned char **name, size_t *len);

/* 1 when the bytes open a compressed stream (gzip, zlib, xz, ...). */
int	mg_fmt_compressed_magic(const unsigned char *head, size_t n);

/* Table access for `modelgate formats` and tests. */
size_t	mg_fmt_count(void);
const struct mg_format *mg_fmt_at(size_t i);

/*
 * joblib's old zfile: "ZF", the uncompressed length as Python's hex()
 * padded with blanks to 19 bytes, then a zlib stream.  The header's
 * length when head[0..n) opens with one, else 0.
 */
#define MG_ZFILE_HEADER	21u
size_t	mg_fmt_zfile_header(const unsigned char *head, size_t n);

#endif /* MG_FMT_H */
