"""A real aiosmtpd server on 127.0.0.1 for tests, with faults scripted per recipient and attempt.

Usage::

    with SmtpTestServer() as server:                      # runs in its own thread, free port
        server.script("slow@news.example", "450", "250")  # 1st attempt: 450 at RCPT, 2nd: accepted
        ... send to server.host, server.port ...
        assert [m.rcpt for m in server.messages] == [...]

Actions (one per attempt; after the list the ``default`` action applies, normally ``"250"``):

- ``"250"``: accept the message.
- ``"450"``, ``"451"``, ``"452"``, ``"550"``, ``"554"`` or any full reply like ``"550 5.1.1 no such user"``:
  that reply to RCPT TO (the message never arrives).
- ``"data:451"`` / ``"data:554 5.7.1 ..."``: accept RCPT, give that reply after the message data.
- ``"421"``: reply ``421`` to RCPT TO, then close the connection.
- ``"drop-after-data"``: receive the whole message, then close the connection without a reply (the
  message counts as received: the outcome is unknown to the sender).
- ``"drop-at-rcpt"``: close the connection when RCPT TO arrives.
- ``"slow:SECONDS"``: wait that long before accepting the data (for timeouts).

``pipelining=True`` offers PIPELINING (RFC 2920). ``mail_reply="553 ..."`` refuses every MAIL FROM. ``server.events`` records every MAIL/RCPT/DATA with its time (``time.monotonic()``), so rate limits can
be checked from the server's side. ``auth=("user", "password")`` requires AUTH (wrong password: 535);
``tls_context=`` offers STARTTLS (``require_starttls`` refuses mail without it).
"""

from __future__ import annotations

import asyncio
import re
import ssl
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any, Self

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

__all__ = ["Event", "Received", "SmtpTestServer", "loopback_tls", "make_message", "starttls_server"]

_DEFAULT_TEXT = {
    "250": "250 2.0.0 Ok: queued as TEST",
    "421": "421 4.3.2 Service shutting down",
    "450": "450 4.2.1 Mailbox busy, try later",
    "451": "451 4.3.0 Local error, try later",
    "452": "452 4.5.3 Too many recipients",
    "530": "530 5.7.0 Authentication required",
    "535": "535 5.7.8 Authentication credentials invalid",
    "550": "550 5.1.1 No such user here",
    "552": "552 5.2.2 Mailbox full",
    "554": "554 5.7.1 Relay access denied",
}


def _reply(code: str) -> str:
    code = code.strip()
    if re.fullmatch(r"\d{3}", code):
        return _DEFAULT_TEXT.get(code, f"{code} Scripted reply")
    return code


def _close(server: SMTP) -> None:
    if server.transport is not None:
        server.transport.close()


@dataclass(frozen=True)
class Received:
    """A message the server took in (accepted, or dropped after its data)."""

    mail_from: str
    rcpt: str
    data: bytes
    time: float  # time.monotonic() at the end of DATA
    connection: int  # which connection it came over (1, 2, ...)
    accepted: bool = True  # False for drop-after-data (the client never heard back)

    @property
    def message_id(self) -> str:
        return str(BytesHeaderParser().parsebytes(self.data).get("Message-ID", ""))

    @property
    def headers(self) -> Any:
        return BytesHeaderParser().parsebytes(self.data)


@dataclass(frozen=True)
class Event:
    kind: str  # "connect", "mail", "rcpt", "data"
    time: float
    rcpt: str = ""
    connection: int = 0
    reply: str = ""


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    attempts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    scripts: dict[str, list[str]] = field(default_factory=dict)
    messages: list[Received] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    connections: int = 0


class _Handler:
    def __init__(self, server: SmtpTestServer) -> None:
        self.server = server

    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.server._state.lock:
            self.server.helo_names.append(hostname)
        session.host_name = hostname
        if self.server.pipelining:  # aiosmtpd reads commands in order from its buffer: it can take a batch
            responses.insert(1, "250-PIPELINING")
        return responses

    def _action(self, session: Session) -> str:
        return str(getattr(session, "pctl_action", "250"))

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        self.server._event("mail", session)
        if self.server.mail_reply:
            return self.server.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        state = self.server._state
        key = address.lower()
        with state.lock:
            state.attempts[key] += 1
            n = state.attempts[key]
            script = state.scripts.get(key, [])
            action = script[n - 1] if n <= len(script) else self.server.default
        session.pctl_action = action  # type: ignore[attr-defined]
        self.server._event("rcpt", session, rcpt=address, reply=action)
        if action == "drop-at-rcpt":
            _close(server)
            return "421 4.3.2 closing"
        if action.startswith("421"):
            asyncio.get_running_loop().call_soon(_close, server)
            return _reply(action)
        if action[:1] in ("4", "5"):
            return _reply(action)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        action = self._action(session)
        if action.startswith("slow:"):
            await asyncio.sleep(float(action.split(":", 1)[1]))
            action = "250"
        state = self.server._state
        data = bytes(envelope.original_content or b"")
        if self.server.on_data is not None:
            self.server.on_data(envelope.rcpt_tos[0], data)
        accepted = not action.startswith("data:")
        dropped = action == "drop-after-data"
        with state.lock:
            if accepted or dropped:
                state.messages.append(
                    Received(
                        mail_from=str(envelope.mail_from),
                        rcpt=envelope.rcpt_tos[0],
                        data=data,
                        time=time.monotonic(),
                        connection=int(getattr(session, "pctl_conn", 0)),
                        accepted=not dropped,
                    )
                )
        self.server._event("data", session, rcpt=envelope.rcpt_tos[0], reply=action)
        if dropped:
            _close(server)
            return "250 never heard"
        if not accepted:
            return _reply(action.split(":", 1)[1])
        return f"250 2.0.0 Ok: queued as Q{len(state.messages):04d}"


class _SMTP(SMTP):  # type: ignore[misc]
    """Numbers connections so tests can see reuse."""

    def __init__(self, owner: SmtpTestServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owner = owner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if self.session is not None and not getattr(self.session, "pctl_conn", 0):
            with self._owner._state.lock:
                self._owner._state.connections += 1
                self.session.pctl_conn = self._owner._state.connections  # type: ignore[attr-defined]
            self._owner._event("connect", self.session)


class LoopThreadServer:
    """A server on 127.0.0.1 (a free port) running its own event loop in a background thread: start/stop and
    the context manager. Subclasses give ``_factory`` (the protocol), and ``_ssl`` for implicit TLS."""

    host = "127.0.0.1"
    _thread_name = "test-server"

    def __init__(self) -> None:
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _factory(self) -> asyncio.Protocol:
        raise NotImplementedError

    def _ssl(self) -> ssl.SSLContext | None:
        return None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(loop.create_server(self._factory, self.host, 0, ssl=self._ssl()))
            self.port = server.sockets[0].getsockname()[1]
        except BaseException as exc:  # surface start-up failures in the test thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        server.close()
        # Sessions still open (a client that never sent QUIT) are cancelled, so the loop closes quietly.
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class SmtpTestServer(LoopThreadServer):
    """An SMTP server on 127.0.0.1 in a background thread. Use as a context manager."""

    _thread_name = "smtp-test-server"

    def __init__(
        self,
        *,
        default: str = "250",
        auth: tuple[str, str] | None = None,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
        implicit_tls: ssl.SSLContext | None = None,
        smtputf8: bool = True,
        mail_reply: str | None = None,
        size_limit: int | None = None,
        pipelining: bool = False,
    ) -> None:
        super().__init__()
        self.pipelining = pipelining  # offer PIPELINING (RFC 2920) in the EHLO reply
        self.default = default
        self.size_limit = size_limit  # announced as SIZE in the EHLO reply (and enforced by aiosmtpd)
        self.helo_names: list[str] = []  # the EHLO/HELO name of every connection, in order
        self.mail_reply = mail_reply  # e.g. "553 5.1.8 sender domain unknown": refuse every MAIL FROM
        self._auth = auth
        self._tls_context = tls_context
        self._require_starttls = require_starttls
        self._implicit_tls = implicit_tls
        self._smtputf8 = smtputf8
        self._state = _State()
        # Called (in the server's thread) with the recipient and the data as each message's data arrives,
        # before the reply: what the sender's ledger shows at that moment is what a crash would leave.
        self.on_data: Callable[[str, bytes], None] | None = None

    # -- scripting and results -------------------------------------------------------------------------
    def script(self, rcpt: str, *actions: str) -> None:
        """What to do on each attempt to deliver to ``rcpt`` (1st, 2nd, ...)."""
        with self._state.lock:
            self._state.scripts[rcpt.lower()] = list(actions)

    @property
    def messages(self) -> list[Received]:
        with self._state.lock:
            return list(self._state.messages)

    @property
    def accepted(self) -> list[Received]:
        return [m for m in self.messages if m.accepted]

    @property
    def events(self) -> list[Event]:
        with self._state.lock:
            return list(self._state.events)

    @property
    def connections(self) -> int:
        with self._state.lock:
            return self._state.connections

    def attempts(self, rcpt: str) -> int:
        with self._state.lock:
            return self._state.attempts.get(rcpt.lower(), 0)

    def url(self, *, scheme: str = "smtp", user: str | None = None, query: str = "") -> str:
        who = f"{user}@" if user else ""
        return f"{scheme}://{who}{self.host}:{self.port}" + (f"?{query}" if query else "")

    def _event(self, kind: str, session: Session, *, rcpt: str = "", reply: str = "") -> None:
        with self._state.lock:
            self._state.events.append(
                Event(kind, time.monotonic(), rcpt, int(getattr(session, "pctl_conn", 0)), reply)
            )

    # -- lifecycle -------------------------------------------------------------------------------------
    def _authenticator(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self._auth is not None
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == self._auth
        return AuthResult(success=ok, handled=False)

    def _factory(self) -> SMTP:
        kwargs: dict[str, Any] = {
            "enable_SMTPUTF8": self._smtputf8,
            "decode_data": False,
            "hostname": "mx.test",
            "data_size_limit": self.size_limit,
        }
        if self._tls_context is not None:
            kwargs["tls_context"] = self._tls_context
            kwargs["require_starttls"] = self._require_starttls
        if self._auth is not None:
            kwargs["authenticator"] = self._authenticator
            kwargs["auth_required"] = True
            kwargs["auth_require_tls"] = self._tls_context is not None or self._implicit_tls is not None
        return _SMTP(self, _Handler(self), **kwargs)

    def _ssl(self) -> ssl.SSLContext | None:
        return self._implicit_tls


def make_message(rcpt: str, *, campaign: str = "t1", subject: str = "Harbourview Science Park news") -> Any:
    """A small ready-for-the-wire message (``pressctl.model.OutgoingMessage``) for engine tests."""
    from pressctl.model import OutgoingMessage

    msgid = f"<{campaign}.{rcpt.replace('@', '.')}@hvsp.example>"
    data = (
        "From: HVSP Press Office <press@hvsp.example>\r\n"
        f"To: <{rcpt}>\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: {msgid}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "The robotics wing opens on Monday.\r\n"
        ".a line that starts with a dot\r\n"
    ).encode()
    return OutgoingMessage(recipient=rcpt, message_id=msgid, language="en", data=data)


def loopback_tls(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a certificate for 127.0.0.1 from a throwaway CA, and that CA's PEM file
    (for ``?cafile=``): real certificate checks against the test servers."""
    import trustme

    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    cafile = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(cafile))
    return ctx, cafile


def starttls_server(tmp_path: Path, **kwargs: Any) -> tuple[SmtpTestServer, Path]:
    """A test server that offers STARTTLS and refuses mail without it, and the CA file that trusts it."""
    ctx, cafile = loopback_tls(tmp_path)
    return SmtpTestServer(tls_context=ctx, require_starttls=True, **kwargs), cafile
