"""The shape of one entry of the locale table: what pressctl knows of a language version. Pure data.

An entry (``Locale``) is written once per version tag in a language module (``english``, ``traditional``,
``simplified``) and collected in ``table.LOCALES``. Every field is required, so a language added without one
of its words fails the type check and the table's tests, never silently at a reader's desk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "BRAND_CJK_FONT",
    "BRAND_FONT",
    "CJK_SCRIPTS",
    "DateStyle",
    "Fonts",
    "Labels",
    "Locale",
    "SiteWords",
    "font_stack",
]

# Stand-ins in a font stack for the workspace's own faces ([brand] font and cjk_font).
BRAND_FONT = "{brand.font}"
BRAND_CJK_FONT = "{brand.cjk_font}"

# Scripts written without spaces between words, in wide characters (ISO 15924).
CJK_SCRIPTS = frozenset({"Hant", "Hans", "Hani", "Jpan", "Kore"})


@dataclass(frozen=True)
class Labels:
    """The fixed words of the PDF, the email and its text version (the templates' ``labels``)."""

    immediate: str  # FOR IMMEDIATE RELEASE
    embargoed: str  # EMBARGOED UNTIL {when}
    subject_embargoed: str  # EMBARGOED UNTIL {when}: {subject}
    press_release: str
    about: str  # About {name}
    about_plain: str
    media_contact: str
    media_contacts: str
    phone: str
    email: str
    page: str  # CSS content for the PDF's page numbers
    unsubscribe: str  # ... the {name} press list.
    unsubscribe_link: str
    unsubscribe_mail: str
    unsubscribe_note: str
    photo: str
    colon: str  # ": " or the full-width "："
    read_online: str  # the email's newsroom links
    download_photos: str
    pdf: str
    pdf_link_label: str  # the text version's line above a linked PDF's URL
    pdf_link: str  # the email's link to a linked PDF


@dataclass(frozen=True)
class SiteWords:
    """The newsroom's words (the site templates' ``site``), and the preview pages' once the release is public."""

    skip: str
    skip_index: str
    newsroom: str
    languages: str
    photos: str
    download_photo: str
    credit: str
    downloads: str
    pdf: str
    preview: str
    all_releases: str
    no_releases: str
    feed: str
    read: str
    now_public: str  # an advance copy's page once the release is public: "This release is now public"
    read_here: str


@dataclass(frozen=True)
class DateStyle:
    """How a date, a moment and the dateline are written. Each format is ``str.format`` text.

    ``date``: ``{day}``, ``{month}`` (a number), ``{month_name}`` (from ``months``), ``{year}``.
    ``time``: ``{hour}``, ``{hour12}``, ``{minute}``, ``{period}`` (from ``periods``), ``{minutes}`` (``minutes``
    filled, or nothing on the hour). ``moment``: ``{time}``, ``{zone}``, ``{date}``. A zone is named from
    ``zones`` (IANA name -> words), else by its abbreviation (``zone_abbreviations``, when it has a real
    one), else as its UTC offset.
    """

    date: str
    time: str
    moment: str
    months: tuple[str, ...] = ()
    minutes: str = ""
    periods: tuple[tuple[int, str], ...] = ()  # (hours below, word), in order: () for a 24-hour clock
    zones: Mapping[str, str] = field(default_factory=dict)
    zone_abbreviations: bool = False
    dateline: str = "({place}, {date})"  # a place and the release's date
    dateline_date_only: str = "({date})"
    dateline_as_written: str = "({dateline})"  # a dateline field that holds its own date
    dateline_dash: str = " – "  # joins the dateline to the first sentence


@dataclass(frozen=True)
class Fonts:
    """Font stacks, each family most wanted first; ``BRAND_FONT`` and ``BRAND_CJK_FONT`` stand for the
    workspace's faces. The face of the version's own region comes first (Pango picks glyph forms by it)."""

    pdf: tuple[str, ...]
    email: tuple[str, ...]
    site: tuple[str, ...]


@dataclass(frozen=True)
class Locale:
    """One language version pressctl writes: tag, names, script, fonts, words, dates, greeting, routing."""

    tag: str  # the canonical tag a release carries (``language: zh-HK``)
    name: str  # in English, as an officer reads it: "Traditional Chinese (Hong Kong)"
    own_name: str  # in the language itself, for the newsroom's language switch: "繁體中文（香港）"
    script: str  # ISO 15924: Latn, Hant, Hans
    html_lang: str  # lang= of the email, the PDF and the page (Pango reads it for glyph forms)
    og_locale: str  # the newsroom's og:locale
    fonts: Fonts
    labels: Labels
    site: SiteWords
    dates: DateStyle
    greeting: str  # the default greeting line, with merge fields
    # Other tags that mean this version (a reader's zh-Hans-HK), with their names in English.
    aliases: Mapping[str, str] = field(default_factory=dict)
    # Words a contact list's language cell may hold, each with the tag it stands for (粵語 -> zh-HK).
    cell_words: Mapping[str, str] = field(default_factory=dict)
    # The tag of text in another script inside this version's text (Chinese names in English): its spans
    # get this lang= and that locale's fonts. None: the version's own script covers it.
    cjk_spans: str | None = None
    # The merge field that stands for ``name`` in this version (a Chinese version greets by the Chinese name).
    name_field: str = ""

    @property
    def cjk(self) -> bool:
        """Written without spaces between words and sentences, in wide characters."""
        return self.script in CJK_SCRIPTS


def font_stack(families: tuple[str, ...], *, font: str, cjk_font: str) -> str:
    """A CSS ``font-family`` value: the brand's faces in place of their stand-ins, names with spaces quoted."""
    out = []
    for family in families:
        if family == BRAND_FONT:
            out.append(f'"{font}"')
        elif family == BRAND_CJK_FONT:
            out.append(f'"{cjk_font}"')
        elif " " in family:
            out.append(f'"{family}"')
        else:
            out.append(family)
    return ", ".join(out)
