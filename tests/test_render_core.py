"""Rendering: the email HTML and text, the PDF (read back with poppler and pypdf), and the files written."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from pressctl.config import Workspace
from pressctl.model import Rendered
from pressctl.release.load import Release, load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.email import render_email
from pressctl.render.files import render_files
from pressctl.render.pdf import print_html, render_pdf
from pressctl.render.templates import TemplateFileError
from pressctl.render.words import dateline_text, embargo_line, subject_line
from tests.render_support import (
    AFTER_LIFT,
    BEFORE_LIFT,
    HAVE_POPPLER,
    make_workspace,
    pdffonts,
    pdfinfo,
    pdftotext,
    write_release,
)

needs_poppler = pytest.mark.skipif(not HAVE_POPPLER, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Workspace, list[Release]]:
    root, ws = make_workspace(tmp_path_factory.mktemp("render"))
    return root, ws, load_release_set(root / "releases" / "sample.md", ws)


@pytest.fixture(scope="module")
def emails(sample: tuple[Path, Workspace, list[Release]]) -> tuple[MergePlan, list[Rendered]]:
    _, ws, releases = sample
    plan = MergePlan()
    return plan, [render_email(r, ws, plan, embargoed=True) for r in releases]


@pytest.fixture(scope="module")
def files(sample: tuple[Path, Workspace, list[Release]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    root, ws, _ = sample
    out = tmp_path_factory.mktemp("out")
    render_files(root / "releases" / "sample.md", out_dir=out, workspace=ws, lang=None, now=BEFORE_LIFT)
    return out


# --- the embargo line, one function for every output ---------------------------------------------


def test_embargo_line_in_the_release_zone(sample: tuple[Path, Workspace, list[Release]]) -> None:
    en, zh = sample[2]
    assert embargo_line(en, embargoed=True) == "EMBARGOED UNTIL 10:00 HKT, 12 March 2030"
    assert embargo_line(zh, embargoed=True) == "新聞稿禁發時間：2030年3月12日上午10時（香港時間）"
    assert embargo_line(en, embargoed=False) == "FOR IMMEDIATE RELEASE"
    assert embargo_line(zh, embargoed=False) == "即時發佈"


def test_embargo_line_numeric_zone_shows_utc_offset(sample: tuple[Path, Workspace, list[Release]]) -> None:
    en = sample[2][0]
    # zoneinfo names São Paulo's zone "-03": a number is no abbreviation, so show the offset.
    sp = replace(en, timezone="America/Sao_Paulo")
    assert embargo_line(sp, embargoed=True) == "EMBARGOED UNTIL 23:00 UTC-03:00, 11 March 2030"
    kolkata = replace(en, timezone="Asia/Kolkata")
    assert embargo_line(kolkata, embargoed=True) == "EMBARGOED UNTIL 07:30 IST, 12 March 2030"
    zh_pm = replace(sample[2][1], embargo=dt.datetime(2030, 3, 12, 15, 30, tzinfo=dt.UTC))
    assert embargo_line(zh_pm, embargoed=True) == "新聞稿禁發時間：2030年3月12日晚上11時30分（香港時間）"


def test_no_embargo_is_immediate_even_if_asked(sample: tuple[Path, Workspace, list[Release]]) -> None:
    en = replace(sample[2][0], embargo=None)
    assert embargo_line(en, embargoed=True) == "FOR IMMEDIATE RELEASE"
    assert subject_line(en, "Hello", embargoed=True) == "Hello"


def test_subject_and_dateline(sample: tuple[Path, Workspace, list[Release]]) -> None:
    en, zh = sample[2]
    assert (
        subject_line(en, "Test bay", embargoed=True) == "EMBARGOED UNTIL 10:00 HKT, 12 March 2030: Test bay"
    )
    assert subject_line(en, "Test bay", embargoed=False) == "Test bay"
    assert (
        subject_line(zh, "測試灣", embargoed=True) == "【禁發時間：2030年3月12日上午10時（香港時間）】測試灣"
    )
    assert dateline_text(en) == "(Hong Kong, 12 March 2030)"
    assert dateline_text(zh) == "（香港，2030年3月12日）"
    assert dateline_text(replace(en, dateline="")) == "(12 March 2030)"


# --- email HTML ----------------------------------------------------------------------------------


def test_email_html_is_inlined_accessible_and_small(emails: tuple[MergePlan, list[Rendered]]) -> None:
    for rendered in emails[1]:
        html = rendered.html
        assert len(html.encode("utf-8")) < 100_000  # Gmail clips larger messages
        assert "<script" not in html.lower()
        assert 'role="article"' in html
        assert "<!--[if mso]>" in html and 'width="600"' in html
        assert "max-width: 600px" in html or "max-width:600px" in html
        assert "color-scheme: light dark" in html and "prefers-color-scheme: dark" in html
        # css-inline moved the rules onto the elements.
        assert re.search(r'<h1 style="[^"]*color: #0b5c74', html)
        assert re.search(r'<blockquote style="[^"]*border-left', html)
        imgs = re.findall(r"<img\b[^>]*>", html)
        assert len(imgs) == 2  # logo and photo
        for tag in imgs:
            assert re.search(r'alt="[^"]+"', tag), tag
            assert 'src="cid:' in tag
        cids = set(re.findall(r'src="cid:([^"]+)"', html))
        assert cids == {img.cid for img in rendered.images}
        assert 'class="preheader"' in html and rendered.release.summary[:30] in html


def test_email_html_language_and_banner(emails: tuple[MergePlan, list[Rendered]]) -> None:
    en, zh = emails[1]
    assert re.match(r'<!DOCTYPE html><html lang="en" dir="ltr"', en.html)
    assert '<html lang="zh-HK" dir="ltr"' in zh.html
    assert "EMBARGOED UNTIL 10:00 HKT, 12 March 2030" in en.html
    assert "新聞稿禁發時間：2030年3月12日上午10時（香港時間）" in zh.html
    assert en.subject.startswith("EMBARGOED UNTIL 10:00 HKT, 12 March 2030: Harbourview")
    assert en.embargoed and zh.embargoed
    # The dateline opens the first paragraph.
    assert re.search(
        r'<p[^>]*><span class="dateline"[^>]*>\(Hong Kong, 12 March 2030\)</span> – Harbourview', en.html
    )
    # Footer: organisation, address, unsubscribe.
    assert (
        "8 Tide Pool Road" in en.html and "Unsubscribe" in en.html and "unsubscribe@hvsp.example" in en.html
    )


def test_merge_fields_greeting_and_unsubscribe_are_tokens(emails: tuple[MergePlan, list[Rendered]]) -> None:
    plan, (en, zh) = emails
    assert "{{" not in en.html and "{{" not in en.text
    assert {"first_name", "outlet", "unsubscribe_token", "name"} <= plan.variables
    assert "email" not in plan.variables  # the default link carries a token, not the address
    contact = {"first_name": "Ada", "outlet": "Harbour <Daily> & Co", "unsubscribe_token": "tok-EN_1"}
    values = plan.values(contact)
    html = MergePlan.apply(en.html, values, escape_html=True)
    text = MergePlan.apply(en.text, values, escape_html=False)
    assert "Dear Ada," in html and "Dear Ada," in text
    assert "Harbour &lt;Daily&gt; &amp; Co" in html and "Harbour <Daily> & Co" in text
    assert "unsubscribe?t=tok-EN_1" in html
    assert "unsubscribe?t=tok-EN_1" in text
    blank = plan.blank()
    assert "Dear editor," in MergePlan.apply(en.html, blank, escape_html=True)
    assert "編輯您好：" in MergePlan.apply(zh.text, blank, escape_html=False)


def test_email_images_are_resized_once(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    big = root / "releases" / "photos" / "big.png"
    Image.new("RGB", (2400, 1600), (20, 120, 160)).save(big)
    text = (
        (root / "releases" / "sample.md")
        .read_text(encoding="utf-8")
        .replace("photos/test-bay.jpg", "photos/big.png")
    )
    path = write_release(root, text.replace("translations:\n  zh-HK: sample.zh-HK.md\n", ""))
    release = load_release_set(path, ws)[0]
    rendered = render_email(release, ws, MergePlan(), embargoed=False)
    photo = next(img for img in rendered.images if img.cid.startswith("photo1."))
    with Image.open(io.BytesIO(photo.data)) as img:
        assert img.size == (1200, 800)
        assert img.format == "JPEG" and photo.subtype == "jpeg"
    again = render_email(release, ws, MergePlan(), embargoed=False)
    assert next(i for i in again.images if i.cid == photo.cid).data is photo.data  # cached, not redone
    assert "FOR IMMEDIATE RELEASE" in rendered.html and not rendered.embargoed


# --- plain text ----------------------------------------------------------------------------------


def test_text_part_is_plain_and_wrapped(emails: tuple[MergePlan, list[Rendered]]) -> None:
    en = emails[1][0]
    text = en.text
    assert text.count("<!--pressctl:pdf-link-->\n") == 1  # where messages may put the PDF link
    assert "<" not in text.replace("<!--pressctl:pdf-link-->", "")  # no markup
    # The personal note's token opens the banner's line: a note and its blank line, or nothing.
    assert MergePlan.apply(text, emails[0].blank(), escape_html=False).splitlines()[2] == (
        "EMBARGOED UNTIL 10:00 HKT, 12 March 2030"
    )
    assert "(Hong Kong, 12 March 2030) – Harbourview Science Park" in text
    assert "HVSP website (https://www.hvsp.example/test-bay)" in text
    assert "\n###\n" in text and "About Harbourview Science Park" in text
    assert "Mei-ling Chow" in text and "Tel: +852 3000 0101" in text
    assert "- Kelpwise, which builds" in text
    assert "    “Clean energy from the sea" in text  # quotes indented, typographic quotes
    for line in text.splitlines():
        if "http" not in line and "PCTLM" not in line:
            assert len(line) <= 72, line


def test_chinese_text_is_not_broken(emails: tuple[MergePlan, list[Rendered]]) -> None:
    zh = emails[1][1]
    text = zh.text
    assert "新聞稿禁發時間：2030年3月12日上午10時（香港時間）" in text
    assert "（香港，2030年3月12日）—海景科學園" in text
    # Soft line breaks in the source between Chinese characters leave no space and no line break.
    assert "位於園區東岸，初創企業只需從實驗室步行數分鐘，便可試驗波浪及潮汐發電裝置。" in text
    assert "海景科學園網站（https://www.hvsp.example/test-bay）" in text
    assert "關於海景科學園" in text and "電話：+852 3000 0101" in text
    # The Chinese email HTML has the same run of characters, unbroken.
    assert "位於園區東岸，初創企業只需" in zh.html


# --- PDF -----------------------------------------------------------------------------------------


@needs_poppler
def test_english_pdf_reads_back(files: Path) -> None:
    pdf = files / "sample.pdf"
    text = pdftotext(pdf)
    flat = " ".join(text.split())
    assert "EMBARGOED UNTIL 10:00 HKT, 12 March 2030" in flat
    assert "Harbourview Science Park Opens Tidal Energy Test Bay for Start-ups" in flat
    assert "(Hong Kong, 12 March 2030) – Harbourview Science Park (HVSP) today opened" in flat
    assert "said Dr Evelyn Tsang" in flat
    assert "Photo 1: Engineers from two resident start-ups" in flat
    assert "###" in flat and "About Harbourview Science Park" in flat and "Media contacts" in flat
    assert "Reporters from your newsroom are welcome" in flat  # merge field: its fallback
    info = pdfinfo(pdf)
    assert info["Title"] == "Harbourview Science Park Opens Tidal Energy Test Bay for Start-ups"
    assert info["Author"] == "Harbourview Science Park"
    assert info["Tagged"] == "yes"
    assert "(A4)" in info["Page size"]
    pages = int(info["Pages"])
    assert 1 <= pages <= 3
    assert f"Page 1 of {pages}" in flat and f"Page {pages} of {pages}" in flat
    reader = PdfReader(pdf)
    assert reader.metadata is not None
    assert reader.metadata.subject.startswith("HVSP opens a seawater test bay")  # description = summary
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert len(reader.pages) == pages


@needs_poppler
def test_chinese_pdf_embeds_the_hk_font(files: Path) -> None:
    pdf = files / "sample.zh-HK.pdf"
    fonts = pdffonts(pdf)
    cjk = [f for f in fonts if "Noto-Sans-CJK-HK" in f["name"] or "NotoSansCJK" in f["name"].replace("-", "")]
    assert cjk, fonts
    assert all(f["emb"] == "yes" for f in fonts)
    flat = "".join(pdftotext(pdf).split())  # Chinese has no spaces; line ends are layout
    assert "新聞稿禁發時間：2030年3月12日上午10時（香港時間）" in flat
    assert "海景科學園啟用潮汐能源測試灣" in flat
    assert "（香港，2030年3月12日）—海景科學園（HVSP）今日啟用" in flat
    assert "第1頁，共2頁" in flat or "第1頁，共1頁" in flat
    assert "關於海景科學園" in flat and "傳媒查詢" in flat
    reader = PdfReader(pdf)
    assert reader.trailer["/Root"]["/Lang"] == "zh-HK"


def test_chinese_print_html_has_no_soft_break_spaces(sample: tuple[Path, Workspace, list[Release]]) -> None:
    _, ws, (_, zh) = sample
    html = print_html(zh, ws, MergePlan(), embargoed=True)
    assert '<html lang="zh-HK"' in html
    assert re.search(r'font-family: "Noto Sans CJK HK"', html)
    assert "東岸，初創企業" in html and "東岸，\n初創" not in html
    assert "歡迎貴機構的記者" in html  # the merge field's fallback


def test_pdf_for_a_lifted_embargo_is_immediate(
    sample: tuple[Path, Workspace, list[Release]], tmp_path: Path
) -> None:
    _, ws, (en, _) = sample
    pdf = tmp_path / "lifted.pdf"
    pdf.write_bytes(render_pdf(en, ws, MergePlan(), embargoed=False))
    if HAVE_POPPLER:
        flat = " ".join(pdftotext(pdf).split())
        assert "FOR IMMEDIATE RELEASE" in flat and "EMBARGOED" not in flat
    assert pdf.read_bytes().startswith(b"%PDF-")


# --- files ---------------------------------------------------------------------------------------


def test_render_files_writes_each_form_of_each_language(files: Path) -> None:
    names = sorted(p.name for p in files.iterdir())
    assert names == [
        "sample.html",
        "sample.pdf",
        "sample.txt",
        "sample.zh-HK.html",
        "sample.zh-HK.pdf",
        "sample.zh-HK.txt",
    ]
    html = (files / "sample.html").read_text(encoding="utf-8")
    assert (
        "cid:" not in html
        and 'src="data:image/png;base64,' in html
        and 'src="data:image/jpeg;base64,' in html
    )
    assert "PCTLM" not in html and "Dear editor," in html and "pressctl:pdf-link" not in html
    text = (files / "sample.txt").read_text(encoding="utf-8")
    assert "PCTLM" not in text and "Reporters from your newsroom" in text and "pressctl:pdf-link" not in text
    assert "\n\n\n" not in text
    assert "EMBARGOED UNTIL" in text
    assert not [p for p in files.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_render_files_one_language_after_the_lift(
    sample: tuple[Path, Workspace, list[Release]], tmp_path: Path
) -> None:
    root, ws, _ = sample
    written = render_files(
        root / "releases" / "sample.md", out_dir=tmp_path / "o", workspace=ws, lang="zh-HK", now=AFTER_LIFT
    )
    assert [p.name for p in written] == ["sample.zh-HK.pdf", "sample.zh-HK.html", "sample.zh-HK.txt"]
    text = written[2].read_text(encoding="utf-8")
    assert "即時發佈" in text and "禁發" not in text


def test_workspace_template_overrides_the_default(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    (root / "templates" / "email.txt.j2").write_text("{{ banner }} / {{ title }}\n", encoding="utf-8")
    release = load_release_set(root / "releases" / "sample.md", ws)[0]
    rendered = render_email(release, ws, MergePlan(), embargoed=False)
    assert (
        rendered.text
        == "FOR IMMEDIATE RELEASE / Harbourview Science Park Opens Tidal Energy Test Bay for Start-ups\n"
    )
    assert "<table" in rendered.html  # the HTML still comes from the default


def test_broken_override_template_is_a_clear_error(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    (root / "templates" / "email.html.j2").write_text("<p>\n{% if %}</p>\n", encoding="utf-8")
    release = load_release_set(root / "releases" / "sample.md", ws)[0]
    with pytest.raises(TemplateFileError) as info:
        render_email(release, ws, MergePlan(), embargoed=False)
    assert "email.html.j2:2" in str(info.value) and info.value.exit_code == 2


def test_markdown_features_and_no_raw_html(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    path = write_release(
        root,
        "---\ntitle: Features\ndate: 2030-01-02\n---\n\n"
        "Intro with *emphasis* and <script>alert(1)</script>.\n\n"
        "## Key figures\n\n| Item | Value |\n|---|---|\n| Bay length | 40 m |\n\n1. first\n2. second\n\n###\n",
    )
    release = load_release_set(path, ws)[0]
    rendered = render_email(release, ws, MergePlan(), embargoed=False)
    assert "<script" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<table" in rendered.html and "Bay length" in rendered.html
    assert rendered.html.count("###") == 1  # the writer's own end mark is not doubled
    assert "Bay length | 40 m" in rendered.text and "1. first\n2. second" in rendered.text
    assert "KEY FIGURES" in rendered.text
    assert "(2 January 2030) – Intro with emphasis" in rendered.text


def test_fast_weasyprint_import_keeps_harfbuzz_subset_and_find_library() -> None:
    import ctypes.util

    from pressctl.render.pdf import _import_weasyprint

    real = ctypes.util.find_library
    _import_weasyprint()
    from weasyprint.text import ffi

    assert ctypes.util.find_library is real
    # Without harfbuzz-subset WeasyPrint subsets CJK fonts with fontTools: ~40x slower (FACTS.md).
    assert ffi.harfbuzz_subset is not None


def test_chinese_name_in_english_release_is_tagged(
    sample: tuple[Path, Workspace, list[Release]], files: Path
) -> None:
    _, ws, (en, _) = sample
    html = print_html(en, ws, MergePlan(), embargoed=True)
    assert 'Dr Evelyn Tsang (<span lang="zh-HK">曾穎欣</span>)' in html
    if HAVE_POPPLER:
        assert "曾穎欣" in pdftotext(files / "sample.pdf")
        assert any("CJK-HK" in f["name"] for f in pdffonts(files / "sample.pdf"))


@pytest.mark.slow
def test_large_png_photo_is_scaled_for_print(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    with Image.open(root / "releases" / "photos" / "test-bay.jpg") as img:
        img.resize((2600, 1734)).save(root / "releases" / "photos" / "big.png")
    text = (root / "releases" / "sample.md").read_text(encoding="utf-8")
    text = text.replace("photos/test-bay.jpg", "photos/big.png").replace(
        "translations:\n  zh-HK: sample.zh-HK.md\n", ""
    )
    release = load_release_set(write_release(root, text), ws)[0]
    html = print_html(release, ws, MergePlan(), embargoed=False)
    assert 'src="data:image/jpeg;base64,' in html  # re-encoded as a 2000 px JPEG
    pdf = render_pdf(release, ws, MergePlan(), embargoed=False)
    assert len(pdf) < 600_000  # the PNG as it is would make ~1.5 MB
    # A print-size JPEG is used as it is.
    sample = load_release_set(root / "releases" / "sample.md", ws)[0]
    assert sample.photos[0].src.as_uri() in print_html(sample, ws, MergePlan(), embargoed=False)
