"""A manual ``pressctl send`` and ``pressctl dispatch --watch`` sending the same release's job at once: one
sender at a time (the other waits, or refuses in one line), nobody twice, and the job is not failed for it."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest
from send_support import PRESSCTL, run_cli
from smtp_server import SmtpTestServer
from wait_support import wait_for

from pressctl.scaffold import init_workspace

COUNT = 40


def _setup(tmp_path: Path) -> tuple[Path, Path, Path]:
    ws = tmp_path / "ws"
    init_workspace(ws)
    release = ws / "releases" / "sample.md"
    text = release.read_text(encoding="utf-8")
    release.write_text(text.replace("embargo: 2030-03-12T10:00:00+08:00\n", ""), encoding="utf-8")
    contacts = ws / "list.csv"
    rows = ["email,first_name,outlet"] + [f"desk{i:02d}@wire.example,Reporter {i},Test Wire" for i in range(COUNT)]
    contacts.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return ws, release, contacts


def _popen(ws: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*PRESSCTL, *args], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _job_state(ws: Path, job: str) -> str:
    listed = run_cli(["schedule", "list"], cwd=ws).stdout
    return next((line for line in listed.splitlines() if job in line), "")


@pytest.mark.slow
def test_the_dispatcher_waits_for_a_manual_send_of_the_release_and_the_job_is_done(tmp_path: Path) -> None:
    ws, release, contacts = _setup(tmp_path)
    with SmtpTestServer() as server:
        manual = _popen(
            ws, "send", str(release), "-c", str(contacts), "--smtp", server.url(), "--yes", "--rate", "3/s"
        )
        watcher: subprocess.Popen[str] | None = None
        try:
            assert wait_for(lambda: len(server.messages) >= 3, 60), "the manual send did not start"
            scheduled = run_cli(
                ["schedule", str(release), "-c", str(contacts), "--smtp", server.url(), "--at", "+2s"], cwd=ws
            )
            assert scheduled.returncode == 0, scheduled.stderr
            job = scheduled.stdout.split()[-1]
            watcher = _popen(ws, "dispatch", "--watch")
            out, err = manual.communicate(timeout=120)
            assert manual.returncode == 0, out + err
            assert wait_for(lambda: "done" in _job_state(ws, job), 60), _job_state(ws, job)
        finally:
            manual.kill()
            if watcher is not None:
                watcher.terminate()
                watcher.communicate(timeout=30)
        received = Counter(m.rcpt for m in server.messages)
    assert len(received) == COUNT and set(received.values()) == {1}  # nobody twice (30 were before)
    assert "failed" not in _job_state(ws, job)


@pytest.mark.slow
def test_a_manual_send_while_the_dispatcher_sends_the_job_exits_1_naming_it(tmp_path: Path) -> None:
    ws, release, contacts = _setup(tmp_path)
    with SmtpTestServer() as server:
        scheduled = run_cli(
            ["schedule", str(release), "-c", str(contacts), "--smtp", server.url(), "--at", "+1s", "--rate", "2/s"],
            cwd=ws,
        )
        assert scheduled.returncode == 0, scheduled.stderr
        job = scheduled.stdout.split()[-1]
        watcher = _popen(ws, "dispatch", "--watch")
        try:
            assert wait_for(lambda: len(server.messages) >= 3, 60), "the job did not start"
            manual = run_cli(["send", str(release), "-c", str(contacts), "--smtp", server.url(), "--yes"], cwd=ws)
            assert wait_for(lambda: "done" in _job_state(ws, job), 60), _job_state(ws, job)
        finally:
            watcher.terminate()
            watcher.communicate(timeout=30)
        received = Counter(m.rcpt for m in server.messages)
    assert manual.returncode == 1, manual.stdout + manual.stderr
    line = manual.stderr.strip()
    assert "Traceback" not in line and len(line.splitlines()) == 1 and "pressctl dispatch" in line and "pressctl report" in line
    assert len(received) == COUNT and set(received.values()) == {1}
