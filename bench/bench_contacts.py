"""How long reading and cleaning a big contact list takes (issue 3 items 1-4).

Run: ``.venv/bin/python bench/bench_contacts.py [--rows N] [--profile] [--cpu]``. Writes a list of N journalists
(one in ten Chinese, 2 % invalid, 3 % duplicates, one suppressed domain) as CSV UTF-8, UTF-16 "Unicode
Text" and .xlsx, then times ``load_contacts`` on each with a ``--where`` and language routing, best of 3.
"""

from __future__ import annotations

import argparse
import codecs
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from pressctl.contacts.load import load_contacts

HEADER = ["Email", "Name", "First Name", "Last Name", "Outlet", "Beat", "Language"]
BEATS = ["technology", "science", "business", "general"]


def rows(count: int) -> list[list[str]]:
    out = []
    for i in range(count):
        if i % 50 == 7:
            email = f"broken{i}.example"  # invalid: no @
        elif i % 33 == 5:
            email = f"Journalist{i - 1}@Outlet{(i - 1) % 97}.example"  # a duplicate, other case
        elif i % 211 == 3:
            email = f"desk{i}@metroweekly.test"  # suppressed by domain
        else:
            email = f"journalist{i}@outlet{i % 97}.example"
        if i % 10 == 0:
            row = [email, "", "嘉明", "黃", "明點日報", "科技", "zh-HK"]
        else:
            row = [email, "", f"Amy{i}", "Chan", f"Outlet {i % 97}", BEATS[i % 4], "en"]
        out.append(row)
    return out


def write_all(folder: Path, data: list[list[str]]) -> dict[str, Path]:
    text = "\r\n".join(",".join(r) for r in [HEADER, *data]) + "\r\n"
    csv_path = folder / "list.csv"
    csv_path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    tsv = "\r\n".join("\t".join(r) for r in [HEADER, *data]) + "\r\n"
    utf16_path = folder / "list.txt"
    utf16_path.write_bytes(codecs.BOM_UTF16_LE + tsv.encode("utf-16-le"))
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for r in data:
        sheet.append(r)
    xlsx_path = folder / "list.xlsx"
    book.save(xlsx_path)
    return {"csv utf-8": csv_path, "utf-16 tsv": utf16_path, "xlsx": xlsx_path}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--cpu", action="store_true", help="this process's CPU time, not the wall clock")
    args = parser.parse_args()
    clock = time.process_time if args.cpu else time.perf_counter
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        suppressed = folder / "suppressed.csv"
        suppressed.write_text("email\n@metroweekly.test\n")
        files = write_all(folder, rows(args.rows))
        for label, path in files.items():
            best = float("inf")
            result = None
            for _ in range(3):
                start = clock()
                result = load_contacts(
                    [path],
                    where=["beat!=general"],
                    suppress=[suppressed],
                    languages=["en", "zh-HK"],
                )
                best = min(best, clock() - start)
            assert result is not None
            print(
                f"{label:11s} {args.rows} rows: {best:.3f} s ({best / args.rows * 1e6:.0f} µs/row); "
                f"selected {len(result.selected)}, invalid {len(result.invalid)}, "
                f"duplicates {len(result.duplicates)}, suppressed {len(result.suppressed)}, "
                f"excluded {result.excluded}"
            )
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            load_contacts([files["csv utf-8"]], languages=["en", "zh-HK"])
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(15)


if __name__ == "__main__":
    main()
