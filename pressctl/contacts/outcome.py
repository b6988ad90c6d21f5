"""What loading contact lists gives: who is selected, and what happened to every other row.

``ContactSet`` is :func:`pressctl.contacts.load.load_contacts`'s answer; a ``RowProblem`` names one row's
problem (file, row, reason, the offending value with control characters escaped).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressctl.contacts.segments import describe_languages, wanted_language
from pressctl.languages.routing import is_fallback
from pressctl.model import Contact

__all__ = ["ContactSet", "RowProblem"]


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
