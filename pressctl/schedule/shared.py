"""A job scheduled on another machine, sent from this one: its snapshot from the ledger, its workspace here.

With a shared ledger (PostgreSQL) an officer schedules from a laptop and the dispatcher on a server sends at
the lift, when the laptop may be asleep and its folder out of reach. The job's snapshot is kept in the
ledger beside it (``job_files``: each file's bytes and the SHA-256 it had when scheduled), so
:func:`local_job` writes it out under this workspace's ``.pressctl/jobs/`` when the job's own folder is not
here, checking every digest (a folder that is here but was changed is refused, as before); and when the job's workspace folder is not on this machine,
the job is delivered with this one's (the workspace folder is shared by git or a drive: its
``pressctl.toml``, suppression list and secret).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path, PurePosixPath

from pressctl.config import Workspace
from pressctl.digests import bytes_sha256
from pressctl.errors import InputError
from pressctl.ledger.jobs import Job, JobStore
from pressctl.private import private_dir, private_write

__all__ = ["local_job"]


def local_job(job: Job, store: JobStore, here: Workspace | None) -> Job:
    """``job`` with a snapshot folder and a workspace this machine has (``here``: the dispatcher's own)."""
    if not Path(job.snapshot_dir).is_dir():  # a folder here but changed: verify_snapshot refuses it, as ever
        files = store.files(job.id)
        if files:  # else a job kept only in its folder: verify_snapshot says what is wrong
            if here is None or here.config_path is None:
                raise InputError(
                    f"job {job.id} was scheduled from another workspace ({job.workspace}) that is not here",
                    hint="run the dispatcher in a copy of the workspace folder (cd /path/to/workspace && pressctl dispatch)",
                )
            job = dataclasses.replace(job, snapshot_dir=str(_write_out(job, files, here.state_dir / "jobs")))
    if here is not None and here.config_path is not None and not Path(job.workspace).is_dir():
        job = dataclasses.replace(job, workspace=str(here.root), config=str(here.config_path))
    return job


def _write_out(job: Job, files: list[tuple[str, str, bytes]], jobs_dir: Path) -> Path:
    """The ledger's copy of the snapshot as ``jobs_dir/<id>.ledger`` (private), every digest checked. Written
    afresh each time the job is taken up here (a copy cut short is simply written again; the dispatcher checks
    every file's digest again before sending)."""
    folder = jobs_dir / f"{job.id}.ledger"
    private_dir(jobs_dir)
    shutil.rmtree(folder, ignore_errors=True)
    for place, digest, data in files:
        relative = PurePosixPath(place)
        if relative.is_absolute() or ".." in relative.parts or bytes_sha256(data) != digest:
            raise InputError(
                f"job {job.id}: the ledger's copy of {place} is not what was scheduled",
                hint="cancel the job and schedule the release again",
            )
        target = folder / relative
        private_dir(target.parent)
        private_write(target, data)
    return folder
