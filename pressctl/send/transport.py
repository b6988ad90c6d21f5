"""Where messages go: an SMTP server (aiosmtplib, STARTTLS or TLS, certificates verified) or the local outbox.

Both give the same interface: ``await transport.open()`` returns a connection whose
``await conn.send(message)`` returns an :class:`Outcome` (never raises for a per-message problem) and
``await conn.close()``. ``open()`` raises :class:`TransportError` when the server cannot be used at all.

The password comes from ``PRESSCTL_SMTP_PASSWORD`` or a prompt and is kept out of every repr, message and
error: an error names host, port and user only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal, Protocol

from pressctl.config.smtp import PASSWORD_ENV, SmtpSettings, parse_smtp_url
from pressctl.errors import TransportError
from pressctl.model import OutgoingMessage
from pressctl.relays.replies import (
    CHARGED,
    RELAY_SIDE,
    Meaning,
    Stage,
    Verdict,
    classify_lost,
    classify_reply,
)
from pressctl.send.wire import WireData, _DotStuffing, normalize_line_endings, prepare_data

__all__ = [
    "PASSWORD_ENV",
    "Connection",
    "OutboxTransport",
    "Outcome",
    "RelayBusy",
    "RelayPool",
    "SmtpSettings",
    "SmtpTransport",
    "Transport",
    "WireData",
    "classify",
    "envelope_sender",
    "helo_name",
    "install_fast_data_path",
    "normalize_line_endings",
    "parse_size",
    "parse_smtp_url",
    "prepare_data",
]

OutcomeKind = Literal["sent", "transient", "permanent", "unknown", "auth", "policy"]

# The coarse kind of each meaning (``pressctl.relays.replies`` decides the meaning; nothing here re-derives it).
_KIND: dict[Meaning, OutcomeKind] = {
    Meaning.SENT: "sent",
    Meaning.RETRY_RECIPIENT: "transient",
    Meaning.SLOW_DOWN: "transient",
    Meaning.STOP_FOR_NOW: "transient",
    Meaning.AUTH: "auth",
    Meaning.POLICY: "policy",
    Meaning.RECIPIENT_FAILED: "permanent",
    Meaning.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class Outcome:
    """What became of one hand-over: the reply read by :mod:`pressctl.relays.replies`.

    ``meaning`` is the decision (sent, retry this recipient, slow down, stop for now, auth, policy,
    permanent, unknown); ``reason`` the short line the report shows; ``kind`` its coarse class.
    ``reconnect``: this connection is no longer usable.
    """

    meaning: Meaning
    code: int | None
    reply: str
    reason: str = ""
    reconnect: bool = False
    stage: str = ""  # "mail", "rcpt" or "data": where the reply came
    rule: str = ""  # the rule of pressctl.relays.replies.RULES that decided

    def __post_init__(self) -> None:
        object.__setattr__(self, "meaning", Meaning(self.meaning))  # "sent" and Meaning.SENT alike

    @property
    def kind(self) -> OutcomeKind:
        return _KIND[self.meaning]

    @property
    def charged(self) -> bool:
        """Whether this hand-over counts against the recipient's attempts (a throttle or quota does not)."""
        return self.meaning in CHARGED

    @property
    def retryable(self) -> bool:
        """Whether a recipient left failed with this outcome is tried again by a later run (recorded in
        the ledger when it happens): everything but a permanent refusal of the recipient."""
        return self.meaning is not Meaning.RECIPIENT_FAILED

    @property
    def relay_side(self) -> bool:
        """A permanent refusal naming no mailbox (``pressctl.relays.replies.RELAY_SIDE``): maybe the relay's fault."""
        return self.meaning is Meaning.RECIPIENT_FAILED and self.rule in RELAY_SIDE

    @property
    def bounce(self) -> bool:
        """A permanent "this address does not exist" about the *recipient*: it belongs on the suppression list.

        RFC 3463 5.1.1/.2/.3/.6/.10 (and 5.1.0) after RCPT or DATA; never a refusal of MAIL FROM (5.1.7/5.1.8
        there mean our sender address is wrong, which is no reason to suppress anybody).
        """
        if self.kind != "permanent" or self.stage == "mail":
            return False
        detail = self.reply.lstrip().split(" ", 1)[0]
        return detail in ("5.1.0", "5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10")

    def describe(self) -> str:
        return f"{self.code} {self.reply}".strip() if self.code else self.reply

    def explain(self) -> str:
        """``reason (code reply)``: the report's line for this recipient."""
        reply = self.describe()
        if not self.reason:
            return reply
        return f"{self.reason} ({reply})" if reply and reply != self.reason else self.reason


def _outcome(verdict: Verdict, reply: str | None = None, *, reconnect: bool = False, stage: str = "") -> Outcome:
    return Outcome(
        verdict.meaning,
        verdict.code,
        verdict.text if reply is None else reply,
        verdict.reason,
        reconnect or verdict.reconnect,
        stage or verdict.stage,
        verdict.rule,
    )


def classify(
    code: int, reply: str, *, reconnect: bool = False, stage: Stage = "", profile: str | None = None
) -> Outcome:
    """Turn an SMTP reply into an outcome: :func:`pressctl.relays.replies.classify_reply` decides."""
    verdict = classify_reply(code, reply, stage=stage, profile=profile)
    return _outcome(verdict, reconnect=reconnect)


def failed_here(reply: str) -> Outcome:
    """A permanent failure for this recipient found before any reply (no SMTPUTF8, a refused address)."""
    return Outcome(Meaning.RECIPIENT_FAILED, None, reply, "refused before sending")


class Connection(Protocol):
    @property
    def usable(self) -> bool: ...

    async def send(self, message: OutgoingMessage) -> Outcome: ...

    async def close(self) -> None: ...


class Transport(Protocol):
    """Opens connections. ``description`` is what the summary shows (never a password)."""

    description: str
    is_local: bool

    async def open(self) -> Connection: ...


def envelope_sender(from_addr: str) -> str:
    """The bare address of a From header value, for MAIL FROM."""
    return parseaddr(from_addr)[1] or from_addr


# -- SMTP ------------------------------------------------------------------------------------------------
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
            lost = classify_lost(stage, _why(exc))
            return _outcome(lost, f"connection lost before the message was sent ({_why(exc)})")
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
            lost = classify_lost("data", _why(exc))
            return _outcome(lost, f"connection lost while sending the message; the server may have it ({_why(exc)})")
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


def parse_size(value: str | None) -> int | None:
    """``SIZE 35882577`` -> 35882577; None for no SIZE, ``SIZE`` alone or ``SIZE 0`` (no fixed limit)."""
    try:
        size = int((value or "").strip() or 0)
    except ValueError:
        return None
    return size if size > 0 else None


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


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
                f"cannot connect to {where} ({_why(exc)})",
                hint="check the host and port, that the server is running, and any firewall",
            ) from None
        except (TimeoutError, OSError) as exc:
            raise TransportError(
                f"cannot connect to {where} ({_why(exc)})",
                hint="check the host and port, that the server is running, and any firewall",
            ) from None
        if self.auth == "xoauth2" and self.authenticate is not None:
            try:
                await self.authenticate(client)
            except TransportError as exc:
                client.close()
                verdict = getattr(exc, "verdict", None)  # an OAuthError carries the relay's reply read by meaning
                if verdict is not None and verdict.meaning is Meaning.SLOW_DOWN:
                    raise RelayBusy(exc.what, _outcome(verdict), hint=exc.hint) from None
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


class RelayPool:
    """Several SMTP relays for one run (``--smtp`` repeated, or ``[[smtp.relays]]``): the engine gives each
    its own connections, pace and limits (see :mod:`pressctl.send.engine`). As a plain :class:`Transport`
    (``--test-to``) it opens a connection to the first relay that takes one."""

    is_local = False

    def __init__(self, relays: tuple[SmtpTransport, ...]) -> None:
        if len(relays) < 2:
            raise ValueError("a relay pool needs at least two relays")
        self.relays = relays
        self.description = f"{len(relays)} relays: " + "; ".join(r.description for r in relays)

    @property
    def takes_wire_data(self) -> bool:
        return all(r.takes_wire_data for r in self.relays)

    def prepare(self, message: OutgoingMessage) -> OutgoingMessage:
        return self.relays[0].prepare(message)

    async def open(self) -> Connection:
        error: TransportError | None = None
        for relay in self.relays:
            try:
                return await relay.open()
            except TransportError as exc:
                error = error or exc
        assert error is not None
        raise error


def helo_name() -> str:
    """This machine's fully-qualified host name for EHLO (``socket.getfqdn()``), or its plain host name when
    that is all there is. ``[smtp] helo`` overrides it."""
    name = socket.getfqdn().strip().rstrip(".")
    if not name or name in ("localhost", "localhost.localdomain"):
        name = socket.gethostname().strip() or "localhost"
    return name


# -- local outbox ----------------------------------------------------------------------------------------
class _OutboxConnection:
    usable = True

    def __init__(self, root: Path) -> None:
        self._root = root
        self._host = socket.gethostname().replace("/", "_").replace(":", "_")
        self._count = 0

    async def send(self, message: OutgoingMessage) -> Outcome:
        # Maildir delivery: write under tmp/, flush to disk, then rename into new/ (atomic), so a reader
        # never sees half a message and a crash leaves at most a stray file in tmp/.
        self._count += 1
        now = time.time()
        name = f"{int(now)}.M{int(now * 1e6) % 1_000_000}P{os.getpid()}Q{self._count}.{self._host}"
        tmp = self._root / "tmp" / name
        try:
            with open(tmp, "wb") as fh:
                fh.write(message.data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self._root / "new" / name)
        except OSError as exc:
            lost = classify_lost("", _why(exc))
            return _outcome(lost, f"could not write to the outbox ({_why(exc)})", reconnect=False)
        return Outcome(Meaning.SENT, 250, f"saved as outbox/new/{name}", "saved")

    async def close(self) -> None:
        return None


class OutboxTransport:
    """A Maildir (``tmp/``, ``new/``, ``cur/``) in the workspace: nothing leaves this machine."""

    is_local = True

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.description = f"local outbox {self.root} (no SMTP server configured; nothing leaves this machine)"

    async def open(self) -> Connection:
        try:
            for sub in ("tmp", "new", "cur"):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TransportError(
                f"cannot create the outbox ({_why(exc)})", where=str(self.root), hint="check permissions"
            ) from None
        return _OutboxConnection(self.root)
