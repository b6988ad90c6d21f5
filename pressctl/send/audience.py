"""Who a campaign sends to, and why anyone is left out: one reading for the send, its summary, the dry run and
``schedule``, so the dry run's counts are the counts the send prints.

A new campaign of a release looks at the release's earlier campaigns in the ledger
(:meth:`pressctl.ledger.campaigns.Campaigns.earlier_receipts`, the same release by slug and file or title):

- a journalist who already received the **released** version (any campaign but an advance copy or a test)
  is ``skipped``: nobody gets a release twice;
- a journalist who had only the **advance copy** gets the released version at the lift, once, recorded
  with ``advance_of`` (the advance campaign): their only copy says EMBARGOED and links to the preview page.
  ``--skip-advance`` leaves them out (``skipped``, saying so);
- an advance campaign skips anyone who had any copy; ``--new-campaign`` skips nobody (a correction or a
  resend, :mod:`pressctl.send.kinds`); test copies are no journalist's receipt.

A campaign found again (the same inputs: a re-run) resumes its own rows: those still to do, the failures
recorded retryable, and with ``--retry-failed`` every failure that was not a bounce (a bounced address is
suppressed, which is the proof). Internal copies (:mod:`pressctl.send.copies`) are rows too, never counted here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pressctl.clock import system_clock
from pressctl.ledger import Ledger
from pressctl.ledger.records import STATUSES, TODO_STATUSES, Campaign, RecipientRow
from pressctl.model import Contact
from pressctl.relays.adaptive import DAY, plan_cap
from pressctl.send.copies import copy_addresses, copy_rows, suppressed_among
from pressctl.send.kinds import kind_of

if TYPE_CHECKING:
    from pressctl.send.plan import SendPlan

__all__ = [
    "Audience",
    "advance_split",
    "audience",
    "campaign_kind",
    "decide",
    "open_campaign",
    "room_now",
    "totals_line",
]

Receipts = Mapping[str, tuple[int, str]]  # key -> (campaign, its kind): who already had this release


def totals_line(totals: Mapping[str, int], *, advance: int = 0) -> str:
    """``40 sent (36 + 4 who had the advance copy), 2 suppressed``: a campaign's journalists, as the send's
    last line and the dry run's say them."""
    sent = totals.get("sent", 0)
    parts = [f"{sent} sent" + (f" ({sent - advance} + {advance} who had the advance copy)" if advance else "")]
    for key in ("failed", "unknown", "pending", "suppressed", "invalid", "skipped"):
        n = totals.get(key, 0) + (totals.get("sending", 0) if key == "pending" else 0)
        if n:
            parts.append(f"{n} {key}")
    return ", ".join(parts)


def advance_split(total: int, advance: int) -> str:
    """``40: 36 + 4 who had the advance copy`` (or ``40``): the recipients line of a summary."""
    return f"{total}: {total - advance} + {advance} who had the advance copy" if advance else str(total)


def decide(
    kind: str, receipts: Receipts, *, new_campaign: bool, skip_advance: bool
) -> tuple[dict[str, str], dict[str, int]]:
    """For a new campaign of ``kind``: (who is skipped, and why; who had the advance copy, and from which
    campaign). See the module docstring."""
    skip: dict[str, str] = {}
    advance: dict[str, int] = {}
    if kind == "test" or new_campaign:
        return skip, advance
    for key, (cid, had) in receipts.items():
        if had != "advance":
            skip[key] = f"already received this release in campaign #{cid}"
        elif kind == "advance":
            skip[key] = f"already had the advance copy in campaign #{cid}"
        elif skip_advance:
            skip[key] = f"had the advance copy in campaign #{cid} (--skip-advance)"
        else:
            advance[key] = cid
    return skip, advance


def _receipts(plan: SendPlan, ledger: Ledger | None, exclude: int = 0) -> Receipts:
    if ledger is None:
        return {}
    return ledger.campaigns.earlier_receipts(
        plan.main.slug, exclude=exclude, release_path=str(plan.release_path.resolve()), title=plan.main.title
    )


def campaign_kind(plan: SendPlan, ledger: Ledger | None, receipts: Receipts, *, test: bool = False) -> str:
    """The kind of a new campaign of this plan (:func:`pressctl.send.kinds.kind_of`)."""
    released = sorted({cid for cid, had in receipts.values() if had != "advance"})
    digests: list[str | None] = []
    for cid in released:
        found = ledger.campaigns.get(cid) if ledger is not None else None
        digests.append(str(found.options.get("release_digest")) if found and found.options.get("release_digest") else None)
    return kind_of(
        test=test,
        advance=plan.embargoed,
        embargo=plan.main.embargo is not None,
        new_campaign=plan.options.new_campaign,
        earlier_digests=digests,
        digest=plan.release_digest,
    )


def _journalist_rows(plan: SendPlan, skip: Mapping[str, str], advance: Mapping[str, int]) -> Iterator[RecipientRow]:
    c = plan.contacts
    for contact in c.selected:
        yield RecipientRow(
            key=contact.key, email=contact.email, status="skipped" if contact.key in skip else "pending",
            name=contact.name, language=contact.language or "", source=contact.source,
            reply=skip.get(contact.key, ""), advance_of=advance.get(contact.key),
        )
    for contact in c.suppressed:
        yield RecipientRow(
            key=contact.key, email=contact.email, status="suppressed", name=contact.name,
            language=contact.language or "", source=contact.source, reply="on a suppression list",
        )
    for problem in c.invalid:
        yield RecipientRow(
            key=f"invalid:{problem.where}", email=problem.value, status="invalid", source=problem.where,
            reply=problem.reason,
        )


def _languages(plan: SendPlan, contacts: Sequence[Contact]) -> list[str]:
    """The language versions ``contacts`` get, in the release's order."""
    main = plan.languages[0]
    wanted = {c.language or main for c in contacts}
    return [lang for lang in plan.languages if lang in wanted]


def open_campaign(plan: SendPlan, ledger: Ledger) -> tuple[Campaign, bool, int]:
    """The campaign these inputs make (found by fingerprint, or new), with every recipient recorded, and the
    internal copies of the languages that go out. Returns (campaign, created, skipped)."""
    found = None if plan.options.new_campaign else ledger.campaigns.find(plan.fingerprint)
    skip: dict[str, str] = {}
    advance: dict[str, int] = {}
    if found is None:
        receipts = _receipts(plan, ledger)
        kind = campaign_kind(plan, ledger, receipts)
        skip, advance = decide(
            kind, receipts, new_campaign=plan.options.new_campaign, skip_advance=plan.options.skip_advance
        )
        campaign = ledger.campaigns.create(
            fingerprint=plan.fingerprint,
            release_path=str(plan.release_path.resolve()),
            slug=plan.main.slug,
            title=plan.main.title,
            lists=[str(p) for p in plan.contact_paths],
            options={**plan.options.to_mapping(), "embargoed": plan.embargoed, "release_digest": plan.release_digest},
            kind=kind,
        )
    else:
        campaign = found
    ledger.recipients.add(campaign.id, _journalist_rows(plan, skip, advance))
    addresses = [address for address, _ in copy_addresses(plan)]
    if addresses:
        languages = (
            _languages(plan, [c for c in plan.contacts.selected if c.key not in skip])
            if found is None
            else [lang for lang in plan.languages if lang in {x or plan.languages[0] for x in ledger.recipients.languages(campaign.id)}]
        )
        held = suppressed_among(plan, addresses)
        ledger.recipients.add(campaign.id, copy_rows(plan, languages, {a: a in held for a in addresses}))
    skipped = ledger.recipients.totals(campaign.id).get("skipped", 0)
    return campaign, found is None, skipped


@dataclass(frozen=True)
class Audience:
    """What a send of this plan would do now, read from the ledger and written nowhere (the dry run and the
    summary before the question). ``totals`` are the campaign's once everyone in ``send`` was sent."""

    kind: str
    campaign: Campaign | None  # the campaign a send would resume (None: a new one)
    send: list[Contact]  # journalists this run would hand over, in order
    advance: frozenset[str]  # keys in ``send`` who had the advance copy
    skipped: list[tuple[Contact, str]]  # left out, and why
    totals: dict[str, int]
    advance_sent: int = 0  # of the campaign's sent rows (resumed), those who had the advance copy
    copies: list[tuple[str, str, str]] = field(default_factory=list)  # (address, language, to send/suppressed/sent)
    later: int = 0  # of ``send``, those the daily cap keeps for a later run
    retried: int = 0  # of ``send``, failures tried again (recorded retryable, or --retry-failed)
    selected: int = 0  # the journalists the lists select (a resumed campaign sends only those left)

    @property
    def recipients_line(self) -> str:
        """``40: 36 + 4 who had the advance copy``: the journalists this run sends to (resumed: ``2 to send
        now (12 selected)``)."""
        line = advance_split(len(self.send), len(self.advance))
        if self.campaign is not None and len(self.send) != self.selected:
            line += f" to send now ({self.selected} selected)"
        return line

    def line(self) -> str:
        """The counts the send will print when it ends (:func:`totals_line`)."""
        now = len(self.send) - self.later
        advance = self.advance_sent + min(len(self.advance), now)
        return totals_line(self.totals, advance=advance)

    def skipped_reasons(self) -> dict[str, int]:
        """Why people are skipped, most first: ``{"already received this release in campaign #1": 4}``."""
        counts: dict[str, int] = {}
        for _, why in self.skipped:
            counts[why] = counts.get(why, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def room_now(plan: SendPlan, ledger: Ledger | None, *, wanted: int, at: dt.datetime | None = None) -> int | None:
    """How many of ``wanted`` the relays' rolling daily caps let go now (None: no cap applies)."""
    moment = at or system_clock()
    rooms = []
    for spec in plan.relays:
        cap = spec.limits.daily_cap.value
        if not cap:
            return None  # an uncapped relay takes whatever the others cannot
        handovers = ledger.caps.handovers(spec.account, since=moment - DAY) if ledger is not None else []
        rooms.append(plan_cap(handovers, cap, moment, wanted).now)
    return min(wanted, sum(rooms)) if rooms else None


def audience(plan: SendPlan, ledger: Ledger | None, *, capped: bool = False) -> Audience:
    """What a send would do now (see :class:`Audience`); ``ledger`` None when there is none yet. ``capped``:
    count the relays' rolling daily caps too (:func:`room_now`; internal copies go first and take theirs)."""
    c = plan.contacts
    found = None if ledger is None or plan.options.new_campaign else ledger.campaigns.find(plan.fingerprint)
    totals = dict.fromkeys(STATUSES, 0)
    advance_sent = 0
    if found is None:
        receipts = _receipts(plan, ledger)
        kind = campaign_kind(plan, ledger, receipts)
        skip, advance = decide(
            kind, receipts, new_campaign=plan.options.new_campaign, skip_advance=plan.options.skip_advance
        )
        send = [x for x in c.selected if x.key not in skip]
        skipped = [(x, skip[x.key]) for x in c.selected if x.key in skip]
        ahead = frozenset(x.key for x in send if x.key in advance)
        totals.update(sent=len(send), suppressed=len(c.suppressed), invalid=len(c.invalid), skipped=len(skipped))
        sent_copies: set[tuple[str, str]] = set()
        retried = 0
    else:
        assert ledger is not None
        kind = found.kind or "release"
        rows = ledger.recipients.states(found.id)  # key -> (status, retryable, advance_of, attempts, role)
        held = {x.key for x in c.suppressed}
        again = set(TODO_STATUSES)

        def goes(key: str) -> bool:
            row = rows.get(key)
            if row is None:
                return True  # a row the next run adds
            status, retryable = row[0], row[1]
            if status in again:
                return True
            return status == "failed" and (retryable or (plan.options.retry_failed and key not in held))

        send = [x for x in c.selected if goes(x.key)]
        retried = sum(1 for x in send if x.key in rows and rows[x.key][0] == "failed")
        reasons = ledger.recipients.replies(found.id, "skipped")
        skipped = [(x, reasons[x.key]) for x in c.selected if x.key in reasons]
        ahead = frozenset(x.key for x in send if x.key in rows and rows[x.key][2] is not None)
        for status, _, _, _, role in rows.values():
            if not role:
                totals[status] += 1
        for x in send:
            if x.key in rows:
                totals[rows[x.key][0]] -= 1
        for x in c.suppressed:  # pending rows of people suppressed since: the send records them suppressed
            row = rows.get(x.key)
            if row is not None and row[0] == "pending" and row[3] == 0:
                totals["pending"] -= 1
                totals["suppressed"] += 1
        totals["sent"] += len(send)
        advance_sent = sum(1 for status, _, adv, _, role in rows.values() if status == "sent" and adv is not None and not role)
        sent_copies = {
            (key.split(":", 2)[2], key.split(":", 2)[1])
            for key, (status, *_, role) in rows.items()
            if role == "internal" and status == "sent"
        }
    copies: list[tuple[str, str, str]] = []
    addresses = [a for a, _ in copy_addresses(plan)]
    if addresses:
        held_copies = suppressed_among(plan, addresses)
        for address in addresses:
            for language in _languages(plan, send):
                state = (
                    "sent" if (address.lower(), language) in sent_copies
                    else "suppressed" if address in held_copies else "to send"
                )
                copies.append((address, language, state))
    later = 0
    to_copy = sum(1 for *_, state in copies if state == "to send")
    room = room_now(plan, ledger, wanted=len(send) + to_copy) if capped else None
    if room is not None:
        room = max(0, room - sum(1 for *_, state in copies if state == "to send"))
        later = max(0, len(send) - room)
        totals["sent"] -= later
        totals["pending"] += later
    return Audience(
        kind=kind, campaign=found, send=send, advance=ahead, skipped=skipped, totals=totals,
        advance_sent=advance_sent, copies=copies, later=later, retried=retried, selected=len(c.selected),
    )
