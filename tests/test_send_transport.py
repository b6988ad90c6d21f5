"""SMTP URLs, reply classification, implicit TLS, and the Maildir outbox."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from smtp_server import SmtpTestServer, loopback_tls, make_message

from pressctl.config.smtp import parse_smtp_url
from pressctl.errors import InputError, TransportError
from pressctl.relays.actions import classify, judge
from pressctl.send.outbox import OutboxTransport
from pressctl.send.smtp import SmtpTransport


def test_urls() -> None:
    local = parse_smtp_url("smtp://127.0.0.1:2525")
    assert (local.host, local.port, local.tls) == ("127.0.0.1", 2525, "opportunistic")
    remote = parse_smtp_url("smtp://press%40hvsp.example@mail.hvsp.example", password="pw")
    assert remote.tls == "starttls" and remote.port == 587 and remote.username == "press@hvsp.example"
    assert "pw" not in repr(remote) and "pw" not in remote.describe()
    assert parse_smtp_url("smtps://mail.hvsp.example").port == 465
    assert parse_smtp_url("smtp://mail.hvsp.example:25?tls=none").tls == "none"
    assert parse_smtp_url("smtp+starttls://press@hvsp.example@mail.hvsp.example:587").username == "press@hvsp.example"
    assert parse_smtp_url("smtp://[::1]:25").tls == "opportunistic"


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("http://mail.hvsp.example", "smtp://"),
        ("smtp://press:hunter2@mail.hvsp.example", "must not contain a password"),
        ("smtp://mail.hvsp.example?tls=maybe", "tls=maybe"),
        ("smtp://mail.hvsp.example?colour=blue", "unknown URL option"),
        ("smtp://mail.hvsp.example?cafile=/nonexistent/ca.pem", "cafile"),
        ("smtp://", "no host"),
    ],
)
def test_bad_urls(url: str, match: str) -> None:
    with pytest.raises(InputError, match=match) as info:
        parse_smtp_url(url)
    assert "hunter2" not in str(info.value)


def test_classify() -> None:
    assert classify(250, "2.0.0 Ok: queued as ABC").kind == "sent"
    assert classify(451, "4.3.0 try later").kind == "transient"
    assert classify(421, "4.3.2 bye").reconnect
    bounce = classify(550, "5.1.1 no such user")
    assert bounce.kind == "permanent" and bounce.bounce
    assert not classify(552, "5.2.2 mailbox full").bounce
    assert classify(554, "5.7.1 relay denied").kind == "policy"
    assert classify(535, "5.7.8 bad credentials").kind == "auth"
    assert classify(530, "5.7.0 authentication required").kind == "auth"


def test_classify_reads_replies_by_meaning_through_the_one_table() -> None:
    # pressctl.relays reads the reply and looks the action up; the transport only reports the reply.
    throttle = classify(451, "4.7.0 Too many messages, slow down", stage="rcpt")
    assert throttle.meaning == "slow-down" and not throttle.charged and throttle.retryable
    quota = classify(550, "5.4.5 Daily SMTP relay limit exceeded for user", stage="rcpt")
    assert quota.meaning == "stop-for-now" and not quota.charged and quota.retryable and quota.reason
    gone = classify(550, "5.1.1 no such user", stage="rcpt")
    assert gone.meaning == "recipient-failed" and gone.charged and not gone.retryable
    assert gone.explain().startswith("refused for this recipient (550 5.1.1")
    sender = classify(553, "5.1.8 sender rejected", stage="mail")
    assert sender.kind == "policy"


def test_implicit_tls(tmp_path: Path) -> None:
    ctx, cafile = loopback_tls(tmp_path)

    async def send(url: str) -> str:
        transport = SmtpTransport(parse_smtp_url(url), sender="HVSP <press@hvsp.example>")
        conn = await transport.open()
        try:
            return judge(await conn.send(make_message("desk@news.example"))).kind
        finally:
            await conn.close()

    with SmtpTestServer(implicit_tls=ctx) as server:
        assert asyncio.run(send(f"smtps://127.0.0.1:{server.port}?cafile={cafile}")) == "sent"
        with pytest.raises(TransportError, match="certificate"):
            asyncio.run(send(f"smtps://127.0.0.1:{server.port}"))
    assert [m.mail_from for m in server.messages] == ["press@hvsp.example"]


def test_smtputf8_address(tmp_path: Path) -> None:
    async def send(server: SmtpTestServer) -> str:
        transport = SmtpTransport(parse_smtp_url(server.url()), sender="press@hvsp.example")
        conn = await transport.open()
        message = make_message("陳記者@news.example")
        message = type(message)(**{**message.__dict__, "smtputf8": True})
        try:
            return judge(await conn.send(message)).kind
        finally:
            await conn.close()

    with SmtpTestServer() as server:
        assert asyncio.run(send(server)) == "sent"
    assert server.messages[0].rcpt == "陳記者@news.example"
    with SmtpTestServer(smtputf8=False) as server:
        assert asyncio.run(send(server)) == "permanent"
    assert server.messages == []


def test_outbox_is_a_maildir(tmp_path: Path) -> None:
    async def go() -> list[str]:
        transport = OutboxTransport(tmp_path / "outbox")
        assert transport.is_local and "nothing leaves" in transport.description
        conn = await transport.open()
        replies = [judge(await conn.send(make_message(f"r{i}@news.example"))).reply for i in range(3)]
        await conn.close()
        return replies

    replies = asyncio.run(go())
    files = sorted((tmp_path / "outbox" / "new").iterdir())
    assert len(files) == 3 == len(set(replies)) and not list((tmp_path / "outbox" / "tmp").iterdir())
    assert files[0].read_bytes().startswith(b"From: HVSP Press Office")


# Captured before any SmtpTransport swaps them in: aiosmtplib's own DATA preparation.
from aiosmtplib import protocol as _aiosmtplib_protocol  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pressctl.send.wire import _DotStuffing, normalize_line_endings  # noqa: E402

_UPSTREAM_NORMALIZE = _aiosmtplib_protocol.LINE_ENDINGS_REGEX
_UPSTREAM_PERIOD = __import__("re").compile(rb"(?m)^\.")


def _upstream(message: bytes) -> bytes:
    message = _UPSTREAM_NORMALIZE.sub(b"\r\n", message)
    if not message.endswith(b"\r\n"):
        message += b"\r\n"
    return _UPSTREAM_PERIOD.sub(b"..", message)


@given(st.binary(max_size=60) | st.text(alphabet="a.\r\n", max_size=60).map(str.encode))
def test_fast_data_path_is_byte_for_byte_aiosmtplibs(message: bytes) -> None:
    assert _DotStuffing().sub(b"..", normalize_line_endings(message)) == _upstream(message)


@given(st.binary(max_size=60) | st.text(alphabet="a.\r\n", max_size=60).map(str.encode))
def test_prepared_data_is_not_touched_again(message: bytes) -> None:
    from pressctl.send.wire import WireData, prepare_data

    wire = prepare_data(message)
    assert type(wire) is WireData and wire == _upstream(message)
    # The patched DATA steps pass it through: nothing is stuffed twice.
    assert _DotStuffing().sub(b"..", normalize_line_endings(wire)) is wire


def test_one_tls_context_per_ca_store_and_a_renewed_store_is_read_again(tmp_path: Path) -> None:
    """The SIZE probe's transport and the send's share one verifying context (loading a CA store costs
    10-20 ms); a CA file changed since (a dispatcher runs for weeks) gets a new one."""
    import os
    import shutil

    cafile = tmp_path / "ca.pem"
    shutil.copyfile("/etc/ssl/certs/ca-certificates.crt", cafile)
    url = f"smtp://127.0.0.1:2525?cafile={cafile}"
    first = SmtpTransport(parse_smtp_url(url), sender="press@hvsp.example")._tls_context()
    second = SmtpTransport(parse_smtp_url(url), sender="press@hvsp.example")._tls_context()
    assert first is second
    os.utime(cafile, ns=(0, cafile.stat().st_mtime_ns + 1_000_000_000))
    assert SmtpTransport(parse_smtp_url(url), sender="press@hvsp.example")._tls_context() is not first
