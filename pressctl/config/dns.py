"""``[dns]`` of ``pressctl.toml``: which DNS servers the sending-domain check asks, and how long it waits.

``nameservers`` is a list of ``"host"`` or ``"host:port"`` (``"[::1]:5353"`` for IPv6 with a port); empty: the
machine's resolver. Pure.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from pressctl.errors import ConfigError

__all__ = ["DNS_KEYS", "DnsSettings", "Nameserver", "parse_dns", "parse_nameserver"]

DNS_KEYS = ("nameservers", "timeout")


@dataclass(frozen=True)
class Nameserver:
    """One DNS server: an IP address and a port."""

    host: str
    port: int = 53

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == 53 else f"{host}:{self.port}"


@dataclass(frozen=True)
class DnsSettings:
    """``[dns]``: the servers (empty: the machine's resolver) and the seconds one question may take."""

    nameservers: tuple[Nameserver, ...] = ()
    timeout: float = 3.0


def parse_nameserver(value: str) -> Nameserver:
    """``"127.0.0.1"``, ``"127.0.0.1:5353"``, ``"::1"`` or ``"[::1]:5353"``; ValueError for anything else."""
    text = value.strip()
    port = 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError("write [IPv6]:port")
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = int(port_text)
    else:
        host = text
    ipaddress.ip_address(host)  # a name would need a resolver to find the resolver
    if not 0 < port < 65536:
        raise ValueError("the port must be 1-65535")
    return Nameserver(host, port)


def parse_dns(dns: dict[str, Any], where: str) -> DnsSettings:
    """``[dns]`` checked: every server an IP address with an optional port, a timeout of 0.1-60 seconds."""
    raw = dns.get("nameservers", [])
    hint = 'write e.g. nameservers = ["192.0.2.53", "127.0.0.1:5353"] (IP addresses, optional :port)'
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ConfigError("dns.nameservers must be a list of addresses", where=where, hint=hint)
    servers = []
    for value in raw:
        try:
            servers.append(parse_nameserver(value))
        except ValueError:
            raise ConfigError(f"dns.nameservers: {value!r} is not an IP address with an optional port", where=where, hint=hint) from None
    timeout = dns.get("timeout", 3.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0.1 <= timeout <= 60:
        raise ConfigError(f"dns.timeout must be a number of seconds (0.1-60), not {timeout!r}", where=where, hint="e.g. timeout = 3")
    return DnsSettings(nameservers=tuple(servers), timeout=float(timeout))
