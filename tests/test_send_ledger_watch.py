"""The ledger is watched: a real ``pressctl send`` stops when its ledger is deleted, or when the disk fills."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from send_support import PRESSCTL, make_workspace, write_contacts, write_release
from smtp_server import SmtpTestServer
from wait_support import wait_for


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


@pytest.mark.slow
def test_deleting_the_ledger_mid_run_stops_the_send_and_says_so(ws: Path) -> None:
    release = write_release(ws)
    count = 40
    lists = write_contacts(ws / "contacts" / "list.csv", count)
    ledger = ws / ".pressctl" / "ledger.sqlite3"
    with SmtpTestServer() as server:
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--rate", "10/s"]
        proc = subprocess.Popen([*PRESSCTL, *args], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: len(server.messages) >= 4 or proc.poll() is not None, 60, every=0.02)
        for suffix in ("", "-wal", "-shm"):
            Path(str(ledger) + suffix).unlink(missing_ok=True)
        stdout, stderr = proc.communicate(timeout=60)
        delivered = len(server.messages)
    assert proc.returncode == 1, stdout + stderr
    line = stderr.strip().splitlines()[-1]
    assert "the ledger was deleted while sending" in line and "handed over" in line and str(ledger) in line
    assert "Traceback" not in stderr
    assert delivered < count  # it stopped instead of finishing without a record ("40 sent" before)
    assert "40 sent" not in stdout


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="mounting a tmpfs needs root (CI runs as root)")
def test_a_full_disk_stops_cleanly_saying_how_many_were_handed_over(ws: Path) -> None:
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    state = ws / ".pressctl"
    state.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(state)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        release = write_release(ws)
        count = 1500
        lists = write_contacts(ws / "contacts" / "list.csv", count)
        with SmtpTestServer() as server:
            args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"]
            done = subprocess.run([*PRESSCTL, *args], cwd=ws, capture_output=True, text=True, timeout=300)
            delivered = len(server.messages)
    finally:
        subprocess.run(["umount", "-l", str(state)], check=False)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert 0 < delivered < count
    assert done.returncode == 1, done.stdout + done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert "the disk is full" in line and "message(s) had been handed over" in line
    assert "run the same command again" in line and "resumes" in line
    handed = int(line.split(" message(s) had been handed over")[0].rsplit("(", 1)[1])
    assert delivered <= handed <= delivered + 4  # at most the messages in flight were not delivered
