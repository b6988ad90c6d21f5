"""Contact x Rendered -> ``OutgoingMessage``: one MIME message per recipient, shared parts encoded once.

Building a message from scratch with ``EmailMessage`` costs ~1-3 ms (base64 and folding of the PDF and the
images every time; see FACTS.md). Here each language gets a *skeleton* built once with the ``email`` package
(policy SMTP, CRLF; :mod:`pressctl.send.variants`) and serialised with ASCII markers where the personal parts go; the bytes between the
markers (MIME headers, inline images, the PDF) are kept and reused by reference. Per contact only the
headers, the text body and the HTML body are made and joined with those shared bytes.

Headers are written by :mod:`pressctl.send.headers` rather than by the ``email`` package's folder:
the values are cleaned first (``controls.clean_header_text`` for header text, ``controls.clean_merge_value``
for merged values: line breaks become spaces, invisible characters go), so a contact's name or field can
never start a header line; non-ASCII words become RFC 2047 encoded-words, never inside an address. The
tests parse every message back with the ``email`` package to prove it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pressctl.addresses import Address, AddressError, parse_address
from pressctl.config import Workspace
from pressctl.config.sender import check_sender
from pressctl.contacts.segments import wanted_language
from pressctl.contacts.unsubscribe import key_token, token_for
from pressctl.controls import clean_header_text, clean_merge_value
from pressctl.errors import ContactsError
from pressctl.languages.routing import greets_by_name, route_language
from pressctl.mailto import mailto_with_token
from pressctl.model import Contact, EmailLinks, InlineImage, OutgoingMessage, Rendered
from pressctl.release.merge import TOKEN_FIELD, MergePlan
from pressctl.render.names import pdf_filename
from pressctl.send.headers import address_words, fold, text_words
from pressctl.send.signing import signed, signed_from, signer_for
from pressctl.send.variants import Variant, build_variant
from pressctl.send.wire import WireData, wire_piece, wire_pieces
from pressctl.verp import verp_encode

if TYPE_CHECKING:
    from pressctl.dkim.sign import DkimSigner

__all__ = [
    "PDF_MODES",
    "MessageFactory",
    "PersonalParts",
]

PDF_MODES = ("attach", "link", "both")


@dataclass(frozen=True)
class PersonalParts:
    """What one contact reads, before MIME encoding: the preview shows exactly this."""

    language: str
    subject: str
    text: str
    html: str  # images as cid: references to ``images``
    images: tuple[InlineImage, ...]



class MessageFactory:
    """Builds each recipient's message for one campaign; the shared parts are made once, here."""

    def __init__(
        self,
        renders: Mapping[str, Rendered],
        pdfs: Mapping[str, bytes],
        workspace: Workspace,
        plan: MergePlan,
        *,
        campaign_id: str,
        from_addr: str | None = None,
        pdf_mode: str | None = None,
        subject_prefix: str = "",
        date: dt.datetime | None = None,
        wire: bool = False,
        unsubscribe_secret: bytes | None = None,
        links: Mapping[str, EmailLinks] | None = None,
    ) -> None:
        if not renders:
            raise ValueError("MessageFactory needs at least one rendered language")
        where = str(workspace.config_path) if workspace.config_path else None
        sender = workspace.sender
        self.workspace = workspace
        self.plan = plan
        self.campaign_id = campaign_id
        # wire=True: messages come as pressctl.send.wire.WireData (dots doubled) when their parts allow, for a
        # transport that sends them as they are; the shared parts are prepared here, once per language.
        self._wire = wire
        identity = check_sender(
            sender,
            where=where,
            from_addr=from_addr,
            pdf_mode=pdf_mode,
            newsroom=workspace.site is not None and bool(workspace.site.base_url),
        )
        self.pdf_mode = identity.pdf_mode
        self.envelope_from = identity.from_addr
        self.domain = self.envelope_from.rpartition("@")[2].lower()
        # A sender with a UTF-8 local part makes every message need SMTPUTF8, like such a recipient.
        self._sender_utf8 = not self.envelope_from.isascii()
        self._from_line = fold("From", address_words(identity.from_name, self.envelope_from))
        self._reply_line = b""
        if identity.reply_to is not None:
            reply_name, reply_addr = identity.reply_to
            self._reply_line = fold("Reply-To", address_words(reply_name, reply_addr))
            self._sender_utf8 = self._sender_utf8 or not reply_addr.isascii()
        self._unsub_mailto = identity.unsubscribe_mailto
        self._unsub_url = identity.unsubscribe_url
        self._one_click = self._unsub_url.lower().startswith("https://")
        self._email_in_unsub = "{email}" in self._unsub_mailto or "{email}" in self._unsub_url
        self._return_path = sender.return_path  # VERP: MAIL FROM names the recipient, signed (pressctl.verp)
        # The workspace secret signs what only a real reader or a real bounce can show: the per-recipient
        # unsubscribe token ({token} in the URL, and always in the List-Unsubscribe mailto, so a request by
        # email proves itself) and the VERP return path. Read as it is now (a scheduled job reads it at
        # dispatch; it is never copied into a snapshot).
        self._secret: bytes | None = None
        self._tokens = "{token}" in self._unsub_url or bool(self._unsub_mailto)
        if self._tokens or self._return_path:
            if unsubscribe_secret is None:
                from pressctl.contacts.unsubscribe import workspace_secret

                unsubscribe_secret = workspace_secret(workspace)
            self._secret = unsubscribe_secret
        self._signer = signer_for(workspace, self.domain)  # [sender] dkim_key_file: None when the relay signs
        # build(sign=False) -> sign(): a message's pieces by Message-ID (dict steps are atomic under the GIL)
        self._to_sign: dict[str, tuple[bytes, tuple[tuple[bytes, bool], ...]]] = {}
        self._pdf_base = identity.pdf_base_url
        # The newsroom's links ([site] base_url): its PDF wins over pdf_base_url, and the emails already show it.
        self._links: Mapping[str, EmailLinks] = links or {}
        self._prefix = clean_header_text(subject_prefix) + " " if clean_header_text(subject_prefix) else ""
        self._zone = ZoneInfo(workspace.timezone)
        self._date_line = self._format_date(date) if date is not None else None
        self._date_cache: tuple[int, bytes] = (-1, b"")

        # Renders come main language first (load_release_set's order), as render_files names the files.
        main_language, first = next(iter(renders.items()))
        self.title = first.release.title  # for the preview page
        self.pdf_names: dict[str, str] = {
            lang: pdf_filename(first.release.slug, lang, main_language=main_language) for lang in pdfs
        }
        self._variants: dict[str, Variant] = {}
        for lang, rendered in renders.items():
            self._variants[lang] = build_variant(
                lang,
                rendered,
                pdf=self._pdf_for(lang, pdfs),
                pdf_url=self.pdf_url,
                pdf_names=self.pdf_names,
                pdf_mode=self.pdf_mode,
                links=self._links,
                campaign_id=self.campaign_id,
                plan=self.plan,
                subject_line=self._subject_line,
                wire=self._wire,
            )
        # The contact fields some merge field reads: only those are cleaned and handed to the plan per contact.
        self._merge_names = self.plan.variables
        self._by_tag: dict[str | None, Variant] = {}
        self._mid_salt = campaign_id + "\0"
        self._wanted: dict[str, str] = {}  # a `language` cell -> the tag it asks for ("" for none)

    # -- the shared parts ---------------------------------------------------------------------------------

    def pdf_url(self, language: str) -> str | None:
        """Where the PDF of ``language`` is published (link/both modes), else None."""
        name = self.pdf_names.get(language)
        if name is None or self.pdf_mode == "attach":
            return None
        if language in self._links and self._links[language].pdf:
            return self._links[language].pdf
        if not self._pdf_base:
            return None
        return self._pdf_base + ("" if self._pdf_base.endswith("/") else "/") + quote(name)

    def _pdf_for(self, lang: str, pdfs: Mapping[str, bytes]) -> tuple[str, bytes] | None:
        if lang in pdfs:
            return lang, pdfs[lang]
        if pdfs:  # a language without its own PDF gets the first one rather than none
            first = next(iter(pdfs))
            return first, pdfs[first]
        return None


    def variant_for(self, language: str | None) -> Variant:
        """The language version a contact gets: ``pressctl.languages.route_language`` over the versions,
        the release's own language (the first) as the default: the same rule contact loading counts by."""
        found = self._by_tag.get(language)
        if found is None:
            tags = list(self._variants)
            found = self._by_tag[language] = self._variants[route_language(language, tags, tags[0])]
        return found

    def message_id(self, contact: Contact, key: str | None = None) -> str:
        """``<hash@sender-domain>``: the same for every attempt and every re-run of this campaign. ``key``: the
        ledger row's key when it is not the address (a copy per language: each its own Message-ID)."""
        digest = hashlib.sha256((self._mid_salt + (key or contact.key)).encode("utf-8")).hexdigest()[:32]
        return f"<{digest}@{self.domain}>"

    def _format_date(self, when: dt.datetime) -> bytes:
        if when.tzinfo is None:
            when = when.replace(tzinfo=self._zone)
        return b"Date: " + format_datetime(when).encode("ascii") + b"\r\n"

    def _date(self) -> bytes:
        if self._date_line is not None:
            return self._date_line
        now = int(time.time())
        if self._date_cache[0] != now:  # formatting costs ~10 us: once a second is plenty
            self._date_cache = (now, self._format_date(dt.datetime.fromtimestamp(now, self._zone)))
        return self._date_cache[1]

    def _subject_line(self, subject: str) -> bytes:
        return fold("Subject", text_words(self._prefix + subject))

    def _unsubscribe(self, addr: str, token: str) -> bytes:
        if not (self._unsub_mailto or self._unsub_url):
            return b""
        # Quoted as the renderer's `{{ email | urlencode }}` does, so header and body links are one URL.
        filled = quote(addr, safe="/") if self._email_in_unsub else ""
        entries = []
        if self._unsub_mailto:  # always with the reader's token: pressctl bounces honours only a tokened request
            entries.append(mailto_with_token(self._unsub_mailto.replace("{email}", filled), token))
        if self._unsub_url:
            entries.append(self._unsub_url.replace("{email}", filled).replace("{token}", token))
        words = [f"<{e}>," for e in entries[:-1]] + [f"<{entries[-1]}>"]
        line = fold("List-Unsubscribe", words)
        if self._one_click:  # RFC 8058: only an HTTPS URL can take the one-click POST
            line += b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        return line

    def unsubscribe_token(self, address: str | Address) -> str:
        """The token ``{token}`` (and the List-Unsubscribe mailto) carries for ``address`` ("" when neither the
        unsubscribe URL has ``{token}`` nor a mailto is set). A checked :class:`Address` brings its key: not
        parsed again."""
        if self._secret is None or not self._tokens:
            return ""
        if isinstance(address, Address):
            return key_token(address.key, self._secret)
        return token_for(address, self._secret)

    def greets_by_name(self, contact: Contact, language: str) -> bool:
        """Is ``contact`` greeted by name in the ``language`` version? Not when it is another language than
        theirs (a different primary language: an English reader of a Chinese-only release): then the
        greeting's fallbacks stand alone ("編輯您好："), never a name mixed into another language's form."""
        cell = contact.fields.get("language", "")
        wanted = self._wanted.get(cell)
        if wanted is None:
            wanted = self._wanted[cell] = wanted_language(contact.fields, None) or ""
        return greets_by_name(wanted or contact.language, language)

    def _values(self, contact: Contact, v: Variant, token: str | None = None) -> dict[str, str]:
        # Cleaned before evaluating, so a field of only spaces or controls counts as empty (fallback).
        # Only the fields some merge field reads (the plan's variables): nothing else can change a value.
        names = self._merge_names
        fields = {k: clean_merge_value(x) for k, x in contact.fields.items() if k in names}
        # The renderer merges the address into the unsubscribe link; hand-built contacts may lack it.
        if "email" in names:
            fields.setdefault("email", contact.email)
        if "name" in names:
            fields.setdefault("name", clean_merge_value(contact.name))
        # Always ours, never a list's column of that name: the token of the address this message goes to.
        fields[TOKEN_FIELD] = self.unsubscribe_token(contact.email) if token is None else token
        made = v.plan.made_tokens
        values = {k: x if k in made else clean_merge_value(x) for k, x in v.plan.values(fields).items()}
        if v.plain_greeting and not self.greets_by_name(contact, v.language):
            values.update(v.plain_greeting)
        return values

    def personal_parts(self, contact: Contact) -> PersonalParts:
        """The subject, text and HTML one contact gets, decoded (for the dry-run preview)."""
        v = self.variant_for(contact.language)
        values = self._values(contact, v)
        escaped = v.plan.html_values(values)
        return PersonalParts(
            language=v.language,
            subject=clean_header_text(self._prefix + v.subject.fill(values)),
            text=v.text.template.fill(values).replace("\r\n", "\n"),
            html=v.html.template.fill(escaped).replace("\r\n", "\n"),
            images=v.images,
        )

    @property
    def signs(self) -> bool:
        """Whether messages get a DKIM signature (``[sender] dkim_key_file``)."""
        return self._signer is not None

    @property
    def signer(self) -> DkimSigner | None:
        """The DKIM signer (``[sender] dkim_key_file``), or None when the relay signs."""
        return self._signer

    def sign(self, message: OutgoingMessage) -> OutgoingMessage:
        """``message`` (from ``build(..., sign=False)``) with its DKIM-Signature; thread-safe, CPU only: the
        send runs it on worker threads (:mod:`pressctl.send.ahead`). A message built in DATA form is signed
        from the pieces ``build`` left for it (:func:`pressctl.dkim.canon.body_digest`): the same
        signature as over the whole message, without relaxing the shared parts again."""
        return message if self._signer is None else signed_from(self._signer, message, self.signing_job(message))

    def signing_job(self, message: OutgoingMessage) -> tuple[bytes, tuple[tuple[bytes, bool], ...]] | None:
        """What signing ``message`` (from ``build(..., sign=False)``) takes, handed out once: its header block
        and its body's pieces, each ``(bytes, shared)`` (:meth:`~pressctl.dkim.sign.DkimSigner.header_for_pieces`).
        None when the message is to be signed whole (:meth:`sign` does that)."""
        job = self._to_sign.pop(message.message_id, None)
        return job if self._signer is not None and type(message.data) is WireData else None

    def build(self, contact: Contact, *, key: str | None = None, sign: bool = True) -> OutgoingMessage:
        """The complete message for one contact, CRLF line ends, ready for DATA (``key``: see :meth:`message_id`).
        ``sign=False`` leaves the DKIM signature to :meth:`sign`."""
        address = _checked(contact)
        addr = address.text
        token = self.unsubscribe_token(address)
        v = self.variant_for(contact.language)
        needs_values = v.fixed_subject is None or v.text.fixed is None or v.html.fixed is None
        values = self._values(contact, v, token) if needs_values else {}
        message_id = self.message_id(contact, key)
        subject = (
            v.fixed_subject if v.fixed_subject is not None else self._subject_line(v.subject.fill(values))
        )
        # The bodies as pieces, each (bytes, shared): a shared piece is the same object for every contact, its
        # DATA form made once (Body.wire_parts) and, for sign(), its relaxed form too.
        text_parts = v.text.encode_parts(values)
        page_parts = v.html.encode_parts(v.plan.html_values(values))
        head = b"".join(
            (
                self._from_line,
                fold("To", address_words(contact.name, addr)),
                subject,
                self._date(),
                b"Message-ID: " + message_id.encode("ascii") + b"\r\n",
                self._reply_line,
                self._unsubscribe(addr, token),
            )
        )
        data: bytes | None = None
        if v.wire:
            # Only the personal pieces (a few KB) get per-byte work; the shared ones were prepared once.
            top, before_text, between, after_html = v.wire
            data = wire_pieces(
                (wire_piece(head), top, before_text, *v.text.wire_parts(text_parts), between,
                 *v.html.wire_parts(page_parts), after_html)
            )
        if data is None:
            text, page = b"".join(p for p, _ in text_parts), b"".join(p for p, _ in page_parts)
            data = b"".join((head, v.top, v.before_text, text, v.between, page, v.after_html))
        elif not sign and self._signer is not None:
            # For sign(): the header block (up to the blank line) and the body's pieces, the shared ones marked.
            self._to_sign[message_id] = (
                (head + v.top)[:-4],
                ((v.before_text, True), *text_parts, (v.between, True), *page_parts, (v.after_html, True)),
            )
        return signed(self._signer if sign else None, OutgoingMessage(
            recipient=addr,
            message_id=message_id,
            language=v.language,
            data=data,
            smtputf8=address.smtputf8 or self._sender_utf8,
            return_path=verp_encode(self._return_path, addr, self._secret)
            if self._return_path and self._secret
            else "",
        ))

    def build_all(self, contacts: Sequence[Contact]) -> list[OutgoingMessage]:
        """``build`` for each contact, in order."""
        return [self.build(c) for c in contacts]


def _checked(contact: Contact) -> Address:
    """The contact's address as loading checked it; a contact made by hand (a test copy, the size probe) is
    checked here, by the same rule."""
    found = contact.checked
    if found is not None:
        return found
    try:
        return parse_address(contact.email)
    except AddressError as exc:
        raise ContactsError(
            f"address {contact.email!r} can't be used: {exc}",
            where=contact.source or None,
            hint="fix or remove the row; `pressctl contacts check` lists such rows",
        ) from None


