"""Who holds a lease: this process as ``host:pid:start``, and whether such an owner is still alive.

The ledger's release locks and the scheduler's job leases both use it (a leaf: no pressctl imports).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Literal

__all__ = ["OwnerState", "current_owner", "owner_state"]

OwnerState = Literal["alive", "dead", "unknown"]


def _start_time(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot, Linux), to tell it from a later one that
    reuses its pid; "" where /proc is not available."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()  # after "pid (name)"; the name may hold spaces
    return fields[19] if len(fields) > 19 else ""


def current_owner() -> str:
    """This process as a lease owner: ``host:pid:start``."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_time(pid)}"


def owner_state(owner: str) -> OwnerState:
    """Whether the dispatcher named by ``owner`` is ``alive``, ``dead``, or ``unknown`` (another host).

    On this host the process table is the truth, whatever its lease says: a live dispatcher whose lease
    looks expired (the wall clock jumped, the process was paused) keeps its job, because a second sender
    would repeat messages. On another host only the lease can tell.
    """
    parts = owner.split(":")
    if len(parts) < 2 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return "unknown"
    pid = int(parts[1])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "dead"
    except PermissionError:  # exists, belongs to someone else
        pass
    started = parts[2] if len(parts) > 2 else ""
    if started and _start_time(pid) not in ("", started):
        return "dead"  # the pid now belongs to a newer process
    return "alive"
