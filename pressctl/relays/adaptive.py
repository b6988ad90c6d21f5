"""Sending as fast as a relay lets us, and no faster: the slow-down controller and the rolling 24-hour cap.

:class:`AdaptiveController` is told what happened (a message went through, the relay throttled, the relay
said stop) with the time, and answers how many connections and what rate are allowed now: halve on
throttling, recover a step after a clean stretch, never above the configured limits, never below one
connection and a floor rate. :func:`plan_cap` says how many of a run fit a relay account's rolling 24-hour
cap now and when the next slot frees; :func:`combine_caps` reads several relays' caps as one (a run, or a held
job, that every relay's cap holds back resumes when the first of them has room again).

Pure: every time comes from the caller (monotonic seconds for the controller, aware datetimes for the cap);
nothing here sleeps, reads a clock or does I/O.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from pressctl.times import format_local

__all__ = [
    "DAY",
    "AdaptiveConfig",
    "AdaptiveController",
    "Allowance",
    "CapPlan",
    "cap_allows",
    "combine_caps",
    "max_in_any_window",
    "plan_cap",
]

DAY = dt.timedelta(hours=24)

Aspect = Literal["connections", "rate", "both"]


@dataclass(frozen=True)
class AdaptiveConfig:
    """Limits and pace of adaptation. Rates are messages per second; ``max_rate=None``: no configured rate."""

    max_connections: int
    max_rate: float | None = None
    floor_rate: float = 1 / 60  # never slower than one message a minute
    fallback_rate: float = 1.0  # the first rate when throttled before anything went through and no rate is set
    recover_after: float = 60.0  # seconds without a throttle (and with messages going through) per step up
    recover_factor: float = 1.25  # the rate's step up
    settle: float = 5.0  # throttles this soon after a cut belong to the same episode (in flight at the cut)
    pause: float = 5.0  # after a cut nothing is handed over for this long (the relay's unit may need to pass)
    window: float = 60.0  # seconds of sent messages used to measure the rate when none is set

    def __post_init__(self) -> None:
        if self.max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if self.max_rate is not None and self.max_rate < self.floor_rate:
            raise ValueError("max_rate must not be below floor_rate")
        if self.recover_factor <= 1 or self.floor_rate <= 0 or self.fallback_rate <= 0:
            raise ValueError("recover_factor must be above 1; floor_rate and fallback_rate above 0")


@dataclass(frozen=True)
class Allowance:
    """What may happen now. ``connections == 0`` while stopped; ``rate=None``: no limit."""

    connections: int
    rate: float | None
    stopped: bool = False
    resume_at: float | None = None  # while stopped for a while; None when stopped for the run
    wait_until: float | None = None  # after a throttle: hand nothing over before this time

    @property
    def interval(self) -> float:
        """Seconds between two hand-overs (0 without a rate)."""
        return 1.0 / self.rate if self.rate else 0.0


class AdaptiveController:
    """Additive increase, multiplicative decrease, per relay. Times are the caller's monotonic seconds."""

    def __init__(self, config: AdaptiveConfig, now: float) -> None:
        self.config = config
        self._start = now
        self._connections = config.max_connections
        self._rate: float | None = config.max_rate
        self._ceiling: float | None = config.max_rate
        self._last_cut: float | None = None  # the last pace cut: the pause runs from here
        self._cut_at: dict[str, float] = {}  # per aspect: settling and measuring run from here
        self._last_ok: float | None = None
        self._clean_since = now
        self._sent: deque[float] = deque()
        self._stopped = False
        self._resume_at: float | None = None
        self.cuts = 0  # throttling episodes so far (for the summary and the bench)

    # -- events ---------------------------------------------------------------------------------------
    def ok(self, now: float) -> None:
        """A message went through."""
        self._sent.append(now)
        self._last_ok = now
        self._trim(now)
        if now - self._clean_since >= self.config.recover_after:
            self._step_up()
            self._clean_since = now

    def slow_down(self, now: float, aspect: Aspect = "both") -> bool:
        """The relay throttled (a ``slow-down`` reply). Returns whether the limits were cut.

        Throttles within ``settle`` seconds of the last cut are the same episode (other connections' messages
        in flight at the cut) and change nothing.
        """
        self._clean_since = now
        aspects = ("connections", "rate") if aspect == "both" else (aspect,)
        fresh = [a for a in aspects if a not in self._cut_at or now - self._cut_at[a] >= self.config.settle]
        if not fresh:
            return False
        if "rate" in fresh and "rate" in self._cut_at and (self._last_ok is None or self._last_ok <= self._cut_at["rate"]):
            # Nothing went through since the last rate cut: the relay's time unit has not passed yet, and the
            # lower pace is untried. Pause again rather than cut again.
            self._cut_at["rate"] = self._last_cut = now
            fresh.remove("rate")
            if not fresh:
                return False
        measured = self._measured(now) if self._rate is None else None
        if "rate" in fresh:
            # Only a pace cut pauses the hand-overs. "Too many connections" is about how many are open:
            # the connections still open carry on at once (a pause there cost a whole 5 s at every start
            # against a relay that takes fewer connections than asked).
            self._last_cut = now
        self.cuts += 1
        for a in fresh:
            self._cut_at[a] = now
        if "connections" in fresh:
            self._connections = max(1, (self._connections + 1) // 2)
        if "rate" in fresh:
            current = self._rate if self._rate is not None else measured
            if self._ceiling is None:  # the pace the relay first refused: recovery climbs back to it, no further
                self._ceiling = current or self.config.fallback_rate
            self._rate = max(self.config.floor_rate, current / 2) if current else self.config.fallback_rate
        return True

    def stop(self, now: float, until: float | None = None) -> None:
        """The relay said stop (a ``stop-for-now`` reply): nothing until ``until`` (None: for this run)."""
        self._stopped = True
        self._resume_at = until
        self._clean_since = now

    # -- answers --------------------------------------------------------------------------------------
    def allowed(self, now: float) -> Allowance:
        if self._stopped and (self._resume_at is None or now < self._resume_at):
            return Allowance(0, self._rate, stopped=True, resume_at=self._resume_at)
        pause_end = None if self._last_cut is None else self._last_cut + self.config.pause
        return Allowance(self._connections, self._rate, wait_until=pause_end if pause_end and pause_end > now else None)

    # -- inside ---------------------------------------------------------------------------------------
    def _trim(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.config.window:
            self._sent.popleft()

    def _measured(self, now: float) -> float | None:
        """Messages per second since the last cut (or the start), over at most the last ``window``."""
        self._trim(now)
        since = max(self._start, now - self.config.window, self._cut_at.get("rate", self._start))
        count = sum(1 for t in self._sent if t > since)
        if not count or now <= since:
            return None
        return count / (now - since)

    def _step_up(self) -> None:
        cfg = self.config
        self._connections = min(cfg.max_connections, self._connections + 1)
        if self._rate is not None:
            # Without a configured rate, a rate set by a throttle stays for the run: it climbs back to the
            # pace the relay first refused and no further (bursting again would only draw more refusals).
            ceiling = cfg.max_rate if cfg.max_rate is not None else self._ceiling
            raised = self._rate * cfg.recover_factor
            self._rate = raised if ceiling is None else max(cfg.floor_rate, min(ceiling, raised))


# -- rolling 24-hour cap --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CapPlan:
    """How a run fits a relay account's rolling cap (recipients handed over in any 24 hours)."""

    cap: int
    used: int  # handed over in the 24 hours before ``at``
    now: int  # may go now
    pending: int  # left pending for a later run
    resume_at: dt.datetime | None  # when the next slot frees after the ``now`` ones went; None: no wait

    def describe(self, zone: ZoneInfo) -> str:
        """``8,900 of 10,000 used in the last 24 h: 1,100 now, 1,900 left pending; re-run after ...``."""
        head = f"{self.used:,} of {self.cap:,} used in the last 24 h: {self.now:,} now"
        if not self.pending:
            return head
        line = f"{head}, {self.pending:,} left pending"
        if self.resume_at is not None:
            line += f"; re-run after {format_local(_ceil_minute(self.resume_at), zone)}"
        return line


def plan_cap(
    handovers: Iterable[dt.datetime], cap: int, at: dt.datetime, wanted: int, *, window: dt.timedelta = DAY
) -> CapPlan:
    """How many of ``wanted`` may go at ``at`` under ``cap`` per ``window``, given the account's earlier
    hand-overs (any order; older ones are ignored), and when the next slot frees if not all fit.

    A hand-over at ``h`` counts until ``h + window`` (exclusive). ``wanted`` ones sent at ``at`` and
    the earlier ones never put more than ``cap`` in any window.
    """
    if cap < 1 or wanted < 0:
        raise ValueError("cap must be at least 1 and wanted at least 0")
    recent = sorted(h for h in handovers if at - window < h <= at)
    used = len(recent)
    now = max(0, min(wanted, cap - used))
    pending = wanted - now
    resume_at = None
    if pending:
        # After sending ``now`` at ``at``, the account holds ``used + now`` (>= cap) hand-overs in the
        # window; one slot frees when the (used + now - cap + 1)-th oldest expires.
        times = [*recent, *([at] * now)]
        resume_at = times[len(times) - cap] + window
    return CapPlan(cap=cap, used=used, now=now, pending=pending, resume_at=resume_at)


def combine_caps(plans: Sequence[CapPlan], wanted: int) -> CapPlan | None:
    """Several relays' rolling daily caps as one, for ``wanted`` recipients spread over them: their caps and
    use added, the room they have now together, and, when not everyone fits, when the first relay has room
    again (the earliest of their :attr:`CapPlan.resume_at`). Each plan must be for the same moment and the
    same ``wanted`` (:func:`plan_cap`). None without plans (no relay is capped)."""
    if not plans:
        return None
    room = sum(max(0, p.cap - p.used) for p in plans)
    now = min(wanted, room)
    resumes = [p.resume_at for p in plans if p.resume_at is not None]
    pending = wanted - now
    return CapPlan(
        cap=sum(p.cap for p in plans),
        used=sum(p.used for p in plans),
        now=now,
        pending=pending,
        resume_at=min(resumes) if pending and resumes else None,
    )


def cap_allows(handovers: Iterable[dt.datetime], cap: int, at: dt.datetime, *, window: dt.timedelta = DAY) -> int:
    """How many more may go at ``at`` (for ``schedule``'s warning: does the job fit at its lift?)."""
    return plan_cap(handovers, cap, at, cap, window=window).now


def _ceil_minute(when: dt.datetime) -> dt.datetime:
    floor = when.replace(second=0, microsecond=0)
    return floor if floor == when else floor + dt.timedelta(minutes=1)


def max_in_any_window(times: Iterable[dt.datetime], window: dt.timedelta = DAY) -> int:
    """The largest number of ``times`` inside any half-open ``window`` (for tests and the bench)."""
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, bisect.bisect_left(ordered, start + window) - i)
    return best

