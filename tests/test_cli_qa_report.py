"""QA regressions: `pressctl report` and `campaigns` piped into a file or `less` keep one row per line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pressctl.cli._common import plain_table
from tests.qa_support import pressctl, workspace


def test_plain_table_aligns_wide_characters_and_keeps_one_row_per_line() -> None:
    lines = plain_table(("who", "status"), [("黃嘉明 <w@x.example>", "sent"), ("Amy <a@x.example>", "failed\nagain")])
    assert lines == [
        "who                   status",
        "黃嘉明 <w@x.example>  sent",
        "Amy <a@x.example>     failed again",
    ]


@pytest.mark.slow
def test_report_and_campaigns_piped_are_one_line_per_recipient(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    sent = pressctl(
        "send", "releases/sample.md", "-c", "contacts/journalists.csv", "--under-embargo", "--yes", cwd=root
    )
    assert sent.returncode == 0, sent.stderr
    report = pressctl("report", cwd=root)
    assert report.returncode == 0, report.stderr
    lines = report.stdout.splitlines()
    data = json.loads(pressctl("report", "--format", "json", cwd=root).stdout)
    recipients = data["recipients"]
    assert len(recipients) == 11
    for r in recipients:
        # Each recipient's address and status on one line: greppable, not folded at 80 columns. The
        # Message-ID is in --format csv/json (issue 18: the table fits ~120 columns).
        row = [line for line in lines if r["email"] in line.split()[0:4] or f"<{r['email']}>" in line]
        assert len(row) == 1, report.stdout
        assert r["status"] in row[0]
    assert lines[-2] == "totals    11 sent"
    assert lines[-1] == "Message-IDs, replies in full and times to the second: pressctl report 1 --format csv"
    assert not any(line != line.rstrip() for line in lines)

    campaigns = pressctl("campaigns", cwd=root)
    assert campaigns.returncode == 0, campaigns.stderr
    rows = campaigns.stdout.splitlines()
    assert len(rows) == 2
    assert "Harbourview Science Park Opens Tidal Energy…" in rows[1]  # the title clipped to fit
    assert max(len(line) for line in [*rows, *lines]) <= 120
    assert rows[1].split()[:1] == ["1"]


@pytest.mark.slow
def test_contacts_check_piped_lists_one_problem_per_line(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    long_reason_row = "x@y.example,B,tech\n" * 2
    (root / "probs.csv").write_text("email,name,beat\nnot-an-address,A,tech\n" + long_reason_row, "utf-8")
    proc = pressctl("contacts", "check", "probs.csv", cwd=root)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert any(line.startswith("probs.csv:2") and "invalid" in line and "not-an-address" in line for line in lines)
    dup = [line for line in lines if line.startswith("probs.csv:4")]
    assert len(dup) == 1 and "same address as probs.csv:3 (that row is kept)" in dup[0]
    assert "│" not in proc.stdout
