"""DNS TXT records read: SPF terms, DMARC tags, a DKIM key record; and DMARC's alignment of two domains. Pure."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

__all__ = [
    "DkimKey",
    "Dmarc",
    "aligned",
    "is_spf",
    "parse_dkim_key",
    "parse_dmarc",
    "parse_tags",
    "reserved",
]

# RFC 2606 / RFC 6761: names no public DNS will ever answer for.
_RESERVED_TLDS = ("example", "test", "invalid", "localhost", "local")
_RESERVED = ("example.com", "example.net", "example.org")


def reserved(domain: str) -> bool:
    """A documentation or test name (``hvsp.example``, ``example.com``): public DNS never has it."""
    d = domain.lower().rstrip(".")
    return d.rpartition(".")[2] in _RESERVED_TLDS or any(d == r or d.endswith("." + r) for r in _RESERVED)


def is_spf(txt: str) -> bool:
    return txt.strip().lower() == "v=spf1" or txt.strip().lower().startswith("v=spf1 ")


def parse_tags(txt: str) -> dict[str, str]:
    """``v=DMARC1; p=reject`` -> {"v": "DMARC1", "p": "reject"} (names in lower case; blanks removed)."""
    tags: dict[str, str] = {}
    for part in txt.split(";"):
        name, eq, value = part.partition("=")
        if eq and name.strip():
            tags.setdefault(name.strip().lower(), "".join(value.split()))
    return tags


@dataclass(frozen=True)
class Dmarc:
    """A DMARC record: the policy for the domain it was found at, for its subdomains, and the alignment modes."""

    policy: str  # none, quarantine, reject
    subdomain_policy: str
    adkim: str  # r (relaxed) or s (strict)
    aspf: str
    found_at: str  # the domain whose _dmarc holds it


def parse_dmarc(txt: str, found_at: str) -> Dmarc | None:
    """The record, or None when ``txt`` is not a DMARC record (no ``v=DMARC1`` first, no valid ``p=``)."""
    if not txt.strip().upper().replace(" ", "").startswith("V=DMARC1"):
        return None
    tags = parse_tags(txt)
    policy = tags.get("p", "").lower()
    if policy not in ("none", "quarantine", "reject"):
        return None
    sub = tags.get("sp", policy).lower()
    return Dmarc(
        policy=policy,
        subdomain_policy=sub if sub in ("none", "quarantine", "reject") else policy,
        adkim="s" if tags.get("adkim", "r").lower() == "s" else "r",
        aspf="s" if tags.get("aspf", "r").lower() == "s" else "r",
        found_at=found_at.lower(),
    )


def aligned(from_domain: str, other: str, *, mode: str, organisation: str) -> bool:
    """Does ``other`` (the SPF or DKIM domain) align with ``from_domain``? Strict: the same name; relaxed: both
    under ``organisation``, the organisational domain (where the DMARC tree walk found the record, RFC 9091)."""
    a, b = from_domain.lower().rstrip("."), other.lower().rstrip(".")
    if mode == "s":
        return a == b
    org = organisation.lower().rstrip(".")

    def under(d: str) -> bool:
        return d == org or d.endswith("." + org)

    return under(a) and under(b)


@dataclass(frozen=True)
class DkimKey:
    """A DKIM key record: its key type, and the public key bytes (empty: revoked)."""

    kind: str  # rsa or ed25519
    public: bytes


def parse_dkim_key(txt: str) -> DkimKey | str:
    """The key record, or the reason it is not one (a line's end: "has no p= tag")."""
    tags = parse_tags(txt)
    if "v" in tags and tags["v"].upper() != "DKIM1":
        return f"says v={tags['v']}, not v=DKIM1"
    if "p" not in tags:
        return "has no p= tag"
    kind = tags.get("k", "rsa").lower()
    if kind not in ("rsa", "ed25519"):
        return f"has key type k={kind}, which receivers do not know"
    try:
        public = base64.b64decode(tags["p"], validate=True)
    except (binascii.Error, ValueError):
        return "has a p= value that is not base64"
    return DkimKey(kind, public)
