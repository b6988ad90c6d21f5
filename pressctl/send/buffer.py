"""The send loop's shared buffer: messages built ahead of the sockets, retries waiting out their backoff,
and which relay may take which message.

Fresh messages come from the producer (bounded by count and bytes); a message to try again goes back to the
front at once (nothing was handed over) or after an exponential backoff with jitter. A message whose outcome
is unknown at one relay is *pinned* to it (only that relay sends it again, with the same Message-ID), and a
message larger than a relay takes is left to the others: when no relay in rotation can take it, it is an
orphan, left for a later run.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from pressctl.model import OutgoingMessage
from pressctl.send.delivery import Delivery, DeliveryOptions
from pressctl.send.lanestate import LaneState

__all__ = ["Buffer", "Item", "backoff", "lane_takes"]

T = TypeVar("T")


@dataclass
class Item(Generic[T]):
    """One recipient's message in the run."""

    delivery: Delivery[T]
    message: OutgoingMessage
    attempts: int = 0  # in this run
    first_try: float | None = None
    pinned: int | None = None  # after an unknown outcome: only this lane may send it again


def backoff(attempt: int, options: DeliveryOptions, rng: random.Random) -> float:
    """Seconds before try ``attempt + 1``: doubling from ``options.backoff`` up to ``backoff_max``, with
    jitter, so retries from many workers do not line up."""
    base = min(options.backoff_max, options.backoff * 2.0 ** max(0, attempt - 1))
    return base * (0.5 + rng.random() / 2)


class Buffer(Generic[T]):
    """Fresh messages and retries, shared by every lane's workers under one condition."""

    def __init__(self, options: DeliveryOptions) -> None:
        self.opt = options
        self.cond = asyncio.Condition()
        self.fresh: deque[Item[T]] = deque()
        self.fresh_bytes = 0
        self.retries: deque[Item[T]] = deque()
        self.waiting = 0  # retry timers running
        self.in_hand = 0  # items workers hold now
        self.producer_done = False
        self.timers: set[asyncio.TimerHandle] = set()
        self.background: set[asyncio.Future[None]] = set()

    def has_room(self) -> bool:
        return not self.fresh or (len(self.fresh) < self.opt.buffer and self.fresh_bytes < self.opt.buffer_bytes)

    def add(self, item: Item[T]) -> None:
        """A fresh message from the producer (the caller holds :attr:`cond`)."""
        self.fresh.append(item)
        self.fresh_bytes += len(item.message.data)

    def queued(self) -> Iterator[Item[T]]:
        yield from self.retries
        yield from self.fresh

    def take(self, accepts: Callable[[Item[T]], bool]) -> Item[T] | None:
        """The first retry, else the first fresh message, that ``accepts`` (a lane's test)."""
        for queue in (self.retries, self.fresh):
            for i, item in enumerate(queue):
                if accepts(item):
                    del queue[i]
                    if queue is self.fresh:
                        self.fresh_bytes -= len(item.message.data)
                    return item
        return None

    def drop(self, orphan: Callable[[Item[T]], bool]) -> list[Item[T]]:
        """Take out every queued message no relay in rotation can take; returns them."""
        dropped = []
        for queue in (self.retries, self.fresh):
            for item in [i for i in queue if orphan(i)]:
                queue.remove(item)
                if queue is self.fresh:
                    self.fresh_bytes -= len(item.message.data)
                dropped.append(item)
        return dropped

    def clear(self) -> list[Item[T]]:
        """Everything still queued at the end of the run (taken out)."""
        left = [*self.retries, *self.fresh]
        self.retries.clear()
        self.fresh.clear()
        return left

    def push_back(self, item: Item[T]) -> None:
        """Nothing was handed over (or the relay left rotation): first in line again."""
        self.retries.appendleft(item)
        self.wake()

    def requeue_later(self, item: Item[T], delay: float, on_ready: Callable[[], None] | None = None) -> None:
        """Back in line after ``delay`` seconds (a retry's backoff, a relay's pause)."""
        self.waiting += 1

        def ready() -> None:
            self.timers.discard(handle)
            self.waiting -= 1
            if on_ready is not None:
                on_ready()
            self.retries.append(item)
            self.wake()

        handle = asyncio.get_running_loop().call_later(delay, ready)
        self.timers.add(handle)

    def cancel_timers(self) -> None:
        for handle in self.timers:
            handle.cancel()

    def finished(self) -> bool:
        """Nothing left anywhere: produced, sent or given up, no retry waiting, nothing in a worker's hand."""
        return self.producer_done and not self.fresh and not self.retries and self.waiting == 0 and self.in_hand == 0

    def wake(self) -> None:
        """Wake waiting workers from code that cannot await (timers)."""
        task = asyncio.ensure_future(self.notify())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def notify(self) -> None:
        async with self.cond:
            self.cond.notify_all()


def lane_takes(ls: LaneState, item: Item[T]) -> bool:
    """Whether lane ``ls`` may send ``item``: not pinned elsewhere, and not larger than the relay takes."""
    return (item.pinned is None or item.pinned == ls.index) and ls.fits(len(item.message.data))
