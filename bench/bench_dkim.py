"""The cost of DKIM signing (issue 21): per message in-process, and whole ``pressctl send`` commands.

Run (as root, Debian ``postfix`` installed for smtp-sink)::

    .venv/bin/python bench/bench_dkim.py messages --count 3000           # CPU per message, build vs build + sign
    .venv/bin/python bench/bench_dkim.py send --count 3000 --repeat 3    # pressctl send to smtp-sink, signed or not

- messages: ``MessageFactory.build`` for every contact of the sample release (EN + zh-HK, photo, PDF attached;
  ``--pdf link`` or ``--lite`` for smaller messages), without a key and with RSA-2048, RSA-1024 and Ed25519
  keys; the process's CPU time, best of 3 passes. dkimpy's own ``dkim.sign`` for 30 messages, for reference.
- send: ``bench_send.py``'s throughput run (cold PDF cache emptied, ``--new-campaign``), alternating an
  unsigned and a signed run so both see the same machine; wall and CPU seconds of the ``pressctl`` process.
  ``--relay postfix``: to a real Postfix smarthost (tests/postfix_support.py) that takes each message into
  its queue and discards it, instead of smtp-sink.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_send import run_pressctl, smtp_sink, workspace


def _sign_config(ws: Path, algorithm: str, bits: int = 2048) -> None:
    from pressctl.config import load_workspace
    from pressctl.dkim.keys import generate

    selector = f"bench-{algorithm}-{bits}"
    found = ws / ".pressctl" / "dkim" / f"{selector}.pem"
    path = found if found.exists() else generate(load_workspace(ws), selector=selector, algorithm=algorithm, bits=bits).path
    config = ws / "pressctl.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("[sender]\n") + len("[sender]\n")
    lines = [line for line in text[start:].split("\n") if not line.startswith("dkim_")]
    text = text[:start] + f'dkim_key_file = "{path}"\ndkim_selector = "{selector}"\n' + "\n".join(lines)
    config.write_text(text, encoding="utf-8")


def _unsigned(ws: Path) -> None:
    config = ws / "pressctl.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text("\n".join(line for line in text.split("\n") if not line.startswith("dkim_")), encoding="utf-8")


def _cpu_per_message(ws: Path, release: Path, contacts: Path) -> tuple[float, int]:
    from pressctl.config import load_workspace
    from pressctl.send.options import SendOptions
    from pressctl.send.plan import plan_send

    plan = plan_send(release, [contacts], workspace=load_workspace(ws), options=SendOptions())
    factory = plan.factory("bench", wire=True)
    people = plan.contacts.selected
    best = float("inf")
    size = 0
    for _ in range(3):
        t0 = time.process_time()
        for contact in people:
            size = len(factory.build(contact).data)
        best = min(best, time.process_time() - t0)
    return best / len(people) * 1e6, size


def cmd_messages(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws, release, contacts = workspace(Path(tmp), args.count, pdf=args.pdf, lite=args.lite)
        print(f"{args.count} messages, {'lite' if args.lite else 'sample'} release, PDF {args.pdf}; CPU per message, best of 3")
        _unsigned(ws)
        base, size = _cpu_per_message(ws, release, contacts)
        print(f"  unsigned           {base:7.1f} us  (last message {size / 1024:.0f} KB)")
        for algorithm, bits in (("rsa", 2048), ("rsa", 1024), ("ed25519", 0)):
            _sign_config(ws, algorithm, bits or 2048)
            signed, _ = _cpu_per_message(ws, release, contacts)
            name = f"{algorithm}-{bits}" if bits else algorithm
            print(f"  signed {name:<11} {signed:7.1f} us  (+{signed - base:6.1f} us, +{(signed - base) / base * 100:4.0f} %)")
        import dkim

        from pressctl.config import load_workspace
        from pressctl.send.options import SendOptions
        from pressctl.send.plan import plan_send

        _sign_config(ws, "rsa", 2048)
        plan = plan_send(release, [contacts], workspace=load_workspace(ws), options=SendOptions())
        _unsigned(ws)
        factory = plan.factory("bench")
        key = next((ws / ".pressctl" / "dkim").glob("bench-rsa-2048*.pem")).read_bytes()
        data = [bytes(factory.build(c).data) for c in plan.contacts.selected[:30]]
        t0 = time.process_time()
        for message in data:
            dkim.sign(message, b"bench", b"hvsp.example", key, canonicalize=(b"relaxed", b"relaxed"))
        print(f"  dkimpy rsa-2048    {(time.process_time() - t0) / len(data) * 1e6:7.1f} us for the signature alone")


def cmd_send(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws, release, contacts = workspace(Path(tmp), args.count, pdf=args.pdf, lite=args.lite)
        _sign_config(ws, args.algorithm, args.bits)
        signed_config = (ws / "pressctl.toml").read_text(encoding="utf-8")
        _unsigned(ws)
        unsigned_config = (ws / "pressctl.toml").read_text(encoding="utf-8")
        print(f"{args.count} recipients, PDF {args.pdf}{' lite' if args.lite else ''}, {args.relay}; {args.algorithm} {args.bits if args.algorithm == 'rsa' else ''}")
        for attempt in range(args.repeat):
            for kind, config in (("unsigned", unsigned_config), ("signed", signed_config)):
                (ws / "pressctl.toml").write_text(config, encoding="utf-8")
                with _relay(args.relay) as port:
                    wall, _rss, last, cpu = run_pressctl(ws, release, contacts, port, "--new-campaign", "--concurrency", "4")
                print(f"  {kind:<8} run {attempt + 1}: {wall:6.2f} s wall ({args.count / wall:5.0f} msg/s), CPU {cpu:5.2f} s ({last})")
        print(f"  load average {os.getloadavg()[0]:.1f}")


@contextlib.contextmanager
def _relay(kind: str) -> Iterator[int]:
    """The port of the relay the sends go to: smtp-sink (it takes and forgets: the upper bound), or a real
    Postfix smarthost (the relay pressctl signs for: it takes each message into its queue, as it would to
    pass it on, then discards it instead of delivering)."""
    if kind == "sink":
        with smtp_sink() as port:
            yield port
        return
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from postfix_support import PostfixRelay, _free_port, postfix_unavailable

    why = postfix_unavailable()
    if why:
        sys.exit(why)
    root = Path(tempfile.mkdtemp(prefix="pressctl-bench-postfix-"))
    os.chmod(root, 0o755)
    settings = {"mynetworks": "127.0.0.0/8", "default_transport": "discard:", "virtual_transport": "discard:",
                "relay_transport": "discard:", "smtpd_client_connection_count_limit": "0"}
    relay = PostfixRelay(root=root, port=_free_port(), settings=settings).start()
    try:
        yield relay.port
    finally:
        relay.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name in ("messages", "send"):
        p = sub.add_parser(name)
        p.add_argument("--count", type=int, default=3000)
        p.add_argument("--pdf", choices=("attach", "link", "both"), default="attach")
        p.add_argument("--lite", action="store_true")
        if name == "send":
            p.add_argument("--repeat", type=int, default=2)
            p.add_argument("--algorithm", choices=("rsa", "ed25519"), default="rsa")
            p.add_argument("--bits", type=int, default=2048)
            p.add_argument("--relay", choices=("sink", "postfix"), default="sink",
                           help="smtp-sink (the upper bound), or a real Postfix smarthost taking each message into its queue")
    args = parser.parse_args()
    {"messages": cmd_messages, "send": cmd_send}[args.cmd](args)


if __name__ == "__main__":
    main()
