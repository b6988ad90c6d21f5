"""Opt-outs that are never lost: the one suppression service, over the workspace's ``contacts/suppressed.csv``
and the ledger's own record.

**The one writer.** Every suppression pressctl makes — ``pressctl suppress add/remove/import``, ``pressctl
bounces`` (a 5.1.x bounce, three soft bounces, an unsubscribe with the reader's token), and a 5.1.x refusal
during a send — goes through :class:`Suppressor`: the address normalised to its ``addresses.address_key``
(a full-width ``＠`` or a ``mailto:`` unwrapped, the domain in A-labels, lower case), recorded in the
ledger's ``suppressions`` table (reason, origin, time) and appended to the CSV with its reason and date (the
workspace's local time, ISO 8601 with the offset). Nothing else calls the ledger's ``add_suppression`` or
``remove_suppression`` or writes the list (``tests/test_contacts_suppression_service.py`` holds the tree to it).

**The one reader.** :func:`read_all` is what a send honours (contact loading, internal and test copies):
the workspace's list, each ``--suppress`` list, and the ledger's record. ``contacts/suppressed.csv`` stays
the list people edit; :func:`check_workspace_list` makes sure it can be read before anything is sent: a list
that exists but cannot be read (a folder, a dangling link to a share that is not mounted, no permission) is
an error, never "nobody suppressed"; one that is truly absent is recreated with only a header, and said so.
Addresses the ledger recorded stay suppressed even when an edit of the CSV drops them (a notice says so);
``pressctl suppress remove`` clears both on purpose. The file format is :mod:`pressctl.contacts.suppressfile`;
``suppress import`` is :mod:`pressctl.contacts.suppressimport`.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pressctl.clock import system_clock
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
from pressctl.limits import DEFAULT_LIMITS
from pressctl.times import iso_local

__all__ = [
    "HEADER",
    "Suppressed",
    "SuppressionView",
    "Suppressor",
    "add",
    "check_workspace_list",
    "list_all",
    "missing_from_list",
    "missing_warning",
    "normalise",
    "read_all",
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


def recorded(ledger_path: Path | str) -> dict[str, tuple[str, str, str]]:
    """The suppressions the ledger at ``ledger_path`` recorded (none if there is no ledger yet)."""
    from pressctl.ledger.stores import exists

    if not exists(ledger_path):
        return {}
    with Ledger(ledger_path) as ledger:
        return ledger.suppressions.all()


def missing_from_list(recorded_addresses: Iterable[str], entries: frozenset[str]) -> list[str]:
    """Recorded addresses the suppression list(s) no longer hold."""
    return sorted(a for a in recorded_addresses if not is_suppressed(a, entries))


def missing_warning(missing: Sequence[str], path: Path) -> str:
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    return (
        f"{len(missing)} address(es) pressctl suppressed (bounces, unsubscribes) are not in {path} and stay "
        f"suppressed: {shown}. To mail one again on purpose: pressctl suppress remove ADDR"
    )


def normalise(address: str) -> str:
    """``address`` as the service records it (its ``address_key``); InputError for anything but one address."""
    entry = suppression_entry(address)
    if entry is None or entry.startswith("@") or "@" not in entry:
        raise InputError(f"{address!r} is not an email address", hint="give whole addresses, e.g. editor@news.example")
    return entry


@dataclass(frozen=True)
class Suppressed:
    """One suppressed address or domain as ``suppress list`` shows it."""

    address: str
    reason: str
    date: str  # as recorded: a date typed into the list, or an ISO 8601 time pressctl wrote
    where: str  # "list", "ledger" or "list+ledger"


class Suppressor:
    """The one writer of suppressions for a workspace and its open ledger (see the module docstring).

    The list's entries are read once, at the first ``add``, and kept up to date by this writer: a send that
    meets a hundred dead addresses reads the CSV once. ``clock`` gives the time the CSV's date column shows
    (in the workspace's zone).
    """

    def __init__(self, workspace: Workspace, ledger: Ledger, *, clock: Callable[[], dt.datetime] = system_clock) -> None:
        self.path = workspace.suppression_path
        self.zone = workspace.zone
        self.ledger = ledger
        self._clock = clock
        self._entries: frozenset[str] | None = None

    def add(self, addresses: Iterable[str], *, reason: str, origin: str) -> list[str]:
        """Suppress ``addresses`` (all checked before any is written) in the ledger and the CSV; returns those
        that were not suppressed before, as recorded."""
        targets = [normalise(a) for a in addresses]
        if self._entries is None:
            check_workspace_list(self.path)
            self._entries = read_suppression([self.path])
        date = iso_local(self._clock(), self.zone) or ""
        new = []
        for address in targets:
            fresh = self.ledger.suppressions.add(address, reason=reason, origin=origin)
            if not is_suppressed(address, self._entries):
                append_suppression(self.path, address, reason, date=date)
                self._entries = self._entries | {address}
                fresh = True
            if fresh:
                new.append(address)
        return new

    def remove(self, addresses: Iterable[str]) -> dict[str, str]:
        """Un-suppress ``addresses`` in both the CSV and the ledger, on purpose. Returns what happened to each."""
        path = self.path
        check_workspace_list(path)
        targets = {normalise(a) for a in addresses}
        dropped = rewrite_without(path, targets)
        result: dict[str, str] = {}
        remaining = self._entries = read_suppression([path])
        for address in sorted(targets):
            in_ledger = self.ledger.suppressions.remove(address)
            if address not in dropped and not in_ledger:
                result[address] = "was not suppressed by name"
            else:
                result[address] = "removed from " + " and ".join(
                    w for w, hit in (("the list", address in dropped), ("the ledger", in_ledger)) if hit
                )
            if is_suppressed(address, remaining):
                result[address] += f"; still suppressed by a domain entry in {path}"
        return result


def add(workspace: Workspace, ledger: Ledger, addresses: Sequence[str], *, reason: str, origin: str = "manual") -> list[str]:
    """:meth:`Suppressor.add` once (``pressctl suppress add``, ``pressctl bounces``)."""
    return Suppressor(workspace, ledger).add(addresses, reason=reason, origin=origin)


def remove(workspace: Workspace, ledger: Ledger, addresses: Sequence[str]) -> dict[str, str]:
    """:meth:`Suppressor.remove` once (``pressctl suppress remove``)."""
    return Suppressor(workspace, ledger).remove(addresses)


@dataclass(frozen=True)
class SuppressionView:
    """What a send honours: every suppressed address key and ``@domain``, and what to tell the user first."""

    entries: frozenset[str]
    notices: tuple[str, ...] = ()

    def holds(self, address: str, *, keyed: bool = False) -> bool:
        """Whether ``address`` (an address key, with ``keyed``) is suppressed."""
        return is_suppressed(address, self.entries, keyed=keyed)


def read_all(
    workspace: Workspace | None, *, extra: Sequence[Path] = (), ledger_path: Path | str | None = None
) -> SuppressionView:
    """The one reader: the workspace's list (never skipped: an unreadable one stops here, a missing one is
    recreated and said so), each ``extra`` list (``--suppress``; a missing one is an error), and the addresses
    the ledger (``ledger_path``, default the workspace's) recorded, which stay suppressed even if the lists
    lost them (a notice names them). Without a workspace, only the ``extra`` lists."""
    files = list(extra)
    notices: list[str] = []
    found: dict[str, tuple[str, str, str]] = {}
    limits = DEFAULT_LIMITS
    if workspace is not None:
        limits = workspace.limits
        notice = check_workspace_list(workspace.suppression_path)
        if notice:
            notices.append(notice)
        files.insert(0, workspace.suppression_path)
        found = recorded(ledger_path or workspace.ledger_path)
    entries = read_suppression(files, limits=limits)
    if found and workspace is not None:
        missing = missing_from_list(found, entries)
        if missing:
            notices.append(missing_warning(missing, workspace.suppression_path))
        entries = entries | frozenset(found)
    return SuppressionView(entries, tuple(notices))


def list_all(workspace: Workspace, ledger: Ledger) -> list[Suppressed]:
    """Every suppressed address or domain of the workspace list and the ledger, sorted."""
    path = workspace.suppression_path
    check_workspace_list(path)
    found: dict[str, Suppressed] = {}
    for address, reason, date in list_rows(path):
        found[address] = Suppressed(address, reason, date, "list")
    for address, (reason, _origin, created) in ledger.suppressions.all().items():
        if address in found:
            row = found[address]
            found[address] = Suppressed(address, row.reason or reason, row.date or created, "list+ledger")
        else:
            found[address] = Suppressed(address, reason, created, "ledger")
    return [found[k] for k in sorted(found)]
