"""The ``approvals`` table: who approved which version of a release, when, with what note and warnings.

A version is named by its digests (one per language: subject, email, text, PDF, photos; and one of the
release's asset files), computed above the ledger (:mod:`pressctl.approvals`) and stored here as JSON. Rows
are only added, never changed: the history of sign-offs is the audit trail; ``approval_uses`` says which
campaigns went out under which approvals (``report`` shows it). Ids are random text (both
stores accept that without a sequence) and rows are ordered by their time.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from pressctl.ledger.connection import Connection, Row
from pressctl.ledger.records import iso

__all__ = ["ApprovalRecord", "Approvals"]


@dataclass(frozen=True)
class ApprovalRecord:
    """One approval as the ledger has it."""

    id: str
    slug: str
    release_path: str
    title: str
    approver: str
    approved_at: str  # ISO 8601, UTC
    digests: Mapping[str, Mapping[str, str]]  # language -> part -> sha256
    assets: str  # sha256 of the release's photos, attachments and body images
    note: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def moment(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.approved_at)


def _record(row: Row) -> ApprovalRecord:
    return ApprovalRecord(
        id=row["id"],
        slug=row["slug"],
        release_path=row["release_path"],
        title=row["title"],
        approver=row["approver"],
        approved_at=row["approved_at"],
        digests=json.loads(row["digests"]),
        assets=row["assets"],
        note=row["note"],
        warnings=tuple(json.loads(row["warnings"])),
    )


class Approvals:
    """Approvals of one ledger. Every write commits at once."""

    def __init__(self, conn: Connection, clock: Callable[[], dt.datetime]) -> None:
        self.conn = conn
        self.clock = clock

    def add(
        self,
        *,
        slug: str,
        release_path: str,
        title: str,
        approver: str,
        digests: Mapping[str, Mapping[str, str]],
        assets: str,
        note: str = "",
        warnings: Sequence[str] = (),
    ) -> ApprovalRecord:
        ident = secrets.token_hex(6)
        self.conn.execute(
            "INSERT INTO approvals (id, slug, release_path, title, approver, approved_at, digests, assets, note, warnings)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ident,
                slug,
                release_path,
                title,
                approver,
                iso(self.clock()),
                json.dumps({k: dict(v) for k, v in digests.items()}, sort_keys=True),
                assets,
                note,
                json.dumps(list(warnings), ensure_ascii=False),
            ),
        )
        found = self.get(ident)
        assert found is not None
        return found

    def get(self, ident: str) -> ApprovalRecord | None:
        row = self.conn.execute("SELECT * FROM approvals WHERE id = ?", (ident,)).fetchone()
        return _record(row) if row else None

    def of_release(self, slug: str) -> list[ApprovalRecord]:
        """The release's approvals, newest first."""
        cur = self.conn.execute(
            "SELECT * FROM approvals WHERE slug = ? ORDER BY approved_at DESC, id", (slug,)
        )
        return [_record(row) for row in cur]

    def link(self, campaign_id: int, approval_ids: Sequence[str]) -> None:
        """Record that a campaign went out under these approvals (again: nothing changes)."""
        self.conn.executemany(
            "INSERT INTO approval_uses (campaign_id, approval_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(campaign_id, ident) for ident in approval_ids],
        )

    def of_campaign(self, campaign_id: int) -> list[ApprovalRecord]:
        """The approvals a campaign went out under, oldest first."""
        cur = self.conn.execute(
            "SELECT a.* FROM approvals a JOIN approval_uses u ON u.approval_id = a.id"
            " WHERE u.campaign_id = ? ORDER BY a.approved_at, a.id",
            (campaign_id,),
        )
        return [_record(row) for row in cur]

    def all(self) -> list[ApprovalRecord]:
        """Every approval, newest first."""
        return [_record(row) for row in self.conn.execute("SELECT * FROM approvals ORDER BY approved_at DESC, id")]
