"""IMAP URLs and logins for ``pressctl bounces``: ``imaps://user@host[:port]/FOLDER`` and ``imap://``, parsed
with the rules SMTP URLs follow (:mod:`pressctl.config`), the user name and folders checked, and the secret
(a password or an XOAUTH2 token) added from the environment or a prompt. Pure but for reading the
environment; the connection is :mod:`pressctl.bounces.imap`.

A URL never holds a password (refused, and the error does not repeat the URL). A user name with a line
break or another control character is refused: imaplib sends it as it is, so a CR/LF would reach the server
as IMAP commands. Passwords and tokens never appear in a repr.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal
from urllib.parse import unquote

from pressctl.config.urls import (
    TLS_WORDS,
    Tls,
    plain_scheme_tls,
    split_mail_url,
    url_query,
    url_timeout_and_cafile,
)
from pressctl.controls import has_unsafe
from pressctl.errors import InputError

__all__ = [
    "OAUTH_TOKEN_ENV",
    "PASSWORD_ENV",
    "ImapSettings",
    "check_folder_name",
    "check_user_name",
    "imap_credentials",
    "parse_imap_url",
    "xoauth2_string",
]

PASSWORD_ENV = "PRESSCTL_IMAP_PASSWORD"
OAUTH_TOKEN_ENV = "PRESSCTL_IMAP_OAUTH_TOKEN"


Auth = Literal["password", "xoauth2"]


@dataclass(frozen=True)
class ImapSettings:
    """A parsed ``imap://`` / ``imaps://`` URL. ``password`` and ``oauth_token`` never show in repr."""

    host: str
    port: int
    tls: Tls
    username: str
    folder: str = "INBOX"
    auth: Auth = "password"
    cafile: str | None = None
    timeout: float = 60.0
    password: str | None = field(default=None, repr=False)
    oauth_token: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        scheme = "imaps" if self.tls == "implicit" else "imap"
        extra = ", XOAUTH2" if self.auth == "xoauth2" else ""
        return f"{scheme}://{self.username}@{self.host}:{self.port}/{self.folder} ({TLS_WORDS[self.tls]}{extra})"


def parse_imap_url(url: str, *, option: str = "--imap") -> ImapSettings:
    """``imaps://user@host[:port][/FOLDER][?cafile=PATH&timeout=S&auth=xoauth2]`` or ``imap://...[?tls=...]``.

    Errors never repeat the URL: it might hold a password someone pasted into it.
    """
    example = "e.g. imaps://press@mail.hvsp.example/INBOX"
    parts, port = split_mail_url(
        url,
        option=option,
        kind="IMAP",
        schemes=("imap", "imaps"),
        shown="imaps:// or imap://",
        example=example,
        password_env=PASSWORD_ENV,
        default_port=993,
    )
    host = parts.hostname
    if not host:
        raise InputError(f"{option}: the URL has no host", hint=example)
    if not parts.username:
        raise InputError(f"{option}: the URL has no user name", hint=example)
    query = url_query(parts, option=option, known=("tls", "cafile", "timeout", "auth"))
    tls: Tls
    if parts.scheme == "imaps":
        if query.get("tls", "").lower() not in ("", "implicit"):
            raise InputError(f"{option}: imaps:// is always TLS", hint="for STARTTLS or none use imap://")
        tls = "implicit"
    else:
        tls = plain_scheme_tls(query.get("tls", ""), host, option=option)
    auth_text = query.get("auth", "password").lower()
    if auth_text not in ("password", "xoauth2"):
        raise InputError(f"{option}: auth={auth_text} is not known", hint="use auth=password or auth=xoauth2")
    auth: Auth = "xoauth2" if auth_text == "xoauth2" else "password"
    timeout, cafile = url_timeout_and_cafile(query, option=option)
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    check_folder_name(folder, option=option)
    return ImapSettings(
        host=host,
        port=port or (993 if tls == "implicit" else 143),
        tls=tls,
        username=check_user_name(unquote(parts.username), option=option),
        folder=folder,
        auth=auth,
        cafile=cafile,
        timeout=timeout,
    )


def check_user_name(user: str, *, option: str = "--imap") -> str:
    """An IMAP user name pressctl can send: no line break or other control character (imaplib would pass
    it as it is, and a CR/LF in it would reach the server as IMAP commands). Returns it; InputError otherwise."""
    if has_unsafe(user) or any(ord(c) < 32 or ord(c) == 127 for c in user):
        raise InputError(
            f"{option}: the IMAP user name contains a line break or control character",
            hint="write the user name as the mail server knows it, e.g. press@hvsp.example (%40 for @ in a URL)",
        )
    return user


def check_folder_name(folder: str, *, option: str = "--imap") -> str:
    """A folder name pressctl can send as it is: ASCII (IMAP's modified UTF-7 is not done yet), no quotes,
    wildcards or line breaks. Returns it; raises :class:`InputError` otherwise."""
    if not folder.isascii():
        raise InputError(
            f"{option}: folder names with non-ASCII characters are not supported yet",
            hint="use an ASCII folder name, e.g. Processed or Press/Bounces",
        )
    if not folder or any(c in folder for c in '\r\n"*%\\') or len(folder) > 200:
        raise InputError(
            f"{option}: {folder[:40]!r} is not a folder name pressctl can use",
            hint="use letters, digits, spaces, dots, dashes and slashes",
        )
    return folder


def imap_credentials(
    settings: ImapSettings,
    *,
    environ: dict[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
) -> ImapSettings:
    """The settings with their secret: ``PRESSCTL_IMAP_OAUTH_TOKEN`` (XOAUTH2), ``PRESSCTL_IMAP_PASSWORD``
    or ``prompt("Password for USER at HOST: ")``. Raises :class:`InputError` when there is none to be had."""
    env = os.environ if environ is None else environ
    token = env.get(OAUTH_TOKEN_ENV) or None
    if settings.auth == "xoauth2" or token:
        if not token:
            raise InputError(
                f"--imap: XOAUTH2 needs an access token in {OAUTH_TOKEN_ENV}",
                hint="set it (e.g. from your identity provider's token command), or use auth=password",
            )
        return replace(settings, auth="xoauth2", oauth_token=token)
    password = env.get(PASSWORD_ENV) or None
    if password is None and prompt is not None:
        password = prompt(f"Password for {settings.username} at {settings.host}: ") or None
    if password is None:
        raise InputError(
            f"--imap: no password for {settings.username} at {settings.host}",
            hint=f"set {PASSWORD_ENV} in the environment, or run it in a terminal to be asked",
        )
    return replace(settings, password=password)


def xoauth2_string(user: str, token: str) -> bytes:
    """The SASL XOAUTH2 initial response (before base64, which imaplib adds)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()
