"""The real-world bounce corpus from flufl.bounce's source distribution, fetched with pip at test time.

The corpus (~115 real bounces: Exchange, Yahoo, qmail, Postfix, DSNs, ...) is not committed here: pip
downloads the sdist of the installed flufl.bounce version into a cache directory (``PRESSCTL_TEST_CACHE``,
default ``<tmp>/pressctl-test-cache``) once, and the tests read ``tests/data`` from it. The expected answers
are read from the same sdist's ``tests/test_detectors.py`` (its ``DETECTORS`` table), not copied.
When pip cannot reach an index, the tests that need the corpus skip with the reason.
"""

from __future__ import annotations

import ast
import contextlib
import os
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path

import pytest

__all__ = ["corpus_dir", "expected_addresses"]


def _cache() -> Path:
    root = os.environ.get("PRESSCTL_TEST_CACHE") or os.path.join(tempfile.gettempdir(), "pressctl-test-cache")
    return Path(root)


def _sdist_root() -> Path:
    want = version("flufl.bounce")
    target = _cache() / f"flufl_bounce-{want}"
    if (target / "tests" / "data").is_dir() and (target / "tests" / "test_detectors.py").is_file():
        return target
    download = _cache() / "sdist"
    download.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps",
           f"flufl.bounce=={want}", "-d", str(download)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    archives = sorted(download.glob(f"flufl*bounce-{want}.tar.gz"))
    if not archives:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"cannot download the flufl.bounce {want} sdist for its bounce corpus: {last}")
    staging = Path(tempfile.mkdtemp(dir=_cache()))
    with tarfile.open(archives[0]) as tar:
        # Only the regular files under tests/, each checked to stay inside staging (no extraction filter
        # needed: Debian 12's Python 3.11.2 may predate tarfile's filter argument).
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if not member.isfile() or len(parts) < 3 or parts[1] != "tests" or ".." in parts:
                continue
            dest = staging.joinpath(*parts)
            dest.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is not None:
                dest.write_bytes(source.read())
    extracted = next(staging.iterdir())
    with contextlib.suppress(OSError):  # another test process got there first
        extracted.rename(target)
    return target


def corpus_dir() -> Path:
    """``tests/data`` of the sdist: the real bounces."""
    return _sdist_root() / "tests" / "data"


def expected_addresses() -> dict[str, set[str]]:
    """File name -> the addresses flufl.bounce's own tests expect some detector to find (case-folded)."""
    source = (_sdist_root() / "tests" / "test_detectors.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    table = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "DETECTORS" for t in node.targets):
            table = ast.literal_eval(node.value)
    if table is None:
        pytest.skip("flufl.bounce's test_detectors.py has no DETECTORS table any more")
    expected: dict[str, set[str]] = {}
    for _module, filename, addresses, _temporary in table:
        expected.setdefault(filename, set()).update(a.decode().casefold() for a in addresses)
    return expected
