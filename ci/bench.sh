#!/bin/sh
# ci/bench.sh BIN MKBENCH - modelgate throughput benchmark (`make bench`).
#
# Generates (or reuses) the corpus written by MKBENCH in
# ${MG_BENCH_DIR:-build/bench}, warms the page cache, then times
# `BIN bom` over it with --jobs 1 and --jobs $(nproc), each measurement
# MG_BENCH_RUNS (default 3) times, and prints the best and median runs
# against the targets:
#   - hashing the two 1 GiB files: >= 85% of openssl's single-core
#     SHA-256 speed times the cores that can work (one per file at most);
#   - --no-hash over 5,000 small files: >= 20,000 files/s;
#   - --no-hash over 12 Llama-3-like GGUF headers (128,256 tokens, 280,147
#     merges, 291 tensors): files/s per core >= 0.67 of a bare
#     bounds-checked walk over the same files (mkbench --walk, the
#     reference; per core = per CPU-second of the best run);
#   - --no-hash over 5,500 small but realistic files (real/): >= 35,000
#     files/s per core, with --jobs 1 and --jobs 2, and l-bom on the same
#     files when LBOM_DIR names an l-bom checkout (its --no-hash, like
#     ours): >= 20x its files/s;
#   - the pickle family: scan with one and two workers against
#     picklescan when PICKLESCAN_DIR names a checkout: >= 20x its files/s;
#   - peak RSS while hashing the 1 GiB files: < 64 MiB;
#   - peak RSS of `scan --jobs 2` over six GGUFs of one million keys
#     each: < 256 MiB (memory bounded by jobs x the per-artifact cap).
# A missed target is reported, never fatal: the exit status is 0 unless
# the generator fails, bom dies on a signal, or a measurement has no
# successful run at all.
#
# MG_BENCH_SMALL_ONLY=1 skips the 1 GiB files (quick runs).
# Units: MB = 10^6 bytes (openssl's convention), MiB = 2^20 bytes.
# Each run goes through MG_RUNSTAT (build/runstat, which `make bench`
# builds): wall time from its fork to its wait, user and system CPU time
# to the microsecond and peak RSS from the child's resource usage.
# Without it, GNU time -v gives RSS and CPU (rounded to 10 ms) and
# `date +%s%N` around each run the wall time (which then includes the
# exec of /usr/bin/time, about a millisecond).
set -u

if [ $# -ne 2 ]; then
	echo "usage: ci/bench.sh BIN MKBENCH" >&2
	exit 2
fi
BIN=$1
MKBENCH=$2
DIR=${MG_BENCH_DIR:-build/bench}
RUNS=${MG_BENCH_RUNS:-3}
SMALL_ONLY=${MG_BENCH_SMALL_ONLY:-0}
CRASHED=0

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mgbench.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT INT TERM
SUMMARY=$TMP/summary

now_ns() {
	date +%s%N
}

# num FORMAT EXPR: awk does the floating point; sh only has integers.
num() {
	awk "BEGIN { printf \"$1\", ($2) }"
}

# test EXPR: 1 when the awk expression holds, else 0.
test1() {
	awk "BEGIN { print (($1) ? 1 : 0) }"
}

# --- 1. corpus ------------------------------------------------------------
echo "== modelgate bench =="
echo "corpus: $DIR"
t0=$(now_ns)
if [ "$SMALL_ONLY" = 1 ]; then
	"$MKBENCH" --small-only "$DIR" || { echo "bench: mkbench failed" >&2; exit 1; }
else
	"$MKBENCH" "$DIR" || { echo "bench: mkbench failed" >&2; exit 1; }
fi
t1=$(now_ns)
echo "corpus ready in $(num %.2f "($t1 - $t0) / 1e9") s"

# --- 2. machine -----------------------------------------------------------
NPROC=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
CPU=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
[ -n "$CPU" ] || CPU=$(uname -m)
echo
echo "-- machine --"
echo "nproc:    $NPROC"
echo "cpu:      $CPU"
echo "kernel:   $(uname -sr)"
echo "openssl:  $(openssl version 2>/dev/null || echo 'not found')"
echo "modelgate: $("$BIN" --version 2>/dev/null | head -n 1)"

# --- 3. openssl reference -------------------------------------------------
# One core, 16 KiB buffers; openssl prints 1000s of bytes per second.
OSSL_MBS=0
if command -v openssl >/dev/null 2>&1; then
	OSSL_K=$(openssl speed -evp sha256 -seconds 3 -bytes 16384 2>/dev/null |
	    awk '$1 == "sha256" || $1 == "SHA256" { v = $NF } END { print v }')
	OSSL_K=${OSSL_K%k}
	if [ -n "$OSSL_K" ]; then
		OSSL_MBS=$(num %.1f "$OSSL_K / 1000")
	fi
fi
echo "openssl speed -evp sha256 (16384-byte blocks, 1 core): $OSSL_MBS MB/s"

# --- runstat, or GNU time ---------------------------------------------------
RUNSTAT=${MG_RUNSTAT:-}
if [ -n "$RUNSTAT" ] && [ ! -x "$RUNSTAT" ]; then
	echo "bench: MG_RUNSTAT=$RUNSTAT is not an executable" >&2
	RUNSTAT=""
fi
TIME=/usr/bin/time
if [ -n "$RUNSTAT" ]; then
	:
elif ! "$TIME" -v true >/dev/null 2>&1; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
	echo "bench: installing GNU time for peak RSS" >&2
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq time \
	    >/dev/null 2>&1 || true
fi
if [ -z "$RUNSTAT" ] && ! "$TIME" -v true >/dev/null 2>&1; then
	echo "bench: GNU time unavailable; peak RSS not measured" >&2
	TIME=""
fi

# --- 4. warm the page cache -------------------------------------------------
find "$DIR" -type f -exec cat {} + >/dev/null

# --- measurement ------------------------------------------------------------
# measure CMD...: run RUNS times; sets VALID (0: no run succeeded),
# BEST_NS, MED_NS (nanoseconds),
# BEST_CPU (user + system seconds of the best run, "" when unknown),
# RSS_KB (largest peak RSS over the runs, "" when unknown) and RC (the
# last exit status).  A death by signal marks the bench as crashed.
measure() {
	: >"$TMP/times"
	RSS_KB=""
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		s=$(now_ns)
		if [ -n "$RUNSTAT" ]; then
			"$RUNSTAT" "$TMP/time" "$@" >/dev/null 2>"$TMP/err"
		elif [ -n "$TIME" ]; then
			"$TIME" -v -o "$TMP/time" "$@" >/dev/null 2>"$TMP/err"
		else
			"$@" >/dev/null 2>"$TMP/err"
		fi
		RC=$?
		e=$(now_ns)
		if [ -n "$RUNSTAT" ]; then
			w=$(awk -F': *' '/Wall clock \(ns\)/ { print $2 }' \
			    "$TMP/time" 2>/dev/null)
			[ -n "$w" ] && s=0 && e=$w
		fi
		cpu=-
		if [ -n "$TIME" ] || [ -n "$RUNSTAT" ]; then
			r=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$TMP/time")
			if [ -n "$r" ] && { [ -z "$RSS_KB" ] || [ "$r" -gt "$RSS_KB" ]; }; then
				RSS_KB=$r
			fi
			cpu=$(awk -F': *' '/User time|System time/ { t += $2 } END { printf "%.4f", t }' "$TMP/time")
			if grep -q "terminated by signal" "$TMP/time"; then
				RC=$((128 + $(awk '/terminated by signal/ { print $NF }' "$TMP/time")))
			fi
		fi
		if [ "$RC" -ge 128 ]; then
			echo "  CRASH: exit $RC: $*" >&2
			sed 's/^/  | /' "$TMP/err" | head -n 20 >&2
			CRASHED=1
		elif [ "$RC" -ge 126 ]; then
			# Not run at all (exec failed): not a timing.
			echo "  FAILED to run (exit $RC): $*"
			sed 's/^/  | /' "$TMP/err" | head -n 5
		else
			echo "$((e - s)) $cpu" >>"$TMP/times"
		fi
		if [ "$RC" -ne 0 ] && [ "$RC" -lt 126 ]; then
			echo "  note: exit $RC (corpus should scan clean): $*"
			sed 's/^/  | /' "$TMP/err" | head -n 5
		fi
		i=$((i + 1))
	done
	VALID=1
	if [ ! -s "$TMP/times" ]; then
		echo "  no successful run of: $*" >&2
		CRASHED=1
		VALID=0
		echo "0 -" >"$TMP/times"
	fi
	BEST_NS=$(sort -n "$TMP/times" | awk 'NR == 1 { print $1 }')
	BEST_CPU=$(sort -n "$TMP/times" | awk 'NR == 1 && $2 != "-" { print $2 }')
	MED_NS=$(sort -n "$TMP/times" |
	    awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }')
	# A zero time (no successful run) would divide by zero below.
	[ "$BEST_NS" -gt 0 ] || BEST_NS=1
	[ "$MED_NS" -gt 0 ] || MED_NS=1
}

# cpu_note: ", cpu N s" for the best run when known.
cpu_note() {
	if [ -n "$BEST_CPU" ]; then
		printf ', cpu %s s' "$BEST_CPU"
	fi
}

ms() {
	num %.1f "$1 / 1e6"
}

rss_mib() {
	if [ -n "$1" ]; then
		num %.1f "$1 / 1024"
	else
		echo "n/a"
	fi
}

loadavg() {
	cut -d ' ' -f 1 /proc/loadavg 2>/dev/null || echo "?"
}

# result NAME JOBS VALUE TARGET VERDICT: one summary row; FAILED when the
# last measurement had no successful run.
result() {
	if [ "$VALID" = 1 ]; then
		printf '%-30s %4s  %-20s %-18s %s\n' "$1" "$2" "$3" "$4" "$5"
	else
		printf '%-30s %4s  %-20s %-18s %s\n' "$1" "$2" "-" "$4" "FAILED"
	fi >>"$SUMMARY"
}

# verdict OK GAP: "PASS", "MISS (GAP)" or "n/a".
verdict() {
	case $1 in
	1) echo PASS ;;
	0) echo "MISS ($2)" ;;
	*) echo "n/a" ;;
	esac
}

count_files() {
	find "$1" -type f | wc -l | tr -d ' '
}

bytes_of() {
	find "$1" -type f -exec wc -c {} + |
	    awk '$2 != "total" { s += $1 } END { printf "%.0f", s }'
}

SMALL_N=$(count_files "$DIR/small")
VOCAB_N=$(count_files "$DIR/vocab")
LLAMA_N=$(count_files "$DIR/llama3")
REAL_N=$(count_files "$DIR/real")
SMALL_B=$(bytes_of "$DIR/small")
if [ "$SMALL_ONLY" != 1 ]; then
	LARGE_N=$(count_files "$DIR/large")
	LARGE_B=$(bytes_of "$DIR/large")
fi

JOBS_LIST=1
[ "$NPROC" -gt 1 ] && JOBS_LIST="1 $NPROC"

LOAD0=$(loadavg)
echo
echo "load average before the runs: $LOAD0"
if [ "$(test1 "$LOAD0 + 0 > 0.5")" = 1 ]; then
	echo "WARNING: the machine is busy; other processes compete for the CPUs,"
	echo "WARNING: so wall-clock figures understate modelgate.  'cpu' is the"
	echo "WARNING: best run's user + system time, which load affects less."
fi
echo "($RUNS runs each; best and median wall time; peak RSS is the largest of the runs)"

for J in $JOBS_LIST; do
	echo
	echo "-- --jobs $J --"

	if [ "$SMALL_ONLY" != 1 ] && [ "$J" = 1 ] && command -v openssl >/dev/null 2>&1; then
		# A second reference: openssl hashing the same files from the
		# page cache (read() into a buffer), one core.  openssl speed
		# hashes a cache-resident 16 KiB block, which no file scan can.
		measure openssl dgst -sha256 "$DIR"/large/*
		printf 'openssl dgst -sha256, same 2 files, 1 core: best %s ms = %s MB/s%s\n' \
		    "$(ms "$BEST_NS")" "$(num %.1f "$LARGE_B / 1e6 / ($BEST_NS / 1e9)")" \
		    "$(cpu_note)"
	fi
	if [ "$SMALL_ONLY" != 1 ]; then
		measure "$BIN" bom --jobs "$J" "$DIR/large"
		# One file is hashed by one thread: the files bound the cores.
		CORES=$J
		[ "$CORES" -gt "$LARGE_N" ] && CORES=$LARGE_N
		MBS=$(num %.1f "$LARGE_B / 1e6 / ($BEST_NS / 1e9)")
		MBS_MED=$(num %.1f "$LARGE_B / 1e6 / ($MED_NS / 1e9)")
		printf 'large  hash     %d files, %s MB: best %s ms = %s MB/s%s; median %s ms = %s MB/s\n' \
		    "$LARGE_N" "$(num %.0f "$LARGE_B / 1e6")" "$(ms "$BEST_NS")" \
		    "$MBS" "$(cpu_note)" "$(ms "$MED_NS")" "$MBS_MED"
		if [ "$OSSL_MBS" != 0 ]; then
			PCT=$(num %.1f "100 * $MBS / ($OSSL_MBS * $CORES)")
			OK=$(test1 "$PCT >= 85")
			printf '                = %s%% of openssl x %d core(s) = %s MB/s' \
			    "$PCT" "$CORES" "$(num %.1f "$OSSL_MBS * $CORES")"
			if [ -n "$BEST_CPU" ]; then
				printf '; per CPU-second %s MB/s = %s%% of openssl' \
				    "$(num %.1f "$LARGE_B / 1e6 / $BEST_CPU")" \
				    "$(num %.1f "100 * $LARGE_B / 1e6 / $BEST_CPU / $OSSL_MBS")"
			fi
			echo
			result "hash 2x1GiB / (openssl x $CORES)" "$J" "$PCT% ($MBS MB/s)" ">= 85%" \
			    "$(verdict "$OK" "$(num %.1f "85 - $PCT") points short")"
		else
			result "hash 2x1GiB / (openssl x $CORES)" "$J" "$MBS MB/s" ">= 85%" n/a
		fi
		echo "                peak RSS $(rss_mib "$RSS_KB") MiB"
		OK=-
		[ -n "$RSS_KB" ] && OK=$(test1 "$RSS_KB < 64 * 1024")
		result "peak RSS hashing 2x1GiB" "$J" "$(rss_mib "$RSS_KB") MiB" "< 64 MiB" \
		    "$(verdict "$OK" "$(num %.1f "$RSS_KB / 1024 - 64") MiB over")"
	fi

	measure "$BIN" bom --no-hash --jobs "$J" "$DIR/small"
	FPS=$(num %.0f "$SMALL_N / ($BEST_NS / 1e9)")
	printf 'small  no-hash  %d files: best %s ms = %s files/s%s; median %s ms = %s files/s; peak RSS %s MiB\n' \
	    "$SMALL_N" "$(ms "$BEST_NS")" "$FPS" "$(cpu_note)" "$(ms "$MED_NS")" \
	    "$(num %.0f "$SMALL_N / ($MED_NS / 1e9)")" "$(rss_mib "$RSS_KB")"
	result "small --no-hash" "$J" "$FPS files/s" ">= 20000 files/s" \
	    "$(verdict "$(test1 "$FPS >= 20000")" "$(num %.0f "100 * $FPS / 20000")% of target")"

	measure "$BIN" bom --jobs "$J" "$DIR/small"
	FPS=$(num %.0f "$SMALL_N / ($BEST_NS / 1e9)")
	printf 'small  hash     %d files, %s MB: best %s ms = %s files/s%s; median %s ms = %s files/s; peak RSS %s MiB\n' \
	    "$SMALL_N" "$(num %.1f "$SMALL_B / 1e6")" "$(ms "$BEST_NS")" "$FPS" \
	    "$(cpu_note)" "$(ms "$MED_NS")" \
	    "$(num %.0f "$SMALL_N / ($MED_NS / 1e9)")" "$(rss_mib "$RSS_KB")"
	result "small with hash" "$J" "$FPS files/s" "-" "-"

	measure "$BIN" bom --no-hash --jobs "$J" "$DIR/vocab"
	printf 'vocab  no-hash  %d files (32k + 150k tokens): best %s ms%s; median %s ms; peak RSS %s MiB\n' \
	    "$VOCAB_N" "$(ms "$BEST_NS")" "$(cpu_note)" "$(ms "$MED_NS")" \
	    "$(rss_mib "$RSS_KB")"
	result "vocab headers --no-hash" "$J" "$(ms "$BEST_NS") ms" "-" "-"

	measure "$BIN" bom --no-hash --jobs "$J" "$DIR/real"
	FPS=$(num %.0f "$REAL_N / ($BEST_NS / 1e9)")
	PER=$(num %.0f "$FPS / $J")
	[ -n "$BEST_CPU" ] && [ "$(test1 "$BEST_CPU > 0")" = 1 ] &&
	    PER=$(num %.0f "$REAL_N / $BEST_CPU")
	printf 'real   no-hash  %d files: best %s ms = %s files/s%s = %s files/s per core; median %s ms\n' \
	    "$REAL_N" "$(ms "$BEST_NS")" "$FPS" "$(cpu_note)" "$PER" "$(ms "$MED_NS")"
	[ "$J" = 1 ] && REAL_FPS1=$FPS
	[ "$J" != 1 ] && REAL_FPSN=$FPS && REAL_JN=$J
	result "realistic small --no-hash/core" "$J" "$PER files/s" ">= 35000 files/s" \
	    "$(verdict "$(test1 "$PER >= 35000")" "$(num %.0f "100 * $PER / 35000")% of target")"
done

# --- archives: members read and hashed in one streaming pass --------------
# One 256 MiB safetensors model (incompressible data) as a tar, a tar.zst
# and a tar.gz, each scanned with `bom --jobs 1` against the pipeline
# `bsdtar -xOf ARCHIVE | openssl dgst -sha256` on the same archive: both
# decompress every byte and hash it (modelgate hashes the archive as well
# as the member, and parses the model).  Target: at least as fast as the
# pipeline.  The small corpus as a tar.zst and a zip is reported beside
# it: there the cost is parsing and reporting 5,000 models, which the
# pipeline does not do (the same files on disk are measured above).
ARC="$(cd "$DIR" && pwd)/archives"
if command -v bsdtar >/dev/null 2>&1 && command -v zstd >/dev/null 2>&1 &&
    command -v zip >/dev/null 2>&1 && command -v gzip >/dev/null 2>&1; then
	mkdir -p "$ARC"
	if [ ! -s "$ARC/one.tar.zst" ] || [ ! -s "$ARC/one.tar.gz" ]; then
		mkdir -p "$ARC/one" || exit 1
		# An 8-byte header length, a JSON header padded to 8, the data.
		H='{"w":{"dtype":"F32","shape":[67108864],"data_offsets":[0,268435456]}}   '
		{ printf '\110\000\000\000\000\000\000\000'; printf '%s' "$H"
		    head -c 268435456 /dev/urandom; } > "$ARC/one/model.safetensors" ||
		    exit 1
		(cd "$ARC/one" && bsdtar -cf "$ARC/one.tar" model.safetensors &&
		    zstd -q -1 -f "$ARC/one.tar" -o "$ARC/one.tar.zst" &&
		    gzip -1 -c "$ARC/one.tar" > "$ARC/one.tar.gz") ||
		    { echo "bench: cannot build one.tar*" >&2; exit 1; }
		rm -rf "$ARC/one"
	fi
	[ -s "$ARC/small.tar.zst" ] ||
	    (cd "$DIR" && bsdtar -cf - small | zstd -q -3 -o "$ARC/small.tar.zst") ||
	    { echo "bench: cannot build small.tar.zst" >&2; exit 1; }
	[ -s "$ARC/small.zip" ] || (cd "$DIR" && zip -qr "$ARC/small.zip" small) ||
	    { echo "bench: cannot build small.zip" >&2; exit 1; }
	echo
	echo "-- archives: bom --jobs 1 against bsdtar -xOf | openssl dgst --"
	for A in one.tar one.tar.zst one.tar.gz small.tar.zst small.zip; do
		CB=$(wc -c <"$ARC/$A")
		EB=$(bsdtar -xOf "$ARC/$A" | wc -c)
		measure sh -c "bsdtar -xOf '$ARC/$A' | openssl dgst -sha256"
		REF_NS=$BEST_NS
		measure "$BIN" bom --jobs 1 "$ARC/$A"
		printf '%-14s %s MB -> %s MB: modelgate best %s ms = %s MB/s compressed, %s MB/s expanded%s; pipeline %s ms = %s MB/s expanded; peak RSS %s MiB\n' \
		    "$A" "$(num %.1f "$CB / 1e6")" "$(num %.1f "$EB / 1e6")" \
		    "$(ms "$BEST_NS")" "$(num %.1f "$CB / 1e6 / ($BEST_NS / 1e9)")" \
		    "$(num %.1f "$EB / 1e6 / ($BEST_NS / 1e9)")" "$(cpu_note)" \
		    "$(ms "$REF_NS")" "$(num %.1f "$EB / 1e6 / ($REF_NS / 1e9)")" \
		    "$(rss_mib "$RSS_KB")"
		case $A in
		one.*)
			result "archive $A vs bsdtar|openssl" 1 \
			    "$(num %.2f "$REF_NS / $BEST_NS")x" ">= 1.00x" \
			    "$(verdict "$(test1 "$BEST_NS <= $REF_NS")" "$(num %.0f "100 * $REF_NS / $BEST_NS")% of the pipeline's speed")" ;;
		*)
			result "5,000 models in $A" 1 \
			    "$(num %.2f "$REF_NS / $BEST_NS")x pipeline" "-" "-" ;;
		esac
	done
else
	echo
	echo "-- archives: skipped (bsdtar, zstd, zip or gzip missing) --"
fi

# --- Llama-3-like headers against the bare walk ------------------------------
# Both run on one core over the same 12 files, best wall time of the runs
# (GNU time's CPU figures have 10 ms steps, too coarse for these).
echo
echo "-- Llama-3-like headers: 128,256 tokens, 280,147 merges, 291 tensors --"
measure "$MKBENCH" --walk "$DIR"/llama3/*.gguf
WALK_S=$(num %.6f "$BEST_NS / 1e9")
printf 'bare walk        %d files: best %s ms%s = %s files/s per core\n' \
    "$LLAMA_N" "$(ms "$BEST_NS")" "$(cpu_note)" "$(num %.0f "$LLAMA_N / $WALK_S")"
measure "$BIN" bom --no-hash --jobs 1 "$DIR/llama3"
MG_S=$(num %.6f "$BEST_NS / 1e9")
printf 'bom --no-hash    %d files: best %s ms%s = %s files/s per core\n' \
    "$LLAMA_N" "$(ms "$BEST_NS")" "$(cpu_note)" "$(num %.0f "$LLAMA_N / $MG_S")"
RATIO=$(num %.2f "$WALK_S / $MG_S")
echo "ratio to the walk: $RATIO (target >= 0.67)"
result "llama3 headers / bare walk" 1 "$RATIO ($(num %.0f "$LLAMA_N / $MG_S") files/s)" \
    ">= 0.67" "$(verdict "$(test1 "$RATIO >= 0.67")" "$RATIO")"

# --- l-bom on the realistic small files ---------------------------------------
# l-bom runs from a checkout (the directory holding llm_sbom/); it is not
# part of the project and is skipped when none is found.
LBOM=${LBOM_DIR:-}
# Debian's python3 has l-bom's dependencies (python3-click, -rich,
# -dataclasses-json); a python3 earlier on PATH may not.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
echo
if [ -n "$LBOM" ] && [ -d "$LBOM/llm_sbom" ] &&
    PYTHONPATH=$LBOM "$PY" -c 'import llm_sbom.cli' 2>/dev/null; then
	echo "-- l-bom ($LBOM) --no-hash on the same $REAL_N files --"
	RUNS_SAVED=$RUNS
	RUNS=1
	measure env PYTHONPATH="$LBOM" "$PY" -m llm_sbom.cli scan "$DIR/real" \
	    --no-hash --format json --output "$TMP/lbom.json"
	RUNS=$RUNS_SAVED
	LFPS=$(num %.0f "$REAL_N / ($BEST_NS / 1e9)")
	echo "l-bom: $(ms "$BEST_NS") ms = $LFPS files/s"
	# One worker against l-bom's one thread, and the default (one
	# worker per core) against the same l-bom, which has no other way
	# to run.
	X=$(num %.1f "${REAL_FPS1:-0} / $LFPS")
	result "realistic small / l-bom" 1 "${X}x" ">= 20x" \
	    "$(verdict "$(test1 "$X >= 20")" "${X}x")"
	if [ -n "${REAL_FPSN:-}" ]; then
		X=$(num %.1f "$REAL_FPSN / $LFPS")
		result "realistic small / l-bom" "$REAL_JN" "${X}x" ">= 20x" \
		    "$(verdict "$(test1 "$X >= 20")" "${X}x")"
	fi
else
	echo "-- l-bom: no checkout found (set LBOM_DIR); skipped --"
	result "realistic small / l-bom" 1 "-" ">= 20x" "n/a (no l-bom)"
fi

# --- pickles: the pickle family as real writers make it -----------------------
# The benign fixtures of the test suite (pickles of every protocol, joblib
# with and without compression, torch.save zips and TorchScript, .npy and
# .npz; written by fixtures/writers/pickle_fixtures.py), copied 40 times,
# inventoried with `bom --jobs 1` and judged with `scan` on one and two
# workers.  picklescan (a checkout named by PICKLESCAN_DIR; it is not
# part of the project) scans the same files with
# Debian's python3; the target is 20x its files/s.
PFIX=${MG_PICKLE_FIXTURES:-build/fixtures/pickle/valid}
if [ -d "$PFIX" ] && [ -n "$(ls "$PFIX" 2>/dev/null)" ]; then
	PDIR="$DIR/pickles"
	if [ ! -d "$PDIR" ]; then
		mkdir -p "$PDIR" || exit 1
		i=0
		while [ "$i" -lt 40 ]; do
			mkdir -p "$PDIR/c$i" && cp "$PFIX"/* "$PDIR/c$i/" || exit 1
			i=$((i + 1))
		done
	fi
	PN=$(count_files "$PDIR")
	PB=$(bytes_of "$PDIR")
	# A run of a few tens of milliseconds is swayed by the machine's
	# noise more than one of seconds: these rows, picklescan's included,
	# take the best of at least 10 runs.
	SAVED_RUNS=$RUNS
	[ "$RUNS" -ge 10 ] || RUNS=10
	echo
	echo "-- pickles: $PN files, $(num %.1f "$PB / 1e6") MB, best of $RUNS --"
	measure "$BIN" bom --jobs 1 "$PDIR"
	PFPS=$(num %.0f "$PN / ($BEST_NS / 1e9)")
	printf 'pickles  bom --jobs 1: best %s ms = %s files/s, %s MB/s%s\n' \
	    "$(ms "$BEST_NS")" "$PFPS" "$(num %.1f "$PB / 1e6 / ($BEST_NS / 1e9)")" \
	    "$(cpu_note)"
	result "pickle family bom files/s" 1 "$PFPS files/s" "-" "-"
	# The scanner against the scanner: `scan` judges every import, as
	# picklescan does, with one worker and with two.
	measure "$BIN" scan -q --jobs 1 "$PDIR"
	SC1=$(num %.0f "$PN / ($BEST_NS / 1e9)")
	printf 'pickles  scan --jobs 1: best %s ms = %s files/s%s\n' \
	    "$(ms "$BEST_NS")" "$SC1" "$(cpu_note)"
	measure "$BIN" scan -q --jobs 2 "$PDIR"
	SC2=$(num %.0f "$PN / ($BEST_NS / 1e9)")
	printf 'pickles  scan --jobs 2: best %s ms = %s files/s%s\n' \
	    "$(ms "$BEST_NS")" "$SC2" "$(cpu_note)"
	result "pickle family scan files/s" 1 "$SC1 files/s" "-" "-"
	result "pickle family scan files/s" 2 "$SC2 files/s" "-" "-"
	PS=${PICKLESCAN_DIR:-}
	if [ -n "$PS" ] && [ -d "$PS/src/picklescan" ]; then
		measure env PYTHONPATH="$PS/src" "$PY" -m picklescan --path "$PDIR"
		SFPS=$(num %.0f "$PN / ($BEST_NS / 1e9)")
		printf 'picklescan          : best %s ms = %s files/s (one process, one thread)\n' \
		    "$(ms "$BEST_NS")" "$SFPS"
		for J in 1 2; do
			eval "X=\$SC$J"
			result "pickles scan / picklescan" "$J" \
			    "$(num %.1f "$X / $SFPS")x" ">= 20x" \
			    "$(verdict "$(test1 "$X >= 20 * $SFPS")" \
			    "$(num %.1f "$X / $SFPS")x")"
		done
	else
		echo "picklescan: skipped (set PICKLESCAN_DIR to a checkout to compare)"
	fi
	RUNS=$SAVED_RUNS
else
	echo
	echo "-- pickles: skipped ($PFIX missing: run make test once) --"
fi

# --- many keys: memory stays bounded by jobs x the per-artifact cap --------
# Six copies of a GGUF of one million tiny key/values, scanned with
# --jobs 2: peak RSS must stay under 256 MiB whatever the number of files.
MANY="$DIR/manykeys"
if [ ! -s "$MANY/m0.gguf" ]; then
	mkdir -p "$MANY" && "$MKBENCH" --many-keys 1000000 "$MANY/m0.gguf" ||
	    { echo "bench: mkbench --many-keys failed" >&2; exit 1; }
	for i in 1 2 3 4 5; do
		cp "$MANY/m0.gguf" "$MANY/m$i.gguf" || exit 1
	done
fi
echo
echo "-- memory: scan of 6 GGUFs of 1,000,000 keys each --"
measure "$BIN" scan -q --jobs 2 "$MANY"
printf 'many keys scan  6 x %s MB: best %s ms%s; peak RSS %s MiB\n' \
    "$(num %.1f "$(wc -c <"$MANY/m0.gguf") / 1e6")" "$(ms "$BEST_NS")" \
    "$(cpu_note)" "$(rss_mib "$RSS_KB")"
OK=-
[ -n "$RSS_KB" ] && OK=$(test1 "$RSS_KB < 256 * 1024")
result "peak RSS scan 6x1M-key GGUF" 2 "$(rss_mib "$RSS_KB") MiB" "< 256 MiB" \
    "$(verdict "$OK" "$(num %.1f "${RSS_KB:-0} / 1024 - 256") MiB over")"

echo
echo "== summary: best of $RUNS (the pickle rows: of at least 10); load average $LOAD0 before, $(loadavg) after =="
printf '%-30s %4s  %-20s %-18s %s\n' "measurement" "jobs" "value" "target" "result"
cat "$SUMMARY"
if [ "$CRASHED" = 1 ]; then
	echo "bench: modelgate crashed or could not run (see above)" >&2
	exit 1
fi
exit 0
