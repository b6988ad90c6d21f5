"""CLI: ``pressctl bounces``: read the sending mailbox(es) and record bounces and replies in the ledger.

Thin over :mod:`pressctl.bounces` (``run.process`` with the ledger as its store and the workspace's
suppression list; ``watch.watch_sources`` for ``--watch``): the mailbox comes from ``--maildir``, ``--mbox``
or ``--imap``, else from ``[bounces]`` in pressctl.toml (one mailbox, or ``mailboxes = [...]``). Exit 0 when
the mailboxes were read (unmatched and unreadable messages are listed, not an error), 2 for bad input or a
mailbox that cannot be opened (after the others were read).
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli._bounces_output import print_one, print_summary
from pressctl.cli._common import err, escape, handle_errors, workspace_for
from pressctl.cli._options import ConfigFile, LedgerDb
from pressctl.errors import InputError, PressctlError, TransportError

if TYPE_CHECKING:
    from pressctl.bounces.mailbox import Message, Reader, Unreadable
    from pressctl.bounces.plan import Suppression
    from pressctl.bounces.run import InboundRules, Summary
    from pressctl.bounces.store import LedgerStore
    from pressctl.bounces.watch import Source
    from pressctl.config import Workspace
    from pressctl.config.mailboxes import Mailbox
    from pressctl.ledger import Ledger

__all__ = ["register"]


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
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts and the lists as JSON.")] = False,
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """Read the mailbox(es) bounces and replies come back to, and record in the ledger what they prove.

    Only proof changes a list: a bounce changes the one journalist whose Message-ID it returns (or whose signed VERP return path it reached, as a real delivery report) and only if it names that address; a dead address (5.1.x) is marked `bounced` and suppressed, a full mailbox (5.2.2) is a soft bounce (three in 90 days suppress), a spam-filter (5.7.x) or size (5.3.4) refusal fails that message and is listed with what to do. An unsubscribe request suppresses only with the reader's token (the List-Unsubscribe mailto carries it); without one it is listed as unconfirmed in `pressctl report --needs-attention`. Out-of-office, "has left, please contact ..." and human replies are noted beside the journalist. Messages that cannot be read (too big, nested too deep, an unknown charset, a FIFO or a link in a Maildir) are listed once and the others handled. Running it again changes nothing.

    Without --maildir, --mbox or --imap, the \\[bounces] table of pressctl.toml says where to read: one mailbox, or several in `mailboxes = [...]`, all read in one run. The IMAP password comes from the mailbox's password_env, PRESSCTL_IMAP_PASSWORD or a prompt; an XOAUTH2 token from PRESSCTL_IMAP_OAUTH_TOKEN or oauth_token_command. The \\[smtp] account's own mailbox logs in as sending does.

    Exit status: 0 when the mailboxes were read (unmatched and unreadable messages included), 2 for bad input or a mailbox it cannot open. See docs/bounces.md.

    Examples:
      pressctl bounces --maildir /var/mail/press
      pressctl bounces --imap imaps://press%40hvsp.example@mail.hvsp.example/INBOX --move-to Processed
      pressctl bounces --watch     (a service beside `pressctl dispatch --watch`)
    """
    from pressctl.times import check_interval

    if sum(x is not None for x in (maildir, mbox, imap)) > 1:
        raise InputError("give one mailbox: --maildir, --mbox or --imap")
    interval = check_interval(interval, option="--interval")  # a busy loop, nan, or a wait that overflows
    workspace: Workspace = workspace_for(None, config)
    boxes = _mailboxes(workspace, maildir, mbox, imap, move_to)
    ledger_path = Path(db or workspace.ledger_path)
    if not ledger_path.is_file():
        raise InputError(
            "no ledger here yet: nothing was sent, so there is nothing to match",
            where=str(ledger_path),
            hint="run `pressctl send` first, or point --db at the ledger",
        )
    rules = _rules(workspace)
    sources = [_source(box, workspace, rules, interval) for box in boxes]  # logins resolved before reading

    from pressctl.bounces.store import LedgerStore
    from pressctl.contacts.suppression import check_workspace_list
    from pressctl.ledger import Ledger

    check_workspace_list(workspace.suppression_path)
    with Ledger(ledger_path) as ledger:
        store = LedgerStore(ledger, secret=rules.secret)
        suppress, problems = _suppressor(workspace, ledger)
        if watch:
            _watch(sources, store, rules, suppress, problems, interval, several=len(sources) > 1)
            return
        summary, failed = _read_all(sources, store, rules, suppress, several=len(sources) > 1)
    print_summary(summary, [s.move_to for s in sources], problems, failed, as_json=as_json,
                  shown=workspace.limits.problems_shown)
    if failed:  # the others were read and printed; the first that was not is the error line
        label, first = failed[0]
        more = f" (and {len(failed) - 1} more mailbox(es): see --json)" if len(failed) > 1 else ""
        raise InputError(f"cannot read the mailbox {label}: {first.what}{more}", where=first.where, hint=first.hint)


# -- the mailboxes -----------------------------------------------------------------------------------------


def _mailboxes(
    workspace: Workspace, maildir: Path | None, mbox: Path | None, imap: str | None, move_to: str | None
) -> list[Mailbox]:
    """The mailboxes to read: the one on the command line, else ``[bounces]``; ``--move-to`` wins."""
    import dataclasses

    from pressctl.bounces.imapurl import check_folder_name
    from pressctl.config.mailboxes import Mailbox

    cfg = workspace.bounces
    if maildir is not None or mbox is not None or imap is not None:
        boxes = [Mailbox(maildir=maildir, mbox=mbox, imap=imap or "", user=cfg.user, auth=cfg.auth,
                         oauth_token_command=cfg.oauth_token_command, move_to=cfg.move_to,
                         password_env=cfg.password_env)]
    else:
        boxes = list(cfg.mailboxes)
        if not boxes:
            raise InputError(
                "no mailbox to read",
                hint="give --maildir DIR, --mbox FILE or --imap URL, or set one in [bounces] in pressctl.toml",
            )
    if move_to is not None:
        if all(b.mbox is not None for b in boxes) and move_to:
            raise InputError("--move-to works with IMAP and Maildir, not with an mbox file")
        boxes = [dataclasses.replace(b, move_to=move_to if b.mbox is None else "") for b in boxes]
    for box in boxes:
        if box.move_to:
            check_folder_name(box.move_to, option="--move-to")
            if box.mbox is not None:
                raise InputError("--move-to works with IMAP and Maildir, not with an mbox file")
    return boxes


def _rules(workspace: Workspace) -> InboundRules:
    from pressctl.bounces.parse import mailto_address
    from pressctl.bounces.run import InboundRules
    from pressctl.contacts.unsubscribe import load_secret

    text = workspace.sender.unsubscribe_mailto.strip()
    address = mailto_address(text) if text.lower().startswith("mailto:") else text
    return InboundRules(
        unsubscribe_addresses=(address,) if "@" in address and "{email}" not in address else (),
        verp_template=workspace.sender.return_path,
        secret=load_secret(workspace.state_dir),  # never made here: nothing was signed without one
        max_bytes=workspace.limits.inbound_bytes,
        max_depth=workspace.limits.inbound_nesting,
    )


def _source(box: Mailbox, workspace: Workspace, rules: InboundRules, interval: float) -> Source:
    """How to open, watch and close one mailbox (the IMAP login resolved now, before anything is read)."""
    from pressctl.bounces.imap import ImapMailbox
    from pressctl.bounces.mailbox import MaildirReader, MboxReader
    from pressctl.bounces.watch import Source, polling, wait
    from pressctl.cli._imap_login import imap_settings

    if box.imap:
        settings = imap_settings(box.imap, workspace, box)

        def open_imap() -> Reader:
            reader = ImapMailbox(settings, max_bytes=rules.max_bytes)
            reader.open()
            return reader

        def watch_imap(reader: Reader, stop: Callable[[], bool]) -> Iterator[Message]:
            assert isinstance(reader, ImapMailbox)
            return reader.watch(stop=stop, poll_interval=interval, sleep=lambda seconds: wait(seconds, stop))

        def close_imap(reader: Reader) -> None:
            assert isinstance(reader, ImapMailbox)
            reader.close()

        label = box.name or settings.describe()
        return Source(label, open_imap, watch_imap, close_imap, box.move_to)
    if box.maildir is not None:
        path = box.maildir
        return Source(box.label, lambda: MaildirReader(path, max_bytes=rules.max_bytes), polling(interval), move_to=box.move_to)
    assert box.mbox is not None
    mbox = box.mbox
    return Source(box.label, lambda: MboxReader(mbox, max_bytes=rules.max_bytes), polling(interval), move_to=box.move_to)


def _cannot_open(exc: BaseException) -> InputError:
    """A mailbox that cannot be opened or read is bad input here (exit 2), named as the error names it."""
    if isinstance(exc, PressctlError):
        return InputError(f"cannot read the mailbox: {exc.what}", where=exc.where, hint=exc.hint)
    return InputError(f"cannot read the mailbox: {getattr(exc, 'strerror', None) or type(exc).__name__}")


def _read_all(
    sources: list[Source],
    store: LedgerStore,
    rules: InboundRules,
    suppress: Callable[[Suppression], None],
    *,
    several: bool,
) -> tuple[Summary, list[tuple[str, PressctlError]]]:
    """Every mailbox once, into one summary; a mailbox that cannot be read is reported, the others are read."""
    from pressctl.bounces.run import Summary, process
    from pressctl.clock import system_clock

    summary = Summary()
    failed: list[tuple[str, PressctlError]] = []
    for source in sources:
        reader: Reader | None = None
        try:
            reader = source.open()
            process(reader, store, now=system_clock, suppress=suppress, rules=rules, move_to=source.move_to,
                    summary=summary, label=source.label if several else "", mailbox=source.label)
        except (TransportError, InputError) as exc:
            if not several:
                raise _cannot_open(exc) from None
            failed.append((source.label, exc))
        finally:
            if reader is not None:
                with contextlib.suppress(Exception):
                    source.close(reader)
    return summary, failed


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


# -- watching --------------------------------------------------------------------------------------------------


def _watch(
    sources: list[Source],
    store: LedgerStore,
    rules: InboundRules,
    suppress: Callable[[Suppression], None],
    problems: list[str],
    interval: float,
    *,
    several: bool,
) -> None:
    """Handle messages as they arrive until SIGTERM or Ctrl-C; one line per message handled."""
    from pressctl.bounces.run import Summary, process_message
    from pressctl.bounces.watch import WatchError, watch_sources
    from pressctl.clock import system_clock

    stopping = False

    def stop() -> bool:
        return stopping

    def on_term(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True  # the message in hand is finished (ledger, suppression, move) before the watch ends

    def handle(source: Source, sid: str, message: bytes | Unreadable) -> bool:
        summary = Summary()
        label = f"{source.label}: {sid}" if several else sid
        handled = process_message(
            label, message, store, now=system_clock(), suppress=suppress, rules=rules, summary=summary, mailbox=source.label
        )
        if handled is None:
            return False
        move = bool(source.move_to) and handled.outcome == "matched"
        print_one(label, handled.kind, handled.outcome, summary, source.move_to if move else "")
        for line in problems:
            err.print(f"[yellow]warning:[/] {escape(line)}")
        problems.clear()
        return move

    def warn(text: str) -> None:
        err.print(f"[yellow]warning:[/] {escape(text)}")

    saved = signal.signal(signal.SIGTERM, on_term)
    err.print(f"watching {escape(', '.join(s.label for s in sources))} (Ctrl-C or SIGTERM stops)")
    try:
        watch_sources(sources, handle, stop=stop, interval=interval, warn=warn)
    except WatchError as exc:
        if isinstance(exc.error, (PressctlError, OSError)):
            raise _cannot_open(exc.error) from None
        raise exc.error from None
    finally:
        signal.signal(signal.SIGTERM, saved)
    err.print("stopped")


def register(app: typer.Typer) -> None:
    """Add ``bounces`` to the app."""
    app.command("bounces")(bounces)
