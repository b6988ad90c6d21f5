"""CLI: ``pressctl init DIR`` creates a workspace with a sample release, photo, logo and contacts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli._common import command, escape
from pressctl.cli._env import Env

__all__ = ["register"]


@command
def init(
    env: Env,
    directory: Annotated[
        Path, typer.Argument(help="The new workspace folder (must not exist, or be empty).")
    ],
) -> None:
    """Create a workspace: pressctl.toml, a sample release in English and Chinese, a photo, a logo, contacts.

    Edit pressctl.toml (organisation, brand, sender) before the first real send.

    Example:
      pressctl init hvsp && cd hvsp && pressctl render releases/sample.md -o out
    """
    from pressctl.scaffold import init_workspace

    written = init_workspace(directory)
    for path in written:
        env.out.print(escape(path))
    env.out.print(
        f"Workspace ready in {escape(directory)}. Next: cd {escape(directory)} && "
        "pressctl render releases/sample.md -o out"
    )


def register(app: typer.Typer) -> None:
    """Add ``init`` to the app."""
    app.command("init")(init)
