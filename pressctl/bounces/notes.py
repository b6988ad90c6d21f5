"""Inbound messages a person should read, because pressctl would not act on them: unsubscribe requests
without a valid token (unconfirmed) and messages that could not be read. ``pressctl report
--needs-attention`` lists them after the journalists.

They live in the ledger (``inbound_notes``: :class:`pressctl.ledger.inbound.Note`, written and read by
:class:`pressctl.ledger.inbound.Inbound`), keyed by the message's handled key and the kind, so writing one
again (a crash between it and the ledger's ``inbound`` record, or the same message in two mailboxes) changes
nothing. Here: the kinds, and how a note is listed beside the journalists.
"""

from __future__ import annotations

from pressctl.ledger.inbound import Note

__all__ = ["REQUEST", "UNREADABLE", "attention_row"]

REQUEST = "unconfirmed-unsubscribe"
UNREADABLE = "unreadable"

_WHAT = {REQUEST: "unconfirmed unsubscribe", UNREADABLE: "unreadable"}


def attention_row(note: Note) -> dict[str, object]:
    """A note as ``report --needs-attention`` lists it beside the journalists (the same keys, for CSV and
    JSON), plus where it is (``source``), its ``subject`` and ``kind``."""
    said = " ".join(f"{note.subject}: {note.detail}".split()).strip(": ") if note.kind == REQUEST else note.detail
    return {
        "campaign_id": note.campaign_id,
        "email": note.sender or note.email,
        "name": "",
        "status": "",
        "response": note.kind,
        "bounce_code": "",
        "new_address": "",
        "response_detail": said,
        "response_at": note.seen_at,
        "what": _WHAT.get(note.kind, note.kind),
        "source": note.source,
        "subject": note.subject,
    }
