"""pressctl.bounces.match: only proof changes a row. Our Message-ID for the row it names (and only if the
bounce names that row's address), a signed VERP address in the envelope of a real report, a reader's token."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pressctl.bounces.match import LedgerRow, match_findings
from pressctl.bounces.parse import Finding, parse_message
from pressctl.contacts.unsubscribe import token_for
from pressctl.verp import verp_decode, verp_encode, verp_signature

DATA = Path(__file__).parent / "bounces_data"
VERP = "bounces+{local}={domain}@hvsp.example"
SECRET = b"hvsp-workspace-secret-for-tests-0001"


class FakeLedger:
    """Rows keyed the way the ledger keys them: (campaign, case-folded address) and Message-ID."""

    def __init__(self, rows: list[LedgerRow]) -> None:
        self.rows = rows

    def by_message_id(self, mid: str) -> LedgerRow | None:
        return next((r for r in self.rows if r.message_id == mid), None)

    def token(self, token: str) -> str | None:
        return next((r.email for r in self.rows if token_for(r.email, SECRET) == token), None)

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
    kw.setdefault("address_for_token", ledger.token)
    return match_findings(findings, ledger.by_message_id, **kw)  # type: ignore[arg-type]


def test_bounce_matches_the_exact_row_by_message_id_case_insensitively() -> None:
    result = _match("dsn_postfix.eml")
    [m] = result.matched
    assert (m.row, m.how, m.address) == (WING, "message-id", WING.email)
    assert m.recipient is not None and m.recipient.status == "5.1.1"
    assert result.unmatched == ()


def test_a_dsn_changes_only_the_row_its_message_id_names() -> None:
    # dsn_multi returns DESK's message but also reports KWOK (same campaign): KWOK is listed, never changed
    result = _match("dsn_multi.eml")
    assert [(m.row, m.how, m.recipient.severity if m.recipient else "") for m in result.matched] == [
        (DESK, "message-id", "soft")
    ]
    [u] = result.unmatched
    assert u.address == "kwok.wai@tidewire.example"
    assert "its Message-ID is our message to desk@islandtimes.example" in u.reason


def test_an_insider_dsn_naming_other_recipients_changes_nobody_else() -> None:
    # Priya forges a DSN quoting her own Message-ID and naming Amy and Wing: only Priya's own row could change
    raw = _report(PRIYA.message_id, ["amy.chan@harbourdaily.example", "wing.chan@harbourtimes.example"])
    result = match_findings([parse_message(raw)], LEDGER.by_message_id)
    assert result.matched == ()
    assert {u.address for u in result.unmatched} == {"amy.chan@harbourdaily.example", "wing.chan@harbourtimes.example"}


def test_final_or_original_recipient_may_be_the_rows_address() -> None:
    raw = _report(WING.message_id, ["wing@forward.example"], original="wing.chan@harbourtimes.example")
    [m] = match_findings([parse_message(raw)], LEDGER.by_message_id).matched
    assert m.row == WING


def test_bounce_without_our_message_id_is_listed_never_guessed() -> None:
    ledger = FakeLedger([WING_OLD])  # the campaign-3 message is unknown here
    result = _match("dsn_postfix.eml", ledger=ledger, latest_for_address=ledger.latest)
    # no Message-ID hit, no VERP template: the address alone never picks a campaign
    assert result.matched == ()
    assert result.unmatched[0].reason.startswith("none of our Message-IDs in it")


def _report(mid: str, addresses: list[str], *, envelope: str = "", original: str = "", status: str = "5.1.1") -> bytes:
    top = f"Delivered-To: {envelope}\r\n" if envelope else ""
    blocks = "".join(
        f"Final-Recipient: rfc822; {a}\r\n"
        + (f"Original-Recipient: rfc822; {original}\r\n" if original else "")
        + f"Action: failed\r\nStatus: {status}\r\n\r\n"
        for a in addresses
    )
    returned = f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {mid}\r\n\r\n" if mid else ""
    return (
        f"{top}Received: by relay.hvsp.example\r\nFrom: MAILER-DAEMON@relay.hvsp.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; relay\r\n\r\n{blocks}"
        f"{returned}--b--\r\n"
    ).encode()


def _signed(address: str) -> str:
    return verp_encode(VERP, address, SECRET)


def test_a_signed_verp_envelope_with_a_real_report_names_the_recipient() -> None:
    ledger = FakeLedger([WING_OLD])
    raw = _report("", ["wing.chan@harbourtimes.example"], envelope=_signed("Wing.Chan@harbourtimes.example"))
    result = match_findings(
        [parse_message(raw)], ledger.by_message_id, verp_template=VERP, secret=SECRET, latest_for_address=ledger.latest
    )
    [m] = result.matched
    assert (m.row, m.how) == (WING_OLD, "verp")


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        # the VERP address only in To: (anyone can write it), not in the envelope
        (_report("", ["wing.chan@harbourtimes.example"]).replace(
            b"Received:", b"To: bounces+wing.chan=harbourtimes.example@hvsp.example\r\nReceived:"), "none of our"),
        # unsigned, as before signatures (or forged)
        (_report("", ["wing.chan@harbourtimes.example"], envelope="bounces+wing.chan=harbourtimes.example@hvsp.example"),
         "no valid signature"),
        # a wrong signature
        (_report("", ["wing.chan@harbourtimes.example"], envelope="bounces+wing.chan=harbourtimes.example+aaaaaaaa@hvsp.example"),
         "no valid signature"),
        # signed for someone else than the report names
        (_report("", ["wing.chan@harbourtimes.example"], envelope=verp_encode(VERP, "amy.chan@harbourdaily.example", SECRET)),
         "not for the address it names"),
        # signed and right, but no multipart/report: a three-line fake bounce
        (f"Delivered-To: {verp_encode(VERP, 'wing.chan@harbourtimes.example', SECRET)}\r\nReceived: by relay\r\n"
         "From: MAILER-DAEMON@x.example\r\nSubject: failure notice\r\n\r\n"
         "Hi. This is the qmail-send program at x.example.\r\n"
         "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
         "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
         "<wing.chan@harbourtimes.example>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n".encode(),
         "no delivery-status report"),
    ],
)
def test_verp_proves_nothing_unless_signed_in_the_envelope_of_a_real_report(raw: bytes, why: str) -> None:
    ledger = FakeLedger([WING_OLD])
    result = match_findings(
        [parse_message(raw)], ledger.by_message_id, verp_template=VERP, secret=SECRET, latest_for_address=ledger.latest
    )
    assert result.matched == ()
    assert why in result.unmatched[0].reason, result.unmatched


def test_bounce_naming_no_address_is_unmatched_with_a_hint() -> None:
    finding = Finding("bounce", original_ids=(WING.message_id,), envelope=(_signed("wing.chan@harbourtimes.example"),))
    result = match_findings([finding], LEDGER.by_message_id, verp_template=VERP, secret=SECRET)
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


def test_an_unsubscribe_without_a_token_is_an_unconfirmed_request_and_changes_nothing() -> None:
    result = _match("unsub_mailto.eml")
    assert result.matched == () and result.unmatched == ()
    [r] = result.requests
    assert r.row is None and "no unsubscribe token" in r.reason


def test_an_unsubscribe_replying_to_our_message_is_replied_first_then_listed() -> None:
    unsub = Finding("unsubscribe", sender="priya.raman@innovationwire.example", original_ids=(PRIYA.message_id,),
                    asks_unsubscribe=True, excerpt="unsubscribe")
    result = match_findings([unsub], LEDGER.by_message_id)
    [m] = result.matched
    assert (m.finding.kind, m.row, m.how) == ("replied", PRIYA, "message-id")
    [r] = result.requests
    assert r.row == PRIYA


def test_a_valid_token_suppresses_its_owner_whoever_sent_it() -> None:
    token = token_for(AMY.email, SECRET)
    unsub = Finding("unsubscribe", sender="someone@else.example", tokens=("x" * 22, token), asks_unsubscribe=True)
    result = match_findings([unsub], LEDGER.by_message_id, address_for_token=LEDGER.token, latest_for_address=LEDGER.latest)
    [m] = result.matched
    assert (m.address, m.row, m.how) == (AMY.email, AMY, "token")
    forged = Finding("unsubscribe", sender=AMY.email, tokens=(token_for(AMY.email, b"another-workspace-secret"),))
    result = match_findings([forged], LEDGER.by_message_id, address_for_token=LEDGER.token)
    assert result.matched == () and "is nobody's we sent to" in result.requests[0].reason


def test_other_and_unreadable_messages_are_unmatched() -> None:
    findings = [Finding("other", sender="spam@example.net"), Finding("unreadable", reason="charset 'idna'")]
    result = match_findings(findings, LEDGER.by_message_id)
    assert result.matched == () and [u.reason for u in result.unmatched][1] == "unreadable: charset 'idna'"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("bounces+wing.chan=harbourtimes.example+{wing.chan@harbourtimes.example}@hvsp.example",
         "wing.chan@harbourtimes.example"),
        ("BOUNCES+a=b=c.example+{A=B@c.example}@HVSP.example", "a=b@c.example"),
        ("bounces+wing.chan=harbourtimes.example@hvsp.example", ""),  # unsigned
        ("bounces+wing.chan=harbourtimes.example+{amy@x.example}@hvsp.example", ""),  # someone else's signature
        ("bounces@hvsp.example", ""),
        ("bounces+x=y+{x@y}@other.example", ""),
        ("bounces+=y.example@hvsp.example", ""),
    ],
)
def test_verp_decode(address: str, expected: str) -> None:
    import re

    signed = re.sub(r"\{([^}]+)\}", lambda m: verp_signature(m.group(1), SECRET).upper(), address)
    assert verp_decode(VERP, signed, SECRET) == expected


_local = st.from_regex(r"[a-z0-9][a-z0-9._=+-]{0,20}", fullmatch=True)
_domain = st.from_regex(r"[a-z0-9]{1,10}(\.[a-z0-9]{1,8}){1,3}", fullmatch=True)


@given(_local, _domain)
def test_verp_round_trip(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    assert verp_decode(VERP, verp_encode(VERP, address, SECRET), SECRET) == address
    assert verp_decode(VERP, verp_encode(VERP, address, SECRET), b"another-secret-entirely") == ""


# -- one address rule (issue 19): the key, not casefold() ------------------------------------------------------

MULLER = LedgerRow(7, "müller@xn--strae-oqa.de", "müller@xn--strae-oqa.de", "<77777777777777777777777777777777@hvsp.example>")


def _global_dsn(
    named: str, *, message_id: str = "", envelope: str = "press@hvsp.example", kind: str = "global-delivery-status"
) -> bytes:
    """A DSN as a server writes it for a UTF-8 address (RFC 6533: message/global-delivery-status)."""
    returned = f"Message-ID: {message_id}\n" if message_id else ""
    text = (
        f"Delivered-To: {envelope}\nFrom: MAILER-DAEMON@relay.hvsp.example\nSubject: Undelivered Mail\n"
        "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
        "--b\nContent-Type: text/plain; charset=utf-8\n\nThe mailbox is unknown.\n\n"
        f"--b\nContent-Type: message/{kind}\nContent-Transfer-Encoding: 8bit\n\n"
        f"Reporting-MTA: dns; relay.hvsp.example\n\nFinal-Recipient: utf-8; {named}\nAction: failed\nStatus: 5.1.1\n\n"
        f"--b\nContent-Type: text/rfc822-headers\n\nFrom: press@hvsp.example\n{returned}\n--b--\n"
    )
    return text.replace("\n", "\r\n").encode("utf-8")


@pytest.mark.parametrize("kind", ["global-delivery-status", "delivery-status"])
@pytest.mark.parametrize("named", ["Müller@Straße.de", "MÜLLER@STRAẞE.DE", "müller@xn--strae-oqa.de"])
def test_a_bounce_naming_the_reader_in_another_form_matches_their_row(named: str, kind: str) -> None:
    finding = parse_message(_global_dsn(named, message_id=MULLER.message_id, kind=kind))
    result = match_findings([finding], FakeLedger([MULLER]).by_message_id)
    assert [(m.row, m.how) for m in result.matched] == [(MULLER, "message-id")], result.unmatched


def test_strasse_is_not_strasse_with_a_sharp_s() -> None:
    """IDNA 2003 and case folding both make straße strasse: another domain, another reader."""
    finding = parse_message(_global_dsn("muller@strasse.de", message_id=MULLER.message_id))
    assert match_findings([finding], FakeLedger([MULLER]).by_message_id).matched == ()


def test_a_signed_verp_envelope_finds_the_reader_by_key() -> None:
    envelope = verp_encode(VERP, "müller@xn--strae-oqa.de", SECRET)
    ledger = FakeLedger([MULLER])
    finding = parse_message(_global_dsn("Müller@Straße.de", envelope=envelope))
    result = match_findings(
        [finding], ledger.by_message_id, verp_template=VERP, secret=SECRET, latest_for_address=ledger.latest
    )
    assert [(m.row, m.how) for m in result.matched] == [(MULLER, "verp")], result.unmatched
