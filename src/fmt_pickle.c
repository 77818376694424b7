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
 * A protocol 0/1 stream: the opcodes in view must all be known and end
 * at STOP or at the edge of the view after at least four of them, and
 * text arguments must be printable.
 */
static int
walk01(const unsigned char *p, size_t n)
{
	size_t i = 0, ops = 0, k;
	int w, lines;

	while (i < n) {
		unsigned char op = p[i++];

		if ((w = argw(op)) == -1)
			return 0;
		ops++;
		if (op == '.')
			return ops >= 2;
		if (w >= 0) {
			uint32_t len = 0;

			if (i + (size_t)w > n)
				return ops >= 4;
			if (op == 'U' || op == 'C')
				len = p[i];
			else if (op == 'T' || op == 'X' || op == 'B')
				len = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
				    (uint32_t)p[i + 2] << 16 |
				    (uint32_t)p[i + 3] << 24;
			i += (size_t)w;
			if (len > n - i)
				return ops >= 4;
			i += len;
			continue;
		}
		lines = op == 'c' || op == 'i' ? 2 : 1;
		while (lines-- > 0) {
			for (k = i; k < n && p[k] != '\n'; k++)
				if (p[k] < 0x20 || p[k] > 0x7e)
					return 0;
			if (k == n)
				return ops >= 4;
			if (k == i && op != 'V' && op != 'F')
				return 0;
			i = k + 1;
		}
	}
	return ops >= 4;
}

static int
pickle_probe(const unsigned char *head, size_t n, uint64_t size)
{
	(void)size;
	if (n >= 3 && head[0] == 0x80 && head[1] <= 5 &&
	    (argw(head[2]) != -1 || (head[2] >= 0x80 && head[2] <= 0x98)))
		return head[1] >= 2 ? 70 : 60;
	if (n >= 2 && walk01(head, n))
		return 50;
	return 0;
}

static int
torch_probe(const unsigned char *head, size_t n, uint64_t size)
{
	(void)size;
	return n >= sizeof(torch_magic) &&
	    memcmp(head, torch_magic, sizeof(torch_magic)) == 0 ? 95 : 0;
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
