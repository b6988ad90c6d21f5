"""Run the user's deploy command (``[site] deploy = "rsync -a ./ host:/srv/newsroom/"``) in the site folder.

The command runs through the shell (it is the user's own line from pressctl.toml, like a cron entry), with a
timeout, without pressctl's secrets in its environment (``pressctl.children``); a failure becomes one line:
the exit status (or the timeout) and the last line it wrote to stderr, with anything token-like cut out.
Output is captured, not shown: a deploy tool's progress would mix with pressctl's own.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pressctl.children import child_environment, redact, run_child, withheld
from pressctl.errors import ExitStatus, PressctlError

__all__ = ["DEFAULT_TIMEOUT", "DeployError", "DeployResult", "deploy"]

DEFAULT_TIMEOUT = 60.0  # seconds


class DeployError(PressctlError):
    """The deploy command failed or took too long. Exit status 1: the site folder is written, not deployed."""

    exit_code = ExitStatus.FAILED


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


def deploy(
    command: str,
    site_dir: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    withhold: Iterable[str] = (),
    pass_env: Iterable[str] = (),
) -> DeployResult:
    """Run ``command`` with ``sh -c`` in ``site_dir``; raise ``DeployError`` unless it exits 0 in time.

    ``env`` (default: this process's environment) reaches the command without pressctl's secrets
    (``pressctl.children``: ``withhold`` adds names, ``pass_env`` lets some through). The command gets its
    own process group, so a timeout stops it and everything it started (an rsync over ssh, say), not just
    the shell. What a failure shows of its output is redacted.
    """
    if not command.strip():
        raise DeployError("the deploy command is empty", where="[site] deploy", hint="set a command or remove the key")
    if not site_dir.is_dir():
        raise DeployError(
            "the site folder does not exist", where=str(site_dir), hint="publish a release before deploying"
        )
    source = os.environ if env is None else env
    kept = withheld(source, withhold=withhold, pass_env=pass_env)
    secrets = [source[name] for name in kept]
    more = (
        f"; pressctl kept {', '.join(kept)} from it (name one in [site] pass_env if the command needs it)"
        if kept
        else ""
    )
    try:
        done = run_child(
            command, cwd=site_dir, timeout=timeout, env=child_environment(source, withhold=withhold, pass_env=pass_env)
        )
    except OSError as exc:
        raise DeployError(
            f"the deploy command could not be started ({exc.strerror or type(exc).__name__})", where="[site] deploy"
        ) from None
    stdout = redact(done.stdout.decode("utf-8", "replace"), secrets)
    stderr = redact(done.stderr.decode("utf-8", "replace"), secrets)
    if done.timed_out:
        last = _last_line(stderr)
        raise DeployError(
            f"the deploy command did not finish within {timeout:g} s and was stopped"
            + (f" (last error output: {last})" if last else ""),
            where="[site] deploy",
            hint="check the command by hand in the site folder, or raise [site] deploy_timeout" + more,
        )
    if done.returncode != 0:
        last = _last_line(stderr) or _last_line(stdout)
        status = (
            f"was stopped by signal {-done.returncode}" if done.returncode < 0 else f"exited with status {done.returncode}"
        )
        raise DeployError(
            f"the deploy command {status}" + (f": {last}" if last else ""),
            where="[site] deploy",
            hint="run it by hand in the site folder to see all of its output" + more,
        )
    return DeployResult(command=command, returncode=done.returncode, stdout=stdout, stderr=stderr)
