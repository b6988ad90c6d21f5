"""The words of a release around its text, per language: fixed labels, dates, times and zones, the embargo
and subject lines, the dateline, the default greetings. Pure (English for anything not Chinese)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from pressctl.languages.routing import wording
from pressctl.release.dateline import has_date
from pressctl.release.load import Release
from pressctl.times import format_offset

__all__ = [
    "DEFAULT_GREETINGS",
    "dateline_text",
    "embargo_line",
    "format_date",
    "labels_for",
    "subject_line",
]

# The greeting opens the email, not the release. A workspace can set its own in pressctl.toml
# ([email.greeting] en = '...'); it goes through the same merge-field tokens as the release.
DEFAULT_GREETINGS: Mapping[str, str] = {
    "en": 'Dear {{ first_name or "editor" }},',
    "zh": '{{ name or "編輯" }}您好：',
}

_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "immediate": "FOR IMMEDIATE RELEASE",
        "embargoed": "EMBARGOED UNTIL {when}",
        "subject_embargoed": "EMBARGOED UNTIL {when}: {subject}",
        "press_release": "Press release",
        "about": "About {name}",
        "about_plain": "About",
        "media_contact": "Media contact",
        "media_contacts": "Media contacts",
        "phone": "Tel",
        "email": "Email",
        "page": '"Page " counter(page) " of " counter(pages)',
        "unsubscribe": "You receive this email because you are on the {name} press list.",
        "unsubscribe_link": "Unsubscribe",
        "unsubscribe_mail": "or write to",
        "unsubscribe_note": "(Each journalist's copy has its own unsubscribe link here.)",
        "photo": "Photo",
        "colon": ": ",
    },
    "zh": {
        "immediate": "即時發佈",
        "embargoed": "新聞稿禁發時間：{when}",
        "subject_embargoed": "【禁發時間：{when}】{subject}",
        "press_release": "新聞稿",
        "about": "關於{name}",
        "about_plain": "關於",
        "media_contact": "傳媒查詢",
        "media_contacts": "傳媒查詢",
        "phone": "電話",
        "email": "電郵",
        "page": '"第 " counter(page) " 頁，共 " counter(pages) " 頁"',
        "unsubscribe": "您收到此電郵，是因為您在{name}的傳媒名單上。",
        "unsubscribe_link": "取消訂閱",
        "unsubscribe_mail": "或電郵至",
        "unsubscribe_note": "（每位記者收到的電郵在此附有其取消訂閱連結。）",
        "photo": "圖片",
        "colon": "：",
    },
}

# Chinese names of the zones a Hong Kong press office is likely to use; others show their UTC offset.
_ZH_ZONES = {
    "Asia/Hong_Kong": "香港時間",
    "Asia/Macau": "澳門時間",
    "Asia/Taipei": "台北時間",
    "Asia/Shanghai": "北京時間",
    "Asia/Singapore": "新加坡時間",
    "Asia/Tokyo": "東京時間",
    "Europe/London": "倫敦時間",
    "UTC": "協調世界時",
}


def labels_for(language: str) -> Mapping[str, str]:
    """The fixed words of the templates in ``language`` (English for anything not Chinese)."""
    return _LABELS[wording(language)]


def format_date(day: dt.date, language: str) -> str:
    """``12 March 2030`` or ``2030年3月12日``."""
    if wording(language) == "zh":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {day:%B %Y}"


def _format_moment(moment: dt.datetime, zone_name: str, language: str) -> str:
    if wording(language) == "zh":
        h, m = moment.hour, moment.minute
        period = (
            "凌晨" if h < 6 else "上午" if h < 12 else "中午" if h == 12 else "下午" if h < 18 else "晚上"
        )
        h12 = h % 12 or 12
        clock = f"{h12}時" + (f"{m}分" if m else "")
        zone = _ZH_ZONES.get(zone_name) or format_offset(moment)
        return f"{format_date(moment.date(), language)}{period}{clock}（{zone}）"
    abbrev = moment.tzname() or ""
    # zoneinfo gives "+08"-style names for zones without a real abbreviation; show an offset instead.
    if not abbrev or abbrev[0] in "+-" or abbrev[0].isdigit():
        abbrev = format_offset(moment)
    return f"{moment:%H:%M} {abbrev}, {format_date(moment.date(), language)}"


def embargo_line(release: Release, *, embargoed: bool) -> str:
    """The release banner, the same in PDF, HTML and text: the embargo in the release's zone, or immediate."""
    labels = labels_for(release.language)
    local = release.embargo_local()
    if not embargoed or local is None:
        return labels["immediate"]
    return labels["embargoed"].format(when=_format_moment(local, release.timezone, release.language))


def subject_line(release: Release, subject: str, *, embargoed: bool) -> str:
    """The email subject, prefixed with the embargo while it holds."""
    local = release.embargo_local()
    if not embargoed or local is None:
        return subject
    when = _format_moment(local, release.timezone, release.language)
    return labels_for(release.language)["subject_embargoed"].format(when=when, subject=subject)


def dateline_text(release: Release) -> str:
    """``(Hong Kong, 12 March 2030)`` or ``（香港，2030年3月12日）``, put before the first paragraph.

    A ``dateline`` field that holds a date already ("Hong Kong, 12 March 2030") is used as it is.
    """
    if release.dateline and has_date(release.dateline):
        if wording(release.language) == "zh":
            return f"（{release.dateline}）"
        return f"({release.dateline})"
    day = format_date(release.date, release.language)
    if wording(release.language) == "zh":
        return f"（{release.dateline}，{day}）" if release.dateline else f"（{day}）"
    return f"({release.dateline}, {day})" if release.dateline else f"({day})"


def _dateline_dash(release: Release) -> str:
    """What joins the dateline to the first sentence: an en dash between spaces, or a bare Chinese dash."""
    return "—" if wording(release.language) == "zh" else " – "
