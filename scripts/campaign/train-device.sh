#!/usr/bin/env bash
# One training leg on a lent accelerator machine (or, to try it, on the CPU): resumes the
# campaign's checkpoint, starts a new leg (warm-up, then cosine decay over LEG_STEPS steps) at a
# larger batch on the hard mixture, trains until done or MINUTES, and leaves the checkpoint, the
# metrics, a plot and an evaluation under $OUT. Commit $OUT/run as the new checkpoint.
#
#   BACKEND=cuda MINUTES=8 BATCH=768 LEG_STEPS=6000 bash scripts/campaign/train-device.sh
#
# Every value is a plain `trm train` flag, so the same leg reproduces on any machine:
#   trm train --out $OUT/run --new-leg --steps <now + LEG_STEPS> --batch-size $BATCH --lr $LR
#             --warmup $WARMUP --min-lr-ratio 0.05 --data $DATA --backend $BACKEND --minutes $MINUTES
# TRM_BIN points at an already-built `trm` (the test of this script uses it); otherwise the script
# builds one with the backend's feature (the patched crates are in vendor/; machines without
# network need a filled cargo registry).
set -euo pipefail
cd "$(dirname "$0")/../.."
MINUTES=${MINUTES:-8}
BATCH=${BATCH:-256}
LEG_STEPS=${LEG_STEPS:-3000}
LR=${LR:-5e-4}
WARMUP=${WARMUP:-200}
BACKEND=${BACKEND:-cuda}      # cuda, wgpu (Vulkan) or cpu (to try the script anywhere)
OUT=${OUT:-artifacts/device}
EVAL_LIMIT=${EVAL_LIMIT:-256}
EVAL_SIZE=${EVAL_SIZE:-128}   # puzzles per tier of the in-training evaluations
RESUME_FROM=${RESUME_FROM:-checkpoints/browser}
seventeen=data/sudoku/royle_17clue.txt.gz
if [[ -z "${DATA:-}" ]]; then
  if [[ -f "$seventeen" ]]; then DATA="hard-mix:$seventeen"; else DATA=hard-mix; fi
fi
run="$OUT/run"
mkdir -p "$OUT"
if [[ ! -e "$run/progress.json" ]]; then
  [[ -e "$RESUME_FROM/progress.json" ]] || { echo "no checkpoint in $RESUME_FROM" >&2; exit 1; }
  mkdir -p "$run" && cp -r "$RESUME_FROM"/. "$run"/
fi
if [[ -n "${TRM_BIN:-}" ]]; then
  trm=$TRM_BIN
else
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
  features=(); [[ "$BACKEND" != cpu ]] && features=(--features "$BACKEND")
  cargo build --release --locked --bin trm "${features[@]}" 2>&1 | tail -3
  trm="$CARGO_TARGET_DIR/release/trm"
fi
start_step=$(sed -E 's/.*"step":([0-9]+).*/\1/' "$run/progress.json")
steps=$(( start_step + LEG_STEPS ))
echo "leg: steps $start_step -> $steps, batch $BATCH, lr $LR, data $DATA, backend $BACKEND, at most $MINUTES min"
"$trm" train --out "$run" --new-leg --steps "$steps" --batch-size "$BATCH" --lr "$LR" --warmup "$WARMUP" \
  --min-lr-ratio 0.05 --data "$DATA" --backend "$BACKEND" --minutes "$MINUTES" \
  --eval-every 500 --eval-size "$EVAL_SIZE" --checkpoint-every 200 2>&1 | tr '\r' '\n' | grep -v '^$' | tail -40
"$trm" plot --metrics "$run/metrics.jsonl" --out "$OUT/training.png" || true
"$trm" eval --weights "$run" --tiers easy,medium,hard,extreme --limit "$EVAL_LIMIT" --budgets 16 \
  --backend "$BACKEND" --json "$OUT/eval.json" || true
echo "checkpoint in $run (step $(sed -E 's/.*"step":([0-9]+).*/\1/' "$run/progress.json")); commit it as $RESUME_FROM"
