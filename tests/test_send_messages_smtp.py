"""Built messages over a real SMTP conversation (aiosmtpd on 127.0.0.1): the server gets exactly our bytes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from messages_support import contact, make_factory, make_renders, make_workspace
from smtp_server import SmtpTestServer

from pressctl.config.smtp import SmtpSettings
from pressctl.model import OutgoingMessage
from pressctl.relays.actions import judge
from pressctl.send.messages import MessageFactory
from pressctl.send.smtp import SmtpTransport


async def _send_all(host: str, port: int, sender: str, messages: list[OutgoingMessage]) -> list[str]:
    transport = SmtpTransport(SmtpSettings(host=host, port=port, tls="none"), sender=sender)
    connection = await transport.open()
    try:
        return [judge(await connection.send(m)).kind for m in messages]
    finally:
        await connection.close()


def test_server_receives_exactly_the_built_bytes(tmp_path: Path) -> None:
    renders, plan = make_renders()
    # A line starting with "." must survive SMTP's dot-stuffing; quoted-printable leaves it as it is.
    renders["en"] = replace(renders["en"], text=".hidden line\n" + renders["en"].text + "\n.\n")
    factory = MessageFactory(
        renders,
        {},
        make_workspace(tmp_path),
        plan,
        campaign_id="smtp-test",
    )
    people = [
        contact("amy.chan@harbourdaily.example", "Amy Chan", first_name="Amy", outlet="Harbour Daily"),
        contact("wong@mingpoint.example", "黃嘉明", language="zh-HK", fields={"name": "黃嘉明"}),
        contact("黃嘉明@mingpoint.example", "黃嘉明", language="zh-HK"),  # needs SMTPUTF8
    ]
    messages = [factory.build(p) for p in people]
    assert [m.smtputf8 for m in messages] == [False, False, True]
    with SmtpTestServer() as server:
        kinds = asyncio.run(_send_all(server.host, server.port, factory.envelope_from, messages))
    assert kinds == ["sent", "sent", "sent"]
    got = {r.rcpt: r for r in server.messages}
    for message in messages:
        received = got[message.recipient]
        assert received.mail_from == "press@hvsp.example"
        assert received.data == message.data  # byte for byte, after dot-stuffing and back


def test_a_retry_builds_the_same_message(tmp_path: Path) -> None:
    factory = make_factory(tmp_path)
    amy = contact("amy@news.test", "Amy", first_name="Amy")
    # A retry builds the same message: same Message-ID, and with a fixed Date the very same bytes.
    assert factory.build(amy).data == factory.build(amy).data
