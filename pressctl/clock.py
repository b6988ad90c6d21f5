"""Clocks: the one place pressctl learns what time it is (``system_clock``), so tests can set the time.

A clock is any callable returning an aware datetime; the ledger, the send, the dispatcher and every command
(through the CLI's ``Env``) take one, and nothing else reads the wall clock (``tests/test_project_homes.py``).
``Waiter`` pairs a clock with a way to wait that a signal (SIGTERM, Ctrl-C) or a test can cut short.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Protocol

__all__ = ["Clock", "ManualClock", "SystemWaiter", "Waiter", "system_clock"]

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The wall-clock time, in UTC. Embargoes are wall-clock moments, so this is the clock that counts."""
    return dt.datetime.now(dt.UTC)


class Waiter(Protocol):
    """Waits a while; ``stop()`` ends any wait at once and makes ``stopped`` true."""

    @property
    def stopped(self) -> bool: ...

    def wait(self, seconds: float) -> None: ...

    def stop(self) -> None: ...


class SystemWaiter:
    """Real waiting on a ``threading.Event``: a signal handler calls ``stop()`` to end a sleep early."""

    def __init__(self) -> None:
        self._event = threading.Event()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self._event.wait(seconds)

    def stop(self) -> None:
        self._event.set()


class ManualClock:
    """A clock for tests: time moves only when told to, and waiting moves it by exactly the wait."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self.now = start.astimezone(dt.UTC)
        self.waits: list[float] = []
        self._stopped = False

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    @property
    def stopped(self) -> bool:
        return self._stopped

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        if seconds > 0:
            self.advance(seconds)

    def stop(self) -> None:
        self._stopped = True
