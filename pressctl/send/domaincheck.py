"""The sending-domain check for a send: its relays, its From address, and the day's volume from the ledger.

``pressctl send`` runs :func:`domain_report` before it asks: a finding that stops a send (an unaligned DMARC
with ``p=quarantine``/``p=reject``) refuses it unless ``--ignore-domain-check`` (kept in the campaign's
options); ``pressctl smtp check`` and ``pressctl domain check`` show the same report. The check itself is
:mod:`pressctl.domain.check`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pressctl.config import Workspace
from pressctl.domain.check import Relay, Volume, check_domain
from pressctl.domain.findings import Report
from pressctl.send.relayset import RelaySpec

if TYPE_CHECKING:
    from pressctl.ledger import Ledger
    from pressctl.send.plan import SendPlan

__all__ = ["check_relays", "domain_report", "plan_report"]

_DAY = dt.timedelta(days=1)


def check_relays(specs: Sequence[RelaySpec]) -> list[Relay]:
    """The relays as the check sees them: host and profile."""
    return [Relay(host=spec.settings.host, profile=spec.limits.profile.name) for spec in specs]


def domain_report(
    workspace: Workspace,
    specs: Sequence[RelaySpec],
    *,
    from_addr: str | None = None,
    ledger: Ledger | None = None,
    campaign: int | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """The check for mail From ``from_addr`` (or ``[sender] from``) through ``specs``; with a ledger, the
    volume: hand-overs through these relays in the last 24 hours, plus ``campaign`` messages to come."""
    volume = None
    if ledger is not None and now is not None:
        today = sum(len(ledger.caps.handovers(spec.account, since=now - _DAY)) for spec in specs)
        volume = Volume(today=today, campaign=campaign or 0)
    return check_domain(workspace, from_addr=from_addr, relays=check_relays(specs), volume=volume)


def plan_report(plan: SendPlan, *, ledger: Ledger | None = None, now: dt.datetime | None = None, to_send: int | None = None) -> Report:
    """:func:`domain_report` for a planned send."""
    count = len(plan.contacts.selected) if to_send is None else to_send
    return domain_report(
        plan.workspace, plan.relays, from_addr=plan.options.from_addr, ledger=ledger, campaign=count, now=now
    )
