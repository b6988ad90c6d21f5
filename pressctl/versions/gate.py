"""What stops a release's versions from leaving: a version still marked ``draft: true`` (a machine's
conversion no person has read), and versions that disagree (``agreement``). The one check ``send``,
``schedule`` (through the send plan) and ``publish`` ask. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from pressctl.errors import ReleaseError
from pressctl.languages.tags import language_name
from pressctl.release.load import Release
from pressctl.versions.agreement import differences

__all__ = ["DraftVersion", "VersionsDiffer", "check_versions", "draft_lines"]


class DraftVersion(ReleaseError):
    """A version is still a draft: nothing of the release leaves until a person removes the mark."""


class VersionsDiffer(ReleaseError):
    """The versions disagree on dates, figures, phones, e-mail addresses, URLs, photos or quotes: the error's
    line, then each difference on a line of its own."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__(
            f"the language versions differ in {len(lines)} place(s); nothing was sent",
            hint="make them agree (`pressctl check RELEASE` lists them again), or send anyway with --allow-differences",
        )
        self.lines = tuple(lines)

    def __str__(self) -> str:
        return "\n".join([super().__str__(), *(f"  {line}" for line in self.lines)])


def draft_lines(releases: Sequence[Release]) -> list[str]:
    return [
        f"{r.path}: the {language_name(r.language)} version is marked 'draft: true': send, schedule and publish "
        "refuse it until a person has read it and removed the line"
        for r in releases
        if r.draft
    ]


def check_versions(releases: Sequence[Release], *, preview: bool, allow_differences: bool) -> list[str]:
    """Lines to show as warnings; raises for a draft or a difference unless ``preview`` (a dry run, a test
    copy) or, for differences, ``allow_differences``."""
    drafts = [r for r in releases if r.draft]
    if drafts and not preview:
        r = drafts[0]
        raise DraftVersion(
            f"the {language_name(r.language)} version is a draft (draft: true): nothing was sent or published",
            where=str(r.path),
            hint="a person reads and corrects it, then removes the 'draft: true' line; until then `send --lang` "
            "sends the other versions alone",
        )
    found = differences(releases)
    if found and not preview and not allow_differences:
        raise VersionsDiffer(found)
    return [*draft_lines(releases), *found]
