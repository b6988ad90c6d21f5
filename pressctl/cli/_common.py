"""What every command shares: the :class:`Env` it is handed, turning errors into one clear line and an exit
status (``@command``), tables, and finding the workspace."""

from __future__ import annotations

import errno
import functools
import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import typer

from pressctl.cli._env import Env, quiet_broken_pipe
from pressctl.controls import printable
from pressctl.errors import ExitStatus, PressctlError, internal_origin

if TYPE_CHECKING:
    from pressctl.config import Workspace

__all__ = [
    "command",
    "env_of",
    "escape",
    "exit_with",
    "known_failure",
    "plain_table",
    "print_table",
    "warn",
    "workspace_for",
]

P = ParamSpec("P")
R = TypeVar("R")


def env_of(ctx: object) -> Env:
    """The Env of a command's context (the root context's ``obj``; made from this process if none)."""
    find_root = getattr(ctx, "find_root", None)  # typer's Context, or the click Context it runs on
    root = find_root() if callable(find_root) else None
    if root is not None and isinstance(root.obj, Env):
        return root.obj
    env = Env.from_process()
    if root is not None:
        root.obj = env
    return env


def exit_with(status: ExitStatus) -> typer.Exit:
    """The exception that ends a command with ``status``: ``raise exit_with(ExitStatus.FAILED)``."""
    return typer.Exit(int(status))


_CTX = "_pressctl_context"  # the hidden parameter typer fills with the command's context


def command(fn: Callable[Concatenate[Env, P], R]) -> Callable[P, R]:
    """A command handed its :class:`Env` as first argument; a PressctlError becomes one red line and its exit
    status, never a traceback. Typer sees the options after ``env`` (and the context, which it fills)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        env = env_of(kwargs.pop(_CTX, None))
        try:
            return fn(env, *args, **kwargs)
        except PressctlError as exc:
            # Escaped: error text names TOML tables ("[smtp] url", "[email.greeting]") that rich would eat as markup.
            env.err.print(f"[red]error:[/] {escape(str(exc))}", markup=True, highlight=False)
            raise exit_with(exc.exit_code) from None
        except KeyboardInterrupt:
            env.err.print("[yellow]interrupted[/]")
            raise exit_with(ExitStatus.INTERRUPTED) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except BrokenPipeError:
            quiet_broken_pipe()
        except Exception as exc:
            if env.debug:
                raise
            line = known_failure(exc)
            if line:
                env.err.print(f"[red]error:[/] {escape(line)}", markup=True, highlight=False)
                raise exit_with(ExitStatus.BAD_INPUT) from None
            # Only the exception's type and where: its text could carry a secret or a whole message.
            env.err.print(
                f"[red]internal error:[/] {escape(internal_origin(exc))}. Nothing more was done; "
                "run again with PRESSCTL_DEBUG=1 to see where, and report it.",
            )
            raise exit_with(ExitStatus.INTERNAL) from None

    signature = inspect.signature(fn, eval_str=True)
    context = inspect.Parameter(_CTX, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*list(signature.parameters.values())[1:], context]
    )
    return wrapper


def known_failure(exc: BaseException) -> str:
    """One line for an exception that is the input's fault rather than pressctl's, or ""."""
    from pressctl.ledger.connection import StoreError, StoreLost

    if isinstance(exc, StoreLost):  # the server went away: what was written is kept
        reason = " ".join(str(exc).split())[:200]
        return f"{reason}. Check the database server, then run the same command again: it resumes where it stopped"
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


def workspace_for(env: Env, path: Path | None = None, config: Path | None = None) -> Workspace:
    """The workspace that holds ``path`` (a release file), else the one around the folder ``env`` started in."""
    from pressctl.config import find_config, load_workspace

    if config is not None:
        return load_workspace(config=config)
    if path is not None:
        start = Path(path).resolve().parent
        if find_config(start) is not None:
            return load_workspace(start)
    return load_workspace(env.cwd)


# A relay reply, a file name or a contact cell may carry control characters (ESC, CR, BEL, C1) and bidi
# overrides: printed raw they could recolour, rewrite or hide lines of the terminal. ``printable`` (in
# controls.py, with the other policies for those characters) shows them as escapes; tabs and newlines stay.


def escape(text: object) -> str:
    """Text safe to print through rich markup, control characters made visible (see ``printable``)."""
    from rich.markup import escape as _escape

    return _escape(printable(text))


def warn(env: Env, line: str) -> None:
    """A warning on the error console: ``warning: LINE``."""
    env.err.print(f"[yellow]warning:[/] {escape(line)}")


def print_table(env: Env, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A rich table on a terminal; plain aligned columns, one line per row, when piped or redirected.

    Piped output has no width to fit, and a table folded into 80 columns is unreadable in ``less`` or grep.
    """
    if env.out.is_terminal:
        from rich.table import Table

        table = Table(show_edge=False, pad_edge=False)
        for col in headers:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*(escape(cell) for cell in row))
        env.out.print(table)
        return
    env.out.file.write("".join(line + "\n" for line in plain_table(headers, rows)))


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
