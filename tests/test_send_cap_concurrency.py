"""A relay account's rolling daily cap holds when several sends run at once (issue 17, point 10): every
hand-over takes its room in the transaction that records it, so two or three real ``pressctl send``
processes of different releases on one account never pass ``--daily-cap`` together."""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
import time
from pathlib import Path

import pytest
from pg_support import ledger_store, postgres
from send_support import PRESSCTL, make_workspace, write_contacts, write_release
from smtp_server import SmtpTestServer

from pressctl.ledger import Ledger
from pressctl.ledger.caps import CapReached
from pressctl.ledger.records import RecipientRow

__all__ = ["ledger_store", "postgres"]  # the fixtures, for pytest

CAP = 30


def _start(args: list[str], ws: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*PRESSCTL, *args], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _sends_together(tmp_path: Path, processes: int, per_list: int) -> tuple[SmtpTestServer, list[tuple[int, str, str]], Path]:
    ws = make_workspace(tmp_path)
    commands = []
    for n in range(processes):
        release = write_release(ws, name=f"release{n}.md")
        lists = write_contacts(ws / "contacts" / f"list{n}.csv", per_list, domain=f"outlet{n}.example")
        commands.append([str(release), "-c", str(lists)])
    server = SmtpTestServer()
    server.start()
    try:
        procs = [
            _start(["send", *cmd, "--smtp", server.url(), "--daily-cap", str(CAP), "--rate", "20/s", "--yes"], ws) for cmd in commands
        ]
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            results.append((proc.returncode, out, err))
    finally:
        server.stop()
    return server, results, ws / ".pressctl" / "ledger.sqlite3"


@pytest.mark.slow
@pytest.mark.parametrize("processes", [2, 3])
def test_sends_started_together_on_one_account_deliver_exactly_the_cap(tmp_path: Path, processes: int) -> None:
    server, results, ledger_path = _sends_together(tmp_path, processes, per_list=25)
    delivered = [m.rcpt for m in server.accepted]
    assert len(delivered) == CAP, [r[1] + r[2] for r in results]
    assert len(set(delivered)) == CAP  # nobody twice
    for _code, _out, err in results:
        assert "Traceback" not in err and "internal error" not in err, err
    with Ledger(ledger_path) as ledger:
        sent = sum(ledger.recipients.totals(c.id)["sent"] for c in ledger.campaigns.all())
        pending = sum(ledger.recipients.totals(c.id)["pending"] for c in ledger.campaigns.all())
        failed = sum(ledger.recipients.totals(c.id)["failed"] for c in ledger.campaigns.all())
    assert sent == CAP and failed == 0  # a recipient refused room stays pending, not failed
    assert pending == processes * 25 - CAP
    # Every run that left someone pending says so and exits 1; its daily cap line says why.
    short = [r for r in results if "pending" in r[1] + r[2]]
    assert short and all(code == 1 for code, _, _ in short)
    assert all("daily cap" in out for _, out, _ in short)


def _campaign(ledger: Ledger, relay: str, n: int, name: str) -> int:
    c = ledger.campaigns.create(fingerprint=name, release_path=f"/r/{name}.md", slug=name, title=name, lists=[], options={})
    ledger.recipients.add(c.id, [RecipientRow(key=f"{name}{i}@x.test", email=f"{name}{i}@x.test") for i in range(n)])
    ledger.caps.set_campaign_relay(c.id, relay)
    return c.id


def test_mark_sending_takes_room_from_the_cap_in_its_own_transaction(ledger_store: Path | str) -> None:
    relay = "smtp://press@relay.test:587"
    clock_now = [dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)]
    path = ledger_store
    with Ledger(path, clock=lambda: clock_now[0]) as ledger:
        one = _campaign(ledger, relay, 3, "a")
        two = _campaign(ledger, relay, 3, "b")
        assert ledger.recipients.mark_sending(one, "a0@x.test", "<1@x>", relay=relay, cap=3) == 1
        assert ledger.recipients.mark_sending(two, "b0@x.test", "<2@x>", relay=relay, cap=3) == 1
        assert ledger.recipients.mark_sending(one, "a1@x.test", "<3@x>", relay=relay, cap=3) == 1
        with pytest.raises(CapReached) as caught:
            ledger.recipients.mark_sending(two, "b1@x.test", "<4@x>", relay=relay, cap=3)
        assert caught.value.resume_at == clock_now[0] + dt.timedelta(days=1)
        assert ledger.recipients.get(two, "b1@x.test").status == "pending"  # refused room: untouched, not failed
        assert ledger.recipients.get(two, "b1@x.test").attempts == 0
        # Another account is not this one's cap; a day later the room is back.
        assert ledger.recipients.mark_sending(two, "b1@x.test", "<4@x>", relay="smtp://other:25", cap=3) == 1
        clock_now[0] += dt.timedelta(days=1, seconds=1)
        assert ledger.recipients.mark_sending(two, "b2@x.test", "<5@x>", relay=relay, cap=3) == 1


def test_ten_threads_on_one_account_never_pass_the_cap(ledger_store: Path | str) -> None:
    """On SQLite (one write lock per file) and PostgreSQL (an advisory lock per relay account) alike."""
    relay = "smtp://press@relay.test:587"
    path = ledger_store
    with Ledger(path) as ledger:
        ids = [_campaign(ledger, relay, 20, f"c{n}") for n in range(10)]
    taken: list[int] = []
    lock = threading.Lock()

    def run(cid: int, name: str) -> None:
        with Ledger(path) as mine:
            for i in range(20):
                try:
                    mine.recipients.mark_sending(cid, f"{name}{i}@x.test", f"<{name}{i}@x>", relay=relay, cap=CAP)
                except CapReached:
                    return
                with lock:
                    taken.append(cid)
                time.sleep(0)

    threads = [threading.Thread(target=run, args=(cid, f"c{n}")) for n, cid in enumerate(ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(taken) == CAP
    with Ledger(path) as ledger:
        assert len(ledger.caps.handovers(relay, since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))) == CAP
