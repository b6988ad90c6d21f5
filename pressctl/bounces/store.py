"""The ledger as a :class:`pressctl.bounces.run.BounceStore`: lookups and one transaction per message.

The SQL of the recipients and the ``inbound`` memory lives in the ledger's inbound family
(:class:`pressctl.ledger.inbound.Inbound`), which sits below this package and so cannot name the types here;
this adapter turns its records into :class:`LedgerRow` and a :class:`Plan` into its :class:`ResponseUpdate`
rows. The notes for a person (:mod:`pressctl.bounces.notes`) go into their own table first, so a crash
before the ledger's record only means the message is read again and its note is not written twice.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence

from pressctl.bounces.match import LedgerRow
from pressctl.bounces.plan import Plan
from pressctl.bounces.run import Handled
from pressctl.clock import system_clock
from pressctl.contacts.unsubscribe import token_for
from pressctl.ledger import Ledger
from pressctl.ledger.inbound import Note
from pressctl.ledger.records import RecipientRecord, ResponseUpdate

__all__ = ["LedgerStore"]

_TOKEN_MAP_AGE = 60.0  # seconds: a token that matches nobody rebuilds the map at most this often


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
    """``BounceStore`` over an open :class:`Ledger`; ``secret`` (the workspace's) maps tokens to addresses."""

    def __init__(
        self, ledger: Ledger, *, secret: bytes | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ledger = ledger
        self._secret = secret
        self._clock = clock
        self._tokens: dict[str, str] = {}
        self._built = -_TOKEN_MAP_AGE

    def is_handled(self, key: str) -> bool:
        return self.ledger.inbound.is_handled(key)

    def by_message_id(self, message_id: str) -> LedgerRow | None:
        return _row(self.ledger.inbound.by_message_id(message_id))

    def latest_for_address(self, folded: str) -> LedgerRow | None:
        return _row(self.ledger.inbound.latest_for(folded))

    def soft_bounce_times(self, folded: str) -> Sequence[dt.datetime]:
        return self.ledger.inbound.soft_bounce_times(folded)

    def address_for_token(self, token: str) -> str | None:
        """The address (one the ledger knows) whose unsubscribe token ``token`` is, else None."""
        if self._secret is None:
            return None
        found = self._tokens.get(token)
        if found is None and self._clock() - self._built >= _TOKEN_MAP_AGE:  # addresses sent to since
            self._tokens = {token_for(a, self._secret): a for a in self.ledger.suppressions.known_addresses()}
            self._built = self._clock()
            found = self._tokens.get(token)
        return found

    def apply(self, plan: Plan, handled: Handled, notes: Sequence[Note] = ()) -> None:
        self.ledger.inbound.record_notes(notes, now=system_clock())
        self.ledger.inbound.apply(
            [
                ResponseUpdate(u.campaign_id, u.key, u.response, u.status, u.code, u.detail, u.new_address)
                for u in plan.updates
            ],
            [(s.address, s.at, s.code, s.handled_key) for s in plan.soft_bounces],
            (handled.key, handled.kind, handled.source, handled.outcome),
        )
