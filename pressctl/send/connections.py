"""A lane's connections: opening one (and what a refusal while connecting does to the lane), renewing it,
closing it.

The refusal comes read by :mod:`pressctl.relays.connect`: *slow down* (:class:`RelayBusy`) cuts the lane's
connections and pauses it, and only after the relay has said so :data:`~pressctl.relays.policy.
MAX_CONSECUTIVE_THROTTLES` times with nothing sent between does the lane leave rotation; any other refusal
takes the lane out when it never worked, when others still work, or after a run of failures.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Generic, TypeVar

from pressctl.errors import TransportError
from pressctl.relays import policy
from pressctl.relays.connect import RelayBusy
from pressctl.send.buffer import Item, backoff
from pressctl.send.dispatch import Run
from pressctl.send.lanestate import LaneState
from pressctl.send.transport import Connection

__all__ = ["LaneConnections"]

T = TypeVar("T")


class LaneConnections(Generic[T]):
    """Opening and closing connections for the lanes of one run."""

    def __init__(self, run: Run[T]) -> None:
        self.run = run

    async def open(self, ls: LaneState) -> Connection:
        conn = await ls.transport.open()
        ls.live += 1
        ls.ever_opened = True
        size = getattr(conn, "max_size", None)
        if isinstance(size, int):
            ls.max_size = size if ls.max_size is None else min(ls.max_size, size)
        return conn

    async def close(self, ls: LaneState, conn: Connection | None) -> None:
        if conn is not None:
            ls.live -= 1
            with contextlib.suppress(Exception):
                await conn.close()

    def busy(self, ls: LaneState) -> bool:
        """A slow-down while connecting: fewer connections and a pause on this relay. True when it has
        said so too often with nothing sent between (then it leaves rotation)."""
        now = asyncio.get_running_loop().time()
        ls.adaptive.slow_down(now, "connections")
        self.run.result.throttled += 1
        ls.result.throttled += 1
        if ls.live > 0:
            return False  # its other connections carry on: not "nothing sent between"
        ls.throttles_in_a_row += 1
        return ls.throttles_in_a_row >= policy.MAX_CONSECUTIVE_THROTTLES

    async def renew(self, ls: LaneState, item: Item[T]) -> tuple[Connection | None, bool]:
        """A new connection for ``item`` (never handed over yet: it goes back to the buffer when none can be
        had). Returns the connection, or None and whether this worker is done."""
        await ls.pause(lambda: self.run.stopping)
        try:
            return await self.open(ls), False
        except RelayBusy as exc:  # the relay's refusal read as "slow down" (pressctl.relays.connect)
            self.run.buffer.push_back(item)  # never handed over: no attempt spent
            if self.busy(ls):
                await self.run.lane_out(
                    ls,
                    f"the relay asked to slow down {ls.throttles_in_a_row} times in a row with nothing sent "
                    f"between (last: {exc.what}); everyone left stays pending. Run the same command again "
                    "later, or lower --concurrency/--rate",
                )
                return None, True
            if ls.live > 0:
                return None, True  # it takes fewer connections than asked: carry on with those it took
            await asyncio.sleep(self.run.opt.throttle_pause)  # none open: wait, then try again
            return None, False
        except TransportError as exc:
            self.run.buffer.push_back(item)  # never handed over: no attempt spent
            if not ls.ever_opened:
                await self.run.lane_out(ls, _line(exc), fatal=exc)
                return None, True
            if ls.live > 0:
                return None, True  # the server takes fewer connections than asked: carry on with fewer
            if sum(x.active for x in self.run.lanes) > 1:
                await self.run.lane_out(ls, f"it became unreachable ({_line(exc)})")
                return None, True
            if await self.run.failed_once(ls, str(exc)):
                return None, True
            await asyncio.sleep(backoff(ls.consecutive, self.run.opt, self.run.rng))
            return None, False

    async def first(self, ls: LaneState) -> Connection | None:
        """One connection per relay before anything is marked, so an unreachable relay fails fast and clean."""
        try:
            return await self.open(ls)
        except RelayBusy:
            self.busy(ls)
            return None
        except TransportError as exc:
            self.run.set_out(ls, _line(exc), fatal=exc)
            return None


def _line(exc: BaseException) -> str:
    what = getattr(exc, "what", None)
    return str(what) if what else str(exc)
