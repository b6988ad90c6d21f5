"""The one suppression service (``pressctl.contacts.suppression``): every writer goes through it — normalised,
in the ledger and the CSV, with reason and the local date — and nothing else in the tree writes a suppression."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from pressctl.config import load_workspace
from pressctl.contacts.suppression import Suppressor, read_all
from pressctl.errors import InputError
from pressctl.ledger import Ledger
from pressctl.scaffold import init_workspace

NOW = dt.datetime(2030, 3, 12, 1, 5, 41, tzinfo=dt.UTC)  # 09:05:41 in Hong Kong


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    init_workspace(root)
    return root


def test_every_address_is_normalised_and_recorded_in_both_places_with_the_local_date(ws: Path) -> None:
    workspace = load_workspace(ws / "pressctl.toml")
    with Ledger(workspace.ledger_path) as ledger:
        service = Suppressor(workspace, ledger, clock=lambda: NOW)
        new = service.add(["Night.Desk＠News.Example", "mailto:Müller@Straße.de"], reason="bounced 5.1.1", origin="bounce")
        assert new == ["night.desk@news.example", "müller@xn--strae-oqa.de"]
        assert service.add(["night.desk@news.example"], reason="again", origin="manual") == []  # already
        recorded = ledger.suppressions.all()
    assert recorded["müller@xn--strae-oqa.de"][:2] == ("bounced 5.1.1", "bounce")
    lines = workspace.suppression_path.read_text("utf-8").splitlines()
    assert "night.desk@news.example,bounced 5.1.1,2030-03-12T09:05:41+08:00" in lines
    assert "müller@xn--strae-oqa.de,bounced 5.1.1,2030-03-12T09:05:41+08:00" in lines
    assert sum("night.desk@news.example" in line for line in lines) == 1


def test_a_bad_address_among_good_ones_changes_nothing(ws: Path) -> None:
    workspace = load_workspace(ws / "pressctl.toml")
    before = workspace.suppression_path.read_bytes()
    with Ledger(workspace.ledger_path) as ledger:
        with pytest.raises(InputError, match="is not an email address"):
            Suppressor(workspace, ledger).add(["ok@news.example", "not an address"], reason="x", origin="manual")
        assert ledger.suppressions.all() == {}
    assert workspace.suppression_path.read_bytes() == before


def test_the_one_reader_holds_the_list_the_extra_lists_and_the_ledger(ws: Path, tmp_path: Path) -> None:
    workspace = load_workspace(ws / "pressctl.toml")
    extra = tmp_path / "desk.txt"
    extra.write_text("@Straße.de\n", encoding="utf-8")
    with Ledger(workspace.ledger_path) as ledger:
        Suppressor(workspace, ledger).add(["gone@news.example"], reason="bounced", origin="bounce")
    workspace.suppression_path.write_text("email,reason,date\n", encoding="utf-8")  # someone tidied the CSV
    view = read_all(workspace, extra=[extra])
    assert view.holds("Gone@News.Example") and view.holds("anyone@STRASSE.de".replace("SS", "ß"))
    assert not view.holds("anyone@strasse.de")
    assert any("gone@news.example" in n and "stay suppressed" in n for n in view.notices)


# -- the guard: one writer ----------------------------------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parent.parent / "pressctl"
SERVICE = PACKAGE / "contacts" / "suppression.py"
WRITES = {"suppressions.add", "suppressions.remove", "append_suppression", "rewrite_without"}


def _calls(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Attribute) and func.value.attr == "suppressions":
                name = f"suppressions.{name}"  # the ledger's table family: ledger.suppressions.add/remove
            if name in WRITES:
                found.add(name)
    return found


def test_nothing_but_the_service_writes_a_suppression() -> None:
    writers = {str(p.relative_to(PACKAGE)): sorted(_calls(p)) for p in PACKAGE.rglob("*.py") if _calls(p)}
    assert writers == {str(SERVICE.relative_to(PACKAGE)): sorted(WRITES)}
