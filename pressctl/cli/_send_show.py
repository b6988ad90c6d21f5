"""What ``pressctl send`` prints for a dry run (the preview written, who it would reach, the limits) and for
``--test-to`` (each copy's fate), and the lines about who is left out, shared with the real send."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.cli._common import escape, exit_with, warn
from pressctl.cli._env import Env
from pressctl.errors import ExitStatus

if TYPE_CHECKING:
    from pressctl.send.audience import Audience
    from pressctl.send.plan import SendPlan
    from pressctl.send.transport import Transport

__all__ = ["preview", "print_audience", "test_send"]


def preview(env: Env, plan: SendPlan, *, out_dir: Path | None, limit: int | None) -> None:
    """Write every message as .eml and the preview page; print what the send would do."""
    from pressctl.embargo import under_embargo
    from pressctl.send.domaincheck import deliverability
    from pressctl.send.preview import write_preview
    from pressctl.send.summary import audience_now, summary_rows

    out = env.out
    target = out_dir or (plan.workspace.root / "out" / f"preview-{plan.main.slug}")
    who = audience_now(plan)
    resume = f"resuming #{who.campaign.id}: {len(who.send)} to send ({who.kind})" if who.campaign is not None else None
    summary = summary_rows(plan, transport=None, resume=resume, who=who)
    checks = deliverability(plan, environ=env.environ, campaign="preview-" + plan.fingerprint)
    result = write_preview(
        plan.factory("preview-" + plan.fingerprint),
        who.send,
        out_dir=target,
        pdfs=plan.pdfs,
        limit=limit,
        summary={**summary, **checks.rows()},
        skipped=who.skipped,
        advance=who.advance,
    )
    if not plan.embargoed and under_embargo(plan.main.embargo, env.clock()):
        env.err.print(
            "[yellow]note:[/] the embargo has not lifted: `pressctl send` would refuse now. This preview shows the "
            "release as it will go at the lift; add --under-embargo to preview an advance copy."
        )
    out.print(f"languages {escape(summary['languages'])}")
    out.print(f"attachments: {escape(summary['attachments'])}")
    if "newsroom" in summary:
        out.print(f"newsroom: {escape(summary['newsroom'])}")
    if len(plan.relays) > 1:
        for spec in plan.relays:
            lim = spec.limits
            out.print(
                f"limits, {escape(spec.label)}: {escape(f'{lim.profile.name} ({lim.profile_origin})')}; "
                f"{escape(lim.connections.line)}; {escape(lim.rate.line)}; {escape(lim.daily_cap.line)}"
            )
    else:
        out.print(
            f"limits: {escape(summary['relay profile'])}; {escape(summary['connections'])}; {escape(summary['rate'])}; "
            f"{escape(summary['daily cap'])}"
        )
    out.print(f"recipients {escape(who.recipients_line)}")
    out.print(escape(checks.report.summary()))
    for language, score in checks.scores.items():
        out.print(f"SpamAssassin ({escape(language)}): {escape(score.line() if not isinstance(score, str) else score)}")
    print_audience(env, who)
    campaign = f"campaign #{who.campaign.id}" if who.campaign is not None else f"a new campaign ({who.kind})"
    out.print(f"the send would end: {campaign}: {escape(who.line())}")
    out.print(f"dry run: {result.written} of {result.recipients} message(s) written, nothing sent, nothing recorded")
    out.print(f"open {escape(result.index)}")


def print_audience(env: Env, who: Audience) -> None:
    """Who is left out and why, and the internal copies: the same lines for the dry run and the send."""
    for why, n in who.skipped_reasons().items():
        hint = "" if "--skip-advance" in why else " (--new-campaign sends to them again)"
        env.out.print(f"{n} skipped: {escape(why)}{hint}")
    for address, language, state in who.copies:
        if state == "suppressed":
            warn(env, f"{address} is on a suppression list: its internal copy is not sent")
        env.out.print(f"internal copy {escape(address)} ({language}): {state}")
    if who.later:
        env.out.print(f"{who.later} wait for the daily cap (they stay pending for a later run)")


def test_send(env: Env, plan: SendPlan, addresses: Sequence[str], transport: Transport) -> None:
    """``--test-to``: one [TEST] copy per language to each address, recorded as a test campaign."""
    from pressctl.ledger import Ledger
    from pressctl.send.testcopy import send_test

    marked = " marked EMBARGOED (the embargo has not lifted)" if plan.embargoed else ""
    env.err.print(f"sending [TEST] copies{marked} through {escape(transport.description)}")
    with Ledger(plan.ledger_path, clock=env.clock) as ledger:
        result = send_test(plan, addresses, transport=transport, ledger=ledger, clock=env.clock)
    for copy in result.copies:
        word = {"sent": "sent  ", "failed": "FAILED"}.get(copy.status, copy.status)
        env.out.print(f"{word} {escape(copy.address)} ({copy.language}) {escape(copy.message_id)}: {escape(copy.reply)}")
    if result.stopped:
        env.err.print(f"[red]stopped:[/] {escape(result.stopped)}")
    env.out.print(
        f"recorded as test campaign #{result.campaign.id}; the release's campaigns were not touched: no journalist "
        "is marked sent"
    )
    if result.sent < len(result.copies):
        raise exit_with(ExitStatus.FAILED)
