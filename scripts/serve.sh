#!/usr/bin/env bash
# Sets up (idempotent) and serves the app with the shipped default model: trunk serve on
# http://127.0.0.1:8080, rebuilding on change.
#
# By default it serves the release build, the one the test command makes, from the same build
# cache ($TRM_CACHE/target-wasm): after a test run, even from a fresh clone (whose own crates
# rebuild), the page was up in 192 s here, where a cold release build takes about 12 minutes.
# `--dev` serves the fast-compiling debug profile instead (quicker rebuilds while editing, a
# slower model on the CPU path). Other arguments go to trunk.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=(--release)
if [ "${1:-}" = "--dev" ]; then
  shift
  profile=()
fi
bash scripts/setup.sh
source scripts/env.sh
wasm_env
exec trunk serve "${profile[@]}" "$@"
