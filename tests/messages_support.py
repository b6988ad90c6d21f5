"""Hand-built parts for message and preview tests: a workspace, renders with merge tokens, a PDF, an image.

Independent of the renderer so the message tests stay fast and exact; the integration test in
test_send_messages_integration.py uses the real renderer when it is installed.
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import re
from dataclasses import replace
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from pressctl.config import Workspace
from pressctl.config.sender import Sender
from pressctl.model import Contact, InlineImage, Rendered
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan
from pressctl.send.messages import MessageFactory

__all__ = [
    "DATE",
    "HEADERS",
    "SECRET",
    "SENDER",
    "body",
    "contact",
    "display_name",
    "fake_pdf",
    "make_factory",
    "make_renders",
    "make_workspace",
    "parse",
    "structure",
]

DATE = dt.datetime(2030, 3, 12, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
# The workspace secret make_factory signs tokens and VERP addresses with: fixed, so bytes can be pinned.
SECRET = b"hvsp-test-secret-0123456789abcdef"
# Every message has these headers, in this order, whatever its contact holds.
HEADERS = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
]
SENDER = Sender(
    from_addr="HVSP Press Office <press@hvsp.example>",
    reply_to="press@hvsp.example",
    unsubscribe_url="https://www.hvsp.example/press/unsubscribe?email={email}",
    unsubscribe_mailto="unsubscribe@hvsp.example",
    pdf="attach",
    pdf_base_url="https://www.hvsp.example/press/pdf/",
)

# A 1x1 PNG: real image bytes, so mail clients and parsers treat the part as an image.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201a5f6d3ae0000000049454e44ae426082"
)


def fake_pdf(size: int = 60_000, seed: str = "en") -> bytes:
    """PDF-looking bytes of ``size`` (binary, so base64 really has work to do)."""
    chunks = [b"%PDF-1.7\n"]
    n = 0
    while sum(map(len, chunks)) < size:
        chunks.append(hashlib.sha256(f"{seed}{n}".encode()).digest())
        n += 1
    return b"".join(chunks)[:size]


def make_workspace(tmp_path: Path, **sender: Any) -> Workspace:
    return Workspace(root=tmp_path, config_path=None, sender=replace(SENDER, **sender))


_EN_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body style="margin:0;padding:0;background:#f4f4f4">
<div role="article" style="max-width:600px;margin:0 auto;background:#fff;font-family:Arial,sans-serif">
<img src="cid:logo.tidal-bay@pressctl" alt="Harbourview Science Park" width="200">
<p>{greeting}</p>
<h1 style="color:#0b5c74">{title}</h1>
{body}
<p style="font-size:12px;color:#666">Harbourview Science Park &middot; 8 Tide Pool Road, Hong Kong</p>
</div></body></html>
"""


def make_renders(
    *, languages: tuple[str, ...] = ("en", "zh-HK"), images: bool = True, paragraphs: int = 12
) -> tuple[dict[str, Rendered], MergePlan]:
    """English and Chinese renders with a greeting, a subject and a body field, like render.py makes."""
    plan = MergePlan()
    out: dict[str, Rendered] = {}
    image = InlineImage(
        cid="logo.tidal-bay@pressctl",
        path=Path("brand/logo.png"),
        maintype="image",
        subtype="png",
        data=PNG,
        filename="logo.png",
    )
    for lang in languages:
        zh = lang.startswith("zh")
        release = Release(
            path=Path(f"releases/tidal-bay{'.zh-HK' if zh else ''}.md"),
            slug="tidal-bay",
            title="海景科學園開設潮汐能測試灣"
            if zh
            else "Harbourview Science Park Opens Tidal Energy Test Bay",
            date=dt.date(2030, 3, 12),
            body="",
            language=lang,
        )
        greeting = plan.tokenize('{{ name or "編輯" }}您好：' if zh else 'Dear {{ first_name or "editor" }},')
        outlet = plan.tokenize("{{ outlet }}")
        subject = plan.tokenize(
            "海景科學園開設潮汐能測試灣"
            if zh
            else "For {{ outlet or 'your desk' }}: HVSP opens a tidal test bay"
        )
        para = (
            "海景科學園今日開設潮汐能測試灣，讓初創企業在實驗室旁邊測試波浪及潮汐裝置。"
            if zh
            else "Harbourview Science Park today opened a 40-metre seawater channel where start-ups can "
            "trial wave and tide devices a short walk from their own laboratories."
        )
        body = "\n".join(f"<p>{para} ({i})</p>" for i in range(paragraphs))
        body += f"\n<p>{'供' if zh else 'Prepared for '}{outlet}</p>"
        page = _EN_HTML.format(title=release.title, greeting=greeting, body=body)
        text = f"{greeting}\n\n{release.title}\n\n" + "\n\n".join(f"{para} ({i})" for i in range(paragraphs))
        text += f"\n\nPrepared for {outlet}\n"
        out[lang] = Rendered(
            release=release, subject=subject, html=page, text=text, images=(image,) if images else ()
        )
    return out, plan


def make_factory(
    tmp_path: Path,
    *,
    languages: tuple[str, ...] = ("en", "zh-HK"),
    pdfs: dict[str, bytes] | None = None,
    sender: dict[str, Any] | None = None,
    **options: Any,
) -> MessageFactory:
    renders, plan = make_renders(languages=languages)
    if pdfs is None:
        pdfs = {lang: fake_pdf(seed=lang) for lang in languages}
    workspace = make_workspace(tmp_path, **(sender or {}))
    options.setdefault("campaign_id", "tidal-bay-2030")
    options.setdefault("date", DATE)
    options.setdefault("unsubscribe_secret", SECRET)
    return MessageFactory(renders, pdfs, workspace, plan, **options)


def parse(data: bytes) -> EmailMessage:
    """The message as a mail client reads it. SMTPUTF8 messages (raw UTF-8 headers) are parsed from text:
    from bytes the parser would keep such headers as surrogate escapes."""
    if not data.partition(b"\r\n\r\n")[0].isascii():
        msg = email.message_from_string(data.decode("utf-8"), policy=policy.default)
    else:
        msg = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def structure(msg: EmailMessage) -> Any:
    """The content types as a nested list: ``["multipart/mixed", [...children]]`` or a leaf type."""
    if msg.is_multipart():
        return [msg.get_content_type(), [structure(p) for p in msg.iter_parts()]]  # type: ignore[arg-type]
    return msg.get_content_type()


def contact(
    email_addr: str,
    name: str = "",
    language: str | None = "en",
    fields: dict[str, str] | None = None,
    **more: str,
) -> Contact:
    """A cleaned contact as contacts.py makes it; ``fields`` for keys that clash with the arguments."""
    return Contact(
        email=email_addr,
        name=name,
        fields={**(fields or {}), **more},
        language=language,
        source="contacts.csv:2",
    )


def body(msg: EmailMessage, kind: str) -> str:
    """The decoded ``plain`` or ``html`` body, line ends as ``\\n`` (MIME text is CRLF on the wire and decoded)."""
    part = msg.get_body((kind,))
    assert part is not None, f"no text/{kind} part"
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def display_name(data: bytes) -> str:
    """The To header's display name decoded the RFC 2047 way (adjacent encoded-words join without space).

    Python's address parser keeps the space between encoded-words in a phrase, unlike RFC 2047 and mail
    clients, so tests decode the phrase with ``email.header`` instead.
    """
    head = data.partition(b"\r\n\r\n")[0].decode("utf-8").replace("\r\n ", " ")
    value = next(line[4:] for line in head.split("\r\n") if line.startswith("To: "))
    phrase, sep, _ = value.rpartition(" <")
    if not sep:
        return ""
    if phrase.startswith('"'):
        return re.sub(r"\\(.)", r"\1", phrase[1:-1])
    return str(make_header(decode_header(phrase)))
