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

This module is the loop (producer, workers, connections, relays leaving rotation, the embargo gate) and
:func:`deliver`; the other jobs have their own modules: :mod:`pressctl.send.delivery` (what the engine is
given and gives back), :mod:`pressctl.send.lanes` (one relay's pace, limits and standing),
:mod:`pressctl.send.connections` (a lane's connections, and what a refusal while connecting does to it),
:mod:`pressctl.send.buffer` (the shared buffer, retries and backoff) and :mod:`pressctl.send.dispatch` (a
hand-over, and what its reply's action calls for: the engine decides nothing about replies itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from pressctl.clock import system_clock
from pressctl.embargo import HandoverGate
from pressctl.errors import PressctlError, TransportError
from pressctl.ledger import Ledger
from pressctl.ledger.connection import StoreError
from pressctl.model import OutgoingMessage
from pressctl.relays.actions import Outcome
from pressctl.send.ahead import Ahead, Finisher, Step
from pressctl.send.buffer import Buffer, Item, lane_takes
from pressctl.send.connections import LaneConnections
from pressctl.send.delivery import Delivery, DeliveryOptions, DeliveryProgress, DeliveryResult, Lane
from pressctl.send.dispatch import ActionDispatch
from pressctl.send.lanestate import LaneState
from pressctl.send.transport import Connection, Transport

__all__ = ["deliver"]

T = TypeVar("T")

UTC = ZoneInfo("UTC")


class _SendLoop(Generic[T]):
    def __init__(
        self,
        *,
        deliveries: Iterable[Delivery[T]],
        build: Callable[[T], OutgoingMessage],
        finish: Step | Finisher | None = None,
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
        zone: ZoneInfo = UTC,
    ) -> None:
        self.deliveries = deliveries
        self.build = build
        self.finish = finish
        self.ledger = ledger
        self.cid = campaign_id
        self.opt = options
        self.clock = clock
        self.gate = gate
        self.on_bounce = on_bounce
        self.progress_cb = progress
        self.stop_event = stop or asyncio.Event()
        self.rng = rng
        self.zone = zone  # times in the lines a person reads (when to run again)
        started = asyncio.get_running_loop().time()
        self.lanes = [LaneState(i, lane, options, started) for i, lane in enumerate(lanes)]
        self.prepare: Callable[[OutgoingMessage], OutgoingMessage] | None = getattr(lanes[0].transport, "prepare", None)
        self.buffer: Buffer[T] = Buffer(options)
        self.no_lanes = False  # every relay left rotation
        self.result = DeliveryResult(relays=[ls.result for ls in self.lanes])
        self.prog = DeliveryProgress()
        self.fatal: BaseException | None = None
        self.actions = ActionDispatch(self)
        self.connections = LaneConnections(self)

    # -- stopping ---------------------------------------------------------------------------------------
    @property
    def stopping(self) -> bool:
        return (
            self.stop_event.is_set() or self.result.stopped is not None or self.fatal is not None or self.no_lanes
        )

    def _stopping(self) -> bool:
        return self.stopping

    async def halt(self, reason: str | None = None, fatal: BaseException | None = None) -> None:
        if reason and self.result.stopped is None:
            self.result.stopped = reason
        if fatal and self.fatal is None:
            self.fatal = fatal
        await self.buffer.notify()

    def _active(self) -> list[LaneState]:
        return [ls for ls in self.lanes if ls.active]

    async def lane_out(
        self, ls: LaneState, reason: str, *, quiet: bool = False, fatal: BaseException | None = None
    ) -> None:
        """Take a relay out of rotation; the others carry on. With none left the run stops: everyone left
        stays pending, and the stop line gives each relay's reason."""
        self.set_out(ls, reason, quiet=quiet, fatal=fatal)
        await self.buffer.notify()

    def set_out(self, ls: LaneState, reason: str, *, quiet: bool = False, fatal: BaseException | None = None) -> None:
        """:meth:`lane_out` without waking the workers (for code that holds the condition already)."""
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

    async def failed_once(self, ls: LaneState, why: str) -> bool:
        """Count a failure in a row on this relay; True when it left rotation for it (with one relay: the
        run stopped)."""
        ls.consecutive += 1
        limit = self.opt.max_consecutive_failures
        if limit and ls.consecutive >= limit and ls.active:
            await self.lane_out(
                ls,
                f"{ls.consecutive} messages in a row did not go through (last: {why}); stopped so the rest "
                "of the list is not burnt. Check the server and the list, then run the same command to resume",
            )
            return True
        return False

    def report(self) -> None:
        if self.progress_cb is not None:
            self.progress_cb(self.prog)

    # -- the buffer -------------------------------------------------------------------------------------
    async def produce(self) -> None:
        buffer = self.buffer
        ahead: Ahead[Delivery[T]] | None = Ahead(self.finish) if self.finish is not None else None
        try:
            if ahead is not None:
                await ahead.open()
            for n, delivery in enumerate(self.deliveries):
                if self.stopping:
                    break
                made = self._make(delivery)
                if made is None:
                    continue
                if ahead is None:
                    if not await self._add(delivery, made):
                        break
                else:  # signed on a worker thread while the next ones are built (pressctl.send.ahead)
                    ahead.start(delivery, made)
                    if ahead.full and not await self._add(*await ahead.take()):
                        break
                if n % 8 == 7:
                    await asyncio.sleep(0)  # let the sockets in between builds
            while ahead and not self.stopping:
                if not await self._add(*await ahead.take()):
                    break
        finally:
            if ahead is not None:
                ahead.close()
            async with buffer.cond:
                buffer.producer_done = True
                buffer.cond.notify_all()

    def _make(self, delivery: Delivery[T]) -> OutgoingMessage | None:
        """The delivery's message (in wire form when the transport prepares it), or None when this contact's
        data cannot become one (then its row failed alone)."""
        try:
            message = self.build(delivery.payload)
            if self.prepare is not None:
                message = self.prepare(message)  # per-byte wire work here, while sockets wait
        except PressctlError as exc:
            self._unmade(delivery, exc)
            return None
        return message

    def _unmade(self, delivery: Delivery[T], exc: PressctlError) -> None:
        # One contact's data cannot become a message (e.g. a header it would break): fail it alone.
        self.ledger.recipients.mark_result(
            self.cid, delivery.key, status="failed", code=None, reply=str(exc),
            retryable=False, reason="the message could not be made from this contact's data",
        )
        self.result.failed += 1
        self.prog.failed += 1
        self.report()

    async def _add(self, delivery: Delivery[T], message: OutgoingMessage | PressctlError) -> bool:
        """Put a built message in the buffer when it has room; False when the run is stopping."""
        if isinstance(message, PressctlError):
            self._unmade(delivery, message)
            return True
        buffer = self.buffer
        async with buffer.cond:
            await buffer.cond.wait_for(lambda: self.stopping or buffer.has_room())
            if self.stopping:
                return False
            buffer.add(Item(delivery, message, pinned=self._pin(delivery.relay)))
            buffer.cond.notify_all()
        return True

    def _pin(self, relay: str | None) -> int | None:
        """The lane of a relay that may already have the message (an unknown outcome of an earlier run);
        None when it is not one of this run's relays (then any relay may send it)."""
        if relay is None or len(self.lanes) == 1:
            return None
        return next((ls.index for ls in self.lanes if ls.lane.name == relay), None)

    def _orphan(self, item: Item[T]) -> bool:
        """No relay in rotation can take it: pinned to one that left, or larger than every one takes."""
        return not any(lane_takes(ls, item) for ls in self.lanes if ls.active)

    def _drop_orphans(self) -> None:
        for item in self.buffer.drop(self._orphan):
            if item.pinned is not None:
                self.result.unknown += 1  # its row stays 'unknown': a re-run sends it through that relay
            else:
                self.result.too_large += 1  # its row stays pending

    async def next_item(self, ls: LaneState) -> Item[T] | None:
        buffer = self.buffer
        async with buffer.cond:
            while True:
                if self.stopping or not ls.active:
                    return None
                if ls.budget is not None and ls.budget <= 0:
                    self.set_out(ls, "its daily cap is used up", quiet=True)
                    buffer.cond.notify_all()
                    return None
                if ls.budget_left():
                    item = buffer.take(lambda i: lane_takes(ls, i))
                    if item is not None:
                        buffer.in_hand += 1
                        ls.held += 1
                        buffer.cond.notify_all()
                        return item
                self._drop_orphans()
                if buffer.producer_done and buffer.waiting == 0 and buffer.in_hand == 0 and not any(
                    lane_takes(ls, i) for i in buffer.queued()
                ):
                    return None
                await buffer.cond.wait()

    async def _release(self, ls: LaneState) -> None:
        async with self.buffer.cond:
            self.buffer.in_hand -= 1
            ls.held -= 1
            self.buffer.cond.notify_all()

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
                await self.halt(decision.line)
                return
            await asyncio.sleep(min(decision.seconds, 0.25))

    def _all_done(self) -> bool:
        return self.stopping or self.buffer.finished()

    # -- workers ----------------------------------------------------------------------------------------
    async def worker(self, ls: LaneState, conn: Connection | None, index: int = 0) -> None:
        try:
            await self._work(ls, conn, index)
        except BaseException:
            await self.halt("internal error")  # the other workers stop after their message in flight
            raise

    async def _work(self, ls: LaneState, conn: Connection | None, index: int) -> None:
        loop = asyncio.get_running_loop()
        used = 0
        try:
            while True:
                if ls.over_allowance(index, loop.time()):
                    await self.connections.close(ls, conn)  # give the relay its connection back while it throttles us
                    conn, used = None, 0
                    while ls.over_allowance(index, loop.time()) and ls.active and not self._all_done():
                        await asyncio.sleep(0.25)
                item = await self.next_item(ls)
                if item is None:
                    return
                try:
                    if conn is None or not conn.usable or used >= self.opt.reconnect_after:
                        await self.connections.close(ls, conn)
                        conn, used = None, 0
                        conn, done = await self.connections.renew(ls, item)
                        if done:
                            return
                        if conn is None:
                            continue
                    await self.embargo_gate()
                    await ls.pace(self._stopping)
                    if self.stopping or not ls.active:
                        self.buffer.push_back(item)
                        return
                    outcome = await self.actions.hand_over(ls, conn, item)
                    if outcome is None:
                        continue  # taken by another run: nothing was handed over
                    used += 1
                    if outcome.reconnect or not conn.usable:
                        await self.connections.close(ls, conn)
                        conn, used = None, 0
                finally:
                    await self._release(ls)
        finally:
            await self.connections.close(ls, conn)

    async def run(self) -> DeliveryResult:
        now = self.clock()
        firsts: list[Connection | None] = [None] * len(self.lanes)
        # (Not when the gate is far off: an idle connection would time out while we wait.)
        bound = self.gate.not_before
        if bound is None or (bound - now).total_seconds() < 5:
            firsts = list(await asyncio.gather(*(self.connections.first(ls) for ls in self.lanes)))
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
                await self.connections.close(ls, conn)
        try:
            done = await asyncio.gather(*workers, return_exceptions=True)
        except BaseException:
            with contextlib.suppress(StoreError):  # (if it fails too, those rows stay `sending`: in flight)
                self.actions.flush()
            raise
        finally:
            user_stop = self.stop_event.is_set()
            self.buffer.cancel_timers()
            self.stop_event.set()  # release the producer if it waits for room
            await self.buffer.notify()
            (produced,) = await asyncio.gather(producer, return_exceptions=True)
        self.actions.flush()  # the "sent" results held for the next commit (Recipients.note_sent)
        if self.fatal is not None:
            raise self.fatal
        crashed = [d for d in done if isinstance(d, BaseException)]
        if crashed:
            raise crashed[0]  # the other workers finished their messages first (gather waited for them)
        if isinstance(produced, Exception):
            raise produced  # e.g. the ledger failed while building: never swallow it
        if len(self.lanes) == 1 and self.lanes[0].fatal is not None and not self.lanes[0].ever_opened:
            raise self.lanes[0].fatal
        self.actions.settle_refusals(user_stop)
        self._count_left_unknown()
        self.result.interrupted = user_stop and self.result.stopped is None
        return self.result

    def _count_left_unknown(self) -> None:
        """Items still pinned to a relay when the run ended (it left rotation): their rows stay unknown."""
        for item in self.buffer.clear():
            if item.pinned is not None and not self.lanes[item.pinned].active:
                self.result.unknown += 1


async def deliver(
    deliveries: Iterable[Delivery[T]],
    *,
    build: Callable[[T], OutgoingMessage],
    finish: Step | Finisher | None = None,
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
    zone: ZoneInfo = UTC,
) -> DeliveryResult:
    """Send one message per delivery through ``transport``, recording each hand-over in ``ledger``.

    ``deliveries`` must already be rows of ``campaign_id`` in the ledger (status pending/sending/unknown); they
    are read lazily, and ``build`` turns a delivery's payload into its message just ahead of the sockets.
    ``finish`` (thread-safe, CPU only: the DKIM signature) then runs on a few worker threads, a few messages
    ahead (:mod:`pressctl.send.ahead`), or is a :class:`~pressctl.send.ahead.Finisher` (the signing process
    of :mod:`pressctl.send.signproc`); a PressctlError from either fails that recipient alone.
    ``gate`` (:class:`pressctl.embargo.HandoverGate`) is asked on ``clock()`` before every hand-over: nothing
    leaves before its ``not_before``, and an advance copy stops at its ``lift`` with the rest pending.
    ``not_before`` alone (aware) is the one-sided gate ``HandoverGate(not_before=...)``.
    Setting ``stop`` ends the run after the messages in flight; the rest stays pending.
    Raises :class:`TransportError` if the server cannot be used at all (then nothing was marked sent).

    ``lanes`` gives several relays (each with its own connections, rate and daily budget) instead of the
    one ``transport``; exactly one of the two must be given. ``zone``: the zone of the times in the lines a
    person reads (the workspace's; when a relay that said "stop for now" can be tried again).
    """
    if (transport is None) == (lanes is None):
        raise ValueError("give either transport or lanes")
    loop: _SendLoop[T] = _SendLoop(
        deliveries=deliveries,
        build=build,
        finish=finish,
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
        zone=zone,
    )
    return await loop.run()
