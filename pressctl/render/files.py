"""``pressctl render``'s files: ``<slug>.pdf/.html/.txt`` per language, written atomically; and the warnings
about a release set. Reads the release files; writes the outputs."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from pressctl.atomic import write_atomic
from pressctl.config import Workspace
from pressctl.errors import InputError
from pressctl.model import InlineImage
from pressctl.release.load import Release, date_warnings, load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.email import render_email
from pressctl.render.names import output_stem, pdf_filename, without_pdf_link_slots
from pressctl.render.pdf import render_pdf

__all__ = ["release_warnings", "render_files"]


def _data_uris(html: str, images: tuple[InlineImage, ...]) -> str:
    """Swap ``cid:`` references for ``data:`` URIs so the HTML opens in a browser on its own."""
    for image in images:
        uri = f"data:{image.maintype}/{image.subtype};base64," + base64.b64encode(image.data).decode("ascii")
        html = html.replace(f"cid:{image.cid}", uri)
    return html


def release_warnings(releases: list[Release], now: dt.datetime) -> list[str]:
    """Every warning about a release set (doubtful datelines, dates, drafts, versions that disagree), each
    once, main release first."""
    from pressctl.versions.gate import check_versions

    found: list[str] = []
    for line in [*date_warnings(releases, now.astimezone(releases[0].zone).date())] + [
        w for r in releases for w in r.warnings
    ] + check_versions(releases, preview=True, allow_differences=True):
        if line not in found:
            found.append(line)
    return found


def render_files(
    path: Path,
    *,
    out_dir: Path,
    workspace: Workspace,
    lang: str | None,
    now: dt.datetime,
    warn: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write ``<slug>.pdf/.html/.txt`` (and ``<slug>.<lang>.*`` per translation); return the paths.

    Everything is rendered in memory first and each file is written through a temporary file and a
    rename, so an error leaves no half-written or partial set of files behind. ``warn`` gets each
    warning line (see ``release_warnings``).
    """
    releases = load_release_set(Path(path), workspace)
    if warn is not None:
        for line in release_warnings(releases, now):
            warn(line)
    main_language = releases[0].language  # its files have no language suffix
    if lang is not None:
        releases = load_release_set(Path(path), workspace, only=lang)
    plan = MergePlan()
    outputs: list[tuple[Path, bytes]] = []
    for release in releases:
        embargoed = release.is_embargoed(now)
        rendered = render_email(release, workspace, plan, embargoed=embargoed, for_recipients=False)
        pdf = render_pdf(release, workspace, plan, embargoed=embargoed)
        blank = plan.blank()
        html = MergePlan.apply(_data_uris(rendered.html, rendered.images), blank, escape_html=True)
        text = MergePlan.apply(rendered.text, blank, escape_html=False)
        text, html = without_pdf_link_slots(text, html)
        stem = output_stem(release.slug, release.language, main_language=main_language)
        outputs += [
            (out_dir / pdf_filename(release.slug, release.language, main_language=main_language), pdf),
            (out_dir / f"{stem}.html", html.encode("utf-8")),
            (out_dir / f"{stem}.txt", text.encode("utf-8")),
        ]
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("is a file, not a folder", where=str(out_dir), hint="choose a folder with -o")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for target, data in outputs:
            write_atomic(target, data)
    except OSError as exc:
        raise InputError(
            f"cannot write output ({exc.strerror or exc})",
            where=str(exc.filename or out_dir),
            hint="choose another folder with -o",
        ) from None
    return [target for target, _ in outputs]
