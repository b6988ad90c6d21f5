"""Unsubscribe tokens: an opaque, URL-safe token per recipient address (HMAC-SHA256 with a workspace secret).

The token is the only proof pressctl accepts that a reader asked to leave the list: the press office's
unsubscribe page records tokens (``pressctl suppress import`` turns them back into addresses by computing
the token of every address the ledger knows), and the ``List-Unsubscribe`` mailto carries the reader's
token too (:func:`mailto_with_token`: ``?subject=unsubscribe TOKEN``, or wherever ``{token}`` stands), so
``pressctl bounces`` can tell a real request (:func:`find_tokens`) from a message anyone could write.

The secret lives in ``.pressctl/secret``: a regular file, mode 0600, never in ``pressctl.toml``, a job
snapshot or any output. A secret that is anything else (a FIFO would hang every send, a 0644 file can be
read by other users, who could then unsubscribe anyone) is refused with the command that fixes it.
"""

from __future__ import annotations

import base64
import errno
import hmac
import os
import re
import secrets
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.addresses import address_key
from pressctl.errors import ConfigError

if TYPE_CHECKING:
    from pressctl.config import Workspace

__all__ = [
    "SECRET_NAME",
    "TOKEN_CHARS",
    "existing_secret",
    "find_tokens",
    "is_token",
    "key_token",
    "load_or_create_secret",
    "load_secret",
    "match_tokens",
    "secret_from_env",
    "token_for",
    "workspace_secret",
]

SECRET_NAME = "secret"
TOKEN_CHARS = 22
_SECRET_BYTES = 32
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")
_TOKEN_IN_TEXT = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{22}(?![A-Za-z0-9_-])")


def token_for(address: str, secret: bytes) -> str:
    """The unsubscribe token of ``address`` (of its ``addresses.address_key``): 22 URL-safe characters."""
    return key_token(address_key(address), secret)


def key_token(key: str, secret: bytes) -> str:
    """:func:`token_for` of an address whose key is known already (a checked ``Address``'s ``key``)."""
    digest = hmac.digest(secret, key.encode("utf-8"), "sha256")
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")


def is_token(value: str) -> bool:
    """Whether ``value`` has a token's shape (22 URL-safe characters); not whether it is anyone's."""
    return bool(_TOKEN.fullmatch(value.strip()))


def match_tokens(tokens: Iterable[str], addresses: Iterable[str], secret: bytes) -> dict[str, str]:
    """Map each token that belongs to one of ``addresses`` to that address (unknown tokens are left out)."""
    by_token = {token_for(a, secret): a for a in addresses}
    return {t: by_token[t] for t in (t.strip() for t in tokens) if t in by_token}


def find_tokens(texts: Iterable[str]) -> tuple[str, ...]:
    """Every word of token shape in ``texts`` (a subject, a first line, an address's ``+`` part), in order,
    each once. Only an HMAC match against a known address makes one a token."""
    found: dict[str, None] = {}
    for text in texts:
        for m in _TOKEN_IN_TEXT.finditer(text):
            found.setdefault(m.group(0), None)
    return tuple(found)


def _open_regular(path: Path) -> bytes:
    """The bytes of ``path`` when it is a regular file no other user can read; ConfigError otherwise.
    ``O_NONBLOCK``: opening a FIFO must not wait for a writer."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(
                "the workspace secret is not a regular file",
                where=str(path),
                hint=f"move it away (mv {path} {path}.bad) and restore the secret from a backup; without one, "
                "the next send makes a new one (unsubscribe links already sent then stop working)",
            )
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise ConfigError(
                f"the workspace secret can be read by other users (mode {stat.S_IMODE(info.st_mode):04o})",
                where=str(path),
                hint=f"run chmod 600 {path} (it signs unsubscribe tokens and VERP addresses)",
            )
        chunks = []
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
            if sum(map(len, chunks)) > 4096:
                break
        return b"".join(chunks)
    finally:
        os.close(fd)


def _checked(path: Path, data: bytes) -> bytes:
    if len(data) < 16:
        raise ConfigError(
            "the workspace secret is too short",
            where=str(path),
            hint="restore it from a backup, or delete it to make a new one (unsubscribe links already sent stop working)",
        )
    return data


def load_secret(state_dir: Path) -> bytes | None:
    """The workspace secret, or None when there is none yet (nothing was signed with it). For readers that
    only check signatures (``pressctl bounces``): they must never make a new one."""
    path = state_dir / SECRET_NAME
    try:
        return _checked(path, _open_regular(path))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: OSError) -> ConfigError:
    return ConfigError(
        f"the workspace secret cannot be read ({exc.strerror or errno.errorcode.get(exc.errno or 0, exc)})",
        where=str(path),
        hint="restore its permissions (it signs unsubscribe tokens; a new one would void the links already sent)",
    )


def load_or_create_secret(state_dir: Path) -> bytes:
    """The workspace secret from ``state_dir/secret``, made (0600) on first use.

    A secret that exists but cannot be read, is not a regular 0600 file, or is too short, is a configuration
    error: a new one would silently invalidate every token already sent out.
    """
    path = state_dir / SECRET_NAME
    found = load_secret(state_dir)
    if found is not None:
        return found
    state_dir.mkdir(parents=True, exist_ok=True)
    data = secrets.token_bytes(_SECRET_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:  # another process made it first: use theirs (a link to nothing stays an error)
        theirs = load_secret(state_dir)
        if theirs is None:
            raise ConfigError(
                "the workspace secret is a link to a file that is not there",
                where=str(path),
                hint=f"restore the file it points to, or remove the link (rm {path}) to make a new secret",
            ) from None
        return theirs
    except OSError as exc:
        raise _unreadable(path, exc) from None
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return data


def secret_from_env(name: str, environ: Mapping[str, str]) -> bytes:
    """The workspace secret from the variable ``[ledger] secret_env`` names (base64 of 16 bytes or more: what
    ``base64 -w0 .pressctl/secret`` prints on the machine that made it). Never made up: a missing or short one
    is a configuration error, since a new secret would void every link already sent."""
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(
            f"[ledger] secret_env names {name}, which is not set",
            where="pressctl.toml",
            hint=f"set {name} to the office's workspace secret, base64 (docs/team.md says how to share it)",
        )
    try:
        data = base64.b64decode(value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4), validate=True)
    except ValueError:
        data = b""
    if len(data) < 16:
        raise ConfigError(
            f"{name} does not hold a workspace secret (base64 of 16 bytes or more)",
            where="pressctl.toml",
            hint="set it to what `base64 -w0 .pressctl/secret` prints on the machine whose secret the office uses",
        )
    return data


def workspace_secret(workspace: Workspace, *, environ: Mapping[str, str] | None = None) -> bytes:
    """The workspace secret: from ``[ledger] secret_env``'s variable when the configuration names one, else the
    file ``.pressctl/secret`` (made on first use)."""
    if workspace.secret_env:
        return secret_from_env(workspace.secret_env, os.environ if environ is None else environ)
    return load_or_create_secret(workspace.state_dir)


def existing_secret(workspace: Workspace, *, environ: Mapping[str, str] | None = None) -> bytes | None:
    """As :func:`workspace_secret`, for readers that only check signatures (``pressctl bounces``): never makes
    one, None when there is none yet."""
    if workspace.secret_env:
        return secret_from_env(workspace.secret_env, os.environ if environ is None else environ)
    return load_secret(workspace.state_dir)
