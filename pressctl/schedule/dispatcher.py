"""The dispatcher: sends scheduled jobs whose time has come (``pressctl dispatch``, ``schedule run``).

``Dispatcher`` claims each due job atomically (see :mod:`pressctl.ledger.jobs`), hands it to the send engine
with ``not_before`` = the job's time so the engine checks the clock at every hand-over (it takes a job up
``DEFAULT_LEAD`` seconds early so rendering is done by then), and keeps its lease fresh while it sends.
Sending itself goes through a ``CampaignSender`` (:mod:`pressctl.send.sender`;
:class:`pressctl.send.scheduled.LedgerCampaignSender` in real use), so the timing rules here are tested with
a fake engine and a manual clock. Scheduling a job is :mod:`pressctl.schedule.request`, its snapshot
:mod:`pressctl.schedule.snapshot`, listing and cancelling :mod:`pressctl.schedule.listing`.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pressctl.approvals.check import require_approval
from pressctl.approvals.record import note_use
from pressctl.clock import Clock, SystemWaiter, Waiter, system_clock
from pressctl.config import Workspace
from pressctl.embargo import check_run_now
from pressctl.errors import ExitStatus, InputError, PressctlError, SendAborted, internal_origin
from pressctl.ledger.jobs import Job, JobStore
from pressctl.ledger.stores import LedgerName
from pressctl.owners import current_owner
from pressctl.release.load import load_release_set
from pressctl.schedule.snapshot import job_workspace, verify_snapshot
from pressctl.send.sender import CampaignSender
from pressctl.times import format_local

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_LEAD",
    "DEFAULT_LEASE",
    "DEFAULT_MAX_LATE",
    "DEFAULT_MIN_HOLD",
    "DispatchEvent",
    "Dispatcher",
    "DomainAtLift",
    "JobHeld",
    "PublishAtLift",
]

DEFAULT_MAX_LATE = dt.timedelta(hours=1)
DEFAULT_INTERVAL = 1.0  # seconds between looks at the ledger while waiting: new or cancelled jobs
DEFAULT_LEASE = 60.0  # seconds a dispatcher holds a job without renewing it (renewed every 0.5 s)
# A job is taken up this long before its time: the release is rendered, the lists read (suppression
# included) and the first connection opened, then the engine's gate holds each message until the time.
# So the first message leaves within a fraction of a second of the lift, however big the release.
DEFAULT_LEAD = 5.0
DEFAULT_HOLD_RETRY = 60.0  # seconds before a held job (its newsroom publish failed) is tried again
# A job held by the daily cap or "stop for now" waits at least this long, so a cap that frees one slot at a
# time (the earlier messages went out one by one) resumes in batches rather than once per message.
DEFAULT_MIN_HOLD = 60.0

# Before a job's emails leave: publish its newsroom page at the lift (pressctl.schedule.newsroom). Raising
# a PressctlError holds the job back (state ``held``) rather than sending links that lead nowhere.
PublishAtLift = Callable[[Job, Workspace, Clock], None]
# Before a job is sent through a relay: the sending-domain check again (pressctl.schedule.domainlift), with
# the job's ledger. Its lines are warnings; a PressctlError (DMARC will refuse the messages) fails the job.
DomainAtLift = Callable[[Job, Workspace, Path | str, Clock], list[str]]


class JobHeld(PressctlError):
    """The newsroom page could not be published before the emails: the job waits and is tried again."""

    exit_code = ExitStatus.FAILED



# -- the dispatcher -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DispatchEvent:
    """Something the dispatcher did, for the terminal and the log."""

    job: Job
    kind: str  # started | resumed | warning | done | incomplete | failed | missed | stopped | skipped | held
    detail: str = ""


class Dispatcher:
    """Sends due jobs through an engine. One instance per process; many processes may share a ledger."""

    def __init__(
        self,
        store: JobStore,
        *,
        engine: CampaignSender,
        clock: Clock = system_clock,
        waiter: Waiter | None = None,
        max_late: dt.timedelta = DEFAULT_MAX_LATE,
        lease_seconds: float = DEFAULT_LEASE,
        lead: float = DEFAULT_LEAD,
        owner: str | None = None,
        workspace_for: Callable[[Job], Workspace] = job_workspace,
        on_event: Callable[[DispatchEvent], None] = lambda event: None,
        store_factory: Callable[[], JobStore] | None = None,
        publish_at_lift: PublishAtLift | None = None,
        domain_at_lift: DomainAtLift | None = None,
        hold_retry: float = DEFAULT_HOLD_RETRY,
        min_hold: float = DEFAULT_MIN_HOLD,
        localise: Callable[[Job], Job] | None = None,
        ledger: LedgerName | None = None,
    ) -> None:
        self.store = store
        # The ledger the jobs and their campaigns are in (the engine's): approvals and the day's volume are
        # read there. None: each job's workspace's own file.
        self.ledger = ledger
        # A job scheduled on another machine (a shared ledger): its snapshot and workspace made local.
        self.localise = localise
        self.publish_at_lift = publish_at_lift  # used for jobs whose workspace has a [site]
        self.domain_at_lift = domain_at_lift
        self.hold_retry = dt.timedelta(seconds=hold_retry)
        self.min_hold = dt.timedelta(seconds=min_hold)
        self.engine = engine
        self.clock = clock
        self.waiter: Waiter = waiter if waiter is not None else SystemWaiter()
        self.max_late = max_late
        self.lease_seconds = lease_seconds
        self.lead = dt.timedelta(seconds=lead)
        self.owner = owner or current_owner()
        self.workspace_for = workspace_for
        self.on_event = on_event
        # The lease is renewed from a thread, over its own connection (sqlite3 connections stay in one thread).
        self.store_factory = store_factory
        self._job_stop = threading.Event()  # the job being sent now should stop
        # Jobs that fall due while this dispatcher is up (busy with another job) are late, not missed:
        # only a job already overdue when the dispatcher started (or woke from a machine's sleep) is.
        self._since: dt.datetime | None = None

    def stop(self) -> None:
        """Finish the messages in flight, then return (SIGTERM, Ctrl-C)."""
        self._job_stop.set()
        self.waiter.stop()

    # One pass: finish orphaned jobs, resume held ones whose time has come, send due ones, mark the too-late
    # ones missed.
    def run_once(self) -> list[DispatchEvent]:
        events: list[DispatchEvent] = []
        if self._since is None:
            self._since = self.clock()
        for orphan in self.store.orphaned():
            if self.waiter.stopped:
                return events
            events.extend(self._run(orphan, not_before=orphan.not_before, resumed=True))
        for held in self.store.resumable(self.clock()):
            if self.waiter.stopped:
                return events
            assert held.resume_at is not None
            late = self.clock() - held.resume_at
            if held.campaign is None and late > self.max_late and held.resume_at < self._since:
                # Held before its first email (its newsroom page): sending has not started, so --max-late
                # judges it as a start. A job held mid-send (daily cap, "stop for now") always resumes.
                note = f"found {_human(late)} after its retry time (--max-late {_human(self.max_late)})"
                if self.store.mark_missed(held.id, note=note, from_state="held"):
                    events.append(self._emit(DispatchEvent(self.store.get(held.id), "missed", note)))
                continue
            events.extend(self._run(held, not_before=held.not_before, resumed=True, from_states=("held",)))
        seen: set[str] = set()
        while not self.waiter.stopped:
            # Asked again after each job: others may have fallen due while it was sent.
            job = next((j for j in self.store.due(self.clock() + self.lead) if j.id not in seen), None)
            if job is None:
                break
            seen.add(job.id)
            late = self.clock() - job.due
            if late > self.max_late and job.due < self._since:
                note = f"found {_human(late)} after its time (--max-late {_human(self.max_late)})"
                if self.store.mark_missed(job.id, note=note):
                    events.append(self._emit(DispatchEvent(self.store.get(job.id), "missed", note)))
                continue
            events.extend(self._run(job, not_before=job.due, resumed=False))
        return events

    def run_now(self, job_id: str) -> list[DispatchEvent]:
        """``schedule run ID``: send a scheduled, missed or failed job now, on purpose.

        Never before its embargo unless it is an advance copy; the engine checks that at each hand-over.
        """
        job = self.store.get(job_id)
        if job.state == "running" and job.id not in {j.id for j in self.store.orphaned()}:
            raise InputError(f"job {job_id} is being sent by a dispatcher ({job.owner}) now")
        if job.state in ("done", "cancelled"):
            raise InputError(
                f"job {job_id} is {job.state}",
                hint="schedule the release again to send it again"
                if job.state == "cancelled"
                else "see `pressctl report` for who received it",
            )
        zone = job.zone
        not_before = check_run_now(
            job_id, job.embargo, under_embargo=job.under_embargo, now=self.clock(),
            show=lambda when: format_local(when, zone),
        )
        events = self._run(
            job,
            not_before=not_before,
            resumed=job.state in ("running", "held"),
            from_states=("scheduled", "held", "missed", "failed"),
        )
        if not events:
            raise InputError(f"job {job_id} was taken by another dispatcher a moment ago")
        return events

    def watch(self, *, interval: float = DEFAULT_INTERVAL) -> None:
        """Run until stopped: wake at the next job's time (or every ``interval`` to see new jobs)."""
        while not self.waiter.stopped:
            self.run_once()
            if self.waiter.stopped:
                break
            nxt = self.store.next_due()
            delay = interval
            if nxt is not None:
                delay = min(interval, (nxt - self.lead - self.clock()).total_seconds())
            resume = self.store.next_resume()  # a held job is taken up at its time, not early
            if resume is not None:
                delay = min(delay, (resume - self.clock()).total_seconds())
            delay = max(delay, 0.0)
            before = self.clock()
            self.waiter.wait(delay)
            overslept = (self.clock() - before).total_seconds() - delay
            if overslept > 60:
                # The machine slept (or the clock jumped): what fell due meanwhile was not seen in time.
                self._since = self.clock()

    # -- one job ------------------------------------------------------------------------------------------

    def _emit(self, event: DispatchEvent) -> DispatchEvent:
        self.on_event(event)
        return event

    def _run(
        self,
        job: Job,
        *,
        not_before: dt.datetime | None,
        resumed: bool,
        from_states: tuple[str, ...] = ("scheduled",),
    ) -> list[DispatchEvent]:
        if self.waiter.stopped:
            return []
        claimed = self.store.claim(
            job.id,
            owner=self.owner,
            lease_seconds=self.lease_seconds,
            not_before=not_before,
            from_states=from_states,
        )
        if claimed is None:
            return []  # another dispatcher has it, or it was cancelled a moment ago
        not_before = claimed.not_before  # a resume keeps the bound the send started under
        events = [self._emit(DispatchEvent(claimed, "resumed" if resumed else "started"))]
        self._job_stop = threading.Event()
        if self.waiter.stopped:  # a signal between the check above and now
            self._job_stop.set()
        heartbeat = _Heartbeat(self, claimed.id, self._job_stop)
        heartbeat.start()
        try:
            if self.localise is not None:
                claimed = self.localise(claimed)
            verify_snapshot(claimed)
            workspace = self.workspace_for(claimed)
            ledger_path = self.ledger if self.ledger is not None else workspace.ledger_path
            approved = require_approval(  # the job's private copy: workspace edits since do not change it
                load_release_set(claimed.release_path, workspace), workspace,
                ledger_path=ledger_path, command="dispatch",
            )
            if self.domain_at_lift is not None:  # before the page goes up: a refused job publishes nothing
                for line in self.domain_at_lift(claimed, workspace, ledger_path, self.clock):
                    events.append(self._emit(DispatchEvent(claimed, "warning", line)))
            if self.publish_at_lift is not None and workspace.site is not None:
                self._publish(claimed, workspace, not_before)
            outcome = self.engine.send(
                release=claimed.release_path,
                contacts=claimed.contact_paths,
                workspace=workspace,
                options=claimed.options,
                not_before=not_before,
                stop=self._job_stop,
            )
        except SendAborted as exc:
            heartbeat.finish()
            if self._job_stop.is_set():
                # Stopped on purpose: let go of the job so the next dispatcher resumes it at once
                # (unless it was cancelled, or another dispatcher holds it now: then it is not ours).
                self.store.release(claimed.id, owner=self.owner, note=str(exc))
                now = self.store.get(claimed.id)
                kind = "cancelled" if now.state == "cancelled" else "stopped"
                events.append(self._emit(DispatchEvent(now, kind, str(exc))))
            else:
                self.store.finish(claimed.id, owner=self.owner, state="failed", error=str(exc))
                events.append(self._emit(DispatchEvent(self.store.get(claimed.id), "failed", str(exc))))
            return events
        except JobHeld as exc:
            heartbeat.finish()
            retry = self.clock() + self.hold_retry
            note = f"{exc}; tried again at {format_local(retry, claimed.zone)} (or now: pressctl schedule run {claimed.id})"
            self.store.hold(claimed.id, owner=self.owner, until=retry, note=note)
            events.append(self._emit(DispatchEvent(self.store.get(claimed.id), "held", note)))
            return events
        except PressctlError as exc:
            heartbeat.finish()
            self.store.finish(claimed.id, owner=self.owner, state="failed", error=str(exc))
            events.append(self._emit(DispatchEvent(self.store.get(claimed.id), "failed", str(exc))))
            return events
        except Exception as exc:
            # A bug, or an input nothing foresaw: this job fails with its reason and the others go on
            # (one bad title must never stop every scheduled send). `schedule run` resumes it.
            heartbeat.finish()
            error = (
                f"internal error ({internal_origin(exc)}); the other jobs went on. Run it again with "
                f"PRESSCTL_DEBUG=1 pressctl schedule run {claimed.id} to see where, and report it"
            )
            self.store.finish(claimed.id, owner=self.owner, state="failed", error=error)
            events.append(self._emit(DispatchEvent(self.store.get(claimed.id), "failed", error)))
            if os.environ.get("PRESSCTL_DEBUG"):
                raise
            return events
        except BaseException:
            # KeyboardInterrupt (a second Ctrl-C): let go so a later run resumes through the ledger.
            heartbeat.finish()
            self.store.release(claimed.id, owner=self.owner, note="the dispatcher stopped unexpectedly")
            raise
        heartbeat.finish()
        if outcome.campaign:
            self.store.set_campaign(claimed.id, outcome.campaign)
            if approved and outcome.campaign.isdigit():  # the ledger's campaign id (a test engine's may be text)
                note_use(ledger_path, approved, campaign_id=int(outcome.campaign))
        if not outcome.complete and outcome.resume_at is not None:
            # The daily cap or "stop for now": those left wait, and this job resumes by itself then.
            until = max(outcome.resume_at, self.clock() + self.min_hold)
            when = format_local(until, claimed.zone)
            reason = outcome.held_reason or "recipients are left pending"
            note = f"{reason}; resumes by itself at {when} (or try now: pressctl schedule run {claimed.id})"
            if self.store.hold(claimed.id, owner=self.owner, until=until, note=reason, result=outcome.summary):
                detail = f"{outcome.summary}; {note}"
                events.append(self._emit(DispatchEvent(self.store.get(claimed.id), "held", detail)))
            else:  # cancelled while it sent: those left stay unsent
                now = self.store.get(claimed.id)
                events.append(self._emit(DispatchEvent(now, now.state, outcome.summary)))
            return events
        if outcome.complete:
            self.store.finish(claimed.id, owner=self.owner, state="done", result=outcome.summary)
            events.append(self._emit(DispatchEvent(self.store.get(claimed.id), "done", outcome.summary)))
        else:
            self.store.finish(
                claimed.id,
                owner=self.owner,
                state="failed",
                result=outcome.summary,
                error="some recipients are left; `pressctl schedule run` tries them again",
            )
            events.append(
                self._emit(DispatchEvent(self.store.get(claimed.id), "incomplete", outcome.summary))
            )
        return events

    def _publish(self, job: Job, workspace: Workspace, not_before: dt.datetime | None) -> None:
        """Wait for the lift (the job is taken up ``lead`` early), then publish its newsroom page: never a
        second early, and before the first email. A failure holds the job (JobHeld)."""
        assert self.publish_at_lift is not None
        while not_before is not None and not self._job_stop.is_set():
            left = (not_before - self.clock()).total_seconds()
            if left <= 0:
                break
            self.waiter.wait(min(left, 0.5))  # short waits: a cancel (the heartbeat) is seen at once
            if self.waiter.stopped:
                self._job_stop.set()
        if self._job_stop.is_set():
            raise SendAborted("stopped before the lift; nothing published or sent")
        try:
            self.publish_at_lift(job, workspace, self.clock)
        except PressctlError as exc:
            raise JobHeld(f"newsroom not published, so no email was sent: {exc}") from None


class _Heartbeat:
    """Renews a job's lease while it is sent; if the lease is lost (cancelled, taken over), stops the send."""

    def __init__(self, dispatcher: Dispatcher, job_id: str, stop: threading.Event) -> None:
        self.dispatcher = dispatcher
        self.job_id = job_id
        self.stop = stop
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.dispatcher.store_factory is None:
            return  # tests with a manual clock: no thread, the lease is long enough
        self._thread = threading.Thread(target=self._loop, name=f"lease-{self.job_id}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        assert self.dispatcher.store_factory is not None
        store = self.dispatcher.store_factory()
        try:
            # Often (one small UPDATE), so a `schedule cancel` stops a job within half a second, even
            # one already taken up and waiting for its time.
            every = min(self.dispatcher.lease_seconds / 4, 0.5)
            lease = self.dispatcher.lease_seconds
            while not self._done.wait(every):
                if not store.renew(self.job_id, owner=self.dispatcher.owner, lease_seconds=lease):
                    self.stop.set()  # cancelled, or not ours any more: never two senders
                    return
        finally:
            store.conn.close()

    def finish(self) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join(5)


def _human(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    hours, rest = divmod(seconds // 60, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"
