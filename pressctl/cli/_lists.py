"""``-c a.csv b.xlsx``: several contact lists after one ``-c``, the same in ``send``, ``schedule`` and
``contacts check`` (``-c a.csv -c b.xlsx`` keeps working).

Click gives an option one value per occurrence. :class:`ListOptionCommand` spreads the words after a list
option over occurrences of it before click parses (``-c a.csv b.xlsx`` -> ``-c a.csv -c b.xlsx``): every
word up to the next option belongs to the list. When that leaves a command without its required argument
(``send -c a.csv releases/launch.md``), the last words taken go back to being the arguments, so every order
that worked before still does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from typer.core import TyperCommand

__all__ = ["LIST_HELP", "ListOptionCommand", "spread"]

LIST_HELP = "several after one -c (-c a.csv b.xlsx), or -c repeated"


def spread(args: Sequence[str], params: Sequence[Any], names: Sequence[str] = ("-c", "--contacts")) -> list[str]:
    """``args`` with every word after a list option in ``names`` (up to the next option) given to it.
    ``params``: the command's click parameters (which options take a value; how many arguments it needs)."""
    takes_value: dict[str, bool] = {}
    for param in params:
        if param.param_type_name == "option":
            for opt in (*param.opts, *param.secondary_opts):
                takes_value[opt] = not (param.is_flag or param.count)
    wanted = sum(1 for p in params if p.param_type_name == "argument" and p.required and p.nargs == 1)
    out: list[str | list[str]] = []
    positional = 0
    groups: list[list[str]] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            out.extend(args[i:])
            positional += len(args) - i - 1
            break
        name, eq, _ = word.partition("=") if word.startswith("--") else (word, "", "")
        attached = not word.startswith("--") and word[:2] in names and len(word) > 2  # -cfile.csv
        if name in names or attached:
            if eq or attached:
                out.append(word)
                i += 1
            elif i + 1 < len(args):
                out += [word, args[i + 1]]
                i += 2
            else:
                out.append(word)  # click says the value is missing
                i += 1
                continue
            extras: list[str] = []
            while i < len(args) and not (args[i].startswith("-") and args[i] != "-"):
                extras.append(args[i])
                i += 1
            groups.append(extras)
            out.append(extras)
            continue
        out.append(word)
        if word.startswith("-") and word != "-":
            if takes_value.get(name, False) and not eq and i + 1 < len(args):
                out.append(args[i + 1])
                i += 1
        else:
            positional += 1
        i += 1
    back: list[str] = []
    for extras in reversed(groups):  # the command's arguments, taken by a list: give them back, in order
        while positional + len(back) < wanted and extras:
            back.insert(0, extras.pop())
    flat: list[str] = []
    for item in out:
        if isinstance(item, list):
            for value in item:
                flat += [names[0], value]
        else:
            flat.append(item)
    return flat + back


class ListOptionCommand(TyperCommand):
    """A typer command whose ``-c/--contacts`` takes several values after one flag (see :func:`spread`)."""

    list_options: ClassVar[tuple[str, ...]] = ("-c", "--contacts")

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            args = spread(args, self.get_params(ctx), self.list_options)
        result: list[str] = super().parse_args(ctx, args)
        return result
