"""End to end: real `pressctl dispatch --watch` processes, a real SMTP server, jobs a few seconds ahead.

Arrival times are taken by the server; the lift is converted from wall-clock time to the server's
monotonic clock once per test. Two dispatchers watch one ledger; someone who unsubscribes after scheduling
is not mailed; a cancelled job never goes, even one cancelled after a dispatcher took it up; a dispatcher
stopped with SIGTERM mid-job repeats nothing, and one killed with SIGKILL is finished by the next run with
nobody lost and nobody sent twice (except the one message that was in flight, repeated with the same
Message-ID). A missed job waits for `schedule run`; an advance-copy job may go before the lift.
"""

from __future__ import annotations

import datetime as dt
import math
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from smtp_server import SmtpTestServer
from wait_support import wait_for

from pressctl.clock import Clock, ManualClock, system_clock
from pressctl.scaffold import init_workspace

pytestmark = pytest.mark.slow

PRESSCTL = str(Path(sys.executable).with_name("pressctl"))


def _workspace(root: Path) -> Path:
    init_workspace(root)
    return root / "releases" / "sample.md"


def _lift_in(seconds: int, release: Path) -> dt.datetime:
    """Set the release's embargo ``seconds`` from now (whole seconds); return it."""
    lift = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=seconds)
    text = release.read_text(encoding="utf-8")
    stamp = lift.strftime("%Y-%m-%dT%H:%M:%SZ")
    release.write_text(
        text.replace("embargo: 2030-03-12T10:00:00+08:00", f"embargo: {stamp}"), encoding="utf-8"
    )
    return lift


def _contacts(path: Path, addresses: list[str]) -> Path:
    rows = ["email,first_name,outlet"] + [f"{a},Reporter {i},Test Wire" for i, a in enumerate(addresses)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _run(ws: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PRESSCTL, *args], cwd=ws, capture_output=True, text=True, timeout=60)


def _schedule_inline(
    ws: Path,
    release: Path,
    lists: list[Path],
    server: SmtpTestServer,
    *,
    options: dict[str, object] | None = None,
    clock: Clock | None = None,
) -> list[str]:
    """Schedule one job per list through the library (what `pressctl schedule` calls), in this process:
    a `schedule` subprocess each would spend seconds importing and rendering on a busy machine.

    ``clock`` is the time the jobs are made at (the dispatchers still run on the real clock)."""
    from pressctl.config import load_workspace
    from pressctl.schedule.request import ScheduleRequest, open_store, schedule_release
    from pressctl.send.scheduled import LedgerCampaignSender

    workspace = load_workspace(ws)
    made_at = clock or system_clock
    store = open_store(workspace.ledger_path, clock=made_at)
    engine = LedgerCampaignSender(ledger_path=workspace.ledger_path)
    ids = []
    for path in lists:
        request = ScheduleRequest(
            release=release, contacts=(path,), options={"smtp": server.url(), **(options or {})}
        )
        ids.append(schedule_release(request, workspace=workspace, store=store, engine=engine, clock=made_at).id)
    store.conn.close()
    return ids


def _job_state(ws: Path, job_id: str) -> str:
    """The job's state, read from the ledger in this process (a `schedule list` subprocess is slow)."""
    from pressctl.config import load_workspace
    from pressctl.schedule.request import open_store

    store = open_store(load_workspace(ws).ledger_path)
    try:
        return store.get(job_id).state
    finally:
        store.conn.close()


def _watch(ws: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [PRESSCTL, "dispatch", "--watch", *extra],
        cwd=ws,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _watch_to_file(ws: Path, log: Path) -> subprocess.Popen[str]:
    """A watching dispatcher whose output goes to ``log`` (stdout) and ``log.err``, readable while it runs."""
    with log.open("w") as out, log.with_suffix(".err").open("w") as err:
        return subprocess.Popen([PRESSCTL, "dispatch", "--watch"], cwd=ws, stdout=out, stderr=err, text=True)


def _schedule_cost(tmp_path: Path, server: SmtpTestServer) -> float:
    """Seconds it takes to schedule one job on this machine now, in a scratch workspace of the same kind.

    The lift is set this far ahead several times over, so a loaded machine gets a later lift instead of
    a failed test; what is proven (nothing before the lift, once each) does not depend on the lead."""
    scratch = tmp_path / "scratch"
    release = _workspace(scratch)
    _lift_in(3600, release)
    lists = [_contacts(scratch / "one.csv", ["desk@wire.example"])]
    started = time.monotonic()
    _schedule_inline(scratch, release, lists, server)
    return time.monotonic() - started


def _lift_on_monotonic(lift: dt.datetime) -> float:
    """The lift as a time.monotonic() value (what the test server stamps arrivals with)."""
    return time.monotonic() + (lift.timestamp() - time.time())


@pytest.fixture
def server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as smtp:
        yield smtp


def test_watchers_send_once_at_the_lift_and_never_before(
    tmp_path: Path, server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pressctl.cli import app

    ws = tmp_path / "ws"
    release = _workspace(ws)
    listed = [f"desk{i}@wire.example" for i in range(7)]
    unsubscribed = listed[-1]
    wanted = listed[:-1]
    dropped = [f"editor{i}@gazette.test" for i in range(3)]
    late_drop = [f"producer{i}@radio.test" for i in range(3)]
    lists = [
        _contacts(ws / "wire.csv", listed),
        _contacts(ws / "gazette.csv", dropped),
        _contacts(ws / "radio.csv", late_drop),
    ]
    # Two dispatchers on one ledger, started before the jobs exist: they find new jobs by themselves.
    logs = [tmp_path / "watch-a.log", tmp_path / "watch-b.log"]
    watchers = [_watch_to_file(ws, log) for log in logs]
    monkeypatch.chdir(ws)
    runner = CliRunner()
    try:
        # The lift is chosen after measuring how long scheduling takes here and now (11-13 s for three
        # jobs at load 6 on two cores): the three jobs must exist, and the dispatchers be up, well before
        # the dispatchers take a job up (5 s ahead of its time).
        cost = _schedule_cost(tmp_path, server)
        lift = _lift_in(10 + math.ceil(4 * cost), release)
        job, cancelled, cancelled_late = _schedule_inline(ws, release, lists, server)
        lift_mono = _lift_on_monotonic(lift)
        cancel = runner.invoke(app, ["schedule", "cancel", cancelled])
        assert cancel.exit_code == 0 and f"cancelled {cancelled}" in cancel.stdout, cancel.output
        # Unsubscribed after the job was scheduled: suppression is read when the job is sent.
        with (ws / "contacts" / "suppressed.csv").open("a", encoding="utf-8") as fh:
            fh.write(f"{unsubscribed},asked to be removed,2030-03-11\n")
        # The dispatchers take a job up 5 s ahead; with less left, the cancel below could not come between.
        assert time.monotonic() < lift_mono - 5, f"set-up overran the lead ({cost:.1f} s per job measured)"
        # Cancel the third job after a dispatcher has taken it up (it waits for the lift): still nothing goes.
        assert wait_for(lambda: _job_state(ws, cancelled_late) == "running", lift_mono - time.monotonic())
        cancel = runner.invoke(app, ["schedule", "cancel", cancelled_late])
        assert cancel.exit_code == 0 and "stops after the messages in flight" in cancel.stdout, cancel.output
        assert time.monotonic() < lift_mono, "cancelled after the lift: this test would prove nothing"

        # Done when the job is done and the dispatcher holding the cancelled one has let it go; then the
        # dispatchers are stopped, so every message either of them would ever send has arrived.
        def settled() -> bool:
            text = "".join(log.read_text() for log in logs)
            return f"{job}  done" in text and f"{cancelled_late}  cancelled" in text

        assert wait_for(settled, timeout=lift_mono - time.monotonic() + 120), [
            log.read_text() for log in logs
        ]
    finally:
        for proc in watchers:
            proc.send_signal(signal.SIGTERM)
        for proc in watchers:
            proc.wait(timeout=60)
    outputs = [(log.read_text(), log.with_suffix(".err").read_text()) for log in logs]
    assert [proc.returncode for proc in watchers] == [0, 0], outputs

    arrivals = sorted(m.time for m in server.messages)
    # Once each; nobody from the cancelled jobs; not the one who unsubscribed after scheduling.
    assert Counter(m.rcpt for m in server.messages) == Counter(wanted)
    assert arrivals[0] >= lift_mono - 0.01, f"{lift_mono - arrivals[0]:.3f} s before the lift"
    # Sent at the lift by the dispatcher that held it, not found late: generous, a busy machine is slow.
    assert arrivals[0] - lift_mono < 60, f"first arrival {arrivals[0] - lift_mono:.2f} s after the lift"
    # One of the two dispatchers sent it; the other never started it.
    started = [out for out, _ in outputs if f"{job}  started" in out]
    assert len(started) == 1, outputs
    assert any(f"{cancelled_late}  cancelled" in out for out, _ in outputs), outputs
    listing = _run(ws, "schedule", "list").stdout
    assert f"{job}  done" in listing and f"{cancelled}  cancelled" in listing
    assert f"{cancelled_late}  cancelled" in listing
    assert "HKT" in listing and "UTC" in listing


def test_killed_dispatcher_is_finished_by_the_next_run(tmp_path: Path, server: SmtpTestServer) -> None:
    ws = tmp_path / "ws"
    release = _workspace(ws)
    lift = _lift_in(3, release)
    wanted = [f"reporter{i:02d}@news.example" for i in range(40)]
    contacts = _contacts(ws / "list.csv", wanted)
    # Made as if a minute before the lift (an injected clock), so however long scheduling takes on a busy
    # machine, the job is accepted; the dispatcher, on the real clock, then sends it at or after the lift.
    (job,) = _schedule_inline(
        ws,
        release,
        [contacts],
        server,
        options={"rate": "20/s", "concurrency": 1},
        clock=ManualClock(lift - dt.timedelta(minutes=1)),
    )
    # SIGTERM mid-job: the message in flight finishes, the job is let go, nothing is repeated.
    first = _watch(ws)
    try:
        assert wait_for(lambda: len(server.messages) >= 4, timeout=30)
        first.send_signal(signal.SIGTERM)
        stdout, stderr = first.communicate(timeout=30)
    finally:
        first.kill()
    assert first.returncode == 0, stderr
    assert f"{job}  stopped" in stdout
    assert "dispatcher stopped" in stderr
    assert max(Counter(m.rcpt for m in server.messages).values()) == 1
    stopped_at = len(server.messages)
    assert stopped_at < len(wanted)
    # SIGKILL mid-job: no chance to clean up, the lease is still held.
    second = _watch(ws)
    try:
        assert wait_for(lambda: len(server.messages) >= stopped_at + 4, timeout=30)
        second.send_signal(signal.SIGKILL)
    finally:
        second.kill()
        second.communicate(timeout=10)  # reaped, so its pid is seen to be gone
    assert len(server.messages) < len(wanted) + 1
    assert "running" in _run(ws, "schedule", "list").stdout

    again = _run(ws, "dispatch")  # one pass, as cron would run it
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{job}  resumed" in again.stdout and f"{job}  done" in again.stdout

    received = Counter(m.rcpt for m in server.messages)
    assert set(received) == set(wanted)  # nobody lost
    repeats = [rcpt for rcpt, n in received.items() if n > 1]
    assert len(repeats) <= 1 and all(received[r] == 2 for r in repeats)  # at most the one in flight...
    for rcpt in repeats:  # ...and then with the same Message-ID, so the receiving side can drop it
        assert len({m.message_id for m in server.messages if m.rcpt == rcpt}) == 1
    assert min(m.time for m in server.messages) >= _lift_on_monotonic(lift) - 0.01
    assert f"{job}  done" in _run(ws, "schedule", "list").stdout


def test_a_missed_job_waits_for_schedule_run(
    tmp_path: Path, server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job found two hours late is marked missed, not sent; `schedule run` sends it on purpose."""
    from typer.testing import CliRunner

    from pressctl.cli import app
    from pressctl.config import load_workspace
    from pressctl.schedule.request import ScheduleRequest, open_store, schedule_release
    from pressctl.send.scheduled import LedgerCampaignSender

    ws = tmp_path / "ws"
    release = _workspace(ws)
    lift = _lift_in(-2 * 3600, release)  # the embargo lifted two hours ago...
    wanted = [f"desk{i}@wire.example" for i in range(3)]
    workspace = load_workspace(ws)
    then = ManualClock(lift - dt.timedelta(hours=1))  # ...and the job was scheduled an hour before that
    schedule_release(
        ScheduleRequest(
            release=release, contacts=(_contacts(ws / "l.csv", wanted),), options={"smtp": server.url()}
        ),
        workspace=workspace,
        store=open_store(workspace.ledger_path, clock=then),
        engine=LedgerCampaignSender(ledger_path=workspace.ledger_path),
        clock=then,
    )
    (job,) = open_store(workspace.ledger_path).all()
    monkeypatch.chdir(ws)
    runner = CliRunner()
    found = runner.invoke(app, ["dispatch"])
    assert found.exit_code == 1  # cron mails someone
    assert f"{job.id}  missed" in found.stdout and "2 h" in found.stdout
    assert f"pressctl schedule run {job.id}" in found.stdout
    assert server.messages == []
    assert f"{job.id}  missed" in runner.invoke(app, ["schedule", "list"]).stdout
    assert runner.invoke(app, ["dispatch"]).exit_code == 0  # shown once, then left alone

    sent = runner.invoke(app, ["schedule", "run", job.id])
    assert sent.exit_code == 0, sent.stdout + sent.stderr
    assert f"{job.id}  done" in sent.stdout
    assert sorted(m.rcpt for m in server.messages) == wanted
    assert f"{job.id}  done" in runner.invoke(app, ["schedule", "list"]).stdout


def test_an_advance_copy_job_goes_before_the_lift_marked_embargoed(
    tmp_path: Path, server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from pressctl.cli import app

    ws = tmp_path / "ws"
    release = _workspace(ws)
    _lift_in(2 * 3600, release)
    monkeypatch.chdir(ws)
    runner = CliRunner()
    contacts = _contacts(ws / "trusted.csv", ["science.desk@trusted.example"])
    args = [
        "schedule",
        str(release),
        "-c",
        str(contacts),
        "--smtp",
        server.url(),
        "--under-embargo",
        "--at",
        "+1h",
    ]
    scheduled = runner.invoke(app, args)
    assert scheduled.exit_code == 0, scheduled.stderr
    job_id = scheduled.stdout.split()[-1]
    sent = runner.invoke(app, ["schedule", "run", job_id])  # an advance copy may go before the lift
    assert sent.exit_code == 0, sent.stdout + sent.stderr
    (message,) = server.messages
    assert "EMBARGOED" in str(message.headers["Subject"])
