"""CLI: ``pressctl schedule`` (add, list, cancel, run) and ``pressctl dispatch`` — sending at the embargo's lift.

``pressctl schedule RELEASE -c FILE`` is short for ``pressctl schedule add RELEASE -c FILE``: the group
inserts ``add`` when the first word is not one of its commands, so both read naturally and ``--help``
lists every command. (A release file literally named ``list``, ``cancel`` or ``run`` needs ``./``.)
"""

from __future__ import annotations

import datetime as dt
import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from pressctl.cli._common import err, escape, handle_errors, out, workspace_for
from pressctl.cli._lists import ListOptionCommand
from pressctl.cli._options import (
    BatchPause,
    BatchSize,
    Concurrency,
    ConfigFile,
    ContactLists,
    CopyTo,
    DailyCap,
    Encoding,
    FromAddress,
    Lang,
    LedgerDb,
    MaxAttempts,
    Rate,
    RetryFor,
    SkipAdvance,
    Smtp,
    SmtpProfile,
    Where,
    raise_for_from,
)
from pressctl.errors import ConfigError

if TYPE_CHECKING:
    from pressctl.config import Workspace
    from pressctl.schedule.dispatcher import Dispatcher, DispatchEvent
    from pressctl.schedule.listing import JobView

__all__ = ["register"]


class _DefaultAddGroup(TyperGroup):
    """A group whose first argument, when it is not a command name, is the release of ``add``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["add", *args]
        return super().parse_args(ctx, args)


schedule_app = typer.Typer(
    name="schedule",
    cls=_DefaultAddGroup,
    no_args_is_help=True,
    rich_markup_mode="rich",
    subcommand_metavar="[add] RELEASE -c FILE... | list | cancel ID | run ID",
    help=(
        "Send a release at its embargo's lift (or --at a time), from a snapshot taken now.\n\n"
        "pressctl schedule RELEASE -c FILE ... is the same as pressctl schedule add RELEASE -c FILE ...; "
        "a dispatcher (pressctl dispatch --watch, or cron/systemd: see docs/dispatch.md) sends jobs on time."
    ),
)


_JobId = Annotated[str, typer.Argument(help="The job's id (see pressctl schedule list).")]


def _ledger_path(db: Path | None, workspace: Workspace) -> Path:
    return db.resolve() if db is not None else workspace.ledger_path


def _jobs_ledger(db: Path | None) -> Path:
    """The ledger for list/cancel/run/dispatch: the current workspace's, or --db.

    Outside a workspace this is an error rather than an empty new ledger: a cron line run in the wrong
    folder would otherwise report "no jobs due" for ever while the real jobs wait.
    """
    if db is not None:
        return db.resolve()
    from pressctl.errors import InputError

    workspace: Workspace = workspace_for(None)
    if workspace.config_path is None:
        raise InputError(
            f"{workspace.root} is not a pressctl workspace (no pressctl.toml here or above)",
            hint="run it in the workspace folder (cron: cd /path/to/workspace && pressctl ...), or give --db",
        )
    return workspace.ledger_path


def _options(**values: Any) -> dict[str, Any]:
    """The sending options to keep in the job: only what was given, paths made absolute."""
    kept: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value == []:
            continue
        if isinstance(value, Path):
            value = str(value.resolve())
        elif isinstance(value, list):
            value = [str(v.resolve()) if isinstance(v, Path) else v for v in value]
        kept[key] = value
    return kept


@schedule_app.command("add", cls=ListOptionCommand)
@handle_errors
def add(
    release: Annotated[
        Path, typer.Argument(metavar="RELEASE", help="The release file (Markdown with YAML front matter).")
    ],
    contacts: ContactLists,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help=(
                "When to send (default: the embargo). ISO 8601 with an offset (2030-03-12T10:00+08:00), "
                "a local time in the release's zone (2030-03-12 10:00), or +DURATION (+2h)."
            ),
        ),
    ] = None,
    under_embargo: Annotated[
        bool,
        typer.Option(
            "--under-embargo", help="An advance copy marked EMBARGOED, sent --at a time before the lift."
        ),
    ] = False,
    where: Where = None,
    suppress: Annotated[
        list[Path] | None,
        typer.Option(
            "--suppress",
            help="Another suppression list (the workspace's contacts/suppressed.csv always applies); "
            "both are read again when the job is sent.",
        ),
    ] = None,
    encoding: Encoding = None,
    smtp: Smtp = None,
    from_addr: FromAddress = None,
    concurrency: Concurrency[int | None] = None,
    rate: Rate[str | None] = None,
    smtp_profile: SmtpProfile = None,
    daily_cap: DailyCap = None,
    batch_size: BatchSize[int | None] = None,
    batch_pause: BatchPause[str | None] = None,
    max_attempts: MaxAttempts[int | None] = None,
    retry_for: RetryFor[str | None] = None,
    lang: Lang = None,
    skip_advance: SkipAdvance = False,
    copy_to: CopyTo = None,
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """Schedule RELEASE to go to the lists at the embargo's lift (or --at TIME).

    Everything a send checks is checked now. The release, its translations, photos and attachments, the lists, and the pressctl.toml, templates and logo it is rendered with are copied into .pressctl/jobs/ID/ (private), and that copy is what goes; suppression lists, SMTP settings and the workspace secret are read when it is sent. The last word printed is the job's id.

    Example:
      pressctl schedule releases/sample.md -c contacts/journalists.csv \\
        --at "2030-03-12 10:00"
    """
    from pressctl.schedule.request import ScheduleRequest, open_store, schedule_release
    from pressctl.send.copies import option_address
    from pressctl.send.scheduled import LedgerCampaignSender
    from pressctl.times import format_local, format_utc

    workspace = workspace_for(release, config)
    options = _options(
        where=where,
        suppress=suppress,
        encoding=encoding,
        smtp=smtp,
        from_addr=from_addr,
        concurrency=concurrency,
        rate=rate,
        smtp_profile=smtp_profile,
        daily_cap=daily_cap,
        batch_size=batch_size,
        batch_pause=batch_pause,
        max_attempts=max_attempts,
        retry_for=retry_for,
        lang=lang,
        under_embargo=under_embargo or None,
        skip_advance=skip_advance or None,
        copy_to=[option_address(a, option="--copy-to") for a in copy_to or ()],
    )
    ledger = _ledger_path(db, workspace)
    from pressctl.contacts.suppression import check_workspace_list

    notice = check_workspace_list(workspace.suppression_path)  # unreadable: one line, no job
    if notice:
        err.print(f"[yellow]warning:[/] {escape(notice)}")
    store = open_store(ledger)
    request = ScheduleRequest(
        release=release, contacts=tuple(contacts), at=at, under_embargo=under_embargo, options=options
    )
    from pressctl.cli.site import job_site_links

    engine = LedgerCampaignSender(ledger_path=ledger, site_links=job_site_links)
    try:
        job = schedule_release(request, workspace=workspace, store=store, engine=engine)
    except ConfigError as exc:
        # The engine checks the From line as a send would; name the option when it came from one.
        raise_for_from(exc, from_addr)
        raise
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(job.timezone)
    when = "at the embargo's lift" if job.embargo is not None and job.due == job.embargo else ""
    if job.under_embargo:
        when = f"as an advance copy, before the embargo ({format_local(job.embargo or job.due, zone)})"
    out.print(f"release     {escape(job.title)}")
    for warning in engine.checked_warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    out.print(f"recipients  {escape(engine.checked_recipients or str(job.recipients))}")
    for line in engine.checked_notes:
        out.print(f"            {escape(line)}")
    if engine.checked_languages:
        out.print(f"languages   {escape(engine.checked_languages)}")
    for line in engine.checked_limits:
        out.print(f"limits      {escape(line)}")
    out.print(f"sends at    {format_local(job.due, zone)} ({format_utc(job.due)}) {when}".rstrip())
    if workspace.site is not None:
        publishes = workspace.site.base_url or str(workspace.site.dir)
        deployed = " and deploys" if workspace.site.deploy else ""
        moment = "at the lift" if job.embargo is not None and job.due == job.embargo else "at its time"
        out.print(
            f"publishes   the newsroom page ({escape(publishes)}){deployed} {moment}, before the first email"
            if not job.under_embargo
            else f"publishes   the unlisted preview page ({escape(publishes)}){deployed} before the first email"
        )
    out.print(f"snapshot    {escape(job.snapshot_dir)}")
    _warn_cap(workspace, options, ledger=ledger, at=job.due, wanted=job.recipients, zone=zone)
    err.print(
        "A dispatcher must be running for it to go: pressctl dispatch --watch (or cron/systemd, "
        "see docs/dispatch.md). See jobs with: pressctl schedule list"
    )
    urls = smtp or ([workspace.smtp_url] if workspace.smtp_url else [r.url for r in workspace.smtp_relays])
    if any("@" in url.partition("://")[2].partition("/")[0] for url in urls):
        # The password is not kept in the job: the dispatcher needs it in its own environment.
        err.print(
            "The SMTP server needs a login: the dispatcher reads the password from PRESSCTL_SMTP_PASSWORD "
            "in its own environment (systemd: EnvironmentFile=, see docs/dispatch.md)."
        )
    out.print(f"scheduled job {job.id}")


def _warn_cap(
    workspace: Workspace, options: dict[str, Any], *, ledger: Path, at: Any, wanted: int, zone: Any
) -> None:
    """A warning now when the relay account's daily cap will not fit the whole job at its time."""
    from pressctl.send.caps import cap_at_lift
    from pressctl.send.options import SendOptions

    found = cap_at_lift(workspace, SendOptions.from_mapping(options), ledger_path=ledger, at=at, wanted=wanted)
    if found is None:
        return
    relay, plan = found
    from pressctl.times import format_local

    after = ""
    if plan.resume_at is not None:
        resume = plan.resume_at
        if resume != resume.replace(second=0, microsecond=0):
            resume = resume.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        after = f" after {format_local(resume, zone)}"
    first = f"{plan.now:,} of the {wanted:,} can go at its time; " if plan.now else "none can go at its time; "
    err.print(
        f"[yellow]warning:[/] the daily cap of {plan.cap:,} for {escape(relay)} will not fit this job at its time "
        f"({plan.used:,} of {plan.cap:,} already used in the 24 h before it): {first}{plan.pending:,} will wait "
        f"for the cap and go out automatically{escape(after)} (the job shows as held until then; a dispatcher "
        "must be running)"
    )


@schedule_app.command("list")
@handle_errors
def list_(
    db: LedgerDb = None,
    state: Annotated[
        list[str] | None,
        typer.Option(
            "--state", help="Only jobs in this state (scheduled, held, running, done, missed, cancelled, failed)."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The jobs as JSON, for scripts and monitoring.")] = False,
) -> None:
    """List jobs: id, release, recipients, time (release's zone and UTC), state; flags changed sources.

    Example: pressctl schedule list --state scheduled --json
    """
    from pressctl.ledger.jobs import STATES
    from pressctl.schedule.listing import list_jobs
    from pressctl.schedule.request import open_store

    for s in state or []:
        if s not in STATES:
            from pressctl.errors import InputError

            raise InputError(f"--state {s!r} is not a job state", hint="use one of " + ", ".join(STATES))
    views = list_jobs(open_store(_jobs_ledger(db)), states=sorted(set(state)) if state else None)
    if as_json:
        import json

        typer.echo(json.dumps([_view_data(v) for v in views], ensure_ascii=False, indent=2))
        return
    if not views:
        out.print("no jobs")
        return
    for view in views:
        _print_view(view)


def _view_data(view: JobView) -> dict[str, Any]:
    """One job for ``schedule list --json`` (no sending options: nothing there a script needs)."""
    job = view.job

    def iso(when: Any) -> str | None:
        return when.isoformat() if when is not None else None

    return {
        "id": job.id,
        "state": job.state,
        "shown_state": view.state,
        "due_utc": iso(job.due),
        "due_local": view.local,
        "timezone": job.timezone,
        "embargo_utc": iso(job.embargo),
        "under_embargo": job.under_embargo,
        "title": job.title,
        "release": job.release,
        "recipients": job.recipients,
        "snapshot": job.snapshot_dir,
        "created_utc": iso(job.created_at),
        "finished_utc": iso(job.finished_at),
        "resume_utc": iso(job.resume_at),
        "resume_local": view.resumes or None,
        "held_reason": job.held_reason,
        "attempts": job.attempts,
        "campaign": job.campaign,
        "result": job.result,
        "error": job.error,
        "changed_since_scheduling": view.changed,
    }


def _print_view(view: JobView) -> None:
    job = view.job
    out.print(
        f"[bold]{escape(job.id)}[/]  {escape(view.state)}  {escape(view.local)}  ({escape(view.utc)})"
        f"  {job.recipients} recipients"
        + ("  [yellow]advance copy (under embargo)[/]" if job.under_embargo else "")
    )
    out.print(f"    {escape(job.title)}  [dim]{escape(job.release)}[/]")
    if job.result:
        out.print(f"    result: {escape(job.result)}")
    if view.resumes:
        out.print(f"    [yellow]held until {escape(view.resumes)}, then it goes on by itself:[/] {escape(job.held_reason)}")
    if job.error:
        out.print(f"    [red]{escape(job.error)}[/]")
    if view.changed:
        out.print(
            "    [yellow]changed since scheduling (the snapshot goes, not these; "
            "cancel and schedule again to send the new version):[/]"
        )
        for item in view.changed:
            out.print(f"      {escape(item)}")


@schedule_app.command("cancel")
@handle_errors
def cancel(
    job_id: _JobId,
    db: LedgerDb = None,
) -> None:
    """Cancel a job. A job being sent stops after the messages in flight."""
    from pressctl.schedule.listing import cancel_job
    from pressctl.schedule.request import open_store

    store = open_store(_jobs_ledger(db))
    before = store.get(job_id)
    job = cancel_job(store, job_id)
    if before.state == "running":
        out.print(f"cancelled {job.id}: its dispatcher stops after the messages in flight")
    else:
        out.print(f"cancelled {job.id}")


@schedule_app.command("run")
@handle_errors
def run(
    job_id: _JobId,
    db: LedgerDb = None,
) -> None:
    """Send a missed, failed, held or waiting job now, on purpose (never before its embargo, unless an advance copy).

    A job held by the daily cap sends what the cap allows now; if it still allows nobody, the job stays held
    and the line says until when.
    """
    dispatcher = _dispatcher(_jobs_ledger(db))
    with _signals(dispatcher):
        events = dispatcher.run_now(job_id)
    _exit_for(events)


def _dispatcher(ledger: Path, **kw: Any) -> Dispatcher:
    from pressctl.cli.site import job_site_links
    from pressctl.schedule.dispatcher import Dispatcher
    from pressctl.schedule.newsroom import publish_at_lift
    from pressctl.schedule.request import open_store
    from pressctl.send.scheduled import LedgerCampaignSender

    return Dispatcher(
        open_store(ledger),
        engine=LedgerCampaignSender(ledger_path=ledger, site_links=job_site_links),
        on_event=_print_event,
        store_factory=lambda: open_store(ledger),
        publish_at_lift=publish_at_lift,
        **kw,
    )


def _print_event(event: DispatchEvent) -> None:
    from zoneinfo import ZoneInfo

    from pressctl.clock import system_clock
    from pressctl.times import format_local

    job = event.job
    stamp = format_local(system_clock(), ZoneInfo(job.timezone))
    colour = {
        "done": "green",
        "failed": "red",
        "incomplete": "red",
        "missed": "yellow",
        "held": "yellow",
        "stopped": "yellow",
    }.get(event.kind, "")
    kind = f"[{colour}]{event.kind}[/]" if colour else event.kind
    line = f"{escape(stamp)}  {escape(job.id)}  {kind}"
    if event.kind in ("started", "resumed"):
        line += f"  {escape(job.title)} ({job.recipients} recipients)"
    if event.detail:
        line += f"  {escape(event.detail)}"
    if event.kind == "missed":
        line += f"  — send it on purpose with: pressctl schedule run {escape(job.id)}"
    out.print(line)


def _exit_for(events: list[DispatchEvent]) -> None:
    # For cron: a job that failed, was missed or is held with recipients pending makes the run fail, so its
    # output is mailed to someone.
    if any(e.kind in ("failed", "incomplete", "missed", "held") for e in events):
        raise typer.Exit(1)


class _signals:
    """SIGTERM and the first Ctrl-C stop the dispatcher gently (messages in flight finish); a second
    Ctrl-C interrupts at once (the ledger still knows who was in flight)."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.saved: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if signum == signal.SIGINT and self.dispatcher.waiter.stopped:
            raise KeyboardInterrupt
        err.print("[yellow]stopping: finishing the messages in flight (Ctrl-C again to stop at once)[/]")
        self.dispatcher.stop()

    def __enter__(self) -> _signals:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self.saved[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.saved.items():
            signal.signal(sig, handler)


@handle_errors
def dispatch(
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

    Exit status: 0, or 1 if a job it ran failed, was missed or is held with recipients pending (so cron mails someone). See docs/dispatch.md.

    Example (cron, every minute):
      * * * * * cd /srv/press && pressctl dispatch
    """
    from pressctl.times import check_interval, parse_duration

    late = parse_duration(max_late, option="--max-late")
    interval = check_interval(interval, option="--interval")
    ledger = _jobs_ledger(db)
    dispatcher = _dispatcher(ledger, max_late=late)
    with _signals(dispatcher):
        if watch:
            err.print(f"dispatcher watching {escape(ledger)} (Ctrl-C or SIGTERM to stop)")
            dispatcher.watch(interval=interval)
            err.print("dispatcher stopped")
            return
        events = dispatcher.run_once()
    if not events:
        err.print("no jobs due" + _held_note(ledger))
    _exit_for(events)


def _held_note(ledger: Path) -> str:
    """``; 1 held, resuming by itself at 14:05 HKT`` when held jobs wait (a cron pass that ran nothing)."""
    from zoneinfo import ZoneInfo

    from pressctl.schedule.request import open_store
    from pressctl.times import format_local

    held = open_store(ledger).all(states=["held"])
    if not held:
        return ""
    first = min(held, key=lambda j: j.resume_at or j.due)
    when = format_local(first.resume_at or first.due, ZoneInfo(first.timezone))
    return f"; {len(held)} held, the next resuming by itself at {when} (see pressctl schedule list)"


def register(app: typer.Typer) -> None:
    """Add ``schedule`` (with add, list, cancel, run) and ``dispatch`` to the app."""
    app.add_typer(schedule_app, name="schedule")
    app.command("dispatch")(dispatch)
