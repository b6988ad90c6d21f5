"""How ``pressctl bounces`` copes with big and hostile mailboxes (issue 17 point 5).

Run: ``.venv/bin/python bench/bench_bounces.py [--messages N]``. Measures, each in a fresh process so peak
memory is that case's own:

* a mailbox of N messages (an mbox; one in a hundred a real DSN for a ledger row, the rest newsletters nobody
  matched) through the real ``pressctl bounces --mbox``: wall time, lines printed, peak RSS;
* one message of 20 MB (a DSN returning a large attachment) through ``parse_message``: time, peak RSS;
* 1,500 nested parts and a ``charset=idna`` part: time to the ``unreadable`` finding;
* the unsubscribe-token map (the HMAC of every known address), built once per run on the first token:
  10,000 and 100,000 addresses.
"""

from __future__ import annotations

import argparse
import mailbox
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PRESSCTL = str(Path(sys.executable).parent / "pressctl")


def _dsn(n: int) -> bytes:
    mid = f"<{n:032x}@hvsp.example>"
    return (
        "From: MAILER-DAEMON@mx.outlet.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <dsn-{n}@mx.outlet.example>\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; journalist{n}@outlet.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {mid}\r\n\r\n--B--\r\n"
    ).encode()


def _newsletter(n: int) -> bytes:
    return (
        f"From: news@tradeweekly.example\r\nSubject: Trade Weekly {n}\r\nMessage-ID: <tw-{n}@tradeweekly.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nThis week in trade: shipping, ports, logistics.\r\n"
    ).encode()


def big_mailbox(root: Path, count: int) -> tuple[Path, float, int, int]:
    from pressctl.ledger import Ledger
    from pressctl.ledger.records import RecipientRow
    from pressctl.scaffold import init_workspace

    ws = root / "ws"
    init_workspace(ws)
    dsns = range(0, count, 100)
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        c = ledger.campaigns.create(fingerprint="f", release_path="r.md", slug="r", title="R", lists=[], options={})
        ledger.recipients.add(c.id, [RecipientRow(key=f"journalist{n}@outlet.example", email=f"journalist{n}@outlet.example") for n in dsns])
        for n in dsns:
            ledger.recipients.mark_sending(c.id, f"journalist{n}@outlet.example", f"<{n:032x}@hvsp.example>")
            ledger.recipients.mark_result(c.id, f"journalist{n}@outlet.example", status="sent", code=250, reply="ok")
    path = root / "big.mbox"
    box = mailbox.mbox(path)
    box.lock()
    for n in range(count):
        box.add(_dsn(n) if n % 100 == 0 else _newsletter(n))
    box.flush()
    box.unlock()
    box.close()
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run([PRESSCTL, "bounces", "--mbox", str(path)], cwd=ws, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert done.returncode == 0, done.stderr
    return path, wall, len(done.stdout.splitlines()), max(rss, before)


_CHILD = r"""
import resource, sys, time
from pressctl.bounces.parse import parse_message
raw = open(sys.argv[1], "rb").read()
start = time.perf_counter()
f = parse_message(raw, max_bytes=int(sys.argv[2]))
took = time.perf_counter() - start
print(f"{f.kind}|{took:.3f}|{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}|{f.reason[:60]}")
"""


def parse_in_child(raw: bytes, root: Path, name: str, max_bytes: int = 25_000_000) -> str:
    path = root / name
    path.write_bytes(raw)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(max_bytes)], capture_output=True, text=True, check=True)
    kind, took, rss, reason = done.stdout.strip().split("|")
    return f"{name}: {kind} in {float(took) * 1000:.0f} ms, peak RSS {rss} MB {('(' + reason + ')') if reason else ''}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path, wall, lines, rss = big_mailbox(root, args.messages)
        print(f"mbox of {args.messages:,} messages ({path.stat().st_size / 1e6:.0f} MB): {wall:.1f} s wall, "
              f"{args.messages / wall:,.0f} msg/s, {lines} lines printed, peak RSS {rss // 1024} MB")
        attachment = os.urandom(15_000_000)
        import base64

        big = _dsn(1).replace(b"--B--", b"--B\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                             + base64.encodebytes(attachment) + b"\r\n--B--")
        print(parse_in_child(big, root, f"dsn-{len(big) / 1e6:.0f}MB.eml"))
        print(parse_in_child(big, root, "dsn-over-limit.eml", max_bytes=10_000_000))
        body = b"Content-Type: text/plain\r\n\r\nunsubscribe\r\n"
        for n in range(1500):
            body = f'Content-Type: multipart/mixed; boundary="n{n}"\r\n\r\n--n{n}\r\n'.encode() + body + f"\r\n--n{n}--\r\n".encode()
        print(parse_in_child(b"Subject: nested\r\nMIME-Version: 1.0\r\n" + body, root, "nested-1500.eml"))
        print(parse_in_child(b"Subject: x\r\nContent-Type: text/plain; charset=idna\r\n\r\nunsubscribe\r\n", root, "idna.eml"))
    from pressctl.contacts.unsubscribe import token_for

    secret = os.urandom(32)
    for count in (10_000, 100_000):
        start = time.perf_counter()
        table = {token_for(f"journalist{n}@outlet{n % 97}.example", secret): n for n in range(count)}
        print(f"token map of {count:,} addresses: {(time.perf_counter() - start) * 1000:.0f} ms ({len(table):,} tokens)")


if __name__ == "__main__":
    main()
