"""One pass over a mailbox: read, parse, skip what was handled, match, plan, apply, move. Glue, no SQL.

The ledger side is a :class:`BounceStore` (:class:`pressctl.bounces.store.LedgerStore`; tests use a fake),
the suppression list a callable, so this module stays free of SQLite and files. Each message is finished
before the next is read, in the order that survives a crash at any point:

1. suppress (appending an address twice is harmless),
2. ``store.apply(plan, handled, notes)``: notes for a person, then row updates, soft bounces and the handled
   key in one transaction,
3. move the message (``--move-to``), if asked and it matched a row: unmatched, unconfirmed and unreadable
   messages stay where they are for a person to look at (they are remembered as handled, so a re-run
   skips them).

A crash after 1 suppresses again on the next run; after 2 the message is skipped as handled (and moved then).

Each message is handled on its own: one that cannot be read (:class:`pressctl.bounces.mailbox.Unreadable`
from the reader, or an ``unreadable`` finding from the parser), or that trips any rule, is recorded once as
unreadable with its reason and the pass goes on with the next.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from pressctl.bounces.mailbox import Reader, Unreadable
from pressctl.bounces.match import LedgerRow, Matches, Request, Unmatched, match_findings
from pressctl.bounces.notes import REQUEST, UNREADABLE
from pressctl.bounces.parse import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, Finding, parse_message, unreadable
from pressctl.bounces.plan import Plan, Refused, Suppression, plan_updates
from pressctl.ledger.inbound import Note

__all__ = ["BounceStore", "Handled", "InboundRules", "Kept", "Summary", "process", "process_message"]

T = TypeVar("T")


@dataclass(frozen=True)
class Handled:
    """What the store remembers of a handled message."""

    key: str
    kind: str
    source: str
    outcome: str  # "matched", "unmatched: REASON", "request: REASON", "unreadable: REASON", "other"


@dataclass(frozen=True)
class InboundRules:
    """What a pass needs besides the mailbox and the ledger: our List-Unsubscribe mailbox(es), the VERP
    template and the workspace secret that signs it and the tokens, the ``[limits]`` on one message, and the
    workspace's zone (the day a suppression's reason names)."""

    unsubscribe_addresses: tuple[str, ...] = ()
    verp_template: str = ""
    secret: bytes | None = field(default=None, repr=False)
    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH
    zone: dt.tzinfo = dt.UTC


class BounceStore(Protocol):
    def is_handled(self, key: str) -> bool: ...

    def by_message_id(self, message_id: str) -> LedgerRow | None: ...

    def latest_for_address(self, folded: str) -> LedgerRow | None: ...

    def soft_bounce_times(self, folded: str) -> Sequence[dt.datetime]: ...

    def address_for_token(self, token: str) -> str | None: ...

    def apply(self, plan: Plan, handled: Handled, notes: Sequence[Note] = ()) -> None: ...


class Kept(Generic[T]):
    """A list that counts everything but keeps only the first ``keep`` items: a 100,000-message mailbox
    must not hold 100,000 findings in memory to print the first 50."""

    def __init__(self, keep: int = 1000) -> None:
        self.keep = keep
        self.items: list[T] = []
        self.total = 0

    def add(self, item: T) -> None:
        self.total += 1
        if len(self.items) < self.keep:
            self.items.append(item)

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.add(item)

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)


@dataclass
class Summary:
    """What a run did, for the command's report. Lists keep their first items and count them all."""

    read: int = 0
    already_handled: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    severities: dict[str, int] = field(default_factory=dict)  # bounced addresses: hard, soft, delayed
    bounced: int = 0
    unsubscribes: int = 0  # requests proven by the reader's token
    suppressed: Kept[Suppression] = field(default_factory=Kept)
    unmatched: Kept[tuple[str, Unmatched]] = field(default_factory=Kept)  # (source id, why)
    requests: Kept[tuple[str, Request]] = field(default_factory=Kept)  # unconfirmed unsubscribe requests
    unreadable: Kept[tuple[str, str]] = field(default_factory=Kept)  # (source id, why)
    refused: Kept[Refused] = field(default_factory=Kept)  # failed, not suppressed (policy, size, other)
    moved: int = 0


def process_message(
    source: str,
    raw: bytes | Unreadable,
    store: BounceStore,
    *,
    now: dt.datetime,
    suppress: Callable[[Suppression], None],
    rules: InboundRules = InboundRules(),
    summary: Summary | None = None,
    mailbox: str = "",
) -> Handled | None:
    """Handle one message; returns what was remembered of it, or None when it had been handled before.
    ``mailbox`` names where it is, for a message never read (remembered by its place, not its bytes)."""
    summary = summary if summary is not None else Summary()
    summary.read += 1
    if isinstance(raw, Unreadable):
        # Never read (a FIFO, a link out of the folder, too big): remembered by where it is, once.
        place = f"{mailbox}\0{source}".encode("utf-8", "replace")
        key = "unreadable:" + hashlib.sha256(place).hexdigest()[:32]
        finding = dataclasses.replace(unreadable(raw.reason), key=key)
    else:
        finding = parse_message(
            raw, unsubscribe_addresses=rules.unsubscribe_addresses, max_bytes=rules.max_bytes, max_depth=rules.max_depth
        )
    if store.is_handled(finding.handled_key):
        summary.already_handled += 1
        return None
    try:
        matches = match_findings(
            [finding],
            store.by_message_id,
            verp_template=rules.verp_template,
            secret=rules.secret,
            latest_for_address=store.latest_for_address,
            address_for_token=store.address_for_token,
        )
        plan = plan_updates(matches.matched, now=now, soft_history=store.soft_bounce_times, zone=rules.zone)
    except Exception as exc:  # a rule tripped over this one message: it is unreadable, the pass goes on
        finding = dataclasses.replace(
            unreadable(f"pressctl could not handle it ({type(exc).__name__})"), key=finding.handled_key
        )
        matches, plan = Matches((), (Unmatched(finding, f"unreadable: {finding.reason}"),)), Plan((), (), ())
    summary.kinds[finding.kind] = summary.kinds.get(finding.kind, 0) + 1
    for rec in finding.recipients:
        summary.severities[rec.severity] = summary.severities.get(rec.severity, 0) + 1
    for s in plan.suppressions:
        suppress(s)
    summary.suppressed.extend(plan.suppressions)
    summary.bounced += sum(1 for u in plan.updates if u.status == "bounced")
    summary.unsubscribes += sum(1 for m in matches.matched if m.how == "token")
    summary.refused.extend(plan.refused)
    summary.requests.extend((source, r) for r in matches.requests)
    if finding.kind == "unreadable":
        summary.unreadable.add((source, finding.reason))
    else:
        summary.unmatched.extend((source, u) for u in matches.unmatched)
    handled = Handled(finding.handled_key, finding.kind, source, _outcome(finding, matches)[:300])
    store.apply(plan, handled, _notes(source, finding, matches))
    return handled


def _outcome(finding: Finding, matches: Matches) -> str:
    if finding.kind == "unreadable":
        return f"unreadable: {finding.reason}"
    if matches.requests:
        return f"request: {matches.requests[0].reason}"
    if matches.unmatched and not matches.matched:
        return "unmatched: " + matches.unmatched[0].reason
    return "matched" if matches.matched else "other"


def _notes(source: str, finding: Finding, matches: Matches) -> list[Note]:
    """What a person should read: the unconfirmed requests and the unreadable message."""
    notes = [
        Note(
            finding.handled_key, REQUEST, source, finding.sender, finding.subject, finding.excerpt,
            r.row.campaign_id if r.row else None, r.row.email if r.row else "",
        )
        for r in matches.requests
    ]
    if finding.kind == "unreadable":
        notes.append(Note(finding.handled_key, UNREADABLE, source, finding.sender, finding.subject, finding.reason))
    return notes


def process(
    reader: Reader,
    store: BounceStore,
    *,
    now: Callable[[], dt.datetime],
    suppress: Callable[[Suppression], None],
    rules: InboundRules = InboundRules(),
    move_to: str = "",
    messages: Iterable[tuple[str, bytes | Unreadable]] | None = None,
    summary: Summary | None = None,
    label: str = "",
    mailbox: str = "",
) -> Summary:
    """Every message of ``reader`` (or of ``messages``, e.g. a ``watch()`` generator over it). ``label``
    names the mailbox in source ids when a run reads several (``label: new/123``); ``mailbox`` names it for
    the memory of messages never read (default: the reader's description)."""
    summary = summary if summary is not None else Summary()
    for sid, raw in reader.read() if messages is None else messages:
        handled = process_message(
            f"{label}: {sid}" if label else sid, raw, store, now=now(), suppress=suppress, rules=rules,
            summary=summary, mailbox=mailbox or reader.description,
        )
        if move_to and handled is not None and handled.outcome == "matched":
            reader.move(sid, move_to)
            summary.moved += 1
    return summary
