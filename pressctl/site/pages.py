"""Pure page rendering: a release set (and the site's published list) -> ``{relative path: bytes}``.

Every link inside the site is relative, so the folder works wherever it is served (a sub-path, a bucket,
``pressctl site serve``); absolute URLs (canonical, Open Graph, JSON-LD) appear only with a ``base_url``.
Merge fields show their fallbacks, as in the PDF. Nothing here reads the clock or writes a file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from pressctl.config import Workspace
from pressctl.languages.routing import wording
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan
from pressctl.render.colour import text_on
from pressctl.render.names import pdf_filename
from pressctl.render.words import format_date, labels_for
from pressctl.site import _reuse

__all__ = [
    "ASSETS",
    "PHOTO_WEB_MAX_WIDTH",
    "IndexEntry",
    "IndexVersion",
    "PdfMaker",
    "SiteFiles",
    "language_name",
    "page_name",
    "release_folder",
    "render_assets",
    "render_index",
    "render_release",
]

SiteFiles = dict[str, bytes]
PdfMaker = Callable[[Release, Workspace, MergePlan, bool], bytes]

ASSETS = "assets/"
PHOTO_WEB_MAX_WIDTH = 1600  # pixels: shown at most ~800 CSS px wide, 2x for high-DPI screens
LOGO_MAX_WIDTH = 600

_NAMES: Mapping[str, str] = {
    "en": "English",
    "en-gb": "English (UK)",
    "en-us": "English (US)",
    "en-hk": "English (Hong Kong)",
    "zh-hk": "繁體中文（香港）",
    "zh-tw": "繁體中文（台灣）",
    "zh-hant": "繁體中文",
    "zh-hant-hk": "繁體中文（香港）",
    "zh-hant-tw": "繁體中文（台灣）",
    "zh-mo": "繁體中文（澳門）",
}

_SITE_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "skip": "Skip to the release",
        "skip_index": "Skip to the releases",
        "newsroom": "Newsroom",
        "languages": "Read in",
        "photos": "Photos",
        "download_photo": "Download full resolution",
        "credit": "Photo",
        "downloads": "Downloads",
        "pdf": "Press release (PDF)",
        "preview": "Advance copy for journalists: not public. Do not publish or share this link.",
        "all_releases": "All press releases",
        "no_releases": "No press releases yet.",
        "feed": "Atom feed",
        "read": "Read the release",
    },
    "zh": {
        "skip": "跳至新聞稿",
        "skip_index": "跳至新聞稿列表",
        "newsroom": "新聞中心",
        "languages": "其他語言",
        "photos": "圖片",
        "download_photo": "下載高解像度原圖",
        "credit": "攝影",
        "downloads": "下載",
        "pdf": "新聞稿（PDF）",
        "preview": "預先發放予傳媒的新聞稿：尚未公開，請勿發佈或轉傳此連結。",
        "all_releases": "所有新聞稿",
        "no_releases": "暫無新聞稿。",
        "feed": "Atom 訂閱",
        "read": "閱讀新聞稿",
    },
}


def site_labels(language: str) -> Mapping[str, str]:
    return _SITE_LABELS[wording(language)]


def language_name(language: str) -> str:
    """What a language switch shows: each language in its own words."""
    return _NAMES.get(language.lower(), language)


def release_folder(release: Release) -> str:
    """Where a release's public pages live: ``releases/<date>-<slug>/``."""
    return f"releases/{release.date.isoformat()}-{release.slug}/"


def page_name(language: str, main_language: str) -> str:
    """``index.html`` in the main language, ``index.<lang>.html`` for each other."""
    return "index.html" if language.lower() == main_language.lower() else f"index.{language}.html"


def _up(folder: str) -> str:
    """The relative way from ``folder`` (``a/b/``) back to the site's top (``../../``)."""
    return "../" * folder.count("/")


def _absolute(base_url: str | None, path: str) -> str | None:
    if not base_url:
        return None
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def _og_locale(language: str) -> str:
    parts = language.replace("-", "_").split("_")
    if len(parts) >= 2 and len(parts[-1]) == 2:
        return f"{parts[0].lower()}_{parts[-1].upper()}"
    return {"en": "en_GB", "zh": "zh_HK"}.get(parts[0].lower(), parts[0].lower())


def _font_stack(workspace: Workspace, language: str) -> str:
    brand = workspace.brand
    if wording(language) == "zh":
        return (
            f'"{brand.cjk_font}", "Noto Sans CJK HK", "PingFang HK", "Microsoft JhengHei", "Noto Sans HK", '
            f'"{brand.font}", sans-serif'
        )
    return (
        f'"{brand.font}", system-ui, -apple-system, "Segoe UI", Roboto, Arial, '
        f'"{brand.cjk_font}", "PingFang HK", "Microsoft JhengHei", sans-serif'
    )


def _json_ld(data: Mapping[str, Any]) -> Markup:
    """JSON for a ``<script type="application/ld+json">``: nothing in it can close the element."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


# --- shared assets --------------------------------------------------------------------------------


def _logo(workspace: Workspace) -> tuple[str, _reuse.WebImage] | None:
    if workspace.brand.logo is None:
        return None
    img = _reuse.prepared_image(workspace.brand.logo, max_width=LOGO_MAX_WIDTH, photo=False, on_white=True)
    return f"{ASSETS}logo.{img.ext}", img


def _brand_context(workspace: Workspace) -> dict[str, Any]:
    brand = workspace.brand
    return {
        "brand": brand,
        "on_primary": text_on(brand.primary, brand.text),
        "on_accent": text_on(brand.accent, brand.text),
    }


ICON = f"{ASSETS}icon.png"
ICON_SIZE = 192


def _icon(workspace: Workspace) -> bytes:
    """A square icon for browser tabs and home screens: the logo centred on white, or a brand-colour tile.

    Without an icon link a browser asks for ``/favicon.ico``, a 404 on every visit.
    """
    from PIL import Image, ImageColor

    if workspace.brand.logo is not None:
        logo = _reuse.prepared_image(workspace.brand.logo, max_width=LOGO_MAX_WIDTH, photo=False, on_white=True)
        with Image.open(io.BytesIO(logo.data)) as opened:
            mark = opened.convert("RGB")
        mark.thumbnail((ICON_SIZE - 16, ICON_SIZE - 16), Image.Resampling.LANCZOS)
        tile = Image.new("RGB", (ICON_SIZE, ICON_SIZE), (255, 255, 255))
        tile.paste(mark, ((ICON_SIZE - mark.width) // 2, (ICON_SIZE - mark.height) // 2))
    else:
        try:
            colour = ImageColor.getrgb(workspace.brand.primary)[:3]
        except ValueError:
            colour = (11, 92, 116)
        tile = Image.new("RGB", (ICON_SIZE, ICON_SIZE), colour)
    buf = io.BytesIO()
    tile.save(buf, "PNG", optimize=True)
    return buf.getvalue()


def render_assets(workspace: Workspace) -> SiteFiles:
    """The files every page shares: ``assets/site.css`` (branded), the logo and a square icon."""
    files: SiteFiles = {
        f"{ASSETS}site.css": _reuse.render_template(workspace, "site/site.css.j2", _brand_context(workspace)).encode(
            "utf-8"
        )
    }
    logo = _logo(workspace)
    if logo is not None:
        files[logo[0]] = logo[1].data
    files[ICON] = _icon(workspace)
    return files


def _logo_context(workspace: Workspace, up: str) -> dict[str, Any] | None:
    logo = _logo(workspace)
    if logo is None:
        return None
    path, img = logo
    shown_h = 48
    return {"src": up + path, "width": max(1, round(img.width * shown_h / img.height)), "height": shown_h}


# --- a release's pages ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _PhotoFiles:
    web: str  # path inside the release folder
    original: str
    web_image: _reuse.WebImage
    original_bytes: bytes
    original_size: tuple[int, int]
    original_type: str


def _photo_names(releases: Sequence[Release]) -> dict[Path, tuple[str, str]]:
    """Each distinct photo once: (web path, original path) inside the release folder,
    ``photos/<name>-web.<ext>`` and ``photos/<name><suffix>`` (the original, byte for byte)."""
    out: dict[Path, tuple[str, str]] = {}
    taken: set[str] = set()
    for release in releases:
        for photo in release.photos:
            if photo.src in out:
                continue
            stem, suffix = photo.src.stem, photo.src.suffix.lower()
            stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-").lower() or "photo"
            name, n = stem, 1
            while name in taken:
                n += 1
                name = f"{stem}-{n}"
            taken.add(name)
            # The web copy is JPEG unless the original is a PNG/GIF it keeps (see render.images.prepared_image).
            out[photo.src] = (f"photos/{name}-web", f"photos/{name}{suffix}")
    return out


def _photo_files(releases: Sequence[Release]) -> dict[Path, _PhotoFiles]:
    """The photos' bytes: the original, and a copy at most ``PHOTO_WEB_MAX_WIDTH`` wide."""
    from PIL import Image

    out: dict[Path, _PhotoFiles] = {}
    for src, (web_stem, original) in _photo_names(releases).items():
        web = _reuse.prepared_image(src, max_width=PHOTO_WEB_MAX_WIDTH)
        data = src.read_bytes()
        with Image.open(io.BytesIO(data)) as opened:
            size, kind = opened.size, (opened.format or src.suffix.lstrip(".")).upper()
        out[src] = _PhotoFiles(
            web=f"{web_stem}.{web.ext}",
            original=original,
            web_image=web,
            original_bytes=data,
            original_size=size,
            original_type=kind,
        )
    return out


def _file_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


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
    up = _up(folder)
    photos = _photo_files(releases)
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
            "lang": _reuse.html_lang(v.release.language),
            "name": language_name(v.release.language),
            "href": v.page,
            "url": _absolute(base_url, folder + v.page),
        }
        for v, _ in rendered
    ]
    logo = _logo_context(workspace, up)
    for version, parts in rendered:
        release = version.release
        labels, site = labels_for(release.language), site_labels(release.language)
        org = _reuse.organisation(workspace, release.language)
        url = _absolute(base_url, folder + version.page)
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
                    "download_label": f"{pf.original_type}, {width} × {height} px, {_file_size(len(pf.original_bytes))}",
                    "url": _absolute(base_url, folder + pf.web),
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
            "datePublished": _iso(published),
            "dateModified": _iso(updated),
            "author": {"@type": "Organization", "name": org.name},
            "publisher": {"@type": "Organization", "name": org.name},
        }
        if org.website:
            json_ld["author"]["url"] = org.website
            json_ld["publisher"]["url"] = org.website
        if logo is not None and base_url:
            json_ld["publisher"]["logo"] = {"@type": "ImageObject", "url": _absolute(base_url, logo["src"][len(up):])}
        if images:
            json_ld["image"] = images
        if url:
            json_ld["mainEntityOfPage"] = url
            json_ld["url"] = url
        context = {
            **_brand_context(workspace),
            "lang": _reuse.html_lang(release.language),
            "is_chinese": release.is_chinese,
            "labels": labels,
            "site": site,
            "org": org,
            "up": up,
            "logo": logo,
            "font_stack": _font_stack(workspace, release.language),
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
            "media_contacts": release.media_contacts,
            "media_contacts_label": labels["media_contact" if len(release.media_contacts) == 1 else "media_contacts"],
            "photos": page_photos,
            "pdf": {"href": version.pdf, "size": _file_size(len(files[folder + version.pdf]))},
            "alternates": [a for a in alternates if a["href"] != version.page],
            "all_alternates": alternates,
            "url": url,
            "og": {
                "type": "article",
                "locale": _og_locale(release.language),
                "image": images[0] if images else None,
                "image_alt": page_photos[0]["alt"] if page_photos else "",
                "published": _iso(published),
                "updated": _iso(updated),
            },
            "json_ld": _json_ld(json_ld),
            "home": None if preview else up + page_name(release.language, workspace.language),
            "home_href": up + ("index.html" if preview else page_name(release.language, workspace.language)),
            "end_mark": "###",
        }
        html = _reuse.render_template(workspace, "site/release.html.j2", context)
        files[folder + version.page] = MergePlan.apply(html, blank, escape_html=True).encode("utf-8")
    return files


def index_versions(releases: Sequence[Release], *, folder: str) -> tuple[IndexVersion, ...]:
    """What the index, feeds and sitemap need of each language: title and summary (merge fields show
    their fallbacks), page, PDF and first photo paths. Must agree with ``render_release``'s file names."""
    if not folder.endswith("/"):
        folder += "/"
    main = releases[0]
    plan = MergePlan()
    photos = _photo_names(releases)
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


# --- the index ------------------------------------------------------------------------------------


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


def render_index(entries: Sequence[IndexEntry], workspace: Workspace, *, base_url: str | None = None) -> SiteFiles:
    """``index.html`` (the workspace's language) and ``index.<lang>.html`` per other language: every
    published release, newest first, in that language where it has one (else its main language)."""
    languages = site_languages(entries, workspace)
    ordered = sorted_entries(entries)
    alternates = [
        {
            "lang": _reuse.html_lang(lang),
            "name": language_name(lang),
            "href": page_name(lang, workspace.language),
            "url": _absolute(base_url, page_name(lang, workspace.language)),
            "feed": "feed.xml" if lang == workspace.language else f"feed.{lang}.xml",
        }
        for lang in languages
    ]
    files: SiteFiles = {}
    for lang, alt in zip(languages, alternates, strict=True):
        org = _reuse.organisation(workspace, lang)
        items = []
        for entry in ordered:
            version = entry.version(lang) or entry.versions[0]
            items.append(
                {
                    "title": version.title,
                    "summary": version.summary,
                    "href": version.path,
                    "lang": _reuse.html_lang(version.language),
                    "other_lang": version.language.lower() != lang.lower(),
                    "date": format_date(entry.date, lang),
                    "date_iso": entry.date.isoformat(),
                }
            )
        context = {
            **_brand_context(workspace),
            "lang": _reuse.html_lang(lang),
            "is_chinese": wording(lang) == "zh",
            "labels": labels_for(lang),
            "site": site_labels(lang),
            "org": org,
            "up": "",
            "logo": _logo_context(workspace, ""),
            "font_stack": _font_stack(workspace, lang),
            "title_text": f"{org.name} {site_labels(lang)['newsroom']}",
            "items": items,
            "feed": alt["feed"],
            "url": alt["url"],
            "home_href": alt["href"],
            "alternates": [a for a in alternates if a is not alt],
            "all_alternates": alternates,
        }
        html = _reuse.render_template(workspace, "site/index.html.j2", context)
        files[str(alt["href"])] = html.encode("utf-8")
    return files
