"""A real Postfix smtpd's limits bite as the relays module expects, and its replies are read by meaning."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

import aiosmtplib
import pytest

from pressctl.relays.actions import classify
from pressctl.relays.replies import Meaning, classify_reply

if TYPE_CHECKING:
    from postfix_support import PostfixRelay

pytestmark = pytest.mark.slow
pytest_plugins = ["postfix_support"]  # the postfix_relay fixture

SENDER = "press@hvsp.test"


def _message(rcpt: str, body: str = "The tidal test bay opens on Monday.") -> bytes:
    return (
        f"From: HVSP Press Office <{SENDER}>\r\nTo: <{rcpt}>\r\nSubject: HVSP news\r\n"
        f"Message-ID: <t.{rcpt.replace('@', '.')}@hvsp.test>\r\n\r\n{body}\r\n"
    ).encode()


async def _connect(relay: PostfixRelay) -> aiosmtplib.SMTP:
    client = aiosmtplib.SMTP(hostname=relay.host, port=relay.port, start_tls=False, local_hostname="client.test")
    await client.connect()
    return client


def test_third_connection_refused(postfix_relay: Callable[..., PostfixRelay]) -> None:
    relay = postfix_relay(connection_count_limit=2)

    async def go() -> aiosmtplib.SMTPResponseException:
        first, second = await _connect(relay), await _connect(relay)
        try:
            with pytest.raises(aiosmtplib.SMTPConnectResponseError) as info:
                await _connect(relay)
            # The two that got in still work.
            await first.sendmail(SENDER, ["editor@hvsp.test"], _message("editor@hvsp.test"))
            return info.value
        finally:
            await first.quit()
            await second.quit()

    refused = asyncio.run(go())
    assert refused.code == 421
    assert refused.message == "4.7.0 mx.hvsp.test Error: too many connections from 127.0.0.1"
    verdict = classify(refused.code, refused.message, stage="connect")
    assert verdict.meaning is Meaning.SLOW_DOWN and not verdict.charged and verdict.reconnect


def test_message_rate_limit(postfix_relay: Callable[..., PostfixRelay]) -> None:
    relay = postfix_relay(message_rate_limit=3, rate_time_unit="60s")

    async def go() -> list[str]:
        client = await _connect(relay)
        replies = []
        try:
            for n in range(5):
                rcpt = f"reporter+{n}@hvsp.test"
                try:
                    await client.sendmail(SENDER, [rcpt], _message(rcpt))
                    replies.append("sent")
                except aiosmtplib.SMTPSenderRefused as exc:
                    replies.append(f"{exc.code} {exc.message}")
                    await client.rset()
        finally:
            await client.quit()
        return replies

    replies = asyncio.run(go())
    assert replies[:3] == ["sent"] * 3
    assert replies[3:] == ["450 4.7.1 Error: too much mail from 127.0.0.1"] * 2
    verdict = classify_reply(450, replies[3][4:], stage="mail")
    assert verdict.meaning is Meaning.SLOW_DOWN and verdict.rule == "postfix-too-much-mail"


def test_oversize_and_relay_denied(postfix_relay: Callable[..., PostfixRelay]) -> None:
    relay = postfix_relay(message_size_limit=20_000)

    async def go() -> tuple[str, str, str]:
        client = await _connect(relay)
        try:
            await client.ehlo()
            assert client.esmtp_extensions["size"] == "20000"
            with pytest.raises(aiosmtplib.SMTPResponseException) as big:
                await client.sendmail(SENDER, ["editor@hvsp.test"], _message("editor@hvsp.test", "x" * 30_000))
            await client.rset()
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as denied:
                await client.sendmail(SENDER, ["someone@elsewhere.test"], _message("someone@elsewhere.test"))
            await client.rset()
            # Without a SIZE= parameter the limit bites after the data instead.
            await client.mail(SENDER)
            await client.rcpt("editor@hvsp.test")
            with pytest.raises(aiosmtplib.SMTPDataError) as late:
                await client.data(_message("editor@hvsp.test", "y" * 30_000))
        finally:
            await client.quit()
        refusal = denied.value.recipients[0]
        return (
            f"{big.value.code} {big.value.message}",
            f"{refusal.code} {refusal.message}",
            f"{late.value.code} {late.value.message}",
        )

    big, denied, late = asyncio.run(go())
    assert big == "552 5.3.4 Message size exceeds fixed limit"
    assert denied == "554 5.7.1 <someone@elsewhere.test>: Relay access denied"
    assert late == "552 5.3.4 Error: message file too big"
    for text, stage, meaning in ((big, "mail", Meaning.POLICY), (denied, "rcpt", Meaning.POLICY),
                                 (late, "data", Meaning.POLICY)):
        assert classify_reply(int(text[:3]), text[4:], stage=stage).meaning is meaning, text  # type: ignore[arg-type]


def test_unknown_mailbox_bounces_to_the_sender(postfix_relay: Callable[..., PostfixRelay]) -> None:
    relay = postfix_relay()

    async def go() -> None:
        client = await _connect(relay)
        try:
            await client.sendmail(SENDER, ["nobody-here@hvsp.test"], _message("nobody-here@hvsp.test"))
            await client.sendmail(SENDER, ["newsdesk@hvsp.test"], _message("newsdesk@hvsp.test"))
        finally:
            await client.quit()

    asyncio.run(go())  # accepted at RCPT: the bounce comes later, as a DSN
    relay.wait_delivered(expect=lambda: bool(relay.maildir("press")) and bool(relay.maildir("newsdesk")))
    [dsn] = relay.messages("press")
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    status = next(p for p in dsn.walk() if p.get_content_type() == "message/delivery-status")
    fields = "\n".join(str(block) for block in status.get_payload())
    assert "Final-Recipient: rfc822; nobody-here@hvsp.test" in fields
    assert "Status: 5.1.1" in fields
    raw = relay.maildir("press")[0].read_bytes()
    assert b"Message-ID: <t.nobody-here.hvsp.test@hvsp.test>" in raw  # the original comes back with it
