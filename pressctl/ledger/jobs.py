"""The ``jobs`` table: scheduled sends, one row per job, and atomic moves between states.

States: ``scheduled`` -> ``running`` -> ``done`` | ``failed`` | ``held``; ``scheduled`` -> ``missed`` (found
too late) or ``cancelled``. A ``held`` job waits until its ``resume_at`` (the relay account's daily cap is
used up, the relay said "stop for now", or its newsroom page could not be published) and then runs again
(``held`` -> ``running``): the same campaign, so nobody gets it twice. A dispatcher owns a running job
through a lease (``owner``, ``lease_until``) it renews while it sends. Every move that reads before it
writes is made inside the connection's write transaction (SQLite: ``BEGIN IMMEDIATE``, which holds the write
lock from the read to the write), so two dispatchers on one ledger can never both claim a job. A running
job whose owner died (its process gone, on this host; its lease run out, on another) may be claimed again:
the send engine's per-recipient ledger rows make that a resume, not a repeat.

The table is part of the ledger's one schema (:mod:`pressctl.ledger.migrations`, version 8 adopted the
table's own earlier versions); the scheduler (:mod:`pressctl.schedule`) reads and moves jobs only through
:class:`JobStore`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pressctl.clock import Clock, system_clock
from pressctl.errors import InputError
from pressctl.ledger.connection import Connection, DuplicateKey, Row
from pressctl.owners import OwnerState, owner_state

__all__ = ["HELD", "STATES", "Job", "JobStore", "SourceFile"]

STATES = ("scheduled", "held", "running", "done", "missed", "cancelled", "failed")
# Before version 2 of the table, a held job was stored as ``scheduled`` with an ``error`` starting with this
# (the table's CHECK constraint had no ``held``); the migration turns such rows into real ``held`` ones.
HELD = "held: "

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _to_text(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime(_TIME_FORMAT)


def _from_text(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.strptime(text, _TIME_FORMAT).replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class SourceFile:
    """A file copied into a job's snapshot, and the hash it had when scheduled."""

    role: str  # release | translation | photo | attachment | contacts
    source: str  # absolute path of the original
    snapshot: str  # path inside the snapshot folder
    sha256: str


@dataclass(frozen=True)
class Job:
    """One scheduled send, as stored."""

    id: str
    state: str
    due: dt.datetime  # UTC
    timezone: str
    embargo: dt.datetime | None
    under_embargo: bool
    release: str
    title: str
    workspace: str
    config: str | None
    snapshot_dir: str
    snapshot_release: str
    contacts: tuple[str, ...]
    sources: tuple[SourceFile, ...]
    options: Mapping[str, Any]
    recipients: int
    created_at: dt.datetime
    owner: str | None = None
    lease_until: float | None = None
    started_at: dt.datetime | None = None
    not_before: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    attempts: int = 0
    campaign: str | None = None
    result: str = ""
    error: str = ""
    resume_at: dt.datetime | None = None  # UTC, while held
    held_reason: str = ""  # while held: why it waits

    @property
    def release_path(self) -> Path:
        """The release inside the snapshot: what is sent."""
        return Path(self.snapshot_dir) / self.snapshot_release

    @property
    def contact_paths(self) -> list[Path]:
        return [Path(self.snapshot_dir) / c for c in self.contacts]

    @property
    def zone(self) -> ZoneInfo:
        """The release's zone: the job's times are shown in it."""
        return ZoneInfo(self.timezone)

    @property
    def shown_state(self) -> str:
        """The state as people see it (the stored one, now that ``held`` is a state of its own)."""
        return self.state


class JobStore:
    """Reads and state moves of jobs. ``clock`` decides what "now" is for leases and timestamps."""

    def __init__(
        self,
        conn: Connection,
        *,
        clock: Clock = system_clock,
        owner_state: Callable[[str], OwnerState] = owner_state,
    ) -> None:
        self.conn = conn
        self.clock = clock
        self.owner_state = owner_state

    # -- reads -----------------------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        row = self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise InputError(f"no scheduled job {job_id!r}", hint="see the ids with `pressctl schedule list`")
        return _job(row)

    def all(self, *, states: Iterable[str] | None = None) -> list[Job]:
        if states is None:
            rows = self.conn.execute("SELECT * FROM jobs ORDER BY due_at, id").fetchall()
        else:
            wanted = list(states)
            marks = ",".join("?" * len(wanted))
            rows = self.conn.execute(
                f"SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY due_at, id", wanted
            ).fetchall()
        return [_job(r) for r in rows]

    def next_due(self) -> dt.datetime | None:
        """The earliest time of a job still waiting to start."""
        row = self.conn.execute("SELECT min(due_at) FROM jobs WHERE state = 'scheduled'").fetchone()
        return _from_text(row[0]) if row else None

    def next_resume(self) -> dt.datetime | None:
        """The earliest time a held job resumes."""
        row = self.conn.execute("SELECT min(resume_at) FROM jobs WHERE state = 'held'").fetchone()
        return _from_text(row[0]) if row else None

    def resumable(self, now: dt.datetime) -> list[Job]:
        """Held jobs whose resume time has come, earliest first."""
        rows = self.conn.execute(
            "SELECT * FROM jobs WHERE state = 'held' AND resume_at <= ? ORDER BY resume_at, id",
            (_to_text(now),),
        ).fetchall()
        return [_job(r) for r in rows]

    def due(self, now: dt.datetime) -> list[Job]:
        """Waiting jobs whose time has come, earliest first."""
        rows = self.conn.execute(
            "SELECT * FROM jobs WHERE state = 'scheduled' AND due_at <= ? ORDER BY due_at, id",
            (_to_text(now),),
        ).fetchall()
        return [_job(r) for r in rows]

    def orphaned(self) -> list[Job]:
        """Running jobs nobody is sending any more: lease run out, owner gone, or released."""
        now = self.clock().timestamp()
        rows = self.conn.execute("SELECT * FROM jobs WHERE state = 'running' ORDER BY due_at, id").fetchall()
        return [_job(r) for r in rows if self._takeable(r, now)]

    def _takeable(self, row: Row, now: float) -> bool:
        owner, lease = row["owner"], row["lease_until"]
        if owner is None or lease is None:
            return True  # let go on purpose
        state = self.owner_state(owner)
        return state == "dead" or (state == "unknown" and lease < now)

    # -- writes ----------------------------------------------------------------------------------------

    def add(
        self,
        *,
        job_id: str,
        due: dt.datetime,
        timezone: str,
        embargo: dt.datetime | None,
        under_embargo: bool,
        release: str,
        title: str,
        workspace: str,
        config: str | None,
        snapshot_dir: str,
        snapshot_release: str,
        contacts: list[str],
        sources: list[SourceFile],
        options: Mapping[str, Any],
        recipients: int,
        files: Iterable[tuple[str, str, bytes]] = (),
    ) -> Job:
        """Store a new job in state ``scheduled``; InputError if the id is taken. ``files``: its snapshot's
        files (place in the snapshot, SHA-256, bytes), kept in the ledger with it (``job_files``), so a
        dispatcher on another machine can send it (:meth:`files`)."""
        try:
            with self.conn.write(lock=f"job:{job_id}"):
                self.conn.execute(
                    "INSERT INTO jobs (id, state, due_at, timezone, embargo_at, under_embargo, release, title,"
                    " workspace, config, snapshot_dir, snapshot_release, contacts, sources, options,"
                    " recipients, created_at) VALUES (?, 'scheduled', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        job_id,
                        _to_text(due),
                        timezone,
                        _to_text(embargo) if embargo else None,
                        int(under_embargo),
                        release,
                        title,
                        workspace,
                        config,
                        snapshot_dir,
                        snapshot_release,
                        json.dumps(contacts),
                        json.dumps([s.__dict__ for s in sources]),
                        json.dumps(dict(options), sort_keys=True),
                        recipients,
                        _to_text(self.clock()),
                    ),
                )
                self.conn.executemany(
                    "INSERT INTO job_files (job_id, path, sha256, content) VALUES (?, ?, ?, ?)",
                    ((job_id, path, digest, data) for path, digest, data in files),
                )
        except DuplicateKey:
            raise InputError(f"a job {job_id!r} exists already") from None
        return self.get(job_id)

    def claim(
        self,
        job_id: str,
        *,
        owner: str,
        lease_seconds: float,
        not_before: dt.datetime | None = None,
        from_states: tuple[str, ...] = ("scheduled",),
    ) -> Job | None:
        """Make ``owner`` the one dispatcher sending this job, or return None if it can't be.

        A job in one of ``from_states`` can be claimed, and so can a running job nobody holds any more.
        ``not_before`` is recorded for the first start only: a resumed send (a running job taken over, a
        held one taken up again) keeps the bound it began with.
        """
        now = self.clock()
        with self.conn.write(lock=f"job:{job_id}"):
            row = self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                return None
            takeover = row["state"] == "running" and self._takeable(row, now.timestamp())
            if row["state"] not in from_states and not takeover:
                return None
            self.conn.execute(
                "UPDATE jobs SET state = 'running', owner = ?, lease_until = ?, attempts = attempts + 1,"
                " not_before = CASE WHEN state IN ('running', 'held') THEN not_before ELSE ? END,"
                " started_at = COALESCE(started_at, ?), finished_at = NULL, error = '',"
                " resume_at = NULL, held_reason = '' WHERE id = ?",
                (
                    owner,
                    now.timestamp() + lease_seconds,
                    _to_text(not_before) if not_before else None,
                    _to_text(now),
                    job_id,
                ),
            )
        return self.get(job_id)

    def files(self, job_id: str) -> list[tuple[str, str, bytes]]:
        """The job's snapshot as the ledger keeps it: (place in the snapshot, SHA-256, bytes); empty for a
        job scheduled before the ledger kept them."""
        rows = self.conn.execute(
            "SELECT path, sha256, content FROM job_files WHERE job_id = ? ORDER BY path", (job_id,)
        ).fetchall()
        return [(str(path), str(digest), bytes(data)) for path, digest, data in rows]

    def renew(self, job_id: str, *, owner: str, lease_seconds: float) -> bool:
        """Extend this owner's lease; False means the job is no longer ours (cancelled or taken over)."""
        now = self.clock().timestamp()
        cur = self.conn.execute(
            "UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND state = 'running'",
            (now + lease_seconds, job_id, owner),
        )
        return cur.rowcount == 1

    def set_campaign(self, job_id: str, campaign: str) -> None:
        self.conn.execute("UPDATE jobs SET campaign = ? WHERE id = ?", (campaign, job_id))

    def finish(self, job_id: str, *, owner: str, state: str, result: str = "", error: str = "") -> bool:
        """Record how the job ended (``done`` or ``failed``) if this owner still holds it."""
        if state not in ("done", "failed"):
            raise ValueError(state)
        cur = self.conn.execute(
            "UPDATE jobs SET state = ?, owner = NULL, lease_until = NULL, finished_at = ?, result = ?,"
            " error = ? WHERE id = ? AND owner = ? AND state = 'running'",
            (state, _to_text(self.clock()), result, error, job_id, owner),
        )
        return cur.rowcount == 1

    def release(self, job_id: str, *, owner: str, note: str = "") -> bool:
        """Let go of a running job unfinished (the dispatcher was stopped): the next dispatcher resumes it."""
        cur = self.conn.execute(
            "UPDATE jobs SET owner = NULL, lease_until = NULL, error = ? "
            "WHERE id = ? AND owner = ? AND state = 'running'",
            (note, job_id, owner),
        )
        return cur.rowcount == 1

    def hold(self, job_id: str, *, owner: str, until: dt.datetime, note: str, result: str = "") -> bool:
        """Hold a running job back (the relay account's daily cap is used up, the relay said "stop for now",
        its newsroom page could not be published): it waits as ``held`` until ``until``, when a dispatcher
        takes it up again by itself; ``note`` says why, ``result`` what was sent so far. False if this owner
        no longer holds it (cancelled meanwhile)."""
        cur = self.conn.execute(
            "UPDATE jobs SET state = 'held', owner = NULL, lease_until = NULL, resume_at = ?, held_reason = ?,"
            " result = ?, error = '' WHERE id = ? AND owner = ? AND state = 'running'",
            (_to_text(until), note, result, job_id, owner),
        )
        return cur.rowcount == 1

    def mark_missed(self, job_id: str, *, note: str = "", from_state: str = "scheduled") -> bool:
        """A waiting job found too late: it is not sent by itself (``schedule run`` sends it on purpose)."""
        cur = self.conn.execute(
            "UPDATE jobs SET state = 'missed', error = ?, resume_at = NULL WHERE id = ? AND state = ?",
            (note, job_id, from_state),
        )
        return cur.rowcount == 1

    def cancel(self, job_id: str) -> Job:
        """Cancel a job that has not finished. A running one stops after the messages in flight (its
        dispatcher's next lease renewal fails); those already sent stay sent."""
        with self.conn.write(lock=f"job:{job_id}"):
            row = self.conn.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise InputError(
                    f"no scheduled job {job_id!r}", hint="see the ids with `pressctl schedule list`"
                )
            state = row["state"]
            if state == "cancelled":
                pass
            elif state in ("scheduled", "held", "missed", "failed", "running"):
                self.conn.execute(
                    "UPDATE jobs SET state = 'cancelled', finished_at = ?, resume_at = NULL WHERE id = ?",
                    (_to_text(self.clock()), job_id),
                )
            else:
                raise InputError(
                    f"job {job_id} is {state} and can't be cancelled",
                    hint="it has been sent; see `pressctl report` for who received it",
                )
        return self.get(job_id)


def _job(row: Row) -> Job:
    due = _from_text(row["due_at"])
    created = _from_text(row["created_at"])
    assert due is not None and created is not None  # NOT NULL columns
    return Job(
        id=row["id"],
        state=row["state"],
        due=due,
        timezone=row["timezone"],
        embargo=_from_text(row["embargo_at"]),
        under_embargo=bool(row["under_embargo"]),
        release=row["release"],
        title=row["title"],
        workspace=row["workspace"],
        config=row["config"],
        snapshot_dir=row["snapshot_dir"],
        snapshot_release=row["snapshot_release"],
        contacts=tuple(json.loads(row["contacts"])),
        sources=tuple(SourceFile(**s) for s in json.loads(row["sources"])),
        options=json.loads(row["options"]),
        recipients=row["recipients"],
        created_at=created,
        owner=row["owner"],
        lease_until=row["lease_until"],
        started_at=_from_text(row["started_at"]),
        not_before=_from_text(row["not_before"]),
        finished_at=_from_text(row["finished_at"]),
        attempts=row["attempts"],
        campaign=row["campaign"],
        result=row["result"],
        error=row["error"],
        resume_at=_from_text(row["resume_at"]),
        held_reason=row["held_reason"],
    )
