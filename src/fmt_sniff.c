/*
 * fmt_sniff.c - formats recognised by content that modelgate cannot check
 * yet: ONNX, HDF5, Keras, TFLite and Core ML (a Keras zip's members are
 * checked by the container pipeline; PyTorch zips and TorchScript are
 * checked in fmt_torch.c, .npz in fmt_numpy.c).
 *
 * Each is a table entry with a probe and no parser.  A file that one of
 * them claims is read (and hashed) like any other, reported with the
 * format it looks like and FMT-UNSUPPORTED, and never counts as checked:
 * a folder of pickles must not scan as an empty, passing tree.  When a
 * parser for one of these lands, its entry moves to a file of its own.
 *
 * Magic numbers (research notes sections 3 and 4): HDF5
 * "\x89HDF\r\n\x1a\n"; TFLite's FlatBuffer identifier "TFL3" at 4;
 * ONNX is a protobuf ModelProto whose first field is ir_version.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "fmt.h"
#include "pickle.h"

/* The first zip entry's name, when the local header is in view. */
int
mg_fmt_zip_first(const unsigned char *head, size_t n,
    const unsigned char **name, size_t *len)
{
	size_t nl;

	if (n < 30 || memcmp(head, "PK\003\004", 4) != 0)
		return 0;
	nl = (size_t)head[26] | (size_t)head[27] << 8;
	if (nl == 0 || nl > n - 30)
		return 0;
	*name = head + 30;
	*len = nl;
	return 1;
}

static int
keras_probe(const unsigned char *head, size_t n, uint64_t size)
{
	const unsigned char *nm;
	size_t nl;

	(void)size;
	if (!mg_fmt_zip_first(head, n, &nm, &nl))
		return 0;
	if ((nl == 13 && memcmp(nm, "metadata.json", 13) == 0) ||
	    (nl == 11 && memcmp(nm, "config.json", 11) == 0) ||
	    (nl == 16 && memcmp(nm, "model.weights.h5", 16) == 0))
		return 80;
	return 0;
}

static int
hdf5_probe(const unsigned char *head, size_t n, uint64_t size)
{
	(void)size;
	return n >= 8 && memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0 ? 95 : 0;
}

/* FlatBuffer: a u32 root table offset, then the file identifier. */
static int
tflite_probe(const unsigned char *head, size_t n, uint64_t size)
{
	uint32_t root;

	if (n < 8 || memcmp(head + 4, "TFL3", 4) != 0)
		return 0;
	root = (uint32_t)head[0] | (uint32_t)head[1] << 8 |
	    (uint32_t)head[2] << 16 | (uint32_t)head[3] << 24;
	return root >= 8 && root % 4 == 0 && root < size ? 90 : 0;
}

/* A protobuf varint at p[*i..n); 0 when it does not end in view. */
static int
varint(const unsigned char *p, size_t n, size_t *i, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (*i < n && shift < 64) {
		unsigned char b = p[(*i)++];

		*v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return 1;
		shift += 7;
	}
	return 0;
}

/*
 * ModelProto: ir_version (field 1, varint, 1 to 64) first, as every
 * writer emits it, then fields of ModelProto with their wire types and
 * lengths that fit the file, as far as the bytes in view go.
 */
static int
onnx_probe(const unsigned char *head, size_t n, uint64_t size)
{
	size_t i = 0, fields = 0;
	uint64_t key, v, at;

	if (!varint(head, n, &i, &key) || key != 0x08 ||
	    !varint(head, n, &i, &v) || v < 1 || v > 64)
		return 0;
	while (i < n) {
		at = i;
		if (!varint(head, n, &i, &key))
			break;
		switch (key) {
		case 0x28:		/* model_version */
			if (!varint(head, n, &i, &v))
				return fields > 0 ? 60 : 0;
			break;
		case 0x12: case 0x1a: case 0x22: case 0x32: case 0x3a:
		case 0x42: case 0x72: case 0xa2: case 0xca:
			/* strings, graph, opset_import, metadata, functions */
			if (key == 0xa2 || key == 0xca)
				i++;	/* two-byte tags: 20 and 25 */
			if (!varint(head, n, &i, &v))
				return fields > 0 ? 60 : 0;
			if (v > size || at + v > size)
				return 0;
			if (v > n - i)
				return 60;	/* runs past the view: fine */
			i += (size_t)v;
			break;
		default:
			return 0;
		}
		fields++;
	}
	return fields > 0 ? 60 : 0;
}

static int
never(const unsigned char *head, size_t n, uint64_t size)
{
	(void)head;
	(void)n;
	(void)size;
	return 0;
}

static const char *const keras_exts[] = { "keras", NULL };
static const char *const hdf5_exts[] = { "h5", "hdf5", NULL };
static const char *const tflite_exts[] = { "tflite", NULL };
static const char *const onnx_exts[] = { "onnx", NULL };
static const char *const coreml_exts[] = { "mlmodel", NULL };

/* Keras: not checked as a whole yet, but every member is. */
const struct mg_format mg_fmt_keras = {
	.name = "keras",
	.exts = keras_exts,
	.probe = keras_probe,
	.flags = MG_FMT_CONTAINER,
};
const struct mg_format mg_fmt_hdf5 = {
	.name = "hdf5",
	.exts = hdf5_exts,
	.probe = hdf5_probe,
};
const struct mg_format mg_fmt_tflite = {
	.name = "tflite",
	.exts = tflite_exts,
	.probe = tflite_probe,
};
const struct mg_format mg_fmt_onnx = {
	.name = "onnx",
	.exts = onnx_exts,
	.probe = onnx_probe,
};
const struct mg_format mg_fmt_coreml = {
	.name = "coreml",
	.exts = coreml_exts,
	.probe = never,
};

/* ---- what a file's name makes loaders read it as -------------------- */

static int
name_is(const char *base, const char *prefix, const char *suffix)
{
	size_t lb = strlen(base), lp = strlen(prefix), ls = strlen(suffix);

	return lb >= lp + ls && strncmp(base, prefix, lp) == 0 &&
	    strcmp(base + lb - ls, suffix) == 0;
}

/* No extension, or one that says nothing about the format (".bin"). */
static int
generic_name(const char *base)
{
	const char *dot = strrchr(base, '.');

	return dot == NULL || dot == base || strcasecmp(dot, ".bin") == 0;
}

/* A compressed stream: gzip, zlib, xz, bzip2, lz4, lzma or zstd. */
int
mg_fmt_compressed_magic(const unsigned char *head, size_t n)
{
	return (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) ||
	    (n >= 2 && head[0] == 0x78 && (head[1] == 0x01 ||
	    head[1] == 0x5e || head[1] == 0x9c || head[1] == 0xda)) ||
	    (n >= 6 && memcmp(head, "\xfd" "7zXZ\0", 6) == 0) ||
	    (n >= 3 && memcmp(head, "BZh", 3) == 0) ||
	    (n >= 4 && memcmp(head, "\x04\x22\x4d\x18", 4) == 0) ||
	    (n >= 4 && memcmp(head, "\x28\xb5\x2f\xfd", 4) == 0) ||
	    (n >= 3 && head[0] == 0x5d && head[1] == 0 && head[2] == 0);
}

/*
 * A compression suffix over a model name ("model.pkl.gz"), or joblib's
 * own ".z": what joblib.load decompresses and unpickles.
 */
static int
compressed_model_name(const char *base)
{
	static const char *const comp[] = { ".z", ".gz", ".bz2", ".xz",
	    ".lzma", ".lz4", ".zst", NULL };
	static const char *const inner[] = { ".pkl", ".pickle", ".joblib",
	    ".pt", ".pth", ".ckpt", ".bin", ".npy", NULL };
	const char *dot = strrchr(base, '.'), *prev;
	size_t i, k, m;

	if (dot == NULL || dot == base)
		return 0;
	for (i = 0; comp[i] != NULL; i++)
		if (strcasecmp(dot, comp[i]) == 0)
			break;
	if (comp[i] == NULL)
		return 0;
	if (strcasecmp(dot, ".z") == 0)
		return 1;
	for (prev = dot; prev > base && prev[-1] != '.'; prev--)
		;
	if (prev == base)
		return 0;
	prev--;
	m = (size_t)(dot - prev);
	for (k = 0; inner[k] != NULL; k++)
		if (strlen(inner[k]) == m && strncasecmp(prev, inner[k], m) == 0)
			return 1;
	return 0;
}

/*
 * joblib's default compression is a bare zlib stream (two header bytes,
 * or before 0.10 "ZF", the length in hex padded to 19 bytes, then zlib),
 * no name, no magic of its own) and joblib.load recognises it by those
 * bytes whatever the file is called.  A zlib header whose first inflated
 * bytes open a pickle is one, under any name.
 */
size_t
mg_fmt_zfile_header(const unsigned char *head, size_t n)
{
	size_t i;

	if (n < MG_ZFILE_HEADER || head[0] != 'Z' || head[1] != 'F' ||
	    head[2] != '0' || (head[3] != 'x' && head[3] != 'X'))
		return 0;
	for (i = 4; i < MG_ZFILE_HEADER; i++)
		if (!((head[i] >= '0' && head[i] <= '9') ||
		    (head[i] >= 'a' && head[i] <= 'f') ||
		    (head[i] >= 'A' && head[i] <= 'F') || head[i] == 'L' ||
		    head[i] == ' '))
			return 0;
	return MG_ZFILE_HEADER;
}

static int
zlib_pickle(const unsigned char *head, size_t n, uint64_t size)
{
	unsigned char out[2048];
	uint64_t cont;
	z_stream z;
	size_t skip = mg_fmt_zfile_header(head, n);
	int r, ok = 0, lines;

	(void)size;
	head += skip;
	n -= skip;
	if (n < 3 || head[0] != 0x78 || ((head[0] << 8) | head[1]) % 31 != 0 ||
	    (head[1] & 0x20) != 0)	/* FDICT: joblib never sets it */
		return 0;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return 0;
	z.next_in = (unsigned char *)(uintptr_t)head;
	z.avail_in = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
	z.next_out = out;
	z.avail_out = sizeof(out);
	r = inflate(&z, Z_SYNC_FLUSH);
	/*
	 * A pickle, or one whose first argument runs past what was
	 * inflated: the member is followed further when it is scanned.  A
	 * valid stream that gave nothing yet (empty blocks first) is one
	 * too: only its inflated bytes can tell.
	 */
	if ((r == Z_OK || r == Z_STREAM_END || r == Z_BUF_ERROR) &&
	    z.total_out > 0)
		ok = mg_pickle_prefix(out, z.total_out, r == Z_STREAM_END ?
		    z.total_out : UINT64_MAX, 0, &cont, &lines) !=
		    MG_PK_PREFIX_NO ||
		    mg_fmt_torch_legacy.probe(out, z.total_out, UINT64_MAX) > 0;
	else if ((r == Z_OK || r == Z_BUF_ERROR) && z.avail_in == 0)
		ok = 1;
	inflateEnd(&z);
	return ok ? 60 : 0;
}

/* A zlib start that inflates without error as far as it goes. */
static int
zlib_inflates(const unsigned char *head, size_t n)
{
	unsigned char out[2048];
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return 1;	/* no means to tell: the reader will */
	z.next_in = (unsigned char *)(uintptr_t)head;
	z.avail_in = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
	do {
		z.next_out = out;
		z.avail_out = sizeof(out);
		r = inflate(&z, Z_SYNC_FLUSH);
	} while (r == Z_OK && z.avail_in > 0 && z.avail_out == 0);
	inflateEnd(&z);
	return r == Z_OK || r == Z_STREAM_END || r == Z_BUF_ERROR;
}

static const char *const compressed_exts[] = { NULL };

/*
 * A compressed stream that a loader decompresses and unpickles
 * (joblib.load), recognised by name and content; by content alone only
 * as a zlib stream of a pickle (a .tar.gz of documents is not a model).  container.c reads it: zlib
 * (joblib's default compression, which has no format of its own in the
 * table) through zlib, the others through libarchive's filters.
 */
const struct mg_format mg_fmt_compressed = {
	.name = "compressed",
	.exts = compressed_exts,
	.probe = zlib_pickle,
	.flags = MG_FMT_CONTAINER | MG_FMT_ARCHIVE | MG_FMT_STREAM,
};

const struct mg_format *
mg_fmt_claim_by_name(const char *filename, const unsigned char *head,
    size_t n)
{
	const char *base = strrchr(filename, '/');

	base = base != NULL ? base + 1 : filename;
	if (mg_fmt_compressed_magic(head, n) && compressed_model_name(base))
		return &mg_fmt_compressed;
	/* Names the Hugging Face libraries open with torch.load. */
	if (name_is(base, "pytorch_model", ".bin") ||
	    strcmp(base, "training_args.bin") == 0 ||
	    name_is(base, "optimizer", ".bin") ||
	    name_is(base, "scheduler", ".bin") ||
	    name_is(base, "rng_state", ".bin"))
		return &mg_fmt_pytorch;
	if (!generic_name(base))
		return NULL;
	/*
	 * torch.load takes any zip as a checkpoint and an old tar as its
	 * legacy format; joblib.load takes a compressed stream as a
	 * compressed pickle.  Under a name that says nothing else, that is
	 * what they are.
	 */
	if (n >= 4 && memcmp(head, "PK\003\004", 4) == 0)
		return &mg_fmt_pytorch;
	if (n >= 262 && memcmp(head + 257, "ustar", 5) == 0)
		return &mg_fmt_pytorch;
	/* Two bytes of zlib magic are weak: the start must inflate. */
	if (mg_fmt_compressed_magic(head, n) && (head[0] != 0x78 ||
	    zlib_inflates(head, n)))
		return &mg_fmt_compressed;
	return NULL;
}
