"""CLI: ``pressctl import FILE.docx``: a Word release as a release file, or as a release's translation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli._common import command, escape, warn, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile

__all__ = ["register"]


@command
def import_(
    env: Env,
    document: Annotated[Path, typer.Argument(metavar="FILE.docx", help="The release as Word saved it (.docx).")],
    lang: Annotated[
        str | None, typer.Option("--lang", help="The document's language, e.g. en or zh-HK (default: read from its text).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder for the release and its photos (default: releases/), or the release file itself (NAME.md).")
    ] = None,
    translation_of: Annotated[
        Path | None,
        typer.Option("--translation-of", help="Add the document as this release's translation (RELEASE.<lang>.md beside it)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace a release file of the same name.")] = False,
    config: ConfigFile = None,
) -> None:
    """Import a release written in Word: headline, subheading, dateline, body, quotes, photos and captions,
    About sections and media enquiries, in English or Chinese.

    Marker lines ("Press Release", "For Immediate Release", "Embargoed until ...", 新聞稿, 即時發佈, 禁發時間)
    set the embargo; the text after the end mark ("###", "- Ends -", 完) gives the About sections (關於) and
    the media contacts (傳媒查詢) with their phones and e-mail addresses. Photos are saved under photos/ beside
    the release. Tracked changes: insertions are kept, deletions left out, with a warning; comments are left
    out with a warning. What could not be placed stays in the body and is listed with its paragraph.

    Examples:
      pressctl import releases/test-bay.docx
      pressctl import launch-chi.docx --translation-of releases/launch.md
    """
    from pressctl.importer.run import import_docx

    workspace = workspace_for(env, translation_of or output or None, config)
    done = import_docx(
        document,
        workspace,
        out_dir=output,
        language=lang,
        translation_of=translation_of,
        force=force,
        clock=env.clock,
    )
    for line in done.warnings:
        warn(env, line)
    for photo in done.photos:
        env.out.print(escape(photo))
    env.out.print(escape(done.release))
    if done.main is not None:
        env.out.print(f"added to {escape(done.main)} as its {done.language} version")
    target = done.main or done.release
    env.out.print(f"Next: read it, then `pressctl check {escape(target)}` and `pressctl render {escape(target)}`.")


def register(app: typer.Typer) -> None:
    """Add ``import`` to the app."""
    app.command("import")(import_)
