"""What came back: one message's bytes -> a :class:`Finding`. Pure functions, no I/O, no guessing.

Order matters. A bounce is recognised first (:mod:`pressctl.bounces.dsn`: RFC 3464 reports and the
non-standard formats), because DSNs carry ``Auto-Submitted`` too. Then *moved* notices (the journalist has
left; every new address given), automatic replies (out-of-office), unsubscribe requests
(:mod:`pressctl.bounces.phrases`: the whole subject or first line, or mail to our List-Unsubscribe mailbox)
and human replies. What a finding may *change* is decided later, by :mod:`pressctl.bounces.match` against
the ledger: this module only reads.

Each message is read on its own, inside its own guard: a message over ``max_bytes``, nested deeper than
``max_depth``, in a charset no decoder reads, or one that makes the parser (or flufl.bounce) raise anything
at all, becomes a finding of kind ``unreadable`` with the reason; the caller lists it and goes on.

The *envelope* of a message is only what the receiving server wrote above it (:func:`envelope_addresses`):
``From:``, ``To:`` and any ``Delivered-To:`` inside the message are the sender's own words.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses
from typing import Literal
from urllib.parse import unquote

from pressctl.addresses import address_key
from pressctl.bounces.dsn import BouncedRecipient, find_bounce
from pressctl.bounces.phrases import asks_unsubscribe, is_automatic, is_moved, new_addresses
from pressctl.bounces.text import (
    UnreadableMessage,
    address,
    clean_id,
    excerpt,
    first_line,
    header,
    ids,
    join_addresses,
    own_text,
    raw_value,
    unique,
)
from pressctl.contacts.unsubscribe import find_tokens
from pressctl.limits import DEFAULT_LIMITS

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "Finding",
    "FindingKind",
    "envelope_addresses",
    "mailto_address",
    "parse_message",
    "unreadable",
]

FindingKind = Literal["bounce", "auto-reply", "moved", "unsubscribe", "replied", "other", "unreadable"]

DEFAULT_MAX_BYTES = DEFAULT_LIMITS.inbound_bytes
DEFAULT_MAX_DEPTH = DEFAULT_LIMITS.inbound_nesting
_SCAN_CHARS = 4000  # how much of a reply's own text the phrase rules look at


@dataclass(frozen=True)
class Finding:
    """What one message says.

    ``message_id`` is the message's own Message-ID (what "already handled" is remembered by);
    ``original_ids`` the Message-IDs it refers to (returned message, quoted headers, In-Reply-To,
    References), in that order; ``to`` the addresses it names as its recipients (To, Cc and the envelope:
    whether it was written to our unsubscribe mailbox, never proof of anything); ``envelope`` the delivery
    addresses the receiving server wrote above the message (the only place a VERP address is read from);
    ``sender`` the From address; ``excerpt`` the first lines of its own text (not the quoted message);
    ``new_addresses`` the addresses a *moved* notice asks us to write to instead; ``tokens`` words of
    unsubscribe-token shape in its subject, first line or recipient addresses (only an HMAC match makes one
    a token); ``report`` whether it is a real ``multipart/report`` DSN; ``reason`` why an ``unreadable``
    message could not be read; ``digest`` the SHA-256 of the raw bytes (32 hex digits).
    """

    kind: FindingKind
    message_id: str = ""
    original_ids: tuple[str, ...] = ()
    recipients: tuple[BouncedRecipient, ...] = ()
    sender: str = ""
    to: tuple[str, ...] = ()
    envelope: tuple[str, ...] = ()
    subject: str = ""
    excerpt: str = ""
    automatic: bool = False
    new_addresses: tuple[str, ...] = ()
    tokens: tuple[str, ...] = ()
    asks_unsubscribe: bool = False
    report: bool = False
    reason: str = ""
    digest: str = ""
    key: str = ""  # set only for a message never read (a FIFO, a link, too big): where it was

    @property
    def handled_key(self) -> str:
        """What "already handled" is remembered by: the Message-ID, else a digest of the bytes."""
        return self.key or self.message_id or f"sha256:{self.digest}"

    @property
    def new_address(self) -> str:
        """Every new address of a moved notice, comma-separated ("" when it gives none): the ledger's
        ``new_address`` (:func:`pressctl.bounces.text.split_addresses` reads it back)."""
        return join_addresses(self.new_addresses)

    @property
    def failed(self) -> tuple[str, ...]:
        """The addresses a bounce reports as failed (hard or soft), not the delayed ones."""
        return tuple(r.address for r in self.recipients if r.severity != "delayed")


# -- entry point ---------------------------------------------------------------------------------------------


def unreadable(reason: str, *, digest: str = "", message_id: str = "", sender: str = "", subject: str = "") -> Finding:
    """The finding for a message that cannot be read: listed with ``reason`` (and the From and Subject it
    claims, when those could be read), changes nothing."""
    return Finding("unreadable", message_id=message_id, reason=reason, digest=digest, sender=sender, subject=subject)


def parse_message(
    raw: bytes,
    *,
    unsubscribe_addresses: Iterable[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Finding:
    """Classify one message. ``unsubscribe_addresses``: our List-Unsubscribe mailto mailbox(es). Never raises:
    anything that goes wrong reading this one message is an ``unreadable`` finding with the reason."""
    digest = hashlib.sha256(raw).hexdigest()[:32]
    if len(raw) > max_bytes:
        return unreadable(f"{len(raw):,} bytes, over the limit (inbound_bytes = {max_bytes} in [limits])", digest=digest)
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    except RecursionError:
        return unreadable(f"nested too deeply to read (limit: inbound_nesting = {max_depth} in [limits])", digest=digest)
    except Exception as exc:  # the parser is meant never to raise; a message that makes it is unreadable
        return unreadable(f"the mail parser failed on it ({type(exc).__name__})", digest=digest)
    seen: dict[str, str] = {"digest": digest}
    try:
        seen.update(message_id=clean_id(header(msg, "Message-ID")), sender=address(header(msg, "From")))
        seen["subject"] = header(msg, "Subject")
        found = _depth(msg)
        if found > max_depth:
            return unreadable(f"parts nested {found} deep (limit: inbound_nesting = {max_depth} in [limits])", **seen)
        return _classify(msg, seen["message_id"], digest, unsubscribe_addresses)
    except UnreadableMessage as exc:
        return unreadable(exc.reason, **seen)
    except RecursionError:
        return unreadable(f"nested too deeply to read (limit: inbound_nesting = {max_depth} in [limits])", **seen)
    except (LookupError, UnicodeError):  # the email package decoding a part in a charset nobody reads
        return unreadable("a part in a charset no decoder reads", **seen)
    except Exception as exc:  # a rule of ours, or flufl.bounce, tripped over it: this message only
        return unreadable(f"pressctl could not read it ({type(exc).__name__})", **seen)


def _depth(msg: Message) -> int:
    """How deep the parts nest (a plain message is 0), without recursion."""
    deepest = 0
    stack = [(msg, 0)]
    while stack:
        part, level = stack.pop()
        deepest = max(deepest, level)
        if part.is_multipart():  # (get_payload() of a leaf decodes it: not needed here)
            stack.extend((p, level + 1) for p in part.get_payload() if isinstance(p, Message))
    return deepest


def _classify(msg: Message, own_id: str, digest: str, unsubscribe_addresses: Iterable[str]) -> Finding:
    subject = header(msg, "Subject")
    sender = address(header(msg, "From"))
    envelope = envelope_addresses(msg)
    to = unique([*envelope, *_header_recipients(msg)])
    refs = unique([*ids(header(msg, "In-Reply-To")), *reversed(ids(header(msg, "References")))])
    automatic = is_automatic(msg)

    bounce = find_bounce(msg, is_automatic=automatic)
    if bounce is not None:
        return Finding(
            "bounce",
            message_id=own_id,
            original_ids=unique([*bounce.returned_ids, *refs]),
            recipients=bounce.recipients,
            sender=sender,
            to=to,
            envelope=envelope,
            subject=subject,
            excerpt=excerpt(own_text(msg)),
            automatic=True,
            report=bounce.report,
            digest=digest,
        )

    text = own_text(msg)
    first = first_line(text)
    mailboxes = _mailboxes(unsubscribe_addresses)
    to_us = [a for a in to if _base(a) in mailboxes]
    base = Finding(
        "other",
        message_id=own_id,
        original_ids=refs,
        sender=sender,
        to=to,
        envelope=envelope,
        subject=subject,
        excerpt=excerpt(text),
        automatic=automatic,
        tokens=find_tokens([subject, first, *(a.rpartition("@")[0].partition("+")[2] for a in to_us)]),
        asks_unsubscribe=asks_unsubscribe(subject, first),
        digest=digest,
    )
    head = text[:_SCAN_CHARS]
    if is_moved(subject, head):
        return dataclasses.replace(base, kind="moved", new_addresses=new_addresses(head, exclude={sender, *to}))
    if automatic:
        return dataclasses.replace(base, kind="auto-reply")
    if base.asks_unsubscribe or to_us:
        return dataclasses.replace(base, kind="unsubscribe")
    if refs:
        return dataclasses.replace(base, kind="replied")
    return base


# -- envelope and recipients ---------------------------------------------------------------------------------

# What a delivery agent writes above a message when it files it (Postfix local/virtual: Return-Path,
# X-Original-To, Delivered-To; Dovecot: Return-Path, Delivered-To; Exim: Return-path, Envelope-to,
# Delivery-date). Anything from the sender comes below the receiving server's own Received line.
_ENVELOPE_HEADERS = frozenset({"return-path", "delivered-to", "x-original-to", "envelope-to", "x-envelope-to"})
_ENVELOPE_BLOCK = _ENVELOPE_HEADERS | {"delivery-date", "x-delivery-date"}


def envelope_addresses(msg: Message) -> tuple[str, ...]:
    """The delivery addresses of the block of delivery headers at the very top of the message, which only
    the receiving server can have written; nothing below the first other header counts."""
    found: list[str] = []
    for name, value in msg.items():
        key = name.strip().lower()
        if key not in _ENVELOPE_BLOCK:
            break
        if key in _ENVELOPE_HEADERS:
            found.extend(a.strip() for _, a in getaddresses([raw_value(value)]) if "@" in a)
    return unique(found)


def _header_recipients(msg: Message) -> list[str]:
    values = [raw_value(v) for name in ("To", "Cc") for v in msg.get_all(name, [])]
    return [a.strip() for _, a in getaddresses(values) if "@" in a]


def _base(addr: str) -> str:
    """An address without its ``+`` sub-address, as its key: ``Unsubscribe+x@A`` -> ``unsubscribe@a``."""
    local, _, domain = addr.rpartition("@")
    return address_key(f"{local.partition('+')[0]}@{domain}")


def _mailboxes(addresses: Iterable[str]) -> set[str]:
    """Our unsubscribe mailboxes, as :func:`_base` gives them (a ``{token}`` or ``+`` part dropped)."""
    return {_base(re.sub(r"\{token\}", "", a)) for a in addresses if "@" in a}


def mailto_address(url: str) -> str:
    """The mailbox of a ``mailto:`` List-Unsubscribe URL (``mailto:unsubscribe@x?subject=...`` -> address),
    ``{token}`` kept as written (:func:`parse_message` drops it)."""
    text = url.strip()
    if not text.lower().startswith("mailto:"):
        return ""
    found = unquote(text[7:].split("?", 1)[0]).strip()
    return found if "@" in found and "{email}" not in found else ""
