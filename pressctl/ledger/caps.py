"""Relay accounts and their hand-overs (``campaign_relays``, ``handovers``): what rolling daily caps count.

Every hand-over (a row going to ``sending``) of a campaign whose relay is known is recorded in
``handovers`` by a trigger, in the same statement and so the same transaction as the row's write
(:meth:`pressctl.ledger.recipients.Recipients.mark_sending`); a row's own ``relay`` wins over the campaign's.
:meth:`Caps.take_room` is the count that statement's transaction makes first when a cap applies.
"""

from __future__ import annotations

import datetime as dt

from pressctl.ledger.connection import Connection
from pressctl.ledger.records import iso

__all__ = ["CapReached", "Caps"]


class CapReached(Exception):
    """A relay account's rolling daily cap has no room for one more hand-over now (see
    :meth:`pressctl.ledger.recipients.Recipients.mark_sending`). ``resume_at``: when the next slot frees
    (aware, UTC)."""

    def __init__(self, account: str, cap: int, used: int, resume_at: dt.datetime | None) -> None:
        super().__init__(f"the daily cap of {cap:,} for {account} is reached ({used:,} in the last 24 h)")
        self.account = account
        self.cap = cap
        self.used = used
        self.resume_at = resume_at


class Caps:
    """The relay accounts campaigns go to and every hand-over counted under them."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._room_seen: dict[str, tuple[int, int]] = {}  # account -> (hand-overs counted, last rowid then)

    def set_campaign_relay(self, campaign_id: int, relay: str | None) -> None:
        """The relay account this campaign's hand-overs go to from now on (None: the local outbox, not
        counted). Each later hand-over is recorded under it in ``handovers``."""
        if relay is None:
            self.conn.execute("DELETE FROM campaign_relays WHERE campaign_id = ?", (campaign_id,))
        else:
            self.conn.execute(
                "INSERT INTO campaign_relays (campaign_id, relay) VALUES (?, ?)"
                " ON CONFLICT (campaign_id) DO UPDATE SET relay = excluded.relay",
                (campaign_id, relay),
            )

    def campaign_relay(self, campaign_id: int) -> str | None:
        found = self.conn.execute("SELECT relay FROM campaign_relays WHERE campaign_id = ?", (campaign_id,)).fetchone()
        return str(found[0]) if found else None

    def handovers(self, relay: str, *, since: dt.datetime) -> list[dt.datetime]:
        """The times of every hand-over to ``relay`` after ``since``, from every campaign and job."""
        rows = self.conn.execute(
            "SELECT at FROM handovers WHERE relay = ? AND at > ? ORDER BY at", (relay, iso(since))
        ).fetchall()
        return [dt.datetime.fromisoformat(str(r[0])) for r in rows]

    def take_room(self, account: str, cap: int, now: dt.datetime) -> None:
        """Inside the hand-over's write transaction: raise CapReached when ``account`` has no room left
        under ``cap`` in the 24 hours before ``now`` (the hand-overs of every campaign and process).

        Counting 10,000 hand-overs each time costs ~2 ms; so the count is taken again only when it could
        be full: since the last count, the account can have gained at most as many hand-overs as the table
        gained rows (its last rowid, read in this same transaction), and old ones only ever leave."""
        top = int(self.conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM handovers").fetchone()[0])
        seen = self._room_seen.get(account)
        if seen is not None and top >= seen[1] and seen[0] + (top - seen[1]) < cap:
            return
        since = iso(now - dt.timedelta(days=1))
        used = int(
            self.conn.execute("SELECT COUNT(*) FROM handovers WHERE relay = ? AND at > ?", (account, since)).fetchone()[0]
        )
        self._room_seen[account] = (used, top)
        if used < cap:
            return
        # The slot frees when the (used - cap + 1)-th oldest hand-over leaves the 24 hours.
        oldest = self.conn.execute(
            "SELECT at FROM handovers WHERE relay = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?",
            (account, since, used - cap),
        ).fetchone()
        resume = dt.datetime.fromisoformat(str(oldest[0])) + dt.timedelta(days=1) if oldest else None
        raise CapReached(account, cap, used, resume)
