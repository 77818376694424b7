/*
 * fmt_numpy.c - NumPy .npy arrays.
 *
 * Spec: numpy/lib/_format_impl.py (research notes 3.7).  "\x93NUMPY",
 * major and minor version (1.0: u16 header length, latin-1; 2.0 and 3.0:
 * u32, 3.0 UTF-8), then a Python dict literal with exactly the keys
 * descr, fortran_order and shape, padded with spaces and ending in '\n'.
 * The header is parsed by a strict literal grammar (strings, ints, True,
 * False, None, tuples, lists, one dict): anything ast.literal_eval would
 * refuse is refused.  Without objects the data is prod(shape) x itemsize
 * bytes to the end of the file; an object dtype ('O' anywhere) means the
 * data is a pickle, which pickle.c analyses.  .npz (a zip) stays with the
 * container formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "artifact.h"
#include "container.h"
#include "err.h"
#include "fmt.h"
#include "limits.h"
#include "pickle.h"
#include "rd.h"
#include "strset.h"
#include "text.h"

enum nk { N_STR, N_INT, N_TRUE, N_FALSE, N_NONE, N_TUPLE, N_LIST, N_DICT };

struct node {
	int		 kind;
	const char	*s;		/* N_STR: the bytes between quotes */
	size_t		 n;
	int64_t		 i;		/* N_INT; -1 when it overflowed */
	int		 child, next;	/* indices, -1: none */
};

struct lit {
	const char	*p, *end;
	struct node	*nodes;
	int		 nn, cap;
	const char	*err;
};

static void
ws(struct lit *L)
{
	while (L->p < L->end && (*L->p == ' ' || *L->p == '\t'))
		L->p++;
}

static int
newnode(struct lit *L, int kind)
{
	if (L->nn >= L->cap) {
		L->err = "too many values";
		return -1;
	}
	memset(&L->nodes[L->nn], 0, sizeof(L->nodes[0]));
	L->nodes[L->nn].kind = kind;
	L->nodes[L->nn].child = L->nodes[L->nn].next = -1;
	return L->nn++;
}

static int value(struct lit *L, unsigned depth);

/* Items up to the closing bracket; dicts alternate key and value. */
static int
items(struct lit *L, int parent, char close, unsigned depth, int dict,
    int *trail)
{
	int last = -1, k, count = 0;

	*trail = 0;
	for (;;) {
		ws(L);
		if (L->p < L->end && *L->p == close) {
			L->p++;
			/* (x) is not a tuple: one item needs a trailing comma. */
			return count;
		}
		if (count > 0) {
			if (L->p >= L->end || *L->p != ',') {
				L->err = "expected ','";
				return -1;
			}
			L->p++;
			ws(L);
			if (L->p < L->end && *L->p == close) {
				L->p++;
				*trail = 1;
				return count;
			}
		}
		if ((k = value(L, depth + 1)) < 0)
			return -1;
		if (last < 0)
			L->nodes[parent].child = k;
		else
			L->nodes[last].next = k;
		last = k;
		if (dict) {
			if (L->nodes[k].kind != N_STR) {
				L->err = "a dict key is not a string";
				return -1;
			}
			ws(L);
			if (L->p >= L->end || *L->p != ':') {
				L->err = "expected ':'";
				return -1;
			}
			L->p++;
			if ((k = value(L, depth + 1)) < 0)
				return -1;
			L->nodes[last].next = k;
			last = k;
		}
		count++;
	}
}

static int
value(struct lit *L, unsigned depth)
{
	int k, n, trail;
	char q;

	ws(L);
	if (depth > 16) {
		L->err = "nested too deeply";
		return -1;
	}
	if (L->p >= L->end) {
		L->err = "ends early";
		return -1;
	}
	switch (*L->p) {
	case '\'': case '"':
		q = *L->p++;
		if ((k = newnode(L, N_STR)) < 0)
			return -1;
		L->nodes[k].s = L->p;
		while (L->p < L->end && *L->p != q && *L->p != '\n') {
			if (*L->p == '\\' && L->p + 1 < L->end)
				L->p++;
			L->p++;
		}
		if (L->p >= L->end || *L->p != q) {
			L->err = "unterminated string";
			return -1;
		}
		L->nodes[k].n = (size_t)(L->p - L->nodes[k].s);
		L->p++;
		return k;
	case '(': case '[': case '{':
		q = *L->p == '(' ? ')' : *L->p == '[' ? ']' : '}';
		L->p++;
		if ((k = newnode(L, q == ')' ? N_TUPLE : q == ']' ? N_LIST :
		    N_DICT)) < 0)
			return -1;
		if ((n = items(L, k, q, depth, q == '}', &trail)) < 0)
			return -1;
		/* "(x)" is x in Python, not a tuple. */
		if (q == ')' && n == 1 && !trail)
			return L->nodes[k].child;
		return k;
	}
	if (L->end - L->p >= 4 && memcmp(L->p, "True", 4) == 0) {
		L->p += 4;
		return newnode(L, N_TRUE);
	}
	if (L->end - L->p >= 5 && memcmp(L->p, "False", 5) == 0) {
		L->p += 5;
		return newnode(L, N_FALSE);
	}
	if (L->end - L->p >= 4 && memcmp(L->p, "None", 4) == 0) {
		L->p += 4;
		return newnode(L, N_NONE);
	}
	if (*L->p == '-' || (*L->p >= '0' && *L->p <= '9')) {
		int neg = *L->p == '-';
		int64_t v = 0;

		if (neg)
			L->p++;
		if (L->p >= L->end || *L->p < '0' || *L->p > '9') {
			L->err = "bad number";
			return -1;
		}
		if ((k = newnode(L, N_INT)) < 0)
			return -1;
		while (L->p < L->end && *L->p >= '0' && *L->p <= '9') {
			if (v >= 0 && v <= (INT64_MAX - 9) / 10)
				v = v * 10 + (*L->p - '0');
			else
				v = -1;
			L->p++;
		}
		if (L->p < L->end && *L->p == 'L')	/* Python 2 */
			L->p++;
		L->nodes[k].i = neg && v > 0 ? -v : neg ? -1 : v;
		return k;
	}
	L->err = "a name, call or expression (only literals are allowed)";
	return -1;
}

/* An array-protocol type string: item size, object flag, a short name. */
static int
typestr(const char *s, size_t n, uint64_t *size, int *obj, char *name,
    size_t namecap)
{
	size_t i = 0;
	uint64_t d = 0;
	char kind;

	if (i < n && strchr("<>|=", s[i]) != NULL)
		i++;
	if (i >= n)
		return 0;
	kind = s[i++];
	if (kind == 'O') {
		*obj = 1;
		*size = 8;
		return i == n || (n - i == 1 && s[i] == '8') ||
		    (n - i == 1 && s[i] == '4');
	}
	if (kind == '?' && i == n) {
		*size = 1;
		snprintf(name, namecap, "BOOL");
		return 1;
	}
	if (strchr("biufcSaUVMm", kind) == NULL || i == n)
		return 0;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		d = d * 10 + (uint64_t)(s[i] - '0');
		if (d > (1u << 30))
			return 0;
	}
	if (i < n && !((kind == 'M' || kind == 'm') && s[i] == '[' &&
	    s[n - 1] == ']'))
		return 0;
	if (d == 0 && kind != 'S' && kind != 'a' && kind != 'U' && kind != 'V')
		return 0;
	*size = kind == 'U' ? d * 4 : d;
	switch (kind) {
	case 'f': snprintf(name, namecap, "F%llu", (unsigned long long)d * 8);
		break;
	case 'i': snprintf(name, namecap, "I%llu", (unsigned long long)d * 8);
		break;
	case 'u': snprintf(name, namecap, "U%llu", (unsigned long long)d * 8);
		break;
	case 'c': snprintf(name, namecap, "C%llu", (unsigned long long)d * 8);
		break;
	case 'b': snprintf(name, namecap, "BOOL");
		break;
	default: snprintf(name, namecap, "%.*s", (int)(n > 12 ? 12 : n), s);
		break;
	}
	return 1;
}

static int
shape_elems(const struct lit *L, int k, uint64_t *elems)
{
	int c;

	*elems = 1;
	if (k < 0 || L->nodes[k].kind != N_TUPLE)
		return 0;
	for (c = L->nodes[k].child; c >= 0; c = L->nodes[c].next) {
		uint64_t d;

		if (L->nodes[c].kind != N_INT || L->nodes[c].i < 0)
			return 0;
		d = (uint64_t)L->nodes[c].i;
		if (d != 0 && *elems > UINT64_MAX / d)
			return 0;
		*elems *= d;
	}
	return 1;
}

/* descr: a type string, or a list of (name, descr[, shape]) fields. */
static int
descr_size(const struct lit *L, int k, unsigned depth, uint64_t *size,
    int *obj, char *name, size_t namecap, unsigned *fields)
{
	int c;

	if (k < 0 || depth > 8)
		return 0;
	if (L->nodes[k].kind == N_STR)
		return typestr(L->nodes[k].s, L->nodes[k].n, size, obj, name,
		    namecap);
	if (L->nodes[k].kind != N_LIST)
		return 0;
	*size = 0;
	snprintf(name, namecap, "structured");
	for (c = L->nodes[k].child; c >= 0; c = L->nodes[c].next) {
		int f = L->nodes[c].child, d, sh;
		uint64_t fs = 0, el = 1;
		char dummy[16];

		if (L->nodes[c].kind != N_TUPLE || f < 0 ||
		    ++*fields > MG_MAX_NPY_FIELDS)
			return 0;
		if (L->nodes[f].kind != N_STR && L->nodes[f].kind != N_TUPLE)
			return 0;
		if ((d = L->nodes[f].next) < 0 || !descr_size(L, d, depth + 1,
		    &fs, obj, dummy, sizeof(dummy), fields))
			return 0;
		if ((sh = L->nodes[d].next) >= 0) {
			if (L->nodes[sh].next >= 0)
				return 0;
			if (L->nodes[sh].kind == N_INT && L->nodes[sh].i >= 0)
				el = (uint64_t)L->nodes[sh].i;
			else if (!shape_elems(L, sh, &el))
				return 0;
		}
		if (el != 0 && fs > UINT64_MAX / el)
			return 0;
		fs *= el;
		if (fs > UINT64_MAX - *size)
			return 0;
		*size += fs;
	}
	return 1;
}

static int
hdr_fail(struct mg_artifact *a, uint64_t off, const char *what)
{
	mg_artifact_add(a, MG_R_NPY_HDR, off, NULL, "npy: %s", what);
	return MG_ERR_FORMAT;
}

static int
npy_probe(const unsigned char *head, size_t n, uint64_t size)
{
	(void)size;
	return n >= 6 && memcmp(head, "\x93NUMPY", 6) == 0 ? 95 : 0;
}

static int
npy_parse(struct mg_rd *rd, struct mg_artifact *a)
{
	unsigned char magic[8];
	char *hdr = NULL, tname[32] = "", msg[200];
	struct lit L;
	uint32_t hlen;
	uint16_t h16;
	uint64_t itemsize = 0, elems = 1, need, left, at;
	unsigned fields = 0;
	int r = MG_ERR_INTERNAL, k, descr = -1, fo = -1, shape = -1, nkeys = 0;
	int obj = 0;
	cJSON *m, *sh;

	memset(&L, 0, sizeof(L));
	if ((r = mg_rd_bytes(rd, magic, 8)) != MG_OK) {
		if (r == MG_ERR_TRUNCATED)
			r = hdr_fail(a, 0, "the file ends inside the magic");
		goto out;
	}
	if (memcmp(magic, "\x93NUMPY", 6) != 0) {
		r = hdr_fail(a, 0, "the file does not start with \\x93NUMPY");
		goto out;
	}
	if ((magic[6] != 1 && magic[6] != 2 && magic[6] != 3) ||
	    magic[7] != 0) {
		snprintf(msg, sizeof(msg), "version %u.%u is not 1.0, 2.0 or "
		    "3.0", magic[6], magic[7]);
		r = hdr_fail(a, 6, msg);
		goto out;
	}
	if (magic[6] == 1) {
		if ((r = mg_rd_u16(rd, 0, &h16)) != MG_OK)
			goto trunc;
		hlen = h16;
	} else if ((r = mg_rd_u32(rd, 0, &hlen)) != MG_OK)
		goto trunc;
	if (hlen > MG_MAX_NPY_HEADER)
		mg_artifact_add(a, MG_R_NPY_HDR, 8, NULL, "npy: header of %u "
		    "bytes exceeds NumPy's max_header_size of %u (np.load "
		    "refuses it unless allow_pickle=True)", hlen,
		    (unsigned)MG_MAX_NPY_HEADER);
	if (hlen > MG_MAX_NPY_HEADER_HARD || hlen > mg_rd_left(rd)) {
		snprintf(msg, sizeof(msg), "header of %u bytes %s", hlen,
		    hlen > mg_rd_left(rd) ? "runs past the end of the file" :
		    "is too large to parse (MG_MAX_NPY_HEADER_HARD)");
		r = hdr_fail(a, 8, msg);
		if (hlen <= MG_MAX_NPY_HEADER_HARD)
			r = MG_ERR_TRUNCATED;
		goto out;
	}
	if ((hdr = malloc(hlen + 1)) == NULL ||
	    (L.nodes = malloc((hlen + 8) * sizeof(*L.nodes))) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	if ((r = mg_rd_bytes(rd, hdr, hlen)) != MG_OK)
		goto trunc;
	hdr[hlen] = '\0';
	if (hlen == 0 || hdr[hlen - 1] != '\n') {
		r = hdr_fail(a, 10, "the header does not end with a newline");
		goto out;
	}
	L.p = hdr;
	L.end = hdr + hlen - 1;
	L.cap = (int)hlen + 8;
	if ((k = value(&L, 0)) < 0 || (ws(&L), L.p != L.end) ||
	    L.nodes[k].kind != N_DICT) {
		snprintf(msg, sizeof(msg), "the header is not a dict literal: "
		    "%s at byte %ld", L.err != NULL ? L.err :
		    "extra text after the dict", (long)(L.p - hdr));
		r = hdr_fail(a, 10, msg);
		goto out;
	}
	for (k = L.nodes[k].child; k >= 0; k = L.nodes[L.nodes[k].next].next) {
		const struct node *key = &L.nodes[k];
		int v = key->next;

		nkeys++;
		if (key->n == 5 && memcmp(key->s, "descr", 5) == 0 && descr < 0)
			descr = v;
		else if (key->n == 13 && memcmp(key->s, "fortran_order",
		    13) == 0 && fo < 0)
			fo = v;
		else if (key->n == 5 && memcmp(key->s, "shape", 5) == 0 &&
		    shape < 0)
			shape = v;
		else {
			snprintf(msg, sizeof(msg), "unexpected or repeated key "
			    "'%.*s' in the header", (int)(key->n > 40 ? 40 :
			    key->n), key->s);
			r = hdr_fail(a, 10, msg);
			goto out;
		}
	}
	if (nkeys != 3 || descr < 0 || fo < 0 || shape < 0) {
		r = hdr_fail(a, 10, "the header lacks descr, fortran_order or "
		    "shape");
		goto out;
	}
	if (L.nodes[fo].kind != N_TRUE && L.nodes[fo].kind != N_FALSE) {
		r = hdr_fail(a, 10, "fortran_order is not True or False");
		goto out;
	}
	if (!shape_elems(&L, shape, &elems)) {
		r = hdr_fail(a, 10, "shape is not a tuple of non-negative ints "
		    "whose product fits 64 bits");
		goto out;
	}
	if (!descr_size(&L, descr, 0, &itemsize, &obj, tname, sizeof(tname),
	    &fields)) {
		r = hdr_fail(a, 10, "descr is not a dtype NumPy reads");
		goto out;
	}

	/* Report data. */
	if ((m = a->metadata = cJSON_CreateObject()) == NULL ||
	    cJSON_AddStringToObject(m, "npy_version", magic[6] == 1 ? "1.0" :
	    magic[6] == 2 ? "2.0" : "3.0") == NULL ||
	    cJSON_AddNumberToObject(m, "header_length", hlen) == NULL ||
	    cJSON_AddStringToObject(m, "descr", L.nodes[descr].kind == N_STR ?
	    tname : "structured") == NULL ||
	    cJSON_AddBoolToObject(m, "fortran_order",
	    L.nodes[fo].kind == N_TRUE) == NULL ||
	    (sh = cJSON_AddArrayToObject(m, "shape")) == NULL) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	/* Exact: a double would round a dimension past 2^53. */
	for (k = L.nodes[shape].child; k >= 0; k = L.nodes[k].next) {
		cJSON *dim = mg_json_u64((uint64_t)L.nodes[k].i);

		if (dim == NULL) {
			r = MG_ERR_NOMEM;
			goto out;
		}
		cJSON_AddItemToArray(sh, dim);
	}
	/* The header dictionary's keys, the ones metadata names too. */
	mg_strset_free(a->meta_keys);
	if ((a->meta_keys = mg_strset_new()) == NULL ||
	    mg_strset_add(a->meta_keys, "descr", 5) < 0 ||
	    mg_strset_add(a->meta_keys, "fortran_order", 13) < 0 ||
	    mg_strset_add(a->meta_keys, "shape", 5) < 0) {
		r = MG_ERR_NOMEM;
		goto out;
	}
	a->tensor_count = 1;
	a->parameter_count = elems;
	a->have |= MG_HAVE_TENSORS | MG_HAVE_PARAMS;

	/* A member of unknown size: its size is known once it is read. */
	at = mg_rd_tell(rd);
	if (!obj && rd->open_ended && (r = mg_rd_settle(rd)) != MG_OK)
		goto out;
	left = rd->size - at;
	if (obj) {
		mg_artifact_add(a, MG_R_NPY_OBJ, mg_rd_tell(rd), NULL, "npy: "
		    "object dtype: the %llu data bytes are a pickle that "
		    "np.load(allow_pickle=True) unpickles",
		    (unsigned long long)left);
		r = mg_pickle_scan(rd, a, MG_PK_EMBEDDED);
		goto out;
	}
	if ((r = mg_artifact_add_ttype(a, tname, 1, elems,
	    (unsigned)(itemsize * 8000 > UINT32_MAX ? 0 : itemsize * 8000),
	    0)) != MG_OK || (r = mg_artifact_setz(&a->dtype, tname)) != MG_OK)
		goto out;
	if (itemsize != 0 && elems > UINT64_MAX / itemsize) {
		r = hdr_fail(a, 10, "shape x itemsize overflows 64 bits");
		goto out;
	}
	need = elems * itemsize;
	if (need > left) {
		mg_artifact_add(a, MG_R_NPY_SIZE, at, NULL, "npy: "
		    "the array needs %llu bytes (%llu elements of %llu); %llu "
		    "are left", (unsigned long long)need,
		    (unsigned long long)elems, (unsigned long long)itemsize,
		    (unsigned long long)left);
		r = MG_ERR_TRUNCATED;
		goto out;
	}
	if (need < left)
		mg_artifact_add(a, MG_R_NPY_SIZE, at + need, NULL,
		    "npy: %llu bytes follow the array's %llu bytes of data",
		    (unsigned long long)(left - need), (unsigned long long)need);
	r = MG_OK;
	goto out;
trunc:
	if (r == MG_ERR_TRUNCATED)
		mg_artifact_add(a, MG_R_NPY_HDR, mg_rd_tell(rd), NULL,
		    "npy: the file ends inside the header");
out:
	free(hdr);
	free(L.nodes);
	return r;
}

/* ---- .npz: a zip of .npy members ---------------------------------------- */

static int
npz_probe(const unsigned char *head, size_t n, uint64_t size)
{
	const unsigned char *nm;
	size_t nl;

	(void)size;
	/* .npz: a zip of .npy members at its root (a torch root has '/'). */
	if (mg_fmt_zip_first(head, n, &nm, &nl) && nl > 4 &&
	    memcmp(nm + nl - 4, ".npy", 4) == 0 && memchr(nm, '/', nl) == NULL)
		return 80;
	return 0;
}

/*
 * np.load of an .npz (numpy/lib/npyio.py, NpzFile): a member that starts
 * with the .npy magic is read as an array (allow_pickle for objects),
 * any other member's bytes are handed back as they are.  The archive is
 * what numpy.savez writes when every member is an array checked to its
 * end; the arrays' findings stay with their members.
 */
static int
npz_check(const struct mg_members *ms, struct mg_artifact *a)
{
	uint64_t arrays = 0, elems = 0;
	size_t i, k;
	int bad = 0, r;

	for (i = 0; i < ms->n; i++) {
		const struct mg_member *m = &ms->v[i];
		const struct mg_artifact *e = m->art;

		if (m->format != &mg_fmt_numpy || e == NULL) {
			bad = 1;
			if (mg_artifact_addx(a, MG_R_NPZ_MEMBER,
			    MG_FINDING_NO_OFFSET, 0, m->name, NULL, "member "
			    "%.300s is %s, not a .npy array: np.load hands back "
			    "its bytes unchecked", m->name, m->format ==
			    &mg_fmt_unknown ? "of no format modelgate knows" :
			    m->format->name) != MG_OK)
				return MG_ERR_NOMEM;
			continue;
		}
		if (!e->complete) {
			bad = 1;
			if (mg_artifact_addx(a, MG_R_NPZ_MEMBER,
			    MG_FINDING_NO_OFFSET, 0, m->name, NULL, "array "
			    "%.300s was not checked to its end (its own findings "
			    "say why)", m->name) != MG_OK)
				return MG_ERR_NOMEM;
			continue;
		}
		arrays++;
		if (e->have & MG_HAVE_PARAMS)
			elems += e->parameter_count;
		for (k = 0; k < e->nttypes; k++)
			if ((r = mg_artifact_add_ttype(a, e->ttypes[k].name,
			    e->ttypes[k].count, e->ttypes[k].params,
			    e->ttypes[k].bpw_milli, 0)) != MG_OK)
				return r;
	}
	a->tensor_count = arrays;
	a->parameter_count = elems;
	a->have |= MG_HAVE_TENSORS | MG_HAVE_PARAMS;
	if (a->nttypes > 0 && mg_artifact_setz(&a->dtype, a->nttypes == 1 ?
	    a->ttypes[0].name : "mixed") != MG_OK)
		return MG_ERR_NOMEM;
	return bad ? MG_ERR_FORMAT : MG_OK;
}

static const char *const npz_exts[] = { "npz", NULL };

const struct mg_format mg_fmt_npz = {
	.name = "numpy",
	.exts = npz_exts,
	.probe = npz_probe,
	.flags = MG_FMT_CONTAINER,
	.check = npz_check,
};

static const char *const npy_exts[] = { "npy", NULL };

const struct mg_format mg_fmt_numpy = {
	.name = "numpy",
	.exts = npy_exts,
	.probe = npy_probe,
	.parse = npy_parse,
};
