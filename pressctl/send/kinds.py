"""What a campaign was, in words: its kind, its ``--where`` filter and its lists (``campaigns``, ``report``, ``--json``).

A campaign's kind is decided once, when it is made (:func:`kind_of`), and kept in the ledger
(``campaigns.kind``):

==============  =====================================================================================
``advance``     an advance copy under embargo (``--under-embargo``): marked EMBARGOED, stops at the lift
``lift``        the released version of an embargoed release, at or after the lift (by hand or a job);
                readers who had the advance copy get it too (once), unless ``--skip-advance``
``release``     a release without an embargo
``test``        ``--test-to`` copies (subject ``[TEST]``), a campaign of their own, each run a new one
``correction``  ``--new-campaign`` after the release changed: everyone gets the corrected version again
``resend``      ``--new-campaign`` with the release unchanged: everyone gets it again, on purpose
==============  =====================================================================================

Pure: no I/O. The CLI only prints what :func:`describe` returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

__all__ = ["KIND_TEXT", "CampaignInfo", "describe", "kind_of"]

KIND_TEXT: Mapping[str, str] = {
    "advance": "advance copy, marked EMBARGOED (before the lift)",
    "lift": "the released version, at the embargo's lift",
    "release": "the release (no embargo)",
    "test": "[TEST] copies (--test-to)",
    "correction": "a corrected release, sent again to everyone (--new-campaign)",
    "resend": "the same release, sent again to everyone (--new-campaign)",
}


def kind_of(
    *,
    test: bool,
    advance: bool,
    embargo: bool,
    new_campaign: bool,
    earlier_digests: Sequence[str | None],
    digest: str,
) -> str:
    """The kind of a new campaign. ``earlier_digests``: the release digests of earlier campaigns of this
    release that reached journalists (None for one made before digests were kept), oldest first."""
    if test:
        return "test"
    if advance:
        return "advance"
    if new_campaign and earlier_digests:
        return "resend" if earlier_digests[-1] == digest else "correction"
    return "lift" if embargo else "release"


@dataclass(frozen=True)
class CampaignInfo:
    """A campaign as people read it: ``lift · --where beat=tech · lists: a.csv, b.xlsx``."""

    kind: str
    kind_text: str
    where: tuple[str, ...]
    lists: tuple[str, ...]  # file names only
    language: str | None  # --lang
    skip_advance: bool

    @property
    def label(self) -> str:
        """One short line for a table."""
        parts = [self.kind]
        parts += [f"--where {w}" for w in self.where]
        if self.language:
            parts.append(f"--lang {self.language}")
        if self.skip_advance:
            parts.append("--skip-advance")
        return " · ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "kind_text": self.kind_text,
            "where": list(self.where),
            "list_names": list(self.lists),
            "lang": self.language,
            "skip_advance": self.skip_advance,
        }


def describe(kind: str, options: Mapping[str, Any], lists: Sequence[str]) -> CampaignInfo:
    """A campaign's kind, filter and lists (its ledger row's ``kind``, ``options`` and ``lists``)."""
    if not kind:  # made before kinds were kept: read what its options say
        kind = "advance" if options.get("embargoed") or options.get("advance_copy") else "release"
    where = options.get("where") or ()
    return CampaignInfo(
        kind=kind,
        kind_text=KIND_TEXT.get(kind, kind),
        where=tuple(str(w) for w in where),
        lists=tuple(PurePath(p).name for p in lists),
        language=options.get("language") or None,
        skip_advance=bool(options.get("skip_advance")),
    )
