/*
 * tutil.c - end-to-end test helpers (see tutil.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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

struct tres
tu_run(const char *cwd, const char *const *args)
{
	char outp[] = "/tmp/mgoutXXXXXX", errp[] = "/tmp/mgerrXXXXXX";
	const char *argv[64];
	struct tres r;
	int fo = mkstemp(outp), fe = mkstemp(errp), st, i;
	pid_t pid;

	ck_assert(fo >= 0 && fe >= 0);
	argv[0] = tu_env("MG_BIN");
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
		if (cwd != NULL && chdir(cwd) != 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
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
	char p[4096];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
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
