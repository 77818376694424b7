/*
 * fmt_pickle.c - raw pickles (joblib files included) and legacy PyTorch
 * checkpoints, recognised by content whatever their name.
 *
 * Protocol 2 to 5 pickles open with PROTO; protocol 0 and 1 pickles open
 * with any opcode, so they are recognised by a short walk of their first
 * opcodes (every one known, with arguments that fit).  Legacy torch files
 * (torch.save(..., _use_new_zipfile_serialization=False)) open with the
 * pickled magic number 0x1950a86a20f9469cfc6c.  Both are analysed by
 * pickle.c; the zip form of torch files stays with the container formats.
 */
#include <string.h>

#include "err.h"
#include "fmt.h"
#include "pickle.h"
#include "rd.h"

static const unsigned char torch_magic[] = {
	0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8,
	0x50, 0x19
};

/* Argument width of a protocol 0/1 opcode: -1 unknown, -2 a text line. */
static int
argw(unsigned char op)
{
	switch (op) {
	case '(': case '.': case '0': case '1': case '2': case 'N': case ')':
	case ']': case '}': case 'a': case 'e': case 's': case 'u': case 'l':
	case 't': case 'd': case 'R': case 'b': case 'o': case 'Q':
		return 0;
	case 'K': case 'h': case 'q': case 'U': case 'C':
		return 1;
	case 'M':
		return 2;
	case 'J': case 'j': case 'r': case 'T': case 'X': case 'B':
		return 4;
	case 'G':
		return 8;
	case 'I': case 'L': case 'S': case 'V': case 'F': case 'g': case 'p':
	case 'P': case 'c': case 'i':
		return -2;
	}
	return -1;
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
	if (n >= 3 && head[0] == 0x80 && head[1] <= 5 &&
	    (argw(head[2]) != -1 || (head[2] >= 0x80 && head[2] <= 0x98)))
		return head[1] >= 2 ? 70 : 60;
	return pickle01(head, n, size) > 0 ? 50 : 0;
}

/* The same magic number pickled with protocol 0 or 1. */
static const char torch_magic01[] = "L119547037146038801333356L\n.";

static int
torch_probe(const unsigned char *head, size_t n, uint64_t size)
{
	(void)size;
	if (n >= sizeof(torch_magic) &&
	    memcmp(head, torch_magic, sizeof(torch_magic)) == 0)
		return 95;
	return n >= sizeof(torch_magic01) - 1 &&
	    memcmp(head, torch_magic01, sizeof(torch_magic01) - 1) == 0 ? 95 : 0;
}

static int
pickle_parse(struct mg_rd *rd, struct mg_artifact *a)
{
	return mg_pickle_scan(rd, a, MG_PK_RAW);
}

static int
torch_parse(struct mg_rd *rd, struct mg_artifact *a)
{
	return mg_pickle_scan(rd, a, MG_PK_TORCH_LEGACY);
}

static const char *const pickle_exts[] = { "pkl", "pickle", "joblib",
	"dill", NULL };
/* No extension of its own: .pt, .pth, .ckpt and .bin are shared. */
static const char *const torch_exts[] = { NULL };

const struct mg_format mg_fmt_pickle = {
	.name = "pickle",
	.exts = pickle_exts,
	.probe = pickle_probe,
	.parse = pickle_parse,
};

const struct mg_format mg_fmt_torch_legacy = {
	.name = "pytorch",
	.exts = torch_exts,
	.probe = torch_probe,
	.parse = torch_parse,
};
