"""The sending-domain check again at a job's lift: a real dnsmasq (tests/dns_support.py), a real relay
(aiosmtpd), real ``pressctl schedule`` and ``pressctl dispatch`` on a manual clock at the lift.

Records change between scheduling and the lift; the dispatcher asks DNS again, with ``[dns]`` as it is now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from dns_support import DnsServer, Zone, closed_port, dns_server
from send_support import make_workspace, write_contacts, write_release
from smtp_server import SmtpTestServer
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._env import Env
from pressctl.clock import ManualClock, system_clock
from pressctl.errors import ExitStatus
from pressctl.ledger import Ledger

__all__ = ["dns_server"]

pytestmark = pytest.mark.slow  # a real dnsmasq and a real relay per test

EMBARGO = "2031-01-15T09:00:00+08:00"
LIFT = dt.datetime(2031, 1, 15, 1, 0, 1, tzinfo=dt.UTC)  # a second after it
REJECT = "DMARC of hvsp.example says p=reject and neither SPF nor DKIM aligns with it"


def _zone(*, spf: str) -> Zone:
    """hvsp.example with DMARC p=reject; ``spf`` decides whether the relay at 127.0.0.1 aligns. The relay's
    name both ways (dnsmasq refuses a name outside its zones, which the check reads as no DNS answering)."""
    zone = Zone().txt("hvsp.example", spf).txt("_dmarc.hvsp.example", "v=DMARC1; p=reject")
    zone.mx("hvsp.example", "mail.hvsp.example").a("mail.hvsp.example", "127.0.0.1")
    return zone.ptr("127.0.0.1", "mail.hvsp.example")


ALIGNED = "v=spf1 ip4:127.0.0.1 -all"  # the relay may send for hvsp.example: SPF aligns, DMARC passes
UNALIGNED = "v=spf1 ip4:192.0.2.10 -all"  # a later edit dropped the relay: every receiver refuses


def _workspace(tmp_path: Path, nameserver: str, relay: SmtpTestServer) -> Path:
    ws = make_workspace(tmp_path)
    config = ws / "pressctl.toml"
    text = config.read_text(encoding="utf-8")
    text += f'\n[dns]\nnameservers = ["{nameserver}"]\ntimeout = 1\n'
    text += f'\n[smtp]\nurl = "smtp://127.0.0.1:{relay.port}?tls=none"\n'
    config.write_text(text, encoding="utf-8")
    return ws


def _point_dns_at(ws: Path, nameserver: str) -> None:
    config = ws / "pressctl.toml"
    text = config.read_text(encoding="utf-8")
    start = text.index("nameservers = [")
    end = text.index("]", start)
    config.write_text(text[:start] + f'nameservers = ["{nameserver}"' + text[end:], encoding="utf-8")


def _run(ws: Path, *args: str, at: dt.datetime | None = None) -> tuple[int, str, str]:
    clock = ManualClock(at) if at is not None else system_clock
    result = CliRunner().invoke(app, list(args), obj=Env.for_test(cwd=ws, environ={}, clock=clock))
    return result.exit_code, result.stdout, result.stderr


def _schedule(ws: Path, release: Path, contacts: Path, *extra: str) -> str:
    code, out, err = _run(ws, "schedule", str(release), "-c", str(contacts), *extra)
    assert code == ExitStatus.OK, out + err
    return out.split()[-1]  # the job id is printed last


def _jobs(ws: Path) -> dict[str, tuple[str, str]]:
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        return {job.id: (job.state, job.error or "") for job in ledger.jobs.all()}


def test_a_dmarc_that_refuses_at_the_lift_fails_that_job_and_the_others_go_on(
    tmp_path: Path, dns_server: Callable[[Zone], DnsServer]
) -> None:
    good = dns_server(_zone(spf=ALIGNED))
    with SmtpTestServer() as relay:
        ws = _workspace(tmp_path, good.address, relay)
        contacts = write_contacts(ws / "contacts" / "list.csv", 2)
        checked = _schedule(ws, write_release(ws, name="tidal.md", embargo=EMBARGO), contacts)
        anyway = _schedule(ws, write_release(ws, name="fellows.md", embargo=EMBARGO), contacts, "--ignore-domain-check")

        # Before the lift the relay is dropped from SPF: DMARC p=reject now refuses mail from it.
        _point_dns_at(ws, dns_server(_zone(spf=UNALIGNED)).address)
        code, out, err = _run(ws, "dispatch", at=LIFT)
        assert code == ExitStatus.FAILED, out + err

        lines = out.splitlines()
        (failed,) = [x for x in lines if checked in x and " failed " in f"{x} "]
        assert "dispatch refused: " + REJECT in failed and "--ignore-domain-check" in failed, failed
        assert f"pressctl schedule run {checked}" in failed, failed
        assert not [x for x in lines if checked in x and " done" in x], out
        # The job scheduled with --ignore-domain-check went, the finding shown as a warning with its record.
        assert [x for x in lines if anyway in x and " warning " in x and REJECT in x], out
        assert [x for x in lines if anyway in x and " done" in x], out
        assert len(relay.messages) == 2
        assert "Traceback" not in out + err

    jobs = _jobs(ws)
    assert jobs[checked][0] == "failed" and REJECT in jobs[checked][1]
    assert jobs[anyway][0] == "done"


@pytest.mark.parametrize("server", ["answering", "gone"])
def test_a_job_the_check_does_not_stop_is_sent_and_no_dns_server_only_warns(
    tmp_path: Path, dns_server: Callable[[Zone], DnsServer], server: str
) -> None:
    with SmtpTestServer() as relay:
        ws = _workspace(tmp_path, dns_server(_zone(spf=ALIGNED)).address, relay)
        job = _schedule(ws, write_release(ws, embargo=EMBARGO), write_contacts(ws / "contacts" / "list.csv", 2))
        gone = f"127.0.0.1:{closed_port()}"
        if server == "gone":  # nothing answers at the lift: the check cannot be made, the job goes
            _point_dns_at(ws, gone)
        code, out, err = _run(ws, "dispatch", at=LIFT)
        assert code == ExitStatus.OK, out + err
        warned = [x for x in out.splitlines() if job in x and " warning " in x]
        if server == "gone":
            (line,) = warned
            assert f"the sending domain was not checked: no answer from {gone}" in line, line
        else:
            assert "p=reject" not in out and "dispatch refused" not in out and "not checked" not in out, out
        assert [x for x in out.splitlines() if job in x and " done" in x], out
        assert len(relay.messages) == 2
    assert _jobs(ws)[job][0] == "done"
