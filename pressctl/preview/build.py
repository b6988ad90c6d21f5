"""What the preview page shows of a release set, rendered now: per language the subject, the email HTML
(images inlined), the plain text, the PDF's pages as JPEG images (poppler's ``pdftoppm``) with each page's
text (``pdftotext``: the images' text alternative) and the newsroom page's files; the warnings, the
attachments with their sizes and the approval state. A release that fails to load or render gives its
error line instead (the page keeps the last good render beside it, marked as such)."""

from __future__ import annotations

import base64
import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pressctl.children import run_tool
from pressctl.config import Workspace
from pressctl.errors import InputError, PressctlError
from pressctl.model import InlineImage
from pressctl.preview.shown import Built, FileSize, LanguageView, PageImage
from pressctl.release.load import Release, load_release_set
from pressctl.release.merge import MergePlan

__all__ = ["PdfMemo", "build_preview", "pdf_pages"]



class PageToolFailed(Exception):
    """``pdftoppm`` ended without the pages (its exit status; it timed out: ``None``)."""

    def __init__(self, returncode: int | None) -> None:
        super().__init__(returncode)
        self.returncode = returncode


PAGE_WIDTH = 700  # px of a PDF page image: sharp on a laptop, light enough to send on every save
MAX_PAGES = 12  # pages shown per language (a longer release shows its first pages and says so)


def _data_uris(html: str, images: tuple[InlineImage, ...]) -> str:
    for image in images:
        uri = f"data:{image.maintype}/{image.subtype};base64," + base64.b64encode(image.data).decode("ascii")
        html = html.replace(f"cid:{image.cid}", uri)
    return html


def pdf_pages(pdf: bytes, *, width: int = PAGE_WIDTH, limit: int = MAX_PAGES) -> tuple[int, tuple[PageImage, ...]]:
    """The page count and the first ``limit`` pages as JPEG with their text (poppler's tools)."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise InputError(
            "pdftoppm (poppler) is not installed, so the PDF's pages cannot be shown",
            hint="install it (Debian: apt install poppler-utils)",
        )
    with tempfile.TemporaryDirectory(prefix="pressctl-preview-") as scratch:
        source = Path(scratch) / "release.pdf"
        source.write_bytes(pdf)
        texts: list[str] = []
        text_tool = shutil.which("pdftotext")
        if text_tool is not None:
            said = run_tool([text_tool, "-enc", "UTF-8", "-l", str(limit), str(source), "-"], timeout=120)
            texts = said.stdout.decode("utf-8", "replace").split("\f")
        drawn = run_tool(
            [tool, "-jpeg", "-jpegopt", "quality=85", "-l", str(limit), "-scale-to-x", str(width), "-scale-to-y", "-1", str(source), f"{scratch}/page"],
            timeout=120,
        )
        if drawn.returncode != 0 or drawn.timed_out:
            raise PageToolFailed(drawn.returncode)
        images = sorted(Path(scratch).glob("page-*.jpg"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        pages = tuple(
            PageImage(number=n, jpeg=path.read_bytes(), text=" ".join((texts[n - 1] if n <= len(texts) else "").split()))
            for n, path in enumerate(images, start=1)
        )
    count = pdf.count(b"/Type /Page\n") or pdf.count(b"/Type/Page") or len(pages)
    return max(count, len(pages)), pages


PdfMemo = dict[str, tuple[bytes, int, tuple[PageImage, ...]]]
_MEMO_KEEP = 16


def _pdf_of(
    release: Release, workspace: Workspace, plan: MergePlan, *, embargoed: bool, key: str, memo: PdfMemo
) -> tuple[bytes, int, tuple[PageImage, ...]]:
    """The language's PDF and page images: from ``memo`` when its key (the print HTML and every file it
    reads, see ``render.pdfcache``) is unchanged, so an edit to one language re-renders that one only."""
    from pressctl.render.pdf import render_pdf

    if key in memo:
        return memo[key]
    pdf = render_pdf(release, workspace, plan, embargoed=embargoed)
    count, pages = pdf_pages(pdf)
    memo[key] = (pdf, count, pages)
    while len(memo) > _MEMO_KEEP:
        del memo[next(iter(memo))]
    return memo[key]


def _render(
    releases: list[Release], workspace: Workspace, now: dt.datetime, memo: PdfMemo, previous: Built | None
) -> Built:
    from pressctl.render.email import render_email
    from pressctl.render.files import release_warnings
    from pressctl.render.names import pdf_filename, without_pdf_link_slots
    from pressctl.render.pdfcache import pdf_keys
    from pressctl.site.branding import render_assets
    from pressctl.site.pages import page_name, release_folder
    from pressctl.site.release_page import render_release

    plan = MergePlan()
    main = releases[0]
    embargoed = main.is_embargoed(now)
    pdfs: dict[str, bytes] = {}
    views: list[LanguageView] = []
    keys = pdf_keys(releases, workspace, plan, embargoed=embargoed)
    for release in releases:
        rendered = render_email(release, workspace, plan, embargoed=embargoed, for_recipients=False)
        blank = plan.blank()
        html = MergePlan.apply(_data_uris(rendered.html, rendered.images), blank, escape_html=True)
        text = MergePlan.apply(rendered.text, blank, escape_html=False)
        text, html = without_pdf_link_slots(text, html)
        key = keys[release.language]
        earlier = {view.language: view for view in previous.languages} if previous is not None else {}
        pending = key not in memo and release.language in earlier
        if pending:  # first the words, at once; the new PDF follows in the next render
            old = earlier[release.language]
            pdf, count, pages = b"", old.page_count, old.pages
        else:
            pdf, count, pages = _pdf_of(release, workspace, plan, embargoed=embargoed, key=key, memo=memo)
            pdfs[release.language] = pdf
        folder = "preview-site/" + release_folder(main)
        views.append(
            LanguageView(
                language=release.language,
                name=release.locale.name,
                html_lang=release.locale.html_lang,
                title=release.title,
                subject=MergePlan.apply(rendered.subject, blank, escape_html=False),
                email_html=html,
                text=text,
                pdf_size=len(pdf) if not pending else earlier[release.language].pdf_size,
                page_count=count,
                pages=pages,
                newsroom=folder + page_name(release.language, main.language),
                pdf_pending=pending,
            )
        )

    def made_pdf(release: Release, ws: Workspace, plan: MergePlan, embargoed: bool) -> bytes:
        return pdfs.get(release.language) or b""  # a pending PDF: the page's link waits for the next render

    site = render_release(
        releases, workspace, folder="preview-site/" + release_folder(main), embargoed=embargoed, preview=False,
        published=now.replace(second=0, microsecond=0), updated=now.replace(second=0, microsecond=0),
        make_pdf=made_pdf,
    )
    site.update({f"preview-site/{name}": data for name, data in render_assets(workspace).items()})
    pdf_paths = {
        r.language: "preview-site/" + release_folder(main) + pdf_filename(r.slug, r.language, main_language=main.language)
        for r in releases
    }

    def finish() -> Built:
        by_language = {r.language: r for r in releases}
        done: list[LanguageView] = []
        complete = dict(site)
        for view in views:
            if view.pdf_pending:
                release = by_language[view.language]
                pdf, count, pages = _pdf_of(
                    release, workspace, plan, embargoed=embargoed, key=keys[view.language], memo=memo
                )
                view = replace(view, pdf_size=len(pdf), page_count=count, pages=pages, pdf_pending=False)
                complete[pdf_paths[view.language]] = pdf
            done.append(view)
        return replace(built, languages=tuple(done), site_files=complete, finish=None)
    files: list[FileSize] = []
    seen: set[Path] = set()
    for release in releases:
        for path in [*(p.src for p in release.photos), *release.attachments, *release.images.values()]:
            if path not in seen:
                seen.add(path)
                try:
                    files.append(FileSize(Path(path).name, Path(path).stat().st_size))
                except OSError:
                    files.append(FileSize(Path(path).name, -1))
    built = Built(
        slug=main.slug,
        title=main.title,
        languages=tuple(views),
        warnings=tuple(release_warnings(releases, now)),
        files=tuple(files),
        site_files=site,
    )
    if any(view.pdf_pending for view in views):
        built = replace(built, finish=finish)
    return built


def build_preview(
    path: Path,
    *,
    load_workspace: Callable[[], Workspace],
    now: dt.datetime,
    approval: Callable[[list[Release], Workspace], tuple[str, bool]] | None = None,
    memo: PdfMemo | None = None,
    previous: Built | None = None,
) -> Built:
    """Everything the page shows of the release at ``path``, or the one error line that stops it.

    With ``previous`` (the render on the page now), a language whose PDF changed keeps its earlier pages,
    marked pending, so the words show at once; build again without it for the new PDF (``pending``)."""
    try:
        workspace = load_workspace()
        releases = load_release_set(path, workspace)
        built = _render(releases, workspace, now, memo if memo is not None else {}, previous)
        if approval is not None:
            state, ok = approval(releases, workspace)
            first = built.finish
            built = replace(built, approval=state, approval_ok=ok)
            if first is not None:
                built = replace(built, finish=lambda: replace(first(), approval=state, approval_ok=ok))
        return built
    except PressctlError as exc:
        return Built(error=str(exc))
    except PageToolFailed as exc:
        return Built(error=f"pdftoppm could not read the PDF (exit {exc.returncode})")
