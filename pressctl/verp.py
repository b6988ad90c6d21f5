"""Signed VERP return paths (``[sender] return_path``): the one home of their format, for the send side (each
message's ``MAIL FROM``) and for bounce matching. Pure: HMAC only.

A return path names the recipient, so a bounce that quotes nothing of the original still says whose message
it was. Anyone can send mail *to* such an address, though, so the local part carries a short signature of
the recipient's address made with the workspace secret, as SRS and BATV sign theirs:
``bounces+wing.chan=harbourtimes.example+k3q7vx2a@hvsp.example``. :func:`verp_decode` gives the address only
when the signature is right; a return path without one (made before signatures, or by hand) is not ours.

The signature is 8 characters of lower-case base32 (40 bits; a mail server may fold the local part to
lower case, so it is compared case-insensitively) of HMAC-SHA256 over ``"verp\\0" + address`` (the address's
``addresses.address_key``), so a VERP signature is never an unsubscribe token of the same address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from pressctl.addresses import address_key

__all__ = ["SIGNATURE_CHARS", "verp_decode", "verp_encode", "verp_signature", "verp_unsigned"]

SIGNATURE_CHARS = 8


def verp_signature(address: str, secret: bytes) -> str:
    """The signature of ``address`` (of its ``addresses.address_key``): 8 lower-case base32 characters."""
    digest = hmac.new(secret, b"verp\0" + address_key(address).encode("utf-8"), hashlib.sha256).digest()
    return base64.b32encode(digest[:5]).decode("ascii").lower()


def verp_encode(template: str, address: str, secret: bytes) -> str:
    """``bounces+{local}={domain}@example.org`` with the recipient's parts and its signature filled in:
    ``bounces+local=domain+sig@example.org``."""
    local, _, domain = address.rpartition("@")
    signed = f"{domain}+{verp_signature(address, secret)}"
    return template.replace("{local}", local).replace("{domain}", signed)


def _pattern(template: str, *, signed: bool) -> re.Pattern[str] | None:
    if "{local}" not in template or "{domain}" not in template:
        return None
    domain = r"(?P<domain>[^=@+\s]+)" + (rf"\+(?P<sig>[A-Za-z2-7]{{{SIGNATURE_CHARS}}})" if signed else "")
    text = re.escape(template).replace(re.escape("{local}"), r"(?P<local>[^@\s]+)")
    return re.compile(text.replace(re.escape("{domain}"), domain), re.IGNORECASE)


def verp_decode(template: str, address: str, secret: bytes | None) -> str:
    """The recipient a signed return path names, or "" when ``address`` is not one of ours: the template's
    literal parts must match (case-insensitively) and the signature must be that address's. The local part
    may itself contain ``=`` and ``+``; the domain is what follows the last ``=`` (a domain holds neither)."""
    pattern = _pattern(template, signed=True)
    if pattern is None or not secret:
        return ""
    m = pattern.fullmatch(address.strip())
    if not m or "." not in m.group("domain"):
        return ""
    recipient = f"{m.group('local')}@{m.group('domain')}"
    if not hmac.compare_digest(m.group("sig").lower(), verp_signature(recipient, secret)):
        return ""
    return recipient


def verp_unsigned(template: str, address: str) -> str:
    """The recipient an *unsigned* return path of the template's shape names ("" otherwise): only to say why
    such a bounce changed nothing (a message sent before signatures, or a forgery)."""
    pattern = _pattern(template, signed=False)
    if pattern is None:
        return ""
    m = pattern.fullmatch(address.strip())
    if not m or "." not in m.group("domain"):
        return ""
    return f"{m.group('local')}@{m.group('domain')}"
