"""The words of a release as offices write it in Word, per language: the marker lines ("Press Release",
"即時發佈"), embargo lines, end marks, About and media-enquiry headings, caption and contact labels, month
names, and the script a document is written in. Data, read by ``pressctl.importer``; nothing outside this
package names a language's words."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pressctl.languages.table import LOCALES

__all__ = ["DOCUMENT_WORDS", "DocumentWords", "guess_tag", "script_tag"]


@dataclass(frozen=True)
class DocumentWords:
    """What marks each part of a release in one language (lower-case where case does not matter)."""

    press_release: tuple[str, ...]  # a line that only says "Press Release"
    immediate: tuple[str, ...]  # "For Immediate Release"
    embargo: tuple[str, ...]  # what opens an embargo line: "Embargoed until", "禁發時間"
    end_marks: tuple[str, ...]  # the line that ends the body: "###", "- Ends -", "完"
    about: tuple[str, ...]  # what opens an About heading: "About ", "關於"
    media: tuple[str, ...]  # headings of the media enquiries: "Media enquiries", "傳媒查詢"
    caption: str  # a regular expression for a caption's label: "Photo 1:", "圖一："
    phone: tuple[str, ...]  # labels of a phone line: "Tel", "電話"
    email: tuple[str, ...]  # labels of an e-mail line: "Email", "電郵"
    organisation: tuple[str, ...]  # words that make a line an organisation's name, not a person's
    months: Mapping[str, int] = field(default_factory=dict)  # month names and abbreviations -> 1..12
    afternoon: tuple[str, ...] = ()  # "p.m.", "下午": add 12 hours
    morning: tuple[str, ...] = ()


ENGLISH = DocumentWords(
    press_release=("press release", "news release", "media release", "press statement"),
    immediate=("for immediate release", "immediate release", "for release immediately"),
    embargo=("embargoed until", "embargoed till", "embargoed to", "embargo until", "embargo:", "embargoed:",
             "under embargo until", "not for publication before", "not for release before"),
    end_marks=("###", "# # #", "-ends-", "- ends -", "– ends –", "— ends —", "-end-", "- end -", "– end –",
               "— end —", "ends", "end", "-30-"),
    about=("about ",),
    media=("media enquiries", "media enquiry", "for media enquiries", "media inquiries", "for media inquiries",
           "media contact", "media contacts", "press contact", "press contacts", "for more information",
           "for further information", "enquiries", "contact"),
    caption=r"(?:photo|picture|image|caption|figure)\s*\d*\s*[:：.–—-]",
    phone=("tel", "telephone", "phone", "mobile", "mob", "direct", "office", "t", "m"),
    email=("email", "e-mail", "mail", "e"),
    organisation=("corporation", "limited", "ltd", "company", "park", "university", "council", "authority",
                  "group", "office", "department", "bureau", "association", "foundation", "institute",
                  "holdings", "inc", "plc", "agency"),
    months={
        name: i
        for i, names in enumerate(
            (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
             ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
             ("october", "oct"), ("november", "nov"), ("december", "dec")),
            start=1,
        )
        for name in names
    },
    afternoon=("p.m.", "pm", "p.m"),
    morning=("a.m.", "am", "a.m"),
)

# Chinese, in Traditional and Simplified forms alike (a document is read before its script is known).
CHINESE = DocumentWords(
    press_release=("新聞稿", "新闻稿", "新聞公報", "新闻公报", "傳媒通告", "传媒通告"),
    immediate=("即時發佈", "即时发布", "即時發放", "即时发放", "即時發布", "即時發表", "即时发表"),
    embargo=("禁發時間", "禁发时间", "禁止發佈至", "禁止发布至", "請勿在", "请勿在"),
    end_marks=("完", "－完－", "-完-", "—完—", "–完–", "（完）", "(完)", "###"),
    about=("關於", "关于"),
    media=("傳媒查詢", "传媒查询", "新聞查詢", "新闻查询", "傳媒聯絡", "传媒联络", "如有查詢", "如有查询",
           "傳媒垂詢", "传媒垂询", "媒體查詢", "媒体查询"),
    caption=r"(?:圖|图|相|照片|圖片|图片)[一二三四五六七八九十〇零\d]*\s*[:：]",
    phone=("電話", "电话", "手提", "手機", "手机", "直線", "直线"),
    email=("電郵", "电邮", "電子郵件", "电子邮件", "郵箱", "邮箱"),
    organisation=("公司", "有限公司", "園", "园", "大學", "大学", "局", "署", "協會", "协会", "基金",
                  "集團", "集团", "科學園", "科学园", "中心", "學院", "学院"),
    afternoon=("下午", "晚上", "中午"),
    morning=("上午", "早上", "凌晨"),
)

DOCUMENT_WORDS: tuple[DocumentWords, ...] = (ENGLISH, CHINESE)

# Characters that differ between the two Chinese scripts, as (Traditional, Simplified) strings of equal
# length: enough to tell a press release's script from a few sentences.
_TRADITIONAL = "們這發會為與來個國學時聞關於說對從還們麼開業經當電網際產數據務體進實現們術協園區傳務"
_SIMPLIFIED = "们这发会为与来个国学时闻关于说对从还们么开业经当电网际产数据务体进实现们术协园区传务"


def script_tag(script: str) -> str | None:
    """The first version of the table written in ``script`` (``Hant`` -> the Hong Kong version)."""
    for locale in LOCALES:
        if locale.script == script:
            return locale.tag
    return None


def guess_tag(text: str, default: str) -> str:
    """The version a document's text is most likely written in: Latin text is ``default``'s language when
    that is written in Latin, Chinese text is Traditional or Simplified by the characters that differ."""
    han = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin = len(re.findall(r"[A-Za-z]", text))
    if han * 3 < latin:  # a Chinese name or two in an English release
        first = next((loc for loc in LOCALES if loc.tag.lower() == default.lower()), None)
        return default if first is not None and first.script == "Latn" else (script_tag("Latn") or default)
    trad = sum(text.count(ch) for ch in set(_TRADITIONAL) - set(_SIMPLIFIED))
    simp = sum(text.count(ch) for ch in set(_SIMPLIFIED) - set(_TRADITIONAL))
    return script_tag("Hans" if simp > trad else "Hant") or default
