"""``[sender]`` of ``pressctl.toml`` (and ``--from``): From, Reply-To, the URLs every message carries, the PDF
mode, the VERP return path and the internal copies; :func:`check_sender` makes them what every message's
headers and links are built from. Pure.

Each address is checked by :mod:`pressctl.addresses` (the one address rule), after the display name is split
off by the ``email`` package's own header parser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pressctl.addresses import parse_address
from pressctl.config.keys import text
from pressctl.controls import has_unsafe
from pressctl.errors import ConfigError, InputError

__all__ = [
    "Sender",
    "SenderIdentity",
    "check_from_option",
    "check_selector",
    "check_sender",
    "parse_sender",
    "sender_address",
]


@dataclass(frozen=True)
class Sender:
    from_addr: str = "Press Office <press@localhost.localdomain>"
    reply_to: str = ""
    unsubscribe_url: str = ""  # may contain {token} (or {email}); HTTPS enables one-click (RFC 8058)
    unsubscribe_mailto: str = ""
    pdf: str = "attach"  # attach | link | both
    pdf_base_url: str = ""  # where linked PDFs are published, when pdf is link or both
    return_path: str = ""  # VERP envelope sender, e.g. bounces+{local}={domain}@hvsp.example ("" = the From)
    internal_copies: tuple[str, ...] = ()  # one's own people: a copy per language of what goes out, when it goes
    dkim_key_file: str = ""  # pressctl signs each message with this private key ("" = the relay signs, or nobody)
    dkim_selector: str = ""  # where its public key is published: <selector>._domainkey.<From domain>


def parse_sender(sender: dict[str, Any], where: str) -> Sender:
    """``[sender]`` as written, its shape checked (the PDF mode, web addresses, the return path, the copies);
    :func:`check_sender` checks the addresses as a send uses them."""
    pdf = text(sender, "pdf", "sender", where, "attach")
    if pdf not in ("attach", "link", "both"):
        raise ConfigError(f"sender.pdf must be attach, link or both, not {pdf!r}", where=where)
    for key in ("unsubscribe_url", "pdf_base_url"):
        url = text(sender, key, "sender", where).strip()
        # These land in every email's links and List-Unsubscribe header: only web addresses belong there.
        if url and not url.lower().startswith(("https://", "http://")):
            raise ConfigError(
                f"sender.{key} {url!r} is not a web address",
                where=where,
                hint="write a full https:// URL, e.g. https://www.hvsp.example/press/unsubscribe?t={token}"
                if key == "unsubscribe_url"
                else "write a full https:// URL, e.g. https://www.hvsp.example/press/pdf/",
            )
    return_path = _return_path(text(sender, "return_path", "sender", where).strip(), where)
    return Sender(
        from_addr=text(sender, "from", "sender", where, Sender.from_addr),
        reply_to=text(sender, "reply_to", "sender", where),
        unsubscribe_url=text(sender, "unsubscribe_url", "sender", where),
        unsubscribe_mailto=text(sender, "unsubscribe_mailto", "sender", where),
        pdf=pdf,
        pdf_base_url=text(sender, "pdf_base_url", "sender", where),
        return_path=return_path,
        internal_copies=_internal_copies(sender.get("internal_copies", []), where),
        **_dkim(sender, where),
    )


_URL_OK = re.compile(r"[!-~]+")  # printable ASCII without space


@dataclass(frozen=True)
class SenderIdentity:
    """``[sender]`` (and ``--from``) checked: what every message's headers and links are made of."""

    from_name: str
    from_addr: str
    reply_to: tuple[str, str] | None  # (display name, address)
    unsubscribe_url: str
    unsubscribe_mailto: str  # with its mailto: scheme
    pdf_base_url: str
    pdf_mode: str  # attach | link | both


def sender_address(value: str, *, key: str, where: str | None) -> tuple[str, str]:
    """(display name, address) from a ``sender.from`` / ``reply_to`` value, or a ConfigError."""
    from email.headerregistry import AddressHeader
    from email.policy import SMTP

    hint = f'write e.g. {key} = "HVSP Press Office <press@hvsp.example>"'
    if has_unsafe(value):
        raise ConfigError(f"sender.{key} contains a line break or control character", where=where, hint=hint)
    try:
        header = SMTP.header_factory("Reply-To" if key == "reply_to" else "From", value)
        addresses = header.addresses if isinstance(header, AddressHeader) else ()
    except Exception:  # the parser raises assorted errors on odd input; all mean "not an address"
        addresses = ()
    if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain:
        raise ConfigError(f"sender.{key} {value!r} is not one email address", where=where, hint=hint)
    found = addresses[0]
    try:
        addr = parse_address(f"{found.username}@{found.domain}").text
    except ValueError as exc:
        raise ConfigError(f"sender.{key} {value!r}: {exc}", where=where, hint=hint) from None
    return found.display_name, addr


def _plain_url(value: str, *, key: str, where: str | None) -> str:
    if (value and not _URL_OK.fullmatch(value)) or any(c in value for c in "<>,\"'") or len(value) > 200:
        raise ConfigError(
            f"sender.{key} {value!r} is not a plain URL",
            where=where,
            hint="use ASCII without spaces, quotes, commas or angle brackets (percent-encode the rest)",
        )
    return value


def check_from_option(value: str) -> tuple[str, str]:
    """``--from ADDR`` checked as ``sender.from`` is; an InputError naming the option."""
    try:
        return sender_address(value, key="from", where=None)
    except ConfigError:
        raise InputError(
            f"--from {value!r} is not one email address",
            hint='write e.g. --from "HVSP Press Office <press@hvsp.example>"',
        ) from None


def check_sender(
    sender: Sender,
    *,
    where: str | None,
    from_addr: str | None = None,
    pdf_mode: str | None = None,
    newsroom: bool = False,
) -> SenderIdentity:
    """``[sender]`` checked as every message uses it; ``from_addr`` (``--from``) replaces sender.from and
    ``pdf_mode`` (``--pdf``) sender.pdf; ``newsroom``: ``[site] base_url`` is set, so a linked PDF has a home
    without pdf_base_url. A ConfigError (an InputError for ``--from``) for anything wrong."""
    mode = pdf_mode or sender.pdf
    if mode not in ("attach", "link", "both"):
        raise ConfigError(f"PDF mode must be attach, link or both, not {mode!r}", where=where)
    if from_addr:
        from_name, addr = check_from_option(from_addr)
    else:
        from_name, addr = sender_address(sender.from_addr, key="from", where=where)
    reply = sender_address(sender.reply_to, key="reply_to", where=where) if sender.reply_to else None
    pdf_base = _plain_url(sender.pdf_base_url, key="pdf_base_url", where=where)
    if mode in ("link", "both") and not pdf_base and not newsroom:
        raise ConfigError(
            f"sender.pdf is {mode!r} but sender.pdf_base_url is empty",
            where=where,
            hint='set pdf_base_url = "https://.../press/pdf/" where the PDFs are published, or use attach',
        )
    mailto = _plain_url(sender.unsubscribe_mailto, key="unsubscribe_mailto", where=where)
    if mailto and not mailto.lower().startswith("mailto:"):
        mailto = "mailto:" + mailto
    return SenderIdentity(
        from_name=from_name,
        from_addr=addr,
        reply_to=reply,
        unsubscribe_url=_plain_url(sender.unsubscribe_url, key="unsubscribe_url", where=where),
        unsubscribe_mailto=mailto,
        pdf_base_url=pdf_base,
        pdf_mode=mode,
    )


def _internal_copies(raw: object, where: str) -> tuple[str, ...]:
    """``[sender] internal_copies``: plain addresses (no display names), each checked like a recipient's."""
    hint = 'write e.g. internal_copies = ["chairman.office@hvsp.example"]'
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ConfigError("sender.internal_copies must be a list of email addresses", where=where, hint=hint)
    found: list[str] = []
    for value in raw:
        try:
            if has_unsafe(value) or "<" in value:
                raise ValueError("only the address, no name or control characters")
            addr = parse_address(value.strip()).text
        except ValueError as exc:
            raise ConfigError(f"sender.internal_copies {value!r} is not an address: {exc}", where=where, hint=hint) from None
        found.append(addr)
    return tuple(found)


def _return_path(template: str, where: str) -> str:
    """``[sender] return_path``: a VERP template with ``{local}`` and ``{domain}`` and one ``@`` after them."""
    if not template:
        return ""
    local, at, domain = template.rpartition("@")
    if "{local}" not in local or "{domain}" not in local or not at or "." not in domain or "{" in domain:
        raise ConfigError(
            f"sender.return_path {template!r} is not a VERP address template",
            where=where,
            hint='write e.g. "bounces+{local}={domain}@hvsp.example" ({local} and {domain} before the @)',
        )
    if any(c in template for c in " <>\r\n\t\"(),;:"):
        raise ConfigError(f"sender.return_path {template!r} has characters an address cannot hold", where=where)
    return template


_SELECTOR = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


def check_selector(value: str) -> bool:
    """A DKIM selector is one or more DNS labels (``press2026``, ``s1.news``)."""
    return len(value) <= 63 and bool(_SELECTOR.fullmatch(value))


def _dkim(sender: dict[str, Any], where: str) -> dict[str, str]:
    """``dkim_key_file`` and ``dkim_selector``: both or neither; the selector a DNS label (the file itself is
    read, and its mode checked, by :mod:`pressctl.dkim.keys` when a send signs)."""
    key_file = text(sender, "dkim_key_file", "sender", where).strip()
    selector = text(sender, "dkim_selector", "sender", where).strip()
    if key_file and not selector:
        raise ConfigError(
            "sender.dkim_key_file is set but sender.dkim_selector is not",
            where=where,
            hint='add dkim_selector = "press2026" (the selector its public key is published at)',
        )
    if selector and not check_selector(selector):
        raise ConfigError(
            f"sender.dkim_selector {selector!r} is not a DNS label",
            where=where,
            hint='use letters, digits and hyphens, e.g. dkim_selector = "press2026"',
        )
    return {"dkim_key_file": key_file, "dkim_selector": selector}
