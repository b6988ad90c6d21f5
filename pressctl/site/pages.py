"""What every newsroom page shares: the site's files (``SiteFiles``), where a release's pages live and what
each language's page is called, the published list (``IndexEntry``, ``IndexVersion``, ``index_versions``), and
the small helpers for links and dates. Pure: nothing here reads the clock or writes a file.

Every link inside the site is relative, so the folder works wherever it is served (a sub-path, a bucket,
``pressctl site serve``); absolute URLs (canonical, Open Graph, JSON-LD) appear only with a ``base_url``.
Merge fields show their fallbacks, as in the PDF. The pages themselves: ``release_page``, ``index_page``;
shared assets: ``branding``; photos: ``photos``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from pressctl.config import Workspace
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan
from pressctl.render.names import pdf_filename
from pressctl.site.photos import photo_names

__all__ = [
    "ASSETS",
    "IndexEntry",
    "IndexVersion",
    "PdfMaker",
    "SiteFiles",
    "absolute",
    "index_versions",
    "iso",
    "json_ld_script",
    "page_name",
    "release_folder",
    "site_languages",
    "sorted_entries",
    "up_from",
]

SiteFiles = dict[str, bytes]
PdfMaker = Callable[[Release, Workspace, MergePlan, bool], bytes]

ASSETS = "assets/"

def release_folder(release: Release) -> str:
    """Where a release's public pages live: ``releases/<date>-<slug>/``."""
    return f"releases/{release.date.isoformat()}-{release.slug}/"


def page_name(language: str, main_language: str) -> str:
    """``index.html`` in the main language, ``index.<lang>.html`` for each other."""
    return "index.html" if language.lower() == main_language.lower() else f"index.{language}.html"


def up_from(folder: str) -> str:
    """The relative way from ``folder`` (``a/b/``) back to the site's top (``../../``)."""
    return "../" * folder.count("/")


def absolute(base_url: str | None, path: str) -> str | None:
    if not base_url:
        return None
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def json_ld_script(data: Mapping[str, Any]) -> Markup:
    """JSON for a ``<script type="application/ld+json">``: nothing in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def index_versions(releases: Sequence[Release], *, folder: str) -> tuple[IndexVersion, ...]:
    """What the index, feeds and sitemap need of each language: title and summary (merge fields show
    their fallbacks), page, PDF and first photo paths. Must agree with ``render_release``'s file names."""
    if not folder.endswith("/"):
        folder += "/"
    main = releases[0]
    plan = MergePlan()
    photos = photo_names(releases)
    out = []
    for release in releases:
        title = plan.tokenize(release.title)
        summary = plan.tokenize(release.summary or release.subtitle)
        out.append(
            IndexVersion(
                language=release.language,
                title=title,
                summary=summary,
                path=folder + page_name(release.language, main.language),
                pdf=folder + pdf_filename(release.slug, release.language, main_language=main.language),
                image=folder + photos[release.photos[0].src][1] if release.photos else "",
            )
        )
    blank = plan.blank()
    return tuple(
        IndexVersion(
            language=v.language,
            title=MergePlan.apply(v.title, blank, escape_html=False),
            summary=MergePlan.apply(v.summary, blank, escape_html=False),
            path=v.path,
            pdf=v.pdf,
            image=v.image,
        )
        for v in out
    )


# --- the published list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexVersion:
    """One language of a published release, as the index and feeds list it."""

    language: str
    title: str
    summary: str
    path: str  # site-relative page path, e.g. releases/2030-03-12-sample/index.zh-HK.html
    pdf: str = ""
    image: str = ""  # site-relative path of the first photo (the original)


@dataclass(frozen=True)
class IndexEntry:
    """A published release: its date, when it was published and updated, and its versions (main first)."""

    slug: str
    date: dt.date
    published: dt.datetime
    updated: dt.datetime
    versions: tuple[IndexVersion, ...] = field(default_factory=tuple)

    def version(self, language: str) -> IndexVersion | None:
        for v in self.versions:
            if v.language.lower() == language.lower():
                return v
        return None


def site_languages(entries: Sequence[IndexEntry], workspace: Workspace) -> list[str]:
    """The workspace's language first, then every other language a published release has."""
    seen = [workspace.language]
    for entry in entries:
        for v in entry.versions:
            if v.language.lower() not in (s.lower() for s in seen):
                seen.append(v.language)
    return seen


def sorted_entries(entries: Sequence[IndexEntry]) -> list[IndexEntry]:
    """Newest first: by release date, then by first publication."""
    return sorted(entries, key=lambda e: (e.date, e.published, e.slug), reverse=True)
