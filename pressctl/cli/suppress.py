"""CLI: ``pressctl suppress add|list|remove|import``: the opt-outs, in ``contacts/suppressed.csv`` and the ledger.

Thin over :mod:`pressctl.contacts.suppression`. ``add`` and ``import`` write both places; ``remove`` clears both, on
purpose (the only way an address pressctl suppressed itself is mailed again).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli._common import command, escape, print_table, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, LedgerDb

if TYPE_CHECKING:
    from pressctl.config import Workspace
    from pressctl.ledger import Ledger

__all__ = ["register"]

suppress_app = typer.Typer(
    help="Opt-outs: addresses never mailed, kept in contacts/suppressed.csv and in the ledger.",
    no_args_is_help=True,
)

Addresses = Annotated[list[str], typer.Argument(help="Email addresses.", show_default=False)]


def _open(env: Env, db: str | None, config: Path | None) -> tuple[Workspace, Ledger]:
    from pressctl.ledger import Ledger
    from pressctl.ledger.stores import ledger_name

    workspace: Workspace = workspace_for(env, None, config)
    return workspace, Ledger(ledger_name(db) if db else workspace.ledger_path)


@suppress_app.command("add")
@command
def add(
    env: Env,
    addresses: Addresses,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the address).")] = "asked not to be mailed",
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """Suppress ADDRESSES: never mail them again, from any campaign.

    Example: pressctl suppress add editor@news.example --reason "asked by phone"
    """
    from pressctl.contacts import suppression as suppression

    workspace, ledger = _open(env, db, config)
    out = env.out
    with ledger:
        new = suppression.add(workspace, ledger, addresses, reason=reason, origin="manual")
    for address in new:
        out.print(f"suppressed  {escape(address)}")
    if len(new) < len(addresses):
        out.print(f"{len(addresses) - len(new)} already suppressed")


@suppress_app.command("list")
@command
def list_(
    env: Env,
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """Every suppressed address or @domain, with its reason, date and where it is recorded (list, ledger)."""
    from pressctl.contacts import suppression as suppression
    from pressctl.present import recorded_date

    workspace, ledger = _open(env, db, config)
    out = env.out
    with ledger:
        rows = suppression.list_all(workspace, ledger)
    zone = workspace.zone
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {"address": r.address, "reason": r.reason, "date": recorded_date(r.date, zone, iso=True), "where": r.where}
                    for r in rows
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    if not rows:
        out.print("nobody is suppressed")
        return
    print_table(
        env,
        ["address", "reason", "date", "recorded in"],
        [[r.address, r.reason, recorded_date(r.date, zone), r.where] for r in rows],
    )


@suppress_app.command("remove")
@command
def remove(env: Env, addresses: Addresses, db: LedgerDb = None, config: ConfigFile = None) -> None:
    """Mail ADDRESSES again, on purpose: removes them from contacts/suppressed.csv and from the ledger."""
    from pressctl.contacts import suppression as suppression

    workspace, ledger = _open(env, db, config)
    out = env.out
    with ledger:
        done = suppression.remove(workspace, ledger, addresses)
    for address, what in done.items():
        out.print(f"{escape(address)}: {escape(what)}")


@suppress_app.command("import")
@command
def import_(
    env: Env,
    file: Annotated[Path, typer.Argument(help="Recorded unsubscribe tokens, or addresses.", show_default=False)],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with each address).")] = "unsubscribed",
    addresses: Annotated[
        bool, typer.Option("--addresses", help="FILE is a plain list of addresses (one per line), not tokens.")
    ] = False,
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """Suppress everyone in FILE: the unsubscribe tokens your unsubscribe page recorded, or addresses.

    A CSV with a token column gives tokens; its email column (if any) gives addresses. A file without those headers is one token per line, or one address per line with --addresses. A token counts only when it is the token (22 URL-safe characters, signed with this workspace's secret) of an address the ledger knows. Every other value is refused and counted with the reason, never guessed: an address in the token column is not taken as an address.

    Examples:
      pressctl suppress import unsubscribes-2030-03.csv
      pressctl suppress import phoned-in.txt --addresses --reason "asked by phone"
    """
    from pressctl.contacts.suppressimport import import_file
    from pressctl.contacts.unsubscribe import workspace_secret

    workspace, ledger = _open(env, db, config)
    out, err = env.out, env.err
    with ledger:
        result = import_file(
            file, workspace, ledger, secret=workspace_secret(workspace, environ=env.environ), reason=reason,
            addresses=addresses,
        )
    out.print(
        f"imported: {len(result.suppressed)} newly suppressed, {result.already} already suppressed "
        f"({result.tokens_matched} token(s) matched, {result.addresses} address(es))"
    )
    if result.refused_count:
        err.print(f"[yellow]refused {result.refused_count} value(s)[/] (nothing suppressed for them):")
        shown = workspace.limits.problems_shown
        for why, where in result.refused.items():
            err.print(f"  {len(where)} {escape(why)}")
            for line in where[: min(shown, 5)]:
                err.print(f"    {escape(line)}")
            if len(where) > min(shown, 5):
                err.print(f"    ... and {len(where) - min(shown, 5)} more")


def register(app: typer.Typer) -> None:
    """Add the ``suppress`` group to the app."""
    app.add_typer(suppress_app, name="suppress")
