"""CLI: ``pressctl approve RELEASE`` (sign off the version it renders to now) and ``pressctl approvals
[RELEASE]`` (who approved what, when), over :mod:`pressctl.approvals.record`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pressctl.cli._common import command, escape, print_table, warn, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, LedgerDb, ReleaseFile

__all__ = ["register"]


@command
def approve(
    env: Env,
    release: ReleaseFile,
    as_name: Annotated[
        str | None,
        typer.Option("--as", help="Who approves (default: git's user.name, else your login name)."),
    ] = None,
    note: Annotated[str, typer.Option("--note", help="A note kept with the approval, e.g. 'legal: ok'.")] = "",
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """Approve RELEASE as it renders now, in every language: who, when, and a digest of each version's subject,
    email, text, PDF and photos, recorded in the ledger.

    With `\\[workflow] approval = "required"` in pressctl.toml, `send`, `schedule`, `publish` and `dispatch`
    go only with an approval of exactly what they would send; an edit after it (a word, a photo, a
    translation) needs a new one. A release that does not render (an error) cannot be approved; its
    warnings are kept with the approval.

    Examples:
      pressctl approve releases/launch.md
      pressctl approve releases/launch.md --as "Amy Chan" --note "legal checked the figures"
    """
    from pressctl.approvals.record import approve_release, approver_name
    from pressctl.ledger.stores import ledger_name
    from pressctl.present import local_time

    workspace = workspace_for(env, release, config)
    who = approver_name(as_name, cwd=workspace.root, environ=env.environ)
    done = approve_release(release, workspace=workspace, approver=who, note=note, ledger_path=ledger_name(db) if db else None, clock=env.clock)
    for line in done.record.warnings:
        warn(env, f"approved with this warning: {line}")
    languages = ", ".join(r.language for r in done.releases)
    when = local_time(done.record.approved_at, workspace.zone)
    again = " (again: the same version)" if done.again else ""
    env.out.print(
        escape(f"approved {done.record.slug} ({languages}) by {done.record.approver} at {when}{again}; approval {done.record.id}"),
    )


@command
def approvals(
    env: Env,
    release: Annotated[Path | None, typer.Argument(help="Only this release's approvals.")] = None,
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """List approvals, newest first: when, who, the release, its languages, the note and warnings kept.

    Example:
      pressctl approvals releases/launch.md
    """
    from pressctl.approvals.record import approvals_of
    from pressctl.ledger.stores import ledger_name
    from pressctl.present import table_time, zone_label

    workspace = workspace_for(env, release, config)
    found = approvals_of(release, workspace, ledger_path=ledger_name(db) if db else None)
    if not found:
        env.err.print("no approvals yet" + (f" of {escape(release)}" if release else ""))
        return
    rows = [
        [
            table_time(r.approved_at, workspace.zone),
            r.approver,
            r.slug,
            ", ".join(r.digests),
            r.note,
            str(len(r.warnings)),
            r.id,
        ]
        for r in found
    ]
    headers = [f"approved ({zone_label(workspace.zone)})", "by", "release", "languages", "note", "warnings", "id"]
    print_table(env, headers, rows)


def register(app: typer.Typer) -> None:
    """Add ``approve`` and ``approvals`` to the app."""
    app.command("approve")(approve)
    app.command("approvals")(approvals)
