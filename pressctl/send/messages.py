"""Contact x Rendered -> ``OutgoingMessage``: one MIME message per recipient, shared parts encoded once.

Building a message from scratch with ``EmailMessage`` costs ~1-3 ms (base64 and folding of the PDF and the
images every time; see FACTS.md). Here each language gets a *skeleton* built once with the ``email`` package
(policy SMTP, CRLF) and serialised with ASCII markers where the personal parts go; the bytes between the
markers (MIME headers, inline images, the PDF) are kept and reused by reference. Per contact only the
headers, the text body and the HTML body are made and joined with those shared bytes.

Headers are written here rather than by the ``email`` package's folder (which costs ~0.1 ms per address):
the values are cleaned first (``controls.clean_header_text`` for header text, ``controls.clean_merge_value``
for merged values: line breaks become spaces, invisible characters go), so a contact's name or field can
never start a header line; non-ASCII words become RFC 2047 encoded-words, never inside an address. The
tests parse every message back with the ``email`` package to prove it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import html
import mimetypes
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP
from email.utils import format_datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from pressctl.addresses import check_address
from pressctl.config import Workspace
from pressctl.config.sender import check_sender
from pressctl.contacts.segments import wanted_language
from pressctl.contacts.unsubscribe import token_for
from pressctl.controls import clean_header_text, clean_merge_value
from pressctl.errors import ContactsError, InputError
from pressctl.languages import greets_by_name, route_language
from pressctl.mailto import mailto_with_token
from pressctl.model import Contact, EmailLinks, InlineImage, OutgoingMessage, Rendered
from pressctl.release.merge import TOKEN_FIELD, MergePlan
from pressctl.render.names import PDF_LINK_SLOT, PDF_LINK_SLOT_LINE, pdf_filename, without_pdf_link_slots
from pressctl.send.wire import wire_piece, wire_pieces
from pressctl.verp import verp_encode

__all__ = [
    "PDF_MODES",
    "MessageFactory",
    "PersonalParts",
]

PDF_MODES = ("attach", "link", "both")

# Markers stand in for the personal bodies in the skeleton: plain ASCII, kept verbatim by the generator.
_TEXT_MARK = "PRESSCTLTEXTBODYMARKERQ7"
_HTML_MARK = "PRESSCTLHTMLBODYMARKERQ7"
_TOKEN_SPLIT = re.compile(r"(PCTLM\d{4}X)")

_ATOMS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]+")  # a phrase of atoms: no quoting needed

_FOLD_AT = 78  # RFC 5322's "should"; the hard limit is 998
_EW_BYTES = 39  # UTF-8 bytes per encoded-word: 52 base64 chars, 64 with the =?utf-8?b?...?= frame


def _encoded_words(text: str) -> list[str]:
    """RFC 2047 encoded-words (UTF-8, base64) for ``text``, split at character boundaries."""
    words: list[str] = []
    chunk = bytearray()
    for ch in text:
        b = ch.encode("utf-8")
        if len(chunk) + len(b) > _EW_BYTES:
            words.append("=?utf-8?b?" + base64.b64encode(chunk).decode("ascii") + "?=")
            chunk = bytearray()
        chunk += b
    if chunk:
        words.append("=?utf-8?b?" + base64.b64encode(chunk).decode("ascii") + "?=")
    return words


def _text_words(text: str) -> list[str]:
    """Unstructured header text (a Subject) as foldable words; encoded-words when not plain ASCII."""
    text = clean_header_text(text)
    if not text:
        return []
    words = text.split(" ")
    if text.isascii() and "=?" not in text and max(len(w) for w in words) < 900:
        return words
    return _encoded_words(text)


def _phrase_words(name: str) -> list[str]:
    """A display name as words for an address header: atoms, one quoted-string, or encoded-words."""
    name = clean_header_text(name)
    if not name:
        return []
    if name.isascii() and "=?" not in name:
        if _ATOMS.fullmatch(name) and max(len(w) for w in name.split(" ")) < 70:
            return name.split(" ")
        quoted = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if len(quoted) < 70:  # a quoted-string is not folded; longer names go as encoded-words
            return [quoted]
    return _encoded_words(name)


def _fold(name: str, words: Sequence[str]) -> bytes:
    """``Name: words`` folded at spaces before column 78; each continuation line starts with a space."""
    lines: list[str] = []
    line = name + ":"
    first = True
    for word in words:
        if not first and len(line) + 1 + len(word) > _FOLD_AT:
            lines.append(line)
            line = " " + word
        else:
            line += " " + word
        first = False
    lines.append(line)
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _address_words(name: str, addr: str) -> list[str]:
    return [*_phrase_words(name), f"<{addr}>"] if clean_header_text(name) else [addr]


def _crlf(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")
    return text if text.endswith("\r\n") else text + "\r\n"


def _choose_cte(sample: str) -> str:
    """Quoted-printable for mostly-ASCII text (readable, no spam-score for base64 text); base64 for CJK."""
    raw = sample.encode("utf-8")
    non_ascii = len(raw) - len(sample.encode("ascii", "ignore"))  # bytes of non-ASCII characters
    return "quoted-printable" if len(raw) + 2 * non_ascii <= len(raw) * 4 // 3 else "base64"


def _encode_body(text: str, cte: str) -> bytes:
    data = text.encode("utf-8")
    if cte == "base64":
        # One C call and slicing: ~25 % faster than base64.encodebytes' loop over 57-byte chunks.
        encoded = binascii.b2a_base64(data, newline=False)
        return b"\r\n".join([encoded[i : i + 76] for i in range(0, len(encoded), 76)]) + b"\r\n"
    # b2a_qp keeps the input's line ends when the first one is CRLF (the text always ends with one),
    # encodes '=' and trailing spaces, and soft-breaks lines at 76.
    return binascii.b2a_qp(data, istext=True)


class _Template:
    """A text with merge tokens, split once so filling it is a join, not a regex scan."""

    __slots__ = ("parts", "tokens")

    def __init__(self, text: str) -> None:
        self.parts = _TOKEN_SPLIT.split(text)  # literal, token, literal, ..., literal
        self.tokens = frozenset(self.parts[1::2])

    def fill(self, values: Mapping[str, str]) -> str:
        if not self.tokens:
            return self.parts[0]
        parts = self.parts[:]
        for i in range(1, len(parts), 2):
            parts[i] = values.get(parts[i], "")
        return "".join(parts)


class _Body:
    """A text or HTML body with merge tokens and its transfer encoding, encoded as little as possible.

    Quoted-printable works line by line, so the lines without tokens are encoded once here and only the
    lines with tokens (the greeting, the unsubscribe link: a few hundred bytes) are encoded per contact;
    this makes the HTML body ~10x cheaper. Base64 (CJK bodies) is fast enough to encode whole.
    """

    __slots__ = ("cte", "fixed", "pieces", "template")

    def __init__(self, text: str, cte: str) -> None:
        self.cte = cte
        self.template = _Template(text)
        self.fixed = None if self.template.tokens else _encode_body(text, cte)
        self.pieces: list[bytes | _Template] = []
        if self.fixed is None and cte == "quoted-printable":
            lines = [line + "\r\n" for line in text.split("\r\n")[:-1]]  # text ends with CRLF
            group: list[str] = []
            personal = False
            for line in lines:
                has_token = "PCTLM" in line and bool(_TOKEN_SPLIT.search(line))
                if group and has_token != personal:
                    self._close(group, personal)
                    group = []
                group.append(line)
                personal = has_token
            if group:
                self._close(group, personal)

    def _close(self, group: list[str], personal: bool) -> None:
        chunk = "".join(group)
        self.pieces.append(_Template(chunk) if personal else _encode_body(chunk, self.cte))

    def encode(self, values: Mapping[str, str]) -> bytes:
        if self.fixed is not None:
            return self.fixed
        if not self.pieces:
            return _encode_body(self.template.fill(values), self.cte)
        return b"".join(
            p if isinstance(p, bytes) else _encode_body(p.fill(values), self.cte) for p in self.pieces
        )


@dataclass(frozen=True)
class PersonalParts:
    """What one contact reads, before MIME encoding: the preview shows exactly this."""

    language: str
    subject: str
    text: str
    html: str  # images as cid: references to ``images``
    images: tuple[InlineImage, ...]


@dataclass(frozen=True)
class _Variant:
    """Everything one language's messages share, built and encoded once."""

    language: str
    images: tuple[InlineImage, ...]
    subject: _Template
    text: _Body
    html: _Body
    plan: MergePlan  # only the merge fields this language uses: evaluating one costs ~15 us
    top: bytes  # MIME-Version and Content-Type of the whole message, then the blank line
    before_text: bytes
    between: bytes  # after the text body, up to the HTML body
    after_html: bytes  # inline images, the PDF part, closing boundaries: identical bytes for every message
    pdf_part: bytes  # the encoded PDF part inside ``after_html`` (b"" when not attached), for checks
    # The greeting's tokens with their fallbacks only, for readers whose own language this version isn't.
    plain_greeting: Mapping[str, str]
    fixed_subject: bytes | None  # the folded Subject line when it holds no merge fields
    # top, before_text, between, after_html in SMTP DATA form (see pressctl.send.wire), made once; () unless wire
    wire: tuple[bytes | None, ...] = ()


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
        self._from_line = _fold("From", _address_words(identity.from_name, self.envelope_from))
        self._reply_line = b""
        if identity.reply_to is not None:
            reply_name, reply_addr = identity.reply_to
            self._reply_line = _fold("Reply-To", _address_words(reply_name, reply_addr))
            self._sender_utf8 = self._sender_utf8 or not reply_addr.isascii()
        self._unsub_mailto = identity.unsubscribe_mailto
        self._unsub_url = identity.unsubscribe_url
        self._one_click = self._unsub_url.lower().startswith("https://")
        self._return_path = sender.return_path  # VERP: MAIL FROM names the recipient, signed (pressctl.verp)
        # The workspace secret signs what only a real reader or a real bounce can show: the per-recipient
        # unsubscribe token ({token} in the URL, and always in the List-Unsubscribe mailto, so a request by
        # email proves itself) and the VERP return path. Read as it is now (a scheduled job reads it at
        # dispatch; it is never copied into a snapshot).
        self._secret: bytes | None = None
        self._tokens = "{token}" in self._unsub_url or bool(self._unsub_mailto)
        if self._tokens or self._return_path:
            if unsubscribe_secret is None:
                from pressctl.contacts.unsubscribe import load_or_create_secret

                unsubscribe_secret = load_or_create_secret(workspace.state_dir)
            self._secret = unsubscribe_secret
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
        self._variants: dict[str, _Variant] = {}
        for lang, rendered in renders.items():
            self._variants[lang] = self._build_variant(lang, rendered, pdfs)
        self._by_tag: dict[str | None, _Variant] = {}
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

    def _build_variant(self, lang: str, rendered: Rendered, pdfs: Mapping[str, bytes]) -> _Variant:
        pdf = self._pdf_for(lang, pdfs)
        text, page = rendered.text, rendered.html
        # A newsroom link block (render_email's ``links``) carries the PDF link already: no second one.
        url = self.pdf_url(pdf[0]) if pdf and lang not in self._links else None
        text, page = _with_pdf_link(text, page, url=url, chinese=lang.lower().startswith("zh"))
        text = _crlf(text)
        page = _crlf(page)
        blank = self.plan.blank()
        text_cte = _choose_cte(MergePlan.apply(text, blank, escape_html=False))
        html_cte = _choose_cte(MergePlan.apply(page, blank, escape_html=True))

        salt = hashlib.sha256(f"{self.campaign_id}\0{lang}".encode()).hexdigest()[:20]

        def multipart(subtype: str, parts: list[MIMEPart]) -> MIMEPart:
            part = MIMEPart(policy=SMTP)
            part["Content-Type"] = f"multipart/{subtype}"
            # '=' can't occur at a line start in base64 or quoted-printable, so the boundary never collides.
            part.set_boundary(f"=_{subtype[:3]}_{salt}")
            part.set_payload(parts)  # type: ignore[arg-type]
            return part

        def body(subtype: str, cte: str, marker: str) -> MIMEPart:
            part = MIMEPart(policy=SMTP)
            part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
            part["Content-Transfer-Encoding"] = cte
            part.set_payload(marker)  # written verbatim; replaced by the encoded body per contact
            return part

        html_part = body("html", html_cte, _HTML_MARK)
        if rendered.images:
            images = []
            for image in rendered.images:
                img = MIMEPart(policy=SMTP)
                img.set_content(
                    image.data,
                    image.maintype,
                    image.subtype,
                    disposition="inline",
                    filename=image.filename,
                    cid=f"<{image.cid}>",
                )
                images.append(img)
            html_node = multipart("related", [html_part, *images])
        else:
            html_node = html_part
        children: list[MIMEPart] = [
            multipart("alternative", [body("plain", text_cte, _TEXT_MARK), html_node])
        ]
        pdf_bytes = b""
        if pdf is not None and self.pdf_mode in ("attach", "both"):
            att = MIMEPart(policy=SMTP)
            att.set_content(
                pdf[1], "application", "pdf", disposition="attachment", filename=self.pdf_names[pdf[0]]
            )
            pdf_bytes = att.as_bytes(policy=SMTP)
            children.append(att)
        for path in rendered.release.attachments:
            # The release's own attachments (a fact sheet, a spreadsheet): encoded here, once per language.
            ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            maintype, _, subtype = ctype.partition("/")
            extra = MIMEPart(policy=SMTP)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise InputError(
                    f"attachment cannot be read ({exc.strerror or exc})", where=str(path)
                ) from None
            extra.set_content(data, maintype, subtype, disposition="attachment", filename=path.name)
            children.append(extra)
        root = EmailMessage(policy=SMTP)
        root["MIME-Version"] = "1.0"
        root["Content-Type"] = "multipart/mixed"
        root.set_boundary(f"=_mix_{salt}")
        root.set_payload(children)  # type: ignore[arg-type]
        raw = root.as_bytes(policy=SMTP)
        top, _, rest = raw.partition(b"\r\n\r\n")
        before_text, _, rest = rest.partition(_TEXT_MARK.encode())
        between, _, after_html = rest.partition(_HTML_MARK.encode())
        subject = _Template(rendered.subject)
        text_b, html_b = _Body(text, text_cte), _Body(page, html_cte)
        used = subject.tokens | text_b.template.tokens | html_b.template.tokens
        return _Variant(
            language=lang,
            images=rendered.images,
            subject=subject,
            text=text_b,
            html=html_b,
            plan=MergePlan(fields=[f for f in self.plan.fields if f.token in used]),
            top=top + b"\r\n\r\n",
            before_text=before_text,
            between=between,
            after_html=after_html,
            pdf_part=pdf_bytes.partition(b"\r\n\r\n")[2] if pdf_bytes else b"",
            plain_greeting={t: blank.get(t, "") for t in rendered.greeting_tokens},
            fixed_subject=None if subject.tokens else self._subject_line(subject.parts[0]),
            wire=tuple(wire_piece(x) for x in (top + b"\r\n\r\n", before_text, between, after_html))
            if self._wire
            else (),
        )

    # -- per contact ----------------------------------------------------------------------------------------

    def variant_for(self, language: str | None) -> _Variant:
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
        return _fold("Subject", _text_words(self._prefix + subject))

    def _unsubscribe(self, addr: str) -> bytes:
        if not (self._unsub_mailto or self._unsub_url):
            return b""
        # Quoted as the renderer's `{{ email | urlencode }}` does, so header and body links are one URL.
        filled = quote(addr, safe="/")
        token = self.unsubscribe_token(addr)
        entries = []
        if self._unsub_mailto:  # always with the reader's token: pressctl bounces honours only a tokened request
            entries.append(mailto_with_token(self._unsub_mailto.replace("{email}", filled), token))
        if self._unsub_url:
            entries.append(self._unsub_url.replace("{email}", filled).replace("{token}", token))
        words = [f"<{e}>," for e in entries[:-1]] + [f"<{entries[-1]}>"]
        line = _fold("List-Unsubscribe", words)
        if self._one_click:  # RFC 8058: only an HTTPS URL can take the one-click POST
            line += b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
        return line

    def unsubscribe_token(self, address: str) -> str:
        """The token ``{token}`` (and the List-Unsubscribe mailto) carries for ``address`` ("" when neither the
        unsubscribe URL has ``{token}`` nor a mailto is set)."""
        if self._secret is None or not self._tokens:
            return ""
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

    def _values(self, contact: Contact, v: _Variant) -> dict[str, str]:
        # Cleaned before evaluating, so a field of only spaces or controls counts as empty (fallback).
        fields = {k: clean_merge_value(x) for k, x in contact.fields.items()}
        # The renderer merges the address into the unsubscribe link; hand-built contacts may lack it.
        fields.setdefault("email", contact.email)
        fields.setdefault("name", clean_merge_value(contact.name))
        # Always ours, never a list's column of that name: the token of the address this message goes to.
        fields[TOKEN_FIELD] = self.unsubscribe_token(contact.email)
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

    def build(self, contact: Contact, *, key: str | None = None) -> OutgoingMessage:
        """The complete message for one contact, CRLF line ends, ready for DATA (``key``: see :meth:`message_id`)."""
        try:
            addr, smtputf8 = check_address(contact.email)
        except ValueError as exc:
            raise ContactsError(
                f"address {contact.email!r} can't be used: {exc}",
                where=contact.source or None,
                hint="fix or remove the row; `pressctl contacts check` lists such rows",
            ) from None
        v = self.variant_for(contact.language)
        needs_values = v.fixed_subject is None or v.text.fixed is None or v.html.fixed is None
        values = self._values(contact, v) if needs_values else {}
        message_id = self.message_id(contact, key)
        subject = (
            v.fixed_subject if v.fixed_subject is not None else self._subject_line(v.subject.fill(values))
        )
        text = v.text.encode(values)
        page = v.html.encode(v.plan.html_values(values))
        head = b"".join(
            (
                self._from_line,
                _fold("To", _address_words(contact.name, addr)),
                subject,
                self._date(),
                b"Message-ID: " + message_id.encode("ascii") + b"\r\n",
                self._reply_line,
                self._unsubscribe(addr),
            )
        )
        data: bytes | None = None
        if v.wire:
            # Only the personal pieces (a few KB) get per-byte work; the shared ones were prepared once.
            top, before_text, between, after_html = v.wire
            data = wire_pieces(
                (wire_piece(head), top, before_text, wire_piece(text), between, wire_piece(page), after_html)
            )
        if data is None:
            data = b"".join((head, v.top, v.before_text, text, v.between, page, v.after_html))
        return OutgoingMessage(
            recipient=addr,
            message_id=message_id,
            language=v.language,
            data=data,
            smtputf8=smtputf8 or self._sender_utf8,
            return_path=verp_encode(self._return_path, addr, self._secret)
            if self._return_path and self._secret
            else "",
        )

    def build_all(self, contacts: Sequence[Contact]) -> list[OutgoingMessage]:
        """``build`` for each contact, in order."""
        return [self.build(c) for c in contacts]


_LINK_WORDS = {
    False: ("The full release as a PDF:", "Download the release (PDF)"),
    True: ("新聞稿PDF版本：", "下載新聞稿（PDF）"),
}


def _with_pdf_link(text: str, page: str, *, url: str | None, chinese: bool) -> tuple[str, str]:
    """Put the PDF link (link/both modes) where the templates have the slot ``<!--pressctl:pdf-link-->``;
    without a slot, at the end of the text and before ``</body>``. Without a link, slots are removed."""
    if url is None:
        return without_pdf_link_slots(text, page)
    label, link = _LINK_WORDS[chinese]
    block = f"{label}\n{url}\n"
    if PDF_LINK_SLOT in text:
        text = PDF_LINK_SLOT_LINE.sub(lambda _: block, text, count=1).replace(PDF_LINK_SLOT, "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    snippet = (
        f'<p style="margin:16px 0;font-size:15px"><a href="{html.escape(url, quote=True)}">'
        f"{html.escape(link)}</a></p>"
    )
    if PDF_LINK_SLOT in page:
        page = page.replace(PDF_LINK_SLOT, snippet, 1).replace(PDF_LINK_SLOT, "")
    else:
        cut = page.lower().rfind("</body>")
        page = page[:cut] + snippet + page[cut:] if cut >= 0 else page + snippet
    return text, page
