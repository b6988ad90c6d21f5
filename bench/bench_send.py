"""Sending benchmarks (issue 4 item 7): whole ``pressctl send`` commands against Postfix's smtp-sink.

Run (as root, Debian ``postfix`` installed; mailmerge in a separate venv, not a project dependency)::

    python3 -m venv /tmp/venv-mm && /tmp/venv-mm/bin/pip install mailmerge
    .venv/bin/python bench/bench_send.py throughput --count 3000 --mailmerge /tmp/venv-mm/bin/mailmerge --smtp-source
    .venv/bin/python bench/bench_send.py slow-relay --count 40 --concurrency 10
    .venv/bin/python bench/bench_send.py scale --count 100000
    .venv/bin/python bench/bench_send.py profile --count 3000      # cProfile of the send, in-process

- throughput: N recipients, no rate limit, to ``smtp-sink -u nobody 127.0.0.1:PORT 1000``; wall time of the
  whole ``pressctl send`` command (start-up, reading the list, rendering EN + zh-HK with photo and PDF,
  sending, ledger) versus mailmerge sending the same recipients a plain-text message; with --smtp-source,
  also Postfix's smtp-source sending as many messages of pressctl's mean size over as many connections
  (the wire limit for the same bytes).
- slow-relay: ``smtp-sink -w 1`` answers each message after 1 s; N messages at --concurrency K.
- scale: peak RSS (``/usr/bin/time -v`` equivalent via ``resource``) and time at N recipients.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import os
import pstats
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRESSCTL = str(Path(sys.executable).parent / "pressctl")
SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def smtp_sink(*extra: str, backlog: int = 1000) -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen(
        [SMTP_SINK, "-u", "nobody", *extra, f"127.0.0.1:{port}", str(backlog)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            time.sleep(0.02)
        yield port
    finally:
        proc.terminate()
        proc.wait(5)


LITE_RELEASE = """\
---
title: Harbourview Science Park Names Its First Marine Robotics Fellows
date: 2026-11-20
dateline: Hong Kong
summary: Six early-career engineers join HVSP's new fellowship for underwater robotics.
---
Dear {{ first_name or "editor" }}, six engineers will spend a year building underwater inspection robots in
the park's seawater laboratory, with mentors from three resident companies.

The fellows were chosen from 140 applicants across the region. Each receives a stipend, bench space in the
marine robotics lab and time on the park's 40-metre test channel.
"""


def workspace(base: Path, count: int, *, pdf: str = "attach", lite: bool = False) -> tuple[Path, Path, Path]:
    """A workspace from ``pressctl init`` whose sample release can go now, and a list of ``count`` contacts.

    ``pdf="link"``: the PDF is linked (published at pdf_base_url) instead of attached. ``lite``: a short
    English release without photo or logo (a ~15 KB message), to see the engine apart from message size.
    """
    from pressctl.scaffold import init_workspace

    ws = base / "ws"
    init_workspace(ws)
    if lite:
        config = ws / "pressctl.toml"
        config.write_text(config.read_text(encoding="utf-8").replace('logo = "brand/logo.png"', ""), encoding="utf-8")
        (ws / "releases" / "lite.md").write_text(LITE_RELEASE, encoding="utf-8")
    if pdf != "attach":
        config = ws / "pressctl.toml"
        text = config.read_text(encoding="utf-8").replace('pdf = "attach"', f'pdf = "{pdf}"')
        text = text.replace("# pdf_base_url =", "pdf_base_url =")
        config.write_text(text, encoding="utf-8")
    for name in ("sample.md", "sample.zh-HK.md"):
        path = ws / "releases" / name
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        path.write_text("".join(line for line in lines if not line.startswith("embargo:")), encoding="utf-8")
    contacts = ws / "contacts" / "bench.csv"
    with contacts.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["email", "name", "first_name", "outlet", "language"])
        for i in range(count):
            if i % 3 == 2:
                writer.writerow([f"reporter{i:06d}@mingpoint.example", f"黃嘉明{i}", "嘉明", "明點日報", "zh-HK"])
            else:
                writer.writerow([f"reporter{i:06d}@harbourdaily.example", f"Amy Chan {i}", "Amy", "Harbour Daily", "en"])
    return ws, ws / "releases" / ("lite.md" if lite else "sample.md"), contacts


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_pressctl(ws: Path, release: Path, contacts: Path, port: int, *extra: str) -> tuple[float, float, str, float]:
    """(wall seconds, peak RSS MB of the child, last stdout line, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    cpu0 = _cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [PRESSCTL, "send", str(release), "-c", str(contacts), "--smtp", f"smtp://127.0.0.1:{port}", "--yes", *extra],
        cwd=ws,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # The sending process's own peak (VmHWM only grows; polled until it exits). ru_maxrss of children
    # would be the largest of the whole tree, including the short-lived PDF renderer.
    hwm = 0
    while proc.poll() is None:
        with contextlib.suppress(OSError, IndexError, ValueError):
            status = Path(f"/proc/{proc.pid}/status").read_text()
            hwm = max(hwm, int(status.split("VmHWM:")[1].split()[0]))
        time.sleep(0.1)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    del before
    if proc.returncode != 0:
        sys.exit(f"pressctl failed ({proc.returncode}):\n{stdout}\n{stderr}")
    return wall, hwm / 1024, stdout.strip().splitlines()[-1], _cpu() - cpu0


def run_mailmerge(mailmerge: str, base: Path, contacts: Path, port: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a mailmerge run."""
    mm = base / "mm"
    mm.mkdir(parents=True)
    (mm / "server.conf").write_text(f"[smtp_server]\nhost = 127.0.0.1\nport = {port}\nratelimit = 0\n")
    (mm / "template.txt").write_text(
        "TO: {{email}}\nSUBJECT: Harbourview Science Park opens its tidal energy test bay\n"
        "FROM: HVSP Press Office <press@hvsp.example>\n\n"
        "Dear {{first_name}},\n\nHarbourview Science Park has opened a seawater test bay for start-ups.\n"
        "The full release is on our website.\n\nHVSP Press Office\n"
    )
    cpu0 = _cpu()
    t0 = time.perf_counter()
    subprocess.run(
        [mailmerge, "--no-limit", "--no-dry-run", "--template", str(mm / "template.txt"), "--database",
         str(contacts), "--config", str(mm / "server.conf"), "--output-format", "raw"],
        cwd=mm, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True,
    )
    return time.perf_counter() - t0, _cpu() - cpu0


def run_smtp_source(port: int, count: int, size: int, sessions: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of Postfix's smtp-source sending ``count`` messages of ``size`` bytes over
    ``sessions`` connections, each kept open (``-d``): the wire limit for the same bytes."""
    cpu0 = _cpu()
    t0 = time.perf_counter()
    subprocess.run(
        [SMTP_SOURCE, "-d", "-s", str(sessions), "-m", str(count), "-l", str(size), "-f", "press@hvsp.example",
         "-t", "reporter@harbourdaily.example", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True,
    )
    return time.perf_counter() - t0, _cpu() - cpu0


def cmd_throughput(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        ws, release, contacts = workspace(base, args.count, pdf=args.pdf, lite=args.lite)
        from pressctl.config import load_workspace
        from pressctl.send.options import SendOptions
        from pressctl.send.plan import plan_send

        plan = plan_send(
            release, [contacts], workspace=load_workspace(ws), options=SendOptions(language=args.lang or None)
        )
        factory = plan.factory("size")
        sizes: dict[str | None, int] = {}
        total = 0
        for c in plan.contacts.selected:
            size = len(factory.build(c).data)
            sizes.setdefault(c.language, size)
            total += size
        mean = total // max(1, len(plan.contacts.selected))
        print(
            f"{args.count} recipients, {'lite EN release' if args.lite else 'sample release with photo'}"
            f"{' (' + args.lang + ' only)' if args.lang else ''}, HTML + text, "
            f"PDF {args.pdf}, smtp-sink, concurrency "
            f"{args.concurrency}; message size " + ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in sizes.items())
        )
        extra = ["--concurrency", str(args.concurrency), "--new-campaign"]
        if args.lang:
            extra += ["--lang", args.lang]
        for attempt in range(args.repeat):
            runs: dict[str, tuple[float, float]] = {}
            # cold: nothing rendered before (the PDF cache emptied); warm: the PDFs of an earlier command
            # (a dry run, a test send, the previous run) are in .pressctl/cache, as after a preview.
            for kind in ("cold", "warm"):
                if kind == "cold":
                    shutil.rmtree(ws / ".pressctl" / "cache", ignore_errors=True)
                with smtp_sink() as port:
                    wall, _rss, last, cpu = run_pressctl(ws, release, contacts, port, *extra)
                runs[kind] = wall, cpu
                print(
                    f"  pressctl {kind} run {attempt + 1}: {wall:6.2f} s wall {args.count / wall:6.0f} msg/s; "
                    f"CPU {cpu:5.2f} s ({last})"
                )
            if args.mailmerge:
                with smtp_sink() as port:
                    mm, mm_cpu = run_mailmerge(args.mailmerge, base / f"r{attempt}", contacts, port)
                print(f"  mailmerge      run {attempt + 1}: {mm:6.2f} s wall {args.count / mm:6.0f} msg/s; CPU {mm_cpu:5.2f} s")
                for kind, (wall, cpu) in runs.items():
                    print(f"  ratio pressctl {kind}/mailmerge msg/s: wall {mm / wall:.2f}x, CPU {mm_cpu / cpu:.2f}x")
            if args.smtp_source:
                with smtp_sink() as port:
                    src, src_cpu = run_smtp_source(port, args.count, mean, args.concurrency)
                print(
                    f"  smtp-source    run {attempt + 1}: {src:6.2f} s wall {args.count / src:6.0f} msg/s; "
                    f"CPU {src_cpu:5.2f} s ({args.count} x {mean} bytes, {args.concurrency} sessions)"
                )
                for kind, (wall, _cpu_s) in runs.items():
                    print(f"  ratio pressctl {kind}/smtp-source msg/s: {src / wall:.2f}")


def cmd_slow_relay(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws, release, contacts = workspace(Path(tmp), args.count, pdf=args.pdf, lite=args.lite)
        with smtp_sink("-w", "1") as port:
            wall, _, last, _cpu_s = run_pressctl(ws, release, contacts, port, "--concurrency", str(args.concurrency))
        print(f"{args.count} messages, relay answers after 1 s, --concurrency {args.concurrency}: {wall:.2f} s ({last})")


def cmd_scale(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws, release, contacts = workspace(Path(tmp), args.count, pdf=args.pdf, lite=args.lite)
        with smtp_sink() as port:
            wall, rss, last, cpu = run_pressctl(ws, release, contacts, port, "--concurrency", str(args.concurrency))
        print(
            f"{args.count} recipients, PDF {args.pdf}: {wall:.1f} s, {args.count / wall:.0f} msg/s, CPU {cpu:.1f} s, "
            f"peak RSS {rss:.0f} MB ({last})"
        )


def cmd_profile(args: argparse.Namespace) -> None:
    from pressctl.config import load_workspace
    from pressctl.ledger import Ledger
    from pressctl.send.options import SendOptions
    from pressctl.send.plan import plan_send
    from pressctl.send.run import run_send
    from pressctl.send.transports import make_transport

    with tempfile.TemporaryDirectory() as tmp:
        ws, release, contacts = workspace(Path(tmp), args.count, pdf=args.pdf, lite=args.lite)
        workspace_ = load_workspace(ws)
        with smtp_sink() as port:
            t0 = time.perf_counter()
            plan = plan_send(
                release, [contacts], workspace=workspace_,
                options=SendOptions(smtp_url=f"smtp://127.0.0.1:{port}", concurrency=args.concurrency),
            )
            t1 = time.perf_counter()
            size = len(plan.factory("x").build(plan.contacts.selected[0]).data)
            profiler = cProfile.Profile()
            with Ledger(workspace_.ledger_path) as ledger:
                profiler.enable()
                result = run_send(plan, ledger=ledger, transport=make_transport(plan))
                profiler.disable()
            t2 = time.perf_counter()
        print(f"plan {t1 - t0:.2f} s; send {t2 - t1:.2f} s = {args.count / (t2 - t1):.0f} msg/s; {result.line()}; "
              f"message {size / 1024:.0f} KB")
        pstats.Stats(profiler).sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(int(os.environ.get("BENCH_ROWS", "18")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name, count in (("throughput", 3000), ("slow-relay", 40), ("scale", 100_000), ("profile", 3000)):
        p = sub.add_parser(name)
        p.add_argument("--count", type=int, default=count)
        p.add_argument("--concurrency", type=int, default=10 if name == "slow-relay" else 4)
        p.add_argument("--pdf", choices=("attach", "link", "both"), default="attach")
        p.add_argument("--lite", action="store_true", help="a short English release, no photo or logo")
        if name == "throughput":
            p.add_argument("--mailmerge", help="path to a mailmerge executable (its own venv)")
            p.add_argument("--repeat", type=int, default=1)
            p.add_argument("--smtp-source", action="store_true", help="also time smtp-source for the same bytes")
            p.add_argument("--lang", default="", help="only this language version (e.g. en: a one-language release)")
    args = parser.parse_args()
    if not shutil.which(SMTP_SINK) and not os.path.exists(SMTP_SINK):
        sys.exit("smtp-sink not found: apt-get install postfix (choose 'No configuration')")
    {"throughput": cmd_throughput, "slow-relay": cmd_slow_relay, "scale": cmd_scale, "profile": cmd_profile}[
        args.cmd
    ](args)


if __name__ == "__main__":
    main()
