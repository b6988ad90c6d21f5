"""Issue 18 point 13: the dry-run page broke "recip ients" in its labels at 375 px and wrapped the row
number at 1280 px. Looked at in headless Chromium: no word of a label or a row number is split over lines,
and the page itself never scrolls sideways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.scaffold import init_workspace
from tests.site_support import CHROMIUM, Browser

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium (Debian package chromium) is not installed"),
]

_SPLIT_WORDS = """(() => {
  const split = [];
  for (const el of document.querySelectorAll('th, td.n')) {
    for (const node of el.childNodes) {
      if (node.nodeType !== 3) continue;
      const words = /\\S+/g; let m;
      while ((m = words.exec(node.data))) {
        const range = document.createRange();
        range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (lines.size > 1) split.push(m[0]);
      }
    }
  }
  return {split, scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth};
})()"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("preview") / "ws"
    init_workspace(root)
    rows = ["Email,Name,Outlet,Language"]
    for n in range(120):  # three-digit row numbers, long names and addresses squeeze the table
        rows.append(
            f"correspondent.{n:03d}.international-desk@very-long-newsroom-domain-name.example,"
            f"Alexandra Konstantinopoulou-Whitfield {n},World Wire,{'en' if n % 2 else 'zh-HK'}"
        )
    (root / "contacts" / "many.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = root / "out" / "preview"
    result = CliRunner().invoke(app, [
        "send", str(root / "releases/sample.md"), "-c", str(root / "contacts/many.csv"), "--dry-run",
        "--out", str(out),
    ])
    assert result.exit_code == 0, result.output
    return out / "index.html"


@pytest.fixture(scope="module")
def chrome(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))  # kept until pytest clears it: no teardown race
    try:
        yield b
    finally:
        b.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_labels_and_row_numbers_stay_whole(page: Path, chrome: Browser, width: int, tmp_path: Path) -> None:
    chrome.viewport(width)
    chrome.load(page.as_uri())
    found = chrome.evaluate(_SPLIT_WORDS)
    assert found["split"] == [], (width, found["split"])
    assert found["scroll"] <= found["client"], (width, found)
    shot = tmp_path / f"preview-{width}.png"
    chrome.screenshot(shot)
    assert shot.stat().st_size > 5000
