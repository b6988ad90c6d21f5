"""Approvals through the real ``pressctl`` command, with a real SMTP server (aiosmtpd) on 127.0.0.1 and the
ledger on disk: with ``[workflow] approval = "required"`` an unapproved release is refused by ``send``,
``schedule`` and ``publish`` (exit 2, one line, nothing sent) while ``--dry-run`` and ``--test-to`` work;
after ``approve`` it goes; an edit to the zh-HK text refuses it again, naming zh-HK and the approver; a
scheduled job whose workspace files change after approval still sends its approved snapshot at the lift;
a job scheduled again after an edit is refused until approved again."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
from pathlib import Path

import pytest
from pg_support import PostgresServer, postgres
from send_support import run_cli, write_contacts
from smtp_server import SmtpTestServer
from typer.testing import CliRunner

from pressctl.clock import ManualClock
from pressctl.scaffold import init_workspace

pytestmark = pytest.mark.slow

__all__ = ["postgres"]  # the fixture, for pytest

LIFT = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)  # the sample's embargo, 10:00 in Hong Kong
PAST = "2026-01-05T10:00:00+08:00"
ZH_LINE = "數碼港" # a word the edit puts into the Chinese text
ENV = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null", "NO_COLOR": "1"}


def _workspace(tmp_path: Path, *, embargo: str | None = PAST, extra: str = "") -> Path:
    ws = tmp_path / "ws"
    init_workspace(ws)
    toml = ws / "pressctl.toml"
    toml.write_text(toml.read_text("utf-8") + '\n[workflow]\napproval = "required"\n' + extra, "utf-8")
    if embargo is not None:
        release = ws / "releases" / "sample.md"
        release.write_text(release.read_text("utf-8").replace("2030-03-12T10:00:00+08:00", embargo), "utf-8")
    write_contacts(ws / "contacts" / "desk.csv", 2)
    return ws


def _edit_chinese(ws: Path) -> None:
    zh = ws / "releases" / "sample.zh-HK.md"
    text = zh.read_text("utf-8")
    body_start = text.index("---", 3) + 3
    zh.write_text(text[:body_start] + f"\n{ZH_LINE}。\n" + text[body_start:], "utf-8")


def _subjects(server: SmtpTestServer) -> list[str]:
    return [str(email.message_from_bytes(m.data, policy=email.policy.default)["Subject"]) for m in server.messages]


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def test_send_needs_an_approval_of_exactly_what_goes(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    send = ["send", "releases/sample.md", "-c", "contacts/desk.csv", "--yes", "--smtp"]
    with SmtpTestServer() as server:
        refused = run_cli([*send, server.url()], cwd=ws, env=ENV)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        line = _one_line(refused.stderr)
        assert "not approved" in line and "sample.md" in line and "pressctl approve" in line, line
        assert server.messages == []

        # Looking is always allowed: the dry run and a test copy.
        dry = run_cli(["send", "releases/sample.md", "-c", "contacts/desk.csv", "--dry-run"], cwd=ws, env=ENV)
        assert dry.returncode == 0, dry.stderr
        test = run_cli([*send, server.url(), "--test-to", "desk@hvsp.example"], cwd=ws, env=ENV)
        assert test.returncode == 0, test.stderr
        assert {m.rcpt for m in server.messages} == {"desk@hvsp.example"}
        before = len(server.messages)
        unapproved = run_cli(["campaigns"], cwd=ws, env=ENV)  # no approval in the ledger: no column for it
        assert unapproved.returncode == 0 and "approved by" not in unapproved.stdout, unapproved.stdout

        approved = run_cli(["approve", "releases/sample.md", "--as", "Amy Chan", "--note", "legal: fine"], cwd=ws, env=ENV)
        assert approved.returncode == 0, approved.stderr
        assert "approved sample (en, zh-HK) by Amy Chan" in approved.stdout, approved.stdout

        sent = run_cli([*send, server.url()], cwd=ws, env=ENV)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert len(server.messages) == before + 2
        report = run_cli(["report"], cwd=ws, env=ENV)  # the campaign went out under that approval
        assert re.search(r"^approved  Amy Chan \d{4}-\d\d-\d\d \d\d:\d\d HKT · legal: fine$", report.stdout, re.M), report.stdout
        listed = run_cli(["campaigns"], cwd=ws, env=ENV)  # the list says who approved each campaign too
        assert listed.returncode == 0, listed.stderr
        header, *rows = listed.stdout.splitlines()
        assert header.endswith("approved by"), header
        assert rows[0].endswith(" -") and rows[-1].endswith(" Amy Chan"), listed.stdout  # the test copy: none
        campaigns = json.loads(run_cli(["campaigns", "--format", "json"], cwd=ws, env=ENV).stdout)
        assert campaigns[0]["approvals"] == []
        (approval,) = campaigns[-1]["approvals"]
        assert approval["by"] == "Amy Chan" and approval["note"] == "legal: fine" and approval["at"].endswith("+08:00")
        before = len(server.messages)

        _edit_chinese(ws)
        changed = run_cli([*send, server.url(), "--new-campaign"], cwd=ws, env=ENV)
        assert changed.returncode == 2, changed.stdout + changed.stderr
        line = _one_line(changed.stderr)
        assert "send refused: zh-HK text" in line and "Amy Chan approved it" in line and "; en" not in line, line
        assert "pressctl approve releases/sample.md" in line, line
        assert len(server.messages) == before

    listed = run_cli(["approvals", "releases/sample.md"], cwd=ws, env=ENV)
    assert listed.returncode == 0, listed.stderr
    assert "Amy Chan" in listed.stdout and "legal: fine" in listed.stdout and "en, zh-HK" in listed.stdout


def test_a_scheduled_job_sends_its_approved_snapshot_and_a_new_schedule_needs_a_new_approval(tmp_path: Path) -> None:
    from pressctl.cli import app
    from pressctl.cli._env import Env

    ws = _workspace(tmp_path, embargo=None)  # the sample's own embargo: 10:00 HKT, 12 March 2030
    release = ws / "releases" / "sample.md"
    title = "Harbourview Science Park Opens Tidal Energy Test Bay for Start-ups"
    with SmtpTestServer() as server:
        schedule = ["schedule", "releases/sample.md", "-c", "contacts/desk.csv", "--smtp", server.url()]
        refused = run_cli(schedule, cwd=ws, env=ENV)
        assert refused.returncode == 2 and "not approved" in _one_line(refused.stderr), refused.stderr

        assert run_cli(["approve", "releases/sample.md", "--as", "Amy Chan"], cwd=ws, env=ENV).returncode == 0
        scheduled = run_cli(schedule, cwd=ws, env=ENV)
        assert scheduled.returncode == 0, scheduled.stderr

        # The workspace changes after the approval: the job's private copy does not.
        release.write_text(release.read_text("utf-8").replace(title, "A Title Nobody Approved", 1), "utf-8")
        _edit_chinese(ws)
        again = run_cli(schedule, cwd=ws, env=ENV)
        assert again.returncode == 2, again.stderr
        line = _one_line(again.stderr)
        assert "en subject" in line and "zh-HK text" in line and "Amy Chan" in line, line

        env = Env.for_test(clock=ManualClock(LIFT + dt.timedelta(seconds=1)), environ={**ENV}, cwd=ws)
        done = CliRunner().invoke(app, ["dispatch"], obj=env)
        assert done.exit_code == 0, (done.stdout, done.stderr)
        assert " done" in done.stdout, done.stdout
        assert len(server.messages) == 2
        assert all(title in subject for subject in _subjects(server)), _subjects(server)
        report = json.loads(run_cli(["report", "--format", "json"], cwd=ws, env=ENV).stdout)
        assert [a["by"] for a in report["campaign"]["approvals"]] == ["Amy Chan"]

        assert run_cli(["approve", "releases/sample.md", "--as", "Lee Wai"], cwd=ws, env=ENV).returncode == 0
        assert run_cli(schedule, cwd=ws, env=ENV).returncode == 0


def test_publish_refuses_an_unapproved_release(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, extra='\n[site]\ndir = "site"\n')
    refused = run_cli(["publish", "releases/sample.md"], cwd=ws, env=ENV)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "publish refused" in _one_line(refused.stderr)
    assert not (ws / "site").exists() or not any((ws / "site").rglob("*.html"))
    assert run_cli(["approve", "releases/sample.md", "--as", "Amy Chan"], cwd=ws, env=ENV).returncode == 0
    published = run_cli(["publish", "releases/sample.md"], cwd=ws, env=ENV)
    assert published.returncode == 0, published.stderr


def test_only_listed_approvers_count_and_enough_of_them(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, extra='approvers = ["Amy Chan", "Lee Wai"]\napprovals_needed = 2\n')
    stranger = run_cli(["approve", "releases/sample.md", "--as", "Somebody Else"], cwd=ws, env=ENV)
    assert stranger.returncode == 2 and "not among the approvers" in _one_line(stranger.stderr)
    assert run_cli(["approve", "releases/sample.md", "--as", "Amy Chan"], cwd=ws, env=ENV).returncode == 0
    with SmtpTestServer() as server:
        send = ["send", "releases/sample.md", "-c", "contacts/desk.csv", "--yes", "--smtp", server.url()]
        one = run_cli(send, cwd=ws, env=ENV)
        assert one.returncode == 2 and "1 of 2 approvals" in _one_line(one.stderr), one.stderr
        assert run_cli(["approve", "releases/sample.md", "--as", "lee wai"], cwd=ws, env=ENV).returncode == 0
        two = run_cli(send, cwd=ws, env=ENV)
        assert two.returncode == 0, two.stdout + two.stderr
        assert len(server.messages) == 2


def test_approve_refuses_a_release_with_errors(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    release = ws / "releases" / "sample.md"
    release.write_text(release.read_text("utf-8").replace("title: Harbourview", "title: [Harbourview", 1), "utf-8")
    refused = run_cli(["approve", "releases/sample.md", "--as", "Amy Chan"], cwd=ws, env=ENV)
    assert refused.returncode == 2 and "sample.md:" in _one_line(refused.stderr), refused.stderr
    assert "no approvals yet" in run_cli(["approvals"], cwd=ws, env=ENV).stderr


def test_a_job_scheduled_before_approvals_were_required_is_checked_at_its_lift(tmp_path: Path) -> None:
    from pressctl.cli import app
    from pressctl.cli._env import Env

    ws = _workspace(tmp_path, embargo=None)
    toml = ws / "pressctl.toml"
    toml.write_text(toml.read_text("utf-8").replace('approval = "required"', 'approval = "off"'), "utf-8")
    with SmtpTestServer() as server:
        scheduled = run_cli(["schedule", "releases/sample.md", "-c", "contacts/desk.csv", "--smtp", server.url()], cwd=ws, env=ENV)
        assert scheduled.returncode == 0, scheduled.stderr
        toml.write_text(toml.read_text("utf-8").replace('approval = "off"', 'approval = "required"'), "utf-8")
        env = Env.for_test(clock=ManualClock(LIFT + dt.timedelta(seconds=1)), environ={**ENV}, cwd=ws)
        done = CliRunner().invoke(app, ["dispatch"], obj=env)
        assert done.exit_code == 1, (done.stdout, done.stderr)
        assert "failed" in done.stdout and "dispatch refused: the release is not approved" in done.stdout, done.stdout
        assert server.messages == []


def test_an_office_ledger_on_postgresql_carries_approvals_to_the_lift(
    tmp_path: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--db postgresql://…`` from approve to dispatch: the job keeps the URL as a URL (a path made of it
    folded its ``//`` and looked for approvals in a file that is not there), so it goes at its lift."""
    from pressctl.cli import app
    from pressctl.cli._env import Env

    ws = _workspace(tmp_path, embargo=None)
    url = postgres.new_database()
    env_vars = {**ENV, **postgres.env()}
    db = ["--db", url]
    with SmtpTestServer() as server:
        assert run_cli(["approve", "releases/sample.md", "--as", "Amy Chan", *db], cwd=ws, env=env_vars).returncode == 0
        scheduled = run_cli(
            ["schedule", "releases/sample.md", "-c", "contacts/desk.csv", "--smtp", server.url(), *db], cwd=ws, env=env_vars
        )
        assert scheduled.returncode == 0, scheduled.stderr
        env = Env.for_test(clock=ManualClock(LIFT + dt.timedelta(seconds=1)), environ=env_vars, cwd=ws)
        for name, value in postgres.env().items():  # the dispatcher in this process reaches the server too
            monkeypatch.setenv(name, value)
        done = CliRunner().invoke(app, ["dispatch", *db], obj=env)
        assert done.exit_code == 0, (done.stdout, done.stderr)
        assert " done" in done.stdout and "not approved" not in done.stdout, done.stdout
        assert len(server.messages) == 2
        report = json.loads(run_cli(["report", "--format", "json", *db], cwd=ws, env=env_vars).stdout)
        assert [a["by"] for a in report["campaign"]["approvals"]] == ["Amy Chan"]
