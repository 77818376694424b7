/*
 * tutil.c - end-to-end test helpers (see tutil.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

#include <check.h>

#include "tutil.h"

const char *
tu_env(const char *k)
{
	const char *v = getenv(k);

	ck_assert_msg(v != NULL, "%s is not set (run through make test)", k);
	return v;
}

char *
tu_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	b[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return b;
}

static struct tres run(const char *cwd, const char *const *args,
    const char *bin, int as_nobody, const char *const *env,
    struct rusage *ru);

struct tres
tu_run(const char *cwd, const char *const *args)
{
	return run(cwd, args, tu_env("MG_BIN"), 0, NULL, NULL);
}

struct tres
tu_run_env(const char *cwd, const char *const *args, const char *const *env,
    struct rusage *ru)
{
	return run(cwd, args, tu_env("MG_BIN"), 0, env, ru);
}

struct tres
tu_run_bin(const char *bin, const char *cwd, const char *const *args,
    const char *const *env)
{
	return run(cwd, args, bin, 0, env, NULL);
}

struct tres
tu_run_unprivileged(const char *cwd, const char *const *args)
{
	char bin[4096];
	struct tres r;

	/* A copy every user can run, wherever the build tree lives. */
	snprintf(bin, sizeof(bin), "%s/.modelgate-unpriv", cwd);
	tu_sh("cp '%s' '%s' && chmod 0755 '%s'", tu_env("MG_BIN"), bin, bin);
	r = run(cwd, args, bin, 1, NULL, NULL);
	unlink(bin);
	return r;
}

static struct tres
run(const char *cwd, const char *const *args, const char *bin, int as_nobody,
    const char *const *env, struct rusage *ru)
{
	char outp[] = "/tmp/mgoutXXXXXX", errp[] = "/tmp/mgerrXXXXXX";
	const char *argv[64];
	struct tres r;
	int fo = mkstemp(outp), fe = mkstemp(errp), st, i;
	pid_t pid;

	ck_assert(fo >= 0 && fe >= 0);
	argv[0] = bin;
	for (i = 0; args[i] != NULL && i < 62; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
		setenv("NO_COLOR", "1", 1);
		for (i = 0; env != NULL && env[i] != NULL; i++)
			if (putenv((char *)env[i]) != 0)
				_exit(124);
		if (cwd != NULL && chdir(cwd) != 0)
			_exit(126);
		/* Root reads every file: become nobody (65534) first. */
		if (as_nobody && geteuid() == 0 && (setgroups(0, NULL) != 0 ||
		    setgid(65534) != 0 || setuid(65534) != 0))
			_exit(125);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (ru != NULL)
		ck_assert_int_eq(wait4(pid, &st, 0, ru), pid);
	else
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	close(fo);
	close(fe);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = tu_slurp(outp, &r.len);
	r.err = tu_slurp(errp, NULL);
	unlink(outp);
	unlink(errp);
	return r;
}

void
tu_free(struct tres *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void
tu_write(const char *dir, const char *name, const char *text)
{
	tu_write_bytes(dir, name, text, strlen(text));
}

void
tu_write_bytes(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

char *
tu_tmpdir(void)
{
	char t[] = "/tmp/mgtestXXXXXX";
	char *d = mkdtemp(t);

	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

void
tu_sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ck_assert_msg(system(cmd) == 0, "command failed: %s", cmd);
}

void
tu_rmrf(const char *dir)
{
	if (dir != NULL && strncmp(dir, "/tmp/", 5) == 0)
		tu_sh("rm -rf '%s'", dir);
}

const char *
tu_fix(const char *rel)
{
	static char p[4096];

	snprintf(p, sizeof(p), "%s/%s", tu_env("MG_FIXTURES"), rel);
	return p;
}

/* tests/schema/NAME, found beside MG_GOLDEN or from the current directory. */
static const char *
schema_path(const char *name)
{
	static char path[4096];
	const char *g = getenv("MG_GOLDEN");
	char *slash;

	if (g != NULL && strlen(g) < sizeof(path) - 64) {
		snprintf(path, sizeof(path), "%s", g);
		if ((slash = strrchr(path, '/')) != NULL) {
			snprintf(slash, sizeof(path) - (size_t)(slash - path),
			    "/schema/%s", name);
			if (access(path, R_OK) == 0)
				return path;
		}
	}
	snprintf(path, sizeof(path), "tests/schema/%s", name);
	ck_assert_msg(access(path, R_OK) == 0, "%s missing", path);
	return path;
}

/* A Python that has jsonschema: Debian's first, then the PATH's. */
static const char *
python_with_jsonschema(void)
{
	static const char *const cands[] = { "/usr/bin/python3", "python3" };
	char cmd[256];
	size_t i;

	for (i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s -c 'import jsonschema' "
		    ">/dev/null 2>&1", cands[i]);
		if (system(cmd) == 0)
			return cands[i];
	}
	ck_abort_msg("no python3 with jsonschema: run ci/install-deps.sh "
	    "(Debian package python3-jsonschema)");
	return NULL;
}

void
tu_sarif_schema_ok(const char *file)
{
	const char *py = python_with_jsonschema();
	char cmd[8192];
	int rc;

	snprintf(cmd, sizeof(cmd), "%s -c '"
	    "import json, sys, jsonschema\n"
	    "s = json.load(open(sys.argv[1]))\n"
	    "d = json.load(open(sys.argv[2], encoding=\"utf-8\"))\n"
	    "v = jsonschema.validators.validator_for(s)(s)\n"
	    "errs = sorted(v.iter_errors(d), key=lambda e: list(e.path))\n"
	    "[print(\"sarif schema:\", list(e.path), e.message[:300], "
	    "file=sys.stderr) for e in errs[:10]]\n"
	    "sys.exit(1 if errs else 0)' '%s' '%s'",
	    py, schema_path("sarif-schema-2.1.0.json"), file);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "%s does not validate against the SARIF 2.1.0 "
	    "schema (rc %d)", file, rc);
}

void
tu_junit_xsd_ok(const char *file)
{
	char errp[] = "/tmp/mgxsdXXXXXX", cmd[8192];
	int fd, rc;

	ck_assert_msg(system("xmllint --version >/dev/null 2>&1") == 0,
	    "xmllint missing: run ci/install-deps.sh (Debian libxml2-utils)");
	fd = mkstemp(errp);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "xmllint --noout --schema '%s' '%s' "
	    ">/dev/null 2>'%s' || { cat '%s' >&2; exit 1; }",
	    schema_path("junit-10.xsd"), file, errp, errp);
	rc = system(cmd);
	unlink(errp);
	ck_assert_msg(rc == 0, "%s does not validate against junit-10.xsd",
	    file);
}

cJSON *
tu_raw_list(const cJSON *obj, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);
	cJSON *v;

	ck_assert_msg(cJSON_IsRaw(j), "%s is not JSON text", key);
	v = cJSON_Parse(j->valuestring);
	ck_assert_msg(cJSON_IsArray(v), "%s: %s", key, j->valuestring);
	return v;
}
