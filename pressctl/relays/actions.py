"""What the run does with each reading of a reply: one table, meaning -> action.

:mod:`pressctl.relays.replies` reads what a relay said into a meaning (and, when a refusal is not the
recipient's, its cause); :data:`TABLE` says what the send engine does about it, and the engine only looks
the action up and carries it out (``send/dispatch.py``: one handler per action).

===================  =======================================================================  =======  =========
action               what the run does                                                        charged  retryable
===================  =======================================================================  =======  =========
``sent``             record it sent; the relay works                                          yes      -
``retry``            this recipient again later, after a backoff (then through any relay)     yes      yes
``slow-down``        this relay: fewer connections and/or a lower rate (:attr:`Outcome.       no       yes
                     throttles`), a pause; this recipient again after it
``stop-relay``       stop this relay for now (a quota): everyone left stays pending, and the  no       yes
                     run says when to resume
``auth-failed``      the login is refused: this relay leaves rotation, everyone stays pending no       yes
``policy``           the relay refuses the sender or message: it leaves rotation, likewise    no       yes
``too-large``        larger than this relay takes: another relay sends it (with one relay,    no       yes
                     as ``policy``)
``failed``           the recipient failed for good; its :attr:`Outcome.bounce_class` says     yes      no
                     whether the address is dead (suppressed) or what else to do
``relay-fault``      a refusal naming no mailbox: held while the run sees whether the relay   yes      no
                     refuses everyone alike (``send/relayfault.py``); failed if not
``unknown``          the connection was lost after the data: the relay may have it; again     yes      yes
                     through the same relay only, with the same Message-ID
===================  =======================================================================  =======  =========

"Charged" means the hand-over counts against the recipient's attempts: a recipient who met a throttle, a
quota or a refused login did nothing wrong and must not run out of tries because of it. "Retryable" is
recorded in the ledger with a failure, so a re-run tries those again and never the ones failed for good.
Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pressctl.relays.replies import (
    CONNECTING,
    BounceClass,
    Cause,
    Meaning,
    Reply,
    Stage,
    Verdict,
    bounce_class,
    read_reply,
)

__all__ = ["TABLE", "Action", "Effect", "Outcome", "OutcomeKind", "Throttles", "classify", "judge"]


class Action(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    SLOW_DOWN = "slow-down"
    STOP_RELAY = "stop-relay"
    AUTH_FAILED = "auth-failed"
    POLICY = "policy"
    TOO_LARGE = "too-large"
    FAILED = "failed"
    RELAY_FAULT = "relay-fault"
    UNKNOWN = "unknown"


#: The coarse class of an outcome (sent, a passing refusal, a permanent one, ...), for callers that only
#: need that much.
OutcomeKind = Literal["sent", "transient", "permanent", "unknown", "auth", "policy"]

#: What a slow-down cuts on its relay.
Throttles = Literal["connections", "rate", "both"]


@dataclass(frozen=True)
class Effect:
    """One row of :data:`TABLE`."""

    action: Action
    charged: bool
    retryable: bool
    kind: OutcomeKind


M, A = Meaning, Action

#: The one table: a reading (meaning, cause) -> what the run does. Every meaning has a row with no cause;
#: a cause the table does not name for a meaning reads as that row.
TABLE: dict[tuple[Meaning, Cause], Effect] = {
    # reading                          action          charged retryable kind
    (M.SENT, ""):             Effect(A.SENT,         True,  True,  "sent"),
    (M.RETRY_RECIPIENT, ""):  Effect(A.RETRY,        True,  True,  "transient"),
    (M.SLOW_DOWN, ""):        Effect(A.SLOW_DOWN,    False, True,  "transient"),
    (M.STOP_FOR_NOW, ""):     Effect(A.STOP_RELAY,   False, True,  "transient"),
    (M.AUTH, ""):             Effect(A.AUTH_FAILED,  False, True,  "auth"),
    (M.POLICY, ""):           Effect(A.POLICY,       False, True,  "policy"),
    (M.POLICY, "size"):       Effect(A.TOO_LARGE,    False, True,  "policy"),
    (M.RECIPIENT_FAILED, ""):      Effect(A.FAILED,      True, False, "permanent"),
    (M.RECIPIENT_FAILED, "relay"): Effect(A.RELAY_FAULT, True, False, "permanent"),
    (M.UNKNOWN, ""):          Effect(A.UNKNOWN,      True,  True,  "unknown"),
}  # fmt: skip


def _effect(verdict: Verdict) -> Effect:
    return TABLE.get((verdict.meaning, verdict.cause)) or TABLE[(verdict.meaning, "")]


@dataclass(frozen=True)
class Outcome:
    """One reply, read (:attr:`verdict`) and looked up (:attr:`action`): what the engine carries out.

    ``reply`` is the text the ledger records (the relay's own, or our line when there was no reply);
    ``reconnect``: the connection is no longer usable.
    """

    verdict: Verdict
    effect: Effect
    reply: str
    reconnect: bool

    @property
    def action(self) -> Action:
        return self.effect.action

    @property
    def meaning(self) -> Meaning:
        return self.verdict.meaning

    @property
    def code(self) -> int | None:
        return self.verdict.code

    @property
    def reason(self) -> str:
        return self.verdict.reason

    @property
    def stage(self) -> str:
        return self.verdict.stage

    @property
    def rule(self) -> str:
        return self.verdict.rule

    @property
    def kind(self) -> OutcomeKind:
        return self.effect.kind

    @property
    def charged(self) -> bool:
        """Whether this hand-over counts against the recipient's attempts (a throttle or quota does not)."""
        return self.effect.charged

    @property
    def retryable(self) -> bool:
        """Whether a recipient left failed with this outcome is tried again by a later run (recorded in
        the ledger when it happens): everything but a permanent refusal of the recipient."""
        return self.effect.retryable

    @property
    def throttles(self) -> Throttles | None:
        """For a slow-down, what to cut: a refusal while connecting or logging in means fewer connections; a
        throttle that also closes the connection, both; one on a message, the rate. None otherwise."""
        if self.action is not Action.SLOW_DOWN:
            return None
        if self.stage in CONNECTING:
            return "connections"
        return "both" if self.reconnect else "rate"

    @property
    def bounce_class(self) -> BounceClass | None:
        """For a recipient failed for good, what the refusal says about the address (``dead``: suppress it;
        see :func:`pressctl.relays.replies.bounce_class`); a refusal of MAIL FROM is about our sender, so
        ``other``. None for any other action."""
        if self.action is not Action.FAILED:
            return None
        return bounce_class(self.verdict.status) if self.stage in ("rcpt", "data", "") else "other"

    @property
    def bounce(self) -> bool:
        """The address does not exist (5.1.x after RCPT or DATA): it belongs on the suppression list."""
        return self.bounce_class == "dead"

    @property
    def relay_side(self) -> bool:
        """A permanent refusal naming no mailbox: maybe the relay's fault (``send/relayfault.py``)."""
        return self.action is Action.RELAY_FAULT

    def describe(self) -> str:
        """``code reply``: what the relay said (or our line when it said nothing)."""
        return f"{self.code} {self.reply}".strip() if self.code else self.reply

    def explain(self) -> str:
        """``reason (code reply)``: the report's line for this recipient."""
        reply = self.describe()
        if not self.reason:
            return reply
        return f"{self.reason} ({reply})" if reply and reply != self.reason else self.reason


def judge(reply: Reply, *, profile: str | None = None) -> Outcome:
    """Read what the transport reported (with the relay's profile) and look up what the run does."""
    verdict = read_reply(reply, profile=profile)
    effect = _effect(verdict)
    text = reply.text if reply.code is None else verdict.text
    if reply.sender and reply.stage == "mail" and effect.kind == "policy":
        # The relay refuses our sender: no recipient will fare better, so the line names the sender.
        text = f"sender {reply.sender} refused: {text}"
    return Outcome(verdict, effect, text, verdict.reconnect or reply.closed)


def classify(
    code: int, text: str, *, reconnect: bool = False, stage: Stage = "", profile: str | None = None
) -> Outcome:
    """:func:`judge` for one reply given as its code and text."""
    return judge(Reply(code, text, stage, closed=reconnect), profile=profile)
