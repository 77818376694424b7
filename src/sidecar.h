/*
 * sidecar.h - Hugging Face config files beside a model.
 *
 * config.json and tokenizer_config.json in the model's directory supply
 * model_type, architectures, torch_dtype, transformers_version, licence and
 * base model when the model itself lacks them (the rules l-bom follows).
 */
#ifndef MG_SIDECAR_H
#define MG_SIDECAR_H

struct mg_artifact;

/*
 * Read the sidecars in directory `dir` and merge them into a.  Unreadable
 * or malformed sidecars become SIDECAR-JSON findings.  Returns MG_OK or
 * MG_ERR_NOMEM.
 */
int	mg_sidecar_apply(const char *dir, struct mg_artifact *a);

#endif /* MG_SIDECAR_H */
