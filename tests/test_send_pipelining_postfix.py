"""PIPELINING against a real Postfix smtpd (it offers it; aiosmtpd does not): ``pressctl send`` end to end,
and the refusal path (Postfix's own 554 to DATA after a refused RCPT) on the pipelined connection."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import make_message

from pressctl.config.smtp import parse_smtp_url
from pressctl.relays.replies import Reply
from pressctl.send import pipelining
from pressctl.send.smtp import SmtpTransport

if TYPE_CHECKING:
    from postfix_support import PostfixRelay

pytestmark = pytest.mark.slow
pytest_plugins = ["postfix_support"]  # the postfix_relay fixture


def test_pressctl_send_to_postfix_pipelined_all_delivered_with_the_ledgers_message_ids(
    tmp_path: Path, postfix_relay: Callable[..., PostfixRelay]
) -> None:
    count = 6
    relay = postfix_relay(mailboxes=tuple(f"reporter{i:05d}" for i in range(count)))
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    contacts = write_contacts(ws / "contacts" / "list.csv", count, domain=relay.domain)
    sent = run_cli(
        ["send", str(release), "-c", str(contacts), "--smtp", relay.url, "--yes", "--concurrency", "2"],
        cwd=ws, timeout=120,
    )
    assert sent.returncode == 0, sent.stdout + sent.stderr
    relay.wait_delivered(expect=lambda: all(relay.maildir(f"reporter{i:05d}") for i in range(count)))
    report = json.loads(run_cli(["report", "--format", "json"], cwd=ws).stdout)
    rows = {r["email"]: r for r in report["recipients"]}
    assert len(rows) == count and {r["status"] for r in rows.values()} == {"sent"}
    for i in range(count):
        (got,) = relay.messages(f"reporter{i:05d}")
        assert got["Message-ID"] == rows[relay.address(f"reporter{i:05d}")]["message_id"]


def test_a_refused_recipient_on_a_pipelined_postfix_connection(postfix_relay: Callable[..., PostfixRelay]) -> None:
    relay = postfix_relay()

    async def go() -> tuple[bool, Reply, Reply, Reply]:
        transport = SmtpTransport(parse_smtp_url(relay.url), sender="press@hvsp.test")
        connection = await transport.open()
        piped = pipelining.installed(connection._client) is not None  # type: ignore[attr-defined]
        piped = piped and connection._client.supports_extension("pipelining")  # type: ignore[attr-defined]
        first = await connection.send(transport.prepare(make_message(relay.address("editor"))))
        denied = await connection.send(transport.prepare(make_message("someone@elsewhere.test")))
        after = await connection.send(transport.prepare(make_message(relay.address("newsdesk"))))
        await connection.close()
        return piped, first, denied, after

    piped, first, denied, after = asyncio.run(go())
    assert piped
    assert first.code == 250 and first.stage == "data"
    # Postfix answers the pipelined DATA with 554 5.5.1 (no valid recipients): the RCPT refusal is reported.
    assert (denied.code, denied.stage, denied.closed) == (554, "rcpt", False)
    assert denied.text == "5.7.1 <someone@elsewhere.test>: Relay access denied"
    assert after.code == 250 and after.stage == "data"  # the connection goes on
    relay.wait_delivered(expect=lambda: bool(relay.maildir("editor")) and bool(relay.maildir("newsdesk")))
    assert len(relay.maildir("editor")) == 1 and len(relay.maildir("newsdesk")) == 1
