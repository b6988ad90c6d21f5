"""Rate limit and batch pauses for sending: a pacer with an injected clock (rates are read by
:func:`pressctl.rates.parse_rate`).

Durations (``--batch-pause``, ``--retry-for``) are read by the one parser, ``pressctl.times.parse_duration``.

Pure: the pacer only does arithmetic on the times it is given; the async engine does the sleeping.
"""

from __future__ import annotations

from pressctl.rates import Rate

__all__ = ["Pacer", "format_duration"]


def format_duration(seconds: float) -> str:
    """A short human duration: ``"45 s"``, ``"12 min"``, ``"3 h 5 min"``."""
    if seconds < 1:
        return "under 1 s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 90:
        return f"{minutes:.0f} min"
    hours, rest = divmod(round(minutes), 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


class Pacer:
    """When the next message may be handed over, shared by every connection.

    A token bucket of depth one: hand-overs are spaced at least ``rate.interval`` apart, measured from
    the time each token was actually taken, so a late wake-up never lets two messages through together
    (a deeper bucket would let a burst through after a quiet spell, which is what relays punish).
    After every ``batch_size`` hand-overs the next one waits ``batch_pause`` seconds more.
    """

    def __init__(self, rate: Rate | None, *, batch_size: int = 0, batch_pause: float = 0.0) -> None:
        self.rate = rate
        self.batch_size = batch_size
        self.batch_pause = batch_pause
        self._next: float | None = None  # earliest time of the next hand-over
        self.taken = 0

    def delay(self, now: float) -> float:
        """Seconds to wait from ``now`` before a token is available (0 if one is)."""
        if self._next is None:
            return 0.0
        return max(0.0, self._next - now)

    def take(self, now: float) -> None:
        """Use a token at ``now`` (call only when ``delay(now) == 0``)."""
        self.taken += 1
        nxt = now + self.rate.interval if self.rate else now
        if self.batch_size and self.batch_pause and self.taken % self.batch_size == 0:
            nxt = max(nxt, now + self.batch_pause)
        self._next = nxt if (self.rate or nxt > now) else None

    def estimate(self, count: int, *, per_message: float) -> float:
        """Seconds ``count`` hand-overs will take at best, given the time one message takes without limits."""
        if count <= 0:
            return 0.0
        spacing = max(self.rate.interval if self.rate else 0.0, per_message)
        total = spacing * (count - 1) + per_message
        if self.batch_size and self.batch_pause:
            total += ((count - 1) // self.batch_size) * self.batch_pause
        return total
