#!/usr/bin/env bash
# Runs the forge suites (unit, fuzz, invariant) and prints a plain summary line.
# The forge binary is called directly: the npm wrapper exits 0 even when tests fail.
set -uo pipefail
cd "$(dirname "$0")/.."
FORGE=node_modules/@foundry-rs/forge-linux-amd64/bin/forge
log=$(mktemp)
"$FORGE" test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
line=$(grep -E 'tests passed, [0-9]+ failed' "$log" | tail -1)
passed=$(sed -nE 's/.*: ([0-9]+) tests passed, ([0-9]+) failed, ([0-9]+) skipped.*/\1/p' <<<"$line")
failed=$(sed -nE 's/.*: ([0-9]+) tests passed, ([0-9]+) failed, ([0-9]+) skipped.*/\2/p' <<<"$line")
skipped=$(sed -nE 's/.*: ([0-9]+) tests passed, ([0-9]+) failed, ([0-9]+) skipped.*/\3/p' <<<"$line")
rm -f "$log"
if [ -z "$passed" ]; then
  echo "forge: 0 passed, 1 failed (forge produced no summary, exit $status)"
  exit 1
fi
echo "forge: ${passed} passed, ${failed} failed, ${skipped} skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
