"""The two-sided embargo gate at each hand-over (``pressctl.embargo.HandoverGate``), on an injected clock
and a real aiosmtpd server on 127.0.0.1, and the embargo decisions that now live in one module."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from engine_support import deliver_to, make_campaign, statuses_of
from smtp_server import SmtpTestServer

from pressctl.embargo import (
    HandoverGate,
    check_publish_now,
    check_run_now,
    check_send_now,
    lift_time,
    under_embargo,
)
from pressctl.errors import EmbargoError
from pressctl.send.delivery import DeliveryOptions
from pressctl.times import format_local

LIFT = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)  # 10:00 in Hong Kong
HK = ZoneInfo("Asia/Hong_Kong")


def _show(when: dt.datetime) -> str:
    return format_local(when, HK)


def test_an_advance_copy_run_stops_at_the_lift_and_leaves_the_rest_pending(tmp_path: Path) -> None:
    addresses = [f"r{i}@news.example" for i in range(6)]
    ledger, cid = make_campaign(tmp_path, addresses)
    gate = HandoverGate.for_send(LIFT, advance_copy=True, show=_show)
    with SmtpTestServer() as server:

        def clock() -> dt.datetime:
            # The embargo lifts once two copies have been handed over: the clock moves on with the run.
            return LIFT - dt.timedelta(minutes=1) if len(server.messages) < 2 else LIFT

        result = deliver_to(
            server, ledger, cid, addresses, options=DeliveryOptions(concurrency=1), clock=clock, gate=gate
        )
        delivered = [m.rcpt for m in server.messages]
    assert len(delivered) == 2  # nothing marked EMBARGOED left at or after the lift
    assert result.sent == 2 and result.failed == 0
    statuses = statuses_of(ledger, cid)
    assert sorted(k for k, v in statuses.items() if v == "pending") == sorted(set(addresses) - set(delivered))
    assert result.stopped is not None
    assert "2030-03-12 10:00 HKT" in result.stopped and "without --under-embargo" in result.stopped


def test_a_normal_send_hands_nothing_over_before_the_lift(tmp_path: Path) -> None:
    addresses = [f"r{i}@news.example" for i in range(3)]
    ledger, cid = make_campaign(tmp_path, addresses)
    gate = HandoverGate.for_send(LIFT, advance_copy=False, show=_show)
    ticks = [LIFT - dt.timedelta(seconds=2)]
    seen_before_lift: list[int] = []

    with SmtpTestServer() as server:

        def clock() -> dt.datetime:
            # Each look at the clock moves it on by half a second; note what had arrived before the lift.
            ticks[0] += dt.timedelta(seconds=0.5)
            if ticks[0] < LIFT:
                seen_before_lift.append(len(server.messages))
            return ticks[0]

        result = deliver_to(server, ledger, cid, addresses, clock=clock, gate=gate)
    assert result.sent == 3 and result.stopped is None
    assert seen_before_lift and set(seen_before_lift) == {0}


def test_the_gate_decides_both_sides() -> None:
    normal = HandoverGate.for_send(LIFT, advance_copy=False)
    assert normal.decide(LIFT - dt.timedelta(seconds=3)).action == "wait"
    assert normal.decide(LIFT - dt.timedelta(seconds=3)).seconds == 3
    assert normal.decide(LIFT).action == "go"
    # A scheduled job's own time later than the lift is the bound.
    later = LIFT + dt.timedelta(hours=1)
    assert HandoverGate.for_send(LIFT, advance_copy=False, not_before=later).not_before == later
    advance = HandoverGate.for_send(LIFT, advance_copy=True, not_before=LIFT - dt.timedelta(hours=2))
    assert advance.decide(LIFT - dt.timedelta(hours=3)).action == "wait"
    assert advance.decide(LIFT - dt.timedelta(hours=1)).action == "go"
    stop = advance.decide(LIFT)
    assert stop.action == "stop" and "--under-embargo" in stop.line
    assert HandoverGate.for_send(None, advance_copy=False).idle


def test_starting_a_send_and_running_a_job_by_hand() -> None:
    before = LIFT - dt.timedelta(hours=1)
    assert check_send_now(LIFT, moment=before, advance_copy=True) is True
    assert check_send_now(LIFT, moment=LIFT, advance_copy=False) is False
    assert check_send_now(None, moment=before, advance_copy=False) is False
    with pytest.raises(EmbargoError, match="under embargo until 2030-03-12 10:00 HKT"):
        check_send_now(LIFT, moment=before, advance_copy=False, show=_show)
    with pytest.raises(EmbargoError, match="already lifted"):
        check_send_now(LIFT, moment=LIFT, advance_copy=True)
    with pytest.raises(EmbargoError, match="needs an embargo"):
        check_send_now(None, moment=before, advance_copy=True)
    with pytest.raises(EmbargoError, match="can't be sent before its embargo lifts"):
        check_run_now("j1", LIFT, under_embargo=False, now=before)
    assert check_run_now("j1", LIFT, under_embargo=True, now=before) is None
    assert check_run_now("j1", LIFT, under_embargo=False, now=LIFT) == LIFT


def test_the_lift_the_public_page_and_the_marking_are_decided_by_the_embargo_module() -> None:
    """Issue 19: the dispatcher's "no time to send it at" and the newsroom's refusal moved here."""
    assert under_embargo(LIFT, LIFT - dt.timedelta(seconds=1)) and not under_embargo(LIFT, LIFT)
    assert not under_embargo(None, LIFT)
    assert lift_time(LIFT, under_embargo=False) == LIFT
    with pytest.raises(EmbargoError, match="no embargo"):
        lift_time(None, under_embargo=False, where="releases/sample.md")
    with pytest.raises(EmbargoError, match="advance copy needs --at"):
        lift_time(LIFT, under_embargo=True)
    with pytest.raises(EmbargoError, match="under embargo until 2030-03-12 10:00 HKT") as refused:
        check_publish_now(LIFT, now=LIFT - dt.timedelta(minutes=1), where="releases/sample.md", show=_show)
    assert refused.value.where == "releases/sample.md" and "--preview" in str(refused.value)
    check_publish_now(LIFT, now=LIFT, show=_show)  # lifted: the public page may go up
    check_publish_now(None, now=LIFT)  # no embargo, nothing to wait for
