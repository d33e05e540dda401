#!/usr/bin/env bash
# `npm test`: type check, contract suites, TypeScript suites, then one closing line for both.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
echo "typecheck: tsc --noEmit"
npx tsc --noEmit -p .; typecheck=$?
bash scripts/test-contracts.sh | tee -a "$out"; c=${PIPESTATUS[0]}
bash scripts/test-ts.sh | tee -a "$out"; t=${PIPESTATUS[0]}
p=$(grep -E '^(forge|uvu): [0-9]+ passed' "$out" | sed -nE 's/^[a-z]+: ([0-9]+) passed.*/\1/p' | awk '{s+=$1} END {print s+0}')
f=$(grep -E '^(forge|uvu): [0-9]+ passed' "$out" | sed -nE 's/.* ([0-9]+) failed.*/\1/p' | awk '{s+=$1} END {print s+0}')
rm -f "$out"
[ "$typecheck" -ne 0 ] && echo "typecheck failed" && f=$((f + 1))
echo "total: ${p:-0} passed, ${f:-1} failed"
[ "$typecheck" -eq 0 ] && [ "$c" -eq 0 ] && [ "$t" -eq 0 ]
