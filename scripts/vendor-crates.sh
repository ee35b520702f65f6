#!/usr/bin/env bash
# Re-derives the patched crates in vendor/ (what Cargo.toml's [patch.crates-io] points at) from
# the published crate, checked against its sha256, and this repository's patch in
# patches/<crate>/ (see vendor/README.md). vendor/ is committed, so a clone builds without this
# script; run it to check the provenance, or after changing a patch:
#   bash scripts/vendor-crates.sh --check   # exit 1 if vendor/ differs from crate + patch
#   bash scripts/vendor-crates.sh           # rewrite vendor/<crate> from crate + patch
# Takes the .crate file from cargo's cache when it is there, else from static.crates.io.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-write}
status=0

derive() { # name version sha256
  local name=$1 version=$2 sha=$3
  local archive
  archive=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/"$name-$version.crate" 2>/dev/null | head -1 || true)
  if [ -z "$archive" ] || ! echo "$sha  $archive" | sha256sum -c --quiet 2>/dev/null; then
    archive=$(mktemp --suffix=.crate)
    curl -fsSL --retry 3 -o "$archive" "https://static.crates.io/crates/$name/$name-$version.crate"
  fi
  echo "$sha  $archive" | sha256sum -c --quiet
  local work
  work=$(mktemp -d)
  tar -xzf "$archive" -C "$work" --strip-components=1
  for p in patches/"$name"/*.patch; do
    patch -s -p1 -d "$work" < "$p"
  done
  if [ "$mode" = --check ]; then
    if diff -r "$work" "vendor/$name" >/dev/null; then
      echo "[vendor] $name $version: vendor/$name is the published crate plus $(ls patches/"$name"/*.patch | xargs -n1 basename | tr '\n' ' ')"
    else
      echo "[vendor] $name $version: vendor/$name differs from the published crate plus its patch:" >&2
      diff -r "$work" "vendor/$name" | head -20 >&2
      status=1
    fi
    rm -rf "$work"
  else
    rm -rf "vendor/$name"
    chmod 755 "$work"
    mv "$work" "vendor/$name"
    echo "[vendor] $name $version written to vendor/$name"
  fi
}

derive burn-flex 0.22.1 7e05d08ef48d738fadf13f8689b634f8b396d5a8cbb27d0a87f61e163d241846
derive burn-cubecl-fusion 0.22.1 cc9bd97d88c053b3c4d62159b21681f6d67018fe1b63d48317cc15e8b349925d
exit $status
