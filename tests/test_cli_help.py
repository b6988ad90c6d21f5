"""Issue 18 point 13: `--help` lines broke mid-sentence at 80 columns (a docstring's own line breaks kept),
and a TOML table named in a help text ("[defaults] timezone") vanished as if it were markup."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._help import tidy_help

runner = CliRunner()
_BOX = re.compile(r"[│╭╮╰╯─]")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, command
    if hasattr(command, "commands"):  # a group (typer's own click)
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


def _help(path: tuple[str, ...]) -> str:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def test_every_help_fits_80_columns_without_breaking_a_sentence() -> None:
    root = typer.main.get_command(app)
    seen = 0
    for path, command in _commands(root):
        text = _help(path)
        lines = text.splitlines()
        assert max(len(line) for line in lines) <= 80, (path, text)
        prose = [line for line in lines if line.startswith(" ") and not _BOX.search(line)]
        for above, below in itertools.pairwise(prose):
            a, b = above.strip(), below.strip()
            if not a or not b or below.startswith("   ") or a.endswith(":"):
                continue
            # A short line followed by the rest of its sentence: a break the source made, not the terminal.
            assert not (len(above.rstrip()) < 60 and (b[0].islower() or b[0].isdigit())), (path, above, below)
        # Every "[table]" a help text names reaches the reader (rich would take it for markup and drop it).
        flat = " ".join(_BOX.sub(" ", text).split())
        sources = [command.help or "", *(getattr(p, "help", None) or "" for p in command.params)]
        for source in sources:
            for table in re.findall(r"\\?\[([a-z][a-z_.]*)\]", source):
                assert f"[{table}]" in flat, (path, table)
        seen += 1
    assert seen >= 20  # every command and group, not a lucky few


def test_tidy_help_joins_paragraph_lines_and_keeps_examples() -> None:
    text = "Summary line.\n\n    Exit status 0 when fine,\n    2 when not.\n\n    Examples:\n      pressctl x\n      pressctl y\n"
    assert tidy_help(text) == "Summary line.\n\nExit status 0 when fine, 2 when not.\n\nExamples:\n  pressctl x\n  pressctl y"
