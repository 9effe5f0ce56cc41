#!/usr/bin/env python3
"""One encounter over the socket for `make test-llm` (run by scripts/test-llm.sh).

Signs in through the JSON API, opens /api/v1/ws on a new encounter of the given case, sends a
`panel_run` frame and reads frames until its done (or error) frame, then checks plumbing and
honesty, not accuracy: every deliberation heard all five personas (none "could not take part"),
a verdict arrived and is consistent with itself, no placeholder was judged correct, and the API key
appears in no frame. Every frame is written to --frames (one JSON object a line).

    test-llm-socket.py --base http://127.0.0.1:PORT --case ID --frames FILE [--timeout 900]

The password is read from DX0_TEST_PASSWORD, the key to look for from DX0_LLM_API_KEY.
Exit status: 0 when every check passed, 1 when one failed, 2 when the run could not happen.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

PERSONAS = ["hypothesis", "test-chooser", "challenger", "stewardship", "checklist"]
PLACEHOLDERS = {
    "", "no diagnosis", "no diagnosis reached", "no diagnosis made", "no final diagnosis",
    "none", "unknown", "unknown diagnosis", "n/a", "na", "tbd", "pending", "undetermined",
}


def post_json(url, body):
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--case", required=True)
    parser.add_argument("--user", default="llm-tester")
    parser.add_argument("--frames", required=True)
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()
    password = os.environ["DX0_TEST_PASSWORD"]
    key = os.environ.get("DX0_LLM_API_KEY", "")

    failures = []

    def fail(what):
        failures.append(what)
        print(f"FAIL socket: {what}", flush=True)

    status, login = post_json(
        f"{args.base}/api/v1/login", {"username": args.user, "password": password}
    )
    if status != 200 or not isinstance(login, dict) or "access_token" not in login:
        print(f"FAIL socket: login answered {status}: {login}", flush=True)
        return 2
    token = login["access_token"]

    query = urllib.parse.urlencode({"token": token, "case": args.case, "new": "1"})
    ws_url = args.base.replace("http://", "ws://", 1) + f"/api/v1/ws?{query}"
    started = time.monotonic()
    frames = []
    end = None
    # No client pings: the server may be busy with the panel between frames, and the run is long.
    with open(args.frames, "w") as log, connect(
        ws_url, ping_interval=None, close_timeout=5, max_size=None, open_timeout=30
    ) as socket:
        socket.send(json.dumps({"action": "panel_run", "id": "llm-run"}))
        deadline = started + args.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"no done frame within {args.timeout:.0f} s ({len(frames)} frames)")
                break
            try:
                text = socket.recv(timeout=left)
            except TimeoutError:
                continue
            except ConnectionClosed as closed:
                fail(f"the socket closed before the done frame: {closed}")
                break
            if key and key in text:
                fail("the API key appears in a frame")
            log.write(text + "\n")
            log.flush()
            frame = json.loads(text)
            frames.append(frame)
            kind = frame.get("type")
            if kind == "deliberation":
                heard = [c.get("persona") for c in frame.get("contributions", [])]
                print(
                    f"  socket: turn {frame.get('turn')} heard {len(heard)} personas, decided "
                    f"{(frame.get('proposal') or {}).get('type')} "
                    f"({time.monotonic() - started:.0f} s)",
                    flush=True,
                )
            elif kind == "step":
                print(
                    f"  socket: step {frame.get('action')}: {str(frame.get('content'))[:100]!r}",
                    flush=True,
                )
            if kind in ("done", "error") and frame.get("id") == "llm-run":
                end = frame
                break
    wall = time.monotonic() - started

    deliberations = [f for f in frames if f.get("type") == "deliberation"]
    words = {f.get("persona") for f in frames if f.get("type") == "panel"}
    if end is None:
        pass  # already failed above
    elif end.get("type") == "error":
        fail(f"the run ended with an error frame: {end.get('code')}: {end.get('error')}")
    if not deliberations:
        fail("no deliberation frame arrived")
    for turn in deliberations:
        contributions = turn.get("contributions", [])
        heard = [c.get("persona") for c in contributions]
        missing = [p for p in PERSONAS if p not in heard]
        if missing:
            fail(f"turn {turn.get('turn')}: no contribution from {', '.join(missing)}")
        for c in contributions:
            if c.get("failed") or "could not take part" in (c.get("text") or ""):
                fail(
                    f"turn {turn.get('turn')}: {c.get('persona')} could not take part: "
                    f"{(c.get('text') or '')[:200]}"
                )
    missing_words = [p for p in PERSONAS if p not in words]
    if frames and missing_words:
        fail(f"no streamed words (panel frames) from {', '.join(missing_words)}")

    verdict = end.get("verdict") if end and end.get("type") == "done" else None
    if end and end.get("type") == "done":
        if not isinstance(verdict, dict):
            fail(f"the done frame carries no verdict: {json.dumps(end)[:300]}")
        else:
            score, correct = verdict.get("score"), verdict.get("correct")
            given = str(verdict.get("given") or "").strip()
            if not isinstance(score, int) or not 1 <= score <= 5:
                fail(f"verdict score out of 1-5: {score!r}")
            elif correct != (score >= 4):
                fail(f"verdict correct={correct} disagrees with score {score}")
            if correct and given.lower().rstrip(".") in PLACEHOLDERS:
                fail(f"the placeholder {given!r} was judged correct")
            print(
                f"  socket: verdict {'correct' if correct else 'incorrect'} (score {score}/5), "
                f"given {given!r}, true {verdict.get('diagnosis')!r}, "
                f"total ${end.get('total_spent')}",
                flush=True,
            )

    turns = len(deliberations)
    per_turn = f"{wall / turns:.1f}" if turns else "-"
    # The line scripts/test-llm.sh reads for its timing table.
    print(f"SOCKET-TIMING wall={wall:.0f} turns={turns} per_turn={per_turn}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
