"""One sender per release: two real ``pressctl send`` processes against one aiosmtpd server, the ledger's
lock (taken over from a dead holder), the conditional hand-over, and the ledger's schema versions."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from send_support import PRESSCTL, make_workspace, run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer
from wait_support import wait_for

from pressctl.errors import InputError
from pressctl.ledger import Ledger
from pressctl.ledger.migrations import SCHEMA_VERSION
from pressctl.ledger.records import RecipientRow
from pressctl.ledger.stores import connect

COUNT = 60


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


def _start(args: list[str], ws: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*PRESSCTL, *args], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_messages(server: SmtpTestServer, n: int, proc: subprocess.Popen[str]) -> None:
    wait_for(lambda: len(server.messages) >= n or proc.poll() is not None, 60, every=0.02)
    assert proc.poll() is None, "the first send ended before the second could start"


@pytest.mark.slow
def test_a_second_send_of_the_same_command_exits_1_naming_the_first_and_sends_nobody(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", COUNT)
    with SmtpTestServer() as server:
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--rate", "5/s"]
        first = _start(args, ws)
        _wait_for_messages(server, 3, first)
        second = run_cli(args, cwd=ws)
        out, errors = first.communicate(timeout=120)
        assert first.returncode == 0, out + errors
        rcpts = Counter(m.rcpt for m in server.messages)
    assert second.returncode == 1, second.stdout + second.stderr
    line = second.stderr.strip()
    assert len(line.splitlines()) == 1 and "Traceback" not in line
    assert f"pid {first.pid}" in line and "campaign #1" in line and "since" in line
    assert "pressctl report 1" in line and "--wait" in line
    assert "sent" not in second.stdout
    assert len(rcpts) == COUNT and set(rcpts.values()) == {1}  # everyone exactly once


@pytest.mark.slow
def test_a_second_send_with_wait_finishes_after_the_first_with_nothing_left(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", COUNT)
    with SmtpTestServer() as server:
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--rate", "5/s"]
        first = _start(args, ws)
        _wait_for_messages(server, 3, first)
        second = run_cli([*args, "--wait"], cwd=ws, timeout=120)
        first.communicate(timeout=120)
        rcpts = Counter(m.rcpt for m in server.messages)
    assert first.returncode == 0
    assert second.returncode == 0, second.stdout + second.stderr
    assert "waiting: this release is being sent by pid" in second.stderr
    assert f"campaign #1: {COUNT} sent" in second.stdout
    assert len(rcpts) == COUNT and set(rcpts.values()) == {1}


def _ledger_with_rows(path: Path, n: int = 3) -> tuple[Ledger, int]:
    ledger = Ledger(path)
    campaign = ledger.campaigns.create(
        fingerprint="f", release_path="/r.md", slug="r", title="T", lists=["l.csv"], options={}
    )
    ledger.recipients.add(campaign.id, [RecipientRow(key=f"a{i}@x.test", email=f"a{i}@x.test") for i in range(n)])
    return ledger, campaign.id


def test_a_row_is_taken_for_sending_by_one_connection_only(tmp_path: Path) -> None:
    first, cid = _ledger_with_rows(tmp_path / "ledger.sqlite3")
    second = Ledger(tmp_path / "ledger.sqlite3")
    assert first.recipients.mark_sending(cid, "a0@x.test", "<m0@x.test>") == 1
    assert second.recipients.mark_sending(cid, "a0@x.test", "<m0@x.test>") is None  # taken: not handed over twice
    first.recipients.mark_result(cid, "a0@x.test", status="sent", code=250, reply="ok")
    assert second.recipients.mark_sending(cid, "a0@x.test", "<m0@x.test>") is None  # sent: never again
    first.recipients.mark_result(cid, "a1@x.test", status="unknown", code=None, reply="lost")
    assert second.recipients.mark_sending(cid, "a1@x.test", "<m1@x.test>") == 1  # outcome unknown: may be repeated
    with pytest.raises(KeyError):
        second.recipients.mark_sending(cid, "nobody@x.test", "<m@x.test>")
    # A row left 'sending' by a run that died is unknown to the next run holding the lock.
    assert first.recipients.mark_sending(cid, "a2@x.test", "<m2@x.test>") == 1
    assert second.recipients.reset_in_flight(cid) == 2
    assert second.recipients.mark_sending(cid, "a2@x.test", "<m2@x.test>") == 2


@pytest.mark.slow
def test_the_release_lock_is_taken_over_from_a_dead_holder_not_from_a_live_one(tmp_path: Path) -> None:
    ledger, _ = _ledger_with_rows(tmp_path / "ledger.sqlite3")
    import socket

    host = socket.gethostname()
    live = subprocess.Popen(["sleep", "30"])
    try:
        assert ledger.locks.acquire("ws::r", owner=f"{host}:{live.pid}:", purpose="send") is None
        holder = ledger.locks.acquire("ws::r", owner=f"{host}:1:", purpose="send")
        assert holder is not None and holder.pid == live.pid and holder.host == host
        assert ledger.locks.holder("ws::r") == holder
    finally:
        live.kill()
        live.wait()
    # kill -9: the row stays, the process is gone; the next sender takes the lock over.
    assert ledger.locks.holder("ws::r") is None
    assert ledger.locks.acquire("ws::r", owner=f"{host}:1:", purpose="send") is None
    # Another host: only the lease tells. Alive while the lease runs, taken over once it ran out.
    ledger.conn.execute("UPDATE release_locks SET owner = 'elsewhere:42:', host = 'elsewhere', pid = 42")
    assert ledger.locks.acquire("ws::r", owner=f"{host}:1:", purpose="send") is not None
    ledger.conn.execute("UPDATE release_locks SET lease_until = 0")
    assert ledger.locks.acquire("ws::r", owner=f"{host}:1:", purpose="send") is None


# -- schema versions -----------------------------------------------------------------------------------------

# The ledger exactly as pressctl made it before schema versions (commit 7cac51f): user_version 0.
_OLD_SCHEMA = """
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY, token TEXT NOT NULL UNIQUE, fingerprint TEXT NOT NULL, release_path TEXT NOT NULL,
    slug TEXT NOT NULL, title TEXT NOT NULL, lists TEXT NOT NULL, options TEXT NOT NULL, created_at TEXT NOT NULL,
    started_at TEXT, finished_at TEXT
);
CREATE INDEX campaigns_fingerprint ON campaigns (fingerprint);
CREATE TABLE recipients (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id), key TEXT NOT NULL, email TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '', language TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_code INTEGER, last_reply TEXT NOT NULL DEFAULT '',
    message_id TEXT NOT NULL DEFAULT '', first_attempt_at TEXT, last_attempt_at TEXT, sent_at TEXT,
    UNIQUE (campaign_id, key)
);
CREATE INDEX recipients_status ON recipients (campaign_id, status);
INSERT INTO campaigns VALUES (1, 'abc123', 'fp', '/ws/releases/r.md', 'r', 'Old release', '["l.csv"]', '{}',
    '2026-11-01T00:00:00.000+00:00', NULL, NULL);
INSERT INTO recipients (campaign_id, key, email, status, attempts) VALUES (1, 'a@x.test', 'a@x.test', 'sent', 1);
"""


@pytest.mark.slow
def test_a_ledger_made_before_schema_versions_opens_and_migrates(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(_OLD_SCHEMA)
    old.close()
    with Ledger(path) as ledger:
        assert ledger.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert [c.title for c in ledger.campaigns.all()] == ["Old release"]
        assert ledger.recipients.totals(1)["sent"] == 1
        assert ledger.suppressions.add("b@x.test", reason="manual", origin="manual")
        assert ledger.locks.acquire("ws::r", owner="h:1:", purpose="send") is None
    report = run_cli(["report", "--db", str(path), "--format", "json"], cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["totals"]["sent"] == 1


@pytest.mark.slow
def test_a_ledger_from_a_newer_pressctl_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    connect(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(InputError, match="newer pressctl"):
        Ledger(path)
    done = run_cli(["report", "--db", str(path)], cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "newer pressctl" in done.stderr
    assert "Traceback" not in done.stderr
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1  # left untouched
    raw.close()


@pytest.mark.slow
def test_ctrl_c_while_waiting_for_another_sender_exits_130_having_sent_nothing(ws: Path) -> None:
    import signal
    import socket

    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    holder = subprocess.Popen(["sleep", "60"])
    try:
        with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
            key = f"{ws.resolve()}::fellows"
            assert ledger.locks.acquire(key, owner=f"{socket.gethostname()}:{holder.pid}:", purpose="send") is None
        with SmtpTestServer() as server:
            waiting = _start(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--wait"], ws)
            deadline = time.monotonic() + 60
            assert waiting.stderr is not None
            first = waiting.stderr.readline()  # "waiting: this release is being sent by pid ..."
            assert f"waiting: this release is being sent by pid {holder.pid}" in first and time.monotonic() < deadline
            waiting.send_signal(signal.SIGINT)
            _, rest = waiting.communicate(timeout=30)
            assert waiting.returncode == 130, first + rest
            assert "Traceback" not in rest and not server.messages
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.slow
def test_the_busy_line_says_since_when_in_the_workspaces_time(ws: Path) -> None:
    import datetime as dt
    import socket

    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    holder = subprocess.Popen(["sleep", "60"])
    taken = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)
    try:
        with Ledger(ws / ".pressctl" / "ledger.sqlite3", clock=lambda: taken) as ledger:
            key = f"{ws.resolve()}::fellows"
            assert ledger.locks.acquire(key, owner=f"{socket.gethostname()}:{holder.pid}:", purpose="send") is None
        with SmtpTestServer() as server:
            done = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
            assert not server.messages
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 1, done.stdout + done.stderr
    line = done.stderr.strip()
    assert len(line.splitlines()) == 1
    assert f"pid {holder.pid}" in line and "since 2030-03-12 10:00 HKT" in line and "UTC" not in line
