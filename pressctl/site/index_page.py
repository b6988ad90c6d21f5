"""The newsroom's index: ``index.html`` in the workspace's language and ``index.<lang>.html`` for each other,
every published release newest first. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from pressctl.config import Workspace
from pressctl.languages.routing import locale_for
from pressctl.render.words import format_date
from pressctl.site import _reuse
from pressctl.site.branding import brand_context, logo_context
from pressctl.site.pages import (
    IndexEntry,
    SiteFiles,
    absolute,
    page_name,
    site_languages,
    sorted_entries,
)

__all__ = ["render_index"]


def render_index(entries: Sequence[IndexEntry], workspace: Workspace, *, base_url: str | None = None) -> SiteFiles:
    """``index.html`` (the workspace's language) and ``index.<lang>.html`` per other language: every
    published release, newest first, in that language where it has one (else its main language)."""
    languages = site_languages(entries, workspace)
    ordered = sorted_entries(entries)
    alternates = [
        {
            "lang": locale_for(lang).html_lang,
            "name": locale_for(lang).own_name,
            "href": page_name(lang, workspace.language),
            "url": absolute(base_url, page_name(lang, workspace.language)),
            "feed": "feed.xml" if lang == workspace.language else f"feed.{lang}.xml",
        }
        for lang in languages
    ]
    files: SiteFiles = {}
    for lang, alt in zip(languages, alternates, strict=True):
        org = _reuse.organisation(workspace, lang)
        locale = locale_for(lang)
        items = []
        for entry in ordered:
            version = entry.version(lang) or entry.versions[0]
            items.append(
                {
                    "title": version.title,
                    "summary": version.summary,
                    "href": version.path,
                    "lang": locale_for(version.language).html_lang,
                    "other_lang": version.language.lower() != lang.lower(),
                    "date": format_date(entry.date, lang),
                    "date_iso": entry.date.isoformat(),
                }
            )
        context = {
            **brand_context(workspace),
            "lang": locale.html_lang,
            "is_chinese": locale.cjk,
            "cjk_span_lang": locale.cjk_spans,
            "labels": locale.labels,
            "site": locale.site,
            "org": org,
            "up": "",
            "logo": logo_context(workspace, ""),
            "font_stack": _reuse.font_stack(workspace, lang),
            "title_text": f"{org.name} {locale.site.newsroom}",
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
