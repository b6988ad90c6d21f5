"""``pressctl schedule`` and ``pressctl dispatch`` through the CLI: output, the job id as the last word,
one clear line and exit 2 for every mistake, help that lists the commands.

A job that is scheduled renders its PDFs (WeasyPrint, in a worker process) into a fresh workspace: the tests
that schedule one are marked slow, out of the fast loop."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from schedule_support import make_workspace
from typer.testing import CliRunner

from pressctl.cli import app

runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_workspace(tmp_path / "ws").root
    monkeypatch.chdir(root)
    return root


def _schedule(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["schedule", "releases/sample.md", "-c", "contacts/journalists.csv", *args])
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_the_commands() -> None:
    top = runner.invoke(app, ["--help"]).output
    assert "schedule" in top and "dispatch" in top
    group = runner.invoke(app, ["schedule", "--help"]).output
    for word in ("add", "list", "cancel", "run"):
        assert word in group
    add = runner.invoke(app, ["schedule", "releases/x.md", "--help"]).output
    assert "--at" in add and "--under-embargo" in add and "--rate" in add
    assert "--max-late" in runner.invoke(app, ["dispatch", "--help"]).output


@pytest.mark.slow
def test_schedule_prints_the_job_id_last_and_list_shows_it(ws: Path) -> None:
    code, stdout, stderr = _schedule()
    assert code == 0, stderr
    job_id = stdout.split()[-1]
    assert job_id.startswith("sample-")
    assert "2030-03-12 10:00 HKT (2030-03-12 02:00 UTC)" in stdout
    assert "recipients  11" in stdout
    listing = runner.invoke(app, ["schedule", "list"]).stdout
    assert f"{job_id}  scheduled  2030-03-12 10:00 HKT  (2030-03-12 02:00 UTC)  11 recipients" in listing
    assert "changed since scheduling" not in listing
    # An edit after scheduling is flagged (and not sent: the snapshot is).
    release = ws / "releases" / "sample.md"
    # (an edit that keeps the versions agreeing: a changed figure would now be refused, see tests/test_versions.py)
    release.write_text(release.read_text(encoding="utf-8").replace("young companies", "new companies"), encoding="utf-8")
    listing = runner.invoke(app, ["schedule", "list"]).stdout
    assert "changed since scheduling" in listing and "sample.md (changed)" in listing
    assert runner.invoke(app, ["schedule", "list", "--state", "done"]).stdout.strip() == "no jobs"
    # `schedule add` is the same command, spelled out; options may come first.
    for args in (
        ["add", "releases/sample.md", "-c", "contacts/journalists.csv", "--at", "2030-03-12 11:00"],
        ["-c", "contacts/journalists.csv", "releases/sample.md", "--at", "2030-03-12 11:00"],
    ):
        again = runner.invoke(app, ["schedule", *args])
        assert again.exit_code == 0, again.stderr
        assert "2030-03-12 11:00 HKT" in again.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "2030-03-12 09:00"], "before the embargo lifts"),
        (["--at", "2020-01-01T00:00Z"], "in the past"),
        (["--at", "2030-03-12"], "not a usable time"),
        (["--under-embargo"], "needs --at"),
        (["--rate", "fast"], "not a rate"),
        (["--retry-for", "a while"], "not a duration"),
        (["--smtp", "smtp://press:secret@mail.hvsp.example"], "must not contain a password"),
        (["--where", "beat"], "--where"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(ws: Path, args: list[str], message: str) -> None:
    code, stdout, stderr = _schedule(*args)
    assert code == 2, stdout + stderr
    assert message in stderr
    assert "Traceback" not in stderr
    assert "secret" not in stdout + stderr
    assert not (ws / ".pressctl" / "jobs").exists() or not any((ws / ".pressctl" / "jobs").iterdir())


def test_missing_list_is_reported_with_its_path(ws: Path) -> None:
    result = runner.invoke(app, ["schedule", "releases/sample.md", "-c", "contacts/nope.csv"])
    assert result.exit_code == 2
    assert "contacts/nope.csv" in result.stderr


@pytest.mark.slow
def test_cancel_and_run_rules(ws: Path) -> None:
    _, stdout, _ = _schedule()
    job_id = stdout.split()[-1]
    early = runner.invoke(app, ["schedule", "run", job_id])
    assert early.exit_code == 2
    assert "before its embargo lifts at 2030-03-12 10:00 HKT" in early.stderr
    assert runner.invoke(app, ["schedule", "cancel", job_id]).stdout.strip() == f"cancelled {job_id}"
    assert f"{job_id}  cancelled" in runner.invoke(app, ["schedule", "list"]).stdout
    unknown = runner.invoke(app, ["schedule", "cancel", "nope-123"])
    assert unknown.exit_code == 2 and "no scheduled job 'nope-123'" in unknown.stderr


@pytest.mark.slow
def test_dispatch_once_with_nothing_due(ws: Path) -> None:
    _schedule()
    result = runner.invoke(app, ["dispatch"])
    assert result.exit_code == 0
    assert "no jobs due" in result.stderr
    bad = runner.invoke(app, ["dispatch", "--max-late", "soon"])
    assert bad.exit_code == 2 and "not a duration" in bad.stderr


@pytest.mark.slow
def test_advance_copy_and_no_embargo(ws: Path) -> None:
    code, stdout, stderr = _schedule("--under-embargo", "--at", "2030-03-11 09:00")
    assert code == 0, stderr
    assert "as an advance copy" in stdout
    release = ws / "releases" / "sample.md"
    release.write_text(
        release.read_text(encoding="utf-8").replace("embargo: 2030-03-12T10:00:00+08:00\n", ""),
        encoding="utf-8",
    )
    code, _, stderr = _schedule()
    assert code == 2 and "no embargo" in stderr
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    code, stdout, stderr = _schedule("--at", soon)
    assert code == 0, stderr


def test_dispatch_outside_a_workspace_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (["dispatch"], ["schedule", "list"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert "not a pressctl workspace" in result.stderr and "--db" in result.stderr
    assert not (tmp_path / ".pressctl").exists()  # no stray empty ledger


@pytest.mark.slow
def test_a_login_reminds_where_the_password_goes(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRESSCTL_SMTP_PASSWORD", raising=False)
    code, stdout, stderr = _schedule("--smtp", "smtp://press@mail.hvsp.example:587")
    assert code == 0, stderr
    assert "PRESSCTL_SMTP_PASSWORD" in stderr
    (job_dir,) = (ws / ".pressctl" / "jobs").iterdir()
    assert stdout.split()[-1] == job_dir.name
