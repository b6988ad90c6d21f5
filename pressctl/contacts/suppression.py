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

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pressctl.config import Workspace
from pressctl.contacts.suppressfile import (
    append_suppression,
    is_suppressed,
    list_rows,
    read_suppression,
    rewrite_without,
    suppression_entry,
)
from pressctl.errors import ContactsError, InputError
from pressctl.ledger import Ledger

__all__ = [
    "HEADER",
    "Suppressed",
    "add",
    "check_workspace_list",
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
    entry = suppression_entry(address)
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
    dropped = rewrite_without(path, targets)
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


def list_all(workspace: Workspace, ledger: Ledger) -> list[Suppressed]:
    """Every suppressed address or domain of the workspace list and the ledger, sorted."""
    path = workspace.suppression_path
    check_workspace_list(path)
    found: dict[str, Suppressed] = {}
    for address, reason, date in list_rows(path):
        found[address] = Suppressed(address, reason, date, "list")
    for address, (reason, _origin, created) in ledger.suppressions().items():
        if address in found:
            row = found[address]
            found[address] = Suppressed(address, row.reason or reason, row.date or created, "list+ledger")
        else:
            found[address] = Suppressed(address, reason, created, "ledger")
    return [found[k] for k in sorted(found)]
