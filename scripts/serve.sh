#!/usr/bin/env bash
# Sets up (idempotent) and serves the app with the shipped default model: trunk serve on
# http://127.0.0.1:8080 (rebuilds on change). Pass --release for the small, optimised build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
wasm_env
exec trunk serve "$@"
