"""Shared helpers for the send tests: a workspace with a release that can go now, and contact lists."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pressctl.scaffold import init_workspace

__all__ = ["PRESSCTL", "assert_repeats_at_most_in_flight", "make_workspace", "run_cli", "write_contacts", "write_release"]

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


def assert_repeats_at_most_in_flight(messages: list[Any], count: int, in_flight: int) -> None:
    """After a crash and a re-run (promise 1): every one of ``count`` recipients got the release, and those
    who got it twice are at most the ``in_flight`` messages of the crash, each twice with the same Message-ID."""
    by_rcpt: dict[str, list[str]] = {}
    for m in messages:
        by_rcpt.setdefault(m.rcpt, []).append(m.message_id)
    assert len(by_rcpt) == count  # nobody lost
    repeated = {r: ids for r, ids in by_rcpt.items() if len(ids) > 1}
    assert len(repeated) <= in_flight, repeated  # at most what was in flight
    assert all(len(ids) == 2 and ids[0] == ids[1] for ids in repeated.values())  # same Message-ID
