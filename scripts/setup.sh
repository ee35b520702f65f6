#!/usr/bin/env bash
# One-time (and idempotent) setup of everything the app and the tests need:
#   - the wasm32 standard library: `rustup target add`, or Debian's rustc-web + rust-web-src
#     (build-std) where rustup cannot download targets;
#   - lld (wasm-ld), Chromium with its driver, the Vulkan software drivers (WebGPU without a GPU);
#   - the other engines of the browser tests: Firefox ESR with geckodriver, WebKitGTK's
#     WebKitWebDriver (Safari's engine), and Xvfb for WebKit's window;
#   - trunk 0.21.x, wasm-bindgen-cli at exactly the Cargo.lock version, wasm-opt (npm binaryen);
#   - the npm packages of the browser tests (playwright-core; no browser download).
# A second run only checks versions and returns in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132.0.0
GECKODRIVER_VERSION=0.37.1
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- Debian packages ------------------------------------------------------------------------
need_pkgs=()
for pkg in lld patch curl fonts-dejavu-core chromium chromium-driver libvulkan1 mesa-vulkan-drivers \
  firefox-esr webkit2gtk-driver xvfb; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done

# --- rustfmt and clippy (the test command checks formatting and lints) ------------------------
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component" >/dev/null 2>&1 \
    || log "could not add $component with rustup"
done

# --- wasm32 standard library ----------------------------------------------------------------
if rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
  log "rustup has wasm32-unknown-unknown"
elif rustup target add wasm32-unknown-unknown >/dev/null 2>&1; then
  log "installed wasm32-unknown-unknown with rustup"
else
  log "rustup cannot add wasm32 here: using Debian's rustc-web with build-std"
  for pkg in rustc-web cargo-web rust-web-src; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_pkgs+=("$pkg")
  done
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "apt-get install ${need_pkgs[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# --- cargo-installed tools --------------------------------------------------------------------
install_crate() { # name version [binary]
  local name=$1 version=$2 bin=${3:-$1}
  if command -v "$bin" >/dev/null 2>&1 && "$bin" --version 2>/dev/null | grep -q " $version"; then
    log "$bin $version present"
    return
  fi
  log "cargo install $name $version (a few minutes, once)"
  # --locked reproduces the tool's own lock file; a registry mirror may lack one of its pins,
  # so fall back to fresh resolution.
  cargo install "$name" --version "=$version" --locked --quiet \
    || cargo install "$name" --version "=$version" --quiet
}
install_crate wasm-bindgen-cli "$WASM_BINDGEN_VERSION" wasm-bindgen
install_crate trunk "$TRUNK_VERSION"
install_crate geckodriver "$GECKODRIVER_VERSION"

# --- wasm-opt from npm (Debian's binaryen is too old) -----------------------------------------
if [ ! -x "$TRM_TOOLS/node_modules/.bin/wasm-opt" ] \
  || ! "$TRM_TOOLS/node_modules/.bin/wasm-opt" --version | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  log "npm install binaryen@$BINARYEN_VERSION"
  mkdir -p "$TRM_TOOLS"
  npm install --prefix "$TRM_TOOLS" --no-audit --no-fund --silent "binaryen@$BINARYEN_VERSION" >/dev/null
fi

# --- browser-test dependencies ----------------------------------------------------------------
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  log "npm ci (tests/browser)"
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi

# --- crates, so trunk's offline build finds them ------------------------------------------------
cargo fetch --quiet

# --- the patched burn crates' file times ------------------------------------------------------
# git keeps no file times: in a fresh clone vendor/ looks newer than the shared build of it in
# $TRM_CACHE, and cargo would rebuild the patched burn crates and every crate above them (about
# 8 minutes for the wasm release build here). Unless vendor/ has local changes, its files get
# the time of the commit that last changed them, which is when their contents were made.
if git rev-parse --git-dir >/dev/null 2>&1 && git diff --quiet HEAD -- vendor 2>/dev/null; then
  vendored_at=$(git log -1 --format=%ct -- vendor)
  if [ -n "$vendored_at" ]; then
    find vendor -type f -newermt "@$vendored_at" -exec touch -m -d "@$vendored_at" {} +
  fi
fi
log "ready"
