"""Held jobs (issue 11, point 3): a scheduled job the relay account's rolling daily cap, or a relay's "stop for
now", leaves with recipients pending goes ``held`` with the time it resumes, and the dispatcher resumes it by
itself: the same campaign, each recipient once. Real send engine, real aiosmtpd servers on 127.0.0.1
(tests/smtp_server.py, tests/provider_smtp.py), a manual clock (no waiting for hours); one real
``pressctl dispatch`` subprocess."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from provider_smtp import ProviderServer, microsoft365
from schedule_support import EMBARGO, make_workspace
from send_support import run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer

from pressctl.clock import ManualClock
from pressctl.ledger import Ledger
from pressctl.ledger.migrations import MIGRATIONS, SCHEMA_VERSION
from pressctl.ledger.stores import connect
from pressctl.schedule.dispatcher import Dispatcher
from pressctl.schedule.listing import list_jobs
from pressctl.schedule.request import ScheduleRequest, open_store, schedule_release
from pressctl.send.scheduled import LedgerCampaignSender

DAY = dt.timedelta(hours=24)


class Env:
    """The sample workspace (11 journalists to send to, embargo 2030-03-12 10:00 HKT), a manual clock a day before the
    lift, and the real engine (LedgerCampaignSender) on that clock."""

    def __init__(self, root: Path) -> None:
        self.ws = make_workspace(root / "ws")
        self.clock = ManualClock(EMBARGO - DAY)
        self.store = open_store(self.ws.ledger_path, clock=self.clock)
        self.engine = LedgerCampaignSender(ledger_path=self.ws.ledger_path, clock=self.clock)

    def schedule(self, **options: Any) -> str:
        request = ScheduleRequest(
            release=self.ws.root / "releases" / "sample.md",
            contacts=(self.ws.root / "contacts" / "journalists.csv",),
            options={"rate": "0", **options},
        )
        return schedule_release(request, workspace=self.ws, store=self.store, engine=self.engine, clock=self.clock).id

    def dispatcher(self, **kw: Any) -> Dispatcher:
        return Dispatcher(self.store, engine=self.engine, clock=self.clock, waiter=self.clock, **kw)

    def rows(self) -> dict[str, tuple[str, str]]:
        """Every selected recipient's (status, Message-ID) in the ledger."""
        with Ledger(self.ws.ledger_path) as ledger:
            (campaign,) = ledger.campaigns.all()
            return {r.email: (r.status, r.message_id or "") for r in ledger.recipients.all(campaign.id)
                    if r.status in ("sent", "pending", "failed", "sending")}


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def _kinds(events: list[Any]) -> list[str]:
    return [e.kind for e in events]


def test_a_capped_job_is_held_until_the_cap_frees_and_resumed_by_itself(env: Env) -> None:
    with SmtpTestServer() as server:
        job_id = env.schedule(smtp=server.url(), daily_cap=5)
        d = env.dispatcher(max_late=dt.timedelta(hours=1))
        env.clock.now = EMBARGO
        events = d.run_once()
        assert _kinds(events) == ["started", "held"]
        assert "resumes by itself at 2030-03-13 10:00 HKT" in events[-1].detail
        job = env.store.get(job_id)
        assert job.state == "held" and job.resume_at == EMBARGO + DAY and job.due == EMBARGO
        assert job.held_reason.startswith("the daily cap of 5 for smtp://127.0.0.1:")
        assert "is reached (5 of 5 in the last 24 h): 5 went now, 6 wait for the cap" in job.held_reason
        assert job.result == "5 sent, 6 pending"
        assert len(server.accepted) == 5
        first = env.rows()
        (view,) = list_jobs(env.store)
        assert view.state == "held" and view.resumes == "2030-03-13 10:00 HKT"

        env.clock.now = EMBARGO + DAY - dt.timedelta(seconds=1)
        assert d.run_once() == []  # not before the cap frees
        # Long after --max-late: a resume is never "missed" (--max-late judges only the first start).
        env.clock.now = EMBARGO + DAY + dt.timedelta(hours=3)
        events = d.run_once()
        assert _kinds(events) == ["resumed", "held"]
        assert len(server.accepted) == 10
        assert env.store.get(job_id).resume_at == EMBARGO + DAY + dt.timedelta(hours=27)

        # A new dispatcher (cron after a downtime), started long after the resume time: still resumed.
        env.clock.now = EMBARGO + 3 * DAY
        events = env.dispatcher(max_late=dt.timedelta(minutes=5)).run_once()
        assert _kinds(events) == ["resumed", "done"]
        assert env.store.get(job_id).state == "done" and env.store.get(job_id).result == "11 sent"
    rcpts = Counter(m.rcpt for m in server.accepted)
    assert len(rcpts) == 11 and set(rcpts.values()) == {1}  # each journalist exactly once
    assert {m.message_id for m in server.accepted} == {mid for _, mid in env.rows().values()}
    last = env.rows()
    assert all(status == "sent" for status, _ in last.values())
    # One campaign: those sent in the first run kept their Message-ID.
    assert all(last[email][1] == mid for email, (status, mid) in first.items() if status == "sent")
    assert len({mid for _, mid in last.values()}) == 11


def test_watch_resumes_a_held_job_at_its_time(env: Env) -> None:
    with SmtpTestServer() as server:
        env.schedule(smtp=server.url(), daily_cap=5)
        env.clock.now = EMBARGO  # (the real engine's gate would wait in real time for a manual clock)
        seen: list[tuple[str, dt.datetime]] = []

        def on_event(event: Any) -> None:
            seen.append((event.kind, env.clock()))
            if event.kind == "done":
                env.clock.stop()

        env.dispatcher(on_event=on_event).watch(interval=3600)
    assert [k for k, _ in seen] == ["started", "held", "resumed", "held", "resumed", "done"]
    # Taken up again exactly when the cap frees, never earlier.
    assert [t for k, t in seen if k == "resumed"] == [EMBARGO + DAY, EMBARGO + 2 * DAY]
    assert len(server.accepted) == 11 and len({m.rcpt for m in server.accepted}) == 11


def test_schedule_run_resumes_a_held_job_now_and_says_so_when_the_cap_allows_nobody(env: Env) -> None:
    with SmtpTestServer() as server:
        job_id = env.schedule(smtp=server.url(), daily_cap=5)
        d = env.dispatcher()
        env.clock.now = EMBARGO
        assert _kinds(d.run_once()) == ["started", "held"]
        env.clock.now = EMBARGO + dt.timedelta(hours=1)
        events = d.run_now(job_id)  # on purpose, before the cap frees
        assert _kinds(events) == ["resumed", "held"]
        assert "nobody could go now, 6 wait for the cap" in events[-1].detail
        assert "resumes by itself at 2030-03-13 10:00 HKT" in events[-1].detail
        assert len(server.accepted) == 5
        env.clock.now = EMBARGO + DAY
        assert _kinds(d.run_now(job_id)) == ["resumed", "held"]
        assert len(server.accepted) == 10


def test_a_held_job_can_be_cancelled(env: Env) -> None:
    from pressctl.schedule.listing import cancel_job

    with SmtpTestServer() as server:
        job_id = env.schedule(smtp=server.url(), daily_cap=5)
        env.clock.now = EMBARGO
        env.dispatcher().run_once()
        assert env.store.get(job_id).state == "held"
        assert cancel_job(env.store, job_id).state == "cancelled"
        env.clock.now = EMBARGO + 2 * DAY
        assert env.dispatcher().run_once() == []
        assert len(server.accepted) == 5


def test_stop_for_now_holds_the_job_and_it_resumes_later(env: Env) -> None:
    # Microsoft 365's daily quota: 554 5.2.0 ...SubmissionQuotaExceededException after DATA, from the 4th.
    behaviour = microsoft365(daily_quota=3, auth_required=False, max_connections=None)
    with ProviderServer(behaviour) as relay:
        job_id = env.schedule(smtp=relay.url(), smtp_profile="microsoft365", concurrency=1)
        d = env.dispatcher()
        env.clock.now = EMBARGO
        events = d.run_once()
        assert _kinds(events) == ["started", "held"], events[-1].detail
        job = env.store.get(job_id)
        assert job.state == "held" and "stop for now" in job.held_reason
        assert "SubmissionQuotaExceededException" in job.held_reason
        assert job.held_reason.endswith("everyone left stays pending")  # no "run the same command" for a job
        assert job.resume_at == EMBARGO + DAY  # the engine's wait after a daily quota
        assert len(relay.accepted) == 3
        env.clock.now = EMBARGO + dt.timedelta(hours=2)
        assert d.run_once() == []
        behaviour.daily_quota = None  # the relay's day has turned
        env.clock.now = EMBARGO + DAY
        assert _kinds(d.run_once()) == ["resumed", "done"]
    rcpts = Counter(m.rcpt for m in relay.accepted)
    assert len(rcpts) == 11 and set(rcpts.values()) == {1}
    assert env.store.get(job_id).state == "done"


# -- the jobs table's earlier versions, adopted by the ledger's one migration list -----------------------------
_OLD_JOBS = """
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('scheduled', 'running', 'done', 'missed', 'cancelled', 'failed')),
    due_at TEXT NOT NULL, timezone TEXT NOT NULL, embargo_at TEXT, under_embargo INTEGER NOT NULL DEFAULT 0,
    release TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', workspace TEXT NOT NULL, config TEXT,
    snapshot_dir TEXT NOT NULL, snapshot_release TEXT NOT NULL, contacts TEXT NOT NULL, sources TEXT NOT NULL,
    options TEXT NOT NULL, recipients INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, owner TEXT,
    lease_until REAL, started_at TEXT, not_before TEXT, finished_at TEXT, attempts INTEGER NOT NULL DEFAULT 0,
    campaign TEXT, result TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX jobs_state_due ON jobs (state, due_at);
"""


def _ledger_before_the_one_list(path: Path) -> sqlite3.Connection:
    """A ledger as pressctl left it before its jobs joined the one migration list: the ledger's seven
    migrations (``user_version`` 7) and, beside them, the jobs table made before it was versioned."""
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:7]:
        migration(conn)
    conn.execute("PRAGMA user_version = 7")
    conn.executescript(_OLD_JOBS)
    return conn


def _old_row(conn: sqlite3.Connection, job_id: str, due: str, error: str, state: str = "scheduled") -> None:
    conn.execute(
        "INSERT INTO jobs (id, state, due_at, timezone, release, workspace, snapshot_dir, snapshot_release,"
        " contacts, sources, options, recipients, created_at, not_before, error)"
        " VALUES (?, ?, ?, 'Asia/Hong_Kong', '/r.md', '/ws', '/snap', 'r.md', '[]', '[]', '{}', 12,"
        " '2030-03-01T00:00:00.000000Z', '2030-03-12T02:00:00.000000Z', ?)",
        (job_id, state, due, error),
    )


def test_an_old_ledger_with_a_held_row_migrates_to_the_held_state(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    conn = _ledger_before_the_one_list(path)  # a ledger as an older pressctl left it: jobs table unversioned
    _old_row(conn, "held-1", "2030-03-12T02:01:00.000000Z", "held: newsroom not published, so no email was sent")
    _old_row(conn, "wait-1", "2030-03-14T02:00:00.000000Z", "")
    _old_row(conn, "done-1", "2030-03-10T02:00:00.000000Z", "", state="done")
    conn.close()

    store = open_store(path)
    held = store.get("held-1")
    assert held.state == "held" and held.error == ""
    assert held.resume_at == dt.datetime(2030, 3, 12, 2, 1, tzinfo=dt.UTC)
    assert held.held_reason == "newsroom not published, so no email was sent"
    assert held.not_before == EMBARGO  # a resume keeps the bound the send started under
    assert store.get("wait-1").state == "scheduled" and store.get("wait-1").resume_at is None
    assert store.get("done-1").state == "done"
    assert [j.id for j in store.resumable(dt.datetime(2030, 3, 12, 2, 1, tzinfo=dt.UTC))] == ["held-1"]
    # One list: the file's user_version is the ledger's latest, and the jobs' own version table is gone.
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert raw.execute("SELECT name FROM sqlite_master WHERE name = 'jobs_schema'").fetchall() == []
    raw.close()
    store.conn.close()
    again = connect(path)  # opening again changes nothing
    assert again.execute("SELECT count(*) FROM jobs").fetchone()[0] == 3
    again.execute(
        "UPDATE jobs SET state = 'held', resume_at = '2030-03-15T00:00:00.000000Z' WHERE id = 'wait-1'"
    )  # the CHECK constraint knows held now
    again.close()


def test_a_jobs_table_from_a_newer_pressctl_is_refused(tmp_path: Path) -> None:
    from pressctl.errors import InputError

    path = tmp_path / "ledger.sqlite3"
    conn = _ledger_before_the_one_list(path)
    conn.execute("CREATE TABLE jobs_schema (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO jobs_schema (version) VALUES (99)")
    conn.close()
    with pytest.raises(InputError, match="newer pressctl") as refused:
        connect(path)
    assert refused.value.where == str(path)
    raw = sqlite3.connect(path)  # left untouched
    assert raw.execute("PRAGMA user_version").fetchone()[0] == 7
    assert raw.execute("SELECT version FROM jobs_schema").fetchall() == [(99,)]
    raw.close()


# -- the command --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_pressctl_dispatch_holds_a_capped_job_exits_1_and_resumes_it(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    from pressctl.scaffold import init_workspace

    init_workspace(ws)
    release = write_release(ws)  # no embargo: it goes --at its time
    contacts = write_contacts(ws / "contacts" / "list.csv", 4)
    ledger = ws / ".pressctl" / "ledger.sqlite3"
    with SmtpTestServer() as server:
        base = ["--smtp", server.url(), "--daily-cap", "2", "--rate", "0"]
        job = run_cli(["schedule", str(release), "-c", str(contacts), "--at", "+1s", *base], cwd=ws)
        assert job.returncode == 0, job.stderr
        job_id = job.stdout.split()[-1]
        raw = sqlite3.connect(ledger)
        now = dt.datetime.now(dt.UTC)
        raw.execute("UPDATE jobs SET due_at = ? WHERE id = ?", (f"{now:%Y-%m-%dT%H:%M:%S.%fZ}", job_id))
        raw.commit()  # due now, without waiting
        first = run_cli(["dispatch"], cwd=ws)
        assert first.returncode == 1, first.stdout + first.stderr
        assert f"{job_id}  held" in first.stdout and "resumes by itself at" in first.stdout
        assert len(server.accepted) == 2
        listing = run_cli(["schedule", "list"], cwd=ws)
        assert f"{job_id}  held" in listing.stdout and "held until" in listing.stdout
        data = json.loads(run_cli(["schedule", "list", "--json"], cwd=ws).stdout)
        assert data[0]["state"] == "held" and data[0]["resume_local"] and "daily cap of 2" in data[0]["held_reason"]
        idle = run_cli(["dispatch"], cwd=ws)
        assert idle.returncode == 0 and "1 held, the next resuming by itself at" in idle.stderr
        # A day passes: the hand-overs age out of the window and the resume time comes.
        old = (now - dt.timedelta(hours=25)).isoformat(timespec="milliseconds")
        raw.execute("UPDATE handovers SET at = ?", (old,))
        since = now - dt.timedelta(hours=2)  # resumes long after --max-late: never judged by it
        raw.execute("UPDATE jobs SET resume_at = ? WHERE id = ?", (f"{since:%Y-%m-%dT%H:%M:%S.%fZ}", job_id))
        raw.commit()
        raw.close()
        second = run_cli(["dispatch", "--max-late", "1m"], cwd=ws)  # a resume is never judged by --max-late
        assert second.returncode == 0, second.stdout + second.stderr
        assert f"{job_id}  resumed" in second.stdout and f"{job_id}  done" in second.stdout
    assert sorted(m.rcpt for m in server.accepted) == [f"reporter{i:05d}@news.example" for i in range(4)]
