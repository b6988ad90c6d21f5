"""The media enquiries of a Word release as contacts: each person's name, title, organisation, phone and
e-mail from the lines under "Media enquiries" / "傳媒查詢" (paragraphs, line breaks, or a table with a
person per column). Labels come from ``pressctl.languages``. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pressctl.languages.documents import DOCUMENT_WORDS

__all__ = ["Person", "read_contacts"]

_PHONE_LABELS = sorted({w for words in DOCUMENT_WORDS for w in words.phone}, key=len, reverse=True)
_EMAIL_LABELS = sorted({w for words in DOCUMENT_WORDS for w in words.email}, key=len, reverse=True)
_LABEL = r"\s*(?:[.:：]\s*|\s+(?=[+\d(]))"
_PHONE_LINE = re.compile(
    r"^(?:(?:" + "|".join(map(re.escape, _PHONE_LABELS)) + r")" + _LABEL + r")?(?P<phone>\+?[\d\s()\-/]{8,}\d)\s*$",
    re.IGNORECASE,
)
_EMAIL_IN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_EMAIL_LABEL = re.compile(r"^(?:" + "|".join(map(re.escape, _EMAIL_LABELS)) + r")" + r"\s*[.:：]?\s*", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:[|｜/]|\s{2,}|\t)\s*(?=(?:" + "|".join(map(re.escape, [*_PHONE_LABELS, *_EMAIL_LABELS])) + r")\s*[.:：])", re.IGNORECASE)
_ORG_WORDS = tuple(w for words in DOCUMENT_WORDS for w in words.organisation)
_MEDIA = tuple(w for words in DOCUMENT_WORDS for w in words.media)


@dataclass
class Person:
    texts: list[str] = field(default_factory=list)
    phone: str = ""
    email: str = ""

    @property
    def reached(self) -> bool:
        return bool(self.phone or self.email)


def _is_organisation(line: str) -> bool:
    low = line.lower()
    return any(
        (re.search(rf"\b{re.escape(w)}\b", low) if w.isascii() else w in line) for w in _ORG_WORDS
    )


def _pieces(line: str) -> list[str]:
    return [p for p in _SPLIT.split(line) if p.strip()]


def _group(lines: Sequence[str]) -> list[Person]:
    people: list[Person] = []
    current = Person()
    for raw in lines:
        for line in _pieces(raw):
            line = line.strip().rstrip("；;,")
            low = line.lower().rstrip(":：")
            if not line or any(low == m or low.startswith(m + " ") for m in _MEDIA) or low in ("please contact", "請聯絡"):
                continue
            email = _EMAIL_IN.search(line)
            phone = _PHONE_LINE.match(line)
            if email and (_EMAIL_LABEL.match(line) or email.group(0) == line):
                if current.email:
                    people.append(current)
                    current = Person()
                current.email = email.group(0)
            elif phone:
                if current.phone and current.email:
                    people.append(current)
                    current = Person()
                number = " ".join(phone.group("phone").split())
                current.phone = f"{current.phone} / {number}" if current.phone else number
            else:
                if current.reached:
                    people.append(current)
                    current = Person()
                current.texts.append(line)
    if current.texts or current.reached:
        people.append(current)
    return people


def _split_name(line: str) -> tuple[str, str]:
    m = re.match(r"^(?P<name>[^（(]+?)\s*[（(](?P<title>[^）)]+)[）)]\s*$", line)
    if m:
        return m.group("name").strip(), m.group("title").strip()
    if "," in line:
        name, _, title = line.partition(",")
        return name.strip(), title.strip()
    return line, ""


def read_contacts(columns: Sequence[Sequence[str]]) -> tuple[list[dict[str, str]], list[str]]:
    """People from the lines of the media section (``columns``: one list of lines, or one per table
    column); and the lines that fit no one."""
    people = [p for lines in columns for p in _group(lines)]
    organisation, out, unplaced = "", [], []
    for person in people:
        texts = list(person.texts)
        if not person.reached:
            if len(texts) == 1 and _is_organisation(texts[0]):
                organisation = texts[0]  # a heading line naming the organisation of everyone below it
            else:
                unplaced += texts
            continue
        org = next((t for t in texts if _is_organisation(t)), "")
        if org and len(texts) > 1:
            texts.remove(org)
        else:
            org = ""
        if not texts:
            unplaced.append(org or person.email or person.phone)
            continue
        name, title = _split_name(texts[0])
        title = ", ".join(t for t in [title, *texts[1:]] if t)
        out.append(
            {k: v for k, v in (("name", name), ("title", title), ("organisation", org or organisation),
                               ("phone", person.phone), ("email", person.email)) if v}
        )
    return out, unplaced
