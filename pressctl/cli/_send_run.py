"""``pressctl send`` for real: the summary, the question, the progress bar, Ctrl-C, and the ledger's verdict
with its exit status (0 everyone sent, 1 someone failed or is left, 130 interrupted)."""

from __future__ import annotations

import signal
import threading
import time
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import typer

from pressctl.cli._common import escape, exit_with
from pressctl.cli._env import Env
from pressctl.cli._send_show import print_audience
from pressctl.errors import ExitStatus, InputError, SendAborted
from pressctl.ledger import Ledger
from pressctl.ledger.records import recipients_left

if TYPE_CHECKING:
    from pressctl.send.plan import SendPlan
    from pressctl.send.run import SendResult
    from pressctl.send.transport import Transport

__all__ = ["send_now"]


def send_now(env: Env, plan: SendPlan, transport: Transport, *, yes: bool, wait: bool, domain: str | None = None) -> None:
    """Show the summary, ask (unless ``yes``), send with progress, print the verdict and end with its status.
    ``domain``: the sending-domain check's summary line (a send through relays), shown among the rows."""
    from pressctl.present import aligned
    from pressctl.send.audience import audience
    from pressctl.send.caps import cap_plan, relay_caps
    from pressctl.send.checks import check_not_busy, check_sizes
    from pressctl.send.summary import summary_rows

    zone = ZoneInfo(plan.workspace.timezone)
    with Ledger(plan.ledger_path, clock=env.clock) as ledger:
        if not wait:
            check_not_busy(plan, ledger)  # before the summary and the question: the answer would not matter
        who = audience(plan, ledger, capped=True)
        resume = None
        if who.campaign is not None:
            t = ledger.recipients.totals(who.campaign.id)
            resume = f"resuming #{who.campaign.id}: {t['sent']} already sent, {recipients_left(t)} left ({who.kind})"
            if who.retried:
                resume += f", {who.retried} failed tried again" + (" (--retry-failed)" if plan.options.retry_failed else "")
        check_sizes(plan, transport)
        rows = summary_rows(plan, transport=transport, resume=resume, who=who)
        if domain is not None:
            rows["sending domain"] = domain
        wanted = len(who.send) + sum(1 for *_, state in who.copies if state == "to send")
        if len(plan.relays) > 1:
            for relay_cap in relay_caps(plan, ledger, wanted=wanted, at=env.clock()):
                index = next(sp.index for sp in plan.relays if sp.account == relay_cap.account)
                rows[f"  {index} daily cap"] += f"; today {relay_cap.plan.used:,} of {relay_cap.plan.cap:,} used, room for {relay_cap.room:,}"
        else:
            cap = cap_plan(plan, ledger, transport, wanted=wanted, at=env.clock())
            if cap is not None:
                rows["daily cap"] += f"; today {cap.describe(zone)}"
        if transport.is_local:
            env.err.print("[yellow]no SMTP server configured:[/] messages go to the local outbox; nothing leaves this machine")
        for line in aligned(rows):
            env.out.print(escape(line))
        print_audience(env, who)
        if not plan.contacts.selected:
            env.out.print("nobody to send to")
            raise exit_with(ExitStatus.OK)
        if not yes:
            if not env.interactive:
                raise InputError(
                    "not sending without a confirmation", hint="run it in a terminal, or add --yes to send from a script"
                )
            if not typer.confirm(f"Send to {len(who.send)} recipient(s)?", default=False):
                env.err.print("nothing sent")
                raise exit_with(ExitStatus.FAILED)
        result = _run_with_progress(env, plan, transport, ledger, wait=wait)
        _verdict(env, result, ledger, zone=zone)


def _run_with_progress(env: Env, plan: SendPlan, transport: Transport, ledger: Ledger, *, wait: bool) -> SendResult:
    """Run the send with a progress bar (on a terminal); the first Ctrl-C stops after the messages in flight,
    the second at once (the ledger knows who was in flight)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from pressctl.send.run import run_send
    stop = threading.Event()
    presses = [0]

    def on_sigint(signum: int, frame: Any) -> None:
        presses[0] += 1
        if presses[0] > 1:
            raise KeyboardInterrupt  # a second Ctrl-C: stop now; in-flight rows stay 'sending' for the resume
        stop.set()
        env.err.print("\n[yellow]stopping after the messages in flight... (Ctrl-C again to stop at once)[/]")

    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>7} msg/s"),
        TimeRemainingColumn(),
        console=env.err,
        transient=False,
        disable=not env.err.is_terminal,
    )
    task = progress.add_task("sending", total=None, rate="")
    started = time.monotonic()

    def on_campaign(campaign: Any, totals: dict[str, int]) -> None:
        progress.update(task, total=totals["todo"], description=f"campaign #{campaign.id}")

    def on_wait(holder: Any) -> None:
        env.err.print(f"waiting: this release is being sent by {escape(holder.describe(ZoneInfo(plan.workspace.timezone)))} (Ctrl-C to stop waiting)")

    def on_progress(p: Any) -> None:
        elapsed = max(1e-6, time.monotonic() - started)
        progress.update(task, completed=p.sent + p.failed, rate=f"{p.sent / elapsed:.1f}")

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        with progress:
            result: SendResult = run_send(
                plan, ledger=ledger, transport=transport, clock=env.clock, progress=on_progress, stop=stop,
                on_campaign=on_campaign, wait=wait, on_wait=on_wait,
            )
    except SendAborted as exc:
        if not stop.is_set():
            raise
        env.err.print(f"[yellow]interrupted:[/] {escape(exc.what)}; nothing sent")
        raise exit_with(ExitStatus.INTERRUPTED) from None
    finally:
        signal.signal(signal.SIGINT, previous)
    return result


def _verdict(env: Env, result: SendResult, ledger: Ledger, *, zone: ZoneInfo) -> None:
    """The campaign's line, who failed and why, and the exit status the run earned."""
    out = env.out
    c = result.campaign
    run = result.run
    out.print(f"campaign #{c.id}: {result.line()}")
    if result.cap is not None and result.cap.pending:
        out.print(f"daily cap: {escape(result.cap.describe(zone))}")
    if result.skipped:
        out.print(
            f"{result.skipped} recipient(s) skipped: they received this release in an earlier campaign "
            "(add --new-campaign to send to them again)"
        )
    if result.advance:
        out.print(f"{result.advance} who had the advance copy got the released version (a new Message-ID)")
    for copy in result.copies:
        out.print(f"internal copy {escape(copy.email)} ({copy.language}): {copy.status}")
    if run.repeated:
        out.print(f"{run.repeated} message(s) sent again after a lost connection, with their original Message-ID")
    if run.bounced:
        out.print(f"{len(run.bounced)} address(es) bounced and were added to the suppression list")
    if len(run.relays) > 1:
        for relay in run.relays:
            line = f"{relay.label}: {relay.sent:,} sent"
            if relay.throttled:
                line += f", asked to slow down {relay.throttled} time(s)"
            if relay.left:
                line += f"; left rotation: {relay.left}" if not relay.quiet else f"; {relay.left}"
            out.print(escape(line))
        for relay_cap in result.caps:
            out.print(f"daily cap, {escape(relay_cap.describe(zone))}")
        if run.too_large:
            out.print(f"{run.too_large} message(s) larger than every relay left takes: they stay pending")
    elif run.throttled:
        out.print(
            f"the relay asked to slow down {run.throttled} time(s): pressctl sent slower (not counted against "
            "anyone's tries)"
        )
    failed = [r for r in ledger.recipients.all(c.id) if r.status == "failed"]
    for rec in failed[:10]:
        reply = f"{rec.last_code or ''} {rec.last_reply}".strip()
        why = f"{rec.reason} ({reply})" if rec.reason and reply else rec.reason or reply
        again = "; a re-run tries again" if rec.retryable else ""
        out.print(f"  failed  {escape(rec.email)}: {escape(why)}{again}")
    if len(failed) > 10:
        out.print(f"  ... and {len(failed) - 10} more: `pressctl report {c.id}`")
    if result.final_failures:
        out.print(
            "once the cause is fixed, run the same command with --retry-failed to try the failed ones again "
            "(a bounced address stays suppressed)"
        )
    if run.stopped:
        env.err.print(f"[red]stopped:[/] {escape(run.stopped)}")
    elif run.interrupted and result.left:
        env.err.print(f"[yellow]stopped:[/] {result.left} recipient(s) left. To resume, run the same command again.")
    if run.interrupted and not run.stopped:
        raise exit_with(ExitStatus.INTERRUPTED)
    elif result.left:
        env.err.print(f"{result.left} recipient(s) still pending: run the same command again to retry them.")
    if not result.complete:
        raise exit_with(ExitStatus.FAILED)
