"""One hand-over and what its reply calls for: the engine's side of the reply policy.

:meth:`ActionDispatch.hand_over` writes the ledger row (``sending``, attempt + 1, the relay) before the
bytes leave, hands the message over, asks :func:`pressctl.relays.actions.judge` what the reply means and
what to do, and carries that action out (one handler per :class:`~pressctl.relays.actions.Action`): it
decides nothing itself. The relay-side refusals it holds are watched by :mod:`pressctl.send.relayfault`.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import datetime as dt
import random
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar, assert_never
from zoneinfo import ZoneInfo

from pressctl.ledger import Ledger
from pressctl.ledger.caps import CapReached
from pressctl.ledger.connection import StoreError
from pressctl.relays import policy
from pressctl.relays.actions import Action, Outcome, judge
from pressctl.send.buffer import Buffer, Item, backoff
from pressctl.send.delivery import DeliveryOptions, DeliveryProgress, DeliveryResult
from pressctl.send.lanestate import LaneState
from pressctl.send.relayfault import fault_line, signature
from pressctl.send.transport import Connection
from pressctl.times import format_local

__all__ = ["FLUSH_AFTER", "ActionDispatch", "Run"]

# Seconds a "sent" result may wait for the next hand-over's commit before it is committed on its own: at
# speed the next hand-over comes first (one commit per message); on a slow or paced run the row does not
# stay `sending` longer than this.
FLUSH_AFTER = 0.2

T = TypeVar("T")


class Run(Protocol[T]):
    """What the dispatch needs of the run it works for (the send loop, :mod:`pressctl.send.engine`)."""

    ledger: Ledger
    cid: int
    opt: DeliveryOptions
    rng: random.Random
    clock: Callable[[], dt.datetime]
    zone: ZoneInfo
    on_bounce: Callable[[str, Outcome], None] | None
    lanes: list[LaneState]
    buffer: Buffer[T]
    result: DeliveryResult
    prog: DeliveryProgress

    @property
    def stopping(self) -> bool: ...

    async def lane_out(
        self, ls: LaneState, reason: str, *, quiet: bool = False, fatal: BaseException | None = None
    ) -> None: ...

    def set_out(
        self, ls: LaneState, reason: str, *, quiet: bool = False, fatal: BaseException | None = None
    ) -> None: ...

    async def failed_once(self, ls: LaneState, why: str) -> bool: ...

    def report(self) -> None: ...


class ActionDispatch(Generic[T]):
    """Hand-overs of one run, and the actions their replies call for (on the run's shared state)."""

    def __init__(self, run: Run[T]) -> None:
        self.run = run
        self._flush_timer: asyncio.TimerHandle | None = None

    # -- the hand-over ----------------------------------------------------------------------------------
    async def hand_over(self, ls: LaneState, conn: Connection, item: Item[T]) -> Outcome | None:
        """Send ``item`` on ``conn`` and carry out what the reply calls for; None when nothing was handed
        over (another process took the row, or the relay's daily cap had no room left)."""
        run = self.run
        key, message = item.delivery.key, item.message
        loop = asyncio.get_running_loop()
        item.attempts += 1
        if item.first_try is None:
            item.first_try = loop.time()
        # Before: a crash now = in flight. Only from a to-do state: a row another process has taken
        # (or sent) meanwhile is left to it, never handed over twice.
        try:
            taken = run.ledger.recipients.mark_sending(run.cid, key, message.message_id, relay=ls.lane.name, cap=ls.lane.cap)
        except CapReached as exc:
            # Another send on the same account took the last of the room: this one stays pending (untouched).
            item.attempts -= 1
            run.buffer.push_back(item)
            if exc.resume_at is not None:
                run.result.cap_reached = min(exc.resume_at, run.result.cap_reached or exc.resume_at)
            await run.lane_out(ls, "its daily cap is used up", quiet=True)
            return None
        if taken is None:
            run.result.taken_elsewhere += 1
            return None
        if ls.budget is not None:
            ls.budget -= 1
        ls.result.handed_over += 1
        run.prog.handed_over += 1
        if run.prog.handed_over % 500 == 0:
            _give_back_memory()
        outcome = judge(await conn.send(message), profile=conn.profile)
        if not outcome.charged:
            item.attempts -= 1  # a throttle, a quota or a refused login: not this recipient's fault
        await self.carry_out(ls, item, outcome, loop.time())
        run.report()
        return outcome

    async def carry_out(self, ls: LaneState, item: Item[T], outcome: Outcome, now: float) -> None:
        """What the reply policy's action for ``outcome`` says, for this relay (``ls``) and this recipient."""
        match outcome.action:
            case Action.SENT:
                self._sent(ls, item, outcome, now)
            case Action.RETRY | Action.UNKNOWN:
                await self._again(ls, item, outcome, now)
            case Action.SLOW_DOWN:
                await self._slow_down(ls, item, outcome, now)
            case Action.STOP_RELAY:
                await self._stop_relay(ls, item, outcome, now)
            case Action.AUTH_FAILED | Action.POLICY:
                await self._relay_refuses(ls, item, outcome)
            case Action.TOO_LARGE:
                await self._too_large(ls, item, outcome)
            case Action.FAILED:
                await self._failed(ls, item, outcome)
            case Action.RELAY_FAULT:
                await self._hold_refusal(ls, item, outcome)
            case _:
                assert_never(outcome.action)

    # -- one handler per action -------------------------------------------------------------------------
    def _sent(self, ls: LaneState, item: Item[T], outcome: Outcome, now: float) -> None:
        run = self.run
        self._relay_works(ls)
        # Committed with the next hand-over's row (one commit per message), or by the timer when no
        # hand-over comes soon: see Recipients.note_sent.
        run.ledger.recipients.note_sent(
            run.cid, item.delivery.key, code=outcome.code, reply=outcome.reply, reason=outcome.reason,
            retryable=outcome.retryable, charged=outcome.charged,
        )
        self._flush_soon()
        ls.adaptive.ok(now)
        ls.consecutive = 0
        ls.throttles_in_a_row = 0
        ls.result.sent += 1
        run.result.sent += 1
        run.prog.sent += 1

    async def _again(self, ls: LaneState, item: Item[T], outcome: Outcome, now: float) -> None:
        """This recipient later, after a backoff; an unknown outcome only through this relay, same Message-ID."""
        run = self.run
        key = item.delivery.key
        delay = backoff(item.attempts, run.opt, run.rng)
        elapsed = now - (item.first_try or now)
        unknown = outcome.action is Action.UNKNOWN
        if unknown:
            item.pinned = ls.index  # the relay may have it: only it sends it again, same Message-ID
        if item.attempts < run.opt.max_attempts and elapsed + delay <= run.opt.retry_for:
            self.mark(key, "unknown" if unknown else "pending", outcome)
            if unknown:
                run.result.repeated += 1
                run.prog.repeated += 1
            self.requeue_later(item, delay)
        else:
            # Out of tries. "unknown" stays unknown (the server may have it); a "failed" one is recorded
            # retryable, so a re-run tries it again.
            self.mark(key, "unknown" if unknown else "failed", outcome)
            if unknown:
                run.result.unknown += 1
            else:
                run.result.failed += 1
                run.prog.failed += 1
        await run.failed_once(ls, outcome.describe())

    async def _slow_down(self, ls: LaneState, item: Item[T], outcome: Outcome, now: float) -> None:
        """The relay throttles: fewer connections and/or a lower rate on *this* relay, then this recipient
        again once the pause is over (through any relay). Not a failure, not charged an attempt."""
        run = self.run
        self.mark(item.delivery.key, _held(item), outcome)
        ls.adaptive.slow_down(now, outcome.throttles or "both")
        run.result.throttled += 1
        ls.result.throttled += 1
        ls.throttles_in_a_row += 1
        if ls.throttles_in_a_row >= policy.MAX_CONSECUTIVE_THROTTLES:
            # Never hammer a relay that only ever says "slow down": out of rotation, nobody charged.
            run.buffer.push_back(item)
            await run.lane_out(
                ls,
                f"the relay asked to slow down {ls.throttles_in_a_row} times in a row with nothing sent "
                f"between (last: {outcome.explain()}); everyone left stays pending. Run the same command "
                "again later, or lower --concurrency/--rate",
            )
        else:
            wait = ls.adaptive.allowed(now).wait_until
            self.requeue_later(item, max(0.0, (wait or now) - now))

    async def _stop_relay(self, ls: LaneState, item: Item[T], outcome: Outcome, now: float) -> None:
        """A quota: this relay stops for now, everyone left stays pending, and the line says when to resume
        (in the workspace's zone)."""
        run = self.run
        self.mark(item.delivery.key, _held(item), outcome)
        ls.adaptive.stop(now)
        resume = run.clock() + dt.timedelta(seconds=policy.STOP_FOR_NOW_WAIT)
        run.result.resume_after = resume
        run.buffer.push_back(item)
        await run.lane_out(
            ls,
            f"the relay says stop for now: {outcome.explain()}; everyone left stays pending. Run the same "
            f"command again after {format_local(resume, run.zone, seconds=False)} (or sooner if the relay's "
            "limit resets earlier) to resume",
        )

    async def _relay_refuses(self, ls: LaneState, item: Item[T], outcome: Outcome) -> None:
        """The login or the sender is refused: the relay's doing, not this recipient's. It leaves rotation;
        everyone stays pending."""
        self.mark(item.delivery.key, _held(item), outcome)
        self.run.buffer.push_back(item)
        what = "refused the login" if outcome.action is Action.AUTH_FAILED else "refused the mail by policy"
        await self.run.lane_out(
            ls,
            f"the server {what} ({outcome.explain()}); check the account, the sender address and the "
            "relay's rules, then run the same command again to resume",
        )

    async def _too_large(self, ls: LaneState, item: Item[T], outcome: Outcome) -> None:
        """Too large for this relay only: it keeps the smaller messages, the others take this one. With one
        relay there is nobody else: as a refusal by policy."""
        if len(self.run.lanes) == 1:
            await self._relay_refuses(ls, item, outcome)
            return
        self.mark(item.delivery.key, _held(item), outcome)
        ls.smaller_than(len(item.message.data))
        self.run.buffer.push_back(item)

    async def _failed(self, ls: LaneState, item: Item[T], outcome: Outcome) -> None:
        """Failed for good; a dead address (the bounce class) goes on the suppression list."""
        run = self.run
        self._relay_works(ls)
        self.mark(item.delivery.key, "failed", outcome)
        run.result.failed += 1
        run.prog.failed += 1
        if outcome.bounce:
            recipient = item.message.recipient
            run.result.bounced.append(recipient)
            if run.on_bounce is not None:
                run.on_bounce(recipient, outcome)
        await run.failed_once(ls, outcome.describe())

    async def _hold_refusal(self, ls: LaneState, item: Item[T], outcome: Outcome) -> None:
        """A refusal that names no mailbox: the row stays pending while the run sees whether the relay
        refuses everyone alike (see :mod:`pressctl.send.relayfault`)."""
        run = self.run
        run.ledger.recipients.mark_result(
            run.cid, item.delivery.key, status="pending", code=outcome.code, reply=outcome.reply, retryable=True,
            reason=f"held: {outcome.reason}",
        )
        self._fail_held(ls.refusals.hold((item, outcome), signature(outcome.code, outcome.reply)))
        if ls.refusals.relay_at_fault or not ls.active:
            n = len(ls.refusals.held)
            for held, _ in ls.refusals.held:
                run.buffer.push_back(held)  # pending: another relay may take them, or the next run
            ls.refusals.held = []
            if ls.active:
                await run.lane_out(ls, fault_line(n, outcome.describe(), several=len(run.lanes) > 1))

    # -- shared ----------------------------------------------------------------------------------------
    def _relay_works(self, ls: LaneState) -> None:
        """The relay took a message or refused one for its mailbox: what it refused before was about those."""
        self._fail_held(ls.refusals.fine())

    def _fail_held(self, released: list[tuple[Any, Outcome]]) -> None:
        """Held refusals the relay turned out not to be at fault for: failed, as the reply policy reads them."""
        for item, outcome in released:
            self.mark(item.delivery.key, "failed", outcome)
            self.run.result.failed += 1
            self.run.prog.failed += 1

    def settle_refusals(self, interrupted: bool) -> None:
        """At the end: a relay that refused every recipient it had alike is at fault (they stay pending);
        otherwise what it still holds was refused for those recipients (failed), unless the run was stopped."""
        run = self.run
        for ls in run.lanes:
            watch = ls.refusals
            if not watch.held:
                continue
            if watch.at_end():
                outcome = watch.held[-1][1]
                reason = fault_line(len(watch.held), outcome.describe(), several=len(run.lanes) > 1, everyone=True)
                watch.held = []
                run.set_out(ls, reason)
                if len(run.lanes) == 1 or run.result.stopped is None:
                    run.result.stopped = run.result.stopped or reason
            elif not interrupted and run.result.stopped is None:
                self._fail_held(watch.fine())

    def _flush_soon(self) -> None:
        if self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(FLUSH_AFTER, self._flush_now)

    def _flush_now(self) -> None:
        self._flush_timer = None
        # A store error here is left to the next write (the next hand-over's, or the run's last flush),
        # which raises it where the run can stop; meanwhile the rows stay `sending`, as in flight.
        with contextlib.suppress(StoreError):
            self.run.ledger.recipients.flush()

    def flush(self) -> None:
        """Commit the "sent" results still held (the end of a run)."""
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        self.run.ledger.recipients.flush()

    def mark(self, key: str, status: str, outcome: Outcome) -> None:
        self.run.ledger.recipients.mark_result(
            self.run.cid, key, status=status, code=outcome.code, reply=outcome.reply,
            retryable=outcome.retryable, reason=outcome.reason, charged=outcome.charged,
        )

    def requeue_later(self, item: Item[T], delay: float) -> None:
        prog = self.run.prog
        prog.retrying += 1

        def ready() -> None:
            prog.retrying -= 1

        self.run.buffer.requeue_later(item, delay, ready)


def _held(item: Item[Any]) -> str:
    """The status a row keeps while its recipient waits: once unknown, it stays so until sent."""
    return "unknown" if item.pinned is not None else "pending"


_LIBC: Any = None


def _give_back_memory() -> None:
    """Hand freed message buffers back to the OS (glibc's ``malloc_trim``; a no-op elsewhere).

    Messages of ~0.3-0.7 MB come and go thousands of times; glibc keeps the freed space in its heap, and
    over 100,000 messages the fragments add ~20 MB to the resident size. Trimming every 500 hand-overs
    costs ~1 ms each time.
    """
    global _LIBC
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL("libc.so.6")
            _LIBC.malloc_trim  # noqa: B018 - probe: musl and others have no malloc_trim
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC is not False:
        _LIBC.malloc_trim(0)
