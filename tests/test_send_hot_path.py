"""The send loop's per-message work done once or not at all (issue 19, "speed back"), each shortcut giving
what the long way gives: checked addresses go into MAIL FROM / RCPT TO as they are (no ``parseaddr``), an
unsubscribe token from the checked address's key, only the merge fields' own columns cleaned per contact."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st
from smtp_server import SmtpTestServer, make_message

from pressctl.addresses import AddressError, parse_address
from pressctl.config.smtp import parse_smtp_url
from pressctl.contacts.unsubscribe import key_token, token_for
from pressctl.relays.actions import judge
from pressctl.send import smtp

SECRET = b"s" * 32


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcXYZ.+-_'!#{}~=%ßü陳", min_size=1, max_size=12), st.sampled_from(["news.example", "Straße.de", "MÜNCHEN.example"]))
def test_a_checked_address_goes_on_the_wire_as_aiosmtplib_would_put_it(local: str, domain: str) -> None:
    from aiosmtplib.email import quote_address

    try:
        address = parse_address(f"{local}@{domain}")
    except AddressError:
        return
    assert smtp._PLAIN_PATH.fullmatch(address.text)  # the short way is taken for every checked address
    assert quote_address(address.text) == f"<{address.text}>"  # and it is what the long way would give
    assert key_token(address.key, SECRET) == token_for(address.text, SECRET)


def test_other_paths_still_take_aiosmtplibs_checks() -> None:
    for odd in (
        "Amy <amy@news.example>", "amy@news.example> NOTIFY=NEVER", '"a b"@news.example', "a@[127.0.0.1]",
        "a@b@news.example", "a@news.example\r\nRCPT TO:<b@news.example>",
    ):
        assert not smtp._PLAIN_PATH.fullmatch(odd)


def test_the_short_way_reports_refusals_as_the_long_way_did() -> None:
    async def send(server: SmtpTestServer, rcpt: str) -> tuple[str, str | None]:
        transport = smtp.SmtpTransport(parse_smtp_url(server.url()), sender="press@hvsp.example")
        conn = await transport.open()
        try:
            reply = await conn.send(make_message(rcpt))
            return judge(reply).kind, reply.stage
        finally:
            await conn.close()

    with SmtpTestServer() as server:
        server.script("gone@news.example", "550 5.1.1 no such user")
        assert asyncio.run(send(server, "ok@news.example")) == ("sent", "data")
        assert asyncio.run(send(server, "gone@news.example")) == ("permanent", "rcpt")
    assert [m.rcpt for m in server.messages] == ["ok@news.example"]
    with SmtpTestServer(mail_reply="553 5.1.8 sender domain unknown") as server:
        kind, stage = asyncio.run(send(server, "ok@news.example"))
        assert stage == "mail" and kind != "sent"
    assert server.messages == []
