"""The send engine against a real aiosmtpd server on 127.0.0.1: outcomes, retries, reuse, rate, embargo gate."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from pathlib import Path

import pytest
from engine_support import FAST, deliver_to, make_campaign, statuses_of
from smtp_server import SmtpTestServer, make_message

from pressctl.config.smtp import parse_smtp_url
from pressctl.errors import TransportError
from pressctl.relays.actions import Outcome
from pressctl.send.delivery import Delivery, DeliveryOptions
from pressctl.send.engine import deliver
from pressctl.send.pacing import Rate
from pressctl.send.smtp import SmtpTransport


def test_everyone_once_over_reused_connections(tmp_path: Path) -> None:
    addresses = [f"reporter{i}@news.example" for i in range(30)]
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer() as server:
        result = deliver_to(server, ledger, cid, addresses, options=DeliveryOptions(concurrency=3, reconnect_after=7))
    assert result.sent == 30 and result.failed == 0 and result.stopped is None
    assert sorted(m.rcpt for m in server.messages) == sorted(addresses)
    # 3 connections, each renewed after 7 messages: 30 messages need 5-6 connections, not 30.
    assert 3 <= server.connections <= 8
    records = list(ledger.recipients.all(cid))
    assert all(r.status == "sent" and r.attempts == 1 and "queued as" in r.last_reply for r in records)
    assert all(r.last_code == 250 for r in records)
    # Already-CRLF data with a leading dot arrives intact (dot-stuffing undone by the server).
    assert b"\r\n.a line that starts with a dot\r\n" in server.messages[0].data


def test_transient_faults_are_retried_with_the_same_message_id(tmp_path: Path) -> None:
    addresses = ["busy@news.example", "closing@news.example", "later@news.example", "ok@news.example"]
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer() as server:
        server.script("busy@news.example", "450", "452", "250")
        server.script("closing@news.example", "421")
        server.script("later@news.example", "data:451")
        result = deliver_to(server, ledger, cid, addresses)
    assert result.sent == 4 and result.failed == 0
    assert server.attempts("busy@news.example") == 3
    assert sorted(m.rcpt for m in server.accepted) == sorted(addresses)
    by = {r.key: r for r in ledger.recipients.all(cid)}
    assert by["busy@news.example"].attempts == 3 and by["closing@news.example"].attempts == 2
    assert by["later@news.example"].status == "sent"


def test_connection_lost_after_data_is_unknown_then_resent_same_id(tmp_path: Path) -> None:
    addresses = ["dropped@news.example", "slow@news.example", "ok@news.example"]
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer() as server:
        server.script("dropped@news.example", "drop-after-data")
        server.script("slow@news.example", "slow:1.5")  # longer than the client's 0.5 s timeout
        result = deliver_to(server, ledger, cid, addresses, timeout=0.5)
    assert result.sent == 3 and result.repeated == 2
    copies = [m for m in server.messages if m.rcpt == "dropped@news.example"]
    assert len(copies) == 2 and copies[0].message_id == copies[1].message_id != ""
    # The timed-out attempt was abandoned by the server when the client hung up; the retry went through.
    assert server.attempts("slow@news.example") == 2
    slow = ledger.recipients.get(cid, "slow@news.example")
    assert slow is not None and slow.status == "sent" and slow.attempts == 2
    rec = ledger.recipients.get(cid, "dropped@news.example")
    assert rec is not None and rec.status == "sent" and rec.attempts == 2


def test_permanent_failure_and_bounce(tmp_path: Path) -> None:
    addresses = ["gone@news.example", "full@news.example", "ok@news.example"]
    ledger, cid = make_campaign(tmp_path, addresses)
    bounced: list[tuple[str, Outcome]] = []
    with SmtpTestServer() as server:
        server.script("gone@news.example", "550")
        server.script("full@news.example", "552")  # 5.2.2 mailbox full: soft (bounce_class), tried again
        result = deliver_to(server, ledger, cid, addresses, on_bounce=lambda a, o: bounced.append((a, o)), options=FAST)
        assert server.attempts("full@news.example") == 2
    assert result.sent == 2 and result.failed == 1
    assert [a for a, _ in bounced] == ["gone@news.example"] == result.bounced
    gone = ledger.recipients.get(cid, "gone@news.example")
    assert gone is not None and gone.status == "failed" and gone.last_code == 550
    assert "5.1.1" in gone.last_reply and gone.attempts == 1
    assert statuses_of(ledger, cid)["full@news.example"] == "sent"


def test_retries_give_up_after_max_attempts(tmp_path: Path) -> None:
    ledger, cid = make_campaign(tmp_path, ["busy@news.example"])
    with SmtpTestServer(default="451") as server:
        result = deliver_to(server, ledger, cid, ["busy@news.example"], options=FAST)
    assert result.failed == 1 and server.attempts("busy@news.example") == FAST.max_attempts
    rec = ledger.recipients.get(cid, "busy@news.example")
    assert rec is not None and rec.status == "failed" and rec.last_code == 451


def test_policy_refusal_stops_the_run_and_keeps_the_rest_pending(tmp_path: Path) -> None:
    addresses = [f"r{i}@news.example" for i in range(10)]
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer(default="554") as server:
        result = deliver_to(server, ledger, cid, addresses, options=DeliveryOptions(concurrency=1))
    assert result.stopped is not None and "5.7.1" in result.stopped and "resume" in result.stopped
    assert result.sent == 0
    assert set(statuses_of(ledger, cid).values()) == {"pending"}
    assert server.attempts("r0@news.example") == 1 and server.attempts("r5@news.example") == 0


def test_a_run_of_failures_stops_instead_of_burning_the_list(tmp_path: Path) -> None:
    addresses = [f"r{i}@news.example" for i in range(40)]
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer(default="550") as server:
        result = deliver_to(
            server, ledger, cid, addresses, options=DeliveryOptions(concurrency=1, max_consecutive_failures=5)
        )
    assert result.stopped is not None and "5 messages in a row" in result.stopped
    assert result.failed == 5 and len(ledger.recipients.todo(cid)) == 35


def test_rate_is_never_exceeded(tmp_path: Path) -> None:
    addresses = [f"r{i}@news.example" for i in range(12)]
    ledger, cid = make_campaign(tmp_path, addresses)
    rate = Rate(20, 1.0)
    with SmtpTestServer() as server:
        server.script("r3@news.example", "450")  # a retry is a hand-over too: it takes a token
        deliver_to(server, ledger, cid, addresses, options=DeliveryOptions(concurrency=4, rate=rate, backoff=0.05))
    times = sorted(e.time for e in server.events if e.kind == "mail")
    assert len(times) == 13
    # Upper bound only (robust on a noisy machine): any 0.25 s window holds at most 5 (+1 for edges).
    for i, start in enumerate(times):
        assert len([t for t in times[i:] if t < start + 0.25]) <= 6
    assert times[-1] - times[0] >= 12 * rate.interval * 0.8


def test_batch_pauses(tmp_path: Path) -> None:
    addresses = [f"r{i}@news.example" for i in range(7)]
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer() as server:
        deliver_to(
            server, ledger, cid, addresses, options=DeliveryOptions(concurrency=2, batch_size=3, batch_pause=0.6)
        )
    times = sorted(m.time for m in server.messages)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps[2] >= 0.55 and gaps[5] >= 0.55  # a pause between batches
    # ...and only there: the two longest gaps are the batch boundaries (no bound on how fast a busy
    # machine sends within a batch; the pacer's own timing is tested on an injected clock in test_throttle).
    assert sorted(range(len(gaps)), key=gaps.__getitem__)[-2:] in ([2, 5], [5, 2]), gaps


def test_nothing_before_not_before_checked_at_each_hand_over(tmp_path: Path) -> None:
    addresses = [f"r{i}@news.example" for i in range(6)]
    ledger, cid = make_campaign(tmp_path, addresses)
    lift = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    looks: list[int] = []  # messages the server had at each look at the clock before the lift

    with SmtpTestServer() as server:

        def clock() -> dt.datetime:
            # The first looks say "a second before the lift" (no sleep on the real clock: the clock moves
            # when it is looked at), then it has lifted.
            if len(looks) < 4:
                looks.append(len(server.messages))
                return lift - dt.timedelta(seconds=1)
            return lift

        result = deliver_to(server, ledger, cid, addresses, clock=clock, not_before=lift)
    assert result.sent == 6
    assert looks == [0, 0, 0, 0]


def test_stop_event_finishes_in_flight_and_keeps_the_rest(tmp_path: Path) -> None:
    addresses = [f"r{i}@news.example" for i in range(20)]
    ledger, cid = make_campaign(tmp_path, addresses)
    stop = asyncio.Event()
    seen: list[int] = []

    def progress(p: object) -> None:
        seen.append(p.sent)  # type: ignore[attr-defined]
        if p.sent >= 3:  # type: ignore[attr-defined]
            stop.set()

    with SmtpTestServer() as server:
        result = deliver_to(
            server, ledger, cid, addresses, options=DeliveryOptions(concurrency=1, rate=Rate(50, 1.0)),
            stop=stop, progress=progress,
        )
    assert result.interrupted and 3 <= result.sent < 20
    statuses = statuses_of(ledger, cid)
    assert list(statuses.values()).count("sent") == result.sent == len(server.messages)
    assert "sending" not in statuses.values()


def test_unreachable_server_marks_nothing(tmp_path: Path) -> None:
    ledger, cid = make_campaign(tmp_path, ["a@news.example"])
    with SmtpTestServer() as server:
        port = server.port
    transport = SmtpTransport(parse_smtp_url(f"smtp://127.0.0.1:{port}"), sender="press@hvsp.example")
    with pytest.raises(TransportError, match=f"127.0.0.1:{port}"):
        asyncio.run(
            deliver(
                [Delivery("a@news.example", "a@news.example")],
                build=make_message,
                transport=transport,
                ledger=ledger,
                campaign_id=cid,
            )
        )
    assert statuses_of(ledger, cid) == {"a@news.example": "pending"}


def test_refused_sender_stops_and_suppresses_nobody(tmp_path: Path) -> None:
    addresses = [f"r{i}@news.example" for i in range(5)]
    ledger, cid = make_campaign(tmp_path, addresses)
    bounced: list[str] = []
    with SmtpTestServer(mail_reply="553 5.1.8 <press@hvsp.example>: sender domain not found") as server:
        result = deliver_to(server, ledger, cid, addresses, on_bounce=lambda a, o: bounced.append(a))
    assert result.stopped is not None and "sender press@hvsp.example refused" in result.stopped
    assert bounced == [] and result.failed == 0
    assert set(statuses_of(ledger, cid).values()) == {"pending"}
