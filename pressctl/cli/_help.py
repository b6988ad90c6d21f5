"""Help text as people read it at 80 columns: paragraphs flow, examples keep their lines.

typer (0.29, rich mode) keeps every line break of a docstring, so a docstring wrapped at 110 characters
in the source broke mid-sentence at 80 columns ("...would be skipped),\\n 2 when they cannot"). Each
command's help is tidied once, when the app is put together: the lines of an ordinary paragraph are
joined (the terminal wraps them), while a paragraph with indented lines (``Examples:``) stays as written.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import typer

__all__ = ["tidy_app", "tidy_help"]


def tidy_help(text: str | None) -> str | None:
    """``text`` with the lines of each plain paragraph joined; paragraphs with indented lines kept."""
    if not text:
        return text
    paragraphs = []
    for paragraph in inspect.cleandoc(text).split("\n\n"):
        lines = paragraph.split("\n")
        keep = any(line[:1].isspace() for line in lines) or paragraph.startswith("\b")
        paragraphs.append(paragraph if keep else " ".join(line.strip() for line in lines))
    return "\n\n".join(paragraphs)


def _infos(app: typer.Typer) -> Iterator[Any]:
    yield from app.registered_commands
    for group in app.registered_groups:
        yield group
        if group.typer_instance is not None:
            yield group.typer_instance.info
            yield from _infos(group.typer_instance)


def tidy_app(app: typer.Typer) -> None:
    """Tidy the help of every command and group of ``app`` (see the module docstring)."""
    for info in _infos(app):
        callback = getattr(info, "callback", None)
        text = getattr(info, "help", None)
        if not isinstance(text, str) or not text:
            # A group's unset callback is typer's DefaultPlaceholder, whose own docstring is no help text.
            text = inspect.getdoc(callback) if callable(callback) else None
        if text:
            info.help = tidy_help(text)
