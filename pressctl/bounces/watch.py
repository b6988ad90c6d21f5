"""``pressctl bounces --watch`` over one mailbox or several: each mailbox waits for mail in a thread of its
own (IMAP IDLE, or polling a Maildir or an mbox), and the caller handles every message in one thread, one at
a time (the ledger is one SQLite connection).

A mailbox thread hands each message over and waits for the answer: whether to move it (``--move-to``),
which it then does itself, on its own connection (imaplib is not thread-safe). A mailbox that cannot be
opened the first time stops the watch (:class:`WatchError`: bad settings are for a person to fix); one that
drops its connection later is reopened after ``interval`` seconds, with a warning, while the others go on.
Every wait looks at ``stop()`` at least once a second, so SIGTERM ends the watch promptly.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pressctl.bounces.mailbox import Message, Reader, Unreadable, poll
from pressctl.errors import PressctlError, TransportError

__all__ = ["Source", "WatchError", "polling", "wait", "watch_sources"]


@dataclass(frozen=True)
class Source:
    """One mailbox to watch. ``open()`` connects and returns the reader (raising on failure);
    ``messages(reader, stop)`` yields what is there, then what arrives; ``close(reader)`` lets go of it."""

    label: str
    open: Callable[[], Reader]
    messages: Callable[[Reader, Callable[[], bool]], Iterator[Message]]
    close: Callable[[Reader], None] = lambda _reader: None
    move_to: str = ""


class WatchError(Exception):
    """A mailbox could not be opened when the watch started: ``error`` says why (a PressctlError)."""

    def __init__(self, source: Source, error: BaseException) -> None:
        super().__init__(str(error))
        self.source = source
        self.error = error


def polling(interval: float) -> Callable[[Reader, Callable[[], bool]], Iterator[Message]]:
    """``Source.messages`` for a Maildir or an mbox: :func:`pressctl.bounces.mailbox.poll`, its sleep cut
    into one-second waits so it notices ``stop()``."""

    def messages(reader: Reader, stop: Callable[[], bool]) -> Iterator[Message]:
        return poll(reader, interval=interval, stop=stop, sleep=lambda seconds: wait(seconds, stop))

    return messages


def wait(seconds: float, stop: Callable[[], bool]) -> None:
    """Sleep ``seconds``, in waits of at most a second, returning early once ``stop()`` is true."""
    deadline = time.monotonic() + seconds
    while not stop() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 1.0))


@dataclass(frozen=True)
class _Event:
    """From a mailbox thread: a message to handle (with where to answer), a warning, or a fatal error."""

    kind: str  # message | warning | fatal
    source: Source
    sid: str = ""
    raw: bytes | Unreadable = b""
    reply: queue.Queue[bool] | None = None
    text: str = ""
    error: BaseException | None = None


def watch_sources(
    sources: list[Source],
    handle: Callable[[Source, str, bytes | Unreadable], bool],
    *,
    stop: Callable[[], bool],
    interval: float,
    warn: Callable[[str], None],
) -> None:
    """Watch every source until ``stop()``; ``handle(source, sid, message)`` returns whether to move it to
    ``source.move_to``. Raises :class:`WatchError` when a mailbox cannot be opened the first time."""
    events: queue.Queue[_Event] = queue.Queue()
    halt = threading.Event()

    def stopped() -> bool:
        return halt.is_set() or stop()

    threads = [
        threading.Thread(target=_run, args=(s, events, stopped, interval), name=f"bounces {s.label}", daemon=True)
        for s in sources
    ]
    for t in threads:
        t.start()
    try:
        while not stop():
            try:
                event = events.get(timeout=0.5)
            except queue.Empty:
                if not any(t.is_alive() for t in threads):
                    return
                continue
            if event.kind == "fatal":
                raise WatchError(event.source, event.error or RuntimeError("a mailbox thread failed"))
            if event.kind == "warning":
                warn(f"{event.source.label}: {event.text}")
                continue
            move = False
            try:
                move = handle(event.source, event.sid, event.raw)
            finally:
                if event.reply is not None:
                    event.reply.put(move)
    finally:
        halt.set()
        for t in threads:
            t.join(timeout=10)


def _run(source: Source, events: queue.Queue[_Event], stop: Callable[[], bool], interval: float) -> None:
    """One mailbox's thread: open, hand over each message and do the move it is told, reopen after a drop."""
    connected = False
    while not stop():
        reader: Reader | None = None
        try:
            reader = source.open()
            connected = True
            for sid, message in source.messages(reader, stop):
                reply: queue.Queue[bool] = queue.Queue()
                events.put(_Event("message", source, sid=sid, raw=message, reply=reply))
                move = _answer(reply, stop)
                if move and source.move_to:
                    reader.move(sid, source.move_to)
                if stop():
                    break
        except (TransportError, PressctlError, OSError) as exc:
            if not connected:
                events.put(_Event("fatal", source, error=exc))
                return
            events.put(_Event("warning", source, text=f"{_what(exc)}; trying again in {interval:g} s"))
            wait(interval, stop)
        except BaseException as exc:  # a bug: stop the watch with it rather than die silently in a thread
            events.put(_Event("fatal", source, error=exc))
            return
        finally:
            if reader is not None:
                with contextlib.suppress(Exception):
                    source.close(reader)


def _answer(reply: queue.Queue[bool], stop: Callable[[], bool]) -> bool:
    """The main thread's answer for one message; it always comes (``handle`` runs in a ``finally``) unless
    the watch stops first."""
    while True:
        try:
            return reply.get(timeout=0.5)
        except queue.Empty:
            if stop():
                return False


def _what(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, PressctlError) else (getattr(exc, "strerror", None) or type(exc).__name__)
