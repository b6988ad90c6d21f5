"""The ledger in a PostgreSQL database: the shared store of a press office, and the only module of pressctl
that imports ``psycopg``.

Several officers' machines and the dispatcher on a server open the same database (``[ledger] url`` or
``--db postgresql://user@host:5432/db?sslmode=verify-full``). What the SQLite file promises on one machine
holds between them through the same :class:`~pressctl.ledger.connection.Connection` primitives:

* :meth:`PostgresConnection.write` is ``BEGIN`` plus a transaction-scoped advisory lock on the name it is
  given (``pg_advisory_xact_lock``: per release, job or relay account), so every count-then-write step of
  the table families serialises with the same step on any machine; the lock goes with the commit, or with a
  connection that dies;
* the conditional ``UPDATE ... RETURNING`` moves (a row to ``sending``, a job claimed) are one statement, as
  in SQLite;
* the schema version is the ``pressctl_schema`` table; a new database starts from the baseline schema
  (:mod:`pressctl.ledger.pgbaseline`) and runs the migrations appended after it.

The password is never in the URL: ``PRESSCTL_LEDGER_PASSWORD``, or libpq's own ``~/.pgpass``
(``PGPASSFILE``) or ``PGPASSWORD``. What is shown (:attr:`PostgresConnection.where`) is the URL as given,
which has none. Driver errors become :class:`~pressctl.ledger.connection.StoreError` and its children
with their first line only.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar
from urllib.parse import urlsplit

import psycopg
import psycopg.errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import RowMaker

from pressctl.errors import ExitStatus, InputError, LedgerError
from pressctl.ledger.connection import Connection, Cursor, DuplicateKey, StoreError, StoreFull, StoreLost
from pressctl.ledger.migrations import migrate

__all__ = ["PASSWORD_ENV", "PostgresConnection", "open_postgres"]

PASSWORD_ENV = "PRESSCTL_LEDGER_PASSWORD"
# What a connection gets unless the URL says otherwise: an unreachable server is one line, not a hang; a
# server that vanished without closing the connection (a network cut) is noticed in about a minute; another
# machine's lock held longer than LOCK_WAIT is an error, not a wait for ever (SQLite's busy timeout).
_DEFAULTS = {
    "connect_timeout": "10",
    "keepalives_idle": "30",
    "keepalives_interval": "10",
    "keepalives_count": "3",
    "tcp_user_timeout": "60000",
}
LOCK_WAIT = 30  # seconds


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].strip()


def _translated(exc: psycopg.Error) -> StoreError:
    text = _first_line(exc)
    if isinstance(exc, psycopg.errors.UniqueViolation):
        return DuplicateKey(text)
    if isinstance(exc, psycopg.errors.LockNotAvailable):
        return StoreError(f"another pressctl held the ledger's lock for over {LOCK_WAIT} s ({text}); try again")
    if isinstance(exc, (psycopg.errors.DiskFull, psycopg.errors.OutOfMemory)):
        return StoreFull(text)
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)) and not isinstance(
        exc, psycopg.errors.QueryCanceled
    ):
        return StoreLost(f"the connection to the database was lost: {text}")
    return StoreError(text)


def _sql(sql: str) -> str:
    """SQLite's ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled), outside quoted text."""
    out: list[str] = []
    quoted = False
    for ch in sql:
        if ch == "'":
            quoted = not quoted
            out.append(ch)
        elif ch == "%":
            out.append("%%")
        elif ch == "?" and not quoted:
            out.append("%s")
        else:
            out.append(ch)
    return "".join(out)


class _Row(tuple[Any, ...]):
    """A row by position or by column name, like ``sqlite3.Row`` (and unpacked like a tuple)."""

    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _rows(cursor: psycopg.Cursor[Any]) -> RowMaker[_Row]:
    names = [c.name for c in cursor.description or ()]
    kind = type("Row", (_Row,), {"_index": {n: i for i, n in enumerate(names)}})
    return lambda values: kind(values)  # type: ignore[no-any-return]


class _Cursor:
    __slots__ = ("_cur",)

    def __init__(self, cur: psycopg.Cursor[Any]) -> None:
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def lastrowid(self) -> int | None:
        return None  # PostgreSQL has none: the families ask ``RETURNING id``

    def fetchone(self) -> Any:
        if self._cur.description is None:
            return None
        try:
            return self._cur.fetchone()
        except psycopg.Error as exc:
            raise _translated(exc) from None

    def fetchall(self) -> list[Any]:
        if self._cur.description is None:
            return []
        try:
            return self._cur.fetchall()
        except psycopg.Error as exc:
            raise _translated(exc) from None

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PostgresConnection:
    """:class:`pressctl.ledger.connection.Connection` over one psycopg connection (autocommit: every
    statement outside :meth:`write` commits at once)."""

    dialect = "postgresql"

    def __init__(self, url: str, db: psycopg.Connection[Any], reconnect: Callable[[], psycopg.Connection[Any]]) -> None:
        self.url = url
        self._db = db
        self._reconnect = reconnect

    @property
    def where(self) -> str:
        return self.url

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        try:
            # Without parameters the text goes as it is (a literal % stays one; the baseline's several statements).
            cur = self._db.execute(_sql(sql), list(params)) if params else self._db.execute(sql)  # type: ignore[call-overload]
        except psycopg.Error as exc:
            raise _translated(exc) from None
        return _Cursor(cur)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> int:
        batch = [list(r) for r in rows]
        if not batch:
            return 0
        try:
            with self._db.cursor() as cur:
                cur.executemany(_sql(sql), batch)  # type: ignore[arg-type]
                return cur.rowcount
        except psycopg.Error as exc:
            raise _translated(exc) from None

    @contextlib.contextmanager
    def write(self, lock: str = "") -> Iterator[None]:
        # A transaction, and with a name an advisory lock on it held to the commit (or rollback): the same
        # step on any machine waits here. Without one, each statement's own row locks are what hold.
        try:
            tx = self._db.transaction()
            tx.__enter__()
        except psycopg.Error as exc:
            raise _translated(exc) from None
        try:
            if lock:
                self.execute("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", (f"pressctl:{lock}",))
            yield
        except BaseException as exc:
            with contextlib.suppress(psycopg.Error):
                tx.__exit__(type(exc), exc, exc.__traceback__)
            raise
        try:
            tx.__exit__(None, None, None)
        except psycopg.Error as exc:
            raise _translated(exc) from None

    def schema_version(self) -> int:
        if not self.has_table("pressctl_schema"):
            return 0
        row = self.execute("SELECT MAX(version) FROM pressctl_schema").fetchone()
        return int(row[0] or 0)

    def set_schema_version(self, version: int) -> None:
        self.execute("CREATE TABLE IF NOT EXISTS pressctl_schema (version INTEGER NOT NULL, application TEXT NOT NULL)")
        self.execute("DELETE FROM pressctl_schema")
        self.execute("INSERT INTO pressctl_schema (version, application) VALUES (?, 'pressctl')", (int(version),))

    def has_table(self, name: str) -> bool:
        row = self.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?", (name,)
        ).fetchone()
        return row is not None

    def tables(self) -> list[str]:
        return [
            str(r[0])
            for r in self.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                " ORDER BY table_name"
            )
        ]

    def another(self) -> PostgresConnection:
        try:
            db = self._reconnect()
        except psycopg.Error as exc:
            raise _translated(exc) from None
        return PostgresConnection(self.url, db, self._reconnect)

    def moved(self) -> str | None:
        return None  # a server database cannot be deleted under an open connection unnoticed

    def server_time(self) -> float:
        """The database server's clock (epoch seconds), to compare with this machine's."""
        return float(self.execute("SELECT EXTRACT(EPOCH FROM clock_timestamp())").fetchone()[0])

    def server_version(self) -> str:
        return str(self.execute("SHOW server_version").fetchone()[0])

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._db.close()


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        password, _port = parts.password, parts.port
    except ValueError as exc:  # a port that is not a number
        raise InputError(f"the ledger's URL cannot be read ({exc})", where=url.split("@")[-1],
                         hint="write it as postgresql://USER@HOST:5432/DATABASE?sslmode=verify-full") from None
    if password is not None:
        raise InputError(
            "the ledger's URL holds a password; it was not used",
            where=_without_password(url),
            hint=f"remove it from the URL and give it in {PASSWORD_ENV} (or ~/.pgpass)",
        )
    if not parts.path.strip("/") and not parts.query:
        raise InputError(
            "the ledger's URL names no database",
            where=url,
            hint="write it as postgresql://USER@HOST:5432/DATABASE?sslmode=verify-full",
        )


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=f"{user}{host}{port}").geturl()


def open_postgres(url: str, *, environ: dict[str, str] | None = None) -> Connection:
    """Connect to the ledger database at ``url`` and bring its schema up to date (creating it if new).

    An unreachable server, a refused login, a TLS failure, a database of another program and one made by
    a newer pressctl are each one line (:class:`~pressctl.errors.LedgerError`, exit 1; a URL with a
    password in it, exit 2), the password never in it."""
    _check_url(url)
    env = os.environ if environ is None else environ
    password = env.get(PASSWORD_ENV) or None
    try:
        given = conninfo_to_dict(url)
    except psycopg.Error as exc:
        raise InputError(f"the ledger's URL cannot be read ({_first_line(exc)})", where=url,
                         hint="write it as postgresql://USER@HOST:5432/DATABASE?sslmode=verify-full") from None

    settings: dict[str, Any] = {k: v for k, v in _DEFAULTS.items() if k not in given}
    options = str(given.get("options") or "")
    if "lock_timeout" not in options:
        settings["options"] = f"{options} -c lock_timeout={LOCK_WAIT * 1000}".strip()
    if password is not None:
        settings["password"] = password

    def connect() -> psycopg.Connection[Any]:
        return psycopg.connect(url, autocommit=True, row_factory=_rows, **settings)

    try:
        db = connect()
    except (psycopg.Error, ValueError) as exc:  # ValueError: a URL libpq cannot read
        raise _failed(
            f"cannot reach the ledger's database ({_first_line(exc)})",
            url,
            f"check the server is running and the URL, user and sslmode; the password comes from {PASSWORD_ENV} "
            "or ~/.pgpass",
        ) from None
    conn = PostgresConnection(url, db, connect)
    try:
        tables = conn.tables()
        if tables and "pressctl_schema" not in tables:
            shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
            raise InputError(
                f"not a pressctl ledger: the database holds another program's tables ({shown}); nothing was changed in it",
                where=url,
                hint="give pressctl a database (or a schema, with ?options=-csearch_path=NAME) of its own",
            )
        migrate(conn)
    except StoreError as exc:
        conn.close()
        raise _failed(
            f"cannot bring the ledger's database up to date ({exc})",
            url,
            "check the server is running and the user may create tables in this database, then run the command again",
        ) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _failed(what: str, url: str, hint: str) -> LedgerError:
    """The store failed (not the user's input): exit 1, nothing sent."""
    error = LedgerError(what, where=url, hint=hint)
    error.exit_code = ExitStatus.FAILED
    return error
