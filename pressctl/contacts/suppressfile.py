"""Suppression lists as files: reading entries, matching an address against them, appending a row.

Suppression lists (``read_suppression``): a CSV/TSV/xlsx with an email column (other columns such as
reason and date are ignored), or a plain list with one entry per line and no header. An entry is an
address, or a whole domain written ``@domain.example``, which also covers its subdomains
(``@hvsp.example`` suppresses ``a@news.hvsp.example``); a bare ``domain.example`` counts as a domain too.
Blank lines and lines starting with ``#`` are ignored. Matching ignores case.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from pressctl.addresses import address_key, domain_key, unwrap
from pressctl.atomic import write_atomic
from pressctl.contacts.clean import column_key
from pressctl.contacts.read import read_table
from pressctl.controls import clean_cell
from pressctl.errors import ContactsError
from pressctl.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "append_suppression",
    "decode_list",
    "is_suppressed",
    "list_rows",
    "read_suppression",
    "rewrite_without",
    "suppression_entry",
]


def suppression_entry(value: str) -> str | None:
    """One cell of a suppression list as an address key or ``@domain`` (``addresses.address_key``'s rule)."""
    text = unwrap(clean_cell(value)).strip()
    if not text or text.startswith("#"):
        return None
    if text.startswith("@"):
        domain = text[1:].lstrip(".")
        return "@" + domain_key(domain) if domain else None
    if "@" in text:
        return address_key(text)
    if "." in text and " " not in text:
        return "@" + domain_key(text.lstrip("."))
    return None


# Only to tell a real list from the wrong file: binary bytes read as Latin-1 still give "entries" with an @.
_PLAUSIBLE_ENTRY = re.compile(r"^(?:[^@\s]+)?@[a-z0-9-]+(?:\.[a-z0-9-]+)+$")


def read_suppression(paths: Iterable[Path], *, limits: Limits = DEFAULT_LIMITS) -> frozenset[str]:
    """Every suppressed address (its key) and ``@domain`` in ``paths`` (format: module docstring).

    A missing file is an error: a suppression list that silently does nothing is worse than none.
    """
    entries: set[str] = set()
    for path in paths:
        table = read_table(Path(path), lenient=True, allow_empty=True, limits=limits)
        if not table.header:
            continue
        keys = [column_key(h) for h in table.header]
        if "email" in keys:
            index, rows = keys.index("email"), table.rows
        else:
            index, rows = 0, [(table.header_row, table.header), *table.rows]
        found = 0
        filled = 0
        for _, cells in rows:
            if index < len(cells):
                filled += bool(cells[index].strip())
                entry = suppression_entry(cells[index])
                if entry:
                    entries.add(entry)
                    found += bool(_PLAUSIBLE_ENTRY.match(entry))
        if filled and not found:
            # Rows but no address at all: the wrong file, or binary garbage. Going on would honour nobody.
            raise ContactsError(
                "no address or @domain found in this suppression list",
                where=str(path),
                hint="give a CSV with one address per row (an Email column, or addresses in the first column)",
            )
    return frozenset(entries)


def is_suppressed(email: str, suppressed: frozenset[str], *, keyed: bool = False) -> bool:
    """True if the address, its domain or a parent domain is in ``suppressed`` (by ``address_key``;
    ``keyed``: ``email`` is a key already)."""
    key = email if keyed else address_key(email)
    if key in suppressed:
        return True
    labels = key.rpartition("@")[2].split(".")
    return any("@" + ".".join(labels[i:]) in suppressed for i in range(len(labels)))


def _csv_safe(value: str) -> str:
    """A cell that a spreadsheet will not run as a formula (a bounce text could start with "=")."""
    value = clean_cell(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def append_suppression(path: Path, email: str, reason: str, *, date: str) -> None:
    """Add ``email`` to a suppression list (created with a header if missing), durably, with ``reason`` and
    ``date``. Only :class:`pressctl.contacts.suppression.Suppressor` calls it (it normalises first).

    One ``write`` in append mode, then ``fsync``: a crash leaves the row whole or absent. An existing
    file keeps its layout: the address goes under its email column (first column if it has no header),
    and its encoding (UTF-16 files edited in Excel stay UTF-16).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    address = clean_cell(email)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        _lock(fd)
        size = os.fstat(fd).st_size
        prefix, codec, cells = "", "utf-8", [address, _csv_safe(reason), date]
        if size == 0:
            prefix = "email,reason,date\n"
        else:
            with open(path, "rb") as existing:
                head = existing.read(4)
                existing.seek(-2 if size >= 2 else -1, os.SEEK_END)
                tail = existing.read()
            if head.startswith(b"\xff\xfe"):
                codec = "utf-16-le"
            elif head.startswith(b"\xfe\xff"):
                codec = "utf-16-be"
            if not tail.decode(codec if codec != "utf-8" else "latin-1", errors="replace").endswith("\n"):
                prefix = "\n"
            cells = _cells_for(path, address=address, reason=_csv_safe(reason), date=date)
        buffer = io.StringIO()
        delimiter = "\t" if codec.startswith("utf-16") else ","
        csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerow(cells)
        os.write(fd, (prefix + buffer.getvalue()).encode(codec))
        os.fsync(fd)
    finally:
        os.close(fd)


def _cells_for(path: Path, *, address: str, reason: str, date: str) -> list[str]:
    """A row laid out like the existing file's header."""
    table = read_table(path, lenient=True, allow_empty=True)
    keys = [column_key(h) for h in table.header]
    if "email" not in keys:
        return [address]
    cells = [""] * len(keys)
    cells[keys.index("email")] = address
    for key, value in (("reason", reason), ("date", date)):
        if key in keys:
            cells[keys.index(key)] = value
    return cells


def _lock(fd: int) -> None:
    """Serialise writers on POSIX (two sends bouncing at once); a no-op where fcntl is missing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def decode_list(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"  # byte for byte: a cp1252 list comes back unchanged


def rewrite_without(path: Path, targets: set[str]) -> set[str]:
    """Drop the rows of ``targets`` from the list, keeping every other line, its encoding and line ends."""
    real = path.resolve()  # a link to a shared list: rewrite the shared file, keep the link
    text, codec = decode_list(real.read_bytes())
    lines = text.splitlines(keepends=True)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return set()
    head = lines[first]
    delimiter = "\t" if "\t" in head else (";" if ";" in head and "," not in head else ",")
    cells = next(csv.reader([head.rstrip("\r\n")], delimiter=delimiter), [])
    keys = [column_key(c) for c in cells]
    index, start = (keys.index("email"), first + 1) if "email" in keys else (0, first)
    kept: list[str] = lines[:start]
    dropped: set[str] = set()
    for line in lines[start:]:
        row = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
        entry = suppression_entry(row[index]) if index < len(row) else None
        if entry is not None and entry in targets:
            dropped.add(entry)
            continue
        kept.append(line)
    if not dropped:
        return dropped
    data = "".join(kept).encode(codec if codec != "utf-16" else "utf-16")
    write_atomic(real, data, mode=stat.S_IMODE(os.stat(real).st_mode))
    return dropped


def list_rows(path: Path) -> list[tuple[str, str, str]]:
    table = read_table(path, lenient=True, allow_empty=True)
    if not table.header:
        return []
    keys = [column_key(h) for h in table.header]
    if "email" in keys:
        rows = table.rows
        index = keys.index("email")
    else:
        rows = [(table.header_row, table.header), *table.rows]
        index = 0

    def cell(cells: Sequence[str], key: str) -> str:
        return cells[keys.index(key)] if key in keys and keys.index(key) < len(cells) else ""

    out = []
    for _, cells in rows:
        entry = suppression_entry(cells[index]) if index < len(cells) else None
        if entry:
            out.append((entry, cell(cells, "reason"), cell(cells, "date").strip()))
    return out
