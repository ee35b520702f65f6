#!/usr/bin/env bash
# One GPU training leg on a lent, bare accelerator machine with no Rust and no network, as one
# command. Carry a stripped `trm` built here with `--features wgpu` and the Vulkan loader
# (.gl/*.deb); the 17-clue file travels with the tree (data/sudoku/):
#
#   cargo build --release --bin trm --features wgpu
#   mkdir -p .device && strip -o .device/trm $CARGO_TARGET_DIR/release/trm && gzip .device/trm
#   device run: OUT=$OUT MINUTES=7 bash scripts/campaign/device-leg.sh      (carry .device and .gl)
#
# Back here, with F the folder the files came back to:
#   rm -f checkpoints/browser/carry.bpk && tar -C checkpoints/browser -xf F/checkpoint.tar
#   gunzip -c F/metrics.jsonl.gz > checkpoints/browser/metrics.jsonl
#
# Why wgpu (Vulkan) and not CUDA: burn 0.22's CUDA backend compiles kernels with an LLVM bundle
# that its build script downloads from the web, which this machine cannot reach.
#
# It picks the first backend that trains (wgpu, then the CPU; cuda too if BACKENDS names it and the
# binary has it), times 20 steps to size the leg so that its learning-rate decay ends inside
# MINUTES, runs scripts/campaign/train-device.sh, and leaves in $OUT what the device tool brings back (at
# most 8 files): the checkpoint without its carried states (too large at this batch; the next leg
# refills every slot), the metrics, the plot, the evaluation and the log.
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT to the folder that comes back}"
MINUTES=${MINUTES:-7}
BATCH=${BATCH:-768}
export TRM_BIN=${TRM_BIN:-$PWD/.device/trm}
seventeen=${SEVENTEEN:-data/sudoku/royle_17clue.txt.gz}
work=artifacts/device
# Carried files travel gzipped (the tool's limit on what travels is 64 MiB).
for packed in .device/*.gz; do [[ -e "$packed" && ! -e "${packed%.gz}" ]] && gunzip -k "$packed"; done
chmod +x "$TRM_BIN" 2>/dev/null || true
log="$OUT/log.txt"
exec > >(tee -a "$log") 2>&1
started=$(date +%s)

# The Vulkan loader (the image has NVIDIA's driver and its ICD file, not the loader).
if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  for deb in .gl/*.deb; do [[ -e "$deb" ]] && dpkg -x "$deb" /; done
  ldconfig 2>/dev/null || true
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [[ -z "${VK_DRIVER_FILES:-}" && -f "$icd" ]]; then export VK_DRIVER_FILES=$icd; fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
echo "VK_DRIVER_FILES=${VK_DRIVER_FILES:-} cores=$(nproc)"

rm -rf "$work" && mkdir -p "$work"
start_step=$(sed -E 's/.*"step":([0-9]+).*/\1/' checkpoints/browser/progress.json)
backend=""
# PER_STEP (seconds per step, from an earlier probe) and BACKENDS=<one> skip the probe.
[[ -n "${PER_STEP:-}" ]] && backend=${BACKENDS:-wgpu}
for candidate in ${BACKENDS:-wgpu cpu}; do
  [[ -n "$backend" ]] && break
  echo "probe: $candidate, 20 steps at batch $BATCH"
  rm -rf "$work/probe" && cp -r checkpoints/browser "$work/probe"
  if timeout 180 "$TRM_BIN" train --out "$work/probe" --new-leg --steps $((start_step + 20)) --batch-size "$BATCH" \
    --data "hard-mix:$seventeen" --backend "$candidate" --eval-every 0 --checkpoint-every 1000 2>&1 |
    tr '\r' '\n' | grep -v '^$' | tail -3; then
    backend=$candidate
    break
  fi
done
[[ -n "$backend" ]] || { echo "no backend trained"; exit 1; }
# Seconds per step from the probe's last 10 steps (the first ones compile kernels).
per_step=${PER_STEP:-}
[[ -n "$per_step" ]] || per_step=$(tail -11 "$work/probe/metrics.jsonl" | sed -E 's/.*"elapsed_s":([0-9.]+).*/\1/' |
  awk 'NR==1{a=$1} {b=$1} END{printf "%.4f", (b-a)/10}')
spent=$(( $(date +%s) - started ))
# What is left of MINUTES after the probe, less a minute for start-up, evaluations and the
# final evaluation; the leg's decay is sized to end inside it.
budget_s=$(awk -v m="$MINUTES" -v s="$spent" 'BEGIN{print m*60 - s - 60}')
leg_steps=$(awk -v b="$budget_s" -v p="$per_step" 'BEGIN{n=int(b/p*0.9); print (n<50?50:n)}')
echo "backend $backend: $per_step s per step at batch $BATCH; leg of $leg_steps steps in ${budget_s}s"
minutes_left=$(awk -v b="$budget_s" 'BEGIN{printf "%.2f", (b+30)/60}')

OUT="$work" RESUME_FROM=checkpoints/browser BACKEND="$backend" TRM_BIN="$TRM_BIN" BATCH="$BATCH" \
  LEG_STEPS="$leg_steps" MINUTES="$minutes_left" DATA="hard-mix:$seventeen" EVAL_LIMIT=${EVAL_LIMIT:-500} \
  LR=${LR:-5e-4} WARMUP=${WARMUP:-100} bash scripts/campaign/train-device.sh

tar -C "$work/run" -cf "$OUT/checkpoint.tar" --exclude carry.bpk --exclude metrics.jsonl --exclude final.bpk --exclude final.json .
gzip -c "$work/run/metrics.jsonl" > "$OUT/metrics.jsonl.gz"
cp "$work/training.png" "$work/eval.json" "$OUT/" 2>/dev/null || true
echo "done in $(( $(date +%s) - started )) s"
