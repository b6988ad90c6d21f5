"""Refusals that are the relay's, not the journalists': the same non-mailbox 5xx for recipient after recipient.

A relay that answers ``500 Error: (FileNotFoundError)`` to every message is broken (a full spool, a missing
file, a bad milter); failing each journalist for good would need a person to retry them one by one. The reply
policy reads such replies as the relay's (:mod:`pressctl.relays.replies`: a syntax or local error, never a
5.1.x mailbox status) and its table's action for them is ``relay-fault`` (:mod:`pressctl.relays.actions`);
this module watches them per relay:

- a ``relay_side`` refusal is *held*: its row stays pending while the run sees what comes next;
- the same reply again and again (:data:`SAME_REFUSALS` in a row, or every recipient the relay saw in the
  run) is the relay's fault: the relay leaves rotation and everyone held stays pending, so a plain re-run
  sends them once the relay is fixed;
- a message the relay takes, or a refusal about a mailbox, shows the relay works: those held were refused
  for themselves and are failed (``--retry-failed`` tries them again).

Pure: the engine's dispatch (:mod:`pressctl.send.dispatch`) does the ledger writes this asks for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["SAME_REFUSALS", "RefusalWatch", "fault_line", "signature"]

T = TypeVar("T")

#: The same relay-side refusal this many times in a row, nothing taken between: the relay is at fault.
SAME_REFUSALS = 3

_VARYING = re.compile(r"[0-9a-f]{6,}|\d+", re.IGNORECASE)


def signature(code: int | None, text: str) -> str:
    """What makes two refusals "the same": the code and text, without the numbers and ids that vary per
    message (queue ids, temporary file names, line numbers)."""
    return f"{code} " + _VARYING.sub("#", " ".join(text.split()).lower())


@dataclass
class RefusalWatch(Generic[T]):
    """One relay's refusals held while the run decides whose fault they are."""

    threshold: int = SAME_REFUSALS
    held: list[T] = field(default_factory=list)
    reply: str | None = None  # the signature held
    taken: int = 0  # messages this relay took (or refused for a mailbox reason) in the run

    def hold(self, item: T, sig: str) -> list[T]:
        """A relay-side refusal. Returns the items held before that must now be failed (another reply came
        between: those were refused for themselves); the new one is held."""
        released: list[T] = []
        if self.reply is not None and self.reply != sig:
            released, self.held = self.held, []
        self.reply = sig
        self.held.append(item)
        return released

    @property
    def relay_at_fault(self) -> bool:
        """The same reply :attr:`threshold` times in a row."""
        return len(self.held) >= self.threshold

    def fine(self) -> list[T]:
        """The relay took a message (or refused one for its mailbox): it works. Returns the held items to fail."""
        self.taken += 1
        released, self.held, self.reply = self.held, [], None
        return released

    def at_end(self) -> bool:
        """When the relay has nothing more to do: True when everything it saw was held (all refused alike,
        the relay's fault: they stay pending); False when the held ones are to be failed."""
        return bool(self.held) and self.taken == 0


def fault_line(n: int, reply: str, *, several: bool, everyone: bool = False) -> str:
    """Why a relay left: it refused ``n`` recipients in a row (or ``everyone`` it saw) with ``reply``."""
    who = f"every recipient it was given ({n})" if everyone else f"{n} recipients in a row"
    rest = (
        "the other relays take the rest" if several
        else "fix the relay (its log says more), then run the same command again: it sends them"
    )
    return (
        f"the relay refused {who} with the same reply, {reply!r} (a syntax or local error, not about a "
        f"mailbox): that is the relay's fault, not the journalists'. They stay pending; {rest}"
    )
