"""Issue 22, an office of several officers: two workspaces ("officers") sharing one real PostgreSQL ledger,
real ``pressctl`` processes in each, one aiosmtpd relay. Each recipient exactly once across both; a
``kill -9`` and a re-run from the other; one daily cap counted across both; an unsubscribe recorded by one
honoured by the other; a job scheduled from one sent by ``dispatch`` in the other after the first's folder
is gone; the database stopped mid-run."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

import pytest
from lift_support import set_embargo
from pg_support import PostgresServer, postgres
from send_support import write_contacts, write_release
from smtp_server import SmtpTestServer
from team_support import Office, make_office
from wait_support import wait_for

from pressctl.ledger import Ledger

__all__ = ["postgres"]  # the fixture, for pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def office(tmp_path: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> Office:
    for name, value in postgres.env().items():
        monkeypatch.setenv(name, value)  # this process reads the shared ledger too
    return make_office(tmp_path, postgres.new_database(), postgres.env())


def _send(office: Office, ws: Path, server: SmtpTestServer, *extra: str) -> list[str]:
    return ["send", str(ws / "releases" / "fellows.md"), "-c", str(ws / "contacts" / "desks.csv"),
            "--smtp", server.url(), "--yes", *extra]


def _totals(url: str) -> dict[str, int]:
    with Ledger(url) as ledger:
        totals: Counter[str] = Counter()
        for campaign in ledger.campaigns.all():
            totals.update(ledger.recipients.totals(campaign.id))
        return dict(totals)


def test_two_officers_sending_the_same_release_deliver_each_recipient_once(office: Office) -> None:
    with SmtpTestServer() as server:
        procs = [office.start(ws, *_send(office, ws, server, "--rate", "40/s", "--wait")) for ws in (office.a, office.b)]
        results = [(p.wait(timeout=180), *p.communicate()) for p in procs]
    delivered = Counter(m.rcpt for m in server.accepted)
    assert len(delivered) == 40 and set(delivered.values()) == {1}, results
    assert all(code == 0 and "Traceback" not in err for code, _out, err in results), results
    assert _totals(office.url)["sent"] == 40
    with Ledger(office.url) as ledger:
        assert len(ledger.campaigns.all()) == 1  # one campaign: the same release and list, from either folder


def test_the_second_officer_is_told_who_is_sending_the_release_and_sends_nothing(office: Office) -> None:
    """One sender per release across folders and machines: the lock is the release's slug in a shared ledger
    (by folder, the second officer's run would reset the first's messages in flight and send them again)."""
    with SmtpTestServer() as server:
        first = office.start(office.a, *_send(office, office.a, server, "--rate", "2/s"))  # ~20 s
        assert wait_for(lambda: len(server.accepted) >= 2, 60)
        second = office.run(office.b, *_send(office, office.b, server))
        assert len(server.accepted) < 40  # the first was still sending when the second was refused
        assert first.wait(timeout=180) == 0, first.communicate()
    assert second.returncode == 1, second.stdout + second.stderr
    assert "is being sent by another pressctl: pid" in second.stderr and "nothing was sent" in second.stderr
    delivered = Counter(m.rcpt for m in server.accepted)
    assert len(delivered) == 40 and set(delivered.values()) == {1}


def test_kill_9_of_one_and_a_rerun_from_the_other_leaves_nobody_twice_and_nobody_lost(office: Office) -> None:
    with SmtpTestServer() as server:
        first = office.start(office.a, *_send(office, office.a, server, "--rate", "10/s"))
        assert wait_for(lambda: len(server.accepted) >= 8, 60), first.communicate(timeout=5)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
        cut = len(server.accepted)
        assert cut < 40
        again = office.run(office.b, *_send(office, office.b, server, "--rate", "100/s"))
        assert again.returncode == 0, again.stdout + again.stderr
    by_rcpt: dict[str, set[str]] = {}
    for m in server.accepted:
        by_rcpt.setdefault(m.rcpt, set()).add(m.data.split(b"Message-ID:", 1)[1].split(b"\r\n", 1)[0].strip().decode())
    assert len(by_rcpt) == 40  # nobody lost
    twice = [r for r in by_rcpt if sum(1 for m in server.accepted if m.rcpt == r) > 1]
    # At most the messages in flight at the kill go again, with their same Message-ID (the promise).
    assert len(twice) <= 4 and all(len(by_rcpt[r]) == 1 for r in twice)
    assert _totals(office.url)["sent"] == 40


def test_a_daily_cap_of_30_lets_exactly_30_through_across_both_officers(office: Office) -> None:
    for n, ws in enumerate((office.a, office.b)):  # a release each, to lists of their own: one relay account
        write_release(ws, name=f"desk{n}.md")
        write_contacts(ws / "contacts" / f"list{n}.csv", 25, domain=f"outlet{n}.example")
    with SmtpTestServer() as server:
        procs = [
            office.start(ws, "send", str(ws / "releases" / f"desk{n}.md"), "-c", str(ws / "contacts" / f"list{n}.csv"),
                         "--smtp", server.url(), "--daily-cap", "30", "--rate", "20/s", "--yes")
            for n, ws in enumerate((office.a, office.b))
        ]
        results = [(p.wait(timeout=180), *p.communicate()) for p in procs]
    delivered = [m.rcpt for m in server.accepted]
    assert len(delivered) == 30 == len(set(delivered)), results
    totals = _totals(office.url)
    assert totals["sent"] == 30 and totals["pending"] == 20 and totals["failed"] == 0
    assert any("daily cap" in out for _code, out, _err in results)


def test_an_unsubscribe_recorded_by_one_officer_is_honoured_by_the_others_next_send(office: Office) -> None:
    gone = "reporter00007@news.example"
    added = office.run(office.a, "suppress", "add", gone, "--reason", "asked by phone")
    assert added.returncode == 0, added.stdout + added.stderr
    with SmtpTestServer() as server:
        sent = office.run(office.b, *_send(office, office.b, server))
        assert sent.returncode == 0, sent.stdout + sent.stderr
    assert gone not in {m.rcpt for m in server.accepted} and len(server.accepted) == 39
    listed = office.run(office.b, "suppress", "list", "--json")
    assert gone in listed.stdout


def test_a_job_scheduled_by_one_officer_is_sent_by_dispatch_in_the_others_workspace(office: Office) -> None:
    release = office.a / "releases" / "fellows.md"
    lift = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=20)
    with SmtpTestServer() as server:
        for ws in (office.a, office.b):  # the same files in both folders (git or the shared drive)
            text = (ws / "pressctl.toml").read_text(encoding="utf-8")
            text, found = re.subn(r"(?m)^\[smtp\]\n", f'[smtp]\nurl = "{server.url()}"\n', text, count=1)
            (ws / "pressctl.toml").write_text(text if found else text + f'\n[smtp]\nurl = "{server.url()}"\n',
                                              encoding="utf-8")
            set_embargo_line(ws / "releases" / "fellows.md", lift)
        scheduled = office.run(office.a, "schedule", str(release), "-c", str(office.a / "contacts" / "desks.csv"))
        assert scheduled.returncode == 0, scheduled.stdout + scheduled.stderr
        job_id = scheduled.stdout.split()[-1]
        shutil.rmtree(office.a)  # the laptop is asleep, its folder out of reach
        lift_on_server = time.monotonic() + (lift.timestamp() - time.time())
        watcher = office.start(office.b, "dispatch", "--watch")
        try:
            def done() -> bool:
                listing = office.run(office.b, "schedule", "list", "--json")
                return any(j["id"] == job_id and j["state"] in ("done", "failed") for j in json.loads(listing.stdout or "[]"))

            assert wait_for(done, 120, every=0.5), "the job did not finish"
        finally:
            watcher.terminate()
            out, err = watcher.communicate(timeout=30)
    delivered = Counter(m.rcpt for m in server.accepted)
    assert len(delivered) == 40 and set(delivered.values()) == {1}, out + err
    assert all(m.time >= lift_on_server - 0.01 for m in server.accepted)
    listing = json.loads(office.run(office.b, "schedule", "list", "--json").stdout)
    assert [j["state"] for j in listing if j["id"] == job_id] == ["done"]


def set_embargo_line(release: Path, when: dt.datetime) -> None:
    """The test release has no embargo line: add one (``set_embargo`` moves an existing one)."""
    text = release.read_text(encoding="utf-8")
    if "\nembargo:" not in text:
        text = text.replace("\nsummary:", f"\nembargo: {when.strftime('%Y-%m-%dT%H:%M:%SZ')}\nsummary:", 1)
        release.write_text(text, encoding="utf-8")
    else:
        set_embargo(release, when)


def test_the_database_stopped_mid_run_stops_in_one_line_and_a_rerun_resumes(office: Office, postgres: PostgresServer) -> None:
    with SmtpTestServer() as server:
        proc = office.start(office.a, *_send(office, office.a, server, "--rate", "10/s"))
        assert wait_for(lambda: len(server.accepted) >= 5, 60)
        postgres.stop("fast")
        try:
            code = proc.wait(timeout=120)
            out, err = proc.communicate()
        finally:
            postgres.start()
        assert code in (1, 2), out + err
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and "Traceback" not in err and "internal error" not in err, err
        assert "connection to the database was lost" in lines[0] and "run the same command again" in lines[0], err
        assert "resumes and sends nobody twice" in lines[0]
        assert "PASSWORD" not in err and postgres.env()["PRESSCTL_LEDGER_PASSWORD"] not in out + err
        again = office.run(office.a, *_send(office, office.a, server, "--rate", "100/s"))
        assert again.returncode == 0, again.stdout + again.stderr
    counts = Counter(m.rcpt for m in server.accepted)
    assert len(counts) == 40
    assert sum(n - 1 for n in counts.values()) <= 4  # at most what was in flight, with its same Message-ID
    assert _totals(office.url)["sent"] == 40
