"""Is this message a bounce, and what does it report? Pure: a parsed message in, recipients and the
Message-IDs of what it returns out.

A delivery status notification (RFC 3464) is read from its ``message/delivery-status`` part with the
standard :mod:`email` package: per recipient, Action, Status, Diagnostic-Code, Final-Recipient,
Original-Recipient and Remote-MTA. Where there is no such part, flufl.bounce's detectors read the failed
addresses from the many non-standard formats (Exchange, Yahoo, qmail, ...), with the status taken from the
text when it gives one. :attr:`Bounce.report` says whether the message is a real ``multipart/report;
report-type=delivery-status``: only such a report can confirm a VERP return path (see
:mod:`pressctl.bounces.match`).

Severity per recipient: ``hard`` (Action: failed with 5.x.x, or a permanent failure in a non-standard
bounce), ``soft`` (failed with 4.x.x: an MTA that gave up; or 5.2.2, a full mailbox), ``delayed``
(Action: delayed, or a warning).
What a hard failure means for the address (dead, full, policy, size) is the send side's rule,
:func:`pressctl.relays.replies.bounce_class`, applied in :mod:`pressctl.bounces.plan`.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Literal

import flufl.bounce

from pressctl.addresses import address_key
from pressctl.bounces.text import address, decode, header, ids, parsed_headers, readable
from pressctl.relays.replies import bounce_class

# flufl.bounce logs a traceback (log.exception) when a detector raises; we handle that ourselves, and a
# traceback must never reach a user's terminal through logging's last-resort handler.
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())

__all__ = ["Bounce", "BouncedRecipient", "Severity", "find_bounce", "is_report"]

Severity = Literal["hard", "soft", "delayed"]


@dataclass(frozen=True)
class BouncedRecipient:
    """One address a bounce reports on. ``status`` is the RFC 3463 code (``5.1.1``) when there is one.

    ``address`` is the address we sent to: the DSN's Original-Recipient when it gives one (a forwarding
    mailbox reports its own ``final_recipient``), else the Final-Recipient.
    """

    address: str
    severity: Severity
    action: str = ""
    status: str = ""
    diagnostic: str = ""
    remote_mta: str = ""
    final_recipient: str = ""
    original_recipient: str = ""

    def names(self, addr: str) -> bool:
        """Whether this recipient is ``addr`` (its Final-Recipient or Original-Recipient), by ``address_key``."""
        key = address_key(addr)
        return any(a and address_key(a) == key for a in (self.address, self.final_recipient, self.original_recipient))


@dataclass(frozen=True)
class Bounce:
    """What a bounce reports: its recipients, the Message-IDs of what it returns, and whether it is a real
    ``multipart/report`` delivery-status notification."""

    recipients: tuple[BouncedRecipient, ...]
    returned_ids: tuple[str, ...]
    report: bool


_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_BOUNCE_FROM = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery\s+(status\s+notification|failure|has\s+failed|failed|problem|report)"
    r"|returned\s+mail|mail\s+delivery\s+(failed|failure|system|subsystem)|failure\s+notice|non[\s-]?delivery"
    r"|could\s+not\s+be\s+delivered|delivery\s+notification|warning:\s+could\s+not\s+send"
    r"|\bmail\s+error\b|無法傳遞|无法投递|退信|郵件退回|邮件退回",
    re.IGNORECASE,
)
_QUOTED_MID = re.compile(r"^[ \t>]*message-id:\s*(<[^<>\s]+@[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")


def is_report(msg: Message) -> bool:
    """A real RFC 3464 report: the message itself is ``multipart/report; report-type=delivery-status``."""
    return msg.get_content_type() == "multipart/report" and str(msg.get_param("report-type") or "").lower() in (
        "delivery-status",
        "global-delivery-status",
    )


def find_bounce(msg: Message, *, is_automatic: bool) -> Bounce | None:
    """The bounce ``msg`` is, or None when it is none. ``is_automatic``: the message says it was sent by a
    machine (Auto-Submitted and the like), which with a bounce subject marks a bounce nobody could parse."""
    dsn = list(_dsn_recipients(msg))
    returned = tuple(_returned_ids(msg))
    if dsn:
        return Bounce(tuple(_merge(dsn)), returned, is_report(msg))
    looks = _looks_like_bounce(msg, is_automatic=is_automatic)
    temporary, permanent = _flufl_failures(msg)
    if not (temporary or permanent or looks):
        return None
    status = _status_in(_all_text(msg))
    recipients: list[BouncedRecipient] = []
    for raw_addr in sorted(permanent):
        addr = _bytes_addr(raw_addr)
        recipients.append(BouncedRecipient(addr, _failed(status), action="failed", status=status))
    for raw_addr in sorted(temporary - permanent):
        recipients.append(BouncedRecipient(_bytes_addr(raw_addr), "delayed", action="delayed", status=status))
    return Bounce(tuple(_merge(recipients)), returned, is_report(msg))


def _flufl_failures(msg: Message) -> tuple[frozenset[bytes], frozenset[bytes]]:
    """flufl.bounce's answer. A detector tripping over a malformed message (it raises, e.g. on a message
    without From) must not stop the run: then each detector is asked on its own and the ones that raise
    are skipped."""
    try:
        temporary, permanent = flufl.bounce.all_failures(msg)
        return frozenset(temporary), frozenset(permanent)
    except Exception:
        pass
    from flufl.bounce import _scan

    for detector in getattr(_scan, "_DETECTORS", []):
        try:
            temporary, permanent = detector().process(msg)
        except Exception:
            continue
        if temporary or permanent:
            return frozenset(temporary), frozenset(permanent)
    return frozenset(), frozenset()


def _bytes_addr(value: bytes | str) -> str:
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else readable(value)
    return text.strip().strip("<>").strip()


def _merge(items: Iterable[BouncedRecipient]) -> list[BouncedRecipient]:
    """One entry per address (by ``address_key``); the most final severity wins."""
    rank = {"hard": 0, "soft": 1, "delayed": 2}
    best: dict[str, BouncedRecipient] = {}
    for item in items:
        key = address_key(item.address)
        if key not in best or rank[item.severity] < rank[best[key].severity]:
            best[key] = item
    return list(best.values())


def _looks_like_bounce(msg: Message, *, is_automatic: bool) -> bool:
    if is_report(msg):
        return True
    if not _BOUNCE_SUBJECT.search(header(msg, "Subject")):
        return False
    # "Mail could not be delivered" from a daemon, or from anything automatic with a null return path
    sender = address(header(msg, "From"))
    null_path = header(msg, "Return-Path").strip() in ("<>", "")
    return bool(_BOUNCE_FROM.match(sender) or is_automatic or (null_path and "Return-Path" in msg))


def walk(msg: Message, *, into_returned: bool = False) -> Iterator[Message]:
    """Every part, depth first; a returned ``message/rfc822`` is yielded but not entered unless asked.
    Iterative: the nesting was checked against ``[limits]``, and a stack never overflows anyway."""
    stack = [msg]
    while stack:
        part = stack.pop()
        yield part
        if not part.is_multipart():
            continue
        if part.get_content_type() == "message/rfc822" and not into_returned and part is not msg:
            continue
        stack.extend(reversed([s for s in part.get_payload() if isinstance(s, Message)]))


def _status_fields(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status part (parsed by the email package, or by hand)."""
    payload = part.get_payload()
    if isinstance(payload, list) and all(isinstance(p, Message) for p in payload):
        blocks: list[Message] = [p for p in payload if isinstance(p, Message)]
        if len(blocks) == 1 and isinstance(blocks[0].get_payload(), str) and str(blocks[0].get_payload()).strip():
            # message/global-delivery-status (RFC 6533, a DSN naming a UTF-8 address) is read by the email
            # package as one embedded message: the per-message fields as its headers, the per-recipient
            # blocks as its body.
            return [blocks[0], *_blocks(decode(blocks[0]))]
        return blocks
    return _blocks(decode(part) if isinstance(payload, str) else "")


def _blocks(text: str) -> list[Message]:
    blocks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [email.message_from_string(b.strip() + "\n", policy=email.policy.compat32) for b in blocks if b.strip()]


def _dsn_value(block: Message, name: str) -> str:
    value = header(block, name)
    kind, sep, rest = value.partition(";")
    return rest.strip() if sep and " " not in kind.strip() else value


def _dsn_recipients(msg: Message) -> Iterator[BouncedRecipient]:
    for part in walk(msg):
        if part.get_content_type() not in _STATUS_TYPES:
            continue
        for block in _status_fields(part):
            final = _bytes_addr(_dsn_value(block, "Final-Recipient"))
            original = _bytes_addr(_dsn_value(block, "Original-Recipient"))
            addr = original if "@" in original else final
            action = header(block, "Action").lower()
            status_m = _STATUS.search(header(block, "Status"))
            status = status_m.group(0) if status_m else ""
            diagnostic = _dsn_value(block, "Diagnostic-Code")
            if not status:
                status = _status_in(diagnostic)
            severity: Severity
            if action.startswith("failed"):
                severity = _failed(status)
            elif action.startswith("delayed"):
                severity = "delayed"
            else:
                continue  # delivered, relayed, expanded: nothing went wrong
            if "@" not in addr:
                continue
            yield BouncedRecipient(
                addr,
                severity,
                action=action,
                status=status,
                diagnostic=diagnostic,
                remote_mta=_dsn_value(block, "Remote-MTA") or "",
                final_recipient=final if "@" in final else "",
                original_recipient=original if "@" in original else "",
            )


def _failed(status: str) -> Severity:
    """A failure's severity: soft for 4.x.x (an MTA that gave up) and for a full mailbox (5.2.2, the send
    side's rule: :func:`pressctl.relays.replies.bounce_class`), else hard."""
    return "soft" if status.startswith("4") or bounce_class(status) == "full" else "hard"


def _status_in(text: str) -> str:
    m = _STATUS.search(text)
    return m.group(0) if m and m.group(1) in "45" else ""


def _returned_ids(msg: Message) -> list[str]:
    """Message-IDs of what a bounce returns: message/rfc822 or text/rfc822-headers parts, quoted headers."""
    found: list[str] = []
    for part in walk(msg):
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global") and part is not msg:
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                found.extend(ids(header(inner, "Message-ID")))
        elif ctype in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            found.extend(ids(header(parsed_headers(part), "Message-ID")))
    if not found:
        found.extend(m.group(1) for m in _QUOTED_MID.finditer(_all_text(msg)))
    return found


def _all_text(msg: Message) -> str:
    """Every text part of a bounce, returned messages included (quoted headers live there)."""
    return "\n".join(
        decode(part)
        for part in walk(msg, into_returned=True)
        if not part.is_multipart() and part.get_content_maintype() == "text"
    )
