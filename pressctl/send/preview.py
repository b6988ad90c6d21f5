"""The dry run: every recipient's message as an ``.eml`` file, plus an ``index.html`` page to look at them.

Nothing here talks to a mail server or a ledger. The ``.eml`` files are the exact bytes a send would hand
over (built by the same ``MessageFactory``); the ``.html``/``.txt`` files beside them are the same bodies,
decoded, with ``cid:`` images pointing at files so a browser can show them.
"""

from __future__ import annotations

import html
import re
import shutil
from collections import Counter
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from email import policy
from email.parser import HeaderParser
from pathlib import Path

from pressctl.errors import InputError
from pressctl.model import Contact, InlineImage
from pressctl.send.messages import MessageFactory, PersonalParts

__all__ = ["MARKER", "PreviewResult", "safe_name", "write_preview"]

MARKER = ".pressctl-preview"  # marks a folder as ours, so a re-run may clear it and nothing else
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]+")
_PLAIN = re.compile(r"[^A-Za-z0-9._-]+")
_CID = re.compile(r"""(["'(])cid:([^"')\s]+)""")
_SHOWN_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "Reply-To", "List-Unsubscribe")


@dataclass(frozen=True)
class PreviewResult:
    """What the dry run wrote."""

    out_dir: Path
    index: Path  # index.html: open it in a browser
    recipients: int  # contacts given
    written: int  # messages written (fewer than recipients with ``limit``)
    messages: list[Path] = field(default_factory=list)  # the .eml files, in contact order
    pdfs: list[Path] = field(default_factory=list)
    languages: dict[str, int] = field(default_factory=dict)  # messages written per language


def safe_name(index: int, address: str) -> str:
    """``0001-amy.chan@news.example``: a file name that is safe on every system and sorts in order."""
    cleaned = _UNSAFE.sub("_", address).strip(".") or "recipient"  # no separators, no dot-files
    return f"{index:04d}-{cleaned[:80]}"


def _prepare(out_dir: Path) -> None:
    """Make ``out_dir`` ours and empty: refuse a folder with other files, clear one from an earlier run."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("exists and is not a folder", where=str(out_dir), hint="choose another --out folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not (out_dir / MARKER).is_file():
            raise InputError(
                "folder is not empty and was not made by a dry run",
                where=str(out_dir),
                hint="choose a new or empty --out folder; the dry run never overwrites other files",
            )
        # Only what a dry run writes goes; anything else (a file the user put here) stops it.
        ours = {"messages", "images", "index.html", MARKER}
        foreign = [c.name for c in out_dir.iterdir() if c.name not in ours and c.suffix.lower() != ".pdf"]
        if foreign:
            raise InputError(
                f"folder holds {foreign[0]!r}, which a dry run did not write",
                where=str(out_dir),
                hint="move it away, or choose a new or empty --out folder",
            )
        for child in out_dir.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / MARKER).write_text("Written by `pressctl send --dry-run`; safe to delete.\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot write the preview here ({exc.strerror or exc})",
            where=str(out_dir),
            hint="choose another --out folder",
        ) from None


def _image_name(image: InlineImage) -> str:
    ext = "jpg" if image.subtype == "jpeg" else _PLAIN.sub("_", image.subtype)
    return f"{_PLAIN.sub('_', image.cid).strip('.')}.{ext}"


def _standalone(parts: PersonalParts, prefix: str) -> str:
    """The email HTML with ``cid:`` references turned into paths of the image files."""
    names = {image.cid: prefix + _image_name(image) for image in parts.images}
    return _CID.sub(
        lambda m: m.group(1) + html.escape(names.get(m.group(2), "cid:" + m.group(2))), parts.html
    )


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,"Noto Sans CJK HK",sans-serif;margin:24px;color:#1d1d1f}
@media (max-width:640px){body{margin:12px}table.kv th{width:8.5em}}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.note{background:#fff7e0;border:1px solid #e8c56a;padding:8px 12px;display:inline-block}
table{border-collapse:collapse;margin:8px 0;max-width:100%}td,th{border:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top;font-size:14px}th{background:#f4f4f4;white-space:nowrap}
td{overflow-wrap:break-word}
table.kv{table-layout:fixed;width:100%;max-width:56em}table.kv th{width:10.5em;white-space:normal}
td.n,td.lang,td.files{white-space:nowrap}td.n{text-align:right;font-variant-numeric:tabular-nums}
.frames{display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap;max-width:100%;overflow-x:auto}
.frames figure{margin:0;min-width:0;max-width:100%;overflow-x:auto}.frames iframe{border:1px solid #bbb;height:900px;background:#fff}
.recipients{display:block;overflow-x:auto;max-width:100%}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f8f8f8;border:1px solid #ddd;padding:12px;max-width:80ch}
object{border:1px solid #bbb;max-width:100%}
"""


def _summary_rows(summary: Mapping[str, object]) -> str:
    rows = []
    for key, value in summary.items():
        if isinstance(value, Mapping):
            value = ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
        elif isinstance(value, list | tuple | set | frozenset):
            value = ", ".join(str(v) for v in value) or "—"
        rows.append(f"<tr><th>{_e(str(key).replace('_', ' '))}</th><td>{_e(value)}</td></tr>")
    return "\n".join(rows)


def _index_page(
    *,
    factory: MessageFactory,
    result: PreviewResult,
    summary: Mapping[str, object] | None,
    rows: list[tuple[int, Contact, str, str, str]],
    showcase: list[tuple[str, str, PersonalParts, bytes]],
    skipped: Sequence[tuple[Contact, str]] = (),
    advance: AbstractSet[str] = frozenset(),
) -> str:
    counts: dict[str, object] = {
        "recipients": result.recipients,
        "messages written": result.written,
        "languages": result.languages,
        "from": factory.envelope_from,
        "PDF": factory.pdf_mode,
        "campaign": factory.campaign_id,
    }
    if summary:
        counts.update(summary)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Dry run: {_e(factory.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Dry run: {_e(factory.title)}</h1>",
        '<p class="note">Nothing was sent and nothing was recorded. '
        "These are the exact messages a send would hand to the mail server.</p>",
        f'<h2 id="summary">Summary</h2><table class="summary kv">{_summary_rows(counts)}</table>',
    ]
    if result.written < result.recipients:
        out.append(
            f"<p>Only the first {result.written} of {result.recipients} recipients were written (--limit).</p>"
        )
    for lang, stem, parts, data in showcase:
        # From text, so raw UTF-8 headers (SMTPUTF8 messages) read as written, not as escapes.
        head = data.partition(b"\r\n\r\n")[0].decode("utf-8", "replace")
        headers = HeaderParser(policy=policy.default).parsestr(head + "\r\n\r\n")
        head_rows = "".join(
            f"<tr><th>{_e(h)}</th><td>{_e(headers[h])}</td></tr>"
            for h in _SHOWN_HEADERS
            if headers[h] is not None
        )
        written = [p.name for p in result.pdfs]
        own = factory.pdf_names.get(lang)
        pdf = own if own in written else next(iter(written), None)
        # sandbox keeps scripts and forms off; allow-same-origin is needed because a sandboxed frame's opaque
        # origin cannot load the ../images/ files over file:// (Chromium showed only the alt text).
        out += [
            f'<h2 id="lang-{_e(lang)}">{_e(lang)}: {_e(parts.subject)}</h2>',
            f"<p>As received by the first {_e(lang)} recipient.</p>",
            f'<table class="kv">{head_rows}</table>',
            '<div class="frames">',
            f'<figure><figcaption>600 px (desktop)</figcaption><iframe src="messages/{_e(stem)}.html" '
            f'width="600" sandbox="allow-same-origin" title="{_e(lang)} email at 600 px"></iframe></figure>',
            f'<figure><figcaption>375 px (phone)</figcaption><iframe src="messages/{_e(stem)}.html" '
            f'width="375" sandbox="allow-same-origin" title="{_e(lang)} email at 375 px"></iframe></figure>',
            "</div>",
            "<h3>Text version</h3>",
            f'<pre lang="{_e(lang)}">{_e(parts.text)}</pre>',
        ]
        if pdf:
            out += [
                "<h3>PDF</h3>",
                f'<p><a href="{_e(pdf)}">{_e(pdf)}</a> ({_e(factory.pdf_mode)})</p>',
                f'<object data="{_e(pdf)}" type="application/pdf" width="600" height="800">'
                f'<a href="{_e(pdf)}">Open the PDF</a></object>',
            ]
    out += [
        '<h2 id="recipients">Recipients</h2>',
        "<table class=\"recipients\"><tr><th>#</th><th>Name</th><th>Address</th><th>Language</th><th>Subject</th><th>Files</th></tr>",
    ]
    for number, contact, lang, stem, subject in rows:
        note = " <small>(had the advance copy: gets the released version)</small>" if contact.key in advance else ""
        out.append(
            f'<tr><td class="n">{number}</td><td>{_e(contact.name)}</td><td>{_e(contact.email)}{note}</td>'
            f'<td class="lang">{_e(lang)}</td><td>{_e(subject)}</td>'
            f'<td class="files"><a href="messages/{_e(stem)}.eml">.eml</a> <a href="messages/{_e(stem)}.html">.html</a> '
            f'<a href="messages/{_e(stem)}.txt">.txt</a></td></tr>'
        )
    out.append("</table>")
    if skipped:
        # Who the send would leave out, read from the ledger as the send reads it: the same counts.
        out += [
            f'<h2 id="skipped">Skipped ({len(skipped)})</h2>',
            '<table class="recipients"><tr><th>Name</th><th>Address</th><th>Why</th></tr>',
            *(
                f"<tr><td>{_e(c.name)}</td><td>{_e(c.email)}</td><td>{_e(why)}</td></tr>"
                for c, why in skipped
            ),
            "</table>",
        ]
    out += ["</body></html>", ""]
    return "\n".join(out)


def write_preview(
    factory: MessageFactory,
    contacts: Sequence[Contact],
    *,
    out_dir: Path,
    pdfs: Mapping[str, bytes],
    limit: int | None = None,
    summary: Mapping[str, object] | None = None,
    skipped: Sequence[tuple[Contact, str]] = (),
    advance: AbstractSet[str] = frozenset(),
) -> PreviewResult:
    """Write the dry run into ``out_dir``: ``messages/NNNN-address.{eml,html,txt}``, the PDFs, ``images/``
    and ``index.html``. ``summary`` (e.g. ``ContactSet.report()`` counts) is shown at the top of the page;
    ``skipped`` (who a send leaves out, and why) and ``advance`` (keys of readers who had the advance copy)
    come from :func:`pressctl.send.audience.audience`."""
    out_dir = Path(out_dir)
    _prepare(out_dir)
    messages_dir = out_dir / "messages"
    images_dir = out_dir / "images"
    messages_dir.mkdir()
    chosen = list(contacts if limit is None else contacts[: max(0, limit)])

    pdf_paths = []
    for lang, data in pdfs.items():
        name = factory.pdf_names.get(lang)
        if name:
            path = out_dir / name
            path.write_bytes(data)
            pdf_paths.append(path)

    written_images: set[str] = set()
    rows: list[tuple[int, Contact, str, str, str]] = []
    showcase: dict[str, tuple[str, str, PersonalParts, bytes]] = {}
    eml_paths = []
    languages: Counter[str] = Counter()
    for number, contact in enumerate(chosen, start=1):
        message = factory.build(contact)
        parts = factory.personal_parts(contact)
        stem = safe_name(number, message.recipient)
        eml = messages_dir / f"{stem}.eml"
        eml.write_bytes(message.data)
        (messages_dir / f"{stem}.html").write_text(_standalone(parts, "../images/"), encoding="utf-8")
        (messages_dir / f"{stem}.txt").write_text(parts.text, encoding="utf-8")
        for image in parts.images:
            name = _image_name(image)
            if name not in written_images:
                images_dir.mkdir(exist_ok=True)
                (images_dir / name).write_bytes(image.data)
                written_images.add(name)
        eml_paths.append(eml)
        languages[message.language] += 1
        rows.append((number, contact, message.language, stem, parts.subject))
        showcase.setdefault(message.language, (message.language, stem, parts, message.data))

    result = PreviewResult(
        out_dir=out_dir,
        index=out_dir / "index.html",
        recipients=len(contacts),
        written=len(chosen),
        messages=eml_paths,
        pdfs=pdf_paths,
        languages=dict(languages.most_common()),
    )
    page = _index_page(
        factory=factory, result=result, summary=summary, rows=rows, showcase=list(showcase.values()),
        skipped=skipped, advance=advance,
    )
    result.index.write_text(page, encoding="utf-8")
    return result
