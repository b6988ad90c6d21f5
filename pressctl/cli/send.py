"""CLI: ``pressctl send RELEASE -c LIST...``: summary, confirmation, progress, and the ledger's verdict.

Thin over :mod:`pressctl.send.campaign`: parse options, plan, show the summary, ask, run, print, exit
0 (everyone sent), 1 (anyone failed or still pending), 2 (usage or input error).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pressctl.cli._common import err, escape, handle_errors, is_tty, out, workspace_for
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
    ReleaseFile,
    RetryFor,
    SkipAdvance,
    Smtp,
    SmtpProfile,
    Suppress,
    Where,
)
from pressctl.errors import InputError
from pressctl.ledger import recipients_left
from pressctl.relays import policy

if TYPE_CHECKING:
    from pressctl.send.audience import Audience
    from pressctl.send.campaign import SendPlan, SendResult
    from pressctl.send.transport import Transport

__all__ = ["register"]


@handle_errors
def send(
    release: ReleaseFile,
    contacts: ContactLists,
    encoding: Encoding = None,
    where: Where = None,
    suppress: Suppress = None,
    smtp: Smtp = None,
    from_addr: FromAddress = None,
    concurrency: Concurrency[int | None] = None,
    rate: Rate[str | None] = None,
    smtp_profile: SmtpProfile = None,
    daily_cap: DailyCap = None,
    batch_size: BatchSize[int] = 0,
    batch_pause: BatchPause[str] = "0",
    max_attempts: MaxAttempts[int] = policy.MAX_ATTEMPTS,
    retry_for: RetryFor[str] = policy.RETRY_FOR,
    reconnect_after: Annotated[
        int, typer.Option("--reconnect-after", help="Renew each connection after this many messages.")
    ] = policy.RECONNECT_AFTER,
    db: LedgerDb = None,
    new_campaign: Annotated[
        bool, typer.Option("--new-campaign", help="Send again to everyone, as a new campaign, on purpose.")
    ] = False,
    under_embargo: Annotated[
        bool,
        typer.Option("--under-embargo", help="Send an advance copy marked EMBARGOED (the embargo must be ahead)."),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write every message as .eml plus an index.html; send nothing.")
    ] = False,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder for --dry-run (default: out/preview-<slug>): new, empty, or made by an earlier dry run.")
    ] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="With --dry-run: only the first N messages.")] = None,
    test_to: Annotated[
        list[str] | None,
        typer.Option(
            "--test-to",
            help="Send one [TEST] message per language, personalised as the first contact, only to this "
            "address (repeatable); each with its own Message-ID, recorded as a test campaign. Under embargo "
            "the copy is marked EMBARGOED (no --under-embargo needed). The release's campaigns are not touched.",
        ),
    ] = None,
    skip_advance: SkipAdvance = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Try again the recipients of this campaign that failed for good (a full mailbox, a refusal of "
            "that one message, a relay error among accepted messages), once the cause is fixed; never a bounced "
            "address (it is suppressed).",
        ),
    ] = False,
    copy_to: CopyTo = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Send without asking (for scripts).")] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="If another pressctl is sending this release now, wait for it to end, then send whoever it left "
            "(without --wait: exit 1 naming it).",
        ),
    ] = False,
    lang: Lang = None,
    config: ConfigFile = None,
) -> None:
    """Send RELEASE to everyone on the lists, once each, recording every recipient's fate in the ledger.

    Shows a summary and asks first (--yes skips). Ctrl-C stops after the messages in flight (exit 130); running the same command again resumes and sends nothing twice. One process at a time sends a release: a second `send` of it (or one while `pressctl dispatch` sends its job) exits 1 naming the first, or waits for it with --wait. A release under embargo is refused: send an advance copy with --under-embargo, or use `pressctl schedule`.

    Exit status: 0 everyone sent; 1 someone failed or is left, or another process is sending the release; 2 bad input (nothing sent); 130 interrupted.

    Examples:
      pressctl send releases/launch.md -c contacts/journalists.csv --dry-run
      pressctl send releases/launch.md -c contacts/journalists.csv \\
        --test-to me@hvsp.example
      pressctl send releases/launch.md -c contacts/journalists.csv \\
        --smtp smtp://press@mail.hvsp.example --rate 10/s
    """
    from pressctl.send.campaign import SendOptions, plan_send
    from pressctl.send.copies import option_address

    workspace = workspace_for(release, config)
    options = SendOptions(
        encoding=encoding,
        where=tuple(where or ()),
        suppress=tuple(str(p) for p in suppress or ()),
        language=lang,
        from_addr=from_addr,
        advance_copy=under_embargo,
        new_campaign=new_campaign,
        smtp_urls=tuple(smtp or ()),
        db=str(db) if db else None,
        concurrency=concurrency,
        rate=rate,
        smtp_profile=smtp_profile,
        daily_cap=daily_cap,
        batch_size=batch_size,
        batch_pause=batch_pause,
        max_attempts=max_attempts,
        retry_for=retry_for,
        reconnect_after=reconnect_after,
        skip_advance=skip_advance,
        retry_failed=retry_failed,
        copy_to=tuple(option_address(a, option="--copy-to") for a in copy_to or ()),
    )
    if limit is not None and limit < 1:
        raise InputError(f"--limit {limit} is not a number of messages", hint="give 1 or more, e.g. --limit 5")
    if limit is not None and not dry_run:
        raise InputError("--limit only works with --dry-run", hint="add --dry-run, or drop --limit")
    if dry_run and test_to:
        raise InputError("--dry-run and --test-to don't go together", hint="use one of them")
    test_to = [option_address(a, option="--test-to") for a in test_to or ()]
    # A dry run of a release still under embargo previews it as it will go at the lift (nothing leaves).
    from pressctl.cli.site import site_links

    # With [site] base_url the emails link to the newsroom page: a real send needs it published.
    links = site_links(workspace, release, require=not dry_run and not test_to)
    plan = plan_send(
        release,
        contacts,
        workspace=workspace,
        options=options,
        check_embargo=not dry_run or under_embargo,
        site_links=links,
        test=bool(test_to) and not under_embargo,
    )
    for notice in plan.contacts.notices:
        err.print(f"[yellow]warning:[/] {escape(notice)}")
    for warning in plan.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    for warning in plan.limits.warnings if plan.limits else ():
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    if dry_run:
        _check_sender(plan)  # a bad --from is the option's fault in a dry run too, not pressctl.toml's
        _dry_run(plan, out_dir=out_dir, limit=limit)
        return
    if not plan.contacts.selected:
        raise _nobody(plan.contacts, contacts)
    _check_sender(plan)
    if test_to:
        _refuse_suppressed(plan, test_to)
    transport = _transport(plan)
    if test_to:
        _test_send(plan, test_to, transport)
        return
    _send(plan, transport, yes=yes, wait=wait)


def _nobody(found: Any, lists: Sequence[Path]) -> InputError:
    """The one line for lists that select nobody (only a header, every row invalid or suppressed, --where)."""
    from pressctl.errors import ContactsError

    why = (
        f"{found.rows} row(s): {len(found.invalid)} invalid, {len(found.duplicates)} duplicate(s), "
        f"{len(found.suppressed)} suppressed, {found.excluded} not matching --where"
    )
    return ContactsError(
        f"nobody to send to ({why})",
        where=", ".join(str(p) for p in lists),
        hint="`pressctl contacts check` lists each problem by file and row; nothing was sent or recorded",
    )


def _refuse_suppressed(plan: SendPlan, addresses: Sequence[str]) -> None:
    """Suppression holds for test copies too: an address that asked not to be mailed never is."""
    from pressctl.errors import ContactsError
    from pressctl.send.copies import suppressed_among

    held = suppressed_among(plan, addresses)
    for address in addresses:
        if address in held:
            raise ContactsError(
                f"--test-to {address!r} is on a suppression list; nothing was sent",
                where=", ".join(str(f) for f in (plan.workspace.suppression_path, *plan.options.suppress)),
                hint="send the test copy to an address of your own",
            )


def _check_sender(plan: SendPlan) -> None:
    """Refuse a bad From or Reply-To now, before a campaign is written to the ledger and left half-made."""
    from pressctl.config.sender import check_sender

    workspace = plan.workspace
    check_sender(
        workspace.sender,
        where=str(workspace.config_path) if workspace.config_path else None,
        from_addr=plan.options.from_addr,
        pdf_mode=plan.options.pdf_mode,
        newsroom=workspace.site is not None and bool(workspace.site.base_url),
    )


def _transport(plan: SendPlan) -> Transport:
    """The plan's relays, asking at a prompt for a password the environment does not give (in a terminal)."""
    import os

    from pressctl.send.campaign import make_transport
    from pressctl.send.relayset import password_for
    from pressctl.send.transport import PASSWORD_ENV

    passwords: dict[int, str] = {}
    for spec in plan.relays:
        settings = spec.settings
        if not settings.username or spec.auth == "xoauth2" or password_for(spec, os.environ):
            continue
        if not is_tty():
            more = f" (or {PASSWORD_ENV}_{spec.index} for this relay)" if spec.count > 1 else ""
            raise InputError(
                f"no password for {settings.username} at {settings.host}:{settings.port}",
                hint=f"set {PASSWORD_ENV}{more} in the environment",
            )
        passwords[spec.index] = typer.prompt(
            f"Password for {settings.username} at {settings.host}", hide_input=True, err=True
        )
    return make_transport(plan, passwords=passwords)


def _dry_run(plan: SendPlan, *, out_dir: Path | None, limit: int | None) -> None:
    from pressctl.send.preview import write_preview

    target = out_dir or (plan.workspace.root / "out" / f"preview-{plan.main.slug}")
    who = _audience(plan)
    summary = _summary_rows(plan, transport=None, resume=_resume_line(who), who=who)
    result = write_preview(
        plan.factory("preview-" + plan.fingerprint),
        who.send,
        out_dir=target,
        pdfs=plan.pdfs,
        limit=limit,
        summary=summary,
        skipped=who.skipped,
        advance=who.advance,
    )
    from pressctl.clock import system_clock
    from pressctl.embargo import under_embargo

    if not plan.embargoed and under_embargo(plan.main.embargo, system_clock()):
        err.print(
            "[yellow]note:[/] the embargo has not lifted: `pressctl send` would refuse now. This preview shows the "
            "release as it will go at the lift; add --under-embargo to preview an advance copy."
        )
    out.print(f"languages {escape(summary['languages'])}")
    out.print(f"attachments: {escape(summary['attachments'])}")
    if "newsroom" in summary:
        out.print(f"newsroom: {escape(summary['newsroom'])}")
    if len(plan.relays) > 1:
        for spec in plan.relays:
            lim = spec.limits
            out.print(
                f"limits, {escape(spec.label)}: {escape(f'{lim.profile.name} ({lim.profile_origin})')}; "
                f"{escape(lim.connections.line)}; {escape(lim.rate.line)}; {escape(lim.daily_cap.line)}"
            )
    else:
        out.print(
            f"limits: {escape(summary['relay profile'])}; {escape(summary['connections'])}; {escape(summary['rate'])}; "
            f"{escape(summary['daily cap'])}"
        )
    out.print(f"recipients {escape(who.recipients_line)}")
    _print_audience(who)
    campaign = f"campaign #{who.campaign.id}" if who.campaign is not None else f"a new campaign ({who.kind})"
    out.print(f"the send would end: {campaign}: {escape(who.line())}")
    out.print(f"dry run: {result.written} of {result.recipients} message(s) written, nothing sent, nothing recorded")
    out.print(f"open {escape(result.index)}")


def _audience(plan: SendPlan) -> Audience:
    """Who a send would reach now, read from the ledger (when there is one; nothing is written)."""
    from pressctl.ledger import Ledger
    from pressctl.send.audience import audience

    if not plan.ledger_path.exists():
        return audience(plan, None, capped=True)
    with Ledger(plan.ledger_path) as ledger:
        return audience(plan, ledger, capped=True)


def _resume_line(who: Audience) -> str | None:
    if who.campaign is None:
        return None
    return f"resuming #{who.campaign.id}: {len(who.send)} to send ({who.kind})"


def _print_audience(who: Audience) -> None:
    """Who is left out and why, and the internal copies: the same lines for the dry run and the send."""
    for why, n in who.skipped_reasons().items():
        hint = "" if "--skip-advance" in why else " (--new-campaign sends to them again)"
        out.print(f"{n} skipped: {escape(why)}{hint}")
    for address, language, state in who.copies:
        if state == "suppressed":
            err.print(f"[yellow]warning:[/] {escape(address)} is on a suppression list: its internal copy is not sent")
        out.print(f"internal copy {escape(address)} ({language}): {state}")
    if who.later:
        out.print(f"{who.later} wait for the daily cap (they stay pending for a later run)")


def _test_send(plan: SendPlan, addresses: list[str], transport: Transport) -> None:
    from pressctl.ledger import Ledger
    from pressctl.send.testcopy import send_test

    marked = " marked EMBARGOED (the embargo has not lifted)" if plan.embargoed else ""
    err.print(f"sending [TEST] copies{marked} through {escape(transport.description)}")
    with Ledger(plan.ledger_path) as ledger:
        result = send_test(plan, addresses, transport=transport, ledger=ledger)
    for copy in result.copies:
        word = {"sent": "sent  ", "failed": "FAILED"}.get(copy.status, copy.status)
        out.print(f"{word} {escape(copy.address)} ({copy.language}) {escape(copy.message_id)}: {escape(copy.reply)}")
    if result.stopped:
        err.print(f"[red]stopped:[/] {escape(result.stopped)}")
    out.print(
        f"recorded as test campaign #{result.campaign.id}; the release's campaigns were not touched: no journalist "
        "is marked sent"
    )
    if result.sent < len(result.copies):
        raise typer.Exit(1)


def attachment_line(files: Sequence[tuple[str, int]]) -> str:
    """``sample.pdf (412.3 KB), factsheet.pdf (2.5 KB)`` or ``none``."""
    return ", ".join(f"{name} ({format_size(size)})" for name, size in files) or "none"


def format_size(size: int) -> str:
    """``812 bytes``, ``2.5 KB``, ``1.3 MB`` (powers of 1000, as file managers show them)."""
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1_000_000:.1f} MB"


def _summary_rows(
    plan: SendPlan, *, transport: Transport | None, resume: str | None, who: Audience | None = None
) -> dict[str, Any]:
    from pressctl.send.pacing import Pacer, format_duration

    s = plan.summary()
    opts = plan.delivery_options()
    rows: dict[str, Any] = {
        "release": f"{s['title']} ({plan.release_path})",
        "languages": plan.contacts.languages_line() if plan.contacts.selected
        else ", ".join(f"{k or '?'} {v}" for k, v in s["languages"].items()) or "-",
        "recipients": who.recipients_line if who is not None else s["recipients"],
        "suppressed": s["suppressed"],
        "invalid": f"{s['invalid']} (reported by `pressctl contacts check`, skipped)" if s["invalid"] else 0,
        "duplicates": f"{s['duplicates']} (merged)" if s["duplicates"] else 0,
    }
    if s["excluded"]:
        rows["not matching --where"] = s["excluded"]
    if who is not None and who.skipped:
        rows["skipped"] = len(who.skipped)
    rows["attachments"] = attachment_line(plan.attachments())
    if plan.embargoed:
        rows["embargo"] = f"ADVANCE COPY, marked EMBARGOED UNTIL {s['embargo']}"
    if plan.links:
        # The emails' "Read online" links ([site] base_url), one page per language.
        rows["newsroom"] = ", ".join(links.page for links in plan.links.values())
    batches = f", pause {opts.batch_pause:g} s after every {opts.batch_size}" if opts.batch_size else ""
    if len(plan.relays) > 1:
        # One block per relay: its limits and where each came from. The list is shared between them.
        share = -(-s["recipients"] // len(plan.relays))
        slowest = 0.0
        for spec in plan.relays:
            lim = spec.limits
            rows[f"relay {spec.index}"] = spec.settings.describe()
            rows[f"  {spec.index} profile"] = f"{lim.profile.name} ({lim.profile_origin})"
            rows[f"  {spec.index} connections"] = lim.connections.line
            rows[f"  {spec.index} rate"] = lim.rate.line + batches
            rows[f"  {spec.index} daily cap"] = lim.daily_cap.line
            relay_opts = plan.relay_options(spec)
            pacer = Pacer(relay_opts.rate, batch_size=opts.batch_size, batch_pause=opts.batch_pause)
            per_message = 0.02 / max(1, relay_opts.concurrency)
            slowest = max(slowest, pacer.estimate(share, per_message=per_message))
        rows["estimated time"] = format_duration(slowest) + " (the list spread evenly over the relays)"
        if transport is not None:
            rows["transport"] = f"{len(plan.relays)} relays, {sum(sp.limits.connections.value for sp in plan.relays)} connections in all"
    else:
        limits = plan.limits or plan.options.limits(plan.workspace)
        rows["relay profile"] = f"{limits.profile.name} ({limits.profile_origin})"
        rows["connections"] = limits.connections.line
        rows["rate"] = limits.rate.line + batches
        rows["daily cap"] = limits.daily_cap.line
        per_message = 0.002 if transport is None or transport.is_local else 0.02 / max(1, opts.concurrency)
        pacer = Pacer(opts.rate, batch_size=opts.batch_size, batch_pause=opts.batch_pause)
        rows["estimated time"] = format_duration(pacer.estimate(s["recipients"], per_message=per_message))
        if transport is not None:
            rows["transport"] = transport.description + (f", {opts.concurrency} connections" if not transport.is_local else "")
    rows["Message-IDs"] = f"@{plan.message_id_domain}"
    rows["ledger"] = str(plan.ledger_path)
    if resume:
        rows["campaign"] = resume
    return rows


def _send(plan: SendPlan, transport: Transport, *, yes: bool, wait: bool) -> None:
    from pressctl.ledger import Ledger
    from pressctl.send.campaign import _busy, cap_plan, relay_caps, release_key, run_send

    with Ledger(plan.ledger_path) as ledger:
        holder = ledger.lock_holder(release_key(plan))
        if holder is not None and not wait:
            raise _busy(plan, holder)  # before the summary and the question: the answer would not matter
        from pressctl.send.audience import audience

        who = audience(plan, ledger, capped=True)
        resume = None
        if who.campaign is not None:
            t = ledger.totals(who.campaign.id)
            resume = f"resuming #{who.campaign.id}: {t['sent']} already sent, {recipients_left(t)} left ({who.kind})"
            if who.retried:
                resume += f", {who.retried} failed tried again" + (" (--retry-failed)" if plan.options.retry_failed else "")
        _check_relay_size(plan, transport)
        rows = _summary_rows(plan, transport=transport, resume=resume, who=who)
        wanted = len(who.send) + sum(1 for *_, state in who.copies if state == "to send")
        if len(plan.relays) > 1:
            for relay_cap in relay_caps(plan, ledger, wanted=wanted):
                index = next(sp.index for sp in plan.relays if sp.account == relay_cap.account)
                rows[f"  {index} daily cap"] += f"; today {relay_cap.plan.used:,} of {relay_cap.plan.cap:,} used, room for {relay_cap.room:,}"
        else:
            cap = cap_plan(plan, ledger, transport, wanted=wanted)
            if cap is not None:
                rows["daily cap"] += f"; today {cap.describe(_zone(plan))}"
        if transport.is_local:
            err.print("[yellow]no SMTP server configured:[/] messages go to the local outbox; nothing leaves this machine")
        from pressctl.present import aligned

        for line in aligned(rows):
            out.print(escape(line))
        _print_audience(who)
        if not plan.contacts.selected:
            out.print("nobody to send to")
            raise typer.Exit(0)
        if not yes:
            if not is_tty():
                raise InputError(
                    "not sending without a confirmation", hint="run it in a terminal, or add --yes to send from a script"
                )
            if not typer.confirm(f"Send to {len(who.send)} recipient(s)?", default=False):
                err.print("nothing sent")
                raise typer.Exit(1)
        result = _run_with_progress(plan, transport, ledger, run_send, wait=wait)
        _verdict(result, ledger, zone=_zone(plan))


def _check_relay_size(plan: SendPlan, transport: Transport) -> None:
    """Refuse up front (exit 2, nothing sent) a release whose largest message is larger than every relay's
    SIZE (with several relays, a message goes only through those that take it)."""
    import asyncio

    from pressctl.errors import TransportError
    from pressctl.send.probe import check_size, largest_message, relay_size
    from pressctl.send.transport import RelayPool, SmtpTransport

    relays = transport.relays if isinstance(transport, RelayPool) else (transport,)
    if not all(isinstance(r, SmtpTransport) for r in relays) or not plan.contacts.selected:
        return
    sizes: list[tuple[int | None, str]] = []
    for relay in relays:
        assert isinstance(relay, SmtpTransport)
        try:
            size = asyncio.run(relay_size(relay))
        except TransportError:
            return  # unreachable now: the run says so in its own words, with the campaign recorded to resume
        if size is None:
            return  # this one announces no limit: it takes the largest message
        sizes.append((size, f"{relay.settings.host}:{relay.settings.port}"))
    largest, language = largest_message(plan)
    biggest, where = max(sizes, key=lambda pair: pair[0] or 0)
    if len(sizes) > 1:
        where = f"largest of the {len(sizes)} relays ({where})"
    check_size(largest, language, biggest, where)


def _run_with_progress(plan: SendPlan, transport: Transport, ledger: Any, run_send: Any, *, wait: bool) -> SendResult:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    stop = threading.Event()
    presses = [0]

    def on_sigint(signum: int, frame: Any) -> None:
        presses[0] += 1
        if presses[0] > 1:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now; in-flight rows stay 'sending' for the resume
        stop.set()
        err.print("\n[yellow]stopping after the messages in flight... (Ctrl-C again to stop at once)[/]")

    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>7} msg/s"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    )
    task = progress.add_task("sending", total=None, rate="")
    import time

    started = time.monotonic()

    def on_campaign(campaign: Any, totals: dict[str, int]) -> None:
        progress.update(task, total=totals["todo"], description=f"campaign #{campaign.id}")

    def on_wait(holder: Any) -> None:
        err.print(f"waiting: this release is being sent by {escape(holder.describe())} (Ctrl-C to stop waiting)")

    def on_progress(p: Any) -> None:
        elapsed = max(1e-6, time.monotonic() - started)
        progress.update(task, completed=p.sent + p.failed, rate=f"{p.sent / elapsed:.1f}")

    from pressctl.errors import SendAborted

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        with progress:
            result: SendResult = run_send(
                plan, ledger=ledger, transport=transport, progress=on_progress, stop=stop, on_campaign=on_campaign,
                wait=wait, on_wait=on_wait,
            )
    except SendAborted as exc:
        if not stop.is_set():
            raise
        err.print(f"[yellow]interrupted:[/] {escape(exc.what)}; nothing sent")
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGINT, previous)
    return result


def _zone(plan: SendPlan) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(plan.workspace.timezone)


def _verdict(result: SendResult, ledger: Any, *, zone: Any) -> None:
    c = result.campaign
    run = result.run
    out.print(f"campaign #{c.id}: {result.line()}")
    if result.cap is not None and result.cap.pending:
        out.print(f"daily cap: {escape(result.cap.describe(zone))}")
    if result.skipped:
        out.print(
            f"{result.skipped} recipient(s) skipped: they received this release in an earlier campaign "
            "(add --new-campaign to send to them again)"
        )
    if result.advance:
        out.print(f"{result.advance} who had the advance copy got the released version (a new Message-ID)")
    for copy in result.copies:
        out.print(f"internal copy {escape(copy.email)} ({copy.language}): {copy.status}")
    if run.repeated:
        out.print(f"{run.repeated} message(s) sent again after a lost connection, with their original Message-ID")
    if run.bounced:
        out.print(f"{len(run.bounced)} address(es) bounced and were added to the suppression list")
    if len(run.relays) > 1:
        for relay in run.relays:
            line = f"{relay.label}: {relay.sent:,} sent"
            if relay.throttled:
                line += f", asked to slow down {relay.throttled} time(s)"
            if relay.left:
                line += f"; left rotation: {relay.left}" if not relay.quiet else f"; {relay.left}"
            out.print(escape(line))
        for relay_cap in result.caps:
            out.print(f"daily cap, {escape(relay_cap.describe(zone))}")
        if run.too_large:
            out.print(f"{run.too_large} message(s) larger than every relay left takes: they stay pending")
    elif run.throttled:
        out.print(
            f"the relay asked to slow down {run.throttled} time(s): pressctl sent slower (not counted against "
            "anyone's tries)"
        )
    failed = [r for r in ledger.recipients(c.id) if r.status == "failed"]
    for rec in failed[:10]:
        reply = f"{rec.last_code or ''} {rec.last_reply}".strip()
        why = f"{rec.reason} ({reply})" if rec.reason and reply else rec.reason or reply
        again = "; a re-run tries again" if rec.retryable else ""
        out.print(f"  failed  {escape(rec.email)}: {escape(why)}{again}")
    if len(failed) > 10:
        out.print(f"  ... and {len(failed) - 10} more: `pressctl report {c.id}`")
    if result.final_failures:
        out.print(
            "once the cause is fixed, run the same command with --retry-failed to try the failed ones again "
            "(a bounced address stays suppressed)"
        )
    if run.stopped:
        err.print(f"[red]stopped:[/] {escape(run.stopped)}")
    elif run.interrupted and result.left:
        err.print(f"[yellow]stopped:[/] {result.left} recipient(s) left. To resume, run the same command again.")
    if run.interrupted and not run.stopped:
        raise typer.Exit(130)
    elif result.left:
        err.print(f"{result.left} recipient(s) still pending: run the same command again to retry them.")
    if not result.complete:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``send`` to the app."""
    from pressctl.cli._lists import ListOptionCommand

    app.command("send", cls=ListOptionCommand)(send)

