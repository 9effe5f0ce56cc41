#!/usr/bin/env bash
# Builds the server binary and the browser bundle into target/site without cargo-leptos,
# in the same layout cargo-leptos produces (pkg/dx0.js, pkg/dx0.wasm, pkg/dx0.css, assets).
# Usage: scripts/build.sh [debug|release]
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
profile="${1:-release}"
export PATH="$ROOT/.tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
site="target/site"
pkg="$site/pkg"

case "$profile" in
  release)
    cargo build --release --features ssr --bin dx0
    cargo build --lib --profile wasm-release --target wasm32-unknown-unknown \
      --no-default-features --features hydrate
    wasm_in="target/wasm32-unknown-unknown/wasm-release/dx0.wasm"
    ;;
  debug)
    cargo build --features ssr --bin dx0
    cargo build --lib --target wasm32-unknown-unknown --no-default-features --features hydrate
    wasm_in="target/wasm32-unknown-unknown/debug/dx0.wasm"
    ;;
  *)
    echo "usage: $0 [debug|release]" >&2
    exit 2
    ;;
esac

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name dx0 "$wasm_in"
# The server's hydration script asks for pkg/dx0.wasm (cargo-leptos's name), not dx0_bg.wasm.
mv "$out/dx0_bg.wasm" "$out/dx0.wasm"
if [ "$profile" = release ]; then
  # wasm-opt from npm's binaryen: Debian's build produces bundles that fail to hydrate.
  wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$out/dx0.wasm" -o "$out/dx0.opt.wasm"
  mv "$out/dx0.opt.wasm" "$out/dx0.wasm"
fi
cp style/main.css "$out/dx0.css"

# Replace the site in one step so a running server never sees half a bundle.
mkdir -p "$site"
cp -R public/. "$site/"
rm -rf "$pkg.new" && mkdir -p "$pkg.new"
cp "$out"/dx0.js "$out"/dx0.wasm "$out"/dx0.css "$pkg.new/"
if [ "$profile" = release ]; then
  gzip -9 -k -f "$pkg.new"/dx0.js "$pkg.new"/dx0.wasm "$pkg.new"/dx0.css
fi
rm -rf "$pkg" && mv "$pkg.new" "$pkg"

wasm_size=$(stat -c %s "$pkg/dx0.wasm")
echo "built $profile: target/$( [ "$profile" = release ] && echo release || echo debug )/dx0 and $pkg (dx0.wasm $((wasm_size / 1024)) KiB)"
