"""The engine's lanes for a run (one per relay, each with its connections, rate and daily budget), and the
bridge from a thread-safe stop flag to the engine's event loop: what a send and a test send share."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterable
from typing import Any

from pressctl.ledger import Ledger
from pressctl.relays.adaptive import CapPlan
from pressctl.send.caps import RelayCap, cap_plan, relay_caps
from pressctl.send.delivery import Delivery, DeliveryResult, Lane
from pressctl.send.engine import deliver
from pressctl.send.plan import SendPlan
from pressctl.send.relaypool import RelayPool
from pressctl.send.transport import Transport
from pressctl.send.transports import relay_of

__all__ = ["deliver_with_stop", "make_lanes"]


def make_lanes(
    plan: SendPlan, ledger: Ledger, transport: Transport, *, todo: int, at: dt.datetime
) -> tuple[list[Lane], CapPlan | None, list[RelayCap]]:
    """The engine's lanes (one per relay, each with its connections, rate and daily budget), the one
    relay's cap plan (one relay, as before) or each relay's cap (several)."""
    if isinstance(transport, RelayPool):
        specs = plan.relays if len(plan.relays) == len(transport.relays) else ()
        caps = relay_caps(plan, ledger, wanted=todo, at=at) if specs else []
        room = {c.account: c.room for c in caps}
        lanes = []
        for n, relay in enumerate(transport.relays):
            spec = specs[n] if specs else None
            lanes.append(
                Lane(
                    relay,
                    options=plan.relay_options(spec) if spec else plan.delivery_options(),
                    name=relay.account,
                    budget=room.get(relay.account),
                    label=spec.label if spec else relay.account,
                    cap=(spec.limits.daily_cap.value or None) if spec else None,
                )
            )
        return lanes, None, caps
    cap = cap_plan(plan, ledger, transport, wanted=todo, at=at)
    name = relay_of(transport)
    lane = Lane(
        transport,
        options=plan.delivery_options(),
        name=name,
        budget=cap.now if cap is not None else None,
        label=name or transport.description,
        cap=cap.cap if cap is not None else None,
    )
    return [lane], cap, []


async def deliver_with_stop(
    deliveries: Iterable[Delivery[Any]], *, stop: threading.Event | None, **kwargs: Any
) -> DeliveryResult:
    """Bridge a thread-safe stop flag (signal handler, scheduler thread) to the engine's asyncio event."""
    event = asyncio.Event()

    async def watch() -> None:
        while stop is not None and not stop.is_set():
            await asyncio.sleep(0.05)
        event.set()

    watcher = asyncio.create_task(watch()) if stop is not None else None
    try:
        return await deliver(deliveries, stop=event, **kwargs)
    finally:
        if watcher is not None:
            watcher.cancel()

