"""What came back after a send (``pressctl bounces``): the rows a bounce or a reply names, the messages
already handled (``inbound``), soft bounces per address (``soft_bounces``), and the notes a person should
read (``inbound_notes``: unconfirmed unsubscribe requests, unreadable messages).

:class:`pressctl.bounces.store.LedgerStore` is the bounce side's view of this family; each message is
applied in one transaction (:meth:`Inbound.apply`), so a crash leaves all of it or none, and a message
handled once changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pressctl.ledger.connection import Connection
from pressctl.ledger.records import STATUSES, RecipientRecord, ResponseUpdate, iso, record_of

__all__ = ["Inbound", "Note"]


@dataclass(frozen=True)
class Note:
    """One inbound message to read by hand (its ``kind``: see :mod:`pressctl.bounces.notes`)."""

    handled_key: str
    kind: str
    source: str
    sender: str = ""
    subject: str = ""
    detail: str = ""
    campaign_id: int | None = None
    email: str = ""
    seen_at: str = ""


class Inbound:
    """Bounces, replies and notes of one ledger."""

    def __init__(self, conn: Connection, clock: Callable[[], dt.datetime]) -> None:
        self.conn = conn
        self.clock = clock

    def is_handled(self, handled_key: str) -> bool:
        """Whether ``pressctl bounces`` handled a message with this key before."""
        row = self.conn.execute("SELECT 1 FROM inbound WHERE handled_key = ?", (handled_key,)).fetchone()
        return row is not None

    def by_message_id(self, message_id: str) -> RecipientRecord | None:
        """The row a Message-ID was sent with (Message-IDs are unique per campaign and recipient)."""
        row = self.conn.execute(
            "SELECT * FROM recipients WHERE message_id = ? ORDER BY campaign_id DESC LIMIT 1", (message_id,)
        ).fetchone()
        return record_of(row) if row else None

    def latest_for(self, key: str) -> RecipientRecord | None:
        """The most recent row handed to the server for this case-folded address (``sent`` or ``bounced``)."""
        row = self.conn.execute(
            "SELECT * FROM recipients WHERE key = ? AND status IN ('sent', 'bounced')"
            " ORDER BY COALESCE(sent_at, '') DESC, campaign_id DESC LIMIT 1",
            (key,),
        ).fetchone()
        return record_of(row) if row else None

    def soft_bounce_times(self, address: str) -> list[dt.datetime]:
        """When soft bounces of this case-folded address were recorded (any campaign)."""
        return [
            dt.datetime.fromisoformat(row[0])
            for row in self.conn.execute("SELECT at FROM soft_bounces WHERE address = ? ORDER BY at", (address,))
        ]

    def apply(
        self,
        updates: Iterable[ResponseUpdate],
        soft_bounces: Iterable[tuple[str, dt.datetime, str, str]],
        handled: tuple[str, str, str, str],
    ) -> None:
        """Row updates, soft bounces ``(address, at, code, handled key)`` and the handled message
        ``(key, kind, source, outcome)`` in one transaction: a crash leaves all of it or none."""
        now = iso(self.clock())
        with self.conn.write():
            for u in updates:
                if u.status is not None and u.status not in STATUSES:
                    raise ValueError(u.status)
                self.conn.execute(
                    "UPDATE recipients SET status = COALESCE(?, status), response = ?, response_detail = ?,"
                    " bounce_code = ?, new_address = ?, response_at = ? WHERE campaign_id = ? AND key = ?",
                    (u.status, u.response, u.detail[:2000], u.code[:20], u.new_address[:320], now, u.campaign_id, u.key),
                )
            self.conn.executemany(
                "INSERT INTO soft_bounces (address, at, code, handled_key) VALUES (?, ?, ?, ?)",
                ((a, iso(at), code, key) for a, at, code, key in soft_bounces),
            )
            key, kind, source, outcome = handled
            self.conn.execute(
                "INSERT INTO inbound (handled_key, kind, source, seen_at, outcome) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (handled_key) DO NOTHING",
                (key, kind, source[:500], now, outcome[:300]),
            )

    def needs_attention(self, campaign_id: int | None = None) -> list[RecipientRecord]:
        """Rows a person should look at: bounced, or a response ``moved``, ``replied`` or ``failed`` (refused by
        the recipient's server as policy or size: pressctl.bounces.plan), in all campaigns or one."""
        where = "(status = 'bounced' OR response IN ('bounced', 'moved', 'replied', 'failed'))"
        args: tuple[object, ...] = ()
        if campaign_id is not None:
            where += " AND campaign_id = ?"
            args = (campaign_id,)
        cur = self.conn.execute(f"SELECT * FROM recipients WHERE {where} ORDER BY campaign_id, rowid", args)
        return [record_of(row) for row in cur]

    def record_notes(self, notes: Iterable[Note], *, now: dt.datetime) -> None:
        """Write ``notes`` (each once: a note already there is left as it is), in one transaction. Keyed by
        the message's handled key and the kind, so writing one again (a crash between this and the
        message's ``inbound`` record, or the same message in two mailboxes) changes nothing."""
        rows = [
            (n.handled_key, n.kind, n.source[:500], now.astimezone(dt.UTC).isoformat(timespec="seconds"),
             n.sender[:320], n.subject[:300], n.detail[:2000], n.campaign_id, n.email[:320])
            for n in notes
        ]
        if not rows:
            return
        with self.conn.write():
            self.conn.executemany(
                "INSERT INTO inbound_notes (handled_key, kind, source, seen_at, sender, subject, detail, campaign_id,"
                " email) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (handled_key, kind) DO NOTHING",
                rows,
            )

    def notes(self, campaign_id: int | None = None) -> list[Note]:
        """Every note, oldest first; with ``campaign_id``, only those replying to that campaign's messages."""
        where, args = ("WHERE campaign_id = ?", (campaign_id,)) if campaign_id is not None else ("", ())
        cur = self.conn.execute(
            "SELECT handled_key, kind, source, sender, subject, detail, campaign_id, email, seen_at FROM inbound_notes"
            f" {where} ORDER BY seen_at, rowid",
            args,
        )
        return [Note(*row) for row in cur]
