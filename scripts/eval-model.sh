#!/usr/bin/env bash
# The model card's evaluation: every shared puzzle file and the generated tiers, in two lanes
# (one per core), then the larger step budgets on a 100-puzzle subset of each set.
# Usage: scripts/eval-model.sh [WEIGHTS] [OUT_DIR]   (DATA=... to point at the puzzle files)
# Subsets nest: the first 100 of a file's 2,000 (same seed) are the 100 of the second phase.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
weights=${1:-assets/model.bpk}
out=${2:-artifacts/eval}
data=${DATA:-data/sudoku}
mkdir -p "$out"
cargo build --release --quiet --bin trm
trm="$CARGO_TARGET_DIR/release/trm"

# One thread per lane, two lanes for two cores; on one thread batch 8 was faster than 32 here
# (3.1 s vs 4.5 s for 32 puzzles × 4 steps).
lane() {
  local name=$1; shift
  RAYON_NUM_THREADS=1 "$trm" eval --weights "$weights" --batch 8 --json "$out/$name.json" "$@" \
    > "$out/$name.md" 2> "$out/$name.log"
}

start=$(date +%s)
# Phase 1: early exit and budgets 1/16 on ≥ 2,000 puzzles of the two large files, the small
# files whole and 500 generated puzzles per tier.
# The 17-clue file: only its held-out side (the campaign trains on the rest, `@train`).
lane large --limit 2000 --budgets 1,16 "$data/forum_hardest_1905_11plus.txt.gz" "$data/royle_17clue.txt.gz@holdout" &
large=$!
lane small --limit 2000 --budgets 1,16 "$data/magictour_top1465.txt.gz" "$data/forum_hardest_1106.txt" \
  "$data/norvig_top95.txt" "$data/norvig_hardest.txt"
lane tiers --limit 500 --budgets 1,16 --tiers easy,medium,hard,extreme
wait "$large"
# Phase 2: larger test-time budgets on the first 100 of every set.
lane files-64 --limit 100 --budgets 16,32,64 "$data/forum_hardest_1106.txt" "$data/forum_hardest_1905_11plus.txt.gz" \
  "$data/magictour_top1465.txt.gz" "$data/norvig_hardest.txt" "$data/norvig_top95.txt" "$data/royle_17clue.txt.gz@holdout" &
files=$!
lane tiers-64 --limit 100 --budgets 16,32,64 --tiers easy,medium,hard,extreme
wait "$files"

for phase in "large small tiers" "files-64 tiers-64"; do
  first=1
  for name in $phase; do
    if [ $first = 1 ]; then cat "$out/$name.md"; first=0; else tail -n +3 "$out/$name.md"; fi
  done
  echo
done | tee "$out/table.md"
echo "evaluated in $(( $(date +%s) - start )) s; tables in $out/table.md, rows in $out/*.json"
