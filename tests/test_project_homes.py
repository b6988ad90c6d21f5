"""Each rule pressctl keeps in one place stays there: a guard per "one home" claim of docs/ARCHITECTURE.md
that import-linter cannot express (a call or a comparison, not an import).

Read with ``ast`` from the source under ``pressctl/``, so a second home fails here with the file and line
that made it, before it drifts from the first.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pressctl"


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(node: ast.AST) -> str:
    """``main.embargo`` -> ``embargo``; ``x`` -> ``x``; anything else -> ""."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return ""


def _calls(tree: ast.Module, attr: str) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node.func) == attr:
            yield node


def test_every_embargo_decision_is_in_embargo_py() -> None:
    """Nothing but ``embargo.py`` compares a time with an embargo (``now < release.embargo``), and nothing else
    refuses a send, a job or a page for it (issue 19: the dispatcher and the newsroom decided for themselves).
    ``Release.is_embargoed`` and every other caller ask ``embargo.under_embargo`` and the checks there."""
    ordering = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
    # Raised elsewhere, on purpose: --at that is no time at all (times.py), and the site writer refusing a
    # public page its caller gave no permission for (site/publish.py: the caller asked embargo.py).
    raisers = {"pressctl/embargo.py", "pressctl/times.py", "pressctl/site/publish.py"}
    found = []
    for path, tree in _modules():
        if path == "pressctl/embargo.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(isinstance(op, ordering) for op in node.ops):
                operands = [node.left, *node.comparators]
                if any("embargo" in _name(operand).lower() for operand in operands):
                    found.append(f"{path}:{node.lineno}: compares with an embargo")
        if path not in raisers:
            found += [f"{path}:{call.lineno}: raises EmbargoError" for call in _calls(tree, "EmbargoError")]
    assert not found, "\n".join(found)


def test_one_clock() -> None:
    """``pressctl.clock.system_clock`` is the one "now" (tests swap it for a ManualClock); a second one
    (``ledger.utcnow`` was) would keep the wall clock where a test set another."""
    found = []
    for path, tree in _modules():
        if path == "pressctl/clock.py":
            continue
        for attr in ("now", "utcnow", "today"):
            for call in _calls(tree, attr):
                if isinstance(call.func, ast.Attribute) and _name(call.func.value) in ("datetime", "date", "dt"):
                    found.append(f"{path}:{call.lineno}: {ast.unparse(call.func)}()")
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in ("utcnow", "now"):
                found.append(f"{path}:{node.lineno}: def {node.name}")
    assert not found, "\n".join(found)


def test_one_atomic_write() -> None:
    """Files are replaced through ``pressctl.atomic`` only: one temporary-file-then-rename, flushed to disk."""
    # os.replace elsewhere moves what is not a file pressctl wrote: a Maildir message into new/ or another
    # folder (the Maildir protocol's own names), a staged site file already written by atomic.write_temp, and
    # a whole folder (a job's snapshot, a new workspace) renamed into place.
    movers = {
        "pressctl/atomic.py",
        "pressctl/send/outbox.py",
        "pressctl/bounces/mailbox.py",
        "pressctl/site/staging.py",
        "pressctl/schedule/request.py",
        "pressctl/scaffold.py",
    }
    found = []
    for path, tree in _modules():
        if path != "pressctl/atomic.py":
            found += [f"{path}:{c.lineno}: mkstemp" for c in _calls(tree, "mkstemp")]
            found += [f"{path}:{c.lineno}: NamedTemporaryFile" for c in _calls(tree, "NamedTemporaryFile")]
        if path not in movers:
            found += [f"{path}:{c.lineno}: os.replace/rename" for a in ("replace", "rename") for c in _calls(tree, a)
                      if isinstance(c.func, ast.Attribute) and _name(c.func.value) == "os"]
    assert not found, "\n".join(found)


def test_one_rate_grammar() -> None:
    """``pressctl.rates.parse_rate`` reads every rate (``--rate``, ``[smtp] rate``, a relay's): no other
    module defines a rate parser or a rate value."""
    found = []
    for path, tree in _modules():
        if path == "pressctl/rates.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in ("parse_rate", "Rate"):
                found.append(f"{path}:{node.lineno}: {node.name}")
    assert not found, "\n".join(found)


def test_exit_statuses_are_named() -> None:
    """Every status pressctl ends with is an ``ExitStatus`` (0 done, 1 failed or pending, 2 bad input, 70
    internal, 130 interrupted, 141 closed pipe): no bare number in an exit or an error's ``exit_code``."""
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in ("Exit", "exit", "SystemExit"):
                found += [f"{path}:{node.lineno}: {ast.unparse(node)}" for a in node.args if isinstance(a, ast.Constant)]
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(_name(t) == "exit_code" for t in targets):
                    found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
    assert not found, "\n".join(found)


def test_the_cli_asks_its_env_for_the_world() -> None:
    """Commands print through the ``Env`` they are handed and learn the time, the environment, the terminal
    and the folder from it: no console is a module global, and no command reads them for itself (a test
    swaps the Env: ``CliRunner().invoke(app, args, obj=Env.for_test(...))``)."""
    found = []
    for path, tree in _modules():
        if not path.startswith("pressctl/cli/") or path == "pressctl/cli/_env.py":
            continue
        for node in tree.body:
            call = node.value if isinstance(node, ast.Assign) else None
            if isinstance(call, ast.Call) and _name(call.func).lower().lstrip("_") == "console":
                found.append(f"{path}:{node.lineno}: a console as a module global")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and ast.unparse(node) in (
                "os.environ", "sys.stdout", "sys.stdin", "sys.stderr", "Path.cwd", "os.getcwd", "os.getenv",
            ):
                found.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
            if isinstance(node, ast.Name) and node.id in ("system_clock", "utcnow"):
                found.append(f"{path}:{node.lineno}: {node.id}")
    assert not found, "\n".join(found)


def test_the_sending_domain_decision_is_in_domain_decision() -> None:
    """Whether the sending-domain check stops a send (``send``, ``schedule``, ``dispatch``) and what
    ``domain check`` exits with are decided by ``domain/decision.py`` alone: nothing outside ``domain/`` reads
    a report's ``stops`` or raises ``DomainRefused`` itself (issue 21 decided it in the CLI first)."""
    found = []
    for path, tree in _modules():
        if path.startswith("pressctl/domain/"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "stops":
                found.append(f"{path}:{node.lineno}: reads a domain report's stops")
        found += [f"{path}:{call.lineno}: raises DomainRefused" for call in _calls(tree, "DomainRefused")]
    assert not found, "\n".join(found)
