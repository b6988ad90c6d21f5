"""Helpers for the schedule tests: a sample workspace and a fake send engine that checks the clock."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressctl.clock import Clock, ManualClock
from pressctl.config import Workspace, load_workspace
from pressctl.errors import PressctlError, SendAborted
from pressctl.send.sender import SendOutcome

__all__ = ["EMBARGO", "FakeEngine", "SendCall", "make_workspace"]

# The sample release's embargo: 2030-03-12 10:00 Hong Kong time.
EMBARGO = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)


def make_workspace(root: Path) -> Workspace:
    """A sample HVSP workspace (config, EN + zh-HK release with photo, contacts) made by `pressctl init`."""
    from pressctl.scaffold import init_workspace

    init_workspace(root)
    return load_workspace(root)


@dataclass
class SendCall:
    release: Path
    contacts: list[Path]
    options: Mapping[str, Any]
    not_before: dt.datetime | None
    at: dt.datetime  # the clock at the first hand-over (after the gate)


@dataclass
class FakeEngine:
    """Plans by counting rows; "sends" by recording the call. Refuses, like the real one, to hand over
    anything before ``not_before``. ``during_send`` runs inside a send (advance the clock, stop...)."""

    clock: Clock
    checks: list[Path] = field(default_factory=list)
    sends: list[SendCall] = field(default_factory=list)
    planned_at: list[dt.datetime] = field(default_factory=list)  # when asked to send (before the gate)
    check_error: PressctlError | None = None
    send_error: PressctlError | None = None
    during_send: Callable[[threading.Event], None] | None = None
    complete: bool = True

    def check(
        self, *, release: Path, contacts: Sequence[Path], workspace: Workspace, options: Mapping[str, Any]
    ) -> int:
        self.checks.append(release)
        if self.check_error is not None:
            raise self.check_error
        assert release.is_file()
        return sum(len(Path(c).read_text(encoding="utf-8").splitlines()) - 1 for c in contacts)

    def send(
        self,
        *,
        release: Path,
        contacts: Sequence[Path],
        workspace: Workspace,
        options: Mapping[str, Any],
        not_before: dt.datetime | None,
        stop: threading.Event,
    ) -> SendOutcome:
        self.planned_at.append(self.clock())
        if not_before is not None and self.clock() < not_before:
            # The real engine's gate: wait until the time before the first hand-over.
            assert isinstance(self.clock, ManualClock)
            self.clock.now = not_before
        self.sends.append(SendCall(release, list(contacts), options, not_before, self.clock()))
        if self.during_send is not None:
            self.during_send(stop)
        if stop.is_set():
            raise SendAborted("stopped after the messages in flight")
        if self.send_error is not None:
            raise self.send_error
        return SendOutcome(summary="3 sent", complete=self.complete, campaign="c1")
