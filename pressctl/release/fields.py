"""Typed access to a release's front-matter values (``Fields``), each error pointing at its key's line: text,
the date and the embargo (sanity bounds), and file paths kept inside the workspace. Pure (paths are resolved)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pressctl.assets import OUTSIDE_HINT, REMOTE_HINT, is_remote, outside
from pressctl.clock import system_clock
from pressctl.errors import ReleaseError
from pressctl.times import format_local, parse_local_time, time_problem

__all__ = ["EARLIEST_YEAR", "MAX_YEARS_AHEAD", "Fields", "checked_path", "parse_date", "parse_embargo", "resolve"]


class Fields:
    """Typed access to front-matter values, with errors that point at the key's line."""

    def __init__(self, data: dict[str, Any], lines: dict[str, int], where: str) -> None:
        self.data, self.lines, self.file = data, lines, where

    def at(self, key: str) -> str:
        return f"{self.file}:{self.lines.get(key, 1)}"

    def fail(self, key: str, what: str, hint: str | None = None) -> ReleaseError:
        return ReleaseError(what, where=self.at(key), hint=hint)

    def text(self, key: str, default: str = "", *, required: bool = False) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                raise ReleaseError(
                    f"'{key}' is missing",
                    where=f"{self.file}:1",
                    hint=f"add '{key}: ...' to the front matter",
                )
            return default
        if isinstance(value, (dict, list)):
            raise self.fail(key, f"'{key}' must be text", hint="write it on one line, or as a YAML block (|)")
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        value = str(value).strip()
        if required and not value:
            raise self.fail(key, f"'{key}' is empty", hint=f"give the release a {key}")
        return value


# Dates beyond this are typing mistakes (9999 for 2029), and near datetime.max every later step (time
# zones, arithmetic, formatting) would overflow. Measured from the machine's clock, a sanity bound only.
MAX_YEARS_AHEAD = 10
EARLIEST_YEAR = 1970


def _too_far(day: dt.date) -> str | None:
    """Why ``day`` is absurd (before 1970, or more than MAX_YEARS_AHEAD years from today), or None."""
    today = system_clock().date()
    if day.year < EARLIEST_YEAR:
        return f"is before {EARLIEST_YEAR}"
    if day.year > today.year + MAX_YEARS_AHEAD or (day - today).days > 366 * MAX_YEARS_AHEAD:
        return f"is more than {MAX_YEARS_AHEAD} years ahead"
    return None


def parse_date(f: Fields) -> dt.date:
    day = _parse_date_value(f)
    problem = _too_far(day)
    if problem:
        raise f.fail("date", f"'date' {day.isoformat()} {problem}", hint="check the year")
    return day


def _parse_date_value(f: Fields) -> dt.date:
    value = f.data.get("date")
    if value is None:
        raise ReleaseError(
            "'date' is missing", where=f"{f.file}:1", hint="add 'date: YYYY-MM-DD' to the front matter"
        )
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise f.fail(
            "date", f"'date' {value!r} is not a date", hint="write it as YYYY-MM-DD, e.g. 2026-03-12"
        ) from None


def parse_embargo(f: Fields, zone: ZoneInfo) -> dt.datetime | None:
    value = f.data.get("embargo")
    if value is None or value == "":
        return None
    try:
        moment = parse_local_time(value, zone)
    except (ValueError, OverflowError) as exc:
        raise f.fail(
            "embargo",
            f"'embargo' {str(value)!r} is not a usable date-time ({time_problem(exc)})",
            hint=(
                "write it as ISO 8601 with an offset (2030-03-12T10:00:00+08:00), or as a local time in "
                f"{zone.key}, alone or with its own abbreviation ({_example_local(zone)})"
            ),
        ) from None
    # Checked on the local date before any arithmetic: 9999-12-31T23:59:59-05:00 overflows in UTC.
    problem = _too_far(moment.date())
    if problem:
        raise f.fail("embargo", f"'embargo' {moment.isoformat()} {problem}", hint="check the year")
    return moment


def _example_local(zone: ZoneInfo) -> str:
    """``2030-03-12 10:00 HKT``: a local time written as the embargo line accepts it in ``zone``."""
    return format_local(dt.datetime(2030, 3, 12, 10, tzinfo=zone), zone)


def resolve(base: Path, value: Any, f: Fields, key: str, what: str, roots: tuple[Path, ...]) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise f.fail(key, f"{what} must be a file path")
    if is_remote(value):
        raise f.fail(key, f"{what} {value!r} is not a file in the workspace", hint=REMOTE_HINT)
    path = checked_path(base, value.strip(), lambda problem: f.fail(key, f"{what} {value[:80]!r} {problem}"))
    if outside(path, roots):
        # Absolute, ../ or a symlink out: a release could otherwise attach /etc/shadow or /proc/self/environ.
        raise f.fail(key, f"{what} {value!r} is outside the workspace", hint=OUTSIDE_HINT)
    if path.is_dir():
        raise f.fail(key, f"{what} {value!r} is a folder, not a file", hint="name the file inside it")
    if path.exists() and not path.is_file():
        # A FIFO would block whoever reads it (the PDF cache, the snapshot, the message builder).
        raise f.fail(key, f"{what} {value!r} is not a regular file (a pipe or a device)", hint="name a regular file")
    if not path.is_file():
        raise f.fail(key, f"{what} {value!r} does not exist", hint=f"paths are relative to {base}")
    if not os.access(path, os.R_OK):
        raise f.fail(key, f"{what} {value!r} cannot be read (permission denied)", hint="check its permissions")
    return path


def checked_path(base: Path, value: str, fail: Callable[[str], ReleaseError]) -> Path:
    """``base / value`` resolved, or ``fail(problem)`` for a name no file can have (NUL, too long)."""
    if "\0" in value:
        raise fail("holds a NUL character, which no file name can")
    try:
        path = (base / value).resolve()
        path.is_file()  # ENAMETOOLONG and friends surface here
        return path
    except (OSError, ValueError) as exc:
        raise fail(f"is not a usable file name ({getattr(exc, 'strerror', None) or exc})") from None
