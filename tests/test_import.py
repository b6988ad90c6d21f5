"""Issue 20: ``pressctl import FILE.docx``. Each .docx is built here with python-docx (styles, a picture,
tracked-change XML, a comment); the release written is loaded and rendered back, as a reader would see it."""

from __future__ import annotations

import dataclasses
import subprocess
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pressctl.cli import app
from pressctl.cli._env import Env
from pressctl.errors import ExitStatus
from pressctl.release.load import load_release, load_release_set
from pressctl.release.merge import MergePlan
from pressctl.render.email import render_email
from tests.docx_support import CHINESE, ENGLISH, build_docx, jpeg, tracked
from tests.render_support import HAVE_POPPLER, make_workspace, pdftotext

runner = CliRunner()


def _import(root: Path, *args: str) -> tuple[int, str]:
    done = runner.invoke(app, ["import", *args], obj=Env.for_test(cwd=root))
    return done.exit_code, done.output


def _text(html: str) -> str:
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_an_english_docx_like_the_real_release_imports_and_renders(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    build_docx(tmp_path / "coral.docx", ENGLISH, photo=jpeg((200, 90, 60)))
    code, out = _import(root, str(tmp_path / "coral.docx"))
    assert code == ExitStatus.OK, out
    assert "warning" not in out, out
    release = load_release(root / "releases" / "coral.md", ws)
    assert release.title == "Harbourview Science Park Opens a Coral Nursery Lab for Marine Start-ups"
    assert release.subtitle.startswith("Twelve seawater tanks")
    assert release.embargo is None and release.date.isoformat() == "2030-06-03" and release.dateline == "Hong Kong"
    assert release.body.lstrip().startswith("Harbourview Science Park (HVSP) today opened")  # the dateline is the field's
    assert '"Reef science needs patience' in release.body  # the quote kept as written
    assert "- Twelve tanks" in release.body and "###" not in release.body
    [photo] = release.photos
    assert photo.src == root / "releases" / "photos" / "coral-1.jpg" and photo.src.read_bytes()[:2] == b"\xff\xd8"
    assert photo.caption.startswith("Photo 1: A technician") and photo.alt.startswith("A technician in a blue")
    [about] = release.about
    assert about.organisation == "Harbourview Science Park" and "fictional innovation campus" in about.text
    people = [(c.name, c.title, c.phone, c.email) for c in release.media_contacts]
    assert people == [
        ("Mei-ling Chow", "Senior Manager, Communications", "+852 3000 0101", "press@hvsp.example"),
        ("Daniel Ip", "Media Relations Officer", "+852 3000 0102", "daniel.ip@hvsp.example"),
    ]
    email = render_email(release, ws, MergePlan(), embargoed=False)
    text = _text(email.html)
    assert text.count("3 June 2030") == 1, text  # the dateline once
    for seen in (
        "Harbourview Science Park Opens a Coral Nursery Lab", "Twelve seawater tanks", "Reef science needs patience",
        "A technician checks coral fragments", "About Harbourview Science Park", "Mei-ling Chow", "+852 3000 0101",
        "press@hvsp.example", "Daniel Ip", "+852 3000 0102", "daniel.ip@hvsp.example",
    ):
        assert seen in text, seen
    assert "Photo 1" in email.text and "Daniel Ip" in email.text


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_POPPLER, reason="poppler-utils (pdftotext) is not installed")
def test_the_imported_english_and_chinese_versions_render_to_pdf(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    build_docx(tmp_path / "coral.docx", ENGLISH)
    build_docx(tmp_path / "coral-chi.docx", CHINESE)
    assert _import(root, str(tmp_path / "coral.docx"))[0] == ExitStatus.OK
    code, out = _import(root, str(tmp_path / "coral-chi.docx"), "--translation-of", str(root / "releases" / "coral.md"))
    assert code == ExitStatus.OK, out
    done = runner.invoke(app, ["render", str(root / "releases" / "coral.md"), "-o", str(tmp_path / "out")], obj=Env.for_test(cwd=root))
    assert done.exit_code == ExitStatus.OK, done.output
    en = " ".join(pdftotext(tmp_path / "out" / "coral.pdf").split())
    assert en.count("3 June 2030") == 1, en
    for seen in (
        "Coral Nursery Lab", "Twelve seawater tanks", "Reef science needs patience", "Photo 1: A technician",
        "About Harbourview Science Park", "Mei-ling Chow", "+852 3000 0101", "press@hvsp.example", "Daniel Ip",
        "+852 3000 0102", "daniel.ip@hvsp.example",
    ):
        assert seen in en, seen
    images = subprocess.run(["pdfimages", "-list", str(tmp_path / "out" / "coral.pdf")], capture_output=True, text=True, check=True)
    assert len(images.stdout.strip().splitlines()) - 2 >= 2  # the logo and the imported photo
    zh = "".join(pdftotext(tmp_path / "out" / "coral.zh-HK.pdf").split())
    for seen in ("海景科學園啟用珊瑚培育實驗室", "（香港，2030年6月3日）", "關於海景科學園", "周美玲", "葉俊賢", "+85230000102", "圖一"):
        assert seen in zh, seen
    assert zh.count("2030年6月3日") == 1


def test_a_chinese_docx_is_added_as_the_translation(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    photo = jpeg((30, 140, 90))
    build_docx(tmp_path / "coral.docx", ENGLISH, photo=photo)
    build_docx(tmp_path / "coral-chi.docx", CHINESE, photo=photo)
    assert _import(root, str(tmp_path / "coral.docx"))[0] == ExitStatus.OK
    main = root / "releases" / "coral.md"
    code, out = _import(root, str(tmp_path / "coral-chi.docx"), "--translation-of", str(main))
    assert code == ExitStatus.OK, out
    assert "added to" in out and "zh-HK" in out
    releases = load_release_set(main, ws)
    assert [r.language for r in releases] == ["en", "zh-HK"]
    zh = releases[1]
    assert zh.path == root / "releases" / "coral.zh-HK.md"
    assert zh.title == "海景科學園啟用珊瑚培育實驗室" and zh.subtitle.startswith("十二個海水缸")
    assert zh.dateline == "香港" and zh.date.isoformat() == "2030-06-03" and zh.embargo is None
    assert zh.photos[0].src == releases[0].photos[0].src  # the same picture is one file
    assert zh.photos[0].caption.startswith("圖一：")
    assert [a.organisation for a in zh.about] == ["海景科學園"]
    assert [(c.name, c.title, c.phone) for c in zh.media_contacts] == [
        ("周美玲", "傳訊高級經理", "+852 3000 0101"), ("葉俊賢", "傳媒關係主任", "+852 3000 0102"),
    ]
    html = _text(render_email(zh, ws, MergePlan(), embargoed=False).html)
    assert html.count("2030年6月3日") == 1 and "關於海景科學園" in html and "傳媒查詢" in html and "daniel.ip@hvsp.example" in html
    assert "珊瑚礁研究需要耐性和海水" in zh.body and zh.body.lstrip().startswith("海景科學園（HVSP）今日")
    check = runner.invoke(app, ["check", str(main)], obj=Env.for_test(cwd=root))
    assert check.exit_code == ExitStatus.OK and "the versions agree" in check.output, check.output


def test_tracked_changes_keep_insertions_drop_deletions_and_warn(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    doc = build_docx(tmp_path / "tracked.docx", ENGLISH)
    body = next(p for p in doc.paragraphs if p.text.startswith("Visits can be booked"))
    tracked(body, inserted=" Guided tours start at noon.", deleted=" Tours are cancelled.")
    doc.add_comment(body.runs, text="Is the noon time confirmed?", author="Legal")
    doc.save(tmp_path / "tracked.docx")
    assert "w:del" in zipfile.ZipFile(tmp_path / "tracked.docx").read("word/document.xml").decode()
    code, out = _import(root, str(tmp_path / "tracked.docx"))
    assert code == ExitStatus.OK, out
    text = (root / "releases" / "tracked.md").read_text(encoding="utf-8")
    assert "Guided tours start at noon." in text and "cancelled" not in text and "Is the noon time" not in text
    flat = " ".join(out.split())
    assert "tracked changes (1 insertion(s), 1 deletion(s))" in flat and "1 comment(s)" in flat
    assert load_release(root / "releases" / "tracked.md", ws).title.startswith("Harbourview")


def test_an_embargo_line_becomes_the_embargo_and_a_doubtful_one_is_never_guessed(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    doc = dataclasses.replace(ENGLISH, markers=["Press Release", "Embargoed until 10:00 a.m., 3 June 2030 (Hong Kong time)"])
    build_docx(tmp_path / "e.docx", doc)
    assert _import(root, str(tmp_path / "e.docx"))[0] == ExitStatus.OK
    release = load_release(root / "releases" / "e.md", ws)
    assert release.embargo is not None and release.embargo.isoformat() == "2030-06-03T10:00:00+08:00"
    zh = dataclasses.replace(CHINESE, markers=["新聞稿", "禁發時間：2030年6月3日下午三時正"])
    build_docx(tmp_path / "z.docx", zh)
    assert _import(root, str(tmp_path / "z.docx"))[0] == ExitStatus.OK
    assert load_release(root / "releases" / "z.md", ws).embargo.isoformat() == "2030-06-03T15:00:00+08:00"  # type: ignore[union-attr]
    vague = dataclasses.replace(ENGLISH, markers=["Embargoed until the minister speaks"])
    build_docx(tmp_path / "v.docx", vague)
    code, out = _import(root, str(tmp_path / "v.docx"))
    assert code == ExitStatus.OK and "gives no clear date and time" in " ".join(out.split())
    render = runner.invoke(app, ["render", str(root / "releases" / "v.md"), "-o", str(tmp_path / "o")], obj=Env.for_test(cwd=root))
    assert render.exit_code == ExitStatus.BAD_INPUT and "'embargo'" in render.output  # it will not go out unmarked


def test_what_fits_nowhere_stays_in_the_body_with_its_paragraph(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    doc = dataclasses.replace(ENGLISH, after_end=["Notes to editors: high-resolution photos are on the newsroom."])
    build_docx(tmp_path / "n.docx", doc)
    code, out = _import(root, str(tmp_path / "n.docx"))
    assert code == ExitStatus.OK
    flat = " ".join(out.split())
    assert "paragraph" in flat and "Notes to editors" in flat and "kept at the end of the body" in flat
    assert "Notes to editors" in load_release(root / "releases" / "n.md", ws).body


def test_unstyled_headline_and_contacts_in_a_table(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    doc = dataclasses.replace(ENGLISH, styled=False, title=["Harbourview Science Park Opens a Coral Nursery Lab"])
    build_docx(tmp_path / "t.docx", doc, people_table=True)
    assert _import(root, str(tmp_path / "t.docx"))[0] == ExitStatus.OK
    release = load_release(root / "releases" / "t.md", ws)
    assert release.title == "Harbourview Science Park Opens a Coral Nursery Lab"
    assert release.subtitle.startswith("Twelve seawater tanks")
    assert [(c.name, c.email) for c in release.media_contacts] == [
        ("Mei-ling Chow", "press@hvsp.example"), ("Daniel Ip", "daniel.ip@hvsp.example"),
    ]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"", "the file is empty"),
        (b"%PDF-1.7 not a word file", "not a .docx file (not a zip archive)"),
        (bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 512, "password-protected"),
        (None, "a zip without word/document.xml"),
    ],
)
def test_a_bad_docx_is_one_line_and_writes_nothing(tmp_path: Path, content: bytes | None, said: str) -> None:
    root, _ = make_workspace(tmp_path)
    bad = tmp_path / "bad.docx"
    if content is None:
        with zipfile.ZipFile(bad, "w") as zf:
            zf.writestr("hello.txt", "hi")
    else:
        bad.write_bytes(content)
    before = sorted(p.name for p in (root / "releases").rglob("*"))
    code, out = _import(root, str(bad))
    assert code == ExitStatus.BAD_INPUT
    lines = out.strip().splitlines()
    assert len(" ".join(lines).split("error:")) == 2 and said in " ".join(out.split()), out
    assert "Traceback" not in out and str(bad) in " ".join(out.split())
    assert sorted(p.name for p in (root / "releases").rglob("*")) == before


def test_a_translation_in_the_main_language_or_over_a_file_is_refused(tmp_path: Path) -> None:
    root, _ = make_workspace(tmp_path)
    build_docx(tmp_path / "coral.docx", ENGLISH)
    assert _import(root, str(tmp_path / "coral.docx"))[0] == ExitStatus.OK
    code, out = _import(root, str(tmp_path / "coral.docx"))
    assert code == ExitStatus.BAD_INPUT and "exists" in out and "--force" in out
    code, out = _import(root, str(tmp_path / "coral.docx"), "--translation-of", str(root / "releases" / "coral.md"))
    assert code == ExitStatus.BAD_INPUT and "--lang" in " ".join(out.split())


def test_the_sample_workspace_has_word_releases_that_import(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    assert (root / "releases" / "test-bay.docx").is_file() and (root / "releases" / "test-bay.zh-HK.docx").is_file()
    code, out = _import(root, str(root / "releases" / "test-bay.docx"))
    assert code == ExitStatus.OK and "warning" not in out, out
    main = root / "releases" / "test-bay.md"
    code, out = _import(root, str(root / "releases" / "test-bay.zh-HK.docx"), "--translation-of", str(main))
    assert code == ExitStatus.OK and "warning" not in out, out
    releases = load_release_set(main, ws)
    assert releases[0].embargo is not None and releases[0].embargo == releases[1].embargo
    assert len(releases[0].media_contacts) == 2 and len(releases[1].media_contacts) == 2
    check = runner.invoke(app, ["check", str(main)], obj=Env.for_test(cwd=root))
    assert check.exit_code == ExitStatus.OK, check.output


def test_a_headline_typed_large_by_hand_is_found_by_its_size(tmp_path: Path) -> None:
    """No Title style: two paragraphs in 20 pt make the headline, one in 14 pt the subheading."""
    from docx.shared import Pt

    root, ws = make_workspace(tmp_path)
    doc = dataclasses.replace(ENGLISH, styled=False)
    d = build_docx(tmp_path / "s.docx", doc)
    for paragraph in d.paragraphs:
        size = 20 if paragraph.text in doc.title else 14 if paragraph.text == doc.subtitle else None
        for run in paragraph.runs:
            run.font.size = Pt(size) if size else None
    d.save(tmp_path / "s.docx")
    assert _import(root, str(tmp_path / "s.docx"))[0] == ExitStatus.OK
    release = load_release(root / "releases" / "s.md", ws)
    assert release.title == "Harbourview Science Park Opens a Coral Nursery Lab for Marine Start-ups"
    assert release.subtitle.startswith("Twelve seawater tanks") and release.dateline == "Hong Kong"


@pytest.mark.parametrize(
    ("line", "place", "day", "rest"),
    [
        ("(Hong Kong, 1 September 2025) – HVSP today", "Hong Kong", "2025-09-01", "HVSP today"),
        ("HONG KONG, 1 September 2025 — HVSP today", "Hong Kong", "2025-09-01", "HVSP today"),
        ("Hong Kong, September 1, 2025 - HVSP today", "Hong Kong", "2025-09-01", "HVSP today"),
        ("（香港，2025年9月1日）—海景科學園今日", "香港", "2025-09-01", "海景科學園今日"),
        ("(香港，2025年9月1日) 海景科學園今日", "香港", "2025-09-01", "海景科學園今日"),
    ],
)
def test_a_dateline_in_its_common_forms(line: str, place: str, day: str, rest: str) -> None:
    from pressctl.importer.dates import parse_dateline

    found = parse_dateline(line)
    assert found is not None and (found.place, found.date.isoformat(), found.rest) == (place, day, rest)


@pytest.mark.parametrize(
    ("line", "moment"),
    [
        ("10:00 a.m., 12 March 2030 (Hong Kong time)", "2030-03-12T10:00:00+08:00"),
        ("12 MARCH 2030, 15:30 HKT", "2030-03-12T15:30:00+08:00"),
        ("3pm on 12 March 2030", "2030-03-12T15:00:00+08:00"),
        ("2030年3月12日（星期二）下午三時正", "2030-03-12T15:00:00+08:00"),
        ("2030年3月12日上午10時30分", "2030-03-12T10:30:00+08:00"),
        ("12 March 2030", None),  # no time of day: never guessed
    ],
)
def test_an_embargo_line_s_moment(line: str, moment: str | None) -> None:
    from zoneinfo import ZoneInfo

    from pressctl.importer.dates import parse_moment

    found = parse_moment(line, ZoneInfo("Asia/Hong_Kong"))
    assert (found.isoformat() if found else None) == moment


def test_tables_links_and_bold_become_markdown() -> None:
    from pressctl.importer.html import blocks_of

    html = (
        '<p>Read <a href="https://www.hvsp.example/coral">the plan</a>, <strong>now</strong> *really*.</p>'
        "<table><tr><td><p>Tank</p></td><td><p>Litres</p></td></tr><tr><td><p>A</p></td><td><p>2,400</p></td></tr></table>"
        "<ol><li>One</li><li>Two</li></ol><p># not a heading</p>"
    )
    para, table, listed, hashed = blocks_of(html)
    assert para.md == r"Read [the plan](https://www.hvsp.example/coral), **now** \*really\*."
    assert table.md == "| Tank | Litres |\n|---|---|\n| A | 2,400 |" and table.cells == [["Tank", "Litres"], ["A", "2,400"]]
    assert listed.md == "1. One\n2. Two" and hashed.md == r"\# not a heading"


@pytest.mark.parametrize("end", ["###", "– End –", "- Ends -", "-END-", "完", "－完－"])
def test_each_end_mark_ends_the_body(tmp_path: Path, end: str) -> None:
    root, ws = make_workspace(tmp_path)
    build_docx(tmp_path / "m.docx", dataclasses.replace(ENGLISH, end=end))
    assert _import(root, str(tmp_path / "m.docx"))[0] == ExitStatus.OK
    release = load_release(root / "releases" / "m.md", ws)
    assert end not in release.body and len(release.media_contacts) == 2 and release.about


def test_a_simplified_docx_is_read_as_the_simplified_version(tmp_path: Path) -> None:
    """新闻稿, 即时发布, 关于, 传媒查询: the Simplified words mark the same parts; the script names the version."""
    import opencc

    cc = opencc.OpenCC("hk2s")

    def simplified(value: object) -> object:
        if isinstance(value, str):
            return cc.convert(value)
        if isinstance(value, list):
            return [simplified(v) for v in value]
        return value

    root, ws = make_workspace(tmp_path)
    build_docx(tmp_path / "coral.docx", ENGLISH)
    doc = dataclasses.replace(CHINESE, **{f.name: simplified(getattr(CHINESE, f.name)) for f in dataclasses.fields(CHINESE)})
    assert doc.markers == ["新闻稿", "即时发布"] and doc.media_heading == "传媒查询"
    build_docx(tmp_path / "coral-sc.docx", doc)
    assert _import(root, str(tmp_path / "coral.docx"))[0] == ExitStatus.OK
    code, out = _import(root, str(tmp_path / "coral-sc.docx"), "--translation-of", str(root / "releases" / "coral.md"))
    assert code == ExitStatus.OK, out
    zh = load_release_set(root / "releases" / "coral.md", ws)[1]
    assert zh.language == "zh-CN" and zh.title == "海景科学园启用珊瑚培育实验室" and zh.dateline == "香港"
    assert [a.organisation for a in zh.about] == ["海景科学园"] and len(zh.media_contacts) == 2


def test_before_the_end_mark_a_section_called_about_is_body(tmp_path: Path) -> None:
    root, ws = make_workspace(tmp_path)
    build_docx(tmp_path / "b.docx", ENGLISH, extra=["About the tanks", "Contact the lab team for a visit."])
    assert _import(root, str(tmp_path / "b.docx"))[0] == ExitStatus.OK
    release = load_release(root / "releases" / "b.md", ws)
    assert "About the tanks" in release.body and "Contact the lab team" in release.body
    assert [a.organisation for a in release.about] == ["Harbourview Science Park"] and len(release.media_contacts) == 2
    no_end = dataclasses.replace(ENGLISH, end="")
    build_docx(tmp_path / "n.docx", no_end)
    assert _import(root, str(tmp_path / "n.docx"))[0] == ExitStatus.OK
    release = load_release(root / "releases" / "n.md", ws)
    assert "fictional innovation campus" not in release.body and len(release.media_contacts) == 2


def test_output_naming_a_release_file_writes_that_file_with_its_photos_beside_it(tmp_path: Path) -> None:
    """``-o releases/launch.md`` is the release file itself (a folder named ``launch.md`` was a surprise)."""
    root, _ws = make_workspace(tmp_path)
    code, out = _import(root, str(root / "releases" / "test-bay.docx"), "-o", str(root / "releases" / "launch.md"))
    assert code == ExitStatus.OK, out
    assert (root / "releases" / "launch.md").is_file()
    assert list((root / "releases" / "photos").glob("launch-*.jpg"))
    code, out = _import(root, str(root / "releases" / "test-bay.docx"), "-o", str(root / "drafts"))
    assert code == ExitStatus.OK and (root / "drafts" / "test-bay.md").is_file(), out


def test_a_docx_that_unpacks_to_gigabytes_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A zip bomb (a few hundred KB on disk, 320 MB of document once unpacked) is one line, nothing written."""
    root, _ = make_workspace(tmp_path)
    bomb = tmp_path / "bomb.docx"
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as zf,
        zf.open("word/document.xml", "w", force_zip64=True) as part,
    ):
        for _ in range(320):
            part.write(b" " * (1024 * 1024))
    assert bomb.stat().st_size < 2 * 1024 * 1024
    before = sorted(p.name for p in (root / "releases").rglob("*"))
    code, out = _import(root, str(bomb))
    assert code == ExitStatus.BAD_INPUT and "unpacks to 320 MB" in " ".join(out.split()), out
    assert "Traceback" not in out
    assert sorted(p.name for p in (root / "releases").rglob("*")) == before
