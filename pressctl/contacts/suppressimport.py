"""``pressctl suppress import``: the unsubscribe tokens an unsubscribe page recorded, or addresses, suppressed.

Tokens are matched only against addresses the ledger knows; addresses come only from an email column (or a
plain list with ``--addresses``): every other value is refused with its reason, never guessed.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pressctl.clock import system_clock
from pressctl.config import Workspace
from pressctl.contacts.clean import column_key
from pressctl.contacts.suppressfile import decode_list
from pressctl.contacts.suppression import add, normalise
from pressctl.errors import InputError
from pressctl.ledger import Ledger
from pressctl.limits import require_regular_file

__all__ = ["ADDRESS_AS_TOKEN", "NOT_AN_ADDRESS", "NOT_A_TOKEN", "UNKNOWN_TOKEN", "ImportResult", "import_file"]


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
    text, _ = decode_list(data)
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
    HMAC (with the workspace ``secret``) of an address the ledger knows (:meth:`pressctl.ledger.suppressions.Suppressions.known_addresses`);
    anything else is refused with its reason (:attr:`ImportResult.refused`), never guessed: a value with an
    ``@`` in the token column (``?t=victim@outlet`` typed into the unsubscribe page) is not an address."""
    from pressctl.contacts.unsubscribe import is_token, match_tokens

    result = ImportResult()
    values = _values(Path(path), addresses=addresses)
    shaped = [v for _, v, kind in values if kind == "token" and is_token(v)]
    matched: Mapping[str, str] = match_tokens(shaped, ledger.suppressions.known_addresses(), secret) if shaped else {}
    targets: list[str] = []
    for line, value, kind in values:
        where = f"{path}:{line}: {value[:60]}"
        if kind == "email":
            try:
                targets.append(normalise(value))
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
