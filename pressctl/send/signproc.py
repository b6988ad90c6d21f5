"""A send's DKIM signatures made in a child process (:mod:`pressctl.dkim.worker`), beside the event loop.

On a thread of the sending process a signature takes turns with the loop for Python's GIL; in a process of
its own it runs on another core. :class:`SigningProcess` is an :class:`~pressctl.send.ahead.Finisher`: for
each message it writes the header block and the body's personal pieces to the child (the pieces every
message of a language shares go once, then by number), and gives the message back with the
``DKIM-Signature`` the child made, in order. The ``t=`` is taken here, so the signature is the one a thread
would have made.

Nothing about the ledger changes: the producer puts a signed message in the buffer and a worker commits its
row ``sending`` before its bytes leave, as for any message. If the child cannot start or stops, the messages
it had and all after it are signed on a thread of this process instead: the send goes on, signed the same.
The key goes to the child through its standard input, never its arguments or environment (it gets only
the few variables Python needs: :func:`pressctl.children.spawn_worker`). The child runs at a low priority,
so the send's own thread comes first and the signatures take what the cores have left; :data:`DEPTH`
messages ahead, it has work whenever they do. A Ctrl-C is the send's to handle, as always; the child ends
when its input does.
"""

from __future__ import annotations

import asyncio
import collections
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from pressctl.children import Worker, spawn_worker
from pressctl.dkim.worker import encode_job, encode_key, encode_piece
from pressctl.model import OutgoingMessage
from pressctl.send.messages import MessageFactory
from pressctl.send.signing import signed_from, with_signature

if TYPE_CHECKING:
    from pressctl.dkim.sign import DkimSigner

__all__ = ["PROCESS_FROM", "SigningProcess"]

PROCESS_FROM = 100  # messages: below this a child's start (~0.1 s of CPU) costs more than it saves
DEPTH = 64  # messages in the child's work at once: it signs while the loop builds and sends
STALL = 10.0  # seconds without one signature back while some are owed: the child is stuck, stop it
_Job = tuple[bytes, tuple[tuple[bytes, bool], ...]]


class _Replies(asyncio.Protocol):
    def __init__(self, owner: SigningProcess) -> None:
        self._owner = owner
        self._buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        at = 0
        while len(buffer) - at >= 4:
            size = int.from_bytes(buffer[at : at + 4], "little")
            if len(buffer) - at - 4 < size:
                break
            self._owner._reply(bytes(buffer[at + 4 : at + 4 + size]))
            at += 4 + size
        del buffer[:at]

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._gone()


class _Requests(asyncio.Protocol):
    def __init__(self, owner: SigningProcess) -> None:
        self._owner = owner

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._gone()


class SigningProcess:
    """Signs ``factory``'s messages (built with ``sign=False``) in a child process. Use as a context manager
    around the run, so the child ends whatever happens before the producer starts."""

    depth = DEPTH

    def __init__(self, factory: MessageFactory) -> None:
        signer = factory.signer
        if signer is None:
            raise ValueError("a SigningProcess needs a workspace that signs")
        self._factory = factory
        self._signer: DkimSigner = signer
        self._pending: collections.deque[
            tuple[asyncio.Future[OutgoingMessage], OutgoingMessage, _Job, int]
        ] = collections.deque()
        self._numbers: dict[int, int] = {}  # id of a shared piece -> its number in the child
        self._kept: list[bytes] = []  # those pieces, held so their ids stay theirs
        self._out: asyncio.WriteTransport | None = None
        self._in: asyncio.ReadTransport | None = None
        self._frames: list[bytes] = []
        self._answered = 0  # signatures the child gave back
        self._watch: asyncio.TimerHandle | None = None  # the check for a stuck child, while work is owed
        self._answered_at_watch = 0
        self._pool: ThreadPoolExecutor | None = None
        self.fell_back = 0  # messages signed here instead (the child could not start, or stopped)
        self._proc: Worker | None = spawn_worker("pressctl.dkim.worker")

    def __enter__(self) -> SigningProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    async def open(self) -> None:
        proc = self._proc
        if proc is None:
            return
        loop = asyncio.get_running_loop()
        try:
            self._out, _ = await loop.connect_write_pipe(lambda: _Requests(self), proc.stdin)
            self._in, _ = await loop.connect_read_pipe(lambda: _Replies(self), proc.stdout)
        except OSError:
            self._gone()
            return
        from cryptography.hazmat.primitives import serialization

        der = self._signer.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self._write(encode_key(self._signer.domain, self._signer.selector, der))

    def begin(self, message: OutgoingMessage) -> asyncio.Future[OutgoingMessage]:
        job = self._factory.signing_job(message)
        t = int(self._signer.clock())
        out = self._out
        if job is None or out is None or out.is_closing():
            return self._here(message, job, t)
        head, pieces = job
        parts: list[int | bytes] = []
        for piece, shared in pieces:
            if not shared:
                parts.append(piece)
                continue
            number = self._numbers.get(id(piece))
            if number is None or self._kept[number] is not piece:
                number = len(self._kept)
                self._kept.append(piece)
                self._numbers[id(piece)] = number
                self._write(encode_piece(number, piece))
            parts.append(number)
        self._write(encode_job(t, head, parts))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[OutgoingMessage] = loop.create_future()
        self._pending.append((future, message, job, t))
        if self._watch is None:
            self._answered_at_watch = self._answered
            self._watch = loop.call_later(STALL, self._check)
        return future

    def _check(self) -> None:
        """No signature back for STALL seconds while some are owed: the child is stuck (stopped, swapped
        out, looping); end it and sign the rest here."""
        self._watch = None
        if not self._pending:
            return
        if self._answered == self._answered_at_watch:
            if self._proc is not None:
                self._proc.kill()
            self._gone()
            return
        self._answered_at_watch = self._answered
        self._watch = asyncio.get_running_loop().call_later(STALL, self._check)

    def _write(self, frame: bytes) -> None:
        # The frames of a loop pass go in one write (the producer builds several messages a pass).
        if not self._frames:
            asyncio.get_running_loop().call_soon(self._flush)
        self._frames.append(frame)

    def _flush(self) -> None:
        frames, self._frames = self._frames, []
        if self._out is not None and not self._out.is_closing():
            self._out.write(b"".join(frames))

    def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        for future, *_ in self._pending:
            future.cancel()
        self._pending.clear()
        for transport in (self._out, self._in):
            if transport is not None:
                transport.abort() if isinstance(transport, asyncio.WriteTransport) else transport.close()
        self._out = self._in = None
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.end()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    # -- the child's replies, and signing here when it cannot --------------------------------------------
    def _reply(self, header: bytes) -> None:
        self._answered += 1
        if not self._pending:
            return
        future, message, job, t = self._pending.popleft()
        if future.done():
            return
        if header.startswith(b"DKIM-Signature:") and header.endswith(b"\r\n"):
            future.set_result(with_signature(message, header))
        else:  # the child could not sign this body piece by piece (or answered nonsense): sign it here
            _chain(self._here(message, job if header else None, t), future)

    def _gone(self) -> None:
        out, self._out = self._out, None
        if out is not None and not out.is_closing():
            out.abort()
        pending, self._pending = self._pending, collections.deque()
        for future, message, job, t in pending:
            if not future.done():
                _chain(self._here(message, job, t), future)

    def _here(self, message: OutgoingMessage, job: _Job | None, t: int) -> asyncio.Future[OutgoingMessage]:
        self.fell_back += 1
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pressctl-sign")
        return asyncio.get_running_loop().run_in_executor(self._pool, self._sign_here, message, job, t)

    def _sign_here(self, message: OutgoingMessage, job: _Job | None, t: int) -> OutgoingMessage:
        return signed_from(self._signer, message, job, t=t)


def _chain(source: asyncio.Future[Any], target: asyncio.Future[Any]) -> None:
    def copy(done: asyncio.Future[Any]) -> None:
        if target.done():
            return
        if done.cancelled():
            target.cancel()
        elif (exc := done.exception()) is not None:
            target.set_exception(exc)
        else:
            target.set_result(done.result())

    source.add_done_callback(copy)
