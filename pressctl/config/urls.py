"""The rules SMTP and IMAP URLs share (``[smtp] url``, ``--smtp``, ``[bounces] imap``, ``--imap``): how one
splits, its query, its TLS mode, its timeout and CA file, and which hosts are this machine.

``pressctl.config.smtp.parse_smtp_url`` and ``pressctl.bounces.imapurl.parse_imap_url`` are built on them.
Errors never repeat a URL: it might hold a password someone pasted into it. Pure (``cafile`` is checked to
exist).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import SplitResult, parse_qs, urlsplit

from pressctl.errors import InputError

__all__ = [
    "TLS_WORDS",
    "Tls",
    "is_loopback",
    "plain_scheme_tls",
    "split_mail_url",
    "url_query",
    "url_timeout_and_cafile",
]

Tls = Literal["starttls", "implicit", "none", "opportunistic"]
# How a mail URL's TLS mode is shown (``SmtpSettings.describe``, ``ImapSettings.describe``).
TLS_WORDS: dict[str, str] = {
    "starttls": "STARTTLS required",
    "implicit": "TLS",
    "none": "no encryption",
    "opportunistic": "STARTTLS if offered (loopback)",
}


def split_mail_url(
    url: str,
    *,
    option: str,
    kind: str,
    schemes: tuple[str, ...],
    shown: str,
    example: str,
    password_env: str,
    default_port: int,
) -> tuple[SplitResult, int | None]:
    """The parts and port of an SMTP or IMAP URL. A URL that does not split, a scheme not in ``schemes``
    (named as ``shown`` in the error), a password in it or port 0 is an InputError: the rules both kinds
    share (``parse_smtp_url``, ``bounces.imapurl.parse_imap_url``). Errors never repeat the URL: it might
    hold a password someone pasted into it."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise InputError(f"{option}: not a valid {kind} URL", hint=example) from None
    if parts.scheme not in schemes:
        raise InputError(f"{option}: the URL must start with {shown}", hint=example)
    if parts.password is not None:
        raise InputError(
            f"{option}: the URL must not contain a password",
            hint=f"remove it and set {password_env} in the environment, or let pressctl ask for it",
        )
    if port == 0:
        raise InputError(
            f"{option}: port 0 is not a port", hint=f"leave it out for the default, or give e.g. :{default_port}"
        )
    return parts, port


def url_query(parts: SplitResult, *, option: str, known: tuple[str, ...]) -> dict[str, str]:
    """A mail URL's query (the last value of each key); an unknown key is an InputError."""
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - set(known)
    if unknown:
        raise InputError(f"{option}: unknown URL option {sorted(unknown)[0]!r}", hint="known: " + ", ".join(known))
    return query


def plain_scheme_tls(wanted: str, host: str, *, option: str) -> Tls:
    """The TLS mode of ``smtp://``/``imap://`` from its ``tls=`` value: ``none``, ``starttls``, or (unset)
    STARTTLS required, except on loopback where it is used if offered."""
    wanted = wanted.lower()
    if wanted not in ("", "none", "starttls"):
        raise InputError(f"{option}: tls={wanted} is not known", hint="use tls=starttls or tls=none")
    if wanted:
        return "none" if wanted == "none" else "starttls"
    # Plaintext is only acceptable without asking when the mail never leaves this machine.
    return "opportunistic" if is_loopback(host) else "starttls"


def url_timeout_and_cafile(query: dict[str, str], *, option: str) -> tuple[float, str | None]:
    """``timeout=S`` (a positive number of seconds, default 60) and ``cafile=PATH`` (an existing file)."""
    try:
        timeout = float(query.get("timeout", "60"))
    except ValueError:
        raise InputError(f"{option}: timeout must be a number of seconds") from None
    if not timeout > 0:
        raise InputError(f"{option}: timeout must be a positive number of seconds")
    cafile = query.get("cafile")
    if cafile is not None and not Path(cafile).is_file():
        raise InputError(f"{option}: cafile {cafile!r} does not exist", hint="give the path to a PEM file")
    return timeout, cafile


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine (plaintext SMTP/IMAP is allowed only there)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
