"""One line, never exit 70 (issue 17, point 9): absurd values a user can type, a reader that goes away,
a ledger that is not ours. Each through the real command line."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from qa_support import QA_ENV, one_error_line, pressctl, workspace

pytestmark = pytest.mark.slow  # every test here runs the real pressctl in a child process


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = workspace(tmp_path_factory.mktemp("one-line"))
    contacts = next(p for p in (root / "contacts").iterdir() if "suppress" not in p.name)
    sent = pressctl("send", "releases/sample.md", "-c", str(contacts), "--under-embargo", "--yes", cwd=root, timeout=180)
    assert sent.returncode == 0, sent.stderr
    return root


@pytest.mark.parametrize("value", ["1e300", "inf", "nan", "1e-300", "0", "-1", "1e20"])
def test_dispatch_interval(ws: Path, value: str) -> None:
    done = pressctl("dispatch", "--watch", "--interval", value, cwd=ws, timeout=30)
    assert done.returncode == 2
    assert "--interval" in one_error_line(done) and "from 0.1 to 86400" in done.stderr


@pytest.mark.parametrize("value", ["1e300", "nan", "1e-300"])
def test_bounces_interval(ws: Path, value: str) -> None:
    maildir = ws / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    done = pressctl("bounces", "--maildir", str(maildir), "--watch", "--interval", value, cwd=ws, timeout=30)
    assert done.returncode == 2 and "--interval" in one_error_line(done)


@pytest.mark.parametrize(
    ("at", "why"),
    [
        ("9999-12-31T23:59:59-12:00", "more than 10 years ahead"),
        ("9999-12-31 23:59", "more than 10 years ahead"),
        ("0001-01-01T00:00:00+14:00", "before 1970"),
        ("2030-03-12T10:00:00+99:00", "not a usable time"),
    ],
)
def test_schedule_at_the_ends_of_the_calendar(ws: Path, at: str, why: str) -> None:
    contacts = next(p for p in (ws / "contacts").iterdir() if "suppress" not in p.name)
    done = pressctl("schedule", "releases/sample.md", "-c", str(contacts), "--at", at, cwd=ws, timeout=120)
    assert done.returncode == 2 and why in one_error_line(done)


@pytest.mark.parametrize("command", [["report"], ["report", "--format", "csv"], ["report", "--format", "json"]])
def test_a_reader_that_goes_away_ends_it_quietly(ws: Path, command: list[str]) -> None:
    # `pressctl report | head -1`: the pipe closes after the first line.
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pressctl.cli import main; main()", *command],
        cwd=ws, env=QA_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert code in (0, 141), (code, stderr)
    assert stderr == "", stderr


def test_report_is_quiet_when_head_takes_one_line(ws: Path) -> None:
    shell = f"{sys.executable} -c 'from pressctl.cli import main; main()' report --format csv | head -1"
    done = subprocess.run(["bash", "-c", shell], cwd=ws, env=QA_ENV, capture_output=True, text=True, timeout=60)
    assert done.stdout.startswith("\ufeffcampaign,") and done.stderr == "", done.stderr  # the BOM: Excel reads UTF-8


def _ledger_copy(ws: Path, tmp_path: Path, script: str) -> Path:
    path = tmp_path / "ledger.sqlite3"
    src = sqlite3.connect(ws / ".pressctl" / "ledger.sqlite3")
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.executescript(script)
    dst.close()
    return path


@pytest.mark.parametrize(
    "script",
    [
        "DROP TABLE recipients; CREATE TABLE recipients(a);",
        "DROP TABLE recipients;",
        "DROP TABLE jobs; CREATE TABLE jobs(x);",
        "DROP TABLE suppressions; CREATE TABLE suppressions(x);",
    ],
)
@pytest.mark.parametrize(
    "command",
    [["report"], ["campaigns"], ["report", "--needs-attention"], ["schedule", "list"], ["dispatch"],
     ["suppress", "list"], ["suppress", "add", "someone@paper.example"]],
)
def test_a_ledger_with_the_wrong_tables(ws: Path, tmp_path: Path, script: str, command: list[str]) -> None:
    db = _ledger_copy(ws, tmp_path, script)
    done = pressctl(*command, "--db", str(db), cwd=ws)
    assert done.returncode in (0, 2), (done.returncode, done.stderr)
    if done.returncode == 2:
        line = one_error_line(done)
        assert "the ledger cannot be used" in line or "cannot open the ledger" in line, line


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 5000])
def test_a_ledger_that_is_not_a_database(ws: Path, tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "ledger.sqlite3"
    db.write_bytes(content)
    for command in (["report"], ["campaigns"], ["schedule", "list"]):
        done = pressctl(*command, "--db", str(db), cwd=ws)
        assert done.returncode in (0, 2), (command, done.stderr)
        if done.returncode == 2:
            one_error_line(done)


@pytest.mark.parametrize("number", ["99999999999999999999", "9223372036854775808"])
def test_a_campaign_number_too_large_for_the_ledger(ws: Path, number: str) -> None:
    for command in (["report", number], ["report", "--needs-attention", number]):
        done = pressctl(*command, cwd=ws)
        assert done.returncode == 2 and "too large" in one_error_line(done)


def test_output_to_a_full_disk(ws: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-c", "from pressctl.cli import main; main()", "report", "--format", "csv"],
            cwd=ws, env=QA_ENV, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
        )
    assert done.returncode == 2 and "no space left" in done.stderr and "internal error" not in done.stderr


@pytest.mark.parametrize(
    "table",
    ['[site]\ndeploy = "true"\ndeploy_timeout = 1e300', '[site]\ndeploy = "true"\ndeploy_timeout = inf',
     '[site]\ndeploy = "true"\ndeploy_timeout = nan', "[limits]\nlist_bytes = 99999999999999999999"],
)
def test_absurd_numbers_in_pressctl_toml(tmp_path: Path, table: str) -> None:
    root = workspace(tmp_path)
    with (root / "pressctl.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + table + "\n")
    contacts = next(p for p in (root / "contacts").iterdir() if "suppress" not in p.name)
    command = ["publish", "releases/sample.md", "--preview"] if "site" in table else [
        "send", "releases/sample.md", "-c", str(contacts), "--dry-run"]
    done = pressctl(*command, cwd=root, timeout=120)
    assert done.returncode == 2 and "pressctl.toml" in one_error_line(done)
