"""A real PostgreSQL 15 for tests: its own cluster (``initdb``) in a temporary folder, on a free loopback port.

Usage::

    with PostgresServer() as pg:            # or the ``postgres`` fixture (one server per test session/worker)
        url = pg.new_database()              # postgresql://pressctl@127.0.0.1:PORT/t_3, empty
        env = pg.env()                       # {"PRESSCTL_LEDGER_PASSWORD": ...}
        pg.stop(); pg.start()                # the server going away mid-run, and coming back

``initdb -U postgres --auth=scram-sha-256 --pwfile`` then ``pg_ctl start`` with the socket in the cluster's
own folder and ``listen_addresses=127.0.0.1``. PostgreSQL refuses to run as root: under root the cluster
belongs to ``nobody`` and its commands run as that user. The ledger's user ``pressctl`` has a password, given
to pressctl through ``PRESSCTL_LEDGER_PASSWORD`` as an office would. Skips with a reason when PostgreSQL 15
is not installed (Debian ``postgresql-15``, in scripts/dev's APT_PACKAGES).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["PG_BIN", "PostgresServer", "ledger_store", "pg_skip_reason", "postgres"]

PG_BIN = Path(os.environ.get("PRESSCTL_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
USER = "pressctl"
PASSWORD = "hvsp-ledger-test-secret"
ADMIN_PASSWORD = "hvsp-admin-test-secret"


def pg_skip_reason() -> str | None:
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing: Debian package postgresql-15)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One PostgreSQL cluster of the test's own."""

    def __init__(self) -> None:
        reason = pg_skip_reason()
        if reason:
            pytest.skip(reason)
        self.root = Path(tempfile.mkdtemp(prefix="pressctl-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self._names = itertools.count(1)
        self._as: dict[str, Any] = {}
        if os.geteuid() == 0:  # PostgreSQL will not run as root: the cluster is nobody's
            nobody = pwd.getpwnam("nobody")
            os.chown(self.root, nobody.pw_uid, nobody.pw_gid)
            self._as = {"user": nobody.pw_uid, "group": nobody.pw_gid}
        os.chmod(self.root, 0o755)
        pwfile = self.root / "pw"
        pwfile.write_text(ADMIN_PASSWORD + "\n")
        if self._as:
            os.chown(pwfile, self._as["user"], self._as["group"])
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=scram-sha-256", f"--pwfile={pwfile}",
                  "-E", "UTF8", "--locale=C.UTF-8")
        self.start()
        self.admin(f"CREATE ROLE {USER} LOGIN PASSWORD '{PASSWORD}' CREATEDB")

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "PGPASSWORD": ADMIN_PASSWORD}
        return subprocess.run(
            [str(PG_BIN / tool), *args], capture_output=True, text=True, check=check, env=env, cwd=self.root,
            timeout=120, **self._as,
        )

    def start(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60",
            "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def admin(self, sql: str, database: str = "postgres") -> str:
        done = self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                         "-v", "ON_ERROR_STOP=1", "-At", "-c", sql)
        return done.stdout

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def new_database(self) -> str:
        """A fresh, empty database owned by the ledger's user; its URL (no password in it)."""
        name = f"t_{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} OWNER {USER}")
        return self.url(name)

    def env(self) -> dict[str, str]:
        return {"PRESSCTL_LEDGER_PASSWORD": PASSWORD}

    def close(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the test session (each xdist worker its own); each test asks it for a new
    database (:meth:`PostgresServer.new_database`)."""
    server = PostgresServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def ledger_store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str | Path:
    """A new, empty ledger's name in each store: a SQLite file, and a database of the session's PostgreSQL
    (its password in the environment, as an office gives it). Tests taking it run once per store."""
    if request.param == "sqlite":
        return tmp_path / "ledger.sqlite3"
    server: PostgresServer = request.getfixturevalue("postgres")
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    return server.new_database()
