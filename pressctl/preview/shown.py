"""What the preview page shows, as values: one render of a release set (or its error line), per language its
subject, email, text, PDF pages and newsroom page. Made by :mod:`~pressctl.preview.build`, shown by
:mod:`~pressctl.preview.page`. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Built", "FileSize", "InboxView", "LanguageView", "PageImage"]


@dataclass(frozen=True)
class PageImage:
    number: int
    jpeg: bytes  # JPEG: ~6 times faster to make than PNG (zlib), and smaller
    text: str  # what the page says (pdftotext), the image's text alternative


@dataclass(frozen=True)
class FileSize:
    name: str
    size: int


@dataclass(frozen=True)
class LanguageView:
    language: str
    name: str  # "Traditional Chinese (Hong Kong)"
    html_lang: str
    title: str
    subject: str
    email_html: str
    text: str
    pdf_size: int
    page_count: int
    pages: tuple[PageImage, ...]
    newsroom: str  # the page's path among ``Built.site_files``
    pdf_pending: bool = False  # the pages are the previous render's: the new PDF is being made


@dataclass(frozen=True)
class Built:
    """One render of the release set, or its ``error`` (then nothing else is filled)."""

    slug: str = ""
    title: str = ""
    languages: tuple[LanguageView, ...] = ()
    warnings: tuple[str, ...] = ()
    files: tuple[FileSize, ...] = ()
    approval: str = ""  # "approved by Amy Chan (2026-...)", "not approved", "changed since ..."; "" without a ledger
    approval_ok: bool = False
    site_files: Mapping[str, bytes] = field(default_factory=dict)
    error: str = ""
    # With pending PDFs: makes them and gives the complete render (only the PDFs are made; the rest is kept).
    finish: Callable[[], Built] | None = field(default=None, compare=False, repr=False)

    @property
    def pending(self) -> bool:
        """Some language shows its previous PDF pages while the new ones are made."""
        return any(view.pdf_pending for view in self.languages)

    @property
    def words(self) -> str:
        """A digest of what the emails say (subject, HTML, text, per language): SpamAssassin's scores belong
        to one, and are marked out of date when the render on the page has another."""
        digest = hashlib.sha256()
        for view in self.languages:
            for part in (view.language, view.subject, view.email_html, view.text):
                digest.update(hashlib.sha256(part.encode()).digest())
        return digest.hexdigest()[:16]


@dataclass(frozen=True)
class InboxView:
    """Whether the release will land in the inbox, made off the re-render path (:mod:`~pressctl.preview.inbox`):
    the sending-domain check (its summary and each finding that is not ok, as ``(level, line)``) and
    SpamAssassin's score of one message per language (``(language name, line)``), for the render whose
    :attr:`Built.words` is ``scored``."""

    domain: str = "checking the sending domain..."
    findings: tuple[tuple[str, str], ...] = ()
    spam: str = ""  # why there is no score ("SpamAssassin is not installed ..."), or "" when it can be run
    scores: tuple[tuple[str, str], ...] = ()
    scoring: bool = False  # SpamAssassin runs now
    scored: str = ""
