#!/usr/bin/env bash
# Runs the uvu suites under tsx and prints a plain summary line.
# uvu prints no "Failed:" line and forces colours, so both are handled here.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1 FORCE_COLOR=0
log=$(mktemp)
node --require ./node/polyfill/promise-with-resolvers.cjs --import tsx \
  scripts/uvu.mjs test '\.test\.ts$' -i helpers "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
total=$(sed -nE 's/^ *Total: *([0-9]+).*/\1/p' "$log" | tail -1)
passed=$(sed -nE 's/^ *Passed: *([0-9]+).*/\1/p' "$log" | tail -1)
skipped=$(sed -nE 's/^ *Skipped: *([0-9]+).*/\1/p' "$log" | tail -1)
rm -f "$log"
if [ -z "$total" ]; then
  echo "uvu: 0 passed, 1 failed (uvu produced no summary, exit $status)"
  exit 1
fi
failed=$((total - passed - ${skipped:-0}))
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "uvu: ${passed} passed, ${failed} failed, ${skipped:-0} skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
