#!/usr/bin/env bash
# Scan step of the GitHub action (action.yml), also usable on its own.
#
# Every input arrives in the environment (MG_*), never spliced into the
# script, so no input can inject shell.  It runs modelgate, prints the
# annotations (--github) on standard output, appends the Markdown summary
# to $GITHUB_STEP_SUMMARY, writes the outputs to $GITHUB_OUTPUT and exits
# with modelgate's status, after everything is written.
#
# Every report path is removed before the scan, so a file already there
# (one a pull request committed, say) is never read, published or uploaded:
# the outputs come from a report this run wrote, else from the exit code
# alone (verdict "error" for 2).
#
#   MG_BIN            modelgate binary (default: modelgate on PATH)
#   MG_PATHS          paths to scan, one per line, or space-separated on one line
#   MG_POLICY MG_FAIL_ON MG_LOCK MG_BASELINE MG_JOBS MG_SHARD MG_CHANGED_SINCE
#   MG_SHARD_KEY      a secret: with MG_SHARD, the JSON report is signed
#                     with it followed by GITHUB_RUN_ID (--shard-key)
#   MG_SARIF_FILE MG_JUNIT_FILE MG_JSON_FILE   reports ("" for none; JSON
#                     is always written, to a temporary file if need be)
#   MG_ANNOTATIONS    at most this many annotations (default 10)
set -uo pipefail

bin=${MG_BIN:-modelgate}
tmp=$(mktemp -d "${RUNNER_TEMP:-/tmp}/modelgate.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

args=(scan)
[ -n "${MG_POLICY:-}" ] && args+=(--policy "$MG_POLICY")
[ -n "${MG_FAIL_ON:-}" ] && args+=(--fail-on "$MG_FAIL_ON")
[ -n "${MG_LOCK:-}" ] && args+=(--lock "$MG_LOCK")
[ -n "${MG_BASELINE:-}" ] && args+=(--baseline "$MG_BASELINE")
[ -n "${MG_JOBS:-}" ] && args+=(--jobs "$MG_JOBS")
[ -n "${MG_SHARD:-}" ] && args+=(--shard "$MG_SHARD")
if [ -n "${MG_SHARD_KEY:-}" ] && [ -n "${MG_SHARD:-}" ]; then
	# One key per run: a signed report of another run is not accepted.
	(umask 077 && printf '%s%s' "$MG_SHARD_KEY" "${GITHUB_RUN_ID:-}" \
	    >"$tmp/shard.key") || exit 2
	args+=(--shard-key "$tmp/shard.key")
fi
[ -n "${MG_CHANGED_SINCE:-}" ] && args+=(--changed-since "$MG_CHANGED_SINCE")
[ -n "${MG_SARIF_FILE:-}" ] && args+=(--sarif "$MG_SARIF_FILE")
[ -n "${MG_JUNIT_FILE:-}" ] && args+=(--junit "$MG_JUNIT_FILE")
json=${MG_JSON_FILE:-}
[ -n "$json" ] || json="$tmp/report.json"
args+=(--json "$json" --markdown "$tmp/summary.md" --github "$tmp/annotations")
args+=(--github-max "${MG_ANNOTATIONS:-10}")

# No report may survive from before this run.
for f in "${MG_SARIF_FILE:-}" "${MG_JUNIT_FILE:-}" "$json"; do
	[ -n "$f" ] || continue
	if [ -e "$f" ] || [ -L "$f" ]; then
		if ! rm -f -- "$f" 2>/dev/null || [ -e "$f" ] || [ -L "$f" ]; then
			echo "modelgate: cannot remove the old report $f" >&2
			exit 2
		fi
	fi
done

# Paths: one per line; a single line is split on blanks.
paths=()
raw=${MG_PATHS:-.}
if [[ $raw == *$'\n'* ]]; then
	while IFS= read -r p; do
		p=${p%$'\r'}
		[ -n "$p" ] && paths+=("$p")
	done <<<"$raw"
else
	read -r -a paths <<<"$raw"
fi
[ ${#paths[@]} -gt 0 ] || paths=(.)

# The text report and the diagnostics go to the log, with workflow
# commands switched off around them: metadata may hold "##[" or "::",
# which the runner would otherwise obey anywhere in a line.
token="mg$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
echo "::stop-commands::$token"
"$bin" "${args[@]}" -- "${paths[@]}" 2>&1
code=$?
echo "::$token::"

# Annotations: the only lines of this step that are workflow commands.
if [ -f "$tmp/annotations" ]; then
	cat "$tmp/annotations"
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -f "$tmp/summary.md" ]; then
	# GitHub refuses summaries over 1 MiB per step.
	if [ "$(wc -c <"$tmp/summary.md")" -gt 1000000 ]; then
		head -c 1000000 "$tmp/summary.md" >>"$GITHUB_STEP_SUMMARY"
		printf '\n\n(summary truncated; see the JSON report)\n' \
		    >>"$GITHUB_STEP_SUMMARY"
	else
		cat "$tmp/summary.md" >>"$GITHUB_STEP_SUMMARY"
	fi
fi

# A number from the summary of our own JSON report (one key per line).
fresh=0
[ -f "$json" ] && [ ! -L "$json" ] && fresh=1
count() {
	local v=
	[ "$fresh" = 1 ] && v=$(sed -n \
	    "s/^[[:space:]]*\"$1\":[[:space:]]*\([0-9][0-9]*\),\{0,1\}$/\1/p" \
	    "$json" 2>/dev/null | head -n 1)
	echo "${v:-0}"
}
# The verdict agrees with the exit code, or is "error": never a pass that
# the exit code and a report of this run do not both give.
case $code in
0) want="pass empty" ;;
1) want=fail ;;
3) want=incomplete ;;
4) want=empty ;;
*) want=error ;;
esac
verdict=error
if [ "$fresh" = 1 ]; then
	v=$(sed -n 's/^[[:space:]]*"verdict":[[:space:]]*"\([a-z]*\)",\{0,1\}$/\1/p' \
	    "$json" 2>/dev/null | head -n 1)
	for w in $want; do
		[ "$w" != error ] && [ "$v" = "$w" ] && verdict=$v
	done
elif [ "$code" != 0 ]; then
	verdict=$want
fi

# File names come from inputs: multi-line syntax with a random delimiter,
# so that no value can add an output line of its own.
out() {
	local d
	d="mg_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
	printf '%s<<%s\n%s\n%s\n' "$1" "$d" "$2" "$d"
}
if [ -n "${GITHUB_OUTPUT:-}" ]; then
	{
		echo "exit-code=$code"
		echo "verdict=$verdict"
		for s in critical high medium low info; do
			echo "$s=$(count "$s")"
		done
		if [ -n "${MG_SARIF_FILE:-}" ] && [ -f "$MG_SARIF_FILE" ]; then
			out sarif-file "$MG_SARIF_FILE"
		fi
		if [ -n "${MG_JUNIT_FILE:-}" ] && [ -f "$MG_JUNIT_FILE" ]; then
			out junit-file "$MG_JUNIT_FILE"
		fi
		if [ -n "${MG_JSON_FILE:-}" ] && [ -f "$MG_JSON_FILE" ]; then
			out json-file "$MG_JSON_FILE"
		fi
	} >>"$GITHUB_OUTPUT"
fi
exit "$code"
