"""One relay of a run while it goes (a *lane*): its pace, adaptive limits, connections, daily budget, and
whether it is still in rotation. What one relay says changes only its own lane."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pressctl.relays.actions import Outcome
from pressctl.relays.adaptive import AdaptiveConfig, AdaptiveController
from pressctl.send.delivery import DeliveryOptions, Lane, LaneResult
from pressctl.send.pacing import Pacer
from pressctl.send.relayfault import RefusalWatch

__all__ = ["LaneState"]


class LaneState:
    """A lane while the run goes: its relay's pace, adaptive limits, connections and standing."""

    def __init__(self, index: int, lane: Lane, run: DeliveryOptions, now: float) -> None:
        opt = lane.options or run
        self.index = index
        self.lane = lane
        self.transport = lane.transport
        self.concurrency = max(1, opt.concurrency)
        self.pacer = Pacer(opt.rate, batch_size=run.batch_size, batch_pause=run.batch_pause)
        self.adaptive = AdaptiveController(
            AdaptiveConfig(
                max_connections=self.concurrency,
                max_rate=opt.rate.per_second if opt.rate else None,
                pause=run.throttle_pause,
                recover_after=run.recover_after,
            ),
            # The loop's clock at the start: the controller measures the pace since then when a relay that
            # has no configured rate first throttles (from 0.0, a run would look 60 s old and its measured
            # pace a fraction of the real one, and the first cut would drop it far below what the relay takes).
            now=now,
        )
        self.pace_lock = asyncio.Lock()
        self.last_handover: float | None = None
        self.live = 0  # open connections
        self.ever_opened = False
        self.consecutive = 0  # failures in a row on this relay
        self.throttles_in_a_row = 0
        self.budget = lane.budget
        self.held = 0  # items its workers hold now
        self.max_size: int | None = None  # the relay's SIZE, once a connection said it
        self.out: str | None = None  # why it left rotation
        self.fatal: BaseException | None = None  # the error that kept it from ever working
        self.result = LaneResult(label=lane.label or lane.name or lane.transport.description, name=lane.name)
        # Refusals that may be the relay's (the same non-mailbox 5xx for everyone): held pending until clear.
        self.refusals: RefusalWatch[tuple[Any, Outcome]] = RefusalWatch()

    @property
    def active(self) -> bool:
        return self.out is None

    def fits(self, size: int) -> bool:
        return self.max_size is None or size <= self.max_size

    def smaller_than(self, size: int) -> None:
        """The relay takes nothing of ``size`` bytes or more (its SIZE, or a message it refused as too big)."""
        self.max_size = size - 1 if self.max_size is None else min(self.max_size, size - 1)

    def budget_left(self) -> bool:
        return self.budget is None or self.budget - self.held > 0

    def over_allowance(self, index: int, now: float) -> bool:
        """Whether worker ``index`` must stand aside: the relay allows fewer connections now."""
        return index >= max(1, self.adaptive.allowed(now).connections)

    def delay(self, now: float) -> float:
        """Seconds until the next hand-over may go: the configured rate and batches, then what the relay
        allows after a slow-down (a pause, then a lower rate that recovers after a clean stretch)."""
        allowed = self.adaptive.allowed(now)
        wait = self.pacer.delay(now)
        if allowed.wait_until is not None:
            wait = max(wait, allowed.wait_until - now)
        if allowed.rate and self.last_handover is not None and self.adaptive.cuts:
            wait = max(wait, self.last_handover + allowed.interval - now)
        return wait

    async def pace(self, stopping: Callable[[], bool]) -> None:
        """Wait until the relay's pace lets the next hand-over go (or the run stops), then take the slot."""
        loop = asyncio.get_running_loop()
        async with self.pace_lock:
            while (wait := self.delay(loop.time())) > 0:
                if stopping() or not self.active:
                    return
                await asyncio.sleep(wait)
            self.pacer.take(loop.time())
            self.last_handover = loop.time()

    async def pause(self, stopping: Callable[[], bool]) -> None:
        """Before opening a connection: wait out the relay's pause after a slow-down."""
        loop = asyncio.get_running_loop()
        while not stopping() and self.active:
            until = self.adaptive.allowed(loop.time()).wait_until
            if until is None or until <= loop.time():
                return
            await asyncio.sleep(min(0.25, until - loop.time()))
