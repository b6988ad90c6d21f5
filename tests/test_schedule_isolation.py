"""Each scheduled job on its own (issue 17, point 6), through the real dispatcher.

A release whose title holds a vertical tab (what Word pastes for Shift+Enter) used to render and schedule
fine, then make the feed writer raise at the lift: the dispatcher ended in `internal error` on every pass,
the job stayed "running" and another job due at the same time was never sent. Now the character is cleaned
when the release is loaded (a warning names the line and column), and any failure of one job fails only that
job, with its reason, while the dispatcher goes on with the others.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from qa_support import QA_ENV, pressctl
from schedule_support import EMBARGO, FakeEngine, make_workspace
from smtp_server import SmtpTestServer
from wait_support import wait_for

from pressctl.clock import ManualClock
from pressctl.errors import SendAborted
from pressctl.scaffold import init_workspace
from pressctl.schedule.dispatcher import Dispatcher
from pressctl.schedule.request import ScheduleRequest, open_store, schedule_release
from pressctl.send.sender import SendOutcome

SAMPLE_EMBARGO = "embargo: 2030-03-12T10:00:00+08:00"
# Shift+Enter pasted from Word, as YAML writes it back in double quotes (so it loaded, and broke at the lift).
WORD_TITLE = '"Harbourview Science Park\\vOpens Tidal Energy Test Bay"'


def _embargo(text: str, lift: dt.datetime) -> str:
    return text.replace(SAMPLE_EMBARGO, f"embargo: {lift.strftime('%Y-%m-%dT%H:%M:%SZ')}")


def _workspace(root: Path, lift: dt.datetime) -> tuple[Path, Path]:
    """A workspace with a newsroom; ``word.md`` (a vertical tab in its title, lifting first) and
    ``sample.md`` (ordinary, lifting a second later)."""
    init_workspace(root)
    with (root / "pressctl.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[site]\nbase_url = "https://newsroom.hvsp.example/"\n')
    sample = root / "releases" / "sample.md"
    text = sample.read_text(encoding="utf-8")
    title = text.split("\n", 2)[1]
    assert title.startswith("title: ")
    word = root / "releases" / "word.md"
    word.write_text(_embargo(text.replace(title, f"title: {WORD_TITLE}", 1), lift), encoding="utf-8")
    sample.write_text(_embargo(text, lift + dt.timedelta(seconds=1)), encoding="utf-8")
    return word, sample


def _contacts(path: Path, addresses: list[str]) -> Path:
    rows = ["email,first_name,outlet,language"] + [f"{a},Reporter {i},Wire,en" for i, a in enumerate(addresses)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as smtp:
        yield smtp


def _subject(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=email.policy.default)["Subject"])


@pytest.mark.slow
@pytest.mark.parametrize("watch", [True, False], ids=["watch", "one-shot"])
def test_a_vertical_tab_in_one_title_never_stops_another_job_due_at_the_same_time(
    tmp_path: Path, server: SmtpTestServer, watch: bool
) -> None:
    ws = tmp_path / "ws"
    lift = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=14)
    word, sample = _workspace(ws, lift)
    word_list = _contacts(ws / "word.csv", ["desk0@wire.example", "desk1@wire.example"])
    other_list = _contacts(ws / "other.csv", ["desk2@paper.example", "desk3@paper.example"])

    # An advance-copy page for the ordinary release: after the lift it must lead to the public page.
    preview = pressctl("publish", str(sample), "--preview", cwd=ws, timeout=180)
    assert preview.returncode == 0, preview.stderr
    preview_page = ws / "site" / preview.stdout.split()[0].removeprefix("https://newsroom.hvsp.example/")
    assert "EMBARGOED" in preview_page.read_text(encoding="utf-8")

    jobs = []
    for release, contacts in ((word, word_list), (sample, other_list)):
        done = pressctl("schedule", str(release), "-c", str(contacts), "--smtp", server.url(), cwd=ws)
        assert done.returncode == 0, done.stderr
        jobs.append(done.stdout.split()[-1])
        if release == word:
            # Cleaned at load, the same for every command, and said with its line and column.
            warning = "word.md:2: 'title' has a vertical tab (Word's Shift+Enter) U+000B, written as an escape"
            assert warning in done.stderr and "read as a space" in done.stderr, done.stderr
    word_job, other_job = jobs

    offset = time.time() - time.monotonic()
    if watch:
        dispatcher = subprocess.Popen(
            [sys.executable, "-c", "from pressctl.cli import main; main()", "dispatch", "--watch"],
            cwd=ws, env=QA_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            assert wait_for(lambda: len(server.messages) >= 4, timeout=90), server.messages
        finally:
            dispatcher.send_signal(signal.SIGTERM)
            stdout, stderr = dispatcher.communicate(timeout=60)
    else:
        # One pass of a cron dispatcher just after both lifts, on a clock of its own: no sleep until the lift.
        from typer.testing import CliRunner

        from pressctl.cli import app
        from pressctl.cli._env import Env

        env = Env.for_test(clock=ManualClock(lift + dt.timedelta(seconds=1.5)), environ=QA_ENV, cwd=ws)
        once = CliRunner().invoke(app, ["dispatch"], obj=env)
        stdout, stderr = once.stdout, once.stderr
        assert once.exit_code == 0, (stdout, stderr)
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr
    assert f"{word_job}  done" in stdout and f"{other_job}  done" in stdout, (stdout, stderr)

    arrivals = [m.time + offset for m in server.messages if m.rcpt.endswith("@paper.example")]
    assert len(arrivals) == 2, arrivals
    if watch:
        # The ordinary job went on time: its first message within seconds of its lift, never before.
        other_lift = (lift + dt.timedelta(seconds=1)).timestamp()
        assert other_lift - 0.05 <= min(arrivals) <= other_lift + 15, (arrivals, other_lift)
    # The Word title reached every output as words with a space between them.
    subjects = {_subject(m.data) for m in server.messages if m.rcpt.endswith("@wire.example")}
    assert subjects == {"Harbourview Science Park Opens Tidal Energy Test Bay"}, subjects
    feed = (ws / "site" / "feed.xml").read_text(encoding="utf-8")
    assert "Harbourview Science Park Opens Tidal Energy Test Bay</title>" in feed and "\x0b" not in feed
    # The dispatcher's publish at the lift turned the advance copy's page into a pointer at the public one.
    pointer = preview_page.read_text(encoding="utf-8")
    assert "EMBARGOED" not in pointer and 'url=../../releases/2030-03-12-sample/index.html"' in pointer
    listing = pressctl("schedule", "list", cwd=ws).stdout
    assert f"{word_job}  done" in listing and f"{other_job}  done" in listing, listing


def test_any_failure_of_one_job_fails_that_job_with_its_reason_and_the_pass_goes_on(tmp_path: Path) -> None:
    ws = make_workspace(tmp_path / "ws")
    clock = ManualClock(EMBARGO - dt.timedelta(hours=2))
    store = open_store(ws.ledger_path, clock=clock)
    engine = FakeEngine(clock)
    release = ws.root / "releases" / "sample.md"
    contacts = next(p for p in (ws.root / "contacts").iterdir() if "suppress" not in p.name)

    def schedule(at: str | None) -> str:
        request = ScheduleRequest(release=release, contacts=(contacts,), at=at)
        return schedule_release(request, workspace=ws, store=store, engine=engine, clock=clock).id

    bad = schedule(None)  # at the lift: taken first
    good = schedule((EMBARGO + dt.timedelta(seconds=30)).isoformat())
    clock.now = EMBARGO + dt.timedelta(minutes=1)
    events = Dispatcher(store, engine=_OneBad(engine, bad), clock=clock, lead=0).run_once()
    assert [(e.job.id, e.kind) for e in events] == [(bad, "started"), (bad, "failed"), (good, "started"), (good, "done")]
    failed = store.get(bad)
    assert failed.state == "failed" and failed.error is not None
    assert failed.error.startswith("internal error (ValueError") and f"pressctl schedule run {bad}" in failed.error
    assert "XML compatible" not in failed.error  # the type and place, never an exception's text
    assert store.get(good).state == "done" and len(engine.sends) == 1


class _OneBad:
    """A CampaignSender whose send raises an unexpected error for one job's snapshot."""

    def __init__(self, engine: FakeEngine, job_id: str) -> None:
        self.engine, self.job_id = engine, job_id

    def check(self, **kw: object) -> int:
        return self.engine.check(**kw)  # type: ignore[arg-type]

    def send(self, *, release: Path, stop: threading.Event, **kw: object) -> SendOutcome:
        if self.job_id in str(release):
            raise ValueError("All strings must be XML compatible")
        if stop.is_set():
            raise SendAborted("stopped")
        return self.engine.send(release=release, stop=stop, **kw)  # type: ignore[arg-type]
