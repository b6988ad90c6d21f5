"""The ``suppressions`` table: addresses pressctl itself suppressed (a bounce, an unsubscribe, ``suppress
add``, an import), kept beside ``contacts/suppressed.csv`` so an edit of the CSV cannot bring one back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from pressctl.addresses import address_key
from pressctl.ledger.connection import Connection
from pressctl.ledger.records import iso

__all__ = ["Suppressions"]


class Suppressions:
    """The suppressions one ledger recorded."""

    def __init__(self, conn: Connection, clock: Callable[[], dt.datetime]) -> None:
        self.conn = conn
        self.clock = clock

    def add(self, address: str, *, reason: str, origin: str) -> bool:
        """Record a suppressed address (by its ``address_key``); False if it was recorded already (the first
        reason stays). Only :mod:`pressctl.contacts.suppression` calls it."""
        cur = self.conn.execute(
            "INSERT INTO suppressions (address, reason, origin, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (address) DO NOTHING",
            (address_key(address), reason[:500], origin, iso(self.clock())),
        )
        return cur.rowcount == 1

    def remove(self, address: str) -> bool:
        cur = self.conn.execute("DELETE FROM suppressions WHERE address = ?", (address_key(address),))
        return cur.rowcount == 1

    def all(self) -> dict[str, tuple[str, str, str]]:
        """Every recorded suppression: address -> (reason, origin, created_at)."""
        return {
            row[0]: (row[1], row[2], row[3])
            for row in self.conn.execute("SELECT address, reason, origin, created_at FROM suppressions ORDER BY address")
        }

    def known_addresses(self) -> set[str]:
        """Every address the ledger has sent to or planned for, or suppressed (to match unsubscribe tokens
        against)."""
        found = {row[0] for row in self.conn.execute("SELECT DISTINCT email FROM recipients WHERE key NOT LIKE 'invalid:%'")}
        found.update(self.all())
        return found
