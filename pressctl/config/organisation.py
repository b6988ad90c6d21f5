"""Who sends and how it looks: ``[organisation]`` (with its translations), ``[brand]``, ``[[media_contacts]]``
and ``[email.greeting]`` of ``pressctl.toml``, modelled and checked.

A translation table or a greeting is headed by a language tag (``[organisation.translations.zh-HK]``,
``[email.greeting] zh = ...``): one of the tags pressctl has words for, or its first part. Pure but for the
logo's path, checked by the loader.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pressctl.config.keys import line_of, text, unknown_key
from pressctl.errors import ConfigError
from pressctl.languages.routing import primary
from pressctl.languages.tags import translation_tags

__all__ = [
    "Brand",
    "EmailSettings",
    "Greeting",
    "MediaContact",
    "Organisation",
    "parse_brand",
    "parse_greetings",
    "parse_media_contacts",
    "parse_organisation",
]


@dataclass(frozen=True)
class MediaContact:
    """A press officer journalists can call (front matter ``media_contacts`` or the workspace default)."""

    name: str
    title: str = ""
    organisation: str = ""
    phone: str = ""
    email: str = ""
    # ``[media_contacts.translations.<tag>]``: the same fields in another language, as (tag, ((key, value), ...)).
    translations: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def in_language(self, language: str) -> MediaContact:
        """This contact in ``language`` (a tag, or its first part: zh-HK, then zh), else as written."""
        for tag, fields in self.translations:
            if _matches(tag, language):
                return replace(self, **{k: v for k, v in fields if v.strip()}, translations=())
        return self


def _matches(tag: str, language: str) -> bool:
    """Does a table for ``tag`` serve ``language``: the same tag, or its first part (zh for zh-HK)?"""
    return tag.lower() in (language.lower(), primary(language))


@dataclass(frozen=True)
class Organisation:
    name: str = "pressctl"
    website: str = ""
    address: str = ""
    footer: str = ""
    about: str = ""
    # ``[organisation.translations.<tag>]``: (tag, ((key, value), ...)), empty values left out.
    translations: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def in_language(self, language: str) -> Organisation:
        """The organisation's words in ``language`` (the first table whose tag fits), else as written."""
        for tag, fields in self.translations:
            if _matches(tag, language):
                return replace(self, **dict(fields), translations=())
        return self


@dataclass(frozen=True)
class Greeting:
    """One ``[email.greeting]`` entry: a greeting line with merge fields, and its line in pressctl.toml."""

    tag: str
    text: str
    line: int = 1


@dataclass(frozen=True)
class EmailSettings:
    """``[email]``: the greetings per language (the defaults live with the renderer's words)."""

    greetings: tuple[Greeting, ...] = ()

    def greeting_for(self, language: str) -> Greeting | None:
        """The greeting for ``language``: its own tag first, then its first part (zh for zh-HK)."""
        for want in (language.lower(), primary(language)):
            for greeting in self.greetings:
                if greeting.tag.lower() == want:
                    return greeting
        return None


@dataclass(frozen=True)
class Brand:
    logo: Path | None = None
    primary: str = "#0b5c74"
    accent: str = "#d9534f"
    text: str = "#1d1d1f"
    font: str = "Noto Sans"
    cjk_font: str = "Noto Sans CJK HK"


_ORG_FIELDS = ("name", "website", "address", "footer", "about")
_CONTACT_FIELDS = ("name", "title", "organisation", "phone", "email")
# Colours and font names go into CSS as they are: allow only what a colour or a family name can be.
_COLOUR = re.compile(r"^(?:#[0-9A-Fa-f]{3,8}|[A-Za-z]{3,30}|(?:rgb|rgba|hsl|hsla)\([0-9.,%\s/]+\))$")
_FONT = re.compile(r"^[\w .\-]+$")
_TAGS = translation_tags()


def parse_organisation(org: dict[str, Any], where: str) -> Organisation:
    """``[organisation]`` and its ``translations``."""
    return Organisation(
        name=text(org, "name", "organisation", where, "pressctl"),
        website=text(org, "website", "organisation", where),
        address=text(org, "address", "organisation", where),
        footer=text(org, "footer", "organisation", where),
        about=text(org, "about", "organisation", where),
        translations=_translations(org.get("translations", {}), "organisation.translations", _ORG_FIELDS, where),
    )


def parse_brand(brand: dict[str, Any], logo: Path | None, where: str) -> Brand:
    """``[brand]``: colours and font names as CSS can take them; ``logo`` already resolved by the loader."""
    return Brand(
        logo=logo,
        primary=_style(brand, "primary", Brand.primary, where),
        accent=_style(brand, "accent", Brand.accent, where),
        text=_style(brand, "text", Brand.text, where),
        font=_style(brand, "font", Brand.font, where, font=True),
        cjk_font=_style(brand, "cjk_font", Brand.cjk_font, where, font=True),
    )


def parse_media_contacts(raw: object, where: str) -> tuple[MediaContact, ...]:
    """``[[media_contacts]]``: each with a name, text fields and optional translations."""
    if not isinstance(raw, list):
        raise ConfigError("media_contacts must be a list of tables", where=where, hint="use [[media_contacts]]")
    contacts = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ConfigError("each [[media_contacts]] needs a name", where=where)
        translated: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        for key, value in item.items():
            if key == "translations":
                translated = list(_translations(value, "media_contacts.translations", _CONTACT_FIELDS, where))
                continue
            if key not in _CONTACT_FIELDS:
                raise unknown_key(f"media_contacts.{key}", key, (*_CONTACT_FIELDS, "translations"), where)
            if not isinstance(value, str):
                raise ConfigError(
                    f"media_contacts.{key} must be text, not {type(value).__name__}",
                    where=where,
                    hint='put the value in quotes, e.g. phone = "+852 3000 0101"',
                )
        contacts.append(
            MediaContact(
                **{k: str(item.get(k, "")) for k in ("name", "title", "organisation", "phone", "email")},
                translations=tuple(translated),
            )
        )
    return tuple(contacts)


def parse_greetings(email: dict[str, Any], source: str, where: str) -> EmailSettings:
    """``[email.greeting]``: a language tag to a greeting line; each remembers its line in the file (TOML
    parsers give none; a merge-field mistake in a greeting should point at it)."""
    table = email.get("greeting", {})
    if not isinstance(table, dict):
        raise ConfigError("email.greeting must be a table", where=where, hint='write [email.greeting] en = "Dear ..."')
    lines = source.splitlines()
    greetings = []
    for tag, line in table.items():
        tag = _tag(tag, "email.greeting", where)
        if not isinstance(line, str):
            raise ConfigError(
                f"email.greeting.{tag} must be text, not {type(line).__name__}",
                where=where,
                hint='write e.g. en = \'Dear {{ first_name or "editor" }},\'',
            )
        greetings.append(Greeting(tag=tag, text=line, line=line_of(lines, "[email.greeting]", tag)))
    return EmailSettings(greetings=tuple(greetings))


def _tag(tag: object, section: str, where: str) -> str:
    """A language tag heading a translation table: one pressctl has words for, or its first part (en, zh)."""
    given = str(tag)
    if given.lower() not in {t.lower() for t in _TAGS}:
        close = difflib.get_close_matches(given, _TAGS, n=1)
        raise ConfigError(
            f"{section}.{given}: unknown language {given!r}",
            where=where,
            hint=(f"did you mean {close[0]!r}? " if close else "") + "known: " + ", ".join(_TAGS),
        )
    return given


def _translations(
    value: object, section: str, fields: tuple[str, ...], where: str
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """``[<section>.<tag>]`` tables of text fields, checked: known tags, known keys, text values."""
    if not isinstance(value, dict):
        raise ConfigError(
            f"{section} must be tables", where=where, hint=f"write [{section}.zh-HK] with the fields in Chinese"
        )
    found = []
    for tag, table in value.items():
        tag = _tag(tag, section, where)
        if not isinstance(table, dict):
            raise ConfigError(f"{section}.{tag} must be a table", where=where, hint=f"write [{section}.{tag}]")
        for key, words in table.items():
            if key not in fields:
                raise unknown_key(f"{section}.{tag}.{key}", key, fields, where)
            if not isinstance(words, str):
                raise ConfigError(
                    f"{section}.{tag}.{key} must be text, not {type(words).__name__}",
                    where=where,
                    hint='put the value in quotes, e.g. key = "value"',
                )
        found.append((tag, tuple((k, str(v).strip()) for k, v in table.items() if str(v).strip())))
    return tuple(found)


def _style(table: dict[str, Any], key: str, default: str, where: str, *, font: bool = False) -> str:
    value = text(table, key, "brand", where, default).strip()
    if not (_FONT if font else _COLOUR).match(value):
        raise ConfigError(
            f"brand.{key} {value!r} is not a {'font family name' if font else 'colour'}",
            where=where,
            hint='write a family name such as "Noto Sans"' if font else 'write a colour such as "#0b5c74"',
        )
    return value
