"""A scheduled job's newsroom page, published (and deployed) at the lift before its first email leaves.

The dispatcher calls :func:`publish_at_lift` for a job whose workspace has a ``[site]``, once the job's
time has come; a PressctlError (the folder cannot be written, the deploy command fails or times out) holds
the job back, so no email carries a link to a page that is not there.
"""

from __future__ import annotations

from pathlib import Path

from pressctl.clock import Clock
from pressctl.config import Workspace
from pressctl.embargo import under_embargo
from pressctl.ledger.jobs import Job
from pressctl.release.load import load_release_set
from pressctl.site.newsroom import publish_release

__all__ = ["publish_at_lift"]


def publish_at_lift(job: Job, workspace: Workspace, clock: Clock) -> None:
    """Publish the job's release from its snapshot: the public page once the embargo has lifted, the
    unlisted preview for an advance copy that goes before it."""
    releases = load_release_set(job.release_path, workspace)
    preview = under_embargo(releases[0].embargo, clock())
    publish_release(
        job.release_path, workspace, clock=clock, preview=preview, releases=releases, source=Path(job.release)
    )
