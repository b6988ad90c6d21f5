"""The locale table: every language version pressctl writes, in one tuple (``LOCALES``), and the lookups the
rest of pressctl reads it through. Data, and indexes built from it once.

Adding a language is one entry (a module like ``traditional`` with its words, dates and fonts) listed here,
plus its tests; rendering, messages, the newsroom and routing read the entry, and nothing else tests for a
language by its tag.
"""

from __future__ import annotations

from collections.abc import Mapping

from pressctl.languages import english, simplified, traditional
from pressctl.languages.locale import Locale

__all__ = [
    "BY_TAG",
    "CELL_WORDS",
    "DEFAULT",
    "LOCALES",
    "NAMES",
    "SCRIPTS",
]

# The order matters where routing has to choose among equals: a reader asking only for "Chinese" (zh) gets
# the first Chinese version a release has, and a tag the table lacks falls to the first entry of its language.
LOCALES: tuple[Locale, ...] = (*english.LOCALES, *traditional.LOCALES, *simplified.LOCALES)

DEFAULT: Locale = LOCALES[0]  # words for a tag of no language in the table (the release's own is checked)

BY_TAG: Mapping[str, Locale] = {locale.tag.lower(): locale for locale in LOCALES}

# Names of tags a contact list may hold that pressctl has no version for, so "2 Japanese readers get English".
_OTHER_NAMES: Mapping[str, str] = {
    "zh": "Chinese",
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

# Every tag's name in English, lower-cased tag -> name: the versions, their aliases, the others.
NAMES: Mapping[str, str] = {
    **_OTHER_NAMES,
    **{tag.lower(): name for locale in LOCALES for tag, name in locale.aliases.items()},
    **{locale.tag.lower(): locale.name for locale in LOCALES},
}

# Words for a language in a contact list's language cell that name no one version: the language itself.
_LANGUAGE_WORDS: Mapping[str, str] = {
    "chinese": "zh",
    "中文": "zh",
    "華文": "zh",
}

# A language cell's word (case-folded) -> the tag it stands for.
CELL_WORDS: Mapping[str, str] = {
    **_LANGUAGE_WORDS,
    **{word.casefold(): tag for locale in LOCALES for word, tag in locale.cell_words.items()},
}


def _scripts() -> dict[str, str]:
    """Lower-cased tag -> its script, for the tags of the table and their aliases; and a language's own
    subtag when all its versions share one script (``en`` -> Latn; ``zh`` only while all are Traditional)."""
    out: dict[str, str] = {}
    per_language: dict[str, set[str]] = {}
    for locale in LOCALES:
        for tag in (locale.tag, *locale.aliases):
            out[tag.lower()] = locale.script
        per_language.setdefault(locale.tag.lower().split("-")[0], set()).add(locale.script)
    for language, scripts in per_language.items():
        if len(scripts) == 1 and language not in out:
            out[language] = next(iter(scripts))
    return out


SCRIPTS: Mapping[str, str] = _scripts()
