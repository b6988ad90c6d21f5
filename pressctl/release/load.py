"""Read and validate a release file (Markdown with YAML front matter) into a ``Release``. Pure: no rendering."""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import itertools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from pressctl.assets import OUTSIDE_HINT, REMOTE_HINT, is_remote, outside, roots_for
from pressctl.clock import system_clock
from pressctl.config import Workspace
from pressctl.config.organisation import MediaContact
from pressctl.embargo import under_embargo
from pressctl.errors import ReleaseError
from pressctl.languages import normalise_language, wording
from pressctl.limits import require_regular_file
from pressctl.release.characters import character_warnings, clean_file_text, clean_values, refuse_in_paths
from pressctl.release.dateline import body_dateline
from pressctl.release.markdown import is_wide
from pressctl.times import format_local, parse_local_time, time_problem

__all__ = [
    "AboutSection",
    "Photo",
    "Release",
    "date_warnings",
    "load_release",
    "load_release_set",


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
)


@dataclass(frozen=True)
class Photo:
    src: Path
    caption: str = ""
    alt: str = ""
    credit: str = ""  # who took it ("Photo: HVSP / Jane Lee"), shown on the newsroom page


@dataclass(frozen=True)
class AboutSection:
    """One "About ..." section. ``organisation`` heads it ("About X"); empty gives a plain "About".

    ``workspace`` marks the workspace's own About text (pressctl.toml): it is shown in the release's
    language from ``[organisation.translations.<tag>]`` and headed with the workspace's name.
    """

    text: str
    organisation: str = ""
    workspace: bool = False


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

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_chinese(self) -> bool:
        return wording(self.language) == "zh"

    def embargo_local(self) -> dt.datetime | None:
        """The embargo in the release's own time zone."""
        return self.embargo.astimezone(self.zone) if self.embargo else None

    def is_embargoed(self, now: dt.datetime) -> bool:
        """True while the embargo has not lifted at ``now`` (aware)."""
        return under_embargo(self.embargo, now)


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1's traps: yes/no/on/off stay text, and so does 12:30 (not 750)."""


_Loader.yaml_implicit_resolvers = {
    key: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
    ]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.copy().items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)



def _timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    # An impossible date (2030-02-30) makes PyYAML raise a bare ValueError; keep it as text so the
    # date or embargo check reports it with its line, instead of an internal error.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


def _text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """A text value; where YAML folded a line break into a space between two wide (CJK) characters
    (``>-``, or a plain or quoted value over several lines), the space is dropped: Chinese has no spaces
    between words, and "公布， 對創科界" showed one in the caption. Literal blocks (``|``) keep their lines."""
    value = loader.construct_scalar(node)
    if node.style == "|" or node.start_mark.line == node.end_mark.line or not isinstance(value, str):
        return value
    raw = str(node.start_mark.buffer or "")[node.start_mark.index : node.end_mark.index]
    lines = raw.splitlines()[1 if node.style == ">" else 0 :]
    for above, below in itertools.pairwise(lines):
        a, b = above.rstrip(), below.lstrip()
        if a and b and is_wide(a[-1]) and is_wide(b[0]):
            value = value.replace(f"{a[-1]} {b[0]}", a[-1] + b[0])
    return value


_Loader.add_constructor("tag:yaml.org,2002:str", _text)

def _split_front_matter(text: str, where: str) -> tuple[str, str, int]:
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ReleaseError(
            "no front matter",
            where=f"{where}:1",
            hint="start the file with a line '---', the YAML keys (title, date, ...), then '---'",
        )
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "".join(lines[1:i]), "".join(lines[i + 1 :]), i + 2
    raise ReleaseError(
        "front matter is not closed", where=f"{where}:1", hint="add a line '---' after the last YAML key"
    )


def _parse_yaml(source: str, where: str) -> tuple[dict[str, Any], dict[str, int]]:
    """Parse the front matter; also return the file line of each top-level key."""
    try:
        node = yaml.compose(source, Loader=_Loader)
        data = yaml.load(source, Loader=_Loader) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 2) if mark else 1  # +1 for 0-based, +1 for the opening ---
        problem = exc.problem or exc.context or "invalid YAML"
        raise ReleaseError(
            f"front matter is not valid YAML: {problem}",
            where=f"{where}:{line}",
            hint="check indentation, and quote values that contain ': ' or start with a special character",
        ) from None
    except yaml.YAMLError as exc:
        problem = " ".join(str(exc).split())  # one line: a reader error names its position on a second
        raise ReleaseError(f"front matter is not valid YAML: {problem}", where=where) from None
    except RecursionError:  # [[[[... a thousand levels deep: no release needs that
        raise ReleaseError(
            "front matter nests lists or tables too deeply", where=where, hint="write the keys as a release has them"
        ) from None
    if not isinstance(data, dict):
        raise ReleaseError(
            "front matter must be YAML keys and values", where=f"{where}:2", hint="write e.g. 'title: ...'"
        )
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key, line = str(key_node.value), key_node.start_mark.line + 2
            if key in lines:
                # YAML keeps the last silently; a second 'embargo:' left from an edit could lift an embargo early.
                raise ReleaseError(
                    f"'{key}' is given twice (lines {lines[key]} and {line})",
                    where=f"{where}:{line}",
                    hint="keep one of them",
                )
            lines[key] = line
    return data, lines


class _Fields:
    """Typed access to front-matter values, with errors that point at the key's line."""

    def __init__(self, data: dict[str, Any], lines: dict[str, int], where: str) -> None:
        self.data, self.lines, self.file = data, lines, where

    def at(self, key: str) -> str:
        return f"{self.file}:{self.lines.get(key, 1)}"

    def fail(self, key: str, what: str, hint: str | None = None) -> ReleaseError:
        return ReleaseError(what, where=self.at(key), hint=hint)

    def text(self, key: str, default: str = "", *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                raise ReleaseError(
                    f"'{key}' is missing",
                    where=f"{self.file}:1",
                    hint=f"add '{key}: ...' to the front matter",
                )
            return default
        if isinstance(value, (dict, list)):
            raise self.fail(key, f"'{key}' must be text", hint="write it on one line, or as a YAML block (|)")
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        value = str(value).strip()
        if required and not value:
            raise self.fail(key, f"'{key}' is empty", hint=f"give the release a {key}")
        return value


# Dates beyond this are typing mistakes (9999 for 2029), and near datetime.max every later step (time
# zones, arithmetic, formatting) would overflow. Measured from the machine's clock, a sanity bound only.
MAX_YEARS_AHEAD = 10
EARLIEST_YEAR = 1970


def _too_far(day: dt.date) -> str | None:
    """Why ``day`` is absurd (before 1970, or more than MAX_YEARS_AHEAD years from today), or None."""
    today = system_clock().date()
    if day.year < EARLIEST_YEAR:
        return f"is before {EARLIEST_YEAR}"
    if day.year > today.year + MAX_YEARS_AHEAD or (day - today).days > 366 * MAX_YEARS_AHEAD:
        return f"is more than {MAX_YEARS_AHEAD} years ahead"
    return None


def _parse_date(f: _Fields) -> dt.date:
    day = _parse_date_value(f)
    problem = _too_far(day)
    if problem:
        raise f.fail("date", f"'date' {day.isoformat()} {problem}", hint="check the year")
    return day


def _parse_date_value(f: _Fields) -> dt.date:
    value = f.data.get("date")
    if value is None:
        raise ReleaseError(
            "'date' is missing", where=f"{f.file}:1", hint="add 'date: YYYY-MM-DD' to the front matter"
        )
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise f.fail(
            "date", f"'date' {value!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2026-03-12"
        ) from None


def _parse_embargo(f: _Fields, zone: ZoneInfo) -> dt.datetime | None:
    value = f.data.get("embargo")
    if value is None or value == "":
        return None
    try:
        moment = parse_local_time(value, zone)
    except (ValueError, OverflowError) as exc:
        raise f.fail(
            "embargo",
            f"'embargo' {str(value)!r} is not a usable date-time ({time_problem(exc)})",
            hint=(
                "write it as ISO 8601 with an offset (2030-03-12T10:00:00+08:00), or as a local time in "
                f"{zone.key}, alone or with its own abbreviation ({_example_local(zone)})"
            ),
        ) from None
    # Checked on the local date before any arithmetic: 9999-12-31T23:59:59-05:00 overflows in UTC.
    problem = _too_far(moment.date())
    if problem:
        raise f.fail("embargo", f"'embargo' {moment.isoformat()} {problem}", hint="check the year")
    return moment


def _example_local(zone: ZoneInfo) -> str:
    """``2030-03-12 10:00 HKT``: a local time written as the embargo line accepts it in ``zone``."""
    return format_local(dt.datetime(2030, 3, 12, 10, tzinfo=zone), zone)


def _resolve(base: Path, value: Any, f: _Fields, key: str, what: str, roots: tuple[Path, ...]) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise f.fail(key, f"{what} must be a file path")
    if is_remote(value):
        raise f.fail(key, f"{what} {value!r} is not a file in the workspace", hint=REMOTE_HINT)
    path = _checked_path(base, value.strip(), lambda problem: f.fail(key, f"{what} {value[:80]!r} {problem}"))
    if outside(path, roots):
        # Absolute, ../ or a symlink out: a release could otherwise attach /etc/shadow or /proc/self/environ.
        raise f.fail(key, f"{what} {value!r} is outside the workspace", hint=OUTSIDE_HINT)
    if path.is_dir():
        raise f.fail(key, f"{what} {value!r} is a folder, not a file", hint="name the file inside it")
    if path.exists() and not path.is_file():
        # A FIFO would block whoever reads it (the PDF cache, the snapshot, the message builder).
        raise f.fail(key, f"{what} {value!r} is not a regular file (a pipe or a device)", hint="name a regular file")
    if not path.is_file():
        raise f.fail(key, f"{what} {value!r} does not exist", hint=f"paths are relative to {base}")
    if not os.access(path, os.R_OK):
        raise f.fail(key, f"{what} {value!r} cannot be read (permission denied)", hint="check its permissions")
    return path


def _checked_path(base: Path, value: str, fail: Callable[[str], ReleaseError]) -> Path:
    """``base / value`` resolved, or ``fail(problem)`` for a name no file can have (NUL, too long)."""
    if "\0" in value:
        raise fail("holds a NUL character, which no file name can")
    try:
        path = (base / value).resolve()
        path.is_file()  # ENAMETOOLONG and friends surface here
        return path
    except (OSError, ValueError) as exc:
        raise fail(f"is not a usable file name ({getattr(exc, 'strerror', None) or exc})") from None


def _parse_photos(f: _Fields, base: Path, roots: tuple[Path, ...]) -> tuple[Photo, ...]:
    raw = f.data.get("photos") or []
    if not isinstance(raw, list):
        raise f.fail("photos", "'photos' must be a list", hint="write each photo as '- src: file.jpg'")
    photos = []
    for i, item in enumerate(raw, start=1):
        if isinstance(item, str):
            item = {"src": item}
        if not isinstance(item, dict) or "src" not in item:
            raise f.fail(
                "photos", f"photo {i} needs a 'src'", hint="write '- src: photo.jpg' with caption and alt"
            )
        unknown = set(item) - {"src", "caption", "alt", "credit"}
        if unknown:
            raise f.fail(
                "photos",
                f"photo {i} has unknown key(s) {', '.join(sorted(map(str, unknown)))}",
                hint="use src, caption, alt and credit",
            )
        src = _resolve(base, item["src"], f, "photos", f"photo {i}", roots)
        if src.suffix.lower() not in (".jpg", ".jpeg", ".png", ".gif", ".webp"):
            raise f.fail("photos", f"photo {i} {src.name!r} is not a JPEG, PNG, GIF or WebP image")
        for key in ("caption", "alt", "credit"):
            # A list here would reach readers (and screen readers) as Python's "['...']".
            if item.get(key) is not None and not isinstance(item[key], str | int | float):
                raise f.fail("photos", f"photo {i}: '{key}' must be text", hint="write it on one line, or as a YAML block (>-)")
        caption = str(item.get("caption") or "").strip()
        alt = str(item.get("alt") or "").strip() or caption
        if not alt:
            raise f.fail(
                "photos",
                f"photo {i} has neither alt text nor a caption",
                hint="add 'alt:' describing the photo for readers who can't see it",
            )
        credit = str(item.get("credit") or "").strip()
        photos.append(Photo(src=src, caption=caption, alt=alt, credit=credit))
    return tuple(photos)


def _parse_about(f: _Fields, workspace: Workspace) -> tuple[AboutSection, ...]:
    """``about`` as text (about the release's ``organisation``), a list of sections, or the workspace's."""
    organisation = f.text("organisation")
    raw = f.data.get("about")
    if raw is None:
        text = workspace.organisation.about
        return (AboutSection(text, workspace.organisation.name, workspace=True),) if text.strip() else ()
    if isinstance(raw, list):
        sections = []
        for i, item in enumerate(raw, start=1):
            if isinstance(item, str):
                item = {"text": item}
            if not isinstance(item, dict):
                raise f.fail(
                    "about",
                    f"about section {i} must be 'organisation:' and 'text:'",
                    hint="write each as '- organisation: Name' with 'text: ...' below it",
                )
            unknown = set(item) - {"organisation", "text"}
            if unknown:
                raise f.fail(
                    "about",
                    f"about section {i} has unknown key(s) {', '.join(sorted(map(str, unknown)))}",
                    hint="use organisation and text",
                )
            for key in ("organisation", "text"):
                if item.get(key) is not None and not isinstance(item[key], str | int | float):
                    raise f.fail("about", f"about section {i}: '{key}' must be text", hint="write it as text, or as a YAML block (|)")
            text = str(item.get("text") or "").strip()
            if not text:
                raise f.fail("about", f"about section {i} has no text", hint="add 'text: ...' or remove the section")
            name = str(item.get("organisation") or "").strip()
            sections.append(AboutSection(text, name or organisation))
        return tuple(sections)
    text = f.text("about")
    return (AboutSection(text, organisation),) if text else ()


def _parse_media_contacts(f: _Fields, default: tuple[MediaContact, ...]) -> tuple[MediaContact, ...]:
    raw = f.data.get("media_contacts")
    if raw is None:
        return default
    if not isinstance(raw, list):
        raise f.fail("media_contacts", "'media_contacts' must be a list", hint="write each as '- name: ...'")
    out = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not str(item.get("name") or "").strip():
            raise f.fail("media_contacts", f"media contact {i} needs a name")
        for key in ("name", "title", "organisation", "phone", "email"):
            value = item.get(key)
            # A list or mapping here would print as Python's repr ("[1]") on every copy of the release.
            if value is not None and not isinstance(value, str | int | float):
                raise f.fail(
                    "media_contacts",
                    f"media contact {i}: '{key}' must be text",
                    hint=f"write it as text on one line, e.g. '{key}: ...'",
                )
        unknown = set(item) - {"name", "title", "organisation", "phone", "email"}
        if unknown:
            raise f.fail(
                "media_contacts",
                f"media contact {i} has unknown key(s) {', '.join(sorted(map(str, unknown)))}",
                hint="use name, title, organisation, phone and email",
            )
        text = {k: str(item.get(k) or "").strip() for k in ("name", "title", "organisation", "phone", "email")}
        out.append(
            MediaContact(
                name=text["name"],
                title=text["title"],
                organisation=text["organisation"],
                phone=text["phone"],
                email=text["email"],
            )
        )
    return tuple(out)


def load_release(
    path: Path, workspace: Workspace, *, slug: str | None = None, language: str | None = None
) -> Release:
    """Read and validate one release file. Translations are listed, not loaded (see ``load_release_set``)."""
    path = Path(path)
    where = str(path)
    try:
        require_regular_file(path, what="release file", cls=ReleaseError)  # a FIFO would block the read
        text = path.read_text(encoding="utf-8-sig")
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
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    original = text
    text, found = clean_file_text(text)  # control characters: cleaned once, for every output (a warning)
    front, body, body_line = _split_front_matter(text, where)
    data, lines = _parse_yaml(front, where)
    refuse_in_paths(where, [h for h in found if h.line < body_line], original, key_lines=lines)
    data, escaped = clean_values(data)
    f = _Fields(data, lines, where)

    for key in data:
        if key not in KNOWN_KEYS:
            close = difflib.get_close_matches(str(key), KNOWN_KEYS, n=1)
            raise f.fail(
                str(key),
                f"unknown key '{key}'",
                hint=f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(KNOWN_KEYS),
            )

    title = f.text("title", required=True)
    date = _parse_date(f)
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
        translations[canonical] = _resolve(base, file, f, "translations", f"translation {canonical}", roots)

    attachments_raw = data.get("attachments") or []
    if not isinstance(attachments_raw, list):
        raise f.fail("attachments", "'attachments' must be a list of files")
    attachments = tuple(_resolve(base, a, f, "attachments", "attachment", roots) for a in attachments_raw)

    about = _parse_about(f, workspace)
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

    return Release(
        path=path.resolve(),
        slug=slug or _slug(path),
        title=title,
        date=date,
        body=body,
        body_line=body_line,
        subtitle=f.text("subtitle"),
        dateline=dateline,
        embargo=_parse_embargo(f, zone),
        timezone=tz_name,
        language=lang,
        summary=f.text("summary"),
        subject=f.text("subject") or title,
        photos=_parse_photos(f, base, roots),
        about=about,
        organisation=f.text("organisation"),
        media_contacts=_parse_media_contacts(f, workspace.media_contacts),
        translations=translations,
        attachments=attachments,
        warnings=tuple(warnings),
        images=_body_images(body, body_line, base, roots, where),
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


def _image_error(src: str, line: str, problem: str) -> ReleaseError:
    return ReleaseError(f"body image {src[:80]!r} {problem}", where=line)


def _body_images(body: str, body_line: int, base: Path, roots: tuple[Path, ...], where: str) -> dict[str, Path]:
    """Each ``![alt](src)`` of the body, checked: a file inside the workspace, never a URL."""
    from urllib.parse import unquote

    from pressctl.release.markdown import parse

    images: dict[str, Path] = {}
    for block in parse(body):
        for tok in block.children or ():
            if tok.type != "image":
                continue
            src = str(tok.attrGet("src") or "")
            line = f"{where}:{body_line + (block.map[0] if block.map else 0)}"
            if not src.strip():
                raise ReleaseError("a body image has no file", where=line, hint="write ![description](photos/file.jpg)")
            if is_remote(src):
                raise ReleaseError(
                    f"body image {src[:200]!r} is not a file in the workspace (pressctl fetches nothing from the network)",
                    where=line,
                    hint=REMOTE_HINT,
                )
            path = _checked_path(base, unquote(src), functools.partial(_image_error, src, line))
            if outside(path, roots):
                raise ReleaseError(f"body image {src[:200]!r} is outside the workspace", where=line, hint=OUTSIDE_HINT)
            if not path.is_file():
                raise ReleaseError(f"body image {src[:200]!r} does not exist", where=line, hint=f"paths are relative to {base}")
            if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".gif", ".webp"):
                raise ReleaseError(f"body image {path.name!r} is not a JPEG, PNG, GIF or WebP image", where=line)
            images[src] = path
    return images


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
        if tr.date != main.date:
            tr = replace(
                tr,
                warnings=(
                    *tr.warnings,
                    f"{file}: 'date' {tr.date} differs from the main release's ({main.date}); "
                    "check that the translation is of this version",
                ),
            )
        if not tr.photos and main.photos:
            tr = replace(tr, photos=main.photos)
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
