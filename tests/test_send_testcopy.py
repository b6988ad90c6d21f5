"""Issue 9: a [TEST] copy carries the test address's identity only, and unsubscribe links carry opaque tokens.

Real ``pressctl send`` processes against a real aiosmtpd server on 127.0.0.1; the received messages are parsed
back and searched for every real contact's address, name and token.
"""

from __future__ import annotations

import csv
import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import pytest

from pressctl.contacts.unsubscribe import load_or_create_secret, token_for
from tests.qa_support import pressctl, workspace
from tests.smtp_server import SmtpTestServer

SEND = ("send", "releases/sample.md", "-c", "contacts/journalists.csv", "--under-embargo")
TESTER = "reviewer@hvsp.example"


def _contacts(root: Path) -> list[dict[str, str]]:
    with (root / "contacts" / "journalists.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _parse(data: bytes) -> EmailMessage:
    msg = email.message_from_string(data.decode("utf-8"), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _body(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content())


def _links(msg: EmailMessage) -> list[str]:
    html = _body(msg, "html")
    text = _body(msg, "plain")
    found = re.findall(r'href="([^"]+)"', html) + re.findall(r"https?://\S+", text)
    return [unquote(u).replace("&amp;", "&") for u in found]


def _unsubscribe_links(msg: EmailMessage) -> list[str]:
    return [u for u in _links(msg) if "unsubscribe" in u and u.startswith("http")]


@pytest.mark.slow
def test_test_copies_belong_to_the_test_address(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    with SmtpTestServer() as server:
        proc = pressctl(*SEND, "--smtp", server.url(), "--test-to", TESTER, cwd=root)
        assert proc.returncode == 0, proc.stderr
        messages = server.messages
    assert [m.rcpt for m in messages] == [TESTER, TESTER]
    secret = load_or_create_secret(root / ".pressctl")
    contacts = _contacts(root)
    real_addresses = {c["Email"].lower() for c in contacts}
    real_names = {c["Name"] for c in contacts if c["Name"]} | {f"{c['First Name']} {c['Last Name']}" for c in contacts}
    real_tokens = {token_for(a, secret) for a in real_addresses}
    for received in messages:
        msg = _parse(received.data)
        assert msg["Subject"].startswith("[TEST]")
        to = msg["To"].addresses
        assert [a.addr_spec for a in to] == [TESTER]
        assert to[0].display_name not in real_names
        headers = "\n".join(f"{k}: {v}" for k, v in msg.items()).lower()
        links = _unsubscribe_links(msg)
        assert links, "the test copy shows its unsubscribe link"
        unsub_header = msg["List-Unsubscribe"]
        assert token_for(TESTER, secret) in unsub_header
        for link in links:
            assert token_for(TESTER, secret) in link
        searched = headers + "\n" + "\n".join(_links(msg)).lower()
        for address in real_addresses:
            assert address not in searched
            assert address.replace("@", "%40") not in searched
        for token in real_tokens:
            assert token.lower() not in searched
        for name in real_names:
            assert name.lower() not in headers
    # the merge fields still show the first contact's values, so the reviewer sees real personalisation
    bodies = [_body(_parse(m.data), "plain") for m in messages]
    assert any("Dear Amy," in b for b in bodies) and any("黃嘉明" in b for b in bodies)


@pytest.mark.slow
def test_real_sends_carry_each_readers_own_token_not_the_address(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    with SmtpTestServer() as server:
        proc = pressctl(*SEND, "--yes", "--smtp", server.url(), cwd=root)
        assert proc.returncode == 0, proc.stderr
        messages = server.messages
    assert len(messages) == 11
    secret_file = root / ".pressctl" / "secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600
    secret = load_or_create_secret(root / ".pressctl")
    assert secret.hex() not in proc.stdout + proc.stderr
    for received in messages:
        msg = _parse(received.data)
        token = token_for(received.rcpt, secret)
        assert msg["List-Unsubscribe"].endswith(f"unsubscribe?t={token}>")
        assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        links = _unsubscribe_links(msg)
        assert links and all(link.endswith(f"?t={token}") for link in links)
        assert received.rcpt.lower() not in "\n".join(_links(msg)).lower()
        assert received.rcpt.lower() not in msg["List-Unsubscribe"].lower()


@pytest.mark.slow
def test_email_in_the_unsubscribe_url_still_works_with_a_warning(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    toml = root / "pressctl.toml"
    toml.write_text(toml.read_text("utf-8").replace("?t={token}", "?email={email}"), "utf-8")
    with SmtpTestServer() as server:
        proc = pressctl(*SEND, "--yes", "--smtp", server.url(), cwd=root)
        assert proc.returncode == 0, proc.stderr
        messages = server.messages
    assert "{email}" in proc.stderr and "{token}" in proc.stderr and "Traceback" not in proc.stderr
    msg = _parse(messages[0].data)
    assert f"email={messages[0].rcpt.replace('@', '%40')}" in msg["List-Unsubscribe"]
