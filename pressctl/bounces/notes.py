"""Inbound messages a person should read, because pressctl would not act on them: unsubscribe requests
without a valid token (unconfirmed) and messages that could not be read. ``pressctl report
--needs-attention`` lists them after the journalists.

They live in the ledger file, in a table of their own (``inbound_notes``, made here with ``CREATE TABLE IF
NOT EXISTS``; the ledger's ``user_version`` migrations stay the ledger's), keyed by the message's handled key
and the kind, so writing one again (a crash between this and the ledger's ``inbound`` record, or the same
message in two mailboxes) changes nothing.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["REQUEST", "UNREADABLE", "Note", "attention_row", "read_notes", "record_notes"]

REQUEST = "unconfirmed-unsubscribe"
UNREADABLE = "unreadable"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbound_notes (
    handled_key  TEXT NOT NULL,            -- the message's handled key (pressctl.bounces.parse.Finding)
    kind         TEXT NOT NULL,            -- unconfirmed-unsubscribe | unreadable
    source       TEXT NOT NULL DEFAULT '', -- the mailbox and the message's id in it
    seen_at      TEXT NOT NULL,            -- ISO 8601, UTC
    sender       TEXT NOT NULL DEFAULT '', -- its From address (what it claims, not proof)
    subject      TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '', -- the first lines it wrote (a request), or why it could not be read
    campaign_id  INTEGER,                  -- the campaign of the message it replies to, when one of ours
    email        TEXT NOT NULL DEFAULT '', -- that row's address
    PRIMARY KEY (handled_key, kind)
)
"""


@dataclass(frozen=True)
class Note:
    """One message to read by hand."""

    handled_key: str
    kind: str
    source: str
    sender: str = ""
    subject: str = ""
    detail: str = ""
    campaign_id: int | None = None
    email: str = ""
    seen_at: str = ""


def record_notes(conn: sqlite3.Connection, notes: Iterable[Note], *, now: dt.datetime) -> None:
    """Write ``notes`` (each once: a note already there is left as it is), in one transaction."""
    rows = [
        (n.handled_key, n.kind, n.source[:500], now.astimezone(dt.UTC).isoformat(timespec="seconds"),
         n.sender[:320], n.subject[:300], n.detail[:2000], n.campaign_id, n.email[:320])
        for n in notes
    ]
    if not rows:
        return
    conn.execute(_SCHEMA)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO inbound_notes (handled_key, kind, source, seen_at, sender, subject, detail, campaign_id,"
            " email) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (handled_key, kind) DO NOTHING",
            rows,
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def read_notes(conn: sqlite3.Connection, campaign_id: int | None = None) -> list[Note]:
    """Every note, oldest first; with ``campaign_id``, only those replying to that campaign's messages."""
    present = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inbound_notes'").fetchone()
    if present is None:
        return []
    where, args = ("WHERE campaign_id = ?", (campaign_id,)) if campaign_id is not None else ("", ())
    cur = conn.execute(
        "SELECT handled_key, kind, source, sender, subject, detail, campaign_id, email, seen_at FROM inbound_notes"
        f" {where} ORDER BY seen_at, rowid",
        args,
    )
    return [Note(*row) for row in cur]


_WHAT = {REQUEST: "unconfirmed unsubscribe", UNREADABLE: "unreadable"}


def attention_row(note: Note) -> dict[str, object]:
    """A note as ``report --needs-attention`` lists it beside the journalists (the same keys, for CSV and
    JSON), plus where it is (``source``), its ``subject`` and ``kind``."""
    said = " ".join(f"{note.subject}: {note.detail}".split()).strip(": ") if note.kind == REQUEST else note.detail
    return {
        "campaign_id": note.campaign_id,
        "email": note.sender or note.email,
        "name": "",
        "status": "",
        "response": note.kind,
        "bounce_code": "",
        "new_address": "",
        "response_detail": said,
        "response_at": note.seen_at,
        "what": _WHAT.get(note.kind, note.kind),
        "source": note.source,
        "subject": note.subject,
    }
