"""``pressctl check RELEASE``: what a person should look at before a release goes, without rendering or
sending: each version's warnings, drafts, and every difference between the versions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pressctl.config import Workspace
from pressctl.release.load import date_warnings, load_release_set
from pressctl.versions.agreement import differences
from pressctl.versions.gate import draft_lines

__all__ = ["ReleaseCheck", "check_release"]


@dataclass
class ReleaseCheck:
    languages: list[str]
    differences: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Nothing that would stop a send: no draft, no difference."""
        return not self.differences and not self.drafts


def check_release(path: Path, workspace: Workspace, *, now: dt.datetime) -> ReleaseCheck:
    releases = load_release_set(Path(path), workspace)
    warnings: list[str] = []
    for line in [*date_warnings(releases, now.astimezone(releases[0].zone).date()), *(w for r in releases for w in r.warnings)]:
        if line not in warnings:
            warnings.append(line)
    return ReleaseCheck(
        languages=[r.language for r in releases],
        differences=differences(releases),
        drafts=draft_lines(releases),
        warnings=warnings,
    )
