"""CLI: ``pressctl publish``, ``unpublish`` and ``site serve``: the newsroom (``[site]`` in pressctl.toml).

Also the emails' newsroom links for ``send`` and ``schedule`` (``site_links``): refused up front when they
would lead to a page that is not there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pressctl.cli._common import err, escape, handle_errors, out, workspace_for
from pressctl.cli._options import ConfigFile, ReleaseFile

if TYPE_CHECKING:
    from pressctl.model import EmailLinks
    from pressctl.release.load import Release

__all__ = ["job_site_links", "register", "site_links"]


def site_links(
    workspace: Any, release_path: Path, *, require: bool, warn: bool = True
) -> Callable[[Sequence[Release], bool], Mapping[str, EmailLinks]] | None:
    """The emails' newsroom links for ``plan_send`` (None without ``[site] base_url``). ``require``: refuse a
    send whose page is not published; otherwise (a dry run, a test copy) a warning says so."""
    if workspace.site is None or not workspace.site.base_url:
        return None

    def links(releases: Sequence[Release], advance_copy: bool) -> Mapping[str, EmailLinks]:
        from pressctl.site.links import email_links, links_problem

        if warn and not require:
            problem = links_problem(releases, workspace, advance_copy=advance_copy)
            if problem:
                fix = f"pressctl publish {release_path}{' --preview' if advance_copy else ''}"
                err.print(f"[yellow]warning:[/] {escape(problem)} yet: run `{escape(fix)}` before sending")
        return email_links(
            releases, workspace, advance_copy=advance_copy, require=require, release_path=release_path
        )

    return links


def job_site_links(
    workspace: Any, release_path: Path, require: bool
) -> Callable[[Sequence[Release], bool], Mapping[str, EmailLinks]] | None:
    """For scheduled jobs: not required (and no warning) when scheduling, since the job publishes the page
    at the lift; required when it sends, just after publishing."""
    return site_links(workspace, release_path, require=require, warn=False)


def _print(published: Any, what: str) -> None:
    for url in published.urls:
        out.print(escape(url))
    if published.deployed:
        err.print(escape(f"{what}; deployed with [site] deploy"))
    else:
        err.print(escape(f"{what} in {published.config.dir} (no [site] deploy set: copy the folder to your web server)"))


@handle_errors
def publish(
    release: ReleaseFile,
    preview: Annotated[
        bool,
        typer.Option(
            "--preview",
            help="An unlisted, noindex advance-copy page under preview/<token>/ (allowed under embargo).",
        ),
    ] = False,
    config: ConfigFile = None,
) -> None:
    """Publish a release on the newsroom: a page per language with its photos and PDFs, the index, feeds and sitemap, in \\[site] dir (default site/); then run \\[site] deploy if set. Prints each page's URL (\\[site] base_url) or path.

    A release under embargo is refused: use --preview for an advance-copy page journalists can be sent,
    or `pressctl schedule`, which publishes the public page at the lift before the first email leaves.
    Once the public page is up, the preview's pages point at it. Publishing again updates the page in
    place (unchanged, nothing changes); a failure leaves the site as it was.

    Exit status: 0 published; 1 the deploy command failed (the folder is written; run again to deploy);
    2 bad input or under embargo (nothing written).

    Examples:
      pressctl publish releases/sample.md
      pressctl publish releases/sample.md --preview
    """
    from pressctl.clock import system_clock
    from pressctl.site.newsroom import publish_release

    workspace = workspace_for(release, config)
    published = publish_release(release, workspace, clock=system_clock, preview=preview)
    for warning in published.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    _print(published, "preview published (unlisted)" if preview else "published")


@handle_errors
def unpublish(release: ReleaseFile, config: ConfigFile = None) -> None:
    """Take a release off the newsroom: its pages, photos, PDFs and previews, and its place in the index, feeds and sitemap; then run \\[site] deploy if set. Its preview address is kept for a later preview.

    Example:
      pressctl unpublish releases/sample.md
    """
    from pressctl.clock import system_clock
    from pressctl.site.newsroom import unpublish_release

    workspace = workspace_for(release, config)
    published = unpublish_release(release, workspace, clock=system_clock)
    for path in published.result.removed:
        out.print(escape(f"removed {path}"))
    _print(published, "unpublished")


site_app = typer.Typer(help="The newsroom folder: look at it locally before deploying.", no_args_is_help=True)


@site_app.command("serve")
@handle_errors
def serve(
    port: Annotated[int, typer.Option("--port", help="The port on 127.0.0.1 (0: any free port).")] = 8000,
    config: ConfigFile = None,
) -> None:
    """Serve the site folder on 127.0.0.1 only, for a look in a browser before deploying. Ctrl-C stops.

    Only the folder's own files (no links out of it, no hidden files), no folder listings, and only to
    requests for 127.0.0.1 or localhost (another site's page cannot read it). See docs/site.md.

    Example:
      pressctl site serve --port 8080
    """
    from pressctl.site.publish import site_config
    from pressctl.site.serve import make_server

    workspace = workspace_for(None, config)
    server = make_server(site_config(workspace).dir, port=port)
    out.print(f"serving {escape(site_config(workspace).dir)} at {server.url} (Ctrl-C stops)")
    out.file.flush()  # the address now, even when stdout is a pipe (a script waiting for it)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def register(app: typer.Typer) -> None:
    """Add ``publish``, ``unpublish`` and ``site serve`` to the app."""
    app.command("publish")(publish)
    app.command("unpublish")(unpublish)
    app.add_typer(site_app, name="site")
