"""Which store a ledger is: the one place a store is chosen from its name (:func:`connect`)."""

from __future__ import annotations

from pathlib import Path

from pressctl.ledger.connection import Connection
from pressctl.ledger.sqlite import open_sqlite

__all__ = ["connect"]


def connect(where: Path | str) -> Connection:
    """Open (creating if needed, and migrating) the ledger store named by ``where``: today a file path
    (SQLite, :mod:`pressctl.ledger.sqlite`). A ``postgresql://`` URL (issue 22) would choose a second
    implementation of :class:`pressctl.ledger.connection.Connection` here; nothing else changes."""
    return open_sqlite(Path(where))
