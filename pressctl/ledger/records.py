"""What the ledger holds, as values: a campaign, a recipient's row as planned and as recorded, a bounce's
update of a row, and the words of a row's status (which are still to do, which are final).

These are plain frozen dataclasses: the table families (:mod:`pressctl.ledger.campaigns`,
:mod:`pressctl.ledger.recipients`, ...) read rows into them and take them to write, so nothing above the
ledger sees a database row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pressctl.ledger.connection import Row

__all__ = [
    "FINAL_STATUSES",
    "KINDS",
    "ROLES",
    "STATUSES",
    "TODO_STATUSES",
    "Campaign",
    "RecipientRecord",
    "RecipientRow",
    "ResponseUpdate",
    "campaign_of",
    "iso",
    "recipients_left",
    "record_of",
]

# pending: not handed over yet (or waiting for a retry); sending: handed over, no reply recorded yet;
# unknown: the connection was lost after the data, the server may have it; the rest are final.
# skipped: already received this release from an earlier campaign (the release or a list was edited since).
# bounced: the relay accepted it, then a bounce (5.x.x) came back (``pressctl bounces``); counted as failed.
STATUSES = ("pending", "sending", "sent", "failed", "bounced", "suppressed", "invalid", "skipped", "unknown")
TODO_STATUSES = ("pending", "sending", "unknown")
# What a campaign was (``pressctl.send.kinds`` says each in words): an advance copy under embargo, the released
# version at or after an embargo's lift, a release without an embargo, test copies, a corrected release sent
# again to those who had it, or the same release sent again on purpose.
KINDS = ("advance", "lift", "release", "test", "correction", "resend")
# Who a row is: a journalist (''), a copy to one's own people, a test copy. Only journalists are counted.
ROLES = ("", "internal", "test")
FINAL_STATUSES = ("sent", "failed", "bounced", "suppressed", "invalid", "skipped")


def recipients_left(totals: Mapping[str, int]) -> int:
    """Recipients of a campaign still to do (pending, in flight, outcome unknown): the one count of "left"."""
    return sum(totals.get(status, 0) for status in TODO_STATUSES)


def iso(moment: dt.datetime) -> str:
    """A time as the ledger stores it: ISO 8601 in UTC, to the millisecond (text order is time order)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Campaign:
    id: int
    token: str
    fingerprint: str
    release_path: str
    slug: str
    title: str
    lists: tuple[str, ...]
    options: Mapping[str, Any]
    created_at: str
    started_at: str | None
    finished_at: str | None
    kind: str = ""  # one of KINDS ("" only for a campaign made before kinds, never written now)


@dataclass(frozen=True)
class RecipientRow:
    """A recipient as planned, before any sending."""

    key: str
    email: str
    status: str = "pending"  # or suppressed / invalid / skipped
    name: str = ""
    language: str = ""
    source: str = ""
    reply: str = ""  # why suppressed, invalid or skipped
    role: str = ""  # '' a journalist, 'internal' or 'test' (see ROLES)
    advance_of: int | None = None  # the advance campaign this reader had the advance copy from


@dataclass(frozen=True)
class RecipientRecord:
    """A recipient's row as the ledger has it now."""

    campaign_id: int
    key: str
    email: str
    name: str
    language: str
    source: str
    status: str
    attempts: int
    last_code: int | None
    last_reply: str
    message_id: str
    first_attempt_at: str | None
    last_attempt_at: str | None
    sent_at: str | None
    retryable: bool = False
    reason: str = ""
    response: str = ""  # what came back after the send: bounced, soft-bounce, auto-reply, moved, replied, ...
    response_detail: str = ""  # the diagnostic, or the first lines of what they wrote
    response_at: str | None = None
    new_address: str = ""
    bounce_code: str = ""
    relay: str | None = None  # the relay account that took the last hand-over (None: outbox, or before)
    role: str = ""  # '' a journalist, 'internal' a copy to one's own people, 'test' a test copy
    advance_of: int | None = None  # the advance campaign this reader had the advance copy from


@dataclass(frozen=True)
class ResponseUpdate:
    """What ``pressctl bounces`` sets on one row. ``status`` is "bounced" or None (unchanged)."""

    campaign_id: int
    key: str
    response: str
    status: str | None = None
    code: str = ""
    detail: str = ""
    new_address: str = ""


def campaign_of(row: Row) -> Campaign:
    """A ``campaigns`` row as a :class:`Campaign`."""
    return Campaign(
        id=row["id"],
        token=row["token"],
        fingerprint=row["fingerprint"],
        release_path=row["release_path"],
        slug=row["slug"],
        title=row["title"],
        lists=tuple(json.loads(row["lists"])),
        options=json.loads(row["options"]),
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        kind=row["kind"],
    )


_RECORD_FIELDS = tuple(RecipientRecord.__dataclass_fields__)


def record_of(row: Row) -> RecipientRecord:
    """A ``recipients`` row (``SELECT *``) as a :class:`RecipientRecord`."""
    values = {k: row[k] for k in _RECORD_FIELDS}
    values["retryable"] = bool(values["retryable"])
    return RecipientRecord(**values)
