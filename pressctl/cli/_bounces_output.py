"""What ``pressctl bounces`` prints: the counts, then each list (suppressed, refused, unconfirmed requests,
unreadable, unmatched) up to ``[limits] problems_shown`` lines and "... and N more"; or all of it as JSON.
A 100,000-message mailbox prints a screenful, not 100,000 lines."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pressctl.cli._common import escape, warn
from pressctl.cli._env import Env

if TYPE_CHECKING:
    from pressctl.bounces.run import Kept, Summary
    from pressctl.errors import PressctlError

__all__ = ["counts", "print_one", "print_summary"]


def counts(summary: Summary) -> dict[str, int]:
    k, sev = summary.kinds, summary.severities
    return {
        "read": summary.read,
        "bounces": k.get("bounce", 0),
        "hard": sev.get("hard", 0),
        "soft": sev.get("soft", 0),
        "delayed": sev.get("delayed", 0),
        "auto-replies": k.get("auto-reply", 0),
        "moved": k.get("moved", 0),
        "replies": k.get("replied", 0),
        "unsubscribes": summary.unsubscribes,
        "unconfirmed requests": len(summary.requests),
        "unreadable": len(summary.unreadable),
        "other": k.get("other", 0),
        "already handled": summary.already_handled,
        "unmatched": len(summary.unmatched),
        "rows bounced": summary.bounced,
        "refused (not suppressed)": len(summary.refused),
        "suppressed": len(summary.suppressed),
        "filed": summary.moved,
    }


def _lists(summary: Summary) -> dict[str, list[dict[str, Any]]]:
    return {
        "suppressed": [{"address": s.address, "reason": s.reason} for s in summary.suppressed],
        "refused": [
            {"address": r.address, "status": r.status, "kind": r.kind, "what_to_do": r.advice,
             "diagnostic": r.diagnostic, "campaign": r.campaign_id}
            for r in summary.refused
        ],
        "unconfirmed_requests": [
            {"source": src, "from": r.finding.sender, "subject": r.finding.subject, "text": r.finding.excerpt,
             "reason": r.reason, "campaign": r.row.campaign_id if r.row else None, "row": r.row.email if r.row else ""}
            for src, r in summary.requests
        ],
        "unreadable": [{"source": src, "reason": why} for src, why in summary.unreadable],
        "unmatched": [
            {"source": src, "kind": u.finding.kind, "reason": u.reason, "address": u.address,
             "from": u.finding.sender, "subject": u.finding.subject}
            for src, u in summary.unmatched
        ],
    }


def _more(env: Env, kept: Kept[Any], shown: int) -> None:
    if len(kept) > shown:
        env.out.print(f"  ... and {len(kept) - shown} more (--json lists the first {len(kept.items)})")


def _section(env: Env, title: str, kept: Kept[Any], lines: Iterable[str], shown: int) -> None:
    if not len(kept):
        return
    env.out.print(title)
    for n, line in enumerate(lines):
        if n >= shown:
            break
        env.out.print("  " + line)
    _more(env, kept, shown)


def print_summary(
    env: Env,
    summary: Summary,
    move_to: Sequence[str],
    problems: list[str],
    failed: list[tuple[str, PressctlError]],
    *,
    as_json: bool,
    shown: int,
) -> None:
    c = counts(summary)
    if as_json:
        data = {
            "counts": c,
            **_lists(summary),
            "problems": problems,
            "mailboxes_not_read": [{"mailbox": label, "error": str(exc)} for label, exc in failed],
        }
        env.out.file.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    lines = [
        ("read", str(c["read"])),
        ("bounces", f"{c['bounces']} (hard {c['hard']}, soft {c['soft']}, delayed {c['delayed']})"),
        ("auto-replies", str(c["auto-replies"])),
        ("moved", str(c["moved"])),
        ("replies", str(c["replies"])),
        ("unsubscribes", f"{c['unsubscribes']} (unconfirmed {c['unconfirmed requests']})"),
        ("other", str(c["other"])),
        ("unreadable", str(c["unreadable"])),
        ("already handled", str(c["already handled"])),
        ("unmatched", str(c["unmatched"])),
        ("marked bounced", str(c["rows bounced"])),
        ("refused", f"{c['refused (not suppressed)']} (failed, not suppressed)"),
        ("suppressed", str(c["suppressed"])),
    ]
    folders = sorted({f for f in move_to if f})
    if folders:
        lines.append((f"moved to {', '.join(folders)}", str(c["filed"])))
    width = max(len(k) for k, _ in lines)
    out = env.out
    for key, value in lines:
        out.print(f"{escape(key.ljust(width))}  {escape(value)}")
    shown = max(shown, 1)
    for s in list(summary.suppressed)[:shown]:
        out.print(f"suppressed  {escape(s.address)}  ({escape(s.reason)})")
    _more(env, summary.suppressed, shown)
    _section(
        env,
        "Refused by the recipient's server (that message failed; the address is not suppressed):",
        summary.refused,
        (f"{escape(r.address)}  {escape(r.status or '5.x.x')} {r.kind}: {escape(r.advice)}" for r in summary.refused),
        shown,
    )
    _section(
        env,
        "Unconfirmed unsubscribe requests (no valid token; nothing changed; `pressctl report --needs-attention`):",
        summary.requests,
        (f"{escape(src)}  {escape(r.finding.sender or '?')}: {escape(r.finding.subject)} ({escape(r.reason)})"
         for src, r in summary.requests),
        shown,
    )
    _section(
        env,
        "Unreadable (recorded once, left in the mailbox for a person):",
        summary.unreadable,
        (f"{escape(src)}  {escape(why)}" for src, why in summary.unreadable),
        shown,
    )
    _section(
        env,
        "Unmatched (left in the mailbox for a person to read):",
        summary.unmatched,
        (f"{escape(src)}  {u.finding.kind}  {escape(u.address or u.finding.sender or '?')}: {escape(u.reason)}"
         for src, u in summary.unmatched),
        shown,
    )
    for line in problems:
        warn(env, line)


def print_one(env: Env, source: str, kind: str, outcome: str, summary: Summary, moved_to: str) -> None:
    """``--watch``: one line per message handled."""
    extra = [f"suppressed {s.address}" for s in summary.suppressed]
    if summary.bounced:
        extra.insert(0, "marked bounced")
    extra += [f"refused {r.status}: not suppressed" for r in summary.refused]
    if moved_to:
        extra.append(f"moved to {moved_to}")
    tail = f" ({', '.join(extra)})" if extra else ""
    env.out.print(f"{escape(source)}  {kind}  {escape(outcome)}{escape(tail)}")
