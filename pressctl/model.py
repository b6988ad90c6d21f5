"""Values passed between the parts of pressctl: contacts, rendered releases, outgoing messages.

They live here, apart from the code that makes them, so each part can be built and tested alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pressctl.addresses import Address, address_key
from pressctl.release.load import Release

__all__ = ["Contact", "EmailLinks", "InlineImage", "OutgoingMessage", "Rendered"]


@dataclass(frozen=True, slots=True)  # slots: ~100 bytes less per contact, 100,000 contacts in memory at once
class Contact:
    """One journalist after cleaning: a valid address and the merge fields of their row."""

    email: str  # trimmed, validated; IDN domain already in A-labels (ASCII); the local part may be UTF-8
    name: str = ""  # display name: the `name` column, else first + last name; "" if none
    fields: Mapping[str, str] = field(default_factory=dict)  # every column, keys normalised (first_name, outlet...)
    language: str | None = None  # canonical language tag from a `language` column, if any
    source: str = ""  # "contacts.csv:12" — file and row (the header is row 1), for messages
    # ``email`` as checked when the list was loaded, so a message does not check it again; None for a contact
    # made by hand. Counts only while it is ``email``'s (``checked``): a copy made with another ``email``
    # (``dataclasses.replace``) is checked again by the message builder.
    address: Address | None = field(default=None, repr=False, compare=False)

    @property
    def checked(self) -> Address | None:
        """``address`` when it is the checked form of ``email``, else None."""
        a = self.address
        return a if a is not None and a.text == self.email else None

    @property
    def key(self) -> str:
        """Identity for de-duplication and the ledger: ``addresses.address_key`` of the address."""
        a = self.address
        return a.key if a is not None and a.text == self.email else address_key(self.email)


@dataclass(frozen=True)
class InlineImage:
    """An image shown inside the HTML email (``cid:`` reference), e.g. the logo or a photo."""

    cid: str  # without angle brackets, e.g. "photo1.<slug>@pressctl"
    path: Path
    maintype: str  # "image"
    subtype: str  # "jpeg", "png", ...
    data: bytes
    filename: str


@dataclass(frozen=True)
class EmailLinks:
    """Where one language of a release is on the newsroom (``[site] base_url``): absolute URLs for the
    email's "Read online", "Download photos" and "PDF" links (``photos`` empty without photos)."""

    page: str
    photos: str = ""
    pdf: str = ""
    preview: bool = False  # the advance copy's unlisted preview page


@dataclass(frozen=True)
class Rendered:
    """One release in one language, rendered once for every recipient.

    ``subject``, ``html`` and ``text`` may hold merge tokens (see pressctl.release.merge): fill them per contact.
    """

    release: Release
    subject: str
    html: str  # the email HTML, CSS inlined; images as cid: references to ``images``
    text: str  # the plain-text alternative
    images: tuple[InlineImage, ...] = ()
    embargoed: bool = False  # rendered with the EMBARGOED UNTIL marking
    # The greeting's own merge tokens: a reader who gets this version without it being in their language
    # is greeted with the fallbacks only ("編輯您好：", not "Amy Chan您好："), see pressctl.send.messages.
    greeting_tokens: frozenset[str] = frozenset()
    greeting: str = ""  # the greeting line, with its merge tokens (``contacts check`` shows who gets the fallback)


@dataclass(frozen=True)
class OutgoingMessage:
    """A message ready for the wire: one recipient, one transaction."""

    recipient: str  # the envelope RCPT TO address
    message_id: str  # "<...@sender-domain>", stable per campaign and recipient
    language: str
    data: bytes  # the whole message, CRLF line ends, ready for DATA
    smtputf8: bool = False  # the address or headers need SMTPUTF8
    return_path: str = ""  # MAIL FROM when not the From address: the signed VERP address ([sender] return_path)
