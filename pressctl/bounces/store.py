"""The ledger as a :class:`pressctl.bounces.run.BounceStore`: lookups and one transaction per message.

The SQL lives in :class:`pressctl.ledger.Ledger` (its "bounces and replies" methods), which sits below this
package and so cannot name the types here; this adapter turns its records into :class:`LedgerRow` and a
:class:`Plan` into its :class:`ResponseUpdate` rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pressctl.bounces.match import LedgerRow
from pressctl.bounces.plan import Plan
from pressctl.bounces.run import Handled
from pressctl.ledger import Ledger, RecipientRecord, ResponseUpdate

__all__ = ["LedgerStore"]


def _row(record: RecipientRecord | None) -> LedgerRow | None:
    if record is None:
        return None
    return LedgerRow(
        campaign_id=record.campaign_id,
        key=record.key,
        email=record.email,
        message_id=record.message_id,
        status=record.status,
        response=record.response,
    )


class LedgerStore:
    """``BounceStore`` over an open :class:`Ledger`."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def is_handled(self, key: str) -> bool:
        return self.ledger.is_inbound_handled(key)

    def by_message_id(self, message_id: str) -> LedgerRow | None:
        return _row(self.ledger.record_by_message_id(message_id))

    def by_address(self, campaign_id: int, folded: str) -> LedgerRow | None:
        return _row(self.ledger.record(campaign_id, folded))

    def latest_for_address(self, folded: str) -> LedgerRow | None:
        return _row(self.ledger.latest_record_for(folded))

    def soft_bounce_times(self, folded: str) -> Sequence[dt.datetime]:
        return self.ledger.soft_bounce_times(folded)

    def apply(self, plan: Plan, handled: Handled) -> None:
        self.ledger.apply_responses(
            [
                ResponseUpdate(u.campaign_id, u.key, u.response, u.status, u.code, u.detail, u.new_address)
                for u in plan.updates
            ],
            [(s.address, s.at, s.code, s.handled_key) for s in plan.soft_bounces],
            (handled.key, handled.kind, handled.source, handled.outcome),
        )
