"""Word releases built with python-docx inside the tests: styles (Title, Subtitle, Quote, Caption), a
picture with alt text, tracked changes written as w:ins / w:del XML, a comment, a contacts table.
Fictional text about Harbourview Science Park."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm
from PIL import Image

__all__ = ["CHINESE", "ENGLISH", "Doc", "build_docx", "jpeg", "tracked"]


def jpeg(colour: tuple[int, int, int] = (11, 92, 116), size: tuple[int, int] = (320, 200)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG", quality=85)
    return buf.getvalue()


@dataclass
class Doc:
    markers: list[str]
    title: list[str]  # one paragraph each, in the Title style (two lines: two paragraphs)
    subtitle: str
    dateline: str
    body: list[str]  # "> " Quote style, "- " List Bullet
    caption: str
    alt: str
    end: str
    about_heading: str
    about: list[str]
    media_heading: str
    people: list[list[str]]  # each person's lines, one paragraph with line breaks
    after_end: list[str] = field(default_factory=list)  # paragraphs after the end mark before About
    styled: bool = True  # False: headline and subheading only by position


ENGLISH = Doc(
    markers=["Press Release", "For Immediate Release"],
    title=["Harbourview Science Park Opens a Coral Nursery Lab", "for Marine Start-ups"],
    subtitle="Twelve seawater tanks let young companies grow and test coral on the park's shore",
    dateline="(Hong Kong, 3 June 2030) – ",
    body=[
        "Harbourview Science Park (HVSP) today opened its Coral Nursery Lab, with 2,400 square metres of "
        "seawater tanks for companies restoring reefs.",
        'Dr Evelyn Tsang, Chief Executive Officer of HVSP, said, "Reef science needs patience and seawater; '
        'this lab gives our start-ups both, a short walk from their desks."',
        "- Twelve tanks with controlled light and temperature;",
        "- A shared microscope room.",
        "Visits can be booked at https://www.hvsp.example/coral until 30 June 2030.",
    ],
    caption="Photo 1: A technician checks coral fragments in one of the new nursery tanks.",
    alt="A technician in a blue lab coat leans over a glowing seawater tank.",
    end="###",
    about_heading="About Harbourview Science Park",
    about=["Harbourview Science Park (HVSP) is a fictional innovation campus on the Hong Kong waterfront."],
    media_heading="Media enquiries",
    people=[
        ["Mei-ling Chow", "Senior Manager, Communications", "Tel: +852 3000 0101", "Email: press@hvsp.example"],
        ["Daniel Ip", "Media Relations Officer", "Tel: +852 3000 0102", "Email: daniel.ip@hvsp.example"],
    ],
)

CHINESE = Doc(
    markers=["新聞稿", "即時發佈"],
    title=["海景科學園啟用珊瑚培育實驗室"],
    subtitle="十二個海水缸讓海洋初創企業在園區海岸培育及測試珊瑚",
    dateline="（香港，2030年6月3日）—",
    body=[
        "海景科學園（HVSP）今日啟用珊瑚培育實驗室，設有二千四百平方米的海水缸，供修復珊瑚礁的企業使用。",
        "> 海景科學園行政總裁曾穎欣博士表示：「珊瑚礁研究需要耐性和海水，這個實驗室讓我們的初創企業在辦公室旁邊便兩者兼得。」",
        "- 十二個可調控光線及溫度的海水缸；",
        "- 一間共用顯微鏡室。",
        "參觀可於2030年6月30日前經https://www.hvsp.example/coral預約。",
    ],
    caption="圖一：技術人員在新落成的培育缸檢查珊瑚碎片。",
    alt="一名穿藍色實驗袍的技術人員俯身察看發光的海水缸。",
    end="完",
    about_heading="關於海景科學園",
    about=["海景科學園（HVSP）是位於香港海濱的虛構創新園區。"],
    media_heading="傳媒查詢",
    people=[
        ["周美玲", "傳訊高級經理", "電話：+852 3000 0101", "電郵：press@hvsp.example"],
        ["葉俊賢", "傳媒關係主任", "電話：+852 3000 0102", "電郵：daniel.ip@hvsp.example"],
    ],
)


def tracked(paragraph: Any, *, inserted: str = "", deleted: str = "", author: str = "Reviewer") -> None:
    """Append a tracked insertion and/or deletion to ``paragraph`` as Word writes them (w:ins, w:del)."""
    for kind, text, tag in (("w:ins", inserted, "w:t"), ("w:del", deleted, "w:delText")):
        if not text:
            continue
        change = OxmlElement(kind)
        change.set(qn("w:id"), str(abs(hash((kind, text))) % 10_000))
        change.set(qn("w:author"), author)
        change.set(qn("w:date"), "2030-06-01T09:00:00Z")
        run = OxmlElement("w:r")
        t = OxmlElement(tag)
        t.set(qn("xml:space"), "preserve")
        t.text = text
        run.append(t)
        change.append(run)
        paragraph._p.append(change)


def build_docx(
    path: Path,
    doc: Doc,
    *,
    photo: bytes | None = None,
    people_table: bool = False,
    extra: Sequence[str] = (),
) -> Any:
    """Write ``doc`` to ``path`` as a .docx; returns the python-docx Document (saved already)."""
    d = docx.Document()
    for line in doc.markers:
        d.add_paragraph(line)
    for line in doc.title:
        d.add_paragraph(line, style="Title" if doc.styled else None)
    d.add_paragraph(doc.subtitle, style="Subtitle" if doc.styled else None)
    first = d.add_paragraph()
    first.add_run(doc.dateline).bold = True
    first.add_run(doc.body[0])
    for text in doc.body[1:]:
        if text.startswith("> "):
            d.add_paragraph(text[2:], style="Quote")
        elif text.startswith("- "):
            d.add_paragraph(text[2:], style="List Bullet")
        else:
            d.add_paragraph(text)
    d.add_picture(io.BytesIO(photo or jpeg()), width=Mm(80))
    d.inline_shapes[-1]._inline.docPr.set("descr", doc.alt)
    d.add_paragraph(doc.caption, style="Caption")
    for text in extra:
        d.add_paragraph(text)
    d.add_paragraph(doc.end)
    for text in doc.after_end:
        d.add_paragraph(text)
    d.add_paragraph(doc.about_heading).runs[0].bold = True
    for text in doc.about:
        d.add_paragraph(text)
    d.add_paragraph(doc.media_heading).runs[0].bold = True
    if people_table:
        table = d.add_table(rows=1, cols=len(doc.people))
        for cell, person in zip(table.rows[0].cells, doc.people, strict=True):
            cell.text = person[0]
            for line in person[1:]:
                cell.add_paragraph(line)
    else:
        for person in doc.people:
            paragraph = d.add_paragraph()
            for n, line in enumerate(person):
                run = paragraph.add_run(line)
                if n < len(person) - 1:
                    run.add_break()
    d.save(path)
    return d
