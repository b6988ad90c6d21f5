"""``-c a.csv b.xlsx`` (issue 18, item 5): several lists after one ``-c`` in send, schedule and contacts check,
``-c`` repeated as before, and the command's own argument never taken for a list."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from contacts_support import write_xlsx
from send_support import make_workspace, run_cli, write_contacts, write_release
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._lists import spread


def _params(command: str) -> list[object]:
    import typer

    group = typer.main.get_command(app)
    cmd = group.commands[command]  # type: ignore[attr-defined]
    return list(cmd.params)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["r.md", "-c", "a.csv", "b.xlsx"], ["r.md", "-c", "a.csv", "-c", "b.xlsx"]),
        (["-c", "a.csv", "b.xlsx", "r.md"], ["-c", "a.csv", "-c", "b.xlsx", "r.md"]),  # the release given back
        (["-c", "a.csv", "r.md"], ["-c", "a.csv", "r.md"]),
        (["-c", "a.csv", "-c", "b.csv", "r.md"], ["-c", "a.csv", "-c", "b.csv", "r.md"]),
        (["r.md", "--contacts", "a.csv", "b.csv", "--yes"], ["r.md", "--contacts", "a.csv", "-c", "b.csv", "--yes"]),
        (["r.md", "--contacts=a.csv", "b.csv"], ["r.md", "--contacts=a.csv", "-c", "b.csv"]),
        (["r.md", "-ca.csv", "b.csv"], ["r.md", "-ca.csv", "-c", "b.csv"]),
        (["r.md", "--where", "beat=x", "-c", "a.csv"], ["r.md", "--where", "beat=x", "-c", "a.csv"]),
        (["--where", "-c", "r.md", "-c", "a.csv"], ["--where", "-c", "r.md", "-c", "a.csv"]),  # a value, not an option
        (["r.md", "-c", "a.csv", "--", "b.csv"], ["r.md", "-c", "a.csv", "--", "b.csv"]),
    ],
)
def test_spread_gives_each_word_after_c_to_the_list(args: list[str], expected: list[str]) -> None:
    assert spread(args, _params("send")) == expected


def test_help_says_several_after_one_c() -> None:
    for command in (["send"], ["schedule", "add"], ["contacts", "check"]):
        result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0
        assert "-c a.csv b.xlsx" in result.stdout, command


def test_contacts_check_takes_c_with_several_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = make_workspace(tmp_path)
    one = write_contacts(ws / "contacts" / "one.csv", 2)
    two = write_xlsx(ws / "contacts" / "two.xlsx", [["email", "first_name"], ["x@y.example", "X"]])
    monkeypatch.chdir(ws)
    for args in (["-c", str(one), str(two)], [str(one), str(two)], [str(one), "-c", str(two)]):
        result = CliRunner().invoke(app, ["contacts", "check", *args, "--json"])
        assert result.exit_code == 0, result.stdout + result.stderr
        assert '"selected": 3' in result.stdout, args
    missing = CliRunner().invoke(app, ["contacts", "check"])
    assert missing.exit_code == 2 and "no contact list given" in missing.stderr


@pytest.mark.slow
def test_send_and_schedule_take_several_lists_after_one_c(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    release = write_release(ws, embargo=f"{dt.date.today().year + 2}-03-12 10:00")
    one = write_contacts(ws / "contacts" / "one.csv", 2)
    two = write_xlsx(ws / "contacts" / "two.xlsx", [["email", "first_name"], ["x@y.example", "X"]])
    dry = run_cli(["send", "-c", str(one), str(two), str(release), "--dry-run"], cwd=ws)
    assert dry.returncode == 0, dry.stderr
    assert "dry run: 3 of 3 message(s) written" in dry.stdout
    job = run_cli(["schedule", str(release), "-c", str(one), str(two)], cwd=ws)
    assert job.returncode == 0, job.stderr
    assert "recipients  3" in job.stdout
