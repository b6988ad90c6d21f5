"""Which ledger row a finding is about: pure rules over findings and lookup callables, never a guess.

pressctl's Message-IDs are stable per campaign and recipient (``<sha256(campaign salt + key)[:32]@domain>``,
see :meth:`pressctl.send.messages.MessageFactory.message_id`), so one Message-ID names exactly one row. The
rules, in order:

1. **Message-ID**: each of the finding's ``original_ids`` (returned message, quoted headers, In-Reply-To,
   References) is looked up; a hit names a row and so a campaign.
2. **Address within that campaign**: a bounce may report several recipients, or a recipient other than the
   row's (a forwarding mailbox): each reported address is looked up in the campaign the Message-ID named.
   An address found nowhere in that campaign is *unmatched* (forwarded? say so), never pinned on the row.
3. **VERP** (optional): a bounce delivered to ``bounces+{local}={domain}@example.org`` names the recipient
   address; with a Message-ID that gives the row, without one ``latest_for_address`` (when the caller
   provides it: the most recent row sent to that address) does.

Replies (auto-reply, moved, replied) match by their In-Reply-To/References only; an unsubscribe request
needs no row at all (it suppresses the address that asked), but carries the row when one matches. Anything
else is listed in :attr:`Matches.unmatched` with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from pressctl.bounces.parse import BouncedRecipient, Finding
from pressctl.verp import verp_encode  # one definition: the send side uses it for MAIL FROM

__all__ = [
    "LedgerRow",
    "Match",
    "Matches",
    "Unmatched",
    "match_findings",
    "verp_decode",
    "verp_encode",
]

How = Literal["message-id", "address", "verp", "sender"]


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
ByAddress = Callable[[int, str], LedgerRow | None]  # (campaign id, case-folded address)
LatestForAddress = Callable[[str], LedgerRow | None]  # case-folded address -> most recent row


@dataclass(frozen=True)
class Match:
    """One finding about one address. ``row`` is None only for an unsubscribe request from an address that
    is in no campaign we can name (it still suppresses the address)."""

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
class Matches:
    matched: tuple[Match, ...]
    unmatched: tuple[Unmatched, ...]


# -- VERP ---------------------------------------------------------------------------------------------------


def verp_decode(template: str, address: str) -> str:
    """The recipient address a VERP return path encodes, or "" when ``address`` is not one of ours.

    The template's literal parts must match exactly (case-insensitively); the local part may itself contain
    ``=`` (the domain is taken after the last one, since a domain cannot contain it).
    """
    if "{local}" not in template or "{domain}" not in template:
        return ""
    pattern = re.escape(template).replace(re.escape("{local}"), "(?P<local>.+)")
    pattern = pattern.replace(re.escape("{domain}"), "(?P<domain>[^=@]+)")
    m = re.fullmatch(pattern, address.strip(), flags=re.IGNORECASE)
    if not m or not m.group("local") or "." not in m.group("domain"):
        return ""
    return f"{m.group('local')}@{m.group('domain')}"


# -- matching -----------------------------------------------------------------------------------------------


def match_findings(
    findings: Iterable[Finding],
    by_message_id: ByMessageId,
    by_address: ByAddress,
    *,
    verp_template: str = "",
    latest_for_address: LatestForAddress | None = None,
) -> Matches:
    """Match every finding to rows; what cannot be matched for certain goes to ``unmatched``."""
    matched: list[Match] = []
    unmatched: list[Unmatched] = []
    for finding in findings:
        rows = _rows_by_id(finding, by_message_id)
        if finding.kind == "bounce":
            m, u = _match_bounce(finding, rows, by_address, verp_template, latest_for_address)
        elif finding.kind in ("auto-reply", "moved", "replied"):
            m, u = _match_reply(finding, rows)
        elif finding.kind == "unsubscribe":
            m, u = _match_unsubscribe(finding, rows)
        else:
            m, u = [], [Unmatched(finding, "not a bounce or a reply to one of our messages")]
        matched.extend(m)
        unmatched.extend(u)
    return Matches(tuple(matched), tuple(unmatched))


def _rows_by_id(finding: Finding, by_message_id: ByMessageId) -> list[LedgerRow]:
    rows: list[LedgerRow] = []
    for mid in finding.original_ids:
        row = by_message_id(mid)
        if row is not None and row not in rows:
            rows.append(row)
    return rows


def _verp_address(finding: Finding, template: str) -> str:
    if not template:
        return ""
    for addr in finding.to:
        decoded = verp_decode(template, addr)
        if decoded:
            return decoded
    return ""


def _match_bounce(
    finding: Finding,
    rows: list[LedgerRow],
    by_address: ByAddress,
    verp_template: str,
    latest_for_address: LatestForAddress | None,
) -> tuple[list[Match], list[Unmatched]]:
    matched: list[Match] = []
    unmatched: list[Unmatched] = []
    verp = _verp_address(finding, verp_template)
    campaigns = list(dict.fromkeys(r.campaign_id for r in rows))
    recipients = list(finding.recipients)
    if not recipients and verp:
        # A bounce nobody could parse the address from, but the return path says whose it was.
        recipients = [BouncedRecipient(verp, "hard" if _says_permanent(finding) else "delayed")]
    if not recipients:
        reason = "a bounce that names no address we could read"
        if rows:
            reason += f" (it returns our message to {rows[0].email}; check it by hand)"
        return [], [Unmatched(finding, reason)]
    for rec in recipients:
        folded = rec.address.casefold()
        row = next((r for r in rows if r.email.casefold() == folded), None)
        how: How = "message-id"
        if row is None:
            for campaign in campaigns:
                row = by_address(campaign, folded)
                if row is not None:
                    how = "address"
                    break
        if row is None and not campaigns and verp.casefold() == folded and latest_for_address is not None:
            row = latest_for_address(folded)  # the return path names the recipient; no Message-ID the campaign
            how = "verp"
        if row is not None:
            matched.append(Match(finding, row.email, row, how, rec))
        elif rows:
            unmatched.append(
                Unmatched(
                    finding,
                    f"the bounce names {rec.address}, but it returns our message to {rows[0].email} "
                    "(forwarded?); nothing changed",
                    rec.address,
                )
            )
        else:
            unmatched.append(Unmatched(finding, "none of our Message-IDs in the bounce", rec.address))
    return matched, unmatched


def _says_permanent(finding: Finding) -> bool:
    return "delay" not in finding.subject.lower() and "warning" not in finding.subject.lower()


def _match_reply(finding: Finding, rows: list[LedgerRow]) -> tuple[list[Match], list[Unmatched]]:
    if not rows:
        return [], [Unmatched(finding, "it does not reply to one of our messages", finding.sender)]
    sender = finding.sender.casefold()
    row = next((r for r in rows if r.email.casefold() == sender), rows[0])
    return [Match(finding, row.email, row, "message-id")], []


def _match_unsubscribe(finding: Finding, rows: list[LedgerRow]) -> tuple[list[Match], list[Unmatched]]:
    sender = finding.sender.casefold()
    if not sender or "@" not in sender:
        return [], [Unmatched(finding, "an unsubscribe request without a sender address")]
    row = next((r for r in rows if r.email.casefold() == sender), None)
    if row is not None:
        return [Match(finding, row.email, row, "message-id")], []
    return [Match(finding, finding.sender, None, "sender")], []
