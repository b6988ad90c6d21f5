"""The ``release_locks`` table: one sender per release, held through a lease.

A run takes the lock on its release (:meth:`Locks.acquire`), renews its lease every few seconds from a
thread of its own (:meth:`Locks.renew`, over :meth:`Locks.for_thread`'s connection) and lets go when it ends.
``kill -9`` leaves the row behind: a holder whose process is gone (same host), or whose lease ran out
(another host), loses it to the next run.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pressctl.ledger.connection import Connection, Row
from pressctl.ledger.records import iso
from pressctl.owners import owner_state
from pressctl.present import local_time

__all__ = ["LOCK_LEASE", "LockHolder", "Locks"]

LOCK_LEASE = 60.0  # seconds a release lock lasts without renewal (renewed every few seconds while sending)


@dataclass(frozen=True)
class LockHolder:
    """The process sending a release now."""

    owner: str
    host: str
    pid: int
    campaign_id: int | None
    purpose: str
    since: str  # ISO 8601, UTC

    def describe(self, zone: ZoneInfo) -> str:
        """``pid 4242 on press-laptop, campaign #3, since 2030-03-12 10:00 HKT`` (the workspace's ``zone``)."""
        campaign = f"campaign #{self.campaign_id}" if self.campaign_id else "its campaign not opened yet"
        what = f" ({self.purpose})" if self.purpose and self.purpose != "send" else ""
        return f"pid {self.pid} on {self.host}{what}, {campaign}, since {local_time(self.since, zone)}"


class Locks:
    """The release locks of one ledger."""

    def __init__(self, conn: Connection, clock: Callable[[], dt.datetime]) -> None:
        self.conn = conn
        self.clock = clock

    def for_thread(self) -> Locks:
        """The same locks over a connection of its own, for the thread that renews a lease (close it there)."""
        return Locks(self.conn.another(), self.clock)

    def close(self) -> None:
        self.conn.close()

    def acquire(
        self, release: str, *, owner: str, purpose: str, lease_seconds: float = LOCK_LEASE
    ) -> LockHolder | None:
        """Take the lock on ``release`` for ``owner``; None when taken, else who holds it.

        A holder whose process is gone (same host), or whose lease ran out (another host), loses it.
        """
        host, pid = _owner_parts(owner)
        now = self.clock()
        with self.conn.write(lock=f"release:{release}"):
            row = self.conn.execute("SELECT * FROM release_locks WHERE release = ?", (release,)).fetchone()
            if row is not None and row["owner"] != owner:
                state = owner_state(row["owner"])
                if state == "alive" or (state == "unknown" and row["lease_until"] >= now.timestamp()):
                    return _holder(row)
            self.conn.execute(
                "INSERT INTO release_locks (release, owner, host, pid, campaign_id, purpose, since, lease_until)"
                " VALUES (?, ?, ?, ?, NULL, ?, ?, ?) ON CONFLICT (release) DO UPDATE SET owner = excluded.owner,"
                " host = excluded.host, pid = excluded.pid, campaign_id = NULL, purpose = excluded.purpose,"
                " since = excluded.since, lease_until = excluded.lease_until",
                (release, owner, host, pid, purpose, iso(now), now.timestamp() + lease_seconds),
            )
        return None

    def holder(self, release: str) -> LockHolder | None:
        """Who holds the lock on ``release`` now, if anyone alive does."""
        row = self.conn.execute("SELECT * FROM release_locks WHERE release = ?", (release,)).fetchone()
        if row is None:
            return None
        state = owner_state(row["owner"])
        if state == "dead" or (state == "unknown" and row["lease_until"] < self.clock().timestamp()):
            return None
        return _holder(row)

    def set_campaign(self, release: str, *, owner: str, campaign_id: int) -> None:
        self.conn.execute(
            "UPDATE release_locks SET campaign_id = ? WHERE release = ? AND owner = ?", (campaign_id, release, owner)
        )

    def renew(self, release: str, *, owner: str, lease_seconds: float = LOCK_LEASE) -> bool:
        """Extend the lease; False if the lock is no longer ``owner``'s (taken over after a long pause)."""
        cur = self.conn.execute(
            "UPDATE release_locks SET lease_until = ? WHERE release = ? AND owner = ?",
            (self.clock().timestamp() + lease_seconds, release, owner),
        )
        return cur.rowcount == 1

    def release(self, release: str, *, owner: str) -> None:
        self.conn.execute("DELETE FROM release_locks WHERE release = ? AND owner = ?", (release, owner))


def _holder(row: Row) -> LockHolder:
    return LockHolder(
        owner=row["owner"], host=row["host"], pid=row["pid"], campaign_id=row["campaign_id"],
        purpose=row["purpose"], since=row["since"],
    )


def _owner_parts(owner: str) -> tuple[str, int]:
    parts = owner.split(":")
    pid = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else os.getpid()
    return (parts[0] or socket.gethostname()), pid
