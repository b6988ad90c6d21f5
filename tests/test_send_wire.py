"""Messages built straight in SMTP DATA form: byte-for-byte what preparing the whole message gives."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from messages_support import contact, make_factory
from smtp_server import SmtpTestServer

from pressctl.config.smtp import parse_smtp_url
from pressctl.relays.actions import judge
from pressctl.send.smtp import SmtpTransport
from pressctl.send.wire import WireData, prepare_data, wire_piece, wire_pieces

_PIECE = st.lists(st.sampled_from([b"a", b".", b"..", b"\r\n", b"\r", b"\n", b"\xc3\xa9", b" "]), max_size=12).map(
    b"".join
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECE, min_size=1, max_size=6))
def test_joined_pieces_equal_the_whole_prepared(pieces: list[bytes]) -> None:
    joined = wire_pieces(wire_piece(p) for p in pieces)
    if joined is not None:
        assert type(joined) is WireData
        assert joined == prepare_data(b"".join(pieces))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from([b"a", b".", b".x", b"\xe9"]), max_size=4), min_size=1, max_size=8))
def test_canonical_pieces_always_join(lines: list[list[bytes]]) -> None:
    # Pieces made of whole CRLF lines are canonical: the fast path always applies to them.
    pieces = [b"".join(line) + b"\r\n" for line in lines]
    joined = wire_pieces(wire_piece(p) for p in pieces)
    assert joined is not None and joined == prepare_data(b"".join(pieces))


def test_non_canonical_piece_falls_back() -> None:
    assert wire_piece(b"lone\nLF\r\n") is None
    assert wire_piece(b"no line end") is None
    assert wire_pieces([b"ok\r\n", None]) is None
    assert wire_pieces([b""]) is None


CONTACTS = [
    contact("amy.chan@harbourdaily.example", "Amy Chan", first_name="Amy", outlet="Harbour Daily"),
    # Values that put a dot at the start of a line, and a Chinese name, in personal pieces.
    contact("dot@mingpoint.example", ".Wong", language="zh-HK", fields={"name": ".Wong"}, outlet=".明點日報"),
    contact("dots@harbourdaily.example", "", first_name="..", outlet="."),
]


@pytest.mark.parametrize("pdf", ["attach", "link", "both"])
def test_factory_wire_form_equals_prepared_message(tmp_path: Path, pdf: str) -> None:
    plain = make_factory(tmp_path / "a", pdf_mode=pdf)
    wire = make_factory(tmp_path / "b", pdf_mode=pdf, wire=True)
    for c in CONTACTS:
        expected = prepare_data(plain.build(c).data)
        got = wire.build(c)
        assert type(got.data) is WireData, c.email
        assert got.data == expected
        assert got.message_id == plain.build(c).message_id


def test_wire_messages_arrive_as_built(tmp_path: Path) -> None:
    plain = make_factory(tmp_path / "a")
    wire = make_factory(tmp_path / "b", wire=True)
    with SmtpTestServer() as server:
        transport = SmtpTransport(parse_smtp_url(server.url()), sender="press@hvsp.example")
        assert transport.takes_wire_data

        async def go() -> None:
            conn = await transport.open()
            try:
                for c in CONTACTS:
                    message = transport.prepare(wire.build(c))
                    assert judge(await conn.send(message)).kind == "sent"
            finally:
                await conn.close()

        asyncio.run(go())
        received = {m.rcpt: m.data for m in server.messages}
    for c in CONTACTS:
        # The server un-doubles the dots: what arrives is the message as built without the wire form.
        assert received[c.email].replace(b"\r\n", b"\n") == plain.build(c).data.replace(b"\r\n", b"\n")
