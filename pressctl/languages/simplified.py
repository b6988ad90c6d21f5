"""Simplified Chinese: its words, dates and fonts, and the version that uses them (zh-CN), with the tags and
words of readers who ask for it (zh-Hans, zh-SG, 简体中文, 簡體中文, "simplified chinese"). Data.

The words follow the office's Traditional ones character for character where the mainland reads them the
same (新闻稿, 传媒查询, 关于), and the mainland's own word where it differs (在线阅读, 高分辨率, 链接).
"""

from __future__ import annotations

from pressctl.languages.locale import BRAND_CJK_FONT, BRAND_FONT, DateStyle, Fonts, Labels, Locale, SiteWords

__all__ = ["LOCALES"]

LABELS = Labels(
    immediate="即时发布",
    embargoed="新闻稿禁发时间：{when}",
    subject_embargoed="【禁发时间：{when}】{subject}",
    press_release="新闻稿",
    about="关于{name}",
    about_plain="关于",
    media_contact="传媒查询",
    media_contacts="传媒查询",
    phone="电话",
    email="电邮",
    page='"第 " counter(page) " 页，共 " counter(pages) " 页"',
    unsubscribe="您收到此邮件，是因为您在{name}的传媒名单上。",
    unsubscribe_link="取消订阅",
    unsubscribe_mail="或发邮件至",
    unsubscribe_note="（每位记者收到的邮件在此附有其取消订阅链接。）",
    photo="图片",
    colon="：",
    read_online="在线阅读",
    download_photos="下载图片",
    pdf="PDF",
    pdf_link_label="新闻稿PDF版本：",
    pdf_link="下载新闻稿（PDF）",
)

SITE = SiteWords(
    skip="跳至新闻稿",
    skip_index="跳至新闻稿列表",
    newsroom="新闻中心",
    languages="其他语言",
    photos="图片",
    download_photo="下载高分辨率原图",
    credit="摄影",
    downloads="下载",
    pdf="新闻稿（PDF）",
    preview="预先发给媒体的新闻稿：尚未公开，请勿发布或转发此链接。",
    all_releases="所有新闻稿",
    no_releases="暂无新闻稿。",
    feed="Atom 订阅",
    read="阅读新闻稿",
    now_public="本新闻稿已公开",
    read_here="点击阅读",
)

DATES = DateStyle(
    date="{year}年{month}月{day}日",
    time="{period}{hour12}时{minutes}",
    moment="{date}{time}（{zone}）",
    minutes="{minute}分",
    periods=((6, "凌晨"), (12, "上午"), (13, "中午"), (18, "下午"), (24, "晚上")),
    zones={
        "Asia/Hong_Kong": "香港时间",
        "Asia/Macau": "澳门时间",
        "Asia/Taipei": "台北时间",
        "Asia/Shanghai": "北京时间",
        "Asia/Singapore": "新加坡时间",
        "Asia/Tokyo": "东京时间",
        "Europe/London": "伦敦时间",
        "UTC": "协调世界时",
    },
    dateline="（{place}，{date}）",
    dateline_date_only="（{date}）",
    dateline_as_written="（{dateline}）",
    dateline_dash="—",
)

# Simplified forms: "Noto Sans CJK SC" named first, with lang="zh-CN" (FACTS), then the workspace's own face.
FONTS = Fonts(
    pdf=("Noto Sans CJK SC", BRAND_CJK_FONT, BRAND_FONT, "sans-serif"),
    email=("PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "sans-serif"),
    site=(
        "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", "Noto Sans SC", BRAND_CJK_FONT, BRAND_FONT,
        "sans-serif",
    ),
)

_ASKS_FOR_SIMPLIFIED = "zh-Hans"

SIMPLIFIED = Locale(
    tag="zh-CN",
    name="Simplified Chinese (China)",
    own_name="简体中文",
    script="Hans",
    html_lang="zh-CN",
    og_locale="zh_CN",
    fonts=FONTS,
    labels=LABELS,
    site=SITE,
    dates=DATES,
    greeting='{{ name or "编辑" }}您好：',
    aliases={
        "zh-Hans": "Simplified Chinese",
        "zh-Hans-CN": "Simplified Chinese (China)",
        "zh-SG": "Simplified Chinese (Singapore)",
        "zh-Hans-SG": "Simplified Chinese (Singapore)",
        "zh-MY": "Simplified Chinese (Malaysia)",
        "zh-Hans-MY": "Simplified Chinese (Malaysia)",
    },
    cell_words={
        "simplified chinese": _ASKS_FOR_SIMPLIFIED,
        "chinese (simplified)": _ASKS_FOR_SIMPLIFIED,
        "简体中文": _ASKS_FOR_SIMPLIFIED,
        "簡體中文": _ASKS_FOR_SIMPLIFIED,
        "中文简体": _ASKS_FOR_SIMPLIFIED,
        "简体": _ASKS_FOR_SIMPLIFIED,
        "簡體": _ASKS_FOR_SIMPLIFIED,
        "简中": _ASKS_FOR_SIMPLIFIED,
        "簡中": _ASKS_FOR_SIMPLIFIED,
        "华文": "zh",
        "英语": "en",
    },
    name_field="chinese_name",
)

LOCALES = (SIMPLIFIED,)
