"""Start-up (issue 19, second pass): the templates as Jinja compiled them are kept between commands, in
Jinja's per-user folder, so a render or send does not compile its five templates again (~0.03 s). What
renders never changes: an edited template is compiled afresh, the sandbox refuses from a kept entry as
from source, and a folder that is not this user's own, or an entry that cannot be read, means compiling as
before. Each test is a new command: the process's environments are dropped, its temporary folder is the
test's own."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pressctl.config import Workspace, load_workspace
from pressctl.render import templates
from pressctl.render.templates import TemplateFileError, render_template
from pressctl.scaffold import init_workspace


@pytest.fixture
def tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the templates Jinja compiled from source, in this test."""
    names: list[str] = []
    compile_ = ImmutableSandboxedEnvironment.compile

    def counting(self: Any, source: Any, name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        names.append(str(name))
        return compile_(self, source, name, *args, **kwargs)

    monkeypatch.setattr(ImmutableSandboxedEnvironment, "compile", counting)
    yield names


def _workspace(tmp_path: Path, template: str) -> Workspace:
    root = tmp_path / "ws"
    init_workspace(root)
    (root / "templates" / "note.txt.j2").write_text(template, encoding="utf-8")
    return load_workspace(root)


def _command(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a new process starts with: no environment built yet."""
    monkeypatch.setattr(templates, "_ENVIRONMENTS", {})


def _entries(tmp: Path) -> list[Path]:
    return sorted(tmp.glob("_jinja2-cache-*/pressctl-*.cache"))


def test_the_next_command_renders_the_same_without_compiling(
    tmp_path: Path, tmp: Path, compiled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _workspace(tmp_path, "Dear {{ name }},\n{% for x in items %}- {{ x }}\n{% endfor %}")
    context = {"name": "Amy", "items": ["tide", "bay"]}
    _command(monkeypatch)
    first = render_template(ws, "note.txt.j2", context)
    assert compiled == ["note.txt.j2"] and len(_entries(tmp)) == 1
    folder = _entries(tmp)[0].parent
    assert folder.name == f"_jinja2-cache-{os.getuid()}" and (folder.stat().st_mode & 0o777) == 0o700
    _command(monkeypatch)
    assert render_template(ws, "note.txt.j2", context) == first == "Dear Amy,\n- tide\n- bay\n"
    assert compiled == ["note.txt.j2"]  # the second command loaded it


def test_an_edited_template_is_compiled_again(
    tmp_path: Path, tmp: Path, compiled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _workspace(tmp_path, "Old {{ name }}")
    _command(monkeypatch)
    assert render_template(ws, "note.txt.j2", {"name": "Amy"}) == "Old Amy"
    (ws.templates_dir / "note.txt.j2").write_text("New {{ name }}", encoding="utf-8")
    _command(monkeypatch)
    assert render_template(ws, "note.txt.j2", {"name": "Amy"}) == "New Amy"
    assert compiled == ["note.txt.j2", "note.txt.j2"]


def test_the_sandbox_refuses_a_kept_template_as_it_refuses_its_source(
    tmp_path: Path, tmp: Path, compiled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "pwned"
    ws = _workspace(tmp_path, f'{{{{ cycler.__init__.__globals__.os.system("touch {marker}") }}}}\n')
    for _ in range(2):
        _command(monkeypatch)
        with pytest.raises(TemplateFileError, match="refused"):
            render_template(ws, "note.txt.j2", {})
    assert compiled == ["note.txt.j2"]  # the second refusal came from the kept entry
    assert not marker.exists()


def test_a_folder_that_is_not_safely_ours_is_not_used(
    tmp_path: Path, tmp: Path, compiled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp / f"_jinja2-cache-{os.getuid()}").symlink_to(elsewhere)  # someone's link where Jinja's folder goes
    ws = _workspace(tmp_path, "Hello {{ name }}")
    for _ in range(2):
        _command(monkeypatch)
        assert render_template(ws, "note.txt.j2", {"name": "Amy"}) == "Hello Amy"
    assert compiled == ["note.txt.j2", "note.txt.j2"]
    assert list(elsewhere.iterdir()) == []


def test_an_entry_that_cannot_be_read_is_compiled_again(
    tmp_path: Path, tmp: Path, compiled: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _workspace(tmp_path, "Hello {{ name }}")
    _command(monkeypatch)
    render_template(ws, "note.txt.j2", {"name": "Amy"})
    [entry] = _entries(tmp)
    entry.write_bytes(entry.read_bytes()[:40])  # cut short, as by a full disk
    _command(monkeypatch)
    assert render_template(ws, "note.txt.j2", {"name": "Amy"}) == "Hello Amy"
    assert compiled == ["note.txt.j2", "note.txt.j2"]
