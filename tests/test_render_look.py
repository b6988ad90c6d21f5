"""How the email and the preview look: regressions for what screenshots in Chromium showed wrong.

Each test checks, in the HTML itself, the rule that fixed what a person saw: grey text on a dark card in
Outlook.com's dark mode, a slanted Chinese subtitle, a long URL or a wide table widening the email past a
phone's screen, images in the preview page showing only their alt text.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from messages_support import contact, fake_pdf, make_factory

from pressctl.config import Workspace
from pressctl.model import Rendered
from pressctl.release.load import load_release, load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.colour import text_on
from pressctl.render.email import render_email
from pressctl.render.pdf import print_html
from pressctl.send.preview import write_preview
from tests.render_support import make_workspace, write_release

WIDE = """---
title: HVSP test bay bookings
date: 2030-03-12
language: en
---

Drawings: https://www.hvsp.example/press/2030/03/tidal-energy-test-bay/technical-drawings-and-booking-form.pdf

![Plan of the bay](photos/test-bay.jpg)

| Company | Device | Flow speed (m/s) | Wave height (m) | Weeks | Contact |
|---|---|---|---|---|---|
| Kelpwise | seabed turbine | 2.5 | 1.2 | 6 | trials@kelpwise.example |
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Workspace]:
    return make_workspace(tmp_path_factory.mktemp("look"))


@pytest.fixture(scope="module")
def sample_emails(workspace: tuple[Path, Workspace]) -> dict[str, Rendered]:
    root, ws = workspace
    releases = load_release_set(root / "releases" / "sample.md", ws)
    return {r.language: render_email(r, ws, MergePlan(), embargoed=True) for r in releases}


def _style_of(html: str, tag: str, cls: str) -> str:
    """The inlined style of the first ``<tag class="... cls ...">``."""
    m = re.search(
        rf'<{tag}\b[^>]*\bclass="(?:[^"]*\s)?{re.escape(cls)}(?:\s[^"]*)?"[^>]*\bstyle="([^"]*)"', html
    )
    assert m is not None, f"no <{tag} class={cls}> with a style"
    return m.group(1)


def _dark_media_selectors(html: str) -> set[str]:
    m = re.search(r"@media \(prefers-color-scheme: dark\) \{(.*?)\n\}", html, re.S)
    assert m is not None, "the prefers-color-scheme: dark block is gone"
    selectors: set[str] = set()
    for rule in re.findall(r"([^{}]+)\{[^}]*\}", m.group(1)):
        selectors.update(s.strip() for s in rule.split(","))
    return selectors


def test_outlook_dark_mode_repeats_every_dark_colour(sample_emails: dict[str, Rendered]) -> None:
    # Outlook.com marks the body data-ogsc in dark mode and ignores the media query: the grey subtitle,
    # quotes, About text, caption and footer were left dark grey on the dark card.
    html = sample_emails["en"].html
    keep = re.search(r'<style data-css-inline="keep">(.*?)</style>', html, re.S)
    assert keep is not None
    ogsc = keep.group(1)
    selectors = _dark_media_selectors(html)
    assert {".subtitle", ".about", ".caption", ".footer", "blockquote"} <= selectors
    missing = [s for s in sorted(selectors) if f"[data-ogsc] {s}" not in ogsc]
    assert not missing, f"dark colours without a [data-ogsc] twin: {missing}"


def test_chinese_subtitle_is_upright(sample_emails: dict[str, Rendered]) -> None:
    # Chinese fonts have no italic: Chromium slanted the glyphs. The PDF already sets it upright.
    assert "font-style: italic" in _style_of(sample_emails["en"].html, "p", "subtitle")
    assert "font-style: normal" in _style_of(sample_emails["zh-HK"].html, "p", "subtitle")
    assert 'class="container card cjk"' in sample_emails["zh-HK"].html
    assert 'class="container card"' in sample_emails["en"].html


def test_wide_content_stays_inside_a_phone_screen(workspace: tuple[Path, Workspace]) -> None:
    # At 375 px a long URL and a six-column table pushed the whole card past the screen's edge.
    root, ws = workspace
    release = load_release(write_release(root, WIDE, name="wide.md"), ws)
    html = render_email(release, ws, MergePlan(), embargoed=False).html
    assert "table-layout: fixed" in _style_of(html, "table", "container")
    assert "overflow-wrap: break-word" in _style_of(html, "td", "content")
    scroll = _style_of(html, "div", "table-scroll")
    assert "overflow-x: auto" in scroll
    # Every table from the Markdown (the layout tables have role="presentation") sits in a scroller.
    data_tables = len(re.findall(r"<table(?![^>]*role=\"presentation\")[\s>]", html))
    assert data_tables == 1
    assert len(re.findall(r'<div class="table-scroll"[^>]*><table\b', html)) == data_tables
    img = re.search(r'<img src="cid:body1\.wide@pressctl"[^>]*>', html)  # a body image, embedded
    assert img is not None and "max-width: 100%" in img.group(0)


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


def test_chinese_footer_has_no_spaces_between_words(sample_emails: dict[str, Rendered]) -> None:
    # "名單上。 取消訂閱 或電郵至" showed gaps: Chinese separates nothing with spaces (a space before the
    # Latin address stays). The link starts its own line: a tag right after "。" counts as obfuscation to
    # SpamAssassin (see test_send_spam.py).
    zh = sample_emails["zh-HK"].html
    assert re.search(r"。<br>\s*<a href=\"https://[^\"]*\"[^>]*>取消訂閱</a>或電郵至 <a href=\"mailto:", zh)
    en = sample_emails["en"].html
    assert re.search(
        r"list\. <a href=\"https://[^\"]*\"[^>]*>Unsubscribe</a> or write to <a href=\"mailto:", en
    )


def test_banner_text_reads_on_the_brand_colour(sample_emails: dict[str, Rendered]) -> None:
    # White on the sample's orange accent (#e07a2f) is 3.5:1, under WCAG's 4.5:1 for 13 px text.
    assert text_on("#e07a2f") == "#1d1d1f"
    assert text_on("#0b5c74") == "#ffffff"  # the dark teal primary keeps white
    assert text_on("#000") == "#ffffff" and text_on("#fff") == "#1d1d1f"
    assert text_on("rebeccapurple") == "#ffffff" and text_on("rgb(0, 0, 0)") == "#ffffff"
    embargo = _style_of(sample_emails["en"].html, "td", "embargo")
    assert "background: #e07a2f" in embargo and "color: #1d1d1f" in embargo


def test_pdf_banner_text_reads_on_the_brand_colour(workspace: tuple[Path, Workspace]) -> None:
    root, ws = workspace
    release = load_release(root / "releases" / "sample.md", ws)
    html = print_html(release, ws, MergePlan(), embargoed=True)
    assert re.search(r"\.banner\.embargo \{ background: #e07a2f; color: #1d1d1f; \}", html)


def test_english_email_names_hong_kong_faces_for_chinese_names(sample_emails: dict[str, Rendered]) -> None:
    # "Dr Evelyn Tsang (曾穎欣)": Arial has no Chinese; without a named HK face the client's fallback decides.
    card = _style_of(sample_emails["en"].html, "table", "card")
    family = re.search(r"font-family: ([^;]*);", card)
    assert family is not None
    # The card's stack is Latin only: a CJK face in it won where Arial is missing ("park’ s"); the name's
    # span carries the CJK stack, Hong Kong faces first.
    assert family.group(1).startswith("Arial,") and family.group(1).rstrip().endswith("sans-serif")
    assert "CJK" not in family.group(1) and "PingFang" not in family.group(1)
    span = re.search(r'<span lang="zh-HK" style="font-family: ([^;"]*);?">曾穎欣</span>', sample_emails["en"].html)
    assert span is not None, "the Chinese name has no CJK font stack"
    assert span.group(1).startswith("'PingFang HK'") and "Noto Sans CJK HK" in span.group(1)


def test_chinese_email_names_a_cjk_face_first(sample_emails: dict[str, Rendered]) -> None:
    card = _style_of(sample_emails["zh-HK"].html, "table", "card")
    family = re.search(r"font-family: ([^;]*);", card)
    assert family is not None and family.group(1).startswith("'PingFang HK'")


def test_email_logo_is_flattened_onto_white(sample_emails: dict[str, Rendered]) -> None:
    # The sample logo is a transparent PNG with dark lettering: a mail app's forced dark mode darkened the
    # header behind it and the lettering vanished. The email copy carries its own white background.
    from PIL import Image

    logo = next(i for i in sample_emails["en"].images if i.cid.startswith("logo."))
    assert (logo.maintype, logo.subtype) == ("image", "png")
    with Image.open(io.BytesIO(logo.data)) as img:
        assert img.mode == "RGB"
        assert img.getpixel((0, 0)) == (255, 255, 255)
