"""What the sending-domain check decides for a real send, one rule for ``send``, ``schedule`` and ``dispatch``.

A finding that stops a send (an unaligned DMARC with ``p=quarantine``/``p=reject``: receivers will refuse the
messages) refuses it with :class:`DomainRefused`, unless ``--ignore-domain-check`` was given (kept in the
campaign, or in the job when it was scheduled); everything else, and a check that could not be made (no DNS
server answered), only warns. Pure: the report comes from :func:`pressctl.domain.check.check_domain`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pressctl.domain.findings import Report
from pressctl.errors import ExitStatus, InputError

__all__ = ["Command", "DomainRefused", "Verdict", "check_status", "decide", "warning_lines"]

Command = Literal["send", "schedule", "dispatch"]

_FIX = "fix the records (`pressctl domain check` shows what to publish)"
_HINTS: dict[Command, str] = {
    "send": f"nothing sent: {_FIX}, or send anyway with --ignore-domain-check",
    "schedule": f"no job was made: {_FIX}, or schedule anyway with --ignore-domain-check",
    "dispatch": f"nothing sent for this job: {_FIX}, then `pressctl schedule run {{job}}`; or schedule the release "
    "again with --ignore-domain-check",
}


class DomainRefused(InputError):
    """A finding of the check stops the send (exit 2, nothing sent); ``lines`` are the stopping findings."""

    def __init__(self, what: str, *, hint: str, lines: tuple[str, ...]) -> None:
        super().__init__(what, hint=hint)
        self.lines = lines


@dataclass(frozen=True)
class Verdict:
    """A send the check lets go: the lines to warn with, and whether a stopping finding was overridden
    (``--ignore-domain-check``; the campaign or the job records it)."""

    warnings: list[str]
    overridden: bool = False


def warning_lines(report: Report) -> list[str]:
    """The findings worth a warning (those that would stop a send included), one line each with what to
    publish."""
    return [f.text() for f in report.findings if f.level in ("warn", "stop")]


def decide(report: Report, *, ignore: bool, command: Command, job: str = "") -> Verdict:
    """Raise :class:`DomainRefused` when ``report`` stops a send and ``ignore`` is false; else the
    :class:`Verdict` (its warnings: :func:`warning_lines`, an overridden stop among them). ``command`` words
    the hint (``job``: the scheduled job's id, for ``dispatch``)."""
    stops = tuple(f.line for f in report.stops)
    if stops and not ignore:
        prefix = "dispatch refused: " if command == "dispatch" else ""
        raise DomainRefused(prefix + "; ".join(stops), hint=_HINTS[command].format(job=job or "ID"), lines=stops)
    return Verdict(warnings=warning_lines(report), overridden=bool(stops))


def check_status(report: Report) -> ExitStatus:
    """``pressctl domain check``'s status: 2 a finding stops a send, 1 no DNS server answered, else 0."""
    if report.stops:
        return ExitStatus.BAD_INPUT
    return ExitStatus.FAILED if report.unreachable else ExitStatus.OK
