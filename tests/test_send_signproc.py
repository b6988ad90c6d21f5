"""DKIM signatures made in a child process (``pressctl.send.signproc``, ``pressctl.dkim.worker``): the same
bytes a thread makes, every message of a real ``pressctl send`` of many signed and committed ``sending``
before its bytes leave, the child's environment and arguments free of secrets, and a child that cannot start
or dies mid-send costs nothing but speed."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import threading
from email.parser import BytesHeaderParser
from pathlib import Path

import dkim
import pytest
from engine_support import committed_rows
from send_support import (
    PRESSCTL,
    assert_repeats_at_most_in_flight,
    make_workspace,
    run_cli,
    write_contacts,
    write_release,
)
from smtp_server import SmtpTestServer
from typer.testing import CliRunner
from wait_support import wait_for

import pressctl.send.signproc as signproc
from pressctl.cli import app
from pressctl.cli._env import Env
from pressctl.config import load_workspace
from pressctl.dkim.keys import load_key, public_txt
from pressctl.dkim.worker import encode_job, encode_piece
from pressctl.errors import ExitStatus
from pressctl.model import OutgoingMessage
from pressctl.send.messages import MessageFactory
from pressctl.send.options import SendOptions
from pressctl.send.plan import plan_send
from pressctl.send.signproc import PROCESS_FROM, SigningProcess

WORKER = "pressctl.dkim.worker"


def _signing_workspace(tmp_path: Path, algorithm: str = "rsa") -> tuple[Path, Path]:
    ws = make_workspace(tmp_path)
    made = CliRunner().invoke(
        app, ["dkim", "keygen", "--selector", "press2026", "--algorithm", algorithm], obj=Env.for_test(cwd=ws)
    )
    assert made.exit_code == ExitStatus.OK, made.output
    config = ws / "pressctl.toml"
    config.write_text(config.read_text().replace(
        "[sender]\n", '[sender]\ndkim_key_file = ".pressctl/dkim/press2026.pem"\ndkim_selector = "press2026"\n', 1
    ))
    return ws, ws / ".pressctl" / "dkim" / "press2026.pem"


def _workers(parent: int | None = None) -> list[int]:
    """The pids of signing children (of ``parent`` only, when given: the suite may run in parallel)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if WORKER.encode() in cmdline and (parent is None or ppid == parent):
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_send_of_many_signs_in_the_child_every_row_committed_first_and_no_secret_reaches_it(tmp_path: Path) -> None:
    ws, key = _signing_workspace(tmp_path)
    release = write_release(ws)
    count = PROCESS_FROM + 20
    contacts = write_contacts(ws / "contacts" / "list.csv", count)
    ledger = ws / ".pressctl" / "ledger.sqlite3"
    seen: list[tuple[str, str, str | None, str]] = []
    children: dict[int, tuple[bytes, bytes]] = {}
    lock = threading.Lock()

    def on_data(rcpt: str, data: bytes) -> None:
        row = committed_rows(ledger)[rcpt]
        with lock:
            seen.append((rcpt, row[0], row[1], str(BytesHeaderParser().parsebytes(data)["Message-ID"])))
            for pid in _workers(parent=sending[0] if sending else None):
                if pid not in children:
                    with_proc = Path(f"/proc/{pid}")
                    children[pid] = ((with_proc / "environ").read_bytes(), (with_proc / "cmdline").read_bytes())

    sending: list[int] = []  # the pressctl process (its children are the ones looked at)
    secrets = {"PRESSCTL_SMTP_PASSWORD": "pw-7f3a9c1e", "NEWSDESK_RELAY_PASSWORD": "pw-b2d4e6f8", "GH_TOKEN": "tk-123456"}
    with SmtpTestServer() as server:
        server.on_data = on_data
        args = ["send", str(release), "-c", str(contacts), "--smtp", server.url(), "--yes", "--concurrency", "3"]
        env = {k: v for k, v in os.environ.items() if k != "PRESSCTL_SMTP_PASSWORD"}
        proc = subprocess.Popen(
            [*PRESSCTL, *args], cwd=ws, env={**env, **secrets, "COLUMNS": "200"}, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )
        sending.append(proc.pid)
        out, err = proc.communicate(timeout=120)
        done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
        assert done.returncode == 0, done.stderr + done.stdout
        assert f"campaign #1: {count} sent" in done.stdout
        messages = server.messages
    assert len(messages) == count == len({m.rcpt for m in messages}) == len({m.message_id for m in messages})
    record = public_txt(load_key(key, selector="press2026").key).encode()
    for message in messages:
        assert message.data.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=hvsp.example;")
        assert dkim.verify(message.data, dnsfunc=lambda name, timeout=5: record), message.rcpt
    for rcpt, status, msgid, wire_id in seen:
        assert status == "sending" and msgid == wire_id, rcpt  # committed, with its Message-ID, before the bytes
    # The signatures were made in the child; it got neither a secret nor the key in its environment or
    # arguments, and it is gone with the send.
    assert children, "no signing process ran"
    pem = key.read_bytes()
    for environ, cmdline in children.values():
        names = {item.split(b"=", 1)[0].decode() for item in environ.split(b"\0") if item}
        assert names <= {"PATH", "PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT"}
        for value in secrets.values():
            assert value.encode() not in environ and value.encode() not in cmdline
        assert pem[40:80] not in environ and pem[40:80] not in cmdline
        assert cmdline.split(b"\0")[1:4] == [b"-P", b"-m", WORKER.encode()]
    assert not any(_alive(pid) for pid in children)


def _factory(tmp_path: Path, algorithm: str) -> tuple[MessageFactory, list[object]]:
    ws, _ = _signing_workspace(tmp_path, algorithm)
    for name in ("sample.md", "sample.zh-HK.md"):  # the scaffold's: EN + zh-HK, a photo, the PDF attached
        path = ws / "releases" / name
        path.write_text("".join(x for x in path.read_text().splitlines(True) if not x.startswith("embargo:")))
    contacts = write_contacts(
        ws / "contacts" / "list.csv", 30, extra=[["r.zh@news.example", "嘉明", "黃", "明點日報", ]]
    )
    plan = plan_send(ws / "releases" / "sample.md", [contacts], workspace=load_workspace(ws), options=SendOptions())
    factory = plan.factory("c1", wire=True)
    assert factory._signer is not None
    factory._signer = dataclasses.replace(factory._signer, clock=lambda: 1_790_000_000.0)  # one t= for both
    factory._date_line = b"Date: Sat, 21 Sep 2026 10:00:00 +0800\r\n"  # and one Date
    return factory, list(plan.contacts.selected)


def _sign_all(
    factory: MessageFactory, contacts: list[object], *, kill_after: int | None = None, how: int = signal.SIGKILL
) -> tuple[list[OutgoingMessage], SigningProcess]:
    async def run() -> tuple[list[OutgoingMessage], SigningProcess]:
        with SigningProcess(factory) as process:
            await process.open()
            futures: list[asyncio.Future[OutgoingMessage]] = []
            for n, contact in enumerate(contacts):
                if n == kill_after and process.pid is not None:
                    await asyncio.wait(futures[: n - 4])  # those signed in the child; the last few in its work
                    os.kill(process.pid, how)
                    await asyncio.sleep(0.2)  # the loop sees the pipe close
                futures.append(process.begin(factory.build(contact, sign=False)))  # type: ignore[arg-type]
                await asyncio.sleep(0)
            return list(await asyncio.gather(*futures)), process

    return asyncio.run(run())


@pytest.mark.parametrize("algorithm", ["rsa", "ed25519"])
def test_the_child_signs_byte_for_byte_as_this_process_would(tmp_path: Path, algorithm: str) -> None:
    factory, contacts = _factory(tmp_path, algorithm)
    wholes = [factory.build(c).data for c in contacts]  # type: ignore[arg-type]
    signed, process = _sign_all(factory, contacts)
    assert [m.data for m in signed] == wholes
    assert process.fell_back == 0 and not factory._to_sign


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGSTOP], ids=["dies", "stuck"])
def test_a_child_that_dies_or_sticks_mid_send_leaves_no_message_unsigned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: int
) -> None:
    monkeypatch.setattr(signproc, "STALL", 0.5)  # (10 s in a send)
    factory, contacts = _factory(tmp_path, "rsa")
    wholes = [factory.build(c).data for c in contacts]  # type: ignore[arg-type]
    signed, process = _sign_all(factory, contacts, kill_after=12, how=how)
    assert [m.data for m in signed] == wholes  # in order, each signed: here once the child was gone
    assert len(contacts) - 12 <= process.fell_back <= len(contacts) - 8  # what it had in work, and the rest
    assert not _workers(parent=os.getpid())  # a stuck child was killed, not left behind


def test_a_child_that_cannot_start_leaves_the_signing_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signproc, "spawn_worker", lambda module: None)
    factory, contacts = _factory(tmp_path, "rsa")
    wholes = [factory.build(c).data for c in contacts]  # type: ignore[arg-type]
    signed, process = _sign_all(factory, contacts)
    assert [m.data for m in signed] == wholes and process.fell_back == len(contacts)


def test_the_frames_carry_shared_pieces_once_and_personal_ones_inline() -> None:
    from pressctl.dkim.worker import _decode_job

    shared = [b"", b"--b\r\nContent-Type: text/plain\r\n\r\n"]
    assert encode_piece(1, shared[1])[:5] == b"P" + (4 + len(shared[1])).to_bytes(4, "little")
    frame = encode_job(1_790_000_000, b"From: a@b\r\nTo: c@d", [1, b"Dear Amy,\r\n", 1])
    assert frame[:1] == b"S" and int.from_bytes(frame[1:5], "little") == len(frame) - 5
    t, head, pieces = _decode_job(frame[5:], shared)
    assert (t, head) == (1_790_000_000, b"From: a@b\r\nTo: c@d")
    assert pieces == ((shared[1], True), (b"Dear Amy,\r\n", False), (shared[1], True))
    assert pieces[0][0] is shared[1] and pieces[2][0] is shared[1]  # the same object: relaxed once


@pytest.mark.slow
def test_kill_9_of_a_signed_send_leaves_no_child_and_the_rerun_repeats_at_most_the_in_flight(tmp_path: Path) -> None:
    ws, key = _signing_workspace(tmp_path)
    release = write_release(ws)
    count = 400
    contacts = write_contacts(ws / "contacts" / "list.csv", count)
    with SmtpTestServer() as server:
        args = ["send", str(release), "-c", str(contacts), "--smtp", server.url(), "--yes", "--concurrency", "3"]
        proc = subprocess.Popen([*PRESSCTL, *args], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: len(server.messages) >= 150 or proc.poll() is not None, 60, every=0.001)
        (child,) = _workers(parent=proc.pid)  # the send signs in its child
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        wait_for(lambda: not _alive(child), 10)  # its input closed with the send: the child ends too
        assert 150 <= len(server.messages) < count
        rerun = run_cli(args, cwd=ws)
        assert rerun.returncode == 0, rerun.stderr + rerun.stdout
        messages = server.messages
    assert_repeats_at_most_in_flight(messages, count, in_flight=3)  # 3 connections
    record = public_txt(load_key(key, selector="press2026").key).encode()
    assert all(dkim.verify(m.data, dnsfunc=lambda name, timeout=5: record) for m in messages)
