"""How soon an edit shows in ``pressctl preview`` (issue 23): the time from saving the release to the open
page showing the new words in its plain text, its email and its PDF page images.

Run: ``.venv/bin/python bench/bench_preview.py [--runs N]``. Makes a sample workspace with ``pressctl init``,
starts a real ``pressctl preview --port 0``, opens it in headless Chromium (the tests' DevTools driver,
``tests/site_support.py``), then changes the English title N times and reports, per part, the median and the
worst time until the page shows it (no reload). Also the build alone, in process: the quick render (words,
the PDF's pages kept) and the complete one (a new PDF and its page images). Target: everything within 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from preview_support import page_state, running_preview
from site_support import browser

from pressctl.config import load_workspace
from pressctl.preview.build import PdfMemo, build_preview
from pressctl.scaffold import init_workspace

TITLE = "Harbourview Science Park Opens Tidal Energy Test Bay for Start-ups"


def _in_process(root: Path, runs: int) -> None:
    release = (root / "releases" / "sample.md").resolve()
    memo: PdfMemo = {}

    def build(previous=None):  # type: ignore[no-untyped-def]
        return build_preview(release, load_workspace=lambda: load_workspace(root), now=dt.datetime.now(dt.UTC),
                             memo=memo, previous=previous)

    shown = build()
    quick, full = [], []
    text = release.read_text("utf-8")
    for n in range(runs):
        release.write_text(text.replace(TITLE, f"Tidal Bay, take {n}", 1), "utf-8")
        started = time.perf_counter()
        first = build(shown)
        quick.append(time.perf_counter() - started)
        started = time.perf_counter()
        shown = first.finish() if first.finish else first
        full.append(time.perf_counter() - started)
    release.write_text(text, "utf-8")
    print(f"build, words first:   median {statistics.median(quick):.2f} s, worst {max(quick):.2f} s")
    print(f"build, then the PDF:  median {statistics.median(full):.2f} s, worst {max(full):.2f} s")


def _in_browser(root: Path, runs: int) -> None:
    release = root / "releases" / "sample.md"
    seen: dict[str, list[float]] = {"text": [], "email": [], "pdf": []}
    with browser() as chrome, running_preview(root) as (_proc, url):
        chrome.viewport(1280)
        chrome.load(url)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(
            v["email"] and v["pdfLoaded"] for v in page_state(chrome)["languages"].values()
        ):
            time.sleep(0.05)
        current = TITLE
        for n in range(runs):
            new = f"Tidal Bay, edit {n}"
            release.write_text(release.read_text("utf-8").replace(current, new, 1), "utf-8")
            current = new
            started = time.monotonic()
            got: dict[str, float] = {}
            while time.monotonic() - started < 15 and len(got) < 3:
                en = page_state(chrome)["languages"]["en"]
                for part in seen:
                    if part not in got and new in en[part] and (part != "pdf" or en["pdfLoaded"]):
                        got[part] = time.monotonic() - started
                time.sleep(0.02)
            for part, took in got.items():
                seen[part].append(took)
            time.sleep(0.5)
    for part, times in seen.items():
        if times:
            print(f"page shows the {part:<5}: median {statistics.median(times):.2f} s, worst {max(times):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "ws"
        init_workspace(root)
        _in_process(root, args.runs)
        _in_browser(root, args.runs)


if __name__ == "__main__":
    main()
