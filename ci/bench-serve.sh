#!/bin/sh
# ci/bench-serve.sh BIN SERVEBENCH DIR - latency of `modelgate serve`
# (`make bench`, after ci/bench.sh has written its corpus in DIR).
#
# fixtures/servebench.c sends `bom` requests on the small GGUF and
# safetensors files of DIR/small, one in flight, over raw pipes with
# preallocated buffers: first paced at MG_SERVE_BENCH_RATE (default 50)
# requests/s, then back to back (saturation), each beside the floor of
# the same client through `cat`.  MG_SERVE_BENCH_N (default 3000 paced,
# 20000 at saturation; the full run is MG_SERVE_BENCH_N=100000, about 37
# minutes paced) sets the number of requests; the echo floor takes 10,000
# at most.  With an l-bom checkout named by LBOM_DIR (the
# directory holding llm_sbom/), ci/lbom-latency.py measures l-bom's document builder in
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
# Only a checkout the caller names is put on PYTHONPATH.
LBOM=${LBOM_DIR:-}
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
	if ! "$SB" "$BIN" "$DIR" "$n" "$rate" >"$OUT"; then
		cat "$OUT"
		exit 1
	fi
	cat "$OUT"
	MG=$(p99)
	if [ -z "$LBOM" ] || [ ! -d "$LBOM/llm_sbom" ]; then
		echo "$what: no l-bom checkout (set LBOM_DIR); no comparison"
		return 0
	fi
	# The comparison is optional: an l-bom that fails is reported.
	if ! PYTHONPATH=$LBOM "$PY" "$HERE/lbom-latency.py" "$DIR" "$n" \
	    "$rate" >"$OUT" 2>&1; then
		sed 's/^/  l-bom: /' "$OUT" | tail -n 5
		echo "$what: l-bom did not run; no comparison"
		return 0
	fi
	cat "$OUT"
	LB=$(p99)
	case "$MG$LB" in
	*[!0-9.]* | "")
		echo "$what: no p99 to compare" ;;
	*)
		awk -v mg="$MG" -v lb="$LB" -v what="$what" 'BEGIN {
		    if (lb > 0) printf "%s: serve p99 / l-bom in-process p99 = %.2f (target <= 0.33)\n", what, mg / lb
		    else printf "%s: l-bom p99 is 0; no comparison\n", what }' ;;
	esac
}

echo
echo "-- serve latency (bom over $DIR, one request in flight, --jobs 1) --"
pace "${MG_SERVE_BENCH_N:-3000}" "$RATE" "paced"
pace "${MG_SERVE_BENCH_N:-20000}" 0 "saturation"
