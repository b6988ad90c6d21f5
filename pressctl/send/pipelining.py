"""SMTP PIPELINING (RFC 2920) for the hand-over: MAIL FROM, RCPT TO and DATA in one write, their three
replies read in order, the message only after a 354: two round trips per message instead of four.

aiosmtplib 5.1's ``SMTPProtocol`` keeps one reply waiter: it drops bytes that arrive while no reply is
pending or while the last parsed reply has not been taken, and parses one reply per segment, so the second
and third replies of a pipelined batch would be lost. :class:`PipeliningProtocol` replaces it (for every
command, pipelined or not): it counts the replies owed (one per command written; aiosmtplib marks each
write by setting ``_response_pending``), parses *every* complete reply in the buffer into a queue and lets
``read_response`` take them in order. What aiosmtplib guards stays guarded: bytes beyond the replies owed
are dropped (an unsolicited reply is never paired with a later command), a reply over 32 KiB or a malformed
line is an error, a lost connection, an EOF or a timeout is raised to the read that waits (after the
replies that did arrive), and a lost connection after QUIT reads as 221.

:func:`install` puts the class where ``aiosmtplib.SMTP`` looks it up (``aiosmtplib.smtp.SMTPProtocol``),
after checking that the internals it relies on are there; if a future aiosmtplib differs it changes nothing
(and the transport keeps the four-round-trip path). ``tests/test_send_pipelining.py`` checks the swap with
the pinned version. Only :mod:`pressctl.send.smtp` imports this module (lazily: aiosmtplib is not imported
at start-up).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence

import aiosmtplib
from aiosmtplib import protocol as _aioprotocol
from aiosmtplib import smtp as _aiosmtp
from aiosmtplib.errors import (
    SMTPDataError,
    SMTPReadTimeoutError,
    SMTPResponseException,
    SMTPServerDisconnected,
)
from aiosmtplib.response import SMTPResponse
from aiosmtplib.typing import SMTPStatus

from pressctl.relays.replies import Reply, Stage
from pressctl.send.transport import error_text

__all__ = ["PipeliningProtocol", "envelope", "install", "installed"]

_ENVELOPE: tuple[Stage, Stage, Stage] = ("mail", "rcpt", "data")
_ACCEPTED = ((250,), (250, 251), (354,))  # MAIL, RCPT (251: will forward, as aiosmtplib's rcpt() takes), DATA
_EMPTY_TAKEN = "(the relay then took an empty message, addressed to nobody: nothing was delivered)"


async def envelope(
    client: aiosmtplib.SMTP, protocol: PipeliningProtocol, sender: str, recipient: str,
    options: Sequence[str], encoding: str,
) -> Reply | None:
    """MAIL FROM + RCPT TO + DATA in one write and their three replies in order. None when the relay said
    354: the message may go now (:meth:`PipeliningProtocol.execute_body`, read by ``send/smtp.py`` as the
    four-round-trip path reads its data). Else what to report, exactly as that path reports it: the first
    refusal with its stage (the message never sent; RSET as there), a lost connection before the 354 as
    "before the message was sent". Each reply is read with the client's timeout, as every command's is.
    """
    timeout = client.timeout
    mail = b"MAIL FROM:<" + sender.encode(encoding) + b">" + b"".join(b" " + o.encode("ascii") for o in options)
    rcpt = b"RCPT TO:<" + recipient.encode(encoding) + b">"
    try:
        replies, error = await protocol.execute_pipelined((mail, rcpt, b"DATA"), timeout=timeout)
    except ValueError as exc:  # a control character in an address (the plain-path check leaves none)
        return Reply(None, f"address refused before sending ({exc})", "mail", here=True)
    except (aiosmtplib.SMTPException, OSError) as exc:  # the batch could not be written
        return _lost(client, "mail", exc)
    refusal = next(
        ((stage, reply) for stage, reply, ok in zip(_ENVELOPE[:2], replies, _ACCEPTED, strict=False)
         if reply.code not in ok), None
    )
    if any(reply.code == SMTPStatus.domain_unavailable for reply in replies):
        client.close()  # 421: the relay is closing the connection (aiosmtplib closes it after a 421 alike)
    if refusal is not None:
        stage, reply = refusal
        text = reply.message
        if error is None and replies[2].code == SMTPStatus.start_input and client.is_connected:
            # Some relays answer DATA with 354 even though every recipient was refused: end the (empty)
            # data with a lone "." so the connection stays in step; the refusal stands.
            try:
                await protocol.execute_empty_body(timeout=timeout)
                text = f"{text} {_EMPTY_TAKEN}"
            except aiosmtplib.SMTPResponseException:
                pass  # the empty message refused, as it should be
            except (aiosmtplib.SMTPException, OSError):
                client.close()
        if error is not None:
            client.close()  # out of step: the replies after the error will not be read
        elif client.is_connected:
            try:
                await client.rset()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
        return Reply(reply.code, text, stage, closed=not client.is_connected, sender=sender)
    if error is not None:
        stage = _ENVELOPE[len(replies)]
        if isinstance(error, aiosmtplib.SMTPResponseException):  # a malformed or too long reply
            client.close()
            return Reply(error.code, error.message, stage, closed=True)
        # Lost before the 354 (even while waiting for DATA's reply): the message itself was never written.
        return _lost(client, "rcpt" if stage == "data" else stage, error)
    start = replies[2]
    if start.code != SMTPStatus.start_input:  # DATA refused, as aiosmtplib's data() reports it
        return Reply(start.code, start.message, "data", closed=not client.is_connected)
    return None


def _lost(client: aiosmtplib.SMTP, stage: Stage, exc: BaseException) -> Reply:
    client.close()
    why = error_text(exc)
    return Reply(None, f"connection lost before the message was sent ({why})", stage, error=why, closed=True)


class PipeliningProtocol(_aioprotocol.SMTPProtocol):
    """aiosmtplib's protocol with a reply queue: every complete reply is kept, in order, until read."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop | None = None,
        connection_lost_callback: Callable[[_aioprotocol.SMTPProtocol], None] | None = None,
    ) -> None:
        self._owed = 0  # replies owed for the commands written and not yet parsed
        self._replies: deque[SMTPResponse | BaseException] = deque()
        self._arrived: asyncio.Future[None] | None = None  # the read waiting for a reply
        self._gone = False  # EOF or connection lost: no reply will come any more
        super().__init__(loop=loop, connection_lost_callback=connection_lost_callback)

    # aiosmtplib sets ``_response_pending = True`` right before it writes a command (and when the connection
    # is made, for the greeting): each time, one reply more is owed. Only __init__ sets it False here (its
    # read_response, which also set it, is replaced below).
    @property  # type: ignore[override]
    def _response_pending(self) -> bool:
        return self._owed > 0

    @_response_pending.setter
    def _response_pending(self, value: bool) -> None:
        self._owed = self._owed + 1 if value else 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._response_waiter = None  # aiosmtplib's single waiter: replaced by the queue

    def data_received(self, data: bytes) -> None:
        if self._owed <= 0:
            return  # nothing owed: unsolicited bytes are dropped, as aiosmtplib does
        self._buffer.extend(data)
        while self._owed > 0 and b"\n" in self._buffer:
            before = len(self._buffer)
            try:
                reply = self._read_response_from_buffer()  # aiosmtplib's: line too long, malformed line
            except Exception as exc:  # the read waiting gets the error; the stream is out of step from here,
                del self._buffer[:]  # so what follows is not paired with the other commands written
                self._answer(exc)
                self._owed = 0
                return
            if reply is None:
                break
            if before - len(self._buffer) > _aioprotocol.MAX_RESPONSE_LENGTH:
                self._answer(SMTPResponseException(SMTPStatus.invalid_response.value, "Response too long"))
            else:
                self._answer(reply)
        if self._owed <= 0:
            del self._buffer[:]  # bytes beyond the replies owed: unsolicited, dropped
        elif len(self._buffer) > _aioprotocol.MAX_RESPONSE_LENGTH:
            del self._buffer[:]
            self._answer(SMTPResponseException(SMTPStatus.invalid_response.value, "Response too long"))

    def _answer(self, item: SMTPResponse | BaseException) -> None:
        """One owed reply has come (or what stands for it: an error)."""
        self._owed = max(self._owed - 1, 0)
        self._replies.append(item)
        self._wake()

    def _wake(self) -> None:
        if self._arrived is not None and not self._arrived.done():
            self._arrived.set_result(None)

    def eof_received(self) -> bool:
        if self._owed > 0:
            self._answer(SMTPServerDisconnected("Unexpected EOF received"))
        self._owed = 0
        self._gone = True
        self._wake()
        return False  # closes the transport

    def connection_lost(self, exc: Exception | None) -> None:
        if self._owed > 0:
            if self._quit_sent:
                self._answer(SMTPResponse(SMTPStatus.closing.value, ""))
            else:
                lost = SMTPServerDisconnected("Connection lost")
                if exc:
                    lost.__cause__ = exc
                self._answer(lost)
        self._owed = 0
        self._gone = True
        self._wake()
        super().connection_lost(exc)

    async def read_response(self, timeout: float | None = None) -> SMTPResponse:
        """The next reply in order (aiosmtplib calls it once per command written); waits up to ``timeout``
        seconds for it to arrive."""
        while not self._replies:
            if self._gone or self.transport is None:
                raise SMTPServerDisconnected("Connection lost")
            arrived = self._arrived = self._loop.create_future()
            # One timer on our own future, not asyncio.wait_for (a second future, a callback and a timer
            # for each of the two or four replies of every message: ~5 % of a fast send's CPU, profiled).
            timer = None if timeout is None else self._loop.call_later(timeout, _time_out, arrived)
            try:
                await arrived
            except TimeoutError as exc:
                # Out of step with the server from here: a late reply must not answer the next command.
                self._owed = 0
                del self._buffer[:]
                raise SMTPReadTimeoutError("Timed out waiting for server response") from exc
            finally:
                self._arrived = None
                if timer is not None:
                    timer.cancel()
        item = self._replies.popleft()
        if isinstance(item, BaseException):
            raise item
        return item

    async def execute_pipelined(
        self, commands: Sequence[bytes], timeout: float | None = None
    ) -> tuple[list[SMTPResponse], BaseException | None]:
        """Write ``commands`` (each without its CRLF) in one write and read one reply per command, in
        order. Returns the replies read and, if a read failed (timeout, connection lost, a malformed or
        too-long reply), that error: the replies after it are not read."""
        for command in commands:
            if _aioprotocol.COMMAND_INJECTION_REGEX.search(command):
                raise ValueError("Command arg contains a prohibited control character")
        if self._command_lock is None:
            raise SMTPServerDisconnected("Server not connected")
        replies: list[SMTPResponse] = []
        async with self._command_lock:
            self._owed += len(commands)
            self.write(b"".join(command + b"\r\n" for command in commands))
            for _ in commands:
                try:
                    replies.append(await self.read_response(timeout=timeout))
                except (aiosmtplib.SMTPException, OSError) as exc:
                    return replies, exc
        return replies, None

    async def execute_body(self, message: bytes, timeout: float | None = None) -> SMTPResponse:
        """After a 354: the message as aiosmtplib's ``execute_data_command`` sends it after its own DATA
        (line ends, dots doubled, the final ``.``; through the same module names, so pressctl's fast DATA
        path applies alike), and the final reply (:class:`SMTPDataError` unless 250)."""
        if self._command_lock is None:
            raise SMTPServerDisconnected("Server not connected")
        message = _aioprotocol.normalize_message_line_endings(message)
        message = _aioprotocol.PERIOD_REGEX.sub(b"..", message)
        return await self._end_data(message + b".\r\n", timeout)

    async def execute_empty_body(self, timeout: float | None = None) -> SMTPResponse:
        """After a 354 that should not have come (every recipient refused): a lone ``.``, and its reply."""
        if self._command_lock is None:
            raise SMTPServerDisconnected("Server not connected")
        return await self._end_data(b".\r\n", timeout)

    async def _end_data(self, wire: bytes, timeout: float | None) -> SMTPResponse:
        assert self._command_lock is not None
        async with self._command_lock:
            self._owed += 1
            self.write(wire)
            response = await self.read_response(timeout=timeout)
        if response.code != SMTPStatus.completed:
            raise SMTPDataError(response.code, response.message)
        return response


def _fits() -> bool:
    """Whether the installed aiosmtplib has the internals :class:`PipeliningProtocol` relies on."""
    base = _aioprotocol.SMTPProtocol
    needed = ("_read_response_from_buffer", "read_response", "execute_command", "execute_data_command", "start_tls")
    if not all(hasattr(base, name) for name in needed):
        return False
    marks = ("execute_command", "execute_data_command", "start_tls", "connection_made")
    if not all("_response_pending" in getattr(base, name).__code__.co_names for name in marks):
        return False  # the writes are no longer marked the way the reply count reads them
    if "read_response" not in base.execute_data_command.__code__.co_names:
        return False
    if not all(hasattr(_aioprotocol, n) for n in ("MAX_RESPONSE_LENGTH", "COMMAND_INJECTION_REGEX", "PERIOD_REGEX")):
        return False
    return "SMTPProtocol" in _aiosmtp.SMTP._create_connection.__code__.co_names


def install() -> bool:
    """Make ``aiosmtplib.SMTP`` connect with :class:`PipeliningProtocol`. False (nothing changed) when the
    installed aiosmtplib is not the one it was written for."""
    current = getattr(_aiosmtp, "SMTPProtocol", None)
    if current is PipeliningProtocol:
        return True
    if current is not _aioprotocol.SMTPProtocol or not _fits():
        return False
    setattr(_aiosmtp, "SMTPProtocol", PipeliningProtocol)  # noqa: B010 (the name is not exported)
    return True


def installed(client: object) -> PipeliningProtocol | None:
    """The connected client's protocol when it is ours (so a batch may be written), else None."""
    protocol = getattr(client, "protocol", None)
    return protocol if isinstance(protocol, PipeliningProtocol) else None


def _time_out(arrived: asyncio.Future[None]) -> None:
    if not arrived.done():
        arrived.set_exception(TimeoutError())
