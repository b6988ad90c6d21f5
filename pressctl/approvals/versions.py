"""A release's version as digests: per language its subject, email HTML, plain text, PDF and photos, and
one digest of its asset files; and what differs between two versions, said in words.

The digests do not depend on where the files are (a scheduled job renders from its private copy) nor on the
clock: every version is rendered as it goes at the lift (no EMBARGOED marking) with merge fields at their
fallbacks, and the PDF is named by its print HTML with each file it refers to replaced by that file's
digest (WeasyPrint's own output carries creation times).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pressctl.config import Workspace
from pressctl.digests import bytes_sha256, file_sha256
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan

__all__ = ["PARTS", "Version", "asset_files", "changes", "version_of"]

# A version's parts in every language, in the order a change is named.
PARTS = ("subject", "text", "email", "PDF", "photos")

_REFERENCE = re.compile(r"""((?:src|href)\s*=\s*["'])([^"']+)(["'])|(url\(\s*["']?)([^"')]+)(["']?\s*\))""")


@dataclass(frozen=True)
class Version:
    """What a release renders to now: ``digests[language][part]`` and ``assets`` (its files' bytes)."""

    digests: Mapping[str, Mapping[str, str]]
    assets: str


def asset_files(releases: Sequence[Release]) -> list[Path]:
    """The photos, attachments and body images of a release set, each once, in order."""
    found: dict[Path, None] = {}
    for release in releases:
        for photo in release.photos:
            found.setdefault(Path(photo.src), None)
        for attachment in release.attachments:
            found.setdefault(Path(attachment), None)
        for image in release.images.values():
            found.setdefault(Path(image), None)
    return list(found)


def _content(path: Path) -> str:
    try:
        return file_sha256(path)
    except OSError:
        return "unreadable"


def _located(html: str, base: Path) -> str:
    """The print HTML with each local file it refers to named by its content, not its place."""

    def swap(match: re.Match[str]) -> str:
        head, ref, tail = (match.group(1), match.group(2), match.group(3)) if match.group(1) else (
            match.group(4), match.group(5), match.group(6)
        )
        scheme = urlsplit(ref).scheme.lower()
        if scheme == "file":
            return f"{head}sha256:{_content(Path(unquote(urlsplit(ref).path)))}{tail}"
        if not scheme and ref and not ref.startswith("#"):
            return f"{head}sha256:{_content(base / unquote(urlsplit(ref).path))}{tail}"
        return match.group(0)

    return _REFERENCE.sub(swap, html)


def version_of(releases: Sequence[Release], workspace: Workspace) -> Version:
    """The version of a release set (main language first) as it renders now, in every language."""
    from pressctl.render.email import render_email
    from pressctl.render.names import without_pdf_link_slots
    from pressctl.render.pdf import print_html

    plan = MergePlan()
    digests: dict[str, dict[str, str]] = {}
    for release in releases:
        rendered = render_email(release, workspace, plan, embargoed=False, for_recipients=False)
        blank = plan.blank()
        html = MergePlan.apply(rendered.html, blank, escape_html=True)
        text = MergePlan.apply(rendered.text, blank, escape_html=False)
        text, html = without_pdf_link_slots(text, html)
        subject = MergePlan.apply(rendered.subject, blank, escape_html=False)
        scratch = MergePlan(fields=list(plan.fields), _by_source=dict(plan._by_source))
        printed = _located(print_html(release, workspace, scratch, embargoed=False), release.path.parent)
        photos = hashlib.sha256()
        for image in sorted(rendered.images, key=lambda i: i.cid):
            photos.update(image.cid.encode() + b"\0" + bytes_sha256(image.data).encode() + b"\0")
        for attachment in release.attachments:
            photos.update(Path(attachment).name.encode() + b"\0" + _content(Path(attachment)).encode() + b"\0")
        digests[release.language] = {
            "subject": bytes_sha256(subject.encode("utf-8", "surrogateescape")),
            "text": bytes_sha256(text.encode("utf-8", "surrogateescape")),
            "email": bytes_sha256(html.encode("utf-8", "surrogateescape")),
            "PDF": bytes_sha256(printed.encode("utf-8", "surrogateescape")),
            "photos": photos.hexdigest(),
        }
    assets = hashlib.sha256()
    for path in asset_files(releases):
        assets.update(path.name.encode("utf-8", "surrogateescape") + b"\0" + _content(path).encode() + b"\0")
    return Version(digests=digests, assets=assets.hexdigest())


def changes(approved: Mapping[str, Mapping[str, str]], now: Mapping[str, Mapping[str, str]]) -> list[str]:
    """What differs, one phrase per language (``"zh-HK text and PDF"``, ``"en subject"``,
    ``"a new version in zh-CN"``); empty when the versions are the same."""
    found: list[str] = []
    for language in [*now, *(lang for lang in approved if lang not in now)]:
        if language not in approved:
            found.append(f"a new version in {language}")
        elif language not in now:
            found.append(f"the {language} version was removed")
        else:
            parts = [part for part in PARTS if approved[language].get(part) != now[language].get(part)]
            if parts:
                words = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
                found.append(f"{language} {words}")
    return found
