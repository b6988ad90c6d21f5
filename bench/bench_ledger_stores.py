"""What a hand-over's two ledger writes cost in each store: a SQLite file, and a PostgreSQL 15 started for the
benchmark on 127.0.0.1 (``tests/pg_support.py``).

    .venv/bin/python bench/bench_ledger_stores.py [--handovers 3000]

Per store: ``--handovers`` rows through ``mark_sending`` + ``mark_result`` (the before and after writes of
every message), first without a cap, then with a daily cap (the count and the write in one transaction
under the relay account's lock: ``BEGIN IMMEDIATE`` in SQLite, an advisory lock in PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pg_support import PostgresServer

from pressctl.ledger import Ledger
from pressctl.ledger.records import RecipientRow

RELAY = "smtp://press@relay.example:587"


def _run(where: Path | str, n: int) -> list[tuple[str, float]]:
    found = []
    with Ledger(where) as ledger:
        campaign = ledger.campaigns.create(fingerprint="f", release_path="/r.md", slug="r", title="R", lists=[], options={})
        ledger.recipients.add(campaign.id, (RecipientRow(key=f"r{i}@x.example", email=f"r{i}@x.example") for i in range(2 * n)))
        ledger.caps.set_campaign_relay(campaign.id, RELAY)
        for label, cap, start in (("no cap", None, 0), ("cap 100,000", 100_000, n)):
            began = time.perf_counter()
            for i in range(start, start + n):
                key = f"r{i}@x.example"
                ledger.recipients.mark_sending(campaign.id, key, f"<{i}@x>", relay=RELAY, cap=cap)
                ledger.recipients.mark_result(campaign.id, key, status="sent", code=250, reply="2.0.0 ok")
            found.append((label, (time.perf_counter() - began) / n))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handovers", type=int, default=3000)
    n = parser.parse_args().handovers
    with tempfile.TemporaryDirectory() as tmp:
        results = {"SQLite (WAL, synchronous=NORMAL)": _run(Path(tmp) / "ledger.sqlite3", n)}
    with PostgresServer() as pg:
        os.environ.update(pg.env())
        results["PostgreSQL 15 (127.0.0.1, fsync off)"] = _run(pg.new_database(), n)
    for store, rows in results.items():
        for label, per in rows:
            print(f"{store:<38} {label:<12} {per * 1e3:.3f} ms per message ({1 / per:,.0f}/s)")


if __name__ == "__main__":
    main()
