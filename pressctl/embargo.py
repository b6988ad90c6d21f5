"""Every embargo decision in one place: datetimes in, decisions (or one clear EmbargoError) out.

- :func:`under_embargo`: has the embargo not lifted yet at a moment (the one comparison; a rendered form
  is marked EMBARGOED while it holds, ``Release.is_embargoed`` asks it)?
- :func:`check_send_now`: may a send start now (``pressctl send``, and the scheduler's send at its time)?
  A normal send never before the lift; an advance copy (``--under-embargo``) only before it. Returns
  whether the copy is marked EMBARGOED.
- :func:`lift_time` / :func:`check_send_time`: when a job goes without ``--at`` (the lift), and may a job be
  scheduled at this time (``pressctl schedule``)?
- :func:`check_publish_now`: may the newsroom's public page go up now (``pressctl publish``, and a job's
  page at its time; the unlisted preview may always)?
- :func:`job_not_before` / :func:`check_run_now`: the bound a scheduled job is sent under.
- :class:`HandoverGate`: the two-sided gate the send engine asks before *each* hand-over: nothing of a
  normal send before the lift; an advance-copy run stops at the lift and leaves the rest pending.

A leaf: no Release (pass the embargo datetime), no clock (pass ``now``), no I/O. Times in messages are
shown by the caller's ``show`` function (the release's zone; ``pressctl.times.format_local``), so each
message reads like every other time pressctl prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pressctl.errors import EmbargoError

__all__ = [
    "MAX_AHEAD",
    "GateDecision",
    "HandoverGate",
    "check_publish_now",
    "check_run_now",
    "check_send_now",
    "check_send_time",
    "job_not_before",
    "lift_time",
    "show_utc",
    "under_embargo",
]

Show = Callable[[dt.datetime], str]

MAX_AHEAD = dt.timedelta(days=10 * 365 + 2)  # ten years: a later send time is a typo (or 9999-12-31)


def show_utc(when: dt.datetime) -> str:
    """The fallback way to show a time when the caller has no zone: ``2030-03-12 02:00 UTC``."""
    return f"{when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def under_embargo(embargo: dt.datetime | None, now: dt.datetime) -> bool:
    """True while the embargo has not lifted at ``now`` (aware): what every other rule here starts from."""
    return embargo is not None and now < embargo


# -- starting a send --------------------------------------------------------------------------------------
def check_send_now(
    embargo: dt.datetime | None, *, moment: dt.datetime, advance_copy: bool, where: str = "", show: Show = show_utc
) -> bool:
    """Whether the copy is marked EMBARGOED; raises EmbargoError for a send at ``moment`` that would break
    (or misuse) the embargo. ``moment`` is when the send starts (now, or a scheduled job's time)."""
    if advance_copy:
        if embargo is None:
            raise EmbargoError(
                "--under-embargo needs an embargo, and the release has none",
                where=where,
                hint="Add 'embargo: YYYY-MM-DD HH:MM' to the front matter, or send without --under-embargo",
            )
        if embargo <= moment:
            raise EmbargoError(
                f"the embargo ({show(embargo)}) has already lifted, so this would not be an advance copy",
                where=where,
                hint="Send without --under-embargo",
            )
        return True
    if embargo is not None and moment < embargo:
        raise EmbargoError(
            f"the release is under embargo until {show(embargo)}; sending it now would break the embargo",
            where=where,
            hint="Use --under-embargo to send an advance copy marked EMBARGOED, "
            "or `pressctl schedule` to send it when the embargo lifts",
        )
    return False


# -- scheduling -------------------------------------------------------------------------------------------
def lift_time(embargo: dt.datetime | None, *, under_embargo: bool, where: str = "") -> dt.datetime:
    """When a job given no ``--at`` goes: at the lift. A release without an embargo has no such time, and an
    advance copy at the lift would no longer be one: both need ``--at``."""
    if embargo is None:
        raise EmbargoError(
            "the release has no embargo, so there is no time to send it at",
            where=where,
            hint="give --at TIME (e.g. --at '2030-03-12 10:00'), or add 'embargo:' to the front matter",
        )
    if under_embargo:
        raise EmbargoError(
            "an advance copy needs --at: by default a job goes at the lift, when it is no longer advance",
            hint="give --at with a time before the embargo",
        )
    return embargo


def check_send_time(
    at: dt.datetime,
    *,
    now: dt.datetime,
    embargo: dt.datetime | None,
    under_embargo: bool,
    show: Show = show_utc,
) -> None:
    """Refuse a scheduled time that is past, or that would break the embargo.

    An advance copy (``under_embargo``) is the one case where sending before the embargo is the point;
    then the time must be before the lift, or the copy would arrive marked EMBARGOED after it.
    A time more than :data:`MAX_AHEAD` ahead is refused too: it is a typo (or 9999-12-31), and near the end
    of the calendar it cannot even be shown in every zone.
    """
    if at - now > MAX_AHEAD:
        raise EmbargoError(
            f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC is more than {MAX_AHEAD.days // 365} years ahead; "
            "no job is stored",
            hint="check the year of --at (or of the release's 'embargo'); schedule it closer to the time",
        )
    if at <= now:
        raise EmbargoError(
            f"{show(at)} is in the past (now {show(now)})",
            hint="give a later --at, or use `pressctl send` to send now",
        )
    if under_embargo:
        if embargo is None:
            raise EmbargoError(
                "--under-embargo needs a release with an 'embargo'",
                hint="add 'embargo:' to the front matter, or drop --under-embargo",
            )
        if at >= embargo:
            raise EmbargoError(
                f"an advance copy at {show(at)} would arrive after the embargo lifts ({show(embargo)})",
                hint="schedule it earlier, or drop --under-embargo to send the release at the lift",
            )
        return
    if embargo is not None and at < embargo:
        raise EmbargoError(
            f"{show(at)} is before the embargo lifts ({show(embargo)}); sending then would break it",
            hint="leave out --at to send at the lift, or add --under-embargo for advance copies",
        )


def job_not_before(embargo: dt.datetime | None, *, under_embargo: bool) -> dt.datetime | None:
    """The earliest hand-over of a job sent by hand (``schedule run``): the lift, unless it is an advance copy."""
    return None if under_embargo else embargo


def check_run_now(
    job_id: str, embargo: dt.datetime | None, *, under_embargo: bool, now: dt.datetime, show: Show = show_utc
) -> dt.datetime | None:
    """``schedule run ID`` now: refused before the lift (unless an advance copy); else the job's bound."""
    not_before = job_not_before(embargo, under_embargo=under_embargo)
    if not_before is not None and now < not_before:
        raise EmbargoError(
            f"job {job_id} can't be sent before its embargo lifts at {show(not_before)}",
            hint="leave it to `pressctl dispatch`, which sends it at its time",
        )
    return not_before


# -- the newsroom ----------------------------------------------------------------------------------------
def check_publish_now(embargo: dt.datetime | None, *, now: dt.datetime, where: str = "", show: Show = show_utc) -> None:
    """Refuse the public page of a release still under embargo at ``now`` (its unlisted preview is allowed)."""
    if embargo is not None and under_embargo(embargo, now):
        raise EmbargoError(
            f"the release is under embargo until {show(embargo)}; publishing its page now would break the embargo",
            where=where,
            hint="use --preview for an unlisted advance-copy page, or `pressctl schedule`, which publishes it at the lift",
        )


# -- the gate at each hand-over ---------------------------------------------------------------------------
@dataclass(frozen=True)
class GateDecision:
    """``go``: hand it over now; ``wait``: not before ``seconds`` from now; ``stop``: the advance copy's
    time is over (``line`` says what happened and what to do)."""

    action: Literal["go", "wait", "stop"]
    seconds: float = 0.0
    line: str = ""


@dataclass(frozen=True)
class HandoverGate:
    """Asked right before each hand-over, on the run's clock.

    ``not_before``: nothing leaves earlier (a normal send: the lift; a scheduled job: its time).
    ``lift``, for an advance copy only: nothing marked EMBARGOED leaves at or after it; the run stops there
    and the rest stay pending for a send of the released version.
    """

    not_before: dt.datetime | None = None
    lift: dt.datetime | None = None
    show: Show = field(default=show_utc, compare=False)

    @classmethod
    def for_send(
        cls,
        embargo: dt.datetime | None,
        *,
        advance_copy: bool,
        not_before: dt.datetime | None = None,
        show: Show = show_utc,
    ) -> HandoverGate:
        """The gate of one send: an advance copy stops at the lift; a normal send waits for it (and for
        ``not_before``, a scheduled job's time, whichever is later)."""
        if advance_copy:
            return cls(not_before=not_before, lift=embargo, show=show)
        bounds = [t for t in (embargo, not_before) if t is not None]
        return cls(not_before=max(bounds) if bounds else None, show=show)

    @property
    def idle(self) -> bool:
        return self.not_before is None and self.lift is None

    def decide(self, now: dt.datetime) -> GateDecision:
        if self.lift is not None and now >= self.lift:
            return GateDecision(
                "stop",
                line=(
                    f"the embargo lifted at {self.show(self.lift)} during this advance-copy run, so nothing more "
                    "was sent marked EMBARGOED; the rest stay pending. Run the same command without "
                    "--under-embargo to send them the released version"
                ),
            )
        if self.not_before is not None and now < self.not_before:
            return GateDecision("wait", seconds=(self.not_before - now).total_seconds())
        return GateDecision("go")
