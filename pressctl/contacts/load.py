"""Contact lists in, the right recipients out: read, clean, de-duplicate, suppress, select, route.

``load_contacts`` is the one entry point for sending and checking. What it does, in order:

1. parses every ``--where`` (bad syntax is an error before any file is read);
2. reads every list (``contacts_read``) and finds its columns: a list without an email column, or with
   two columns of the same name, is an error naming the file and its columns, before any row is used;
3. cleans each row (``contacts_clean``): a row whose address is unusable is reported (file, row,
   reason) and skipped; the others go on;
4. de-duplicates by address (``addresses.address_key``: case-insensitive) across all lists: the first row wins and its empty
   cells are filled from later rows of the same person (reported as duplicates, naming the first);
5. applies ``--where`` (those left out are only counted), then suppression: the workspace's
   ``contacts/suppressed.csv`` whenever it exists, plus each ``--suppress`` file;
6. routes each selected contact to a language of the release (``languages.routing.route_language``).

So ``rows == len(invalid) + len(duplicates) + excluded + len(suppressed) + len(selected)``.

Suppression lists are read by :mod:`pressctl.contacts.suppressfile`.

``Contact.fields`` holds every column under its normalised key (``"First Name"`` -> ``first_name``),
values cleaned, the address under ``email``; a list without a ``name`` column gets ``name`` filled with
the display name built from first and last name, so ``{{ name or "editor" }}`` works with either layout.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.addresses import Address, AddressError
from pressctl.contacts.clean import (
    cell_address,
    clean_name,
    column_key,
    display_name,
    is_formula_like,
    visible,
)
from pressctl.contacts.names import fill_name_fields, name_view
from pressctl.contacts.outcome import ContactSet, RowProblem
from pressctl.contacts.read import Table, read_table
from pressctl.contacts.segments import Condition, language_tag, parse_where
from pressctl.contacts.suppression import read_all
from pressctl.controls import clean_cell
from pressctl.errors import ContactsError
from pressctl.languages.routing import locale_for, route_language
from pressctl.limits import DEFAULT_LIMITS
from pressctl.model import Contact

if TYPE_CHECKING:
    from pressctl.config import Workspace

__all__ = ["load_contacts"]


@dataclass
class _Layout:
    """Where things are in one table."""

    keys: list[str]  # per column; "" for a column without a header
    headers: list[str]
    email_index: int


def _layout(table: Table) -> _Layout:
    headers = [clean_cell(h) for h in table.header]
    keys = [column_key(h) for h in headers]
    where = f"{table.path}:{table.header_row}"
    seen: dict[str, str] = {}
    for header, key in zip(headers, keys, strict=True):
        if not key:
            continue
        if key in seen:
            raise ContactsError(
                f"two columns are both {key!r}: {seen[key]!r} and {header!r}",
                where=where,
                hint="rename or delete one of them",
            )
        seen[key] = header
    if "email" not in keys:
        shown = ", ".join(repr(h) for h in headers if h) or "none"
        raise ContactsError(
            f"no email column (the columns are: {shown})",
            where=where,
            hint="name the address column Email (or E-mail, Email Address, Mail); the first row must be the header",
        )
    return _Layout(keys=keys, headers=headers, email_index=keys.index("email"))


@dataclass
class _Entry:
    fields: dict[str, str]
    address: Address
    file: Path
    row: int

    @property
    def where(self) -> str:
        return f"{self.file}:{self.row}"


def load_contacts(
    paths: Sequence[Path],
    *,
    encoding: str | None = None,
    where: Sequence[str] = (),
    suppress: Sequence[Path] = (),
    workspace: Workspace | None = None,
    check_dns: bool = False,
    languages: Sequence[str] | None = None,
    default_language: str = "en",
    ledger_path: Path | str | None = None,
) -> ContactSet:
    """Read, clean, de-duplicate, select and suppress the contacts of ``paths`` (see the module docstring).

    With a ``workspace``, its ``contacts/suppressed.csv`` must be readable (see
    :func:`pressctl.contacts.suppression.check_workspace_list`), and the addresses its ledger (``ledger_path``,
    default the workspace's) recorded as suppressed stay suppressed even if the CSV lost them.

    ``languages`` are those the release exists in (main language first); each selected contact's
    ``language`` is routed to one of them. Without it, a contact keeps its own tag (or the default).
    Raises ContactsError for a problem with a whole file or option; row problems are reported instead.
    """
    conditions = [parse_where(w) for w in where]
    if not paths:
        raise ContactsError("no contact list given", hint="name one or more lists with -c/--contacts FILE")
    limits = workspace.limits if workspace is not None else DEFAULT_LIMITS
    tables = [read_table(Path(p), encoding=encoding, limits=limits) for p in paths]
    layouts = [_layout(t) for t in tables]
    result = ContactSet(files=[t.path for t in tables])
    for layout in layouts:
        result.fields.update(k for k in layout.keys if k)
    result.fields.add("name")
    _check_conditions(conditions, result.fields)

    # Never skipped: an unreadable workspace list stops here; a missing one is recreated (and said so).
    view = read_all(workspace, extra=[Path(p) for p in suppress], ledger_path=ledger_path)
    result.notices.extend(view.notices)

    entries = _read_rows(tables, layouts, result, check_dns=check_dns)
    del tables  # their rows are read (and let go); only the contacts stay
    entries.reverse()
    while entries:
        entry = entries.pop()  # each row's working record goes as its contact is made
        contact = _contact(entry, result, languages=languages, default_language=default_language)
        if not all(c.matches(contact.fields, language=contact.language) for c in conditions):
            result.excluded += 1
        elif view.holds(contact.key, keyed=True):
            result.suppressed.append(contact)
        else:
            result.selected.append(contact)
    return result


def _check_conditions(conditions: Iterable[Condition], fields: set[str]) -> None:
    for condition in conditions:
        if condition.field not in fields:
            raise ContactsError(
                f"--where {condition.source!r}: no list has a column {condition.field!r}",
                hint="the columns are: " + ", ".join(sorted(fields)),
            )


_SHARED_MAX = 200_000  # distinct cell texts kept for sharing; beyond that, new texts are kept as they come


def _drain(table: Table) -> Iterator[tuple[int, list[str]]]:
    """The table's rows, each let go once read: the raw cells of 100,000 rows are ~25 MB not needed twice."""
    rows, table.rows = table.rows, []
    rows.reverse()
    while rows:
        yield rows.pop()


def _read_rows(
    tables: Sequence[Table], layouts: Sequence[_Layout], result: ContactSet, *, check_dns: bool
) -> list[_Entry]:
    first_by_key: dict[str, _Entry] = {}
    entries: list[_Entry] = []
    dns_cache: dict[str, str | None] = {}
    shared: dict[str, str] = {}  # cell text -> one copy of it (only while reading)
    for table, layout in zip(tables, layouts, strict=True):
        width = len(layout.keys)
        unnamed = {i for i, key in enumerate(layout.keys) if not key}
        unnamed_used: set[int] = set()
        for number, cells in _drain(table):
            result.rows += 1
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            if len(cells) > width or unnamed:
                # Cells under no header are dropped; say so once per column rather than lose them quietly.
                unnamed_used.update(
                    i for i in range(len(cells)) if (i >= width or i in unnamed) and cells[i].strip()
                )
            fields: dict[str, str] = {}
            for index, key in enumerate(layout.keys):
                if not key or key == "email":
                    continue
                value = clean_cell(cells[index])
                # Outlets, languages, beats, first names repeat across rows: keep one copy of each.
                value = shared.get(value) or (shared.setdefault(value, value) if len(shared) < _SHARED_MAX else value)
                fields[key] = value
                if is_formula_like(value):
                    result.warnings.append(
                        RowProblem(
                            table.path,
                            number,
                            "looks like a spreadsheet formula; kept as plain text",
                            visible(value),
                            layout.headers[index],
                        )
                    )
            raw = cells[layout.email_index]
            try:
                address = cell_address(raw)
                reason = _dns_problem(address.domain, dns_cache) if check_dns else None
                if reason:
                    raise AddressError(reason)
            except AddressError as exc:
                result.invalid.append(
                    RowProblem(table.path, number, str(exc), visible(raw), layout.headers[layout.email_index])
                )
                continue
            fields["email"] = email = address.text
            key = address.key
            first = first_by_key.get(key)
            if first is not None:
                result.duplicates.append(
                    RowProblem(
                        table.path,
                        number,
                        f"same address as {first.where} (that row is kept)",
                        email,
                        layout.headers[layout.email_index],
                    )
                )
                # Merge: the first row wins, but what it lacks a later row may know.
                for k, v in fields.items():
                    if v and not first.fields.get(k):
                        first.fields[k] = v
                continue
            entry = _Entry(fields=fields, address=address, file=table.path, row=number)
            first_by_key[key] = entry
            entries.append(entry)
        for index in sorted(unnamed_used):
            result.warnings.append(
                RowProblem(
                    table.path,
                    table.header_row,
                    f"column {index + 1} has values but no header; they are ignored",
                    column=f"#{index + 1}",
                )
            )
    return entries


def _dns_problem(domain: str, cache: dict[str, str | None]) -> str | None:
    """Why ``domain`` (an address's) cannot receive mail, or None; one DNS lookup per domain."""
    if domain not in cache:
        if domain == "test" or domain.endswith(".test"):
            cache[domain] = None  # reserved for testing: never in DNS, accepted on purpose
        else:
            from email_validator import EmailUndeliverableError
            from email_validator.deliverability import validate_email_deliverability

            try:
                validate_email_deliverability(domain, domain, timeout=10)
                cache[domain] = None
            except EmailUndeliverableError as exc:
                cache[domain] = str(exc).rstrip(".")
    return cache[domain]


def _contact(
    entry: _Entry, result: ContactSet, *, languages: Sequence[str] | None, default_language: str
) -> Contact:
    fields = entry.fields
    raw_name = fields.get("name", "")
    name = display_name(fields)  # the To name as the list has it ("Fernandes, Zoë" keeps its comma)
    fill_name_fields(fields)  # "Ho, Siu-ling" read as such; first/last/Chinese name filled where empty
    if raw_name and not clean_name(raw_name):
        result.warnings.append(
            RowProblem(
                entry.file,
                entry.row,
                "the name holds an @; not used as the display name",
                visible(raw_name),
                "name",
            )
        )
    if not fields.get("name"):
        fields["name"] = name  # a row with first and last name but an empty name cell greets by them too
    language_cell = fields.get("language", "")
    tag = language_tag(language_cell)
    if tag is None:
        result.warnings.append(
            RowProblem(
                entry.file,
                entry.row,
                f"language not recognised; gets {default_language}",
                visible(language_cell),
                "language",
            )
        )
    if languages is None:
        language = tag or default_language
    else:
        language = route_language(tag, languages, default_language)
    # A Chinese version greets (and names) them by their Chinese name: the locale's name_field.
    fields = name_view(fields, locale_for(language).name_field)
    return Contact(
        email=entry.address.text,
        address=entry.address,
        name=name,
        fields=fields,
        language=language,
        source=f"{entry.file.name}:{entry.row}",
    )
