"""The reply policy as the send engine applies it, against a real aiosmtpd server on 127.0.0.1.

One decision (``pressctl.relays.replies``): a permanent failure stays failed on a re-run whatever its code;
a throttle reply charges no attempt and slows the run; "stop for now" leaves everyone pending with a line
saying when to resume; the ledger records whether a failure is retryable when it happens (migration 3).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from engine_support import FAST, deliver_to, make_campaign, statuses_of
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer, make_message

from pressctl.errors import InputError
from pressctl.ledger import Ledger
from pressctl.ledger import migrations as ledger_module
from pressctl.ledger.migrations import SCHEMA_VERSION
from pressctl.model import OutgoingMessage
from pressctl.rates import Rate
from pressctl.send.delivery import DeliveryOptions


def test_a_permanent_failure_without_a_code_stays_failed_on_a_rerun(tmp_path: Path) -> None:
    # A contact whose data cannot become a message fails with no reply code at all; a re-run used to put
    # every code-less failure back to pending, and so tried (and failed) it on every run.
    ledger, cid = make_campaign(tmp_path, ["broken@news.example", "ok@news.example"])

    def build(rcpt: str) -> OutgoingMessage:
        if rcpt.startswith("broken"):
            raise InputError("contacts.csv row 2: the name would break the To header", hint="fix the row")
        return make_message(rcpt)  # type: ignore[no-any-return]

    with SmtpTestServer() as server:
        result = deliver_to(server, ledger, cid, ["broken@news.example", "ok@news.example"], build=build)
    assert result.failed == 1 and result.sent == 1
    record = ledger.recipients.get(cid, "broken@news.example")
    assert record is not None and record.last_code is None and not record.retryable
    assert record.reason
    assert ledger.recipients.retry_transient_failures(cid) == 0  # the re-run's first step: it stays failed
    assert statuses_of(ledger, cid)["broken@news.example"] == "failed"


def test_a_transient_failure_out_of_tries_is_recorded_retryable(tmp_path: Path) -> None:
    ledger, cid = make_campaign(tmp_path, ["busy@news.example"])
    with SmtpTestServer() as server:
        server.script("busy@news.example", "451", "451")
        result = deliver_to(server, ledger, cid, ["busy@news.example"], options=dataclasses.replace(FAST, max_attempts=2))
    assert result.failed == 1
    record = ledger.recipients.get(cid, "busy@news.example")
    assert record is not None and record.retryable and record.status == "failed"
    assert ledger.recipients.retry_transient_failures(cid) == 1


def test_a_throttle_reply_charges_no_attempt_and_slows_the_run(tmp_path: Path) -> None:
    addresses = [f"r{i}@news.example" for i in range(4)]
    ledger, cid = make_campaign(tmp_path, addresses)
    # A rate set, so the cut halves it (40/s -> 20/s) rather than falling back to 1/s: the run stays short.
    options = DeliveryOptions(concurrency=1, max_attempts=1, backoff=0.05, throttle_pause=0.4, rate=Rate(40, 1))
    with SmtpTestServer() as server:
        server.script("r0@news.example", "451 4.7.0 Too many messages, slow down", "451 4.7.0 slow down")
        result = deliver_to(server, ledger, cid, addresses, options=options)
        rcpts = [e for e in server.events if e.kind == "rcpt"]
    # With one attempt allowed, r0 was still delivered: its two throttled tries were not charged.
    assert result.sent == 4 and result.failed == 0 and result.stopped is None
    assert result.throttled == 2
    assert set(statuses_of(ledger, cid).values()) == {"sent"}
    record = ledger.recipients.get(cid, "r0@news.example")
    assert record is not None and record.attempts == 1  # the two throttled hand-overs were given back
    # The run slowed down: after the first throttle nothing was handed over for the pause.
    first = next(e.time for e in rcpts if e.rcpt == "r0@news.example")
    later = [e.time for e in rcpts if e.time > first]
    assert later and min(later) - first >= 0.3


def test_stop_for_now_leaves_everyone_pending_with_a_resume_time(tmp_path: Path) -> None:
    addresses = [f"r{i}@news.example" for i in range(5)]
    ledger, cid = make_campaign(tmp_path, addresses)
    now = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)
    with SmtpTestServer() as server:
        server.script("r1@news.example", "550 5.4.5 Daily SMTP relay limit exceeded for user")
        result = deliver_to(
            server, ledger, cid, addresses, options=dataclasses.replace(FAST, concurrency=1), clock=lambda: now
        )
    assert result.stopped is not None and "stop for now" in result.stopped
    assert "2030-03-13 02:00 UTC" in result.stopped and "daily" in result.stopped.lower()
    assert result.failed == 0
    statuses = statuses_of(ledger, cid)
    assert statuses["r0@news.example"] == "sent"
    assert {statuses[a] for a in addresses[1:]} == {"pending"}
    record = ledger.recipients.get(cid, "r1@news.example")
    assert record is not None and "daily" in record.reason


def test_migration_3_backfills_retryable_sensibly(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(path)
    for migration in ledger_module.MIGRATIONS[:2]:
        migration(conn)
    conn.execute("PRAGMA user_version = 2")
    conn.execute(
        "INSERT INTO campaigns (id, token, fingerprint, release_path, slug, title, lists, options, created_at)"
        " VALUES (1, 't', 'f', 'r.md', 'r', 'R', '[]', '{}', '2030-01-01T00:00:00.000+00:00')"
    )
    rows = [
        ("a@x.test", 451, "4.3.0 try later"),
        ("b@x.test", None, "connection lost before the message was sent (TimeoutError)"),
        ("c@x.test", None, "address refused before sending (bad)"),
        ("d@x.test", 550, "5.1.1 no such user"),
    ]
    for key, code, reply in rows:
        conn.execute(
            "INSERT INTO recipients (campaign_id, key, email, status, last_code, last_reply)"
            " VALUES (1, ?, ?, 'failed', ?, ?)",
            (key, key, code, reply),
        )
    conn.commit()
    conn.close()
    with Ledger(path) as ledger:
        assert ledger.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        retryable = {r.key: r.retryable for r in ledger.recipients.all(1)}
        assert retryable == {"a@x.test": True, "b@x.test": True, "c@x.test": False, "d@x.test": False}
        assert ledger.recipients.retry_transient_failures(1) == 2


@pytest.mark.slow
def test_send_stops_for_now_with_everyone_left_pending_and_exit_1(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 4)
    with SmtpTestServer() as server:
        server.script("reporter00001@news.example", "550 5.4.5 Daily SMTP relay limit exceeded for user")
        argv = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--concurrency", "1"]
        proc = run_cli(argv, cwd=ws)
        assert proc.returncode == 1, proc.stderr
        assert "Traceback" not in proc.stderr
        stopped = [line for line in proc.stderr.splitlines() if "stop for now" in line]
        assert len(stopped) == 1 and "run the same command again after" in stopped[0].lower()
        assert "daily" in stopped[0].lower()
        report = json.loads(run_cli(["report", "--format", "json"], cwd=ws).stdout)
        assert report["totals"]["sent"] == 1 and report["totals"]["pending"] == 3
        assert report["totals"]["failed"] == 0
        # The quota resets: the same command sends whoever was left, nobody twice.
        server.script("reporter00001@news.example", "250")
        again = run_cli(argv, cwd=ws)
        assert again.returncode == 0, again.stderr
    assert sorted(m.rcpt for m in server.accepted) == [f"reporter{i:05d}@news.example" for i in range(4)]


def test_stop_for_now_says_when_to_resume_in_the_workspaces_zone(tmp_path: Path) -> None:
    from zoneinfo import ZoneInfo

    ledger, cid = make_campaign(tmp_path, ["r0@news.example"])
    now = dt.datetime(2030, 3, 12, 2, 0, 41, tzinfo=dt.UTC)
    with SmtpTestServer() as server:
        server.script("r0@news.example", "550 5.4.5 Daily SMTP relay limit exceeded for user")
        result = deliver_to(
            server, ledger, cid, ["r0@news.example"], clock=lambda: now, zone=ZoneInfo("Asia/Hong_Kong")
        )
    assert result.stopped is not None and "Run the same command again after 2030-03-13 10:00 HKT" in result.stopped
    assert "UTC" not in result.stopped


@pytest.mark.slow
def test_send_says_when_to_resume_in_the_workspaces_zone(tmp_path: Path) -> None:
    import re

    ws = make_workspace(tmp_path)  # [defaults] timezone = "Asia/Hong_Kong"
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 2)
    with SmtpTestServer() as server:
        server.script("reporter00000@news.example", "550 5.4.5 Daily SMTP relay limit exceeded for user")
        proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"], cwd=ws)
    assert proc.returncode == 1, proc.stderr
    line = " ".join(proc.stderr.split())
    assert re.search(r"Run the same command again after \d{4}-\d\d-\d\d \d\d:\d\d HKT", line), line
