"""The newsroom in a real browser: headless Chromium loads every generated page from ``site.serve`` on
127.0.0.1; every internal link and asset resolves, nothing overflows at 375 px or 1280 px, and axe-core
finds no serious or critical accessibility violation, in English and Chinese, public pages and previews."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from render_support import make_workspace
from site_support import CHROMIUM, Browser, axe_source, axe_violations, browser

from pressctl.site.serve import serving

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium (Debian package chromium) is not installed"),
]

WIDTHS = (375, 1280)
# Screenshots are kept here when set (to look at them), else in the test's tmp_path.
SHOTS = os.environ.get("PRESSCTL_SITE_SHOTS")
PRESSCTL = str(Path(sys.executable).with_name("pressctl"))


def _pressctl(ws: Path, *args: str) -> str:
    done = subprocess.run([PRESSCTL, *args], cwd=ws, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, list[str]]]:
    """The sample release previewed (under embargo) and published (after the lift) with the real
    `pressctl publish`, served by a real `pressctl site serve` on 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("site")
    root, _ws = make_workspace(tmp)
    (root / "site").mkdir()
    server = subprocess.Popen(
        [PRESSCTL, "site", "serve", "--port", "0"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        found = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
        assert found, (line, server.stderr.read() if server.poll() is not None and server.stderr else "")
        base = found.group(1)
        with (root / "pressctl.toml").open("a", encoding="utf-8") as fh:
            fh.write(f'\n[site]\nbase_url = "{base}"\n')
        preview = _pressctl(root, "publish", "releases/sample.md", "--preview").split()
        release = root / "releases" / "sample.md"
        text = release.read_text(encoding="utf-8")
        release.write_text(text.replace("2030-03-12T10:00:00+08:00", "2026-01-05T10:00:00+08:00"), encoding="utf-8")
        public = _pressctl(root, "publish", "releases/sample.md").split()
        assert len(preview) == 2 and len(public) == 2, (preview, public)
        site_dir = root / "site"
        pages = sorted(str(p.relative_to(site_dir)) for p in site_dir.rglob("*.html"))
        assert len(pages) == 6, pages  # 2 index pages, 2 release pages, 2 preview pages
        assert all(u.removeprefix(base) in pages for u in preview + public)
        yield site_dir, base, pages
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C
        server.communicate(timeout=30)
    assert server.returncode == 130


@pytest.fixture(scope="module")
def chrome() -> Iterator[Browser]:
    with browser() as b:
        yield b


def _internal_links(chrome: Browser, base: str) -> list[str]:
    urls: list[str] = chrome.evaluate(
        "[...document.querySelectorAll('a[href], link[href], img[src], script[src]')]"
        ".map(e => e.href || e.src)"
    )
    return sorted({u.split("#", 1)[0] for u in urls if u.startswith(base)})


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            resp.read()
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_every_page_loads_and_every_internal_link_resolves(site: tuple[Path, str, list[str]], chrome: Browser) -> None:
    _site_dir, base, pages = site
    chrome.viewport(1280)
    checked: dict[str, int] = {}
    for page in pages:
        responses = chrome.load(base + page)
        failed = [r for r in responses if r["status"] >= 400 or r["status"] == 0]
        assert not failed, (page, failed)
        for url in _internal_links(chrome, base):
            if url not in checked:
                checked[url] = _status(url)
        assert chrome.evaluate("document.documentElement.lang") in ("en", "zh-HK")
    broken = {u: s for u, s in checked.items() if s != 200}
    assert not broken, broken
    # The pages link what a journalist needs: photos at full resolution, the PDFs, each language, the feeds.
    names = {u.rsplit("/", 1)[-1] for u in checked}
    assert {"test-bay.jpg", "sample.pdf", "sample.zh-HK.pdf", "index.zh-HK.html", "feed.xml", "feed.zh-HK.xml"} <= names


@pytest.mark.parametrize("width", WIDTHS)
def test_no_horizontal_overflow_and_screenshots(
    site: tuple[Path, str, list[str]], chrome: Browser, width: int, tmp_path: Path
) -> None:
    _, base, pages = site
    shots = Path(SHOTS) if SHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    chrome.viewport(width)
    for page in pages:
        chrome.load(base + page)
        sizes = chrome.evaluate(
            "({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
        )
        assert sizes["scroll"] <= sizes["client"], (page, width, sizes)
        shot = shots / f"{page.replace('/', '_')}-{width}.png"
        chrome.screenshot(shot)
        assert shot.stat().st_size > 5000


def _axe(chrome: Browser, source: str) -> list[dict[str, Any]]:
    return axe_violations(chrome, source)


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_serious_or_critical_violation(
    site: tuple[Path, str, list[str]], chrome: Browser, width: int
) -> None:
    source = axe_source()
    if source is None:
        pytest.skip("axe-core could not be installed with npm (no npm, or no registry access)")
    _, base, pages = site
    chrome.viewport(width)
    for page in pages:
        chrome.load(base + page)
        violations = _axe(chrome, source)
        bad = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert not bad, (page, width, bad)


def test_keyboard_user_sees_the_skip_link_first(site: tuple[Path, str, list[str]], chrome: Browser) -> None:
    _, base, pages = site
    chrome.viewport(375)
    for page in pages:
        chrome.load(base + page)
        chrome.call("Input.dispatchKeyEvent", type="keyDown", key="Tab", code="Tab", windowsVirtualKeyCode=9)
        chrome.call("Input.dispatchKeyEvent", type="keyUp", key="Tab", code="Tab", windowsVirtualKeyCode=9)
        focused = chrome.evaluate(
            "(() => { const e = document.activeElement; const r = e.getBoundingClientRect();"
            " const s = getComputedStyle(e);"
            " return {cls: e.className, href: e.getAttribute('href'), top: r.top, outline: s.outlineStyle}; })()"
        )
        assert focused["cls"] == "skip-link" and focused["href"] == "#main", (page, focused)
        assert focused["top"] >= 0, (page, focused)  # on screen once focused
        assert focused["outline"] != "none", (page, focused)


def test_the_checks_catch_what_they_look_for(tmp_path: Path, chrome: Browser) -> None:
    """A control page with a missing alt text, low contrast and a too-wide table: each check must fail it."""
    source = axe_source()
    if source is None:
        pytest.skip("axe-core could not be installed with npm (no npm, or no registry access)")
    (tmp_path / "bad.html").write_text(
        '<!DOCTYPE html><html><head><title>x</title></head><body><main>'
        '<img src="missing.png"><p style="color:#bbb;background:#fff">faint</p>'
        '<div style="width:2000px">wide</div></main></body></html>',
        encoding="utf-8",
    )
    with serving(tmp_path) as server:
        chrome.viewport(375)
        responses = chrome.load(server.url + "bad.html")
        assert any(r["status"] == 404 for r in responses)
        sizes = chrome.evaluate(
            "({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
        )
        assert sizes["scroll"] > sizes["client"]
        ids = {v["id"] for v in _axe(chrome, source) if v["impact"] in ("serious", "critical")}
        assert {"image-alt", "color-contrast", "html-has-lang"} <= ids
