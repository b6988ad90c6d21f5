"""SMTP through aiosmtplib: STARTTLS or TLS with certificates verified, a password from the environment or
an OAuth2 login, one connection reused for many messages.

It talks SMTP and reports what the relay said (:class:`~pressctl.relays.replies.Reply`), nothing more: what
a reply means and what the run does about it are :mod:`pressctl.relays`' (``replies``, ``actions``,
``connect``). :meth:`SmtpTransport.connect` is the one connect path of ``send`` and ``pressctl smtp check``.
A relay that offers PIPELINING gets each message's envelope in one write (:mod:`pressctl.send.pipelining`,
reported alike); any other, the four round trips here.

The password comes from ``PRESSCTL_SMTP_PASSWORD`` or a prompt and is kept out of every repr, message and
error: an error names host, port and user only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import re
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pressctl.config.smtp import PASSWORD_ENV, SmtpSettings
from pressctl.errors import TransportError
from pressctl.model import OutgoingMessage
from pressctl.relays.connect import Problem, busy_or, refusal
from pressctl.relays.replies import Reply, Stage
from pressctl.send.transport import Connection, envelope_sender, error_text, parse_size
from pressctl.send.wire import WireData, _DotStuffing, normalize_line_endings, prepare_data

__all__ = ["SmtpTransport", "helo_name", "install_fast_data_path", "install_pipelining"]


class _SmtpConnection:
    def __init__(self, client: Any, sender: str, profile: str | None) -> None:
        self._client = client
        self._sender = sender
        self.profile = profile  # the relay profile: its replies are read with its provider texts

    @property
    def usable(self) -> bool:
        return bool(self._client.is_connected)

    @property
    def max_size(self) -> int | None:
        """The relay's SIZE (RFC 1870) from its EHLO reply: the largest message it takes; None if not said
        (or ``SIZE 0``, no fixed limit)."""
        return parse_size(self._client.esmtp_extensions.get("size"))

    async def send(self, message: OutgoingMessage) -> Reply:
        """Hand one message over: MAIL FROM, RCPT TO, DATA (in one write when the relay offers PIPELINING).
        Reports the first refusal (or the final reply, or what became of the connection) as it is:
        :func:`pressctl.relays.actions.judge` reads it."""
        import aiosmtplib

        client = self._client
        options: list[str] = []
        encoding = "ascii"
        if message.smtputf8:
            if not client.supports_extension("smtputf8"):
                return Reply(None, "the server does not accept international (SMTPUTF8) addresses", here=True)
            options, encoding = ["SMTPUTF8"], "utf-8"
        # Envelope first; a refusal here means the message was never handed over. With [sender] return_path
        # (VERP) the message carries its signed envelope sender (pressctl.verp), which names the recipient,
        # so a bounce says whose message it was.
        sender = message.return_path or self._sender
        protocol = _pipelining(client, sender, message.recipient)
        if protocol is not None:  # the relay offers PIPELINING: two round trips
            from pressctl.send.pipelining import envelope

            refused = await envelope(client, protocol, sender, message.recipient, options, encoding)
            if refused is not None:
                return refused
            return await _data_reply(client, protocol.execute_body(message.data, timeout=client.timeout))
        stage: Stage = "mail"
        try:
            await _mail(client, sender, options, encoding)
            stage = "rcpt"
            await _rcpt(client, message.recipient, encoding)
        except aiosmtplib.SMTPResponseException as exc:
            if client.is_connected:  # (aiosmtplib closes the connection itself after a 421)
                try:
                    await client.rset()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
            return Reply(exc.code, exc.message, stage, closed=not client.is_connected, sender=sender)
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            client.close()
            why = error_text(exc)
            return Reply(None, f"connection lost before the message was sent ({why})", stage, error=why, closed=True)
        except ValueError as exc:  # aiosmtplib refuses control characters in an address: this recipient only
            return Reply(None, f"address refused before sending ({exc})", stage, here=True)
        return await _data_reply(client, client.data(message.data))

    async def close(self) -> None:
        import aiosmtplib

        if not self._client.is_connected:
            return
        try:
            # A bad reply to QUIT changes nothing about what was delivered (mailmerge's bug was to care).
            await asyncio.wait_for(self._client.quit(), timeout=5)
        except (TimeoutError, aiosmtplib.SMTPException, OSError):
            self._client.close()


async def _data_reply(client: Any, sending: Awaitable[Any]) -> Reply:
    """What became of the message data (``client.data``, or after a pipelined 354 the data alone)."""
    import aiosmtplib

    try:
        response = await sending
    except aiosmtplib.SMTPResponseException as exc:
        return Reply(exc.code, exc.message, "data", closed=not client.is_connected)
    except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
        # We cannot tell whether the final "." arrived: the server may have the message.
        client.close()
        why = error_text(exc)
        return Reply(
            None, f"connection lost while sending the message; the server may have it ({why})", "data",
            error=why, closed=True,
        )
    return Reply(response.code, response.message, "data")


# An address checked by pressctl.addresses (a dot-atom @ a domain; the sender's and VERP's alike) goes
# into MAIL FROM and RCPT TO as it is. aiosmtplib's mail()/rcpt() would run email.utils.parseaddr on it
# again (~0.1 ms per address, a fifth of a hand-over's CPU); anything that is not such a plain path
# (a hand-made message in a test, say) still goes through them and their checks.
_PLAIN_PATH = re.compile(r"[^\x00-\x20\x7f<>()\[\]\\,;:\"@]+@[A-Za-z0-9.-]+")


async def _mail(client: Any, sender: str, options: list[str], encoding: str) -> None:
    if not _PLAIN_PATH.fullmatch(sender) or client.is_ehlo_or_helo_needed:
        await client.mail(sender, options=options, encoding=encoding)
        return
    import aiosmtplib

    reply = await client.execute_command(
        b"MAIL", b"FROM:<" + sender.encode(encoding) + b">", *(o.encode("ascii") for o in options)
    )
    if reply.code != aiosmtplib.SMTPStatus.completed:  # as aiosmtplib's mail() raises it
        raise aiosmtplib.SMTPSenderRefused(reply.code, reply.message, sender)


async def _rcpt(client: Any, recipient: str, encoding: str) -> None:
    if not _PLAIN_PATH.fullmatch(recipient) or client.is_ehlo_or_helo_needed:
        await client.rcpt(recipient, encoding=encoding)
        return
    import aiosmtplib

    reply = await client.execute_command(b"RCPT", b"TO:<" + recipient.encode(encoding) + b">")
    if reply.code not in (aiosmtplib.SMTPStatus.completed, aiosmtplib.SMTPStatus.will_forward):  # as rcpt() does
        raise aiosmtplib.SMTPRecipientRefused(reply.code, reply.message, recipient)


def _pipelining(client: Any, sender: str, recipient: str) -> Any:
    """The connection's reply-queue protocol when this message may go pipelined: the relay's EHLO offers
    PIPELINING and both paths are plain (anything else goes through aiosmtplib's mail()/rcpt() checks)."""
    if not _PIPELINING or client.is_ehlo_or_helo_needed or not client.supports_extension("pipelining"):
        return None
    if not (_PLAIN_PATH.fullmatch(sender) and _PLAIN_PATH.fullmatch(recipient)):
        return None
    from pressctl.send.pipelining import installed

    return installed(client)


def install_pipelining() -> bool:
    """Connect with :class:`pressctl.send.pipelining.PipeliningProtocol` (a reply queue under aiosmtplib's
    client), so a relay that offers PIPELINING gets MAIL, RCPT and DATA in one write. False, and the
    four-round-trip hand-over, when the installed aiosmtplib is not the one it fits."""
    from pressctl.send.pipelining import install

    global _PIPELINING
    _PIPELINING = install()
    return _PIPELINING


_PIPELINING = False


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
        install_pipelining()
        self.settings = settings
        self.profile = profile  # the relay profile's name: replies are read with its provider rules
        self.sender = envelope_sender(sender)
        self.auth = auth
        # With auth="xoauth2": logs a connected client in (pressctl.relays.oauth.login_xoauth2 bound to the
        # relay's user and its one token source, shared by every connection; see send.transports.make_transport).
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
        # One per CA file in the process, made at the first open: loading the CA store costs ~10-20 ms, and
        # each of the K connections, every renewal and the SIZE probe's own transport paid it. An SSLContext
        # is meant to be shared by connections (nothing here changes it after it is made).
        if self._context is None:
            self._context = _default_context(self.settings.cafile, _store_stamp(self.settings.cafile))
        return self._context

    @property
    def account(self) -> str:
        """The relay account (scheme, host, port, user) a rolling daily cap counts under; never a secret.
        The same text as :func:`pressctl.relays.profiles.relay_account` of the URL."""
        s = self.settings
        scheme = "smtps" if s.tls == "implicit" else "smtp"
        user = f"{s.username.lower()}@" if s.username else ""
        return f"{scheme}://{user}{s.host.lower()}:{s.port}"

    def client(self) -> Any:
        """An unconnected ``aiosmtplib.SMTP`` set up as a send connects (TLS, EHLO name, timeout); the login
        is :meth:`connect`'s own step."""
        import aiosmtplib

        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            local_hostname=self.local_hostname,
            timeout=s.timeout,
            use_tls=s.tls == "implicit",
            # Explicit: aiosmtplib's default (None) quietly stays in plaintext without STARTTLS.
            start_tls={"starttls": True, "implicit": False, "none": False, "opportunistic": None}[s.tls],
            tls_context=self._tls_context() if s.tls != "none" else None,
        )

    async def open(self) -> Connection:
        """A connection for sending: :meth:`connect` with the login."""
        return _SmtpConnection(await self.connect(), self.sender, self.profile)

    async def connect(self, *, login: bool = True) -> Any:
        """The one way pressctl connects (``send`` and ``pressctl smtp check`` alike): TCP (TLS at once for
        smtps), the greeting, EHLO, STARTTLS and EHLO again, then with ``login`` the password or OAuth2
        login. Returns the connected ``aiosmtplib.SMTP``. A refusal at any step is reported with its stage
        and raised as :func:`pressctl.relays.connect.refusal` reads it (:class:`RelayBusy` for *slow down*)."""
        import aiosmtplib

        s = self.settings
        where = f"{s.host}:{s.port}"
        if login:
            self._check_credentials()
        client = self.client()
        stage: Stage = "connect"

        def refused(reply: Reply, problem: Problem = "unreachable") -> TransportError:
            client.close()
            return refusal(reply, where=where, user=s.username, profile=self.profile, problem=problem)

        try:
            await client.connect()  # the greeting, and EHLO + STARTTLS when TLS is to be started
            stage = "ehlo"
            if client.is_ehlo_or_helo_needed:  # after STARTTLS aiosmtplib leaves the second EHLO for later
                await client.ehlo()
            if login and s.username:
                stage = "auth"
                if self.auth == "xoauth2" and self.authenticate is not None:
                    await self.authenticate(client)
                elif self.auth == "password":
                    await client.login(s.username, s.password or "")
        except aiosmtplib.SMTPResponseException as exc:
            if stage == "connect":  # inside aiosmtplib's connect: the greeting, EHLO or STARTTLS refused
                stage = (
                    "connect" if isinstance(exc, aiosmtplib.SMTPConnectResponseError)
                    else "ehlo" if isinstance(exc, aiosmtplib.SMTPHeloError) else "starttls"
                )
            raise refused(Reply(exc.code, exc.message, stage, closed=True)) from None
        except ssl.SSLCertVerificationError as exc:
            tls_stage: Stage = "connect" if s.tls == "implicit" else "starttls"
            raise refused(_no_reply(tls_stage, str(exc.verify_message)), "certificate") from None
        except TransportError as exc:  # the OAuth2 login (pressctl.relays.oauth): its own line, read alike
            client.close()
            raise busy_or(exc) from None
        except aiosmtplib.SMTPException as exc:
            text = str(exc)
            if "AUTH extension is not supported" in text:
                raise refused(_no_reply("auth", text), "no-auth") from None
            if "starttls" in text.lower():
                raise refused(_no_reply("starttls", text), "no-starttls") from None
            raise refused(_no_reply(stage, error_text(exc))) from None
        except (TimeoutError, OSError) as exc:
            raise refused(_no_reply(stage, error_text(exc))) from None
        except BaseException:
            client.close()
            raise
        if login and s.username and not client.is_connected:
            raise refused(_no_reply("auth", "closed"), "closed")
        return client

    def _check_credentials(self) -> None:
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


@functools.lru_cache(maxsize=8)
def _default_context(cafile: str | None, stamp: tuple[int, ...]) -> ssl.SSLContext:
    """The verifying TLS context for ``cafile`` (None: the system's CA store), made once per process for
    each ``stamp`` of the store (a dispatcher runs for weeks: a renewed CA file is read again)."""
    del stamp  # (part of the cache's key only)
    return ssl.create_default_context(cafile=cafile)


def _store_stamp(cafile: str | None) -> tuple[int, ...]:
    """When the CA store ``cafile`` (or the system's file and folder) last changed, as far as stat says."""
    if cafile:
        paths = [cafile]
    else:
        system = ssl.get_default_verify_paths()
        paths = [p for p in (system.cafile, system.capath) if p]
    stamp: list[int] = []
    for path in paths:
        try:
            stamp.append(os.stat(path).st_mtime_ns)
        except OSError:
            stamp.append(0)
    return tuple(stamp)


def _no_reply(stage: Stage, error: str) -> Reply:
    """No reply to read while connecting: what went wrong instead."""
    return Reply(None, f"could not connect ({error})", stage, error=error, closed=True)


def helo_name() -> str:
    """This machine's fully-qualified host name for EHLO (``socket.getfqdn()``), or its plain host name when
    that is all there is. ``[smtp] helo`` overrides it."""
    name = socket.getfqdn().strip().rstrip(".")
    if not name or name in ("localhost", "localhost.localdomain"):
        name = socket.gethostname().strip() or "localhost"
    return name
