"""CLI: ``pressctl bounces``: read the sending mailbox(es) and record bounces and replies in the ledger.

Thin over :mod:`pressctl.bounces.reading` (which mailboxes, their logins, one pass or a watch) with the ledger
as its store and the workspace's suppression list: the mailbox comes from ``--maildir``, ``--mbox`` or
``--imap``, else from ``[bounces]`` in pressctl.toml (one mailbox, or ``mailboxes = [...]``). Exit 0 when
the mailboxes were read (unmatched and unreadable messages are listed, not an error), 2 for bad input or a
mailbox that cannot be opened (after the others were read).
"""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli._bounces_output import print_one, print_summary
from pressctl.cli._common import command, escape, warn, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, LedgerDb
from pressctl.errors import InputError

if TYPE_CHECKING:
    from pressctl.bounces.reading import Handled

__all__ = ["register"]


@command
def bounces(
    env: Env,
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
    from pressctl.bounces.reading import (
        inbound_rules,
        mailbox_source,
        mailboxes_to_read,
        read_all,
        suppressor,
        watch_all,
    )
    from pressctl.bounces.store import LedgerStore
    from pressctl.contacts.suppression import check_workspace_list
    from pressctl.ledger import Ledger
    from pressctl.times import check_interval

    interval = check_interval(interval, option="--interval")  # a busy loop, nan, or a wait that overflows
    workspace = workspace_for(env, None, config)
    boxes = mailboxes_to_read(workspace, maildir=maildir, mbox=mbox, imap=imap, move_to=move_to)
    from pressctl.ledger.stores import exists, ledger_name

    ledger_path = ledger_name(db) if db else workspace.ledger_path
    if not exists(ledger_path):
        raise InputError(
            "no ledger here yet: nothing was sent, so there is nothing to match",
            where=str(ledger_path),
            hint="run `pressctl send` first, or point --db at the ledger",
        )
    rules = inbound_rules(workspace)
    prompt = env.ask_secret if env.interactive else None
    # Logins resolved before anything is read.
    sources = [mailbox_source(box, workspace, rules, interval, environ=env.environ, prompt=prompt) for box in boxes]
    check_workspace_list(workspace.suppression_path)
    with Ledger(ledger_path, clock=env.clock) as ledger:
        store = LedgerStore(ledger, secret=rules.secret)
        suppress, problems = suppressor(workspace, ledger)
        if watch:
            stopping = False

            def on_term(signum: int, frame: FrameType | None) -> None:
                nonlocal stopping
                stopping = True  # the message in hand is finished (ledger, suppression, move) before the watch ends

            def on_message(handled: Handled) -> None:
                print_one(env, handled.label, handled.kind, handled.outcome, handled.summary, handled.moved_to)
                for line in problems:
                    warn(env, line)
                problems.clear()

            saved = signal.signal(signal.SIGTERM, on_term)
            env.err.print(f"watching {escape(', '.join(s.label for s in sources))} (Ctrl-C or SIGTERM stops)")
            try:
                watch_all(sources, store, rules, suppress, clock=env.clock, interval=interval,
                          stop=lambda: stopping, on_message=on_message, warn=lambda text: warn(env, text))
            finally:
                signal.signal(signal.SIGTERM, saved)
            env.err.print("stopped")
            return
        summary, failed = read_all(sources, store, rules, suppress, clock=env.clock)
    print_summary(env, summary, [s.move_to for s in sources], problems, failed, as_json=as_json,
                  shown=workspace.limits.problems_shown)
    if failed:  # the others were read and printed; the first that was not is the error line
        label, first = failed[0]
        more = f" (and {len(failed) - 1} more mailbox(es): see --json)" if len(failed) > 1 else ""
        raise InputError(f"cannot read the mailbox {label}: {first.what}{more}", where=first.where, hint=first.hint)


def register(app: typer.Typer) -> None:
    """Add ``bounces`` to the app."""
    app.command("bounces")(bounces)
