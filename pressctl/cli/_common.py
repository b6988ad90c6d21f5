"""What every command shares: the consoles, and turning errors into one clear line and an exit status."""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console

from pressctl.controls import printable
from pressctl.errors import PressctlError, internal_origin

__all__ = [
    "err",
    "handle_errors",
    "known_failure",
    "out",
    "plain_table",
    "print_table",
    "quiet_broken_pipe",
    "workspace_for",
]

BROKEN_PIPE_EXIT = 141  # 128 + SIGPIPE, as `yes | head` ends: quiet, and visible to `set -o pipefail`


def quiet_broken_pipe() -> NoReturn:
    """The reader of our output went away (``pressctl report | head``): end quietly, no message.

    Standard output is pointed at /dev/null first, so Python's own flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    raise SystemExit(BROKEN_PIPE_EXIT)


class _Console(Console):
    """rich's console, ending like every other command when its reader goes away (see quiet_broken_pipe)."""

    def on_broken_pipe(self) -> None:
        quiet_broken_pipe()


out = _Console(highlight=False, soft_wrap=True)
err = _Console(stderr=True, highlight=False, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a command; a PressctlError becomes one red line and its exit status, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except PressctlError as exc:
            # Escaped: error text names TOML tables ("[smtp] url", "[email.greeting]") that rich would eat as markup.
            err.print(f"[red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("[yellow]interrupted[/]")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:
            quiet_broken_pipe()
        except Exception as exc:
            if os.environ.get("PRESSCTL_DEBUG"):
                raise
            line = known_failure(exc)
            if line:
                err.print(f"[red]error:[/] {escape(line)}", markup=True, highlight=False)
                raise typer.Exit(2) from None
            # Only the exception's type and where: its text could carry a secret or a whole message.
            err.print(
                f"[red]internal error:[/] {escape(internal_origin(exc))}. Nothing more was done; "
                "run again with PRESSCTL_DEBUG=1 to see where, and report it.",
            )
            raise typer.Exit(70) from None

    return wrapper


def known_failure(exc: BaseException) -> str:
    """One line for an exception that is the input's fault rather than pressctl's, or ""."""
    from pressctl.ledger.connection import StoreError

    if isinstance(exc, StoreError):
        # A ledger with the wrong tables (another program's database, an edit by hand) or damaged after
        # it was opened: the question is which file, not where in pressctl.
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        return (
            f"the ledger cannot be used ({reason}): it is not a ledger of this pressctl, or it is damaged. "
            "Check --db (default: .pressctl/ledger.sqlite3), restore the file from a backup, or give a new file "
            "with --db"
        )
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"no space left to write {exc.filename or 'the output'} ({exc.strerror}). Free some space and run it again"
    if isinstance(exc, OverflowError) and "SQLite INTEGER" in str(exc):
        # A number typed on the command line (a campaign, a row) looked up in the ledger: beyond 64 bits.
        return "a number given is too large to be a campaign or a row of the ledger. Check the numbers you typed"
    return ""


def workspace_for(path: Path | None = None, config: Path | None = None) -> Any:
    """The workspace that holds ``path`` (a release file), else the one around the current folder."""
    from pressctl.config import find_config, load_workspace

    if config is not None:
        return load_workspace(config=config)
    if path is not None:
        start = Path(path).resolve().parent
        if find_config(start) is not None:
            return load_workspace(start)
    return load_workspace(Path.cwd())


# A relay reply, a file name or a contact cell may carry control characters (ESC, CR, BEL, C1) and bidi
# overrides: printed raw they could recolour, rewrite or hide lines of the terminal. ``printable`` (in
# controls.py, with the other policies for those characters) shows them as escapes; tabs and newlines stay.


def escape(text: object) -> str:
    """Text safe to print through rich markup, control characters made visible (see ``printable``)."""
    from rich.markup import escape as _escape

    return _escape(printable(text))


def is_tty() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A rich table on a terminal; plain aligned columns, one line per row, when piped or redirected.

    Piped output has no width to fit, and a table folded into 80 columns is unreadable in ``less`` or grep.
    """
    if out.is_terminal:
        from rich.table import Table

        table = Table(show_edge=False, pad_edge=False)
        for col in headers:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(escape(cell) for cell in row))
        out.print(table)
        return
    sys.stdout.write("".join(line + "\n" for line in plain_table(headers, rows)))


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of columns padded to their widest cell (counting wide CJK characters as two), no trailing spaces."""
    from rich.cells import cell_len

    # A line break in a cell (a multi-line SMTP reply) would split the row: keep one row per line.
    cells = [tuple(" ".join(printable(c).split()) or "-" for c in row) for row in [headers, *rows]]
    widths = [max(cell_len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        padded = [c + " " * (w - cell_len(c)) for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(padded).rstrip())
    return lines
