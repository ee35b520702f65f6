#!/usr/bin/env bash
# burn (flex CPU) vs PyTorch (CPU) on this machine, in one run, same cases and thread count.
# Needs a Python with torch: TORCH_PYTHON=/path/to/python (default: python3).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
threads=${THREADS:-$(nproc)}
py=${TORCH_PYTHON:-python3}
out=artifacts/bench-model; mkdir -p "$out"
export TRM_BENCH_SECONDS=${TRM_BENCH_SECONDS:-5}
RAYON_NUM_THREADS=$threads cargo bench --bench model -- --json "$out/burn.json"
# PyTorch twice: the reference code's net, and the same net computed as burn computes it
# (position-major, split gate/up weight), so that a gain from the reformulation is not
# mistaken for one of the backend.
for formulation in reference position-major; do
  (cd tests/reference && "$py" bench_pytorch.py --threads "$threads" --seconds "$TRM_BENCH_SECONDS" \
     --presets "${TRM_BENCH_PRESETS:-browser,paper_mlp}" --formulation "$formulation" \
     --json "../../$out/pytorch-$formulation.json")
done
"$py" - "$out" <<'PY'
import json, sys
out = sys.argv[1]
burn = {r["preset"]: r for r in json.load(open(f"{out}/burn.json"))}
print("\nthroughput ratio burn / PyTorch (>1 means burn is faster)")
print("| preset | PyTorch net | net call b=1 | net call b=64 | train step |")
print("|---|---|---|---|---|")
for formulation in ("reference", "position-major"):
    torch = {r["preset"]: r for r in json.load(open(f"{out}/pytorch-{formulation}.json"))}
    for name, b in burn.items():
        t = torch.get(name)
        if not t: continue
        r = lambda k: t[k] / b[k]
        print(f"| {name} | {formulation} | {r('net_call_b1_ms'):.2f}x | {r('net_call_b64_ms'):.2f}x | {r('train_step_ms'):.2f}x |")
PY
