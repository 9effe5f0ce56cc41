#!/usr/bin/env bash
# The server's CPU per WebSocket frame, against a release binary on a new SQLite database: one
# sequential client (400 question frames on one new encounter, then N keep-alive pings), then
# CLIENTS clients asking
# QUESTIONS questions each at once. CPU is the server process's user + system time over each
# phase (from /proc), divided by the frames answered; the clients' own rates and percentiles are
# printed by the load tools.
# With DATABASE=postgres the server works on a throw-away PostgreSQL server with its durable
# defaults (scripts/with-postgres.sh), and the CPU of every PostgreSQL process is counted too.
# Usage: [DATABASE=sqlite|postgres] bench/frames.sh [BINARY] [URL_QUERY] [N] [CLIENTS] [QUESTIONS]
#   URL_QUERY is appended to the database URL, e.g. '?synchronous=full' (default: none).
#   Defaults: target/release/dx0 '' 2000 50 40
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
database="${DATABASE:-sqlite}"
if [ "$database" = postgres ] && [ -z "${DX0_E2E_POSTGRES_URL:-}" ]; then
  DX0_PG_DURABLE=1 exec scripts/with-postgres.sh "$0" "$@"
fi
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

case "$database" in
  sqlite) url_of_db="sqlite:$dir/frames.db$query" ;;
  postgres) url_of_db="$DX0_E2E_POSTGRES_URL$query" ;;
  *) echo "DATABASE is sqlite or postgres, not $database" >&2; exit 2 ;;
esac
RUST_LOG=warn DX0_MESSAGE_RATE_LIMIT=1000000000 DX0_SOCKETS_PER_SESSION=1000 \
  "$bin" serve --addr "127.0.0.1:$port" --database "$url_of_db" >/dev/null &
pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do
  kill -0 "$pid" 2>/dev/null || { echo "the server did not start" >&2; exit 1; }
  sleep 0.05
done
ticks=$(getconf CLK_TCK)
# The server's user + system ticks, and with PostgreSQL those of every postgres process as well.
cpu() {
  local stats=("/proc/$pid/stat")
  if [ "$database" = postgres ]; then
    for p in $(pgrep -x postgres); do stats+=("/proc/$p/stat"); done
  fi
  cat "${stats[@]}" 2>/dev/null | awk '{ sum += $14 + $15 } END { print sum }'
}
# Milliseconds of server CPU per frame between two readings.
per_frame() { awk -v a="$1" -v b="$2" -v t="$ticks" -v f="$3" 'BEGIN { printf "%.3f", (b - a) * 1000 / t / f }'; }

token=$(curl -s -H 'Content-Type: application/json' -d '{"username":"physician","password":"secret"}' \
  "http://127.0.0.1:$port/api/v1/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
url="ws://127.0.0.1:$port/api/v1/ws?token=$token"
echo "binary: $bin, database: $database, URL suffix: '${query}'"

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
