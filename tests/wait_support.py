"""Waiting in tests for another thread or process (a watcher, a dispatcher, a send in a child): poll until a
condition holds or a deadline passes. A generous timeout, never an upper bound on how fast something happens;
no test waits on the wall clock where a ManualClock can move the time instead."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["wait_for", "wait_for_output"]


def wait_for(predicate: Callable[[], bool], timeout: float, *, every: float = 0.05) -> bool:
    """Poll ``predicate`` every ``every`` seconds until it holds or ``timeout`` seconds pass; its last answer."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def wait_for_output(
    out: Path, text: str, proc: subprocess.Popen[Any], *, count: int = 1, errors: Path | None = None,
    timeout: float = 60,
) -> None:
    """Until ``text`` is in the file ``out`` a running child writes (``count`` times); the child must not end
    meanwhile. Fails with what it wrote (and ``errors``, its standard error) when it does not come."""

    def said() -> str:
        return errors.read_text() if errors is not None else ""

    def found() -> bool:
        assert proc.poll() is None, said()
        return out.read_text().count(text) >= count

    assert wait_for(found, timeout, every=0.1), (out.read_text(), said())
