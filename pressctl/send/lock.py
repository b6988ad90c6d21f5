"""One sender per release: the ledger's lock on a release for one run (:class:`ReleaseLock`), with a thread
that renews its lease, and what a run says when another process holds it (:func:`busy_error`)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from pressctl.errors import PressctlError, ReleaseBusy, SendAborted
from pressctl.ledger import LOCK_LEASE, Ledger, LockHolder
from pressctl.send.plan import SendPlan

__all__ = ["ReleaseLock", "busy_error", "release_key"]


def release_key(plan: SendPlan) -> str:
    """The lock name of a release: its workspace and slug (every campaign of it, any --where or --lang)."""
    return f"{plan.workspace.root.resolve()}::{plan.main.slug}"


def busy_error(plan: SendPlan, holder: LockHolder) -> ReleaseBusy:
    follow = f"`pressctl report {holder.campaign_id}`" if holder.campaign_id else "`pressctl report`"
    return ReleaseBusy(
        f"release '{plan.main.slug}' is being sent by another pressctl: {holder.describe()}; nothing was sent",
        where=str(plan.release_path),
        hint=f"follow it with {follow}, or add --wait to send what is left once it ends",
    )


class ReleaseLock:
    """The ledger's lock on one release for one run, with a thread that renews its lease.

    ``kill -9`` leaves the row behind; the next run sees the holder's pid gone (same host) or its lease
    expired (another host) and takes over. The renewing thread uses its own connection to the file
    opened at the start, and sets ``lost`` (and ``stop``) if the lock stops being this run's.
    """

    def __init__(self, ledger: Ledger, key: str, *, purpose: str, lease_seconds: float = LOCK_LEASE) -> None:
        from pressctl.owners import current_owner

        self.ledger = ledger
        self.key = key
        self.purpose = purpose
        self.lease = lease_seconds
        self.owner = current_owner()
        self.lost = False
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop: threading.Event | None = None

    def acquire(
        self,
        *,
        wait: bool,
        stop: threading.Event | None = None,
        on_wait: Callable[[LockHolder], None] | None = None,
        busy: Callable[[LockHolder], PressctlError] | None = None,
        poll: float = 0.5,
    ) -> None:
        """Take the lock, or raise ``busy(holder)``; with ``wait``, poll until free (or ``stop`` is set)."""
        told = False
        while True:
            holder = self.ledger.acquire_release_lock(self.key, owner=self.owner, purpose=self.purpose, lease_seconds=self.lease)
            if holder is None:
                return
            if not wait:
                raise busy(holder) if busy else ReleaseBusy(f"the release is being sent by {holder.describe()}")
            if not told and on_wait is not None:
                on_wait(holder)
                told = True
            if stop is not None and stop.wait(poll):
                raise SendAborted(f"stopped while waiting for another sender of the release ({holder.describe()})")
            if stop is None:
                import time

                time.sleep(poll)

    def start(self, stop: threading.Event) -> None:
        self._stop = stop
        self._thread = threading.Thread(target=self._loop, name="release-lock", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        import sqlite3

        try:
            conn = sqlite3.connect(self.ledger.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error:
            return
        try:
            every = min(self.lease / 6, 5.0)
            while not self._done.wait(every):
                try:
                    cur = conn.execute(
                        "UPDATE release_locks SET lease_until = ? WHERE release = ? AND owner = ?",
                        (self.ledger.clock().timestamp() + self.lease, self.key, self.owner),
                    )
                    if cur.rowcount != 1:
                        self.lost = True
                except sqlite3.Error:
                    continue  # busy or a full disk: the run's own writes will say so
                if self.lost and self._stop is not None:
                    self._stop.set()  # another process took the release over: stop after the messages in flight
                    return
        finally:
            conn.close()

    def release(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(10)
        import sqlite3

        with contextlib.suppress(sqlite3.Error, PressctlError):
            self.ledger.release_release_lock(self.key, owner=self.owner)

