"""The readable parts of one inbound message: header values, charsets, Message-IDs, addresses, and the
message's own text (not what it quotes). Pure functions over :class:`email.message.Message`.

Everything that leaves here is text a database and a terminal can take: bytes that are not valid in the
declared charset become U+FFFD, never surrogate escapes (SQLite refuses those). A text part in a charset no
codec reads (``charset=idna``, ``charset=x-nonsense``) raises :class:`UnreadableMessage`: that message is
listed as unreadable, and the others are read as usual.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import html as html_mod
import re
from collections.abc import Iterable, Iterator
from email.message import Message
from email.utils import parseaddr

__all__ = [
    "EXCERPT_CHARS",
    "EXCERPT_LINES",
    "UnreadableMessage",
    "address",
    "clean_id",
    "decode",
    "excerpt",
    "first_line",
    "header",
    "ids",
    "join_addresses",
    "own_text",
    "parsed_headers",
    "raw_value",
    "readable",
    "split_addresses",
    "unique",
]

EXCERPT_LINES = 5
EXCERPT_CHARS = 600


class UnreadableMessage(Exception):
    """This message cannot be read (``reason`` says why, in a few words); the run goes on with the next."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def readable(text: str) -> str:
    """``text`` with surrogate escapes (undecodable bytes) read as UTF-8, or U+FFFD where they are not."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


# Charsets that say "unknown" rather than name one: read as UTF-8 (what they usually are), not refused.
_UNKNOWN = frozenset({"unknown-8bit", "x-unknown", "unknown", "8bit", "x-user-defined"})


def charset(name: str | None) -> str:
    """The codec for a declared charset: Big5 as Big5-HKSCS (Hong Kong names), GB2312/GBK as GB18030."""
    name = (name or "ascii").strip().strip('"').lower()
    if name in ("big5", "big5hkscs", "x-big5", "cp950"):
        return "big5hkscs"  # a superset: Hong Kong names decode
    if name in ("gb2312", "gbk", "x-gbk"):
        return "gb18030"
    if name in _UNKNOWN:
        return "utf-8"
    return name


def _decode_bytes(data: bytes, name: str | None) -> str:
    try:
        return data.decode(charset(name), errors="replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        raise UnreadableMessage(f"a text part in charset {str(name)[:40]!r}, which no decoder reads") from None


def header(msg: Message, name: str) -> str:
    """A header's value, RFC 2047 words and raw UTF-8 decoded, whitespace collapsed; "" when absent.
    An encoded-word in a charset nobody reads is kept as written (a header is never a reason to give up)."""
    value = msg.get(name)
    if value is None:
        return ""
    try:
        parts = email.header.decode_header(value if isinstance(value, email.header.Header) else str(value))
        text = "".join(
            p.decode(charset(c), errors="replace") if isinstance(p, bytes) else p for p, c in parts
        )
    except (LookupError, ValueError, TypeError):
        text = str(value)
    return " ".join(readable(text).split())


def raw_value(value: object) -> str:
    """An address header's value as written: raw UTF-8 (which the parser hands over as an unknown-8bit
    ``Header``, an SMTPUTF8 address) read as UTF-8, RFC 2047 words left as they are (a display name's
    encoded-word must never become part of an address)."""
    if isinstance(value, email.header.Header):
        parts = email.header.decode_header(value)  # a Header's own chunks: no encoded-word is decoded
        return readable("".join(p.decode(charset(c), "replace") if isinstance(p, bytes) else p for p, c in parts))
    return readable(str(value))


def address(value: str) -> str:
    """The bare address of a header value (``Name <a@b>`` -> ``a@b``)."""
    return parseaddr(value)[1].strip()


_ID = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


def clean_id(value: str) -> str:
    """The first ``<id@host>`` in ``value``, or ""."""
    m = _ID.search(value)
    return f"<{m.group(1)}>" if m else ""


def ids(value: str) -> list[str]:
    """Every ``<id@host>`` in ``value``, in order."""
    return [f"<{m}>" for m in _ID.findall(value)]


def unique(items: Iterable[str]) -> tuple[str, ...]:
    """Non-empty items in order, each once."""
    seen: dict[str, None] = {}
    for item in items:
        if item and item not in seen:
            seen[item] = None
    return tuple(seen)


def decode(part: Message) -> str:
    """A leaf part's text in its declared charset (UTF-8 when none is declared)."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return _decode_bytes(payload, part.get_content_charset() or "utf-8")


def parsed_headers(part: Message) -> Message:
    """A ``text/rfc822-headers`` part as a header block."""
    return email.message_from_string(decode(part), policy=email.policy.compat32)


_SKIP_IN_OWN = ("message/rfc822", "text/rfc822-headers", "message/delivery-status", "message/global")


def _text_parts(msg: Message) -> Iterator[Message]:
    """The message's own text/* leaves, not descending into returned or forwarded messages."""
    stack = [msg]
    while stack:
        part = stack.pop()
        if part.is_multipart():
            subs = [s for s in part.get_payload() if isinstance(s, Message)]
            stack.extend(reversed([s for s in subs if s.get_content_type() not in _SKIP_IN_OWN]))
        elif part.get_content_maintype() == "text":
            yield part


_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_QUOTE_START = re.compile(
    r"^(-{2,}\s*(original|forwarded)\s+message\s*-{2,}|-{5,}|_{5,}|on\s.{0,200}\swrote:\s*$|"
    r"from:\s|寄件者[:：]|发件人[:：]|發件人[:：]|於.{0,80}寫道[:：]?|在.{0,80}写道[:：]?)",
    re.IGNORECASE,
)


def own_text(msg: Message) -> str:
    """What the writer wrote: the first plain-text part (else the HTML one, tags removed), cut where the
    quoted message starts (``>`` lines, "On ... wrote:", 於…寫道, ``-----Original Message-----``)."""
    plain = page = ""
    for part in _text_parts(msg):
        if part.get_content_subtype() == "plain" and not plain:
            plain = decode(part)
        elif part.get_content_subtype() == "html" and not page:
            page = decode(part)
    if not plain and page:
        plain = html_mod.unescape(_TAG.sub("\n", page))
    lines: list[str] = []
    for line in plain.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        if stripped.startswith(">") or _QUOTE_START.match(stripped):
            break
        lines.append(line.rstrip())
    return "\n".join(lines).strip()


def first_line(text: str) -> str:
    """The first line of ``text`` that is not blank, stripped."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def excerpt(text: str) -> str:
    """The first lines of ``text``, each on one line, at most :data:`EXCERPT_CHARS` characters."""
    kept = [" ".join(line.split()) for line in text.splitlines() if line.strip()][:EXCERPT_LINES]
    out = "\n".join(kept)
    return out if len(out) <= EXCERPT_CHARS else out[: EXCERPT_CHARS - 1] + "…"


def join_addresses(addresses: Iterable[str]) -> str:
    """Several addresses in one text column (a moved notice's new addresses): ``a@x, b@y``."""
    return ", ".join(addresses)


def split_addresses(value: str) -> list[str]:
    """The addresses of a :func:`join_addresses` text."""
    return [a.strip() for a in value.split(",") if a.strip()]
