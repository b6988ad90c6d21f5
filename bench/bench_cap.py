"""What taking a daily cap's room in the hand-over's own transaction costs (``ledger.recipients.mark_sending(cap=...)``).

    .venv/bin/python bench/bench_cap.py [--handovers 10000]

Marks ``--handovers`` rows as ``sending`` with no cap, then as many more with a cap of 100,000 (so the
rolling window holds 10,000-20,000 hand-overs of the account, as a busy Microsoft 365 mailbox does), and prints
the time per hand-over. Each with a cap runs ``BEGIN IMMEDIATE``, reads the table's last rowid, counts the
window only when it could be full, then the conditional update and its trigger.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pressctl.ledger import Ledger
from pressctl.ledger.records import RecipientRow

RELAY = "smtp://press@relay.example:587"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--handovers", type=int, default=10_000)
    n = parser.parse_args().handovers
    with tempfile.TemporaryDirectory() as tmp, Ledger(Path(tmp) / "ledger.sqlite3") as ledger:
        campaign = ledger.campaigns.create(fingerprint="f", release_path="/r.md", slug="r", title="R", lists=[], options={})
        ledger.recipients.add(campaign.id, (RecipientRow(key=f"r{i}@x.example", email=f"r{i}@x.example") for i in range(2 * n)))
        ledger.caps.set_campaign_relay(campaign.id, RELAY)
        for label, cap, start in (("no cap", None, 0), ("cap 100,000", 100_000, n)):
            began = time.perf_counter()
            for i in range(start, start + n):
                ledger.recipients.mark_sending(campaign.id, f"r{i}@x.example", f"<{i}@x>", relay=RELAY, cap=cap)
            per = (time.perf_counter() - began) / n
            print(f"{label:<12} {per * 1e3:.3f} ms per hand-over ({1 / per:,.0f}/s)")


if __name__ == "__main__":
    main()
