/*
 * test_serve.c - `modelgate serve` driven over pipes: the JSON-RPC errors
 * (malformed JSON, an oversized line, unknown methods, bad params), 1,000
 * concurrent requests with interleaved ids each answered exactly once,
 * refused paths, cancellation, the lock, SIGHUP, and the official MCP
 * TypeScript SDK client (tests/mcp/sdk_client.mjs).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "buf.h"
#include "gguf_build.h"
#include "suites.h"
#include "tutil.h"

/* A running server: its pipes and every line it wrote, in order. */
struct srv {
	pid_t		 pid;
	int		 in;		/* its standard input */
	int		 out;		/* its standard output */
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	char		**lines;
	size_t		 n, cap;
	int		 eof;
	char		 errfile[256];
};

static void *
collect(void *arg)
{
	struct srv *s = arg;
	char buf[65536], *acc = NULL;
	size_t len = 0, cap = 0;
	ssize_t k;

	while ((k = read(s->out, buf, sizeof(buf))) > 0 || (k < 0 &&
	    errno == EINTR)) {
		ssize_t i;

		for (i = 0; i < k; i++) {
			if (len + 1 >= cap) {
				cap = cap ? cap * 2 : 4096;
				acc = realloc(acc, cap);
			}
			if (buf[i] != '\n') {
				acc[len++] = buf[i];
				continue;
			}
			acc[len] = '\0';
			pthread_mutex_lock(&s->mu);
			if (s->n == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 256;
				s->lines = realloc(s->lines, s->cap *
				    sizeof(*s->lines));
			}
			s->lines[s->n++] = strdup(acc);
			pthread_cond_broadcast(&s->cv);
			pthread_mutex_unlock(&s->mu);
			len = 0;
		}
	}
	free(acc);
	pthread_mutex_lock(&s->mu);
	s->eof = 1;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Start MG_BIN serve with args (NULL-terminated) after "serve". */
static void
srv_start(struct srv *s, const char *cwd, const char *const *args)
{
	int pin[2], pout[2];
	const char *av[32];
	size_t i, n = 0;

	memset(s, 0, sizeof(*s));
	av[n++] = tu_env("MG_BIN");
	av[n++] = "serve";
	for (i = 0; args[i] != NULL && n < 31; i++)
		av[n++] = args[i];
	av[n] = NULL;
	snprintf(s->errfile, sizeof(s->errfile), "/tmp/mg-serve-err.%d",
	    (int)getpid());
	ck_assert_int_eq(pipe(pin), 0);
	ck_assert_int_eq(pipe(pout), 0);
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		int e = open(s->errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(pin[0], 0);
		dup2(pout[1], 1);
		if (e >= 0)
			dup2(e, 2);
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		if (cwd != NULL && chdir(cwd) != 0)
			_exit(127);
		setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
		execv(av[0], (char *const *)av);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	s->in = pin[1];
	s->out = pout[0];
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	ck_assert_int_eq(pthread_create(&s->th, NULL, collect, s), 0);
}

static void
srv_send(struct srv *s, const char *text)
{
	size_t n = strlen(text);

	while (n > 0) {
		ssize_t k = write(s->in, text, n);

		if (k < 0 && errno == EINTR)
			continue;
		ck_assert_int_gt(k, 0);
		text += k;
		n -= (size_t)k;
	}
}

/* Wait until the server has written at least n lines (or ended). */
static size_t
srv_wait(struct srv *s, size_t n, int seconds)
{
	struct timespec dl;
	size_t got;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += seconds;
	pthread_mutex_lock(&s->mu);
	while (s->n < n && !s->eof)
		if (pthread_cond_timedwait(&s->cv, &s->mu, &dl) != 0)
			break;
	got = s->n;
	pthread_mutex_unlock(&s->mu);
	return got;
}

/* The answer with this id (JSON text), parsed, or NULL after a wait. */
static cJSON *
srv_answer(struct srv *s, const char *id, int seconds)
{
	struct timespec dl;
	size_t i, seen = 0;
	cJSON *found = NULL;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += seconds;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		for (i = seen; i < s->n && found == NULL; i++) {
			cJSON *o = cJSON_Parse(s->lines[i]);
			char *t = o != NULL ? cJSON_PrintUnformatted(
			    cJSON_GetObjectItem(o, "id")) : NULL;

			if (t != NULL && strcmp(t, id) == 0)
				found = o;
			else
				cJSON_Delete(o);
			free(t);
		}
		seen = s->n;
		if (found != NULL || s->eof ||
		    pthread_cond_timedwait(&s->cv, &s->mu, &dl) != 0)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return found;
}

/* Close its input and wait: the exit status. */
static int
srv_stop(struct srv *s)
{
	int st = -1;
	size_t i;

	close(s->in);
	pthread_join(s->th, NULL);
	close(s->out);
	waitpid(s->pid, &st, 0);
	for (i = 0; i < s->n; i++)
		free(s->lines[i]);
	free(s->lines);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	unlink(s->errfile);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A well-formed answer: jsonrpc 2.0, an id, exactly one of result/error. */
static void
well_formed(const char *line)
{
	cJSON *o = cJSON_Parse(line), *e;

	ck_assert_msg(o != NULL, "not JSON: %.200s", line);
	ck_assert_str_eq(cJSON_GetObjectItem(o, "jsonrpc")->valuestring, "2.0");
	ck_assert_msg(cJSON_HasObjectItem(o, "id"), "no id: %.200s", line);
	ck_assert_msg(cJSON_HasObjectItem(o, "result") !=
	    cJSON_HasObjectItem(o, "error"), "result xor error: %.200s", line);
	if ((e = cJSON_GetObjectItem(o, "error")) != NULL) {
		ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(e, "code")));
		ck_assert(cJSON_IsString(cJSON_GetObjectItem(e, "message")));
	}
	cJSON_Delete(o);
}

static int
error_code(const cJSON *a)
{
	const cJSON *e = cJSON_GetObjectItem(a, "error");

	return e != NULL ? cJSON_GetObjectItem(e, "code")->valueint : 0;
}

static const cJSON *
result_of(const cJSON *a)
{
	const cJSON *r = cJSON_GetObjectItem(a, "result");

	ck_assert_msg(r != NULL, "no result");
	return r;
}

static int
is_error_result(const cJSON *a)
{
	return cJSON_IsTrue(cJSON_GetObjectItem(result_of(a), "isError"));
}

static const cJSON *structured(const cJSON *a);
static const char *sget(const cJSON *o, const char *k);

/* A tools/call request line; args is the arguments object's JSON text. */
#define CALL(id, tool, args) \
	"{\"jsonrpc\":\"2.0\",\"id\":" id ",\"method\":\"tools/call\"," \
	"\"params\":{\"name\":\"" tool "\",\"arguments\":" args "}}\n"

#define INIT(ver) \
	"{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":" \
	"{\"protocolVersion\":\"" ver "\",\"capabilities\":{}," \
	"\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n" \
	"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"

/* Errors answered with their codes; a null id where none could be read. */
START_TEST(serve_protocol_errors)
{
	static const struct {
		const char	*line;
		const char	*id;
		int		 code;
	} cases[] = {
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":", "null", -32700 },
		{ "not json at all", "null", -32700 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1} trailing", "null", -32700 },
		{ "[{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}]", "null",
		  -32600 },
		{ "{\"jsonrpc\":\"1.0\",\"id\":3,\"method\":\"ping\"}", "3", -32600 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", "null",
		  -32600 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", "null",
		  -32600 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":7}", "4", -32600 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"resources/list\"}",
		  "5", -32601 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"six\",\"method\":\"prompts/get\"}",
		  "\"six\"", -32601 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\","
		  "\"params\":[1]}", "7", -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\","
		  "\"params\":{}}", "8", -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\","
		  "\"params\":{\"name\":\"rm\"}}", "9", -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\","
		  "\"params\":{\"name\":\"scan\",\"arguments\":[]}}", "10", -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\","
		  "\"params\":{\"name\":\"scan\",\"arguments\":{\"paths\":[\"a\"],"
		  "\"exec\":\"x\"}}}", "11", -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"tools/call\","
		  "\"params\":{\"name\":\"scan\",\"arguments\":{\"paths\":\"a\"}}}",
		  "12", -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"tools/call\","
		  "\"params\":{\"name\":\"scan\",\"arguments\":{}}}", "13", -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"tools/call\","
		  "\"params\":{\"name\":\"scan\",\"arguments\":{\"paths\":[\"a\"],"
		  "\"fail_on\":\"severe\"}}}", "14", -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":15,\"method\":\"tools/call\","
		  "\"params\":{\"name\":\"bom\",\"arguments\":{\"path\":\"a\","
		  "\"hash\":\"no\"}}}", "15", -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":16,\"method\":\"tools/list\","
		  "\"params\":{\"cursor\":\"x\"}}", "16", -32602 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":17,\"method\":\"initialize\","
		  "\"params\":{}}", "17", -32602 },
		{ "\xff\xfe{\"jsonrpc\":\"2.0\",\"id\":18}", "null", -32700 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"\\udc80\",\"method\":\"ping\"}",
		  "null", -32600 },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}", "null",
		  -32600 },
	};
	const char *const args[] = { "--root", tu_fix("gguf"), "--jobs", "2",
	    NULL };
	struct srv s;
	char *big;
	size_t i, n;
	cJSON *a;

	srv_start(&s, NULL, args);
	srv_send(&s, INIT("2025-06-18"));
	a = srv_answer(&s, "0", 20);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(cJSON_GetObjectItem(result_of(a), "protocolVersion")->
	    valuestring, "2025-06-18");
	cJSON_Delete(a);
	/* Notifications, even unknown or malformed ones, get no answer. */
	srv_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}\n"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	    "\"params\":{\"requestId\":{}}}\n\n   \n");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[1024];

		n = srv_wait(&s, 0, 0);
		snprintf(line, sizeof(line), "%s\n", cases[i].line);
		srv_send(&s, line);
		ck_assert_uint_eq(srv_wait(&s, n + 1, 20), n + 1);
		pthread_mutex_lock(&s.mu);
		well_formed(s.lines[n]);
		a = cJSON_Parse(s.lines[n]);
		pthread_mutex_unlock(&s.mu);
		{
			char *id = cJSON_PrintUnformatted(cJSON_GetObjectItem(a,
			    "id"));

			ck_assert_msg(strcmp(id, cases[i].id) == 0 &&
			    error_code(a) == cases[i].code, "case %zu: id %s "
			    "code %d, want %s %d", i, id, error_code(a),
			    cases[i].id, cases[i].code);
			free(id);
		}
		cJSON_Delete(a);
	}
	/* A line of 3 MiB: refused, never held whole; the server goes on. */
	n = srv_wait(&s, 0, 0);
	big = malloc(3u << 20);
	memset(big, ' ', 3u << 20);
	{
		static const char head[] =
		    "{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"ping\",\"x\":\"";

		memcpy(big, head, sizeof(head) - 1);
	}
	big[(3u << 20) - 1] = '\0';
	srv_send(&s, big);
	srv_send(&s, "\"}\n{\"jsonrpc\":\"2.0\",\"id\":100,\"method\":\"ping\"}\n");
	free(big);
	ck_assert_uint_eq(srv_wait(&s, n + 2, 30), n + 2);
	pthread_mutex_lock(&s.mu);
	a = cJSON_Parse(s.lines[n]);
	ck_assert_int_eq(error_code(a), -32600);
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(a, "id")));
	cJSON_Delete(a);
	ck_assert_str_eq(s.lines[n + 1],
	    "{\"jsonrpc\":\"2.0\",\"id\":100,\"result\":{}}");
	pthread_mutex_unlock(&s.mu);
	/* Nothing more came: no stray answers to notifications. */
	ck_assert_uint_eq(srv_wait(&s, n + 3, 1), n + 2);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* Under 2025-11-25 a bad argument is a tool error the model can read. */
START_TEST(serve_bad_arguments_are_tool_errors_in_2025_11_25)
{
	const char *const args[] = { "--root", tu_fix("gguf"), NULL };
	struct srv s;
	cJSON *a;

	srv_start(&s, NULL, args);
	srv_send(&s, INIT("2025-11-25"));
	srv_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"scan\",\"arguments\":{\"path\":\"x\"}}}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":"
	    "{\"protocolVersion\":\"1999-01-01\"}}\n");
	a = srv_answer(&s, "1", 20);
	ck_assert_ptr_nonnull(a);
	ck_assert(is_error_result(a));
	cJSON_Delete(a);
	/* An unknown version is answered with the newest. */
	a = srv_answer(&s, "2", 20);
	ck_assert_str_eq(cJSON_GetObjectItem(result_of(a), "protocolVersion")->
	    valuestring, "2025-11-25");
	cJSON_Delete(a);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

static long
rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/*
 * 1,000 requests in flight at once, ids interleaved (integers and strings
 * that print alike), tools and pings mixed: every one answered exactly
 * once and well formed, the server alive after, memory flat.
 */
START_TEST(serve_thousand_concurrent_requests)
{
	static const char *const calls[] = {
		"\"name\":\"scan\",\"arguments\":{\"paths\":[\"gguf/valid/llama-q8_0.gguf\"]}",
		"\"name\":\"bom\",\"arguments\":{\"path\":\"safetensors/valid\",\"hash\":false}",
		"\"name\":\"scan\",\"arguments\":{\"paths\":[\"gguf/hostile/ansi-name.gguf\"],\"fail_on\":\"low\"}",
		"\"name\":\"verify\",\"arguments\":{\"paths\":[\"gguf/valid\"]}",
		"\"name\":\"scan\",\"arguments\":{\"paths\":[\"/etc/shadow\"]}",
	};
	enum { N = 1000 };
	const char *const args[] = { "--root", tu_fix(""), "--jobs", "2", NULL };
	static unsigned char seen[2][N];
	struct srv s;
	size_t i, got, base;
	long rss0, rss1;
	char *batch, *p;
	cJSON *a;

	memset(seen, 0, sizeof(seen));
	srv_start(&s, NULL, args);
	srv_send(&s, INIT("2025-06-18"));
	a = srv_answer(&s, "0", 20);
	ck_assert_ptr_nonnull(a);
	cJSON_Delete(a);
	base = srv_wait(&s, 0, 0);
	batch = malloc((size_t)N * 200);
	for (p = batch, i = 0; i < N; i++) {
		/* Ids 1..N: even ones integers, odd ones as strings. */
		if (i % 7 == 3)
			p += sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":%s%zu%s,"
			    "\"method\":\"ping\"}\n", i % 2 ? "" : "\"", i + 1,
			    i % 2 ? "" : "\"");
		else
			p += sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":%s%zu%s,"
			    "\"method\":\"tools/call\",\"params\":{%s}}\n",
			    i % 2 ? "" : "\"", i + 1, i % 2 ? "" : "\"",
			    calls[i % 5]);
		if (i == 199) {
			*p = '\0';
			srv_send(&s, batch);
			ck_assert_uint_eq(srv_wait(&s, base + 200, 120),
			    base + 200);
			rss0 = rss_kib(s.pid);
			p = batch;
		}
	}
	*p = '\0';
	srv_send(&s, batch);
	free(batch);
	got = srv_wait(&s, base + N, 300);
	ck_assert_uint_eq(got, base + N);
	rss1 = rss_kib(s.pid);
	/* Still alive and answering. */
	srv_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":\"last\",\"method\":\"ping\"}\n");
	a = srv_answer(&s, "\"last\"", 20);
	ck_assert_ptr_nonnull(a);
	cJSON_Delete(a);
	pthread_mutex_lock(&s.mu);
	for (i = base; i < base + N; i++) {
		cJSON *o, *id;
		long k;
		int str;

		well_formed(s.lines[i]);
		o = cJSON_Parse(s.lines[i]);
		id = cJSON_GetObjectItem(o, "id");
		str = cJSON_IsString(id);
		k = str ? strtol(id->valuestring, NULL, 10) : id->valueint;
		ck_assert_msg(k >= 1 && k <= N, "id out of range: %s",
		    s.lines[i]);
		ck_assert_msg(str == (k % 2 == 1), "id type changed: %s",
		    s.lines[i]);
		ck_assert_msg(!seen[str][k - 1], "answered twice: %s",
		    s.lines[i]);
		seen[str][k - 1] = 1;
		/* The refused path is a tool error, never a read. */
		if ((k - 1) % 7 != 3 && (k - 1) % 5 == 4)
			ck_assert(is_error_result(o));
		else
			ck_assert_msg(error_code(o) == 0, "error: %s",
			    s.lines[i]);
		cJSON_Delete(o);
	}
	pthread_mutex_unlock(&s.mu);
	/* AddressSanitizer holds freed memory in quarantine: RSS means little. */
#ifndef __SANITIZE_ADDRESS__
	ck_assert_msg(rss0 > 0 && rss1 - rss0 < 8192, "RSS grew from %ld to "
	    "%ld KiB", rss0, rss1);
#else
	(void)rss0;
	(void)rss1;
#endif
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* Paths outside every root are refused, however they are spelled. */
START_TEST(serve_refuses_paths_outside_the_roots)
{
	char *root = tu_tmpdir();
	char rootarg[512];
	const char *const args[] = { "--root", rootarg, NULL };
	static const char *const bad[] = {
		"/etc/shadow", "../../../../etc/passwd", "link-out.gguf",
		"dir-out", "/", "/nonexistent-mg/x", "dir-out/nonexistent-mg"
	};
	struct srv s;
	size_t i;
	cJSON *a;

	snprintf(rootarg, sizeof(rootarg), "%s/models", root);
	tu_sh("mkdir -p '%s' && cp '%s' '%s/ok.gguf' && "
	    "ln -s /etc/passwd '%s/link-out.gguf' && ln -s /etc '%s/dir-out' && "
	    "ln -s /nonexistent-mg/x '%s/gone-out.gguf'",
	    rootarg, tu_fix("gguf/valid/llama-q8_0.gguf"), rootarg, rootarg,
	    rootarg, rootarg);
	srv_start(&s, NULL, args);
	srv_send(&s, INIT("2025-11-25"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[512], id[16];

		snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":%zu,"
		    "\"method\":\"tools/call\",\"params\":{\"name\":\"%s\","
		    "\"arguments\":{\"%s\":%s\"%s\"%s}}}\n", i + 1,
		    i % 2 ? "bom" : "scan", i % 2 ? "path" : "paths",
		    i % 2 ? "" : "[", bad[i], i % 2 ? "" : "]");
		srv_send(&s, line);
		snprintf(id, sizeof(id), "%zu", i + 1);
		a = srv_answer(&s, id, 20);
		ck_assert_ptr_nonnull(a);
		ck_assert_msg(is_error_result(a), "%s was not refused", bad[i]);
		{
			/* Absent or present, outside is all it says. */
			char *t = cJSON_PrintUnformatted(a);

			ck_assert_msg(strstr(t, "outside the roots") != NULL,
			    "%s: %s", bad[i], t);
			free(t);
		}
		cJSON_Delete(a);
	}
	/*
	 * ".." is lexical: whether a directory outside exists changes
	 * nothing in the answer.
	 */
	{
		char line[1400], id[16];
		const char *dirs[] = { "/etc", "/nonexistent-mg" };
		char *texts[2];
		size_t k;

		for (k = 0; k < 2; k++) {
			snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":"
			    "%zu,\"method\":\"tools/call\",\"params\":{\"name\":"
			    "\"scan\",\"arguments\":{\"paths\":[\"%s/..%s/"
			    "nothere.gguf\"]}}}\n", 40 + k, dirs[k], rootarg);
			srv_send(&s, line);
			snprintf(id, sizeof(id), "%zu", 40 + k);
			a = srv_answer(&s, id, 20);
			ck_assert_ptr_nonnull(a);
			ck_assert(is_error_result(a));
			texts[k] = cJSON_PrintUnformatted(a);
			ck_assert_msg(strstr(texts[k], "No such file") != NULL,
			    "%s", texts[k]);
			cJSON_Delete(a);
		}
		free(texts[0]);
		free(texts[1]);
	}
	/* The root itself scans, and its outbound links are not followed. */
	srv_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":50,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"scan\",\"arguments\":{\"paths\":[\".\"]}}}\n");
	a = srv_answer(&s, "50", 30);
	ck_assert_ptr_nonnull(a);
	ck_assert(!is_error_result(a));
	{
		const cJSON *sc = cJSON_GetObjectItem(result_of(a),
		    "structuredContent");
		char *t = cJSON_PrintUnformatted(sc);

		const cJSON *x;
		int read = 0;

		ck_assert_ptr_null(strstr(t, "root:"));
		/* Links out say nothing of their targets. */
		ck_assert_ptr_null(strstr(t, "cannot be reached"));
		ck_assert_ptr_null(strstr(t, "--follow-symlinks"));
		cJSON_ArrayForEach(x, cJSON_GetObjectItem(sc, "artifacts")) {
			if (strstr(sget(x, "path"), "-out") != NULL)
				ck_assert_str_eq(sget(x, "sha256"), "");
			else
				read++;
		}
		ck_assert_int_eq(read, 1);
		free(t);
	}
	cJSON_Delete(a);
	ck_assert_int_eq(srv_stop(&s), 0);
	tu_rmrf(root);
	free(root);
}
END_TEST

/*
 * verify reads the pins a manifest names only inside the roots: a pin
 * through a symlinked directory inside a root that leads out is neither
 * hashed nor told apart from a missing file.
 */
START_TEST(serve_verify_reads_nothing_outside_the_roots)
{
	char *root = tu_tmpdir();
	const char *const args[] = { "--root", "models", NULL };
	struct srv s;
	const cJSON *f;
	cJSON *a;
	int seen = 0;

	tu_sh("mkdir -p '%s/models' '%s/outside' && cp '%s' '%s/models/a.gguf' "
	    "&& echo secret > '%s/outside/secret.txt' && "
	    "ln -s ../outside '%s/models/link' && "
	    "printf '%%064d  models/link/secret.txt\n%%064d  "
	    "models/link/absent.txt\n' 0 0 > '%s/models/pins.txt'",
	    root, root, tu_fix("gguf/valid/llama-q8_0.gguf"), root, root, root,
	    root);
	srv_start(&s, root, args);
	srv_send(&s, INIT("2025-11-25"));
	srv_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"verify\",\"arguments\":{\"paths\":"
	    "[\".\"],\"manifest\":\"pins.txt\"}}}\n");
	a = srv_answer(&s, "1", 30);
	ck_assert_ptr_nonnull(a);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(structured(a), "verified")));
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(structured(a), "files")) {
		if (strstr(sget(f, "path"), "link/") == NULL)
			continue;
		seen++;
		/* Read, it would be "changed" with the secret's digest. */
		ck_assert_str_eq(sget(f, "sha256"), "");
		ck_assert_str_eq(sget(f, "status"), "missing");
		ck_assert_ptr_nonnull(strstr(sget(f, "message"),
		    "not found inside the served roots"));
	}
	ck_assert_int_eq(seen, 2);
	cJSON_Delete(a);
	ck_assert_int_eq(srv_stop(&s), 0);
	tu_rmrf(root);
	free(root);
}
END_TEST

/*
 * One worker busy hashing a large file; a queued request cancelled before
 * it starts is never answered, the others are, once each.
 */
START_TEST(serve_cancelled_request_gets_no_answer)
{
	char *root = tu_tmpdir();
	const char *const args[] = { "--root", root, "--jobs", "1", NULL };
	struct srv s;
	size_t n;
	cJSON *a;

	tu_sh("truncate -s 768M '%s/big.safetensors' && cp '%s' '%s/small.gguf'",
	    root, tu_fix("gguf/valid/llama-q8_0.gguf"), root);
	srv_start(&s, NULL, args);
	srv_send(&s, INIT("2025-11-25"));
	a = srv_answer(&s, "0", 20);
	cJSON_Delete(a);
	n = srv_wait(&s, 0, 0);
	srv_send(&s,
	    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"scan\",\"arguments\":{\"paths\":[\"big.safetensors\"]}}}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"scan\",\"arguments\":{\"paths\":[\"small.gguf\"]}}}\n"
	    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	    "\"params\":{\"requestId\":2,\"reason\":\"test\"}}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":"
	    "{\"name\":\"scan\",\"arguments\":{\"paths\":[\"small.gguf\"]}}}\n");
	a = srv_answer(&s, "3", 120);
	ck_assert_ptr_nonnull(a);
	ck_assert(!is_error_result(a));
	cJSON_Delete(a);
	a = srv_answer(&s, "1", 1);
	ck_assert_ptr_nonnull(a);
	cJSON_Delete(a);
	/* Cancelling what is done already changes nothing. */
	srv_send(&s, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
	    "\"params\":{\"requestId\":3}}\n");
	ck_assert_uint_eq(srv_wait(&s, n + 3, 2), n + 2);
	a = srv_answer(&s, "2", 0);
	ck_assert_ptr_null(a);
	ck_assert_int_eq(srv_stop(&s), 0);
	tu_rmrf(root);
	free(root);
}
END_TEST

static const cJSON *
structured(const cJSON *a)
{
	const cJSON *sc = cJSON_GetObjectItem(result_of(a), "structuredContent");

	ck_assert_ptr_nonnull(sc);
	return sc;
}

static const char *
sget(const cJSON *o, const char *k)
{
	const cJSON *x = cJSON_GetObjectItem(o, k);

	ck_assert_msg(cJSON_IsString(x), "%s is not a string", k);
	return x->valuestring;
}

/* The lock is read once; verify and scan see changed files; SIGHUP. */
START_TEST(serve_lock_verify_and_sighup_reload)
{
	char *root = tu_tmpdir();
	const char *const largs[] = { "lock", "-o", "modelgate.lock", "models",
	    NULL };
	const char *const args[] = { "--root", "models", "--lock",
	    "modelgate.lock", "--policy", "policy.json", NULL };
	struct srv s;
	struct tres r;
	cJSON *a;
	int i;

	tu_sh("mkdir -p '%s/models' && cp '%s' '%s/models/a.gguf' && "
	    "cp '%s' '%s/models/b.gguf'", root,
	    tu_fix("gguf/valid/llama-q8_0.gguf"), root,
	    tu_fix("gguf/valid/llama-q4_k_m.gguf"), root);
	tu_write(root, "policy.json", "{\"version\": 1, \"fail_on\": \"high\"}\n");
	r = tu_run(root, largs);
	ck_assert_int_eq(r.status, 0);
	tu_free(&r);
	srv_start(&s, root, args);
	srv_send(&s, INIT("2025-11-25"));
	srv_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"verify\",\"arguments\":{\"paths\":[\".\"]}}}\n");
	a = srv_answer(&s, "1", 30);
	ck_assert_ptr_nonnull(a);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(structured(a), "verified")));
	cJSON_Delete(a);
	/* Change a pinned file: verify and scan both notice. */
	tu_sh("printf x >> '%s/models/b.gguf'", root);
	srv_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"verify\",\"arguments\":{\"paths\":[\".\"]}}}\n"
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"scan\",\"arguments\":{\"paths\":[\"b.gguf\"]}}}\n");
	a = srv_answer(&s, "2", 30);
	ck_assert_ptr_nonnull(a);
	ck_assert(cJSON_IsFalse(cJSON_GetObjectItem(structured(a), "verified")));
	ck_assert_int_eq(cJSON_GetObjectItem(structured(a), "exit_code")->
	    valueint, 1);
	{
		const cJSON *f, *files = cJSON_GetObjectItem(structured(a),
		    "files");
		int changed = 0;

		cJSON_ArrayForEach(f, files)
			if (strcmp(sget(f, "status"), "changed") == 0 &&
			    strstr(sget(f, "path"), "b.gguf") != NULL)
				changed++;
		ck_assert_int_eq(changed, 1);
	}
	cJSON_Delete(a);
	a = srv_answer(&s, "3", 30);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(sget(structured(a), "verdict"), "fail");
	{
		char *t = cJSON_PrintUnformatted(structured(a));

		ck_assert_ptr_nonnull(strstr(t, "HASH-MISMATCH"));
		free(t);
	}
	ck_assert_str_eq(sget(structured(a), "fail_on"), "high");
	cJSON_Delete(a);

	/* A broken policy keeps the old one; a good one replaces it. */
	tu_write(root, "policy.json", "{\"version\": 1, \"fail_on\": ");
	kill(s.pid, SIGHUP);
	usleep(300 * 1000);
	srv_send(&s, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\","
	    "\"params\":{\"name\":\"scan\",\"arguments\":{\"paths\":[\"a.gguf\"]}}}\n");
	a = srv_answer(&s, "4", 30);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(sget(structured(a), "fail_on"), "high");
	cJSON_Delete(a);
	tu_write(root, "policy.json", "{\"version\": 1, \"fail_on\": \"low\"}\n");
	kill(s.pid, SIGHUP);
	for (i = 0; i < 50; i++) {
		char line[256], id[16];
		int low;

		snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":%d,"
		    "\"method\":\"tools/call\",\"params\":{\"name\":\"scan\","
		    "\"arguments\":{\"paths\":[\"a.gguf\"]}}}\n", 10 + i);
		snprintf(id, sizeof(id), "%d", 10 + i);
		srv_send(&s, line);
		a = srv_answer(&s, id, 30);
		ck_assert_ptr_nonnull(a);
		low = strcmp(sget(structured(a), "fail_on"), "low") == 0;
		cJSON_Delete(a);
		if (low)
			break;
		usleep(100 * 1000);
	}
	ck_assert_int_lt(i, 50);
	ck_assert_int_eq(srv_stop(&s), 0);
	tu_rmrf(root);
	free(root);
}
END_TEST

/* The results match the CLI's: exit code of scan, document of bom. */
START_TEST(serve_results_match_the_cli)
{
	char fix[512], hostile[512], bom_path[512];
	const char *const args[] = { "--root", fix, NULL };
	const char *const scan_args[] = { "scan", "-q", hostile, NULL };
	const char *const bom_args[] = { "bom", bom_path, NULL };
	struct srv s;
	struct tres r;
	cJSON *a;
	const cJSON *blk;

	snprintf(fix, sizeof(fix), "%s", tu_fix(""));
	snprintf(hostile, sizeof(hostile), "%s", tu_fix("gguf/hostile"));
	snprintf(bom_path, sizeof(bom_path), "%s",
	    tu_fix("safetensors/valid"));
	srv_start(&s, NULL, args);
	srv_send(&s, INIT("2025-11-25"));
	srv_send(&s, CALL("1", "scan", "{\"paths\":[\"gguf/hostile\"]}")
	    CALL("2", "bom", "{\"path\":\"safetensors/valid\"}"));
	r = tu_run(NULL, scan_args);
	a = srv_answer(&s, "1", 60);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(cJSON_GetObjectItem(structured(a), "exit_code")->
	    valueint, r.status);
	ck_assert_int_ne(r.status, 0);
	tu_free(&r);
	cJSON_Delete(a);
	/* bom's text block is `modelgate bom` output, byte for byte. */
	r = tu_run(NULL, bom_args);
	a = srv_answer(&s, "2", 60);
	ck_assert_ptr_nonnull(a);
	blk = cJSON_GetArrayItem(cJSON_GetObjectItem(result_of(a), "content"),
	    0);
	ck_assert_str_eq(sget(blk, "text"), r.out);
	{
		cJSON *cli = cJSON_Parse(r.out);

		ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(
		    structured(a), "documents")), cJSON_GetArraySize(cli));
		ck_assert_int_gt(cJSON_GetArraySize(cli), 1);
		cJSON_Delete(cli);
	}
	tu_free(&r);
	cJSON_Delete(a);
	ck_assert_int_eq(srv_stop(&s), 0);
}
END_TEST

/* A GGUF v3 file with one string of n bytes 'a'. */
static void
big_gguf(const char *dir, const char *name, size_t n)
{
	struct gguf_b g;
	struct fbuf out;
	char *v = malloc(n);

	ck_assert_ptr_nonnull(v);
	memset(v, 'a', n);
	gguf_b_init(&g, 3, 0);
	gguf_kv_strn(&g, "general.description", v, n);
	fbuf_init(&out);
	gguf_b_out(&g, &out);
	fbuf_write(&out, dir, name);
	fbuf_free(&out);
	gguf_b_free(&g);
	free(v);
}

/*
 * A bom result over the reply cap is a tool error that says so, whether
 * its text alone is over the cap (three strings of 3 MiB) or only the
 * whole answer is (two: the text and the documents each hold them), and
 * the server goes on.
 */
START_TEST(serve_reply_over_the_cap)
{
	char *d = tu_tmpdir(), root[4200];
	const char *const args[] = { "--root", d, NULL };
	const char *const ids[] = { "1", "2" };
	struct srv s;
	size_t i;
	cJSON *a;

	tu_sh("mkdir '%s/three' '%s/two'", d, d);
	snprintf(root, sizeof(root), "%s/three", d);
	for (i = 0; i < 3; i++) {
		char name[32];

		snprintf(name, sizeof(name), "m%zu.gguf", i);
		big_gguf(root, name, 3u << 20);
	}
	snprintf(root, sizeof(root), "%s/two", d);
	big_gguf(root, "m0.gguf", 3u << 20);
	big_gguf(root, "m1.gguf", 3u << 20);
	srv_start(&s, NULL, args);
	srv_send(&s, INIT("2025-11-25"));
	srv_send(&s, CALL("1", "bom", "{\"path\":\"three\",\"hash\":false}")
	    CALL("2", "bom", "{\"path\":\"two\",\"hash\":false}")
	    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}\n");
	for (i = 0; i < 2; i++) {
		const cJSON *blk;

		a = srv_answer(&s, ids[i], 120);
		ck_assert_ptr_nonnull(a);
		ck_assert_msg(is_error_result(a), "id %s: not a tool error",
		    ids[i]);
		blk = cJSON_GetArrayItem(cJSON_GetObjectItem(result_of(a),
		    "content"), 0);
		ck_assert_ptr_nonnull(strstr(sget(blk, "text"),
		    "over the 8388608-byte cap of one answer"));
		cJSON_Delete(a);
	}
	a = srv_answer(&s, "3", 60);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(a, "result"));
	cJSON_Delete(a);
	ck_assert_int_eq(srv_stop(&s), 0);
	tu_rmrf(d);
	free(d);
}
END_TEST

/*
 * The official MCP TypeScript SDK client (installed by `make mcp-client`
 * under build/; skipped, with the reason, when node or the package could
 * not be had).
 */
START_TEST(serve_official_sdk_client)
{
	const char *dir = tu_env("MG_MCP_CLIENT");
	char skip[512], script[512];
	char *why;

	snprintf(skip, sizeof(skip), "%s/SKIPPED", dir);
	if ((why = tu_slurp(skip, NULL)) != NULL) {
		fprintf(stderr, "serve_official_sdk_client: skipped: %s", why);
		free(why);
		return;
	}
	snprintf(script, sizeof(script), "%s/tests/mcp/sdk_client.mjs",
	    tu_env("MG_SRCDIR"));
	tu_sh("node '%s' '%s' '%s' '%s' >&2", script, dir, tu_env("MG_BIN"),
	    tu_env("MG_FIXTURES"));
}
END_TEST

Suite *
serve_suite(void)
{
	Suite *s = suite_create("serve");
	TCase *tc = tcase_create("serve");

	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, serve_protocol_errors);
	tcase_add_test(tc, serve_bad_arguments_are_tool_errors_in_2025_11_25);
	tcase_add_test(tc, serve_thousand_concurrent_requests);
	tcase_add_test(tc, serve_refuses_paths_outside_the_roots);
	tcase_add_test(tc, serve_verify_reads_nothing_outside_the_roots);
	tcase_add_test(tc, serve_cancelled_request_gets_no_answer);
	tcase_add_test(tc, serve_lock_verify_and_sighup_reload);
	tcase_add_test(tc, serve_results_match_the_cli);
	tcase_add_test(tc, serve_reply_over_the_cap);
	tcase_add_test(tc, serve_official_sdk_client);
	suite_add_tcase(s, tc);
	return s;
}
