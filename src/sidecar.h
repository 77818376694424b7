/*
 * sidecar.h - Hugging Face config files beside a model.
 *
 * config.json and tokenizer_config.json in the model's directory supply
 * model_type, architectures, torch_dtype, transformers_version, licence and
 * base model when the model itself lacks them (the rules l-bom follows).
 */
#ifndef MG_SIDECAR_H
#define MG_SIDECAR_H

#include <cjson/cJSON.h>

#include "artifact.h"

/*
 * The sidecars of one directory, parsed once and reused for every model
 * in it (a worker keeps one; models of a directory arrive together).
 */
struct mg_sidecars {
	char			*dir;		/* NULL: nothing loaded yet */
	char			*root;		/* root it was read under, or NULL */
	cJSON			*cfg, *tok;	/* parsed objects, or NULL */
	char			 unread[64];	/* sidecars that exist but could
						   not be used, or "" */
	struct mg_artifact	 probs;		/* their SIDECAR-JSON findings */
};

void	mg_sidecars_init(struct mg_sidecars *c);
void	mg_sidecars_free(struct mg_sidecars *c);	/* accepts NULL */

/*
 * Merge the sidecars in directory `dir` (the model's display directory)
 * into a, reading them only when c holds another directory's.  A sidecar
 * that is a symlink is followed only when root (the scan root's real
 * path, or NULL) holds its target.  Unreadable, malformed or over-cap
 * sidecars and repeated keys become SIDECAR-JSON findings on every model
 * of the directory; when a declares no licence, a sidecar that exists but
 * could not be used, or that repeats "license" with different values, sets
 * a->lic_indeterminate.  Returns MG_OK or MG_ERR_NOMEM.
 */
int	mg_sidecar_apply(struct mg_sidecars *c, const char *dir,
	    const char *root, struct mg_artifact *a);

/*
 * A sidecar found in an archive, beside a model member: its bytes when it
 * was read whole, or why it could not be.
 */
#define MG_SIDEBUF_ABSENT	0
#define MG_SIDEBUF_READ		1	/* p[0..n) holds it */
#define MG_SIDEBUF_UNREAD	2	/* there, not usable: why says */
struct mg_sidebuf {
	const char	*p;
	size_t		 n;
	int		 state;
	const char	*why;
};

/*
 * Merge config.json (sb[0]) and tokenizer_config.json (sb[1]) given as
 * bytes into a, under the rules mg_sidecar_apply follows.  Returns MG_OK
 * or MG_ERR_NOMEM.
 */
int	mg_sidecar_apply_mem(const struct mg_sidebuf sb[2],
	    struct mg_artifact *a);

#endif /* MG_SIDECAR_H */
