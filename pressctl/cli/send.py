"""CLI: ``pressctl send RELEASE -c LIST...``: summary, confirmation, progress, and the ledger's verdict.

Thin over :mod:`pressctl.send`: parse the options, plan (:func:`~pressctl.send.plan.plan_send`), let
:mod:`pressctl.send.checks` refuse what it must, then the dry run or the test copies
(:mod:`pressctl.cli._send_show`) or the send itself (:mod:`pressctl.cli._send_run`). Exit 0 (everyone sent),
1 (anyone failed or still pending), 2 (usage or input error), 130 (interrupted).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli._common import command, warn, workspace_for
from pressctl.cli._env import Env
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
    ReleaseFile,
    RetryFor,
    SkipAdvance,
    Smtp,
    SmtpProfile,
    Suppress,
    Where,
)
from pressctl.errors import InputError
from pressctl.relays import policy

if TYPE_CHECKING:
    from pressctl.send.plan import SendPlan
    from pressctl.send.transport import Transport

__all__ = ["register"]


@command
def send(
    env: Env,
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
    allow_differences: AllowDifferences = False,
    ignore_domain_check: Annotated[
        bool,
        typer.Option(
            "--ignore-domain-check",
            help="Send although the sending-domain check says DMARC will refuse or junk the messages (recorded in the campaign).",
        ),
    ] = False,
    config: ConfigFile = None,
) -> None:
    """Send RELEASE to everyone on the lists, once each, recording every recipient's fate in the ledger.

    Shows a summary and asks first (--yes skips). Ctrl-C stops after the messages in flight (exit 130); running the same command again resumes and sends nothing twice. One process at a time sends a release: a second `send` of it (or one while `pressctl dispatch` sends its job) exits 1 naming the first, or waits for it with --wait. A release under embargo is refused: send an advance copy with --under-embargo, or use `pressctl schedule`. So is a version marked 'draft: true', and language versions that disagree on dates, figures, phones, e-mail addresses, URLs, photos or quotes (`pressctl check RELEASE` lists them; --allow-differences sends anyway). Before a send through a relay the sending domain is checked (`pressctl domain check`): a DMARC p=quarantine/reject that neither SPF nor DKIM will align with refuses the send (--ignore-domain-check overrides); other findings warn.

    Exit status: 0 everyone sent; 1 someone failed or is left, or another process is sending the release; 2 bad input, or the sending domain will be refused (nothing sent); 130 interrupted.

    Examples:
      pressctl send releases/launch.md -c contacts/journalists.csv --dry-run
      pressctl send releases/launch.md -c contacts/journalists.csv \\
        --test-to me@hvsp.example
      pressctl send releases/launch.md -c contacts/journalists.csv \\
        --smtp smtp://press@mail.hvsp.example --rate 10/s
    """
    from pressctl.approvals.check import require_approval
    from pressctl.approvals.record import note_use
    from pressctl.cli._domain_output import check_before_send
    from pressctl.cli._send_run import send_now
    from pressctl.cli._send_show import preview, test_send
    from pressctl.send.checks import check_from, check_selected, check_test_addresses
    from pressctl.send.copies import option_address
    from pressctl.send.options import SendOptions
    from pressctl.send.plan import plan_send
    from pressctl.site.links import newsroom_links

    workspace = workspace_for(env, release, config)
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
        allow_differences=allow_differences,
        ignore_domain_check=ignore_domain_check,
    )
    if limit is not None and limit < 1:
        raise InputError(f"--limit {limit} is not a number of messages", hint="give 1 or more, e.g. --limit 5")
    if limit is not None and not dry_run:
        raise InputError("--limit only works with --dry-run", hint="add --dry-run, or drop --limit")
    if dry_run and test_to:
        raise InputError("--dry-run and --test-to don't go together", hint="use one of them")
    test_to = [option_address(a, option="--test-to") for a in test_to or ()]
    # With [site] base_url the emails link to the newsroom page: a real send needs it published. A dry run of
    # a release still under embargo previews it as it will go at the lift (nothing leaves).
    links = newsroom_links(
        workspace, release, require=not dry_run and not test_to, warn=lambda line: warn(env, line)
    )
    plan = plan_send(
        release,
        contacts,
        workspace=workspace,
        options=options,
        now=env.clock(),
        check_embargo=not dry_run or under_embargo,
        site_links=links,
        test=bool(test_to) and not under_embargo,
        preview=dry_run,
    )
    for notice in plan.contacts.notices:
        warn(env, notice)
    for line in plan.warnings:
        warn(env, line)
    for line in plan.limits.warnings if plan.limits else ():
        warn(env, line)
    if dry_run:
        check_from(plan)  # a bad --from is the option's fault in a dry run too, not pressctl.toml's
        preview(env, plan, out_dir=out_dir, limit=limit)
        return
    check_selected(plan, contacts)
    check_from(plan)
    if test_to:
        check_test_addresses(plan, test_to)
    approved = [] if test_to else require_approval(
        plan.releases, plan.workspace, ledger_path=plan.ledger_path, command="send"
    )
    domain = None
    if not test_to and plan.relays:  # nothing leaves through the local outbox: no receiver to judge the domain
        domain = check_before_send(env, plan, ignore=ignore_domain_check)
    transport = _transport(env, plan)
    if test_to:
        test_send(env, plan, test_to, transport)
        return
    try:
        send_now(env, plan, transport, yes=yes, wait=wait, domain=domain)
    finally:  # the campaign remembers the approvals it went out under (report shows them)
        note_use(plan.ledger_path, approved, fingerprint=plan.fingerprint)


def _transport(env: Env, plan: SendPlan) -> Transport:
    """The plan's relays, asking at the terminal for a password the environment does not give."""
    from pressctl.config.smtp import needs_password, no_password, relay_password
    from pressctl.send.transports import make_transport
    passwords: dict[int, str] = {}
    for spec in plan.relays:
        given = relay_password(spec, env.environ)
        if given:
            passwords[spec.index] = given
        elif needs_password(spec, env.environ):
            if not env.interactive:
                raise no_password(spec)
            passwords[spec.index] = env.ask_secret(f"Password for {spec.settings.username} at {spec.settings.host}")
    return make_transport(plan, passwords=passwords)


def register(app: typer.Typer) -> None:
    """Add ``send`` to the app."""
    from pressctl.cli._lists import ListOptionCommand

    app.command("send", cls=ListOptionCommand)(send)
