"""Guard (issue 19 point 2): what an SMTP reply means, and what the run does about it, is decided only in
``pressctl/relays/`` (replies.py reads, actions.py's table says what to do, connect.py reads refusals while
connecting). Everywhere else reports a reply or carries out an action. This test reads every other module's
syntax tree and fails on the shapes a second decision takes: an RFC 3463 status written out ("5.1.1"), a reply
code compared with a number (``code >= 500``, ``exc.code != 421``, ``code // 100``), a decision on a rule's
name (``outcome.rule == "message-too-big"``), a branch on the reading's meaning instead of the table's action,
or an import of the reading's internals."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pressctl

ROOT = Path(pressctl.__file__).parent
HOME = ROOT / "relays"
STATUS = re.compile(r"[245]\.\d{1,3}\.\d{1,3}")
#: The reading's internals: only pressctl/relays uses them. (``bounce_class`` and ``BOUNCE_ADVICE`` are the one
#: reading of a DSN's Status that ``pressctl bounces`` asks; ``Reply`` and ``Stage`` are what a transport reports.)
INTERNALS = {
    "Meaning", "RULES", "Rule", "RELAY_SIDE", "DEAD_STATUSES", "classify_reply", "classify_lost", "read_reply",
    "enhanced_status", "TABLE", "Effect",
}


def _modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if HOME not in p.parents)


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _named_code(node: ast.AST) -> bool:
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name == "code" or (name.endswith("_code") and name not in ("exit_code", "returncode"))


def _reply_number(node: ast.AST, source: str) -> bool:
    """A reply code written out: three decimal digits from 200 to 599 (``0x100`` is no reply code)."""
    values = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return any(
        isinstance(v, ast.Constant) and type(v.value) is int
        and re.fullmatch(r"[2-5]\d\d", ast.get_source_segment(source, v) or "") is not None
        for v in values
    )


def _decisions(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT.parent)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if STATUS.fullmatch(node.value.strip()):
                found.append(f"{where}: the status {node.value!r} written out")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_named_code(s) for s in sides) and any(_reply_number(s, source) for s in sides):
                found.append(f"{where}: a reply code compared with a number")
            if any(isinstance(s, ast.Attribute) and s.attr in ("rule", "meaning") for s in sides):
                found.append(f"{where}: a decision on the reading's {next(s.attr for s in sides if isinstance(s, ast.Attribute) and s.attr in ('rule', 'meaning'))}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.FloorDiv) and _named_code(node.left):
            found.append(f"{where}: a reply class computed from a code")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pressctl.relays."):
            names = {alias.name for alias in node.names} & INTERNALS
            if names:
                found.append(f"{where}: imports {', '.join(sorted(names))} (the reading's internals)")
    return found


def test_nothing_outside_relays_decides_what_a_reply_means() -> None:
    found = [line for path in _modules() for line in _decisions(path)]
    assert found == [], "\n".join(found)


def test_the_guard_catches_the_shapes_it_looks_for(tmp_path: Path) -> None:
    # The old transport's own bounce test, the engine's rule-name decision and a 421 special case.
    sample = ROOT / "send" / "_guard_sample.py"
    sample.write_text(
        "from pressctl.relays.replies import Meaning\n"
        "def f(outcome, exc, detail):\n"
        "    if exc.code != 421 and detail in ('5.1.1', '5.1.10'):\n"
        "        return outcome.rule in ('message-too-big',) or outcome.meaning is Meaning.SENT\n"
        "    return exc.code // 100\n",
        encoding="utf-8",
    )
    try:
        found = _decisions(sample)
    finally:
        sample.unlink()
    kinds = " | ".join(found)
    for words in ("imports Meaning", "reply code compared", "'5.1.1' written out", "the reading's rule",
                  "the reading's meaning", "reply class computed"):
        assert words in kinds, kinds


def test_the_table_has_a_row_for_every_reading_and_the_engine_a_handler_for_every_action() -> None:
    from pressctl.relays.actions import TABLE, Action
    from pressctl.relays.replies import RULES, Meaning

    assert {meaning for meaning, cause in TABLE if cause == ""} == set(Meaning)
    assert {(rule.meaning, rule.cause) for rule in RULES} <= set(TABLE)
    assert {effect.action for effect in TABLE.values()} == set(Action)
    dispatch = (ROOT / "send" / "dispatch.py").read_text(encoding="utf-8")
    assert all(f"Action.{action.name}" in dispatch for action in Action)
