"""What the scheduler asks of the sending side: :class:`CampaignSender` (a Protocol) and :class:`SendOutcome`.

They live in ``send`` so the layers point one way: ``pressctl.schedule.dispatcher`` imports them, and
``pressctl.send.scheduled.LedgerCampaignSender`` implements the protocol without importing the scheduler.
The scheduler's timing rules are tested with a fake sender and a manual clock. Pure: no I/O.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pressctl.config import Workspace

__all__ = ["CampaignSender", "SendOutcome"]


@dataclass(frozen=True)
class SendOutcome:
    """How a job's send ended. ``complete`` is false when some recipients are left to try later.

    ``resume_at`` is set when those left wait for a known time: the relay account's rolling daily cap frees
    a slot then, or the relay said "stop for now" and a re-run may resume then. The scheduler then holds
    the job (state ``held``) and resumes it by itself; ``held_reason`` says why, in words for people.
    """

    summary: str  # one line for people: "12 sent, 1 suppressed"
    complete: bool = True
    campaign: str | None = None
    resume_at: dt.datetime | None = None  # aware; the earliest time a re-run can send to those left
    held_reason: str = ""  # "the daily cap of 10,000 for smtp://... is used up: ..."
    pending: int = 0  # recipients left to send to


class CampaignSender(Protocol):
    """What the scheduler needs from the send side (``pressctl.send.scheduled.LedgerCampaignSender``)."""

    def check(
        self, *, release: Path, contacts: Sequence[Path], workspace: Workspace, options: Mapping[str, Any]
    ) -> int:
        """Plan a send without sending: raise a PressctlError for anything wrong, else the recipient count."""
        ...

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
        """Send (or resume) the one campaign these inputs make, never handing a message over before
        ``not_before``. Setting ``stop`` asks it to finish the messages in flight and return early
        (raising SendAborted). Failures a user can act on raise PressctlError."""
        ...
