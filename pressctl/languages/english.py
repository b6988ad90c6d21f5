"""English: its words, dates and fonts, and the versions that use them (en, en-GB, en-US, en-HK). Data."""

from __future__ import annotations

from dataclasses import replace

from pressctl.languages.locale import BRAND_CJK_FONT, BRAND_FONT, DateStyle, Fonts, Labels, Locale, SiteWords

__all__ = ["LOCALES"]

LABELS = Labels(
    immediate="FOR IMMEDIATE RELEASE",
    embargoed="EMBARGOED UNTIL {when}",
    subject_embargoed="EMBARGOED UNTIL {when}: {subject}",
    press_release="Press release",
    about="About {name}",
    about_plain="About",
    media_contact="Media contact",
    media_contacts="Media contacts",
    phone="Tel",
    email="Email",
    page='"Page " counter(page) " of " counter(pages)',
    unsubscribe="You receive this email because you are on the {name} press list.",
    unsubscribe_link="Unsubscribe",
    unsubscribe_mail="or write to",
    unsubscribe_note="(Each journalist's copy has its own unsubscribe link here.)",
    photo="Photo",
    colon=": ",
    read_online="Read online",
    download_photos="Download photos",
    pdf="PDF",
    pdf_link_label="The full release as a PDF:",
    pdf_link="Download the release (PDF)",
)

SITE = SiteWords(
    skip="Skip to the release",
    skip_index="Skip to the releases",
    newsroom="Newsroom",
    languages="Read in",
    photos="Photos",
    download_photo="Download full resolution",
    credit="Photo",
    downloads="Downloads",
    pdf="Press release (PDF)",
    preview="Advance copy for journalists: not public. Do not publish or share this link.",
    all_releases="All press releases",
    no_releases="No press releases yet.",
    feed="Atom feed",
    read="Read the release",
    now_public="This release is now public",
    read_here="Read it here",
)

DATES = DateStyle(
    date="{day} {month_name} {year}",
    time="{hour:02d}:{minute:02d}",
    moment="{time} {zone}, {date}",
    months=(
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    zone_abbreviations=True,
)

# Email: widely installed faces of the Latin script, then the generic family. A CJK face named here won where
# Arial is missing (Linux mail clients, many Android phones) and its full-width punctuation gave "park’ s";
# Chinese inside English text gets the CJK stack through its lang= span instead (``cjk_spans``).
FONTS = Fonts(
    pdf=(BRAND_FONT, "DejaVu Sans", BRAND_CJK_FONT, "sans-serif"),
    email=(
        "Arial", "Helvetica Neue", "Helvetica", "Roboto", "Noto Sans", "Liberation Sans", "DejaVu Sans", "sans-serif",
    ),
    site=(
        BRAND_FONT, "system-ui", "-apple-system", "Segoe UI", "Roboto", "Arial",
        BRAND_CJK_FONT, "PingFang HK", "Microsoft JhengHei", "sans-serif",
    ),
)

ENGLISH = Locale(
    tag="en",
    name="English",
    own_name="English",
    script="Latn",
    html_lang="en",
    og_locale="en_GB",
    fonts=FONTS,
    labels=LABELS,
    site=SITE,
    dates=DATES,
    greeting='Dear {{ first_name or "editor" }},',
    cell_words={"english": "en", "英文": "en", "英語": "en"},
    # Chinese names in an English release: Hong Kong forms, as the press office that wrote it.
    cjk_spans="zh-HK",
)

LOCALES = (
    ENGLISH,
    replace(ENGLISH, tag="en-GB", name="English (UK)", own_name="English (UK)", html_lang="en-GB", cell_words={}),
    replace(ENGLISH, tag="en-US", name="English (US)", own_name="English (US)", html_lang="en-US", og_locale="en_US", cell_words={}),
    replace(
        ENGLISH,
        tag="en-HK",
        name="English (Hong Kong)",
        own_name="English (Hong Kong)",
        html_lang="en-HK",
        og_locale="en_HK",
        cell_words={},
    ),
)
