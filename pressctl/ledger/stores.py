"""Which store a ledger is: the one place a store is chosen from its name (:func:`connect`).

A ledger is named by a file's path (SQLite, :mod:`pressctl.ledger.sqlite`, the embedded default) or by a
``postgresql://`` URL (:mod:`pressctl.ledger.postgres`, a press office's shared database). ``--db`` and
``[ledger] url`` give either; :func:`ledger_name` reads one, :func:`exists` says whether there is a ledger
there yet, and :func:`is_shared` whether several machines may use it at once.
"""

from __future__ import annotations

from pathlib import Path

from pressctl.ledger.connection import Connection
from pressctl.ledger.sqlite import open_sqlite

__all__ = ["LedgerName", "connect", "exists", "is_postgres_url", "is_shared", "ledger_name"]

LedgerName = Path | str  # a file's path, or a postgresql:// URL
_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(where: object) -> bool:
    """Whether a ledger's name is a PostgreSQL URL (else it is a file's path)."""
    return isinstance(where, str) and where.lower().startswith(_SCHEMES)


def ledger_name(text: str | Path) -> LedgerName:
    """A ledger as typed (``--db``, ``[ledger] url``): a URL stays text, anything else is a path.

    ``Path`` folds the URL's ``//`` into one, so a URL that went through one is mended here."""
    raw = str(text)
    for scheme in ("postgresql:", "postgres:"):
        if raw.lower().startswith(scheme) and not raw[len(scheme):].startswith("//"):
            raw = scheme + "/" + raw[len(scheme):]
    return raw if is_postgres_url(raw) else Path(text)


def is_shared(where: LedgerName) -> bool:
    """Whether the ledger is a server's database, shared by several machines (not a file of one)."""
    return is_postgres_url(where)


def exists(where: LedgerName) -> bool:
    """Whether a ledger is there to read (a server's database always is: it is made when first opened)."""
    return is_postgres_url(where) or Path(where).is_file()


def connect(where: LedgerName) -> Connection:
    """Open (creating if needed, and migrating) the ledger store named by ``where``: a ``postgresql://`` URL
    (:mod:`pressctl.ledger.postgres`), else a file's path (SQLite, :mod:`pressctl.ledger.sqlite`)."""
    if isinstance(where, str) and is_postgres_url(where):
        from pressctl.ledger.postgres import open_postgres  # psycopg only when a server is named (~0.2 s)

        return open_postgres(where)
    return open_sqlite(Path(where))
