"""Contact lists in, the right recipients out: read, clean, de-duplicate, suppress, select, route.

``load_contacts`` is the one entry point for sending and checking. What it does, in order:

1. parses every ``--where`` (bad syntax is an error before any file is read);
2. reads every list (``contacts_read``) and finds its columns: a list without an email column, or with
   two columns of the same name, is an error naming the file and its columns, before any row is used;
3. cleans each row (``contacts_clean``): a row whose address is unusable is reported (file, row,
   reason) and skipped; the others go on;
4. de-duplicates by address, case-insensitively, across all lists: the first row wins and its empty
   cells are filled from later rows of the same person (reported as duplicates, naming the first);
5. applies ``--where`` (those left out are only counted), then suppression: the workspace's
   ``contacts/suppressed.csv`` whenever it exists, plus each ``--suppress`` file;
6. routes each selected contact to a language of the release (``segments.route_language``).

So ``rows == len(invalid) + len(duplicates) + excluded + len(suppressed) + len(selected)``.

Suppression lists (``read_suppression``): a CSV/TSV/xlsx with an email column (other columns such as
reason and date are ignored), or a plain list with one entry per line and no header. An entry is an
address, or a whole domain written ``@domain.example``, which also covers its subdomains
(``@hvsp.example`` suppresses ``a@news.hvsp.example``); a bare ``domain.example`` counts as a domain too.
Blank lines and lines starting with ``#`` are ignored. Matching ignores case.

``Contact.fields`` holds every column under its normalised key (``"First Name"`` -> ``first_name``),
values cleaned, the address under ``email``; a list without a ``name`` column gets ``name`` filled with
the display name built from first and last name, so ``{{ name or "editor" }}`` works with either layout.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressctl.clock import system_clock
from pressctl.contacts.clean import (
    AddressError,
    clean_address,
    clean_name,
    column_key,
    display_name,
    is_formula_like,
    visible,
)
from pressctl.contacts.names import chinese_view, fill_name_fields
from pressctl.contacts.read import Table, read_table
from pressctl.contacts.segments import (
    Condition,
    describe_languages,
    is_fallback,
    language_tag,
    parse_where,
    route_language,
    wanted_language,
)
from pressctl.controls import clean_cell
from pressctl.errors import ContactsError
from pressctl.languages import wording
from pressctl.limits import DEFAULT_LIMITS, Limits
from pressctl.model import Contact, Rendered
from pressctl.release.merge import tokens_in

if TYPE_CHECKING:
    from pressctl.config import Workspace
    from pressctl.release.merge import MergePlan

__all__ = [
    "ContactSet",
    "MissingField",
    "RowProblem",
    "append_suppression",
    "check_merge_fields",
    "is_suppressed",
    "load_contacts",
    "parse_where",
    "read_suppression",
]


@dataclass(frozen=True)
class RowProblem:
    """Something wrong with one row: why, and the offending value (control characters escaped)."""

    file: Path
    row: int
    reason: str
    value: str = ""
    column: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.row}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
            "value": self.value,
        }


@dataclass(frozen=True)
class MissingField:
    """A merge field without a fallback that some contacts have no value for."""

    field: str
    contacts: tuple[Contact, ...]


@dataclass
class ContactSet:
    """The outcome of reading some lists: who is selected, and what happened to everyone else."""

    selected: list[Contact] = field(default_factory=list)  # valid, unique, matching --where, not suppressed
    invalid: list[RowProblem] = field(default_factory=list)
    duplicates: list[RowProblem] = field(default_factory=list)
    suppressed: list[Contact] = field(default_factory=list)  # would have been selected
    excluded: int = 0  # valid and unique, but not matching --where
    rows: int = 0  # non-empty data rows in all files
    files: list[Path] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)  # normalised column keys of all files
    warnings: list[RowProblem] = field(default_factory=list)  # kept rows with something odd
    notices: list[str] = field(default_factory=list)  # about the suppression list: show before sending

    @property
    def valid(self) -> int:
        return self.rows - len(self.invalid)

    def per_language(self) -> dict[str, int]:
        """Selected contacts per routed language, most first."""
        counts = Counter(c.language or "" for c in self.selected)
        return dict(counts.most_common())

    def language_fallbacks(self) -> dict[tuple[str, str], int]:
        """Selected readers who get a version not in their own language: (asked for, got) -> how many.

        Only meaningful when the contacts were routed to a release's languages (``load_contacts(languages=)``).
        """
        counts: Counter[tuple[str, str]] = Counter()
        for c in self.selected:
            got = c.language or ""
            wanted = wanted_language(c.fields, got)
            if wanted and is_fallback(wanted, got):
                counts[(wanted, got)] += 1
        return dict(counts)

    def languages_line(self) -> str:
        """``en 10, zh-HK 10 (2 ja readers get en: no ja version)``: versions and fallbacks, for summaries."""
        return describe_languages(self.per_language(), self.language_fallbacks())

    def problems(self) -> list[tuple[str, RowProblem]]:
        """Every reported row as (kind, problem), kind being invalid, duplicate or warning; in file order."""
        tagged = [
            *(("invalid", p) for p in self.invalid),
            *(("duplicate", p) for p in self.duplicates),
            *(("warning", p) for p in self.warnings),
        ]
        order = {path: i for i, path in enumerate(self.files)}
        return sorted(tagged, key=lambda item: (order.get(item[1].file, len(order)), item[1].row))

    def report(self) -> dict[str, Any]:
        """Everything `contacts check` shows, as plain data (the --json output)."""
        return {
            "files": [str(p) for p in self.files],
            "rows": self.rows,
            "valid": self.valid,
            "invalid": len(self.invalid),
            "duplicates": len(self.duplicates),
            "suppressed": len(self.suppressed),
            "excluded": self.excluded,
            "selected": len(self.selected),
            "languages": self.per_language(),
            "language_fallbacks": [
                {"wanted": wanted, "gets": got, "readers": n}
                for (wanted, got), n in sorted(self.language_fallbacks().items())
            ],
            "fields": sorted(self.fields),
            "problems": [{"kind": kind, **p.as_dict()} for kind, p in self.problems()],
            "suppressed_contacts": [{"email": c.email, "source": c.source} for c in self.suppressed],
            "notices": list(self.notices),
        }


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
    email: str
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
    ledger_path: Path | None = None,
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

    suppression_files = list(suppress)
    recorded: dict[str, tuple[str, str, str]] = {}
    if workspace is not None:
        from pressctl.contacts import suppression as suppression

        # Never skipped: an unreadable list stops here; a missing one is recreated (and said so).
        notice = suppression.check_workspace_list(workspace.suppression_path)
        if notice:
            result.notices.append(notice)
        suppression_files.insert(0, workspace.suppression_path)
        recorded = suppression.recorded(ledger_path or workspace.ledger_path)
    suppressed = read_suppression(suppression_files, limits=limits)
    if recorded:
        from pressctl.contacts import suppression as suppression

        missing = suppression.missing_from_list(recorded, suppressed)
        if missing:
            result.notices.append(suppression.missing_warning(missing, workspace.suppression_path))  # type: ignore[union-attr]
        suppressed = suppressed | frozenset(recorded)

    entries = _read_rows(tables, layouts, result, check_dns=check_dns)
    del tables  # their rows are read (and let go); only the contacts stay
    entries.reverse()
    while entries:
        entry = entries.pop()  # each row's working record goes as its contact is made
        contact = _contact(entry, result, languages=languages, default_language=default_language)
        if not all(c.matches(contact.fields, language=contact.language) for c in conditions):
            result.excluded += 1
        elif is_suppressed(contact.email, suppressed):
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
                email = clean_address(raw)
                reason = _dns_problem(email, dns_cache) if check_dns else None
                if reason:
                    raise AddressError(reason)
            except AddressError as exc:
                result.invalid.append(
                    RowProblem(table.path, number, str(exc), visible(raw), layout.headers[layout.email_index])
                )
                continue
            fields["email"] = email
            key = email.lower()
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
            entry = _Entry(fields=fields, email=email, file=table.path, row=number)
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


def _dns_problem(email: str, cache: dict[str, str | None]) -> str | None:
    """Why the address's domain cannot receive mail, or None; one DNS lookup per domain."""
    domain = email.rpartition("@")[2]
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
    if wording(language) == "zh":
        fields = chinese_view(fields)  # a Chinese version greets (and names) them by their Chinese name
    return Contact(
        email=entry.email,
        name=name,
        fields=fields,
        language=language,
        source=f"{entry.file.name}:{entry.row}",
    )


# ---- suppression --------------------------------------------------------------------------------


def _ascii_domain(domain: str) -> str:
    import idna

    domain = domain.strip(".").lower()
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return domain


def _suppression_entry(value: str) -> str | None:
    """One cell of a suppression list as ``address`` or ``@domain`` (lower-case, ASCII domain)."""
    text = clean_cell(value).lower()
    text = text.replace("\uff20", "@").replace("\uff0e", ".").replace("\u3002", ".")
    text = text.removeprefix("mailto:").strip()
    if not text or text.startswith("#"):
        return None
    if text.startswith("@"):
        return "@" + _ascii_domain(text[1:]) if len(text) > 1 else None
    if "@" in text:
        local, _, domain = text.rpartition("@")
        return f"{local}@{_ascii_domain(domain)}"
    if "." in text and " " not in text:
        return "@" + _ascii_domain(text)
    return None


# Only to tell a real list from the wrong file: binary bytes read as Latin-1 still give "entries" with an @.
_PLAUSIBLE_ENTRY = re.compile(r"^(?:[^@\s]+)?@[a-z0-9-]+(?:\.[a-z0-9-]+)+$")


def read_suppression(paths: Iterable[Path], *, limits: Limits = DEFAULT_LIMITS) -> frozenset[str]:
    """Every suppressed address (lower-case) and ``@domain`` in ``paths`` (format: module docstring).

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
                entry = _suppression_entry(cells[index])
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


def is_suppressed(email: str, suppressed: frozenset[str]) -> bool:
    """True if the address, its domain or a parent domain is in ``suppressed``."""
    key = email.lower()
    if key in suppressed:
        return True
    labels = key.rpartition("@")[2].split(".")
    return any("@" + ".".join(labels[i:]) in suppressed for i in range(len(labels)))


def _csv_safe(value: str) -> str:
    """A cell that a spreadsheet will not run as a formula (a bounce text could start with "=")."""
    value = clean_cell(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def append_suppression(path: Path, email: str, reason: str) -> None:
    """Add ``email`` to a suppression list (created with a header if missing), durably.

    One ``write`` in append mode, then ``fsync``: a crash leaves the row whole or absent. An existing
    file keeps its layout: the address goes under its email column (first column if it has no header),
    and its encoding (UTF-16 files edited in Excel stay UTF-16).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    address = clean_cell(email)
    date = system_clock().strftime("%Y-%m-%dT%H:%M:%SZ")
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


# ---- merge fields -------------------------------------------------------------------------------


def check_merge_fields(
    contacts: Sequence[Contact],
    plan: MergePlan,
    renders: Mapping[str, Rendered],
) -> list[MissingField]:
    """Each merge field (without a fallback) that some contacts lack, with those contacts; sorted by field.

    The one merge-field check, shared by ``pressctl contacts check --release`` and ``pressctl send``: each
    contact is judged against the version it will receive (``contact.language``, as ``load_contacts``
    routed it; else ``pressctl.languages.route_language``), i.e. the merge fields in that version's subject,
    HTML and text. A field used only in the English text is not demanded from a reader of the Chinese one.
    ``renders`` maps each language to its rendered email, the release's own language first.
    """
    lacking: dict[str, list[Contact]] = {}
    if not plan.fields or not renders:
        return []
    used = {lang: tokens_in([r.subject, r.html, r.text]) for lang, r in renders.items()}
    versions = list(used)
    for contact in contacts:
        tokens = used[route_language(contact.language, versions, versions[0])]
        names = sorted(
            {
                name
                for f in plan.fields
                if not f.has_fallback and f.token in tokens
                for name in f.variables
                if not contact.fields.get(name)
            }
        )
        for name in names:
            lacking.setdefault(name, []).append(contact)
    return [MissingField(field=name, contacts=tuple(lacking[name])) for name in sorted(lacking)]
