"""Campaigns say what they were (issue 18, item 9): a kind (advance, lift, release, test, correction, resend),
their ``--where`` filter and their lists, in ``campaigns``, ``report`` and ``--json``; an older ledger's
campaigns get theirs from their options. Also the pure reading of refusals that may be the relay's."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer

from pressctl.ledger import Ledger
from pressctl.ledger.migrations import MIGRATIONS
from pressctl.send.kinds import describe, kind_of
from pressctl.send.relayfault import RefusalWatch, signature


def test_kind_of_a_new_campaign() -> None:
    common = {"earlier_digests": [], "digest": "d1", "new_campaign": False}
    assert kind_of(test=True, advance=False, embargo=True, **common) == "test"  # type: ignore[arg-type]
    assert kind_of(test=False, advance=True, embargo=True, **common) == "advance"  # type: ignore[arg-type]
    assert kind_of(test=False, advance=False, embargo=True, **common) == "lift"  # type: ignore[arg-type]
    assert kind_of(test=False, advance=False, embargo=False, **common) == "release"  # type: ignore[arg-type]
    again = {"test": False, "advance": False, "embargo": False, "new_campaign": True}
    assert kind_of(**again, earlier_digests=["d1"], digest="d1") == "resend"  # type: ignore[arg-type]
    assert kind_of(**again, earlier_digests=["d0"], digest="d1") == "correction"  # type: ignore[arg-type]
    assert kind_of(**again, earlier_digests=[], digest="d1") == "release"  # type: ignore[arg-type]


def test_describe_says_kind_filter_and_lists() -> None:
    info = describe("lift", {"where": ["beat=technology"], "language": "zh-HK"}, ["/ws/contacts/a.csv", "/x/b.xlsx"])
    assert info.label == "lift · --where beat=technology · --lang zh-HK"
    assert info.lists == ("a.csv", "b.xlsx") and "lift" in info.kind_text
    assert describe("", {"embargoed": True}, []).kind == "advance"  # made before kinds were kept
    assert describe("", {}, []).kind == "release"


def test_a_ledger_of_schema_6_migrates_its_campaigns_kinds(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:6]:
        migration(conn)
    conn.execute("PRAGMA user_version = 6")
    for n, options in enumerate(({"advance_copy": True, "embargoed": True}, {"embargoed": False})):
        conn.execute(
            "INSERT INTO campaigns (token, fingerprint, release_path, slug, title, lists, options, created_at)"
            " VALUES (?, ?, '/r.md', 'r', 'R', '[]', ?, '2026-01-01')",
            (f"t{n}", f"f{n}", json.dumps(options)),
        )
    conn.execute(
        "INSERT INTO recipients (campaign_id, key, email, status) VALUES (2, 'a@x.test', 'a@x.test', 'sent')"
    )
    conn.close()
    with Ledger(path) as ledger:
        assert [c.kind for c in ledger.campaigns.all()] == ["advance", "release"]
        (row,) = ledger.recipients.all(2)
        assert row.role == "" and row.advance_of is None
        assert ledger.recipients.totals(2)["sent"] == 1


def test_the_same_refusal_for_everyone_is_the_relays_and_anything_between_clears_it() -> None:
    watch: RefusalWatch[str] = RefusalWatch(threshold=3)
    one = signature(500, "Error: (FileNotFoundError) /var/spool/q1")
    assert one == signature(500, "Error: (FileNotFoundError) /var/spool/q22")  # numbers vary, the reply does not
    assert watch.hold("a", one) == [] and watch.hold("b", one) == []
    assert not watch.relay_at_fault
    assert watch.hold("c", signature(554, "5.3.0 other")) == ["a", "b"]  # another reply: those were their own
    assert watch.fine() == ["c"] and watch.taken == 1  # the relay took one: it works
    watch.hold("d", one)
    assert not watch.at_end()  # it took one before: "d" was refused for itself
    fresh: RefusalWatch[str] = RefusalWatch(threshold=3)
    fresh.hold("x", one)
    assert fresh.at_end()  # everything it saw was refused alike


@pytest.mark.slow
def test_campaigns_and_report_say_what_each_campaign_was(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3, extra=[["z@desk.example", "Zed", "Lee", "Tech Wire"]])
    with SmtpTestServer() as server:
        base = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"]
        assert run_cli([*base, "--where", "outlet=Tech Wire"], cwd=ws).returncode == 0
        assert run_cli(base, cwd=ws).returncode == 0
        assert run_cli([*base, "--new-campaign"], cwd=ws).returncode == 0
        release.write_text(release.read_text(encoding="utf-8").replace("140 applicants", "150 applicants"), encoding="utf-8")
        assert run_cli([*base, "--new-campaign"], cwd=ws).returncode == 0
    listing = json.loads(run_cli(["campaigns", "--format", "json"], cwd=ws).stdout)
    assert [c["kind"] for c in listing] == ["release", "release", "resend", "correction"]
    assert listing[0]["where"] == ["outlet=Tech Wire"] and listing[1]["list_names"] == ["list.csv"]
    table = run_cli(["campaigns"], cwd=ws).stdout
    assert "release · --where outlet=Tech Wire" in table and "correction" in table
    report = run_cli(["report", "1"], cwd=ws).stdout
    assert "kind      release: the release (no embargo)" in report
    assert "filter    --where outlet=Tech Wire" in report and "lists     list.csv" in report
