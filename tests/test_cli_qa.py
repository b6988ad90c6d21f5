"""QA regressions in the command line itself: help texts that say what the code does, huge values."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.errors import InputError
from pressctl.times import parse_duration
from tests.qa_support import one_error_line, pressctl, workspace

runner = CliRunner()


@pytest.mark.parametrize("command", [["send", "--help"], ["schedule", "add", "--help"]])
def test_smtp_help_keeps_its_brackets(command: list[str]) -> None:
    result = runner.invoke(app, command, env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert "smtp://[user@]host[:port]" in result.output
    if command[0] == "send":
        assert "Default: [smtp] url in pressctl.toml" in result.output


@pytest.mark.slow
def test_huge_durations_are_input_errors_not_crashes(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="too long"):
        parse_duration("99999999999d", option="--max-late")
    assert parse_duration("3650d").days == 3650
    root = workspace(tmp_path)
    proc = pressctl("schedule", "releases/sample.md", "-c", "contacts/journalists.csv", "--at", "+99999999d", cwd=root)
    assert proc.returncode == 2
    assert "is too long" in one_error_line(proc)
    proc = pressctl("dispatch", "--max-late", "99999999999d", cwd=root)
    assert proc.returncode == 2
    assert "is too long" in one_error_line(proc)


@pytest.mark.slow
def test_dry_run_out_folder_that_cannot_be_made_and_bad_limit(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    base = ("send", "releases/sample.md", "-c", "contacts/journalists.csv", "--dry-run")
    proc = pressctl(*base, "--out", "/proc/no-such-place", cwd=root)
    assert proc.returncode == 2
    assert "cannot write the preview here" in one_error_line(proc)
    proc = pressctl(*base, "--limit", "-3", cwd=root)
    assert proc.returncode == 2
    assert one_error_line(proc).startswith("error: --limit -3")


@pytest.mark.slow
def test_usage_mistakes_are_one_line(tmp_path: Path) -> None:
    cases = [
        (("sned",), "error: pressctl: No such command 'sned'. Did you mean 'send'? Try 'pressctl --help'."),
        (("send",), "error: pressctl send: Missing argument 'release'. Try 'pressctl send --help'."),
        (("report", "abc"), "error: pressctl report: Invalid value for 'campaign'"),
    ]
    for args, expected in cases:
        proc = pressctl(*args, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert one_error_line(proc).startswith(expected)
        assert "╭" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert pressctl("--version", cwd=tmp_path).returncode == 0
    bare = pressctl(cwd=tmp_path)
    assert bare.returncode == 2 and "Usage: pressctl" in bare.stdout and bare.stderr == "", bare.stderr


@pytest.mark.slow
def test_time_mistakes_read_as_words(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    base = ("schedule", "releases/sample.md", "-c", "contacts/journalists.csv", "--at")
    proc = pressctl(*base, "2030-03-12 10:00:00+25:00", cwd=root)
    assert "the UTC offset must be between -23:59 and +23:59" in one_error_line(proc)
    proc = pressctl(*base, "tomorrow", cwd=root)
    line = one_error_line(proc)
    assert "(not ISO 8601)" in line and "isoformat" not in line
