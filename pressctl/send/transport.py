"""Where messages go, as the send engine sees it: a :class:`Transport` opens :class:`Connection` s, and each
hand-over's reply becomes an :class:`Outcome`.

``await transport.open()`` returns a connection whose ``await conn.send(message)`` returns an
:class:`Outcome` (never raises for a per-message problem) and ``await conn.close()``. ``open()`` raises
:class:`TransportError` when the server cannot be used at all. The transports: SMTP (:mod:`pressctl.send.smtp`),
several relays (:mod:`pressctl.send.relaypool`) and the local Maildir outbox (:mod:`pressctl.send.outbox`).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Literal, Protocol

from pressctl.model import OutgoingMessage
from pressctl.relays.replies import (
    CHARGED,
    RELAY_SIDE,
    Meaning,
    Stage,
    Verdict,
    classify_reply,
)

__all__ = [
    "Connection",
    "Outcome",
    "Transport",
    "classify",
    "envelope_sender",
    "error_text",
    "failed_here",
    "outcome_of",
    "parse_size",
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


def outcome_of(verdict: Verdict, reply: str | None = None, *, reconnect: bool = False, stage: str = "") -> Outcome:
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
    return outcome_of(verdict, reconnect=reconnect)


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



def parse_size(value: str | None) -> int | None:
    """``SIZE 35882577`` -> 35882577; None for no SIZE, ``SIZE`` alone or ``SIZE 0`` (no fixed limit)."""
    try:
        size = int((value or "").strip() or 0)
    except ValueError:
        return None
    return size if size > 0 else None


def error_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
