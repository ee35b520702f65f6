# Shared environment for the scripts (sourced, not run).
# Build caches live outside the clone, so fresh clones (CI) reuse them.
export TRM_CACHE="${TRM_CACHE:-$HOME/.cache/trm-sudoku}"
export TRM_TOOLS="$TRM_CACHE/tools"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$TRM_CACHE/target}"
export PATH="$HOME/.cargo/bin:$TRM_TOOLS/node_modules/.bin:$PATH"

# Environment for building the wasm app (trunk). With rustup's wasm32 target nothing special
# is needed; otherwise Debian's rustc-web builds the standard library itself (build-std).
wasm_env() {
  export CARGO_TARGET_DIR="$TRM_CACHE/target-wasm"
  if rustup target list --installed 2>/dev/null | grep -q '^wasm32-unknown-unknown$'; then
    return
  fi
  if [ ! -x /usr/bin/cargo ] || [ ! -d /usr/lib/rustlib/src/rust ]; then
    echo "no wasm32 toolchain: run scripts/setup.sh first" >&2
    return 1
  fi
  local shim="$TRM_CACHE/debian-rust/bin"
  mkdir -p "$shim"
  ln -sf /usr/bin/cargo "$shim/cargo"
  ln -sf /usr/bin/rustc "$shim/rustc"
  ln -sf /usr/bin/rustdoc "$shim/rustdoc" 2>/dev/null || true
  export PATH="$shim:$PATH"
  export RUSTC=/usr/bin/rustc
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld
}
