#!/usr/bin/env bash
# Measures the release build: bundle sizes, start-up time, HTTP throughput and latency (wrk),
# WebSocket round trips, and the server's memory. Bounded: every load runs a fixed time on
# loopback and stops by itself.
# Usage: bench/run.sh            (after `make build`; installs wrk from Debian when missing)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bin="target/release/dx0"
[ -x "$bin" ] || { echo "build first: make build" >&2; exit 1; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --features ssr --example ws_ping -q

port=3199
dir="$(mktemp -d)"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

echo "== bundle"
for f in dx0.wasm dx0.js dx0.css; do
  raw=$(stat -c %s "target/site/pkg/$f")
  gz=$(gzip -9 -c "target/site/pkg/$f" | wc -c)
  printf '%-9s %7d bytes  (%d bytes gzip)\n' "$f" "$raw" "$gz"
done
printf 'dx0 binary %d bytes\n' "$(stat -c %s "$bin")"

echo "== start-up (new SQLite database, migrations included, until /healthz answers)"
t0=$(date +%s%N)
# The message limit is lifted so the question round trips below measure the counting itself.
RUST_LOG=warn DX0_MESSAGE_RATE_LIMIT=1000000000 "$bin" serve --addr "127.0.0.1:$port" --database "sqlite:$dir/bench.db" >/dev/null &
pid=$!
until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.01; done
echo "ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$pid/status"; }
echo "RSS idle: $(rss)"

echo "== HTTP (wrk, 2 threads, 32 connections, 10 s each)"
for path in /healthz /readyz / ; do
  echo "-- GET $path"
  wrk -t2 -c32 -d10s --latency "http://127.0.0.1:$port$path" | grep -E "Requests/sec|50%|99%|Non-2xx" || true
done
echo "RSS after load: $(rss)"

echo "== login (POST /api/v1/login, argon2id verify + session + tokens; 20 sequential)"
login() {
  curl -s -o "$dir/login.json" -w '%{time_total}\n' -H 'Content-Type: application/json' \
    -d '{"username":"physician","password":"secret"}' "http://127.0.0.1:$port/api/v1/login"
}
for _ in $(seq 20); do login; done | sort -n | awk '{a[NR]=$1} END {printf "p50 %.1f ms, max %.1f ms\n", a[int(NR/2)]*1000, a[NR]*1000}'
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["access_token"])' "$dir/login.json")

echo "== pages (server-rendered, signed in by cookie; wrk, 2 threads, 32 connections, 10 s each)"
# Sign in the way the browser does (a server function), then start an encounter from the library.
cookie=$(curl -s -D - -o /dev/null -d 'username=physician&password=secret&next=/' \
  "http://127.0.0.1:$port/api/fn/login" | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')
encounter=$(curl -s -D - -o /dev/null -H "Cookie: $cookie" -d 'case_id=rlq-pain-19m&budget=' \
  "http://127.0.0.1:$port/api/fn/start_encounter" | awk 'tolower($1)=="location:" {print $2}' | tr -d '\r')
# Eight turns in it, so the page renders a real transcript.
for q in "Where is the pain?" "When did it start?" "Any nausea or vomiting?" "Any fever?" \
  "Any urinary symptoms?" "Past medical history?" "Medications?" "Examine the abdomen" ; do
  python3 - "$port" "$token" "$encounter" "$q" <<'PY'
import asyncio, json, sys, websockets
port, token, encounter, q = sys.argv[1:5]
async def main():
    async with websockets.connect(f"ws://127.0.0.1:{port}/api/v1/ws?token={token}&encounter={encounter.rsplit('/', 1)[-1]}") as ws:
        await ws.send(json.dumps({"action": "question", "content": q}))
        while json.loads(await ws.recv()).get("type") == "reply":
            pass
asyncio.run(main())
PY
done
for path in /cases "$encounter" /encounters; do
  echo "-- GET $path"
  wrk -t2 -c32 -d10s --latency -H "Cookie: $cookie" "http://127.0.0.1:$port$path" | grep -E "Requests/sec|50%|99%|Non-2xx" || true
done

echo "== WebSocket (authenticated by token)"
target/release/examples/ws_ping "ws://127.0.0.1:$port/api/v1/ws?token=$token" 5000 ping
target/release/examples/ws_ping "ws://127.0.0.1:$port/api/v1/ws?token=$token" 2000 question
echo "RSS at end: $(rss)"

echo "== offline panel (dx0 run on every bundled case, unconstrained; process start-up included)"
panel_db="sqlite:$dir/panel.db"
"$bin" migrate --database "$panel_db" >/dev/null
t0=$(date +%s%N)
n=0
for file in data/cases/*.json; do
  "$bin" run "$(basename "$file" .json)" --database "$panel_db" --decisions-only >/dev/null
  n=$((n + 1))
done
echo "$n cases in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
