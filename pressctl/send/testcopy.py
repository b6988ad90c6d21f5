"""``--test-to``: ``[TEST]`` copies, one per language version and address, recorded as a test campaign.

Each run is a campaign of its own (kind ``test``, a fresh token) and each copy a row of its own
(``recipients.role = 'test'``, key ``test:LANG:address``), so every copy has its own Message-ID: the English
and Chinese copies differ, and so do two runs (Gmail drops a second message whose Message-ID it already
holds). They go through the same engine and ledger as a send (the daily cap counts them), but never through
the release's lock or its campaigns: a journalist is never marked sent by a test. Under embargo the copies
are marked EMBARGOED like an advance copy and stop at the lift.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pressctl.clock import system_clock
from pressctl.embargo import HandoverGate
from pressctl.errors import ContactsError
from pressctl.ledger import Ledger
from pressctl.ledger.records import Campaign, RecipientRow
from pressctl.model import Contact, OutgoingMessage
from pressctl.send.copies import as_test_copy, copy_key, copy_models
from pressctl.send.delivery import Delivery
from pressctl.send.lanes import deliver_with_stop, make_lanes
from pressctl.send.plan import SendPlan, shown_in
from pressctl.send.transport import Transport
from pressctl.send.transports import relay_of

__all__ = ["CopiesResult", "CopyOutcome", "send_test"]


@dataclass(frozen=True)
class CopyOutcome:
    """One test copy as the ledger has it after the run."""

    address: str
    language: str
    status: str  # sent, failed, pending (the daily cap, the lift), unknown
    reply: str  # the relay's reply, or why
    message_id: str


@dataclass(frozen=True)
class CopiesResult:
    campaign: Campaign
    copies: list[CopyOutcome]
    stopped: str | None  # why the run ended early (the relay, the lift), if it did

    @property
    def sent(self) -> int:
        return sum(1 for c in self.copies if c.status == "sent")


def send_test(
    plan: SendPlan,
    addresses: Sequence[str],
    *,
    transport: Transport,
    ledger: Ledger,
    clock: Callable[[], dt.datetime] = system_clock,
    stop: threading.Event | None = None,
) -> CopiesResult:
    """Send one ``[TEST]`` copy per language version to each of ``addresses`` (see the module docstring),
    personalised as the first contact of that language. One attempt each: a test shows what happens."""
    if not plan.contacts.selected:
        raise ContactsError("no selected contact to personalise the test message as", hint="check the lists")
    models = copy_models(plan) or {plan.languages[0]: plan.contacts.selected[0]}
    campaign = ledger.campaigns.create(
        fingerprint="test-" + secrets.token_hex(8),  # never found again: each test run is its own
        release_path=str(plan.release_path.resolve()),
        slug=plan.main.slug,
        title=plan.main.title,
        lists=[str(p) for p in plan.contact_paths],
        options={
            **plan.options.to_mapping(), "embargoed": plan.embargoed, "release_digest": plan.release_digest,
            "test_to": list(addresses),
        },
        kind="test",
    )
    rows = [
        RecipientRow(key=copy_key("test", lang, a), email=a, language=lang, source="--test-to", role="test")
        for lang in models
        for a in addresses
    ]
    ledger.recipients.add(campaign.id, rows)
    ledger.caps.set_campaign_relay(campaign.id, relay_of(transport))
    factory = plan.factory(campaign.token, subject_prefix="[TEST]")
    deliveries = [
        Delivery(row.key, (row.key, as_test_copy(models[row.language], row.email))) for row in rows
    ]

    def build(payload: tuple[str, Contact]) -> OutgoingMessage:
        return factory.build(payload[1], key=payload[0])

    lanes, _, _ = make_lanes(plan, ledger, transport, todo=len(rows), at=clock())
    ledger.campaigns.mark_started(campaign.id)
    run = asyncio.run(
        deliver_with_stop(
            deliveries,
            build=build,
            lanes=lanes,
            ledger=ledger,
            campaign_id=campaign.id,
            options=dataclasses.replace(plan.delivery_options(), max_attempts=1),
            clock=clock,
            gate=HandoverGate.for_send(plan.main.embargo, advance_copy=plan.embargoed, show=shown_in(plan.main)),
            on_bounce=None,
            progress=None,
            stop=stop,
        )
    )
    ledger.campaigns.mark_finished(campaign.id)  # a test is never resumed: a new run is a new test
    copies = []
    for record in ledger.recipients.all(campaign.id):
        reply = f"{record.last_code or ''} {record.last_reply}".strip()
        why = f"{record.reason} ({reply})" if record.reason and record.status != "sent" and reply else reply or record.reason
        copies.append(CopyOutcome(record.email, record.language, record.status, why, record.message_id))
    return CopiesResult(campaign=campaign, copies=copies, stopped=run.stopped)
