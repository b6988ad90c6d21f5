"""Where messages go, as the send engine sees it: a :class:`Transport` opens :class:`Connection` s.

``await transport.open()`` returns a connection whose ``await conn.send(message)`` reports what the relay
said as a :class:`~pressctl.relays.replies.Reply` (never raises for a per-message problem, and decides
nothing: the engine asks :func:`pressctl.relays.actions.judge`), and ``await conn.close()``. ``open()``
raises :class:`TransportError` when the server cannot be used (``pressctl.relays.connect.Refused`` with the
relay's refusal read). The transports: SMTP (:mod:`pressctl.send.smtp`), several relays
(:mod:`pressctl.send.relaypool`) and the local Maildir outbox (:mod:`pressctl.send.outbox`).
"""

from __future__ import annotations

from email.utils import parseaddr
from typing import Protocol

from pressctl.errors import PressctlError
from pressctl.model import OutgoingMessage
from pressctl.relays.replies import Reply

__all__ = ["Connection", "Transport", "envelope_sender", "error_text", "parse_size"]


class Connection(Protocol):
    """One connection, reused for many messages. ``profile``: the relay profile its replies are read with
    (None: the generic rules only)."""

    @property
    def usable(self) -> bool: ...

    @property
    def profile(self) -> str | None: ...

    async def send(self, message: OutgoingMessage) -> Reply: ...

    async def close(self) -> None: ...


class Transport(Protocol):
    """Opens connections. ``description`` is what the summary shows (never a password)."""

    description: str
    is_local: bool

    async def open(self) -> Connection: ...


def envelope_sender(from_addr: str) -> str:
    """The bare address of a From header value, for MAIL FROM: as ``config.check_sender`` reads it (the one
    address rule: an IDN domain in A-labels, as in the From header)."""
    from pressctl.config.sender import sender_address
    try:
        return sender_address(from_addr, key="from", where=None)[1]
    except PressctlError:  # checked when the send was planned; never a reason to fail here
        return parseaddr(from_addr)[1] or from_addr


def parse_size(value: str | None) -> int | None:
    """``SIZE 35882577`` -> 35882577; None for no SIZE, ``SIZE`` alone or ``SIZE 0`` (no fixed limit)."""
    try:
        size = int((value or "").strip() or 0)
    except ValueError:
        return None
    return size if size > 0 else None


def error_text(exc: BaseException) -> str:
    """``TypeName: message`` (or the type's name alone) for a line that says what went wrong."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
