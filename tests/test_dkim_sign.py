"""DKIM signing: pressctl's signer against dkimpy (the reference: the same body hash, and dkimpy verifies every
signature), the DATA form signed as the message it carries, every message of a send signed with the headers
that matter, and the key kept secret (0600, never printed, a readable key refused in one line)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from dkim.canonicalization import Relaxed
from hypothesis import given, settings
from hypothesis import strategies as st
from send_support import make_workspace, write_contacts, write_release
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._env import Env
from pressctl.dkim.canon import relaxed_body
from pressctl.dkim.keys import load_key, public_txt
from pressctl.dkim.sign import DkimSigner
from pressctl.errors import ExitStatus
from pressctl.send.wire import prepare_data

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # small: only the tests' speed
ED_KEY = ed25519.Ed25519PrivateKey.generate()

MESSAGE = (
    b"From: HVSP Press Office <press@hvsp.example>\r\nTo: Amy Chan <amy@news.example>\r\n"
    b"Subject: Harbourview Science Park\r\n  names its fellows\r\nDate: Sat, 05 Dec 2026 10:00:00 +0800\r\n"
    b"Message-ID: <abc@hvsp.example>\r\nList-Unsubscribe: <https://www.hvsp.example/u?t=1>\r\n"
    b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"\r\nDear Amy,  six   engineers \t join\r\n.a line that starts with a dot\r\n\r\nBye \r\n\r\n\r\n"
)


def _dns(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):  # type: ignore[no-untyped-def]
    record = public_txt(key).encode()
    return lambda name, timeout=5: record


@pytest.mark.parametrize("key", [RSA_KEY, ED_KEY], ids=["rsa", "ed25519"])
def test_dkimpy_verifies_our_signature_and_refuses_a_change(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> None:
    signer = DkimSigner("hvsp.example", "press2026", key, clock=lambda: 1796500000.0)
    signed = signer.header(MESSAGE) + MESSAGE
    assert dkim.verify(signed, dnsfunc=_dns(key))
    assert not dkim.verify(signed.replace(b"six", b"six hundred"), dnsfunc=_dns(key))
    assert not dkim.verify(signed.replace(b"Subject: Harbourview", b"Subject: Harbourside"), dnsfunc=_dns(key))
    # One more From (or Subject) added on the way: oversigned, so the check fails.
    assert not dkim.verify(b"From: someone@else.example\r\n" + signed, dnsfunc=_dns(key))
    h = re.search(rb"h=([^;]+);", signed).group(1).decode()  # type: ignore[union-attr]
    assert h.split(":") == [
        "from", "from", "to", "subject", "subject", "date", "message-id", "mime-version", "content-type",
        "list-unsubscribe", "list-unsubscribe-post",
    ]


def test_the_body_hash_is_dkimpys() -> None:
    pem = RSA_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    reference = dkim.sign(MESSAGE, b"press2026", b"hvsp.example", pem, canonicalize=(b"relaxed", b"relaxed"))
    ours = DkimSigner("hvsp.example", "press2026", RSA_KEY).header(MESSAGE)
    bh = re.compile(rb"bh=([^;]+);")
    assert bh.search(ours).group(1) == bh.search(reference.replace(b"\r\n ", b"")).group(1)  # type: ignore[union-attr]


@settings(max_examples=300)
@given(st.lists(st.text(alphabet=" \tab.=\r\n", max_size=12), max_size=12))
def test_relaxed_body_is_rfc_6376s(lines: list[str]) -> None:
    # Every line ends with CRLF, as in every message handed to SMTP (DATA ends with one).
    body = "".join(line.replace("\r", "").replace("\n", "") + "\r\n" for line in lines).encode()
    assert relaxed_body(body) == Relaxed.canonicalize_body(body)


def test_data_form_is_signed_as_the_message_it_carries() -> None:
    signer = DkimSigner("hvsp.example", "press2026", RSA_KEY, clock=lambda: 1796500000.0)
    wire = prepare_data(MESSAGE)
    assert b"\r\n..a line" in wire
    assert signer.header(wire, stuffed=True) == signer.header(MESSAGE)


def _signing_workspace(tmp_path: Path, *, algorithm: str = "rsa") -> tuple[Path, Path]:
    ws = make_workspace(tmp_path)
    made = CliRunner().invoke(app, ["dkim", "keygen", "--selector", "press2026", "--algorithm", algorithm], obj=Env.for_test(cwd=ws))
    assert made.exit_code == ExitStatus.OK, made.output
    key = ws / ".pressctl" / "dkim" / "press2026.pem"
    assert "PRIVATE KEY" not in made.output and key.read_text().split("\n")[1] not in made.output
    assert public_txt(load_key(key, selector="press2026").key) in made.stdout
    config = ws / "pressctl.toml"
    config.write_text(config.read_text().replace(
        "[sender]\n", '[sender]\ndkim_key_file = ".pressctl/dkim/press2026.pem"\ndkim_selector = "press2026"\n', 1
    ))
    return ws, key


def test_every_message_of_a_send_is_signed(tmp_path: Path) -> None:
    ws, key = _signing_workspace(tmp_path)
    assert os.stat(key).st_mode & 0o777 == 0o600 and os.stat(key.parent).st_mode & 0o777 == 0o700
    release = write_release(ws)
    contacts = write_contacts(ws / "contacts" / "list.csv", 3)
    out = tmp_path / "preview"
    done = CliRunner().invoke(app, ["send", str(release), "-c", str(contacts), "--dry-run", "--out", str(out)], obj=Env.for_test(cwd=ws))
    assert done.exit_code == ExitStatus.OK, done.output
    emls = sorted((out / "messages").glob("*.eml"))
    assert len(emls) == 3
    signing = load_key(key, selector="press2026").key
    for eml in emls:
        data = eml.read_bytes()
        assert data.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=hvsp.example; s=press2026;")
        assert b"list-unsubscribe:list-unsubscribe-post" in data.partition(b"bh=")[0]
        assert dkim.verify(data, dnsfunc=_dns(signing))


def test_keygen_never_overwrites_a_key(tmp_path: Path) -> None:
    ws, key = _signing_workspace(tmp_path, algorithm="ed25519")
    before = key.read_bytes()
    again = CliRunner().invoke(app, ["dkim", "keygen", "--selector", "press2026"], obj=Env.for_test(cwd=ws))
    assert again.exit_code == ExitStatus.BAD_INPUT
    assert "exists already" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    assert key.read_bytes() == before


def test_a_key_others_can_read_is_refused_in_one_line(tmp_path: Path) -> None:
    ws, key = _signing_workspace(tmp_path)
    key.chmod(0o644)
    release = write_release(ws)
    contacts = write_contacts(ws / "contacts" / "list.csv", 1)
    done = CliRunner().invoke(app, ["send", str(release), "-c", str(contacts), "--dry-run"], obj=Env.for_test(cwd=ws))
    assert done.exit_code == ExitStatus.BAD_INPUT
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "can be read by others (mode 0644); a private key must be 0600" in lines[0]
    assert "PRIVATE" not in done.output and key.read_text().split("\n")[1] not in done.output


def test_a_key_file_without_a_selector_is_a_config_error(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    config = ws / "pressctl.toml"
    config.write_text(config.read_text().replace("[sender]\n", '[sender]\ndkim_key_file = "k.pem"\n', 1))
    done = CliRunner().invoke(app, ["domain", "check"], obj=Env.for_test(cwd=ws))
    assert done.exit_code == ExitStatus.BAD_INPUT
    assert "sender.dkim_key_file is set but sender.dkim_selector is not" in done.stderr
