"""Helpers for the contact-list tests: write lists in the encodings and layouts Excel produces."""

from __future__ import annotations

from pathlib import Path

from pressctl.config import Workspace

__all__ = ["HEADER", "workspace", "write_csv", "write_xlsx"]

HEADER = ["Email", "Name", "First Name", "Last Name", "Outlet", "Beat", "Language"]


def write_csv(
    path: Path,
    rows: list[list[str]],
    *,
    header: list[str] | None = HEADER,
    delimiter: str = ",",
    encoding: str = "utf-8",
    newline: str = "\r\n",
    bom: bytes = b"",
) -> Path:
    """Write rows as a delimited file; cells with the delimiter, quotes or line breaks are quoted."""

    def cell(value: str) -> str:
        if any(ch in value for ch in (delimiter, '"', "\r", "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(cell(c) for c in row) for row in ([header] if header else []) + rows]
    path.write_bytes(bom + (newline.join(lines) + newline).encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    """Write rows (header first) into the first sheet of a new workbook."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def workspace(root: Path, *, suppressed: list[str] | None = None) -> Workspace:
    """A bare workspace at ``root``, optionally with a contacts/suppressed.csv."""
    root.mkdir(parents=True, exist_ok=True)
    if suppressed is not None:
        folder = root / "contacts"
        folder.mkdir(exist_ok=True)
        (folder / "suppressed.csv").write_text("email,reason\n" + "".join(f"{s},test\n" for s in suppressed))
    return Workspace(root=root, config_path=None)
