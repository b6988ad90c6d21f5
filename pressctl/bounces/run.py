"""One pass over a mailbox: read, parse, skip what was handled, match, plan, apply, move. Glue, no SQL.

The ledger side is a :class:`BounceStore` (the ledger implements it after the merge; tests use a fake), the
suppression list a callable, so this module stays free of SQLite and files. Each message is finished
before the next is read, in the order that survives a crash at any point:

1. suppress (appending an address twice is harmless),
2. ``store.apply(plan, handled)``: row updates, soft bounces and the handled key in one transaction,
3. move the message (``--move-to``), if asked and it matched a row: unmatched and unrelated messages stay
   where they are for a person to look at (they are remembered as handled, so a re-run skips them).

A crash after 1 suppresses again on the next run; after 2 the message is skipped as handled (and moved then).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pressctl.bounces.mailbox import Reader
from pressctl.bounces.match import LedgerRow, Unmatched, match_findings
from pressctl.bounces.parse import parse_message
from pressctl.bounces.plan import Plan, Suppression, plan_updates

__all__ = ["BounceStore", "Handled", "Summary", "process", "process_message"]


@dataclass(frozen=True)
class Handled:
    """What the store remembers of a handled message."""

    key: str
    kind: str
    source: str
    outcome: str  # "matched", "unmatched: REASON", "other"


class BounceStore(Protocol):
    def is_handled(self, key: str) -> bool: ...

    def by_message_id(self, message_id: str) -> LedgerRow | None: ...

    def by_address(self, campaign_id: int, folded: str) -> LedgerRow | None: ...

    def latest_for_address(self, folded: str) -> LedgerRow | None: ...

    def soft_bounce_times(self, folded: str) -> Sequence[dt.datetime]: ...

    def apply(self, plan: Plan, handled: Handled) -> None: ...


@dataclass
class Summary:
    """What a run did, for the command's report."""

    read: int = 0
    already_handled: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    severities: dict[str, int] = field(default_factory=dict)  # bounced addresses: hard, soft, delayed
    bounced: int = 0
    suppressed: list[Suppression] = field(default_factory=list)
    unmatched: list[tuple[str, Unmatched]] = field(default_factory=list)  # (source id, why)
    moved: int = 0


def process_message(
    source: str,
    raw: bytes,
    store: BounceStore,
    *,
    now: dt.datetime,
    suppress: Callable[[Suppression], None],
    unsubscribe_addresses: Iterable[str] = (),
    verp_template: str = "",
    summary: Summary | None = None,
) -> Handled | None:
    """Handle one message; returns what was remembered of it, or None when it had been handled before."""
    summary = summary if summary is not None else Summary()
    summary.read += 1
    finding = parse_message(raw, unsubscribe_addresses=unsubscribe_addresses)
    if store.is_handled(finding.handled_key):
        summary.already_handled += 1
        return None
    summary.kinds[finding.kind] = summary.kinds.get(finding.kind, 0) + 1
    for rec in finding.recipients:
        summary.severities[rec.severity] = summary.severities.get(rec.severity, 0) + 1
    matches = match_findings(
        [finding],
        store.by_message_id,
        store.by_address,
        verp_template=verp_template,
        latest_for_address=store.latest_for_address,
    )
    plan = plan_updates(matches.matched, now=now, soft_history=store.soft_bounce_times)
    for s in plan.suppressions:
        suppress(s)
    summary.suppressed.extend(plan.suppressions)
    summary.bounced += sum(1 for u in plan.updates if u.status == "bounced")
    summary.unmatched.extend((source, u) for u in matches.unmatched)
    if matches.unmatched and not matches.matched:
        outcome = "unmatched: " + matches.unmatched[0].reason
    else:
        outcome = "matched" if matches.matched else "other"
    handled = Handled(finding.handled_key, finding.kind, source, outcome[:300])
    store.apply(plan, handled)
    return handled


def process(
    reader: Reader,
    store: BounceStore,
    *,
    now: Callable[[], dt.datetime],
    suppress: Callable[[Suppression], None],
    unsubscribe_addresses: Iterable[str] = (),
    verp_template: str = "",
    move_to: str = "",
    messages: Iterable[tuple[str, bytes]] | None = None,
) -> Summary:
    """Every message of ``reader`` (or of ``messages``, e.g. a ``watch()`` generator over it)."""
    summary = Summary()
    wanted = tuple(unsubscribe_addresses)
    for source, raw in reader.read() if messages is None else messages:
        handled = process_message(
            source,
            raw,
            store,
            now=now(),
            suppress=suppress,
            unsubscribe_addresses=wanted,
            verp_template=verp_template,
            summary=summary,
        )
        if move_to and handled is not None and handled.outcome == "matched":
            reader.move(source, move_to)
            summary.moved += 1
    return summary
