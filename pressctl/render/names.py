"""Names shared by what ``pressctl render`` writes and what ``pressctl send`` attaches or links. Pure.

The file stem of each language version (``<slug>`` for the release's own language, ``<slug>.<tag>`` for a
translation), the PDF's file name, and the slot templates leave for the PDF link.
"""

from __future__ import annotations

import re

__all__ = ["PDF_LINK_SLOT", "PDF_LINK_SLOT_LINE", "output_stem", "pdf_filename", "without_pdf_link_slots"]

# Where the email templates want the PDF link (link/both modes); removed when there is no link.
PDF_LINK_SLOT = "<!--pressctl:pdf-link-->"
# The slot on a line of its own in the text version (the whole line goes, or becomes the link block).
PDF_LINK_SLOT_LINE = re.compile(r"^[ \t]*" + re.escape(PDF_LINK_SLOT) + r"[ \t]*\n?", re.M)


def output_stem(slug: str, language: str, *, main_language: str) -> str:
    """``tidal-bay`` for the release's own language, ``tidal-bay.zh-HK`` for a translation."""
    return slug if language == main_language else f"{slug}.{language}"


def pdf_filename(slug: str, language: str, *, main_language: str) -> str:
    """The PDF's file name, as ``pressctl render`` writes it and as a message attaches or links it."""
    return output_stem(slug, language, main_language=main_language) + ".pdf"


def without_pdf_link_slots(text: str, html: str) -> tuple[str, str]:
    """The text and HTML with every PDF-link slot removed (no link to put there)."""
    return PDF_LINK_SLOT_LINE.sub("", text), html.replace(PDF_LINK_SLOT, "")
