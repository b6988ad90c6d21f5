"""``pressctl bounces`` as library calls: which mailboxes to read (the command line's, else ``[bounces]``), how
each one opens (its IMAP login resolved before anything is read), the rules inbound mail is read by, the
suppressions it proves, and one pass over every mailbox or a watch of them all.

A mailbox that cannot be opened or read is bad input (exit 2), named as its error names it; with several,
the others are read first. ``--watch`` handles each message as it arrives and tells the caller, which prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from pressctl.bounces.imapurl import check_folder_name
from pressctl.bounces.mailbox import Message, Reader, Unreadable
from pressctl.bounces.plan import Suppression
from pressctl.bounces.run import InboundRules, Summary, process, process_message
from pressctl.bounces.store import LedgerStore
from pressctl.bounces.watch import Source, WatchError, polling, wait, watch_sources
from pressctl.clock import Clock
from pressctl.config import Workspace
from pressctl.config.mailboxes import Mailbox
from pressctl.errors import InputError, PressctlError, TransportError
from pressctl.ledger import Ledger

__all__ = [
    "Handled",
    "cannot_open",
    "inbound_rules",
    "mailbox_source",
    "mailboxes_to_read",
    "read_all",
    "suppressor",
    "watch_all",
]


def mailboxes_to_read(
    workspace: Workspace, *, maildir: Path | None, mbox: Path | None, imap: str | None, move_to: str | None
) -> list[Mailbox]:
    """The mailboxes to read: the one on the command line (with ``[bounces]``' settings), else ``[bounces]``'s;
    ``move_to`` (``--move-to``) wins over each mailbox's own, and never applies to an mbox file."""
    if sum(x is not None for x in (maildir, mbox, imap)) > 1:
        raise InputError("give one mailbox: --maildir, --mbox or --imap")
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


def inbound_rules(workspace: Workspace) -> InboundRules:
    """Our unsubscribe mailbox, the VERP template, the workspace secret (never made here: nothing was signed
    without one) and the ``[limits]`` on one inbound message."""
    from pressctl.bounces.parse import mailto_address
    from pressctl.contacts.unsubscribe import existing_secret

    text = workspace.sender.unsubscribe_mailto.strip()
    address = mailto_address(text) if text.lower().startswith("mailto:") else text
    return InboundRules(
        unsubscribe_addresses=(address,) if "@" in address and "{email}" not in address else (),
        verp_template=workspace.sender.return_path,
        secret=existing_secret(workspace),
        max_bytes=workspace.limits.inbound_bytes,
        max_depth=workspace.limits.inbound_nesting,
    )


def mailbox_source(
    box: Mailbox,
    workspace: Workspace,
    rules: InboundRules,
    interval: float,
    *,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
) -> Source:
    """How to open, watch and close one mailbox (an IMAP login resolved now, before anything is read:
    :func:`pressctl.bounces.login.imap_settings` with ``environ`` and ``prompt``)."""
    from pressctl.bounces.imap import ImapMailbox
    from pressctl.bounces.login import imap_settings
    from pressctl.bounces.mailbox import MaildirReader, MboxReader

    if box.imap:
        settings = imap_settings(box.imap, workspace, box, environ=environ, prompt=prompt)

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


def cannot_open(exc: BaseException) -> InputError:
    """A mailbox that cannot be opened or read is bad input here (exit 2), named as the error names it."""
    if isinstance(exc, PressctlError):
        return InputError(f"cannot read the mailbox: {exc.what}", where=exc.where, hint=exc.hint)
    return InputError(f"cannot read the mailbox: {getattr(exc, 'strerror', None) or type(exc).__name__}")


def suppressor(workspace: Workspace, ledger: Ledger) -> tuple[Callable[[Suppression], None], list[str]]:
    """Suppress through the suppression library (CSV + the ledger's record); an address it refuses is
    reported in the list returned, not raised (one odd address never stops the rest)."""
    from pressctl.contacts import suppression

    problems: list[str] = []

    def suppress(s: Suppression) -> None:
        origin = "unsubscribe" if s.reason.startswith("asked to unsubscribe") else "bounce"
        try:
            suppression.add(workspace, ledger, [s.address], reason=s.reason, origin=origin)
        except InputError as exc:
            problems.append(f"{s.address}: not suppressed ({exc.what})")

    return suppress, problems


def read_all(
    sources: list[Source],
    store: LedgerStore,
    rules: InboundRules,
    suppress: Callable[[Suppression], None],
    *,
    clock: Clock,
) -> tuple[Summary, list[tuple[str, PressctlError]]]:
    """Every mailbox once, into one summary. With several, one that cannot be read is returned with its error
    and the others are read; the only one raises :func:`cannot_open`'s line."""
    several = len(sources) > 1
    summary = Summary()
    failed: list[tuple[str, PressctlError]] = []
    for source in sources:
        reader: Reader | None = None
        try:
            reader = source.open()
            process(reader, store, now=clock, suppress=suppress, rules=rules, move_to=source.move_to,
                    summary=summary, label=source.label if several else "", mailbox=source.label)
        except (TransportError, InputError) as exc:
            if not several:
                raise cannot_open(exc) from None
            failed.append((source.label, exc))
        finally:
            if reader is not None:
                with contextlib.suppress(Exception):
                    source.close(reader)
    return summary, failed


@dataclass(frozen=True)
class Handled:
    """One message handled while watching: its label (``mailbox: id`` with several), what it was, what came of
    it, the changes it made (``summary``) and the folder it was moved to ("" when it stays)."""

    label: str
    kind: str
    outcome: str
    summary: Summary
    moved_to: str


def watch_all(
    sources: list[Source],
    store: LedgerStore,
    rules: InboundRules,
    suppress: Callable[[Suppression], None],
    *,
    clock: Clock,
    interval: float,
    stop: Callable[[], bool],
    on_message: Callable[[Handled], None],
    warn: Callable[[str], None],
) -> None:
    """Handle messages as they arrive until ``stop()``; each one handled is told to ``on_message`` once the
    ledger and the suppression list have it (its mailbox then moves it, when ``moved_to`` says so). A mailbox that cannot be opened at the start ends the watch
    with :func:`cannot_open`'s line."""
    several = len(sources) > 1

    def handle(source: Source, sid: str, message: bytes | Unreadable) -> bool:
        summary = Summary()
        label = f"{source.label}: {sid}" if several else sid
        now: dt.datetime = clock()
        handled = process_message(
            label, message, store, now=now, suppress=suppress, rules=rules, summary=summary, mailbox=source.label
        )
        if handled is None:
            return False
        move = bool(source.move_to) and handled.outcome == "matched"
        on_message(Handled(label, handled.kind, handled.outcome, summary, source.move_to if move else ""))
        return move

    try:
        watch_sources(sources, handle, stop=stop, interval=interval, warn=warn)
    except WatchError as exc:
        if isinstance(exc.error, (PressctlError, OSError)):
            raise cannot_open(exc.error) from None
        raise exc.error from None
