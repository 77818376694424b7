// Drive `modelgate serve` with the official MCP TypeScript SDK client
// (Client + StdioClientTransport): initialize, list the tools, call each
// on clean and hostile fixtures with the structured results checked
// against the declared output schemas, a refused path, a bad argument,
// a cancelled request, and a clean shutdown.  Exits non-zero on failure.
//   node sdk_client.mjs CLIENT_DIR MODELGATE_BIN FIXTURES_DIR
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, copyFileSync, rmSync, openSync,
	ftruncateSync, closeSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const [clientDir, bin, fixtures] = process.argv.slice(2);
const require = createRequire(join(resolve(clientDir), "package.json"));
const { Client } = require("@modelcontextprotocol/sdk/client/index.js");
const { StdioClientTransport } =
	require("@modelcontextprotocol/sdk/client/stdio.js");
const Ajv = require("ajv");

const env = { SOURCE_DATE_EPOCH: "1700000000", PATH: process.env.PATH };

async function connect(args) {
	const transport = new StdioClientTransport({
		command: bin, args: ["serve", ...args], env, stderr: "inherit" });
	const client = new Client({ name: "modelgate-test", version: "1.0.0" });
	const errors = [];
	client.onerror = (e) => errors.push(String(e));
	await client.connect(transport);
	return { client, errors };
}

const ajv = new Ajv({ strict: false, allErrors: true });
const schemas = {};

// The SDK validates structuredContent itself once listTools has cached
// the schemas; check again here so that a silent skip would show.
async function call(client, name, args, opts) {
	const r = await client.callTool({ name, arguments: args }, undefined,
	    opts);
	assert.ok(Array.isArray(r.content) && r.content[0].type === "text",
	    `${name}: a text block`);
	if (!r.isError) {
		assert.ok(r.structuredContent, `${name}: structuredContent`);
		const ok = schemas[name](r.structuredContent);
		assert.ok(ok, `${name}: ${ajv.errorsText(schemas[name].errors)}`);
	}
	return r;
}

const tmp = mkdtempSync(join(tmpdir(), "mg-sdk-"));
try {
	// ---- one server on the fixtures ----------------------------------
	let { client, errors } = await connect(["--root", fixtures, "--jobs", "2"]);
	assert.equal(client.getServerVersion().name, "modelgate");
	assert.ok(client.getServerCapabilities().tools, "tools capability");
	await client.ping();

	const { tools } = await client.listTools();
	assert.deepEqual(tools.map((t) => t.name).sort(),
	    ["bom", "scan", "verify"]);
	for (const t of tools) {
		assert.equal(t.inputSchema.type, "object");
		assert.equal(t.inputSchema.additionalProperties, false,
		    `${t.name}: exact input schema`);
		assert.equal(t.outputSchema.type, "object");
		schemas[t.name] = ajv.compile(t.outputSchema);
	}

	// scan: clean and hostile
	let r = await call(client, "scan",
	    { paths: ["gguf/valid/llama-q8_0.gguf"] });
	assert.equal(r.structuredContent.verdict, "pass");
	assert.equal(r.structuredContent.exit_code, 0);
	r = await call(client, "scan", { paths: ["gguf/hostile"] });
	assert.equal(r.structuredContent.verdict, "fail");
	assert.equal(r.structuredContent.exit_code, 1);
	assert.ok(r.structuredContent.findings.length > 0);
	r = await call(client, "scan",
	    { paths: ["safetensors/hostile", "safetensors/valid"],
	      fail_on: "critical" });
	assert.equal(r.structuredContent.fail_on, "critical");

	// bom: clean and hostile
	r = await call(client, "bom",
	    { path: "safetensors/valid", hash: false });
	assert.ok(r.structuredContent.documents.length > 1);
	for (const d of r.structuredContent.documents)
		assert.equal(d.format, "safetensors");
	assert.deepEqual(JSON.parse(r.content[0].text),
	    r.structuredContent.documents);
	r = await call(client, "bom", { path: "gguf/hostile/ansi-name.gguf" });
	assert.equal(r.structuredContent.documents.length, 1);

	// verify: no lock on this server is a tool error
	r = await call(client, "verify", { paths: ["gguf/valid"] });
	assert.equal(r.isError, true);

	// refused: outside the root, and through ..
	for (const p of ["/etc/shadow", "../../../../../../etc/passwd"]) {
		r = await call(client, "scan", { paths: [p] });
		assert.equal(r.isError, true, `${p} refused`);
		assert.match(r.content[0].text, /refused|No such file/);
	}
	// an unknown argument (2025-11-25: a tool error)
	r = await call(client, "scan", { paths: ["gguf"], shell: "rm -rf /" });
	assert.equal(r.isError, true);
	assert.match(r.content[0].text, /unknown argument/);
	assert.deepEqual(errors, []);
	await client.close();

	// ---- a server with a lock, a large file and one worker -----------
	const models = join(tmp, "models");
	mkdirSync(models);
	copyFileSync(join(fixtures, "gguf/valid/llama-q8_0.gguf"),
	    join(models, "a.gguf"));
	copyFileSync(join(fixtures, "safetensors/valid/")
	    + execFileSync("ls", [join(fixtures, "safetensors/valid")])
		.toString().split("\n")[0], join(models, "b.safetensors"));
	execFileSync(bin, ["lock", "-o", "modelgate.lock", "models"],
	    { cwd: tmp, env, stdio: ["ignore", "ignore", "inherit"] });
	const big = join(tmp, "slow", "big.safetensors");
	mkdirSync(join(tmp, "slow"));
	const fd = openSync(big, "w");
	ftruncateSync(fd, 512 * 1024 * 1024);
	closeSync(fd);

	const transport = new StdioClientTransport({ command: bin, cwd: tmp,
	    args: ["serve", "--root", "models", "--root", "slow", "--lock",
		"modelgate.lock", "--jobs", "1"], env, stderr: "inherit" });
	client = new Client({ name: "modelgate-test", version: "1.0.0" });
	errors = [];
	client.onerror = (e) => errors.push(String(e));
	await client.connect(transport);
	await client.listTools();
	r = await call(client, "verify", { paths: ["."] });
	assert.equal(r.structuredContent.verified, true);
	assert.equal(r.structuredContent.files.length, 2);
	r = await call(client, "scan", { paths: ["a.gguf"] });
	assert.equal(r.structuredContent.verdict, "pass");

	// cancelled: abort a call in flight; the client sends
	// notifications/cancelled and the server must not answer it.
	const ac = new AbortController();
	const pending = call(client, "bom", { path: big }, { signal: ac.signal });
	setTimeout(() => ac.abort("test cancels"), 100);
	await assert.rejects(pending);
	r = await call(client, "scan", { paths: ["a.gguf"] });
	assert.equal(r.structuredContent.verdict, "pass");
	await client.ping();
	// A late answer to the cancelled id would reach onerror.
	await new Promise((res) => setTimeout(res, 300));
	assert.deepEqual(errors, []);
	await client.close();
	console.error("sdk_client: all checks passed");
} finally {
	rmSync(tmp, { recursive: true, force: true });
}
