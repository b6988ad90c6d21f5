"""Issue 18 point 12: one page when it fits. A short release with one photo is one A4 page (the photo shrinks
to keep the media contacts on it); longer ones break between sections, never after a heading, never inside
the media contacts; each contact runs the full width, so its organisation stays on one line. Read back from
the PDF with poppler (pdfinfo, pdftotext per page)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pressctl.config import load_workspace
from pressctl.release.load import load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.pdf import render_pdf
from pressctl.scaffold import init_workspace, make_photo_jpeg

pytestmark = pytest.mark.slow  # renders PDFs again and again

BODY_90 = """Harbourview Science Park (HVSP) today welcomed twelve start-ups to its spring incubation programme.
The companies were chosen from 140 applicants and will receive office space, laboratory time and
mentoring for two years, with a first review after six months.

"Each of these teams answers a real need in Hong Kong, from cleaner harbours to safer care homes," said
Dr Evelyn Tsang, Chief Executive Officer of HVSP. "We look forward to helping them grow."

Founders will present their work to investors at the park's open day in September.
"""

FRONT = """---
title: Harbourview Science Park Welcomes Twelve New Start-ups to Its Spring Incubation Programme
subtitle: The companies work on marine sensors, battery recycling and care robots
date: 2030-04-02
dateline: Hong Kong
language: en
photos:
  - src: photos/big.jpg
    caption: "Photo 1: Founders of the twelve start-ups at the welcome day on the park's waterfront lawn."
    alt: A group of founders standing on a lawn by the harbour.
---

"""


def _pages(pdf: bytes, tmp_path: Path, name: str) -> list[str]:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    return [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(path), "-"],
            capture_output=True, text=True, check=True,
        ).stdout
        for n in range(1, count + 1)
    ]


def _workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    init_workspace(root)
    (root / "releases" / "photos" / "big.jpg").write_bytes(make_photo_jpeg(width=3000, height=2000))
    return root


def _render(root: Path, name: str) -> list[bytes]:
    ws = load_workspace(root)
    return [render_pdf(r, ws, MergePlan(), embargoed=False) for r in load_release_set(root / "releases" / name, ws)]


def _lines(page: str) -> list[str]:
    """A page's text lines, the running footer ("Page 1 of 2") left out."""
    lines = [line.strip() for line in page.splitlines() if line.strip()]
    return [line for line in lines if not re.search(r"Page \d+ of \d+|第 \d+ 頁", line)]


def test_a_90_word_release_with_one_photo_is_one_page(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    assert len(BODY_90.split()) >= 85
    (root / "releases" / "short.md").write_text(FRONT + BODY_90, encoding="utf-8")
    (pdf,) = _render(root, "short.md")
    (page,) = _pages(pdf, tmp_path, "short")  # was two pages: the media contacts alone on page 2
    text = " ".join(page.split())
    assert "Media contacts" in text and "daniel.ip@hvsp.example" in text and "Photo 1: Founders" in text


def test_the_sample_release_breaks_between_sections(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    ws = load_workspace(root)
    for release, pdf in zip(load_release_set(root / "releases/sample.md", ws), _render(root, "sample.md"), strict=True):
        _check_breaks(_pages(pdf, tmp_path, release.language), release.language)


def test_a_long_release_never_leaves_a_heading_or_a_contact_alone(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    sample = (root / "releases/sample.md").read_text(encoding="utf-8")
    front, _, body = sample.partition("\n---\n")
    body = re.sub(r"\n### .*", "", body)
    sections = "\n".join(f"\n## Part {n}: what the bay offers\n\n{body.strip()}\n" for n in range(1, 4))
    (root / "releases/long.md").write_text(
        re.sub(r"\ntranslations:\n  zh-HK: .*", "", front) + "\n---\n" + sections, encoding="utf-8"
    )
    (pdf,) = _render(root, "long.md")
    pages = _pages(pdf, tmp_path, "long")
    assert len(pages) >= 3
    _check_breaks(pages, "en", extra_headings=[f"Part {n}: what the bay offers" for n in range(1, 4)])


def test_a_long_organisation_stays_on_one_line(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    toml = root / "pressctl.toml"
    long_name = "Harbourview Science Park Marine Innovation Centre"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'organisation = "Harbourview Science Park"\nphone = "+852 3000 0102"',
        f'organisation = "{long_name}"\nphone = "+852 3000 0102"',
    ), encoding="utf-8")
    (root / "releases" / "short.md").write_text(FRONT + BODY_90, encoding="utf-8")
    (pdf,) = _render(root, "short.md")
    lines = [line.strip() for page in _pages(pdf, tmp_path, "org") for line in page.splitlines()]
    assert any(long_name in line for line in lines)  # whole on one line (at half width it wrapped)


def _check_breaks(pages: list[str], language: str, *, extra_headings: list[str] = ()) -> None:  # type: ignore[assignment]
    chinese = language.startswith("zh")
    media = "傳媒查詢" if chinese else "Media contacts"
    headings = ["關於海景科學園" if chinese else "About Harbourview Science Park", media, *extra_headings]
    contacts = ["press@hvsp.example", "daniel.ip@hvsp.example"]
    for number, page in enumerate(pages[:-1], start=1):
        last = _lines(page)[-1]
        assert not any(last.startswith(h) for h in headings), f"page {number} ends with the heading {last!r}"
        assert last != "###", f"page {number} ends with the end mark"
    # The media contacts: heading and every contact on one page.
    holding = [n for n, page in enumerate(pages) if any(c in page for c in contacts)]
    assert len(holding) == 1, "the media contacts are split over pages"
    assert media in pages[holding[0]]
