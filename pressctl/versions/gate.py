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
    """The versions disagree on dates, figures, phones, e-mail addresses, URLs, photos or quotes."""


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
            hint="read it, correct it, then remove the 'draft: true' line (or send without it: --lang)",
        )
    found = differences(releases)
    if found and not preview and not allow_differences:
        listed = "\n  ".join(found)
        raise VersionsDiffer(
            f"the language versions differ in {len(found)} place(s); nothing was sent:\n  {listed}\n",
            hint="make them agree (pressctl check RELEASE lists them), or send anyway with --allow-differences",
        )
    return [*draft_lines(releases), *found]
