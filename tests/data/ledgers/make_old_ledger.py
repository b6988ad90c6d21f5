"""Make a ledger as an older pressctl leaves it: its own commands (init, suppress add, send to the outbox,
schedule), then its own library for what a command cannot make without a mailbox or a relay (a bounce, a
soft bounce, a note, a relayed campaign killed with a row in flight, a release lock, a held job). Prints the
ledger as SQL (sqlite3's iterdump, after its user_version) on stdout.

Run it with that pressctl first on the path, from a copy of its commit (how tests/data/ledgers/*.sql were
made; tests/test_ledger_migrations.py opens each with today's pressctl)::

    mkdir /tmp/old && git archive 65888d5 | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old .venv/bin/python tests/data/ledgers/make_old_ledger.py > tests/data/ledgers/65888d5.sql
"""
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

RELEASE = """---
title: Harbourview Science Park opens its tidal test bay
date: 2026-11-20
dateline: Hong Kong
summary: A seawater bay for start-ups testing tidal turbines.
---
Dear {{ first_name or "editor" }}, the park's new tidal test bay opens to start-ups this month.
"""

CONTACTS = """email,name,first_name,language
ada@harbourdaily.example,Ada Wong,Ada,en
ben@mingpoint.example,Ben Chan,Ben,en
cat@techweekly.example,Cat Lee,Cat,en
"""


def cli(ws, *args):
    env = {**os.environ, "PRESSCTL_NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-c", "from pressctl.cli import main; main()", *args], cwd=ws,
                          capture_output=True, text=True, env=env)
    if done.returncode not in (0, 1):
        sys.exit(f"pressctl {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


with tempfile.TemporaryDirectory() as tmp:
    ws = Path(tmp) / "ws"
    cli(tmp, "init", str(ws))
    (ws / "releases" / "tidal.md").write_text(RELEASE, encoding="utf-8")
    (ws / "contacts" / "press.csv").write_text(CONTACTS, encoding="utf-8")
    cli(ws, "suppress", "add", "cat@techweekly.example", "--reason", "asked by phone")
    cli(ws, "send", "releases/tidal.md", "-c", "contacts/press.csv", "--yes")
    cli(ws, "schedule", "releases/tidal.md", "-c", "contacts/press.csv", "--at", "2031-03-12 10:00")
    ledger_path = ws / ".pressctl" / "ledger.sqlite3"

    from pressctl.ledger import Ledger, ResponseUpdate  # the old pressctl's own library

    with Ledger(ledger_path) as ledger:
        (campaign,) = ledger.campaigns()
        ben = ledger.record(campaign.id, "ben@mingpoint.example")
        ledger.apply_responses(
            [ResponseUpdate(campaign.id, ben.key, "bounced", "bounced", "5.1.1", "550 5.1.1 no such user")],
            [],
            ("<dsn-1@mx.mingpoint.example>", "bounce", "mbox:bounces#1", "bounced"),
        )
        ledger.apply_responses(
            [], [("ada@harbourdaily.example", dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC), "4.2.2", "<dsn-2@x>")],
            ("<dsn-2@x>", "soft-bounce", "mbox:bounces#2", "soft bounce"),
        )
        try:
            from pressctl.bounces.notes import Note, record_notes
        except ImportError:
            pass  # before the notes
        else:
            record_notes(ledger.conn, [Note("<req-1@reader.example>", "unconfirmed-unsubscribe", "mbox:bounces#3",
                                            sender="reader@reader.example", subject="unsubscribe",
                                            detail="please take me off")], now=dt.datetime(2026, 11, 22, tzinfo=dt.UTC))
    with Ledger(ledger_path) as ledger:  # a campaign through a relay, killed mid-run: a row left 'sending'
        relay = "smtp://press@mail.hvsp.example:587"
        second = ledger.create_campaign(fingerprint="relayed", release_path=str(ws / "releases" / "tidal.md"),
                                        slug="tidal", title="Harbourview Science Park opens its tidal test bay",
                                        lists=["contacts/press.csv"], options={"smtp_url": relay})
        from pressctl.ledger import RecipientRow

        keys = ["dan@harbourdaily.example", "eve@mingpoint.example"]
        ledger.add_recipients(second.id, [RecipientRow(key=k, email=k) for k in keys])
        ledger.set_campaign_relay(second.id, relay)
        ledger.mark_sending(second.id, keys[0], "<m-dan@hvsp.example>")
        ledger.mark_result(second.id, keys[0], status="sent", code=250, reply="2.0.0 queued")
        ledger.mark_sending(second.id, keys[1], "<m-eve@hvsp.example>")  # then kill -9
        assert ledger.acquire_release_lock(f"{ws}::tidal", owner="old-host:4242:", purpose="send") is None
    from pressctl.schedule.jobs import JobStore
    from pressctl.schedule.jobs import connect as jobs_connect

    store = JobStore(jobs_connect(ledger_path))
    (job,) = store.all()
    store.claim(job.id, owner="old-host:4243:", lease_seconds=60)
    store.hold(job.id, owner="old-host:4243:", until=dt.datetime(2031, 3, 13, 2, tzinfo=dt.UTC),
               note=f"the daily cap of 2 for {relay} is reached", result="2 sent")
    store.conn.close()
    db = sqlite3.connect(ledger_path)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    print(f"PRAGMA user_version = {version};")
    for line in db.iterdump():
        print(line)
    db.close()
