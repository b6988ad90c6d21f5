"""The ``pressctl`` command: a thin typer shell over the library. Only this package prints."""

from __future__ import annotations

import typer

from pressctl import __version__
from pressctl.cli._commands import LazyGroup

__all__ = ["app", "main"]

def _plain_metavars() -> None:
    """Help shows what to type, not Python types: no value for a flag (typer 0.2x printed ``<bool>``),
    ``FILE``, ``TEXT``, ``N`` for others, and ``...`` where an option may be repeated."""
    from typer import core

    def display(self: core.TyperOption, ctx: object) -> str | None:
        if self.metavar is not None:
            return str(self.metavar)
        if self.is_flag or self.count:
            return None
        label = str(self.display_type(ctx)).strip("<>")  # type: ignore[arg-type]
        repeat = label.startswith("list[")
        label = label.removeprefix("list[").removesuffix("]")
        word = {"Path": "FILE", "str": "TEXT", "int": "N", "float": "NUMBER"}.get(label, label.upper())
        return word + ("..." if repeat else "")

    if hasattr(core, "TyperOption") and hasattr(core.TyperOption, "display_type_rich"):
        core.TyperOption.display_type_rich = display  # type: ignore[method-assign]
    if hasattr(core, "TyperArgument") and hasattr(core.TyperArgument, "display_type_rich"):
        # An argument's name says what it is (RELEASE, FILE...): no "<path>" beside it.
        core.TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]


_plain_metavars()


app = typer.Typer(
    name="pressctl",
    help=(
        "Press releases from one Markdown file: a branded PDF, an HTML email and plain text, "
        "merged with journalist lists and sent once to each, with a ledger of every recipient's fate."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,  # errors are turned into one line by cli._common; no locals, no secrets
    add_completion=False,
    rich_markup_mode="rich",
    cls=LazyGroup,  # a command's module is imported when that command is run (cli/_commands.COMMANDS)
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pressctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Press releases from one Markdown file to every journalist, once, on time."""
    from pressctl.cli._env import Env

    if not isinstance(ctx.obj, Env):  # a test hands its own (CliRunner().invoke(app, args, obj=env))
        ctx.obj = Env.from_process()


def main() -> None:
    """Entry point for the console script: a usage mistake is one line too, like every other error."""
    import sys

    from typer.exceptions import Abort, TyperException

    from pressctl.cli._env import Env, quiet_broken_pipe
    from pressctl.errors import ExitStatus

    env = Env.from_process()
    try:
        code = app(standalone_mode=False, prog_name="pressctl", obj=env)
    except BrokenPipeError:  # `pressctl --help | head`: outside any command's own handling
        quiet_broken_pipe()
    except TyperException as exc:  # usage errors: missing argument, bad option value, unknown command
        ctx = getattr(exc, "ctx", None)
        where = f"{ctx.command_path}: " if ctx is not None else ""
        helper = f" Try '{ctx.command_path} --help'." if ctx is not None else ""
        message = " ".join(exc.format_message().split())
        if message:  # empty after `pressctl` alone: the help was shown, that is the answer
            if not message.endswith((".", "?", "!")):
                message += "."
            env.err.print(f"error: {where}{message}{helper}", markup=False)
        sys.exit(exc.exit_code)  # click's own: 2 for a usage error (ExitStatus.BAD_INPUT)
    except Abort:  # end of input or Ctrl-C at a prompt
        env.err.print("aborted: nothing sent", markup=False)
        sys.exit(ExitStatus.FAILED)
    sys.exit(ExitStatus(code) if isinstance(code, int) else ExitStatus.OK)
