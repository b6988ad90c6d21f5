"""The ledger's one migration list on real files: ledgers made by the last landings' pressctl (main at 65888d5
and at e6eaf3c, made by tests/data/ledgers/make_old_ledger.py with that pressctl's own commands) open and
migrate, jobs and notes included; a database of another program is refused in one line, untouched."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from send_support import make_workspace, run_cli

from pressctl.errors import InputError
from pressctl.ledger import Ledger
from pressctl.ledger.locks import LockHolder
from pressctl.ledger.migrations import MIGRATIONS, SCHEMA_VERSION
from pressctl.ledger.sqlite import APPLICATION_ID
from pressctl.ledger.stores import connect

DATA = Path(__file__).parent / "data" / "ledgers"
RELAY = "smtp://press@mail.hvsp.example:587"
LATER = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)  # long after those ledgers were made: every lease has run out


def _old_ledger(tmp_path: Path, commit: str) -> Path:
    path = tmp_path / f"{commit}.sqlite3"
    raw = sqlite3.connect(path)
    raw.executescript((DATA / f"{commit}.sql").read_text(encoding="utf-8"))
    raw.close()
    return path


def _tables(path: Path) -> dict[str, str]:
    raw = sqlite3.connect(path)
    try:
        return {name: sql for name, sql in raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")}
    finally:
        raw.close()


@pytest.mark.parametrize(("commit", "version"), [("65888d5", 6), ("e6eaf3c", 7)])
def test_a_ledger_of_the_last_landing_migrates_with_everything_in_it(tmp_path: Path, commit: str, version: int) -> None:
    path = _old_ledger(tmp_path, commit)
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == version
    assert raw.execute("SELECT version FROM jobs_schema").fetchall() == [(2,)]  # the jobs' own version, then
    raw.close()

    with Ledger(path, clock=lambda: LATER) as ledger:
        assert ledger.conn.schema_version() == SCHEMA_VERSION
        first, second = ledger.campaigns.all()
        assert first.kind == "release" and first.title == "Harbourview Science Park opens its tidal test bay"
        statuses = {r.key: r.status for r in ledger.recipients.all(first.id)}
        assert statuses == {
            "ada@harbourdaily.example": "sent", "ben@mingpoint.example": "bounced", "cat@techweekly.example": "suppressed",
        }
        ben = ledger.recipients.get(first.id, "ben@mingpoint.example")
        assert ben is not None and ben.bounce_code == "5.1.1" and ben.role == "" and ben.advance_of is None
        assert ledger.suppressions.all()["cat@techweekly.example"][:2] == ("asked by phone", "manual")
        assert ledger.inbound.is_handled("<dsn-1@mx.mingpoint.example>")
        assert len(ledger.inbound.soft_bounce_times("ada@harbourdaily.example")) == 1
        # The relayed campaign killed mid-run: its row in flight is still in flight (the next run makes it
        # unknown and sends it again with its Message-ID), its hand-overs still count under the relay.
        assert ledger.recipients.get(second.id, "eve@mingpoint.example").status == "sending"  # type: ignore[union-attr]
        assert len(ledger.caps.handovers(RELAY, since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))) == 2
        # The dead run's lock is on another host and its lease has run out: nobody holds it now.
        (release,) = [r[0] for r in ledger.conn.execute("SELECT release FROM release_locks")]
        assert ledger.locks.holder(release) is None
        (job,) = ledger.jobs.all()
        assert job.state == "held" and job.held_reason.startswith("the daily cap of 2")
        assert job.resume_at == dt.datetime(2031, 3, 13, 2, tzinfo=dt.UTC)
        notes = ledger.inbound.notes()
        if commit == "e6eaf3c":  # the notes table came with that landing
            assert [(n.kind, n.sender) for n in notes] == [("unconfirmed-unsubscribe", "reader@reader.example")]
        else:
            assert notes == []
    tables = _tables(path)
    assert "jobs_schema" not in tables and {"jobs", "inbound_notes"} <= set(tables)
    assert "'held'" in tables["jobs"]  # the held state's CHECK constraint, as jobs version 2 made it
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    raw.close()


def test_migrating_twice_at_once_migrates_once(tmp_path: Path) -> None:
    path = _old_ledger(tmp_path, "e6eaf3c")
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            connect(path).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with Ledger(path) as ledger:
        assert len(ledger.jobs.all()) == 1 and len(ledger.campaigns.all()) == 2


def test_a_new_ledger_is_made_by_the_one_list(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    connect(path).close()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
    raw.close()
    tables = _tables(path)
    assert {"campaigns", "recipients", "jobs", "inbound_notes", "release_locks", "handovers"} <= set(tables)
    assert "jobs_schema" not in tables


_FOREIGN = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer INTEGER, total REAL);
INSERT INTO customers VALUES (1, 'Harbour Bakery');
"""


def test_another_programs_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    raw = sqlite3.connect(path)
    raw.executescript(_FOREIGN)
    raw.close()
    before = path.read_bytes()
    with pytest.raises(InputError, match="not a pressctl ledger: it holds another program's tables") as refused:
        Ledger(path)
    assert "customers, invoices" in str(refused.value) and refused.value.where == str(path)
    assert path.read_bytes() == before and set(_tables(path)) == {"customers", "invoices"}


def test_a_database_marked_by_another_program_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA application_id = 1234")
    raw.close()
    with pytest.raises(InputError, match="another program"):
        Ledger(path)
    assert _tables(path) == {}


def test_an_empty_file_becomes_a_ledger(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    with Ledger(path) as ledger:
        assert ledger.campaigns.all() == []


def test_the_lock_holder_is_shown_in_the_workspaces_time() -> None:
    holder = LockHolder("h:1:", "press-laptop", 4242, 3, "send", "2030-03-12T02:00:00.000+00:00")
    line = holder.describe(ZoneInfo("Asia/Hong_Kong"))
    assert line == "pid 4242 on press-laptop, campaign #3, since 2030-03-12 10:00 HKT"
    assert "UTC" not in line


@pytest.mark.slow
@pytest.mark.parametrize("commit", ["65888d5", "e6eaf3c"])
def test_the_commands_read_a_migrated_ledger(tmp_path: Path, commit: str) -> None:
    ws = make_workspace(tmp_path)
    path = _old_ledger(tmp_path, commit)
    report = run_cli(["report", "1", "--db", str(path), "--format", "json"], cwd=ws)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["totals"]["sent"] == 1
    for args in (["campaigns"], ["suppress", "list"], ["schedule", "list"], ["report", "--needs-attention"]):
        done = run_cli([*args, "--db", str(path)], cwd=ws)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
    listed = run_cli(["schedule", "list", "--db", str(path)], cwd=ws).stdout
    assert "held" in listed


@pytest.mark.slow
def test_send_with_another_programs_database_as_db_is_one_line_and_adds_nothing(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    path = tmp_path / "shop.db"
    raw = sqlite3.connect(path)
    raw.executescript(_FOREIGN)
    raw.close()
    for args in (["report", "--db", str(path)], ["suppress", "add", "a@x.test", "--db", str(path)]):
        done = run_cli(args, cwd=ws)
        assert done.returncode == 2, done.stdout + done.stderr
        line = done.stderr.strip()
        assert len(line.splitlines()) == 1 and "not a pressctl ledger" in line and "Traceback" not in line
    assert set(_tables(path)) == {"customers", "invoices"}
