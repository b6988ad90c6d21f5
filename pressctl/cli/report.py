"""CLI: ``pressctl report [CAMPAIGN]`` (every recipient's fate) and ``pressctl campaigns`` (the list)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pressctl.cli._common import escape, handle_errors, out, print_table, workspace_for
from pressctl.cli._options import ConfigFile, LedgerDb
from pressctl.errors import InputError
from pressctl.ledger import recipients_left

if TYPE_CHECKING:
    from pressctl.ledger import Ledger

__all__ = ["register"]

_COLUMNS = (
    "email", "name", "language", "status", "attempts", "last_code", "last_reply", "reason", "retryable",
    "message_id", "first_attempt_at", "last_attempt_at", "sent_at", "source",
)


def _open(db: Path | None, config: Path | None) -> Ledger:
    from pressctl.ledger import Ledger

    path = db or workspace_for(None, config).ledger_path
    if not Path(path).is_file():
        raise InputError(
            "no ledger here yet", where=str(path), hint="run `pressctl send` first, or point --db at the ledger"
        )
    return Ledger(path)


@handle_errors
def report(
    campaign: Annotated[int | None, typer.Argument(help="The campaign number (default: the latest).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """Show each recipient of a campaign: status, attempts, last reply, Message-ID, times; then totals.

    --format csv or json gives one row per recipient, for a spreadsheet or a script.

    Example:
      pressctl report 3 --format csv > campaign-3.csv
    """
    if fmt not in ("table", "csv", "json"):
        raise InputError(f"--format {fmt!r} is not known", hint="use table, csv or json")
    with _open(db, config) as ledger:
        found = ledger.campaign(campaign) if campaign is not None else ledger.latest()
        if found is None:
            raise InputError(
                f"no campaign {campaign}" if campaign is not None else "the ledger has no campaign yet",
                where=str(ledger.path),
                hint="`pressctl campaigns` lists them",
            )
        totals = ledger.totals(found.id)
        records = ledger.recipients(found.id)
        if fmt == "csv":
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow(["campaign", *_COLUMNS])
            for r in records:
                writer.writerow([found.id, *(_csv_cell(getattr(r, k)) for k in _COLUMNS)])
            return
        if fmt == "json":
            data: dict[str, Any] = {
                "campaign": _campaign_dict(found),
                "totals": totals,
                "recipients": [{k: getattr(r, k) for k in _COLUMNS} for r in records],
            }
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return
        out.print(f"campaign #{found.id}  {escape(found.title)}")
        out.print(f"release   {escape(found.release_path)}")
        out.print(f"created   {found.created_at}   finished {found.finished_at or '-'}")
        rows = []
        for r in records:
            who = f"{r.name} <{r.email}>" if r.name else r.email
            reply = f"{r.last_code or ''} {r.last_reply}".strip()
            if r.reason and r.status != "sent":
                reply = f"{r.reason} ({reply})" if reply else r.reason
            rows.append((who, r.language, r.status, str(r.attempts), reply, r.message_id, r.last_attempt_at or ""))
        print_table(("recipient", "lang", "status", "tries", "reason (last reply)", "Message-ID", "last attempt"), rows)
        out.print("totals    " + (", ".join(f"{n} {k}" for k, n in totals.items() if n) or "none"))


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A reply or name starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _campaign_dict(c: Any) -> dict[str, Any]:
    return {
        "id": c.id, "title": c.title, "release": c.release_path, "lists": list(c.lists), "options": dict(c.options),
        "fingerprint": c.fingerprint, "created_at": c.created_at, "started_at": c.started_at,
        "finished_at": c.finished_at,
    }


@handle_errors
def campaigns(
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """List the campaigns in the ledger with their totals (use the number with `pressctl report`)."""
    if fmt not in ("table", "json"):
        raise InputError(f"--format {fmt!r} is not known", hint="use table or json")
    with _open(db, config) as ledger:
        rows = [(c, ledger.totals(c.id)) for c in ledger.campaigns()]
        if fmt == "json":
            data = [{**_campaign_dict(c), "totals": t} for c, t in rows]
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return
        if not rows:
            out.print("no campaigns yet")
            return
        lines = []
        for c, t in rows:
            left = recipients_left(t)
            other = t["suppressed"] + t["invalid"] + t["skipped"]
            lines.append((
                str(c.id), c.created_at[:16].replace("T", " "), c.title, str(t["sent"]), str(t["failed"]),
                str(left), str(other), (c.finished_at or "-")[:16].replace("T", " "),
            ))
        print_table(("#", "created", "release", "sent", "failed", "left", "other", "finished"), lines)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``campaigns`` to the app."""
    app.command("report")(report)
    app.command("campaigns")(campaigns)
