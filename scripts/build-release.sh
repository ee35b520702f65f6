#!/usr/bin/env bash
# The hosted build: `trunk build --release` (opt-level z, fat LTO, wasm-opt -Oz) into dist/,
# self-contained with relative URLs, so it can be served from any sub-path such as /trm/.
# Then prints the gzipped sizes and fails if wasm + weights exceed the budget.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
wasm_env
trunk build --release --offline "$@"
bash scripts/size-budget.sh dist
