"""Shared helpers for the rendering, release and init tests: a real sample workspace and PDF readers."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

from pressctl.config import Workspace, load_workspace
from pressctl.scaffold import init_workspace

__all__ = [
    "AFTER_LIFT",
    "BEFORE_LIFT",
    "HAVE_POPPLER",
    "make_workspace",
    "pdffonts",
    "pdfinfo",
    "pdftotext",
    "write_release",
]

BEFORE_LIFT = dt.datetime(2030, 3, 1, 0, 0, tzinfo=dt.UTC)
AFTER_LIFT = dt.datetime(2030, 3, 12, 2, 0, 1, tzinfo=dt.UTC)  # 10:00:01 in Hong Kong
HAVE_POPPLER = shutil.which("pdftotext") is not None and shutil.which("pdffonts") is not None


def make_workspace(tmp_path: Path, name: str = "ws") -> tuple[Path, Workspace]:
    """A fresh workspace made by ``pressctl init``, and its loaded config."""
    root = tmp_path / name
    init_workspace(root)
    return root, load_workspace(root)


def write_release(root: Path, body: str, *, name: str = "test.md") -> Path:
    """Write a release file into the workspace's releases/ folder."""
    path = root / "releases" / name
    path.write_text(body, encoding="utf-8")
    return path


def _run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def pdftotext(pdf: Path, *, layout: bool = False) -> str:
    return _run("pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8", str(pdf), "-")


def pdffonts(pdf: Path) -> list[dict[str, str]]:
    """Rows of ``pdffonts``: name, and whether each font is embedded."""
    lines = _run("pdffonts", str(pdf)).splitlines()[2:]
    rows = []
    for line in lines:
        parts = line.split()
        # name type... encoding emb sub uni objnum gen: emb is the 5th field from the end.
        rows.append({"name": parts[0], "emb": parts[-5]})
    return rows


def pdfinfo(pdf: Path) -> dict[str, str]:
    info = {}
    for line in _run("pdfinfo", str(pdf)).splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info
