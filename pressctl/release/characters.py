"""Control and invisible characters in a release file: cleaned at load, each field's named with its line.

Pure. A vertical tab (Word pastes one for Shift+Enter), a form feed, a line separator, a bidi override or a
NUL in a title, caption or paragraph would reach the PDF, the email, the page and the Atom feed (which
cannot hold it at all). They are cleaned once, here, by ``controls.clean_text`` (line breaks read as a
space, invisible characters removed), so render, send, publish and a scheduled job see the same text, and
a warning names the field, the line and the column. Two passes: the file's own characters before YAML reads
it (YAML refuses most of them), then the values YAML made from escapes (``"\\v"`` in double quotes).
File names are never cleaned: removing a character would name another file, so one there is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pressctl.controls import LINE_BREAKS, clean_text, describe, unsafe_in_text
from pressctl.errors import ReleaseError

__all__ = ["PATH_KEYS", "Found", "character_warnings", "clean_file_text", "clean_values", "refuse_in_paths"]


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


# Keys whose values name files: never cleaned (removing a character would name another file), so a control
# character there is refused, by ``refuse_in_paths`` here or by the release loader's own file-name checks.
PATH_KEYS = ("attachments", "translations")
_SRC_LINE = re.compile(r"^\s*(?:-\s*)?src\s*:")


def refuse_in_paths(where: str, found: list[Found], original: str, *, key_lines: Mapping[str, int]) -> None:
    """A character of the file itself on a line that names a file (a photo's ``src``, an attachment, a
    translation) is refused with its line and column: cleaning it would name another file."""
    if not found:
        return
    lines = original.split("\n")
    keys = sorted(key_lines.items(), key=lambda item: item[1])
    for hit in found:
        key = next((k for k, at in reversed(keys) if at <= hit.line), None)
        text = lines[hit.line - 1] if hit.line <= len(lines) else ""
        if key in PATH_KEYS or _SRC_LINE.match(text):
            raise ReleaseError(
                f"a file name holds {describe(hit.char)}",
                where=f"{where}:{hit.line}:{hit.column}",
                hint="type the file name again",
            )


def clean_values(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The front matter's values cleaned (characters YAML made from escapes); what each key held. File
    names (``PATH_KEYS``, a photo's ``src``) are left as they are."""
    escaped: dict[str, list[str]] = {}
    seen: dict[int, Any] = {}  # YAML aliases share one value: walk it once (a "billion laughs" stays small)

    def walk(value: Any, key: str, path: bool = False) -> Any:
        if path:
            return value
        if isinstance(value, list | dict):
            if id(value) not in seen:
                seen[id(value)] = value  # a cycle (an alias inside itself) ends here
                seen[id(value)] = walk_container(value, key)
            return seen[id(value)]
        if isinstance(value, str):
            hits = unsafe_in_text(value)
            if hits:
                escaped.setdefault(key, []).extend(c for _, c in hits)
                return clean_text(value)
            return value
        return value

    def walk_container(value: list[Any] | dict[Any, Any], key: str) -> Any:
        if isinstance(value, list):
            # A photo may be written as its file name alone.
            return [walk(v, key, path=key == "photos" and isinstance(v, str)) for v in value]
        return {k: walk(v, key, path=key == "photos" and k == "src") for k, v in value.items()}

    return {k: walk(v, str(k), path=str(k) in PATH_KEYS) for k, v in data.items()}, escaped


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
