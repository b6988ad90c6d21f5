"""What a command may know of the world it runs in, in one object handed to it (as httpie's ``Environment``):
the two consoles, whether a person is at the terminal, the environment variables, the clock and the folder
it was started in. ``Env.from_process()`` is the real one; a test builds its own (``Env.for_test``) and passes
it as ``CliRunner().invoke(app, args, obj=env)``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console

from pressctl.clock import Clock, system_clock
from pressctl.errors import ExitStatus

__all__ = ["Env", "quiet_broken_pipe"]


def quiet_broken_pipe() -> NoReturn:
    """The reader of our output went away (``pressctl report | head``): end quietly, no message.

    Standard output is pointed at /dev/null first, so Python's own flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    raise SystemExit(ExitStatus.BROKEN_PIPE)


class _Console(Console):
    """rich's console, ending like every other command when its reader goes away (see quiet_broken_pipe)."""

    def on_broken_pipe(self) -> None:
        quiet_broken_pipe()


def console(*, stderr: bool = False, **options: Any) -> Console:
    """A console as every command prints: no highlighting of numbers and paths, long lines left whole (a pipe
    or a terminal wraps them). Without ``file`` it writes to whatever ``sys.stdout``/``sys.stderr`` is when it
    prints (a test runner swaps them)."""
    return _Console(stderr=stderr, highlight=False, soft_wrap=True, **options)


def _ask_secret(text: str) -> str:
    import typer

    return str(typer.prompt(text, hide_input=True, err=True, default="", show_default=False))


@dataclass(frozen=True)
class Env:
    """The world of one command. ``out``: its results; ``err``: warnings, progress, questions and errors."""

    out: Console = field(default_factory=console)
    err: Console = field(default_factory=lambda: console(stderr=True))
    stdin_isatty: bool = False
    stdout_isatty: bool = False
    environ: Mapping[str, str] = field(default_factory=dict)
    clock: Clock = system_clock
    cwd: Path = field(default_factory=Path.cwd)
    # Asks for a secret at the terminal (hidden); only called when ``interactive``.
    ask_secret: Callable[[str], str] = _ask_secret

    @classmethod
    def from_process(cls) -> Env:
        """This process's streams, terminal, environment, the wall clock and the current folder."""
        return cls(
            stdin_isatty=sys.stdin.isatty(),
            stdout_isatty=sys.stdout.isatty(),
            environ=os.environ,
            clock=system_clock,
            cwd=Path.cwd(),
        )

    @classmethod
    def for_test(
        cls,
        *,
        clock: Clock = system_clock,
        environ: Mapping[str, str] | None = None,
        width: int = 200,
        interactive: bool = False,
        cwd: Path | None = None,
        answers: Callable[[str], str] | None = None,
    ) -> Env:
        """An environment a test chooses: a clock of its own, the variables it sets (default: this process's),
        consoles ``width`` cells wide that are not terminals, a person at the keyboard or not."""
        return cls(
            out=console(width=width, force_terminal=False),
            err=console(stderr=True, width=width, force_terminal=False),
            stdin_isatty=interactive,
            stdout_isatty=interactive,
            environ=dict(os.environ) if environ is None else environ,
            clock=clock,
            cwd=cwd or Path.cwd(),
            ask_secret=answers or _ask_secret,
        )

    @property
    def interactive(self) -> bool:
        """A person is at the terminal (input and output): questions may be asked, passwords typed."""
        return self.stdin_isatty and self.stdout_isatty

    @property
    def debug(self) -> bool:
        """``PRESSCTL_DEBUG`` set: an internal error shows its traceback."""
        return bool(self.environ.get("PRESSCTL_DEBUG"))
