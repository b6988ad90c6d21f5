"""``pressctl init``: the workspace it makes loads, renders, and is never written over."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from pressctl import resources
from pressctl.cli import app
from pressctl.config import load_workspace
from pressctl.errors import InputError
from pressctl.release.load import load_release_set
from pressctl.release.merge import MergePlan
from pressctl.scaffold import init_workspace


def test_init_creates_a_complete_workspace(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    written = init_workspace(root)
    rel = sorted(str(p.relative_to(root)) for p in written)
    for expected in (
        "pressctl.toml",
        "releases/sample.md",
        "releases/sample.zh-HK.md",
        "releases/photos/test-bay.jpg",
        "brand/logo.png",
        "templates/README.md",
    ):
        assert expected in rel
    # Every sample contact list shipped with pressctl is copied.
    shipped = sorted(
        p.name for p in resources.contacts_dir().iterdir() if p.is_file() and not p.name.startswith(".")
    )
    assert sorted(p.name for p in (root / "contacts").iterdir()) == shipped
    photo = (root / "releases/photos/test-bay.jpg").read_bytes()
    assert 30_000 <= len(photo) <= 80_000
    with Image.open(io.BytesIO(photo)) as img:
        assert img.format == "JPEG"
    with Image.open(root / "brand/logo.png") as img:
        assert img.format == "PNG"
    assert "override" in (root / "templates/README.md").read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if p.name != "ws"]  # no temporary folder left


def test_config_and_sample_release_load(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    init_workspace(root)
    ws = load_workspace(root)
    assert ws.organisation.name == "Harbourview Science Park"
    assert ws.brand.logo == root / "brand/logo.png"
    assert ws.sender.from_addr == "HVSP Press Office <press@hvsp.example>"
    assert ws.sender.unsubscribe_url.startswith("https://") and "{token}" in ws.sender.unsubscribe_url and "{email}" not in ws.sender.unsubscribe_url
    assert ws.timezone == "Asia/Hong_Kong" and ws.language == "en" and ws.smtp_url is None
    assert ws.media_contacts and ws.media_contacts[0].email.endswith("@hvsp.example")
    en, zh = load_release_set(root / "releases/sample.md", ws)
    assert en.language == "en" and zh.language == "zh-HK"
    assert en.embargo is not None and en.embargo.year == 2030 and zh.embargo == en.embargo
    assert en.photos and en.photos[0].alt and zh.photos[0].caption.startswith("圖一")
    plan = MergePlan()
    plan.tokenize(en.body)
    assert len(plan.fields) == 1  # one merge field in the body; the greeting lives in the email template
    assert "###" not in en.body and "Dear" not in en.body


def test_init_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="not empty"):
        init_workspace(target)
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_init_accepts_an_empty_folder(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    init_workspace(target)
    assert (target / "pressctl.toml").is_file()


def test_cli_init_prints_files_and_fails_cleanly(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert "pressctl.toml" in result.output and "pressctl render releases/sample.md" in result.output
    again = runner.invoke(app, ["init", str(tmp_path / "ws")])
    assert again.exit_code == 2
    assert "folder is not empty" in again.output and "Traceback" not in again.output
    assert len(again.output.strip().splitlines()) == 1


def test_init_dot_in_an_empty_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    init_workspace(Path("."))
    assert (here / "pressctl.toml").is_file() and (here / "releases" / "sample.md").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["here"]


def test_a_new_workspace_suppresses_nobody(tmp_path: Path) -> None:
    """Issue 18 point 13: ``init`` left a sample address in the suppression list, which then stayed in the
    office's real one. A new list is its header only; `suppress list` says nobody is suppressed."""
    root = tmp_path / "ws"
    init_workspace(root)
    assert (root / "contacts/suppressed.csv").read_text(encoding="utf-8") == "email,reason,date\n"
    result = CliRunner().invoke(app, ["suppress", "list", "--config", str(root / "pressctl.toml")])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "nobody is suppressed"
