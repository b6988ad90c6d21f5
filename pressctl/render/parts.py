"""The parts every output of a release shares: the organisation's words and the greeting in its language,
the body and About sections tokenised and turned into HTML and text once, font stacks, the template context.
Pure (the templates are read by ``render.templates``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup

from pressctl.config import Workspace
from pressctl.languages.locale import font_stack
from pressctl.languages.routing import locale_for
from pressctl.release.dateline import body_dateline
from pressctl.release.load import Release
from pressctl.release.markdown import markdown_html
from pressctl.release.merge import MergePlan
from pressctl.render.templates import TEXT_WIDTH
from pressctl.render.text import markdown_text
from pressctl.render.words import dateline_dash, dateline_text, default_greeting, embargo_line, format_date

__all__ = ["OrgText", "Parts", "build_parts", "contacts_in_language", "font_stacks", "greeting_for", "organisation_in", "template_context"]


@dataclass(frozen=True)
class OrgText:
    name: str
    address: str
    footer: str
    website: str
    about: str


def organisation_in(workspace: Workspace, language: str) -> OrgText:
    """The organisation's words in ``language``: ``[organisation.translations.<tag>]`` over the defaults."""
    org = workspace.organisation.in_language(language)
    return OrgText(name=org.name, address=org.address, footer=org.footer, website=org.website, about=org.about)


def greeting_for(workspace: Workspace, language: str) -> tuple[str, int]:
    """The greeting line for ``language`` (``[email.greeting]``, else the default) and its line in pressctl.toml."""
    found = workspace.email.greeting_for(language)
    return (found.text, found.line) if found is not None else (default_greeting(language), 1)


_END_MARK = re.compile(r"\n[ \t]*(?:#{3}|-\s*ends?\s*-)[ \t]*\n*\Z", re.I)


def _body_source(release: Release) -> str:
    # Writers often end the body with the ### end mark themselves; the templates add it.
    return _END_MARK.sub("\n", "\n" + release.body.rstrip() + "\n").lstrip("\n")


@dataclass(frozen=True)
class Parts:
    """The release's pieces, tokenized and turned into HTML and text once."""

    subject: str
    title: str
    subtitle: str
    summary: str
    banner: str
    dateline: str
    body_html: Markup
    body_text: str
    about: tuple[_About, ...]
    org: OrgText


@dataclass(frozen=True)
class _About:
    title: str
    html: Markup
    text: str


def build_parts(
    release: Release,
    workspace: Workspace,
    plan: MergePlan,
    *,
    embargoed: bool,
    images: Mapping[str, str] | None = None,
) -> Parts:
    where = str(release.path)
    org = organisation_in(workspace, release.language)
    labels = release.locale.labels
    body = plan.tokenize(_body_source(release), where=where, first_line=release.body_line)
    dateline = dateline_text(release)
    dash = dateline_dash(release)
    # A body pasted from Word often opens with its own dateline: then it is the dateline, not a second one.
    own_dateline = body_dateline(release.body, release.dateline).found

    # Chinese names in an English release get their lang= (zh-HK) so Pango picks the region's glyph forms.
    cjk_lang = release.locale.cjk_spans
    body_html = markdown_html(body, cjk_lang=cjk_lang, images=images or {})
    # The dateline opens the first paragraph, as in print: "(Hong Kong, 12 March 2030) – Text...".
    # If the body starts with something else (a list, a quote), the dateline stands on its own.
    lead = f'<span class="dateline">{Markup.escape(dateline)}</span>{dash}'
    if own_dateline:
        pass
    elif body_html.startswith("<p>"):
        body_html = "<p>" + lead + body_html[3:]
    else:
        body_html = f'<p class="dateline-only">{lead}</p>\n' + body_html
    body_text = markdown_text(body, width=TEXT_WIDTH, lead="" if own_dateline else f"{dateline}{dash}")

    abouts = []
    for section in release.about:
        # The workspace's own About text is shown in the release's language, under its name there.
        text, name = (org.about, org.name) if section.workspace else (section.text, section.organisation)
        src = plan.tokenize(text, where=where)
        if not src.strip():
            continue
        abouts.append(
            _About(
                title=labels.about.format(name=name) if name else labels.about_plain,
                html=Markup(markdown_html(src, cjk_lang=cjk_lang, images={})),
                text=markdown_text(src, width=TEXT_WIDTH),
            )
        )

    return Parts(
        subject=plan.tokenize(release.subject or release.title, where=where),
        title=plan.tokenize(release.title, where=where),
        subtitle=plan.tokenize(release.subtitle, where=where),
        # The preheader and PDF description: the summary, else the subheading.
        summary=plan.tokenize(release.summary or release.subtitle, where=where),
        banner=embargo_line(release, embargoed=embargoed),
        dateline=dateline,
        body_html=Markup(body_html),
        body_text=body_text,
        about=tuple(abouts),
        org=org,
    )


def font_stacks(workspace: Workspace, language: str) -> dict[str, str]:
    """The CSS font stacks of ``language``'s version: ``pdf``, ``email``, ``site``, and ``email_spans`` (the
    email's stack for text in another script inside it, by its lang= span; see email.css). The locale
    table's stacks with the workspace's faces ([brand] font and cjk_font) in their places."""
    locale = locale_for(language)
    spans = locale_for(locale.cjk_spans) if locale.cjk_spans else locale
    brand = {"font": workspace.brand.font, "cjk_font": workspace.brand.cjk_font}
    return {
        "pdf": font_stack(locale.fonts.pdf, **brand),
        "email": font_stack(locale.fonts.email, **brand),
        "site": font_stack(locale.fonts.site, **brand),
        "email_spans": font_stack(spans.fonts.email, **brand),
    }


def contacts_in_language(release: Release, workspace: Workspace, org: OrgText) -> tuple[Any, ...]:
    """The media contacts in the release's language: each one's ``[media_contacts.translations.<tag>]``,
    and the workspace's own name as the organisation is in ``[organisation.translations.<tag>]``."""
    out = []
    for contact in release.media_contacts:
        local = contact.in_language(release.language)
        if local.organisation == workspace.organisation.name and org.name != workspace.organisation.name:
            local = replace(local, organisation=org.name)
        out.append(local)
    return tuple(out)


def template_context(release: Release, workspace: Workspace, parts: Parts, *, embargoed: bool) -> dict[str, Any]:
    locale = release.locale
    labels = locale.labels
    stacks = font_stacks(workspace, release.language)
    contacts = contacts_in_language(release, workspace, parts.org)
    return {
        "release": release,
        "lang": locale.html_lang,
        "dir": "ltr",
        # Written without spaces between sentences (the templates' spacing); the name stays for overrides.
        "is_chinese": locale.cjk,
        "cjk_span_lang": locale.cjk_spans,
        "labels": labels,
        "subject": parts.subject,
        "title": parts.title,
        "subtitle": parts.subtitle,
        "summary": parts.summary,
        "banner": parts.banner,
        "embargoed": embargoed and release.embargo is not None,
        "dateline": parts.dateline,
        "date": format_date(release.date, release.language),
        "body_html": parts.body_html,
        "body_text": parts.body_text,
        "about_sections": parts.about,
        # The first section under the names templates used before joint releases (overrides may use them).
        "about_title": parts.about[0].title if parts.about else "",
        "about_html": parts.about[0].html if parts.about else Markup(""),
        "about_text": parts.about[0].text if parts.about else "",
        "media_contacts": contacts,
        "media_contacts_label": labels.media_contact if len(contacts) == 1 else labels.media_contacts,
        "org": parts.org,
        "brand": workspace.brand,
        "print_font_stack": stacks["pdf"],
        "email_font_stack": stacks["email"],
        "email_cjk_font_stack": stacks["email_spans"],
        "page_label": Markup(labels.page),
        "end_mark": "###",
    }
