"""Times for scheduling: read ``--at`` and ``--max-late``, check a send time, show a time to people. Pure.

Every function takes the current time as an argument (no hidden clock), so the rules about the past,
embargoes and daylight-saving changes are tested with fixed instants.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any
from zoneinfo import ZoneInfo

from pressctl.errors import EmbargoError, InputError

__all__ = [
    "check_interval",
    "format_local",
    "format_offset",
    "format_utc",
    "iso_local",
    "parse_at",
    "parse_duration",
    "parse_local_time",
    "parse_stored",
    "time_problem",
    "to_utc",
    "zone_name",
]

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(min|sec|hour|d|h|m|s)?", re.I)
_UNIT_SECONDS = {
    "d": 86400.0, "hour": 3600.0, "h": 3600.0, "m": 60.0, "min": 60.0, "s": 1.0, "sec": 1.0, None: 1.0
}


def parse_duration(text: str, *, option: str = "duration") -> dt.timedelta:
    """``"90s"``, ``"15m"``, ``"1h30m"``, ``"2d"`` or a bare number of seconds, as a timedelta.

    The one duration parser: ``--at +D``, ``--max-late``, ``--retry-for`` and ``--batch-pause`` all read it.
    """
    raw = str(text).strip().lower().replace(" ", "")
    pos, total, parts = 0, 0.0, 0
    while pos < len(raw):
        match = _DURATION_PART.match(raw, pos)
        if match is None or match.end() == pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos, parts = match.end(), parts + 1
        if match.group(2) is None:  # a bare number ends the value: "1h30" would be ambiguous
            break
    if parts == 0 or pos != len(raw):
        raise InputError(
            f"{option} {text!r} is not a duration",
            hint="write e.g. 90s, 15m, 1h30m or 2d",
        )
    if total > _MAX_DURATION:
        # Also keeps datetime arithmetic (now + duration) inside the years datetime can hold.
        raise InputError(f"{option} {text!r} is too long", hint="give at most 3650d (ten years)")
    return dt.timedelta(seconds=total)


_MAX_DURATION = 3650 * 86400.0


def time_problem(exc: ValueError | OverflowError) -> str:
    """Python's reason a date-time didn't parse, in words a press officer can act on."""
    text = str(exc)
    if "offset must be a timedelta" in text:
        return "the UTC offset must be between -23:59 and +23:59"
    if text.startswith("Invalid isoformat string"):
        return "not ISO 8601"
    return text.rstrip(".")


def parse_local_time(value: Any, zone: ZoneInfo) -> dt.datetime:
    """An aware datetime from an ISO 8601 value; one without an offset is read in ``zone``.

    Raises ValueError for text that is not a date-time and for local times that don't exist
    or happen twice in ``zone`` (daylight-saving changes).
    """
    named: str | None = None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        raise ValueError("a date without a time")
    else:
        text = str(value).strip()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError("a date without a time")
        suffix = _NAMED_ZONE.search(text)
        if suffix is not None and not text.endswith("Z"):
            text, named = text[: suffix.start()].rstrip(), suffix.group(1)
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if named is not None and parsed.tzinfo is not None:
            raise ValueError(f"both an offset and a zone name ({named})")
    if named is not None and named.upper() in ("UTC", "GMT"):
        return parsed.replace(tzinfo=dt.UTC)
    if parsed.tzinfo is not None:
        return parsed
    first = parsed.replace(tzinfo=zone, fold=0)
    second = parsed.replace(tzinfo=zone, fold=1)
    # The gap check comes first: in a gap the two folds also differ, which is not an overlap.
    roundtrip = first.astimezone(dt.UTC).astimezone(zone)
    if roundtrip.replace(tzinfo=None) != parsed:
        raise ValueError(f"{parsed:%Y-%m-%d %H:%M} does not exist in {zone.key} (clocks go forward)")
    if first.utcoffset() != second.utcoffset():
        raise ValueError(f"{parsed:%Y-%m-%d %H:%M} happens twice in {zone.key} (clocks go back)")
    if named is not None:
        _check_zone_name(named, first, zone)
    return first


# "2030-03-12 10:00 HKT": a zone abbreviation after the time (letters only; "Z" is ISO 8601's own).
_NAMED_ZONE = re.compile(r"\s+([A-Za-z]{2,5})$")


def _check_zone_name(named: str, local: dt.datetime, zone: ZoneInfo) -> None:
    """Accept ``named`` only if it is ``zone``'s own abbreviation at ``local`` and no other zone uses it
    for another offset (CST is China, US Central and Cuba: a time written with it could be any of them)."""
    own = local.tzname() or ""
    if named.upper() != own.upper():
        shown = own if own and own[0] not in "+-" else format_offset(local)
        raise ValueError(
            f"{named} is not the abbreviation of {zone.key} at that time ({shown}); "
            f"write the offset instead ({format_offset(local)[3:]}) or set the release's timezone"
        )
    offsets = _abbreviation_offsets(local.year).get(own, set())
    if len(offsets) > 1:
        raise ValueError(
            f"{own} names more than one zone (offsets {', '.join(sorted(offsets))}); "
            f"write the offset instead ({format_offset(local)[3:]})"
        )


@functools.lru_cache(maxsize=4)
def _abbreviation_offsets(year: int) -> dict[str, set[str]]:
    """Every abbreviation the time-zone database uses in ``year`` (January and July), with its UTC offsets."""
    from zoneinfo import available_timezones

    found: dict[str, set[str]] = {}
    instants = [dt.datetime(year, month, 15, 12, tzinfo=dt.UTC) for month in (1, 7)]
    for key in available_timezones():
        try:
            tz = ZoneInfo(key)
        except (ValueError, OSError):  # pragma: no cover - a broken tzdata entry
            continue
        for instant in instants:
            local = instant.astimezone(tz)
            name = local.tzname() or ""
            if name and name[0] not in "+-":
                found.setdefault(name, set()).add(format_offset(local))
    return found


def to_utc(when: dt.datetime) -> dt.datetime:
    """An aware datetime in UTC (what the ledger stores and compares)."""
    if when.tzinfo is None:
        raise ValueError("naive datetime")  # a programming error: every time in pressctl is aware
    return when.astimezone(dt.UTC)


def parse_at(text: str, *, zone: ZoneInfo, now: dt.datetime) -> dt.datetime:
    """The moment ``--at TEXT`` names, as an aware datetime.

    ISO 8601 with an offset (``2030-03-12T10:00+08:00``, ``...Z``) is taken as is; a local time
    (``2030-03-12 10:00``) is read in ``zone``, refusing times that a daylight-saving change skips
    or repeats; ``+DURATION`` (``+90s``, ``+2h``) counts from ``now``.
    """
    raw = str(text).strip()
    if raw.startswith("+"):
        return to_utc(now) + parse_duration(raw[1:], option="--at")
    try:
        moment = parse_local_time(raw, zone)
    except (ValueError, OverflowError) as exc:
        raise EmbargoError(
            f"--at {raw!r} is not a usable time ({time_problem(exc)})",
            hint=(
                f"write ISO 8601 with an offset (2030-03-12T10:00+08:00), a local time in {zone.key} "
                "(2030-03-12 10:00), or +DURATION (+15m)"
            ),
        ) from None
    # Checked on the date as written, before any arithmetic: near the calendar's ends (9999-12-31 with a
    # negative offset) the moment cannot even be turned into UTC.
    if moment.year < EARLIEST_AT_YEAR:
        raise EmbargoError(f"--at {raw!r} is before {EARLIEST_AT_YEAR}", hint="check the year")
    if moment.year > to_utc(now).year + MAX_AT_YEARS:
        raise EmbargoError(f"--at {raw!r} is more than {MAX_AT_YEARS} years ahead", hint="check the year")
    return moment


EARLIEST_AT_YEAR = 1970
MAX_AT_YEARS = 10  # as a release's date and embargo (release.load): further is a typo


def format_local(when: dt.datetime, zone: ZoneInfo, *, seconds: bool | None = None) -> str:
    """``2030-03-12 10:00 HKT`` — the time in ``zone`` with its abbreviation, or its offset if it has none.

    The one way pressctl shows a time to a person (tables, summaries, lists). Never milliseconds.
    ``seconds``: None shows them only when they are not zero (a time set to the second is shown to the
    second); False never (a list of campaigns); True always (a column of send times lines up).
    """
    local = when.astimezone(zone)
    show_seconds = bool(local.second or local.microsecond) if seconds is None else seconds
    pattern = "%Y-%m-%d %H:%M:%S" if show_seconds else "%Y-%m-%d %H:%M"
    return f"{local.strftime(pattern)} {zone_name(local)}"


def zone_name(local: dt.datetime) -> str:
    """``HKT``: an aware time's zone abbreviation, or ``UTC+04:00`` where tzdata has only a number (``+04``)."""
    name = local.tzname() or ""
    return name if name and name[0] not in "+-" else format_offset(local)


def iso_local(when: dt.datetime | None, zone: ZoneInfo) -> str | None:
    """``2030-03-12T10:00:41+08:00``: ISO 8601 in ``zone`` with its offset, to the second (CSV, JSON)."""
    if when is None:
        return None
    return when.astimezone(zone).isoformat(timespec="seconds")


def parse_stored(text: str | None) -> dt.datetime | None:
    """A time as the ledger stores it (ISO 8601, UTC, perhaps with milliseconds) as an aware datetime; None
    for none. A stored time without an offset is UTC (older ledgers)."""
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def format_utc(when: dt.datetime) -> str:
    """``2030-03-12 02:00 UTC``."""
    utc = to_utc(when)
    pattern = "%Y-%m-%d %H:%M:%S" if utc.second or utc.microsecond else "%Y-%m-%d %H:%M"
    return f"{utc.strftime(pattern)} UTC"


def format_offset(local: dt.datetime) -> str:
    """``UTC+08:00``: the one way pressctl writes a UTC offset (summaries, messages, the rendered release)."""
    delta = local.utcoffset() or dt.timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


MIN_INTERVAL = 0.1  # seconds: a busy loop below this
MAX_INTERVAL = 86400.0  # a day: more is a typo, and beyond ~1e9 s a wait overflows


def check_interval(seconds: float, *, option: str) -> float:
    """A polling interval in seconds (``--interval``), from 0.1 s to a day."""
    if not MIN_INTERVAL <= seconds <= MAX_INTERVAL:  # also refuses nan
        raise InputError(
            f"{option} {seconds:g} is not a number of seconds from {MIN_INTERVAL:g} to {MAX_INTERVAL:g}",
            hint=f"e.g. {option} 5",
        )
    return seconds
