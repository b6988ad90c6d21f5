"""Ledger migration 8 (issue 19): addresses re-keyed by ``addresses.address_key``. Soft bounces were keyed by
``casefold()`` (``ß`` -> ``ss``), so a ß-address's earlier soft bounces were never counted; after the
migration they are, and the third one suppresses."""

from __future__ import annotations

import datetime as dt
import sqlite3
import unicodedata
from pathlib import Path

from pressctl.addresses import address_key
from pressctl.bounces.dsn import BouncedRecipient
from pressctl.bounces.match import LedgerRow, Match
from pressctl.bounces.parse import Finding
from pressctl.bounces.plan import plan_updates
from pressctl.ledger import Ledger
from pressctl.ledger import migrations as ledger_module
from pressctl.ledger.migrations import SCHEMA_VERSION

STRAUSS = "strauß@xn--strae-oqa.de"  # a reader the ledger has, as contact loading cleaned the address
NOW = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)


def _version_7(path: Path) -> None:
    """A ledger as pressctl made it before this migration, with the keys it wrote then."""
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in ledger_module.MIGRATIONS[:7]:
        migration(conn)
    conn.execute("PRAGMA user_version = 7")
    conn.execute(
        "INSERT INTO campaigns (id, token, fingerprint, release_path, slug, title, lists, options, created_at)"
        " VALUES (1, 't', 'f', 'r.md', 'r', 'T', '[]', '{}', '2030-03-01T00:00:00.000+00:00')"
    )
    conn.execute(
        "INSERT INTO recipients (campaign_id, key, email, status, message_id) VALUES (1, ?, ?, 'sent', '<m1@hvsp.example>')",
        (STRAUSS.lower(), STRAUSS),
    )
    for day in (1, 2):  # two soft bounces, keyed the old way
        conn.execute(
            "INSERT INTO soft_bounces (address, at, code) VALUES (?, ?, '4.2.2')",
            (STRAUSS.casefold(), f"2030-03-0{day}T00:00:00.000+00:00"),
        )
    nfd = unicodedata.normalize("NFD", "Zoë@x.example").lower()
    conn.execute("INSERT INTO suppressions (address, reason, origin, created_at) VALUES (?, 'x', 'manual', 'now')", (nfd,))
    conn.execute("INSERT INTO suppressions (address, reason, origin, created_at) VALUES ('amy@x.example', 'y', 'manual', 'now')")
    conn.close()


def test_old_keys_are_re_keyed_once_and_a_third_soft_bounce_suppresses(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _version_7(path)
    assert STRAUSS.casefold() != address_key(STRAUSS)  # the two rules differ for this reader
    with Ledger(path) as ledger:
        assert ledger.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert len(ledger.inbound.soft_bounce_times(address_key(STRAUSS))) == 2
        assert set(ledger.suppressions.all()) == {"zoë@x.example", "amy@x.example"}
        record = ledger.inbound.latest_for(address_key("Strauß@Straße.de"))
        assert record is not None and record.email == STRAUSS
        row = LedgerRow(1, record.key, record.email, record.message_id)
        rec = BouncedRecipient("Strauß@Straße.de", "soft", action="failed", status="5.2.2")
        match = Match(Finding(kind="bounce", recipients=(rec,)), record.email, row, "message-id", rec)
        plan = plan_updates([match], now=NOW, soft_history=ledger.inbound.soft_bounce_times)
    assert [s.address for s in plan.suppressions] == [STRAUSS]
    assert plan.soft_bounces[0].address == address_key(STRAUSS)


def test_a_folded_address_that_is_a_reader_of_its_own_keeps_its_soft_bounces(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    _version_7(path)
    conn = sqlite3.connect(path, isolation_level=None)
    ascii_reader = STRAUSS.casefold()  # strauss@xn--strae-oqa.de: another mailbox, also sent to
    conn.execute(
        "INSERT INTO recipients (campaign_id, key, email, status, message_id) VALUES (1, ?, ?, 'sent', '<m2@hvsp.example>')",
        (ascii_reader, ascii_reader),
    )
    conn.close()
    with Ledger(path) as ledger:
        assert len(ledger.inbound.soft_bounce_times(ascii_reader)) == 2  # whose they were cannot be told: left as they were
        assert ledger.inbound.soft_bounce_times(address_key(STRAUSS)) == []
