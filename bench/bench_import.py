"""How long the Word import, the OpenCC draft and the version check take (issue 20).

Run: ``.venv/bin/python bench/bench_import.py [--runs N]``. Makes a sample workspace with ``pressctl init``
in a temporary folder, then measures (median and best of N), in one process:
  - ``import_docx`` of the sample's English .docx (mammoth, python-docx sizes, photo saved, file written and
    loaded back), and of its Chinese .docx as the translation;
  - ``translate_release`` to zh-CN (OpenCC hk2s, with the per-character pass that finds phrase changes);
  - ``differences`` on the sample's two versions: the check every send, dry run and render now runs;
  - ``init_workspace`` (it now builds two .docx files with python-docx).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pressctl.config import load_workspace
from pressctl.importer.run import import_docx
from pressctl.release.load import load_release_set
from pressctl.scaffold import init_workspace
from pressctl.versions.agreement import differences
from pressctl.versions.translate import translate_release


def _time(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    try:
        counter = iter(range(10_000))

        def fresh() -> Path:
            root = tmp / f"ws{next(counter)}"
            init_workspace(root)
            return root

        rows: list[tuple[str, tuple[float, float]]] = [("init_workspace (with two .docx)", _time(fresh, runs))]
        root = fresh()
        ws = load_workspace(root)
        docx_en, docx_zh = root / "releases" / "test-bay.docx", root / "releases" / "test-bay.zh-HK.docx"
        rows.append(("import English .docx", _time(lambda: import_docx(docx_en, ws, force=True), runs)))
        main_path = root / "releases" / "test-bay.md"
        rows.append((
            "import Chinese .docx as translation",
            _time(lambda: import_docx(docx_zh, ws, translation_of=main_path, force=True), runs),
        ))
        sample = root / "releases" / "sample.md"
        rows.append(("translate --to zh-CN (hk2s)", _time(lambda: translate_release(sample, ws, to="zh-CN", force=True), runs)))
        releases = load_release_set(sample, ws)
        rows.append((f"differences, {len(releases)} versions", _time(lambda: differences(releases), runs)))
        for name, (median, best) in rows:
            print(f"{name:40} median {median * 1000:8.1f} ms   best {best * 1000:8.1f} ms")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
