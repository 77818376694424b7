/*
 * repo.h - checks across the files of a model repository.
 *
 * A model ships as a directory: shards and their index, GGUF quantisations
 * and split sets, config.json, tokenizer_config.json, chat templates and
 * sometimes Python modules.  After the scan has sorted its artifacts, this
 * pass visits every directory on disk that holds one and checks the files
 * against each other:
 *
 *  - shard indexes (*.safetensors.index.json, pytorch_model.bin.index.json):
 *    targets inside the directory, present and regular; each tensor in the
 *    shard named for it; every tensor of every shard indexed exactly once;
 *    metadata.total_size; shards that no index names (REPO-*);
 *  - GGUF split sets (name-00001-of-00003.gguf, split.* keys);
 *  - chat templates in sidecars (TEMPLATE-INJECT) and across variants
 *    (TEMPLATE-VARIANT);
 *  - remote code (auto_map, *.py), recorded for the gate (REMOTE-CODE);
 *  - config.json against the weights (CONFIG-MISMATCH).
 *
 * The files it reads become artifacts of their own (MG_FMT_REPO formats),
 * hashed, with their findings: an index is the anchor of its set, a GGUF
 * split set is anchored at its first shard (struct mg_set).  Parsers'
 * typed facts are used (struct mg_tfact, mg_digest), never report data.
 * Archive members are not grouped into repositories.  Single-threaded;
 * output does not depend on the walk order.
 */
#ifndef MG_REPO_H
#define MG_REPO_H

#include <stddef.h>

#include "artifact.h"
#include "run.h"

/*
 * A directory listing the walk already read: the checks use it rather
 * than read the directory again.  dir is the directory part of its
 * files' display paths; names are sorted with strcmp, every entry but
 * "." and "..".
 */
struct mg_dirlist {
	char		*dir;
	char		**names;
	size_t		 n;
};

struct mg_dirlists {
	struct mg_dirlist *v;		/* sorted by dir, no dir twice */
	size_t		 n, cap;
	size_t		 bytes;		/* held, against MG_MAX_DIRLIST_BYTES */
};

/*
 * Keep a copy of a listing, within MG_MAX_DIRLIST_BYTES for them all
 * (beyond it, or out of memory, the checks read the directory).  Call
 * mg_dirlists_done once every listing is in.
 */
void	mg_dirlists_add(struct mg_dirlists *l, const char *dir, size_t dirlen,
	    char *const *names, size_t n);
void	mg_dirlists_done(struct mg_dirlists *l);
void	mg_dirlists_free(struct mg_dirlists *l);

/*
 * Run the checks over a finished run of these roots: adds findings to
 * its artifacts, appends the repository files' artifacts (only for files
 * below a directory root: a file root stands alone) and sorts again.
 * o->want (may be NULL) decides, as for the walk, whether a repository
 * file belongs to this run; a symlinked repository file is read only with
 * o->scan.follow_symlinks and only when it stays inside a root (else it
 * is an IO-READ finding: there, not read).  kinds (NULL: each root is
 * looked at again) holds what the walk found each root to be
 * (MG_WALK_ROOT_*).  Returns MG_OK or MG_ERR_NOMEM.
 */
int	mg_repo_check(struct mg_run *run, char *const *roots,
	    const unsigned char *kinds, size_t nroots,
	    const struct mg_run_opts *o, const struct mg_dirlists *lists);


#endif /* MG_REPO_H */
