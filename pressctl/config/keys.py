"""Reading ``pressctl.toml``'s tables, the same way in every table: a table, a text value, a key no table
holds (refused with a did-you-mean), and where a key stands in the file. Pure."""

from __future__ import annotations

import difflib
from typing import Any

from pressctl.errors import ConfigError

__all__ = ["line_of", "table", "text", "unknown_key"]


def unknown_key(name: str, key: str, known: tuple[str, ...], where: str) -> ConfigError:
    """The line for a key no table of that name holds: the nearest known key, else the list of them."""
    close = difflib.get_close_matches(str(key), known, n=1)
    return ConfigError(
        f"unknown key {name!r}",
        where=where,
        hint=f"did you mean {close[0]!r}?" if close else "known here: " + ", ".join(known),
    )


def table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    """``[key]`` of ``data`` (empty when absent); anything but a table is refused."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table", where=where, hint=f"write it as a [{key}] section")
    return value


def text(values: dict[str, Any], key: str, section: str, where: str, default: str = "") -> str:
    """A text value of a table (``default`` when absent); a number or a list is refused, naming the key."""
    value = values.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(
            f"{section}.{key} must be text, not {type(value).__name__}",
            where=where,
            hint='put the value in quotes, e.g. key = "value"',
        )
    return value


def line_of(lines: list[str], header: str, key: str) -> int:
    """The line of ``key = ...`` under ``header`` (1 when not found: inline tables, dotted keys)."""
    in_table = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped.replace(" ", "") == header
            continue
        if in_table and stripped.partition("=")[0].strip().strip("'\"") == key:
            return number
    return 1
