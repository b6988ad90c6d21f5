"""Read and validate a release file (Markdown with YAML front matter) into a ``Release``; a release and its
translations as a set. Pure: no rendering. The front matter's YAML is read by ``frontmatter``, its values by
``fields``, photos, About sections, media contacts and body images by ``sections``."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pressctl.assets import roots_for
from pressctl.config import Workspace
from pressctl.config.organisation import MediaContact
from pressctl.embargo import under_embargo
from pressctl.errors import ReleaseError
from pressctl.languages.locale import Locale
from pressctl.languages.routing import locale_for, primary
from pressctl.languages.tags import normalise_language
from pressctl.limits import require_regular_file
from pressctl.release.characters import character_warnings, clean_file_text, clean_values, refuse_in_paths
from pressctl.release.dateline import body_dateline
from pressctl.release.fields import Fields, parse_date, parse_embargo, resolve
from pressctl.release.frontmatter import parse_yaml, split_front_matter
from pressctl.release.sections import (
    AboutSection,
    Photo,
    body_images,
    parse_about,
    parse_media_contacts,
    parse_photos,
)

__all__ = [
    "KNOWN_KEYS",
    "Release",
    "date_warnings",
    "load_release",
    "load_release_set",
    "read_release_text",
]

KNOWN_KEYS = (
    "title",
    "subtitle",
    "date",
    "dateline",
    "embargo",
    "timezone",
    "language",
    "summary",
    "subject",
    "photos",
    "about",
    "organisation",
    "media_contacts",
    "translations",
    "attachments",
    "draft",
)


@dataclass(frozen=True)
class Release:
    """One release in one language. ``body`` and ``about`` are Markdown; they may hold ``{{ merge }}`` fields."""

    path: Path
    slug: str
    title: str
    date: dt.date
    body: str
    body_line: int = 1  # line of the file where the body starts, for messages
    subtitle: str = ""
    dateline: str = ""
    embargo: dt.datetime | None = None  # aware
    timezone: str = "Asia/Hong_Kong"
    language: str = "en"
    summary: str = ""
    subject: str = ""
    photos: tuple[Photo, ...] = ()
    about: tuple[AboutSection, ...] = ()
    organisation: str = ""  # the organisation the release's own About text is about
    media_contacts: tuple[MediaContact, ...] = ()
    translations: Mapping[str, Path] = field(default_factory=dict)
    attachments: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()  # "file:line: what" lines worth a look; nothing stops
    # Body images: the Markdown ``src`` as written (after link normalisation) -> the checked file.
    images: Mapping[str, Path] = field(default_factory=dict)
    draft: bool = False  # a version no person has checked yet (``pressctl translate``): nothing sends it

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def locale(self) -> Locale:
        """The locale table's entry for this version: its words, fonts, dates and lang attribute."""
        return locale_for(self.language)

    def embargo_local(self) -> dt.datetime | None:
        """The embargo in the release's own time zone."""
        return self.embargo.astimezone(self.zone) if self.embargo else None

    def is_embargoed(self, now: dt.datetime) -> bool:
        """True while the embargo has not lifted at ``now`` (aware)."""
        return under_embargo(self.embargo, now)


def read_release_text(path: Path) -> str:
    """A release file's text, or one ``ReleaseError`` for a path that is missing, a folder, not a regular file
    (a FIFO would block the read), unreadable or not UTF-8: for loading, and before watching (``preview``)."""
    where = str(path)
    try:
        require_regular_file(path, what="release file", cls=ReleaseError)
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ReleaseError("file not found", where=where, hint="check the path") from None
    except IsADirectoryError:
        raise ReleaseError("is a folder, not a release file", where=where) from None
    except OSError as exc:
        raise ReleaseError(
            f"cannot read the file ({exc.strerror})", where=where, hint="check its permissions"
        ) from None
    except UnicodeDecodeError as exc:
        raise ReleaseError(
            f"not UTF-8 text (byte {exc.start})", where=where, hint="save the file as UTF-8"
        ) from None


def load_release(
    path: Path, workspace: Workspace, *, slug: str | None = None, language: str | None = None
) -> Release:
    """Read and validate one release file. Translations are listed, not loaded (see ``load_release_set``)."""
    path = Path(path)
    where = str(path)
    text = read_release_text(path)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    original = text
    text, found = clean_file_text(text)  # control characters: cleaned once, for every output (a warning)
    front, body, body_line = split_front_matter(text, where)
    data, lines = parse_yaml(front, where)
    refuse_in_paths(where, [h for h in found if h.line < body_line], original, key_lines=lines)
    data, escaped = clean_values(data)
    f = Fields(data, lines, where)

    for key in data:
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
            raise f.fail(
                str(key),
                f"unknown key '{key}'",
                hint=f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(KNOWN_KEYS),
            )

    title = f.text("title", required=True)
    date = parse_date(f)
    tz_name = f.text("timezone", workspace.timezone)
    try:
        zone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise f.fail(
            "timezone", f"unknown time zone {tz_name!r}", hint="use an IANA name such as Asia/Hong_Kong"
        ) from None
    lang_raw = f.text("language", language or workspace.language)
    lang = normalise_language(lang_raw, where=f.at("language"))
    if language is not None and lang.lower() != language.lower():
        # A translation file's own language must agree with the tag that points at it.
        raise f.fail(
            "language",
            f"language is {lang} but the release lists this file as its {language} translation",
            hint="make the two agree",
        )
    base = path.resolve().parent
    roots = roots_for(workspace.root, base, workspace.assets_allow)

    translations: dict[str, Path] = {}
    raw_tr = data.get("translations") or {}
    if not isinstance(raw_tr, dict):
        raise f.fail(
            "translations",
            "'translations' must map language tags to files",
            hint="write e.g. 'translations: {zh-HK: release.zh-HK.md}'",
        )
    for tag, file in raw_tr.items():
        canonical = normalise_language(str(tag), where=f.at("translations"))
        if canonical.lower() == lang.lower():
            raise f.fail("translations", f"translation {canonical} is the release's own language")
        translations[canonical] = resolve(base, file, f, "translations", f"translation {canonical}", roots)

    attachments_raw = data.get("attachments") or []
    if not isinstance(attachments_raw, list):
        raise f.fail("attachments", "'attachments' must be a list of files")
    attachments = tuple(resolve(base, a, f, "attachments", "attachment", roots) for a in attachments_raw)

    about = parse_about(f, workspace)
    if not body.strip():
        raise ReleaseError(
            "the release has no body text",
            where=f"{where}:{body_line}",
            hint="write the release below the closing '---'",
        )

    dateline = f.text("dateline")
    warnings = character_warnings(where, found, escaped, key_lines=lines, body_line=body_line)
    opening = body_dateline(body, dateline)
    if opening.doubt:
        skipped = len(body) - len(body.lstrip("\n"))
        line = body_line + body[:skipped].count("\n")
        warnings.append(
            f"{where}:{line}: the first paragraph opens with {opening.text!r}, which may be a dateline; "
            "pressctl puts its own dateline before it. To keep yours instead, set it off as "
            "'**Place, date** —' (or in brackets); otherwise remove it"
        )

    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        raise f.fail("draft", f"'draft' must be true or false, not {draft!r}", hint="remove the line once the version is checked")

    return Release(
        path=path.resolve(),
        draft=draft,
        slug=slug or _slug(path),
        title=title,
        date=date,
        body=body,
        body_line=body_line,
        subtitle=f.text("subtitle"),
        dateline=dateline,
        embargo=parse_embargo(f, zone),
        timezone=tz_name,
        language=lang,
        summary=f.text("summary"),
        subject=f.text("subject") or title,
        photos=parse_photos(f, base, roots),
        about=about,
        organisation=f.text("organisation"),
        media_contacts=parse_media_contacts(f, workspace.media_contacts),
        translations=translations,
        attachments=attachments,
        warnings=tuple(warnings),
        images=body_images(body, body_line, base, roots, where),
    )


STALE_AFTER_DAYS = 30


def date_warnings(releases: list[Release], today: dt.date) -> list[str]:
    """Warnings about the release's date as of ``today``: long past (an old file sent again?).

    The main release's date speaks for the set; a translation with another date has its own warning.
    """
    if not releases or (today - releases[0].date).days <= STALE_AFTER_DAYS:
        return []
    main = releases[0]
    return [
        f"{main.path}: 'date' {main.date} is {(today - main.date).days} days ago; "
        "check that this is the release you mean, and update its date"
    ]


def _organisation_words_missing(workspace: Workspace, language: str) -> str:
    """Why a version would name the organisation as written in ``[organisation]``, though pressctl.toml has
    its words for another variant of the same language (a zh-CN version, only ``zh-HK`` words); or ""."""
    org = workspace.organisation
    tags = [tag for tag, _ in org.translations]
    if org.in_language(language) is not org or primary(language) not in {primary(tag) for tag in tags}:
        return ""
    near = ", ".join(f"[organisation.translations.{tag}]" for tag in tags if primary(tag) == primary(language))
    return (
        f"pressctl.toml has {near} but none for {language}: this version names the organisation as "
        f"[organisation] writes it; add [organisation.translations.{language}]"
    )


def _slug(path: Path) -> str:
    stem = path.name.split(".")[0] if path.suffix else path.name
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-").lower()
    return slug or "release"


def load_release_set(path: Path, workspace: Workspace, *, only: str | None = None) -> list[Release]:
    """The release and each of its translations, main language first. ``only`` keeps one language."""
    main = load_release(path, workspace)
    releases = [main]
    for tag, file in main.translations.items():
        tr = load_release(file, workspace, slug=main.slug, language=tag)
        # A translation inherits what it doesn't say itself: the embargo must be the same moment.
        if tr.embargo != main.embargo:
            if tr.embargo is None:
                tr = replace(tr, embargo=main.embargo)
            else:
                raise ReleaseError(
                    f"embargo differs from the main release's ({main.embargo})",
                    where=str(file),
                    hint="remove 'embargo' from the translation or make it the same moment",
                )
        if not tr.photos and main.photos:
            tr = replace(tr, photos=main.photos)
        missing = _organisation_words_missing(workspace, tr.language)
        if missing:
            tr = replace(tr, warnings=(*tr.warnings, f"{file}: {missing}"))
        releases.append(tr)
    if only is not None:
        tag = normalise_language(only)
        releases = [r for r in releases if r.language.lower() == tag.lower()]
        if not releases:
            raise ReleaseError(
                f"the release has no {tag} version",
                where=str(path),
                hint="available: " + ", ".join([main.language, *main.translations]),
            )
    return releases
