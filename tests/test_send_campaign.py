"""The campaign API the CLI and the scheduler share: embargo rules, fingerprints, resume, edits, suppression."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import pytest
from send_support import make_workspace, write_contacts, write_release
from smtp_server import SmtpTestServer

from pressctl.config import load_workspace
from pressctl.errors import EmbargoError, SendAborted
from pressctl.ledger import Ledger
from pressctl.send.options import SendOptions
from pressctl.send.plan import plan_send
from pressctl.send.run import run_send
from pressctl.send.scheduled import LedgerCampaignSender
from pressctl.send.transports import make_transport

LIFT = dt.datetime(2030, 3, 12, 2, 0, tzinfo=dt.UTC)  # 10:00 in Hong Kong
BEFORE = LIFT - dt.timedelta(hours=1)
AFTER = LIFT + dt.timedelta(minutes=1)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path)


def test_embargo_rules(ws: Path) -> None:
    workspace = load_workspace(ws)
    release = write_release(ws, embargo="2030-03-12 10:00")
    lists = [write_contacts(ws / "contacts" / "l.csv", 2)]
    with pytest.raises(EmbargoError, match="--under-embargo"):
        plan_send(release, lists, workspace=workspace, now=BEFORE, render=False)
    assert not plan_send(release, lists, workspace=workspace, now=AFTER, render=False).embargoed
    # The scheduler plans a moment ahead of the lift and holds every message at the gate.
    assert not plan_send(release, lists, workspace=workspace, now=BEFORE, not_before=LIFT, render=False).embargoed
    advance = plan_send(release, lists, workspace=workspace, now=BEFORE, options=SendOptions(advance_copy=True))
    assert advance.embargoed and "EMBARGOED" in advance.renders["en"].subject.upper()
    with pytest.raises(EmbargoError, match="already lifted"):
        plan_send(release, lists, workspace=workspace, now=AFTER, options=SendOptions(advance_copy=True), render=False)


def test_fingerprint_is_by_content(ws: Path, tmp_path: Path) -> None:
    workspace = load_workspace(ws)
    release = write_release(ws)
    lists = write_contacts(ws / "contacts" / "l.csv", 3)
    copy = tmp_path / "snapshot"
    (copy / "releases").mkdir(parents=True)
    shutil.copy(release, copy / "releases" / release.name)
    shutil.copy(lists, copy / "l.csv")
    a = plan_send(release, [lists], workspace=workspace, render=False)
    b = plan_send(copy / "releases" / release.name, [copy / "l.csv"], workspace=workspace, render=False)
    assert a.fingerprint == b.fingerprint
    faster = plan_send(release, [lists], workspace=workspace, options=SendOptions(rate="5/s"), render=False)
    assert faster.fingerprint == a.fingerprint  # speed is not identity
    other = plan_send(release, [lists], workspace=workspace, options=SendOptions(where=("outlet=X",)), render=False)
    assert other.fingerprint != a.fingerprint


def test_an_edited_release_skips_who_already_got_it(ws: Path) -> None:
    workspace = load_workspace(ws)
    release = write_release(ws)
    lists = [write_contacts(ws / "contacts" / "l.csv", 6)]
    with SmtpTestServer() as server, Ledger(workspace.ledger_path) as ledger:
        server.script("reporter00004@news.example", "554 5.7.1 policy")  # the run stops before 4 and 5
        plan = plan_send(release, lists, workspace=workspace, options=SendOptions(smtp_url=server.url(), concurrency=1))
        first = run_send(plan, ledger=ledger, transport=make_transport(plan))
        assert first.run.stopped and first.totals["sent"] == 4
        release.write_text(release.read_text().replace("140 applicants", "150 applicants"))  # a typo fixed
        plan = plan_send(release, lists, workspace=workspace, options=SendOptions(smtp_url=server.url()))
        second = run_send(plan, ledger=ledger, transport=make_transport(plan))
        assert second.new_campaign and second.skipped == 4 and second.totals["sent"] == 2
        assert second.complete
        again = plan_send(
            release, lists, workspace=workspace, options=SendOptions(smtp_url=server.url(), new_campaign=True)
        )
        third = run_send(again, ledger=ledger, transport=make_transport(again))
        assert third.totals["sent"] == 6 and third.campaign.id == second.campaign.id + 1
    counts: dict[str, int] = {}
    for m in server.messages:
        counts[m.rcpt] = counts.get(m.rcpt, 0) + 1
    assert set(counts.values()) == {2}  # once from the first two campaigns together, once on purpose


def test_suppression_is_checked_at_every_run(ws: Path) -> None:
    workspace = load_workspace(ws)
    release = write_release(ws)
    lists = [write_contacts(ws / "contacts" / "l.csv", 4)]
    with SmtpTestServer() as server, Ledger(workspace.ledger_path) as ledger:
        server.script("reporter00000@news.example", "554 5.7.1 stop here")
        opts = SendOptions(smtp_url=server.url(), concurrency=1)
        plan = plan_send(release, lists, workspace=workspace, options=opts)
        assert run_send(plan, ledger=ledger, transport=make_transport(plan)).totals["sent"] == 0
        with workspace.suppression_path.open("a", encoding="utf-8") as fh:
            fh.write("reporter00002@news.example,unsubscribed,2026-11-26\n")
        plan = plan_send(release, lists, workspace=workspace, options=opts)
        result = run_send(plan, ledger=ledger, transport=make_transport(plan))
        assert result.totals["suppressed"] >= 1 and result.totals["sent"] == 3
    assert "reporter00002@news.example" not in {m.rcpt for m in server.messages}


def test_engine_for_the_scheduler(ws: Path) -> None:
    workspace = load_workspace(ws)
    release = write_release(ws, embargo="2030-03-12 10:00")
    lists = [write_contacts(ws / "contacts" / "l.csv", 3)]
    now = [BEFORE]
    engine = LedgerCampaignSender(ledger_path=workspace.ledger_path, clock=lambda: now[0])
    assert engine.check(release=release, contacts=lists, workspace=workspace, options={}) == 3
    with SmtpTestServer() as server:
        options = {"smtp": server.url(), "concurrency": 2, "rate": "100/s", "batch_pause": "0"}
        stop = threading.Event()
        now[0] = AFTER
        outcome = engine.send(
            release=release, contacts=lists, workspace=workspace, options=options, not_before=LIFT, stop=stop
        )
        assert outcome.complete and outcome.campaign == "1" and outcome.summary.startswith("3 sent")
        # Resuming a finished job sends nothing more.
        engine.send(release=release, contacts=lists, workspace=workspace, options=options, not_before=LIFT, stop=stop)
        assert len(server.messages) == 3
        stop.set()
        with pytest.raises(SendAborted):
            engine.send(
                release=release, contacts=lists, workspace=workspace,
                options={**options, "new_campaign": True}, not_before=LIFT, stop=stop,
            )
    assert len(server.messages) == 3


def test_pdfs_rendered_in_a_child_process(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pressctl.send.pdfs as campaign
    from pressctl.errors import ReleaseError
    from pressctl.release.load import load_release_set
    from pressctl.release.merge import MergePlan

    workspace = load_workspace(ws)
    releases = load_release_set(write_release(ws), workspace)
    assert threading.active_count() == 1  # the fork path is the one under test
    pdfs = campaign.start_pdfs(releases, workspace, MergePlan(), embargoed=False)()
    assert list(pdfs) == ["en"] and pdfs["en"].startswith(b"%PDF")

    def broken(*args: object, **kwargs: object) -> dict[str, bytes]:
        raise ReleaseError("photo is not an image", where="fellows.md:7", hint="use a JPEG or PNG")

    monkeypatch.setattr(campaign, "render_pdfs", broken)
    with pytest.raises(ReleaseError) as info:
        campaign.start_pdfs(releases, workspace, MergePlan(), embargoed=False)()
    assert str(info.value) == "fellows.md:7: photo is not an image. Use a JPEG or PNG"


def test_a_wrong_where_is_refused_before_anything_is_rendered(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--where beat` (no =) is one line at once: no email render, no PDF render (seconds) before it."""
    import pressctl.render.email as email
    import pressctl.send.plan as campaign
    from pressctl.errors import ContactsError

    def no_render(*args: object, **kwargs: object) -> None:
        raise AssertionError("rendered before the options were checked")

    monkeypatch.setattr(email, "render_email", no_render)
    monkeypatch.setattr(campaign, "cached_or_render", no_render)
    workspace = load_workspace(ws)
    release = write_release(ws)
    lists = [write_contacts(ws / "contacts" / "l.csv", 2)]
    with pytest.raises(ContactsError, match="--where 'beat' has no = or !="):
        plan_send(release, lists, workspace=workspace, options=SendOptions(where=("beat",)))
