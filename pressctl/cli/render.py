"""CLI: ``pressctl render RELEASE`` writes the PDF, the email HTML and the plain text of each language."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli._common import err, escape, handle_errors, out, workspace_for
from pressctl.cli._options import ConfigFile, ReleaseFile

__all__ = ["register"]


@handle_errors
def render(
    release: ReleaseFile,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the files (created if missing).")
    ] = Path("out"),
    lang: Annotated[
        str | None, typer.Option("--lang", help="Only this language, e.g. en or zh-HK (default: all).")
    ] = None,
    config: ConfigFile = None,
) -> None:
    """Render a release to <slug>.pdf, <slug>.html (the email) and <slug>.txt, and each translation.

    Before the embargo lifts, every form carries the "EMBARGOED UNTIL ..." line; after, "FOR IMMEDIATE
    RELEASE". Merge fields show their fallbacks.

    Example:
      pressctl render releases/sample.md -o out --lang zh-HK
    """
    from pressctl.clock import system_clock
    from pressctl.render.files import render_files

    workspace = workspace_for(release, config)
    written = render_files(
        release,
        out_dir=output,
        workspace=workspace,
        lang=lang,
        now=system_clock(),
        warn=lambda line: err.print(f"[yellow]warning:[/] {escape(line)}"),
    )
    for path in written:
        out.print(escape(path))


def register(app: typer.Typer) -> None:
    """Add ``render`` to the app."""
    app.command("render")(render)
