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
# number of requests.  Targets (reported, never fatal): p99/p50 <= 1.5
# when paced; RSS growth under 1 MiB over the run.
set -u

if [ $# -ne 3 ]; then
	echo "usage: ci/bench-serve.sh BIN SERVEBENCH DIR" >&2
	exit 2
fi
BIN=$1
SB=$2
DIR=$3/small
RATE=${MG_SERVE_BENCH_RATE:-50}

echo
echo "-- serve latency (bom over $DIR, one request in flight, --jobs 1) --"
"$SB" "$BIN" "$DIR" "${MG_SERVE_BENCH_N:-3000}" "$RATE" || exit 1
"$SB" "$BIN" "$DIR" "${MG_SERVE_BENCH_N:-20000}" 0 || exit 1
