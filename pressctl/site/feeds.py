"""Atom feeds (one per language, written with feedgen) and the sitemap, from the published list. Pure.

Entry ids are ``tag:`` URIs (RFC 4151) built from the organisation's domain and the page path, so they stay
the same when the site moves to another ``base_url``. Links are absolute with a ``base_url``, else relative
to the feed (which RFC 4287 allows). The sitemap protocol needs absolute URLs: without a ``base_url`` there is
no sitemap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

from pressctl.config import Workspace
from pressctl.languages.routing import locale_for
from pressctl.site import _reuse
from pressctl.site.pages import (
    IndexEntry,
    SiteFiles,
    page_name,
    site_languages,
    sorted_entries,
)

__all__ = ["feed_name", "render_feeds", "render_sitemap"]

FEED_LIMIT = 50  # entries per feed: readers poll it, so it stays small

_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_XHTML_NS = "http://www.w3.org/1999/xhtml"


def feed_name(language: str, workspace: Workspace) -> str:
    """``feed.xml`` for the workspace's language, ``feed.<lang>.xml`` for each other."""
    return "feed.xml" if language.lower() == workspace.language.lower() else f"feed.{language}.xml"


def _authority(workspace: Workspace, base_url: str | None) -> str:
    for url in (workspace.organisation.website, base_url or ""):
        host = urlsplit(url if "//" in url else f"//{url}").hostname if url else None
        if host:
            return host
    return "localhost"


def _tag(authority: str, day: dt.date, path: str) -> str:
    return f"tag:{authority},{day.isoformat()}:{path}"


def _href(base_url: str | None, path: str) -> str:
    return base_url.rstrip("/") + "/" + path if base_url else path


def render_feeds(
    entries: Sequence[IndexEntry], workspace: Workspace, *, now: dt.datetime, base_url: str | None = None
) -> SiteFiles:
    """An Atom feed per site language, the releases that have that language, newest first."""
    from feedgen.feed import FeedGenerator

    authority = _authority(workspace, base_url)
    files: SiteFiles = {}
    first_day = min((e.date for e in entries), default=now.date())
    for language in site_languages(entries, workspace):
        org = _reuse.organisation(workspace, language)
        name = feed_name(language, workspace)
        items = [(e, v) for e in sorted_entries(entries) if (v := e.version(language)) is not None][:FEED_LIMIT]
        fg = FeedGenerator()
        fg.id(_tag(authority, first_day, name))
        fg.title(f"{org.name} {locale_for(language).site.newsroom}")
        fg.author({"name": org.name, **({"uri": org.website} if org.website else {})})
        fg.link(href=_href(base_url, page_name(language, workspace.language)), rel="alternate", type="text/html")
        fg.link(href=_href(base_url, name), rel="self", type="application/atom+xml")
        fg.language(language)
        fg.generator("pressctl")
        updated = max((e.updated for e, _ in items), default=None)
        fg.updated(updated or now)
        for entry, version in reversed(items):  # feedgen prepends: add oldest first
            fe = fg.add_entry()
            fe.id(_tag(authority, entry.date, version.path))
            fe.title(version.title)
            fe.link(href=_href(base_url, version.path), rel="alternate", type="text/html")
            if version.pdf:
                fe.link(href=_href(base_url, version.pdf), rel="related", type="application/pdf")
            if version.summary:
                fe.summary(version.summary)
            fe.published(entry.published)
            fe.updated(entry.updated)
        files[name] = _entry_link_attributes(fg.atom_str(pretty=True))
    return files


def _entry_link_attributes(atom: bytes) -> bytes:
    """Put back the ``rel`` and ``type`` of entry links, which feedgen 1.0.0 drops (its ``atom_entry`` reuses
    the loop variable for the new element). Without them a PDF link would be a second ``alternate``."""
    from lxml import etree

    ns = "{http://www.w3.org/2005/Atom}"
    root = etree.fromstring(atom)
    for link in root.iterfind(f"{ns}entry/{ns}link"):
        if "rel" in link.attrib:
            continue
        pdf = link.get("href", "").endswith(".pdf")
        link.set("rel", "related" if pdf else "alternate")
        link.set("type", "application/pdf" if pdf else "text/html")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def render_sitemap(entries: Sequence[IndexEntry], workspace: Workspace, *, base_url: str | None) -> SiteFiles:
    """``sitemap.xml``: the index pages and every public release page, each with its language alternates."""
    if not base_url:
        return {}
    ET.register_namespace("", _SITEMAP_NS)
    ET.register_namespace("xhtml", _XHTML_NS)
    urlset = ET.Element(f"{{{_SITEMAP_NS}}}urlset")

    def add(path: str, lastmod: dt.datetime | None, alternates: list[tuple[str, str]]) -> None:
        url = ET.SubElement(urlset, f"{{{_SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{_SITEMAP_NS}}}loc").text = _href(base_url, path)
        if lastmod is not None:
            ET.SubElement(url, f"{{{_SITEMAP_NS}}}lastmod").text = (
                lastmod.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
            )
        if len(alternates) > 1:
            for lang, alt in alternates:
                ET.SubElement(
                    url, f"{{{_XHTML_NS}}}link", rel="alternate", hreflang=lang, href=_href(base_url, alt)
                )

    ordered = sorted_entries(entries)
    newest = max((e.updated for e in ordered), default=None)
    languages = site_languages(entries, workspace)
    index_alternates = [(locale_for(lang).html_lang, page_name(lang, workspace.language)) for lang in languages]
    for _, path in index_alternates:
        add(path, newest, index_alternates)
    for entry in ordered:
        alternates = [(locale_for(v.language).html_lang, v.path) for v in entry.versions]
        for version in entry.versions:
            add(version.path, entry.updated, alternates)
    ET.indent(urlset)
    data = ET.tostring(urlset, encoding="utf-8", xml_declaration=True)
    return {"sitemap.xml": data + b"\n"}
