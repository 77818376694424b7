/*
 * fmt_torch.c - PyTorch zip checkpoints (torch.save) and TorchScript
 * archives (torch.jit.save), checked as a whole once the container
 * reader (container.c) has read every member.
 *
 * Spec: torch/serialization.py (_save, _load), caffe2/serialize/
 * inline_container.cc (PyTorchStreamReader), torch/csrc/jit/serialization
 * (export_module.cpp, import.cpp, unpickler.cpp); research notes
 * section 3.
 *
 * torch.load takes the first member's name up to its first '/' as the
 * archive's root and reads only members under it: data.pkl (pickled by
 * Python's pickle, or by TorchScript's when constants.pkl is present,
 * which makes the archive TorchScript and torch.load hand it to
 * torch.jit.load), data/<key> for each storage the pickle declares by
 * persistent id, version (or .data/version) and byteorder.  TorchScript
 * adds constants.pkl with constants/<key>, and code/ (its .py files), the source
 * torch.jit.load compiles.
 *
 * Invariants: storage members are raw bytes (role MG_MEMBER_RAW), never
 * detected as anything, so tensor data that happens to look like a
 * pickle raises no alarm; every other member is an artifact of its own,
 * checked by its own parser; this file adds what only the whole shows.
 */
#include <stdarg.h>
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
#include "tscode.h"

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
	if (mg_fmt_zip_first(head, n, &nm, &nl) && memchr(nm, '/', nl) !=
	    NULL && !has(nm, nl, "/code/") && (ends_with(nm, nl, "/data.pkl") ||
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
	if (mg_fmt_zip_first(head, n, &nm, &nl) && memchr(nm, '/', nl) !=
	    NULL && (has(nm, nl, "/code/") || ends_with(nm, nl,
	    "/constants.pkl") || ends_with(nm, nl, "/bytecode.pkl")))
		return 92;
	return 0;
}

/* The root folder's length with its '/', or 0 when name has none. */
static size_t
root_len(const char *name, size_t n)
{
	const char *s = memchr(name, '/', n);

	return s != NULL && s != name ? (size_t)(s - name) + 1 : 0;
}

/* name is <root>/<rest> with rest starting with pfx: rest's length. */
static int
under(const char *name, size_t n, const char *root, size_t rl,
    const char *pfx)
{
	size_t pl = strlen(pfx);

	return rl > 0 && n > rl + pl && memcmp(name, root, rl) == 0 &&
	    memcmp(name + rl, pfx, pl) == 0;
}

static int
is(const char *name, size_t n, const char *root, size_t rl, const char *rest)
{
	size_t k = strlen(rest);

	return rl > 0 && n == rl + k && memcmp(name, root, rl) == 0 &&
	    memcmp(name + rl, rest, k) == 0;
}

static unsigned
torch_role(const char *first, size_t flen, const char *name, size_t nlen)
{
	size_t rl = root_len(first, flen);

	if (under(name, nlen, first, rl, "data/") ||
	    under(name, nlen, first, rl, "constants/"))
		return MG_MEMBER_RAW;
	if (is(name, nlen, first, rl, "version") ||
	    is(name, nlen, first, rl, ".data/version") ||
	    is(name, nlen, first, rl, "byteorder") ||
	    (under(name, nlen, first, rl, "code/") && nlen > 3 &&
	    memcmp(name + nlen - 3, ".py", 3) == 0))
		return MG_MEMBER_KEEP;
	return 0;
}

/* A member under the root, by the rest of its name (tz.byname). */
struct named {
	const char	*rest;
	size_t		 n;
	size_t		 at;		/* its index in the members */
};

struct tz {
	const struct mg_members *ms;
	struct mg_artifact *a;
	const char	*root;
	size_t		 rl;
	struct named	*byname;	/* sorted by rest, then at */
	size_t		 nnamed;
	unsigned char	*used;		/* storage members a pickle declares */
	int		 bad;
	int		 ts;
	int		 code;		/* a code/ .py member is present */
	uint64_t	 storages, bytes;
};

static int
bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c != 0 ? c : an < bn ? -1 : an > bn;
}

static int
named_cmp(const void *x, const void *y)
{
	const struct named *a = x, *b = y;
	int c = bytes_cmp(a->rest, a->n, b->rest, b->n);

	return c != 0 ? c : a->at < b->at ? -1 : a->at > b->at;
}

/*
 * Index the members under the root by the rest of their names, once:
 * the pickles name a member per storage, up to a million of them.
 */
static int
index_members(struct tz *t)
{
	size_t i;

	if ((t->byname = malloc((t->ms->n ? t->ms->n : 1) *
	    sizeof(*t->byname))) == NULL)
		return MG_ERR_NOMEM;
	for (i = 0; i < t->ms->n; i++) {
		const struct mg_member *m = &t->ms->v[i];

		if (m->nlen < t->rl || memcmp(m->name, t->root, t->rl) != 0)
			continue;
		t->byname[t->nnamed].rest = m->name + t->rl;
		t->byname[t->nnamed].n = m->nlen - t->rl;
		t->byname[t->nnamed].at = i;
		t->nnamed++;
	}
	qsort(t->byname, t->nnamed, sizeof(*t->byname), named_cmp);
	return MG_OK;
}

/* The first member named <root><rest>, or NULL. */
static const struct mg_member *
find(const struct tz *t, const char *rest, size_t *at)
{
	size_t lo = 0, hi = t->nnamed, n = strlen(rest);

	/* The first entry not below rest: of equal names, the first member. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bytes_cmp(t->byname[mid].rest, t->byname[mid].n, rest,
		    n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == t->nnamed || bytes_cmp(t->byname[lo].rest,
	    t->byname[lo].n, rest, n) != 0)
		return NULL;
	if (at != NULL)
		*at = t->byname[lo].at;
	return &t->ms->v[t->byname[lo].at];
}

static int
layout(struct tz *t, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
layout(struct tz *t, const char *key, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->bad = 1;
	return mg_artifact_addx(t->a, MG_R_TORCH_LAYOUT, MG_FINDING_NO_OFFSET,
	    0, key, NULL, "%s", msg);
}

/*
 * A member under the root that torch.save or torch.jit.save writes, or
 * one the storage check judges (raw members under data/ and constants/).
 * Names from torch/serialization.py (_save) and the TorchScript writer
 * (export_module.cpp): anything else is no part of the checkpoint, and
 * torch.load never reads it.
 */
static int
known_member(const struct tz *t, const struct mg_member *m)
{
	static const char *const plain[] = {
		"data.pkl", "version", ".data/version",
		".data/serialization_id", "byteorder", ".format_version",
		".storage_alignment", NULL
	};
	static const char *const script[] = {
		"constants.pkl", "bytecode.pkl", NULL
	};
	const unsigned char *nm = (const unsigned char *)m->name;
	size_t i;

	/* An empty directory entry; one with bytes is ARC-SPECIAL. */
	if ((m->role & MG_MEMBER_RAW) || (m->nlen > 0 &&
	    m->name[m->nlen - 1] == '/' && m->size == 0))
		return 1;
	for (i = 0; plain[i] != NULL; i++)
		if (is(m->name, m->nlen, t->root, t->rl, plain[i]))
			return 1;
	/* TorchScript: constants.pkl and compiled code (torch.jit.save). */
	if (!t->ts || !t->code)
		return 0;
	for (i = 0; script[i] != NULL; i++)
		if (is(m->name, m->nlen, t->root, t->rl, script[i]))
			return 1;
	/* extra/: the files a caller hands torch.jit.save (_extra_files). */
	if (under(m->name, m->nlen, t->root, t->rl, "extra/"))
		return 1;
	return under(m->name, m->nlen, t->root, t->rl, "code/") &&
	    (ends_with(nm, m->nlen, ".py") ||
	    ends_with(nm, m->nlen, ".py.debug_pkl"));
}

/* A small text member: version (digits) or byteorder (little, big). */
static int
small_text(struct tz *t, const struct mg_member *m, int digits, char *out,
    size_t cap)
{
	size_t n = m->nkept, i;

	out[0] = '\0';
	if (!m->kept_whole)
		return layout(t, m->name, "%.300s could not be read whole",
		    m->name);
	while (n > 0 && (m->kept[n - 1] == '\n' || m->kept[n - 1] == '\r'))
		n--;
	for (i = 0; i < n; i++)
		if (digits ? m->kept[i] < '0' || m->kept[i] > '9' :
		    m->kept[i] < 'a' || m->kept[i] > 'z')
			break;
	if (n == 0 || i < n || n >= cap || (!digits && !((n == 6 &&
	    memcmp(m->kept, "little", 6) == 0) || (n == 3 &&
	    memcmp(m->kept, "big", 3) == 0))))
		return layout(t, m->name, "%.300s holds %s, not %s", m->name,
		    n == 0 ? "nothing" : "something else",
		    digits ? "a decimal format version" : "little or big");
	memcpy(out, m->kept, n);
	out[n] = '\0';
	return MG_OK;
}

/*
 * A pickle of the archive (data.pkl, constants.pkl) and the storage
 * members under dir/ that its persistent ids name.
 */
static int
pickle_member(struct tz *t, const char *rest, const char *dir, int need,
    struct mg_artifact **out)
{
	const struct mg_member *m = find(t, rest, NULL);
	struct mg_artifact *e;
	char sub[96];
	size_t i, at;
	int r;

	*out = NULL;
	if (m == NULL)
		return need ? layout(t, NULL, "%.*s%s is missing: torch.load "
		    "has no object to load", (int)t->rl, t->root, rest) : MG_OK;
	if ((e = m->art) == NULL || (e->format != &mg_fmt_pickle &&
	    e->format != &mg_fmt_torch_legacy))
		return layout(t, m->name, "%.300s is not a pickle", m->name);
	if (!e->complete)
		return layout(t, m->name, "%.300s was not analysed to its end "
		    "(its own findings say why): the storages it declares "
		    "were not verified", m->name);
	*out = e;
	if (t->ts) {
		e->torchscript = 1;
		if ((r = mg_pickle_rejudge(NULL, e)) != MG_OK)
			return r;
	}
	for (i = 0; i < e->nstorages; i++) {
		const struct mg_storage *st = &e->storages[i];
		const struct mg_member *d;

		snprintf(sub, sizeof(sub), "%s/%s", dir, st->key);
		t->storages++;
		if ((d = find(t, sub, &at)) == NULL) {
			t->bad = 1;
			if (mg_artifact_addx(t->a, MG_R_TORCH_STORAGE,
			    MG_FINDING_NO_OFFSET, 0, st->key, NULL, "%.300s "
			    "declares storage '%s', but the archive has no "
			    "member %.*s%s", m->name, st->key, (int)t->rl,
			    t->root, sub) != MG_OK)
				return MG_ERR_NOMEM;
			continue;
		}
		t->used[at] = 1;
		t->bytes += d->size;
		if (d->read && (st->numel > UINT64_MAX / st->elsize ||
		    st->numel * st->elsize != d->size)) {
			t->bad = 1;
			if (mg_artifact_addx(t->a, MG_R_TORCH_STORAGE,
			    MG_FINDING_NO_OFFSET, 0, d->name, NULL, "storage "
			    "'%s' holds %llu bytes; %.300s declares %llu "
			    "elements of %u bytes (%s)", st->key,
			    (unsigned long long)d->size, m->name,
			    (unsigned long long)st->numel, st->elsize,
			    st->dtype) != MG_OK)
				return MG_ERR_NOMEM;
		}
	}
	/* Consumed: the member's report has no use for them. */
	free(e->storages);
	e->storages = NULL;
	e->nstorages = 0;
	return MG_OK;
}

/* The BOM fields: what the main pickle's tensors say. */
static int
bom(struct tz *t, const struct mg_artifact *e)
{
	struct mg_artifact *a = t->a;
	size_t k;
	int r;

	if (e != NULL && (e->have & MG_HAVE_TENSORS)) {
		a->tensor_count = e->tensor_count;
		a->parameter_count = e->parameter_count;
		a->have |= MG_HAVE_TENSORS | MG_HAVE_PARAMS;
		for (k = 0; k < e->nttypes; k++)
			if ((r = mg_artifact_add_ttype(a, e->ttypes[k].name,
			    e->ttypes[k].count, e->ttypes[k].params,
			    e->ttypes[k].bpw_milli, 0)) != MG_OK)
				return r;
		if (e->dtype != NULL && mg_artifact_setz(&a->dtype, e->dtype) !=
		    MG_OK)
			return MG_ERR_NOMEM;
	}
	return mg_artifact_setz(&a->training_framework, "pytorch");
}

static int
torch_check(const struct mg_members *ms, struct mg_artifact *a)
{
	struct tz t;
	struct mg_artifact *data = NULL, *cons = NULL;
	const struct mg_member *m;
	char version[24], order[8];
	cJSON *o, *code = NULL;
	unsigned hits = 0;
	size_t i;
	int r = MG_ERR_NOMEM;

	memset(&t, 0, sizeof(t));
	t.ms = ms;
	t.a = a;
	version[0] = order[0] = '\0';
	if (ms->n == 0) {
		if (layout(&t, NULL, "the archive holds no member: torch.load "
		    "finds nothing to load") != MG_OK)
			return MG_ERR_NOMEM;
		return MG_ERR_FORMAT;
	}
	t.root = ms->v[0].name;
	t.rl = root_len(ms->v[0].name, ms->v[0].nlen);
	if (t.rl == 0) {
		if (layout(&t, ms->v[0].name, "the first member, %.300s, is not "
		    "in a folder: torch.load takes the archive's root folder "
		    "from it and fails", ms->v[0].name) != MG_OK)
			return MG_ERR_NOMEM;
		return MG_ERR_FORMAT;
	}
	if ((t.used = calloc(ms->n, 1)) == NULL)
		return MG_ERR_NOMEM;
	if (index_members(&t) != MG_OK) {
		free(t.used);
		return MG_ERR_NOMEM;
	}
	/* torch.load hands an archive with constants.pkl to torch.jit.load. */
	t.ts = find(&t, "constants.pkl", NULL) != NULL;
	a->format = t.ts ? &mg_fmt_torchscript : &mg_fmt_pytorch;
	for (i = 0; i < ms->n && !t.code; i++)
		t.code = under(ms->v[i].name, ms->v[i].nlen, t.root, t.rl,
		    "code/") && ends_with((const unsigned char *)ms->v[i].name,
		    ms->v[i].nlen, ".py");

	for (i = 0; i < ms->n; i++) {
		m = &ms->v[i];
		if (m->nlen < t.rl || memcmp(m->name, t.root, t.rl) != 0) {
			if (layout(&t, m->name, "member %.300s is outside the "
			    "root folder %.*s: torch.load never reads it, other "
			    "tools may", m->name, (int)t.rl, t.root) != MG_OK)
				goto out;
		}
	}
	if ((r = pickle_member(&t, "data.pkl", "data", 1, &data)) != MG_OK)
		goto out;
	if (t.ts && (r = pickle_member(&t, "constants.pkl", "constants", 1,
	    &cons)) != MG_OK)
		goto out;
	r = MG_ERR_NOMEM;
	if ((m = find(&t, ".data/version", NULL)) == NULL)
		m = find(&t, "version", NULL);
	if (m == NULL) {
		if (layout(&t, NULL, "%.*sversion is missing: torch.load cannot "
		    "tell the format version", (int)t.rl, t.root) != MG_OK)
			goto out;
	} else if (small_text(&t, m, 1, version, sizeof(version)) != MG_OK)
		goto out;
	if ((m = find(&t, "byteorder", NULL)) != NULL &&
	    small_text(&t, m, 0, order, sizeof(order)) != MG_OK)
		goto out;
	for (i = 0; i < ms->n; i++) {
		m = &ms->v[i];
		/*
		 * Not written by torch and never read by it, but checked
		 * like any member: reported, the checkpoint stays verified.
		 */
		if (m->nlen >= t.rl && memcmp(m->name, t.root, t.rl) == 0 &&
		    !known_member(&t, m) && mg_artifact_addx(a,
		    MG_R_TORCH_LAYOUT, MG_FINDING_NO_OFFSET, 0, m->name, NULL,
		    "member %.300s is not part of the layout torch.save%s "
		    "writes: torch.load never reads it, other tools may",
		    m->name, t.ts ? " or torch.jit.save" : "") != MG_OK)
			goto out;
		if ((m->role & MG_MEMBER_RAW) && !t.used[i] &&
		    layout(&t, m->name, "member %.300s is not a storage any "
		    "pickle of the archive declares: torch.load never reads "
		    "it", m->name) != MG_OK)
			goto out;
		if (!t.ts)
			continue;
		/* TorchScript's unpickler reads its other pickles too. */
		if (m->art != NULL && m->art->format == &mg_fmt_pickle &&
		    (ends_with((const unsigned char *)m->name, m->nlen,
		    ".debug_pkl") || is(m->name, m->nlen, t.root, t.rl,
		    "bytecode.pkl")) && !m->art->torchscript) {
			m->art->torchscript = 1;
			if (mg_pickle_rejudge(NULL, m->art) != MG_OK)
				goto out;
		}
		if (!(m->role & MG_MEMBER_KEEP) ||
		    !under(m->name, m->nlen, t.root, t.rl, "code/"))
			continue;
		if (code == NULL && (code = cJSON_CreateArray()) == NULL)
			goto out;
		cJSON_AddItemToArray(code, cJSON_CreateString(m->name + t.rl));
		if (!m->kept_whole) {
			if (layout(&t, m->name, "code file %.300s could not be "
			    "read whole (over %u bytes, or damaged): it was not "
			    "checked", m->name, (unsigned)MG_ARC_KEEP) != MG_OK)
				goto out;
			continue;
		}
		if (mg_tscode_scan(m->kept, m->nkept, m->name, a, &hits) !=
		    MG_OK)
			goto out;
	}
	if ((r = bom(&t, data)) != MG_OK)
		goto out;
	r = MG_ERR_NOMEM;
	if (a->metadata == NULL && (a->metadata = cJSON_CreateObject()) == NULL)
		goto out;
	if ((o = cJSON_AddObjectToObject(a->metadata, t.ts ? "torchscript" :
	    "pytorch")) == NULL)
		goto out;
	{
		char root[300];

		snprintf(root, sizeof(root), "%.*s", (int)(t.rl - 1 < 256 ?
		    t.rl - 1 : 256), t.root);
		if (cJSON_AddStringToObject(o, "root", root) == NULL)
			goto out;
	}
	if ((version[0] != '\0' && cJSON_AddStringToObject(o, "version",
	    version) == NULL) || (order[0] != '\0' &&
	    cJSON_AddStringToObject(o, "byteorder", order) == NULL) ||
	    cJSON_AddNumberToObject(o, "storages", (double)t.storages) == NULL ||
	    cJSON_AddNumberToObject(o, "storage_bytes", (double)t.bytes) == NULL)
		goto out;
	if (code != NULL) {
		cJSON_AddItemToObject(o, "code_files", code);
		code = NULL;	/* transferred */
	}
	r = t.bad ? MG_ERR_FORMAT : MG_OK;
out:
	cJSON_Delete(code);
	free(t.used);
	free(t.byname);
	return r;
}

static const char *const pytorch_exts[] = { "pt", "pth", "ckpt", NULL };
static const char *const torchscript_exts[] = { "ptl", NULL };

const struct mg_format mg_fmt_pytorch = {
	.name = "pytorch",
	.exts = pytorch_exts,
	.probe = pytorch_probe,
	.flags = MG_FMT_CONTAINER,
	.role = torch_role,
	.check = torch_check,
};

const struct mg_format mg_fmt_torchscript = {
	.name = "torchscript",
	.exts = torchscript_exts,
	.probe = torchscript_probe,
	.flags = MG_FMT_CONTAINER,
	.role = torch_role,
	.check = torch_check,
};
