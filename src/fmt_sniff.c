/*
 * fmt_sniff.c - formats recognised by content that modelgate cannot check
 * yet: pickle, PyTorch checkpoints (zip and legacy), TorchScript, NumPy,
 * ONNX, HDF5, Keras, TFLite and Core ML.
 *
 * Each is a table entry with a probe and no parser.  A file that one of
 * them claims is read (and hashed) like any other, reported with the
 * format it looks like and FMT-UNSUPPORTED, and never counts as checked:
 * a folder of pickles must not scan as an empty, passing tree.  When a
 * parser for one of these lands, its entry moves to a file of its own.
 *
 * Magic numbers (research notes sections 3 and 4): pickle protocol 2+
 * opens with PROTO (0x80, version); torch's legacy format with the pickled
 * magic number 0x1950a86a20f9469cfc6c; torch.load takes any "PK\3\4" as a
 * zip and finds the root in the first entry's name; NumPy "\x93NUMPY";
 * HDF5 "\x89HDF\r\n\x1a\n"; TFLite's FlatBuffer identifier "TFL3" at 4;
 * ONNX is a protobuf ModelProto whose first field is ir_version.
 */
#include <string.h>
#include <strings.h>

#include "fmt.h"

/* Opcodes a pickle may start with after PROTO (protocols 2 to 5). */
static int
pickle_opcode(unsigned char c)
{
	static const char ops[] = "(.0123FIJKLMNPQRSTUVXabcdeghijlopqrstu}])"
	    "BCG";

	return (c >= 0x80 && c <= 0x98) || (c != 0 && strchr(ops, c) != NULL);
}

/*
 * A text argument of protocol 0 at p[i..n): printable bytes (identifier
 * bytes when ident) up to a newline.  Its length with the newline, 0 when
 * it runs past the view, -1 when a byte does not belong.
 */
static long
text_arg(const unsigned char *p, size_t n, size_t i, int ident)
{
	size_t j;

	for (j = i; j < n && p[j] != '\n'; j++)
		if (p[j] < 0x20 || p[j] > 0x7e || (ident && !(p[j] == '_' ||
		    p[j] == '.' || (p[j] >= '0' && p[j] <= '9') ||
		    (p[j] >= 'a' && p[j] <= 'z') || (p[j] >= 'A' &&
		    p[j] <= 'Z'))))
			return -1;
	if (j == n)
		return 0;
	return j > i || !ident ? (long)(j + 1 - i) : -1;
}

/*
 * Protocols 0 and 1 have no header: walk the opcodes in view.  A pickle
 * is claimed when every opcode seen is valid with its argument and either
 * one of them imports a name (GLOBAL or INST) before a STOP or before the
 * view ends (after at least six opcodes, with more of the file to come),
 * or the opcodes (three or more) end with STOP exactly at the end of the
 * file.  Text rarely survives the first opcodes.
 */
static int
pickle01(const unsigned char *p, size_t n, uint64_t size)
{
	size_t i = 0, ops = 0, m, len;
	int imports = 0, more = size > n;
	long k;

	while (i < n) {
		unsigned char op = p[i++];

		ops++;
		switch (op) {
		case 'c':	/* GLOBAL module\nname\n */
		case 'i':	/* INST module\nname\n */
			if ((k = text_arg(p, n, i, 1)) <= 0)
				goto edge;
			i += (size_t)k;
			if ((k = text_arg(p, n, i, 1)) <= 0)
				goto edge;
			i += (size_t)k;
			imports = 1;
			break;
		case 'I': case 'L': case 'F': case 'S': case 'V': case 'p':
		case 'g': case 'P':
			if ((k = text_arg(p, n, i, 0)) <= 0)
				goto edge;
			i += (size_t)k;
			break;
		case 'K': case 'h': case 'q':
			m = 1;
			goto fixed;
		case 'M':
			m = 2;
			goto fixed;
		case 'J': case 'j': case 'r':
			m = 4;
			goto fixed;
		case 'G':
			m = 8;
		fixed:
			if (n - i < m) {
				k = 0;
				goto edge;
			}
			i += m;
			break;
		case 'U': case 'T': case 'X': case 'B': case 'C':
			/* counted strings, unicode and bytes */
			m = op == 'U' || op == 'C' ? 1 : 4;
			if (n - i < m) {
				k = 0;
				goto edge;
			}
			len = p[i];
			if (m == 4)
				len |= (size_t)p[i + 1] << 8 |
				    (size_t)p[i + 2] << 16 |
				    (size_t)p[i + 3] << 24;
			i += m;
			if (len > n - i) {
				k = len <= size ? 0 : -1;
				goto edge;
			}
			i += len;
			break;
		case '(': case ')': case ']': case '}': case 'N': case '0':
		case '1': case '2': case 'R': case 'a': case 'b': case 'd':
		case 'e': case 'l': case 'o': case 's': case 't': case 'u':
		case 'Q':
			break;
		case '.':
			/*
			 * STOP: a whole pickle; another may follow.  One that
			 * imports nothing is still a pickle when it is the
			 * whole file.
			 */
			if (imports)
				return 60;
			if (i == n && !more)
				return ops >= 3 ? 60 : 0;
			break;
		default:
			return 0;
		}
	}
	k = 0;
edge:
	/* An argument or the stream runs past the view. */
	return k == 0 && more && imports && ops > 6 ? 60 : 0;
}

static int
pickle_probe(const unsigned char *head, size_t n, uint64_t size)
{
	if (n >= 3 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5 &&
	    pickle_opcode(head[2]))
		return 70;
	return pickle01(head, n, size);
}

static const unsigned char torch_magic[] = {
	0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8,
	0x50, 0x19
};

/* The same magic number pickled with protocol 0 or 1. */
static const char torch_magic01[] = "L119547037146038801333356L\n.";

/* The first zip entry's name, when the local header is in view. */
static int
zip_first(const unsigned char *head, size_t n, const unsigned char **name,
    size_t *len)
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
ends_with(const unsigned char *s, size_t n, const char *sfx)
{
	size_t m = strlen(sfx);

	return n >= m && memcmp(s + n - m, sfx, m) == 0;
}

static int
has(const unsigned char *s, size_t n, const char *sub)
{
	size_t m = strlen(sub), i;

	for (i = 0; m <= n && i <= n - m; i++)
		if (memcmp(s + i, sub, m) == 0)
			return 1;
	return 0;
}

static int
pytorch_probe(const unsigned char *head, size_t n, uint64_t size)
{
	const unsigned char *nm;
	size_t nl;

	(void)size;
	if ((n >= sizeof(torch_magic) &&
	    memcmp(head, torch_magic, sizeof(torch_magic)) == 0) ||
	    (n >= sizeof(torch_magic01) - 1 &&
	    memcmp(head, torch_magic01, sizeof(torch_magic01) - 1) == 0))
		return 95;
	if (zip_first(head, n, &nm, &nl) && memchr(nm, '/', nl) != NULL &&
	    !has(nm, nl, "/code/") && (ends_with(nm, nl, "/data.pkl") ||
	    ends_with(nm, nl, "/.format_version") ||
	    ends_with(nm, nl, "/.storage_alignment") ||
	    ends_with(nm, nl, "/byteorder") || ends_with(nm, nl, "/version") ||
	    has(nm, nl, "/data/") || has(nm, nl, "/.data/")))
		return 90;
	return 0;
}

static int
torchscript_probe(const unsigned char *head, size_t n, uint64_t size)
{
	const unsigned char *nm;
	size_t nl;

	(void)size;
	if (zip_first(head, n, &nm, &nl) && memchr(nm, '/', nl) != NULL &&
	    (has(nm, nl, "/code/") || ends_with(nm, nl, "/constants.pkl") ||
	    ends_with(nm, nl, "/bytecode.pkl")))
		return 92;
	return 0;
}

static int
numpy_probe(const unsigned char *head, size_t n, uint64_t size)
{
	const unsigned char *nm;
	size_t nl;

	(void)size;
	if (n >= 6 && memcmp(head, "\x93NUMPY", 6) == 0)
		return 95;
	/* .npz: a zip of .npy members at its root (a torch root has '/'). */
	if (zip_first(head, n, &nm, &nl) && ends_with(nm, nl, ".npy") &&
	    memchr(nm, '/', nl) == NULL)
		return 80;
	return 0;
}

static int
keras_probe(const unsigned char *head, size_t n, uint64_t size)
{
	const unsigned char *nm;
	size_t nl;

	(void)size;
	if (!zip_first(head, n, &nm, &nl))
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

static const char *const pickle_exts[] = { "pkl", "pickle", "joblib",
	"dill", NULL };
static const char *const pytorch_exts[] = { "pt", "pth", "ckpt", NULL };
static const char *const torchscript_exts[] = { "ptl", NULL };
static const char *const numpy_exts[] = { "npy", "npz", NULL };
static const char *const keras_exts[] = { "keras", NULL };
static const char *const hdf5_exts[] = { "h5", "hdf5", NULL };
static const char *const tflite_exts[] = { "tflite", NULL };
static const char *const onnx_exts[] = { "onnx", NULL };
static const char *const coreml_exts[] = { "mlmodel", NULL };

const struct mg_format mg_fmt_pickle = { "pickle", pickle_exts,
	pickle_probe, NULL };
const struct mg_format mg_fmt_pytorch = { "pytorch", pytorch_exts,
	pytorch_probe, NULL };
const struct mg_format mg_fmt_torchscript = { "torchscript",
	torchscript_exts, torchscript_probe, NULL };
const struct mg_format mg_fmt_numpy = { "numpy", numpy_exts, numpy_probe,
	NULL };
const struct mg_format mg_fmt_keras = { "keras", keras_exts, keras_probe,
	NULL };
const struct mg_format mg_fmt_hdf5 = { "hdf5", hdf5_exts, hdf5_probe, NULL };
const struct mg_format mg_fmt_tflite = { "tflite", tflite_exts, tflite_probe,
	NULL };
const struct mg_format mg_fmt_onnx = { "onnx", onnx_exts, onnx_probe, NULL };
const struct mg_format mg_fmt_coreml = { "coreml", coreml_exts, never, NULL };

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

const struct mg_format *
mg_fmt_claim_by_name(const char *filename, const unsigned char *head,
    size_t n)
{
	const char *base = strrchr(filename, '/');

	base = base != NULL ? base + 1 : filename;
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
	if ((n >= 2 && head[0] == 0x1f && head[1] == 0x8b) ||
	    (n >= 2 && head[0] == 0x78 && (head[1] == 0x01 ||
	    head[1] == 0x5e || head[1] == 0x9c || head[1] == 0xda)) ||
	    (n >= 6 && memcmp(head, "\xfd" "7zXZ\0", 6) == 0) ||
	    (n >= 3 && memcmp(head, "BZh", 3) == 0) ||
	    (n >= 4 && memcmp(head, "\x04\x22\x4d\x18", 4) == 0) ||
	    (n >= 3 && head[0] == 0x5d && head[1] == 0 && head[2] == 0))
		return &mg_fmt_pickle;
	return NULL;
}
