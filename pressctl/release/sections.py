"""The parts of a release beyond its text: photos, About sections, media contacts and body images, each read
from the front matter (or the body) and checked. Pure (files are checked, not read)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from pressctl.assets import OUTSIDE_HINT, REMOTE_HINT, is_remote, outside
from pressctl.config import Workspace
from pressctl.config.organisation import MediaContact
from pressctl.errors import ReleaseError
from pressctl.release.fields import Fields, checked_path, resolve

__all__ = ["AboutSection", "Photo", "body_images", "parse_about", "parse_media_contacts", "parse_photos"]


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


def parse_photos(f: Fields, base: Path, roots: tuple[Path, ...]) -> tuple[Photo, ...]:
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
        src = resolve(base, item["src"], f, "photos", f"photo {i}", roots)
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


def parse_about(f: Fields, workspace: Workspace) -> tuple[AboutSection, ...]:
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


def parse_media_contacts(f: Fields, default: tuple[MediaContact, ...]) -> tuple[MediaContact, ...]:
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


def _image_error(src: str, line: str, problem: str) -> ReleaseError:
    return ReleaseError(f"body image {src[:80]!r} {problem}", where=line)


def body_images(body: str, body_line: int, base: Path, roots: tuple[Path, ...], where: str) -> dict[str, Path]:
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
            path = checked_path(base, unquote(src), functools.partial(_image_error, src, line))
            if outside(path, roots):
                raise ReleaseError(f"body image {src[:200]!r} is outside the workspace", where=line, hint=OUTSIDE_HINT)
            if not path.is_file():
                raise ReleaseError(f"body image {src[:200]!r} does not exist", where=line, hint=f"paths are relative to {base}")
            if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".gif", ".webp"):
                raise ReleaseError(f"body image {path.name!r} is not a JPEG, PNG, GIF or WebP image", where=line)
            images[src] = path
    return images
