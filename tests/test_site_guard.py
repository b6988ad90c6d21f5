"""The newsroom serves only the newsroom, and publishing is one step (issue 17 points 6, 7, 9; issue 18 item 1).

* ``site serve`` over real HTTP: no directory listings (``/preview/`` listed the advance copies' secret
  addresses), only ``Host: 127.0.0.1:PORT`` or ``localhost:PORT`` (DNS rebinding), nothing outside the
  folder (a symlink to ``/etc/passwd`` or the workspace's ``.pressctl/``), no hidden files.
* ``[site] dir`` may not be, hold or lie inside the workspace's private parts.
* ``publish`` renders and stages everything first: a failure leaves the site and its state as they were.
* After the public publish, each preview page points at the public page (no advance link shows EMBARGOED).
* The newsroom ``<h1>`` is escaped once.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from qa_support import QA_ENV, one_error_line, pressctl
from render_support import AFTER_LIFT, BEFORE_LIFT, make_workspace
from site_support import CHROMIUM, fixed_clock, sample_releases

from pressctl.errors import InputError
from pressctl.release.load import Release, load_release_set
from pressctl.release.merge import MergePlan
from pressctl.site.publish import publish, publish_preview, site_config
from pressctl.site.serve import serving
from pressctl.site.state import load_state

BASE = "https://newsroom.hvsp.example/"
PUBLIC = "releases/2030-03-12-sample/"


def fake_pdf(release: Release, ws: object, plan: MergePlan, embargoed: bool) -> bytes:
    return f"%PDF-1.7 {release.language} {'EMBARGOED' if embargoed else 'public'}".encode()


def _get(port: int, path: str, host: str | None = None) -> tuple[int, str, dict[str, str]]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{port}")
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", "replace"), dict(resp.getheaders())
    finally:
        conn.close()


def _tree(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


@contextmanager
def _serve_cli(ws: Path) -> Iterator[int]:
    """``pressctl site serve --port 0`` as a real process; yields the port it printed."""
    proc = subprocess.Popen(
        [sys.executable, "-c", "from pressctl.cli import main; main()", "site", "serve", "--port", "0"],
        cwd=ws, env=QA_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, (line, proc.stderr.read() if proc.stderr else "")
        yield int(match.group(1))
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


# -- site serve ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_site_serve_lists_no_folder_answers_only_its_own_names_and_follows_no_link_out(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    preview = publish_preview(sample_releases(root, ws), ws, config, clock=fixed_clock(BEFORE_LIFT), make_pdf=fake_pdf)
    token = preview.folder.split("/")[1]
    site = config.dir
    (root / ".pressctl" / "secret").write_bytes(b"x" * 32)
    os.symlink("/etc/passwd", site / "passwd.html")
    os.symlink(root / ".pressctl", site / "state")
    os.symlink(root / "contacts", site / "lists")
    (site / "assets" / "inside.css").symlink_to(site / "assets" / "site.css")  # a link inside: fine
    with _serve_cli(root) as port:
        status, body, _ = _get(port, "/index.html")
        assert status == 200 and "Harbourview" in body
        assert _get(port, f"/{preview.folder}index.html")[0] == 200  # the preview itself, by its address
        # No listings: /preview/ used to list every advance copy's secret folder.
        for folder in ("/preview/", "/preview", "/releases/", "/assets/", f"/{preview.folder}photos/"):
            status, body, _ = _get(port, folder)
            assert status == 404 and token not in body, (folder, status)
        # Nothing outside the folder, however it is linked.
        for path in ("/passwd.html", "/state/ledger.sqlite3", "/state/secret", "/lists/journalists.csv",
                     "/../pressctl.toml", "/%2e%2e/pressctl.toml", "/.pressctl/secret"):
            assert _get(port, path)[0] == 404, path
        assert _get(port, "/assets/inside.css")[0] == 200
        # Only its own names: a page on evil.example that points its name at 127.0.0.1 is refused.
        for host in ("evil.example", f"evil.example:{port}", "127.0.0.1", f"localhost:{port + 1}", ""):
            status, body, _ = _get(port, "/index.html", host=host)
            assert status == 421 and "Harbourview" not in body, host
        assert _get(port, "/index.html", host=f"localhost:{port}")[0] == 200
        assert _get(port, "/index.html", host=f"LOCALHOST:{port}")[0] == 200


@pytest.mark.parametrize("folder", [".", ".pressctl", ".pressctl/site", "contacts", "contacts/web", "..", "releases"])
@pytest.mark.slow
def test_the_site_folder_is_never_the_workspace_or_its_private_parts(tmp_path: Path, folder: str) -> None:
    root, _ = make_workspace(tmp_path)
    with (root / "pressctl.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[site]\ndir = "{folder}"\n')
    for args in (("publish", "releases/sample.md", "--preview"), ("site", "serve", "--port", "0")):
        done = pressctl(*args, cwd=root)
        assert done.returncode == 2, (folder, done.stdout, done.stderr)
        line = one_error_line(done)
        assert f"site.dir '{folder}'" in line and "serve and deploy" in line, line
    assert not (root / ".pressctl" / "site.json").exists()


@pytest.mark.slow
def test_a_port_that_is_no_port_is_one_line(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    (root / "site").mkdir()
    for port in ("99999", "-1", "65536"):
        done = pressctl("site", "serve", "--port", port, cwd=root)
        assert done.returncode == 2 and f"--port {port} is not a port number" in one_error_line(done)


# -- publishing as one step --------------------------------------------------------------------------------


def _second_release(root: Path) -> Path:
    text = (root / "releases" / "sample.md").read_text(encoding="utf-8")
    other = root / "releases" / "other.md"
    other.write_text(text.replace("date: 2030-03-12", "date: 2030-03-13"), encoding="utf-8")
    return other


def test_a_failure_while_publishing_leaves_the_site_and_its_state_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    publish(sample_releases(root, ws), ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True, make_pdf=fake_pdf)
    before, state = _tree(config.dir), config.state_path.read_bytes()
    other = load_release_set(_second_release(root), ws)

    # The feed writer failing, as it did on a vertical tab: the new release's folder is not left behind.
    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("All strings must be XML compatible")

    monkeypatch.setattr("pressctl.site.publish.render_feeds", broken)
    with pytest.raises(ValueError):
        publish(other, ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True, make_pdf=fake_pdf)
    assert _tree(config.dir) == before and config.state_path.read_bytes() == state
    monkeypatch.undo()

    # A file the site cannot write half-way (a folder where a page goes): nothing written, no folder left.
    blocker = config.dir / "releases" / "2030-03-13-other" / "index.zh-HK.html"
    blocker.mkdir(parents=True)
    with pytest.raises(InputError) as info:
        publish(other, ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True, make_pdf=fake_pdf)
    assert "nothing was changed" in str(info.value) and "\n" not in str(info.value)
    blocker.rmdir()
    assert _tree(config.dir) == before and config.state_path.read_bytes() == state
    assert sorted(p.name for p in (config.dir / "releases").iterdir()) == ["2030-03-12-sample", "2030-03-13-other"]
    assert not any((config.dir / "releases" / "2030-03-13-other").iterdir())

    # Every folder on the site is one the state knows, so unpublish removes what publish made.
    publish(other, ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True, make_pdf=fake_pdf)
    known = {p for record in load_state(config.state_path).published.values() for p in record.paths}
    assert {p for p in _tree(config.dir) if p.startswith("releases/")} == known


# -- advance links after the lift --------------------------------------------------------------------------


@pytest.mark.slow
def test_after_the_public_publish_every_preview_page_points_at_the_public_page(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    config = site_config(ws, base_url=BASE)
    releases = sample_releases(root, ws)
    preview = publish_preview(releases, ws, config, clock=fixed_clock(BEFORE_LIFT), make_pdf=fake_pdf)
    folder = preview.folder
    assert "EMBARGOED" in (config.dir / folder / "index.html").read_text(encoding="utf-8")

    publish(releases, ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True, make_pdf=fake_pdf)
    for page in ("index.html", "index.zh-HK.html"):
        html = (config.dir / folder / page).read_text(encoding="utf-8")
        assert "EMBARGOED" not in html and "禁發" not in html, page
        assert f'<link rel="canonical" href="{BASE}{PUBLIC}{page}">' in html
        assert f'content="0; url=../../{PUBLIC}{page}"' in html and 'name="robots" content="noindex"' in html
    # The advance email's PDF link gives the released version; photos stay where they were.
    for name in ("sample.pdf", "sample.zh-HK.pdf"):
        assert (config.dir / folder / name).read_bytes() == (config.dir / PUBLIC / name).read_bytes()
        assert b"public" in (config.dir / folder / name).read_bytes()
    assert sorted(p.name for p in (config.dir / folder / "photos").iterdir()) == sorted(
        p.name for p in (config.dir / PUBLIC / "photos").iterdir()
    )
    state = load_state(config.state_path)
    assert set(state.previews["sample"].paths) == {p.replace(PUBLIC, folder) for p in state.published["sample"].paths}
    # Published again as a preview (an old command in a script): still the pointer.
    publish_preview(releases, ws, config, clock=fixed_clock(AFTER_LIFT), make_pdf=fake_pdf)
    assert "EMBARGOED" not in (config.dir / folder / "index.html").read_text(encoding="utf-8")

    with serving(config.dir) as server:
        port = server.server_address[1]
        status, body, _ = _get(port, f"/{folder}index.zh-HK.html")
        assert status == 200 and f"url=../../{PUBLIC}index.zh-HK.html" in body
        if CHROMIUM is None:
            return
        from site_support import browser

        with browser() as b:
            b.load(f"{server.url}{folder}index.html#photos-heading")
            b.evaluate("new Promise(r => setTimeout(r, 500))", await_promise=True)
            where = b.evaluate("location.href")
            text = b.evaluate("document.body.innerText")
        assert where == f"{server.url}{PUBLIC}index.html#photos-heading", where
        assert "EMBARGOED" not in text and "Tidal Energy Test Bay" in text


# -- the page's own words ----------------------------------------------------------------------------------


def test_the_newsroom_h1_is_escaped_once(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    sample = root / "releases" / "sample.md"
    lines = sample.read_text(encoding="utf-8").split("\n")
    lines[1] = "title: Ripple & Reef <Buoys> Open"
    sample.write_text("\n".join(lines), encoding="utf-8")
    config = site_config(ws, base_url=BASE)
    publish(sample_releases(root, ws), ws, config, clock=fixed_clock(AFTER_LIFT), allow_public=True, make_pdf=fake_pdf)
    page = (config.dir / PUBLIC / "index.html").read_text(encoding="utf-8")
    assert "<h1>Ripple &amp; Reef &lt;Buoys&gt; Open</h1>" in page, re.findall(r"<h1>.*</h1>", page)
    assert "&amp;amp;" not in page
    ld = json.loads(re.search(r'<script type="application/ld\+json">\s*(.*?)\s*</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert ld["headline"] == "Ripple & Reef <Buoys> Open"
