"""Dry run = send (issue 18, item 4): the dry run reads the ledger as the send does and ends with the very
counts the send then prints ("the send would end: campaign #N: ..." == "campaign #N: ..."), skipped people
listed with why, through the real commands and an aiosmtpd server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer

pytestmark = pytest.mark.slow


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


def _promised(dry: str) -> str:
    found = re.search(r"^the send would end: (?:campaign #\d+|a new campaign \(\w+\)): (.*)$", dry, re.M)
    assert found, dry
    return found.group(1)


def _ended(out: str) -> str:
    found = re.search(r"^campaign #\d+: (.*)$", out, re.M)
    assert found, out
    return found.group(1)


def test_after_a_send_and_an_edited_list_the_dry_run_skips_whom_the_send_skips(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 4)
    with SmtpTestServer() as server:
        base = ["send", str(release), "-c", str(lists), "--smtp", server.url()]
        first = run_cli([*base, "--yes"], cwd=ws)
        assert first.returncode == 0, first.stderr
        # The list is edited: a new campaign, in which the four who had it are skipped.
        write_contacts(lists, 4, extra=[["late@news.example", "Late", "Lee", "Harbour Daily"]])
        dry = run_cli([*base, "--dry-run", "--out", str(ws / "out" / "dry")], cwd=ws)
        assert dry.returncode == 0, dry.stderr
        assert "4 skipped: already received this release in campaign #1" in dry.stdout, dry.stdout
        assert "dry run: 1 of 1 message(s) written" in dry.stdout
        page = (ws / "out" / "dry" / "index.html").read_text(encoding="utf-8")
        assert "Skipped (4)" in page and "reporter00000@news.example" in page
        sent = run_cli([*base, "--yes"], cwd=ws)
        assert sent.returncode == 0, sent.stderr
        assert _promised(dry.stdout) == _ended(sent.stdout) == "1 sent, 4 skipped"
        assert [m.rcpt for m in server.accepted].count("reporter00000@news.example") == 1
        done = run_cli([*base, "--dry-run", "--out", str(ws / "out" / "dry")], cwd=ws)  # nothing left to send
        assert done.returncode == 0, done.stderr
        assert "the send would end: campaign #2: 1 sent, 4 skipped" in done.stdout
        assert "dry run: 0 of 0 message(s) written" in done.stdout


def test_a_capped_resume_promises_what_the_send_then_does(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 5, extra=[["not-an-address", "X", "Y", "Z"]])
    with SmtpTestServer() as server:
        base = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--daily-cap", "3"]
        dry = run_cli([*base, "--dry-run"], cwd=ws)
        assert "2 wait for the daily cap" in dry.stdout, dry.stdout
        first = run_cli([*base, "--yes"], cwd=ws)
        assert first.returncode == 1
        assert _promised(dry.stdout) == _ended(first.stdout) == "3 sent, 2 pending, 1 invalid"
        again = run_cli([*base, "--dry-run"], cwd=ws)  # nothing fits now: the same two still wait
        assert "recipients 2 to send now (5 selected)" in again.stdout, again.stdout
        resumed = run_cli([*base, "--yes"], cwd=ws)
        assert _promised(again.stdout) == _ended(resumed.stdout) == "3 sent, 2 pending, 1 invalid"
        assert len(server.accepted) == 3
