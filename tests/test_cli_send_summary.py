"""Issue 18 point 13: the send summary's values ran into a long label ("not matching --where36")."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.present import aligned
from pressctl.scaffold import init_workspace


def test_aligned_puts_two_spaces_after_the_longest_label() -> None:
    assert aligned({"recipients": 3, "suppressed": 0}) == ["recipients      3", "suppressed      0"]
    assert aligned({"recipients": 3, "not matching --where": 36}) == [
        "recipients            3",
        "not matching --where  36",
    ]
    assert aligned({"語言": "中文"}, width=6) == ["語言  中文"]  # wide characters count two cells
    assert aligned({"  1 connections": 3}) == ["  1 connections 3"]  # shorter than the column: as before


def test_send_summary_keeps_a_column_for_its_values(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    init_workspace(root)
    result = CliRunner().invoke(
        app,
        [
            "send", str(root / "releases/sample.md"), "-c", str(root / "contacts/journalists.csv"),
            "--where", "beat=science", "--under-embargo", "--yes",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "not matching --where  8" in lines
    assert "recipients            3" in lines
