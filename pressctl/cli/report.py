"""CLI: ``pressctl report [CAMPAIGN]`` (every recipient's fate and what came back), ``report --needs-attention``
(unconfirmed requests and unreadable messages; bounced, failed, moved and replied journalists, with what they
said) and ``pressctl campaigns`` (the list)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

from pressctl.bounces.text import split_addresses
from pressctl.cli._common import command, escape, print_table, workspace_for
from pressctl.cli._env import Env
from pressctl.cli._options import ConfigFile, LedgerDb
from pressctl.errors import InputError, PressctlError
from pressctl.ledger.records import recipients_left
from pressctl.present import (
    CSV_BOM,
    campaign_times,
    clip,
    csv_cell,
    local_time,
    moved_lines,
    outcome_text,
    recipient_cell,
    report_record,
    response_text,
    table_time,
    zone_label,
)
from pressctl.times import iso_local, parse_stored

if TYPE_CHECKING:
    from pressctl.ledger import Ledger
    from pressctl.ledger.approvals import ApprovalRecord

__all__ = ["register"]

_COLUMNS = (
    "email", "name", "language", "status", "attempts", "last_code", "last_reply", "reason", "retryable",
    "message_id", "first_attempt_at", "last_attempt_at", "sent_at", "source",
    "response", "bounce_code", "response_detail", "new_address", "response_at", "relay", "role", "advance_of",
)
_ATTENTION_COLUMNS = (
    "campaign_id", "email", "name", "status", "response", "bounce_code", "new_address", "response_detail",
    "response_at",
)
# Cell widths of the table (terminal cells): with the fixed columns, a report fits ~120 columns.
_WHO, _OUTCOME, _RELAY, _SAID, _TITLE, _APPROVED = 36, 40, 18, 44, 44, 24


def _said(text: str, limit: int = _SAID) -> str:
    """The start of what they wrote, on one line ("Hello," alone says nothing: the next lines follow it)."""
    return clip(text, limit)


def _totals_text(totals: dict[str, int]) -> str:
    """Totals with bounced counted among the failed (it failed, only later)."""
    parts = []
    for k, n in totals.items():
        if k == "bounced" or not (n or (k == "failed" and totals.get("bounced"))):
            continue
        if k == "failed" and totals.get("bounced"):
            parts.append(f"{n + totals['bounced']} failed ({totals['bounced']} bounced after sending)")
        else:
            parts.append(f"{n} {k}")
    return ", ".join(parts) or "none"


def _zone(env: Env, config: Path | None) -> ZoneInfo:
    """The workspace's zone for the times shown; UTC for a ledger read from outside any workspace."""
    try:
        return workspace_for(env, None, config).zone
    except PressctlError:
        return ZoneInfo("UTC")


def _open(env: Env, db: str | None, config: Path | None) -> Ledger:
    from pressctl.ledger import Ledger
    from pressctl.ledger.stores import exists, ledger_name

    path = ledger_name(db) if db else workspace_for(env, None, config).ledger_path
    if not exists(path):
        raise InputError(
            "no ledger here yet", where=str(path), hint="run `pressctl send` first, or point --db at the ledger"
        )
    return Ledger(path)


@command
def report(
    env: Env,
    campaign: Annotated[int | None, typer.Argument(help="The campaign number (default: the latest).")] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    needs_attention: Annotated[
        bool,
        typer.Option(
            "--needs-attention",
            help="Only what needs a person: unconfirmed unsubscribe requests and unreadable inbound messages, then "
            "bounced, failed, moved and replied journalists, with what they said (all campaigns, or CAMPAIGN).",
        ),
    ] = False,
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """Show each recipient of a campaign: status, attempts, when, what happened (the relay's reply, or what came back: bounced, auto-reply, moved, replied; see `pressctl bounces`); then totals.

    Times are in the workspace's time zone (\\[defaults] timezone). --format csv or json gives one row per recipient with everything (Message-ID, every reply in full, times in ISO 8601 with the offset), for a spreadsheet or a script; the CSV opens in Excel as UTF-8. --needs-attention lists what a person should look at, in all campaigns or in CAMPAIGN: inbound messages pressctl would not act on (unsubscribe requests without the reader's token, unreadable messages), then journalists bounced (with the code), failed (a spam filter or size refusal, 5.7.x/5.3.4), moved (with every new address) and replied, with the start of what they said.

    Examples:
      pressctl report 3 --format csv > campaign-3.csv
      pressctl report --needs-attention
    """
    if fmt not in ("table", "csv", "json"):
        raise InputError(f"--format {fmt!r} is not known", hint="use table, csv or json")
    if needs_attention:
        _needs_attention(env, campaign, fmt, db, config)
        return
    out = env.out
    zone = _zone(env, config)
    with _open(env, db, config) as ledger:
        found = ledger.campaigns.get(campaign) if campaign is not None else ledger.campaigns.latest()
        if found is None:
            raise InputError(
                f"no campaign {campaign}" if campaign is not None else "the ledger has no campaign yet",
                where=str(ledger.path),
                hint="`pressctl campaigns` lists them",
            )
        totals = ledger.recipients.totals(found.id)
        records = list(ledger.recipients.all(found.id))
        if fmt == "csv":
            writer = _csv_writer(env)
            writer.writerow(["campaign", *_COLUMNS])
            for r in records:
                row = report_record(r, _COLUMNS, zone)
                writer.writerow([found.id, *(csv_cell(row[k]) for k in _COLUMNS)])
            return
        if fmt == "json":
            data: dict[str, Any] = {
                "campaign": {
                    **_campaign_dict(found, zone),
                    "approvals": _approval_dicts(ledger.approvals.of_campaign(found.id), zone),
                },
                "totals": totals,
                "recipients": [
                    {**report_record(r, _COLUMNS, zone), "new_addresses": split_addresses(r.new_address)}
                    for r in records
                ],
            }
            out.file.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return
        info = _info(found)
        out.print(f"campaign #{found.id}  {escape(found.title)}")
        out.print(f"kind      {escape(info.kind)}: {escape(info.kind_text)}")
        if info.where or info.language or info.skip_advance:
            out.print(f"filter    {escape(info.label.partition(' · ')[2])}")
        out.print(f"lists     {escape(', '.join(info.lists) or '-')}")
        out.print(f"release   {escape(found.release_path)}")
        for approval in ledger.approvals.of_campaign(found.id):  # with [workflow] approval = "required"
            note = f" · {approval.note}" if approval.note else ""
            out.print(f"approved  {escape(approval.approver)} {local_time(approval.approved_at, zone, seconds=False)}{escape(note)}")
        out.print(
            f"created   {local_time(found.created_at, zone, seconds=False)}"
            f"   finished {local_time(found.finished_at, zone, seconds=False) or '-'}"
        )
        relays = ledger.recipients.relay_counts(found.id)
        several = len(relays) > 1
        if len(relays) == 1:
            out.print(f"relay     {escape(next(iter(relays)))}")
        rows = []
        for r in records:
            status = r.status + (f" ({r.role} copy)" if r.role else "")
            if r.advance_of is not None:
                status += f" (had the advance copy, #{r.advance_of})"
            cells = (
                recipient_cell(r, _WHO), r.language, status, str(r.attempts),
                table_time(r.last_attempt_at, zone), clip(outcome_text(r), _OUTCOME),
            )
            rows.append((*cells[:4], clip(r.relay or "-", _RELAY), *cells[4:]) if several else cells)
        when = f"last attempt ({zone_label(zone, found.created_at)})"
        head = ("recipient", "lang", "status", "tries", when, "what happened")
        print_table(env, (*head[:4], "relay", *head[4:]) if several else head, rows)
        for line in moved_lines(records):
            out.print(escape(line))
        out.print("totals    " + _totals_text(totals))
        advance = ledger.recipients.advance_readers(found.id).get("sent", 0)
        if advance:
            out.print(f"          {totals['sent'] - advance} + {advance} who had the advance copy")
        copies = ledger.recipients.totals(found.id, role="internal")
        if any(copies.values()):
            out.print("internal  " + _totals_text(copies) + " (copies to your own people, not counted above)")
        if several:
            for relay, counts in relays.items():
                out.print(f"relay     {escape(relay)}: " + _totals_text(counts))
        if records:
            out.print(f"[dim]Message-IDs, replies in full and times to the second: pressctl report {found.id} --format csv[/]")


def _needs_attention(env: Env, campaign: int | None, fmt: str, db: str | None, config: Path | None) -> None:
    from pressctl.bounces.notes import attention_row

    out = env.out
    zone = _zone(env, config)
    with _open(env, db, config) as ledger:
        if campaign is not None and ledger.campaigns.get(campaign) is None:
            raise InputError(f"no campaign {campaign}", where=str(ledger.path), hint="`pressctl campaigns` lists them")
        records = ledger.inbound.needs_attention(campaign)
        # Inbound messages pressctl would not act on: unconfirmed unsubscribe requests, unreadable messages.
        notes = [attention_row(n) for n in ledger.inbound.notes(campaign)]
    if fmt == "csv":
        writer = _csv_writer(env)
        writer.writerow(_ATTENTION_COLUMNS)
        for r in records:
            row = report_record(r, _ATTENTION_COLUMNS, zone)
            writer.writerow([csv_cell(row[k]) for k in _ATTENTION_COLUMNS])
        for note in notes:
            writer.writerow([csv_cell(_note_record(note, zone)[k]) for k in _ATTENTION_COLUMNS])
        return
    if fmt == "json":
        data = [
            {**report_record(r, _ATTENTION_COLUMNS, zone), "new_addresses": split_addresses(r.new_address)}
            for r in records
        ]
        data += [_note_record(note, zone) for note in notes]
        out.file.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    scope = f"campaign #{campaign}" if campaign is not None else "all campaigns"
    _print_notes(env, notes, zone)
    if not records:
        out.print(f"nobody needs attention ({scope})")
        return
    rows = []
    for r in records:
        rows.append((
            str(r.campaign_id), recipient_cell(r, _WHO), clip(response_text(r) or r.status, 28),
            _said(r.response_detail), table_time(r.response_at, zone),
        ))
    print_table(env, ("#", "journalist", "what happened", "what they said", f"when ({zone_label(zone)})"), rows)
    for line in moved_lines(records):
        out.print(escape(line))
    out.print(f"{len(records)} journalist(s) need attention ({scope})")


def _note_record(note: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """An inbound note for CSV/JSON: its time in ISO 8601 with the zone's offset, as the journalists' rows."""
    return {**note, "response_at": iso_local(parse_stored(str(note["response_at"] or "")), zone)}


def _print_notes(env: Env, notes: list[dict[str, Any]], zone: ZoneInfo) -> None:
    """Inbound messages to read by hand (they changed nothing), before the journalists."""
    if not notes:
        return
    rows = [(str(n["what"]), clip(n["email"], _WHO), _said(str(n["response_detail"])), clip(n["source"], _RELAY),
             table_time(str(n["response_at"] or ""), zone)) for n in notes]
    print_table(env, ("inbound message", "from (unproven)", "what it says", "where", f"when ({zone_label(zone)})"), rows)
    env.out.print(
        f"{len(notes)} inbound message(s) to read by hand: pressctl changed nothing for them "
        "(an unsubscribe by email counts only with the reader's token; `pressctl suppress add ADDR` if you confirm it)"
    )


def _csv_writer(env: Env) -> Any:
    """A CSV writer on the output that Excel opens as UTF-8 (the BOM first)."""
    env.out.file.write(CSV_BOM)
    return csv.writer(env.out.file, lineterminator="\n")


def _info(c: Any) -> Any:
    """What the campaign was (kind, filter, lists): said by the library, printed here."""
    from pressctl.send.kinds import describe

    return describe(c.kind, c.options, c.lists)


def _approval_dicts(approvals: list[ApprovalRecord], zone: ZoneInfo) -> list[dict[str, Any]]:
    """The approvals a campaign went out under, as ``report`` and ``campaigns`` give them in JSON."""
    return [{"by": a.approver, "at": iso_local(a.moment, zone), "note": a.note, "id": a.id} for a in approvals]


def _approvers(approvals: list[ApprovalRecord]) -> str:
    """``Amy Chan, Lee Wai`` (each once, in the order they approved), or ``-``: the table's cell."""
    return clip(", ".join(dict.fromkeys(a.approver for a in approvals)) or "-", _APPROVED)


def _campaign_dict(c: Any, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": c.id, "title": c.title, "release": c.release_path, "lists": list(c.lists), "options": dict(c.options),
        "fingerprint": c.fingerprint, **campaign_times(c, zone), **_info(c).as_dict(),
    }


@command
def campaigns(
    env: Env,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    db: LedgerDb = None,
    config: ConfigFile = None,
) -> None:
    """List the campaigns in the ledger with their totals (use the number with `pressctl report`).

    When any campaign went out under an approval (\\[workflow] approval = "required"), an "approved by" column
    names who approved it; --format json gives each campaign's approvals (by, at, note, id) as `report` does.
    """
    if fmt not in ("table", "json"):
        raise InputError(f"--format {fmt!r} is not known", hint="use table or json")
    zone = _zone(env, config)
    with _open(env, db, config) as ledger:
        rows = [(c, ledger.recipients.totals(c.id), ledger.approvals.of_campaign(c.id)) for c in ledger.campaigns.all()]
        if fmt == "json":
            data = [{**_campaign_dict(c, zone), "totals": t, "approvals": _approval_dicts(a, zone)} for c, t, a in rows]
            env.out.file.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return
        if not rows:
            env.out.print("no campaigns yet")
            return
        approved = any(a for _, _, a in rows)  # the column only where approvals are in use
        lines = []
        for c, t, a in rows:
            left = recipients_left(t)
            other = t["suppressed"] + t["invalid"] + t["skipped"]
            lines.append((
                str(c.id), table_time(c.created_at, zone), clip(c.title, _TITLE), _info(c).label, str(t["sent"]),
                str(t["failed"] + t["bounced"]),
                str(left), str(other), table_time(c.finished_at, zone) or "-",
                *((_approvers(a),) if approved else ()),
            ))
        label = zone_label(zone, rows[-1][0].created_at)
        print_table(
            env,
            ("#", f"created ({label})", "release", "kind", "sent", "failed", "left", "other", f"finished ({label})",
             *(("approved by",) if approved else ())),
            lines,
        )


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``campaigns`` to the app."""
    app.command("report")(report)
    app.command("campaigns")(campaigns)
