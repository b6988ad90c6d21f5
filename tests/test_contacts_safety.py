"""Issue 8: hostile and oversized contact lists cost one line and exit 2, never a traceback or a hang.

Hostile .xlsx files are made here from a real workbook with one part replaced; FIFOs and /dev/zero are
given as lists; each [limits] key is hit through the real command.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from pressctl.contacts.read import read_table
from pressctl.errors import ContactsError
from pressctl.limits import Limits
from tests.contacts_support import write_csv, write_xlsx
from tests.qa_support import one_error_line, pressctl, workspace

SHEET = "xl/worksheets/sheet1.xml"


def _hostile_xlsx(path: Path, sheet_xml: bytes) -> Path:
    """A workbook written by openpyxl whose first sheet is replaced by ``sheet_xml``."""
    good = write_xlsx(path.with_suffix(".good.xlsx"), [["Email", "Name"], ["a@hvsp.example", "A"]])
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, sheet_xml if info.filename == SHEET else src.read(info.filename))
    return path


_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _sheet(cell: bytes, prolog: bytes = b"") -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>' + prolog + b"<worksheet " + _NS + b"><sheetData>"
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>'
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>' + cell + b"</t></is></c></row>"
        b"</sheetData></worksheet>"
    )


HOSTILE = {
    "broken": _sheet(b"a@hvsp.example").replace(b"</sheetData>", b"<row"),
    "xxe": _sheet(b"&xxe;", b'<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>'),
    "laughs": _sheet(
        b"&l5;",
        b"<!DOCTYPE worksheet [<!ENTITY l0 'ha'>"
        + b"".join(b"<!ENTITY l%d '%s'>" % (i, (b"&l%d;" % (i - 1)) * 10) for i in range(1, 6))
        + b"]>",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_xlsx_is_one_line(tmp_path: Path, kind: str) -> None:
    root = workspace(tmp_path)
    book = _hostile_xlsx(root / "contacts" / f"{kind}.xlsx", HOSTILE[kind])
    proc = pressctl("contacts", "check", str(book), cwd=root, timeout=60)
    assert proc.returncode == 2, proc.stderr
    line = one_error_line(proc)
    assert f"{kind}.xlsx" in line and "not a readable .xlsx workbook" in line
    assert "hostname" not in proc.stdout + proc.stderr


def test_xlsx_xml_goes_through_defusedxml() -> None:
    # openpyxl uses defusedxml only when it is installed: pyproject.toml depends on it.
    from openpyxl.xml import DEFUSEDXML
    from openpyxl.xml.functions import iterparse

    assert DEFUSEDXML and iterparse.__module__.startswith("defusedxml")


def test_xlsx_unpacked_size_is_checked_before_parsing(tmp_path: Path) -> None:
    huge = b"x" * 300_000  # compresses to a few hundred bytes
    book = _hostile_xlsx(tmp_path / "bomb.xlsx", _sheet(huge))
    assert book.stat().st_size < 20_000
    with pytest.raises(ContactsError) as caught:
        read_table(book, limits=Limits(list_bytes=200_000))
    assert "list_bytes" in str(caught.value) and "unpacks to" in str(caught.value)


def test_xlsx_huge_cell_hits_cell_chars(tmp_path: Path) -> None:
    book = _hostile_xlsx(tmp_path / "cell.xlsx", _sheet(b"y" * 20_000))
    with pytest.raises(ContactsError) as caught:
        read_table(book)
    assert "cell_chars" in str(caught.value) and "cell.xlsx:2" in str(caught.value)


def test_xlsx_claimed_dimension_does_not_pad_rows(tmp_path: Path) -> None:
    sheet = _sheet(b"a@hvsp.example").replace(b"<sheetData>", b'<dimension ref="A1:XFD2"/><sheetData>')
    table = read_table(_hostile_xlsx(tmp_path / "dim.xlsx", sheet))
    assert table.header == ["Email"] and table.rows == [(2, ["a@hvsp.example"])]


@pytest.mark.parametrize(
    ("limits", "rows", "key"),
    [
        (Limits(list_rows=3), [[f"r{i}@hvsp.example", "R"] for i in range(5)], "list_rows"),
        (Limits(row_cells=10), [["a@hvsp.example", *["x"] * 20]], "row_cells"),
        (Limits(cell_chars=50), [["a@hvsp.example", "n" * 51]], "cell_chars"),
        (Limits(list_bytes=100), [[f"r{i}@hvsp.example", "R"] for i in range(20)], "list_bytes"),
    ],
)
def test_csv_limits_name_their_key(tmp_path: Path, limits: Limits, rows: list[list[str]], key: str) -> None:
    path = write_csv(tmp_path / "list.csv", rows, header=["Email", "Name"])
    with pytest.raises(ContactsError) as caught:
        read_table(path, limits=limits)
    assert f"{key} = " in str(caught.value) and "[limits]" in str(caught.value)


def test_csv_cell_beyond_the_csv_module_limit_names_cell_chars(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("Email,Name\na@hvsp.example," + "z" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(ContactsError) as caught:
        read_table(path)
    assert "cell_chars" in str(caught.value)


def test_too_many_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "wide.csv", [], header=["Email", *[f"c{i}" for i in range(30)]])
    with pytest.raises(ContactsError) as caught:
        read_table(path, limits=Limits(list_columns=10))
    assert "list_columns" in str(caught.value)


@pytest.mark.slow
def test_limits_come_from_pressctl_toml(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    with (root / "pressctl.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[limits]\nlist_rows = 3\n")
    proc = pressctl("contacts", "check", "contacts/journalists.csv", cwd=root)
    assert proc.returncode == 2
    assert "list_rows = 3 in [limits]" in one_error_line(proc)


@pytest.mark.slow
def test_bad_limits_key_or_value_is_one_line(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    toml = root / "pressctl.toml"
    base = toml.read_text(encoding="utf-8")
    for extra, expected in (
        ("[limits]\nlist_row = 3\n", "Did you mean 'list_rows'"),
        ("[limits]\nlist_rows = -1\n", "limits.list_rows must be a whole number"),
        ('[assets]\nallow = "/srv"\n', "assets.allow must be a list"),
        ('[assets]\nallow = ["/no/such/folder"]\n', "is not a folder"),
    ):
        toml.write_text(base + "\n" + extra, encoding="utf-8")
        proc = pressctl("contacts", "check", "contacts/journalists.csv", cwd=root)
        assert proc.returncode == 2, extra
        assert expected in one_error_line(proc), extra


@pytest.mark.slow
def test_dev_zero_and_a_fifo_are_refused_without_reading(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    fifo = tmp_path / "list.csv"
    os.mkfifo(fifo)
    # A FIFO nobody writes to would block a read forever: the timeout makes a regression fail, not hang.
    for target, kind in ((fifo, "a named pipe"), (Path("/dev/zero"), "a device")):
        proc = pressctl("contacts", "check", str(target), cwd=root, timeout=30)
        assert proc.returncode == 2
        assert kind in one_error_line(proc)
        proc = pressctl("send", "releases/sample.md", "-c", str(target), "--dry-run", cwd=root, timeout=30)
        assert proc.returncode == 2
        assert kind in one_error_line(proc)
    fifo_release = root / "releases" / "pipe.md"
    os.mkfifo(fifo_release)
    proc = pressctl("render", str(fifo_release), cwd=root, timeout=30)
    assert proc.returncode == 2 and "a named pipe" in one_error_line(proc)
