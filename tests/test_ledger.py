"""The ledger in each store (a real SQLite file, a real PostgreSQL database: ``ledger_store``): campaigns,
recipient rows, before/after writes, resuming."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pg_support import ledger_store, postgres

from pressctl.errors import InputError
from pressctl.ledger import Ledger
from pressctl.ledger.records import RecipientRow
from pressctl.ledger.stores import LedgerName, connect

__all__ = ["ledger_store", "postgres"]  # the fixtures, for pytest


def _campaign(ledger: Ledger, fingerprint: str = "fp1") -> int:
    return ledger.campaigns.create(
        fingerprint=fingerprint,
        release_path="/ws/releases/launch.md",
        slug="launch",
        title="Harbourview Science Park opens its robotics wing",
        lists=["contacts/journalists.csv"],
        options={"from": "press@hvsp.example"},
    ).id


def test_wal_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.sqlite3"
    with Ledger(path) as ledger:
        assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"campaigns", "recipients"} <= tables


def test_campaign_found_by_fingerprint(ledger_store: LedgerName) -> None:
    with Ledger(ledger_store) as ledger:
        first = _campaign(ledger)
        again = _campaign(ledger)  # --new-campaign makes a second one with the same inputs
        other = _campaign(ledger, "fp2")
        found = ledger.campaigns.find("fp1")
        assert found is not None and found.id == again != first
        assert ledger.campaigns.latest() is not None and ledger.campaigns.latest().id == other  # type: ignore[union-attr]
        assert [c.id for c in ledger.campaigns.all()] == [first, again, other]
        assert ledger.campaigns.get(first).token != ledger.campaigns.get(again).token  # type: ignore[union-attr]
        assert ledger.campaigns.find("nope") is None


def test_rows_before_and_after_hand_over(ledger_store: LedgerName) -> None:
    with Ledger(ledger_store) as ledger:
        cid = _campaign(ledger)
        rows = [
            RecipientRow(key="a@news.example", email="a@news.example", name="Ada Wong", language="en"),
            RecipientRow(key="b@news.example", email="b@news.example"),
            RecipientRow(key="c@news.example", email="c@news.example", status="suppressed", reply="listed"),
            RecipientRow(key="list.csv:7", email="not-an-address", status="invalid", reply="no @"),
        ]
        assert ledger.recipients.add(cid, rows) == 4
        assert ledger.recipients.add(cid, rows) == 0  # re-run: nothing new, nothing reset
        assert set(ledger.recipients.todo(cid)) == {"a@news.example", "b@news.example"} == ledger.recipients.todo_keys(cid)
        assert ledger.recipients.done_keys(cid) == {"c@news.example", "list.csv:7"} and ledger.recipients.count_todo(cid) == 2

        assert ledger.recipients.mark_sending(cid, "a@news.example", "<m1@hvsp.example>") == 1
        # Another connection (a second process, `pressctl report`) sees the row before the reply.
        other = connect(ledger_store)
        assert other.execute("SELECT status FROM recipients WHERE key='a@news.example'").fetchone()[0] == "sending"
        ledger.recipients.mark_result(cid, "a@news.example", status="sent", code=250, reply="2.0.0 queued as X1")
        rec = ledger.recipients.get(cid, "a@news.example")
        assert rec is not None and rec.status == "sent" and rec.sent_at and rec.message_id == "<m1@hvsp.example>"

        ledger.recipients.mark_sending(cid, "b@news.example", "<m2@hvsp.example>")
        ledger.recipients.mark_result(
            cid, "b@news.example", status="failed", code=451, reply="4.3.0 try later", retryable=True
        )
        assert ledger.recipients.totals(cid)["failed"] == 1
        assert ledger.recipients.retry_transient_failures(cid) == 1
        assert ledger.recipients.mark_sending(cid, "b@news.example", "<m2@hvsp.example>") == 2
        assert [r.key for r in ledger.recipients.all(cid)] == [r.key for r in rows]


def test_in_flight_rows_are_todo_and_suppression_applies_later(ledger_store: LedgerName) -> None:
    with Ledger(ledger_store) as ledger:
        cid = _campaign(ledger)
        ledger.recipients.add(cid, [RecipientRow(key=k, email=k) for k in ("a@x.test", "b@x.test")])
        ledger.recipients.mark_sending(cid, "a@x.test", "<m@hvsp.example>")  # then the process dies
    with Ledger(ledger_store) as ledger:
        todo = ledger.recipients.todo(cid)
        assert todo["a@x.test"].status == "sending" and todo["a@x.test"].message_id == "<m@hvsp.example>"
        # b was suppressed since: the next run's plan says so and the row follows; a (in flight) does not.
        ledger.recipients.add(
            cid,
            [RecipientRow(key=k, email=k, status="suppressed", reply="unsubscribed") for k in ("a@x.test", "b@x.test")],
        )
        assert ledger.recipients.totals(cid)["suppressed"] == 1 and set(ledger.recipients.todo(cid)) == {"a@x.test"}


def test_sent_in_other_campaigns(ledger_store: LedgerName) -> None:
    with Ledger(ledger_store) as ledger:
        one = _campaign(ledger, "fp1")
        ledger.recipients.add(one, [RecipientRow(key="a@x.test", email="a@x.test")])
        ledger.recipients.mark_sending(one, "a@x.test", "<m@x>")
        ledger.recipients.mark_result(one, "a@x.test", status="sent", code=250, reply="ok")
        two = _campaign(ledger, "fp2")
        same = {"release_path": "/ws/releases/launch.md", "title": "other"}
        assert ledger.campaigns.sent_in_other_campaigns("launch", exclude=two, **same) == {"a@x.test"}
        assert ledger.campaigns.sent_in_other_campaigns("launch", exclude=one, **same) == set()
        # Same file name, different file and title: another release, nobody skipped.
        assert ledger.campaigns.sent_in_other_campaigns("launch", exclude=two, release_path="/x/launch.md", title="t") == set()


def test_unusable_path_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="--db"):
        Ledger(tmp_path / "file" / "ledger.db")


def test_retry_failed_puts_back_failures_but_keeps_the_suppressed(ledger_store: LedgerName) -> None:
    with Ledger(ledger_store) as ledger:
        cid = _campaign(ledger)
        keys = ["full@x.test", "policy@x.test", "dead@x.test", "ok@x.test"]
        ledger.recipients.add(cid, [RecipientRow(key=k, email=k) for k in keys])
        for key, code in (("full@x.test", 552), ("policy@x.test", 554), ("dead@x.test", 550)):
            ledger.recipients.mark_sending(cid, key, f"<{key}>")
            ledger.recipients.mark_result(cid, key, status="failed", code=code, reply="refused", retryable=False)
        assert ledger.recipients.retry_failed(cid, keep={"dead@x.test"}) == 2  # the bounce's address is suppressed
        statuses = {r.key: r.status for r in ledger.recipients.all(cid)}
        assert statuses == {"full@x.test": "pending", "policy@x.test": "pending", "dead@x.test": "failed", "ok@x.test": "pending"}
        assert ledger.recipients.final_failures(cid) == ["dead@x.test"]


def test_earlier_receipts_prefer_the_released_version_and_ignore_tests_and_copies(ledger_store: LedgerName) -> None:
    with Ledger(ledger_store) as ledger:
        same = {"release_path": "/ws/releases/launch.md", "slug": "launch", "title": "T", "lists": [], "options": {}}
        advance = ledger.campaigns.create(fingerprint="a", kind="advance", **same).id  # type: ignore[arg-type]
        test = ledger.campaigns.create(fingerprint="t", kind="test", **same).id  # type: ignore[arg-type]
        lift = ledger.campaigns.create(fingerprint="l", kind="lift", **same).id  # type: ignore[arg-type]
        for cid, rows in (
            (advance, [RecipientRow(key="a@x.test", email="a@x.test"), RecipientRow(key="b@x.test", email="b@x.test")]),
            (test, [RecipientRow(key="test:en:c@x.test", email="c@x.test", role="test")]),
            (lift, [RecipientRow(key="a@x.test", email="a@x.test"),
                    RecipientRow(key="internal:en:d@x.test", email="d@x.test", role="internal")]),
        ):
            ledger.recipients.add(cid, rows)
            for row in rows:
                ledger.recipients.mark_sending(cid, row.key, f"<{cid}{row.key}>")
                ledger.recipients.mark_result(cid, row.key, status="sent", code=250, reply="ok")
        found = ledger.campaigns.earlier_receipts("launch", exclude=0, release_path="/ws/releases/launch.md", title="T")
        assert found == {"a@x.test": (lift, "lift"), "b@x.test": (advance, "advance")}
