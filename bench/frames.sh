#!/usr/bin/env bash
# The server's CPU per WebSocket frame, against a release binary on a new SQLite database: one
# sequential client (400 question frames on one new encounter, then N keep-alive pings), then
# CLIENTS clients asking
# QUESTIONS questions each at once. CPU is the server process's user + system time over each
# phase (from /proc), divided by the frames answered; the clients' own rates and percentiles are
# printed by the load tools.
# Usage: bench/frames.sh [BINARY] [URL_QUERY] [N] [CLIENTS] [QUESTIONS]
#   URL_QUERY is appended to the database URL, e.g. '?synchronous=full' (default: none).
#   Defaults: target/release/dx0 '' 2000 50 40
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bin="${1:-target/release/dx0}"
query="${2:-}"
n="${3:-2000}"
clients="${4:-50}"
questions="${5:-40}"
[ -x "$bin" ] || { echo "no binary at $bin: make build" >&2; exit 1; }
cargo build --release --features ssr --example ws_load --example ws_ping -q

port=3197
dir="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

RUST_LOG=warn DX0_MESSAGE_RATE_LIMIT=1000000000 DX0_SOCKETS_PER_SESSION=1000 \
  "$bin" serve --addr "127.0.0.1:$port" --database "sqlite:$dir/frames.db$query" >/dev/null &
pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || { echo "the server did not start" >&2; exit 1; }
  sleep 0.05
done
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
# Milliseconds of server CPU per frame between two readings.
per_frame() { awk -v a="$1" -v b="$2" -v t="$ticks" -v f="$3" 'BEGIN { printf "%.3f", (b - a) * 1000 / t / f }'; }

token=$(curl -s -H 'Content-Type: application/json' -d '{"username":"physician","password":"secret"}' \
  "http://127.0.0.1:$port/api/v1/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
url="ws://127.0.0.1:$port/api/v1/ws?token=$token"
echo "binary: $bin, database URL suffix: '${query}'"

for phase in "question 400" "ping $n"; do
  set -- $phase
  before=$(cpu)
  target/release/examples/ws_ping "$url&new=1" "$2" "$1"
  after=$(cpu)
  echo "  server CPU per $1 frame (1 client): $(per_frame "$before" "$after" "$2") ms"
done

before=$(cpu)
target/release/examples/ws_load "$url" 0 "$clients" "$questions"
after=$(cpu)
echo "  server CPU per question frame ($clients clients): $(per_frame "$before" "$after" $((clients * questions))) ms"
