"""Moving a ledger into another store (``pressctl ledger copy --to URL``), and what a store says about itself
(``pressctl ledger check``).

:func:`copy_ledger` copies every table of one ledger into another (in practice an officer's SQLite file
into the office's PostgreSQL database) in one transaction, **idempotently**: a row whose key the target
has already is left as it is, so running it twice, or after a failure, copies only what is missing. The
campaigns keep their numbers (``pressctl report 3`` means the same campaign after the move); a target
whose campaign number is another campaign's is refused before anything is written. Release locks are not
copied (they belong to processes running now). A scheduled job from before the ledger kept snapshots gets
its snapshot's files read from its folder, so a dispatcher elsewhere can send it.

Tables are copied by their columns' names, the ones both stores have, so a table family added later
(with a key) is copied without a change here.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pressctl.digests import bytes_sha256
from pressctl.errors import InputError
from pressctl.ledger.connection import Connection
from pressctl.ledger.locks import LOCK_LEASE
from pressctl.ledger.migrations import SCHEMA_VERSION

__all__ = ["CopyReport", "StoreCheck", "check_store", "copy_ledger"]

# Parents first (recipients name a campaign); locks are the running processes', never copied.
_FIRST = ("campaigns", "recipients", "campaign_relays", "handovers", "suppressions", "inbound", "soft_bounces",
          "inbound_notes", "jobs", "job_files")
_SKIP = {"release_locks", "pressctl_schema", "jobs_schema"}
# Tables without a key: a row counts as there already when every column matches.
_KEYLESS = {"handovers", "soft_bounces"}


@dataclass
class CopyReport:
    """What a copy did, per table: rows copied, rows the target had already."""

    source: str
    target: str
    copied: dict[str, int] = field(default_factory=dict)
    present: dict[str, int] = field(default_factory=dict)
    snapshots_read: int = 0  # job snapshots read from their folders (jobs from before the ledger kept them)

    def line(self) -> str:
        def n(table: str) -> int:
            return self.copied.get(table, 0)

        parts = [
            f"{n('campaigns')} campaign(s)",
            f"{n('recipients')} recipient row(s)",
            f"{n('suppressions')} suppression(s)",
            f"{n('jobs')} scheduled job(s) ({n('job_files')} snapshot file(s))",
            f"{n('inbound') + n('inbound_notes') + n('soft_bounces')} bounce/reply record(s)",
        ]
        others = sum(v for k, v in self.copied.items() if k not in _FIRST)
        if others:
            parts.append(f"{others} other row(s)")
        line = f"copied {', '.join(parts)} from {self.source} to {self.target}"
        already = sum(self.present.values())
        return line + (f"; {already:,} row(s) were there already and were left as they are" if already else "")


def _tables(conn: Connection) -> list[str]:
    if conn.dialect == "sqlite":
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'").fetchall()
    else:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
    found = {str(r[0]) for r in rows} - _SKIP
    return [t for t in _FIRST if t in found] + sorted(found - set(_FIRST))


def _columns(conn: Connection, table: str) -> list[str]:
    if conn.dialect == "sqlite":
        return [str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})").fetchall()]
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?"
        " ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def _check_campaign_numbers(source: Connection, target: Connection) -> None:
    theirs = {int(r[0]): str(r[1]) for r in target.execute("SELECT id, token FROM campaigns").fetchall()}
    for cid, token in source.execute("SELECT id, token FROM campaigns").fetchall():
        if int(cid) in theirs and theirs[int(cid)] != token:
            raise InputError(
                f"the target ledger has another campaign #{cid} already; nothing was copied",
                where=target.where,
                hint="copy into a new, empty database (a ledger's campaigns keep their numbers)",
            )


def copy_ledger(source: Connection, target: Connection) -> CopyReport:
    """Copy every row of ``source`` that ``target`` lacks, in one transaction of ``target``."""
    for conn in (source, target):
        if conn.schema_version() != SCHEMA_VERSION:
            raise InputError(
                f"the ledger is at schema version {conn.schema_version()}, not {SCHEMA_VERSION}",
                where=conn.where, hint="open it with this pressctl once (pressctl ledger check), then copy again",
            )
    report = CopyReport(source=source.where, target=target.where)
    with target.write(lock="copy"):
        _check_campaign_numbers(source, target)
        wanted = set(_tables(target))
        for table in _tables(source):
            if table not in wanted:
                continue
            theirs = set(_columns(target, table))
            columns = [c for c in _columns(source, table) if c in theirs and c != "rowid"]
            order = " ORDER BY rowid" if source.dialect == "sqlite" else ""
            rows = source.execute(f"SELECT {', '.join(columns)} FROM {table}{order}").fetchall()
            copied = _insert(target, table, columns, [tuple(r) for r in rows])
            report.copied[table] = copied
            report.present[table] = len(rows) - copied
        report.snapshots_read = _snapshots_from_folders(target, report)
        if target.dialect == "postgresql":  # campaigns kept their numbers: the next one follows the highest
            target.execute(
                "SELECT setval(pg_get_serial_sequence('campaigns', 'id'), COALESCE((SELECT MAX(id) FROM campaigns), 0) + 1,"
                " false)"
            )
    return report


def _insert(target: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> int:
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    if table in _KEYLESS:
        same = " AND ".join(f"{c} IS NOT DISTINCT FROM ?" if target.dialect == "postgresql" else f"{c} IS ?"
                            for c in columns)
        sql = f"INSERT INTO {table} ({names}) SELECT {marks} WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {same})"
        return sum(target.execute(sql, (*row, *row)).rowcount for row in rows)
    return target.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING", rows)


def _snapshots_from_folders(target: Connection, report: CopyReport) -> int:
    """Jobs that are waiting and have no snapshot in the ledger: their folder's files, digests checked."""
    read = 0
    waiting = target.execute(
        "SELECT id, snapshot_dir, sources FROM jobs WHERE state IN ('scheduled', 'held', 'running', 'missed')"
        " AND id NOT IN (SELECT job_id FROM job_files)"
    ).fetchall()
    for job_id, folder, sources in waiting:
        files = []
        for source in json.loads(sources):
            try:
                data = (Path(folder) / source["snapshot"]).read_bytes()
            except OSError:
                break
            if bytes_sha256(data) != source["sha256"]:
                break
            files.append((job_id, source["snapshot"], source["sha256"], data))
        else:
            report.copied["job_files"] = report.copied.get("job_files", 0) + target.executemany(
                "INSERT INTO job_files (job_id, path, sha256, content) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", files
            )
            read += 1
    return read


@dataclass(frozen=True)
class StoreCheck:
    """``pressctl ledger check``: which store, its schema, and whether the clocks leases rely on agree."""

    kind: str  # "SQLite file" | "PostgreSQL 15.4"
    where: str
    schema_version: int
    campaigns: int
    jobs_waiting: int
    suppressions: int
    clock_skew: float | None  # seconds the database's clock is ahead of this machine's (None: a file)

    @property
    def clock_ok(self) -> bool:
        """Leases (release locks, jobs) are compared across machines: a skew past a quarter of a lease is not."""
        return self.clock_skew is None or abs(self.clock_skew) <= LOCK_LEASE / 4


def check_store(conn: Connection) -> StoreCheck:
    """What ``conn``'s store is and holds, and how far its clock is from this machine's."""
    skew: float | None = None
    kind = "SQLite file"
    if conn.dialect == "postgresql":
        before = time.time()
        server = float(conn.execute("SELECT EXTRACT(EPOCH FROM clock_timestamp())").fetchone()[0])
        after = time.time()
        skew = server - (before + after) / 2
        kind = f"PostgreSQL {str(conn.execute('SHOW server_version').fetchone()[0]).split()[0]}"

    def count(sql: str) -> int:
        return int(conn.execute(sql).fetchone()[0])

    return StoreCheck(
        kind=kind,
        where=conn.where,
        schema_version=conn.schema_version(),
        campaigns=count("SELECT COUNT(*) FROM campaigns"),
        jobs_waiting=count("SELECT COUNT(*) FROM jobs WHERE state IN ('scheduled', 'held', 'running')"),
        suppressions=count("SELECT COUNT(*) FROM suppressions"),
        clock_skew=skew,
    )
