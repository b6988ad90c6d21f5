"""CLI: ``pressctl preview RELEASE``: every language's email, text, PDF pages and newsroom page on one local
page that follows each save (:mod:`pressctl.preview`)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli._common import command, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, ReleaseFile

if TYPE_CHECKING:
    from pressctl.config import Workspace
    from pressctl.release.load import Release

__all__ = ["register"]


@command
def preview(
    env: Env,
    release: ReleaseFile,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0: any free one).")] = 8765,
    open_page: Annotated[bool, typer.Option("--open", help="Open the page in your browser.")] = False,
    config: ConfigFile = None,
) -> None:
    """Show RELEASE as it will go, in every language, on http://127.0.0.1:PORT/, updated as you save.

    One page with, per language: the subject, the email at phone and desktop width, the plain text, the
    PDF's pages and the newsroom page; above them the warnings (dates, datelines, merge fields, alt text),
    the photos and attachments with their sizes, whether this version is approved, the sending-domain check
    (as `pressctl domain check`) and SpamAssassin's score of one message per language (when it is installed:
    scored once the page is up, then again with the page's button; PRESSCTL_SPAMASSASSIN=off for none); these
    two are made beside the page and never delay an update. Saving the release,
    a translation, a photo, a template or pressctl.toml re-renders it and the open page follows (no reload).
    A release that no longer renders shows its error line on the page. Only 127.0.0.1 is served, to
    requests that name it; nothing is sent. Ctrl-C stops.

    Example:
      pressctl preview releases/launch.md --open
    """
    from pressctl.approvals.check import approval_state
    from pressctl.preview.watch import open_browser, running_preview

    workspace = workspace_for(env, release, config)
    ledger = workspace.ledger_path

    def approval(releases: list[Release], ws: Workspace) -> tuple[str, bool]:
        return approval_state(releases, ws, ledger_path=ledger)

    with running_preview(
        release, config=workspace.config_path, clock=env.clock, port=port, approval=approval, environ=env.environ
    ) as shown:
        env.err.print(f"Preview of {release} at {shown.url} (Ctrl-C stops)", markup=False)
        if open_page:
            open_browser(shown.url)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:  # Ctrl-C is how a preview ends: no "interrupted", exit 0
            env.err.print("preview stopped", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``preview`` to the app."""
    app.command("preview")(preview)
