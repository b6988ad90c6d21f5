"""The dry run's page shows the sending-domain check (against a real dnsmasq) and SpamAssassin's score for one
message of each language (the real ``spamassassin``, when installed)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from dns_support import DnsServer, Zone, dns_server
from send_support import make_workspace
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._env import Env
from pressctl.errors import ExitStatus

__all__ = ["dns_server"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("spamassassin") is None, reason="spamassassin not installed (Debian: spamassassin)"),
]


def test_the_dry_run_page_shows_the_domain_and_the_spam_score(tmp_path: Path, dns_server: Callable[[Zone], DnsServer]) -> None:
    zone = Zone().txt("hvsp.example", "v=spf1 mx -all").mx("hvsp.example", "mail.hvsp.example")
    server = dns_server(zone)
    ws = make_workspace(tmp_path)
    config = ws / "pressctl.toml"
    config.write_text(config.read_text() + f'\n[dns]\nnameservers = ["{server.address}"]\n')
    out = tmp_path / "preview"
    environ = {"PATH": "/usr/bin:/bin", "PRESSCTL_SPAMASSASSIN": "spamassassin"}
    done = CliRunner().invoke(
        app, ["send", str(ws / "releases" / "sample.md"), "-c", str(ws / "contacts" / "journalists.csv"), "--dry-run", "--out", str(out)],
        obj=Env.for_test(cwd=ws, environ=environ),
    )
    assert done.exit_code == ExitStatus.OK, done.output
    assert "sending domain hvsp.example: 2 ok, 2 warning(s)" in done.stdout
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "sending domain" in page and "has no DMARC record" in page
    for language in ("en", "zh-HK"):
        assert f"SpamAssassin ({language})" in done.stdout and f"SpamAssassin ({language})" in page
    line = next(x for x in done.stdout.splitlines() if x.startswith("SpamAssassin (en)"))
    assert " points (" in line and "ALL_TRUSTED" not in line
