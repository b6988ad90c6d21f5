"""The newsroom links an email carries: "Read online", "Download photos" and "PDF", per language.

With ``[site] base_url``, each language's email links to its page on the published site (to the unlisted
preview page for an advance copy). The addresses come from the site state when the release is there, so
they name the files that exist; a send whose links would not resolve is refused with the command that
publishes the page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

from pressctl.config import Workspace
from pressctl.errors import InputError
from pressctl.model import EmailLinks
from pressctl.release.load import Release
from pressctl.render.names import pdf_filename
from pressctl.site.pages import index_versions, release_folder
from pressctl.site.publish import site_config
from pressctl.site.state import load_state

__all__ = ["PHOTOS_ANCHOR", "email_links", "job_links", "links_problem", "newsroom_links"]

PHOTOS_ANCHOR = "#photos-heading"  # the photos section's heading on a release page (templates/site/release.html.j2)


def _url(base: str, path: str) -> str:
    return base + quote(path, safe="/._-~")


def _folder(releases: Sequence[Release], workspace: Workspace, *, advance_copy: bool) -> tuple[str, bool]:
    """The release's folder in the site and whether the site holds it now."""
    config = site_config(workspace)
    state = load_state(config.state_path)
    main = releases[0]
    if advance_copy:
        preview = state.previews.get(main.slug)
        if preview is None:
            return "", False
        return preview.folder, bool(preview.paths)
    folder = release_folder(main)
    record = state.published.get(main.slug)
    return folder, record is not None and record.folder == folder


def links_problem(releases: Sequence[Release], workspace: Workspace, *, advance_copy: bool) -> str:
    """Why the emails' newsroom links would not resolve now (the page is not published), or ""."""
    if workspace.site is None or not workspace.site.base_url:
        return ""
    _, present = _folder(releases, workspace, advance_copy=advance_copy)
    if present:
        return ""
    what = "preview page" if advance_copy else "newsroom page"
    return f"the release's {what} is not published, so the emails' links to it would lead nowhere"


def email_links(
    releases: Sequence[Release],
    workspace: Workspace,
    *,
    advance_copy: bool,
    require: bool,
    release_path: Path | None = None,
) -> Mapping[str, EmailLinks]:
    """Per language, the newsroom links for the emails; empty without ``[site] base_url``.

    ``require``: refuse (InputError, exit 2) when the page is not published, naming the command that fixes
    it. Without it (a dry run, a job that publishes at the lift), public links are given anyway; an advance
    copy's preview address is only known once a preview has been published (else no links).
    """
    if workspace.site is None or not workspace.site.base_url or not releases:
        return {}
    base = workspace.site.base_url
    main = releases[0]
    folder, present = _folder(releases, workspace, advance_copy=advance_copy)
    if require and not present:
        shown = release_path or main.path
        raise InputError(
            links_problem(releases, workspace, advance_copy=advance_copy),
            where=str(shown),
            hint=f"run `pressctl publish {shown}{' --preview' if advance_copy else ''}` first"
            + ("" if advance_copy else ", or use `pressctl schedule`, which publishes it at the lift"),
        )
    if not folder:
        return {}
    # Computed from the names publishing gives; where the site holds the release, its own record wins
    # (a `send --lang` of one translation names that translation's files, not the main language's).
    computed = {v.language: (v.path, v.pdf) for v in index_versions(releases, folder=folder)}
    state = load_state(site_config(workspace).state_path)
    record = state.published.get(main.slug) if not advance_copy else None
    if record is not None and record.folder == folder:
        computed.update({v.language: (v.path, v.pdf) for v in record.versions})
    preview = state.previews.get(main.slug) if advance_copy else None
    out: dict[str, EmailLinks] = {}
    for release in releases:
        path, pdf = computed[release.language]
        if preview is not None and preview.paths:
            own = f"{folder}index.{release.language}.html"
            path = own if own in preview.paths else f"{folder}index.html"
            own_pdf = folder + pdf_filename(main.slug, release.language, main_language=main.language)
            main_pdf = folder + pdf_filename(main.slug, main.language, main_language=main.language)
            pdf = own_pdf if own_pdf in preview.paths else main_pdf
        page = _url(base, path)
        out[release.language] = EmailLinks(
            page=page,
            photos=page + PHOTOS_ANCHOR if release.photos else "",
            pdf=_url(base, pdf),
            preview=advance_copy,
        )
    return out


def newsroom_links(
    workspace: Workspace, release_path: Path, *, require: bool, warn: Callable[[str], None] | None = None
) -> Callable[[Sequence[Release], bool], Mapping[str, EmailLinks]] | None:
    """The emails' newsroom links for a send's plan (None without ``[site] base_url``). ``require``: refuse a
    send whose page is not published; otherwise (a dry run, a test copy) ``warn`` is told so, with the fix."""
    if workspace.site is None or not workspace.site.base_url:
        return None

    def links(releases: Sequence[Release], advance_copy: bool) -> Mapping[str, EmailLinks]:
        if warn is not None and not require:
            problem = links_problem(releases, workspace, advance_copy=advance_copy)
            if problem:
                fix = f"pressctl publish {release_path}{' --preview' if advance_copy else ''}"
                warn(f"{problem} yet: run `{fix}` before sending")
        return email_links(releases, workspace, advance_copy=advance_copy, require=require, release_path=release_path)

    return links


def job_links(workspace: Workspace, release_path: Path, require: bool) -> Callable[[Sequence[Release], bool], Mapping[str, EmailLinks]] | None:
    """For scheduled jobs: not required (and no warning) when scheduling, since the job publishes the page
    at the lift; required when it sends, just after publishing."""
    return newsroom_links(workspace, release_path, require=require)
