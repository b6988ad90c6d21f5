"""``pressctl schedule list`` and ``cancel``: each job as it is shown (its time in the release's zone and in
UTC, whether a dispatcher holds it, which of its sources changed since), and cancelling one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pressctl.ledger.jobs import Job, JobStore
from pressctl.schedule.snapshot import changed_sources
from pressctl.times import format_local, format_utc

__all__ = ["JobView", "cancel_job", "list_jobs"]


@dataclass(frozen=True)
class JobView:
    """A job as ``schedule list`` shows it."""

    job: Job
    local: str  # "2030-03-12 10:00 HKT"
    utc: str  # "2030-03-12 02:00 UTC"
    state: str  # the stored state, or "running (stopped)" for a job no dispatcher holds
    changed: list[str]  # sources edited since scheduling
    resumes: str = ""  # a held job: when it resumes by itself, in the release's zone ("" otherwise)


def list_jobs(store: JobStore, *, states: Sequence[str] | None = None) -> list[JobView]:
    orphaned = {j.id for j in store.orphaned()}
    views = []
    for job in store.all(states=states):
        state = job.shown_state
        if job.id in orphaned:
            state = "running (no dispatcher: resumes at the next `pressctl dispatch`)"
        try:
            changed = changed_sources(job) if job.state in ("scheduled", "held", "missed") else []
            resumes = format_local(job.resume_at, job.zone) if job.state == "held" and job.resume_at else ""
            views.append(
                JobView(job, format_local(job.due, job.zone), format_utc(job.due), state, changed, resumes)
            )
        except (OverflowError, ValueError, OSError, KeyError) as exc:
            # One odd job (a time at the calendar's end, a zone no longer known) must not hide the others.
            when = job.due.strftime("%Y-%m-%d %H:%M UTC")
            views.append(JobView(job, when, when, state, [f"(cannot be shown in full: {type(exc).__name__})"]))
    return views


def cancel_job(store: JobStore, job_id: str) -> Job:
    """Cancel a job that is waiting, held, missed or failed. Its snapshot is kept for the record."""
    return store.cancel(job_id)

