#!/bin/sh
# lbom-golden.sh - regenerate tests/golden/lbom/*.json from l-bom.
#
# A maintainer tool, not run by the tests.  Scans each fixture listed in
# tests/golden/lbom/MANIFEST with l-bom and stores its JSON, minus the
# fields that differ between runs or machines (generated_at, tool_name,
# tool_version, model_path).  tests/test_parity.c compares modelgate bom
# against these files.
#
#   make fixtures
#   LBOM_DIR=/path/to/l-bom sh ci/lbom-golden.sh
#
# LBOM_DIR  an l-bom checkout (the directory holding llm_sbom/); required
# PYTHON    an interpreter with l-bom's dependencies (click, rich,
#           dataclasses-json); default python3
# FIXTURES  the fixture root; default build/fixtures
set -eu

: "${LBOM_DIR:?set LBOM_DIR to an l-bom checkout}"
root=$(cd "$(dirname "$0")/.." && pwd)
fix=${FIXTURES:-$root/build/fixtures}
py=${PYTHON:-python3}
gold=$root/tests/golden/lbom
manifest=$gold/MANIFEST

if [ ! -d "$fix/parity" ]; then
	echo "lbom-golden: $fix/parity is missing; run make fixtures" >&2
	exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

grep -v '^#' "$manifest" | while read -r name rel; do
	[ -n "$name" ] || continue
	if [ ! -f "$fix/$rel" ]; then
		echo "lbom-golden: $fix/$rel is missing" >&2
		exit 2
	fi
	PYTHONPATH=$LBOM_DIR "$py" -m llm_sbom.cli scan "$fix/$rel" \
	    --format json --output "$tmp/raw.json"
	"$py" - "$tmp/raw.json" "$tmp/$name.json" <<'EOF'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    d = json.load(f)
for k in ("generated_at", "tool_name", "tool_version", "model_path"):
    d.pop(k, None)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write(json.dumps(d, indent=2, ensure_ascii=False, allow_nan=False))
    f.write("\n")
EOF
	mv "$tmp/$name.json" "$gold/$name.json"
	echo "  $name"
done
echo "lbom-golden: wrote $(grep -vc '^#' "$manifest") files to $gold"
