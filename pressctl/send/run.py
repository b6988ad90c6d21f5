"""Run a planned send through the ledger: the library API of ``send``, with :mod:`pressctl.send.plan`.

Two steps, so the CLI can show a summary and ask before anything leaves::

    plan = plan_send(release, [contacts_csv], workspace=ws, options=SendOptions(rate="10/s"))
    with Ledger(plan.ledger_path) as ledger:
        result = run_send(plan, ledger=ledger, transport=make_transport(plan))

``run_send`` takes the release's lock (:mod:`pressctl.send.lock`), finds the campaign with the plan's
fingerprint in the ledger (or starts one, :func:`pressctl.send.audience.open_campaign`), records every
recipient, and sends to those still to do through the engine's lanes (:mod:`pressctl.send.lanes`). The
scheduler drives the same two steps through :class:`pressctl.send.scheduled.LedgerCampaignSender`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import itertools
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from pressctl.clock import system_clock
from pressctl.embargo import HandoverGate
from pressctl.errors import LedgerError
from pressctl.ledger import Ledger
from pressctl.ledger.connection import StoreError, StoreFull, StoreLost
from pressctl.ledger.locks import LockHolder
from pressctl.ledger.records import Campaign, RecipientRecord, recipients_left
from pressctl.model import Contact, OutgoingMessage
from pressctl.relays.actions import Outcome
from pressctl.relays.adaptive import DAY, CapPlan
from pressctl.send.ahead import Finisher, Step
from pressctl.send.audience import open_campaign, totals_line
from pressctl.send.caps import RelayCap
from pressctl.send.copies import copy_models
from pressctl.send.delivery import Delivery, DeliveryProgress, DeliveryResult
from pressctl.send.lanes import deliver_with_stop, make_lanes
from pressctl.send.lock import ReleaseLock, busy_error, release_key
from pressctl.send.messages import MessageFactory
from pressctl.send.plan import SendPlan, shown_in
from pressctl.send.signproc import PROCESS_FROM, SigningProcess
from pressctl.send.transport import Transport
from pressctl.send.transports import relay_of

__all__ = ["SendResult", "run_send"]


@dataclass
class SendResult:
    """How a run ended, with the campaign's totals from the ledger (all runs together)."""

    campaign: Campaign
    totals: dict[str, int]
    run: DeliveryResult
    new_campaign: bool = False
    skipped: int = 0  # already had this release from an earlier campaign
    cap: CapPlan | None = None  # the relay account's rolling daily cap, when one applied to this run
    caps: list[RelayCap] = field(default_factory=list)  # with several relays: each capped one's
    advance: int = 0  # of the sent, those who had the advance copy (they got the released version)
    copies: list[RecipientRecord] = field(default_factory=list)  # internal copies ([sender] internal_copies, --copy-to)
    retried: int = 0  # failures put back to pending by --retry-failed
    final_failures: int = 0  # failed for good and not a bounce: what --retry-failed would try again

    @property
    def left(self) -> int:
        return recipients_left(self.totals)

    @property
    def complete(self) -> bool:
        """Everyone who could be sent to was sent to."""
        return self.left == 0 and self.totals["failed"] == 0

    def line(self) -> str:
        """``40 sent (36 + 4 who had the advance copy), 2 suppressed``: the journalists, never the copies."""
        return totals_line(self.totals, advance=self.advance)


def _disk_error(exc: BaseException) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in (errno.ENOSPC, errno.EDQUOT)
    return isinstance(exc, StoreFull)


def _ledger_failure(exc: BaseException, ledger: Ledger) -> LedgerError:
    """A full disk or a ledger write that failed, as one line saying how far the run got."""
    n = ledger.recipients.handed_over
    done = f"{n} message(s) had been handed over" if n else "nothing had been handed over"
    if _disk_error(exc):
        what = f"the disk is full, so sending stopped cleanly ({done})"
    else:
        what = f"the ledger could not be written ({exc}), so sending stopped ({done})"
    return LedgerError(
        what,
        where=str(ledger.path),
        hint="free some space, then run the same command again: it resumes and sends nobody twice"
        if _disk_error(exc)
        else "check the database server, then run the same command again: it resumes and sends nobody twice"
        if isinstance(exc, StoreLost)
        else "fix the ledger file's folder or permissions, then run the same command again to resume",
        handed_over=n,
    )


def run_send(
    plan: SendPlan,
    *,
    ledger: Ledger,
    transport: Transport,
    clock: Callable[[], dt.datetime] = system_clock,
    not_before: dt.datetime | None = None,
    progress: Callable[[DeliveryProgress], None] | None = None,
    stop: threading.Event | None = None,
    on_campaign: Callable[[Campaign, dict[str, int]], None] | None = None,
    wait: bool = False,
    on_wait: Callable[[LockHolder], None] | None = None,
    purpose: str = "send",
) -> SendResult:
    """Send (or resume) the plan's campaign. Blocking; runs its own event loop.

    Every hand-over is recorded in ``ledger`` before and after; nothing is handed over before
    ``not_before`` (checked on ``clock()`` at each message). ``stop`` (set from a signal handler or
    another thread) ends the run after the messages in flight. ``on_campaign`` is told the campaign and
    its recipient totals just before sending starts. Raises TransportError when the server cannot be
    used at all (nothing is then marked sent).

    One process at a time sends a release: the run holds the release's lock in the ledger. If another
    live process holds it, ReleaseBusy (exit 1) names it; with ``wait`` the run waits for it to end
    (``on_wait`` is told once) and then sends whatever is left. A full disk or a ledger deleted under
    the run raises LedgerError saying how many messages were handed over.
    """
    stop = stop or threading.Event()
    lock = ReleaseLock(ledger, release_key(plan, ledger), purpose=purpose, zone=plan.workspace.zone)
    try:
        lock.acquire(wait=wait, stop=stop, on_wait=on_wait, busy=lambda holder: busy_error(plan, holder))
    except (StoreError, OSError) as exc:
        raise _ledger_failure(exc, ledger) from None
    lock.start(stop)
    try:
        result = _run_locked(
            plan, ledger=ledger, transport=transport, clock=clock, not_before=not_before, progress=progress,
            stop=stop, on_campaign=on_campaign, lock=lock,
        )
        ledger.recipients.check_file()  # deleted during the last messages: say so rather than "all sent"
    except (StoreError, OSError) as exc:
        if isinstance(exc, OSError) and not _disk_error(exc):
            raise
        raise _ledger_failure(exc, ledger) from None
    finally:
        lock.release()
    if lock.lost:
        result.run.stopped = result.run.stopped or (
            "another process took the release over (this run had paused longer than its lease); "
            "run the same command again to see what is left"
        )
    return result


def _run_locked(
    plan: SendPlan,
    *,
    ledger: Ledger,
    transport: Transport,
    clock: Callable[[], dt.datetime],
    not_before: dt.datetime | None,
    progress: Callable[[DeliveryProgress], None] | None,
    stop: threading.Event,
    on_campaign: Callable[[Campaign, dict[str, int]], None] | None,
    lock: ReleaseLock,
) -> SendResult:
    from pressctl.contacts.suppression import Suppressor

    campaign, created, skipped = open_campaign(plan, ledger)
    ledger.locks.set_campaign(lock.key, owner=lock.owner, campaign_id=campaign.id)
    ledger.recipients.reset_in_flight(campaign.id)  # we hold the lock: a row still 'sending' was in flight at a crash
    ledger.recipients.retry_transient_failures(campaign.id)
    retried = 0
    if plan.options.retry_failed:  # a bounce is no failure to retry: its address is suppressed (the proof)
        retried = ledger.recipients.retry_failed(campaign.id, keep={c.key for c in plan.contacts.suppressed})
    todo = ledger.recipients.count_todo(campaign.id)
    relay = relay_of(transport)
    ledger.caps.set_campaign_relay(campaign.id, relay)  # from now on each hand-over counts under it
    moment = max(clock(), not_before or clock())
    lanes, cap, caps = make_lanes(plan, ledger, transport, todo=todo, at=moment)
    allowed = todo if cap is None else cap.now
    if caps and len(caps) == len(lanes):  # every relay capped: no more than they all have room for
        allowed = min(todo, sum(c.room for c in caps))
    if on_campaign is not None:
        on_campaign(campaign, {"todo": todo, **ledger.recipients.totals(campaign.id)})
    run = DeliveryResult()
    if todo and allowed:
        # Messages in DATA form straight from the builder when the transport sends them as they are:
        # the shared parts (PDF, images) are then prepared once, not ~1 ms of byte scans per message.
        factory = plan.factory(campaign.token, wire=bool(getattr(transport, "takes_wire_data", False)))
        # Every selected contact has a row; those without a final status are to do. The final ones are
        # few in a fresh campaign (a set of 100,000 keys to do would cost ~12 MB). A generator: the engine
        # reads it as its buffer drains, so jobs and messages are never all in memory.
        done = ledger.recipients.done_keys(campaign.id)
        unknown_at = ledger.recipients.unknown_relays(campaign.id) if len(lanes) > 1 else {}
        # Internal copies first: they go when the release goes out. Each is built under its own key (so its
        # own Message-ID per language); a journalist's key is their address, as always.
        deliveries: Iterable[Delivery[tuple[str, Contact]]] = itertools.chain(
            _copy_deliveries(plan, ledger, campaign.id, unknown_at),
            (
                Delivery(c.key, (c.key, c), unknown_at.get(c.key))
                for c in plan.contacts.selected
                if c.key not in done
            ),
        )
        if allowed < todo:  # the daily cap: the first ones now, the rest stay pending for a later run
            deliveries = itertools.islice(deliveries, allowed)
        suppressor = Suppressor(plan.workspace, ledger)

        def bounce(address: str, outcome: Outcome) -> None:
            # A hard "no such user": never mail it again, from any campaign (the one suppression service:
            # the ledger too, so an edit of the CSV that drops it cannot bring it back silently).
            suppressor.add([address], reason=f"bounced: {outcome.describe()}", origin="bounce")

        signs = factory.signs  # the DKIM signature a few messages ahead (send.ahead, send.signproc)

        def build(payload: tuple[str, Contact]) -> OutgoingMessage:
            return factory.build(payload[1], key=payload[0], sign=not signs)

        ledger.campaigns.mark_started(campaign.id)
        wire = bool(getattr(transport, "takes_wire_data", False))
        with _finisher(factory, wire=wire, count=min(todo, allowed)) as finish:
            run = asyncio.run(
                deliver_with_stop(
                    deliveries,
                    build=build,
                    finish=finish,
                    lanes=lanes,
                    ledger=ledger,
                    campaign_id=campaign.id,
                    options=plan.delivery_options(),
                    clock=clock,
                    gate=HandoverGate.for_send(
                        plan.main.embargo, advance_copy=plan.embargoed, not_before=not_before, show=shown_in(plan.main)
                    ),
                    on_bounce=bounce,
                    progress=progress,
                    stop=stop,
                    zone=plan.workspace.zone,
                )
            )
    totals = ledger.recipients.totals(campaign.id)
    if run.cap_reached is not None and cap is not None and relay is not None:
        # Another send on the account took the room this run counted on: the cap as it stands now.
        handed = sum(lane.handed_over for lane in run.relays)
        used = len(ledger.caps.handovers(relay, since=clock() - DAY)) - handed
        cap = CapPlan(cap.cap, max(0, used), handed, recipients_left(totals), run.cap_reached)
    result = SendResult(
        campaign=campaign, totals=totals, run=run, new_campaign=created, skipped=skipped, cap=cap, caps=caps,
        advance=ledger.recipients.advance_readers(campaign.id).get("sent", 0), copies=ledger.recipients.copies(campaign.id),
        retried=retried, final_failures=_final_failures(plan, ledger, campaign.id, totals, run),
    )
    if result.left == 0:
        ledger.campaigns.mark_finished(campaign.id)
    return result


@contextlib.contextmanager
def _finisher(factory: MessageFactory, *, wire: bool, count: int) -> Iterator[Step | Finisher | None]:
    """How a send signs (None: it does not): in a process of its own for many messages in DATA form
    (:mod:`pressctl.send.signproc`: the GIL does not slow it there), else on worker threads (:mod:`pressctl.send.ahead`)."""
    if not factory.signs:
        yield None
    elif wire and count >= PROCESS_FROM and (os.cpu_count() or 1) >= 2:
        with SigningProcess(factory) as process:
            yield process
    else:
        yield factory.sign


def _final_failures(plan: SendPlan, ledger: Ledger, campaign_id: int, totals: Mapping[str, int], run: DeliveryResult) -> int:
    """Rows failed for good whose address is not suppressed (a bounce is): ``--retry-failed`` would try them."""
    from pressctl.addresses import address_key

    if not totals.get("failed"):
        return 0
    held = {c.key for c in plan.contacts.suppressed} | {address_key(a) for a in run.bounced} | set(ledger.suppressions.all())
    return sum(1 for key in ledger.recipients.final_failures(campaign_id) if key not in held)


def _copy_deliveries(
    plan: SendPlan, ledger: Ledger, campaign_id: int, unknown_at: Mapping[str, str]
) -> list[Delivery[tuple[str, Contact]]]:
    """The internal copies still to send, each personalised as the first reader of its language."""
    from pressctl.send.copies import as_test_copy

    todo = [r for r in ledger.recipients.copies(campaign_id) if r.status in ("pending", "sending", "unknown")]
    models = copy_models(plan)
    found = []
    for row in todo:
        model = models.get(row.language or plan.languages[0])
        if model is not None:
            copy = as_test_copy(model, row.email, source=row.source)
            found.append(Delivery(row.key, (row.key, copy), unknown_at.get(row.key)))
    return found


