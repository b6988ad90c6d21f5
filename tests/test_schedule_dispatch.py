"""Scheduling and dispatching with a manual clock and a fake engine: snapshots, due / not due / missed,
never before the time, DST, resume, two dispatchers, stop and cancel."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from schedule_support import EMBARGO, FakeEngine, make_workspace

from pressctl.clock import ManualClock, SystemWaiter
from pressctl.config import Workspace
from pressctl.errors import ContactsError, EmbargoError, InputError, TransportError
from pressctl.ledger.jobs import JobStore
from pressctl.schedule.dispatcher import DEFAULT_LEAD, Dispatcher
from pressctl.schedule.listing import cancel_job, list_jobs
from pressctl.schedule.request import ScheduleRequest, open_store, schedule_release
from pressctl.schedule.snapshot import changed_sources

START = dt.datetime(2030, 3, 1, 0, 0, tzinfo=dt.UTC)


class Env:
    def __init__(self, root: Path) -> None:
        self.ws: Workspace = make_workspace(root / "ws")
        self.clock = ManualClock(START)
        self.store: JobStore = open_store(self.ws.ledger_path, clock=self.clock)
        self.engine = FakeEngine(self.clock)
        self.release = self.ws.root / "releases" / "sample.md"
        self.contacts = self.ws.root / "contacts" / "journalists.csv"

    def schedule(self, at: str | None = None, **kw: object) -> str:
        request = ScheduleRequest(release=self.release, contacts=(self.contacts,), at=at, **kw)  # type: ignore[arg-type]
        job = schedule_release(
            request, workspace=self.ws, store=self.store, engine=self.engine, clock=self.clock
        )
        return job.id

    def dispatcher(self, **kw: object) -> Dispatcher:
        return Dispatcher(
            self.store,
            engine=self.engine,
            clock=self.clock,
            **{"waiter": self.clock, "workspace_for": lambda job: self.ws, **kw},  # type: ignore[arg-type]
        )


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


# -- scheduling --------------------------------------------------------------------------------------------


def test_schedule_defaults_to_the_embargo_and_snapshots_everything(env: Env) -> None:
    job = env.store.get(env.schedule())
    assert job.state == "scheduled"
    assert job.due == EMBARGO
    assert job.timezone == "Asia/Hong_Kong"
    assert job.recipients == 11
    snap = Path(job.snapshot_dir)
    assert snap == env.ws.state_dir / "jobs" / job.id
    # Same layout as the workspace, so the release's relative paths (translation, photo) resolve.
    for rel in ("releases/sample.md", "releases/sample.zh-HK.md", "releases/photos/test-bay.jpg"):
        assert (snap / rel).read_bytes() == (env.ws.root / rel).read_bytes()
    assert job.release_path == snap / "releases/sample.md"
    assert job.contact_paths == [snap / "contacts/journalists.csv"]
    # the release's files and lists, and the rendering configuration (pressctl.toml, templates, logo: issue 9)
    assert {s.role for s in job.sources} == {"release", "translation", "photo", "contacts", "config", "logo"} | (
        {"template"} if any(s.role == "template" for s in job.sources) else set()
    )
    assert env.engine.checks == [env.ws.state_dir / "jobs" / f".{job.id}.partial" / "releases/sample.md"]
    assert job.id.startswith("sample-")


def test_schedule_at_a_local_time_in_the_release_zone(env: Env) -> None:
    job = env.store.get(env.schedule("2030-03-12 11:30"))
    assert job.due == dt.datetime(2030, 3, 12, 3, 30, tzinfo=dt.UTC)
    view = list_jobs(env.store)[0]
    assert view.local == "2030-03-12 11:30 HKT"
    assert view.utc == "2030-03-12 03:30 UTC"


def test_schedule_refuses_before_the_embargo_and_in_the_past(env: Env) -> None:
    with pytest.raises(EmbargoError, match="before the embargo lifts"):
        env.schedule("2030-03-12 09:59")
    env.clock.now = EMBARGO + dt.timedelta(hours=1)
    with pytest.raises(EmbargoError, match="in the past"):
        env.schedule()  # the embargo itself has passed
    with pytest.raises(EmbargoError, match="in the past"):
        env.schedule("2030-03-12 10:30")
    assert env.store.all() == []
    assert not (env.ws.state_dir / "jobs").exists()


def test_advance_copy_job(env: Env) -> None:
    with pytest.raises(EmbargoError, match="needs --at"):
        env.schedule(under_embargo=True)
    job_id = env.schedule("2030-03-11 09:00", under_embargo=True)
    assert env.store.get(job_id).under_embargo


def test_no_embargo_needs_at(env: Env) -> None:
    text = env.release.read_text(encoding="utf-8").replace("embargo: 2030-03-12T10:00:00+08:00\n", "")
    env.release.write_text(text, encoding="utf-8")
    with pytest.raises(EmbargoError, match="no embargo"):
        env.schedule()
    assert env.store.get(env.schedule("+1h")).due == START + dt.timedelta(hours=1)


def test_errors_show_at_scheduling_and_point_at_the_users_file(env: Env) -> None:
    partial = env.ws.state_dir / "jobs"
    env.engine.check_error = ContactsError("bad address 'x@'", where="PLACEHOLDER:4")

    def check_error_for(path: Path) -> None:
        raise ContactsError("bad address 'x@'", where=f"{path}:4")

    # The engine sees the snapshot; its error must name the user's own list.
    original = env.engine.check

    def check(**kw: object) -> int:
        contacts = kw["contacts"]
        assert isinstance(contacts, list)
        check_error_for(contacts[0])
        return original(**kw)  # type: ignore[arg-type]

    env.engine.check = check  # type: ignore[method-assign]
    with pytest.raises(ContactsError) as info:
        env.schedule()
    assert info.value.where == f"{env.contacts}:4"
    assert env.store.all() == []
    assert not any(partial.iterdir())  # no half-made snapshot left behind


def test_release_errors_and_missing_lists_fail_early(env: Env) -> None:
    env.contacts = env.ws.root / "contacts" / "nope.csv"
    with pytest.raises(InputError, match="contact list not found"):
        env.schedule()
    env.release = env.ws.root / "releases" / "missing.md"
    with pytest.raises(InputError, match="file not found"):
        env.schedule()


def test_changed_sources_are_flagged_and_the_snapshot_is_what_goes(env: Env) -> None:
    job_id = env.schedule()
    assert list_jobs(env.store)[0].changed == []
    env.release.write_text(env.release.read_text(encoding="utf-8") + "\nA late edit.\n", encoding="utf-8")
    env.contacts.unlink()
    changed = list_jobs(env.store)[0].changed
    assert changed == [f"{env.release} (changed)", f"{env.contacts} (gone)"]
    assert changed_sources(env.store.get(job_id)) == changed
    env.clock.now = EMBARGO
    env.dispatcher().run_once()
    call = env.engine.sends[0]
    assert "A late edit" not in call.release.read_text(encoding="utf-8")
    assert call.contacts[0].is_file()


def test_a_tampered_snapshot_is_not_sent(env: Env) -> None:
    job = env.store.get(env.schedule())
    (job.release_path).write_text("---\ntitle: changed\n---\n", encoding="utf-8")
    env.clock.now = EMBARGO
    events = env.dispatcher().run_once()
    assert [e.kind for e in events] == ["started", "failed"]
    assert "changed or removed since scheduling" in events[-1].detail
    assert env.engine.sends == []


# -- dispatching -------------------------------------------------------------------------------------------


def test_not_due_then_due_exactly_at_the_time(env: Env) -> None:
    job_id = env.schedule()
    d = env.dispatcher()
    # Taken up DEFAULT_LEAD seconds ahead (render, read lists, connect); not a moment earlier.
    env.clock.now = EMBARGO - dt.timedelta(seconds=DEFAULT_LEAD, microseconds=1)
    assert d.run_once() == []
    assert env.engine.sends == []
    env.clock.now = EMBARGO - dt.timedelta(seconds=DEFAULT_LEAD)
    events = d.run_once()
    assert [e.kind for e in events] == ["started", "done"]
    assert env.engine.planned_at == [EMBARGO - dt.timedelta(seconds=DEFAULT_LEAD)]
    assert env.engine.sends[0].not_before == EMBARGO  # the engine checks it at each hand-over
    assert env.engine.sends[0].at == EMBARGO
    job = env.store.get(job_id)
    assert job.state == "done" and job.result == "3 sent" and job.campaign == "c1"
    assert d.run_once() == []  # a job fires once
    assert len(env.engine.sends) == 1


def test_watch_wakes_at_the_time_and_never_before(env: Env) -> None:
    env.clock.now = EMBARGO - dt.timedelta(seconds=7.25)
    env.schedule()
    env.engine.during_send = lambda stop: env.clock.stop()
    env.dispatcher().watch(interval=5.0)
    # Woke DEFAULT_LEAD before the lift to prepare; the first hand-over is exactly at the lift.
    assert env.clock.waits == [2.25 - (DEFAULT_LEAD - 5.0)]
    assert env.engine.planned_at == [EMBARGO - dt.timedelta(seconds=DEFAULT_LEAD)]
    assert env.engine.sends[0].at == EMBARGO


def test_late_but_within_max_late_is_sent(env: Env) -> None:
    env.schedule()
    env.clock.now = EMBARGO + dt.timedelta(minutes=59)
    events = env.dispatcher().run_once()
    assert [e.kind for e in events] == ["started", "done"]


def test_too_late_is_missed_not_sent_until_run_on_purpose(env: Env) -> None:
    job_id = env.schedule()
    env.clock.now = EMBARGO + dt.timedelta(hours=1, seconds=1)
    d = env.dispatcher()
    events = d.run_once()
    assert [e.kind for e in events] == ["missed"]
    assert "1 h" in events[0].detail
    assert env.engine.sends == []
    assert env.store.get(job_id).state == "missed"
    assert d.run_once() == []
    events = d.run_now(job_id)
    assert [e.kind for e in events] == ["started", "done"]
    assert env.engine.sends[0].not_before == EMBARGO


def test_max_late_is_configurable(env: Env) -> None:
    env.schedule()
    env.clock.now = EMBARGO + dt.timedelta(minutes=10)
    assert [e.kind for e in env.dispatcher(max_late=dt.timedelta(minutes=5)).run_once()] == ["missed"]


def test_a_job_due_while_another_is_sending_is_late_not_missed(env: Env) -> None:
    first = env.schedule()
    second = env.schedule("2030-03-12 11:00")
    env.clock.now = EMBARGO

    def long_send(stop: threading.Event) -> None:
        env.engine.during_send = None
        env.clock.advance(3 * 3600)  # the first job takes three hours

    env.engine.during_send = long_send
    events = env.dispatcher().run_once()
    assert [(e.job.id, e.kind) for e in events] == [
        (first, "started"),
        (first, "done"),
        (second, "started"),
        (second, "done"),
    ]


def test_run_now_never_before_the_embargo(env: Env) -> None:
    job_id = env.schedule("2030-03-12 12:00")
    d = env.dispatcher()
    with pytest.raises(EmbargoError, match="before its embargo lifts at 2030-03-12 10:00 HKT"):
        d.run_now(job_id)
    env.clock.now = EMBARGO + dt.timedelta(minutes=5)  # after the embargo, before the job's own time
    assert [e.kind for e in d.run_now(job_id)] == ["started", "done"]
    assert env.engine.sends[0].not_before == EMBARGO
    with pytest.raises(InputError, match="is done"):
        d.run_now(job_id)


def test_run_now_an_advance_copy(env: Env) -> None:
    job_id = env.schedule("2030-03-11 09:00", under_embargo=True)
    assert [e.kind for e in env.dispatcher().run_now(job_id)] == ["started", "done"]
    assert env.engine.sends[0].not_before is None


def test_cancelled_job_is_not_sent(env: Env) -> None:
    job_id = env.schedule()
    assert cancel_job(env.store, job_id).state == "cancelled"
    env.clock.now = EMBARGO
    assert env.dispatcher().run_once() == []
    with pytest.raises(InputError, match="is cancelled"):
        env.dispatcher().run_now(job_id)


def test_two_dispatchers_one_sends(env: Env) -> None:
    env.schedule()
    env.clock.now = EMBARGO
    other = JobStore(open_store(env.ws.ledger_path).conn, clock=env.clock)
    first, second = (
        env.dispatcher(owner="h:1"),
        Dispatcher(
            other,
            engine=env.engine,
            clock=env.clock,
            waiter=env.clock,
            owner="h:2",
            workspace_for=lambda j: env.ws,
        ),
    )
    assert [e.kind for e in first.run_once()] == ["started", "done"]
    assert second.run_once() == []
    assert len(env.engine.sends) == 1


def test_a_dead_dispatchers_job_is_resumed_with_its_bound(env: Env) -> None:
    job_id = env.schedule()
    env.clock.now = EMBARGO + dt.timedelta(seconds=3)
    store = JobStore(
        env.store.conn, clock=env.clock, owner_state=lambda owner: "dead" if owner == "h:dead" else "unknown"
    )
    assert store.claim(job_id, owner="h:dead", lease_seconds=600, not_before=EMBARGO)
    env.clock.now = EMBARGO + dt.timedelta(hours=5)  # long after: a started job is finished, not missed
    d = Dispatcher(
        store, engine=env.engine, clock=env.clock, waiter=env.clock, workspace_for=lambda j: env.ws
    )
    assert [e.kind for e in d.run_once()] == ["resumed", "done"]
    assert env.engine.sends[0].not_before == EMBARGO
    assert env.store.get(job_id).attempts == 2


def test_stop_lets_go_of_the_job_for_the_next_run(env: Env) -> None:
    job_id = env.schedule()
    env.clock.now = EMBARGO
    d = env.dispatcher(waiter=SystemWaiter())
    env.engine.during_send = lambda stop: d.stop()  # SIGTERM arrives mid-send
    events = d.run_once()
    assert [e.kind for e in events] == ["started", "stopped"]
    job = env.store.get(job_id)
    assert job.state == "running" and job.owner is None
    assert "no dispatcher" in list_jobs(env.store)[0].state
    env.engine.during_send = None
    assert [e.kind for e in env.dispatcher().run_once()] == ["resumed", "done"]


def test_engine_failures_mark_the_job_failed(env: Env) -> None:
    job_id = env.schedule()
    env.clock.now = EMBARGO
    env.engine.send_error = TransportError("cannot connect to 127.0.0.1:1", hint="check --smtp")
    events = env.dispatcher().run_once()
    assert [e.kind for e in events] == ["started", "failed"]
    job = env.store.get(job_id)
    assert job.state == "failed" and "cannot connect" in job.error
    env.engine.send_error = None
    assert [e.kind for e in env.dispatcher().run_now(job_id)] == ["started", "done"]


def test_incomplete_send_is_failed_and_can_be_retried(env: Env) -> None:
    job_id = env.schedule()
    env.clock.now = EMBARGO
    env.engine.complete = False
    assert [e.kind for e in env.dispatcher().run_once()] == ["started", "incomplete"]
    assert env.store.get(job_id).state == "failed"


@pytest.mark.parametrize(
    ("zone", "local", "utc"),
    [
        # The day London's clocks go forward: 09:00 BST is 08:00 UTC (the day before, 09:00 GMT = 09:00 UTC).
        ("Europe/London", "2030-03-31 09:00", dt.datetime(2030, 3, 31, 8, 0, tzinfo=dt.UTC)),
        ("Europe/London", "2030-03-30 09:00", dt.datetime(2030, 3, 30, 9, 0, tzinfo=dt.UTC)),
        # The day New York's clocks go back: 09:00 EST is 14:00 UTC.
        ("America/New_York", "2030-11-03 09:00", dt.datetime(2030, 11, 3, 14, 0, tzinfo=dt.UTC)),
        ("America/New_York", "2030-11-02 09:00", dt.datetime(2030, 11, 2, 13, 0, tzinfo=dt.UTC)),
    ],
)
def test_dst_days_send_at_the_right_instant(env: Env, zone: str, local: str, utc: dt.datetime) -> None:
    text = env.release.read_text(encoding="utf-8")
    text = text.replace("embargo: 2030-03-12T10:00:00+08:00\n", f"timezone: {zone}\n")
    env.release.write_text(text, encoding="utf-8")
    job_id = env.schedule(local)
    assert env.store.get(job_id).due == utc
    d = env.dispatcher()
    env.clock.now = utc - dt.timedelta(seconds=DEFAULT_LEAD + 1)
    assert d.run_once() == []
    env.clock.now = utc
    assert [e.kind for e in d.run_once()] == ["started", "done"]
    assert env.engine.sends[0].at == utc


def test_snapshot_keeps_the_layout_so_relative_paths_resolve(env: Env, tmp_path: Path) -> None:
    from pressctl.release.load import load_release_set

    kit = env.ws.root / "kit"
    kit.mkdir()
    (kit / "factsheet.pdf").write_bytes(b"%PDF-1.4 fact sheet\n")
    text = env.release.read_text(encoding="utf-8")
    env.release.write_text(
        text.replace("translations:", "attachments:\n  - ../kit/factsheet.pdf\ntranslations:")
    )
    elsewhere = tmp_path / "shared-drive"
    elsewhere.mkdir()
    env.contacts = elsewhere / "journalists.csv"
    env.contacts.write_text("email\nnews.desk@harbourdaily.example\n", encoding="utf-8")
    job = env.store.get(env.schedule())
    snap = Path(job.snapshot_dir)
    assert (snap / "kit/factsheet.pdf").read_bytes() == b"%PDF-1.4 fact sheet\n"
    assert job.contact_paths == [snap / "lists/1/journalists.csv"]  # a list from outside the workspace
    releases = load_release_set(job.release_path, env.ws)
    assert [r.path for r in releases] == [snap / "releases/sample.md", snap / "releases/sample.zh-HK.md"]
    assert releases[0].attachments == (snap / "kit/factsheet.pdf",)
    assert releases[0].photos[0].src == snap / "releases/photos/test-bay.jpg"
    roles = sorted(s.role for s in job.sources if s.role not in ("config", "logo", "template"))
    assert roles == ["attachment", "contacts", "photo", "release", "translation"]


# -- the newsroom page at the lift (issue 13) --------------------------------------------------------------


def _with_site(ws: Workspace) -> Workspace:
    import dataclasses

    from pressctl.config.site import SiteSettings

    return dataclasses.replace(ws, site=SiteSettings(dir=ws.root / "site", deploy="true"))


def test_the_page_is_published_at_the_lift_then_the_emails(env: Env) -> None:
    env.schedule()
    site_ws = _with_site(env.ws)
    published: list[dt.datetime] = []
    d = env.dispatcher(
        workspace_for=lambda job: site_ws,
        publish_at_lift=lambda job, ws, clock: published.append(clock()),
    )
    env.clock.now = EMBARGO - dt.timedelta(seconds=DEFAULT_LEAD)  # taken up early, as always
    events = d.run_once()
    assert [e.kind for e in events] == ["started", "done"]
    assert published == [EMBARGO]  # waited for the lift: never a moment early
    assert env.engine.sends[0].at >= published[0]


def test_no_site_no_publish(env: Env) -> None:
    env.schedule()
    called: list[object] = []
    d = env.dispatcher(publish_at_lift=lambda job, ws, clock: called.append(job))
    env.clock.now = EMBARGO
    assert [e.kind for e in d.run_once()] == ["started", "done"]
    assert called == []


def test_a_failed_publish_holds_the_job_and_a_later_pass_retries_it(env: Env) -> None:
    from pressctl.errors import PressctlError

    job_id = env.schedule()
    site_ws = _with_site(env.ws)
    failures = [PressctlError("the deploy command exited with status 255: no credentials", where="[site] deploy")]

    def publish(job: object, ws: Workspace, clock: object) -> None:
        if failures:
            raise failures.pop()

    d = env.dispatcher(workspace_for=lambda job: site_ws, publish_at_lift=publish, hold_retry=60)
    env.clock.now = EMBARGO
    events = d.run_once()
    assert [e.kind for e in events] == ["started", "held"]
    assert "no credentials" in events[-1].detail and f"pressctl schedule run {job_id}" in events[-1].detail
    assert env.engine.sends == []  # no email before the page is up
    job = env.store.get(job_id)
    assert job.state == "held" and job.shown_state == "held"
    assert job.due == EMBARGO and job.resume_at == EMBARGO + dt.timedelta(seconds=60)
    assert "no credentials" in job.held_reason
    assert [v.state for v in list_jobs(env.store)] == ["held"]
    env.clock.now = EMBARGO + dt.timedelta(seconds=30)
    assert d.run_once() == []  # not before its retry time
    env.clock.now = EMBARGO + dt.timedelta(seconds=60)
    assert [e.kind for e in d.run_once()] == ["resumed", "done"]
    assert len(env.engine.sends) == 1 and env.store.get(job_id).shown_state == "done"
