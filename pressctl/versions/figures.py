"""The facts of one language version that every version must share: dates, figures, phone numbers, e-mail
addresses, URLs and photo files, each with the line of its paragraph, and the number of quotes. Pure: it
reads a loaded ``Release``; the words and numerals of each language come from ``pressctl.languages``."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pressctl.languages.documents import DOCUMENT_WORDS
from pressctl.languages.numerals import SCALES, chinese_numbers, english_number_words
from pressctl.release.load import Release

__all__ = ["Fact", "VersionFacts", "facts_of"]


@dataclass(frozen=True)
class Fact:
    kind: str  # date, figure, phone, e-mail, URL, photo
    key: str  # the value compared (2400, 2030-03-12, 85230000101)
    shown: str  # as the version writes it
    where: str  # file:line of its paragraph


@dataclass(frozen=True)
class VersionFacts:
    language: str
    path: str
    facts: tuple[Fact, ...]
    numbers: frozenset[str]  # every number the text holds in any form (a lone 兩, "six"): a figure found
    quotes: int  # blockquotes and long quoted passages
    quote_where: str


_MERGE = re.compile(r"\{\{.*?\}\}", re.S)
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# A URL ends where wide characters begin (預約 after a Chinese sentence's link is not part of it).
_URL = re.compile(r"(?:https?://|www\.)[^\s<>()\[\]\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\d,.])(?:\+\d{1,3}[\s-]?)?(?:\(\d{1,4}\)[\s-]?)?\d{3,4}[\s-]?\d{4}(?![\d,.])")
_MONTHS = {name: n for words in DOCUMENT_WORDS for name, n in words.months.items()}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE_PATTERNS = (
    (re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_RE})\.?,?(?:\s+(\d{{4}}))?\b", re.IGNORECASE), "dmy"),
    (re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.IGNORECASE), "mdy"),
    (re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日"), "ymd"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "ymd"),
)
_NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?:\.\d+)?(?![\d])|(?<![A-Za-z0-9_.])\d+(?:\.\d+)?")
_SCALE = re.compile(r"\s*(" + "|".join(sorted(map(re.escape, SCALES), key=len, reverse=True)) + r")(?![A-Za-z])", re.IGNORECASE)
_TIME_MINUTES = re.compile(r"(?<=\d)[:.]00\b")  # 10:00 a.m. is 上午10時: the hour is the figure
_QUOTE = re.compile(r"[“\"「『]([^”\"」』]+)[”\"」』]")


def _dates(text: str, year: int) -> Iterator[tuple[str, str, tuple[int, int]]]:
    for pattern, form in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            try:
                if form == "dmy":
                    day, month, y = int(m[1]), _MONTHS[m[2].lower()], int(m[3] or year)
                elif form == "mdy":
                    month, day, y = _MONTHS[m[1].lower()], int(m[2]), int(m[3] or year)
                else:
                    y, month, day = int(m[1] or year), int(m[2]), int(m[3])
                key = dt.date(y, month, day).isoformat()
            except (ValueError, KeyError):
                continue
            yield key, m.group(0).strip(), m.span()


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _number_key(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _paragraph_facts(text: str, where: str, year: int, numbers: set[str]) -> Iterator[Fact]:
    text = _TIME_MINUTES.sub(" ", _MERGE.sub(" ", text))
    spans: list[tuple[int, int]] = []
    for m in _EMAIL.finditer(text):
        spans.append(m.span())
        yield Fact("e-mail", m.group(0).lower(), m.group(0), where)
    for m in _URL.finditer(_blank(text, spans)):
        spans.append(m.span())
        url = m.group(0).rstrip(".,;:!?'\"")
        key = re.sub(r"^(?:https?://)?(?:www\.)?", "", url, flags=re.IGNORECASE).rstrip("/")
        host, _, path = key.partition("/")
        yield Fact("URL", host.lower() + ("/" + path if path else ""), url, where)
    for key, shown, span in _dates(_blank(text, spans), year):
        spans.append(span)
        yield Fact("date", key, shown, where)
    for m in _PHONE.finditer(_blank(text, spans)):
        digits = re.sub(r"\D", "", m.group(0))
        if len(digits) >= 8 and not re.fullmatch(r"(19|20)\d\d\s*(19|20)\d\d", m.group(0)):
            spans.append(m.span())
            yield Fact("phone", digits[-8:], m.group(0), where)
    rest = _blank(text, spans)
    scaled: list[tuple[int, int]] = []
    for m in _NUMBER.finditer(rest):
        try:
            value = Decimal(re.sub(r"[,\u00a0\u202f ]", "", m.group(0)))
        except InvalidOperation:
            continue
        shown = m.group(0)
        scale = _SCALE.match(rest, m.end())
        if scale is not None:  # 2.5 million, 250萬: one figure, and the scale word is no number of its own
            value *= SCALES[scale.group(1).lower()]
            shown = rest[m.start() : scale.end()]
            scaled.append((scale.start(), scale.end()))
        numbers.add(_number_key(value))
        yield Fact("figure", _number_key(value), shown, where)
    rest = _blank(rest, scaled)
    for value, shown, figure in chinese_numbers(rest):
        numbers.add(_number_key(value))
        if figure:
            yield Fact("figure", _number_key(value), shown, where)
    for value, shown in english_number_words(rest):
        numbers.add(_number_key(value))
        if value >= 10:
            yield Fact("figure", _number_key(value), shown, where)


def _paragraphs(release: Release) -> Iterator[tuple[str, str, bool, bool]]:
    """(text, file:line, in a blockquote, the first paragraph of one) for the title, subtitle, summary,
    captions, each body block and the media contacts."""
    from pressctl.release.markdown import parse

    top = f"{release.path}:1"
    for text in (release.title, release.subtitle, release.summary):
        if text:
            yield text, top, False, False
    for photo in release.photos:
        yield photo.caption, top, False, False
    depth, opened = 0, False
    for tok in parse(release.body):
        if tok.type == "blockquote_open":
            opened = opened or depth == 0
            depth += 1
        elif tok.type == "blockquote_close":
            depth -= 1
        elif tok.type == "inline":
            line = release.body_line + (tok.map[0] if tok.map else 0)
            yield tok.content, f"{release.path}:{line}", depth > 0, opened
            opened = False
    for contact in release.media_contacts:
        yield f"{contact.phone} {contact.email}", top, False, False


def facts_of(release: Release) -> VersionFacts:
    """The facts of one version, in the order its text gives them."""
    facts: list[Fact] = [Fact("date", release.date.isoformat(), release.date.isoformat(), f"{release.path}:1")]
    numbers: set[str] = set()
    quotes, quote_where = 0, ""
    for text, where, quoted, opens in _paragraphs(release):
        facts.extend(_paragraph_facts(text, where, release.date.year, numbers))
        # A person quoted, not a name in quotation marks (a programme, 「潮汐能源測試灣」): long passages only.
        long_quote = any(len(q) >= (25 if release.locale.cjk else 60) for q in _QUOTE.findall(text))
        if opens or (not quoted and long_quote):
            quotes += 1
            quote_where = quote_where or where
    images = [*(p.src for p in release.photos), *release.images.values()]
    facts.extend(Fact("photo", path.name, path.name, f"{release.path}:1") for path in images)
    return VersionFacts(
        language=release.language,
        path=str(release.path),
        facts=tuple(facts),
        numbers=frozenset(numbers),
        quotes=quotes,
        quote_where=quote_where or f"{release.path}:{release.body_line}",
    )
