#!/usr/bin/env bash
# The GPU path's figures on a lent accelerator machine (bare, no Rust, no network), as one
# command: `benches/gpu.rs` built twice here, with burn's kernel fusion (what ships) and
# without, carried as binaries, and run there on native wgpu (Vulkan). Each run prints kernel
# launches per net call and per step at every offered K, kernels new after the warm-up, ms per
# net call at batch 1, 4, 16 and 64, and training puzzle-steps/s; the JSON comes back in $OUT.
#
# Here (it also works on this machine's lavapipe, a software Vulkan, to check the script):
#
#   source scripts/env.sh
#   for f in wgpu wgpu-unfused; do
#     cargo bench --bench gpu --features $f --no-run 2>&1 | tail -1
#     mkdir -p .device && cp "$(ls -t $CARGO_TARGET_DIR/release/deps/gpu-* | grep -v '\.d$' | head -1)" .device/gpu-$f
#   done
#   strip .device/gpu-*
#
# and with the Vulkan loader in .gl (see the device tool's README):
#
#   device run: OUT=$OUT bash scripts/campaign/gpu-bench-device.sh        (carry .device and .gl)
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${OUT:?set OUT to the folder that comes back}"
export TRM_BENCH_SECONDS=${TRM_BENCH_SECONDS:-3}
log="$OUT/gpu-bench.log"
exec > >(tee -a "$log") 2>&1

# The Vulkan loader (the image has NVIDIA's driver and its ICD file, not the loader).
if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  for deb in .gl/*.deb; do [[ -e "$deb" ]] && dpkg -x "$deb" /; done
  ldconfig 2>/dev/null || true
fi
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [[ -z "${VK_DRIVER_FILES:-}" && -f "$icd" ]]; then export VK_DRIVER_FILES=$icd; fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

status=0
for build in wgpu wgpu-unfused; do
  binary=.device/gpu-$build
  [[ -x "$binary" ]] || chmod +x "$binary" 2>/dev/null || true
  echo "== $build"
  if ! timeout "${PER_BUILD_S:-240}" "$binary" --json "$OUT/gpu-$build.json"; then
    echo "the $build bench failed or ran out of time"
    status=1
  fi
done
exit $status
