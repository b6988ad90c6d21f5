"""Caps on input (the ``[limits]`` table of ``pressctl.toml``), their defaults in one place, and safe opening.

A hostile or broken file must cost a line of output, not minutes and gigabytes: a contact list of
3 million rows or one 1 GB cell, a row of a million cells, a photo that decompresses to 50,000 x 50,000
pixels, ``/dev/zero`` or a FIFO given as a list. Each limit has a key a workspace may raise; the error
names it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, fields
from pathlib import Path

from pressctl.errors import InputError

__all__ = ["DEFAULT_LIMITS", "LIMIT_HELP", "Limits", "limit_error", "require_regular_file"]


@dataclass(frozen=True)
class Limits:
    """Each field is one key of ``[limits]`` in pressctl.toml; the defaults are the documented ones."""

    list_bytes: int = 100_000_000  # a contact/suppression list file; for .xlsx, its unpacked size
    list_rows: int = 500_000  # rows in one list
    list_columns: int = 200  # columns in a list's header
    row_cells: int = 1_000  # cells in any one row
    cell_chars: int = 10_000  # characters in one cell
    image_pixels: int = 50_000_000  # width x height of a photo, logo or body image
    problems_shown: int = 50  # problems printed by `contacts check` (and `bounces` lists) before "... and N more"
    inbound_bytes: int = 25_000_000  # one message `pressctl bounces` reads; a bigger one is listed, not read
    inbound_nesting: int = 30  # MIME parts nested in one inbound message (the parser recurses per level)


DEFAULT_LIMITS = Limits()

# What each limit is about, for the error line and the documentation.
LIMIT_HELP: dict[str, str] = {
    "list_bytes": "bytes in a contact list (for .xlsx: unpacked)",
    "list_rows": "rows in a contact list",
    "list_columns": "columns in a contact list",
    "row_cells": "cells in one row of a contact list",
    "cell_chars": "characters in one cell of a contact list",
    "image_pixels": "pixels in an image",
    "problems_shown": "problems printed before '... and N more'",
    "inbound_bytes": "bytes in one message pressctl bounces reads",
    "inbound_nesting": "levels of nested parts in one message pressctl bounces reads",
}

LIMIT_KEYS = tuple(f.name for f in fields(Limits))


def limit_error(
    what: str, key: str, value: int, *, where: str | None = None, cls: type[InputError] = InputError
) -> InputError:
    """One line naming the limit: ``... (limit: list_rows = 500000 in [limits] of pressctl.toml)``."""
    return cls(
        f"{what} (limit: {key} = {value} in [limits])",
        where=where,
        hint=f"check the file; if it is right, raise {key} in the [limits] table of pressctl.toml",
    )


def require_regular_file(path: Path, *, what: str = "file", cls: type[InputError] = InputError) -> os.stat_result:
    """``stat`` ``path`` and refuse anything but a regular file, before anything opens it.

    A FIFO would block a read forever and a device such as /dev/zero never ends. Missing files and
    permission problems raise the usual OSError for the caller to word.
    """
    st = os.stat(path)  # follows symlinks: what would be read
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(21, "Is a directory", str(path))
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a named pipe (FIFO)"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "not a regular file"
        )
        raise cls(f"is {kind}, not a {what}", where=str(path), hint=f"name a regular {what}")
    return st
