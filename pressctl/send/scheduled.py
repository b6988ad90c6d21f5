"""The scheduler's sending side: :class:`LedgerCampaignSender` implements
:class:`pressctl.send.sender.CampaignSender` on top of :func:`pressctl.send.plan.plan_send` and
:func:`pressctl.send.run.run_send`, so ``schedule`` checks a job as a send would and ``dispatch`` sends it."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pressctl.clock import system_clock
from pressctl.config import Workspace
from pressctl.errors import SendAborted
from pressctl.ledger import Ledger
from pressctl.ledger.stores import exists, ledger_name
from pressctl.relays.adaptive import combine_caps
from pressctl.send.caps import relay_caps
from pressctl.send.domaincheck import domain_warnings
from pressctl.send.options import SendOptions
from pressctl.send.plan import SendPlan, SiteLinks, plan_send
from pressctl.send.run import run_send
from pressctl.send.sender import SendOutcome
from pressctl.send.transports import make_transport, relay_of

__all__ = ["LedgerCampaignSender"]


class LedgerCampaignSender:
    """:class:`pressctl.send.sender.CampaignSender` on top of :func:`plan_send` / :func:`run_send` (jobs use the
    ledger too)."""

    def __init__(
        self,
        *,
        ledger_path: Path | str | None = None,
        clock: Callable[[], dt.datetime] = system_clock,
        site_links: Callable[[Workspace, Path, bool], SiteLinks | None] | None = None,
    ) -> None:
        self.ledger_path = ledger_path  # the jobs' ledger; a job's own --db wins
        self.clock = clock
        # site_links(workspace, release, require) -> the newsroom links: not required when scheduling (the job publishes the page
        # at the lift), required when sending (the page must be there by then).
        self.site_links = site_links
        # What the last check found, for `pressctl schedule` to show: the languages line and warnings.
        self.checked_languages = ""
        self.checked_warnings: list[str] = []
        self.checked_limits: list[str] = []  # connections, rate, daily cap, each with where it came from
        self.checked_recipients = ""  # "40: 36 + 4 who had the advance copy", read from the ledger now
        self.checked_notes: list[str] = []  # who is skipped and why; the internal copies

    def check(
        self, *, release: Path, contacts: Sequence[Path], workspace: Workspace, options: Mapping[str, Any]
    ) -> int:
        """Plan without sending (the job's times are checked by the scheduler); the recipient count."""
        plan = plan_send(
            release,
            contacts,
            workspace=workspace,
            options=SendOptions.from_mapping(options),
            check_embargo=False,
            site_links=self.site_links(workspace, release, False) if self.site_links else None,
        )
        plan.factory("check-" + plan.fingerprint)  # a bad From or Reply-To fails now, not at the lift
        self.checked_languages = plan.contacts.languages_line()
        if len(plan.relays) > 1:  # one line per relay: its account, then its limits
            self.checked_warnings = plan.warnings + [w for spec in plan.relays for w in spec.limits.warnings]
            self.checked_limits = [f"{spec.label}: {'; '.join(spec.limits.lines())}" for spec in plan.relays]
        else:
            self.checked_warnings = plan.warnings + list(plan.limits.warnings if plan.limits else ())
            self.checked_limits = plan.limits.lines() if plan.limits else []
        if plan.relays:
            make_transport(plan)  # a bad URL fails now, not at the lift
            self.checked_warnings += domain_warnings(plan)  # DMARC that will refuse it: refused now, not at the lift
        self._check_audience(plan)
        return len(plan.contacts.selected)

    def _check_audience(self, plan: SendPlan) -> None:
        """Who the job would reach if it went now (the ledger as it is): advance readers, skips, copies."""
        from pressctl.send.audience import audience

        path = ledger_name(plan.options.db) if plan.options.db else (self.ledger_path or plan.ledger_path)
        if exists(path):
            with Ledger(path) as ledger:
                who = audience(plan, ledger)
        else:
            who = audience(plan, None)
        self.checked_recipients = who.recipients_line
        self.checked_notes = [f"{n} skipped: {why}" for why, n in who.skipped_reasons().items()]
        for address, language, state in who.copies:
            self.checked_notes.append(
                f"internal copy {address} ({language}): "
                + ("on a suppression list, not sent" if state == "suppressed" else "when the job sends, before the journalists")
            )

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
        plan = plan_send(
            release,
            contacts,
            workspace=workspace,
            options=SendOptions.from_mapping(options),
            now=self.clock(),
            not_before=not_before,
            site_links=self.site_links(workspace, release, True) if self.site_links else None,
        )
        path = ledger_name(plan.options.db) if plan.options.db else (self.ledger_path or plan.ledger_path)
        transport = make_transport(plan)
        with Ledger(path, clock=self.clock) as ledger:  # hand-overs counted for the cap on the same clock
            # A release being sent by hand now: wait for that run to end (the job keeps its lease),
            # then send whoever it left. The job is not failed for it.
            result = run_send(
                plan, ledger=ledger, transport=transport, clock=self.clock,
                not_before=not_before, stop=stop, wait=True, purpose="pressctl dispatch",
            )
            # Several relays, every one capped: those left wait until the first relay has room again.
            caps = relay_caps(plan, ledger, wanted=result.left, at=self.clock()) if result.caps else []
        if result.run.resume_after is not None and result.left:
            # "Stop for now" (a daily or account quota): those left wait, the job is held until then. The
            # engine's advice to re-run the command is for `send`; the job resumes by itself.
            reason = (result.run.stopped or "the relay says stop for now").split(". Run the same command", 1)[0]
            return SendOutcome(
                summary=result.line(), complete=False, campaign=str(result.campaign.id),
                resume_at=result.run.resume_after, held_reason=reason, pending=result.left,
            )
        if result.run.stopped:
            raise SendAborted(result.run.stopped)
        if result.run.interrupted and result.left:
            raise SendAborted(f"stopped with {result.left} recipient(s) left; {result.line()}")
        cap = result.cap or (combine_caps([c.plan for c in caps], result.left) if len(caps) == len(plan.relays) else None)
        if cap is not None and cap.pending and cap.resume_at is not None and result.left:
            relay = relay_of(transport) or ", ".join(c.account for c in caps) or "the relay"
            sent = f"{cap.now:,} went now" if cap.now else "nobody could go now"
            return SendOutcome(
                summary=result.line(), complete=False, campaign=str(result.campaign.id), resume_at=cap.resume_at,
                held_reason=f"the daily cap of {cap.cap:,} for {relay} is reached ({cap.used + cap.now:,} of "
                f"{cap.cap:,} in the last 24 h): {sent}, {result.left:,} wait for the cap",
                pending=result.left,
            )
        return SendOutcome(summary=result.line(), complete=result.complete, campaign=str(result.campaign.id))
