"""CLI: ``pressctl report [CAMPAIGN]`` (every recipient's fate and what came back), ``report --needs-attention``
(unconfirmed requests and unreadable messages; bounced, failed, moved and replied journalists, with what they
said) and ``pressctl campaigns`` (the list)."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from pressctl.bounces.text import split_addresses
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
    "response", "bounce_code", "response_detail", "new_address", "response_at", "relay", "role", "advance_of",
)
_ATTENTION_COLUMNS = (
    "campaign_id", "email", "name", "status", "response", "bounce_code", "new_address", "response_detail",
    "response_at",
)


def response_text(r: Any) -> str:
    """What came back after the send, in a few words: ``bounced 5.1.1``, ``moved -> new@x``, ``replied``."""
    if not r.response:
        return ""
    if r.response in ("bounced", "soft-bounce", "delayed", "failed"):
        return f"{r.response} {r.bounce_code}".strip()
    if r.response == "moved":
        return f"moved -> {r.new_address}" if r.new_address else "moved (no new address given)"
    return str(r.response)


def _said(text: str, limit: int = 100) -> str:
    """The start of what they wrote, on one line ("Hello," alone says nothing: the next lines follow it)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


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
    """Show each recipient of a campaign: status, attempts, last reply, what came back (bounced, auto-reply, moved, replied: see `pressctl bounces`), Message-ID, times; then totals.

    --format csv or json gives one row per recipient, for a spreadsheet or a script. --needs-attention lists what a person should look at, in all campaigns or in CAMPAIGN: inbound messages pressctl would not act on (unsubscribe requests without the reader's token, unreadable messages), then journalists bounced (with the code), failed (a spam filter or size refusal, 5.7.x/5.3.4), moved (with every new address) and replied, with the start of what they said.

    Examples:
      pressctl report 3 --format csv > campaign-3.csv
      pressctl report --needs-attention
    """
    if fmt not in ("table", "csv", "json"):
        raise InputError(f"--format {fmt!r} is not known", hint="use table, csv or json")
    if needs_attention:
        _needs_attention(campaign, fmt, db, config)
        return
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
                "recipients": [
                    {**{k: getattr(r, k) for k in _COLUMNS}, "new_addresses": split_addresses(r.new_address)}
                    for r in records
                ],
            }
            sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
            return
        info = _info(found)
        out.print(f"campaign #{found.id}  {escape(found.title)}")
        out.print(f"kind      {escape(info.kind)}: {escape(info.kind_text)}")
        if info.where or info.language or info.skip_advance:
            out.print(f"filter    {escape(info.label.partition(' · ')[2])}")
        out.print(f"lists     {escape(', '.join(info.lists) or '-')}")
        out.print(f"release   {escape(found.release_path)}")
        out.print(f"created   {found.created_at}   finished {found.finished_at or '-'}")
        relays = ledger.relay_counts(found.id)
        several = len(relays) > 1
        if len(relays) == 1:
            out.print(f"relay     {escape(next(iter(relays)))}")
        rows = []
        for r in records:
            who = f"{r.name} <{r.email}>" if r.name else r.email
            reply = f"{r.last_code or ''} {r.last_reply}".strip()
            if r.reason and r.status != "sent":
                reply = f"{r.reason} ({reply})" if reply else r.reason
            status = r.status + (f" ({r.role} copy)" if r.role else "")
            if r.advance_of is not None:
                status += f" (had the advance copy, #{r.advance_of})"
            row = (
                who, r.language, status, str(r.attempts), reply, response_text(r), r.message_id,
                r.last_attempt_at or "",
            )
            rows.append((*row[:4], r.relay or "-", *row[4:]) if several else row)
        head = ("recipient", "lang", "status", "tries", "reason (last reply)", "response", "Message-ID", "last attempt")
        print_table((*head[:4], "relay", *head[4:]) if several else head, rows)
        out.print("totals    " + _totals_text(totals))
        advance = ledger.advance_readers(found.id).get("sent", 0)
        if advance:
            out.print(f"          {totals['sent'] - advance} + {advance} who had the advance copy")
        copies = ledger.totals(found.id, role="internal")
        if any(copies.values()):
            out.print("internal  " + _totals_text(copies) + " (copies to your own people, not counted above)")
        if several:
            for relay, counts in relays.items():
                out.print(f"relay     {escape(relay)}: " + _totals_text(counts))


def _needs_attention(campaign: int | None, fmt: str, db: Path | None, config: Path | None) -> None:
    from pressctl.bounces.notes import attention_row, read_notes

    with _open(db, config) as ledger:
        if campaign is not None and ledger.campaign(campaign) is None:
            raise InputError(f"no campaign {campaign}", where=str(ledger.path), hint="`pressctl campaigns` lists them")
        records = ledger.needs_attention(campaign)
        # Inbound messages pressctl would not act on: unconfirmed unsubscribe requests, unreadable messages.
        notes = [attention_row(n) for n in read_notes(ledger.conn, campaign)]
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(_ATTENTION_COLUMNS)
        for r in records:
            writer.writerow([_csv_cell(getattr(r, k)) for k in _ATTENTION_COLUMNS])
        for note in notes:
            writer.writerow([_csv_cell(note[k]) for k in _ATTENTION_COLUMNS])
        return
    if fmt == "json":
        data = [
            {**{k: getattr(r, k) for k in _ATTENTION_COLUMNS}, "new_addresses": split_addresses(r.new_address)}
            for r in records
        ]
        sys.stdout.write(json.dumps(data + notes, ensure_ascii=False, indent=2) + "\n")
        return
    scope = f"campaign #{campaign}" if campaign is not None else "all campaigns"
    _print_notes(notes)
    if not records:
        out.print(f"nobody needs attention ({scope})")
        return
    rows = []
    for r in records:
        who = f"{r.name} <{r.email}>" if r.name else r.email
        said = _said(r.response_detail)
        rows.append((str(r.campaign_id), who, response_text(r) or r.status, said, (r.response_at or "")[:16].replace("T", " ")))
    print_table(("#", "journalist", "what happened", "what they said", "when (UTC)"), rows)
    out.print(f"{len(records)} journalist(s) need attention ({scope})")


def _print_notes(notes: list[dict[str, Any]]) -> None:
    """Inbound messages to read by hand (they changed nothing), before the journalists."""
    if not notes:
        return
    rows = [(str(n["what"]), str(n["email"]), _said(str(n["response_detail"])), str(n["source"]),
             str(n["response_at"])[:16].replace("T", " ")) for n in notes]
    print_table(("inbound message", "from (unproven)", "what it says", "where", "when (UTC)"), rows)
    out.print(
        f"{len(notes)} inbound message(s) to read by hand: pressctl changed nothing for them "
        "(an unsubscribe by email counts only with the reader's token; `pressctl suppress add ADDR` if you confirm it)"
    )


def _csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    # A reply or name starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _info(c: Any) -> Any:
    """What the campaign was (kind, filter, lists): said by the library, printed here."""
    from pressctl.send.kinds import describe

    return describe(c.kind, c.options, c.lists)


def _campaign_dict(c: Any) -> dict[str, Any]:
    return {
        "id": c.id, "title": c.title, "release": c.release_path, "lists": list(c.lists), "options": dict(c.options),
        "fingerprint": c.fingerprint, "created_at": c.created_at, "started_at": c.started_at,
        "finished_at": c.finished_at, **_info(c).as_dict(),
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
                str(c.id), c.created_at[:16].replace("T", " "), c.title, _info(c).label, str(t["sent"]),
                str(t["failed"] + t["bounced"]),
                str(left), str(other), (c.finished_at or "-")[:16].replace("T", " "),
            ))
        print_table(("#", "created", "release", "kind", "sent", "failed", "left", "other", "finished"), lines)


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``campaigns`` to the app."""
    app.command("report")(report)
    app.command("campaigns")(campaigns)
