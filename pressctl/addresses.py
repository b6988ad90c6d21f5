"""Email addresses: the one home of their rule — parse, normalise, key. Pure.

* :func:`parse_address` checks an address the one way pressctl checks it (``sender.from``, ``--from``,
  ``reply_to``, internal copies, and every recipient once, when its list is loaded) and gives a checked
  :class:`Address`, carried from then on so nothing parses it again (a message does not). Anything holding
  a character of ``controls.UNSAFE`` (a line break, a control, a bidi or zero-width character) or a space is
  refused; ``parseaddr`` and the ``email`` package accept things that are no address (FACTS.md), so the
  checks here are ours.
* **Domains** are normalised by IDNA 2008 with the UTS 46 mapping, *non-transitional* (:func:`ascii_domain`),
  as email-validator and today's browsers do: ``straße.de`` is ``xn--strae-oqa.de`` on the wire. (IDNA 2003,
  Python's ``"idna"`` codec, maps it to ``strasse.de``: another domain, someone else's.) A domain already in
  ASCII is kept as written; UTS 46 lower-cases a Unicode one.
* :func:`address_key` is **the identity of an address**, one rule for the ledger's rows, suppression, bounce
  matching, unsubscribe tokens and VERP signatures: the domain case-insensitive after UTS 46 (A-labels, lower
  case, no trailing dot); the local part case-insensitive by Unicode lower-casing after NFC (``str.lower``),
  *not* case folding. RFC 5321 lets a server treat ``Amy`` and ``amy`` as two mailboxes, but practically
  every receiving system treats them as one, and a reader who bounces as ``Müller@Straße.de`` is the one we
  sent to as ``müller@straße.de``. Case folding would go further: it turns ``ß`` into ``ss``, making
  ``strauß@`` and ``strauss@`` (two mailboxes) one key, and it would change keys, tokens and signatures
  already out there (they have always been the lower-cased address).
* :func:`unwrap` turns what a person pasted into the address: a leading ``mailto:`` goes, and the full-width
  ``＠``, ``．`` and ``。`` typed with a Chinese input method become ``@`` and ``.``. Here only.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from pressctl.controls import has_unsafe

__all__ = [
    "Address",
    "AddressError",
    "address_key",
    "ascii_domain",
    "domain_key",
    "parse_address",
    "same_address",
    "unwrap",
]


class AddressError(ValueError):
    """An address that cannot be used; ``str()`` is the reason, for a row report or an error line."""


@dataclass(frozen=True, slots=True)
class Address:
    """An address that passed :func:`parse_address`: carried as is, never parsed again.

    ``text`` is what goes into the envelope and the headers (the domain in A-labels; the local part may be
    UTF-8, then ``smtputf8``); ``key`` is :func:`address_key` of it.
    """

    text: str
    key: str
    smtputf8: bool

    def __str__(self) -> str:
        return self.text

    @property
    def domain(self) -> str:
        return self.text.rpartition("@")[2]


_SPACES = re.compile(r"\s+")
_LOCAL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u00a0-\U0010ffff-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u00a0-\U0010ffff-]+)*"
)
_DOMAIN = re.compile(
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
)
_MAX = 254  # RFC 5321's path limit less the angle brackets


# The common case in one match: an ASCII dot-atom at an ASCII domain (no control character or space fits it).
_PLAIN = re.compile(
    r"(?P<local>[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@(?P<domain>"
    + _DOMAIN.pattern
    + ")"
)


def parse_address(text: str) -> Address:
    """``text`` checked and normalised (the domain to A-labels), or AddressError with the reason."""
    plain = _PLAIN.fullmatch(text) if len(text) <= _MAX else None
    if plain is not None:
        return Address(text, f"{plain.group('local').lower()}@{plain.group('domain').lower()}", False)
    if not text or len(text) > _MAX or has_unsafe(text) or _SPACES.search(text):
        raise AddressError("contains spaces or control characters")
    local, sep, domain = text.rpartition("@")
    if not sep or not local or not _LOCAL.fullmatch(local):
        raise AddressError("the part before @ is not a plain address")
    domain = ascii_domain(domain)
    if not _DOMAIN.fullmatch(domain):
        raise AddressError("the domain is not valid")
    if len(local) + 1 + len(domain) > _MAX:
        raise AddressError(f"longer than {_MAX} characters")
    return Address(f"{local}@{domain}", f"{_local_key(local)}@{domain.lower()}", not local.isascii())


def ascii_domain(domain: str) -> str:
    """``domain`` in A-labels by IDNA 2008 / UTS 46, non-transitional (``straße.de`` -> ``xn--strae-oqa.de``);
    an ASCII domain as written. AddressError when it is no valid internationalised name."""
    if domain.isascii():
        return domain
    try:
        return _to_ascii(domain)
    except UnicodeError:  # idna.IDNAError is one
        raise AddressError("the domain is not a valid internationalised name") from None


@functools.lru_cache(maxsize=4096)
def _to_ascii(domain: str) -> str:
    import idna  # ~10 ms to import: only for the first Unicode domain

    return idna.encode(domain, uts46=True, transitional=False).decode("ascii")


def domain_key(domain: str) -> str:
    """The key of a domain (see the module docstring): A-labels, lower case, no trailing dot. Never raises:
    a domain that is no valid IDN is lower-cased as it is (it can only match itself)."""
    domain = domain.strip().rstrip(".")
    if domain.isascii():
        return domain.lower()
    try:
        return _to_ascii(domain).lower()
    except UnicodeError:
        return _local_key(domain)


def _local_key(local: str) -> str:
    if local.isascii():
        return local.lower()
    # NFC again after lower-casing, which can leave a character decomposed: the key of a key is itself.
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", local).lower())


def address_key(text: str) -> str:
    """The identity of an address (the module docstring says why this rule): ``Müller@Straße.DE`` and
    ``müller@xn--strae-oqa.de`` are both ``müller@xn--strae-oqa.de``. Never raises; an ``@domain``
    entry keys its domain; text without an ``@`` is lower-cased."""
    text = text.strip()
    local, sep, domain = text.rpartition("@")
    if not sep:
        return _local_key(text)
    return f"{_local_key(local)}@{domain_key(domain)}"


def same_address(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are one address by :func:`address_key`."""
    return address_key(a) == address_key(b)


_TRIM = " \t\u00a0\u3000\u200b\ufeff"
_WIDE = str.maketrans({"\uff20": "@", "\uff0e": ".", "\u3002": "."})


def unwrap(raw: str) -> str:
    """The address in what a person pasted: trimmed, a leading ``mailto:`` removed, full-width ``＠``,
    ``．`` and ``。`` as ``@`` and ``.`` (nothing else is changed or checked)."""
    text = raw.strip(_TRIM)
    if text[:7].lower() == "mailto:":
        text = text[7:]
    return text if text.isascii() else text.translate(_WIDE)
