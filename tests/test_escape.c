/*
 * test_escape.c - escaping of untrusted text and names, and the lexical
 * chat-template check.
 *
 * The text escape must be injective (decoding it gives the bytes back) and
 * must never let a GitHub workflow command ("::cmd" after whitespace, or
 * "##[cmd" anywhere) or a new line through.  Exact JSON strings must read
 * back to the same bytes.  Chat templates: names built or reached at
 * render time are flagged, and the published templates of the common model
 * families stay clean.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "artifact.h"
#include "err.h"
#include "fmt.h"
#include "gate.h"
#include "gate_report.h"
#include "report.h"
#include "rules.h"
#include "suites.h"
#include "template.h"
#include "text.h"
#include "tutil.h"

/* ---- decoders: the inverse of each escape ----------------------------- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t
put_utf8(unsigned char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	o[0] = (unsigned char)(0xe0 | (cp >> 12));
	o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[2] = (unsigned char)(0x80 | (cp & 0x3f));
	return 3;
}

/*
 * Decode mg_text_escape() output into out; returns the length, or
 * (size_t)-1 when the text is not in the escaped form.
 */
static size_t
text_unescape(const char *s, unsigned char *out)
{
	size_t o = 0;
	uint32_t cp;

	while (*s != '\0') {
		if (*s != '\\') {
			out[o++] = (unsigned char)*s++;
			continue;
		}
		if (s[1] == '\\') {
			out[o++] = '\\';
			s += 2;
		} else if (s[1] == 'x' && hexval(s[2]) >= 0 &&
		    hexval(s[3]) >= 0) {
			out[o++] = (unsigned char)(hexval(s[2]) * 16 +
			    hexval(s[3]));
			s += 4;
		} else if (s[1] == 'u' && s[2] == '{') {
			cp = 0;
			for (s += 3; *s != '}' && *s != '\0'; s++) {
				if (hexval(*s) < 0)
					return (size_t)-1;
				cp = cp * 16 + (uint32_t)hexval(*s);
			}
			if (*s != '}')
				return (size_t)-1;
			s++;
			o += put_utf8(out + o, cp);
		} else
			return (size_t)-1;
	}
	return o;
}

/* Decode an mg_json_bytes() JSON string (quotes included) into out. */
static size_t
json_unescape(const char *s, unsigned char *out)
{
	size_t o = 0;
	uint32_t cp;
	int k;

	if (*s++ != '"')
		return (size_t)-1;
	while (*s != '"' && *s != '\0') {
		if (*s != '\\') {
			out[o++] = (unsigned char)*s++;
			continue;
		}
		switch (s[1]) {
		case '"': case '\\': case '/':
			out[o++] = (unsigned char)s[1];
			s += 2;
			continue;
		case 'b': out[o++] = '\b'; s += 2; continue;
		case 'f': out[o++] = '\f'; s += 2; continue;
		case 'n': out[o++] = '\n'; s += 2; continue;
		case 'r': out[o++] = '\r'; s += 2; continue;
		case 't': out[o++] = '\t'; s += 2; continue;
		case 'u':
			cp = 0;
			for (k = 2; k < 6; k++) {
				if (hexval(s[k]) < 0)
					return (size_t)-1;
				cp = cp * 16 + (uint32_t)hexval(s[k]);
			}
			s += 6;
			if (cp >= 0xdc80 && cp <= 0xdcff)
				out[o++] = (unsigned char)(cp - 0xdc00);
			else if (cp < 0x20)
				out[o++] = (unsigned char)cp;
			else
				return (size_t)-1;	/* never written */
			continue;
		}
		return (size_t)-1;
	}
	return *s == '"' && s[1] == '\0' ? o : (size_t)-1;
}

/* A JSON value printed on its own. */
static char *
json_text(cJSON *j)
{
	char *t;

	ck_assert_ptr_nonnull(j);
	t = cJSON_PrintUnformatted(j);
	ck_assert_ptr_nonnull(t);
	cJSON_Delete(j);
	return t;
}

/* A small deterministic generator (xorshift), biased to the bytes that
 * matter: escapes, colons, hashes, controls and UTF-8 lead bytes. */
static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static size_t
random_bytes(uint32_t *x, unsigned char *b, size_t max)
{
	static const unsigned char pick[] = {
		'\\', 'x', 'u', '{', '}', ':', '#', '[', ' ', 'a', '0', '\n',
		'\r', 0x1b, 0x7f, 0x00, 0xc2, 0x85, 0x80, 0xbf, 0xe2, 0x80,
		0xae, 0xef, 0xbf, 0xbd, 0xf0, 0x9f, 0xed, 0xa0, 0xff, '"'
	};
	size_t n = rnd(x) % max, i;

	for (i = 0; i < n; i++)
		b[i] = rnd(x) % 4 == 0 ? (unsigned char)rnd(x) :
		    pick[rnd(x) % sizeof(pick)];
	return n;
}

/* 1 when some line of s, after leading blanks, is a workflow command. */
static int
has_workflow_command(const char *s)
{
	const char *p = s;

	if (strstr(s, "##[") != NULL)
		return 1;
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (p[0] == ':' && p[1] == ':')
			return 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}

/* ---- hole10: workflow commands --------------------------------------- */

START_TEST(hole10_escape_defuses_workflow_commands)
{
	static const struct {
		const char	*in, *out;
	} v[] = {
		{ "::error title=x::All models verified.gguf",
		    ":\\x3aerror title=x:\\x3aAll models verified.gguf" },
		{ " ::warning::x", " :\\x3awarning:\\x3ax" },
		{ "a ##[error]b", "a #\\x23[error]b" },
		{ "###[x", "##\\x23[x" },
		{ ":::", ":\\x3a:" },
		{ "x\n::error::y", "x\\x0a:\\x3aerror:\\x3ay" },
		{ "x\r\n##[group]y", "x\\x0d\\x0a#\\x23[group]y" },
		{ "C:\\models\\m.gguf", "C:\\\\models\\\\m.gguf" },
		{ "a\xe2\x80\xa8::b", "a\\u{2028}:\\x3ab" },
		{ "plain caf\xc3\xa9 #1 [x] a:b", "plain caf\xc3\xa9 #1 [x] a:b" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s = mg_text_escape(v[i].in, strlen(v[i].in));
		ck_assert_ptr_nonnull(s);
		ck_assert_msg(strcmp(s, v[i].out) == 0, "case %zu: %s", i, s);
		ck_assert(!has_workflow_command(s));
		ck_assert_ptr_null(strchr(s, '\n'));
		ck_assert_ptr_null(strchr(s, '\r'));
		free(s);
	}
	/* Embedded NUL: the escape takes a length. */
	s = mg_text_escape("a\0::b", 5);
	ck_assert_str_eq(s, "a\\x00:\\x3ab");
	free(s);
}
END_TEST

/* JSON documents: "##[" only ever inside strings, written #\u0023[. */
START_TEST(hole10_json_defuses_legacy_commands)
{
	char *s = strdup("{\"a\":\"x##[error]y ###[z\",\"##[\":1}");
	cJSON *j;

	s = mg_json_defuse(s);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "{\"a\":\"x#\\u0023[error]y ##\\u0023[z\","
	    "\"#\\u0023[\":1}");
	j = cJSON_Parse(s);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "a")->valuestring,
	    "x##[error]y ###[z");
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(j, "##["));
	cJSON_Delete(j);
	free(s);
	s = strdup("{\"plain\":\"#[x] ## [y]\"}");
	ck_assert_str_eq(mg_json_defuse(s), "{\"plain\":\"#[x] ## [y]\"}");
	free(s);
}
END_TEST

/* Random byte strings: no command, no new line, never a raw control. */
START_TEST(hole10_escape_never_emits_commands)
{
	unsigned char b[64];
	uint32_t x = 0x9e3779b9u;
	size_t i, n, k;
	char *s;

	for (i = 0; i < 20000; i++) {
		n = random_bytes(&x, b, sizeof(b));
		s = mg_text_escape((const char *)b, n);
		ck_assert_ptr_nonnull(s);
		ck_assert(!has_workflow_command(s));
		for (k = 0; s[k] != '\0'; k++)
			ck_assert((unsigned char)s[k] >= 0x20 &&
			    (unsigned char)s[k] != 0x7f);
		ck_assert(mg_utf8_valid(s, strlen(s)));
		free(s);
	}
}
END_TEST

/* ---- hole15: injective escapes --------------------------------------- */

START_TEST(hole15_text_escape_injective)
{
	unsigned char b[64], back[64 * 4];
	uint32_t x = 12345;
	size_t i, n, m;
	char *s;

	for (i = 0; i < 20000; i++) {
		n = random_bytes(&x, b, sizeof(b));
		s = mg_text_escape((const char *)b, n);
		ck_assert_ptr_nonnull(s);
		m = text_unescape(s, back);
		ck_assert_msg(m == n && memcmp(back, b, n) == 0,
		    "round %zu does not decode back: %s", i, s);
		free(s);
	}
	/* The case that merged two files: names apart only in bad bytes. */
	{
		char *a = mg_text_printable("m/a\xff.gguf");
		char *c = mg_text_printable("m/a\xfe.gguf");
		char *d = mg_text_printable("m/a\xef\xbf\xbd.gguf");
		char *e = mg_text_printable("m/a\\xff.gguf");

		ck_assert_str_eq(a, "m/a\\xff.gguf");
		ck_assert_str_eq(c, "m/a\\xfe.gguf");
		ck_assert_str_eq(d, "m/a\xef\xbf\xbd.gguf");
		ck_assert_str_eq(e, "m/a\\\\xff.gguf");
		free(a);
		free(c);
		free(d);
		free(e);
	}
}
END_TEST

START_TEST(hole15_json_bytes_injective)
{
	unsigned char b[64], back[64];
	uint32_t x = 777;
	size_t i, n, m;
	char *t;

	for (i = 0; i < 20000; i++) {
		n = random_bytes(&x, b, sizeof(b));
		t = json_text(mg_json_bytes((const char *)b, n));
		ck_assert(mg_utf8_valid(t, strlen(t)));
		m = json_unescape(t, back);
		ck_assert_msg(m == n && memcmp(back, b, n) == 0,
		    "round %zu does not decode back: %s", i, t);
		free(t);
	}
	/* Valid UTF-8 is written exactly as a plain cJSON string. */
	t = json_text(mg_json_bytesz("m/caf\xc3\xa9 \"q\"\\.gguf"));
	ck_assert_str_eq(t, "\"m/caf\xc3\xa9 \\\"q\\\"\\\\.gguf\"");
	free(t);
	t = json_text(mg_json_bytesz("m/a\xff.gguf"));
	ck_assert_str_eq(t, "\"m/a\\udcff.gguf\"");
	free(t);
	t = json_text(mg_json_bytesz("m/a\xfe\x01\xed\xa0\x80.gguf"));
	ck_assert_str_eq(t, "\"m/a\\udcfe\\u0001\\udced\\udca0\\udc80.gguf\"");
	free(t);
}
END_TEST

/* ---- hole08: chat templates ------------------------------------------ */

/*
 * Templates that build a dunder name at render time or reach one through
 * a subscript or a Jinja global.  None holds a literal marker: the first
 * ones render to a shell command in an unsandboxed jinja2.Environment().
 */
static const char *const hostile_templates[] = {
	"{{ cycler['_'*2 ~ 'init' ~ '_'*2]['_'*2 ~ 'globals' ~ '_'*2]["
	    "'os']['po' ~ 'pen']('true').read() }}",
	"{{ [cycler]|map(attribute=k)|list }}",
	"{{ x|map('attr', 'y')|list }}",
	"{{ \"%s%sinit%s%s\" % ('_', '_', '_', '_') }}",
	"{% for k in ['_' ~ '_' ~ 'class' ~ '_' ~ '_'] %}{{ ''[k] }}{%"
	    " endfor %}",
	"{{ request['application'] }}{{ config.items() }}",
	"{% set u = (()|select ~ '')[24] %}{{ u }}",
	"{{ lipsum['__' + 'globals__']['os']['po' ~ 'pen']('true').read("
	    ") }}",
	"{% set u = '%c%c'|format(95, 95) %}{{ joiner[u ~ 'init' ~ u]["
	    "u ~ 'globals' ~ u]['os']['po' ~ 'pen']('true').read() }}",
	"{% set u = ['_','_']|join %}{{ namespace[u ~ 'init' ~ u][u ~ "
	    "'globals' ~ u]['os']['po' ~ 'pen']('true').read() }}",
	"{% set u = '_'~'_' %}{% set c = cycler %}{% set i = u ~ 'init"
	    "' ~ u %}{% set g = u ~ 'globals' ~ u %}{{ c[i][g]['os']['po' "
	    "~ 'pen']('true').read() }}",
	"{% set d = (()|select|string)[24] %}{% set i = d*2 ~ 'init' ~"
	    " d*2 %}{% set g = d*2 ~ 'globals' ~ d*2 %}{% set c = self._Te"
	    "mplateReference__context %}{{ c['cyc' ~ 'ler'][i][g]['os']['p"
	    "o' ~ 'pen']('true').read() }}",
	"{% set d = (()|select|string)[24] %}{% set k = d*2 ~ 'class' "
	    "~ d*2 %}{{ ()[k] }}",
	"{% set u = dict(___=1)|first %}{{ ''[u[:2] ~ 'class' ~ u[:2]]"
	    " }}",
	"{% macro g(o, k) %}{{ o[k] }}{% endmacro %}{{ g(namespace, 'x"
	    "') }}",
	"{% set k = 'x' %}{{ ''[k] }}",
	"{{ ''[a ~ b] }}",
	"{{ x._y }}",
	"{{ x['_y'] }}",
	"{{ x|map(attribute='_a') }}",
	"{{ x|groupby(k) }}",
	"{{ joiner['_' ~ '_' ~ 'init' ~ '_' ~ '_'] }}",
	"{{ x[('%s%s'|format('_', '_')) ~ 'class'] }}",
	"{{ x['__' + 'class__'] }}",
	"{{ x[['_','_','class','_','_']|join] }}",
	"{{ x['_' ~ '_'] }}",
	"{{ self._TemplateReference__context }}",
	"{{ lipsum['x'] }}",
	"{{ namespace.x }}",
	"{{ x[k|replace('a', 'b')] }}",
	"{{ x['a'|format] }}",
	"{{ x[y * 2] }}",
	"{{ x[(x|string)[3:5]] }}",
	"{{ x[messages[0]['content']] }}",
	"{% for k in ['a'] %}{{ x[k] }}{% endfor %}",
	"{% set k = 'a' %}{% for m in messages %}{{ m[k] }}{% endfor %}",
	"{{ config['SECRET_KEY'] }}",
	"{{ x[d if y else 0] }}",
};

/*
 * Names spelt with string escapes: Jinja decodes string literals with
 * Python's unicode-escape codec, so every form below renders as
 * <class 'str'> or reaches os.system in an unsandboxed Environment.
 */
static const char *const escaped_templates[] = {
	"{{ ''['\\N{LOW LINE}\\N{LOW LINE}class\\N{LOW LINE}\\N{LOW LINE}'] }}",
	"{{ ''['\\x5F\\x5Fclass\\x5F\\x5F'] }}",
	"{{ ''['\\u005F\\u005Fclass\\U0000005f\\U0000005f'] }}",
	"{{ ''['\\U0000005F'] }}",
	"{{ ''['\\137\\137cl\\141ss\\137\\137'] }}",
	"{{ joiner()['\\x5F\\x5Finit\\x5F\\x5F']['\\x5F\\x5Fglobals\\x5F\\x5F']"
	    "['os'].system('true') }}",
	"{{ x['\\x63lass'] }}",
	"{{ x['\\u0063'] }}",
	"{{ x['\\143'] }}",
	"{{ x['\\60'] }}",
	"{{ x['\\x2e'] }}",
	"{{ x['\\X5f'] }}",
	"{{ x['\\N{LATIN SMALL LETTER C}'] }}",
	"{{ x['\\\\\\x5f'] }}",
};

/*
 * A name built by the caller of a macro (or of a call block's caller())
 * and used as a key inside it.  The ones with os.system reach it; the
 * others render <class 'str'>.
 */
static const char *const macro_templates[] = {
	"{% macro g(o,k) %}{{ o[k] }}{% endmacro %}"
	    "{{ g('', '--class--'|replace('-', '_')) }}",
	"{% macro g(o,i,gl) %}{{ o[i][gl]['os'].system('true') }}{% endmacro %}"
	    "{{ g(joiner(), '--init--'|replace('-', '_'), '--globals--'|replace("
	    "'-', '_')) }}",
	"{% macro g(o,k) %}{{ o[k] }}{% endmacro %}"
	    "{{ g('', k='--class--'|replace('-', '_')) }}",
	"{% macro g(o,k) %}{{ o[k] }}{% endmacro %}{% set h = g %}"
	    "{{ h('', '--class--'|replace('-', '_')) }}",
	"{% macro g(o,k) %}{{ o[k] }}{% endmacro %}{% macro f(k) %}{{ g('', k) }}"
	    "{% endmacro %}{{ f('--class--'|replace('-', '_')) }}",
	"{% macro f(k) %}{{ g('', k) }}{% endmacro %}{% macro g(o,k) %}{{ o[k] }}"
	    "{% endmacro %}{{ f('--class--'|replace('-', '_')) }}",
	"{% macro g(o) %}{% for k in varargs %}{{ o[k] }}{% endfor %}"
	    "{% endmacro %}{{ g('', '--class--'|replace('-', '_')) }}",
	"{% macro g(o) %}{% for k in kwargs.values() %}{{ o[k] }}{% endfor %}"
	    "{% endmacro %}{{ g('', x='--class--'|replace('-', '_')) }}",
	"{% macro g(o,k) %}{{ o[k] }}{% endmacro %}"
	    "{{ g('', *['--class--'|replace('-', '_')]) }}",
	"{% macro g() %}{{ caller('--class--'|replace('-', '_')) }}{% endmacro %}"
	    "{% call(k) g() %}{{ ''[k] }}{% endcall %}",
	"{% macro g(o,k) %}{{ o[k.n] }}{% endmacro %}"
	    "{{ g('', {'n': '--class--'|replace('-', '_')}) }}",
	"{% macro g(o,k) %}{% for x in k %}{{ o[x] }}{% endfor %}{% endmacro %}"
	    "{{ g('', ['--class--'|replace('-', '_')]) }}",
	"{% macro g(o,k='--class--'|replace('-', '_')) %}{{ o[k] }}{% endmacro %}"
	    "{{ g('') }}",
	"{% macro g(o,k) %}{{ o[k] }}{% endmacro %}"
	    "{{ g('', ''.encode().fromhex('5f5f636c6173735f5f').decode()) }}",
	"{% macro g(o,k) %}{{ o[k] }}{% endmacro %}{{ g('', '_x') }}",
	"{% macro h() %}x{% endmacro %}{% macro g(o,k) %}{{ o[k] }}{% endmacro %}"
	    "{{ g('', h()) }}",
	"{% macro g(o,k) %}{{ o[k] }}{% endmacro %}"
	    "{% set u = '--class--'|replace('-','_') %}{{ g('', u) }}",
	"{% macro g(o,k) %}{{ o[k] }}{% endmacro %}{% set u %}{{ '_' }}{{ '_' }}"
	    "class{{ '_' }}{{ '_' }}{% endset %}{{ g('', u) }}",
	"{% macro g(o,k) %}{{ o[k] }}{% endmacro %}"
	    "{% for u in ['--class--'|replace('-','_')] %}{{ g('', u) }}"
	    "{% endfor %}",
	"{% macro g(o,k) %}{{ o[k] }}{% endmacro %}{{ g('', 'a' ~ b) }}",
};

static void
all_flagged(const char *const *v, size_t n, const char *kind)
{
	const char *what;
	size_t i, at;

	for (i = 0; i < n; i++) {
		ck_assert_msg(mg_template_suspicious(v[i], strlen(v[i]), &what,
		    &at), "%s template %zu not flagged: %s", kind, i, v[i]);
		ck_assert_ptr_nonnull(what);
		ck_assert_uint_lt(at, strlen(v[i]));
	}
}

START_TEST(tpl_escaped_name_chars)
{
	all_flagged(escaped_templates, sizeof(escaped_templates) /
	    sizeof(escaped_templates[0]), "escaped");
}
END_TEST

START_TEST(tpl_macro_param_keys)
{
	all_flagged(macro_templates, sizeof(macro_templates) /
	    sizeof(macro_templates[0]), "macro");
}
END_TEST

/* The published templates of common model families: all clean. */
static const char *const real_templates[] = {
	/* llama3 */
	"{% set loop_messages = messages %}{% for message in loop_mess"
	    "ages %}{% set content = '<|start_header_id|>' + message['role"
	    "'] + '<|end_header_id|>\n"
	    "\n"
	    "'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.inde"
	    "x0 == 0 %}{% set content = bos_token + content %}{% endif %}{"
	    "{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|s"
	    "tart_header_id|>assistant<|end_header_id|>\n"
	    "\n"
	    "' }}{% endif %}\n",
	/* chatml */
	"{% for message in messages %}{{'<|im_start|>' + message['role"
	    "'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% en"
	    "dfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistan"
	    "t\\n' }}{% endif %}\n",
	/* mistral */
	"{{ bos_token }}{% for message in messages %}{% if (message['r"
	    "ole'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_excepti"
	    "on('Conversation roles must alternate user/assistant/user/ass"
	    "istant/...') }}{% endif %}{% if message['role'] == 'user' %}{"
	    "{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif messa"
	    "ge['role'] == 'assistant' %}{{ message['content'] + eos_token"
	    "}}{% else %}{{ raise_exception('Only user and assistant roles"
	    " are supported!') }}{% endif %}{% endfor %}\n",
	/* gemma */
	"{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ rai"
	    "se_exception('System role not supported') }}{% endif %}{% for"
	    " message in messages %}{% if (message['role'] == 'user') != ("
	    "loop.index0 % 2 == 0) %}{{ raise_exception('Conversation role"
	    "s must alternate user/assistant/user/assistant/...') }}{% end"
	    "if %}{% if (message['role'] == 'assistant') %}{% set role = '"
	    "model' %}{% else %}{% set role = message['role'] %}{% endif %"
	    "}{{ '<start_of_turn>' + role + '\n"
	    "' + message['content'] | trim + '<end_of_turn>\n"
	    "' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_tu"
	    "rn>model\n"
	    "'}}{% endif %}\n",
	/* qwen25 */
	"{%- if tools %}\n"
	    "    {{- '<|im_start|>system\\n' }}\n"
	    "    {%- if messages[0]['role'] == 'system' %}\n"
	    "        {{- messages[0]['content'] }}\n"
	    "    {%- else %}\n"
	    "        {{- 'You are Qwen, created by Alibaba Cloud. You are "
	    "a helpful assistant.' }}\n"
	    "    {%- endif %}\n"
	    "    {{- \"\\n\\n# Tools\\n\\nYou may call one or more functio"
	    "ns to assist with the user query.\\n\\nYou are provided with "
	    "function signatures within <tools></tools> XML tags:\\n<tools"
	    ">\" }}\n"
	    "    {%- for tool in tools %}\n"
	    "        {{- \"\\n\" }}\n"
	    "        {{- tool | tojson }}\n"
	    "    {%- endfor %}\n"
	    "    {{- \"\\n</tools>\\n\\nFor each function call, return a j"
	    "son object with function name and arguments within <tool_call"
	    "></tool_call> XML tags:\\n<tool_call>\\n{\\\"name\\\": <funct"
	    "ion-name>, \\\"arguments\\\": <args-json-object>}\\n</tool_ca"
	    "ll><|im_end|>\\n\" }}\n"
	    "{%- else %}\n"
	    "    {%- if messages[0]['role'] == 'system' %}\n"
	    "        {{- '<|im_start|>system\\n' + messages[0]['content'] "
	    "+ '<|im_end|>\\n' }}\n"
	    "    {%- else %}\n"
	    "        {{- '<|im_start|>system\\nYou are Qwen, created by Al"
	    "ibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}\n"
	    "    {%- endif %}\n"
	    "{%- endif %}\n"
	    "{%- for message in messages %}\n"
	    "    {%- if (message.role == \"user\") or (message.role == \"s"
	    "ystem\" and not loop.first) or (message.role == \"assistant\""
	    " and not message.tool_calls) %}\n"
	    "        {{- '<|im_start|>' + message.role + '\\n' + message.c"
	    "ontent + '<|im_end|>' + '\\n' }}\n"
	    "    {%- elif message.role == \"assistant\" %}\n"
	    "        {{- '<|im_start|>' + message.role }}\n"
	    "        {%- if message.content %}\n"
	    "            {{- '\\n' + message.content }}\n"
	    "        {%- endif %}\n"
	    "        {%- for tool_call in message.tool_calls %}\n"
	    "            {%- if tool_call.function is defined %}\n"
	    "                {%- set tool_call = tool_call.function %}\n"
	    "            {%- endif %}\n"
	    "            {{- '\\n<tool_call>\\n{\"name\": \"' }}\n"
	    "            {{- tool_call.name }}\n"
	    "            {{- '\", \"arguments\": ' }}\n"
	    "            {{- tool_call.arguments | tojson }}\n"
	    "            {{- '}\\n</tool_call>' }}\n"
	    "        {%- endfor %}\n"
	    "        {{- '<|im_end|>\\n' }}\n"
	    "    {%- elif message.role == \"tool\" %}\n"
	    "        {%- if (loop.index0 == 0) or (messages[loop.index0 - "
	    "1].role != \"tool\") %}\n"
	    "            {{- '<|im_start|>user' }}\n"
	    "        {%- endif %}\n"
	    "        {{- '\\n<tool_response>\\n' }}\n"
	    "        {{- message.content }}\n"
	    "        {{- '\\n</tool_response>' }}\n"
	    "        {%- if loop.last or (messages[loop.index0 + 1].role !"
	    "= \"tool\") %}\n"
	    "            {{- '<|im_end|>\\n' }}\n"
	    "        {%- endif %}\n"
	    "    {%- endif %}\n"
	    "{%- endfor %}\n"
	    "{%- if add_generation_prompt %}\n"
	    "    {{- '<|im_start|>assistant\\n' }}\n"
	    "{%- endif %}\n",
	/* qwen3 */
	"{%- set ns = namespace(multi_step_tool=true, last_query_index"
	    "=messages|length - 1) %}\n"
	    "{%- for message in messages[::-1] %}\n"
	    "    {%- set index = (messages|length - 1) - loop.index0 %}\n"
	    "    {%- if ns.multi_step_tool and message.role == \"user\" an"
	    "d message.content is string and not(message.content.startswit"
	    "h('<tool_response>') and message.content.endswith('</tool_res"
	    "ponse>')) %}\n"
	    "        {%- set ns.multi_step_tool = false %}\n"
	    "        {%- set ns.last_query_index = index %}\n"
	    "    {%- endif %}\n"
	    "{%- endfor %}\n"
	    "{%- for message in messages %}\n"
	    "    {%- if message.content is string %}\n"
	    "        {%- set content = message.content %}\n"
	    "    {%- else %}\n"
	    "        {%- set content = '' %}\n"
	    "    {%- endif %}\n"
	    "    {%- if message.role == \"assistant\" %}\n"
	    "        {%- set reasoning_content = '' %}\n"
	    "        {%- if message.reasoning_content is string %}\n"
	    "            {%- set reasoning_content = message.reasoning_con"
	    "tent %}\n"
	    "        {%- else %}\n"
	    "            {%- if '</think>' in content %}\n"
	    "                {%- set reasoning_content = content.split('</"
	    "think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') "
	    "%}\n"
	    "                {%- set content = content.split('</think>')[-"
	    "1].lstrip('\\n') %}\n"
	    "            {%- endif %}\n"
	    "        {%- endif %}\n"
	    "        {%- if loop.index0 > ns.last_query_index %}\n"
	    "            {{- '<|im_start|>' + message.role + '\\n<think>\\"
	    "n' + reasoning_content.strip('\\n') + '\\n</think>\\n\\n' + c"
	    "ontent.lstrip('\\n') }}\n"
	    "        {%- else %}\n"
	    "            {{- '<|im_start|>' + message.role + '\\n' + conte"
	    "nt }}\n"
	    "        {%- endif %}\n"
	    "        {%- if message.tool_calls %}\n"
	    "            {%- for tool_call in message.tool_calls %}\n"
	    "                {%- if (loop.first and content) or (not loop."
	    "first) %}\n"
	    "                    {{- '\\n' }}\n"
	    "                {%- endif %}\n"
	    "                {%- if tool_call.function %}\n"
	    "                    {%- set tool_call = tool_call.function %}"
	    "\n"
	    "                {%- endif %}\n"
	    "                {{- '<tool_call>\\n{\"name\": \"' }}\n"
	    "                {{- tool_call.name }}\n"
	    "                {{- '\", \"arguments\": ' }}\n"
	    "                {%- if tool_call.arguments is string %}\n"
	    "                    {{- tool_call.arguments }}\n"
	    "                {%- else %}\n"
	    "                    {{- tool_call.arguments | tojson }}\n"
	    "                {%- endif %}\n"
	    "                {{- '}\\n</tool_call>' }}\n"
	    "            {%- endfor %}\n"
	    "        {%- endif %}\n"
	    "        {{- '<|im_end|>\\n' }}\n"
	    "    {%- endif %}\n"
	    "{%- endfor %}\n"
	    "{%- if add_generation_prompt %}\n"
	    "    {{- '<|im_start|>assistant\\n' }}\n"
	    "    {%- if enable_thinking is defined and enable_thinking is "
	    "false %}\n"
	    "        {{- '<think>\\n\\n</think>\\n\\n' }}\n"
	    "    {%- endif %}\n"
	    "{%- endif %}\n",
	/* deepseek */
	"{% if not add_generation_prompt is defined %}{% set add_gener"
	    "ation_prompt = false %}{% endif %}{% set ns = namespace(is_fi"
	    "rst=false, is_tool=false, is_output_first=true, system_prompt"
	    "='', is_first_sp=true) %}{%- for message in messages %}{%- if"
	    " message['role'] == 'system' %}{%- if ns.is_first_sp %}{% set"
	    " ns.system_prompt = ns.system_prompt + message['content'] %}{"
	    "% set ns.is_first_sp = false %}{%- else %}{% set ns.system_pr"
	    "ompt = ns.system_prompt + '\\n\\n' + message['content'] %}{%-"
	    " endif %}{%- endif %}{%- endfor %}{{ bos_token }}{{ ns.system"
	    "_prompt }}{%- for message in messages %}{%- if message['role'"
	    "] == 'user' %}{%- set ns.is_tool = false -%}{{'<\xef\xbd\x9cU"
	    "ser\xef\xbd\x9c>' + message['content']}}{%- endif %}{%- if me"
	    "ssage['role'] == 'assistant' and 'tool_calls' in message %}{%"
	    "- set ns.is_tool = false -%}{%- for tool in message['tool_cal"
	    "ls'] %}{%- if not ns.is_first %}{%- if message['content'] is "
	    "none %}{{'<\xef\xbd\x9c" "Assistant\xef\xbd\x9c><\xef\xbd\x9ctoo"
	    "l\xe2\x96\x81" "calls\xe2\x96\x81" "begin\xef\xbd\x9c><\xef\xbd\x9c"
	    "tool\xe2\x96\x81" "call\xe2\x96\x81" "begin\xef\xbd\x9c>' + tool['t"
	    "ype'] + '<\xef\xbd\x9ctool\xe2\x96\x81sep\xef\xbd\x9c>' + too"
	    "l['function']['name'] + '\\n' + '```json' + '\\n' + tool['fun"
	    "ction']['arguments'] + '\\n' + '```' + '<\xef\xbd\x9ctool\xe2\x96\x81"
	    "call\xe2\x96\x81" "end\xef\xbd\x9c>'}}{%- else %}{{'<\xef\xbd\x9c"
	    "Assistant\xef\xbd\x9c>' + message['content'] + '<\xef\xbd\x9c"
	    "tool\xe2\x96\x81" "calls\xe2\x96\x81" "begin\xef\xbd\x9c><\xef\xbd\x9c"
	    "tool\xe2\x96\x81" "call\xe2\x96\x81" "begin\xef\xbd\x9c>' + tool['t"
	    "ype'] + '<\xef\xbd\x9ctool\xe2\x96\x81sep\xef\xbd\x9c>' + too"
	    "l['function']['name'] + '\\n' + '```json' + '\\n' + tool['fun"
	    "ction']['arguments'] + '\\n' + '```' + '<\xef\xbd\x9ctool\xe2\x96\x81"
	    "call\xe2\x96\x81" "end\xef\xbd\x9c>'}}{%- endif %}{%- set ns.is_"
	    "first = true -%}{%- else %}{{'\\n' + '<\xef\xbd\x9ctool\xe2\x96\x81"
	    "call\xe2\x96\x81" "begin\xef\xbd\x9c>' + tool['type'] + '<\xef\xbd\x9c"
	    "tool\xe2\x96\x81sep\xef\xbd\x9c>' + tool['function']['name'] "
	    "+ '\\n' + '```json' + '\\n' + tool['function']['arguments'] +"
	    " '\\n' + '```' + '<\xef\xbd\x9ctool\xe2\x96\x81" "call\xe2\x96\x81"
	    "end\xef\xbd\x9c>'}}{%- endif %}{%- endfor %}{{'<\xef\xbd\x9ct"
	    "ool\xe2\x96\x81" "calls\xe2\x96\x81" "end\xef\xbd\x9c><\xef\xbd\x9c"
	    "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>'}}{%- endi"
	    "f %}{%- if message['role'] == 'assistant' and 'tool_calls' no"
	    "t in message %}{%- if ns.is_tool %}{{'<\xef\xbd\x9ctool\xe2\x96\x81"
	    "outputs\xe2\x96\x81" "end\xef\xbd\x9c>' + message['content'] + '"
	    "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c"
	    ">'}}{%- set ns.is_tool = false -%}{%- else %}{% set content ="
	    " message['content'] %}{% if '</think>' in content %}{% set co"
	    "ntent = content.split('</think>')[-1] %}{% endif %}{{'<\xef\xbd\x9c"
	    "Assistant\xef\xbd\x9c>' + content + '<\xef\xbd\x9c" "end\xe2\x96\x81"
	    "of\xe2\x96\x81sentence\xef\xbd\x9c>'}}{%- endif %}{%- endif %"
	    "}{%- if message['role'] == 'tool' %}{%- set ns.is_tool = true"
	    " -%}{%- if ns.is_output_first %}{{'<\xef\xbd\x9ctool\xe2\x96\x81"
	    "outputs\xe2\x96\x81" "begin\xef\xbd\x9c><\xef\xbd\x9ctool\xe2\x96\x81"
	    "output\xe2\x96\x81" "begin\xef\xbd\x9c>' + message['content'] + "
	    "'<\xef\xbd\x9ctool\xe2\x96\x81output\xe2\x96\x81" "end\xef\xbd\x9c"
	    ">'}}{%- set ns.is_output_first = false %}{%- else %}{{'<\xef\xbd\x9c"
	    "tool\xe2\x96\x81output\xe2\x96\x81" "begin\xef\xbd\x9c>' + messa"
	    "ge['content'] + '<\xef\xbd\x9ctool\xe2\x96\x81output\xe2\x96\x81"
	    "end\xef\xbd\x9c>'}}{%- endif %}{%- endif %}{%- endfor -%}{% i"
	    "f ns.is_tool %}{{'<\xef\xbd\x9ctool\xe2\x96\x81outputs\xe2\x96\x81"
	    "end\xef\xbd\x9c>'}}{% endif %}{% if add_generation_prompt and"
	    " not ns.is_tool %}{{'<\xef\xbd\x9c" "Assistant\xef\xbd\x9c><thin"
	    "k>\\n'}}{% endif %}\n",
	/* hermes_pt */
	"{%- macro json_to_python_type(json_spec) %}\n"
	    "{%- set basic_type_map = {\n"
	    "    \"string\": \"str\",\n"
	    "    \"number\": \"float\",\n"
	    "    \"integer\": \"int\",\n"
	    "    \"boolean\": \"bool\"\n"
	    "} %}\n"
	    "\n"
	    "{%- if basic_type_map[json_spec.type] is defined %}\n"
	    "    {{- basic_type_map[json_spec.type] }}\n"
	    "{%- elif json_spec.type == \"array\" %}\n"
	    "    {{- \"list[\" +  json_to_python_type(json_spec|items) + \""
	    "]\" }}\n"
	    "{%- elif json_spec.type == \"object\" %}\n"
	    "    {%- if json_spec.additionalProperties is defined %}\n"
	    "        {{- \"dict[str, \" + json_to_python_type(json_spec.ad"
	    "ditionalProperties) + ']' }}\n"
	    "    {%- else %}\n"
	    "        {{- \"dict\" }}\n"
	    "    {%- endif %}\n"
	    "{%- elif json_spec.type is iterable %}\n"
	    "    {{- \"Union[\" }}\n"
	    "    {%- for t in json_spec.type %}\n"
	    "      {{- json_to_python_type({\"type\": t}) }}\n"
	    "      {%- if not loop.last %}\n"
	    "        {{- \",\" }}\n"
	    "    {%- endif %}\n"
	    "    {%- endfor %}\n"
	    "    {{- \"]\" }}\n"
	    "{%- else %}\n"
	    "    {{- \"Any\" }}\n"
	    "{%- endif %}\n"
	    "{%- endmacro %}\n"
	    "{%- macro render_extra_keys(json_dict, handled_keys) %}\n"
	    "    {%- if json_dict is mapping %}\n"
	    "        {%- for json_key in json_dict if json_key not in hand"
	    "led_keys %}\n"
	    "            {%- if json_dict[json_key] is mapping or (json_di"
	    "ct[json_key] is sequence and json_dict[json_key] is not strin"
	    "g) %}\n"
	    "                {{- '\\n<' ~ json_key ~ '>' ~ (json_dict[json"
	    "_key] | tojson | safe) ~ '</' ~ json_key ~ '>' }}\n"
	    "            {%- else %}\n"
	    "                {{-'\\n<' ~ json_key ~ '>' ~ (json_dict[json_"
	    "key] | string) ~ '</' ~ json_key ~ '>' }}\n"
	    "            {%- endif %}\n"
	    "        {%- endfor %}\n"
	    "    {%- endif %}\n"
	    "{%- endmacro %}\n"
	    "{%- for param_name, param_fields in tool.parameters.propertie"
	    "s|items %}\n"
	    "  {%- set normed_json_key = param_name | replace(\"-\", \"_\""
	    ") | replace(\" \", \"_\") | replace(\"$\", \"\") %}\n"
	    "  {%- for json_key in param_fields.keys() | reject(\"in\", [\""
	    "type\", \"description\"]) %}\n"
	    "    {%- if param_fields[json_key] is mapping %}\n"
	    "      {{- '\"' + normed_json_key + '\": \"' + param_fields[js"
	    "on_key] | tojson + '\"' }}\n"
	    "    {%- endif %}\n"
	    "  {%- endfor %}\n"
	    "{%- endfor %}\n",
	/* llama31 */
	"{{- bos_token }}\n"
	    "{%- if custom_tools is defined %}\n"
	    "    {%- set tools = custom_tools %}\n"
	    "{%- endif %}\n"
	    "{%- if not date_string is defined %}\n"
	    "    {%- if strftime_now is defined %}\n"
	    "        {%- set date_string = strftime_now(\"%d %b %Y\") %}\n"
	    "    {%- endif %}\n"
	    "{%- endif %}\n"
	    "{#- This block extracts the system message, so we can slot it"
	    " into the right place. #}\n"
	    "{%- if messages[0]['role'] == 'system' %}\n"
	    "    {%- if messages[0]['content'] is string %}\n"
	    "        {%- set system_message = messages[0]['content']|trim "
	    "%}\n"
	    "    {%- else %}\n"
	    "        {%- set system_message = messages[0]['content'][0]['t"
	    "ext']|trim %}\n"
	    "    {%- endif %}\n"
	    "    {%- set messages = messages[1:] %}\n"
	    "{%- endif %}\n"
	    "{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n"
	    "{%- for t in tools %}\n"
	    "    {{- t | tojson(indent=4) }}\n"
	    "{%- endfor %}\n"
	    "{%- set first_user_message = messages[0]['content'] | selecta"
	    "ttr('type', 'equalto', 'text') | map(attribute='text') | map("
	    "'trim') | join('\\n') %}\n"
	    "{%- for message in messages %}\n"
	    "    {%- if not (message.role == 'ipython' or message.role == "
	    "'tool' or 'tool_calls' in message) %}\n"
	    "        {{- '<|start_header_id|>' + message['role'] + '<|end_"
	    "header_id|>\\n\\n' }}\n"
	    "        {%- for content in message['content'] %}\n"
	    "            {%- if content['type'] == 'text' %}\n"
	    "                {{- content['text'] | trim }}\n"
	    "            {%- endif %}\n"
	    "        {%- endfor %}\n"
	    "    {%- elif 'tool_calls' in message %}\n"
	    "        {%- set tool_call = message.tool_calls[0].function %}"
	    "\n"
	    "        {{- '{\"name\": \"' + tool_call.name|trim + '\", ' }}"
	    "\n"
	    "        {{- tool_call.arguments | tojson }}\n"
	    "    {%- elif message.role == \"tool\" or message.role == \"ip"
	    "ython\" %}\n"
	    "        {%- if message.content is string %}\n"
	    "            {{- { \"output\": message.content } | tojson }}\n"
	    "        {%- endif %}\n"
	    "    {%- endif %}\n"
	    "{%- endfor %}\n",
	/* gpt-oss, tool rendering (recursive macros, parameters passed on) */
	"{%- macro render_typescript_type(param_spec, required_params"
	    ", is_nullable=false) -%}\n"
	    "    {%- if param_spec.type == \"array\" -%}\n"
	    "        {%- if 'items' in param_spec -%}\n"
	    "            {%- if param_spec['items']['type'] == \"string\""
	    " -%}\n"
	    "                {{- \"string[]\" }}\n"
	    "            {%- elif param_spec['items']['type'] == \"number"
	    "\" -%}\n"
	    "                {{- \"number[]\" }}\n"
	    "            {%- else -%}\n"
	    "                {%- set inner_type = render_typescript_type("
	    "param_spec['items'], required_params) -%}\n"
	    "                {%- if inner_type == \"object | object\" or "
	    "inner_type|length > 50 -%}\n"
	    "                    {{- \"any[]\" }}\n"
	    "                {%- else -%}\n"
	    "                    {{- inner_type + \"[]\" }}\n"
	    "                {%- endif -%}\n"
	    "            {%- endif -%}\n"
	    "            {%- if param_spec.nullable -%}\n"
	    "                {{- \" | null\" }}\n"
	    "            {%- endif -%}\n"
	    "        {%- else -%}\n"
	    "            {{- \"any[]\" }}\n"
	    "        {%- endif -%}\n"
	    "    {%- elif param_spec.type is defined and param_spec.type "
	    "is iterable and param_spec.type is not string and param_spec"
	    ".type is not mapping and param_spec.type[0] is defined -%}\n"
	    "        {%- if param_spec.type | length > 1 -%}\n"
	    "            {{- param_spec.type | join(\" | \") }}\n"
	    "        {%- else -%}\n"
	    "            {{- param_spec.type[0] }}\n"
	    "        {%- endif -%}\n"
	    "    {%- elif param_spec.oneOf -%}\n"
	    "        {%- set has_object_variants = false -%}\n"
	    "        {%- for variant in param_spec.oneOf -%}\n"
	    "            {%- if variant.type == \"object\" -%}\n"
	    "                {%- set has_object_variants = true -%}\n"
	    "            {%- endif -%}\n"
	    "        {%- endfor -%}\n"
	    "        {%- if has_object_variants and param_spec.oneOf|leng"
	    "th > 1 -%}\n"
	    "            {{- \"any\" }}\n"
	    "        {%- else -%}\n"
	    "            {%- for variant in param_spec.oneOf -%}\n"
	    "                {{- render_typescript_type(variant, required"
	    "_params) -}}\n"
	    "                {%- if variant.description %}\n"
	    "                    {{- \"// \" + variant.description }}\n"
	    "                {%- endif -%}\n"
	    "                {%- if variant.default is defined %}\n"
	    "                    {{ \"// default: \" + variant.default|to"
	    "json }}\n"
	    "                {%- endif -%}\n"
	    "                {%- if not loop.last %}\n"
	    "                    {{- \" | \" }}\n"
	    "                {% endif -%}\n"
	    "            {%- endfor -%}\n"
	    "        {%- endif -%}\n"
	    "    {%- elif param_spec.type == \"string\" -%}\n"
	    "        {%- if param_spec.enum -%}\n"
	    "            {{- '\"' + param_spec.enum|join('\" | \"') + '\""
	    "' -}}\n"
	    "        {%- else -%}\n"
	    "            {{- \"string\" }}\n"
	    "        {%- endif -%}\n"
	    "    {%- elif param_spec.type == \"object\" -%}\n"
	    "        {%- if param_spec.properties -%}\n"
	    "            {{- \"{\\n\" }}\n"
	    "            {%- for prop_name, prop_spec in param_spec.prope"
	    "rties.items() -%}\n"
	    "                {{- prop_name -}}\n"
	    "                {%- if prop_name not in (param_spec.required"
	    " or []) -%}\n"
	    "                    {{- \"?\" }}\n"
	    "                {%- endif -%}\n"
	    "                {{- \": \" }}\n"
	    "                {{ render_typescript_type(prop_spec, param_s"
	    "pec.required or []) }}\n"
	    "                {%- if not loop.last -%}\n"
	    "                    {{-\", \" }}\n"
	    "                {%- endif -%}\n"
	    "            {%- endfor -%}\n"
	    "            {{- \"}\" }}\n"
	    "        {%- else -%}\n"
	    "            {{- \"object\" }}\n"
	    "        {%- endif -%}\n"
	    "    {%- else -%}\n"
	    "        {{- \"any\" }}\n"
	    "    {%- endif -%}\n"
	    "{%- endmacro -%}\n"
	    "\n"
	    "{%- macro render_tool_namespace(namespace_name, tools) -%}\n"
	    "    {{- \"## \" + namespace_name + \"\\n\\n\" }}\n"
	    "    {{- \"namespace \" + namespace_name + \" {\\n\\n\" }}\n"
	    "    {%- for tool in tools %}\n"
	    "        {%- set tool = tool.function %}\n"
	    "        {{- \"// \" + tool.description + \"\\n\" }}\n"
	    "        {{- \"type \"+ tool.name + \" = \" }}\n"
	    "        {%- if tool.parameters and tool.parameters.propertie"
	    "s %}\n"
	    "            {{- \"(_: {\\n\" }}\n"
	    "            {%- for param_name, param_spec in tool.parameter"
	    "s.properties.items() %}\n"
	    "                {%- if param_spec.description %}\n"
	    "                    {{- \"// \" + param_spec.description + \""
	    "\\n\" }}\n"
	    "                {%- endif %}\n"
	    "                {{- param_name }}\n"
	    "                {%- if param_name not in (tool.parameters.re"
	    "quired or []) -%}\n"
	    "                    {{- \"?\" }}\n"
	    "                {%- endif -%}\n"
	    "                {{- \": \" }}\n"
	    "                {{- render_typescript_type(param_spec, tool."
	    "parameters.required or []) }}\n"
	    "                {%- if param_spec.default is defined -%}\n"
	    "                    {%- if param_spec.enum %}\n"
	    "                        {{- \", // default: \" + param_spec."
	    "default }}\n"
	    "                    {%- else %}\n"
	    "                        {{- \", // default: \" + param_spec."
	    "default|tojson }}\n"
	    "                    {%- endif -%}\n"
	    "                {%- endif -%}\n"
	    "                {{- \",\\n\" }}\n"
	    "            {%- endfor %}\n"
	    "            {{- \"}) => any;\\n\\n\" }}\n"
	    "        {%- else -%}\n"
	    "            {{- \"() => any;\\n\\n\" }}\n"
	    "        {%- endif -%}\n"
	    "    {%- endfor %}\n"
	    "    {{- \"} // namespace \" + namespace_name }}\n"
	    "{%- endmacro -%}\n"
	    "\n"
	    "{%- macro render_builtin_tools(browser_tool, python_tool) -%"
	    "}\n"
	    "    {%- if browser_tool %}\n"
	    "        {{- \"## browser\\n\\n\" }}\n"
	    "        {{- \"namespace browser {\\n\\n\" }}\n"
	    "        {{- \"} // namespace browser\\n\\n\" }}\n"
	    "    {%- endif -%}\n"
	    "    {%- if python_tool %}\n"
	    "        {{- \"## python\\n\\n\" }}\n"
	    "    {%- endif -%}\n"
	    "{%- endmacro -%}\n"
	    "\n"
	    "{%- macro build_system_message() -%}\n"
	    "    {%- if model_identity is not defined %}\n"
	    "        {%- set model_identity = \"You are ChatGPT, a large "
	    "language model trained by OpenAI.\" %}\n"
	    "    {%- endif %}\n"
	    "    {{- model_identity + \"\\n\" }}\n"
	    "    {{- \"Current date: \" + strftime_now(\"%Y-%m-%d\") + \""
	    "\\n\\n\" }}\n"
	    "    {%- if reasoning_effort is not defined %}\n"
	    "        {%- set reasoning_effort = \"medium\" %}\n"
	    "    {%- endif %}\n"
	    "    {{- \"Reasoning: \" + reasoning_effort + \"\\n\\n\" }}\n"
	    "    {%- if builtin_tools %}\n"
	    "        {{- \"# Tools\\n\\n\" }}\n"
	    "        {%- set available_builtin_tools = namespace(browser="
	    "false, python=false) %}\n"
	    "        {%- for tool in builtin_tools %}\n"
	    "            {%- if tool == \"browser\" %}\n"
	    "                {%- set available_builtin_tools.browser = tr"
	    "ue %}\n"
	    "            {%- elif tool == \"python\" %}\n"
	    "                {%- set available_builtin_tools.python = tru"
	    "e %}\n"
	    "            {%- endif %}\n"
	    "        {%- endfor %}\n"
	    "        {{- render_builtin_tools(available_builtin_tools.bro"
	    "wser, available_builtin_tools.python) }}\n"
	    "    {%- endif -%}\n"
	    "    {{- \"# Valid channels: analysis, commentary, final. Cha"
	    "nnel must be included for every message.\" }}\n"
	    "{%- endmacro -%}\n"
	    "\n"
	    "{{- \"<|start|>system<|message|>\" }}\n"
	    "{{- build_system_message() }}\n"
	    "{{- \"<|end|>\" }}\n"
	    "{%- if messages[0].role == \"developer\" or messages[0].role"
	    " == \"system\" %}\n"
	    "    {%- set developer_message = messages[0].content %}\n"
	    "    {%- set loop_messages = messages[1:] %}\n"
	    "{%- else %}\n"
	    "    {%- set developer_message = \"\" %}\n"
	    "    {%- set loop_messages = messages %}\n"
	    "{%- endif %}\n"
	    "{%- if developer_message or tools %}\n"
	    "    {%- if tools -%}\n"
	    "        {{- render_tool_namespace(\"functions\", tools) }}\n"
	    "    {%- endif -%}\n"
	    "{%- endif %}\n"
	    "{%- set last_tool_call = namespace(name=none) %}\n"
	    "{%- for message in loop_messages -%}\n"
	    "    {%- if message.role == 'assistant' -%}\n"
	    "        {%- if \"tool_calls\" in message %}\n"
	    "            {%- set future_final_message = namespace(found=f"
	    "alse) %}\n"
	    "            {%- for future_message in loop_messages[loop.ind"
	    "ex:] %}\n"
	    "                {%- if future_message.role == 'assistant' an"
	    "d \"tool_calls\" not in future_message %}\n"
	    "                    {%- set future_final_message.found = tru"
	    "e %}\n"
	    "                {%- endif %}\n"
	    "            {%- endfor %}\n"
	    "            {%- set tool_call = message.tool_calls[0] %}\n"
	    "            {%- if tool_call.function %}\n"
	    "                {%- set tool_call = tool_call.function %}\n"
	    "            {%- endif %}\n"
	    "            {{- \"functions.\" + tool_call.name + \"<|channe"
	    "l|>commentary \" }}\n"
	    "            {{- (tool_call.content_type if tool_call.content"
	    "_type is defined else \"json\") + \"<|message|>\" }}\n"
	    "            {{- tool_call.arguments|tojson }}\n"
	    "            {%- set last_tool_call.name = tool_call.name %}\n"
	    "        {%- else %}\n"
	    "            {{- \"<|start|>assistant<|channel|>final<|messag"
	    "e|>\" + message.content + \"<|end|>\" }}\n"
	    "            {%- set last_tool_call.name = none %}\n"
	    "        {%- endif %}\n"
	    "    {%- elif message.role == 'tool' -%}\n"
	    "        {{- \"<|start|>functions.\" + last_tool_call.name }}"
	    "\n"
	    "        {{- \" to=assistant<|channel|>commentary<|message|>\""
	    " + message.content|tojson + \"<|end|>\" }}\n"
	    "    {%- endif -%}\n"
	    "{%- endfor -%}\n"
	    "{%- if add_generation_prompt -%}\n"
	    "<|start|>assistant\n"
	    "{%- endif -%}\n",
	/* Hermes 2 Pro tool use (json_to_python_type over set and for values) */
	"{%- macro json_to_python_type(json_spec) %}\n"
	    "{%- set basic_type_map = {\n"
	    "    \"string\": \"str\",\n"
	    "    \"number\": \"float\",\n"
	    "    \"integer\": \"int\",\n"
	    "    \"boolean\": \"bool\"\n"
	    "} %}\n"
	    "\n"
	    "{%- if basic_type_map[json_spec.type] is defined %}\n"
	    "    {{- basic_type_map[json_spec.type] }}\n"
	    "{%- elif json_spec.type == \"array\" %}\n"
	    "    {{- \"list[\" +  json_to_python_type(json_spec|items) + "
	    "\"]\"}}\n"
	    "{%- elif json_spec.type == \"object\" %}\n"
	    "    {%- if json_spec.additionalProperties is defined %}\n"
	    "        {{- \"dict[str, \" + json_to_python_type(json_spec.a"
	    "dditionalProperties) + ']'}}\n"
	    "    {%- else %}\n"
	    "        {{- \"dict\" }}\n"
	    "    {%- endif %}\n"
	    "{%- elif json_spec.type is iterable %}\n"
	    "    {{- \"Union[\" }}\n"
	    "    {%- for t in json_spec.type %}\n"
	    "      {{- json_to_python_type({\"type\": t}) }}\n"
	    "      {%- if not loop.last %}\n"
	    "        {{- \",\" }} \n"
	    "    {%- endif %}\n"
	    "    {%- endfor %}\n"
	    "    {{- \"]\" }}\n"
	    "{%- else %}\n"
	    "    {{- \"Any\" }}\n"
	    "{%- endif %}\n"
	    "{%- endmacro %}\n"
	    "\n"
	    "\n"
	    "{{- bos_token }}\n"
	    "{{- '<|im_start|>system\\n' }}\n"
	    "{{- \"You are a function calling AI model. You are provided "
	    "with function signatures within <tools></tools> XML tags. Yo"
	    "u may call one or more functions to assist with the user que"
	    "ry. Don't make assumptions about what values to plug into fu"
	    "nctions. Here are the available tools: <tools> \" }}\n"
	    "{%- for tool in tools %}\n"
	    "    {%- if tool.function is defined %}\n"
	    "        {%- set tool = tool.function %}\n"
	    "    {%- endif %}\n"
	    "    {{- '{\"type\": \"function\", \"function\": ' }}\n"
	    "    {{- '{\"name\": \"' + tool.name + '\", ' }}\n"
	    "    {{- '\"description\": \"' + tool.name + '(' }}\n"
	    "    {%- for param_name, param_fields in tool.parameters.prop"
	    "erties|items %}\n"
	    "        {{- param_name + \": \" + json_to_python_type(param_"
	    "fields) }}\n"
	    "        {%- if not loop.last %}\n"
	    "            {{- \", \" }}\n"
	    "        {%- endif %}\n"
	    "    {%- endfor %}\n"
	    "    {{- \")\" }}\n"
	    "    {%- if tool.return is defined %}\n"
	    "        {{- \" -> \" + json_to_python_type(tool.return) }}\n"
	    "    {%- endif %}\n"
	    "    {{- \" - \" + tool.description + \"\\n\\n\" }}\n"
	    "    {%- for param_name, param_fields in tool.parameters.prop"
	    "erties|items %}\n"
	    "        {%- if loop.first %}\n"
	    "            {{- \"    Args:\\n\" }}\n"
	    "        {%- endif %}\n"
	    "        {{- \"        \" + param_name + \"(\" + json_to_pyth"
	    "on_type(param_fields) + \"): \" + param_fields.description|t"
	    "rim }}\n"
	    "    {%- endfor %}\n"
	    "    {%- if tool.return is defined and tool.return.descriptio"
	    "n is defined %}\n"
	    "        {{- \"\\n    Returns:\\n        \" + tool.return.des"
	    "cription }}\n"
	    "    {%- endif %}\n"
	    "    {{- '\"' }}\n"
	    "    {{- ', \"parameters\": ' }}\n"
	    "    {%- if tool.parameters.properties | length == 0 %}\n"
	    "        {{- \"{}\" }}\n"
	    "    {%- else %}\n"
	    "        {{- tool.parameters|tojson }}\n"
	    "    {%- endif %}\n"
	    "    {{- \"}\" }}\n"
	    "    {%- if not loop.last %}\n"
	    "        {{- \"\\n\" }}\n"
	    "    {%- endif %}\n"
	    "{%- endfor %}\n"
	    "{{- \" </tools>\" }}\n"
	    "{{- 'Use the following pydantic model json schema for each t"
	    "ool call you will make: {\"properties\": {\"name\": {\"title"
	    "\": \"Name\", \"type\": \"string\"}, \"arguments\": {\"title"
	    "\": \"Arguments\", \"type\": \"object\"}}, \"required\": [\""
	    "name\", \"arguments\"], \"title\": \"FunctionCall\", \"type\""
	    ": \"object\"}}\\n' }}\n"
	    "{{- \"For each function call return a json object with funct"
	    "ion name and arguments within <tool_call></tool_call> XML ta"
	    "gs as follows:\\n\" }}\n"
	    "{{- \"<tool_call>\\n\" }}\n"
	    "{{- '{\"name\": <function-name>, \"arguments\": <args-dict>}"
	    "\\n' }}\n"
	    "{{- '</tool_call><|im_end|>\\n' }}\n"
	    "{%- for message in messages %}\n"
	    "    {%- if message.role == \"user\" or message.role == \"sys"
	    "tem\" or (message.role == \"assistant\" and message.tool_cal"
	    "ls is not defined) %}\n"
	    "        {{- '<|im_start|>' + message.role + '\\n' + message."
	    "content + '<|im_end|>' + '\\n' }}\n"
	    "    {%- elif message.role == \"assistant\" %}\n"
	    "        {{- '<|im_start|>' + message.role }}\n"
	    "    {%- for tool_call in message.tool_calls %}\n"
	    "       {{- '\\n<tool_call>\\n' }}           {%- if tool_call"
	    ".function is defined %}\n"
	    "                {%- set tool_call = tool_call.function %}\n"
	    "            {%- endif %}\n"
	    "            {{- '{' }}\n"
	    "            {{- '\"name\": \"' }}\n"
	    "            {{- tool_call.name }}\n"
	    "            {{- '\"' }}\n"
	    "            {{- ', '}}\n"
	    "            {%- if tool_call.arguments is defined %}\n"
	    "                {{- '\"arguments\": ' }}\n"
	    "                {%- if tool_call.arguments is string %}\n"
	    "                    {{- tool_call.arguments }}\n"
	    "                {%- else %}\n"
	    "                    {{- tool_call.arguments|tojson }}\n"
	    "                {%- endif %}\n"
	    "            {%- endif %}\n"
	    "             {{- '}' }}\n"
	    "            {{- '\\n</tool_call>' }}\n"
	    "    {%- endfor %}\n"
	    "        {{- '<|im_end|>\\n' }}\n"
	    "    {%- elif message.role == \"tool\" %}\n"
	    "        {%- if loop.previtem and loop.previtem.role != \"too"
	    "l\" %}\n"
	    "            {{- '<|im_start|>tool\\n' }}\n"
	    "        {%- endif %}\n"
	    "        {{- '<tool_response>\\n' }}\n"
	    "        {{- message.content }}\n"
	    "        {%- if not loop.last %}\n"
	    "            {{- '\\n</tool_response>\\n' }}\n"
	    "        {%- else %}\n"
	    "            {{- '\\n</tool_response>' }}\n"
	    "        {%- endif %}\n"
	    "        {%- if not loop.last and loop.nextitem.role != \"too"
	    "l\" %}\n"
	    "            {{- '<|im_end|>' }}\n"
	    "        {%- elif loop.last %}\n"
	    "            {{- '<|im_end|>' }}\n"
	    "        {%- endif %}\n"
	    "    {%- endif %}\n"
	    "{%- endfor %}\n"
	    "{%- if add_generation_prompt %}\n"
	    "    {{- '<|im_start|>assistant\\n' }}\n"
	    "{%- endif %}\n",
	/* macros and call blocks given data, literals and loop variables */
	"{% macro g(o, k) %}{{ o[k] }}{% endmacro %}{{ g(messages[0], 'role') }}"
	"{{ g(m, 3) }}{% for x in keys %}{{ g(m, x) }}{% endfor %}"
	"{{ g(m, k=y.z) }}{{ g(m|items, 'a') }}{{ g(m ~ 'x', 'a') }}"
	"{% set u = 'x' %}{{ g(m, u) }}{% set t = tool.function %}{{ g(m, t) }}"
	"{% macro h() %}{{ caller('role') }}{% endmacro %}"
	"{% call(k) h() %}{{ m[k] }}{% endcall %}",
	/* escapes no name needs: control characters, a backslash, non-ASCII */
	"{{ '\\n\\t\\r\\\\x41\\\\N{x}\\u00e9\\x0a\\0\\12\\u2028' }}",
	/* constructs real templates use */
	"{%- set ns = namespace(found=false) -%}{%- set ns.found = true -%}"
	"{{ ns.found }}{{ namespace(x=1) }}{{ messages[-1] }}{{ x[1:] }}"
	"{{ x[::-1] }}{{ name | replace('_', ' ') }}{{ strftime_now('%c') }}"
	"{{ messages[(messages|length) - 1] }}{{ x[i] }}{{ range(3)|list }}"
	"{{ dict(a=1)|tojson }}{{ '___' }}{% raw %}{{ x['_' ~ '_'] }}"
	"{% endraw %}{# x._y #}",
};

START_TEST(hole08_template_join_dunder)
{
	const char *what;
	size_t i, at;

	for (i = 0; i < sizeof(hostile_templates) / sizeof(hostile_templates[0]);
	    i++) {
		const char *t = hostile_templates[i];

		ck_assert_msg(mg_template_suspicious(t, strlen(t), &what, &at),
		    "hostile template %zu not flagged: %s", i, t);
		ck_assert_ptr_nonnull(what);
		ck_assert_uint_lt(at, strlen(t));
	}
}
END_TEST

START_TEST(hole08_template_real_templates_stay_clean)
{
	const char *what;
	size_t i, at;

	for (i = 0; i < sizeof(real_templates) / sizeof(real_templates[0]);
	    i++) {
		const char *t = real_templates[i];

		ck_assert_msg(!mg_template_suspicious(t, strlen(t), &what, &at),
		    "real template %zu flagged: %s at %zu (%.40s)", i, what,
		    at, t + at);
	}
}
END_TEST

/*
 * A template seen clean before is not analysed again, but only when every
 * byte is the same: one byte changed, at equal length, is analysed.
 */
START_TEST(tpl_seen_clean_needs_every_byte)
{
	char clean[] = "{% for m in messages %}{{ m.content }}{% endfor %}";
	char evil[] = "{% for m in messages %}{{ m.__class__ }}{% endfor %}";
	char same[sizeof(clean)];
	const char *what;
	size_t at;
	int k;

	for (k = 0; k < 2; k++)
		ck_assert(!mg_template_suspicious(clean, strlen(clean), &what,
		    &at));
	ck_assert_ptr_null(what);
	/* Same length as clean, differing in a few bytes. */
	memcpy(same, clean, sizeof(clean));
	memcpy(strstr(same, "content"), "__dict_", 7);
	ck_assert_uint_eq(strlen(same), strlen(clean));
	ck_assert(mg_template_suspicious(same, strlen(same), &what, &at));
	ck_assert(mg_template_suspicious(evil, strlen(evil), &what, &at));
	ck_assert(!mg_template_suspicious(clean, strlen(clean), &what, &at));
	ck_assert(mg_template_suspicious(evil, strlen(evil), &what, &at));
	ck_assert_ptr_nonnull(what);
}
END_TEST

/* Deep nesting is a finding; megabytes of tokens take linear time. */
START_TEST(hole08_template_bounded_and_linear)
{
	size_t n = 4u << 20, i;
	char *t = malloc(n + 1);
	const char *what;
	size_t at;

	ck_assert_ptr_nonnull(t);
	memcpy(t, "{{ ", 3);
	for (i = 3; i < 3 + 100; i++)
		t[i] = '(';
	memcpy(t + i, " }}", 4);
	ck_assert(mg_template_suspicious(t, strlen(t), &what, &at));
	ck_assert_ptr_nonnull(strstr(what, "nested"));
	/* A long clean expression and a long unterminated string. */
	memcpy(t, "{{ ", 3);
	for (i = 3; i + 16 < n; i += 8)
		memcpy(t + i, "x[1] ~ ", 7), t[i + 7] = ' ';
	memcpy(t + i, "y }}{{ '", 8);
	i += 8;
	memset(t + i, 'a', n - i);
	t[n] = '\0';
	ck_assert(!mg_template_suspicious(t, n, &what, &at));
	free(t);
}
END_TEST

/* ---- reports that carry metadata: JUnit and the Hugging Face card ---- */

#define CMD	"\n::error::X ##[error]Y"

/* A stream that writes a document into memory. */
static void
mem_doc(FILE **m, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	*m = open_memstream(buf, len);
	ck_assert_ptr_nonnull(*m);
}

START_TEST(junit_defuses_workflow_commands)
{
	struct mg_artifact *a = calloc(1, sizeof(*a));
	struct mg_gate_artifact ga;
	struct mg_gate_finding gf[2];
	struct mg_gate g;
	struct mg_gate_info info;
	char *doc, *dir, file[512];
	size_t len;
	FILE *m;

	ck_assert_ptr_nonnull(a);
	mg_artifact_init(a);
	ck_assert_int_eq(mg_artifact_setz(&a->path, "m/a" CMD ".gguf"), MG_OK);
	a->format = &mg_fmt_gguf;
	ck_assert_int_eq(mg_artifact_add(a, MG_R_GGUF_KEY, 8, "general.k" CMD,
	    "key general.k" CMD " \xef\xbf\xbe"), MG_OK);
	ck_assert_int_eq(mg_artifact_add(a, MG_R_POLICY_LICENSE,
	    MG_FINDING_NO_OFFSET, NULL, "licence MIT" CMD), MG_OK);
	memset(gf, 0, sizeof(gf));
	gf[0].f = &a->findings[0];
	gf[0].severity = MG_SEV_HIGH;
	gf[0].state = MG_FS_ACTIVE;
	gf[0].counts = 1;
	gf[1].f = &a->findings[1];
	gf[1].severity = MG_SEV_HIGH;
	gf[1].state = MG_FS_SUPPRESSED;
	gf[1].reason = "accepted" CMD;
	memset(&ga, 0, sizeof(ga));
	ga.a = a;
	ga.verdict = MG_V_FAIL;
	ga.fail_on = MG_SEV_HIGH;
	ga.findings = gf;
	ga.nfindings = 2;
	memset(&g, 0, sizeof(g));
	g.arts = &ga;
	g.n = 1;
	g.verdict = MG_RV_FAIL;
	g.exit_code = MG_EXIT_FAIL;
	memset(&info, 0, sizeof(info));
	info.tool_name = "modelgate";
	info.tool_version = "0.1.0";
	info.generated_at = "2024-01-02T03:04:05Z";
	info.policy_source = "policy" CMD ".json";
	info.fail_on = MG_SEV_HIGH;

	mem_doc(&m, &doc, &len);
	ck_assert_int_eq(mg_report_junit(m, &g, &info), MG_OK);
	ck_assert_int_eq(fclose(m), 0);
	ck_assert_msg(!has_workflow_command(doc), "%s", doc);
	/* Exact, in the text escape's form: attribute, body, key, reason. */
	ck_assert_ptr_nonnull(strstr(doc, "classname=\"m/a\\x0a:\\x3aerror:\\x3aX "
	    "#\\x23[error]Y.gguf\""));
	ck_assert_ptr_nonnull(strstr(doc, "<failure message=\"key general.k"
	    "\\x0a:\\x3aerror:\\x3aX #\\x23[error]Y \\u{fffe}\""));
	ck_assert_ptr_nonnull(strstr(doc, "(key general.k\\x0a:\\x3aerror:"
	    "\\x3aX #\\x23[error]Y)"));
	ck_assert_ptr_nonnull(strstr(doc, "suppressed: accepted\\x0a:\\x3aerror"
	    ":\\x3aX #\\x23[error]Y"));
	ck_assert_ptr_null(strstr(doc, "\xef\xbf\xbe"));
	dir = tu_tmpdir();
	snprintf(file, sizeof(file), "%s/hostile.junit.xml", dir);
	tu_write_bytes(dir, "hostile.junit.xml", doc, len);
	tu_junit_xsd_ok(file);
	tu_rmrf(dir);
	free(dir);
	free(doc);
	mg_artifact_free(a);
	free(a);
}
END_TEST

START_TEST(hfreadme_defuses_workflow_commands)
{
	struct mg_artifact a;
	struct mg_artifact *arts[1] = { &a };
	struct mg_bom_info info;
	cJSON *tags, *langs;
	char *doc;
	size_t len;
	FILE *m;

	mg_artifact_init(&a);
	ck_assert_int_eq(mg_artifact_setz(&a.path, "/m/x" CMD ".gguf"), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a.abspath, "/m/x" CMD ".gguf"),
	    MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a.filename, "x" CMD ".gguf"), MG_OK);
	a.format = &mg_fmt_gguf;
	ck_assert_int_eq(mg_artifact_setz(&a.architecture, "llama" CMD), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a.quantization, "Q8_0" CMD), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a.license, "::error::L ##[error]"),
	    MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a.base_model, "org/b" CMD), MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a.training_framework, "t" CMD),
	    MG_OK);
	a.metadata = cJSON_CreateObject();
	ck_assert_ptr_nonnull(a.metadata);
	cJSON_AddStringToObject(a.metadata, "general.name",
	    "::error::T ##[error]" CMD);
	cJSON_AddStringToObject(a.metadata, "general.size_label", "1B" CMD);
	cJSON_AddStringToObject(a.metadata, "general.license.link",
	    "::warning::K ###[x");
	tags = cJSON_AddArrayToObject(a.metadata, "general.tags");
	cJSON_AddItemToArray(tags, cJSON_CreateString("::error::G ##[x]"));
	langs = cJSON_AddArrayToObject(a.metadata, "general.languages");
	cJSON_AddItemToArray(langs, cJSON_CreateString("::en ##[x]"));
	ck_assert_int_eq(mg_artifact_add(&a, MG_R_IO_READ, MG_FINDING_NO_OFFSET,
	    NULL, "::error::W ##[error]" CMD), MG_OK);
	memset(&info, 0, sizeof(info));
	info.hf_app_port = -1;

	mem_doc(&m, &doc, &len);
	ck_assert_int_eq(mg_report_hfreadme(m, arts, 1, &info), MG_OK);
	ck_assert_int_eq(fclose(m), 0);
	ck_assert_msg(!has_workflow_command(doc), "%s", doc);
	/* YAML escapes read back as the text; Markdown escapes render it. */
	ck_assert_ptr_nonnull(strstr(doc, "title: \":\\x3aerror:\\x3aT #\\x23["
	    "error]\\n:\\x3aerror:\\x3aX #\\x23[error]Y\"\n"));
	ck_assert_ptr_nonnull(strstr(doc, "  - \":\\x3aerror:\\x3ag-#\\x23[x]\"\n"));
	ck_assert_ptr_nonnull(strstr(doc, "\n# :\\:error:\\:T #\\#\\[error\\]"));
	ck_assert_ptr_nonnull(strstr(doc, "| License | `:\\x3aerror:\\x3aL "
	    "#\\x23[error]` |\n"));
	ck_assert_ptr_nonnull(strstr(doc, "| License reference | `:\\x3awarning"
	    ":\\x3aK ##\\x23[x` |\n"));
	ck_assert_ptr_nonnull(strstr(doc, "\n- :\\:error:\\:W "));
	free(doc);
	mg_artifact_free(&a);
}
END_TEST

/* CycloneDX: a file name or metadata with "##[" reads back, never raw. */
START_TEST(cyclonedx_defuses_workflow_commands)
{
	struct mg_artifact a, *arts[1] = { &a };
	struct mg_bom_info info;
	char *doc;
	size_t len;
	FILE *m;
	cJSON *j;

	mg_artifact_init(&a);
	ck_assert_int_eq(mg_artifact_setz(&a.path, "/m/n##[error]x.gguf"),
	    MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a.abspath, "/m/n##[error]x.gguf"),
	    MG_OK);
	ck_assert_int_eq(mg_artifact_setz(&a.filename, "n##[error]x.gguf"),
	    MG_OK);
	a.format = &mg_fmt_gguf;
	ck_assert_int_eq(mg_artifact_setz(&a.architecture, "llama##[x]"),
	    MG_OK);
	a.metadata = cJSON_CreateObject();
	ck_assert_ptr_nonnull(a.metadata);
	cJSON_AddStringToObject(a.metadata, "general.name", "T ##[error]");
	memset(&info, 0, sizeof(info));
	info.hf_app_port = -1;
	info.generated_at = "1970-01-01T00:00:00+00:00";
	info.tool_name = "modelgate";
	info.tool_version = "0";

	mem_doc(&m, &doc, &len);
	ck_assert_int_eq(mg_report_cyclonedx(m, arts, 1, &info), MG_OK);
	ck_assert_int_eq(fclose(m), 0);
	ck_assert_msg(strstr(doc, "##[") == NULL, "%s", doc);
	ck_assert_ptr_nonnull(strstr(doc, "#\\u0023["));
	ck_assert_ptr_nonnull(j = cJSON_Parse(doc));
	cJSON_Delete(j);
	free(doc);
	mg_artifact_free(&a);
}
END_TEST

Suite *
escape_suite(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("escape");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hole10_escape_defuses_workflow_commands);
	tcase_add_test(tc, hole10_escape_never_emits_commands);
	tcase_add_test(tc, hole10_json_defuses_legacy_commands);
	tcase_add_test(tc, hole15_text_escape_injective);
	tcase_add_test(tc, hole15_json_bytes_injective);
	tcase_add_test(tc, hole08_template_join_dunder);
	tcase_add_test(tc, hole08_template_real_templates_stay_clean);
	tcase_add_test(tc, hole08_template_bounded_and_linear);
	tcase_add_test(tc, tpl_seen_clean_needs_every_byte);
	tcase_add_test(tc, tpl_escaped_name_chars);
	tcase_add_test(tc, tpl_macro_param_keys);
	tcase_add_test(tc, junit_defuses_workflow_commands);
	tcase_add_test(tc, hfreadme_defuses_workflow_commands);
	tcase_add_test(tc, cyclonedx_defuses_workflow_commands);
	suite_add_tcase(s, tc);
	return s;
}
