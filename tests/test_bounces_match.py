"""pressctl.bounces.match: Message-ID first, then the address within that campaign, VERP; never a guess."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pressctl.bounces.match import LedgerRow, match_findings, verp_decode, verp_encode
from pressctl.bounces.parse import BouncedRecipient, Finding, parse_message

DATA = Path(__file__).parent / "bounces_data"
VERP = "bounces+{local}={domain}@hvsp.example"


class FakeLedger:
    """Rows keyed the way the ledger keys them: (campaign, case-folded address) and Message-ID."""

    def __init__(self, rows: list[LedgerRow]) -> None:
        self.rows = rows

    def by_message_id(self, mid: str) -> LedgerRow | None:
        return next((r for r in self.rows if r.message_id == mid), None)

    def by_address(self, campaign: int, folded: str) -> LedgerRow | None:
        return next((r for r in self.rows if r.campaign_id == campaign and r.key == folded), None)

    def latest(self, folded: str) -> LedgerRow | None:
        found = [r for r in self.rows if r.key == folded]
        return max(found, key=lambda r: r.campaign_id) if found else None


def _row(campaign: int, email: str, mid: str) -> LedgerRow:
    return LedgerRow(campaign, email.casefold(), email, mid)


WING = _row(3, "Wing.Chan@harbourtimes.example", "<5e6f708192a3b4c5d6e7f8091a2b3c4d@hvsp.example>")
WING_OLD = _row(2, "Wing.Chan@harbourtimes.example", "<00000000000000000000000000000002@hvsp.example>")
DESK = _row(5, "desk@islandtimes.example", "<6f708192a3b4c5d6e7f8091a2b3c4d5e@hvsp.example>")
KWOK = _row(5, "kwok.wai@tidewire.example", "<11111111111111111111111111111111@hvsp.example>")
KWOK_OTHER = _row(4, "kwok.wai@tidewire.example", "<44444444444444444444444444444444@hvsp.example>")
AMY = _row(5, "amy.chan@harbourdaily.example", "<0a1b2c3d4e5f60718293a4b5c6d7e8f9@hvsp.example>")
PRIYA = _row(5, "priya.raman@innovationwire.example", "<3c4d5e6f708192a3b4c5d6e7f8091a2b@hvsp.example>")
LEDGER = FakeLedger([WING, WING_OLD, DESK, KWOK, KWOK_OTHER, AMY, PRIYA])


def _match(*names: str, ledger: FakeLedger = LEDGER, **kw: object):  # type: ignore[no-untyped-def]
    findings = [parse_message((DATA / n).read_bytes(), unsubscribe_addresses=["unsubscribe@hvsp.example"]) for n in names]
    return match_findings(findings, ledger.by_message_id, ledger.by_address, **kw)  # type: ignore[arg-type]


def test_bounce_matches_the_exact_row_by_message_id_case_insensitively() -> None:
    result = _match("dsn_postfix.eml")
    [m] = result.matched
    assert (m.row, m.how, m.address) == (WING, "message-id", WING.email)
    assert m.recipient is not None and m.recipient.status == "5.1.1"
    assert result.unmatched == ()


def test_second_recipient_found_by_address_within_the_named_campaign() -> None:
    # dsn_multi returns DESK's message but also reports KWOK (delayed): same campaign 5, not campaign 4
    result = _match("dsn_multi.eml")
    got = {(m.row, m.how, m.recipient.severity if m.recipient else "") for m in result.matched}
    assert got == {(DESK, "message-id", "soft"), (KWOK, "address", "delayed")}


def test_address_outside_the_campaign_is_unmatched_not_pinned_on_the_row() -> None:
    ledger = FakeLedger([WING, DESK])  # KWOK not in campaign 5
    result = _match("dsn_multi.eml", ledger=ledger)
    assert [m.row for m in result.matched] == [DESK]
    [u] = result.unmatched
    assert u.address == "kwok.wai@tidewire.example"
    assert "forwarded?" in u.reason


def test_bounce_without_our_message_id_is_listed_never_guessed() -> None:
    ledger = FakeLedger([WING_OLD])  # the campaign-3 message is unknown here
    result = _match("dsn_postfix.eml", ledger=ledger, latest_for_address=ledger.latest)
    # no Message-ID hit, no VERP template: the address alone never picks a campaign
    assert result.matched == ()
    assert result.unmatched[0].reason == "none of our Message-IDs in the bounce"


def test_verp_names_the_recipient_when_no_message_id_matches() -> None:
    ledger = FakeLedger([WING_OLD])
    result = _match("dsn_postfix.eml", ledger=ledger, verp_template=VERP, latest_for_address=ledger.latest)
    [m] = result.matched
    assert (m.row, m.how) == (WING_OLD, "verp")


def test_verp_bounce_with_no_readable_address_still_matches() -> None:
    finding = Finding(
        "bounce",
        subject="Undeliverable: HVSP",
        to=("bounces+wing.chan=harbourtimes.example@hvsp.example",),
        original_ids=(WING.message_id,),
    )
    result = match_findings([finding], LEDGER.by_message_id, LEDGER.by_address, verp_template=VERP)
    [m] = result.matched
    assert (m.row, m.recipient) == (WING, BouncedRecipient("wing.chan@harbourtimes.example", "hard"))


def test_bounce_naming_no_address_and_no_verp_is_unmatched_with_a_hint() -> None:
    finding = Finding("bounce", original_ids=(WING.message_id,))
    result = match_findings([finding], LEDGER.by_message_id, LEDGER.by_address)
    assert result.matched == ()
    assert "returns our message to Wing.Chan@harbourtimes.example" in result.unmatched[0].reason


def test_replies_match_by_in_reply_to_and_others_are_listed() -> None:
    result = _match("ooo_en.eml", "reply_en.eml", "ooo_zh.eml", "moved_en.eml")
    assert {(m.finding.kind, m.row) for m in result.matched} == {("auto-reply", AMY), ("replied", PRIYA)}
    reasons = {u.finding.kind: u.reason for u in result.unmatched}
    assert reasons == {
        "auto-reply": "it does not reply to one of our messages",  # ooo_zh has no In-Reply-To
        "moved": "it does not reply to one of our messages",  # its Message-ID is not in this ledger
    }


def test_unsubscribe_suppresses_the_sender_with_or_without_a_row() -> None:
    result = _match("unsub_mailto.eml", "unsub_zh.eml")
    got = {(m.address, m.row, m.how) for m in result.matched}
    assert got == {
        ("tom.yip@bayweekly.example", None, "sender"),
        ("lee.yuetwah@eastharbour.example", None, "sender"),
    }


def test_other_messages_are_unmatched() -> None:
    finding = Finding("other", sender="spam@example.net")
    result = match_findings([finding], LEDGER.by_message_id, LEDGER.by_address)
    assert result.matched == () and len(result.unmatched) == 1


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("bounces+wing.chan=harbourtimes.example@hvsp.example", "wing.chan@harbourtimes.example"),
        ("BOUNCES+a=b=c.example@HVSP.example", "a=b@c.example"),
        ("bounces@hvsp.example", ""),
        ("bounces+x=y@other.example", ""),
        ("bounces+=y.example@hvsp.example", ""),
    ],
)
def test_verp_decode(address: str, expected: str) -> None:
    assert verp_decode(VERP, address) == expected


_local = st.from_regex(r"[a-z0-9][a-z0-9._=+-]{0,20}", fullmatch=True)
_domain = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,8}){1,3}", fullmatch=True)


@given(_local, _domain)
def test_verp_round_trip(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert verp_decode(VERP, verp_encode(VERP, address)) == address
