"""aiosmtpd servers on 127.0.0.1 that answer like the relays press offices use (issue 11), for tests.

Usage::

    with ProviderServer(microsoft365(daily_quota=5, tokens={"tok-1"})) as relay:
        ... connect to relay.host, relay.port; log in with XOAUTH2 as relay.behaviour.user ...
        relay.accepted          # messages taken: Received(rcpt, data, connection)
        relay.refused           # every refusal sent: (stage, reply)
        relay.logins            # XOAUTH2/PLAIN attempts: (mechanism, user, ok)

Scripted behaviours (:class:`Behaviour`; build them with the provider functions below and override any field):

- :func:`microsoft365`: 3 concurrent connections (the 4th gets ``432 4.3.2 Concurrent connections limit
  exceeded...`` instead of a banner, then is closed); a daily quota answered after DATA with
  ``554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException...``; XOAUTH2 login; basic
  authentication (PLAIN/LOGIN) refused with ``550 5.7.30 Basic authentication is not supported...``.
- :func:`gmail` / :func:`google_relay`: ``454 4.7.0 Too many login attempts`` after ``max_logins`` logins;
  ``421 4.7.0 Try again later, closing connection.`` at EHLO for the connections listed in ``try_later``;
  daily limit ``550 5.4.5 Daily user sending limit exceeded`` (relay: ``Daily SMTP relay limit exceeded for
  user``) at RCPT. An XOAUTH2 refusal first sends Google's base64 JSON challenge (``334 eyJ...``).
- :func:`ses`: ``454 Throttling failure: Maximum sending rate exceeded.`` beyond ``rate`` messages per second
  and ``454 Throttling failure: Daily message quota exceeded.`` beyond the daily quota, after DATA.

XOAUTH2: the server advertises ``AUTH XOAUTH2 PLAIN LOGIN`` (no TLS needed on loopback:
``auth_require_tls=False``) and accepts a token while it is in ``behaviour.tokens`` (a set the test may
change: remove a token to "expire" it mid-run).
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from smtp_server import LoopThreadServer

__all__ = ["Behaviour", "ProviderServer", "Received", "gmail", "google_relay", "microsoft365", "ses"]

M365_CONCURRENT = (
    "432 4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more "
    "information. [Hostname=HK2PR02MB1234]"
)
M365_QUOTA = (
    "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due "
    "to a permanent exception with message [BeginDiagnosticData]Cannot submit message.[EndDiagnosticData]"
)
M365_BASIC_OFF = "550 5.7.30 Basic authentication is not supported for Client Submission."
M365_BAD_TOKEN = "535 5.7.3 Authentication unsuccessful [HK2PR02CA0001.apcprd02.prod.outlook.com]"
GOOGLE_LOGINS = "454 4.7.0 Too many login attempts, please try again later. For more information, go to - gsmtp"
GOOGLE_TRY_LATER = "421 4.7.0 Try again later, closing connection. (EHLO) - gsmtp"
GOOGLE_DAILY = "550 5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to - gsmtp"
GOOGLE_RELAY_DAILY = "550 5.4.5 Daily SMTP relay limit exceeded for user. For more information on SMTP relay sending limits please contact your administrator - gsmtp"
GOOGLE_BAD_TOKEN = "535 5.7.8 Username and Password not accepted. For more information, go to - gsmtp"
GOOGLE_CHALLENGE = json.dumps({"status": "401", "schemes": "Bearer", "scope": "https://mail.google.com/"})
SES_RATE = "454 Throttling failure: Maximum sending rate exceeded."
SES_DAILY = "454 Throttling failure: Daily message quota exceeded."


@dataclass
class Behaviour:
    """How the server answers. ``None`` disables a limit."""

    name: str
    hostname: str = "relay.test"
    max_connections: int | None = None
    too_many_connections: str = M365_CONCURRENT
    try_later: frozenset[int] = frozenset()  # connection numbers (1, 2, ...) that get 421 at EHLO
    daily_quota: int | None = None  # messages accepted before the quota reply
    daily_quota_reply: str = M365_QUOTA
    daily_quota_stage: str = "data"  # "rcpt" or "data"
    rate: int | None = None  # messages per second (sliding second), then rate_reply after DATA
    rate_reply: str = SES_RATE
    max_logins: int | None = None
    too_many_logins: str = GOOGLE_LOGINS
    user: str = "press@hvsp.example"
    tokens: set[str] = field(default_factory=set)  # XOAUTH2 access tokens accepted now
    bad_token_reply: str = M365_BAD_TOKEN
    bad_token_challenge: bool = False  # Google: a 334 base64 JSON challenge before the refusal
    password: str | None = None  # PLAIN/LOGIN accepted with this password; None: basic auth refused
    basic_auth_off_reply: str = M365_BASIC_OFF
    auth_required: bool = True


def microsoft365(**overrides: Any) -> Behaviour:
    return Behaviour(**{"name": "microsoft365", "hostname": "smtp.office365.test", "max_connections": 3,
                        **overrides})


def gmail(**overrides: Any) -> Behaviour:
    return Behaviour(**{
        "name": "gmail", "hostname": "smtp.gmail.test", "daily_quota_reply": GOOGLE_DAILY,
        "daily_quota_stage": "rcpt", "max_logins": 10, "bad_token_reply": GOOGLE_BAD_TOKEN,
        "bad_token_challenge": True, **overrides,
    })


def google_relay(**overrides: Any) -> Behaviour:
    return gmail(**{"name": "google-relay", "hostname": "smtp-relay.gmail.test",
                    "daily_quota_reply": GOOGLE_RELAY_DAILY, **overrides})


def ses(**overrides: Any) -> Behaviour:
    return Behaviour(**{
        "name": "ses", "hostname": "email-smtp.ap-east-1.amazonaws.test", "rate": 1, "daily_quota": 200,
        "daily_quota_reply": SES_DAILY, "daily_quota_stage": "data", **overrides,
    })


@dataclass(frozen=True)
class Received:
    rcpt: str
    data: bytes
    connection: int
    time: float  # time.monotonic()


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: int = 0
    active: int = 0
    max_active: int = 0
    logins: list[tuple[str, str, bool]] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    recent: deque[float] = field(default_factory=deque)


def _xoauth2_fields(blob: bytes) -> tuple[str, str]:
    parts = dict(p.split("=", 1) for p in blob.decode("utf-8", "replace").split("\x01") if "=" in p)
    return parts.get("user", ""), parts.get("auth", "").removeprefix("Bearer ")


class _Handler:
    def __init__(self, owner: ProviderServer) -> None:
        self.owner = owner

    @property
    def b(self) -> Behaviour:
        return self.owner.behaviour

    # -- AUTH mechanisms (aiosmtpd calls auth_<MECHANISM>(server, args) on the handler) ------------------
    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        if (refusal := self.owner._login_refusal()) is not None:
            return AuthResult(success=False, handled=False, message=refusal)
        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("")
            blob = answer if isinstance(answer, bytes) else b""
        user, token = _xoauth2_fields(blob)
        ok = user == self.b.user and token in self.b.tokens
        self.owner._record_login("XOAUTH2", user, ok)
        if ok:
            return AuthResult(success=True, auth_data=user)
        if self.b.bad_token_challenge:
            await server.challenge_auth(GOOGLE_CHALLENGE)  # the client answers with an empty line
        return AuthResult(success=False, handled=False, message=self.b.bad_token_reply)

    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:
        if (refusal := self.owner._login_refusal()) is not None:
            return AuthResult(success=False, handled=False, message=refusal)
        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            answer = await server.challenge_auth("")
            blob = answer if isinstance(answer, bytes) else b""
        _authz, user, password = [*blob.split(b"\x00"), b"", b""][:3]
        ok = self.b.password is not None and (user.decode(), password.decode()) == (self.b.user, self.b.password)
        self.owner._record_login("PLAIN", user.decode(), ok)
        if ok:
            return AuthResult(success=True, auth_data=user.decode())
        message = self.b.basic_auth_off_reply if self.b.password is None else "535 5.7.8 Authentication failed"
        return AuthResult(success=False, handled=False, message=message)

    # -- envelope and data --------------------------------------------------------------------------------
    async def handle_EHLO(
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        number = int(getattr(session, "pctl_conn", 0))
        if number in self.b.try_later:
            self.owner._refuse("ehlo", GOOGLE_TRY_LATER)
            asyncio.get_running_loop().call_soon(_close, server)
            return [GOOGLE_TRY_LATER]
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.b.daily_quota_stage == "rcpt" and self.owner._quota_reached():
            return self.owner._refuse("rcpt", self.b.daily_quota_reply)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Recipient OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        owner, now = self.owner, time.monotonic()
        if self.b.daily_quota_stage == "data" and owner._quota_reached():
            return owner._refuse("data", self.b.daily_quota_reply)
        with owner._state.lock:
            recent = owner._state.recent
            while recent and recent[0] <= now - 1.0:
                recent.popleft()
            too_fast = self.b.rate is not None and len(recent) >= self.b.rate
            if not too_fast:
                recent.append(now)
                owner._state.accepted.append(
                    Received(envelope.rcpt_tos[0], bytes(envelope.original_content or b""),
                             int(getattr(session, "pctl_conn", 0)), now)
                )
                count = len(owner._state.accepted)
        if too_fast:
            return owner._refuse("data", self.b.rate_reply)
        return f"250 2.0.0 OK <queued-{count}@{self.b.hostname}>"


def _close(server: SMTP) -> None:
    if server.transport is not None:
        server.transport.close()


class _SMTP(SMTP):  # type: ignore[misc]
    """Counts connections; over ``max_connections`` answers the provider's refusal instead of a banner."""

    def __init__(self, owner: ProviderServer, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._owner = owner
        self._counted = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        state = self._owner._state
        with state.lock:
            state.connections += 1
            state.active += 1
            state.max_active = max(state.max_active, state.active)
            self._counted = True
            self.pctl_over = (
                self._owner.behaviour.max_connections is not None
                and state.active > self._owner.behaviour.max_connections
            )
            if self.session is not None:
                self.session.pctl_conn = state.connections  # type: ignore[attr-defined]

    def connection_lost(self, error: Exception | None) -> None:
        if self._counted:
            with self._owner._state.lock:
                self._owner._state.active -= 1
            self._counted = False
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        if self.pctl_over:
            await self.push(self._owner._refuse("connect", self._owner.behaviour.too_many_connections))
            _close(self)
            return
        await super()._handle_client()


class ProviderServer(LoopThreadServer):
    """An aiosmtpd server answering like ``behaviour``, in its own thread on 127.0.0.1 (a free port)."""

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__()
        self.behaviour = behaviour
        self._thread_name = f"provider-{behaviour.name}"
        self._state = _State()

    # -- results --------------------------------------------------------------------------------------
    @property
    def accepted(self) -> list[Received]:
        with self._state.lock:
            return list(self._state.accepted)

    @property
    def refused(self) -> list[tuple[str, str]]:
        with self._state.lock:
            return list(self._state.refused)

    @property
    def logins(self) -> list[tuple[str, str, bool]]:
        with self._state.lock:
            return list(self._state.logins)

    @property
    def connections(self) -> int:
        with self._state.lock:
            return self._state.connections

    @property
    def max_active(self) -> int:
        """The most connections that were open at once (refused ones included, for their moment)."""
        with self._state.lock:
            return self._state.max_active

    def url(self, user: str | None = None) -> str:
        who = f"{user}@" if user else ""
        return f"smtp://{who}{self.host}:{self.port}?tls=none"

    # -- inside ---------------------------------------------------------------------------------------
    def _refuse(self, stage: str, reply: str) -> str:
        with self._state.lock:
            self._state.refused.append((stage, reply))
        return reply

    def _record_login(self, mechanism: str, user: str, ok: bool) -> None:
        with self._state.lock:
            self._state.logins.append((mechanism, user, ok))

    def _login_refusal(self) -> str | None:
        limit = self.behaviour.max_logins
        with self._state.lock:
            over = limit is not None and len(self._state.logins) >= limit
        return self._refuse("auth", self.behaviour.too_many_logins) if over else None

    def _quota_reached(self) -> bool:
        quota = self.behaviour.daily_quota
        with self._state.lock:
            return quota is not None and len(self._state.accepted) >= quota

    def _factory(self) -> SMTP:
        with warnings.catch_warnings():  # AUTH without TLS is what a loopback test wants
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
            return self._make()

    def _make(self) -> SMTP:
        return _SMTP(
            self,
            _Handler(self),
            hostname=self.behaviour.hostname,
            decode_data=False,
            data_size_limit=None,
            auth_required=self.behaviour.auth_required,
            auth_require_tls=False,  # loopback only
            auth_exclude_mechanism=["LOGIN"],
            authenticator=None,
        )
