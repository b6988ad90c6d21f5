"""Reading lists the way Excel and Google Sheets write them: encodings, delimiters, .xlsx, broken files."""

from __future__ import annotations

import codecs
import datetime as dt
from pathlib import Path

import pytest
from contacts_support import write_csv, write_xlsx

from pressctl.contacts.load import load_contacts
from pressctl.contacts.read import read_table
from pressctl.errors import ContactsError

ROWS = [
    ["amy.chan@harbourdaily.example", "", "Amy", "Chan", "Harbour Daily", "technology", "en"],
    ["wong.ka-ming@mingpoint.example", "黃嘉明", "嘉明", "黃", "明點日報", "科技", "zh-HK"],
]


def _summary(path: Path, **options: object) -> list[tuple[str, str, str, str]]:
    result = load_contacts([path], **options)  # type: ignore[arg-type]
    assert not result.invalid
    return [(c.email, c.name, c.fields["outlet"], c.source) for c in result.selected]


EXPECTED = [
    ("amy.chan@harbourdaily.example", "Amy Chan", "Harbour Daily", "list.csv:2"),
    ("wong.ka-ming@mingpoint.example", "黃嘉明", "明點日報", "list.csv:3"),
]


def test_utf8_without_bom(tmp_path: Path) -> None:
    assert _summary(write_csv(tmp_path / "list.csv", ROWS)) == EXPECTED


def test_utf8_with_bom_header_is_clean(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", ROWS, bom=codecs.BOM_UTF8)
    assert read_table(path).header[0] == "Email"  # not "\ufeffEmail"
    assert _summary(path) == EXPECTED


def test_utf16_unicode_text_tab_separated(tmp_path: Path) -> None:
    # Excel "Unicode Text": UTF-16 LE with BOM, tabs, CRLF, saved as .txt
    path = write_csv(
        tmp_path / "list.csv", ROWS, delimiter="\t", encoding="utf-16-le", bom=codecs.BOM_UTF16_LE
    )
    assert _summary(path) == EXPECTED


def test_utf16_big_endian_with_bom(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv", ROWS, delimiter="\t", encoding="utf-16-be", bom=codecs.BOM_UTF16_BE
    )
    assert _summary(path) == EXPECTED


def test_utf16_without_bom_is_recognised(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", ROWS, delimiter="\t", encoding="utf-16-le")
    assert _summary(path) == EXPECTED


def test_semicolons_as_european_excel_writes(tmp_path: Path) -> None:
    rows = [[*ROWS[0][:4], "Harbour Daily; weekend", *ROWS[0][5:]], ROWS[1]]
    path = write_csv(tmp_path / "list.csv", rows, delimiter=";")
    result = load_contacts([path])
    assert [c.fields["outlet"] for c in result.selected] == ["Harbour Daily; weekend", "明點日報"]


def test_excel_sep_line_keeps_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("sep=;\r\nEmail;Name\r\nnot-an-address;X\r\n", encoding="utf-8")
    result = load_contacts([path])
    assert [(p.row, p.value) for p in result.invalid] == [(3, "not-an-address")]


def test_tabs_in_a_tsv(tmp_path: Path) -> None:
    assert _summary(write_csv(tmp_path / "list.csv", ROWS, delimiter="\t")) == EXPECTED


def test_quoted_newline_in_a_cell_and_row_numbers(tmp_path: Path) -> None:
    rows = [
        [ROWS[0][0], "", "Amy", "Chan", "Harbour\nDaily", "tech", "en"],
        ["broken", "", "", "", "", "", ""],
    ]
    path = write_csv(tmp_path / "list.csv", rows)
    result = load_contacts([path])
    assert result.selected[0].fields["outlet"] == "Harbour Daily"  # newline became a space
    # the record after the two-line cell is spreadsheet row 3, not file line 4
    assert [(p.row, p.reason) for p in result.invalid] == [(3, "not an email address (no @)")]


def test_blank_rows_are_skipped_but_counted_in_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("\n\nEmail,Name\n\n,,\nbad,\namy@x.example,Amy\n", encoding="utf-8")
    result = load_contacts([path])
    assert result.rows == 2
    assert [p.row for p in result.invalid] == [6]
    assert result.selected[0].source == "list.csv:7"


def test_big5_with_encoding(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", ROWS, encoding="big5")
    assert _summary(path, encoding="big5") == EXPECTED


def test_big5_without_encoding_names_the_option_file_and_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", ROWS, encoding="big5")
    with pytest.raises(ContactsError) as caught:
        load_contacts([path])
    message = str(caught.value)
    assert "--encoding" in message
    assert caught.value.where == f"{path}:3"
    assert "line 3" in message and "not valid UTF-8" in message


def test_cp1252_with_encoding(tmp_path: Path) -> None:
    rows = [["rene.dupont@lepoint.example", "René Dupont", "", "", "Le Point Café", "", "en"]]
    path = write_csv(tmp_path / "list.csv", rows, encoding="cp1252")
    result = load_contacts([path], encoding="cp1252")
    assert result.selected[0].name == "René Dupont"


def test_unknown_encoding_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", ROWS)
    with pytest.raises(ContactsError, match="unknown encoding 'big-five'"):
        load_contacts([path], encoding="big-five")


def test_wrong_encoding_given(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", ROWS, encoding="big5")
    with pytest.raises(ContactsError) as caught:
        load_contacts([path], encoding="utf-8")
    assert "not valid utf-8" in str(caught.value)
    assert "--encoding" in str(caught.value)


def test_xlsx_with_numbers_dates_and_empty_rows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "list.xlsx",
        [
            [None, None, None],
            ["E-mail Address", "Full Name", "Phone", "Added", "Score"],
            ["amy.chan@harbourdaily.example", "Amy Chan", 85221234567, dt.datetime(2026, 9, 14), 2.5],
            [None, None, None],
            [
                "wong.ka-ming@mingpoint.example",
                "黃嘉明",
                85291234567.0,
                dt.datetime(2026, 9, 14, 10, 30),
                True,
            ],
        ],
    )
    result = load_contacts([path])
    assert [(c.email, c.name, c.source) for c in result.selected] == [
        ("amy.chan@harbourdaily.example", "Amy Chan", "list.xlsx:3"),
        ("wong.ka-ming@mingpoint.example", "黃嘉明", "list.xlsx:5"),
    ]
    amy, wong = (dict(c.fields) for c in result.selected)
    assert (amy["phone"], amy["added"], amy["score"]) == ("85221234567", "2026-09-14", "2.5")
    assert (wong["phone"], wong["added"], wong["score"]) == ("85291234567", "2026-09-14 10:30", "TRUE")
    assert result.fields == {"email", "name", "phone", "added", "score"}


def test_not_an_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    path.write_text("Email\namy@x.example\n")
    with pytest.raises(ContactsError, match=r"not a readable \.xlsx workbook"):
        load_contacts([path])


def test_old_xls_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "list.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ContactsError) as caught:
        load_contacts([path])
    assert "Save the sheet as .xlsx" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ContactsError, match="file not found"):
        load_contacts([tmp_path / "nope.csv"])


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(codecs.BOM_UTF8 + b"\r\n")
    with pytest.raises(ContactsError, match="the list is empty"):
        load_contacts([path])


def test_missing_email_column_names_file_and_columns(tmp_path: Path) -> None:
    good = write_csv(tmp_path / "good.csv", ROWS)
    bad = write_csv(tmp_path / "bad.csv", [["Amy", "Harbour Daily"]], header=["Name", "Outlet"])
    with pytest.raises(ContactsError) as caught:
        load_contacts([good, bad])
    assert caught.value.where == f"{bad}:1"
    assert caught.value.what == "no email column (the columns are: 'Name', 'Outlet')"


def test_column_names_ignore_case_spaces_hyphens_underscores(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        [["amy@x.example", "Amy", "Chan", "HK"]],
        header=["  E-MAIL ", "first-name", "LastName", "Home_Region"],
    )
    contact = load_contacts([path]).selected[0]
    assert dict(contact.fields) == {
        "email": "amy@x.example",
        "first_name": "Amy",
        "last_name": "Chan",
        "home_region": "HK",
        "name": "Amy Chan",
    }


@pytest.mark.parametrize("header", ["Email", "e-mail", "Email Address", "mail", "E-mail 1 - Value", "電郵"])
def test_email_column_aliases(tmp_path: Path, header: str) -> None:
    path = write_csv(tmp_path / "list.csv", [["amy@x.example"]], header=[header])
    assert [c.email for c in load_contacts([path]).selected] == ["amy@x.example"]


def test_duplicate_column_names_are_an_error(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv", [["a@x.example", "b", "c"]], header=["Email", "First Name", "first_name"]
    )
    with pytest.raises(ContactsError, match="two columns are both 'first_name'"):
        load_contacts([path])


def test_short_and_long_rows(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("Email,Name,Outlet\namy@x.example\nbob@x.example,Bob,Paper,extra,cells\n")
    result = load_contacts([path])
    assert [(c.email, c.fields["outlet"]) for c in result.selected] == [
        ("amy@x.example", ""),
        ("bob@x.example", "Paper"),
    ]


def test_unterminated_quote_is_still_read_to_the_end(tmp_path: Path) -> None:
    # The csv module reads an unterminated quote to the end of the file: the row is then invalid.
    path = tmp_path / "list.csv"
    path.write_text('Email,Name\namy@x.example,"Amy\nbob@x.example,Bob\n')
    result = load_contacts([path])
    assert [c.email for c in result.selected] == ["amy@x.example"]


def test_delimiter_tie_in_header_is_settled_by_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "Email;Name,Title\r\namy@x.example;Amy Chan, PhD\r\nbob@x.example;Bob\r\n", encoding="utf-8"
    )
    result = load_contacts([path])
    assert [(c.email, c.fields["name_title"]) for c in result.selected] == [
        ("amy@x.example", "Amy Chan, PhD"),
        ("bob@x.example", "Bob"),
    ]


def test_old_mac_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"Email,Name\ramy@x.example,Amy\rbob@x.example,Bob\r")
    assert [c.name for c in load_contacts([path]).selected] == ["Amy", "Bob"]


def test_cells_without_a_header_are_ignored_with_one_warning_per_column(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("Email,,Name,\namy@x.example,note,Amy,\nbob@x.example,,Bob,,late\n", encoding="utf-8")
    result = load_contacts([path])
    assert [dict(c.fields) for c in result.selected] == [
        {"email": "amy@x.example", "name": "Amy"},
        {"email": "bob@x.example", "name": "Bob"},
    ]
    assert [(w.row, w.column, w.reason) for w in result.warnings] == [
        (1, "#2", "column 2 has values but no header; they are ignored"),
        (1, "#5", "column 5 has values but no header; they are ignored"),
    ]


def test_xlsx_cells_with_line_breaks_and_formulas(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "list.xlsx",
        [
            ["Email", "Name", "Outlet"],
            ["amy@x.example", "Amy\r\nBcc: x@evil.test", '=HYPERLINK("http://evil.test","Click")'],
            ["bob@x.example\nBcc: x@evil.test", "Bob", "Wire"],
        ],
    )
    result = load_contacts([path])
    # a formula has no cached value until Excel saves the file: data_only reads it as empty
    assert [(c.email, c.name, c.fields["outlet"]) for c in result.selected] == [("amy@x.example", "", "")]
    assert [(p.row, p.reason) for p in result.invalid] == [(3, "the address contains a line break (U+000A)")]
