#!/usr/bin/env bash
# Gzipped size of the page's wasm plus the shipped weights, against the budget.
# Usage: scripts/size-budget.sh [dist-dir]   (budget in bytes: SIZE_BUDGET, default 3.5 MB)
set -euo pipefail
dist=${1:-dist}
budget=${SIZE_BUDGET:-3500000}
gz() { gzip -9 -c "$1" | wc -c; }
wasm=$(gz "$dist/trm-app_bg.wasm")
js=$(gz "$dist/trm-app.js")
weights=$(gz "$dist/assets/model.bpk")
total=$((wasm + weights))
printf 'gzipped: wasm %d B (raw %d B), js %d B, weights %d B (raw %d B); wasm + weights %d B, budget %d B\n' \
  "$wasm" "$(wc -c < "$dist/trm-app_bg.wasm")" "$js" "$weights" "$(wc -c < "$dist/assets/model.bpk")" "$total" "$budget"
if [ "$total" -gt "$budget" ]; then
  echo "size budget exceeded by $((total - budget)) bytes" >&2
  exit 1
fi
