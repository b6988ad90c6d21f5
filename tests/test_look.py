"""How the email and the preview look: regressions for what screenshots in Chromium showed wrong.

Each test checks, in the HTML itself, the rule that fixed what a person saw: grey text on a dark card in
Outlook.com's dark mode, a slanted Chinese subtitle, a long URL or a wide table widening the email past a
phone's screen, images in the preview page showing only their alt text.
"""

from __future__ import annotations

import re
from pathlib import Path

from messages_support import contact, fake_pdf, make_factory

from pressctl.preview import write_preview


def test_preview_frames_may_load_their_images(tmp_path: Path) -> None:
    # A sandbox="" frame has an opaque origin, and Chromium then refused the ../images/ files over file://:
    # the preview showed alt text instead of the logo and photo. Scripts stay off.
    people = [contact("amy.chan@harbourdaily.example", "Amy Chan", first_name="Amy")]
    pdfs = {"en": fake_pdf(seed="en"), "zh-HK": fake_pdf(seed="zh-HK")}
    result = write_preview(make_factory(tmp_path), people, out_dir=tmp_path / "p", pdfs=pdfs)
    frames = re.findall(r"<iframe\b[^>]*>", result.index.read_text(encoding="utf-8"))
    assert frames
    for frame in frames:
        sandbox = re.search(r'sandbox="([^"]*)"', frame)
        assert sandbox is not None
        assert sandbox.group(1).split() == ["allow-same-origin"]
