"""Reading a journalist's name as a person would, for the greeting. Pure.

Lists keep names in many ways: ``First Name`` / ``Last Name`` columns, one ``Name`` (or ``姓名``) column with
the whole name, "Last, First" (``Ho, Siu-ling``) as address books export it, a Chinese name beside a
romanised one. The rules, applied when a list is loaded (``contacts.load``), only ever *fill* an empty
field, never change a value the list gives:

* **"Last, First"** (one comma, Latin letters): the given name is after the comma. ``first_name`` and
  ``last_name`` are filled, and the merge field ``name`` is written in its reading order (``Siu-ling Ho``),
  so neither an English nor a Chinese greeting shows the comma ("Ho, Siu-ling您好：" was the bug). The To
  header keeps the list's own spelling.
* **A whole name in one column** has a *clear* given name when it is two Latin words (``Priya Raman``:
  the first; ``Ho Siu-ling``, a Hong Kong name written family first with a hyphenated given name: the
  second), a family name in capitals (``CHAN Tai-man``: the rest), or an English name before a Chinese one
  (``Amy Chan Wai-ling``: the first). Anything else (``Chan Tai Man``, one word) is not guessed: the
  English greeting falls back, and ``contacts check --release`` says why.
* **A Chinese name** comes from a Chinese-name column (``中文姓名``, ``Chinese Name``), else from ``name``
  when it is all Chinese, else from Chinese ``last_name`` + ``first_name`` (黃 + 嘉明). It is kept as
  ``chinese_name``; a reader of a Chinese version is greeted by it, whole and in its order (何小玲您好：),
  through ``name`` in that version (``name_view``, with the locale's ``name_field``).

None of these fields goes into a header: the To name is the list's own (``clean.display_name``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["NameReading", "fill_name_fields", "name_view", "read_name"]

_TITLES = frozenset({"mr", "ms", "mrs", "miss", "mx", "dr", "prof", "professor", "sir", "dame"})
_LATIN_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:[-'’][^\W\d_]+)*\.?$")


def _wide(text: str) -> bool:
    """All visible characters are wide (Chinese, Japanese, Korean)."""
    chars = [c for c in text if not c.isspace()]
    return bool(chars) and all(unicodedata.east_asian_width(c) in ("W", "F") for c in chars)


def _latin(text: str) -> bool:
    return bool(text) and not any(unicodedata.east_asian_width(c) in ("W", "F") for c in text)


@dataclass(frozen=True)
class NameReading:
    """What a row's name cells say: the given and family name for an English greeting, the name in its
    reading order, the Chinese name; and, when there is no given name, why (for ``contacts check``)."""

    given: str = ""
    family: str = ""
    full: str = ""  # "Siu-ling Ho" for "Ho, Siu-ling"; "" when the list's own name needs no change
    chinese: str = ""
    why_no_given: str = ""


def _words(name: str) -> list[str]:
    words = name.replace(",", " ").split()
    while words and words[0].lower().rstrip(".") in _TITLES:
        words = words[1:]
    return words


def _from_whole(name: str) -> NameReading:
    """Given and family name of one Latin name written whole (the rules in the module docstring)."""
    if name.count(",") == 1:
        family, given = (part.strip() for part in name.split(","))
        if family and given and _latin(family) and _latin(given):
            given_words = _words(given)
            if given_words:
                return NameReading(
                    given=given_words[0], family=family, full=f"{' '.join(given_words)} {family}"
                )
    words = _words(name)
    if not words or not all(_LATIN_WORD.match(w) for w in words):
        return NameReading(why_no_given=f"no clear given name in {name!r}")
    capitals = [w for w in words if len(w) > 1 and w.isupper()]
    if len(words) >= 2 and len(capitals) == 1 and len(capitals) < len(words):
        rest = [w for w in words if w is not capitals[0]]
        return NameReading(given=rest[0], family=capitals[0].title())
    hyphened = [("-" in w) for w in words]
    if len(words) == 2:
        if hyphened[1] and not hyphened[0]:
            return NameReading(given=words[1], family=words[0])  # Ho Siu-ling: family first
        return NameReading(given=words[0], family=words[1])
    if len(words) == 3 and hyphened[2] and not any(hyphened[:2]):
        return NameReading(given=words[0], family=words[1])  # Amy Chan Wai-ling
    if len(words) == 1:
        return NameReading(why_no_given=f"one word only ({name!r}): a given name or a family name?")
    return NameReading(why_no_given=f"no clear given name in {name!r}")


def read_name(fields: Mapping[str, str]) -> NameReading:
    """Read a row's name cells (cleaned values under their column keys; see the module docstring)."""
    name = fields.get("name", "").strip()
    first = fields.get("first_name", "").strip()
    last = fields.get("last_name", "").strip()
    chinese = fields.get("chinese_name", "").strip()
    english = fields.get("english_name", "").strip()
    if not chinese:
        if _wide(name):
            chinese = name
        elif first and last and _wide(first) and _wide(last):
            chinese = last + first
    latin = name if _latin(name) else english
    if first:
        reading = _from_whole(latin) if latin and "," in latin else NameReading()
        return NameReading(given=first, family=last or reading.family, full=reading.full, chinese=chinese)
    if latin:
        words = _words(latin)
        if latin is english and len(words) == 1 and _LATIN_WORD.match(words[0]):
            # An "English name" column of one word is the given name Hong Kong people go by (Amy).
            return NameReading(given=words[0], family=last, chinese=chinese)
        reading = _from_whole(latin)
        return NameReading(
            given=reading.given, family=last or reading.family, full=reading.full, chinese=chinese,
            why_no_given=reading.why_no_given,
        )
    if name or chinese:
        shown = chinese or name
        why = f"only a Chinese name ({shown}): an English greeting needs a given name in Latin letters"
        return NameReading(family=last, chinese=chinese, why_no_given=why)
    return NameReading(why_no_given="no name in the row (no name, first name or 姓名 value)")


def fill_name_fields(fields: dict[str, str]) -> NameReading:
    """Fill ``first_name``, ``last_name``, ``chinese_name`` where empty, and write a "Last, First" ``name``
    in its reading order; returns the reading (for the greeting check)."""
    reading = read_name(fields)
    for key, value in (("first_name", reading.given), ("last_name", reading.family), ("chinese_name", reading.chinese)):
        if value and not fields.get(key):
            fields[key] = value
    if reading.full and "," in fields.get("name", ""):
        fields["name"] = reading.full
    return reading


def name_view(fields: dict[str, str], name_field: str) -> dict[str, str]:
    """The fields a version greets with: ``name`` is the version's own ``name_field`` when the row has one
    (a Chinese version: ``chinese_name``; the locale table says which); else the fields as they are."""
    own = fields.get(name_field, "") if name_field else ""
    return {**fields, "name": own} if own else fields
