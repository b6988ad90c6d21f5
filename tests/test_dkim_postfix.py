"""A message signed by pressctl, delivered through a real Postfix, is verified by OpenDKIM (not the signing
code, not dkimpy) with the key served by a real DNS server (dnsmasq on 127.0.0.1, reached through OpenDKIM's
unbound resolver); the same send, changed by Postfix in transit (a body_checks REPLACE), fails."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dns_support import DnsServer, Zone, dns_server
from postfix_support import PostfixRelay, postfix_relay
from send_support import make_workspace, run_cli, write_contacts, write_release

from pressctl.dkim.keys import load_key
from pressctl.send.signproc import PROCESS_FROM

__all__ = ["dns_server", "postfix_relay"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("opendkim") is None, reason="OpenDKIM not installed (Debian: opendkim, opendkim-tools)"),
]


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder Postfix's daemons (user postfix) can read: pytest's tmp dir is 0700."""
    path = Path(tempfile.mkdtemp(prefix="pressctl-dkim-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _opendkim(folder: Path, server: DnsServer) -> Path:
    """An OpenDKIM configuration that verifies only, asking the test's DNS server (unbound forwards to it)."""
    unbound = folder / "unbound.conf"
    unbound.write_text(
        'server:\n  do-not-query-localhost: no\n  module-config: "iterator"\n'
        f'forward-zone:\n  name: "."\n  forward-addr: 127.0.0.1@{server.port}\n'
    )
    conf = folder / "opendkim.conf"
    conf.write_text(f"Mode v\nSyslog no\nResolverConfiguration {unbound}\nAlwaysAddARHeader yes\n")
    return conf


def _verify(conf: Path, message: Path) -> str:
    """OpenDKIM's verdict on a delivered message: its Authentication-Results dkim= result."""
    done = subprocess.run(["opendkim", "-x", str(conf), "-t", str(message), "-vv"], capture_output=True, text=True, timeout=60)
    for word in ("dkim=pass", "dkim=fail", "dkim=neutral", "dkim=none", "dkim=permerror", "dkim=temperror"):
        if word in done.stdout:
            return word
    raise AssertionError(done.stdout + done.stderr)


@pytest.mark.parametrize(
    ("algorithm", "count"),
    [("rsa", 1), ("ed25519", 1), ("rsa", PROCESS_FROM)],
    ids=["rsa", "ed25519", "rsa-signing-process"],  # a send of PROCESS_FROM or more signs in its child process
)
def test_signed_by_pressctl_verified_by_opendkim_after_postfix(
    algorithm: str, count: int, tmp_path: Path, folder: Path,
    dns_server: Callable[[Zone], DnsServer], postfix_relay: Callable[..., PostfixRelay],
) -> None:
    ws = make_workspace(tmp_path)
    made = run_cli(["dkim", "keygen", "--selector", "press2026", "--algorithm", algorithm], cwd=ws)
    assert made.returncode == 0, made.stderr
    key = load_key(ws / ".pressctl" / "dkim" / "press2026.pem", selector="press2026")
    assert key.txt in made.stdout and "PRIVATE KEY" not in made.stdout + made.stderr
    zone = Zone().txt("press2026._domainkey.hvsp.example", key.txt).txt("_dmarc.hvsp.example", "v=DMARC1; p=reject")
    zone.txt("hvsp.example", "v=spf1 ip4:127.0.0.1 -all").mx("hvsp.example", "mail.hvsp.example")
    server = dns_server(zone)
    # Postfix changes one reader's text in transit: the line that greets them.
    checks = folder / "body_checks"
    checks.write_text("/^Dear Tamper,/ REPLACE Dear Tampered,\n")
    checks.chmod(0o644)
    readers = tuple(f"reporter{i:05d}" for i in range(count))
    relay = postfix_relay(mailboxes=readers, settings={"body_checks": f"regexp:{checks}"})
    config = ws / "pressctl.toml"
    config.write_text(
        config.read_text().replace(
            "[sender]\n", '[sender]\ndkim_key_file = ".pressctl/dkim/press2026.pem"\ndkim_selector = "press2026"\n', 1
        )
        + f'\n[dns]\nnameservers = ["{server.address}"]\n'
    )
    release = write_release(ws)
    contacts = write_contacts(ws / "contacts" / "list.csv", count, domain=relay.domain, extra=[["editor@hvsp.test", "Tamper", "Lee", "HK Daily"]])
    sent = run_cli(["send", str(release), "-c", str(contacts), "--smtp", relay.url, "--yes"], cwd=ws, timeout=120)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "STOP" not in sent.stderr and "DKIM" not in sent.stderr  # the check found the key pressctl signs with
    relay.wait_delivered(timeout=60)
    conf = _opendkim(folder, server)
    changed = relay.maildir("editor")
    assert len(changed) == 1 and b"Dear Tampered," in changed[0].read_bytes()
    for reader in readers:
        (kept,) = relay.maildir(reader)
        assert b"List-Unsubscribe" in kept.read_bytes().partition(b"\n\n")[0]
        assert _verify(conf, kept) == "dkim=pass", reader
    assert _verify(conf, changed[0]) == "dkim=fail"
    assert os.stat(key.path).st_mode & 0o777 == 0o600
    if algorithm != "rsa":
        return  # opendkim-testkey reads RSA private keys only
    # The published record is the key's public half, as OpenDKIM's own key test sees it.
    tested = subprocess.run(
        ["opendkim-testkey", "-x", str(conf), "-d", "hvsp.example", "-s", "press2026", "-k", str(key.path), "-vvv"],
        capture_output=True, text=True, timeout=60,
    )
    assert tested.returncode == 0 and "key OK" in tested.stdout + tested.stderr, tested.stdout + tested.stderr
