"""The one rule routing a reader to a version, and the one lookup of a tag's locale. Pure.

A tag is read as its language, script and region (``facets``): ``zh-HK`` is Chinese in Traditional script
for Hong Kong, ``zh-SG`` Chinese in Simplified script for Singapore, the script coming from the tag itself,
else from the locale table (a version or one of its aliases), else from the language when all its versions
share one script.

Routing (``route_language``), used by contact loading (``contacts.load``) and message building
(``send.messages``) alike, so the version a reader is counted in is the version they receive:

1. the same tag (``zh-HK`` -> ``zh-HK``);
2. else a version of the same language, preferring the same script, then the same region, then the one
   sharing most subtags as written, then the one listed first (``zh-TW`` -> ``zh-HK`` when the release has
   ``en`` and ``zh-HK``; ``zh-Hant-TW`` -> ``zh-Hant`` over ``zh-HK``). A reader of one Chinese script gets
   the other when the release has no version in theirs (a Simplified reader gets the Traditional version,
   not the English one): the same language is closer than another, and the summary's fallback line names
   them ("1 Simplified Chinese reader gets Traditional Chinese (Hong Kong): no Simplified Chinese version");
3. else, and for no tag at all, the default language (the release's own).

``langcodes`` was considered and not used: routing needs the table's own scripts and the order of a
release's versions, which a dozen lines answer without a dependency.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pressctl.languages.locale import Locale
from pressctl.languages.table import BY_TAG, DEFAULT, LOCALES, SCRIPTS

__all__ = [
    "Facets",
    "facets",
    "greets_by_name",
    "is_fallback",
    "locale_for",
    "primary",
    "route_language",
]


def primary(tag: str) -> str:
    """The first subtag, lower-cased: ``zh`` for ``zh-Hant-HK``."""
    return tag.lower().replace("_", "-").split("-")[0]


@dataclass(frozen=True)
class Facets:
    """What a tag says: language, script and region (lower-cased; None when it does not say)."""

    language: str
    script: str | None
    region: str | None
    subtags: tuple[str, ...]


def facets(tag: str) -> Facets:
    """``zh-HK`` -> (zh, hant, hk); ``zh-Hans`` -> (zh, hans, None); ``fr`` -> (fr, None, None)."""
    subtags = tuple(tag.lower().replace("_", "-").split("-"))
    language = subtags[0]
    script = next((s for s in subtags[1:] if len(s) == 4 and s.isalpha()), None)
    region = next((s for s in subtags[1:] if (len(s) == 2 and s.isalpha()) or (len(s) == 3 and s.isdigit())), None)
    if script is None:
        known = SCRIPTS.get("-".join(subtags)) or (SCRIPTS.get(f"{language}-{region}") if region else None)
        found = known or SCRIPTS.get(language)
        script = found.lower() if found else None
    return Facets(language, script, region, subtags)


def _prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return shared


def route_language(tag: str | None, available: Sequence[str], default: str) -> str:
    """The language of ``available`` a reader asking for ``tag`` gets (the rule in the module docstring).

    ``default`` should be one of ``available``; if it is not, the first of ``available`` is used.
    """
    if not available:
        return tag or default
    lowered = [a.lower() for a in available]
    fallback = available[lowered.index(default.lower())] if default.lower() in lowered else available[0]
    if not tag:
        return fallback
    if tag.lower() in lowered:
        return available[lowered.index(tag.lower())]
    want = facets(tag)
    best: tuple[int, int, int, int] | None = None  # (same script, same region, subtags shared, -position)
    for position, candidate in enumerate(available):
        have = facets(candidate)
        if have.language != want.language:
            continue
        score = (
            int(want.script is not None and have.script == want.script),
            int(want.region is not None and have.region == want.region),
            _prefix(have.subtags, want.subtags),
            -position,
        )
        if best is None or score > best:
            best = score
    return available[-best[3]] if best is not None else fallback


def is_fallback(wanted: str | None, got: str) -> bool:
    """Does a reader who asked for ``wanted`` get a version that is not theirs: another language, another
    script, or another region (``zh-TW`` getting ``zh-HK`` counts)? A version that says less than they asked
    for is theirs (``zh-Hant`` getting ``zh-HK``, ``en-GB`` getting ``en``), and so is one whose entry lists
    their tag among its aliases. Readers who asked for nothing get the default: no."""
    if not wanted or wanted.lower() == got.lower():
        return False
    version = BY_TAG.get(got.lower())
    if version is not None and wanted.lower() in {alias.lower() for alias in version.aliases}:
        return False  # another tag for this very version (zh-Hant-MO for zh-MO)
    a, b = facets(wanted), facets(got)
    if a.language != b.language:
        return True
    if a.script and b.script and a.script != b.script:
        return True
    return bool(a.region and b.region and a.region != b.region)


def greets_by_name(wanted: str | None, version: str) -> bool:
    """Is a reader who asked for ``wanted`` greeted by name in the ``version`` they get? Not when it is another
    primary language (an English reader of a Chinese-only release): then the greeting's fallbacks stand alone
    ("編輯您好："), never a name mixed into another language's form."""
    return not wanted or primary(wanted) == primary(version)


_TAGS = tuple(locale.tag for locale in LOCALES)


def locale_for(tag: str | None) -> Locale:
    """The table's entry for ``tag``: its own, an alias's, else the nearest by the routing rule, else the
    first entry (English words for a language the table lacks). Every version's words, fonts and formats
    come through here."""
    if not tag:
        return DEFAULT
    found = BY_TAG.get(tag.lower())
    if found is not None:
        return found
    for locale in LOCALES:
        if any(tag.lower() == alias.lower() for alias in locale.aliases):
            return locale
    return BY_TAG[route_language(tag, _TAGS, DEFAULT.tag).lower()]
