"""The newsroom through the real CLI: `pressctl publish` / `unpublish` / `site serve`, emails that link to it,
and a scheduled job that publishes (and deploys) at the lift before its first email.

Real `pressctl` processes, a real deploy command (a shell line that records when it ran), a real SMTP server
on 127.0.0.1 (arrival times) and the local outbox; emails are parsed and every newsroom link in them is
checked against the files in the site folder.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from smtp_server import SmtpTestServer
from wait_support import wait_for

from pressctl.scaffold import init_workspace

pytestmark = pytest.mark.slow

PRESSCTL = str(Path(sys.executable).with_name("pressctl"))
BASE = "https://newsroom.hvsp.example/"
SAMPLE_EMBARGO = "embargo: 2030-03-12T10:00:00+08:00"


def _run(ws: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PRESSCTL, *args], cwd=ws, capture_output=True, text=True, timeout=timeout)


def _workspace(root: Path, *, deploy: str = "date +%s.%N >> ../deploys.log", extra: str = "") -> Path:
    """`pressctl init` plus a [site] whose deploy command records the time it ran."""
    init_workspace(root)
    with (root / "pressctl.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[site]\nbase_url = "{BASE}"\ndeploy = "{deploy}"\n{extra}')
    return root / "releases" / "sample.md"


def _lifted(release: Path) -> None:
    """The sample with its embargo in the past (the public page may go up now)."""
    text = release.read_text(encoding="utf-8")
    release.write_text(text.replace(SAMPLE_EMBARGO, "embargo: 2026-01-05T10:00:00+08:00"), encoding="utf-8")


def _deploys(ws: Path) -> list[float]:
    log = ws / "deploys.log"  # the command runs in ws/site
    return [float(x) for x in log.read_text().split()] if log.exists() else []


def _contacts(path: Path, addresses: list[str]) -> Path:
    rows = ["email,first_name,outlet,language"] + [
        f"{a},Reporter {i},Test Wire,{'zh-HK' if i % 2 else 'en'}" for i, a in enumerate(addresses)
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _bodies(raw: bytes) -> tuple[str, str]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def _newsroom_links(raw: bytes) -> set[str]:
    text, html = _bodies(raw)
    found = set(re.findall(re.escape(BASE) + r"[^\s\"'<>]+", text + html))
    assert found, "the email has no newsroom link"
    return found


def _site_file(ws: Path, url: str) -> Path:
    return ws / "site" / url.removeprefix(BASE).split("#", 1)[0]


def test_publish_preview_and_unpublish_through_the_cli(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    release = _workspace(ws)
    site = ws / "site"

    # Under embargo: one line, exit 2, nothing written, nothing deployed.
    refused = _run(ws, "publish", "releases/sample.md")
    assert refused.returncode == 2, refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "under embargo until 2030-03-12 10:00 HKT" in lines[0]
    assert "--preview" in lines[0] and "pressctl schedule" in lines[0]
    assert not site.exists() and _deploys(ws) == []

    # --preview: an unlisted page per language under preview/<token>/, deployed.
    preview = _run(ws, "publish", "releases/sample.md", "--preview")
    assert preview.returncode == 0, preview.stderr
    urls = preview.stdout.split()
    assert len(urls) == 2 and all(u.startswith(BASE + "preview/") for u in urls)
    assert urls[1].endswith("/index.zh-HK.html")
    for url in urls:
        page = _site_file(ws, url).read_text(encoding="utf-8")
        assert "noindex" in page and ("EMBARGOED" in page or "禁發" in page)
    assert "preview" not in (site / "index.html").read_text(encoding="utf-8")
    assert len(_deploys(ws)) == 1
    again = _run(ws, "publish", "releases/sample.md", "--preview")
    assert again.stdout.split() == urls  # the token is kept: advance-copy links keep working

    # After the lift: the public pages, in both languages, in the index and feeds.
    _lifted(release)
    public = _run(ws, "publish", "releases/sample.md")
    assert public.returncode == 0, public.stderr
    assert public.stdout.split() == [
        BASE + "releases/2030-03-12-sample/index.html",
        BASE + "releases/2030-03-12-sample/index.zh-HK.html",
    ]
    folder = site / "releases" / "2030-03-12-sample"
    assert {p.name for p in folder.iterdir()} >= {"index.html", "index.zh-HK.html", "sample.pdf", "sample.zh-HK.pdf"}
    assert "2030-03-12-sample" in (site / "index.html").read_text(encoding="utf-8")
    assert "2030-03-12-sample" in (site / "feed.zh-HK.xml").read_text(encoding="utf-8")
    assert "deployed" in public.stderr and len(_deploys(ws)) == 3

    # Unpublish: pages, PDFs and previews go; the index no longer lists it; deployed again.
    down = _run(ws, "unpublish", "releases/sample.md")
    assert down.returncode == 0, down.stderr
    assert not folder.exists() and not (site / "preview").exists()
    assert "2030-03-12-sample" not in (site / "index.html").read_text(encoding="utf-8")
    assert len(_deploys(ws)) == 4


def test_a_failed_deploy_is_one_line_and_exit_1(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _workspace(ws, deploy="echo 'rsync: connection refused' >&2; exit 12")
    done = _run(ws, "publish", "releases/sample.md", "--preview")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "exited with status 12: rsync: connection refused" in lines[0]
    assert list((ws / "site" / "preview").rglob("index.html"))  # written, only not deployed


def test_bad_site_config_is_one_line(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _workspace(ws, extra="deploy_timout = 5\n")
    done = _run(ws, "publish", "releases/sample.md", "--preview")
    assert done.returncode == 2
    assert "unknown key 'site.deploy_timout'" in done.stderr and "deploy_timeout" in done.stderr


def test_emails_link_to_files_that_exist_and_a_send_before_publishing_is_refused(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    release = _workspace(ws)
    contacts = _contacts(ws / "list.csv", [f"desk{i}@wire.example" for i in range(4)])

    # An advance copy before its preview exists: refused up front, with the command that fixes it.
    early = _run(ws, "send", "releases/sample.md", "-c", str(contacts), "--under-embargo", "--yes")
    assert early.returncode == 2, early.stderr
    assert "pressctl publish releases/sample.md --preview" in early.stderr
    assert not (ws / "outbox" / "new").exists() or not list((ws / "outbox" / "new").iterdir())

    assert _run(ws, "publish", "releases/sample.md", "--preview").returncode == 0
    sent = _run(ws, "send", "releases/sample.md", "-c", str(contacts), "--under-embargo", "--yes")
    assert sent.returncode == 0, sent.stderr
    advance = sorted((ws / "outbox" / "new").iterdir())
    assert len(advance) == 4
    for path in advance:
        links = _newsroom_links(path.read_bytes())
        assert all("/preview/" in u for u in links)
        assert all(_site_file(ws, u).is_file() for u in links), links
        text, _ = _bodies(path.read_bytes())
        assert ("Read online" in text and "Download photos" in text) or ("網上閱讀" in text and "下載圖片" in text)

    # After the lift, a send before `publish` is refused; after it, the links lead to the public pages.
    _lifted(release)
    refused = _run(ws, "send", "releases/sample.md", "-c", str(contacts), "--yes", "--new-campaign")
    assert refused.returncode == 2
    assert "newsroom page is not published" in refused.stderr
    assert "pressctl publish releases/sample.md" in refused.stderr
    # A dry run shows the links, with a warning.
    dry = _run(ws, "send", "releases/sample.md", "-c", str(contacts), "--dry-run")
    assert dry.returncode == 0 and "not published" in dry.stderr
    assert f"newsroom: {BASE}releases/2030-03-12-sample/index.html, " in dry.stdout
    eml = sorted((ws / "out" / "preview-sample" / "messages").glob("*.eml"))
    assert eml and BASE + "releases/2030-03-12-sample/index.html" in _bodies(eml[0].read_bytes())[0]

    assert _run(ws, "publish", "releases/sample.md").returncode == 0
    (ws / "outbox").rename(ws / "outbox-advance")
    sent = _run(ws, "send", "releases/sample.md", "-c", str(contacts), "--yes", "--new-campaign")
    assert sent.returncode == 0, sent.stderr
    messages = sorted((ws / "outbox" / "new").iterdir())
    assert len(messages) == 4
    pages = set()
    for path in messages:
        links = _newsroom_links(path.read_bytes())
        assert all("/releases/2030-03-12-sample/" in u for u in links), links
        assert all(_site_file(ws, u).is_file() for u in links), links
        pages |= {u for u in links if u.endswith(".html")}
    assert pages == {BASE + "releases/2030-03-12-sample/index.html", BASE + "releases/2030-03-12-sample/index.zh-HK.html"}


def test_pdf_link_mode_links_the_sites_pdf(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    release = _workspace(ws)
    toml = ws / "pressctl.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('pdf = "attach"', 'pdf = "link"'), encoding="utf-8")
    assert 'pdf = "link"' in toml.read_text(encoding="utf-8")
    _lifted(release)
    assert _run(ws, "publish", "releases/sample.md").returncode == 0
    contacts = _contacts(ws / "list.csv", ["desk0@wire.example"])
    sent = _run(ws, "send", "releases/sample.md", "-c", str(contacts), "--yes")
    assert sent.returncode == 0, sent.stderr
    (path,) = (ws / "outbox" / "new").iterdir()
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert not [p for p in msg.walk() if p.get_content_type() == "application/pdf"]
    links = _newsroom_links(path.read_bytes())
    assert BASE + "releases/2030-03-12-sample/sample.pdf" in links


# -- scheduled: publish at the lift, then the emails ------------------------------------------------------


def _lift_in(seconds: int, release: Path) -> dt.datetime:
    return _lift_at(dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=seconds), release)


def _lift_at(lift: dt.datetime, release: Path) -> dt.datetime:
    text = release.read_text(encoding="utf-8")
    release.write_text(text.replace(SAMPLE_EMBARGO, f"embargo: {lift.strftime('%Y-%m-%dT%H:%M:%SZ')}"), encoding="utf-8")
    return lift


@pytest.fixture
def server() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as smtp:
        yield smtp


def test_a_scheduled_job_publishes_and_deploys_at_the_lift_before_its_first_email(
    tmp_path: Path, server: SmtpTestServer
) -> None:
    ws = tmp_path / "ws"
    release = _workspace(ws)
    wanted = [f"desk{i}@wire.example" for i in range(4)]
    contacts = _contacts(ws / "list.csv", wanted)
    lift = _lift_in(12, release)
    scheduled = _run(ws, "schedule", "releases/sample.md", "-c", str(contacts), "--smtp", server.url())
    assert scheduled.returncode == 0, scheduled.stderr
    assert "publishes" in scheduled.stdout and "at the lift" in scheduled.stdout
    job = scheduled.stdout.split()[-1]
    page = ws / "site" / "releases" / "2030-03-12-sample" / "index.html"  # the release's date, not the lift's
    assert not page.exists()
    offset = time.time() - time.monotonic()  # server arrival stamps (monotonic) -> wall-clock
    watcher = subprocess.Popen(
        [PRESSCTL, "dispatch", "--watch"], cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert wait_for(lambda: len(server.messages) >= len(wanted), timeout=60)
    finally:
        watcher.send_signal(signal.SIGTERM)
        stdout, stderr = watcher.communicate(timeout=30)
    assert f"{job}  done" in stdout, (stdout, stderr)
    first_arrival = min(m.time for m in server.messages) + offset
    (deployed,) = _deploys(ws)
    written = page.stat().st_mtime
    # Nothing public before the lift; the page written, then deployed, then the first email.
    assert written >= lift.timestamp() - 0.01, f"page written {lift.timestamp() - written:.3f} s before the lift"
    assert written <= deployed + 0.01 <= first_arrival + 0.02, (written, deployed, first_arrival)
    for m in server.messages:
        links = _newsroom_links(m.data)
        assert all(_site_file(ws, u).is_file() for u in links), links
    state = (ws / ".pressctl" / "site.json").read_text(encoding="utf-8")
    assert str(release) in state  # recorded as the user's file, not the job's snapshot copy


def test_a_failed_deploy_holds_the_job_and_sends_nothing(
    tmp_path: Path, server: SmtpTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In-process commands on one manual clock: the job's time comes by moving it, not by a sleep.
    from typer.testing import CliRunner

    from pressctl.cli import app
    from pressctl.cli._env import Env
    from pressctl.clock import ManualClock

    ws = tmp_path / "ws"
    release = _workspace(ws, deploy="echo 'aws: Unable to locate credentials' >&2; exit 255")
    contacts = _contacts(ws / "list.csv", ["desk0@wire.example", "desk1@wire.example"])
    clock = ManualClock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    monkeypatch.chdir(ws)
    env = Env.for_test(clock=clock, cwd=ws)
    monkeypatch.delenv("PRESSCTL_SMTP_PASSWORD", raising=False)
    runner = CliRunner()

    def cli(*args: str) -> Any:
        return runner.invoke(app, list(args), obj=env)

    _lift_at(clock() + dt.timedelta(seconds=3), release)
    scheduled = cli("schedule", "releases/sample.md", "-c", str(contacts), "--smtp", server.url())
    assert scheduled.exit_code == 0, scheduled.stderr
    job = scheduled.stdout.split()[-1]
    clock.advance(3.2)
    held = cli("dispatch")
    assert held.exit_code == 1, held.stderr
    assert f"{job}  held" in held.stdout and "Unable to locate credentials" in held.stdout
    assert f"pressctl schedule run {job}" in held.stdout
    assert server.messages == []
    listing = cli("schedule", "list").stdout
    assert f"{job}  held" in listing, listing
    assert job in cli("schedule", "list", "--state", "held").stdout
    assert job not in cli("schedule", "list", "--state", "scheduled").stdout

    # Fixed: `schedule run` publishes, deploys and sends.
    toml = ws / "pressctl.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            "echo 'aws: Unable to locate credentials' >&2; exit 255", "date +%s.%N >> ../deploys.log"
        ),
        encoding="utf-8",
    )
    run = cli("schedule", "run", job)
    assert run.exit_code == 0, (run.stdout, run.stderr)
    assert len(server.messages) == 2 and len(_deploys(ws)) == 1
    assert f"{job}  done" in cli("schedule", "list").stdout
