"""CLI: ``pressctl ledger copy|check``: moving a workspace's ledger into the office's shared database, and
asking a ledger which store it is. Thin over :mod:`pressctl.ledger.transfer`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli._common import command, escape, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, LedgerDb
from pressctl.errors import ExitStatus, InputError

__all__ = ["register"]

ledger_app = typer.Typer(
    help="The ledger's store: a file of this workspace, or an office's shared PostgreSQL database.",
    no_args_is_help=True,
)


def _name(env: Env, db: str | None, config: Path | None) -> Path | str:
    from pressctl.ledger.stores import ledger_name

    return ledger_name(db) if db else workspace_for(env, None, config).ledger_path


@ledger_app.command("copy")
@command
def copy(
    env: Env,
    to: Annotated[
        str, typer.Option("--to", help="The ledger to copy into: postgresql://USER@HOST:5432/DB (or a file).")
    ],
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """Copy this workspace's ledger (or --db) into another store: every campaign and recipient row,
    suppressions, bounces and replies, scheduled jobs with their snapshots. Rows the target has already are
    left as they are, so it can be run again; the campaigns keep their numbers.

    Then point every workspace at it with \\[ledger] url in pressctl.toml.

    Example: PRESSCTL_LEDGER_PASSWORD=... pressctl ledger copy --to postgresql://press@db.hvsp.example/pressctl
    """
    from pressctl.ledger import Ledger
    from pressctl.ledger.stores import exists, ledger_name
    from pressctl.ledger.transfer import copy_ledger

    source = _name(env, db, config)
    target = ledger_name(to)
    if not exists(source):
        raise InputError("no ledger here to copy", where=str(source), hint="run it in the workspace, or give --db")
    if str(source) == str(target):
        raise InputError("the ledger and --to are the same", where=str(target), hint="give --to another store")
    with Ledger(source) as old, Ledger(target) as new:
        report = copy_ledger(old.conn, new.conn)
    env.out.print(escape(report.line()))


@ledger_app.command("check")
@command
def check(env: Env, db: LedgerDb = None, config: ConfigFile = None) -> None:
    """Say which store the ledger is, its schema version, what it holds, and whether the database's clock
    agrees with this machine's (leases of release locks and jobs are compared across machines).

    Example: pressctl ledger check
    """
    from pressctl.ledger import Ledger
    from pressctl.ledger.migrations import SCHEMA_VERSION
    from pressctl.ledger.stores import exists, is_shared
    from pressctl.ledger.transfer import check_store
    from pressctl.present import aligned

    name = _name(env, db, config)
    workspace = workspace_for(env, None, config)
    if not exists(name):
        raise InputError("no ledger here yet", where=str(name), hint="run `pressctl send` first, or point --db at the ledger")
    with Ledger(name) as ledger:
        found = check_store(ledger.conn)
    clock = "this machine's (a file)" if found.clock_skew is None else (
        f"{found.clock_skew:+.1f} s from this machine's" + ("" if found.clock_ok else ": too far, leases cannot be trusted")
    )
    rows = {
        "store": found.kind,
        "where": found.where,
        "schema": f"version {found.schema_version} (this pressctl: {SCHEMA_VERSION})",
        "holds": f"{found.campaigns} campaign(s), {found.jobs_waiting} job(s) waiting, {found.suppressions} suppression(s)",
        "clock": clock,
    }
    if is_shared(name):  # every machine signs unsubscribe tokens and VERP addresses with the same secret
        if workspace.secret_env:
            rows["secret"] = (
                f"from {workspace.secret_env} ([ledger] secret_env)"
                if env.environ.get(workspace.secret_env, "").strip()
                else f"{workspace.secret_env} ([ledger] secret_env) is not set here: set it before sending from this machine"
            )
        else:
            rows["secret"] = (
                "this machine has the workspace secret (the same file on every machine: docs/team.md)"
                if (workspace.state_dir / "secret").is_file()
                else "none on this machine yet: copy .pressctl/secret from another officer's machine, or use"
                " [ledger] secret_env (docs/team.md), before sending here"
            )
    for line in aligned(rows):
        env.out.print(escape(line))
    if not found.clock_ok:
        env.err.print("[red]error:[/] set this machine's clock by NTP (timedatectl set-ntp true)", markup=True)
        raise typer.Exit(ExitStatus.FAILED)


def register(app: typer.Typer) -> None:
    """Add the ``ledger`` group to the app."""
    app.add_typer(ledger_app, name="ledger")
