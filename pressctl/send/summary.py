"""What a send will do, said before it starts: the summary ``pressctl send`` shows before asking and the dry
run's preview page lists (release, languages, recipients, attachments, embargo, newsroom, each relay's limits
and where they came from, the estimated time, the ledger), and who it would reach now. Reads the ledger when
there is one; writes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pressctl.send.pacing import Pacer, format_duration

if TYPE_CHECKING:
    from pressctl.send.audience import Audience
    from pressctl.send.plan import SendPlan
    from pressctl.send.transport import Transport

__all__ = ["attachment_line", "audience_now", "format_size", "summary_rows"]


def attachment_line(files: Sequence[tuple[str, int]]) -> str:
    """``sample.pdf (412.3 KB), factsheet.pdf (2.5 KB)`` or ``none``."""
    return ", ".join(f"{name} ({format_size(size)})" for name, size in files) or "none"


def format_size(size: int) -> str:
    """``812 bytes``, ``2.5 KB``, ``1.3 MB`` (powers of 1000, as file managers show them)."""
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1_000_000:.1f} MB"


def audience_now(plan: SendPlan) -> Audience:
    """Who a send would reach now, read from the ledger (when there is one; nothing is written)."""
    from pressctl.ledger import Ledger
    from pressctl.ledger.stores import exists
    from pressctl.send.audience import audience

    if not exists(plan.ledger_path):
        return audience(plan, None, capped=True)
    with Ledger(plan.ledger_path) as ledger:
        return audience(plan, ledger, capped=True)


def summary_rows(
    plan: SendPlan, *, transport: Transport | None, resume: str | None, who: Audience | None = None
) -> dict[str, Any]:
    """The summary's label -> value rows, in order (``transport`` None: a dry run, nothing connects)."""
    s = plan.summary()
    opts = plan.delivery_options()
    rows: dict[str, Any] = {
        "release": f"{s['title']} ({plan.release_path})",
        "languages": plan.contacts.languages_line() if plan.contacts.selected
        else ", ".join(f"{k or '?'} {v}" for k, v in s["languages"].items()) or "-",
        "recipients": who.recipients_line if who is not None else s["recipients"],
        "suppressed": s["suppressed"],
        "invalid": f"{s['invalid']} (reported by `pressctl contacts check`, skipped)" if s["invalid"] else 0,
        "duplicates": f"{s['duplicates']} (merged)" if s["duplicates"] else 0,
    }
    if s["excluded"]:
        rows["not matching --where"] = s["excluded"]
    if who is not None and who.skipped:
        rows["skipped"] = len(who.skipped)
    rows["attachments"] = attachment_line(plan.attachments())
    if plan.embargoed:
        rows["embargo"] = f"ADVANCE COPY, marked EMBARGOED UNTIL {s['embargo']}"
    if plan.links:
        # The emails' "Read online" links ([site] base_url), one page per language.
        rows["newsroom"] = ", ".join(links.page for links in plan.links.values())
    batches = f", pause {opts.batch_pause:g} s after every {opts.batch_size}" if opts.batch_size else ""
    if len(plan.relays) > 1:
        # One block per relay: its limits and where each came from. The list is shared between them.
        share = -(-s["recipients"] // len(plan.relays))
        slowest = 0.0
        for spec in plan.relays:
            lim = spec.limits
            rows[f"relay {spec.index}"] = spec.settings.describe()
            rows[f"  {spec.index} profile"] = f"{lim.profile.name} ({lim.profile_origin})"
            rows[f"  {spec.index} connections"] = lim.connections.line
            rows[f"  {spec.index} rate"] = lim.rate.line + batches
            rows[f"  {spec.index} daily cap"] = lim.daily_cap.line
            relay_opts = plan.relay_options(spec)
            pacer = Pacer(relay_opts.rate, batch_size=opts.batch_size, batch_pause=opts.batch_pause)
            per_message = 0.02 / max(1, relay_opts.concurrency)
            slowest = max(slowest, pacer.estimate(share, per_message=per_message))
        rows["estimated time"] = format_duration(slowest) + " (the list spread evenly over the relays)"
        if transport is not None:
            rows["transport"] = f"{len(plan.relays)} relays, {sum(sp.limits.connections.value for sp in plan.relays)} connections in all"
    else:
        limits = plan.limits or plan.options.limits(plan.workspace)
        rows["relay profile"] = f"{limits.profile.name} ({limits.profile_origin})"
        rows["connections"] = limits.connections.line
        rows["rate"] = limits.rate.line + batches
        rows["daily cap"] = limits.daily_cap.line
        per_message = 0.002 if transport is None or transport.is_local else 0.02 / max(1, opts.concurrency)
        pacer = Pacer(opts.rate, batch_size=opts.batch_size, batch_pause=opts.batch_pause)
        rows["estimated time"] = format_duration(pacer.estimate(s["recipients"], per_message=per_message))
        if transport is not None:
            rows["transport"] = transport.description + (f", {opts.concurrency} connections" if not transport.is_local else "")
    rows["Message-IDs"] = f"@{plan.message_id_domain}"
    rows["ledger"] = str(plan.ledger_path)
    if resume:
        rows["campaign"] = resume
    return rows
