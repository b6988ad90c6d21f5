"""Opt-outs that are never lost: the workspace's ``contacts/suppressed.csv`` and the ledger's own record.

``contacts/suppressed.csv`` stays the list people edit. :func:`check_workspace_list` makes sure it can be
read before anything is sent: a list that exists but cannot be read (a folder, a dangling link to a share
that is not mounted, no permission) is an error, never "nobody suppressed"; one that is truly absent is
recreated with only a header, and said so.

Every address pressctl itself suppresses (a 5.1.x bounce, an unsubscribe, ``pressctl suppress add`` or
``import``) also goes into the ledger's ``suppressions`` table with its date and reason. Those addresses
stay suppressed even when an edit of the CSV drops them (a warning says so); ``pressctl suppress remove``
clears both on purpose. :func:`import_file` turns recorded unsubscribe tokens into suppressions, matching
them only against addresses the ledger knows, and takes addresses only from an email column (or a plain list
with ``--addresses``): every other value is refused with its reason, never guessed.
"""

from __future__ import annotations

import csv
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pressctl.atomic import write_atomic
from pressctl.clock import system_clock
from pressctl.config import Workspace
from pressctl.contacts.clean import column_key
from pressctl.contacts.load import _suppression_entry, append_suppression, is_suppressed, read_suppression
from pressctl.errors import ContactsError, InputError
from pressctl.ledger import Ledger
from pressctl.limits import require_regular_file

__all__ = [
    "ADDRESS_AS_TOKEN",
    "HEADER",
    "NOT_AN_ADDRESS",
    "NOT_A_TOKEN",
    "UNKNOWN_TOKEN",
    "ImportResult",
    "Suppressed",
    "add",
    "check_workspace_list",
    "import_file",
    "list_all",
    "missing_from_list",
    "missing_warning",
    "recorded",
    "remove",
]

HEADER = "email,reason,date\n"


def check_workspace_list(path: Path) -> str | None:
    """Make sure the workspace suppression list can be read; a warning if it had to be recreated.

    Raises ContactsError (one line) for a list that exists but cannot be read: going on would mail the
    people who asked not to be mailed.
    """
    path = Path(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:  # e.g. 'contacts' is a file, or a folder on the way cannot be searched
        raise _unreadable(path, exc.strerror or type(exc).__name__) from None
    if info is None:
        if path.parent.is_symlink() and not path.parent.exists():
            raise _unreadable(path, "its folder is a link to something that is not there")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return None  # made by another process a moment ago
        except OSError as exc:
            raise _unreadable(path, f"it is missing and cannot be made: {exc.strerror}") from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(HEADER)
        return (
            f"{path} was missing: made a new one with only a header. If it should hold addresses, restore it "
            "from a backup (addresses pressctl suppressed itself are still honoured, from the ledger)"
        )
    if stat.S_ISLNK(info.st_mode):
        try:
            info = os.stat(path)
        except OSError:
            raise _unreadable(path, f"it is a link to {os.readlink(path)}, which is not there") from None
    if stat.S_ISDIR(info.st_mode):
        raise _unreadable(path, "it is a folder, not a list")
    if not stat.S_ISREG(info.st_mode):
        raise _unreadable(path, "it is not a regular file")
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise _unreadable(path, exc.strerror or type(exc).__name__) from None
    return None


def _unreadable(path: Path, why: str) -> ContactsError:
    return ContactsError(
        f"the suppression list cannot be read ({why}); nothing was sent",
        where=str(path),
        hint="restore the file (or mount its share) and try again: skipping it would mail people who opted out",
    )


def recorded(ledger_path: Path) -> dict[str, tuple[str, str, str]]:
    """The suppressions the ledger at ``ledger_path`` recorded (none if there is no ledger yet)."""
    if not Path(ledger_path).exists():
        return {}
    with Ledger(ledger_path) as ledger:
        return ledger.suppressions()


def missing_from_list(recorded_addresses: Iterable[str], entries: frozenset[str]) -> list[str]:
    """Recorded addresses the suppression list(s) no longer hold."""
    return sorted(a for a in recorded_addresses if not is_suppressed(a, entries))


def missing_warning(missing: Sequence[str], path: Path) -> str:
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    return (
        f"{len(missing)} address(es) pressctl suppressed (bounces, unsubscribes) are not in {path} and stay "
        f"suppressed: {shown}. To mail one again on purpose: pressctl suppress remove ADDR"
    )


def _normalise(address: str) -> str:
    entry = _suppression_entry(address)
    if entry is None or entry.startswith("@") or "@" not in entry:
        raise InputError(f"{address!r} is not an email address", hint="give whole addresses, e.g. editor@news.example")
    return entry


@dataclass(frozen=True)
class Suppressed:
    """One suppressed address or domain as ``suppress list`` shows it."""

    address: str
    reason: str
    date: str  # as recorded: a date typed into the list, or an ISO 8601 time (UTC) pressctl wrote
    where: str  # "list", "ledger" or "list+ledger"


def add(workspace: Workspace, ledger: Ledger, addresses: Sequence[str], *, reason: str, origin: str = "manual") -> list[str]:
    """Suppress ``addresses`` in the CSV and the ledger; returns those that were not suppressed before."""
    path = workspace.suppression_path
    check_workspace_list(path)
    entries = read_suppression([path])
    new = []
    for raw in addresses:
        address = _normalise(raw)
        fresh = ledger.add_suppression(address, reason=reason, origin=origin)
        if not is_suppressed(address, entries):
            append_suppression(path, address, reason)
            entries = entries | {address}
            fresh = True
        if fresh:
            new.append(address)
    return new


def remove(workspace: Workspace, ledger: Ledger, addresses: Sequence[str]) -> dict[str, str]:
    """Un-suppress ``addresses`` in both the CSV and the ledger, on purpose. Returns what happened to each."""
    path = workspace.suppression_path
    check_workspace_list(path)
    targets = {_normalise(a) for a in addresses}
    dropped = _rewrite_without(path, targets)
    result: dict[str, str] = {}
    remaining = read_suppression([path])
    for address in sorted(targets):
        in_ledger = ledger.remove_suppression(address)
        if address not in dropped and not in_ledger:
            result[address] = "was not suppressed by name"
        else:
            result[address] = "removed from " + " and ".join(
                w for w, hit in (("the list", address in dropped), ("the ledger", in_ledger)) if hit
            )
        if is_suppressed(address, remaining):
            result[address] += f"; still suppressed by a domain entry in {path}"
    return result


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"  # byte for byte: a cp1252 list comes back unchanged


def _rewrite_without(path: Path, targets: set[str]) -> set[str]:
    """Drop the rows of ``targets`` from the list, keeping every other line, its encoding and line ends."""
    real = path.resolve()  # a link to a shared list: rewrite the shared file, keep the link
    text, codec = _decode(real.read_bytes())
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
        entry = _suppression_entry(row[index]) if index < len(row) else None
        if entry is not None and entry in targets:
            dropped.add(entry)
            continue
        kept.append(line)
    if not dropped:
        return dropped
    data = "".join(kept).encode(codec if codec != "utf-16" else "utf-16")
    write_atomic(real, data, mode=stat.S_IMODE(os.stat(real).st_mode))
    return dropped


def list_all(workspace: Workspace, ledger: Ledger) -> list[Suppressed]:
    """Every suppressed address or domain of the workspace list and the ledger, sorted."""
    path = workspace.suppression_path
    check_workspace_list(path)
    found: dict[str, Suppressed] = {}
    for address, reason, date in _list_rows(path):
        found[address] = Suppressed(address, reason, date, "list")
    for address, (reason, _origin, created) in ledger.suppressions().items():
        if address in found:
            row = found[address]
            found[address] = Suppressed(address, row.reason or reason, row.date or created, "list+ledger")
        else:
            found[address] = Suppressed(address, reason, created, "ledger")
    return [found[k] for k in sorted(found)]


def _list_rows(path: Path) -> list[tuple[str, str, str]]:
    from pressctl.contacts.read import read_table

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
        entry = _suppression_entry(cells[index]) if index < len(cells) else None
        if entry:
            out.append((entry, cell(cells, "reason"), cell(cells, "date").strip()))
    return out


# Why a value of an imported file was not used (the CLI prints each with its count and first lines).
NOT_A_TOKEN = "not a token (a token is 22 letters, digits, - and _)"
ADDRESS_AS_TOKEN = "an address where a token was expected (addresses only from an email column, or with --addresses)"
UNKNOWN_TOKEN = "a token of no address in the ledger (another workspace's, or made up)"
NOT_AN_ADDRESS = "not an email address"

_TOKEN_COLUMNS = ("token", "unsubscribe_token", "t")
_EMAIL_COLUMNS = ("email", "address")


@dataclass
class ImportResult:
    suppressed: list[str] = field(default_factory=list)  # newly suppressed
    already: int = 0  # matched but suppressed before
    tokens_matched: int = 0
    addresses: int = 0
    refused: dict[str, list[str]] = field(default_factory=dict)  # why -> ["file:line: value", ...]

    @property
    def refused_count(self) -> int:
        return sum(len(v) for v in self.refused.values())

    def refuse(self, why: str, where: str) -> None:
        self.refused.setdefault(why, []).append(where)


def _values(path: Path, *, addresses: bool) -> list[tuple[int, str, str]]:
    """``(line, value, kind)`` with kind ``token`` or ``email``: a CSV's token column gives tokens, its email
    column addresses; a file without either header is one value per line (its first cell), tokens, or
    addresses with ``addresses=True`` (``--addresses``). Nothing else is ever read as an address."""
    try:
        require_regular_file(path, what="file")
        data = path.read_bytes()
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", where=str(path), hint="check the path") from None
    text, _ = _decode(data)
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return []
    head = lines[first]
    delimiter = "\t" if "\t" in head else (";" if ";" in head and "," not in head else ",")
    keys = [column_key(c) for c in next(csv.reader([head], delimiter=delimiter), [])]
    columns = [(keys.index(k), "token") for k in _TOKEN_COLUMNS if k in keys][:1]
    columns += [(keys.index(k), "email") for k in _EMAIL_COLUMNS if k in keys][:1]
    skip = first + 1 if columns else first  # index of the first value line (after a recognised header)
    if not columns:
        columns = [(0, "email" if addresses else "token")]
    values: list[tuple[int, str, str]] = []
    for n, line in enumerate(lines[skip:], start=skip + 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        row = next(csv.reader([line], delimiter=delimiter), [])
        for index, kind in columns:
            value = row[index].strip() if index < len(row) else ""
            if value:
                values.append((n, value, kind))
    return values


def import_file(
    path: Path,
    workspace: Workspace,
    ledger: Ledger,
    *,
    secret: bytes,
    reason: str = "unsubscribed",
    addresses: bool = False,
) -> ImportResult:
    """Suppress every address whose unsubscribe token ``path`` holds, and the addresses of its email column
    (or of a plain list, with ``addresses=True``). A token counts only when it has a token's shape and is the
    HMAC (with the workspace ``secret``) of an address the ledger knows (:meth:`Ledger.known_addresses`);
    anything else is refused with its reason (:attr:`ImportResult.refused`), never guessed: a value with an
    ``@`` in the token column (``?t=victim@outlet`` typed into the unsubscribe page) is not an address."""
    from pressctl.contacts.unsubscribe import is_token, match_tokens

    result = ImportResult()
    values = _values(Path(path), addresses=addresses)
    shaped = [v for _, v, kind in values if kind == "token" and is_token(v)]
    matched: Mapping[str, str] = match_tokens(shaped, ledger.known_addresses(), secret) if shaped else {}
    targets: list[str] = []
    for line, value, kind in values:
        where = f"{path}:{line}: {value[:60]}"
        if kind == "email":
            try:
                targets.append(_normalise(value))
                result.addresses += 1
            except InputError:
                result.refuse(NOT_AN_ADDRESS, where)
        elif not is_token(value):
            result.refuse(ADDRESS_AS_TOKEN if "@" in value else NOT_A_TOKEN, where)
        elif value in matched:
            targets.append(matched[value])
            result.tokens_matched += 1
        else:
            result.refuse(UNKNOWN_TOKEN, where)
    date = system_clock().astimezone(workspace.zone).strftime("%Y-%m-%d")
    unique = list(dict.fromkeys(targets))
    result.suppressed = add(workspace, ledger, unique, reason=f"{reason} (imported {date})", origin="unsubscribe")
    result.already = len(unique) - len(result.suppressed)
    return result
