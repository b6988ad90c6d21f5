"""A release set's newsroom files: a page and a PDF per language, each photo at web size and as the
original, Open Graph and JSON-LD when the site has a ``base_url``. Pure: the PDF maker is passed in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pressctl.config import Workspace
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan
from pressctl.render.names import pdf_filename
from pressctl.render.words import format_date
from pressctl.site import _reuse
from pressctl.site.branding import brand_context, logo_context
from pressctl.site.pages import (
    PdfMaker,
    SiteFiles,
    absolute,
    iso,
    json_ld_script,
    page_name,
    up_from,
)
from pressctl.site.photos import file_size, photo_files

__all__ = ["render_release"]


@dataclass(frozen=True)
class _Version:
    release: Release
    page: str  # file name inside the folder
    pdf: str
    title: str
    summary: str


def render_release(
    releases: Sequence[Release],
    workspace: Workspace,
    *,
    folder: str,
    embargoed: bool,
    preview: bool,
    published: dt.datetime,
    updated: dt.datetime,
    base_url: str | None = None,
    make_pdf: PdfMaker | None = None,
    plan: MergePlan | None = None,
) -> SiteFiles:
    """A release set's files under ``folder`` (``releases/<date>-<slug>/`` or ``preview/<token>/``).

    Per language a page (``index.html`` for the main language, ``index.<lang>.html`` for each translation)
    and its PDF (``<slug>.pdf`` / ``<slug>.<lang>.pdf``); each photo at web size and as the original.
    ``embargoed`` marks pages and PDFs EMBARGOED; ``preview`` adds ``noindex`` and the advance-copy notice.
    Shared assets (CSS, logo) come from ``render_assets``.
    """
    if not releases:
        raise ValueError("no releases to render")
    if not folder.endswith("/"):
        folder += "/"
    if make_pdf is None:
        from pressctl.render.pdf import render_pdf

        def make_pdf(release: Release, ws: Workspace, plan: MergePlan, embargoed: bool) -> bytes:
            return render_pdf(release, ws, plan, embargoed=embargoed)

    plan = plan if plan is not None else MergePlan()
    main = releases[0]
    up = up_from(folder)
    photos = photo_files(releases)
    files: SiteFiles = {}
    for p in photos.values():
        files[folder + p.web] = p.web_image.data
        files[folder + p.original] = p.original_bytes

    rendered: list[tuple[_Version, Any]] = []
    for release in releases:
        parts = _reuse.parts(release, workspace, plan, embargoed=embargoed)
        version = _Version(
            release=release,
            page=page_name(release.language, main.language),
            pdf=pdf_filename(release.slug, release.language, main_language=main.language),
            title=str(parts.title),
            summary=str(parts.summary),
        )
        files[folder + version.pdf] = make_pdf(release, workspace, plan, embargoed)
        rendered.append((version, parts))

    blank = plan.blank()

    def plain(text: str) -> str:
        return MergePlan.apply(text, blank, escape_html=False)

    alternates = [
        {
            "lang": v.release.locale.html_lang,
            "name": v.release.locale.own_name,
            "href": v.page,
            "url": absolute(base_url, folder + v.page),
        }
        for v, _ in rendered
    ]
    logo = logo_context(workspace, up)
    for version, parts in rendered:
        release = version.release
        locale = release.locale
        labels = locale.labels
        # In the page's language, as in its PDF and email ([media_contacts.translations.<tag>]).
        contacts = _reuse.media_contacts(release, workspace)
        org = _reuse.organisation(workspace, release.language)
        url = absolute(base_url, folder + version.page)
        page_photos = []
        for photo in release.photos:
            pf = photos[photo.src]
            width, height = pf.original_size
            page_photos.append(
                {
                    "src": pf.web,
                    "width": pf.web_image.width,
                    "height": pf.web_image.height,
                    "alt": photo.alt,
                    "caption": photo.caption,
                    "credit": photo.credit,
                    "download": pf.original,
                    "download_label": f"{pf.original_type}, {width} × {height} px, {file_size(len(pf.original_bytes))}",
                    "url": absolute(base_url, folder + pf.web),
                }
            )
        title, summary = plain(version.title), plain(version.summary)
        images = [p["url"] for p in page_photos if p["url"]]
        json_ld: dict[str, Any] = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title[:110],
            "description": summary,
            "inLanguage": release.language,
            "datePublished": iso(published),
            "dateModified": iso(updated),
            "author": {"@type": "Organization", "name": org.name},
            "publisher": {"@type": "Organization", "name": org.name},
        }
        if org.website:
            json_ld["author"]["url"] = org.website
            json_ld["publisher"]["url"] = org.website
        if logo is not None and base_url:
            json_ld["publisher"]["logo"] = {"@type": "ImageObject", "url": absolute(base_url, logo["src"][len(up):])}
        if images:
            json_ld["image"] = images
        if url:
            json_ld["mainEntityOfPage"] = url
            json_ld["url"] = url
        context = {
            **brand_context(workspace),
            "lang": locale.html_lang,
            "is_chinese": locale.cjk,
            "cjk_span_lang": locale.cjk_spans,
            "labels": labels,
            "site": locale.site,
            "org": org,
            "up": up,
            "logo": logo,
            "font_stack": _reuse.font_stack(workspace, release.language),
            "title": parts.title,  # plain text: the template escapes it once (the cjk filter)
            "title_text": title,
            "subtitle": parts.subtitle,
            "summary_text": summary,
            "banner": parts.banner,
            "embargoed": embargoed and release.embargo is not None,
            "preview": preview,
            "date": format_date(release.date, release.language),
            "date_iso": release.date.isoformat(),
            "body_html": parts.body_html,
            "about_sections": parts.about,  # one per organisation (a joint release has several)
            "media_contacts": contacts,
            "media_contacts_label": labels.media_contact if len(contacts) == 1 else labels.media_contacts,
            "photos": page_photos,
            "pdf": {"href": version.pdf, "size": file_size(len(files[folder + version.pdf]))},
            "alternates": [a for a in alternates if a["href"] != version.page],
            "all_alternates": alternates,
            "url": url,
            "og": {
                "type": "article",
                "locale": locale.og_locale,
                "image": images[0] if images else None,
                "image_alt": page_photos[0]["alt"] if page_photos else "",
                "published": iso(published),
                "updated": iso(updated),
            },
            "json_ld": json_ld_script(json_ld),
            "home": None if preview else up + page_name(release.language, workspace.language),
            "home_href": up + ("index.html" if preview else page_name(release.language, workspace.language)),
            "end_mark": "###",
        }
        html = _reuse.render_template(workspace, "site/release.html.j2", context)
        files[folder + version.page] = MergePlan.apply(html, blank, escape_html=True).encode("utf-8")
    return files
