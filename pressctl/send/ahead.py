"""Finishing messages ahead of the sockets on worker threads: the DKIM signature (``[sender] dkim_key_file``).

Signing costs 0.2-1 ms of CPU a message (the RSA operation, SHA-256 of the body, relaxed canonicalisation),
which on the event loop's thread comes between hand-overs. OpenSSL and hashlib release the GIL while they
work, so on a small pool of threads the signatures use another core while the loop talks SMTP.

:class:`Ahead` keeps a few messages in work, in the order they were started, and gives each back finished
(or the :class:`~pressctl.errors.PressctlError` that one message's finishing raised: that contact alone
fails). It decides nothing about the ledger: the engine's producer puts a finished message in the buffer,
and a worker commits its row ``sending`` before its bytes leave, as for any message; the Message-ID was
made by the builder, on the loop's thread, so a repeat carries the same one.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

from pressctl.errors import PressctlError
from pressctl.model import OutgoingMessage

__all__ = ["THREADS", "Ahead"]

T = TypeVar("T")

THREADS = 2  # the machines this runs on have 2-8 cores; the loop's thread needs one of them
DEPTH = 8  # messages in work at once: enough to keep the threads busy while one is taken


class Ahead(Generic[T]):
    """``step`` (thread-safe, pure CPU) run for messages on ``threads`` threads, at most ``depth`` at a time."""

    def __init__(
        self, step: Callable[[OutgoingMessage], OutgoingMessage], *, threads: int = THREADS, depth: int = DEPTH
    ) -> None:
        self._step = step
        self._depth = max(1, depth)
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="pressctl-sign")
        self._work: collections.deque[tuple[T, asyncio.Future[OutgoingMessage]]] = collections.deque()

    @property
    def full(self) -> bool:
        return len(self._work) >= self._depth

    def __bool__(self) -> bool:
        return bool(self._work)

    def start(self, item: T, message: OutgoingMessage) -> None:
        """Begin finishing ``message`` (``item``: what the caller wants back with it)."""
        future = asyncio.get_running_loop().run_in_executor(self._pool, self._step, message)
        self._work.append((item, future))

    async def take(self) -> tuple[T, OutgoingMessage | PressctlError]:
        """The oldest message in work, finished; or the PressctlError its step raised (that message only).
        Any other exception is a bug and propagates."""
        item, future = self._work.popleft()
        try:
            return item, await future
        except PressctlError as exc:
            return item, exc

    def close(self) -> None:
        """Drop what is still in work and end the threads (a step takes a millisecond: waiting is short)."""
        for _, future in self._work:
            future.cancel()
        self._work.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)
