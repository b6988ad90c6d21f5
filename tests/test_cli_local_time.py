"""Issue 18 point 7: every time a person reads is the workspace's local time with its zone's name (HKT), never
UTC and never milliseconds; CSV and JSON carry ISO 8601 with the offset. And point 13: `report` fits ~120
columns, its CSV opens in Excel (a UTF-8 BOM; yes/no, not True/False); `embargo: ... 10:00 HKT` is read."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.config import load_workspace
from pressctl.errors import ReleaseError
from pressctl.ledger import Ledger
from pressctl.ledger.records import RecipientRow, ResponseUpdate
from pressctl.present import clip, csv_cell, recorded_date, yes_no
from pressctl.release.load import load_release_set
from pressctl.scaffold import init_workspace
from pressctl.times import format_local, iso_local, parse_local_time

HK = ZoneInfo("Asia/Hong_Kong")
# 00:33 HKT on 13 March is still 12 March in UTC: a UTC report showed yesterday's date.
AT = dt.datetime(2030, 3, 12, 16, 33, 41, 123000, tzinfo=dt.UTC)
runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    init_workspace(root)
    ledger_path = root / ".pressctl" / "ledger.sqlite3"
    ledger_path.parent.mkdir(parents=True, exist_ok=True)
    with Ledger(ledger_path, clock=lambda: AT) as ledger:
        c = ledger.campaigns.create(
            fingerprint="f", release_path="releases/sample.md", slug="sample", title="Tidal bay opens",
            lists=["contacts/journalists.csv"], options={},
        )
        ledger.recipients.add(c.id, [
            RecipientRow(key="amy@x.example", email="amy@x.example", name="Amy Chan", language="en"),
            RecipientRow(key="wong@x.example", email="wong@x.example", name="黃嘉明", language="zh-HK"),
        ])
        ledger.recipients.mark_sending(c.id, "amy@x.example", "<1@hvsp.example>")
        ledger.recipients.mark_result(c.id, "amy@x.example", status="sent", code=250, reply="2.0.0 OK")
        ledger.recipients.mark_sending(c.id, "wong@x.example", "<2@hvsp.example>")
        ledger.recipients.mark_result(c.id, "wong@x.example", status="failed", code=550, reply="5.1.1 no such user", reason="mailbox unknown")
        ledger.campaigns.mark_finished(c.id)
        ledger.inbound.apply(
            [ResponseUpdate(c.id, "amy@x.example", "replied", detail="Thanks, =SUM(A1) we will run it")],
            [], ("k1", "reply", "test", "replied"),
        )
        ledger.suppressions.add("gone@x.example", reason="bounced 5.1.1", origin="bounce")
    return root


def _run(ws: Path, *args: str) -> str:
    result = runner.invoke(app, [*args, "--config", str(ws / "pressctl.toml")])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_report_campaigns_and_needs_attention_speak_hkt(ws: Path) -> None:
    report = _run(ws, "report")
    assert "created   2030-03-13 00:33 HKT   finished 2030-03-13 00:33 HKT" in report
    assert "last attempt (HKT)" in report and "2030-03-13 00:33" in report
    assert "UTC" not in report and ".123" not in report and "+00:00" not in report
    assert max(len(line) for line in report.splitlines()) <= 120
    campaigns = _run(ws, "campaigns")
    assert "created (HKT)" in campaigns and "2030-03-13 00:33" in campaigns and "2030-03-12" not in campaigns
    attention = _run(ws, "report", "--needs-attention")
    assert "when (HKT)" in attention and "UTC" not in attention and "2030-03-13 00:33" in attention


def test_report_csv_opens_in_excel_with_local_iso_times_and_yes_no(ws: Path) -> None:
    raw = _run(ws, "report", "--format", "csv")
    assert raw.startswith("\ufeff")  # Excel reads it as UTF-8 only with the BOM: 黃嘉明 stays 黃嘉明
    rows = list(csv.DictReader(io.StringIO(raw.removeprefix("\ufeff"))))
    by = {r["email"]: r for r in rows}
    assert by["amy@x.example"]["sent_at"] == "2030-03-13T00:33:41+08:00"  # the offset, no milliseconds
    assert by["wong@x.example"]["retryable"] == "no"
    assert by["amy@x.example"]["retryable"] == ""  # means nothing for a sent row
    assert by["amy@x.example"]["response_detail"].startswith("Thanks")
    assert by["wong@x.example"]["name"] == "黃嘉明"
    assert "True" not in raw and "False" not in raw
    data = json.loads(_run(ws, "report", "--format", "json"))
    assert data["campaign"]["created_at"] == "2030-03-13T00:33:41+08:00"
    assert {r["email"]: r["retryable"] for r in data["recipients"]} == {"amy@x.example": None, "wong@x.example": False}
    attention = _run(ws, "report", "--needs-attention", "--format", "csv")
    assert attention.startswith("\ufeff") and "2030-03-13T00:33:41+08:00" in attention


def test_suppress_list_shows_recorded_times_in_the_workspace_zone(ws: Path) -> None:
    table = _run(ws, "suppress", "list")
    assert "gone@x.example" in table and "2030-03-13 00:33 HKT" in table
    (entry,) = json.loads(_run(ws, "suppress", "list", "--json"))
    assert entry["date"] == "2030-03-13T00:33:41+08:00"
    assert recorded_date("2026-09-14", HK) == "2026-09-14"  # a date a person typed stays as typed


def test_times_and_cells_have_one_home() -> None:
    assert format_local(AT, HK) == "2030-03-13 00:33:41 HKT"
    assert format_local(AT, HK, seconds=False) == "2030-03-13 00:33 HKT"
    assert iso_local(AT, HK) == "2030-03-13T00:33:41+08:00"
    assert format_local(AT, ZoneInfo("Asia/Dubai"), seconds=False) == "2030-03-12 20:33 UTC+04:00"
    assert yes_no(True) == "yes" and yes_no(False) == "no" and yes_no(None) == ""
    assert csv_cell(True) == "yes" and csv_cell("=1+1") == "'=1+1"
    assert clip("黃嘉明黃嘉明", 7) == "黃嘉明…" and clip("a\nb", 5) == "a b"


def test_embargo_accepts_the_zone_s_own_abbreviation() -> None:
    assert parse_local_time("2030-03-12 10:00 HKT", HK) == dt.datetime(2030, 3, 12, 10, tzinfo=HK)
    assert parse_local_time("2030-03-12T10:00 hkt", HK) == dt.datetime(2030, 3, 12, 2, tzinfo=dt.UTC)
    assert parse_local_time("2030-03-12 02:00 UTC", HK) == dt.datetime(2030, 3, 12, 2, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match=r"CST is not the abbreviation of Asia/Hong_Kong .*\(HKT\)"):
        parse_local_time("2030-03-12 10:00 CST", HK)
    # China's own abbreviation is also US Central's and Cuba's: a time written with it could be any.
    with pytest.raises(ValueError, match="CST names more than one zone"):
        parse_local_time("2030-03-12 10:00 CST", ZoneInfo("Asia/Shanghai"))
    with pytest.raises(ValueError, match="both an offset and a zone name"):
        parse_local_time("2030-03-12T10:00+08:00 HKT", HK)


def test_a_release_with_an_hkt_embargo_loads_and_a_cst_one_is_one_line(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    init_workspace(root)
    release = root / "releases" / "sample.md"
    text = release.read_text(encoding="utf-8")
    before = next(line for line in text.splitlines() if line.startswith("embargo:"))
    release.write_text(text.replace(before, "embargo: 2030-03-12 10:00 HKT"), encoding="utf-8")
    ws = load_workspace(root)
    main = load_release_set(release, ws)[0]
    assert main.embargo == dt.datetime(2030, 3, 12, 10, tzinfo=HK)
    release.write_text(text.replace(before, "embargo: 2030-03-12 10:00 CST"), encoding="utf-8")
    with pytest.raises(ReleaseError) as caught:
        load_release_set(release, ws)
    line = str(caught.value)
    assert "\n" not in line and "CST is not the abbreviation of Asia/Hong_Kong" in line
    assert "2030-03-12 10:00 HKT" in line  # the hint shows the form that works
