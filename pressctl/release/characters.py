"""Control and invisible characters in a release file: cleaned at load, each field's named with its line.

Pure. A vertical tab (Word pastes one for Shift+Enter), a form feed, a line separator, a bidi override or a
NUL in a title, caption or paragraph would reach the PDF, the email, the page and the Atom feed (which
cannot hold it at all). They are cleaned once, here, by ``controls.clean_text`` (line breaks read as a
space, invisible characters removed), so render, send, publish and a scheduled job see the same text, and
a warning names the field, the line and the column. Two passes: the file's own characters before YAML reads
it (YAML refuses most of them), then the values YAML made from escapes (``"\\v"`` in double quotes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pressctl.controls import LINE_BREAKS, clean_text, describe, unsafe_in_text

__all__ = ["Found", "character_warnings", "clean_file_text", "clean_values"]


@dataclass(frozen=True)
class Found:
    """A character cleaned: where (1-based line and column of the file) and which."""

    line: int
    column: int
    char: str


def clean_file_text(text: str) -> tuple[str, list[Found]]:
    """The file's text cleaned (line numbers unchanged), and what was found where."""
    hits = unsafe_in_text(text)
    if not hits:
        return text, []
    found = []
    for index, char in hits:
        start = text.rfind("\n", 0, index) + 1
        found.append(Found(text.count("\n", 0, index) + 1, index - start + 1, char))
    return clean_text(text), found


def clean_values(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The front matter's values cleaned (characters YAML made from escapes); what each key held."""
    escaped: dict[str, list[str]] = {}

    def walk(value: Any, key: str) -> Any:
        if isinstance(value, str):
            hits = unsafe_in_text(value)
            if hits:
                escaped.setdefault(key, []).extend(c for _, c in hits)
                return clean_text(value)
            return value
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if isinstance(value, dict):
            return {k: walk(v, key) for k, v in value.items()}
        return value

    return {k: walk(v, str(k)) for k, v in data.items()}, escaped


def _what(chars: list[str]) -> str:
    if len(chars) == 1:
        return describe(chars[0])
    return f"{len(chars)} control or invisible characters (the first: {describe(chars[0])})"


def _done(chars: list[str]) -> str:
    breaks = any(c in LINE_BREAKS for c in chars)
    invisible = any(c not in LINE_BREAKS for c in chars)
    if breaks and invisible:
        return "line breaks read as spaces, the others removed"
    if breaks:
        return "read as spaces" if len(chars) > 1 else "read as a space"
    return "removed"


def character_warnings(
    where: str,
    found: list[Found],
    escaped: Mapping[str, list[str]],
    *,
    key_lines: Mapping[str, int],
    body_line: int,
) -> list[str]:
    """One warning per field that held such characters: ``file:line:column: 'title' has ...: read as a space``."""
    keys = sorted(key_lines.items(), key=lambda item: item[1])

    def field(line: int) -> str:
        if line >= body_line:
            return "the body"
        name = next((k for k, at in reversed(keys) if at <= line), None)
        return f"'{name}'" if name is not None else "the front matter"

    grouped: dict[str, list[Found]] = {}
    for hit in found:
        grouped.setdefault(field(hit.line), []).append(hit)
    lines = []
    for name, hits in grouped.items():
        chars = [h.char for h in hits]
        lines.append(f"{where}:{hits[0].line}:{hits[0].column}: {name} has {_what(chars)}: {_done(chars)}")
    for key, chars in escaped.items():
        lines.append(
            f"{where}:{key_lines.get(key, 1)}: '{key}' has {_what(chars)}, written as an escape: {_done(chars)}"
        )
    return lines
