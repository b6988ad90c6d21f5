"""Memory-lean contact loading (issue 4, 100,000 recipients): same results, fewer bytes held."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pressctl.contacts.load import load_contacts
from pressctl.contacts.read import _lines, read_table
from pressctl.model import Contact

# Line ends of every kind, quotes, delimiters and text that str.splitlines would (wrongly) split on.
_TEXT = st.text(alphabet=st.sampled_from(list('ab,;"\t\r\n\x0b\x0c\x1c\u2028\u0085黃 ')), max_size=60)


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_lines_split_like_stringio_newline_empty(text: str) -> None:
    assert list(_lines(text)) == list(io.StringIO(text, newline=""))


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_csv_rows_from_lines_equal_stringio(text: str) -> None:
    def rows(source: object) -> list[list[str]] | str:
        try:
            return list(csv.reader(source))  # type: ignore[call-overload]
        except csv.Error as exc:
            return str(exc)

    assert rows(_lines(text)) == rows(io.StringIO(text, newline=""))


def test_contact_has_slots() -> None:
    contact = Contact(email="amy.chan@harbourdaily.example", name="Amy Chan")
    assert not hasattr(contact, "__dict__")
    with pytest.raises(AttributeError):
        contact.email = "x@y.example"  # type: ignore[misc]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Email", "Name", "First Name", "Outlet", "Language"])
        writer.writerows(rows)
    return path


def test_repeated_cells_are_shared_and_rows_are_let_go(tmp_path: Path) -> None:
    rows = [[f"r{i}@harbourdaily.example", f"Amy Chan {i}", "Amy", "Harbour Daily", "en"] for i in range(50)]
    rows.append(["wong@mingpoint.example", "黃嘉明", "嘉明", "明點日報", "zh-HK"])
    rows.append(["R3@harbourdaily.example", "", "", "Harbour Weekly", "en"])  # duplicate of row 5: merged
    path = _write(tmp_path / "list.csv", rows)
    result = load_contacts([path])
    assert len(result.selected) == 51 and len(result.duplicates) == 1
    outlets = {id(c.fields["outlet"]) for c in result.selected if c.fields["outlet"] == "Harbour Daily"}
    assert len(outlets) == 1  # one copy of the repeated text
    # Values stay each row's own: the duplicate fills nothing the first row had.
    third = next(c for c in result.selected if c.email == "r3@harbourdaily.example")
    assert (third.name, third.fields["outlet"], third.source) == ("Amy Chan 3", "Harbour Daily", "list.csv:5")
    zh = result.selected[-1]
    assert (zh.name, zh.fields["first_name"], zh.language) == ("黃嘉明", "嘉明", "zh-HK")


def test_read_table_quoted_newlines_and_cr_only(tmp_path: Path) -> None:
    path = tmp_path / "old-mac.csv"
    path.write_bytes(b'Email,Note\ra@x.example,"two\r\nlines"\rb@x.example,plain\r')
    table = read_table(path)
    assert table.rows == [(2, ["a@x.example", "two\r\nlines"]), (3, ["b@x.example", "plain"])]
