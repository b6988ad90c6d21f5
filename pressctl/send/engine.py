"""The send loop: one shared buffer of messages, one or more relays (*lanes*), each with its own reused
connections, pacer, adaptive limits and daily budget; retries, and a ledger write around every hand-over.

A producer builds messages ahead of the sockets into a bounded buffer (building is CPU work; it runs
while the workers wait on the network). Each worker belongs to one lane and owns one connection to its
relay; for every message it waits for the embargo gate and its lane's pacer, writes the ledger row
(``sending``, attempt + 1, the relay), hands the message over, and writes the reply. Transient failures go
back to the buffer after an exponential backoff with jitter, keeping their Message-ID (an *unknown*
outcome goes back only to the relay that had it). A relay that refuses the login, refuses by policy,
says *stop for now*, becomes unreachable, or fails too often in a row leaves rotation: its workers stop,
the message in hand goes back to the buffer, and the other relays carry on. The run stops when no relay
is left, with the rest of the list pending for a later resume. Nobody is sent twice: the ledger's
conditional ``mark_sending`` is the guard.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pressctl.clock import system_clock
from pressctl.embargo import HandoverGate
from pressctl.errors import PressctlError, TransportError
from pressctl.ledger import CapReached, Ledger
from pressctl.model import OutgoingMessage
from pressctl.rates import Rate
from pressctl.relays import policy
from pressctl.relays.adaptive import AdaptiveConfig, AdaptiveController
from pressctl.relays.replies import Meaning, throttle_aspect
from pressctl.send.pacing import Pacer
from pressctl.send.relayfault import RefusalWatch, fault_line, signature
from pressctl.send.transport import Connection, Outcome, RelayBusy, Transport

__all__ = ["Delivery", "DeliveryOptions", "DeliveryProgress", "DeliveryResult", "Lane", "LaneResult", "deliver"]

T = TypeVar("T")


@dataclass(frozen=True)
class DeliveryOptions:
    """How to send. Times in seconds."""

    concurrency: int = policy.CONCURRENCY  # connections, each reused for many messages
    rate: Rate | None = None  # shared by all connections; None = as fast as the server takes them
    batch_size: int = 0  # pause after every N hand-overs (0 = no batches)
    batch_pause: float = 0.0
    max_attempts: int = policy.MAX_ATTEMPTS  # per recipient and run, the first attempt included
    retry_for: float = policy.RETRY_FOR_SECONDS  # give up retrying a recipient this long after its first try
    backoff: float = policy.BACKOFF  # first retry delay; doubles each time, with jitter
    backoff_max: float = policy.BACKOFF_MAX
    reconnect_after: int = policy.RECONNECT_AFTER  # messages per connection before it is renewed
    max_consecutive_failures: int = policy.MAX_CONSECUTIVE_FAILURES  # failures in a row that stop the run
    throttle_pause: float = policy.THROTTLE_PAUSE  # after a "slow down" reply, nothing for this long
    recover_after: float = policy.RECOVER_AFTER  # clean seconds per step back up after a slow-down
    buffer: int = 64  # messages built ahead of the sockets...
    buffer_bytes: int = 4 << 20  # ...and at most this many bytes of them (a PDF-laden message is ~0.5 MB)


@dataclass(frozen=True)
class Delivery(Generic[T]):
    """One recipient to send to: the ledger key and what ``build`` needs to make the message."""

    key: str
    payload: T
    relay: str | None = None  # its outcome is unknown at this relay (a lane's name): only it sends it again


@dataclass
class DeliveryProgress:
    sent: int = 0
    failed: int = 0
    retrying: int = 0  # waiting for a retry now
    handed_over: int = 0  # attempts, retries included
    repeated: int = 0  # outcome unknown, sent again with the same Message-ID


@dataclass
class DeliveryResult:
    """What this run did. ``stopped`` says why it ended early (None: it worked through everything)."""

    sent: int = 0
    failed: int = 0
    unknown: int = 0  # outcome still unknown at the end of the run
    repeated: int = 0
    bounced: list[str] = field(default_factory=list)
    stopped: str | None = None
    interrupted: bool = False
    taken_elsewhere: int = 0  # rows another process had taken when this run came to them
    throttled: int = 0  # "slow down" replies met (not charged to anybody)
    resume_after: dt.datetime | None = None  # after "stop for now": when a re-run can resume
    relays: list[LaneResult] = field(default_factory=list)  # per relay (lane), in the order given
    too_large: int = 0  # left pending: larger than every relay still in rotation takes
    cap_reached: dt.datetime | None = None  # a relay's daily cap had no room (another send took it): room again then


@dataclass(frozen=True)
class Lane:
    """One relay of a run. ``options``: its own connections and rate (None: the run's); ``name``: the relay
    account recorded on each row it takes (None: the campaign's relay, or the outbox); ``budget``: how many
    hand-overs its rolling daily cap allows now (None: no cap); ``cap``: that daily cap, taken again in the
    ledger's transaction at every hand-over (other processes on the same account share it); ``label``: how
    messages name it."""

    transport: Transport
    options: DeliveryOptions | None = None
    name: str | None = None
    budget: int | None = None
    label: str = ""
    cap: int | None = None


@dataclass
class LaneResult:
    """What one relay did in the run. ``left``: why it left rotation (None: it stayed to the end);
    ``quiet``: it left because its daily budget was used up (not a problem)."""

    label: str
    name: str | None
    sent: int = 0
    handed_over: int = 0
    throttled: int = 0
    left: str | None = None
    quiet: bool = False


@dataclass
class _Item(Generic[T]):
    delivery: Delivery[T]
    message: OutgoingMessage
    attempts: int = 0  # in this run
    first_try: float | None = None
    pinned: int | None = None  # after an unknown outcome: only this lane may send it again


class _LaneState:
    """A lane while the run goes: its relay's pace, adaptive limits, connections and standing."""

    def __init__(self, index: int, lane: Lane, run: DeliveryOptions, now: float) -> None:
        opt = lane.options or run
        self.index = index
        self.lane = lane
        self.transport = lane.transport
        self.concurrency = max(1, opt.concurrency)
        self.pacer = Pacer(opt.rate, batch_size=run.batch_size, batch_pause=run.batch_pause)
        self.adaptive = AdaptiveController(
            AdaptiveConfig(
                max_connections=self.concurrency,
                max_rate=opt.rate.per_second if opt.rate else None,
                pause=run.throttle_pause,
                recover_after=run.recover_after,
            ),
            # The loop's clock at the start: the controller measures the pace since then when a relay that
            # has no configured rate first throttles (from 0.0, a run would look 60 s old and its measured
            # pace a fraction of the real one, and the first cut would drop it far below what the relay takes).
            now=now,
        )
        self.pace_lock = asyncio.Lock()
        self.last_handover: float | None = None
        self.live = 0  # open connections
        self.ever_opened = False
        self.consecutive = 0  # failures in a row on this relay
        self.throttles_in_a_row = 0
        self.budget = lane.budget
        self.held = 0  # items its workers hold now
        self.max_size: int | None = None  # the relay's SIZE, once a connection said it
        self.out: str | None = None  # why it left rotation
        self.fatal: BaseException | None = None  # the error that kept it from ever working
        self.result = LaneResult(label=lane.label or lane.name or lane.transport.description, name=lane.name)
        # Refusals that may be the relay's (the same non-mailbox 5xx for everyone): held pending until clear.
        self.refusals: RefusalWatch[tuple[Any, Outcome]] = RefusalWatch()

    @property
    def active(self) -> bool:
        return self.out is None

    def fits(self, size: int) -> bool:
        return self.max_size is None or size <= self.max_size

    def budget_left(self) -> bool:
        return self.budget is None or self.budget - self.held > 0


_LIBC: object = None


def _give_back_memory() -> None:
    """Hand freed message buffers back to the OS (glibc's ``malloc_trim``; a no-op elsewhere).

    Messages of ~0.3-0.7 MB come and go thousands of times; glibc keeps the freed space in its heap, and
    over 100,000 messages the fragments add ~20 MB to the resident size. Trimming every 500 hand-overs
    costs ~1 ms each time.
    """
    global _LIBC
    if _LIBC is None:
        try:
            import ctypes

            _LIBC = ctypes.CDLL("libc.so.6")
            _LIBC.malloc_trim  # noqa: B018 - probe: musl and others have no malloc_trim
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC is not False:
        _LIBC.malloc_trim(0)  # type: ignore[attr-defined]


class _SendLoop(Generic[T]):
    def __init__(
        self,
        *,
        deliveries: Iterable[Delivery[T]],
        build: Callable[[T], OutgoingMessage],
        lanes: list[Lane],
        ledger: Ledger,
        campaign_id: int,
        options: DeliveryOptions,
        clock: Callable[[], dt.datetime],
        gate: HandoverGate,
        on_bounce: Callable[[str, Outcome], None] | None,
        progress: Callable[[DeliveryProgress], None] | None,
        stop: asyncio.Event | None,
        rng: random.Random,
    ) -> None:
        self.deliveries = deliveries
        self.build = build
        self.ledger = ledger
        self.cid = campaign_id
        self.opt = options
        self.clock = clock
        self.gate = gate
        self.on_bounce = on_bounce
        self.progress_cb = progress
        self.stop_event = stop or asyncio.Event()
        self.rng = rng
        started = asyncio.get_running_loop().time()
        self.lanes = [_LaneState(i, lane, options, started) for i, lane in enumerate(lanes)]
        self.prepare: Callable[[OutgoingMessage], OutgoingMessage] | None = getattr(lanes[0].transport, "prepare", None)
        self.cond = asyncio.Condition()
        self.fresh: deque[_Item[T]] = deque()
        self.fresh_bytes = 0
        self.retries: deque[_Item[T]] = deque()
        self.waiting = 0  # retry timers running
        self.in_hand = 0  # items workers hold now
        self.producer_done = False
        self.no_lanes = False  # every relay left rotation
        self.timers: set[asyncio.TimerHandle] = set()
        self.background: set[asyncio.Future[None]] = set()
        self.result = DeliveryResult(relays=[ls.result for ls in self.lanes])
        self.prog = DeliveryProgress()
        self.fatal: BaseException | None = None

    # -- stopping ---------------------------------------------------------------------------------------
    @property
    def stopping(self) -> bool:
        return (
            self.stop_event.is_set() or self.result.stopped is not None or self.fatal is not None or self.no_lanes
        )

    async def _halt(self, reason: str | None = None, fatal: BaseException | None = None) -> None:
        if reason and self.result.stopped is None:
            self.result.stopped = reason
        if fatal and self.fatal is None:
            self.fatal = fatal
        async with self.cond:
            self.cond.notify_all()

    def _active(self) -> list[_LaneState]:
        return [ls for ls in self.lanes if ls.active]

    async def _lane_out(
        self, ls: _LaneState, reason: str, *, quiet: bool = False, fatal: BaseException | None = None
    ) -> None:
        """Take a relay out of rotation; the others carry on. With none left the run stops: everyone left
        stays pending, and the stop line gives each relay's reason."""
        self._set_out(ls, reason, quiet=quiet, fatal=fatal)
        async with self.cond:
            self.cond.notify_all()

    def _set_out(self, ls: _LaneState, reason: str, *, quiet: bool = False, fatal: BaseException | None = None) -> None:
        """:meth:`_lane_out` without waking the workers (for code that holds the condition already)."""
        if ls.out is not None:
            return
        ls.out = reason
        ls.fatal = fatal
        ls.result.left = reason
        ls.result.quiet = quiet
        if self._active():
            return
        self.no_lanes = True
        noisy = [x for x in self.lanes if not x.result.quiet]
        if self.result.stopped is not None or not noisy:
            return
        if len(self.lanes) == 1:
            self.result.stopped = reason
        else:
            lines = "; ".join(f"{x.result.label}: {x.out}" for x in noisy)
            self.result.stopped = f"no relay is left ({lines}); everyone left stays pending"

    # -- the buffer -------------------------------------------------------------------------------------
    async def produce(self) -> None:
        try:
            for n, delivery in enumerate(self.deliveries):
                if self.stopping:
                    break
                try:
                    message = self.build(delivery.payload)
                    if self.prepare is not None:
                        message = self.prepare(message)  # per-byte wire work here, while sockets wait
                except PressctlError as exc:
                    # One contact's data cannot become a message (e.g. a header it would break): fail it alone.
                    self.ledger.mark_result(
                        self.cid, delivery.key, status="failed", code=None, reply=str(exc),
                        retryable=False, reason="the message could not be made from this contact's data",
                    )
                    self.result.failed += 1
                    self.prog.failed += 1
                    self._report()
                    continue
                async with self.cond:
                    await self.cond.wait_for(
                        lambda: self.stopping
                        or not self.fresh
                        or (len(self.fresh) < self.opt.buffer and self.fresh_bytes < self.opt.buffer_bytes)
                    )
                    if self.stopping:
                        break
                    self.fresh.append(_Item(delivery, message, pinned=self._pin(delivery.relay)))
                    self.fresh_bytes += len(message.data)
                    self.cond.notify_all()
                if n % 8 == 7:
                    await asyncio.sleep(0)  # let the sockets in between builds
        finally:
            async with self.cond:
                self.producer_done = True
                self.cond.notify_all()

    def _pin(self, relay: str | None) -> int | None:
        """The lane of a relay that may already have the message (an unknown outcome of an earlier run);
        None when it is not one of this run's relays (then any relay may send it)."""
        if relay is None or len(self.lanes) == 1:
            return None
        return next((ls.index for ls in self.lanes if ls.lane.name == relay), None)

    def _takes(self, ls: _LaneState, item: _Item[T]) -> bool:
        return (item.pinned is None or item.pinned == ls.index) and ls.fits(len(item.message.data))

    def _orphan(self, item: _Item[T]) -> bool:
        """No relay in rotation can take it: pinned to one that left, or larger than every one takes."""
        return not any(self._takes(ls, item) for ls in self.lanes if ls.active)

    def _drop_orphans(self) -> None:
        for queue in (self.retries, self.fresh):
            for item in [i for i in queue if self._orphan(i)]:
                queue.remove(item)
                if queue is self.fresh:
                    self.fresh_bytes -= len(item.message.data)
                if item.pinned is not None:
                    self.result.unknown += 1  # its row stays 'unknown': a re-run sends it through that relay
                else:
                    self.result.too_large += 1  # its row stays pending

    def _take(self, ls: _LaneState) -> _Item[T] | None:
        for queue in (self.retries, self.fresh):
            for i, item in enumerate(queue):
                if self._takes(ls, item):
                    del queue[i]
                    if queue is self.fresh:
                        self.fresh_bytes -= len(item.message.data)
                    return item
        return None

    async def next_item(self, ls: _LaneState) -> _Item[T] | None:
        async with self.cond:
            while True:
                if self.stopping or not ls.active:
                    return None
                if ls.budget is not None and ls.budget <= 0:
                    self._set_out(ls, "its daily cap is used up", quiet=True)
                    self.cond.notify_all()
                    return None
                if ls.budget_left():
                    item = self._take(ls)
                    if item is not None:
                        self.in_hand += 1
                        ls.held += 1
                        self.cond.notify_all()
                        return item
                self._drop_orphans()
                if self.producer_done and self.waiting == 0 and self.in_hand == 0 and not any(
                    self._takes(ls, i) for q in (self.retries, self.fresh) for i in q
                ):
                    return None
                await self.cond.wait()

    async def _release(self, ls: _LaneState) -> None:
        async with self.cond:
            self.in_hand -= 1
            ls.held -= 1
            self.cond.notify_all()

    def _push_back(self, item: _Item[T]) -> None:
        self.retries.appendleft(item)
        self._wake()

    def _requeue_later(self, item: _Item[T], delay: float) -> None:
        self.waiting += 1
        self.prog.retrying += 1

        def ready() -> None:
            self.timers.discard(handle)
            self.waiting -= 1
            self.prog.retrying -= 1
            self.retries.append(item)
            self._wake()

        handle = asyncio.get_running_loop().call_later(delay, ready)
        self.timers.add(handle)

    def _wake(self) -> None:
        """Wake waiting workers from code that cannot await (timers)."""
        task = asyncio.ensure_future(self._notify())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def _notify(self) -> None:
        async with self.cond:
            self.cond.notify_all()

    # -- gates ------------------------------------------------------------------------------------------
    async def embargo_gate(self) -> None:
        """The two-sided embargo gate (``pressctl.embargo.HandoverGate``), asked right before each message on
        the injected clock: wait for the lift (or a job's time); an advance copy stops the run at the lift."""
        if self.gate.idle:
            return
        while not self.stopping:
            decision = self.gate.decide(self.clock())
            if decision.action == "go":
                return
            if decision.action == "stop":
                await self._halt(decision.line)
                return
            await asyncio.sleep(min(decision.seconds, 0.25))

    async def pace(self, ls: _LaneState) -> None:
        """The relay's rate and batches, then what it allows now (after a slow-down: a pause, then a lower
        rate that recovers after a clean stretch; see ``relays/adaptive.py``)."""
        loop = asyncio.get_running_loop()
        async with ls.pace_lock:
            while (wait := self._delay(ls, loop.time())) > 0:
                if self.stopping or not ls.active:
                    return
                await asyncio.sleep(wait)
            ls.pacer.take(loop.time())
            ls.last_handover = loop.time()

    def _delay(self, ls: _LaneState, now: float) -> float:
        allowed = ls.adaptive.allowed(now)
        wait = ls.pacer.delay(now)
        if allowed.wait_until is not None:
            wait = max(wait, allowed.wait_until - now)
        if allowed.rate and ls.last_handover is not None and ls.adaptive.cuts:
            wait = max(wait, ls.last_handover + allowed.interval - now)
        return wait

    async def _pause(self, ls: _LaneState) -> None:
        """Before opening a connection: wait out the relay's pause after a slow-down."""
        loop = asyncio.get_running_loop()
        while not self.stopping and ls.active:
            until = ls.adaptive.allowed(loop.time()).wait_until
            if until is None or until <= loop.time():
                return
            await asyncio.sleep(min(0.25, until - loop.time()))

    def _over_allowance(self, ls: _LaneState, index: int) -> bool:
        """Whether worker ``index`` of the lane must stand aside: its relay allows fewer connections now."""
        return index >= max(1, ls.adaptive.allowed(asyncio.get_running_loop().time()).connections)

    def _all_done(self) -> bool:
        return self.stopping or (
            self.producer_done and not self.fresh and not self.retries and self.waiting == 0 and self.in_hand == 0
        )

    # -- workers ----------------------------------------------------------------------------------------
    async def open(self, ls: _LaneState) -> Connection:
        conn = await ls.transport.open()
        ls.live += 1
        ls.ever_opened = True
        size = getattr(conn, "max_size", None)
        if isinstance(size, int):
            ls.max_size = size if ls.max_size is None else min(ls.max_size, size)
        return conn

    async def close(self, ls: _LaneState, conn: Connection | None) -> None:
        if conn is not None:
            ls.live -= 1
            with contextlib.suppress(Exception):
                await conn.close()

    async def worker(self, ls: _LaneState, conn: Connection | None, index: int = 0) -> None:
        try:
            await self._work(ls, conn, index)
        except BaseException:
            await self._halt("internal error")  # the other workers stop after their message in flight
            raise

    def _busy(self, ls: _LaneState, exc: RelayBusy) -> bool:
        """A slow-down while connecting: fewer connections and a pause on this relay. True when it has
        said so too often with nothing sent between (then it leaves rotation)."""
        now = asyncio.get_running_loop().time()
        ls.adaptive.slow_down(now, "connections")
        self.result.throttled += 1
        ls.result.throttled += 1
        if ls.live > 0:
            return False  # its other connections carry on: not "nothing sent between"
        ls.throttles_in_a_row += 1
        return ls.throttles_in_a_row >= policy.MAX_CONSECUTIVE_THROTTLES

    async def _work(self, ls: _LaneState, conn: Connection | None, index: int) -> None:
        used = 0
        try:
            while True:
                if self._over_allowance(ls, index):
                    await self.close(ls, conn)  # give the relay its connection back while it throttles us
                    conn, used = None, 0
                    while self._over_allowance(ls, index) and ls.active and not self._all_done():
                        await asyncio.sleep(0.25)
                item = await self.next_item(ls)
                if item is None:
                    return
                try:
                    if conn is None or not conn.usable or used >= self.opt.reconnect_after:
                        await self.close(ls, conn)
                        conn, used = None, 0
                        await self._pause(ls)
                        try:
                            conn = await self.open(ls)
                        except RelayBusy as exc:
                            self._push_back(item)  # never handed over: no attempt spent
                            if self._busy(ls, exc):
                                await self._lane_out(
                                    ls,
                                    f"the relay asked to slow down {ls.throttles_in_a_row} times in a row with "
                                    f"nothing sent between (last: {exc.what}); everyone left stays pending. Run "
                                    "the same command again later, or lower --concurrency/--rate",
                                )
                                return
                            if ls.live > 0:
                                return  # it takes fewer connections than asked: carry on with those it took
                            await asyncio.sleep(self.opt.throttle_pause)  # none open: wait, then try again
                            continue
                        except TransportError as exc:
                            self._push_back(item)  # never handed over: no attempt spent
                            if not ls.ever_opened:
                                await self._lane_out(ls, _line(exc), fatal=exc)
                                return
                            if ls.live > 0:
                                return  # the server takes fewer connections than asked: carry on with fewer
                            if len(self._active()) > 1:
                                await self._lane_out(ls, f"it became unreachable ({_line(exc)})")
                                return
                            if await self._failed_once(ls, str(exc)):
                                return
                            await asyncio.sleep(self._backoff(ls.consecutive))
                            continue
                    await self.embargo_gate()
                    await self.pace(ls)
                    if self.stopping or not ls.active:
                        self._push_back(item)
                        return
                    outcome = await self.hand_over(ls, conn, item)
                    if outcome is None:
                        continue  # taken by another run: nothing was handed over
                    used += 1
                    if outcome.reconnect or not conn.usable:
                        await self.close(ls, conn)
                        conn, used = None, 0
                finally:
                    await self._release(ls)
        finally:
            await self.close(ls, conn)

    async def hand_over(self, ls: _LaneState, conn: Connection, item: _Item[T]) -> Outcome | None:
        key, message = item.delivery.key, item.message
        loop = asyncio.get_running_loop()
        item.attempts += 1
        if item.first_try is None:
            item.first_try = loop.time()
        # Before: a crash now = in flight. Only from a to-do state: a row another process has taken
        # (or sent) meanwhile is left to it, never handed over twice.
        try:
            taken = self.ledger.mark_sending(self.cid, key, message.message_id, relay=ls.lane.name, cap=ls.lane.cap)
        except CapReached as exc:
            # Another send on the same account took the last of the room: this one stays pending (untouched).
            item.attempts -= 1
            self._push_back(item)
            if exc.resume_at is not None:
                self.result.cap_reached = min(exc.resume_at, self.result.cap_reached or exc.resume_at)
            await self._lane_out(ls, "its daily cap is used up", quiet=True)
            return None
        if taken is None:
            self.result.taken_elsewhere += 1
            return None
        if ls.budget is not None:
            ls.budget -= 1
        ls.result.handed_over += 1
        self.prog.handed_over += 1
        if self.prog.handed_over % 500 == 0:
            _give_back_memory()
        outcome = await conn.send(message)
        now = loop.time()
        meaning = outcome.meaning
        held = "unknown" if item.pinned is not None else "pending"  # once unknown, it stays so until sent
        if not outcome.charged:
            item.attempts -= 1  # a throttle, a quota or a refused login: not this recipient's fault
        if meaning is Meaning.SENT or (meaning is Meaning.RECIPIENT_FAILED and not outcome.relay_side):
            self._fail_held(ls.refusals.fine())  # the relay works: what it refused before was about those
        if meaning is Meaning.SENT:
            self._mark(key, "sent", outcome)
            ls.adaptive.ok(now)
            ls.consecutive = 0
            ls.throttles_in_a_row = 0
            ls.result.sent += 1
            self.result.sent += 1
            self.prog.sent += 1
        elif meaning is Meaning.SLOW_DOWN:
            # The relay throttles: fewer connections and/or a lower rate on *this* relay, then this recipient
            # again once the pause is over (through any relay). Not a failure, not charged an attempt.
            self._mark(key, held, outcome)
            ls.adaptive.slow_down(now, throttle_aspect(outcome.meaning, outcome.stage, reconnect=outcome.reconnect) or "both")
            self.result.throttled += 1
            ls.result.throttled += 1
            ls.throttles_in_a_row += 1
            if ls.throttles_in_a_row >= policy.MAX_CONSECUTIVE_THROTTLES:
                # Never hammer a relay that only ever says "slow down": out of rotation, nobody charged.
                self._push_back(item)
                await self._lane_out(
                    ls,
                    f"the relay asked to slow down {ls.throttles_in_a_row} times in a row with nothing sent "
                    f"between (last: {outcome.explain()}); everyone left stays pending. Run the same command "
                    "again later, or lower --concurrency/--rate",
                )
            else:
                wait = ls.adaptive.allowed(now).wait_until
                self._requeue_later(item, max(0.0, (wait or now) - now))
        elif meaning is Meaning.STOP_FOR_NOW:
            self._mark(key, held, outcome)
            ls.adaptive.stop(now)
            resume = self.clock() + dt.timedelta(seconds=policy.STOP_FOR_NOW_WAIT)
            self.result.resume_after = resume
            self._push_back(item)
            await self._lane_out(
                ls,
                f"the relay says stop for now: {outcome.explain()}; everyone left stays pending. Run the same "
                f"command again after {resume.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC (or sooner if the relay's "
                "limit resets earlier) to resume",
            )
        elif meaning in (Meaning.RETRY_RECIPIENT, Meaning.UNKNOWN):
            delay = self._backoff(item.attempts)
            elapsed = now - item.first_try
            unknown = meaning is Meaning.UNKNOWN
            if unknown:
                item.pinned = ls.index  # the relay may have it: only it sends it again, same Message-ID
            if item.attempts < self.opt.max_attempts and elapsed + delay <= self.opt.retry_for:
                self._mark(key, "unknown" if unknown else "pending", outcome)
                if unknown:
                    self.result.repeated += 1
                    self.prog.repeated += 1
                self._requeue_later(item, delay)
            else:
                # Out of tries. "unknown" stays unknown (the server may have it); a "failed" one is recorded
                # retryable, so a re-run tries it again.
                self._mark(key, "unknown" if unknown else "failed", outcome)
                if unknown:
                    self.result.unknown += 1
                else:
                    self.result.failed += 1
                    self.prog.failed += 1
            await self._failed_once(ls, outcome.describe())
        elif meaning is Meaning.RECIPIENT_FAILED and outcome.relay_side:
            await self._hold_refusal(ls, item, outcome)
        elif meaning is Meaning.RECIPIENT_FAILED:
            self._mark(key, "failed", outcome)
            self.result.failed += 1
            self.prog.failed += 1
            if outcome.bounce:
                self.result.bounced.append(message.recipient)
                if self.on_bounce is not None:
                    self.on_bounce(message.recipient, outcome)
            await self._failed_once(ls, outcome.describe())
        elif meaning is Meaning.POLICY and outcome.rule in ("message-too-big", "message-too-big-552") and len(self.lanes) > 1:
            # Too large for this relay only: it keeps the smaller messages, the others take this one.
            self._mark(key, held, outcome)
            size = len(message.data) - 1
            ls.max_size = size if ls.max_size is None else min(ls.max_size, size)
            self._push_back(item)
        else:  # auth / policy: the relay refuses the sender, not this recipient; keep them pending
            self._mark(key, held, outcome)
            self._push_back(item)
            what = "refused the login" if meaning is Meaning.AUTH else "refused the mail by policy"
            await self._lane_out(
                ls,
                f"the server {what} ({outcome.explain()}); check the account, the sender address and the "
                "relay's rules, then run the same command again to resume",
            )
        self._report()
        return outcome

    async def _hold_refusal(self, ls: _LaneState, item: _Item[T], outcome: Outcome) -> None:
        """A refusal that names no mailbox (``Outcome.relay_side``): the row stays pending while the run sees
        whether the relay refuses everyone alike (see :mod:`pressctl.send.relayfault`)."""
        self.ledger.mark_result(
            self.cid, item.delivery.key, status="pending", code=outcome.code, reply=outcome.reply, retryable=True,
            reason=f"held: {outcome.reason}",
        )
        self._fail_held(ls.refusals.hold((item, outcome), signature(outcome.code, outcome.reply)))
        if ls.refusals.relay_at_fault or not ls.active:
            n = len(ls.refusals.held)
            for held, _ in ls.refusals.held:
                self._push_back(held)  # pending: another relay may take them, or the next run
            ls.refusals.held = []
            if ls.active:
                await self._lane_out(ls, fault_line(n, outcome.describe(), several=len(self.lanes) > 1))

    def _fail_held(self, released: list[tuple[Any, Outcome]]) -> None:
        """Held refusals the relay turned out not to be at fault for: failed, as the reply policy reads them."""
        for item, outcome in released:
            self._mark(item.delivery.key, "failed", outcome)
            self.result.failed += 1
            self.prog.failed += 1

    def _settle_refusals(self, interrupted: bool) -> None:
        """At the end: a relay that refused every recipient it had alike is at fault (they stay pending);
        otherwise what it still holds was refused for those recipients (failed), unless the run was stopped."""
        for ls in self.lanes:
            watch = ls.refusals
            if not watch.held:
                continue
            if watch.at_end():
                outcome = watch.held[-1][1]
                reason = fault_line(len(watch.held), outcome.describe(), several=len(self.lanes) > 1, everyone=True)
                watch.held = []
                self._set_out(ls, reason)
                if len(self.lanes) == 1 or self.result.stopped is None:
                    self.result.stopped = self.result.stopped or reason
            elif not interrupted and self.result.stopped is None:
                self._fail_held(watch.fine())

    def _mark(self, key: str, status: str, outcome: Outcome) -> None:
        self.ledger.mark_result(
            self.cid, key, status=status, code=outcome.code, reply=outcome.reply,
            retryable=outcome.retryable, reason=outcome.reason, charged=outcome.charged,
        )

    async def _failed_once(self, ls: _LaneState, why: str) -> bool:
        """Count a failure in a row on this relay; True when it left rotation for it (with one relay: the
        run stopped)."""
        ls.consecutive += 1
        limit = self.opt.max_consecutive_failures
        if limit and ls.consecutive >= limit and ls.active:
            await self._lane_out(
                ls,
                f"{ls.consecutive} messages in a row did not go through (last: {why}); stopped so the rest "
                "of the list is not burnt. Check the server and the list, then run the same command to resume",
            )
            return True
        return False

    def _backoff(self, attempt: int) -> float:
        base = min(self.opt.backoff_max, self.opt.backoff * 2.0 ** max(0, attempt - 1))
        return base * (0.5 + self.rng.random() / 2)  # jitter: retries from many workers don't line up

    def _report(self) -> None:
        if self.progress_cb is not None:
            self.progress_cb(self.prog)

    async def _first(self, ls: _LaneState) -> Connection | None:
        """One connection per relay before anything is marked, so an unreachable relay fails fast and clean."""
        try:
            return await self.open(ls)
        except RelayBusy as exc:
            self._busy(ls, exc)
            return None
        except TransportError as exc:
            self._set_out(ls, _line(exc), fatal=exc)
            return None

    async def run(self) -> DeliveryResult:
        now = self.clock()
        firsts: list[Connection | None] = [None] * len(self.lanes)
        # (Not when the gate is far off: an idle connection would time out while we wait.)
        bound = self.gate.not_before
        if bound is None or (bound - now).total_seconds() < 5:
            firsts = list(await asyncio.gather(*(self._first(ls) for ls in self.lanes)))
            if not self._active():
                if len(self.lanes) == 1 and self.lanes[0].fatal is not None:
                    raise self.lanes[0].fatal
                lines = "; ".join(f"{ls.result.label}: {ls.out}" for ls in self.lanes)
                raise TransportError(
                    f"no relay could be used ({lines}); nothing was sent",
                    hint="check each relay's host, port and login (`pressctl smtp check` looks at them all)",
                )
        producer = asyncio.create_task(self.produce())
        workers = [
            asyncio.create_task(self.worker(ls, firsts[ls.index] if i == 0 else None, i))
            for ls in self.lanes
            if ls.active
            for i in range(ls.concurrency)
        ]
        for ls, conn in zip(self.lanes, firsts, strict=True):
            if conn is not None and not ls.active:
                await self.close(ls, conn)
        try:
            done = await asyncio.gather(*workers, return_exceptions=True)
        finally:
            user_stop = self.stop_event.is_set()
            for handle in self.timers:
                handle.cancel()
            self.stop_event.set()  # release the producer if it waits for room
            async with self.cond:
                self.cond.notify_all()
            (produced,) = await asyncio.gather(producer, return_exceptions=True)
        if self.fatal is not None:
            raise self.fatal
        crashed = [d for d in done if isinstance(d, BaseException)]
        if crashed:
            raise crashed[0]  # the other workers finished their messages first (gather waited for them)
        if isinstance(produced, Exception):
            raise produced  # e.g. the ledger failed while building: never swallow it
        if len(self.lanes) == 1 and self.lanes[0].fatal is not None and not self.lanes[0].ever_opened:
            raise self.lanes[0].fatal
        self._settle_refusals(user_stop)
        self._count_left_unknown()
        self.result.interrupted = user_stop and self.result.stopped is None
        return self.result

    def _count_left_unknown(self) -> None:
        """Items still pinned to a relay when the run ended (it left rotation): their rows stay unknown."""
        for queue in (self.retries, self.fresh):
            for item in queue:
                if item.pinned is not None and not self.lanes[item.pinned].active:
                    self.result.unknown += 1
            queue.clear()


def _line(exc: BaseException) -> str:
    what = getattr(exc, "what", None)
    return str(what) if what else str(exc)


async def deliver(
    deliveries: Iterable[Delivery[T]],
    *,
    build: Callable[[T], OutgoingMessage],
    transport: Transport | None = None,
    ledger: Ledger,
    campaign_id: int,
    options: DeliveryOptions | None = None,
    clock: Callable[[], dt.datetime] = system_clock,
    not_before: dt.datetime | None = None,
    gate: HandoverGate | None = None,
    on_bounce: Callable[[str, Outcome], None] | None = None,
    progress: Callable[[DeliveryProgress], None] | None = None,
    stop: asyncio.Event | None = None,
    rng: random.Random | None = None,
    lanes: Sequence[Lane] | None = None,
) -> DeliveryResult:
    """Send one message per delivery through ``transport``, recording each hand-over in ``ledger``.

    ``deliveries`` must already be rows of ``campaign_id`` in the ledger (status pending/sending/unknown); they
    are read lazily, and ``build`` turns a delivery's payload into its message just ahead of the sockets.
    ``gate`` (:class:`pressctl.embargo.HandoverGate`) is asked on ``clock()`` before every hand-over: nothing
    leaves before its ``not_before``, and an advance copy stops at its ``lift`` with the rest pending.
    ``not_before`` alone (aware) is the one-sided gate ``HandoverGate(not_before=...)``.
    Setting ``stop`` ends the run after the messages in flight; the rest stays pending.
    Raises :class:`TransportError` if the server cannot be used at all (then nothing was marked sent).

    ``lanes`` gives several relays (each with its own connections, rate and daily budget) instead of the
    one ``transport``; exactly one of the two must be given.
    """
    if (transport is None) == (lanes is None):
        raise ValueError("give either transport or lanes")
    loop: _SendLoop[T] = _SendLoop(
        deliveries=deliveries,
        build=build,
        lanes=list(lanes) if lanes is not None else [Lane(transport)],  # type: ignore[arg-type]
        ledger=ledger,
        campaign_id=campaign_id,
        options=options or DeliveryOptions(),
        clock=clock,
        gate=gate or HandoverGate(not_before=not_before),
        on_bounce=on_bounce,
        progress=progress,
        stop=stop,
        rng=rng or random.Random(),
    )
    return await loop.run()
