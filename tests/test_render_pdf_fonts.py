"""CJK fonts in the PDF are real subsets (only the glyphs used), and the pages look exactly as before."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from pressctl.release.load import load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render import pdffonts as pdffonts
from pressctl.render.pdf import render_pdf
from tests.render_support import HAVE_POPPLER, make_workspace, pdftotext
from tests.render_support import pdffonts as list_fonts

pytestmark = pytest.mark.skipif(not HAVE_POPPLER, reason="poppler-utils not installed")


def _font_programs(pdf: bytes) -> dict[str, tuple[str, int]]:
    """Each embedded font: (FontFile subtype, program size in bytes)."""
    reader = PdfReader(io.BytesIO(pdf))
    out = {}
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            for key in ("/FontFile2", "/FontFile3"):
                if key in descriptor:
                    stream = descriptor[key].get_object()
                    out[str(font["/BaseFont"])] = (str(stream.get("/Subtype", key)), len(stream.get_data()))
    return out


def _pages_png(pdf: bytes, tmp: Path, name: str) -> list[bytes]:
    path = tmp / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(path), str(tmp / name)], check=True)
    return [p.read_bytes() for p in sorted(tmp.glob(f"{name}-*.png"))]


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root, ws = make_workspace(tmp_path_factory.mktemp("fonts"))
    releases = load_release_set(root / "releases" / "sample.md", ws)
    return {r.language: render_pdf(r, ws, MergePlan(), embargoed=True) for r in releases}


def test_two_page_chinese_sample_is_well_under_200_kb(pdfs: dict[str, bytes], tmp_path: Path) -> None:
    zh = pdfs["zh-HK"]
    assert len(zh) < 170_000, len(zh)  # was 434 KB: two CJK weights of 150-195 KB each
    programs = _font_programs(zh)
    cjk = {name: info for name, info in programs.items() if "CJK" in name}
    assert len(cjk) == 2
    for subtype, size in cjk.values():
        assert subtype == "/CIDFontType0C"
        assert size < 90_000  # fontTools' subset of the same characters: 51-55 KB per weight
    path = tmp_path / "zh.pdf"
    path.write_bytes(zh)
    assert all(row["emb"] == "yes" for row in list_fonts(path))
    text = pdftotext(path)
    assert "海景科學園啟用潮汐能源測試灣" in text and "傳媒查詢" in text


def test_english_pdf_carries_only_the_glyphs_of_a_chinese_name(pdfs: dict[str, bytes], tmp_path: Path) -> None:
    programs = _font_programs(pdfs["en"])
    cjk = [info for name, info in programs.items() if "CJK" in name]
    assert len(cjk) == 1 and cjk[0][1] < 8_000, programs  # was 56 KB for three characters
    path = tmp_path / "en.pdf"
    path.write_bytes(pdfs["en"])
    assert "Dr Evelyn Tsang (曾穎欣)" in pdftotext(path)


@pytest.mark.slow
def test_compact_fonts_draw_the_same_pages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Text extraction would pass even with every glyph wrong (it reads /ToUnicode): compare pixels with
    # WeasyPrint's own, larger subsets.
    root, ws = make_workspace(tmp_path)
    zh = load_release_set(root / "releases" / "sample.md", ws)[1]
    compact = render_pdf(zh, ws, MergePlan(), embargoed=True)
    monkeypatch.setattr(pdffonts, "ENABLED", False)
    plain = render_pdf(zh, ws, MergePlan(), embargoed=True)
    assert len(plain) > 2 * len(compact) - 100_000
    assert _pages_png(compact, tmp_path, "compact") == _pages_png(plain, tmp_path, "plain")


def test_fonts_it_cannot_use_are_left_alone() -> None:
    assert pdffonts.compact_cid_font(b"\x00\x01\x00\x00" + b"\x00" * 100, [1, 2]) is None  # TrueType
    assert pdffonts.compact_cid_font(b"OTTO" + b"\x00" * 100, [1, 2]) is None  # no CFF table
    assert pdffonts.cff_table(b"garbage") is None and not pdffonts.is_cid_keyed_cff(b"OTTO\x00\x01")
