"""Commands pressctl runs for the user (``[site] deploy``, ``oauth_token_command``), the tools it uses and its
own worker processes (:func:`spawn_worker`): least privilege.

* **The environment without pressctl's secrets.** A child gets pressctl's environment minus every variable
  that holds a secret of pressctl's: ``PRESSCTL_*`` names with PASSWORD, SECRET or KEY in them, any name with
  TOKEN in it, and the variables the configuration names as relays' and mailboxes' ``password_env``, unless the
  configuration names it in ``pass_env`` (a deploy tool that needs ``GITHUB_TOKEN``). A deploy script has no
  business with the SMTP password the dispatcher holds.
* **Its own process group**, so a timeout stops the command and everything it started (an rsync over ssh,
  a token helper's browser), not only the shell.
* **Its output read, never shown raw**: what a failure shows of its standard error goes through
  :func:`redact` (the withheld values, bearer tokens, JWTs, ``password=...``, a URL's user:password, long
  runs of token characters).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["ChildResult", "Worker", "child_environment", "redact", "run_child", "run_tool", "spawn_worker", "withheld"]

_PRESSCTL_SECRET = re.compile(r"^PRESSCTL_.*(?:PASSWORD|PASSWD|SECRET|KEY)", re.IGNORECASE)
_ANY_TOKEN = re.compile(r"TOKEN", re.IGNORECASE)
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL for a command that overran its time


def withheld(
    environ: Mapping[str, str], *, withhold: Iterable[str] = (), pass_env: Iterable[str] = ()
) -> list[str]:
    """The names of ``environ`` a child does not get (sorted)."""
    named = set(withhold)
    passed = set(pass_env)
    return sorted(
        name
        for name in environ
        if name not in passed and (name in named or _PRESSCTL_SECRET.search(name) or _ANY_TOKEN.search(name))
    )


def child_environment(
    environ: Mapping[str, str] | None = None, *, withhold: Iterable[str] = (), pass_env: Iterable[str] = ()
) -> dict[str, str]:
    """``environ`` (default: this process's) without the secrets :func:`withheld` names."""
    source = os.environ if environ is None else environ
    kept = set(withheld(source, withhold=withhold, pass_env=pass_env))
    return {name: value for name, value in source.items() if name not in kept}


_TOKENISH = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [redacted]"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.?[A-Za-z0-9_-]*"), "[redacted]"),
    (re.compile(r"(?i)\b([\w-]*(?:password|passwd|secret|token|apikey|api_key)[\w-]*)\s*([=:])\s*\S+"), r"\1\2[redacted]"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), r"\1[redacted]@"),
    (re.compile(r"(?<![\w/.-])(?=[A-Za-z0-9_-]*\d)(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{32,}(?![\w/.-])"), "[redacted]"),
]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the ``secrets`` given (4 characters or more) and anything token-like cut out."""
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    for pattern, replacement in _TOKENISH:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class ChildResult:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool = False


def run_child(
    command: str, *, timeout: float, env: Mapping[str, str], cwd: Path | None = None
) -> ChildResult:
    """Run ``command`` with ``/bin/sh -c`` in its own process group, standard input closed, output captured.

    After ``timeout`` seconds the whole group gets SIGTERM, then SIGKILL ``KILL_GRACE`` seconds later; the
    result says ``timed_out``. ``OSError`` (no shell, a missing ``cwd``) is the caller's to word.
    """
    return _run(["/bin/sh", "-c", command], timeout=timeout, env=env, cwd=cwd)


def run_tool(
    argv: list[str], *, timeout: float, stdin: bytes | None = None, env: Mapping[str, str] | None = None
) -> ChildResult:
    """Run a local tool pressctl itself needs (``pdftoppm``, ``spamassassin``: no shell, ``argv[0]`` a path)
    as :func:`run_child` runs the user's commands, with the environment without pressctl's secrets (``env``:
    one already made so). ``stdin``: bytes written to its standard input. ``OSError`` (no such program) is
    the caller's to word."""
    return _run(argv, timeout=timeout, env=env if env is not None else child_environment(), stdin=stdin)


class Worker:
    """A process of pressctl's own that works beside this one (:func:`spawn_worker`): its standard input and
    output are pipes this process holds; it ends when its input does."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = proc

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def stdin(self) -> IO[bytes]:
        assert self._proc.stdin is not None
        return self._proc.stdin

    @property
    def stdout(self) -> IO[bytes]:
        assert self._proc.stdout is not None
        return self._proc.stdout

    def kill(self) -> None:
        """Stop it now (it is stuck): SIGKILL, not waited for here (:meth:`end` reaps it)."""
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()

    def end(self, grace: float = KILL_GRACE) -> None:
        """Close its pipes and end it: SIGTERM (a worker keeps nothing to save once its caller stops
        reading; waiting for it to notice its input ended cost a send ~15 ms of polling), then SIGKILL after
        ``grace`` seconds."""
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()
        with contextlib.suppress(ProcessLookupError):
            self._proc.terminate()
        try:
            self._proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


# What a worker of pressctl's own gets of the environment: only what Python needs to start and find pressctl.
_WORKER_ENV = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "SYSTEMROOT")


def spawn_worker(module: str) -> Worker | None:
    """``module`` of pressctl's run by this interpreter (``python -P -m``: nothing from the current folder on
    its path), with pipes to its standard input and output, its errors not shown, in a process group of its
    own (a Ctrl-C at the terminal is this process's to handle) but the same session (the scheduler weighs it
    with this process, so a worker that lowers its priority yields to it). Its environment holds only the
    few variables ``_WORKER_ENV`` names: no password or token can reach it, whatever the variable's name.
    None when it cannot start (the caller then does the work itself)."""
    if not module.startswith("pressctl.") or not sys.executable:
        return None
    try:
        proc = subprocess.Popen(
            [sys.executable, "-P", "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={name: os.environ[name] for name in _WORKER_ENV if name in os.environ},
            process_group=0,
        )
    except OSError:
        return None
    return Worker(proc)


def _run(
    argv: list[str], *, timeout: float, env: Mapping[str, str], cwd: Path | None = None, stdin: bytes | None = None
) -> ChildResult:
    """The one way a child runs: its own process group, output captured, the group stopped at ``timeout``."""
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env),
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
        return ChildResult(proc.returncode, out, err)
    except subprocess.TimeoutExpired:
        out, err = _end(proc)
        return ChildResult(proc.returncode, out, err, timed_out=True)
    except BaseException:
        _stop_group(proc.pid, signal.SIGKILL)
        proc.kill()
        proc.wait()
        raise


def _end(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """Stop the command's whole group (SIGTERM, then SIGKILL) and collect what it wrote."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        _stop_group(proc.pid, sig)
        try:
            out, err = proc.communicate(timeout=KILL_GRACE)
            _stop_group(proc.pid, signal.SIGKILL)  # anything of the group the shell left behind
            return out, err
        except subprocess.TimeoutExpired:
            continue
    # A process outside the group (it left it on purpose) holds the pipes open: stop waiting for it.
    proc.kill()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    proc.wait()
    return b"", b""


def _stop_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
