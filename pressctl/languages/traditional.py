"""Traditional Chinese: its words, dates and fonts, and the versions that use them (zh-HK first, zh-MO,
zh-TW, zh-Hant, zh-Hant-HK, zh-Hant-TW). Data."""

from __future__ import annotations

from dataclasses import replace

from pressctl.languages.locale import BRAND_CJK_FONT, BRAND_FONT, DateStyle, Fonts, Labels, Locale, SiteWords

__all__ = ["LOCALES"]

LABELS = Labels(
    immediate="即時發佈",
    embargoed="新聞稿禁發時間：{when}",
    subject_embargoed="【禁發時間：{when}】{subject}",
    press_release="新聞稿",
    about="關於{name}",
    about_plain="關於",
    media_contact="傳媒查詢",
    media_contacts="傳媒查詢",
    phone="電話",
    email="電郵",
    page='"第 " counter(page) " 頁，共 " counter(pages) " 頁"',
    unsubscribe="您收到此電郵，是因為您在{name}的傳媒名單上。",
    unsubscribe_link="取消訂閱",
    unsubscribe_mail="或電郵至",
    unsubscribe_note="（每位記者收到的電郵在此附有其取消訂閱連結。）",
    photo="圖片",
    colon="：",
    read_online="網上閱讀",
    download_photos="下載圖片",
    pdf="PDF",
    pdf_link_label="新聞稿PDF版本：",
    pdf_link="下載新聞稿（PDF）",
)

SITE = SiteWords(
    skip="跳至新聞稿",
    skip_index="跳至新聞稿列表",
    newsroom="新聞中心",
    languages="其他語言",
    photos="圖片",
    download_photo="下載高解像度原圖",
    credit="攝影",
    downloads="下載",
    pdf="新聞稿（PDF）",
    preview="預先發放予傳媒的新聞稿：尚未公開，請勿發佈或轉傳此連結。",
    all_releases="所有新聞稿",
    no_releases="暫無新聞稿。",
    feed="Atom 訂閱",
    read="閱讀新聞稿",
    now_public="本新聞稿已公開",
    read_here="按此閱讀",
)

DATES = DateStyle(
    date="{year}年{month}月{day}日",
    time="{period}{hour12}時{minutes}",
    moment="{date}{time}（{zone}）",
    minutes="{minute}分",
    periods=((6, "凌晨"), (12, "上午"), (13, "中午"), (18, "下午"), (24, "晚上")),
    # The zones a Hong Kong press office is likely to use; others show their UTC offset.
    zones={
        "Asia/Hong_Kong": "香港時間",
        "Asia/Macau": "澳門時間",
        "Asia/Taipei": "台北時間",
        "Asia/Shanghai": "北京時間",
        "Asia/Singapore": "新加坡時間",
        "Asia/Tokyo": "東京時間",
        "Europe/London": "倫敦時間",
        "UTC": "協調世界時",
    },
    dateline="（{place}，{date}）",
    dateline_date_only="（{date}）",
    dateline_as_written="（{dateline}）",
    dateline_dash="—",
)

# Hong Kong forms: "Noto Sans CJK HK" (the workspace's cjk_font by default) named first, with lang="zh-HK":
# lang="zh-Hant-HK" or "zh-Hant" made Pango pick the Japanese face.
HONG_KONG_FONTS = Fonts(
    pdf=(BRAND_CJK_FONT, "Noto Sans CJK TC", BRAND_FONT, "sans-serif"),
    email=(
        "PingFang HK", "PingFang TC", "Microsoft JhengHei", "Noto Sans CJK HK", "Noto Sans HK",
        "Source Han Sans HK", "sans-serif",
    ),
    site=(
        BRAND_CJK_FONT, "Noto Sans CJK HK", "PingFang HK", "Microsoft JhengHei", "Noto Sans HK", BRAND_FONT,
        "sans-serif",
    ),
)

# Taiwan forms: the TC faces first.
TAIWAN_FONTS = Fonts(
    pdf=("Noto Sans CJK TC", BRAND_CJK_FONT, BRAND_FONT, "sans-serif"),
    email=(
        "PingFang TC", "Microsoft JhengHei", "Noto Sans CJK TC", "Noto Sans TC", "Source Han Sans TW", "sans-serif",
    ),
    site=(
        "Noto Sans CJK TC", "PingFang TC", "Microsoft JhengHei", "Noto Sans TC", BRAND_CJK_FONT, BRAND_FONT,
        "sans-serif",
    ),
)

HONG_KONG = Locale(
    tag="zh-HK",
    name="Traditional Chinese (Hong Kong)",
    own_name="繁體中文（香港）",
    script="Hant",
    html_lang="zh-HK",
    og_locale="zh_HK",
    fonts=HONG_KONG_FONTS,
    labels=LABELS,
    site=SITE,
    dates=DATES,
    greeting='{{ name or "編輯" }}您好：',
    cell_words={"cantonese": "zh-HK", "廣東話": "zh-HK", "粵語": "zh-HK"},
    name_field="chinese_name",
)

LOCALES = (
    HONG_KONG,
    replace(
        HONG_KONG,
        tag="zh-MO",
        name="Traditional Chinese (Macao)",
        own_name="繁體中文（澳門）",
        html_lang="zh-MO",
        og_locale="zh_MO",
        aliases={"zh-Hant-MO": "Traditional Chinese (Macao)"},
        cell_words={},
    ),
    replace(
        HONG_KONG,
        tag="zh-TW",
        name="Traditional Chinese (Taiwan)",
        own_name="繁體中文（台灣）",
        html_lang="zh-TW",
        og_locale="zh_TW",
        fonts=TAIWAN_FONTS,
        cell_words={},
    ),
    replace(
        HONG_KONG,
        tag="zh-Hant",
        name="Traditional Chinese",
        own_name="繁體中文",
        cell_words={
            "traditional chinese": "zh-Hant",
            "chinese (traditional)": "zh-Hant",
            "繁體中文": "zh-Hant",
            "繁体中文": "zh-Hant",  # as a Simplified writer types it
            "繁體": "zh-Hant",
            "繁中": "zh-Hant",
        },
    ),
    replace(HONG_KONG, tag="zh-Hant-HK", cell_words={}),
    replace(
        HONG_KONG,
        tag="zh-Hant-TW",
        name="Traditional Chinese (Taiwan)",
        own_name="繁體中文（台灣）",
        html_lang="zh-TW",
        og_locale="zh_TW",
        fonts=TAIWAN_FONTS,
        cell_words={},
    ),
)
