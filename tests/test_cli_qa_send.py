"""QA regressions: bad send/schedule options fail before anything is written, and no secret is shown."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.qa_support import one_error_line, pressctl, workspace
from tests.smtp_server import SmtpTestServer

SEND = ("send", "releases/sample.md", "-c", "contacts/journalists.csv", "--under-embargo", "--yes")


def _campaigns(root: Path) -> int:
    path = root / ".pressctl" / "ledger.sqlite3"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return int(db.execute("select count(*) from campaigns").fetchone()[0])


@pytest.mark.slow
def test_bad_from_option_fails_before_the_ledger(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    proc = pressctl(*SEND, "--from", "nobody", cwd=root)
    assert proc.returncode == 2
    assert one_error_line(proc).startswith("error: --from 'nobody' is not one email address")
    assert _campaigns(root) == 0
    assert not any((root / "outbox").rglob("*.vm")), "nothing may be delivered"


@pytest.mark.slow
def test_bad_test_to_names_the_option(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    proc = pressctl(*SEND, "--test-to", "notanaddress", cwd=root)
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert line.startswith("error: --test-to 'notanaddress'") and "journalists.csv" not in line
    assert not any((root / "outbox").rglob("*.vm")), "nothing may be delivered"


@pytest.mark.slow
def test_schedule_checks_the_sender_now_not_at_the_lift(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    proc = pressctl("schedule", "releases/sample.md", "-c", "contacts/journalists.csv", "--from", "x", cwd=root)
    assert proc.returncode == 2
    assert one_error_line(proc).startswith("error: --from 'x'")
    toml = root / "pressctl.toml"
    toml.write_text(
        toml.read_text("utf-8").replace('reply_to = "press@hvsp.example"', 'reply_to = "two@a.example, b@c.example"'),
        "utf-8",
    )
    proc = pressctl("schedule", "releases/sample.md", "-c", "contacts/journalists.csv", cwd=root)
    assert proc.returncode == 2
    assert "sender.reply_to" in one_error_line(proc)
    listed = pressctl("schedule", "list", cwd=root)
    assert "scheduled" not in listed.stdout


@pytest.mark.slow
def test_auth_failure_never_shows_the_password(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    secret = "Tide-Pool-Secret-8842"
    with SmtpTestServer(auth=("press", "the-right-one")) as server:
        url = server.url(user="press")
        for extra in ((), ("--test-to", "me@hvsp.example")):
            proc = pressctl(
                *SEND, "--smtp", url, *extra, cwd=root, env={"PRESSCTL_SMTP_PASSWORD": secret, "PRESSCTL_DEBUG": "1"}
            )
            assert proc.returncode == 1, proc.stderr
            assert "refused the login" in one_error_line(proc)
            assert secret not in proc.stdout + proc.stderr
    for path in (root / ".pressctl").rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes()


@pytest.mark.slow
def test_unreachable_server_is_one_line_and_resumable(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    proc = pressctl(*SEND, "--smtp", "smtp://127.0.0.1:1", cwd=root)
    assert proc.returncode == 1
    assert "cannot connect to 127.0.0.1:1" in one_error_line(proc)
    report = pressctl("report", cwd=root)
    assert "11 pending" in report.stdout and "sent" not in report.stdout.splitlines()[-1]


@pytest.mark.slow
def test_lists_that_select_nobody_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    (root / "header.csv").write_text("email,name\n", "utf-8")
    (root / "allbad.csv").write_text("email,name\nnot-an-address,A\nalso bad,B\n", "utf-8")
    for name, counts in (("header.csv", "0 row(s)"), ("allbad.csv", "2 invalid")):
        proc = pressctl("send", "releases/sample.md", "-c", name, "--under-embargo", "--yes", cwd=root)
        assert proc.returncode == 2
        line = one_error_line(proc)
        assert line.startswith(f"error: {name}: nobody to send to") and counts in line
        sched = pressctl("schedule", "releases/sample.md", "-c", name, cwd=root)
        assert sched.returncode == 2
        assert "nobody to send to" in one_error_line(sched)
    assert not (root / ".pressctl" / "ledger.sqlite3").exists() or _campaigns(root) == 0
    assert not any((root / ".pressctl").glob("jobs/sample-*"))


@pytest.mark.slow
def test_toml_table_names_survive_in_error_lines(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    toml = root / "pressctl.toml"
    toml.write_text(
        toml.read_text("utf-8").replace("en = 'Dear {{ first_name or \"editor\" }},'", "en = 'Dear {{ first_name or }},'"),
        "utf-8",
    )
    line_no = next(i for i, line in enumerate(toml.read_text("utf-8").splitlines(), 1) if line.startswith("en = "))
    proc = pressctl("send", "releases/sample.md", "-c", "contacts/journalists.csv", "--dry-run", cwd=root)
    assert proc.returncode == 2
    assert f"pressctl.toml:{line_no}: merge field {{{{ first_name or }}}} is not valid" in one_error_line(proc)
    # An error naming a TOML table keeps the brackets (rich markup used to swallow "[smtp]").
    fixed = toml.read_text("utf-8").replace("{{ first_name or }}", "{{ first_name or \"editor\" }}")
    toml.write_text(fixed.replace("# [smtp]\n# url = ", "[smtp]\nurl = \"ftp://x\"\n# url = "), "utf-8")
    proc = pressctl(*SEND, cwd=root)
    assert proc.returncode == 2
    assert "[smtp] url" in one_error_line(proc)


@pytest.mark.slow
def test_test_copies_honour_suppression(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    assert pressctl("suppress", "add", "unsubscribed.editor@metroweekly.test", cwd=root).returncode == 0
    proc = pressctl(
        *SEND, "--test-to", "me@hvsp.example", "--test-to", "Unsubscribed.Editor@metroweekly.test", cwd=root
    )
    assert proc.returncode == 2
    assert "is on a suppression list; nothing was sent" in one_error_line(proc)
    assert not any((root / "outbox").rglob("*.vm")), "not even the first address gets a copy"
    ok = pressctl(*SEND, "--test-to", "me@hvsp.example", cwd=root)
    assert ok.returncode == 0, ok.stderr
    assert len(list((root / "outbox").rglob("*.vm"))) == 2  # one per language
