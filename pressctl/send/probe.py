"""Look at a relay without sending: what its EHLO offers, its certificate, whether the login works, and
whether a release's messages fit its SIZE (``pressctl smtp check``, and ``send``'s check up front).

Connects exactly as a send does (:meth:`SmtpTransport.connect`, the one connect path: same TLS, EHLO name,
timeout, login), never issues MAIL FROM, and reads every refusal as a send would
(:func:`pressctl.relays.connect.refusal`: a ``421 4.7.0`` or ``432 4.3.2`` is *slow down* here as there).
Secrets stay out of everything it returns: the login result is the relay's reply, never the password or
token.
"""

from __future__ import annotations

import datetime as dt
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pressctl.errors import InputError, TransportError
from pressctl.relays.actions import Outcome
from pressctl.relays.connect import Refused, RelayBusy
from pressctl.send.smtp import SmtpTransport
from pressctl.send.transport import parse_size

if TYPE_CHECKING:
    from pressctl.send.plan import SendPlan

__all__ = ["Certificate", "RelayReport", "check_size", "largest_message", "probe", "relay_size"]


@dataclass(frozen=True)
class Certificate:
    """The relay's TLS certificate, as verified (subject and issuer common names, expiry)."""

    subject: str
    issuer: str
    not_after: dt.datetime | None
    tls_version: str

    def days_left(self, now: dt.datetime) -> int | None:
        return None if self.not_after is None else (self.not_after - now).days


@dataclass
class RelayReport:
    """What ``pressctl smtp check`` prints."""

    description: str
    helo: str
    greeting: str = ""
    extensions: dict[str, str] = field(default_factory=dict)
    auth_methods: list[str] = field(default_factory=list)
    tls: str = "none"  # "STARTTLS", "TLS (smtps)" or "none"
    starttls_offered: bool = False
    certificate: Certificate | None = None
    login: str = ""  # what the login check found (never a secret)
    login_ok: bool | None = None  # None: not tried
    refusal: Outcome | None = None  # the login's refusal, read as a send reads it

    @property
    def size(self) -> int | None:
        return parse_size(self.extensions.get("size"))

    def has(self, extension: str) -> bool:
        return extension.lower() in self.extensions


def _name(parts: Any, key: str) -> str:
    for rdn in parts or ():
        for k, v in rdn:
            if k == key:
                return str(v)
    return ""


def _certificate(client: Any) -> Certificate | None:
    transport = getattr(client, "transport", None)
    obj = transport.get_extra_info("ssl_object") if transport is not None else None
    if not isinstance(obj, ssl.SSLObject | ssl.SSLSocket):
        return None
    peer = obj.getpeercert() or {}
    not_after = None
    if peer.get("notAfter"):
        not_after = dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(str(peer["notAfter"])), dt.UTC)
    alt: Any = peer.get("subjectAltName", ())
    names = [str(pair[1]) for pair in alt if pair[0] in ("DNS", "IP Address")]
    subject = _name(peer.get("subject"), "commonName") or ", ".join(names[:3]) or "(no name)"
    issuer = _name(peer.get("issuer"), "organizationName") or _name(peer.get("issuer"), "commonName") or "?"
    return Certificate(subject=subject, issuer=issuer, not_after=not_after, tls_version=obj.version() or "")


async def _quit(client: Any) -> None:
    import asyncio

    import aiosmtplib

    try:
        await asyncio.wait_for(client.quit(), timeout=5)
    except (TimeoutError, OSError, aiosmtplib.SMTPException):
        client.close()


async def probe(transport: SmtpTransport, *, login: bool = True) -> RelayReport:
    """Connect as a send would, read the EHLO reply and the certificate, then (``login``) try the login on a
    second connection exactly as a send logs in. Raises TransportError when the relay cannot be reached
    (:class:`Refused`, with the refusal read as ``send`` reads it)."""
    s = transport.settings
    report = RelayReport(description=transport.description, helo=transport.local_hostname)
    client = await transport.connect(login=False)
    try:
        report.extensions = {k.lower(): str(v) for k, v in (client.esmtp_extensions or {}).items()}
        report.auth_methods = [m.upper() for m in client.server_auth_methods]
        report.starttls_offered = "starttls" in report.extensions
        report.certificate = _certificate(client)
        if report.certificate is not None:
            report.tls = "TLS (smtps)" if s.tls == "implicit" else "STARTTLS"
            report.starttls_offered = report.starttls_offered or s.tls != "implicit"
    finally:
        await _quit(client)
    if not login:
        return report
    if not s.username:
        report.login = "not tried: the SMTP URL names no user (the relay must take mail without a login)"
        return report
    if transport.auth == "password" and s.password is None:
        report.login = "not tried: no password (set PRESSCTL_SMTP_PASSWORD)"
        return report
    try:
        conn = await transport.open()
    except RelayBusy as exc:  # e.g. Google's 454 4.7.0 Too many login attempts: not a wrong login
        report.login, report.login_ok, report.refusal = f"not checked now: {exc.what}", False, exc.outcome
        return report
    except Refused as exc:
        report.login, report.login_ok, report.refusal = f"refused: {exc.what}", False, exc.outcome
        return report
    except TransportError as exc:  # no token from the token command, and the like
        report.login, report.login_ok = f"refused: {exc.what}", False
        return report
    await conn.close()
    how = "OAuth2 (XOAUTH2)" if transport.auth == "xoauth2" else "password"
    report.login, report.login_ok = f"works ({how}, as {s.username})", True
    return report


async def relay_size(transport: SmtpTransport) -> int | None:
    """The relay's SIZE from its EHLO reply (no login, nothing sent)."""
    return (await probe(transport, login=False)).size


def largest_message(plan: SendPlan) -> tuple[int, str]:
    """The size in bytes of the largest message the plan sends, and its language: one message per language,
    built for the first contact of that language (or a stand-in when the plan has no contacts). Names and
    merge fields change a message by a few hundred bytes; attachments and images make its size."""
    from pressctl.model import Contact

    factory = plan.factory("size-" + plan.fingerprint)
    biggest, language = 0, plan.languages[0]
    for lang in plan.languages:
        contact = next(
            (c for c in plan.contacts.selected if (c.language or plan.languages[0]) == lang),
            Contact(email="size.check@hvsp.example", name="Size Check", language=lang),
        )
        size = len(bytes(factory.build(contact).data))
        if size > biggest:
            biggest, language = size, lang
    return biggest, language


def check_size(largest: int, language: str, size: int | None, where: str) -> None:
    """Refuse (InputError, exit 2) a message larger than the relay's SIZE."""
    if size is not None and largest > size:
        raise InputError(
            f"the {language} message is {_kb(largest)}, larger than the {_kb(size)} {where} accepts (its SIZE); "
            "nothing was sent",
            hint='make the attachments or photos smaller, link the PDF instead ([sender] pdf = "link"), or use a '
            "relay that takes larger messages (`pressctl smtp check RELEASE` compares them)",
        )


def _kb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{size / 1000:.1f} KB"
