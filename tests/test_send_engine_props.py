"""Property test of the engine's bookkeeping with a scripted in-memory transport (no sockets, fast).

For any mix of outcomes per recipient and attempt: the ledger's attempts equal the hand-overs, nobody gets
more than ``max_attempts``, the final status follows the script, nothing is left ``sending``, and a
recipient receives a second copy only after an "unknown" outcome, always with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from smtp_server import make_message

from pressctl.ledger import Ledger
from pressctl.ledger.records import RecipientRow
from pressctl.model import OutgoingMessage
from pressctl.relays.replies import Reply
from pressctl.send.delivery import Delivery, DeliveryOptions
from pressctl.send.engine import deliver

_OUTCOMES = {  # what the relay says (read by pressctl.relays as: sent, retry, retry, unknown, failed)
    "sent": Reply(250, "2.0.0 queued", "data"),
    "busy": Reply(451, "4.3.0 try later", "rcpt"),
    "bye": Reply(421, "4.3.2 closing", "rcpt", closed=True),
    "lost": Reply(None, "connection lost after data", "data", error="ConnectionResetError", closed=True),
    "gone": Reply(550, "5.1.1 no such user", "rcpt"),
}


class _Server:
    def __init__(self, scripts: dict[str, list[str]]) -> None:
        self.scripts = scripts
        self.handovers: dict[str, int] = defaultdict(int)
        self.delivered: dict[str, list[str]] = defaultdict(list)


class _Conn:
    profile = None

    def __init__(self, server: _Server) -> None:
        self.server = server
        self.usable = True

    async def send(self, message: OutgoingMessage) -> Reply:
        s = self.server
        n = s.handovers[message.recipient]
        s.handovers[message.recipient] += 1
        script = s.scripts[message.recipient]
        name = script[n] if n < len(script) else "sent"
        await asyncio.sleep(0)
        if name in ("sent", "lost"):  # "lost": the server has it, the client never heard
            s.delivered[message.recipient].append(message.message_id)
        reply = _OUTCOMES[name]
        if reply.closed:
            self.usable = False
        return reply

    async def close(self) -> None:
        self.usable = False


class _Transport:
    description = "scripted"
    is_local = False

    def __init__(self, server: _Server) -> None:
        self.server = server

    async def open(self) -> _Conn:
        return _Conn(self.server)


@settings(max_examples=40, deadline=None)
@given(
    scripts=st.lists(st.lists(st.sampled_from(sorted(_OUTCOMES)), max_size=5), min_size=1, max_size=12),
    concurrency=st.integers(1, 4),
    max_attempts=st.integers(1, 4),
)
def test_bookkeeping_follows_the_script(scripts: list[list[str]], concurrency: int, max_attempts: int) -> None:
    addresses = [f"r{i}@news.example" for i in range(len(scripts))]
    server = _Server(dict(zip(addresses, scripts, strict=True)))
    options = DeliveryOptions(
        concurrency=concurrency, max_attempts=max_attempts, backoff=0.001, backoff_max=0.002,
        max_consecutive_failures=0,
    )
    with tempfile.TemporaryDirectory() as tmp, Ledger(Path(tmp) / "l.db") as ledger:
        cid = ledger.campaigns.create(
            fingerprint="f", release_path="r", slug="s", title="t", lists=[], options={}
        ).id
        ledger.recipients.add(cid, [RecipientRow(key=a, email=a) for a in addresses])
        result = asyncio.run(
            deliver(
                [Delivery(a, a) for a in addresses], build=make_message, transport=_Transport(server),
                ledger=ledger, campaign_id=cid, options=options, rng=random.Random(0),
            )
        )
        records = {r.key: r for r in ledger.recipients.all(cid)}
    assert result.stopped is None
    for address, script in zip(addresses, scripts, strict=True):
        rec = records[address]
        tries = server.handovers[address]
        assert rec.attempts == tries <= max_attempts
        padded = [*script, *["sent"] * max_attempts][:max_attempts]
        final = next((i for i, name in enumerate(padded) if name in ("sent", "gone")), None)
        if final is not None:
            assert tries == final + 1
            assert rec.status == ("sent" if padded[final] == "sent" else "failed")
        else:  # out of tries on temporary trouble
            assert tries == max_attempts
            assert rec.status == ("unknown" if padded[-1] == "lost" else "failed")
        copies = server.delivered[address]
        assert len(copies) <= 1 + padded[:tries].count("lost")
        assert len(set(copies)) <= 1  # every copy carries the same Message-ID
        assert rec.status != "sending"
