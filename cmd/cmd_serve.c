/*
 * cmd_serve.c - `modelgate serve`: a Model Context Protocol server on
 * standard input and output (newline-delimited JSON-RPC 2.0).
 *
 * Threads: jobs + 1 persistent ones, leader and followers.  The leader
 * reads requests, checks them and answers the quick methods (initialize,
 * ping, tools/list, every error) itself.  When it has read a tools/call
 * and fewer than jobs calls run, it hands the reading to a follower and
 * runs the call itself (serve_tools.c): the thread the input woke answers,
 * with no second wake-up on the way.  With jobs calls running, it queues
 * the call for the next thread to finish and reads on, so a reader is
 * always there for cancellations.  Answers may come out of order.  One
 * more thread waits for SIGHUP and reloads the policy.  Nothing is
 * created per request: a request takes one of a fixed number of slots
 * (waiting when all are taken, which bounds memory and pushes back on the
 * client), and a line longer than SERVE_MAX_LINE is discarded up to its
 * newline without being kept.  Standard output carries only JSON-RPC
 * lines, each written whole under one lock; logs go to standard error.
 *
 * Invariants: every request with a valid id gets exactly one answer,
 * except one cancelled (notifications/cancelled) before its answer was
 * decided, which gets none; notifications get none.  At end of input the
 * requests in flight are answered, then the server exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "arclib.h"
#include "cli.h"
#include "confine.h"
#include "err.h"
#include "lockfile.h"
#include "policy.h"
#include "run.h"
#include "serve.h"
#include "text.h"
#include "version.h"

static const char serve_usage[] =
"usage: modelgate serve --root DIR [--root DIR...] [options]\n"
"\n"
"Serve the scan, bom and verify tools over the Model Context Protocol on\n"
"standard input and output (JSON-RPC 2.0, one message per line; logs on\n"
"standard error), for agents and editors that call tools over MCP.\n"
"A request may only name paths that resolve inside a --root.\n"
"\n"
"Options:\n"
"  -r, --root DIR          serve the files below DIR (repeatable, required;\n"
"                          relative request paths start at the first)\n"
"  -p, --policy FILE       policy JSON (default: the embedded policy);\n"
"                          SIGHUP reloads it (a broken file keeps the old)\n"
"      --lock FILE         the lock file of `modelgate lock`, read once:\n"
"                          scan checks its pins, verify compares with it\n"
"  -j, --jobs N            tool calls run at once (default: the CPUs it may use)\n"
"  -h, --help              show this help\n"
"\n"
"Exit status: 0 after standard input ends; 2 usage, policy or lock error.\n";

enum { OPT_LOCK = 256 };

static const struct option serve_opts[] = {
	{ "root", required_argument, NULL, 'r' },
	{ "policy", required_argument, NULL, 'p' },
	{ "lock", required_argument, NULL, OPT_LOCK },
	{ "jobs", required_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* JSON-RPC 2.0 error codes. */
#define RPC_PARSE	(-32700)
#define RPC_INVALID	(-32600)
#define RPC_METHOD	(-32601)
#define RPC_PARAMS	(-32602)
#define RPC_INTERNAL	(-32603)

/* Protocol versions, newest first; the newest is offered otherwise. */
static const char *const versions[] = { "2025-11-25", "2025-06-18" };

/* A request in flight; there is a fixed number of them. */
struct slot {
	struct srv		*v;
	char			*id;	/* the id as JSON text; owned */
	cJSON			*req;	/* the whole request; owned */
	const cJSON		*args;	/* inside req, or NULL */
	const struct serve_tool	*tool;
	atomic_int		 cancelled;
	struct slot		*next_free;	/* or the next queued call */
};

/*
 * The input as the leader left it: only the thread that holds the lead
 * touches it (the hand-over is under srv.mu).
 */
struct input {
	char			 buf[65536];
	size_t			 pos, end;	/* unread bytes of buf */
	char			*line;		/* the line so far */
	size_t			 len;
	int			 discarding;	/* inside an oversized line */
	int			 ended;		/* read() said end of input */
};

struct srv {
	struct serve		 s;
	struct slot		*slots;
	size_t			 nslots;
	pthread_mutex_t		 mu;	/* slots: free list, ids; the roles */
	pthread_cond_t		 freed;
	struct slot		*free_list;
	/* Roles, under mu. */
	pthread_cond_t		 role;		/* a lead or a call to take */
	struct slot		*queue, *queue_tail;	/* calls read, not run */
	unsigned		 jobs, running;	/* calls at once; running now */
	int			 led;		/* a thread holds the lead */
	int			 eof;		/* the input has ended */
	struct input		 in;
	pthread_mutex_t		 out_mu;
	atomic_int		 out_dead;	/* standard output is gone */
	atomic_int		 version;	/* index into versions[] */
	char			*tools_list;	/* tools/list result */
	atomic_int		 stopping;
};

/* ---- output ---------------------------------------------------------- */

static void
out_line(struct srv *v, const char *s, size_t n)
{
	ssize_t k;

	pthread_mutex_lock(&v->out_mu);
	while (n > 0 && !atomic_load(&v->out_dead)) {
		k = write(STDOUT_FILENO, s, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			atomic_store(&v->out_dead, 1);
			cli_warn("serve: standard output closed: %s",
			    k < 0 ? strerror(errno) : "short write");
			break;
		}
		s += k;
		n -= (size_t)k;
	}
	pthread_mutex_unlock(&v->out_mu);
}

/* {"jsonrpc":"2.0","id":ID,"result":RESULT}\n; id NULL is null. */
static void
reply_result(struct srv *v, const char *id, const char *result)
{
	size_t n = strlen(id != NULL ? id : "null") + strlen(result) + 40;
	char *buf = malloc(n);
	int k;

	if (buf == NULL) {
		cli_warn("serve: out of memory answering a request");
		return;
	}
	k = snprintf(buf, n, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}\n",
	    id != NULL ? id : "null", result);
	out_line(v, buf, (size_t)k);
	free(buf);
}

static void
reply_error(struct srv *v, const char *id, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
reply_error(struct srv *v, const char *id, int code, const char *fmt, ...)
{
	char msg[1024], *line = NULL;
	cJSON *o = cJSON_CreateObject(), *e, *m;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (o == NULL || (e = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(o);
		goto oom;
	}
	cJSON_AddStringToObject(o, "jsonrpc", "2.0");
	cJSON_AddItemToObject(o, "id", id != NULL ? cJSON_CreateRaw(id) :
	    cJSON_CreateNull());
	cJSON_AddItemToObject(o, "error", e);
	cJSON_AddNumberToObject(e, "code", code);
	if ((m = mg_json_strz(msg)) != NULL)
		cJSON_AddItemToObject(e, "message", m);
	line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (m == NULL || line == NULL)
		goto oom;
	{
		size_t n = strlen(line);
		char *l2 = realloc(line, n + 2);

		if (l2 == NULL)
			goto oom;
		line = l2;
		line[n] = '\n';
		line[n + 1] = '\0';
		out_line(v, line, n + 1);
	}
	free(line);
	return;
oom:
	free(line);
	cli_warn("serve: out of memory answering a request");
}

/* ---- slots ----------------------------------------------------------- */

static struct slot *
slot_take(struct srv *v)
{
	struct slot *sl;

	pthread_mutex_lock(&v->mu);
	while (v->free_list == NULL)
		pthread_cond_wait(&v->freed, &v->mu);
	sl = v->free_list;
	v->free_list = sl->next_free;
	sl->next_free = NULL;
	atomic_store(&sl->cancelled, 0);
	pthread_mutex_unlock(&v->mu);
	return sl;
}

/*
 * Free the request; the caller then puts the slot back.  The id was
 * taken out under the lock already (cancel_id reads it under the lock).
 */
static void
slot_clear(struct slot *sl)
{
	cJSON_Delete(sl->req);
	sl->req = NULL;
	sl->args = NULL;
	sl->tool = NULL;
}

static void
slot_give(struct srv *v, struct slot *sl)
{
	pthread_mutex_lock(&v->mu);
	sl->next_free = v->free_list;
	v->free_list = sl;
	pthread_cond_signal(&v->freed);
	pthread_mutex_unlock(&v->mu);
}

/* Mark the request in flight with this id cancelled (ids are JSON text). */
static void
cancel_id(struct srv *v, const char *id)
{
	size_t i;

	pthread_mutex_lock(&v->mu);
	for (i = 0; i < v->nslots; i++)
		if (v->slots[i].id != NULL && strcmp(v->slots[i].id, id) == 0)
			atomic_store(&v->slots[i].cancelled, 1);
	pthread_mutex_unlock(&v->mu);
}

/* ---- workers --------------------------------------------------------- */

static void *
w_init(void *arg)
{
	struct mg_scan_ctx *sc = malloc(sizeof(*sc));

	(void)arg;
	if (sc == NULL)
		return NULL;
	if (mg_scan_ctx_init(sc) != MG_OK) {
		free(sc);
		return NULL;
	}
	return sc;
}

static void
w_fini(void *wp)
{
	mg_scan_ctx_free(wp);
	free(wp);
}

static void
w_work(void *wp, void *job)
{
	struct slot *sl = job;
	struct srv *v = sl->v;
	char *result = NULL, *id;
	int cancelled;

	if (!atomic_load(&sl->cancelled) && wp != NULL)
		result = sl->tool->run(&v->s, wp, sl->args, &sl->cancelled);
	/*
	 * Decide under the lock: once the id leaves the table, a late cancel
	 * finds nothing, and the answer goes out exactly once.
	 */
	pthread_mutex_lock(&v->mu);
	cancelled = atomic_load(&sl->cancelled);
	id = sl->id;
	sl->id = NULL;
	pthread_mutex_unlock(&v->mu);
	if (!cancelled) {
		if (result != NULL && strlen(result) > SERVE_MAX_REPLY) {
			free(result);
			result = serve_tool_over_cap(sl->tool->name);
		}
		if (result != NULL)
			reply_result(v, id, result);
		else
			reply_error(v, id, RPC_INTERNAL, "%s: %s",
			    sl->tool->name, wp == NULL ? "worker out of memory" :
			    mg_strerror(MG_ERR_NOMEM));
	}
	free(result);
	free(id);
	slot_clear(sl);
	slot_give(v, sl);
}

/* ---- requests -------------------------------------------------------- */

/*
 * The id as JSON text to echo, or NULL when it is not one MCP allows: a
 * string, or an integer exact in a double (beyond 2^53 the echo could
 * differ from what was sent).
 */
static char *
id_text(const cJSON *id)
{
	/* A \udcNN escape made raw could not be echoed as valid UTF-8. */
	if (cJSON_IsString(id))
		return mg_utf8_valid(id->valuestring, strlen(id->valuestring)) ?
		    cJSON_PrintUnformatted(id) : NULL;
	if (cJSON_IsNumber(id)) {
		double d = id->valuedouble;
		char buf[32];

		if (d != d || d < -9007199254740992.0 ||
		    d > 9007199254740992.0 || d != (double)(long long)d)
			return NULL;
		snprintf(buf, sizeof(buf), "%lld", (long long)d);
		return strdup(buf);
	}
	return NULL;
}

static void
do_initialize(struct srv *v, const char *id, const cJSON *params)
{
	const cJSON *pv = cJSON_GetObjectItemCaseSensitive(params,
	    "protocolVersion");
	char result[512];
	int i, which = 0;

	if (!cJSON_IsString(pv)) {
		reply_error(v, id, RPC_PARAMS, "initialize: protocolVersion "
		    "must be a string");
		return;
	}
	for (i = 0; i < (int)(sizeof(versions) / sizeof(versions[0])); i++)
		if (strcmp(pv->valuestring, versions[i]) == 0)
			which = i;
	atomic_store(&v->version, which);
	snprintf(result, sizeof(result), "{\"protocolVersion\":\"%s\","
	    "\"capabilities\":{\"tools\":{}},\"serverInfo\":{\"name\":\"%s\","
	    "\"title\":\"modelgate\",\"version\":\"%s\"},\"instructions\":"
	    "\"Check ML model files (GGUF, safetensors, pickles, archives) "
	    "before using them: scan judges them against the policy, bom "
	    "describes them, verify compares their digests with the lock. "
	    "Paths must lie inside the served roots.\"}", versions[which],
	    MG_NAME, MG_VERSION);
	reply_result(v, id, result);
}

static struct slot *
do_call(struct srv *v, char **idp, cJSON **reqp, const cJSON *params)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "name");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(params,
	    "arguments");
	const struct serve_tool *t;
	struct slot *sl;
	char err[512];

	if (!cJSON_IsString(name)) {
		reply_error(v, *idp, RPC_PARAMS, "tools/call: name must be a "
		    "string");
		return NULL;
	}
	if ((t = serve_tool_find(name->valuestring)) == NULL) {
		reply_error(v, *idp, RPC_PARAMS, "tools/call: unknown tool "
		    "(the tools are scan, bom and verify)");
		return NULL;
	}
	if (args != NULL && !cJSON_IsObject(args)) {
		reply_error(v, *idp, RPC_PARAMS, "tools/call: arguments must "
		    "be an object");
		return NULL;
	}
	if (serve_args_check(t, args, err, sizeof(err)) != 0) {
		/*
		 * 2025-11-25 makes a bad argument a tool error the model can
		 * read and correct; 2025-06-18 a protocol error.
		 */
		if (atomic_load(&v->version) == 0) {
			char *r = serve_tool_error("%s", err);

			if (r != NULL)
				reply_result(v, *idp, r);
			else
				reply_error(v, *idp, RPC_INTERNAL, "out of memory");
			free(r);
		} else
			reply_error(v, *idp, RPC_PARAMS, "%s", err);
		return NULL;
	}
	sl = slot_take(v);
	pthread_mutex_lock(&v->mu);
	sl->id = *idp;		/* transferred */
	pthread_mutex_unlock(&v->mu);
	*idp = NULL;
	sl->req = *reqp;	/* transferred */
	*reqp = NULL;
	sl->args = args;
	sl->tool = t;
	return sl;
}

static void
do_notification(struct srv *v, const char *method, const cJSON *params)
{
	const cJSON *rid;
	char *id;

	if (strcmp(method, "notifications/cancelled") != 0)
		return;		/* initialized, progress, ...: nothing to do */
	rid = cJSON_GetObjectItemCaseSensitive(params, "requestId");
	if (rid == NULL || (id = id_text(rid)) == NULL)
		return;		/* malformed: ignored, as the spec asks */
	cancel_id(v, id);
	free(id);
}

/* Answer a message, or return the tools/call it is, ready to run. */
static struct slot *
dispatch(struct srv *v, cJSON *req)
{
	const cJSON *jv, *idn, *m, *params;
	struct slot *call = NULL;
	char *id = NULL;

	if (cJSON_IsArray(req)) {
		reply_error(v, NULL, RPC_INVALID, "batches are not supported");
		goto out;
	}
	if (!cJSON_IsObject(req)) {
		reply_error(v, NULL, RPC_INVALID, "a request must be an object");
		goto out;
	}
	idn = cJSON_GetObjectItemCaseSensitive(req, "id");
	m = cJSON_GetObjectItemCaseSensitive(req, "method");
	jv = cJSON_GetObjectItemCaseSensitive(req, "jsonrpc");
	params = cJSON_GetObjectItemCaseSensitive(req, "params");
	if (idn != NULL && (id = id_text(idn)) == NULL) {
		reply_error(v, NULL, RPC_INVALID, "id must be a string or an "
		    "integer");
		goto out;
	}
	if (m == NULL && idn != NULL && (cJSON_HasObjectItem(req, "result") ||
	    cJSON_HasObjectItem(req, "error")))
		goto out;	/* a response: this server sends no requests */
	if (!cJSON_IsString(jv) || strcmp(jv->valuestring, "2.0") != 0 ||
	    !cJSON_IsString(m)) {
		if (id != NULL)
			reply_error(v, id, RPC_INVALID, "not a JSON-RPC 2.0 "
			    "request: jsonrpc must be \"2.0\" and method a "
			    "string");
		else if (idn == NULL && !cJSON_IsString(m))
			reply_error(v, NULL, RPC_INVALID, "not a JSON-RPC 2.0 "
			    "message");
		goto out;
	}
	if (idn == NULL) {
		if (params == NULL || cJSON_IsObject(params))
			do_notification(v, m->valuestring, params);
		goto out;
	}
	if (params != NULL && !cJSON_IsObject(params)) {
		reply_error(v, id, RPC_PARAMS, "params must be an object");
		goto out;
	}
	if (strcmp(m->valuestring, "initialize") == 0)
		do_initialize(v, id, params);
	else if (strcmp(m->valuestring, "ping") == 0)
		reply_result(v, id, "{}");
	else if (strcmp(m->valuestring, "tools/list") == 0) {
		if (cJSON_GetObjectItemCaseSensitive(params, "cursor") != NULL)
			reply_error(v, id, RPC_PARAMS, "tools/list: unknown "
			    "cursor (the list has one page)");
		else
			reply_result(v, id, v->tools_list);
	} else if (strcmp(m->valuestring, "tools/call") == 0)
		call = do_call(v, &id, &req, params);
	else
		reply_error(v, id, RPC_METHOD, "method not found");
out:
	free(id);
	cJSON_Delete(req);
	return call;
}

static struct slot *
handle_line(struct srv *v, char *line, size_t len)
{
	const char *end = NULL;
	cJSON *req;
	size_t i;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++)
		if (line[i] != ' ' && line[i] != '\t')
			break;
	if (i == len)
		return NULL;	/* a blank line is no message */
	if (!mg_utf8_valid(line, len)) {
		reply_error(v, NULL, RPC_PARSE, "parse error: not UTF-8");
		return NULL;
	}
	/* Names that are not UTF-8 come as \udcNN escapes, as reports write them. */
	mg_json_unescape_bytes(line, &len);
	req = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (req != NULL)
		while (end < line + len && (*end == ' ' || *end == '\t' ||
		    *end == '\r' || *end == '\n'))
			end++;
	if (req == NULL || end != line + len) {
		cJSON_Delete(req);
		reply_error(v, NULL, RPC_PARSE, "parse error: not one JSON "
		    "value");
		return NULL;
	}
	return dispatch(v, req);
}

/*
 * Read lines until one is a call to run (returned) or the input ends
 * (NULL).  A line over SERVE_MAX_LINE is dropped as it arrives (never
 * held whole) and answered with an error once its newline comes.  Only
 * the leader calls this; where it stops, the next leader goes on.
 */
static struct slot *
read_calls(struct srv *v)
{
	struct input *in = &v->in;
	struct slot *call;

	while (!in->ended && !atomic_load(&v->out_dead)) {
		while (in->pos < in->end) {
			const char *p = in->buf + in->pos, *nl;
			size_t take;

			nl = memchr(p, '\n', in->end - in->pos);
			take = (size_t)((nl != NULL ? nl : in->buf + in->end) -
			    p);
			if (!in->discarding && take > SERVE_MAX_LINE - in->len) {
				in->discarding = 1;
				in->len = 0;
			}
			if (!in->discarding) {
				memcpy(in->line + in->len, p, take);
				in->len += take;
			}
			if (nl == NULL) {
				in->pos = in->end;
				break;
			}
			in->pos = (size_t)(nl + 1 - in->buf);
			if (in->discarding) {
				cli_warn("serve: a request line over %u bytes "
				    "was refused", SERVE_MAX_LINE);
				reply_error(v, NULL, RPC_INVALID, "request "
				    "refused: a line may hold at most %u bytes",
				    SERVE_MAX_LINE);
				in->discarding = 0;
				in->len = 0;
				continue;
			}
			call = handle_line(v, in->line, in->len);
			in->len = 0;
			if (call != NULL)
				return call;
		}
		ssize_t k = read(STDIN_FILENO, in->buf, sizeof(in->buf));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			cli_warn("serve: reading standard input: %s",
			    strerror(errno));
		if (k <= 0) {
			in->ended = 1;
			break;
		}
		in->pos = 0;
		in->end = (size_t)k;
	}
	in->ended = 1;
	if (in->len > 0 && !in->discarding) {
		/* The last line had no newline. */
		size_t len = in->len;

		in->len = 0;
		if ((call = handle_line(v, in->line, len)) != NULL)
			return call;
	}
	return NULL;
}

/*
 * One of the jobs + 1 threads: take a queued call when fewer than jobs
 * run, else the lead when nobody holds it, else wait.  The leader that
 * reads a call runs it itself when it may and hands the lead on first;
 * otherwise it queues the call and reads on.
 */
static void *
serve_thread(void *arg)
{
	struct srv *v = arg;
	void *wp = w_init(NULL);
	struct slot *sl;

	pthread_mutex_lock(&v->mu);
	for (;;) {
		if (v->queue != NULL && v->running < v->jobs) {
			sl = v->queue;
			if ((v->queue = sl->next_free) == NULL)
				v->queue_tail = NULL;
			sl->next_free = NULL;
			v->running++;
		} else if (!v->led && !v->eof) {
			v->led = 1;
			pthread_mutex_unlock(&v->mu);
			sl = read_calls(v);
			pthread_mutex_lock(&v->mu);
			if (sl == NULL) {
				v->eof = 1;
				v->led = 0;
				pthread_cond_broadcast(&v->role);
				continue;
			}
			if (v->running >= v->jobs || v->queue != NULL) {
				/* Everyone is busy: queue it, read on. */
				if (v->queue_tail != NULL)
					v->queue_tail->next_free = sl;
				else
					v->queue = sl;
				v->queue_tail = sl;
				v->led = 0;
				continue;
			}
			v->running++;
			v->led = 0;
			pthread_cond_signal(&v->role);	/* a new leader */
		} else if (v->eof && v->queue == NULL)
			break;
		else {
			pthread_cond_wait(&v->role, &v->mu);
			continue;
		}
		pthread_mutex_unlock(&v->mu);
		w_work(wp, sl);
		pthread_mutex_lock(&v->mu);
		v->running--;
		/*
		 * This thread takes the next queued call itself; after the
		 * end of input, the others may have waited for the last one.
		 */
		if (v->eof)
			pthread_cond_broadcast(&v->role);
	}
	pthread_mutex_unlock(&v->mu);
	if (wp != NULL)
		w_fini(wp);
	return NULL;
}

/* ---- SIGHUP ---------------------------------------------------------- */

static void *
hup_main(void *arg)
{
	struct srv *v = arg;
	sigset_t set;
	int sig;

	/* The policy and its lock are the operator's files, not a request's. */
	mg_confine_trust(1);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	for (;;) {
		struct serve_pol *p;
		char err[1024];

		if (sigwait(&set, &sig) != 0 || atomic_load(&v->stopping))
			break;
		if (serve_pol_load(&v->s, &p, err, sizeof(err)) != MG_OK) {
			cli_warn("serve: SIGHUP: the policy was not reloaded, "
			    "the old one stays in force: %s", err);
			continue;
		}
		serve_pol_swap(&v->s, p);
		cli_warn("serve: SIGHUP: policy %s reloaded",
		    v->s.policy_file != NULL ? v->s.policy_file :
		    "(embedded default)");
	}
	return NULL;
}

/* ---- command --------------------------------------------------------- */

static int
add_root(struct serve *s, const char *dir)
{
	struct stat st;
	char *real, **nr;

	if ((real = realpath(dir, NULL)) == NULL) {
		cli_warn("serve: --root %s: %s", dir, strerror(errno));
		return -1;
	}
	if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_warn("serve: --root %s: not a directory", dir);
		free(real);
		return -1;
	}
	if ((nr = realloc(s->roots, (s->nroots + 1) * sizeof(*nr))) == NULL) {
		free(real);
		return -1;
	}
	s->roots = nr;
	s->roots[s->nroots++] = real;
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	struct srv *v;
	pthread_t *th = NULL;
	unsigned nth = 0;
	const char *lock = NULL;
	unsigned jobs = mg_run_default_jobs();
	char err[1024];
	pthread_t hup;
	sigset_t set;
	size_t i;
	int c, code = MG_EXIT_USAGE, hup_on = 0;

	/*
	 * SIGHUP is left to hup_main from the start: one that comes while the
	 * server starts waits for it instead of ending the process.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return cli_exit(MG_EXIT_USAGE, "out of memory");
	pthread_mutex_init(&v->mu, NULL);
	pthread_mutex_init(&v->out_mu, NULL);
	pthread_mutex_init(&v->s.pol_mu, NULL);
	pthread_cond_init(&v->freed, NULL);
	pthread_cond_init(&v->role, NULL);
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:p:j:h", serve_opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'r':
			if (add_root(&v->s, optarg) != 0)
				goto out;
			break;
		case 'p':
			v->s.policy_file = optarg;
			break;
		case OPT_LOCK:
			lock = optarg;
			break;
		case 'j':
			if ((jobs = cli_jobs(optarg)) == 0) {
				cli_warn("serve: --jobs takes a number from 1 "
				    "to 256");
				goto out;
			}
			break;
		case 'h':
			fputs(serve_usage, stdout);
			code = MG_EXIT_OK;
			goto out;
		default:
			fputs(serve_usage, stderr);
			goto out;
		}
	}
	if (optind < argc || v->s.nroots == 0) {
		cli_warn("serve: %s", optind < argc ? "no PATH arguments: "
		    "paths come in requests" : "at least one --root DIR is "
		    "required");
		fputs(serve_usage, stderr);
		goto out;
	}
	if (lock != NULL) {
		if (mg_lock_read(&v->s.lock, lock, err, sizeof(err)) != MG_OK) {
			cli_warn("serve: %s", err);
			goto out;
		}
		v->s.have_lock = 1;
	}
	if (serve_pol_load(&v->s, &v->s.pol, err, sizeof(err)) != MG_OK) {
		cli_warn("serve: %s", err);
		goto out;
	}
	if ((v->tools_list = serve_tools_list()) == NULL)
		goto nomem;
	/*
	 * From here on every file a request makes the library open is
	 * checked on its descriptor: a path checked by name and swapped for
	 * a symlink before the open is refused all the same.
	 */
	if (mg_confine_set(v->s.roots, v->s.nroots) != 0) {
		cli_warn("serve: cannot confine reads to the roots: %s",
		    errno == ENOSYS ? "/proc/self/fd is not available" :
		    strerror(errno));
		goto out;
	}
	/*
	 * A few requests queued per worker keep the workers busy; more would
	 * only hold memory.  The reader waits for a free slot beyond that.
	 */
	v->nslots = (size_t)jobs * 4 + 4;
	if ((v->slots = calloc(v->nslots, sizeof(*v->slots))) == NULL ||
	    (v->in.line = malloc(SERVE_MAX_LINE + 1)) == NULL ||
	    (th = calloc((size_t)jobs + 1, sizeof(*th))) == NULL)
		goto nomem;
	for (i = v->nslots; i-- > 0;) {
		v->slots[i].v = v;
		v->slots[i].next_free = v->free_list;
		v->free_list = &v->slots[i];
	}
	signal(SIGPIPE, SIG_IGN);
	hup_on = pthread_create(&hup, NULL, hup_main, v) == 0;
	v->jobs = jobs;
	cli_warn("serve: MCP on standard input and output; %zu root%s, "
	    "policy %s, %u worker%s", v->s.nroots, v->s.nroots == 1 ? "" : "s",
	    v->s.pol->p->source, jobs, jobs == 1 ? "" : "s");
	/*
	 * The archive library, loaded before the first request is read
	 * rather than by the first call that meets an archive: that call's
	 * answer takes no longer than the next one's, and memory stays flat
	 * from the first answer on.  A library that cannot be used is
	 * reported by each call that needs it.
	 */
	(void)mg_arclib_load(NULL, 0);
	/* One thread more than calls at once: a reader is always free. */
	for (nth = 0; nth <= jobs; nth++)
		if (pthread_create(&th[nth], NULL, serve_thread, v) != 0)
			break;
	if (nth == 0) {
		cli_warn("serve: cannot start a thread");
		code = MG_EXIT_INCOMPLETE;
		goto out;
	}
	/* Fewer threads serve fewer calls at once, the same way. */
	if (nth <= jobs)
		cli_warn("serve: %u of %u threads started", nth, jobs + 1);

	code = MG_EXIT_OK;
	/* At end of input the threads answer what is in flight and end. */
	while (nth > 0)
		pthread_join(th[--nth], NULL);
	goto out;
nomem:
	cli_warn("serve: %s", mg_strerror(MG_ERR_NOMEM));
	code = MG_EXIT_INCOMPLETE;
out:
	if (hup_on) {
		atomic_store(&v->stopping, 1);
		pthread_kill(hup, SIGHUP);
		pthread_join(hup, NULL);
	}
	serve_pol_put(&v->s, v->s.pol);
	if (v->s.have_lock)
		mg_lock_free(&v->s.lock);
	for (i = 0; i < v->s.nroots; i++)
		free(v->s.roots[i]);
	free(v->s.roots);
	free(v->slots);
	free(v->tools_list);
	free(v->in.line);
	free(th);
	pthread_mutex_destroy(&v->mu);
	pthread_mutex_destroy(&v->out_mu);
	pthread_mutex_destroy(&v->s.pol_mu);
	pthread_cond_destroy(&v->freed);
	pthread_cond_destroy(&v->role);
	free(v);
	return code;
}
