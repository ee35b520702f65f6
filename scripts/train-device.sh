#!/usr/bin/env bash
# One short training run on a lent accelerator machine (see DEVELOPERS.md, `device`):
# builds the CLI with a GPU backend, trains for MINUTES, and leaves checkpoints, metrics and a
# plot under $OUT for committing. Resumes if $OUT/run (or RESUME_FROM) already holds a checkpoint.
#
#   PRESET=paper_mlp MINUTES=45 BATCH=256 SEED=1 BACKEND=cuda bash scripts/train-device.sh
#
# Every value is a plain `trm train` flag, so the same run reproduces on any machine:
#   trm train --preset $PRESET --backend $BACKEND --batch-size $BATCH --seed $SEED --out DIR
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET=${PRESET:-paper_mlp}
MINUTES=${MINUTES:-8}
BATCH=${BATCH:-256}
SEED=${SEED:-1}
BACKEND=${BACKEND:-cuda}      # cuda, wgpu (Vulkan) or cpu (to try the script anywhere)
OUT=${OUT:-artifacts/device}
EVAL_LIMIT=${EVAL_LIMIT:-512}
run="$OUT/run"
mkdir -p "$OUT"
if [[ -n "${RESUME_FROM:-}" && ! -e "$run/progress.json" ]]; then
  mkdir -p "$run" && cp -r "$RESUME_FROM"/. "$run"/
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
features=(); [[ "$BACKEND" != cpu ]] && features=(--features "$BACKEND")
cargo build --release --locked --bin trm "${features[@]}" 2>&1 | tail -3
trm="$CARGO_TARGET_DIR/release/trm"
"$trm" train --preset "$PRESET" --backend "$BACKEND" --batch-size "$BATCH" \
  --seed "$SEED" --out "$run" --minutes "$MINUTES" --eval-every 500 --eval-size 256 \
  --checkpoint-every 200 2>&1 | tr '\r' '\n' | grep -v '^$' | tail -40
"$trm" plot --metrics "$run/metrics.jsonl" --out "$OUT/training.png" || true
"$trm" eval --weights "$run" --tiers easy,medium,hard --limit "$EVAL_LIMIT" --budgets 16,32 \
  --backend "$BACKEND" --json "$OUT/eval.json" || true
