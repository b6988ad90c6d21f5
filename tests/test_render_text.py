"""Plain text from Markdown: lists, quotes, links, tables, CJK soft breaks and wrapping."""

from __future__ import annotations

from pressctl.release.markdown import markdown_html
from pressctl.render.text import markdown_text, wrap


def test_lists_nested_tight_and_loose() -> None:
    text = markdown_text("- c\n- d\n  - e\n  - f\n- g\n\n1. one\n   - sub\n2. two\n\npara\n\n- x\n\n- y")
    assert text == "- c\n- d\n  - e\n  - f\n- g\n\n1. one\n   - sub\n2. two\n\npara\n\n- x\n\n- y"


def test_links_quotes_tables_headings() -> None:
    src = (
        "## Figures\n\nSee [the site](https://hvsp.example/a) or <https://hvsp.example/b> "
        "or [press@hvsp.example](mailto:press@hvsp.example).\n\n> Quoted *words*.\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    text = markdown_text(src)
    assert text.startswith("FIGURES\n\n")
    assert "the site (https://hvsp.example/a)" in text
    assert "or https://hvsp.example/b or press@hvsp.example." in " ".join(text.split())
    assert "    Quoted words." in text
    assert text.endswith("a | b\n1 | 2")


def test_lead_opens_first_paragraph_or_stands_alone() -> None:
    assert markdown_text("Hello.", lead="(Hong Kong, 1 May 2030) – ") == "(Hong Kong, 1 May 2030) – Hello."
    assert markdown_text("- item", lead="(1 May 2030) – ") == "(1 May 2030) –\n\n- item"


def test_cjk_soft_breaks_vanish_latin_ones_stay() -> None:
    src = "海景科學園\n今日啟用測試灣。\nThe bay\nopens today."
    assert markdown_text(src) == "海景科學園今日啟用測試灣。 The bay opens today."
    assert "海景科學園今日啟用" in markdown_html(src)


def test_wrap_latin_only() -> None:
    latin = "word " * 40
    assert all(len(line) <= 72 for line in wrap(latin.strip()).splitlines())
    chinese = "這是一段很長的中文句子，" * 12 + " Kelpwise 聯合創辦人說。"
    assert wrap(chinese) == chinese  # never broken: a line end mid-sentence reads as a break
    url = "Details at https://www.hvsp.example/" + "x" * 90
    assert "https://www.hvsp.example/" + "x" * 90 in wrap(url)  # a long URL is never split
    mixed = "said Dr Evelyn Tsang (曾穎欣), Chief Executive Officer of HVSP, " * 3
    assert len(wrap(mixed.strip()).splitlines()) > 1  # an English sentence quoting a Chinese name wraps
