"""The PDF: the print HTML and WeasyPrint (imported on first use, ~0.5 s, with a faster import on Linux), one
``FontConfiguration`` and one image cache per process. Reads the files the print HTML refers to (inside the
workspace or ``[assets] allow`` only)."""

from __future__ import annotations

import io
import logging
import sys
from typing import Any

from markupsafe import Markup

from pressctl import resources
from pressctl.assets import Fetcher, roots_for
from pressctl.config import Workspace
from pressctl.errors import InputError, PressctlError
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan
from pressctl.render.images import check_pixels, print_image_uri
from pressctl.render.parts import build_parts, template_context
from pressctl.render.templates import TemplateFileError, render_template

__all__ = ["print_html", "render_pdf"]

_FONT_CONFIG: Any = None
_PDF_IMAGE_CACHE: dict[Any, Any] = {}


def _import_weasyprint() -> None:
    """Import WeasyPrint, skipping ~0.25 s of ``ctypes.util.find_library`` on Linux.

    WeasyPrint tries several names per C library (``libpango-1.0-0``, ..., ``libpango-1.0.so.0``);
    for each miss cffi calls ``find_library``, which runs ``ldconfig``/``gcc`` in a subprocess. The
    sonames WeasyPrint also lists load directly, so during the import ``find_library`` answers
    "not found" at once. If that isn't enough on some system, import again the normal way.
    """
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint
        return
    import contextlib
    import ctypes.util

    real = ctypes.util.find_library
    ctypes.util.find_library = lambda name: None
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its "could not import" banner, if any
            import weasyprint
    except OSError:
        for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[name]
        ctypes.util.find_library = real
        import weasyprint  # noqa: F401
    finally:
        ctypes.util.find_library = real


def _font_config() -> Any:
    """One FontConfiguration per process: building it scans the system fonts."""
    global _FONT_CONFIG
    if _FONT_CONFIG is None:
        _import_weasyprint()
        from weasyprint.text.fonts import FontConfiguration

        # WeasyPrint reports harmless CSS notes as warnings; keep them off the user's terminal.
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        # Real subsets of the CJK faces (only the glyphs used): see pressctl.render.pdffonts.
        from pressctl.render import pdffonts as pdffonts

        pdffonts.install()
        _FONT_CONFIG = FontConfiguration()
    return _FONT_CONFIG


# The heights (mm) a photo may shrink to, in turn, so a short release fits one A4 page (print.css: 60 mm).
FIT_PHOTO_MM = (48, 40, 32)


def _laid_out(document: Any, font_config: Any, *, photo_mm: int | None) -> Any:
    """The document laid out in pages; ``photo_mm``: photos at most this high (an extra style sheet, so a
    workspace's own print.css or print.html.j2 shrinks the same way)."""
    from weasyprint import CSS

    sheets = (
        [CSS(string=f"figure img {{ max-height: {photo_mm}mm !important; }}", font_config=font_config)]
        if photo_mm
        else None
    )
    return document.render(
        font_config=font_config, cache=_PDF_IMAGE_CACHE, pdf_variant="pdf/ua-1", stylesheets=sheets
    )


def print_html(release: Release, workspace: Workspace, plan: MergePlan, *, embargoed: bool) -> str:
    """The HTML the PDF is made from, merge fields filled with their fallbacks."""
    limits = workspace.limits
    body_srcs = {src: print_image_uri(path, limits) for src, path in release.images.items()}
    parts = build_parts(release, workspace, plan, embargoed=embargoed, images=body_srcs)
    context = template_context(release, workspace, parts, embargoed=embargoed)
    if workspace.brand.logo is not None:
        check_pixels(workspace.brand.logo, limits)
    context.update(
        logo=workspace.brand.logo.as_uri() if workspace.brand.logo else None,
        photos=[{"src": print_image_uri(p.src, limits), "alt": p.alt, "caption": p.caption} for p in release.photos],
        css=Markup(render_template(workspace, "print.css", context)),
    )
    html = render_template(workspace, "print.html.j2", context)
    return MergePlan.apply(html, plan.blank(), escape_html=True)


def render_pdf(release: Release, workspace: Workspace, plan: MergePlan, *, embargoed: bool) -> bytes:
    """The branded A4 PDF (tagged PDF/UA-1), shared by every recipient."""
    html = print_html(release, workspace, plan, embargoed=embargoed)
    font_config = _font_config()
    from weasyprint import HTML

    # Files from the workspace (and [assets] allow) only; nothing from the network, nothing else on disk:
    # a template's @import or url(), an SVG's references, an <img> a template adds.
    fetcher = Fetcher(roots_for(workspace.root, release.path.parent, (*workspace.assets_allow, resources.templates_dir())))
    try:
        document = HTML(string=html, base_url=str(release.path.parent), url_fetcher=fetcher.fetcher)
        laid_out = _laid_out(document, font_config, photo_mm=None)
        if release.photos and len(laid_out.pages) == 2:
            # One page when it fits: a short release whose media contacts spill onto a second page gets
            # its photos smaller (never below the last step) rather than a page of contacts alone.
            for photo_mm in FIT_PHOTO_MM:
                smaller = _laid_out(document, font_config, photo_mm=photo_mm)
                if len(smaller.pages) == 1:
                    laid_out = smaller
                    break
        pdf = laid_out.write_pdf(cache=_PDF_IMAGE_CACHE, pdf_variant="pdf/ua-1")
    except PressctlError:
        raise
    except Exception as exc:  # WeasyPrint's own errors: a broken image, a CSS file it can't use
        raise InputError(
            f"could not make the PDF ({type(exc).__name__}: {exc})",
            where=str(release.path),
            hint="check the photos and any print.css/print.html.j2 in the workspace's templates/",
        ) from None
    if fetcher.refused:
        raise TemplateFileError(
            f"the PDF refers to {fetcher.refused[0][:200]!r}, which pressctl does not fetch",
            where=str(release.path),
            hint="put the file inside the workspace (or a folder in [assets] allow) and refer to it by path; "
            "check templates/print.css and print.html.j2 for @import and url()",
        )
    return bytes(pdf)
