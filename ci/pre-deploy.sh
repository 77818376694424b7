#!/bin/sh
# Verify a model directory or bundle against a committed lock file and
# policy before deploying it; print one verdict line and exit with
# modelgate's status (0 pass, 1 violations, 2 usage, 3 incomplete,
# 4 nothing to scan), so `ci/pre-deploy.sh ... || exit $?` gates a deploy.
#
#   ci/pre-deploy.sh [-p POLICY] [-l LOCK] [-r REPORT_DIR] PATH...
#
#   -p POLICY      policy JSON (default: $MODELGATE_POLICY, else the
#                  embedded default policy)
#   -l LOCK        lock file written by `modelgate lock` (default:
#                  $MODELGATE_LOCK, else modelgate.lock); required: a
#                  deploy without pinned digests is refused (exit 2)
#   -r REPORT_DIR  also keep JSON, SARIF and JUnit reports there
#
# MODELGATE_BIN names the binary (default: modelgate on PATH).  Run it
# from the directory the lock's paths are relative to.
set -u

bin=${MODELGATE_BIN:-modelgate}
policy=${MODELGATE_POLICY:-}
lock=${MODELGATE_LOCK:-modelgate.lock}
reports=""
while getopts p:l:r:h opt; do
	case $opt in
	p) policy=$OPTARG ;;
	l) lock=$OPTARG ;;
	r) reports=$OPTARG ;;
	h) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "pre-deploy: usage: pre-deploy.sh [-p POLICY] [-l LOCK] [-r DIR] PATH..." >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -eq 0 ]; then
	echo "pre-deploy: FAIL (exit 2): no path to verify" >&2
	exit 2
fi
if [ ! -f "$lock" ]; then
	echo "pre-deploy: FAIL (exit 2): lock file $lock not found" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pre-deploy.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
set -- --lock "$lock" --json "$tmp/report.json" --quiet -- "$@"
[ -n "$policy" ] && set -- --policy "$policy" "$@"
if [ -n "$reports" ]; then
	mkdir -p "$reports" || exit 2
	# No report from an earlier run may pass for this run's.
	rm -f "$reports/modelgate.sarif" "$reports/modelgate.junit.xml" \
	    "$reports/modelgate.json" || exit 2
	set -- --sarif "$reports/modelgate.sarif" \
	    --junit "$reports/modelgate.junit.xml" "$@"
fi
"$bin" scan "$@" 2>"$tmp/stderr"
code=$?
[ -n "$reports" ] && cp "$tmp/report.json" "$reports/modelgate.json" 2>/dev/null

num() {
	v=$(sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\([0-9][0-9]*\),\{0,1\}\$/\1/p" \
	    "$tmp/report.json" 2>/dev/null | head -n 1)
	echo "${v:-0}"
}
case $code in
0) word=PASS ;;
1) word=FAIL ;;
3) word=INCOMPLETE ;;
4) word=EMPTY ;;
*) word=ERROR ;;
esac
if [ -f "$tmp/report.json" ]; then
	echo "pre-deploy: $word (exit $code): $(num artifacts) artifacts," \
	    "$(num critical) critical, $(num high) high, $(num medium) medium;" \
	    "$(num error) not fully checked; lock $lock"
else
	# No report: say why, from modelgate's last line.
	echo "pre-deploy: $word (exit $code): $(tail -n 1 "$tmp/stderr" |
	    tr -d '\r' | cut -c1-300)"
fi
exit "$code"
