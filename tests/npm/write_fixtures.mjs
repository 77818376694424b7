// Write GGUF fixtures with @huggingface/gguf's serializeGgufMetadata, the
// writer behind the Hub's in-browser metadata editor.  Usage:
//   node write_fixtures.mjs MODULE_DIR OUT_DIR
// MODULE_DIR is the npm prefix the pinned package was installed into.
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const [moduleDir, outDir] = process.argv.slice(2);
const require = createRequire(join(resolve(moduleDir), "package.json"));
const { serializeGgufMetadata, GGUFValueType: T } = require("@huggingface/gguf");

mkdirSync(outDir, { recursive: true });

// A vocabulary-only file: no tensors, the header padded to 32 bytes.
const tokens = ["<unk>", "<s>", "</s>", "a", "b", "c", "hello", "world"];
const vocab = {
	version: { value: 3, type: T.UINT32 },
	tensor_count: { value: 0n, type: T.UINT64 },
	kv_count: { value: 8n, type: T.UINT64 },
	"general.architecture": { value: "llama", type: T.STRING },
	"general.name": { value: "vocab-only", type: T.STRING },
	"tokenizer.ggml.model": { value: "llama", type: T.STRING },
	"tokenizer.ggml.tokens": { value: tokens, type: T.ARRAY, subType: T.STRING },
	"tokenizer.ggml.scores": {
		value: tokens.map((_, i) => -i), type: T.ARRAY, subType: T.FLOAT32 },
	"tokenizer.ggml.token_type": {
		value: tokens.map((_, i) => (i < 3 ? 3 : 1)), type: T.ARRAY,
		subType: T.INT32 },
	"tokenizer.ggml.bos_token_id": { value: 1, type: T.UINT32 },
	"tokenizer.ggml.eos_token_id": { value: 2, type: T.UINT32 },
};
writeFileSync(join(outDir, "vocab-only.gguf"), serializeGgufMetadata(vocab));

// Metadata only, with a 64-byte alignment.
const meta = {
	version: { value: 3, type: T.UINT32 },
	tensor_count: { value: 0n, type: T.UINT64 },
	kv_count: { value: 3n, type: T.UINT64 },
	"general.architecture": { value: "llama", type: T.STRING },
	"general.alignment": { value: 64, type: T.UINT32 },
	"llama.context_length": { value: 4096, type: T.UINT32 },
};
writeFileSync(join(outDir, "metadata-align64.gguf"),
    serializeGgufMetadata(meta, { alignment: 64 }));
