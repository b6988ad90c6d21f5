"""The ledger: every campaign, one row per recipient written as mail goes out, and what a press office's
other commands keep beside them (release locks, suppressions, bounces and replies, scheduled jobs).

Only this package speaks SQL (import-linter contracts keep ``sqlite3`` and ``psycopg`` inside it). Its parts:

* :mod:`~pressctl.ledger.connection` -- the one connection every table family runs its SQL through, and
  the store-independent errors; :mod:`~pressctl.ledger.sqlite` the SQLite file behind it (the default), or
  :mod:`~pressctl.ledger.postgres` a press office's shared PostgreSQL database (:mod:`~pressctl.ledger.stores`
  chooses by the ledger's name: a path or a ``postgresql://`` URL).
* :mod:`~pressctl.ledger.migrations` -- the schema as one list of migrations, and the one runner.
* the table families, each a small class over the one connection, each holding its own SQL:
  :mod:`~pressctl.ledger.campaigns`, :mod:`~pressctl.ledger.recipients` (the hand-overs' before/after rows),
  :mod:`~pressctl.ledger.caps` (relay accounts and their hand-overs), :mod:`~pressctl.ledger.locks` (one
  sender per release), :mod:`~pressctl.ledger.suppressions`, :mod:`~pressctl.ledger.inbound` (bounces,
  replies, notes), :mod:`~pressctl.ledger.jobs` (scheduled sends) and :mod:`~pressctl.ledger.approvals`
  (sign-offs of a release's versions);
* :mod:`~pressctl.ledger.records` -- the values they read and write.

:class:`Ledger` opens one store and holds one object per family::

    with Ledger(path) as ledger:
        campaign = ledger.campaigns.find(fingerprint)
        ledger.recipients.mark_sending(campaign.id, key, message_id)
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable

from pressctl.clock import system_clock
from pressctl.ledger.approvals import Approvals
from pressctl.ledger.campaigns import Campaigns
from pressctl.ledger.caps import Caps
from pressctl.ledger.connection import StoreError
from pressctl.ledger.inbound import Inbound
from pressctl.ledger.jobs import JobStore
from pressctl.ledger.locks import Locks
from pressctl.ledger.recipients import Recipients
from pressctl.ledger.stores import LedgerName, connect, ledger_name
from pressctl.ledger.suppressions import Suppressions

__all__ = ["Ledger"]


class Ledger:
    """One ledger store, opened (and brought up to date) once, with its table families over that one
    connection. Every write commits at once, or in one transaction where several belong together."""

    def __init__(self, path: LedgerName, *, clock: Callable[[], dt.datetime] = system_clock) -> None:
        self.path = ledger_name(path)  # a file's path, or a postgresql:// URL
        self.clock = clock
        self.conn = connect(self.path)
        self.campaigns = Campaigns(self.conn, clock)
        self.caps = Caps(self.conn)
        self.recipients = Recipients(self.conn, clock, caps=self.caps)
        self.locks = Locks(self.conn, clock)
        self.suppressions = Suppressions(self.conn, clock)
        self.inbound = Inbound(self.conn, clock)
        self.jobs = JobStore(self.conn, clock=clock)
        self.approvals = Approvals(self.conn, clock)

    def close(self) -> None:
        try:
            # Results noted for the next write's commit (Recipients.note_sent). If the store fails now, their
            # rows stay `sending`, as after a crash: sent again as unknown, with the same Message-ID.
            with contextlib.suppress(StoreError):
                self.recipients.flush()
        finally:
            self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
