"""The jobs table: states, atomic claims, leases, take-over of a dead dispatcher's job, cancel rules (the
store's tests on SQLite and on PostgreSQL: ``ledger_store``)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pg_support import ledger_store, postgres

from pressctl.clock import ManualClock
from pressctl.errors import InputError
from pressctl.ledger.jobs import JobStore, SourceFile
from pressctl.ledger.stores import connect
from pressctl.owners import current_owner, owner_state

__all__ = ["ledger_store", "postgres"]  # the fixtures, for pytest

T0 = dt.datetime(2030, 3, 12, 1, 0, tzinfo=dt.UTC)


def add_job(store: JobStore, job_id: str, due: dt.datetime, **extra: Any) -> None:
    fields: dict[str, Any] = {
        "job_id": job_id,
        "due": due,
        "timezone": "Asia/Hong_Kong",
        "embargo": due,
        "under_embargo": False,
        "release": "/ws/releases/launch.md",
        "title": "Launch",
        "workspace": "/ws",
        "config": "/ws/pressctl.toml",
        "snapshot_dir": f"/ws/.pressctl/jobs/{job_id}",
        "snapshot_release": "releases/launch.md",
        "contacts": ["contacts/list.csv"],
        "sources": [SourceFile("release", "/ws/releases/launch.md", "releases/launch.md", "ab" * 32)],
        "options": {"rate": 5.0},
        "recipients": 3,
    }
    fields.update(extra)
    store.add(**fields)


@pytest.fixture
def store(ledger_store: Path | str) -> JobStore:
    return JobStore(connect(ledger_store), clock=ManualClock(T0))


def test_round_trip_and_order(store: JobStore) -> None:
    add_job(store, "b", T0 + dt.timedelta(hours=2))
    add_job(store, "a", T0 + dt.timedelta(hours=1))
    jobs = store.all()
    assert [j.id for j in jobs] == ["a", "b"]
    job = store.get("a")
    assert job.state == "scheduled"
    assert job.due == T0 + dt.timedelta(hours=1)
    assert job.options == {"rate": 5.0}
    assert job.sources[0].role == "release"
    assert job.release_path == Path("/ws/.pressctl/jobs/a/releases/launch.md")
    assert store.next_due() == T0 + dt.timedelta(hours=1)


def test_unknown_id_and_duplicate_id(store: JobStore) -> None:
    with pytest.raises(InputError, match="no scheduled job 'nope'"):
        store.get("nope")
    add_job(store, "a", T0)
    with pytest.raises(InputError, match="exists already"):
        add_job(store, "a", T0)


def test_due_respects_time(store: JobStore) -> None:
    add_job(store, "a", T0 + dt.timedelta(seconds=10))
    assert store.due(T0) == []
    assert store.due(T0 + dt.timedelta(seconds=9, microseconds=999999)) == []
    assert [j.id for j in store.due(T0 + dt.timedelta(seconds=10))] == ["a"]


def test_claim_is_once(store: JobStore) -> None:
    add_job(store, "a", T0)
    first = store.claim("a", owner="host:1", lease_seconds=60)
    assert first is not None and first.state == "running" and first.owner == "host:1"
    assert first.started_at == T0 and first.attempts == 1
    assert store.claim("a", owner="host:2", lease_seconds=60) is None
    assert store.claim("missing", owner="host:2", lease_seconds=60) is None


def test_expired_lease_can_be_taken_over(ledger_store: Path | str) -> None:
    clock = ManualClock(T0)
    store = JobStore(connect(ledger_store), clock=clock, owner_state=lambda owner: "unknown")
    add_job(store, "a", T0)
    assert store.claim("a", owner="elsewhere:1", lease_seconds=60)
    clock.advance(30)
    assert store.renew("a", owner="elsewhere:1", lease_seconds=60)
    clock.advance(59)
    assert store.orphaned() == []
    assert store.claim("a", owner="here:2", lease_seconds=60) is None
    clock.advance(2)  # lease ran out: the first dispatcher is presumed dead
    assert [j.id for j in store.orphaned()] == ["a"]
    taken = store.claim("a", owner="here:2", lease_seconds=60)
    assert taken is not None and taken.owner == "here:2" and taken.attempts == 2
    assert taken.started_at == T0  # a resume keeps the first start
    # The old owner has lost it: its renewals and its finish are refused.
    assert not store.renew("a", owner="elsewhere:1", lease_seconds=60)
    assert not store.finish("a", owner="elsewhere:1", state="done")
    assert store.finish("a", owner="here:2", state="done", result="3 sent")
    assert store.get("a").state == "done"


def test_dead_owner_is_taken_over_at_once(ledger_store: Path | str) -> None:
    store = JobStore(
        connect(ledger_store),
        clock=ManualClock(T0),
        owner_state=lambda o: "dead" if o == "h:dead" else "alive",
    )
    add_job(store, "a", T0)
    assert store.claim("a", owner="h:dead", lease_seconds=3600)
    assert store.claim("a", owner="h:new", lease_seconds=60) is not None


def test_released_job_is_resumable(store: JobStore) -> None:
    add_job(store, "a", T0)
    assert store.claim("a", owner="h:1", lease_seconds=60)
    assert store.release("a", owner="h:1", note="stopped")
    assert [j.id for j in store.orphaned()] == ["a"]
    assert store.claim("a", owner="h:2", lease_seconds=60) is not None


def test_missed_and_cancel_rules(store: JobStore) -> None:
    add_job(store, "a", T0)
    add_job(store, "b", T0)
    add_job(store, "c", T0)
    assert store.mark_missed("a", note="late")
    assert not store.mark_missed("a")
    assert store.claim("a", owner="h:1", lease_seconds=60) is None  # a missed job is not sent by itself
    assert store.claim("a", owner="h:1", lease_seconds=60, from_states=("missed",)) is not None
    assert store.cancel("b").state == "cancelled"
    assert store.cancel("b").state == "cancelled"  # cancelling twice is fine
    assert store.claim("b", owner="h:1", lease_seconds=60) is None
    assert store.finish("a", owner="h:1", state="done")
    with pytest.raises(InputError, match="has been sent"):
        store.cancel("a")
    assert [j.id for j in store.all(states=["scheduled"])] == ["c"]


def _claimer(path: str, barrier: Any, results: Any, n: int) -> None:
    store = JobStore(connect(Path(path)))
    barrier.wait()
    won = [
        job_id for job_id in ("j1", "j2", "j3", "j4") if store.claim(job_id, owner=f"p:{n}", lease_seconds=60)
    ]
    results.put((n, won))


def test_two_processes_never_claim_the_same_job(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    store = JobStore(connect(path))
    for job_id in ("j1", "j2", "j3", "j4"):
        add_job(store, job_id, T0)
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=(str(path), barrier, results, n)) for n in range(4)]
    for p in procs:
        p.start()
    won = [results.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(10)
    claimed = sorted(job_id for _, ids in won for job_id in ids)
    assert claimed == ["j1", "j2", "j3", "j4"]  # each job exactly once


def test_wal_mode(tmp_path: Path) -> None:
    connect(tmp_path / "l.sqlite3").close()
    mode = sqlite3.connect(tmp_path / "l.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_a_resume_keeps_the_bound_the_send_started_under(store: JobStore) -> None:
    add_job(store, "a", T0)
    first = store.claim("a", owner="h:1", lease_seconds=60, not_before=T0)
    assert first is not None and first.not_before == T0
    assert store.release("a", owner="h:1")
    again = store.claim("a", owner="h:2", lease_seconds=60, not_before=None)
    assert again is not None and again.not_before == T0


def test_a_live_owner_on_this_host_keeps_its_job_whatever_the_lease(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    store = JobStore(connect(tmp_path / "l.sqlite3"), clock=clock, owner_state=lambda o: "alive")
    add_job(store, "a", T0)
    assert store.claim("a", owner="here:1:99", lease_seconds=60)
    clock.advance(3600)  # the wall clock jumped, or the process was paused: the lease looks expired
    assert store.orphaned() == []
    assert store.claim("a", owner="here:2:99", lease_seconds=60) is None


@pytest.mark.slow
def test_owner_state_of_real_processes() -> None:
    import os
    import socket
    import subprocess
    import sys

    me = current_owner()
    assert me.startswith(f"{socket.gethostname()}:{os.getpid()}:")
    assert owner_state(me) == "alive"
    assert owner_state("some-other-host.example:1:1") == "unknown"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert owner_state(f"{socket.gethostname()}:{child.pid}:1") == "dead"
    # Our own pid with another start time: the pid was reused, the old dispatcher is gone.
    assert owner_state(f"{socket.gethostname()}:{os.getpid()}:1") == "dead"
    assert owner_state(f"{socket.gethostname()}:{os.getpid()}") == "alive"  # no start time recorded
