"""CLI: ``pressctl publish``, ``unpublish`` and ``site serve``: the newsroom (``[site]`` in pressctl.toml).

Thin over :mod:`pressctl.site.newsroom` (publish, with the embargo asked of :mod:`pressctl.embargo`) and
:mod:`pressctl.site.serve`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pressctl.cli._common import command, escape, warn, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, ReleaseFile

__all__ = ["register"]


def _print(env: Env, published: Any, what: str) -> None:
    for url in published.urls:
        env.out.print(escape(url))
    if published.deployed:
        env.err.print(escape(f"{what}; deployed with [site] deploy"))
    else:
        env.err.print(escape(f"{what} in {published.config.dir} (no [site] deploy set: copy the folder to your web server)"))


@command
def publish(
    env: Env,
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
    from pressctl.site.newsroom import publish_release

    workspace = workspace_for(env, release, config)
    published = publish_release(release, workspace, clock=env.clock, preview=preview)
    for line in published.warnings:
        warn(env, line)
    _print(env, published, "preview published (unlisted)" if preview else "published")


@command
def unpublish(env: Env, release: ReleaseFile, config: ConfigFile = None) -> None:
    """Take a release off the newsroom: its pages, photos, PDFs and previews, and its place in the index, feeds and sitemap; then run \\[site] deploy if set. Its preview address is kept for a later preview.

    Example:
      pressctl unpublish releases/sample.md
    """
    from pressctl.site.newsroom import unpublish_release

    workspace = workspace_for(env, release, config)
    published = unpublish_release(release, workspace, clock=env.clock)
    for path in published.result.removed:
        env.out.print(escape(f"removed {path}"))
    _print(env, published, "unpublished")


site_app = typer.Typer(help="The newsroom folder: look at it locally before deploying.", no_args_is_help=True)


@site_app.command("serve")
@command
def serve(
    env: Env,
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

    workspace = workspace_for(env, None, config)
    server = make_server(site_config(workspace).dir, port=port)
    env.out.print(f"serving {escape(site_config(workspace).dir)} at {server.url} (Ctrl-C stops)")
    env.out.file.flush()  # the address now, even when stdout is a pipe (a script waiting for it)
    try:
        server.serve_forever()
    finally:
        server.server_close()


def register(app: typer.Typer) -> None:
    """Add ``publish``, ``unpublish`` and ``site serve`` to the app."""
    app.command("publish")(publish)
    app.command("unpublish")(unpublish)
    app.add_typer(site_app, name="site")
