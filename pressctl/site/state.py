"""The site's state: which releases are published (and where), and each release's preview token.

A small JSON file, by default ``.pressctl/site.json`` in the workspace: not inside the site folder, because
that folder is served and deployed as it is, and the preview tokens in here must not be public. The index,
feeds and sitemap are regenerated from it. Written atomically (a temporary file, then a rename).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pressctl.atomic import write_atomic
from pressctl.errors import InputError
from pressctl.private import STATE_DIR_NAME, private_dir
from pressctl.site.pages import IndexEntry, IndexVersion

__all__ = ["PreviewRecord", "PublishedRecord", "SiteState", "load_state", "save_state"]

STATE_VERSION = 1


@dataclass(frozen=True)
class PublishedRecord:
    """A release on the public site: its folder, its versions and every file written for it."""

    slug: str
    date: dt.date
    folder: str  # releases/<date>-<slug>/
    published: dt.datetime
    updated: dt.datetime
    versions: tuple[IndexVersion, ...]
    paths: tuple[str, ...]  # every file of the release, relative to the site folder
    source: str = ""  # the release file it came from, for messages

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(v.language for v in self.versions)

    def entry(self) -> IndexEntry:
        return IndexEntry(
            slug=self.slug, date=self.date, published=self.published, updated=self.updated, versions=self.versions
        )


@dataclass(frozen=True)
class PreviewRecord:
    """A release's unguessable preview: ``preview/<token>/``. The token outlives unpublishing the preview."""

    token: str
    paths: tuple[str, ...] = ()
    updated: dt.datetime | None = None

    @property
    def folder(self) -> str:
        return f"preview/{self.token}/"


@dataclass
class SiteState:
    published: dict[str, PublishedRecord] = field(default_factory=dict)  # by slug
    previews: dict[str, PreviewRecord] = field(default_factory=dict)  # by slug
    site_paths: tuple[str, ...] = ()  # the shared files last written: assets, index pages, feeds, sitemap

    def entries(self) -> list[IndexEntry]:
        return [r.entry() for r in self.published.values()]

    def set_preview_paths(self, slug: str, paths: tuple[str, ...], updated: dt.datetime | None) -> None:
        self.previews[slug] = replace(self.previews[slug], paths=paths, updated=updated)


def _time(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _to_json(state: SiteState) -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "published": {
            slug: {
                "slug": r.slug,
                "date": r.date.isoformat(),
                "folder": r.folder,
                "published": r.published.isoformat(),
                "updated": r.updated.isoformat(),
                "source": r.source,
                "languages": list(r.languages),
                "versions": [
                    {
                        "language": v.language,
                        "title": v.title,
                        "summary": v.summary,
                        "path": v.path,
                        "pdf": v.pdf,
                        "image": v.image,
                    }
                    for v in r.versions
                ],
                "paths": list(r.paths),
            }
            for slug, r in sorted(state.published.items())
        },
        "previews": {
            slug: {
                "token": p.token,
                "paths": list(p.paths),
                "updated": p.updated.isoformat() if p.updated else None,
            }
            for slug, p in sorted(state.previews.items())
        },
        "site_paths": list(state.site_paths),
    }


def _from_json(data: Any) -> SiteState:
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        raise ValueError("not a pressctl site state (version 1)")
    state = SiteState()
    for slug, r in dict(data.get("published", {})).items():
        state.published[slug] = PublishedRecord(
            slug=str(r["slug"]),
            date=dt.date.fromisoformat(r["date"]),
            folder=str(r["folder"]),
            published=_time(r["published"]),
            updated=_time(r["updated"]),
            source=str(r.get("source", "")),
            versions=tuple(
                IndexVersion(
                    language=str(v["language"]),
                    title=str(v["title"]),
                    summary=str(v.get("summary", "")),
                    path=str(v["path"]),
                    pdf=str(v.get("pdf", "")),
                    image=str(v.get("image", "")),
                )
                for v in r["versions"]
            ),
            paths=tuple(str(p) for p in r.get("paths", [])),
        )
    for slug, p in dict(data.get("previews", {})).items():
        state.previews[slug] = PreviewRecord(
            token=str(p["token"]),
            paths=tuple(str(x) for x in p.get("paths", [])),
            updated=_time(p["updated"]) if p.get("updated") else None,
        )
    state.site_paths = tuple(str(p) for p in data.get("site_paths", []))
    return state


def load_state(path: Path) -> SiteState:
    """The state at ``path``; an empty one when the file does not exist yet."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return SiteState()
    except OSError as exc:
        raise InputError(
            f"cannot read the site state ({exc.strerror or exc})", where=str(path), hint="check its permissions"
        ) from None
    try:
        return _from_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(
            f"the site state is damaged ({exc})",
            where=str(path),
            hint="restore it from a backup; deleting it forgets what is published and every preview link",
        ) from None


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable by its owner only (``.pressctl/`` made private first)."""
    if path.parent.name == STATE_DIR_NAME:
        private_dir(path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, data, mode=0o600)


def save_state(path: Path, state: SiteState) -> None:
    """Write the state atomically, readable by its owner only (it holds the preview tokens)."""
    text = json.dumps(_to_json(state), ensure_ascii=False, indent=1) + "\n"
    _write_private(path, text.encode("utf-8"))
