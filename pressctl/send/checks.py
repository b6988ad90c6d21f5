"""What ``pressctl send`` refuses before anything is recorded or leaves, each with its one line: lists that
select nobody, a From or Reply-To a message cannot carry, a test copy to a suppressed address, another process
sending the release now, and a release whose largest message no relay takes (their SIZE, asked before the
campaign is written). Decisions only; the command prints and asks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.config.sender import check_sender
from pressctl.errors import ContactsError, TransportError

if TYPE_CHECKING:
    from pressctl.ledger import Ledger
    from pressctl.send.plan import SendPlan
    from pressctl.send.transport import Transport
__all__ = ["check_from", "check_not_busy", "check_selected", "check_sizes", "check_test_addresses"]


def check_selected(plan: SendPlan, lists: Sequence[Path]) -> None:
    """Refuse lists that select nobody (only a header, every row invalid or suppressed, --where)."""
    found = plan.contacts
    if found.selected:
        return
    why = (
        f"{found.rows} row(s): {len(found.invalid)} invalid, {len(found.duplicates)} duplicate(s), "
        f"{len(found.suppressed)} suppressed, {found.excluded} not matching --where"
    )
    raise ContactsError(
        f"nobody to send to ({why})",
        where=", ".join(str(p) for p in lists),
        hint="`pressctl contacts check` lists each problem by file and row; nothing was sent or recorded",
    )


def check_from(plan: SendPlan) -> None:
    """Refuse a bad From or Reply-To now, before a campaign is written to the ledger and left half-made."""
    workspace = plan.workspace
    check_sender(
        workspace.sender,
        where=str(workspace.config_path) if workspace.config_path else None,
        from_addr=plan.options.from_addr,
        pdf_mode=plan.options.pdf_mode,
        newsroom=workspace.site is not None and bool(workspace.site.base_url),
    )


def check_test_addresses(plan: SendPlan, addresses: Sequence[str]) -> None:
    """Suppression holds for test copies too: an address that asked not to be mailed never is."""
    from pressctl.send.copies import suppressed_among

    held = suppressed_among(plan, addresses)
    for address in addresses:
        if address in held:
            raise ContactsError(
                f"--test-to {address!r} is on a suppression list; nothing was sent",
                where=", ".join(str(f) for f in (plan.workspace.suppression_path, *plan.options.suppress)),
                hint="send the test copy to an address of your own",
            )


def check_not_busy(plan: SendPlan, ledger: Ledger) -> None:
    """Refuse, before the summary and the question, a release another live process is sending now."""
    from pressctl.send.lock import busy_error, release_key

    holder = ledger.locks.holder(release_key(plan, ledger))
    if holder is not None:
        raise busy_error(plan, holder)


def check_sizes(plan: SendPlan, transport: Transport) -> None:
    """Refuse up front (exit 2, nothing sent) a release whose largest message is larger than every relay's
    SIZE (with several relays, a message goes only through those that take it). A relay that cannot be
    reached now, or announces no limit, passes: the run says the first in its own words, and the second
    takes the largest message."""
    from pressctl.send.probe import check_size, largest_message, relay_size
    from pressctl.send.relaypool import RelayPool
    from pressctl.send.smtp import SmtpTransport
    relays = transport.relays if isinstance(transport, RelayPool) else (transport,)
    smtp_relays = [r for r in relays if isinstance(r, SmtpTransport)]
    if len(smtp_relays) < len(relays) or not plan.contacts.selected:
        return  # the local outbox takes any size
    sizes: list[tuple[int, str]] = []
    for relay in smtp_relays:
        try:
            size = asyncio.run(relay_size(relay))
        except TransportError:
            return  # unreachable now: the run says so in its own words, with the campaign recorded to resume
        if size is None:
            return  # this one announces no limit: it takes the largest message
        sizes.append((size, f"{relay.settings.host}:{relay.settings.port}"))
    largest, language = largest_message(plan)
    biggest, where = max(sizes, key=lambda pair: pair[0])
    if len(sizes) > 1:
        where = f"largest of the {len(sizes)} relays ({where})"
    check_size(largest, language, biggest, where)
