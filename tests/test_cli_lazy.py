"""Start-up (issue 19, second pass): a command's module is imported when that command runs
(``cli/_commands.LazyGroup``), and nobody can tell from the help: every ``--help``, the command list, the
usage errors read exactly as with every module registered up front."""

from __future__ import annotations

import copy
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

import pressctl.cli
from pressctl.cli import app
from pressctl.cli._commands import COMMANDS, load_module
from pressctl.cli._help import tidy_app
from tests.qa_support import QA_ENV
from tests.qa_support import workspace as qa_workspace

runner = CliRunner()
CLI = Path(pressctl.cli.__file__).parent


# The order the modules were registered in before (cli/__init__.py up to this change).
EAGER_ORDER = (
    "init", "imports", "translate", "check", "render", "preview", "approve", "contacts", "send", "report", "schedule",
    "suppress", "bounces", "site", "smtp", "domain", "dkim", "ledger",
)


def _eager_app() -> typer.Typer:
    """The root app as it was built before: the same settings and callback, every module registered at once."""
    eager = copy.copy(app)
    eager.info = copy.copy(app.info)
    eager.info.cls = TyperGroup
    eager.registered_commands = []
    eager.registered_groups = []
    for module in EAGER_ORDER:
        importlib.import_module(f"pressctl.cli.{module}").register(eager)
    tidy_app(eager)
    return eager


def _paths(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _paths(sub, (*path, name))


def _run(which: typer.Typer, args: list[str]) -> tuple[int, str]:
    result = runner.invoke(which, args, env={"COLUMNS": "80"})
    return result.exit_code, result.output


def test_every_help_reads_as_with_the_eager_registration() -> None:
    eager = _eager_app()
    paths = list(_paths(typer.main.get_command(eager)))
    assert len(paths) >= 30  # the root, 23 commands and groups, their subcommands
    for path in paths:
        assert _run(app, [*path, "--help"]) == _run(eager, [*path, "--help"]), path
    # The list's order, no arguments at all, a mistyped command and its suggestion, a group without its command.
    for args in ([], ["sendd"], ["schedul"], ["contacts"], ["contacts", "chek"], ["send"], ["--version"]):
        assert _run(app, args) == _run(eager, args), args


def test_the_table_names_every_command_module_and_each_registers_what_it_says() -> None:
    modules = sorted(p.stem for p in CLI.glob("*.py") if "\ndef register(" in p.read_text(encoding="utf-8"))
    assert sorted(set(COMMANDS.values())) == modules == sorted(EAGER_ORDER)
    for module in modules:
        assert sorted(load_module(module)) == sorted(n for n, home in COMMANDS.items() if home == module)


def test_a_module_out_of_step_with_the_table_is_an_error_not_a_missing_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(COMMANDS, "campaigns", "send")  # the table says send.py registers it; it does not
    with pytest.raises(RuntimeError, match="COMMANDS says"):
        load_module("send")


# Libraries a dry run of a CSV list with a cached-or-linked PDF has no use for: DNS (the sending domain is a
# name kept for examples, so nothing is asked), the SMTP client, WeasyPrint (the PDF renders in a child
# process), spreadsheets and Word. Each used to cost start-up on every command, or would if moved back up.
NOT_IN_A_DRY_RUN = ("dns", "aiosmtplib", "weasyprint", "openpyxl", "mammoth", "docx", "watchfiles", "psycopg", "cryptography")


def _modules_after(args: list[str], cwd: Path, tmp_path: Path) -> set[str]:
    """The modules a real ``pressctl ARGS`` process had loaded when it ended (exit status 0 asserted)."""
    out = tmp_path / "modules.txt"
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(out)!r}, 'w').write('\\n'.join(sys.modules)))\n"
        "from pressctl.cli import main\n"
        "main()\n"
    )
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=QA_ENV, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return set(out.read_text(encoding="utf-8").split())


def test_a_dry_run_imports_its_own_command_module_and_none_of_the_others(tmp_path: Path) -> None:
    ws = qa_workspace(tmp_path)
    loaded = _modules_after(["send", "releases/sample.md", "-c", "contacts/journalists.csv", "--dry-run"], ws, tmp_path)
    commands = {f"pressctl.cli.{m}" for m in COMMANDS.values()}
    assert loaded & commands == {"pressctl.cli.send"}
    heavy = {m.split(".")[0] for m in loaded} & set(NOT_IN_A_DRY_RUN)
    assert not heavy, heavy
    # The command list costs nothing until it is asked for: importing the CLI loads no command module.
    helped = _modules_after(["--version"], ws, tmp_path)
    assert not helped & commands
