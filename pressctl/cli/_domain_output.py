"""Printing the sending-domain check: one line per finding (``ok``, ``note``, ``warning``, ``STOP``), the
record to publish on the same line, and the refusal of a send the check stops."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pressctl.cli._common import escape
from pressctl.cli._env import Env

if TYPE_CHECKING:
    from pressctl.domain.findings import Report
    from pressctl.send.plan import SendPlan

__all__ = ["check_before_send", "print_report"]

_LABELS = {"ok": "ok     ", "info": "note   ", "warn": "[yellow]warning[/]", "stop": "[red]STOP[/]   "}


def print_report(env: Env, report: Report, *, brief: bool = False) -> None:
    """The summary line, then each finding (``brief``, before a send: only warnings and stops, on the error
    console; the summary line is the send summary's "sending domain" row)."""
    if brief:
        for finding in report.findings if report.checked else []:
            if finding.level in ("warn", "stop"):
                env.err.print(f"{_LABELS[finding.level].rstrip()}: {escape(finding.text())}")
        return
    env.out.print(escape(report.summary()))
    for finding in report.findings:
        env.out.print(f"  {_LABELS[finding.level]} {escape(finding.text())}")


def check_before_send(env: Env, plan: SendPlan, *, ignore: bool) -> str:
    """The sending-domain check before a real send through relays: warnings on the error console, and the
    refusal (exit 2) of what DMARC will reject, unless ``ignore``. No DNS server answering stops nothing.
    Gives the check's status, for the send summary's "sending domain" row."""
    from pressctl.domain.decision import decide
    from pressctl.ledger import Ledger
    from pressctl.send.domaincheck import plan_report

    with Ledger(plan.ledger_path, clock=env.clock) as ledger:
        report = plan_report(plan, ledger=ledger, now=env.clock())
    verdict = decide(report, ignore=ignore, command="send")  # DomainRefused: its one line, exit 2
    print_report(env, report, brief=True)
    if verdict.overridden:
        env.err.print("[yellow]warning:[/] sending anyway (--ignore-domain-check); the campaign records it")
    return report.status()
