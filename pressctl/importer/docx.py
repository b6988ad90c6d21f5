"""Open a .docx: refuse what is not one (not a zip, password-protected, empty) in one line, count its
tracked changes and comments, and turn it into HTML with mammoth (insertions kept, deletions and comments
left out), its pictures kept by id with their alt text."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressctl.errors import InputError
from pressctl.limits import require_regular_file

__all__ = ["STYLE_MAP", "DocxContent", "Picture", "read_docx"]

# Word's styles as the blocks ``structure`` reads: the headline, subheading, captions and quotes.
STYLE_MAP = "\n".join(
    (
        "p[style-name='Title'] => h1.title:fresh",
        "p[style-name='Subtitle'] => h2.subtitle:fresh",
        "p[style-name='Caption'] => p.caption:fresh",
        "p[style-name='Quote'] => blockquote > p:fresh",
        "p[style-name='Intense Quote'] => blockquote > p:fresh",
        "p[style-name='Block Text'] => blockquote > p:fresh",
    )
)

MAX_BYTES = 100 * 1024 * 1024
MAX_UNPACKED = 300 * 1024 * 1024  # the parts together, unpacked: photos included, a release stays far below
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: an encrypted .docx, or an old .doc


@dataclass(frozen=True)
class Picture:
    data: bytes
    content_type: str
    alt: str


@dataclass
class DocxContent:
    html: str
    pictures: dict[str, Picture] = field(default_factory=dict)
    insertions: int = 0
    deletions: int = 0
    comments: int = 0
    sizes: dict[str, float] = field(default_factory=dict)  # a paragraph's text -> its largest type size (pt)


def _refuse(path: Path, what: str, hint: str) -> InputError:
    return InputError(what, where=str(path), hint=hint)


def read_docx(path: Path) -> DocxContent:
    """The document's HTML and pictures; an ``InputError`` for a file that is not a readable .docx."""
    import mammoth

    path = Path(path)
    try:
        require_regular_file(path, what="document", cls=InputError)
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise _refuse(path, "file not found", "check the path") from None
    except OSError as exc:
        raise _refuse(path, f"cannot read the file ({exc.strerror})", "check its permissions") from None
    if size == 0:
        raise _refuse(path, "the file is empty (0 bytes)", "save the document again from Word as .docx")
    if size > MAX_BYTES:
        raise _refuse(path, f"the file is {size // (1024 * 1024)} MB, more than a release needs", "save the photos smaller")
    if head == _OLE:
        raise _refuse(
            path,
            "the document is password-protected (or an old Word 97-2003 .doc)",
            "remove the password in Word (File > Info > Protect Document) or save it as .docx, then import it again",
        )
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            unpacked = sum(info.file_size for info in zf.infolist())
            if unpacked > MAX_UNPACKED:  # a zip bomb: small on disk, gigabytes once read
                raise _refuse(
                    path, f"the document unpacks to {unpacked // (1024 * 1024)} MB, more than a release can be",
                    "open it in Word and save it again as .docx (or it is not a real Word document)",
                )
            if "word/document.xml" not in names:
                raise _refuse(path, "not a Word document (a zip without word/document.xml)", "save the document from Word as .docx")
            xml = zf.read("word/document.xml").decode("utf-8", "replace")
            comments = zf.read("word/comments.xml").decode("utf-8", "replace") if "word/comments.xml" in names else ""
    except zipfile.BadZipFile:
        raise _refuse(path, "not a .docx file (not a zip archive)", "save the document from Word as .docx (Word Document)") from None
    content = DocxContent(
        html="",
        # A moved passage counts as both: its new place is kept, its old place left out (as mammoth reads it).
        insertions=len(re.findall(r"<w:(?:ins|moveTo)[\s>/]", xml)),
        deletions=len(re.findall(r"<w:(?:del|moveFrom)[\s>/]", xml)),
        comments=len(re.findall(r"<w:comment\b", comments)) or len(re.findall(r"<w:commentRangeStart\b", xml)),
    )

    def picture(image: Any) -> dict[str, str]:
        with image.open() as fh:
            data = fh.read()
        key = f"picture-{len(content.pictures) + 1}"
        content.pictures[key] = Picture(data, str(image.content_type or ""), str(image.alt_text or "").strip())
        return {"src": key}

    try:
        with path.open("rb") as fh:
            # A picture linked to a file outside the document is never read (a .docx can name /etc/passwd).
            result = mammoth.convert_to_html(
                fh, style_map=STYLE_MAP, convert_image=mammoth.images.img_element(picture), external_file_access=False
            )
    except Exception as exc:  # a damaged part inside the zip: the document's fault, named as such
        raise _refuse(path, f"the document could not be read ({type(exc).__name__})", "open it in Word, save it again as .docx") from None
    content.html = str(result.value)
    content.sizes = _sizes(path)
    if not re.sub(r"<[^>]+>", "", content.html).strip() and not content.pictures:
        raise _refuse(path, "the document has no text", "check that this is the release's .docx")
    return content


def _style_size(style: Any) -> float:
    while style is not None:
        if style.font is not None and style.font.size is not None:
            return float(style.font.size.pt)
        style = style.base_style
    return 0.0


def _sizes(path: Path) -> dict[str, float]:
    """Each top-level paragraph's text (spaces collapsed) and the largest type size set on it or its style:
    a headline typed large by hand, without Word's Title style, is still the headline."""
    import docx

    try:
        document = docx.Document(str(path))
    except Exception:  # mammoth read it; sizes only help, so a part python-docx dislikes costs nothing
        return {}
    sizes: dict[str, float] = {}
    for paragraph in document.paragraphs:
        text = " ".join(paragraph.text.split())
        if not text or text in sizes:
            continue
        runs = [float(r.font.size.pt) for r in paragraph.runs if r.font.size is not None and r.text.strip()]
        sizes[text] = max(runs) if runs else _style_size(paragraph.style)
    return sizes

