#!/bin/sh
# Install the pinned @huggingface/gguf into PREFIX and write its fixtures
# into OUT.  Only when node or npm is absent does it write OUT/SKIPPED with
# the reason instead (the tests print it); any other failure fails.
#   sh tests/npm/make-fixtures.sh PREFIX OUT
set -eu
prefix=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)

rm -rf "$out"
mkdir -p "$out"
for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool is not installed (ci/install-deps.sh installs nodejs and npm)" \
		    >"$out/SKIPPED"
		exit 0
	fi
done
mkdir -p "$prefix"
if ! cmp -s "$here/package.json" "$prefix/package.json" ||
    [ ! -d "$prefix/node_modules/@huggingface/gguf" ]; then
	cp "$here/package.json" "$prefix/package.json"
	npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error \
	    >/dev/null
fi
node "$here/write_fixtures.mjs" "$prefix" "$out"
