"""CLI: ``pressctl translate RELEASE --to zh-CN``: a draft version converted by OpenCC, for a person to review."""

from __future__ import annotations

from typing import Annotated

import typer

from pressctl.cli._common import command, escape, warn, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, ReleaseFile

__all__ = ["register"]


@command
def translate(
    env: Env,
    release: ReleaseFile,
    to: Annotated[str, typer.Option("--to", help="The version to write, e.g. zh-CN (Simplified Chinese).")],
    force: Annotated[bool, typer.Option("--force", help="Convert again over an existing file.")] = False,
    config: ConfigFile = None,
) -> None:
    """Write RELEASE's Simplified Chinese version from its Traditional one (or back) with OpenCC.

    The file (RELEASE.zh-CN.md beside the release, added to its translations) is marked 'draft: true' and
    lists the phrases the conversion changed beyond single characters: OpenCC converts characters and some
    phrases, not vocabulary, so a person reads it. `send`, `schedule` and `publish` refuse it until the
    'draft: true' line is removed. Nothing leaves the machine.

    Example:
      pressctl translate releases/sample.md --to zh-CN
    """
    from pressctl.versions.translate import translate_release

    workspace = workspace_for(env, release, config)
    done = translate_release(release, workspace, to=to, force=force)
    env.out.print(f"{escape(done.path)}: {done.target} from {done.source} (OpenCC {done.config}), marked draft: true")
    for before, after in done.phrases:
        warn(env, f"phrase changed beyond characters, check it: {before} -> {after}")
    env.out.print("Next: read it, correct it, remove 'draft: true'; then `pressctl check` and `pressctl render`.")


def register(app: typer.Typer) -> None:
    """Add ``translate`` to the app."""
    app.command("translate")(translate)
