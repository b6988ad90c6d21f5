"""Copies to one's own people (issue 18, item 14): ``[sender] internal_copies`` and ``--copy-to`` get one copy per
language of exactly what goes out, when it goes out, recorded as internal and never counted with the
journalists; a suppressed one is said aloud and never sent. Each copy (and each test copy) has its own
Message-ID."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lift_support import parsed, text_of
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.ledger import Ledger
from pressctl.model import Contact

CHAIR = "chairman.office@hvsp.example"
BLOCKED = "old.office@hvsp.example"


@pytest.mark.slow
def test_internal_copies_go_with_the_release_and_are_never_journalists(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    config = ws / "pressctl.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("[sender]\n", f'[sender]\ninternal_copies = ["{CHAIR}", "{BLOCKED}"]\n', 1),
        encoding="utf-8",
    )
    with (ws / "contacts" / "suppressed.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{BLOCKED},left the company,2026-01-01\n")
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    with SmtpTestServer() as server:
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--copy-to", "pa@hvsp.example"]
        first = run_cli(args, cwd=ws)
        assert first.returncode == 0, first.stdout + first.stderr
        assert "campaign #1: 3 sent" in first.stdout  # the copies are not journalists
        assert f"internal copy {CHAIR} (en): sent" in first.stdout
        assert "internal copy pa@hvsp.example (en): sent" in first.stdout
        assert f"internal copy {BLOCKED} (en): suppressed" in first.stdout
        assert f"{BLOCKED} is on a suppression list: its internal copy is not sent" in first.stderr
        again = run_cli(args, cwd=ws)  # a re-run sends nobody twice, copies included
        assert again.returncode == 0
        received = server.accepted
    rcpts = [m.rcpt for m in received]
    assert sorted(rcpts) == sorted([CHAIR, "pa@hvsp.example", *(f"reporter{i:05d}@news.example" for i in range(3))])
    chair = parsed(next(m.data for m in received if m.rcpt == CHAIR))
    journalist = parsed(next(m.data for m in received if m.rcpt == "reporter00000@news.example"))
    assert chair["Subject"] == journalist["Subject"]  # exactly what went out: no [TEST]
    assert chair["To"] == CHAIR and chair["Message-ID"] != journalist["Message-ID"]
    assert text_of(chair).split("\n")[0] == text_of(journalist).split("\n")[0]  # personalised as the first reader
    assert "reporter00000" not in str(chair["List-Unsubscribe"] or "")
    # Recorded as internal; never in the journalists' totals.
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        assert ledger.recipients.totals(1)["sent"] == 3 and ledger.recipients.totals(1)["suppressed"] == 0
        assert {(r.email, r.status) for r in ledger.recipients.copies(1)} == {
            (CHAIR, "sent"), ("pa@hvsp.example", "sent"), (BLOCKED, "suppressed"),
        }
    report = json.loads(run_cli(["report", "--format", "json"], cwd=ws).stdout)
    assert report["totals"]["sent"] == 3
    assert sorted(r["role"] for r in report["recipients"]) == ["", "", "", "internal", "internal", "internal"]


def test_a_bad_internal_copy_address_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = make_workspace(tmp_path)
    config = ws / "pressctl.toml"
    good = config.read_text(encoding="utf-8")
    config.write_text(good.replace("[sender]\n", '[sender]\ninternal_copies = ["Chair <c@x>"]\n', 1), encoding="utf-8")
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 1)
    monkeypatch.chdir(ws)
    proc = CliRunner().invoke(app, ["send", str(release), "-c", str(lists), "--dry-run"])
    assert proc.exit_code == 2
    assert "sender.internal_copies" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    config.write_text(good, encoding="utf-8")
    bad = CliRunner().invoke(app, ["send", str(release), "-c", str(lists), "--dry-run", "--copy-to", "nobody"])
    assert bad.exit_code == 2 and "--copy-to 'nobody'" in bad.stderr, bad.stderr


def test_a_copy_built_under_its_own_key_has_its_own_message_id(tmp_path: Path) -> None:
    from messages_support import make_factory

    factory = make_factory(tmp_path)
    amy = Contact(email="amy@news.example", name="Amy", fields={"first_name": "Amy"})
    assert factory.build(amy).message_id == factory.build(amy, key=amy.key).message_id  # journalists: unchanged
    english = factory.build(amy, key="test:en:amy@news.example").message_id
    chinese = factory.build(amy, key="test:zh-HK:amy@news.example").message_id
    assert len({english, chinese, factory.build(amy).message_id}) == 3
