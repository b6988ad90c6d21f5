"""The slow-down controller and the reply table against a real, limited Postfix (issue 11, point 8, before
the send engine is wired to them).

Run as root: ``.venv/bin/python bench/bench_relays_adaptive.py [--messages 60] [--concurrency 4]
[--recover-after 60]``.
Starts its own Postfix (tests/postfix_support.py) limiting a client to 2 connections and 20 messages per
10 s, then sends with K workers, each its own aiosmtplib connection, limited by ``AdaptiveController`` and
reading every refusal with ``classify_reply``: a small model of what ``dispatch`` will do. Prints the time,
the refused attempts by reply, and checks that everyone arrived exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, deque
from pathlib import Path

import aiosmtplib

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from postfix_support import PostfixRelay, _free_port, postfix_unavailable

from pressctl.relays.actions import Action, Outcome, classify
from pressctl.relays.adaptive import AdaptiveConfig, AdaptiveController

SENDER = "press@hvsp.test"


def message(n: int) -> bytes:
    return (
        f"From: <{SENDER}>\r\nTo: <reporter+{n}@hvsp.test>\r\nSubject: HVSP {n}\r\n"
        f"Message-ID: <bench.{n}@hvsp.test>\r\n\r\nThe tidal test bay opens on Monday.\r\n"
    ).encode()


async def run(relay: PostfixRelay, count: int, concurrency: int, recover: float) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    ctl = AdaptiveController(AdaptiveConfig(max_connections=concurrency, recover_after=recover), now=loop.time())
    todo: deque[int] = deque(range(count))
    in_flight = 0
    refused: Counter[str] = Counter()
    next_slot = 0.0

    def throttled(outcome: Outcome) -> None:
        refused[outcome.describe()] += 1
        if outcome.action is Action.SLOW_DOWN:
            ctl.slow_down(loop.time(), outcome.throttles or "both")

    async def pace() -> None:
        nonlocal next_slot
        while True:
            now = loop.time()
            allowed = ctl.allowed(now)
            if allowed.wait_until is not None:
                await asyncio.sleep(allowed.wait_until - now)
                continue
            slot = max(now, next_slot)
            next_slot = slot + allowed.interval
            if slot > now:
                await asyncio.sleep(slot - now)
            return

    async def worker(index: int) -> None:
        nonlocal in_flight
        client: aiosmtplib.SMTP | None = None
        while todo or in_flight:
            if index >= ctl.allowed(loop.time()).connections or not todo:
                if client is not None:
                    await client.quit()
                    client = None
                await asyncio.sleep(0.1)
                continue
            if client is None:
                client = aiosmtplib.SMTP(hostname=relay.host, port=relay.port, start_tls=False,
                                         local_hostname="bench.test")
                try:
                    await client.connect()
                except aiosmtplib.SMTPConnectResponseError as exc:
                    client = None
                    throttled(classify(exc.code, exc.message, stage="connect"))
                    await asyncio.sleep(1.0)
                    continue
            await pace()
            if not todo:
                continue
            n = todo.popleft()
            in_flight += 1
            try:
                await client.sendmail(SENDER, [f"reporter+{n}@hvsp.test"], message(n))
                ctl.ok(loop.time())
            except aiosmtplib.SMTPSenderRefused as exc:
                todo.append(n)  # not charged: the relay throttled us, not this recipient
                throttled(classify(exc.code, exc.message, stage="mail"))
                await client.rset()
            finally:
                in_flight -= 1
        if client is not None:
            await client.quit()

    started = time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    allowed = ctl.allowed(loop.time())
    return {
        "seconds": round(time.monotonic() - started, 1),
        "refused": dict(refused),
        "cuts": ctl.cuts,
        "final": (allowed.connections, allowed.rate),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--recover-after", type=float, default=60.0, help="seconds of clean sending per step up")
    args = parser.parse_args()
    why = postfix_unavailable()
    if why:
        raise SystemExit(f"skipped: {why}")
    root = Path(tempfile.mkdtemp(prefix="pressctl-postfix-"))
    os.chmod(root, 0o755)
    relay = PostfixRelay(root=root, port=_free_port(), mailboxes=("press", "reporter"), settings={
        "smtpd_client_connection_count_limit": "2",
        "smtpd_client_message_rate_limit": "20",
        "anvil_rate_time_unit": "10s",
        "recipient_delimiter": "+",
    })
    try:
        relay.start()
        result = asyncio.run(run(relay, args.messages, args.concurrency, args.recover_after))
        relay.wait_delivered(timeout=60, expect=lambda: len(relay.maildir("reporter")) >= args.messages)
        ids = Counter(m["Message-ID"] for m in relay.messages("reporter"))
        result["delivered"] = len(ids)
        result["duplicates"] = sum(c - 1 for c in ids.values())
        print(result)
    finally:
        relay.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
