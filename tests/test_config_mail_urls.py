"""SMTP and IMAP URLs share their rules (config.split_mail_url, url_query, plain_scheme_tls,
url_timeout_and_cafile): the same mistake gets the same line from --smtp and --imap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pressctl.bounces.imapurl import parse_imap_url
from pressctl.config.smtp import parse_smtp_url
from pressctl.errors import InputError

PARSERS: dict[str, tuple[Callable[..., Any], str]] = {
    "smtp": (parse_smtp_url, "smtp://press@mail.hvsp.example"),
    "imap": (parse_imap_url, "imap://press@mail.hvsp.example"),
}


@pytest.mark.parametrize("kind", PARSERS)
@pytest.mark.parametrize(
    ("tail", "message"),
    [
        ("?tls=maybe", "tls=maybe is not known"),
        ("?colour=blue", "unknown URL option 'colour'"),
        ("?timeout=soon", "timeout must be a number of seconds"),
        ("?timeout=0", "timeout must be a positive number of seconds"),  # SMTP took 0 before the rules were one
        ("?timeout=-3", "timeout must be a positive number of seconds"),
        ("?cafile=/nonexistent/ca.pem", "cafile '/nonexistent/ca.pem' does not exist"),
    ],
)
def test_the_same_mistake_the_same_line(kind: str, tail: str, message: str) -> None:
    parse, base = PARSERS[kind]
    with pytest.raises(InputError, match=message):
        parse(base + tail)


@pytest.mark.parametrize("kind", PARSERS)
def test_password_port_zero_and_scheme(kind: str) -> None:
    parse, base = PARSERS[kind]
    scheme, rest = base.split("://")
    with pytest.raises(InputError, match="must not contain a password") as caught:
        parse(f"{scheme}://press:hunter2@{rest.partition('@')[2]}")
    assert "hunter2" not in str(caught.value) + (caught.value.hint or "")
    with pytest.raises(InputError, match="port 0 is not a port"):
        parse(base + ":0")
    shown = {"smtp": "smtp:// or smtps://", "imap": "imaps:// or imap://"}[kind]  # as each said before
    with pytest.raises(InputError, match=f"the URL must start with {shown}"):
        parse("ftp://press@mail.hvsp.example")


@pytest.mark.parametrize("kind", PARSERS)
def test_plaintext_only_on_loopback_unless_asked(kind: str) -> None:
    parse, base = PARSERS[kind]
    assert parse(base).tls == "starttls"
    assert parse(base + "?tls=none").tls == "none"
    scheme = base.split("://")[0]
    loop = parse(f"{scheme}://press@127.0.0.1:2525")
    assert loop.tls == "opportunistic" and "STARTTLS if offered (loopback)" in loop.describe()
