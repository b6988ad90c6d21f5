"""The ledger in one SQLite file: the embedded store, and the only module of pressctl that imports ``sqlite3``.

Opening a file (:func:`open_sqlite`) makes it private first (0600, ``.pressctl/`` 0700: every address is in
here), sets WAL (``pressctl report`` reads while a send writes) and ``synchronous=NORMAL`` (a commit survives
a killed process, which is the promise; only a power cut can lose the last few, and those messages then go
out again with their same Message-ID), refuses a file that belongs to another program, and brings the
schema up to date (:func:`pressctl.ledger.migrations.migrate`). A pressctl ledger marks itself with its own
``PRAGMA application_id``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pressctl.errors import InputError
from pressctl.ledger.connection import Connection, Cursor, DuplicateKey, StoreError, StoreFull
from pressctl.ledger.migrations import migrate
from pressctl.private import private_file

__all__ = ["APPLICATION_ID", "SqliteConnection", "open_sqlite"]

APPLICATION_ID = 0x5043544C  # "PCTL" in the file's header: this file is a pressctl ledger
_SQLITE_FULL = 13
_TIMEOUT = 30.0  # seconds a statement waits for another process's write lock


def _translated(exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    if (code is not None and code & 0xFF == _SQLITE_FULL) or "disk is full" in text:
        return StoreFull(text)
    if isinstance(exc, sqlite3.IntegrityError) and ("UNIQUE" in text or "PRIMARY KEY" in text):
        return DuplicateKey(text)
    return StoreError(text)


class _Cursor:
    """A cursor whose fetches translate SQLite's errors, like the statement that made it."""

    __slots__ = ("_cur",)

    def __init__(self, cur: sqlite3.Cursor) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cur.lastrowid

    def fetchone(self) -> Any:
        try:
            return self._cur.fetchone()
        except sqlite3.Error as exc:
            raise _translated(exc) from exc

    def fetchall(self) -> list[Any]:
        try:
            return self._cur.fetchall()
        except sqlite3.Error as exc:
            raise _translated(exc) from exc

    def __iter__(self) -> Iterator[Any]:
        try:
            yield from self._cur
        except sqlite3.Error as exc:
            raise _translated(exc) from exc


class SqliteConnection:
    """:class:`pressctl.ledger.connection.Connection` over one SQLite connection (autocommit: every
    statement outside :meth:`write` commits at once)."""

    dialect = "sqlite"

    def __init__(self, path: Path, db: sqlite3.Connection, identity: tuple[int, int] | None) -> None:
        self.path = path
        self._db = db
        self._identity = identity  # the file this connection has open

    @property
    def where(self) -> str:
        return str(self.path)

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        try:
            return _Cursor(self._db.execute(sql, params))
        except sqlite3.Error as exc:
            raise _translated(exc) from exc

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> int:
        try:
            return self._db.executemany(sql, rows).rowcount
        except sqlite3.Error as exc:
            raise _translated(exc) from exc

    @contextlib.contextmanager
    def write(self, lock: str = "") -> Iterator[None]:
        # One write lock per file: whatever ``lock`` names, BEGIN IMMEDIATE serialises it with every
        # other writer of this ledger, from the first read of the block to its commit.
        del lock
        self.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already (a full disk)
                self._db.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def schema_version(self) -> int:
        return int(self.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        self.execute(f"PRAGMA user_version = {int(version):d}")
        self.execute(f"PRAGMA application_id = {APPLICATION_ID:d}")

    def has_table(self, name: str) -> bool:
        return self.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None

    def another(self) -> SqliteConnection:
        try:
            db = sqlite3.connect(self.path, timeout=_TIMEOUT, isolation_level=None)
        except sqlite3.Error as exc:
            raise _translated(exc) from exc
        db.row_factory = sqlite3.Row
        return SqliteConnection(self.path, db, self._identity)

    def moved(self) -> str | None:
        now = _identity(self.path)
        if now == self._identity:
            return None
        return "was deleted" if now is None else "was replaced by another file"

    def close(self) -> None:
        self._db.close()


def open_sqlite(path: Path) -> Connection:
    """Open (creating if needed) the ledger file at ``path`` with pressctl's tables and settings.

    A path that cannot be opened, a file that is not a database or belongs to another program, and a
    ledger of a newer pressctl are each an InputError (one line, the file named, left as it was)."""
    foreign = ""
    try:
        existed = path.is_file()
        if not existed:
            private_file(path)  # 0600 (and .pressctl/ 0700) before SQLite makes it: every address is in here
        db = sqlite3.connect(path, timeout=_TIMEOUT, isolation_level=None)
        db.row_factory = sqlite3.Row
        foreign = _foreign(db)  # read before anything is written, the file's mode included
        if not foreign:
            if existed:
                private_file(path)  # a ledger of an older pressctl, perhaps 0644: tightened
            _wal(db)
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute(f"PRAGMA busy_timeout = {int(_TIMEOUT * 1000):d}")
    except (sqlite3.Error, OSError) as exc:
        raise InputError(
            f"cannot open the ledger ({exc})",
            where=str(path),
            hint="check the path and its permissions, or pass another file with --db",
        ) from None
    if foreign:
        db.close()
        raise InputError(
            f"not a pressctl ledger: {foreign}; nothing was changed in it",
            where=str(path),
            hint="give --db the ledger's file (the default is .pressctl/ledger.sqlite3), or a new file",
        )
    conn = SqliteConnection(path, db, _identity(path))
    try:
        migrate(conn)
    except StoreError as exc:
        db.close()
        raise InputError(
            f"cannot bring the ledger up to date ({exc})",
            where=str(path),
            hint="check the file's permissions and free disk space, or pass another file with --db",
        ) from None
    except BaseException:
        db.close()
        raise
    return conn


def _wal(db: sqlite3.Connection) -> None:
    """Turn on write-ahead logging. On a ledger of an older pressctl (a rollback journal) that needs the
    file to itself for a moment, and when another process is opening it at the same time SQLite may answer
    "locked" at once instead of waiting (it does not wait where two could deadlock): try again until the
    usual timeout, as any other statement waits."""
    deadline = time.monotonic() + _TIMEOUT
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _foreign(db: sqlite3.Connection) -> str:
    """Why this database belongs to another program ("" when it is a ledger, or empty: a new one)."""
    app = int(db.execute("PRAGMA application_id").fetchone()[0])
    if app == APPLICATION_ID:
        return ""
    if app:
        return f"its header names another program (application id {app:#x})"
    tables = [
        str(row[0])
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name")
    ]
    if {"campaigns", "recipients"} <= set(tables):
        return ""  # a ledger of a pressctl from before the header was written
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if not tables and not version:
        return ""  # a new, empty file
    shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
    return f"it holds another program's tables ({shown})" if tables else f"it is marked version {version} by another program"


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
