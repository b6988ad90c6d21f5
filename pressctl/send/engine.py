"""The send loop: K reused connections, one shared pacer, retries, and a ledger write around every hand-over.

A producer builds messages ahead of the sockets into a bounded buffer (building is CPU work; it runs
while the workers wait on the network). Each worker owns one connection and, for every message:
waits for the embargo gate and the pacer, writes the ledger row (``sending``, attempt + 1), hands the
message over, and writes the reply. Transient failures go back to the buffer after an exponential backoff
with jitter, keeping their Message-ID; authentication and policy refusals, or a run of failures, stop
the run so the rest of the list stays pending for a later resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pressctl.embargo import HandoverGate
from pressctl.errors import PressctlError, TransportError
from pressctl.ledger import Ledger, utcnow
from pressctl.model import OutgoingMessage
from pressctl.relays import policy
from pressctl.relays.adaptive import AdaptiveConfig, AdaptiveController
from pressctl.relays.replies import Meaning, throttle_aspect
from pressctl.send.pacing import Pacer, Rate
from pressctl.send.transport import Connection, Outcome, Transport

__all__ = ["Delivery", "DeliveryOptions", "DeliveryProgress", "DeliveryResult", "deliver"]

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


@dataclass
class _Item(Generic[T]):
    delivery: Delivery[T]
    message: OutgoingMessage
    attempts: int = 0  # in this run
    first_try: float | None = None


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
        transport: Transport,
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
        self.transport = transport
        self.ledger = ledger
        self.cid = campaign_id
        self.opt = options
        self.clock = clock
        self.gate = gate
        self.on_bounce = on_bounce
        self.progress_cb = progress
        self.stop_event = stop or asyncio.Event()
        self.rng = rng
        self.prepare: Callable[[OutgoingMessage], OutgoingMessage] | None = getattr(transport, "prepare", None)
        self.pacer = Pacer(options.rate, batch_size=options.batch_size, batch_pause=options.batch_pause)
        self.adaptive = AdaptiveController(
            AdaptiveConfig(
                max_connections=max(1, options.concurrency),
                max_rate=options.rate.per_second if options.rate else None,
                pause=options.throttle_pause,
                recover_after=options.recover_after,
            ),
            now=0.0,
        )
        self._last_handover: float | None = None
        self.throttles_in_a_row = 0
        self.pace_lock = asyncio.Lock()
        self.cond = asyncio.Condition()
        self.fresh: deque[_Item[T]] = deque()
        self.fresh_bytes = 0
        self.retries: deque[_Item[T]] = deque()
        self.waiting = 0  # retry timers running
        self.producer_done = False
        self.timers: set[asyncio.TimerHandle] = set()
        self.background: set[asyncio.Future[None]] = set()
        self.live = 0  # open connections
        self.ever_opened = False
        self.consecutive = 0
        self.result = DeliveryResult()
        self.prog = DeliveryProgress()
        self.fatal: BaseException | None = None

    # -- stopping ---------------------------------------------------------------------------------------
    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set() or self.result.stopped is not None or self.fatal is not None

    async def _halt(self, reason: str | None = None, fatal: BaseException | None = None) -> None:
        if reason and self.result.stopped is None:
            self.result.stopped = reason
        if fatal and self.fatal is None:
            self.fatal = fatal
        async with self.cond:
            self.cond.notify_all()

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
                    self.fresh.append(_Item(delivery, message))
                    self.fresh_bytes += len(message.data)
                    self.cond.notify_all()
                if n % 8 == 7:
                    await asyncio.sleep(0)  # let the sockets in between builds
        finally:
            async with self.cond:
                self.producer_done = True
                self.cond.notify_all()

    async def next_item(self) -> _Item[T] | None:
        async with self.cond:
            while True:
                if self.stopping:
                    return None
                if self.retries:
                    item = self.retries.popleft()
                    self.cond.notify_all()
                    return item
                if self.fresh:
                    item = self.fresh.popleft()
                    self.fresh_bytes -= len(item.message.data)
                    self.cond.notify_all()
                    return item
                if self.producer_done and self.waiting == 0:
                    return None
                await self.cond.wait()

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

    async def pace(self) -> None:
        """The configured rate and batches, then what the relay allows now (after a slow-down: a pause,
        then a lower rate that recovers after a clean stretch; see ``relays/adaptive.py``)."""
        loop = asyncio.get_running_loop()
        async with self.pace_lock:
            while (wait := self._delay(loop.time())) > 0:
                if self.stopping:
                    return
                await asyncio.sleep(wait)
            self.pacer.take(loop.time())
            self._last_handover = loop.time()

    def _delay(self, now: float) -> float:
        allowed = self.adaptive.allowed(now)
        wait = self.pacer.delay(now)
        if allowed.wait_until is not None:
            wait = max(wait, allowed.wait_until - now)
        if allowed.rate and self._last_handover is not None and self.adaptive.cuts:
            wait = max(wait, self._last_handover + allowed.interval - now)
        return wait

    def _over_allowance(self, index: int) -> bool:
        """Whether worker ``index`` must stand aside: the relay allows fewer connections now."""
        return index >= max(1, self.adaptive.allowed(asyncio.get_running_loop().time()).connections)

    def _all_done(self) -> bool:
        return self.stopping or (
            self.producer_done and not self.fresh and not self.retries and self.waiting == 0
        )

    # -- workers ----------------------------------------------------------------------------------------
    async def open(self) -> Connection:
        conn = await self.transport.open()
        self.live += 1
        self.ever_opened = True
        return conn

    async def close(self, conn: Connection | None) -> None:
        if conn is not None:
            self.live -= 1
            with contextlib.suppress(Exception):
                await conn.close()

    async def worker(self, conn: Connection | None, index: int = 0) -> None:
        try:
            await self._work(conn, index)
        except BaseException:
            await self._halt("internal error")  # the other workers stop after their message in flight
            raise

    async def _work(self, conn: Connection | None, index: int) -> None:
        used = 0
        try:
            while True:
                if self._over_allowance(index):
                    await self.close(conn)  # give the relay its connection back while it throttles us
                    conn, used = None, 0
                    while self._over_allowance(index) and not self._all_done():
                        await asyncio.sleep(0.25)
                item = await self.next_item()
                if item is None:
                    return
                if conn is None or not conn.usable or used >= self.opt.reconnect_after:
                    await self.close(conn)
                    conn, used = None, 0
                    try:
                        conn = await self.open()
                    except TransportError as exc:
                        self._push_back(item)  # never handed over: no attempt spent
                        if not self.ever_opened:
                            await self._halt(fatal=exc)
                            return
                        if self.live > 0:
                            return  # the server takes fewer connections than asked: carry on with fewer
                        if self._failed_once(str(exc)):
                            await self._halt()
                            return
                        await asyncio.sleep(self._backoff(self.consecutive))
                        continue
                await self.embargo_gate()
                await self.pace()
                if self.stopping:
                    self._push_back(item)
                    return
                outcome = await self.hand_over(conn, item)
                if outcome is None:
                    continue  # taken by another run: nothing was handed over
                used += 1
                if outcome.reconnect or not conn.usable:
                    await self.close(conn)
                    conn, used = None, 0
        finally:
            await self.close(conn)

    async def hand_over(self, conn: Connection, item: _Item[T]) -> Outcome | None:
        key, message = item.delivery.key, item.message
        loop = asyncio.get_running_loop()
        item.attempts += 1
        if item.first_try is None:
            item.first_try = loop.time()
        # Before: a crash now = in flight. Only from a to-do state: a row another process has taken
        # (or sent) meanwhile is left to it, never handed over twice.
        if self.ledger.mark_sending(self.cid, key, message.message_id) is None:
            self.result.taken_elsewhere += 1
            return None
        self.prog.handed_over += 1
        if self.prog.handed_over % 500 == 0:
            _give_back_memory()
        outcome = await conn.send(message)
        now = loop.time()
        meaning = outcome.meaning
        if not outcome.charged:
            item.attempts -= 1  # a throttle, a quota or a refused login: not this recipient's fault
        if meaning is Meaning.SENT:
            self._mark(key, "sent", outcome)
            self.adaptive.ok(now)
            self.consecutive = 0
            self.throttles_in_a_row = 0
            self.result.sent += 1
            self.prog.sent += 1
        elif meaning is Meaning.SLOW_DOWN:
            # The relay throttles the whole run: fewer connections and/or a lower rate, then this recipient
            # again once the pause is over. Not a failure of the recipient, and not charged an attempt.
            self._mark(key, "pending", outcome)
            self.adaptive.slow_down(now, throttle_aspect(outcome.meaning, outcome.stage, reconnect=outcome.reconnect) or "both")
            self.result.throttled += 1
            self.throttles_in_a_row += 1
            if self.throttles_in_a_row >= policy.MAX_CONSECUTIVE_THROTTLES:
                # Never hammer a relay that only ever says "slow down": stop, nobody charged, all pending.
                self._push_back(item)
                await self._halt(
                    f"the relay asked to slow down {self.throttles_in_a_row} times in a row with nothing sent "
                    f"between (last: {outcome.explain()}); everyone left stays pending. Run the same command "
                    "again later, or lower --concurrency/--rate"
                )
            else:
                wait = self.adaptive.allowed(now).wait_until
                self._requeue_later(item, max(0.0, (wait or now) - now))
        elif meaning is Meaning.STOP_FOR_NOW:
            self._mark(key, "pending", outcome)
            self.adaptive.stop(now)
            resume = self.clock() + dt.timedelta(seconds=policy.STOP_FOR_NOW_WAIT)
            self.result.resume_after = resume
            await self._halt(
                f"the relay says stop for now: {outcome.explain()}; everyone left stays pending. Run the same "
                f"command again after {resume.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC (or sooner if the relay's "
                "limit resets earlier) to resume"
            )
        elif meaning in (Meaning.RETRY_RECIPIENT, Meaning.UNKNOWN):
            delay = self._backoff(item.attempts)
            elapsed = now - item.first_try
            unknown = meaning is Meaning.UNKNOWN
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
            if self._failed_once(outcome.describe()):
                await self._halt()
        elif meaning is Meaning.RECIPIENT_FAILED:
            self._mark(key, "failed", outcome)
            self.result.failed += 1
            self.prog.failed += 1
            if outcome.bounce:
                self.result.bounced.append(message.recipient)
                if self.on_bounce is not None:
                    self.on_bounce(message.recipient, outcome)
            if self._failed_once(outcome.describe()):
                await self._halt()
        else:  # auth / policy: the server refuses the sender, not this recipient; keep them pending
            self._mark(key, "pending", outcome)
            what = "refused the login" if meaning is Meaning.AUTH else "refused the mail by policy"
            await self._halt(
                f"the server {what} ({outcome.explain()}); check the account, the sender address and the "
                "relay's rules, then run the same command again to resume"
            )
        self._report()
        return outcome

    def _mark(self, key: str, status: str, outcome: Outcome) -> None:
        self.ledger.mark_result(
            self.cid, key, status=status, code=outcome.code, reply=outcome.reply,
            retryable=outcome.retryable, reason=outcome.reason, charged=outcome.charged,
        )

    def _failed_once(self, why: str) -> bool:
        """Count a failure in a row; True when the run should stop."""
        self.consecutive += 1
        limit = self.opt.max_consecutive_failures
        if limit and self.consecutive >= limit and self.result.stopped is None:
            self.result.stopped = (
                f"{self.consecutive} messages in a row did not go through (last: {why}); stopped so the rest "
                "of the list is not burnt. Check the server and the list, then run the same command to resume"
            )
            return True
        return False

    def _backoff(self, attempt: int) -> float:
        base = min(self.opt.backoff_max, self.opt.backoff * 2.0 ** max(0, attempt - 1))
        return base * (0.5 + self.rng.random() / 2)  # jitter: retries from many workers don't line up

    def _report(self) -> None:
        if self.progress_cb is not None:
            self.progress_cb(self.prog)

    async def run(self) -> DeliveryResult:
        first: Connection | None = None
        now = self.clock()
        # Open one connection before anything is marked, so an unreachable server fails fast and clean.
        # (Not when the gate is far off: an idle connection would time out while we wait.)
        bound = self.gate.not_before
        if bound is None or (bound - now).total_seconds() < 5:
            first = await self.open()
        producer = asyncio.create_task(self.produce())
        workers = [
            asyncio.create_task(self.worker(first if i == 0 else None, i))
            for i in range(max(1, self.opt.concurrency))
        ]
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
        self.result.interrupted = user_stop and self.result.stopped is None
        return self.result


async def deliver(
    deliveries: Iterable[Delivery[T]],
    *,
    build: Callable[[T], OutgoingMessage],
    transport: Transport,
    ledger: Ledger,
    campaign_id: int,
    options: DeliveryOptions | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
    not_before: dt.datetime | None = None,
    gate: HandoverGate | None = None,
    on_bounce: Callable[[str, Outcome], None] | None = None,
    progress: Callable[[DeliveryProgress], None] | None = None,
    stop: asyncio.Event | None = None,
    rng: random.Random | None = None,
) -> DeliveryResult:
    """Send one message per delivery through ``transport``, recording each hand-over in ``ledger``.

    ``deliveries`` must already be rows of ``campaign_id`` in the ledger (status pending/sending/unknown); they
    are read lazily, and ``build`` turns a delivery's payload into its message just ahead of the sockets.
    ``gate`` (:class:`pressctl.embargo.HandoverGate`) is asked on ``clock()`` before every hand-over: nothing
    leaves before its ``not_before``, and an advance copy stops at its ``lift`` with the rest pending.
    ``not_before`` alone (aware) is the one-sided gate ``HandoverGate(not_before=...)``.
    Setting ``stop`` ends the run after the messages in flight; the rest stays pending.
    Raises :class:`TransportError` if the server cannot be used at all (then nothing was marked sent).
    """
    loop: _SendLoop[T] = _SendLoop(
        deliveries=deliveries,
        build=build,
        transport=transport,
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
