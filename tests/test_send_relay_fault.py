"""Failures that are the relay's, not the journalist's (issue 18, item 3), through ``pressctl send`` and a real
aiosmtpd server: a relay answering ``500 Error: (FileNotFoundError)`` to everyone stops the run with everyone
pending (a plain re-run sends them once it is fixed); ``--retry-failed`` tries the rows that really failed
(never a bounce); with several relays the broken one leaves rotation and the others send."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import SmtpTestServer

from pressctl.ledger import Ledger

pytestmark = pytest.mark.slow

BROKEN = "data:500 Error: (FileNotFoundError) [Errno 2] No such file or directory: '/var/spool/relay/q{n}'"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


def _totals(ws: Path) -> dict[str, int]:
    with Ledger(ws / ".pressctl" / "ledger.sqlite3") as ledger:
        latest = ledger.campaigns.latest()
        assert latest is not None
        return {k: v for k, v in ledger.recipients.totals(latest.id).items() if v}


def _break(server: SmtpTestServer, addresses: list[str]) -> None:
    for n, address in enumerate(addresses):  # a different file name each time: still "the same reply"
        server.script(address, BROKEN.format(n=n))


@pytest.mark.parametrize("count", [2, 4, 6])
def test_a_relay_refusing_everyone_alike_leaves_them_pending_and_a_rerun_sends_them(ws: Path, count: int) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", count)
    addresses = [f"reporter{i:05d}@news.example" for i in range(count)]
    with SmtpTestServer() as server:
        _break(server, addresses)
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes"]
        first = run_cli(args, cwd=ws)
        assert first.returncode == 1, first.stdout + first.stderr
        assert "that is the relay's fault, not the journalists'" in first.stderr, first.stderr
        assert "500 Error: (FileNotFoundError)" in first.stderr
        assert "run the same command again" in first.stderr
        assert _totals(ws) == {"pending": count}  # nobody failed for good
        assert "failed" not in first.stdout
        # The relay is fixed (the scripts were one attempt each): the same command sends them, once each.
        again = run_cli(args, cwd=ws)
        assert again.returncode == 0, again.stdout + again.stderr
        assert f"campaign #1: {count} sent" in again.stdout
        delivered = Counter(m.rcpt for m in server.accepted)
    assert sorted(delivered) == addresses and set(delivered.values()) == {1}


def test_one_500_among_accepted_messages_is_that_recipients_failure(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 6)
    with SmtpTestServer() as server:
        server.script("reporter00003@news.example", BROKEN.format(n=0))
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--concurrency", "1"]
        first = run_cli(args, cwd=ws)
        assert first.returncode == 1
        assert "campaign #1: 5 sent, 1 failed" in first.stdout, first.stdout
        assert "--retry-failed" in first.stdout  # the summary of a run with failures names the option
        retried = run_cli([*args, "--retry-failed"], cwd=ws)
        assert retried.returncode == 0, retried.stdout + retried.stderr
        assert "campaign #1: 6 sent" in retried.stdout


def test_retry_failed_tries_real_failures_again_but_never_a_bounce(ws: Path) -> None:
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 6)
    with SmtpTestServer() as server:
        server.script("reporter00001@news.example", "data:554 5.6.0 Message content rejected")
        server.script("reporter00002@news.example", "data:554 Transaction failed")
        server.script("reporter00004@news.example", "550 5.1.1 No such user here")
        args = ["send", str(release), "-c", str(lists), "--smtp", server.url(), "--yes", "--concurrency", "1"]
        first = run_cli(args, cwd=ws)
        assert first.returncode == 1
        assert "campaign #1: 3 sent, 3 failed" in first.stdout, first.stdout
        assert "--retry-failed" in first.stdout
        plain = run_cli(args, cwd=ws)  # failures for good are not tried by a plain re-run
        assert "campaign #1: 3 sent, 3 failed" in plain.stdout
        assert server.attempts("reporter00001@news.example") == 1
        retried = run_cli([*args, "--retry-failed"], cwd=ws)
        assert retried.returncode == 1, retried.stdout + retried.stderr
        assert "2 failed tried again (--retry-failed)" in retried.stdout, retried.stdout
        assert "campaign #1: 5 sent, 1 failed" in retried.stdout
        assert server.attempts("reporter00004@news.example") == 1  # the bounce: suppressed, never again
        assert {m.rcpt for m in server.accepted} >= {"reporter00001@news.example", "reporter00002@news.example"}


def test_with_several_relays_the_broken_one_leaves_rotation_and_the_other_sends(ws: Path) -> None:
    release = write_release(ws)
    count = 12
    lists = write_contacts(ws / "contacts" / "list.csv", count)
    with SmtpTestServer(default=BROKEN.format(n="x")) as broken, SmtpTestServer() as good:
        args = [
            "send", str(release), "-c", str(lists), "--smtp", broken.url(), "--smtp", good.url(), "--yes",
            "--concurrency", "1",
        ]
        proc = run_cli(args, cwd=ws)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"campaign #1: {count} sent" in proc.stdout
        assert "left rotation: the relay refused" in proc.stdout and "the other relays take the rest" in proc.stdout
        delivered = Counter(m.rcpt for m in good.accepted)
    assert len(delivered) == count and set(delivered.values()) == {1}
    assert broken.accepted == []
