"""A sending rate, and the one way it is written: ``10/s``, ``600/min``, ``100/h`` or a bare number (per second);
``0`` means no limit. ``--rate``, ``[smtp] rate`` and each relay's ``rate`` are read by :func:`parse_rate`, the
relay profiles state theirs as :class:`Rate`. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pressctl.errors import InputError

__all__ = ["RATE_HINT", "Rate", "parse_rate"]

_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "hour": 3600.0}
_RATE = re.compile(r"(\d+)(?:/(" + "|".join(_UNITS) + "))?")
RATE_HINT = "write it as N/s, N/min or N/h (0 for no limit), e.g. 10/s"


@dataclass(frozen=True)
class Rate:
    """``count`` messages per ``per`` seconds, e.g. Rate(100, 3600) for 100/h."""

    count: int
    per: float

    @property
    def interval(self) -> float:
        """Seconds between two hand-overs."""
        return self.per / self.count

    @property
    def per_second(self) -> float:
        return self.count / self.per

    def __str__(self) -> str:
        unit = {1.0: "s", 60.0: "min", 3600.0: "h"}.get(self.per, f"{self.per:g}s")
        return f"{self.count}/{unit}"


def parse_rate(text: str, *, option: str = "--rate") -> Rate | None:
    """``"10/s"``, ``"600/min"``, ``"100/h"`` or a bare number (per second); ``"0"`` means no limit (None).
    Anything else is an InputError naming ``option``."""
    match = _RATE.fullmatch(text.strip().lower().replace(" ", ""))
    if not match:
        raise InputError(f"{option} {text!r} is not a rate", hint=RATE_HINT)
    count = int(match.group(1))
    if count == 0:
        return None
    return Rate(count, _UNITS[match.group(2) or "s"])
