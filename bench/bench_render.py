"""How long rendering takes (issue 2 item 7): cold ``pressctl render``, warm in-process renders, ``--help``.

Run: ``.venv/bin/python bench/bench_render.py [--runs N]``. Makes a sample workspace with ``pressctl init``
in a temporary folder, then measures (median and best of N):
  - cold: the whole ``pressctl render releases/sample.md -o out`` command as a subprocess, for English only,
    Chinese only, and both (2 PDFs + 2 HTML + 2 text);
  - warm: in one process after a first render, ``render_email`` and ``render_pdf`` per language;
  - ``pressctl --help`` as a subprocess (WeasyPrint must not be imported for it).
Targets on the 2-core reference machine: a 2–3 page release rendered cold in < 1.5 s, --help in < 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pressctl.config import load_workspace
from pressctl.release.load import load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.email import render_email
from pressctl.render.pdf import render_pdf
from pressctl.scaffold import init_workspace


def pressctl_command() -> list[str]:
    exe = Path(sys.executable).with_name("pressctl")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-c", "from pressctl.cli import main; main()"]


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, float]:
    """Median and best wall time, and the median CPU time (user + sys) of child processes.

    CPU time is the steadier number on a shared, loaded machine: waiting for a core doesn't count.
    """
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), min(times), statistics.median(cpu)


def _page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    runs: int = args.runs

    tmp = Path(tempfile.mkdtemp(prefix="pressctl-bench-"))
    try:
        root = tmp / "ws"
        init_workspace(root)
        cmd = pressctl_command()
        rows: list[tuple[str, float, float, float]] = []

        run([*cmd, "render", "releases/sample.md", "-o", "out"], root)  # warm the OS file cache once
        for label, extra in (("en", ["--lang", "en"]), ("zh-HK", ["--lang", "zh-HK"]), ("en + zh-HK", [])):
            med, best, cpu = timed(
                lambda extra=extra: run([*cmd, "render", "releases/sample.md", "-o", "out", *extra], root),
                runs,
            )
            rows.append((f"cold `pressctl render` {label}", med, best, cpu))
        med, best, cpu = timed(lambda: run([*cmd, "--help"], root), runs)
        rows.append(("`pressctl --help`", med, best, cpu))

        ws = load_workspace(root)
        releases = load_release_set(root / "releases" / "sample.md", ws)
        pages: dict[str, int] = {}
        for release in releases:
            plan = MergePlan()
            pdf = render_pdf(release, ws, plan, embargoed=True)  # first render pays imports and font setup
            pages[release.language] = _page_count(pdf)
            for what, fn in (
                ("render_email", lambda r=release, p=plan: render_email(r, ws, p, embargoed=True)),
                ("render_pdf", lambda r=release, p=plan: render_pdf(r, ws, p, embargoed=True)),
            ):
                med, best, _ = timed(fn, runs)
                rows.append((f"warm {what} {release.language}", med, best, float("nan")))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    load = os.getloadavg()[0]
    print(f"runs: {runs}; python {sys.version.split()[0]}; pages: {pages}; load average {load:.1f}")
    print(f"{'what':<42} {'median':>9} {'best':>9} {'cpu':>9}")
    for label, med, best, cpu in rows:
        cpu_text = "" if cpu != cpu else f"{cpu * 1000:>7.0f}ms"  # NaN: in-process, no child CPU time
        print(f"{label:<42} {med * 1000:>7.0f}ms {best * 1000:>7.0f}ms {cpu_text:>9}")


if __name__ == "__main__":
    main()
