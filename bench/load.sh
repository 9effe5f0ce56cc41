#!/usr/bin/env bash
# Many sockets at once against a release binary: IDLE sockets opened and left idle, then CLIENTS
# sockets asking QUESTIONS questions each, all at once. Prints round-trip percentiles and the
# server's resident memory before, with the sockets open, and after they closed.
# Usage: bench/load.sh [BINARY] [IDLE] [CLIENTS] [QUESTIONS]   (default target/release/dx0 1000 50 40)
# The limits are raised so the load is served, not refused: one user's 1,000 sockets stand for
# many users' (DX0_SOCKETS_PER_SESSION), and the message limit is lifted.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bin="${1:-target/release/dx0}"
idle="${2:-1000}"
clients="${3:-50}"
questions="${4:-40}"
[ -x "$bin" ] || { echo "no binary at $bin: make build" >&2; exit 1; }
cargo build --release --features ssr --example ws_load -q
ulimit -n 20000 || true

port=3198
dir="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

RUST_LOG=warn DX0_MESSAGE_RATE_LIMIT=1000000000 DX0_SOCKETS_PER_SESSION=1000 DX0_MAX_CONNECTIONS=5000 \
  "$bin" serve --addr "127.0.0.1:$port" --database "sqlite:$dir/load.db" >/dev/null &
pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || { echo "the server did not start" >&2; exit 1; }
  sleep 0.05
done
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$pid/status"; }
echo "binary: $bin"
echo "RSS idle: $(rss)"
token=$(curl -s -H 'Content-Type: application/json' -d '{"username":"physician","password":"secret"}' \
  "http://127.0.0.1:$port/api/v1/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
target/release/examples/ws_load "ws://127.0.0.1:$port/api/v1/ws?token=$token" "$idle" "$clients" "$questions" &
load=$!
peak=0
while kill -0 "$load" 2>/dev/null; do
  now=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  [ "$now" -gt "$peak" ] && peak=$now
  sleep 0.2
done
wait "$load"
echo "RSS peak under load: $peak kB"
sleep 12
echo "RSS 12 s after the sockets closed: $(rss)"
