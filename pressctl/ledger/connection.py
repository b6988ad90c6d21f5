"""The ledger's one connection: what every table family asks of a store, and the errors a store raises.

Each table family (:mod:`~pressctl.ledger.campaigns`, :mod:`~pressctl.ledger.recipients`,
:mod:`~pressctl.ledger.caps`, :mod:`~pressctl.ledger.locks`, :mod:`~pressctl.ledger.suppressions`,
:mod:`~pressctl.ledger.inbound`, :mod:`~pressctl.ledger.jobs`) holds its own SQL and runs it through a
:class:`Connection`; only the connection knows the database: SQLite, one file (the default,
:mod:`pressctl.ledger.sqlite`, the only module that imports ``sqlite3``), or an office's shared PostgreSQL
database. The primitives the promises rest on are the connection's, so the second store is a second implementation of this
interface (:mod:`pressctl.ledger.postgres`, the only module that imports ``psycopg``), chosen in
:func:`pressctl.ledger.stores.connect`, and no caller changes:

* :meth:`Connection.write` -- a write transaction that holds its lock from the first read to the commit.
  SQLite: ``BEGIN IMMEDIATE`` (the file has one write lock, so ``lock`` needs no meaning). A server
  database: ``BEGIN`` plus a transaction-scoped advisory lock on ``lock`` (``pg_advisory_xact_lock``), so the
  count-then-write steps below serialise per release, per job or per relay account, not per database.
* the conditional ``UPDATE`` -- ``execute(...).rowcount`` (or ``RETURNING``) tells whether this process
  made the move: a row goes to ``sending`` only from a to-do state, a job is claimed only from a state that
  allows it, a lease is renewed only by its owner. Both stores do this in one statement.
* the capped hand-over -- :meth:`pressctl.ledger.recipients.Recipients.mark_sending` counts the relay
  account's hand-overs and writes the row inside one ``write(lock="relay:ACCOUNT")``.
* the schema version (:meth:`Connection.schema_version`): ``PRAGMA user_version`` for SQLite, a version
  table for a server; the one migration list (:mod:`pressctl.ledger.migrations`) runs on either.

Errors are translated: a family or a caller catches :class:`StoreError` (and :class:`StoreFull`,
:class:`DuplicateKey`), never a driver's exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

__all__ = ["Connection", "Cursor", "DuplicateKey", "Executes", "Row", "StoreError", "StoreFull", "StoreLost"]


class StoreError(Exception):
    """The store failed or refused a statement: the driver's error, translated (its text kept)."""


class StoreFull(StoreError):
    """The disk (or the quota) is full: nothing more can be written until there is room."""


class StoreLost(StoreError):
    """The connection to a server store was lost (the server stopped, the network went): what was written
    is kept, what was not is not; a re-run resumes."""


class DuplicateKey(StoreError):
    """A row with this key exists already (a unique constraint)."""


class Row(Protocol):
    """A row read back: by column name or position."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    """What a statement gives back: its rows, and for a write how many rows it changed."""

    @property
    def rowcount(self) -> int: ...

    @property
    def lastrowid(self) -> int | None: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Executes(Protocol):
    """Anything that runs a statement: what a migration needs (a :class:`Connection`, or in tests a bare
    driver connection building an old ledger)."""

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Any: ...


class Connection(Protocol):
    """One open connection to a ledger store (see the module docstring for what each primitive means)."""

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``: which store, for the few places the schema differs (the migrations'
        baseline)."""
        ...

    @property
    def where(self) -> str:
        """The store as a person names it (a file's path, a URL without its password), for messages."""
        ...

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        """Run one statement (``?`` placeholders)."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> int:
        """Run one statement for each of ``rows``; how many rows they changed together."""
        ...

    def write(self, lock: str = "") -> AbstractContextManager[None]:
        """A write transaction holding the store's (or ``lock``'s) write lock from its first read to its
        commit; rolled back if the block raises."""
        ...

    def schema_version(self) -> int:
        """How many migrations of :data:`pressctl.ledger.migrations.MIGRATIONS` the store has."""
        ...

    def set_schema_version(self, version: int) -> None: ...

    def has_table(self, name: str) -> bool: ...

    def another(self) -> Connection:
        """A second connection to the same store, for another thread (connections stay in one thread)."""
        ...

    def moved(self) -> str | None:
        """Why the store this connection has open is no longer the one its name gives ("was deleted",
        "was replaced by another file"), or None. A file can be deleted under an open connection; a server
        database cannot."""
        ...

    def close(self) -> None: ...
