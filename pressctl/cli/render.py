"""CLI: ``pressctl render RELEASE`` writes the PDF, the email HTML and the plain text of each language."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli._common import command, escape, warn, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, ReleaseFile

__all__ = ["register"]


@command
def render(
    env: Env,
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
    from pressctl.render.files import render_files

    workspace = workspace_for(env, release, config)
    written = render_files(
        release,
        out_dir=output,
        workspace=workspace,
        lang=lang,
        now=env.clock(),
        warn=lambda line: warn(env, line),
    )
    for path in written:
        env.out.print(escape(path))


def register(app: typer.Typer) -> None:
    """Add ``render`` to the app."""
    app.command("render")(render)
