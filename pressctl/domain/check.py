"""The sending-domain check: what receivers will make of mail From this domain through these relays.

:func:`check_domain` asks DNS (through the lookups it is given, :class:`~pressctl.domain.lookup.Resolver` by
default) and returns a :class:`~pressctl.domain.findings.Report`: one line per finding with the record to
publish. Only an unaligned DMARC with ``p=quarantine`` or ``p=reject`` stops a send ("stop"); everything else
warns; no DNS server answering is said once and stops nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from pressctl.config import Workspace
from pressctl.config.sender import sender_address
from pressctl.domain.findings import Report
from pressctl.domain.providers import Provider, provider
from pressctl.domain.records import DkimKey, Dmarc, aligned, parse_dkim_key, parse_dmarc, reserved
from pressctl.domain.spf import LOOKUP_LIMIT, Lookups, walk_spf

if TYPE_CHECKING:
    from pressctl.dkim.keys import SigningKey

__all__ = ["BULK_THRESHOLD", "Relay", "Volume", "check_domain"]

BULK_THRESHOLD = 5000  # a day, over the whole domain: Gmail, Yahoo, Outlook.com's bulk-sender rules


@dataclass(frozen=True)
class Relay:
    """A relay as the check sees it: its host (a name or an address) and its profile (``generic``: a smarthost)."""

    host: str
    profile: str | None = None


@dataclass(frozen=True)
class Volume:
    """Messages already handed over in the last 24 hours, and this campaign's."""

    today: int
    campaign: int


class _Lookups(Lookups, Protocol):
    """The SPF walk's lookups, and reverse DNS."""

    def ptr(self, address: str) -> list[str]: ...


def check_domain(
    workspace: Workspace,
    *,
    from_addr: str | None = None,
    relays: Sequence[Relay] = (),
    volume: Volume | None = None,
) -> Report:
    """Check the From domain (``from_addr`` or ``[sender] from``) for ``relays``. A reserved name
    (``hvsp.example``) is checked only against ``[dns] nameservers``: public DNS never has it."""
    where = str(workspace.config_path) if workspace.config_path else None
    address = sender_address(from_addr or workspace.sender.from_addr, key="from", where=where)[1]
    domain = address.rpartition("@")[2].lower()
    report = Report(domain=domain)
    if reserved(domain) and not workspace.dns.nameservers:
        report.checked = False
        report.add("info", "dns", f"{domain} is a name kept for examples and tests, which no public DNS has "
                   "(set [dns] nameservers to check it against your own server)")
        return report
    # dnspython and cryptography (~0.03 s of start-up) only when DNS is asked: a send to a reserved name skips both.
    from pressctl.dkim.keys import signing_key
    from pressctl.domain.lookup import DnsUnavailable, Resolver

    key = signing_key(workspace)  # a key that cannot be used stops here, before any DNS question

    try:
        lookups: _Lookups = Resolver(workspace.dns)
        _check(report, lookups, workspace, domain=domain, relays=relays, volume=volume, key=key)
    except DnsUnavailable as exc:
        report.findings.clear()
        report.unreachable = str(exc)
        report.add("warn", "dns", f"the sending domain was not checked: {exc}")
    return report


def _check(
    report: Report, lookups: _Lookups, workspace: Workspace, *, domain: str, relays: Sequence[Relay],
    volume: Volume | None, key: SigningKey | None,
) -> None:
    sender = workspace.sender
    envelope = sender.return_path.rpartition("@")[2].lower() if sender.return_path else domain
    providers = [p for p in (provider(r.profile) for r in relays) if p is not None]
    smarthosts = [r for r in relays if provider(r.profile) is None]
    addresses = {r.host: lookups.addresses(r.host) for r in smarthosts}
    spf_pass = _spf(report, lookups, envelope=envelope, domain=domain, providers=providers, addresses=addresses)
    dkim_pass = _dkim(report, lookups, domain=domain, selector=sender.dkim_selector, key=key, providers=providers)
    _dmarc(report, lookups, domain=domain, envelope=envelope, spf_pass=spf_pass, dkim_pass=dkim_pass)
    reply = sender_address(sender.reply_to, key="reply_to", where=None)[1].rpartition("@")[2].lower() if sender.reply_to else ""
    for mail_domain in dict.fromkeys(d for d in (domain, reply, envelope) if d):
        _mx(report, lookups, mail_domain, role="From" if mail_domain == domain else "Reply-To" if mail_domain == reply else "return path")
    for host, found in addresses.items():
        _reverse(report, lookups, host, found)
    if volume is not None:
        _volume(report, volume, authenticated=spf_pass and dkim_pass)


def _spf(
    report: Report, lookups: _Lookups, *, envelope: str, domain: str, providers: Sequence[Provider],
    addresses: dict[str, list[str]],
) -> bool:
    """SPF of the envelope domain: one record, under the lookup limit, authorising every relay. Passes?"""
    whose = f"the return path's domain {envelope}" if envelope != domain else envelope
    ips = [ip for found in addresses.values() for ip in found]
    walk = walk_spf(lookups, envelope, ips)
    needs = " ".join([*(f"include:{p.spf_include}" for p in providers), *(_ip_term(ip) for ip in ips)]) or "a mx"
    if walk.records == 0:
        report.add("warn", "spf", f"{whose} has no SPF record: SPF cannot pass for mail sent with it",
                   f'TXT at {envelope}: "v=spf1 {needs} ~all"')
        return False
    if walk.records > 1:
        report.add("warn", "spf", f"{whose} has {walk.records} SPF records; receivers treat more than one as an error",
                   fix=f"join them into one TXT record at {envelope}")
        return False
    ok = True
    if walk.over_limit:
        report.add("warn", "spf", f"SPF of {whose} needs {walk.lookups} DNS lookups, more than the {LOOKUP_LIMIT} receivers "
                   "follow (permerror): SPF fails everywhere", fix="flatten the record: replace includes with ip4:/ip6: ranges, drop unused ones")
        ok = False
    for empty in walk.void:
        report.add("warn", "spf", f"SPF of {whose} includes {empty}, which has no SPF record (permerror)",
                   fix=f"remove include:{empty} from the TXT record at {envelope}")
        ok = False
    for p in providers:
        if p.spf_include in walk.includes:
            report.add("ok", "spf", f"SPF of {whose} includes {p.spf_include} ({p.name})")
        else:
            report.add("warn", "spf", f"SPF of {whose} does not include {p.spf_include}, which {p.name} sends from",
                       f'TXT at {envelope}: "{_with(walk.record, "include:" + p.spf_include)}"')
            ok = False
    for host, found in addresses.items():
        if not found:
            report.add("warn", "spf", f"the relay {host} has no address in DNS, so SPF cannot name it")
            ok = False
        for ip in found:
            shown = host if host == ip else f"{host} ({ip})"
            if walk.passes.get(ip):
                report.add("ok", "spf", f"SPF of {whose} lets the relay {shown} send")
            else:
                report.add("warn", "spf", f"SPF of {whose} does not let the relay {shown} send",
                           f'TXT at {envelope}: "{_with(walk.record, _ip_term(ip))}"')
                ok = False
    if ok and not providers and not addresses:
        report.add("ok", "spf", f"{whose} has an SPF record ({walk.lookups} of {LOOKUP_LIMIT} lookups)")
    return ok


def _ip_term(ip: str) -> str:
    return f"ip{ipaddress.ip_address(ip).version}:{ip}"


def _with(record: str, term: str) -> str:
    """``record`` with ``term`` added before its ``all``."""
    terms = record.split()
    at = next((i for i, t in enumerate(terms) if t.lstrip("+-~?").lower() == "all"), len(terms))
    return " ".join([*terms[:at], term, *terms[at:]])


def _dkim(
    report: Report, lookups: _Lookups, *, domain: str, selector: str, key: SigningKey | None,
    providers: Sequence[Provider],
) -> bool:
    """A usable key at the selector the signer uses, under the From domain (so DKIM aligns). Will DKIM pass?"""
    if key is not None:
        return _selector(report, lookups, domain, key.selector, signer="pressctl", ours=key)
    selectors = [selector] if selector else [s for p in providers for s in p.selectors]
    if not selectors:
        hint = next((p.dkim_hint for p in providers), "")
        report.add(
            "warn", "dkim", f"nothing signs mail from {domain} with its own key, so DKIM cannot align with it",
            fix=hint or "set [sender] dkim_key_file and dkim_selector (make a key with `pressctl dkim keygen --selector S`) "
            "or have the relay sign",
        )
        return False
    signer = providers[0].name if providers else "the relay"
    results = [_selector(report, lookups, domain, s, signer=signer, ours=None, quiet=len(selectors) > 1) for s in selectors]
    if len(selectors) > 1 and not any(results):
        report.add("warn", "dkim", f"no DKIM key for {domain} at {' or '.join(s + '._domainkey' for s in selectors)} ({signer})",
                   fix=providers[0].dkim_hint if providers else "")
    return any(results)


def _selector(
    report: Report, lookups: _Lookups, domain: str, selector: str, *, signer: str, ours: SigningKey | None, quiet: bool = False,
) -> bool:
    name = f"{selector}._domainkey.{domain}"
    records = [t for t in lookups.txt(name) if "p=" in t]
    publish = f'TXT at {name}: "{ours.txt}"' if ours is not None else ""
    if not records:
        if not quiet:
            report.add("warn", "dkim", f"no DKIM key at {name}, where {signer} signs: DKIM will fail", publish)
        return False
    parsed = parse_dkim_key(records[0])
    if isinstance(parsed, str):
        report.add("warn", "dkim", f"the DKIM record at {name} {parsed}", publish)
        return False
    if not parsed.public:
        report.add("warn", "dkim", f"the DKIM key at {name} is revoked (empty p=)", publish)
        return False
    if ours is not None and parsed.public != _public(ours):
        report.add("warn", "dkim", f"the key at {name} is not the public half of [sender] dkim_key_file: DKIM will fail", publish)
        return False
    strength = _strength(parsed)
    if strength.startswith("too weak"):
        report.add("warn", "dkim", f"the DKIM key at {name} is {strength}", publish)
        return False
    kind, _, advice = strength.partition("; ")
    report.add("ok", "dkim", f"DKIM key at {name} ({kind}, signed by {signer})" + (f"; {advice}" if advice else ""))
    return True


def _public(key: SigningKey) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public = key.key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _strength(key: DkimKey) -> str:
    if key.kind == "ed25519":
        return "Ed25519"
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        public = serialization.load_der_public_key(key.public)
    except ValueError:
        return "too weak: not a readable RSA key"
    bits = public.key_size if isinstance(public, rsa.RSAPublicKey) else 0
    if bits < 1024:
        return f"too weak: RSA {bits} bits, receivers ignore keys under 1024"
    return f"RSA {bits} bits" + ("; 2048-bit keys are advised" if bits < 2048 else "")


def _dmarc_record(lookups: _Lookups, domain: str) -> tuple[Dmarc | None, str]:
    """The DMARC record that applies (the nearest up the tree) and the organisational domain (the farthest
    up with a record; the From domain when there is none)."""
    labels = domain.split(".")
    found: list[Dmarc] = []
    for i in range(0, max(1, len(labels) - 1)):
        at = ".".join(labels[i:])
        for txt in lookups.txt(f"_dmarc.{at}"):
            record = parse_dmarc(txt, at)
            if record is not None:
                found.append(record)
                break
    if not found:
        return None, domain
    return found[0], found[-1].found_at


def _dmarc(report: Report, lookups: _Lookups, *, domain: str, envelope: str, spf_pass: bool, dkim_pass: bool) -> None:
    record, organisation = _dmarc_record(lookups, domain)
    if record is None:
        report.add("warn", "dmarc", f"{domain} has no DMARC record; Gmail, Yahoo and Outlook.com require one (p=none at least) from bulk senders",
                   f'TXT at _dmarc.{domain}: "v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}"')
        return
    policy = record.policy if record.found_at == domain else record.subdomain_policy
    spf_aligned = spf_pass and aligned(domain, envelope, mode=record.aspf, organisation=organisation)
    dkim_aligned = dkim_pass  # the key was looked for under the From domain itself: d= is the From domain
    at = f"_dmarc.{record.found_at}"
    if spf_aligned or dkim_aligned:
        through = " and ".join(n for n, ok in (("SPF", spf_aligned), ("DKIM", dkim_aligned)) if ok)
        report.add("ok", "dmarc", f"DMARC p={policy} at {at}; aligned with {domain} through {through}")
        return
    why = []
    if spf_pass and not spf_aligned:
        why.append(f"the return path {envelope} is outside {domain}" + (" (aspf=s)" if record.aspf == "s" else ""))
    elif not spf_pass:
        why.append("SPF will not pass")
    why.append("DKIM will not pass" if not dkim_pass else "")
    reasons = "; ".join(w for w in why if w)
    if policy in ("quarantine", "reject"):
        fate = "refuse" if policy == "reject" else "put in junk"
        report.add("stop", "dmarc", f"DMARC of {domain} says p={policy} and neither SPF nor DKIM aligns with it for this "
                   f"relay ({reasons}): receivers will {fate} these messages", fix="fix SPF or DKIM as the lines above say")
    else:
        report.add("warn", "dmarc", f"DMARC p=none at {at}, but neither SPF nor DKIM aligns with {domain} ({reasons})")


def _mx(report: Report, lookups: _Lookups, domain: str, *, role: str) -> None:
    exchangers = lookups.mx(domain)
    if exchangers == ["."]:
        report.add("warn", "mx", f"the {role} domain {domain} has a null MX: it takes no mail, so replies and bounces are lost")
    elif exchangers:
        report.add("ok", "mx", f"the {role} domain {domain} takes mail (MX {exchangers[0]})")
    elif lookups.addresses(domain):
        report.add("warn", "mx", f"the {role} domain {domain} has no MX record (only its address takes mail)", f"an MX record at {domain}")
    else:
        report.add("warn", "mx", f"the {role} domain {domain} has no MX record: replies and bounces cannot reach it", f"an MX record at {domain}")


def _reverse(report: Report, lookups: _Lookups, host: str, found: Sequence[str]) -> None:
    """Each of the relay's addresses names a host (PTR) whose addresses include it again."""
    from pressctl.domain.lookup import NameDeclined  # (dnspython is loaded only when DNS is asked)

    for ip in found:
        try:
            names = lookups.ptr(ip)
        except NameDeclined as exc:  # the server holds the domain's zones, not the reverse one: this line only
            report.add("info", "rdns", f"the reverse DNS of the relay's address {ip} was not checked: {exc} "
                       "(a DNS server that holds only your own zones; `dig -x` it against a public resolver)")
            continue
        if not names:
            report.add("warn", "rdns", f"the relay's address {ip} has no reverse DNS (PTR); many receivers refuse such mail",
                       f"a PTR for {ip} naming {host if host != ip else 'the relay'} (ask whoever runs the address)")
            continue
        back = [n for n in names if ip in lookups.addresses(n)]
        if back:
            report.add("ok", "rdns", f"the relay's address {ip} and {back[0]} point at each other")
        else:
            report.add("warn", "rdns", f"the relay's address {ip} is named {names[0]} (PTR), which does not point back at {ip}",
                       f"an A/AAAA record for {names[0]} with {ip}")


def _volume(report: Report, volume: Volume, *, authenticated: bool) -> None:
    total = volume.today + volume.campaign
    line = f"{volume.today:,} sent in the last 24 hours + {volume.campaign:,} in this campaign = {total:,}"
    if total >= BULK_THRESHOLD:
        report.add("info" if authenticated else "warn", "volume", f"{line}: at or over {BULK_THRESHOLD:,} a day, Gmail, Yahoo "
                   "and Outlook.com treat the domain as a bulk sender (SPF, DKIM, aligned DMARC, one-click unsubscribe)")
    else:
        report.add("info", "volume", f"{line}, under the {BULK_THRESHOLD:,}-a-day bulk-sender threshold")


