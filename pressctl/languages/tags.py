"""Language tags as people and files write them: the tags a release may carry (``normalise_language``), the
names an officer reads (``language_name``), and the words of a contact list's language cell (``cell_tag``).
Pure; everything comes from the locale table."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pressctl.errors import PressctlError, ReleaseError
from pressctl.languages.table import BY_TAG, CELL_WORDS, LOCALES, NAMES

__all__ = [
    "cell_tag",
    "language_name",
    "language_names",
    "normalise_language",
    "translation_tags",
    "version_tags",
]


def version_tags() -> tuple[str, ...]:
    """The tags a release (or a translation) may carry, in the table's order."""
    return tuple(locale.tag for locale in LOCALES)


def translation_tags() -> tuple[str, ...]:
    """The tags a ``[... .translations.<tag>]`` table may have: a version's, or its language alone (``zh``
    serves every Chinese version), sorted."""
    tags = version_tags()
    return tuple(sorted({*tags, *(t.lower().split("-")[0] for t in tags)}))


def language_name(tag: str | None) -> str:
    """``Traditional Chinese (Hong Kong)`` for ``zh-HK``: the language as a person names it; an unknown tag
    is shown as itself, no tag at all as "no language given"."""
    if not tag:
        return "no language given"
    return NAMES.get(tag.lower(), tag)


def language_names(tags: Sequence[str | None]) -> dict[str | None, str]:
    """Names for several tags shown together: two tags with one name (``zh-HK``, ``zh-Hant-HK``) get their
    tag beside it, so the line still tells them apart."""
    names = {tag: language_name(tag) for tag in tags}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    return {tag: f"{name} [{tag}]" if counts[name] > 1 and tag else name for tag, name in names.items()}


_BCP47 = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def normalise_language(tag: str, *, where: str | None = None, error: type[PressctlError] = ReleaseError) -> str:
    """The canonical form of a language tag pressctl supports; else ``error`` (a ``ReleaseError`` by default)."""
    raw = str(tag).strip().replace("_", "-")
    if not _BCP47.match(raw):
        raise error(
            f"{tag!r} is not a language tag", where=where, hint="use a BCP 47 tag such as en or zh-HK"
        )
    found = BY_TAG.get(raw.lower())
    if found is None:
        raise error(
            f"unknown language {tag!r}",
            where=where,
            hint="supported: " + ", ".join(sorted(version_tags())),
        )
    return found.tag


def cell_tag(text: str) -> str | None:
    """The tag a word in a language cell stands for (``繁體中文`` -> ``zh-Hant``, ``English`` -> ``en``), or None
    when it is not one of the table's words."""
    return CELL_WORDS.get(" ".join(text.split()).casefold())
