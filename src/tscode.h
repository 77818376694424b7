/*
 * tscode.h - a lexical scan of TorchScript source for unsafe names.
 *
 * torch.jit.save writes the model's code as Python-like source under
 * <root>/code/; torch.jit.load compiles it.  Generated code reaches only
 * torch operators and the archive's own __torch__ classes, so an import
 * statement or a name the pickle unsafe list covers (os.system,
 * subprocess, builtins.eval, ...) is something a person put there.
 */
#ifndef MG_TSCODE_H
#define MG_TSCODE_H

#include <stddef.h>

struct mg_artifact;

/*
 * Scan n bytes of source (file: its member name, for the messages) and
 * add one TORCHSCRIPT-CODE finding to a per unsafe name, keyed by the
 * name as written ("os.system").  *hits counts them.  Comments and string
 * literals are skipped; the bytes need not be valid UTF-8.  MG_OK or
 * MG_ERR_NOMEM.
 */
int	mg_tscode_scan(const unsigned char *p, size_t n, const char *file,
	    struct mg_artifact *a, unsigned *hits);

/* 1 when the dotted name (as written) is one the scan reports. */
int	mg_tscode_unsafe(const char *dotted, int called);

#endif /* MG_TSCODE_H */
