"""The ledger: one SQLite file (WAL) with every campaign and one row per recipient, written as mail goes out.

A recipient's row is written *before* a message is handed to the server (status ``sending``, attempt + 1)
and again *after* the reply (``sent``, ``failed``, ``unknown``, back to ``pending`` for a retry). A row
found in ``sending`` when a run starts was in flight when the last run died; it is sent again with the
same Message-ID, and nothing else is repeated. The scheduler keeps its ``jobs`` table in the same file
(``pressctl.schedule.dispatcher`` creates it through :func:`connect`).

The schema is versioned with ``PRAGMA user_version``: :data:`MIGRATIONS` lists one function per version,
applied in order inside one write transaction when a ledger is opened, so a ledger made by an older
pressctl is brought up to date and one made by a newer pressctl is refused. Adding a migration is adding
a function to the end of that tuple. Version 2 added ``release_locks`` (one sender per release, see
:meth:`Ledger.acquire_release_lock`) and ``suppressions`` (addresses pressctl itself suppressed). The bounces
migration (issue 12) added the ``bounced`` status, each row's response columns (what a bounce or a reply
said: ``response``, ``response_detail``, ``response_at``, ``new_address``, ``bounce_code``), ``inbound`` (the
messages ``pressctl bounces`` handled, so a second run changes nothing) and ``soft_bounces``; the methods
under "bounces and replies" are what :class:`pressctl.bounces.store.LedgerStore` calls.
Version 5 added ``recipients.retryable`` and ``recipients.reason`` (the reply policy's decision, recorded when
it is made). Version 7 added ``campaigns.kind`` (:data:`KINDS`), ``recipients.role`` (:data:`ROLES`: internal and
test copies are rows too, never counted with the journalists) and ``recipients.advance_of``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import socket
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pressctl.clock import system_clock
from pressctl.errors import InputError, LedgerError
from pressctl.owners import owner_state
from pressctl.private import private_file

__all__ = [
    "FINAL_STATUSES",
    "KINDS",
    "MIGRATIONS",
    "ROLES",
    "SCHEMA_VERSION",
    "STATUSES",
    "TODO_STATUSES",
    "Campaign",
    "CapReached",
    "Ledger",
    "LockHolder",
    "RecipientRecord",
    "RecipientRow",
    "ResponseUpdate",
    "connect",
    "recipients_left",
    "schema_statements",
]

# pending: not handed over yet (or waiting for a retry); sending: handed over, no reply recorded yet;
# unknown: the connection was lost after the data, the server may have it; the rest are final.
# skipped: already received this release from an earlier campaign (the release or a list was edited since).
# bounced: the relay accepted it, then a bounce (5.x.x) came back (``pressctl bounces``); counted as failed.
STATUSES = ("pending", "sending", "sent", "failed", "bounced", "suppressed", "invalid", "skipped", "unknown")
TODO_STATUSES = ("pending", "sending", "unknown")
# What a campaign was (``pressctl.send.kinds`` says each in words): an advance copy under embargo, the released
# version at or after an embargo's lift, a release without an embargo, test copies, a corrected release sent
# again to those who had it, or the same release sent again on purpose.
KINDS = ("advance", "lift", "release", "test", "correction", "resend")
# Who a row is: a journalist (''), a copy to one's own people, a test copy. Only journalists are counted.
ROLES = ("", "internal", "test")
FINAL_STATUSES = ("sent", "failed", "bounced", "suppressed", "invalid", "skipped")


def recipients_left(totals: Mapping[str, int]) -> int:
    """Recipients of a campaign still to do (pending, in flight, outcome unknown): the one count of "left"."""
    return sum(totals.get(status, 0) for status in TODO_STATUSES)


LOCK_LEASE = 60.0  # seconds a release lock lasts without renewal (renewed every few seconds while sending)

_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS campaigns (
    id           INTEGER PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,     -- random; Message-IDs derive from it
    fingerprint  TEXT NOT NULL,            -- release files + assets + lists + options that change mail
    release_path TEXT NOT NULL,
    slug         TEXT NOT NULL,
    title        TEXT NOT NULL,
    lists        TEXT NOT NULL,            -- JSON list of contact list paths
    options      TEXT NOT NULL,            -- JSON of the options that made this campaign
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT
);
CREATE INDEX IF NOT EXISTS campaigns_fingerprint ON campaigns (fingerprint);
CREATE TABLE IF NOT EXISTS recipients (
    campaign_id  INTEGER NOT NULL REFERENCES campaigns (id),
    key          TEXT NOT NULL,            -- the address, case-folded (or file:row for an invalid row)
    email        TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    language     TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_code    INTEGER,
    last_reply   TEXT NOT NULL DEFAULT '',
    message_id   TEXT NOT NULL DEFAULT '',
    first_attempt_at TEXT,
    last_attempt_at  TEXT,
    sent_at      TEXT,
    UNIQUE (campaign_id, key)
);
CREATE INDEX IF NOT EXISTS recipients_status ON recipients (campaign_id, status);
"""

_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS release_locks (
    release      TEXT PRIMARY KEY,         -- workspace root + slug: every campaign of one release
    owner        TEXT NOT NULL,            -- host:pid:start of the process sending it
    host         TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    campaign_id  INTEGER,                  -- once the campaign is opened
    purpose      TEXT NOT NULL DEFAULT '', -- "send", "dispatch job ID"
    since        TEXT NOT NULL,
    lease_until  REAL NOT NULL             -- epoch seconds; renewed while the sender runs
);
CREATE TABLE IF NOT EXISTS suppressions (
    address      TEXT PRIMARY KEY,         -- lower-case
    reason       TEXT NOT NULL DEFAULT '',
    origin       TEXT NOT NULL DEFAULT '', -- bounce | unsubscribe | manual | import
    created_at   TEXT NOT NULL
);
"""

_SCHEMA_BOUNCES = """
ALTER TABLE recipients ADD COLUMN response TEXT NOT NULL DEFAULT '';        -- bounced, auto-reply, moved, ...
ALTER TABLE recipients ADD COLUMN response_detail TEXT NOT NULL DEFAULT ''; -- diagnostic or first lines
ALTER TABLE recipients ADD COLUMN response_at TEXT;
ALTER TABLE recipients ADD COLUMN new_address TEXT NOT NULL DEFAULT '';     -- "has left, please contact ..."
ALTER TABLE recipients ADD COLUMN bounce_code TEXT NOT NULL DEFAULT '';     -- RFC 3463, e.g. 5.1.1
CREATE INDEX IF NOT EXISTS recipients_message_id ON recipients (message_id);
CREATE TABLE IF NOT EXISTS inbound (
    handled_key  TEXT PRIMARY KEY,         -- the message's Message-ID, else a SHA-256 of its bytes
    kind         TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    seen_at      TEXT NOT NULL,
    outcome      TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS soft_bounces (
    address      TEXT NOT NULL,            -- case-folded
    at           TEXT NOT NULL,
    code         TEXT NOT NULL DEFAULT '',
    handled_key  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS soft_bounces_address ON soft_bounces (address);
"""


def schema_statements(script: str) -> list[str]:
    """A schema script as single statements (``executescript`` would commit the migration half-way)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _migrate_1(conn: sqlite3.Connection) -> None:
    """The first schema: campaigns and recipients (ledgers before versioning have it, at user_version 0)."""
    for statement in schema_statements(_SCHEMA_V1):
        conn.execute(statement)


def _migrate_2(conn: sqlite3.Connection) -> None:
    """Release locks (one sender per release) and the suppressions pressctl itself recorded."""
    for statement in schema_statements(_SCHEMA_V2):
        conn.execute(statement)


def _migrate_bounces(conn: sqlite3.Connection) -> None:
    """Bounces and replies (issue 12): response columns on recipients, ``inbound`` and ``soft_bounces``."""
    for statement in schema_statements(_SCHEMA_BOUNCES):
        conn.execute(statement)


_SCHEMA_RELAY_HANDOVERS = """
CREATE TABLE IF NOT EXISTS campaign_relays (
    campaign_id  INTEGER PRIMARY KEY REFERENCES campaigns (id),
    relay        TEXT NOT NULL             -- the relay account sending it now: scheme://user@host:port
);
CREATE TABLE IF NOT EXISTS handovers (
    relay        TEXT NOT NULL,
    at           TEXT NOT NULL,            -- ISO UTC, as recipients.last_attempt_at
    campaign_id  INTEGER NOT NULL,
    key          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS handovers_relay_at ON handovers (relay, at);
"""

# Every hand-over (a row going to 'sending') of a campaign whose relay is known, in the same statement and
# so the same transaction as mark_sending's write: the rolling daily cap counts these, across campaigns.
_HANDOVER_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS handovers_record AFTER UPDATE OF status ON recipients
WHEN NEW.status = 'sending' AND OLD.status != 'sending'
BEGIN
    INSERT INTO handovers (relay, at, campaign_id, key)
    SELECT relay, NEW.last_attempt_at, NEW.campaign_id, NEW.key FROM campaign_relays
    WHERE campaign_id = NEW.campaign_id;
END
"""


def _migrate_relay_handovers(conn: sqlite3.Connection) -> None:
    """Hand-overs per relay account, for rolling daily caps across campaigns (issue 11)."""
    for statement in schema_statements(_SCHEMA_RELAY_HANDOVERS):
        conn.execute(statement)
    conn.execute(_HANDOVER_TRIGGER)


def _migrate_reply_policy(conn: sqlite3.Connection) -> None:
    """Whether a failure may be tried again, recorded when it happens (``pressctl.relays.replies`` decides),
    and the reason the report shows. Old failed rows: retryable when the reply was a 4xx, or when there was
    no reply because the connection was lost or the outbox could not be written; otherwise final."""
    conn.execute("ALTER TABLE recipients ADD COLUMN retryable INTEGER NOT NULL DEFAULT 0")
    conn.execute("ALTER TABLE recipients ADD COLUMN reason TEXT NOT NULL DEFAULT ''")
    conn.execute(
        "UPDATE recipients SET retryable = 1 WHERE status = 'failed' AND ((last_code >= 400 AND last_code < 500)"
        " OR (last_code IS NULL AND (last_reply LIKE 'connection lost%' OR last_reply LIKE 'could not write%')))"
    )


# Several relays (issue 11, point 5): each hand-over is counted under the relay that took it (the row's own
# ``relay``, set by mark_sending), falling back to the campaign's relay for rows written before.
_HANDOVER_TRIGGER_PER_ROW = """
CREATE TRIGGER IF NOT EXISTS handovers_record AFTER UPDATE OF status ON recipients
WHEN NEW.status = 'sending' AND OLD.status != 'sending'
BEGIN
    INSERT INTO handovers (relay, at, campaign_id, key)
    SELECT r, NEW.last_attempt_at, NEW.campaign_id, NEW.key FROM (
        SELECT COALESCE(NEW.relay, (SELECT relay FROM campaign_relays WHERE campaign_id = NEW.campaign_id)) AS r
    ) WHERE r IS NOT NULL;
END
"""


def _migrate_row_relay(conn: sqlite3.Connection) -> None:
    """Which relay took each hand-over (several relays, issue 11 point 5): ``recipients.relay`` (the relay
    account, scheme://user@host:port; NULL for the local outbox and for rows sent before), and the
    hand-over trigger counting each under it."""
    conn.execute("ALTER TABLE recipients ADD COLUMN relay TEXT")
    conn.execute("DROP TRIGGER IF EXISTS handovers_record")
    conn.execute(_HANDOVER_TRIGGER_PER_ROW)


def _migrate_kinds(conn: sqlite3.Connection) -> None:
    """What each campaign was and who each row is (issue 18): ``campaigns.kind`` (see :data:`KINDS`; an
    older campaign is ``advance`` when it was sent under embargo, else ``release``), ``recipients.role``
    ('' a journalist, ``internal`` a copy to one's own people, ``test`` a test copy: never in the
    journalists' counts) and ``recipients.advance_of`` (the advance campaign a reader of the released
    version had the advance copy from)."""
    conn.execute("ALTER TABLE campaigns ADD COLUMN kind TEXT NOT NULL DEFAULT ''")
    conn.execute(
        "UPDATE campaigns SET kind = CASE WHEN json_extract(options, '$.embargoed') = 1"
        " OR json_extract(options, '$.advance_copy') = 1 THEN 'advance' ELSE 'release' END"
    )
    conn.execute("ALTER TABLE recipients ADD COLUMN role TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE recipients ADD COLUMN advance_of INTEGER")


# One function per schema version, in order; ``user_version`` says how many have been applied.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migrate_1,
    _migrate_2,
    _migrate_bounces,
    _migrate_relay_handovers,
    _migrate_reply_policy,
    _migrate_row_relay,
    _migrate_kinds,
)
SCHEMA_VERSION = len(MIGRATIONS)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise _newer(path, version)
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")  # two processes opening an old ledger at once: one migrates
    try:
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise _newer(path, version)
        for migration in MIGRATIONS[version:]:
            migration(conn)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _newer(path: Path, version: int) -> InputError:
    return InputError(
        f"the ledger was made by a newer pressctl (schema version {version}; this pressctl knows up to "
        f"{SCHEMA_VERSION})",
        where=str(path),
        hint="upgrade pressctl to use this ledger (it was left untouched), or pass another file with --db",
    )


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the ledger database with pressctl's tables and settings.

    WAL lets ``pressctl report`` read while a send writes; ``synchronous=NORMAL`` keeps each commit off
    the disk's flush path: a commit survives a killed process (the promise), only a power cut can lose
    the last few, and then those messages go out again with their same Message-ID.
    """
    path = Path(path)
    try:
        private_file(path)  # 0600 (and .pressctl/ 0700) before SQLite opens it: every address is in here
        conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        _migrate(conn, path)
    except (sqlite3.Error, OSError) as exc:
        raise InputError(
            f"cannot open the ledger ({exc})",
            where=str(path),
            hint="check the path and its permissions, or pass another file with --db",
        ) from None
    conn.row_factory = sqlite3.Row
    return conn


@dataclass(frozen=True)
class Campaign:
    id: int
    token: str
    fingerprint: str
    release_path: str
    slug: str
    title: str
    lists: tuple[str, ...]
    options: Mapping[str, Any]
    created_at: str
    started_at: str | None
    finished_at: str | None
    kind: str = ""  # one of KINDS ("" only for a campaign made before kinds, never written now)


@dataclass(frozen=True)
class RecipientRow:
    """A recipient as planned, before any sending."""

    key: str
    email: str
    status: str = "pending"  # or suppressed / invalid / skipped
    name: str = ""
    language: str = ""
    source: str = ""
    reply: str = ""  # why suppressed, invalid or skipped
    role: str = ""  # '' a journalist, 'internal' or 'test' (see ROLES)
    advance_of: int | None = None  # the advance campaign this reader had the advance copy from


@dataclass(frozen=True)
class RecipientRecord:
    """A recipient's row as the ledger has it now."""

    campaign_id: int
    key: str
    email: str
    name: str
    language: str
    source: str
    status: str
    attempts: int
    last_code: int | None
    last_reply: str
    message_id: str
    first_attempt_at: str | None
    last_attempt_at: str | None
    sent_at: str | None
    retryable: bool = False
    reason: str = ""
    response: str = ""  # what came back after the send: bounced, soft-bounce, auto-reply, moved, replied, ...
    response_detail: str = ""  # the diagnostic, or the first lines of what they wrote
    response_at: str | None = None
    new_address: str = ""
    bounce_code: str = ""
    relay: str | None = None  # the relay account that took the last hand-over (None: outbox, or before)
    role: str = ""  # '' a journalist, 'internal' a copy to one's own people, 'test' a test copy
    advance_of: int | None = None  # the advance campaign this reader had the advance copy from


@dataclass(frozen=True)
class ResponseUpdate:
    """What ``pressctl bounces`` sets on one row. ``status`` is "bounced" or None (unchanged)."""

    campaign_id: int
    key: str
    response: str
    status: str | None = None
    code: str = ""
    detail: str = ""
    new_address: str = ""


def _campaign(row: sqlite3.Row) -> Campaign:
    return Campaign(
        id=row["id"],
        token=row["token"],
        fingerprint=row["fingerprint"],
        release_path=row["release_path"],
        slug=row["slug"],
        title=row["title"],
        lists=tuple(json.loads(row["lists"])),
        options=json.loads(row["options"]),
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        kind=row["kind"],
    )


class CapReached(Exception):
    """A relay account's rolling daily cap has no room for one more hand-over now (see
    :meth:`Ledger.mark_sending`). ``resume_at``: when the next slot frees (aware, UTC)."""

    def __init__(self, account: str, cap: int, used: int, resume_at: dt.datetime | None) -> None:
        super().__init__(f"the daily cap of {cap:,} for {account} is reached ({used:,} in the last 24 h)")
        self.account = account
        self.cap = cap
        self.used = used
        self.resume_at = resume_at


class Ledger:
    """The campaigns and recipients in one ledger file. Every write commits at once."""

    def __init__(self, path: Path, *, clock: Callable[[], dt.datetime] = system_clock) -> None:
        self.path = Path(path)
        self.conn = connect(self.path)
        self.clock = clock
        self.identity = _identity(self.path)  # the file this connection has open
        self.handed_over = 0  # hand-overs recorded through this instance (this run)
        self._room_seen: dict[str, tuple[int, int]] = {}  # account -> (hand-overs counted, last rowid then)

    def check_file(self) -> None:
        """Raise LedgerError if the ledger's path no longer names the file this run has open.

        SQLite keeps writing to a deleted (or renamed-over) file without a word, and a re-run would then
        find no record and send everyone again. One ``stat``: cheap enough for every hand-over.
        """
        now = _identity(self.path)
        if now == self.identity:
            return
        what = "was deleted" if now is None else "was replaced by another file"
        raise LedgerError(
            f"the ledger {what} while sending; stopped after {self.handed_over} message(s) handed over",
            where=str(self.path),
            hint="restore the ledger file (from a backup) before sending this release again: without it a re-run "
            "cannot know who already has it",
            handed_over=self.handed_over,
        )

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _now(self) -> str:
        return _iso(self.clock())

    # -- relay accounts and their hand-overs (rolling daily caps) ----------------------------------------
    def set_campaign_relay(self, campaign_id: int, relay: str | None) -> None:
        """The relay account this campaign's hand-overs go to from now on (None: the local outbox, not
        counted). Each later hand-over is recorded under it in ``handovers``."""
        if relay is None:
            self.conn.execute("DELETE FROM campaign_relays WHERE campaign_id = ?", (campaign_id,))
        else:
            self.conn.execute(
                "INSERT INTO campaign_relays (campaign_id, relay) VALUES (?, ?)"
                " ON CONFLICT (campaign_id) DO UPDATE SET relay = excluded.relay",
                (campaign_id, relay),
            )

    def handovers(self, relay: str, *, since: dt.datetime) -> list[dt.datetime]:
        """The times of every hand-over to ``relay`` after ``since``, from every campaign and job."""
        rows = self.conn.execute(
            "SELECT at FROM handovers WHERE relay = ? AND at > ? ORDER BY at", (relay, _iso(since))
        ).fetchall()
        return [dt.datetime.fromisoformat(str(r[0])) for r in rows]

    # -- campaigns --------------------------------------------------------------------------------------
    def create_campaign(
        self,
        *,
        fingerprint: str,
        release_path: str,
        slug: str,
        title: str,
        lists: Iterable[str],
        options: Mapping[str, Any],
        kind: str = "release",
    ) -> Campaign:
        if kind not in KINDS:
            raise ValueError(kind)
        token = secrets.token_hex(6)
        cur = self.conn.execute(
            "INSERT INTO campaigns (token, fingerprint, release_path, slug, title, lists, options, created_at, kind)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                token,
                fingerprint,
                release_path,
                slug,
                title,
                json.dumps(list(lists), ensure_ascii=False),
                json.dumps(dict(options), ensure_ascii=False, sort_keys=True, default=str),
                self._now(),
                kind,
            ),
        )
        campaign = self.campaign(int(cur.lastrowid or 0))
        assert campaign is not None
        return campaign

    def find_campaign(self, fingerprint: str) -> Campaign | None:
        """The latest campaign made from exactly these inputs, to resume it."""
        row = self.conn.execute(
            "SELECT * FROM campaigns WHERE fingerprint = ? ORDER BY id DESC LIMIT 1", (fingerprint,)
        ).fetchone()
        return _campaign(row) if row else None

    def campaign(self, campaign_id: int) -> Campaign | None:
        row = self.conn.execute("SELECT * FROM campaigns WHERE id = ?", (campaign_id,)).fetchone()
        return _campaign(row) if row else None

    def latest(self) -> Campaign | None:
        row = self.conn.execute("SELECT * FROM campaigns ORDER BY id DESC LIMIT 1").fetchone()
        return _campaign(row) if row else None

    def campaigns(self) -> list[Campaign]:
        return [_campaign(r) for r in self.conn.execute("SELECT * FROM campaigns ORDER BY id")]

    def mark_started(self, campaign_id: int) -> None:
        self.conn.execute(
            "UPDATE campaigns SET started_at = COALESCE(started_at, ?), finished_at = NULL WHERE id = ?",
            (self._now(), campaign_id),
        )

    def mark_finished(self, campaign_id: int) -> None:
        self.conn.execute("UPDATE campaigns SET finished_at = ? WHERE id = ?", (self._now(), campaign_id))

    # -- recipients -------------------------------------------------------------------------------------
    def add_recipients(self, campaign_id: int, rows: Iterable[RecipientRow]) -> int:
        """Insert planned recipients; rows already in the campaign are kept as they are. Returns new rows.

        A recipient planned as pending but already recorded suppressed/invalid stays so; one recorded
        pending that is now suppressed (suppression is checked at every run) becomes suppressed.
        """
        before = self.conn.total_changes
        self.conn.execute("BEGIN")
        try:
            self.conn.executemany(
                "INSERT INTO recipients (campaign_id, key, email, name, language, source, status, last_reply, role,"
                " advance_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, key) DO UPDATE SET"
                " status = excluded.status, last_reply = excluded.last_reply"
                " WHERE recipients.status = 'pending' AND recipients.attempts = 0"
                " AND excluded.status = 'suppressed'",
                (
                    (campaign_id, r.key, r.email, r.name, r.language, r.source, r.status, r.reply, r.role, r.advance_of)
                    for r in rows
                ),
            )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return self.conn.total_changes - before

    def todo(self, campaign_id: int) -> dict[str, RecipientRecord]:
        """Recipients still to send (pending, in flight at a crash, outcome unknown), by key."""
        marks = ",".join("?" * len(TODO_STATUSES))
        cur = self.conn.execute(
            f"SELECT * FROM recipients WHERE campaign_id = ? AND status IN ({marks})",
            (campaign_id, *TODO_STATUSES),
        )
        return {row["key"]: _record(row) for row in cur}

    def todo_keys(self, campaign_id: int) -> set[str]:
        """Just the keys of :meth:`todo` (light enough for 100,000 recipients)."""
        marks = ",".join("?" * len(TODO_STATUSES))
        cur = self.conn.execute(
            f"SELECT key FROM recipients WHERE campaign_id = ? AND status IN ({marks})",
            (campaign_id, *TODO_STATUSES),
        )
        return {row[0] for row in cur}

    def done_keys(self, campaign_id: int) -> set[str]:
        """Keys with a final status: the complement of :meth:`todo_keys`, small for a fresh campaign."""
        marks = ",".join("?" * len(FINAL_STATUSES))
        cur = self.conn.execute(
            f"SELECT key FROM recipients WHERE campaign_id = ? AND status IN ({marks})",
            (campaign_id, *FINAL_STATUSES),
        )
        return {row[0] for row in cur}

    def count_todo(self, campaign_id: int) -> int:
        marks = ",".join("?" * len(TODO_STATUSES))
        row = self.conn.execute(
            f"SELECT COUNT(*) FROM recipients WHERE campaign_id = ? AND status IN ({marks})",
            (campaign_id, *TODO_STATUSES),
        ).fetchone()
        return int(row[0])

    def retry_transient_failures(self, campaign_id: int) -> int:
        """Put rows that failed for passing reasons back to pending for this run: those recorded
        ``retryable`` when they failed (the reply policy decided then; nothing is re-derived here)."""
        cur = self.conn.execute(
            "UPDATE recipients SET status = 'pending' WHERE campaign_id = ? AND status = 'failed' AND retryable = 1",
            (campaign_id,),
        )
        return cur.rowcount

    def reset_in_flight(self, campaign_id: int) -> int:
        """Rows left ``sending`` by a run that died: their outcome is unknown. Call only holding the release lock.

        After this, ``sending`` always means "a live run is handing it over now", so :meth:`mark_sending`
        can take a row only from ``pending`` or ``unknown`` and two runs never take the same one.
        """
        cur = self.conn.execute(
            "UPDATE recipients SET status = 'unknown' WHERE campaign_id = ? AND status = 'sending'", (campaign_id,)
        )
        return cur.rowcount

    def mark_sending(
        self, campaign_id: int, key: str, message_id: str, *, relay: str | None = None, cap: int | None = None
    ) -> int | None:
        """Record a hand-over about to happen; returns the attempt number. Committed before the send.

        ``relay``: the relay account taking it (scheme://user@host:port), recorded on the row and counted
        in ``handovers`` for that account's rolling daily cap (None: the campaign's relay, if any).

        ``cap``: that account's rolling daily cap. The hand-over then takes its room in the same write
        transaction that records it (``BEGIN IMMEDIATE``: the count and the write are one step for every
        process on this ledger), so several sends on one account together never pass it. No room:
        :class:`CapReached`, and the row is left as it was (still to do, not failed).

        Only from a to-do state (``pending``, ``unknown``): ``None`` when the row is taken or done
        already (another process sends it, or sent it), and then this run must not hand it over.
        KeyError for a key the campaign does not have.
        """
        self.check_file()
        now = self.clock()
        stamp = _iso(now)
        if cap:
            self.conn.execute("BEGIN IMMEDIATE")
        try:
            if cap:
                account = relay or self._campaign_relay(campaign_id)
                if account is not None:
                    self._take_room(account, cap, now)
            row = self.conn.execute(
                "UPDATE recipients SET status = 'sending', attempts = attempts + 1, message_id = ?,"
                " first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ?, relay = ?"
                " WHERE campaign_id = ? AND key = ? AND status IN ('pending', 'unknown') RETURNING attempts",
                (message_id, stamp, stamp, relay, campaign_id, key),
            ).fetchone()
        except BaseException:
            if cap:
                self.conn.execute("ROLLBACK")
            raise
        if cap:
            self.conn.execute("COMMIT")
        if row is None:
            if self.record(campaign_id, key) is None:
                raise KeyError(key)
            return None
        self.handed_over += 1
        return int(row[0])

    def _campaign_relay(self, campaign_id: int) -> str | None:
        found = self.conn.execute("SELECT relay FROM campaign_relays WHERE campaign_id = ?", (campaign_id,)).fetchone()
        return str(found[0]) if found else None

    def _take_room(self, account: str, cap: int, now: dt.datetime) -> None:
        """Inside the hand-over's write transaction: raise CapReached when ``account`` has no room left
        under ``cap`` in the 24 hours before ``now`` (the hand-overs of every campaign and process).

        Counting 10,000 hand-overs each time costs ~2 ms; so the count is taken again only when it could
        be full: since the last count, the account can have gained at most as many hand-overs as the table
        gained rows (its last rowid, read in this same transaction), and old ones only ever leave."""
        top = int(self.conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM handovers").fetchone()[0])
        seen = self._room_seen.get(account)
        if seen is not None and top >= seen[1] and seen[0] + (top - seen[1]) < cap:
            return
        since = _iso(now - dt.timedelta(days=1))
        used = int(
            self.conn.execute("SELECT COUNT(*) FROM handovers WHERE relay = ? AND at > ?", (account, since)).fetchone()[0]
        )
        self._room_seen[account] = (used, top)
        if used < cap:
            return
        # The slot frees when the (used - cap + 1)-th oldest hand-over leaves the 24 hours.
        oldest = self.conn.execute(
            "SELECT at FROM handovers WHERE relay = ? AND at > ? ORDER BY at LIMIT 1 OFFSET ?",
            (account, since, used - cap),
        ).fetchone()
        resume = dt.datetime.fromisoformat(str(oldest[0])) + dt.timedelta(days=1) if oldest else None
        raise CapReached(account, cap, used, resume)

    def mark_result(
        self,
        campaign_id: int,
        key: str,
        *,
        status: str,
        code: int | None,
        reply: str,
        retryable: bool = False,
        reason: str = "",
        charged: bool = True,
    ) -> None:
        """Record the server's answer (or its absence) for the last hand-over. ``retryable``: a ``failed``
        row may be tried again by a later run; ``reason``: what the reply meant, for the report;
        ``charged=False`` (a throttle, a quota, a refused login) gives back the attempt ``mark_sending`` took."""
        if status not in STATUSES:
            raise ValueError(status)
        now = self._now()
        self.conn.execute(
            "UPDATE recipients SET status = ?, last_code = ?, last_reply = ?, retryable = ?, reason = ?,"
            " attempts = MAX(0, attempts - ?), sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END"
            " WHERE campaign_id = ? AND key = ?",
            (status, code, reply[:1000], int(retryable), reason[:300], int(not charged), status, now, campaign_id, key),
        )

    def totals(self, campaign_id: int, *, role: str = "") -> dict[str, int]:
        """Rows per status: the journalists' (``role=""``), or the internal or test copies'."""
        counts = dict.fromkeys(STATUSES, 0)
        for status, n in self.conn.execute(
            "SELECT status, COUNT(*) FROM recipients WHERE campaign_id = ? AND role = ? GROUP BY status",
            (campaign_id, role),
        ):
            counts[status] = n
        return counts

    def advance_readers(self, campaign_id: int) -> dict[str, int]:
        """Journalists of this campaign who had the advance copy, per status now (``{"sent": 4}``)."""
        return dict(
            self.conn.execute(
                "SELECT status, COUNT(*) FROM recipients WHERE campaign_id = ? AND role = '' AND advance_of IS NOT NULL"
                " GROUP BY status",
                (campaign_id,),
            ).fetchall()
        )

    def states(self, campaign_id: int) -> dict[str, tuple[str, bool, int | None, int, str]]:
        """Every row's (status, retryable, advance_of, attempts, role) by key: what a dry run needs to know
        of a campaign it would resume, without whole records (100,000 of them would cost ~100 MB)."""
        return {
            str(key): (str(status), bool(retryable), advance_of, int(attempts), str(role))
            for key, status, retryable, advance_of, attempts, role in self.conn.execute(
                "SELECT key, status, retryable, advance_of, attempts, role FROM recipients WHERE campaign_id = ?",
                (campaign_id,),
            )
        }

    def replies(self, campaign_id: int, status: str) -> dict[str, str]:
        """The recorded reply (or reason left out) of the rows with ``status``, by key."""
        return dict(
            self.conn.execute(
                "SELECT key, last_reply FROM recipients WHERE campaign_id = ? AND status = ?", (campaign_id, status)
            ).fetchall()
        )

    def final_failures(self, campaign_id: int) -> list[str]:
        """Keys of journalists failed for good (not recorded retryable)."""
        return [
            str(row[0])
            for row in self.conn.execute(
                "SELECT key FROM recipients WHERE campaign_id = ? AND status = 'failed' AND retryable = 0 AND role = ''",
                (campaign_id,),
            )
        ]

    def languages(self, campaign_id: int) -> set[str]:
        """The language versions the campaign's journalists get ('' for the release's own), left-out rows aside."""
        return {
            str(row[0])
            for row in self.conn.execute(
                "SELECT DISTINCT language FROM recipients WHERE campaign_id = ? AND role = ''"
                " AND status NOT IN ('skipped', 'suppressed', 'invalid')",
                (campaign_id,),
            )
        }

    def copies(self, campaign_id: int) -> list[RecipientRecord]:
        """The campaign's internal copies (``[sender] internal_copies``, ``--copy-to``), in the order planned."""
        cur = self.conn.execute(
            "SELECT * FROM recipients WHERE campaign_id = ? AND role = 'internal' ORDER BY rowid", (campaign_id,)
        )
        return [_record(row) for row in cur]

    def earlier_receipts(
        self, slug: str, *, exclude: int, release_path: str | None = None, title: str | None = None
    ) -> dict[str, tuple[int, str]]:
        """Journalists another campaign of the same release reached, by key: (campaign, its kind); the
        released version (any kind but ``advance``) wins over the advance copy. Test campaigns and copies to
        one's own people are no journalist's receipt. "Same release": as :meth:`sent_in_other_campaigns`."""
        found: dict[str, tuple[int, str]] = {}
        cur = self.conn.execute(
            "SELECT r.key, c.id, c.kind FROM recipients r JOIN campaigns c ON c.id = r.campaign_id"
            " WHERE c.slug = ? AND c.id != ? AND (c.release_path = ? OR c.title = ?)"
            " AND r.status = 'sent' AND r.role = '' AND c.kind != 'test' ORDER BY c.id",
            (slug, exclude, release_path, title),
        )
        for key, cid, kind in cur:
            if key not in found or found[key][1] == "advance":
                found[key] = (int(cid), str(kind or "release"))
        return found

    def retry_failed(self, campaign_id: int, *, keep: Iterable[str] = ()) -> int:
        """``--retry-failed``: put every ``failed`` row back to pending for this run (a bounce is no failure
        to retry: its address is suppressed, and those keys, ``keep``, stay as they are). Returns how many."""
        keep = set(keep)
        keys = [
            (campaign_id, row[0])
            for row in self.conn.execute(
                "SELECT key FROM recipients WHERE campaign_id = ? AND status = 'failed'", (campaign_id,)
            ).fetchall()
            if row[0] not in keep
        ]
        self.conn.execute("BEGIN")
        try:
            self.conn.executemany(
                "UPDATE recipients SET status = 'pending' WHERE campaign_id = ? AND key = ? AND status = 'failed'", keys
            )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return len(keys)

    def unknown_relays(self, campaign_id: int) -> dict[str, str]:
        """Rows whose outcome is unknown, by key, with the relay that had them: a re-run sends each again
        only through that relay (it may have the message)."""
        return dict(
            self.conn.execute(
                "SELECT key, relay FROM recipients WHERE campaign_id = ? AND status = 'unknown' AND relay IS NOT NULL",
                (campaign_id,),
            ).fetchall()
        )

    def relay_counts(self, campaign_id: int) -> dict[str, dict[str, int]]:
        """Per relay account that took a hand-over of the campaign: its rows' statuses now, e.g.
        ``{"smtp://a:25": {"sent": 40, "unknown": 1}}`` (rows never handed over, or outbox ones, are left out)."""
        counts: dict[str, dict[str, int]] = {}
        for relay, status, n in self.conn.execute(
            "SELECT relay, status, COUNT(*) FROM recipients WHERE campaign_id = ? AND relay IS NOT NULL"
            " GROUP BY relay, status ORDER BY relay",
            (campaign_id,),
        ):
            counts.setdefault(relay, {})[status] = n
        return counts

    def recipients(self, campaign_id: int) -> Iterator[RecipientRecord]:
        # rowid order is the order the lists were read in
        cur = self.conn.execute("SELECT * FROM recipients WHERE campaign_id = ? ORDER BY rowid", (campaign_id,))
        for row in cur:
            yield _record(row)

    def record(self, campaign_id: int, key: str) -> RecipientRecord | None:
        row = self.conn.execute(
            "SELECT * FROM recipients WHERE campaign_id = ? AND key = ?", (campaign_id, key)
        ).fetchone()
        return _record(row) if row else None

    def sent_in_other_campaigns(
        self, slug: str, *, exclude: int, release_path: str | None = None, title: str | None = None
    ) -> set[str]:
        """Keys another campaign of the same release already reached (any version): see :meth:`earlier_receipts`.

        "Same release": same slug, and the same file or the same title (a scheduled job sends a copy of
        the file; two unrelated releases that share a file name rarely share a title too). Only 'sent': a
        row left 'sending'/'unknown' may never have arrived, and losing someone is worse.
        """
        return set(self.earlier_receipts(slug, exclude=exclude, release_path=release_path, title=title))

    # -- one sender per release ------------------------------------------------------------------------
    def acquire_release_lock(
        self, release: str, *, owner: str, purpose: str, lease_seconds: float = LOCK_LEASE
    ) -> LockHolder | None:
        """Take the lock on ``release`` for ``owner``; None when taken, else who holds it.

        A holder whose process is gone (same host), or whose lease ran out (another host), loses it.
        """
        host, pid = _owner_parts(owner)
        now = self.clock()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            row = self.conn.execute("SELECT * FROM release_locks WHERE release = ?", (release,)).fetchone()
            if row is not None and row["owner"] != owner:
                state = owner_state(row["owner"])
                if state == "alive" or (state == "unknown" and row["lease_until"] >= now.timestamp()):
                    self.conn.execute("COMMIT")
                    return _holder(row)
            self.conn.execute(
                "INSERT OR REPLACE INTO release_locks (release, owner, host, pid, campaign_id, purpose, since,"
                " lease_until) VALUES (?, ?, ?, ?, NULL, ?, ?, ?)",
                (release, owner, host, pid, purpose, _iso(now), now.timestamp() + lease_seconds),
            )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")
        return None

    def lock_holder(self, release: str) -> LockHolder | None:
        """Who holds the lock on ``release`` now, if anyone alive does."""
        row = self.conn.execute("SELECT * FROM release_locks WHERE release = ?", (release,)).fetchone()
        if row is None:
            return None
        state = owner_state(row["owner"])
        if state == "dead" or (state == "unknown" and row["lease_until"] < self.clock().timestamp()):
            return None
        return _holder(row)

    def set_lock_campaign(self, release: str, *, owner: str, campaign_id: int) -> None:
        self.conn.execute(
            "UPDATE release_locks SET campaign_id = ? WHERE release = ? AND owner = ?", (campaign_id, release, owner)
        )

    def renew_release_lock(self, release: str, *, owner: str, lease_seconds: float = LOCK_LEASE) -> bool:
        """Extend the lease; False if the lock is no longer ``owner``'s (taken over after a long pause)."""
        cur = self.conn.execute(
            "UPDATE release_locks SET lease_until = ? WHERE release = ? AND owner = ?",
            (self.clock().timestamp() + lease_seconds, release, owner),
        )
        return cur.rowcount == 1

    def release_release_lock(self, release: str, *, owner: str) -> None:
        self.conn.execute("DELETE FROM release_locks WHERE release = ? AND owner = ?", (release, owner))

    # -- suppressions pressctl made -----------------------------------------------------------------------
    def add_suppression(self, address: str, *, reason: str, origin: str) -> bool:
        """Record a suppressed address (lower-cased); False if it was recorded already (the first reason stays)."""
        cur = self.conn.execute(
            "INSERT INTO suppressions (address, reason, origin, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (address) DO NOTHING",
            (address.strip().lower(), reason[:500], origin, self._now()),
        )
        return cur.rowcount == 1

    def remove_suppression(self, address: str) -> bool:
        cur = self.conn.execute("DELETE FROM suppressions WHERE address = ?", (address.strip().lower(),))
        return cur.rowcount == 1

    def suppressions(self) -> dict[str, tuple[str, str, str]]:
        """Every recorded suppression: address -> (reason, origin, created_at)."""
        return {
            row[0]: (row[1], row[2], row[3])
            for row in self.conn.execute("SELECT address, reason, origin, created_at FROM suppressions ORDER BY address")
        }

    def known_addresses(self) -> set[str]:
        """Every address the ledger has sent to or planned for (to match unsubscribe tokens against)."""
        found = {row[0] for row in self.conn.execute("SELECT DISTINCT email FROM recipients WHERE key NOT LIKE 'invalid:%'")}
        found.update(self.suppressions())
        return found

    # -- bounces and replies (pressctl bounces) ------------------------------------------------------------
    def is_inbound_handled(self, handled_key: str) -> bool:
        """Whether ``pressctl bounces`` handled a message with this key before."""
        row = self.conn.execute("SELECT 1 FROM inbound WHERE handled_key = ?", (handled_key,)).fetchone()
        return row is not None

    def record_by_message_id(self, message_id: str) -> RecipientRecord | None:
        """The row a Message-ID was sent with (Message-IDs are unique per campaign and recipient)."""
        row = self.conn.execute(
            "SELECT * FROM recipients WHERE message_id = ? ORDER BY campaign_id DESC LIMIT 1", (message_id,)
        ).fetchone()
        return _record(row) if row else None

    def latest_record_for(self, key: str) -> RecipientRecord | None:
        """The most recent row handed to the server for this case-folded address (``sent`` or ``bounced``)."""
        row = self.conn.execute(
            "SELECT * FROM recipients WHERE key = ? AND status IN ('sent', 'bounced')"
            " ORDER BY COALESCE(sent_at, '') DESC, campaign_id DESC LIMIT 1",
            (key,),
        ).fetchone()
        return _record(row) if row else None

    def soft_bounce_times(self, address: str) -> list[dt.datetime]:
        """When soft bounces of this case-folded address were recorded (any campaign)."""
        return [
            dt.datetime.fromisoformat(row[0])
            for row in self.conn.execute("SELECT at FROM soft_bounces WHERE address = ? ORDER BY at", (address,))
        ]

    def apply_responses(
        self,
        updates: Iterable[ResponseUpdate],
        soft_bounces: Iterable[tuple[str, dt.datetime, str, str]],
        handled: tuple[str, str, str, str],
    ) -> None:
        """Row updates, soft bounces ``(address, at, code, handled key)`` and the handled message
        ``(key, kind, source, outcome)`` in one transaction: a crash leaves all of it or none."""
        now = self._now()
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for u in updates:
                if u.status is not None and u.status not in STATUSES:
                    raise ValueError(u.status)
                self.conn.execute(
                    "UPDATE recipients SET status = COALESCE(?, status), response = ?, response_detail = ?,"
                    " bounce_code = ?, new_address = ?, response_at = ? WHERE campaign_id = ? AND key = ?",
                    (u.status, u.response, u.detail[:2000], u.code[:20], u.new_address[:320], now, u.campaign_id, u.key),
                )
            self.conn.executemany(
                "INSERT INTO soft_bounces (address, at, code, handled_key) VALUES (?, ?, ?, ?)",
                ((a, _iso(at), code, key) for a, at, code, key in soft_bounces),
            )
            key, kind, source, outcome = handled
            self.conn.execute(
                "INSERT INTO inbound (handled_key, kind, source, seen_at, outcome) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (handled_key) DO NOTHING",
                (key, kind, source[:500], now, outcome[:300]),
            )
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def needs_attention(self, campaign_id: int | None = None) -> list[RecipientRecord]:
        """Rows a person should look at: bounced, or a response ``moved``, ``replied`` or ``failed`` (refused by
        the recipient's server as policy or size: pressctl.bounces.plan), in all campaigns or one."""
        where = "(status = 'bounced' OR response IN ('bounced', 'moved', 'replied', 'failed'))"
        args: tuple[object, ...] = ()
        if campaign_id is not None:
            where += " AND campaign_id = ?"
            args = (campaign_id,)
        cur = self.conn.execute(f"SELECT * FROM recipients WHERE {where} ORDER BY campaign_id, rowid", args)
        return [_record(row) for row in cur]



@dataclass(frozen=True)
class LockHolder:
    """The process sending a release now."""

    owner: str
    host: str
    pid: int
    campaign_id: int | None
    purpose: str
    since: str  # ISO 8601, UTC

    def describe(self) -> str:
        campaign = f"campaign #{self.campaign_id}" if self.campaign_id else "its campaign not opened yet"
        since = self.since[:19].replace("T", " ") + " UTC"
        what = f" ({self.purpose})" if self.purpose and self.purpose != "send" else ""
        return f"pid {self.pid} on {self.host}{what}, {campaign}, since {since}"


def _holder(row: sqlite3.Row) -> LockHolder:
    return LockHolder(
        owner=row["owner"], host=row["host"], pid=row["pid"], campaign_id=row["campaign_id"],
        purpose=row["purpose"], since=row["since"],
    )


def _owner_parts(owner: str) -> tuple[str, int]:
    parts = owner.split(":")
    pid = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else os.getpid()
    return (parts[0] or socket.gethostname()), pid


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _record(row: sqlite3.Row) -> RecipientRecord:
    values = {k: row[k] for k in _RECORD_FIELDS}
    values["retryable"] = bool(values["retryable"])
    return RecipientRecord(**values)


_RECORD_FIELDS = tuple(RecipientRecord.__dataclass_fields__)
