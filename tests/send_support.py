"""Shared helpers for the send tests: a workspace with a release that can go now, and contact lists."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from pressctl.scaffold import init_workspace

__all__ = ["PRESSCTL", "make_workspace", "run_cli", "write_contacts", "write_release"]

PRESSCTL = [str(Path(sys.executable).parent / "pressctl")]

RELEASE = """\
---
title: Harbourview Science Park Names Its First Marine Robotics Fellows
date: 2026-11-20
dateline: Hong Kong
language: en
summary: Six early-career engineers join HVSP's new fellowship for underwater robotics.
{embargo}---
Dear {{{{ first_name or "editor" }}}}, six engineers will spend a year building underwater inspection robots
in the park's seawater laboratory, with mentors from three resident companies.

The fellows were chosen from 140 applicants across the region.
"""


def write_release(ws: Path, *, name: str = "fellows.md", embargo: str | None = None) -> Path:
    path = ws / "releases" / name
    path.write_text(RELEASE.format(embargo=f"embargo: {embargo}\n" if embargo else ""), encoding="utf-8")
    return path


def write_contacts(
    path: Path, count: int, *, domain: str = "news.example", extra: list[list[str]] | None = None
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "first_name", "last_name", "outlet"])
        for i in range(count):
            writer.writerow([f"reporter{i:05d}@{domain}", f"Reporter{i}", "Lee", "Harbour Daily"])
        for row in extra or []:
            writer.writerow(row)
    return path


def make_workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    init_workspace(ws)
    # The sample suppression list is for the sample contacts; keep it, it does not touch ours.
    return ws


def run_cli(
    args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "PRESSCTL_SMTP_PASSWORD"}
    full_env.update({"COLUMNS": "200", **(env or {})})
    return subprocess.run(
        [*PRESSCTL, *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
