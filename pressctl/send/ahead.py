"""Finishing messages ahead of the sockets on worker threads: the DKIM signature (``[sender] dkim_key_file``).

Signing costs 0.2-1 ms of CPU a message (the RSA operation, SHA-256 of the body, relaxed canonicalisation),
which on the event loop's thread comes between hand-overs. OpenSSL and hashlib release the GIL while they
work, so on a small pool of threads the signatures use another core while the loop talks SMTP; a send of
many messages signs in a process of its own instead (:mod:`pressctl.send.signproc`), which the GIL does not
slow down.

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
from typing import Generic, Protocol, TypeVar

from pressctl.errors import PressctlError
from pressctl.model import OutgoingMessage

__all__ = ["THREADS", "Ahead", "Finisher", "Step", "ThreadFinisher"]

T = TypeVar("T")

THREADS = 2  # the machines this runs on have 2-8 cores; the loop's thread needs one of them
DEPTH = 8  # messages in work at once: enough to keep the threads busy while one is taken


Step = Callable[[OutgoingMessage], OutgoingMessage]


class Finisher(Protocol):
    """Where messages are finished: :class:`ThreadFinisher`, or the signing process."""

    depth: int  # how many messages it keeps in work at once

    async def open(self) -> None: ...

    def begin(self, message: OutgoingMessage) -> asyncio.Future[OutgoingMessage]:
        """Start finishing ``message`` now; the future gives it finished."""
        ...

    def close(self) -> None: ...


class ThreadFinisher:
    """``step`` (thread-safe, pure CPU) run on ``threads`` threads."""

    def __init__(self, step: Step, *, threads: int = THREADS, depth: int = DEPTH) -> None:
        self._step = step
        self.depth = depth
        self._pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="pressctl-sign")

    async def open(self) -> None:
        return None

    def begin(self, message: OutgoingMessage) -> asyncio.Future[OutgoingMessage]:
        return asyncio.get_running_loop().run_in_executor(self._pool, self._step, message)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class Ahead(Generic[T]):
    """Messages finished by ``finish`` (a :data:`Step` for :class:`ThreadFinisher`, or a :class:`Finisher`),
    at most its ``depth`` at a time, given back in the order they were started."""

    def __init__(self, finish: Step | Finisher) -> None:
        self._finisher: Finisher = ThreadFinisher(finish) if callable(finish) else finish
        self._depth = max(1, self._finisher.depth)
        self._work: collections.deque[tuple[T, asyncio.Future[OutgoingMessage]]] = collections.deque()

    async def open(self) -> None:
        """Ready to finish (a process's pipes connected to the running loop)."""
        await self._finisher.open()

    @property
    def full(self) -> bool:
        return len(self._work) >= self._depth

    def __bool__(self) -> bool:
        return bool(self._work)

    def start(self, item: T, message: OutgoingMessage) -> None:
        """Begin finishing ``message`` (``item``: what the caller wants back with it)."""
        self._work.append((item, self._finisher.begin(message)))

    async def take(self) -> tuple[T, OutgoingMessage | PressctlError]:
        """The oldest message in work, finished; or the PressctlError its step raised (that message only).
        Any other exception is a bug and propagates."""
        item, future = self._work.popleft()
        try:
            return item, await future
        except PressctlError as exc:
            return item, exc

    def close(self) -> None:
        """Drop what is still in work and end the threads or the process (a step takes a millisecond:
        waiting is short)."""
        for _, future in self._work:
            future.cancel()
        self._work.clear()
        self._finisher.close()
