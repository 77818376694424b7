#!/bin/sh
# Install the pinned MCP TypeScript SDK (tests/mcp/package.json) into DIR
# for tests/test_serve.c.  It needs the npm registry once; after that the
# copy under DIR is reused.  When node or npm is absent, or the registry
# cannot be reached and nothing usable is installed, it writes DIR/SKIPPED
# with the reason instead (the test prints it and passes), never failing.
#   sh tests/mcp/install-client.sh DIR
set -u
dir=$1
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$dir"
rm -f "$dir/SKIPPED"
for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool is not installed (ci/install-deps.sh installs nodejs and npm)" \
		    >"$dir/SKIPPED"
		exit 0
	fi
done
if cmp -s "$here/package.json" "$dir/package.json" &&
    [ -f "$dir/node_modules/@modelcontextprotocol/sdk/package.json" ]; then
	exit 0
fi
cp "$here/package.json" "$dir/package.json"
if ! npm install --prefix "$dir" --no-audit --no-fund --loglevel=error \
    --fetch-retries=1 --fetch-timeout=30000 >"$dir/npm.log" 2>&1; then
	# Try again next time rather than trust a half-made tree.
	rm -f "$dir/package.json"
	echo "npm could not install @modelcontextprotocol/sdk (no registry?): $(tail -n 1 "$dir/npm.log")" \
	    >"$dir/SKIPPED"
fi
exit 0
