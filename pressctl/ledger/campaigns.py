"""The ``campaigns`` table: one row per campaign (a release sent to lists with options), found again by its
fingerprint so a re-run resumes it, and which journalists earlier campaigns of the same release reached."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pressctl.ledger.connection import Connection
from pressctl.ledger.records import KINDS, Campaign, campaign_of, iso

__all__ = ["Campaigns"]


class Campaigns:
    """Campaigns of one ledger. Every write commits at once."""

    def __init__(self, conn: Connection, clock: Callable[[], dt.datetime]) -> None:
        self.conn = conn
        self.clock = clock

    def create(
        self,
        *,
        fingerprint: str,
        release_path: str,
        slug: str,
        title: str,
        lists: Iterable[str],
        options: Mapping[str, Any],
        kind: str = "release",
    ) -> Campaign:
        if kind not in KINDS:
            raise ValueError(kind)
        token = secrets.token_hex(6)
        cur = self.conn.execute(
            "INSERT INTO campaigns (token, fingerprint, release_path, slug, title, lists, options, created_at, kind)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                token,
                fingerprint,
                release_path,
                slug,
                title,
                json.dumps(list(lists), ensure_ascii=False),
                json.dumps(dict(options), ensure_ascii=False, sort_keys=True, default=str),
                iso(self.clock()),
                kind,
            ),
        )
        campaign = self.get(int(cur.fetchone()[0]))
        assert campaign is not None
        return campaign

    def find(self, fingerprint: str) -> Campaign | None:
        """The latest campaign made from exactly these inputs, to resume it."""
        row = self.conn.execute(
            "SELECT * FROM campaigns WHERE fingerprint = ? ORDER BY id DESC LIMIT 1", (fingerprint,)
        ).fetchone()
        return campaign_of(row) if row else None

    def get(self, campaign_id: int) -> Campaign | None:
        row = self.conn.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        return campaign_of(row) if row else None

    def latest(self) -> Campaign | None:
        row = self.conn.execute("SELECT * FROM campaigns ORDER BY id DESC LIMIT 1").fetchone()
        return campaign_of(row) if row else None

    def all(self) -> list[Campaign]:
        return [campaign_of(r) for r in self.conn.execute("SELECT * FROM campaigns ORDER BY id")]

    def mark_started(self, campaign_id: int) -> None:
        self.conn.execute(
            "UPDATE campaigns SET started_at = COALESCE(started_at, ?), finished_at = NULL WHERE id = ?",
            (iso(self.clock()), campaign_id),
        )

    def mark_finished(self, campaign_id: int) -> None:
        self.conn.execute("UPDATE campaigns SET finished_at = ? WHERE id = ?", (iso(self.clock()), campaign_id))

    def earlier_receipts(
        self, slug: str, *, exclude: int, release_path: str | None = None, title: str | None = None
    ) -> dict[str, tuple[int, str]]:
        """Journalists another campaign of the same release reached, by key: (campaign, its kind); the
        released version (any kind but ``advance``) wins over the advance copy. Test campaigns and copies to
        one's own people are no journalist's receipt. "Same release": as :meth:`sent_in_other_campaigns`."""
        found: dict[str, tuple[int, str]] = {}
        cur = self.conn.execute(
            "SELECT r.key, c.id, c.kind FROM recipients r JOIN campaigns c ON c.id = r.campaign_id"
            " WHERE c.slug = ? AND c.id != ? AND (c.release_path = ? OR c.title = ?)"
            " AND r.status = 'sent' AND r.role = '' AND c.kind != 'test' ORDER BY c.id",
            (slug, exclude, release_path, title),
        )
        for key, cid, kind in cur:
            if key not in found or found[key][1] == "advance":
                found[key] = (int(cid), str(kind or "release"))
        return found

    def sent_in_other_campaigns(
        self, slug: str, *, exclude: int, release_path: str | None = None, title: str | None = None
    ) -> set[str]:
        """Keys another campaign of the same release already reached (any version): see :meth:`earlier_receipts`.

        "Same release": same slug, and the same file or the same title (a scheduled job sends a copy of
        the file; two unrelated releases that share a file name rarely share a title too). Only 'sent': a
        row left 'sending'/'unknown' may never have arrived, and losing someone is worse.
        """
        return set(self.earlier_receipts(slug, exclude=exclude, release_path=release_path, title=title))
