"""CLI: ``pressctl check RELEASE``: the versions compared, drafts named, warnings listed; nothing rendered."""

from __future__ import annotations

import typer

from pressctl.cli._common import command, escape, exit_with, warn, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, ReleaseFile
from pressctl.errors import ExitStatus

__all__ = ["register"]


@command
def check(env: Env, release: ReleaseFile, config: ConfigFile = None) -> None:
    """Check a release before it goes: do its language versions agree, is any still a draft?

    Each version is compared with the main one on what must not change in translation: the date and
    dates in the text, figures (2,400 = 2 400 = 二千四百), phone numbers, e-mail addresses, URLs, photos and
    the number of quotes. Each difference is one line naming both versions and the paragraph; `send`
    refuses them (exit 2) unless --allow-differences.

    Exit status: 0 the versions agree and none is a draft; 1 they differ or one is a draft; 2 bad input.

    Example:
      pressctl check releases/sample.md
    """
    from pressctl.languages.tags import language_names
    from pressctl.versions.check import check_release

    workspace = workspace_for(env, release, config)
    result = check_release(release, workspace, now=env.clock())
    for line in result.warnings:
        warn(env, line)
    for line in [*result.drafts, *result.differences]:
        env.out.print(escape(line))
    names = ", ".join(language_names(list(result.languages)).values())
    if result.clean:
        env.out.print(f"{escape(names)}: the versions agree" if len(result.languages) > 1 else f"{escape(names)}: one version, nothing to compare")
        return
    found = [f"{len(result.differences)} difference(s) between the versions"] if result.differences else []
    found += [f"{len(result.drafts)} draft version(s)"] if result.drafts else []
    env.out.print(", ".join(found))
    raise exit_with(ExitStatus.FAILED)


def register(app: typer.Typer) -> None:
    """Add ``check`` to the app."""
    app.command("check")(check)
