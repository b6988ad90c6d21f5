"""The sending-domain check for a send: its relays, its From address, and the day's volume from the ledger.

``pressctl send`` runs :func:`domain_report` before it asks: a finding that stops a send (an unaligned DMARC
with ``p=quarantine``/``p=reject``) refuses it unless ``--ignore-domain-check`` (kept in the campaign's
options); ``pressctl smtp check`` and ``pressctl domain check`` show the same report, and the dry run's page
shows it with SpamAssassin's scores (:func:`deliverability`). The check itself is :mod:`pressctl.domain.check`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pressctl.config import Workspace
from pressctl.domain.check import Relay, Volume, check_domain
from pressctl.domain.decision import decide
from pressctl.domain.findings import Report
from pressctl.send.relayset import RelaySpec
from pressctl.send.spamscore import SpamScore, spam_program, spam_scores

if TYPE_CHECKING:
    from pressctl.ledger import Ledger
    from pressctl.send.plan import SendPlan

__all__ = ["Deliverability", "check_relays", "deliverability", "domain_report", "domain_warnings", "plan_report"]

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


def domain_warnings(plan: SendPlan) -> list[str]:
    """A scheduled send's check, made when it is scheduled: its warnings as lines; what would stop a send
    refuses the job (:class:`pressctl.domain.decision.DomainRefused`) unless ``--ignore-domain-check``. The
    dispatcher checks again at the lift (:mod:`pressctl.schedule.domainlift`)."""
    return decide(plan_report(plan), ignore=plan.options.ignore_domain_check, command="schedule").warnings


@dataclass
class Deliverability:
    """What the dry run's page shows about landing in the inbox: the domain check and, when SpamAssassin is
    installed, the score of one message of each language."""

    report: Report
    scores: dict[str, SpamScore | str] = field(default_factory=dict)

    def rows(self) -> dict[str, str]:
        """Rows for the page's summary table."""
        rows = {"sending domain": self.report.summary()}
        for n, finding in enumerate(self.report.findings, 1):
            if finding.level != "ok":
                rows[f"domain {n}: {finding.topic} ({_WORDS[finding.level]})"] = finding.text()
        for language, score in self.scores.items():
            rows[f"SpamAssassin ({language})"] = score.line() if isinstance(score, SpamScore) else score
        return rows


_WORDS = {"info": "note", "warn": "warning", "stop": "stops a send", "ok": "ok"}


def deliverability(plan: SendPlan, *, environ: Mapping[str, str], campaign: str) -> Deliverability:
    """The domain check for the plan, and SpamAssassin's score for the first reader of each language (the
    message ``plan.factory(campaign)`` builds for them), unless no SpamAssassin is to be run."""
    found = Deliverability(report=plan_report(plan))
    program = spam_program(environ)
    if program is None:
        return found
    factory = plan.factory(campaign)
    firsts: dict[str, bytes] = {}
    for contact in plan.contacts.selected:
        language = factory.variant_for(contact.language).language
        if language not in firsts:
            firsts[language] = bytes(factory.build(contact).data)
    found.scores = spam_scores(firsts, program=program, environ=environ, withhold=plan.workspace.secret_env_names)
    return found
