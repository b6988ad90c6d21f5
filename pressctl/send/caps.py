"""Rolling daily caps of relay accounts, read from the ledger's hand-overs: how a run fits its relay's cap
(:func:`cap_plan`), each relay's (:func:`relay_caps`, :class:`RelayCap`), and whether a job fits at its
time (:func:`cap_at_lift`). The hand-over itself takes its room in the ledger's write transaction
(:meth:`pressctl.ledger.recipients.Recipients.mark_sending`); these are the plans shown before it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pressctl.clock import system_clock
from pressctl.config import Workspace
from pressctl.ledger import Ledger
from pressctl.ledger.stores import exists
from pressctl.relays.adaptive import DAY, CapPlan, combine_caps
from pressctl.relays.adaptive import plan_cap as _plan_cap
from pressctl.send.options import SendOptions
from pressctl.send.plan import SendPlan
from pressctl.send.transport import Transport
from pressctl.send.transports import relay_of
from pressctl.times import format_local

__all__ = ["RelayCap", "cap_at_lift", "cap_plan", "relay_caps"]


@dataclass(frozen=True)
class RelayCap:
    """One relay's rolling daily cap at the start of a run: its label and account, and how it fits."""

    label: str
    account: str
    plan: CapPlan

    @property
    def room(self) -> int:
        """Hand-overs it may take now."""
        return max(0, self.plan.cap - self.plan.used)

    def describe(self, zone: Any) -> str:
        """``relay 2 (smtp://...): today 8,900 of 10,000 used: up to 1,100 now``; with a wait, when a slot frees."""
        p = self.plan
        line = f"{self.label}: today {p.used:,} of {p.cap:,} used in the last 24 h: up to {self.room:,} now"
        if not self.room and p.resume_at is not None:
            line += f"; room again after {format_local(p.resume_at, zone)}"
        return line


def relay_caps(plan: SendPlan, ledger: Ledger, *, wanted: int, at: dt.datetime | None = None) -> list[RelayCap]:
    """Each relay's rolling daily cap (relays without a cap left out), counted from the ledger's hand-overs
    to its account in the 24 hours before ``at``."""
    moment = at or system_clock()
    caps = []
    for spec in plan.relays:
        cap = spec.limits.daily_cap.value
        if cap:
            account = spec.account
            caps.append(RelayCap(spec.label, account, _account_cap(ledger, account, cap, moment, wanted)))
    return caps


def cap_plan(
    plan: SendPlan, ledger: Ledger, transport: Transport, *, wanted: int, at: dt.datetime | None = None
) -> CapPlan | None:
    """How ``wanted`` recipients fit the relay account's rolling daily cap at ``at`` (now), counting every
    hand-over to that account in the 24 hours before (all campaigns, scheduled jobs included); None when no
    cap applies (no cap, or the local outbox)."""
    relay = relay_of(transport)
    limits = plan.limits or plan.options.limits(plan.workspace)
    cap = limits.daily_cap.value
    if relay is None or not cap:
        return None
    return _account_cap(ledger, relay, cap, at or system_clock(), wanted)


def _account_cap(ledger: Ledger, account: str, cap: int, at: dt.datetime, wanted: int) -> CapPlan:
    """How ``wanted`` fit ``account``'s rolling daily ``cap`` at ``at``, from the ledger's hand-overs to it
    in the 24 hours before (every campaign and job)."""
    return _plan_cap(ledger.caps.handovers(account, since=at - DAY), cap, at, wanted)


def cap_at_lift(
    workspace: Workspace, options: SendOptions, *, ledger_path: Path | str, at: dt.datetime, wanted: int
) -> tuple[str, CapPlan] | None:
    """``schedule``'s question: does a job of ``wanted`` recipients fit the relay account's daily cap at
    ``at``? Counts the hand-overs already in the ledger that will still be inside the 24 hours before ``at``.
    Returns (relay account, plan) when some would be left pending; None when all fit or no cap applies.
    With several relays: only when every one is capped and together they have too little room (the
    accounts joined, the plan their sum)."""
    specs = options.relays(workspace)
    capped = [(spec.account, spec.limits.daily_cap.value) for spec in specs if spec.limits.daily_cap.value]
    if not specs or len(capped) < len(specs) or not exists(ledger_path):
        return None
    with Ledger(ledger_path) as ledger:
        plans = [(account, _account_cap(ledger, account, cap, at, wanted)) for account, cap in capped]
    total = combine_caps([p for _, p in plans], wanted)
    return (", ".join(account for account, _ in plans), total) if total is not None and total.pending else None

