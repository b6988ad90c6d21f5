"""Several relays in one run (issue 11, point 5), against real aiosmtpd servers on 127.0.0.1: messages spread
over them, a relay that fails leaves rotation while the others finish, nobody is sent twice (Message-IDs
counted across every server), unknown outcomes retried only through the relay that had them, SIZE routing,
connect-time 421 as a slow-down, the ledger's relay column, configuration and the CLI end to end."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import sqlite3
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_support import make_campaign
from send_support import PRESSCTL, make_workspace, run_cli, write_contacts, write_release
from smtp_server import _SMTP, SmtpTestServer, make_message
from wait_support import wait_for

from pressctl.config import load_workspace
from pressctl.config.smtp import parse_smtp_url
from pressctl.errors import ConfigError
from pressctl.ledger import Ledger
from pressctl.ledger.records import RecipientRow
from pressctl.model import OutgoingMessage
from pressctl.relays.actions import judge
from pressctl.send.delivery import Delivery, DeliveryOptions, DeliveryResult, Lane
from pressctl.send.engine import deliver
from pressctl.send.options import SendOptions
from pressctl.send.smtp import SmtpTransport

pytest_plugins = ["postfix_support"]  # the postfix_relay fixture (a real Postfix; skipped when not root)

FAST = DeliveryOptions(concurrency=2, backoff=0.05, backoff_max=0.2, max_attempts=4, throttle_pause=0.1)
QUOTA = "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message"


# -- helpers ---------------------------------------------------------------------------------------------

def _lane(server: SmtpTestServer, *, user: str | None = None, password: str | None = None, **kw: Any) -> Lane:
    settings = parse_smtp_url(server.url(user=user, query="timeout=5"), password=password)
    transport = SmtpTransport(settings, sender="press@hvsp.example", local_hostname="press.hvsp.test")
    return Lane(transport, name=transport.account, label=transport.account, **kw)


def _deliver(
    ledger: Ledger,
    cid: int,
    addresses: list[str],
    lanes: list[Lane],
    *,
    options: DeliveryOptions = FAST,
    build: Callable[[str], OutgoingMessage] | None = None,
    progress: Callable[[Any], None] | None = None,
) -> DeliveryResult:
    def plain(rcpt: str) -> OutgoingMessage:
        return make_message(rcpt)  # type: ignore[no-any-return]

    return asyncio.run(
        deliver(
            [Delivery(a, a) for a in addresses], build=build or plain, lanes=lanes, ledger=ledger,
            campaign_id=cid, options=options, progress=progress,
        )
    )


def _addresses(n: int) -> list[str]:
    return [f"reporter{i:03d}@news.example" for i in range(n)]


def _accepted_ids(*servers: SmtpTestServer) -> collections.Counter[str]:
    return collections.Counter(m.message_id for s in servers for m in s.accepted)


def _relay_of(ledger: Ledger, cid: int) -> dict[str, str | None]:
    return {r.key: r.relay for r in ledger.recipients.all(cid)}


# -- spreading and nobody twice ----------------------------------------------------------------------------
def test_messages_spread_over_two_relays_each_recipient_once_and_the_ledger_says_which(tmp_path: Path) -> None:
    addresses = _addresses(40)
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer(default="slow:0.01") as a, SmtpTestServer(default="slow:0.01") as b:
        lane_a, lane_b = _lane(a), _lane(b)
        result = _deliver(ledger, cid, addresses, [lane_a, lane_b])
        ids = _accepted_ids(a, b)
        assert result.sent == 40 and result.stopped is None
        assert len(ids) == 40 and max(ids.values()) == 1  # everyone, exactly once, across both servers
        assert a.accepted and b.accepted  # both carried part of the list
        where = _relay_of(ledger, cid)
        assert {where[m.rcpt] for m in a.accepted} == {lane_a.name}
        assert {where[m.rcpt] for m in b.accepted} == {lane_b.name}
        assert [r.sent for r in result.relays] == [len(a.accepted), len(b.accepted)]
        # The rolling daily cap counts each hand-over under the relay that took it.
        since = ledger.clock() - __import__("datetime").timedelta(hours=1)
        assert len(ledger.caps.handovers(lane_a.name or "", since=since)) == len(a.accepted)
        assert len(ledger.caps.handovers(lane_b.name or "", since=since)) == len(b.accepted)
    ledger.close()


def test_a_relay_refusing_the_login_leaves_rotation_and_the_other_finishes(tmp_path: Path) -> None:
    addresses = _addresses(12)
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer(auth=("press", "right")) as a, SmtpTestServer() as b:
        result = _deliver(ledger, cid, addresses, [_lane(a, user="press", password="wrong"), _lane(b)])
        assert result.sent == 12 and result.stopped is None
        assert not a.accepted and len(_accepted_ids(b)) == 12
        assert result.relays[0].left and "refused the login" in result.relays[0].left
        assert result.relays[1].left is None
    ledger.close()


def test_a_relay_saying_stop_for_now_leaves_rotation_and_nobody_is_lost(tmp_path: Path) -> None:
    addresses = _addresses(15)
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer(default=QUOTA) as a, SmtpTestServer(default="slow:0.01") as b:
        result = _deliver(ledger, cid, addresses, [_lane(a), _lane(b)])
        assert result.sent == 15 and result.stopped is None
        assert len(_accepted_ids(b)) == 15 and not a.accepted
        assert "stop for now" in (result.relays[0].left or "")
        records = {r.key: r for r in ledger.recipients.all(cid)}
        assert all(r.status == "sent" and r.attempts == 1 for r in records.values())  # the quota charged nobody
    ledger.close()


def test_a_relay_stopped_mid_run_leaves_rotation_and_the_other_finishes(tmp_path: Path) -> None:
    addresses = _addresses(60)
    ledger, cid = make_campaign(tmp_path, addresses)
    b = SmtpTestServer(default="slow:0.02").start()
    stopped = threading.Event()
    killer = threading.Thread(target=b.stop)  # B dies under the run

    def progress(p: Any) -> None:
        if p.sent >= 10 and not stopped.is_set():
            stopped.set()
            killer.start()

    with SmtpTestServer(default="slow:0.02") as a:
        lanes = [_lane(a), _lane(b)]
        try:
            result = _deliver(ledger, cid, addresses, lanes, progress=progress)
        finally:
            if stopped.is_set():
                killer.join(10)
            else:
                b.stop()
        assert stopped.is_set()
        ids = _accepted_ids(a, b)
        assert max(ids.values()) == 1  # nobody twice across both servers
        assert result.relays[1].left is not None and result.relays[0].left is None
        records = {r.key: r for r in ledger.recipients.all(cid)}
        unknown = [r for r in records.values() if r.status == "unknown"]
        # Everyone else went; a message in flight at B's death stays unknown at B (never re-sent through A).
        assert {r.status for r in records.values()} <= {"sent", "unknown"}
        assert all(r.relay == lanes[1].name for r in unknown)
        assert not [m for m in a.accepted if records[m.rcpt].status != "sent"]
        assert result.sent + len(unknown) == 60
    ledger.close()


def test_no_relay_left_stops_with_each_relays_reason_and_everyone_left_pending(tmp_path: Path) -> None:
    addresses = _addresses(6)
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer(default=QUOTA) as a, SmtpTestServer(auth=("press", "right")) as b:
        result = _deliver(ledger, cid, addresses, [_lane(a), _lane(b, user="press", password="wrong")])
        assert result.sent == 0 and result.stopped is not None
        assert result.stopped.startswith("no relay is left")
        assert "stop for now" in result.stopped and "refused the login" in result.stopped
        assert {r.status for r in ledger.recipients.all(cid)} == {"pending"}
    ledger.close()


def test_an_unknown_outcome_is_retried_only_through_the_relay_that_had_it(tmp_path: Path) -> None:
    addresses = _addresses(8)
    ledger, cid = make_campaign(tmp_path, addresses)
    tricky = addresses[3]
    with SmtpTestServer() as a, SmtpTestServer() as b:
        for server in (a, b):
            server.script(tricky, "drop-after-data", "250")  # whichever gets it first drops it after DATA
        result = _deliver(ledger, cid, addresses, [_lane(a), _lane(b)])
        assert result.sent == 8 and result.repeated == 1
        first, other = (a, b) if a.attempts(tricky) else (b, a)
        assert first.attempts(tricky) == 2 and other.attempts(tricky) == 0  # both tries at the same relay
        got = [m for m in first.messages if m.rcpt == tricky]
        assert len({m.message_id for m in got}) == 1  # the same Message-ID both times
    ledger.close()


def test_a_message_larger_than_a_relays_size_goes_through_one_that_takes_it(tmp_path: Path) -> None:
    addresses = _addresses(10)
    big = {addresses[2], addresses[7]}
    ledger, cid = make_campaign(tmp_path, addresses)

    def build(rcpt: str) -> OutgoingMessage:
        message: OutgoingMessage = make_message(rcpt)
        if rcpt in big:
            padding = b"\r\n".join([b"x" * 70] * 200)  # ~14 KB
            message = OutgoingMessage(rcpt, message.message_id, "en", bytes(message.data) + padding + b"\r\n")
        return message

    with SmtpTestServer(size_limit=4000) as small, SmtpTestServer() as large:
        result = _deliver(ledger, cid, addresses, [_lane(small), _lane(large)], build=build)
        assert result.sent == 10 and result.stopped is None
        assert not {m.rcpt for m in small.accepted} & big
        assert big <= {m.rcpt for m in large.accepted}
        assert max(_accepted_ids(small, large).values()) == 1
        assert result.relays[0].left is None  # it kept the messages it takes
    ledger.close()


class _BusySMTP(_SMTP):
    """Refuses connections beyond the owner's ``max_active`` with Postfix's 421 at the greeting."""

    def connection_made(self, transport: Any) -> None:
        owner: Any = self._owner
        with owner._state.lock:
            owner.active += 1
            self._refuse = owner.active > owner.max_active
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        owner: Any = self._owner
        with owner._state.lock:
            owner.active -= 1
        super().connection_lost(exc)

    async def _handle_client(self) -> None:
        if self._refuse:
            owner: Any = self._owner
            owner.busy_refusals += 1
            await self.push("421 4.7.0 mx.hvsp.test Error: too many connections from 127.0.0.1")
            if self.transport is not None:
                self.transport.close()
            return
        await super()._handle_client()


class BusyServer(SmtpTestServer):
    def __init__(self, max_active: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_active = max_active
        self.active = 0
        self.busy_refusals = 0

    def _factory(self) -> Any:
        smtp = super()._factory()
        smtp.__class__ = _BusySMTP
        return smtp


def test_a_421_at_connect_is_a_slow_down_for_that_relay_and_the_run_finishes(tmp_path: Path) -> None:
    addresses = _addresses(20)
    ledger, cid = make_campaign(tmp_path, addresses)
    options = DeliveryOptions(concurrency=3, backoff=0.05, backoff_max=0.2, throttle_pause=0.1)
    busy: Any
    with BusyServer(1, default="slow:0.01") as busy, SmtpTestServer(default="slow:0.01") as calm:
        result = _deliver(ledger, cid, addresses, [_lane(busy), _lane(calm)], options=options)
        assert result.sent == 20 and result.stopped is None
        assert busy.busy_refusals >= 1 and result.relays[0].throttled >= 1
        assert result.relays[0].left is None and result.relays[1].throttled == 0  # only the one that said it
        assert busy.accepted  # it kept working with the one connection it allows
        assert max(_accepted_ids(busy, calm).values()) == 1
    ledger.close()


def test_a_421_at_connect_with_a_single_relay_slows_down_instead_of_failing(tmp_path: Path) -> None:
    addresses = _addresses(8)
    ledger, cid = make_campaign(tmp_path, addresses)
    options = DeliveryOptions(concurrency=3, backoff=0.05, backoff_max=0.2, throttle_pause=0.1)
    busy: Any
    with BusyServer(1) as busy:
        result = _deliver(ledger, cid, addresses, [_lane(busy)], options=options)
        assert result.sent == 8 and result.stopped is None and result.throttled >= 1
    ledger.close()


def test_a_relays_daily_budget_used_up_leaves_rotation_quietly(tmp_path: Path) -> None:
    addresses = _addresses(10)
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer() as a, SmtpTestServer() as b:
        result = _deliver(ledger, cid, addresses, [_lane(a, budget=3), _lane(b)])
        assert result.sent == 10 and result.stopped is None
        assert len(a.accepted) <= 3 and len(_accepted_ids(a, b)) == 10
    ledger.close()


def test_unreachable_relay_from_the_start_while_the_other_works(tmp_path: Path) -> None:
    addresses = _addresses(5)
    ledger, cid = make_campaign(tmp_path, addresses)
    with SmtpTestServer() as dead:
        dead_lane = _lane(dead)
    with SmtpTestServer() as b:
        result = _deliver(ledger, cid, addresses, [dead_lane, _lane(b)])
        assert result.sent == 5 and "cannot connect" in (result.relays[0].left or "")
    ledger.close()


# -- ledger --------------------------------------------------------------------------------------------------
def test_hand_overs_count_under_the_rows_relay_or_the_campaigns_for_rows_without_one(tmp_path: Path) -> None:
    import datetime as dt

    with Ledger(tmp_path / "l.sqlite3") as ledger:
        cid = ledger.campaigns.create(
            fingerprint="f", release_path="r", slug="s", title="t", lists=[], options={}
        ).id
        ledger.recipients.add(cid, [RecipientRow(key=k, email=k) for k in ("a@x.test", "b@x.test")])
        ledger.caps.set_campaign_relay(cid, "smtp://old:25")
        ledger.recipients.mark_sending(cid, "a@x.test", "<1@x>")  # no relay given: the campaign's
        ledger.recipients.mark_sending(cid, "b@x.test", "<2@x>", relay="smtp://new:25")
        since = ledger.clock() - dt.timedelta(hours=1)
        assert len(ledger.caps.handovers("smtp://old:25", since=since)) == 1
        assert len(ledger.caps.handovers("smtp://new:25", since=since)) == 1
        assert ledger.recipients.get(cid, "b@x.test").relay == "smtp://new:25"  # type: ignore[union-attr]


# -- configuration -------------------------------------------------------------------------------------------
def _toml(ws: Path, text: str) -> None:
    with (ws / "pressctl.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + text + "\n")


def test_smtp_relays_tables_with_settings_falling_back_to_smtp_then_the_profile(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    _toml(ws, """
[smtp]
rate = "30/min"

[[smtp.relays]]
url = "smtp://press@hvsp.example@smtp.office365.com:587"

[[smtp.relays]]
url = "smtp://relay.hvsp.example:25"
concurrency = 2
daily_cap = 500
password_env = "HVSP_RELAY2"
""")
    workspace = load_workspace(ws)
    specs = SendOptions().relays(workspace)
    assert [s.account for s in specs] == ["smtp://press@hvsp.example@smtp.office365.com:587", "smtp://relay.hvsp.example:25"]
    first, second = specs
    assert first.limits.profile.name == "microsoft365" and first.limits.connections.value == 3
    assert str(first.limits.rate.value) == "30/min" and first.limits.rate.origin == "pressctl.toml"
    assert second.limits.connections.value == 2 and second.limits.daily_cap.value == 500
    assert second.password_env == "HVSP_RELAY2"
    # --smtp replaces both, and the command line's limits apply to each relay.
    cli = SendOptions(smtp_urls=("smtp://127.0.0.1:2525", "smtp://127.0.0.1:2526"), concurrency=1)
    assert [s.limits.connections.value for s in cli.relays(workspace)] == [1, 1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[smtp]\nurl = "smtp://a.example:25"\n[[smtp.relays]]\nurl = "smtp://b.example:25"', "both url and [[smtp.relays]]"),
        ('[[smtp.relays]]\nurl = "smtp://b.example:25"\nconcurency = 2', "did you mean 'concurrency'"),
        ('[[smtp.relays]]\nurl = "smtp://b.example:25"\npassword = "x"', "must not be stored in a file"),
        ('[[smtp.relays]]\nprofile = "gmail"', "smtp.relays[1] has no url"),
        ('[[smtp.relays]]\nurl = "ftp://b.example"', "smtp.relays[1].url"),
        ('[[smtp.relays]]\nurl = "smtp://b.example:25"\nrate = "fast"', "smtp.relays[1].rate 'fast' is not a rate"),
    ],
)
def test_bad_relay_tables_are_one_clear_config_error(tmp_path: Path, text: str, expected: str) -> None:
    ws = make_workspace(tmp_path)
    _toml(ws, text)
    with pytest.raises(ConfigError) as caught:
        load_workspace(ws)
    assert expected in caught.value.what + (caught.value.hint or "")


def test_a_job_keeps_its_smtp_values_and_old_jobs_with_one_string_still_read() -> None:
    new = SendOptions.from_mapping({"smtp": ["smtp://a.example:25", "smtp://b.example:25"]})
    assert new.relay_urls == ("smtp://a.example:25", "smtp://b.example:25")
    assert SendOptions.from_mapping(new.to_mapping()).relay_urls == new.relay_urls
    old = SendOptions.from_mapping({"smtp": "smtp://a.example:25"})
    assert old.relay_urls == ("smtp://a.example:25",)
    assert SendOptions.from_mapping({"smtp_url": "smtp://a.example:25"}).relay_urls == ("smtp://a.example:25",)


# -- the CLI end to end --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_send_with_two_relays_summary_verdict_and_report(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 20)
    with SmtpTestServer(default="slow:0.01") as a, SmtpTestServer(default="slow:0.01") as b:
        proc = run_cli(
            ["send", str(release), "-c", str(lists), "--smtp", a.url(), "--smtp", b.url(), "--concurrency", "2", "--yes"],
            cwd=ws,
        )
        assert proc.returncode == 0, proc.stderr
        ids = _accepted_ids(a, b)
        assert len(ids) == 20 and max(ids.values()) == 1 and a.accepted and b.accepted
    assert f"relay 1         smtp://{a.host}:{a.port}" in proc.stdout
    assert "  2 connections --concurrency 2 (command line)" in proc.stdout
    assert f"relay 2 (smtp://{b.host}:{b.port}): {len(b.accepted)} sent" in proc.stdout
    report = run_cli(["report", "--format", "json"], cwd=ws)
    assert report.returncode == 0, report.stderr
    rows = json.loads(report.stdout)["recipients"]
    by_relay = collections.Counter(r["relay"] for r in rows)
    assert by_relay == {f"smtp://{a.host}:{a.port}": len(a.accepted), f"smtp://{b.host}:{b.port}": len(b.accepted)}
    table = run_cli(["report"], cwd=ws)
    assert f"relay     smtp://{a.host}:{a.port}: {len(a.accepted)} sent" in table.stdout


@pytest.mark.slow
def test_send_refuses_up_front_when_no_relay_takes_the_largest_message(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 3)
    with SmtpTestServer(size_limit=1000) as a, SmtpTestServer(size_limit=2000) as b:
        proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", a.url(), "--smtp", b.url(), "--yes"], cwd=ws)
        assert proc.returncode == 2, proc.stderr
        assert "largest of the 2 relays" in proc.stderr and "nothing was sent" in proc.stderr
        assert not a.messages and not b.messages
    assert not (ws / ".pressctl" / "ledger.sqlite3").exists() or not sqlite3.connect(
        ws / ".pressctl" / "ledger.sqlite3"
    ).execute("SELECT COUNT(*) FROM recipients WHERE status = 'sent'").fetchone()[0]


@pytest.mark.slow
def test_smtp_check_reports_every_relay_and_names_the_one_that_fails(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    with SmtpTestServer() as dead:
        dead_url = dead.url()
    with SmtpTestServer(size_limit=50_000) as a:
        proc = run_cli(["smtp", "check", "--smtp", a.url(), "--smtp", dead_url], cwd=ws)
    assert proc.returncode == 1
    assert "-- relay 1 of 2 --" in proc.stdout and "-- relay 2 of 2 --" in proc.stdout
    assert "50,000 bytes" in proc.stdout
    assert f"relay 2 (smtp://{dead.host}:{dead.port}) unreachable" in proc.stderr


@pytest.mark.slow
def test_a_killed_send_with_two_relays_resumes_and_nobody_gets_it_twice(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 60)
    ledger_path = ws / ".pressctl" / "ledger.sqlite3"
    with SmtpTestServer(default="slow:0.05") as a, SmtpTestServer(default="slow:0.05") as b:
        args = ["send", str(release), "-c", str(lists), "--smtp", a.url(), "--smtp", b.url(), "--concurrency", "2", "--yes"]
        env = {k: v for k, v in os.environ.items() if k != "PRESSCTL_SMTP_PASSWORD"}
        proc = subprocess.Popen([*PRESSCTL, *args], cwd=ws, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: len(a.accepted) + len(b.accepted) >= 15, 60, every=0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        with sqlite3.connect(ledger_path) as conn:
            in_flight = conn.execute("SELECT COUNT(*) FROM recipients WHERE status = 'sending'").fetchone()[0]
            sent_before = conn.execute("SELECT COUNT(*) FROM recipients WHERE status = 'sent'").fetchone()[0]
        assert 0 < sent_before < 60
        again = run_cli(args, cwd=ws)
        assert again.returncode == 0, again.stderr
        received = [m for s in (a, b) for m in s.messages]
        per_rcpt = collections.defaultdict(set)
        for m in received:
            per_rcpt[m.rcpt].add(m.message_id)
        assert len(per_rcpt) == 60  # everyone
        assert all(len(ids) == 1 for ids in per_rcpt.values())  # one Message-ID per recipient, whatever happened
        repeats = sum(n - 1 for n in collections.Counter(m.rcpt for m in received).values())
        assert repeats <= in_flight  # only a message in flight at the kill may arrive twice (same Message-ID)
        for rcpt, ids in per_rcpt.items():  # and a repeat went through the same relay
            servers = {s for s in (a, b) for m in s.messages if m.rcpt == rcpt}
            assert len(servers) == 1, (rcpt, ids)


def test_each_relays_controller_starts_at_the_runs_clock_so_a_first_cut_measures_the_real_pace(tmp_path: Path) -> None:
    # Regression (bench_relays (a)): created at time 0.0 of the loop's clock, the controller measured the pace
    # over a 60-second window that had not happened and cut a relay doing ~20/s to a message every 5 s.
    from pressctl.embargo import HandoverGate
    from pressctl.send.engine import _SendLoop

    ledger, cid = make_campaign(tmp_path, [])

    async def made() -> tuple[float, float]:
        now = asyncio.get_running_loop().time()
        loop: Any = _SendLoop(
            deliveries=[], build=make_message, lanes=[Lane(_FakeTransport())], ledger=ledger, campaign_id=cid,
            options=FAST, clock=ledger.clock, gate=HandoverGate(), on_bounce=None, progress=None, stop=None,
            rng=__import__("random").Random(0),
        )
        controller = loop.lanes[0].adaptive
        for i in range(20):  # 20 messages in the first second
            controller.ok(now + i * 0.05)
        controller.slow_down(now + 1.0, "rate")
        return now, controller.allowed(now + 100).rate

    _, rate = asyncio.run(made())
    assert rate is not None and rate > 5  # half of ~20/s, not a fraction of 20 per minute
    ledger.close()


class _FakeTransport:
    description = "fake"
    is_local = False

    async def open(self) -> Any:  # pragma: no cover - never opened here
        raise AssertionError


@pytest.mark.slow
def test_a_scheduled_job_keeps_its_relays_and_goes_through_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from schedule_support import make_workspace as make_schedule_workspace
    from typer.testing import CliRunner

    from pressctl.cli import app
    from pressctl.cli._env import Env
    from pressctl.clock import ManualClock

    root = make_schedule_workspace(tmp_path / "ws").root
    monkeypatch.chdir(root)
    monkeypatch.delenv("PRESSCTL_SMTP_PASSWORD", raising=False)
    runner = CliRunner()
    clock = ManualClock(dt.datetime.now(dt.UTC).replace(microsecond=0))  # the commands' time, moved by hand
    env = Env.for_test(clock=clock)
    at = clock() + dt.timedelta(seconds=3)
    with SmtpTestServer(default="slow:0.01") as a, SmtpTestServer(default="slow:0.01") as b:
        added = runner.invoke(app, [
            "schedule", "releases/sample.md", "-c", "contacts/journalists.csv", "--under-embargo",
            "--at", at.strftime("%Y-%m-%dT%H:%M:%SZ"), "--smtp", a.url(), "--smtp", b.url(), "--concurrency", "1",
        ], obj=env)
        assert added.exit_code == 0, added.stderr
        assert f"limits      relay 2 (smtp://{b.host}:{b.port}): --concurrency 1 (command line)" in added.stdout
        job_id = added.stdout.split()[-1]
        with sqlite3.connect(root / ".pressctl" / "ledger.sqlite3") as conn:
            (kept,) = conn.execute("SELECT options FROM jobs WHERE id = ?", (job_id,)).fetchone()
        assert json.loads(kept)["smtp"] == [a.url(), b.url()]  # the job keeps both --smtp values
        clock.advance(3.5)  # the job's time has come (no sleep on the real clock)
        ran = runner.invoke(app, ["dispatch"], obj=env)
        assert ran.exit_code == 0, ran.stderr + ran.stdout
        ids = _accepted_ids(a, b)
        assert ids and max(ids.values()) == 1
        assert a.accepted and b.accepted


@pytest.mark.slow
def test_relays_from_pressctl_toml_with_their_own_passwords_and_caps(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 30)  # enough that relay 1 surely reaches its cap of 3
    with SmtpTestServer(auth=("press", "pw-a-secret")) as a, SmtpTestServer(auth=("news", "pw-b-secret")) as b:
        _toml(ws, f"""
[[smtp.relays]]
url = "{a.url(user='press')}"
daily_cap = 3

[[smtp.relays]]
url = "{b.url(user='news')}"
password_env = "HVSP_RELAY_B"
""")
        proc = run_cli(
            ["send", str(release), "-c", str(lists), "--yes"], cwd=ws,
            env={"PRESSCTL_SMTP_PASSWORD": "pw-a-secret", "HVSP_RELAY_B": "pw-b-secret"},
        )
        assert proc.returncode == 0, proc.stderr
        assert len(a.accepted) == 3 and len(b.accepted) == 27  # relay 1's cap, then relay 2 carries the rest
        assert max(_accepted_ids(a, b).values()) == 1
    assert "  1 daily cap   smtp.daily_cap 3 (pressctl.toml); today 0 of 3 used, room for 3" in proc.stdout
    assert f"relay 1 (smtp://press@{a.host}:{a.port}): 3 sent; its daily cap is used up" in proc.stdout
    assert "secret" not in proc.stdout + proc.stderr


@pytest.mark.slow
def test_a_real_postfix_with_a_small_size_and_an_aiosmtpd_relay_share_the_list(
    tmp_path: Path, postfix_relay: Callable[..., Any]
) -> None:
    postfix = postfix_relay(message_size_limit=8000, settings={"recipient_delimiter": "+"})
    addresses = [f"reporter+{i}@hvsp.test" for i in range(12)]
    big = set(addresses[::4])
    ledger, cid = make_campaign(tmp_path, addresses)

    def build(rcpt: str) -> OutgoingMessage:
        message: OutgoingMessage = make_message(rcpt)
        if rcpt in big:
            padding = b"\r\n".join([b"y" * 70] * 200)  # ~14 KB: more than Postfix's SIZE 8000
            message = OutgoingMessage(rcpt, message.message_id, "en", bytes(message.data) + padding + b"\r\n")
        return message

    settings = parse_smtp_url(postfix.url, password=None)
    real = SmtpTransport(settings, sender="press@hvsp.test", local_hostname="press.hvsp.test")
    with SmtpTestServer() as other:
        lanes = [Lane(real, name=real.account, label="postfix"), _lane(other)]
        result = _deliver(ledger, cid, addresses, lanes, build=build)
        assert result.sent == 12 and result.stopped is None
        postfix.wait_delivered(timeout=60)
        at_postfix = collections.Counter(m["Message-ID"] for m in postfix.messages("reporter"))
        at_other = collections.Counter(m.message_id for m in other.accepted)
        assert not set(at_postfix) & set(at_other) and max((at_postfix + at_other).values()) == 1
        assert sum(at_postfix.values()) + sum(at_other.values()) == 12
        assert {m.rcpt for m in other.accepted} >= big  # the large ones only where they fit
        assert at_postfix  # and Postfix took its share of the small ones
    ledger.close()


@pytest.mark.slow
def test_send_with_no_relay_left_exits_1_with_one_reason_per_relay_and_everyone_pending(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path)
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "list.csv", 5)
    with SmtpTestServer(default=QUOTA) as a, SmtpTestServer(mail_reply="553 5.7.1 sender not allowed") as b:
        proc = run_cli(["send", str(release), "-c", str(lists), "--smtp", a.url(), "--smtp", b.url(), "--yes"], cwd=ws)
    assert proc.returncode == 1
    assert "campaign #1: 0 sent, 5 pending" in proc.stdout
    assert f"relay 1 (smtp://{a.host}:{a.port}): 0 sent; left rotation: the relay says stop for now" in proc.stdout
    assert f"relay 2 (smtp://{b.host}:{b.port}): 0 sent; left rotation: the server refused the mail by policy" in proc.stdout
    assert "stopped: no relay is left" in proc.stderr and "5 recipient(s) still pending" in proc.stderr


@pytest.mark.parametrize(("profile", "meaning"), [("ses", "slow-down"), (None, "retry-recipient")])
def test_replies_are_read_with_the_relays_profile(profile: str | None, meaning: str) -> None:
    async def send(server: SmtpTestServer) -> str:
        transport = SmtpTransport(parse_smtp_url(server.url()), sender="press@hvsp.example", profile=profile)
        conn = await transport.open()
        try:
            return str(judge(await conn.send(make_message("busy@news.example")), profile=conn.profile).meaning)
        finally:
            await conn.close()

    with SmtpTestServer() as server:
        server.script("busy@news.example", "454 Temporary service failure")
        assert asyncio.run(send(server)) == meaning


def test_too_many_oauth2_logins_is_a_slow_down_while_connecting() -> None:
    from provider_smtp import ProviderServer, gmail

    from pressctl.relays.connect import RelayBusy
    from pressctl.relays.oauth import TokenSource, login_xoauth2

    user = "press@hvsp.example"
    tokens = TokenSource(env={"PRESSCTL_SMTP_OAUTH_TOKEN": "tok-1"})

    async def authenticate(client: Any) -> None:
        await login_xoauth2(client, user, tokens)

    async def two(server: ProviderServer) -> None:
        transport = SmtpTransport(
            parse_smtp_url(server.url(user)), sender=user, auth="xoauth2", authenticate=authenticate, profile="gmail"
        )
        first = await transport.open()
        try:
            with pytest.raises(RelayBusy) as caught:  # Google: 454 4.7.0 Too many login attempts
                await transport.open()
            assert caught.value.outcome.meaning == "slow-down"
        finally:
            await first.close()

    with ProviderServer(gmail(max_logins=1, tokens={"tok-1"})) as server:
        asyncio.run(two(server))


def test_an_older_ledger_gains_the_relay_column_and_keeps_counting_its_campaigns_relay(tmp_path: Path) -> None:
    import datetime as dt

    from pressctl.ledger.migrations import MIGRATIONS, _migrate_row_relay

    path = tmp_path / "old.sqlite3"
    before = MIGRATIONS.index(_migrate_row_relay)
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:before]:
        migration(conn)
    conn.execute(f"PRAGMA user_version = {before}")
    conn.commit()
    conn.close()
    with Ledger(path) as ledger:  # migrated on open
        cid = ledger.campaigns.create(fingerprint="f", release_path="r", slug="s", title="t", lists=[], options={}).id
        ledger.recipients.add(cid, [RecipientRow(key="a@x.test", email="a@x.test")])
        ledger.caps.set_campaign_relay(cid, "smtp://old:25")
        ledger.recipients.mark_sending(cid, "a@x.test", "<1@x>")
        assert len(ledger.caps.handovers("smtp://old:25", since=ledger.clock() - dt.timedelta(hours=1))) == 1
        assert ledger.recipients.get(cid, "a@x.test").relay is None  # type: ignore[union-attr]
