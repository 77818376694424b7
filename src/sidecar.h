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
 * What one directory's sidecars give a model: parsed once, then applied
 * to each model of the directory (mg_sidedigest_apply).
 */
struct mg_sidedigest;

/*
 * A worker's sidecars: those of the directories the walk is inside, each
 * parsed once and reused for every model in it however the walk
 * interleaves subdirectories (bounded in count and bytes; see sidecar.c).
 */
struct mg_sidedir;
struct mg_sidecars {
	struct mg_sidedir	*top;	/* the innermost, or NULL */
	size_t			 n;	/* directories held */
	size_t			 bytes;	/* about what they hold */
};

void	mg_sidecars_init(struct mg_sidecars *c);
void	mg_sidecars_free(struct mg_sidecars *c);	/* accepts NULL */

/*
 * Merge the sidecars in directory `dir` (the model's display directory)
 * into a, reading them only when c does not hold that directory's.  A
 * sidecar that is a symlink is followed only when root (the scan root's
 * real path, or NULL) holds its target.  Unreadable, malformed or over-cap
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

/*
 * The same in two steps, for many models beside the same sidecars: parse
 * them once into *out (freed with mg_sidedigest_free), then apply that to
 * each model; a model gets what mg_sidecar_apply_mem would give it,
 * findings included.  Both return MG_OK or MG_ERR_NOMEM.
 */
int	mg_sidedigest_mem(const struct mg_sidebuf sb[2],
	    struct mg_sidedigest **out);
int	mg_sidedigest_apply(const struct mg_sidedigest *d,
	    struct mg_artifact *a);
void	mg_sidedigest_free(struct mg_sidedigest *d);	/* accepts NULL */

#endif /* MG_SIDECAR_H */
