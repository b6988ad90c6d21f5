"""Languages: the tags pressctl has words and fonts for, and the one rule routing a reader to a version. Pure.

Routing (``route_language``), used by contact loading (``contacts.segments``) and message building
(``send.messages``) alike, so the version a reader is counted in is the version they receive:

1. the same tag (``zh-HK`` -> ``zh-HK``);
2. else a tag of the same language (same first subtag), preferring the one sharing most subtags and,
   among equals, the one listed first (``zh-TW`` -> ``zh-HK`` when the release has ``en`` and ``zh-HK``;
   ``zh-Hant-TW`` -> ``zh-Hant`` over ``zh-HK``);
3. else, and for no tag at all, the default language (the release's own).

``langcodes`` was considered and not used: pressctl supports a closed list of ten tags, and routing needs
"share the first subtags", which the list above answers in a dozen lines without a dependency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pressctl.errors import PressctlError, ReleaseError

__all__ = [
    "LANGUAGES",
    "greets_by_name",
    "is_fallback",
    "language_name",
    "language_names",
    "normalise_language",
    "primary",
    "route_language",
    "wording",
]

# Languages pressctl has words and fonts for. Keys are lower-cased tags; values the canonical form.
LANGUAGES: dict[str, str] = {
    "en": "en",
    "en-gb": "en-GB",
    "en-us": "en-US",
    "en-hk": "en-HK",
    "zh-hk": "zh-HK",
    "zh-tw": "zh-TW",
    "zh-hant": "zh-Hant",
    "zh-hant-hk": "zh-Hant-HK",
    "zh-hant-tw": "zh-Hant-TW",
    "zh-mo": "zh-MO",
}

# What a press officer calls each language (terminal output; tags stay in JSON and in the files). Tags a
# contact list may hold that pressctl has no version for are named too, so "2 Japanese readers get English".
_NAMES: dict[str, str] = {
    "en": "English",
    "en-gb": "English (UK)",
    "en-us": "English (US)",
    "en-hk": "English (Hong Kong)",
    "zh": "Chinese",
    "zh-hk": "Traditional Chinese (Hong Kong)",
    "zh-tw": "Traditional Chinese (Taiwan)",
    "zh-mo": "Traditional Chinese (Macao)",
    "zh-hant": "Traditional Chinese",
    "zh-hant-hk": "Traditional Chinese (Hong Kong)",
    "zh-hant-tw": "Traditional Chinese (Taiwan)",
    "zh-hant-mo": "Traditional Chinese (Macao)",
    "zh-hans": "Simplified Chinese",
    "zh-cn": "Simplified Chinese (China)",
    "zh-sg": "Simplified Chinese (Singapore)",
    "zh-hans-cn": "Simplified Chinese (China)",
    "ja": "Japanese",
    "ko": "Korean",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "pt": "Portuguese",
    "it": "Italian",
    "id": "Indonesian",
    "ms": "Malay",
    "th": "Thai",
    "vi": "Vietnamese",
    "tl": "Filipino",
    "hi": "Hindi",
    "ar": "Arabic",
    "ru": "Russian",
}


def language_name(tag: str | None) -> str:
    """``Traditional Chinese (Hong Kong)`` for ``zh-HK``: the language as a person names it; an unknown tag
    is shown as itself, no tag at all as "no language given"."""
    if not tag:
        return "no language given"
    return _NAMES.get(tag.lower(), tag)


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
    canonical = LANGUAGES.get(raw.lower())
    if canonical is None:
        raise error(
            f"unknown language {tag!r}",
            where=where,
            hint="supported: " + ", ".join(sorted(set(LANGUAGES.values()))),
        )
    return canonical


def primary(tag: str) -> str:
    """The first subtag, lower-cased: ``zh`` for ``zh-Hant-HK``."""
    return tag.lower().split("-")[0]


def wording(tag: str) -> str:
    """Which of the two sets of fixed words pressctl ships a version uses (labels, dates, greetings, the
    newsroom's words): ``"zh"`` for any Chinese tag, else ``"en"``."""
    return "zh" if tag.lower().startswith("zh") else "en"


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
    want = tag.lower().split("-")
    if tag.lower() in lowered:
        return available[lowered.index(tag.lower())]
    best: tuple[int, int] | None = None  # (subtags shared, -position)
    for position, candidate in enumerate(lowered):
        have = candidate.split("-")
        if have[0] != want[0]:
            continue
        shared = 0
        for a, b in zip(have, want, strict=False):
            if a != b:
                break
            shared += 1
        score = (shared, -position)
        if best is None or score > best:
            best = score
    return available[-best[1]] if best is not None else fallback


def is_fallback(wanted: str | None, got: str) -> bool:
    """Does a reader who asked for ``wanted`` get a version in another language than theirs (``zh-TW`` getting
    ``zh-HK`` counts: it is not their own version)? Readers who asked for nothing get the default: no."""
    return bool(wanted) and (wanted or "").lower() != got.lower()


def greets_by_name(wanted: str | None, version: str) -> bool:
    """Is a reader who asked for ``wanted`` greeted by name in the ``version`` they get? Not when it is another
    primary language (an English reader of a Chinese-only release): then the greeting's fallbacks stand alone
    ("編輯您好："), never a name mixed into another language's form."""
    return not wanted or primary(wanted) == primary(version)
