/*
 * fmt_pickle.c - raw pickles (joblib files included) and legacy PyTorch
 * checkpoints, recognised by content whatever their name.
 *
 * PROTO is optional: a pickle may open with any opcode of any protocol,
 * so one without it is recognised by a short walk of its first opcodes
 * (every one known, with exact arguments).  Legacy torch files
 * (torch.save(..., _use_new_zipfile_serialization=False)) open with the
 * pickled magic number 0x1950a86a20f9469cfc6c at any protocol.  Both are
 * analysed by pickle.c; the zip form of torch files stays with the
 * container formats.
 */
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "fmt.h"
#include "pickle.h"
#include "rd.h"
#include "text.h"

/* LONG1 of the magic number 0x1950a86a20f9469cfc6c, then STOP. */
static const unsigned char torch_magic[] = {
	0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
	0x2e
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

/* Kinds of protocol 0 text argument. */
enum { TXT_ANY, TXT_IDENT, TXT_DEC, TXT_FLOAT, TXT_QUOTED, TXT_LATIN,
	TXT_LINE };

static int
txt_ok(unsigned char c, int kind)
{
	switch (kind) {
	case TXT_IDENT:
		return c == '_' || c == '.' || (c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	case TXT_DEC:
		/*
		 * int(text, 0) as the unpickler parses INT and LONG: blanks
		 * around, a sign, 0x/0o/0b prefixes, hex digits, underscores,
		 * LONG's L.
		 */
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F') || c == 'x' || c == 'X' ||
		    c == 'o' || c == 'O' || c == '_' || c == '-' || c == '+' ||
		    c == 'L' || c == ' ' || c == '\t' || c == '\r' ||
		    c == '\f' || c == '\v';
	case TXT_FLOAT:
		return (c >= '0' && c <= '9') || c == '-' || c == '+' ||
		    c == '.' || c == 'e' || c == 'E' || c == 'n' || c == 'a' ||
		    c == 'i' || c == 'f';
	case TXT_LATIN:
		/* raw-unicode-escape: pickle escapes only these below 0x100. */
		return c != '\0' && c != '\r' && c != 0x1a;
	case TXT_QUOTED:
	case TXT_LINE:
		/* STRING's repr goes through escape_decode: any byte; and a
		 * followed stream takes any line the loaders read. */
		return 1;
	}
	return c >= 0x20 && c <= 0x7e;
}

static int
blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int
digit_of(unsigned char c, unsigned base)
{
	unsigned d = c >= '0' && c <= '9' ? (unsigned)(c - '0') :
	    c >= 'a' && c <= 'z' ? (unsigned)(c - 'a' + 10) :
	    c >= 'A' && c <= 'Z' ? (unsigned)(c - 'A' + 10) : 99;

	return d < base;
}

/*
 * An integer as the unpickler reads it: int(text, 0) for INT and LONG
 * (LONG may end in L), int(text) for PUT and GET.  Blanks around, a sign,
 * 0x/0o/0b with base 0, single underscores between digits, and no leading
 * zero on a decimal number other than zero ("00" and "01" are INT's
 * booleans).  INT is read by C's strtol first, where a leading zero
 * makes the rest octal ("010" is 8): c_octal allows that.
 */
static int
py_int(const unsigned char *t, size_t n, int allow_l, int base0, int c_octal)
{
	size_t i = 0, digits = 0;
	unsigned base = 10;
	int zero_lead = 0;

	if (allow_l && n > 0 && t[n - 1] == 'L')
		n--;
	while (n > 0 && blank(t[n - 1]))
		n--;
	while (i < n && blank(t[i]))
		i++;
	if (i < n && (t[i] == '+' || t[i] == '-'))
		i++;
	if (base0 && n - i >= 2 && t[i] == '0' && strchr("xXoObB",
	    t[i + 1]) != NULL && t[i + 1] != '\0') {
		base = t[i + 1] == 'x' || t[i + 1] == 'X' ? 16 :
		    t[i + 1] == 'o' || t[i + 1] == 'O' ? 8 : 2;
		i += 2;
		if (i < n && t[i] == '_')	/* 0x_1f */
			i++;
	} else if (base0 && i < n && t[i] == '0')
		zero_lead = 1;
	for (; i < n; i++) {
		if (t[i] == '_' && digits > 0 && i + 1 < n && t[i + 1] != '_')
			continue;
		if (!digit_of(t[i], base))
			return 0;
		if (zero_lead && t[i] != '0' && !(c_octal && t[i] <= '7'))
			return n == 2 && t[0] == '0' && t[1] == '1';
		digits++;
	}
	return digits > 0;
}

/*
 * A text argument of protocol 0 at p[i..n): bytes of its kind up to a
 * newline.  Its length with the newline, 0 when it runs past the view, -1
 * when a byte does not belong.
 */
static long
text_arg(const unsigned char *p, size_t n, size_t i, int kind)
{
	size_t j;

	for (j = i; j < n && p[j] != '\n'; j++)
		if (!txt_ok(p[j], kind))
			return -1;
	if (j == n)
		return 0;
	if (kind == TXT_QUOTED && (j - i < 2 || (p[i] != '\'' &&
	    p[i] != '"') || p[j - 1] != p[i]))
		return -1;
	return j > i || kind == TXT_ANY || kind == TXT_LATIN ||
	    kind == TXT_LINE ?
	    (long)(j + 1 - i) : -1;
}

/*
 * A pickle's header is optional: a stream may open with any opcode of any
 * protocol.  Walk the opcodes in view, each with its exact argument.  A
 * pickle is claimed when every opcode seen is valid with its argument and
 * either one of them imports a name (GLOBAL, INST, or STACK_GLOBAL right
 * after two strings) before a STOP or before the view ends (after at
 * least six opcodes, with more of the file to come), or the opcodes
 * (three or more) end with STOP exactly at the end of the file.  Text
 * and ordinary binary files rarely survive the first opcodes.
 */
/*
 * UTF-8 as BINUNICODE's decoder reads it (surrogatepass: encoded
 * surrogates are accepted), but for a sequence the view may cut at its
 * end.
 */
static int
utf8_prefix(const unsigned char *p, size_t n)
{
	size_t i = 0, k, need;
	unsigned char c, lo, hi;

	while (i < n) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			need = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		for (k = 1; k <= need; k++) {
			if (i + k >= n)
				return 1;	/* cut by the view */
			if (p[i + k] < (k == 1 ? lo : 0x80) ||
			    p[i + k] > (k == 1 ? hi : 0xbf))
				return 0;
		}
		i += need + 1;
	}
	return 1;
}

/*
 * The walk below, and where it stopped.  In: follow (0: the probe; 1: a
 * stream followed past its start, where STACK_GLOBAL after anything but
 * two strings is no reason to stop) and continuing (the view starts
 * inside a stream already walked: its STOP ends a pickle).  Out: edge 1
 * when the view ended inside a string or bytes argument that ends within
 * the file (cont: the offset after it, relative to p), 2 inside a text
 * line (cont: n; lines: the newlines to pass, two for a GLOBAL cut in its
 * module), 3 with every opcode valid (cont: where the next one starts),
 * else 0.
 */
struct walk {
	int		 follow, continuing;
	int		 edge, lines;
	uint64_t	 cont;
	int		 imported;	/* out: an import was seen */
	int		 called;	/* out: then a call (REDUCE, BUILD...) */
};

static int
pickle01(const unsigned char *p, size_t n, uint64_t size, struct walk *wk)
{
	size_t i = 0, ops = 0, m, len, w, at = 0;
	int imports = 0, more = size > n, strs = 0, was_str, stuck = 0;
	int lines = 1;
	long k;

	wk->edge = 0;
	wk->cont = 0;
	wk->lines = 0;
	while (i < n) {
		unsigned char op = p[i++];

		at = i - 1;
		ops++;
		was_str = 0;
		if (wk->imported && (op == 'R' || op == 'o' || op == 'b' ||
		    op == 'i' || op == 0x81 || op == 0x92))
			wk->called = 1;
		switch (op) {
		case 'c':	/* GLOBAL module\nname\n */
		case 'i':	/* INST module\nname\n */
			lines = 2;
			if ((k = text_arg(p, n, i, TXT_IDENT)) <= 0)
				goto text_edge;
			i += (size_t)k;
			lines = 1;
			if ((k = text_arg(p, n, i, TXT_IDENT)) <= 0)
				goto text_edge;
			i += (size_t)k;
			imports = wk->imported = 1;
			break;
		case 'I': case 'L': case 'p': case 'g':
			if ((k = text_arg(p, n, i, wk->follow ? TXT_LINE :
			    TXT_DEC)) <= 0)
				goto text_edge;
			if (!wk->follow && !py_int(p + i, (size_t)k - 1,
			    op == 'L', op == 'I' || op == 'L', op == 'I'))
				return 0;
			i += (size_t)k;
			was_str = op == 'g';
			break;
		case 'F':
			if ((k = text_arg(p, n, i, wk->follow ? TXT_LINE :
			    TXT_FLOAT)) <= 0)
				goto text_edge;
			i += (size_t)k;
			break;
		case 'S': case 'V': case 'P':
			if ((k = text_arg(p, n, i, op == 'S' ? TXT_QUOTED :
			    wk->follow ? TXT_LINE : op == 'V' ? TXT_LATIN :
			    TXT_ANY)) <= 0) {
				/* STRING's argument opens with its quote. */
				if (op == 'S' && k == 0 && i < n &&
				    p[i] != '\'' && p[i] != '"')
					k = -1;
				goto text_edge;
			}
			i += (size_t)k;
			was_str = op != 'P';
			break;
		case 'K': case 'h': case 'q': case 0x82:
			m = 1;
			goto fixed;
		case 0x80:	/* PROTO */
			if (n - i >= 1 && p[i] > 5)
				return 0;
			m = 1;
			goto fixed;
		case 'M': case 0x83:
			m = 2;
			goto fixed;
		case 'J': case 'j': case 'r': case 0x84:
			m = 4;
			goto fixed;
		case 'G': case 0x95:	/* BINFLOAT, FRAME (its length) */
			m = 8;
		fixed:
			if (n - i < m) {
				k = 0;
				goto edge;
			}
			i += m;
			was_str = op == 'h' || op == 'j';
			break;
		case 'U': case 'C': case 0x8c: case 0x8a:
			w = 1;
			goto counted;
		case 'T': case 'X': case 'B': case 0x8b:
			w = 4;
			goto counted;
		case 0x8d: case 0x8e: case 0x96:
			w = 8;
		counted:
			/* Strings, bytes and longs with a little-endian count. */
			if (n - i < w) {
				k = 0;
				goto edge;
			}
			len = 0;
			for (m = w; m-- > 0;) {
				if (len > (SIZE_MAX >> 8)) {
					k = -1;
					goto edge;
				}
				len = len << 8 | p[i + m];
			}
			i += w;
			if (len > n - i) {
				k = len <= size ? 0 : -1;
				/*
				 * It ends within the file, and a text string
				 * is UTF-8 as far as it is seen.
				 */
				if (k == 0 && more && len - (n - i) <= size - n &&
				    ((op != 'X' && op != 0x8c && op != 0x8d) ||
				    utf8_prefix(p + i, n - i))) {
					wk->edge = 1;
					wk->cont = (uint64_t)i + len;
				} else
					stuck = 1;
				goto edge;
			}
			i += len;
			was_str = op == 'U' || op == 'T' || op == 'X' ||
			    op == 0x8c || op == 0x8d;
			break;
		case 0x93:	/* STACK_GLOBAL: module and name strings */
			/*
			 * After two strings: an import.  Otherwise its
			 * module and name came another way (a POP between
			 * them): the probe, which claims any name, stops;
			 * a stream followed under a pickle's name goes on.
			 */
			if (strs >= 2)
				imports = wk->imported = 1;
			else if (!wk->follow)
				return 0;
			break;
		case '(': case ')': case ']': case '}': case 'N': case '0':
		case '1': case '2': case 'R': case 'a': case 'b': case 'd':
		case 'e': case 'l': case 'o': case 's': case 't': case 'u':
		case 'Q': case 0x81: case 0x85: case 0x86: case 0x87:
		case 0x88: case 0x89: case 0x8f: case 0x90: case 0x91:
		case 0x92: case 0x94: case 0x97: case 0x98:
			break;
		case '.':
			/*
			 * STOP: a whole pickle; another may follow.  One that
			 * imports nothing is still a pickle when it is the
			 * whole file.
			 */
			if (imports || wk->continuing)
				return 60;
			if (i == n && !more)
				return ops >= 3 ? 60 : 0;
			break;
		default:
			return 0;
		}
		/* Memo stores between the strings keep the count. */
		if (was_str)
			strs++;
		else if (op != 'q' && op != 'r' && op != 'p' && op != 0x94)
			strs = 0;
	}
	/* Every opcode whole: the stream goes on at the view's end. */
	at = n;
	k = 0;
	goto edge;
text_edge:
	/* A text line runs past the view: it ends further on, or never. */
	if (k == 0 && more) {
		wk->edge = 2;
		wk->cont = n;
		wk->lines = lines;
	}
edge:
	/*
	 * Valid opcodes up to the view's end (an argument of fixed size cut
	 * by it, or none): the stream goes on at the last opcode's start.
	 */
	if (k == 0 && more && wk->edge == 0 && !stuck && at > 0) {
		wk->edge = 3;
		wk->cont = at;
	}
	/* An argument or the stream runs past the view. */
	return k == 0 && more && imports && ops > 6 ? 60 : 0;
}

static int
pickle_probe(const unsigned char *head, size_t n, uint64_t size)
{
	struct walk wk = { 0, 0, 0, 0, 0, 0, 0 };

	if (n >= 3 && head[0] == 0x80 && head[1] <= 5 &&
	    (argw(head[2]) != -1 || (head[2] >= 0x80 && head[2] <= 0x98)))
		return head[1] >= 2 ? 70 : 60;
	return pickle01(head, n, size, &wk) > 0 ? 50 : 0;
}

int
mg_pickle_prefix(const unsigned char *head, size_t n, uint64_t size,
    int continuing, uint64_t *cont, int *lines)
{
	struct walk wk = { 1, continuing, 0, 0, 0, 0, 0 };

	*cont = 0;
	*lines = 0;
	if (!continuing && pickle_probe(head, n, size) > 0)
		return MG_PK_PREFIX_PICKLE;
	if (pickle01(head, n, size, &wk) > 0)
		return MG_PK_PREFIX_PICKLE;
	/*
	 * An import called, then bytes that are no pickle or the end:
	 * loaders run what came before they fail.
	 */
	if (wk.imported && wk.called && wk.edge == 0)
		return MG_PK_PREFIX_PICKLE;
	*cont = wk.cont;
	*lines = wk.lines;
	return wk.edge == 1 ? MG_PK_PREFIX_SKIP : wk.edge == 2 ?
	    MG_PK_PREFIX_LINE : wk.edge == 3 ? MG_PK_PREFIX_MORE :
	    MG_PK_PREFIX_NO;
}

/* The same magic number pickled with protocol 0 or 1. */
static const char torch_magic01[] = "L119547037146038801333356L\n.";

/*
 * torch.save(..., _use_new_zipfile_serialization=False) at any pickle
 * protocol: PROTO 2 to 5 (with a FRAME from 4 on) and the magic as LONG1,
 * or protocols 0 and 1, which write it as a decimal LONG.
 */
static int
torch_probe(const unsigned char *head, size_t n, uint64_t size)
{
	size_t i = 2;

	(void)size;
	if (n >= sizeof(torch_magic01) - 1 &&
	    memcmp(head, torch_magic01, sizeof(torch_magic01) - 1) == 0)
		return 95;
	if (n < 2 || head[0] != 0x80 || head[1] < 2 || head[1] > 5)
		return 0;
	if (head[1] >= 4 && n > 2 && head[2] == 0x95)
		i += 9;
	return i <= n && n - i >= sizeof(torch_magic) &&
	    memcmp(head + i, torch_magic, sizeof(torch_magic)) == 0 ? 95 : 0;
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
