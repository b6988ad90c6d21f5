"""How close to the lift scheduled mail leaves: lag of the first and last arrival after a job's time.

Runs a real `pressctl dispatch --watch` process against the test SMTP server (aiosmtpd, on 127.0.0.1)
with the sample release (`pressctl init`: English + Chinese, photo, two PDFs) and N recipients, a job
a few seconds ahead, several times. For comparison, the same through the library with the job taken up
only at its time (lead 0) instead of DEFAULT_LEAD seconds ahead, to show what the lead buys.

    .venv/bin/python bench/bench_dispatch_lag.py [--recipients 200] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from smtp_server import SmtpTestServer

from pressctl.config import load_workspace
from pressctl.scaffold import init_workspace
from pressctl.schedule.dispatcher import Dispatcher
from pressctl.schedule.request import ScheduleRequest, open_store, schedule_release
from pressctl.send.scheduled import LedgerCampaignSender

PRESSCTL = str(Path(sys.executable).with_name("pressctl"))


def _prepare(root: Path, server: SmtpTestServer, recipients: int, ahead: float) -> tuple[dt.datetime, float]:
    init_workspace(root)
    release = root / "releases" / "sample.md"
    lift = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=ahead)
    text = release.read_text(encoding="utf-8").replace(
        "embargo: 2030-03-12T10:00:00+08:00", f"embargo: {lift:%Y-%m-%dT%H:%M:%SZ}"
    )
    release.write_text(text, encoding="utf-8")
    contacts = root / "list.csv"
    rows = ["email,first_name"] + [f"desk{i:05d}@wire.example,Desk {i}" for i in range(recipients)]
    contacts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    workspace = load_workspace(root)
    store = open_store(workspace.ledger_path)
    started = time.perf_counter()
    schedule_release(
        ScheduleRequest(
            release=release, contacts=(contacts,), options={"smtp": server.url(), "concurrency": 4}
        ),
        workspace=workspace,
        store=store,
        engine=LedgerCampaignSender(ledger_path=workspace.ledger_path),
    )
    store.conn.close()
    return lift, time.perf_counter() - started


def _lags(server: SmtpTestServer, lift: dt.datetime, n: int, timeout: float = 120) -> tuple[float, float]:
    end = time.monotonic() + timeout
    while len(server.messages) < n and time.monotonic() < end:
        time.sleep(0.05)
    lift_mono = time.monotonic() + (lift.timestamp() - time.time())
    times = sorted(m.time for m in server.messages)
    assert len(times) == n, f"{len(times)} of {n} arrived"
    return times[0] - lift_mono, times[-1] - lift_mono


def run_process(recipients: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as tmp, SmtpTestServer() as server:
        root = Path(tmp) / "ws"
        lift, schedule_time = _prepare(root, server, recipients, ahead=8)
        proc = subprocess.Popen(
            [PRESSCTL, "dispatch", "--watch"], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            first, last = _lags(server, lift, recipients)
        finally:
            proc.terminate()
            proc.wait(30)
        return first, last, schedule_time


def run_library(recipients: int, lead: float) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp, SmtpTestServer() as server:
        root = Path(tmp) / "ws"
        lift, _ = _prepare(root, server, recipients, ahead=3 + lead)
        ledger = load_workspace(root).ledger_path
        made: list[Dispatcher] = []
        ready = threading.Event()

        def watch() -> None:
            # sqlite3 connections belong to the thread that made them: build the dispatcher in its thread.
            dispatcher = Dispatcher(
                open_store(ledger),
                engine=LedgerCampaignSender(ledger_path=ledger),
                lead=lead,
                store_factory=lambda: open_store(ledger),
            )
            made.append(dispatcher)
            ready.set()
            dispatcher.watch(interval=1.0)

        thread = threading.Thread(target=watch)
        thread.start()
        ready.wait(10)
        try:
            return _lags(server, lift, recipients)
        finally:
            made[0].stop()
            thread.join(30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.recipients} recipients, sample release (EN + zh-HK, 2 PDFs), 4 connections, no rate limit")
    for i in range(args.runs):
        first, last, sched = run_process(args.recipients)
        print(
            f"dispatch --watch run {i + 1}: first +{first:.3f} s, last +{last:.3f} s; schedule took {sched:.2f} s"
        )
    for lead in (0.0, 5.0):
        first, last = run_library(args.recipients, lead)
        print(f"library, lead {lead:.0f} s: first +{first:.3f} s, last +{last:.3f} s")


if __name__ == "__main__":
    main()
