"""The scripted provider servers (tests/provider_smtp.py) answer as the providers do, and pressctl's reply
table reads each of their answers by meaning."""

from __future__ import annotations

import asyncio
import base64

import aiosmtplib
import pytest
from provider_smtp import (
    GOOGLE_RELAY_DAILY,
    ProviderServer,
    gmail,
    google_relay,
    microsoft365,
    ses,
)

from pressctl.relays.replies import Meaning, classify_reply

USER = "press@hvsp.example"
MESSAGE = b"From: press@hvsp.example\r\nTo: editor@news.test\r\nSubject: HVSP\r\n\r\nTidal bay opens.\r\n"


def _client(server: ProviderServer) -> aiosmtplib.SMTP:
    return aiosmtplib.SMTP(hostname=server.host, port=server.port, start_tls=False, local_hostname="client.test")


async def _login(server: ProviderServer, token: str = "tok-1") -> aiosmtplib.SMTP:
    client = _client(server)
    await client.connect()
    await client.auth_xoauth2(USER, token)
    return client


def _meaning(code: int, message: str, stage: str) -> Meaning:
    return classify_reply(code, message, stage=stage).meaning  # type: ignore[arg-type]


def test_microsoft365_fourth_connection_and_daily_quota() -> None:
    with ProviderServer(microsoft365(tokens={"tok-1"}, daily_quota=2)) as relay:

        async def go() -> tuple[aiosmtplib.SMTPResponseException, aiosmtplib.SMTPResponseException]:
            clients = [await _login(relay) for _ in range(3)]
            with pytest.raises(aiosmtplib.SMTPConnectResponseError) as fourth:
                await _login(relay)
            for _ in range(2):
                await clients[0].sendmail(USER, ["editor@news.test"], MESSAGE)
            with pytest.raises(aiosmtplib.SMTPDataError) as quota:
                await clients[1].sendmail(USER, ["editor@news.test"], MESSAGE)
            for client in clients:
                await client.quit()
            return fourth.value, quota.value

        fourth, quota = asyncio.run(go())
    assert fourth.code == 432 and fourth.message.startswith("4.3.2 Concurrent connections limit exceeded")
    assert _meaning(fourth.code, fourth.message, "connect") is Meaning.SLOW_DOWN
    assert quota.code == 554 and "SubmissionQuotaExceededException" in quota.message
    assert _meaning(quota.code, quota.message, "data") is Meaning.STOP_FOR_NOW
    assert len(relay.accepted) == 2 and relay.max_active == 4


def test_microsoft365_basic_auth_is_off() -> None:
    with ProviderServer(microsoft365()) as relay:

        async def go() -> aiosmtplib.SMTPAuthenticationError:
            client = _client(relay)
            await client.connect()
            await client.ehlo()
            assert client.server_auth_methods == ["xoauth2", "plain"] or set(client.server_auth_methods) == {
                "xoauth2", "plain"}
            with pytest.raises(aiosmtplib.SMTPAuthenticationError) as info:
                await client.auth_plain(USER, "hunter2")
            await client.quit()
            return info.value

        refused = asyncio.run(go())
    assert (refused.code, refused.message) == (550, "5.7.30 Basic authentication is not supported for Client Submission.")
    assert _meaning(refused.code, refused.message, "auth") is Meaning.AUTH


def test_gmail_too_many_logins_try_later_and_daily_limit() -> None:
    with ProviderServer(gmail(tokens={"tok-1"}, max_logins=2, try_later=frozenset({3}), daily_quota=1)) as relay:

        async def go() -> tuple[aiosmtplib.SMTPResponseException, ...]:
            first = await _login(relay)
            await (await _login(relay)).quit()
            with pytest.raises(aiosmtplib.SMTPResponseException) as later:  # connection 3: 421 at EHLO
                client = _client(relay)
                await client.connect()
                await client.ehlo()
            with pytest.raises(aiosmtplib.SMTPAuthenticationError) as logins:  # the 3rd login
                await _login(relay)
            await first.sendmail(USER, ["a@news.test"], MESSAGE)
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as daily:
                await first.sendmail(USER, ["b@news.test"], MESSAGE)
            await first.quit()
            rcpt = daily.value.recipients[0]
            return later.value, logins.value, rcpt

        later, logins, daily = asyncio.run(go())
    assert (later.code, later.message) == (421, "4.7.0 Try again later, closing connection. (EHLO) - gsmtp")
    assert _meaning(later.code, later.message, "ehlo") is Meaning.SLOW_DOWN
    assert logins.code == 454 and logins.message.startswith("4.7.0 Too many login attempts")
    assert _meaning(logins.code, logins.message, "auth") is Meaning.SLOW_DOWN
    assert daily.code == 550 and daily.message.startswith("5.4.5 Daily user sending limit exceeded")
    assert _meaning(daily.code, daily.message, "rcpt") is Meaning.STOP_FOR_NOW


def test_google_relay_daily_limit_text() -> None:
    assert google_relay().daily_quota_reply == GOOGLE_RELAY_DAILY
    code, text = int(GOOGLE_RELAY_DAILY[:3]), GOOGLE_RELAY_DAILY[4:]
    assert _meaning(code, text, "rcpt") is Meaning.STOP_FOR_NOW


def test_ses_rate_and_daily_quota() -> None:
    with ProviderServer(ses(tokens={"tok-1"}, rate=2, daily_quota=3)) as relay:

        async def go() -> list[str]:
            client = await _login(relay)
            replies = []
            while not replies or "Daily" not in replies[-1]:
                assert len(replies) < 100
                try:
                    await client.sendmail(USER, ["editor@news.test"], MESSAGE)
                    replies.append("250")
                except aiosmtplib.SMTPDataError as exc:
                    replies.append(f"{exc.code} {exc.message}")
                    await asyncio.sleep(0.2)
            await client.quit()
            return replies

        replies = asyncio.run(go())
    assert "454 Throttling failure: Maximum sending rate exceeded." in replies
    assert replies[-1] == "454 Throttling failure: Daily message quota exceeded."
    assert replies.count("250") == 3
    assert _meaning(454, "Throttling failure: Maximum sending rate exceeded.", "data") is Meaning.SLOW_DOWN
    assert _meaning(454, "Throttling failure: Daily message quota exceeded.", "data") is Meaning.STOP_FOR_NOW


def test_xoauth2_handler_checks_user_and_token() -> None:
    with ProviderServer(gmail(tokens={"tok-1"})) as relay:

        async def go() -> list[int]:
            codes = []
            for user, token in ((USER, "tok-1"), (USER, "tok-old"), ("other@hvsp.example", "tok-1")):
                client = _client(relay)
                await client.connect()
                try:
                    codes.append((await client.auth_xoauth2(user, token)).code)
                except aiosmtplib.SMTPAuthenticationError as exc:
                    codes.append(exc.code)
                await client.quit()
            # The raw exchange: Google's JSON challenge (base64) before the 535.
            client = _client(relay)
            await client.connect()
            await client.ehlo()
            blob = base64.b64encode(f"user={USER}\x01auth=Bearer nope\x01\x01".encode())
            reply = await client.execute_command(b"AUTH", b"XOAUTH2", blob)
            assert reply.code == 334 and b'"status": "401"' in base64.b64decode(reply.message)
            final = await client.execute_command(b"")
            codes.append(final.code)
            client.close()
            return codes

        assert asyncio.run(go()) == [235, 535, 535, 535]
    assert relay.logins[:3] == [("XOAUTH2", USER, True), ("XOAUTH2", USER, False),
                                ("XOAUTH2", "other@hvsp.example", False)]
