"""`pressctl contacts check` through the real command: counts, problems, JSON, exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from contacts_support import write_csv, write_xlsx
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._env import Env
from pressctl.scaffold import init_workspace

runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    init_workspace(root)
    monkeypatch.chdir(root)
    return root


def _json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["contacts", "check", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_sample_list_in_a_new_workspace(ws: Path) -> None:
    data = _json("contacts/journalists.csv", "-l", "en", "-l", "zh-HK")
    assert {
        k: data[k] for k in ("rows", "valid", "invalid", "duplicates", "suppressed", "excluded", "selected")
    } == {
        "rows": 11,
        "valid": 11,
        "invalid": 0,
        "duplicates": 0,
        "suppressed": 0,  # a new workspace's suppression list is empty (its header only)
        "excluded": 0,
        "selected": 11,
    }
    assert data["languages"] == {"en": 6, "zh-HK": 5}
    assert data["suppressed_contacts"] == []


def test_table_output_lists_problems_by_row(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wide = Env.for_test(width=200)  # a wide console, handed to the command: one line per problem
    path = write_csv(
        ws / "extra.csv",
        [
            ["amy.chan@harbourdaily.example", "Amy", "", "", "", "", "en"],
            ["a@x.test>,b@y.test", "Evil", "", "", "", "", ""],
            ["new@x.example", "New", "", "", '=HYPERLINK("http://evil.test")', "", ""],
        ],
    )
    result = runner.invoke(app, ["contacts", "check", "contacts/journalists.csv", str(path)], obj=wide)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "rows 14" in text
    assert "invalid 1" in text
    assert "duplicates 1" in text
    assert "suppressed 0" in text
    assert "selected 12" in text
    assert "the address contains an angle bracket" in text
    # Not a terminal here, so one plain line per problem (a rich table on a terminal).
    assert "extra.csv:2 duplicate Email same address as contacts/journalists.csv:2" in text
    assert "looks like a spreadsheet formula" in text


def test_where_and_suppress_options(ws: Path, tmp_path: Path) -> None:
    extra = tmp_path / "bounced.csv"
    extra.write_text("email\namy.chan@harbourdaily.example\n")
    data = _json("contacts/journalists.csv", "--where", "beat=technology,science", "--suppress", str(extra))
    assert (data["selected"], data["suppressed"], data["excluded"]) == (4, 1, 6)


def test_json_problem_shape(ws: Path) -> None:
    path = write_csv(ws / "bad.csv", [["not-an-address", "X", "", "", "", "", ""]])
    data = _json(str(path))
    assert data["problems"] == [
        {
            "kind": "invalid",
            "file": str(path),
            "row": 2,
            "column": "Email",
            "reason": "not an email address (no @)",
            "value": "not-an-address",
        }
    ]


def test_xlsx_and_encoding_through_the_command(ws: Path) -> None:
    xlsx = write_xlsx(ws / "list.xlsx", [["Email", "Name"], ["a@x.example", "黃嘉明"]])
    big5 = write_csv(ws / "big5.csv", [["b@x.example", "陳雨婷", "", "", "", "", "zh-TW"]], encoding="big5")
    data = _json(str(xlsx), str(big5), "--encoding", "big5")
    assert data["selected"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["big5.csv"], "--encoding"),
        (["big5.csv", "--encoding", "nope"], "unknown encoding 'nope'"),
        (["noemail.csv"], "no email column (the columns are: 'Name', 'Outlet')"),
        (["contacts/journalists.csv", "--where", "beat"], "has no = or !="),
        (["contacts/journalists.csv", "--where", "desk=x"], "no list has a column 'desk'"),
        (["missing.csv"], "file not found"),
        (["contacts/journalists.csv", "--suppress", "missing.csv"], "file not found"),
        (["contacts/journalists.csv", "-l", "xx-YY"], "unknown language"),
    ],
)
def test_errors_exit_2_with_one_line(ws: Path, args: list[str], message: str) -> None:
    write_csv(ws / "big5.csv", [["b@x.example", "陳雨婷", "", "", "", "", "zh-TW"]], encoding="big5")
    write_csv(ws / "noemail.csv", [["Amy", "Daily"]], header=["Name", "Outlet"])
    result = runner.invoke(app, ["contacts", "check", *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error:")


def test_help_mentions_the_options() -> None:
    result = runner.invoke(app, ["contacts", "check", "--help"])
    assert result.exit_code == 0
    for option in ("--encoding", "--where", "--suppress", "--json", "--language"):
        assert option in result.stdout


def test_release_routes_languages_and_reports_missing_merge_fields(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wide = Env.for_test(width=200)
    sample = ws / "releases" / "sample.md"
    text = sample.read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    sample.write_text(
        f"{head}\n---\nFor the {{{{ beat }}}} desk of {{{{ outlet }}}}.\n{body}", encoding="utf-8"
    )
    path = write_csv(
        ws / "list.csv",
        [
            ["amy@x.example", "", "Amy", "Chan", "Harbour Daily", "", "en"],
            ["ho@x.example", "", "Siu-ling", "Ho", "", "science", "zh-TW"],
        ],
    )
    result = runner.invoke(app, ["contacts", "check", str(path), "--release", str(sample)], obj=wide)
    assert result.exit_code == 2
    text = " ".join(result.stdout.split())
    assert "merge field 'beat' is empty for 1 contact(s): list.csv:2" in text
    # Ho gets the Chinese version, which has no {{ outlet }}: her empty outlet is fine
    assert "outlet" not in text
    result = runner.invoke(app, ["contacts", "check", str(path), "--release", str(sample), "--json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["languages"] == {"en": 1, "zh-HK": 1}
    assert data["missing_fields"] == [{"field": "beat", "contacts": ["list.csv:2"]}]
    # the shipped list and release fit together
    result = runner.invoke(app, ["contacts", "check", "contacts/journalists.csv", "-r", "releases/sample.md"])
    assert result.exit_code == 0, result.output


def test_contacts_check_and_send_judge_merge_fields_alike(ws: Path, tmp_path: Path) -> None:
    """One check for both: a zh-TW reader routed to the Chinese version is not asked for {{ outlet }}, a field
    only the English version uses. Before, `contacts check` passed this list and `send` refused it."""
    sample = ws / "releases" / "sample.md"
    head, _, body = sample.read_text(encoding="utf-8").partition("\n---\n")
    sample.write_text(f"{head}\n---\nFor the {{{{ beat }}}} desk of {{{{ outlet }}}}.\n{body}", encoding="utf-8")
    path = write_csv(
        ws / "list.csv",
        [
            ["amy@x.example", "", "Amy", "Chan", "Harbour Daily", "energy", "en"],
            ["ho@x.example", "", "Siu-ling", "Ho", "", "science", "zh-TW"],
        ],
    )
    check = runner.invoke(app, ["contacts", "check", str(path), "--release", str(sample)])
    send = runner.invoke(
        app, ["send", str(sample), "-c", str(path), "--dry-run", "--out", str(tmp_path / "preview")]
    )
    assert (check.exit_code, send.exit_code) == (0, 0), (check.output, send.output)
    # and a field the English version needs is refused by both
    path = write_csv(ws / "list.csv", [["amy@x.example", "", "Amy", "Chan", "Harbour Daily", "", "en"]])
    check = runner.invoke(app, ["contacts", "check", str(path), "--release", str(sample)])
    send = runner.invoke(app, ["send", str(sample), "-c", str(path), "--dry-run"])
    assert (check.exit_code, send.exit_code) == (2, 2)
    assert "'beat'" in check.stdout and "'beat'" in send.stderr
