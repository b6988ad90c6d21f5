"""A real DNS server for tests: Debian's dnsmasq on 127.0.0.1:<free port>, serving only the records a test
writes (no upstream, no /etc/hosts), and answering NXDOMAIN for any other name in the zones' domains.

Usage (the ``dns_server`` fixture is a factory; every server it starts is stopped at teardown)::

    def test_x(dns_server):
        zone = Zone()
        zone.txt("hvsp.example", "v=spf1 ip4:127.0.0.1 -all")
        zone.mx("hvsp.example", "mail.hvsp.example")
        server = dns_server(zone)
        ... [dns] nameservers = [server.address] ...

Skipped with a reason when dnsmasq is not installed (Debian package ``dnsmasq-base``, see scripts/dev).
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import pytest
from wait_support import wait_for

__all__ = ["DNSMASQ", "DnsServer", "Zone", "closed_port", "dns_server"]

DNSMASQ = "/usr/sbin/dnsmasq"


def _quoted(text: str) -> str:
    """A TXT value as dnsmasq's conf file takes it: strings of at most 255 characters, quoted."""
    chunks = [text[i : i + 255] for i in range(0, len(text), 255)] or [""]
    return ",".join('"' + c.replace("\\", "\\\\").replace('"', '\\"') + '"' for c in chunks)


@dataclass
class Zone:
    """The records a test serves."""

    lines: list[str] = field(default_factory=list)
    domains: set[str] = field(default_factory=set)

    def _domain(self, name: str) -> None:
        labels = name.lower().rstrip(".").split(".")
        self.domains.add(".".join(labels[-2:]))

    def txt(self, name: str, text: str) -> Zone:
        self._domain(name)
        self.lines.append(f"txt-record={name},{_quoted(text)}")
        return self

    def a(self, name: str, address: str) -> Zone:
        self._domain(name)
        self.lines.append(f"host-record={name},{address}")
        return self

    def mx(self, domain: str, exchanger: str, preference: int = 10) -> Zone:
        self._domain(domain)
        self.lines.append(f"mx-host={domain},{exchanger},{preference}")
        return self

    def ptr(self, address: str, name: str) -> Zone:
        reverse = ipaddress.ip_address(address).reverse_pointer
        self._domain(reverse)
        self.lines.append(f"ptr-record={reverse},{name}")
        return self

    def config(self, port: int) -> str:
        base = [
            f"port={port}", "listen-address=127.0.0.1", "bind-interfaces", "no-resolv", "no-hosts", "no-poll",
            "keep-in-foreground", "pid-file=", "log-facility=-",
        ]
        # An authoritative answer (NXDOMAIN, no data) for every name under the zones' domains, none forwarded.
        local = [f"local=/{d}/" for d in sorted(self.domains)]
        return "\n".join([*base, *local, *self.lines, ""])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        port = int(udp.getsockname()[1])
    with socket.socket() as tcp:  # dnsmasq listens on TCP as well
        tcp.bind(("127.0.0.1", port))
    return port


def closed_port() -> int:
    """A loopback port nothing listens on (a DNS server that is not there)."""
    return _free_port()


@dataclass
class DnsServer:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``, as ``[dns] nameservers`` takes it."""
        return f"127.0.0.1:{self.port}"

    def answers(self) -> bool:
        query = dns.message.make_query("dnsmasq.ready.invalid", "TXT")
        try:
            response = dns.query.udp(query, "127.0.0.1", port=self.port, timeout=0.5)
        except (OSError, dns.exception.Timeout):
            return False
        return response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN, dns.rcode.REFUSED)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture
def dns_server() -> Iterator[Callable[[Zone], DnsServer]]:
    """A factory: ``dns_server(zone) -> DnsServer``, answering; all are stopped at teardown."""
    if shutil.which(DNSMASQ) is None:
        pytest.skip("dnsmasq not installed (Debian: dnsmasq-base)")
    started: list[DnsServer] = []
    folders: list[Path] = []

    def start(zone: Zone) -> DnsServer:
        folder = Path(tempfile.mkdtemp(prefix="pressctl-dns-"))
        folders.append(folder)
        port = _free_port()
        conf = folder / "dnsmasq.conf"
        conf.write_text(zone.config(port), encoding="utf-8")
        conf.chmod(0o644)
        folder.chmod(0o755)  # dnsmasq drops to nobody after reading it
        log = folder / "dnsmasq.log"
        with log.open("wb") as out:
            process = subprocess.Popen([DNSMASQ, f"--conf-file={conf}"], stdout=out, stderr=subprocess.STDOUT)
        server = DnsServer(port=port, process=process, log=log)
        started.append(server)
        if not wait_for(lambda: server.answers() or process.poll() is not None, 15) or process.poll() is not None:
            raise AssertionError(f"dnsmasq did not start: {log.read_text(errors='replace')}")
        return server

    yield start
    for server in started:
        server.stop()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
