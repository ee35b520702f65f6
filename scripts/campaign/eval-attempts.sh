#!/usr/bin/env bash
# The model card's parallel-attempts table: per set, K = 1, 4, 16, 64 at 64 steps, with
# rule-checked and halting-head-only selection, mean steps to the first verified attempt and net
# calls per puzzle (`trm eval --attempts`). Attempts nest, so one run at K = 64 scores every K.
# Subsets: 100 generated puzzles per tier; 30 of each public file (the held-out side of the
# 17-clue split, which training never sees). Noise and transforms as chosen by
# scripts/campaign/sweep-attempts.sh (NOISE, TRANSFORMS).
# Usage: scripts/campaign/eval-attempts.sh [WEIGHTS] [OUT_DIR]   (BUDGET=16 for the page's default step
# budget, KS=1,4,16 for fewer attempts)
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/env.sh
weights=${1:-assets/model.bpk}
out=${2:-artifacts/eval-attempts}
data=${DATA:-data/sudoku}
noise=${NOISE:-0.3}
transforms=${TRANSFORMS:-full}
limit=${LIMIT:-30}
budget=${BUDGET:-64}
ks=${KS:-1,4,16,64}
mkdir -p "$out"
cargo build --release --quiet --bin trm
trm="$CARGO_TARGET_DIR/release/trm"
run() {
  local name=$1; shift
  RAYON_NUM_THREADS=1 "$trm" eval --weights "$weights" --budgets "$budget" --attempts "$ks" --noise "$noise" \
    --transforms "$transforms" --batch 128 --json "$out/$name.json" "$@" > "$out/$name.md" 2> "$out/$name.log"
}
start=$(date +%s)
run tiers --limit 100 --tiers easy,medium,hard,extreme
run files --limit "$limit" "$data/norvig_hardest.txt" "$data/norvig_top95.txt" "$data/magictour_top1465.txt.gz" \
  "$data/royle_17clue.txt.gz@holdout" "$data/forum_hardest_1106.txt" "$data/forum_hardest_1905_11plus.txt.gz"
{ cat "$out/tiers.md"; tail -n +3 "$out/files.md"; } | tee "$out/table.md"
echo "evaluated in $(( $(date +%s) - start )) s; table in $out/table.md"
