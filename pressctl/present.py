"""How the ledger's records are shown to a person: table cells that fit a terminal, spreadsheet cells,
times in the workspace's zone. Pure (the CLI prints what these return).

The rules, each in one place:

* **Times** a person reads are the workspace's local time with the zone's name (``2030-03-12 10:00 HKT``,
  ``times.format_local``); CSV and JSON carry ISO 8601 with the offset, to the second
  (``2030-03-12T10:00:41+08:00``, ``times.iso_local``). The ledger keeps UTC; nothing here changes it.
* **Cells** in a table are one line and clipped to a width counted in terminal cells (a Chinese character
  is two), ending with ``…``, so ``pressctl report`` fits ~120 columns; everything uncut is in
  ``--format csv`` / ``json``.
* **Spreadsheet cells**: yes/no for a yes-or-no column (blank where it means nothing), a leading ``'`` before
  ``= + - @`` (a reply starting with ``=`` would run as a formula), and the CSV opens with a UTF-8 BOM so
  Excel reads Chinese names as UTF-8.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from pressctl.clock import system_clock
from pressctl.times import format_local, iso_local, parse_stored

__all__ = [
    "CSV_BOM",
    "REPORT_TIME_FIELDS",
    "aligned",
    "campaign_times",
    "clip",
    "csv_cell",
    "local_time",
    "moved_lines",
    "outcome_text",
    "recipient_cell",
    "recorded_date",
    "report_record",
    "response_text",
    "table_time",
    "yes_no",
    "zone_label",
]

CSV_BOM = "\ufeff"  # Excel opens a UTF-8 CSV as UTF-8 only with it (else Chinese names come out garbled)

# The recipient fields that hold a time (ISO 8601, UTC, in the ledger).
REPORT_TIME_FIELDS = frozenset({"first_attempt_at", "last_attempt_at", "sent_at", "response_at"})


def aligned(rows: Mapping[str, object], *, width: int = 16) -> list[str]:
    """``label           value`` lines, the values in one column: at ``width`` while every label is shorter,
    else two spaces after the longest (``not matching --where``), never run together ("--where36")."""
    from rich.cells import cell_len

    longest = max((cell_len(k) for k in rows), default=0)
    column = width if longest < width else longest + 2
    return [f"{k}{' ' * (column - cell_len(k))}{v}" for k, v in rows.items()]


def clip(text: object, width: int) -> str:
    """``text`` on one line, at most ``width`` terminal cells (wide characters count two), ``…`` when cut.
    Control characters are made visible first (``controls.printable``), so what is cut is what is shown."""
    from rich.cells import cell_len

    from pressctl.controls import printable

    line = " ".join(printable(str(text or "")).split())
    if cell_len(line) <= width:
        return line
    out, used = [], 0
    for ch in line:
        w = cell_len(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + "…"


def local_time(stored: str | dt.datetime | None, zone: ZoneInfo, *, seconds: bool | None = None) -> str:
    """A stored time as a person reads it (``2030-03-12 10:00 HKT``); "" for none."""
    moment = stored if isinstance(stored, dt.datetime) else parse_stored(stored)
    return format_local(moment, zone, seconds=seconds) if moment is not None else ""


def table_time(stored: str | dt.datetime | None, zone: ZoneInfo) -> str:
    """A time in a table column whose header names the zone: ``2030-03-12 10:00`` (to the minute)."""
    moment = stored if isinstance(stored, dt.datetime) else parse_stored(stored)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def zone_label(zone: ZoneInfo, stored: str | dt.datetime | None = None) -> str:
    """The zone's name for a column header: ``HKT`` (at ``stored``, or now: a zone with summer time says
    which name its times mostly have)."""
    from pressctl.times import zone_name

    moment = stored if isinstance(stored, dt.datetime) else parse_stored(stored)
    return zone_name((moment or system_clock()).astimezone(zone))


def recorded_date(raw: str, zone: ZoneInfo, *, iso: bool = False) -> str:
    """A suppression's date as recorded (a date a person typed, or a time pressctl wrote in UTC), shown in
    ``zone``: ``2030-03-12 10:05 HKT`` (``iso``: ``2030-03-12T10:05:00+08:00``); a plain date stays as it is."""
    text = (raw or "").strip()
    if len(text) <= 10 or text[10:11] not in ("T", " "):
        return text
    moment = parse_stored(text)
    if moment is None:
        return text
    return iso_local(moment, zone) or "" if iso else format_local(moment, zone, seconds=False)


def yes_no(value: object) -> str:
    """``yes``/``no`` for a spreadsheet (never Python's True/False); "" for None."""
    if value is None or value == "":
        return ""
    return "yes" if value else "no"


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: booleans as yes/no, a formula-like start defused with ``'``."""
    if isinstance(value, bool):
        return yes_no(value)
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def response_text(r: Any) -> str:
    """What came back after the send, in a few words: ``bounced 5.1.1``, ``moved -> new@x``, ``replied``."""
    if not r.response:
        return ""
    if r.response in ("bounced", "soft-bounce", "delayed", "failed"):
        return f"{r.response} {r.bounce_code}".strip()
    if r.response == "moved":
        return f"moved -> {r.new_address}" if r.new_address else "moved (no new address given)"
    return str(r.response)


def moved_lines(records: Any) -> list[str]:
    """One unclipped line per journalist who has moved and named where to (every address they gave): the
    table cuts long cells, and these addresses are what a person acts on."""
    return [f"{r.email} moved -> {r.new_address}" for r in records if r.response == "moved" and r.new_address]


def outcome_text(r: Any) -> str:
    """One column for what happened beyond the status: what came back after the send, else (not sent)
    why and the relay's last reply. A sent row with nothing back says nothing (its 250 is in the CSV)."""
    back = response_text(r)
    if back:
        return back
    if r.status == "sent":
        return ""
    reply = f"{r.last_code or ''} {r.last_reply}".strip()
    if r.reason:
        return f"{r.reason} ({reply})" if reply else str(r.reason)
    return reply


def recipient_cell(r: Any, width: int | None = None) -> str:
    """``Amy Chan <amy@x>``; in a ``width`` too narrow for both, the address alone (clipped if need be):
    the address is what tells two journalists apart."""
    both = f"{r.name} <{r.email}>" if r.name else str(r.email)
    if width is None:
        return both
    from rich.cells import cell_len

    return clip(both if cell_len(both) <= width else str(r.email), width)


def report_record(r: Any, columns: tuple[str, ...], zone: ZoneInfo) -> dict[str, Any]:
    """One recipient for CSV or JSON: its ``columns``, times in ISO 8601 with the zone's offset;
    ``retryable`` only where it means something (a failed row), else None."""
    out: dict[str, Any] = {}
    for key in columns:
        value = getattr(r, key)
        if key in REPORT_TIME_FIELDS:
            value = iso_local(parse_stored(value), zone)
        elif key == "retryable":
            value = bool(value) if r.status == "failed" else None
        out[key] = value
    return out


def campaign_times(c: Any, zone: ZoneInfo) -> Mapping[str, str | None]:
    """A campaign's times in ISO 8601 with the zone's offset (JSON)."""
    return {
        key: iso_local(parse_stored(getattr(c, key)), zone) for key in ("created_at", "started_at", "finished_at")
    }
