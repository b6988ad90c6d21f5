"""Which ledger row a finding is about, and only when it proves it: pure rules over findings and lookups.

Inbound mail is written by anyone. ``From:``, ``To:``, a subject and a body are the sender's own words, so
nothing here trusts them. What is proof:

1. **Our Message-ID**, for the one row it names. pressctl's Message-IDs are per campaign and recipient
   (``<sha256(random campaign token + key)[:32]@domain>``), so only that recipient (or whoever they forward
   it to) knows it. A bounce changes a row only when it returns that row's Message-ID *and* its
   Final-Recipient or Original-Recipient is that row's address; any other address it names is listed as
   unmatched ("its Message-ID is our message to someone else"), and no other row changes.
2. **A signed VERP address in the envelope** (:mod:`pressctl.verp`): read only from the delivery headers
   the receiving server wrote (:attr:`Finding.envelope`), its signature checked with the workspace secret,
   and it counts only for a real ``multipart/report`` whose Final-Recipient (or Original-Recipient) is that
   address; then the most recent row sent to that address (``latest_for_address``) is the one.
   A return path without a valid signature (older pressctl, or forged) proves nothing.
3. **The reader's unsubscribe token** (:mod:`pressctl.contacts.unsubscribe`) in an unsubscribe request
   (the List-Unsubscribe mailto's subject or ``+`` address): that token's address is suppressed.

Everything else is listed, never acted on: an unsubscribe request without a valid token is an *unconfirmed
request* (:attr:`Matches.requests`, for ``report --needs-attention``); one that replies to our message is
recorded as ``replied`` on that row first. Replies (auto-reply, moved, replied) match by their
In-Reply-To/References only, and only note what was said. A message with no DSN part, no status and no
Message-ID of ours is never a bounce of anyone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pressctl.addresses import address_key
from pressctl.bounces.dsn import BouncedRecipient
from pressctl.bounces.parse import Finding
from pressctl.verp import verp_decode, verp_unsigned

__all__ = [
    "LedgerRow",
    "Match",
    "Matches",
    "Request",
    "Unmatched",
    "match_findings",
]

How = Literal["message-id", "verp", "token"]


@dataclass(frozen=True)
class LedgerRow:
    """What matching needs of a recipient row (the ledger's ``recipients`` table)."""

    campaign_id: int
    key: str
    email: str
    message_id: str
    status: str = "sent"
    response: str = ""  # what an earlier run recorded (see pressctl.bounces.plan.RESPONSE_RANK)


ByMessageId = Callable[[str], LedgerRow | None]
LatestForAddress = Callable[[str], LedgerRow | None]  # an address key (addresses.address_key) -> most recent row
AddressForToken = Callable[[str], str | None]  # an unsubscribe token -> the address it belongs to


@dataclass(frozen=True)
class Match:
    """One proven finding about one address. ``row`` is None only for a tokened unsubscribe of an address
    with no row we can name (it still suppresses the address)."""

    finding: Finding
    address: str
    row: LedgerRow | None
    how: How
    recipient: BouncedRecipient | None = None  # the bounce's per-recipient result, for bounces


@dataclass(frozen=True)
class Unmatched:
    finding: Finding
    reason: str
    address: str = ""


@dataclass(frozen=True)
class Request:
    """An unsubscribe request without a valid token: changes nothing, listed for a person (with the row of
    the message it replies to, when it quotes one of ours)."""

    finding: Finding
    row: LedgerRow | None
    reason: str


@dataclass(frozen=True)
class Matches:
    matched: tuple[Match, ...]
    unmatched: tuple[Unmatched, ...]
    requests: tuple[Request, ...] = ()


@dataclass(frozen=True)
class _Proof:
    """What matching may consult: the ledger's lookups and the secret that signs VERP addresses."""

    by_message_id: ByMessageId
    latest_for_address: LatestForAddress | None
    address_for_token: AddressForToken | None
    verp_template: str
    secret: bytes | None


def match_findings(
    findings: Iterable[Finding],
    by_message_id: ByMessageId,
    *,
    verp_template: str = "",
    secret: bytes | None = None,
    latest_for_address: LatestForAddress | None = None,
    address_for_token: AddressForToken | None = None,
) -> Matches:
    """Match every finding to rows; what is not proven goes to ``unmatched`` or ``requests``."""
    proof = _Proof(by_message_id, latest_for_address, address_for_token, verp_template, secret)
    matched: list[Match] = []
    unmatched: list[Unmatched] = []
    requests: list[Request] = []
    for finding in findings:
        rows = _rows_by_id(finding, by_message_id)
        if finding.kind == "bounce":
            m, u = _match_bounce(finding, rows, proof)
        elif finding.kind in ("auto-reply", "moved", "replied"):
            m, u = _match_reply(finding, rows)
        elif finding.kind == "unsubscribe":
            m, u, r = _match_unsubscribe(finding, rows, proof)
            requests.extend(r)
        elif finding.kind == "unreadable":
            m, u = [], [Unmatched(finding, f"unreadable: {finding.reason}")]
        else:
            m, u = [], [Unmatched(finding, "not a bounce or a reply to one of our messages")]
        matched.extend(m)
        unmatched.extend(u)
    return Matches(tuple(matched), tuple(unmatched), tuple(requests))


def _rows_by_id(finding: Finding, by_message_id: ByMessageId) -> list[LedgerRow]:
    rows: list[LedgerRow] = []
    for mid in finding.original_ids:
        row = by_message_id(mid)
        if row is not None and row not in rows:
            rows.append(row)
    return rows


# -- bounces -------------------------------------------------------------------------------------------------


def _verp(finding: Finding, proof: _Proof) -> tuple[str, str]:
    """(the recipient a signed VERP envelope address names, why an unsigned one was not trusted)."""
    if not proof.verp_template:
        return "", ""
    for addr in finding.envelope:
        decoded = verp_decode(proof.verp_template, addr, proof.secret)
        if decoded:
            return decoded, ""
    for addr in finding.envelope:
        local, _, domain = addr.rpartition("@")
        unsigned = f"{local.rpartition('+')[0]}@{domain}"  # without what may be a wrong signature
        if verp_unsigned(proof.verp_template, addr) or verp_unsigned(proof.verp_template, unsigned):
            return "", "its VERP address has no valid signature (sent before signatures, or forged): not trusted"
    return "", ""


def _match_bounce(finding: Finding, rows: list[LedgerRow], proof: _Proof) -> tuple[list[Match], list[Unmatched]]:
    matched: list[Match] = []
    unmatched: list[Unmatched] = []
    verp, distrust = _verp(finding, proof)
    if not finding.recipients:
        reason = "a bounce that names no address we could read"
        if rows:
            reason += f" (it returns our message to {rows[0].email}; check it by hand)"
        return [], [Unmatched(finding, reason)]
    for rec in finding.recipients:
        row = next((r for r in rows if rec.names(r.email)), None)
        if row is not None:
            matched.append(Match(finding, row.email, row, "message-id", rec))
            continue
        if rows:
            unmatched.append(
                Unmatched(
                    finding,
                    f"it names {rec.address}, but its Message-ID is our message to {rows[0].email}: "
                    "a bounce changes only the row it names (forwarded, or forged?); nothing changed",
                    rec.address,
                )
            )
            continue
        if verp and rec.names(verp):
            if not finding.report:
                reason = "its VERP address names them, but it is no delivery-status report: not a bounce; nothing changed"
            elif proof.latest_for_address is not None and (found := proof.latest_for_address(address_key(verp))):
                matched.append(Match(finding, found.email, found, "verp", rec))
                continue
            else:
                reason = "its VERP address names nobody we sent to"
        elif verp:
            reason = f"its VERP address is for {verp}, not for the address it names; nothing changed"
        else:
            reason = distrust or "none of our Message-IDs in it (and no signed VERP address in its envelope)"
        unmatched.append(Unmatched(finding, reason, rec.address))
    return matched, unmatched


# -- replies and requests ------------------------------------------------------------------------------------


def _match_reply(finding: Finding, rows: list[LedgerRow]) -> tuple[list[Match], list[Unmatched]]:
    if not rows:
        return [], [Unmatched(finding, "it does not reply to one of our messages", finding.sender)]
    sender = address_key(finding.sender)
    row = next((r for r in rows if address_key(r.email) == sender), rows[0])
    return [Match(finding, row.email, row, "message-id")], []


def _match_unsubscribe(
    finding: Finding, rows: list[LedgerRow], proof: _Proof
) -> tuple[list[Match], list[Unmatched], list[Request]]:
    for token in finding.tokens:
        owner = proof.address_for_token(token) if proof.address_for_token is not None else None
        if owner:
            key = address_key(owner)
            row = next((r for r in rows if address_key(r.email) == key), None)
            if row is None and proof.latest_for_address is not None:
                row = proof.latest_for_address(key)
            return [Match(finding, row.email if row else owner, row, "token")], [], []
    reason = (
        "its token is nobody's we sent to" if finding.tokens else "no unsubscribe token; the From address proves nothing"
    )
    request = Request(finding, _replied_row(finding, rows), reason)
    if request.row is not None:  # it replies to our message: a reply first, with what it said
        return [Match(dataclasses.replace(finding, kind="replied"), request.row.email, request.row, "message-id")], [], [request]
    return [], [], [request]


def _replied_row(finding: Finding, rows: list[LedgerRow]) -> LedgerRow | None:
    if not rows:
        return None
    sender = address_key(finding.sender)
    return next((r for r in rows if address_key(r.email) == sender), rows[0])
