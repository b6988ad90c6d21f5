"""Choosing contacts: ``--where`` conditions and routing each contact to a language of the release.

``--where`` syntax, one condition per option (all must hold):

* ``FIELD=VALUE``   the field equals the value;  ``FIELD=A,B,C`` equals any of them;
* ``FIELD!=VALUE``  the field equals none of the values;
* ``FIELD=``        the field is empty;  ``FIELD!=`` it is not.

FIELD matches a column ignoring case, spaces, hyphens and underscores (``"First Name"`` = ``first_name``);
values match ignoring case and surrounding spaces. ``language`` matches the cell or the language the
contact is routed to (``language=zh-HK`` includes a ``zh-TW`` reader who gets the zh-HK version).

Language cells: a contact's ``language`` cell (``en``, ``zh-HK``, ``zh_tw``, or a word such as ``English``,
``中文``, ``繁體中文``, ``廣東話``: the locale table's ``cell_words``) becomes a tag (``language_tag``), which
``pressctl.languages.routing.route_language`` matches against the languages the release exists in; an empty
or unrecognisable cell gets the default language (the release's own).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from pressctl.contacts.clean import column_key
from pressctl.controls import clean_cell
from pressctl.errors import ContactsError
from pressctl.languages.tags import cell_tag, language_names

__all__ = [
    "Condition",
    "describe_languages",
    "language_tag",
    "parse_where",
    "wanted_language",
]


@dataclass(frozen=True)
class Condition:
    """One ``--where`` condition on a normalised field."""

    field: str  # normalised column key, e.g. "beat"
    values: frozenset[str]  # case-folded; {""} means "empty"
    negate: bool = False
    source: str = ""  # as the user wrote it, for messages

    def matches(self, fields: Mapping[str, str], *, language: str | None = None) -> bool:
        """Does a contact with these fields match? ``language``: the language it was routed to.

        A condition on ``language`` holds if either the cell or the routed language matches, so
        ``language=zh-HK`` also selects a ``zh-TW`` reader who will get the zh-HK version.
        """
        seen = {clean_cell(fields.get(self.field, "")).casefold()}
        if self.field == "language" and language:
            seen.add(language.casefold())
        return bool(seen & self.values) != self.negate


def parse_where(expr: str) -> Condition:
    """Parse ``FIELD=VALUE``, ``FIELD!=VALUE`` or a comma list of values; ContactsError if malformed."""
    text = expr.strip()
    match = re.match(r"^([^=!]*?)\s*(!=|==|=)\s*(.*)$", text, re.S)
    hint = "write FIELD=VALUE, FIELD!=VALUE or FIELD=A,B (any of), e.g. --where beat=technology,science"
    if not match:
        raise ContactsError(f"--where {expr!r} has no = or !=", hint=hint)
    name, op, rest = match.groups()
    key = column_key(name)
    if not key:
        raise ContactsError(f"--where {expr!r} names no field before {op}", hint=hint)
    if "=" in rest:
        # `beat=a=b` is almost certainly a typo for two conditions.
        raise ContactsError(f"--where {expr!r} has more than one =", hint=hint)
    values = frozenset(clean_cell(v).casefold() for v in rest.split(","))
    if len(values) > 1:
        values -= {""}  # "a,b," is a trailing comma, not "or empty"
    return Condition(field=key, values=values, negate=op == "!=", source=text)


_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


def language_tag(value: str) -> str | None:
    """A contact's language cell as a tag in canonical case; "" if empty, None if unrecognisable."""
    text = " ".join(clean_cell(value).split())
    if not text:
        return ""
    word = cell_tag(text)
    if word:
        return word
    text = text.replace("_", "-")
    if not _TAG.match(text):
        return None
    parts = text.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        # BCP 47 casing: script Title (Hant), region upper (HK), the rest lower.
        out.append(part.title() if len(part) == 4 else part.upper() if len(part) == 2 else part.lower())
    return "-".join(out)


def wanted_language(fields: Mapping[str, str], routed: str | None) -> str | None:
    """The language a contact asked for: its ``language`` cell as a tag, else (no usable cell) ``routed``."""
    tag = language_tag(fields.get("language", "")) if fields.get("language") else None
    return tag or routed


def describe_languages(per_version: Mapping[str, int], fallbacks: Mapping[tuple[str, str], int]) -> str:
    """One line: readers per language version, and which readers get a version not in their language, in
    the words an officer uses (``pressctl.languages.tags.language_name``; the tags stay in JSON).

    ``English 10, Traditional Chinese (Hong Kong) 10 (10 Traditional Chinese (Taiwan) readers get
    Traditional Chinese (Hong Kong): no Traditional Chinese (Taiwan) version)``. ``fallbacks`` maps
    (asked for, got) to a number of readers.
    """

    names = language_names([*per_version, *(t for pair in fallbacks for t in pair)])
    line = ", ".join(f"{names[tag] if tag else '?'} {n}" for tag, n in per_version.items()) or "-"
    notes = [
        f"{n} {names[wanted]} reader{'s' if n != 1 else ''} get{'' if n != 1 else 's'} {names[got]}: "
        f"no {names[wanted]} version"
        for (wanted, got), n in sorted(fallbacks.items(), key=lambda item: (-item[1], item[0]))
    ]
    return line + (f" ({'; '.join(notes)})" if notes else "")
