"""The ledger's schema as one list of migrations, and the one runner that applies them.

:data:`MIGRATIONS` lists one function per schema version, in order; the store's schema version
(:meth:`pressctl.ledger.connection.Connection.schema_version`: ``PRAGMA user_version`` in SQLite) says how many
have been applied. :func:`migrate` applies the missing ones inside one write transaction when a ledger is
opened, so a ledger made by an older pressctl is brought up to date (two processes opening it at once: one
migrates, the other finds it done) and one made by a newer pressctl is refused in one line, untouched.

**Adding a migration is appending a function to the end of** :data:`MIGRATIONS`: it gets the next version
number; a migration already released is never edited (ledgers in the field were made by it). Each takes the
connection (anything with ``execute``) and runs SQL; schema history lives here, the queries of each table
family live in that family's module.

The versions: 1 campaigns and recipients; 2 ``release_locks`` (one sender per release) and
``suppressions``; 3 bounces and replies (the ``bounced`` status, each row's response columns, ``inbound``
and ``soft_bounces``); 4 hand-overs per relay account (rolling daily caps); 5 ``recipients.retryable`` and
``reason`` (the reply policy's decision, recorded when it is made); 6 ``recipients.relay`` (several
relays); 7 ``campaigns.kind``, ``recipients.role`` and ``advance_of``; 8 the scheduler's ``jobs`` and the
bounces' ``inbound_notes`` join the list (before, the jobs table was versioned on its own in
``jobs_schema``, and ``inbound_notes`` was made when the first note was written); 9 addresses re-keyed by
:func:`pressctl.addresses.address_key`, the one key rule (issue 19); 10 ``job_files``, a scheduled job's snapshot (its files' bytes and digests) kept in the
ledger, so a dispatcher on another machine sends what was scheduled (issue 22); 11 ``approvals`` (issue 23).

PostgreSQL runs the same list: a new PostgreSQL ledger starts from :mod:`pressctl.ledger.pgbaseline`, the
schema at version 9 written for it (the one place the two stores' SQL differs: SQLite's ``UPDATE OR
IGNORE``, ``GLOB``, ``json_extract``, ``sqlite_master`` and table rebuilds in versions 1-9 never run there),
and runs only the migrations appended after it, **each written in the SQL both stores accept**
(``tests/test_ledger_migrations.py`` runs every one on both).
"""

from __future__ import annotations

from collections.abc import Callable

from pressctl.addresses import address_key
from pressctl.errors import InputError
from pressctl.ledger.connection import Connection, Executes
from pressctl.ledger.pgbaseline import BASELINE, BASELINE_VERSION

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate", "schema_statements"]

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


def _migrate_1(conn: Executes) -> None:
    """The first schema: campaigns and recipients (ledgers before versioning have it, at user_version 0)."""
    for statement in schema_statements(_SCHEMA_V1):
        conn.execute(statement)


def _migrate_2(conn: Executes) -> None:
    """Release locks (one sender per release) and the suppressions pressctl itself recorded."""
    for statement in schema_statements(_SCHEMA_V2):
        conn.execute(statement)


def _migrate_bounces(conn: Executes) -> None:
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


def _migrate_relay_handovers(conn: Executes) -> None:
    """Hand-overs per relay account, for rolling daily caps across campaigns (issue 11)."""
    for statement in schema_statements(_SCHEMA_RELAY_HANDOVERS):
        conn.execute(statement)
    conn.execute(_HANDOVER_TRIGGER)


def _migrate_reply_policy(conn: Executes) -> None:
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


def _migrate_row_relay(conn: Executes) -> None:
    """Which relay took each hand-over (several relays, issue 11 point 5): ``recipients.relay`` (the relay
    account, scheme://user@host:port; NULL for the local outbox and for rows sent before), and the
    hand-over trigger counting each under it."""
    conn.execute("ALTER TABLE recipients ADD COLUMN relay TEXT")
    conn.execute("DROP TRIGGER IF EXISTS handovers_record")
    conn.execute(_HANDOVER_TRIGGER_PER_ROW)


def _migrate_kinds(conn: Executes) -> None:
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


# The jobs table's own versions before it joined this list (issue 19), kept as they were: a migration is
# never edited. Version 1: the table as it was before the jobs were versioned.
_JOBS_V1 = """
CREATE TABLE IF NOT EXISTS jobs (
    id               TEXT PRIMARY KEY,
    state            TEXT NOT NULL CHECK (state IN
                       ('scheduled', 'running', 'done', 'missed', 'cancelled', 'failed')),
    due_at           TEXT NOT NULL,      -- UTC, fixed-width ISO 8601: text order is time order
    timezone         TEXT NOT NULL,      -- the release's IANA zone, for showing times
    embargo_at       TEXT,               -- UTC, or NULL for a release without an embargo
    under_embargo    INTEGER NOT NULL DEFAULT 0,
    release          TEXT NOT NULL,      -- the release as the user named it (absolute path)
    title            TEXT NOT NULL DEFAULT '',
    workspace        TEXT NOT NULL,      -- workspace root
    config           TEXT,               -- pressctl.toml, if any
    snapshot_dir     TEXT NOT NULL,
    snapshot_release TEXT NOT NULL,      -- relative to snapshot_dir
    contacts         TEXT NOT NULL,      -- JSON list, relative to snapshot_dir
    sources          TEXT NOT NULL,      -- JSON list of {role, source, snapshot, sha256}
    options          TEXT NOT NULL,      -- JSON: the sending options given to `schedule`
    recipients       INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    owner            TEXT,               -- "host:pid" of the dispatcher sending it
    lease_until      REAL,               -- epoch seconds; past it, another dispatcher may take over
    started_at       TEXT,
    not_before       TEXT,               -- the bound the send started under; a resume keeps it (NULL: none)
    finished_at      TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    campaign         TEXT,               -- the send engine's campaign id, once known
    result           TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_state_due ON jobs (state, due_at);
"""

# Jobs version 2: the ``held`` state, when a held job resumes (UTC) and why it waits. SQLite cannot change a CHECK
# constraint in place, so the table is rebuilt (same columns, in the same order, plus the two new ones).
_JOBS_V2 = """
CREATE TABLE jobs_v2 (
    id               TEXT PRIMARY KEY,
    state            TEXT NOT NULL CHECK (state IN
                       ('scheduled', 'held', 'running', 'done', 'missed', 'cancelled', 'failed')),
    due_at           TEXT NOT NULL,
    timezone         TEXT NOT NULL,
    embargo_at       TEXT,
    under_embargo    INTEGER NOT NULL DEFAULT 0,
    release          TEXT NOT NULL,
    title            TEXT NOT NULL DEFAULT '',
    workspace        TEXT NOT NULL,
    config           TEXT,
    snapshot_dir     TEXT NOT NULL,
    snapshot_release TEXT NOT NULL,
    contacts         TEXT NOT NULL,
    sources          TEXT NOT NULL,
    options          TEXT NOT NULL,
    recipients       INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    owner            TEXT,
    lease_until      REAL,
    started_at       TEXT,
    not_before       TEXT,
    finished_at      TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    campaign         TEXT,
    result           TEXT NOT NULL DEFAULT '',
    error            TEXT NOT NULL DEFAULT '',
    resume_at        TEXT,               -- UTC, while held: when a dispatcher takes it up again
    held_reason      TEXT NOT NULL DEFAULT ''  -- while held: why (the daily cap, "stop for now", the newsroom)
);
INSERT INTO jobs_v2 (id, state, due_at, timezone, embargo_at, under_embargo, release, title, workspace, config, snapshot_dir, snapshot_release, contacts, sources, options, recipients, created_at, owner, lease_until, started_at, not_before, finished_at, attempts, campaign, result, error)
    SELECT id, state, due_at, timezone, embargo_at, under_embargo, release, title, workspace, config, snapshot_dir, snapshot_release, contacts, sources, options, recipients, created_at, owner, lease_until, started_at, not_before, finished_at, attempts, campaign, result, error FROM jobs;
-- Held the old way: scheduled at the retry time, the reason in the error.
UPDATE jobs_v2 SET state = 'held', resume_at = due_at, held_reason = substr(error, 7), error = ''
    WHERE state = 'scheduled' AND error LIKE 'held: %';
DROP TABLE jobs;
ALTER TABLE jobs_v2 RENAME TO jobs;
CREATE INDEX jobs_state_due ON jobs (state, due_at);
CREATE INDEX jobs_state_resume ON jobs (state, resume_at);
"""


_SCHEMA_INBOUND_NOTES = """
CREATE TABLE IF NOT EXISTS inbound_notes (
    handled_key  TEXT NOT NULL,            -- the message's handled key (pressctl.bounces.parse.Finding)
    kind         TEXT NOT NULL,            -- unconfirmed-unsubscribe | unreadable
    source       TEXT NOT NULL DEFAULT '', -- the mailbox and the message's id in it
    seen_at      TEXT NOT NULL,            -- ISO 8601, UTC
    sender       TEXT NOT NULL DEFAULT '', -- its From address (what it claims, not proof)
    subject      TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '', -- the first lines it wrote (a request), or why it could not be read
    campaign_id  INTEGER,                  -- the campaign of the message it replies to, when one of ours
    email        TEXT NOT NULL DEFAULT '', -- that row's address
    PRIMARY KEY (handled_key, kind)
)
"""

_JOBS_VERSIONS = (_JOBS_V1, _JOBS_V2)


def _migrate_jobs_and_notes(conn: Executes) -> None:
    """The scheduler's ``jobs`` and the bounces' ``inbound_notes`` in the one list (issue 19).

    A ledger that has a jobs table has it at the version its ``jobs_schema`` row says (none: the first
    table, from before the jobs were versioned); it is brought to jobs version 2 (the ``held`` state, rows
    held the old way becoming ``held``) and ``jobs_schema`` goes. A ledger without one gets it, made the same
    way. ``inbound_notes`` is made if the first note has not made it already."""
    version = 0
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'jobs_schema'").fetchone():
        row = conn.execute("SELECT version FROM jobs_schema").fetchone()
        version = int(row[0]) if row is not None else 0
    if version > len(_JOBS_VERSIONS):
        raise InputError(
            f"the ledger's jobs were made by a newer pressctl (jobs version {version}; this pressctl knows "
            f"up to {len(_JOBS_VERSIONS)})",
            hint="upgrade pressctl to use this ledger (it was left untouched)",
        )
    for script in _JOBS_VERSIONS[version:]:
        for statement in schema_statements(script):
            conn.execute(statement)
    conn.execute("DROP TABLE IF EXISTS jobs_schema")
    conn.execute(_SCHEMA_INBOUND_NOTES)


# One function per schema version, in order; the store's schema version says how many have been applied.
# Append new ones at the end (never edit or reorder one that was released).
def _migrate_address_keys(conn: Executes) -> None:
    """Re-key addresses by ``addresses.address_key`` (issue 19), the one rule now: recipients' keys and
    recorded suppressions were ``lower()`` of the address, soft bounces its ``casefold()``. They differ only
    where an address has non-ASCII characters (``ß`` folds to ``ss``; an NFD local part; a Unicode domain a
    suppression kept), so only such rows are read. A soft bounce's folded address cannot be unfolded: it is
    re-keyed through the recipients' addresses that fold to it (unless the folded form is a reader of its own:
    then whose it was cannot be told). Where a suppression's new key is recorded already, the old row goes; a
    recipient row whose new key its campaign already has stays as it was."""
    non_ascii = "GLOB '*[^ -~]*'"
    rows = conn.execute(
        f"SELECT rowid, key, email FROM recipients WHERE email {non_ascii} AND role = '' AND key NOT LIKE 'invalid:%'"
    ).fetchall()
    for rowid, key, email in rows:
        if address_key(email) != key:
            conn.execute("UPDATE OR IGNORE recipients SET key = ? WHERE rowid = ?", (address_key(email), rowid))
    for (address,) in conn.execute(f"SELECT address FROM suppressions WHERE address {non_ascii}").fetchall():
        if address_key(address) != address:
            conn.execute("UPDATE OR IGNORE suppressions SET address = ? WHERE address = ?", (address_key(address), address))
            conn.execute("DELETE FROM suppressions WHERE address = ?", (address,))
    # A folded address may be ASCII (strauß -> strauss): found through the recipients that fold to it.
    folded: dict[str, str] = {}
    for (email,) in conn.execute(f"SELECT DISTINCT email FROM recipients WHERE email {non_ascii}").fetchall():
        old = email.casefold()  # the old rule, to find the rows it keyed
        if old != address_key(email):
            folded.setdefault(old, address_key(email))
    for (address,) in conn.execute(f"SELECT DISTINCT address FROM soft_bounces WHERE address {non_ascii}").fetchall():
        folded.setdefault(address, address_key(address))
    for old, new in folded.items():
        if new == old:
            continue
        # strauss@ may be a reader of its own: then whose soft bounce it was cannot be told, and it stays.
        if old.isascii() and conn.execute("SELECT 1 FROM recipients WHERE key = ? LIMIT 1", (old,)).fetchone():
            continue
        conn.execute("UPDATE soft_bounces SET address = ? WHERE address = ?", (new, old))


_SCHEMA_JOB_FILES = """
CREATE TABLE IF NOT EXISTS job_files (
    job_id       TEXT NOT NULL,
    path         TEXT NOT NULL,            -- inside the job's snapshot folder
    sha256       TEXT NOT NULL,
    content      BYTEA NOT NULL,
    PRIMARY KEY (job_id, path)
)
"""


_SCHEMA_APPROVALS = """
CREATE TABLE IF NOT EXISTS approvals (
    id           TEXT PRIMARY KEY,         -- random; rows are only added
    slug         TEXT NOT NULL,            -- the release (a scheduled job's copy has the same slug)
    release_path TEXT NOT NULL,
    title        TEXT NOT NULL,
    approver     TEXT NOT NULL,
    approved_at  TEXT NOT NULL,            -- ISO 8601 UTC: text order is time order
    digests      TEXT NOT NULL,            -- JSON: language -> part (subject, email, text, pdf, photos) -> sha256
    assets       TEXT NOT NULL,            -- sha256 of the photos, attachments and body images
    note         TEXT NOT NULL DEFAULT '',
    warnings     TEXT NOT NULL DEFAULT '[]' -- JSON list: the warnings the release was approved with
);
CREATE INDEX IF NOT EXISTS approvals_slug ON approvals (slug, approved_at);
CREATE TABLE IF NOT EXISTS approval_uses (
    campaign_id  INTEGER NOT NULL,         -- the campaign that went out under the approval
    approval_id  TEXT NOT NULL,
    PRIMARY KEY (campaign_id, approval_id)
)
"""


def _migrate_job_files(conn: Executes) -> None:
    """A scheduled job's snapshot in the ledger (issue 22): each file's bytes and digest, so a dispatcher on
    another machine (the shared PostgreSQL ledger) sends what an officer scheduled from a laptop that is
    asleep or gone. Written in SQL both stores accept (``BYTEA`` is a blob in SQLite)."""
    conn.execute(_SCHEMA_JOB_FILES)


def _migrate_approvals(conn: Executes) -> None:
    """Approvals (issue 23): who signed off which rendered version of a release, and which campaigns went
    out under which approval."""
    for statement in schema_statements(_SCHEMA_APPROVALS):
        conn.execute(statement)


MIGRATIONS: tuple[Callable[[Executes], None], ...] = (
    _migrate_1,
    _migrate_2,
    _migrate_bounces,
    _migrate_relay_handovers,
    _migrate_reply_policy,
    _migrate_row_relay,
    _migrate_kinds,
    _migrate_jobs_and_notes,
    _migrate_address_keys,
    _migrate_job_files,
    _migrate_approvals,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: Connection) -> None:
    """Bring the store up to :data:`SCHEMA_VERSION` in one write transaction; a newer one is refused."""
    version = conn.schema_version()
    if version > SCHEMA_VERSION:
        raise _newer(conn, version)
    if version == SCHEMA_VERSION:
        return
    try:
        with conn.write(lock="schema"):  # two processes opening an old ledger at once: one migrates
            version = conn.schema_version()
            if version > SCHEMA_VERSION:
                raise _newer(conn, version)
            if version == 0 and conn.dialect == "postgresql":
                conn.execute(BASELINE)  # a new server ledger: the schema at BASELINE_VERSION in one script
                version = BASELINE_VERSION
            for migration in MIGRATIONS[version:]:
                migration(conn)
            conn.set_schema_version(SCHEMA_VERSION)
    except InputError as exc:
        exc.where = exc.where or conn.where
        raise


def _newer(conn: Connection, version: int) -> InputError:
    return InputError(
        f"the ledger was made by a newer pressctl (schema version {version}; this pressctl knows up to "
        f"{SCHEMA_VERSION})",
        where=conn.where,
        hint="upgrade pressctl to use this ledger (it was left untouched), or pass another file with --db",
    )
