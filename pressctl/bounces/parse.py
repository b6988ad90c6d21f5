"""What came back: one message's bytes -> a :class:`Finding`. Pure functions, no I/O, no guessing.

Order matters. A delivery status notification (RFC 3464) is recognised first, because DSNs carry
``Auto-Submitted: auto-replied`` too: the per-recipient fields (Action, Status, Diagnostic-Code,
Final-Recipient, Remote-MTA) come from the standard :mod:`email` package, and flufl.bounce's detectors
(DSN and the many non-standard formats: Exchange, Yahoo, qmail, ...) find the failed addresses where
there is no usable ``message/delivery-status`` part. Then automatic replies (out-of-office), *moved*
notices (the journalist has left; the new address when one is given), unsubscribe requests and human
replies.

Each bounced address gets a severity: ``hard`` (Action: failed with a 5.x.x status, or a permanent failure
in a non-standard bounce), ``soft`` (Action: failed with a 4.x.x status: an MTA that gave up) or
``delayed`` (Action: delayed, or a warning). The original Message-IDs are read from the returned message
(``message/rfc822`` or ``text/rfc822-headers``), from quoted headers in non-standard bounces, and from
``In-Reply-To``/``References``; :mod:`pressctl.bounces.match` decides which of them are ours.
"""

from __future__ import annotations

import dataclasses
import email
import email.header
import email.policy
import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses, parseaddr
from typing import Literal
from urllib.parse import unquote

import flufl.bounce

# flufl.bounce logs a traceback (log.exception) when a detector raises; we handle that ourselves, and a
# traceback must never reach a user's terminal through logging's last-resort handler.
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())

__all__ = [
    "BouncedRecipient",
    "Finding",
    "FindingKind",
    "Severity",
    "is_automatic",
    "mailto_address",
    "parse_message",
]

Severity = Literal["hard", "soft", "delayed"]
FindingKind = Literal["bounce", "auto-reply", "moved", "unsubscribe", "replied", "other"]

EXCERPT_LINES = 5
EXCERPT_CHARS = 600
_SCAN_CHARS = 4000  # how much of a reply's own text the phrase rules look at


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


@dataclass(frozen=True)
class Finding:
    """What one message says.

    ``message_id`` is the message's own Message-ID (what "already handled" is remembered by);
    ``original_ids`` the Message-IDs it refers to (returned message, quoted headers, In-Reply-To,
    References), in that order; ``to`` the addresses it was delivered to (Delivered-To, X-Original-To,
    To, Cc: for VERP and our List-Unsubscribe mailbox); ``sender`` the From address; ``excerpt`` the
    first lines of its own text (not the quoted message); ``new_address`` the address a *moved* notice
    asks us to write to instead, when it names one; ``digest`` the SHA-256 of the raw bytes (32 hex digits).
    """

    kind: FindingKind
    message_id: str = ""
    original_ids: tuple[str, ...] = ()
    recipients: tuple[BouncedRecipient, ...] = ()
    sender: str = ""
    to: tuple[str, ...] = ()
    subject: str = ""
    excerpt: str = ""
    automatic: bool = False
    new_address: str = ""
    digest: str = ""

    @property
    def handled_key(self) -> str:
        """What "already handled" is remembered by: the Message-ID, else a digest of the bytes."""
        return self.message_id or f"sha256:{self.digest}"

    @property
    def failed(self) -> tuple[str, ...]:
        """The addresses a bounce reports as failed (hard or soft), not the delayed ones."""
        return tuple(r.address for r in self.recipients if r.severity != "delayed")


# -- entry point ---------------------------------------------------------------------------------------------


def parse_message(raw: bytes, *, unsubscribe_addresses: Iterable[str] = ()) -> Finding:
    """Classify one message. ``unsubscribe_addresses``: our List-Unsubscribe mailto mailbox(es)."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    digest = hashlib.sha256(raw).hexdigest()[:32]
    own_id = _clean_id(_header(msg, "Message-ID"))
    subject = _header(msg, "Subject")
    sender = _address(_header(msg, "From"))
    to = _delivered_to(msg)
    refs = _reply_ids(msg)

    bounce = _bounce(msg)
    if bounce is not None:
        recipients, returned_ids = bounce
        return Finding(
            "bounce",
            message_id=own_id,
            original_ids=_unique([*returned_ids, *refs]),
            recipients=recipients,
            sender=sender,
            to=to,
            subject=subject,
            excerpt=_excerpt(_own_text(msg)),
            automatic=True,
            digest=digest,
        )

    text = _own_text(msg)
    automatic = is_automatic(msg)
    base = Finding(
        "other",
        message_id=own_id,
        original_ids=refs,
        sender=sender,
        to=to,
        subject=subject,
        excerpt=_excerpt(text),
        automatic=automatic,
        digest=digest,
    )
    head = text[:_SCAN_CHARS]
    if _LEFT.search(head) or _LEFT.search(subject):
        return _replace(base, kind="moved", new_address=_new_address(head, exclude={sender, *to}))
    if automatic:
        return _replace(base, kind="auto-reply")
    wanted = {a.casefold() for a in unsubscribe_addresses if a}
    if (wanted and wanted & {a.casefold() for a in to}) or _asks_unsubscribe(subject, text):
        return _replace(base, kind="unsubscribe")
    if refs:
        return _replace(base, kind="replied")
    return base


def mailto_address(url: str) -> str:
    """The mailbox of a ``mailto:`` List-Unsubscribe URL (``mailto:unsubscribe@x?subject=...`` -> address)."""
    text = url.strip()
    if not text.lower().startswith("mailto:"):
        return ""
    address = unquote(text[7:].split("?", 1)[0]).strip()
    return address if "@" in address and "{" not in address else ""


def _replace(f: Finding, **changes: object) -> Finding:
    return dataclasses.replace(f, **changes)  # type: ignore[arg-type]


# -- headers -------------------------------------------------------------------------------------------------


def _header(msg: Message, name: str) -> str:
    """A header's value, RFC 2047 words decoded, whitespace collapsed; "" when absent or undecodable."""
    value = msg.get(name)
    if value is None:
        return ""
    try:
        parts = email.header.decode_header(str(value))
        text = "".join(
            p.decode(_charset(c), errors="replace") if isinstance(p, bytes) else p for p, c in parts
        )
    except (LookupError, ValueError, TypeError):
        text = str(value)
    return " ".join(text.split())


def _charset(name: str | None) -> str:
    name = (name or "ascii").lower()
    if name in ("big5", "big5hkscs", "x-big5", "cp950"):
        return "big5hkscs"  # a superset: Hong Kong names decode
    if name in ("gb2312", "gbk"):
        return "gb18030"
    return name


def _address(value: str) -> str:
    return parseaddr(value)[1].strip()


_ID = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


def _clean_id(value: str) -> str:
    m = _ID.search(value)
    return f"<{m.group(1)}>" if m else ""


def _ids(value: str) -> list[str]:
    return [f"<{m}>" for m in _ID.findall(value)]


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for item in items:
        if item and item not in seen:
            seen[item] = None
    return tuple(seen)


def _reply_ids(msg: Message) -> tuple[str, ...]:
    return _unique([*_ids(_header(msg, "In-Reply-To")), *reversed(_ids(_header(msg, "References")))])


def _delivered_to(msg: Message) -> tuple[str, ...]:
    values: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc"):
        values.extend(str(v) for v in msg.get_all(name, []))
    return _unique(a.strip() for _, a in getaddresses(values) if "@" in a)


# -- automatic replies ---------------------------------------------------------------------------------------

_OOO_SUBJECT = re.compile(
    r"out\s+of\s+(the\s+)?office|automatic\s+reply|auto(matic)?[\s-]?(reply|response|respon[sd]er)"
    r"|\bautoreply\b|away\s+from\s+(my|the)\s+(desk|office|e-?mail)|\bon\s+(annual\s+)?leave\b"
    r"|\bvacation\b|\bholiday\s+notice\b|abwesenheit|\babsence\b"
    r"|自動回覆|自动回复|自動回復|自動答覆|自动答复|不在辦公室|不在办公室|休假|外出|放假|年假",
    re.IGNORECASE,
)


def is_automatic(msg: Message) -> bool:
    """An automatic reply: RFC 3834 ``Auto-Submitted``, the X-Autoreply family, bulk Precedence, OOO subjects."""
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto.split(";")[0].strip() != "no":
        return True
    if any(msg.get(h) is not None for h in ("X-Autoreply", "X-Autorespond", "X-Autoresponse", "X-Autoreply-From")):
        return True
    if _header(msg, "Precedence").lower() in ("auto_reply", "bulk", "junk"):
        return True
    return bool(_OOO_SUBJECT.search(_header(msg, "Subject")))


# -- moved and unsubscribe -------------------------------------------------------------------------------------

_LEFT = re.compile(
    r"\b(has|have)\s+(now\s+)?left\s+(?!(for|on|to|at|in|early|today|tonight|tomorrow|work|my|our|a|an)\b"
    r"|(the\s+)?office\b)|\bno\s+longer\s+(with|at|work|employed|part\s+of|"
    r"writ|report|cover|on\s+staff|be\s+(working|reachable|monitor))|\bhas\s+moved\s+on\b|\bhave\s+moved\s+on\b"
    r"|\bleft\s+(the|our)\s+(paper|newspaper|company|magazine|newsroom|station|organi[sz]ation|firm)\b"
    r"|\bthis\s+(e-?mail\s+)?(address|mailbox|account)\s+(is\s+)?(no\s+longer|not\s+)(in\s+use|monitored|active)"
    r"|已離職|已离职|已經離職|已经离职|已離開|已离开|不再任職|不再任职|不再於本|不再在本|此郵箱已停用|此邮箱已停用",
    re.IGNORECASE,
)
_CONTACT = re.compile(
    r"(contact|write\s+to|e-?mail|reach|send\s+(it|them|releases?|press\s+releases?)\s+to|"
    r"forward|address\s+is|請聯絡|請聯繫|请联系|请联络|聯絡|联系|聯繫|請電郵|请电邮|請改寄|请改寄|請寄|请寄|改為|改为)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")


def _new_address(text: str, *, exclude: set[str]) -> str:
    """The address a moved notice asks us to use: the first one after a "contact / 請聯絡" phrase."""
    skip = {a.casefold() for a in exclude if a}
    for phrase in _CONTACT.finditer(text):
        window = text[phrase.end() : phrase.end() + 160]
        for m in _EMAIL.finditer(window):
            addr = m.group(0).rstrip(".")
            if addr.casefold() not in skip:
                return addr
    return ""


_UNSUB = re.compile(
    r"\bunsubscribe\b|\bremove\s+me\b|\btake\s+me\s+off\b|\bopt[\s-]?out\b|取消訂閱|取消订阅|退訂|退订|取消訂閲",
    re.IGNORECASE,
)


def _asks_unsubscribe(subject: str, text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return bool(_UNSUB.search(subject) or _UNSUB.search(first))


# -- text of the message itself -------------------------------------------------------------------------------

_QUOTE_START = re.compile(
    r"^(-{2,}\s*(original|forwarded)\s+message\s*-{2,}|-{5,}|_{5,}|on\s.{0,200}\swrote:\s*$|"
    r"from:\s|寄件者[:：]|发件人[:：]|發件人[:：]|於.{0,80}寫道[:：]?|在.{0,80}写道[:：]?)",
    re.IGNORECASE,
)


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = _charset(part.get_content_charset() or "utf-8")
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _text_parts(msg: Message) -> Iterator[Message]:
    """The message's own text/* leaves, not descending into returned or forwarded messages."""
    if msg.is_multipart():
        for sub in msg.get_payload():
            if not isinstance(sub, Message):
                continue
            ctype = sub.get_content_type()
            if ctype in ("message/rfc822", "text/rfc822-headers", "message/delivery-status"):
                continue
            yield from _text_parts(sub)
    elif msg.get_content_maintype() == "text":
        yield msg


_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def _own_text(msg: Message) -> str:
    plain = html = ""
    for part in _text_parts(msg):
        if part.get_content_subtype() == "plain" and not plain:
            plain = _decode(part)
        elif part.get_content_subtype() == "html" and not html:
            html = _decode(part)
    if not plain and html:
        import html as html_mod

        plain = html_mod.unescape(_TAG.sub("\n", html))
    lines: list[str] = []
    for line in plain.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if stripped.startswith(">") or _QUOTE_START.match(stripped):
            break
        lines.append(line.rstrip())
    return "\n".join(lines).strip()


def _excerpt(text: str) -> str:
    kept = [" ".join(line.split()) for line in text.splitlines() if line.strip()][:EXCERPT_LINES]
    out = "\n".join(kept)
    return out if len(out) <= EXCERPT_CHARS else out[: EXCERPT_CHARS - 1] + "…"


# -- bounces --------------------------------------------------------------------------------------------------

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


def _bounce(msg: Message) -> tuple[tuple[BouncedRecipient, ...], list[str]] | None:
    """A bounce's recipients and the Message-IDs of what it returns, or None when it is no bounce."""
    dsn = list(_dsn_recipients(msg))
    returned = _returned_ids(msg)
    if dsn:
        return tuple(_merge(dsn)), returned
    looks = _looks_like_bounce(msg)
    temporary, permanent = _flufl_failures(msg)
    if not (temporary or permanent or looks):
        return None
    status = _status_in(_all_text(msg))
    recipients: list[BouncedRecipient] = []
    for raw_addr in sorted(permanent):
        addr = _bytes_addr(raw_addr)
        severity: Severity = "soft" if status.startswith("4") else "hard"
        recipients.append(BouncedRecipient(addr, severity, action="failed", status=status))
    for raw_addr in sorted(temporary - permanent):
        recipients.append(BouncedRecipient(_bytes_addr(raw_addr), "delayed", action="delayed", status=status))
    return tuple(_merge(recipients)), returned


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
    text = value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value
    return text.strip().strip("<>").strip()


def _merge(items: Iterable[BouncedRecipient]) -> list[BouncedRecipient]:
    """One entry per address (case-insensitive); the most final severity wins."""
    rank = {"hard": 0, "soft": 1, "delayed": 2}
    best: dict[str, BouncedRecipient] = {}
    for item in items:
        key = item.address.casefold()
        if key not in best or rank[item.severity] < rank[best[key].severity]:
            best[key] = item
    return list(best.values())


def _looks_like_bounce(msg: Message) -> bool:
    ctype = msg.get_content_type()
    if ctype == "multipart/report" and str(msg.get_param("report-type") or "").lower() == "delivery-status":
        return True
    if not _BOUNCE_SUBJECT.search(_header(msg, "Subject")):
        return False
    # "Mail could not be delivered" from a daemon, or from anything automatic with a null return path
    sender = _address(_header(msg, "From"))
    null_path = _header(msg, "Return-Path").strip() in ("<>", "")
    return bool(_BOUNCE_FROM.match(sender) or is_automatic(msg) or (null_path and "Return-Path" in msg))


def _walk(msg: Message, *, into_returned: bool = False) -> Iterator[Message]:
    yield msg
    if msg.is_multipart():
        for sub in msg.get_payload():
            if isinstance(sub, Message):
                if sub.get_content_type() == "message/rfc822" and not into_returned:
                    yield sub
                    continue
                yield from _walk(sub, into_returned=into_returned)


def _status_fields(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status part (parsed by the email package, or by hand)."""
    payload = part.get_payload()
    if isinstance(payload, list) and all(isinstance(p, Message) for p in payload):
        return list(payload)
    text = _decode(part) if isinstance(payload, str) else ""
    blocks = re.split(r"\r?\n[ \t]*\r?\n", text.strip())
    return [email.message_from_string(b.strip() + "\n", policy=email.policy.compat32) for b in blocks if b.strip()]


def _dsn_value(block: Message, name: str) -> str:
    value = _header(block, name)
    kind, sep, rest = value.partition(";")
    return rest.strip() if sep and " " not in kind.strip() else value


def _dsn_recipients(msg: Message) -> Iterator[BouncedRecipient]:
    for part in _walk(msg):
        if part.get_content_type() not in ("message/delivery-status", "message/global-delivery-status"):
            continue
        blocks = _status_fields(part)
        for block in blocks:
            final = _bytes_addr(_dsn_value(block, "Final-Recipient"))
            original = _bytes_addr(_dsn_value(block, "Original-Recipient"))
            address = original if "@" in original else final
            action = _header(block, "Action").lower()
            status_m = _STATUS.search(_header(block, "Status"))
            status = status_m.group(0) if status_m else ""
            diagnostic = _dsn_value(block, "Diagnostic-Code")
            if not status:
                status = _status_in(diagnostic)
            severity: Severity
            if action.startswith("failed"):
                severity = "soft" if status.startswith("4") else "hard"
            elif action.startswith("delayed"):
                severity = "delayed"
            else:
                continue  # delivered, relayed, expanded: nothing went wrong
            if "@" not in address:
                continue
            yield BouncedRecipient(
                address,
                severity,
                action=action,
                status=status,
                diagnostic=diagnostic,
                remote_mta=_dsn_value(block, "Remote-MTA") or "",
                final_recipient=final,
            )


def _status_in(text: str) -> str:
    m = _STATUS.search(text)
    return m.group(0) if m and m.group(1) in "45" else ""


def _returned_ids(msg: Message) -> list[str]:
    """Message-IDs of what a bounce returns: message/rfc822 or text/rfc822-headers parts, quoted headers."""
    found: list[str] = []
    for part in _walk(msg):
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, Message):
                found.extend(_ids(_header(inner, "Message-ID")))
        elif ctype in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            headers = email.message_from_string(_decode(part), policy=email.policy.compat32)
            found.extend(_ids(_header(headers, "Message-ID")))
    if not found:
        found.extend(m.group(1) for m in _QUOTED_MID.finditer(_all_text(msg)))
    return found


def _all_text(msg: Message) -> str:
    """Every text part of a bounce, returned messages included (quoted headers live there)."""
    chunks: list[str] = []
    for part in _walk(msg, into_returned=True):
        if part.is_multipart():
            continue
        if part.get_content_maintype() == "text":
            chunks.append(_decode(part))
    return "\n".join(chunks)
