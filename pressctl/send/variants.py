"""One language version's shared parts, built and encoded once per campaign: the MIME skeleton (serialised
by the ``email`` package with ASCII markers where the personal bodies go), the PDF and inline images, the
subject and body templates, and the PDF link (link/both modes). Pure apart from reading the release's own
attachments.
"""

from __future__ import annotations

import hashlib
import html
import mimetypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP

from pressctl.errors import InputError
from pressctl.languages.locale import Labels
from pressctl.languages.routing import locale_for
from pressctl.model import EmailLinks, InlineImage, Rendered
from pressctl.release.merge import MergePlan
from pressctl.render.names import PDF_LINK_SLOT, PDF_LINK_SLOT_LINE, without_pdf_link_slots
from pressctl.send.bodies import Body, Template, choose_cte, crlf
from pressctl.send.wire import wire_piece

__all__ = ["HTML_MARK", "TEXT_MARK", "Variant", "build_variant", "with_pdf_link"]

# Markers stand in for the personal bodies in the skeleton: plain ASCII, kept verbatim by the generator.
TEXT_MARK = "PRESSCTLTEXTBODYMARKERQ7"
HTML_MARK = "PRESSCTLHTMLBODYMARKERQ7"


@dataclass(frozen=True)
class Variant:
    """Everything one language's messages share, built and encoded once."""

    language: str
    images: tuple[InlineImage, ...]
    subject: Template
    text: Body
    html: Body
    plan: MergePlan  # only the merge fields this language uses: evaluating one costs ~15 us
    top: bytes  # MIME-Version and Content-Type of the whole message, then the blank line
    before_text: bytes
    between: bytes  # after the text body, up to the HTML body
    after_html: bytes  # inline images, the PDF part, closing boundaries: identical bytes for every message
    pdf_part: bytes  # the encoded PDF part inside ``after_html`` (b"" when not attached), for checks
    # The greeting's tokens with their fallbacks only, for readers whose own language this version isn't.
    plain_greeting: Mapping[str, str]
    fixed_subject: bytes | None  # the folded Subject line when it holds no merge fields
    # top, before_text, between, after_html in SMTP DATA form (see pressctl.send.wire), made once; () unless wire
    wire: tuple[bytes | None, ...] = ()


def build_variant(
    lang: str,
    rendered: Rendered,
    *,
    pdf: tuple[str, bytes] | None,
    pdf_url: Callable[[str], str | None],
    pdf_names: Mapping[str, str],
    pdf_mode: str,
    links: Mapping[str, EmailLinks],
    campaign_id: str,
    plan: MergePlan,
    subject_line: Callable[[str], bytes],
    wire: bool,
) -> Variant:
    """Everything ``lang``'s messages share (``pdf``: the PDF it carries, if any, as (its language, bytes))."""
    text, page = rendered.text, rendered.html
    # A newsroom link block (render_email's ``links``) carries the PDF link already: no second one.
    url = pdf_url(pdf[0]) if pdf and lang not in links else None
    text, page = with_pdf_link(text, page, url=url, words=locale_for(lang).labels)
    text = crlf(text)
    page = crlf(page)
    blank = plan.blank()
    text_cte = choose_cte(MergePlan.apply(text, blank, escape_html=False))
    html_cte = choose_cte(MergePlan.apply(page, blank, escape_html=True))

    salt = hashlib.sha256(f"{campaign_id}\0{lang}".encode()).hexdigest()[:20]

    def multipart(subtype: str, parts: list[MIMEPart]) -> MIMEPart:
        part = MIMEPart(policy=SMTP)
        part["Content-Type"] = f"multipart/{subtype}"
        # '=' can't occur at a line start in base64 or quoted-printable, so the boundary never collides.
        part.set_boundary(f"=_{subtype[:3]}_{salt}")
        part.set_payload(parts)  # type: ignore[arg-type]
        return part

    def body(subtype: str, cte: str, marker: str) -> MIMEPart:
        part = MIMEPart(policy=SMTP)
        part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
        part["Content-Transfer-Encoding"] = cte
        part.set_payload(marker)  # written verbatim; replaced by the encoded body per contact
        return part

    html_part = body("html", html_cte, HTML_MARK)
    if rendered.images:
        images = []
        for image in rendered.images:
            img = MIMEPart(policy=SMTP)
            img.set_content(
                image.data,
                image.maintype,
                image.subtype,
                disposition="inline",
                filename=image.filename,
                cid=f"<{image.cid}>",
            )
            images.append(img)
        html_node = multipart("related", [html_part, *images])
    else:
        html_node = html_part
    children: list[MIMEPart] = [
        multipart("alternative", [body("plain", text_cte, TEXT_MARK), html_node])
    ]
    pdf_bytes = b""
    if pdf is not None and pdf_mode in ("attach", "both"):
        att = MIMEPart(policy=SMTP)
        att.set_content(
            pdf[1], "application", "pdf", disposition="attachment", filename=pdf_names[pdf[0]]
        )
        pdf_bytes = att.as_bytes(policy=SMTP)
        children.append(att)
    for path in rendered.release.attachments:
        # The release's own attachments (a fact sheet, a spreadsheet): encoded here, once per language.
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, _, subtype = ctype.partition("/")
        extra = MIMEPart(policy=SMTP)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise InputError(
                f"attachment cannot be read ({exc.strerror or exc})", where=str(path)
            ) from None
        extra.set_content(data, maintype, subtype, disposition="attachment", filename=path.name)
        children.append(extra)
    root = EmailMessage(policy=SMTP)
    root["MIME-Version"] = "1.0"
    root["Content-Type"] = "multipart/mixed"
    root.set_boundary(f"=_mix_{salt}")
    root.set_payload(children)  # type: ignore[arg-type]
    raw = root.as_bytes(policy=SMTP)
    top, _, rest = raw.partition(b"\r\n\r\n")
    before_text, _, rest = rest.partition(TEXT_MARK.encode())
    between, _, after_html = rest.partition(HTML_MARK.encode())
    subject = Template(rendered.subject)
    text_b, html_b = Body(text, text_cte), Body(page, html_cte)
    used = subject.tokens | text_b.template.tokens | html_b.template.tokens
    return Variant(
        language=lang,
        images=rendered.images,
        subject=subject,
        text=text_b,
        html=html_b,
        plan=MergePlan(fields=[f for f in plan.fields if f.token in used]),
        top=top + b"\r\n\r\n",
        before_text=before_text,
        between=between,
        after_html=after_html,
        pdf_part=pdf_bytes.partition(b"\r\n\r\n")[2] if pdf_bytes else b"",
        plain_greeting={t: blank.get(t, "") for t in rendered.greeting_tokens},
        fixed_subject=None if subject.tokens else subject_line(subject.parts[0]),
        wire=tuple(wire_piece(x) for x in (top + b"\r\n\r\n", before_text, between, after_html))
        if wire
        else (),
    )

# -- per contact ----------------------------------------------------------------------------------------


def with_pdf_link(text: str, page: str, *, url: str | None, words: Labels) -> tuple[str, str]:
    """Put the PDF link (link/both modes) where the templates have the slot ``<!--pressctl:pdf-link-->``;
    without a slot, at the end of the text and before ``</body>``. Without a link, slots are removed."""
    if url is None:
        return without_pdf_link_slots(text, page)
    label, link = words.pdf_link_label, words.pdf_link
    block = f"{label}\n{url}\n"
    if PDF_LINK_SLOT in text:
        text = PDF_LINK_SLOT_LINE.sub(lambda _: block, text, count=1).replace(PDF_LINK_SLOT, "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    snippet = (
        f'<p style="margin:16px 0;font-size:15px"><a href="{html.escape(url, quote=True)}">'
        f"{html.escape(link)}</a></p>"
    )
    if PDF_LINK_SLOT in page:
        page = page.replace(PDF_LINK_SLOT, snippet, 1).replace(PDF_LINK_SLOT, "")
    else:
        cut = page.lower().rfind("</body>")
        page = page[:cut] + snippet + page[cut:] if cut >= 0 else page + snippet
    return text, page
