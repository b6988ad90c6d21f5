"""The PostgreSQL store on a real PostgreSQL 15 (``tests/pg_support.py``): its schema from the one migration
list, what it refuses in one line (a newer schema, another program's database, a password in the URL, an
unreachable server, a wrong password), ``pressctl ledger copy`` of a real SQLite ledger giving the same
``report``, ``campaigns``, ``suppress list`` and ``schedule list``, and ``pressctl ledger check``."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from lift_support import invoke
from pg_support import PostgresServer, postgres
from send_support import make_workspace, write_contacts, write_release
from smtp_server import SmtpTestServer

from pressctl.errors import ExitStatus, InputError, LedgerError
from pressctl.ledger import Ledger
from pressctl.ledger.connection import StoreLost
from pressctl.ledger.migrations import MIGRATIONS, SCHEMA_VERSION
from pressctl.ledger.pgbaseline import BASELINE_VERSION
from pressctl.ledger.records import RecipientRow

__all__ = ["postgres"]  # the fixture, for pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def pg(postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> PostgresServer:
    for name, value in postgres.env().items():
        monkeypatch.setenv(name, value)
    return postgres


def _admin_url(pg: PostgresServer, url: str) -> str:
    return url.replace("pressctl@", "postgres@")


def test_a_new_database_gets_the_baseline_then_every_migration_after_it(pg: PostgresServer) -> None:
    url = pg.new_database()
    with Ledger(url) as ledger:
        assert ledger.conn.schema_version() == SCHEMA_VERSION > BASELINE_VERSION
        assert ledger.conn.has_table("job_files") and ledger.conn.has_table("recipients")
    with Ledger(url) as ledger:  # opened again: nothing to do
        assert ledger.conn.schema_version() == len(MIGRATIONS)


def test_a_newer_schema_is_refused_untouched(pg: PostgresServer) -> None:
    url = pg.new_database()
    Ledger(url).close()
    name = url.rsplit("/", 1)[1].split("?")[0]
    pg.admin(f"UPDATE pressctl_schema SET version = {SCHEMA_VERSION + 1}", database=name)
    with pytest.raises(InputError, match="newer pressctl"):
        Ledger(url)
    assert pg.admin("SELECT version FROM pressctl_schema", database=name).strip() == str(SCHEMA_VERSION + 1)


def test_another_programs_database_is_refused_before_anything_is_written(pg: PostgresServer) -> None:
    url = pg.new_database()
    name = url.rsplit("/", 1)[1].split("?")[0]
    pg.admin("CREATE TABLE invoices (id INTEGER)", database=name)
    pg.admin("ALTER TABLE invoices OWNER TO pressctl", database=name)
    with pytest.raises(InputError, match="another program's tables \\(invoices\\)"):
        Ledger(url)
    assert pg.admin("SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'public'", database=name).strip() == "invoices"


def test_a_password_in_the_url_is_refused_and_never_shown(pg: PostgresServer) -> None:
    url = pg.new_database().replace("pressctl@", "pressctl:s3cret-pw@")
    with pytest.raises(InputError) as err:
        Ledger(url)
    assert "s3cret-pw" not in str(err.value) and "PRESSCTL_LEDGER_PASSWORD" in str(err.value)


def test_unreachable_and_wrong_password_are_one_line_with_exit_1(pg: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> None:
    url = pg.new_database()
    with pytest.raises(LedgerError) as err:
        Ledger(re.sub(r":\d+/", ":9/", url))
    assert err.value.exit_code == ExitStatus.FAILED and "cannot reach" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(LedgerError, match=r"cannot reach.*SSL"):  # TLS required, and this server has none
        Ledger(url.replace("sslmode=disable", "sslmode=require"))
    monkeypatch.setenv("PRESSCTL_LEDGER_PASSWORD", "not-the-password")
    with pytest.raises(LedgerError) as err:
        Ledger(url)
    assert "password authentication failed" in str(err.value) and "not-the-password" not in str(err.value)


def test_a_lost_connection_is_a_store_error_and_the_row_written_before_stays(pg: PostgresServer) -> None:
    url = pg.new_database()
    ledger = Ledger(url)
    c = ledger.campaigns.create(fingerprint="f", release_path="r.md", slug="r", title="T", lists=[], options={})
    ledger.recipients.add(c.id, [RecipientRow(key="a@x.test", email="a@x.test")])
    ledger.recipients.mark_sending(c.id, "a@x.test", "<m@hvsp.example>")
    pg.stop("fast")
    try:
        with pytest.raises(StoreLost, match="connection to the database was lost"):
            ledger.recipients.mark_result(c.id, "a@x.test", status="sent", code=250, reply="ok")
    finally:
        pg.start()
        ledger.close()
    with Ledger(url) as again:
        assert again.recipients.todo(c.id)["a@x.test"].status == "sending"  # in flight: sent again, same Message-ID


def test_two_connections_take_a_row_once(pg: PostgresServer) -> None:
    """The conditional move to ``sending`` holds between two connections (two machines)."""
    url = pg.new_database()
    with Ledger(url) as one, Ledger(url) as two:
        c = one.campaigns.create(fingerprint="f", release_path="r.md", slug="r", title="T", lists=[], options={})
        one.recipients.add(c.id, [RecipientRow(key=f"{i}@x.test", email=f"{i}@x.test") for i in range(20)])
        took = [(who, i) for i in range(20) for who, ledger in (("one", one), ("two", two))
                if ledger.recipients.mark_sending(c.id, f"{i}@x.test", f"<{i}@x>") is not None]
        assert len(took) == 20 and len({i for _, i in took}) == 20


def _outputs(ws: Path, monkeypatch: pytest.MonkeyPatch, *db: str) -> dict[str, str]:
    found = {}
    for name, args in (
        ("report", ["report"]),
        ("report-1", ["report", "1", "--format", "csv"]),
        ("campaigns", ["campaigns"]),
        ("suppress", ["suppress", "list"]),
        ("schedule", ["schedule", "list"]),
    ):
        result = invoke(ws, *args, *db, monkeypatch=monkeypatch)
        assert result.exit_code == 0, (name, result.stdout + result.stderr)
        found[name] = result.stdout
    return found


def test_ledger_copy_gives_the_same_report_campaigns_suppressions_and_jobs(
    pg: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    desks = write_contacts(ws / "contacts" / "desks.csv", 12)
    later = write_release(ws, name="later.md", embargo=(dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"))
    with SmtpTestServer() as server:
        sent = invoke(ws, "send", str(release), "-c", str(desks), "--smtp", server.url(), "--yes", monkeypatch=monkeypatch)
        assert sent.exit_code == 0, sent.stdout + sent.stderr
    for args in (["suppress", "add", "reporter00003@news.example", "--reason", "asked by phone"],
                 ["schedule", str(later), "-c", str(desks)]):
        done = invoke(ws, *args, monkeypatch=monkeypatch)
        assert done.exit_code == 0, done.stdout + done.stderr
    before = _outputs(ws, monkeypatch)

    url = pg.new_database()
    copied = invoke(ws, "ledger", "copy", "--to", url, monkeypatch=monkeypatch)
    assert copied.exit_code == 0, copied.stdout + copied.stderr
    assert "copied 1 campaign(s), 12 recipient row(s), 1 suppression(s), 1 scheduled job(s)" in copied.stdout
    again = invoke(ws, "ledger", "copy", "--to", url, monkeypatch=monkeypatch)  # idempotent
    assert again.exit_code == 0 and "copied 0 campaign(s), 0 recipient row(s)" in again.stdout, again.stdout
    assert "were there already" in again.stdout

    (ws / ".pressctl" / "ledger.sqlite3").rename(ws / ".pressctl" / "old.sqlite3")  # nothing read from it now
    assert _outputs(ws, monkeypatch, "--db", url) == before

    config = ws / "pressctl.toml"  # the workspace pointed at it, as every officer's is
    config.write_text(config.read_text(encoding="utf-8") + f'\n[ledger]\nurl = "{url}"\n', encoding="utf-8")
    check = invoke(ws, "ledger", "check", monkeypatch=monkeypatch)
    assert check.exit_code == 0, check.stdout + check.stderr
    assert "PostgreSQL 15" in check.stdout and f"version {SCHEMA_VERSION}" in check.stdout
    assert "1 campaign(s), 1 job(s) waiting, 1 suppression(s)" in check.stdout
    assert re.search(r"clock\s+[+-]\d+\.\d s from this machine's\n", check.stdout), check.stdout
    assert "this machine has the workspace secret" in check.stdout
    (ws / ".pressctl" / "secret").unlink()  # another officer's machine, before its first send
    check = invoke(ws, "ledger", "check", monkeypatch=monkeypatch)
    assert "none on this machine yet: copy .pressctl/secret" in check.stdout
    with Ledger(url) as ledger:  # the next campaign follows the copied numbers
        assert ledger.campaigns.create(fingerprint="n", release_path="n", slug="n", title="n", lists=[], options={}).id == 2



def _columns(pairs: list[tuple[str, str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for table, column in pairs:
        if column != "rowid":
            found.setdefault(table, set()).add(column)
    return found


def test_the_baseline_is_the_sqlite_schema_at_its_version(pg: PostgresServer, tmp_path: Path) -> None:
    """Every table and column SQLite has at BASELINE_VERSION (made by the migrations one by one), PostgreSQL's
    baseline has too (plus ``rowid`` where SQLite's is implicit), and after the migrations appended since,
    run on both, the two stores hold the same ledger."""
    import sqlite3

    db = sqlite3.connect(tmp_path / "v.sqlite3", isolation_level=None)
    for migration in MIGRATIONS:
        migration(db)
    tables = [str(t) for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
    lite = _columns([(t, str(c[1])) for t in tables for c in db.execute(f"PRAGMA table_info({t})").fetchall()])
    url = pg.new_database()
    name = url.rsplit("/", 1)[1].split("?")[0]
    Ledger(url).close()
    listed = pg.admin(
        "SELECT table_name || ' ' || column_name FROM information_schema.columns WHERE table_schema = 'public'", database=name
    )
    server = _columns([(line.split(" ")[0], line.split(" ")[1]) for line in listed.splitlines() if line.strip()])
    server.pop("pressctl_schema", None)  # the version table (SQLite's is PRAGMA user_version)
    assert server == lite


def test_notes_suppressions_and_known_addresses_on_the_server(pg: PostgresServer) -> None:
    from pressctl.ledger.inbound import Note

    url = pg.new_database()
    now = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)
    with Ledger(url, clock=lambda: now) as ledger:
        note = Note(handled_key="<r1@news.example>", kind="unconfirmed-unsubscribe", source="INBOX 7",
                    sender="desk@news.example", subject="unsubscribe", detail="please remove me")
        ledger.inbound.record_notes([note, note], now=now)
        ledger.inbound.record_notes([note], now=now)  # written once
        assert [(n.handled_key, n.kind, n.campaign_id) for n in ledger.inbound.notes()] == [
            ("<r1@news.example>", "unconfirmed-unsubscribe", None)
        ]
        assert ledger.suppressions.add("Desk@News.Example", reason="asked 100% sure", origin="manual")
        assert not ledger.suppressions.add("desk@news.example", reason="again", origin="manual")
        assert ledger.suppressions.all() == {"desk@news.example": ("asked 100% sure", "manual", "2030-03-12T02:00:00.000+00:00")}
        assert ledger.suppressions.known_addresses() == {"desk@news.example"}
        assert ledger.suppressions.remove("desk@news.example") and ledger.suppressions.all() == {}
