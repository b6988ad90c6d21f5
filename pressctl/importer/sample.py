"""The sample workspace's Word releases (``pressctl init``): the sample release as an office would write
it in Word, in English and in Chinese, built with python-docx, so a new user can try ``pressctl import``
first. Fictional text about Harbourview Science Park."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SAMPLES", "SampleDoc", "sample_docx"]


@dataclass(frozen=True)
class SampleDoc:
    name: str  # file name in releases/
    markers: tuple[str, ...]
    title: str
    subtitle: str
    dateline: str
    body: tuple[str, ...]  # the first joins the dateline; "- " opens a list item, "> " a quote
    caption: str
    alt: str
    end: str
    about_heading: str
    about: str
    media_heading: str
    contacts: tuple[tuple[str, ...], ...]


ENGLISH = SampleDoc(
    name="test-bay.docx",
    markers=("Press Release", "Embargoed until 10:00 a.m., 12 March 2030 (Hong Kong time)"),
    title="Harbourview Science Park Opens Tidal Energy Test Bay for Start-ups",
    subtitle="A 40-metre seawater channel lets young companies trial wave and tide devices next to their own labs",
    dateline="(Hong Kong, 12 March 2030) – ",
    body=(
        "Harbourview Science Park (HVSP) today opened the Tidal Energy Test Bay, a 40-metre seawater channel on "
        "the park's eastern shore where start-ups can trial wave and tide devices a short walk from their own "
        "laboratories.",
        "Six companies have already booked the bay for its first season, among them:",
        "- Kelpwise, which builds low-speed turbines that sit on the seabed;",
        "- Ripple & Reef, which tests buoys that turn the motion of waves into electricity.",
        "> \u201cWith this bay, a two-person start-up can put a turbine in real seawater on a Tuesday morning and "
        "have data on its screen by lunch,\u201d said Dr Evelyn Tsang, Chief Executive Officer of HVSP.",
        "Booking details are available at www.hvsp.example/test-bay.",
    ),
    caption="Photo 1: Engineers from two resident start-ups lower a prototype tidal turbine into the new test bay.",
    alt="Two engineers in orange life vests lower a small turbine into a long seawater channel at sunset.",
    end="###",
    about_heading="About Harbourview Science Park",
    about="Harbourview Science Park (HVSP) is a fictional innovation campus on the Hong Kong waterfront, home to "
    "about 180 technology companies and four shared laboratories.",
    media_heading="Media enquiries",
    contacts=(
        ("Mei-ling Chow", "Senior Manager, Communications", "Tel: +852 3000 0101", "Email: press@hvsp.example"),
        ("Daniel Ip", "Media Relations Officer", "Tel: +852 3000 0102", "Email: daniel.ip@hvsp.example"),
    ),
)

CHINESE = SampleDoc(
    name="test-bay.zh-HK.docx",
    markers=("新聞稿", "禁發時間：2030年3月12日上午10時"),
    title="海景科學園啟用潮汐能源測試灣　助初創企業就近試驗海洋能源裝置",
    subtitle="全長四十米的海水測試渠道，讓年輕企業在實驗室旁邊測試波浪及潮汐發電裝置",
    dateline="（香港，2030年3月12日）—",
    body=(
        "海景科學園（HVSP）今日啟用「潮汐能源測試灣」。這條全長四十米的海水渠道位於園區東岸，初創企業只需從實驗室"
        "步行數分鐘，便可試驗波浪及潮汐發電裝置。",
        "首季已有六間企業預約使用測試灣，包括：",
        "- Kelpwise：研發安裝於海床的低轉速渦輪機；",
        "- Ripple & Reef：測試把波浪運動轉化為電力的浮標。",
        "> 海景科學園行政總裁曾穎欣博士表示：「有了這個測試灣，一間只有兩個人的初創企業也可以在星期二早上把渦輪機"
        "放進真正的海水，午飯前便在螢幕上看到數據。」",
        "預約詳情載於www.hvsp.example/test-bay。",
    ),
    caption="圖一：兩間園區初創企業的工程師把潮汐渦輪機原型放入新落成的測試灣。",
    alt="兩名穿着橙色救生衣的工程師在黃昏時把小型渦輪機放進長長的海水渠道。",
    end="完",
    about_heading="關於海景科學園",
    about="海景科學園（HVSP）是位於香港海濱的虛構創新園區，匯聚約180間科技企業，設有四個共用實驗室。",
    media_heading="傳媒查詢",
    contacts=(
        ("周美玲", "傳訊高級經理", "電話：+852 3000 0101", "電郵：press@hvsp.example"),
        ("葉俊賢", "傳媒關係主任", "電話：+852 3000 0102", "電郵：daniel.ip@hvsp.example"),
    ),
)

SAMPLES: tuple[SampleDoc, ...] = (ENGLISH, CHINESE)


def _lines(doc: object, lines: Sequence[str]) -> None:
    paragraph = doc.add_paragraph()  # type: ignore[attr-defined]
    for n, line in enumerate(lines):
        run = paragraph.add_run(line)
        if n < len(lines) - 1:
            run.add_break()


def sample_docx(sample: SampleDoc, photo_jpeg: bytes) -> bytes:
    """``sample`` as a .docx: styles for the headline, subheading, quote and caption, the photo inline."""
    import docx
    from docx.shared import Mm

    doc = docx.Document()
    for line in sample.markers:
        doc.add_paragraph(line).runs[0].bold = True
    doc.add_paragraph(sample.title, style="Title")
    doc.add_paragraph(sample.subtitle, style="Subtitle")
    first = doc.add_paragraph()
    first.add_run(sample.dateline).bold = True
    first.add_run(sample.body[0])
    for text in sample.body[1:]:
        if text.startswith("- "):
            doc.add_paragraph(text[2:], style="List Bullet")
        elif text.startswith("> "):
            doc.add_paragraph(text[2:], style="Quote")
        else:
            doc.add_paragraph(text)
    doc.add_picture(io.BytesIO(photo_jpeg), width=Mm(120))
    doc.inline_shapes[-1]._inline.docPr.set("descr", sample.alt)
    doc.add_paragraph(sample.caption, style="Caption")
    doc.add_paragraph(sample.end)
    doc.add_paragraph(sample.about_heading).runs[0].bold = True
    doc.add_paragraph(sample.about)
    doc.add_paragraph(sample.media_heading).runs[0].bold = True
    for person in sample.contacts:
        _lines(doc, person)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
