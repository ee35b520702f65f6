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
(cd tests/reference && "$py" bench_pytorch.py --threads "$threads" --seconds "$TRM_BENCH_SECONDS" \
   --presets "${TRM_BENCH_PRESETS:-browser,paper_mlp}" --json "../../$out/pytorch.json")
"$py" - "$out" <<'PY'
import json, sys
out = sys.argv[1]
burn = {r["preset"]: r for r in json.load(open(f"{out}/burn.json"))}
torch = {r["preset"]: r for r in json.load(open(f"{out}/pytorch.json"))}
print("\nthroughput ratio burn / PyTorch (>1 means burn is faster)")
print("| preset | net call b=1 | net call b=64 | train step |")
print("|---|---|---|---|")
for name, b in burn.items():
    t = torch.get(name)
    if not t: continue
    r = lambda k: t[k] / b[k]
    print(f"| {name} | {r('net_call_b1_ms'):.2f}x | {r('net_call_b64_ms'):.2f}x | {r('train_step_ms'):.2f}x |")
PY
