"""Datelines: is there a date in the ``dateline`` field, and does the body already open with a dateline?

Releases pasted from Word often open with their own dateline ("**Hong Kong, 12 March 2026** — ...",
"HONG KONG, March 12, 2026 –", "（2026年3月12日，香港）", "【香港，2026年3月12日】"). pressctl puts its own
dateline before the first paragraph; it must not do so a second time. Pure: text in, answers out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["BodyDateline", "body_dateline", "has_date"]

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_ZH_NUM = r"[0-9０-９〇零一二三四五六七八九十]"
_DATE = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}"  # 2026-03-12
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+\d{{4}}\b"  # 12 March 2026
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b"  # March 12, 2026
    rf"|{_ZH_NUM}{{2,4}}\s*年\s*{_ZH_NUM}{{1,2}}\s*月\s*{_ZH_NUM}{{1,3}}\s*日",  # 2026年3月12日, 二〇二六年三月十二日
    re.I,
)
# The dash that joins an English dateline to the first sentence.
_JOIN = r"\s*(?:[—–―]+|-{1,2})\s*"
_BOLD = re.compile(r"^(\*\*|__)(?P<inner>[^*_\n]{2,80}?)\1" + _JOIN)
_BRACKETED = re.compile(r"^(?:\*\*|__)?[（(【\[〔](?P<inner>[^）)】\]〕\n]{2,60})[）)】\]〕](?:\*\*|__)?(?:" + _JOIN + r")?")
_PLAIN = re.compile(r"^(?P<inner>[^\n—–―:]{2,80}?)(?:\s*[—–―]+|\s+-{1,2})\s*")
_CAPS_PLACE = re.compile(r"^[A-Z][A-Z .'’-]+(?:,|$)")


def has_date(text: str) -> bool:
    """True if ``text`` holds a date in a form press releases write (English or Chinese)."""
    return bool(_DATE.search(text))


@dataclass(frozen=True)
class BodyDateline:
    """What the first paragraph opens with. ``found``: a dateline, don't add one; ``doubt``: warn."""

    found: bool
    doubt: bool
    text: str  # the words in question, for a warning


def _first_paragraph(body: str) -> str:
    for line in body.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _looks_like_place(inner: str, dateline: str) -> bool:
    words = inner.strip().strip(",，、 ")
    if dateline and dateline.strip().casefold() in words.casefold():
        return True
    # A short phrase without sentence punctuation: "Kowloon", "香港", "HONG KONG".
    return 0 < len(words) <= 40 and not re.search(r"[.!?。！？]", words)


def body_dateline(body: str, dateline: str = "") -> BodyDateline:
    """Whether the body's first paragraph already opens with a dateline.

    Found: bold or bracketed text with a date or a place ("**Hong Kong, 12 March 2026** —",
    "（2026年3月12日，香港）", "**Hong Kong** —"), or plain text with a date before a dash
    ("HONG KONG, March 12, 2026 –"). Doubt: a date near the start that is none of these.
    """
    first = _first_paragraph(body)
    if not first:
        return BodyDateline(False, False, "")
    for pattern in (_BOLD, _BRACKETED):
        m = pattern.match(first)
        if m and (has_date(m.group("inner")) or _looks_like_place(m.group("inner"), dateline)):
            return BodyDateline(True, False, m.group(0).strip())
    m = _PLAIN.match(first)
    if m:
        inner = m.group("inner")
        named = bool(dateline) and inner.strip().casefold() == dateline.strip().casefold()
        if has_date(inner) or (_CAPS_PLACE.match(inner) and named):
            return BodyDateline(True, False, m.group(0).strip())
    head = first[:60]
    date = _DATE.search(head)
    # "Hong Kong, 12 March 2026. HVSP today ...": a place and a date, but not set off as a dateline.
    if date and re.fullmatch(r"[\W_]*(?:[^.。!?！？]{0,30}[,，、]\s*)?", head[: date.start()]):
        return BodyDateline(False, True, head[: date.end()])
    return BodyDateline(False, False, "")
