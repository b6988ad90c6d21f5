"""The ledger as the bounce store (pressctl.bounces.store.LedgerStore over a real ledger, in each store:
``ledger_store``): the rules of issue 12 that span rows and campaigns: soft bounces 3 in 90 days, delayed,
refused-at-send stays failed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pg_support import ledger_store, postgres

from pressctl.bounces.plan import Suppression
from pressctl.bounces.run import process_message
from pressctl.bounces.store import LedgerStore
from pressctl.ledger import Ledger
from pressctl.ledger.records import RecipientRow

__all__ = ["ledger_store", "postgres"]  # the fixtures, for pytest

T0 = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
ADDRESS = "kelly.so@harbourtimes.example"


def _dsn(n: int, message_id: str, *, action: str, status: str) -> bytes:
    return f"""\
From: MAILER-DAEMON@relay.hvsp.example (Mail Delivery System)
To: press@hvsp.example
Subject: Undelivered Mail Returned to Sender
Message-Id: <dsn-{n}@relay.hvsp.example>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Delivery to the following recipient was not possible.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.hvsp.example

Final-Recipient: rfc822; {ADDRESS}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {status.replace('.', '')[:3]} {status} mailbox unavailable

--B
Content-Type: text/rfc822-headers

From: HVSP Communications <press@hvsp.example>
To: {ADDRESS}
Message-ID: {message_id}

--B--
""".replace("\n", "\r\n").encode()


def _campaign(ledger: Ledger, n: int, *, status: str = "sent") -> str:
    c = ledger.campaigns.create(
        fingerprint=f"f{n}", release_path=f"releases/r{n}.md", slug=f"r{n}", title=f"Release {n}", lists=[], options={}
    )
    mid = f"<{n:032x}@hvsp.example>"
    ledger.recipients.add(c.id, [RecipientRow(key=ADDRESS, email=ADDRESS)])
    ledger.recipients.mark_sending(c.id, ADDRESS, mid)
    ledger.recipients.mark_result(c.id, ADDRESS, status=status, code=250 if status == "sent" else 550, reply="")
    return mid


def _handle(ledger: Ledger, raw: bytes, when: dt.datetime, suppressed: list[Suppression]) -> None:
    process_message("test", raw, LedgerStore(ledger), now=when, suppress=suppressed.append)


def test_three_soft_bounces_within_90_days_across_campaigns_suppress(ledger_store: Path | str) -> None:
    suppressed: list[Suppression] = []
    with Ledger(ledger_store) as ledger:
        mids = [_campaign(ledger, n) for n in (1, 2, 3, 4)]
        # the first is too old to count by the time of the fourth
        _handle(ledger, _dsn(1, mids[0], action="failed", status="4.2.2"), T0 - dt.timedelta(days=120), suppressed)
        _handle(ledger, _dsn(2, mids[1], action="failed", status="4.2.2"), T0 - dt.timedelta(days=30), suppressed)
        _handle(ledger, _dsn(3, mids[2], action="failed", status="4.4.7"), T0 - dt.timedelta(days=2), suppressed)
        assert suppressed == []
        for c in (1, 2, 3):
            record = ledger.recipients.get(c, ADDRESS)
            assert record is not None and (record.status, record.response) == ("sent", "soft-bounce")
        _handle(ledger, _dsn(4, mids[3], action="failed", status="4.2.2"), T0, suppressed)
        assert [s.address for s in suppressed] == [ADDRESS]
        assert "3 soft bounces within 90 days" in suppressed[0].reason
        assert len(ledger.inbound.soft_bounce_times(ADDRESS)) == 4
        # the same message again changes nothing
        _handle(ledger, _dsn(4, mids[3], action="failed", status="4.2.2"), T0, suppressed)
        assert len(suppressed) == 1 and len(ledger.inbound.soft_bounce_times(ADDRESS)) == 4


def test_delayed_is_recorded_and_suppresses_nobody(ledger_store: Path | str) -> None:
    suppressed: list[Suppression] = []
    with Ledger(ledger_store) as ledger:
        mid = _campaign(ledger, 1)
        _handle(ledger, _dsn(1, mid, action="delayed", status="4.4.1"), T0, suppressed)
        record = ledger.recipients.get(1, ADDRESS)
        assert record is not None and (record.status, record.response, record.bounce_code) == ("sent", "delayed", "4.4.1")
        assert suppressed == [] and ledger.inbound.soft_bounce_times(ADDRESS) == []


def test_a_hard_bounce_marks_bounced_counts_as_final_and_a_refused_row_stays_failed(ledger_store: Path | str) -> None:
    suppressed: list[Suppression] = []
    with Ledger(ledger_store) as ledger:
        sent = _campaign(ledger, 1)
        refused = _campaign(ledger, 2, status="failed")
        _handle(ledger, _dsn(1, sent, action="failed", status="5.1.1"), T0, suppressed)
        _handle(ledger, _dsn(2, refused, action="failed", status="5.1.1"), T0, suppressed)
        first, second = ledger.recipients.get(1, ADDRESS), ledger.recipients.get(2, ADDRESS)
        assert first is not None and (first.status, first.response, first.bounce_code) == ("bounced", "bounced", "5.1.1")
        assert first.response_at is not None and "5.1.1" in first.response_detail
        assert second is not None and (second.status, second.response) == ("failed", "bounced")
        assert [s.address for s in suppressed] == [ADDRESS, ADDRESS]  # the CSV append is idempotent
        assert ledger.recipients.totals(1)["bounced"] == 1 and ledger.recipients.count_todo(1) == 0
        assert ADDRESS in ledger.recipients.done_keys(1)
        assert ledger.inbound.latest_for(ADDRESS) is not None
        assert {r.campaign_id for r in ledger.inbound.needs_attention()} == {1, 2}
        assert [r.campaign_id for r in ledger.inbound.needs_attention(2)] == [2]
