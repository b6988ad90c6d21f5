"""The guards of docs/ARCHITECTURE.md's "One place, and what holds it" that are neither an import-linter
contract nor another test: SQL written only in the ledger (the schema only in its migration list), modules
of at most 500 lines, no import cycle; and the section itself kept true: every guard it names exists, and
every contract in ``.importlinter`` is named there.

Read with ``ast`` from the source under ``pressctl/``; a failure names the file and line.
"""

from __future__ import annotations

import ast
import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pressctl"
LEDGER = PACKAGE / "ledger"
SCHEMA_HOME = LEDGER / "migrations.py"
# PostgreSQL's starting schema (the one place the two stores' SQL differs; issue 22), and its version table
# (``pressctl_schema``: what ``PRAGMA user_version`` is in SQLite)
SCHEMA_HOMES = {SCHEMA_HOME, LEDGER / "pgbaseline.py", LEDGER / "postgres.py"}
MAX_LINES = 500

# A statement, not a word in a sentence: the verb and the clause that only SQL puts after it.
_SQL = re.compile(
    r"\b(SELECT\b[^;]*\bFROM|UPDATE\s+\w+\s+SET|INSERT\s+(OR\s+\w+\s+)?INTO|DELETE\s+FROM|BEGIN\s+IMMEDIATE|PRAGMA\s+\w+)\b"
)
_SCHEMA = re.compile(r"\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX|TRIGGER|VIEW)\b")


def _sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _strings(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_sql_is_written_only_in_the_ledger() -> None:
    """Only ``pressctl/ledger/`` speaks SQL (the ``sql`` contract keeps ``sqlite3`` in ``ledger/sqlite.py``;
    this keeps the statements there too), and the schema is made only by the one migration list."""
    problems = []
    for path in _sources():
        where = path.relative_to(ROOT).as_posix()
        for line, text in _strings(path):
            if LEDGER not in path.parents and _SQL.search(text):
                problems.append(f"{where}:{line}: SQL outside pressctl/ledger/ ({text[:60]!r})")
            if path not in SCHEMA_HOMES and _SCHEMA.search(text):
                problems.append(f"{where}:{line}: schema made outside ledger/migrations.py ({text[:60]!r})")
    assert problems == []


def test_the_sql_guard_sees_a_statement_and_not_a_sentence() -> None:
    assert _SQL.search("SELECT key FROM recipients WHERE campaign_id = ?")
    assert _SQL.search("UPDATE jobs SET state = 'held'") and _SQL.search("PRAGMA user_version")
    assert not _SQL.search("Select the recipients from the list") and not _SQL.search("update the ledger")
    assert _SCHEMA.search("CREATE TABLE IF NOT EXISTS x (a)") and not _SCHEMA.search("create a table of words")


def test_no_module_is_over_500_lines() -> None:
    long = [
        f"{p.relative_to(ROOT).as_posix()}: {n} lines"
        for p in _sources()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]
    assert long == [], "split by job into small modules (STYLE.md): " + "; ".join(long)


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports_at_load(path: Path, name: str, known: set[str]) -> set[str]:
    """The pressctl modules ``path`` imports when it is loaded (not inside functions; not for type checking)."""
    package = path.name == "__init__.py"
    found: set[str] = set()
    for top in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(top, ast.If) and "TYPE_CHECKING" in ast.unparse(top.test):
            continue
        nodes = ast.walk(top) if isinstance(top, (ast.If, ast.Try)) else [top]
        for node in nodes:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if package else name.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                found.add(source)
                found.update(f"{source}.{a.name}" for a in node.names)
    return (found & known) - {name}


def test_no_import_cycle() -> None:
    """No two modules import each other at load time, directly or round a longer loop (issue 19 found
    ``contacts/load.py`` <-> ``contacts/suppression.py``). Imports inside a function are deliberate late
    binding and are not counted."""
    paths = {_module(p): p for p in _sources()}
    known = set(paths)
    graph = {name: _imports_at_load(path, name, known) for name, path in paths.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = stack[stack.index(v):]
            del stack[stack.index(v):]
            if len(component) > 1:
                cycles.append(sorted(component))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    assert cycles == []


def _section() -> str:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    start = text.index("## One place, and what holds it")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_every_guard_the_architecture_names_exists_and_every_contract_is_named() -> None:
    section = _section()
    contracts = configparser.ConfigParser()
    contracts.read(ROOT / ".importlinter", encoding="utf-8")
    ids = {s.split(":", 2)[2] for s in contracts.sections() if s.startswith("importlinter:contract:")}
    named = set(re.findall(r"contract `([\w-]+)`", section))
    assert named - ids == set(), "the section names contracts .importlinter does not have"
    assert ids - named == set(), "a contract of .importlinter is not in the section"
    tests = re.findall(r"`(tests/test_\w+\.py)::(\w+)`", section)
    assert tests
    missing = []
    for file, name in tests:
        tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
        if not any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body):
            missing.append(f"{file}::{name}")
    assert missing == []
