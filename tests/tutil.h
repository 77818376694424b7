/*
 * tutil.h - helpers shared by the end-to-end tests: run the modelgate
 * binary, read files, make scratch directories.
 */
#ifndef MG_TUTIL_H
#define MG_TUTIL_H

#include <stddef.h>

#include <cjson/cJSON.h>

struct tres {
	int	 status;	/* exit status, or 128 + signal */
	char	*out;		/* standard output (NUL-terminated) */
	size_t	 len;
	char	*err;		/* standard error */
};

/* $k, failing the test when unset (run through make test). */
const char *tu_env(const char *k);

/*
 * Run MG_BIN with args (NULL-terminated) in directory cwd (NULL: the
 * current one), SOURCE_DATE_EPOCH=1700000000, NO_COLOR=1.
 */
struct tres tu_run(const char *cwd, const char *const *args);
/*
 * The same, but as an unprivileged user: as root, the child drops to
 * nobody (uid and gid 65534) before it runs a copy of MG_BIN placed in
 * cwd, so that permission tests hold when the suite runs as root.
 */
struct tres tu_run_unprivileged(const char *cwd, const char *const *args);
/*
 * tu_run, with "NAME=value" strings from env (NULL-terminated, or NULL)
 * added to the child's environment and, when ru is not NULL, the child's
 * resource usage (wait4) stored in *ru: ru_maxrss is its peak RSS in KiB.
 */
struct rusage;
struct tres tu_run_env(const char *cwd, const char *const *args,
	    const char *const *env, struct rusage *ru);
/* tu_run_env with another build of the program (a path). */
struct tres tu_run_bin(const char *bin, const char *cwd,
	    const char *const *args, const char *const *env);
void	tu_free(struct tres *r);

/* A file's bytes (NUL-terminated), or NULL; *len may be NULL. */
char	*tu_slurp(const char *path, size_t *len);
/* Write a string, or n bytes, to dir/name. */
void	tu_write(const char *dir, const char *name, const char *text);
void	tu_write_bytes(const char *dir, const char *name, const void *p,
	    size_t n);
/* A fresh directory under /tmp; tu_rmrf removes it. */
char	*tu_tmpdir(void);
void	tu_rmrf(const char *dir);
/* MG_FIXTURES/rel in a static buffer (one at a time). */
const char *tu_fix(const char *rel);
/* Run a shell command; fail the test when it fails. */
void	tu_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Validate a SARIF file against the vendored SARIF 2.1.0 schema (Debian's
 * python3-jsonschema) and a JUnit file against the vendored junit-10.xsd
 * (xmllint); a missing validator fails the test, never skips it.
 */
void	tu_sarif_schema_ok(const char *file);
void	tu_junit_xsd_ok(const char *file);

/*
 * obj[key], a list the parser wrote as JSON text (a raw node), read back
 * as the array it prints; fails the test otherwise.  The caller deletes it.
 */
cJSON	*tu_raw_list(const cJSON *obj, const char *key);

#endif
