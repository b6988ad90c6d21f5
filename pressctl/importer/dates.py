"""Dates as a Word release writes them: the dateline ("(Hong Kong, 1 September 2025) –", "HONG KONG,
1 September 2025 —", "（香港，2025年9月1日）") and the embargo line ("Embargoed until 10:00 a.m., 12 March
2030", "禁發時間：2030年3月12日上午10時"). Month names and time words come from ``pressctl.languages``. Pure."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pressctl.languages.documents import DOCUMENT_WORDS
from pressctl.languages.numerals import chinese_numbers

__all__ = ["Dateline", "find_date", "parse_dateline", "parse_moment"]

_MONTHS = {name: n for words in DOCUMENT_WORDS for name, n in words.months.items()}
_MONTH = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_CN_NUM = "[〇零一二兩两三四五六七八九十]"
_DATE = (
    rf"(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m1>{_MONTH})\.?,?\s+(?P<y1>\d{{4}})"
    rf"|(?P<m2>{_MONTH})\.?\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
    r"|(?P<y3>\d{4})\s*年\s*(?P<m3>\d{1,2})\s*月\s*(?P<d3>\d{1,2})\s*日(?:\s*[（(]\s*\S{1,4}\s*[）)])?"
    r"|(?P<y4>\d{4})-(?P<m4>\d{2})-(?P<d4>\d{2})"
)
_DATE_RE = re.compile(_DATE, re.IGNORECASE)
_DASH = r"[–—―-]{1,2}|－{1,2}"
_DATELINES = (
    re.compile(rf"^\s*[(（]\s*(?:(?P<place>[^,，()（）\d]{{1,40}}?)\s*[,，]\s*)?(?P<date>{_DATE})\s*[)）]\s*(?:{_DASH})?\s*", re.IGNORECASE),
    re.compile(rf"^\s*(?P<place>[A-Za-z][A-Za-z .'’]{{1,40}}?)\s*,\s*(?P<date>{_DATE})\s*(?:{_DASH}|:)\s*", re.IGNORECASE),
)


@dataclass(frozen=True)
class Dateline:
    place: str
    date: dt.date
    rest: str  # the paragraph without its dateline
    written: str


def _date_of(m: re.Match[str]) -> dt.date | None:
    g = m.groupdict()
    try:
        if g.get("y1"):
            return dt.date(int(g["y1"]), _MONTHS[g["m1"].lower()], int(g["d1"]))
        if g.get("y2"):
            return dt.date(int(g["y2"]), _MONTHS[g["m2"].lower()], int(g["d2"]))
        if g.get("y3"):
            return dt.date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
        if g.get("y4"):
            return dt.date(int(g["y4"]), int(g["m4"]), int(g["d4"]))
    except (ValueError, KeyError):
        return None
    return None


def find_date(text: str) -> tuple[dt.date, tuple[int, int]] | None:
    """The first date written in ``text`` and its span."""
    for m in _DATE_RE.finditer(text):
        day = _date_of(m)
        if day is not None:
            return day, m.span()
    return None


def _place(text: str) -> str:
    text = text.strip()
    return text.title() if text.isupper() else text


def parse_dateline(text: str) -> Dateline | None:
    """The dateline that opens a paragraph, or None."""
    for pattern in _DATELINES:
        m = pattern.match(text)
        if m is None:
            continue
        inner = _DATE_RE.search(m.group("date"))
        day = _date_of(inner) if inner else None
        if day is None:
            continue
        return Dateline(place=_place(m.group("place") or ""), date=day, rest=text[m.end() :].strip(), written=m.group(0).strip())
    return None


_CLOCK = re.compile(
    r"(?P<pre>上午|下午|晚上|中午|早上|凌晨)?\s*(?P<h>\d{1,2}|" + _CN_NUM + r"{1,3})\s*"
    r"(?:(?::|\.)\s*(?P<m>\d{2})|[時时點点]\s*(?:(?P<cm>\d{1,2}|" + _CN_NUM + r"{1,3})\s*分|(?P<half>半)|正)?)"
    r"\s*(?P<post>a\.?m\.?|p\.?m\.?)?",
    re.IGNORECASE,
)
_BARE_HOUR = re.compile(r"(?<![\d:])(?P<h>\d{1,2})\s*(?P<post>a\.?m\.?|p\.?m\.?)", re.IGNORECASE)
_NOON = re.compile(r"\bnoon\b|\bmidday\b|中午十二時", re.IGNORECASE)


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    found = list(chinese_numbers(text))
    return int(found[0][0]) if found else -1


def _later(word: str) -> bool:
    afternoon = {w.lower() for words in DOCUMENT_WORDS for w in words.afternoon}
    return word.lower() in afternoon or word.lower().replace(".", "") == "pm"


def parse_moment(text: str, zone: ZoneInfo) -> dt.datetime | None:
    """A date and a time of day in ``text`` (in ``zone``), or None when either is missing or unclear."""
    found = find_date(text)
    if found is None:
        return None
    day, (start, end) = found
    rest = text[:start] + " " * (end - start) + text[end:]
    hour = minute = -1
    m = _CLOCK.search(rest)
    if m is not None and (m.group("m") or m.group("pre") or m.group("post") or re.search("[時时點点]", m.group(0))):
        hour, minute = _number(m.group("h")), 0
        if m.group("m"):
            minute = int(m.group("m"))
        elif m.group("cm"):
            minute = _number(m.group("cm"))
        elif m.group("half"):
            minute = 30
        word = m.group("pre") or m.group("post") or ""
        if word and _later(word) and hour < 12:
            hour += 12
        if word and not _later(word) and hour == 12:
            hour = 0
    else:
        bare = _BARE_HOUR.search(rest)
        if bare is not None:
            hour, minute = int(bare.group("h")), 0
            if _later(bare.group("post")) and hour < 12:
                hour += 12
        elif _NOON.search(rest):
            hour, minute = 12, 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)
