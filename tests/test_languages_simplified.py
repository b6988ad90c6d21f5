"""Simplified Chinese (zh-CN), added to the locale table as one entry: end to end through the real command.

Issue 19: ``wording("zh-CN")`` answered "zh", so a Simplified reader silently got Traditional words, Hong Kong
fonts and lang="zh-HK". Here a release with a zh-CN translation is rendered (the PDF read back with poppler
and pypdf: the SC face embedded, /Lang zh-CN), mailed in a dry run (each .eml read back) and published (the
pages read back); readers who ask for Simplified in any of the ways lists write it reach the zh-CN version,
and are named in the fallback line when a release has none.
"""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from contacts_support import write_csv
from render_support import HAVE_POPPLER, pdffonts, pdftotext

from tests.qa_support import pressctl, workspace

SIMPLIFIED_RELEASE = """---
title: 海景科学园启用潮汐能源测试湾
subtitle: 四十米长的海水测试渠道让初创企业在实验室旁边试验海洋能源装置
date: 2030-03-12
dateline: 香港
language: zh-CN
summary: 海景科学园启用海水测试湾，初创企业可在实验室旁边试验潮汐及波浪能源装置。
---

海景科学园今日启用“潮汐能源测试湾”。这条四十米长的海水渠道位于园区东岸，初创企业从实验室步行几分钟
便可试验波浪及潮汐发电装置。首季已有六家企业预约使用。

> 海景科学园行政总裁曾颖欣博士表示：“有了测试湾，两个人的初创企业也能在上午把涡轮机放进真正的海水。”

欢迎{{ outlet or "贵机构" }}的记者于2030年3月14日下午3时参观测试湾。
"""

ORGANISATION = """
[organisation.translations.zh-CN]
name = "海景科学园"
address = "香港海景科学园潮池道8号"
footer = "海景科学园 · 香港潮池道8号 · www.hvsp.example"
about = "海景科学园（HVSP）是位于香港海滨的虚构创新园区，汇聚约180家科技企业。"

"""

READERS = [
    ["Email", "Name", "Outlet", "Language"],
    ["amy.chan@harbourdaily.example", "Amy Chan", "Harbour Daily", "en"],
    ["wong.ka-ming@mingpoint.example", "黃嘉明", "明點日報", "zh-HK"],
    ["wang.xm@shenzhenkeji.example", "王晓明", "深圳科技报", "zh-CN"],
    ["li.na@gzdaily.test", "李娜", "广州日报", "zh-Hans"],
    ["tan.mh@lianhe.example", "陈美华", "联合早报", "zh-SG"],
    ["zhou.jie@cnbiz.example", "周杰", "财经周刊", "简体中文"],
    ["liu.yang@techdesk.test", "劉洋", "科技台", "簡體中文"],
    ["sun.hui@asiawire.example", "Sun Hui", "Asia Wire", "Simplified Chinese"],
]
SIMPLIFIED_READERS = 6


def _simplified_workspace(tmp_path: Path, *, embargo: bool = True, translation: bool = True) -> Path:
    """``pressctl init``'s workspace with the sample's zh-CN translation, its organisation words, and a list of
    readers who ask for Simplified Chinese in each way a list writes it."""
    root = workspace(tmp_path)
    config = root / "pressctl.toml"
    text = config.read_text("utf-8")
    config.write_text(text.replace("\n[brand]\n", ORGANISATION + "[brand]\n", 1), "utf-8")
    (root / "releases" / "sample.zh-CN.md").write_text(SIMPLIFIED_RELEASE, "utf-8")
    sample = root / "releases" / "sample.md"
    release = sample.read_text("utf-8")
    if translation:
        release = release.replace("  zh-HK: sample.zh-HK.md\n", "  zh-HK: sample.zh-HK.md\n  zh-CN: sample.zh-CN.md\n")
    if not embargo:
        release = re.sub(r"^embargo:.*\n", "", release, flags=re.M)
    sample.write_text(release, "utf-8")
    write_csv(root / "contacts" / "simplified.csv", READERS[1:], header=READERS[0])
    return root


def _messages(folder: Path) -> dict[str, EmailMessage]:
    out = {}
    for path in sorted(folder.glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        out[str(msg["To"]).split("<")[-1].rstrip(">")] = msg
    return out


def _part(msg: EmailMessage, kind: str) -> str:
    part = msg.get_body(preferencelist=(kind,))
    assert part is not None
    return str(part.get_content())


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_POPPLER, reason="needs poppler-utils (pdffonts, pdftotext)")
def test_render_writes_a_simplified_pdf_with_the_sc_face_and_lang_zh_cn(tmp_path: Path) -> None:
    from pypdf import PdfReader

    root = _simplified_workspace(tmp_path)
    done = pressctl("render", "releases/sample.md", "-o", "out", "--lang", "zh-CN", cwd=root)
    assert done.returncode == 0, done.stderr
    pdf = root / "out" / "sample.zh-CN.pdf"
    cjk = [row for row in pdffonts(pdf) if "CJK" in row["name"]]
    assert cjk and all("CJK-SC" in row["name"] and row["emb"] == "yes" for row in cjk), cjk
    assert str(PdfReader(pdf).trailer["/Root"]["/Lang"]) == "zh-CN"
    text = pdftotext(pdf)
    assert "新闻稿禁发时间：2030年3月12日上午10时（香港时间）" in text
    for words in ("新闻稿", "（香港，2030年3月12日）", "关于海景科学园", "传媒查询"):
        assert words in text
    assert not any(traditional in text for traditional in ("新聞稿", "傳媒查詢", "關於", "香港時間"))

    html = (root / "out" / "sample.zh-CN.html").read_text("utf-8")
    assert html.startswith('<!DOCTYPE html><html lang="zh-CN"')
    assert "font-family: 'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC'" in html
    assert "HK" not in re.findall(r"font-family: ([^;]*)", html)[0]
    mail = (root / "out" / "sample.zh-CN.txt").read_text("utf-8")
    assert mail.startswith("编辑您好：\n")
    assert "【禁发时间" not in mail and "传媒查询" in mail and "电邮：press@hvsp.example" in mail


@pytest.mark.slow
def test_readers_asking_for_simplified_get_the_zh_cn_version_in_the_dry_run(tmp_path: Path) -> None:
    root = _simplified_workspace(tmp_path)
    check = pressctl("contacts", "check", "contacts/simplified.csv", "--release", "releases/sample.md", cwd=root)
    assert check.returncode == 0, check.stderr
    assert re.search(rf"Simplified Chinese \(China\)\s+{SIMPLIFIED_READERS}\n", check.stdout), check.stdout
    assert "get" not in check.stdout.split("selected")[1]  # nobody is a fallback: each has their version

    dry = pressctl("send", "releases/sample.md", "-c", "contacts/simplified.csv", "--dry-run", cwd=root)
    assert dry.returncode == 0, dry.stderr
    assert f"Simplified Chinese (China) {SIMPLIFIED_READERS}" in dry.stdout
    messages = _messages(root / "out" / "preview-sample" / "messages")
    simplified = [a for a, m in messages.items() if '<html lang="zh-CN"' in _part(m, "html")]
    assert sorted(simplified) == sorted(row[0] for row in READERS[3:])
    wang = messages["wang.xm@shenzhenkeji.example"]
    assert str(wang["Subject"]) == "海景科学园启用潮汐能源测试湾"  # the dry run shows the release at the lift
    plain = _part(wang, "plain")
    assert plain.startswith("王晓明您好：") and "欢迎深圳科技报的记者" in plain
    # No Chinese name: the list's own, as a zh-HK reader's; the Simplified default greeting's own words.
    assert _part(messages["sun.hui@asiawire.example"], "plain").startswith("Sun Hui您好：")
    html = _part(messages["tan.mh@lianhe.example"], "html")
    assert "'PingFang SC'" in html and "'PingFang HK'" not in html
    hong_kong = _part(messages["wong.ka-ming@mingpoint.example"], "html")
    assert '<html lang="zh-HK"' in hong_kong and "傳媒查詢" in hong_kong


@pytest.mark.slow
def test_without_a_simplified_version_they_get_traditional_and_are_named(tmp_path: Path) -> None:
    """The routing rule's decision: the same language in the other script before another language."""
    root = _simplified_workspace(tmp_path, translation=False)
    dry = pressctl("send", "releases/sample.md", "-c", "contacts/simplified.csv", "--dry-run", cwd=root)
    assert dry.returncode == 0, dry.stderr
    assert (
        "languages Traditional Chinese (Hong Kong) 7, English 1 (4 Simplified Chinese readers get Traditional "
        "Chinese (Hong Kong): no Simplified Chinese version; 1 Simplified Chinese (China) reader gets Traditional "
        "Chinese (Hong Kong): no Simplified Chinese (China) version; 1 Simplified Chinese (Singapore) reader gets "
        "Traditional Chinese (Hong Kong): no Simplified Chinese (Singapore) version)\n"
    ) in dry.stdout
    messages = _messages(root / "out" / "preview-sample" / "messages")
    wang = _part(messages["wang.xm@shenzhenkeji.example"], "plain")
    assert wang.startswith("王晓明您好：") and "傳媒查詢" in wang  # a Chinese reader: greeted by name


@pytest.mark.slow
def test_publish_gives_the_simplified_page_its_lang_locale_words_and_fonts(tmp_path: Path) -> None:
    root = _simplified_workspace(tmp_path, embargo=False)
    done = pressctl("publish", "releases/sample.md", cwd=root, timeout=180)
    assert done.returncode == 0, done.stderr
    folder = root / "site" / "releases" / "2030-03-12-sample"
    page = (folder / "index.zh-CN.html").read_text("utf-8")
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh-CN"') or '<html lang="zh-CN"' in page.split("\n", 2)[1]
    assert '<meta property="og:locale" content="zh_CN">' in page
    assert '--font: "Noto Sans CJK SC", "PingFang SC"' in page
    for words in ("所有新闻稿", "其他语言", "传媒查询", "关于海景科学园", "（香港，2030年3月12日）", "新闻稿（PDF）"):
        assert words in page
    english = (folder / "index.html").read_text("utf-8")
    assert 'hreflang="zh-CN" lang="zh-CN">简体中文</a>' in english
    assert 'hreflang="zh-HK" lang="zh-HK">繁體中文（香港）</a>' in english
    index = (root / "site" / "index.zh-CN.html").read_text("utf-8")
    assert '<html lang="zh-CN"' in index and "海景科学园 新闻中心" in index
    feed = (root / "site" / "feed.zh-CN.xml").read_text("utf-8")
    assert "<language>zh-CN</language>" in feed or 'xml:lang="zh-CN"' in feed
    if HAVE_POPPLER:
        cjk = [row["name"] for row in pdffonts(folder / "sample.zh-CN.pdf") if "CJK" in row["name"]]
        assert cjk and all("CJK-SC" in name for name in cjk), cjk
