"""``pressctl preview`` in a real browser: headless Chromium over its DevTools protocol opens the page a real
``pressctl preview`` serves; both languages are there (email, text, PDF pages); editing the title and a photo
caption shows the new words in the email, the text and the PDF page images within 2 s, without a reload; a
broken front matter shows its error line on the page; nothing overflows at 375 px; axe-core finds no serious
or critical violation."""

from __future__ import annotations

import os
import re
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from preview_support import page_state, running_preview
from render_support import make_workspace
from site_support import CHROMIUM, Browser, axe_source, axe_violations, browser
from wait_support import wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium (Debian package chromium) is not installed"),
]

# Set to a file name to keep a screenshot of the page (the README's is docs/preview.png).
SHOT = os.environ.get("PRESSCTL_PREVIEW_SHOT")
TITLE = "Harbourview Science Park Opens Tidal Energy Test Bay for Start-ups"
CAPTION = "Photo 1: Engineers from two resident start-ups lower a prototype tidal turbine"


@pytest.fixture(scope="module")
def chrome() -> Iterator[Browser]:
    with browser() as b:
        yield b


@pytest.fixture()
def preview(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root, _ws = make_workspace(tmp_path)
    with running_preview(root) as (_proc, url):
        yield root, url


def _overflow(chrome: Browser) -> dict[str, int]:
    sizes: dict[str, int] = chrome.evaluate(
        "({scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth})"
    )
    return sizes


def _loaded(chrome: Browser, url: str, width: int) -> dict[str, Any]:
    chrome.viewport(width)
    chrome.load(url)
    assert wait_for(lambda: all(v["email"] and v["pdfLoaded"] for v in page_state(chrome)["languages"].values()), 20)
    return page_state(chrome)


def test_both_languages_fit_a_phone_and_pass_axe(preview: tuple[Path, str], chrome: Browser, tmp_path: Path) -> None:
    _root, url = preview
    for width in (375, 1280):
        state = _loaded(chrome, url, width)
        assert set(state["languages"]) == {"en", "zh-HK"}, state
        en, zh = state["languages"]["en"], state["languages"]["zh-HK"]
        assert TITLE in en["email"] and TITLE in en["text"] and TITLE in en["pdf"] and en["pdfLoaded"]
        assert "潮汐" in zh["email"] and "潮汐" in zh["text"] and "潮汐" in zh["pdf"] and zh["pdfLoaded"]
        sizes = _overflow(chrome)
        assert sizes["scroll"] <= sizes["client"], (width, sizes)
        source = axe_source()
        if source is None:
            pytest.skip("axe-core could not be installed with npm (no npm, or no registry access)")
        bad = [v for v in axe_violations(chrome, source) if v["impact"] in ("serious", "critical")]
        assert not bad, (width, bad)
    if SHOT:
        chrome.viewport(1280, 860)
        chrome.load(url)
        wait_for(lambda: all(v["email"] and v["pdfLoaded"] for v in page_state(chrome)["languages"].values()), 20)
        import base64

        shot = chrome.call("Page.captureScreenshot", format="png")
        Path(SHOT).write_bytes(base64.b64decode(shot["data"]))


def test_an_edit_shows_within_two_seconds_without_a_reload(preview: tuple[Path, str], chrome: Browser) -> None:
    root, url = preview
    state = _loaded(chrome, url, 1280)
    chrome.evaluate("window.__pressctlTestMarker = 'the same page'")
    release = root / "releases" / "sample.md"
    text = release.read_text(encoding="utf-8")
    assert TITLE in text and CAPTION in text
    new_title, new_caption = "Tidal Bay Now Open to Every Start-up", "Photo 1: A prototype turbine meets the harbour"
    edited = text.replace(TITLE, new_title, 1).replace(CAPTION, new_caption, 1)

    def shows_it() -> bool:
        en = page_state(chrome)["languages"].get("en", {})
        return (
            new_title in en.get("email", "")
            and new_caption in en.get("email", "").replace("\n", " ")
            and new_title in en.get("text", "")
            and new_title in en.get("pdf", "")
            and new_caption in en.get("pdf", "")
            and en.get("pdfLoaded", False)
        )

    started = time.monotonic()
    release.write_text(edited, encoding="utf-8")
    assert wait_for(shows_it, 10), page_state(chrome)
    took = time.monotonic() - started
    after = page_state(chrome)
    assert after["marker"] == "the same page"  # no reload: the script swapped the content in place
    assert int(after["version"]) > int(state["version"])
    assert took < 2.0, f"the page showed the edit after {took:.2f} s"


def test_a_broken_front_matter_shows_its_line_then_recovers(preview: tuple[Path, str], chrome: Browser) -> None:
    root, url = preview
    _loaded(chrome, url, 375)
    release = root / "releases" / "sample.md"
    good = release.read_text(encoding="utf-8")
    release.write_text(good.replace("title: Harbourview", "title: [Harbourview", 1), encoding="utf-8")
    # The loader's own line: the file, the line YAML stopped at, what is wrong and what to do.
    assert wait_for(lambda: bool(re.search(r"sample\.md:\d+: front matter is not valid YAML", page_state(chrome)["error"])), 10)
    state = page_state(chrome)
    assert state["languages"]["en"]["text"]  # the last good render stays below, marked as such
    sizes = _overflow(chrome)
    assert sizes["scroll"] <= sizes["client"], sizes
    release.write_text(good, encoding="utf-8")
    assert wait_for(lambda: not page_state(chrome)["error"], 10), page_state(chrome)


def test_only_its_own_host_is_answered(preview: tuple[Path, str]) -> None:
    _root, url = preview
    request = urllib.request.Request(url, headers={"Host": "rebind.attacker.example"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 421
    for path in ("../../etc/passwd", "%2e%2e/%2e%2e/etc/passwd", "releases/sample.md", "pressctl.toml"):
        with pytest.raises(urllib.error.HTTPError) as missing:  # nothing is read from disk
            urllib.request.urlopen(url + path, timeout=10)
        assert missing.value.code == 404


@pytest.mark.skipif(shutil.which("spamassassin") is None, reason="spamassassin not installed (Debian: spamassassin)")
def test_the_inbox_card_scores_on_request_fits_a_phone_and_passes_axe(tmp_path: Path, chrome: Browser) -> None:
    root, _ws = make_workspace(tmp_path)
    scored = (
        "document.querySelectorAll('#spam-scores tbody tr').length === 2 && "
        "!!document.getElementById('score-spam') && !document.getElementById('score-spam').disabled"
    )
    with running_preview(root, env={**os.environ, "PRESSCTL_SPAMASSASSIN": "spamassassin"}) as (_proc, url):
        chrome.viewport(375)
        chrome.load(url)
        assert wait_for(lambda: chrome.evaluate(scored), 60), chrome.evaluate("document.getElementById('inbox').innerText")
        assert "points (" in chrome.evaluate("document.getElementById('spam-scores').innerText")
        sizes = _overflow(chrome)
        assert sizes["scroll"] <= sizes["client"], sizes
        source = axe_source()
        if source is not None:
            bad = [v for v in axe_violations(chrome, source) if v["impact"] in ("serious", "critical")]
            assert not bad, bad
        chrome.evaluate("window.__pressctlTestMarker = 'the same page'; document.getElementById('score-spam').click()")
        assert wait_for(lambda: chrome.evaluate("document.getElementById('score-spam').disabled"), 10)
        assert wait_for(lambda: chrome.evaluate(scored), 60)
        assert page_state(chrome)["marker"] == "the same page"  # the card was swapped in place
        if source is None:
            pytest.skip("axe-core could not be installed with npm (no npm, or no registry access)")
