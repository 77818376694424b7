#!/bin/sh
# ci/bench-serve.sh BIN SERVEBENCH DIR - latency of `modelgate serve`
# (`make bench`, after ci/bench.sh has written its corpus in DIR).
#
# fixtures/servebench.c sends `bom` requests on the small GGUF and
# safetensors files of DIR/small, one in flight, over raw pipes with
# preallocated buffers: first paced at MG_SERVE_BENCH_RATE (default 50)
# requests/s, then back to back (saturation), each beside the floor of
# the same client through `cat`.  MG_SERVE_BENCH_N (default 3000 paced,
# 20000 at saturation; the full run is MG_SERVE_BENCH_N=100000) sets the
# number of requests.  When an l-bom checkout is found (LBOM_DIR, or a
# fetched copy), ci/lbom-latency.py measures l-bom's document builder in
# one long-lived Python process over the same files at the same pace.
# Targets (reported, never fatal): p99/p50 <= 1.5 when paced; the
# server's p99, pipe included, at most 1/3 of l-bom's in-process p99;
# RSS growth under 1 MiB over the run.
set -u

if [ $# -ne 3 ]; then
	echo "usage: ci/bench-serve.sh BIN SERVEBENCH DIR" >&2
	exit 2
fi
BIN=$1
SB=$2
DIR=$3/small
RATE=${MG_SERVE_BENCH_RATE:-50}

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
LBOM=${LBOM_DIR:-}
if [ -z "$LBOM" ]; then
	for d in /work/.mirror/*l-bom*/repo /tmp/*l-bom* /tmp/lbom /tmp/l-bom*/*; do
		[ -d "$d/llm_sbom" ] && { LBOM=$d; break; }
	done
fi
HERE=$(dirname "$0")
OUT=$(mktemp) || exit 1
trap 'rm -f "$OUT"' EXIT

# p99 in ms from a line servebench or lbom-latency.py printed.
p99() {
	sed -n 's/.* p99 \([0-9.]*\) ms.*/\1/p' "$OUT" | head -n 1
}

# One pace: the server and its echo floor, then l-bom in-process.
pace() {
	n=$1 rate=$2 what=$3
	"$SB" "$BIN" "$DIR" "$n" "$rate" >"$OUT" || exit 1
	cat "$OUT"
	MG=$(p99)
	if [ -n "$LBOM" ] && [ -d "$LBOM/llm_sbom" ] &&
	    PYTHONPATH=$LBOM "$PY" -c 'import llm_sbom.cli' 2>/dev/null; then
		PYTHONPATH=$LBOM "$PY" "$HERE/lbom-latency.py" "$DIR" "$n" \
		    "$rate" >"$OUT" || exit 1
		cat "$OUT"
		LB=$(p99)
		echo "$what: serve p99 / l-bom in-process p99 = $(awk \
		    "BEGIN { printf \"%.2f\", $MG / $LB }") (target <= 0.33)"
	else
		echo "$what: l-bom not found (set LBOM_DIR); no comparison"
	fi
}

echo
echo "-- serve latency (bom over $DIR, one request in flight, --jobs 1) --"
pace "${MG_SERVE_BENCH_N:-3000}" "$RATE" "paced"
pace "${MG_SERVE_BENCH_N:-20000}" 0 "saturation"
