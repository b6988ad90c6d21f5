"""CLI: ``pressctl schedule`` (add, list, cancel; ``run`` is in :mod:`pressctl.cli.dispatch`): sending at the
embargo's lift.

``pressctl schedule RELEASE -c FILE`` is short for ``pressctl schedule add RELEASE -c FILE``: the group
inserts ``add`` when the first word is not one of its commands, so both read naturally and ``--help``
lists every command. (A release file literally named ``list``, ``cancel`` or ``run`` needs ``./``.)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer
from typer.core import TyperGroup

from pressctl.cli._common import command, escape, warn, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._lists import ListOptionCommand
from pressctl.cli._options import (
    AllowDifferences,
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
from pressctl.cli.dispatch import JobId, jobs_ledger
from pressctl.errors import ConfigError, InputError

if TYPE_CHECKING:
    from pressctl.config import Workspace
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
@command
def add(
    env: Env,
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
    allow_differences: AllowDifferences = False,
    ignore_domain_check: Annotated[
        bool,
        typer.Option(
            "--ignore-domain-check",
            help="Schedule although the sending-domain check says DMARC will refuse or junk the messages (kept in the job and its campaign; the dispatcher checks again at the lift and then only warns).",
        ),
    ] = False,
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """Schedule RELEASE to go to the lists at the embargo's lift (or --at TIME).

    Everything a send checks is checked now. The release, its translations, photos and attachments, the lists, and the pressctl.toml, templates and logo it is rendered with are copied into .pressctl/jobs/ID/ (private), and that copy is what goes; suppression lists, SMTP settings and the workspace secret are read when it is sent. The last word printed is the job's id.

    Example:
      pressctl schedule releases/sample.md -c contacts/journalists.csv \\
        --at "2030-03-12 10:00"
    """
    from pressctl.config.smtp import relay_entries
    from pressctl.contacts.suppression import check_workspace_list
    from pressctl.schedule.request import ScheduleRequest, open_store, schedule_release
    from pressctl.send.copies import option_address
    from pressctl.send.scheduled import LedgerCampaignSender
    from pressctl.site.links import job_links
    from pressctl.times import format_local, format_utc

    workspace = workspace_for(env, release, config)
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
        allow_differences=allow_differences or None,
        ignore_domain_check=ignore_domain_check or None,
    )
    ledger = jobs_ledger(env, db) if db is not None else workspace.ledger_path
    notice = check_workspace_list(workspace.suppression_path)  # unreadable: one line, no job
    if notice:
        warn(env, notice)
    store = open_store(ledger)
    request = ScheduleRequest(
        release=release, contacts=tuple(contacts), at=at, under_embargo=under_embargo, options=options
    )
    engine = LedgerCampaignSender(ledger_path=ledger, site_links=job_links, clock=env.clock)
    try:
        job = schedule_release(request, workspace=workspace, store=store, engine=engine, clock=env.clock, ledger=ledger)
    except ConfigError as exc:
        # The engine checks the From line as a send would; name the option when it came from one.
        raise_for_from(exc, from_addr)
        raise
    out = env.out
    zone = ZoneInfo(job.timezone)
    when = "at the embargo's lift" if job.embargo is not None and job.due == job.embargo else ""
    if job.under_embargo:
        when = f"as an advance copy, before the embargo ({format_local(job.embargo or job.due, zone)})"
    out.print(f"release     {escape(job.title)}")
    for line in engine.checked_warnings:
        warn(env, line)
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
    _warn_cap(env, workspace, options, ledger=ledger, at=job.due, wanted=job.recipients, zone=zone)
    env.err.print(
        "A dispatcher must be running for it to go: pressctl dispatch --watch (or cron/systemd, "
        "see docs/dispatch.md). See jobs with: pressctl schedule list"
    )
    if any(relay.settings.username for relay in relay_entries(workspace, smtp or ())):
        # The password is not kept in the job: the dispatcher needs it in its own environment.
        env.err.print(
            "The SMTP server needs a login: the dispatcher reads the password from PRESSCTL_SMTP_PASSWORD "
            "in its own environment (systemd: EnvironmentFile=, see docs/dispatch.md)."
        )
    out.print(f"scheduled job {job.id}")


def _warn_cap(
    env: Env, workspace: Workspace, options: dict[str, Any], *, ledger: Path | str, at: Any, wanted: int, zone: Any
) -> None:
    """A warning now when the relay account's daily cap will not fit the whole job at its time."""
    from pressctl.send.caps import cap_at_lift
    from pressctl.send.options import SendOptions
    from pressctl.times import format_local

    found = cap_at_lift(workspace, SendOptions.from_mapping(options), ledger_path=ledger, at=at, wanted=wanted)
    if found is None:
        return
    relay, plan = found
    after = ""
    if plan.resume_at is not None:
        resume = plan.resume_at
        if resume != resume.replace(second=0, microsecond=0):
            resume = resume.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        after = f" after {format_local(resume, zone)}"
    first = f"{plan.now:,} of the {wanted:,} can go at its time; " if plan.now else "none can go at its time; "
    warn(
        env,
        f"the daily cap of {plan.cap:,} for {relay} will not fit this job at its time "
        f"({plan.used:,} of {plan.cap:,} already used in the 24 h before it): {first}{plan.pending:,} will wait "
        f"for the cap and go out automatically{after} (the job shows as held until then; a dispatcher "
        "must be running)",
    )


@schedule_app.command("list")
@command
def list_(
    env: Env,
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
            raise InputError(f"--state {s!r} is not a job state", hint="use one of " + ", ".join(STATES))
    views = list_jobs(open_store(jobs_ledger(env, db)), states=sorted(set(state)) if state else None)
    if as_json:
        import json

        env.out.file.write(json.dumps([_view_data(v) for v in views], ensure_ascii=False, indent=2) + "\n")
        return
    if not views:
        env.out.print("no jobs")
        return
    for view in views:
        _print_view(env, view)


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


def _print_view(env: Env, view: JobView) -> None:
    out = env.out
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
@command
def cancel(
    env: Env,
    job_id: JobId,
    db: LedgerDb = None,
) -> None:
    """Cancel a job. A job being sent stops after the messages in flight."""
    from pressctl.schedule.listing import cancel_job
    from pressctl.schedule.request import open_store
    store = open_store(jobs_ledger(env, db))
    before = store.get(job_id)
    job = cancel_job(store, job_id)
    if before.state == "running":
        env.out.print(f"cancelled {job.id}: its dispatcher stops after the messages in flight")
    else:
        env.out.print(f"cancelled {job.id}")


def register(app: typer.Typer) -> None:
    """Add ``schedule`` (with add, list, cancel, run) and ``dispatch`` to the app."""
    from pressctl.cli.dispatch import dispatch, run

    schedule_app.command("run")(run)
    app.add_typer(schedule_app, name="schedule")
    app.command("dispatch")(dispatch)
