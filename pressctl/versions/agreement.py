"""Do a release's language versions say the same things? Each version is compared with the main one on
what must not change in translation (dates, figures, phone numbers, e-mail addresses, URLs, photo files and
the number of quotes); each difference is one line naming both versions and the paragraph. Pure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pressctl.languages.tags import language_name
from pressctl.release.load import Release
from pressctl.versions.figures import Fact, VersionFacts, facts_of

__all__ = ["compare", "differences"]


def _unmatched(mine: VersionFacts, theirs: VersionFacts, kind: str) -> list[Fact]:
    if kind == "figure":
        return [f for f in mine.facts if f.kind == kind and f.key not in theirs.numbers]
    left = Counter(f.key for f in theirs.facts if f.kind == kind)
    out = []
    for fact in (f for f in mine.facts if f.kind == kind):
        if left[fact.key] > 0:
            left[fact.key] -= 1
        else:
            out.append(fact)
    return out


def compare(main: VersionFacts, other: VersionFacts) -> list[str]:
    """One line per difference between ``other`` and ``main``: a pair that differs, or a fact only one has."""
    a, b = language_name(main.language), language_name(other.language)
    lines: list[str] = []
    for kind in ("date", "figure", "phone", "e-mail", "URL", "photo"):
        ours, theirs = _unmatched(main, other, kind), _unmatched(other, main, kind)
        for x, y in zip(ours, theirs, strict=False):
            lines.append(f"{y.where}: {kind} {y.shown!r} in the {b} version differs from {x.shown!r} in the {a} version ({x.where})")
        for x in ours[len(theirs):]:
            lines.append(f"{x.where}: {kind} {x.shown!r} in the {a} version is not in the {b} version ({other.path})")
        for y in theirs[len(ours):]:
            lines.append(f"{y.where}: {kind} {y.shown!r} in the {b} version is not in the {a} version ({main.path})")
    if main.quotes != other.quotes:
        lines.append(
            f"{other.quote_where}: the {b} version has {other.quotes} quote(s), the {a} version "
            f"{main.quotes} ({main.quote_where})"
        )
    return lines


def differences(releases: Sequence[Release]) -> list[str]:
    """Every difference between the main version (first) and each translation."""
    if len(releases) < 2:
        return []
    main = facts_of(releases[0])
    return [line for other in releases[1:] for line in compare(main, facts_of(other))]
