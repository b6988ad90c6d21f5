"""SPF walked as a receiver would (RFC 7208): the one record, the DNS lookups it costs, the domains it
includes, and whether it lets an address send. Pure: the DNS answers come from the ``Lookups`` it is given.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from pressctl.domain.records import is_spf

__all__ = ["LOOKUP_LIMIT", "Lookups", "SpfWalk", "walk_spf"]

LOOKUP_LIMIT = 10  # RFC 7208 4.6.4: more DNS-querying terms than this is a permerror
_DNS_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")


class Lookups(Protocol):
    """What the walk asks DNS: TXT strings, a name's addresses, a domain's mail exchangers."""

    def txt(self, name: str) -> list[str]: ...
    def addresses(self, name: str) -> list[str]: ...
    def mx(self, name: str) -> list[str]: ...


@dataclass
class SpfWalk:
    """What the SPF of one domain says. ``records``: how many SPF records it has (1 is right)."""

    domain: str
    records: int = 0
    record: str = ""
    lookups: int = 0
    includes: list[str] = field(default_factory=list)  # every include:/redirect= target, in the whole tree
    void: list[str] = field(default_factory=list)  # included domains that have no SPF record
    passes: dict[str, bool] = field(default_factory=dict)  # address -> does SPF pass for it

    @property
    def over_limit(self) -> bool:
        return self.lookups > LOOKUP_LIMIT


def _record(lookups: Lookups, domain: str) -> tuple[int, str]:
    found = [t for t in lookups.txt(domain) if is_spf(t)]
    return len(found), found[0] if len(found) == 1 else ""


def _terms(record: str) -> list[tuple[str, str, str]]:
    """(qualifier, mechanism or modifier name, its value) for each term after ``v=spf1``."""
    out = []
    for term in record.split()[1:]:
        qualifier = term[0] if term[0] in "+-~?" else "+"
        body = term[1:] if term[0] in "+-~?" else term
        if "=" in body and (":" not in body or body.index("=") < body.index(":")):
            name, _, value = body.partition("=")
            out.append(("", name.lower(), value))
        else:
            name, _, value = body.partition(":")
            out.append((qualifier, name.lower(), value))
    return out


def _net(value: str, default: str, ip: str) -> tuple[str, int | None]:
    """``a:host/24`` -> ("host", 24) for an IPv4 ``ip`` (the /NN that applies to the address's family)."""
    host, _, cidr = value.partition("/")
    v4 = "/" + cidr if cidr else ""
    parts = v4.split("//")
    prefix: int | None = None
    try:
        four = int(parts[0][1:]) if parts[0][1:] else None
        six = int(parts[1]) if len(parts) > 1 and parts[1] else None
        prefix = six if ":" in ip else four
    except ValueError:
        prefix = None
    return host or default, prefix


def _in(ip: str, addresses: Iterable[str], prefix: int | None) -> bool:
    address = ipaddress.ip_address(ip)
    for other in addresses:
        try:
            net = ipaddress.ip_network(f"{other}/{prefix}" if prefix is not None else other, strict=False)
        except ValueError:
            continue
        if net.version == address.version and address in net:
            return True
    return False


def _count(lookups: Lookups, domain: str, walk: SpfWalk, seen: set[str]) -> None:
    """Add the DNS-querying terms of ``domain``'s record and everything it includes (each counted once)."""
    if domain in seen or len(seen) > 30:
        return
    seen.add(domain)
    _, record = _record(lookups, domain)
    for _, name, value in _terms(record):
        if name in _DNS_TERMS:
            walk.lookups += 1
        if name in ("include", "redirect") and value and "%" not in value:
            target = value.lower().rstrip(".")
            walk.includes.append(target)
            if _record(lookups, target)[0] == 0:
                walk.void.append(target)
            _count(lookups, target, walk, seen)


def _result(lookups: Lookups, domain: str, ip: str, depth: int) -> str:
    """pass, fail, softfail, neutral, none or permerror for ``ip`` sending as ``domain``."""
    if depth > 10:
        return "permerror"
    count, record = _record(lookups, domain)
    if count != 1:
        return "none" if count == 0 else "permerror"
    redirect = ""
    results = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
    for qualifier, name, value in _terms(record):
        if name == "redirect":
            redirect = value
            continue
        if not qualifier or "%" in value:
            continue
        matched = False
        if name == "all":
            matched = True
        elif name in ("ip4", "ip6"):
            matched = _in(ip, [value], None)
        elif name == "a":
            host, prefix = _net(value, domain, ip)
            matched = _in(ip, lookups.addresses(host), prefix)
        elif name == "mx":
            host, prefix = _net(value, domain, ip)
            matched = any(_in(ip, lookups.addresses(m), prefix) for m in lookups.mx(host)[:10])
        elif name == "include":
            inner = _result(lookups, value.lower(), ip, depth + 1)
            if inner in ("none", "permerror"):
                return "permerror"
            matched = inner == "pass"
        if matched:
            return results[qualifier]
    if redirect:
        return _result(lookups, redirect.lower(), ip, depth + 1)
    return "neutral"


def walk_spf(lookups: Lookups, domain: str, addresses: Iterable[str] = ()) -> SpfWalk:
    """The SPF of ``domain``: its records, the lookups the whole tree costs, its includes, and for each of
    ``addresses`` whether SPF passes."""
    walk = SpfWalk(domain=domain)
    walk.records, walk.record = _record(lookups, domain)
    if walk.records != 1:
        return walk
    _count(lookups, domain, walk, set())
    for ip in addresses:
        walk.passes[ip] = _result(lookups, domain, ip, 0) == "pass"
    return walk
