"""Once a release is public, its advance-copy preview points at the public page. Pure.

Journalists who had the advance copy hold links to ``preview/<token>/``: after the lift those pages must not
still say EMBARGOED. Each preview page becomes a small page that sends the reader on to the same language's
public page (a ``<meta http-equiv="refresh">``, a script that keeps the ``#photos`` anchor, a canonical link
and a plain link for anything that follows none of them); the preview's PDFs and photos become copies of the
public ones, so a PDF link from the advance email gives the released version. A static folder has no
redirects of its own: this works on any web server, bucket or ``pressctl site serve``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from markupsafe import escape

from pressctl.languages.routing import locale_for
from pressctl.site.pages import SiteFiles, page_name

__all__ = ["pointer_files"]

def _page(language: str, title: str, target: str, canonical: str) -> bytes:
    locale = locale_for(language)
    heading, link = locale.site.now_public, locale.site.read_here
    href = escape(target)
    script = json.dumps(target).replace("<", "\\u003c")
    html = (
        "<!doctype html>\n"
        f'<html lang="{escape(locale.html_lang)}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        '<meta name="robots" content="noindex">\n'
        f'<link rel="canonical" href="{escape(canonical)}">\n'
        f'<meta http-equiv="refresh" content="0; url={href}">\n'
        f"<script>location.replace({script} + location.hash)</script>\n"
        "</head>\n<body>\n"
        f'<p>{escape(heading)}: <a href="{href}">{escape(title) or escape(link)}</a></p>\n'
        "</body>\n</html>\n"
    )
    return html.encode("utf-8")


def pointer_files(
    public: Mapping[str, bytes],
    *,
    public_folder: str,
    preview_folder: str,
    titles: Mapping[str, str],
    main_language: str,
    base_url: str | None,
) -> SiteFiles:
    """The preview folder's files once ``public`` (the release's public files, under ``public_folder``) is up.

    ``titles``: each language's title, by its page name's language. Pages point at the public page of the
    same name; every other file is the public file's bytes under the same name.
    """
    up = "../" * preview_folder.count("/")
    pages = {page_name(language, main_language): (language, title) for language, title in titles.items()}
    files: SiteFiles = {}
    for path, data in public.items():
        name = path[len(public_folder):]
        if name in pages:
            language, title = pages[name]
            target = up + public_folder + name
            canonical = (base_url.rstrip("/") + "/" + public_folder + name) if base_url else target
            files[preview_folder + name] = _page(language, title, target, canonical)
        else:
            files[preview_folder + name] = data
    return files
