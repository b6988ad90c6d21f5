"""``[ledger]`` of ``pressctl.toml``: where the ledger is. A file (SQLite, the embedded default
``.pressctl/ledger.sqlite3``) or a press office's shared PostgreSQL database::

    [ledger]
    url = "postgresql://press@db.hvsp.example:5432/pressctl?sslmode=verify-full"

The URL never holds the password (``PRESSCTL_LEDGER_PASSWORD``, or libpq's ``~/.pgpass``): one written in
it is refused, and the line shown names the URL without it.

``secret_env`` names the environment variable holding the workspace secret (base64), for an office whose
officers share one ledger: every machine then signs unsubscribe tokens and VERP addresses alike, without
copying ``.pressctl/secret`` around (the secret itself is never in this file or the ledger).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pressctl.config.keys import table, text
from pressctl.errors import ConfigError

__all__ = ["LEDGER_KEYS", "parse_ledger", "parse_secret_env"]

LEDGER_KEYS = ("url", "secret_env")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SCHEMES = ("postgresql://", "postgres://")


def parse_ledger(data: dict[str, Any], root: Path, where: str) -> str | Path | None:
    """``[ledger] url``: a ``postgresql://`` URL (text), a file's path (relative to the workspace), or None
    (the default file)."""
    if "ledger" not in data:
        return None
    url = text(table(data, "ledger", where), "url", "ledger", where).strip()
    if not url:
        return None
    if url.lower().startswith(_SCHEMES):
        try:
            parts = urlsplit(url)
            password, _port = parts.password, parts.port
        except ValueError as exc:
            raise ConfigError(f"ledger.url is not a valid URL ({exc})", where=where,
                              hint="write it as postgresql://USER@HOST:5432/DATABASE?sslmode=verify-full") from None
        if password is not None:
            raise ConfigError(
                "ledger.url holds a password", where=where,
                hint="remove it from pressctl.toml and give it in PRESSCTL_LEDGER_PASSWORD (or ~/.pgpass)",
            )
        return url
    if "://" in url:
        raise ConfigError(
            f"ledger.url {url.split('://', 1)[0]}:// is not a store pressctl knows", where=where,
            hint="give a file's path (SQLite) or a postgresql:// URL",
        )
    path = Path(url).expanduser()
    return path if path.is_absolute() else root / path


def parse_secret_env(data: dict[str, Any], where: str) -> str | None:
    """``[ledger] secret_env``: the name of the variable holding the workspace secret, or None (the file)."""
    if "ledger" not in data:
        return None
    name = text(table(data, "ledger", where), "secret_env", "ledger", where).strip()
    if name and not _ENV_NAME.match(name):
        raise ConfigError(
            f"ledger.secret_env {name!r} is not an environment variable's name", where=where,
            hint='name the variable, e.g. secret_env = "PRESSCTL_WORKSPACE_SECRET" (the secret goes in the environment)',
        )
    return name or None
