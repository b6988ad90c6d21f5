"""Helpers for the QA regression tests: a fresh workspace, and running the real command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from wait_support import wait_for

__all__ = ["QA_ENV", "ends", "one_error_line", "pressctl", "workspace"]

QA_ENV = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
QA_ENV.pop("PRESSCTL_SMTP_PASSWORD", None)
QA_ENV.pop("PRESSCTL_DEBUG", None)


def workspace(tmp_path: Path, name: str = "ws") -> Path:
    """A new workspace made by ``pressctl init``'s library call."""
    from pressctl.scaffold import init_workspace

    root = tmp_path / name
    init_workspace(root)
    return root


def pressctl(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a child process (stdout is a pipe, not a terminal)."""
    return subprocess.run(
        [sys.executable, "-c", "from pressctl.cli import main; main()", *args],
        cwd=cwd,
        env={**QA_ENV, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    """The single ``error:`` line on stderr; fails the test if there is a traceback or more than one."""
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def ends(pid: int, timeout: float = 30) -> bool:
    """True once process ``pid`` is gone (or a zombie nobody reaped), waiting up to ``timeout`` seconds.

    A SIGKILL takes effect asynchronously: on a busy machine a killed child can show as running for a
    moment; one that was never killed (a ``sleep 300``) makes this False."""

    def alive() -> bool:
        try:
            os.kill(pid, 0)
            return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
        except (ProcessLookupError, FileNotFoundError):
            return False

    return wait_for(lambda: not alive(), timeout)
