"""A finding of the sending-domain check (one line, what to publish) and the report that holds them. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Finding", "Level", "Report"]

Level = Literal["ok", "info", "warn", "stop"]


@dataclass(frozen=True)
class Finding:
    """``level``: ok, info, warn, or stop (a real send is refused unless ``--ignore-domain-check``)."""

    level: Level
    topic: str  # spf, dkim, dmarc, mx, rdns, volume, dns
    line: str
    publish: str = ""  # the record to add or change, written out
    fix: str = ""  # what to do when it is not one record

    def text(self) -> str:
        return self.line + (f"; publish {self.publish}" if self.publish else f"; {self.fix}" if self.fix else "")


@dataclass
class Report:
    """Everything the check found for one From domain. ``unreachable``: no DNS server answered (the check
    could not be made; a send goes on)."""

    domain: str
    findings: list[Finding] = field(default_factory=list)
    unreachable: str = ""
    checked: bool = True

    def add(self, level: Level, topic: str, line: str, publish: str = "", *, fix: str = "") -> None:
        self.findings.append(Finding(level, topic, line, publish, fix))

    @property
    def stops(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "stop"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warn"]

    def summary(self) -> str:
        """One line: ``sending domain hvsp.example: 5 ok, 1 warning``."""
        return f"sending domain {self.status()}"

    def status(self) -> str:
        """The summary without its label: ``hvsp.example: 5 ok, 1 warning`` (the send summary's row)."""
        if self.unreachable:
            return f"{self.domain}: not checked, {self.unreachable}"
        if not self.checked:
            return f"{self.domain}: not checked ({self.findings[0].line if self.findings else 'reserved name'})"
        counts = [f"{sum(1 for f in self.findings if f.level == 'ok')} ok"]
        if self.warnings:
            counts.append(f"{len(self.warnings)} warning(s)")
        if self.stops:
            counts.append(f"{len(self.stops)} stopping a send")
        return f"{self.domain}: " + ", ".join(counts)

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "checked": self.checked and not self.unreachable,
            "unreachable": self.unreachable or None,
            "stops_send": bool(self.stops),
            "findings": [
                {"level": f.level, "topic": f.topic, "line": f.line, "publish": f.publish or None, "fix": f.fix or None} for f in self.findings
            ],
        }
