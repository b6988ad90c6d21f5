"""The sending-domain check against a real DNS server (dnsmasq on 127.0.0.1, zones written here): each finding
of issue 21's "Done when" gives its line and the right exit, through ``pressctl domain check``, ``smtp check``
and ``send`` (which a DMARC p=reject with nothing aligned stops, and a DNS server that is not there does not)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dns_support import DnsServer, Zone, closed_port, dns_server
from send_support import make_workspace, write_contacts, write_release
from smtp_server import SmtpTestServer
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._env import Env
from pressctl.dkim.keys import load_key
from pressctl.errors import ExitStatus
from pressctl.ledger import Ledger

__all__ = ["dns_server"]

pytestmark = pytest.mark.slow  # a real dnsmasq per test

M365_SPF = "v=spf1 ip4:40.92.0.0/15 ip4:40.107.0.0/16 -all"  # what spf.protection.outlook.com says (shortened)


def _rsa_record(bits: int = 1024) -> str:
    """A real RSA public key record (what Microsoft 365 publishes behind its selector CNAME)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode("ascii")


def _workspace(tmp_path: Path, server: DnsServer | str, *, sender: str = "", smtp: str = "") -> Path:
    ws = make_workspace(tmp_path)
    config = ws / "pressctl.toml"
    text = config.read_text(encoding="utf-8").replace("[sender]\n", "[sender]\n" + sender, 1)
    address = server.address if isinstance(server, DnsServer) else server
    text += f'\n[dns]\nnameservers = ["{address}"]\ntimeout = 2\n'
    if smtp:
        text += f"\n[smtp]\n{smtp}\n"
    config.write_text(text, encoding="utf-8")
    return ws


def _run(ws: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), obj=Env.for_test(cwd=ws, environ={}))
    return result.exit_code, result.stdout, result.stderr


def _m365_zone(*, spf: str = "v=spf1 include:spf.protection.outlook.com -all", dmarc: str | None = "v=DMARC1; p=reject",
               selector: bool = True) -> Zone:
    zone = Zone().txt("spf.protection.outlook.com", M365_SPF).mx("hvsp.example", "hvsp-example.mail.protection.outlook.com")
    if spf:
        zone.txt("hvsp.example", spf)
    if dmarc:
        zone.txt("_dmarc.hvsp.example", dmarc)
    if selector:
        zone.txt("selector1._domainkey.hvsp.example", _rsa_record())
    return zone


M365 = 'url = "smtp://press@smtp.office365.com:587"'


def test_a_domain_set_up_for_microsoft_365_passes(tmp_path: Path, dns_server: Callable[[Zone], DnsServer]) -> None:
    ws = _workspace(tmp_path, dns_server(_m365_zone()), smtp=M365)
    code, out, err = _run(ws, "domain", "check")
    assert code == ExitStatus.OK, out + err
    assert "SPF of hvsp.example includes spf.protection.outlook.com (Microsoft 365)" in out
    assert "DKIM key at selector1._domainkey.hvsp.example (RSA" in out
    assert "DMARC p=reject at _dmarc.hvsp.example; aligned with hvsp.example through SPF and DKIM" in out
    assert "warning" not in out and "STOP" not in out
    code, out, _ = _run(ws, "domain", "check", "--json")
    found = json.loads(out)
    assert code == ExitStatus.OK and found["checked"] and not found["stops_send"]
    assert {f["level"] for f in found["findings"]} <= {"ok", "info"}


def test_missing_spf_include_warns_with_the_record_to_publish(tmp_path: Path, dns_server: Callable[[Zone], DnsServer]) -> None:
    zone = _m365_zone(spf="v=spf1 ip4:192.0.2.10 ~all")
    ws = _workspace(tmp_path, dns_server(zone), smtp=M365)
    code, out, _ = _run(ws, "domain", "check")
    assert code == ExitStatus.OK  # DKIM still aligns: a warning, not a stop
    line = next(x for x in out.splitlines() if "spf.protection.outlook.com" in x)
    assert "warning" in line and "does not include spf.protection.outlook.com, which Microsoft 365 sends from" in line
    assert 'publish TXT at hvsp.example: "v=spf1 ip4:192.0.2.10 include:spf.protection.outlook.com ~all"' in line


def test_a_dkim_key_missing_at_the_selector_names_the_record(tmp_path: Path, dns_server: Callable[[Zone], DnsServer]) -> None:
    ws = make_workspace(tmp_path / "keys")
    code, out, _ = _run(ws, "dkim", "keygen", "--selector", "press2026")
    assert code == ExitStatus.OK, out
    key = load_key(ws / ".pressctl" / "dkim" / "press2026.pem", selector="press2026")
    zone = Zone().txt("hvsp.example", "v=spf1 ip4:127.0.0.1 -all").txt("_dmarc.hvsp.example", "v=DMARC1; p=none")
    zone.mx("hvsp.example", "mail.hvsp.example").a("mail.hvsp.example", "127.0.0.1")
    sender = f'dkim_key_file = "{key.path}"\ndkim_selector = "press2026"\n'
    ws2 = _workspace(tmp_path, dns_server(zone), sender=sender, smtp='url = "smtp://127.0.0.1:2525?tls=none"')
    code, out, _ = _run(ws2, "domain", "check")
    assert code == ExitStatus.OK
    line = next(x for x in out.splitlines() if "press2026._domainkey" in x)
    assert "no DKIM key at press2026._domainkey.hvsp.example, where pressctl signs: DKIM will fail" in line
    assert f'publish TXT at press2026._domainkey.hvsp.example: "{key.txt}"' in line


def test_no_dmarc_record_warns(tmp_path: Path, dns_server: Callable[[Zone], DnsServer]) -> None:
    ws = _workspace(tmp_path, dns_server(_m365_zone(dmarc=None)), smtp=M365)
    code, out, _ = _run(ws, "domain", "check")
    assert code == ExitStatus.OK
    assert ("hvsp.example has no DMARC record; Gmail, Yahoo and Outlook.com require one (p=none at least) from bulk senders; "
            'publish TXT at _dmarc.hvsp.example: "v=DMARC1; p=none; rua=mailto:dmarc-reports@hvsp.example"') in out


def test_spf_over_ten_lookups_warns(tmp_path: Path, dns_server: Callable[[Zone], DnsServer]) -> None:
    zone = _m365_zone(spf="v=spf1 include:spf.protection.outlook.com include:a.hvsp.example include:b.hvsp.example -all")
    zone.txt("a.hvsp.example", "v=spf1 a mx a:x1.hvsp.example a:x2.hvsp.example a:x3.hvsp.example ~all")
    zone.txt("b.hvsp.example", "v=spf1 a mx a:x4.hvsp.example a:x5.hvsp.example ~all")
    ws = _workspace(tmp_path, dns_server(zone), smtp=M365)
    code, out, _ = _run(ws, "domain", "check")
    assert code == ExitStatus.OK  # DKIM still aligns
    assert "SPF of hvsp.example needs 12 DNS lookups, more than the 10 receivers follow (permerror)" in out


def test_a_verp_subdomain_without_spf_warns(tmp_path: Path, dns_server: Callable[[Zone], DnsServer]) -> None:
    sender = 'return_path = "bounces+{local}={domain}@bounce.hvsp.example"\n'
    zone = _m365_zone().mx("bounce.hvsp.example", "mail.hvsp.example")
    ws = _workspace(tmp_path, dns_server(zone), sender=sender, smtp=M365)
    code, out, _ = _run(ws, "domain", "check")
    assert code == ExitStatus.OK  # DKIM aligns
    assert ("the return path's domain bounce.hvsp.example has no SPF record: SPF cannot pass for mail sent with it; "
            'publish TXT at bounce.hvsp.example: "v=spf1 include:spf.protection.outlook.com ~all"') in out


def _reject_zone() -> Zone:
    # A smarthost at 127.0.0.1 the SPF does not name, no DKIM anywhere, DMARC p=reject: every receiver refuses.
    zone = Zone().txt("hvsp.example", "v=spf1 ip4:192.0.2.10 -all").txt("_dmarc.hvsp.example", "v=DMARC1; p=reject")
    return zone.mx("hvsp.example", "mail.hvsp.example").a("mail.hvsp.example", "192.0.2.10").ptr("127.0.0.1", "localhost.hvsp.example")


def test_p_reject_with_nothing_aligned_stops_the_send(tmp_path: Path, dns_server: Callable[[Zone], DnsServer]) -> None:
    server = dns_server(_reject_zone())
    with SmtpTestServer() as relay:
        ws = _workspace(tmp_path, server, smtp=f'url = "smtp://127.0.0.1:{relay.port}?tls=none"')
        release = write_release(ws)
        contacts = write_contacts(ws / "contacts" / "list.csv", 3)
        code, out, _ = _run(ws, "domain", "check")
        assert code == ExitStatus.BAD_INPUT
        assert "STOP" in out and "DMARC of hvsp.example says p=reject and neither SPF nor DKIM aligns with it" in out
        code, out, err = _run(ws, "send", str(release), "-c", str(contacts), "--yes")
        assert code == ExitStatus.BAD_INPUT, out + err
        stops = [x for x in err.splitlines() if x.startswith("error:")]
        assert len(stops) == 1 and "p=reject" in stops[0] and "receivers will refuse these messages" in stops[0]
        assert [x for x in err.splitlines() if x.strip()] == stops, err  # the refusal is one line
        assert "--ignore-domain-check" in err
        assert relay.messages == []
        code, out, err = _run(ws, "send", str(release), "-c", str(contacts), "--yes", "--ignore-domain-check")
        assert code == ExitStatus.OK, out + err
        assert len(relay.messages) == 3
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        campaign = ledger.campaigns.latest()
        assert campaign is not None and campaign.options["ignore_domain_check"] is True


def test_no_dns_server_reachable_warns_and_sends(tmp_path: Path) -> None:
    with SmtpTestServer() as relay:
        ws = _workspace(tmp_path, f"127.0.0.1:{closed_port()}", smtp=f'url = "smtp://127.0.0.1:{relay.port}?tls=none"')
        release = write_release(ws)
        contacts = write_contacts(ws / "contacts" / "list.csv", 2)
        code, out, err = _run(ws, "send", str(release), "-c", str(contacts), "--yes")
        assert code == ExitStatus.OK, out + err
        assert "the sending domain was not checked: no answer from 127.0.0.1:" in err
        assert len(relay.messages) == 2
        code, out, _ = _run(ws, "domain", "check")
        assert code == ExitStatus.FAILED and "not checked" in out


def test_smtp_check_shows_the_domain(tmp_path: Path, dns_server: Callable[[Zone], DnsServer]) -> None:
    server = dns_server(_reject_zone())
    with SmtpTestServer() as relay:
        ws = _workspace(tmp_path, server, smtp=f'url = "smtp://127.0.0.1:{relay.port}?tls=none"')
        code, out, err = _run(ws, "smtp", "check")
        assert code == ExitStatus.OK, out + err
        assert "sending domain hvsp.example:" in out and "SPF of hvsp.example does not let the relay 127.0.0.1 send" in out
        assert "the relay's address 127.0.0.1 is named localhost.hvsp.example (PTR), which does not point back" in out


def test_a_scheduled_send_is_checked_when_it_is_scheduled(tmp_path: Path, dns_server: Callable[[Zone], DnsServer]) -> None:
    # Nobody is at the terminal at the lift: what DMARC would refuse is refused now, and no job is made.
    ws = _workspace(tmp_path, dns_server(_reject_zone()), smtp='url = "smtp://127.0.0.1:2525?tls=none"')
    release = write_release(ws, embargo="2031-01-15T09:00:00+08:00")
    contacts = write_contacts(ws / "contacts" / "list.csv", 2)
    code, out, err = _run(ws, "schedule", str(release), "-c", str(contacts))
    assert code == ExitStatus.BAD_INPUT, out + err
    assert "p=reject" in err and "no job was made" in err.lower() and "--ignore-domain-check" in err
    assert "scheduled job" not in out
    code, out, err = _run(ws, "schedule", str(release), "-c", str(contacts), "--ignore-domain-check")
    assert code == ExitStatus.OK, out + err
    assert "scheduled job" in out and "p=reject" in err  # still said, as a warning
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        (job,) = ledger.jobs.all()
        assert job.options["ignore_domain_check"] is True


def test_a_reverse_lookup_the_server_refuses_leaves_the_rest_of_the_check(
    tmp_path: Path, dns_server: Callable[[Zone], DnsServer]
) -> None:
    """A DNS server that answers for the domain's zones but refuses a reverse name outside them (dnsmasq with no
    upstream, a company's own DNS server) costs the reverse-DNS line only, not the whole check."""
    zone = Zone().txt("hvsp.example", "v=spf1 ip4:192.0.2.10 -all").txt("_dmarc.hvsp.example", "v=DMARC1; p=reject")
    zone.mx("hvsp.example", "mail.hvsp.example").a("mail.hvsp.example", "192.0.2.10")  # no PTR for 127.0.0.1
    server = dns_server(zone)
    ws = _workspace(tmp_path, server, smtp='url = "smtp://127.0.0.1:2525?tls=none"')
    code, out, _ = _run(ws, "domain", "check")
    assert code == ExitStatus.BAD_INPUT, out  # the p=reject finding still stops
    assert "not checked" not in out.split("reverse DNS")[0]
    assert "DMARC of hvsp.example says p=reject" in out
    assert "the reverse DNS of the relay's address 127.0.0.1 was not checked" in out
