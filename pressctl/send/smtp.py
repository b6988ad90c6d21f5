"""SMTP through aiosmtplib: STARTTLS or TLS with certificates verified, a password from the environment or
an OAuth2 login, one connection reused for many messages.

The password comes from ``PRESSCTL_SMTP_PASSWORD`` or a prompt and is kept out of every repr, message and
error: an error names host, port and user only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pressctl.config import PASSWORD_ENV, SmtpSettings
from pressctl.errors import TransportError
from pressctl.model import OutgoingMessage
from pressctl.relays.replies import Meaning, Stage, classify_lost
from pressctl.send.transport import (
    Connection,
    Outcome,
    classify,
    envelope_sender,
    error_text,
    failed_here,
    outcome_of,
    parse_size,
)
from pressctl.send.wire import WireData, _DotStuffing, normalize_line_endings, prepare_data

__all__ = ["RelayBusy", "SmtpTransport", "helo_name", "install_fast_data_path"]


# -- SMTP ---------------------------------------------------------------------------------------------
class RelayBusy(TransportError):
    """The relay said *slow down* while a connection was being opened (``421 4.7.0`` at the greeting,
    ``432 4.3.2`` after the login, ``454 4.7.0 Too many login attempts``): fewer connections and a pause,
    not a failure of the relay. ``outcome`` is the reply as :mod:`pressctl.relays.replies` read it."""

    def __init__(self, what: str, outcome: Outcome, *, hint: str | None = None) -> None:
        super().__init__(what, hint=hint)
        self.outcome = outcome


class _SmtpConnection:
    def __init__(self, client: Any, sender: str, settings: SmtpSettings, profile: str | None = None) -> None:
        self._client = client
        self._sender = sender
        self._settings = settings
        self._profile = profile  # the relay profile: its provider texts are read with it

    @property
    def usable(self) -> bool:
        return bool(self._client.is_connected)

    @property
    def max_size(self) -> int | None:
        """The relay's SIZE (RFC 1870) from its EHLO reply: the largest message it takes; None if not said
        (or ``SIZE 0``, no fixed limit)."""
        return parse_size(self._client.esmtp_extensions.get("size"))

    async def send(self, message: OutgoingMessage) -> Outcome:
        import aiosmtplib

        client = self._client
        options: list[str] = []
        encoding = "ascii"
        if message.smtputf8:
            if not client.supports_extension("smtputf8"):
                return failed_here("the server does not accept international (SMTPUTF8) addresses")
            options, encoding = ["SMTPUTF8"], "utf-8"
        # Envelope first; a refusal here means the message was never handed over. With [sender] return_path
        # (VERP) the message carries its signed envelope sender (pressctl.verp), which names the recipient,
        # so a bounce says whose message it was.
        sender = message.return_path or self._sender
        stage: Stage = "mail"
        try:
            await client.mail(sender, options=options, encoding=encoding)
            stage = "rcpt"
            await client.rcpt(message.recipient, encoding=encoding)
        except aiosmtplib.SMTPResponseException as exc:
            outcome = classify(
                exc.code, exc.message, reconnect=not client.is_connected, stage=stage, profile=self._profile
            )
            if stage == "mail" and outcome.kind == "policy":
                # The server refuses our sender: no recipient will fare better. Stop, don't burn the list.
                outcome = dataclasses.replace(outcome, reply=f"sender {sender} refused: {outcome.reply}")
            if client.is_connected and exc.code != 421:
                try:
                    await client.rset()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
            return dataclasses.replace(outcome, reconnect=outcome.reconnect or not client.is_connected, stage=stage)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            lost = classify_lost(stage, error_text(exc))
            return outcome_of(lost, f"connection lost before the message was sent ({error_text(exc)})")
        except ValueError as exc:  # aiosmtplib refuses control characters in an address: this recipient only
            return dataclasses.replace(failed_here(f"address refused before sending ({exc})"), stage=stage)
        try:
            response = await client.data(message.data)
        except aiosmtplib.SMTPResponseException as exc:
            return classify(
                exc.code, exc.message, reconnect=not client.is_connected, stage="data", profile=self._profile
            )
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            # We cannot tell whether the final "." arrived: the server may have the message.
            client.close()
            lost = classify_lost("data", error_text(exc))
            return outcome_of(lost, f"connection lost while sending the message; the server may have it ({error_text(exc)})")
        return classify(response.code, response.message, stage="data", profile=self._profile)

    async def close(self) -> None:
        import aiosmtplib

        if not self._client.is_connected:
            return
        try:
            # A bad reply to QUIT changes nothing about what was delivered (mailmerge's bug was to care).
            await asyncio.wait_for(self._client.quit(), timeout=5)
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            self._client.close()


def install_fast_data_path() -> bool:
    """Swap aiosmtplib's DATA preparation (two regex passes over every message) for byte-for-byte equal,
    ~10x faster bytes methods. Only the two module globals its ``execute_data_command`` looks up are
    replaced; if a future aiosmtplib no longer has them, nothing is changed (and False is returned).
    ``tests/test_send_transport.py`` checks the outputs are identical to aiosmtplib's own on arbitrary input.
    """
    from aiosmtplib import protocol

    if not (hasattr(protocol, "normalize_message_line_endings") and hasattr(protocol, "PERIOD_REGEX")):
        return False
    global _FAST_PATH
    protocol.normalize_message_line_endings = normalize_line_endings  # type: ignore[assignment]
    protocol.PERIOD_REGEX = _DotStuffing()  # type: ignore[assignment]
    _FAST_PATH = True
    return True


_FAST_PATH = False


class SmtpTransport:
    """SMTP through aiosmtplib. One ``open()`` = one connection, reused for many messages."""

    is_local = False

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        sender: str,
        local_hostname: str | None = None,
        auth: Literal["password", "xoauth2"] = "password",
        authenticate: Callable[[Any], Awaitable[None]] | None = None,
        tokens: object = None,
        profile: str | None = None,
    ) -> None:
        install_fast_data_path()
        self.settings = settings
        self.profile = profile  # the relay profile's name: replies are read with its provider rules
        self.sender = envelope_sender(sender)
        self.auth = auth
        # With auth="xoauth2": logs a connected client in (pressctl.relays.oauth.login_xoauth2 bound to the
        # relay's user and its one token source, shared by every connection; see send.campaign.make_transport).
        self.authenticate = authenticate
        self.tokens = tokens  # the token source, for its repr only (which never shows a token)
        self.description = settings.describe() + (", OAuth2 (XOAUTH2)" if auth == "xoauth2" else "")
        # EHLO name: this machine's fully-qualified name (RFC 5321 4.1.1.1), or [smtp] helo. (Before issue 11
        # it was the From domain, which claims to be a host of that domain and trips HELO checks.)
        self.local_hostname = local_hostname or helo_name()
        self._context: ssl.SSLContext | None = None

    @property
    def takes_wire_data(self) -> bool:
        """Whether messages may come as :class:`WireData` (then passed on untouched): only with the fast
        DATA path in place, as aiosmtplib's own would double the dots a second time."""
        return _FAST_PATH

    def prepare(self, message: OutgoingMessage) -> OutgoingMessage:
        """The message with its data in wire form, made ahead of the hand-over (see :class:`WireData`).

        Only when the fast DATA path is in place: aiosmtplib's own would dot-stuff it a second time.
        """
        if not _FAST_PATH or type(message.data) is WireData:
            return message
        return dataclasses.replace(message, data=prepare_data(message.data))

    def _tls_context(self) -> ssl.SSLContext:
        # One per transport, made at the first open: loading the CA store costs ~20 ms, and each of the
        # K connections (and every renewal) paid it. An SSLContext is meant to be shared by connections.
        if self._context is None:
            self._context = ssl.create_default_context(cafile=self.settings.cafile)
        return self._context

    @property
    def account(self) -> str:
        """The relay account (scheme, host, port, user) a rolling daily cap counts under; never a secret.
        The same text as :func:`pressctl.relays.profiles.relay_account` of the URL."""
        s = self.settings
        scheme = "smtps" if s.tls == "implicit" else "smtp"
        user = f"{s.username.lower()}@" if s.username else ""
        return f"{scheme}://{user}{s.host.lower()}:{s.port}"

    def client(self, *, login: bool = True) -> Any:
        """An unconnected ``aiosmtplib.SMTP`` set up as a send connects (``login=False``: no password login)."""
        import aiosmtplib

        s = self.settings
        password_login = login and self.auth == "password"
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            username=s.username if password_login else None,
            password=s.password if password_login else None,
            local_hostname=self.local_hostname,
            timeout=s.timeout,
            use_tls=s.tls == "implicit",
            # Explicit: aiosmtplib's default (None) quietly stays in plaintext without STARTTLS.
            start_tls={"starttls": True, "implicit": False, "none": False, "opportunistic": None}[s.tls],
            tls_context=self._tls_context() if s.tls != "none" else None,
        )

    async def open(self) -> Connection:
        import aiosmtplib

        s = self.settings
        if self.auth == "xoauth2" and not s.username:
            raise TransportError(
                f"OAuth2 login to {s.host}:{s.port} needs the mailbox's user name in the SMTP URL",
                hint="e.g. smtp://press@hvsp.example@smtp.office365.com:587 (write the @ in the user as %40)",
            )
        if self.auth == "password" and s.username and s.password is None:
            raise TransportError(
                f"no password for {s.username} at {s.host}:{s.port}",
                hint=f"set {PASSWORD_ENV} in the environment",
            )
        client = self.client()
        where = f"{s.host}:{s.port}"
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            self._raise_if_busy(exc, "auth", where)
            raise TransportError(
                f"{where} refused the login for {s.username} ({exc.code} {' '.join(exc.message.split())})",
                hint=f"check the user name in the SMTP URL and {PASSWORD_ENV}",
            ) from None
        except aiosmtplib.SMTPResponseException as exc:
            self._raise_if_busy(exc, "connect", where)
            raise TransportError(
                f"{where} refused the connection ({exc.code} {' '.join(exc.message.split())})",
                hint="the server may be busy or may not accept mail from this machine; try again later",
            ) from None
        except ssl.SSLCertVerificationError as exc:
            raise TransportError(
                f"{where}: the server's certificate could not be verified ({exc.verify_message})",
                hint="check the host name; for a private CA add ?cafile=/path/to/ca.pem to the URL",
            ) from None
        except aiosmtplib.SMTPException as exc:
            text = str(exc)
            if "AUTH extension is not supported" in text:
                # aiosmtplib adds "Try STARTTLS" on a plain connection; the fact is that there is no AUTH.
                raise TransportError(
                    f"{where} offers no authentication (no AUTH in its EHLO reply), but the SMTP URL names "
                    f"the user {s.username}",
                    hint="remove the user name from the URL if this server takes mail without a login, "
                    "or check the host and port (submission is usually 587 or 465)",
                ) from None
            if "STARTTLS" in text or "starttls" in text.lower():
                raise TransportError(
                    f"{where} does not offer STARTTLS, so the password and mail would travel unencrypted",
                    hint="use smtps:// (port 465) if the server has TLS, or add ?tls=none if you really mean it",
                ) from None
            raise TransportError(
                f"cannot connect to {where} ({error_text(exc)})",
                hint="check the host and port, that the server is running, and any firewall",
            ) from None
        except (TimeoutError, OSError) as exc:
            raise TransportError(
                f"cannot connect to {where} ({error_text(exc)})",
                hint="check the host and port, that the server is running, and any firewall",
            ) from None
        if self.auth == "xoauth2" and self.authenticate is not None:
            try:
                await self.authenticate(client)
            except TransportError as exc:
                client.close()
                verdict = getattr(exc, "verdict", None)  # an OAuthError carries the relay's reply read by meaning
                if verdict is not None and verdict.meaning is Meaning.SLOW_DOWN:
                    raise RelayBusy(exc.what, outcome_of(verdict), hint=exc.hint) from None
                raise
            except BaseException:
                client.close()
                raise
        if s.username and not client.is_connected:
            raise TransportError(f"{where} closed the connection after login")
        return _SmtpConnection(client, self.sender, s, self.profile)

    def _raise_if_busy(self, exc: Any, stage: Stage, where: str) -> None:
        """A refusal while connecting or logging in that means *slow down* (read with this relay's
        profile) becomes :class:`RelayBusy`; any other refusal is left to the caller."""
        outcome = classify(exc.code, exc.message, reconnect=True, stage=stage, profile=self.profile)
        if outcome.meaning is Meaning.SLOW_DOWN:
            raise RelayBusy(
                f"{where} asked to slow down ({outcome.explain()})",
                outcome,
                hint="pressctl opens fewer connections to it and pauses",
            ) from None


def helo_name() -> str:
    """This machine's fully-qualified host name for EHLO (``socket.getfqdn()``), or its plain host name when
    that is all there is. ``[smtp] helo`` overrides it."""
    name = socket.getfqdn().strip().rstrip(".")
    if not name or name in ("localhost", "localhost.localdomain"):
        name = socket.gethostname().strip() or "localhost"
    return name
