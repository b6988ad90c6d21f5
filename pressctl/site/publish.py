"""Publish, preview and unpublish releases in the site folder; regenerate index, feeds and sitemap.

The shell around ``pages`` and ``feeds``: reads and writes the site state, writes files as one step
(``site.staging``: everything is rendered and staged before anything changes, so a failure leaves the site
as it was), removes what a release no longer has. Order matters for anyone reading the folder meanwhile (a
web server, a deploy running from cron): a release's pages are written before the index links to them, and
the index stops linking to pages before they are removed. The state is saved just before the files go in,
so every file on the site is one it names. At the public publish a release's preview pages become pointers
at its public pages (``site.pointers``); published again unchanged, its time of update stays. Embargo
policy is the caller's: ``publish`` only insists on ``allow_public=True``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pressctl.clock import Clock
from pressctl.config import Workspace
from pressctl.errors import EmbargoError, InputError
from pressctl.release.load import Release
from pressctl.release.merge import MergePlan
from pressctl.site.branding import render_assets
from pressctl.site.feeds import render_feeds, render_sitemap
from pressctl.site.index_page import render_index
from pressctl.site.pages import PdfMaker, SiteFiles, index_versions, release_folder
from pressctl.site.pointers import pointer_files
from pressctl.site.release_page import render_release
from pressctl.site.staging import inside, stage
from pressctl.site.state import PreviewRecord, PublishedRecord, SiteState, load_state, save_state

__all__ = ["PublishResult", "SiteConfig", "publish", "publish_preview", "site_config", "unpublish"]

PREVIEW_TOKEN_BYTES = 18  # 144 random bits, 24 URL-safe characters


@dataclass(frozen=True)
class SiteConfig:
    """Where the site is written and served from (``[site]`` in pressctl.toml, at integration)."""

    dir: Path
    state_path: Path
    base_url: str | None = None  # https://newsroom.example/ ; absolute links, feeds' ids stay the same without
    deploy: str = ""  # [site] deploy: a shell command run in the folder after publishing
    deploy_timeout: float = 60.0
    pass_env: tuple[str, ...] = ()  # [site] pass_env: secrets the deploy command may have after all
    withhold: tuple[str, ...] = ()  # more variables holding secrets (relays' password_env)


def site_config(workspace: Workspace, *, dir: Path | None = None, base_url: str | None = None) -> SiteConfig:
    """From ``[site]`` in pressctl.toml (``dir`` and ``base_url`` given here win); without one, ``site/`` in
    the workspace. The state is always ``.pressctl/site.json``."""
    settings = workspace.site
    if settings is not None:
        dir = dir if dir is not None else settings.dir
        base_url = base_url if base_url is not None else (settings.base_url or None)
    folder = dir if dir is not None else workspace.root / "site"
    if not folder.is_absolute():
        folder = workspace.root / folder
    if base_url is not None and not base_url.lower().startswith(("https://", "http://")):
        raise InputError(
            f"site base_url {base_url!r} is not a web address", hint="write a full https:// URL, e.g. https://newsroom.hvsp.example/"
        )
    return SiteConfig(
        dir=folder,
        state_path=workspace.state_dir / "site.json",
        base_url=(base_url.rstrip("/") + "/") if base_url else None,
        deploy=settings.deploy if settings is not None else "",
        deploy_timeout=settings.deploy_timeout if settings is not None else 60.0,
        pass_env=settings.pass_env if settings is not None else (),
        withhold=workspace.secret_env_names,
    )


@dataclass(frozen=True)
class PublishResult:
    slug: str
    folder: str  # relative to the site folder: releases/<date>-<slug>/ or preview/<token>/
    pages: tuple[str, ...]  # the release's pages (main language first), relative to the site folder
    written: tuple[str, ...]
    removed: tuple[str, ...]
    preview: bool = False

    def urls(self, config: SiteConfig) -> tuple[str, ...]:
        """The pages as absolute URLs (with a base_url), else as paths in the site folder."""
        if config.base_url:
            return tuple(config.base_url + p for p in self.pages)
        return tuple(str(config.dir / p) for p in self.pages)


def _remove(config: SiteConfig, paths: Sequence[str]) -> tuple[str, ...]:
    removed = []
    root = config.dir.resolve()
    for relative in paths:
        target = inside(config.dir, relative)
        try:
            target.unlink()
            removed.append(relative)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise InputError(
                f"cannot remove {relative} ({exc.strerror or exc})",
                where=str(config.dir),
                hint="check the folder's permissions",
            ) from None
        # Folders left empty go too (photos/, the release's folder, preview/<token>/).
        parent = target.parent
        while parent != root and root in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
    return tuple(removed)


def _site_files(state: SiteState, workspace: Workspace, config: SiteConfig, now: dt.datetime) -> SiteFiles:
    entries = state.entries()
    return {
        **render_assets(workspace),
        **render_index(entries, workspace, base_url=config.base_url),
        **render_feeds(entries, workspace, now=now, base_url=config.base_url),
        **render_sitemap(entries, workspace, base_url=config.base_url),
    }


def _apply(config: SiteConfig, state: SiteState, files: SiteFiles, remove: Sequence[str]) -> tuple[str, ...]:
    """Write ``files`` and the state as one step, then remove ``remove``: a failure before the files are in
    place (rendering, a full disk) leaves the site and its state as they were. The state is saved before
    the renames, so every file on the site is one it names (``unpublish`` finds them all)."""
    staged = stage(config.dir, files)
    try:
        save_state(config.state_path, state)
    except OSError as exc:
        staged.discard()
        raise InputError(
            f"cannot save the site state ({exc.strerror or exc}); nothing was changed",
            where=str(config.state_path),
            hint="check the folder's permissions and free space",
        ) from None
    except BaseException:
        staged.discard()
        raise
    staged.commit()
    return _remove(config, [p for p in remove if p not in files])


def _shared(
    state: SiteState, workspace: Workspace, config: SiteConfig, now: dt.datetime
) -> tuple[SiteFiles, list[str]]:
    """The shared files (assets, index, feeds, sitemap) for ``state``, and those it no longer makes."""
    files = _site_files(state, workspace, config, now)
    stale = [p for p in state.site_paths if p not in files]
    state.site_paths = tuple(sorted(files))
    return files, stale


def _memo(make_pdf: PdfMaker | None) -> PdfMaker:
    """``make_pdf`` (WeasyPrint by default) asked once per release and embargo mark, however often called."""
    if make_pdf is None:
        from pressctl.render.pdf import render_pdf

        def make_pdf(release: Release, ws: Workspace, plan: MergePlan, embargoed: bool) -> bytes:
            return render_pdf(release, ws, plan, embargoed=embargoed)

    made: dict[tuple[int, bool], bytes] = {}
    maker = make_pdf

    def memo(release: Release, ws: Workspace, plan: MergePlan, embargoed: bool) -> bytes:
        key = (id(release), embargoed)
        if key not in made:
            made[key] = maker(release, ws, plan, embargoed)
        return made[key]

    return memo


def _on_disk(config: SiteConfig, files: SiteFiles, paths: Sequence[str]) -> bool:
    """True if ``files`` are exactly the files ``paths`` names, byte for byte, in the site folder now."""
    if set(files) != set(paths):
        return False
    for relative, data in files.items():
        try:
            target = inside(config.dir, relative)
            if target.stat().st_size != len(data) or target.read_bytes() != data:
                return False
        except OSError:
            return False
    return True


def _read(config: SiteConfig, paths: Sequence[str]) -> SiteFiles:
    """The files ``paths`` names in the site folder now (those missing are left out)."""
    found: SiteFiles = {}
    for relative in paths:
        try:
            found[relative] = inside(config.dir, relative).read_bytes()
        except OSError:
            continue
    return found


def _previews_to_public(
    state: SiteState, slug: str, public: SiteFiles, record: PublishedRecord, config: SiteConfig, now: dt.datetime
) -> tuple[SiteFiles, list[str]]:
    """The release's preview pages turned into pointers at its public pages (see ``site.pointers``), and the
    preview files that go. Nothing when the release never had a preview."""
    preview = state.previews.get(slug)
    if preview is None or not preview.paths:
        return {}, []
    files = pointer_files(
        public,
        public_folder=record.folder,
        preview_folder=preview.folder,
        titles={v.language: v.title for v in record.versions},
        main_language=record.versions[0].language,
        base_url=config.base_url,
    )
    stale = [p for p in preview.paths if p not in files]
    state.set_preview_paths(slug, tuple(sorted(files)), now)
    return files, stale


def _check_source(state: SiteState, main: Release, source: str) -> None:
    record = state.published.get(main.slug)
    if record is not None and record.source and record.source != source:
        raise InputError(
            f"another release is published as {main.slug!r} (from {record.source})",
            where=str(main.path),
            hint=f"rename this file, or unpublish {main.slug!r} first",
        )


def publish(
    releases: Sequence[Release],
    workspace: Workspace,
    config: SiteConfig,
    *,
    clock: Clock,
    allow_public: bool,
    make_pdf: PdfMaker | None = None,
    source: Path | None = None,
) -> PublishResult:
    """Put a release set (main language first, as ``load_release_set`` gives it) on the public site.

    Publishing again updates it in place (its first publication time stays); files it no longer has
    (a photo removed, a changed date's old folder) are removed. ``source`` is the release file as the user
    knows it, when ``releases`` were loaded from a copy (a scheduled job's snapshot).
    """
    if not releases:
        raise ValueError("no releases to publish")
    main = releases[0]
    if not allow_public:
        raise EmbargoError(
            "publishing this release on the public site is not allowed now",
            where=str(main.path),
            hint="publish a preview instead, or publish it when the embargo lifts",
        )
    now = clock()
    state = load_state(config.state_path)
    origin = str(source or main.path)
    _check_source(state, main, origin)
    previous = state.published.get(main.slug)
    for relative in previous.paths if previous else ():
        inside(config.dir, relative)  # a damaged state fails here, before anything changes
    folder = release_folder(main)
    pdfs = _memo(make_pdf)

    def render(updated: dt.datetime) -> SiteFiles:
        return render_release(
            releases,
            workspace,
            folder=folder,
            embargoed=main.is_embargoed(now),
            preview=False,
            published=previous.published if previous else now,
            updated=updated,
            base_url=config.base_url,
            make_pdf=pdfs,
        )

    # Published again with nothing changed: the same bytes, so its time of update (pages, feeds, sitemap)
    # stays, and feed readers are not told of a change that is not there.
    updated = now
    files = render(previous.updated) if previous is not None else None
    if previous is not None and files is not None and _on_disk(config, files, previous.paths):
        updated = previous.updated
    else:
        files = render(now)
    versions = index_versions(releases, folder=folder)
    record = PublishedRecord(
        slug=main.slug,
        date=main.date,
        folder=folder,
        published=previous.published if previous else now,
        updated=updated,
        versions=versions,
        paths=tuple(sorted(files)),
        source=origin,
    )
    state.published[main.slug] = record
    pointers, stale_previews = _previews_to_public(state, main.slug, files, record, config, now)
    shared, stale_shared = _shared(state, workspace, config, now)
    stale = [p for p in (previous.paths if previous else ()) if p not in files] + stale_previews + stale_shared
    removed = _apply(config, state, {**files, **pointers, **shared}, stale)
    return PublishResult(
        slug=main.slug,
        folder=folder,
        pages=tuple(v.path for v in versions),
        written=tuple(sorted(files)) + tuple(sorted(pointers)) + tuple(shared),
        removed=removed,
    )


def publish_preview(
    releases: Sequence[Release],
    workspace: Workspace,
    config: SiteConfig,
    *,
    clock: Clock,
    make_pdf: PdfMaker | None = None,
    source: Path | None = None,
) -> PublishResult:
    """Write the release under ``preview/<token>/``: marked EMBARGOED while the embargo holds, ``noindex``,
    listed in no index, feed or sitemap. The token is made once per release and kept, so advance-copy links
    keep working when the preview is published again."""
    if not releases:
        raise ValueError("no releases to publish")
    main = releases[0]
    now = clock()
    state = load_state(config.state_path)
    _check_source(state, main, str(source or main.path))
    record = state.previews.get(main.slug)
    if record is None:
        record = PreviewRecord(token=secrets.token_urlsafe(PREVIEW_TOKEN_BYTES))
        state.previews[main.slug] = record
    for relative in record.paths:
        inside(config.dir, relative)
    folder = record.folder
    public = state.published.get(main.slug)
    if public is not None and not main.is_embargoed(now):
        # Public already: the preview is a pointer at the public page, as publishing made it.
        files = pointer_files(
            _read(config, public.paths),
            public_folder=public.folder,
            preview_folder=folder,
            titles={v.language: v.title for v in public.versions},
            main_language=public.versions[0].language,
            base_url=config.base_url,
        )
    else:
        files = render_release(
            releases,
            workspace,
            folder=folder,
            embargoed=main.is_embargoed(now),
            preview=True,
            published=now,
            updated=now,
            base_url=config.base_url,
            make_pdf=make_pdf,
        )
    versions = index_versions(releases, folder=folder)
    stale = [p for p in record.paths if p not in files]
    state.set_preview_paths(main.slug, tuple(sorted(files)), now)
    # The preview's pages link to the shared CSS, logo and top index: make sure they exist.
    shared, stale_shared = _shared(state, workspace, config, now)
    removed = _apply(config, state, {**files, **shared}, stale + stale_shared)
    return PublishResult(
        slug=main.slug,
        folder=folder,
        pages=tuple(v.path for v in versions),
        written=tuple(sorted(files)) + tuple(shared),
        removed=removed,
        preview=True,
    )


def unpublish(
    slug: str,
    workspace: Workspace,
    config: SiteConfig,
    *,
    clock: Clock,
    previews: bool = True,
) -> PublishResult:
    """Take a release off the site: its pages, photos and PDFs, and its place in the index, feeds and sitemap.

    With ``previews`` its preview pages go too; the preview token is kept, so a later preview gets the same
    address as the one journalists already have.
    """
    now = clock()
    state = load_state(config.state_path)
    record = state.published.pop(slug, None)
    preview = state.previews.get(slug)
    if record is None and (not previews or preview is None or not preview.paths):
        raise InputError(
            f"release {slug!r} is not published",
            where=str(config.dir),
            hint="published: " + (", ".join(sorted(state.published)) or "none"),
        )
    for relative in (record.paths if record else ()) + (preview.paths if previews and preview else ()):
        inside(config.dir, relative)  # a damaged state fails here, before anything changes
    gone = list(record.paths) if record else []
    if previews and preview is not None and preview.paths:
        gone += preview.paths
        state.set_preview_paths(slug, (), now)
    # The index and feeds stop linking to the pages before the pages go.
    shared, stale_shared = _shared(state, workspace, config, now)
    removed = _apply(config, state, shared, gone + stale_shared)
    return PublishResult(
        slug=slug,
        folder=record.folder if record else (preview.folder if preview else ""),
        pages=(),
        written=tuple(shared),
        removed=removed,
    )
