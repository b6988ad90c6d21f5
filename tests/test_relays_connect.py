"""One connect path, one reading (issue 19 point 2): ``pressctl smtp check`` (send/probe.py) and ``send`` connect
through the same ``SmtpTransport.connect`` and read every refusal while connecting the same way
(pressctl/relays/connect.py): a 421 or 432 instead of the greeting and Google's ``454 4.7.0 Too many login
attempts`` are *slow down* in both, a 535 a refused login, a certificate that cannot be verified and a refused
connection the same one line in both. Real aiosmtpd servers on 127.0.0.1 answering with the providers' exact
replies (tests/provider_smtp.py); the CLI cases run ``pressctl`` itself."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from engine_support import make_campaign
from provider_smtp import Behaviour, ProviderServer, gmail, microsoft365
from qa_support import one_error_line
from send_support import make_workspace, run_cli, write_contacts, write_release
from smtp_server import make_message, starttls_server

from pressctl.config.smtp import parse_smtp_url
from pressctl.errors import TransportError
from pressctl.relays.actions import Action
from pressctl.relays.connect import Refused, RelayBusy
from pressctl.send.delivery import Delivery, DeliveryOptions
from pressctl.send.engine import deliver
from pressctl.send.probe import probe
from pressctl.send.smtp import SmtpTransport

USER = "press@hvsp.example"
PASSWORD = "harbour-Tide-5521"
POSTFIX_421 = "421 4.7.0 mx.hvsp.test Error: too many connections from 127.0.0.1"
FAST = DeliveryOptions(concurrency=1, throttle_pause=0.01, backoff=0.01, backoff_max=0.02, max_attempts=2)


@dataclass(frozen=True)
class Case:
    """A relay that refuses while connecting: its URL (and password), what the refusal reads as."""

    url: str
    password: str | None
    at_login: bool  # refused at the login (smtp check's first connection, without login, works)
    action: Action  # the reply table's action for it
    busy: bool


@contextmanager
def _provider(behaviour: Behaviour, *, user: bool = False) -> Iterator[str]:
    with ProviderServer(behaviour) as server:
        yield server.url(USER if user else None)


@contextmanager
def _relay(name: str, tmp_path: Path) -> Iterator[Case]:
    if name == "421-at-connect":  # Postfix anvil's reply instead of the greeting
        with _provider(Behaviour(name="postfix", max_connections=0, too_many_connections=POSTFIX_421)) as url:
            yield Case(url, None, False, Action.SLOW_DOWN, True)
    elif name == "432-4.3.2":  # Microsoft 365: a 4th connection at once
        with _provider(microsoft365(max_connections=0, auth_required=False)) as url:
            yield Case(url, None, False, Action.SLOW_DOWN, True)
    elif name == "454-logins":  # Google: too many logins
        with _provider(gmail(max_logins=0, password=PASSWORD), user=True) as url:
            yield Case(url, PASSWORD, True, Action.SLOW_DOWN, True)
    elif name == "535":
        with _provider(gmail(max_logins=None, password=PASSWORD), user=True) as url:
            yield Case(url, "x" + PASSWORD, True, Action.AUTH_FAILED, False)
    elif name == "tls":  # STARTTLS offered, but the certificate is not one this machine trusts
        server, _cafile = starttls_server(tmp_path)
        with server:
            yield Case(server.url(query="tls=starttls"), None, False, Action.RETRY, False)
    elif name == "refused":  # nothing listens on the port
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        yield Case(f"smtp://127.0.0.1:{port}?tls=none&timeout=5", None, False, Action.RETRY, False)
    else:  # pragma: no cover
        raise AssertionError(name)


CASES = ["421-at-connect", "432-4.3.2", "454-logins", "535", "tls", "refused"]


def _transport(case: Case) -> SmtpTransport:
    return SmtpTransport(parse_smtp_url(case.url, password=case.password), sender=USER)


def _refusal_in_check(case: Case) -> Refused:
    """What ``smtp check``'s library call (probe) makes of the relay: the refusal it raises or reports."""
    try:
        report = asyncio.run(probe(_transport(case)))
    except Refused as exc:
        assert not case.at_login
        return exc
    assert case.at_login and report.login_ok is False and report.refusal is not None, report
    assert report.login.endswith(_refusal_in_send(case).what)
    return _refusal_in_send(case)


def _refusal_in_send(case: Case) -> Refused:
    """What ``send``'s transport makes of it when it opens a connection."""
    with pytest.raises(Refused) as caught:
        asyncio.run(_open(_transport(case)))
    return caught.value


async def _open(transport: SmtpTransport) -> None:
    conn = await transport.open()
    await conn.close()


@pytest.mark.parametrize("name", CASES)
def test_smtp_check_and_send_read_a_refusal_while_connecting_alike(name: str, tmp_path: Path) -> None:
    with _relay(name, tmp_path) as case:
        in_check = _refusal_in_check(case)
        in_send = _refusal_in_send(case)
    assert type(in_check) is type(in_send)
    assert isinstance(in_send, RelayBusy) is case.busy
    assert in_check.outcome.action is in_send.outcome.action is case.action
    assert in_check.outcome.verdict == in_send.outcome.verdict
    assert (in_check.what, in_check.hint) == (in_send.what, in_send.hint)
    assert PASSWORD not in in_send.what + (in_send.hint or "")


def test_the_run_reads_a_refusal_while_connecting_as_the_check_does(tmp_path: Path) -> None:
    """The engine acts on the same reading: a slow-down while connecting is throttling (never charged, the
    run stops after the relay said so too often), any other refusal stops the run with the check's line."""
    for name in CASES:
        with _relay(name, tmp_path) as case:
            expected = _refusal_in_send(case)
            ledger, cid = make_campaign(tmp_path / name, ["desk@news.example"])
            transport = _transport(case)
            if case.busy:
                result = asyncio.run(_deliver(transport, ledger, cid))
                assert result.throttled >= 1 and result.sent == 0, name
                assert result.stopped is not None and f"(last: {expected.what})" in result.stopped, result.stopped
            else:
                with pytest.raises(TransportError) as caught:
                    asyncio.run(_deliver(transport, ledger, cid))
                assert caught.value.what == expected.what, name
            assert {r.status for r in ledger.recipients.all(cid)} == {"pending"}  # nobody charged, nobody lost
            assert all(r.attempts == 0 for r in ledger.recipients.all(cid))
            ledger.close()


async def _deliver(transport: SmtpTransport, ledger: object, cid: int) -> object:
    build: Callable[[str], object] = make_message
    return await deliver(
        [Delivery("desk@news.example", "desk@news.example")], build=build,  # type: ignore[arg-type]
        transport=transport, ledger=ledger, campaign_id=cid, options=FAST, rng=random.Random(1),  # type: ignore[arg-type]
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", CASES)
def test_the_commands_say_the_same_line(name: str, tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 2)
    with _relay(name, tmp_path) as case:
        line = _refusal_in_send(case).what
        env = {"PRESSCTL_SMTP_PASSWORD": case.password} if case.password else {}
        check = run_cli(["smtp", "check", "--smtp", case.url], cwd=ws, env=env)
        send = run_cli(
            ["send", str(release), "-c", str(lists), "--smtp", case.url, "--yes", "--rate", "0"], cwd=ws, env=env
        ) if not case.busy else None
    assert check.returncode == 1, check.stdout + check.stderr
    if case.at_login:
        word = "not checked now" if case.busy else "refused"
        assert f"login         {word}: {line}" in check.stdout, check.stdout
    else:
        assert line in one_error_line(check)
    if send is not None:  # (a relay that only ever says "slow down" is tried again and again: see above)
        assert send.returncode == 1 and line in one_error_line(send), send.stderr
    for proc in (check, send):
        if proc is not None:
            assert PASSWORD not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
