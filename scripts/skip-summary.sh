#!/usr/bin/env bash
# Prints, for each saved vitest log, its test counts and the reasons the suite printed for what
# it skipped (every skip prints one with console.warn), so a CI log shows each pass's skips in
# one place. Also written to $GITHUB_STEP_SUMMARY when set.
# usage: bash scripts/skip-summary.sh pass-name.log...
set -euo pipefail

out=$(
  for log in "$@"; do
    name=$(basename "$log" .log)
    if [ ! -f "$log" ]; then
      echo "$name: no log (the pass did not run)"
      continue
    fi
    # Colours off, then vitest's totals line and the lines of its stderr blocks (from a
    # "stderr | file" header to a blank line) that report a skip, each reason once.
    plain=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
    tests=$(grep -E '^ +Tests +[0-9]' <<<"$plain" | tail -1 | sed -E 's/^ +Tests +//') || true
    echo "$name: ${tests:-no totals (the pass did not finish)}"
    awk '/^stderr \| / { block = 1; next }
      /^$/ { block = 0 }
      block && tolower($0) ~ /skip|not checked/ { print "  " $0 }' <<<"$plain" | sort -u
  done
)
echo "$out"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  { echo '```'; echo "$out"; echo '```'; } >>"$GITHUB_STEP_SUMMARY"
fi
