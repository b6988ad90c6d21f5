"""Asking DNS for the sending-domain check (dnspython): ``[dns] nameservers`` or the machine's resolver.

A name that does not exist, or has no record of the type, is an empty answer; no server answering (refused,
timed out, no resolver configured) raises :class:`DnsUnavailable` with one line saying so. Answers are kept
for the length of one check.
"""

from __future__ import annotations

import dns.exception
import dns.inet
import dns.nameserver
import dns.resolver
import dns.reversename

from pressctl.config.dns import DnsSettings

__all__ = ["DnsUnavailable", "NameDeclined", "Resolver"]


class DnsUnavailable(Exception):
    """No DNS server answered; ``str()`` says which and why."""


class NameDeclined(DnsUnavailable):
    """The servers answered, but declined this one question (REFUSED, SERVFAIL): a name outside the zones a
    company's own DNS server holds, such as the reverse name of a relay's address. The rest of a check can go
    on; ``str()`` says which server answered what for which name."""


class Resolver:
    """The lookups :mod:`pressctl.domain.spf` and :mod:`pressctl.domain.check` need."""

    def __init__(self, settings: DnsSettings) -> None:
        self._where = ", ".join(str(s) for s in settings.nameservers) or "the system resolver"
        try:
            if settings.nameservers:
                resolver = dns.resolver.Resolver(configure=False)
                resolver.nameservers = [
                    dns.nameserver.Do53Nameserver(s.host, s.port) for s in settings.nameservers
                ]
            else:
                resolver = dns.resolver.Resolver()
        except (dns.resolver.NoResolverConfiguration, OSError):
            raise DnsUnavailable("no DNS resolver is configured on this machine (set [dns] nameservers)") from None
        resolver.timeout = settings.timeout
        resolver.lifetime = settings.timeout
        resolver.retry_servfail = False
        self._resolver = resolver
        self._cache: dict[tuple[str, str], list[str]] = {}
        self.queries = 0

    def _ask(self, name: str, rdtype: str) -> list[str]:
        key = (name.lower().rstrip("."), rdtype)
        if key in self._cache:
            return self._cache[key]
        self.queries += 1
        try:
            answer = self._resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
            found = []
            for rdata in answer:
                if rdtype == "TXT":
                    found.append(b"".join(rdata.strings).decode("utf-8", "replace"))
                elif rdtype == "MX":
                    found.append(f"{rdata.preference} {rdata.exchange.to_text(omit_final_dot=True) or '.'}")
                elif rdtype == "PTR":
                    found.append(rdata.target.to_text(omit_final_dot=True))
                else:
                    found.append(rdata.to_text())
        except dns.resolver.NXDOMAIN:
            found = []
        except dns.resolver.LifetimeTimeout:
            raise DnsUnavailable(f"no answer from {self._where} within {self._resolver.lifetime:g} s") from None
        except dns.resolver.NoNameservers as exc:
            declined = _declined(exc)
            if declined:
                raise NameDeclined(f"{self._where} answered {declined} for {name.rstrip('.')}") from None
            raise DnsUnavailable(f"{self._where} did not answer ({_why(exc)})") from None
        except (dns.exception.DNSException, OSError) as exc:
            raise DnsUnavailable(f"{self._where} could not be asked ({type(exc).__name__})") from None
        self._cache[key] = found
        return found

    def txt(self, name: str) -> list[str]:
        return self._ask(name, "TXT")

    def addresses(self, name: str) -> list[str]:
        if dns.inet.is_address(name):
            return [name]
        return self._ask(name, "A") + self._ask(name, "AAAA")

    def mx(self, name: str) -> list[str]:
        """The exchangers, most preferred first (``["."]`` for a null MX)."""
        found = sorted(self._ask(name, "MX"), key=lambda v: int(v.split()[0]))
        return [v.split(None, 1)[1] for v in found]

    def ptr(self, address: str) -> list[str]:
        return self._ask(dns.reversename.from_address(address).to_text(), "PTR")


def _why(exc: dns.resolver.NoNameservers) -> str:
    errors = exc.kwargs.get("errors") or []
    for error in errors:
        text = str(error[3]) if len(error) > 3 else ""
        if "refused" in text.lower() or "Connection refused" in text:
            return "connection refused"
    return "no usable answer"


def _declined(exc: dns.resolver.NoNameservers) -> str:
    """The rcode every server answered with (``REFUSED``, ``SERVFAIL``), or "" when one did not answer at all."""
    errors = exc.kwargs.get("errors") or []
    codes = {str(e[3]) for e in errors if len(e) > 4 and e[4] is not None}
    if not errors or len(codes) != 1 or any(len(e) <= 4 or e[4] is None for e in errors):
        return ""
    return codes.pop()
