"""Unsubscribe tokens: an opaque, URL-safe token per recipient address (HMAC-SHA256 with a workspace secret).

The press office's unsubscribe page records only tokens; ``pressctl suppress import`` turns recorded tokens back
into addresses by computing the token of every address the ledger knows. The secret lives in
``.pressctl/secret`` (mode 0600), never in ``pressctl.toml``, a job snapshot or any output.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

from pressctl.errors import ConfigError

__all__ = ["SECRET_NAME", "load_or_create_secret", "match_tokens", "token_for"]

SECRET_NAME = "secret"
_SECRET_BYTES = 32


def token_for(address: str, secret: bytes) -> str:
    """The unsubscribe token of ``address`` (case-insensitive on the address): 22 URL-safe characters."""
    digest = hmac.new(secret, address.strip().lower().encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def match_tokens(tokens: Iterable[str], addresses: Iterable[str], secret: bytes) -> dict[str, str]:
    """Map each token that belongs to one of ``addresses`` to that address (unknown tokens are left out)."""
    by_token = {token_for(a, secret): a for a in addresses}
    return {t: by_token[t] for t in (t.strip() for t in tokens) if t in by_token}


def load_or_create_secret(state_dir: Path) -> bytes:
    """The workspace secret from ``state_dir/secret``, made (0600) on first use.

    A secret that exists but cannot be read, or is too short, is a configuration error: a new one would
    silently invalidate every token already sent out.
    """
    path = state_dir / SECRET_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        state_dir.mkdir(parents=True, exist_ok=True)
        data = secrets.token_bytes(_SECRET_BYTES)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return load_or_create_secret(state_dir)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return data
    except OSError as exc:
        raise ConfigError(
            f"the workspace secret cannot be read ({exc.strerror})",
            where=str(path),
            hint="restore its permissions (it signs unsubscribe tokens; a new one would void the links already sent)",
        ) from None
    if len(data) < 16:
        raise ConfigError(
            "the workspace secret is too short",
            where=str(path),
            hint="restore it from a backup, or delete it to make a new one (unsubscribe links already sent stop working)",
        )
    return data
