"""The send engine driven against a test server: a campaign in a fresh ledger, one ``deliver`` run, the
statuses after. Shared by tests/test_send_engine.py, test_send_embargo_gate.py and test_send_reply_policy.py."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path

from smtp_server import SmtpTestServer, make_message

from pressctl.config.smtp import parse_smtp_url
from pressctl.ledger import Ledger
from pressctl.ledger.records import RecipientRow
from pressctl.model import OutgoingMessage
from pressctl.send.delivery import Delivery, DeliveryOptions, DeliveryResult
from pressctl.send.engine import deliver
from pressctl.send.smtp import SmtpTransport

__all__ = ["FAST", "committed_rows", "deliver_to", "make_campaign", "statuses_of"]

FAST = DeliveryOptions(concurrency=2, backoff=0.05, backoff_max=0.2, max_attempts=4)


def make_campaign(tmp_path: Path, addresses: list[str]) -> tuple[Ledger, int]:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    cid = ledger.campaigns.create(
        fingerprint="fp", release_path="launch.md", slug="launch", title="Launch", lists=["l.csv"], options={}
    ).id
    ledger.recipients.add(cid, [RecipientRow(key=a, email=a) for a in addresses])
    return ledger, cid


def deliver_to(
    server: SmtpTestServer,
    ledger: Ledger,
    cid: int,
    addresses: list[str],
    *,
    options: DeliveryOptions = FAST,
    timeout: float = 10.0,
    build: Callable[[str], OutgoingMessage] | None = None,
    **kwargs: object,
) -> DeliveryResult:
    transport = SmtpTransport(
        parse_smtp_url(server.url(query=f"timeout={timeout}")), sender="press@hvsp.example"
    )

    def plain(rcpt: str) -> OutgoingMessage:
        return make_message(rcpt)  # type: ignore[no-any-return]

    return asyncio.run(
        deliver(
            [Delivery(a, a) for a in addresses],
            build=build or plain,
            transport=transport,
            ledger=ledger,
            campaign_id=cid,
            options=options,
            rng=random.Random(1),
            **kwargs,  # type: ignore[arg-type]
        )
    )


def statuses_of(ledger: Ledger, cid: int) -> dict[str, str]:
    return {r.key: r.status for r in ledger.recipients.all(cid)}


def committed_rows(path: Path) -> dict[str, tuple[str, str | None]]:
    """Every recipient row's (status, message_id) as committed: read through a connection of its own (what
    a ``kill -9`` of the sender would leave)."""
    db = sqlite3.connect(path, timeout=30)
    try:
        return {k: (s, m) for k, s, m in db.execute("SELECT key, status, message_id FROM recipients")}
    finally:
        db.close()
