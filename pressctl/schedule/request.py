"""``pressctl schedule``: check a send now as it would be checked at its time, take its snapshot and store
the job (:func:`schedule_release`); the jobs of a ledger (:func:`open_store`)."""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressctl.approvals.check import require_approval
from pressctl.clock import Clock, system_clock
from pressctl.config import Workspace
from pressctl.embargo import check_send_time, lift_time
from pressctl.errors import InputError, PressctlError
from pressctl.ledger.jobs import Job, JobStore, SourceFile
from pressctl.ledger.stores import LedgerName, connect
from pressctl.private import private_dir
from pressctl.release.load import load_release_set
from pressctl.schedule.snapshot import release_files, snapshot_files, snapshot_workspace
from pressctl.send.sender import CampaignSender
from pressctl.times import format_local, parse_at
from pressctl.versions.gate import VersionsDiffer

__all__ = ["ScheduleRequest", "open_store", "schedule_release"]


def open_store(path: Path | str, *, clock: Clock = system_clock) -> JobStore:
    """The jobs of the ledger at ``path``."""
    return JobStore(connect(path), clock=clock)


@dataclass(frozen=True)
class ScheduleRequest:
    """What ``pressctl schedule`` was asked to do."""

    release: Path
    contacts: tuple[Path, ...]
    at: str | None = None  # --at as typed; None means at the embargo
    under_embargo: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)  # sending options, JSON-able, for the engine


def _new_id(slug: str) -> str:
    # Short enough to type, readable in a list; the random part keeps two schedules of one release apart.
    return f"{slug[:24].strip('-') or 'job'}-{secrets.token_hex(3)}"


def _relocate(exc: PressctlError, snapshot: Path, sources: Sequence[SourceFile]) -> PressctlError:
    """Point an error about a snapshot file at the user's own file (same bytes, same line numbers)."""
    if exc.where:
        for source in sources:
            copy = str(snapshot / source.snapshot)
            if exc.where.startswith(copy):
                exc.where = source.source + exc.where[len(copy) :]
                break
    if isinstance(exc, VersionsDiffer):  # each difference names two files of the snapshot
        for source in sources:
            exc.lines = tuple(line.replace(str(snapshot / source.snapshot), source.source) for line in exc.lines)
    return exc


def schedule_release(
    request: ScheduleRequest,
    *,
    workspace: Workspace,
    store: JobStore,
    engine: CampaignSender,
    clock: Clock = system_clock,
    ledger: LedgerName | None = None,
) -> Job:
    """Check, snapshot and store a job; every error a send would raise is raised now. ``ledger``: where
    the job will be sent from (its approvals are read there; None: the workspace's file)."""
    now = clock()
    releases = load_release_set(request.release, workspace)
    main = releases[0]
    zone = main.zone
    require_approval(releases, workspace, ledger_path=ledger if ledger is not None else workspace.ledger_path, command="schedule")
    if request.at is None:
        at = lift_time(main.embargo, under_embargo=request.under_embargo, where=str(request.release))
    else:
        at = parse_at(request.at, zone=zone, now=now)
    check_send_time(
        at, now=now, embargo=main.embargo, under_embargo=request.under_embargo,
        show=lambda when: format_local(when, zone),
    )
    for contact in request.contacts:
        if not Path(contact).is_file():
            raise InputError("contact list not found", where=str(contact), hint="check the path")

    jobs_dir = workspace.state_dir / "jobs"
    private_dir(jobs_dir)
    job_id = _new_id(main.slug)
    while (jobs_dir / job_id).exists():
        job_id = _new_id(main.slug)
    # Built under a temporary name and renamed, so a failure never leaves a half-copied snapshot.
    partial = jobs_dir / f".{job_id}.partial"
    final = jobs_dir / job_id
    try:
        snap = snapshot_files(release_files(releases), request.contacts, dest=partial, root=workspace.root)
        snap = dataclasses.replace(snap, sources=[*snap.sources, *snapshot_workspace(workspace, partial)])
        try:
            recipients = engine.check(
                release=partial / snap.release,
                contacts=[partial / c for c in snap.contacts],
                workspace=workspace,
                options=request.options,
            )
        except PressctlError as exc:
            raise _relocate(exc, partial, snap.sources) from None
        if recipients == 0:
            # A job for nobody would "succeed" at the lift having told no journalist anything.
            raise InputError(
                "nobody to send to: the lists select no one (only a header, or every row invalid or suppressed)",
                where=", ".join(str(c) for c in request.contacts),
                hint="`pressctl contacts check` lists each problem by file and row; no job was made",
            )
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    try:
        return store.add(
            job_id=job_id,
            due=at,
            timezone=main.timezone,
            embargo=main.embargo,
            under_embargo=request.under_embargo,
            release=str(Path(request.release).resolve()),
            title=main.title,
            workspace=str(workspace.root),
            config=str(workspace.config_path) if workspace.config_path else None,
            snapshot_dir=str(final),
            snapshot_release=snap.release,
            contacts=snap.contacts,
            sources=snap.sources,
            options=request.options,
            recipients=recipients,
            files=[(src.snapshot, src.sha256, (final / src.snapshot).read_bytes()) for src in snap.sources],
        )
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)
        raise

