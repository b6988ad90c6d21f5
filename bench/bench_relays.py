"""`pressctl send` itself against a real, limited Postfix (issue 11, point 8): everyone once, how long, how
many attempts the relay refused.

Run as root: ``.venv/bin/python bench/bench_relays.py [--messages 60] [--concurrency 4] [--runs 1]
[--send-args "--rate 2/s"]``.
Starts its own Postfix (tests/postfix_support.py) limiting a client to 2 connections and 20 messages per
10 s (anvil, loopback included), makes a workspace with the sample-style release and a list of N
journalists of the relay's virtual domain, and runs ``pressctl send --concurrency K --yes`` with no
``--rate`` (the generic profile: no rate) as a subprocess, running it again while it exits 1 with people
pending (as a press officer would). Prints the wall time, the exit statuses, the attempts the ledger
recorded beyond one per recipient, Postfix's own count of refusals (its anvil warnings), and checks that
every journalist got exactly one message (by Message-ID in the Maildirs).

The limit allows 60 messages in about 30 s (20 per 10 s window). How close pressctl comes depends on how
its engine reads "450 4.7.1 too much mail" and "421 4.7.0 too many connections" (issue 11 point 2).

``--two-relays``: two Postfix instances, each with the same limits, ``pressctl send --smtp A --smtp B``;
once a third of the list has arrived, relay B is killed (``postfix abort``). pressctl takes B out of
rotation and A finishes; B is then started again (delivering what it had queued) and the command run once
more for anyone B left with an unknown outcome. Prints the wall time of the first run, what its summary
said, and checks every journalist got exactly one message across both relays' Maildirs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from postfix_support import PostfixRelay, _free_port, postfix_unavailable

from pressctl.scaffold import init_workspace

PRESSCTL = str(Path(sys.executable).parent / "pressctl")

RELEASE = """\
---
title: Harbourview Science Park Opens Its Wave Tank to Visiting Schools
date: 2026-11-29
dateline: Hong Kong
language: en
summary: Secondary schools can book the park's wave tank for science lessons from January.
---
Dear {{ first_name or "editor" }}, from January secondary schools can book the wave tank in HVSP's marine
engineering hall for a morning of experiments guided by the park's engineers.

Bookings open on 2 December; each visit takes up to 30 students.
"""


def workspace(root: Path, count: int) -> tuple[Path, Path, Path]:
    ws = root / "ws"
    init_workspace(ws)
    release = ws / "releases" / "wave-tank.md"
    release.write_text(RELEASE, encoding="utf-8")
    lists = ws / "contacts" / "bench.csv"
    with lists.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "first_name"])
        for i in range(count):
            writer.writerow([f"reporter+{i}@hvsp.test", f"Reporter{i}"])
    return ws, release, lists


def run_once(count: int, concurrency: int, extra: list[str]) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="pressctl-postfix-"))
    os.chmod(root, 0o755)
    relay = PostfixRelay(root=root, port=_free_port(), mailboxes=("press", "reporter"), settings={
        "smtpd_client_connection_count_limit": "2",
        "smtpd_client_message_rate_limit": "20",
        "anvil_rate_time_unit": "10s",
        "recipient_delimiter": "+",
    })
    ws, release, lists = workspace(root, count)
    env = {k: v for k, v in os.environ.items() if k != "PRESSCTL_SMTP_PASSWORD"}
    args = [PRESSCTL, "send", str(release), "-c", str(lists), "--smtp", relay.url, "--concurrency",
            str(concurrency), "--yes", *extra]
    statuses: list[int] = []
    try:
        relay.start()
        started = time.monotonic()
        for _ in range(10):  # re-run while people are left pending, as the summary says to
            proc = subprocess.run(args, cwd=ws, env=env, capture_output=True, text=True, timeout=900, check=False)
            statuses.append(proc.returncode)
            if proc.returncode != 1 or "pending" not in proc.stderr + proc.stdout:
                break
        wall = time.monotonic() - started
        relay.wait_delivered(timeout=120, expect=lambda: len(relay.maildir("reporter")) >= count)
        ids = Counter(m["Message-ID"] for m in relay.messages("reporter"))
        report = subprocess.run([PRESSCTL, "report", "--format", "json"], cwd=ws, env=env, capture_output=True,
                                text=True, timeout=60, check=False)
        attempts = 0
        if report.returncode == 0:
            data = json.loads(report.stdout)
            attempts = sum(int(r.get("attempts", 0)) for r in data.get("recipients", []))
        log = relay.log()
        return {
            "hand-overs per 5 s": _timeline(ws),
            "seconds": round(wall, 1),
            "exit": statuses,
            "delivered": len(ids),
            "duplicates": sum(c - 1 for c in ids.values()),
            "attempts beyond one each": attempts - count if attempts else "?",
            "postfix refused connections": log.count("Connection concurrency limit exceeded"),
            "postfix refused messages": log.count("Message delivery request rate limit exceeded"),
            "last lines": proc.stdout.strip().splitlines()[-1:] + proc.stderr.strip().splitlines()[-2:],
        }
    finally:
        relay.stop()
        shutil.rmtree(root, ignore_errors=True)


def _timeline(ws: Path) -> list[int]:
    """How many hand-overs the ledger recorded in each 5-second step from the first: where the time went."""
    import datetime as dt
    import sqlite3

    conn = sqlite3.connect(ws / ".pressctl" / "ledger.sqlite3")
    try:
        times = [dt.datetime.fromisoformat(at) for (at,) in conn.execute("SELECT at FROM handovers ORDER BY at")]
    finally:
        conn.close()
    if not times:
        return []
    steps = [int((t - times[0]).total_seconds() // 5) for t in times]
    return [steps.count(i) for i in range(steps[-1] + 1)]


def run_two(count: int, concurrency: int, extra: list[str]) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="pressctl-postfix2-"))
    os.chmod(root, 0o755)
    limits = {
        "smtpd_client_connection_count_limit": "2",
        "smtpd_client_message_rate_limit": "20",
        "anvil_rate_time_unit": "10s",
        "recipient_delimiter": "+",
    }
    a = PostfixRelay(root=root / "a", port=_free_port(), mailboxes=("press", "reporter"), settings=limits)
    b = PostfixRelay(root=root / "b", port=_free_port(), mailboxes=("press", "reporter"), settings=limits)
    ws, release, lists = workspace(root, count)
    env = {k: v for k, v in os.environ.items() if k != "PRESSCTL_SMTP_PASSWORD"}
    args = [PRESSCTL, "send", str(release), "-c", str(lists), "--smtp", a.url, "--smtp", b.url, "--concurrency",
            str(concurrency), "--yes", *extra]
    try:
        for relay in (a, b):
            (relay.root).mkdir(parents=True, exist_ok=True)
            relay.start()
        started = time.monotonic()
        proc = subprocess.Popen(args, cwd=ws, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        killed_at = None
        while proc.poll() is None:
            if killed_at is None and len(a.maildir("reporter")) + len(b.maildir("reporter")) >= count // 3:
                b._postfix("abort", check=False)
                killed_at = round(time.monotonic() - started, 1)
            time.sleep(0.05)
        out, err = proc.communicate()
        wall = time.monotonic() - started
        first_exit = proc.returncode
        b.start()  # B back: it delivers what it queued before the kill
        again = subprocess.run(args, cwd=ws, env=env, capture_output=True, text=True, timeout=900, check=False)
        for relay in (a, b):
            relay.wait_delivered(timeout=120)
        ids = Counter(m["Message-ID"] for relay in (a, b) for m in relay.messages("reporter"))
        return {
            "seconds (first run)": round(wall, 1),
            "B killed at": killed_at,
            "first exit": first_exit,
            "delivered by A / B": (len(a.maildir("reporter")), len(b.maildir("reporter"))),
            "re-run exit": again.returncode,
            "delivered": len(ids),
            "duplicates": sum(c - 1 for c in ids.values()),
            "summary": [line for line in out.splitlines() if line.startswith(("campaign", "relay "))]
            + err.strip().splitlines()[-2:],
            "re-run said": again.stdout.strip().splitlines()[-3:],
        }
    finally:
        for relay in (a, b):
            relay.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--send-args", default="", help='more `pressctl send` options, e.g. "--rate 2/s"')
    parser.add_argument("--two-relays", action="store_true", help="two Postfix relays, one killed mid-run")
    args = parser.parse_args()
    why = postfix_unavailable()
    if why:
        raise SystemExit(f"skipped: {why}")
    run = run_two if args.two_relays else run_once
    for _ in range(args.runs):
        print(run(args.messages, args.concurrency, args.send_args.split()), flush=True)


if __name__ == "__main__":
    main()
