"""Render a ``Release``: the templates, the parts every output shares, images, and the email (HTML with CSS
inlined, plain text, inline images). The PDF is in ``render.pdf``, the files ``pressctl render`` writes in
``render.files``; labels and dates in ``render.words``, contrast in ``render.colour``.

Everything up to the print HTML is pure; the PDF needs WeasyPrint, imported on first use (it costs
~0.5 s) with one ``FontConfiguration`` and one image cache for the whole process. Merge fields are
tokens here (see pressctl.release.merge): the email keeps them for per-contact filling, the PDF and the files
written by ``render_files`` get ``plan.blank()`` (fallbacks only).
"""

from __future__ import annotations

import base64
import io
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    pass_context,
    select_autoescape,
)
from markupsafe import Markup

from pressctl import resources
from pressctl.assets import email_html_problem
from pressctl.config import Workspace
from pressctl.errors import InputError
from pressctl.limits import DEFAULT_LIMITS, Limits, limit_error
from pressctl.model import InlineImage, Rendered
from pressctl.release.dateline import body_dateline
from pressctl.release.load import Release
from pressctl.release.markdown import lang_spans, markdown_html, text_width
from pressctl.release.merge import TOKEN_MERGE, MergePlan, tokens_in
from pressctl.render.colour import text_on
from pressctl.render.names import PDF_LINK_SLOT
from pressctl.render.text import markdown_text, wrap
from pressctl.render.words import (
    DEFAULT_GREETINGS,
    _dateline_dash,
    _lang_key,
    dateline_text,
    embargo_line,
    format_date,
    labels_for,
    subject_line,
)

__all__ = [
    "PDF_LINK_SLOT",
    "TemplateFileError",
    "render_email",
]

# Where pressctl.send.messages puts the link to the published PDF (sender.pdf = link/both); removed otherwise.

EMAIL_PHOTO_MAX_WIDTH = 1200  # pixels; shown at 560 px, so 2x for sharp high-DPI screens
TEXT_WIDTH = 72

class TemplateFileError(InputError):
    """A template (a workspace override, usually) is broken."""


# --- templates ----------------------------------------------------------------------------------

_ENVIRONMENTS: dict[str, Environment] = {}


def _environment(workspace: Workspace) -> Environment:
    """One Jinja2 environment per templates folder: the workspace's overrides first, then the defaults."""
    key = str(workspace.templates_dir)
    env = _ENVIRONMENTS.get(key)
    if env is None:
        env = Environment(
            loader=ChoiceLoader(
                [FileSystemLoader(workspace.templates_dir), FileSystemLoader(resources.templates_dir())]
            ),
            autoescape=select_autoescape(enabled_extensions=("html", "html.j2"), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["wrap"] = lambda text: wrap(str(text), width=TEXT_WIDTH)
        env.filters["css_string"] = _css_string
        env.filters["cjk"] = _cjk_filter
        env.filters["table_scroll"] = _table_scroll
        env.filters["text_on"] = text_on
        env.filters["keep_tail"] = _keep_tail
        env.globals["rule"] = _rule
        _ENVIRONMENTS[key] = env
    return env


def _rule(text: object) -> str:
    """The ``=`` line under a title in the text version: as wide as the title (CJK count two), 3 to 72."""
    return "=" * min(TEXT_WIDTH, max(3, text_width(str(text))))


@pass_context
def _cjk_filter(context: Any, value: object) -> Markup:
    """Escape text and, in a non-Chinese document, tag its Chinese runs (see markdown.lang_spans)."""
    return Markup(lang_spans(str(value), None if context.get("is_chinese") else "zh-HK"))


# The last few characters of a Chinese heading: CJK characters and the punctuation that closes them.
_CJK_TAIL = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]{2,5}\Z")


@pass_context
def _keep_tail(context: Any, value: object) -> Markup:
    """In a Chinese document, keep a heading's last 2-5 CJK characters on one line (print only).

    WeasyPrint has neither ``text-wrap: balance`` nor ``word-break: keep-all``, and broke headlines as
    "...海洋能 / 源裝置" or left "額。" alone on the last line; ``white-space: nowrap`` it does honour.
    The email uses ``text-wrap: balance`` instead (a tag between CJK characters counts as obfuscation
    to spam filters).
    """
    html = str(value if isinstance(value, Markup) else Markup.escape(value))
    if not context.get("is_chinese"):
        return Markup(html)
    match = _CJK_TAIL.search(html)
    if match is None:
        return Markup(html)
    return Markup(f'{html[: match.start()]}<span class="nobr">{match.group(0)}</span>')


def _table_scroll(value: object) -> Markup:
    """Wrap each Markdown table in a ``div.table-scroll`` so a wide one scrolls on a phone (email only).

    The body comes from the Markdown renderer, which allows no raw HTML: a literal ``<table>`` is a real tag.
    """
    html = str(value).replace("<table>", '<div class="table-scroll"><table>').replace("</table>", "</table></div>")
    return Markup(html)


def _css_string(value: object) -> str:
    """A CSS string literal (for ``content:``) that can't end the string or the <style> element."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", " ")
    return f'"{text}"'


def _render_template(workspace: Workspace, name: str, context: Mapping[str, Any]) -> str:
    try:
        return _environment(workspace).get_template(name).render(context)
    except TemplateNotFound as exc:
        raise TemplateFileError(
            f"template {exc.name!r} not found",
            where=str(workspace.templates_dir),
            hint="restore the file or remove the template that includes it",
        ) from None
    except TemplateSyntaxError as exc:
        raise TemplateFileError(
            f"template error: {exc.message}",
            where=f"{exc.filename or name}:{exc.lineno}",
            hint="fix the template, or delete it from the workspace's templates/ to use the default",
        ) from None
    except TemplateError as exc:
        raise TemplateFileError(
            f"template {name!r} failed: {exc.message or type(exc).__name__}",
            where=str(workspace.templates_dir / name),
            hint="fix the template, or delete it from the workspace's templates/ to use the default",
        ) from None
    except UnicodeDecodeError:
        # Jinja reads overrides as UTF-8; a file saved in another encoding (or not text) fails here.
        raise TemplateFileError(
            f"template {name!r} (or one it includes) is not UTF-8 text",
            where=str(workspace.templates_dir),
            hint="save it as UTF-8, or delete it from the workspace's templates/ to use the default",
        ) from None
    except RecursionError:
        raise TemplateFileError(
            f"template {name!r} includes or extends itself, without end",
            where=str(workspace.templates_dir),
            hint="extend or include a template of another name",
        ) from None


# --- the parts every output shares ------------------------------------------------------------------


@dataclass(frozen=True)
class _OrgText:
    name: str
    address: str
    footer: str
    website: str
    about: str


def _organisation(workspace: Workspace, language: str) -> _OrgText:
    """The organisation's words in ``language``: ``[organisation.translations.<tag>]`` over the defaults."""
    org = workspace.organisation.in_language(language)
    return _OrgText(name=org.name, address=org.address, footer=org.footer, website=org.website, about=org.about)


def _greeting(workspace: Workspace, language: str) -> tuple[str, int]:
    """The greeting line for ``language`` (``[email.greeting]``, else the default) and its line in pressctl.toml."""
    found = workspace.email.greeting_for(language)
    return (found.text, found.line) if found is not None else (DEFAULT_GREETINGS[_lang_key(language)], 1)


_END_MARK = re.compile(r"\n[ \t]*(?:#{3}|-\s*ends?\s*-)[ \t]*\n*\Z", re.I)


def _body_source(release: Release) -> str:
    # Writers often end the body with the ### end mark themselves; the templates add it.
    return _END_MARK.sub("\n", "\n" + release.body.rstrip() + "\n").lstrip("\n")


@dataclass(frozen=True)
class _Parts:
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
    org: _OrgText


@dataclass(frozen=True)
class _About:
    title: str
    html: Markup
    text: str


def _parts(
    release: Release,
    workspace: Workspace,
    plan: MergePlan,
    *,
    embargoed: bool,
    images: Mapping[str, str] | None = None,
) -> _Parts:
    where = str(release.path)
    org = _organisation(workspace, release.language)
    labels = labels_for(release.language)
    body = plan.tokenize(_body_source(release), where=where, first_line=release.body_line)
    dateline = dateline_text(release)
    dash = _dateline_dash(release)
    # A body pasted from Word often opens with its own dateline: then it is the dateline, not a second one.
    own_dateline = body_dateline(release.body, release.dateline).found

    # Chinese names in an English release get lang="zh-HK" so Pango picks Hong Kong glyph forms.
    cjk_lang = None if release.is_chinese else "zh-HK"
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
                title=labels["about"].format(name=name) if name else labels["about_plain"],
                html=Markup(markdown_html(src, cjk_lang=cjk_lang, images={})),
                text=markdown_text(src, width=TEXT_WIDTH),
            )
        )

    return _Parts(
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


# Email font stacks: widely installed faces of the text's own script first, then the generic family. A CJK
# face named in an English stack won where Arial is missing (Linux mail clients, many Android phones) and
# its full-width punctuation gave "park’ s". Chinese inside English text gets the CJK stack through its
# lang="zh-HK" span (see email.css).
EMAIL_LATIN_STACK = 'Arial, "Helvetica Neue", Helvetica, Roboto, "Noto Sans", "Liberation Sans", "DejaVu Sans", sans-serif'
EMAIL_CJK_STACK = (
    '"PingFang HK", "PingFang TC", "Microsoft JhengHei", "Noto Sans CJK HK", "Noto Sans HK", "Source Han Sans HK", '
    "sans-serif"
)


def _font_stacks(workspace: Workspace, language: str) -> tuple[str, str]:
    """(print stack, email stack). Chinese names the CJK face first so Pango picks Hong Kong glyph forms."""
    brand = workspace.brand
    if _lang_key(language) == "zh":
        print_stack = f'"{brand.cjk_font}", "Noto Sans CJK TC", "{brand.font}", sans-serif'
        email_stack = EMAIL_CJK_STACK
    else:
        print_stack = f'"{brand.font}", "DejaVu Sans", "{brand.cjk_font}", sans-serif'
        email_stack = EMAIL_LATIN_STACK
    return print_stack, email_stack


def _contacts_in_language(release: Release, workspace: Workspace, org: _OrgText) -> tuple[Any, ...]:
    """The media contacts in the release's language: each one's ``[media_contacts.translations.<tag>]``,
    and the workspace's own name as the organisation is in ``[organisation.translations.<tag>]``."""
    out = []
    for contact in release.media_contacts:
        local = contact.in_language(release.language)
        if local.organisation == workspace.organisation.name and org.name != workspace.organisation.name:
            local = replace(local, organisation=org.name)
        out.append(local)
    return tuple(out)


def _html_lang(language: str) -> str:
    # Pango picks Japanese glyph forms for zh-Hant(-HK); the region tag gives the Hong Kong forms.
    lowered = language.lower()
    if lowered in ("zh-hant", "zh-hant-hk"):
        return "zh-HK"
    if lowered == "zh-hant-tw":
        return "zh-TW"
    return language


def _context(release: Release, workspace: Workspace, parts: _Parts, *, embargoed: bool) -> dict[str, Any]:
    labels = labels_for(release.language)
    print_stack, email_stack = _font_stacks(workspace, release.language)
    contacts = _contacts_in_language(release, workspace, parts.org)
    return {
        "release": release,
        "lang": _html_lang(release.language),
        "dir": "ltr",
        "is_chinese": release.is_chinese,
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
        "media_contacts_label": labels["media_contact" if len(contacts) == 1 else "media_contacts"],
        "org": parts.org,
        "brand": workspace.brand,
        "print_font_stack": print_stack,
        "email_font_stack": email_stack,
        "email_cjk_font_stack": EMAIL_CJK_STACK,
        "page_label": Markup(labels["page"]),
        "end_mark": "###",
    }


# --- images -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Image:
    data: bytes
    subtype: str
    width: int
    height: int
    original: bool  # the file's own bytes, not re-encoded


_IMAGES: dict[tuple[str, int, int, bool, bool], _Image] = {}


def _check_pixels(path: Path, limits: Limits) -> None:
    """Refuse an image larger than ``limits.image_pixels`` from its header, before anything decodes it."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = limits.image_pixels  # Pillow's own guard too, for WeasyPrint's decoding
    size: tuple[int, int] | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as img:
                size = img.size
        except Image.DecompressionBombError:
            pass  # more than twice the limit
        except Exception:  # an unreadable image is reported where it is decoded
            return
    if size is None or size[0] * size[1] > limits.image_pixels:
        shown = f"{size[0]} x {size[1]} pixels" if size else f"more than {2 * limits.image_pixels} pixels"
        raise limit_error(f"the image is {shown}, too large", "image_pixels", limits.image_pixels, where=str(path))


def _prepared_image(
    path: Path,
    *,
    max_width: int,
    photo_jpeg: bool = False,
    on_white: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> _Image:
    """The image at most ``max_width`` wide, as JPEG, PNG or GIF; made once per file version.

    ``photo_jpeg`` also turns an opaque PNG into JPEG (photos in print: a fraction of the size).
    ``on_white`` flattens transparency onto white: a mail app that darkens the email in dark mode darkens
    the header behind a transparent logo too, and its dark lettering vanished.
    """
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, max_width, photo_jpeg, on_white)
    cached = _IMAGES.get(key)
    if cached is not None:
        return cached
    from PIL import Image, UnidentifiedImageError

    _check_pixels(path, limits)

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read the image ({exc.strerror or type(exc).__name__})",
            where=str(path),
            hint="check that the file is readable",
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
        with opened:
            opened.load()
            img: Image.Image = opened
            fmt = (opened.format or "").upper()
            width, height = img.size
            alpha = img.mode in ("RGBA", "LA", "P", "PA")
            keep = fmt in ("JPEG", "GIF") or (fmt == "PNG" and (alpha or not photo_jpeg))
            if on_white and alpha:
                rgba = img.convert("RGBA")
                img = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                img.alpha_composite(rgba)
                img = img.convert("RGB")
                keep = False
            if width <= max_width and keep:
                result = _Image(data, "jpeg" if fmt == "JPEG" else fmt.lower(), width, height, True)
            else:
                if width > max_width:
                    height = max(1, round(height * max_width / width))
                    width = max_width
                    img = img.resize((width, height), Image.Resampling.LANCZOS)
                buf = io.BytesIO()
                if alpha:  # a flattened logo stays PNG too: sharp edges on its lettering
                    img.save(buf, "PNG", optimize=True)
                    result = _Image(buf.getvalue(), "png", width, height, False)
                else:
                    img.convert("RGB").save(buf, "JPEG", quality=85, optimize=True, progressive=True)
                    result = _Image(buf.getvalue(), "jpeg", width, height, False)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise limit_error("the image is too large", "image_pixels", limits.image_pixels, where=str(path)) from None
    except UnidentifiedImageError:
        # Pillow's message names an in-memory buffer ("<_io.BytesIO object at 0x...>"), which helps nobody.
        raise InputError("not a readable image", where=str(path), hint="use a JPEG or PNG file") from None
    except OSError as exc:
        raise InputError(
            f"not a readable image ({exc})", where=str(path), hint="use a JPEG or PNG file"
        ) from None
    _IMAGES[key] = result
    return result


PRINT_PHOTO_MAX_WIDTH = 2000  # pixels: the A4 text width (170 mm) at 300 dpi


def _print_image_uri(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """The photo for the PDF: a print-size JPEG passes as it is (WeasyPrint embeds JPEG bytes
    unchanged); a huge or PNG photo is scaled to 300 dpi as JPEG (a 3600 px PNG otherwise makes a
    2 MB PDF in 1.4 s)."""
    img = _prepared_image(path, max_width=PRINT_PHOTO_MAX_WIDTH, photo_jpeg=True, limits=limits)
    if img.original:
        return path.as_uri()
    return f"data:image/{img.subtype};base64," + base64.b64encode(img.data).decode("ascii")


# --- email --------------------------------------------------------------------------------------


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


def _inline_css(html: str) -> str:
    import css_inline

    inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
    return str(inliner.inline(html))


def render_email(
    release: Release,
    workspace: Workspace,
    plan: MergePlan,
    *,
    embargoed: bool,
    for_recipients: bool = True,
) -> Rendered:
    """The email for one language: subject, inlined HTML and text with merge tokens; images as ``cid:``.

    ``for_recipients=False`` (``pressctl render``'s files, read by the press office) puts a note where each
    recipient's unsubscribe link goes, instead of a link that leads nowhere.
    """
    body_images: list[InlineImage] = []
    body_srcs: dict[str, str] = {}
    for i, (src, path) in enumerate(release.images.items(), start=1):
        img = _prepared_image(path, max_width=EMAIL_PHOTO_MAX_WIDTH, photo_jpeg=True, limits=workspace.limits)
        cid = f"body{i}.{release.slug}@pressctl"
        body_images.append(_inline(cid, path, img))
        body_srcs[src] = f"cid:{cid}"
    parts = _parts(release, workspace, plan, embargoed=embargoed, images=body_srcs)
    context = _context(release, workspace, parts, embargoed=embargoed)
    greeting_source, greeting_line = _greeting(workspace, release.language)
    greeting = plan.tokenize(
        greeting_source, where=str(workspace.config_path or "pressctl.toml"), first_line=greeting_line, own=True
    )
    unsubscribe_url, unsubscribe_mailto = _unsubscribe(workspace, plan)

    images: list[InlineImage] = []
    logo: dict[str, Any] | None = None
    if workspace.brand.logo is not None:
        img = _prepared_image(workspace.brand.logo, max_width=600, on_white=True, limits=workspace.limits)
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
        img = _prepared_image(photo.src, max_width=EMAIL_PHOTO_MAX_WIDTH, photo_jpeg=True, limits=workspace.limits)
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
        logo=logo,
        photos=photos,
        unsubscribe_url=unsubscribe_url if for_recipients else "",
        unsubscribe_mailto=unsubscribe_mailto,
        unsubscribe_note=not for_recipients and bool(unsubscribe_url),
        subject=subject_line(release, parts.subject, embargoed=embargoed),
    )
    images += body_images
    # A title with merge fields is underlined per contact: the rule is a merge field of its own.
    context["rule"] = lambda text: plan.derived("rule", str(text), _rule) if "PCTLM" in str(text) else _rule(text)
    html = _inline_css(_render_template(workspace, "email.html.j2", context))
    problem = email_html_problem(html)
    if problem:
        # A mail client would try to load it from the journalist's own machine, or it leaks our paths.
        raise TemplateFileError(
            f"the email would refer to {problem}",
            where=str(release.path),
            hint="use a public https:// address; images belong in the workspace (photos, body images, brand.logo), "
            "and templates/email.html.j2 or email.css must not name local files",
        )
    text = _render_template(workspace, "email.txt.j2", context)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return Rendered(
        release=release,
        subject=context["subject"],
        html=html,
        text=text,
        images=tuple(images),
        embargoed=bool(context["embargoed"]),
        greeting_tokens=frozenset(tokens_in([greeting])),
    )


def _inline(cid: str, path: Path, img: _Image) -> InlineImage:
    ext = "jpg" if img.subtype == "jpeg" else img.subtype
    return InlineImage(
        cid=cid,
        path=path,
        maintype="image",
        subtype=img.subtype,
        data=img.data,
        filename=f"{path.stem}.{ext}",
    )
