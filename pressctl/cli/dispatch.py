"""CLI: ``pressctl dispatch`` (send the jobs whose time has come; ``--watch`` keeps running) and ``pressctl
schedule run ID`` (one job now, on purpose): the dispatcher of :mod:`pressctl.schedule.dispatcher`, its events
printed one line each, SIGTERM and Ctrl-C stopping it gently. Exit 0, or 1 when a job it ran failed, was
missed or is held with recipients pending (cron mails someone).
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from pressctl.cli._common import command, escape, exit_with, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import LedgerDb
from pressctl.errors import ExitStatus, InputError

if TYPE_CHECKING:
    from pressctl.schedule.dispatcher import Dispatcher, DispatchEvent
__all__ = ["JobId", "dispatch", "jobs_ledger", "run"]

JobId = Annotated[str, typer.Argument(help="The job's id (see pressctl schedule list).")]

# What makes a pass fail for cron: a job that failed, was missed or is held with recipients pending, so its
# output is mailed to someone.
_FAILING = ("failed", "incomplete", "missed", "held")


def jobs_ledger(env: Env, db: str | None) -> Path | str:
    """The ledger for list/cancel/run/dispatch: the current workspace's, or --db.

    Outside a workspace this is an error rather than an empty new ledger: a cron line run in the wrong
    folder would otherwise report "no jobs due" for ever while the real jobs wait.
    """
    if db is not None:
        from pressctl.ledger.stores import ledger_name

        name = ledger_name(db)
        return name.resolve() if isinstance(name, Path) else name
    workspace = workspace_for(env)
    if workspace.config_path is None:
        raise InputError(
            f"{workspace.root} is not a pressctl workspace (no pressctl.toml here or above)",
            hint="run it in the workspace folder (cron: cd /path/to/workspace && pressctl ...), or give --db",
        )
    return workspace.ledger_path


@command
def run(
    env: Env,
    job_id: JobId,
    db: LedgerDb = None,
) -> None:
    """Send a missed, failed, held or waiting job now, on purpose (never before its embargo, unless an advance copy).

    A job held by the daily cap sends what the cap allows now; if it still allows nobody, the job stays held
    and the line says until when.
    """
    dispatcher = _dispatcher(env, jobs_ledger(env, db))
    with _signals(env, dispatcher):
        events = dispatcher.run_now(job_id)
    _exit_for(events)


@command
def dispatch(
    env: Env,
    watch: Annotated[
        bool,
        typer.Option("--watch", help="Keep running and send each job at its time (for a systemd service)."),
    ] = False,
    max_late: Annotated[
        str,
        typer.Option(
            "--max-late",
            help="A job found later than this after its time is marked missed, not sent (a held job's resume is "
            "never judged by it).",
        ),
    ] = "1h",
    interval: Annotated[
        float,
        typer.Option(
            "--interval", help="With --watch: seconds between looks for new or cancelled jobs (0.1 to 86400)."
        ),
    ] = 1.0,
    db: LedgerDb = None,
) -> None:
    """Send the scheduled jobs whose time has come, then exit (cron, systemd timer); --watch keeps running.

    With --watch each job goes at its time, never before. A job more than --max-late past its time is marked missed and not sent: `pressctl schedule run ID` sends it on purpose. A job that a stopped or killed dispatcher left half-sent is finished without repeats. SIGTERM or Ctrl-C: the messages in flight finish, then it exits.

    A job held by the relay account's daily cap (or a relay's "stop for now") waits as held and is resumed by the dispatcher at the time shown in `pressctl schedule list`; --max-late judges only a job's first start, never a resume.

    Each job on its own: one that fails (whatever the reason) is marked failed with its reason in `pressctl schedule list`, and the others go on.

    Before a job goes through a relay its sending domain is checked again (as `pressctl domain check`): a DMARC p=quarantine/reject that neither SPF nor DKIM aligns with fails that job, unless it was scheduled with --ignore-domain-check; other findings, or no DNS server answering, are warning lines and the job is sent.

    Exit status: 0, or 1 if a job it ran failed, was missed or is held with recipients pending (so cron mails someone). See docs/dispatch.md.

    Example (cron, every minute):
      * * * * * cd /srv/press && pressctl dispatch
    """
    from pressctl.times import check_interval, parse_duration

    late = parse_duration(max_late, option="--max-late")
    interval = check_interval(interval, option="--interval")
    ledger = jobs_ledger(env, db)
    dispatcher = _dispatcher(env, ledger, max_late=late)
    with _signals(env, dispatcher):
        if watch:
            env.err.print(f"dispatcher watching {escape(ledger)} (Ctrl-C or SIGTERM to stop)")
            dispatcher.watch(interval=interval)
            env.err.print("dispatcher stopped")
            return
        events = dispatcher.run_once()
    if not events:
        env.err.print("no jobs due" + _held_note(ledger))
    _exit_for(events)


def _dispatcher(env: Env, ledger: Path | str, **kw: Any) -> Dispatcher:
    from pressctl.schedule.dispatcher import Dispatcher
    from pressctl.schedule.domainlift import domain_at_lift
    from pressctl.schedule.newsroom import publish_at_lift
    from pressctl.schedule.request import open_store
    from pressctl.schedule.shared import local_job
    from pressctl.send.scheduled import LedgerCampaignSender
    from pressctl.site.links import job_links

    store = open_store(ledger)
    here = workspace_for(env)  # a job from another officer's machine is delivered with this workspace
    return Dispatcher(
        store,
        localise=lambda job: local_job(job, store, here),
        engine=LedgerCampaignSender(ledger_path=ledger, site_links=job_links, clock=env.clock),
        clock=env.clock,
        on_event=lambda event: _print_event(env, event),
        store_factory=lambda: open_store(ledger),
        publish_at_lift=publish_at_lift,
        domain_at_lift=domain_at_lift,
        ledger=ledger,
        **kw,
    )


def _print_event(env: Env, event: DispatchEvent) -> None:
    from pressctl.times import format_local

    job = event.job
    stamp = format_local(env.clock(), ZoneInfo(job.timezone))
    colour = {
        "done": "green",
        "failed": "red",
        "incomplete": "red",
        "missed": "yellow",
        "held": "yellow",
        "stopped": "yellow",
        "warning": "yellow",
    }.get(event.kind, "")
    kind = f"[{colour}]{event.kind}[/]" if colour else event.kind
    line = f"{escape(stamp)}  {escape(job.id)}  {kind}"
    if event.kind in ("started", "resumed"):
        line += f"  {escape(job.title)} ({job.recipients} recipients)"
    if event.detail:
        line += f"  {escape(event.detail)}"
    if event.kind == "missed":
        line += f"  — send it on purpose with: pressctl schedule run {escape(job.id)}"
    env.out.print(line)


def _exit_for(events: list[DispatchEvent]) -> None:
    if any(e.kind in _FAILING for e in events):
        raise exit_with(ExitStatus.FAILED)


class _signals:
    """SIGTERM and the first Ctrl-C stop the dispatcher gently (messages in flight finish); a second
    Ctrl-C interrupts at once (the ledger still knows who was in flight)."""

    def __init__(self, env: Env, dispatcher: Dispatcher) -> None:
        self.env = env
        self.dispatcher = dispatcher
        self.saved: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self.dispatcher.waiter.stopped:
            raise KeyboardInterrupt
        self.env.err.print("[yellow]stopping: finishing the messages in flight (Ctrl-C again to stop at once)[/]")
        self.dispatcher.stop()

    def __enter__(self) -> _signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


def _held_note(ledger: Path | str) -> str:
    """``; 1 held, resuming by itself at 14:05 HKT`` when held jobs wait (a cron pass that ran nothing)."""
    from pressctl.schedule.request import open_store
    from pressctl.times import format_local

    held = open_store(ledger).all(states=["held"])
    if not held:
        return ""
    first = min(held, key=lambda j: j.resume_at or j.due)
    when = format_local(first.resume_at or first.due, ZoneInfo(first.timezone))
    return f"; {len(held)} held, the next resuming by itself at {when} (see pressctl schedule list)"
