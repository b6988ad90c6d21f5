"""pressctl.bounces.plan: bounced / soft / delayed / replies / unsubscribe -> row updates and suppressions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pressctl.bounces.dsn import BouncedRecipient
from pressctl.bounces.match import LedgerRow, Match
from pressctl.bounces.parse import Finding, parse_message
from pressctl.bounces.plan import plan_updates

DATA = Path(__file__).parent / "bounces_data"
NOW = dt.datetime(2026, 3, 14, 2, 0, tzinfo=dt.UTC)
ROW = LedgerRow(5, "wing.chan@harbourtimes.example", "wing.chan@harbourtimes.example", "<a@hvsp.example>")


def _bounce(severity: str, status: str, *, row: LedgerRow | None = ROW, mid: str = "<b1@relay>") -> Match:
    rec = BouncedRecipient(ROW.email, severity, action="failed", status=status, diagnostic=f"550 {status} no such user")  # type: ignore[arg-type]
    finding = Finding("bounce", message_id=mid, recipients=(rec,))
    return Match(finding, ROW.email, row, "message-id", rec)


def test_hard_bounce_turns_sent_into_bounced_and_suppresses() -> None:
    plan = plan_updates([_bounce("hard", "5.1.1")], now=NOW)
    [u] = plan.updates
    assert (u.campaign_id, u.key, u.status, u.response, u.code) == (5, ROW.key, "bounced", "bounced", "5.1.1")
    assert u.detail == "550 5.1.1 no such user" and u.handled_key == "<b1@relay>"
    [s] = plan.suppressions
    assert s.address == ROW.email
    assert s.reason == "bounced 5.1.1: 550 5.1.1 no such user (campaign 5) 2026-03-14"


def test_hard_bounce_of_a_failed_row_keeps_its_status_but_suppresses() -> None:
    failed = LedgerRow(5, ROW.key, ROW.email, ROW.message_id, status="failed")
    plan = plan_updates([_bounce("hard", "5.1.1", row=failed)], now=NOW)
    assert plan.updates[0].status is None
    assert len(plan.suppressions) == 1


def test_delayed_suppresses_nobody() -> None:
    plan = plan_updates([_bounce("delayed", "4.2.2")], now=NOW)
    assert [(u.response, u.status) for u in plan.updates] == [("delayed", None)]
    assert plan.suppressions == () and plan.soft_bounces == ()


def test_third_soft_bounce_within_90_days_suppresses() -> None:
    recent = [NOW - dt.timedelta(days=80), NOW - dt.timedelta(days=10)]
    plan = plan_updates([_bounce("soft", "4.4.7")], now=NOW, soft_history=lambda a: recent)
    assert [(u.response, u.status) for u in plan.updates] == [("soft-bounce", None)]
    assert [s.address for s in plan.soft_bounces] == [ROW.key]
    [s] = plan.suppressions
    assert s.reason.startswith("3 soft bounces within 90 days, last 4.4.7")


def test_old_soft_bounces_do_not_count() -> None:
    old = [NOW - dt.timedelta(days=91), NOW - dt.timedelta(days=200)]
    plan = plan_updates([_bounce("soft", "4.4.7")], now=NOW, soft_history=lambda a: old)
    assert plan.suppressions == ()


def test_soft_bounces_in_one_run_count_together() -> None:
    matches = [_bounce("soft", "4.4.7", mid=f"<b{n}@relay>") for n in range(3)]
    plan = plan_updates(matches, now=NOW)
    assert len(plan.soft_bounces) == 3
    assert len(plan.suppressions) == 1


def test_replies_set_the_response_and_never_downgrade() -> None:
    reply = parse_message((DATA / "reply_en.eml").read_bytes())
    ooo = parse_message((DATA / "ooo_en.eml").read_bytes())
    moved = parse_message((DATA / "moved_en.eml").read_bytes())
    plan = plan_updates([Match(reply, ROW.email, ROW, "message-id"), Match(ooo, ROW.email, ROW, "message-id")], now=NOW)
    [u] = plan.updates
    assert (u.response, u.status) == ("replied", None)
    assert u.detail.startswith("Hello,")
    # an earlier run recorded "replied": a later out-of-office changes nothing, a moved notice does
    replied_row = LedgerRow(5, ROW.key, ROW.email, ROW.message_id, response="replied")
    assert plan_updates([Match(ooo, ROW.email, replied_row, "message-id")], now=NOW).updates == ()
    [m] = plan_updates([Match(moved, ROW.email, replied_row, "message-id")], now=NOW).updates
    assert (m.response, m.new_address) == ("moved", "grace.ip@asiabiztimes.example")
    assert plan.suppressions == ()


def test_a_tokened_unsubscribe_suppresses_its_address_even_without_a_row() -> None:
    f = parse_message((DATA / "unsub_mailto.eml").read_bytes(), unsubscribe_addresses=["unsubscribe@hvsp.example"])
    plan = plan_updates([Match(f, "tom.yip@bayweekly.example", None, "token")], now=NOW)
    assert plan.updates == ()
    assert [(s.address, s.reason) for s in plan.suppressions] == [
        ("tom.yip@bayweekly.example", "asked to unsubscribe by email (with their token) 2026-03-14")
    ]


def test_an_unsubscribe_match_without_a_token_suppresses_nobody() -> None:
    f = parse_message((DATA / "unsub_mailto.eml").read_bytes(), unsubscribe_addresses=["unsubscribe@hvsp.example"])
    assert plan_updates([Match(f, f.sender, None, "message-id")], now=NOW).suppressions == ()


@pytest.mark.parametrize(
    ("status", "kind"),
    [("5.7.1", "policy"), ("5.7.26", "policy"), ("5.3.4", "size"), ("5.0.0", "other"), ("", "other"), ("5.4.4", "other")],
)
def test_policy_size_and_other_failures_fail_the_row_without_suppressing(status: str, kind: str) -> None:
    plan = plan_updates([_bounce("hard", status)], now=NOW)
    assert plan.suppressions == () and plan.soft_bounces == ()
    [u] = plan.updates
    assert (u.status, u.response, u.code) == ("failed", "failed", status)
    [r] = plan.refused
    assert (r.address, r.kind, r.campaign_id) == (ROW.email, kind, 5) and r.advice


def test_a_full_mailbox_is_a_soft_bounce() -> None:
    plan = plan_updates([_bounce("hard", "5.2.2")], now=NOW)
    assert plan.suppressions == () and plan.refused == ()
    assert [(u.response, u.status) for u in plan.updates] == [("soft-bounce", None)]
    assert [s.code for s in plan.soft_bounces] == ["5.2.2"]


@pytest.mark.parametrize("status", ["5.1.1", "5.1.10", "5.1.2", "5.01.001"])
def test_only_a_dead_address_is_bounced_and_suppressed(status: str) -> None:
    plan = plan_updates([_bounce("hard", status)], now=NOW)
    assert [u.status for u in plan.updates] == ["bounced"] and len(plan.suppressions) == 1
