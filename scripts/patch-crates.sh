#!/usr/bin/env bash
# Builds the patched crates that Cargo.toml's [patch.crates-io] points at (see patches/*/README.md):
# the published crate, checked against its sha256, with this repository's patch applied, in
# patches/<crate>/crate (ignored by git). Idempotent: a stamp records which patch was applied.
# Takes the .crate file from cargo's cache when it is there, else from static.crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."

patch_crate() { # name version sha256
  local name=$1 version=$2 sha=$3
  local dir="patches/$name" out="patches/$name/crate"
  local stamp
  stamp="$version $(cat "$dir"/*.patch | sha256sum | cut -d' ' -f1)"
  if [ -f "$out/.patched" ] && [ "$(cat "$out/.patched")" = "$stamp" ]; then
    return
  fi
  local archive
  archive=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$name-$version.crate" 2>/dev/null | head -1 || true)
  if [ -z "$archive" ] || ! echo "$sha  $archive" | sha256sum -c --quiet 2>/dev/null; then
    archive=$(mktemp --suffix=.crate)
    curl -fsSL --retry 3 -o "$archive" "https://static.crates.io/crates/$name/$name-$version.crate"
  fi
  echo "$sha  $archive" | sha256sum -c --quiet
  rm -rf "$out" "$out.tmp"
  mkdir -p "$out.tmp"
  tar -xzf "$archive" -C "$out.tmp" --strip-components=1
  for p in "$dir"/*.patch; do
    patch -s -p1 -d "$out.tmp" < "$p"
  done
  echo "$stamp" > "$out.tmp/.patched"
  mv "$out.tmp" "$out"
  echo "[patch-crates] $name $version patched ($(ls "$dir"/*.patch | xargs -n1 basename | tr '\n' ' '))"
}

patch_crate burn-flex 0.22.1 7e05d08ef48d738fadf13f8689b634f8b396d5a8cbb27d0a87f61e163d241846
patch_crate burn-cubecl-fusion 0.22.1 cc9bd97d88c053b3c4d62159b21681f6d67018fe1b63d48317cc15e8b349925d
