"""The sending-domain check again at a job's lift (``pressctl dispatch``, ``schedule run``).

Records change between scheduling and the lift (a DMARC tightened to ``p=reject``, an SPF include dropped), so
the dispatcher asks DNS again before a job goes out through a relay, with the relays and ``[dns]`` as they are
now and the job's From: a DMARC that will refuse the messages fails that job with its reason (the other jobs go
on), unless the job was scheduled with ``--ignore-domain-check``; everything else, and no DNS server answering,
is a warning and the job is sent. The decision is :func:`pressctl.domain.decision.decide`, the one ``send`` and
``schedule`` use; the report is :func:`pressctl.send.domaincheck.domain_report`'s.
"""

from __future__ import annotations

from pathlib import Path

from pressctl.clock import Clock
from pressctl.config import Workspace
from pressctl.domain.decision import decide
from pressctl.ledger import Ledger
from pressctl.ledger.jobs import Job
from pressctl.ledger.stores import exists
from pressctl.send.domaincheck import domain_report
from pressctl.send.options import SendOptions

__all__ = ["domain_at_lift"]


def domain_at_lift(job: Job, workspace: Workspace, ledger: Path | str, clock: Clock) -> list[str]:
    """The check for ``job`` sent with ``workspace`` now: its warning lines, or
    :class:`pressctl.domain.decision.DomainRefused` (nothing sent). Nothing to check for the local outbox.
    The volume counts the relays' hand-overs in the last 24 hours in ``ledger`` plus the job's recipients."""
    options = SendOptions.from_mapping(job.options)
    specs = options.relays(workspace)
    if not specs:
        return []
    if exists(ledger):
        with Ledger(ledger, clock=clock) as store:
            report = domain_report(
                workspace, specs, from_addr=options.from_addr, ledger=store, campaign=job.recipients, now=clock()
            )
    else:
        report = domain_report(workspace, specs, from_addr=options.from_addr)
    verdict = decide(report, ignore=options.ignore_domain_check, command="dispatch", job=job.id)
    if verdict.overridden:
        return [*verdict.warnings, "sent anyway: the job was scheduled with --ignore-domain-check"]
    return verdict.warnings
