"""The dry run: .eml files identical to what a send hands over, an index.html that shows them, nothing sent."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from messages_support import contact, fake_pdf, make_factory, parse

from pressctl.errors import InputError
from pressctl.send.preview import MARKER, safe_name, write_preview

PEOPLE = [
    contact("amy.chan@harbourdaily.example", "Amy Chan", first_name="Amy", outlet="Harbour Daily"),
    contact(
        "wong.ka-ming@mingpoint.example",
        "黃嘉明",
        language="zh-HK",
        fields={"name": "黃嘉明"},
        outlet="明點日報",
    ),
    contact(
        "mallory@news.test",
        "<script>alert('x')</script>",
        first_name="<img src=x onerror=alert(1)>",
        outlet="</pre><b>bold</b>",
    ),
    contact("黃嘉明@mingpoint.example", "黃嘉明", language="zh-HK"),
]
PDFS = {"en": fake_pdf(seed="en"), "zh-HK": fake_pdf(seed="zh-HK")}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(page: str, name: str) -> list[dict[str, str | None]]:
    parser = _Tags()
    parser.feed(page)
    return [attrs for tag, attrs in parser.tags if tag == name]


def test_preview_writes_every_message_and_an_index(tmp_path: Path) -> None:
    factory = make_factory(tmp_path / "ws")
    out = tmp_path / "preview"
    summary = {"recipients": 4, "suppressed": 1, "invalid": 2, "duplicates": 0, "note": "<check me>"}
    result = write_preview(factory, PEOPLE, out_dir=out, pdfs=PDFS, summary=summary)

    assert result.recipients == result.written == 4
    assert result.languages == {"en": 2, "zh-HK": 2}
    assert result.index == out / "index.html"
    assert [p.name for p in result.messages] == [
        "0001-amy.chan@harbourdaily.example.eml",
        "0002-wong.ka-ming@mingpoint.example.eml",
        "0003-mallory@news.test.eml",
        "0004-_@mingpoint.example.eml",
    ]
    assert sorted(p.name for p in result.pdfs) == ["tidal-bay.pdf", "tidal-bay.zh-HK.pdf"]
    assert (out / "tidal-bay.zh-HK.pdf").read_bytes() == PDFS["zh-HK"]
    for person, eml in zip(PEOPLE, result.messages, strict=True):
        assert eml.read_bytes() == factory.build(person).data  # exactly what a send would hand over
        msg = parse(eml.read_bytes())
        assert [a.addr_spec for a in msg["To"].addresses] == [person.email]
        page = eml.with_suffix(".html").read_text(encoding="utf-8")
        assert "cid:" not in page
        for img in tags(page, "img"):
            assert img["src"] == "../images/logo.tidal-bay_pressctl.png"
            assert (eml.parent / str(img["src"])).is_file()
        text = eml.with_suffix(".txt").read_text(encoding="utf-8")
        assert "\r" not in text
    assert (
        (out / "messages" / "0002-wong.ka-ming@mingpoint.example.txt")
        .read_text(encoding="utf-8")
        .startswith("黃嘉明您好：\n")
    )
    # The HTML body escapes contact values, as in the real message.
    hostile = (out / "messages" / "0003-mallory@news.test.html").read_text(encoding="utf-8")
    assert "<img src=x" not in hostile and "&lt;img src=x onerror=alert(1)&gt;" in hostile

    index = result.index.read_text(encoding="utf-8")
    assert "<script>" not in index and "</pre><b>" not in index  # every value escaped
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in index
    assert "&lt;check me&gt;" in index and "suppressed" in index and "invalid" in index
    frames = tags(index, "iframe")
    # The first recipient of each language, at desktop and phone widths.
    assert [(f["src"], f["width"]) for f in frames] == [
        ("messages/0001-amy.chan@harbourdaily.example.html", "600"),
        ("messages/0001-amy.chan@harbourdaily.example.html", "375"),
        ("messages/0002-wong.ka-ming@mingpoint.example.html", "600"),
        ("messages/0002-wong.ka-ming@mingpoint.example.html", "375"),
    ]
    links = {a["href"] for a in tags(index, "a")}
    for eml in result.messages:
        for suffix in (".eml", ".html", ".txt"):
            assert f"messages/{eml.with_suffix(suffix).name}" in links
    assert {"tidal-bay.pdf", "tidal-bay.zh-HK.pdf"} <= links
    assert [o["data"] for o in tags(index, "object")] == ["tidal-bay.pdf", "tidal-bay.zh-HK.pdf"]
    assert index.count("<pre") == 2 and "Dear Amy," in index and "Nothing was sent" in index
    # no ledger; the only state is the workspace secret, so the preview's List-Unsubscribe tokens are the real ones
    state = tmp_path / "ws" / ".pressctl"
    assert not state.exists() or [p.name for p in state.iterdir()] == ["secret"]


def test_utf8_recipient_headers_read_as_written(tmp_path: Path) -> None:
    only = [PEOPLE[3]]  # 黃嘉明@mingpoint.example: an SMTPUTF8 message with raw UTF-8 in To
    result = write_preview(make_factory(tmp_path), only, out_dir=tmp_path / "p", pdfs=PDFS)
    index = result.index.read_text(encoding="utf-8")
    assert "黃嘉明 &lt;黃嘉明@mingpoint.example&gt;" in index
    assert "\ufffd" not in index


def test_limit_writes_the_first_n(tmp_path: Path) -> None:
    result = write_preview(make_factory(tmp_path), PEOPLE, out_dir=tmp_path / "p", pdfs=PDFS, limit=1)
    assert (result.recipients, result.written) == (4, 1)
    assert len(list((tmp_path / "p" / "messages").glob("*.eml"))) == 1
    index = result.index.read_text(encoding="utf-8")
    assert "Only the first 1 of 4 recipients" in index
    assert len(tags(index, "iframe")) == 2


def test_rerun_replaces_its_own_folder_but_never_a_foreign_one(tmp_path: Path) -> None:
    factory = make_factory(tmp_path)
    out = tmp_path / "p"
    write_preview(factory, PEOPLE, out_dir=out, pdfs=PDFS)
    assert (out / MARKER).is_file()
    again = write_preview(factory, PEOPLE[:1], out_dir=out, pdfs=PDFS)
    assert [p.name for p in (out / "messages").glob("*.eml")] == [again.messages[0].name]

    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(InputError, match="not empty"):
        write_preview(factory, PEOPLE, out_dir=foreign, pdfs=PDFS)
    assert (foreign / "thesis.docx").read_bytes() == b"precious"


def test_safe_names() -> None:
    assert safe_name(7, "amy.chan@harbourdaily.example") == "0007-amy.chan@harbourdaily.example"
    assert safe_name(12, "../../etc/passwd@x.test") == "0012-_.._etc_passwd@x.test"
    assert safe_name(1, "黃嘉明@mingpoint.example") == "0001-_@mingpoint.example"
    assert len(safe_name(1, "a" * 300 + "@x.test")) <= 85


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_index_renders_in_headless_chromium(tmp_path: Path) -> None:
    result = write_preview(make_factory(tmp_path), PEOPLE, out_dir=tmp_path / "p", pdfs=PDFS)
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--screenshot={shot}",
            "--window-size=1280,2000",
            result.index.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
