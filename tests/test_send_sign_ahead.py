"""DKIM signatures made on worker threads ahead of the sockets (issue 19 "speed back", second pass;
``pressctl.send.ahead``): every message of a real ``pressctl send`` is signed and verifies, each row is still
committed ``sending`` with the Message-ID the server gets before the bytes arrive, the signing ran off the
event loop's thread, in order, and one message whose finishing fails fails alone."""

from __future__ import annotations

import dataclasses
import threading
from email.parser import BytesHeaderParser
from pathlib import Path

import dkim
import pytest
from engine_support import committed_rows, deliver_to, make_campaign, statuses_of
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer, make_message
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._env import Env
from pressctl.config import load_workspace
from pressctl.dkim.canon import relaxed_lines
from pressctl.dkim.keys import load_key, public_txt
from pressctl.errors import ContactsError, ExitStatus
from pressctl.model import OutgoingMessage
from pressctl.send.delivery import DeliveryOptions
from pressctl.send.options import SendOptions
from pressctl.send.plan import plan_send
from pressctl.send.wire import WireData


def _signing_workspace(tmp_path: Path) -> tuple[Path, Path]:
    ws = make_workspace(tmp_path)
    made = CliRunner().invoke(app, ["dkim", "keygen", "--selector", "press2026"], obj=Env.for_test(cwd=ws))
    assert made.exit_code == ExitStatus.OK, made.output
    config = ws / "pressctl.toml"
    config.write_text(config.read_text().replace(
        "[sender]\n", '[sender]\ndkim_key_file = ".pressctl/dkim/press2026.pem"\ndkim_selector = "press2026"\n', 1
    ))
    return ws, ws / ".pressctl" / "dkim" / "press2026.pem"


def test_a_signed_send_signs_every_message_and_commits_each_row_first(tmp_path: Path) -> None:
    ws, key = _signing_workspace(tmp_path)
    release = write_release(ws)
    contacts = write_contacts(ws / "contacts" / "list.csv", 40)
    ledger = ws / ".pressctl" / "ledger.sqlite3"
    seen: list[tuple[str, str, str | None, str]] = []
    lock = threading.Lock()

    def on_data(rcpt: str, data: bytes) -> None:
        row = committed_rows(ledger)[rcpt]
        with lock:
            seen.append((rcpt, row[0], row[1], str(BytesHeaderParser().parsebytes(data)["Message-ID"])))

    with SmtpTestServer() as server:
        server.on_data = on_data
        args = ["send", str(release), "-c", str(contacts), "--smtp", server.url(), "--yes", "--concurrency", "3"]
        done = run_cli(args, cwd=ws)
        assert done.returncode == 0, done.stderr + done.stdout
        assert "campaign #1: 40 sent" in done.stdout
        again = run_cli(args, cwd=ws)
        assert again.returncode == 0 and "40 already sent, 0 left" in again.stdout, again.stderr
        messages = server.messages
    assert len(messages) == 40 == len({m.rcpt for m in messages}) == len({m.message_id for m in messages})
    record = public_txt(load_key(key, selector="press2026").key).encode()
    for message in messages:
        assert message.data.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=hvsp.example;")
        assert dkim.verify(message.data, dnsfunc=lambda name, timeout=5: record), message.rcpt
    assert len(seen) == 40
    for rcpt, status, msgid, wire_id in seen:
        assert status == "sending" and msgid == wire_id, rcpt  # committed, with its Message-ID, before the bytes


def test_finishing_runs_on_worker_threads_in_order_and_a_failure_fails_that_one_alone(tmp_path: Path) -> None:
    addresses = [f"r{i:03d}@news.example" for i in range(30)]
    ledger, cid = make_campaign(tmp_path, addresses)
    threads: set[str] = set()
    loop_thread = threading.current_thread().name

    def finish(message: OutgoingMessage) -> OutgoingMessage:
        threads.add(threading.current_thread().name)
        if message.recipient == "r007@news.example":
            raise ContactsError("this one cannot be signed")
        return OutgoingMessage(
            recipient=message.recipient, message_id=message.message_id, language=message.language,
            data=b"X-Finished: yes\r\n" + message.data,
        )

    with SmtpTestServer() as server:
        result = deliver_to(
            server, ledger, cid, addresses, options=DeliveryOptions(concurrency=1), finish=finish,
            build=lambda rcpt: make_message(rcpt),
        )
        messages = server.messages
    assert result.sent == 29 and result.failed == 1
    assert [m.rcpt for m in messages] == [a for a in addresses if a != "r007@news.example"]  # in order
    assert all(m.data.startswith(b"X-Finished: yes\r\n") for m in messages)
    assert threads and loop_thread not in threads and all(t.startswith("pressctl-sign") for t in threads)
    statuses = statuses_of(ledger, cid)
    assert statuses.pop("r007@news.example") == "failed" and set(statuses.values()) == {"sent"}
    assert not [t for t in threading.enumerate() if t.name.startswith("pressctl-sign")]  # the pool ended
    ledger.close()


BLANKS = """\
---
title: Harbourview Science Park Opens Its  Seawater Laboratory
date: 2026-11-20
language: en
summary: "Two  blanks there."
---
Two  blanks and\ta tab in a line every reader shares.\x20\x20
Dear {{ first_name or "editor" }},\tthe  laboratory opens on Monday.\x20

    an indented line  with   runs of blanks
\tand a tab first, then the line ends with a blank\x20
"""


@pytest.mark.parametrize("release_name", ["fellows", "sample", "blanks"])
def test_signing_from_pieces_gives_the_bytes_signing_the_whole_message_gives(tmp_path: Path, release_name: str) -> None:
    ws, _ = _signing_workspace(tmp_path)
    if release_name == "sample":  # the scaffold's: EN + zh-HK, a photo, the PDF attached
        for name in ("sample.md", "sample.zh-HK.md"):
            path = ws / "releases" / name
            path.write_text("".join(x for x in path.read_text().splitlines(True) if not x.startswith("embargo:")))
        release = ws / "releases" / "sample.md"
    elif release_name == "blanks":  # lines relaxed canonicalisation rewrites, shared and personal
        release = ws / "releases" / "blanks.md"
        release.write_text(BLANKS, encoding="utf-8")
    else:
        release = write_release(ws)
    contacts = write_contacts(ws / "contacts" / "list.csv", 6, extra=[["r.zh@news.example", "嘉明", "黃", "明點日報"]])
    plan = plan_send(release, [contacts], workspace=load_workspace(ws), options=SendOptions())
    factory = plan.factory("c1", wire=True)
    assert factory.signs
    factory._signer = dataclasses.replace(factory._signer, clock=lambda: 1_790_000_000.0)  # one t= for both
    for contact in plan.contacts.selected:
        whole = factory.build(contact)  # signed over the whole message, as before
        pieces = factory.build(contact, sign=False)
        assert type(pieces.data) is WireData and pieces.message_id in factory._to_sign  # left for sign()
        if release_name == "blanks":  # the shared lines to rewrite are in pieces relaxed once
            _head, body = factory._to_sign[pieces.message_id]
            assert any(shared and relaxed_lines(piece) != piece for piece, shared in body)
            assert any(not shared and relaxed_lines(piece) != piece for piece, shared in body)
        assert factory.sign(pieces).data == whole.data, contact.email
    assert not factory._to_sign  # nothing left behind

