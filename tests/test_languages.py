"""pressctl.languages: tags, the locale table, and the one routing rule that contact loading and message
building share."""

from __future__ import annotations

from pathlib import Path

import pytest
from messages_support import make_factory

from pressctl.errors import ConfigError, ReleaseError
from pressctl.languages.routing import route_language
from pressctl.languages.tags import normalise_language

VERSIONS = ("en", "zh-HK", "zh-Hant")


def test_normalise_language_canonical_and_errors() -> None:
    assert normalise_language("zh_hk") == "zh-HK"
    assert normalise_language(" zh-hant-tw ") == "zh-Hant-TW"
    with pytest.raises(ReleaseError, match="unknown language"):
        normalise_language("fr")
    with pytest.raises(ConfigError, match="not a language tag"):
        normalise_language("English!", error=ConfigError)


def test_contacts_and_messages_share_the_one_router() -> None:
    from pressctl.contacts import load
    from pressctl.send import messages

    assert load.route_language is route_language and messages.route_language is route_language


@pytest.mark.parametrize("tag", [None, "", "en", "en-GB", "zh-HK", "zh-TW", "zh-Hant", "zh-Hant-TW", "zh-Hant-HK", "fr"])
def test_messages_send_the_version_contacts_were_counted_in(tmp_path: Path, tag: str | None) -> None:
    """The version a reader is counted in (contacts) is the version their message is built from (send):
    a zh-Hant-TW reader gets zh-Hant (two subtags shared) both times, not zh-HK (merely listed first)."""
    from messages_support import contact

    factory = make_factory(tmp_path, languages=VERSIONS)
    counted = route_language(tag, VERSIONS, "en")
    assert factory.build(contact("reader@news.test", language=tag)).language == counted
    if tag == "zh-Hant-TW":
        assert counted == "zh-Hant"


def test_locale_for_is_the_one_rule_for_which_words_a_version_gets() -> None:
    from pressctl.languages.routing import locale_for

    hong_kong, english = locale_for("zh-HK").labels, locale_for("en").labels
    assert [locale_for(t).labels for t in ("zh-HK", "zh-Hant", "ZH", "zh-Hant-TW")] == [hong_kong] * 4
    assert [locale_for(t).labels for t in ("en", "en-GB", "fr", "")] == [english] * 4


def test_counts_name_languages_as_an_officer_reads_them() -> None:
    """Issue 18 point 13: "9 zh-Hant readers" where an officer reads "Traditional Chinese"; tags stay in JSON."""
    from pressctl.contacts.segments import describe_languages
    from pressctl.languages.tags import language_name, language_names

    assert language_name("zh-Hant") == "Traditional Chinese"
    assert language_name("zh-HK") == "Traditional Chinese (Hong Kong)"
    assert language_name("ja") == "Japanese" and language_name("xx-Yy") == "xx-Yy"
    assert describe_languages({"en": 6, "zh-Hant": 9}, {("ja", "en"): 2}) == (
        "English 6, Traditional Chinese 9 (2 Japanese readers get English: no Japanese version)"
    )
    # Two tags with one name keep their tags, so the line still tells them apart.
    assert language_names(["zh-HK", "zh-Hant-HK"]) == {
        "zh-HK": "Traditional Chinese (Hong Kong) [zh-HK]",
        "zh-Hant-HK": "Traditional Chinese (Hong Kong) [zh-Hant-HK]",
    }


@pytest.mark.parametrize(
    ("wanted", "got", "fallback"),
    [
        ("zh-TW", "zh-HK", True),  # another region: not their own version
        ("en", "zh-HK", True),  # another language
        ("zh-Hant", "zh-HK", False),  # the version says more than they asked: theirs
        ("zh", "zh-HK", False),
        ("en-GB", "en", False),
        ("zh-Hant-MO", "zh-MO", False),  # an alias of the version's entry
        ("zh-hk", "zh-HK", False),
        (None, "en", False),
    ],
)
def test_a_fallback_is_a_version_not_the_reader_s_own(wanted: str | None, got: str, fallback: bool) -> None:
    from pressctl.languages.routing import is_fallback

    assert is_fallback(wanted, got) is fallback


SIMPLIFIED = ("en", "zh-HK", "zh-CN")


@pytest.mark.parametrize(
    ("tag", "available", "routed"),
    [
        ("zh-CN", SIMPLIFIED, "zh-CN"),
        ("zh-Hans", SIMPLIFIED, "zh-CN"),  # the script, not the first Chinese version listed
        ("zh-SG", SIMPLIFIED, "zh-CN"),
        ("zh-Hans-SG", SIMPLIFIED, "zh-CN"),
        ("zh-MY", SIMPLIFIED, "zh-CN"),
        ("zh-HK", ("en", "zh-CN", "zh-HK"), "zh-HK"),
        ("zh-TW", ("en", "zh-CN", "zh-HK"), "zh-HK"),  # Traditional before the first listed
        ("zh-Hant", ("en", "zh-CN", "zh-HK"), "zh-HK"),
        ("zh", ("en", "zh-CN", "zh-HK"), "zh-CN"),  # no script asked for: the first Chinese version
        # No version in the reader's script: the same language in the other, before another language.
        ("zh-Hans", ("en", "zh-HK"), "zh-HK"),
        ("zh-CN", ("en", "zh-HK"), "zh-HK"),
        ("zh-HK", ("en", "zh-CN"), "zh-CN"),
        ("en", SIMPLIFIED, "en"),
    ],
)
def test_simplified_readers_reach_the_simplified_version(tag: str, available: tuple[str, ...], routed: str) -> None:
    assert route_language(tag, available, "en") == routed


@pytest.mark.parametrize("word", ["简体中文", "簡體中文", "Simplified Chinese", "simplified  chinese", "简体", "Chinese (Simplified)"])
def test_simplified_in_a_language_cell_routes_to_zh_cn(word: str) -> None:
    from pressctl.contacts.segments import language_tag

    tag = language_tag(word)
    assert tag == "zh-Hans"
    assert route_language(tag, SIMPLIFIED, "en") == "zh-CN"


def test_simplified_has_its_own_words_dates_fonts_and_names() -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from pressctl.languages.routing import is_fallback, locale_for
    from pressctl.languages.tags import language_name
    from pressctl.render.words import _format_moment, format_date

    locale = locale_for("zh-CN")
    assert (locale.html_lang, locale.og_locale, locale.script, locale.own_name) == ("zh-CN", "zh_CN", "Hans", "简体中文")
    assert (locale.labels.press_release, locale.labels.media_contacts, locale.labels.about_plain) == ("新闻稿", "传媒查询", "关于")
    assert locale.fonts.pdf[0] == "Noto Sans CJK SC" and locale.fonts.email[0] == "PingFang SC"
    assert format_date(dt.date(2030, 3, 12), "zh-CN") == "2030年3月12日"
    moment = dt.datetime(2030, 3, 12, 22, 30, tzinfo=ZoneInfo("Asia/Hong_Kong"))
    assert _format_moment(moment, "Asia/Hong_Kong", "zh-CN") == "2030年3月12日晚上10时30分（香港时间）"
    assert _format_moment(moment, "Asia/Hong_Kong", "zh-HK") == "2030年3月12日晚上10時30分（香港時間）"
    assert [locale_for(t).tag for t in ("zh-Hans", "zh-SG", "ZH-cn")] == ["zh-CN"] * 3
    assert locale_for("zh-Hant").tag == "zh-Hant" and locale_for("zh-HK").labels.press_release == "新聞稿"
    assert language_name("zh-Hans") == "Simplified Chinese" and language_name("zh-CN") == "Simplified Chinese (China)"
    assert not is_fallback("zh-SG", "zh-CN") and not is_fallback("zh-Hans", "zh-CN")
    assert is_fallback("zh-Hans", "zh-HK") and is_fallback("zh-CN", "zh-HK")
