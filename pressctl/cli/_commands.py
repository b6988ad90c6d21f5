"""Which module holds each command (``COMMANDS``, the one table), and the root group that imports a command's
module only when that command is looked up.

``pressctl send …`` imports ``cli/send.py`` and what it needs, not the other seventeen command modules and
their libraries (~0.07 s of start-up each run). ``pressctl --help`` lists every command, so it still imports
them all. A command module keeps its ``register(app)``: it is called on a small typer app of its own, tidied
as before (``cli/_help.tidy_app``), and the click commands it makes are handed to the root group, so every
help text reads exactly as with the eager registration (``tests/test_cli_lazy.py`` compares them all).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

__all__ = ["COMMANDS", "LazyGroup", "load_module"]

# Command name -> its module under pressctl/cli, in the order `pressctl --help` lists them (typer's order:
# the commands, then the groups, each in the order the modules used to be registered).
COMMANDS: dict[str, str] = {
    "init": "init",
    "import": "imports",
    "translate": "translate",
    "check": "check",
    "render": "render",
    "preview": "preview",
    "approve": "approve",
    "approvals": "approve",
    "send": "send",
    "report": "report",
    "campaigns": "report",
    "dispatch": "schedule",
    "bounces": "bounces",
    "publish": "site",
    "unpublish": "site",
    "contacts": "contacts",
    "schedule": "schedule",
    "suppress": "suppress",
    "site": "site",
    "smtp": "smtp",
    "domain": "domain",
    "dkim": "dkim",
    "ledger": "ledger",
}


def load_module(module: str, *, rich_markup_mode: Any = "rich", suggest_commands: bool = True) -> dict[str, Any]:
    """The click commands ``pressctl.cli.<module>`` registers, by name (an internal error if they are not the
    ones ``COMMANDS`` gives it: the table and the modules are kept in step)."""
    from pressctl.cli._help import tidy_app

    registered = typer.Typer(rich_markup_mode=rich_markup_mode, suggest_commands=suggest_commands)
    importlib.import_module(f"pressctl.cli.{module}").register(registered)
    tidy_app(registered)
    commands = dict(typer.main.get_group(registered).commands)
    expected = {name for name, home in COMMANDS.items() if home == module}
    if set(commands) != expected:
        raise RuntimeError(f"pressctl/cli/{module}.py registers {sorted(commands)}, COMMANDS says {sorted(expected)}")
    return commands


class _Commands(MutableMapping[str, Any]):
    """The root group's commands: every name of ``COMMANDS`` (in its order), each module imported on first use."""

    def __init__(self, group: TyperGroup, added: MutableMapping[str, Any]) -> None:
        self._group = group
        self._loaded: dict[str, Any] = dict(added)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded and name in COMMANDS:
            group = self._group
            self._loaded.update(
                load_module(
                    COMMANDS[name], rich_markup_mode=group.rich_markup_mode, suggest_commands=group.suggest_commands
                )
            )
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._loaded if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS) + sum(name not in COMMANDS for name in self._loaded)


class LazyGroup(TyperGroup):
    """typer's group whose ``commands`` load on demand; listing them (help, suggestions) loads them all."""

    def __init__(self, *, commands: Any = None, **attrs: Any) -> None:
        super().__init__(commands=commands, **attrs)
        self.commands = _Commands(self, self.commands)
