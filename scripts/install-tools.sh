#!/usr/bin/env bash
# Installs the build and test tools Dx0 needs, skipping each one that is already there.
# Usage: scripts/install-tools.sh [build|test|postgres|all]   (default: build)
set -euo pipefail

WASM_BINDGEN_VERSION="0.2.130"
BINARYEN_VERSION="132.0.0"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
what="${1:-build}"

log() { printf '==> %s\n' "$*" >&2; }

apt_install() {
  # apt-get needs root; CI and these machines run as root.
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ ! -f "$TOOLS/.apt-updated" ]; then
    $sudo apt-get update -qq
    mkdir -p "$TOOLS" && touch "$TOOLS/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -o Dpkg::Options::=--force-confold "$@" >/dev/null
}

install_build() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
    log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes)"
    # Not --locked: its lock file names a crate version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
  # Debian's binaryen produces wasm that fails to hydrate; npm's build is known good.
  if ! "$TOOLS/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
    log "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm into .tools/"
    mkdir -p "$TOOLS"
    npm install --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION"
  fi
}

install_test() {
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian chromium"
    apt_install chromium
  fi
  if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ]; then
    log "installing the Playwright test runner (no browser download)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund)
  fi
}

install_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    log "installing Debian postgresql (server binaries; tests start their own server)"
    apt_install postgresql
    # Debian may start a default cluster on install; nothing of ours uses it, and a server left
    # running can keep CI from finishing.
    if command -v pg_lsclusters >/dev/null; then
      pg_lsclusters -h | awk '$4 == "online" {print $1, $2}' | while read -r ver name; do
        pg_ctlcluster "$ver" "$name" stop || true
      done
    fi
  fi
}

case "$what" in
  build) install_build ;;
  test) install_build; install_test; install_postgres ;;
  postgres) install_postgres ;;
  all) install_build; install_test; install_postgres ;;
  *) echo "usage: $0 [build|test|postgres|all]" >&2; exit 2 ;;
esac
