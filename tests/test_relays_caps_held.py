"""A scheduled job that every relay's rolling daily cap holds back (several relays, issue 19 point 6): held until
the first relay has room again, from every relay's cap (``relays.adaptive.combine_caps``), then resumed by
itself through the relay that has room. Real send engine, two aiosmtpd servers on 127.0.0.1, a manual clock."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from schedule_support import EMBARGO, make_workspace
from smtp_server import SmtpTestServer

from pressctl.clock import ManualClock
from pressctl.ledger import Ledger
from pressctl.ledger.records import RecipientRow
from pressctl.relays.adaptive import CapPlan, combine_caps
from pressctl.schedule.dispatcher import Dispatcher
from pressctl.schedule.request import ScheduleRequest, open_store, schedule_release
from pressctl.send.scheduled import LedgerCampaignSender

DAY = dt.timedelta(hours=24)
HOUR = dt.timedelta(hours=1)


def _use_up(ledger_path: Path, account: str, count: int, at: dt.datetime) -> None:
    """``count`` hand-overs to ``account`` at ``at`` by another campaign (the relay's cap counts them)."""
    with Ledger(ledger_path, clock=lambda: at) as ledger:
        cid = ledger.campaigns.create(
            fingerprint="earlier", release_path="earlier.md", slug="earlier", title="Earlier", lists=[], options={}
        ).id
        keys = [f"earlier{i}@news.example" for i in range(count)]
        ledger.recipients.add(cid, [RecipientRow(key=k, email=k) for k in keys])
        for n, key in enumerate(keys):
            assert ledger.recipients.mark_sending(cid, key, f"<earlier.{n}@hvsp.example>", relay=account)
            ledger.recipients.mark_result(cid, key, status="sent", code=250, reply="ok")


def test_a_job_every_relays_cap_holds_resumes_when_the_first_relay_has_room(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")  # 11 journalists to send to; embargo 2030-03-12 10:00 HKT
    clock = ManualClock(EMBARGO - DAY)
    store = open_store(ws.ledger_path, clock=clock)
    engine = LedgerCampaignSender(ledger_path=ws.ledger_path, clock=clock)
    with SmtpTestServer() as a, SmtpTestServer() as b:
        # Relay B's account sent 3 for another campaign 20 hours before the lift: its cap of 3 frees at lift + 4 h.
        _use_up(ws.ledger_path, f"smtp://127.0.0.1:{b.port}", 3, EMBARGO - 20 * HOUR)
        request = ScheduleRequest(
            release=ws.root / "releases" / "sample.md",
            contacts=(ws.root / "contacts" / "journalists.csv",),
            options={"rate": "0", "smtp_urls": [a.url(), b.url()], "daily_cap": 3},
        )
        job_id = schedule_release(request, workspace=ws, store=store, engine=engine, clock=clock).id
        dispatcher = Dispatcher(store, engine=engine, clock=clock, waiter=clock)

        clock.now = EMBARGO
        events = dispatcher.run_once()
        assert [e.kind for e in events] == ["started", "held"], events
        job = store.get(job_id)
        # A took its 3; B had no room. The job waits for B (lift + 4 h), not for A (lift + 24 h).
        assert job.state == "held" and job.resume_at == EMBARGO + 4 * HOUR, job
        assert f"smtp://127.0.0.1:{a.port}" in job.held_reason and f"smtp://127.0.0.1:{b.port}" in job.held_reason
        assert "8 wait for the cap" in job.held_reason
        assert (len(a.accepted), len(b.accepted)) == (3, 0)

        clock.now = EMBARGO + 4 * HOUR
        events = dispatcher.run_once()
        assert [e.kind for e in events] == ["resumed", "held"], events
        assert (len(a.accepted), len(b.accepted)) == (3, 3)
        assert store.get(job_id).resume_at == EMBARGO + DAY  # now A frees first

        clock.now = EMBARGO + DAY
        assert [e.kind for e in dispatcher.run_once()] == ["resumed", "held"]
        clock.now = EMBARGO + DAY + 4 * HOUR
        assert [e.kind for e in dispatcher.run_once()] == ["resumed", "done"]
        rcpts = Counter(m.rcpt for m in [*a.accepted, *b.accepted])
    assert len(rcpts) == 11 and set(rcpts.values()) == {1}  # each journalist exactly once


def test_combine_caps_reads_several_relays_as_one() -> None:
    at = dt.datetime(2030, 3, 12, 2, tzinfo=dt.UTC)
    full = CapPlan(cap=3, used=3, now=0, pending=5, resume_at=at + 4 * HOUR)
    later = CapPlan(cap=3, used=1, now=2, pending=3, resume_at=at + DAY)
    both = combine_caps([full, later], 5)
    assert both == CapPlan(cap=6, used=4, now=2, pending=3, resume_at=at + 4 * HOUR)
    roomy = CapPlan(cap=10, used=0, now=5, pending=0, resume_at=None)
    assert combine_caps([full, roomy], 5) == CapPlan(cap=13, used=3, now=5, pending=0, resume_at=None)
    assert combine_caps([], 5) is None
