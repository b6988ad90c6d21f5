"""Run the user's deploy command (``[site] deploy = "rsync -a ./ host:/srv/newsroom/"``) in the site folder.

The command runs through the shell (it is the user's own line from pressctl.toml, like a cron entry), with a
timeout; a failure becomes one line: the exit status (or the timeout) and the last line it wrote to stderr.
Output is captured, not shown: a deploy tool's progress would mix with pressctl's own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pressctl.errors import PressctlError

__all__ = ["DEFAULT_TIMEOUT", "DeployError", "DeployResult", "deploy"]

DEFAULT_TIMEOUT = 60.0  # seconds


class DeployError(PressctlError):
    """The deploy command failed or took too long. Exit status 1: the site folder is written, not deployed."""

    exit_code = 1


@dataclass(frozen=True)
class DeployResult:
    command: str
    returncode: int
    stdout: str
    stderr: str


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[-1] if lines else ""
    return line if len(line) <= 300 else line[:297] + "..."


def deploy(command: str, site_dir: Path, *, timeout: float = DEFAULT_TIMEOUT, env: dict[str, str] | None = None) -> DeployResult:
    """Run ``command`` with ``sh -c`` in ``site_dir``; raise ``DeployError`` unless it exits 0 in time.

    The command gets its own process group, so a timeout stops it and everything it started (an rsync
    over ssh, say), not just the shell.
    """
    if not command.strip():
        raise DeployError("the deploy command is empty", where="[site] deploy", hint="set a command or remove the key")
    if not site_dir.is_dir():
        raise DeployError(
            "the site folder does not exist", where=str(site_dir), hint="publish a release before deploying"
        )
    proc = subprocess.Popen(
        ["/bin/sh", "-c", command],
        cwd=site_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        last = _last_line(err.decode("utf-8", "replace"))
        raise DeployError(
            f"the deploy command did not finish within {timeout:g} s and was stopped"
            + (f" (last error output: {last})" if last else ""),
            where="[site] deploy",
            hint="check the command by hand in the site folder, or raise [site] deploy_timeout",
        ) from None
    stdout, stderr = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    if proc.returncode != 0:
        last = _last_line(stderr) or _last_line(stdout)
        status = (
            f"was stopped by signal {-proc.returncode}" if proc.returncode < 0 else f"exited with status {proc.returncode}"
        )
        raise DeployError(
            f"the deploy command {status}" + (f": {last}" if last else ""),
            where="[site] deploy",
            hint="run it by hand in the site folder to see all of its output",
        )
    return DeployResult(command=command, returncode=proc.returncode, stdout=stdout, stderr=stderr)
