"""Every third-party module pressctl imports comes from a distribution pyproject.toml declares.

Walks the import statements of every module under ``pressctl/`` (ast, so imports inside functions count:
pressctl imports its heavy libraries lazily) and maps each top-level name to the distributions that provide
it in this environment (``importlib.metadata.packages_distributions()``). A module that is only installed
because something else depends on it (Pillow through WeasyPrint, idna through email-validator) works until
that dependency changes; declared, it keeps working.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "pressctl"


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = set()
    for requirement in project["dependencies"]:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match, requirement
        names.add(_canonical(match.group(1)))
    return names


def _imports() -> dict[str, set[str]]:
    """Top-level module name -> the pressctl files that import it (absolute imports only)."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.partition(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_declared() -> None:
    declared = _declared()
    providers = importlib.metadata.packages_distributions()
    third_party = {
        name: files
        for name, files in _imports().items()
        if name not in sys.stdlib_module_names and name not in {"pressctl", "__future__"}
    }
    assert "weasyprint" in third_party and "PIL" in third_party  # the walk sees lazy imports
    problems = []
    for name, files in sorted(third_party.items()):
        dists = {_canonical(d) for d in providers.get(name, [])}
        if not dists:
            problems.append(f"{name} (imported in {', '.join(sorted(files))}) is not installed")
        elif not dists & declared:
            problems.append(
                f"{name} (imported in {', '.join(sorted(files))}) comes from {', '.join(sorted(dists))}, "
                "which pyproject.toml [project] dependencies does not declare"
            )
    assert not problems, "\n".join(problems)


def test_the_declared_list_has_no_test_only_tools() -> None:
    """The reverse slip: a test tool among the runtime dependencies ends up on every user's machine."""
    assert not _declared() & {"pytest", "hypothesis", "aiosmtpd", "mypy", "ruff", "import-linter"}
