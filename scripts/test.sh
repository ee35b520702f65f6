#!/usr/bin/env bash
# Sets up a fresh machine (idempotent) and runs every test:
#   0. formatting (rustfmt) and lints (clippy, warnings are errors) of the library, the CLI, the
#      tests and the app (the app on wasm32, where the rustup toolchain has that target);
#   1. native: cargo test (Sudoku core, model, parity with the PyTorch goldens, training,
#      shipped weights, parser fuzzing);
#   2. the wasm app: the hosted build (`trunk build --release`: opt-level z, fat LTO, wasm-opt),
#      which is quick to rebuild incrementally, and its size budget;
#   3. browser tests: Playwright (playwright-core + Debian Chromium) against that build, on
#      WebGPU (SwiftShader) and on the CPU fallback; the core flows in Firefox ESR and WebKitGTK
#      over W3C WebDriver (tests/browser/webdriver.mjs).
# Screenshots and logs land in artifacts/ (ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
stamp() { printf '\033[1m[test %4ss]\033[0m %s\n' "$(( $(date +%s) - start ))" "$*"; }

stamp "setup"
bash scripts/setup.sh
source scripts/env.sh
mkdir -p artifacts

stamp "formatting, lints and vendored crates"
# vendor/ is the published crates plus patches/ and nothing else (a clean clone builds from it
# with no script run first: this whole run is that proof).
bash scripts/vendor-crates.sh --check
cargo fmt --all --check
cargo clippy --locked --offline --all-targets -- -D warnings
if rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  ( wasm_env && cargo clippy --locked --offline -p trm-app -p trm-worker --target wasm32-unknown-unknown --profile wasm-dev -- -D warnings )
fi

stamp "cargo build as cloned (offline; no script touched what cargo reads)"
# Setup only installs tools and fills the registry cache (cargo fetch): the sources cargo reads
# are as committed, so in a fresh clone (CI) this proves that `cargo build --offline` needs no
# script first (the patched burn crates are committed in vendor/).
touched=$(git status --porcelain --ignored -- Cargo.toml Cargo.lock .cargo src crates vendor app worker benches \
  | grep -v '^!! .*/target/$' || true)
if [ -n "$touched" ]; then
  echo "the sources cargo reads differ from the commit:"; echo "$touched"
  if [ -n "${TRM_CLEAN_CLONE:-}" ]; then exit 1; fi
fi
# The test profile: the same artifacts the tests then use, so this step costs no second build.
cargo build --locked --offline --profile test

stamp "native tests"
cargo test --locked --offline

stamp "wasm build (trunk build --release) and size budget"
( wasm_env && trunk build --release --offline )
bash scripts/size-budget.sh dist

stamp "browser tests"
# Every engine must run here (setup installed them): a missing one fails rather than skips.
( cd tests/browser && TRM_ALL_ENGINES=1 node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs )

stamp "all tests passed"
