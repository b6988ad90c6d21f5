"""One sender per release: the ledger's lock on a release for one run (:class:`ReleaseLock`), with a thread
that renews its lease, and what a run says when another process holds it (:func:`busy_error`)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from pressctl.errors import PressctlError, ReleaseBusy, SendAborted
from pressctl.ledger import Ledger
from pressctl.ledger.connection import StoreError
from pressctl.ledger.locks import LOCK_LEASE, LockHolder
from pressctl.ledger.stores import is_shared
from pressctl.send.plan import SendPlan

__all__ = ["ReleaseLock", "busy_error", "release_key"]


def release_key(plan: SendPlan, ledger: Ledger) -> str:
    """The lock name of a release in ``ledger``: its workspace and slug (every campaign of it, any --where or
    --lang). In a shared ledger (PostgreSQL) the slug alone: every officer's workspace, wherever its folder
    is, and the dispatcher's snapshot of it send the same release, one at a time."""
    scope = "shared" if is_shared(ledger.path) else str(plan.workspace.root.resolve())
    return f"{scope}::{plan.main.slug}"


def busy_error(plan: SendPlan, holder: LockHolder) -> ReleaseBusy:
    follow = f"`pressctl report {holder.campaign_id}`" if holder.campaign_id else "`pressctl report`"
    return ReleaseBusy(
        f"release '{plan.main.slug}' is being sent by another pressctl: {holder.describe(plan.workspace.zone)}; "
        "nothing was sent",
        where=str(plan.release_path),
        hint=f"follow it with {follow}, or add --wait to send what is left once it ends",
    )


class ReleaseLock:
    """The ledger's lock on one release for one run, with a thread that renews its lease.

    ``kill -9`` leaves the row behind; the next run sees the holder's pid gone (same host) or its lease
    expired (another host) and takes over. Every read and write of the lock is the ledger's
    (:class:`pressctl.ledger.locks.Locks`); the renewing thread renews it over a connection of its own to the
    same ledger, and sets ``lost`` (and ``stop``) if the lock stops being this run's. ``zone``: how the
    holder's times are shown (the workspace's).
    """

    def __init__(
        self, ledger: Ledger, key: str, *, purpose: str, zone: ZoneInfo, lease_seconds: float = LOCK_LEASE
    ) -> None:
        from pressctl.owners import current_owner

        self.ledger = ledger
        self.zone = zone
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
            holder = self.ledger.locks.acquire(self.key, owner=self.owner, purpose=self.purpose, lease_seconds=self.lease)
            if holder is None:
                return
            if not wait:
                raise busy(holder) if busy else ReleaseBusy(f"the release is being sent by {holder.describe(self.zone)}")
            if not told and on_wait is not None:
                on_wait(holder)
                told = True
            if stop is not None and stop.wait(poll):
                raise SendAborted(
                    f"stopped while waiting for another sender of the release ({holder.describe(self.zone)})"
                )
            if stop is None:
                import time

                time.sleep(poll)

    def start(self, stop: threading.Event) -> None:
        self._stop = stop
        self._thread = threading.Thread(target=self._loop, name="release-lock", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        try:
            locks = self.ledger.locks.for_thread()  # made in this thread: a connection stays in its thread
        except StoreError:
            return
        try:
            every = min(self.lease / 6, 5.0)
            while not self._done.wait(every):
                try:
                    if not locks.renew(self.key, owner=self.owner, lease_seconds=self.lease):
                        self.lost = True
                except StoreError:
                    continue  # busy or a full disk: the run's own writes will say so
                if self.lost and self._stop is not None:
                    self._stop.set()  # another process took the release over: stop after the messages in flight
                    return
        finally:
            locks.close()

    def release(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(10)
        with contextlib.suppress(StoreError, PressctlError):
            self.ledger.locks.release(self.key, owner=self.owner)

