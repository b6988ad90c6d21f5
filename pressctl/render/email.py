"""The email of a release in one language: HTML with CSS inlined (css-inline), the plain text, inline images,
merge tokens kept for per-contact filling. Reads the images and templates it uses."""

from __future__ import annotations

import re
from html import escape as html_escape
from pathlib import Path
from typing import Any

from markupsafe import Markup

from pressctl.assets import email_html_problem
from pressctl.config import Workspace
from pressctl.languages.routing import locale_for
from pressctl.mailto import mailto_url, mailto_with_token
from pressctl.model import EmailLinks, InlineImage, Rendered
from pressctl.release.load import Release
from pressctl.release.merge import TOKEN_MERGE, MergePlan, tokens_in
from pressctl.render.images import EMAIL_PHOTO_MAX_WIDTH, PreparedImage, prepared_image
from pressctl.render.parts import build_parts, greeting_for, template_context
from pressctl.render.templates import TEXT_WIDTH, TemplateFileError, render_template, rule
from pressctl.render.text import wrap
from pressctl.render.words import (
    subject_line,
)

__all__ = ["newsroom_links", "render_email"]


def _unsubscribe(workspace: Workspace, plan: MergePlan) -> tuple[str, str]:
    """(URL, mailto). ``{token}`` in the URL becomes the recipient's unsubscribe token (filled per message by
    pressctl.send.messages from the workspace secret); ``{email}`` the URL-quoted merge field ``{{ email }}``."""
    url = workspace.sender.unsubscribe_url
    if "{token}" in url:
        url = url.replace("{token}", plan.tokenize(TOKEN_MERGE))
    if "{email}" in url:
        # The contact's address (merge field `email`), percent-encoded so '+' and '@' survive in a query.
        url = url.replace("{email}", plan.tokenize("{{ email | urlencode }}"))
    return url, workspace.sender.unsubscribe_mailto


def _mailto_href(mailto: str, plan: MergePlan, *, for_recipients: bool) -> str:
    """The footer's mailto link: with the reader's token in its subject, as in List-Unsubscribe
    (pressctl.mailto), so a request written from it proves itself to ``pressctl bounces``."""
    if not mailto:
        return ""
    url = mailto_url(mailto)
    if "{email}" in url:
        url = url.replace("{email}", plan.tokenize("{{ email | urlencode }}"))
    if not for_recipients:  # pressctl render's files: nobody's token
        url = url.replace("{token}", "")
        return url if "?" in url else url + "?subject=unsubscribe"
    return mailto_with_token(url, plan.tokenize(TOKEN_MERGE))


def _inline_css(html: str) -> str:
    import css_inline

    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    return str(inliner.inline(html))


def newsroom_links(links: EmailLinks | None, language: str) -> list[dict[str, str]]:
    """The email's "Read online", "Download photos" and "PDF" links ([site] base_url), labelled in
    ``language``, for the templates (``links``: label and href each; empty without a newsroom)."""
    if links is None:
        return []
    labels = locale_for(language).labels
    pairs = zip(
        (labels.read_online, labels.download_photos, labels.pdf), (links.page, links.photos, links.pdf), strict=True
    )
    return [{"label": label, "href": href} for label, href in pairs if href]


def render_email(
    release: Release,
    workspace: Workspace,
    plan: MergePlan,
    *,
    embargoed: bool,
    for_recipients: bool = True,
    links: EmailLinks | None = None,
) -> Rendered:
    """The email for one language: subject, inlined HTML and text with merge tokens; images as ``cid:``.

    ``for_recipients=False`` (``pressctl render``'s files, read by the press office) puts a note where each
    recipient's unsubscribe link goes, instead of a link that leads nowhere. ``links``: where this release is
    on the newsroom (``pressctl.site.links``), shown under the title.
    """
    body_images: list[InlineImage] = []
    body_srcs: dict[str, str] = {}
    for i, (src, path) in enumerate(release.images.items(), start=1):
        img = prepared_image(path, max_width=EMAIL_PHOTO_MAX_WIDTH, photo_jpeg=True, limits=workspace.limits)
        cid = f"body{i}.{release.slug}@pressctl"
        body_images.append(_inline(cid, path, img))
        body_srcs[src] = f"cid:{cid}"
    parts = build_parts(release, workspace, plan, embargoed=embargoed, images=body_srcs)
    context = template_context(release, workspace, parts, embargoed=embargoed)
    greeting_source, greeting_line = greeting_for(workspace, release.language)
    greeting = plan.tokenize(
        greeting_source, where=str(workspace.config_path or "pressctl.toml"), first_line=greeting_line, own=True
    )
    note_html, note_text = _personal_note(plan, lang=release.locale.html_lang if release.locale.cjk else None)
    unsubscribe_url, unsubscribe_mailto = _unsubscribe(workspace, plan)
    mailto_href = _mailto_href(unsubscribe_mailto, plan, for_recipients=for_recipients)

    images: list[InlineImage] = []
    logo: dict[str, Any] | None = None
    if workspace.brand.logo is not None:
        img = prepared_image(workspace.brand.logo, max_width=600, on_white=True, limits=workspace.limits)
        cid = f"logo.{release.slug}@pressctl"
        images.append(_inline(cid, workspace.brand.logo, img))
        # Shown 48 px high; the file is larger for sharp high-DPI screens.
        shown_h = 48
        logo = {
            "src": f"cid:{cid}",
            "width": max(1, round(img.width * shown_h / img.height)),
            "height": shown_h,
        }
    photos = []
    for i, photo in enumerate(release.photos, start=1):
        img = prepared_image(photo.src, max_width=EMAIL_PHOTO_MAX_WIDTH, photo_jpeg=True, limits=workspace.limits)
        cid = f"photo{i}.{release.slug}@pressctl"
        images.append(_inline(cid, photo.src, img))
        shown_w = min(560, img.width)
        photos.append(
            {
                "src": f"cid:{cid}",
                "alt": photo.alt,
                "caption": photo.caption,
                "width": shown_w,
                "height": max(1, round(img.height * shown_w / img.width)),
                "full": img.width >= 560,  # fills the text column at any width (else its own size at most)
            }
        )
    context.update(
        greeting=greeting,
        note_html=note_html,
        note_text=note_text,
        logo=logo,
        photos=photos,
        unsubscribe_url=unsubscribe_url if for_recipients else "",
        unsubscribe_mailto=unsubscribe_mailto,
        unsubscribe_mailto_href=mailto_href,
        unsubscribe_note=not for_recipients and bool(unsubscribe_url),
        links=newsroom_links(links, release.language),
        subject=subject_line(release, parts.subject, embargoed=embargoed),
    )
    images += body_images
    # A title with merge fields is underlined per contact: the rule is a merge field of its own.
    context["rule"] = lambda text: plan.derived("rule", str(text), rule) if "PCTLM" in str(text) else rule(text)
    html = _inline_css(render_template(workspace, "email.html.j2", context))
    problem = email_html_problem(html)
    if problem:
        # A mail client would try to load it from the journalist's own machine, or it leaks our paths.
        raise TemplateFileError(
            f"the email would refer to {problem}",
            where=str(release.path),
            hint="use a public https:// address; images belong in the workspace (photos, body images, brand.logo), "
            "and templates/email.html.j2 or email.css must not name local files",
        )
    text = render_template(workspace, "email.txt.j2", context)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return Rendered(
        release=release,
        subject=context["subject"],
        html=html,
        text=text,
        images=tuple(images),
        embargoed=bool(context["embargoed"]),
        greeting_tokens=frozenset(tokens_in([greeting])),
        greeting=greeting,
    )


NOTE_FIELD = "note"
_NOTE_STYLE = "margin:0 0 16px 0;padding:0 0 0 12px;border-left:3px solid #c8c8c8"


def _personal_note(plan: MergePlan, *, lang: str | None) -> tuple[Markup, str]:
    """The tokens of a contact's personal note (the list's ``note`` column): its own paragraph after the
    greeting in HTML (escaped here, as the value is HTML) and in text, nothing at all when the note is empty.
    The PDF, shared by everyone, never has one. ``lang``: the note's lang= in a CJK version (its own tag, so
    the CJK faces of its region)."""
    token = plan.tokenize("{{ " + NOTE_FIELD + ' or "" }}', own=True)
    lang_attr = f' lang="{lang}"' if lang else ""

    def as_html(note: str) -> str:
        note = " ".join(note.split())
        return f'<p class="note"{lang_attr} style="{_NOTE_STYLE}">{html_escape(note)}</p>' if note else ""

    def as_text(note: str) -> str:
        note = " ".join(note.split())
        return wrap(note, width=TEXT_WIDTH) + "\n\n" if note else ""

    return (
        Markup(plan.derived("note-html", token, as_html, markup=True)),
        plan.derived("note-text", token, as_text),
    )


def _inline(cid: str, path: Path, img: PreparedImage) -> InlineImage:
    ext = "jpg" if img.subtype == "jpeg" else img.subtype
    return InlineImage(
        cid=cid,
        path=path,
        maintype="image",
        subtype=img.subtype,
        data=img.data,
        filename=f"{path.stem}.{ext}",
    )
