"""Read a contact or suppression list as Excel and Google Sheets write it: rows of text cells.

Handles CSV/TSV/TXT in UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode Text"), any
codec named with ``--encoding`` (big5, cp1252, gb18030, shift_jis, ...), a delimiter sniffed from the
header (comma, semicolon, tab; Excel's ``sep=;`` first line too), CRLF line ends and quoted cells with
embedded newlines; and ``.xlsx`` workbooks (first sheet, via openpyxl, imported only when needed).

Nothing here judges the cells: that is ``contacts.py``'s job. Row numbers are what a spreadsheet shows:
the first record is row 1, whether or not it is the header, and skipped empty rows still count.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pressctl.errors import ContactsError
from pressctl.limits import DEFAULT_LIMITS, Limits, limit_error, require_regular_file

__all__ = ["ENCODING_HINT", "Table", "decode_bytes", "read_table", "sniff_delimiter"]

ENCODING_HINT = (
    "name the file's encoding with --encoding, e.g. --encoding big5 (Traditional Chinese Excel), "
    'cp1252 (Western Excel), gb18030 or shift_jis; or save it from Excel as "CSV UTF-8"'
)

_SPREADSHEET_ONLY = {".xls", ".ods", ".numbers", ".xlsb"}
_DELIMITERS = (",", "\t", ";")  # order breaks ties: comma is the most common


@dataclass
class Table:
    """The non-empty rows of one file; the first of them is the header."""

    path: Path
    header: list[str]
    header_row: int
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number, cells)
    blank_rows: int = 0  # fully empty rows after the header, skipped


def _is_utf8_text(data: bytes) -> bool:
    """Whether ``data`` has non-ASCII bytes and all of it is valid UTF-8."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def decode_bytes(data: bytes, *, path: Path, encoding: str | None = None, lenient: bool = False) -> str:
    """The text of a file: a BOM decides when there is one, else ``encoding``, else UTF-8.

    Raises ContactsError naming ``--encoding``, the file, and the line and byte where decoding failed;
    ``lenient`` instead falls back to Latin-1 (for suppression lists: only the ASCII addresses matter).
    """
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise ContactsError(
                f"unknown encoding {encoding!r}",
                hint="use a name Python knows, e.g. utf-8, utf-16, big5, cp1252, gb18030, shift_jis",
            ) from None
    else:
        codec = "utf-8"
    # A BOM is the strongest evidence there is (Excel writes one for "CSV UTF-8" and "Unicode Text"),
    # so it wins even over --encoding.
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        codec = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    elif data.startswith(codecs.BOM_UTF8):
        codec = "utf-8-sig"
    elif encoding is not None and not codec.startswith("utf") and _is_utf8_text(data):
        # --encoding applies to every list of a send; a UTF-8 list among big5 ones would otherwise be
        # decoded as big5 or cp1252 and greet journalists with mojibake. Non-ASCII text in another
        # encoding is practically never valid UTF-8, so valid UTF-8 is the second-strongest evidence.
        codec = "utf-8"
    elif encoding is None and _looks_utf16(data):
        codec = "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        if lenient:
            return data.decode("latin-1").removeprefix("\ufeff")
        line = data[: exc.start].decode(codec, errors="replace").count("\n") + 1
        label = encoding or "UTF-8"
        raise ContactsError(
            f"byte {exc.start} (line {line}) is not valid {label} text",
            where=f"{path}:{line}",
            hint=(
                "check that --encoding names the encoding the file was saved in"
                if encoding
                else ENCODING_HINT
            ),
        ) from None
    except UnicodeError as exc:  # e.g. an odd number of bytes in UTF-16
        raise ContactsError(
            f"cannot be read as {encoding or codec}: {exc}", where=str(path), hint=ENCODING_HINT
        ) from None
    return text.removeprefix("\ufeff")


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: ASCII-heavy text has a NUL in every other byte."""
    sample = data[:400]
    if len(sample) < 4 or len(sample) % 2:
        return False
    return sample[1::2].count(0) > len(sample) * 0.4 or sample[0::2].count(0) > len(sample) * 0.4


def sniff_delimiter(text: str, *, suffix: str = "") -> tuple[str, str]:
    """The delimiter, and the text without an Excel ``sep=X`` line.

    The delimiter most frequent in the header (outside quotes) wins; a header with none of them
    (a one-column list) or a tie looks at the first lines too, then falls back to the file suffix.
    """
    first, _, rest = text.partition("\n")
    if first.rstrip("\r").lower().startswith("sep=") and len(first.rstrip("\r")) == 5:
        # Excel's hint line. Replace it with a blank line so row numbers still match the file.
        return first.rstrip("\r")[4], "\n" + rest
    header = _first_record(text)
    counts = {d: header.count(d) for d in _DELIMITERS}
    top = max(counts.values())
    if top == 0 or list(counts.values()).count(top) > 1:
        # A one-column header, or a tie ("Email;Name,Title"): let the first lines decide.
        sample = "\n".join(text.splitlines()[:20])
        counts = {d: sample.count(d) for d in _DELIMITERS}
    if max(counts.values()) == 0:
        return ("\t" if suffix in (".tsv", ".tab") else ","), text
    best = max(_DELIMITERS, key=lambda d: counts[d])  # max keeps the first of equals
    return best, text


def _first_record(text: str) -> str:
    """The first non-blank record, without quoted parts (a quoted cell may hold a delimiter)."""
    out: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
            continue
        if quoted:
            continue
        if ch in "\r\n":
            if "".join(out).strip():
                break
            out.clear()
            continue
        out.append(ch)
    return "".join(out)


_NEWLINE = re.compile(r"\r\n?|\n")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, as ``io.StringIO(text, newline="")`` gives them.

    Why not StringIO: it copies the text into a 4-bytes-per-character buffer (~28 MB for a 100,000-row
    list with Chinese names) while the rows are being made; slices of the text cost only their own size.
    """
    start = 0
    for match in _NEWLINE.finditer(text):
        end = match.end()
        yield text[start:end]
        start = end
    if start < len(text):
        yield text[start:]


def _check_row(path: Path, number: int, cells: list[str], limits: Limits) -> None:
    if number > limits.list_rows:
        raise limit_error(
            f"the list has more than {limits.list_rows} rows", "list_rows", limits.list_rows,
            where=str(path), cls=ContactsError,
        )
    if len(cells) > limits.row_cells:
        raise limit_error(
            f"row {number} has {len(cells)} cells", "row_cells", limits.row_cells,
            where=f"{path}:{number}", cls=ContactsError,
        )
    for cell in cells:
        if len(cell) > limits.cell_chars:
            raise limit_error(
                f"row {number} has a cell of {len(cell)} characters", "cell_chars", limits.cell_chars,
                where=f"{path}:{number}", cls=ContactsError,
            )


def _read_delimited(
    path: Path, data: bytes, *, encoding: str | None, lenient: bool, limits: Limits = DEFAULT_LIMITS
) -> list[tuple[int, list[str]]]:
    text = decode_bytes(data, path=path, encoding=encoding, lenient=lenient)
    delimiter, text = sniff_delimiter(text, suffix=path.suffix.lower())
    reader = csv.reader(_lines(text), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    number = 0
    try:
        for number, cells in enumerate(reader, start=1):
            _check_row(path, number, cells, limits)
            rows.append((number, cells))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise limit_error(
                f"row {number + 1} has a cell of more than {csv.field_size_limit()} characters",
                "cell_chars", limits.cell_chars, where=f"{path}:{number + 1}", cls=ContactsError,
            ) from None
        raise ContactsError(
            f"cannot be read as a table: {exc}",
            where=f"{path}:{number + 1}",
            hint="check the quotes on that row, or save the sheet again from Excel as CSV",
        ) from None
    return rows


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a person sees (numbers without a stray .0, dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        # Phone numbers and IDs typed as numbers come back as floats: 85221234567.0.
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="minutes" if value.second == 0 else "seconds")
    return str(value)


def _check_xlsx_size(path: Path, limits: Limits) -> None:
    """Refuse a workbook whose parts unpack to more than ``list_bytes`` (a 1 MB file can hold a 1 GB cell)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > limits.list_bytes:
        raise limit_error(
            f"the workbook unpacks to {unpacked} bytes", "list_bytes", limits.list_bytes,
            where=str(path), cls=ContactsError,
        )


def _read_xlsx(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[tuple[int, list[str]]]:
    """The first sheet's rows. openpyxl parses the XML through defusedxml (a dependency): no DTDs,
    no entity expansion (XXE, billion laughs); anything the parser chokes on is one line, not a traceback.
    """
    from openpyxl import load_workbook

    hint = "open it in Excel and save it again as .xlsx, or export it as CSV UTF-8"
    try:
        _check_xlsx_size(path, limits)
        book = load_workbook(path, read_only=True, data_only=True)
    except ContactsError:
        raise
    except OSError:
        raise
    except Exception as exc:  # zip, XML and openpyxl's own errors on a broken or hostile file
        raise ContactsError(f"not a readable .xlsx workbook ({_xml_reason(exc)})", where=str(path), hint=hint) from None
    try:
        if not book.worksheets:
            return []
        sheet = book.worksheets[0]
        # The sheet's <dimension> is the file's claim, not its content: A1:XFD1048576 would pad every
        # row to 16,384 cells. Read the rows as they are.
        reset = getattr(sheet, "reset_dimensions", None)
        if reset is not None:
            reset()
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            cells = [_cell_text(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()
            _check_row(path, number, cells, limits)
            rows.append((number, cells))
        return rows
    except ContactsError:
        raise
    except Exception as exc:  # the sheet's XML is parsed while iterating
        raise ContactsError(f"not a readable .xlsx workbook ({_xml_reason(exc)})", where=str(path), hint=hint) from None
    finally:
        book.close()


def _xml_reason(exc: Exception) -> str:
    name = type(exc).__name__
    if name in ("DTDForbidden", "EntitiesForbidden", "ExternalReferenceForbidden"):
        return "it declares XML entities or a DTD, which a workbook saved by Excel never does"
    if name == "ParseError":
        return f"broken XML: {str(exc)[:120]}"
    return name


def read_table(
    path: Path,
    *,
    encoding: str | None = None,
    lenient: bool = False,
    allow_empty: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Table:
    """Read ``path`` into a Table; raise ContactsError for a missing, unreadable or empty file.

    ``allow_empty`` gives an empty Table (no header) instead of an error; ``lenient``: see decode_bytes.
    Anything but a regular file (a FIFO, /dev/zero) is refused before it is opened; ``limits`` caps the
    file's size, rows, cells and cell length.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in _SPREADSHEET_ONLY:
        raise ContactsError(
            f"{suffix} files cannot be read",
            where=str(path),
            hint="save the sheet as .xlsx, or export it as CSV UTF-8",
        )
    try:
        st = require_regular_file(path, what="list", cls=ContactsError)
        if st.st_size > limits.list_bytes:
            raise limit_error(
                f"the file is {st.st_size} bytes", "list_bytes", limits.list_bytes, where=str(path), cls=ContactsError
            )
        if suffix in (".xlsx", ".xlsm"):
            records = _read_xlsx(path, limits)
        else:
            with path.open("rb") as fh:
                data = fh.read(limits.list_bytes + 1)  # the file may have grown since stat
            if len(data) > limits.list_bytes:
                raise limit_error(
                    "the file is too large", "list_bytes", limits.list_bytes, where=str(path), cls=ContactsError
                )
            records = _read_delimited(path, data, encoding=encoding, lenient=lenient, limits=limits)
    except FileNotFoundError:
        raise ContactsError("file not found", where=str(path), hint="check the path") from None
    except IsADirectoryError:
        raise ContactsError(
            "is a folder, not a list", where=str(path), hint="name a .csv or .xlsx file"
        ) from None
    except PermissionError:
        raise ContactsError(
            "permission denied", where=str(path), hint="check the file's permissions"
        ) from None
    except OSError as exc:  # an I/O error, a device, a vanished network drive
        raise ContactsError(
            f"cannot read the file ({exc.strerror or type(exc).__name__})",
            where=str(path),
            hint="copy the list to a local folder and try again",
        ) from None

    table: Table | None = None
    for number, cells in records:
        if not any(c.strip() for c in cells):
            if table is not None:
                table.blank_rows += 1
            continue
        if table is None:
            table = Table(path=path, header=cells, header_row=number)
        else:
            table.rows.append((number, cells))
    if table is not None and len(table.header) > limits.list_columns:
        raise limit_error(
            f"the header has {len(table.header)} columns", "list_columns", limits.list_columns,
            where=f"{path}:{table.header_row}", cls=ContactsError,
        )
    if table is None and allow_empty:
        return Table(path=path, header=[], header_row=0)
    if table is None:
        raise ContactsError(
            "the list is empty", where=str(path), hint="the first row must name the columns, e.g. Email,Name"
        )
    return table
