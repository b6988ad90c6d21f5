"""SMTP PIPELINING (RFC 2920) in the hand-over: MAIL, RCPT and DATA in one write, the message after a 354.

A scripted server on 127.0.0.1 (a provider's exact replies, scripted) offers PIPELINING or not, answers
each segment's commands together, apart, or with each reply split across segments, and can refuse, close,
or fall silent at any reply. Every script is run on both paths (pipelined and the four round trips) where
both can meet it, and what the transport reports must be the same: the code, the stage of the first
refusal, whether the connection is closed; the message arrives only when it should, and the connection
takes the next message when it should.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import aiosmtplib
import pytest
from smtp_server import make_message

from pressctl.config.smtp import parse_smtp_url
from pressctl.relays.replies import Reply
from pressctl.send import pipelining
from pressctl.send.smtp import SmtpTransport

OK = {"MAIL": "250 2.1.0 Ok", "RCPT": "250 2.1.5 Ok", "DATA": "354 End data with <CR><LF>.<CR><LF>",
      "END": "250 2.0.0 Ok: queued as 4ABC"}


@dataclass
class Script:
    """What the server does in the first transaction (later ones are all accepted). An action is a reply
    (lines joined by "\\n"), ``close`` (close without a reply), ``REPLY|close`` (reply, then close) or
    ``silent`` (no reply to this or anything after)."""

    replies: dict[str, str] = field(default_factory=dict)
    mode: str = "joined"  # the replies to one segment's commands: "joined" (one write), "apart", "split"


@dataclass
class Seen:
    segments: list[list[str]] = field(default_factory=list)  # the commands of each segment, in order
    bodies: list[bytes] = field(default_factory=list)
    rsets: int = 0


class _Scripted(asyncio.Protocol):
    def __init__(self, script: Script, seen: Seen, offer: bool) -> None:
        self.script, self.seen, self.offer = script, seen, offer
        self.buffer = b""
        self.in_body = False
        self.transactions = 0
        self.silent = False
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(b"220 mx.hvsp.example ESMTP scripted\r\n")

    def _action(self, verb: str) -> str:
        if verb == "MAIL":
            self.transactions += 1
        if self.transactions == 1 and verb in self.script.replies:
            return self.script.replies[verb]
        return OK[verb]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        actions: list[str] = []
        commands: list[str] = []
        while not self.silent:
            if self.in_body:
                if self.buffer.startswith(b".\r\n"):
                    body, self.buffer = b"", self.buffer[3:]
                elif b"\r\n.\r\n" in self.buffer:
                    body, _, self.buffer = self.buffer.partition(b"\r\n.\r\n")
                    body += b"\r\n"
                else:
                    break
                self.in_body = False
                self.seen.bodies.append(body)
                actions.append(self._action("END"))
                continue
            line, sep, rest = self.buffer.partition(b"\r\n")
            if not sep:
                break
            self.buffer = rest
            verb = line[:4].decode().upper()
            commands.append(verb)
            if verb == "EHLO":
                actions.append("250-mx.hvsp.example\n" + ("250-PIPELINING\n" if self.offer else "") + "250 8BITMIME")
            elif verb in ("MAIL", "RCPT", "DATA"):
                action = self._action(verb)
                actions.append(action)
                self.in_body = verb == "DATA" and action.startswith("354")
            elif verb == "RSET":
                self.seen.rsets += 1
                actions.append("250 2.0.0 Ok")
            elif verb == "QUIT":
                actions.append("221 2.0.0 Bye|close")
            else:
                actions.append("502 5.5.2 Error: command not recognized")
            if actions[-1] == "silent":
                self.silent = True
        if commands:
            self.seen.segments.append(commands)
        self._emit(actions)

    def _emit(self, actions: list[str]) -> None:
        loop = asyncio.get_running_loop()
        pieces: list[bytes | None] = []  # None: close here
        for action in actions:
            if action == "silent":
                break
            reply, _, then = action.partition("|")
            if reply == "close":
                pieces.append(None)
                break
            lines = reply.split("\n")
            pieces.append(b"".join(f"{c[:3]}{'-' if i < len(lines) - 1 else ' '}{c[4:]}\r\n".encode()
                                   for i, c in enumerate(lines)))
            if then == "close":
                pieces.append(None)
                break
        if self.script.mode == "joined":
            joined = b"".join(p for p in pieces if p is not None)
            if joined:
                self.transport.write(joined)
            if None in pieces:
                self.transport.close()
            return
        if self.script.mode == "split":  # each reply in two segments, cut in its middle
            pieces = [half for p in pieces for half in ((p[: len(p) // 2], p[len(p) // 2:]) if p else (p,))]
        for n, piece in enumerate(pieces):  # a segment each, a moment apart
            loop.call_later(0.02 * n, self._write, piece)

    def _write(self, piece: bytes | None) -> None:
        if self.transport.is_closing():
            return
        if piece is None:
            self.transport.close()
        else:
            self.transport.write(piece)


@dataclass
class Outcome:
    reply: Reply
    seen: Seen
    next_reply: Reply | None  # the next message on the same connection, when it stayed open
    pipelined: bool


async def _run(script: Script, *, offer: bool, timeout: float = 2.0) -> Outcome:
    seen = Seen()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Scripted(script, seen, offer), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        transport = SmtpTransport(
            parse_smtp_url(f"smtp://127.0.0.1:{port}?tls=none&timeout={timeout}"), sender="press@hvsp.example"
        )
        connection = await transport.open()
        pipelined = pipelining.installed(connection._client) is not None and offer  # type: ignore[attr-defined]
        reply = await connection.send(transport.prepare(make_message("editor@news.example")))
        next_reply = None
        if connection.usable and not reply.closed:
            next_reply = await connection.send(transport.prepare(make_message("desk@news.example")))
        await connection.close()
    finally:
        server.close()
    return Outcome(reply, seen, next_reply, pipelined)


def _both(script: Script, *, timeout: float = 2.0) -> tuple[Outcome, Outcome]:
    async def go() -> tuple[Outcome, Outcome]:
        return await _run(script, offer=True, timeout=timeout), await _run(script, offer=False, timeout=timeout)

    return asyncio.run(go())


def _same(a: Reply, b: Reply) -> None:
    assert (a.code, a.stage, a.closed) == (b.code, b.stage, b.closed), (a, b)


@pytest.mark.parametrize("mode", ["joined", "apart", "split"])
def test_accepted_on_both_paths_in_two_round_trips_when_offered(mode: str) -> None:
    piped, plain = _both(Script(mode=mode))
    assert piped.pipelined and not plain.pipelined
    for outcome in (piped, plain):
        assert outcome.reply == Reply(250, "2.0.0 Ok: queued as 4ABC", "data")
        assert outcome.next_reply == outcome.reply  # the connection takes the next message
        assert len(outcome.seen.bodies) == 2 and b"Message-ID: <t1.editor.news.example@hvsp.example>" in (
            outcome.seen.bodies[0]
        )
    # MAIL, RCPT and DATA in one segment (one write), the message in the next: two round trips.
    assert ["MAIL", "RCPT", "DATA"] in piped.seen.segments
    assert ["MAIL"] in plain.seen.segments and ["RCPT"] in plain.seen.segments


REFUSALS = [
    # (name, replies, code, stage, text)
    ("mail-550", {"MAIL": "550 5.7.1 Sender refused", "RCPT": "503 5.5.1 Error: need MAIL command",
                  "DATA": "503 5.5.1 Error: need RCPT command"}, 550, "mail", "5.7.1 Sender refused"),
    ("mail-451", {"MAIL": "451 4.3.0 Try again later", "RCPT": "503 5.5.1 Error: need MAIL command",
                  "DATA": "503 5.5.1 Error: need RCPT command"}, 451, "mail", "4.3.0 Try again later"),
    ("rcpt-550", {"RCPT": "550 5.1.1 <editor@news.example>: Recipient address rejected: User unknown",
                  "DATA": "554 5.5.1 Error: no valid recipients"},
     550, "rcpt", "5.1.1 <editor@news.example>: Recipient address rejected: User unknown"),
    ("rcpt-452", {"RCPT": "452 4.5.3 Error: too many recipients", "DATA": "554 5.5.1 Error: no valid recipients"},
     452, "rcpt", "4.5.3 Error: too many recipients"),
    ("rcpt-multiline", {"RCPT": "550-5.1.1 The mailbox you tried to reach\n550 5.1.1 does not exist here",
                        "DATA": "503-5.5.1 No valid recipients\n503 5.5.1 given"},
     550, "rcpt", "5.1.1 The mailbox you tried to reach\n5.1.1 does not exist here"),
    ("data-554", {"DATA": "554 5.7.1 Message refused by policy"}, 554, "data", "5.7.1 Message refused by policy"),
    ("data-451", {"DATA": "451 4.3.0 Local problem"}, 451, "data", "4.3.0 Local problem"),
    ("end-552", {"END": "552-5.3.4 Message too big\n552 5.3.4 for this system"}, 552, "data",
     "5.3.4 Message too big\n5.3.4 for this system"),
]


@pytest.mark.parametrize("mode", ["joined", "split"])
@pytest.mark.parametrize(("name", "replies", "code", "stage", "text"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_refusal_is_reported_alike_with_its_stage_and_the_connection_goes_on(
    mode: str, name: str, replies: dict[str, str], code: int, stage: str, text: str
) -> None:
    piped, plain = _both(Script(replies, mode))
    assert piped.pipelined
    _same(piped.reply, plain.reply)
    assert (piped.reply.code, piped.reply.stage, piped.reply.text, piped.reply.closed) == (code, stage, text, False)
    for outcome in (piped, plain):
        assert outcome.next_reply is not None and outcome.next_reply.code == 250  # usable afterwards
        delivered = 2 if name.startswith("end-") else 1  # a refusal after the data: the message arrived
        assert len(outcome.seen.bodies) == delivered
        if stage in ("mail", "rcpt"):
            assert outcome.seen.rsets == 1  # as before: RSET after a refused envelope


@pytest.mark.parametrize("final", ["554 5.5.1 Error: no valid recipients", "250 2.0.0 Ok: queued as EMPTY"])
def test_a_354_after_a_refused_recipient_gets_a_lone_dot_and_the_refusal_stands(final: str) -> None:
    script = Script({"RCPT": "550 5.1.1 User unknown", "DATA": "354 go ahead", "END": final})
    piped, plain = _both(script)
    _same(piped.reply, plain.reply)
    assert (piped.reply.code, piped.reply.stage, piped.reply.closed) == (550, "rcpt", False)
    assert piped.seen.bodies[0] == b""  # only the lone ".": the message itself never went
    assert b"Message-ID: <t1.editor" not in b"".join(piped.seen.bodies)
    if final.startswith("250"):
        assert piped.reply.text.startswith("5.1.1 User unknown") and "nothing was delivered" in piped.reply.text
    else:
        assert piped.reply.text == "5.1.1 User unknown"
    assert piped.next_reply is not None and piped.next_reply.code == 250


@pytest.mark.parametrize("mode", ["joined", "apart"])
@pytest.mark.parametrize("stage", ["MAIL", "RCPT"])
def test_a_421_closes_and_nothing_was_handed_over(mode: str, stage: str) -> None:
    piped, plain = _both(Script({stage: "421 4.3.2 Service shutting down|close"}, mode))
    _same(piped.reply, plain.reply)
    assert (piped.reply.code, piped.reply.stage, piped.reply.closed) == (421, stage.lower(), True)
    assert piped.seen.bodies == [] == plain.seen.bodies


@pytest.mark.parametrize("mode", ["joined", "apart", "split"])
@pytest.mark.parametrize("stage", ["MAIL", "RCPT"])
def test_a_connection_lost_mid_batch_is_lost_before_the_message(mode: str, stage: str) -> None:
    piped, plain = _both(Script({stage: "close"}, mode))
    _same(piped.reply, plain.reply)
    assert (piped.reply.code, piped.reply.stage, piped.reply.closed) == (None, stage.lower(), True)
    assert piped.reply.text.startswith("connection lost before the message was sent (")
    assert piped.seen.bodies == []


@pytest.mark.parametrize("action", ["close", "421 4.3.2 Service shutting down|close"])
def test_lost_or_421_at_data_before_the_354_means_nothing_was_handed_over(action: str) -> None:
    outcome = asyncio.run(_run(Script({"DATA": action}), offer=True))
    assert outcome.seen.bodies == [] and outcome.reply.closed
    if action == "close":
        # Pipelined, the message is only ever written after a 354: without one the relay cannot have it
        # (the four-round-trip path cannot tell, and says "the server may have it").
        assert outcome.reply.code is None and outcome.reply.stage == "rcpt"
        assert outcome.reply.text.startswith("connection lost before the message was sent (")
    else:
        assert (outcome.reply.code, outcome.reply.stage) == (421, "data")


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA"])
def test_a_relay_that_never_answers_times_out_before_the_message(stage: str) -> None:
    piped = asyncio.run(_run(Script({stage: "silent"}), offer=True, timeout=0.3))
    plain = asyncio.run(_run(Script({stage: "silent"}), offer=False, timeout=0.3))
    if stage != "DATA":
        _same(piped.reply, plain.reply)
    assert (piped.reply.code, piped.reply.closed) == (None, True)
    assert piped.reply.stage == ("rcpt" if stage == "DATA" else stage.lower())
    assert "SMTPReadTimeoutError" in piped.reply.error and piped.seen.bodies == []


def test_a_silent_relay_after_the_data_may_have_the_message() -> None:
    piped, plain = _both(Script({"END": "silent"}), timeout=0.3)
    _same(piped.reply, plain.reply)
    assert (piped.reply.code, piped.reply.stage, piped.reply.closed) == (None, "data", True)
    assert "the server may have it" in piped.reply.text and len(piped.seen.bodies) == 1


def test_an_address_that_is_not_a_plain_path_goes_the_four_round_trips() -> None:
    async def go() -> tuple[Reply, Seen]:
        seen = Seen()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Scripted(Script(), seen, True), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        transport = SmtpTransport(parse_smtp_url(f"smtp://127.0.0.1:{port}?tls=none"), sender="press@hvsp.example")
        connection = await transport.open()
        message = dataclasses.replace(make_message("editor@news.example"), recipient='"odd one"@news.example')
        reply = await connection.send(message)
        await connection.close()
        server.close()
        return reply, seen

    reply, seen = asyncio.run(go())
    assert reply.code == 250 and ["MAIL"] in seen.segments and ["MAIL", "RCPT", "DATA"] not in seen.segments


def test_unsolicited_bytes_between_commands_are_dropped() -> None:
    """As aiosmtplib: a reply nobody asked for never answers the next command."""

    async def go() -> tuple[int, int]:
        seen = Seen()
        loop = asyncio.get_running_loop()
        scripted: list[_Scripted] = []

        def make() -> _Scripted:
            scripted.append(_Scripted(Script(), seen, True))
            return scripted[-1]

        server = await loop.create_server(make, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=2)
        await client.connect()
        assert isinstance(client.protocol, pipelining.PipeliningProtocol)
        scripted[0].transport.write(b"250 2.0.0 nobody asked\r\n")
        await asyncio.sleep(0.05)
        noop = await client.execute_command(b"NOOP")
        await client.quit()
        server.close()
        return noop.code, len(noop.message)

    code, _ = asyncio.run(go())
    assert code == 502  # the scripted server's own answer to NOOP, not the stray 250


def test_a_reply_over_the_limit_is_an_error_as_in_aiosmtplib() -> None:
    async def go() -> aiosmtplib.SMTPResponseException:
        seen = Seen()
        too_long = "250-" + "\n250-".join("x" * 1000 for _ in range(40)) + "\n250 Ok"
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Scripted(Script({"MAIL": too_long}), seen, True), "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=2)
        await client.connect()
        try:
            with pytest.raises(aiosmtplib.SMTPResponseException) as info:
                await client.mail("press@hvsp.example")
        finally:
            client.close()
            server.close()
        return info.value

    assert asyncio.run(go()).message == "Response too long"


def test_the_protocol_is_installed_with_the_pinned_aiosmtplib() -> None:
    from aiosmtplib import smtp

    from pressctl.send.smtp import install_pipelining

    SmtpTransport(parse_smtp_url("smtp://127.0.0.1:2525"), sender="press@hvsp.example")
    assert install_pipelining()
    assert smtp.SMTPProtocol is pipelining.PipeliningProtocol, "aiosmtplib changed: see send/pipelining.py _fits"


def test_a_different_aiosmtplib_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtplib import protocol, smtp

    monkeypatch.setattr(smtp, "SMTPProtocol", protocol.SMTPProtocol)
    monkeypatch.delattr(protocol.SMTPProtocol, "_read_response_from_buffer")
    assert not pipelining.install()
    assert smtp.SMTPProtocol is protocol.SMTPProtocol


def test_a_malformed_reply_in_the_batch_closes_the_connection_and_nothing_is_sent() -> None:
    outcome = asyncio.run(_run(Script({"RCPT": "garbage"}), offer=True))
    assert (outcome.reply.code, outcome.reply.stage, outcome.reply.closed) == (-1, "rcpt", True)
    assert outcome.reply.text.startswith("Malformed SMTP response line") and outcome.seen.bodies == []
