"""Issues 8 and 9, the job-snapshot side: private snapshots, far-off times refused up front with nothing
stored, `schedule list` robust to an odd job and available as JSON. Real ``pressctl`` processes."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
from pathlib import Path

import pytest

from pressctl.ledger.jobs import SourceFile
from pressctl.schedule.request import open_store
from tests.qa_support import one_error_line, pressctl, workspace

LIST = "contacts/journalists.csv"


def _jobs(root: Path) -> list[Path]:
    folder = root / ".pressctl" / "jobs"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.slow
def test_snapshots_are_private_whatever_the_source_modes(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    os.chmod(root / LIST, 0o640)
    os.chmod(root / "releases" / "sample.md", 0o644)
    proc = pressctl("schedule", "releases/sample.md", "-c", LIST, cwd=root)
    assert proc.returncode == 0, proc.stderr
    jobs_dir = root / ".pressctl" / "jobs"
    assert stat.S_IMODE(jobs_dir.stat().st_mode) == 0o700
    (job,) = _jobs(root)
    for path in [job, *job.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"


@pytest.mark.slow
@pytest.mark.parametrize("where", ["at", "embargo"])
def test_a_time_at_the_end_of_the_calendar_is_refused_and_nothing_is_stored(tmp_path: Path, where: str) -> None:
    root = workspace(tmp_path)
    args = ["schedule", "releases/sample.md", "-c", LIST]
    if where == "at":
        args += ["--at", "9999-12-31T23:59:59+00:00"]
    else:
        release = root / "releases" / "sample.md"
        text = release.read_text("utf-8")
        text = "\n".join(
            "embargo: 9999-12-31T23:59:59+00:00" if line.startswith("embargo:") else line for line in text.split("\n")
        )
        release.write_text(text, "utf-8")
    proc = pressctl(*args, cwd=root)
    assert proc.returncode == 2
    line = one_error_line(proc)
    # --at is judged as it is read (before any arithmetic at the calendar's end); an embargo that far ahead
    # by the release loader, first. Either way nothing is stored.
    expected = (
        "--at '9999-12-31T23:59:59+00:00' is more than 10 years ahead"
        if where == "at"
        else "'embargo' 9999-12-31T23:59:59+00:00 is more than 10 years ahead"
    )
    assert expected in line
    assert [p for p in _jobs(root)] == []
    listing = pressctl("schedule", "list", cwd=root)
    assert listing.returncode == 0 and "no jobs" in listing.stdout


@pytest.mark.slow
def test_list_survives_a_job_it_cannot_show_and_cancel_works(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    ok = pressctl("schedule", "releases/sample.md", "-c", LIST, cwd=root)
    assert ok.returncode == 0, ok.stderr
    good_id = ok.stdout.split()[-1]
    # A job stored by an older pressctl at the very end of the calendar: shown in Hong Kong time it overflows.
    store = open_store(root / ".pressctl" / "ledger.sqlite3")
    store.add(
        job_id="far-000000",
        due=dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
        timezone="Asia/Hong_Kong",
        embargo=None,
        under_embargo=False,
        release=str(root / "releases" / "sample.md"),
        title="Far away",
        workspace=str(root),
        config=str(root / "pressctl.toml"),
        snapshot_dir=str(root / ".pressctl" / "jobs" / "far-000000"),
        snapshot_release="releases/sample.md",
        contacts=[LIST],
        sources=[SourceFile("release", str(root / "releases" / "sample.md"), "releases/sample.md", "0" * 64)],
        options={},
        recipients=1,
    )
    for _ in range(2):
        listing = pressctl("schedule", "list", cwd=root)
        assert listing.returncode == 0, listing.stderr
        assert "far-000000" in listing.stdout and good_id in listing.stdout
        cancelled = pressctl("schedule", "cancel", "far-000000", cwd=root)
        # Cancelling is idempotent: the second time too, exit 0 and the same line.
        assert cancelled.returncode == 0, cancelled.stderr
        assert "cancelled far-000000" in cancelled.stdout and "Traceback" not in cancelled.stderr
    as_json = pressctl("schedule", "list", "--json", cwd=root)
    assert as_json.returncode == 0, as_json.stderr
    jobs = {j["id"]: j for j in json.loads(as_json.stdout)}
    assert jobs[good_id]["state"] == "scheduled" and jobs[good_id]["recipients"] == 11
    assert jobs[good_id]["due_utc"] == "2030-03-12T02:00:00+00:00"
    assert jobs["far-000000"]["state"] == "cancelled"
    assert "secret" not in as_json.stdout.lower()


@pytest.mark.slow
def test_a_job_sends_the_branding_it_was_scheduled_with_and_reads_suppression_and_secret_live(
    tmp_path: Path,
) -> None:
    from email import message_from_string, policy

    from pressctl.contacts.unsubscribe import load_or_create_secret, token_for
    from tests.smtp_server import SmtpTestServer

    root = workspace(tmp_path)
    release = root / "releases" / "sample.md"
    text = "\n".join(line for line in release.read_text("utf-8").split("\n") if not line.startswith("embargo:"))
    release.write_text(text, "utf-8")
    overrides = root / "templates"
    overrides.mkdir(exist_ok=True)
    (overrides / "email.txt.j2").write_text("OLD TEMPLATE {{ greeting }}\n{{ unsubscribe_url }}\n", "utf-8")
    with SmtpTestServer() as server:
        proc = pressctl(
            "schedule", "releases/sample.md", "-c", LIST, "--at", "+2h", "--smtp", server.url(), "--lang", "en",
            cwd=root,
        )
        assert proc.returncode == 0, proc.stderr
        job_id = proc.stdout.split()[-1]
        snapshot = _jobs(root)[0]
        assert "secret" not in {p.name for p in snapshot.rglob("*")}
        # After scheduling: a new organisation name and footer, a new template, a new suppression.
        toml = root / "pressctl.toml"
        toml.write_text(toml.read_text("utf-8").replace('name = "Harbourview Science Park"', 'name = "Renamed Park"'), "utf-8")
        (overrides / "email.txt.j2").write_text("NEW TEMPLATE\n", "utf-8")
        with (root / "contacts" / "suppressed.csv").open("a", encoding="utf-8") as fh:
            fh.write("amy.chan@harbourdaily.example\n")
        listing = pressctl("schedule", "list", cwd=root)
        assert "pressctl.toml (changed)" in listing.stdout and "email.txt.j2 (changed)" in listing.stdout
        run = pressctl("schedule", "run", job_id, cwd=root)
        assert run.returncode == 0, run.stderr + run.stdout
        messages = server.messages
    recipients = {m.rcpt for m in messages}
    assert "amy.chan@harbourdaily.example" not in recipients and len(recipients) >= 5  # suppression read live
    secret = load_or_create_secret(root / ".pressctl")  # the live secret signs the tokens
    for received in messages:
        msg = message_from_string(received.data.decode("utf-8"), policy=policy.default)
        plain = msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        assert plain.startswith("OLD TEMPLATE Dear ") and "NEW TEMPLATE" not in plain
        assert token_for(received.rcpt, secret) in plain
        html = msg.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
        assert "Harbourview Science Park" in html and "Renamed Park" not in html


@pytest.mark.slow
def test_a_schedule_that_fails_leaves_no_job_and_no_folder(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "contacts" / "empty.csv").write_text("Email,Name\n", "utf-8")
    proc = pressctl("schedule", "releases/sample.md", "-c", "contacts/empty.csv", cwd=root)
    assert proc.returncode == 2
    assert "nobody to send to" in one_error_line(proc)
    assert _jobs(root) == []  # not even a hidden .partial folder
    listing = pressctl("schedule", "list", "--json", cwd=root)
    assert listing.returncode == 0 and json.loads(listing.stdout) == []
