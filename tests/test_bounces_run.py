"""pressctl.bounces.run: a pass over a real Maildir with a fake ledger store; running twice changes nothing."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Sequence
from pathlib import Path

from pressctl.bounces.mailbox import MaildirReader
from pressctl.bounces.match import LedgerRow
from pressctl.bounces.plan import Plan, Suppression
from pressctl.bounces.run import Handled, InboundRules, process
from pressctl.ledger.inbound import Note

DATA = Path(__file__).parent / "bounces_data"
NOW = dt.datetime(2026, 3, 14, 2, 0, tzinfo=dt.UTC)


class FakeStore:
    """The ledger's part, in memory: rows by Message-ID, handled keys, soft bounces, applied plans."""

    def __init__(self, rows: list[LedgerRow]) -> None:
        self.rows = {(r.campaign_id, r.key): r for r in rows}
        self.handled: dict[str, Handled] = {}
        self.soft: dict[str, list[dt.datetime]] = {}
        self.status: dict[tuple[int, str], str] = {k: r.status for k, r in self.rows.items()}
        self.response: dict[tuple[int, str], str] = {}
        self.notes: list[Note] = []

    def is_handled(self, key: str) -> bool:
        return key in self.handled

    def _row(self, r: LedgerRow) -> LedgerRow:
        k = (r.campaign_id, r.key)
        return LedgerRow(r.campaign_id, r.key, r.email, r.message_id, self.status[k], self.response.get(k, ""))

    def by_message_id(self, mid: str) -> LedgerRow | None:
        return next((self._row(r) for r in self.rows.values() if r.message_id == mid), None)

    def address_for_token(self, token: str) -> str | None:
        return None

    def latest_for_address(self, folded: str) -> LedgerRow | None:
        found = [r for r in self.rows.values() if r.key == folded]
        return self._row(max(found, key=lambda r: r.campaign_id)) if found else None

    def soft_bounce_times(self, folded: str) -> Sequence[dt.datetime]:
        return self.soft.get(folded, [])

    def apply(self, plan: Plan, handled: Handled, notes: Sequence[Note] = ()) -> None:
        self.notes.extend(notes)
        for u in plan.updates:
            if u.status:
                self.status[(u.campaign_id, u.key)] = u.status
            self.response[(u.campaign_id, u.key)] = u.response
        for s in plan.soft_bounces:
            self.soft.setdefault(s.address, []).append(s.at)
        self.handled[handled.key] = handled


ROWS = [
    LedgerRow(5, "wing.chan@harbourtimes.example", "wing.chan@harbourtimes.example", "<5e6f708192a3b4c5d6e7f8091a2b3c4d@hvsp.example>"),
    LedgerRow(5, "amy.chan@harbourdaily.example", "amy.chan@harbourdaily.example", "<0a1b2c3d4e5f60718293a4b5c6d7e8f9@hvsp.example>"),
    LedgerRow(5, "priya.raman@innovationwire.example", "priya.raman@innovationwire.example", "<3c4d5e6f708192a3b4c5d6e7f8091a2b@hvsp.example>"),
    LedgerRow(5, "chris.ng@lantaunews.example", "chris.ng@lantaunews.example", "<708192a3b4c5d6e7f8091a2b3c4d5e6f@hvsp.example>"),
]


def _maildir(tmp_path: Path, names: list[str]) -> Path:
    box = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    for n, name in enumerate(names):
        shutil.copy(DATA / name, box / "new" / f"17000000{n:02d}.x.host")
    return box


def test_one_pass_then_a_second_changes_nothing(tmp_path: Path) -> None:
    names = ["dsn_postfix.eml", "qmail_quoted.eml", "ooo_en.eml", "reply_en.eml", "unsub_mailto.eml", "ooo_zh.eml"]
    box = _maildir(tmp_path, names)
    store = FakeStore(ROWS)
    suppressed: list[Suppression] = []
    run = dict(
        now=lambda: NOW,
        suppress=suppressed.append,
        rules=InboundRules(unsubscribe_addresses=("unsubscribe@hvsp.example",)),
        move_to="Processed",
    )
    first = process(MaildirReader(box), store, **run)  # type: ignore[arg-type]
    assert first.read == 6 and first.already_handled == 0
    assert first.kinds == {"bounce": 2, "auto-reply": 2, "replied": 1, "unsubscribe": 1}
    assert first.bounced == 2
    assert store.status[(5, "wing.chan@harbourtimes.example")] == "bounced"
    assert store.status[(5, "chris.ng@lantaunews.example")] == "bounced"
    assert store.response[(5, "amy.chan@harbourdaily.example")] == "auto-reply"
    assert store.response[(5, "priya.raman@innovationwire.example")] == "replied"
    # the unsubscribe request carries no token: listed, never suppressed
    assert sorted(s.address for s in suppressed) == ["chris.ng@lantaunews.example", "wing.chan@harbourtimes.example"]
    assert [(src, r.finding.sender) for src, r in first.requests] == [("new/1700000004.x.host", "tom.yip@bayweekly.example")]
    assert [(n.kind, n.sender) for n in store.notes] == [("unconfirmed-unsubscribe", "tom.yip@bayweekly.example")]
    # ooo_zh replies to nothing of ours: listed, and left in the inbox; the matched four were moved
    assert [(src, u.reason) for src, u in first.unmatched] == [
        ("new/1700000005.x.host", "it does not reply to one of our messages")
    ]
    assert first.moved == 4
    assert sorted(p.name for p in (box / "new").iterdir()) == ["1700000004.x.host", "1700000005.x.host"]
    assert len(list((box / ".Processed" / "new").iterdir())) == 4

    # put everything back, as if nothing had been moved: a second run changes nothing
    for p in (box / ".Processed" / "new").iterdir():
        p.rename(box / "new" / p.name)
    before = (dict(store.status), dict(store.response), len(suppressed))
    second = process(MaildirReader(box), store, **run)  # type: ignore[arg-type]
    assert (second.read, second.already_handled, second.moved) == (6, 6, 0)
    assert (dict(store.status), dict(store.response), len(suppressed)) == before
