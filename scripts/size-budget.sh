#!/usr/bin/env bash
# Gzipped size of the page's wasm, the model worker's wasm and the shipped weights, against the
# budget, for each page: Sudoku (assets/model.bpk) and the maze (assets/maze/model.bpk, fetched
# only by ?task=maze); and a check that the page's bundle carries no model runtime (the worker
# owns it).
# Usage: scripts/size-budget.sh [dist-dir]   (budget in bytes: SIZE_BUDGET, default 4.0 MB)
set -euo pipefail
dist=${1:-dist}
budget=${SIZE_BUDGET:-4000000}
gz() { gzip -9 -c "$1" | wc -c; }
page=$(gz "$dist/trm-app_bg.wasm")
worker=$(gz "$dist/trm-worker_bg.wasm")
js=$(( $(gz "$dist/trm-app.js") + $(gz "$dist/trm-worker.js") ))
weights=$(gz "$dist/assets/model.bpk")
total=$((page + worker + weights))
printf 'gzipped: page wasm %d B (raw %d B), worker wasm %d B (raw %d B), js %d B, weights %d B (raw %d B); wasm + weights %d B, budget %d B\n' \
  "$page" "$(wc -c < "$dist/trm-app_bg.wasm")" "$worker" "$(wc -c < "$dist/trm-worker_bg.wasm")" "$js" \
  "$weights" "$(wc -c < "$dist/assets/model.bpk")" "$total" "$budget"
status=0
if [ "$total" -gt "$budget" ]; then
  echo "size budget exceeded by $((total - budget)) bytes" >&2
  status=1
fi
maze_weights=$(gz "$dist/assets/maze/model.bpk")
maze_total=$((page + worker + maze_weights))
printf 'maze page: maze weights %d B (raw %d B); wasm + maze weights %d B, budget %d B\n' \
  "$maze_weights" "$(wc -c < "$dist/assets/maze/model.bpk")" "$maze_total" "$budget"
if [ "$maze_total" -gt "$budget" ]; then
  echo "the maze page's size budget exceeded by $((maze_total - budget)) bytes" >&2
  status=1
fi
# Panic locations and messages name their crates: the page's bundle must name no backend.
runtime=$(grep -a -o -E 'burn-(flex|wgpu|cubecl|autodiff)|cubecl-(ir|opt|core|runtime|server|wgpu)|wgpu-(core|hal)|pliron' "$dist/trm-app_bg.wasm" | sort -u || true)
if [ -n "$runtime" ]; then
  echo "the page's wasm contains model runtime code: $(echo $runtime)" >&2
  status=1
fi
exit $status
