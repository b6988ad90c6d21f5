"""What the ledger and the suppression list should do about proven findings: a pure plan, no I/O.

What a failure says about an address is the send side's rule, :func:`pressctl.relays.replies.bounce_class`:

* **dead** (a hard bounce with 5.1.x, including 5.1.10): a ``sent`` row becomes ``bounced`` (final) with
  the status code and the diagnostic; the address is suppressed with the reason and the date. A row in any
  other status (a recipient refused during the send stays ``failed``) keeps it; the address is still
  suppressed.
* **full** (5.2.2) and **soft** (Action: failed with 4.x.x: an MTA that gave up): a soft bounce; the row
  stays ``sent`` with ``response = soft-bounce``; the third soft bounce of one address within 90 days,
  across campaigns, suppresses it (the caller supplies the earlier ones: ``soft_history``).
* **policy** (5.7.x: a spam filter, sender authentication), **size** (5.3.4, 5.2.3) and any other
  permanent failure (no status, 5.0.0, 5.4.x ...): that message failed, the address did not: a ``sent``
  row becomes ``failed`` (``response = failed``, the code and diagnostic), nobody is suppressed, and the
  failure is listed with what to do (:attr:`Plan.refused`, :data:`pressctl.relays.replies.BOUNCE_ADVICE`).
* **delayed**: recorded (``response = delayed``), suppresses nobody.
* **auto-reply**, **moved** (with every new address given), **replied**: the row's ``response``, with
  the first lines of what they wrote; the status stays ``sent``.
* **unsubscribe** (only with the reader's token, see :mod:`pressctl.bounces.match`): the token's address
  is suppressed; its row, if any, gets ``response = unsubscribe``.

A row's response only moves up in :data:`RESPONSE_RANK` (a human reply is not overwritten by the
out-of-office that follows it); the caller passes the row's current response in :class:`LedgerRow`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from pressctl.addresses import address_key
from pressctl.bounces.match import Match
from pressctl.relays.replies import BOUNCE_ADVICE, bounce_class

__all__ = [
    "RESPONSE_RANK",
    "SOFT_LIMIT",
    "SOFT_WINDOW",
    "Plan",
    "Refused",
    "RowUpdate",
    "SoftBounce",
    "Suppression",
    "plan_updates",
]

SOFT_LIMIT = 3
SOFT_WINDOW = dt.timedelta(days=90)

# Higher wins on one row. "bounced" is both a status and the strongest response.
RESPONSE_RANK = {
    "": 0,
    "delayed": 1,
    "auto-reply": 2,
    "soft-bounce": 3,
    "replied": 4,
    "unsubscribe": 5,
    "moved": 6,
    "failed": 7,
    "bounced": 8,
}


@dataclass(frozen=True)
class RowUpdate:
    """Set on one recipient row. ``status`` is "bounced" or None (unchanged)."""

    campaign_id: int
    key: str
    response: str
    status: str | None = None
    code: str = ""  # RFC 3463 status, e.g. 5.1.1
    detail: str = ""  # the diagnostic, or the first lines of a reply
    new_address: str = ""
    handled_key: str = ""


@dataclass(frozen=True)
class Suppression:
    address: str
    reason: str
    handled_key: str = ""


@dataclass(frozen=True)
class SoftBounce:
    """One soft bounce to remember (``address``: its ``addresses.address_key``), for the 3-in-90-days rule."""

    address: str
    at: dt.datetime
    code: str
    handled_key: str = ""


@dataclass(frozen=True)
class Refused:
    """A permanent failure that does not say the address is dead (policy, size, other): listed, not suppressed."""

    address: str
    status: str
    kind: str  # pressctl.relays.replies.BounceClass: policy, size or other
    advice: str
    diagnostic: str = ""
    campaign_id: int | None = None


@dataclass(frozen=True)
class Plan:
    updates: tuple[RowUpdate, ...]
    suppressions: tuple[Suppression, ...]
    soft_bounces: tuple[SoftBounce, ...]
    refused: tuple[Refused, ...] = ()


def plan_updates(
    matches: Iterable[Match],
    *,
    now: dt.datetime,
    soft_history: Callable[[str], Sequence[dt.datetime]] = lambda _addr: (),
    soft_limit: int = SOFT_LIMIT,
    soft_window: dt.timedelta = SOFT_WINDOW,
    zone: dt.tzinfo = dt.UTC,
) -> Plan:
    """Turn matches into row updates, suppressions and soft bounces to record.

    ``soft_history(key)`` gives the times of earlier soft bounces of an address key (any campaign); ``now``
    is when this run saw the new ones, and a reason names that day in ``zone`` (the workspace's). One update
    per row (the highest response wins), one suppression per address (by ``address_key``).
    """
    updates: dict[tuple[int, str], RowUpdate] = {}
    suppressions: dict[str, Suppression] = {}
    soft: list[SoftBounce] = []
    today = now.astimezone(zone).strftime("%Y-%m-%d")

    def update(u: RowUpdate, current: str) -> None:
        key = (u.campaign_id, u.key)
        have = updates.get(key)
        floor = max(RESPONSE_RANK.get(current, 0), RESPONSE_RANK.get(have.response, 0) if have else -1)
        if RESPONSE_RANK.get(u.response, 0) > floor:
            updates[key] = u

    def suppress(address: str, reason: str, handled: str) -> None:
        key = address_key(address)
        if key not in suppressions:
            suppressions[key] = Suppression(address, reason, handled)

    refused: list[Refused] = []
    for m in matches:
        f = m.finding
        row = m.row
        handled = f.handled_key
        if f.kind == "bounce" and m.recipient is not None:
            rec = m.recipient
            where = f" (campaign {row.campaign_id})" if row else ""
            kind = bounce_class(rec.status)
            if rec.severity == "hard" and kind == "dead":
                reason = f"bounced {rec.status}: {rec.diagnostic or 'permanent failure'}"[:200]
                suppress(m.address, f"{reason}{where} {today}", handled)
                if row is not None:
                    status = "bounced" if row.status == "sent" else None
                    update(
                        RowUpdate(row.campaign_id, row.key, "bounced", status, rec.status, rec.diagnostic, "", handled),
                        row.response,
                    )
            elif rec.severity == "hard" and kind != "full":
                refused.append(
                    Refused(m.address, rec.status, kind, BOUNCE_ADVICE[kind], rec.diagnostic, row.campaign_id if row else None)
                )
                if row is not None:
                    status = "failed" if row.status == "sent" else None
                    update(
                        RowUpdate(row.campaign_id, row.key, "failed", status, rec.status, rec.diagnostic, "", handled),
                        row.response,
                    )
            elif rec.severity in ("hard", "soft"):  # a full mailbox (5.2.2) or an MTA that gave up (4.x.x)
                key = address_key(m.address)
                earlier = [t for t in soft_history(key) if now - t <= soft_window]
                earlier += [s.at for s in soft if s.address == key]
                soft.append(SoftBounce(key, now, rec.status, handled))
                if len(earlier) + 1 >= soft_limit:
                    suppress(
                        m.address,
                        f"{len(earlier) + 1} soft bounces within {soft_window.days} days, last "
                        f"{rec.status or '4.x.x'}{where} {today}",
                        handled,
                    )
                if row is not None:
                    update(
                        RowUpdate(row.campaign_id, row.key, "soft-bounce", None, rec.status, rec.diagnostic, "", handled),
                        row.response,
                    )
            elif row is not None:  # delayed
                update(
                    RowUpdate(row.campaign_id, row.key, "delayed", None, rec.status, rec.diagnostic, "", handled),
                    row.response,
                )
        elif f.kind == "unsubscribe" and m.how == "token":
            suppress(m.address, f"asked to unsubscribe by email (with their token) {today}", handled)
            if row is not None:
                update(RowUpdate(row.campaign_id, row.key, "unsubscribe", None, "", f.excerpt, "", handled), row.response)
        elif f.kind in ("auto-reply", "moved", "replied") and row is not None:
            update(
                RowUpdate(row.campaign_id, row.key, f.kind, None, "", f.excerpt, f.new_address, handled),
                row.response,
            )
    return Plan(tuple(updates.values()), tuple(suppressions.values()), tuple(soft), tuple(refused))
