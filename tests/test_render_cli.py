"""``pressctl render`` through the CLI: files printed; each bad input one line, exit 2, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressctl.cli import app
from tests.render_support import make_workspace

runner = CliRunner()


def _sample(root: Path) -> str:
    return (root / "releases" / "sample.md").read_text(encoding="utf-8")


def test_render_command_writes_and_prints(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["render", str(root / "releases" / "sample.md"), "-o", str(out), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    printed = result.output.strip().splitlines()
    assert [Path(p).name for p in printed] == ["sample.pdf", "sample.html", "sample.txt"]
    assert all(Path(p).is_file() for p in printed)


@pytest.mark.slow
def test_render_subprocess_from_inside_the_workspace(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pressctl.cli import main; main()",
            "render",
            "releases/sample.md",
            "-o",
            "out",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert len(list((root / "out").iterdir())) == 6
    assert proc.stderr == ""


BAD = {
    "broken YAML": (lambda s: s.replace("date: 2030-03-12", "date: [2030-03-12"), ":", "not valid YAML"),
    "missing title": (
        lambda s: s.replace("title: Harbourview", "headline: Harbourview"),
        ":",
        "unknown key 'headline'",
    ),
    "no title at all": (
        lambda s: "\n".join(line for line in s.split("\n") if not line.startswith("title:")),
        ":1",
        "'title' is missing",
    ),
    "bad date": (lambda s: s.replace("date: 2030-03-12", "date: 12/03/2030"), ":4", "is not a date"),
    "bad embargo": (
        lambda s: s.replace("embargo: 2030-03-12T10:00:00+08:00", "embargo: next Tuesday"),
        ":6",
        "not a usable date-time",
    ),
    "unknown language": (lambda s: s.replace("language: en", "language: klingon"), ":7", "language"),
    "missing photo": (
        lambda s: s.replace("photos/test-bay.jpg", "photos/missing.jpg"),
        ":9",
        "does not exist",
    ),
    "missing translation": (
        lambda s: s.replace("zh-HK: sample.zh-HK.md", "zh-HK: nowhere.md"),
        ":",
        "does not exist",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path: Path, case: str) -> None:
    root, _ = make_workspace(tmp_path)
    change, where, what = BAD[case]
    bad = root / "releases" / "bad.md"
    bad.write_text(change(_sample(root)), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(bad), "-o", str(out)])
    assert result.exit_code == 2, (case, result.output)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("error: ") and "Traceback" not in result.output
    assert f"bad.md{where}" in line or (where == ":" and "bad.md" in line), line
    assert what in line, line
    assert not out.exists() or not list(out.iterdir())


def test_bad_translation_file_stops_everything(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    zh = root / "releases" / "sample.zh-HK.md"
    zh.write_text(zh.read_text(encoding="utf-8").replace("date: 2030-03-12", "date: soon"), encoding="utf-8")
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(root / "releases" / "sample.md"), "-o", str(out)])
    assert result.exit_code == 2
    assert "sample.zh-HK.md:4" in result.output
    assert not out.exists()  # not even the English files: nothing half-written


def test_missing_release_file_and_unknown_lang_option(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    result = runner.invoke(app, ["render", str(root / "releases" / "nope.md"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and "file not found" in result.output
    result = runner.invoke(
        app, ["render", str(root / "releases" / "sample.md"), "--lang", "fr", "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 2 and "unknown language 'fr'" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.slow
def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from pressctl.cli import app; import pressctl.render.email, pressctl.render.pdf, pressctl.render.files, pressctl.scaffold; "
        "print(sorted(m for m in ('weasyprint', 'css_inline', 'PIL') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
