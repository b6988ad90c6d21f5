"""CLI: ``pressctl bounces``: read the sending mailbox and record bounces and replies in the ledger.

Thin over :mod:`pressctl.bounces` (``run.process`` with the ledger as its store and the workspace's
suppression list): the mailbox comes from ``--maildir``, ``--mbox`` or ``--imap``, else from ``[bounces]`` in
pressctl.toml. Exit 0 when the mailbox was read (unmatched messages are listed, not an error), 2 for bad input
or a mailbox that cannot be opened.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import typer

from pressctl.cli._common import err, escape, handle_errors, out, workspace_for
from pressctl.cli._options import ConfigFile, LedgerDb
from pressctl.errors import InputError, PressctlError, TransportError

if TYPE_CHECKING:
    from pressctl.bounces.mailbox import ImapMailbox, ImapSettings, Reader
    from pressctl.bounces.plan import Suppression
    from pressctl.bounces.run import Summary
    from pressctl.config import Workspace
    from pressctl.ledger import Ledger
    from pressctl.send.relayset import RelaySpec

__all__ = ["register"]


class _Stopped(Exception):
    """SIGTERM while watching: finish cleanly (exit 0)."""


@handle_errors
def bounces(
    maildir: Annotated[Path | None, typer.Option("--maildir", help="Read this Maildir (its cur/ and new/).")] = None,
    mbox: Annotated[Path | None, typer.Option("--mbox", help="Read this mbox file (read-only).")] = None,
    imap: Annotated[
        str | None,
        typer.Option("--imap", help="imaps://user@host/FOLDER, or imap://... (STARTTLS). No password in the URL."),
    ] = None,
    move_to: Annotated[
        str | None,
        typer.Option("--move-to", metavar="FOLDER", help="Move handled messages that matched a row into FOLDER."),
    ] = None,
    watch: Annotated[
        bool, typer.Option("--watch", help="Keep running: IMAP IDLE, or poll a Maildir/mbox, until stopped.")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between polls with --watch (no IMAP IDLE).")
    ] = 60.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts and the unmatched as JSON.")] = False,
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """Read the mailbox bounces and replies come back to, and record them in the ledger.

    A hard bounce (5.x.x) marks the journalist `bounced` and suppresses the address; three soft bounces within 90 days suppress it too; out-of-office, "has left, please contact ..." and human replies are noted beside the journalist (see `pressctl report --needs-attention`); an unsubscribe request suppresses its sender. Messages that match nothing are listed and left where they are. Running it again changes nothing.

    Without --maildir, --mbox or --imap, the \\[bounces] table of pressctl.toml says where to read. The IMAP password comes from PRESSCTL_IMAP_PASSWORD or a prompt; an XOAUTH2 token from PRESSCTL_IMAP_OAUTH_TOKEN or \\[bounces] oauth_token_command. The \\[smtp] account's own mailbox logs in as sending does (its password, or with \\[smtp] auth = "xoauth2" its token or token command).

    Exit status: 0 when the mailbox was read (unmatched messages included), 2 for bad input or a mailbox it cannot open. See docs/bounces.md.

    Examples:
      pressctl bounces --maildir /var/mail/press
      pressctl bounces --imap imaps://press%40hvsp.example@mail.hvsp.example/INBOX --move-to Processed
      pressctl bounces --watch     (a service beside `pressctl dispatch --watch`)
    """
    from pressctl.bounces.parse import mailto_address
    from pressctl.times import check_interval

    if sum(x is not None for x in (maildir, mbox, imap)) > 1:
        raise InputError("give one mailbox: --maildir, --mbox or --imap")
    interval = check_interval(interval, option="--interval")  # a busy loop, nan, or a wait that overflows
    workspace: Workspace = workspace_for(None, config)
    settings = workspace.bounces
    if maildir is None and mbox is None and imap is None:
        maildir, mbox, imap = settings.maildir, settings.mbox, settings.imap or None
        if maildir is None and mbox is None and imap is None:
            raise InputError(
                "no mailbox to read",
                hint="give --maildir DIR, --mbox FILE or --imap URL, or set one in [bounces] in pressctl.toml",
            )
    folder = move_to if move_to is not None else settings.move_to
    if folder:
        from pressctl.bounces.mailbox import check_folder_name

        check_folder_name(folder, option="--move-to")
        if mbox is not None:
            raise InputError("--move-to works with IMAP and Maildir, not with an mbox file")
    ledger_path = Path(db or workspace.ledger_path)
    if not ledger_path.is_file():
        raise InputError(
            "no ledger here yet: nothing was sent, so there is nothing to match",
            where=str(ledger_path),
            hint="run `pressctl send` first, or point --db at the ledger",
        )
    unsubscribe = _unsubscribe_mailboxes(workspace.sender.unsubscribe_mailto, mailto_address)
    imap_settings = _imap_settings(imap, workspace) if imap is not None else None

    from pressctl.contacts.suppression import check_workspace_list
    from pressctl.ledger import Ledger

    check_workspace_list(workspace.suppression_path)
    with Ledger(ledger_path) as ledger:
        suppress, problems = _suppressor(workspace, ledger)
        run: dict[str, Any] = dict(
            suppress=suppress, unsubscribe_addresses=unsubscribe, verp_template=workspace.sender.return_path
        )
        if watch:
            _watch(ledger, maildir, mbox, imap_settings, folder, interval, run, problems)
            return
        if imap_settings is not None:
            from pressctl.bounces.mailbox import ImapMailbox

            with _opening(imap_settings.describe()), ImapMailbox(imap_settings) as box:
                summary = _process(box, ledger, folder, run)
        else:
            with _opening(str(maildir or mbox)):
                summary = _process(_file_reader(maildir, mbox), ledger, folder, run)
    _print_summary(summary, folder, problems, as_json=as_json)


# -- the mailbox -------------------------------------------------------------------------------------------


class _opening:
    """A mailbox that cannot be opened or read is bad input here (exit 2), named as the error names it."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, TransportError):
            raise InputError(f"cannot read the mailbox: {exc.what}", where=exc.where, hint=exc.hint) from None


def _unsubscribe_mailboxes(value: str, mailto_address: Callable[[str], str]) -> list[str]:
    """``[sender] unsubscribe_mailto`` as a mailbox: a ``mailto:`` URL, or a plain address (as ``init`` writes)."""
    text = value.strip()
    address = mailto_address(text) if text.lower().startswith("mailto:") else text
    return [address] if "@" in address and "{" not in address else []


def _file_reader(maildir: Path | None, mbox: Path | None) -> Reader:
    from pressctl.bounces.mailbox import MaildirReader, MboxReader

    if maildir is not None:
        return MaildirReader(maildir)
    assert mbox is not None
    return MboxReader(mbox)


def _imap_settings(url: str, workspace: Workspace) -> ImapSettings:
    """The URL with ``[bounces] user``/``auth`` filled in, and its secret (never printed)."""
    from pressctl.bounces.mailbox import OAUTH_TOKEN_ENV, PASSWORD_ENV, imap_credentials, parse_imap_url

    cfg = workspace.bounces
    scheme, sep, rest = url.partition("://")
    if sep and cfg.user and "@" not in rest.split("/", 1)[0]:
        url = f"{scheme}://{quote(cfg.user, safe='')}@{rest}"
    if sep and cfg.auth == "xoauth2" and "auth=" not in rest:
        url += ("&" if "?" in rest else "?") + "auth=xoauth2"
    settings = parse_imap_url(url)
    env = dict(os.environ)
    same = _smtp_account(settings, workspace)
    # A sending relay's own mailbox: how it logs in ([smtp] or its [[smtp.relays]] auth, its token or token
    # command) serves too, as its password does, unless [bounces] or the URL says otherwise.
    smtp_oauth = same is not None and same.auth == "xoauth2" and not cfg.auth and "auth=" not in rest
    if smtp_oauth and settings.auth == "password":
        settings = dataclasses.replace(settings, auth="xoauth2")
    command, option = cfg.oauth_token_command, "bounces.oauth_token_command"
    if not command and smtp_oauth and same is not None and same.oauth_token_command:
        command, option = same.oauth_token_command, "smtp.oauth_token_command"
    if smtp_oauth and not env.get(OAUTH_TOKEN_ENV):
        from pressctl.relays.oauth import TOKEN_ENV as SMTP_TOKEN_ENV

        if env.get(SMTP_TOKEN_ENV):
            env[OAUTH_TOKEN_ENV] = env[SMTP_TOKEN_ENV]
    if command and not env.get(OAUTH_TOKEN_ENV) and (settings.auth == "xoauth2" or cfg.auth == "xoauth2"):
        from pressctl.relays.oauth import run_token_command

        try:
            env[OAUTH_TOKEN_ENV] = run_token_command(command).reveal()
        except PressctlError as exc:
            what = exc.what.replace("smtp.oauth_token_command", option)
            raise InputError(what, where=exc.where, hint=exc.hint) from None
    if not env.get(PASSWORD_ENV) and settings.auth == "password" and same is not None:
        from pressctl.send.relayset import password_for

        password = password_for(same, env)
        if password:
            env[PASSWORD_ENV] = password  # a sending relay's own mailbox: its password serves
    prompt: Callable[[str], str] | None = None
    if sys.stdin.isatty():
        prompt = lambda text: typer.prompt(text.rstrip(": "), hide_input=True, default="", show_default=False)  # noqa: E731
    return imap_credentials(settings, environ=env, prompt=prompt)


def _smtp_account(settings: ImapSettings, workspace: Workspace) -> RelaySpec | None:
    """The sending relay (``[smtp] url`` or one of ``[[smtp.relays]]``) whose account this mailbox is: same
    host and user. Its login serves the mailbox too; None when the mailbox is another account."""
    from pressctl.relays.profiles import LimitOptions
    from pressctl.send.relayset import relay_specs

    try:
        specs = relay_specs(workspace, (), LimitOptions())
    except InputError:
        return None
    for spec in specs:
        smtp = spec.settings
        if smtp.host.lower() == settings.host.lower() and (smtp.username or "") == settings.username:
            return spec
    return None


# -- the ledger and the suppression list ---------------------------------------------------------------------


def _suppressor(workspace: Workspace, ledger: Ledger) -> tuple[Callable[[Suppression], None], list[str]]:
    """Suppress through the suppression library (CSV + the ledger's record); odd addresses are reported."""
    from pressctl.contacts import suppression

    problems: list[str] = []

    def suppress(s: Suppression) -> None:
        origin = "unsubscribe" if s.reason.startswith("asked to unsubscribe") else "bounce"
        try:
            suppression.add(workspace, ledger, [s.address], reason=s.reason, origin=origin)
        except InputError as exc:
            problems.append(f"{s.address}: not suppressed ({exc.what})")

    return suppress, problems


def _process(reader: Reader, ledger: Ledger, folder: str, run: dict[str, Any]) -> Summary:
    from pressctl.bounces.run import process
    from pressctl.bounces.store import LedgerStore
    from pressctl.ledger import utcnow

    return process(reader, LedgerStore(ledger), now=utcnow, move_to=folder, **run)


def _watch(
    ledger: Ledger,
    maildir: Path | None,
    mbox: Path | None,
    imap: ImapSettings | None,
    folder: str,
    interval: float,
    run: dict[str, Any],
    problems: list[str],
) -> None:
    """Handle messages as they arrive until SIGTERM or Ctrl-C; one line per message that changed something."""
    from pressctl.bounces.mailbox import ImapMailbox, poll
    from pressctl.bounces.run import Summary, process_message
    from pressctl.bounces.store import LedgerStore
    from pressctl.ledger import utcnow

    store = LedgerStore(ledger)
    stopping = False
    busy = False  # handling a message: finish it (ledger, suppression, move) before stopping

    def stop() -> bool:
        return stopping

    def on_term(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        if not busy:  # waiting (IDLE, a poll's sleep): stop now
            raise _Stopped()

    saved = signal.signal(signal.SIGTERM, on_term)
    where = imap.describe() if imap is not None else str(maildir or mbox)
    err.print(f"watching {escape(where)} (Ctrl-C or SIGTERM stops)")
    connected = False
    try:
        while not stopping:
            box: ImapMailbox | None = None
            try:
                with _opening(where):
                    if imap is not None:
                        box = ImapMailbox(imap)
                        box.open()
                        connected = True
                        reader: Reader = box
                        messages: Iterator[tuple[str, bytes]] = box.watch(stop=stop, poll_interval=interval)
                    else:
                        reader = _file_reader(maildir, mbox)
                        messages = poll(reader, interval=interval, stop=stop)
                    for source, raw in messages:
                        busy = True
                        summary = Summary()
                        handled = process_message(source, raw, store, now=utcnow(), summary=summary, **run)
                        if handled is None:
                            busy = False
                            continue
                        moved = False
                        if folder and handled.outcome == "matched":
                            reader.move(source, folder)
                            moved = True
                        _print_one(source, handled.kind, handled.outcome, summary, moved, folder)
                        for line in problems:
                            err.print(f"[yellow]warning:[/] {escape(line)}")
                        problems.clear()
                        busy = False
                        if stopping:
                            raise _Stopped()
            except InputError as exc:
                if imap is None or not connected:
                    raise  # the mailbox could not be opened at all: bad input, exit 2
                # A dropped IMAP connection: say so and try again after a pause.
                err.print(f"[yellow]warning:[/] {escape(str(exc))}; trying again in {interval:g} s")
                time.sleep(interval)
            finally:
                if box is not None:
                    box.close()
    except _Stopped:
        pass
    finally:
        signal.signal(signal.SIGTERM, saved)
    err.print("stopped")


# -- output ---------------------------------------------------------------------------------------------


def _counts(summary: Summary) -> dict[str, int]:
    k, sev = summary.kinds, summary.severities
    return {
        "read": summary.read,
        "bounces": k.get("bounce", 0),
        "hard": sev.get("hard", 0),
        "soft": sev.get("soft", 0),
        "delayed": sev.get("delayed", 0),
        "auto-replies": k.get("auto-reply", 0),
        "moved": k.get("moved", 0),
        "replies": k.get("replied", 0),
        "unsubscribes": k.get("unsubscribe", 0),
        "other": k.get("other", 0),
        "already handled": summary.already_handled,
        "unmatched": len(summary.unmatched),
        "rows bounced": summary.bounced,
        "suppressed": len(summary.suppressed),
        "filed": summary.moved,
    }


def _print_summary(summary: Summary, folder: str, problems: list[str], *, as_json: bool) -> None:
    counts = _counts(summary)
    unmatched = [
        {"source": src, "kind": u.finding.kind, "reason": u.reason, "address": u.address,
         "from": u.finding.sender, "subject": u.finding.subject}
        for src, u in summary.unmatched
    ]
    if as_json:
        data = {
            "counts": counts,
            "suppressed": [{"address": s.address, "reason": s.reason} for s in summary.suppressed],
            "unmatched": unmatched,
            "problems": problems,
        }
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    c = counts
    lines = [
        ("read", str(c["read"])),
        ("bounces", f"{c['bounces']} (hard {c['hard']}, soft {c['soft']}, delayed {c['delayed']})"),
        ("auto-replies", str(c["auto-replies"])),
        ("moved", str(c["moved"])),
        ("replies", str(c["replies"])),
        ("unsubscribes", str(c["unsubscribes"])),
        ("other", str(c["other"])),
        ("already handled", str(c["already handled"])),
        ("unmatched", str(c["unmatched"])),
        ("marked bounced", str(c["rows bounced"])),
        ("suppressed", str(c["suppressed"])),
    ]
    if folder:
        lines.append((f"moved to {folder}", str(c["filed"])))
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        out.print(f"{key.ljust(width)}  {escape(value)}")
    for s in summary.suppressed:
        out.print(f"suppressed  {escape(s.address)}  ({escape(s.reason)})")
    if unmatched:
        out.print("Unmatched (left in the mailbox for a person to read):")
        for u in unmatched:
            who = u["address"] or u["from"] or "?"
            out.print(f"  {escape(u['source'])}  {u['kind']}  {escape(who)}: {escape(u['reason'])}")
    for line in problems:
        err.print(f"[yellow]warning:[/] {escape(line)}")


def _print_one(source: str, kind: str, outcome: str, summary: Summary, moved: bool, folder: str) -> None:
    extra = [f"suppressed {s.address}" for s in summary.suppressed]
    if summary.bounced:
        extra.insert(0, "marked bounced")
    if moved:
        extra.append(f"moved to {folder}")
    tail = f" ({', '.join(extra)})" if extra else ""
    out.print(f"{escape(source)}  {kind}  {escape(outcome)}{escape(tail)}")


def register(app: typer.Typer) -> None:
    """Add ``bounces`` to the app."""
    app.command("bounces")(bounces)
